/*
 * nnblas-golden: a fixed set of runs through the public API, one line each with an FNV-1a digest
 * of the exact bytes of what the run produced (final parameters in the network's own type, the
 * loss history, the training state, outputs, losses, model-file bytes). Built against two
 * libraries (before and after a change inside lib/), the two outputs must be identical line for
 * line: the refactoring proof of issue 23 (docs/testing.md, "Bit-identity across a rebuild").
 *
 *   nnblas-golden [lib]          the library runs (both element types)
 *   nnblas-golden model FILE...  a model file's network, preparation and training state,
 *                                re-serialised without its metadata (which holds dates)
 *
 * Only the public API is used, so the program builds against any nnblas of the same ABI. It
 * asserts nothing: the digests are compared between builds of the same machine, never against
 * numbers written down (results may differ between machines and OpenBLAS builds).
 */
#define NNB_EXPERIMENTAL /* the data-parallel hooks (nnblas.h's experimental tier) */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nnblas.h>

/* An nnblas from before issue 23's naming rule (the baseline of a comparison) has the old names:
 * the new ones this program uses, on them. */
#ifndef NNB_DEPRECATED_FOR
static size_t nnb_history_n_epochs(const nnb_history *h) { return nnb_history_len(h); }
static size_t nnb_meta_n_keys(const nnb_meta *m) { return nnb_meta_count(m); }
static nnb_status nnb_net_train(nnb_net *net, const nnb_train_opts *o, const double *x, size_t rows,
                                size_t x_cols, const double *y, size_t y_cols, nnb_history *h) {
    return nnb_train(net, o, x, rows, x_cols, y, y_cols, h);
}
static nnb_status nnb_net_train_f32(nnb_net *net, const nnb_train_opts *o, const float *x,
                                    size_t rows, size_t x_cols, const float *y, size_t y_cols,
                                    nnb_history *h) {
    return nnb_train_f32(net, o, x, rows, x_cols, y, y_cols, h);
}
static nnb_status nnb_net_grad_check(nnb_net *net, const double *x, size_t rows, size_t x_cols,
                                     const double *y, size_t y_cols, nnb_loss loss,
                                     nnb_reduction red, double eps, double *err, size_t *worst) {
    return nnb_gradcheck(net, x, rows, x_cols, y, y_cols, loss, red, eps, err, worst);
}
static nnb_status nnb_net_copy(nnb_net **out, const nnb_net *src, nnb_dtype t) {
    return nnb_net_convert(src, t, out);
}
static size_t nnb_model_write_size(const nnb_net *net, const nnb_prep *p, const nnb_meta *m,
                                   int state) {
    return nnb_model_save_size(net, p, m, state);
}
static nnb_status nnb_model_write_buffer(const nnb_net *net, const nnb_prep *p, const nnb_meta *m,
                                         int state, void *buf, size_t cap, size_t *written) {
    return nnb_model_save_buffer(buf, cap, written, net, p, m, state);
}
static nnb_status nnb_model_read_buffer(nnb_net **net, nnb_prep **p, nnb_meta **m, const void *buf,
                                        size_t len) {
    return nnb_model_load_buffer(buf, len, net, p, m);
}
static nnb_status nnb_model_read(nnb_net **net, nnb_prep **p, nnb_meta **m, const char *path) {
    return nnb_model_load(path, net, p, m);
}
#endif

/* ---- digests ----------------------------------------------------------------------------------- */

/* Four digests per run, so that a difference says what changed: P the parameters (in the
 * network's own type), S the training state and the model file's bytes, L the losses (history,
 * evaluations), O everything else (outputs, gradients, accuracies, statuses). */
enum { P, S, L, O };

typedef struct dig {
    uint64_t h[4];
    int cat; /* where d_bytes adds */
} dig;

static void d_init(dig *d) {
    for (int k = 0; k < 4; k++) d->h[k] = 0xcbf29ce484222325ULL;
    d->cat = O;
}

static void d_bytes(dig *d, const void *p, size_t n) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        d->h[d->cat] ^= b[i];
        d->h[d->cat] *= 0x100000001b3ULL;
    }
}

static void d_f64(dig *d, double v) { d_bytes(d, &v, sizeof v); }
static void d_u64(dig *d, uint64_t v) { d_bytes(d, &v, sizeof v); }

/* The status, the parameters in the network's type, the training state and the model bytes. */
static void d_net(dig *d, const nnb_net *net) {
    int was = d->cat;
    d->cat = P;
    size_t np = nnb_net_n_params(net);
    d_u64(d, np);
    d_u64(d, (uint64_t)nnb_net_dtype(net));
    if (nnb_net_dtype(net) == NNB_F32) {
        float *p = malloc((np ? np : 1) * sizeof *p);
        if (p && nnb_net_params_get_f32(net, p, np) == NNB_OK) d_bytes(d, p, np * sizeof *p);
        free(p);
    } else {
        double *p = malloc((np ? np : 1) * sizeof *p);
        if (p && nnb_net_params_get(net, p, np) == NNB_OK) d_bytes(d, p, np * sizeof *p);
        free(p);
    }
    d->cat = S;
    size_t sn = nnb_net_train_state_size(net), w = 0;
    unsigned char *s = malloc(sn ? sn : 1);
    if (s && nnb_net_train_state_get(net, s, sn, &w) == NNB_OK) d_bytes(d, s, w);
    free(s);
    size_t mn = nnb_model_write_size(net, NULL, NULL, 1);
    unsigned char *m = malloc(mn ? mn : 1);
    if (m && nnb_model_write_buffer(net, NULL, NULL, 1, m, mn, &w) == NNB_OK) d_bytes(d, m, w);
    free(m);
    d->cat = was;
}

