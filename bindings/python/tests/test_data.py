"""The data readers: read_csv with the preparation options, splits and messages; IDX files and
MNIST-style folders made in a temporary folder; Prep."""
import gzip
import os
import struct
import tempfile
import unittest

import numpy as np

from support import nnblas

CSV = """id,size,color,price,kind
1,10,red,100.5,a
2,20,blue,200,b
3,30,red,300,a
4,40,green,400,c
5,50,blue,500,b
6,60,red,600,a
7,70,green,700,c
8,80,blue,800,b
9,90,red,900,a
10,100,green,1000,c
"""


class CsvTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.path = self.write("data.csv", CSV)

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, name, content):
        path = os.path.join(self.tmp.name, name)
        with open(path, "w", newline="") as f:
            f.write(content)
        return path

    def test_regression_with_one_hot_and_scaling(self):
        X, y = nnblas.read_csv(self.path, target="price", one_hot="color", drop=["id", "kind"],
                               text_columns=["color", "kind"], standardize=["size"])
        d = nnblas.read_csv(self.path, target="price", one_hot="color", drop=["id", "kind"],
                            text_columns=["color", "kind"], standardize=["size"])
        self.assertEqual(d.feature_names, ["size", "color_blue", "color_green", "color_red"])
        self.assertEqual(d.target_names, ["price"])
        self.assertIsNone(d.classes)
        size = np.arange(10, 101, 10.0)
        np.testing.assert_allclose(X[:, 0], (size - size.mean()) / size.std(ddof=1), rtol=1e-15)
        np.testing.assert_array_equal(X[:, 3], [1, 0, 1, 0, 0, 1, 0, 0, 1, 0])
        np.testing.assert_array_equal(y[:, 0], [100.5] + list(range(200, 1001, 100)))
        self.assertTrue(X.flags.c_contiguous and X.dtype == np.float64)
        st = d.prep.column_stats("size")
        self.assertEqual((st["scale"], st["a"]), ("standard", 55.0))
        # minmax everything; a regression target scaled and unscaled
        X2, y2 = nnblas.read_csv(self.path, target="price", drop=["color", "kind"],
                                 skip=["id"], text_columns=["color", "kind"], minmax=True)
        self.assertEqual((X2.min(), X2.max()), (0.0, 1.0))

    def test_classification_targets(self):
        d = nnblas.read_csv(self.path, target="kind", target_encoding="onehot",
                            text_columns=["color", "kind"], one_hot="color", drop="id")
        X, y = d
        self.assertEqual(d.classes, ["a", "b", "c"])
        self.assertEqual(d.target_names, ["kind_a", "kind_b", "kind_c"])
        np.testing.assert_array_equal(y.argmax(axis=1), [0, 1, 0, 2, 1, 0, 2, 1, 0, 2])
        _, yi = nnblas.read_csv(self.path, target="kind", target_encoding="index",
                                text_columns=["color", "kind"], drop=["id", "color"])
        np.testing.assert_array_equal(yi[:, 0], [0, 1, 0, 2, 1, 0, 2, 1, 0, 2])

    def test_split_is_seeded_and_stratified(self):
        kw = dict(target="kind", target_encoding="index", text_columns=["color", "kind"],
                  drop=["id", "color"], test_fraction=0.3, stratify=True, standardize=True)
        X_tr, X_te, y_tr, y_te = nnblas.read_csv(self.path, seed=1, **kw)
        again = nnblas.read_csv(self.path, seed=1, **kw)
        other = nnblas.read_csv(self.path, seed=2, **kw)
        self.assertEqual(len(X_tr) + len(X_te), 10)
        for a, b in zip((X_tr, X_te, y_tr, y_te), again):
            np.testing.assert_array_equal(a, b)
        self.assertFalse(all(np.array_equal(a, b) for a, b in zip((X_tr, X_te), other)))
        # stratified: each class has round(0.3 * count) test rows (a: 4 -> 1, b: 3 -> 1, c: 3 -> 1)
        self.assertEqual(sorted(y_te[:, 0]), [0, 1, 2])
        # statistics of the training rows only (fit_on="train"), or of all rows
        self.assertAlmostEqual(X_tr[:, 0].mean(), 0.0, places=12)
        X_all = nnblas.read_csv(self.path, seed=1, fit_on="all", **kw)[0]
        self.assertNotAlmostEqual(X_all[:, 0].mean(), 0.0, places=3)
        with self.assertRaises(nnblas.InvalidArgumentError):
            nnblas.read_csv(self.path, test_fraction=1.5, target="price",
                            text_columns=["color", "kind"], drop=["color", "kind"])

    def test_errors_name_file_line_column(self):
        bad = self.write("bad.csv", "a,b\n1,2\n3,abc\n")
        with self.assertRaises(nnblas.FormatError) as cm:
            nnblas.read_csv(bad, target="a")
        self.assertIn("bad.csv:3:2", str(cm.exception))
        with self.assertRaises(nnblas.FormatError) as cm:  # a text target taken as values
            nnblas.read_csv(bad, target="b")
        self.assertIn("column 'b'", str(cm.exception))
        self.assertIsInstance(cm.exception, ValueError)
        with self.assertRaises(nnblas.FileError) as cm:
            nnblas.read_csv(os.path.join(self.tmp.name, "missing.csv"))
        self.assertIn("missing.csv", str(cm.exception))
        self.assertIsInstance(cm.exception, OSError)
        with self.assertRaises(nnblas.InvalidArgumentError) as cm:
            nnblas.read_csv(self.path, target="nosuch", text_columns=["color", "kind"])
        self.assertIn("nosuch", str(cm.exception))
        with self.assertRaises(nnblas.InvalidArgumentError):
            nnblas.read_csv(self.path, target_encoding="bogus")
        with self.assertRaises(nnblas.InvalidArgumentError):
            nnblas.read_csv(self.path, delimiter=";;")
        with self.assertRaises(TypeError):
            nnblas.read_csv(self.path, one_hot=[1, 2])
        # (text_columns=[]: b is numeric, so "abc" makes a bad row rather than a text target)
        dropped = nnblas.read_csv(bad, target="b", drop_bad_rows=True, text_columns=[],
                                  standardize="none")[0]
        self.assertEqual(dropped.shape, (1, 1))

    def test_text_columns_found_as_the_command_finds_them(self):
        # no text_columns: the target, one-hot and drop columns holding text are read as text,
        # those holding only numbers as numbers (sorted numerically as categories)
        d = nnblas.read_csv(self.path, target="kind", target_encoding="onehot",
                            one_hot=["color", "size"], drop="id", standardize="none")
        explicit = nnblas.read_csv(self.path, target="kind", target_encoding="onehot",
                                   one_hot=["color", "size"], drop="id", standardize="none",
                                   text_columns=["color", "kind", "id"])
        np.testing.assert_array_equal(d[0], explicit[0])
        np.testing.assert_array_equal(d[1], explicit[1])
        self.assertEqual(d.classes, ["a", "b", "c"])
        cols = {c["name"]: c["text"] for c in d.prep.columns}
        self.assertEqual((cols["color"], cols["kind"], cols["size"]), (True, True, False))
        self.assertEqual(d.feature_names[:3], ["size_10", "size_20", "size_30"])
        self.assertEqual(d.prep.csv_options["text_columns"], ["color", "kind"])
        # a column of numbers with one text cell is text; 1e3, -.5, +2. are numbers; 0x1 is not
        odd = self.write("odd.csv", "x,t\n1e3,-.5\n2,+2.\n3,0x1\n")
        self.assertEqual(nnblas.read_csv(odd, target="t", target_encoding="onehot").classes,
                         ["+2.", "-.5", "0x1"])
        num = self.write("num.csv", "x,t\n1e3,-.5\n2,+2.\n3,7\n")
        X, y = nnblas.read_csv(num, target="t", standardize="none")
        np.testing.assert_array_equal(y[:, 0], [-0.5, 2.0, 7.0])
        np.testing.assert_array_equal(X[:, 0], [1000.0, 2.0, 3.0])

    def test_standardize_all_none_and_default(self):
        kw = dict(target="price", one_hot="color", drop=["id", "kind"])
        X_all, _ = nnblas.read_csv(self.path, standardize="all", **kw)
        X_true, _ = nnblas.read_csv(self.path, standardize=True, **kw)
        X_default, _ = nnblas.read_csv(self.path, **kw)
        X_none, _ = nnblas.read_csv(self.path, standardize="none", **kw)
        X_false, _ = nnblas.read_csv(self.path, standardize=False, **kw)
        size = np.arange(10, 101, 10.0)
        np.testing.assert_array_equal(X_none[:, 0], size)
        np.testing.assert_array_equal(X_false, X_none)
        np.testing.assert_allclose(X_all[:, 0], (size - size.mean()) / size.std(ddof=1),
                                   rtol=1e-15)
        np.testing.assert_array_equal(X_true, X_all)
        np.testing.assert_array_equal(X_default, X_all)  # the default: nnb_default_scale
        self.assertEqual(nnblas.vocabulary.default_scale(), "standard")
        np.testing.assert_array_equal(X_all[:, 1:], X_none[:, 1:])  # one-hot left as 0/1
        X_mm, _ = nnblas.read_csv(self.path, minmax="all", **kw)  # minmax alone: no default
        np.testing.assert_allclose(X_mm[:, 0], (size - 10) / 90, rtol=1e-15)

    def test_delimiter_and_prep_on_new_data(self):
        semi = self.write("semi.csv", CSV.replace(",", ";"))
        d = nnblas.read_csv(semi, target="price", delimiter=";", text_columns=["color", "kind"],
                            one_hot="color", drop=["id", "kind"], standardize="size",
                            test_fraction=0.2, seed=3)
        new = self.write("new.csv", "size;color;kind;id\n55;green;a;0\n10;red;b;1\n")
        X = d.prep.transform_csv(new, targets=False)
        self.assertEqual(X.shape, (2, 4))
        np.testing.assert_array_equal(X[:, 2:], [[1, 0], [0, 1]])
        unseen = self.write("unseen.csv", "size;color;kind;id\n5;purple;a;0\n")
        with self.assertRaises(nnblas.FormatError) as cm:
            d.prep.transform_csv(unseen, targets=False)
        self.assertIn("purple", str(cm.exception))
        # predictions back in the target's units
        kw = dict(target="price", drop=["color", "kind"], text_columns=["color", "kind"])
        raw = nnblas.read_csv(self.path, **kw)[1]
        d2 = nnblas.read_csv(self.path, standardize=["price"], **kw)
        self.assertAlmostEqual(d2[1].mean(), 0.0, places=12)
        np.testing.assert_allclose(d2.prep.inverse_targets(d2[1]), raw, rtol=1e-14)
        np.testing.assert_allclose(d2.prep.inverse_targets(d2[1][:, 0]), raw[:, 0], rtol=1e-14)


