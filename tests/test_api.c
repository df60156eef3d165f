/* The rest of the core API: versions, threads, parameter access, predict, steps. */
#include <pthread.h>
#include <string.h>

#include "nnb_test.h"

START_TEST(versions) {
    ck_assert_str_eq(nnb_version_string(), NNB_VERSION_STRING);
    ck_assert_uint_eq(nnb_version_number(), NNB_VERSION_NUMBER);
    ck_assert_uint_eq(NNB_VERSION_NUMBER,
                      NNB_VERSION_MAJOR * 10000 + NNB_VERSION_MINOR * 100 + NNB_VERSION_PATCH);
    char buf[32];
    snprintf(buf, sizeof buf, "%d.%d.%d", NNB_VERSION_MAJOR, NNB_VERSION_MINOR, NNB_VERSION_PATCH);
    ck_assert_str_eq(buf, nnb_version_string());
    const char *isa = nnb_kernel_isa();
    ck_assert(strcmp(isa, "scalar") == 0 || strcmp(isa, "avx2") == 0 || strcmp(isa, "avx512") == 0);
}
END_TEST

START_TEST(blas_threads) {
    int before = nnb_get_num_threads();
    ck_assert_int_ge(before, 1);
    nnbt_ok(nnb_set_num_threads(1));
    ck_assert_int_eq(nnb_get_num_threads(), 1);
    nnbt_ok(nnb_set_num_threads(0));
    ck_assert_int_eq(nnb_get_num_threads(), before);
    ck_assert_int_eq(nnb_set_num_threads(-2), NNB_E_INVALID_ARG);
    ck_assert_int_eq(nnb_get_num_threads(), before);
}
END_TEST

START_TEST(layout_and_views) {
    nnb_net *net;
    nnbt_ok(nnb_net_create(&net, 5));
    ck_assert_uint_eq(nnb_net_n_outputs(net), 5); /* no layers yet: the inputs */
    nnbt_ok(nnb_net_add_dense(net, 4, NNB_ACT_RELU, 1));
    nnbt_ok(nnb_net_add_dense(net, 3, NNB_ACT_TANH, 0));
    nnbt_ok(nnb_net_add_dense(net, 2, NNB_ACT_SOFTMAX, 1));
    ck_assert_uint_eq(nnb_net_n_inputs(net), 5);
    ck_assert_uint_eq(nnb_net_n_outputs(net), 2);
    ck_assert_uint_eq(nnb_net_n_layers(net), 3);
    ck_assert_uint_eq(nnb_net_n_params(net), 4 * 5 + 4 + 3 * 4 + 2 * 3 + 2);
    size_t expect_off = 0;
    for (size_t l = 0; l < 3; l++) {
        size_t ni, no, wo, bo;
        nnb_activation act;
        int bias;
        nnbt_ok(nnb_net_layer_info(net, l, &ni, &no, &act, &bias, &wo, &bo));
        ck_assert_uint_eq(wo, expect_off);
        ck_assert_uint_eq(bo, wo + ni * no);
        expect_off = bo + (bias ? no : 0);
    }
    ck_assert_uint_eq(expect_off, nnb_net_n_params(net));
    nnbt_ok(nnb_net_layer_info(net, 1, NULL, NULL, NULL, NULL, NULL, NULL));

    size_t np = nnb_net_n_params(net), len = 0;
    double *view = nnb_net_params_data(net, &len);
    ck_assert_ptr_nonnull(view);
    ck_assert_uint_eq(len, np);
    double *p = malloc(np * sizeof *p), *q = malloc(np * sizeof *q);
    for (size_t i = 0; i < np; i++) p[i] = 0.01 * (double)i - 0.3;
    nnbt_ok(nnb_net_params_set(net, p, np));
    ck_assert(memcmp(view, p, np * sizeof *p) == 0); /* the view sees the arena */
    view[3] = 42.0;
    nnbt_ok(nnb_net_params_get(net, q, np));
    ck_assert(q[3] == 42.0);
    /* per layer get/set address the same arena */
    double w[12], b[2];
    nnbt_ok(nnb_net_layer_get(net, 1, w, 12, NULL, 0));
    ck_assert(memcmp(w, q + 24, sizeof w) == 0);
    nnbt_ok(nnb_net_layer_get(net, 2, NULL, 0, b, 2));
    ck_assert(b[0] == q[np - 2] && b[1] == q[np - 1]);
    b[0] = -7.0;
    nnbt_ok(nnb_net_layer_set(net, 2, NULL, 0, b, 2));
    ck_assert(view[np - 2] == -7.0);
    free(p), free(q);
    nnb_net_free(net);
}
END_TEST

