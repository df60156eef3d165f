"""threads: two networks trained one after the other, then at the same time in two Python
threads, with one OpenBLAS thread each; prints both wall times and the speedup.

    python3 examples/python/threads.py [--epochs N] [--rows N]

nnblas releases the GIL while C runs (ctypes does for every call into a CDLL), so the two
trainings use two cores. The results are the same bits either way (checked here).
"""
import argparse
import os
import sys
import threading
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "bindings", "python"))
import nnblas  # noqa: E402


def make(seed, rows):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((rows, 64))
    y = np.eye(10)[np.argmax(X[:, :10] + 0.5 * X[:, 10:20], axis=1)]
    net = nnblas.Net([64, 256, 128, 10], activation="relu", output="softmax", seed=seed)
    return net, X, y


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--rows", type=int, default=20000)
    args = ap.parse_args()
    nnblas.set_num_threads(1)
    fit = dict(epochs=args.epochs, batch_size=64, optimizer="adam", lr=1e-3, loss="ce")

    jobs = [make(1, args.rows), make(2, args.rows)]
    t0 = time.perf_counter()
    for net, X, y in jobs:
        net.fit(X, y, **fit)
    sequential = time.perf_counter() - t0
    seq_params = [net.params for net, _, _ in jobs]

    jobs = [make(1, args.rows), make(2, args.rows)]
    threads = [threading.Thread(target=net.fit, args=(X, y), kwargs=fit) for net, X, y in jobs]
    t0, c0 = time.perf_counter(), time.process_time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    parallel, cpu = time.perf_counter() - t0, time.process_time() - c0
    same = all(np.array_equal(p, net.params) for p, (net, _, _) in zip(seq_params, jobs))

    print("two 64-256-128-10 networks, %d rows, %d epochs, 1 OpenBLAS thread each (%d cores)"
          % (args.rows, args.epochs, os.cpu_count()))
    print("one after the other: %.2f s" % sequential)
    print("two threads at once: %.2f s (%.2f s of CPU: %.2f cores busy on average)"
          % (parallel, cpu, cpu / parallel))
    print("speedup: %.2fx; same weights: %s" % (sequential / parallel, same))
    if os.getloadavg()[0] > 1.0:
        print("note: load average %.1f before this run's end; other processes share the cores"
              % os.getloadavg()[0])
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
