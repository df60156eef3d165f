#!/usr/bin/python3
"""Convolution and pooling as nnblas computes them (tests/conv_helper: the window kernels of each
kernel set with one GEMM per pass, as docs/design.md, "Convolution and pooling", lays them out)
against PyTorch's torch.nn.functional.conv2d, max_pool2d and avg_pool2d with autograd, on random
shapes: kernels 1-5, strides 1-3, zero padding 0-2 on each side (asymmetric too, through F.pad),
odd and non-square inputs of 1-8 channels, channel-major and channels-last inputs, pooling windows
that do and do not divide the input and overlapping ones, and NaN and infinities in max pooling.

float64: the forward output and the input, weight and bias gradients of the convolution within
1e-12 of the sum of the absolute values of their terms (PyTorch computing the same sums over |x|,
|w|, |b| and |dy| gives that magnitude; it is the value's own size wherever no terms cancel); max
pooling's outputs, indices and gradient, and average pooling's outputs and gradient, the same
bits as PyTorch's (both compare, sum and divide in the same order). float32: 2e-5 of the
magnitude (PyTorch sums a float32 convolution in another order, with oneDNN), pooling as float64.

    conv_torch.py CONV_HELPER        (exit 77 when /usr/bin/python3 has no torch)
"""
import os
import random
import subprocess
import sys

try:
    import numpy as np
    import torch
    import torch.nn.functional as F
except ImportError:
    print("conv_torch: torch not installed; skipped")
    sys.exit(77)

torch.set_num_threads(1)
HELPER = sys.argv[1]
CASES = int(os.environ.get("NNBLAS_CONV_CASES", "40"))


