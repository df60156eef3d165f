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
    opt->es.best = INFINITY;
    opt->sched.kind = -1;
    opt->sched.mult = 1;
}

void nnbi_opt_free(nnbi_opt_state *opt) {
    free(opt->m);
    free(opt->v);
    free(opt->es.params);
    nnbi_opt_init(opt);
}

/* Which moment buffers an optimiser keeps: bit 0 = m (momentum / Adam's first), bit 1 = v. */
static int moments_of(int kind) {
    switch (kind) {
    case NNB_OPT_MOMENTUM:
    case NNB_OPT_NESTEROV:
        return 1;
    case NNB_OPT_ADAM:
    case NNB_OPT_ADAMW:
        return 3;
    case NNB_OPT_RMSPROP:
        return 2;
    default:
        return 0;
    }
}

nnb_status nnbi_opt_prepare(nnb_net *net, const nnb_train_opts *opts, const char *func) {
    nnbi_opt_state *o = &net->opt;
    int kind = (int)opts->opt;
    int need = moments_of(kind);
    if (o->kind == kind && o->n == net->n_params && ((need & 1) == 0 || o->m) &&
        ((need & 2) == 0 || o->v))
        return NNB_OK;
    /* A different optimiser (or none yet): fresh moments, counters kept. */
    size_t n = net->n_params, es = net->t->size;
    void *m = (need & 1) ? calloc(n ? n : 1, es) : NULL;
    void *v = (need & 2) ? calloc(n ? n : 1, es) : NULL;
    if (((need & 1) && !m) || ((need & 2) && !v)) {
        free(m), free(v);
        return nnbi_error(NNB_E_NOMEM, func, "no memory for the optimiser state (%zu parameters)",
                          n);
    }
    free(o->m), free(o->v);
    o->m = m, o->v = v;
    o->n = n;
    if (o->kind != kind) o->step = 0; /* Adam's bias correction restarts with its moments */
    o->kind = kind;
    return NNB_OK;
}

void nnbi_opt_step_part(nnb_net *net, const nnb_train_opts *opts, double lr, size_t lo, size_t n) {
    nnbi_opt_state *o = &net->opt;
    const nnbi_elem *t = net->t;
    double wd = opts->weight_decay;
    void *p = nnbi_at(t, net->params, lo);
    const void *g = nnbi_at(t, net->grads, lo);
    void *m = o->m ? nnbi_at(t, o->m, lo) : NULL, *v = o->v ? nnbi_at(t, o->v, lo) : NULL;
    switch (opts->opt) {
    case NNB_OPT_SGD:
        t->sgd(n, p, g, NULL, lr, 0.0, wd, 0);
        break;
    case NNB_OPT_MOMENTUM:
    case NNB_OPT_NESTEROV:
        t->sgd(n, p, g, m, lr, opts->momentum, wd, opts->opt == NNB_OPT_NESTEROV);
        break;
    case NNB_OPT_ADAM:
    case NNB_OPT_ADAMW: {
        double step = (double)o->step;
        double bc1 = 1.0 / (1.0 - pow(opts->beta1, step));
        double bc2 = 1.0 / (1.0 - pow(opts->beta2, step));
        int w = opts->opt == NNB_OPT_ADAMW;
        t->adam(n, p, g, m, v, lr, opts->beta1, opts->beta2, opts->adam_eps, bc1, bc2, w ? 0.0 : wd,
                w ? wd : 0.0);
        break;
    }
    case NNB_OPT_RMSPROP:
        t->rmsprop(n, p, g, v, lr, opts->rho, opts->rms_eps, wd);
        break;
    default:
        break;
    }
}

void nnbi_opt_step(nnb_net *net, const nnb_train_opts *opts, double lr) {
    net->opt.step++;
    nnbi_opt_step_part(net, opts, lr, 0, net->n_params);
}

/* ---- learning-rate schedules (docs/definitions.md, "Schedules") ----------------------------- */

