/*
 * The float32 kernels, every instruction set this CPU supports, in one process (an internal test
 * linking the kernel libraries directly).
 *
 * - sigmoid and tanh against long-double references over the float64 test's sample (rounded to
 *   float) and float's own special points: within 2 ulp of float for every set;
 * - softmax rows sum to 1 within (cols + 2) 2^-24; CE and BCE at logits of +-1000;
 * - every kernel of every set against double references computed here, for lengths
 *   0..2*width+3 and a few larger, with arrays aligned, unaligned, ending at a guard page and
 *   starting right after one, in place where outputs may alias inputs, with +-0, +-inf, NaN and
 *   large |x| among the inputs of the activations. Tolerances are float's unit roundoff
 *   u = 2^-24 times the number of roundings times the magnitude of the terms (the expression
 *   evaluated with absolute values), the error bound of the float evaluation;
 * - the vectorised sets match the scalar float32 set bit for bit where no exp/log is involved
 *   (kernels.h's contract), and each other everywhere except in returned sums.
 */
#define T float
#define KTABLE nnbi_kernels_f32
#define KTABLE_FOR nnbi_kernels_f32_for
#define KSCALAR nnbi_kernels_f32_scalar
#define RNG_SEED 20261202
#define WHAT_PREFIX "float32 "
#define ULP_ERROR nnbi_ulpf_error
#define T_BITS uint32_t
#define SENTINEL_BITS 0x7fa0beefu
#include "test_kernels_common.h"

#define U 0x1p-24   /* float's unit roundoff */
#define ACT_ULP 2.0 /* the stated bound of sigmoid and tanh, every set */

START_TEST(tables_and_dispatch) {
    for (int i = 0; i < N_ISA; i++) {
        const nnbi_kernels_f32 *k = nnbi_kernels_f32_for(isa_names[i]);
        const nnbi_kernels *k64 = nnbi_kernels_for(isa_names[i]);
        ck_assert_msg((k != NULL) == (k64 != NULL), "%s: float32 table %p, float64 %p",
                      isa_names[i], (const void *)k, (const void *)k64);
        if (!k) continue;
        ck_assert_str_eq(k->isa, isa_names[i]);
        ck_assert_uint_eq(k->width, i == 0 ? 1 : i == 1 ? 8 : 16);
        ck_assert_ptr_nonnull(k->bias_act);
        ck_assert_ptr_nonnull(k->rmsprop);
    }
    ck_assert_ptr_null(nnbi_kernels_f32_for("sse9"));
    ck_assert_ptr_null(nnbi_kernels_f32_for(NULL));
    /* the same set as the float64 table (and so the same NNBLAS_ISA rule) */
    const nnbi_kernels *k64 = nnbi_kernels_get();
    const nnbi_kernels_f32 *k = nnbi_kernels_f32_get();
    ck_assert((k64 == NULL) == (k == NULL));
    if (k) ck_assert_str_eq(k->isa, k64->isa);
}
END_TEST

/* ---- accuracy of the activations ---- */

/* base_sample() (test_kernels_common.h: the float64 test's sample) rounded to float, and float's
 * own special points. */
static const float special32[] = {
    0x1p-149f, -0x1p-149f, FLT_MIN,  -FLT_MIN, 0x1.fffffcp-127f, 1e-30f, -1e-30f, 0x1p-12f,
    -0x1p-12f, 0.17f,      -0.17f,   0.35f,    -0.35f,           0.55f,  -0.55f,  0.625f,
    -0.625f,   8.0f,       -8.0f,    9.01f,    -9.01f,           15.9f,  -15.9f,  16.7f,
    -16.7f,    17.33f,     -17.33f,  87.33f,   -87.33f,          88.73f, -88.73f, 103.0f,
    -103.0f,   103.28f,    -103.28f, 103.97f,  -103.97f,         104.0f, -104.0f, 1e30f,
    -1e30f,    FLT_MAX,    -FLT_MAX,
};

