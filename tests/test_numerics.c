/*
 * The numerical definitions of docs/definitions.md, each checked against its formula computed
 * here independently: gradient clipping (by norm, PyTorch's max_norm / (||g|| + 1e-6), and by
 * value), the loss totals (compensated sums) against an exact sum, and the learning-rate
 * schedules (closed forms, past their end, warm restarts, split runs equal to one run).
 */
#include <string.h>

#include "nnb_test.h"

typedef long double ld;

static nnb_train_opts *opts_new(void) {
    nnb_train_opts *o;
    nnbt_ok(nnb_train_opts_create(&o));
    return o;
}

static double *params_of(const nnb_net *net) {
    size_t n = nnb_net_n_params(net);
    double *p = malloc(n * sizeof *p);
    nnbt_ok(nnb_net_params_get(net, p, n));
    return p;
}

/* A 3-6-2 tanh/identity network with seeded weights, and `rows` rows of data for it whose
 * targets are scaled by `ys` (a large ys makes a large gradient). */
static nnb_net *small_net(void) {
    nnb_net *net;
    nnbt_ok(nnb_net_create(&net, 3));
    nnbt_ok(nnb_net_add_dense(net, 6, NNB_ACT_TANH, 1));
    nnbt_ok(nnb_net_add_dense(net, 2, NNB_ACT_IDENTITY, 1));
    nnbt_ok(nnb_net_init(net, NNB_INIT_XAVIER_UNIFORM, 7));
    return net;
}

static void small_data(double *x, double *y, size_t rows, double ys, uint64_t seed) {
    nnbt_rng g = {seed};
    for (size_t i = 0; i < rows * 3; i++) x[i] = 2 * nnbt_uniform(&g) - 1;
    for (size_t i = 0; i < rows * 2; i++) y[i] = ys * (2 * nnbt_uniform(&g) - 1);
}

/* ---- clipping ---------------------------------------------------------------------------- */

/* The gradient g (full batch, SSE, mean) of net on x, y. */
static double *gradient_of(nnb_net *net, const double *x, const double *y, size_t rows) {
    size_t n = nnb_net_n_params(net);
    double *g = malloc(n * sizeof *g);
    nnbt_ok(nnb_net_backprop(net, x, rows, 3, y, 2, NNB_LOSS_SSE, NNB_REDUCTION_MEAN, NULL, g, n));
    return g;
}

/* One full-batch SGD step (lr, weight decay wd) with clipping, against
 * theta - lr * (clip(g) + wd * theta) computed here in long double. */
static void check_clipped_step(double ys, double max_norm, double clip_value, double wd) {
    enum { R = 16 };
    double x[R * 3], y[R * 2];
    small_data(x, y, R, ys, 11);
    nnb_net *net = small_net();
    size_t n = nnb_net_n_params(net);
    double *theta = params_of(net), *g = gradient_of(net, x, y, R);
    ld *c = malloc(n * sizeof *c), sq = 0;
    for (size_t i = 0; i < n; i++) {
        c[i] = g[i];
        if (clip_value > 0) c[i] = c[i] > clip_value ? clip_value : c[i] < -clip_value ? -clip_value : c[i];
        sq += c[i] * c[i];
    }
    ld k = max_norm > 0 ? (ld)max_norm / (sqrtl(sq) + 1e-6L) : 1; /* PyTorch's clip_coef */
    if (k > 1) k = 1;
    nnb_train_opts *o = opts_new();
    nnbt_ok(nnb_train_opts_set_optimizer(o, NNB_OPT_SGD, 0.1));
    nnbt_ok(nnb_train_opts_set_batch_size(o, 0));
    nnbt_ok(nnb_train_opts_set_epochs(o, 1));
    nnbt_ok(nnb_train_opts_set_weight_decay(o, wd));
    nnbt_ok(nnb_train_opts_set_clip_norm(o, max_norm));
    nnbt_ok(nnb_train_opts_set_clip_value(o, clip_value));
    nnbt_ok(nnb_train(net, o, x, R, 3, y, 2, NULL));
    double *after = params_of(net);
    for (size_t i = 0; i < n; i++) {
        ld want = theta[i] - 0.1L * (k * c[i] + wd * theta[i]);
        ck_assert_msg(fabsl(after[i] - want) <= 4e-16L * (fabsl(want) + 0.1L * fabsl(k * c[i])),
                      "parameter %zu: %.17g, expected %.17Lg (k = %.17Lg)", i, after[i], want, k);
    }
    free(theta), free(g), free(c), free(after);
    nnb_train_opts_free(o);
    nnb_net_free(net);
}

