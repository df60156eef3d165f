"""fit(): the same bits as the C API for the same seed and options (checked against a C program
that uses nnb_net_train directly), callbacks (stop, exceptions), history, validation, early
stopping, resuming."""
import contextlib
import io
import unittest

import numpy as np

from support import c_reference, nnblas, reference_data


def xor():
    return np.array([[0, 0], [0, 1], [1, 0], [1, 1]], float), np.array([0, 1, 1, 0], float)


class SameAsCTest(unittest.TestCase):
    """Each case trains in C (tests/c_reference.c) and in Python; weights, per-epoch losses and
    predictions must be identical, bit for bit."""

    CASES = [
        # full-batch gradient descent, the tutorial's kind of run
        dict(layers=[4, 8, 1], act="sigmoid", out="sigmoid", init="normal_fanin", seed=3,
             opt="sgd", lr=0.5, batch=0, loss="sse", red="sum", shuffle=0, epochs=5),
        # Adam, shuffled mini-batches, dropout, weight decay, a seeded validation split
        dict(layers=[5, 16, 8, 3], act="relu", out="softmax", init="he_normal", seed=11,
             opt="adam", lr=0.01, batch=8, loss="ce", red="mean", dropout=0.2, wd=1e-3,
             val=0.25, fitseed=5, epochs=4),
        # Nesterov, tanh, BCE, no bias, orthogonal init
        dict(layers=[3, 6, 2], act="tanh", out="sigmoid", init="orthogonal", seed=2,
             opt="nesterov", lr=0.1, batch=5, loss="bce", red="mean", bias=0, epochs=3),
        # RMSprop regression with identity output, summed MSE
        dict(layers=[6, 10, 2], act="leaky_relu", out="identity", init="xavier_uniform", seed=9,
             opt="rmsprop", lr=0.003, batch=16, loss="mse", red="sum", epochs=3),
    ]

    def check_case(self, case):
        args = ["%s=%s" % (k, ",".join(map(str, v)) if isinstance(v, list) else v)
                for k, v in case.items()]
        rows = case.get("rows", 64)
        c = c_reference("train", "rows=%d" % rows, *args)

        layers = case["layers"]
        x, y = reference_data(rows, layers[0], layers[-1], case["out"] == "softmax")
        net = nnblas.Net(layers, activation=case["act"], output=case["out"],
                         bias=bool(case.get("bias", 1)), init=case["init"], seed=case["seed"])
        h = net.fit(x, y, epochs=case["epochs"], batch_size=case["batch"], lr=case["lr"],
                    optimizer=case["opt"], loss=case["loss"], reduction=case["red"],
                    shuffle=bool(case.get("shuffle", 1)), dropout=case.get("dropout", 0.0),
                    weight_decay=case.get("wd", 0.0), validation_split=case.get("val", 0.0),
                    seed=case.get("fitseed"))
        np.testing.assert_array_equal(np.array(h["loss"]), c["loss"])
        np.testing.assert_array_equal(net.params, c["params"])
        np.testing.assert_array_equal(net.predict(x).ravel(), c["predict"])

    def test_cases(self):
        for i, case in enumerate(self.CASES):
            with self.subTest(case=i, opt=case["opt"]):
                self.check_case(case)