static size_t accuracy_sample(float **out) {
    size_t n32 = sizeof special32 / sizeof special32[0];
    size_t total = BASE_SAMPLE + n32 + 20001;
    float *x = malloc(total * sizeof *x);
    size_t n = base_sample(x);
    for (size_t i = 0; i < n32; i++) x[n++] = special32[i];
    /* a fine grid where the approximations switch and the results leave the normal range */
    for (size_t i = 0; i <= 20000; i++) x[n++] = (float)(-110.0 + 130.0 * (double)i / 20000.0);
    ck_assert_uint_eq(n, total);
    *out = x;
    return n;
}

static double act_ulp_bound(const nnbi_kernels_f32 *k, nnb_activation act) {
    (void)k, (void)act;
    return ACT_ULP;
}

static void check_special_values(const nnbi_kernels_f32 *k, nnb_activation act) {
    float sp[] = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, -NAN}, out[6];
    k->bias_act(act, 0.0, 1, 6, sp, NULL, out);
    if (act == NNB_ACT_SIGMOID) {
        ck_assert(out[0] == 0.5f && out[1] == 0.5f && out[2] == 1.0f && out[3] == 0.0f);
    } else {
        ck_assert(out[0] == 0.0f && !signbit(out[0]) && out[1] == 0.0f && signbit(out[1]));
        ck_assert(out[2] == 1.0f && out[3] == -1.0f);
    }
    ck_assert(isnan(out[4]) && isnan(out[5]));
}

/* Softmax rows sum to 1 within (cols + 2) u; each element within (8 + |z - max|) u relative of a
 * long-double softmax (exp's 2 ulp, the rounding of z - max, of 1/sum and of the product). */
static long double softmax_elem_tol(size_t cols, long double arg, long double ref) {
    (void)cols;
    return (8 + arg) * U * ref + 0x1p-149L;
}
static long double softmax_sum_tol(size_t cols) { return (cols + 2) * U; }

START_TEST(softmax_rows) {
    static const size_t widths[] = {1, 2, 3, 5, 8, 9, 10, 16, 17, 33, 100, 1000};
    check_softmax_rows(widths, sizeof widths / sizeof widths[0], 1e-30);
}
END_TEST

/* The losses from logits: finite and near long-double references at +-1000. */
START_TEST(losses_at_large_logits) {
    for (int s = 0; s < N_ISA; s++) {
        const nnbi_kernels_f32 *k = nnbi_kernels_f32_for(isa_names[s]);
        if (!k) continue;
        float z[] = {1000, -1000, 1000,   -1000, 745, -745, 36,  -36, 0.5f,
                     0,    -0.0f, 1e-30f, 2,     88,  -88,  104, -104};
        float y[] = {1, 0, 0, 1, 1, 0.5f, 0, 1, 0.25f, 1, 0, 1, 0.75f, 1, 0, 0.5f, 0.5f};
        enum { NB = sizeof z / sizeof z[0] };
        float yhat[NB], d[NB], t[NB];
        memcpy(t, z, sizeof z);
        k->bias_act(NNB_ACT_SIGMOID, 0, 1, NB, t, NULL, yhat);
        long double want = 0, logs = 0;
        for (size_t i = 0; i < NB; i++) {
            long double l = log1pl(expl(-fabsl(z[i])));
            want += (z[i] > 0 ? z[i] : 0) - (long double)y[i] * z[i] + l;
            logs += l;
        }
        double got = k->delta_bce_sigmoid(NB, z, yhat, y, 0.5, d);
        /* only the log1p terms are rounded to float (2 ulp each) */
        ck_assert_msg(isfinite(got) && fabsl(got - want) <= 4 * U * logs + 1e-13L * want,
                      "%s BCE %.17g, want %.17Lg", k->isa, got, want);
        for (size_t i = 0; i < NB; i++)
            CHECK(d[i] == 0.5f * (yhat[i] - y[i]), "%s BCE delta [%zu]: %a", k->isa, i,
                  (double)d[i]);
        ck_assert(k->delta_bce_sigmoid(2, z, yhat, y, 1.0, d) == 0.0);
        ck_assert(k->delta_bce_sigmoid(1, z + 2, yhat, y + 2, 1.0, d) == 1000.0);
        float zn[3] = {0.5f, NAN, 1}, yn[3] = {1, 0, 1}, pn[3] = {0.6f, NAN, 0.7f}, dn[3];
        ck_assert(isnan(k->delta_bce_sigmoid(3, zn, pn, yn, 1.0, dn)));

        enum { R = 4, C = 3 };
        float zc[R * C] = {1000, -1000, 0, -1000, 1000, 1000, 0.5f, -0.5f, 2, 1000, 999, -1000};
        float yc[R * C] = {0, 1, 0, 1, 0, 0, 0.2f, 0.3f, 0.5f, 0, 1, 0};
        float pc[R * C], dc[R * C], zz[R * C];
        memcpy(zz, zc, sizeof zc);
        k->bias_act(NNB_ACT_SOFTMAX, 0, R, C, zz, NULL, pc);
        long double wc = 0, ys = 0;
        for (int r = 0; r < R; r++) {
            long double m = -INFINITY, se = 0;
            for (int c = 0; c < C; c++) m = zc[r * C + c] > m ? zc[r * C + c] : m;
            for (int c = 0; c < C; c++) se += expl((long double)zc[r * C + c] - m);
            for (int c = 0; c < C; c++) {
                wc += yc[r * C + c] * (m + logl(se) - zc[r * C + c]);
                ys += yc[r * C + c];
            }
        }
        double gc = k->delta_ce_softmax(R, C, zc, pc, yc, 0.25, dc);
        ck_assert_msg(isfinite(gc) && fabsl(gc - wc) <= 8 * U * ys + 1e-13L * wc,
                      "%s CE %.17g, want %.17Lg", k->isa, gc, wc);
        for (int i = 0; i < R * C; i++) ck_assert(isfinite(dc[i]) && fabsf(dc[i]) <= 0.25f);
    }
}
END_TEST

