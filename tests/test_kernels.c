/*
 * The element-wise kernels, every instruction set this CPU supports, in one process (an internal
 * test: it links the kernel libraries directly, since the shared library hides the tables).
 *
 * - accuracy: sigmoid and tanh against long-double references (expl, tanhl) over dense samples of
 *   [-750, 750] and special points, held to the bounds nnblas.h states;
 * - softmax rows sum to 1 within (cols + 1) 2^-53; CE and BCE at logits of +-1000;
 * - every kernel of every vectorised table against the scalar table for lengths 0..2*width+3 and
 *   a few larger, with arrays aligned, unaligned, ending at a guard page (a read or write past
 *   the end faults) and starting right after one, and in place where outputs may alias inputs.
 *   Kernels without exp/log must match the scalar ones bit for bit.
 */
#define T double
#define KTABLE nnbi_kernels
#define KTABLE_FOR nnbi_kernels_for
#define KSCALAR nnbi_kernels_scalar
#define RNG_SEED 20240611
#define WHAT_PREFIX ""
#define ULP_ERROR nnbi_ulp_error
#define T_BITS uint64_t
#define SENTINEL_BITS 0x7ff4dead0000beefu
#include "test_kernels_common.h"

START_TEST(tables_and_dispatch) {
    for (int i = 0; i < N_ISA; i++) {
        const nnbi_kernels *k = nnbi_kernels_for(isa_names[i]);
#if defined(__x86_64__)
        ck_assert_msg((k != NULL) == nnbt_cpu_has(isa_names[i]), "%s: table %p but CPU support %d",
                      isa_names[i], (const void *)k, nnbt_cpu_has(isa_names[i]));
#endif
        if (!k) {
            fprintf(stderr, "note: %s kernels not tested (not supported here)\n", isa_names[i]);
            continue;
        }
        ck_assert_str_eq(k->isa, isa_names[i]);
        ck_assert_uint_eq(k->width, i == 0 ? 1 : i == 1 ? 4 : 8);
    }
    ck_assert_ptr_null(nnbi_kernels_for("sse9"));
    ck_assert_ptr_null(nnbi_kernels_for(NULL));
    /* Without NNBLAS_ISA the best supported set is chosen. */
    const char *env = getenv("NNBLAS_ISA");
    if (env == NULL || *env == '\0') {
        const nnbi_kernels *best = nnbi_kernels_for("avx512");
        if (!best) best = nnbi_kernels_for("avx2");
        if (!best) best = &nnbi_kernels_scalar;
        ck_assert_ptr_eq(nnbi_kernels_get(), best);
        ck_assert_str_eq(nnb_kernel_isa(), best->isa);
    }
}
END_TEST

/* ---- numbers ---- */

/* The sample of the accuracy tests: base_sample() (test_kernels_common.h). */
static size_t accuracy_sample(double **out) {
    double *x = malloc(BASE_SAMPLE * sizeof *x);
    size_t n = base_sample(x);
    ck_assert_uint_eq(n, BASE_SAMPLE);
    *out = x;
    return n;
}

/* The bounds nnblas.h states: sigmoid 2.5 ulp for every kernel set; tanh 1 ulp for the vectorised
 * sets (our own) and 2.5 for the scalar one (libm's tanh). */
static double act_ulp_bound(const nnbi_kernels *k, nnb_activation act) {
    return act == NNB_ACT_TANH && k->width > 1 ? 1.0 : 2.5;
}

static void check_special_values(const nnbi_kernels *k, nnb_activation act) {
    /* NaN in gives NaN out, signed as the scalar reference's */
    double nans[2] = {NAN, -NAN}, got[2], want[2];
    k->bias_act(act, 0.0, 1, 2, nans, NULL, got);
    nnbi_kernels_scalar.bias_act(act, 0.0, 1, 2, nans, NULL, want);
    for (int i = 0; i < 2; i++)
        ck_assert_msg(isnan(got[i]) && signbit(got[i]) == signbit(want[i]),
                      "%s: f(%sNaN) = %g, scalar %g", k->isa, i ? "-" : "", got[i], want[i]);
    double sp[] = {0.0, -0.0, INFINITY, -INFINITY, -745.0};
    double out[5];
    k->bias_act(act, 0.0, 1, 5, sp, NULL, out);
    if (act == NNB_ACT_SIGMOID) {
        ck_assert(out[0] == 0.5 && out[1] == 0.5 && out[2] == 1.0 && out[3] == 0.0);
        ck_assert_msg(out[4] == 0x1p-1074, "%s: sigmoid(-745) = %a, not 2^-1074", k->isa, out[4]);
    } else {
        ck_assert(out[0] == 0.0 && !signbit(out[0]) && out[1] == 0.0 && signbit(out[1]));
        ck_assert(out[2] == 1.0 && out[3] == -1.0 && out[4] == -1.0);
    }
}

