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
 *   4. the end: a rank that leaves nnb_train (whatever its status) repeats the same 4-integer
 *      all-reduce with left = 1 until every rank has left: it thereby answers the training ranks'
 *      calls of step 3;
 *   5. an agreement on the outcome: an MPI_Allreduce finds the first rank with an error of its own,
 *      whose status and message are broadcast.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
static nnb_status agree(const group *g, nnb_status st, const int64_t *vals, const char *const *names,
                        size_t n_vals, const char *func, int *mpi_broken, int *differ) {
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
    uint64_t words[2] = {nnb_net_n_inputs(net), L};
    for (int k = 0; k < 2; k++) h = (h ^ words[k]) * 1099511628211ULL;
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
        if (!state) st = fail(NNB_E_NOMEM, "%s: no memory for %zu bytes of training state", func,
                              state_len);
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
    double *params = nnb_net_params_data(net, &np);
    int rc = MPI_SUCCESS;
    if (np) rc = bcast_chunks(params, np, MPI_DOUBLE, sizeof(double), root, g->comm);
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
    if (agreed && !broken) st = agree(&g, st, NULL, NULL, 0, func, &broken, NULL); /* restoring it */
    group_close(&g);
    return st;
}

/* ---- training ---------------------------------------------------------------------------------- */

typedef struct ctx {
    const group *g;
    int peer_left;     /* another rank left the training before this one */
    int64_t n_lo, n_hi; /* the counts when the ranks asked to reduce different counts */
    int mpi_rc;        /* a failed MPI call (MPI_SUCCESS: none) */
    const char *mpi_call;
    size_t calls, values;
    double seconds;
} ctx;

/* The all-reduce handed to nnb_train (step 3). Returns 0, or 1 (MPI failed), 2 (another rank has
 * left), 3 (the counts differ). */
static int mpi_allreduce(double *data, size_t n, void *user) {
    ctx *c = user;
    double t0 = MPI_Wtime();
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
    rc = sum_chunks(data, n, c->g->comm);
    if (rc != MPI_SUCCESS) {
        c->mpi_rc = rc, c->mpi_call = "MPI_Allreduce";
        return 1;
    }
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

NNB_API nnb_status nnb_mpi_train(MPI_Comm comm, nnb_net *net, const nnb_train_opts *opts,
                                 const double *x, size_t rows, size_t x_cols, const double *y,
                                 size_t y_cols, nnb_history *history) {
    const char *func = __func__;
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
    ctx c = {.g = &g, .mpi_rc = MPI_SUCCESS};
    if (st == NNB_OK) st = nnb_train_opts_set_allreduce(o, mpi_allreduce, &c);
    const int64_t shape[3] = {(int64_t)rows, (int64_t)x_cols, (int64_t)y_cols};
    static const char *const shape_names[3] = {"the number of rows", "x's columns", "y's columns"};
    int agreed = 0, broken = 0;
    st = bcast_net(&g, net, 0, st, shape, shape_names, 3, func, &agreed, &broken);
    if (!agreed || broken) { /* every rank returns here (or MPI is unusable) */
        nnb_train_opts_free(o);
        group_close(&g);
        return st;
    }

    /* step 3: training (a rank that failed to restore the state goes straight to step 4) */
    if (st == NNB_OK) st = nnb_train(net, o, x, rows, x_cols, y, y_cols, history);
    nnb_train_opts_free(o);
    if (c.mpi_rc != MPI_SUCCESS) {
        broken = 1;
        st = mpi_fail(c.mpi_rc, func, c.mpi_call);
    } else if (c.n_hi != c.n_lo) {
        st = fail(NNB_E_COMM,
                  "%s: the ranks asked to all-reduce different counts (%lld and %lld values): "
                  "different options (validation, callbacks) on different ranks?",
                  func, (long long)c.n_lo, (long long)c.n_hi);
    }
    last_stats.calls = c.calls, last_stats.values = c.values, last_stats.seconds = c.seconds;

    /* step 4, then step 5 */
    int rc = broken ? MPI_SUCCESS : leave(&g);
    if (rc != MPI_SUCCESS) {
        broken = 1;
        st = mpi_fail(rc, func, "MPI_Allreduce");
    }
    if (!broken) {
        /* a rank that only stopped because another left has no error of its own */
        nnb_status own = c.peer_left ? NNB_OK : st;
        int64_t left_early = c.peer_left;
        static const char *const names[1] = {"whether they stopped early"};
        int differ = 0;
        nnb_status verdict = agree(&g, own, &left_early, names, 1, func, &broken, &differ);
        /* without an error anywhere, a rank that stopped early means the step counts differed */
        if (!broken && (differ || (verdict == NNB_OK && c.peer_left)))
            verdict = fail(NNB_E_COMM,
                           "%s: the ranks ran different numbers of training steps (different "
                           "options, e.g. epochs or callbacks, on different ranks?)",
                           func);
        st = verdict;
    }
    group_close(&g);
    return st;
}

NNB_API void nnb_mpi_comm_stats(size_t *calls, size_t *values, double *seconds) {
    if (calls) *calls = last_stats.calls;
    if (values) *values = last_stats.values;
    if (seconds) *seconds = last_stats.seconds;
}
