"""bench/compare's convolutional workloads (issue 24): `bench/compare --workload cnn-fashion`.

nnblas: `nnblas-bench train --workload cnn-fashion` (bench/bench_train_cnn.c), the network built
from the same layer tokens and trained through the public library API, one round of --epochs
timed epochs (default 2; --quick 1) per compare round, samples/s against its GEMM ceiling and its
peak resident memory, at 1 and 2 OpenBLAS threads, float64 and float32.

PyTorch (torch-float32, torch-float64: bench/peers/torch_train.py) trains the same network (the
same tokens through common.cnn_layers: Conv2d, ReLU, MaxPool2d, Flatten, Linear; softmax +
cross-entropy from the logits; Adam lr 1e-3; batch 64) on the same amount of synthetic data at
every thread setting of a 2-core machine, (torch.set_num_threads, OPENBLAS_NUM_THREADS) = (1, 1),
(2, 1), (1, 2), (2, 2): PyTorch convolves float32 with oneDNN, threaded by torch's own threads,
float64 with im2col and BLAS, so its best setting differs from the dense workloads'; the ratio is
nnblas at 2 threads against PyTorch's best setting in the same round, as the issue's goals put it
(paired by round, median over rounds). Rows: 6400 (--quick 1280), 100 (20) batches of 64.
"""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CNN_WORKLOADS = ["cnn-fashion"]
TORCH_SETTINGS = [(1, 1), (2, 1), (1, 2), (2, 2)]  # (torch threads, OpenBLAS threads)


def _lines(cmd, env_extra, label):
    env = dict(os.environ, **env_extra)
    print("# running %s" % label, file=sys.stderr, flush=True)
    try:
        p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    except OSError as e:
        print("#   skipped: %s" % e, file=sys.stderr)
        return [], 1
    out = [json.loads(l) for l in p.stdout.splitlines() if l.strip().startswith("{")]
    return out, p.returncode


def _nnblas(bench, rows, epochs):
    """nnblas's records from nnblas-bench train (one round), each with "source"."""
    got, rc = _lines([bench, "train", "--json", "--no-sweeps", "--workload", "cnn-fashion",
                      "--threads", "1", "--threads", "2", "--rows", str(rows), "--rounds", "1",
                      "--epochs", str(epochs)], {}, "nnblas-bench train (cnn-fashion)")
    if rc != 0:
        print("#   nnblas-bench train failed (exit %d)" % rc, file=sys.stderr)
    for r in got:
        r["source"] = "nnblas-bench train"
    return got


def _torch(f32, tt, bt, rows, epochs):
    cmd = ["/usr/bin/python3", os.path.join(HERE, "peers", "torch_train.py"), "--json",
           "--workload", "cnn-fashion", "--rows", str(rows), "--threads", str(max(tt, bt)),
           "--torch-threads", str(tt), "--epochs", str(epochs)] + (["--float32"] if f32 else [])
    label = "torch-%s torch %d / OpenBLAS %d threads" % ("float32" if f32 else "float64", tt, bt)
    got, _ = _lines(cmd, {"OPENBLAS_NUM_THREADS": str(bt), "OMP_NUM_THREADS": str(tt)}, label)
    for r in got:
        r["setting"] = "%d,%d" % (tt, bt)
    return got


def _median(v):
    v = sorted(v)
    n = len(v)
    return v[n // 2] if n % 2 else 0.5 * (v[n // 2 - 1] + v[n // 2])


def cnn_main(a, bench, wanted, have_torch):
    """Runs and prints the convolutional comparison; returns its records."""
    rows = 1280 if a.quick else 6400
    epochs = a.epochs or (1 if a.quick else 2)
    programs = [lambda: _nnblas(bench, rows, epochs)]
    for f32, name in ((1, "torch-float32"), (0, "torch-float64")):
        if name in wanted and have_torch:
            for tt, bt in TORCH_SETTINGS:
                programs.append(lambda f32=f32, tt=tt, bt=bt: _torch(f32, tt, bt, rows, epochs))
    records = []
    for rnd in range(a.rounds):
        for run in (programs if rnd % 2 == 0 else programs[::-1]):
            for r in run():
                r["round"] = rnd
                records.append(r)
    print_table(records, a.rounds)
    return records


def print_table(records, rounds):
    mine = [r for r in records if r.get("system") == "nnblas"]
    src = mine[0]["source"] if mine else "none"
    print("# cnn-fashion: conv32x3p1,maxpool2,conv64x3p1,maxpool2,128,10 on 1x28x28, batch 64, "
          "Adam; samples/s%s" % ("" if rounds == 1 else ", medians of %d rounds" % rounds))
    print("# nnblas from %s; ceiling = its GEMM calls alone; PyTorch at its best setting "
          "(torch threads, OpenBLAS threads); ratio = nnblas at 2 threads / PyTorch best, paired "
          "by round" % src)
    print("%-5s %3s %12s %12s %8s %8s %14s %8s %8s %7s" % (
        "dtype", "thr", "nnblas", "ceiling", "fraction", "RSS MiB", "torch best", "setting",
        "RSS MiB", "ratio"))
    for dt, peer in (("f32", "torch-float32"), ("f64", "torch-float64")):
        theirs = [r for r in records if r.get("system") == peer]
        for thr in (1, 2):
            me = [r for r in mine if r.get("dtype") == dt and r.get("threads") == thr]
            if not me:
                continue
            line = "%-5s %3d %12.0f %12.0f %8.3f %8.0f" % (
                dt, thr, _median([r["samples_per_s"] for r in me]),
                _median([r["ceiling_samples_per_s"] for r in me]),
                _median([r["fraction_of_ceiling"] for r in me]),
                _median([r["max_rss_mib"] for r in me]))
            if theirs and thr == 2:
                best = {}  # round -> its best record
                for r in theirs:
                    if r["round"] not in best or r["samples_per_s"] > best[r["round"]]["samples_per_s"]:
                        best[r["round"]] = r
                ratios = [m["samples_per_s"] / best[m["round"]]["samples_per_s"]
                          for m in me if m["round"] in best]
                settings = sorted({b["setting"] for b in best.values()})
                line += " %14.0f %8s %8.0f %7.2f" % (
                    _median([b["samples_per_s"] for b in best.values()]), "/".join(settings),
                    _median([b["max_rss_mib"] for b in best.values()]),
                    _median(ratios) if ratios else float("nan"))
            print(line)
        if theirs:
            by = {}
            for r in theirs:
                by.setdefault(r["setting"], []).append(r)
            print("# %s by setting (torch,OpenBLAS threads): %s" % (peer, "  ".join(
                "%s: %.0f/s %.0f MiB" % (s, _median([r["samples_per_s"] for r in v]),
                                         _median([r["max_rss_mib"] for r in v]))
                for s, v in sorted(by.items()))))
