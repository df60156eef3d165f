/*
 * The vectorised float32 kernels, written once. avx2_f32.c and avx512_f32.c each define a small
 * set of vector operations (type vf of FW floats, masks, partial loads and stores, wfma,
 * wpow2_mul, conversions of the two halves of a vf to vd, vectors of FW/2 doubles, ...) and then
 * include this file, which builds the table NNBI_VEC_TABLE_F32 from them. Include it only from
 * those files.
 *
 * Conventions, as in vec_kernels.h: loops walk the arrays FW elements at a time, the last partial
 * step loads and stores only its m < FW lanes, so no kernel touches memory past n. Kernels without
 * exp/log use scalar_f32.c's float formulas in the same order without fused multiply-adds
 * (compiled with -ffp-contract=off), so their element-wise outputs are bit-identical to it. Sums
 * accumulate in double (each float vector converted in two halves), per lane.
 *
 * exp, tanh and log1p are our own, in float (lib/kernels/derive_constants.py prints the
 * polynomials and their errors). No tables and no gathers: exp reduces by ln2, not ln2/16.
 */
#include <math.h>
#include <string.h>

/* ---- exp ------------------------------------------------------------------------------------ */

#define LN2F_HI 0x1.62e430p-1f   /* ln 2 rounded to float */
#define LN2F_LO -0x1.05c610p-29f /* ln 2 - LN2F_HI */
#define INV_LN2F 0x1.715476p+0f
#define EXPF_SHIFT 0x1.8p23f /* adding 1.5 * 2^23 rounds to an integer */

/* c[0] + c[1] x + ... + c[deg] x^deg by Horner's rule (deg a constant). */
VINLINE vf wpoly(vf x, const float *c, int deg) {
    vf p = wset(c[deg]);
#pragma GCC unroll 8
    for (int i = deg - 1; i >= 0; i--) p = wfma(p, x, wset(c[i]));
    return p;
}

/* -|x|, a NaN keeping its sign (wmin returns its second operand when either is NaN). */
VINLINE vf wnegabs(vf x) { return wmin(wxor(x, wset(-0.0f)), x); }

/* exp(y) for y <= 0 (or NaN), as hi + *lo: hi is exp(y) rounded, within 0.5 ulp + 2^-25
 * relative, and hi + lo within 2^-25 relative.
 *
 * y is clamped to >= -104 (exp(-104) rounds to 0; a NaN passes). y = k ln2 + r with k = y/ln2
 * rounded to an integer and |r| <= ln2/2; r = (y - k LN2F_HI) - k LN2F_LO, the first step exact
 * (a fused multiply-add of a difference that fits in a float). e^r = 1 + t, t = r + r^2 q(r),
 * q the degree-4 minimax polynomial (relative error of 1 + r + r^2 q: 0.064 units of 2^-24);
 * hi = 1 + t rounded, lo = (1 - hi) + t exactly (Fast2Sum, |t| < 1); both scaled by 2^k exactly
 * (rounding once when the result is subnormal). -inf gives 0. */
VINLINE vf wexp_core(vf y, vf *lo) {
    static const float q[5] = {
        0x1.fffffcp-2f, 0x1.555492p-3f, 0x1.5558f2p-5f, 0x1.1239d4p-7f, 0x1.6a2444p-10f,
    };
    vf one = wset(1.0f);
    y = wmax(wset(-104.0f), y); /* wmax returns y if it is NaN */
    vf ks = wfma(y, wset(INV_LN2F), wset(EXPF_SHIFT));
    vf k = wsub(ks, wset(EXPF_SHIFT));
    vf r = wfnma(k, wset(LN2F_HI), y);
    r = wfnma(k, wset(LN2F_LO), r);
    vf t = wfma(wmul(r, r), wpoly(r, q, 4), r);
    vf hi = wadd(one, t);
    wpow2 p = wpow2_make(k);
    *lo = wpow2_mul(wadd(wsub(one, hi), t), p);
    return wpow2_mul(hi, p);
}

VINLINE vf wexp_hi(vf y) {
    vf lo;
    vf hi = wexp_core(y, &lo);
    (void)lo;
    return hi;
}