void nnbi_schedule_begin(nnb_net *net, const nnb_train_opts *o) {
    nnbi_sched *s = &net->opt.sched;
    double mult = o->schedule == NNB_SCHED_COSINE_RESTARTS ? o->sched_mult : 1.0;
    if (s->kind == (int)o->schedule && s->lr == o->lr && s->p1 == o->sched1 && s->p2 == o->sched2 &&
        s->mult == mult)
        return; /* the same schedule: it goes on from where it is */
    /* A state saved by 0.1 did not record its schedule, whose position was the epoch count. */
    uint64_t start = s->kind == -2 ? 0 : net->opt.epoch;
    s->kind = (int)o->schedule;
    s->lr = o->lr;
    s->p1 = o->sched1;
    s->p2 = o->sched2;
    s->mult = mult;
    s->start = start;
    s->horizon = o->schedule == NNB_SCHED_COSINE && o->sched1 == 0
                     ? (double)(net->opt.epoch - start + o->epochs)
                     : o->sched1;
}

/* Cosine annealing from lr (t = 0) to lr_min (t = T). */
static double cosine(double lr, double lr_min, double t, double T) {
    return lr_min + (lr - lr_min) * (1.0 + cos(3.14159265358979323846 * t / T)) / 2;
}

double nnbi_schedule_lr(const nnbi_sched *s, uint64_t epoch) {
    double lr = s->lr, e = (double)(epoch - s->start);
    switch (s->kind) {
    case NNB_SCHED_STEP:
        return lr * pow(s->p2, floor(e / s->p1));
    case NNB_SCHED_EXPONENTIAL:
        return lr * pow(s->p1, e);
    case NNB_SCHED_COSINE:
        return cosine(lr, s->p2, e < s->horizon ? e : s->horizon, s->horizon);
    case NNB_SCHED_COSINE_RESTARTS: { /* SGDR: period T_i = T_0 mult^i, restarting at lr */
        double T = s->p1, t = e;
        if (s->mult == 1)
            t = fmod(e, T);
        else
            while (t >= T) t -= T, T *= s->mult;
        return cosine(lr, s->p2, t, T);
    }
    default:
        return lr;
    }
}

/* ---- the training state as bytes ------------------------------------------------------------
 * Layout (all little-endian): "NNBT" | u32 version (2) | i32 kind | u32 flags (bit 0: m, bit 1: v)
 * | u64 n_params | u64 step | u64 epoch | f64 last_loss | f64 lm_mu | u64 rng[4]
 * | f64 m[n] if flag 0 | f64 v[n] if flag 1
 * | records (version 2): u32 tag | u64 length | length bytes, each; unknown tags are skipped.
 * Version 1 (nnblas 0.1) ends after the moments. The records (docs/model-format.md):
 *   1 the learning-rate schedule (56 bytes): i32 kind | u32 0 | f64 lr | f64 p1 | f64 p2
 *     | f64 mult | u64 start | f64 horizon
 *   2 the early-stopping watch: u64 best_epoch | u64 since | f64 best | u64 has_params
 *     | f64 params[n] if has_params
 *   3 an epoch stopped within: u64 batches | u64 n_train | u64 batch | f64 loss_sum
 *     | f64 hits | u64 rng[4] | f64 loss_sum's compensation */

#define STATE_MAGIC "NNBT"
#define STATE_VERSION 2u
#define STATE_HEADER (4 + 4 + 4 + 4 + 8 * 3 + 8 * 2 + 8 * 4)
#define REC_HEADER 12u
#define REC_SCHEDULE 1u
#define REC_SCHEDULE_LEN 56u
#define REC_WATCH 2u
#define REC_WATCH_FIXED 32u
#define REC_EPOCH_POS 3u
#define REC_EPOCH_POS_LEN 80u

static int state_flags(const nnbi_opt_state *o) { return (o->m ? 1 : 0) | (o->v ? 2 : 0); }

/* Bytes of the records: the schedule's (unless it is unknown: a 0.1 state), the early-stopping
 * watch's (while one runs) and an interrupted epoch's position. */