/* ---- every kernel against double references ---- */

/* |got - want| <= k u mag (mag NULL: |want|); NaN matches NaN, an infinity only itself. */
static void expect_near(const char *what, const float *got, const double *want, const double *mag,
                        size_t n, double k) {
    for (size_t i = 0; i < n; i++) {
        if (isnan(want[i]) || isnan(got[i])) {
            CHECK(isnan(want[i]) && isnan(got[i]), "%s [%zu]: %a, reference %a", what, i,
                  (double)got[i], want[i]);
            continue;
        }
        if (isinf(want[i]) || isinf(got[i])) {
            CHECK(got[i] == want[i], "%s [%zu]: %a, reference %a", what, i, (double)got[i],
                  want[i]);
            continue;
        }
        double tol = k * U * (mag ? mag[i] : fabs(want[i])) + 0x1p-149;
        CHECK(fabs(got[i] - want[i]) <= tol, "%s [%zu]: %a, reference %a (tolerance %g)", what, i,
              (double)got[i], want[i], tol);
    }
}

/* within `ulps` units of float's last place of the double reference */
static void expect_ulp(const char *what, const float *got, const double *want, size_t n,
                       double ulps) {
    for (size_t i = 0; i < n; i++) {
        double e = nnbi_ulpf_error(got[i], want[i]);
        CHECK(e <= ulps, "%s [%zu]: %a, reference %a: %.3f ulp", what, i, (double)got[i], want[i],
              e);
    }
}

/* bit for bit (the scalar float32 set's results), NaNs with their sign */
static void expect_same(const char *what, const float *got, const float *want, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (isnan(got[i]) && isnan(want[i])) {
            CHECK(signbit(got[i]) == signbit(want[i]), "%s [%zu]: NaN's sign", what, i);
            continue;
        }
        CHECK(memcmp(got + i, want + i, sizeof *got) == 0,
              "%s [%zu]: %a, scalar float32 %a "
              "(must be identical)",
              what, i, (double)got[i], (double)want[i]);
    }
}

static void expect_sum(const char *what, double got, long double want, long double tol) {
    CHECK((isnan(got) && isnan((double)want)) || fabsl(got - want) <= tol,
          "%s returned %.17g, reference %.17Lg (tolerance %Lg)", what, got, want, tol);
}

static double *dnew(size_t n) { return calloc(n ? n : 1, sizeof(double)); }

static double sigmoid_d(double x) {
    return x >= 0 ? 1.0 / (1.0 + exp(-x)) : exp(x) / (1.0 + exp(x));
}