/* ---- sigmoid, tanh, log(1 + e) ------------------------------------------------------------- */

/* sigmoid(x) = 1/(1 + e) for x >= 0 and e/(1 + e) for x < 0, e = exp(-|x|), as vec_kernels.h's:
 * 1 + e kept exactly as d + dlo and the quotient q corrected to q (1 - dlo/d), 1/d taken from q.
 * +-0 give 1/2, +inf 1, -inf 0, NaN NaN. Error: e's (0.5 ulp + 2^-25 relative, scaled by at most
 * 1) and the quotient's 0.5 ulp: within 2 ulp (tests/test_kernels_f32.c states the measured). */
VINLINE vf wsigmoid(vf x) {
    vf one = wset(1.0f);
    vf e = wexp_hi(wnegabs(x));
    vf d = wadd(one, e);
    vf dlo = wadd(wsub(one, d), e);
    wmask pos = wge(x, wzero());
    vf q = wdiv(wsel(pos, one, e), d);
    vf inv = wsub_where(wmask_not(pos), one, q, q);
    return wfnma(q, wmul(dlo, inv), q);
}

/* tanh|x| = (1 - e)/(1 + e), e = exp(-2|x|) as hi + lo, 1 - e and 1 + e kept as float-floats and
 * the quotient corrected by its remainder, then the sign of x. For small |x|, e = 1 + t exactly
 * as hi + lo, so 1 - e = -t keeps t's relative accuracy (no cancellation) and tiny x give x.
 * +-0 give +-0, +-inf +-1, NaN NaN. */
VINLINE vf wtanh(vf x) {
    vf one = wset(1.0f), elo;
    vf e = wexp_core(wnegabs(wadd(x, x)), &elo);
    vf n = wsub(one, e), nlo = wsub(wsub(wsub(one, n), e), elo); /* 1 - e = n + nlo */
    vf d = wadd(one, e), dlo = wadd(wadd(wsub(one, d), e), elo); /* 1 + e = d + dlo */
    vf q = wdiv(n, d);
    vf rem = wadd(wfnma(q, d, n), wfnma(q, dlo, nlo)); /* (n + nlo) - q (d + dlo) */
    q = wfma(rem, wfma(q, wset(0.5f), wset(0.5f)), q);  /* 1/(1+e) = (1 + q)/2 */
    return wor(q, wand(x, wset(-0.0f)));
}

/* log(1 + e) for e = hi + lo in [0, 1]: 1 + e = d + dlo; f = (d + dlo) / 2^c in
 * [sqrt(2)/2, sqrt(2)]; log f = 2 atanh(s) = 2s (1 + s^2 R(s^2)), s = (f - 1)/(f + 1),
 * |s| <= 0.172, R the degree-2 minimax polynomial (relative error 0.015 units of 2^-24).
 * Result c ln2 + log f. */
VINLINE vf wlog1p_ff(vf e, vf elo) {
    static const float R[3] = {0x1.55557ap-2f, 0x1.995ebap-3f, 0x1.31e2f6p-3f};
    vf one = wset(1.0f);
    vf d = wadd(one, e), dlo = wadd(wadd(wsub(one, d), e), elo);
    wmask big = wgt(d, wset(0x1.6a09e6p+0f)); /* sqrt(2) */
    vf half = wsel(big, wset(0.5f), one);
    vf f = wmul(d, half), flo = wmul(dlo, half);
    vf s = wdiv(wadd(wsub(f, one), flo), wadd(wadd(f, one), flo)); /* f - 1 is exact */
    vf u = wmul(s, s), s2 = wadd(s, s);
    vf logf_ = wfma(wmul(s2, u), wpoly(u, R, 2), s2);
    vf c = wsel0(big, one);
    return wfma(c, wset(LN2F_HI), wfma(c, wset(LN2F_LO), logf_));
}

/* ---- the kernels --------------------------------------------------------------------------- */

VINLINE size_t chunk(size_t n, size_t i) { return n - i < FW ? n - i : FW; }

/* acc += x, x's two halves converted to double */
VINLINE vd dacc(vd acc, vf x) { return dadd(dadd(acc, wcvt_lo(x)), wcvt_hi(x)); }