static size_t records_size(const nnb_net *net) {
    const nnbi_opt_state *o = &net->opt;
    size_t n = o->sched.kind == -2 ? 0 : REC_HEADER + REC_SCHEDULE_LEN;
    if (o->es.on) n += REC_HEADER + REC_WATCH_FIXED + (o->es.params ? 8 * net->n_params : 0);
    if (o->ep.batches) n += REC_HEADER + REC_EPOCH_POS_LEN;
    return n;
}

NNB_API size_t nnb_net_train_state_size(const nnb_net *net) {
    if (!net) return 0;
    int f = state_flags(&net->opt);
    size_t n = net->opt.n;
    return STATE_HEADER + ((f & 1) ? 8 * n : 0) + ((f & 2) ? 8 * n : 0) + records_size(net);
}

static unsigned char *put_record(unsigned char *p, uint32_t tag, size_t len) {
    nnbi_put_u32(p, tag);
    nnbi_put_u64(p + 4, len);
    return p + REC_HEADER;
}

static void put_records(const nnb_net *net, unsigned char *p) {
    const nnbi_opt_state *o = &net->opt;
    if (o->sched.kind != -2) {
        const nnbi_sched *s = &o->sched;
        p = put_record(p, REC_SCHEDULE, REC_SCHEDULE_LEN);
        nnbi_put_u32(p, (uint32_t)s->kind);
        nnbi_put_u32(p + 4, 0);
        nnbi_put_f64(p + 8, s->lr);
        nnbi_put_f64(p + 16, s->p1);
        nnbi_put_f64(p + 24, s->p2);
        nnbi_put_f64(p + 32, s->mult);
        nnbi_put_u64(p + 40, s->start);
        nnbi_put_f64(p + 48, s->horizon);
        p += REC_SCHEDULE_LEN;
    }
    if (o->es.on) {
        size_t np = o->es.params ? net->n_params : 0;
        p = put_record(p, REC_WATCH, REC_WATCH_FIXED + 8 * np);
        nnbi_put_u64(p, o->es.best_epoch);
        nnbi_put_u64(p + 8, o->es.since);
        nnbi_put_f64(p + 16, o->es.best);
        nnbi_put_u64(p + 24, o->es.params != NULL);
        p += REC_WATCH_FIXED;
        for (size_t i = 0; i < np; i++, p += 8) nnbi_put_f64(p, o->es.params[i]);
    }
    if (o->ep.batches) {
        p = put_record(p, REC_EPOCH_POS, REC_EPOCH_POS_LEN);
        nnbi_put_u64(p, o->ep.batches);
        nnbi_put_u64(p + 8, o->ep.n_train);
        nnbi_put_u64(p + 16, o->ep.batch);
        nnbi_put_f64(p + 24, o->ep.loss_sum);
        nnbi_put_f64(p + 32, o->ep.hits);
        for (int i = 0; i < 4; i++) nnbi_put_u64(p + 40 + 8 * i, o->ep.rng[i]);
        nnbi_put_f64(p + 72, o->ep.loss_c);
    }
}

NNB_API nnb_status nnb_net_train_state_get(const nnb_net *net, void *buf, size_t len,
                                           size_t *written) {
    NNBI_CHECK_NULL(net, __func__);
    NNBI_CHECK_NULL(buf, __func__);
    size_t need = nnb_net_train_state_size(net);
    if (len < need)
        return nnbi_error(NNB_E_SHAPE, __func__, "len is %zu, the state needs %zu bytes", len,
                          need);
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
    /* the moments as doubles (exact for float32, so they come back bit for bit) */
    for (int b = 0; b < 2; b++) {
        const void *a = b ? o->v : o->m;
        if (!(f & (1 << b))) continue;
        for (size_t i = 0; i < o->n; i++, p += 8) nnbi_put_f64(p, net->t->get(a, i));
    }
    put_records(net, p);
    if (written) *written = need;
    return NNB_OK;
}

