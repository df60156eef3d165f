"""nnblas against PyTorch (float64), where docs/definitions.md says they agree: gradient clipping
(clip_grad_norm_, clip_grad_value_), the learning-rate schedules (torch.optim.lr_scheduler) and
the loss totals against an exact sum (math.fsum). Skipped when torch is not installed."""
import math
import unittest

import numpy as np

from support import nnblas

try:
    import torch
except ImportError:  # every test below skips itself; run.py then exits 77
    torch = None

needs_torch = unittest.skipIf(torch is None, "PyTorch (python3-torch) is not installed")


def torch_twin(net):
    """A torch.nn.Sequential of float64 Linear layers with the network's weights and its
    activations (tanh hidden, identity output: the networks below)."""
    mods = []
    for i in range(net.n_layers):
        W, b = net.get_layer(i)
        lin = torch.nn.Linear(W.shape[1], W.shape[0], dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(W))
            lin.bias.copy_(torch.from_numpy(b))
        mods.append(lin)
        if i + 1 < net.n_layers:
            mods.append(torch.nn.Tanh())
    return torch.nn.Sequential(*mods)


def torch_params(model):
    return np.concatenate([t.detach().numpy().ravel() for m in model
                           if isinstance(m, torch.nn.Linear) for t in (m.weight, m.bias)])


@needs_torch
class ClippingTest(unittest.TestCase):
    """Full-batch steps with clipping, nnblas's fit against the PyTorch loop that does the
    same: backward, clip_grad_value_, clip_grad_norm_, optimizer.step()."""

    def run_both(self, opt, steps, clip_norm=0.0, clip_value=0.0, wd=0.0, lr=0.01):
        rng = np.random.default_rng(5)
        X = rng.uniform(-1, 1, (32, 4))
        Y = 50 * rng.uniform(-1, 1, (32, 2))  # a large gradient, clipped on every step
        net = nnblas.Net([4, 8, 2], activation="tanh", output="identity", seed=3)
        model = torch_twin(net)
        net.fit(X, Y, epochs=steps, batch_size=0, lr=lr, optimizer=opt, loss="sse",
                reduction="mean", clip_norm=clip_norm, clip_value=clip_value,
                weight_decay=wd)
        if opt == "rmsprop":
            topt = torch.optim.RMSprop(model.parameters(), lr=lr, alpha=0.99, eps=1e-8,
                                       weight_decay=wd)
        else:
            topt = torch.optim.SGD(model.parameters(), lr=lr, weight_decay=wd)
        x, y = torch.from_numpy(X), torch.from_numpy(Y)
        for _ in range(steps):
            topt.zero_grad()
            loss = 0.5 * ((model(x) - y) ** 2).sum() / x.shape[0]  # SSE, mean over rows
            loss.backward()
            if clip_value:
                torch.nn.utils.clip_grad_value_(model.parameters(), clip_value)
            if clip_norm:
                torch.nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
            topt.step()
        return net.params, torch_params(model)

    def test_clip_grad_norm(self):
        # 50 RMSprop steps: max_norm / ||g|| instead of max_norm / (||g|| + 1e-6) would be
        # 1e-5 away here
        mine, theirs = self.run_both("rmsprop", 50, clip_norm=1.0)
        np.testing.assert_allclose(mine, theirs, rtol=1e-11, atol=1e-13)
        mine, theirs = self.run_both("sgd", 20, clip_norm=0.5, wd=0.01)
        np.testing.assert_allclose(mine, theirs, rtol=1e-12, atol=1e-14)

    def test_clip_grad_value(self):
        mine, theirs = self.run_both("sgd", 20, clip_value=0.05, wd=0.01)
        np.testing.assert_allclose(mine, theirs, rtol=1e-12, atol=1e-14)
        mine, theirs = self.run_both("rmsprop", 30, clip_value=0.05, clip_norm=0.2)
        np.testing.assert_allclose(mine, theirs, rtol=1e-11, atol=1e-13)


class LossTotalTest(unittest.TestCase):
    """The loss of 2e5 rows is within 4u of math.fsum over the per-row losses (torch or not)."""

    def test_against_fsum(self):
        rows, k = 200000, 3
        rng = np.random.default_rng(8)
        X = rng.uniform(-4, 4, (rows, k))
        labels = rng.integers(0, k, rows)
        for loss, out in (("ce", "softmax"), ("bce", "sigmoid"), ("sse", "identity")):
            net = nnblas.Net(k)
            net.add(k, out)
            net.set_layer(0, np.eye(k), np.zeros(k))  # the logits are X, exactly
            Y = np.eye(k)[labels] if loss == "ce" else rng.uniform(0, 1, (rows, k))
            if loss == "ce":
                terms = [math.log(math.fsum(math.exp(v) for v in r)) - r[c]
                         for r, c in zip(X.tolist(), labels.tolist())]
            elif loss == "bce":
                terms = [(max(z, 0) + math.log1p(math.exp(-abs(z))) - t * z) / k
                         for z, t in zip(X.ravel().tolist(), Y.ravel().tolist())]
            else:
                terms = [0.5 * (z - t) ** 2 for z, t in zip(X.ravel().tolist(),
                                                            Y.ravel().tolist())]
            exact = math.fsum(terms)
            got = net.loss(X, Y, loss=loss, reduction="sum")
            self.assertLessEqual(abs(got - exact), 4 * 2.0 ** -53 * exact, loss)


if __name__ == "__main__":
    unittest.main()
