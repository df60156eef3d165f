/*
 * The training options handle (nnb_train_opts): create, free, copy, the setters, and the stop
 * request that another thread may make while nnb_net_train runs. The struct is in train_internal.h.
 */
#include <math.h>
#include <stdlib.h>

#include "interrupt.h"
#include "train_internal.h"

NNB_API nnb_status nnb_train_opts_create(nnb_train_opts **out) {
    NNBI_CHECK_NULL(out, __func__);
    nnb_train_opts *o = calloc(1, sizeof *o);
    *out = o;
    if (!o) return nnbi_error(NNB_E_NOMEM, __func__, "no memory for training options");
    o->epochs = 10;
    o->batch = 32;
    o->shuffle = 1;
    o->loss = NNB_LOSS_SSE;
    o->reduction = NNB_REDUCTION_MEAN;
    o->opt = NNB_OPT_SGD;
    o->lr = 0.01;
    o->momentum = 0.9;
    o->beta1 = 0.9, o->beta2 = 0.999, o->adam_eps = 1e-8;
    o->rho = 0.99, o->rms_eps = 1e-8;
    o->schedule = NNB_SCHED_CONSTANT;
    o->sched_mult = 1;
    o->restore_best = 1;
    o->shard_count = 1;
    return NNB_OK;
}

NNB_API void nnb_train_opts_free(nnb_train_opts *opts) { free(opts); }

NNB_API nnb_status nnb_train_opts_copy(nnb_train_opts **out, const nnb_train_opts *src) {
    NNBI_CHECK_NULL(out, __func__);
    *out = NULL;
    NNBI_CHECK_NULL(src, __func__);
    nnb_train_opts *o = malloc(sizeof *o);
    if (!o) return nnbi_error(NNB_E_NOMEM, __func__, "no memory for training options");
    *o = *src; /* every field is a value or a borrowed pointer */
    *out = o;
    return NNB_OK;
}

#define OPTS_CHECK(o) NNBI_CHECK_NULL(o, __func__)
#define BAD(...) return nnbi_error(NNB_E_INVALID_ARG, __func__, __VA_ARGS__)

static int in_unit(double v) { return isfinite(v) && v >= 0.0 && v < 1.0; }

NNB_API nnb_status nnb_train_opts_set_epochs(nnb_train_opts *o, size_t epochs) {
    OPTS_CHECK(o);
    if (epochs == 0) BAD("epochs is 0");
    o->epochs = epochs;
    return NNB_OK;
}

NNB_API nnb_status nnb_train_opts_set_batch_size(nnb_train_opts *o, size_t batch) {
    OPTS_CHECK(o);
    if (batch > NNBI_BLAS_MAX)
        return nnbi_error(NNB_E_TOO_LARGE, __func__, "batch size %zu exceeds %zu", batch,
                          NNBI_BLAS_MAX);
    o->batch = batch;
    return NNB_OK;
}

NNB_API nnb_status nnb_train_opts_set_shuffle(nnb_train_opts *o, int shuffle) {
    OPTS_CHECK(o);
    o->shuffle = shuffle != 0;
    return NNB_OK;
}

NNB_API nnb_status nnb_train_opts_set_loss(nnb_train_opts *o, nnb_loss loss, nnb_reduction red) {
    OPTS_CHECK(o);
    if ((unsigned)loss > NNB_LOSS_CE) BAD("unknown loss %d", (int)loss);
    if ((unsigned)red > NNB_REDUCTION_MEAN) BAD("unknown reduction %d", (int)red);
    o->loss = loss;
    o->reduction = red;
    return NNB_OK;
}

NNB_API nnb_status nnb_train_opts_set_optimizer(nnb_train_opts *o, nnb_optimizer opt, double lr) {
    OPTS_CHECK(o);
    if ((unsigned)opt > NNB_OPT_LM) BAD("unknown optimizer %d", (int)opt);
    if (!isfinite(lr) || lr <= 0) BAD("learning rate %g must be finite and > 0", lr);
    o->opt = opt;
    o->lr = lr;
    return NNB_OK;
}

