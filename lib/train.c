/*
 * nnb_net_train and nnb_net_train_f32: the checks, and everything the training loops need allocated
 * before they run (the split, the row permutation, dropout rates, the best-weights copy, the
 * workspace, the optimiser moments, the history); then the mini-batch loop (train_loop.c) or
 * Levenberg-Marquardt (lm.c). Nothing is allocated inside the loops.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "train_internal.h"

/* ---- nnb_net_train ------------------------------------------------------------------------------- */

static void run_free(nnbi_run *r) { free(r->train_idx), free(r->val_idx); }

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
        if (is_val[i])
            r->val_idx[b++] = i;
        else
            r->train_idx[a++] = i;
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
    size_t at, ni = net->n_inputs, no = nnbi_n_outputs(net);
    const nnbi_elem *f64 = nnbi_elem_get(NNB_F64);
    if (o->val_x && net->check_finite) {
        int bad = f64->find_nonfinite(o->val_x, o->val_rows * ni, &at);
        size_t row = at / ni;
        if (!bad && (bad = f64->find_nonfinite(o->val_y, o->val_rows * no, &at))) row = at / no;
        if (bad)
            return nnbi_error(NNB_E_NONFINITE, func,
                              "the validation set has NaN or infinity in row %zu", row);
    }
    if (o->val_x) {
        if (nnbi_find_beyond(net->t, o->val_x, o->val_rows * ni, &at))
            return nnbi_beyond32_error(func, "the validation x", at / ni, at % ni, o->val_x[at]);
        if (nnbi_find_beyond(net->t, o->val_y, o->val_rows * no, &at))
            return nnbi_beyond32_error(func, "the validation y", at / no, at % no, o->val_y[at]);
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
        nnbi_keep_params(net, os->es.params, 0);
    }
    return NNB_OK;
}

/* The checks of nnb_net_train's arguments. */
static nnb_status check(nnb_net *net, const nnb_train_opts *opts, nnbi_src x, size_t rows,
                        size_t x_cols, nnbi_src y, size_t y_cols, const char *func) {
    NNBI_CHECK_NULL(opts, func);
    nnb_status st = nnbi_check_x(net, x, rows, x_cols, func);
    if (st == NNB_OK) st = nnbi_check_y(net, y, rows, y_cols, func);
    if (st == NNB_OK) st = nnbi_check_loss(net, opts->loss, opts->reduction, func);
    if (st == NNB_OK) st = check_opts(net, opts, func);
    if (st != NNB_OK) return st;
    if (opts->opt == NNB_OPT_LM && (net->dtype != NNB_F64 || x.t != NNB_F64))
        return nnbi_error(NNB_E_UNSUPPORTED, func,
                          "Levenberg-Marquardt needs a float64 network and float64 data "
                          "(nnb_net_copy)");
    if ((uint64_t)opts->epochs > UINT64_MAX - net->opt.epoch)
        return nnbi_error(NNB_E_TOO_LARGE, func,
                          "%zu epochs more after %llu overflow the epoch count", opts->epochs,
                          (unsigned long long)net->opt.epoch);
    return NNB_OK;
}

/* What the loop needs beside the workspace: the row permutation (gather), the dropout rates and
 * the float64 all-reduce buffer of a float32 network's gradient. */
typedef struct loop_bufs {
    size_t *perm;
    double *drop, *red;
} loop_bufs;

static nnb_status alloc_bufs(const nnbi_run *r, int gather, loop_bufs *b, const char *func) {
    const nnb_net *net = r->net;
    const nnb_train_opts *opts = r->opts;
    const size_t L = net->n_layers;
    if (gather) {
        b->perm = malloc(r->n_train * sizeof *b->perm);
        if (!b->perm)
            return nnbi_error(NNB_E_NOMEM, func, "no memory for %zu row indices", r->n_train);
        for (size_t i = 0; i < r->n_train; i++) b->perm[i] = r->train_idx ? r->train_idx[i] : i;
    }
    if (opts->opt != NNB_OPT_LM && opts->dropout > 0 && L > 1) {
        b->drop = calloc(L, sizeof *b->drop);
        if (!b->drop) return nnbi_error(NNB_E_NOMEM, func, "no memory");
        for (size_t l = 0; l + 1 < L; l++) b->drop[l] = opts->dropout;
    }
    if (opts->shard_count > 1 && net->dtype != NNB_F64 && !opts->allreduce32) {
        b->red = malloc((net->n_params + 2) * sizeof *b->red);
        if (!b->red) return nnbi_error(NNB_E_NOMEM, func, "no memory for the all-reduce");
    }
    return NNB_OK;
}

