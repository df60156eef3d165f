/* Every error path of the core API returns its status and a message, never a crash. */
#include <limits.h>
#include <pthread.h>
#include <string.h>

#include "nnb_test.h"

#define expect nnbt_expect

static nnb_net *small_net(void) {
    nnb_net *net;
    nnbt_ok(nnb_net_create(&net, 8));
    nnbt_ok(nnb_net_add_dense(net, 4, NNB_ACT_TANH, 1));
    nnbt_ok(nnb_net_add_dense(net, 2, NNB_ACT_SOFTMAX, 1));
    return net;
}

START_TEST(status_strings) {
    const char *seen[NNB_E_INTERNAL + 1];
    for (int s = 0; s <= NNB_E_INTERNAL; s++) {
        const char *t = nnb_status_string((nnb_status)s);
        ck_assert(t && *t && strcmp(t, "unknown status") != 0);
        ck_assert(strncmp(nnb_status_name((nnb_status)s), "NNB_", 4) == 0);
        for (int k = 0; k < s; k++) ck_assert_str_ne(seen[k], t);
        seen[s] = t;
    }
    ck_assert_str_eq(nnb_status_string(NNB_OK), "success");
    ck_assert_str_eq(nnb_status_name(NNB_E_SHAPE), "NNB_E_SHAPE");
    ck_assert_str_eq(nnb_status_string((nnb_status)999), "unknown status");
    ck_assert_str_eq(nnb_status_string((nnb_status)-1), "unknown status");
    ck_assert_str_eq(nnb_status_name((nnb_status)999), "NNB_E_UNKNOWN");
}
END_TEST

static void *other_thread(void *arg) {
    (void)arg;
    return (void *)(uintptr_t)(nnb_last_error()[0] == '\0');
}

START_TEST(last_error_semantics) {
    nnb_clear_error();
    ck_assert_str_eq(nnb_last_error(), "");
    nnb_net *net = NULL;
    ck_assert_int_eq(nnb_net_create(&net, 0), NNB_E_INVALID_ARG);
    ck_assert_ptr_null(net);
    ck_assert_str_eq(nnb_last_error(), "nnb_net_create: n_inputs is 0");
    /* success does not clear it, reading does not clear it */
    nnbt_ok(nnb_net_create(&net, 3));
    ck_assert_str_eq(nnb_last_error(), "nnb_net_create: n_inputs is 0");
    ck_assert_str_eq(nnb_last_error(), "nnb_net_create: n_inputs is 0");
    /* thread-local: another thread sees its own (empty) message */
    pthread_t t;
    void *empty;
    pthread_create(&t, NULL, other_thread, NULL);
    pthread_join(t, &empty);
    ck_assert(empty != NULL);
    nnb_clear_error();
    ck_assert_str_eq(nnb_last_error(), "");
    nnb_net_free(net);
}
END_TEST

