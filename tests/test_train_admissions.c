/* The training API on the tutorial's admissions data (../shared): the single neuron's loss table
 * through nnb_net_train, and Levenberg-Marquardt against gradient descent. */
#include <string.h>

#include "nnb_test.h"

static nnb_train_opts *opts_new(void) {
    nnb_train_opts *o;
    nnbt_ok(nnb_train_opts_create(&o));
    return o;
}

/* ---- the tutorial's single neuron through nnb_net_train ---- */

typedef struct {
    const double *x, *y;
    size_t n;
    const double *table;
    size_t k, n_table;
    int ok;
} tutorial_cb;

static int tutorial_epoch(const nnb_net *net, size_t epoch, double tl, double vl, double ta,
                          double va, double secs, double sps, int up, void *user) {
    tutorial_cb *c = user;
    (void)tl, (void)vl, (void)ta, (void)va, (void)secs, (void)sps, (void)up;
    if ((epoch - 1) % 100 != 0) return 0;
    double *out = malloc(c->n * sizeof *out), mse = 0;
    nnbt_ok(nnb_net_predict(net, c->x, c->n, 6, out, c->n));
    for (size_t i = 0; i < c->n; i++) mse += (out[i] - c->y[i]) * (out[i] - c->y[i]);
    mse /= (double)c->n;
    free(out);
    if (c->k < c->n_table && nnbt_close(mse, c->table[c->k], 1e-9))
        c->ok++;
    else
        fprintf(stderr, "epoch %zu: MSE %.17g, tutorial %.17g\n", epoch, mse, c->table[c->k]);
    c->k++;
    return 0;
}

START_TEST(tutorial_single_neuron) {
    const nnbt_json *fx = nnbt_fixtures();
    ck_assert_ptr_nonnull(fx);
    double *X, *y;
    ck_assert_uint_eq(nnbt_admissions(&X, &y, NULL), 400);
    size_t ntr, nt;
    double *rows =
        nnbt_json_doubles(nnbt_json_get(fx, "admissions_single_neuron.train_rows"), &ntr);
    size_t *idx = malloc(ntr * sizeof *idx);
    for (size_t i = 0; i < ntr; i++) idx[i] = (size_t)rows[i];
    double *Xtr = nnbt_gather(X, 6, idx, ntr), *ytr = nnbt_gather(y, 1, idx, ntr);
    double *w0 =
        nnbt_json_doubles(nnbt_json_get(fx, "admissions_single_neuron.initial_weights"), NULL);
    double *table = nnbt_json_doubles(
        nnbt_json_get(fx, "admissions_single_neuron.loss_every_100_epochs_after_update"), &nt);
    nnb_net *net;
    nnbt_ok(nnb_net_create(&net, 6));
    nnbt_ok(nnb_net_add_dense(net, 1, NNB_ACT_SIGMOID, 0));
    nnbt_ok(nnb_net_layer_set(net, 0, w0, 6, NULL, 0));
    nnb_train_opts *o = opts_new();
    nnbt_ok(nnb_train_opts_set_optimizer(o, NNB_OPT_SGD, 0.5));
    nnbt_ok(nnb_train_opts_set_loss(o, NNB_LOSS_SSE, NNB_REDUCTION_SUM));
    nnbt_ok(nnb_train_opts_set_batch_size(o, 0));
    nnbt_ok(nnb_train_opts_set_shuffle(o, 0));
    nnbt_ok(nnb_train_opts_set_epochs(o, 1000));
    tutorial_cb cb = {Xtr, ytr, ntr, table, 0, nt, 0};
    nnbt_ok(nnbt_set_epoch_callback(o, tutorial_epoch, &cb));
    nnbt_ok(nnb_net_train(net, o, Xtr, ntr, 6, ytr, 1, NULL));
    ck_assert_uint_eq(cb.k, nt);
    ck_assert_int_eq(cb.ok, (int)nt);
    nnb_train_opts_free(o);
    nnb_net_free(net);
    free(X), free(y), free(rows), free(idx), free(Xtr), free(ytr), free(w0), free(table);
}
END_TEST

/* ---- Levenberg-Marquardt beats gradient descent given 20x the epochs ---- */

START_TEST(lm_beats_gradient_descent) {
    double *X, *y;
    ck_assert_uint_eq(nnbt_admissions(&X, &y, NULL), 400);
    double loss[2];
    const size_t lm_epochs = 30;
    for (int k = 0; k < 2; k++) {
        nnb_net *net;
        nnbt_ok(nnb_net_create(&net, 6));
        nnbt_ok(nnb_net_add_dense(net, 2, NNB_ACT_SIGMOID, 1));
        nnbt_ok(nnb_net_add_dense(net, 1, NNB_ACT_SIGMOID, 1));
        nnbt_ok(nnb_net_init(net, NNB_INIT_NORMAL_FANIN, 21));
        nnb_train_opts *o = opts_new();
        nnbt_ok(nnb_train_opts_set_loss(o, NNB_LOSS_MSE, NNB_REDUCTION_MEAN));
        nnbt_ok(nnb_train_opts_set_batch_size(o, 0));
        if (k == 0) {
            nnbt_ok(nnb_train_opts_set_optimizer(o, NNB_OPT_LM, 1));
            nnbt_ok(nnb_train_opts_set_epochs(o, lm_epochs));
        } else { /* gradient descent with a learning rate that works well here */
            nnbt_ok(nnb_train_opts_set_optimizer(o, NNB_OPT_SGD, 2.0));
            nnbt_ok(nnb_train_opts_set_epochs(o, 20 * lm_epochs));
        }
        nnbt_ok(nnb_net_train(net, o, X, 360, 6, y, 1, NULL));
        nnbt_ok(nnb_net_loss(net, X, 360, 6, y, 1, NNB_LOSS_MSE, NNB_REDUCTION_MEAN, &loss[k]));
        nnb_train_opts_free(o);
        nnb_net_free(net);
    }
    fprintf(stderr,
            "admissions 6-2-1: LM %zu epochs MSE %.6f; gradient descent %zu epochs MSE %.6f\n",
            lm_epochs, loss[0], 20 * lm_epochs, loss[1]);
    ck_assert_msg(loss[0] < loss[1], "LM %g vs GD %g", loss[0], loss[1]);
    free(X), free(y);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("train_admissions");
    TCase *tc = tcase_create("admissions");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, tutorial_single_neuron);
    tcase_add_test(tc, lm_beats_gradient_descent);
    suite_add_tcase(s, tc);
    return s;
}

NNBT_MAIN(suite, 1)