/* Softmax: rows sum to 1 within (cols + 1) 2^-53 (the sum of the exponentials, 1/sum and the
 * products each round), each element within (cols + 6) 2^-53 relative of a long-double softmax;
 * z_c - max rounds in double: that error |z_c - max| 2^-53 is exp's too. */
static long double softmax_elem_tol(size_t cols, long double arg, long double ref) {
    return (cols + 6 + arg) * 0x1p-53L * ref + 0x1p-1074L;
}
static long double softmax_sum_tol(size_t cols) { return (cols + 1) * 0x1p-53L; }

START_TEST(softmax_rows) {
    static const size_t widths[] = {1, 2, 3, 5, 8, 9, 10, 17, 100, 1000};
    check_softmax_rows(widths, sizeof widths / sizeof widths[0], 1e-300);
}
END_TEST

/* The losses from logits: finite and equal to long-double log-sum-exp references at +-1000. */
START_TEST(losses_at_large_logits) {
    for (int s = 0; s < N_ISA; s++) {
        const nnbi_kernels *k = nnbi_kernels_for(isa_names[s]);
        if (!k) continue;
        /* BCE: softplus(z) - y z */
        double z[] = {1000, -1000, 1000, -1000, 745, -745, 36, -36, 0.5, 0, -0.0, 1e-300, 2};
        double y[] = {1, 0, 0, 1, 1, 0.5, 0, 1, 0.25, 1, 0, 1, 0.75};
        size_t n = sizeof z / sizeof z[0];
        double yhat[sizeof z / sizeof z[0]], d[sizeof z / sizeof z[0]];
        k->bias_act(NNB_ACT_SIGMOID, 0, 1, n, memcpy(d, z, sizeof z), NULL, yhat);
        long double want = 0;
        for (size_t i = 0; i < n; i++)
            want += (z[i] > 0 ? z[i] : 0) + log1pl(expl(-fabsl(z[i]))) - (long double)y[i] * z[i];
        double got = k->delta_bce_sigmoid(n, z, yhat, y, 0.5, d);
        ck_assert_msg(isfinite(got) && fabsl(got - want) <= 1e-14L * want,
                      "%s BCE %.17g, want %.17Lg", k->isa, got, want);
        for (size_t i = 0; i < n; i++)
            CHECK(d[i] == 0.5 * (yhat[i] - y[i]), "%s BCE delta [%zu]: %a", k->isa, i, d[i]);
        /* only the saturated ones: 1000 + log1p(e^-1000) - 1000 = 0 exactly, etc. */
        ck_assert(k->delta_bce_sigmoid(2, z, yhat, y, 1.0, d) == 0.0);
        ck_assert(k->delta_bce_sigmoid(1, z + 2, yhat, y + 2, 1.0, d) == 1000.0);
        /* a NaN logit gives a NaN loss, signed as the scalar's (messages print it) */
        double zn[3] = {0.5, NAN, 1}, yn[3] = {1, 0, 1}, pn[3] = {0.6, NAN, 0.7}, dn[3];
        double ln = k->delta_bce_sigmoid(3, zn, pn, yn, 1.0, dn);
        double lr = nnbi_kernels_scalar.delta_bce_sigmoid(3, zn, pn, yn, 1.0, dn);
        ck_assert_msg(isnan(ln) && signbit(ln) == signbit(lr),
                      "%s BCE of a NaN logit: %g, scalar %g", k->isa, ln, lr);

        /* CE: rows of logits with +-1000, one-hot and soft targets */
        enum { R = 4, C = 3 };
        double zc[R * C] = {1000, -1000, 0, -1000, 1000, 1000, 0.5, -0.5, 2, 1000, 999, -1000};
        double yc[R * C] = {0, 1, 0, 1, 0, 0, 0.2, 0.3, 0.5, 0, 1, 0};
        double pc[R * C], dc[R * C], zz[R * C];
        memcpy(zz, zc, sizeof zc);
        k->bias_act(NNB_ACT_SOFTMAX, 0, R, C, zz, NULL, pc);
        long double wc = 0;
        for (int r = 0; r < R; r++) {
            long double m = -INFINITY, se = 0;
            for (int c = 0; c < C; c++) m = zc[r * C + c] > m ? zc[r * C + c] : m;
            for (int c = 0; c < C; c++) se += expl(zc[r * C + c] - m);
            for (int c = 0; c < C; c++) wc += yc[r * C + c] * (m + logl(se) - zc[r * C + c]);
        }
        double gc = k->delta_ce_softmax(R, C, zc, pc, yc, 0.25, dc);
        ck_assert_msg(isfinite(gc) && fabsl(gc - wc) <= 1e-14L * wc, "%s CE %.17g, want %.17Lg",
                      k->isa, gc, wc);
        for (int i = 0; i < R * C; i++) ck_assert(isfinite(dc[i]) && fabs(dc[i]) <= 0.25);
    }
}
END_TEST