START_TEST(steps_and_gradients) {
    nnb_net *net;
    nnbt_ok(nnb_net_create(&net, 3));
    nnbt_ok(nnb_net_add_dense(net, 4, NNB_ACT_SIGMOID, 1));
    nnbt_ok(nnb_net_add_dense(net, 1, NNB_ACT_IDENTITY, 1));
    size_t np = nnb_net_n_params(net);
    double x[] = {1, 2, 3, -1, 0.5, 0.2}, y[] = {0.3, -0.7};
    double g[32], g2[32], p0[32], p1[32], l0, l1;
    nnbt_ok(nnb_net_grad_get(net, g, np));
    for (size_t i = 0; i < np; i++) ck_assert(g[i] == 0.0); /* zeros before any backprop */
    nnbt_ok(nnb_net_params_get(net, p0, np));
    nnbt_ok(nnb_net_backprop(net, x, 2, 3, y, 1, NNB_LOSS_MSE, NNB_REDUCTION_MEAN, &l0, g, np));
    nnbt_ok(nnb_net_grad_get(net, g2, np));
    ck_assert(memcmp(g, g2, np * sizeof *g) == 0);
    /* a step with the internal gradient == a step with the same gradient passed in */
    nnbt_ok(nnb_net_sgd_step(net, 0.1, NULL, 0));
    nnbt_ok(nnb_net_params_get(net, p1, np));
    for (size_t i = 0; i < np; i++) ck_assert(p1[i] == p0[i] - 0.1 * g[i]);
    nnbt_ok(nnb_net_params_set(net, p0, np));
    nnbt_ok(nnb_net_sgd_step(net, 0.1, g, np));
    nnbt_ok(nnb_net_params_get(net, p1, np));
    for (size_t i = 0; i < np; i++) ck_assert(p1[i] == p0[i] - 0.1 * g[i]);
    /* and a small step lowers the loss */
    nnbt_ok(nnb_net_loss(net, x, 2, 3, y, 1, NNB_LOSS_MSE, NNB_REDUCTION_MEAN, &l1));
    ck_assert(l1 < l0);
    /* backprop without loss_out and without grad works */
    nnbt_ok(nnb_net_backprop(net, x, 2, 3, y, 1, NNB_LOSS_MSE, NNB_REDUCTION_MEAN, NULL, NULL, 0));
    nnb_net_free(net);
}
END_TEST

/* Prediction in blocks (a wide layer makes the blocks small) equals one forward pass. */
START_TEST(predict_blocks) {
    nnb_net *net;
    nnbt_ok(nnb_net_create(&net, 10));
    nnbt_ok(nnb_net_add_dense(net, 4000, NNB_ACT_RELU, 1));
    nnbt_ok(nnb_net_add_dense(net, 3, NNB_ACT_SOFTMAX, 1));
    nnbt_ok(nnb_net_init(net, NNB_INIT_HE_NORMAL, 3));
    size_t rows = 2000;
    nnbt_rng r = {5};
    double *x = malloc(rows * 10 * sizeof *x), *a = malloc(rows * 3 * sizeof *a),
           *b = malloc(rows * 3 * sizeof *b);
    for (size_t i = 0; i < rows * 10; i++) x[i] = nnbt_normal(&r);
    nnbt_ok(nnb_net_forward(net, x, rows, 10, a, rows * 3));
    nnbt_ok(nnb_net_predict(net, x, rows, 10, b, rows * 3));
    for (size_t i = 0; i < rows * 3; i++) ck_assert_double_eq_tol(a[i], b[i], 1e-12);
    for (size_t i = 0; i < rows; i++)
        ck_assert_double_eq_tol(a[3 * i] + a[3 * i + 1] + a[3 * i + 2], 1.0, 1e-14);
    free(x), free(a), free(b);
    nnb_net_free(net);
}
END_TEST

typedef struct {
    const nnb_net *net;
    const double *x;
    size_t rows;
    double *out;
    nnb_status st;
} job;

static void *predict_job(void *arg) {
    job *j = arg;
    for (int rep = 0; rep < 20 && j->st == NNB_OK; rep++)
        j->st = nnb_net_predict(j->net, j->x, j->rows, 6, j->out, j->rows * 2);
    return NULL;
}

