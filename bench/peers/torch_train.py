#!/usr/bin/python3
"""PyTorch peer: plain nn.Sequential + torch.optim.SGD on the nnblas-bench train workloads.

float64 by default (--float32 for the reference point). Best configuration on a 2-core machine:
torch.set_num_threads(1) (--torch-threads) with OpenBLAS, which Debian's torch uses for its
matrix products, at 2 threads (OPENBLAS_NUM_THREADS, set by bench/compare before this starts);
with both at 2 they fight over the cores.
"""
import numpy as np
import torch

from common import parse_args, run


def extra(p):
    p.add_argument("--float32", action="store_true", help="float32 instead of float64")
    p.add_argument("--torch-threads", type=int, default=1, help="torch.set_num_threads (default 1)")


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

    run(system, args, train_epoch)


if __name__ == "__main__":
    main()
