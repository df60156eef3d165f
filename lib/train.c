/*
 * The training loop: history, evaluation, and nnb_train itself — epochs of shuffled
 * mini-batches gathered into one reusable buffer, optimiser steps over the parameter arena,
 * validation, early stopping and callbacks. Nothing is allocated inside the loop.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "train_internal.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- history --------------------------------------------------------------------------------- */

NNB_API nnb_status nnb_history_create(nnb_history **out) {
    NNBI_CHECK_NULL(out, __func__);
    *out = calloc(1, sizeof **out);
    if (!*out) return nnbi_error(NNB_E_NOMEM, __func__, "no memory for a history");
    (*out)->best_loss = NAN;
    return NNB_OK;
}

NNB_API void nnb_history_free(nnb_history *h) {
    if (!h) return;
    free(h->rec);
    free(h);
}

NNB_API size_t nnb_history_len(const nnb_history *h) { return h ? h->len : 0; }

NNB_API nnb_status nnb_history_get(const nnb_history *h, nnb_history_field field, double *dst,
                                   size_t len) {
    NNBI_CHECK_NULL(h, __func__);
    if ((unsigned)field > NNB_HIST_SAMPLES_PER_S)
        return nnbi_error(NNB_E_INVALID_ARG, __func__, "unknown field %d", (int)field);
    if (len != h->len)
        return nnbi_error(NNB_E_SHAPE, __func__, "len is %zu, the history has %zu epochs", len,
                          h->len);
    if (len) NNBI_CHECK_NULL(dst, __func__);
    for (size_t i = 0; i < len; i++) dst[i] = h->rec[i].v[field];
    return NNB_OK;
}

NNB_API nnb_status nnb_history_summary(const nnb_history *h, size_t *best_epoch, double *best_loss,
                                       int *stopped_early) {
    NNBI_CHECK_NULL(h, __func__);
    if (best_epoch) *best_epoch = h->best_epoch;
    if (best_loss) *best_loss = h->best_loss;
    if (stopped_early) *stopped_early = h->stopped_early;
    return NNB_OK;
}

/* Room for `need` records in all: the capacity doubles (overflow-checked), so that a history
 * grows with the epochs actually run, never with the epochs asked for. */
static nnb_status history_grow(nnb_history *h, size_t need, const char *func) {
    if (need <= h->cap) return NNB_OK;
    size_t cap = h->cap ? h->cap : 16;
    while (cap < need) {
        if (cap > SIZE_MAX / 2) return nnbi_error(NNB_E_TOO_LARGE, func, "a history of %zu epochs", need);
        cap *= 2;
    }
    size_t bytes;
    if (!nnbi_mul_size(cap, sizeof(nnbi_epoch_rec), &bytes))
        return nnbi_error(NNB_E_TOO_LARGE, func, "a history of %zu epochs", need);
    nnbi_epoch_rec *r = realloc(h->rec, bytes);
    if (!r) return nnbi_error(NNB_E_NOMEM, func, "no memory for a history of %zu epochs", need);
    h->rec = r;
    h->cap = cap;
    return NNB_OK;
}

nnb_status nnbi_history_reserve(nnb_history *h, size_t more, const char *func) {
    if (!h) return NNB_OK;
    /* before the loop, room for at most NNBI_HISTORY_AHEAD epochs; more grow as they run */
    size_t ahead = more < NNBI_HISTORY_AHEAD ? more : NNBI_HISTORY_AHEAD;
    if (h->len > SIZE_MAX - ahead) return nnbi_error(NNB_E_TOO_LARGE, func, "the history is full");
    return history_grow(h, h->len + ahead, func);
}

nnb_status nnbi_history_add(nnb_history *h, const double v[8], const char *func) {
    if (!h) return NNB_OK;
    if (h->len == h->cap) {
        if (h->len == SIZE_MAX) return nnbi_error(NNB_E_TOO_LARGE, func, "the history is full");
        nnb_status st = history_grow(h, h->len + 1, func);
        if (st != NNB_OK) return st;
    }
    memcpy(h->rec[h->len++].v, v, sizeof h->rec[0].v);
    return NNB_OK;
}

/* ---- evaluation ------------------------------------------------------------------------------ */

/* Loss (reduced) and correct count of n rows — rows idx[i] of x/y, or the first n when idx is
 * NULL — in chunks of `chunk` rows (ws holds at least that many), gathering into xb/yb when idx
 * is given. No allocation. */
