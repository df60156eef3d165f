/*
 * The vectorised kernels, written once. avx2.c and avx512.c each define a small set of vector
 * operations (type vd of VW doubles, masks, partial loads and stores, vfma, vlookup16, vpow2_mul,
 * ...) and then include this file, which builds the kernel table NNBI_VEC_TABLE from them. So the
 * two instruction sets compute with the same formulas and differ only in width and in how an
 * operation is spelled. This header is not a normal header: include it only from those files.
 *
 * Conventions. Every loop walks the arrays VW elements at a time; the last, partial step loads
 * and stores only its m < VW lanes (vload_n/vstore_n), so no kernel touches memory past n. In
 * reductions the unused lanes of that last step are zeroed before they are added.
 * Kernels without exp/log use the scalar reference's formulas in the same order, without fused
 * multiply-adds (this file is compiled with -ffp-contract=off), so their element-wise outputs are
 * bit-identical to scalar.c's; sums are accumulated per lane, so returned sums (and softmax's
 * row sums) differ from the scalar ones in the last bits.
 *
 * The transcendental functions are our own (no libm per element), derived for this file:
 * lib/kernels/derive_constants.py prints every constant below and its approximation error.
 */
#include <math.h>
#include <string.h>

/* ---- exp ------------------------------------------------------------------------------------ */

/* 2^(j/16) for j = 0..15 as hi + lo pairs (hi the nearest double, lo the rest). */
static const double exp2_16_hi[16] __attribute__((aligned(64))) = {
    0x1.0000000000000p+0, 0x1.0b5586cf9890fp+0, 0x1.172b83c7d517bp+0, 0x1.2387a6e756238p+0,
    0x1.306fe0a31b715p+0, 0x1.3dea64c123422p+0, 0x1.4bfdad5362a27p+0, 0x1.5ab07dd485429p+0,
    0x1.6a09e667f3bcdp+0, 0x1.7a11473eb0187p+0, 0x1.8ace5422aa0dbp+0, 0x1.9c49182a3f090p+0,
    0x1.ae89f995ad3adp+0, 0x1.c199bdd85529cp+0, 0x1.d5818dcfba487p+0, 0x1.ea4afa2a490dap+0,
};
static const double exp2_16_lo[16] __attribute__((aligned(64))) = {
    0x0.0p+0,                0x1.8a62e4adc610bp-54,  -0x1.19041b9d78a76p-55, 0x1.9b07eb6c70573p-54,
    0x1.6f46ad23182e4p-55,   0x1.ada0911f09ebcp-55,  0x1.d4397afec42e2p-56,  0x1.6324c054647adp-54,
    -0x1.bdd3413b26456p-54,  -0x1.41577ee04992fp-55, 0x1.6e9f156864b27p-54,  0x1.c7c46b071f2bep-56,
    0x1.7a1cd345dcc81p-54,   0x1.11065895048ddp-55,  0x1.2ed02d75b3707p-55,  -0x1.e9c23179c2893p-54,
};
#define LN2_HI 0x1.62e42fefa39efp-1  /* ln 2 rounded to double */
#define LN2_LO 0x1.abc9e3b39803fp-56 /* ln 2 - LN2_HI */
#define INV_LN2 0x1.71547652b82fep+0
/* Adding 1.5 * 2^48 rounds to a multiple of 1/16, which then sits in the low mantissa bits. */
#define EXP_SHIFT 0x1.8p48

/* c[0] + c[1] x + ... + c[deg] x^deg by Horner's rule (deg is a constant; fully unrolled). */
VINLINE vd vpoly(vd x, const double *c, int deg) {
    vd p = vset(c[deg]);
#pragma GCC unroll 8
    for (int i = deg - 1; i >= 0; i--) p = vfma(p, x, vset(c[i]));
    return p;
}

/* -|x|, except that a NaN keeps its sign (vmin returns its second operand when either is NaN), as
 * the scalar reference's x >= 0 ? -x : x does. */
VINLINE vd vnegabs(vd x) { return vmin(vxor(x, vset(-0.0)), x); }

