/*
 * The float64 part of the vectorised kernels: our own exp, sigmoid, tanh and log1p in double.
 * avx2.c and avx512.c define the vector operations (type vt of VW doubles, masks, partial loads
 * and stores, vfma, vlookup16, vpow2_mul, ...), include this file, and then vec_kernels.h, which
 * writes every kernel over what both provide. Include it only from those files.
 *
 * The transcendental functions are our own (no libm per element), derived for this file:
 * lib/kernels/derive_constants.py prints every constant below and its approximation error.
 */
#include <math.h>
#include <string.h>

#include "vec_math.h"

/* ---- exp ------------------------------------------------------------------------------------ */

/* 2^(j/16) for j = 0..15 as hi + lo pairs (hi the nearest double, lo the rest). */
static const double exp2_16_hi[16] __attribute__((aligned(64))) = {
    0x1.0000000000000p+0, 0x1.0b5586cf9890fp+0, 0x1.172b83c7d517bp+0, 0x1.2387a6e756238p+0,
    0x1.306fe0a31b715p+0, 0x1.3dea64c123422p+0, 0x1.4bfdad5362a27p+0, 0x1.5ab07dd485429p+0,
    0x1.6a09e667f3bcdp+0, 0x1.7a11473eb0187p+0, 0x1.8ace5422aa0dbp+0, 0x1.9c49182a3f090p+0,
    0x1.ae89f995ad3adp+0, 0x1.c199bdd85529cp+0, 0x1.d5818dcfba487p+0, 0x1.ea4afa2a490dap+0,
};
static const double exp2_16_lo[16] __attribute__((aligned(64))) = {
    0x0.0p+0,
    0x1.8a62e4adc610bp-54,
    -0x1.19041b9d78a76p-55,
    0x1.9b07eb6c70573p-54,
    0x1.6f46ad23182e4p-55,
    0x1.ada0911f09ebcp-55,
    0x1.d4397afec42e2p-56,
    0x1.6324c054647adp-54,
    -0x1.bdd3413b26456p-54,
    -0x1.41577ee04992fp-55,
    0x1.6e9f156864b27p-54,
    0x1.c7c46b071f2bep-56,
    0x1.7a1cd345dcc81p-54,
    0x1.11065895048ddp-55,
    0x1.2ed02d75b3707p-55,
    -0x1.e9c23179c2893p-54,
};
#define LN2_HI 0x1.62e42fefa39efp-1  /* ln 2 rounded to double */
#define LN2_LO 0x1.abc9e3b39803fp-56 /* ln 2 - LN2_HI */
#define INV_LN2 0x1.71547652b82fep+0
/* Adding 1.5 * 2^48 rounds to a multiple of 1/16, which then sits in the low mantissa bits. */
#define EXP_SHIFT 0x1.8p48

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
VINLINE vt vexp_core(vt y, vt *lo, int deg) {
    static const double q5[6] = {
        0x1.0000000000004p-1, 0x1.5555555555549p-3,  0x1.555555547fdfap-5,
        0x1.1111111201fe2p-7, 0x1.6c18412234cb0p-10, 0x1.a01987b873174p-13,
    };
    static const double q4[5] = {
        0x1.fffffffffffb9p-2, 0x1.555555548f887p-3,  0x1.55555558fcb4bp-5,
        0x1.11123aaebf7c1p-7, 0x1.6c14c6e06c63ep-10,
    };
    y = vmax(vset(-750.0), y); /* vmax returns y if it is NaN */
    vt ks = vfma(y, vset(INV_LN2), vset(EXP_SHIFT));
    vt k = vsub(ks, vset(EXP_SHIFT));
    vt r = vfnma(k, vset(LN2_HI), y);
    r = vfnma(k, vset(LN2_LO), r);
    vt t = vfma(vmul(r, r), deg == 5 ? vpoly(r, q5, 5) : vpoly(r, q4, 4), r);
    vt th = vlookup16(exp2_16_hi, ks), tl = vlookup16(exp2_16_lo, ks);
    vt w = vfma(th, t, tl);
    vt s = vadd(th, w);
    vpow2 scale = vpow2_make(k, ks);
    *lo = vpow2_mul(vadd(vsub(th, s), w), scale);
    return vpow2_mul(s, scale);
}

/* exp(y), y <= 0, as a double-double (for tanh and log(1 + e), where 1 - e and 1 + e need it). */
VINLINE vt vexp_neg(vt y, vt *lo) { return vexp_core(y, lo, 5); }