def helper(isa, requests):
    """Runs every (header, arrays) request through one conv_helper process; its output values."""
    data = b"".join(h.encode() + b"\n" + b"".join(
        np.ascontiguousarray(a, dtype=np.float64).tobytes() for a in arrays) for h, arrays in requests)
    p = subprocess.run([HELPER, isa], input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode != 0:
        raise SystemExit("conv_helper %s failed (%d): %s" % (isa, p.returncode, p.stderr.decode()))
    return np.frombuffer(p.stdout, dtype=np.float64)


def sets():
    out = []
    for isa in ("scalar", "avx2", "avx512"):
        p = subprocess.run([HELPER, isa], input=b"", stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if b"usage" not in p.stderr:
            out.append(isa)
    return out


def within(what, got, want, mag, tol):
    got, want, mag = (np.asarray(a, dtype=np.float64).ravel() for a in (got, want, mag))
    if got.shape != want.shape:
        raise SystemExit("%s: %d values, PyTorch %d" % (what, got.size, want.size))
    err = np.abs(got - want)
    bad = err > tol * mag
    if bad.any():
        i = int(np.argmax(bad))
        raise SystemExit("%s: value %d is %.17g, PyTorch %.17g (error %.3g, allowed %.3g)" %
                         (what, i, got[i], want[i], err[i], tol * mag[i]))
    return float(np.max(err / np.where(mag > 0, mag, 1.0))) if err.size else 0.0


def same(what, got, want):
    got, want = np.asarray(got, dtype=np.float64).ravel(), np.asarray(want, dtype=np.float64).ravel()
    ok = (got == want) | (np.isnan(got) & np.isnan(want))
    if got.shape != want.shape or not ok.all():
        i = int(np.argmin(ok)) if got.shape == want.shape else -1
        raise SystemExit("%s: value %d is %r, PyTorch %r" % (what, i, got[i], want[i]))


def conv_case(rng, f32):
    """A random convolution: its request and its checks (name, PyTorch's values, magnitudes,
    tolerance)."""
    while True:
        n, c, h, w, f = rng.randint(1, 4), rng.randint(1, 8), rng.randint(1, 11), rng.randint(1, 11), rng.randint(1, 6)
        kh, kw, sh, sw = rng.randint(1, 5), rng.randint(1, 5), rng.randint(1, 3), rng.randint(1, 3)
        pt, pb, pl, pr = (rng.randint(0, 2) for _ in range(4))
        if kh <= h + pt + pb and kw <= w + pl + pr:
            break
    chw = rng.randint(0, 1)
    g = np.random.default_rng(rng.randint(0, 1 << 30))
    x, wt, b = g.standard_normal((n, c, h, w)), g.standard_normal((f, c, kh, kw)), g.standard_normal(f)
    dt = torch.float32 if f32 else torch.float64
    if f32:  # the helper rounds its inputs to float; PyTorch gets the same floats
        x, wt, b = (a.astype(np.float32).astype(np.float64) for a in (x, wt, b))

    def run(xa, wa, ba, dya):
        xt = torch.tensor(xa, dtype=dt, requires_grad=True)
        wtt = torch.tensor(wa, dtype=dt, requires_grad=True)
        bt = torch.tensor(ba, dtype=dt, requires_grad=True)
        y = F.conv2d(F.pad(xt, (pl, pr, pt, pb)), wtt, bt, stride=(sh, sw))
        if dya is None:
            return y.detach().numpy(), None
        y.backward(torch.tensor(dya, dtype=dt))
        return y.detach().numpy(), (xt.grad.numpy(), wtt.grad.numpy(), bt.grad.numpy())

    y, _ = run(x, wt, b, None)
    dy = g.standard_normal(y.shape)
    if f32:
        dy = dy.astype(np.float32).astype(np.float64)
    y, (dx, dw, db) = run(x, wt, b, dy)
    ym, (dxm, dwm, dbm) = run(np.abs(x), np.abs(wt), np.abs(b), np.abs(dy))  # magnitudes
    head = "conv %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d" % (n, c, h, w, f, kh, kw, sh, sw, pt,
                                                               pb, pl, pr, chw, f32)
    tol = 2e-5 if f32 else 1e-12
    checks = [(name, want, mag, tol) for name, want, mag in
              zip(("output", "input gradient", "weight gradient", "bias gradient"),
                  (y, dx, dw, db), (ym, dxm, dwm, dbm))]
    return (head, [x, wt, b, dy]), checks


def pool_case(rng, f32, kind):
    """A random pooling: its request and its checks."""
    while True:
        n, c, h, w = rng.randint(1, 4), rng.randint(1, 8), rng.randint(1, 11), rng.randint(1, 11)
        kh, kw, sh, sw = rng.randint(1, 5), rng.randint(1, 5), rng.randint(1, 3), rng.randint(1, 3)
        if kh <= h and kw <= w:
            break
    chw = rng.randint(0, 1)
    g = np.random.default_rng(rng.randint(0, 1 << 30))
    if kind == "maxpool":  # small integers: ties; now and then NaN and infinities
        x = np.floor(g.random((n, c, h, w)) * 7) - 3
        special = g.random(x.shape)
        x[special < 0.03] = np.nan
        x[(special >= 0.03) & (special < 0.05)] = np.inf
        x[(special >= 0.05) & (special < 0.07)] = -np.inf
    else:
        x = g.standard_normal((n, c, h, w))
    dt = torch.float32 if f32 else torch.float64
    if f32:
        x = x.astype(np.float32).astype(np.float64)
    xt = torch.tensor(x, dtype=dt, requires_grad=True)
    if kind == "maxpool":
        y, idx = F.max_pool2d(xt, (kh, kw), (sh, sw), return_indices=True)
    else:
        y, idx = F.avg_pool2d(xt, (kh, kw), (sh, sw)), None
    dy = g.standard_normal(y.shape)
    if f32:
        dy = dy.astype(np.float32).astype(np.float64)
    y.backward(torch.tensor(dy, dtype=dt))
    head = "%s %d %d %d %d %d %d %d %d %d %d" % (kind, n, c, h, w, kh, kw, sh, sw, chw, f32)
    checks = [("output", y.detach().numpy(), None, 0)]
    if idx is not None:
        checks.append(("indices", idx.numpy(), None, 0))
    checks.append(("gradient", xt.grad.numpy(), None, 0))
    return (head, [x, dy]), checks


def run_cases(isa, cases):
    """Sends the cases' requests to one helper and holds each result to its checks (magnitude
    None: the same bits); returns the largest error relative to the magnitudes."""
    out = helper(isa, [req for req, _ in cases])
    want = sum(ch[1].size for _, checks in cases for ch in checks)
    if out.size != want:
        raise SystemExit("%s: %d values back, want %d" % (isa, out.size, want))
    at, worst = 0, 0.0
    for (head, _), checks in cases:
        for name, ref, mag, tol in checks:
            got = out[at:at + ref.size]
            at += ref.size
            what = "%s '%s' %s" % (isa, head, name)
            if mag is None:
                same(what, got, ref)
            else:
                worst = max(worst, within(what, got, ref, mag, tol))
    return worst


def main():
    isas = sets()
    if not isas:
        raise SystemExit("conv_helper runs no kernel set")
    rng = random.Random(20261204)
    for isa in isas:
        for f32 in (0, 1):
            worst = run_cases(isa, [conv_case(rng, f32) for _ in range(CASES)])
            for kind in ("maxpool", "avgpool"):
                run_cases(isa, [pool_case(rng, f32, kind) for _ in range(CASES)])
            print("%s %s: %d convolutions (largest error %.2g of the magnitude), %d max and %d "
                  "average poolings the same as PyTorch's" %
                  (isa, "float32" if f32 else "float64", CASES, worst, CASES, CASES))

if __name__ == "__main__":
    main()