VINLINE vf act_forward(nnb_activation act, vf v, vf alpha) {
    switch (act) {
    case NNB_ACT_SIGMOID: return wsigmoid(v);
    case NNB_ACT_TANH: return wtanh(v);
    case NNB_ACT_RELU: return wsel0(wgt(v, wzero()), v);
    case NNB_ACT_LEAKY_RELU: return wsel(wgt(v, wzero()), v, wmul(alpha, v));
    default: return v;
    }
}

VINLINE void bias_map(nnb_activation act, float alpha, size_t rows, size_t n, float *z,
                      const float *b, float *a) {
    vf va = wset(alpha);
    for (size_t r = 0; r < rows; r++) {
        float *zr = z + r * n, *ar = a + r * n;
        for (size_t i = 0; i < n; i += FW) {
            size_t m = chunk(n, i);
            vf v = wload_n(zr + i, m, 0.0f);
            if (b) {
                v = wadd(v, wload_n(b + i, m, 0.0f));
                wstore_n(zr + i, v, m);
            }
            wstore_n(ar + i, act_forward(act, v, va), m);
        }
    }
}

/* Largest element of a row, NaN if any is NaN. */
static float row_max(size_t cols, const float *z) {
    vf mx = wset(-INFINITY);
    wmask nan = wmask_none();
    for (size_t c = 0; c < cols; c += FW) {
        vf v = wload_n(z + c, chunk(cols, c), -INFINITY);
        nan = wmask_or(nan, wisnan(v));
        mx = wmax(mx, v);
    }
    return wany(nan) ? NAN : whmax(mx);
}

/* a_c = e_c * (float)(1 / sum e), e_c = exp(z_c - max), the sum in double (as scalar_f32.c). */
static void softmax_row(size_t cols, const float *z, float *a) {
    vf m = wset(row_max(cols, z));
    vd s = dzero();
    for (size_t c = 0; c < cols; c += FW) {
        size_t k = chunk(cols, c);
        vf e = wexp_hi(wsub(wload_n(z + c, k, 0.0f), m));
        wstore_n(a + c, e, k);
        s = dacc(s, wsel0(wfirst(k), e));
    }
    vf inv = wset((float)(1.0 / dhsum(s)));
    for (size_t c = 0; c < cols; c += FW) {
        size_t k = chunk(cols, c);
        wstore_n(a + c, wmul(wload_n(a + c, k, 0.0f), inv), k);
    }
}

#define NARROW_ROW (2 * FW)

static void bias_act(nnb_activation act, double alpha, size_t rows, size_t cols, float *z,
                     const float *b, float *a) {
    float al = (float)alpha;
    if (b && cols < NARROW_ROW && rows > 1 && act != NNB_ACT_SOFTMAX) {
        for (size_t r = 0; r < rows; r++)
            for (size_t c = 0; c < cols; c++) z[r * cols + c] += b[c];
        b = NULL;
    }
    size_t nr = b ? rows : 1, n = b ? cols : rows * cols;
    switch (act) {
    case NNB_ACT_SIGMOID: bias_map(NNB_ACT_SIGMOID, al, nr, n, z, b, a); break;
    case NNB_ACT_TANH: bias_map(NNB_ACT_TANH, al, nr, n, z, b, a); break;
    case NNB_ACT_RELU: bias_map(NNB_ACT_RELU, al, nr, n, z, b, a); break;
    case NNB_ACT_LEAKY_RELU: bias_map(NNB_ACT_LEAKY_RELU, al, nr, n, z, b, a); break;
    case NNB_ACT_SOFTMAX:
        for (size_t r = 0; r < rows; r++) {
            if (b) bias_map(NNB_ACT_IDENTITY, al, 1, cols, z + r * cols, b, z + r * cols);
            softmax_row(cols, z + r * cols, a + r * cols);
        }
        break;
    default:
        if (b || a != z) bias_map(NNB_ACT_IDENTITY, al, nr, n, z, b, a);
        break;
    }
}

