/*
 * The training team (lib/team.c, issue 24's speed): a network with convolution or pooling layers
 * trained with n >= 2 threads splits each batch into n parts, each through the whole pass on a
 * thread of its own with its products on one OpenBLAS thread, and sums the parts' gradients in
 * order. Checked here: OpenBLAS is held at one thread during such a run and gets its count back
 * after it (and what nnb_set_num_threads asked meanwhile); dense networks keep OpenBLAS's
 * threads; the same thread count gives the same bits; 2 threads follow 1 thread to rounding
 * (float64); a run stopped within an epoch and resumed equals the straight run bit for bit,
 * dropout included; validation is the same computation in parts; the memory estimate counts the
 * threads' buffers.
 */
#include <cblas.h>
#include <math.h>
#include <string.h>

#include "nnb_test.h"

enum { N = 96, SIDE = 8, CH = 2, NI = CH * SIDE * SIDE, NO = 3 };

static double X[N * NI], Y[N * NO];

static void make_data(void) {
    nnbt_rng r = {5};
    for (int i = 0; i < N * NI; i++) X[i] = nnbt_normal(&r);
    memset(Y, 0, sizeof Y);
    for (int i = 0; i < N; i++) Y[i * NO + (int)(nnbt_uniform(&r) * NO)] = 1;
}

/* conv 4x3x3 p1 ReLU, maxpool 2, conv 3x3x3 p1 tanh, avgpool 2, dense 8 ReLU, dense 3 softmax */
static nnb_net *cnn(nnb_dtype t, uint64_t seed) {
    nnb_net *net;
    nnbt_ok(nnb_net_create_dtype(&net, NI, t));
    nnbt_ok(nnb_net_set_input_shape(net, CH, SIDE, SIDE));
    nnb_window c = {3, 3, 1, 1, 1, 1, 1, 1, 0}, p = {2, 2, 2, 2, 0, 0, 0, 0, 0};
    nnbt_ok(nnb_net_add_conv2d(net, 4, &c, NNB_ACT_RELU, 1));
    nnbt_ok(nnb_net_add_maxpool(net, &p));
    nnbt_ok(nnb_net_add_conv2d(net, 3, &c, NNB_ACT_TANH, 1));
    nnbt_ok(nnb_net_add_avgpool(net, &p));
    nnbt_ok(nnb_net_add_dense(net, 8, NNB_ACT_RELU, 1));
    nnbt_ok(nnb_net_add_dense(net, NO, NNB_ACT_SOFTMAX, 1));
    nnbt_ok(nnb_net_init(net, NNB_INIT_HE_NORMAL, seed));
    return net;
}

static nnb_train_opts *opts(size_t epochs, double dropout) {
    nnb_train_opts *o;
    nnbt_ok(nnb_train_opts_create(&o));
    nnbt_ok(nnb_train_opts_set_optimizer(o, NNB_OPT_ADAM, 0.01));
    nnbt_ok(nnb_train_opts_set_loss(o, NNB_LOSS_CE, NNB_REDUCTION_MEAN));
    nnbt_ok(nnb_train_opts_set_batch_size(o, 16));
    nnbt_ok(nnb_train_opts_set_validation_split(o, 0.25, 3));
    nnbt_ok(nnb_train_opts_set_epochs(o, epochs));
    if (dropout > 0) nnbt_ok(nnb_train_opts_set_dropout(o, dropout));
    return o;
}

/* Trains a fresh CNN with `threads` threads; its parameters (as doubles) and validation losses. */
static double *train_cnn(int threads, nnb_dtype t, double dropout, double *val_loss) {
    nnbt_ok(nnb_set_num_threads(threads));
    nnb_net *net = cnn(t, 11);
    nnb_train_opts *o = opts(3, dropout);
    nnb_history *h;
    nnbt_ok(nnb_history_create(&h));
    nnbt_ok(nnb_net_train(net, o, X, N, NI, Y, NO, h));
    nnbt_ok(nnb_history_get(h, NNB_HIST_VAL_LOSS, val_loss, 3));
    size_t np = nnb_net_n_params(net);
    double *p = malloc(np * sizeof *p);
    nnbt_ok(nnb_net_params_get(net, p, np));
    nnb_history_free(h);
    nnb_train_opts_free(o);
    nnb_net_free(net);
    return p;
}

typedef struct seen {
    int blas, nnb; /* openblas_get_num_threads(), nnb_get_num_threads() in the first batch */
    int set_to;    /* nnb_set_num_threads(set_to) in the first batch, when > 0 */
    int calls;
} seen;

static int look(size_t epoch, size_t batch, size_t n_batches, double loss, void *user) {
    (void)epoch, (void)batch, (void)n_batches, (void)loss;
    seen *s = user;
    if (s->calls++ == 0) {
        s->blas = openblas_get_num_threads();
        s->nnb = nnb_get_num_threads();
        if (s->set_to > 0) nnb_set_num_threads(s->set_to);
    }
    return 0;
}