static void eval_rows(const nnb_net *net, nnbi_ws *ws, size_t chunk, const double *x,
                      const double *y, const size_t *idx, size_t n, double *xb, double *yb,
                      nnb_loss loss, nnb_reduction red, double *loss_out, size_t *correct,
                      const float *x32, const float *y32) {
    size_t ni = net->n_inputs, no = nnb_net_n_outputs(net);
    nnbi_sum sum = {0, 0};
    size_t hit = 0;
    for (size_t r0 = 0; r0 < n; r0 += chunk) {
        size_t nr = n - r0 < chunk ? n - r0 : chunk;
        const double *xc = x32 ? xb : x + r0 * ni, *yc = x32 ? yb : y + r0 * no;
        if (x32) { /* float data (nnb_train_f32): gathered and converted */
            nnbi_gather_rows(xb, 0, idx ? x32 : x32 + r0 * ni, 1, idx ? idx + r0 : NULL, nr, ni);
            nnbi_gather_rows(yb, 0, idx ? y32 : y32 + r0 * no, 1, idx ? idx + r0 : NULL, nr, no);
            xc = xb, yc = yb;
        } else if (idx) {
            for (size_t i = 0; i < nr; i++) {
                memcpy(xb + i * ni, x + idx[r0 + i] * ni, ni * sizeof *xb);
                memcpy(yb + i * no, y + idx[r0 + i] * no, no * sizeof *yb);
            }
            xc = xb, yc = yb;
        }
        nnbi_forward(net, ws, xc, nr, NULL);
        nnbi_sum_add(&sum, nnbi_output_delta(net, ws, yc, nr, loss, NNB_REDUCTION_SUM, 0, nr));
        hit += nnbi_count_correct(ws->act[net->n_layers - 1], yc, nr, no);
    }
    double total = nnbi_sum_value(&sum);
    *loss_out = red == NNB_REDUCTION_MEAN ? total / (double)n : total;
    *correct = hit;
}

NNB_API nnb_status nnb_net_evaluate(const nnb_net *net, const double *x, size_t rows, size_t x_cols,
                                    const double *y, size_t y_cols, nnb_loss loss,
                                    nnb_reduction reduction, double *loss_out,
                                    double *accuracy_out) {
    if (net && net->dtype == NNB_F32)
        return nnbi_evaluate_on32(net, (nnbi_src){x, NULL}, (nnbi_src){y, NULL}, rows, x_cols,
                                  y_cols, loss, reduction, loss_out, accuracy_out, __func__);
    nnb_status st = nnbi_check_x(net, x, rows, x_cols, __func__);
    if (st == NNB_OK) st = nnbi_check_y(net, y, rows, y_cols, __func__);
    if (st == NNB_OK) st = nnbi_check_loss(net, loss, reduction, __func__);
    if (st != NNB_OK) return st;
    size_t block = nnbi_block_rows(net, x_cols, 3, rows);
    nnbi_ws ws = {0};
    st = nnbi_ws_reserve(net, &ws, block, 1, __func__);
    if (st != NNB_OK) return st;
    double l;
    size_t hit;
    eval_rows(net, &ws, block, x, y, NULL, rows, NULL, NULL, loss, reduction, &l, &hit, NULL, NULL);
    nnbi_ws_free(&ws);
    if (loss_out) *loss_out = l;
    if (accuracy_out) *accuracy_out = nnbi_has_accuracy(net) ? (double)hit / (double)rows : NAN;
    return NNB_OK;
}

/* ---- nnb_train ------------------------------------------------------------------------------- */

static void run_free(nnbi_run *r) {
    free(r->train_idx), free(r->val_idx), free(r->xb), free(r->yb);
}

/* Seeded split of rows into training and validation indices, each in the original order. */
static nnb_status split_rows(nnbi_run *r, size_t rows, double fraction, uint64_t seed,
                             const char *func) {
    size_t n_val = (size_t)floor(fraction * (double)rows + 0.5);
    if (n_val == 0) n_val = 1;
    if (n_val >= rows)
        return nnbi_error(NNB_E_INVALID_ARG, func,
                          "a validation fraction of %g leaves no training rows out of %zu",
                          fraction, rows);
    r->train_idx = malloc(rows * sizeof(size_t));
    r->val_idx = malloc(n_val * sizeof(size_t));
    unsigned char *is_val = calloc(rows, 1);
    if (!r->train_idx || !r->val_idx || !is_val) {
        free(is_val);
        return nnbi_error(NNB_E_NOMEM, func, "no memory for a split of %zu rows", rows);
    }
    /* the last n_val positions of a seeded partial shuffle are the validation rows */
    nnbi_rng g;
    nnbi_rng_seed(&g, seed);
    size_t *p = r->train_idx;
    for (size_t i = 0; i < rows; i++) p[i] = i;
    nnbi_shuffle(&g, p, rows, n_val);
    for (size_t i = rows - n_val; i < rows; i++) is_val[p[i]] = 1;
    size_t a = 0, b = 0;
    for (size_t i = 0; i < rows; i++) {
        if (is_val[i]) r->val_idx[b++] = i;
        else r->train_idx[a++] = i;
    }
    free(is_val);
    r->n_train = a;
    r->n_val = b;
    return NNB_OK;
}