/* exp(y) for y <= 0 (or NaN), returned as hi + *lo (hi = the result rounded to double, *lo = the
 * rest), with q of degree `deg` (a constant): 5 or 4.
 *
 * Method: y is clamped to >= -750 (exp(-745.14) already rounds to 0; a NaN passes unchanged, so
 * it leaves with its sign as libm's exp leaves it). y = k ln2 + r, where k is y/ln2
 * rounded to a multiple of 1/16 and |r| <= ln2/32; r = (y - k LN2_HI) - k LN2_LO, the first step
 * exact. e^r = 1 + t, t = r + r^2 q(r), q the degree-5 minimax polynomial (relative error
 * 2.3e-20) or the degree-4 one (1.2e-17, 0.1 ulp: enough when only hi is used, and one
 * multiply-add less on the longest chain: 8 % faster sigmoid). 2^k = 2^floor(k) 2^(j/16),
 * j = 16k mod 16, from the table. So e^y =
 * 2^floor(k) (T_hi + w) with w = T_lo + T_hi t; hi rounds that sum (Fast2Sum keeps its error in
 * lo) and the power of two is applied exactly (rounding once more only when subnormal).
 * Error (degree 5): hi + lo is within 2^-57 of exp(y), relative (the rounding of r, t and w,
 * each below 2^-59, and the polynomial's); hi alone within 0.5 ulp + 2^-57. Degree 4: hi within
 * 0.5 ulp + 2^-56. Below 2^-1022 only hi counts. -inf gives 0. */
VINLINE vd vexp_core(vd y, vd *lo, int deg) {
    static const double q5[6] = {
        0x1.0000000000004p-1, 0x1.5555555555549p-3, 0x1.555555547fdfap-5,
        0x1.1111111201fe2p-7, 0x1.6c18412234cb0p-10, 0x1.a01987b873174p-13,
    };
    static const double q4[5] = {
        0x1.fffffffffffb9p-2, 0x1.555555548f887p-3, 0x1.55555558fcb4bp-5,
        0x1.11123aaebf7c1p-7, 0x1.6c14c6e06c63ep-10,
    };
    y = vmax(vset(-750.0), y); /* vmax returns y if it is NaN */
    vd ks = vfma(y, vset(INV_LN2), vset(EXP_SHIFT));
    vd k = vsub(ks, vset(EXP_SHIFT));
    vd r = vfnma(k, vset(LN2_HI), y);
    r = vfnma(k, vset(LN2_LO), r);
    vd t = vfma(vmul(r, r), deg == 5 ? vpoly(r, q5, 5) : vpoly(r, q4, 4), r);
    vd th = vlookup16(exp2_16_hi, ks), tl = vlookup16(exp2_16_lo, ks);
    vd w = vfma(th, t, tl);
    vd s = vadd(th, w);
    vpow2 scale = vpow2_make(k, ks);
    *lo = vpow2_mul(vadd(vsub(th, s), w), scale);
    return vpow2_mul(s, scale);
}

/* exp(y), y <= 0, as a double-double (for tanh and log(1 + e), where 1 - e and 1 + e need it). */
VINLINE vd vexp_neg(vd y, vd *lo) { return vexp_core(y, lo, 5); }

/* exp(y), y <= 0, rounded to double: within 0.5 ulp + 2^-56 (sigmoid, softmax, cross-entropy). */
VINLINE vd vexp_neg_hi(vd y) {
    vd lo;
    vd hi = vexp_core(y, &lo, 4);
    (void)lo;
    return hi;
}

/* ---- sigmoid, tanh, log(1 + e) ------------------------------------------------------------- */

/* sigmoid(x) = 1/(1 + e) for x >= 0 and e/(1 + e) for x < 0, e = exp(-|x|): never an exp of a
 * positive number, so nothing overflows; -0 and +0 give 1/2, +inf 1, -inf 0, NaN the same NaN
 * (as in the scalar reference, sign included). 1 + e is
 * kept exactly as d + dlo and the quotient q = n/d corrected to q (1 - dlo/d), with 1/d taken
 * from q itself (q or 1 - q), so that every instruction set computes the same bits.
 * Error: below 2.5 ulp, about 2 at worst (the rounding of e, of the quotient and of the
 * correction; the largest measured is 1.99 ulp, see nnb_kernel_isa() in nnblas.h); exact 0 and 1
 * only where the true value rounds there; subnormal results are rounded once. Keeping e's own
 * rounding error too (hi + lo) would bring it to about 1 ulp at a cost of 20 % in speed. */
