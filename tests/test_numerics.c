/*
 * The numerical definitions of docs/definitions.md, each checked against its formula computed
 * here independently: gradient clipping (by norm, PyTorch's max_norm / (||g|| + 1e-6), and by
 * value), the loss totals (compensated sums, in both element types) against an exact sum, and the
 * learning-rate schedules (closed forms, past their end, warm restarts, split runs equal to one
 * run).
 */
#include <string.h>

#include "nnb_test.h"

typedef long double ld;

static nnb_train_opts *opts_new(void) {
    nnb_train_opts *o;
    nnbt_ok(nnb_train_opts_create(&o));
    return o;
}

/* The tolerance of a comparison with a long-double reference: 4e-16, or 1e-13 under valgrind,
 * whose emulation computes long double in double precision. */
static ld ref_tol(void) { return nnbt_valgrind() ? 1e-13L : 4e-16L; }

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
        if (clip_value > 0)
            c[i] = c[i] > clip_value ? clip_value : c[i] < -clip_value ? -clip_value : c[i];
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
    nnbt_ok(nnb_net_train(net, o, x, R, 3, y, 2, NULL));
    double *after = params_of(net);
    for (size_t i = 0; i < n; i++) {
        ld want = theta[i] - 0.1L * (k * c[i] + wd * theta[i]);
        ck_assert_msg(fabsl(after[i] - want) <= ref_tol() * (fabsl(want) + 0.1L * fabsl(k * c[i])),
                      "parameter %zu: %.17g, expected %.17Lg (k = %.17Lg)", i, after[i], want, k);
    }
    free(theta), free(g), free(c), free(after);
    nnb_train_opts_free(o);
    nnb_net_free(net);
}

