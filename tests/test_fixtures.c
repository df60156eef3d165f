/* The tutorial's worked figures, from ../shared/data/seed-fixtures.json. */
#include <string.h>

#include "nnb_test.h"

static const nnbt_json *fx(const char *path) {
    const nnbt_json *j = nnbt_json_get(nnbt_fixtures(), path);
    ck_assert_msg(j != NULL, "fixture %s missing", path);
    return j;
}

static double *fx_doubles(const char *path, size_t *n) { return nnbt_json_doubles(fx(path), n); }

/* numpy's (n_in x n_out) weight matrix -> our W (n_out x n_in) */
static double *transpose(const double *a, size_t rows, size_t cols) {
    double *t = malloc(rows * cols * sizeof *t);
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++) t[j * rows + i] = a[i * cols + j];
    return t;
}

START_TEST(single_step) {
    size_t n;
    double *x = fx_doubles("single_step.x", &n);
    double *w = fx_doubles("single_step.w", NULL);
    double *del_w = fx_doubles("single_step.del_w", NULL);
    double y = nnbt_json_num(fx("single_step.y")), lr = nnbt_json_num(fx("single_step.learnrate"));
    ck_assert_uint_eq(n, 4);

    nnb_net *net;
    nnbt_ok(nnb_net_create(&net, 4));
    nnbt_ok(nnb_net_add_dense(net, 1, NNB_ACT_SIGMOID, 0));
    nnbt_ok(nnb_net_layer_set(net, 0, w, 4, NULL, 0));
    double out, loss, grad[4];
    nnbt_ok(nnb_net_forward(net, x, 1, 4, &out, 1));
    nnbt_assert_rel(out, nnbt_json_num(fx("single_step.output")), 1e-12);
    nnbt_assert_rel(y - out, nnbt_json_num(fx("single_step.error")), 1e-12);
    nnbt_ok(nnb_net_backprop(net, x, 1, 4, &y, 1, NNB_LOSS_SSE, NNB_REDUCTION_SUM, &loss, grad, 4));
    nnbt_assert_rel(loss, 0.5 * (y - out) * (y - out), 1e-12);
    for (int i = 0; i < 4; i++) nnbt_assert_rel(-lr * grad[i], del_w[i], 1e-12);

    /* the same step through nnb_net_sgd_step moves the weights by del_w */
    nnbt_ok(nnb_net_sgd_step(net, lr, NULL, 0));
    double w2[4];
    nnbt_ok(nnb_net_layer_get(net, 0, w2, 4, NULL, 0));
    for (int i = 0; i < 4; i++) nnbt_assert_rel(w2[i] - w[i], del_w[i], 1e-12);
    nnb_net_free(net);
    free(x), free(w), free(del_w);
}
END_TEST

START_TEST(forward_4_3_2) {
    double *x = fx_doubles("forward_4_3_2.x", NULL);
    double *wih = fx_doubles("forward_4_3_2.w_input_hidden", NULL);  /* 4 x 3 */
    double *who = fx_doubles("forward_4_3_2.w_hidden_output", NULL); /* 3 x 2 */
    double *hid = fx_doubles("forward_4_3_2.hidden_output", NULL);
    double *want = fx_doubles("forward_4_3_2.output", NULL);
    double *w1 = transpose(wih, 4, 3), *w2 = transpose(who, 3, 2);

    nnb_net *net;
    nnbt_ok(nnb_net_create(&net, 4));
    nnbt_ok(nnb_net_add_dense(net, 3, NNB_ACT_SIGMOID, 0));
    nnbt_ok(nnb_net_layer_set(net, 0, w1, 12, NULL, 0));
    double h[3], out[2];
    nnbt_ok(nnb_net_forward(net, x, 1, 4, h, 3));
    for (int i = 0; i < 3; i++) nnbt_assert_rel(h[i], hid[i], 1e-12);
    nnbt_ok(nnb_net_add_dense(net, 2, NNB_ACT_SIGMOID, 0));
    nnbt_ok(nnb_net_layer_set(net, 1, w2, 6, NULL, 0));
    nnbt_ok(nnb_net_forward(net, x, 1, 4, out, 2));
    for (int i = 0; i < 2; i++) nnbt_assert_rel(out[i], want[i], 1e-12);
    nnbt_ok(nnb_net_predict(net, x, 1, 4, out, 2));
    for (int i = 0; i < 2; i++) nnbt_assert_rel(out[i], want[i], 1e-12);
    nnb_net_free(net);
    free(x), free(wih), free(who), free(hid), free(want), free(w1), free(w2);
}
END_TEST