VINLINE vd vsigmoid(vd x) {
    vd one = vset(1.0);
    vd e = vexp_neg_hi(vnegabs(x));
    vd d = vadd(one, e);
    vd dlo = vadd(vsub(one, d), e); /* 1 + e - d, exactly */
    vmask pos = vge(x, vzero());
    vd q = vdiv(vsel(pos, one, e), d);
    vd inv = vsub_where(vmask_not(pos), one, q, q); /* 1/d: q, or 1 - q as 1/(1+e) = 1 - e/(1+e) */
    return vfnma(q, vmul(dlo, inv), q);
}

/* tanh(x). For |x| < 1/8: x + x^3 P(x^2), P the degree-5 minimax polynomial (relative error
 * 2.6e-19). Otherwise tanh|x| = (1 - e)/(1 + e), e = exp(-2|x|), with e, 1 - e and 1 + e kept
 * as double-doubles and the quotient corrected by its remainder; the sign of x is put back.
 * Error: within 1 ulp (the largest measured is 0.61 ulp). tanh(+-0) = +-0, tiny x give x,
 * +-inf +-1, NaN NaN. */
VINLINE vd vtanh(vd x) {
    static const double P[6] = {
        -0x1.5555555555552p-2, 0x1.111111110f2ffp-3,  -0x1.ba1ba1adeea81p-5,
        0x1.664f365eda2d2p-6,  -0x1.226088423fdccp-7, 0x1.cca923fc9e08cp-9,
    };
    vd one = vset(1.0), elo;
    vd e = vexp_neg(vnegabs(vadd(x, x)), &elo);
    vd n = vsub(one, e), nlo = vsub(vsub(vsub(one, n), e), elo); /* 1 - e = n + nlo */
    vd d = vadd(one, e), dlo = vadd(vadd(vsub(one, d), e), elo); /* 1 + e = d + dlo */
    vd q = vdiv(n, d);
    vd rem = vadd(vfnma(q, d, n), vfnma(q, dlo, nlo)); /* (n + nlo) - q (d + dlo) */
    q = vfma(rem, vfma(q, vset(0.5), vset(0.5)), q);    /* 1/(1+e) = (1 + q)/2 */

    vd ax = vabs(x), x2 = vmul(x, x);
    vd small = vfma(vmul(x2, ax), vpoly(x2, P, 5), ax);
    /* both are tanh|x| >= 0 (NaN for NaN); then the sign of x, also for -0 */
    return vor(vsel(vlt(ax, vset(0.125)), small, q), vand(x, vset(-0.0)));
}

/* log(1 + e) for e = hi + lo in [0, 1] (log1p of vexp_neg's result). 1 + e = d + dlo; with
 * f = (d + dlo) / 2^c in [sqrt(2)/2, sqrt(2)] (c = 0 or 1),
 * log f = 2 atanh(s) = 2s (1 + s^2 R(s^2)), s = (f - 1)/(f + 1), |s| <= 0.172, R the degree-6
 * minimax polynomial (relative error 1.8e-18). Result c ln2 + log f, within about 2 ulp. */
VINLINE vd vlog1p_dd(vd e, vd elo) {
    static const double R[7] = {
        0x1.5555555555592p-2, 0x1.999999997fdb6p-3, 0x1.24924941f135ap-3, 0x1.c71c520951610p-4,
        0x1.74663eea91664p-4, 0x1.39a1ba854059ep-4, 0x1.2f056555d5032p-4,
    };
    vd one = vset(1.0);
    vd d = vadd(one, e), dlo = vadd(vadd(vsub(one, d), e), elo);
    vmask big = vgt(d, vset(0x1.6a09e667f3bcdp+0)); /* sqrt(2) */
    vd half = vsel(big, vset(0.5), one);
    vd f = vmul(d, half), flo = vmul(dlo, half);
    vd s = vdiv(vadd(vsub(f, one), flo), vadd(vadd(f, one), flo)); /* f - 1 is exact */
    vd u = vmul(s, s), s2 = vadd(s, s);
    vd logf = vfma(vmul(s2, u), vpoly(u, R, 6), s2);
    vd c = vsel0(big, one);
    return vfma(c, vset(LN2_HI), vfma(c, vset(LN2_LO), logf));
}