START_TEST(clip_norm_is_pytorchs) {
    check_clipped_step(100, 1.0, 0, 0);    /* clipped hard */
    check_clipped_step(100, 1.0, 0, 0.01); /* clipping comes before weight decay */
    check_clipped_step(0.01, 1e3, 0, 0);   /* not clipped: k >= 1 */
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
    check_clipped_step(100, 0, 0.5, 0);    /* some components clamped */
    check_clipped_step(100, 0, 0.5, 0.01); /* before weight decay */
    check_clipped_step(100, 2.0, 0.5, 0);  /* value first, then the norm of the clamped g */
    check_clipped_step(0.01, 0, 1e3, 0);   /* nothing to clamp */
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
        nnbt_ok(mode ? nnb_train_opts_set_clip_value(o, 1.0)
                     : nnb_train_opts_set_clip_norm(o, 1.0));
        double *before = params_of(net);
        nnbt_ok(nnb_net_train(net, o, x, R, 3, y, 2, NULL));
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
        nnbt_expect(nnb_net_train(net, o, x, R, 3, big, 2, NULL), NNB_E_NONFINITE, "not finite");
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
            case NNB_LOSS_SSE:
                exact_add_ld(&s, e * e / 2);
                break;
            case NNB_LOSS_MSE:
                exact_add_ld(&s, e * e / SUM_COLS);
                break;
            default: /* BCE: softplus(z) - y z, per output, mean over the outputs */
                exact_add_ld(&s,
                             ((z[j] > 0 ? z[j] : 0) + log1pl(expl(-fabsl(z[j]))) - t[j] * z[j]) /
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
        nnb_activation act = loss == NNB_LOSS_BCE  ? NNB_ACT_SIGMOID
                             : loss == NNB_LOSS_CE ? NNB_ACT_SOFTMAX
                                                   : NNB_ACT_IDENTITY;
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
            nnbt_ok(nnb_net_train(net, o, x, rows, SUM_COLS, y, SUM_COLS, h));
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

/* The float32 loss totals are compensated too (issue 23: the two element types share one loss
 * code): a float32 network's per-element terms are its own float arithmetic, so the reference is
 * the exact sum of the network's per-row losses (nnb_net_loss_f32 on each row alone, every one
 * summed exactly here). The batch loss, the evaluation and an epoch's loss stay within 6u of it
 * (u = 2^-53: the 4u of the sum, and 2u of each row's own three-term sum); one plain pass over
 * the batch, as before issue 23, is off by about 100u at 2e5 rows. */
START_TEST(float32_loss_totals_are_compensated) {
    static const nnb_loss losses[] = {NNB_LOSS_SSE, NNB_LOSS_MSE, NNB_LOSS_BCE, NNB_LOSS_CE};
    size_t rows = nnbt_scale(200000, 20000);
    double *x = malloc(rows * SUM_COLS * sizeof *x), *y = malloc(rows * SUM_COLS * sizeof *y);
    float *xf = malloc(rows * SUM_COLS * sizeof *xf), *yf = malloc(rows * SUM_COLS * sizeof *yf);
    const ld u = 0x1p-53L;
    for (int li = 0; li < 4; li++) {
        nnb_loss loss = losses[li];
        nnb_activation act = loss == NNB_LOSS_BCE  ? NNB_ACT_SIGMOID
                             : loss == NNB_LOSS_CE ? NNB_ACT_SOFTMAX
                                                   : NNB_ACT_IDENTITY;
        sum_data(loss, x, y, rows);
        for (size_t i = 0; i < rows * SUM_COLS; i++) xf[i] = (float)x[i], yf[i] = (float)y[i];
        nnb_net *n64 = identity_net(act), *net;
        nnbt_ok(nnb_net_copy(&net, n64, NNB_F32));
        nnb_net_free(n64);
        exact_sum ex = {.n = 0};
        for (size_t r = 0; r < rows; r++) {
            double l;
            nnbt_ok(nnb_net_loss_f32(net, xf + r * SUM_COLS, 1, SUM_COLS, yf + r * SUM_COLS,
                                     SUM_COLS, loss, NNB_REDUCTION_SUM, &l));
            exact_add(&ex, l);
        }
        ld want = exact_value(&ex);
        double got[4], acc;
        nnbt_ok(nnb_net_loss_f32(net, xf, rows, SUM_COLS, yf, SUM_COLS, loss, NNB_REDUCTION_SUM,
                                 &got[0]));
        nnbt_ok(nnb_net_evaluate_f32(net, xf, rows, SUM_COLS, yf, SUM_COLS, loss, NNB_REDUCTION_SUM,
                                     &got[1], &acc));
        /* the float64 entry points on the float32 network: the same float rows */
        for (size_t i = 0; i < rows * SUM_COLS; i++) x[i] = xf[i], y[i] = yf[i];
        nnbt_ok(nnb_net_evaluate(net, x, rows, SUM_COLS, y, SUM_COLS, loss, NNB_REDUCTION_SUM,
                                 &got[2], &acc));
        nnb_train_opts *o = opts_new();
        nnb_history *h;
        nnbt_ok(nnb_history_create(&h));
        nnbt_ok(nnb_train_opts_set_optimizer(o, NNB_OPT_SGD, 1e-30));
        nnbt_ok(nnb_train_opts_set_loss(o, loss, NNB_REDUCTION_SUM));
        nnbt_ok(nnb_train_opts_set_batch_size(o, 1000));
        nnbt_ok(nnb_train_opts_set_epochs(o, 1));
        nnbt_ok(nnb_net_train_f32(net, o, xf, rows, SUM_COLS, yf, SUM_COLS, h));
        nnbt_ok(nnb_history_get(h, NNB_HIST_TRAIN_LOSS, &got[3], 1));
        static const char *what[4] = {"nnb_net_loss_f32", "nnb_net_evaluate_f32",
                                      "nnb_net_evaluate on float32", "epoch loss"};
        for (int k = 0; k < 4; k++)
            ck_assert_msg(fabsl(got[k] - want) <= 6 * u * want,
                          "float32 %s, loss %d: %.17g, exact sum of the rows %.21Lg (rel err %.3Lg"
                          " > 6u)",
                          what[k], (int)loss, got[k], want, fabsl(got[k] - want) / want);
        nnb_history_free(h);
        nnb_train_opts_free(o);
        nnb_net_free(net);
    }
    free(x), free(y), free(xf), free(yf);
}
END_TEST

/* ---- learning-rate schedules ------------------------------------------------------------- */

/* A schedule as the tests give it. */
typedef struct sched_case {
    nnb_schedule kind;
    double p1, p2, mult;
} sched_case;

static const sched_case sched_cases[] = {
    {NNB_SCHED_CONSTANT, 0, 0, 1},
    {NNB_SCHED_STEP, 3, 0.5, 1},
    {NNB_SCHED_EXPONENTIAL, 0.8, 0, 1},
    {NNB_SCHED_COSINE, 12, 0.001, 1},
    {NNB_SCHED_COSINE, 5, 0.002, 1}, /* past its end after 5 epochs: holds lr_min */
    {NNB_SCHED_COSINE_RESTARTS, 3, 0.001, 1},
    {NNB_SCHED_COSINE_RESTARTS, 2, 0, 2},
};
enum { N_SCHED = sizeof sched_cases / sizeof sched_cases[0] };

/* The rate of epoch e + 1 (e epochs done under the schedule), from the formulas of
 * docs/definitions.md, written out here in long double; T is cosine's horizon. */
static ld sched_formula(const sched_case *c, ld lr, unsigned e, ld T) {
    const ld pi = 3.141592653589793238462643383279503L;
    switch (c->kind) {
    case NNB_SCHED_STEP:
        return lr * powl(c->p2, (ld)(e / (unsigned)c->p1));
    case NNB_SCHED_EXPONENTIAL:
        return lr * powl(c->p1, e);
    case NNB_SCHED_COSINE: {
        ld t = e < T ? e : T;
        return c->p2 + (lr - c->p2) * (1 + cosl(pi * t / T)) / 2;
    }
    case NNB_SCHED_COSINE_RESTARTS: { /* walk the periods T_0, T_0 m, T_0 m^2, ... */
        unsigned t = e, Ti = (unsigned)c->p1;
        while (t >= Ti) t -= Ti, Ti *= (unsigned)c->mult;
        return c->p2 + (lr - c->p2) * (1 + cosl(pi * t / Ti)) / 2;
    }
    default:
        return lr;
    }
}

static nnb_train_opts *sched_opts(const sched_case *c, size_t epochs) {
    nnb_train_opts *o = opts_new();
    nnbt_ok(nnb_train_opts_set_optimizer(o, NNB_OPT_ADAM, 0.01));
    nnbt_ok(nnb_train_opts_set_batch_size(o, 8));
    nnbt_ok(nnb_train_opts_set_epochs(o, epochs));
    nnbt_ok(nnb_train_opts_set_schedule(o, c->kind, c->p1, c->p2));
    nnbt_ok(nnb_train_opts_set_restart_mult(o, c->mult));
    return o;
}

/* Trains `epochs` epochs and appends the rates used to lr[*n]. */
static void train_lrs(nnb_net *net, nnb_train_opts *o, size_t epochs, double *lr, size_t *n) {
    enum { R = 24 };
    double x[R * 3], y[R * 2];
    small_data(x, y, R, 1, 21);
    nnb_history *h;
    nnbt_ok(nnb_history_create(&h));
    nnbt_ok(nnb_net_train(net, o, x, R, 3, y, 2, h));
    ck_assert_uint_eq(nnb_history_n_epochs(h), epochs);
    nnbt_ok(nnb_history_get(h, NNB_HIST_LR, lr + *n, epochs));
    *n += epochs;
    nnb_history_free(h);
}

static void assert_lrs(const sched_case *c, const double *lr, size_t n, ld T, const char *what) {
    for (size_t e = 0; e < n; e++) {
        ld want = sched_formula(c, 0.01L, (unsigned)e, T);
        ck_assert_msg(fabsl(lr[e] - want) <= ref_tol() * fabsl(want),
                      "%s, schedule %d (%g, %g, %g), epoch %zu: lr %.17g, formula %.17Lg", what,
                      (int)c->kind, c->p1, c->p2, c->mult, e + 1, lr[e], want);
    }
}

/* Every schedule against its formula, over 16 epochs (past the cosine's end, over several warm
 * restarts); and two calls of 6 epochs equal one of 12, rates and weights bit for bit. */
START_TEST(schedules_follow_their_formulas) {
    for (int k = 0; k < N_SCHED; k++) {
        const sched_case *c = &sched_cases[k];
        double lr[16], lr2[12];
        size_t n = 0, n2 = 0;
        nnb_net *one = small_net(), *two = small_net();
        nnb_train_opts *o16 = sched_opts(c, 16), *o12 = sched_opts(c, 12), *o6 = sched_opts(c, 6);
        train_lrs(one, o16, 16, lr, &n);
        assert_lrs(c, lr, n, c->p1, "16 epochs");
        nnb_net_free(one);
        one = small_net();
        n = 0;
        train_lrs(one, o12, 12, lr, &n);
        train_lrs(two, o6, 6, lr2, &n2);
        train_lrs(two, o6, 6, lr2, &n2);
        ck_assert_msg(memcmp(lr, lr2, sizeof lr2) == 0, "schedule %d: 6 + 6 epochs' rates differ",
                      (int)c->kind);
        double *a = params_of(one), *b = params_of(two);
        ck_assert_msg(memcmp(a, b, nnb_net_n_params(one) * sizeof *a) == 0,
                      "schedule %d: 6 + 6 epochs differ from 12", (int)c->kind);
        free(a), free(b);
        nnb_train_opts_free(o16), nnb_train_opts_free(o12), nnb_train_opts_free(o6);
        nnb_net_free(one), nnb_net_free(two);
    }
}
END_TEST

/* Split through a checkpoint: 6 epochs, the parameters and the training state (bytes, and a
 * model file in memory) into fresh networks, 6 more: the same as 12 straight. */
START_TEST(schedules_resume_from_checkpoints) {
    for (int k = 0; k < N_SCHED; k++) {
        const sched_case *c = &sched_cases[k];
        double lr[12], lr2[12], lr3[12];
        size_t n = 0, n2 = 0, n3 = 0;
        nnb_net *straight = small_net(), *first = small_net();
        nnb_train_opts *o12 = sched_opts(c, 12), *o6 = sched_opts(c, 6);
        train_lrs(straight, o12, 12, lr, &n);
        train_lrs(first, o6, 6, lr2, &n2);
        memcpy(lr3, lr2, sizeof(double) * 6), n3 = 6;
        size_t np = nnb_net_n_params(first), len = nnb_net_train_state_size(first);
        double *p = params_of(first);
        unsigned char *state = malloc(len);
        nnbt_ok(nnb_net_train_state_get(first, state, len, NULL));
        size_t mlen = nnb_model_write_size(first, NULL, NULL, 1);
        unsigned char *model = malloc(mlen);
        nnbt_ok(nnb_model_write_buffer(first, NULL, NULL, 1, model, mlen, NULL));
        nnb_net *resumed = small_net(), *loaded;
        nnbt_ok(nnb_net_params_set(resumed, p, np));
        nnbt_ok(nnb_net_train_state_set(resumed, state, len));
        nnbt_ok(nnb_model_read_buffer(&loaded, NULL, NULL, model, mlen));
        train_lrs(resumed, o6, 6, lr2, &n2);
        train_lrs(loaded, o6, 6, lr3, &n3);
        ck_assert(memcmp(lr, lr2, sizeof lr) == 0 && memcmp(lr, lr3, sizeof lr) == 0);
        double *a = params_of(straight), *b = params_of(resumed), *d = params_of(loaded);
        ck_assert_msg(memcmp(a, b, np * sizeof *a) == 0 && memcmp(a, d, np * sizeof *a) == 0,
                      "schedule %d: resumed runs differ from 12 straight epochs", (int)c->kind);
        free(a), free(b), free(d), free(p), free(state), free(model);
        nnb_train_opts_free(o12), nnb_train_opts_free(o6);
        nnb_net_free(straight), nnb_net_free(first), nnb_net_free(resumed), nnb_net_free(loaded);
    }
}
END_TEST

/* Cosine with T = 0: the horizon is the epochs of the call that starts the schedule, kept in
 * the state; later calls with the same schedule hold lr_min (so 6 + 6 is not 12: documented).
 * A different schedule (or base rate) starts over at position 0. */
START_TEST(schedule_horizon_and_restart) {
    const sched_case c0 = {NNB_SCHED_COSINE, 0, 0.001, 1};
    double lr[12];
    size_t n = 0;
    nnb_net *net = small_net();
    nnb_train_opts *o6 = sched_opts(&c0, 6);
    train_lrs(net, o6, 6, lr, &n);
    train_lrs(net, o6, 6, lr, &n);
    assert_lrs(&c0, lr, n, 6, "T = 0, 6 + 6 epochs"); /* T = 6, then held at lr_min */
    /* another schedule: position 0 again, at epoch 13 */
    const sched_case cs = {NNB_SCHED_STEP, 2, 0.1, 1};
    nnb_train_opts *os = sched_opts(&cs, 5);
    n = 0;
    train_lrs(net, os, 5, lr, &n);
    assert_lrs(&cs, lr, n, 0, "a new schedule");
    /* the same schedule with another base rate is another schedule */
    nnbt_ok(nnb_train_opts_set_optimizer(os, NNB_OPT_ADAM, 0.02));
    nnbt_ok(nnb_train_opts_set_epochs(os, 3));
    n = 0;
    train_lrs(net, os, 3, lr, &n);
    for (int e = 0; e < 3; e++) nnbt_assert_rel(lr[e], 0.02 * pow(0.1, e / 2), 1e-15);
    nnb_train_opts_free(o6), nnb_train_opts_free(os);
    nnb_net_free(net);
}
END_TEST

/* A training state from nnblas 0.1 (version 1, no schedule record) still loads, and the next
 * schedule's position is the epoch count, as 0.1 had it. Damaged schedule records are refused. */
START_TEST(schedule_state_versions) {
    const sched_case c = {NNB_SCHED_COSINE, 10, 0, 1};
    double lr[16];
    size_t n = 0;
    nnb_net *net = small_net();
    nnb_train_opts *o4 = sched_opts(&sched_cases[0], 4), *oc = sched_opts(&c, 4);
    train_lrs(net, o4, 4, lr, &n); /* 4 epochs, constant */
    size_t len = nnb_net_train_state_size(net);
    unsigned char *s = malloc(len);
    nnbt_ok(nnb_net_train_state_get(net, s, len, NULL));
    ck_assert_uint_eq(s[4], 2);
    /* the record is the last 68 bytes: u32 tag 1, u64 length 56 */
    unsigned char *rec = s + len - 68;
    ck_assert(rec[0] == 1 && rec[4] == 56);
    s[4] = 1; /* as 0.1 wrote it: version 1, without the record */
    nnbt_ok(nnb_net_train_state_set(net, s, len - 68));
    n = 0;
    train_lrs(net, oc, 4, lr, &n);
    for (unsigned e = 0; e < 4; e++) { /* positions 4..7 */
        ld want = sched_formula(&c, 0.01L, e + 4, 10);
        ck_assert(fabsl(lr[e] - want) <= ref_tol() * want);
    }
    ck_assert_int_eq(nnb_net_train_state_set(net, s, len), NNB_E_FORMAT); /* v1 with a record */
    s[4] = 2;
    rec[52] = 99; /* start (offset 12 + 40) beyond the epoch count */
    nnbt_expect(nnb_net_train_state_set(net, s, len), NNB_E_FORMAT, "schedule");
    rec[52] = 0;
    rec[12] = 7; /* no such schedule */
    nnbt_expect(nnb_net_train_state_set(net, s, len), NNB_E_FORMAT, "schedule");
    rec[12] = 0;
    rec[4] = 48; /* the wrong length */
    nnbt_expect(nnb_net_train_state_set(net, s, len), NNB_E_FORMAT, "schedule");
    rec[4] = 56;
    rec[0] = 9; /* an unknown record is skipped */
    nnbt_ok(nnb_net_train_state_set(net, s, len));
    rec[0] = 1;
    nnbt_ok(nnb_net_train_state_set(net, s, len));
    free(s);
    nnb_train_opts_free(o4), nnb_train_opts_free(oc);
    nnb_net_free(net);
}
END_TEST

START_TEST(schedule_setters) {
    nnb_train_opts *o = opts_new();
    nnbt_expect(nnb_train_opts_set_schedule(o, NNB_SCHED_COSINE_RESTARTS, 0, 0), NNB_E_INVALID_ARG,
                "first period");
    nnbt_expect(nnb_train_opts_set_schedule(o, NNB_SCHED_COSINE_RESTARTS, 2.5, 0),
                NNB_E_INVALID_ARG, "first period");
    nnbt_expect(nnb_train_opts_set_schedule(o, NNB_SCHED_COSINE_RESTARTS, 2, -1), NNB_E_INVALID_ARG,
                "minimum learning rate");
    nnbt_ok(nnb_train_opts_set_schedule(o, NNB_SCHED_COSINE_RESTARTS, 2, 0));
    ck_assert_int_eq(nnb_train_opts_set_restart_mult(NULL, 2), NNB_E_NULL);
    nnbt_expect(nnb_train_opts_set_restart_mult(o, 0.5), NNB_E_INVALID_ARG, "multiplier");
    nnbt_expect(nnb_train_opts_set_restart_mult(o, 1.5), NNB_E_INVALID_ARG, "multiplier");
    nnbt_expect(nnb_train_opts_set_restart_mult(o, NAN), NNB_E_INVALID_ARG, "multiplier");
    nnbt_ok(nnb_train_opts_set_restart_mult(o, 3));
    nnb_train_opts_free(o);
}
END_TEST

/* ---- float32 networks and data (issue 23: each concern tests both element types) ---------- */

/* Clipping in float32, against PyTorch's definitions checked on the step itself: one full-batch
 * SGD step at rate lr moves each parameter by lr * clip(g_i) where clip_grad_value_ bounds
 * |g_i| <= c (so |step_i| <= lr c, with equality where the gradient was larger: the float32
 * gradient itself, from nnb_net_backprop_f32, tells which), and clip_grad_norm_ scales the whole
 * gradient to max_norm / (||g|| + 1e-6) (so ||step|| = lr max_norm when ||g|| is larger). Each
 * bound holds to float32 rounding of the parameters (2^-23 relative, times a margin of 4). */
START_TEST(clipping_float32_steps) {
    const size_t rows = 60;
    float *x = malloc(rows * 20 * sizeof *x), *y = malloc(rows * 3 * sizeof *y);
    nnbt_blobs(rows, x, y, NULL, NULL);
    const double lr = 0.5, c = 1e-3, max_norm = 0.01;
    for (int mode = 0; mode < 2; mode++) {
        nnb_net *net = nnbt_net3(NNB_F32, 20, 8, NNB_ACT_TANH, 3, NNB_ACT_SOFTMAX, 12);
        size_t np = nnb_net_n_params(net);
        float *p0 = malloc(np * sizeof *p0), *g = malloc(np * sizeof *g);
        nnbt_ok(nnb_net_params_get_f32(net, p0, np));
        double loss;
        nnbt_ok(nnb_net_backprop_f32(net, x, rows, 20, y, 3, NNB_LOSS_CE, NNB_REDUCTION_MEAN, &loss,
                                     g, np));
        double gnorm = 0;
        size_t big = 0;
        for (size_t i = 0; i < np; i++) gnorm += (double)g[i] * g[i], big += fabsf(g[i]) > c;
        gnorm = sqrt(gnorm);
        ck_assert_msg(big > 0 && gnorm > max_norm, "the gradient must be large enough to clip");
        nnb_train_opts *o;
        nnbt_ok(nnb_train_opts_create(&o));
        nnbt_ok(nnb_train_opts_set_optimizer(o, NNB_OPT_SGD, lr));
        nnbt_ok(nnb_train_opts_set_loss(o, NNB_LOSS_CE, NNB_REDUCTION_MEAN));
        nnbt_ok(nnb_train_opts_set_batch_size(o, 0));
        nnbt_ok(nnb_train_opts_set_epochs(o, 1));
        if (mode == 0)
            nnbt_ok(nnb_train_opts_set_clip_value(o, c));
        else
            nnbt_ok(nnb_train_opts_set_clip_norm(o, max_norm));
        nnbt_ok(nnb_net_train_f32(net, o, x, rows, 20, y, 3, NULL));
        const float *p1 = nnb_net_params_data_f32(net, NULL);
        double snorm = 0;
        for (size_t i = 0; i < np; i++) {
            double step = (double)p0[i] - p1[i], tol = 4 * 0x1p-23 * (fabs(p0[i]) + lr * c);
            snorm += step * step;
            if (mode == 0) {
                double want = lr * (fabsf(g[i]) > c ? (g[i] > 0 ? c : -c) : g[i]);
                ck_assert_msg(fabs(step - want) <= tol, "parameter %zu: step %.9g, want %.9g", i,
                              step, want);
            }
        }
        if (mode == 1) {
            double want = lr * max_norm * gnorm / (gnorm + 1e-6);
            ck_assert_msg(fabs(sqrt(snorm) - want) <= 1e-4 * want, "step norm %.9g, want %.9g",
                          sqrt(snorm), want);
        }
        free(p0), free(g);
        nnb_train_opts_free(o);
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
    tcase_add_test(tc, float32_loss_totals_are_compensated);
    suite_add_tcase(s, tc);
    tc = tcase_create("schedules");
    tcase_add_test(tc, schedules_follow_their_formulas);
    tcase_add_test(tc, schedules_resume_from_checkpoints);
    tcase_add_test(tc, schedule_horizon_and_restart);
    tcase_add_test(tc, schedule_state_versions);
    tcase_add_test(tc, schedule_setters);
    suite_add_tcase(s, tc);
    tc = tcase_create("float32");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, clipping_float32_steps);
    suite_add_tcase(s, tc);
    return s;
}

NNBT_MAIN(numerics_suite, 0)
