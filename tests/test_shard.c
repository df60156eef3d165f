/*
 * Data-parallel training through nnb_train_opts_set_shard / _set_allreduce, with the workers as
 * threads of this process and an all-reduce made of barriers (libnnblas_mpi does the same over
 * MPI). N workers must reach the weights of one worker up to the rounding of the sums; a stop or
 * an error on one worker stops all of them; a failing all-reduce is NNB_E_COMM.
 */
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "nnb_test.h"

enum { MAXW = 4, ROWS = 203, NI = 7, NO = 3, MAXN = 4096 };

static double X[ROWS * NI], Y[ROWS * NO];

static void make_data(void) {
    nnbt_rng r = {17};
    for (int i = 0; i < ROWS * NI; i++) X[i] = nnbt_normal(&r);
    memset(Y, 0, sizeof Y);
    for (int i = 0; i < ROWS; i++) Y[i * NO + (X[i * NI] > 0) + (X[i * NI + 1] > 0.5)] = 1;
}

/* The all-reduce: every worker deposits its buffer, worker 0 sums them in rank order, all copy. */
typedef struct worker worker;
typedef struct member member;
static void hook_step_end(member *m, const double *data, size_t n);
static void hook_step_end32(member *m, const float *data, size_t n);

typedef struct {
    pthread_barrier_t bar;
    size_t count;
    double *in[MAXW];
    double sum[MAXN];
    float *in32[MAXW]; /* a float32 network's gradient, summed in float */
    float sum32[MAXN];
    int fail_at; /* the call number that fails (0: none) */
    int hooked;  /* the workers have a gradient hook */
    int calls;
} group;

struct member {
    group *g;
    size_t rank;
};

static int thread_allreduce(double *data, size_t n, void *user) {
    member *m = user;
    group *g = m->g;
    if (n > MAXN) return 7;
    if (g->hooked) hook_step_end(m, data, n);
    g->in[m->rank] = data;
    pthread_barrier_wait(&g->bar);
    if (m->rank == 0) {
        g->calls++;
        for (size_t i = 0; i < n; i++) {
            double s = 0;
            for (size_t k = 0; k < g->count; k++) s += g->in[k][i];
            g->sum[i] = s;
        }
    }
    pthread_barrier_wait(&g->bar);
    int fail = g->fail_at && g->calls == g->fail_at;
    memcpy(data, g->sum, n * sizeof *data);
    pthread_barrier_wait(&g->bar);
    return fail ? 5 : 0;
}

/* thread_allreduce over floats (a float32 network's gradient), summed in float in rank order. */
static int thread_allreduce32(float *data, size_t n, void *user) {
    member *m = user;
    group *g = m->g;
    if (n > MAXN) return 7;
    if (g->hooked) hook_step_end32(m, data, n);
    g->in32[m->rank] = data;
    pthread_barrier_wait(&g->bar);
    if (m->rank == 0) {
        g->calls++;
        for (size_t i = 0; i < n; i++) {
            float s = 0;
            for (size_t k = 0; k < g->count; k++) s += g->in32[k][i];
            g->sum32[i] = s;
        }
    }
    pthread_barrier_wait(&g->bar);
    memcpy(data, g->sum32, n * sizeof *data);
    pthread_barrier_wait(&g->bar);
    return 0;
}

typedef struct {
    nnb_optimizer opt;
    size_t batch;
    double val;    /* validation split */
    int stop_rank; /* the worker whose epoch callback stops at epoch 2 (-1: none) */
    int nan_rank;  /* the worker whose data has a NaN (-1: none) */
    size_t hook;   /* 0: no gradient hook; else the hook's piece size + 1 */
    int f32;       /* a float32 network (summed through thread_allreduce32) */
} config;

