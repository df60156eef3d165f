/*
 * The float32 part of the vectorised kernels: our own exp, sigmoid, tanh and log1p in float, and
 * the sums in double. avx2_f32.c and avx512_f32.c define the vector operations (type vt of VW
 * floats, masks, partial loads and stores, vfma, vpow2_mul, ...; and for the sums vd, vectors of
 * VW/2 doubles with dzero, dadd, dsub, dmul, dhsum, and vcvt_lo/vcvt_hi, which convert the two
 * halves of a vt to vd), include this file, and then vec_kernels.h, which writes every kernel
 * over what both provide. Include it only from those files.
 *
 * exp, tanh and log1p are our own, in float (lib/kernels/derive_constants.py prints the
 * polynomials and their errors). No tables and no gathers: exp reduces by ln2, not ln2/16.
 */
#include <math.h>
#include <string.h>

#include "vec_math.h"

/* ---- exp ------------------------------------------------------------------------------------ */

#define LN2F_HI 0x1.62e430p-1f   /* ln 2 rounded to float */
#define LN2F_LO -0x1.05c610p-29f /* ln 2 - LN2F_HI */
#define INV_LN2F 0x1.715476p+0f
#define EXPF_SHIFT 0x1.8p23f /* adding 1.5 * 2^23 rounds to an integer */

/* exp(y) for y <= 0 (or NaN), as hi + *lo: hi is exp(y) rounded, within 0.5 ulp + 2^-25
 * relative, and hi + lo within 2^-25 relative.
 *
 * y is clamped to >= -104 (exp(-104) rounds to 0; a NaN passes). y = k ln2 + r with k = y/ln2
 * rounded to an integer and |r| <= ln2/2; r = (y - k LN2F_HI) - k LN2F_LO, the first step exact
 * (a fused multiply-add of a difference that fits in a float). e^r = 1 + t, t = r + r^2 q(r),
 * q the degree-4 minimax polynomial (relative error of 1 + r + r^2 q: 0.064 units of 2^-24);
 * hi = 1 + t rounded, lo = (1 - hi) + t exactly (Fast2Sum, |t| < 1); both scaled by 2^k exactly
 * (rounding once when the result is subnormal). -inf gives 0. */
VINLINE vt vexp_core(vt y, vt *lo) {
    static const float q[5] = {
        0x1.fffffcp-2f, 0x1.555492p-3f, 0x1.5558f2p-5f, 0x1.1239d4p-7f, 0x1.6a2444p-10f,
    };
    vt one = vset(1.0f);
    y = vmax(vset(-104.0f), y); /* vmax returns y if it is NaN */
    vt ks = vfma(y, vset(INV_LN2F), vset(EXPF_SHIFT));
    vt k = vsub(ks, vset(EXPF_SHIFT));
    vt r = vfnma(k, vset(LN2F_HI), y);
    r = vfnma(k, vset(LN2F_LO), r);
    vt t = vfma(vmul(r, r), vpoly(r, q, 4), r);
    vt hi = vadd(one, t);
    vpow2 p = vpow2_make(k);
    *lo = vpow2_mul(vadd(vsub(one, hi), t), p);
    return vpow2_mul(hi, p);
}

/* exp(y), y <= 0, rounded to float: hi alone (sigmoid, softmax, cross-entropy). */
VINLINE vt vexp_neg_hi(vt y) {
    vt lo;
    vt hi = vexp_core(y, &lo);
    (void)lo;
    return hi;
}

/* ---- sigmoid, tanh, log(1 + e) ------------------------------------------------------------- */

/* sigmoid (vsigmoid_of) with e = exp(-|x|) rounded to float, as the float64 one. Error: e's
 * (0.5 ulp + 2^-25 relative, scaled by at most 1) and the quotient's 0.5 ulp: within 2 ulp
 * (tests/test_kernels_f32.c states the measured). */
VINLINE vt vsigmoid(vt x) { return vsigmoid_of(x, vexp_neg_hi(vnegabs(x))); }

/* tanh|x| = (1 - e)/(1 + e), e = exp(-2|x|) as hi + lo, 1 - e and 1 + e kept as float-floats
 * (vtanh_of), then the sign of x. For small |x|, e = 1 + t exactly
 * as hi + lo, so 1 - e = -t keeps t's relative accuracy (no cancellation) and tiny x give x.
 * +-0 give +-0, +-inf +-1, NaN NaN. */
VINLINE vt vtanh(vt x) {
    vt elo, e = vexp_core(vnegabs(vadd(x, x)), &elo);
    vt q = vtanh_of(e, elo);
    return vor(q, vand(x, vset(-0.0f)));
}

/* log(1 + e) for e = hi + lo in [0, 1], vlog1p_of with R the degree-2 minimax polynomial
 * (relative error 0.015 units of 2^-24). */
VINLINE vt vlog1p_ff(vt e, vt elo) {
    static const float R[3] = {0x1.55557ap-2f, 0x1.995ebap-3f, 0x1.31e2f6p-3f};
    return vlog1p_of(e, elo, R, 2, LN2F_HI, LN2F_LO);
}

/* ---- sums in double --------------------------------------------------------------------------
 * vec_kernels.h's accumulators (type vacc): float results are summed in double, per lane, each
 * float vector converted in two halves. */

typedef vd vacc;
VINLINE vacc acc_zero(void) { return dzero(); }
VINLINE double acc_hsum(vacc a) { return dhsum(a); }

/* acc + x */
VINLINE vacc acc_add(vacc acc, vt x) { return dadd(dadd(acc, vcvt_lo(x)), vcvt_hi(x)); }

/* acc + e^2 (the squares of floats are exact in double) */
VINLINE vacc acc_sq(vacc acc, vt e) {
    vd lo = vcvt_lo(e), hi = vcvt_hi(e);
    return dadd(dadd(acc, dmul(lo, lo)), dmul(hi, hi));
}

/* acc + a b (products of floats: exact in double) */
VINLINE vacc acc_dot(vacc acc, vt a, vt b) {
    acc = dadd(acc, dmul(vcvt_lo(a), vcvt_lo(b)));
    return dadd(acc, dmul(vcvt_hi(a), vcvt_hi(b)));
}

/* acc + y (z - m) over the first `used` lanes, in double: the unused lanes have y = 0, but z - m
 * may be NaN or inf there, so z is replaced by m */
VINLINE vacc acc_ydiff(vacc acc, vmask used, vt y, vt z, vt m) {
    vt yk = vsel0(used, y), zk = vsel(used, z, m);
    vd md = vcvt_lo(m); /* m is one value in every lane */
    acc = dadd(acc, dmul(vcvt_lo(yk), dsub(vcvt_lo(zk), md)));
    return dadd(acc, dmul(vcvt_hi(yk), dsub(vcvt_hi(zk), md)));
}

/* acc + softplus(z) - y z over the first m lanes: (max(z, 0) - y z) + log(1 + exp(-|z|)), the
 * first part in double */
VINLINE vacc acc_bce(vacc acc, vt z, vt y, size_t m) {
    vt elo, e = vexp_core(vor(z, vset(-0.0f)), &elo); /* -|z|, a NaN made negative */
    vt l = vsel0(vfirst(m), vlog1p_ff(e, elo));
    vt mz = vsel0(vgt(z, vzero()), z);
    vd tlo = dadd(dsub(vcvt_lo(mz), dmul(vcvt_lo(y), vcvt_lo(z))), vcvt_lo(l));
    vd thi = dadd(dsub(vcvt_hi(mz), dmul(vcvt_hi(y), vcvt_hi(z))), vcvt_hi(l));
    return dadd(dadd(acc, tlo), thi);
}