static nnb_status check_opts(const nnb_net *net, const nnb_train_opts *o, const char *func) {
    if (o->shard_count > 1 && o->opt == NNB_OPT_LM)
        return nnbi_error(NNB_E_UNSUPPORTED, func,
                          "Levenberg-Marquardt is not data-parallel; train it in one process");
    if (o->shard_count > 1 && !o->allreduce)
        return nnbi_error(NNB_E_INVALID_ARG, func,
                          "shard %zu of %zu needs an all-reduce function "
                          "(nnb_train_opts_set_allreduce)",
                          o->shard_rank, o->shard_count);
    if (o->opt == NNB_OPT_LM && o->loss != NNB_LOSS_SSE && o->loss != NNB_LOSS_MSE)
        return nnbi_error(NNB_E_INVALID_ARG, func,
                          "Levenberg-Marquardt needs a squared-error loss (SSE or MSE)");
    if (o->val_x && net->check_finite) {
        size_t row, col;
        if (nnbi_find_nonfinite(o->val_x, o->val_rows, net->n_inputs, &row, &col) ||
            nnbi_find_nonfinite(o->val_y, o->val_rows, nnb_net_n_outputs(net), &row, &col))
            return nnbi_error(NNB_E_NONFINITE, func,
                              "the validation set has NaN or infinity in row %zu", row);
    }
    size_t at, no = nnb_net_n_outputs(net);
    if (o->val_x && net->dtype == NNB_F32) {
        if (nnbi_find_beyond32(o->val_x, o->val_rows * net->n_inputs, &at))
            return nnbi_beyond32_error(func, "the validation x", at / net->n_inputs,
                                       at % net->n_inputs, o->val_x[at]);
        if (nnbi_find_beyond32(o->val_y, o->val_rows * no, &at))
            return nnbi_beyond32_error(func, "the validation y", at / no, at % no, o->val_y[at]);
    }
    return NNB_OK;
}

/* The part [*lo, *hi) of n items that shard `rank` of `count` takes. */
static void shard_part(size_t n, size_t rank, size_t count, size_t *lo, size_t *hi) {
    *lo = n * rank / count;
    *hi = n * (rank + 1) / count;
}

/* Sums buf over the workers (nothing to do for one worker). */
static nnb_status allreduce(const nnbi_run *r, double *buf, size_t n) {
    const nnb_train_opts *o = r->opts;
    if (o->shard_count == 1) return NNB_OK;
    int rc = o->allreduce(buf, n, o->allreduce_data);
    if (rc != 0)
        return nnbi_error(NNB_E_COMM, "nnb_train", "the all-reduce of %zu values failed (code %d)",
                          n, rc);
    return NNB_OK;
}

/* Copies the parameters to `keep` (back = 0) or back from it (1): the early-stopping watch's best
 * weights, kept as doubles for either type (exact for float; saved so in the training state). */
static void keep_params(nnb_net *net, double *keep, int back) {
    size_t np = net->n_params;
    if (net->dtype == NNB_F32) {
        if (back) nnbi_f64_to_f32(keep, net->params32, np);
        else nnbi_f32_to_f64(net->params32, keep, np);
    } else if (back) {
        memcpy(net->params, keep, np * sizeof(double));
    } else {
        memcpy(keep, net->params, np * sizeof(double));
    }
}