/* ---- the kernels --------------------------------------------------------------------------- */

/* Lanes in the step that starts at i of a loop over n elements. */
VINLINE size_t chunk(size_t n, size_t i) { return n - i < VW ? n - i : VW; }

VINLINE vd act_forward(nnb_activation act, vd v, vd alpha) {
    switch (act) {
    case NNB_ACT_SIGMOID: return vsigmoid(v);
    case NNB_ACT_TANH: return vtanh(v);
    case NNB_ACT_RELU: return vsel0(vgt(v, vzero()), v);
    case NNB_ACT_LEAKY_RELU: return vsel(vgt(v, vzero()), v, vmul(alpha, v));
    default: return v;
    }
}

/* bias_act for one element-wise activation (a compile-time constant after inlining): rows of n
 * elements, the bias added to each row (or none). */
VINLINE void bias_map(nnb_activation act, double alpha, size_t rows, size_t n, double *z,
                      const double *b, double *a) {
    vd va = vset(alpha);
    for (size_t r = 0; r < rows; r++) {
        double *zr = z + r * n, *ar = a + r * n;
        for (size_t i = 0; i < n; i += VW) {
            size_t m = chunk(n, i);
            vd v = vload_n(zr + i, m, 0.0);
            if (b) {
                v = vadd(v, vload_n(b + i, m, 0.0));
                vstore_n(zr + i, v, m);
            }
            vstore_n(ar + i, act_forward(act, v, va), m);
        }
    }
}

/* Largest element of a row, NaN if any is NaN (the scalar reference's rule). */
static double row_max(size_t cols, const double *z) {
    vd mx = vset(-INFINITY);
    vmask nan = vmask_none();
    for (size_t c = 0; c < cols; c += VW) {
        vd v = vload_n(z + c, chunk(cols, c), -INFINITY);
        nan = vmask_or(nan, visnan(v));
        mx = vmax(mx, v);
    }
    return vany(nan) ? NAN : vhmax(mx);
}

/* Softmax of one row: a_c = e_c * (1 / sum e), e_c = exp(z_c - max), as the scalar reference.
 * Rows sum to 1 within (cols + 1) 2^-53 (the sum, 1/sum and the products each round once). */
static void softmax_row(size_t cols, const double *z, double *a) {
    vd m = vset(row_max(cols, z)), s = vzero();
    for (size_t c = 0; c < cols; c += VW) {
        size_t k = chunk(cols, c);
        vd e = vexp_neg_hi(vsub(vload_n(z + c, k, 0.0), m));
        vstore_n(a + c, e, k);
        s = vadd(s, vsel0(vfirst(k), e));
    }
    vd inv = vset(1.0 / vhsum(s));
    for (size_t c = 0; c < cols; c += VW) {
        size_t k = chunk(cols, c);
        vstore_n(a + c, vmul(vload_n(a + c, k, 0.0), inv), k);
    }
}

/* Rows narrower than this take two passes: the bias added row by row, then the activation over
 * the whole matrix as one run, so the vectors are full (a row of 2 would fill a quarter of an
 * AVX-512 vector, and the exp is the expensive part). The values are the same either way. */
#define NARROW_ROW (2 * VW)

