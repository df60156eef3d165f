/* Weight initialisation schemes through the public API: distributions, orthogonality, seeds. */
#include <string.h>

#include "nnb_test.h"

static double *layer_w(nnb_net *net, size_t layer, size_t *n_out, size_t *n_in) {
    nnbt_ok(nnb_net_layer_info(net, layer, n_in, n_out, NULL, NULL, NULL, NULL));
    double *w = malloc(*n_out * *n_in * sizeof *w);
    nnbt_ok(nnb_net_layer_get(net, layer, w, *n_out * *n_in, NULL, 0));
    return w;
}

static void moments(const double *w, size_t n, double *mean, double *var) {
    double s = 0, s2 = 0;
    for (size_t i = 0; i < n; i++) s += w[i];
    *mean = s / n;
    for (size_t i = 0; i < n; i++) s2 += (w[i] - *mean) * (w[i] - *mean);
    *var = s2 / (n - 1);
}

START_TEST(distributions) {
    nnb_net *net;
    nnbt_ok(nnb_net_create(&net, 400));
    nnbt_ok(nnb_net_add_dense(net, 300, NNB_ACT_RELU, 1));
    size_t no, ni, n = 300 * 400;
    double mean, var;
    /* Normal(0, 1/sqrt(fan_in)) */
    nnbt_ok(nnb_net_init(net, NNB_INIT_NORMAL_FANIN, 1));
    double *w = layer_w(net, 0, &no, &ni);
    moments(w, n, &mean, &var);
    ck_assert_double_eq_tol(mean, 0, 5 * sqrt(1.0 / 400 / n));
    ck_assert_double_eq_tol(var, 1.0 / 400, 5 * (1.0 / 400) * sqrt(2.0 / n));
    free(w);
    /* Xavier uniform: |w| <= a, variance a^2/3 */
    nnbt_ok(nnb_net_init(net, NNB_INIT_XAVIER_UNIFORM, 2));
    w = layer_w(net, 0, &no, &ni);
    double a = sqrt(6.0 / 700);
    for (size_t i = 0; i < n; i++) ck_assert(fabs(w[i]) <= a);
    moments(w, n, &mean, &var);
    ck_assert_double_eq_tol(var, a * a / 3, 5 * a * a * sqrt(4.0 / 45 / n));
    free(w);
    /* He normal: variance 2/fan_in */
    nnbt_ok(nnb_net_init(net, NNB_INIT_HE_NORMAL, 3));
    w = layer_w(net, 0, &no, &ni);
    moments(w, n, &mean, &var);
    ck_assert_double_eq_tol(var, 2.0 / 400, 5 * (2.0 / 400) * sqrt(2.0 / n));
    free(w);
    /* biases are zero after every init */
    double b[300];
    nnbt_ok(nnb_net_layer_get(net, 0, NULL, 0, b, 300));
    for (int i = 0; i < 300; i++) ck_assert(b[i] == 0.0);
    nnb_net_free(net);
}
END_TEST

/* W W^T = I (wide) or W^T W = I (tall), to rounding. */
START_TEST(orthogonal) {
    static const size_t shapes[][2] = {{5, 5}, {7, 3}, {3, 7}, {64, 64}, {1, 9}, {9, 1}, {40, 100}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        size_t ni = shapes[s][0], no = shapes[s][1];
        nnb_net *net;
        nnbt_ok(nnb_net_create(&net, ni));
        nnbt_ok(nnb_net_add_dense(net, no, NNB_ACT_TANH, 0));
        nnbt_ok(nnb_net_init(net, NNB_INIT_ORTHOGONAL, 10 + s));
        size_t a, b;
        double *w = layer_w(net, 0, &a, &b);
        int tall = no >= ni; /* orthonormal columns */
        size_t k = tall ? ni : no, m = tall ? no : ni;
        for (size_t i = 0; i < k; i++)
            for (size_t j = 0; j < k; j++) {
                long double dot = 0;
                for (size_t t = 0; t < m; t++)
                    dot += tall ? (long double)w[t * ni + i] * w[t * ni + j]
                                : (long double)w[i * ni + t] * w[j * ni + t];
                ck_assert_msg(fabsl(dot - (i == j)) < 1e-13L, "shape %zux%zu: <%zu,%zu> = %.3Lg",
                              no, ni, i, j, dot);
            }
        free(w);
        nnb_net_free(net);
    }
}
END_TEST

START_TEST(seeds) {
    for (int scheme = 0; scheme <= NNB_INIT_ORTHOGONAL; scheme++) {
        nnb_net *a, *b;
        nnbt_ok(nnb_net_create(&a, 6));
        nnbt_ok(nnb_net_add_dense(a, 5, NNB_ACT_SIGMOID, 1));
        nnbt_ok(nnb_net_add_dense(a, 2, NNB_ACT_SIGMOID, 1));
        nnbt_ok(nnb_net_create(&b, 6));
        nnbt_ok(nnb_net_add_dense(b, 5, NNB_ACT_SIGMOID, 1));
        nnbt_ok(nnb_net_add_dense(b, 2, NNB_ACT_SIGMOID, 1));
        size_t np = nnb_net_n_params(a);
        double pa[64], pb[64];
        nnbt_ok(nnb_net_init(a, (nnb_init)scheme, 123));
        nnbt_ok(nnb_net_init(b, (nnb_init)scheme, 123));
        nnbt_ok(nnb_net_params_get(a, pa, np));
        nnbt_ok(nnb_net_params_get(b, pb, np));
        ck_assert(memcmp(pa, pb, np * sizeof *pa) == 0);
        nnbt_ok(nnb_net_init(b, (nnb_init)scheme, 124));
        nnbt_ok(nnb_net_params_get(b, pb, np));
        ck_assert(memcmp(pa, pb, np * sizeof *pa) != 0);
        nnb_net_free(a);
        nnb_net_free(b);
    }
    /* Networks are usable without nnb_net_init, and deterministically so (generator seed 0). */
    nnb_net *a, *b;
    nnbt_ok(nnb_net_create(&a, 3));
    nnbt_ok(nnb_net_add_dense(a, 4, NNB_ACT_RELU, 1));
    nnbt_ok(nnb_net_create(&b, 3));
    nnbt_ok(nnb_net_add_dense(b, 4, NNB_ACT_RELU, 1));
    double pa[16], pb[16];
    nnbt_ok(nnb_net_params_get(a, pa, 16));
    nnbt_ok(nnb_net_params_get(b, pb, 16));
    ck_assert(memcmp(pa, pb, sizeof pa) == 0);
    double nz = 0;
    for (int i = 0; i < 12; i++) nz += fabs(pa[i]);
    ck_assert(nz > 0);
    /* nnb_net_seed then init with the same seed gives the same weights as init alone */
    nnbt_ok(nnb_net_seed(a, 5));
    nnbt_ok(nnb_net_init(a, NNB_INIT_HE_NORMAL, 77));
    nnbt_ok(nnb_net_init(b, NNB_INIT_HE_NORMAL, 77));
    nnbt_ok(nnb_net_params_get(a, pa, 16));
    nnbt_ok(nnb_net_params_get(b, pb, 16));
    ck_assert(memcmp(pa, pb, sizeof pa) == 0);
    nnb_net_free(a);
    nnb_net_free(b);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("init");
    TCase *tc = tcase_create("schemes");
    tcase_add_test(tc, distributions);
    tcase_add_test(tc, orthogonal);
    tcase_add_test(tc, seeds);
    suite_add_tcase(s, tc);
    return s;
}

NNBT_MAIN(suite, 0)
