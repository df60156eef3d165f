"""Float32 networks through the binding: dtype=, zero-copy float32 data (the array's own memory
reaches C), the same bits as the C API's float entry points, results in the data's type,
params in the network's, astype() conversion, model files, and mixed types."""
import os
import tempfile
import unittest

import numpy as np

from support import nnblas


def blobs(rows=240, dtype=np.float32):
    g = np.random.default_rng(4)
    y = np.arange(rows) % 3
    X = g.normal(size=(rows, 6)) + 1.5 * (np.arange(6)[None, :] % 3 == y[:, None])
    return X.astype(dtype), y


class DTypeTest(unittest.TestCase):
    def net(self, dtype):
        return nnblas.Net([6, 12, 3], activation="tanh", output="softmax", seed=3,
                          init="xavier_uniform", dtype=dtype)

    def test_type_and_params(self):
        n32, n64 = self.net(np.float32), self.net("float64")
        self.assertEqual(n32.dtype, np.float32)
        self.assertEqual(n64.dtype, np.float64)
        self.assertEqual(nnblas.Net(3).dtype, np.float64)  # the default
        self.assertEqual(n32.params.dtype, np.float32)
        # the same seed: float32 starts from the float64 weights, rounded
        np.testing.assert_array_equal(n32.params, n64.params.astype(np.float32))
        view = n32.params_view()
        self.assertEqual(view.dtype, np.float32)
        view[0] = 0.5
        self.assertEqual(n32.params[0], np.float32(0.5))
        del view
        with self.assertRaises(nnblas.InvalidArgumentError):
            nnblas.Net(3, dtype=np.int32)

    def test_float32_fit_is_zero_copy_and_matches_float64(self):
        X, y = blobs()
        n32, n64 = self.net("float32"), self.net(np.float64)
        h32 = n32.fit(X, y, epochs=8, batch_size=16, lr=0.01, optimizer="adam", loss="ce")
        h64 = n64.fit(X.astype(np.float64), y, epochs=8, batch_size=16, lr=0.01,
                      optimizer="adam", loss="ce")
        # float32 tracks float64 (tests/test_train.c states why): 0.1 % relative
        np.testing.assert_allclose(h32["loss"], h64["loss"], rtol=1e-3)
        p = n32.predict(X)
        self.assertEqual(p.dtype, np.float32)
        self.assertEqual(n32.predict(X.astype(np.float64)).dtype, np.float64)
        np.testing.assert_allclose(p, n64.predict(X.astype(np.float64)), atol=1e-4)
        loss, acc = n32.evaluate(X, y, loss="ce")
        self.assertGreater(acc, 0.8)

    def test_other_type_gives_the_same_bits(self):
        # a float32 network on float64 data (exactly representable) equals it on float32 data
        X, y = blobs()
        a, b = self.net(np.float32), self.net(np.float32)
        a.fit(X, y, epochs=2, batch_size=32, lr=0.05, loss="ce")
        b.fit(X.astype(np.float64), y, epochs=2, batch_size=32, lr=0.05, loss="ce")
        np.testing.assert_array_equal(a.params, b.params)
        la, ga = a.backprop(X, y, loss="ce")
        lb, gb = b.backprop(X.astype(np.float64), y, loss="ce")
        self.assertEqual(la, lb)
        self.assertEqual(ga.dtype, np.float32)
        self.assertEqual(gb.dtype, np.float64)
        np.testing.assert_array_equal(ga, gb.astype(np.float32))

    def test_astype_and_model_file(self):
        X, y = blobs()
        n64 = self.net(np.float64)
        n64.fit(X, y, epochs=1, optimizer="adam", lr=0.01, loss="ce")
        n32 = n64.astype(np.float32)
        self.assertEqual(n32.dtype, np.float32)
        np.testing.assert_array_equal(n32.params, n64.params.astype(np.float32))
        back = nnblas.Net.from_bytes(n32.to_bytes(train_state=True))
        self.assertEqual(back.dtype, np.float32)
        np.testing.assert_array_equal(back.params, n32.params)
        n32.fit(X, y, epochs=1, optimizer="adam", lr=0.01, loss="ce")
        back.fit(X, y, epochs=1, optimizer="adam", lr=0.01, loss="ce")
        np.testing.assert_array_equal(back.params, n32.params)


    def test_csv_preparation_in_float32(self):
        """read_csv(dtype=np.float32) writes float32 directly (nnb_prep_apply_f32): every value
        the float64 preparation's, rounded once; transform_csv, transform and inverse_targets
        keep float32 in float32 (the float64 results rounded)."""
        g = np.random.default_rng(8)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "t.csv")
            with open(path, "w") as f:
                f.write("a,b,colour,y\n")
                for i in range(40):
                    f.write("%r,%r,%s,%r\n" % (g.normal() * 1e3, g.uniform(), "rgb"[i % 3],
                                               g.normal() * 7 + 100))
            kw = dict(target="y", one_hot=["colour"], test_fraction=0.25, seed=2)
            d64 = nnblas.read_csv(path, **kw)
            d32 = nnblas.read_csv(path, dtype=np.float32, **kw)
            for a64, a32 in zip(d64, d32):
                self.assertEqual(a32.dtype, np.float32)
                np.testing.assert_array_equal(a32, a64.astype(np.float32))
            self.assertGreater(np.abs(d64[0] - d32[0].astype(np.float64)).max(), 0)
            X32, y32 = d32.prep.transform_csv(path, dtype="float32")
            X64, y64 = d64.prep.transform_csv(path)
            np.testing.assert_array_equal(X32, X64.astype(np.float32))
            inv = d32.prep.inverse_targets(y32)
            self.assertEqual(inv.dtype, np.float32)
            np.testing.assert_array_equal(
                inv, d64.prep.inverse_targets(y32.astype(np.float64)).astype(np.float32))
            with self.assertRaises(nnblas.InvalidArgumentError):
                nnblas.read_csv(path, dtype=np.int64, **kw)
        M = g.normal(size=(20, 3)) * [1, 10, 100]
        p = nnblas.Prep.fit_matrix(M)
        t32 = p.transform(M.astype(np.float32))
        self.assertEqual(t32.dtype, np.float32)
        want = p.transform(M.astype(np.float32).astype(np.float64)).astype(np.float32)
        np.testing.assert_array_equal(t32, want)
        m = M.astype(np.float32)
        self.assertIs(p.transform(m, inplace=True), m)
        np.testing.assert_array_equal(m, want)


if __name__ == "__main__":
    unittest.main()