static void bias_act(nnb_activation act, double alpha, size_t rows, size_t cols, double *z,
                     const double *b, double *a) {
    if (b && cols < NARROW_ROW && rows > 1 && act != NNB_ACT_SOFTMAX) {
        for (size_t r = 0; r < rows; r++)
            for (size_t c = 0; c < cols; c++) z[r * cols + c] += b[c];
        b = NULL;
    }
    /* Without a bias the rows are one contiguous run. */
    size_t nr = b ? rows : 1, n = b ? cols : rows * cols;
    switch (act) {
    case NNB_ACT_SIGMOID: bias_map(NNB_ACT_SIGMOID, alpha, nr, n, z, b, a); break;
    case NNB_ACT_TANH: bias_map(NNB_ACT_TANH, alpha, nr, n, z, b, a); break;
    case NNB_ACT_RELU: bias_map(NNB_ACT_RELU, alpha, nr, n, z, b, a); break;
    case NNB_ACT_LEAKY_RELU: bias_map(NNB_ACT_LEAKY_RELU, alpha, nr, n, z, b, a); break;
    case NNB_ACT_SOFTMAX:
        for (size_t r = 0; r < rows; r++) {
            if (b) bias_map(NNB_ACT_IDENTITY, alpha, 1, cols, z + r * cols, b, z + r * cols);
            softmax_row(cols, z + r * cols, a + r * cols);
        }
        break;
    default:
        if (b || a != z) bias_map(NNB_ACT_IDENTITY, alpha, nr, n, z, b, a);
        break;
    }
}

static void act_backward(nnb_activation act, double alpha, size_t rows, size_t cols,
                         const double *a, double *d) {
    size_t n = rows * cols;
    vd one = vset(1.0), va = vset(alpha);
    if (act == NNB_ACT_SOFTMAX) {
        for (size_t r = 0; r < rows; r++) {
            const double *ar = a + r * cols;
            double *dr = d + r * cols;
            vd dot = vzero();
            for (size_t c = 0; c < cols; c += VW) {
                size_t k = chunk(cols, c);
                dot = vadd(dot, vmul(vload_n(dr + c, k, 0.0), vload_n(ar + c, k, 0.0)));
            }
            vd vdot = vset(vhsum(dot));
            for (size_t c = 0; c < cols; c += VW) {
                size_t k = chunk(cols, c);
                vd ac = vload_n(ar + c, k, 0.0);
                vstore_n(dr + c, vmul(ac, vsub(vload_n(dr + c, k, 0.0), vdot)), k);
            }
        }
        return;
    }
    if (act != NNB_ACT_SIGMOID && act != NNB_ACT_TANH && act != NNB_ACT_RELU &&
        act != NNB_ACT_LEAKY_RELU)
        return;
    for (size_t i = 0; i < n; i += VW) {
        size_t m = chunk(n, i);
        vd av = vload_n(a + i, m, 0.0), dv = vload_n(d + i, m, 0.0);
        switch (act) {
        case NNB_ACT_SIGMOID: dv = vmul(dv, vmul(av, vsub(one, av))); break;
        case NNB_ACT_TANH: dv = vmul(dv, vsub(one, vmul(av, av))); break;
        case NNB_ACT_RELU: dv = vsel0(vgt(av, vzero()), dv); break;
        default: dv = vsel(vgt(av, vzero()), dv, vmul(va, dv)); break;
        }
        vstore_n(d + i, dv, m);
    }
}

static double delta_se(size_t n, const double *yhat, const double *y, double scale, double *d) {
    vd s = vzero(), sc = vset(scale);
    for (size_t i = 0; i < n; i += VW) {
        size_t m = chunk(n, i);
        vd e = vsub(vload_n(yhat + i, m, 0.0), vload_n(y + i, m, 0.0)); /* 0 in unused lanes */
        s = vadd(s, vmul(e, e));
        vstore_n(d + i, vmul(sc, e), m);
    }
    return vhsum(s);
}

static double delta_se_sigmoid(size_t n, const double *yhat, const double *y, double scale,
                               double *d) {
    vd s = vzero(), sc = vset(scale), one = vset(1.0);
    for (size_t i = 0; i < n; i += VW) {
        size_t m = chunk(n, i);
        vd o = vload_n(yhat + i, m, 0.0);
        vd e = vsub(o, vload_n(y + i, m, 0.0));
        s = vadd(s, vmul(e, e));
        vstore_n(d + i, vmul(vmul(vmul(sc, e), o), vsub(one, o)), m);
    }
    return vhsum(s);
}