static void d_hist(dig *d, const nnb_history *h) {
    int was = d->cat;
    d->cat = L;
    size_t n = nnb_history_n_epochs(h);
    double *v = malloc((n ? n : 1) * sizeof *v);
    /* every field but the timings */
    nnb_history_field f[] = {NNB_HIST_EPOCH,     NNB_HIST_TRAIN_LOSS, NNB_HIST_VAL_LOSS,
                             NNB_HIST_TRAIN_ACC, NNB_HIST_VAL_ACC,    NNB_HIST_LR};
    for (size_t k = 0; v && k < sizeof f / sizeof f[0]; k++)
        if (nnb_history_get(h, f[k], v, n) == NNB_OK) d_bytes(d, v, n * sizeof *v);
    free(v);
    size_t best = 0;
    double bl = 0;
    int early = 0;
    if (nnb_history_summary(h, &best, &bl, &early) == NNB_OK) {
        d_u64(d, best);
        d_f64(d, bl);
        d_u64(d, (uint64_t)early);
    }
    d->cat = was;
}

static void emit(const char *name, const dig *d, nnb_status st) {
    printf("%-58s P %016llx S %016llx L %016llx O %016llx %s\n", name, (unsigned long long)d->h[P],
           (unsigned long long)d->h[S], (unsigned long long)d->h[L], (unsigned long long)d->h[O],
           nnb_status_name(st));
}

/* A loss value: into L, whatever d adds to otherwise. */
static void d_loss(dig *d, double v) {
    int was = d->cat;
    d->cat = L;
    d_f64(d, v);
    d->cat = was;
}

/* ---- data -------------------------------------------------------------------------------------- */

enum { ROWS = 97, NI = 5, NC = 3 };

static double X[ROWS * NI], YR[ROWS * 2], YC[ROWS * NC], YB[ROWS];
static float X32[ROWS * NI], YC32[ROWS * NC];

/* Deterministic data from integer arithmetic only (no libm, no generator of the library). */
static void make_data(void) {
    uint64_t s = 12345;
    for (size_t i = 0; i < ROWS * NI; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        X[i] = (double)(int64_t)(s >> 40) / (double)(1 << 23) - 1.0;
        X32[i] = (float)X[i];
    }
    for (size_t r = 0; r < ROWS; r++) {
        const double *x = X + r * NI;
        YR[r * 2] = 0.3 * x[0] - 0.5 * x[1] * x[2] + 0.1;
        YR[r * 2 + 1] = x[3] * x[3] - 0.2 * x[4];
        int c = x[0] + x[1] > 0.2 ? 0 : x[2] > 0 ? 1 : 2;
        for (int k = 0; k < NC; k++) YC[r * NC + k] = k == c;
        YB[r] = x[3] - x[4] > 0;
    }
    for (size_t i = 0; i < ROWS * NC; i++) YC32[i] = (float)YC[i];
}

/* A loss variant: the loss, the output activation and the targets it trains on. */
typedef struct variant {
    const char *name;
    nnb_loss loss;
    nnb_activation out;
    const double *y;
    size_t ny;
} variant;

static variant variants(int v) {
    switch (v) {
    case 0:
        return (variant){"sse-sigmoid", NNB_LOSS_SSE, NNB_ACT_SIGMOID, YC, NC};
    case 1:
        return (variant){"mse-identity", NNB_LOSS_MSE, NNB_ACT_IDENTITY, YR, 2};
    case 2:
        return (variant){"mse-tanh", NNB_LOSS_MSE, NNB_ACT_TANH, YR, 2};
    case 3:
        return (variant){"sse-relu", NNB_LOSS_SSE, NNB_ACT_RELU, YR, 2};
    case 4:
        return (variant){"mse-leaky", NNB_LOSS_MSE, NNB_ACT_LEAKY_RELU, YR, 2};
    case 5:
        return (variant){"sse-softmax", NNB_LOSS_SSE, NNB_ACT_SOFTMAX, YC, NC};
    case 6:
        return (variant){"bce-sigmoid", NNB_LOSS_BCE, NNB_ACT_SIGMOID, YB, 1};
    default:
        return (variant){"ce-softmax", NNB_LOSS_CE, NNB_ACT_SOFTMAX, YC, NC};
    }
}
#define N_VARIANTS 8

static nnb_net *make_net(nnb_dtype t, const size_t *hidden, size_t nh, nnb_activation act,
                         nnb_activation out, size_t ny, nnb_init init, uint64_t seed) {
    nnb_net *net = NULL;
    if (nnb_net_create_dtype(&net, NI, t) != NNB_OK) return NULL;
    for (size_t l = 0; l < nh; l++)
        if (nnb_net_add_dense(net, hidden[l], act, (int)(l % 3 != 2)) != NNB_OK) goto fail;
    if (nnb_net_add_dense(net, ny, out, 1) != NNB_OK) goto fail;
    if (act == NNB_ACT_LEAKY_RELU && nh > 0 && nnb_net_set_leaky_slope(net, 0, 0.05) != NNB_OK)
        goto fail;
    if (nnb_net_init(net, init, seed) != NNB_OK) goto fail;
    return net;
fail:
    nnb_net_free(net);
    return NULL;
}

