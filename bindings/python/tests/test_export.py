"""Net.to_onnx, Net.to_c and Net.int8_copy (docs/export.md): the exports of a network trained
here, with its preparation, run by onnxruntime and a C compiler, against Net.predict on the same
raw rows; errors. The tools are found as tests/export_check.py finds them (which it is imported
from); a missing one skips, or fails under NNBLAS_REQUIRE_EXPORT_TOOLS=1."""
import json
import os
import sys
import tempfile
import unittest

import numpy as np

from support import REPO, nnblas, shared_path

sys.path.insert(0, os.path.join(REPO, "tests"))
import export_check as X  # noqa: E402


class ExportTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.d = self.tmp.name
        self.csv = shared_path("data", "admissions.csv")
        self.data = nnblas.read_csv(self.csv, target="admit", one_hot="rank",
                                    standardize=["gre", "gpa"], test_fraction=0.2, seed=1)
        # a helper object for the tools: its temporary folder is ours
        self.x = X.Exports("test_admissions")
        self.x.tmp = self.d

    def tearDown(self):
        self.tmp.cleanup()

    def net(self, dtype):
        X_train, _, y_train, _ = self.data
        net = nnblas.Net([6, 5, 1], activation="leaky_relu", output="sigmoid", seed=2,
                         dtype=dtype)
        net.fit(X_train, y_train, epochs=20, batch_size=16, lr=0.01, loss="bce")
        net.prep = self.data.prep
        return net

    def raw_rows(self, onnx_path):
        inputs, _ = X.onnx_inputs(onnx_path)
        return X.csv_raw(self.csv, inputs)

    def test_onnx_and_c_match_predict(self):
        X.need("python3-onnx", X.have_onnx())
        for dtype in ("float32", "float64"):
            tag = "f32" if dtype == "float32" else "f64"
            net = self.net(dtype)
            want = net.predict(net.prep.transform_csv(self.csv, targets=False))
            onnx_path = os.path.join(self.d, "adm.onnx")
            net.to_onnx(onnx_path, name="adm")
            m = self.x.check_onnx(onnx_path)
            self.assertEqual(m.graph.name, "adm")
            raw = self.raw_rows(onnx_path)
            (got, _), = self.x.run_onnx([(onnx_path, raw, tag)])
            self.x.assert_close(got, np.asarray(want, np.float64), tag, "to_onnx " + tag, False)
            c_path = os.path.join(self.d, "adm.c")
            net.to_c(c_path, name="adm", own_math=True)
            exe = self.x.compile_c(c_path, "adm", tag)
            got_c, status = self.x.run_c(exe, raw, 1, tag)
            self.assertTrue(np.all(status == 0))
            self.x.assert_close(got_c, np.asarray(want, np.float64), tag, "to_c " + tag, False)

    def test_cnn_exports(self):
        """A network with convolution and pooling layers: to_onnx's graph (Conv in float32, the
        windows gathered in float64) gives Net.predict's outputs in onnxruntime; to_c's source
        too, and with int8 weights (a scale per filter) int8_copy()'s."""
        X.need("python3-onnx", X.have_onnx())
        rng = np.random.default_rng(6)
        x = rng.normal(size=(20, 2 * 5 * 6))
        jobs, wants = [], []
        for dtype, tag in (("float32", "f32"), ("float64", "f64")):
            net = nnblas.Net([(2, 5, 6), "conv3x3s2p1", "avgpool2x1", 12, 4], activation="tanh",
                             output="softmax", seed=5, dtype=dtype)
            want = np.asarray(net.predict(x.astype(dtype)), np.float64)
            wants.append(want)
            path = os.path.join(self.d, "cnn_%s.onnx" % tag)
            net.to_onnx(path)
            self.x.check_onnx(path)
            jobs.append((path, x, tag))
            for int8 in (False, True):
                c_path = os.path.join(self.d, "cnn.c")
                net.to_c(c_path, name="cnn", int8=int8)
                ref = np.asarray(net.int8_copy().predict(x.astype(dtype)), np.float64) \
                    if int8 else want
                if int8:
                    self.assertGreater(np.abs(ref - want).max(), 0)  # int8 changes the outputs
                got, status = self.x.run_c(self.x.compile_c(c_path, "cnn", tag), x, 4, tag)
                self.assertTrue(np.all(status == 0))
                self.x.assert_close(got, ref, tag, "cnn c%s %s" % (" int8" if int8 else "", tag),
                                    True)
        for (path, _, tag), want, (got, _) in zip(jobs, wants, self.x.run_onnx(jobs)):
            self.x.assert_close(got, want, tag, "cnn onnx " + tag, True)

    def test_without_preparation(self):
        """A network without a preparation takes the network's own inputs, in both forms."""
        X.need("python3-onnx", X.have_onnx())
        rng = np.random.default_rng(4)
        x = rng.normal(size=(50, 5))
        for dtype, tag in (("float32", "f32"), ("float64", "f64")):
            net = nnblas.Net([5, 7, 3], activation="sigmoid", output="softmax", seed=3,
                             dtype=dtype)
            want = np.asarray(net.predict(x.astype(dtype)), np.float64)
            path = os.path.join(self.d, "plain.onnx")
            net.to_onnx(path)
            self.x.check_onnx(path)
            (got, cls), = self.x.run_onnx([(path, x, tag)])
            self.assertIsNone(cls)  # no classes known: no "class" output
            self.x.assert_close(got, want, tag, "plain onnx " + tag, True)
            net.to_c(os.path.join(self.d, "plain.c"))
            exe = self.x.compile_c(os.path.join(self.d, "plain.c"), "model", tag)
            got_c, status = self.x.run_c(exe, x, 3, tag)
            self.assertTrue(np.all(status == 0))
            self.x.assert_close(got_c, want, tag, "plain c " + tag, True)

    def test_metadata_and_header(self):
        net = self.net("float64")
        path = os.path.join(self.d, "m.onnx")
        net.to_onnx(path, metadata={"author": "me"})
        if X.have_onnx():
            _, meta = X.onnx_inputs(path)
            self.assertEqual(meta["model.author"], "me")
            self.assertEqual(json.loads(meta["nnblas.outputs"]), ["admit"])
        net.to_c(os.path.join(self.d, "k.c"), header=os.path.join(self.d, "kk.h"), name="k",
                 int8=True)
        with open(os.path.join(self.d, "kk.h")) as f:
            h = f.read()
        self.assertIn("int k_predict(const double *in, double *out);", h)
        self.assertIn("with int8 weights", h)

    def test_int8_copy(self):
        net = self.net("float32")
        q = net.int8_copy()
        self.assertIs(q.prep, net.prep)
        for i in range(net.n_layers):
            W, b = net.get_layer(i)
            Wq, bq = q.get_layer(i)
            s = np.abs(W).max(axis=1, keepdims=True).astype(np.float64) / 127
            s = s.astype(np.float32).astype(np.float64)
            self.assertTrue(np.all(np.abs(Wq - W) <= s / 2 * (1 + 1e-6)))
            self.assertTrue(np.array_equal(b, bq))
        X_test, _, y_test = self.data[1], None, self.data[3]
        loss, acc = q.evaluate(X_test, y_test, loss="bce")
        self.assertTrue(np.isfinite(loss) and 0 <= acc <= 1)

    def test_errors(self):
        net = self.net("float64")
        with self.assertRaises(nnblas.InvalidArgumentError):
            net.to_c(os.path.join(self.d, "a.c"), name="9lives")
        with self.assertRaises(nnblas.InvalidArgumentError):
            net.to_onnx(os.path.join(self.d, "a.onnx"), input_scale=-1)
        with self.assertRaises(nnblas.FileError) as cm:
            net.to_onnx(os.path.join(self.d, "no", "such", "a.onnx"))
        self.assertIn("No such file", str(cm.exception))
        with self.assertRaises(TypeError):
            net.to_onnx(os.path.join(self.d, "a.onnx"), prep="rank")
        self.assertEqual(sorted(os.listdir(self.d)), [])
        net.close()
        with self.assertRaises(nnblas.StateError):
            net.to_onnx(os.path.join(self.d, "a.onnx"))


if __name__ == "__main__":
    unittest.main()
