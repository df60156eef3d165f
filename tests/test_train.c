/* The training API: optimisers against their formulas and against least squares, XOR, LM,
 * validation and early stopping, callbacks, dropout, schedules, clipping, checkpoints. */
#include <lapacke.h>
#include <string.h>

#include "nnb_test.h"

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

/* ---- each optimiser against its formula, written out here in long double ---- */

typedef long double ld;

/* One full-batch step of PyTorch's update rules on theta (n), from gradient g. */
static void reference_step(int opt, ld *theta, const double *g, ld *m, ld *v, size_t n, int t,
                           double lr, double mu, double wd) {
    const ld b1 = 0.9L, b2 = 0.999L, eps = 1e-8L, rho = 0.99L;
    for (size_t i = 0; i < n; i++) {
        ld gi = g[i] + (opt == NNB_OPT_ADAMW ? 0 : wd * theta[i]);
        switch (opt) {
        case NNB_OPT_SGD:
            theta[i] -= lr * gi;
            break;
        case NNB_OPT_MOMENTUM:
            m[i] = mu * m[i] + gi;
            theta[i] -= lr * m[i];
            break;
        case NNB_OPT_NESTEROV:
            m[i] = mu * m[i] + gi;
            theta[i] -= lr * (gi + mu * m[i]);
            break;
        case NNB_OPT_ADAM:
        case NNB_OPT_ADAMW: {
            if (opt == NNB_OPT_ADAMW) theta[i] *= 1 - lr * wd;
            m[i] = b1 * m[i] + (1 - b1) * gi;
            v[i] = b2 * v[i] + (1 - b2) * gi * gi;
            ld mh = m[i] / (1 - powl(b1, t)), vh = v[i] / (1 - powl(b2, t));
            theta[i] -= lr * mh / (sqrtl(vh) + eps);
            break;
        }
        case NNB_OPT_RMSPROP:
            v[i] = rho * v[i] + (1 - rho) * gi * gi;
            theta[i] -= lr * gi / (sqrtl(v[i]) + eps);
            break;
        }
    }
}

START_TEST(optimisers_follow_their_formulas) {
    static const int opts_list[] = {NNB_OPT_SGD,  NNB_OPT_MOMENTUM, NNB_OPT_NESTEROV,
                                    NNB_OPT_ADAM, NNB_OPT_ADAMW,    NNB_OPT_RMSPROP};
    nnbt_rng rng = {77};
    double x[12 * 3], y[12 * 2];
    for (int i = 0; i < 36; i++) x[i] = nnbt_normal(&rng);
    for (int i = 0; i < 24; i++) y[i] = nnbt_uniform(&rng);
    for (size_t k = 0; k < 6; k++)
        for (int decay = 0; decay <= 1; decay++) {
            int opt = opts_list[k];
            double lr = 0.05, mu = 0.8, wd = decay ? 0.01 : 0.0;
            nnb_net *net, *ref;
            nnbt_ok(nnb_net_create(&net, 3));
            nnbt_ok(nnb_net_add_dense(net, 4, NNB_ACT_TANH, 1));
            nnbt_ok(nnb_net_add_dense(net, 2, NNB_ACT_SIGMOID, 1));
            nnbt_ok(nnb_net_init(net, NNB_INIT_XAVIER_UNIFORM, 5));
            nnbt_ok(nnb_net_create(&ref, 3));
            nnbt_ok(nnb_net_add_dense(ref, 4, NNB_ACT_TANH, 1));
            nnbt_ok(nnb_net_add_dense(ref, 2, NNB_ACT_SIGMOID, 1));
            size_t n = nnb_net_n_params(net);
            double *p = params_of(net), *g = malloc(n * sizeof *g);
            ld *theta = malloc(n * sizeof *theta), *m = calloc(n, sizeof *m),
               *v = calloc(n, sizeof *v);
            for (size_t i = 0; i < n; i++) theta[i] = p[i];
            nnb_train_opts *o = opts_new();
            nnbt_ok(nnb_train_opts_set_optimizer(o, (nnb_optimizer)opt, lr));
            nnbt_ok(nnb_train_opts_set_momentum(o, mu));
            nnbt_ok(nnb_train_opts_set_weight_decay(o, wd));
            nnbt_ok(nnb_train_opts_set_loss(o, NNB_LOSS_BCE, NNB_REDUCTION_MEAN));
            nnbt_ok(nnb_train_opts_set_batch_size(o, 0));
            nnbt_ok(nnb_train_opts_set_epochs(o, 1));
            for (int t = 1; t <= 6; t++) {
                /* the reference: gradient at its own (rounded) parameters, then the formula */
                for (size_t i = 0; i < n; i++) p[i] = (double)theta[i];
                nnbt_ok(nnb_net_params_set(ref, p, n));
                nnbt_ok(nnb_net_backprop(ref, x, 12, 3, y, 2, NNB_LOSS_BCE, NNB_REDUCTION_MEAN,
                                         NULL, g, n));
                reference_step(opt, theta, g, m, v, n, t, lr, mu, wd);
                nnbt_ok(nnb_net_train(net, o, x, 12, 3, y, 2, NULL));
            }
            nnbt_ok(nnb_net_params_get(net, p, n));
            for (size_t i = 0; i < n; i++)
                ck_assert_msg(fabsl(p[i] - theta[i]) <= 1e-12L * (1 + fabsl(theta[i])),
                              "optimizer %d, decay %d: theta[%zu] = %.17g, formula %.17Lg", opt,
                              decay, i, p[i], theta[i]);
            free(p), free(g), free(theta), free(m), free(v);
            nnb_train_opts_free(o);
            nnb_net_free(net);
            nnb_net_free(ref);
        }
}
END_TEST

/* ---- linear regression: every optimiser reaches the least-squares solution (LAPACKE dgels) ---- */

START_TEST(least_squares) {
    enum { N = 200, F = 5 };
    nnbt_rng rng = {31};
    double X[N * F], y[N], A[N * (F + 1)], bvec[N];
    const double w_true[F] = {0.5, -1.0, 2.0, 0.25, -0.75};
    for (int r = 0; r < N; r++) {
        double s = 0.3;
        for (int j = 0; j < F; j++) {
            X[r * F + j] = nnbt_normal(&rng);
            s += w_true[j] * X[r * F + j];
        }
        y[r] = s + 0.1 * nnbt_normal(&rng);
        for (int j = 0; j < F; j++) A[r * (F + 1) + j] = X[r * F + j];
        A[r * (F + 1) + F] = 1.0;
        bvec[r] = y[r];
    }
    ck_assert_int_eq(LAPACKE_dgels(LAPACK_ROW_MAJOR, 'N', N, F + 1, 1, A, F + 1, bvec, 1), 0);
    static const struct {
        nnb_optimizer opt;
        double lr;
        size_t epochs;
        int cosine; /* cosine decay of the learning rate to 0 over the run */
    } cases[] = {
        {NNB_OPT_SGD, 0.1, 400, 0},       {NNB_OPT_MOMENTUM, 0.05, 300, 0},
        {NNB_OPT_NESTEROV, 0.05, 300, 0}, {NNB_OPT_ADAM, 0.05, 2000, 1},
        {NNB_OPT_ADAMW, 0.05, 2000, 1},   {NNB_OPT_RMSPROP, 0.01, 2000, 1},
        {NNB_OPT_LM, 1, 20, 0},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        nnb_net *net;
        nnbt_ok(nnb_net_create(&net, F));
        nnbt_ok(nnb_net_add_dense(net, 1, NNB_ACT_IDENTITY, 1));
        nnbt_ok(nnb_net_init(net, NNB_INIT_NORMAL_FANIN, 3));
        double l0, l1, w[F + 1];
        nnbt_ok(nnb_net_loss(net, X, N, F, y, 1, NNB_LOSS_MSE, NNB_REDUCTION_MEAN, &l0));
        nnb_train_opts *o = opts_new();
        nnbt_ok(nnb_train_opts_set_optimizer(o, cases[c].opt, cases[c].lr));
        nnbt_ok(nnb_train_opts_set_loss(o, NNB_LOSS_MSE, NNB_REDUCTION_MEAN));
        nnbt_ok(nnb_train_opts_set_batch_size(o, 0));
        nnbt_ok(nnb_train_opts_set_epochs(o, cases[c].epochs));
        if (cases[c].cosine) nnbt_ok(nnb_train_opts_set_schedule(o, NNB_SCHED_COSINE, 0, 0));
        nnbt_ok(nnb_net_train(net, o, X, N, F, y, 1, NULL));
        nnbt_ok(nnb_net_loss(net, X, N, F, y, 1, NNB_LOSS_MSE, NNB_REDUCTION_MEAN, &l1));
        ck_assert_msg(l1 < l0, "optimizer %d did not lower the loss", (int)cases[c].opt);
        nnbt_ok(nnb_net_layer_get(net, 0, w, F, w + F, 1));
        double worst = 0;
        for (int j = 0; j <= F; j++) worst = fmax(worst, fabs(w[j] - bvec[j]));
        ck_assert_msg(worst <= 1e-6, "optimizer %d: %.3g from the least-squares solution",
                      (int)cases[c].opt, worst);
        fprintf(stderr, "least squares, optimizer %d: max |w - w_ls| = %.2g\n", (int)cases[c].opt,
                worst);
        nnb_train_opts_free(o);
        nnb_net_free(net);
    }
}
END_TEST