/* Outputs, losses and accuracy of a trained network, through every entry point of both types. */
static void d_outputs(dig *d, nnb_net *net, const variant *v) {
    size_t ny = v->ny;
    double out[ROWS * NC], loss = 0, acc = 0;
    float out32[ROWS * NC];
    float y32[ROWS * NC];
    for (size_t i = 0; i < ROWS * ny; i++) y32[i] = (float)v->y[i];
    nnb_status st = nnb_net_predict(net, X, ROWS, NI, out, ROWS * ny);
    d_u64(d, (uint64_t)st);
    d_bytes(d, out, ROWS * ny * sizeof *out);
    st = nnb_net_forward(net, X, 7, NI, out, 7 * ny);
    d_u64(d, (uint64_t)st);
    d_bytes(d, out, 7 * ny * sizeof *out);
    st = nnb_net_predict_f32(net, X32, ROWS, NI, out32, ROWS * ny);
    d_u64(d, (uint64_t)st);
    d_bytes(d, out32, ROWS * ny * sizeof *out32);
    st = nnb_net_forward_f32(net, X32, 1, NI, out32, ny);
    d_bytes(d, out32, ny * sizeof *out32);
    for (int red = 0; red < 2; red++) {
        st = nnb_net_evaluate(net, X, ROWS, NI, v->y, ny, v->loss, (nnb_reduction)red, &loss, &acc);
        d_u64(d, (uint64_t)st);
        d_loss(d, loss);
        d_f64(d, acc);
        st = nnb_net_evaluate_f32(net, X32, ROWS, NI, y32, ny, v->loss, (nnb_reduction)red, &loss,
                                  &acc);
        d_loss(d, loss);
        d_f64(d, acc);
        st = nnb_net_loss(net, X, ROWS, NI, v->y, ny, v->loss, (nnb_reduction)red, &loss);
        d_loss(d, loss);
        st = nnb_net_loss_f32(net, X32, 13, NI, y32, ny, v->loss, (nnb_reduction)red, &loss);
        d_loss(d, loss);
    }
    size_t np = nnb_net_n_params(net);
    double *g = malloc(np * sizeof *g);
    float *g32 = malloc(np * sizeof *g32);
    if (g && g32) {
        st =
            nnb_net_backprop(net, X, ROWS, NI, v->y, ny, v->loss, NNB_REDUCTION_MEAN, &loss, g, np);
        d_u64(d, (uint64_t)st);
        d_loss(d, loss);
        d_bytes(d, g, np * sizeof *g);
        st = nnb_net_grad_get(net, g, np);
        d_bytes(d, g, np * sizeof *g);
        st = nnb_net_backprop_f32(net, X32, 1, NI, y32, ny, v->loss, NNB_REDUCTION_SUM, &loss, g32,
                                  np);
        d_u64(d, (uint64_t)st);
        d_loss(d, loss);
        d_bytes(d, g32, np * sizeof *g32);
        st = nnb_net_grad_get_f32(net, g32, np);
        d_bytes(d, g32, np * sizeof *g32);
    }
    free(g);
    free(g32);
}

/* ---- the grid: optimiser x schedule x hidden activation x loss, both types ----------------------- */

static void set_schedule(nnb_train_opts *o, int s) {
    switch (s) {
    case 0:
        nnb_train_opts_set_schedule(o, NNB_SCHED_CONSTANT, 0, 0);
        break;
    case 1:
        nnb_train_opts_set_schedule(o, NNB_SCHED_STEP, 1, 0.5);
        break;
    case 2:
        nnb_train_opts_set_schedule(o, NNB_SCHED_EXPONENTIAL, 0.8, 0);
        break;
    case 3:
        nnb_train_opts_set_schedule(o, NNB_SCHED_COSINE, 0, 1e-4);
        break;
    default:
        nnb_train_opts_set_schedule(o, NNB_SCHED_COSINE_RESTARTS, 1, 1e-4);
        nnb_train_opts_set_restart_mult(o, 2);
        break;
    }
}

static const double LR[] = {0.05, 0.05, 0.03, 0.01, 0.01, 0.005};