/* special inputs placed among the random ones of the element-wise activations */
static const float act_specials[] = {0.0f,  -0.0f,  INFINITY, -INFINITY, NAN,
                                     1e30f, -1e30f, -800.0f,  -103.5f,   0x1p-140f};
#define N_ACT_SPECIALS (sizeof act_specials / sizeof act_specials[0])

static void case_bias_act(cfg *c, nnb_activation act, size_t rows, int with_bias) {
    size_t cols = c->len, n = rows * cols;
    float *z0 = filled(n, -12, 12), *b0 = filled(cols, -2, 2);
    if (act == NNB_ACT_SOFTMAX) {
        if (n > 2) z0[1] = 80.0f, z0[2] = 0.0f;
    } else {
        for (size_t i = 0; i < N_ACT_SPECIALS && 2 * i + 1 < n; i++)
            z0[2 * i + 1] = act_specials[i];
    }
    double *zr = dnew(n), *ar = dnew(n), *smag = dnew(n);
    for (size_t r = 0; r < rows; r++)
        for (size_t j = 0; j < cols; j++) {
            float v = z0[r * cols + j];
            if (with_bias) v = (float)((double)v + b0[j]); /* one rounding, as float's + */
            zr[r * cols + j] = v;
        }
    float al = 0.05f;
    for (size_t r = 0; r < rows; r++) {
        const double *zrow = zr + r * cols;
        double *arow = ar + r * cols, m = -INFINITY, se = 0;
        for (size_t j = 0; j < cols; j++) {
            double v = zrow[j];
            arow[j] = act == NNB_ACT_SIGMOID      ? sigmoid_d(v)
                      : act == NNB_ACT_TANH       ? tanh(v)
                      : act == NNB_ACT_RELU       ? (v > 0 ? v : 0)
                      : act == NNB_ACT_LEAKY_RELU ? (v > 0 ? v : (float)(al * v))
                                                  : v;
            m = v > m ? v : m;
        }
        if (act == NNB_ACT_SOFTMAX) {
            for (size_t j = 0; j < cols; j++) se += exp(zrow[j] - m);
            for (size_t j = 0; j < cols; j++) arow[j] = exp(zrow[j] - m) / se;
            /* exp's 2 ulp, the roundings of z - max, the sum, 1/sum and the product */
            for (size_t j = 0; j < cols; j++)
                smag[r * cols + j] = arow[j] * (8 + cols + m - zrow[j]);
        }
    }
    /* the scalar float32 set's own results */
    float *zs = copy_of(z0, n), *as = filled(n, 0, 0);
    c->ref->bias_act(act, 0.05, rows, cols, zs, with_bias ? b0 : NULL, as);

    char what[WHAT_SIZE];
    float *z, *a = run_bias_act(c, act, rows, with_bias, z0, b0, &z, what);
    if (!c->inplace) expect_near(what, z, zr, NULL, n, 0);
    if (act == NNB_ACT_SIGMOID || act == NNB_ACT_TANH) {
        expect_ulp(what, a, ar, n, ACT_ULP);
    } else if (act == NNB_ACT_SOFTMAX) {
        expect_near(what, a, ar, smag, n, 1);
    } else {
        expect_near(what, a, ar, NULL, n, 0);
        expect_same(what, a, as, n);
    }
    free(z0), free(b0), free(zr), free(ar), free(smag), free(zs), free(as);
}

