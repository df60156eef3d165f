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


if __name__ == "__main__":
    unittest.main()