static void grid(nnb_dtype t) {
    static const nnb_activation acts[] = {NNB_ACT_IDENTITY, NNB_ACT_SIGMOID, NNB_ACT_TANH,
                                          NNB_ACT_RELU, NNB_ACT_LEAKY_RELU};
    static const size_t batches[] = {16, 0, 1, 7, 32};
    int n = 0;
    for (int opt = 0; opt < 6; opt++)
        for (int s = 0; s < 5; s++)
            for (int a = 0; a < 5; a++)
                for (int v = 0; v < N_VARIANTS; v++, n++) {
                    variant var = variants(v);
                    size_t hidden[2] = {7, 4};
                    size_t nh = 1 + (size_t)(n % 2);
                    nnb_net *net = make_net(t, hidden, nh, acts[a], var.out, var.ny,
                                            (nnb_init)(n % 4), (uint64_t)n + 1);
                    nnb_train_opts *o = NULL;
                    nnb_history *h = NULL;
                    nnb_train_opts_create(&o);
                    nnb_history_create(&h);
                    nnb_train_opts_set_epochs(o, 3);
                    nnb_train_opts_set_batch_size(o, batches[n % 5]);
                    nnb_train_opts_set_loss(o, var.loss, (nnb_reduction)(n % 3 != 0));
                    nnb_train_opts_set_optimizer(o, (nnb_optimizer)opt, LR[opt]);
                    set_schedule(o, s);
                    nnb_status st =
                        net ? nnb_net_train(net, o, X, ROWS, NI, var.y, var.ny, h) : NNB_E_INTERNAL;
                    dig d;
                    d_init(&d);
                    if (net) {
                        d_net(&d, net);
                        d_hist(&d, h);
                        d_outputs(&d, net, &var);
                    }
                    char name[96];
                    snprintf(name, sizeof name, "grid %s %s %s %s %s", nnb_dtype_name(t),
                             nnb_optimizer_name((nnb_optimizer)opt),
                             nnb_schedule_name((nnb_schedule)(s)), nnb_activation_name(acts[a]),
                             var.name);
                    emit(name, &d, st);
                    nnb_history_free(h);
                    nnb_train_opts_free(o);
                    nnb_net_free(net);
                }
}

/* ---- features: dropout, L2, clipping, validation, early stopping, resume, stop, shards -------- */

typedef struct job {
    nnb_dtype t;
    int v; /* the loss variant */
    nnb_optimizer opt;
    double lr;
    size_t batch, epochs;
    double dropout, wd, clip_norm, clip_value, val_split;
    size_t patience;
    int restore, check_finite, sched, f32_data, deep;
    const double *val_x, *val_y;
    size_t val_rows;
} job;

static nnb_net *job_net(const job *j, uint64_t seed) {
    variant v = variants(j->v);
    size_t deep[4] = {9, 6, 5, 4}, one[2] = {8, 5};
    return j->deep
               ? make_net(j->t, deep, 4, NNB_ACT_TANH, v.out, v.ny, NNB_INIT_HE_NORMAL, seed)
               : make_net(j->t, one, 2, NNB_ACT_RELU, v.out, v.ny, NNB_INIT_XAVIER_UNIFORM, seed);
}

static nnb_train_opts *job_opts(const job *j, size_t epochs) {
    variant v = variants(j->v);
    nnb_train_opts *o = NULL;
    nnb_train_opts_create(&o);
    nnb_train_opts_set_epochs(o, epochs);
    nnb_train_opts_set_batch_size(o, j->batch);
    nnb_train_opts_set_loss(o, v.loss, NNB_REDUCTION_MEAN);
    nnb_train_opts_set_optimizer(o, j->opt, j->lr);
    nnb_train_opts_set_dropout(o, j->dropout);
    nnb_train_opts_set_weight_decay(o, j->wd);
    nnb_train_opts_set_clip_norm(o, j->clip_norm);
    nnb_train_opts_set_clip_value(o, j->clip_value);
    nnb_train_opts_set_check_finite(o, j->check_finite);
    if (j->val_split > 0) nnb_train_opts_set_validation_split(o, j->val_split, 99);
    if (j->val_x) nnb_train_opts_set_validation(o, j->val_x, j->val_y, j->val_rows);
    if (j->patience) nnb_train_opts_set_early_stopping(o, j->patience, j->restore);
    set_schedule(o, j->sched);
    return o;
}

static nnb_status job_train(const job *j, nnb_net *net, nnb_train_opts *o, nnb_history *h) {
    variant v = variants(j->v);
    if (!j->f32_data) return nnb_net_train(net, o, X, ROWS, NI, v.y, v.ny, h);
    float y32[ROWS * NC];
    for (size_t i = 0; i < ROWS * v.ny; i++) y32[i] = (float)v.y[i];
    return nnb_net_train_f32(net, o, X32, ROWS, NI, y32, v.ny, h);
}

static void run_job(const char *what, const job *j) {
    variant v = variants(j->v);
    nnb_net *net = job_net(j, 7);
    nnb_train_opts *o = job_opts(j, j->epochs);
    nnb_history *h = NULL;
    nnb_history_create(&h);
    nnb_status st = net ? job_train(j, net, o, h) : NNB_E_INTERNAL;
    dig d;
    d_init(&d);
    if (net) {
        d_net(&d, net);
        d_hist(&d, h);
        d_outputs(&d, net, &v);
    }
    char name[96];
    snprintf(name, sizeof name, "%s %s", what, nnb_dtype_name(j->t));
    emit(name, &d, st);
    nnb_history_free(h);
    nnb_train_opts_free(o);
    nnb_net_free(net);
}

/* A run split in two: `first` epochs, the model saved with its training state and loaded again,
 * then the rest; and the same epochs in one call. */