static void case_act_backward(cfg *c, nnb_activation act, size_t rows) {
    size_t cols = c->len, n = rows * cols;
    float *a0 = filled(n, act == NNB_ACT_SIGMOID ? 0.0 : -1.0, 1.0), *d0 = filled(n, -3, 3);
    if (act == NNB_ACT_SOFTMAX && cols) {
        float *zz = copy_of(a0, n);
        c->ref->bias_act(NNB_ACT_SOFTMAX, 0, rows, cols, zz, NULL, a0);
        free(zz);
    }
    double *dr = dnew(n), *mag = dnew(n);
    for (size_t r = 0; r < rows; r++) {
        double dot = 0, adot = 0;
        for (size_t j = 0; j < cols; j++) {
            dot += (double)d0[r * cols + j] * a0[r * cols + j];
            adot += fabs((double)d0[r * cols + j] * a0[r * cols + j]);
        }
        for (size_t j = 0; j < cols; j++) {
            size_t i = r * cols + j;
            double av = a0[i], dv = d0[i];
            switch (act) {
            case NNB_ACT_SIGMOID:
                dr[i] = dv * av * (1 - av), mag[i] = 3 * fabs(dr[i]);
                break;
            case NNB_ACT_TANH:
                dr[i] = dv * (1 - av * av), mag[i] = 3 * fabs(dv) * (1 + av * av);
                break;
            case NNB_ACT_RELU:
                dr[i] = av > 0 ? dv : 0;
                break;
            case NNB_ACT_LEAKY_RELU:
                dr[i] = av > 0 ? dv : (float)(0.05f * dv);
                break;
            case NNB_ACT_SOFTMAX:
                dr[i] = av * (dv - dot), mag[i] = 3 * fabs(av) * (fabs(dv) + adot);
                break;
            default:
                dr[i] = dv;
                break;
            }
        }
    }
    float *ds = copy_of(d0, n);
    c->ref->act_backward(act, 0.05, rows, cols, a0, ds);
    char what[WHAT_SIZE];
    float *d = run_act_backward(c, act, rows, a0, d0, what);
    int exact = act != NNB_ACT_SIGMOID && act != NNB_ACT_TANH && act != NNB_ACT_SOFTMAX;
    expect_near(what, d, dr, exact ? NULL : mag, n, exact ? 0 : 1);
    /* softmax's dot product is a sum, in another order in a vectorised set */
    if (act != NNB_ACT_SOFTMAX) expect_same(what, d, ds, n);
    free(a0), free(d0), free(dr), free(mag), free(ds);
}

/* delta_se, delta_se_sigmoid, delta_bce_sigmoid: d may replace yhat. */
static void case_delta(cfg *c, int which) {
    size_t n = c->len;
    float *z0 = filled(n, -30, 30), *y0 = filled(n, 0, 1), *p0 = filled(n, 0, 0);
    float *t = copy_of(z0, n);
    c->ref->bias_act(NNB_ACT_SIGMOID, 0, 1, n, t, NULL, p0);
    double *dr = dnew(n), *mag = dnew(n);
    long double sr = 0, stol = 0;
    float sc = 0.3f;
    for (size_t i = 0; i < n; i++) {
        double o = p0[i], y = y0[i], e = o - y, ae = fabs(o) + fabs(y), zi = z0[i];
        if (which == 0) {
            dr[i] = sc * e, mag[i] = 2 * sc * ae;
            sr += e * e, stol += 3 * U * ae * ae;
        } else if (which == 1) {
            dr[i] = sc * e * o * (1 - o), mag[i] = 5 * sc * ae * o * (1 + o);
            sr += e * e, stol += 3 * U * ae * ae;
        } else {
            long double l = log1pl(expl(-fabsl(zi)));
            dr[i] = sc * e, mag[i] = 2 * sc * ae;
            sr += (zi > 0 ? zi : 0) - y * zi + l, stol += 4 * U * l;
        }
    }
    float *ds = filled(n, 0, 0), *d;
    call_delta(c->ref, which, n, z0, p0, y0, ds);
    char what[WHAT_SIZE];
    double s = run_delta(c, which, z0, y0, p0, &d, what);
    expect_near(what, d, dr, mag, n, 1);
    expect_same(what, d, ds, n);
    expect_sum(what, s, sr, stol + 1e-13L * fabsl(sr));
    free(z0), free(y0), free(p0), free(t), free(dr), free(mag), free(ds);
}