/* ---- XOR with Adam: 2-8-1 from 50 seeds out of 50; the 2-4-1 rate is reported ---- */

static int learns_xor(size_t hidden, uint64_t seed) {
    double x[8] = {0, 0, 0, 1, 1, 0, 1, 1}, y[4] = {0, 1, 1, 0}, out[4];
    nnb_net *net;
    nnbt_ok(nnb_net_create(&net, 2));
    nnbt_ok(nnb_net_add_dense(net, hidden, NNB_ACT_SIGMOID, 1));
    nnbt_ok(nnb_net_add_dense(net, 1, NNB_ACT_SIGMOID, 1));
    nnbt_ok(nnb_net_init(net, NNB_INIT_XAVIER_UNIFORM, seed));
    nnb_train_opts *o = opts_new();
    nnbt_ok(nnb_train_opts_set_optimizer(o, NNB_OPT_ADAM, 0.05));
    nnbt_ok(nnb_train_opts_set_loss(o, NNB_LOSS_BCE, NNB_REDUCTION_MEAN));
    nnbt_ok(nnb_train_opts_set_batch_size(o, 0));
    nnbt_ok(nnb_train_opts_set_epochs(o, 1500));
    nnbt_ok(nnb_net_train(net, o, x, 4, 2, y, 1, NULL));
    nnbt_ok(nnb_net_predict(net, x, 4, 2, out, 4));
    int ok = 1;
    for (int i = 0; i < 4; i++) ok &= (out[i] > 0.5) == (y[i] > 0.5);
    nnb_train_opts_free(o);
    nnb_net_free(net);
    return ok;
}

START_TEST(xor_with_adam) {
    int wide = 0, narrow = 0;
    for (uint64_t seed = 1; seed <= 50; seed++) {
        wide += learns_xor(8, seed);
        narrow += learns_xor(4, seed);
    }
    fprintf(stderr, "XOR with Adam: 2-8-1 learned it from %d of 50 seeds, 2-4-1 from %d of 50\n",
            wide, narrow);
    ck_assert_int_eq(wide, 50);
}
END_TEST

/* ---- validation, early stopping, restore-best, callbacks ---- */

typedef struct {
    double *snap[64];
    size_t n;
    int stop_at;
} snapshots;

static int snapshot_epoch(const nnb_net *net, size_t epoch, double tl, double vl, double ta,
                          double va, double secs, double sps, int up, void *user) {
    snapshots *s = user;
    (void)tl, (void)vl, (void)ta, (void)va, (void)secs, (void)sps, (void)up;
    ck_assert_uint_eq(epoch, s->n + 1);
    if (s->n < 64) s->snap[s->n++] = params_of(net);
    return s->stop_at && (int)epoch == s->stop_at;
}

/* A noisy regression with few rows and a big network overfits: the validation loss turns up. */
static void overfit_data(double *x, double *y, size_t n, uint64_t seed) {
    nnbt_rng r = {seed};
    for (size_t i = 0; i < n; i++) {
        x[i * 2] = nnbt_normal(&r), x[i * 2 + 1] = nnbt_normal(&r);
        y[i] = sin(x[i * 2]) + 0.5 * nnbt_normal(&r);
    }
}

START_TEST(early_stopping_restores_best) {
    double xt[20 * 2], yt[20], xv[200 * 2], yv[200];
    overfit_data(xt, yt, 20, 1);
    overfit_data(xv, yv, 200, 2);
    nnb_net *net;
    nnbt_ok(nnb_net_create(&net, 2));
    nnbt_ok(nnb_net_add_dense(net, 64, NNB_ACT_TANH, 1));
    nnbt_ok(nnb_net_add_dense(net, 1, NNB_ACT_IDENTITY, 1));
    nnbt_ok(nnb_net_init(net, NNB_INIT_XAVIER_UNIFORM, 4));
    nnb_train_opts *o = opts_new();
    nnbt_ok(nnb_train_opts_set_optimizer(o, NNB_OPT_ADAM, 0.02));
    nnbt_ok(nnb_train_opts_set_loss(o, NNB_LOSS_MSE, NNB_REDUCTION_MEAN));
    nnbt_ok(nnb_train_opts_set_batch_size(o, 0));
    nnbt_ok(nnb_train_opts_set_epochs(o, 60));
    nnbt_ok(nnb_train_opts_set_validation(o, xv, yv, 200));
    nnbt_ok(nnb_train_opts_set_early_stopping(o, 5, 1));
    snapshots s = {{0}, 0, 0};
    nnbt_ok(nnbt_set_epoch_callback(o, snapshot_epoch, &s));
    nnb_history *h;
    nnbt_ok(nnb_history_create(&h));
    nnbt_ok(nnb_net_train(net, o, xt, 20, 2, yt, 1, h));
    size_t best, len = nnb_history_n_epochs(h);
    double best_loss;
    int early;
    nnbt_ok(nnb_history_summary(h, &best, &best_loss, &early));
    ck_assert_msg(early && len < 60, "no early stop (%zu epochs)", len);
    ck_assert_uint_eq(len, best + 5);
    ck_assert_uint_eq(s.n, len);
    double *vl = malloc(len * sizeof *vl);
    nnbt_ok(nnb_history_get(h, NNB_HIST_VAL_LOSS, vl, len));
    for (size_t i = 0; i < len; i++) ck_assert(vl[i] >= best_loss);
    ck_assert(vl[best - 1] == best_loss);
    double *p = params_of(net);
    ck_assert(memcmp(p, s.snap[best - 1], nnb_net_n_params(net) * sizeof *p) == 0);
    double now_val;
    nnbt_ok(
        nnb_net_evaluate(net, xv, 200, 2, yv, 1, NNB_LOSS_MSE, NNB_REDUCTION_MEAN, &now_val, NULL));
    nnbt_assert_rel(now_val, best_loss, 1e-12);
    for (size_t i = 0; i < s.n; i++) free(s.snap[i]);
    free(vl), free(p);
    nnb_history_free(h);
    nnb_train_opts_free(o);
    nnb_net_free(net);
}
END_TEST

START_TEST(callback_stops) {
    double xt[20 * 2], yt[20];
    overfit_data(xt, yt, 20, 3);
    nnb_net *net;
    nnbt_ok(nnb_net_create(&net, 2));
    nnbt_ok(nnb_net_add_dense(net, 8, NNB_ACT_RELU, 1));
    nnbt_ok(nnb_net_add_dense(net, 1, NNB_ACT_IDENTITY, 1));
    nnb_train_opts *o = opts_new();
    nnbt_ok(nnb_train_opts_set_epochs(o, 50));
    nnbt_ok(nnb_train_opts_set_batch_size(o, 4));
    snapshots s = {{0}, 0, 3};
    nnbt_ok(nnbt_set_epoch_callback(o, snapshot_epoch, &s));
    nnb_history *h;
    nnbt_ok(nnb_history_create(&h));
    ck_assert_int_eq(nnb_net_train(net, o, xt, 20, 2, yt, 1, h), NNB_E_CANCELLED);
    ck_assert(strstr(nnb_last_error(), "stopped by the epoch callback after epoch 3") != NULL);
    ck_assert_uint_eq(nnb_history_n_epochs(h), 3);
    ck_assert_uint_eq(s.n, 3);
    /* the next call continues at epoch 4 */
    s.stop_at = 0;
    nnbt_ok(nnb_train_opts_set_epochs(o, 2));
    nnbt_ok(nnb_net_train(net, o, xt, 20, 2, yt, 1, h));
    ck_assert_uint_eq(s.n, 5);
    double ep[5];
    nnbt_ok(nnb_history_get(h, NNB_HIST_EPOCH, ep, 5));
    for (int i = 0; i < 5; i++) ck_assert(ep[i] == i + 1);
    for (size_t i = 0; i < s.n; i++) free(s.snap[i]);
    nnb_history_free(h);
    nnb_train_opts_free(o);
    nnb_net_free(net);
}
END_TEST

