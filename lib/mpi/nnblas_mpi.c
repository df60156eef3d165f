/*
 * libnnblas_mpi: data-parallel training over MPI, on libnnblas's public shard and all-reduce hooks
 * (it sees nothing of the core's internals).
 *
 * No rank may be left waiting in a collective call that the others will never make. Every rank
 * therefore makes the same sequence of collective calls whatever happens locally:
 *
 *   1. setup: MPI_Comm_dup, then one MPI_Allreduce (MAX) of a vector holding "my local error" and
 *      (v, -v) pairs of the values that must agree (rows, columns, parameters, layout hash); on an
 *      error or a disagreement every rank returns here, after a broadcast of the first failing
 *      rank's message;
 *   2. MPI_Bcast of rank 0's parameters and training state;
 *   3. training: before each gradient all-reduce, a 4-integer MPI_Allreduce (MAX) of
 *      {left, -left, n, -n}: "left" is 0 for a rank still training, so a rank that has left the
 *      training (an error only it saw, or fewer steps) is noticed by the others at their next
 *      all-reduce, and a count that differs between ranks is noticed before the data all-reduce
 *      that would not match;
 *   4. the end: a rank that leaves nnb_net_train (whatever its status) repeats the same 4-integer
 *      all-reduce with left = 1 until every rank has left: it thereby answers the training ranks'
 *      calls of step 3;
 *   5. an agreement on the outcome: an MPI_Allreduce finds the first rank with an error of its own,
 *      whose status and message are broadcast.
 */
/* nnb_set_error() and the data-parallel hooks: nnblas.h's experimental tier */
#define NNB_EXPERIMENTAL
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nnblas_mpi.h"

enum { MSG = 1024 };
#define CHUNK ((size_t)1 << 30) /* elements per MPI call (counts are int) */

static _Thread_local struct {
    size_t calls, values;
    double seconds;
} last_stats;

/* A formatted message through nnb_set_error(); returns st. */
__attribute__((format(printf, 2, 3))) static nnb_status fail(nnb_status st, const char *fmt, ...) {
    char msg[MSG];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return nnb_set_error(st, msg);
}

/* An MPI error code as NNB_E_COMM with MPI's text. */
static nnb_status mpi_fail(int rc, const char *func, const char *call) {
    char text[MPI_MAX_ERROR_STRING + 1];
    int len = 0;
    if (MPI_Error_string(rc, text, &len) != MPI_SUCCESS || len < 0 || len > MPI_MAX_ERROR_STRING)
        snprintf(text, sizeof text, "error code %d", rc);
    else
        text[len] = '\0';
    return fail(NNB_E_COMM, "%s: %s failed: %s", func, call, text);
}

static int bcast_chunks(void *buf, size_t n, MPI_Datatype type, size_t elem, int root,
                        MPI_Comm comm) {
    for (size_t off = 0; off < n; off += CHUNK) {
        size_t k = n - off < CHUNK ? n - off : CHUNK;
        int rc = MPI_Bcast((char *)buf + off * elem, (int)k, type, root, comm);
        if (rc != MPI_SUCCESS) return rc;
    }
    return MPI_SUCCESS;
}

static int sum_chunks(double *buf, size_t n, MPI_Comm comm) {
    for (size_t off = 0; off < n; off += CHUNK) {
        size_t k = n - off < CHUNK ? n - off : CHUNK;
        int rc = MPI_Allreduce(MPI_IN_PLACE, buf + off, (int)k, MPI_DOUBLE, MPI_SUM, comm);
        if (rc != MPI_SUCCESS) return rc;
    }
    return MPI_SUCCESS;
}

/* sum_chunks over floats (a float32 network's gradient). */
static int sum_chunks32(float *buf, size_t n, MPI_Comm comm) {
    for (size_t off = 0; off < n; off += CHUNK) {
        size_t k = n - off < CHUNK ? n - off : CHUNK;
        int rc = MPI_Allreduce(MPI_IN_PLACE, buf + off, (int)k, MPI_FLOAT, MPI_SUM, comm);
        if (rc != MPI_SUCCESS) return rc;
    }
    return MPI_SUCCESS;
}

/* ---- a communicator of our own ----------------------------------------------------------------- */

typedef struct group {
    MPI_Comm comm; /* a duplicate of the caller's, with MPI_ERRORS_RETURN */
    int rank, size;
} group;

/* Checks that MPI can be used and duplicates comm. Errors here are returned at once (no collective
 * call can be trusted yet). */
static nnb_status group_open(group *g, MPI_Comm comm, const char *func) {
    g->comm = MPI_COMM_NULL;
    int flag = 0;
    MPI_Initialized(&flag);
    if (!flag) return fail(NNB_E_STATE, "%s: MPI is not initialised (call MPI_Init first)", func);
    MPI_Finalized(&flag);
    if (flag) return fail(NNB_E_STATE, "%s: MPI is already finalised", func);
    if (comm == MPI_COMM_NULL) return fail(NNB_E_INVALID_ARG, "%s: comm is MPI_COMM_NULL", func);
    int rc = MPI_Comm_test_inter(comm, &flag);
    if (rc != MPI_SUCCESS) return mpi_fail(rc, func, "MPI_Comm_test_inter");
    if (flag) return fail(NNB_E_INVALID_ARG, "%s: comm is an intercommunicator", func);
    rc = MPI_Comm_dup(comm, &g->comm);
    if (rc != MPI_SUCCESS) {
        g->comm = MPI_COMM_NULL;
        return mpi_fail(rc, func, "MPI_Comm_dup");
    }
    if ((rc = MPI_Comm_set_errhandler(g->comm, MPI_ERRORS_RETURN)) != MPI_SUCCESS ||
        (rc = MPI_Comm_rank(g->comm, &g->rank)) != MPI_SUCCESS ||
        (rc = MPI_Comm_size(g->comm, &g->size)) != MPI_SUCCESS) {
        MPI_Comm_free(&g->comm);
        return mpi_fail(rc, func, "setting up the communicator");
    }
    return NNB_OK;
}

