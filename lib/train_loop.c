/*
 * The mini-batch loop of nnb_net_train (every optimiser but Levenberg-Marquardt), written once for
 * both element types: each batch read in place or gathered (and converted) into the workspace,
 * forward, loss, backward (fused with the step for plain SGD), the data-parallel all-reduce,
 * the gradient's checks and clipping, the optimiser's step, the batch callback. Nothing is
 * allocated here: nnb_net_train (train.c) sized everything before.
 */
#include <math.h>
#include <string.h>

#include "train_internal.h"

/* One epoch's running state. */
typedef struct epoch_state {
    uint64_t epoch; /* its number (from 1) */
    double lr;
    nnbi_sum loss_sum; /* the epoch's loss over its rows, compensated */
    size_t hit;
    int cancel; /* a batch callback asked to stop (data-parallel: at the next all-reduce) */
} epoch_state;

/* ---- data-parallel hooks of the network's element type ------------------------------------- */

typedef struct ready_ctx {
    const nnb_train_opts *o;
    nnb_net *net;
} ready_ctx;

/* The gradient hook of the network's type: the float64 one, or for float32 the float32 one when
 * it is set with the float32 all-reduce. */
static int has_ready_hook(const nnb_train_opts *o, const nnb_net *net) {
    return net->dtype == NNB_F64 ? o->grad_ready != NULL : o->grad_ready32 && o->allreduce32;
}

static int announce(void *ctx, size_t offset, size_t n) {
    const ready_ctx *c = ctx;
    if (c->net->dtype == NNB_F64)
        return c->o->grad_ready(c->net->grads, offset, n, c->o->grad_ready_data);
    return c->o->grad_ready32(c->net->grads, offset, n, c->o->grad_ready32_data);
}

/* Sums the gradient, the batch loss (*bl) and a stop flag over the workers: in place through the
 * all-reduce of the network's type (the gradient arena has room for the two extra values), or,
 * for a float32 network without a float32 all-reduce, through the float64 one in `red`. */
static nnb_status reduce(nnbi_run *r, double *red, double *bl, int cancel, uint64_t epoch,
                         size_t b) {
    nnb_net *net = r->net;
    const nnb_train_opts *o = r->opts;
    const nnbi_elem *t = net->t;
    size_t np = net->n_params;
    double flag = cancel || nnbi_stop_requested(o); /* a stop request rides on the flag */
    int rc;
    if (net->dtype == NNB_F64 || o->allreduce32) {
        t->set(net->grads, np, *bl);
        t->set(net->grads, np + 1, flag);
        rc = net->dtype == NNB_F64 ? o->allreduce(net->grads, np + 2, o->allreduce_data)
                                   : o->allreduce32(net->grads, np + 2, o->allreduce32_data);
        *bl = t->get(net->grads, np);
        flag = t->get(net->grads, np + 1);
    } else {
        nnbi_convert(red, NNB_F64, net->grads, net->dtype, np);
        red[np] = *bl;
        red[np + 1] = flag;
        rc = o->allreduce(red, np + 2, o->allreduce_data);
        nnbi_convert(net->grads, net->dtype, red, NNB_F64, np);
        *bl = red[np];
        flag = red[np + 1];
    }
    if (rc != 0)
        return nnbi_error(NNB_E_COMM, "nnb_net_train",
                          "the all-reduce of %zu values failed (code %d)", np + 2, rc);
    if (flag > 0)
        return nnbi_error(NNB_E_CANCELLED, "nnb_net_train",
                          "stopped by a batch callback or on request (epoch %llu, batch %zu)",
                          (unsigned long long)epoch, b);
    return NNB_OK;
}

/* ---- a batch shared by the team (team.c) --------------------------------------------------- */

typedef struct team_job {
    nnbi_run *r;
    const size_t *perm;
    size_t r0, nb; /* the batch's first row and rows */
    int drop;
} team_job;

/* Worker t's part of the batch: forward, loss, backward into the worker's gradient. */
static void batch_part(void *arg, size_t t) {
    const team_job *j = arg;
    nnbi_run *r = j->r;
    nnb_net *net = r->net;
    const nnb_train_opts *o = r->opts;
    nnbi_mate *m = nnbi_team_mate(r->team, t);
    nnbi_ws *ws = t == 0 ? &net->ws : &m->ws;
    size_t lo, hi;
    nnbi_shard_part(j->nb, t, nnbi_team_workers(r->team), &lo, &hi);
    m->loss = 0;
    m->hits = 0;
    if (hi == lo) {
        memset(m->grads, 0, net->n_params * net->t->size);
        return;
    }
    const void *xb, *yb;
    nnbi_batch(net, ws, r->x, r->y, j->perm, j->r0 + lo, hi - lo, &xb, &yb);
    nnbi_forward(net, ws, xb, hi - lo, j->drop ? &m->rng : NULL);
    m->loss = nnbi_output_delta(net, ws, yb, hi - lo, o->loss, o->reduction, 1, j->nb);
    if (r->acc)
        m->hits =
            net->t->count_correct(ws->act[net->n_layers - 1], yb, hi - lo, nnbi_n_outputs(net));
    nnbi_backward(net, ws, xb, hi - lo, m->grads);
}