/* exp(y), y <= 0, rounded to double: within 0.5 ulp + 2^-56 (sigmoid, softmax, cross-entropy). */
VINLINE vt vexp_neg_hi(vt y) {
    vt lo;
    vt hi = vexp_core(y, &lo, 4);
    (void)lo;
    return hi;
}

/* ---- sigmoid, tanh, log(1 + e) ------------------------------------------------------------- */

/* sigmoid (vsigmoid_of) with e = exp(-|x|) rounded to double; a NaN comes out as it went in, sign
 * included, as in the scalar reference.
 * Error: below 2.5 ulp, about 2 at worst (the rounding of e, of the quotient and of the
 * correction; the largest measured is 1.99 ulp, see nnb_kernel_isa() in nnblas.h); exact 0 and 1
 * only where the true value rounds there; subnormal results are rounded once. Keeping e's own
 * rounding error too (hi + lo) would bring it to about 1 ulp at a cost of 20 % in speed. */
VINLINE vt vsigmoid(vt x) { return vsigmoid_of(x, vexp_neg_hi(vnegabs(x))); }

/* tanh(x). For |x| < 1/8: x + x^3 P(x^2), P the degree-5 minimax polynomial (relative error
 * 2.6e-19). Otherwise tanh|x| = (1 - e)/(1 + e), e = exp(-2|x|), with e, 1 - e and 1 + e kept
 * as double-doubles (vtanh_of); the sign of x is put back.
 * Error: within 1 ulp (the largest measured is 0.61 ulp). tanh(+-0) = +-0, tiny x give x,
 * +-inf +-1, NaN NaN. */
VINLINE vt vtanh(vt x) {
    static const double P[6] = {
        -0x1.5555555555552p-2, 0x1.111111110f2ffp-3,  -0x1.ba1ba1adeea81p-5,
        0x1.664f365eda2d2p-6,  -0x1.226088423fdccp-7, 0x1.cca923fc9e08cp-9,
    };
    vt elo, e = vexp_neg(vnegabs(vadd(x, x)), &elo);
    vt q = vtanh_of(e, elo);
    vt ax = vabs(x), x2 = vmul(x, x);
    vt small = vfma(vmul(x2, ax), vpoly(x2, P, 5), ax);
    /* both are tanh|x| >= 0 (NaN for NaN); then the sign of x, also for -0 */
    return vor(vsel(vlt(ax, vset(0.125)), small, q), vand(x, vset(-0.0)));
}

/* log(1 + e) for e = hi + lo in [0, 1] (log1p of vexp_neg's result), vlog1p_of with R the
 * degree-6 minimax polynomial (relative error 1.8e-18): within about 2 ulp. */
VINLINE vt vlog1p_dd(vt e, vt elo) {
    static const double R[7] = {
        0x1.5555555555592p-2, 0x1.999999997fdb6p-3, 0x1.24924941f135ap-3, 0x1.c71c520951610p-4,
        0x1.74663eea91664p-4, 0x1.39a1ba854059ep-4, 0x1.2f056555d5032p-4,
    };
    return vlog1p_of(e, elo, R, 6, LN2_HI, LN2_LO);
}

/* ---- sums ------------------------------------------------------------------------------------
 * vec_kernels.h's accumulators (type vacc): double results are summed in double vectors, per
 * lane. */

typedef vt vacc;
VINLINE vacc acc_zero(void) { return vzero(); }
VINLINE double acc_hsum(vacc a) { return vhsum(a); }
VINLINE vacc acc_add(vacc acc, vt x) { return vadd(acc, x); }                /* acc + x */
VINLINE vacc acc_sq(vacc acc, vt e) { return vadd(acc, vmul(e, e)); }        /* acc + e^2 */
VINLINE vacc acc_dot(vacc acc, vt a, vt b) { return vadd(acc, vmul(a, b)); } /* acc + a b */

/* acc + y (z - m) over the first `used` lanes */
VINLINE vacc acc_ydiff(vacc acc, vmask used, vt y, vt z, vt m) {
    return vadd(acc, vsel0(used, vmul(y, vsub(z, m))));
}

/* acc + softplus(z) - y z over the first m lanes: (max(z, 0) + log(1 + exp(-|z|))) - y z */
VINLINE vacc acc_bce(vacc acc, vt z, vt y, size_t m) {
    vt elo, e = vexp_neg(vor(z, vset(-0.0)), &elo); /* -|z|, a NaN made negative as by -fabs */
    vt term = vsub(vadd(vsel0(vgt(z, vzero()), z), vlog1p_dd(e, elo)), vmul(y, z));
    return vadd(acc, vsel0(vfirst(m), term));
}