def write_idx(path, array, gz=False):
    array = np.asarray(array, dtype=np.uint8)
    head = struct.pack(">BBBB", 0, 0, 8, array.ndim) + b"".join(
        struct.pack(">I", d) for d in array.shape)
    opener = gzip.open if gz else open
    with opener(path, "wb") as f:
        f.write(head + array.tobytes())


class IdxTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.d = self.tmp.name
        rng = np.random.default_rng(0)
        self.images = {p: rng.integers(0, 256, (n, 28, 28)) for p, n in (("train", 50),
                                                                          ("t10k", 20))}
        self.labels = {p: rng.integers(0, 10, len(v)) for p, v in self.images.items()}
        for p in self.images:
            write_idx(os.path.join(self.d, "%s-images-idx3-ubyte.gz" % p), self.images[p], True)
            write_idx(os.path.join(self.d, "%s-labels-idx1-ubyte" % p), self.labels[p])

    def tearDown(self):
        self.tmp.cleanup()

    def test_read_idx(self):
        path = os.path.join(self.d, "train-images-idx3-ubyte.gz")
        self.assertEqual(nnblas.idx_info(path), (50, 784))
        X = nnblas.read_idx(path)
        np.testing.assert_array_equal(X, self.images["train"].reshape(50, 784) / 255.0)
        lab = os.path.join(self.d, "train-labels-idx1-ubyte")
        np.testing.assert_array_equal(nnblas.read_idx(lab), self.labels["train"])
        oh = nnblas.read_idx(lab, n_classes=10)
        np.testing.assert_array_equal(oh.argmax(axis=1), self.labels["train"])
        with self.assertRaises(nnblas.FormatError):
            nnblas.read_idx(lab, n_classes=3)  # a label >= 3
        trunc = os.path.join(self.d, "trunc")
        with open(lab, "rb") as f, open(trunc, "wb") as g:
            g.write(f.read()[:-5])
        with self.assertRaises(nnblas.FormatError):
            nnblas.read_idx(trunc)

    def test_mnist_folder(self):
        X, y = nnblas.read_mnist(self.d, "test")
        self.assertEqual((X.shape, y.shape), ((20, 784), (20, 10)))
        np.testing.assert_array_equal(y.argmax(axis=1), self.labels["t10k"])
        X_tr, X_te, y_tr, y_te = nnblas.load_mnist(self.d, one_hot=False, train_rows=30)
        self.assertEqual((X_tr.shape, y_tr.shape, X_te.shape), ((30, 784), (30,), (20, 784)))
        np.testing.assert_array_equal(y_tr, self.labels["train"][:30])
        d = nnblas.load_mnist(self.d, standardize=True)
        np.testing.assert_allclose(d[0].mean(axis=0), 0.0, atol=1e-12)
        self.assertEqual(d.prep.n_features, 784)
        with self.assertRaises(nnblas.FileError) as cm:
            nnblas.read_mnist(os.path.join(self.d, "nowhere"))
        self.assertIn("nowhere", str(cm.exception))
        with self.assertRaises(nnblas.InvalidArgumentError):
            nnblas.read_mnist(self.d, "validation")