START_TEST(null_pointers) {
    nnb_net *net = small_net();
    double x[8] = {0}, y[2] = {0}, out[2], g[64], l;
    size_t np = nnb_net_n_params(net);
    expect(nnb_net_create(NULL, 3), NNB_E_NULL, "nnb_net_create: out is NULL");
    expect(nnb_net_add_dense(NULL, 3, NNB_ACT_RELU, 1), NNB_E_NULL, "net is NULL");
    expect(nnb_net_set_leaky_slope(NULL, 0, 0.1), NNB_E_NULL, "net is NULL");
    expect(nnb_net_layer_info(NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL), NNB_E_NULL,
           "net is NULL");
    expect(nnb_net_seed(NULL, 1), NNB_E_NULL, "net is NULL");
    expect(nnb_net_init(NULL, NNB_INIT_HE_NORMAL, 1), NNB_E_NULL, "net is NULL");
    expect(nnb_net_params_get(NULL, g, np), NNB_E_NULL, "net is NULL");
    expect(nnb_net_params_get(net, NULL, np), NNB_E_NULL, "dst is NULL");
    expect(nnb_net_params_set(NULL, g, np), NNB_E_NULL, "net is NULL");
    expect(nnb_net_params_set(net, NULL, np), NNB_E_NULL, "src is NULL");
    expect(nnb_net_layer_get(NULL, 0, NULL, 0, NULL, 0), NNB_E_NULL, "net is NULL");
    expect(nnb_net_layer_set(NULL, 0, NULL, 0, NULL, 0), NNB_E_NULL, "net is NULL");
    expect(nnb_net_set_check_finite(NULL, 1), NNB_E_NULL, "net is NULL");
    expect(nnb_net_forward(NULL, x, 1, 8, out, 2), NNB_E_NULL, "nnb_net_forward: net is NULL");
    expect(nnb_net_forward(net, NULL, 1, 8, out, 2), NNB_E_NULL, "nnb_net_forward: x is NULL");
    expect(nnb_net_forward(net, x, 1, 8, NULL, 2), NNB_E_NULL, "nnb_net_forward: out is NULL");
    expect(nnb_net_predict(NULL, x, 1, 8, out, 2), NNB_E_NULL, "nnb_net_predict: net is NULL");
    expect(nnb_net_predict(net, x, 1, 8, NULL, 2), NNB_E_NULL, "out is NULL");
    expect(nnb_net_loss(net, x, 1, 8, NULL, 2, NNB_LOSS_CE, NNB_REDUCTION_SUM, &l), NNB_E_NULL,
           "y is NULL");
    expect(nnb_net_loss(net, x, 1, 8, y, 2, NNB_LOSS_CE, NNB_REDUCTION_SUM, NULL), NNB_E_NULL,
           "loss_out is NULL");
    expect(nnb_net_backprop(NULL, x, 1, 8, y, 2, NNB_LOSS_CE, NNB_REDUCTION_SUM, &l, NULL, 0),
           NNB_E_NULL, "net is NULL");
    expect(nnb_net_backprop(net, NULL, 1, 8, y, 2, NNB_LOSS_CE, NNB_REDUCTION_SUM, &l, NULL, 0),
           NNB_E_NULL, "x is NULL");
    expect(nnb_net_backprop(net, x, 1, 8, NULL, 2, NNB_LOSS_CE, NNB_REDUCTION_SUM, &l, NULL, 0),
           NNB_E_NULL, "y is NULL");
    expect(nnb_net_grad_get(NULL, g, np), NNB_E_NULL, "net is NULL");
    expect(nnb_net_grad_get(net, NULL, np), NNB_E_NULL, "dst is NULL");
    expect(nnb_net_sgd_step(NULL, 0.1, NULL, 0), NNB_E_NULL, "net is NULL");
    expect(nnb_net_grad_check(net, x, 1, 8, y, 2, NNB_LOSS_CE, NNB_REDUCTION_SUM, 0, NULL, NULL),
           NNB_E_NULL, "max_rel_err is NULL");
    expect(nnb_net_grad_check(NULL, x, 1, 8, y, 2, NNB_LOSS_CE, NNB_REDUCTION_SUM, 0, &l, NULL),
           NNB_E_NULL, "net is NULL");
    /* getters and destructors take NULL quietly */
    ck_assert_uint_eq(nnb_net_n_inputs(NULL), 0);
    ck_assert_uint_eq(nnb_net_n_outputs(NULL), 0);
    ck_assert_uint_eq(nnb_net_n_layers(NULL), 0);
    ck_assert_uint_eq(nnb_net_n_params(NULL), 0);
    size_t len = 99;
    ck_assert_ptr_null(nnb_net_params_data(NULL, &len));
    ck_assert_uint_eq(len, 0);
    nnb_net_free(NULL);
    nnb_net_free(net);
}
END_TEST