static void softmax_backward(size_t rows, size_t cols, const float *a, float *d) {
    for (size_t r = 0; r < rows; r++) {
        const float *ar = a + r * cols;
        float *dr = d + r * cols;
        vd dot = dzero();
        for (size_t c = 0; c < cols; c += FW) {
            size_t k = chunk(cols, c);
            vf dv = wload_n(dr + c, k, 0.0f), av = wload_n(ar + c, k, 0.0f);
            dot = dadd(dot, dmul(wcvt_lo(dv), wcvt_lo(av))); /* products of floats: exact */
            dot = dadd(dot, dmul(wcvt_hi(dv), wcvt_hi(av)));
        }
        vf vdot = wset((float)dhsum(dot));
        for (size_t c = 0; c < cols; c += FW) {
            size_t k = chunk(cols, c);
            vf ac = wload_n(ar + c, k, 0.0f);
            wstore_n(dr + c, wmul(ac, wsub(wload_n(dr + c, k, 0.0f), vdot)), k);
        }
    }
}

static void act_backward(nnb_activation act, double alpha, size_t rows, size_t cols,
                         const float *a, float *d) {
    size_t n = rows * cols;
    vf one = wset(1.0f), va = wset((float)alpha);
    if (act == NNB_ACT_SOFTMAX) {
        softmax_backward(rows, cols, a, d);
        return;
    }
    if (act != NNB_ACT_SIGMOID && act != NNB_ACT_TANH && act != NNB_ACT_RELU &&
        act != NNB_ACT_LEAKY_RELU)
        return;
    for (size_t i = 0; i < n; i += FW) {
        size_t m = chunk(n, i);
        vf av = wload_n(a + i, m, 0.0f), dv = wload_n(d + i, m, 0.0f);
        switch (act) {
        case NNB_ACT_SIGMOID: dv = wmul(dv, wmul(av, wsub(one, av))); break;
        case NNB_ACT_TANH: dv = wmul(dv, wsub(one, wmul(av, av))); break;
        case NNB_ACT_RELU: dv = wsel0(wgt(av, wzero()), dv); break;
        default: dv = wsel(wgt(av, wzero()), dv, wmul(va, dv)); break;
        }
        wstore_n(d + i, dv, m);
    }
}

/* sum of e^2 in double (the squares of floats are exact there) */
VINLINE vd dacc_sq(vd acc, vf e) {
    vd lo = wcvt_lo(e), hi = wcvt_hi(e);
    return dadd(dadd(acc, dmul(lo, lo)), dmul(hi, hi));
}

static double delta_se(size_t n, const float *yhat, const float *y, double scale, float *d) {
    vd s = dzero();
    vf sc = wset((float)scale);
    for (size_t i = 0; i < n; i += FW) {
        size_t m = chunk(n, i);
        vf e = wsub(wload_n(yhat + i, m, 0.0f), wload_n(y + i, m, 0.0f)); /* 0 in unused lanes */
        s = dacc_sq(s, e);
        wstore_n(d + i, wmul(sc, e), m);
    }
    return dhsum(s);
}

static double delta_se_sigmoid(size_t n, const float *yhat, const float *y, double scale,
                               float *d) {
    vd s = dzero();
    vf sc = wset((float)scale), one = wset(1.0f);
    for (size_t i = 0; i < n; i += FW) {
        size_t m = chunk(n, i);
        vf o = wload_n(yhat + i, m, 0.0f);
        vf e = wsub(o, wload_n(y + i, m, 0.0f));
        s = dacc_sq(s, e);
        wstore_n(d + i, wmul(wmul(wmul(sc, e), o), wsub(one, o)), m);
    }
    return dhsum(s);
}