START_TEST(clip_norm_is_pytorchs) {
    check_clipped_step(100, 1.0, 0, 0);     /* clipped hard */
    check_clipped_step(100, 1.0, 0, 0.01);  /* clipping comes before weight decay */
    check_clipped_step(0.01, 1e3, 0, 0);    /* not clipped: k >= 1 */
}
END_TEST

/* Where nnblas's old max_norm / ||g|| and PyTorch's max_norm / (||g|| + 1e-6) part: a norm just
 * below max_norm, within 1e-6, is scaled (by a factor just below 1) by PyTorch's rule. */
START_TEST(clip_norm_within_its_epsilon) {
    enum { R = 16 };
    double x[R * 3], y[R * 2];
    small_data(x, y, R, 100, 11);
    nnb_net *net = small_net();
    double *g = gradient_of(net, x, y, R);
    size_t n = nnb_net_n_params(net);
    ld sq = 0;
    for (size_t i = 0; i < n; i++) sq += (ld)g[i] * g[i];
    double norm = (double)sqrtl(sq);
    check_clipped_step(100, norm + 0.5e-6, 0, 0); /* k = (norm + 5e-7) / (norm + 1e-6) < 1 */
    check_clipped_step(100, norm + 2e-6, 0, 0);   /* k > 1: untouched */
    free(g);
    nnb_net_free(net);
}
END_TEST

START_TEST(clip_value_is_pytorchs) {
    check_clipped_step(100, 0, 0.5, 0);     /* some components clamped */
    check_clipped_step(100, 0, 0.5, 0.01);  /* before weight decay */
    check_clipped_step(100, 2.0, 0.5, 0);   /* value first, then the norm of the clamped g */
    check_clipped_step(0.01, 0, 1e3, 0);    /* nothing to clamp */
}
END_TEST

/* Clipping also works when the gradient's sum of squares overflows (components near 1e200), and
 * refuses a non-finite gradient rather than clamping it into range. */
START_TEST(clip_extremes) {
    enum { R = 4 };
    double x[R * 3], y[R * 2];
    small_data(x, y, R, 1e200, 3);
    for (int mode = 0; mode < 2; mode++) {
        nnb_net *net = small_net();
        nnb_train_opts *o = opts_new();
        nnbt_ok(nnb_train_opts_set_optimizer(o, NNB_OPT_SGD, 1e-3));
        nnbt_ok(nnb_train_opts_set_batch_size(o, 0));
        nnbt_ok(nnb_train_opts_set_epochs(o, 1));
        nnbt_ok(mode ? nnb_train_opts_set_clip_value(o, 1.0) : nnb_train_opts_set_clip_norm(o, 1.0));
        double *before = params_of(net);
        nnbt_ok(nnb_train(net, o, x, R, 3, y, 2, NULL));
        double *after = params_of(net);
        size_t n = nnb_net_n_params(net);
        ld step = 0;
        for (size_t i = 0; i < n; i++) {
            ld d = ((ld)after[i] - before[i]) / 1e-3L;
            ck_assert(isfinite(after[i]));
            ck_assert_msg(fabsl(d) <= 1 + 1e-9L, "parameter %zu moved by %Lg", i, d);
            step += d * d;
        }
        ck_assert(step > 0.25L); /* it did move, by a clipped gradient */
        if (!mode) ck_assert(fabsl(sqrtl(step) - 1) < 1e-9L);
        free(before), free(after);
        /* an infinite gradient (the loss overflows) is an error, not a clamped step */
        double big[R * 2];
        memcpy(big, y, sizeof big);
        big[3] = NAN;
        nnbt_expect(nnb_train(net, o, x, R, 3, big, 2, NULL), NNB_E_NONFINITE, "not finite");
        nnb_train_opts_free(o);
        nnb_net_free(net);
    }
}
END_TEST

