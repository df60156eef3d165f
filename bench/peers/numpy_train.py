#!/usr/bin/python3
"""numpy peer: a matmul-based training loop (the tutorial's mathematics, batched), float64, on the
nnblas-bench train workloads. numpy's matrix products go to the system BLAS (OpenBLAS on Debian),
whose threads come from OPENBLAS_NUM_THREADS (set by bench/compare before this starts)."""
import numpy as np

from common import parse_args, run


def sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # stable for any z


def main():
    args = parse_args("numpy")
    rng = np.random.default_rng(1)

    def train_epoch(sizes, x, y, batch, state):
        if state is None:
            ws = [rng.standard_normal((b, a)) / np.sqrt(a) for a, b in zip(sizes[:-1], sizes[1:])]
            bs = [np.zeros(b) for b in sizes[1:]]
            state = (ws, bs)
        ws, bs = state
        n, lr, L = x.shape[0], 0.01, len(ws)
        perm = rng.permutation(n) if batch < n else None
        for i in range(0, n, batch):
            idx = slice(i, i + batch) if perm is None else perm[i:i + batch]
            xb, yb = x[idx], y[idx]
            acts = [xb]
            for l in range(L):
                z = acts[-1] @ ws[l].T + bs[l]
                if l < L - 1 or y.shape[1] == 1:
                    acts.append(sigmoid(z))
                else:
                    z -= z.max(axis=1, keepdims=True)
                    e = np.exp(z)
                    acts.append(e / e.sum(axis=1, keepdims=True))
            out = acts[-1]
            if y.shape[1] == 1:  # squared error through the sigmoid, summed
                d = (out - yb) * out * (1.0 - out)
            else:  # softmax + cross-entropy, mean over the batch
                d = (out - yb) / xb.shape[0]
            for l in range(L - 1, -1, -1):
                gw = d.T @ acts[l]
                gb = d.sum(axis=0)
                if l > 0:
                    a = acts[l]
                    d = (d @ ws[l]) * a * (1.0 - a)
                ws[l] -= lr * gw
                bs[l] -= lr * gb
        return state

    run("numpy", args, train_epoch)


if __name__ == "__main__":
    main()