nnb_status nnbi_epoch_end(nnbi_run *r, double t0, double loss_sum, double hits, double lr,
                          int cancel, int *stop) {
    nnb_net *net = r->net;
    const nnb_train_opts *o = r->opts;
    uint64_t epoch = net->opt.epoch + 1;
    /* validation: this worker's part of the rows, as sums */
    double sums[5] = {loss_sum, hits, 0, 0, cancel};
    size_t nv = r->n_val ? r->n_val : o->val_rows;
    if (r->has_val) {
        size_t lo, hi, vhit = 0;
        shard_part(nv, o->shard_rank, o->shard_count, &lo, &hi);
        if (hi > lo && net->dtype == NNB_F32) {
            nnbi_validate32(r, lo, hi, &sums[2], &vhit);
        } else if (hi > lo) {
            if (r->n_val)
                eval_rows(net, &net->ws, r->chunk, r->x, r->y, r->val_idx + lo, hi - lo, r->xb, r->yb,
                          o->loss, NNB_REDUCTION_SUM, &sums[2], &vhit, r->x32, r->y32);
            else
                eval_rows(net, &net->ws, r->chunk, o->val_x + lo * net->n_inputs,
                          o->val_y + lo * nnb_net_n_outputs(net), NULL, hi - lo, NULL, NULL, o->loss,
                          NNB_REDUCTION_SUM, &sums[2], &vhit, NULL, NULL);
        }
        sums[3] = (double)vhit;
    }
    nnb_status st = allreduce(r, sums, 5);
    if (st != NNB_OK) return st;
    int mean = o->reduction == NNB_REDUCTION_MEAN;
    double train_loss = mean ? sums[0] / (double)r->n_train : sums[0];
    double train_acc = r->acc ? sums[1] / (double)r->n_train : NAN;
    double val_loss = NAN, val_acc = NAN;
    if (r->has_val) {
        val_loss = mean ? sums[2] / (double)nv : sums[2];
        if (r->acc) val_acc = sums[3] / (double)nv;
    }
    double monitored = r->has_val ? val_loss : train_loss;
    int went_up = !isnan(net->opt.last_loss) && monitored > net->opt.last_loss;
    net->opt.last_loss = monitored;
    net->opt.epoch = epoch;
    if (sums[4] > 0)
        return nnbi_error(NNB_E_CANCELLED, "nnb_train",
                          "stopped by a batch callback in epoch %llu", (unsigned long long)epoch);
    /* always on, once an epoch (a pass over the parameters); the loss sums first */
    size_t bad_i;
    int clipping = o->clip_norm > 0 || o->clip_value > 0, f32 = net->dtype == NNB_F32;
    if (!clipping && (!isfinite(sums[0]) || !isfinite(sums[2])))
        return nnbi_error(NNB_E_NONFINITE, "nnb_train",
                          "epoch %llu: the %s loss is %g; training diverged (try a lower learning "
                          "rate than %g)",
                          (unsigned long long)epoch, isfinite(sums[0]) ? "validation" : "training",
                          isfinite(sums[0]) ? sums[2] : sums[0], lr);
    if (f32 ? nnbi_find_nonfinite32(net->params32, net->n_params, 1, &bad_i, NULL)
            : nnbi_find_nonfinite(net->params, net->n_params, 1, &bad_i, NULL))
        return nnbi_error(NNB_E_NONFINITE, "nnb_train",
                          "epoch %llu: parameter %zu became %g; training diverged (try a lower "
                          "learning rate than %g)",
                          (unsigned long long)epoch, bad_i,
                          f32 ? (double)net->params32[bad_i] : net->params[bad_i], lr);
    double secs = now() - t0;
    double sps = secs > 0 ? (double)r->n_train / secs : INFINITY;
    double rec[8];
    rec[NNB_HIST_EPOCH] = (double)epoch;
    rec[NNB_HIST_TRAIN_LOSS] = train_loss;
    rec[NNB_HIST_VAL_LOSS] = val_loss;
    rec[NNB_HIST_TRAIN_ACC] = train_acc;
    rec[NNB_HIST_VAL_ACC] = val_acc;
    rec[NNB_HIST_SECONDS] = secs;
    rec[NNB_HIST_LR] = lr;
    rec[NNB_HIST_SAMPLES_PER_S] = sps;
    nnb_history *h = r->history;
    st = nnbi_history_add(h, rec, "nnb_train");
    if (st != NNB_OK) return st;
    /* the early-stopping watch (net->opt.es: it survives this call and is saved with the state) */
    nnbi_opt_state *os = &net->opt;
    if (monitored < os->es.best) {
        os->es.best = monitored;
        os->es.best_epoch = epoch;
        os->es.since = 0;
        if (os->es.params) keep_params(net, os->es.params, 0);
    } else {
        os->es.since++;
    }
    if (h) {
        h->best_epoch = (size_t)os->es.best_epoch;
        h->best_loss = os->es.best;
    }
    double stop_flag = 0;
    if (o->epoch_info_fn) {
        nnb_epoch_info info = {.size = sizeof info, .epoch = epoch, .last_epoch = r->last_epoch,
                               .train_loss = train_loss, .val_loss = val_loss,
                               .train_acc = train_acc, .val_acc = val_acc, .seconds = secs,
                               .samples_per_s = sps, .lr = lr, .steps = net->opt.step,
                               .rows = r->n_train,
                               .best_epoch = o->patience ? os->es.best_epoch : 0,
                               .loss_went_up = went_up};
        stop_flag = o->epoch_info_fn(net, &info, o->epoch_data) != 0;
    } else if (o->epoch_fn) {
        stop_flag = o->epoch_fn(net, (size_t)epoch, train_loss, val_loss, train_acc, val_acc, secs,
                                sps, went_up, o->epoch_data) != 0;
    }
    /* one worker's callback stops them all (a no-op for one worker) */
    if (o->epoch_fn || o->epoch_info_fn) {
        st = allreduce(r, &stop_flag, 1);
        if (st != NNB_OK) return st;
    }
    if (stop_flag > 0)
        return nnbi_error(NNB_E_CANCELLED, "nnb_train",
                          "stopped by the epoch callback after epoch %llu",
                          (unsigned long long)epoch);
    if (o->patience && os->es.since >= o->patience) {
        r->stopped_early = 1;
        *stop = 1;
        /* restore_best: the best epoch's weights; then a fresh watch for a later call */
        if (os->es.params && os->es.best_epoch > 0 && os->es.best_epoch != epoch)
            keep_params(net, os->es.params, 1);
        os->es.best = INFINITY;
        os->es.best_epoch = 0;
        os->es.since = 0;
    }
    return NNB_OK;
}

/* The start of an epoch: the shuffle, or the continuation of an epoch stopped within (its
 * position is in net->opt.ep when it was stopped with the same split and batch size). Returns
 * the first batch to run; *loss_sum and *hit get the epoch's sums so far. */
