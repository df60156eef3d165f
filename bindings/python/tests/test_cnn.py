"""Convolutional networks in Python (issue 24): the layers in nnblas.Net (an input shape, the
words of --layers and the builder methods), numpy images (N, C, H, W), the getters, errors, model
bytes; and against PyTorch in float64 (torch.nn.functional.conv2d, max_pool2d, avg_pool2d,
linear, with autograd): the forward outputs and the gradient of every parameter of random CNNs
within 1e-12 relative (norm-wise, per tensor), and a few SGD and Adam steps of a small CNN with
copied weights following PyTorch's trajectory. The PyTorch part skips itself without torch."""
import unittest

import numpy as np

from support import nnblas

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # the tests below that need it skip themselves
    torch = None

needs_torch = unittest.skipIf(torch is None, "PyTorch (python3-torch) is not installed")

ISSUE = [(1, 28, 28), "conv32x3p1", "maxpool2", "conv64x3p1", "maxpool2", 128, 10]


class CnnApiTest(unittest.TestCase):
    def test_the_issue_network(self):
        net = nnblas.Net(ISSUE, output="softmax", dtype=np.float32)
        self.assertEqual(net.input_shape, (1, 28, 28))
        self.assertEqual([net.layer_kind(i) for i in range(6)],
                         ["conv2d", "maxpool", "conv2d", "maxpool", "dense", "dense"])
        self.assertEqual([net.layer_shape(i) for i in range(6)],
                         [(32, 28, 28), (32, 14, 14), (64, 14, 14), (64, 7, 7), (128, 1, 1),
                          (10, 1, 1)])
        self.assertEqual([net.layer_n_params(i) for i in range(6)],
                         [320, 0, 18496, 0, 401536, 1290])
        self.assertEqual(net.n_params, 421642)
        self.assertEqual(net.layer_window(2), {"kernel": (3, 3), "stride": (1, 1),
                                               "padding": (1, 1, 1, 1), "filters": 64})
        rng = np.random.default_rng(0)
        images = rng.uniform(0, 1, (5, 1, 28, 28)).astype(np.float32)
        np.testing.assert_array_equal(net.predict(images), net.predict(images.reshape(5, 784)))
        W, b = net.get_layer(2)
        self.assertEqual(W.shape, (64, 32, 3, 3))
        self.assertEqual(b.shape, (64,))
        W2 = rng.normal(size=W.shape)
        net.set_layer(2, W2, b)
        np.testing.assert_allclose(net.get_layer(2)[0], W2.astype(np.float32), rtol=0)
        self.assertEqual(net.get_layer(1)[0].shape, (0,))

    def test_builder_methods(self):
        net = nnblas.Net([(3, 7, 8)])
        net.add_conv2d(4, (3, 2), stride=(2, 3), padding="same", activation="tanh")
        net.add_avgpool(2, stride=1).add_maxpool((1, 2))
        net.add_conv2d(2, 1, padding=(0, 1, 1, 0), bias=False)
        net.add(3, "softmax")
        self.assertEqual(net.layer_shape(0), (4, 4, 3))  # ceil(7 / 2), ceil(8 / 3)
        self.assertEqual(net.layer_window(0)["padding"], (1, 1, 0, 0))
        self.assertEqual(net.layer_shape(1), (4, 3, 2))
        self.assertEqual(net.layer_shape(2), (4, 3, 1))
        self.assertEqual(net.layer_shape(3), (2, 4, 2))
        self.assertEqual(net.layer(4).n_in, 16)
        self.assertIsNone(net.get_layer(3)[1])
        self.assertIn("conv2d", repr([net.layer_kind(i) for i in range(5)]))

    def test_errors(self):
        net = nnblas.Net([(1, 6, 6)])
        with self.assertRaises(nnblas.InvalidArgumentError) as e:
            net.add_layer("conv8x3q1")
        self.assertIn("conv32x3p1", str(e.exception))
        with self.assertRaises(nnblas.ShapeError):
            net.add_conv2d(2, 9)
        with self.assertRaises(nnblas.InvalidArgumentError):
            net.add_conv2d(2, 3, stride=0)
        with self.assertRaises(nnblas.InvalidArgumentError):
            net.add_conv2d(2, 3, padding="valid")
        with self.assertRaises(nnblas.ShapeError):
            nnblas.Net([(2, 3, 3), 4])  # 18 inputs made from the shape: fine
            nnblas.Net(10).set_input_shape(3, 2, 2)
        self.assertEqual(net.n_layers, 0)
        net.add_layer("conv2x3p1").add_layer("maxpool2").add(3, "softmax")
        with self.assertRaises(nnblas.ShapeError):
            net.predict(np.zeros((2, 1, 5, 6)))
        with self.assertRaises(nnblas.InvalidArgumentError):
            net.layer_kind(3)

    def test_input_shape_keyword_and_the_ambiguous_tuple(self):
        a = nnblas.Net(["conv4x3p1", "maxpool2", 6, 2], input_shape=(2, 6, 4), output="softmax",
                       seed=4)
        b = nnblas.Net([(2, 6, 4), "conv4x3p1", "maxpool2", 6, 2], output="softmax", seed=4)
        self.assertEqual(a.input_shape, (2, 6, 4))
        self.assertEqual([a.layer_kind(i) for i in range(4)],
                         ["conv2d", "maxpool", "dense", "dense"])
        np.testing.assert_array_equal(a.params, b.params)
        empty = nnblas.Net(input_shape=[1, 5, 5])
        self.assertEqual((empty.n_inputs, empty.n_layers, empty.input_shape), (25, 0, (1, 5, 5)))
        self.assertEqual(nnblas.Net(25, input_shape=(1, 5, 5)).input_shape, (1, 5, 5))
        # (1, 28, 28) alone could be an image or three layer sizes: refused, with both spellings
        with self.assertRaises(nnblas.InvalidArgumentError) as e:
            nnblas.Net((1, 28, 28))
        self.assertIn("ambiguous", str(e.exception))
        self.assertIn("input_shape=(1, 28, 28)", str(e.exception))
        self.assertIn("Net([1, 28, 28])", str(e.exception))
        dense = nnblas.Net([1, 28, 28])  # the unambiguous spellings keep their meaning
        self.assertEqual((dense.n_inputs, dense.n_layers, dense.input_shape), (1, 2, (1, 1, 1)))
        self.assertEqual(nnblas.Net((6, 1)).n_layers, 1)
        self.assertEqual(nnblas.Net([(1, 28, 28)]).input_shape, (1, 28, 28))
        with self.assertRaises(nnblas.InvalidArgumentError) as e:
            nnblas.Net([(1, 4, 4), 3], input_shape=(1, 4, 4))
        self.assertIn("twice", str(e.exception))
        with self.assertRaises(nnblas.ShapeError):
            nnblas.Net(17, input_shape=(1, 4, 4))
        with self.assertRaises(nnblas.InvalidArgumentError):
            nnblas.Net([3], input_shape=(4, 4))
        with self.assertRaises(nnblas.InvalidArgumentError):
            nnblas.Net()
        with self.assertWarns(UserWarning) as w:  # 16 inputs listed as if without the keyword
            net = nnblas.Net([16, 8, 2], input_shape=(1, 4, 4))
        self.assertIn("layers lists the layers only", str(w.warning))
        self.assertEqual(net.layer(0).n_out, 16)

    def test_fit_and_model_bytes(self):
        rng = np.random.default_rng(3)
        X = rng.normal(size=(120, 2, 6, 6))
        y = (X[:, 0, :3].sum(axis=(1, 2)) > X[:, 1, 3:].sum(axis=(1, 2))).astype(int)
        net = nnblas.Net([(2, 6, 6), "conv4x3p1", "maxpool2", "avgpool3", 2], output="softmax",
                         seed=1)
        h = net.fit(X, y, epochs=30, lr=0.01, batch_size=16)
        self.assertLess(h["loss"][-1], h["loss"][0])
        back = nnblas.Net.from_bytes(net.to_bytes())
        self.assertEqual(back.input_shape, (2, 6, 6))
        self.assertEqual(back.layer_kind(2), "avgpool")
        np.testing.assert_array_equal(back.predict(X), net.predict(X))

    def test_a_dense_network_keeps_its_input_shape(self):
        # the shape of the images a dense network was made for survives the model file (a
        # non-essential section LAYR, format 1.2); without a shape the file is as before (1.0)
        for dtype in (np.float64, np.float32):
            net = nnblas.Net([(1, 4, 3), 5, 2], output="softmax", dtype=dtype, seed=2)
            self.assertEqual(net.layer_kind(0), "dense")
            data = net.to_bytes()
            self.assertEqual(data[10], 2)
            back = nnblas.Net.from_bytes(data)
            self.assertEqual(back.input_shape, (1, 4, 3))
            self.assertEqual(back.dtype, net.dtype)
            X = np.random.default_rng(1).normal(size=(3, 1, 4, 3))
            np.testing.assert_array_equal(back.predict(X), net.predict(X))
            plain = nnblas.Net([12, 5, 2], dtype=dtype)
            self.assertEqual(plain.to_bytes()[10], 1 if dtype == np.float32 else 0)
            self.assertEqual(nnblas.Net.from_bytes(plain.to_bytes()).input_shape, (12, 1, 1))


