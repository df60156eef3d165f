/*
 * What the training loops share (the mini-batch loop of train_loop.c and Levenberg-Marquardt):
 * the start of an epoch (its shuffle, or the continuation of one stopped within), a stop within
 * an epoch, the gradient's checks and clipping, and the end of an epoch — validation, the
 * history record, the early-stopping watch, the epoch callbacks — with the data-parallel sums.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "train_internal.h"

double nnbi_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void nnbi_shard_part(size_t n, size_t rank, size_t count, size_t *lo, size_t *hi) {
    *lo = n * rank / count;
    *hi = n * (rank + 1) / count;
}

nnb_status nnbi_allreduce(const nnb_train_opts *o, double *buf, size_t n) {
    if (o->shard_count == 1) return NNB_OK;
    int rc = o->allreduce(buf, n, o->allreduce_data);
    if (rc != 0)
        return nnbi_error(NNB_E_COMM, "nnb_net_train",
                          "the all-reduce of %zu values failed (code %d)", n, rc);
    return NNB_OK;
}

void nnbi_keep_params(nnb_net *net, double *keep, int back) {
    if (back)
        nnbi_convert(net->params, net->dtype, keep, NNB_F64, net->n_params);
    else
        nnbi_convert(keep, NNB_F64, net->params, net->dtype, net->n_params);
}

/* ---- the end of an epoch ------------------------------------------------------------------------- */

/* Validation rows [r0, r0 + n) of x/y (idx: of the split), shared by the team. */
typedef struct val_job {
    nnbi_run *r;
    nnbi_src x, y;
    const size_t *idx;
    size_t r0, n;
} val_job;

static void val_part(void *arg, size_t t) {
    const val_job *j = arg;
    nnb_net *net = j->r->net;
    nnbi_mate *m = nnbi_team_mate(j->r->team, t);
    size_t lo, hi;
    nnbi_shard_part(j->n, t, nnbi_team_workers(j->r->team), &lo, &hi);
    m->loss = 0;
    m->hits = 0;
    if (hi > lo)
        nnbi_eval(net, t == 0 ? &net->ws : &m->ws, nnbi_team_rows(j->r->team), j->x, j->y, j->idx,
                  j->r0 + lo, hi - lo, j->r->opts->loss, &m->loss, &m->hits);
}

static void eval_rows(nnbi_run *r, nnbi_src x, nnbi_src y, const size_t *idx, size_t r0, size_t n,
                      double *loss, size_t *hits) {
    if (!r->team) {
        nnbi_eval(r->net, &r->net->ws, r->chunk, x, y, idx, r0, n, r->opts->loss, loss, hits);
        return;
    }
    val_job j = {r, x, y, idx, r0, n};
    nnbi_team_run(r->team, val_part, &j);
    *loss = 0;
    *hits = 0;
    for (size_t t = 0; t < nnbi_team_workers(r->team); t++) {
        *loss += nnbi_team_mate(r->team, t)->loss;
        *hits += nnbi_team_mate(r->team, t)->hits;
    }
}

/* This worker's part of the validation rows: loss sum into sums[2], hits into sums[3]. */
static void validate(nnbi_run *r, double sums[5]) {
    const nnb_train_opts *o = r->opts;
    size_t nv = r->n_val ? r->n_val : o->val_rows, lo, hi, vhit = 0;
    nnbi_shard_part(nv, o->shard_rank, o->shard_count, &lo, &hi);
    if (hi > lo && r->n_val)
        eval_rows(r, r->x, r->y, r->val_idx, lo, hi - lo, &sums[2], &vhit);
    else if (hi > lo)
        eval_rows(r, nnbi_src_f64(o->val_x), nnbi_src_f64(o->val_y), NULL, lo, hi - lo, &sums[2],
                  &vhit);
    sums[3] = (double)vhit;
}

/* NNB_E_NONFINITE when the epoch's losses (unless clipping tames the steps of a loss that
 * overflows) or the parameters are not finite: checked once an epoch, a pass over the
 * parameters. */
static nnb_status check_finite(const nnbi_run *r, const double sums[5], uint64_t epoch, double lr) {
    const nnb_net *net = r->net;
    const nnb_train_opts *o = r->opts;
    int clipping = o->clip_norm > 0 || o->clip_value > 0;
    if (!clipping && (!isfinite(sums[0]) || !isfinite(sums[2])))
        return nnbi_error(NNB_E_NONFINITE, "nnb_net_train",
                          "epoch %llu: the %s loss is %g; training diverged (try a lower learning "
                          "rate than %g)",
                          (unsigned long long)epoch, isfinite(sums[0]) ? "validation" : "training",
                          isfinite(sums[0]) ? sums[2] : sums[0], lr);
    size_t bad_i;
    if (net->t->find_nonfinite(net->params, net->n_params, &bad_i))
        return nnbi_error(NNB_E_NONFINITE, "nnb_net_train",
                          "epoch %llu: parameter %zu became %g; training diverged (try a lower "
                          "learning rate than %g)",
                          (unsigned long long)epoch, bad_i, net->t->get(net->params, bad_i), lr);
    return NNB_OK;
}