size_t nnbi_epoch_begin(nnbi_run *r, size_t *perm, int shuffle, size_t B, size_t n_batches,
                        nnbi_sum *loss_sum, size_t *hit) {
    nnb_net *net = r->net;
    nnbi_opt_state *os = &net->opt;
    int cont = os->ep.batches > 0 && os->ep.batches < n_batches && os->ep.n_train == r->n_train &&
               os->ep.batch == B;
    nnbi_rng now_rng = net->rng;
    if (cont)
        for (int i = 0; i < 4; i++) net->rng.s[i] = os->ep.rng[i];
    else
        for (int i = 0; i < 4; i++) os->ep.rng[i] = net->rng.s[i];
    /* Each epoch shuffles the rows from their original order, so an epoch's batches depend
     * only on the generator's state, and resumed runs see the same batches. */
    if (shuffle) {
        for (size_t i = 0; i < r->n_train; i++) perm[i] = r->train_idx ? r->train_idx[i] : i;
        nnbi_shuffle(&net->rng, perm, r->n_train, r->n_train);
    }
    size_t b0 = 0;
    if (cont) { /* the generator where the stopped epoch left it (dropout masks drawn since) */
        net->rng = now_rng;
        b0 = (size_t)os->ep.batches;
        loss_sum->s = os->ep.loss_sum;
        loss_sum->c = os->ep.loss_c;
        *hit = (size_t)os->ep.hits;
    }
    os->ep.batches = 0;
    return b0;
}

/* Training stopped within an epoch after `done` batches: the position, for the next call. */
nnb_status nnbi_stopped_within(nnbi_run *r, size_t B, size_t done, nnbi_sum loss_sum,
                               size_t hit) {
    nnbi_opt_state *os = &r->net->opt;
    if (done == 0) /* before the epoch's first batch: as if it had not started (its shuffle undone) */
        for (int i = 0; i < 4; i++) r->net->rng.s[i] = os->ep.rng[i];
    os->ep.batches = done;
    os->ep.n_train = r->n_train;
    os->ep.batch = B;
    os->ep.loss_sum = loss_sum.s;
    os->ep.loss_c = loss_sum.c;
    os->ep.hits = (double)hit;
    return nnbi_error(NNB_E_CANCELLED, "nnb_train",
                      "stopped on request in epoch %llu after batch %zu",
                      (unsigned long long)os->epoch + 1, done);
}

/* A batch whose loss is not finite. */
nnb_status nnbi_diverged(uint64_t epoch, size_t batch, double loss, double lr) {
    return nnbi_error(NNB_E_NONFINITE, "nnb_train",
                      "epoch %llu, batch %zu: the loss is %g; training diverged (try a learning "
                      "rate lower than %g)",
                      (unsigned long long)epoch, batch, loss, lr);
}

/* ||g||_2 without overflow from ss = sum g_i^2 (g double, or float when g32 is set): sqrt(ss), or
 * the scaled sum when ss overflowed. */
static double grad_norm(const double *g, const float *g32, size_t n, double ss) {
    double norm = sqrt(ss);
    if (isfinite(norm)) return norm;
    double amax = 0, s = 0;
    for (size_t i = 0; i < n; i++) {
        double a = fabs(g32 ? (double)g32[i] : g[i]);
        amax = a > amax ? a : amax;
    }
    for (size_t i = 0; i < n; i++) {
        double q = (g32 ? (double)g32[i] : g[i]) / amax;
        s += q * q;
    }
    return amax * sqrt(s);
}

/* The gradient checks and clipping before a step, in PyTorch's order and with its definitions:
 * a non-finite gradient is an error (before it could be clipped away); then clipping by value,
 * g_i <- min(max(g_i, -c), c) (clip_grad_value_); then clipping by norm, g <- g * k with
 * k = max_norm / (||g||_2 + 1e-6) when k < 1 (clip_grad_norm_). A float32 network's gradient is
 * clipped in float (its sum of squares accumulated in double). */
nnb_status nnbi_clip_gradient(nnb_net *net, const nnb_train_opts *o, uint64_t epoch,
                              size_t batch) {
    const size_t np = net->n_params;
    const int f32 = net->dtype == NNB_F32;
    double *g = net->grads;
    float *g32 = net->grads32;
    /* One vectorised pass: a finite sum of squares means every element is finite; only when it
     * is not does the scan tell a non-finite element from an overflowing sum. */
    double ss = f32 ? net->k32->sumsq(np, g32) : net->k->sumsq(np, g);
    size_t bad;
    if (!isfinite(ss) && (f32 ? nnbi_find_nonfinite32(g32, np, 1, &bad, NULL)
                              : nnbi_find_nonfinite(g, np, 1, &bad, NULL)))
        return nnbi_error(NNB_E_NONFINITE, "nnb_train",
                          "epoch %llu, batch %zu: the gradient is not finite (parameter %zu is %g)",
                          (unsigned long long)epoch, batch, bad,
                          f32 ? (double)g32[bad] : g[bad]);
    if (o->clip_value > 0) {
        const double c = o->clip_value;
        if (f32) {
            const float cf = (float)c;
            for (size_t i = 0; i < np; i++) g32[i] = g32[i] > cf ? cf : g32[i] < -cf ? -cf : g32[i];
            if (o->clip_norm > 0) ss = net->k32->sumsq(np, g32);
        } else {
            for (size_t i = 0; i < np; i++) g[i] = g[i] > c ? c : g[i] < -c ? -c : g[i];
            if (o->clip_norm > 0) ss = net->k->sumsq(np, g); /* the norm of the clipped values */
        }
    }
    if (o->clip_norm > 0) {
        double k = o->clip_norm / (grad_norm(f32 ? NULL : g, f32 ? g32 : NULL, np, ss) + 1e-6);
        if (k < 1.0) {
            if (f32) net->k32->scal(np, k, g32);
            else net->k->scal(np, k, g);
        }
    }
    return NNB_OK;
}