static double delta_bce_sigmoid(size_t n, const float *z, const float *yhat, const float *y,
                                double scale, float *d) {
    vd s = dzero();
    vf sc = wset((float)scale);
    for (size_t i = 0; i < n; i += FW) {
        size_t m = chunk(n, i);
        vf zv = wload_n(z + i, m, 0.0f), yv = wload_n(y + i, m, 0.0f);
        vf elo, e = wexp_core(wor(zv, wset(-0.0f)), &elo); /* -|z|, a NaN made negative */
        vf l = wsel0(wfirst(m), wlog1p_ff(e, elo));
        vf mz = wsel0(wgt(zv, wzero()), zv);
        /* (max(z, 0) - y z) + log(1 + exp(-|z|)), the first part exact in double */
        vd tlo = dadd(dsub(wcvt_lo(mz), dmul(wcvt_lo(yv), wcvt_lo(zv))), wcvt_lo(l));
        vd thi = dadd(dsub(wcvt_hi(mz), dmul(wcvt_hi(yv), wcvt_hi(zv))), wcvt_hi(l));
        s = dadd(dadd(s, tlo), thi);
        wstore_n(d + i, wmul(sc, wsub(wload_n(yhat + i, m, 0.0f), yv)), m);
    }
    return dhsum(s);
}

static double delta_ce_softmax(size_t rows, size_t cols, const float *z, const float *yhat,
                               const float *y, double scale, float *d) {
    double s = 0.0;
    vf sc = wset((float)scale);
    for (size_t r = 0; r < rows; r++) {
        const float *zr = z + r * cols, *yr = y + r * cols, *pr = yhat + r * cols;
        float *dr = d + r * cols;
        float mf = row_max(cols, zr);
        vf m = wset(mf);
        vd md = dset(mf), se = dzero(), ys = dzero(), yz = dzero();
        for (size_t c = 0; c < cols; c += FW) {
            size_t k = chunk(cols, c);
            vf zv = wload_n(zr + c, k, 0.0f), yv = wload_n(yr + c, k, 0.0f);
            se = dacc(se, wsel0(wfirst(k), wexp_hi(wsub(zv, m))));
            ys = dacc(ys, yv);
            /* y (z - m) in double; unused lanes have y = 0 but z - m may be NaN or inf */
            vf yk = wsel0(wfirst(k), yv), zk = wsel(wfirst(k), zv, m);
            yz = dadd(yz, dmul(wcvt_lo(yk), dsub(wcvt_lo(zk), md)));
            yz = dadd(yz, dmul(wcvt_hi(yk), dsub(wcvt_hi(zk), md)));
        }
        double ysum = dhsum(ys);
        s += ysum * log(dhsum(se)) - dhsum(yz);
        vf vys = wset((float)ysum);
        for (size_t c = 0; c < cols; c += FW) {
            size_t k = chunk(cols, c);
            vf p = wload_n(pr + c, k, 0.0f);
            wstore_n(dr + c, wmul(sc, wsub(wmul(p, vys), wload_n(yr + c, k, 0.0f))), k);
        }
    }
    return s;
}

static void col_sum(size_t rows, size_t cols, const float *d, float *out) {
    /* each column summed over the rows in order, as scalar_f32.c, four vectors at a time */
    for (size_t c0 = 0; c0 < cols; c0 += 4 * FW) {
        size_t w = cols - c0 < 4 * FW ? cols - c0 : 4 * FW;
        size_t k0 = chunk(w, 0), k1 = chunk(w, FW), k2 = chunk(w, 2 * FW), k3 = chunk(w, 3 * FW);
        vf s0 = wzero(), s1 = wzero(), s2 = wzero(), s3 = wzero();
        const float *dr = d + c0;
        for (size_t r = 0; r < rows; r++, dr += cols) {
            s0 = wadd(s0, wload_n(dr, k0, 0.0f));
            if (w > FW) s1 = wadd(s1, wload_n(dr + FW, k1, 0.0f));
            if (w > 2 * FW) s2 = wadd(s2, wload_n(dr + 2 * FW, k2, 0.0f));
            if (w > 3 * FW) s3 = wadd(s3, wload_n(dr + 3 * FW, k3, 0.0f));
        }
        wstore_n(out + c0, s0, k0);
        if (w > FW) wstore_n(out + c0 + FW, s1, k1);
        if (w > 2 * FW) wstore_n(out + c0 + 2 * FW, s2, k2);
        if (w > 3 * FW) wstore_n(out + c0 + 3 * FW, s3, k3);
    }
}

