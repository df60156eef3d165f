/*
 * The training team (issue 24): a network with convolution or pooling layers trains each batch
 * split into contiguous parts, one per thread, every part through the whole pass (forward, loss,
 * backward) with its own workspace and gradient, the products on one OpenBLAS thread each; the
 * gradients are then summed in the order of the parts. Small products such as a convolution's
 * chunk of two samples do not scale over OpenBLAS's threads, and the window work (im2col,
 * pooling, col2im) and the element-wise kernels are single-threaded; parts of a batch keep every
 * core busy with all of it. The caller is worker 0 (with the network's own workspace and
 * gradient); the others are threads started once per nnb_net_train call, waiting on a condition
 * variable between jobs. Nothing is allocated between nnbi_team_start and nnbi_team_stop.
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "train_internal.h"

/* Rows a worker's part has at least: below it the batch is split among fewer workers. */
#define NNBI_TEAM_MIN_ROWS 4

struct nnbi_team {
    size_t n;    /* workers, the caller included (>= 2) */
    size_t cap;  /* mates allocated (n, or 0) */
    size_t rows; /* rows of each worker's workspace: ceil(B / n) */
    nnbi_mate *mate;
    pthread_t *th;
    size_t started; /* threads running (workers 1 .. started) */
    pthread_mutex_t mu;
    pthread_cond_t go, done;
    uint64_t gen;   /* jobs handed out so far */
    size_t pending; /* workers still on the current job */
    int quit;
    nnbi_team_fn fn;
    void *arg;
};

static int has_spatial(const nnb_net *net) {
    for (size_t l = 0; l < net->n_layers; l++)
        if (net->layers[l].kind->spatial) return 1;
    return 0;
}

size_t nnbi_team_size(const nnb_net *net, const nnb_train_opts *o, size_t B, int threads) {
    if (threads < 2 || o->opt == NNB_OPT_LM || o->shard_count > 1 || !has_spatial(net)) return 1;
    size_t n = B / NNBI_TEAM_MIN_ROWS;
    if (n > (size_t)threads) n = (size_t)threads;
    return n < 2 ? 1 : n;
}

static size_t part_rows(size_t B, size_t n) { return (B + n - 1) / n; }

size_t nnbi_team_bytes(const nnb_net *net, size_t n, size_t B, const double *drop) {
    if (n < 2) return 0;
    size_t ws = nnbi_ws_bytes(net, part_rows(B, n), drop, 1, 1), g;
    if (ws == SIZE_MAX || !nnbi_mul_size(net->n_params + NNBI_GRAD_EXTRA, net->t->size, &g) ||
        ws > SIZE_MAX - g - sizeof(nnbi_mate) || (ws += g + sizeof(nnbi_mate)) > SIZE_MAX / (n - 1))
        return SIZE_MAX;
    return ws * (n - 1);
}

static void *mate_main(void *p) {
    nnbi_mate *m = p;
    nnbi_team *tm = m->team;
    uint64_t seen = 0;
    for (;;) {
        pthread_mutex_lock(&tm->mu);
        while (tm->gen == seen && !tm->quit) pthread_cond_wait(&tm->go, &tm->mu);
        if (tm->quit) {
            pthread_mutex_unlock(&tm->mu);
            return NULL;
        }
        seen = tm->gen;
        nnbi_team_fn fn = tm->fn;
        void *arg = tm->arg;
        pthread_mutex_unlock(&tm->mu);
        fn(arg, m->t);
        pthread_mutex_lock(&tm->mu);
        if (--tm->pending == 0) pthread_cond_signal(&tm->done);
        pthread_mutex_unlock(&tm->mu);
    }
}

void nnbi_team_run(nnbi_team *tm, nnbi_team_fn fn, void *arg) {
    pthread_mutex_lock(&tm->mu);
    tm->fn = fn;
    tm->arg = arg;
    tm->pending = tm->n - 1;
    tm->gen++;
    pthread_cond_broadcast(&tm->go);
    pthread_mutex_unlock(&tm->mu);
    fn(arg, 0);
    pthread_mutex_lock(&tm->mu);
    while (tm->pending > 0) pthread_cond_wait(&tm->done, &tm->mu);
    pthread_mutex_unlock(&tm->mu);
}