START_TEST(bad_construction) {
    nnb_net *net = (nnb_net *)&net; /* must be reset to NULL on failure */
    expect(nnb_net_create(&net, 0), NNB_E_INVALID_ARG, "n_inputs is 0");
    ck_assert_ptr_null(net);
    expect(nnb_net_create(&net, (size_t)INT_MAX + 1), NNB_E_TOO_LARGE, "32-bit");
    ck_assert_ptr_null(net);
    nnbt_ok(nnb_net_create(&net, 5));
    expect(nnb_net_add_dense(net, 0, NNB_ACT_RELU, 1), NNB_E_INVALID_ARG, "units is 0");
    expect(nnb_net_add_dense(net, (size_t)INT_MAX + 1, NNB_ACT_RELU, 1), NNB_E_TOO_LARGE, "32-bit");
    expect(nnb_net_add_dense(net, 3, (nnb_activation)17, 1), NNB_E_INVALID_ARG,
           "unknown activation 17");
    expect(nnb_net_add_dense(net, 3, (nnb_activation)-1, 1), NNB_E_INVALID_ARG,
           "unknown activation");
    expect(nnb_net_add_dense(net, 3, NNB_ACT_RELU, 2), NNB_E_INVALID_ARG, "has_bias is 2");
    ck_assert_uint_eq(nnb_net_n_layers(net), 0);
    nnbt_ok(nnb_net_add_dense(net, 3, NNB_ACT_SOFTMAX, 1));
    expect(nnb_net_add_dense(net, 3, NNB_ACT_RELU, 1), NNB_E_INVALID_ARG,
           "softmax, which is allowed only on the output layer");
    ck_assert_uint_eq(nnb_net_n_layers(net), 1);
    expect(nnb_net_init(net, (nnb_init)9, 1), NNB_E_INVALID_ARG, "unknown initialisation scheme 9");
    expect(nnb_net_set_leaky_slope(net, 3, 0.1), NNB_E_INVALID_ARG, "layer 3 does not exist");
    expect(nnb_net_set_leaky_slope(net, 0, 0.1), NNB_E_INVALID_ARG, "not a leaky-ReLU layer");
    nnb_net_free(net);
    nnbt_ok(nnb_net_create(&net, 5));
    nnbt_ok(nnb_net_add_dense(net, 3, NNB_ACT_LEAKY_RELU, 1));
    expect(nnb_net_set_leaky_slope(net, 0, -0.5), NNB_E_INVALID_ARG, "must be finite and >= 0");
    expect(nnb_net_set_leaky_slope(net, 0, NAN), NNB_E_INVALID_ARG, "must be finite");
    nnbt_ok(nnb_net_set_leaky_slope(net, 0, 0.2));
    nnb_net_free(net);
}
END_TEST

/* A layer whose parameter count cannot be indexed, and one too big for memory. */
START_TEST(too_large_and_out_of_memory) {
    nnb_net *net;
    nnbt_ok(nnb_net_create(&net, (size_t)INT_MAX));
    expect(nnb_net_add_dense(net, (size_t)INT_MAX, NNB_ACT_RELU, 1), NNB_E_TOO_LARGE,
           "does not fit in memory");
    /* 2^31 x 100000 parameters = 1.6 PB: refused against the memory available, before asking
     * (a failed allocation is NNB_E_NOMEM: test_allocfail) */
    expect(nnb_net_add_dense(net, 100000, NNB_ACT_RELU, 1), NNB_E_TOO_LARGE,
           "does not fit in memory");
    ck_assert_uint_eq(nnb_net_n_layers(net), 0);
    ck_assert_uint_eq(nnb_net_n_params(net), 0);
    nnb_net_free(net);
}
END_TEST