NNB_API nnb_status nnb_train_opts_set_momentum(nnb_train_opts *o, double mu) {
    OPTS_CHECK(o);
    if (!in_unit(mu)) BAD("momentum %g must be in [0, 1)", mu);
    o->momentum = mu;
    return NNB_OK;
}

NNB_API nnb_status nnb_train_opts_set_adam(nnb_train_opts *o, double b1, double b2, double eps) {
    OPTS_CHECK(o);
    if (!in_unit(b1) || !in_unit(b2)) BAD("betas %g, %g must be in [0, 1)", b1, b2);
    if (!isfinite(eps) || eps <= 0) BAD("eps %g must be finite and > 0", eps);
    o->beta1 = b1, o->beta2 = b2, o->adam_eps = eps;
    return NNB_OK;
}

NNB_API nnb_status nnb_train_opts_set_rmsprop(nnb_train_opts *o, double rho, double eps) {
    OPTS_CHECK(o);
    if (!in_unit(rho)) BAD("rho %g must be in [0, 1)", rho);
    if (!isfinite(eps) || eps <= 0) BAD("eps %g must be finite and > 0", eps);
    o->rho = rho, o->rms_eps = eps;
    return NNB_OK;
}

NNB_API nnb_status nnb_train_opts_set_weight_decay(nnb_train_opts *o, double wd) {
    OPTS_CHECK(o);
    if (!isfinite(wd) || wd < 0) BAD("weight decay %g must be finite and >= 0", wd);
    o->weight_decay = wd;
    return NNB_OK;
}

NNB_API nnb_status nnb_train_opts_set_clip_norm(nnb_train_opts *o, double max_norm) {
    OPTS_CHECK(o);
    if (!isfinite(max_norm) || max_norm < 0) BAD("max_norm %g must be finite and >= 0", max_norm);
    o->clip_norm = max_norm;
    return NNB_OK;
}

NNB_API nnb_status nnb_train_opts_set_clip_value(nnb_train_opts *o, double clip_value) {
    OPTS_CHECK(o);
    if (!isfinite(clip_value) || clip_value < 0)
        BAD("clip_value %g must be finite and >= 0", clip_value);
    o->clip_value = clip_value;
    return NNB_OK;
}

NNB_API nnb_status nnb_train_opts_set_dropout(nnb_train_opts *o, double p) {
    OPTS_CHECK(o);
    if (!in_unit(p)) BAD("dropout probability %g must be in [0, 1)", p);
    o->dropout = p;
    return NNB_OK;
}

NNB_API nnb_status nnb_train_opts_set_schedule(nnb_train_opts *o, nnb_schedule s, double p1,
                                               double p2) {
    OPTS_CHECK(o);
    switch (s) {
    case NNB_SCHED_CONSTANT:
        break;
    case NNB_SCHED_STEP:
        if (!isfinite(p1) || p1 < 1 || p1 != floor(p1))
            BAD("step size %g must be a whole number >= 1", p1);
        if (!isfinite(p2) || p2 <= 0) BAD("gamma %g must be finite and > 0", p2);
        break;
    case NNB_SCHED_EXPONENTIAL:
        if (!isfinite(p1) || p1 <= 0) BAD("gamma %g must be finite and > 0", p1);
        break;
    case NNB_SCHED_COSINE:
        /* 0 < T < 1 would hold lr_min from the second epoch on: a typo, not a schedule */
        if (!isfinite(p1) || p1 < 0 || (p1 > 0 && p1 < 1))
            BAD("period %g must be 0 (the epochs of the call) or a number of epochs >= 1", p1);
        if (!isfinite(p2) || p2 < 0) BAD("minimum learning rate %g must be finite and >= 0", p2);
        break;
    case NNB_SCHED_COSINE_RESTARTS:
        if (!isfinite(p1) || p1 < 1 || p1 != floor(p1) || p1 > 1e15)
            BAD("first period %g must be a whole number >= 1", p1);
        if (!isfinite(p2) || p2 < 0) BAD("minimum learning rate %g must be finite and >= 0", p2);
        break;
    default:
        BAD("unknown schedule %d", (int)s);
    }
    o->schedule = s;
    o->sched1 = p1;
    o->sched2 = p2;
    return NNB_OK;
}