/* ---- every kernel against the scalar table ---- */

/* got == want: bit for bit when ulps < 0, else within ulps units of want's last place (plus
 * `abs_tol`); NaN matches NaN. */
static void expect_close(const char *what, const double *got, const double *want, size_t n,
                         double ulps, double abs_tol) {
    for (size_t i = 0; i < n; i++) {
        if (isnan(got[i]) && isnan(want[i])) {
            CHECK(signbit(got[i]) == signbit(want[i]), "%s [%zu]: %g, scalar %g (NaN's sign)", what,
                  i, got[i], want[i]);
            continue;
        }
        if (ulps < 0) {
            CHECK(memcmp(got + i, want + i, sizeof *got) == 0,
                  "%s [%zu]: %a, scalar %a (must be identical)", what, i, got[i], want[i]);
            continue;
        }
        int e = want[i] == 0 ? -1022 : ilogb(want[i]);
        double tol = abs_tol + ulps * ldexp(1.0, (e < -1022 ? -1022 : e) - 52);
        CHECK(fabs(got[i] - want[i]) <= tol || got[i] == want[i],
              "%s [%zu]: %a, scalar %a (tolerance %g)", what, i, got[i], want[i], tol);
    }
}

static void expect_sum(const char *what, double got, double want, double rel) {
    CHECK((isnan(got) && isnan(want)) || got == want ||
              fabs(got - want) <= rel * fmax(fabs(got), fabs(want)),
          "%s returned %.17g, scalar %.17g", what, got, want);
}

static void case_bias_act(cfg *c, nnb_activation act, size_t rows, int with_bias) {
    size_t cols = c->len, n = rows * cols;
    double *z0 = filled(n, -8, 8), *b0 = filled(cols, -2, 2);
    if (n > 2) z0[1] = act == NNB_ACT_SOFTMAX ? 700.0 : -800.0, z0[2] = 0.0;
    double *zr = copy_of(z0, n), *ar = filled(n, 0, 0);
    c->ref->bias_act(act, 0.05, rows, cols, zr, with_bias ? b0 : NULL, ar);
    char what[WHAT_SIZE];
    double *z, *a = run_bias_act(c, act, rows, with_bias, z0, b0, &z, what);
    /* z: the pre-activation is plain additions; a: exact unless exp is involved (our exp and
     * libm's are each within 2 ulp here; softmax adds the normalisation) */
    if (!c->inplace) expect_close(what, z, zr, n, -1, 0);
    double ulps = act == NNB_ACT_SIGMOID || act == NNB_ACT_TANH ? 5.0
                  : act == NNB_ACT_SOFTMAX                      ? 4.0 * cols + 8.0
                                                                : -1;
    expect_close(what, a, ar, n, ulps, 0);
    free(z0), free(b0), free(zr), free(ar);
}

static void case_act_backward(cfg *c, nnb_activation act, size_t rows) {
    size_t cols = c->len, n = rows * cols;
    double *a0 = filled(n, act == NNB_ACT_SIGMOID ? 0.0 : -1.0, 1.0), *d0 = filled(n, -3, 3);
    if (act == NNB_ACT_SOFTMAX && cols) { /* rows of a distribution */
        double *zz = copy_of(a0, n);
        c->ref->bias_act(NNB_ACT_SOFTMAX, 0, rows, cols, zz, NULL, a0);
        free(zz);
    }
    double *dr = copy_of(d0, n);
    c->ref->act_backward(act, 0.05, rows, cols, a0, dr);
    char what[WHAT_SIZE];
    double *d = run_act_backward(c, act, rows, a0, d0, what);
    /* softmax's dot product is summed in another order: absolute tolerance on its scale */
    expect_close(what, d, dr, n, act == NNB_ACT_SOFTMAX ? 4.0 : -1.0,
                 act == NNB_ACT_SOFTMAX ? 8.0 * cols * 3.0 * 0x1p-52 : 0);
    free(a0), free(d0), free(dr);
}