struct worker {
    member m;
    const config *c;
    nnb_status st;
    double *params;
    size_t np;
    double last_loss;
    /* the gradient hook's record of the step in progress */
    size_t hi; /* the next piece must end here (SIZE_MAX: no step in progress) */
    size_t pieces, largest, steps;
    int bad; /* pieces out of order, or a piece that changed after its announcement */
    double snap[MAXN];
    float snap32[MAXN];
};

/* The gradient hook: pieces must come in descending order, contiguous, and stay as announced. */
static int record_piece(double *grad, size_t offset, size_t n, void *user) {
    worker *w = user;
    if (w->hi == SIZE_MAX) w->hi = offset + n; /* the first piece ends at n_params */
    if (offset + n != w->hi || n == 0 || offset + n > MAXN)
        w->bad++;
    else
        memcpy(w->snap + offset, grad + offset, n * sizeof *grad);
    w->hi = offset;
    w->pieces++;
    if (n > w->largest) w->largest = n;
    return 0;
}

/* record_piece over a float32 network's float gradient. */
static int record_piece32(float *grad, size_t offset, size_t n, void *user) {
    worker *w = user;
    if (w->hi == SIZE_MAX) w->hi = offset + n;
    if (offset + n != w->hi || n == 0 || offset + n > MAXN)
        w->bad++;
    else
        memcpy(w->snap32 + offset, grad + offset, n * sizeof *grad);
    w->hi = offset;
    w->pieces++;
    if (n > w->largest) w->largest = n;
    return 0;
}

/* The float64 hook on a float32 network (or the reverse) must never be called. */
static int wrong_hook(double *grad, size_t offset, size_t n, void *user) {
    (void)grad, (void)offset, (void)n;
    ((worker *)user)->bad += 1000;
    return 0;
}

static int stop_epoch2(const nnb_net *net, size_t epoch, double tl, double vl, double ta, double va,
                       double secs, double sps, int up, void *user) {
    (void)net, (void)vl, (void)ta, (void)va, (void)secs, (void)sps, (void)up;
    worker *w = user;
    w->last_loss = tl;
    return w->c->stop_rank == (int)w->m.rank && epoch == 2;
}

/* The all-reduce of a step whose pieces the hook saw: all announced, none changed since. */
static void hook_step_end(member *m, const double *data, size_t n) {
    worker *w = (worker *)(void *)m; /* the member is a worker's first field */
    if (w->hi == SIZE_MAX) return;   /* not a gradient (epoch sums) */
    if (w->hi != 0 || memcmp(w->snap, data, (n - 2) * sizeof *data) != 0) w->bad++;
    w->hi = SIZE_MAX;
    w->steps++;
}

/* The same for a float32 network's float all-reduce (only gradients go through it). */
static void hook_step_end32(member *m, const float *data, size_t n) {
    worker *w = (worker *)(void *)m;
    if (w->hi != 0 || memcmp(w->snap32, data, (n - 2) * sizeof *data) != 0) w->bad++;
    w->hi = SIZE_MAX;
    w->steps++;
}