NNB_API nnb_status nnb_train_opts_set_restart_mult(nnb_train_opts *o, double t_mult) {
    OPTS_CHECK(o);
    if (!isfinite(t_mult) || t_mult < 1 || t_mult != floor(t_mult) || t_mult > 1e6)
        BAD("period multiplier %g must be a whole number >= 1", t_mult);
    o->sched_mult = t_mult;
    return NNB_OK;
}

NNB_API nnb_status nnb_train_opts_set_validation(nnb_train_opts *o, const double *x,
                                                 const double *y, size_t rows) {
    OPTS_CHECK(o);
    if (x == NULL) {
        o->val_x = o->val_y = NULL;
        o->val_rows = 0;
        return NNB_OK;
    }
    NNBI_CHECK_NULL(y, __func__);
    if (rows == 0) BAD("rows is 0");
    o->val_x = x, o->val_y = y, o->val_rows = rows;
    o->val_fraction = 0;
    return NNB_OK;
}

NNB_API nnb_status nnb_train_opts_set_validation_split(nnb_train_opts *o, double fraction,
                                                       uint64_t seed) {
    OPTS_CHECK(o);
    if (!in_unit(fraction)) BAD("validation fraction %g must be in [0, 1)", fraction);
    o->val_fraction = fraction;
    o->val_seed = seed;
    if (fraction > 0) o->val_x = o->val_y = NULL, o->val_rows = 0;
    return NNB_OK;
}

NNB_API nnb_status nnb_train_opts_set_early_stopping(nnb_train_opts *o, size_t patience,
                                                     int restore_best) {
    OPTS_CHECK(o);
    o->patience = patience;
    o->restore_best = restore_best != 0;
    return NNB_OK;
}

NNB_API nnb_status nnb_train_opts_set_check_finite(nnb_train_opts *o, int enable) {
    OPTS_CHECK(o);
    o->check_finite = enable != 0;
    return NNB_OK;
}

NNB_API nnb_status nnb_train_opts_set_epoch_callback(nnb_train_opts *o, nnb_epoch_fn fn,
                                                     void *user_data) {
    OPTS_CHECK(o);
    o->epoch_fn = fn;
    o->epoch_info_fn = NULL;
    o->epoch_data = user_data;
    return NNB_OK;
}

NNB_API nnb_status nnb_train_opts_set_epoch_info_callback(nnb_train_opts *o, nnb_epoch_info_fn fn,
                                                          void *user_data) {
    OPTS_CHECK(o);
    o->epoch_info_fn = fn;
    o->epoch_fn = NULL;
    o->epoch_data = user_data;
    return NNB_OK;
}

NNB_API nnb_status nnb_train_opts_set_batch_callback(nnb_train_opts *o, nnb_batch_fn fn,
                                                     void *user_data) {
    OPTS_CHECK(o);
    o->batch_fn = fn;
    o->batch_data = user_data;
    return NNB_OK;
}

NNB_API nnb_status nnb_train_opts_set_shard(nnb_train_opts *o, size_t rank, size_t n_ranks) {
    OPTS_CHECK(o);
    if (n_ranks == 0) BAD("n_ranks is 0");
    if (rank >= n_ranks) BAD("rank %zu is not below n_ranks %zu", rank, n_ranks);
    o->shard_rank = rank;
    o->shard_count = n_ranks;
    return NNB_OK;
}

NNB_API nnb_status nnb_train_opts_set_allreduce(nnb_train_opts *o, nnb_allreduce_fn fn,
                                                void *user_data) {
    OPTS_CHECK(o);
    o->allreduce = fn;
    o->allreduce_data = user_data;
    return NNB_OK;
}

NNB_API nnb_status nnb_train_opts_set_allreduce_f32(nnb_train_opts *o, nnb_allreduce_f32_fn fn,
                                                    void *user_data) {
    OPTS_CHECK(o);
    o->allreduce32 = fn;
    o->allreduce32_data = user_data;
    return NNB_OK;
}