static void group_close(group *g) {
    if (g->comm != MPI_COMM_NULL) MPI_Comm_free(&g->comm);
}

/* The outcome of one rank, broadcast from the first rank that failed. */
typedef struct report {
    int32_t status;
    char msg[MSG];
} report;

/*
 * Every rank brings its local status (st, with its message in nnb_last_error() when not NNB_OK)
 * and the values that must be equal on every rank; all return the same verdict. NNB_OK when every
 * rank is fine and the values agree. Otherwise: the rank that failed returns its own status and
 * message, the others that rank's status with a message naming it; a disagreement is NNB_E_SHAPE
 * with `names[i]` and the range of values, and *differ (if not NULL) is set. *mpi_broken is set
 * when an MPI call failed here (the verdict is then local).
 */
static nnb_status agree(const group *g, nnb_status st, const int64_t *vals,
                        const char *const *names, size_t n_vals, const char *func, int *mpi_broken,
                        int *differ) {
    enum { MAXV = 16 };
    int64_t v[1 + 2 * MAXV];
    if (n_vals > MAXV) n_vals = MAXV;
    v[0] = st != NNB_OK ? g->size - g->rank : 0; /* the largest: the first failing rank */
    for (size_t i = 0; i < n_vals; i++) v[1 + 2 * i] = vals[i], v[2 + 2 * i] = -vals[i];
    int rc = MPI_Allreduce(MPI_IN_PLACE, v, (int)(1 + 2 * n_vals), MPI_INT64_T, MPI_MAX, g->comm);
    if (rc != MPI_SUCCESS) {
        *mpi_broken = 1;
        return mpi_fail(rc, func, "MPI_Allreduce");
    }
    if (v[0] > 0) {
        int origin = g->size - (int)v[0];
        report r;
        memset(&r, 0, sizeof r);
        if (origin == g->rank) {
            r.status = (int32_t)st;
            snprintf(r.msg, sizeof r.msg, "%s", nnb_last_error());
        }
        rc = MPI_Bcast(&r, (int)sizeof r, MPI_BYTE, origin, g->comm);
        if (origin == g->rank) return nnb_set_error(st, r.msg); /* the message may have moved */
        if (rc != MPI_SUCCESS) {
            *mpi_broken = 1;
            return mpi_fail(rc, func, "MPI_Bcast");
        }
        r.msg[MSG - 1] = '\0';
        if (st != NNB_OK) return st; /* an error of its own too: keep it */
        return fail((nnb_status)r.status, "%s: rank %d of %d failed: %s", func, origin, g->size,
                    r.msg);
    }
    for (size_t i = 0; i < n_vals; i++)
        if (v[1 + 2 * i] != -v[2 + 2 * i]) {
            if (differ) *differ = 1;
            return fail(NNB_E_SHAPE,
                        "%s: the ranks disagree on %s (from %lld to %lld); it must be the "
                        "same on every rank",
                        func, names[i], (long long)-v[2 + 2 * i], (long long)v[1 + 2 * i]);
        }
    return NNB_OK;
}

/* A hash of the network's layout (inputs, units, activations, biases), split into two halves that
 * fit an int64 with room for its negation. */
static void layout_hash(const nnb_net *net, int64_t *hi, int64_t *lo) {
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    size_t L = nnb_net_n_layers(net);
    uint64_t words[3] = {nnb_net_n_inputs(net), L, (uint64_t)nnb_net_dtype(net)};
    for (int k = 0; k < 3; k++) h = (h ^ words[k]) * 1099511628211ULL;
    for (size_t l = 0; l < L; l++) {
        size_t n_out = 0;
        nnb_activation act = NNB_ACT_IDENTITY;
        int bias = 0;
        nnb_net_layer_info(net, l, NULL, &n_out, &act, &bias, NULL, NULL);
        uint64_t w[3] = {n_out, (uint64_t)act, (uint64_t)bias};
        for (int k = 0; k < 3; k++) h = (h ^ w[k]) * 1099511628211ULL;
    }
    *hi = (int64_t)(h >> 32);
    *lo = (int64_t)(h & 0xffffffffu);
}

/* Steps 1 and 2: the agreement on the layout (and on the extra values), then rank `root`'s
 * parameters and training state. NNB_OK on every rank or an error on every rank, except that a
 * failure after the agreement (a broadcast, restoring the state) is local: the caller must then
 * not train but still take part in the end (step 4). *agreed tells which. */