def torch_forward(spec, params, x):
    """The network `spec` (a list of ("conv", F, (kh, kw), (sh, sw), (t, b, l, r), act),
    ("max" | "avg", (kh, kw), (sh, sw)), ("dense", units, act)) in PyTorch on x (N, C, H, W);
    params: tensors in nnblas's order (each layer's W, then b)."""
    acts = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "identity": lambda t: t,
            "relu": torch.relu}
    i = 0
    for layer in spec:
        if layer[0] == "conv":
            _, _, _, stride, (t, b, l, r), act = layer
            x = F.conv2d(F.pad(x, (l, r, t, b)), params[i], params[i + 1], stride=stride)
            x, i = acts[act](x), i + 2
        elif layer[0] in ("max", "avg"):
            pool = F.max_pool2d if layer[0] == "max" else F.avg_pool2d
            x = pool(x, kernel_size=layer[1], stride=layer[2])
        else:
            x = x.reshape(x.shape[0], -1) if x.dim() == 4 else x
            x, i = acts[layer[2]](F.linear(x, params[i], params[i + 1])), i + 2
    return x.reshape(x.shape[0], -1)


def nnblas_net(shape, spec, seed):
    net = nnblas.Net([shape])
    for layer in spec:
        if layer[0] == "conv":
            _, f, k, s, pad, act = layer
            net.add_conv2d(f, k, stride=s, padding=pad, activation=act)
        elif layer[0] in ("max", "avg"):
            (net.add_maxpool if layer[0] == "max" else net.add_avgpool)(layer[1], layer[2])
        else:
            net.add(layer[1], layer[2])
    net.init("xavier_uniform", seed)
    rng = np.random.default_rng(seed)
    net.params = rng.normal(0, 0.5, net.n_params)  # biases too
    return net


