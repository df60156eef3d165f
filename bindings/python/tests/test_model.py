"""Model files: save in Python and load in C, save in C and load in Python, and back; the
preparation and metadata travel with the network; bytes and pickle; damaged files."""
import json
import os
import pickle
import subprocess
import tempfile
import unittest

import numpy as np

from support import REPO, c_reference, nnblas, reference_data

CSV = "size,color,price\n" + "".join(
    "%d,%s,%d\n" % (10 * i, ("red", "green", "blue")[i % 3], 100 * i + 7 * (i % 4))
    for i in range(1, 31))


class ModelTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.d = self.tmp.name
        path = os.path.join(self.d, "data.csv")
        with open(path, "w") as f:
            f.write(CSV)
        self.data = nnblas.read_csv(path, target="price", one_hot="color",
                                    text_columns="color", standardize=["size", "price"],
                                    test_fraction=0.2, seed=1)
        X, _, y, _ = self.data
        self.net = nnblas.Net([4, 6, 1], activation="tanh", output="identity", seed=3)
        self.fit = dict(epochs=5, batch_size=4, optimizer="adam", lr=0.01, loss="mse")
        self.net.fit(X, y, **self.fit)

    def tearDown(self):
        self.tmp.cleanup()

    def test_python_to_python_with_prep_metadata_and_state(self):
        path = os.path.join(self.d, "m.nnb")
        self.net.save(path, prep=self.data.prep, metadata={"author": "test", "epochs": 5},
                      train_state=True)
        loaded = nnblas.Net.load(path)
        np.testing.assert_array_equal(loaded.params, self.net.params)
        self.assertEqual(loaded.layers, self.net.layers)
        self.assertEqual(loaded.metadata, {"author": "test", "epochs": "5", "train.loss": "mse",
                                           "train.reduction": "mean"})
        self.assertEqual(loaded.evaluate(*self.data[1::2])[0],
                         self.net.evaluate(*self.data[1::2])[0])
        self.assertEqual(loaded.prep.feature_names, ["size", "color_blue", "color_green",
                                                     "color_red"])
        self.assertEqual(loaded.prep.column_stats("price"), self.data.prep.column_stats("price"))
        self.assertEqual(loaded.prep.columns, [
            {"name": "size", "target": False, "text": False, "categories": None},
            {"name": "color", "target": False, "text": True,
             "categories": ["blue", "green", "red"]},
            {"name": "price", "target": True, "text": False, "categories": None}])
        # the stored preparation applies to raw data: same X as the original preparation
        raw = os.path.join(self.d, "new.csv")
        with open(raw, "w") as f:
            f.write("id,size,comment,color\n1,55,good,green\n2,120,bad,red\n")
        # color read as text and the unknown columns (id, comment) skipped, from the model alone
        X_new = loaded.prep.transform_csv(raw, targets=False)
        np.testing.assert_array_equal(X_new, self.data.prep.transform_csv(raw, targets=False))
        prices = loaded.prep.inverse_targets(loaded.predict(X_new))
        self.assertEqual(prices.shape, (2, 1))
        # training resumes bit for bit from the stored state
        X, _, y, _ = self.data
        self.net.fit(X, y, **self.fit)
        loaded.fit(X, y, **self.fit)
        np.testing.assert_array_equal(loaded.params, self.net.params)

    def test_python_to_c_and_back(self):
        path = os.path.join(self.d, "py.nnb")
        self.net.metadata = {"written_by": "python", "note": "a b=c"}
        self.net.prep = self.data.prep
        self.net.save(path)  # prep and metadata from the attributes
        c = c_reference("load", path, "rows=9")
        np.testing.assert_array_equal(c["params"], self.net.params)
        x, _ = reference_data(9, 4, 1, False)
        np.testing.assert_array_equal(c["predict"], self.net.predict(x).ravel())
        self.assertEqual(c["meta"], ["written_by=python", "note=a b=c", "train.loss=mse",
                                     "train.reduction=mean"])
        self.assertEqual(c["features"], ["size color_blue color_green color_red"])
        # ... and the file C read loads back in Python the same
        back = nnblas.Net.load(path)
        np.testing.assert_array_equal(back.params, self.net.params)

    def test_c_to_python(self):
        path = os.path.join(self.d, "c.nnb")
        case = dict(layers="5,7,3", act="relu", out="softmax", init="he_normal", seed="4",
                    opt="adam", lr="0.01", batch="8", loss="ce", epochs="3")
        c = c_reference("train", "save=" + path, *("%s=%s" % kv for kv in case.items()))
        net = nnblas.Net.load(path)
        np.testing.assert_array_equal(net.params, c["params"])
        x, y = reference_data(64, 5, 3, True)
        np.testing.assert_array_equal(net.predict(x).ravel(), c["predict"])
        self.assertEqual(net.metadata, {"written_by": "c_reference"})
        self.assertEqual(net.prep.feature_names, ["x0", "x1", "x2", "x3", "x4"])
        np.testing.assert_allclose(net.prep.transform(x).mean(axis=0), 0.0, atol=1e-12)
        self.assertEqual([l.activation for l in net.layers], ["relu", "softmax"])
        # the training state came along: 3 more epochs in Python equal 6 in C from the start
        net.fit(x, y, epochs=3, batch_size=8, optimizer="adam", lr=0.01, loss="ce")
        c6 = c_reference("train", *("%s=%s" % kv for kv in dict(case, epochs="6").items()))
        np.testing.assert_array_equal(net.params, c6["params"])

    def test_the_nnblas_command_and_python_agree(self):
        cli = os.environ.get("NNBLAS_CLI")
        if not cli:
            self.skipTest("NNBLAS_CLI is not set (run the tests through meson)")
        data = os.path.join(REPO, "tests", "data")
        # a model the command made (format 1.0, the golden file), evaluated by both
        golden, csv = os.path.join(data, "golden-v1.nnb"), os.path.join(data, "golden.csv")
        net = nnblas.Net.load(golden)
        self.assertEqual(net.metadata["task"], "classification")
        self.assertEqual(net.prep.classes, ["setosa", "versicolor", "virginica"])
        X, y = net.prep.transform_csv(csv)  # id skipped, colour read as text: from the model
        cli_eval = json.loads(subprocess.run([cli, "eval", "--model", golden, "--csv", csv,
                                              "--json"], check=True, capture_output=True,
                                             text=True).stdout)
        loss, acc = net.evaluate(X, y)  # the stored train.loss (ce) is the default
        self.assertEqual(cli_eval["loss_function"], "ce")
        self.assertAlmostEqual(loss, cli_eval["loss"], places=14)
        self.assertEqual(acc, cli_eval["accuracy"])
        # and a model saved here, evaluated by the command
        path = os.path.join(self.d, "py.nnb")
        self.net.save(path, prep=self.data.prep)
        raw = os.path.join(self.d, "data.csv")
        cli_eval = json.loads(subprocess.run([cli, "eval", "--model", path, "--csv", raw,
                                              "--json"], check=True, capture_output=True,
                                             text=True).stdout)
        X, y = self.data.prep.transform_csv(raw)
        self.assertEqual(cli_eval["loss_function"], "mse")  # the fit's loss, from train.loss
        self.assertAlmostEqual(cli_eval["loss"], self.net.evaluate(X, y)[0], places=14)

    def test_bytes_and_pickle(self):
        self.net.metadata = {"k": "v", "train.loss": "sse"}  # given: kept as it is
        data = self.net.to_bytes(prep=self.data.prep)
        with open(os.path.join(self.d, "f.nnb"), "wb") as f:
            f.write(data)
        self.net.save(os.path.join(self.d, "g.nnb"), prep=self.data.prep)
        with open(os.path.join(self.d, "g.nnb"), "rb") as f:
            self.assertEqual(f.read(), data)  # the same bytes as the file
        net = nnblas.Net.from_bytes(data)
        np.testing.assert_array_equal(net.params, self.net.params)
        self.assertEqual(net.metadata, {"k": "v", "train.loss": "sse"})
        copy = pickle.loads(pickle.dumps(self.net))
        np.testing.assert_array_equal(copy.params, self.net.params)
        self.assertIsNone(nnblas.Net.from_bytes(self.net.to_bytes(prep=None)).prep)

    def test_errors(self):
        with self.assertRaises(nnblas.FileError) as cm:
            nnblas.Net.load(os.path.join(self.d, "none.nnb"))
        self.assertIn("none.nnb", str(cm.exception))
        data = bytearray(self.net.to_bytes())
        data[len(data) // 2] ^= 0xFF
        with self.assertRaises((nnblas.ChecksumError, nnblas.FormatError)):
            nnblas.Net.from_bytes(bytes(data))
        with self.assertRaises(nnblas.FormatError):
            nnblas.Net.from_bytes(b"certainly not a model")
        with self.assertRaises(nnblas.ShapeError):  # 4 features, but the network has 2 inputs
            nnblas.Net([2, 1]).save(os.path.join(self.d, "x.nnb"), prep=self.data.prep)
        with self.assertRaises(nnblas.ShapeError):
            nnblas.Net([2, 1]).to_bytes(prep=self.data.prep)
        with self.assertRaises(nnblas.InvalidArgumentError):
            nnblas.Net(3).to_bytes()  # no layers
        with self.assertRaises(TypeError):
            self.net.save(os.path.join(self.d, "x.nnb"), metadata={"k": object()})
        with self.assertRaises(TypeError):
            self.net.save(os.path.join(self.d, "x.nnb"), prep="not a prep")
        with self.assertRaises(nnblas.FileError):
            self.net.save(os.path.join(self.d, "no", "such", "dir.nnb"))


if __name__ == "__main__":
    unittest.main()