/* delta_se, delta_se_sigmoid, delta_bce_sigmoid: d may replace yhat. */
static void case_delta(cfg *c, int which) {
    size_t n = c->len;
    double *z0 = filled(n, -30, 30), *y0 = filled(n, 0, 1);
    double *p0 = copy_of(z0, n), *t = copy_of(z0, n);
    c->ref->bias_act(NNB_ACT_SIGMOID, 0, 1, n, t, NULL, p0);
    double *dr = filled(n, 0, 0), *d;
    double sr = call_delta(c->ref, which, n, z0, p0, y0, dr);
    char what[WHAT_SIZE];
    double s = run_delta(c, which, z0, y0, p0, &d, what);
    expect_close(what, d, dr, n, -1, 0);
    expect_sum(what, s, sr, 1e-13);
    free(z0), free(y0), free(p0), free(t), free(dr);
}

static void case_ce(cfg *c, size_t rows, int onehot) {
    size_t cols = c->len, n = rows * cols;
    double *z0 = filled(n, -20, 20), *y0 = filled(n, 0, 1);
    double *p0 = filled(n, 0, 0), *t = copy_of(z0, n);
    if (onehot)
        for (size_t i = 0; i < n; i++) y0[i] = i % cols == (i / cols) % cols;
    c->ref->bias_act(NNB_ACT_SOFTMAX, 0, rows, cols, t, NULL, p0);
    double *dr = filled(n, 0, 0);
    double sr = c->ref->delta_ce_softmax(rows, cols, z0, p0, y0, 0.7, dr);
    char what[WHAT_SIZE];
    double *d, s = run_ce(c, rows, onehot, z0, y0, p0, &d, what);
    /* with soft targets, sum_k y_k is summed in another order */
    expect_close(what, d, dr, n, onehot ? -1.0 : 0.0, onehot ? 0 : 0.7 * cols * cols * 0x1p-52);
    if (cols) expect_sum(what, s, sr, 1e-13);
    free(z0), free(y0), free(p0), free(t), free(dr);
}

static void case_vector_ops(cfg *c) {
    size_t n = c->len;
    double *x0 = filled(n, -2, 2), *y0 = filled(n, -2, 2);
    char what[WHAT_SIZE];
    /* axpy; in place means x and y the same array */
    double *yr = copy_of(c->inplace ? x0 : y0, n);
    c->ref->axpy(n, -0.37, c->inplace ? yr : x0, yr);
    double *y = run_axpy(c, x0, y0, what);
    expect_close(what, y, yr, n, -1, 0);
    free(yr);
    /* scal, sumsq */
    double *xr = copy_of(x0, n);
    c->ref->scal(n, 1.7, xr);
    double *x = run_scal(c, x0, what);
    expect_close(what, x, xr, n, -1, 0);
    double sq = run_sumsq(c, x0, what);
    expect_sum(what, sq, c->ref->sumsq(n, x0), 1e-13);
    /* col_sum: len columns, 5 rows; out must not alias */
    size_t rows = 5, cols = n;
    double *m0 = filled(rows * cols, -1, 1), *outr = filled(cols, 0, 0);
    c->ref->col_sum(rows, cols, m0, outr);
    double *out = run_col_sum(c, rows, m0, x0, what);
    expect_close(what, out, outr, cols, -1, 0);
    free(x0), free(y0), free(xr), free(m0), free(outr);
}

static void case_optim(cfg *c) {
    size_t n = c->len;
    double *t0 = filled(n, -1, 1), *g0 = filled(n, -1, 1), *m0 = filled(n, -0.1, 0.1);
    double *v0 = filled(n, 0, 0.1);
    char what[WHAT_SIZE];
    /* plain SGD, momentum, Nesterov, Adam with L2, AdamW, RMSprop (call_optim) */
    for (int variant = 0; variant < 6; variant++) {
        double *tr = copy_of(t0, n), *mr = copy_of(m0, n), *vr = copy_of(v0, n), *t, *m, *v;
        call_optim(c->ref, variant, n, tr, g0, mr, vr);
        run_optim(c, variant, t0, g0, m0, v0, &t, &m, &v, what);
        expect_close(what, t, tr, n, -1, 0);
        expect_close(what, m, mr, n, -1, 0);
        expect_close(what, v, vr, n, -1, 0);
        free(tr), free(mr), free(vr);
    }
    free(t0), free(g0), free(m0), free(v0);
}

START_TEST(against_scalar) { check_every_config(); }
END_TEST

static Suite *suite(void) {
    const TTest *accuracy[] = {sigmoid_accuracy, tanh_accuracy, softmax_rows,
                               losses_at_large_logits};
    return kernel_suite("kernels", tables_and_dispatch, accuracy, 4, against_scalar);
}

NNBT_MAIN(suite, 0)