START_TEST(bad_shapes) {
    nnb_net *net = small_net();
    double x[3 * 8] = {0}, y[3 * 2] = {0}, out[6], l;
    size_t np = nnb_net_n_params(net);
    double *g = calloc(np + 1, sizeof *g);
    expect(nnb_net_forward(net, x, 1, 7, out, 2), NNB_E_SHAPE,
           "nnb_net_forward: x has 7 columns, the network expects 8");
    expect(nnb_net_forward(net, x, 3, 8, out, 5), NNB_E_SHAPE,
           "out_len is 5; 3 rows x 2 outputs need 6");
    expect(nnb_net_forward(net, x, 0, 8, out, 6), NNB_E_INVALID_ARG, "rows is 0");
    expect(nnb_net_forward(net, x, (size_t)INT_MAX + 1, 8, out, 6), NNB_E_TOO_LARGE,
           "32-bit limit");
    expect(nnb_net_predict(net, x, 3, 9, out, 6), NNB_E_SHAPE, "nnb_net_predict: x has 9 columns");
    expect(nnb_net_backprop(net, x, 3, 8, y, 3, NNB_LOSS_CE, NNB_REDUCTION_SUM, &l, NULL, 0),
           NNB_E_SHAPE, "y has 3 columns, the network has 2 outputs");
    expect(nnb_net_backprop(net, x, 3, 8, y, 2, NNB_LOSS_CE, NNB_REDUCTION_SUM, &l, g, np + 1),
           NNB_E_SHAPE, "grad has 47 values, the network has 46 parameters");
    expect(nnb_net_backprop(net, x, 3, 8, y, 2, NNB_LOSS_BCE, NNB_REDUCTION_SUM, &l, NULL, 0),
           NNB_E_INVALID_ARG, "binary cross-entropy needs a sigmoid output layer");
    expect(nnb_net_backprop(net, x, 3, 8, y, 2, (nnb_loss)7, NNB_REDUCTION_SUM, &l, NULL, 0),
           NNB_E_INVALID_ARG, "unknown loss 7");
    expect(nnb_net_backprop(net, x, 3, 8, y, 2, NNB_LOSS_CE, (nnb_reduction)5, &l, NULL, 0),
           NNB_E_INVALID_ARG, "unknown reduction 5");
    expect(nnb_net_params_get(net, g, np + 1), NNB_E_SHAPE,
           "dst has 47 values, the network has 46 parameters");
    expect(nnb_net_params_set(net, g, np - 1), NNB_E_SHAPE, "src has 45 values");
    expect(nnb_net_grad_get(net, g, 3), NNB_E_SHAPE, "dst has 3 values");
    expect(nnb_net_sgd_step(net, 0.1, g, 3), NNB_E_SHAPE, "grad has 3 values");
    expect(nnb_net_sgd_step(net, NAN, NULL, 0), NNB_E_INVALID_ARG, "lr is nan");
    expect(nnb_net_sgd_step(net, -0.1, NULL, 0), NNB_E_INVALID_ARG,
           "lr is -0.1"); /* a sign error */
    expect(nnb_net_layer_get(net, 2, NULL, 0, NULL, 0), NNB_E_INVALID_ARG,
           "layer 2 does not exist (2 layers)");
    expect(nnb_net_layer_get(net, 0, g, 31, NULL, 0), NNB_E_SHAPE,
           "w_len is 31; layer 0's W has 32 values");
    expect(nnb_net_layer_get(net, 0, NULL, 32, NULL, 0), NNB_E_SHAPE, "w_len is 32");
    expect(nnb_net_layer_set(net, 1, NULL, 0, g, 3), NNB_E_SHAPE,
           "b_len is 3; layer 1's b has 2 values");
    expect(nnb_net_layer_info(net, 5, NULL, NULL, NULL, NULL, NULL, NULL), NNB_E_INVALID_ARG,
           "layer 5 does not exist");
    nnb_net_free(net);

    nnbt_ok(nnb_net_create(&net, 8));
    expect(nnb_net_forward(net, x, 1, 8, out, 2), NNB_E_INVALID_ARG, "the network has no layers");
    nnbt_ok(nnb_net_add_dense(net, 2, NNB_ACT_SIGMOID, 0));
    expect(nnb_net_loss(net, x, 1, 8, y, 2, NNB_LOSS_CE, NNB_REDUCTION_SUM, &l), NNB_E_INVALID_ARG,
           "softmax cross-entropy needs a softmax output layer");
    nnb_net_free(net);
    free(g);
}
END_TEST

START_TEST(non_finite) {
    nnb_net *net = small_net();
    double x[2 * 8] = {0}, y[2 * 2] = {0.5, 0.5, 0.5, 0.5}, out[4], l;
    x[8 + 3] = NAN;
    /* checking off (default): the NaN flows through */
    nnbt_ok(nnb_net_forward(net, x, 2, 8, out, 4));
    ck_assert(isnan(out[2]) && !isnan(out[0]));
    nnbt_ok(nnb_net_set_check_finite(net, 1));
    expect(nnb_net_forward(net, x, 2, 8, out, 4), NNB_E_NONFINITE,
           "nnb_net_forward: x[1][3] is nan");
    expect(nnb_net_predict(net, x, 2, 8, out, 4), NNB_E_NONFINITE, "x[1][3] is nan");
    x[8 + 3] = 0;
    y[1] = INFINITY;
    expect(nnb_net_backprop(net, x, 2, 8, y, 2, NNB_LOSS_CE, NNB_REDUCTION_MEAN, &l, NULL, 0),
           NNB_E_NONFINITE, "y[0][1] is inf");
    y[1] = 0.5;
    nnbt_ok(nnb_net_backprop(net, x, 2, 8, y, 2, NNB_LOSS_CE, NNB_REDUCTION_MEAN, &l, NULL, 0));
    ck_assert(isfinite(l));
    /* parameters are always checked */
    size_t np = nnb_net_n_params(net);
    double *p = calloc(np, sizeof *p);
    p[7] = -INFINITY;
    expect(nnb_net_params_set(net, p, np), NNB_E_NONFINITE, "src[7] is -inf");
    expect(nnb_net_layer_set(net, 0, p, 32, NULL, 0), NNB_E_NONFINITE, "w[7] is -inf");
    p[7] = 0;
    p[1] = NAN;
    expect(nnb_net_layer_set(net, 0, NULL, 0, p, 4), NNB_E_NONFINITE, "b[1] is nan");
    free(p);
    nnb_net_free(net);
}
END_TEST