static nnb_status bcast_net(const group *g, nnb_net *net, int root, nnb_status st,
                            const int64_t *extra, const char *const *extra_names, size_t n_extra,
                            const char *func, int *agreed, int *mpi_broken) {
    enum { NV = 8 };
    int64_t vals[NV + 4] = {0};
    const char *names[NV + 4] = {"the parameter count", "the training state's size",
                                 "the network layout", "the network layout"};
    size_t state_len = 0;
    void *state = NULL;
    *agreed = 0;
    if (st == NNB_OK && !net) st = fail(NNB_E_NULL, "%s: net is NULL", func);
    if (st == NNB_OK && (root < 0 || root >= g->size))
        st = fail(NNB_E_INVALID_ARG, "%s: root %d is not a rank of the communicator (size %d)",
                  func, root, g->size);
    if (st == NNB_OK) {
        state_len = nnb_net_train_state_size(net);
        state = malloc(state_len ? state_len : 1);
        if (!state)
            st =
                fail(NNB_E_NOMEM, "%s: no memory for %zu bytes of training state", func, state_len);
    }
    if (st == NNB_OK && g->rank == root) st = nnb_net_train_state_get(net, state, state_len, NULL);
    if (st == NNB_OK) {
        vals[0] = (int64_t)nnb_net_n_params(net);
        vals[1] = (int64_t)state_len;
        layout_hash(net, &vals[2], &vals[3]);
    }
    size_t nv = 4;
    for (size_t i = 0; i < n_extra && nv < NV + 4; i++, nv++)
        vals[nv] = extra[i], names[nv] = extra_names[i];
    /* a failed rank's values are 0 and would look like a disagreement: its error comes first */
    st = agree(g, st, vals, names, nv, func, mpi_broken, NULL);
    if (st != NNB_OK) {
        free(state);
        return st;
    }
    *agreed = 1;
    size_t np = 0;
    int rc = MPI_SUCCESS;
    if (nnb_net_dtype(net) == NNB_F32) { /* the float32 arena, as it is */
        float *params = nnb_net_params_data_f32(net, &np);
        if (np) rc = bcast_chunks(params, np, MPI_FLOAT, sizeof(float), root, g->comm);
    } else {
        double *params = nnb_net_params_data(net, &np);
        if (np) rc = bcast_chunks(params, np, MPI_DOUBLE, sizeof(double), root, g->comm);
    }
    if (rc == MPI_SUCCESS) rc = bcast_chunks(state, state_len, MPI_BYTE, 1, root, g->comm);
    if (rc != MPI_SUCCESS) {
        *mpi_broken = 1;
        st = mpi_fail(rc, func, "MPI_Bcast");
    } else if (g->rank != root) {
        st = nnb_net_train_state_set(net, state, state_len);
    }
    free(state);
    return st;
}

NNB_API nnb_status nnb_mpi_bcast_net(MPI_Comm comm, nnb_net *net, int root) {
    const char *func = __func__;
    group g;
    nnb_status st = group_open(&g, comm, func);
    if (st != NNB_OK) return st;
    int agreed = 0, broken = 0;
    const int64_t r = root;
    static const char *const names[1] = {"the root"};
    st = bcast_net(&g, net, root, NNB_OK, &r, names, 1, func, &agreed, &broken);
    if (agreed && !broken)
        st = agree(&g, st, NULL, NULL, 0, func, &broken, NULL); /* restoring it */
    group_close(&g);
    return st;
}

/* ---- training ---------------------------------------------------------------------------------- */

/* The options of nnb_mpi_train_ex(). */
struct nnb_mpi_opts {
    nnb_mpi_overlap overlap;
    size_t bucket_bytes;
    nnb_mpi_wire wire;
};

enum { DEFAULT_BUCKET = 512 << 10, DEFAULT_POLL_US = 200 };

typedef struct ctx {
    const group *g;
    int peer_left;      /* another rank left the training before this one */
    int64_t n_lo, n_hi; /* the counts when the ranks asked to reduce different counts */
    int mpi_rc;         /* a failed MPI call (MPI_SUCCESS: none) */
    const char *mpi_call;
    size_t calls, values;
    double seconds;
    /* the gradient hook (overlap, or the float32 wire without overlap) */
    int overlap, wire32;
    int net32;         /* a float32 network: its float gradient goes as MPI_FLOAT, no wire copy */
    size_t np, bucket; /* parameters; the bucket size in values */
    int in_step;       /* pieces of this step's gradient were announced */
    size_t hi, b_hi;   /* the next piece ends at hi; the open bucket is [hi, b_hi) */
    MPI_Comm dcomm;    /* the gradient's non-blocking all-reduces */
    MPI_Request *reqs;
    size_t n_reqs, cap_reqs;
    float *f32; /* the float32 wire's buffer (np values) */
    /* two ranks: each bucket is a send of ours and a receive of the peer's (one round, both
     * directions of the link at once), summed after the wait; else an MPI_Iallreduce */
    int pair, peer;
    void *peer_buf; /* np values of the wire's type: the peer's gradient, or the send buffer */
    /* the progress thread (NNB_MPI_OVERLAP_THREAD) */
    int threaded, quit, active;
    long poll_ns;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
} ctx;