/* Many threads predicting from one shared network give the sequential answer. */
START_TEST(concurrent_predict) {
    nnb_net *net;
    nnbt_ok(nnb_net_create(&net, 6));
    nnbt_ok(nnb_net_add_dense(net, 32, NNB_ACT_TANH, 1));
    nnbt_ok(nnb_net_add_dense(net, 2, NNB_ACT_SIGMOID, 1));
    nnbt_ok(nnb_net_init(net, NNB_INIT_XAVIER_UNIFORM, 8));
    enum { T = 6, ROWS = 300 };
    nnbt_rng r = {6};
    double *x = malloc(ROWS * 6 * sizeof *x), *ref = malloc(ROWS * 2 * sizeof *ref);
    for (size_t i = 0; i < ROWS * 6; i++) x[i] = nnbt_normal(&r);
    nnbt_ok(nnb_set_num_threads(1));
    nnbt_ok(nnb_net_predict(net, x, ROWS, 6, ref, ROWS * 2));
    pthread_t th[T];
    job jobs[T];
    for (int t = 0; t < T; t++) {
        jobs[t] = (job){net, x, ROWS - (size_t)t * 7, malloc(ROWS * 2 * sizeof(double)), NNB_OK};
        pthread_create(&th[t], NULL, predict_job, &jobs[t]);
    }
    for (int t = 0; t < T; t++) {
        pthread_join(th[t], NULL);
        nnbt_ok(jobs[t].st);
        ck_assert(memcmp(jobs[t].out, ref, jobs[t].rows * 2 * sizeof(double)) == 0);
        free(jobs[t].out);
    }
    nnbt_ok(nnb_set_num_threads(0));
    free(x), free(ref);
    nnb_net_free(net);
}
END_TEST

/* Trains a 256-256-10 network for 20 steps with `threads` OpenBLAS threads; returns the weights.
 * (Under valgrind a 64-64-10 network, 128 rows, 5 steps: the same checks, minutes less.) */
static double *train_copy(int threads, size_t *np) {
    nnbt_rng r = {11};
    const size_t ROWS = nnbt_scale(512, 128), NI = nnbt_scale(256, 64), NO = 10;
    const size_t HIDDEN = nnbt_scale(256, 64), STEPS = nnbt_scale(20, 5);
    double *x = malloc(ROWS * NI * sizeof *x), *y = calloc(ROWS * NO, sizeof *y);
    for (size_t i = 0; i < ROWS * NI; i++) x[i] = nnbt_normal(&r);
    for (size_t i = 0; i < ROWS; i++) y[i * NO + i % NO] = 1.0;
    nnbt_ok(nnb_set_num_threads(threads));
    nnb_net *net;
    nnbt_ok(nnb_net_create(&net, NI));
    nnbt_ok(nnb_net_add_dense(net, HIDDEN, NNB_ACT_SIGMOID, 1));
    nnbt_ok(nnb_net_add_dense(net, NO, NNB_ACT_SOFTMAX, 1));
    nnbt_ok(nnb_net_init(net, NNB_INIT_XAVIER_UNIFORM, 2024));
    for (size_t s = 0; s < STEPS; s++) {
        nnbt_ok(nnb_net_backprop(net, x, ROWS, NI, y, NO, NNB_LOSS_CE, NNB_REDUCTION_MEAN, NULL,
                                 NULL, 0));
        nnbt_ok(nnb_net_sgd_step(net, 0.5, NULL, 0));
    }
    *np = nnb_net_n_params(net);
    double *w = malloc(*np * sizeof *w);
    nnbt_ok(nnb_net_params_get(net, w, *np));
    nnb_net_free(net);
    nnbt_ok(nnb_set_num_threads(0));
    free(x), free(y);
    return w;
}

/* Same seed, data and thread count: bit-identical weights. A different OpenBLAS thread count may
 * change the last bits (OpenBLAS picks different kernels and blockings), never more than rounding. */
START_TEST(determinism) {
    size_t np;
    for (int threads = 1; threads <= 2; threads++) {
        double *a = train_copy(threads, &np), *b = train_copy(threads, &np);
        ck_assert_msg(memcmp(a, b, np * sizeof *a) == 0, "%d threads: runs differ", threads);
        free(a), free(b);
    }
    double *a = train_copy(1, &np), *b = train_copy(2, &np);
    double worst = 0;
    size_t differ = 0;
    for (size_t i = 0; i < np; i++) {
        differ += a[i] != b[i];
        worst = fmax(worst, fabs(a[i] - b[i]) / fmax(fabs(a[i]), 1e-3));
    }
    fprintf(stderr,
            "1 vs 2 OpenBLAS threads: %zu of %zu weights differ, largest relative "
            "difference %.3g\n",
            differ, np, worst);
    ck_assert_msg(worst < 1e-10, "1 vs 2 threads: relative difference %g", worst);
    free(a), free(b);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("api");
    TCase *tc = tcase_create("core api");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, versions);
    tcase_add_test(tc, blas_threads);
    tcase_add_test(tc, layout_and_views);
    tcase_add_test(tc, steps_and_gradients);
    tcase_add_test(tc, predict_blocks);
    tcase_add_test(tc, concurrent_predict);
    tcase_add_test(tc, determinism);
    suite_add_tcase(s, tc);
    return s;
}

NNBT_MAIN(suite, 0)