static void run_resume(const char *what, const job *j, size_t first) {
    variant v = variants(j->v);
    dig d;
    d_init(&d);
    nnb_net *net = job_net(j, 11), *back = NULL;
    nnb_train_opts *o1 = job_opts(j, first), *o2 = job_opts(j, j->epochs - first);
    nnb_status st = net ? job_train(j, net, o1, NULL) : NNB_E_INTERNAL;
    size_t n = st == NNB_OK ? nnb_model_write_size(net, NULL, NULL, 1) : 0, w = 0;
    unsigned char *buf = malloc(n ? n : 1);
    if (st == NNB_OK && buf) st = nnb_model_write_buffer(net, NULL, NULL, 1, buf, n, &w);
    if (st == NNB_OK) st = nnb_model_read_buffer(&back, NULL, NULL, buf, w);
    if (st == NNB_OK) st = job_train(j, back, o2, NULL);
    if (back) {
        d_net(&d, back);
        d_outputs(&d, back, &v);
    }
    free(buf);
    char name[96];
    snprintf(name, sizeof name, "%s split %s", what, nnb_dtype_name(j->t));
    emit(name, &d, st);
    nnb_net_free(net);
    nnb_net_free(back);
    nnb_train_opts_free(o1);
    nnb_train_opts_free(o2);
    snprintf(name, sizeof name, "%s whole", what);
    run_job(name, j);
}

/* Stopped by the batch callback in epoch 2 after batch 3, then trained on to the end. */
static int stop_at(size_t epoch, size_t batch, size_t n_batches, double loss, void *data) {
    int *armed = data;
    (void)n_batches, (void)loss;
    if (*armed && epoch == 2 && batch == 3) {
        *armed = 0;
        return 1;
    }
    return 0;
}

static void run_stop(const char *what, const job *j) {
    variant v = variants(j->v);
    dig d;
    d_init(&d);
    nnb_net *net = job_net(j, 5);
    nnb_train_opts *o = job_opts(j, j->epochs);
    int armed = 1;
    nnb_train_opts_set_batch_callback(o, stop_at, &armed);
    nnb_status st1 = net ? job_train(j, net, o, NULL) : NNB_E_INTERNAL;
    d_u64(&d, (uint64_t)st1);
    /* the rest: the remaining epochs of the interrupted run */
    nnb_train_opts *o2 = job_opts(j, j->epochs - 1);
    nnb_status st = net ? job_train(j, net, o2, NULL) : NNB_E_INTERNAL;
    if (net) {
        d_net(&d, net);
        d_outputs(&d, net, &v);
    }
    char name[96];
    snprintf(name, sizeof name, "%s %s", what, nnb_dtype_name(j->t));
    emit(name, &d, st);
    nnb_train_opts_free(o);
    nnb_train_opts_free(o2);
    nnb_net_free(net);
}

/* ---- data-parallel: two workers as threads, an all-reduce of barriers ------------------------- */

enum { MAXN = 1024 };

typedef struct group {
    pthread_barrier_t bar;
    double *in[2];
    float *in32[2];
    dig pieces; /* the grad-ready pieces announced by worker 0 */
} group;

typedef struct worker {
    group *g;
    size_t rank;
    const job *j;
    int mode; /* 0: allreduce; 1: + grad_ready; 2: f32 allreduce; 3: f32 allreduce + grad_ready */
    nnb_net *net;
    nnb_status st;
} worker;

static int reduce64(double *data, size_t n, void *user) {
    worker *w = user;
    group *g = w->g;
    g->in[w->rank] = data;
    pthread_barrier_wait(&g->bar);
    if (w->rank == 0)
        for (size_t i = 0; i < n; i++) {
            double s = g->in[0][i] + g->in[1][i];
            g->in[0][i] = s;
            g->in[1][i] = s;
        }
    pthread_barrier_wait(&g->bar);
    return 0;
}

static int reduce32(float *data, size_t n, void *user) {
    worker *w = user;
    group *g = w->g;
    g->in32[w->rank] = data;
    pthread_barrier_wait(&g->bar);
    if (w->rank == 0)
        for (size_t i = 0; i < n; i++) {
            float s = g->in32[0][i] + g->in32[1][i];
            g->in32[0][i] = s;
            g->in32[1][i] = s;
        }
    pthread_barrier_wait(&g->bar);
    return 0;
}

static int ready64(double *grad, size_t off, size_t n, void *user) {
    worker *w = user;
    if (w->rank == 0) {
        d_u64(&w->g->pieces, off);
        d_u64(&w->g->pieces, n);
        d_bytes(&w->g->pieces, grad + off, n * sizeof *grad);
    }
    return 0;
}

static int ready32(float *grad, size_t off, size_t n, void *user) {
    worker *w = user;
    if (w->rank == 0) {
        d_u64(&w->g->pieces, off);
        d_u64(&w->g->pieces, n);
        d_bytes(&w->g->pieces, grad + off, n * sizeof *grad);
    }
    return 0;
}

static void *work(void *arg) {
    worker *w = arg;
    nnb_train_opts *o = job_opts(w->j, w->j->epochs);
    nnb_train_opts_set_shard(o, w->rank, 2);
    nnb_train_opts_set_allreduce(o, reduce64, w);
    if (w->mode >= 2) nnb_train_opts_set_allreduce_f32(o, reduce32, w);
    if (w->mode == 1) nnb_train_opts_set_grad_ready(o, ready64, 40, w);
    if (w->mode == 3) nnb_train_opts_set_grad_ready_f32(o, ready32, 40, w);
    w->st = job_train(w->j, w->net, o, NULL);
    nnb_train_opts_free(o);
    return NULL;
}

