/*
 * Optimisers over the one contiguous parameter arena, the learning-rate schedules, and the
 * network's training state (moments, counters, generator) with its portable serialisation.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "train_internal.h"

void nnbi_opt_init(nnbi_opt_state *opt) {
    memset(opt, 0, sizeof *opt);
    opt->kind = -1;
    opt->last_loss = NAN;
    opt->lm_mu = 1e-3;
}

void nnbi_opt_free(nnbi_opt_state *opt) {
    free(opt->m);
    free(opt->v);
    free(opt->m32);
    free(opt->v32);
    nnbi_opt_init(opt);
}

/* Which moment buffers an optimiser keeps: bit 0 = m (momentum / Adam's first), bit 1 = v. */
static int moments_of(int kind) {
    switch (kind) {
    case NNB_OPT_MOMENTUM:
    case NNB_OPT_NESTEROV: return 1;
    case NNB_OPT_ADAM:
    case NNB_OPT_ADAMW: return 3;
    case NNB_OPT_RMSPROP: return 2;
    default: return 0;
    }
}

nnb_status nnbi_opt_prepare(nnb_net *net, const nnb_train_opts *opts, const char *func) {
    nnbi_opt_state *o = &net->opt;
    int kind = (int)opts->opt;
    int need = moments_of(kind), f32 = net->dtype == NNB_F32;
    const void *om = f32 ? (const void *)o->m32 : (const void *)o->m;
    const void *ov = f32 ? (const void *)o->v32 : (const void *)o->v;
    if (o->kind == kind && o->n == net->n_params && ((need & 1) == 0 || om) &&
        ((need & 2) == 0 || ov))
        return NNB_OK;
    /* A different optimiser (or none yet): fresh moments, counters kept. */
    size_t n = net->n_params, es = f32 ? sizeof(float) : sizeof(double);
    void *m = (need & 1) ? calloc(n ? n : 1, es) : NULL;
    void *v = (need & 2) ? calloc(n ? n : 1, es) : NULL;
    if (((need & 1) && !m) || ((need & 2) && !v)) {
        free(m), free(v);
        return nnbi_error(NNB_E_NOMEM, func, "no memory for the optimiser state (%zu parameters)", n);
    }
    free(o->m), free(o->v), free(o->m32), free(o->v32);
    o->m = o->v = NULL;
    o->m32 = o->v32 = NULL;
    if (f32) o->m32 = m, o->v32 = v;
    else o->m = m, o->v = v;
    o->n = n;
    if (o->kind != kind) o->step = 0; /* Adam's bias correction restarts with its moments */
    o->kind = kind;
    return NNB_OK;
}

/* nnbi_opt_step of a float32 network. */
static void opt_step32(nnb_net *net, const nnb_train_opts *opts, double lr) {
    nnbi_opt_state *o = &net->opt;
    const nnbi_kernels_f32 *k = net->k32;
    size_t n = net->n_params;
    float *p = net->params32, *g = net->grads32;
    double wd = opts->weight_decay;
    o->step++;
    switch (opts->opt) {
    case NNB_OPT_SGD: k->sgd(n, p, g, NULL, lr, 0.0, wd, 0); break;
    case NNB_OPT_MOMENTUM:
    case NNB_OPT_NESTEROV:
        k->sgd(n, p, g, o->m32, lr, opts->momentum, wd, opts->opt == NNB_OPT_NESTEROV);
        break;
    case NNB_OPT_ADAM:
    case NNB_OPT_ADAMW: {
        double t = (double)o->step;
        double bc1 = 1.0 / (1.0 - pow(opts->beta1, t)), bc2 = 1.0 / (1.0 - pow(opts->beta2, t));
        int w = opts->opt == NNB_OPT_ADAMW;
        k->adam(n, p, g, o->m32, o->v32, lr, opts->beta1, opts->beta2, opts->adam_eps, bc1, bc2,
                w ? 0.0 : wd, w ? wd : 0.0);
        break;
    }
    case NNB_OPT_RMSPROP: k->rmsprop(n, p, g, o->v32, lr, opts->rho, opts->rms_eps, wd); break;
    default: break;
    }
}