static void *run_worker(void *arg) {
    worker *w = arg;
    const config *c = w->c;
    nnb_net *net = NULL;
    nnb_train_opts *o = NULL;
    double *x = X;
    if (c->nan_rank == (int)w->m.rank) {
        x = malloc(sizeof X);
        memcpy(x, X, sizeof X);
        x[(ROWS - 1) * NI] = NAN; /* in the last batch, in the last worker's part */
    }
    w->st = nnb_net_create_dtype(&net, NI, c->f32 ? NNB_F32 : NNB_F64);
    if (w->st == NNB_OK) w->st = nnb_net_add_dense(net, 16, NNB_ACT_TANH, 1);
    if (w->st == NNB_OK) w->st = nnb_net_add_dense(net, NO, NNB_ACT_SOFTMAX, 1);
    if (w->st == NNB_OK) w->st = nnb_net_init(net, NNB_INIT_XAVIER_UNIFORM, 99);
    if (w->st == NNB_OK) w->st = nnb_train_opts_create(&o);
    if (w->st == NNB_OK) w->st = nnb_train_opts_set_optimizer(o, c->opt, 0.05);
    if (w->st == NNB_OK) w->st = nnb_train_opts_set_loss(o, NNB_LOSS_CE, NNB_REDUCTION_MEAN);
    if (w->st == NNB_OK) w->st = nnb_train_opts_set_batch_size(o, c->batch);
    if (w->st == NNB_OK) w->st = nnb_train_opts_set_epochs(o, 5);
    if (w->st == NNB_OK && c->val > 0) w->st = nnb_train_opts_set_validation_split(o, c->val, 3);
    if (w->st == NNB_OK) w->st = nnb_train_opts_set_check_finite(o, c->nan_rank >= 0);
    if (w->st == NNB_OK) w->st = nnbt_set_epoch_callback(o, stop_epoch2, w);
    if (w->st == NNB_OK) w->st = nnb_train_opts_set_shard(o, w->m.rank, w->m.g->count);
    if (w->st == NNB_OK) w->st = nnb_train_opts_set_allreduce(o, thread_allreduce, &w->m);
    if (w->st == NNB_OK && c->hook && !c->f32)
        w->st = nnb_train_opts_set_grad_ready(o, record_piece, c->hook - 1, w);
    if (w->st == NNB_OK && c->f32)
        w->st = nnb_train_opts_set_allreduce_f32(o, thread_allreduce32, &w->m);
    if (w->st == NNB_OK && c->hook && c->f32) { /* both hooks: a float32 network takes its own */
        w->st = nnb_train_opts_set_grad_ready_f32(o, record_piece32, c->hook - 1, w);
        if (w->st == NNB_OK) w->st = nnb_train_opts_set_grad_ready(o, wrong_hook, 0, w);
    }
    if (w->st == NNB_OK) w->st = nnb_net_train(net, o, x, ROWS, NI, Y, NO, NULL);
    if (net) {
        w->np = nnb_net_n_params(net);
        w->params = malloc(w->np * sizeof(double));
        nnb_net_params_get(net, w->params, w->np);
    }
    nnb_train_opts_free(o);
    nnb_net_free(net);
    if (x != X) free(x);
    return NULL;
}

/* Runs `count` workers; fills w[0..count). */
static void run_group(size_t count, const config *c, worker *w, int fail_at) {
    static group g;
    memset(&g, 0, sizeof g);
    g.count = count;
    g.fail_at = fail_at;
    g.hooked = c->hook != 0;
    pthread_barrier_init(&g.bar, NULL, (unsigned)count);
    pthread_t th[MAXW];
    for (size_t k = 0; k < count; k++) {
        w[k] = (worker){.m = {&g, k}, .c = c, .st = NNB_OK, .hi = SIZE_MAX};
        pthread_create(&th[k], NULL, run_worker, &w[k]);
    }
    for (size_t k = 0; k < count; k++) pthread_join(th[k], NULL);
    pthread_barrier_destroy(&g.bar);
}

static const config configs[] = {
    {NNB_OPT_SGD, 32, 0, -1, -1, 0, 0}, /* contiguous batches, 32 rows split 16/16 or 10/11/11 */
    {NNB_OPT_ADAM, 25, 0.2, -1, -1, 0,
     0}, /* shuffled via a validation split, batch not divisible */
    {NNB_OPT_NESTEROV, 0, 0, -1, -1, 0, 0}, /* full batch */
};