static void case_ce(cfg *c, size_t rows, int onehot) {
    size_t cols = c->len, n = rows * cols;
    float *z0 = filled(n, -20, 20), *y0 = filled(n, 0, 1), *p0 = filled(n, 0, 0);
    float *t = copy_of(z0, n);
    if (onehot)
        for (size_t i = 0; i < n; i++) y0[i] = (float)(i % cols == (i / cols) % cols);
    c->ref->bias_act(NNB_ACT_SOFTMAX, 0, rows, cols, t, NULL, p0);
    double *dr = dnew(n), *mag = dnew(n);
    long double sr = 0, stol = 0;
    float sc = 0.7f;
    for (size_t r = 0; r < rows; r++) {
        const float *zr = z0 + r * cols, *yr = y0 + r * cols;
        long double m = -INFINITY, se = 0, ys = 0, yz = 0, arg = 0;
        for (size_t j = 0; j < cols; j++) m = zr[j] > m ? zr[j] : m;
        for (size_t j = 0; j < cols; j++) {
            se += expl(zr[j] - m), ys += yr[j], yz += yr[j] * (zr[j] - m);
            arg = fabsl(zr[j] - m) > arg ? fabsl(zr[j] - m) : arg;
        }
        sr += ys * logl(se) - yz;
        stol += (8 + arg) * U * ys;
        for (size_t j = 0; j < cols; j++) {
            size_t i = r * cols + j;
            dr[i] = sc * ((double)p0[i] * (double)ys - yr[j]);
            mag[i] = 4 * sc * (p0[i] * (double)ys + yr[j]);
        }
    }
    float *ds = filled(n, 0, 0);
    c->ref->delta_ce_softmax(rows, cols, z0, p0, y0, 0.7, ds);
    char what[WHAT_SIZE];
    float *d;
    double s = run_ce(c, rows, onehot, z0, y0, p0, &d, what);
    expect_near(what, d, dr, mag, n, 1);
    if (onehot) expect_same(what, d, ds, n); /* soft: sum_k y_k is summed in another order */
    if (cols) expect_sum(what, s, sr, stol + 1e-13L * fabsl(sr));
    free(z0), free(y0), free(p0), free(t), free(dr), free(mag), free(ds);
}

static void case_vector_ops(cfg *c) {
    size_t n = c->len;
    float *x0 = filled(n, -2, 2), *y0 = filled(n, -2, 2);
    double *r = dnew(n), *mag = dnew(n);
    char what[WHAT_SIZE];
    /* axpy; in place means x and y the same array */
    const float *xa = x0, *ya = c->inplace ? x0 : y0;
    for (size_t i = 0; i < n; i++)
        r[i] = ya[i] + -0.37 * xa[i], mag[i] = 3 * (fabs(ya[i]) + 0.37 * fabs(xa[i]));
    float *ys = copy_of(ya, n);
    c->ref->axpy(n, -0.37, c->inplace ? ys : x0, ys);
    float *y = run_axpy(c, x0, y0, what);
    expect_near(what, y, r, mag, n, 1);
    expect_same(what, y, ys, n);
    /* scal */
    for (size_t i = 0; i < n; i++) r[i] = 1.7 * x0[i], mag[i] = 2 * fabs(r[i]);
    float *xs = copy_of(x0, n);
    c->ref->scal(n, 1.7, xs);
    float *x = run_scal(c, x0, what);
    expect_near(what, x, r, mag, n, 1);
    expect_same(what, x, xs, n);
    /* sumsq: squares of floats are exact in double */
    long double sq = 0;
    for (size_t i = 0; i < n; i++) sq += (long double)x0[i] * x0[i];
    expect_sum(what, run_sumsq(c, x0, what), sq, 1e-13L * sq);
    /* col_sum: len columns, 5 rows; out must not alias */
    size_t rows = 5, cols = n;
    float *m0 = filled(rows * cols, -1, 1), *outs = filled(cols, 0, 0);
    for (size_t j = 0; j < cols; j++) {
        r[j] = 0, mag[j] = 0;
        for (size_t i = 0; i < rows; i++)
            r[j] += m0[i * cols + j], mag[j] += fabs(m0[i * cols + j]);
        mag[j] *= rows;
    }
    c->ref->col_sum(rows, cols, m0, outs);
    float *out = run_col_sum(c, rows, m0, x0, what);
    expect_near(what, out, r, mag, cols, 1);
    expect_same(what, out, outs, cols);
    free(x0), free(y0), free(r), free(mag), free(ys), free(xs), free(m0), free(outs);
}

/* The optimisers in double; mag the same formulas over absolute values. A wrong formula moves
 * theta by about lr times the step, far beyond 64 u mag. */