static void axpy(size_t n, double a, const float *x, float *y) {
    vf va = wset((float)a);
    for (size_t i = 0; i < n; i += FW) {
        size_t m = chunk(n, i);
        wstore_n(y + i, wadd(wload_n(y + i, m, 0.0f), wmul(va, wload_n(x + i, m, 0.0f))), m);
    }
}

static void scal(size_t n, double a, float *x) {
    vf va = wset((float)a);
    for (size_t i = 0; i < n; i += FW) {
        size_t m = chunk(n, i);
        wstore_n(x + i, wmul(wload_n(x + i, m, 0.0f), va), m);
    }
}

static double sumsq(size_t n, const float *x) {
    vd s = dzero();
    for (size_t i = 0; i < n; i += FW) s = dacc_sq(s, wload_n(x + i, chunk(n, i), 0.0f));
    return dhsum(s);
}

static void sgd(size_t n, float *theta, const float *g, float *v, double lr, double mu, double l2,
                int nesterov) {
    vf vlr = wset((float)lr), vmu = wset((float)mu), vl2 = wset((float)l2);
    for (size_t i = 0; i < n; i += FW) {
        size_t m = chunk(n, i);
        vf t = wload_n(theta + i, m, 0.0f);
        vf gi = wadd(wload_n(g + i, m, 0.0f), wmul(vl2, t));
        if (mu == 0.0) {
            wstore_n(theta + i, wsub(t, wmul(vlr, gi)), m);
            continue;
        }
        vf vi = wadd(wmul(vmu, wload_n(v + i, m, 0.0f)), gi);
        wstore_n(v + i, vi, m);
        wstore_n(theta + i, wsub(t, wmul(vlr, nesterov ? wadd(gi, wmul(vmu, vi)) : vi)), m);
    }
}

static void adam(size_t n, float *theta, const float *g, float *mom, float *v, double lr,
                 double b1, double b2, double eps, double bc1, double bc2, double l2,
                 double decoupled) {
    vf vlr = wset((float)lr), vb1 = wset((float)b1), vb2 = wset((float)b2);
    vf c1 = wset((float)(1.0 - b1)), c2 = wset((float)(1.0 - b2)), veps = wset((float)eps);
    vf vbc1 = wset((float)bc1), vbc2 = wset((float)bc2), vl2 = wset((float)l2);
    vf vdec = wset((float)decoupled);
    for (size_t i = 0; i < n; i += FW) {
        size_t k = chunk(n, i);
        vf t = wload_n(theta + i, k, 0.0f);
        vf gi = wadd(wload_n(g + i, k, 0.0f), wmul(vl2, t));
        vf mi = wadd(wmul(vb1, wload_n(mom + i, k, 0.0f)), wmul(c1, gi));
        vf vi = wadd(wmul(vb2, wload_n(v + i, k, 0.0f)), wmul(wmul(c2, gi), gi));
        wstore_n(mom + i, mi, k);
        wstore_n(v + i, vi, k);
        vf step = wadd(wdiv(wmul(vbc1, mi), wadd(wsqrt(wmul(vbc2, vi)), veps)), wmul(vdec, t));
        wstore_n(theta + i, wsub(t, wmul(vlr, step)), k);
    }
}

static void rmsprop(size_t n, float *theta, const float *g, float *v, double lr, double rho,
                    double eps, double l2) {
    vf vlr = wset((float)lr), vrho = wset((float)rho), c = wset((float)(1.0 - rho));
    vf veps = wset((float)eps), vl2 = wset((float)l2);
    for (size_t i = 0; i < n; i += FW) {
        size_t k = chunk(n, i);
        vf t = wload_n(theta + i, k, 0.0f);
        vf gi = wadd(wload_n(g + i, k, 0.0f), wmul(vl2, t));
        vf vi = wadd(wmul(vrho, wload_n(v + i, k, 0.0f)), wmul(wmul(c, gi), gi));
        wstore_n(v + i, vi, k);
        wstore_n(theta + i, wsub(t, wdiv(wmul(vlr, gi), wadd(wsqrt(vi), veps))), k);
    }
}

const nnbi_kernels_f32 NNBI_VEC_TABLE_F32 = NNBI_KERNELS_TABLE(NNBI_VEC_ISA, FW);