/* The early-stopping watch (net->opt.es: it survives this call and is saved with the state). */
static void watch(nnbi_run *r, double monitored, uint64_t epoch) {
    nnbi_opt_state *os = &r->net->opt;
    if (monitored < os->es.best) {
        os->es.best = monitored;
        os->es.best_epoch = epoch;
        os->es.since = 0;
        if (os->es.params) nnbi_keep_params(r->net, os->es.params, 0);
    } else {
        os->es.since++;
    }
    if (r->history) {
        r->history->best_epoch = (size_t)os->es.best_epoch;
        r->history->best_loss = os->es.best;
    }
}

/* The epoch callback of the options (the record's or the positional one); one worker's request
 * to stop stops them all. */
static nnb_status callback(nnbi_run *r, const double rec[8], int went_up) {
    const nnb_train_opts *o = r->opts;
    nnb_net *net = r->net;
    uint64_t epoch = net->opt.epoch;
    double stop_flag = 0;
    if (o->epoch_info_fn) {
        nnb_epoch_info info = {.size = sizeof info,
                               .epoch = epoch,
                               .last_epoch = r->last_epoch,
                               .train_loss = rec[NNB_HIST_TRAIN_LOSS],
                               .val_loss = rec[NNB_HIST_VAL_LOSS],
                               .train_acc = rec[NNB_HIST_TRAIN_ACC],
                               .val_acc = rec[NNB_HIST_VAL_ACC],
                               .seconds = rec[NNB_HIST_SECONDS],
                               .samples_per_s = rec[NNB_HIST_SAMPLES_PER_S],
                               .lr = rec[NNB_HIST_LR],
                               .steps = net->opt.step,
                               .rows = r->n_train,
                               .best_epoch = o->patience ? net->opt.es.best_epoch : 0,
                               .loss_went_up = went_up};
        stop_flag = o->epoch_info_fn(net, &info, o->epoch_data) != 0;
    } else if (o->epoch_fn) {
        stop_flag =
            o->epoch_fn(net, (size_t)epoch, rec[NNB_HIST_TRAIN_LOSS], rec[NNB_HIST_VAL_LOSS],
                        rec[NNB_HIST_TRAIN_ACC], rec[NNB_HIST_VAL_ACC], rec[NNB_HIST_SECONDS],
                        rec[NNB_HIST_SAMPLES_PER_S], went_up, o->epoch_data) != 0;
    }
    if (o->epoch_fn || o->epoch_info_fn) {
        nnb_status st = nnbi_allreduce(o, &stop_flag, 1);
        if (st != NNB_OK) return st;
    }
    if (stop_flag > 0)
        return nnbi_error(NNB_E_CANCELLED, "nnb_net_train",
                          "stopped by the epoch callback after epoch %llu",
                          (unsigned long long)epoch);
    return NNB_OK;
}