static double delta_bce_sigmoid(size_t n, const double *z, const double *yhat, const double *y,
                                double scale, double *d) {
    vd s = vzero(), sc = vset(scale);
    for (size_t i = 0; i < n; i += VW) {
        size_t m = chunk(n, i);
        vd zv = vload_n(z + i, m, 0.0), yv = vload_n(y + i, m, 0.0);
        vd elo, e = vexp_neg(vor(zv, vset(-0.0)), &elo); /* -|z|, a NaN made negative as by -fabs */
        /* softplus(z) - y z, softplus(z) = max(z, 0) + log(1 + exp(-|z|)) */
        vd term = vsub(vadd(vsel0(vgt(zv, vzero()), zv), vlog1p_dd(e, elo)), vmul(yv, zv));
        s = vadd(s, vsel0(vfirst(m), term));
        vstore_n(d + i, vmul(sc, vsub(vload_n(yhat + i, m, 0.0), yv)), m);
    }
    return vhsum(s);
}

static double delta_ce_softmax(size_t rows, size_t cols, const double *z, const double *yhat,
                               const double *y, double scale, double *d) {
    double s = 0.0;
    vd sc = vset(scale);
    for (size_t r = 0; r < rows; r++) {
        const double *zr = z + r * cols, *yr = y + r * cols, *pr = yhat + r * cols;
        double *dr = d + r * cols;
        vd m = vset(row_max(cols, zr)), se = vzero(), ys = vzero(), yz = vzero();
        for (size_t c = 0; c < cols; c += VW) {
            size_t k = chunk(cols, c);
            vmask used = vfirst(k);
            vd zm = vsub(vload_n(zr + c, k, 0.0), m), yv = vload_n(yr + c, k, 0.0);
            se = vadd(se, vsel0(used, vexp_neg_hi(zm)));
            ys = vadd(ys, yv);
            yz = vadd(yz, vsel0(used, vmul(yv, zm)));
        }
        /* sum_j y_j (lse - z_j) = ysum * log(se) - sum_j y_j (z_j - m): one log per row */
        double ysum = vhsum(ys);
        s += ysum * log(vhsum(se)) - vhsum(yz);
        vd vys = vset(ysum);
        for (size_t c = 0; c < cols; c += VW) {
            size_t k = chunk(cols, c);
            vd p = vload_n(pr + c, k, 0.0);
            vstore_n(dr + c, vmul(sc, vsub(vmul(p, vys), vload_n(yr + c, k, 0.0))), k);
        }
    }
    return s;
}

static void col_sum(size_t rows, size_t cols, const double *d, double *out) {
    /* Each column is summed over the rows in order, as in the scalar reference, in blocks of up
     * to four vectors of columns whose sums stay in registers while the rows go by (no store and
     * reload of the sums per row, which costs most for narrow rows). */
    for (size_t c0 = 0; c0 < cols; c0 += 4 * VW) {
        size_t w = cols - c0 < 4 * VW ? cols - c0 : 4 * VW;
        size_t k0 = chunk(w, 0), k1 = chunk(w, VW), k2 = chunk(w, 2 * VW), k3 = chunk(w, 3 * VW);
        vd s0 = vzero(), s1 = vzero(), s2 = vzero(), s3 = vzero();
        const double *dr = d + c0;
        for (size_t r = 0; r < rows; r++, dr += cols) {
            s0 = vadd(s0, vload_n(dr, k0, 0.0));
            if (w > VW) s1 = vadd(s1, vload_n(dr + VW, k1, 0.0));
            if (w > 2 * VW) s2 = vadd(s2, vload_n(dr + 2 * VW, k2, 0.0));
            if (w > 3 * VW) s3 = vadd(s3, vload_n(dr + 3 * VW, k3, 0.0));
        }
        vstore_n(out + c0, s0, k0);
        if (w > VW) vstore_n(out + c0 + VW, s1, k1);
        if (w > 2 * VW) vstore_n(out + c0 + 2 * VW, s2, k2);
        if (w > 3 * VW) vstore_n(out + c0 + 3 * VW, s3, k3);
    }
}

