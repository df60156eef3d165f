"""Shared parts of the peer benchmarks: the workloads, synthetic or real data, timing, JSON.

Each peer prints one JSON object per measurement with the same keys as `nnblas-bench train --json`:
bench, system, workload, threads, batch, hidden, samples_per_s, epoch_s, gflops, and isa (null here).

The convolutional workloads (CNN_WORKLOADS, issue 24) are described by the layer tokens of
`nnblas train --layers` (convFxKpPsS, maxpoolK[sS], avgpoolK[sS], a number for a dense layer) on an
input shape C x H x W; their records add dtype, the peer's thread settings and its peak resident
memory (max_rss_mib).
"""
import argparse
import gzip
import json
import os
import re
import resource
import statistics
import struct
import time

import numpy as np

# name: (layer sizes, output loss (hidden layers are sigmoid), batch (0 = full), rows)
WORKLOADS = {
    "w1-admissions": ([6, 2, 1], "sse", 0, 360),
    "w2-fashion": ([784, 256, 128, 10], "ce", 128, 60000),
    "w3-wide": ([784, 1024, 1024, 10], "ce", 256, 60000),
}

FASHION_DIR = "/usr/share/datasets/fashion-mnist"

# name: (input shape (C, H, W), layer tokens (ReLU after every layer but the last; softmax +
# cross-entropy at the output), batch, rows)
CNN_WORKLOADS = {
    "cnn-fashion": ((1, 28, 28), "conv32x3p1,maxpool2,conv64x3p1,maxpool2,128,10", 64, 60000),
}


