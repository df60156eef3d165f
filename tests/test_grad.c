/* Backpropagation against finite differences (nnb_net_grad_check), every activation x loss x bias. */
#include "nnb_test.h"

static const nnb_activation hidden_acts[] = {NNB_ACT_IDENTITY, NNB_ACT_SIGMOID, NNB_ACT_TANH,
                                             NNB_ACT_RELU, NNB_ACT_LEAKY_RELU};
static const char *act_names[] = {"identity", "sigmoid", "tanh", "relu", "leaky", "softmax"};

/* Output layer and loss pairs: squared errors with every output activation, the cross-entropies
 * with the output they require. */
static const struct {
    nnb_activation out;
    nnb_loss loss;
} outs[] = {
    {NNB_ACT_IDENTITY, NNB_LOSS_SSE},   {NNB_ACT_SIGMOID, NNB_LOSS_SSE},
    {NNB_ACT_TANH, NNB_LOSS_SSE},       {NNB_ACT_RELU, NNB_LOSS_SSE},
    {NNB_ACT_LEAKY_RELU, NNB_LOSS_SSE}, {NNB_ACT_SOFTMAX, NNB_LOSS_SSE},
    {NNB_ACT_IDENTITY, NNB_LOSS_MSE},   {NNB_ACT_SIGMOID, NNB_LOSS_MSE},
    {NNB_ACT_TANH, NNB_LOSS_MSE},       {NNB_ACT_RELU, NNB_LOSS_MSE},
    {NNB_ACT_LEAKY_RELU, NNB_LOSS_MSE}, {NNB_ACT_SOFTMAX, NNB_LOSS_MSE},
    {NNB_ACT_SIGMOID, NNB_LOSS_BCE},    {NNB_ACT_SOFTMAX, NNB_LOSS_CE},
};
#define N_OUTS (sizeof outs / sizeof outs[0])

START_TEST(every_combination) {
    /* _i runs over hidden activations */
    nnb_activation h = hidden_acts[_i];
    nnbt_rng rng = {500 + (uint64_t)_i};
    const size_t n_in = 4, h1 = 6, h2 = 5, n_out = 3;
    double x[7 * 4], y[7 * 3];
    double worst_all = 0;
    for (size_t o = 0; o < N_OUTS; o++)
        for (int bias = 0; bias <= 1; bias++)
            for (size_t rows = 1; rows <= 7; rows += 6) {
                nnb_net *net;
                nnbt_ok(nnb_net_create(&net, n_in));
                nnbt_ok(nnb_net_add_dense(net, h1, h, bias));
                nnbt_ok(nnb_net_add_dense(net, h2, h, bias));
                nnbt_ok(nnb_net_add_dense(net, n_out, outs[o].out, bias));
                nnbt_ok(
                    nnb_net_init(net, NNB_INIT_XAVIER_UNIFORM, 100 * o + (uint64_t)bias + rows));
                if (bias) { /* non-zero biases, so their gradients matter */
                    size_t np = nnb_net_n_params(net);
                    double *p = malloc(np * sizeof *p);
                    nnbt_ok(nnb_net_params_get(net, p, np));
                    for (size_t i = 0; i < np; i++) p[i] += 0.1 * nnbt_normal(&rng);
                    nnbt_ok(nnb_net_params_set(net, p, np));
                    free(p);
                }
                for (size_t i = 0; i < rows * n_in; i++) x[i] = nnbt_normal(&rng);
                for (size_t r = 0; r < rows; r++) {
                    double s = 0;
                    for (size_t j = 0; j < n_out; j++) s += y[r * n_out + j] = nnbt_uniform(&rng);
                    if (outs[o].loss == NNB_LOSS_CE)
                        for (size_t j = 0; j < n_out; j++) y[r * n_out + j] /= s;
                }
                nnb_reduction red = rows == 1 ? NNB_REDUCTION_SUM : NNB_REDUCTION_MEAN;
                double err;
                size_t worst;
                /* ReLU kinks: a smaller step keeps them out of the stencil */
                int kinked = h == NNB_ACT_RELU || h == NNB_ACT_LEAKY_RELU ||
                             outs[o].out == NNB_ACT_RELU || outs[o].out == NNB_ACT_LEAKY_RELU;
                nnbt_ok(nnb_net_grad_check(net, x, rows, n_in, y, n_out, outs[o].loss, red,
                                           kinked ? 1e-5 : 0, &err, &worst));
                ck_assert_msg(
                    err <= 1e-6,
                    "hidden %s, output %s, loss %d, bias %d, B = %zu: relative error %.3g "
                    "at parameter %zu",
                    act_names[h], act_names[outs[o].out], (int)outs[o].loss, bias, rows, err,
                    worst);
                if (err > worst_all) worst_all = err;
                nnb_net_free(net);
            }
    fprintf(stderr, "gradcheck, hidden %s: worst relative error %.3g\n", act_names[h], worst_all);
}
END_TEST

/* The check has teeth: at a ReLU kink (z exactly 0) backprop takes the derivative 0 while the
 * central difference sees half the slope, and nnb_net_grad_check must report it. */