class PrepTest(unittest.TestCase):
    def test_fit_matrix_and_transform(self):
        rng = np.random.default_rng(1)
        X = rng.standard_normal((100, 3)) * [1, 10, 100] + [0, 5, -5]
        X[:, 0] = 2.0  # constant: only centred
        p = nnblas.Prep.fit_matrix(X)
        Z = p.transform(X)
        self.assertIsNot(Z, X)
        np.testing.assert_allclose(Z[:, 1:].mean(axis=0), 0, atol=1e-12)
        np.testing.assert_allclose(Z[:, 1:].std(axis=0, ddof=1), 1, rtol=1e-12)
        np.testing.assert_array_equal(Z[:, 0], 0.0)
        self.assertEqual(p.constant_columns, ["x0"])
        W = X.copy()
        self.assertIs(p.transform(W, inplace=True), W)
        np.testing.assert_array_equal(W, Z)
        with self.assertRaises(nnblas.DTypeError):  # float32 in place: test_dtype
            p.transform(X.astype(np.int64), inplace=True)
        with self.assertRaises(nnblas.ShapeError):
            p.transform(X[:, :2])
        self.assertIn("3 features", repr(p))
        p.close()
        with self.assertRaises(nnblas.StateError):
            p.transform(X)


if __name__ == "__main__":
    unittest.main()