/* The mini-batch loop (every optimiser but LM). `drop_rng` draws the dropout masks. */
static nnb_status train_batches(nnbi_run *r, size_t B, double *drop, size_t *perm,
                                nnbi_rng *drop_rng) {
    nnb_net *net = r->net;
    const nnb_train_opts *o = r->opts;
    const char *func = "nnb_train";
    const size_t ni = net->n_inputs, no = nnb_net_n_outputs(net), L = net->n_layers;
    const size_t n_batches = (r->n_train + B - 1) / B, np = net->n_params;
    const int in_place = perm == NULL && r->x32 == NULL;
    const int shuffle = o->shuffle && B < r->n_train;
    const int sharded = o->shard_count > 1;
    const int fused = o->opt == NNB_OPT_SGD && o->clip_norm == 0 && o->clip_value == 0 &&
                      !o->check_finite && !sharded;
    const int mean = o->reduction == NNB_REDUCTION_MEAN;
    const int clipping = o->clip_norm > 0 || o->clip_value > 0;
    for (size_t e = 0; e < o->epochs; e++) {
        double t0 = now();
        double lr = nnbi_schedule_lr(&net->opt.sched, net->opt.epoch);
        uint64_t epoch = net->opt.epoch + 1;
        nnbi_sum loss_sum = {0, 0}; /* the epoch's loss over its rows, compensated */
        size_t hit = 0;
        int cancel = 0; /* a batch callback asked to stop */
        size_t b0 = nnbi_epoch_begin(r, perm, shuffle, B, n_batches, &loss_sum, &hit);
        for (size_t b = b0; b < n_batches; b++) {
            /* a stop request (signal handler, other thread): between batches; with shards in
             * the batch's all-reduce, where the workers agree */
            if (!sharded && nnbi_stop_requested(o)) return nnbi_stopped_within(r, B, b, loss_sum, hit);
            size_t r0 = b * B, nb = r->n_train - r0 < B ? r->n_train - r0 : B;
            size_t lo = 0, hi = nb; /* this worker's part of the batch */
            if (sharded) shard_part(nb, o->shard_rank, o->shard_count, &lo, &hi);
            size_t nr = hi - lo;
            const double *xb = r->x32 ? r->xb : r->x + (r0 + lo) * ni;
            const double *yb = r->x32 ? r->yb : r->y + (r0 + lo) * no;
            if (r->x32) { /* float data (nnb_train_f32): gathered and converted */
                const size_t *ix = perm ? perm + r0 + lo : NULL;
                nnbi_gather_rows(r->xb, 0, ix ? r->x32 : r->x32 + (r0 + lo) * ni, 1, ix, nr, ni);
                nnbi_gather_rows(r->yb, 0, ix ? r->y32 : r->y32 + (r0 + lo) * no, 1, ix, nr, no);
                xb = r->xb, yb = r->yb;
            } else if (!in_place) {
                for (size_t i = 0; i < nr; i++) {
                    memcpy(r->xb + i * ni, r->x + perm[r0 + lo + i] * ni, ni * sizeof(double));
                    memcpy(r->yb + i * no, r->y + perm[r0 + lo + i] * no, no * sizeof(double));
                }
                xb = r->xb, yb = r->yb;
            }
            double own = 0; /* this worker's part of the batch loss */
            if (nr > 0) {
                nnbi_forward(net, &net->ws, xb, nr, drop ? drop_rng : NULL);
                own = nnbi_output_delta(net, &net->ws, yb, nr, o->loss, o->reduction, 1, nb);
                if (r->acc) hit += nnbi_count_correct(net->ws.act[L - 1], yb, nr, no);
            }
            /* the epoch's loss as a sum over rows: this worker's part (summed at the epoch's end) */
            nnbi_sum_add(&loss_sum, mean ? own * (double)nb : own);
            double bl = own; /* the whole batch's loss */
            if (fused) {
                if (!isfinite(bl)) return nnbi_diverged(epoch, b + 1, bl, lr);
                nnbi_backward_sgd(net, &net->ws, xb, nr, lr, o->weight_decay);
                net->opt.step++;
            } else {
                if (sharded && o->grad_ready) { /* the all-reduce starts during the pass */
                    int rc = nnbi_backward_ready(net, &net->ws, xb, nr, net->grads, o->grad_ready,
                                                 o->grad_ready_data, o->grad_ready_piece);
                    if (rc != 0)
                        return nnbi_error(NNB_E_COMM, func,
                                          "the gradient hook failed (code %d, epoch %llu, batch "
                                          "%zu)",
                                          rc, (unsigned long long)epoch, b + 1);
                } else if (nr > 0) {
                    nnbi_backward(net, &net->ws, xb, nr, net->grads);
                } else {
                    memset(net->grads, 0, np * sizeof(double));
                }
                if (sharded) { /* sum the gradient, the loss and the flags over the workers */
                    net->grads[np] = own;
                    /* a stop request rides on the cancel flag: no extra all-reduce */
                    net->grads[np + 1] = cancel || nnbi_stop_requested(o);
                    nnb_status st = allreduce(r, net->grads, np + 2);
                    if (st != NNB_OK) return st;
                    bl = net->grads[np];
                    if (net->grads[np + 1] > 0)
                        return nnbi_error(NNB_E_CANCELLED, func,
                                          "stopped by a batch callback or on request (epoch "
                                          "%llu, batch %zu)",
                                          (unsigned long long)epoch, b);
                }
                /* always on (one comparison per batch), unless clipping tames the steps of a
                 * loss that overflows: then the parameters are checked once an epoch */
                if (!isfinite(bl) && !clipping) return nnbi_diverged(epoch, b + 1, bl, lr);
                if (o->check_finite || o->clip_norm > 0 || o->clip_value > 0) {
                    nnb_status st = nnbi_clip_gradient(net, o, epoch, b + 1);
                    if (st != NNB_OK) return st;
                }
                nnbi_opt_step(net, o, lr);
            }
            if (o->batch_fn && o->batch_fn(epoch, b + 1, n_batches, bl, o->batch_data)) {
                if (!sharded) {
                    nnbi_stopped_within(r, B, b + 1, loss_sum, hit);
                    return nnbi_error(NNB_E_CANCELLED, func,
                                      "stopped by the batch callback (epoch %llu, batch %zu)",
                                      (unsigned long long)epoch, b + 1);
                }
                cancel = 1; /* the workers stop together, at the next all-reduce */
            }
        }
        int stop = 0;
        nnb_status st = nnbi_epoch_end(r, t0, nnbi_sum_value(&loss_sum), (double)hit, lr, cancel,
                                        &stop);
        if (st != NNB_OK || stop) return st;
    }
    return NNB_OK;
}

