/*
 * The mini-batch loop of a float32 network: train.c's train_batches over float, reading float
 * data in place and gathering (and converting) other batches into the workspace's input buffers.
 * nnb_net_train's setup and the end of each epoch (validation, history, early stopping) are shared.
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

static nnbi_src src_x(const nnbi_run *r) { return (nnbi_src){r->x, r->x32}; }
static nnbi_src src_y(const nnbi_run *r) { return (nnbi_src){r->y, r->y32}; }

void nnbi_validate32(nnbi_run *r, size_t lo, size_t hi, double *loss_sum, size_t *hits) {
    const nnb_train_opts *o = r->opts;
    if (r->n_val)
        nnbi_eval32(r->net, &r->net->ws32, r->chunk, src_x(r), src_y(r), r->val_idx, lo, hi - lo,
                    o->loss, loss_sum, hits);
    else
        nnbi_eval32(r->net, &r->net->ws32, r->chunk, (nnbi_src){o->val_x, NULL},
                    (nnbi_src){o->val_y, NULL}, NULL, lo, hi - lo, o->loss, loss_sum, hits);
}

/* Data-parallel: sums the gradient, the batch loss and the flags (a batch callback's cancel, a
 * stop request) over the workers: in float32 in place (grads32 has room for the two extra values)
 * through the float32 all-reduce when there is one, else in float64 through `red` (n_params + 2
 * doubles). */
static nnb_status reduce(nnbi_run *r, double *red, double *bl, int cancel, uint64_t epoch,
                         size_t b) {
    nnb_net *net = r->net;
    const nnb_train_opts *o = r->opts;
    size_t np = net->n_params;
    double flag = cancel || nnbi_stop_requested(o); /* a stop request rides on the flag */
    int rc;
    if (o->allreduce32) {
        float *g = net->grads32;
        g[np] = (float)*bl;
        g[np + 1] = (float)flag;
        rc = o->allreduce32(g, np + 2, o->allreduce32_data);
        *bl = g[np];
        flag = g[np + 1];
    } else {
        nnbi_f32_to_f64(net->grads32, red, np);
        red[np] = *bl;
        red[np + 1] = flag;
        rc = o->allreduce(red, np + 2, o->allreduce_data);
        nnbi_f64_to_f32(red, net->grads32, np);
        *bl = red[np];
        flag = red[np + 1];
    }
    if (rc != 0)
        return nnbi_error(NNB_E_COMM, "nnb_net_train", "the all-reduce of %zu values failed (code %d)",
                          np + 2, rc);
    if (flag > 0)
        return nnbi_error(NNB_E_CANCELLED, "nnb_net_train",
                          "stopped by a batch callback or on request (epoch %llu, batch %zu)",
                          (unsigned long long)epoch, b);
    return NNB_OK;
}

/* The batches of one epoch from b0 (train.c's train_batches over float: the same checks, stop
 * requests and positions); *loss_sum, *hit and *cancel as train_batches keeps them. */
