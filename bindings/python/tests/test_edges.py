"""Issue 26's library families through the binding: Ctrl-C (a real SIGINT sent to a child
process) stops fit within an epoch, a prediction within its rows and a read blocked on a FIFO,
and raises KeyboardInterrupt; regression targets above 1e154 are standardised and predicted;
metadata of 400,000 pairs is saved, loaded and pickled in linear time (no timed assertion: a
quadratic look-up would run for many minutes and the suite times out)."""
import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest

import numpy as np

from support import HERE, nnblas

# The child's preamble: the binding from this checkout, the library of this build.
PREAMBLE = "import sys; sys.path.insert(0, %r); sys.path.insert(0, %r)\n" % (
    os.path.dirname(HERE), HERE)


def child(script):
    """A child Python running `script`, its stdout and stderr as pipes (text)."""
    return subprocess.Popen([sys.executable, "-c", PREAMBLE + textwrap.dedent(script)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_line(proc, prefix):
    """Reads the child's lines until one starts with prefix (returned); None at its end."""
    for line in proc.stdout:
        if line.startswith(prefix):
            return line
    return None


class InterruptTest(unittest.TestCase):
    """SIGINT from outside, as a terminal's Ctrl-C or a notebook's interrupt sends it."""

    def finish(self, proc):
        out, err = proc.communicate()
        return out, err

    @staticmethod
    def answered(proc):
        """Whether the child writes something while the FIFO stays open. The wait is long (a
        busy machine), and only a failure waits it out: a child that reacts to Ctrl-C answers
        within its next poll of the flag (100 ms)."""
        ready, _, _ = select.select([proc.stdout], [], [], 120)
        return bool(ready)

    def test_fit_stops_within_an_epoch(self):
        # 20 epochs of 300,000 batches of one row (30,000 under NNBLAS_TEST_SCALE=small, the
        # sanitizer setup, where -O0 makes a step 10 times slower): the signal comes after epoch
        # 1 has ended
        rows = 30000 if os.environ.get("NNBLAS_TEST_SCALE") == "small" else 300000
        proc = child(("""
            import struct
            import numpy as np
            import nnblas
            rng = np.random.default_rng(0)
            X = rng.normal(size=(ROWS, 4))
            y = (X[:, 0] * X[:, 1] > 0).astype(float)
            net = nnblas.Net([4, 8, 1], output="sigmoid", seed=1)
            def cb(logs):
                print("epoch", logs["epoch"], flush=True)
            try:
                net.fit(X, y, epochs=20, batch_size=1, callback=cb)
                print("completed", flush=True)
            except KeyboardInterrupt:
                state = net.train_state
                steps, epochs = struct.unpack_from("<QQ", state, 24)
                print("interrupted steps %d epochs %d" % (steps, epochs), flush=True)
                net.fit(X[:1000], y[:1000], epochs=1, batch_size=100)  # usable afterwards
                print("fit again", flush=True)
        """).replace("ROWS", str(rows)))
        self.assertIsNotNone(wait_for_line(proc, "epoch 1"))
        proc.send_signal(signal.SIGINT)
        out, err = self.finish(proc)
        self.assertNotIn("Exception ignored", err)
        self.assertNotIn("completed", out, "fit ran all its epochs after Ctrl-C:\n" + err)
        line = [l for l in out.splitlines() if l.startswith("interrupted")]
        self.assertEqual(len(line), 1, out + err)
        steps, epochs = (int(v) for v in line[0].split()[2::2])
        # stopped after some batch of the epoch in progress (or before its first, when the
        # signal came during the epoch callback), never after running on to an epoch's end
        self.assertLess(epochs, 20)
        self.assertGreaterEqual(steps, rows * epochs)
        self.assertLess(steps, rows * (epochs + 1))
        self.assertIn("fit again", out)
        self.assertEqual(proc.returncode, 0, err)

    def test_predict_stops_within_its_rows(self):
        # predictions into `out`: a call stopped within its rows has written the first rows and
        # not the last. A signal that comes before the call has begun (out[0] still NaN) proves
        # nothing: the child says "again" and the parent signals once more.
        proc = child("""
            import numpy as np
            import nnblas
            net = nnblas.Net([64, 1024, 1024, 1], seed=1)
            X = np.random.default_rng(1).normal(size=(100000, 64))
            out = np.full((100000, 1), np.nan)
            say = "ready"
            while True:
                try:
                    print(say, flush=True)  # in the try: the next signal comes after it
                    while True:
                        out.fill(np.nan)
                        net.predict(X, out=out)
                except KeyboardInterrupt:
                    if np.isnan(out[0, 0]):
                        say = "again"
                        continue
                    print("interrupted last row",
                          "nan" if np.isnan(out[-1, 0]) else "written", flush=True)
                    break
        """)
        line = wait_for_line(proc, "ready")
        # Each "again" waits longer before the next signal (0, 0.05, 0.15, ... 5 s): a signal sent
        # at once lands before the next call has written its first block of rows whenever that
        # block takes longer than the child's few bytecodes between calls (-O0 under the
        # sanitizers), and the two would answer each other for ever.
        delay = 0.0
        while line is not None and not line.startswith("interrupted"):
            time.sleep(delay)
            delay = min(2 * delay + 0.05, 5.0)
            proc.send_signal(signal.SIGINT)
            line = wait_for_line(proc, "")
        out, err = self.finish(proc)
        self.assertEqual(line, "interrupted last row nan\n", err)
        self.assertEqual(proc.returncode, 0, err)

    def test_read_blocked_on_a_fifo(self):
        # a FIFO that sends a header and then nothing: read_csv waits for more until Ctrl-C
        with tempfile.TemporaryDirectory() as tmp:
            fifo = os.path.join(tmp, "data.csv")
            os.mkfifo(fifo)
            proc = child("""
                import nnblas
                print("reading", flush=True)
                try:
                    X, y = nnblas.read_csv(%r, target="b")
                    print("completed", len(X), flush=True)
                except KeyboardInterrupt:
                    print("interrupted", flush=True)
            """ % fifo)
            self.assertIsNotNone(wait_for_line(proc, "reading"))
            w = os.open(fifo, os.O_WRONLY)  # waits for the child to open it
            os.write(w, b"a,b\n1,2\n3,4\n")
            proc.send_signal(signal.SIGINT)
            answered = self.answered(proc)
            os.close(w)  # the end of the file: a read that ignored Ctrl-C completes now
            out, err = self.finish(proc)
        self.assertTrue(answered, "no answer to Ctrl-C while the FIFO was open:\n" + out + err)
        self.assertIn("interrupted", out, err)

    def test_load_from_a_fifo(self):
        with tempfile.TemporaryDirectory() as tmp:
            fifo = os.path.join(tmp, "model.nnb")
            os.mkfifo(fifo)
            proc = child("""
                import nnblas
                print("loading", flush=True)
                try:
                    nnblas.Net.load(%r)
                    print("completed", flush=True)
                except KeyboardInterrupt:
                    print("interrupted", flush=True)
                except nnblas.Error as e:
                    print("error", e, flush=True)
            """ % fifo)
            self.assertIsNotNone(wait_for_line(proc, "loading"))
            w = os.open(fifo, os.O_WRONLY)
            os.write(w, nnblas.Net([2, 1]).to_bytes()[:20])  # part of a header, then nothing
            proc.send_signal(signal.SIGINT)
            answered = self.answered(proc)
            os.close(w)
            out, err = self.finish(proc)
        self.assertTrue(answered, "no answer to Ctrl-C while the FIFO was open:\n" + out + err)
        self.assertIn("interrupted", out, err)


class HugeTargetsTest(unittest.TestCase):
    def test_regressor_targets_above_1e154(self):
        from nnblas.sklearn import NNBRegressor
        rng = np.random.default_rng(4)
        X = rng.normal(size=(80, 3))
        y = X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.normal(size=80)
        kw = dict(hidden_layer_sizes=(8,), max_iter=40, random_state=0)
        small = NNBRegressor(**kw).fit(X, y).predict(X)
        for scale in (1e200, 1e300, 1e-200):
            big = NNBRegressor(**kw).fit(X, y * scale)
            p = big.predict(X)
            self.assertTrue(np.all(np.isfinite(p)), scale)
            # the standardised targets are the same up to rounding: so are the predictions
            np.testing.assert_allclose(p / scale, small, rtol=1e-6, atol=1e-9 * np.abs(small).max())

    def test_estimator_layer_too_large_at_once(self):
        from nnblas.sklearn import NNBClassifier
        X = np.random.default_rng(0).normal(size=(40, 3))
        y = (X[:, 0] > 0).astype(int)
        clf = NNBClassifier(hidden_layer_sizes=(8, 2000000000), max_iter=1)
        with self.assertRaises(nnblas.TooLargeError) as cm:
            clf.fit(X, y)
        self.assertIn("hidden_layer_sizes[1] = 2000000000", str(cm.exception))
        self.assertFalse(hasattr(clf, "net_"))

    def test_net_too_large_at_once(self):
        # the third layer's 2^20 x 100000 weights: refused before the first layers are made,
        # naming what the caller wrote (the library alone would name its own layer index)
        with self.assertRaises(nnblas.TooLargeError) as cm:
            nnblas.Net([1000, 10, 100000, 2 ** 20])
        self.assertIn("layers[3] = 1048576 does not fit in memory", str(cm.exception))

    @unittest.skipIf(os.environ.get("NNBLAS_SANITIZED"), "the sanitizers own the address space")
    def test_net_checked_whole_under_a_limit(self):
        # under a data-segment limit of 200 MB above what the child uses, a 1000-4000-4000-1
        # network (20 M parameters: 320 MB with gradients) is refused at once, naming layers[2];
        # layer by layer the first (96 MB) was made before the second was refused
        proc = child("""
            import resource
            import nnblas
            used = 0
            with open("/proc/self/status") as f:
                for line in f:
                    if line.startswith("VmData:"):
                        used = int(line.split()[1]) * 1024
            soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
            resource.setrlimit(resource.RLIMIT_DATA, (used + (200 << 20), hard))
            try:
                nnblas.Net([1000, 4000, 4000, 1])
                print("made")
            except nnblas.TooLargeError as e:
                print("refused", e)
            nnblas.Net([1000, 400, 1])  # a network that fits is made
            print("small made")
        """)
        out, err = proc.communicate()
        self.assertEqual(proc.returncode, 0, err)
        self.assertIn("refused Net: layers[2] = 4000 does not fit in memory", out)
        self.assertIn("small made", out)

    def test_prediction_beyond_double_is_an_error(self):
        from nnblas.sklearn import NNBRegressor
        X = np.array([[0.0], [1.0], [2.0], [3.0]])
        y = np.array([-1.7e308, 1.0e308, -0.5e308, 1.5e308])
        reg = NNBRegressor(hidden_layer_sizes=(4,), max_iter=5, random_state=0).fit(X, y)
        net = reg.net_
        w = net.params
        w[:] = 0
        w[-1] = 1e3  # the output's bias: a thousand standard deviations above the mean
        net.params = w
        with self.assertRaises(nnblas.NonFiniteError) as cm:
            reg.predict(X)
        self.assertIn("row 0", str(cm.exception))

    def test_read_csv_huge_feature(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "big.csv")
            with open(path, "w") as f:
                f.write("x,y\n")
                for i in range(20):
                    f.write("%r,%d\n" % ((i - 7.5) * 1e300, i % 2))
            ds = nnblas.read_csv(path, target="y")
            X, y = ds
            stats = ds.prep.column_stats("x")
            self.assertAlmostEqual(stats["a"] / 2e300, 1.0, places=12)
            self.assertAlmostEqual(stats["b"] / (35 ** 0.5 * 1e300), 1.0, places=12)
            np.testing.assert_allclose(X[:, 0], (np.arange(20) - 9.5) / 35 ** 0.5, atol=1e-12)


class CsvFamilyTest(unittest.TestCase):
    """Missing cells filled, decimal commas, and messages that name the working fix."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, name, text):
        path = os.path.join(self.tmp.name, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_decimal_commas(self):
        path = self.write("eu.csv", "preis;menge;ok\n17,99;3;1\n-0,5;4;0\n2,25;5;1\n")
        X, y = nnblas.read_csv(path, target="ok", delimiter=";", standardize="none")
        np.testing.assert_array_equal(X, [[17.99, 3], [-0.5, 4], [2.25, 5]])
        X2, _ = nnblas.read_csv(path, target="ok", delimiter=";", standardize="none",
                                decimal=",")
        np.testing.assert_array_equal(X, X2)
        with self.assertRaises(nnblas.FormatError) as cm:
            nnblas.read_csv(path, target="ok", delimiter=";", decimal=".")
        self.assertIn("decimal=','", str(cm.exception))

    def test_messages_name_the_fix(self):
        path = self.write("d.csv", "when,x,y\n2024-01-05,1,0\n2024-02-01,2,1\n2024-03-09,3,0\n")
        with self.assertRaises(nnblas.FormatError) as cm:
            nnblas.read_csv(path, target="y")
        self.assertIn("one_hot='when'", str(cm.exception))
        self.assertIn("drop='when'", str(cm.exception))
        X, y = nnblas.read_csv(path, target="y", drop="when")
        self.assertEqual(X.shape, (3, 1))
        # several text columns: all named at once, as lists
        path = self.write("m.csv", "when,x,city,y\n2024-01-05,1,Rome,0\n2024-02-01,2,Oslo,1\n")
        with self.assertRaises(nnblas.FormatError) as cm:
            nnblas.read_csv(path, target="y")
        self.assertIn("one_hot=['when', 'city']", str(cm.exception))
        self.assertIn("drop=['when', 'city']", str(cm.exception))
        X, y = nnblas.read_csv(path, target="y", drop=["when", "city"])
        self.assertEqual(X.shape, (2, 1))

    def test_fill_fitted_stored_and_applied(self):
        path = self.write("m.csv", "x,c,y\n1,a,0\nNA,b,1\n4,,0\n2,a,1\n,b,0\n10,a,1\n")
        with self.assertRaises(nnblas.FormatError) as cm:
            nnblas.read_csv(path, target="y", one_hot="c")
        self.assertIn("missing value", str(cm.exception))
        self.assertIn('fill="mean"', str(cm.exception))
        ds = nnblas.read_csv(path, target="y", one_hot="c", fill="median", standardize="none")
        X, y = ds
        # present x: 1 4 2 10, median 3; c: a a a b b, most frequent a
        self.assertEqual(ds.prep.fills, {"x": ("median", 3.0), "c": ("most_frequent", "a")})
        np.testing.assert_array_equal(X[:, 0], [1, 3, 4, 2, 3, 10])
        np.testing.assert_array_equal(X[2, 1:], [1, 0])  # filled: category a
        net = nnblas.Net([3, 1], output="identity")
        model = os.path.join(self.tmp.name, "m.nnb")
        net.save(model, prep=ds.prep)
        back = nnblas.Net.load(model)
        new = self.write("new.csv", "x,c\n,\n5,b\n")
        Xn = back.prep.transform_csv(new, targets=False)
        np.testing.assert_array_equal(Xn, [[3, 1, 0], [5, 0, 1]])
        # per column, and a missing target is refused (or its row dropped)
        path2 = self.write("t.csv", "x,y\n1,0\n,1\n3,\n")
        with self.assertRaises(nnblas.FormatError) as cm:
            nnblas.read_csv(path2, target="y", fill={"x": "mean"})
        self.assertIn("missing value in column 'y'", str(cm.exception))
        self.assertIn("drop_bad_rows=True", str(cm.exception))
        X, y = nnblas.read_csv(path2, target="y", fill={"x": "mean"}, drop_bad_rows=True,
                               standardize="none")
        np.testing.assert_array_equal(X[:, 0], [1, 1])
        with self.assertRaises(nnblas.InvalidArgumentError):
            nnblas.read_csv(path2, target="y", fill={"y": "mean"})

    def test_unseen_categories_of_the_test_part(self):
        rows = ["cat,x,y"] + ["c%d,%d,%d" % (i if i % 3 else 0, i % 7, i % 2) for i in range(120)]
        path = self.write("cats.csv", "\n".join(rows) + "\n")
        with self.assertRaises(nnblas.FormatError) as cm:
            nnblas.read_csv(path, target="y", one_hot="cat", test_fraction=0.25, seed=1)
        self.assertIn('unseen="zero"', str(cm.exception))
        with self.assertWarns(nnblas.UnseenCategoryWarning) as w:
            ds = nnblas.read_csv(path, target="y", one_hot="cat", test_fraction=0.25, seed=1,
                                 unseen="zero")
        self.assertRegex(str(w.warning), r"\d+ of the 30 test rows")
        X_train, X_test, y_train, y_test = ds
        cat_cols = [j for j, n in enumerate(ds.feature_names) if n.startswith("cat_")]
        self.assertTrue((X_test[:, cat_cols].sum(axis=1) == 0).any())

    def test_estimator_fill(self):
        from nnblas.sklearn import NNBRegressor
        rng = np.random.default_rng(2)
        X = rng.normal(size=(60, 3))
        y = X[:, 0] - X[:, 1]
        X[::7, 1] = np.nan
        with self.assertRaises(ValueError):
            NNBRegressor(max_iter=2, random_state=0).fit(X, y)
        reg = NNBRegressor(hidden_layer_sizes=(4,), max_iter=3, random_state=0, fill="mean")
        reg.fit(X, y)
        self.assertEqual(reg.net_.prep.fills["x1"][0], "mean")
        self.assertAlmostEqual(reg.net_.prep.fills["x1"][1], float(np.nanmean(X[:, 1])),
                               places=12)
        p = reg.predict(X)
        self.assertTrue(np.all(np.isfinite(p)))
        again = pickle.loads(pickle.dumps(reg))
        np.testing.assert_array_equal(again.predict(X), p)


class LargeMetadataTest(unittest.TestCase):
    N = 400000

    def test_wide_csv_filled(self):
        # 100,000 columns with missing cells, filled and applied to a new file: each column's
        # look-up in the header was a list search (quadratic: minutes; now a second or two)
        n = 100000
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "wide.csv")
            with open(path, "w") as f:
                f.write(",".join("c%d" % j for j in range(n)) + ",y\n")
                for r in range(3):
                    f.write(",".join("" if (j + r) % 3 == 0 else str(r + 1) for j in range(n))
                            + ",%d\n" % r)
            ds = nnblas.read_csv(path, target="y", fill="mean", standardize="none")
            X, y = ds.prep.transform_csv(path)
            self.assertEqual(X.shape, (3, n))
            np.testing.assert_array_equal(X, ds[0])
            self.assertFalse(np.isnan(X).any())
            self.assertEqual(len(ds.prep.fills), n)

    def test_save_load_pickle(self):
        net = nnblas.Net([2, 3, 1], seed=1)
        net.metadata = {"k%d" % i: "v%d" % i for i in range(self.N)}
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "m.nnb")
            net.save(path)
            back = nnblas.Net.load(path)
        self.assertEqual(len(back.metadata), self.N)
        self.assertEqual(back.metadata["k%d" % (self.N - 1)], "v%d" % (self.N - 1))
        again = pickle.loads(pickle.dumps(back))
        self.assertEqual(again.metadata, back.metadata)


if __name__ == "__main__":
    unittest.main()