START_TEST(n_workers_equal_one) {
    make_data();
    nnbt_ok(nnb_set_num_threads(1));
    const config *c = &configs[_i];
    worker one[1], many[MAXW];
    run_group(1, c, one, 0);
    nnbt_ok(one[0].st);
    for (size_t count = 2; count <= 3; count++) {
        run_group(count, c, many, 0);
        double worst = 0;
        for (size_t k = 0; k < count; k++) {
            nnbt_ok(many[k].st);
            ck_assert_uint_eq(many[k].np, one[0].np);
            for (size_t i = 0; i < one[0].np; i++)
                worst = fmax(worst, fabs(many[k].params[i] - one[0].params[i]) /
                                        fmax(fabs(one[0].params[i]), 1e-3));
            /* every worker holds the same weights, bit for bit */
            ck_assert(memcmp(many[k].params, many[0].params, one[0].np * sizeof(double)) == 0);
            nnbt_assert_rel(many[k].last_loss, one[0].last_loss, 1e-10);
        }
        fprintf(stderr,
                "config %d, %zu workers: largest relative difference from one worker %.2g\n", _i,
                count, worst);
        ck_assert_msg(worst <= 1e-10, "%zu workers differ from one by %g", count, worst);
        for (size_t k = 0; k < count; k++) free(many[k].params);
    }
    free(one[0].params);
    nnbt_ok(nnb_set_num_threads(0));
}
END_TEST

/* The overlap hook: every step announces the gradient in contiguous pieces, last layer first,
 * each final when announced (also on a worker whose share of the batch is empty: batch 2 over 3
 * workers), and the weights are those of one worker without the hook. */
START_TEST(grad_ready_pieces) {
    make_data();
    nnbt_ok(nnb_set_num_threads(1));
    static const size_t pieces[3] = {0, 8, 50};
    const size_t piece = pieces[_i];
    config plain = {NNB_OPT_SGD, 2, 0, -1, -1, 0, 0}, hooked = plain;
    hooked.hook = piece + 1;
    static worker one[1], many[3]; /* large: the snapshots */
    run_group(1, &plain, one, 0);
    nnbt_ok(one[0].st);
    run_group(3, &hooked, many, 0);
    size_t steps = 5 * ((ROWS + 1) / 2);
    double worst = 0;
    for (size_t k = 0; k < 3; k++) {
        nnbt_ok(many[k].st);
        ck_assert_int_eq(many[k].bad, 0);
        ck_assert_uint_eq(many[k].steps, steps);
        /* 7-16-3: two layers; with pieces, layer 0 (7 inputs) goes in rows of at most `piece` */
        size_t want = piece == 0 ? 2 : piece == 8 ? 16 + 3 : 16 / (50 / 7) + 1 + 1;
        ck_assert_uint_eq(many[k].pieces, steps * want);
        ck_assert_uint_le(many[k].largest, piece == 0 ? 16 * 7 + 16 : piece + 16);
        for (size_t i = 0; i < one[0].np; i++)
            worst = fmax(worst, fabs(many[k].params[i] - one[0].params[i]) /
                                    fmax(fabs(one[0].params[i]), 1e-3));
        ck_assert(memcmp(many[k].params, many[0].params, one[0].np * sizeof(double)) == 0);
    }
    fprintf(stderr, "grad_ready, pieces of %zu: largest relative difference from one worker %.2g\n",
            piece, worst);
    ck_assert_msg(worst <= 1e-10, "the hooked workers differ from one by %g", worst);
    for (size_t k = 0; k < 3; k++) free(many[k].params);
    free(one[0].params);
    nnb_train_opts *o;
    nnbt_ok(nnb_train_opts_create(&o));
    ck_assert_int_eq(nnb_train_opts_set_grad_ready(NULL, record_piece, 0, NULL), NNB_E_NULL);
    nnbt_ok(nnb_train_opts_set_grad_ready(o, NULL, 0, NULL));
    nnb_train_opts_free(o);
    nnbt_ok(nnb_set_num_threads(0));
}
END_TEST

/* The float32 hook: a float32 network announces its float gradient in the float64 network's
 * pieces (contiguous, last layer first, final when announced, zeros from the worker with an empty
 * share), never calls the float64 hook, and reaches the same bits as the same workers without the
 * hook (the same float sums), and one worker's float32 run to 1e-4 (float sums in another order). */
