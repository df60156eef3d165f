#!/usr/bin/env python3
"""Derives the constants of lib/kernels/vec_math_f64.h and vec_math_f32.h (not part of
the build; needs mpmath: `python3 lib/kernels/derive_constants.py`, about a minute).

Each polynomial is a near-minimax fit: weighted least squares on Chebyshev nodes refined by
Lawson's iteration, in 60-digit arithmetic; the printed error is the largest relative error of the
approximation with the coefficients rounded to double, over 4001 points of the interval."""
import struct

import mpmath as mp

mp.mp.dps = 60


def fit(deg, a, b, f, w, npts=300, iters=60):
    """Coefficients c_0..c_deg of p(u) minimising max |w(u) (f(u) - p(u))| on [a, b]."""
    us = [(a + b) / 2 + (b - a) / 2 * mp.cos(mp.pi * (2 * i + 1) / (2 * npts)) for i in range(npts)]
    lw = [mp.mpf(1)] * npts
    for _ in range(iters):
        A = mp.matrix(npts, deg + 1)
        y = mp.matrix(npts, 1)
        for i, u in enumerate(us):
            s = mp.sqrt(lw[i]) * w(u)
            for j in range(deg + 1):
                A[i, j] = s * u**j
            y[i] = s * f(u)
        c = mp.lu_solve(A.T * A, A.T * y)
        err = [abs(w(u) * (f(u) - sum(c[j] * u**j for j in range(deg + 1)))) for u in us]
        tot = sum(lw[i] * err[i] for i in range(npts))
        lw = [lw[i] * err[i] / tot for i in range(npts)]
    return [float(c[j]) for j in range(deg + 1)]


def horner(c, u):
    s = mp.mpf(0)
    for v in reversed(c):
        s = s * u + mp.mpf(v)
    return s


def show(name, c):
    print("static const double %s[%d] = {" % (name, len(c)))
    for v in c:
        print("    %s," % v.hex())
    print("};")


def maxerr(rel, a, b, n=4001):
    return max(abs(rel(a + (b - a) * i / (n - 1))) for i in range(n))


def main():
    u53 = mp.mpf(2) ** -53

    # exp(r) = 1 + r + r^2 q(r) for |r| <= ln2/32 (after reduction by ln2/16 and a 16-entry table).
    R = mp.log(2) / 32
    qf = lambda r: (mp.exp(r) - 1 - r) / r**2 if r else mp.mpf(1) / 2
    for deg in (4, 5):
        c = fit(deg, -R, R, qf, lambda r: r**2 / mp.exp(r))
        e = maxerr(lambda r: (1 + r + r**2 * horner(c, r)) / mp.exp(r) - 1, -R, R)
        print("// exp: q of degree %d: max rel error %.3g (%.4f units of 2^-53)" % (deg, e, e / u53))
        show("EXP_Q%d" % deg, c)

    # 2^(j/16), j = 0..15, as hi + lo
    print("static const double EXP2_16_HI[16], EXP2_16_LO[16]:")
    for j in range(16):
        v = mp.mpf(2) ** (mp.mpf(j) / 16)
        h = float(v)
        print("    %s, %s," % (h.hex(), float(v - h).hex()))
    L = mp.log(2)
    print("// ln2 hi/lo", float(L).hex(), float(L - float(L)).hex(), " 1/ln2", float(1 / L).hex())

    # tanh(x) = x + x^3 P(x^2) for |x| <= 0.125: P(u) ~ (tanh(sqrt u) - sqrt u) / u^1.5
    X = mp.mpf(1) / 8
    pf = lambda u: (mp.tanh(mp.sqrt(u)) - mp.sqrt(u)) / u ** mp.mpf(1.5) if u else -mp.mpf(1) / 3
    for deg in (5,):
        c = fit(deg, mp.mpf(0), X * X, pf, lambda u: u / (1 - u / 3))  # weight ~ x^3 / tanh(x) ~ u
        e = maxerr(lambda x: (x + x**3 * horner(c, x * x)) / mp.tanh(x) - 1 if x else 0, mp.mpf(0), X)
        print("// tanh small: P of degree %d: max rel error %.3g (%.4f units)" % (deg, e, e / u53))
        show("TANH_P%d" % deg, c)

    # log(f) = 2s (1 + s^2 R(s^2)), s = (f-1)/(f+1), f in [sqrt(2)/2, sqrt(2)]: |s| <= 3 - 2 sqrt(2)
    S = 3 - 2 * mp.sqrt(2)
    rf = lambda u: (mp.atanh(mp.sqrt(u)) / mp.sqrt(u) - 1) / u if u else mp.mpf(1) / 3
    for deg in (6,):
        c = fit(deg, mp.mpf(0), S * S, rf, lambda u: u)
        e = maxerr(lambda s: (2 * s * (1 + s * s * horner(c, s * s))) / mp.log((1 + s) / (1 - s)) - 1 if s else 0, -S, S)
        print("// log: R of degree %d: max rel error %.3g (%.4f units)" % (deg, e, e / u53))
        show("LOG_R%d" % deg, c)


def f32(v):
    """v rounded to float (binary32)."""
    return struct.unpack("f", struct.pack("f", float(v)))[0]


def show_f32(name, c):
    print("static const float %s[%d] = {%s};" % (name, len(c), ", ".join(v.hex() + "f" for v in c)))


def main_f32():
    """The constants of vec_math_f32.h: coefficients rounded to float; errors in units of
    2^-24 (float's unit roundoff)."""
    u24 = mp.mpf(2) ** -24
    # exp(r) = 1 + r + r^2 q(r) for |r| <= ln2/2 (reduction by ln2, no table)
    R = mp.log(2) / 2
    qf = lambda r: (mp.exp(r) - 1 - r) / r**2 if r else mp.mpf(1) / 2
    c = [f32(v) for v in fit(4, -R, R, qf, lambda r: r**2 / mp.exp(r), npts=200, iters=40)]
    e = maxerr(lambda r: (1 + r + r**2 * horner(c, r)) / mp.exp(r) - 1, -R, R)
    print("// float exp: q of degree 4: max rel error %.3g (%.4f units of 2^-24)" % (e, e / u24))
    show_f32("q", c)
    L = mp.log(2)
    hi = f32(L)
    print("// ln2 hi/lo", hi.hex(), f32(L - hi).hex(), " 1/ln2", f32(1 / L).hex())
    # log(f) = 2s (1 + s^2 R(s^2)), |s| <= 3 - 2 sqrt(2)
    S = 3 - 2 * mp.sqrt(2)
    rf = lambda u: (mp.atanh(mp.sqrt(u)) / mp.sqrt(u) - 1) / u if u else mp.mpf(1) / 3
    c = [f32(v) for v in fit(2, mp.mpf(0), S * S, rf, lambda u: u, npts=200, iters=40)]
    e = maxerr(lambda s: (2 * s * (1 + s * s * horner(c, s * s))) / mp.log((1 + s) / (1 - s)) - 1 if s else 0, -S, S)
    print("// float log: R of degree 2: max rel error %.3g (%.4f units of 2^-24)" % (e, e / u24))
    show_f32("R", c)


if __name__ == "__main__":
    main()
    main_f32()
