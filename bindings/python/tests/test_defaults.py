"""One set of defaults, and the scale warning (issue 15).

- The defaults the `nnblas` command actually uses (read from what it prints: its network and
  training lines, on a CSV file) against nnblas.Net / Net.fit and the scikit-learn estimators:
  equal where they should be (hidden activation, optimizer, learning rate, output and loss,
  initialisation, standardisation: all the C library's nnb_default_*), and different exactly
  where docs/python.md says why (the estimators follow scikit-learn's MLP conventions; Net and
  Net.fit the C API's nnb_net_create / nnb_train_opts_create).
- ScaleWarning: read_csv(standardize="none") and the estimators' standardize=False warn once when
  the features' standard deviations differ 100-fold or more, on the same files where the
  command's --standardize none prints its note, and not otherwise.
"""
import inspect
import os
import re
import subprocess
import tempfile
import unittest
import warnings

import numpy as np

from support import nnblas
from nnblas import vocabulary

try:
    from nnblas.sklearn import NNBClassifier, NNBRegressor
except ImportError:  # python3-sklearn missing
    NNBClassifier = NNBRegressor = None


def cli():
    exe = os.environ.get("NNBLAS_CLI")
    if not exe:
        raise unittest.SkipTest("NNBLAS_CLI is not set (run the tests through meson)")
    return exe


def write_csv(path, columns, rows, seed=5):
    """A CSV file of numeric feature columns {name: standard deviation}, a one-hot text column
    'colour' and a class column 'kind' (3 classes)."""
    rng = np.random.default_rng(seed)
    names = list(columns)
    with open(path, "w") as f:
        f.write(",".join(names + ["colour", "kind"]) + "\n")
        for i in range(rows):
            vals = ["%.17g" % (rng.normal() * columns[c] + 3) for c in names]
            f.write(",".join(vals + [("red", "blue")[i % 2], "k%d" % (i % 3)]) + "\n")


def command_settings(path):
    """What `nnblas train` did with its defaults: the hidden sizes and activation, the output,
    the optimizer, lr, batch and loss, from its network and training lines."""
    r = subprocess.run([cli(), "train", "--csv", path, "--target", "kind", "--one-hot", "colour",
                        "--epochs", "1"], capture_output=True, text=True)
    if r.returncode:
        raise AssertionError(r.stderr)
    net = re.search(r"^network: (\d+) -> (\d+) (\w+) -> (\d+) (\w+)", r.stdout, re.M)
    tr = re.search(r"^training: (\w+), lr ([\d.e-]+), batch (\d+), loss (\w+)", r.stdout, re.M)
    assert net and tr, r.stdout
    return {"hidden": (int(net.group(2)),), "activation": net.group(3), "output": net.group(5),
            "optimizer": tr.group(1), "lr": float(tr.group(2)), "batch": int(tr.group(3)),
            "loss": tr.group(4), "stderr": r.stderr}


def defaults(fn):
    return {k: p.default for k, p in inspect.signature(fn).parameters.items()
            if p.default is not inspect.Parameter.empty}


class DefaultsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.csv = os.path.join(cls.tmp.name, "d.csv")
        write_csv(cls.csv, {"a": 1.0, "b": 2.0}, 60)
        cls.cmd = command_settings(cls.csv)
        help_text = subprocess.run([cli(), "train", "--help"], capture_output=True,
                                   text=True).stdout
        cls.cmd_seed = int(re.search(r"--seed N .*?\(default (\d+)\)", help_text, re.S).group(1))

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_command_uses_the_library_defaults(self):
        c = self.cmd
        self.assertEqual(c["loss"], vocabulary.default_loss(c["output"], "onehot"))
        self.assertEqual(c["output"], vocabulary.default_output("onehot"))
        self.assertEqual(c["lr"], vocabulary.default_lr(c["optimizer"]))

    def test_net_and_fit_share_the_commands(self):
        net, fit = defaults(nnblas.Net.__init__), defaults(nnblas.Net.fit)
        self.assertEqual(vocabulary.canonical("activation", net["activation"]),
                         vocabulary.canonical("activation", self.cmd["activation"]))
        self.assertEqual(net["init"], "auto")  # nnb_default_init, as the command's --init auto
        self.assertEqual(vocabulary.canonical("optimizer", fit["optimizer"]),
                         self.cmd["optimizer"])
        self.assertIsNone(fit["lr"])      # nnb_default_lr, as the command
        self.assertIsNone(fit["loss"])    # nnb_default_loss, as the command
        self.assertEqual(fit["batch_size"], self.cmd["batch"])
        self.assertEqual(fit["reduction"], "mean")
        # read_csv scales as the command does: nnb_default_scale
        self.assertIsNone(defaults(nnblas.read_csv)["standardize"])
        self.assertEqual(vocabulary.default_scale(), "standard")
        # documented differences (docs/python.md, "Defaults"): Net's seed is nnb_net_create's 0,
        # the command's --seed 1; Net.fit's epochs are nnb_train_opts_create's 10, the
        # command's auto
        self.assertEqual((net["seed"], self.cmd_seed), (0, 1))
        self.assertEqual(fit["epochs"], 10)

    @unittest.skipIf(NNBClassifier is None, "python3-sklearn is not installed")
    def test_estimators_share_what_is_not_scikit_learns(self):
        X = np.random.default_rng(0).normal(size=(30, 3))
        for est, y, kind in ((NNBClassifier(), np.arange(30) % 3, "onehot"),
                             (NNBRegressor(), X[:, 0] * 2, "values")):
            with self.subTest(estimator=type(est).__name__):
                p = est.get_params()
                self.assertEqual(vocabulary.canonical("activation", p["activation"]),
                                 self.cmd["activation"])
                self.assertEqual(vocabulary.canonical("optimizer", p["solver"]),
                                 self.cmd["optimizer"])
                self.assertIsNone(p["learning_rate_init"])  # nnb_default_lr(solver)
                self.assertEqual(p["init"], "auto")
                self.assertIs(p["standardize"], True)
                est.set_params(max_iter=1, random_state=0).fit(X, y)
                layers = est.net_.layers
                self.assertEqual(layers[-1].activation, vocabulary.default_output(kind))
                self.assertEqual(layers[0].activation, self.cmd["activation"])
                # the scikit-learn conventions, documented with their reasons
                self.assertEqual(p["hidden_layer_sizes"], (100,))
                self.assertNotEqual(p["hidden_layer_sizes"], self.cmd["hidden"])
                self.assertEqual(p["batch_size"], "auto")
                self.assertIsNone(p["random_state"])
                self.assertEqual(p["max_iter"], 200)