static seen train_and_look(nnb_net *net, int set_to) {
    seen s = {.set_to = set_to};
    nnb_train_opts *o = opts(1, 0);
    nnbt_ok(nnb_train_opts_set_batch_callback(o, look, &s));
    nnbt_ok(nnb_net_train(net, o, X, N, NI, Y, NO, NULL));
    nnb_train_opts_free(o);
    return s;
}

START_TEST(openblas_is_held_at_one_thread_and_given_back) {
    make_data();
    nnbt_ok(nnb_set_num_threads(2));
    nnb_net *net = cnn(NNB_F64, 1);
    seen s = train_and_look(net, 0);
    ck_assert_int_eq(s.blas, 1); /* the team's products: one OpenBLAS thread each */
    ck_assert_int_eq(s.nnb, 2);  /* the count the caller set */
    ck_assert_int_eq(openblas_get_num_threads(), 2);
    ck_assert_int_eq(nnb_get_num_threads(), 2);
    /* a change asked during the run takes effect after it */
    s = train_and_look(net, 1);
    ck_assert_int_eq(s.blas, 1);
    ck_assert_int_eq(openblas_get_num_threads(), 1);
    ck_assert_int_eq(nnb_get_num_threads(), 1);
    /* one thread: no team, OpenBLAS untouched */
    s = train_and_look(net, 0);
    ck_assert_int_eq(s.blas, 1);
    ck_assert_int_eq(s.nnb, 1);
    nnb_net_free(net);
    /* a dense network keeps OpenBLAS's threads inside each product */
    nnbt_ok(nnb_set_num_threads(2));
    nnbt_ok(nnb_net_create(&net, NI));
    nnbt_ok(nnb_net_add_dense(net, 8, NNB_ACT_RELU, 1));
    nnbt_ok(nnb_net_add_dense(net, NO, NNB_ACT_SOFTMAX, 1));
    nnbt_ok(nnb_net_init(net, NNB_INIT_HE_NORMAL, 1));
    s = train_and_look(net, 0);
    ck_assert_int_eq(s.blas, 2);
    nnb_net_free(net);
    nnbt_ok(nnb_set_num_threads(0));
}
END_TEST

/* Two threads twice: the same bits; against one thread: the same training to rounding (the
 * parts' gradients are summed in another order), in float64, validation losses included. */
START_TEST(same_threads_same_bits_and_one_thread_agrees) {
    make_data();
    nnb_net *shape = cnn(NNB_F64, 1);
    size_t np = nnb_net_n_params(shape);
    nnb_net_free(shape);
    for (int drop = 0; drop < 2; drop++) {
        double va[3], vb[3], v1[3];
        double *a = train_cnn(2, NNB_F64, drop ? 0.2 : 0, va);
        double *b = train_cnn(2, NNB_F64, drop ? 0.2 : 0, vb);
        ck_assert_msg(memcmp(a, b, np * sizeof *a) == 0, "two runs at 2 threads differ");
        ck_assert(memcmp(va, vb, sizeof va) == 0);
        if (!drop) { /* dropout masks differ between 1 and 2 threads (one generator per part) */
            double *c = train_cnn(1, NNB_F64, 0, v1);
            double big = 0, diff = 0;
            for (size_t i = 0; i < np; i++) {
                big = fmax(big, fabs(c[i]));
                diff = fmax(diff, fabs(a[i] - c[i]));
            }
            ck_assert_msg(diff <= 1e-10 * big, "2 threads vs 1: %g (largest weight %g)", diff, big);
            for (int e = 0; e < 3; e++) ck_assert(nnbt_close(va[e], v1[e], 1e-10));
            free(c);
        }
        free(a), free(b);
    }
    nnbt_ok(nnb_set_num_threads(0));
}
END_TEST

static int stop_at(size_t epoch, size_t batch, size_t n_batches, double loss, void *user) {
    (void)epoch, (void)batch, (void)n_batches, (void)loss;
    int *left = user;
    return --*left == 0;
}

/* Stopped by the batch callback within the second epoch, then resumed: the straight run's bits,
 * with dropout (each part's masks come from a generator seeded from the run's per batch). */