nnb_status nnbi_epoch_end(nnbi_run *r, double t0, double loss_sum, double hits, double lr,
                          int cancel, int *stop) {
    nnb_net *net = r->net;
    const nnb_train_opts *o = r->opts;
    uint64_t epoch = net->opt.epoch + 1;
    /* validation: this worker's part of the rows, as sums */
    double sums[5] = {loss_sum, hits, 0, 0, cancel};
    size_t nv = r->n_val ? r->n_val : o->val_rows;
    if (r->has_val) validate(r, sums);
    nnb_status st = nnbi_allreduce(o, sums, 5);
    if (st != NNB_OK) return st;
    int mean = o->reduction == NNB_REDUCTION_MEAN;
    double rec[8];
    rec[NNB_HIST_EPOCH] = (double)epoch;
    rec[NNB_HIST_TRAIN_LOSS] = mean ? sums[0] / (double)r->n_train : sums[0];
    rec[NNB_HIST_TRAIN_ACC] = r->acc ? sums[1] / (double)r->n_train : NAN;
    rec[NNB_HIST_VAL_LOSS] = rec[NNB_HIST_VAL_ACC] = NAN;
    if (r->has_val) {
        rec[NNB_HIST_VAL_LOSS] = mean ? sums[2] / (double)nv : sums[2];
        if (r->acc) rec[NNB_HIST_VAL_ACC] = sums[3] / (double)nv;
    }
    double monitored = r->has_val ? rec[NNB_HIST_VAL_LOSS] : rec[NNB_HIST_TRAIN_LOSS];
    int went_up = !isnan(net->opt.last_loss) && monitored > net->opt.last_loss;
    net->opt.last_loss = monitored;
    net->opt.epoch = epoch;
    if (sums[4] > 0)
        return nnbi_error(NNB_E_CANCELLED, "nnb_net_train",
                          "stopped by a batch callback in epoch %llu", (unsigned long long)epoch);
    st = check_finite(r, sums, epoch, lr);
    if (st != NNB_OK) return st;
    double secs = nnbi_now() - t0;
    rec[NNB_HIST_SECONDS] = secs;
    rec[NNB_HIST_LR] = lr;
    rec[NNB_HIST_SAMPLES_PER_S] = secs > 0 ? (double)r->n_train / secs : INFINITY;
    st = nnbi_history_add(r->history, rec, "nnb_net_train");
    if (st != NNB_OK) return st;
    watch(r, monitored, epoch);
    st = callback(r, rec, went_up);
    if (st != NNB_OK) return st;
    nnbi_opt_state *os = &net->opt;
    if (o->patience && os->es.since >= o->patience) {
        r->stopped_early = 1;
        *stop = 1;
        /* restore_best: the best epoch's weights; then a fresh watch for a later call */
        if (os->es.params && os->es.best_epoch > 0 && os->es.best_epoch != epoch)
            nnbi_keep_params(net, os->es.params, 1);
        os->es.best = INFINITY;
        os->es.best_epoch = 0;
        os->es.since = 0;
    }
    return NNB_OK;
}

/* ---- the start of an epoch, a stop within one ------------------------------------------------- */

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

nnb_status nnbi_stopped_within(nnbi_run *r, size_t B, size_t done, nnbi_sum loss_sum, size_t hit) {
    nnbi_opt_state *os = &r->net->opt;
    if (done ==
        0) /* before the epoch's first batch: as if it had not started (its shuffle undone) */
        for (int i = 0; i < 4; i++) r->net->rng.s[i] = os->ep.rng[i];
    os->ep.batches = done;
    os->ep.n_train = r->n_train;
    os->ep.batch = B;
    os->ep.loss_sum = loss_sum.s;
    os->ep.loss_c = loss_sum.c;
    os->ep.hits = (double)hit;
    return nnbi_error(NNB_E_CANCELLED, "nnb_net_train",
                      "stopped on request in epoch %llu after batch %zu",
                      (unsigned long long)os->epoch + 1, done);
}

nnb_status nnbi_diverged(uint64_t epoch, size_t batch, double loss, double lr) {
    return nnbi_error(NNB_E_NONFINITE, "nnb_net_train",
                      "epoch %llu, batch %zu: the loss is %g; training diverged (try a learning "
                      "rate lower than %g)",
                      (unsigned long long)epoch, batch, loss, lr);
}

/* The gradient checks and clipping before a step, in PyTorch's order and with its definitions:
 * a non-finite gradient is an error (before it could be clipped away); then clipping by value,
 * g_i <- min(max(g_i, -c), c) (clip_grad_value_); then clipping by norm, g <- g * k with
 * k = max_norm / (||g||_2 + 1e-6) when k < 1 (clip_grad_norm_). In the network's element type
 * (the sum of squares accumulated in double). */
nnb_status nnbi_clip_gradient(nnb_net *net, const nnb_train_opts *o, uint64_t epoch, size_t batch) {
    const nnbi_elem *t = net->t;
    const size_t np = net->n_params;
    void *g = net->grads;
    /* One vectorised pass: a finite sum of squares means every element is finite; only when it
     * is not does the scan tell a non-finite element from an overflowing sum. */
    double ss = t->sumsq(np, g);
    size_t bad;
    if (!isfinite(ss) && t->find_nonfinite(g, np, &bad))
        return nnbi_error(NNB_E_NONFINITE, "nnb_net_train",
                          "epoch %llu, batch %zu: the gradient is not finite (parameter %zu is %g)",
                          (unsigned long long)epoch, batch, bad, t->get(g, bad));
    if (o->clip_value > 0) {
        t->clip_value(np, o->clip_value, g);
        if (o->clip_norm > 0) ss = t->sumsq(np, g); /* the norm of the clipped values */
    }
    if (o->clip_norm > 0) {
        double k = o->clip_norm / (t->norm(np, g, ss) + 1e-6);
        if (k < 1.0) t->scal(np, k, g);
    }
    return NNB_OK;
}