void nnbi_opt_step(nnb_net *net, const nnb_train_opts *opts, double lr) {
    if (net->dtype == NNB_F32) {
        opt_step32(net, opts, lr);
        return;
    }
    nnbi_opt_state *o = &net->opt;
    const nnbi_kernels *k = net->k;
    size_t n = net->n_params;
    double wd = opts->weight_decay;
    o->step++;
    switch (opts->opt) {
    case NNB_OPT_SGD: k->sgd(n, net->params, net->grads, NULL, lr, 0.0, wd, 0); break;
    case NNB_OPT_MOMENTUM:
    case NNB_OPT_NESTEROV:
        k->sgd(n, net->params, net->grads, o->m, lr, opts->momentum, wd,
               opts->opt == NNB_OPT_NESTEROV);
        break;
    case NNB_OPT_ADAM:
    case NNB_OPT_ADAMW: {
        double t = (double)o->step;
        double bc1 = 1.0 / (1.0 - pow(opts->beta1, t)), bc2 = 1.0 / (1.0 - pow(opts->beta2, t));
        int w = opts->opt == NNB_OPT_ADAMW;
        k->adam(n, net->params, net->grads, o->m, o->v, lr, opts->beta1, opts->beta2, opts->adam_eps,
                bc1, bc2, w ? 0.0 : wd, w ? wd : 0.0);
        break;
    }
    case NNB_OPT_RMSPROP:
        k->rmsprop(n, net->params, net->grads, o->v, lr, opts->rho, opts->rms_eps, wd);
        break;
    default: break;
    }
}

double nnbi_schedule_lr(const nnb_train_opts *opts, uint64_t done, uint64_t end) {
    double lr = opts->lr, e = (double)done;
    switch (opts->schedule) {
    case NNB_SCHED_STEP: return lr * pow(opts->sched2, floor(e / opts->sched1));
    case NNB_SCHED_EXPONENTIAL: return lr * pow(opts->sched1, e);
    case NNB_SCHED_COSINE: {
        double T = opts->sched1 > 0 ? opts->sched1 : (double)end;
        if (e > T) e = T;
        return opts->sched2 + (lr - opts->sched2) * (1.0 + cos(3.14159265358979323846 * e / T)) / 2;
    }
    default: return lr;
    }
}

/* ---- the training state as bytes ------------------------------------------------------------
 * Layout (all little-endian): "NNBT" | u32 version (1) | i32 kind | u32 flags (bit 0: m, bit 1: v)
 * | u64 n_params | u64 step | u64 epoch | f64 last_loss | f64 lm_mu | u64 rng[4]
 * | f64 m[n] if flag 0 | f64 v[n] if flag 1. */

#define STATE_MAGIC "NNBT"
#define STATE_VERSION 1u
#define STATE_HEADER (4 + 4 + 4 + 4 + 8 * 3 + 8 * 2 + 8 * 4)

static int state_flags(const nnbi_opt_state *o) {
    return (o->m || o->m32 ? 1 : 0) | (o->v || o->v32 ? 2 : 0);
}

NNB_API size_t nnb_net_train_state_size(const nnb_net *net) {
    if (!net) return 0;
    int f = state_flags(&net->opt);
    size_t n = net->opt.n;
    return STATE_HEADER + ((f & 1) ? 8 * n : 0) + ((f & 2) ? 8 * n : 0);
}

NNB_API nnb_status nnb_net_train_state_get(const nnb_net *net, void *buf, size_t len,
                                           size_t *written) {
    NNBI_CHECK_NULL(net, __func__);
    NNBI_CHECK_NULL(buf, __func__);
    size_t need = nnb_net_train_state_size(net);
    if (len < need)
        return nnbi_error(NNB_E_SHAPE, __func__, "len is %zu, the state needs %zu bytes", len, need);
    const nnbi_opt_state *o = &net->opt;
    unsigned char *p = buf;
    int f = state_flags(o);
    memcpy(p, STATE_MAGIC, 4);
    nnbi_put_u32(p + 4, STATE_VERSION);
    nnbi_put_u32(p + 8, (uint32_t)o->kind);
    nnbi_put_u32(p + 12, (uint32_t)f);
    nnbi_put_u64(p + 16, o->n ? o->n : net->n_params);
    nnbi_put_u64(p + 24, o->step);
    nnbi_put_u64(p + 32, o->epoch);
    nnbi_put_f64(p + 40, o->last_loss);
    nnbi_put_f64(p + 48, o->lm_mu);
    for (int i = 0; i < 4; i++) nnbi_put_u64(p + 56 + 8 * i, net->rng.s[i]);
    p += STATE_HEADER;
    /* a float32 network's moments as doubles: exact, so they come back bit for bit */
    for (int b = 0; b < 2; b++) {
        const double *a = b ? o->v : o->m;
        const float *a32 = b ? o->v32 : o->m32;
        if (!(f & (1 << b))) continue;
        for (size_t i = 0; i < o->n; i++, p += 8) nnbi_put_f64(p, a ? a[i] : (double)a32[i]);
    }
    if (written) *written = need;
    return NNB_OK;
}