START_TEST(clip_setters) {
    nnb_train_opts *o = opts_new();
    ck_assert_int_eq(nnb_train_opts_set_clip_value(NULL, 1), NNB_E_NULL);
    nnbt_expect(nnb_train_opts_set_clip_value(o, -1), NNB_E_INVALID_ARG, "clip_value");
    nnbt_expect(nnb_train_opts_set_clip_value(o, NAN), NNB_E_INVALID_ARG, "clip_value");
    nnbt_expect(nnb_train_opts_set_clip_value(o, INFINITY), NNB_E_INVALID_ARG, "clip_value");
    nnbt_ok(nnb_train_opts_set_clip_value(o, 0));
    nnbt_ok(nnb_train_opts_set_clip_value(o, 2.5));
    nnb_train_opts_free(o);
}
END_TEST

/* ---- loss totals against an exact sum ------------------------------------------------------ */

/* An exact running sum of doubles (Shewchuk's non-overlapping partials, as Python's math.fsum). */
typedef struct {
    double p[64];
    size_t n;
} exact_sum;

static void exact_add(exact_sum *s, double x) {
    size_t i = 0;
    for (size_t j = 0; j < s->n; j++) {
        double y = s->p[j];
        if (fabs(x) < fabs(y)) {
            double t = x;
            x = y, y = t;
        }
        double hi = x + y, lo = y - (hi - x);
        if (lo != 0) s->p[i++] = lo;
        x = hi;
    }
    if (i == 64) abort(); /* cannot happen for doubles: at most ~40 partials */
    s->p[i++] = x;
    s->n = i;
}

/* A long double term, added as the two doubles hi + lo that hold it. */
static void exact_add_ld(exact_sum *s, ld v) {
    double hi = (double)v;
    exact_add(s, hi);
    exact_add(s, (double)(v - hi));
}

static ld exact_value(const exact_sum *s) {
    ld t = 0; /* the partials do not overlap: adding them from the smallest is exact to 1 ulp */
    for (size_t i = 0; i < s->n; i++) t += s->p[i];
    return t;
}

enum { SUM_COLS = 3 };

/* A one-layer network whose pre-activation is exactly its input (W = I, b = 0), so the per-row
 * losses are functions of x and y alone and the reference needs no forward pass of its own. */
static nnb_net *identity_net(nnb_activation act) {
    nnb_net *net;
    double w[SUM_COLS * SUM_COLS] = {0}, b[SUM_COLS] = {0};
    for (int i = 0; i < SUM_COLS; i++) w[i * SUM_COLS + i] = 1;
    nnbt_ok(nnb_net_create(&net, SUM_COLS));
    nnbt_ok(nnb_net_add_dense(net, SUM_COLS, act, 1));
    nnbt_ok(nnb_net_layer_set(net, 0, w, SUM_COLS * SUM_COLS, b, SUM_COLS));
    return net;
}

/* The exact sum over rows of the per-row loss l_r (nnb_loss's definitions), from z = x. */
static ld reference_total(nnb_loss loss, const double *x, const double *y, size_t rows) {
    exact_sum s = {.n = 0};
    for (size_t r = 0; r < rows; r++) {
        const double *z = x + r * SUM_COLS, *t = y + r * SUM_COLS;
        if (loss == NNB_LOSS_CE) {
            ld m = z[0], se = 0;
            for (int j = 1; j < SUM_COLS; j++) m = z[j] > m ? z[j] : m;
            for (int j = 0; j < SUM_COLS; j++) se += expl(z[j] - m);
            ld lse = m + logl(se);
            for (int j = 0; j < SUM_COLS; j++) exact_add_ld(&s, t[j] * (lse - z[j]));
            continue;
        }
        for (int j = 0; j < SUM_COLS; j++) {
            ld e = (ld)z[j] - t[j];
            switch (loss) {
            case NNB_LOSS_SSE: exact_add_ld(&s, e * e / 2); break;
            case NNB_LOSS_MSE: exact_add_ld(&s, e * e / SUM_COLS); break;
            default: /* BCE: softplus(z) - y z, per output, mean over the outputs */
                exact_add_ld(&s, ((z[j] > 0 ? z[j] : 0) + log1pl(expl(-fabsl(z[j]))) - t[j] * z[j]) /
                                     SUM_COLS);
            }
        }
    }
    return exact_value(&s);
}

static void sum_data(nnb_loss loss, double *x, double *y, size_t rows) {
    nnbt_rng g = {99};
    for (size_t i = 0; i < rows * SUM_COLS; i++) x[i] = 8 * nnbt_uniform(&g) - 4;
    for (size_t r = 0; r < rows; r++) {
        size_t k = (size_t)(nnbt_uniform(&g) * SUM_COLS);
        for (int j = 0; j < SUM_COLS; j++)
            y[r * SUM_COLS + j] = loss == NNB_LOSS_CE ? (j == (int)k) : nnbt_uniform(&g);
    }
}