START_TEST(backprop_3_2_1) {
    double *x = fx_doubles("backprop_3_2_1.x", NULL);
    double *wih = fx_doubles("backprop_3_2_1.w_input_hidden", NULL);  /* 3 x 2 */
    double *who = fx_doubles("backprop_3_2_1.w_hidden_output", NULL); /* 2 */
    double *dho = fx_doubles("backprop_3_2_1.delta_w_hidden_output", NULL);
    double *dih = fx_doubles("backprop_3_2_1.delta_w_input_hidden", NULL); /* 3 x 2 */
    double y = nnbt_json_num(fx("backprop_3_2_1.target"));
    double lr = nnbt_json_num(fx("backprop_3_2_1.learnrate"));
    double *w1 = transpose(wih, 3, 2);

    nnb_net *net;
    nnbt_ok(nnb_net_create(&net, 3));
    nnbt_ok(nnb_net_add_dense(net, 2, NNB_ACT_SIGMOID, 0));
    nnbt_ok(nnb_net_add_dense(net, 1, NNB_ACT_SIGMOID, 0));
    nnbt_ok(nnb_net_layer_set(net, 0, w1, 6, NULL, 0));
    nnbt_ok(nnb_net_layer_set(net, 1, who, 2, NULL, 0));
    ck_assert_uint_eq(nnb_net_n_params(net), 8);
    double out, g[8];
    nnbt_ok(nnb_net_forward(net, x, 1, 3, &out, 1));
    nnbt_assert_rel(out, nnbt_json_num(fx("backprop_3_2_1.output")), 1e-12);
    nnbt_ok(nnb_net_backprop(net, x, 1, 3, &y, 1, NNB_LOSS_SSE, NNB_REDUCTION_SUM, NULL, g, 8));
    /* W1 is 2 x 3 (our layout) = transpose of the tutorial's 3 x 2 */
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 2; j++) nnbt_assert_rel(-lr * g[j * 3 + i], dih[i * 2 + j], 1e-12);
    for (int j = 0; j < 2; j++) nnbt_assert_rel(-lr * g[6 + j], dho[j], 1e-12);
    nnb_net_free(net);
    free(x), free(wih), free(who), free(dho), free(dih), free(w1);
}
END_TEST

static size_t *fx_rows(const char *path, size_t *n) {
    double *d = fx_doubles(path, n);
    size_t *r = malloc(*n * sizeof *r);
    for (size_t i = 0; i < *n; i++) r[i] = (size_t)d[i];
    free(d);
    return r;
}

static double accuracy(const nnb_net *net, const double *x, const double *y, size_t n) {
    double *out = malloc(n * sizeof *out);
    nnbt_ok(nnb_net_predict(net, x, n, 6, out, n));
    size_t hit = 0;
    for (size_t i = 0; i < n; i++) hit += (out[i] > 0.5) == (y[i] > 0.5);
    free(out);
    return (double)hit / (double)n;
}

START_TEST(admissions_single_neuron) {
    double *X, *y, ms[4];
    size_t n = nnbt_admissions(&X, &y, ms);
    ck_assert_uint_eq(n, 400);
    nnbt_assert_rel(ms[0], nnbt_json_num(fx("admissions_single_neuron.standardize.gre.mean")),
                    1e-12);
    nnbt_assert_rel(ms[1], nnbt_json_num(fx("admissions_single_neuron.standardize.gre.std_ddof1")),
                    1e-12);
    nnbt_assert_rel(ms[2], nnbt_json_num(fx("admissions_single_neuron.standardize.gpa.mean")),
                    1e-12);
    nnbt_assert_rel(ms[3], nnbt_json_num(fx("admissions_single_neuron.standardize.gpa.std_ddof1")),
                    1e-12);

    size_t ntr, nte;
    size_t *tr = fx_rows("admissions_single_neuron.train_rows", &ntr);
    size_t *te = fx_rows("admissions_single_neuron.test_rows", &nte);
    double *Xtr = nnbt_gather(X, 6, tr, ntr), *ytr = nnbt_gather(y, 1, tr, ntr);
    double *Xte = nnbt_gather(X, 6, te, nte), *yte = nnbt_gather(y, 1, te, nte);
    double *w0 = fx_doubles("admissions_single_neuron.initial_weights", NULL);
    size_t nl;
    double *table = fx_doubles("admissions_single_neuron.loss_every_100_epochs_after_update", &nl);
    int epochs = (int)nnbt_json_num(fx("admissions_single_neuron.epochs"));
    double lr = nnbt_json_num(fx("admissions_single_neuron.learnrate"));

    nnb_net *net;
    nnbt_ok(nnb_net_create(&net, 6));
    nnbt_ok(nnb_net_add_dense(net, 1, NNB_ACT_SIGMOID, 0));
    nnbt_ok(nnb_net_layer_set(net, 0, w0, 6, NULL, 0));
    size_t k = 0;
    for (int e = 0; e < epochs; e++) {
        nnbt_ok(nnb_net_backprop(net, Xtr, ntr, 6, ytr, 1, NNB_LOSS_SSE, NNB_REDUCTION_SUM, NULL,
                                 NULL, 0));
        nnbt_ok(nnb_net_sgd_step(net, lr, NULL, 0));
        if (e % (epochs / 10) == 0) {
            double mse;
            nnbt_ok(nnb_net_loss(net, Xtr, ntr, 6, ytr, 1, NNB_LOSS_MSE, NNB_REDUCTION_MEAN, &mse));
            ck_assert_uint_lt(k, nl);
            nnbt_assert_rel(mse, table[k], 1e-9);
            k++;
        }
    }
    ck_assert_uint_eq(k, nl);
    nnbt_assert_rel(accuracy(net, Xte, yte, nte),
                    nnbt_json_num(fx("admissions_single_neuron.test_accuracy")), 1e-12);
    nnb_net_free(net);
    free(X), free(y), free(tr), free(te), free(Xtr), free(ytr), free(Xte), free(yte), free(w0),
        free(table);
}
END_TEST