static void run_shards(const char *what, const job *j, int mode) {
    variant v = variants(j->v);
    group g;
    pthread_barrier_init(&g.bar, NULL, 2);
    d_init(&g.pieces);
    worker w[2];
    pthread_t th[2];
    for (size_t r = 0; r < 2; r++) {
        w[r] = (worker){.g = &g, .rank = r, .j = j, .mode = mode, .net = job_net(j, 3)};
        pthread_create(&th[r], NULL, work, &w[r]);
    }
    for (size_t r = 0; r < 2; r++) pthread_join(th[r], NULL);
    dig d;
    d_init(&d);
    d_u64(&d, g.pieces.h[O]);
    d_u64(&d, (uint64_t)w[1].st);
    if (w[0].net) {
        d_net(&d, w[0].net);
        d_outputs(&d, w[0].net, &v);
    }
    if (w[1].net) d_net(&d, w[1].net);
    char name[96];
    snprintf(name, sizeof name, "%s mode %d %s", what, mode, nnb_dtype_name(j->t));
    emit(name, &d, w[0].st);
    nnb_net_free(w[0].net);
    nnb_net_free(w[1].net);
    pthread_barrier_destroy(&g.bar);
}

/* ---- gradcheck, conversion, manual steps, Levenberg-Marquardt, a larger problem -------------- */

static void run_gradcheck(nnb_dtype t) {
    for (int v = 0; v < N_VARIANTS; v++) {
        variant var = variants(v);
        size_t hidden[2] = {6, 4};
        nnb_net *net = make_net(t, hidden, 2, v % 2 ? NNB_ACT_TANH : NNB_ACT_SIGMOID, var.out,
                                var.ny, NNB_INIT_XAVIER_UNIFORM, 40 + (uint64_t)v);
        double err = 0;
        size_t worst = 0;
        nnb_status st = net ? nnb_net_grad_check(net, X, 11, NI, var.y, var.ny, var.loss,
                                                 (nnb_reduction)(v % 2), 1e-4, &err, &worst)
                            : NNB_E_INTERNAL;
        dig d;
        d_init(&d);
        d_f64(&d, err);
        d_u64(&d, worst);
        if (net) d_net(&d, net);
        char name[96];
        snprintf(name, sizeof name, "gradcheck %s %s", var.name, nnb_dtype_name(t));
        emit(name, &d, st);
        nnb_net_free(net);
    }
}

static void run_convert(nnb_dtype t) {
    job j = {.t = t, .v = 7, .opt = NNB_OPT_ADAM, .lr = 0.01, .batch = 16, .epochs = 2};
    variant v = variants(j.v);
    nnb_net *net = job_net(&j, 21), *c = NULL, *back = NULL;
    nnb_train_opts *o = job_opts(&j, 2);
    nnb_status st = net ? job_train(&j, net, o, NULL) : NNB_E_INTERNAL;
    nnb_dtype other = t == NNB_F64 ? NNB_F32 : NNB_F64;
    if (st == NNB_OK) st = nnb_net_copy(&c, net, other);
    if (st == NNB_OK) st = job_train(&j, c, o, NULL); /* trains on in the other type */
    if (st == NNB_OK) st = nnb_net_copy(&back, c, t);
    dig d;
    d_init(&d);
    if (c) d_net(&d, c);
    if (back) {
        d_net(&d, back);
        d_outputs(&d, back, &v);
    }
    char name[96];
    snprintf(name, sizeof name, "convert %s", nnb_dtype_name(t));
    emit(name, &d, st);
    nnb_train_opts_free(o);
    nnb_net_free(net);
    nnb_net_free(c);
    nnb_net_free(back);
}

static void run_manual(nnb_dtype t) {
    variant v = variants(6);
    size_t hidden[1] = {8};
    nnb_net *net = make_net(t, hidden, 1, NNB_ACT_TANH, v.out, v.ny, NNB_INIT_NORMAL_FANIN, 77);
    nnb_status st = net ? NNB_OK : NNB_E_INTERNAL;
    double loss = 0;
    size_t np = net ? nnb_net_n_params(net) : 0;
    double *g = malloc((np ? np : 1) * sizeof *g);
    dig d;
    d_init(&d);
    for (int it = 0; it < 50 && st == NNB_OK && g; it++) {
        st = nnb_net_backprop(net, X, ROWS, NI, v.y, 1, v.loss, NNB_REDUCTION_MEAN, &loss, NULL, 0);
        d_loss(&d, loss);
        if (st == NNB_OK) st = nnb_net_sgd_step(net, 0.5, NULL, 0);
        if (st == NNB_OK && it % 5 == 0) {
            st = nnb_net_backprop(net, X, 10, NI, v.y, 1, v.loss, NNB_REDUCTION_SUM, &loss, g, np);
            if (st == NNB_OK) st = nnb_net_sgd_step(net, 0.1, g, np);
        }
    }
    if (net) {
        d_net(&d, net);
        d_outputs(&d, net, &v);
    }
    free(g);
    char name[96];
    snprintf(name, sizeof name, "manual backprop+sgd_step %s", nnb_dtype_name(t));
    emit(name, &d, st);
    nnb_net_free(net);
}

static void run_lm(void) {
    for (int v = 1; v < 5; v++) {
        for (int val = 0; val < 2; val++) {
            job j = {.t = NNB_F64,
                     .v = v,
                     .opt = NNB_OPT_LM,
                     .lr = 1,
                     .epochs = 6,
                     .val_split = val ? 0.2 : 0,
                     .patience = val ? 2 : 0,
                     .restore = 1};
            char name[96];
            snprintf(name, sizeof name, "lm %s val %d", variants(v).name, val);
            run_job(name, &j);
        }
    }
}