size_t nnbi_team_workers(const nnbi_team *tm) { return tm->n; }
size_t nnbi_team_rows(const nnbi_team *tm) { return tm->rows; }

nnbi_mate *nnbi_team_mate(nnbi_team *tm, size_t t) { return &tm->mate[t]; }

void nnbi_team_stop(nnbi_team *tm) {
    if (!tm) return;
    pthread_mutex_lock(&tm->mu);
    tm->quit = 1;
    pthread_cond_broadcast(&tm->go);
    pthread_mutex_unlock(&tm->mu);
    for (size_t i = 0; i < tm->started; i++) pthread_join(tm->th[i], NULL);
    for (size_t t = 1; t < tm->cap; t++) {
        nnbi_ws_free(&tm->mate[t].ws);
        free(tm->mate[t].grads);
    }
    pthread_cond_destroy(&tm->go);
    pthread_cond_destroy(&tm->done);
    pthread_mutex_destroy(&tm->mu);
    free(tm->th);
    free(tm->mate);
    free(tm);
    nnbi_blas_release();
}

/* The workers' workspaces and gradients (worker 0 has the network's). */
static nnb_status equip(nnbi_team *tm, nnb_net *net, const double *drop, const char *func) {
    size_t gbytes = (net->n_params + NNBI_GRAD_EXTRA) * net->t->size;
    for (size_t t = 0; t < tm->n; t++) {
        nnbi_mate *m = &tm->mate[t];
        m->team = tm;
        m->t = t;
        if (t == 0) {
            m->grads = net->grads;
            continue;
        }
        m->ws.drop = drop;
        nnb_status st = nnbi_ws_reserve(net, &m->ws, tm->rows, 1, 1, func);
        if (st != NNB_OK) return st;
        if (posix_memalign(&m->grads, 64, gbytes ? gbytes : 64) != 0) {
            m->grads = NULL;
            return nnbi_error(NNB_E_NOMEM, func, "no memory for a training thread's gradient");
        }
    }
    return NNB_OK;
}

/* The threads, with every signal blocked (a process's signals go to the caller's threads).
 * Returns whether all of them started. */
static int start_threads(nnbi_team *tm) {
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    while (tm->started + 1 < tm->n &&
           pthread_create(&tm->th[tm->started], NULL, mate_main, &tm->mate[tm->started + 1]) == 0)
        tm->started++;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return tm->started + 1 == tm->n;
}

nnb_status nnbi_team_start(nnbi_team **out, nnb_net *net, size_t n, size_t B, const double *drop,
                           const char *func) {
    *out = NULL;
    if (n < 2) return NNB_OK;
    nnbi_team *tm = calloc(1, sizeof *tm);
    if (!tm) return nnbi_error(NNB_E_NOMEM, func, "no memory for the training threads");
    tm->n = n;
    tm->rows = part_rows(B, n);
    tm->mate = calloc(n, sizeof *tm->mate);
    tm->th = calloc(n - 1, sizeof *tm->th);
    pthread_mutex_init(&tm->mu, NULL);
    pthread_cond_init(&tm->go, NULL);
    pthread_cond_init(&tm->done, NULL);
    if (tm->mate) tm->cap = n;
    nnbi_blas_hold_single(); /* released by nnbi_team_stop */
    nnb_status st = tm->mate && tm->th
                        ? equip(tm, net, drop, func)
                        : nnbi_error(NNB_E_NOMEM, func, "no memory for the training threads");
    if (st != NNB_OK || !start_threads(tm)) { /* a thread that does not start: train alone */
        nnbi_team_stop(tm);
        return st;
    }
    *out = tm;
    return NNB_OK;
}