/* The growable epoch record (nnb_epoch_info): its fields against the history's columns. */
typedef struct {
    nnb_epoch_info rec[16];
    size_t n;
    uint64_t stop_at;
} info_log;

static int log_info(const nnb_net *net, const nnb_epoch_info *info, void *user) {
    info_log *l = user;
    ck_assert_ptr_nonnull(net);
    if (l->n < 16) l->rec[l->n++] = *info;
    return l->stop_at && info->epoch == l->stop_at;
}

static int count_calls(const nnb_net *net, size_t epoch, double tl, double vl, double ta, double va,
                       double secs, double sps, int up, void *user) {
    (void)net, (void)epoch, (void)tl, (void)vl, (void)ta, (void)va, (void)secs, (void)sps, (void)up;
    ++*(size_t *)user;
    return 0;
}

START_TEST(epoch_info_record) {
    double xt[20 * 2], yt[20];
    overfit_data(xt, yt, 20, 5);
    nnb_net *net;
    nnbt_ok(nnb_net_create(&net, 2));
    nnbt_ok(nnb_net_add_dense(net, 8, NNB_ACT_TANH, 1));
    nnbt_ok(nnb_net_add_dense(net, 1, NNB_ACT_IDENTITY, 1));
    nnbt_ok(nnb_net_init(net, NNB_INIT_XAVIER_UNIFORM, 2));
    nnb_train_opts *o = opts_new();
    nnbt_ok(nnb_train_opts_set_optimizer(o, NNB_OPT_ADAM, 0.02));
    nnbt_ok(nnb_train_opts_set_schedule(o, NNB_SCHED_STEP, 2, 0.5));
    nnbt_ok(nnb_train_opts_set_batch_size(o, 4));
    nnbt_ok(nnb_train_opts_set_validation_split(o, 0.25, 9)); /* 15 training rows: 4 batches */
    nnbt_ok(nnb_train_opts_set_early_stopping(o, 100, 0));
    nnbt_ok(nnb_train_opts_set_epochs(o, 6));
    info_log l = {.n = 0};
    nnbt_ok(nnb_train_opts_set_epoch_info_callback(o, log_info, &l));
    nnb_history *h;
    nnbt_ok(nnb_history_create(&h));
    nnbt_ok(nnb_net_train(net, o, xt, 20, 2, yt, 1, h));
    nnbt_ok(nnb_train_opts_set_epochs(o, 2)); /* a second call continues the count */
    nnbt_ok(nnb_net_train(net, o, xt, 20, 2, yt, 1, h));
    ck_assert_uint_eq(l.n, 8);
    ck_assert_uint_eq(nnb_history_n_epochs(h), 8);
    double col[NNB_HIST_SAMPLES_PER_S + 1][8];
    for (int f = 0; f <= NNB_HIST_SAMPLES_PER_S; f++)
        nnbt_ok(nnb_history_get(h, (nnb_history_field)f, col[f], 8));
    size_t best;
    double best_loss;
    int early;
    nnbt_ok(nnb_history_summary(h, &best, &best_loss, &early));
    double best_so_far = INFINITY;
    uint64_t best_ep = 0;
    for (size_t i = 0; i < 8; i++) {
        const nnb_epoch_info *r = &l.rec[i];
        ck_assert_uint_eq(r->size, sizeof(nnb_epoch_info));
        ck_assert(NNB_EPOCH_INFO_HAS(r, loss_went_up) && NNB_EPOCH_INFO_HAS(r, best_epoch));
        ck_assert_uint_eq(r->epoch, i + 1);
        ck_assert(col[NNB_HIST_EPOCH][i] == (double)r->epoch);
        ck_assert_uint_eq(r->last_epoch, i < 6 ? 6 : 8);
        ck_assert(col[NNB_HIST_TRAIN_LOSS][i] == r->train_loss);
        ck_assert(col[NNB_HIST_VAL_LOSS][i] == r->val_loss && isfinite(r->val_loss));
        ck_assert(isnan(r->train_acc) && isnan(r->val_acc)); /* a regression */
        ck_assert(col[NNB_HIST_SECONDS][i] == r->seconds);
        ck_assert(col[NNB_HIST_SAMPLES_PER_S][i] == r->samples_per_s);
        ck_assert(col[NNB_HIST_LR][i] == r->lr);
        ck_assert(r->lr == 0.02 * pow(0.5, (double)(i / 2))); /* the step schedule */
        ck_assert_uint_eq(r->steps, 4 * (i + 1));
        ck_assert_uint_eq(r->rows, 15);
        ck_assert_int_eq(r->loss_went_up, i > 0 && r->val_loss > l.rec[i - 1].val_loss);
        if (r->val_loss < best_so_far) best_so_far = r->val_loss, best_ep = r->epoch;
        ck_assert_uint_eq(r->best_epoch, best_ep);
    }
    ck_assert_uint_eq(best, best_ep);
    /* a record from an older library (shorter): the newer fields do not exist */
    nnb_epoch_info old = l.rec[0];
    old.size = offsetof(nnb_epoch_info, lr);
    ck_assert(!NNB_EPOCH_INFO_HAS(&old, lr) && NNB_EPOCH_INFO_HAS(&old, samples_per_s));
    /* one epoch callback: the positional one replaces the record's, and back */
    size_t calls = 0;
    nnbt_ok(nnb_train_opts_set_early_stopping(o, 0, 0));
    nnbt_ok(nnbt_set_epoch_callback(o, count_calls, &calls));
    nnbt_ok(nnb_net_train(net, o, xt, 20, 2, yt, 1, NULL));
    ck_assert_uint_eq(calls, 2);
    ck_assert_uint_eq(l.n, 8);
    l.n = 0;
    l.stop_at = 12; /* epochs 11 and 12, then a stop */
    nnbt_ok(nnb_train_opts_set_epoch_info_callback(o, log_info, &l));
    nnbt_ok(nnb_train_opts_set_epochs(o, 5));
    ck_assert_int_eq(nnb_net_train(net, o, xt, 20, 2, yt, 1, NULL), NNB_E_CANCELLED);
    ck_assert(strstr(nnb_last_error(), "after epoch 12") != NULL);
    ck_assert_uint_eq(calls, 2);
    ck_assert_uint_eq(l.n, 2);
    ck_assert_uint_eq(l.rec[1].last_epoch, 15);
    ck_assert_uint_eq(l.rec[1].best_epoch, 0); /* patience off */
    ck_assert_int_eq(nnb_train_opts_set_epoch_info_callback(NULL, log_info, &l), NNB_E_NULL);
    nnb_history_free(h);
    nnb_train_opts_free(o);
    nnb_net_free(net);
}
END_TEST

static int stop_batch(size_t epoch, size_t batch, size_t n_batches, double loss, void *user) {
    int *count = user;
    (*count)++;
    ck_assert_uint_eq(n_batches, 5);
    ck_assert(isfinite(loss));
    return epoch == 2 && batch == 3;
}

START_TEST(batch_callback_stops) {
    double xt[20 * 2], yt[20];
    overfit_data(xt, yt, 20, 3);
    nnb_net *net;
    nnbt_ok(nnb_net_create(&net, 2));
    nnbt_ok(nnb_net_add_dense(net, 1, NNB_ACT_IDENTITY, 1));
    nnb_train_opts *o = opts_new();
    nnbt_ok(nnb_train_opts_set_batch_size(o, 4));
    int count = 0;
    nnbt_ok(nnb_train_opts_set_batch_callback(o, stop_batch, &count));
    ck_assert_int_eq(nnb_net_train(net, o, xt, 20, 2, yt, 1, NULL), NNB_E_CANCELLED);
    ck_assert_int_eq(count, 8);
    ck_assert(strstr(nnb_last_error(), "epoch 2, batch 3") != NULL);
    nnb_train_opts_free(o);
    nnb_net_free(net);
}
END_TEST

/* ---- dropout ---- */

