"""Issue 14's families tried on the binding's float32 side (issue 19): arrays of every kind given
to a float32 network (float16, integers, Fortran order, strided, read-only, 0 rows), values
beyond float32's range, element-type names (the C library's vocabulary everywhere: "f32" once
gave read_csv float64 arrays), a float32 network with float64 data and the reverse, pickling and
saving float32 models, damaged model files of format 1.1."""
import copy
import os
import pickle
import tempfile
import unittest

import numpy as np

from support import nnblas


def data(rows=24, seed=0):
    g = np.random.default_rng(seed)
    X = g.standard_normal((rows, 3))
    y = np.zeros((rows, 2))
    y[np.arange(rows), (X[:, 0] > 0).astype(int)] = 1
    return X, y


class HostileFloat32Test(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.tmp.cleanup()

    def path(self, name):
        return os.path.join(self.tmp.name, name)

    def net(self, dtype="f32"):
        return nnblas.Net([3, 5, 2], activation="tanh", output="softmax", dtype=dtype, seed=4)

    def test_arrays_of_every_kind(self):
        """Whatever the array, a float32 network predicts what it predicts on the same values as
        a C-contiguous float32 array (the binding converts once), bit for bit."""
        net = self.net()
        X, _ = data()
        ref = net.predict(np.ascontiguousarray(X, dtype=np.float32))
        self.assertEqual(ref.dtype, np.float32)
        wide = np.zeros((X.shape[0], 6), dtype=np.float32)
        wide[:, ::2] = X
        ro = X.astype(np.float32)
        ro.flags.writeable = False
        for name, A in [("Fortran order", np.asfortranarray(X.astype(np.float32))),
                        ("strided", wide[:, ::2]), ("read-only", ro),
                        ("a list", X.astype(np.float32).tolist())]:
            out = net.predict(A)
            np.testing.assert_array_equal(out, ref, err_msg=name)
        ints = np.arange(-12, 12).reshape(8, 3)
        for A in (ints.astype(np.int32), ints.astype(np.int64), ints.astype(np.float16)):
            np.testing.assert_array_equal(net.predict(A),
                                          net.predict(ints.astype(np.float32)), err_msg=str(A.dtype))

    def test_zero_rows_and_wrong_shapes(self):
        for dt in ("f32", "f64"):
            net = self.net(dt)
            for X in (np.zeros((0, 3), np.float32), np.zeros((0, 3))):
                with self.assertRaisesRegex(nnblas.InvalidArgumentError, "rows is 0"):
                    net.predict(X)
                with self.assertRaisesRegex(nnblas.InvalidArgumentError, "rows is 0"):
                    net.fit(X, np.zeros((0, 2), X.dtype), epochs=1)
            with self.assertRaises(nnblas.ShapeError):
                net.predict(np.zeros((2, 4), np.float32))
            with self.assertRaises(nnblas.ShapeError):
                net.predict(np.zeros(3, np.float32))
            with self.assertRaises(nnblas.ShapeError):
                net.params = np.zeros(net.n_params - 1, np.float32)
        net = self.net()
        with self.assertRaises(nnblas.DTypeError):  # written in place: it must be float32
            net.predict(np.zeros((2, 3), np.float32), out=np.zeros((2, 2)))
        with self.assertRaises(nnblas.DTypeError):
            net.predict(np.zeros((2, 3), np.float32), out=np.zeros((2, 2), np.float16))

    def test_values_beyond_float32(self):
        """float64 data with a value a float32 network cannot hold: NonFiniteError naming the
        row and column (it gave -inf outputs, and "training diverged: try a lower learning rate");
        a float64 network takes it."""
        X, y = data()
        X[5, 1] = 1e39
        net = self.net()
        for call in (lambda: net.predict(X), lambda: net.evaluate(X, y),
                     lambda: net.fit(X, y, epochs=1)):
            with self.assertRaisesRegex(nnblas.NonFiniteError, r"x\[5\]\[1\].*float32"):
                call()
        self.assertTrue(np.all(np.isfinite(self.net("f64").predict(X))))
        with self.assertRaises(nnblas.NonFiniteError):
            net.params = np.full(net.n_params, -1e39)
        with self.assertRaises(nnblas.NonFiniteError):
            net.params = np.full(net.n_params, np.nan, np.float32)
        # the float32 preparation of a CSV value beyond float32's range
        with open(self.path("big.csv"), "w") as f:
            f.write("a,b,t\n1,2,0\n3,1e39,1\n5,6,0\n4,4,1\n")
        X64, _ = nnblas.read_csv(self.path("big.csv"), target="t", standardize=["a"],
                                 dtype=np.float64)
        self.assertEqual(X64[1, 1], 1e39)
        with self.assertRaisesRegex(nnblas.NonFiniteError, "'b'.*float32"):
            nnblas.read_csv(self.path("big.csv"), target="t", standardize=["a"],
                            dtype=np.float32)

    def test_dtype_names(self):
        """One vocabulary for Net(dtype=), astype() and read_csv(dtype=): the C library's names
        (f32, float32, single, ...; not the ambiguous "float"), then numpy's float32/float64 codes; anything else is
        InvalidArgumentError, never a silent float64."""
        with open(self.path("a.csv"), "w") as f:
            f.write("a,b,t\n1,2,0\n3,4,1\n5,6,0\n4,4,1\n")
        for name, want in [("f32", np.float32), ("F32", np.float32), ("float32", np.float32),
                           ("single", np.float32), ("f4", np.float32), (np.float32, np.float32),
                           ("f64", np.float64), ("double", np.float64), ("<f8", np.float64),
                           (None, np.float64)]:
            self.assertEqual(self.net(name).dtype, want, name)
            X, y = nnblas.read_csv(self.path("a.csv"), target="t", dtype=name)
            self.assertEqual((X.dtype, y.dtype), (want, want), name)
            self.assertEqual(self.net().astype(name).dtype, want, name)
        # the name "float" is float32 in C and float64 in numpy: refused, naming both; the type
        # float (Python's, a C double) is float64 as numpy says
        for bad in ["float", "FLOAT", "Float"]:
            for call in (lambda: self.net(bad), lambda: self.net().astype(bad),
                         lambda: nnblas.read_csv(self.path("a.csv"), target="t", dtype=bad)):
                with self.assertRaisesRegex(nnblas.InvalidArgumentError,
                                            "ambiguous.*f32.*float32.*f64.*float64"):
                    call()
        self.assertEqual(self.net(float).dtype, np.float64)
        for bad in ["f16", "float16", "", "f32 ", "f32\0", "int", np.float16, np.int32, int,
                    complex, np.complex64, 1, True, b"f32", object()]:
            with self.assertRaises(nnblas.InvalidArgumentError, msg=repr(bad)):
                self.net(bad)
            with self.assertRaises(nnblas.InvalidArgumentError, msg=repr(bad)):
                nnblas.read_csv(self.path("a.csv"), target="t", dtype=bad)
            with self.assertRaises(nnblas.InvalidArgumentError, msg=repr(bad)):
                self.net().astype(bad)

    def test_mixing_types(self):
        """A float32 network on float64 data and a float64 network on float32 data give what the
        data converted once gives (the library converts a batch at a time)."""
        X, y = data(40)
        a, b = self.net(), self.net()
        a.fit(X, y, epochs=3, batch_size=8, lr=0.05)
        b.fit(X.astype(np.float32), y.astype(np.float32), epochs=3, batch_size=8, lr=0.05)
        np.testing.assert_array_equal(a.params, b.params)
        self.assertEqual(a.predict(X).dtype, np.float64)
        self.assertEqual(a.predict(X.astype(np.float32)).dtype, np.float32)
        c, d = self.net("f64"), self.net("f64")
        c.fit(X.astype(np.float32), y.astype(np.float32), epochs=3, batch_size=8, lr=0.05)
        d.fit(X.astype(np.float32).astype(np.float64), y, epochs=3, batch_size=8, lr=0.05)
        np.testing.assert_array_equal(c.params, d.params)

    def test_pickle_and_save(self):
        X, y = data()
        net = self.net()
        net.fit(X, y, epochs=2, optimizer="adam", patience=3, validation_split=0.25)
        for other in (pickle.loads(pickle.dumps(net)), copy.deepcopy(net)):
            self.assertEqual(other.dtype, np.float32)
            np.testing.assert_array_equal(other.params, net.params)
        net.save(self.path("m.nnb"))
        with open(self.path("m.nnb"), "rb") as f:
            b = f.read()
        self.assertEqual(b[10], 1)  # format 1.1: the element type is stored
        self.assertEqual(nnblas.Net.load(self.path("m.nnb")).dtype, np.float32)
        for cut in (0, 20, len(b) // 2, len(b) - 1):
            with open(self.path("cut.nnb"), "wb") as f:
                f.write(b[:cut])
            with self.assertRaises(nnblas.FormatError):
                nnblas.Net.load(self.path("cut.nnb"))
        # a converted copy of a network trained with early stopping owns its state
        c = net.astype("f64")
        del net
        c.fit(X, y, epochs=1, optimizer="adam", patience=3, validation_split=0.25)
        # a float32 network whose parameters went infinite is neither saved nor pickled
        bad = self.net()
        bad.params_view()[3] = np.inf
        with self.assertRaises(nnblas.NonFiniteError):
            bad.save(self.path("bad.nnb"))
        self.assertFalse(os.path.exists(self.path("bad.nnb")))
        with self.assertRaises(nnblas.NonFiniteError):
            pickle.dumps(bad)
        with self.assertRaises(nnblas.NonFiniteError):
            bad.astype("f64")


if __name__ == "__main__":
    unittest.main()