START_TEST(admissions_network_6_2_1) {
    double *X, *y;
    size_t n = nnbt_admissions(&X, &y, NULL);
    ck_assert_uint_eq(n, 400);
    size_t ntr, nte;
    size_t *tr = fx_rows("admissions_network_6_2_1.train_rows", &ntr);
    size_t *te = fx_rows("admissions_network_6_2_1.test_rows", &nte);
    double *Xtr = nnbt_gather(X, 6, tr, ntr), *ytr = nnbt_gather(y, 1, tr, ntr);
    double *Xte = nnbt_gather(X, 6, te, nte), *yte = nnbt_gather(y, 1, te, nte);
    double *wih = fx_doubles("admissions_network_6_2_1.initial_w_input_hidden", NULL); /* 6 x 2 */
    double *who = fx_doubles("admissions_network_6_2_1.initial_w_hidden_output", NULL);
    double *w1 = transpose(wih, 6, 2);
    size_t nl;
    double *table = fx_doubles("admissions_network_6_2_1.loss_every_90_epochs_after_update", &nl);
    int epochs = (int)nnbt_json_num(fx("admissions_network_6_2_1.epochs"));
    double lr = nnbt_json_num(fx("admissions_network_6_2_1.learnrate"));

    nnb_net *net;
    nnbt_ok(nnb_net_create(&net, 6));
    nnbt_ok(nnb_net_add_dense(net, 2, NNB_ACT_SIGMOID, 0));
    nnbt_ok(nnb_net_add_dense(net, 1, NNB_ACT_SIGMOID, 0));
    nnbt_ok(nnb_net_layer_set(net, 0, w1, 12, NULL, 0));
    nnbt_ok(nnb_net_layer_set(net, 1, who, 2, NULL, 0));
    size_t k = 0;
    for (int e = 0; e < epochs; e++) {
        nnbt_ok(nnb_net_backprop(net, Xtr, ntr, 6, ytr, 1, NNB_LOSS_SSE, NNB_REDUCTION_MEAN, NULL,
                                 NULL, 0));
        nnbt_ok(nnb_net_sgd_step(net, lr, NULL, 0));
        if (e % (epochs / 10) == 0) {
            double mse;
            nnbt_ok(nnb_net_loss(net, Xtr, ntr, 6, ytr, 1, NNB_LOSS_MSE, NNB_REDUCTION_MEAN, &mse));
            ck_assert_uint_lt(k, nl);
            nnbt_assert_rel(mse, table[k], 1e-9);
            k++;
        }
    }
    ck_assert_uint_eq(k, nl);
    nnbt_assert_rel(accuracy(net, Xte, yte, nte),
                    nnbt_json_num(fx("admissions_network_6_2_1.test_accuracy")), 1e-12);
    nnb_net_free(net);
    free(X), free(y), free(tr), free(te), free(Xtr), free(ytr), free(Xte), free(yte), free(wih),
        free(who), free(w1), free(table);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("fixtures");
    TCase *tc = tcase_create("tutorial");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, single_step);
    tcase_add_test(tc, forward_4_3_2);
    tcase_add_test(tc, backprop_3_2_1);
    tcase_add_test(tc, admissions_single_neuron);
    tcase_add_test(tc, admissions_network_6_2_1);
    suite_add_tcase(s, tc);
    return s;
}

NNBT_MAIN(suite, 1)