class FitTest(unittest.TestCase):
    def test_xor_and_history(self):
        X, y = xor()
        net = nnblas.Net([2, 8, 1], activation="tanh", output="sigmoid", seed=42)
        h = net.fit(X, y, epochs=1500, batch_size=0, optimizer="adam", lr=0.05, loss="bce")
        self.assertEqual(sorted(h), sorted(["epoch", "loss", "accuracy", "seconds", "lr",
                                            "samples_per_s"]))
        self.assertEqual(h["epoch"], list(range(1, 1501)))
        self.assertEqual(h["accuracy"][-1], 1.0)
        self.assertLess(h["loss"][-1], 0.01)
        self.assertEqual(h.best_epoch, int(np.argmin(h["loss"])) + 1)
        self.assertFalse(h.stopped_early or h.stopped_by_callback)
        loss, acc = net.evaluate(X, y)  # the loss of the last fit: BCE
        self.assertEqual(acc, 1.0)
        self.assertAlmostEqual(loss, net.loss(X, y, "bce", "mean"), places=15)
        np.testing.assert_array_equal(net.predict(X).ravel() > 0.5, y > 0.5)
        # regression output: accuracy undefined
        self.assertTrue(np.isnan(nnblas.Net([2, 1], output="identity").evaluate(X, y)[1]))

    def test_resuming_equals_one_run(self):
        X, y = xor()
        a = nnblas.Net([2, 4, 1], activation="tanh", output="sigmoid", seed=1)
        b = nnblas.Net([2, 4, 1], activation="tanh", output="sigmoid", seed=1)
        kw = dict(batch_size=2, optimizer="adam", lr=0.05, loss="bce", dropout=0.1)
        a.fit(X, y, epochs=10, **kw)
        b.fit(X, y, epochs=4, **kw)
        h = b.fit(X, y, epochs=6, **kw)
        self.assertEqual(h["epoch"], list(range(5, 11)))
        np.testing.assert_array_equal(a.params, b.params)
        # a checkpoint: params + training state into a fresh network continue bit for bit
        c = nnblas.Net([2, 4, 1], activation="tanh", output="sigmoid", seed=1)
        c.fit(X, y, epochs=4, **kw)
        d = nnblas.Net([2, 4, 1], activation="tanh", output="sigmoid")
        d.params, d.train_state = c.params, c.train_state
        c.fit(X, y, epochs=3, **kw)
        d.fit(X, y, epochs=3, **kw)
        np.testing.assert_array_equal(c.params, d.params)
        with self.assertRaises(nnblas.FormatError):
            d.train_state = b"not a training state"
        d.reset_train_state()

    def test_validation_and_early_stopping(self):
        rng = np.random.default_rng(3)
        X = rng.standard_normal((200, 4))
        y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(float)
        net = nnblas.Net([4, 16, 1], activation="relu", output="sigmoid", seed=3)
        h = net.fit(X[:150], y[:150], validation_data=(X[150:], y[150:]), epochs=400,
                    batch_size=16, optimizer="adam", lr=0.05, loss="bce", patience=5)
        self.assertIn("val_loss", h)
        self.assertIn("val_accuracy", h)
        self.assertTrue(h.stopped_early)
        self.assertLess(len(h["epoch"]), 400)
        self.assertEqual(h.best_loss, min(h["val_loss"]))
        # restore_best: the weights are the best epoch's
        self.assertAlmostEqual(net.evaluate(X[150:], y[150:])[0], h.best_loss, places=12)
        h2 = nnblas.Net([4, 4, 1], output="sigmoid").fit(X, y, epochs=2, validation_split=0.2,
                                                         loss="bce")
        self.assertEqual(len(h2["val_loss"]), 2)
        with self.assertRaises(nnblas.InvalidArgumentError):
            net.fit(X, y, validation_split=0.2, validation_data=(X, y))
        with self.assertRaises(nnblas.ShapeError):
            net.fit(X, y, validation_data=(X[:, :3], y))

    def test_schedule_values_are_counted(self):
        # extra values are an error, not ignored (issue 26); too few for step/exponential too;
        # a cosine period between 0 and 1 is refused by the library (the rate would be lr_min
        # from the second epoch)
        X, y = xor()
        net = nnblas.Net([2, 3, 1], activation="tanh", output="sigmoid", seed=1)
        for bad in [("step", 1, 0.5, 99), ("step", 2), ("exponential", 0.9, 1),
                    ("cosine", 10, 0.0, 2), ("sgdr", 4, 0.0, 2, 7), ("constant", 1)]:
            with self.subTest(schedule=bad):
                with self.assertRaises(nnblas.InvalidArgumentError) as cm:
                    net.fit(X, y, epochs=1, schedule=bad)
                self.assertIn("schedule", str(cm.exception))
        with self.assertRaises(nnblas.InvalidArgumentError) as cm:
            net.fit(X, y, epochs=1, schedule=("cosine", 0.5))
        self.assertIn("period", str(cm.exception))
        for good in [("cosine", 4), ("cosine",), ("sgdr", 2, 0.0, 2), ("step", 1, 0.5)]:
            with self.subTest(schedule=good):
                self.assertEqual(len(net.fit(X, y, epochs=2, schedule=good)["loss"]), 2)

    def test_options_reach_c(self):
        X, y = xor()
        net = nnblas.Net([2, 3, 1], activation="tanh", output="sigmoid", seed=1)
        h = net.fit(X, y, epochs=6, lr=0.1, schedule=("step", 2, 0.5), batch_size=0)
        self.assertEqual(h["lr"], [0.1, 0.1, 0.05, 0.05, 0.025, 0.025])
        h = net.fit(X, y, epochs=2, optimizer="adamw", betas=(0.8, 0.9), eps=1e-6,
                    weight_decay=0.01, clip_norm=1.0)
        self.assertEqual(len(h["loss"]), 2)
        with self.assertRaises(nnblas.InvalidArgumentError) as cm:
            net.fit(X, y, dropout=1.5)
        self.assertIn("dropout", str(cm.exception))
        with self.assertRaises(nnblas.InvalidArgumentError):
            net.fit(X, y, optimizer="sgd-ish")
        with self.assertRaises(nnblas.InvalidArgumentError):
            net.fit(X, y, loss="ce")  # CE needs a softmax output: the C message
        with self.assertRaises(nnblas.InvalidArgumentError):
            net.fit(X, y, epochs=0)
        lin = nnblas.Net([2, 1], output="identity", seed=1)
        with self.assertRaises(nnblas.NonFiniteError) as cm:
            lin.fit(X * 1e200, y, lr=1e200, epochs=5, check_finite=True, batch_size=0)
        self.assertIn("epoch", str(cm.exception))
        self.assertTrue(np.all(np.isfinite(lin.params)))
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            net.fit(X, y, epochs=2, verbose=1, loss="bce")
        self.assertEqual(out.getvalue().count("\n"), 2)
        self.assertIn("accuracy", out.getvalue())