static void lock(ctx *c) {
    if (c->threaded) pthread_mutex_lock(&c->mu);
}
static void unlock(ctx *c) {
    if (c->threaded) pthread_mutex_unlock(&c->mu);
}

/* The progress thread: while requests are in flight, MPI_Testall every poll_ns (Open MPI's
 * non-blocking collectives advance only inside MPI calls). */
static void *progress_main(void *arg) {
    ctx *c = arg;
    struct timespec ts = {0, c->poll_ns};
    pthread_mutex_lock(&c->mu);
    while (!c->quit) {
        if (!c->active) {
            pthread_cond_wait(&c->cv, &c->mu);
            continue;
        }
        int flag = 0;
        if (MPI_Testall((int)c->n_reqs, c->reqs, &flag, MPI_STATUSES_IGNORE) != MPI_SUCCESS || flag)
            c->active = 0; /* done (an error shows again in the training thread's wait) */
        pthread_mutex_unlock(&c->mu);
        nanosleep(&ts, NULL);
        pthread_mutex_lock(&c->mu);
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

/* The 4-integer check before a gradient's all-reduce (step 3). 0, or as mpi_allreduce. */
static int check_step(ctx *c, size_t n) {
    int64_t v[4] = {0, 0, (int64_t)n, -(int64_t)n};
    int rc = MPI_Allreduce(MPI_IN_PLACE, v, 4, MPI_INT64_T, MPI_MAX, c->g->comm);
    if (rc != MPI_SUCCESS) {
        c->mpi_rc = rc, c->mpi_call = "MPI_Allreduce";
        return 1;
    }
    if (v[0] > 0) {
        c->peer_left = 1;
        return 2;
    }
    if (v[2] != -v[3]) {
        c->n_lo = -v[3], c->n_hi = v[2];
        return 3;
    }
    return 0;
}

/* Starts the non-blocking all-reduce of grad[lo, hi) (under the lock). grad holds doubles, or
 * floats for a float32 network; the float32 wire sends its float copy of a float64 gradient. */
static int start_bucket(ctx *c, void *grad, size_t lo, size_t hi) {
    const int flt = c->wire32 || c->net32;
    const MPI_Datatype t = flt ? MPI_FLOAT : MPI_DOUBLE;
    const size_t el = flt ? sizeof(float) : sizeof(double);
    char *base = c->wire32 ? (char *)c->f32 : (char *)grad; /* what this rank sends */
    for (size_t off = lo; off < hi; off += CHUNK) {
        size_t k = hi - off < CHUNK ? hi - off : CHUNK;
        if (c->n_reqs == c->cap_reqs) {
            c->mpi_rc = MPI_ERR_INTERN, c->mpi_call = "MPI_Iallreduce (too many buckets)";
            return 1;
        }
        int rc;
        if (c->wire32)
            for (size_t i = off; i < off + k; i++) c->f32[i] = (float)((const double *)grad)[i];
        void *mine = base + off * el;
        if (c->pair) {
            if (c->n_reqs + 1 >= c->cap_reqs) {
                c->mpi_rc = MPI_ERR_INTERN, c->mpi_call = "MPI_Isend (too many buckets)";
                return 1;
            }
            rc = MPI_Irecv((char *)c->peer_buf + off * el, (int)k, t, c->peer, 0, c->dcomm,
                           &c->reqs[c->n_reqs]);
            if (rc == MPI_SUCCESS) {
                rc = MPI_Isend(mine, (int)k, t, c->peer, 0, c->dcomm, &c->reqs[c->n_reqs + 1]);
                if (rc != MPI_SUCCESS) { /* the receive would wait for a send that never comes */
                    MPI_Cancel(&c->reqs[c->n_reqs]);
                    MPI_Wait(&c->reqs[c->n_reqs], MPI_STATUS_IGNORE);
                    c->mpi_rc = rc, c->mpi_call = "MPI_Isend";
                    return 1;
                }
                c->n_reqs++;
            }
        } else {
            /* not in place: Open MPI's libnbc then picks a reduce-scatter + allgather for 4 ranks
             * or more, where in place it always reduces to one rank and broadcasts back */
            char *send = (char *)c->peer_buf + off * el;
            memcpy(send, mine, k * el);
            rc = MPI_Iallreduce(send, mine, (int)k, t, MPI_SUM, c->dcomm, &c->reqs[c->n_reqs]);
        }
        if (rc != MPI_SUCCESS) {
            c->mpi_rc = rc, c->mpi_call = c->pair ? "MPI_Irecv" : "MPI_Iallreduce";
            return 1;
        }
        c->n_reqs++;
    }
    return 0;
}

/* The gradient hook handed to nnb_net_train: the first piece of a step checks that every rank is
 * still training (step 3's check, moved here so that no rank starts a bucket the others will not
 * match); with overlap, pieces are gathered into buckets whose all-reduces start at once. */
static int grad_piece(ctx *c, void *grad, size_t offset, size_t n) {
    double t0 = MPI_Wtime();
    int rc = 0;
    if (!c->in_step) {
        c->in_step = 1;
        c->hi = c->b_hi = c->np;
        c->n_reqs = 0;
        if (c->overlap) rc = check_step(c, c->np + 2);
    }
    if (rc == 0 && offset + n != c->hi) {
        c->mpi_rc = MPI_ERR_INTERN, c->mpi_call = "the gradient hook (pieces out of order)";
        rc = 1;
    }
    if (rc == 0) {
        c->hi = offset;
        if (c->overlap && (2 * (c->b_hi - offset) >= c->bucket || offset == 0)) {
            lock(c);
            rc = start_bucket(c, grad, offset, c->b_hi);
            c->b_hi = offset;
            if (rc == 0 && c->threaded) {
                c->active = 1;
                pthread_cond_signal(&c->cv);
            } else if (rc == 0) { /* no thread: progress here, between layers */
                int flag;
                MPI_Testall((int)c->n_reqs, c->reqs, &flag, MPI_STATUSES_IGNORE);
            }
            unlock(c);
        }
    }
    c->seconds += MPI_Wtime() - t0;
    return rc;
}

static int mpi_grad_ready(double *grad, size_t offset, size_t n, void *user) {
    return grad_piece(user, grad, offset, n);
}

/* The float32 network's hook: the same, over its float gradient. */
static int mpi_grad_ready32(float *grad, size_t offset, size_t n, void *user) {
    return grad_piece(user, grad, offset, n);
}

/* Waits for the step's buckets: MPI_Testall, then a 50 us sleep, until all are done. MPI_Waitall
 * would spin, and on a host whose cores the ranks share a spinning rank takes the core from the
 * other's computation and from the kernel's TCP work that both wait for; the sleep costs at most
 * 50 us per step. */
static int wait_buckets(ctx *c) {
    const struct timespec ts = {0, 50000};
    int rc, flag = 0;
    for (;;) {
        lock(c);
        rc = MPI_Testall((int)c->n_reqs, c->reqs, &flag, MPI_STATUSES_IGNORE);
        if (rc != MPI_SUCCESS || flag) c->active = 0;
        unlock(c);
        if (rc != MPI_SUCCESS || flag) return rc;
        nanosleep(&ts, NULL);
    }
}

/* Two ranks: adds the peer's gradient to ours. a + b == b + a in IEEE arithmetic, so both ranks
 * hold the same bits (in float32 with the float32 wire or a float32 network, as MPI_SUM of
 * MPI_FLOAT would). data is a float32 network's float gradient when c->net32. */
static void pair_sum(ctx *c, void *data) {
    if (c->net32) {
        float *g = data;
        const float *p = c->peer_buf;
        for (size_t i = 0; i < c->np; i++) g[i] = g[i] + p[i];
    } else if (c->wire32) {
        const float *p = c->peer_buf;
        for (size_t i = 0; i < c->np; i++) c->f32[i] = c->f32[i] + p[i];
    } else {
        double *g = data;
        const double *p = c->peer_buf;
        for (size_t i = 0; i < c->np; i++) g[i] += p[i];
    }
}

/* The rest of a gradient all-reduce whose pieces the hook saw: waits for the buckets (overlap)
 * or sums the gradient now (float32 wire without overlap), then sums the extra values. */
static int finish_step(ctx *c, double *data, size_t n) {
    c->in_step = 0;
    if (n != c->np + 2 || c->hi != 0) {
        c->mpi_rc = MPI_ERR_INTERN, c->mpi_call = "the gradient all-reduce (incomplete pieces)";
        return 1;
    }
    int rc = MPI_SUCCESS;
    const char *call = "MPI_Testall";
    if (c->overlap) {
        rc = wait_buckets(c);
        if (rc == MPI_SUCCESS && c->pair) pair_sum(c, data);
    } else { /* the float32 wire, synchronous */
        int r = check_step(c, n);
        if (r != 0) return r;
        for (size_t i = 0; i < c->np; i++) c->f32[i] = (float)data[i];
        call = "MPI_Allreduce";
        for (size_t off = 0; off < c->np && rc == MPI_SUCCESS; off += CHUNK) {
            size_t k = c->np - off < CHUNK ? c->np - off : CHUNK;
            rc = MPI_Allreduce(MPI_IN_PLACE, c->f32 + off, (int)k, MPI_FLOAT, MPI_SUM, c->g->comm);
        }
    }
    if (rc == MPI_SUCCESS && c->wire32)
        for (size_t i = 0; i < c->np; i++) data[i] = (double)c->f32[i];
    if (rc == MPI_SUCCESS) {
        call = "MPI_Allreduce";
        rc = MPI_Allreduce(MPI_IN_PLACE, data + c->np, (int)(n - c->np), MPI_DOUBLE, MPI_SUM,
                           c->g->comm);
    }
    if (rc != MPI_SUCCESS) {
        c->mpi_rc = rc, c->mpi_call = call;
        return 1;
    }
    return 0;
}

/* finish_step for a float32 network whose float pieces the hook saw: waits for the buckets, then
 * sums the two extra floats (the batch loss and the flags). */
static int finish_step32(ctx *c, float *data, size_t n) {
    c->in_step = 0;
    if (n != c->np + 2 || c->hi != 0) {
        c->mpi_rc = MPI_ERR_INTERN, c->mpi_call = "the gradient all-reduce (incomplete pieces)";
        return 1;
    }
    const char *call = "MPI_Testall";
    int rc = wait_buckets(c);
    if (rc == MPI_SUCCESS && c->pair) pair_sum(c, data);
    if (rc == MPI_SUCCESS) {
        call = "MPI_Allreduce";
        rc = MPI_Allreduce(MPI_IN_PLACE, data + c->np, (int)(n - c->np), MPI_FLOAT, MPI_SUM,
                           c->g->comm);
    }
    if (rc != MPI_SUCCESS) {
        c->mpi_rc = rc, c->mpi_call = call;
        return 1;
    }
    return 0;
}

/* The all-reduce handed to nnb_net_train (step 3). Returns 0, or 1 (MPI failed), 2 (another rank has
 * left), 3 (the counts differ). */
static int mpi_allreduce(double *data, size_t n, void *user) {
    ctx *c = user;
    double t0 = MPI_Wtime();
    int r;
    if (c->in_step) { /* a gradient whose pieces the hook saw */
        r = finish_step(c, data, n);
    } else if ((r = check_step(c, n)) == 0 && (r = sum_chunks(data, n, c->g->comm)) != 0) {
        c->mpi_rc = r, c->mpi_call = "MPI_Allreduce";
        r = 1;
    }
    if (r != 0) return r;
    c->calls++;
    c->values += n;
    c->seconds += MPI_Wtime() - t0;
    return 0;
}

/* The float32 all-reduce handed to nnb_net_train: a float32 network's gradient and its two counters,
 * summed as floats (step 3's check first). Returns as mpi_allreduce. */
static int mpi_allreduce32(float *data, size_t n, void *user) {
    ctx *c = user;
    double t0 = MPI_Wtime();
    int r;
    if (c->in_step) { /* a gradient whose float pieces the hook saw */
        r = finish_step32(c, data, n);
    } else if ((r = check_step(c, n)) == 0 && (r = sum_chunks32(data, n, c->g->comm)) != 0) {
        c->mpi_rc = r, c->mpi_call = "MPI_Allreduce";
        r = 1;
    }
    if (r != 0) return r;
    c->calls++;
    c->values += n;
    c->seconds += MPI_Wtime() - t0;
    return 0;
}

/* Step 4: this rank has left the training; answers the others' calls until all have left. */
static int leave(const group *g) {
    for (;;) {
        int64_t v[4] = {1, -1, 0, 0};
        int rc = MPI_Allreduce(MPI_IN_PLACE, v, 4, MPI_INT64_T, MPI_MAX, g->comm);
        if (rc != MPI_SUCCESS) return rc;
        if (v[1] == -1) return MPI_SUCCESS; /* the smallest "left" is 1: everyone has */
    }
}

NNB_API nnb_status nnb_mpi_opts_create(nnb_mpi_opts **out) {
    if (!out) return fail(NNB_E_NULL, "nnb_mpi_opts_create: out is NULL");
    *out = calloc(1, sizeof **out);
    if (!*out) return fail(NNB_E_NOMEM, "nnb_mpi_opts_create: no memory");
    (*out)->bucket_bytes = DEFAULT_BUCKET;
    return NNB_OK;
}

NNB_API void nnb_mpi_opts_free(nnb_mpi_opts *o) { free(o); }

NNB_API nnb_status nnb_mpi_opts_set_overlap(nnb_mpi_opts *o, nnb_mpi_overlap mode,
                                            size_t bucket_bytes) {
    const char *func = __func__;
    if (!o) return fail(NNB_E_NULL, "%s: opts is NULL", func);
    if (mode != NNB_MPI_SYNC && mode != NNB_MPI_OVERLAP_TEST && mode != NNB_MPI_OVERLAP_THREAD)
        return fail(NNB_E_INVALID_ARG, "%s: unknown overlap mode %d", func, (int)mode);
    if (bucket_bytes != 0 && (bucket_bytes < 8 || bucket_bytes > ((size_t)1 << 40)))
        return fail(NNB_E_INVALID_ARG,
                    "%s: bucket size %zu bytes is out of range (0 for the default, else 8 bytes "
                    "to 1 TiB)",
                    func, bucket_bytes);
    o->overlap = mode;
    o->bucket_bytes = bucket_bytes ? bucket_bytes : DEFAULT_BUCKET;
    return NNB_OK;
}

NNB_API nnb_status nnb_mpi_opts_set_wire(nnb_mpi_opts *o, nnb_mpi_wire wire) {
    if (!o) return fail(NNB_E_NULL, "nnb_mpi_opts_set_wire: opts is NULL");
    if (wire != NNB_MPI_WIRE_NATIVE && wire != NNB_MPI_WIRE_FLOAT32)
        return fail(NNB_E_INVALID_ARG, "nnb_mpi_opts_set_wire: unknown wire format %d", (int)wire);
    o->wire = wire;
    return NNB_OK;
}

NNB_API nnb_status nnb_mpi_opts_get_overlap(const nnb_mpi_opts *o, nnb_mpi_overlap *mode,
                                            size_t *bucket_bytes) {
    if (!o) return fail(NNB_E_NULL, "nnb_mpi_opts_get_overlap: opts is NULL");
    if (mode) *mode = o->overlap;
    if (bucket_bytes) *bucket_bytes = o->bucket_bytes;
    return NNB_OK;
}

NNB_API nnb_status nnb_mpi_opts_get_wire(const nnb_mpi_opts *o, nnb_mpi_wire *wire) {
    if (!o) return fail(NNB_E_NULL, "nnb_mpi_opts_get_wire: opts is NULL");
    if (wire) *wire = o->wire;
    return NNB_OK;
}

/* The hook's resources, once the ranks agreed (dcomm is collective: every rank gets here). A
 * local failure (memory) is returned; the caller then takes no part in training. */
static nnb_status hook_open(ctx *c, const nnb_mpi_opts *m, int *broken, const char *func) {
    c->dcomm = MPI_COMM_NULL;
    if (!c->overlap && !c->wire32) return NNB_OK;
    if (c->overlap) {
        int rc = MPI_Comm_dup(c->g->comm, &c->dcomm);
        if (rc == MPI_SUCCESS) rc = MPI_Comm_set_errhandler(c->dcomm, MPI_ERRORS_RETURN);
        if (rc != MPI_SUCCESS) {
            *broken = 1;
            return mpi_fail(rc, func, "MPI_Comm_dup");
        }
        c->cap_reqs = 4 * (c->np / c->bucket + 1) + 4;
        c->reqs = malloc(c->cap_reqs * sizeof *c->reqs);
        if (!c->reqs) return fail(NNB_E_NOMEM, "%s: no memory for %zu requests", func, c->cap_reqs);
        c->peer = 1 - c->g->rank;
        size_t el = c->wire32 || c->net32 ? sizeof(float) : sizeof(double);
        c->peer_buf = malloc((c->np ? c->np : 1) * el);
        if (!c->peer_buf) return fail(NNB_E_NOMEM, "%s: no memory for the buckets' buffer", func);
    }
    if (c->wire32) {
        c->f32 = malloc((c->np ? c->np : 1) * sizeof *c->f32);
        if (!c->f32) return fail(NNB_E_NOMEM, "%s: no memory for the float32 wire", func);
    }
    int level = MPI_THREAD_SINGLE;
    MPI_Query_thread(&level);
    if (m->overlap == NNB_MPI_OVERLAP_THREAD && level >= MPI_THREAD_SERIALIZED &&
        pthread_mutex_init(&c->mu, NULL) == 0) {
        if (pthread_cond_init(&c->cv, NULL) != 0) {
            pthread_mutex_destroy(&c->mu);
            return NNB_OK; /* no thread: progress between layers */
        }
        const char *env = getenv("NNB_MPI_POLL_US");
        long us = env ? strtol(env, NULL, 10) : DEFAULT_POLL_US;
        c->poll_ns = (us > 0 && us < 100000 ? us : DEFAULT_POLL_US) * 1000L;
        c->threaded = 1;
        if (pthread_create(&c->thread, NULL, progress_main, c) != 0) {
            c->threaded = 0;
            pthread_cond_destroy(&c->cv);
            pthread_mutex_destroy(&c->mu);
        }
    }
    return NNB_OK;
}

static void hook_close(ctx *c) {
    if (c->threaded) {
        pthread_mutex_lock(&c->mu);
        c->quit = 1;
        pthread_cond_signal(&c->cv);
        pthread_mutex_unlock(&c->mu);
        pthread_join(c->thread, NULL);
        pthread_cond_destroy(&c->cv);
        pthread_mutex_destroy(&c->mu);
        c->threaded = 0;
    }
    /* After an error buckets may still be in flight; a non-blocking collective cannot be
     * cancelled or freed, but the other ranks started the same buckets (they all passed the
     * step's check), so they complete: wait for them, within a bound (after that they leak). */
    double t0 = MPI_Wtime();
    int done = c->n_reqs == 0;
    while (!done && MPI_Wtime() - t0 < 10.0) {
        if (MPI_Testall((int)c->n_reqs, c->reqs, &done, MPI_STATUSES_IGNORE) != MPI_SUCCESS) break;
        if (!done) {
            struct timespec ts = {0, 100000};
            nanosleep(&ts, NULL);
        }
    }
    if (c->dcomm != MPI_COMM_NULL) MPI_Comm_free(&c->dcomm);
    free(c->reqs);
    free(c->f32);
    free(c->peer_buf);
}

/* The end of a call (steps 4 and 5) for a rank that took part in the agreement. */
static nnb_status finish_call(const group *g, ctx *c, nnb_status st, int broken, const char *func) {
    if (c->mpi_rc != MPI_SUCCESS) {
        broken = 1;
        st = mpi_fail(c->mpi_rc, func, c->mpi_call);
    } else if (c->n_hi != c->n_lo) {
        st = fail(NNB_E_COMM,
                  "%s: the ranks asked to all-reduce different counts (%lld and %lld values): "
                  "different options (validation, callbacks) on different ranks?",
                  func, (long long)c->n_lo, (long long)c->n_hi);
    }
    last_stats.calls = c->calls, last_stats.values = c->values, last_stats.seconds = c->seconds;

    /* step 4, then step 5 */
    int rc = broken ? MPI_SUCCESS : leave(g);
    if (rc != MPI_SUCCESS) {
        broken = 1;
        st = mpi_fail(rc, func, "MPI_Allreduce");
    }
    if (!broken) {
        /* a rank that only stopped because another left has no error of its own */
        nnb_status own = c->peer_left ? NNB_OK : st;
        int64_t left_early = c->peer_left;
        static const char *const names[1] = {"whether they stopped early"};
        int differ = 0;
        nnb_status verdict = agree(g, own, &left_early, names, 1, func, &broken, &differ);
        /* without an error anywhere, a rank that stopped early means the step counts differed */
        if (!broken && (differ || (verdict == NNB_OK && c->peer_left)))
            verdict = fail(NNB_E_COMM,
                           "%s: the ranks ran different numbers of training steps (different "
                           "options, e.g. epochs or callbacks, on different ranks?)",
                           func);
        st = verdict;
    }
    return st;
}

NNB_API nnb_status nnb_mpi_train_ex(MPI_Comm comm, nnb_net *net, const nnb_train_opts *opts,
                                    const nnb_mpi_opts *mopts, const double *x, size_t rows,
                                    size_t x_cols, const double *y, size_t y_cols,
                                    nnb_history *history) {
    const char *func = mopts ? __func__ : "nnb_mpi_train";
    static const nnb_mpi_opts sync_opts = {NNB_MPI_SYNC, DEFAULT_BUCKET, NNB_MPI_WIRE_NATIVE};
    const nnb_mpi_opts *m = mopts ? mopts : &sync_opts;
    last_stats.calls = last_stats.values = 0;
    last_stats.seconds = 0;
    group g;
    nnb_status st = group_open(&g, comm, func);
    if (st != NNB_OK) return st;

    /* steps 1-2: local checks, the agreement, rank 0's network */
    nnb_train_opts *o = NULL;
    if (!opts) st = fail(NNB_E_NULL, "%s: opts is NULL", func);
    if (st == NNB_OK) st = nnb_train_opts_copy(&o, opts);
    if (st == NNB_OK) st = nnb_train_opts_set_shard(o, (size_t)g.rank, (size_t)g.size);
    /* a float32 network sums its float gradient as MPI_FLOAT whatever the wire option; its
     * buckets are of bucket_bytes of floats */
    const int net32 = net && nnb_net_dtype(net) == NNB_F32;
    const int wire32 = m->wire == NNB_MPI_WIRE_FLOAT32 && g.size > 1;
    ctx c = {.g = &g,
             .mpi_rc = MPI_SUCCESS,
             .overlap = m->overlap != NNB_MPI_SYNC && g.size > 1,
             .wire32 = wire32 && !net32,
             .net32 = net32,
             .bucket = m->bucket_bytes / (net32 ? sizeof(float) : sizeof(double))};
    /* NNB_MPI_IALLREDUCE=1: MPI_Iallreduce for two ranks too (to compare; agreed below) */
    const char *ia = getenv("NNB_MPI_IALLREDUCE");
    c.pair = c.overlap && g.size == 2 && !(ia && *ia && strcmp(ia, "0") != 0);
    if (net) c.np = nnb_net_n_params(net);
    if (st == NNB_OK) st = nnb_train_opts_set_allreduce(o, mpi_allreduce, &c);
    if (st == NNB_OK) st = nnb_train_opts_set_allreduce_f32(o, mpi_allreduce32, &c);
    if (st == NNB_OK && !net32 && (c.overlap || c.wire32))
        st = nnb_train_opts_set_grad_ready(o, mpi_grad_ready, c.overlap ? c.bucket : 0, &c);
    if (st == NNB_OK && net32 && c.overlap)
        st = nnb_train_opts_set_grad_ready_f32(o, mpi_grad_ready32, c.bucket, &c);
    const int64_t shape[7] = {(int64_t)rows,
                              (int64_t)x_cols,
                              (int64_t)y_cols,
                              c.overlap,
                              c.overlap ? (int64_t)c.bucket : 0,
                              wire32,
                              c.pair};
    static const char *const shape_names[7] = {"the number of rows",
                                               "x's columns",
                                               "y's columns",
                                               "overlap",
                                               "the bucket size",
                                               "the wire format",
                                               "the bucket exchange (NNB_MPI_IALLREDUCE)"};
    int agreed = 0, broken = 0;
    st = bcast_net(&g, net, 0, st, shape, shape_names, 7, func, &agreed, &broken);
    if (!agreed || broken) { /* every rank returns here (or MPI is unusable) */
        nnb_train_opts_free(o);
        group_close(&g);
        return st;
    }
    nnb_status hs = hook_open(&c, m, &broken, func);
    if (st == NNB_OK) st = hs;

    /* step 3: training (a rank that failed to restore the state goes straight to step 4) */
    if (st == NNB_OK && !broken) st = nnb_net_train(net, o, x, rows, x_cols, y, y_cols, history);
    nnb_train_opts_free(o);
    st = finish_call(&g, &c, st, broken, func);
    hook_close(&c);
    group_close(&g);
    return st;
}

NNB_API nnb_status nnb_mpi_train(MPI_Comm comm, nnb_net *net, const nnb_train_opts *opts,
                                 const double *x, size_t rows, size_t x_cols, const double *y,
                                 size_t y_cols, nnb_history *history) {
    return nnb_mpi_train_ex(comm, net, opts, NULL, x, rows, x_cols, y, y_cols, history);
}

NNB_API void nnb_mpi_comm_stats(size_t *calls, size_t *values, double *seconds) {
    if (calls) *calls = last_stats.calls;
    if (values) *values = last_stats.values;
    if (seconds) *seconds = last_stats.seconds;
}