/* Reads and checks a schedule record's payload against the state's epoch count. */
static nnb_status get_schedule(const unsigned char *q, uint64_t epoch, nnbi_sched *s) {
    s->kind = (int)nnbi_get_u32(q);
    s->lr = nnbi_get_f64(q + 8);
    s->p1 = nnbi_get_f64(q + 16);
    s->p2 = nnbi_get_f64(q + 24);
    s->mult = nnbi_get_f64(q + 32);
    s->start = nnbi_get_u64(q + 40);
    s->horizon = nnbi_get_f64(q + 48);
    int ok = s->kind >= -1 && s->kind <= NNB_SCHED_COSINE_RESTARTS && s->start <= epoch &&
             isfinite(s->lr) && isfinite(s->p1) && isfinite(s->p2) && isfinite(s->mult) &&
             isfinite(s->horizon) && s->mult >= 1;
    if (ok && s->kind == NNB_SCHED_STEP) ok = s->p1 >= 1;
    if (ok && s->kind == NNB_SCHED_COSINE) ok = s->horizon > 0;
    if (ok && s->kind == NNB_SCHED_COSINE_RESTARTS) ok = s->p1 >= 1;
    if (!ok)
        return nnbi_error(NNB_E_FORMAT, "nnb_net_train_state_set",
                          "damaged training state (schedule kind %d, start %llu of %llu epochs)",
                          s->kind, (unsigned long long)s->start, (unsigned long long)epoch);
    return NNB_OK;
}

/* Reads the early-stopping watch's record (bl bytes at q) into t->es (params allocated). */
static nnb_status get_watch(const unsigned char *q, uint64_t bl, uint64_t n, const nnbi_elem *et,
                            nnbi_opt_state *t) {
    const char *func = "nnb_net_train_state_set";
    if (bl < REC_WATCH_FIXED)
        return nnbi_error(NNB_E_FORMAT, func, "training state: short early-stopping record");
    uint64_t has = nnbi_get_u64(q + 24);
    if (has > 1 || (has && (bl - REC_WATCH_FIXED) / 8 != n) || (!has && bl != REC_WATCH_FIXED) ||
        (bl - REC_WATCH_FIXED) % 8)
        return nnbi_error(NNB_E_FORMAT, func, "training state: damaged early-stopping record");
    t->es.on = 1;
    t->es.best_epoch = nnbi_get_u64(q);
    t->es.since = nnbi_get_u64(q + 8);
    t->es.best = nnbi_get_f64(q + 16);
    if (isnan(t->es.best))
        return nnbi_error(NNB_E_FORMAT, func, "training state: the best loss is NaN");
    if (has) {
        free(t->es.params);
        t->es.params = malloc((n ? n : 1) * sizeof(double));
        if (!t->es.params) return nnbi_error(NNB_E_NOMEM, func, "no memory for the best weights");
        for (uint64_t i = 0; i < n; i++) t->es.params[i] = nnbi_get_f64(q + 32 + 8 * i);
        size_t bad;
        if (nnbi_elem_get(NNB_F64)->find_nonfinite(t->es.params, (size_t)n, &bad))
            return nnbi_error(NNB_E_NONFINITE, func,
                              "training state: best weight %zu is not finite", bad);
        if (nnbi_find_beyond(et, t->es.params, (size_t)n, &bad))
            return nnbi_error(NNB_E_NONFINITE, func,
                              "training state: best weight %zu (%g) is "
                              "beyond float32's range",
                              bad, t->es.params[bad]);
    }
    return NNB_OK;
}

/* The records after the moments (q .. q + len), checked and read into *t (schedule kind -2 if
 * there is none; t->es.params allocated). */
