/*
 * Numerical abuse: NaN and infinity in features or targets, constant columns, one row, zero rows,
 * huge inputs and learning rates. Each gives a documented error or a documented behaviour, never a
 * crash; with the non-finite check on, never NaN weights.
 */
#include <string.h>

#include "nnb_test.h"

static nnb_net *small_net(void) {
    nnb_net *net;
    nnbt_ok(nnb_net_create(&net, 3));
    nnbt_ok(nnb_net_add_dense(net, 5, NNB_ACT_TANH, 1));
    nnbt_ok(nnb_net_add_dense(net, 1, NNB_ACT_SIGMOID, 1));
    nnbt_ok(nnb_net_init(net, NNB_INIT_XAVIER_UNIFORM, 1));
    return net;
}

static nnb_train_opts *opts(int check) {
    nnb_train_opts *o;
    nnbt_ok(nnb_train_opts_create(&o));
    nnbt_ok(nnb_train_opts_set_batch_size(o, 4));
    nnbt_ok(nnb_train_opts_set_epochs(o, 3));
    nnbt_ok(nnb_train_opts_set_shuffle(o, 0));
    nnbt_ok(nnb_train_opts_set_check_finite(o, check));
    return o;
}

static int all_finite(const nnb_net *net) {
    size_t n = nnb_net_n_params(net);
    double *p = malloc(n * sizeof *p);
    nnbt_ok(nnb_net_params_get(net, p, n));
    int ok = 1;
    for (size_t i = 0; i < n; i++) ok &= isfinite(p[i]) != 0;
    free(p);
    return ok;
}

static void data(double *x, double *y, size_t rows) {
    nnbt_rng r = {9};
    for (size_t i = 0; i < rows * 3; i++) x[i] = nnbt_normal(&r);
    for (size_t i = 0; i < rows; i++) y[i] = nnbt_uniform(&r) > 0.5;
}

/* NaN in a feature: with the network's input check, refused up front naming row and column;
 * with the training check, stopped at the first batch that meets it, weights still finite;
 * with neither, the always-on loss check stops at the same batch. */
START_TEST(nan_in_features) {
    double x[16 * 3], y[16];
    data(x, y, 16);
    x[9 * 3 + 2] = NAN;
    nnb_net *net = small_net();
    nnb_train_opts *o = opts(0);
    nnbt_ok(nnb_net_set_check_finite(net, 1));
    ck_assert_int_eq(nnb_net_train(net, o, x, 16, 3, y, 1, NULL), NNB_E_NONFINITE);
    ck_assert_str_eq(nnb_last_error(), "nnb_net_train: x[9][2] is nan");
    ck_assert(all_finite(net));
    nnbt_ok(nnb_net_set_check_finite(net, 0));
    nnb_train_opts_free(o);
    o = opts(1);
    ck_assert_int_eq(nnb_net_train(net, o, x, 16, 3, y, 1, NULL), NNB_E_NONFINITE);
    ck_assert_msg(strstr(nnb_last_error(), "epoch 1, batch 3: the loss is nan") != NULL, "%s",
                  nnb_last_error());
    ck_assert(all_finite(net));
    nnb_train_opts_free(o);
    /* with neither: the always-on check of each batch's loss stops before the step */
    o = opts(0);
    ck_assert_int_eq(nnb_net_train(net, o, x, 16, 3, y, 1, NULL), NNB_E_NONFINITE);
    ck_assert_msg(strstr(nnb_last_error(),
                         "epoch 1, batch 3: the loss is nan; training "
                         "diverged (try a learning rate lower than 0.01)") != NULL,
                  "%s", nnb_last_error());
    ck_assert(all_finite(net));
    nnb_train_opts_free(o);
    nnb_net_free(net);
}
END_TEST

START_TEST(infinity_in_targets) {
    double x[16 * 3], y[16];
    data(x, y, 16);
    y[13] = INFINITY;
    nnb_net *net = small_net();
    nnb_train_opts *o = opts(1);
    ck_assert_int_eq(nnb_net_train(net, o, x, 16, 3, y, 1, NULL), NNB_E_NONFINITE);
    ck_assert(strstr(nnb_last_error(), "batch 4") != NULL);
    ck_assert(all_finite(net));
    nnbt_ok(nnb_net_set_check_finite(net, 1));
    ck_assert_int_eq(nnb_net_train(net, o, x, 16, 3, y, 1, NULL), NNB_E_NONFINITE);
    ck_assert_str_eq(nnb_last_error(), "nnb_net_train: y[13][0] is inf");
    nnb_train_opts_free(o);
    nnb_net_free(net);
}
END_TEST

/* A constant column is just a constant input: training and prediction work. */
START_TEST(constant_column) {
    double x[32 * 3], y[32], out[32];
    data(x, y, 32);
    for (int i = 0; i < 32; i++) x[i * 3 + 1] = 7.0;
    nnb_net *net = small_net();
    nnb_train_opts *o = opts(1);
    nnbt_ok(nnb_net_train(net, o, x, 32, 3, y, 1, NULL));
    nnbt_ok(nnb_net_predict(net, x, 32, 3, out, 32));
    for (int i = 0; i < 32; i++) ck_assert(isfinite(out[i]));
    nnb_train_opts_free(o);
    nnb_net_free(net);
}
END_TEST