/* A problem with larger GEMMs (OpenBLAS's threaded paths): 640 rows of 40 inputs. */
enum { BR = 640, BI = 40, BO = 10 };
static double BX[BR * BI], BY[BR * BO];
static float BX32[BR * BI], BY32[BR * BO];

static void run_big(nnb_dtype t, nnb_optimizer opt, double dropout) {
    for (size_t i = 0; i < BR * BI; i++) {
        BX[i] = X[(i * 7) % (ROWS * NI)] * (double)(1 + i % 3);
        BX32[i] = (float)BX[i];
    }
    memset(BY, 0, sizeof BY);
    for (size_t r = 0; r < BR; r++) BY[r * BO + (r * 13 + (BX[r * BI] > 0)) % BO] = 1;
    for (size_t i = 0; i < BR * BO; i++) BY32[i] = (float)BY[i];
    nnb_net *net = NULL;
    nnb_status st = nnb_net_create_dtype(&net, BI, t);
    if (st == NNB_OK) st = nnb_net_add_dense(net, 64, NNB_ACT_RELU, 1);
    if (st == NNB_OK) st = nnb_net_add_dense(net, 48, NNB_ACT_TANH, 1);
    if (st == NNB_OK) st = nnb_net_add_dense(net, BO, NNB_ACT_SOFTMAX, 1);
    if (st == NNB_OK) st = nnb_net_init(net, NNB_INIT_HE_NORMAL, 5);
    nnb_train_opts *o = NULL;
    nnb_history *h = NULL;
    nnb_train_opts_create(&o);
    nnb_history_create(&h);
    nnb_train_opts_set_epochs(o, 3);
    nnb_train_opts_set_batch_size(o, 128);
    nnb_train_opts_set_loss(o, NNB_LOSS_CE, NNB_REDUCTION_MEAN);
    nnb_train_opts_set_optimizer(o, opt, opt == NNB_OPT_SGD ? 0.1 : 0.002);
    nnb_train_opts_set_dropout(o, dropout);
    nnb_train_opts_set_validation_split(o, 0.1, 4);
    if (st == NNB_OK) st = nnb_net_train(net, o, BX, BR, BI, BY, BO, h);
    dig d;
    d_init(&d);
    if (net) {
        d_net(&d, net);
        d_hist(&d, h);
        static double out[BR * BO];
        static float out32[BR * BO];
        double loss = 0, acc = 0;
        d_u64(&d, (uint64_t)nnb_net_predict(net, BX, BR, BI, out, BR * BO));
        d_bytes(&d, out, sizeof out);
        d_u64(&d, (uint64_t)nnb_net_predict_f32(net, BX32, BR, BI, out32, BR * BO));
        d_bytes(&d, out32, sizeof out32);
        nnb_net_evaluate(net, BX, BR, BI, BY, BO, NNB_LOSS_CE, NNB_REDUCTION_MEAN, &loss, &acc);
        d_loss(&d, loss);
        d_f64(&d, acc);
        nnb_net_evaluate_f32(net, BX32, BR, BI, BY32, BO, NNB_LOSS_CE, NNB_REDUCTION_SUM, &loss,
                             &acc);
        d_loss(&d, loss);
        d_f64(&d, acc);
    }
    char name[96];
    snprintf(name, sizeof name, "big %s dropout %g %s", nnb_optimizer_name(opt), dropout,
             nnb_dtype_name(t));
    emit(name, &d, st);
    nnb_history_free(h);
    nnb_train_opts_free(o);
    nnb_net_free(net);
}