def random_spec(rng):
    """A random CNN: kernels 1-5, strides 1-3, padding 0-2 on each side, 1-8 channels, odd and
    non-square inputs, pooling windows that do and do not divide their input."""
    c, h, w = int(rng.integers(1, 9)), int(rng.integers(5, 14)), int(rng.integers(5, 14))
    spec = []
    ch, cw = h, w
    for depth in range(2):
        pad = tuple(int(p) for p in rng.integers(0, 3, 4))
        kh = int(rng.integers(1, min(5, ch + pad[0] + pad[1]) + 1))
        kw = int(rng.integers(1, min(5, cw + pad[2] + pad[3]) + 1))
        sh, sw = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        f = int(rng.integers(1, 6))
        spec.append(("conv", f, (kh, kw), (sh, sw), pad, ("tanh", "sigmoid")[depth]))
        ch = (ch + pad[0] + pad[1] - kh) // sh + 1
        cw = (cw + pad[2] + pad[3] - kw) // sw + 1
        if depth == 0 and min(ch, cw) >= 2:
            ph, pw = int(rng.integers(1, min(3, ch) + 1)), int(rng.integers(1, min(3, cw) + 1))
            s = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
            spec.append((("max", "avg")[int(rng.integers(0, 2))], (ph, pw), s))
            ch, cw = (ch - ph) // s[0] + 1, (cw - pw) // s[1] + 1
    if rng.uniform() < 0.7:
        spec.append(("dense", int(rng.integers(1, 5)), "identity"))
    return (c, h, w), spec