static nnb_status get_records(const unsigned char *q, size_t len, uint64_t n, const nnbi_elem *et,
                              nnbi_opt_state *t) {
    const char *func = "nnb_net_train_state_set";
    t->sched.kind = -2;
    t->sched.mult = 1;
    while (len > 0) {
        if (len < REC_HEADER)
            return nnbi_error(NNB_E_FORMAT, func, "training state ends inside a record header");
        uint32_t tag = nnbi_get_u32(q);
        uint64_t bl = nnbi_get_u64(q + 4);
        if (bl > len - REC_HEADER)
            return nnbi_error(NNB_E_FORMAT, func,
                              "training state record %u of %llu bytes overruns the state", tag,
                              (unsigned long long)bl);
        const unsigned char *r = q + REC_HEADER;
        nnb_status st = NNB_OK;
        if (tag == REC_SCHEDULE) {
            if (bl != REC_SCHEDULE_LEN)
                return nnbi_error(NNB_E_FORMAT, func,
                                  "training state schedule record of %llu bytes",
                                  (unsigned long long)bl);
            st = get_schedule(r, t->epoch, &t->sched);
        } else if (tag == REC_WATCH) {
            st = get_watch(r, bl, n, et, t);
        } else if (tag == REC_EPOCH_POS) {
            if (bl != REC_EPOCH_POS_LEN)
                return nnbi_error(NNB_E_FORMAT, func, "training state: damaged epoch position");
            t->ep.batches = nnbi_get_u64(r);
            t->ep.n_train = nnbi_get_u64(r + 8);
            t->ep.batch = nnbi_get_u64(r + 16);
            t->ep.loss_sum = nnbi_get_f64(r + 24);
            t->ep.hits = nnbi_get_f64(r + 32);
            for (int i = 0; i < 4; i++) t->ep.rng[i] = nnbi_get_u64(r + 40 + 8 * i);
            t->ep.loss_c = nnbi_get_f64(r + 72);
        }
        if (st != NNB_OK) return st;
        q += REC_HEADER + bl;
        len -= REC_HEADER + (size_t)bl;
    }
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
    size_t core = STATE_HEADER + nb * 8 * n; /* n = n_params: the arena exists, so no wrap */
    if (len < core || (version == 1 && len != core))
        return nnbi_error(NNB_E_FORMAT, __func__, "training state has %zu bytes, expected %s%zu",
                          len, version == 1 ? "" : "at least ", core);
    size_t es = net->t->size;
    nnbi_opt_state t;
    nnbi_opt_init(&t);
    t.epoch = nnbi_get_u64(p + 32);
    void *m = (f & 1) ? malloc((n ? n : 1) * es) : NULL;
    void *v = (f & 2) ? malloc((n ? n : 1) * es) : NULL;
    t.m = m, t.v = v;
    if (((f & 1) && !m) || ((f & 2) && !v)) {
        nnbi_opt_free(&t);
        return nnbi_error(NNB_E_NOMEM, __func__, "no memory for the optimiser state");
    }
    nnb_status st = get_records(p + core, len - core, n, net->t, &t);
    if (st != NNB_OK) {
        nnbi_opt_free(&t);
        return st;
    }
    const unsigned char *q = p + STATE_HEADER;
    for (int b = 0; b < 2; b++) {
        void *a = b ? v : m;
        if (!(f & (1u << b))) continue;
        for (size_t i = 0; i < n; i++, q += 8) {
            double d = nnbi_get_f64(q);
            /* an infinite moment is a state training reaches (Adam's v of a gradient of 1e20
             * in float32), and a float32 network's moment beyond its range becomes one; NaN is
             * not (its step would have made the parameters NaN, and such a network is not
             * saved) */
            if (isnan(d)) {
                nnbi_opt_free(&t);
                return nnbi_error(NNB_E_NONFINITE, __func__,
                                  "training state: moment %c[%zu] is "
                                  "NaN",
                                  b ? 'v' : 'm', i);
            }
            net->t->set(a, i, d);
        }
    }
    t.kind = kind;
    t.n = (m || v) ? n : 0;
    t.step = nnbi_get_u64(p + 24);
    t.last_loss = nnbi_get_f64(p + 40);
    t.lm_mu = nnbi_get_f64(p + 48);
    nnbi_opt_free(&net->opt);
    net->opt = t;
    for (int i = 0; i < 4; i++) net->rng.s[i] = nnbi_get_u64(p + 56 + 8 * i);
    return NNB_OK;
}

NNB_API nnb_status nnb_net_train_state_reset(nnb_net *net) {
    NNBI_CHECK_NULL(net, __func__);
    nnbi_opt_free(&net->opt);
    return NNB_OK;
}
