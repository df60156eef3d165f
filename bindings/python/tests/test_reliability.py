"""Issue 14's families through the binding: divergence is an error, models with NaN are neither
saved nor loaded, saves refuse devices, FIFOs and folders (a symbolic link is followed), readers
of streams stop at the input limit, /dev/zero is refused at once, huge epoch counts run."""
import os
import tempfile
import threading
import unittest

import numpy as np

from support import nnblas


class ReliabilityTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.tmp.cleanup()

    def path(self, name):
        return os.path.join(self.tmp.name, name)

    def data(self):
        i = np.arange(64)
        X = np.stack([np.sin(i), np.cos(3 * i)], axis=1)
        return X, 1e3 * (i % 2).astype(float)

    def test_divergence_is_an_error(self):
        X, y = self.data()
        net = nnblas.Net([2, 16, 1], activation="relu", output="identity", seed=3)
        with self.assertRaises(nnblas.NonFiniteError) as cm:
            net.fit(X, y, epochs=50, optimizer="sgd", lr=1e6, loss="mse")
        self.assertRegex(str(cm.exception), r"epoch \d+, batch \d+")
        self.assertIn("lower", str(cm.exception))

    def test_nan_models_are_refused(self):
        net = nnblas.Net([2, 3, 1], seed=1)
        good = self.path("good.nnb")
        net.save(good)
        with open(good, "rb") as f:
            b = bytearray(f.read())
        at = b.find(np.float64(net.params[4]).tobytes())
        self.assertGreater(at, 0)
        b[at:at + 8] = np.float64(np.nan).tobytes()
        import zlib
        b[-4:] = (zlib.crc32(bytes(b[:-4])) & 0xFFFFFFFF).to_bytes(4, "little")
        with open(self.path("nan.nnb"), "wb") as f:
            f.write(b)
        with self.assertRaises(nnblas.NonFiniteError):
            nnblas.Net.load(self.path("nan.nnb"))

    def test_saves_refuse_special_files(self):
        net = nnblas.Net([2, 3, 1], seed=1)
        os.mkfifo(self.path("fifo"))
        os.symlink("/dev/null", self.path("null.nnb"))
        os.mkdir(self.path("dir"))
        for name, what in [("fifo", "FIFO"), ("null.nnb", "character device"),
                           ("dir", "directory")]:
            with self.assertRaises(nnblas.FileError) as cm:
                net.save(self.path(name))
            self.assertIn(what, str(cm.exception))
        os.symlink("real.nnb", self.path("link.nnb"))
        net.save(self.path("link.nnb"))
        self.assertTrue(os.path.islink(self.path("link.nnb")))
        self.assertTrue(os.path.isfile(self.path("real.nnb")))
        self.assertEqual([f for f in os.listdir(self.tmp.name) if ".tmp" in f], [])

    def test_streams_and_limits(self):
        with self.assertRaises(nnblas.FormatError) as cm:
            nnblas.read_csv("/dev/zero", "a")
        self.assertIn("NUL byte at offset 0", str(cm.exception))
        with self.assertRaises(nnblas.FormatError):
            nnblas.Net.load("/dev/zero")
        self.assertEqual(nnblas.get_input_limit(), 1 << 30)
        fifo = self.path("in.fifo")
        os.mkfifo(fifo)
        text = "a,b\n" + "".join("%d,%d\n" % (i % 10, i % 2) for i in range(2000))

        def feed():
            with open(fifo, "w") as f:
                try:
                    f.write(text)
                except BrokenPipeError:
                    pass
        for limit, ok in [(1000, False), (1 << 20, True)]:
            t = threading.Thread(target=feed)
            t.start()
            try:
                if ok:
                    X, y = nnblas.read_csv(fifo, "b", input_limit=limit)
                    self.assertEqual(X.shape, (2000, 1))
                else:
                    with self.assertRaises(nnblas.TooLargeError):
                        nnblas.read_csv(fifo, "b", input_limit=limit)
            finally:
                t.join()
        nnblas.set_input_limit(4096)
        try:
            self.assertEqual(nnblas.get_input_limit(), 4096)
        finally:
            nnblas.set_input_limit(1 << 30)
        with self.assertRaises(nnblas.InvalidArgumentError):
            nnblas.set_input_limit(0)

    def test_huge_epoch_count(self):
        X, y = self.data()
        net = nnblas.Net([2, 4, 1], output="sigmoid", seed=2)
        seen = []

        def stop(logs):
            seen.append(logs["epoch"])
            return logs["epoch"] < 3  # False stops
        h = net.fit(X, (y > 0).astype(float), epochs=(1 << 58) + 1, loss="bce", callback=stop)
        self.assertTrue(h.stopped_by_callback)
        self.assertEqual(seen, [1, 2, 3])
        self.assertEqual(len(h["epoch"]), 3)

    def test_integers_out_of_range_never_wrap(self):
        # ctypes would wrap them silently (2**64 -> 0, -1 -> 2**64 - 1); every C call checks
        net = nnblas.Net([2, 3, 1], seed=1)
        X, y = self.data()
        cases = [(lambda: nnblas.Net([2 ** 64, 1]), nnblas.TooLargeError),
                 (lambda: net.fit(X, y, epochs=2 ** 64), nnblas.TooLargeError),
                 (lambda: net.fit(X, y, epochs=1, batch_size=2 ** 64 + 1), nnblas.TooLargeError),
                 (lambda: net.layer(2 ** 64), nnblas.TooLargeError),
                 (lambda: net.get_layer(2 ** 64), nnblas.TooLargeError),
                 (lambda: nnblas.set_input_limit(2 ** 64), nnblas.TooLargeError),
                 (lambda: nnblas.set_input_limit(-1), nnblas.InvalidArgumentError),
                 (lambda: nnblas.set_num_threads(2 ** 40), nnblas.TooLargeError),
                 (lambda: nnblas.read_csv("/dev/null", "a", input_limit=-1),
                  nnblas.InvalidArgumentError)]
        for i, (fn, cls) in enumerate(cases):
            with self.subTest(case=i), self.assertRaises(cls) as cm:
                fn()
            self.assertRegex(str(cm.exception), r"^nnb_\w+: argument \d: -?\d+ ")
        self.assertEqual(nnblas.get_input_limit(), 1 << 30)  # unchanged by the refused calls
        self.assertEqual(net.layer(0).n_out, 3)

    def test_lm_with_an_infinite_loss_is_an_error(self):
        # Levenberg-Marquardt used to call a non-finite starting loss "converged" (no error, no
        # epoch); with clipping or without, every optimiser now raises NonFiniteError
        X, y = self.data()
        for opt in ("lm", "sgd", "adam", "rmsprop"):
            for clip in (None, 1.0):
                with self.subTest(optimizer=opt, clip=clip):
                    net = nnblas.Net([2, 3, 1], output="identity", seed=2)
                    kw = {} if clip is None else {"clip_norm": clip}
                    with self.assertRaises(nnblas.NonFiniteError) as cm:
                        net.fit(X * 1e200, y, epochs=3, optimizer=opt, lr=0.01, loss="mse", **kw)
                    self.assertIn("epoch 1", str(cm.exception))

    def test_transform_csv_reads_its_input_once(self):
        ds = nnblas.read_csv(self.csv(), "b", one_hot="k")
        with self.assertRaises(nnblas.FormatError) as cm:  # /dev/zero: at once, not forever
            ds.prep.transform_csv("/dev/zero")
        self.assertIn("NUL byte at offset 0", str(cm.exception))
        with open(self.csv(), "rb") as f:
            text = f.read()
        r, w = os.pipe()  # a pipe, as /dev/fd/N (bash's <(cmd)): read once
        t = threading.Thread(target=lambda: (os.write(w, text), os.close(w)))
        t.start()
        try:
            X, y = ds.prep.transform_csv("/dev/fd/%d" % r)
        finally:
            t.join()
            os.close(r)
        X2, y2 = ds.prep.transform_csv(self.csv())
        np.testing.assert_array_equal(X, X2)
        np.testing.assert_array_equal(y, y2)
        self.assertEqual(X.shape, (40, 3))
        with self.assertRaises(nnblas.TooLargeError):
            r, w = os.pipe()
            t = threading.Thread(target=lambda: (os.write(w, text), os.close(w)))
            t.start()
            try:
                ds.prep.transform_csv("/dev/fd/%d" % r, input_limit=100)
            finally:
                t.join()
                os.close(r)

    def csv(self):
        path = self.path("k.csv")
        if not os.path.exists(path):
            with open(path, "w") as f:
                f.write("a,k,b\n" + "".join("%d,%s,%d\n" % (i % 7, "xy"[i % 2], i % 3)
                                            for i in range(40)))
        return path


if __name__ == "__main__":
    unittest.main()