START_TEST(grad_ready_pieces_f32) {
    make_data();
    nnbt_ok(nnb_set_num_threads(1));
    static const size_t pieces[3] = {0, 8, 50};
    const size_t piece = pieces[_i];
    config plain = {NNB_OPT_SGD, 2, 0, -1, -1, 0, 1}, hooked = plain;
    hooked.hook = piece + 1;
    static worker one[1], ref[3], many[3];
    run_group(1, &plain, one, 0);
    nnbt_ok(one[0].st);
    run_group(3, &plain, ref, 0);
    run_group(3, &hooked, many, 0);
    size_t steps = 5 * ((ROWS + 1) / 2);
    double worst = 0;
    for (size_t k = 0; k < 3; k++) {
        nnbt_ok(ref[k].st);
        nnbt_ok(many[k].st);
        ck_assert_int_eq(many[k].bad, 0);
        ck_assert_uint_eq(ref[k].pieces, 0);
        ck_assert_uint_eq(many[k].steps, steps);
        size_t want = piece == 0 ? 2 : piece == 8 ? 16 + 3 : 16 / (50 / 7) + 1 + 1;
        ck_assert_uint_eq(many[k].pieces, steps * want);
        ck_assert_uint_le(many[k].largest, piece == 0 ? 16 * 7 + 16 : piece + 16);
        ck_assert(memcmp(many[k].params, ref[k].params, one[0].np * sizeof(double)) == 0);
        for (size_t i = 0; i < one[0].np; i++)
            worst = fmax(worst, fabs(many[k].params[i] - one[0].params[i]) /
                                    fmax(fabs(one[0].params[i]), 1e-3));
    }
    fprintf(stderr,
            "grad_ready_f32, pieces of %zu: largest relative difference from one worker "
            "%.2g\n",
            piece, worst);
    ck_assert_msg(worst <= 1e-4, "the hooked workers differ from one by %g", worst);
    for (size_t k = 0; k < 3; k++) free(many[k].params), free(ref[k].params);
    free(one[0].params);
    /* a float64 network never calls the float32 hook */
    config f64 = {NNB_OPT_SGD, 32, 0, -1, -1, 0, 0};
    run_group(2, &f64, many, 0);
    for (size_t k = 0; k < 2; k++) {
        nnbt_ok(many[k].st);
        free(many[k].params);
    }
    nnb_train_opts *o;
    nnbt_ok(nnb_train_opts_create(&o));
    ck_assert_int_eq(nnb_train_opts_set_grad_ready_f32(NULL, record_piece32, 0, NULL), NNB_E_NULL);
    nnbt_ok(nnb_train_opts_set_grad_ready_f32(o, NULL, 0, NULL));
    nnb_train_opts_free(o);
    nnbt_ok(nnb_set_num_threads(0));
}
END_TEST

START_TEST(one_stops_all) {
    make_data();
    config c = {NNB_OPT_SGD, 32, 0, 1, -1, 0, 0};
    worker w[3];
    run_group(3, &c, w, 0);
    for (int k = 0; k < 3; k++) {
        ck_assert_int_eq(w[k].st, NNB_E_CANCELLED);
        free(w[k].params);
    }
    c = (config){NNB_OPT_ADAM, 32, 0, -1, 1, 0, 0}; /* a NaN only in worker 1's data */
    run_group(2, &c, w, 0);
    for (int k = 0; k < 2; k++) {
        ck_assert_int_eq(w[k].st, NNB_E_NONFINITE);
        for (size_t i = 0; i < w[k].np; i++) ck_assert(isfinite(w[k].params[i]));
        free(w[k].params);
    }
    c = (config){NNB_OPT_SGD, 32, 0, -1, -1, 0, 0};
    run_group(2, &c, w, 9); /* the 9th all-reduce fails */
    for (int k = 0; k < 2; k++) {
        ck_assert_int_eq(w[k].st, NNB_E_COMM);
        free(w[k].params);
    }
}
END_TEST