def scale_warnings(fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fn()
    return [w for w in caught if issubclass(w.category, nnblas.ScaleWarning)]


class ScaleWarningTest(unittest.TestCase):
    CASES = {  # file: feature standard deviations; does it warn with scaling off?
        "wide": ({"small": 0.01, "mid": 1.0, "big": 500.0}, True),
        "below": ({"a": 1.0, "b": 70.0}, False),
        "narrow": ({"a": 1.0, "b": 5.0}, False),
        # a one-hot column (0/1) is not a feature scale: 200 against it does not count
        "with_onehot": ({"a": 200.0}, False),
    }

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.tmp.cleanup()

    def test_read_csv_warns_as_the_command_notes(self):
        for name, (cols, expected) in self.CASES.items():
            with self.subTest(case=name):
                path = os.path.join(self.tmp.name, name + ".csv")
                write_csv(path, cols, 300)
                got = scale_warnings(lambda: nnblas.read_csv(
                    path, "kind", target_encoding="onehot", one_hot="colour",
                    standardize="none"))
                self.assertEqual(len(got), 1 if expected else 0, [str(w.message) for w in got])
                r = subprocess.run([cli(), "train", "--csv", path, "--target", "kind",
                                    "--one-hot", "colour", "--standardize", "none", "--epochs",
                                    "1", "--quiet", "--test", "0"],
                                   capture_output=True, text=True)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertEqual("note: the features' scales differ" in r.stderr, expected,
                                 r.stderr)
                if expected:
                    msg = str(got[0].message)
                    self.assertIn("'big'", msg)
                    self.assertIn("'small'", msg)
                    self.assertEqual(got[0].filename, __file__)  # points at the caller
                # scaled (the default, or every column named): no warning
                self.assertEqual(scale_warnings(lambda: nnblas.read_csv(
                    path, "kind", target_encoding="onehot", one_hot="colour")), [])
                self.assertEqual(scale_warnings(lambda: nnblas.read_csv(
                    path, "kind", target_encoding="onehot", one_hot="colour",
                    standardize=list(cols), test_fraction=0.2)), [])
        self.assertTrue(issubclass(nnblas.ScaleWarning, UserWarning))
        self.assertIn("ScaleWarning", nnblas.__all__)

    @unittest.skipIf(NNBClassifier is None, "python3-sklearn is not installed")
    def test_estimators_warn_once_with_standardize_false(self):
        rng = np.random.default_rng(1)
        X = rng.normal(size=(80, 3)) * np.array([1e-3, 1.0, 1e3])
        y = (X[:, 1] > 0).astype(int)
        for est, target in ((NNBClassifier, y), (NNBRegressor, X[:, 1])):
            with self.subTest(estimator=est.__name__):
                model = est(standardize=False, max_iter=2, warm_start=True, random_state=0)
                got = scale_warnings(lambda: model.fit(X, target))
                self.assertEqual(len(got), 1)
                self.assertIn("'x2'", str(got[0].message))
                self.assertIn("'x0'", str(got[0].message))
                self.assertEqual(got[0].filename, __file__)
                # the same estimator continuing (warm start, partial_fit): no second warning
                self.assertEqual(scale_warnings(lambda: model.fit(X, target)), [])
                self.assertEqual(scale_warnings(lambda: model.partial_fit(X, target)), [])
                # scaled by default, or features of alike scales: none
                self.assertEqual(scale_warnings(lambda: est(max_iter=2).fit(X, target)), [])
                self.assertEqual(scale_warnings(lambda: est(standardize=False, max_iter=2).fit(
                    X[:, 1:2] * [[3.0]], target)), [])


if __name__ == "__main__":
    unittest.main()