START_TEST(detects_a_mismatch) {
    nnb_net *net;
    nnbt_ok(nnb_net_create(&net, 1));
    nnbt_ok(nnb_net_add_dense(net, 1, NNB_ACT_RELU, 0));
    nnbt_ok(nnb_net_add_dense(net, 1, NNB_ACT_IDENTITY, 0));
    double w1 = 0.0, w2 = 2.0, x = 1.0, y = 5.0, err;
    nnbt_ok(nnb_net_layer_set(net, 0, &w1, 1, NULL, 0));
    nnbt_ok(nnb_net_layer_set(net, 1, &w2, 1, NULL, 0));
    nnbt_ok(nnb_net_grad_check(net, &x, 1, 1, &y, 1, NNB_LOSS_SSE, NNB_REDUCTION_SUM, 1e-3, &err,
                               NULL));
    ck_assert_msg(err > 0.1, "error %g should be large at the kink", err);
    /* and the parameters are restored exactly */
    double p[2];
    nnbt_ok(nnb_net_params_get(net, p, 2));
    ck_assert(p[0] == 0.0 && p[1] == 2.0);
    nnb_net_free(net);
}
END_TEST

/* ---- float32 networks and data (issue 23: each concern tests both element types) ---------- */

static const nnb_activation acts[] = {NNB_ACT_IDENTITY, NNB_ACT_SIGMOID, NNB_ACT_TANH, NNB_ACT_RELU,
                                      NNB_ACT_LEAKY_RELU};
static const struct {
    nnb_activation out;
    nnb_loss loss;
} outs32[] = {
    {NNB_ACT_IDENTITY, NNB_LOSS_SSE}, {NNB_ACT_SIGMOID, NNB_LOSS_SSE},
    {NNB_ACT_TANH, NNB_LOSS_MSE},     {NNB_ACT_RELU, NNB_LOSS_MSE},
    {NNB_ACT_SIGMOID, NNB_LOSS_BCE},  {NNB_ACT_SOFTMAX, NNB_LOSS_CE},
    {NNB_ACT_SOFTMAX, NNB_LOSS_SSE},
};
#define N_OUTS32 (sizeof outs32 / sizeof outs32[0])

/* Rows of targets for a loss: class probabilities for CE, values in (0, 1) otherwise. */
static void targets(double *y, size_t rows, size_t n_out, nnb_loss loss, nnbt_rng *g) {
    for (size_t r = 0; r < rows; r++) {
        double s = 0;
        for (size_t j = 0; j < n_out; j++) s += y[r * n_out + j] = nnbt_uniform(g);
        if (loss == NNB_LOSS_CE)
            for (size_t j = 0; j < n_out; j++) y[r * n_out + j] /= s;
    }
}

/* The float32 gradient against float64 fourth-order finite differences of the same weights
 * (nnb_net_grad_check on a float32 network). Bound 1e-3: each gradient component is a sum of products
 * through three layers of width <= 6, so its float32 rounding is some hundreds of u relative to
 * the largest component (1e-5 .. 1e-4 measured, printed), and the finite differences' own error
 * is below 1e-8; 1e-3 leaves a margin for the cancellation in (yhat - y) and is still far below
 * what a wrong derivative gives (O(1): test_grad.c's detects_a_mismatch, the same metric). ReLU
 * layers use a step of 1e-6 so that the stencil (4 steps wide) rarely straddles a kink. */
START_TEST(gradient_against_f64_differences) {
    nnb_activation h = acts[_i];
    nnbt_rng g = {900 + (uint64_t)_i};
    const size_t n_in = 4, width = 6, n_out = 3, rows = 7;
    double x[7 * 4], y[7 * 3], worst_all = 0;
    for (size_t o = 0; o < N_OUTS32; o++) {
        nnb_net *net = nnbt_net3(NNB_F32, n_in, width, h, n_out, outs32[o].out, 10 + o);
        ck_assert_int_eq(nnb_net_dtype(net), NNB_F32);
        for (size_t i = 0; i < rows * n_in; i++) x[i] = nnbt_normal(&g);
        targets(y, rows, n_out, outs32[o].loss, &g);
        int kinked = h == NNB_ACT_RELU || h == NNB_ACT_LEAKY_RELU || outs32[o].out == NNB_ACT_RELU;
        double err;
        size_t worst;
        nnbt_ok(nnb_net_grad_check(net, x, rows, n_in, y, n_out, outs32[o].loss, NNB_REDUCTION_MEAN,
                                   kinked ? 1e-6 : 0, &err, &worst));
        nnb_net *c;
        double err64;
        nnbt_ok(nnb_net_copy(&c, net, NNB_F64));
        nnbt_ok(nnb_net_grad_check(c, x, rows, n_in, y, n_out, outs32[o].loss, NNB_REDUCTION_MEAN,
                                   kinked ? 1e-6 : 0, &err64, NULL));
        nnb_net_free(c);
        /* Where float64's own check fails (test_grad.c's bound 1e-6), the data sit on a ReLU kink
         * (a pre-activation exactly 0: both take the derivative 0, the differences see half the
         * slope); there float32 must report the same error. */
        double bound = err64 > 1e-6 ? err64 : 0;
        ck_assert_msg(fabs(err - bound) <= 1e-3,
                      "hidden %d, output %d, loss %d: relative error %.3g at %zu (float64 %.3g)",
                      (int)h, (int)outs32[o].out, (int)outs32[o].loss, err, worst, err64);
        if (err > worst_all) worst_all = err;
        nnb_net_free(net);
    }
    fprintf(stderr, "float32 gradcheck, hidden %d: worst relative error %.3g\n", (int)h, worst_all);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("grad");
    TCase *tc = tcase_create("finite differences");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, every_combination, 0, 5);
    tcase_add_test(tc, detects_a_mismatch);
    suite_add_tcase(s, tc);
    tc = tcase_create("float32");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, gradient_against_f64_differences, 0, 5);
    suite_add_tcase(s, tc);
    return s;
}

NNBT_MAIN(suite, 0)