/* The workers' parts of the batch, each one's gradient in its own arena (summed by apply_team);
 * returns the batch's loss and adds its hits to *hit. Each worker's dropout masks come from a
 * generator seeded from the run's for each batch, so that a stopped and resumed run draws the
 * same ones. */
static double team_batch(nnbi_run *r, const size_t *perm, size_t r0, size_t nb, nnbi_rng *drop_rng,
                         size_t *hit) {
    size_t n = nnbi_team_workers(r->team);
    if (drop_rng)
        for (size_t t = 0; t < n; t++)
            nnbi_rng_seed(&nnbi_team_mate(r->team, t)->rng, nnbi_rng_next(drop_rng));
    team_job j = {r, perm, r0, nb, drop_rng != NULL};
    nnbi_team_run(r->team, batch_part, &j);
    double loss = 0;
    for (size_t t = 0; t < n; t++) {
        const nnbi_mate *m = nnbi_team_mate(r->team, t);
        loss += m->loss;
        *hit += m->hits;
    }
    return loss;
}

typedef struct sum_job {
    nnbi_run *r;
    double lr;
    int step; /* the optimiser's step too, on the same part */
} sum_job;

/* Worker t's part of the parameters (cut at multiples of 16): the workers' gradients added into
 * net->grads in the workers' order, then (step) the optimiser's step on them. */
static void sum_part(void *arg, size_t t) {
    const sum_job *j = arg;
    nnb_net *net = j->r->net;
    size_t n = nnbi_team_workers(j->r->team), np = net->n_params, lo, hi;
    nnbi_shard_part(np, t, n, &lo, &hi);
    lo = t == 0 ? 0 : lo & ~(size_t)15;
    hi = t + 1 == n ? np : hi & ~(size_t)15;
    if (hi <= lo) return;
    for (size_t k = 1; k < n; k++)
        net->t->axpy(hi - lo, 1.0, nnbi_at(net->t, nnbi_team_mate(j->r->team, k)->grads, lo),
                     nnbi_at(net->t, net->grads, lo));
    if (j->step) nnbi_opt_step_part(net, j->r->opts, j->lr, lo, hi - lo);
}

/* The team's batch: the gradients summed and the step taken by the workers, each on a part of
 * the parameters; with clipping or the non-finite check (which need the whole gradient) the
 * sums in parts, then the checks and the step on the caller's thread. */
static nnb_status apply_team(nnbi_run *r, double bl, const epoch_state *es, size_t b) {
    nnb_net *net = r->net;
    const nnb_train_opts *o = r->opts;
    const int clipping = o->clip_norm > 0 || o->clip_value > 0, whole = clipping || o->check_finite;
    if (!isfinite(bl) && !clipping) return nnbi_diverged(es->epoch, b + 1, bl, es->lr);
    sum_job j = {r, es->lr, !whole};
    if (!whole) net->opt.step++;
    nnbi_team_run(r->team, sum_part, &j);
    if (!whole) return NNB_OK;
    nnb_status st = nnbi_clip_gradient(net, o, es->epoch, b + 1);
    if (st != NNB_OK) return st;
    nnbi_opt_step(net, o, es->lr);
    return NNB_OK;
}

/* ---- one batch --------------------------------------------------------------------------------- */

static nnb_status apply(nnbi_run *r, double bl, const epoch_state *es, size_t b);

/* The gradient of this worker's nr rows (a zero one without rows), summed over the workers, then
 * checked, clipped and applied. *bl: this worker's loss in, the batch's out. */
static nnb_status step(nnbi_run *r, const void *xb, size_t nr, double *red, double *bl,
                       const epoch_state *es, size_t b) {
    if (r->team) return apply_team(r, *bl, es, b); /* the parts' gradients are there */
    nnb_net *net = r->net;
    const nnb_train_opts *o = r->opts;
    const int sharded = o->shard_count > 1;
    if (sharded && has_ready_hook(o, net)) { /* the all-reduce starts during the pass */
        ready_ctx ctx = {o, net};
        size_t piece = net->dtype == NNB_F64 ? o->grad_ready_piece : o->grad_ready32_piece;
        int rc = nnbi_backward_ready(net, &net->ws, xb, nr, net->grads, piece, announce, &ctx);
        if (rc != 0)
            return nnbi_error(NNB_E_COMM, "nnb_net_train",
                              "the gradient hook failed (code %d, epoch %llu, batch %zu)", rc,
                              (unsigned long long)es->epoch, b + 1);
    } else if (nr > 0) {
        nnbi_backward(net, &net->ws, xb, nr, net->grads);
    } else {
        memset(net->grads, 0, net->n_params * net->t->size);
    }
    if (sharded) {
        nnb_status st = reduce(r, red, bl, es->cancel, es->epoch, b);
        if (st != NNB_OK) return st;
    }
    return apply(r, *bl, es, b);
}

