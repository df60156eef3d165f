"""Shared parts of the peer benchmarks: the workloads, synthetic or real data, timing, JSON.

Each peer prints one JSON object per measurement with the same keys as `nnblas-bench train --json`:
bench, system, workload, threads, batch, hidden, samples_per_s, epoch_s, gflops, and isa (null here).
"""
import argparse
import gzip
import json
import os
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
    p.add_argument("--workload", action="append", help="w1-admissions, w2-fashion, w3-wide (default all)")
    p.add_argument("--threads", type=int, default=2, help="BLAS threads (set before import by bench/compare)")
    p.add_argument("--epochs", type=int, default=3, help="timed epochs after one warm-up epoch")
    p.add_argument("--data", default="synthetic", help="synthetic or fashion-mnist")
    p.add_argument("--batch", type=int, help="override the workload's batch size")
    p.add_argument("--hidden", type=int, help="override the hidden width (every hidden layer)")
    p.add_argument("--rows", type=int, help="override the rows of w2/w3 (default 60000)")
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


def run(system, args, train_epoch):
    """train_epoch(sizes, x, y, batch, state) -> state: runs one epoch; state None builds the
    model first (the warm-up epoch), and the state it returns is passed to the next epochs."""
    names = args.workload or list(WORKLOADS)
    for name in names:
        sizes = workload_sizes(name, args.hidden)
        batch = args.batch if args.batch is not None else WORKLOADS[name][2]
        x, y = make_data(name, args.data, rows=args.rows, sizes=sizes)
        rows = x.shape[0]
        b = batch or rows
        # tiny workloads: repeat epochs inside one timing so the clock has something to measure
        reps = max(1, int(2e5 // rows)) if rows < 1000 else 1
        state = train_epoch(sizes, x, y, b, None)  # warm-up, builds the model
        times = []
        for _ in range(args.epochs):
            t = time.perf_counter()
            for _ in range(reps):
                train_epoch(sizes, x, y, b, state)
            times.append((time.perf_counter() - t) / reps)
        epoch_s = statistics.median(times)
        sps = rows / epoch_s
        rec = {
            "bench": "train", "system": system, "workload": name, "threads": args.threads,
            "batch": b, "hidden": sizes[1:-1], "rows": rows, "data": args.data, "samples_per_s": sps,
            "epoch_s": epoch_s, "gflops": sps * flops_per_sample(sizes) / 1e9, "isa": None,
        }
        print(json.dumps(rec), flush=True)
