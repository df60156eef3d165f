"""The tutorial's figures (../shared/data/seed-fixtures.json) through the Python binding: the
single gradient step, the 4-3-2 forward pass, the 3-2-1 backpropagation step, the admissions
preparation, and the loss tables of the single neuron and the 6-2-1 network trained with fit()."""
import unittest

import numpy as np

from support import fixtures, nnblas, shared_path


def assert_rel(test, got, want, tol):
    got, want = np.asarray(got, float), np.asarray(want, float)
    test.assertEqual(got.shape, want.shape)
    err = np.abs(got - want) / np.maximum(np.abs(want), 1e-300)
    test.assertTrue(np.all(err <= tol), "got %r, want %r (relative error %g)"
                    % (got, want, err.max()))


class TutorialTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.fx = fixtures()

    def test_single_step(self):
        f = self.fx["single_step"]
        net = nnblas.Net(4).add(1, "sigmoid", bias=False)
        net.set_layer(0, [f["w"]])
        x = np.array([f["x"]])
        out = net.predict(x)[0, 0]
        assert_rel(self, out, f["output"], 1e-12)
        assert_rel(self, f["y"] - out, f["error"], 1e-12)
        loss, grad = net.backprop(x, [f["y"]], "sse", "sum")
        assert_rel(self, loss, 0.5 * (f["y"] - out) ** 2, 1e-12)
        assert_rel(self, -f["learnrate"] * grad, f["del_w"], 1e-12)
        net.sgd_step(f["learnrate"])
        assert_rel(self, net.params - np.array(f["w"]), f["del_w"], 1e-12)

    def test_forward_4_3_2(self):
        f = self.fx["forward_4_3_2"]
        net = nnblas.Net([4, 3], activation="sigmoid", output="sigmoid", bias=False)
        net.set_layer(0, np.array(f["w_input_hidden"]).T)  # the tutorial's W is n_in x n_out
        x = np.array([f["x"]])
        assert_rel(self, net.predict(x)[0], f["hidden_output"], 1e-12)
        net.add(2, "sigmoid", bias=False)
        net.set_layer(1, np.array(f["w_hidden_output"]).T)
        assert_rel(self, net.predict(x)[0], f["output"], 1e-12)

    def test_backprop_3_2_1(self):
        f = self.fx["backprop_3_2_1"]
        net = nnblas.Net([3, 2, 1], activation="sigmoid", output="sigmoid", bias=False)
        net.set_layer(0, np.array(f["w_input_hidden"]).T)
        net.set_layer(1, [f["w_hidden_output"]])
        x = np.array([f["x"]])
        assert_rel(self, net.predict(x)[0, 0], f["output"], 1e-12)
        _, grad = net.backprop(x, [f["target"]], "sse", "sum")
        step = -f["learnrate"] * grad
        assert_rel(self, step[:6].reshape(2, 3).T, f["delta_w_input_hidden"], 1e-12)
        assert_rel(self, step[6:], f["delta_w_hidden_output"], 1e-12)


class AdmissionsTest(unittest.TestCase):
    """The tutorial standardises over all 400 rows before its split, so the data are read
    without a split here and the fixtures' rows are taken from them."""

    @classmethod
    def setUpClass(cls):
        cls.fx = fixtures()
        cls.data = nnblas.read_csv(shared_path("data", "admissions.csv"), target="admit",
                                   one_hot="rank", standardize=["gre", "gpa"])

    def test_preparation(self):
        X, y = self.data
        self.assertEqual(X.shape, (400, 6))
        self.assertEqual(y.shape, (400, 1))
        self.assertEqual(self.data.feature_names, self.fx["feature_order"])
        stats = self.fx["admissions_single_neuron"]["standardize"]
        for col in ("gre", "gpa"):
            s = self.data.prep.column_stats(col)
            self.assertEqual(s["scale"], "standard")
            assert_rel(self, s["a"], stats[col]["mean"], 1e-12)
            assert_rel(self, s["b"], stats[col]["std_ddof1"], 1e-12)

    def run_table(self, net, key, reduction, every):
        f = self.fx[key]
        X, y = self.data
        tr, te = f["train_rows"], f["test_rows"]
        Xtr, ytr = X[tr], y[tr]
        table = f["loss_every_%d_epochs_after_update" % every]
        seen = []

        def record(logs):
            if (logs["epoch"] - 1) % every == 0:
                seen.append(net.evaluate(Xtr, ytr, loss="mse", reduction="mean")[0])

        net.fit(Xtr, ytr, epochs=f["epochs"], batch_size=0, shuffle=False, optimizer="sgd",
                lr=f["learnrate"], loss="sse", reduction=reduction, callback=record)
        assert_rel(self, seen, table, 1e-9)
        self.assertEqual(net.evaluate(X[te], y[te])[1], f["test_accuracy"])

    def test_single_neuron_loss_table(self):
        f = self.fx["admissions_single_neuron"]
        net = nnblas.Net(6).add(1, "sigmoid", bias=False)
        net.set_layer(0, [f["initial_weights"]])
        self.run_table(net, "admissions_single_neuron", "sum", 100)

    def test_network_6_2_1_loss_table(self):
        f = self.fx["admissions_network_6_2_1"]
        net = nnblas.Net([6, 2, 1], activation="sigmoid", output="sigmoid", bias=False)
        net.set_layer(0, np.array(f["initial_w_input_hidden"]).T)
        net.set_layer(1, [f["initial_w_hidden_output"]])
        self.run_table(net, "admissions_network_6_2_1", "mean", 90)


class ReadmeExampleTest(unittest.TestCase):
    """The README's Python example (section "Python") runs as written, on the admissions data."""

    def test_readme_example(self):
        import os
        import re
        from support import REPO
        with open(os.path.join(REPO, "README.md")) as f:
            section = f.read().split("\n## Python\n", 1)[1].split("\n## ", 1)[0]
        code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
        here = os.getcwd()
        os.chdir(os.path.dirname(shared_path("data", "admissions.csv")))
        try:
            scope = {}
            exec(compile(code, "README.md (Python example)", "exec"), scope)
        finally:
            os.chdir(here)
        self.assertGreater(scope["accuracy"], 0.5)
        self.assertEqual(scope["probabilities"].shape, (40, 1))
        self.assertIn("val_loss", scope["history"])


if __name__ == "__main__":
    unittest.main()