/* The early-stopping watch for this call: kept from earlier calls (and resumed states) while
 * patience is on, with a buffer for the best weights under restore_best; cleared without. */
static nnb_status watch_setup(nnb_net *net, const nnb_train_opts *opts, const char *func) {
    nnbi_opt_state *os = &net->opt;
    if (!opts->patience) {
        free(os->es.params);
        os->es.params = NULL;
        os->es.on = 0;
        os->es.best = INFINITY;
        os->es.best_epoch = os->es.since = 0;
        return NNB_OK;
    }
    if (!os->es.on) {
        os->es.on = 1;
        os->es.best = INFINITY;
        os->es.best_epoch = os->es.since = 0;
    }
    if (!opts->restore_best) {
        free(os->es.params);
        os->es.params = NULL;
    } else if (!os->es.params) {
        os->es.params = malloc((net->n_params ? net->n_params : 1) * sizeof(double));
        if (!os->es.params) return nnbi_error(NNB_E_NOMEM, func, "no memory for the best weights");
        keep_params(net, os->es.params, 0);
    }
    return NNB_OK;
}

/* nnb_train and nnb_train_f32: x and y are double or float (x.f set). */
static nnb_status train(nnb_net *net, const nnb_train_opts *opts, nnbi_src x, size_t rows,
                        size_t x_cols, nnbi_src y, size_t y_cols, nnb_history *history,
                        const char *func) {
    NNBI_CHECK_NULL(opts, func);
    nnb_status st = nnbi_check_src(net, x, y, rows, x_cols, y_cols, func);
    if (st == NNB_OK) st = nnbi_check_loss(net, opts->loss, opts->reduction, func);
    if (st == NNB_OK) st = check_opts(net, opts, func);
    if (st != NNB_OK) return st;
    int f32 = net->dtype == NNB_F32;
    if (opts->opt == NNB_OPT_LM && (f32 || x.f))
        return nnbi_error(NNB_E_UNSUPPORTED, func,
                          "Levenberg-Marquardt needs a float64 network and float64 data "
                          "(nnb_net_convert)");

    const size_t ni = net->n_inputs, no = nnb_net_n_outputs(net), L = net->n_layers;
    nnbi_run r = {.net = net, .opts = opts, .history = history, .x = x.d, .y = y.d, .x32 = x.f,
                  .y32 = y.f, .n_train = rows};
    size_t *perm = NULL;
    double *drop = NULL;
    if (opts->val_fraction > 0) {
        st = split_rows(&r, rows, opts->val_fraction, opts->val_seed, func);
        if (st != NNB_OK) goto out;
    }
    r.has_val = r.n_val > 0 || opts->val_x != NULL;
    /* accuracy is counted only where someone reads it (a history or the epoch callback) */
    r.acc = nnbi_has_accuracy(net) && (history || opts->epoch_fn || opts->epoch_info_fn);
    if ((uint64_t)opts->epochs > UINT64_MAX - net->opt.epoch) {
        st = nnbi_error(NNB_E_TOO_LARGE, func, "%zu epochs more after %llu overflow the epoch count",
                        opts->epochs, (unsigned long long)net->opt.epoch);
        goto out;
    }
    r.last_epoch = net->opt.epoch + opts->epochs;
    int lm = opts->opt == NNB_OPT_LM;
    /* Mini-batch size; LM always works on the whole training set. */
    size_t B = lm || opts->batch == 0 || opts->batch > r.n_train ? r.n_train : opts->batch;
    int shuffle = !lm && opts->shuffle && B < r.n_train;
    /* Batches are read in place when they are contiguous slices of x; otherwise gathered. */
    int gather = shuffle || r.train_idx != NULL;
    r.chunk = B;

    /* Everything the loop needs is allocated here, before it. A float32 network gathers (and
     * converts) into its workspace; a float64 one converts float data into xb/yb. */
    if (!f32 && (gather || r.n_val || x.f)) {
        r.xb = malloc(B * ni * sizeof(double));
        r.yb = malloc(B * no * sizeof(double));
        if (!r.xb || !r.yb) {
            st = nnbi_error(NNB_E_NOMEM, func, "no memory for batch buffers of %zu rows", B);
            goto out;
        }
    }
    if (gather) {
        perm = malloc(r.n_train * sizeof *perm);
        if (!perm) {
            st = nnbi_error(NNB_E_NOMEM, func, "no memory for %zu row indices", r.n_train);
            goto out;
        }
        for (size_t i = 0; i < r.n_train; i++) perm[i] = r.train_idx ? r.train_idx[i] : i;
    }
    if (!lm && opts->dropout > 0 && L > 1) {
        drop = calloc(L, sizeof *drop);
        if (!drop) {
            st = nnbi_error(NNB_E_NOMEM, func, "no memory");
            goto out;
        }
        for (size_t l = 0; l + 1 < L; l++) drop[l] = opts->dropout;
    }
    st = watch_setup(net, opts, func);
    if (st != NNB_OK) goto out;
    net->ws.drop = drop;
    net->ws32.drop = drop;
    if (f32) /* the input buffers: batches gathered or converted, validation */
        st = nnbi_ws32_reserve(net, &net->ws32, B, 1, gather || r.has_val || !x.f, func);
    else
        st = nnbi_ws_reserve(net, &net->ws, B, 1, func);
    if (st == NNB_OK) st = nnbi_opt_prepare(net, opts, func);
    if (st == NNB_OK) st = nnbi_history_reserve(history, opts->epochs, func);
    if (st != NNB_OK) goto out;
    nnbi_schedule_begin(net, opts);

    /* Dropout masks come from the network's generator, except with shards: each worker draws
     * different masks, and the shared generator must stay in step for the shuffles. */
    nnbi_rng drop_rng, *drng = &net->rng;
    if (drop && opts->shard_count > 1) {
        nnbi_rng_seed(&drop_rng, nnbi_rng_next(&net->rng) ^ (0x9e3779b97f4a7c15ULL *
                                                             (uint64_t)(opts->shard_rank + 1)));
        drng = &drop_rng;
    }
    st = lm ? nnbi_train_lm(&r)
       : f32 ? nnbi_train_batches32(&r, B, drop, perm, drng)
             : train_batches(&r, B, drop, perm, drng);
    if (history) history->stopped_early = r.stopped_early;

out:
    net->ws.drop = NULL;
    net->ws32.drop = NULL;
    free(perm);
    free(drop);
    run_free(&r);
    return st;
}

NNB_API nnb_status nnb_train(nnb_net *net, const nnb_train_opts *opts, const double *x, size_t rows,
                             size_t x_cols, const double *y, size_t y_cols, nnb_history *history) {
    return train(net, opts, (nnbi_src){x, NULL}, rows, x_cols, (nnbi_src){y, NULL}, y_cols, history,
                 __func__);
}

NNB_API nnb_status nnb_train_f32(nnb_net *net, const nnb_train_opts *opts, const float *x,
                                 size_t rows, size_t x_cols, const float *y, size_t y_cols,
                                 nnb_history *history) {
    return train(net, opts, (nnbi_src){NULL, x}, rows, x_cols, (nnbi_src){NULL, y}, y_cols, history,
                 __func__);
}