static double *train_dropout(double p, uint64_t seed, const double *x, const double *y) {
    nnb_net *net;
    nnbt_ok(nnb_net_create(&net, 2));
    nnbt_ok(nnb_net_add_dense(net, 32, NNB_ACT_RELU, 1));
    nnbt_ok(nnb_net_add_dense(net, 16, NNB_ACT_SIGMOID, 1));
    nnbt_ok(nnb_net_add_dense(net, 1, NNB_ACT_IDENTITY, 1));
    nnbt_ok(nnb_net_init(net, NNB_INIT_HE_NORMAL, seed));
    nnb_train_opts *o = opts_new();
    nnbt_ok(nnb_train_opts_set_dropout(o, p));
    nnbt_ok(nnb_train_opts_set_batch_size(o, 8));
    nnbt_ok(nnb_train_opts_set_epochs(o, 3));
    nnbt_ok(nnb_net_train(net, o, x, 40, 2, y, 1, NULL));
    /* prediction never drops: two predictions agree, and match forward */
    double a[40], b[40], c[40];
    nnbt_ok(nnb_net_predict(net, x, 40, 2, a, 40));
    nnbt_ok(nnb_net_predict(net, x, 40, 2, b, 40));
    nnbt_ok(nnb_net_forward(net, x, 40, 2, c, 40));
    ck_assert(memcmp(a, b, sizeof a) == 0 && memcmp(a, c, sizeof a) == 0);
    double *w = params_of(net);
    nnb_train_opts_free(o);
    nnb_net_free(net);
    return w;
}

START_TEST(dropout_masks) {
    double x[40 * 2], y[40];
    overfit_data(x, y, 40, 9);
    size_t n = 2 * 32 + 32 + 32 * 16 + 16 + 16 + 1;
    double *a = train_dropout(0.5, 1, x, y), *b = train_dropout(0.5, 1, x, y);
    double *c = train_dropout(0.5, 2, x, y), *d = train_dropout(0.0, 1, x, y);
    ck_assert(memcmp(a, b, n * sizeof *a) == 0); /* masks reproducible from the seed */
    double *e = train_dropout(0.0, 2, x, y);
    ck_assert(memcmp(a, d, n * sizeof *a) != 0); /* dropout changes training */
    ck_assert(memcmp(c, e, n * sizeof *a) != 0);
    free(a), free(b), free(c), free(d), free(e);
}
END_TEST

/* Inverted dropout keeps the expected activation: with p = 0.5 the masks are 0 or 2, about half
 * each. Seen through the gradient of a one-hidden-layer identity network. */
START_TEST(dropout_scale) {
    enum { N = 1, H = 4000 };
    nnb_net *net;
    nnbt_ok(nnb_net_create(&net, 1));
    nnbt_ok(nnb_net_add_dense(net, H, NNB_ACT_IDENTITY, 0));
    nnbt_ok(nnb_net_add_dense(net, 1, NNB_ACT_IDENTITY, 0));
    double *w1 = malloc(H * sizeof *w1), *w2 = malloc(H * sizeof *w2);
    for (int i = 0; i < H; i++) w1[i] = 1.0, w2[i] = 0.0;
    nnbt_ok(nnb_net_layer_set(net, 0, w1, H, NULL, 0));
    nnbt_ok(nnb_net_layer_set(net, 1, w2, H, NULL, 0));
    double x = 1.0, y = -1.0;
    nnb_train_opts *o = opts_new();
    nnbt_ok(nnb_train_opts_set_dropout(o, 0.5));
    nnbt_ok(nnb_train_opts_set_epochs(o, 1));
    nnbt_ok(nnb_train_opts_set_optimizer(o, NNB_OPT_SGD, 1.0));
    nnbt_ok(nnb_net_train(net, o, &x, 1, 1, &y, 1, NULL));
    /* SSE: dL/dw2_i = (yhat - y) * a_i = 1 * mask_i, so w2_i = -mask_i, each 0 or -2 */
    nnbt_ok(nnb_net_layer_get(net, 1, w2, H, NULL, 0));
    int zeros = 0, twos = 0;
    for (int i = 0; i < H; i++) {
        zeros += w2[i] == 0.0;
        twos += w2[i] == -2.0;
    }
    ck_assert_int_eq(zeros + twos, H);
    ck_assert_msg(abs(zeros - H / 2) < 4 * 32, "%d of %d dropped", zeros, H); /* 4 sigma */
    free(w1), free(w2);
    nnb_train_opts_free(o);
    nnb_net_free(net);
}
END_TEST

/* ---- checkpoints: 10 epochs == 4, state saved, restored into a fresh network, 6 more ---- */

static nnb_net *checkpoint_net(void) {
    nnb_net *net;
    nnbt_ok(nnb_net_create(&net, 2));
    nnbt_ok(nnb_net_add_dense(net, 16, NNB_ACT_TANH, 1));
    nnbt_ok(nnb_net_add_dense(net, 1, NNB_ACT_IDENTITY, 1));
    nnbt_ok(nnb_net_init(net, NNB_INIT_XAVIER_UNIFORM, 12));
    return net;
}

static nnb_train_opts *checkpoint_opts(nnb_optimizer opt, size_t epochs) {
    nnb_train_opts *o = opts_new();
    nnbt_ok(nnb_train_opts_set_optimizer(o, opt, 0.01));
    nnbt_ok(nnb_train_opts_set_batch_size(o, 7));
    nnbt_ok(nnb_train_opts_set_dropout(o, 0.2));
    nnbt_ok(nnb_train_opts_set_validation_split(o, 0.2, 99));
    nnbt_ok(nnb_train_opts_set_schedule(o, NNB_SCHED_STEP, 3, 0.5));
    nnbt_ok(nnb_train_opts_set_epochs(o, epochs));
    return o;
}

START_TEST(checkpoint_resume_bit_for_bit) {
    static const nnb_optimizer opts_list[] = {NNB_OPT_SGD, NNB_OPT_NESTEROV, NNB_OPT_ADAM,
                                              NNB_OPT_RMSPROP};
    double x[60 * 2], y[60];
    overfit_data(x, y, 60, 21);
    for (size_t k = 0; k < 4; k++) {
        nnb_net *straight = checkpoint_net();
        nnb_train_opts *o10 = checkpoint_opts(opts_list[k], 10);
        nnbt_ok(nnb_net_train(straight, o10, x, 60, 2, y, 1, NULL));

        nnb_net *first = checkpoint_net();
        nnb_train_opts *o4 = checkpoint_opts(opts_list[k], 4),
                       *o6 = checkpoint_opts(opts_list[k], 6);
        nnbt_ok(nnb_net_train(first, o4, x, 60, 2, y, 1, NULL));
        size_t n = nnb_net_n_params(first), len = nnb_net_train_state_size(first), written;
        double *p = params_of(first);
        unsigned char *state = malloc(len);
        nnbt_ok(nnb_net_train_state_get(first, state, len, &written));
        ck_assert_uint_eq(written, len);
        nnb_net_free(first);

        nnb_net *resumed = checkpoint_net();
        nnbt_ok(nnb_net_init(resumed, NNB_INIT_HE_NORMAL, 555)); /* anything: overwritten */
        nnbt_ok(nnb_net_params_set(resumed, p, n));
        nnbt_ok(nnb_net_train_state_set(resumed, state, len));
        nnbt_ok(nnb_net_train(resumed, o6, x, 60, 2, y, 1, NULL));
        double *a = params_of(straight), *b = params_of(resumed);
        ck_assert_msg(memcmp(a, b, n * sizeof *a) == 0, "optimizer %d: resumed run differs",
                      (int)opts_list[k]);
        free(a), free(b), free(p), free(state);
        nnb_train_opts_free(o10), nnb_train_opts_free(o4), nnb_train_opts_free(o6);
        nnb_net_free(straight), nnb_net_free(resumed);
    }
}
END_TEST

START_TEST(train_state_errors) {
    nnb_net *net = checkpoint_net(), *other;
    nnbt_ok(nnb_net_create(&other, 3));
    nnbt_ok(nnb_net_add_dense(other, 2, NNB_ACT_TANH, 1));
    size_t len = nnb_net_train_state_size(net);
    unsigned char *s = malloc(len + 8);
    ck_assert_int_eq(nnb_net_train_state_get(net, s, len - 1, NULL), NNB_E_SHAPE);
    nnbt_ok(nnb_net_train_state_get(net, s, len, NULL));
    ck_assert_int_eq(nnb_net_train_state_set(net, s, 10), NNB_E_FORMAT);
    ck_assert_int_eq(nnb_net_train_state_set(other, s, len), NNB_E_SHAPE);
    ck_assert(strstr(nnb_last_error(), "the state is for 65 parameters, the network has 8") !=
              NULL);
    unsigned char version = s[4];
    s[4] = 9; /* a future version */
    ck_assert_int_eq(nnb_net_train_state_set(net, s, len), NNB_E_VERSION);
    s[4] = version;
    s[0] = 'X';
    ck_assert_int_eq(nnb_net_train_state_set(net, s, len), NNB_E_FORMAT);
    s[0] = 'N';
    memset(s + len, 0xff, 8); /* a record header whose length overruns the state */
    ck_assert_int_eq(nnb_net_train_state_set(net, s, len + 8), NNB_E_FORMAT);
    nnbt_ok(nnb_net_train_state_set(net, s, len));
    ck_assert_int_eq(nnb_net_train_state_get(NULL, s, len, NULL), NNB_E_NULL);
    ck_assert_int_eq(nnb_net_train_state_set(net, NULL, len), NNB_E_NULL);
    nnbt_ok(nnb_net_train_state_reset(net));
    ck_assert_uint_eq(nnb_net_train_state_size(NULL), 0);
    free(s);
    nnb_net_free(net);
    nnb_net_free(other);
}
END_TEST