/* ---- float32 networks and data (issue 23: each concern tests both element types) ---------- */

START_TEST(dtype_errors) {
    nnb_net *net = NULL;
    nnbt_expect(nnb_net_create_dtype(&net, 3, (nnb_dtype)7), NNB_E_INVALID_ARG, "dtype");
    ck_assert_ptr_null(net);
    nnbt_expect(nnb_net_create_dtype(NULL, 3, NNB_F32), NNB_E_NULL, "out");
    nnbt_expect(nnb_net_copy(&net, NULL, NNB_F32), NNB_E_NULL, "src");
    ck_assert_int_eq(nnb_net_dtype(NULL), NNB_F64);
    net = nnbt_net3(NNB_F32, 3, 4, NNB_ACT_TANH, 1, NNB_ACT_IDENTITY, 1);
    nnb_net *c;
    nnbt_expect(nnb_net_copy(&c, net, (nnb_dtype)-1), NNB_E_INVALID_ARG, "dtype");
    size_t np = nnb_net_n_params(net);
    float *p = calloc(np, sizeof *p);
    p[3] = NAN;
    nnbt_expect(nnb_net_params_set_f32(net, p, np), NNB_E_NONFINITE, "src[3]");
    nnbt_expect(nnb_net_params_set_f32(net, p, np - 1), NNB_E_SHAPE, "parameters");
    double *pd = calloc(np, sizeof *pd);
    pd[2] = 1e300;
    nnbt_expect(nnb_net_params_set(net, pd, np), NNB_E_NONFINITE, "src[2]");
    float x[6] = {1, 2, 3, 4, 5, 6}, y[2] = {1, 2}, out[2];
    nnbt_expect(nnb_net_forward_f32(net, x, 2, 2, out, 2), NNB_E_SHAPE, "columns");
    nnbt_expect(nnb_net_predict_f32(net, x, 2, 3, out, 1), NNB_E_SHAPE, "out_len");
    nnbt_ok(nnb_net_set_check_finite(net, 1));
    x[4] = INFINITY;
    nnbt_expect(nnb_net_forward_f32(net, x, 2, 3, out, 2), NNB_E_NONFINITE, "x[1][1]");
    x[4] = 0;
    nnb_train_opts *o;
    nnbt_ok(nnb_train_opts_create(&o));
    nnbt_ok(nnb_train_opts_set_optimizer(o, NNB_OPT_LM, 0.01));
    nnbt_expect(nnb_net_train_f32(net, o, x, 2, 3, y, 1, NULL), NNB_E_UNSUPPORTED, "Levenberg");
    nnb_net *n64 = nnbt_net3(NNB_F64, 3, 4, NNB_ACT_TANH, 1, NNB_ACT_IDENTITY, 1);
    nnbt_expect(nnb_net_train_f32(n64, o, x, 2, 3, y, 1, NULL), NNB_E_UNSUPPORTED, "Levenberg");
    pd[2] = 1e300;
    nnbt_ok(nnb_net_params_set(n64, pd, np));
    nnbt_expect(nnb_net_copy(&c, n64, NNB_F32), NNB_E_NONFINITE, "range");
    free(p), free(pd);
    nnb_train_opts_free(o);
    nnb_net_free(net), nnb_net_free(n64);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("errors");
    TCase *tc = tcase_create("error paths");
    tcase_add_test(tc, status_strings);
    tcase_add_test(tc, last_error_semantics);
    tcase_add_test(tc, null_pointers);
    tcase_add_test(tc, bad_construction);
    tcase_add_test(tc, too_large_and_out_of_memory);
    tcase_add_test(tc, bad_shapes);
    tcase_add_test(tc, non_finite);
    suite_add_tcase(s, tc);
    tc = tcase_create("float32");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, dtype_errors);
    suite_add_tcase(s, tc);
    return s;
}

NNBT_MAIN(suite, 0)