static void axpy(size_t n, double a, const double *x, double *y) {
    vd va = vset(a);
    for (size_t i = 0; i < n; i += VW) {
        size_t m = chunk(n, i);
        vstore_n(y + i, vadd(vload_n(y + i, m, 0.0), vmul(va, vload_n(x + i, m, 0.0))), m);
    }
}

static void scal(size_t n, double a, double *x) {
    vd va = vset(a);
    for (size_t i = 0; i < n; i += VW) {
        size_t m = chunk(n, i);
        vstore_n(x + i, vmul(vload_n(x + i, m, 0.0), va), m);
    }
}

static double sumsq(size_t n, const double *x) {
    vd s = vzero();
    for (size_t i = 0; i < n; i += VW) {
        vd v = vload_n(x + i, chunk(n, i), 0.0);
        s = vadd(s, vmul(v, v));
    }
    return vhsum(s);
}

static void sgd(size_t n, double *theta, const double *g, double *v, double lr, double mu,
                double l2, int nesterov) {
    vd vlr = vset(lr), vmu = vset(mu), vl2 = vset(l2);
    for (size_t i = 0; i < n; i += VW) {
        size_t m = chunk(n, i);
        vd t = vload_n(theta + i, m, 0.0);
        vd gi = vadd(vload_n(g + i, m, 0.0), vmul(vl2, t));
        if (mu == 0.0) {
            vstore_n(theta + i, vsub(t, vmul(vlr, gi)), m);
            continue;
        }
        vd vi = vadd(vmul(vmu, vload_n(v + i, m, 0.0)), gi);
        vstore_n(v + i, vi, m);
        vstore_n(theta + i, vsub(t, vmul(vlr, nesterov ? vadd(gi, vmul(vmu, vi)) : vi)), m);
    }
}

static void adam(size_t n, double *theta, const double *g, double *mom, double *v, double lr,
                 double b1, double b2, double eps, double bc1, double bc2, double l2,
                 double decoupled) {
    vd vlr = vset(lr), vb1 = vset(b1), vb2 = vset(b2), c1 = vset(1.0 - b1), c2 = vset(1.0 - b2);
    vd veps = vset(eps), vbc1 = vset(bc1), vbc2 = vset(bc2), vl2 = vset(l2), vdec = vset(decoupled);
    for (size_t i = 0; i < n; i += VW) {
        size_t k = chunk(n, i);
        vd t = vload_n(theta + i, k, 0.0);
        vd gi = vadd(vload_n(g + i, k, 0.0), vmul(vl2, t));
        vd mi = vadd(vmul(vb1, vload_n(mom + i, k, 0.0)), vmul(c1, gi));
        vd vi = vadd(vmul(vb2, vload_n(v + i, k, 0.0)), vmul(vmul(c2, gi), gi));
        vstore_n(mom + i, mi, k);
        vstore_n(v + i, vi, k);
        vd step = vadd(vdiv(vmul(vbc1, mi), vadd(vsqrt(vmul(vbc2, vi)), veps)), vmul(vdec, t));
        vstore_n(theta + i, vsub(t, vmul(vlr, step)), k);
    }
}

static void rmsprop(size_t n, double *theta, const double *g, double *v, double lr, double rho,
                    double eps, double l2) {
    vd vlr = vset(lr), vrho = vset(rho), c = vset(1.0 - rho), veps = vset(eps), vl2 = vset(l2);
    for (size_t i = 0; i < n; i += VW) {
        size_t k = chunk(n, i);
        vd t = vload_n(theta + i, k, 0.0);
        vd gi = vadd(vload_n(g + i, k, 0.0), vmul(vl2, t));
        vd vi = vadd(vmul(vrho, vload_n(v + i, k, 0.0)), vmul(vmul(c, gi), gi));
        vstore_n(v + i, vi, k);
        vstore_n(theta + i, vsub(t, vdiv(vmul(vlr, gi), vadd(vsqrt(vi), veps))), k);
    }
}

const nnbi_kernels NNBI_VEC_TABLE = NNBI_KERNELS_TABLE(NNBI_VEC_ISA, VW);