/* ---- determinism ---- */

START_TEST(same_seed_same_weights) {
    double x[100 * 2], y[100];
    overfit_data(x, y, 100, 5);
    double *w[2];
    for (int k = 0; k < 2; k++) {
        nnb_net *net = checkpoint_net();
        nnb_train_opts *o = checkpoint_opts(NNB_OPT_ADAMW, 5);
        nnbt_ok(nnb_train_opts_set_weight_decay(o, 0.01));
        nnbt_ok(nnb_train_opts_set_clip_norm(o, 1.0));
        nnbt_ok(nnb_net_train(net, o, x, 100, 2, y, 1, NULL));
        w[k] = params_of(net);
        nnb_train_opts_free(o);
        nnb_net_free(net);
    }
    ck_assert(memcmp(w[0], w[1], 65 * sizeof(double)) == 0);
    free(w[0]), free(w[1]);
}
END_TEST

/* ---- plain SGD's fused update equals the unfused one ---- */

START_TEST(fused_sgd_matches) {
    double x[64 * 2], y[64];
    overfit_data(x, y, 64, 8);
    double *w[2];
    for (int k = 0; k < 2; k++) {
        nnb_net *net = checkpoint_net();
        nnb_train_opts *o = opts_new();
        nnbt_ok(nnb_train_opts_set_optimizer(o, NNB_OPT_SGD, 0.05));
        nnbt_ok(nnb_train_opts_set_weight_decay(o, 0.1));
        nnbt_ok(nnb_train_opts_set_batch_size(o, 16));
        nnbt_ok(nnb_train_opts_set_epochs(o, 5));
        nnbt_ok(nnb_train_opts_set_check_finite(o, k)); /* the check turns the fusion off */
        nnbt_ok(nnb_net_train(net, o, x, 64, 2, y, 1, NULL));
        w[k] = params_of(net);
        nnb_train_opts_free(o);
        nnb_net_free(net);
    }
    for (int i = 0; i < 65; i++)
        ck_assert_double_eq_tol(w[0][i], w[1][i], 1e-12 * (1 + fabs(w[1][i])));
    free(w[0]), free(w[1]);
}
END_TEST

/* ---- schedules and clipping ---- */

START_TEST(schedules) {
    double x[8 * 2], y[8];
    overfit_data(x, y, 8, 1);
    static const struct {
        nnb_schedule s;
        double p1, p2;
    } cases[] = {{NNB_SCHED_CONSTANT, 0, 0},
                 {NNB_SCHED_STEP, 3, 0.5},
                 {NNB_SCHED_EXPONENTIAL, 0.9, 0},
                 {NNB_SCHED_COSINE, 0, 0.001},
                 {NNB_SCHED_COSINE, 4, 0.0}};
    for (size_t c = 0; c < 5; c++) {
        nnb_net *net = checkpoint_net();
        nnb_train_opts *o = opts_new();
        nnbt_ok(nnb_train_opts_set_optimizer(o, NNB_OPT_SGD, 0.1));
        nnbt_ok(nnb_train_opts_set_schedule(o, cases[c].s, cases[c].p1, cases[c].p2));
        nnbt_ok(nnb_train_opts_set_epochs(o, 10));
        nnb_history *h;
        nnbt_ok(nnb_history_create(&h));
        nnbt_ok(nnb_net_train(net, o, x, 8, 2, y, 1, h));
        double lr[10];
        nnbt_ok(nnb_history_get(h, NNB_HIST_LR, lr, 10));
        for (int e = 0; e < 10; e++) {
            double want = 0.1;
            switch (cases[c].s) {
            case NNB_SCHED_STEP:
                want = 0.1 * pow(0.5, e / 3);
                break;
            case NNB_SCHED_EXPONENTIAL:
                want = 0.1 * pow(0.9, e);
                break;
            case NNB_SCHED_COSINE: {
                double T = cases[c].p1 ? cases[c].p1 : 10, t = e < T ? e : T;
                want = cases[c].p2 +
                       (0.1 - cases[c].p2) * (1 + cos(3.14159265358979323846 * t / T)) / 2;
                break;
            }
            default:
                break;
            }
            nnbt_assert_rel(lr[e], want, 1e-14);
        }
        nnb_history_free(h);
        nnb_train_opts_free(o);
        nnb_net_free(net);
    }
}
END_TEST

START_TEST(gradient_clipping) {
    double x[8 * 2], y[8];
    overfit_data(x, y, 8, 2);
    for (int i = 0; i < 8; i++) y[i] *= 100; /* a big gradient */
    nnb_net *net = checkpoint_net();
    size_t n = nnb_net_n_params(net);
    double *before = params_of(net), g[65];
    nnbt_ok(nnb_net_backprop(net, x, 8, 2, y, 1, NNB_LOSS_SSE, NNB_REDUCTION_MEAN, NULL, g, n));
    double gn = 0;
    for (size_t i = 0; i < n; i++) gn += g[i] * g[i];
    gn = sqrt(gn);
    ck_assert(gn > 1.0);
    nnb_train_opts *o = opts_new();
    nnbt_ok(nnb_train_opts_set_optimizer(o, NNB_OPT_SGD, 0.1));
    nnbt_ok(nnb_train_opts_set_clip_norm(o, 1.0));
    nnbt_ok(nnb_train_opts_set_batch_size(o, 0));
    nnbt_ok(nnb_train_opts_set_epochs(o, 1));
    nnbt_ok(nnb_net_train(net, o, x, 8, 2, y, 1, NULL));
    double *after = params_of(net);
    /* the step is -lr * g * 1.0 / (|g| + 1e-6) (PyTorch's clip_grad_norm_; test_numerics has more) */
    for (size_t i = 0; i < n; i++)
        ck_assert_double_eq_tol(after[i] - before[i], -0.1 * g[i] / (gn + 1e-6), 1e-13);
    free(before), free(after);
    nnb_train_opts_free(o);
    nnb_net_free(net);
}
END_TEST

/* ---- the non-finite check stops before weights go bad ---- */

START_TEST(non_finite_check) {
    double x[16 * 2], y[16];
    overfit_data(x, y, 16, 4);
    for (int i = 0; i < 16; i++) y[i] *= 1e150;
    nnb_net *net = checkpoint_net();
    nnb_train_opts *o = opts_new();
    nnbt_ok(nnb_train_opts_set_optimizer(o, NNB_OPT_SGD, 1e10));
    nnbt_ok(nnb_train_opts_set_batch_size(o, 4));
    nnbt_ok(nnb_train_opts_set_epochs(o, 50));
    nnbt_ok(nnb_train_opts_set_check_finite(o, 1));
    ck_assert_int_eq(nnb_net_train(net, o, x, 16, 2, y, 1, NULL), NNB_E_NONFINITE);
    ck_assert_msg(strstr(nnb_last_error(), "epoch ") && strstr(nnb_last_error(), "batch "),
                  "message: %s", nnb_last_error());
    double *p = params_of(net);
    for (size_t i = 0; i < nnb_net_n_params(net); i++) ck_assert(isfinite(p[i]));
    free(p);
    nnb_train_opts_free(o);
    nnb_net_free(net);
}
END_TEST

/* ---- evaluation ---- */