NNB_API void nnb_train_opts_request_stop(nnb_train_opts *o) {
    if (o) __atomic_store_n(&o->stop_requested, 1, __ATOMIC_RELAXED);
}

NNB_API void nnb_train_opts_clear_stop(nnb_train_opts *o) {
    if (o) __atomic_store_n(&o->stop_requested, 0, __ATOMIC_RELAXED);
}

int nnbi_stop_requested(const nnb_train_opts *o) {
    /* a request, or the thread's interrupt flag (nnb_set_interrupt_flag) */
    return __atomic_load_n(&o->stop_requested, __ATOMIC_RELAXED) != 0 || nnbi_interrupted();
}

NNB_API nnb_status nnb_train_opts_set_grad_ready(nnb_train_opts *o, nnb_grad_ready_fn fn,
                                                 size_t piece_values, void *user_data) {
    OPTS_CHECK(o);
    o->grad_ready = fn;
    o->grad_ready_data = user_data;
    o->grad_ready_piece = piece_values;
    return NNB_OK;
}

NNB_API nnb_status nnb_train_opts_set_grad_ready_f32(nnb_train_opts *o, nnb_grad_ready_f32_fn fn,
                                                     size_t piece_values, void *user_data) {
    OPTS_CHECK(o);
    o->grad_ready32 = fn;
    o->grad_ready32_data = user_data;
    o->grad_ready32_piece = piece_values;
    return NNB_OK;
}

/* ---- getters: each gives back what its setter stored, in the setter's order -------------- */

/* Copies the value to *out unless out is NULL. */
#define PUT(out, value)        \
  do {                         \
    if (out) *(out) = (value); \
  } while (0)

/* A getter of one value: NNB_E_NULL for a NULL handle, the value through out unless out is NULL. */
#define GETTER(func, type, field)                               \
  NNB_API nnb_status func(const nnb_train_opts *o, type *out) { \
    OPTS_CHECK(o);                                              \
    PUT(out, o->field);                                         \
    return NNB_OK;                                              \
  }

GETTER(nnb_train_opts_get_epochs, size_t, epochs)
GETTER(nnb_train_opts_get_batch_size, size_t, batch)
GETTER(nnb_train_opts_get_shuffle, int, shuffle)
GETTER(nnb_train_opts_get_momentum, double, momentum)
GETTER(nnb_train_opts_get_weight_decay, double, weight_decay)
GETTER(nnb_train_opts_get_clip_norm, double, clip_norm)
GETTER(nnb_train_opts_get_clip_value, double, clip_value)
GETTER(nnb_train_opts_get_dropout, double, dropout)
GETTER(nnb_train_opts_get_restart_mult, double, sched_mult)
GETTER(nnb_train_opts_get_check_finite, int, check_finite)

NNB_API nnb_status nnb_train_opts_get_loss(const nnb_train_opts *o, nnb_loss *loss,
                                           nnb_reduction *reduction) {
    OPTS_CHECK(o);
    PUT(loss, o->loss);
    PUT(reduction, o->reduction);
    return NNB_OK;
}

NNB_API nnb_status nnb_train_opts_get_optimizer(const nnb_train_opts *o, nnb_optimizer *opt,
                                                double *lr) {
    OPTS_CHECK(o);
    PUT(opt, o->opt);
    PUT(lr, o->lr);
    return NNB_OK;
}

NNB_API nnb_status nnb_train_opts_get_adam(const nnb_train_opts *o, double *beta1, double *beta2,
                                           double *eps) {
    OPTS_CHECK(o);
    PUT(beta1, o->beta1);
    PUT(beta2, o->beta2);
    PUT(eps, o->adam_eps);
    return NNB_OK;
}

NNB_API nnb_status nnb_train_opts_get_rmsprop(const nnb_train_opts *o, double *rho, double *eps) {
    OPTS_CHECK(o);
    PUT(rho, o->rho);
    PUT(eps, o->rms_eps);
    return NNB_OK;
}