START_TEST(resumed_equals_straight_with_dropout) {
    make_data();
    for (int ti = 0; ti < 2; ti++) {
        nnb_dtype t = nnbt_dtype_of(ti);
        nnbt_ok(nnb_set_num_threads(2));
        nnb_net *a = cnn(t, 4), *b = cnn(t, 4);
        nnb_train_opts *o = opts(3, 0.25);
        nnbt_ok(nnb_net_train(a, o, X, N, NI, Y, NO, NULL));
        int left = 7; /* 4.5 batches an epoch: within the second */
        nnbt_ok(nnb_train_opts_set_batch_callback(o, stop_at, &left));
        nnbt_expect(nnb_net_train(b, o, X, N, NI, Y, NO, NULL), NNB_E_CANCELLED, "batch callback");
        nnbt_ok(nnb_train_opts_set_batch_callback(o, NULL, NULL));
        nnbt_ok(nnb_train_opts_set_epochs(o, 2)); /* the rest of the second, then the third */
        nnbt_ok(nnb_net_train(b, o, X, N, NI, Y, NO, NULL));
        size_t np = nnb_net_n_params(a);
        double *pa = malloc(np * sizeof *pa), *pb = malloc(np * sizeof *pb);
        size_t bytes = nnbt_params_bytes(a, pa);
        nnbt_params_bytes(b, pb);
        ck_assert_msg(memcmp(pa, pb, bytes) == 0, "%s: the resumed run differs", nnb_dtype_name(t));
        free(pa), free(pb);
        nnb_train_opts_free(o);
        nnb_net_free(a), nnb_net_free(b);
    }
    nnbt_ok(nnb_set_num_threads(0));
}
END_TEST

/* nnb_net_train_memory counts the threads' workspaces and gradients: more at 2 threads than at
 * 1 for a CNN, by at least one gradient arena; the same for a dense network. */
START_TEST(memory_estimate_counts_the_threads) {
    nnb_net *net = cnn(NNB_F64, 1);
    nnb_train_opts *o = opts(1, 0);
    size_t one, two;
    nnbt_ok(nnb_set_num_threads(1));
    nnbt_ok(nnb_net_train_memory(net, o, 10000, &one));
    nnbt_ok(nnb_set_num_threads(2));
    nnbt_ok(nnb_net_train_memory(net, o, 10000, &two));
    ck_assert_uint_ge(two, one + nnb_net_n_params(net) * sizeof(double));
    nnb_net_free(net);
    nnbt_ok(nnb_net_create(&net, NI));
    nnbt_ok(nnb_net_add_dense(net, NO, NNB_ACT_SOFTMAX, 1));
    nnbt_ok(nnb_set_num_threads(1));
    nnbt_ok(nnb_net_train_memory(net, o, 10000, &one));
    nnbt_ok(nnb_set_num_threads(2));
    nnbt_ok(nnb_net_train_memory(net, o, 10000, &two));
    ck_assert_uint_eq(one, two);
    nnb_net_free(net);
    nnb_train_opts_free(o);
    nnbt_ok(nnb_set_num_threads(0));
}
END_TEST

/* Batches too small to split (below 8 rows with 2 threads) and a last batch of one row: the run
 * goes on, alone or in parts, and matches one thread to rounding. */
START_TEST(small_batches_and_a_one_row_tail) {
    make_data();
    size_t sizes[] = {5, 9, 19}; /* 96 = 19 * 5 + 1: a tail of one row */
    for (size_t k = 0; k < 3; k++) {
        double *p[2];
        size_t np = 0;
        for (int th = 1; th <= 2; th++) {
            nnbt_ok(nnb_set_num_threads(th));
            nnb_net *net = cnn(NNB_F64, 2);
            nnb_train_opts *o = opts(2, 0);
            nnbt_ok(nnb_train_opts_set_batch_size(o, sizes[k]));
            nnbt_ok(nnb_net_train(net, o, X, N, NI, Y, NO, NULL));
            np = nnb_net_n_params(net);
            p[th - 1] = malloc(np * sizeof(double));
            nnbt_ok(nnb_net_params_get(net, p[th - 1], np));
            nnb_train_opts_free(o);
            nnb_net_free(net);
        }
        for (size_t i = 0; i < np; i++)
            ck_assert_msg(fabs(p[0][i] - p[1][i]) <= 1e-10 * (1 + fabs(p[0][i])),
                          "batch %zu, parameter %zu: %.17g vs %.17g", sizes[k], i, p[0][i],
                          p[1][i]);
        free(p[0]), free(p[1]);
    }
    nnbt_ok(nnb_set_num_threads(0));
}
END_TEST

int main(void) {
    Suite *s = suite_create("team");
    TCase *tc = tcase_create("team");
    tcase_add_test(tc, openblas_is_held_at_one_thread_and_given_back);
    tcase_add_test(tc, same_threads_same_bits_and_one_thread_agrees);
    tcase_add_test(tc, resumed_equals_straight_with_dropout);
    tcase_add_test(tc, memory_estimate_counts_the_threads);
    tcase_add_test(tc, small_batches_and_a_one_row_tail);
    suite_add_tcase(s, tc);
    return nnbt_run(s, 0);
}