START_TEST(evaluate) {
    nnbt_rng r = {3};
    double x[50 * 3], y[50 * 4], l1, l2, acc;
    for (int i = 0; i < 150; i++) x[i] = nnbt_normal(&r);
    memset(y, 0, sizeof y);
    for (int i = 0; i < 50; i++) y[i * 4 + i % 4] = 1;
    nnb_net *net;
    nnbt_ok(nnb_net_create(&net, 3));
    nnbt_ok(nnb_net_add_dense(net, 4, NNB_ACT_SOFTMAX, 1));
    nnbt_ok(nnb_net_evaluate(net, x, 50, 3, y, 4, NNB_LOSS_CE, NNB_REDUCTION_MEAN, &l1, &acc));
    nnbt_ok(nnb_net_loss(net, x, 50, 3, y, 4, NNB_LOSS_CE, NNB_REDUCTION_MEAN, &l2));
    nnbt_assert_rel(l1, l2, 1e-13);
    double out[200];
    nnbt_ok(nnb_net_predict(net, x, 50, 3, out, 200));
    int hit = 0;
    for (int i = 0; i < 50; i++) {
        int am = 0;
        for (int c = 1; c < 4; c++)
            if (out[i * 4 + c] > out[i * 4 + am]) am = c;
        hit += am == i % 4;
    }
    ck_assert(acc == hit / 50.0);
    nnb_net_free(net);
    /* no accuracy for a regression output */
    nnbt_ok(nnb_net_create(&net, 3));
    nnbt_ok(nnb_net_add_dense(net, 4, NNB_ACT_IDENTITY, 1));
    nnbt_ok(nnb_net_evaluate(net, x, 50, 3, y, 4, NNB_LOSS_MSE, NNB_REDUCTION_SUM, &l1, &acc));
    ck_assert(isnan(acc));
    nnbt_ok(nnb_net_loss(net, x, 50, 3, y, 4, NNB_LOSS_MSE, NNB_REDUCTION_SUM, &l2));
    nnbt_assert_rel(l1, l2, 1e-13);
    nnb_net_free(net);
}
END_TEST

/* ---- option and argument errors ---- */

START_TEST(errors) {
    nnb_train_opts *o = opts_new();
    ck_assert_int_eq(nnb_train_opts_create(NULL), NNB_E_NULL);
    ck_assert_int_eq(nnb_train_opts_set_epochs(NULL, 1), NNB_E_NULL);
    ck_assert_int_eq(nnb_train_opts_set_epochs(o, 0), NNB_E_INVALID_ARG);
    ck_assert_int_eq(nnb_train_opts_set_batch_size(o, (size_t)1 << 40), NNB_E_TOO_LARGE);
    ck_assert_int_eq(nnb_train_opts_set_loss(o, (nnb_loss)9, NNB_REDUCTION_SUM), NNB_E_INVALID_ARG);
    ck_assert_int_eq(nnb_train_opts_set_loss(o, NNB_LOSS_CE, (nnb_reduction)9), NNB_E_INVALID_ARG);
    ck_assert_int_eq(nnb_train_opts_set_optimizer(o, (nnb_optimizer)9, 0.1), NNB_E_INVALID_ARG);
    ck_assert_int_eq(nnb_train_opts_set_optimizer(o, NNB_OPT_ADAM, 0), NNB_E_INVALID_ARG);
    ck_assert_int_eq(nnb_train_opts_set_optimizer(o, NNB_OPT_ADAM, NAN), NNB_E_INVALID_ARG);
    ck_assert(strstr(nnb_last_error(), "learning rate nan must be finite and > 0") != NULL);
    ck_assert_int_eq(nnb_train_opts_set_momentum(o, 1.0), NNB_E_INVALID_ARG);
    ck_assert_int_eq(nnb_train_opts_set_adam(o, 0.9, 1.5, 1e-8), NNB_E_INVALID_ARG);
    ck_assert_int_eq(nnb_train_opts_set_adam(o, 0.9, 0.999, 0), NNB_E_INVALID_ARG);
    ck_assert_int_eq(nnb_train_opts_set_rmsprop(o, -0.1, 1e-8), NNB_E_INVALID_ARG);
    ck_assert_int_eq(nnb_train_opts_set_weight_decay(o, -1), NNB_E_INVALID_ARG);
    ck_assert_int_eq(nnb_train_opts_set_clip_norm(o, INFINITY), NNB_E_INVALID_ARG);
    ck_assert_int_eq(nnb_train_opts_set_dropout(o, 1.0), NNB_E_INVALID_ARG);
    ck_assert_int_eq(nnb_train_opts_set_schedule(o, NNB_SCHED_STEP, 0, 0.5), NNB_E_INVALID_ARG);
    ck_assert_int_eq(nnb_train_opts_set_schedule(o, NNB_SCHED_EXPONENTIAL, -1, 0),
                     NNB_E_INVALID_ARG);
    ck_assert_int_eq(nnb_train_opts_set_schedule(o, (nnb_schedule)7, 1, 1), NNB_E_INVALID_ARG);
    ck_assert_int_eq(nnb_train_opts_set_validation(o, (const double *)o, NULL, 3), NNB_E_NULL);
    ck_assert_int_eq(nnb_train_opts_set_validation_split(o, 1.0, 0), NNB_E_INVALID_ARG);
    nnbt_ok(nnb_train_opts_set_shuffle(o, 0));
    nnbt_ok(nnb_train_opts_set_rmsprop(o, 0.9, 1e-6));
    nnbt_ok(nnb_train_opts_set_adam(o, 0.8, 0.99, 1e-7));

    double x[3 * 2] = {0}, y[3] = {0};
    nnb_net *net;
    nnbt_ok(nnb_net_create(&net, 2));
    ck_assert_int_eq(nnb_net_train(net, o, x, 3, 2, y, 1, NULL), NNB_E_INVALID_ARG); /* no layers */
    nnbt_ok(nnb_net_add_dense(net, 1, NNB_ACT_IDENTITY, 1));
    ck_assert_int_eq(nnb_net_train(net, NULL, x, 3, 2, y, 1, NULL), NNB_E_NULL);
    ck_assert_int_eq(nnb_net_train(NULL, o, x, 3, 2, y, 1, NULL), NNB_E_NULL);
    ck_assert_int_eq(nnb_net_train(net, o, x, 3, 3, y, 1, NULL), NNB_E_SHAPE);
    ck_assert_int_eq(nnb_net_train(net, o, x, 3, 2, y, 2, NULL), NNB_E_SHAPE);
    nnbt_ok(nnb_train_opts_set_loss(o, NNB_LOSS_CE, NNB_REDUCTION_SUM));
    ck_assert_int_eq(nnb_net_train(net, o, x, 3, 2, y, 1, NULL), NNB_E_INVALID_ARG);
    nnbt_ok(nnb_train_opts_set_loss(o, NNB_LOSS_MSE, NNB_REDUCTION_SUM));
    nnbt_ok(nnb_train_opts_set_validation_split(o, 0.9, 1));
    ck_assert_int_eq(nnb_net_train(net, o, x, 3, 2, y, 1, NULL), NNB_E_INVALID_ARG);
    ck_assert(strstr(nnb_last_error(), "leaves no training rows") != NULL);
    nnbt_ok(nnb_train_opts_set_validation_split(o, 0, 1));
    nnbt_ok(nnb_net_train(net, o, x, 3, 2, y, 1, NULL));
    nnb_net_free(net);

    /* LM: squared errors only, and small problems only */
    nnbt_ok(nnb_net_create(&net, 2));
    nnbt_ok(nnb_net_add_dense(net, 2, NNB_ACT_SOFTMAX, 1));
    nnbt_ok(nnb_train_opts_set_optimizer(o, NNB_OPT_LM, 1));
    nnbt_ok(nnb_train_opts_set_loss(o, NNB_LOSS_CE, NNB_REDUCTION_MEAN));
    double y2[6] = {1, 0, 0, 1, 1, 0};
    ck_assert_int_eq(nnb_net_train(net, o, x, 3, 2, y2, 2, NULL), NNB_E_INVALID_ARG);
    ck_assert(strstr(nnb_last_error(), "squared-error") != NULL);
    nnb_net_free(net);
    nnbt_ok(nnb_net_create(&net, 100));
    nnbt_ok(nnb_net_add_dense(net, 100, NNB_ACT_TANH, 1));
    nnbt_ok(nnb_train_opts_set_loss(o, NNB_LOSS_MSE, NNB_REDUCTION_MEAN));
    double *xb = calloc(10 * 100, sizeof *xb), *yb = calloc(10 * 100, sizeof *yb);
    ck_assert_int_eq(nnb_net_train(net, o, xb, 10, 100, yb, 100, NULL), NNB_E_TOO_LARGE);
    ck_assert(strstr(nnb_last_error(), "Levenberg-Marquardt is for small problems") != NULL);
    free(xb), free(yb);
    nnb_net_free(net);

    /* history errors */
    nnb_history *h;
    nnbt_ok(nnb_history_create(&h));
    double d[1];
    ck_assert_int_eq(nnb_history_get(h, NNB_HIST_LR, d, 1), NNB_E_SHAPE);
    ck_assert_int_eq(nnb_history_get(h, (nnb_history_field)99, d, 0), NNB_E_INVALID_ARG);
    ck_assert_int_eq(nnb_history_get(NULL, NNB_HIST_LR, d, 0), NNB_E_NULL);
    ck_assert_int_eq(nnb_history_summary(NULL, NULL, NULL, NULL), NNB_E_NULL);
    ck_assert_int_eq(nnb_history_create(NULL), NNB_E_NULL);
    ck_assert_uint_eq(nnb_history_n_epochs(NULL), 0);
    nnb_history_free(h);
    nnb_history_free(NULL);
    nnb_train_opts_free(o);
    nnb_train_opts_free(NULL);
}
END_TEST