static void assert_total(const char *what, nnb_loss loss, double got, ld want) {
    /* every term is >= 0, so a relative bound is the bound on sum |l_r| */
    const ld u = 0x1p-53L;
    ck_assert_msg(fabsl(got - want) <= 4 * u * fabsl(want),
                  "%s, loss %d: %.17g, exact %.21Lg (rel err %.3Lg > 4u)", what, (int)loss, got,
                  want, fabsl(got - want) / want);
}

/* The loss of a large batch (nnb_net_loss, nnb_net_evaluate) and an epoch's training loss are
 * within 4u (u = 2^-53) of the exact sum of the per-row losses; a plain loop over 2e5 rows is
 * off by about 1e-14 (~100u). */
START_TEST(loss_totals_are_compensated) {
    static const nnb_loss losses[] = {NNB_LOSS_SSE, NNB_LOSS_MSE, NNB_LOSS_BCE, NNB_LOSS_CE};
    size_t rows = nnbt_scale(200000, 20000);
    double *x = malloc(rows * SUM_COLS * sizeof *x), *y = malloc(rows * SUM_COLS * sizeof *y);
    for (int li = 0; li < 4; li++) {
        nnb_loss loss = losses[li];
        nnb_activation act = loss == NNB_LOSS_BCE ? NNB_ACT_SIGMOID
                             : loss == NNB_LOSS_CE ? NNB_ACT_SOFTMAX : NNB_ACT_IDENTITY;
        sum_data(loss, x, y, rows);
        ld want = reference_total(loss, x, y, rows);
        nnb_net *net = identity_net(act);
        double got, acc;
        nnbt_ok(nnb_net_loss(net, x, rows, SUM_COLS, y, SUM_COLS, loss, NNB_REDUCTION_SUM, &got));
        assert_total("nnb_net_loss sum", loss, got, want);
        nnbt_ok(nnb_net_loss(net, x, rows, SUM_COLS, y, SUM_COLS, loss, NNB_REDUCTION_MEAN, &got));
        assert_total("nnb_net_loss mean", loss, got, want / (ld)rows);
        nnbt_ok(nnb_net_evaluate(net, x, rows, SUM_COLS, y, SUM_COLS, loss, NNB_REDUCTION_SUM, &got,
                                 &acc));
        assert_total("nnb_net_evaluate", loss, got, want);
        /* an epoch of 1000-row batches whose steps (lr 1e-300) leave every loss as it was */
        for (int red = 0; red < 2; red++) {
            nnb_train_opts *o = opts_new();
            nnb_history *h;
            nnbt_ok(nnb_history_create(&h));
            nnbt_ok(nnb_train_opts_set_optimizer(o, NNB_OPT_SGD, 1e-300));
            nnbt_ok(nnb_train_opts_set_loss(o, loss, red ? NNB_REDUCTION_MEAN : NNB_REDUCTION_SUM));
            nnbt_ok(nnb_train_opts_set_batch_size(o, 1000));
            nnbt_ok(nnb_train_opts_set_epochs(o, 1));
            nnbt_ok(nnb_train(net, o, x, rows, SUM_COLS, y, SUM_COLS, h));
            nnbt_ok(nnb_history_get(h, NNB_HIST_TRAIN_LOSS, &got, 1));
            assert_total(red ? "epoch loss, mean" : "epoch loss, sum", loss, got,
                         red ? want / (ld)rows : want);
            nnb_history_free(h);
            nnb_train_opts_free(o);
        }
        nnb_net_free(net);
    }
    free(x), free(y);
}
END_TEST

static Suite *numerics_suite(void) {
    Suite *s = suite_create("numerics");
    TCase *tc = tcase_create("clipping");
    tcase_add_test(tc, clip_norm_is_pytorchs);
    tcase_add_test(tc, clip_norm_within_its_epsilon);
    tcase_add_test(tc, clip_value_is_pytorchs);
    tcase_add_test(tc, clip_extremes);
    tcase_add_test(tc, clip_setters);
    suite_add_tcase(s, tc);
    tc = tcase_create("sums");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, loss_totals_are_compensated);
    suite_add_tcase(s, tc);
    return s;
}

NNBT_MAIN(numerics_suite, 0)