/* nnb_net_train and nnb_net_train_f32: x and y of either type. */
static nnb_status train(nnb_net *net, const nnb_train_opts *opts, nnbi_src x, size_t rows,
                        size_t x_cols, nnbi_src y, size_t y_cols, nnb_history *history,
                        const char *func) {
    nnb_status st = check(net, opts, x, rows, x_cols, y, y_cols, func);
    /* the whole run's memory, before any of it is allocated (train_memory.c) */
    if (st == NNB_OK) st = nnbi_train_memory_check(net, opts, rows, func);
    if (st != NNB_OK) return st;
    nnbi_run r = {.net = net, .opts = opts, .history = history, .x = x, .y = y, .n_train = rows};
    loop_bufs b = {0};
    if (opts->val_fraction > 0) {
        st = split_rows(&r, rows, opts->val_fraction, opts->val_seed, func);
        if (st != NNB_OK) goto out;
    }
    r.has_val = r.n_val > 0 || opts->val_x != NULL;
    /* accuracy is counted only where someone reads it (a history or the epoch callback) */
    r.acc = nnbi_has_accuracy(net) && (history || opts->epoch_fn || opts->epoch_info_fn);
    r.last_epoch = net->opt.epoch + opts->epochs;
    int lm = opts->opt == NNB_OPT_LM;
    /* Mini-batch size; LM always works on the whole training set. */
    size_t B = lm || opts->batch == 0 || opts->batch > r.n_train ? r.n_train : opts->batch;
    int shuffle = !lm && opts->shuffle && B < r.n_train;
    /* Batches are read in place when they are contiguous slices of x; otherwise gathered. */
    int gather = shuffle || r.train_idx != NULL;
    r.chunk = B;

    /* Everything the loop needs is allocated here, before it: the workspace has room for
     * batches gathered or converted and for the validation rows. */
    st = alloc_bufs(&r, gather, &b, func);
    if (st == NNB_OK) st = watch_setup(net, opts, func);
    if (st != NNB_OK) goto out;
    net->ws.drop = b.drop;
    st = nnbi_ws_reserve(net, &net->ws, B, 1, gather || r.has_val || x.t != net->dtype, func);
    if (st == NNB_OK) st = nnbi_opt_prepare(net, opts, func);
    if (st == NNB_OK) st = nnbi_history_reserve(history, opts->epochs, func);
    if (st != NNB_OK) goto out;
    nnbi_schedule_begin(net, opts);

    /* Dropout masks come from the network's generator, except with shards: each worker draws
     * different masks, and the shared generator must stay in step for the shuffles. */
    nnbi_rng drop_rng, *drng = &net->rng;
    if (b.drop && opts->shard_count > 1) {
        nnbi_rng_seed(&drop_rng, nnbi_rng_next(&net->rng) ^
                                     (0x9e3779b97f4a7c15ULL * (uint64_t)(opts->shard_rank + 1)));
        drng = &drop_rng;
    }
    /* A network with convolution or pooling layers shares each batch among threads (team.c) */
    size_t n_team = lm ? 1 : nnbi_team_size(net, opts, B, nnb_get_num_threads());
    st = nnbi_team_start(&r.team, net, n_team, B, b.drop, func);
    if (st != NNB_OK) goto out;
    st = nnbi_explain_divergence(/* diverge.c */
                                 net, opts,
                                 lm ? nnbi_train_lm(&r)
                                    : nnbi_train_batches(&r, B, b.drop, b.perm, drng, b.red));
    if (history) history->stopped_early = r.stopped_early;

out:
    nnbi_team_stop(r.team);
    net->ws.drop = NULL;
    free(b.perm), free(b.drop), free(b.red);
    run_free(&r);
    return st;
}

NNB_API nnb_status nnb_net_train(nnb_net *net, const nnb_train_opts *opts, const double *x,
                                 size_t rows, size_t x_cols, const double *y, size_t y_cols,
                                 nnb_history *history) {
    return train(net, opts, nnbi_src_f64(x), rows, x_cols, nnbi_src_f64(y), y_cols, history,
                 __func__);
}
NNBI_DEPRECATED_ALIAS(nnb_train, nnb_net_train);

NNB_API nnb_status nnb_net_train_f32(nnb_net *net, const nnb_train_opts *opts, const float *x,
                                     size_t rows, size_t x_cols, const float *y, size_t y_cols,
                                     nnb_history *history) {
    return train(net, opts, nnbi_src_f32(x), rows, x_cols, nnbi_src_f32(y), y_cols, history,
                 __func__);
}
NNBI_DEPRECATED_ALIAS(nnb_train_f32, nnb_net_train_f32);