static nnb_status epoch32(nnbi_run *r, size_t B, const double *drop, const size_t *perm,
                          nnbi_rng *drop_rng, double lr, double *red, size_t b0,
                          nnbi_sum *loss_sum, size_t *hit, int *cancel) {
    nnb_net *net = r->net;
    const nnb_train_opts *o = r->opts;
    nnbi_ws32 *ws = &net->ws32;
    const size_t no = nnb_net_n_outputs(net), L = net->n_layers;
    const size_t n_batches = (r->n_train + B - 1) / B, np = net->n_params;
    const int sharded = o->shard_count > 1, mean = o->reduction == NNB_REDUCTION_MEAN;
    const int clipping = o->clip_norm > 0 || o->clip_value > 0;
    const int fused = o->opt == NNB_OPT_SGD && !clipping && !o->check_finite && !sharded;
    uint64_t epoch = net->opt.epoch + 1;
    for (size_t b = b0; b < n_batches; b++) {
        if (!sharded && nnbi_stop_requested(o))
            return nnbi_stopped_within(r, B, b, *loss_sum, *hit);
        size_t r0 = b * B, nb = r->n_train - r0 < B ? r->n_train - r0 : B;
        size_t lo = 0, hi = nb;
        if (sharded) {
            lo = nb * o->shard_rank / o->shard_count;
            hi = nb * (o->shard_rank + 1) / o->shard_count;
        }
        size_t nr = hi - lo;
        const float *xb = NULL, *yb = NULL;
        double own = 0;
        if (nr > 0) {
            nnbi_batch32(net, ws, src_x(r), src_y(r), perm, r0 + lo, nr, &xb, &yb);
            nnbi_forward32(net, ws, xb, nr, drop ? drop_rng : NULL);
            own = nnbi_output_delta32(net, ws, yb, nr, o->loss, o->reduction, 1, nb);
            if (r->acc) *hit += nnbi_count_correct32(ws->act[L - 1], yb, nr, no);
        }
        nnbi_sum_add(loss_sum, mean ? own * (double)nb : own);
        double bl = own;
        if (fused) {
            if (!isfinite(bl)) return nnbi_diverged(epoch, b + 1, bl, lr);
            nnbi_backward_sgd32(net, ws, xb, nr, lr, o->weight_decay);
            net->opt.step++;
        } else {
            if (sharded && o->grad_ready32 && o->allreduce32) { /* overlap: pieces as they come */
                int rc = nnbi_backward_ready32(net, ws, xb, nr, net->grads32, o->grad_ready32,
                                               o->grad_ready32_data, o->grad_ready32_piece);
                if (rc != 0)
                    return nnbi_error(NNB_E_COMM, "nnb_net_train",
                                      "the gradient hook failed (code %d, epoch %llu, batch %zu)",
                                      rc, (unsigned long long)epoch, b + 1);
            } else if (nr > 0) {
                nnbi_backward32(net, ws, xb, nr, net->grads32);
            } else {
                memset(net->grads32, 0, np * sizeof(float));
            }
            if (sharded) {
                nnb_status st = reduce(r, red, &bl, *cancel, epoch, b);
                if (st != NNB_OK) return st;
            }
            if (!isfinite(bl) && !clipping) return nnbi_diverged(epoch, b + 1, bl, lr);
            if (o->check_finite || clipping) {
                nnb_status st = nnbi_clip_gradient(net, o, epoch, b + 1);
                if (st != NNB_OK) return st;
            }
            nnbi_opt_step(net, o, lr);
        }
        if (o->batch_fn && o->batch_fn(epoch, b + 1, n_batches, bl, o->batch_data)) {
            if (!sharded) {
                nnbi_stopped_within(r, B, b + 1, *loss_sum, *hit);
                return nnbi_error(NNB_E_CANCELLED, "nnb_net_train",
                                  "stopped by the batch callback (epoch %llu, batch %zu)",
                                  (unsigned long long)epoch, b + 1);
            }
            *cancel = 1;
        }
    }
    return NNB_OK;
}

nnb_status nnbi_train_batches32(nnbi_run *r, size_t B, const double *drop, size_t *perm,
                                nnbi_rng *drop_rng) {
    nnb_net *net = r->net;
    const nnb_train_opts *o = r->opts;
    const int shuffle = o->shuffle && B < r->n_train;
    const size_t n_batches = (r->n_train + B - 1) / B;
    double *red = NULL; /* the all-reduce's buffer, before the loop */
    if (o->shard_count > 1 && !o->allreduce32) {
        red = malloc((net->n_params + 2) * sizeof *red);
        if (!red) return nnbi_error(NNB_E_NOMEM, "nnb_net_train", "no memory for the all-reduce");
    }
    nnb_status st = NNB_OK;
    for (size_t e = 0; e < o->epochs && st == NNB_OK; e++) {
        double t0 = now();
        double lr = nnbi_schedule_lr(&net->opt.sched, net->opt.epoch);
        nnbi_sum loss_sum = {0, 0};
        size_t hit = 0;
        int cancel = 0, stop = 0;
        size_t b0 = nnbi_epoch_begin(r, perm, shuffle, B, n_batches, &loss_sum, &hit);
        st = epoch32(r, B, drop, perm, drop_rng, lr, red, b0, &loss_sum, &hit, &cancel);
        if (st == NNB_OK)
            st = nnbi_epoch_end(r, t0, nnbi_sum_value(&loss_sum), (double)hit, lr, cancel, &stop);
        if (stop) break;
    }
    free(red);
    return st;
}