/* ---- float32 networks and data (issue 23: each concern tests both element types) ---------- */

/* A float32 run tracks the float64 run from the same weights, shuffles and dropout masks (the
 * same generator draws): 20 epochs of Adam on 600 rows, the epoch losses within 0.1 % relative.
 * Rounding of about u per operation compounds over 380 steps of a non-linear map (measured 2e-5,
 * printed; 0.1 % is 50 times that, and a wrong float32 path — a missing bias, a wrong scale —
 * moves the curve by far more), and both learn (the loss falls below a quarter of the first
 * epoch's). Then every other optimiser for one epoch each, the loss to 0.5 %. */
START_TEST(training_tracks_f64) {
    const size_t rows = 600, ep = 20;
    float *x = malloc(rows * 20 * sizeof *x), *y = malloc(rows * 3 * sizeof *y);
    double *xd = malloc(rows * 20 * sizeof *xd), *yd = malloc(rows * 3 * sizeof *yd);
    nnbt_blobs(rows, x, y, xd, yd);
    nnb_net *n32 = nnbt_net3(NNB_F32, 20, 32, NNB_ACT_RELU, 3, NNB_ACT_SOFTMAX, 5), *n64;
    nnbt_ok(nnb_net_copy(&n64, n32, NNB_F64));
    nnb_train_opts *o = nnbt_adam_opts(ep, 0.1);
    nnb_history *h32, *h64;
    nnbt_ok(nnb_history_create(&h32));
    nnbt_ok(nnb_history_create(&h64));
    nnbt_ok(nnb_net_train_f32(n32, o, x, rows, 20, y, 3, h32));
    nnbt_ok(nnb_net_train(n64, o, xd, rows, 20, yd, 3, h64));
    double l32[20], l64[20], worst = 0;
    nnbt_ok(nnb_history_get(h32, NNB_HIST_TRAIN_LOSS, l32, ep));
    nnbt_ok(nnb_history_get(h64, NNB_HIST_TRAIN_LOSS, l64, ep));
    for (size_t e = 0; e < ep; e++) worst = fmax(worst, fabs(l32[e] - l64[e]) / l64[e]);
    fprintf(stderr,
            "float32 training: losses %.4g -> %.4g (float64 %.4g -> %.4g), worst relative "
            "difference %.3g\n",
            l32[0], l32[ep - 1], l64[0], l64[ep - 1], worst);
    ck_assert_msg(worst <= 1e-3, "worst relative difference %.3g", worst);
    ck_assert_msg(l32[ep - 1] < 0.25 * l32[0], "float32 did not learn: %g -> %g", l32[0],
                  l32[ep - 1]);
    for (nnb_optimizer opt = NNB_OPT_SGD; opt <= NNB_OPT_RMSPROP; opt++) {
        double a, b;
        nnbt_ok(nnb_train_opts_set_optimizer(o, opt, opt >= NNB_OPT_ADAM ? 0.003 : 0.05));
        nnbt_ok(nnb_train_opts_set_epochs(o, 1));
        nnbt_ok(nnb_train_opts_set_weight_decay(o, opt == NNB_OPT_ADAMW ? 0.01 : 0.001));
        nnbt_ok(nnb_net_train_f32(n32, o, x, rows, 20, y, 3, NULL));
        nnbt_ok(nnb_net_train(n64, o, xd, rows, 20, yd, 3, NULL));
        nnbt_ok(nnb_net_loss_f32(n32, x, rows, 20, y, 3, NNB_LOSS_CE, NNB_REDUCTION_MEAN, &a));
        nnbt_ok(nnb_net_loss(n64, xd, rows, 20, yd, 3, NNB_LOSS_CE, NNB_REDUCTION_MEAN, &b));
        ck_assert_msg(fabs(a - b) <= 0.005 * b + 1e-6, "optimiser %d: %g vs %g", (int)opt, a, b);
    }
    nnb_history_free(h32), nnb_history_free(h64);
    nnb_train_opts_free(o);
    nnb_net_free(n32), nnb_net_free(n64);
    free(x), free(y), free(xd), free(yd);
}
END_TEST

/* Data of the other type gives the same result as converting it first: a float32 network on
 * double data (exactly representable) equals it on float data, bit for bit; a float64 network
 * on float data equals it on the same values as doubles. Shuffled, split and in-order batches. */
START_TEST(data_of_the_other_type) {
    const size_t rows = 200;
    float *x = malloc(rows * 20 * sizeof *x), *y = malloc(rows * 3 * sizeof *y);
    double *xd = malloc(rows * 20 * sizeof *xd), *yd = malloc(rows * 3 * sizeof *yd);
    nnbt_blobs(rows, x, y, xd, yd);
    for (int mode = 0; mode < 3; mode++) {
        nnb_train_opts *o = nnbt_adam_opts(3, 0);
        if (mode == 1) nnbt_ok(nnb_train_opts_set_shuffle(o, 0));
        if (mode == 2) nnbt_ok(nnb_train_opts_set_validation_split(o, 0.25, 4));
        for (nnb_dtype t = NNB_F64; t <= NNB_F32; t++) {
            nnb_net *a = nnbt_net3(t, 20, 8, NNB_ACT_SIGMOID, 3, NNB_ACT_SOFTMAX, 2);
            nnb_net *b = nnbt_net3(t, 20, 8, NNB_ACT_SIGMOID, 3, NNB_ACT_SOFTMAX, 2);
            nnb_history *ha, *hb;
            nnbt_ok(nnb_history_create(&ha));
            nnbt_ok(nnb_history_create(&hb));
            nnbt_ok(nnb_net_train_f32(a, o, x, rows, 20, y, 3, ha));
            nnbt_ok(nnb_net_train(b, o, xd, rows, 20, yd, 3, hb));
            size_t np = nnb_net_n_params(a);
            double *pa = malloc(np * sizeof *pa), *pb = malloc(np * sizeof *pb);
            nnbt_ok(nnb_net_params_get(a, pa, np));
            nnbt_ok(nnb_net_params_get(b, pb, np));
            ck_assert_msg(memcmp(pa, pb, np * sizeof *pa) == 0, "mode %d, dtype %d", mode, (int)t);
            double va[3], vb[3];
            nnbt_ok(nnb_history_get(ha, NNB_HIST_VAL_LOSS, va, 3));
            nnbt_ok(nnb_history_get(hb, NNB_HIST_VAL_LOSS, vb, 3));
            ck_assert(mode != 2 || (va[2] == vb[2] && isfinite(va[2])));
            double la, lb, aa, ab;
            nnbt_ok(nnb_net_evaluate_f32(a, x, rows, 20, y, 3, NNB_LOSS_CE, NNB_REDUCTION_MEAN, &la,
                                         &aa));
            nnbt_ok(nnb_net_evaluate(b, xd, rows, 20, yd, 3, NNB_LOSS_CE, NNB_REDUCTION_MEAN, &lb,
                                     &ab));
            ck_assert(la == lb && aa == ab && aa > 0.5);
            float *g32 = malloc(np * sizeof *g32);
            nnbt_ok(nnb_net_backprop_f32(a, x, rows, 20, y, 3, NNB_LOSS_CE, NNB_REDUCTION_MEAN, &la,
                                         g32, np));
            nnbt_ok(nnb_net_backprop(b, xd, rows, 20, yd, 3, NNB_LOSS_CE, NNB_REDUCTION_MEAN, &lb,
                                     pb, np));
            ck_assert(la == lb);
            for (size_t i = 0; i < np; i++) ck_assert(g32[i] == (float)pb[i]);
            nnbt_ok(nnb_net_grad_get_f32(a, g32, np));
            for (size_t i = 0; i < np; i++) ck_assert(g32[i] == (float)pb[i]);
            free(pa), free(pb), free(g32);
            nnb_history_free(ha), nnb_history_free(hb);
            nnb_net_free(a), nnb_net_free(b);
        }
        nnb_train_opts_free(o);
    }
    free(x), free(y), free(xd), free(yd);
}
END_TEST

