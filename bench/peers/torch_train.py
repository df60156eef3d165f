#!/usr/bin/python3
"""PyTorch peer: plain nn.Sequential + torch.optim.SGD on the nnblas-bench train workloads.

float64 by default (--float32 for the reference point). Best configuration on a 2-core machine
for the dense workloads: torch.set_num_threads(1) (--torch-threads) with OpenBLAS, which Debian's
torch uses for its matrix products, at 2 threads (OPENBLAS_NUM_THREADS, set by bench/compare
before this starts); with both at 2 they fight over the cores.

The convolutional workloads (--workload cnn-fashion, common.CNN_WORKLOADS): nn.Conv2d, nn.ReLU,
nn.MaxPool2d / nn.AvgPool2d, nn.Flatten and nn.Linear in the token order, softmax + cross-entropy
from the logits (nn.CrossEntropyLoss), torch.optim.Adam (lr 1e-3), the images as an (N, C, H, W)
tensor of the training type. PyTorch convolves float32 with oneDNN, threaded by
torch.set_num_threads, and float64 with its own im2col + BLAS; which thread setting is best
differs from the dense workloads, so bench/compare runs the CNNs at several (see there). Each
record carries torch_threads, blas_threads (OPENBLAS_NUM_THREADS) and max_rss_mib.
"""
import os

import numpy as np
import torch

from common import CNN_WORKLOADS, parse_args, run, run_cnn


def extra(p):
    p.add_argument("--float32", action="store_true", help="float32 instead of float64")
    p.add_argument("--torch-threads", type=int, default=1, help="torch.set_num_threads (default 1)")


def cnn_model(layers, shape):
    """The network of common.cnn_layers() in torch.nn modules: ReLU after every layer but the
    last, whose logits go to the loss."""
    mods, params = [], [l for l in layers if l["kind"] in ("conv", "dense")]
    for lay in layers:
        if lay["kind"] == "conv":
            mods.append(torch.nn.Conv2d(lay["in"][0], lay["f"], lay["k"], stride=lay["stride"],
                                        padding=lay["pad"]))
        elif lay["kind"] == "maxpool":
            mods.append(torch.nn.MaxPool2d(lay["k"], stride=lay["stride"]))
        elif lay["kind"] == "avgpool":
            mods.append(torch.nn.AvgPool2d(lay["k"], stride=lay["stride"]))
        else:
            if len(lay["in"]) > 1:
                mods.append(torch.nn.Flatten())
            mods.append(torch.nn.Linear(lay["n_in"], lay["n"]))
        if lay["kind"] in ("conv", "dense") and lay is not params[-1]:
            mods.append(torch.nn.ReLU())
    return torch.nn.Sequential(*mods)


def main():
    args = parse_args("torch", extra)
    dtype = torch.float32 if args.float32 else torch.float64
    torch.set_num_threads(args.torch_threads)
    system = "torch-" + ("float32" if args.float32 else "float64")
    gen = torch.Generator().manual_seed(1)

    def train_epoch(sizes, x, y, batch, state):
        if state is None:
            layers = []
            for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
                layers.append(torch.nn.Linear(a, b))
                if i < len(sizes) - 2 or y.shape[1] == 1:
                    layers.append(torch.nn.Sigmoid())
            model = torch.nn.Sequential(*layers).to(dtype)
            opt = torch.optim.SGD(model.parameters(), lr=0.01)
            xt = torch.from_numpy(x).to(dtype)
            if y.shape[1] == 1:  # w1: sigmoid output, squared error
                yt = torch.from_numpy(y).to(dtype)
                loss_fn = torch.nn.MSELoss(reduction="sum")
            else:  # softmax + cross-entropy from the logits
                yt = torch.from_numpy(np.argmax(y, axis=1))
                loss_fn = torch.nn.CrossEntropyLoss()
            state = (model, opt, xt, yt, loss_fn)
        model, opt, xt, yt, loss_fn = state
        n = xt.shape[0]
        perm = torch.randperm(n, generator=gen) if batch < n else None
        for i in range(0, n, batch):
            idx = slice(i, i + batch) if perm is None else perm[i:i + batch]
            xb, yb = xt[idx], yt[idx]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
        return state

    def cnn_epoch(layers, shape, x, labels, batch, state):
        if state is None:
            torch.manual_seed(1)
            model = cnn_model(layers, shape).to(dtype)
            opt = torch.optim.Adam(model.parameters(), lr=1e-3)
            xt = torch.from_numpy(x).view(x.shape[0], *shape)  # no copy: x is already `dtype`
            state = (model, opt, xt, torch.from_numpy(labels), torch.nn.CrossEntropyLoss())
        model, opt, xt, yt, loss_fn = state
        n = xt.shape[0]
        perm = torch.randperm(n, generator=gen)
        for i in range(0, n, batch):
            idx = perm[i:i + batch]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
        return state

    dense = [w for w in args.workload or [] if w not in CNN_WORKLOADS]
    cnns = [w for w in args.workload or [] if w in CNN_WORKLOADS]
    if dense or not cnns:
        args.workload = dense or None
        run(system, args, train_epoch)
    threads = {"torch_threads": args.torch_threads,
               "blas_threads": int(os.environ.get("OPENBLAS_NUM_THREADS", "0") or 0)}
    for name in cnns:
        run_cnn(system, args, name, cnn_epoch, np.float32 if args.float32 else np.float64, threads)


if __name__ == "__main__":
    main()