def cnn_layers(shape, tokens):
    """The layers of a token string as dicts with their input and output shapes: kind "conv"
    (f, k, stride, pad), "maxpool"/"avgpool" (k, stride), "dense" (n; its input is the flattened
    C*H*W). Raises ValueError on a token it does not know or a shape that does not fit."""
    out, cur = [], tuple(shape)
    for tok in tokens.split(","):
        m = re.fullmatch(r"conv(\d+)x(\d+)(?:p(\d+))?(?:s(\d+))?", tok)
        q = re.fullmatch(r"(maxpool|avgpool)(\d+)(?:s(\d+))?", tok)
        if m:
            f, k, p, s = int(m[1]), int(m[2]), int(m[3] or 0), int(m[4] or 1)
            c, h, w = cur
            oh, ow = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
            lay = {"kind": "conv", "f": f, "k": k, "pad": p, "stride": s, "in": cur, "out": (f, oh, ow)}
        elif q:
            k, s = int(q[2]), int(q[3] or q[2])
            c, h, w = cur
            lay = {"kind": q[1], "k": k, "stride": s, "in": cur,
                   "out": (c, (h - k) // s + 1, (w - k) // s + 1)}
        elif tok.isdigit():
            n_in = 1
            for d in cur:
                n_in *= d
            lay = {"kind": "dense", "n": int(tok), "in": cur, "n_in": n_in, "out": (int(tok),)}
        else:
            raise ValueError("unknown layer token '%s'" % tok)
        if min(lay["out"]) < 1:
            raise ValueError("layer '%s' does not fit its input %s" % (tok, cur))
        out.append(lay)
        cur = lay["out"]
    return out


def cnn_flops_per_sample(layers):
    """Multiply-adds x 2 of one training step per sample, as flops_per_sample: each layer with
    parameters counts its forward product, its weight gradient and (all but the first such layer)
    its input gradient; a convolution's product is F x (C K K) x (OH OW)."""
    f, first = 0, True
    for lay in layers:
        if lay["kind"] == "conv":
            c = lay["in"][0]
            _, oh, ow = lay["out"]
            one = 2 * lay["f"] * c * lay["k"] * lay["k"] * oh * ow
        elif lay["kind"] == "dense":
            one = 2 * lay["n_in"] * lay["n"]
        else:
            continue
        f += one * (2 if first else 3)
        first = False
    return f


def make_cnn_data(name, data, rows, np_dtype):
    """x (rows x C*H*W, straight in the training type: no float64 copy stays alive) and the class
    labels (int64)."""
    shape, tokens, _, wrows = CNN_WORKLOADS[name]
    rows = rows or wrows
    n_in = shape[0] * shape[1] * shape[2]
    classes = cnn_layers(shape, tokens)[-1]["n"]
    if data == "fashion-mnist" and n_in == 784:
        x = read_idx_images(os.path.join(FASHION_DIR, "train-images-idx3-ubyte.gz"))[:rows]
        x = x.astype(np_dtype) / np_dtype(255.0)
        with gzip.open(os.path.join(FASHION_DIR, "train-labels-idx1-ubyte.gz"), "rb") as f:
            f.read(8)
            labels = np.frombuffer(f.read(rows), dtype=np.uint8).astype(np.int64)
    else:
        rng = np.random.default_rng(1)
        x = rng.standard_normal((rows, n_in), dtype=np_dtype)
        labels = rng.integers(0, classes, rows)
    return np.ascontiguousarray(x), labels


def max_rss_mib():
    """This process's peak resident memory so far, in MiB (Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def flops_per_sample(sizes):
    """Multiply-adds x 2 of one training step per row: forward X.W^T, backward dW and dX
    (no dX for the first layer)."""
    f = 0
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        f += 2 * a * b * (3 if i > 0 else 2)
    return f


def read_idx_images(path):
    with gzip.open(path, "rb") as f:
        _, n, r, c = struct.unpack(">IIII", f.read(16))
        return np.frombuffer(f.read(n * r * c), dtype=np.uint8).reshape(n, r * c)


def make_data(workload, data, rows=None, sizes=None):
    wsizes, out, _, wrows = WORKLOADS[workload]
    sizes = sizes or wsizes
    rows = rows if rows and wrows > 1000 else wrows
    rng = np.random.default_rng(1)
    if data == "fashion-mnist" and sizes[0] == 784:
        x = read_idx_images(os.path.join(FASHION_DIR, "train-images-idx3-ubyte.gz"))[:rows]
        x = x.astype(np.float64) / 255.0
        with gzip.open(os.path.join(FASHION_DIR, "train-labels-idx1-ubyte.gz"), "rb") as f:
            f.read(8)
            labels = np.frombuffer(f.read(rows), dtype=np.uint8)
    else:
        x = rng.standard_normal((rows, sizes[0]))
        labels = rng.integers(0, sizes[-1] if sizes[-1] > 1 else 2, rows)
    if out == "ce":
        y = np.zeros((rows, sizes[-1]))
        y[np.arange(rows), labels] = 1.0
    else:
        y = labels.reshape(rows, 1).astype(np.float64)
    return np.ascontiguousarray(x), np.ascontiguousarray(y)


def parse_args(system, extra=None):
    p = argparse.ArgumentParser(description=f"{system} peer benchmark (same workloads as nnblas-bench train)")
    if extra:
        extra(p)
    p.add_argument("--workload", action="append",
                   help="w1-admissions, w2-fashion, w3-wide (default all three), or %s" %
                   ", ".join(CNN_WORKLOADS))
    p.add_argument("--threads", type=int, default=2, help="BLAS threads (set before import by bench/compare)")
    p.add_argument("--epochs", type=int, default=3, help="timed epochs after one warm-up epoch")
    p.add_argument("--data", default="synthetic", help="synthetic or fashion-mnist")
    p.add_argument("--batch", type=int, help="override the workload's batch size")
    p.add_argument("--hidden", type=int, help="override the hidden width (every hidden layer)")
    p.add_argument("--rows", type=int, help="override the rows of w2/w3 and the CNNs (default 60000)")
    p.add_argument("--quick", action="store_true", help="one timed epoch")
    p.add_argument("--json", action="store_true", help="JSON lines only")
    a = p.parse_args()
    if a.quick:
        a.epochs = 1
    return a


def workload_sizes(name, hidden):
    sizes = list(WORKLOADS[name][0])
    if hidden:
        sizes = [sizes[0]] + [hidden] * (len(sizes) - 2) + [sizes[-1]]
    return sizes


def timed_epochs(epochs, train_epoch, reps=1):
    """The median of `epochs` timed calls of train_epoch() (each repeated `reps` times)."""
    times = []
    for _ in range(epochs):
        t = time.perf_counter()
        for _ in range(reps):
            train_epoch()
        times.append((time.perf_counter() - t) / reps)
    return statistics.median(times)


def run_cnn(system, args, name, train_epoch, np_dtype, extra):
    """One convolutional workload: train_epoch(layers, shape, x, labels, batch, state) -> state,
    as run()'s; the record adds dtype, max_rss_mib (this process's peak: run one CNN workload
    per process for a clean figure) and the `extra` keys (thread settings)."""
    shape, tokens, wbatch, _ = CNN_WORKLOADS[name]
    layers = cnn_layers(shape, tokens)
    batch = args.batch or wbatch
    x, labels = make_cnn_data(name, args.data, args.rows, np_dtype)
    rows = x.shape[0]
    state = train_epoch(layers, shape, x, labels, batch, None)  # warm-up, builds the model
    epoch_s = timed_epochs(args.epochs, lambda: train_epoch(layers, shape, x, labels, batch, state))
    sps = rows / epoch_s
    rec = {
        "bench": "train", "system": system, "workload": name, "threads": args.threads,
        "batch": batch, "layers": tokens, "input_shape": list(shape), "rows": rows,
        "data": args.data, "dtype": "f32" if np_dtype == np.float32 else "f64",
        "samples_per_s": sps, "epoch_s": epoch_s,
        "gflops": sps * cnn_flops_per_sample(layers) / 1e9, "max_rss_mib": max_rss_mib(),
        "isa": None,
    }
    rec.update(extra)
    print(json.dumps(rec), flush=True)


def run(system, args, train_epoch):
    """train_epoch(sizes, x, y, batch, state) -> state: runs one epoch; state None builds the
    model first (the warm-up epoch), and the state it returns is passed to the next epochs.
    The dense workloads only (convolutional ones: run_cnn)."""
    names = args.workload or list(WORKLOADS)
    for name in names:
        if name not in WORKLOADS:
            raise SystemExit("%s: workload '%s' is not a dense workload" % (system, name))
        sizes = workload_sizes(name, args.hidden)
        batch = args.batch if args.batch is not None else WORKLOADS[name][2]
        x, y = make_data(name, args.data, rows=args.rows, sizes=sizes)
        rows = x.shape[0]
        b = batch or rows
        # tiny workloads: repeat epochs inside one timing so the clock has something to measure
        reps = max(1, int(2e5 // rows)) if rows < 1000 else 1
        state = train_epoch(sizes, x, y, b, None)  # warm-up, builds the model
        epoch_s = timed_epochs(args.epochs, lambda: train_epoch(sizes, x, y, b, state), reps)
        sps = rows / epoch_s
        rec = {
            "bench": "train", "system": system, "workload": name, "threads": args.threads,
            "batch": b, "hidden": sizes[1:-1], "rows": rows, "data": args.data, "samples_per_s": sps,
            "epoch_s": epoch_s, "gflops": sps * flops_per_sample(sizes) / 1e9, "isa": None,
        }
        print(json.dumps(rec), flush=True)