NNB_API nnb_status nnb_net_train_state_set(nnb_net *net, const void *buf, size_t len) {
    NNBI_CHECK_NULL(net, __func__);
    NNBI_CHECK_NULL(buf, __func__);
    const unsigned char *p = buf;
    if (len < STATE_HEADER || memcmp(p, STATE_MAGIC, 4) != 0)
        return nnbi_error(NNB_E_FORMAT, __func__, "not an nnblas training state (%zu bytes)", len);
    uint32_t version = nnbi_get_u32(p + 4);
    if (version > STATE_VERSION)
        return nnbi_error(NNB_E_VERSION, __func__,
                          "training state version %u is newer than this library's (%u)", version,
                          STATE_VERSION);
    int kind = (int)nnbi_get_u32(p + 8);
    uint32_t f = nnbi_get_u32(p + 12);
    uint64_t n = nnbi_get_u64(p + 16);
    if (kind < -1 || kind > NNB_OPT_LM || f > 3 || version == 0)
        return nnbi_error(NNB_E_FORMAT, __func__, "damaged training state (kind %d, flags %u)",
                          kind, (unsigned)f);
    if (n != net->n_params)
        return nnbi_error(NNB_E_SHAPE, __func__,
                          "the state is for %llu parameters, the network has %zu",
                          (unsigned long long)n, net->n_params);
    size_t nb = ((f & 1) ? 1 : 0) + ((f & 2) ? 1 : 0);
    if ((len - STATE_HEADER) / 8 / (n ? n : 1) < nb || len != STATE_HEADER + nb * 8 * n)
        return nnbi_error(NNB_E_FORMAT, __func__, "training state has %zu bytes, expected %llu",
                          len, (unsigned long long)(STATE_HEADER + nb * 8 * n));
    int f32 = net->dtype == NNB_F32;
    size_t es = f32 ? sizeof(float) : sizeof(double);
    void *m = (f & 1) ? malloc((n ? n : 1) * es) : NULL;
    void *v = (f & 2) ? malloc((n ? n : 1) * es) : NULL;
    if (((f & 1) && !m) || ((f & 2) && !v)) {
        free(m), free(v);
        return nnbi_error(NNB_E_NOMEM, __func__, "no memory for the optimiser state");
    }
    const unsigned char *q = p + STATE_HEADER;
    for (int b = 0; b < 2; b++) {
        void *a = b ? v : m;
        if (!(f & (1u << b))) continue;
        for (size_t i = 0; i < n; i++, q += 8) {
            double d = nnbi_get_f64(q);
            if (f32) ((float *)a)[i] = (float)d;
            else ((double *)a)[i] = d;
        }
    }
    nnbi_opt_free(&net->opt);
    nnbi_opt_state *o = &net->opt;
    o->kind = kind;
    if (f32) o->m32 = m, o->v32 = v;
    else o->m = m, o->v = v;
    o->n = (m || v) ? n : 0;
    o->step = nnbi_get_u64(p + 24);
    o->epoch = nnbi_get_u64(p + 32);
    o->last_loss = nnbi_get_f64(p + 40);
    o->lm_mu = nnbi_get_f64(p + 48);
    for (int i = 0; i < 4; i++) net->rng.s[i] = nnbi_get_u64(p + 56 + 8 * i);
    return NNB_OK;
}

NNB_API nnb_status nnb_net_train_state_reset(nnb_net *net) {
    NNBI_CHECK_NULL(net, __func__);
    nnbi_opt_free(&net->opt);
    return NNB_OK;
}