/* The checks and clipping of the gradient in net->grads, then the optimiser's step. */
static nnb_status apply(nnbi_run *r, double bl, const epoch_state *es, size_t b) {
    nnb_net *net = r->net;
    const nnb_train_opts *o = r->opts;
    const int clipping = o->clip_norm > 0 || o->clip_value > 0;
    /* always on (one comparison per batch), unless clipping tames the steps of a loss that
     * overflows: then the parameters are checked once an epoch */
    if (!isfinite(bl) && !clipping) return nnbi_diverged(es->epoch, b + 1, bl, es->lr);
    if (o->check_finite || clipping) {
        nnb_status st = nnbi_clip_gradient(net, o, es->epoch, b + 1);
        if (st != NNB_OK) return st;
    }
    nnbi_opt_step(net, o, es->lr);
    return NNB_OK;
}

/* Batch b of the epoch (B rows; this worker's share when data-parallel). */
static nnb_status batch(nnbi_run *r, size_t B, size_t b, const double *drop, const size_t *perm,
                        nnbi_rng *drop_rng, double *red, epoch_state *es) {
    nnb_net *net = r->net;
    const nnb_train_opts *o = r->opts;
    const int sharded = o->shard_count > 1;
    const int fused = o->opt == NNB_OPT_SGD && o->clip_norm == 0 && o->clip_value == 0 &&
                      !o->check_finite && !sharded && !r->team;
    size_t r0 = b * B, nb = r->n_train - r0 < B ? r->n_train - r0 : B;
    size_t lo = 0, hi = nb; /* this worker's part of the batch */
    if (sharded) nnbi_shard_part(nb, o->shard_rank, o->shard_count, &lo, &hi);
    size_t nr = hi - lo;
    const void *xb = NULL, *yb = NULL;
    double own = 0; /* this worker's part of the batch loss */
    if (r->team) {
        own = team_batch(r, perm, r0, nb, drop ? drop_rng : NULL, &es->hit);
    } else if (nr > 0) {
        nnbi_batch(net, &net->ws, r->x, r->y, perm, r0 + lo, nr, &xb, &yb);
        nnbi_forward(net, &net->ws, xb, nr, drop ? drop_rng : NULL);
        own = nnbi_output_delta(net, &net->ws, yb, nr, o->loss, o->reduction, 1, nb);
        if (r->acc)
            es->hit +=
                net->t->count_correct(net->ws.act[net->n_layers - 1], yb, nr, nnbi_n_outputs(net));
    }
    /* the epoch's loss as a sum over rows: this worker's part (summed at the epoch's end) */
    nnbi_sum_add(&es->loss_sum, o->reduction == NNB_REDUCTION_MEAN ? own * (double)nb : own);
    double bl = own; /* the whole batch's loss */
    if (fused) {
        if (!isfinite(bl)) return nnbi_diverged(es->epoch, b + 1, bl, es->lr);
        nnbi_backward_sgd(net, &net->ws, xb, nr, es->lr, o->weight_decay);
        net->opt.step++;
    } else {
        nnb_status st = step(r, xb, nr, red, &bl, es, b);
        if (st != NNB_OK) return st;
    }
    size_t n_batches = (r->n_train + B - 1) / B;
    if (o->batch_fn && o->batch_fn(es->epoch, b + 1, n_batches, bl, o->batch_data)) {
        if (!sharded) {
            nnbi_stopped_within(r, B, b + 1, es->loss_sum, es->hit);
            return nnbi_error(NNB_E_CANCELLED, "nnb_net_train",
                              "stopped by the batch callback (epoch %llu, batch %zu)",
                              (unsigned long long)es->epoch, b + 1);
        }
        es->cancel = 1; /* the workers stop together, at the next all-reduce */
    }
    return NNB_OK;
}

nnb_status nnbi_train_batches(nnbi_run *r, size_t B, const double *drop, size_t *perm,
                              nnbi_rng *drop_rng, double *red) {
    nnb_net *net = r->net;
    const nnb_train_opts *o = r->opts;
    const size_t n_batches = (r->n_train + B - 1) / B;
    const int shuffle = o->shuffle && B < r->n_train;
    const int sharded = o->shard_count > 1;
    for (size_t e = 0; e < o->epochs; e++) {
        double t0 = nnbi_now();
        epoch_state es = {.epoch = net->opt.epoch + 1,
                          .lr = nnbi_schedule_lr(&net->opt.sched, net->opt.epoch)};
        size_t b0 = nnbi_epoch_begin(r, perm, shuffle, B, n_batches, &es.loss_sum, &es.hit);
        for (size_t b = b0; b < n_batches; b++) {
            /* a stop request (signal handler, other thread): between batches; with shards in
             * the batch's all-reduce, where the workers agree */
            if (!sharded && nnbi_stop_requested(o))
                return nnbi_stopped_within(r, B, b, es.loss_sum, es.hit);
            nnb_status st = batch(r, B, b, drop, perm, drop_rng, red, &es);
            if (st != NNB_OK) return st;
        }
        int stop = 0;
        nnb_status st = nnbi_epoch_end(r, t0, nnbi_sum_value(&es.loss_sum), (double)es.hit, es.lr,
                                       es.cancel, &stop);
        if (st != NNB_OK || stop) return st;
    }
    return NNB_OK;
}