START_TEST(one_row_and_zero_rows) {
    double x[3] = {0.1, 0.2, 0.3}, y[1] = {1}, out[1];
    nnb_net *net = small_net();
    nnb_train_opts *o = opts(1);
    nnbt_ok(nnb_net_train(net, o, x, 1, 3, y, 1, NULL)); /* a batch of one row */
    nnbt_ok(nnb_train_opts_set_batch_size(o, 0));
    nnbt_ok(nnb_net_train(net, o, x, 1, 3, y, 1, NULL));
    nnbt_ok(nnb_net_predict(net, x, 1, 3, out, 1));
    ck_assert(isfinite(out[0]));
    nnbt_ok(nnb_train_opts_set_validation_split(o, 0.5, 1));
    ck_assert_int_eq(nnb_net_train(net, o, x, 1, 3, y, 1, NULL), NNB_E_INVALID_ARG);
    nnbt_ok(nnb_train_opts_set_validation_split(o, 0, 1));
    ck_assert_int_eq(nnb_net_train(net, o, x, 0, 3, y, 1, NULL), NNB_E_INVALID_ARG);
    ck_assert_str_eq(nnb_last_error(), "nnb_net_train: rows is 0");
    ck_assert_int_eq(nnb_net_predict(net, x, 0, 3, out, 1), NNB_E_INVALID_ARG);
    ck_assert_int_eq(
        nnb_net_evaluate(net, x, 0, 3, y, 1, NNB_LOSS_MSE, NNB_REDUCTION_MEAN, NULL, NULL),
        NNB_E_INVALID_ARG);
    nnb_train_opts_free(o);
    nnb_net_free(net);
}
END_TEST

/* A learning rate far too large: with the check, an error naming epoch and batch and finite
 * weights; the sigmoid output itself never overflows (it saturates). */
START_TEST(huge_learning_rate) {
    double x[64 * 3], y[64];
    data(x, y, 64);
    for (int i = 0; i < 64; i++) y[i] = 1e200 * (y[i] - 0.5);
    nnb_net *net;
    nnbt_ok(nnb_net_create(&net, 3));
    nnbt_ok(nnb_net_add_dense(net, 5, NNB_ACT_RELU, 1));
    nnbt_ok(nnb_net_add_dense(net, 1, NNB_ACT_IDENTITY, 1));
    nnb_train_opts *o = opts(1);
    nnbt_ok(nnb_train_opts_set_optimizer(o, NNB_OPT_SGD, 1e100));
    nnbt_ok(nnb_train_opts_set_epochs(o, 100));
    ck_assert_int_eq(nnb_net_train(net, o, x, 64, 3, y, 1, NULL), NNB_E_NONFINITE);
    ck_assert(strstr(nnb_last_error(), "epoch ") != NULL);
    ck_assert(all_finite(net));
    nnb_train_opts_free(o);
    nnb_net_free(net);
}
END_TEST

/* Inputs near the top of the double range: the sigmoid network stays finite; a softmax over
 * logits of +-1e300 gives a one-hot row and a finite cross-entropy. */
START_TEST(extreme_inputs) {
    double x[2 * 3] = {1e300, -1e300, 1e300, -1e300, 1e300, 0}, out[4], y[4] = {1, 0, 0, 1};
    nnb_net *net = small_net();
    nnbt_ok(nnb_net_predict(net, x, 2, 3, out, 2));
    ck_assert(isfinite(out[0]) && isfinite(out[1]));
    nnb_net_free(net);
    nnbt_ok(nnb_net_create(&net, 3));
    nnbt_ok(nnb_net_add_dense(net, 2, NNB_ACT_SOFTMAX, 0));
    double w[6] = {1, 0, 0, 0, 1, 0};
    nnbt_ok(nnb_net_layer_set(net, 0, w, 6, NULL, 0));
    double xs[2 * 3] = {1000, -1000, 0, -1000, 1000, 0}, l;
    nnbt_ok(nnb_net_predict(net, xs, 2, 3, out, 4));
    ck_assert(out[0] == 1.0 && out[1] == 0.0 && out[2] == 0.0 && out[3] == 1.0);
    nnbt_ok(nnb_net_loss(net, xs, 2, 3, y, 2, NNB_LOSS_CE, NNB_REDUCTION_SUM, &l));
    ck_assert(l == 0.0);
    double ybad[4] = {0, 1, 1, 0}; /* confidently wrong: 2000 per row, finite */
    nnbt_ok(nnb_net_loss(net, xs, 2, 3, ybad, 2, NNB_LOSS_CE, NNB_REDUCTION_SUM, &l));
    nnbt_assert_rel(l, 4000.0, 1e-12);
    nnb_net_free(net);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("abuse");
    TCase *tc = tcase_create("numerical abuse");
    tcase_add_test(tc, nan_in_features);
    tcase_add_test(tc, infinity_in_targets);
    tcase_add_test(tc, constant_column);
    tcase_add_test(tc, one_row_and_zero_rows);
    tcase_add_test(tc, huge_learning_rate);
    tcase_add_test(tc, extreme_inputs);
    suite_add_tcase(s, tc);
    return s;
}

NNBT_MAIN(suite, 0)