START_TEST(bad_options) {
    nnb_train_opts *o;
    nnbt_ok(nnb_train_opts_create(&o));
    ck_assert_int_eq(nnb_train_opts_set_shard(o, 2, 2), NNB_E_INVALID_ARG);
    ck_assert_int_eq(nnb_train_opts_set_shard(o, 0, 0), NNB_E_INVALID_ARG);
    ck_assert_int_eq(nnb_train_opts_set_shard(NULL, 0, 1), NNB_E_NULL);
    ck_assert_int_eq(nnb_train_opts_set_allreduce(NULL, NULL, NULL), NNB_E_NULL);
    nnbt_ok(nnb_train_opts_set_shard(o, 1, 2));
    nnb_net *net;
    nnbt_ok(nnb_net_create(&net, 2));
    nnbt_ok(nnb_net_add_dense(net, 1, NNB_ACT_IDENTITY, 1));
    double x[4] = {1, 2, 3, 4}, y[2] = {1, 2};
    ck_assert_int_eq(nnb_net_train(net, o, x, 2, 2, y, 1, NULL), NNB_E_INVALID_ARG);
    ck_assert(strstr(nnb_last_error(), "needs an all-reduce") != NULL);
    nnbt_ok(nnb_train_opts_set_allreduce(o, thread_allreduce, NULL));
    nnbt_ok(nnb_train_opts_set_optimizer(o, NNB_OPT_LM, 1));
    ck_assert_int_eq(nnb_net_train(net, o, x, 2, 2, y, 1, NULL), NNB_E_UNSUPPORTED);
    ck_assert_str_eq(nnb_status_name(NNB_E_COMM), "NNB_E_COMM");
    nnb_net_free(net);
    nnb_train_opts_free(o);
}
END_TEST

/* The two core functions libnnblas_mpi builds on: a copy of the options (it sets the shard and
 * the all-reduce on a copy, leaving the caller's as they were) and nnb_set_error. */
START_TEST(opts_copy) {
    make_data();
    nnb_train_opts *o, *c;
    nnbt_ok(nnb_train_opts_create(&o));
    nnbt_ok(nnb_train_opts_set_optimizer(o, NNB_OPT_ADAM, 0.02));
    nnbt_ok(nnb_train_opts_set_loss(o, NNB_LOSS_CE, NNB_REDUCTION_SUM));
    nnbt_ok(nnb_train_opts_set_batch_size(o, 25));
    nnbt_ok(nnb_train_opts_set_epochs(o, 3));
    nnbt_ok(nnb_train_opts_set_weight_decay(o, 1e-3));
    nnbt_ok(nnb_train_opts_set_validation_split(o, 0.2, 5));
    nnbt_ok(nnb_train_opts_copy(&c, o));
    double p[2][512], h[2][3];
    size_t np = 0;
    for (int k = 0; k < 2; k++) {
        nnb_net *net;
        nnb_history *hist;
        nnbt_ok(nnb_net_create(&net, NI));
        nnbt_ok(nnb_net_add_dense(net, 16, NNB_ACT_TANH, 1));
        nnbt_ok(nnb_net_add_dense(net, NO, NNB_ACT_SOFTMAX, 1));
        nnbt_ok(nnb_net_init(net, NNB_INIT_XAVIER_UNIFORM, 4));
        nnbt_ok(nnb_history_create(&hist));
        nnbt_ok(nnb_net_train(net, k ? c : o, X, ROWS, NI, Y, NO, hist));
        np = nnb_net_n_params(net);
        ck_assert_uint_le(np, 512);
        nnbt_ok(nnb_net_params_get(net, p[k], np));
        ck_assert_uint_eq(nnb_history_n_epochs(hist), 3);
        nnbt_ok(nnb_history_get(hist, NNB_HIST_VAL_LOSS, h[k], 3));
        nnb_history_free(hist);
        nnb_net_free(net);
    }
    ck_assert(memcmp(p[0], p[1], np * sizeof(double)) == 0);
    ck_assert(memcmp(h[0], h[1], sizeof h[0]) == 0);
    ck_assert(!isnan(h[0][2])); /* the validation split was copied */
    /* changing the copy leaves the original alone: sharded without an all-reduce would fail */
    nnbt_ok(nnb_train_opts_set_shard(c, 1, 2));
    nnb_net *net;
    nnbt_ok(nnb_net_create(&net, NI));
    nnbt_ok(nnb_net_add_dense(net, NO, NNB_ACT_SOFTMAX, 1));
    ck_assert_int_eq(nnb_net_train(net, c, X, ROWS, NI, Y, NO, NULL), NNB_E_INVALID_ARG);
    nnbt_ok(nnb_net_train(net, o, X, ROWS, NI, Y, NO, NULL));
    nnb_net_free(net);
    nnb_train_opts_free(c);
    c = o;
    ck_assert_int_eq(nnb_train_opts_copy(&c, NULL), NNB_E_NULL);
    ck_assert_ptr_null(c);
    ck_assert_int_eq(nnb_train_opts_copy(NULL, o), NNB_E_NULL);
    nnb_train_opts_free(o);
}
END_TEST

