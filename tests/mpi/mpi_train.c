/*
 * libnnblas_mpi under mpirun (tests/mpi/mpirun.py starts it with N ranks and a time bound):
 *
 *   mpi_train equal      N ranks reach one process's weights (to 1e-10 relative after 5 epochs),
 *                        with the same bits on every rank, for four option sets
 *   mpi_train failures   an error on one rank ends the call on every rank with an error
 *                        (never a hang), and MPI still works afterwards
 *   mpi_train die exit|abort
 *                        rank 1 exits or aborts in the middle of training: mpirun must end the
 *                        job (the driver checks that it does, within the bound)
 *
 * Every rank checks what it sees and prints "rank R: FAIL ..." for each failed check; the exit
 * status is 1 on every rank if any check failed on any rank.
 */
#define NNB_EXPERIMENTAL /* nnb_train_opts_set_allreduce_f32() */
/* the positional epoch callback (deprecated until 1.0), exercised on purpose */
#define NNB_DISABLE_DEPRECATION_WARNINGS
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnblas_mpi.h"

enum { ROWS = 203, NI = 7, NO = 3, HID = 16 };

static int rank, size, failed;

#define CHECK(cond, ...)                                                    \
  do {                                                                      \
    if (!(cond)) {                                                          \
      printf("rank %d: FAIL %s:%d: %s: ", rank, __FILE__, __LINE__, #cond); \
      printf(__VA_ARGS__);                                                  \
      printf("\n");                                                         \
      fflush(stdout);                                                       \
      failed = 1;                                                           \
    }                                                                       \
  } while (0)

/* The call returned `want` and nnb_last_error() contains `frag`. */
#define EXPECT(st, want, frag)                                                     \
  do {                                                                             \
    nnb_status st_ = (st);                                                         \
    if (rank < 2 && st_ != NNB_OK)                                                 \
      printf("rank %d, line %d: %s: %s\n", rank, __LINE__, nnb_status_name(st_),   \
             nnb_last_error());                                                    \
    CHECK(st_ == (want), "returned %s, expected %s (%s)", nnb_status_name(st_),    \
          nnb_status_name(want), nnb_last_error());                                \
    CHECK(strstr(nnb_last_error(), (frag)) != NULL, "message \"%s\" lacks \"%s\"", \
          nnb_last_error(), (frag));                                               \
  } while (0)

static double X[ROWS * NI], Y[ROWS * NO], VX[40 * NI], VY[40 * NO];

/* The same data on every rank: a fixed generator (xorshift) of normal-ish values. */
static double draw(unsigned long long *s) {
    double u = 0;
    for (int k = 0; k < 4; k++) {
        *s ^= *s << 13, *s ^= *s >> 7, *s ^= *s << 17;
        u += (double)(*s >> 11) / 9007199254740992.0;
    }
    return u - 2;
}

static void make_data(void) {
    unsigned long long s = 17;
    for (int i = 0; i < ROWS * NI; i++) X[i] = draw(&s);
    for (int i = 0; i < 40 * NI; i++) VX[i] = draw(&s);
    memset(Y, 0, sizeof Y);
    memset(VY, 0, sizeof VY);
    for (int i = 0; i < ROWS; i++) Y[i * NO + (X[i * NI] > 0) + (X[i * NI + 1] > 0.5)] = 1;
    for (int i = 0; i < 40; i++) VY[i * NO + (VX[i * NI] > 0) + (VX[i * NI + 1] > 0.5)] = 1;
}

/* The element type of make_net's networks (the failure tests run once in each). */
static nnb_dtype net_dtype = NNB_F64;

/* Whether make_net makes a convolutional network (issue 24): the 7 inputs as a 1 x 7 x 1 image,
 * a convolution of 4 filters of 3 x 1 (padding 1 above and below), max pooling 2 x 1 with stride
 * 1, then the softmax output. */
static int use_cnn;

static nnb_status add_hidden(nnb_net *net, nnb_activation hidden) {
    if (!use_cnn) return nnb_net_add_dense(net, HID, hidden, 1);
    nnb_window c = {3, 1, 1, 1, 1, 1, 0, 0, 0}, p = {2, 1, 1, 1, 0, 0, 0, 0, 0};
    nnb_status st = nnb_net_set_input_shape(net, 1, NI, 1);
    if (st == NNB_OK) st = nnb_net_add_conv2d(net, 4, &c, hidden, 1);
    return st == NNB_OK ? nnb_net_add_maxpool(net, &p) : st;
}

/* A 7-16-3 network (or the CNN above); `seed` gives its weights and generator. */
static nnb_net *make_net(unsigned long long seed, nnb_activation hidden) {
    nnb_net *net = NULL;
    if (nnb_net_create_dtype(&net, NI, net_dtype) != NNB_OK || add_hidden(net, hidden) != NNB_OK ||
        nnb_net_add_dense(net, NO, NNB_ACT_SOFTMAX, 1) != NNB_OK ||
        nnb_net_init(net, NNB_INIT_XAVIER_UNIFORM, seed) != NNB_OK) {
        printf("rank %d: cannot build the network: %s\n", rank, nnb_last_error());
        exit(1);
    }
    return net;
}

/* Non-blocking calls of the overlapped paths by element type, counted through MPI's profiling
 * interface (MPI_Isend and MPI_Iallreduce below): which type the buckets carried, and how many. */
static size_t nb_float, nb_double;

typedef struct config {
    const char *name;
    nnb_optimizer opt;
    double lr;
    size_t batch;
    int shuffle;
    double val_split; /* 0: none */
    int val_set;      /* a given validation set */
    double wd, clip;
    int callback; /* an epoch callback that never stops */
} config;

static int epoch_cb(const nnb_net *net, size_t epoch, double tl, double vl, double ta, double va,
                    double secs, double sps, int up, void *user) {
    (void)net, (void)epoch, (void)tl, (void)vl, (void)ta, (void)va, (void)secs, (void)sps, (void)up;
    (void)user;
    return 0;
}

static nnb_train_opts *make_opts(const config *c, size_t epochs) {
    nnb_train_opts *o = NULL;
    nnb_status st = nnb_train_opts_create(&o);
    if (st == NNB_OK) st = nnb_train_opts_set_optimizer(o, c->opt, c->lr);
    if (st == NNB_OK) st = nnb_train_opts_set_loss(o, NNB_LOSS_CE, NNB_REDUCTION_MEAN);
    if (st == NNB_OK) st = nnb_train_opts_set_batch_size(o, c->batch);
    if (st == NNB_OK) st = nnb_train_opts_set_shuffle(o, c->shuffle);
    if (st == NNB_OK) st = nnb_train_opts_set_epochs(o, epochs);
    if (st == NNB_OK && c->val_split > 0)
        st = nnb_train_opts_set_validation_split(o, c->val_split, 3);
    if (st == NNB_OK && c->val_set) st = nnb_train_opts_set_validation(o, VX, VY, 40);
    if (st == NNB_OK && c->wd > 0) st = nnb_train_opts_set_weight_decay(o, c->wd);
    if (st == NNB_OK && c->clip > 0) st = nnb_train_opts_set_clip_norm(o, c->clip);
    if (st == NNB_OK && c->callback) st = nnb_train_opts_set_epoch_callback(o, epoch_cb, NULL);
    if (st != NNB_OK) {
        printf("rank %d: options: %s\n", rank, nnb_last_error());
        exit(1);
    }
    return o;
}

/* Are the n values the same bits on every rank? */
static int same_everywhere(const double *p, size_t n) {
    double *mx = malloc(2 * n * sizeof *mx);
    for (size_t i = 0; i < n; i++) mx[i] = p[i], mx[n + i] = -p[i];
    MPI_Allreduce(MPI_IN_PLACE, mx, (int)(2 * n), MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    int same = 1;
    for (size_t i = 0; i < n; i++) same &= memcmp(&mx[i], &p[i], 8) == 0 && mx[i] == -mx[n + i];
    free(mx);
    return same;
}

/* ---- equal ---------------------------------------------------------------------------------- */

static const config configs[] = {
    {"sgd, batch 32, shuffled", NNB_OPT_SGD, 0.1, 32, 1, 0, 0, 0, 0, 0},
    {"adam, batch 25, validation split, callback", NNB_OPT_ADAM, 0.01, 25, 1, 0.2, 0, 0, 0, 1},
    {"nesterov, full batch", NNB_OPT_NESTEROV, 0.05, 0, 1, 0, 0, 0, 0, 0},
    {"rmsprop, batch 7 in order, validation set, weight decay, clipping", NNB_OPT_RMSPROP, 0.003, 7,
     0, 0, 1, 1e-3, 0.5, 0},
};

/* How the gradient is summed: nnb_mpi_train(), or nnb_mpi_train_ex() with these options. */
typedef struct variant {
    const char *name;
    int ex; /* 0: nnb_mpi_train */
    nnb_mpi_overlap mode;
    size_t bucket;
    nnb_mpi_wire wire;
    double tol; /* the largest relative difference from one process */
} variant;

static const variant variants[] = {
    {"synchronous", 0, NNB_MPI_SYNC, 0, NNB_MPI_WIRE_NATIVE, 1e-10},
    {"overlap (MPI_Test), 64-byte buckets", 1, NNB_MPI_OVERLAP_TEST, 64, NNB_MPI_WIRE_NATIVE,
     1e-10},
    {"overlap (thread), 512-byte buckets", 1, NNB_MPI_OVERLAP_THREAD, 512, NNB_MPI_WIRE_NATIVE,
     1e-10},
    {"overlap (thread), default buckets", 1, NNB_MPI_OVERLAP_THREAD, 0, NNB_MPI_WIRE_NATIVE, 1e-10},
    {"float32 wire", 1, NNB_MPI_SYNC, 0, NNB_MPI_WIRE_FLOAT32, 1e-5},
    {"float32 wire, overlap (thread), 256-byte buckets", 1, NNB_MPI_OVERLAP_THREAD, 256,
     NNB_MPI_WIRE_FLOAT32, 1e-5},
};

static nnb_status train_variant(const variant *v, nnb_net *net, const nnb_train_opts *o,
                                nnb_history *h) {
    if (!v->ex) return nnb_mpi_train(MPI_COMM_WORLD, net, o, X, ROWS, NI, Y, NO, h);
    nnb_mpi_opts *m = NULL;
    nnb_status st = nnb_mpi_opts_create(&m);
    if (st == NNB_OK) st = nnb_mpi_opts_set_overlap(m, v->mode, v->bucket);
    if (st == NNB_OK) st = nnb_mpi_opts_set_wire(m, v->wire);
    if (st == NNB_OK) st = nnb_mpi_train_ex(MPI_COMM_WORLD, net, o, m, X, ROWS, NI, Y, NO, h);
    nnb_mpi_opts_free(m);
    return st;
}

static void test_equal_variant(const variant *v) {
    const size_t epochs = 5;
    for (size_t k = 0; k < sizeof configs / sizeof configs[0]; k++) {
        config cc = configs[k];
        char name[256];
        snprintf(name, sizeof name, "%s; %s", configs[k].name, v->name);
        cc.name = name;
        const config *c = &cc;
        nnb_train_opts *o = make_opts(c, epochs);
        /* every rank starts from other weights and another generator: rank 0's are broadcast */
        nnb_net *net = make_net(99 + 1000 * (unsigned long long)rank, NNB_ACT_TANH);
        nnb_history *h;
        nnb_history_create(&h);
        nnb_status st = train_variant(v, net, o, h);
        CHECK(st == NNB_OK, "%s: %s", c->name, nnb_last_error());
        size_t calls, values;
        double secs;
        nnb_mpi_comm_stats(&calls, &values, &secs);
        size_t np = nnb_net_n_params(net), n_train = ROWS - (size_t)(c->val_split * ROWS);
        size_t B = c->batch ? c->batch : n_train, steps = epochs * ((n_train + B - 1) / B);
        if (size > 1) {
            /* one all-reduce of the gradient and two counters per step, then the epoch sums (5),
             * then the callback's stop flag (1) */
            size_t want_calls = steps + epochs * (1 + (size_t)c->callback);
            CHECK(calls == want_calls, "%s: %zu all-reduces, expected %zu", c->name, calls,
                  want_calls);
            CHECK(values == steps * (np + 2) + epochs * (5 + (size_t)c->callback),
                  "%s: %zu values all-reduced", c->name, values);
            CHECK(secs > 0 && secs < 600, "%s: %g s in all-reduces", c->name, secs);
        } else {
            CHECK(calls == 0 && values == 0, "one rank all-reduces nothing");
        }
        double *p = malloc(np * sizeof *p), loss[5], ref_loss[5];
        nnb_net_params_get(net, p, np);
        CHECK(same_everywhere(p, np), "%s: the ranks' weights differ", c->name);
        CHECK(nnb_history_n_epochs(h) == epochs, "%s: %zu epochs recorded", c->name,
              nnb_history_n_epochs(h));
        nnb_history_get(h, NNB_HIST_TRAIN_LOSS, loss, epochs);
        CHECK(same_everywhere(loss, epochs), "%s: the ranks' losses differ", c->name);
        if (rank == 0) {
            /* the reference: one process, nnb_net_train, the same start */
            nnb_net *one = make_net(99, NNB_ACT_TANH);
            nnb_history *rh;
            nnb_history_create(&rh);
            st = nnb_net_train(one, o, X, ROWS, NI, Y, NO, rh);
            CHECK(st == NNB_OK, "%s: one process: %s", c->name, nnb_last_error());
            double *q = malloc(np * sizeof *q), worst = 0, worst_loss = 0;
            nnb_net_params_get(one, q, np);
            for (size_t i = 0; i < np; i++)
                worst = fmax(worst, fabs(p[i] - q[i]) / fmax(fabs(q[i]), 1e-3));
            nnb_history_get(rh, NNB_HIST_TRAIN_LOSS, ref_loss, epochs);
            for (size_t e = 0; e < epochs; e++)
                worst_loss = fmax(worst_loss, fabs(loss[e] - ref_loss[e]) / fabs(ref_loss[e]));
            printf("%d rank%s, %s: largest relative difference from one process: weights %.2g, "
                   "losses %.2g; %zu all-reduces of %zu values, %.3f s\n",
                   size, size > 1 ? "s" : "", c->name, worst, worst_loss, calls, values, secs);
            CHECK(worst <= v->tol, "%s: %d ranks differ from one process by %g", c->name, size,
                  worst);
            CHECK(worst_loss <= v->tol, "%s: the losses differ by %g", c->name, worst_loss);
            /* the float32 wire does round: it is not one process's run to 1e-12 */
            if (v->wire == NNB_MPI_WIRE_FLOAT32 && size > 1)
                CHECK(worst > 1e-12, "%s: the float32 wire left no trace (%g)", c->name, worst);
            /* and the start was not trivially the same: rank 1 began elsewhere */
            free(q);
            nnb_history_free(rh);
            nnb_net_free(one);
        }
        free(p);
        nnb_history_free(h);
        nnb_net_free(net);
        nnb_train_opts_free(o);
    }
}

/* A float32 network: rank 0's float32 weights broadcast, its gradient summed in float32 (one
 * float32 all-reduce of n_params + 2 values per step, through nnb_train_opts_set_allreduce_f32;
 * with overlap, float buckets started by the float32 backward pass's hook and the two extra
 * floats after it), the same bits on every rank, and one process's float32 run to 1e-4 relative
 * (float32 sums in another order: a few units of 2^-24 per step, compounded over 5 epochs;
 * measured, printed). */
static void test_equal_f32_variant(const variant *v) {
    enum { NP = HID * (NI + 1) + NO * (HID + 1) };
    static double sync_w[3][NP]; /* the synchronous variant's weights (it runs first) */
    const size_t epochs = 5;
    static const size_t which[3] = {0, 1, 3};
    for (size_t kk = 0; kk < 3; kk++) {
        const config *c = &configs[which[kk]];
        nnb_train_opts *o = make_opts(c, epochs);
        nnb_net *n64 = make_net(99 + 1000 * (unsigned long long)rank, NNB_ACT_TANH), *net = NULL;
        CHECK(nnb_net_copy(&net, n64, NNB_F32) == NNB_OK, "convert: %s", nnb_last_error());
        nnb_history *h;
        nnb_history_create(&h);
        nb_float = nb_double = 0;
        nnb_status st = train_variant(v, net, o, h);
        CHECK(st == NNB_OK, "float32, %s, %s: %s", c->name, v->name, nnb_last_error());
        size_t calls, values, np = nnb_net_n_params(net);
        nnb_mpi_comm_stats(&calls, &values, NULL);
        size_t n_train = ROWS - (size_t)(c->val_split * ROWS);
        size_t B = c->batch ? c->batch : n_train, steps = epochs * ((n_train + B - 1) / B);
        if (size > 1) {
            CHECK(calls == steps + epochs * (1 + (size_t)c->callback) &&
                      values == steps * (np + 2) + epochs * (5 + (size_t)c->callback),
                  "float32, %s, %s: %zu all-reduces of %zu values", c->name, v->name, calls,
                  values);
            /* the buckets: none synchronously; with overlap float ones only, as many per step as
             * the float32 backward pass's pieces make: 64-byte buckets (16 floats) start one per
             * piece, 3 rows of the 16-input layer and 8 blocks of 2 rows of the 7-input one;
             * larger buckets gather the whole gradient into one */
            size_t per_step = !v->ex || v->mode == NNB_MPI_SYNC ? 0 : v->bucket == 64 ? 11 : 1;
            CHECK(nb_double == 0 && nb_float == steps * per_step,
                  "float32, %s, %s: %zu float and %zu double buckets over %zu steps", c->name,
                  v->name, nb_float, nb_double, steps);
        }
        double *p = malloc(np * sizeof *p);
        nnb_net_params_get(net, p, np);
        CHECK(same_everywhere(p, np), "float32, %s, %s: the ranks' weights differ", c->name,
              v->name);
        if (np == NP && !v->ex) {
            memcpy(sync_w[kk], p, sizeof sync_w[kk]);
        } else if (np == NP) {
            /* the same sums as the synchronous path's: with two ranks each is a + b, the same
             * bits; with three MPI may add in another order */
            double dw = 0;
            for (size_t i = 0; i < np; i++)
                dw = fmax(dw, fabs(p[i] - sync_w[kk][i]) / fmax(fabs(sync_w[kk][i]), 1e-3));
            if (rank == 0)
                printf("%d ranks, float32 network, %s; %s: largest relative difference from the "
                       "synchronous float32 run %.2g\n",
                       size, c->name, v->name, dw);
            CHECK(size != 2 || dw == 0, "float32, %s, %s: not the synchronous path's bits (%g)",
                  c->name, v->name, dw);
            CHECK(dw <= 1e-4, "float32, %s, %s: %g from the synchronous path", c->name, v->name,
                  dw);
        }
        CHECK(np == NP, "%zu parameters", np);
        if (rank == 0) {
            nnb_net *one = NULL, *s64 = make_net(99, NNB_ACT_TANH);
            nnb_net_copy(&one, s64, NNB_F32);
            st = nnb_net_train(one, o, X, ROWS, NI, Y, NO, NULL);
            CHECK(st == NNB_OK, "float32 one process: %s", nnb_last_error());
            double *q = malloc(np * sizeof *q), worst = 0;
            nnb_net_params_get(one, q, np);
            for (size_t i = 0; i < np; i++)
                worst = fmax(worst, fabs(p[i] - q[i]) / fmax(fabs(q[i]), 1e-3));
            printf("%d rank%s, float32 network, %s; %s: largest relative difference from one "
                   "process %.2g\n",
                   size, size > 1 ? "s" : "", c->name, v->name, worst);
            CHECK(worst <= 1e-4, "float32, %s, %s: %d ranks differ from one process by %g", c->name,
                  v->name, size, worst);
            free(q);
            nnb_net_free(one), nnb_net_free(s64);
        }
        free(p);
        nnb_history_free(h);
        nnb_net_free(net), nnb_net_free(n64);
        nnb_train_opts_free(o);
    }
}

static void test_equal(void) {
    for (size_t k = 0; k < sizeof variants / sizeof variants[0]; k++)
        test_equal_variant(&variants[k]);
    for (size_t k = 0; k < 4; k++) /* synchronous and the three overlapped variants */
        test_equal_f32_variant(&variants[k]);
    use_cnn = 1; /* a convolutional network: synchronous and overlapped */
    test_equal_variant(&variants[0]);
    test_equal_variant(&variants[1]);
    use_cnn = 0;
}

/* ---- failures ------------------------------------------------------------------------------- */

static int stop_rank = -1;

static int stop_cb(const nnb_net *net, size_t epoch, double tl, double vl, double ta, double va,
                   double secs, double sps, int up, void *user) {
    (void)net, (void)tl, (void)vl, (void)ta, (void)va, (void)secs, (void)sps, (void)up, (void)user;
    return rank == stop_rank && epoch == 2;
}

/* The weights are finite and the same on every rank. */
static void check_finite_same(nnb_net *net, const char *what) {
    size_t np = nnb_net_n_params(net);
    double *p = malloc(np * sizeof *p);
    nnb_net_params_get(net, p, np); /* either element type */
    for (size_t i = 0; i < np; i++) CHECK(isfinite(p[i]), "%s: weight %zu is %g", what, i, p[i]);
    CHECK(same_everywhere(p, np), "%s: the ranks' weights differ", what);
    free(p);
}

/* The MPI options of the failure tests (NULL: nnb_mpi_train's synchronous path). */
static const nnb_mpi_opts *run_mopts;

/* Runs nnb_mpi_train_ex with run_mopts. */
static nnb_status run(nnb_net *net, nnb_train_opts *o, const double *x, size_t rows) {
    return nnb_mpi_train_ex(MPI_COMM_WORLD, net, o, run_mopts, x, rows, NI, Y, NO, NULL);
}

/* What rank `r` returns and what the others return when only rank `r` has the error. */
#define EXPECT_FROM(st, r, want, frag)                              \
  do {                                                              \
    nnb_status s_ = (st);                                           \
    if (rank == (r)) {                                              \
      EXPECT(s_, want, frag);                                       \
    } else {                                                        \
      char f_[64];                                                  \
      snprintf(f_, sizeof f_, "rank %d of %d failed: ", (r), size); \
      EXPECT(s_, want, f_);                                         \
      EXPECT(s_, want, frag);                                       \
    }                                                               \
  } while (0)

/* Makes the k-th MPI_Allreduce of doubles (a gradient all-reduce) fail on every rank, through
 * MPI's profiling interface: this program's MPI_Allreduce takes the place of the library's. */
static int fail_at_double_allreduce; /* 0: never */

int MPI_Allreduce(const void *sendbuf, void *recvbuf, int count, MPI_Datatype datatype, MPI_Op op,
                  MPI_Comm comm) {
    if (fail_at_double_allreduce && datatype == MPI_DOUBLE && op == MPI_SUM && count > 100 &&
        --fail_at_double_allreduce == 0)
        return MPI_ERR_OTHER;
    return PMPI_Allreduce(sendbuf, recvbuf, count, datatype, op, comm);
}

/* The same for the overlapped path's buckets. */
static int fail_at_iallreduce; /* 0: never */

int MPI_Iallreduce(const void *sendbuf, void *recvbuf, int count, MPI_Datatype datatype, MPI_Op op,
                   MPI_Comm comm, MPI_Request *req) {
    if (datatype == MPI_FLOAT) nb_float++;
    if (datatype == MPI_DOUBLE) nb_double++;
    if (fail_at_iallreduce && --fail_at_iallreduce == 0) return MPI_ERR_OTHER;
    return PMPI_Iallreduce(sendbuf, recvbuf, count, datatype, op, comm, req);
}

/* The same for the two-rank overlapped path's sends. */
static int fail_at_isend; /* 0: never */

int MPI_Isend(const void *buf, int count, MPI_Datatype datatype, int dest, int tag, MPI_Comm comm,
              MPI_Request *req) {
    if (datatype == MPI_FLOAT) nb_float++;
    if (datatype == MPI_DOUBLE) nb_double++;
    if (fail_at_isend && --fail_at_isend == 0) return MPI_ERR_OTHER;
    return PMPI_Isend(buf, count, datatype, dest, tag, comm, req);
}

/* Two ranks, overlapped: a bucket's MPI_Isend that fails on every rank is NNB_E_COMM there (its
 * posted receive cancelled), and then training works and agrees. */
static void test_pair_failure(nnb_dtype dtype) {
    net_dtype = dtype;
    nnb_mpi_opts *m = NULL;
    nnb_mpi_opts_create(&m);
    nnb_mpi_opts_set_overlap(m, NNB_MPI_OVERLAP_TEST, 64);
    run_mopts = m;
    nnb_train_opts *o = make_opts(&configs[0], 3);
    nnb_net *net = make_net(5, NNB_ACT_TANH);
    fail_at_isend = 3;
    EXPECT(run(net, o, X, ROWS), NNB_E_COMM, "nnb_mpi_train_ex: MPI_Isend failed: MPI_ERR_OTHER");
    fail_at_isend = 0;
    nnb_net_free(net);
    net = make_net(5, NNB_ACT_TANH);
    nnb_status st = run(net, o, X, ROWS);
    CHECK(st == NNB_OK, "training after the failed send: %s", nnb_last_error());
    check_finite_same(net, "after the failed send");
    nnb_net_free(net);
    nnb_train_opts_free(o);
    run_mopts = NULL;
    nnb_mpi_opts_free(m);
    net_dtype = NNB_F64;
}

/* nnb_mpi_opts: bad arguments, and ranks that disagree on the mode or the bucket size. */
static void test_mpi_opts(void) {
    nnb_mpi_opts *m = NULL;
    EXPECT(nnb_mpi_opts_create(NULL), NNB_E_NULL, "out is NULL");
    EXPECT(nnb_mpi_opts_create(&m), NNB_OK, "");
    /* the getters: the defaults, what was set, and a refused value changes nothing */
    nnb_mpi_overlap mode = NNB_MPI_OVERLAP_THREAD;
    nnb_mpi_wire wire = NNB_MPI_WIRE_FLOAT32;
    size_t bucket = 0;
    EXPECT(nnb_mpi_opts_get_overlap(m, &mode, &bucket), NNB_OK, "");
    EXPECT(nnb_mpi_opts_get_wire(m, &wire), NNB_OK, "");
    CHECK(mode == NNB_MPI_SYNC && bucket == 512 << 10 && wire == NNB_MPI_WIRE_NATIVE,
          "defaults %d %zu %d", (int)mode, bucket, (int)wire);
    EXPECT(nnb_mpi_opts_set_overlap(m, NNB_MPI_OVERLAP_TEST, 4096), NNB_OK, "");
    EXPECT(nnb_mpi_opts_set_wire(m, NNB_MPI_WIRE_FLOAT32), NNB_OK, "");
    EXPECT(nnb_mpi_opts_set_overlap(m, NNB_MPI_OVERLAP_TEST, 4), NNB_E_INVALID_ARG, "out of range");
    EXPECT(nnb_mpi_opts_get_overlap(m, &mode, &bucket), NNB_OK, "");
    EXPECT(nnb_mpi_opts_get_wire(m, &wire), NNB_OK, "");
    CHECK(mode == NNB_MPI_OVERLAP_TEST && bucket == 4096 && wire == NNB_MPI_WIRE_FLOAT32,
          "set %d %zu %d", (int)mode, bucket, (int)wire);
    EXPECT(nnb_mpi_opts_get_overlap(m, NULL, NULL), NNB_OK, "");
    EXPECT(nnb_mpi_opts_get_overlap(NULL, &mode, NULL), NNB_E_NULL, "opts is NULL");
    EXPECT(nnb_mpi_opts_get_wire(NULL, &wire), NNB_E_NULL, "opts is NULL");
    EXPECT(nnb_mpi_opts_set_overlap(m, NNB_MPI_SYNC, 0), NNB_OK, "");
    EXPECT(nnb_mpi_opts_set_wire(m, NNB_MPI_WIRE_NATIVE), NNB_OK, "");
    EXPECT(nnb_mpi_opts_set_overlap(NULL, NNB_MPI_SYNC, 0), NNB_E_NULL, "opts is NULL");
    EXPECT(nnb_mpi_opts_set_overlap(m, (nnb_mpi_overlap)7, 0), NNB_E_INVALID_ARG,
           "unknown overlap mode 7");
    EXPECT(nnb_mpi_opts_set_overlap(m, NNB_MPI_OVERLAP_TEST, 4), NNB_E_INVALID_ARG, "out of range");
    EXPECT(nnb_mpi_opts_set_wire(NULL, NNB_MPI_WIRE_FLOAT32), NNB_E_NULL, "opts is NULL");
    EXPECT(nnb_mpi_opts_set_wire(m, (nnb_mpi_wire)-1), NNB_E_INVALID_ARG, "unknown wire format");
    nnb_mpi_opts_free(NULL);
    nnb_train_opts *o = make_opts(&configs[0], 2);
    nnb_net *net = make_net(5, NNB_ACT_TANH);
    if (size > 1) {
        EXPECT(nnb_mpi_opts_set_overlap(m, NNB_MPI_OVERLAP_TEST, rank ? 64 : 128), NNB_OK, "");
        EXPECT(nnb_mpi_train_ex(MPI_COMM_WORLD, net, o, m, X, ROWS, NI, Y, NO, NULL), NNB_E_SHAPE,
               "disagree on the bucket size");
        EXPECT(nnb_mpi_opts_set_overlap(m, rank ? NNB_MPI_SYNC : NNB_MPI_OVERLAP_THREAD, 0), NNB_OK,
               "");
        EXPECT(nnb_mpi_train_ex(MPI_COMM_WORLD, net, o, m, X, ROWS, NI, Y, NO, NULL), NNB_E_SHAPE,
               "disagree on overlap");
        EXPECT(nnb_mpi_opts_set_wire(m, rank ? NNB_MPI_WIRE_NATIVE : NNB_MPI_WIRE_FLOAT32), NNB_OK,
               "");
        EXPECT(nnb_mpi_opts_set_overlap(m, NNB_MPI_OVERLAP_THREAD, 0), NNB_OK, "");
        EXPECT(nnb_mpi_train_ex(MPI_COMM_WORLD, net, o, m, X, ROWS, NI, Y, NO, NULL), NNB_E_SHAPE,
               "disagree on the wire format");
    }
    nnb_net_free(net);
    nnb_train_opts_free(o);
    nnb_mpi_opts_free(m);
}

/* Non-finite data (a NaN in rank 1's part) under the options' and the network's checks. */
static void failures_nonfinite(nnb_train_opts *o, int bad) {
    /* a NaN in rank 1's part of a batch, with the options' non-finite check: seen by every rank
     * at the all-reduce of that batch (the core sums the losses) */
    double *x = malloc(sizeof X);
    memcpy(x, X, sizeof X);
    if (rank == bad) /* whichever rows rank 1 gets, the first batch has a NaN */
        for (int i = 0; i < ROWS; i++) x[i * NI + 2] = NAN;
    nnb_train_opts_set_check_finite(o, 1);
    nnb_net *net = make_net(5, NNB_ACT_TANH);
    nnb_status st = run(net, o, x, ROWS);
    EXPECT(st, NNB_E_NONFINITE, "is nan");
    check_finite_same(net, "NaN, options' check");
    nnb_net_free(net);
    nnb_train_opts_set_check_finite(o, 0);

    /* the same NaN with the network's input check: rank 1 alone fails, before its first step;
     * the others stop at their first all-reduce and report rank 1's error */
    net = make_net(5, NNB_ACT_TANH);
    nnb_net_set_check_finite(net, 1);
    EXPECT_FROM(run(net, o, x, ROWS), bad, NNB_E_NONFINITE, "nnb_net_train: x[0][2] is nan");
    nnb_net_free(net);
    free(x);
}

/* Ranks that disagree (rows, layout, a NULL argument, epochs, callbacks): an error on all. */
static void failures_disagree(const config *c, nnb_net *net, nnb_train_opts *o, int bad) {
    /* rank 1 has fewer rows: refused before training, on every rank */
    EXPECT(run(net, o, X, rank == bad ? ROWS - 1 : ROWS), size > 1 ? NNB_E_SHAPE : NNB_OK,
           size > 1 ? "disagree on the number of rows (from 202 to 203)" : "");
    /* another network layout on rank 1 */
    nnb_net *other = rank == bad ? make_net(5, NNB_ACT_RELU) : make_net(5, NNB_ACT_TANH);
    EXPECT(run(other, o, X, ROWS), size > 1 ? NNB_E_SHAPE : NNB_OK,
           size > 1 ? "disagree on the network layout" : "");
    nnb_net_free(other);
    /* no network on rank 1 */
    EXPECT_FROM(nnb_mpi_train_ex(MPI_COMM_WORLD, rank == bad ? NULL : net, o, run_mopts, X, ROWS,
                                 NI, Y, NO, NULL),
                bad, NNB_E_NULL, "net is NULL");
    /* no options on rank 1 */
    EXPECT_FROM(nnb_mpi_train_ex(MPI_COMM_WORLD, net, rank == bad ? NULL : o, run_mopts, X, ROWS,
                                 NI, Y, NO, NULL),
                bad, NNB_E_NULL, "opts is NULL");
    /* x NULL on rank 1: nnb_net_train's own check, before rank 1's first step */
    EXPECT_FROM(run(net, o, rank == bad ? NULL : X, ROWS), bad, NNB_E_NULL, "x is NULL");

    if (size > 1) {
        /* fewer epochs on the last rank: it leaves first, the others notice at their next step */
        nnb_train_opts *o3 = make_opts(c, rank == size - 1 ? 3 : 5);
        EXPECT(run(net, o3, X, ROWS), NNB_E_COMM, "different numbers of training steps");
        nnb_train_opts_free(o3);
        /* an epoch callback on rank 1 only: its stop-flag all-reduce meets the others' gradient
         * all-reduce, and the counts are seen to differ before the data is sent */
        nnb_train_opts *oc = make_opts(c, 5);
        if (rank == bad) nnb_train_opts_set_epoch_callback(oc, epoch_cb, NULL);
        EXPECT(run(net, oc, X, ROWS), NNB_E_COMM, "different counts");
        nnb_train_opts_free(oc);
    }
}

/* Levenberg-Marquardt refused, a failing MPI call, calls refused at once (net trained on). */
static void failures_refused(const config *c, nnb_net *net, nnb_train_opts *o) {
    /* Levenberg-Marquardt is refused on every rank (with more than one) */
    nnb_train_opts *ol = make_opts(c, 2);
    nnb_train_opts_set_optimizer(ol, NNB_OPT_LM, 1);
    nnb_train_opts_set_loss(ol, NNB_LOSS_MSE, NNB_REDUCTION_MEAN);
    nnb_status lm = run(net, ol, X, ROWS);
    if (size > 1) EXPECT(lm, NNB_E_UNSUPPORTED, "not data-parallel");
    nnb_train_opts_free(ol);

    /* a failing MPI call (the 3rd gradient all-reduce, on every rank): NNB_E_COMM with MPI's text */
    if (size > 1 && !run_mopts) {
        fail_at_double_allreduce = 3;
        EXPECT(run(net, o, X, ROWS), NNB_E_COMM,
               "nnb_mpi_train: MPI_Allreduce failed: MPI_ERR_OTHER");
        fail_at_double_allreduce = 0;
    } else if (size > 1) { /* overlapped: the 3rd bucket's MPI_Iallreduce */
        fail_at_iallreduce = 3;
        EXPECT(run(net, o, X, ROWS), NNB_E_COMM,
               "nnb_mpi_train_ex: MPI_Iallreduce failed: MPI_ERR_OTHER");
        fail_at_iallreduce = 0;
    }

    /* calls refused at once, without collective calls */
    EXPECT(nnb_mpi_train(MPI_COMM_NULL, net, o, X, ROWS, NI, Y, NO, NULL), NNB_E_INVALID_ARG,
           "MPI_COMM_NULL");
    EXPECT(nnb_mpi_bcast_net(MPI_COMM_NULL, net, 0), NNB_E_INVALID_ARG, "MPI_COMM_NULL");
}

/* nnb_mpi_bcast_net: rank 1's network to every rank; a root out of range. */
static void failures_bcast(int bad) {
    nnb_net *b = make_net(300 + (unsigned long long)rank, NNB_ACT_TANH),
            *ref = make_net(300 + (unsigned long long)bad, NNB_ACT_TANH);
    nnb_status st = nnb_mpi_bcast_net(MPI_COMM_WORLD, b, bad);
    CHECK(st == NNB_OK, "bcast_net: %s", nnb_last_error());
    size_t np = nnb_net_n_params(b);
    double *pb = malloc(np * sizeof *pb), *pr = malloc(np * sizeof *pr);
    nnb_net_params_get(b, pb, np);
    nnb_net_params_get(ref, pr, np);
    CHECK(memcmp(pb, pr, np * sizeof *pb) == 0, "bcast_net: not rank %d's parameters", bad);
    free(pb), free(pr);
    EXPECT(nnb_mpi_bcast_net(MPI_COMM_WORLD, b, size), NNB_E_INVALID_ARG, "is not a rank");
    EXPECT(nnb_mpi_bcast_net(MPI_COMM_WORLD, b, rank == 0), NNB_E_SHAPE, "disagree on the root");
    EXPECT_FROM(nnb_mpi_bcast_net(MPI_COMM_WORLD, rank == bad ? NULL : b, 0), bad, NNB_E_NULL,
                "net is NULL");
    nnb_net_free(b), nnb_net_free(ref);
}

static void test_failures(void) {
    const config *c = &configs[0];
    nnb_train_opts *o = make_opts(c, 5);
    int bad = size > 1 ? 1 : 0;
    failures_nonfinite(o, bad);

    nnb_net *net = make_net(5, NNB_ACT_TANH);
    failures_disagree(c, net, o, bad);

    /* a callback that stops on the last rank after epoch 2 stops every rank */
    stop_rank = size - 1;
    nnb_train_opts *os = make_opts(c, 5);
    nnb_train_opts_set_epoch_callback(os, stop_cb, NULL);
    nnb_net_free(net);
    net = make_net(5, NNB_ACT_TANH);
    EXPECT(run(net, os, X, ROWS), NNB_E_CANCELLED, "epoch callback after epoch 2");
    check_finite_same(net, "stopped by a callback");
    nnb_train_opts_free(os);

    failures_refused(c, net, o);
    failures_bcast(bad);

    /* after all that, training works and agrees: no message was left behind */
    nnb_net_free(net);
    net = make_net(5, NNB_ACT_TANH);
    nnb_status st = run(net, o, X, ROWS);
    CHECK(st == NNB_OK, "training after the failures: %s", nnb_last_error());
    check_finite_same(net, "after the failures");
    nnb_net_free(net);
    nnb_train_opts_free(o);
}

/* ---- die ------------------------------------------------------------------------------------ */

static const char *die_how;

static int die_cb(const nnb_net *net, size_t epoch, double tl, double vl, double ta, double va,
                  double secs, double sps, int up, void *user) {
    (void)net, (void)tl, (void)vl, (void)ta, (void)va, (void)secs, (void)sps, (void)up, (void)user;
    if (rank == 1 && epoch == 2) {
        printf("rank 1: %s now, in the middle of training\n", die_how);
        fflush(stdout);
        if (strcmp(die_how, "abort") == 0) abort();
        exit(3);
    }
    return 0;
}

static void test_die(void) {
    nnb_train_opts *o = make_opts(&configs[0], 1000000); /* "forever" unless someone dies */
    nnb_train_opts_set_epoch_callback(o, die_cb, NULL);
    nnb_net *net = make_net(5, NNB_ACT_TANH);
    nnb_status st = run(net, o, X, ROWS);
    /* not reached while mpirun does its job: it kills the job when rank 1 dies */
    printf("rank %d: nnb_mpi_train returned %s after rank 1 died: %s\n", rank, nnb_status_name(st),
           nnb_last_error());
    failed = 1;
    nnb_net_free(net);
    nnb_train_opts_free(o);
}

int main(int argc, char **argv) {
    int level; /* the progress thread of NNB_MPI_OVERLAP_THREAD needs SERIALIZED */
    MPI_Init_thread(&argc, &argv, MPI_THREAD_SERIALIZED, &level);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    nnb_set_num_threads(1);
    make_data();
    const char *mode = argc > 1 ? argv[1] : "";
    if (strcmp(mode, "equal") == 0) {
        test_equal();
        if (size == 2) test_pair_failure(NNB_F64), test_pair_failure(NNB_F32);
    } else if (strcmp(mode, "failures") == 0) {
        test_failures(); /* synchronous */
        nnb_mpi_opts *m = NULL;
        nnb_mpi_opts_create(&m);
        nnb_mpi_opts_set_overlap(m, NNB_MPI_OVERLAP_THREAD, 64);
        run_mopts = m;
        test_failures(); /* overlapped, small buckets */
        net_dtype = NNB_F32;
        test_failures(); /* overlapped, a float32 network */
        net_dtype = NNB_F64;
        run_mopts = NULL;
        nnb_mpi_opts_free(m);
        test_mpi_opts();
    } else if (strcmp(mode, "die") == 0 && argc > 2 && size > 1) {
        die_how = argv[2];
        test_die();
    } else {
        if (rank == 0)
            fprintf(stderr, "usage: mpirun -np N mpi_train equal|failures|die exit|abort\n");
        MPI_Finalize();
        return 2;
    }
    int any = failed;
    MPI_Allreduce(MPI_IN_PLACE, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (rank == 0)
        printf("%s: %s on %d rank%s\n", mode, any ? "FAILED" : "passed", size, size > 1 ? "s" : "");
    MPI_Finalize();
    return any;
}