/* Conversion: float64 -> float32 rounds each parameter to nearest; float32 -> float64 -> float32
 * is exact; the training state travels along; the generator too (the same next shuffles). */
START_TEST(conversion) {
    nnb_net *a = nnbt_net3(NNB_F64, 5, 7, NNB_ACT_TANH, 2, NNB_ACT_IDENTITY, 4), *b, *c, *d;
    nnbt_ok(nnb_net_set_leaky_slope(a, 0, 0.5) == NNB_E_INVALID_ARG ? NNB_OK : NNB_E_INTERNAL);
    size_t np = nnb_net_n_params(a);
    double *p = malloc(np * sizeof *p), *q = malloc(np * sizeof *q);
    float *f = malloc(np * sizeof *f), *h = malloc(np * sizeof *h);
    nnbt_ok(nnb_net_params_get(a, p, np));
    nnbt_ok(nnb_net_copy(&b, a, NNB_F32));
    ck_assert_int_eq(nnb_net_dtype(b), NNB_F32);
    ck_assert_uint_eq(nnb_net_n_params(b), np);
    ck_assert_uint_eq(nnb_net_n_layers(b), 3);
    nnbt_ok(nnb_net_params_get_f32(b, f, np));
    for (size_t i = 0; i < np; i++) ck_assert(f[i] == (float)p[i]);
    nnbt_ok(nnb_net_params_get_f32(a, h, np)); /* a float64 network read as float: rounded */
    ck_assert_mem_eq(f, h, np * sizeof *f);
    nnbt_ok(nnb_net_copy(&c, b, NNB_F64));
    nnbt_ok(nnb_net_params_get(c, q, np));
    for (size_t i = 0; i < np; i++) ck_assert(q[i] == (double)f[i]);
    nnbt_ok(nnb_net_copy(&d, c, NNB_F32));
    nnbt_ok(nnb_net_params_get_f32(d, h, np));
    ck_assert_mem_eq(f, h, np * sizeof *f);
    ck_assert_ptr_null(nnb_net_params_data(b, NULL));
    ck_assert_ptr_null(nnb_net_params_data_f32(a, NULL));
    ck_assert_ptr_nonnull(nnb_net_params_data_f32(b, NULL));
    /* the layer accessors of a float32 network */
    double w[35], bias[7];
    nnbt_ok(nnb_net_layer_get(b, 0, w, 35, bias, 7));
    for (size_t i = 0; i < 35; i++) ck_assert(w[i] == (double)f[i]);
    w[0] = 0.25;
    nnbt_ok(nnb_net_layer_set(b, 0, w, 35, NULL, 0));
    nnbt_ok(nnb_net_params_get_f32(b, h, np));
    ck_assert(h[0] == 0.25f);
    w[0] = 1e39;
    nnbt_expect(nnb_net_layer_set(b, 0, w, 35, NULL, 0), NNB_E_NONFINITE, "range");
    /* the training state: train both one epoch after the conversion, they agree to float32 */
    nnb_net_free(c), nnb_net_free(d);
    nnb_train_opts *o;
    nnbt_ok(nnb_train_opts_create(&o));
    nnbt_ok(nnb_train_opts_set_optimizer(o, NNB_OPT_ADAM, 0.01));
    nnbt_ok(nnb_train_opts_set_epochs(o, 2));
    double x[40 * 5], y[40 * 2];
    nnbt_rng g = {1};
    for (size_t i = 0; i < 200; i++) x[i] = nnbt_normal(&g);
    for (size_t i = 0; i < 80; i++) y[i] = nnbt_normal(&g);
    nnbt_ok(nnb_net_train(a, o, x, 40, 5, y, 2, NULL));
    nnbt_ok(nnb_net_copy(&c, a, NNB_F32));
    ck_assert_uint_eq(nnb_net_train_state_size(c), nnb_net_train_state_size(a));
    nnbt_ok(nnb_net_train(a, o, x, 40, 5, y, 2, NULL));
    nnbt_ok(nnb_net_train(c, o, x, 40, 5, y, 2, NULL));
    nnbt_ok(nnb_net_params_get(a, p, np));
    nnbt_ok(nnb_net_params_get(c, q, np));
    for (size_t i = 0; i < np; i++)
        ck_assert_msg(fabs(p[i] - q[i]) <= 1e-4 * (1 + fabs(p[i])), "parameter %zu: %g vs %g", i,
                      p[i], q[i]);
    nnb_train_opts_free(o);
    nnb_net_free(c);
    free(p), free(q), free(f), free(h);
    nnb_net_free(a), nnb_net_free(b);
}
END_TEST

/* Early stopping in float32 with restore_best: when the watch stops the run, the weights are the
 * best epoch's, i.e. those of a run of exactly best_epoch epochs from the same start. */
START_TEST(early_stopping_restores_best_float32) {
    const size_t rows = 120;
    float *x = malloc(rows * 20 * sizeof *x), *y = malloc(rows * 3 * sizeof *y);
    nnbt_blobs(rows, x, y, NULL, NULL);
    for (size_t r = 0; r < rows; r += 4) /* wrong labels: the validation loss turns up */
        for (size_t j = 0; j < 3; j++) y[r * 3 + j] = j == (r / 4) % 3;
    nnb_train_opts *o = nnbt_adam_opts(200, 0);
    nnbt_ok(nnb_train_opts_set_optimizer(o, NNB_OPT_ADAM, 0.05));
    nnbt_ok(nnb_train_opts_set_validation_split(o, 0.3, 5));
    nnbt_ok(nnb_train_opts_set_early_stopping(o, 3, 1));
    nnb_net *a = nnbt_net3(NNB_F32, 20, 32, NNB_ACT_RELU, 3, NNB_ACT_SOFTMAX, 4);
    nnb_history *h;
    nnbt_ok(nnb_history_create(&h));
    nnbt_ok(nnb_net_train_f32(a, o, x, rows, 20, y, 3, h));
    size_t best;
    int stopped;
    nnbt_ok(nnb_history_summary(h, &best, NULL, &stopped));
    ck_assert_msg(stopped, "the watch should stop this run");
    ck_assert_uint_lt(best, nnb_history_n_epochs(h));
    nnbt_ok(nnb_train_opts_set_early_stopping(o, 0, 0));
    nnbt_ok(nnb_train_opts_set_epochs(o, best));
    nnb_net *b = nnbt_net3(NNB_F32, 20, 32, NNB_ACT_RELU, 3, NNB_ACT_SOFTMAX, 4);
    nnbt_ok(nnb_net_train_f32(b, o, x, rows, 20, y, 3, NULL));
    ck_assert_mem_eq(nnb_net_params_data_f32(a, NULL), nnb_net_params_data_f32(b, NULL),
                     nnb_net_n_params(a) * sizeof(float));
    nnb_history_free(h);
    nnb_train_opts_free(o);
    nnb_net_free(a), nnb_net_free(b);
    free(x), free(y);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("train");
    TCase *tc = tcase_create("training");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, optimisers_follow_their_formulas);
    tcase_add_test(tc, least_squares);
    tcase_add_test(tc, xor_with_adam);
    tcase_add_test(tc, early_stopping_restores_best);
    tcase_add_test(tc, callback_stops);
    tcase_add_test(tc, epoch_info_record);
    tcase_add_test(tc, batch_callback_stops);
    tcase_add_test(tc, dropout_masks);
    tcase_add_test(tc, dropout_scale);
    tcase_add_test(tc, checkpoint_resume_bit_for_bit);
    tcase_add_test(tc, train_state_errors);
    tcase_add_test(tc, same_seed_same_weights);
    tcase_add_test(tc, fused_sgd_matches);
    tcase_add_test(tc, schedules);
    tcase_add_test(tc, gradient_clipping);
    tcase_add_test(tc, non_finite_check);
    tcase_add_test(tc, evaluate);
    tcase_add_test(tc, errors);
    suite_add_tcase(s, tc);
    tc = tcase_create("float32");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, training_tracks_f64);
    tcase_add_test(tc, data_of_the_other_type);
    tcase_add_test(tc, conversion);
    tcase_add_test(tc, early_stopping_restores_best_float32);
    suite_add_tcase(s, tc);
    return s;
}

NNBT_MAIN(suite, 0)
