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



@needs_torch
class ScheduleTest(unittest.TestCase):
    """The learning rate of every epoch (history["lr"]) against torch.optim.lr_scheduler, stepped
    once per epoch, wherever the definitions agree: StepLR, ExponentialLR, CosineAnnealingLR up to
    T (after T nnblas holds lr_min where PyTorch's cosine rises again), and
    CosineAnnealingWarmRestarts throughout. Also: two fits of 6 epochs equal one of 12."""

    LR = 0.05

    def nnblas_lrs(self, schedule, epochs, calls=1):
        rng = np.random.default_rng(1)
        X, Y = rng.uniform(-1, 1, (16, 3)), rng.uniform(-1, 1, (16, 1))
        net = nnblas.Net([3, 4, 1], activation="tanh", output="identity", seed=2)
        lrs = []
        for _ in range(calls):
            lrs += net.fit(X, Y, epochs=epochs // calls, lr=self.LR, optimizer="adam",
                           batch_size=4, schedule=schedule)["lr"]
        return np.array(lrs), net.params

    def torch_lrs(self, make, epochs):
        opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=self.LR)
        sched = make(opt)
        lrs = []
        for _ in range(epochs):
            lrs.append(opt.param_groups[0]["lr"])
            opt.step()
            sched.step()
        return np.array(lrs)

    def check(self, schedule, make, epochs, agree=None):
        mine, _ = self.nnblas_lrs(schedule, epochs)
        theirs = self.torch_lrs(make, epochs)
        agree = epochs if agree is None else agree
        np.testing.assert_allclose(mine[:agree], theirs[:agree], rtol=1e-13, atol=0)
        return mine, theirs

    def test_step_and_exponential(self):
        S = torch.optim.lr_scheduler
        self.check(("step", 3, 0.5), lambda o: S.StepLR(o, step_size=3, gamma=0.5), 12)
        self.check(("exponential", 0.9), lambda o: S.ExponentialLR(o, gamma=0.9), 12)

    def test_cosine_holds_after_T(self):
        S = torch.optim.lr_scheduler
        mine, theirs = self.check(("cosine", 8, 0.001),
                                  lambda o: S.CosineAnnealingLR(o, T_max=8, eta_min=0.001), 14,
                                  agree=9)
        np.testing.assert_array_equal(mine[8:], 0.001)  # held at lr_min past T
        self.assertGreater(theirs[12], 0.002)  # where PyTorch's rises again

    def test_warm_restarts(self):
        S = torch.optim.lr_scheduler
        for t0, mult in ((3, 1), (2, 2)):
            self.check(("cosine_restarts", t0, 0.001, mult),
                       lambda o: S.CosineAnnealingWarmRestarts(o, T_0=t0, T_mult=mult,
                                                               eta_min=0.001), 15)

    def test_split_fits_equal_one(self):
        for schedule in (("step", 3, 0.5), ("cosine", 12, 0.001), ("sgdr", 4, 0.0, 2)):
            lr1, p1 = self.nnblas_lrs(schedule, 12)
            lr2, p2 = self.nnblas_lrs(schedule, 12, calls=2)
            np.testing.assert_array_equal(lr1, lr2)
            np.testing.assert_array_equal(p1, p2)


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