NNB_API nnb_status nnb_train_opts_get_schedule(const nnb_train_opts *o, nnb_schedule *schedule,
                                               double *param1, double *param2) {
    OPTS_CHECK(o);
    PUT(schedule, o->schedule);
    PUT(param1, o->sched1);
    PUT(param2, o->sched2);
    return NNB_OK;
}

NNB_API nnb_status nnb_train_opts_get_validation(const nnb_train_opts *o, const double **x,
                                                 const double **y, size_t *n_rows) {
    OPTS_CHECK(o);
    PUT(x, o->val_x);
    PUT(y, o->val_y);
    PUT(n_rows, o->val_rows);
    return NNB_OK;
}

NNB_API nnb_status nnb_train_opts_get_validation_split(const nnb_train_opts *o, double *fraction,
                                                       uint64_t *seed) {
    OPTS_CHECK(o);
    PUT(fraction, o->val_fraction);
    PUT(seed, o->val_seed);
    return NNB_OK;
}

NNB_API nnb_status nnb_train_opts_get_early_stopping(const nnb_train_opts *o, size_t *patience,
                                                     int *restore_best) {
    OPTS_CHECK(o);
    PUT(patience, o->patience);
    PUT(restore_best, o->restore_best);
    return NNB_OK;
}

NNB_API nnb_status nnb_train_opts_get_epoch_info_callback(const nnb_train_opts *o,
                                                          nnb_epoch_info_fn *fn, void **user_data) {
    OPTS_CHECK(o);
    PUT(fn, o->epoch_info_fn);
    PUT(user_data, o->epoch_info_fn ? o->epoch_data : NULL);
    return NNB_OK;
}

NNB_API nnb_status nnb_train_opts_get_batch_callback(const nnb_train_opts *o, nnb_batch_fn *fn,
                                                     void **user_data) {
    OPTS_CHECK(o);
    PUT(fn, o->batch_fn);
    PUT(user_data, o->batch_data);
    return NNB_OK;
}

NNB_API int nnb_train_opts_stop_requested(const nnb_train_opts *o) {
    return o ? __atomic_load_n(&o->stop_requested, __ATOMIC_RELAXED) != 0 : 0;
}

NNB_API nnb_status nnb_train_opts_get_shard(const nnb_train_opts *o, size_t *rank,
                                            size_t *n_ranks) {
    OPTS_CHECK(o);
    PUT(rank, o->shard_rank);
    PUT(n_ranks, o->shard_count);
    return NNB_OK;
}

NNB_API nnb_status nnb_train_opts_get_allreduce(const nnb_train_opts *o, nnb_allreduce_fn *fn,
                                                void **user_data) {
    OPTS_CHECK(o);
    PUT(fn, o->allreduce);
    PUT(user_data, o->allreduce_data);
    return NNB_OK;
}

NNB_API nnb_status nnb_train_opts_get_allreduce_f32(const nnb_train_opts *o,
                                                    nnb_allreduce_f32_fn *fn, void **user_data) {
    OPTS_CHECK(o);
    PUT(fn, o->allreduce32);
    PUT(user_data, o->allreduce32_data);
    return NNB_OK;
}

NNB_API nnb_status nnb_train_opts_get_grad_ready(const nnb_train_opts *o, nnb_grad_ready_fn *fn,
                                                 size_t *n_piece_values, void **user_data) {
    OPTS_CHECK(o);
    PUT(fn, o->grad_ready);
    PUT(n_piece_values, o->grad_ready_piece);
    PUT(user_data, o->grad_ready_data);
    return NNB_OK;
}

NNB_API nnb_status nnb_train_opts_get_grad_ready_f32(const nnb_train_opts *o,
                                                     nnb_grad_ready_f32_fn *fn,
                                                     size_t *n_piece_values, void **user_data) {
    OPTS_CHECK(o);
    PUT(fn, o->grad_ready32);
    PUT(n_piece_values, o->grad_ready32_piece);
    PUT(user_data, o->grad_ready32_data);
    return NNB_OK;
}