class CallbackTest(unittest.TestCase):
    def setUp(self):
        self.X, self.y = xor()
        self.net = nnblas.Net([2, 4, 1], activation="tanh", output="sigmoid", seed=1)

    def test_callback_gets_a_dict_per_epoch(self):
        logs = []
        h = self.net.fit(self.X, self.y, epochs=3, loss="bce", callback=logs.append,
                         validation_data=(self.X, self.y))
        self.assertEqual([l["epoch"] for l in logs], [1, 2, 3])
        self.assertEqual(sorted(logs[0]), sorted(["epoch", "loss", "val_loss", "accuracy",
                                                  "val_accuracy", "seconds", "lr",
                                                  "samples_per_s", "loss_went_up"]))
        self.assertEqual([l["loss"] for l in logs], h["loss"])
        # the record's fields, read through nnb_epoch_info, equal the history's columns
        for key in ("val_loss", "accuracy", "seconds", "lr", "samples_per_s"):
            self.assertEqual([l[key] for l in logs], h[key], key)
        logs = []
        self.net.fit(self.X, self.y, epochs=4, optimizer="sgd", lr=0.4, callback=logs.append,
                     schedule=("step", 2, 0.5))
        self.assertEqual([l["lr"] for l in logs], [0.4, 0.4, 0.2, 0.2])

    def test_returning_false_stops(self):
        seen = []

        def stop_at_3(logs):
            seen.append(logs["epoch"])
            return logs["epoch"] < 3

        h = self.net.fit(self.X, self.y, epochs=100, callback=stop_at_3)
        self.assertEqual(seen, [1, 2, 3])
        self.assertEqual(h["epoch"], [1, 2, 3])
        self.assertTrue(h.stopped_by_callback)
        # None or True continue
        h = self.net.fit(self.X, self.y, epochs=2, callback=[lambda logs: None, lambda l: True])
        self.assertEqual(len(h["epoch"]), 2)

    def test_exception_stops_and_is_reraised(self):
        class Boom(Exception):
            pass

        calls = []

        def boom(logs):
            calls.append(logs["epoch"])
            if logs["epoch"] == 2:
                raise Boom("from the callback")

        with self.assertRaises(Boom) as cm:
            self.net.fit(self.X, self.y, epochs=50, callback=boom)
        self.assertEqual(str(cm.exception), "from the callback")
        self.assertEqual(calls, [1, 2])
        # the network is usable afterwards, and training went on from epoch 3
        h = self.net.fit(self.X, self.y, epochs=1)
        self.assertEqual(h["epoch"], [3])

        def interrupt(logs):
            raise KeyboardInterrupt

        with self.assertRaises(KeyboardInterrupt):
            self.net.fit(self.X, self.y, epochs=5, callback=interrupt)

    def test_callback_may_read_but_not_change_the_network(self):
        accs = []
        self.net.fit(self.X, self.y, epochs=3, loss="bce", callback=lambda logs: accs.append(
            (self.net.evaluate(self.X, self.y), self.net.evaluate(self.X, self.y, "bce"))))
        self.assertEqual(len(accs), 3)
        for default, bce in accs:  # evaluate() defaults to the loss being trained
            self.assertEqual(default, bce)
        with self.assertRaises(nnblas.StateError) as cm:
            self.net.fit(self.X, self.y, epochs=3,
                         callback=lambda logs: self.net.init("he_normal", 1))
        self.assertIn("callback", str(cm.exception))
        with self.assertRaises(TypeError):
            self.net.fit(self.X, self.y, callback=42)


if __name__ == "__main__":
    unittest.main()