static void optim_ref(int variant, size_t n, const float *t0, const float *g0, const float *m0,
                      const float *v0, double *tr, double *mr, double *vr, double *mag, double *mm,
                      double *vm) {
    for (size_t i = 0; i < n; i++) {
        double t = t0[i], g = g0[i], m = m0[i], v = v0[i];
        double l2 = variant == 0 ? 0.01 : variant <= 2 ? 0.001 : variant == 3 ? 0.01 : 0.001;
        if (variant == 4) l2 = 0;
        double gi = g + l2 * t, ag = fabs(g) + fabs(l2 * t);
        mr[i] = m, vr[i] = v, mm[i] = fabs(m), vm[i] = fabs(v);
        if (variant == 0) {
            tr[i] = t - 0.1 * gi, mag[i] = fabs(t) + 0.1 * ag;
        } else if (variant <= 2) {
            double vi = 0.9 * v + gi;
            vr[i] = vi, vm[i] = 0.9 * fabs(v) + ag;
            tr[i] = t - 0.1 * (variant == 2 ? gi + 0.9 * vi : vi);
            mag[i] = fabs(t) + 0.1 * (ag + 1.9 * (0.9 * fabs(v) + ag));
        } else if (variant <= 4) {
            double dec = variant == 4 ? 0.01 : 0.0, bc1 = 1 / (1 - 0.9), bc2 = 1 / (1 - 0.999);
            double mi = 0.9 * m + 0.1 * gi, vi = 0.999 * v + 0.001 * gi * gi;
            mr[i] = mi, vr[i] = vi, mm[i] = 0.9 * fabs(m) + 0.1 * ag,
            vm[i] = 0.999 * v + 0.001 * ag * ag;
            double den = sqrt(bc2 * vi) + 1e-8;
            tr[i] = t - 1e-3 * (bc1 * mi / den + dec * t);
            mag[i] = fabs(t) + 1e-3 * (bc1 * (0.9 * fabs(m) + 0.1 * ag) / den + dec * fabs(t));
        } else {
            double vi = 0.99 * v + 0.01 * gi * gi;
            vr[i] = vi, vm[i] = 0.99 * v + 0.01 * ag * ag;
            tr[i] = t - 1e-2 * gi / (sqrt(vi) + 1e-8);
            mag[i] = fabs(t) + 1e-2 * ag / (sqrt(vi) + 1e-8);
        }
    }
}

static void case_optim(cfg *c) {
    size_t n = c->len;
    float *t0 = filled(n, -1, 1), *g0 = filled(n, -1, 1), *m0 = filled(n, -0.1, 0.1);
    float *v0 = filled(n, 0.001, 0.1);
    double *tr = dnew(n), *mr = dnew(n), *vr = dnew(n), *mag = dnew(n), *mm = dnew(n);
    double *vm = dnew(n);
    char what[WHAT_SIZE];
    /* plain SGD, momentum, Nesterov, Adam with L2, AdamW, RMSprop (call_optim) */
    for (int variant = 0; variant < 6; variant++) {
        optim_ref(variant, n, t0, g0, m0, v0, tr, mr, vr, mag, mm, vm);
        float *ts = copy_of(t0, n), *ms = copy_of(m0, n), *vs = copy_of(v0, n), *t, *m, *v;
        call_optim(c->ref, variant, n, ts, g0, ms, vs);
        run_optim(c, variant, t0, g0, m0, v0, &t, &m, &v, what);
        expect_near(what, t, tr, mag, n, 64);
        expect_near(what, m, mr, mm, n, 64);
        expect_near(what, v, vr, vm, n, 64);
        expect_same(what, t, ts, n);
        expect_same(what, m, ms, n);
        expect_same(what, v, vs, n);
        free(ts), free(ms), free(vs);
    }
    free(t0), free(g0), free(m0), free(v0), free(tr), free(mr), free(vr), free(mag), free(mm),
        free(vm);
}

START_TEST(against_reference) { check_every_config(); }
END_TEST

static Suite *suite(void) {
    const TTest *accuracy[] = {sigmoid_accuracy, tanh_accuracy, softmax_rows,
                               losses_at_large_logits};
    return kernel_suite("kernels_f32", tables_and_dispatch, accuracy, 4, against_reference);
}

NNBT_MAIN(suite, 0)