static void features(nnb_dtype t) {
    static double VX[20 * NI], VY[20 * NC];
    for (size_t i = 0; i < 20 * NI; i++) VX[i] = X[i] * 0.9 + 0.01;
    for (size_t i = 0; i < 20 * NC; i++) VY[i] = YC[(i + 3) % (ROWS * NC)];
    const job base = {.t = t, .v = 7, .opt = NNB_OPT_ADAM, .lr = 0.01, .batch = 16, .epochs = 4};
    job j;
#define RUN(name, ...) (j = base, (void)(__VA_ARGS__), run_job(name, &j))
    RUN("dropout momentum", j.opt = NNB_OPT_MOMENTUM, j.lr = 0.05, j.dropout = 0.3);
    RUN("dropout sgd-fused", j.opt = NNB_OPT_SGD, j.lr = 0.1, j.dropout = 0.2, j.deep = 1);
    RUN("dropout adam deep", j.dropout = 0.25, j.deep = 1, j.v = 1);
    RUN("l2 sgd-fused", j.opt = NNB_OPT_SGD, j.lr = 0.1, j.wd = 0.01);
    RUN("l2 sgd-fused batch1", j.opt = NNB_OPT_SGD, j.lr = 0.05, j.wd = 0.01, j.batch = 1, j.v = 6);
    RUN("l2 adam", j.wd = 0.001);
    RUN("l2 adamw", j.opt = NNB_OPT_ADAMW, j.wd = 0.01);
    RUN("l2 rmsprop", j.opt = NNB_OPT_RMSPROP, j.lr = 0.005, j.wd = 0.001);
    RUN("l2 nesterov", j.opt = NNB_OPT_NESTEROV, j.lr = 0.05, j.wd = 0.001);
    RUN("clip-norm adam", j.clip_norm = 0.2);
    RUN("clip-value sgd", j.opt = NNB_OPT_SGD, j.lr = 0.1, j.clip_value = 0.02);
    RUN("clip-both nesterov", j.opt = NNB_OPT_NESTEROV, j.lr = 0.05, j.clip_value = 0.05,
        j.clip_norm = 0.3);
    RUN("check-finite sgd", j.opt = NNB_OPT_SGD, j.lr = 0.1, j.check_finite = 1);
    RUN("val-split early-stop restore", j.val_split = 0.2, j.patience = 1, j.restore = 1,
        j.lr = 0.2, j.epochs = 12);
    RUN("val-split early-stop keep", j.val_split = 0.25, j.patience = 2, j.restore = 0, j.lr = 0.1,
        j.epochs = 12, j.v = 0);
    RUN("val-set", j.val_x = VX, j.val_y = VY, j.val_rows = 20, j.patience = 3, j.restore = 1);
    RUN("float-data", j.f32_data = 1, j.dropout = 0.1);
    RUN("float-data val-split", j.f32_data = 1, j.val_split = 0.2, j.batch = 0);
    RUN("full-batch sgd-fused mse", j.opt = NNB_OPT_SGD, j.lr = 0.1, j.batch = 0, j.v = 2);
    RUN("schedule step rmsprop", j.opt = NNB_OPT_RMSPROP, j.lr = 0.01, j.sched = 1, j.epochs = 6);
    j = base;
    j.sched = 3, j.dropout = 0.2, j.epochs = 5;
    run_resume("resume adam cosine dropout", &j, 2);
    j = base;
    j.opt = NNB_OPT_MOMENTUM, j.lr = 0.05, j.val_split = 0.2, j.patience = 3, j.epochs = 6,
    j.sched = 4;
    run_resume("resume momentum restarts early-stop", &j, 3);
    j = base;
    j.f32_data = 1, j.opt = NNB_OPT_SGD, j.lr = 0.1, j.batch = 8;
    run_resume("resume sgd float-data", &j, 1);
    j = base;
    j.dropout = 0.2;
    run_stop("stop-within-epoch adam dropout", &j);
    j = base;
    j.opt = NNB_OPT_SGD, j.lr = 0.1, j.batch = 10, j.val_split = 0.1;
    run_stop("stop-within-epoch sgd-fused val", &j);
    for (int mode = 0; mode < 4; mode++) {
        if (t == NNB_F64 && mode >= 2) break;
        j = base;
        run_shards("shards adam", &j, mode);
        j = base;
        j.dropout = 0.2, j.opt = NNB_OPT_SGD, j.lr = 0.1, j.batch = 15, j.val_split = 0.2;
        run_shards("shards sgd dropout val", &j, mode);
        j = base;
        j.clip_norm = 0.5, j.batch = 3, j.v = 6;
        run_shards("shards clip small-batch", &j, mode);
    }
    run_gradcheck(t);
    run_convert(t);
    run_manual(t);
    run_big(t, NNB_OPT_ADAM, 0);
    run_big(t, NNB_OPT_SGD, 0.1);
    run_big(t, NNB_OPT_RMSPROP, 0);
#undef RUN
}

/* ---- model files --------------------------------------------------------------------------------- */

static int model_digest(const char *path) {
    nnb_net *net = NULL;
    nnb_prep *prep = NULL;
    nnb_meta *meta = NULL;
    nnb_status st = nnb_model_read(&net, &prep, &meta, path);
    dig d;
    d_init(&d);
    d.cat = S;
    if (st == NNB_OK) {
        d_net(&d, net);
        size_t n = nnb_model_write_size(net, prep, NULL, 1), w = 0;
        unsigned char *buf = malloc(n ? n : 1);
        if (buf && nnb_model_write_buffer(net, prep, NULL, 1, buf, n, &w) == NNB_OK)
            d_bytes(&d, buf, w);
        free(buf);
        /* the metadata without the date, the command line, the data file's description (path,
         * size, CRC), the versions and the timings */
        for (size_t i = 0; i < nnb_meta_n_keys(meta); i++) {
            const char *k = nnb_meta_key(meta, i), *v = nnb_meta_value(meta, i);
            if (!strcmp(k, "saved") || !strcmp(k, "command") || !strncmp(k, "data", 4) ||
                strstr(k, "version") || strstr(k, "second") || strstr(k, "samples") ||
                strstr(k, "time"))
                continue;
            d_bytes(&d, k, strlen(k) + 1);
            d_bytes(&d, v, strlen(v) + 1);
        }
    }
    char name[96];
    const char *base = strrchr(path, '/');
    snprintf(name, sizeof name, "model %s", base ? base + 1 : path);
    emit(name, &d, st);
    nnb_net_free(net);
    nnb_prep_free(prep);
    nnb_meta_free(meta);
    return st == NNB_OK ? 0 : 1;
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "model") == 0) {
        int bad = 0;
        for (int i = 2; i < argc; i++) bad |= model_digest(argv[i]);
        return bad;
    }
    if (argc > 1 && strcmp(argv[1], "lib") != 0) {
        fprintf(stderr, "usage: nnblas-golden [lib] | nnblas-golden model FILE...\n");
        return 2;
    }
    make_data();
    for (int t = 0; t < 2; t++) {
        grid((nnb_dtype)t);
        features((nnb_dtype)t);
    }
    run_lm();
    return 0;
}