def rel(got, want):
    scale = float(np.max(np.abs(want))) if want.size else 0.0
    return float(np.max(np.abs(got - want))) / scale if scale > 0 else float(np.max(np.abs(got)))


@needs_torch
class AgainstPyTorchTest(unittest.TestCase):
    CASES = 60

    def test_forward_and_gradients_of_random_cnns(self):
        rng = np.random.default_rng(2024)
        worst = 0.0
        for case in range(self.CASES):
            shape, spec = random_spec(rng)
            net = nnblas_net(shape, spec, case)
            rows = int(rng.integers(1, 6))
            X = rng.normal(size=(rows,) + shape)
            Y = rng.normal(size=(rows, net.n_outputs))
            flat = net.params
            tensors, at = [], 0
            for i in range(net.n_layers):
                W, b = net.get_layer(i)
                if W.size:
                    tensors += [torch.tensor(flat[at:at + W.size].reshape(W.shape),
                                             requires_grad=True),
                                torch.tensor(flat[at + W.size:at + W.size + b.size],
                                             requires_grad=True)]
                    at += W.size + b.size
            out = torch_forward(spec, tensors, torch.tensor(X))
            loss = 0.5 * ((out - torch.tensor(Y)) ** 2).sum()
            loss.backward()
            mine_out = net.predict(X)
            e = rel(mine_out, out.detach().numpy())
            self.assertLess(e, 1e-12, "case %d %s %s: forward %g" % (case, shape, spec, e))
            value, grad = net.backprop(X, Y, loss="sse", reduction="sum")
            self.assertLess(abs(value - loss.item()), 1e-12 * abs(loss.item()))
            at = 0
            for k, t in enumerate(tensors):
                g = grad[at:at + t.numel()].reshape(tuple(t.shape))
                e = max(e, rel(g, t.grad.numpy()))
                self.assertLess(e, 1e-12, "case %d %s %s: tensor %d %g" % (case, shape, spec, k,
                                                                            e))
                at += t.numel()
            worst = max(worst, e)
        print("%d random CNNs: largest relative difference from PyTorch %.3g"
              % (self.CASES, worst))

    def trajectory(self, optimizer, steps):
        rng = np.random.default_rng(7)
        spec = [("conv", 4, (3, 3), (1, 1), (1, 1, 1, 1), "relu"), ("max", (2, 2), (2, 2)),
                ("conv", 3, (3, 2), (1, 1), (1, 1, 0, 1), "tanh"), ("avg", (2, 2), (2, 2)),
                ("dense", 3, "softmax")]
        net = nnblas_net((2, 8, 9), spec, 11)
        X = rng.normal(size=(24, 2, 8, 9))
        labels = rng.integers(0, 3, 24)
        tensors, at = [], 0
        for i in range(net.n_layers):
            W, b = net.get_layer(i)
            if W.size:
                tensors += [torch.tensor(W, requires_grad=True), torch.tensor(b,
                                                                             requires_grad=True)]
        torch_spec = spec[:-1] + [("dense", 3, "identity")]  # logits; the loss has the softmax
        if optimizer == "sgd":
            opt = torch.optim.SGD(tensors, lr=0.1)
        else:
            opt = torch.optim.Adam(tensors, lr=0.01, betas=(0.9, 0.999), eps=1e-8)
        x, t = torch.tensor(X), torch.tensor(labels)
        for _ in range(steps):
            opt.zero_grad()
            F.cross_entropy(torch_forward(torch_spec, tensors, x), t).backward()
            opt.step()
        net.fit(X, labels, epochs=steps, batch_size=0, shuffle=False, optimizer=optimizer,
                lr=0.1 if optimizer == "sgd" else 0.01, loss="ce")
        theirs = np.concatenate([p.detach().numpy().ravel() for p in tensors])
        return net.params, theirs

    def test_sgd_trajectory(self):
        mine, theirs = self.trajectory("sgd", 8)
        np.testing.assert_allclose(mine, theirs, rtol=1e-11, atol=1e-13)

    def test_adam_trajectory(self):
        mine, theirs = self.trajectory("adam", 8)
        np.testing.assert_allclose(mine, theirs, rtol=1e-10, atol=1e-12)


if __name__ == "__main__":
    unittest.main()