START_TEST(set_error) {
    ck_assert_int_eq(nnb_set_error(NNB_E_COMM, "rank 2 of 3: it failed"), NNB_E_COMM);
    ck_assert_str_eq(nnb_last_error(), "rank 2 of 3: it failed");
    ck_assert_int_eq(nnb_set_error(NNB_OK, NULL), NNB_OK);
    ck_assert_str_eq(nnb_last_error(), "");
    char big[3000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    nnb_set_error(NNB_E_COMM, big);
    ck_assert_uint_eq(strlen(nnb_last_error()), 1023);
}
END_TEST

/* ---- float32 networks and data (issue 23: each concern tests both element types) ---------- */

/* Data-parallel training of a float32 network sums its gradient through the float32 all-reduce
 * (nnb_train_opts_set_allreduce_f32): once per batch, n_params + 2 floats; the double all-reduce
 * only for the epoch's sums (5 values). Without it, the gradient goes through the double one.
 * A fake second worker with the same rows as this one (the sums doubled, exact in float) gives
 * one worker's run on those rows (to 1e-5: the batch sum is added in another order). */
typedef struct fake_reduce {
    size_t calls32, calls64, n32, n64_max;
} fake_reduce;

static int fake32(float *data, size_t n, void *ud) {
    fake_reduce *f = ud;
    f->calls32++, f->n32 = n;
    for (size_t i = 0; i < n; i++) data[i] *= 2;
    return 0;
}

static int fake64(double *data, size_t n, void *ud) {
    fake_reduce *f = ud;
    f->calls64++;
    if (n > f->n64_max) f->n64_max = n;
    for (size_t i = 0; i < n; i++) data[i] *= 2;
    return 0;
}

START_TEST(allreduce_in_float32) {
    const size_t rows = 64;
    float *x = malloc(rows * 20 * sizeof *x), *y = malloc(rows * 3 * sizeof *y);
    nnbt_blobs(rows, x, y, NULL, NULL);
    for (int with32 = 0; with32 < 2; with32++) {
        nnb_train_opts *o;
        nnbt_ok(nnb_train_opts_create(&o));
        nnbt_ok(nnb_train_opts_set_optimizer(o, NNB_OPT_SGD, 0.1));
        nnbt_ok(nnb_train_opts_set_loss(o, NNB_LOSS_CE, NNB_REDUCTION_SUM));
        nnbt_ok(nnb_train_opts_set_batch_size(o, 16));
        nnbt_ok(nnb_train_opts_set_shuffle(o, 0));
        nnbt_ok(nnb_train_opts_set_epochs(o, 2));
        fake_reduce f = {0, 0, 0, 0};
        nnbt_ok(nnb_train_opts_set_shard(o, 0, 2));
        nnbt_ok(nnb_train_opts_set_allreduce(o, fake64, &f));
        nnbt_ok(nnb_train_opts_set_allreduce_f32(o, with32 ? fake32 : NULL, &f));
        /* worker 0 takes rows [0, 8) of each 16-row batch; the fake's doubling stands for a
         * worker 1 whose rows [8, 16) are the same: data built so, against one worker on it */
        float *x2 = malloc(rows * 20 * sizeof *x2), *y2 = malloc(rows * 3 * sizeof *y2);
        for (size_t r = 0; r < rows; r++) {
            size_t src = (r / 16) * 16 + (r % 16) % 8;
            memcpy(x2 + r * 20, x + src * 20, 20 * sizeof *x2);
            memcpy(y2 + r * 3, y + src * 3, 3 * sizeof *y2);
        }
        nnb_net *a = nnbt_net3(NNB_F32, 20, 8, NNB_ACT_TANH, 3, NNB_ACT_SOFTMAX, 3);
        nnbt_ok(nnb_net_train_f32(a, o, x2, rows, 20, y2, 3, NULL));
        nnb_train_opts_free(o);
        nnbt_ok(nnb_train_opts_create(&o));
        nnbt_ok(nnb_train_opts_set_optimizer(o, NNB_OPT_SGD, 0.1));
        nnbt_ok(nnb_train_opts_set_loss(o, NNB_LOSS_CE, NNB_REDUCTION_SUM));
        nnbt_ok(nnb_train_opts_set_batch_size(o, 16));
        nnbt_ok(nnb_train_opts_set_shuffle(o, 0));
        nnbt_ok(nnb_train_opts_set_epochs(o, 2));
        nnb_net *b = nnbt_net3(NNB_F32, 20, 8, NNB_ACT_TANH, 3, NNB_ACT_SOFTMAX, 3);
        nnbt_ok(nnb_net_train_f32(b, o, x2, rows, 20, y2, 3, NULL)); /* one worker, the same rows */
        size_t np = nnb_net_n_params(a);
        double *pa = malloc(np * sizeof *pa), *pb = malloc(np * sizeof *pb), worst = 0;
        nnbt_ok(nnb_net_params_get(a, pa, np));
        nnbt_ok(nnb_net_params_get(b, pb, np));
        for (size_t i = 0; i < np; i++) worst = fmax(worst, fabs(pa[i] - pb[i]));
        ck_assert_msg(worst <= 1e-5, "two alike halves differ from one worker by %g", worst);
        if (with32) {
            ck_assert_uint_eq(f.calls32, 2 * 4); /* 2 epochs x 4 batches */
            ck_assert_uint_eq(f.n32, np + 2);
            ck_assert_uint_eq(f.calls64, 2); /* the epoch sums only */
            ck_assert_uint_eq(f.n64_max, 5);
        } else {
            ck_assert_uint_eq(f.calls32, 0);
            ck_assert_uint_eq(f.calls64, 2 * 4 + 2);
            ck_assert_uint_eq(f.n64_max, np + 2);
        }
        free(pa), free(pb), free(x2), free(y2);
        nnb_train_opts_free(o);
        nnb_net_free(a), nnb_net_free(b);
    }
    free(x), free(y);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("shard");
    TCase *tc = tcase_create("data-parallel");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, n_workers_equal_one, 0, 3);
    tcase_add_loop_test(tc, grad_ready_pieces, 0, 3);
    tcase_add_loop_test(tc, grad_ready_pieces_f32, 0, 3);
    tcase_add_test(tc, one_stops_all);
    tcase_add_test(tc, bad_options);
    tcase_add_test(tc, opts_copy);
    tcase_add_test(tc, set_error);
    suite_add_tcase(s, tc);
    tc = tcase_create("float32");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, allreduce_in_float32);
    suite_add_tcase(s, tc);
    return s;
}

NNBT_MAIN(suite, 0)
