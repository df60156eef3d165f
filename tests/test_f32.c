/*
 * Float32 networks (nnb_dtype): backpropagation against float64 finite differences, the forward
 * pass against a float64 reference, training that tracks the float64 run, bit-for-bit resume,
 * conversion between the types, and data of the other type (converted a batch at a time).
 *
 * Tolerances. float32 has 24 significant bits (unit roundoff u = 2^-24 = 6.0e-8). A dot product
 * of n terms carries a relative error of at most about n u (|x||w| weighted) and typically
 * sqrt(n) u; the bounds below are stated per check from that, with the worst case where it is
 * small enough to be a sharp test, and with a measured margin where it is not.
 */
#define _GNU_SOURCE /* memmem */
#include "nnb_test.h"

static const nnb_activation acts[] = {NNB_ACT_IDENTITY, NNB_ACT_SIGMOID, NNB_ACT_TANH,
                                      NNB_ACT_RELU, NNB_ACT_LEAKY_RELU};
static const struct {
    nnb_activation out;
    nnb_loss loss;
} outs[] = {
    {NNB_ACT_IDENTITY, NNB_LOSS_SSE}, {NNB_ACT_SIGMOID, NNB_LOSS_SSE}, {NNB_ACT_TANH, NNB_LOSS_MSE},
    {NNB_ACT_RELU, NNB_LOSS_MSE},     {NNB_ACT_SIGMOID, NNB_LOSS_BCE}, {NNB_ACT_SOFTMAX, NNB_LOSS_CE},
    {NNB_ACT_SOFTMAX, NNB_LOSS_SSE},
};
#define N_OUTS (sizeof outs / sizeof outs[0])

static nnb_net *make(nnb_dtype t, size_t n_in, size_t h, nnb_activation act, size_t n_out,
                     nnb_activation out, uint64_t seed) {
    nnb_net *net;
    nnbt_ok(nnb_net_create_dtype(&net, n_in, t));
    nnbt_ok(nnb_net_add_dense(net, h, act, 1));
    nnbt_ok(nnb_net_add_dense(net, h, act, 1));
    nnbt_ok(nnb_net_add_dense(net, n_out, out, 1));
    nnbt_ok(nnb_net_init(net, NNB_INIT_XAVIER_UNIFORM, seed));
    return net;
}

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
    for (size_t o = 0; o < N_OUTS; o++) {
        nnb_net *net = make(NNB_F32, n_in, width, h, n_out, outs[o].out, 10 + o);
        ck_assert_int_eq(nnb_net_dtype(net), NNB_F32);
        for (size_t i = 0; i < rows * n_in; i++) x[i] = nnbt_normal(&g);
        targets(y, rows, n_out, outs[o].loss, &g);
        int kinked = h == NNB_ACT_RELU || h == NNB_ACT_LEAKY_RELU || outs[o].out == NNB_ACT_RELU;
        double err;
        size_t worst;
        nnbt_ok(nnb_net_grad_check(net, x, rows, n_in, y, n_out, outs[o].loss, NNB_REDUCTION_MEAN,
                                   kinked ? 1e-6 : 0, &err, &worst));
        nnb_net *c;
        double err64;
        nnbt_ok(nnb_net_copy(&c, net, NNB_F64));
        nnbt_ok(nnb_net_grad_check(c, x, rows, n_in, y, n_out, outs[o].loss, NNB_REDUCTION_MEAN,
                                   kinked ? 1e-6 : 0, &err64, NULL));
        nnb_net_free(c);
        /* Where float64's own check fails (test_grad.c's bound 1e-6), the data sit on a ReLU kink
         * (a pre-activation exactly 0: both take the derivative 0, the differences see half the
         * slope); there float32 must report the same error. */
        double bound = err64 > 1e-6 ? err64 : 0;
        ck_assert_msg(fabs(err - bound) <= 1e-3,
                      "hidden %d, output %d, loss %d: relative error %.3g at %zu (float64 %.3g)",
                      (int)h, (int)outs[o].out, (int)outs[o].loss, err, worst, err64);
        if (err > worst_all) worst_all = err;
        nnb_net_free(net);
    }
    fprintf(stderr, "float32 gradcheck, hidden %d: worst relative error %.3g\n", (int)h, worst_all);
}
END_TEST

/* The forward pass of a float32 network against the float64 network with the same (float32)
 * weights, on float32 inputs: only the arithmetic differs. 784-64-64-10 (the Fashion-MNIST
 * input): a first-layer dot product of 784 terms has a rounding error of typically sqrt(784) u
 * |x||w| ~ 2e-6 |x||w| (784 u in the worst case); tanh (slope <= 1) and softmax (outputs in
 * [0, 1]) do not amplify it, so the outputs must agree to 1e-5 absolute (measured ~1e-7). */
START_TEST(forward_against_f64) {
    const size_t n_in = 784, rows = 50, n_out = 10;
    nnb_net *n32 = make(NNB_F32, n_in, 64, NNB_ACT_TANH, n_out, NNB_ACT_SOFTMAX, 7), *n64;
    nnbt_ok(nnb_net_copy(&n64, n32, NNB_F64));
    ck_assert_int_eq(nnb_net_dtype(n64), NNB_F64);
    nnbt_rng g = {3};
    float *x = malloc(rows * n_in * sizeof *x), *o32 = malloc(rows * n_out * sizeof *o32);
    double *xd = malloc(rows * n_in * sizeof *xd), *o64 = malloc(rows * n_out * sizeof *o64);
    for (size_t i = 0; i < rows * n_in; i++) xd[i] = x[i] = (float)nnbt_uniform(&g);
    nnbt_ok(nnb_net_forward_f32(n32, x, rows, n_in, o32, rows * n_out));
    nnbt_ok(nnb_net_forward(n64, xd, rows, n_in, o64, rows * n_out));
    double worst = 0;
    for (size_t i = 0; i < rows * n_out; i++) worst = fmax(worst, fabs(o32[i] - o64[i]));
    fprintf(stderr, "float32 forward 784-64-64-10: worst absolute error %.3g\n", worst);
    ck_assert_msg(worst <= 1e-5, "worst %.3g", worst);
    ck_assert_msg(worst > 0, "float32 arithmetic should differ from float64 somewhere");
    /* the same through predict (blocks), and the double entry points (converted) */
    float *p32 = malloc(rows * n_out * sizeof *p32);
    double *pd = malloc(rows * n_out * sizeof *pd);
    nnbt_ok(nnb_net_predict_f32(n32, x, rows, n_in, p32, rows * n_out));
    ck_assert_mem_eq(p32, o32, rows * n_out * sizeof *p32);
    nnbt_ok(nnb_net_predict(n32, xd, rows, n_in, pd, rows * n_out));
    for (size_t i = 0; i < rows * n_out; i++) ck_assert(pd[i] == (double)o32[i]);
    nnbt_ok(nnb_net_forward(n32, xd, rows, n_in, pd, rows * n_out));
    for (size_t i = 0; i < rows * n_out; i++) ck_assert(pd[i] == (double)o32[i]);
    /* a float64 network on float data: the same as on the converted doubles, rounded */
    nnbt_ok(nnb_net_predict_f32(n64, x, rows, n_in, p32, rows * n_out));
    for (size_t i = 0; i < rows * n_out; i++) ck_assert(p32[i] == (float)o64[i]);
    nnbt_ok(nnb_net_forward_f32(n64, x, rows, n_in, p32, rows * n_out));
    for (size_t i = 0; i < rows * n_out; i++) ck_assert(p32[i] == (float)o64[i]);
    free(x), free(o32), free(xd), free(o64), free(p32), free(pd);
    nnb_net_free(n32), nnb_net_free(n64);
}
END_TEST

/* Synthetic three-class data: Gaussian blobs in 20 dimensions, exactly representable in float. */
static void blobs(size_t rows, float *x, float *y, double *xd, double *yd) {
    nnbt_rng g = {77};
    for (size_t r = 0; r < rows; r++) {
        size_t c = r % 3;
        for (size_t j = 0; j < 20; j++) {
            float v = (float)(nnbt_normal(&g) + (j % 3 == c ? 1.5 : 0.0));
            x[r * 20 + j] = v;
            if (xd) xd[r * 20 + j] = v;
        }
        for (size_t j = 0; j < 3; j++) {
            y[r * 3 + j] = j == c ? 1.0f : 0.0f;
            if (yd) yd[r * 3 + j] = j == c;
        }
    }
}

static nnb_train_opts *adam_opts(size_t epochs, double dropout) {
    nnb_train_opts *o;
    nnbt_ok(nnb_train_opts_create(&o));
    nnbt_ok(nnb_train_opts_set_epochs(o, epochs));
    nnbt_ok(nnb_train_opts_set_batch_size(o, 32));
    nnbt_ok(nnb_train_opts_set_loss(o, NNB_LOSS_CE, NNB_REDUCTION_MEAN));
    nnbt_ok(nnb_train_opts_set_optimizer(o, NNB_OPT_ADAM, 0.01));
    if (dropout > 0) nnbt_ok(nnb_train_opts_set_dropout(o, dropout));
    return o;
}

/* A float32 run tracks the float64 run from the same weights, shuffles and dropout masks (the
 * same generator draws): 20 epochs of Adam on 600 rows, the epoch losses within 0.1 % relative.
 * Rounding of about u per operation compounds over 380 steps of a non-linear map (measured 2e-5,
 * printed; 0.1 % is 50 times that, and a wrong float32 path — a missing bias, a wrong scale —
 * moves the curve by far more), and both learn (the loss falls below a quarter of the first
 * epoch's). Then every other optimiser for one epoch each, the loss to 0.5 %. */
START_TEST(training_tracks_f64) {
    const size_t rows = 600, ep = 20;
    float *x = malloc(rows * 20 * sizeof *x), *y = malloc(rows * 3 * sizeof *y);
    double *xd = malloc(rows * 20 * sizeof *xd), *yd = malloc(rows * 3 * sizeof *yd);
    blobs(rows, x, y, xd, yd);
    nnb_net *n32 = make(NNB_F32, 20, 32, NNB_ACT_RELU, 3, NNB_ACT_SOFTMAX, 5), *n64;
    nnbt_ok(nnb_net_copy(&n64, n32, NNB_F64));
    nnb_train_opts *o = adam_opts(ep, 0.1);
    nnb_history *h32, *h64;
    nnbt_ok(nnb_history_create(&h32));
    nnbt_ok(nnb_history_create(&h64));
    nnbt_ok(nnb_net_train_f32(n32, o, x, rows, 20, y, 3, h32));
    nnbt_ok(nnb_net_train(n64, o, xd, rows, 20, yd, 3, h64));
    double l32[20], l64[20], worst = 0;
    nnbt_ok(nnb_history_get(h32, NNB_HIST_TRAIN_LOSS, l32, ep));
    nnbt_ok(nnb_history_get(h64, NNB_HIST_TRAIN_LOSS, l64, ep));
    for (size_t e = 0; e < ep; e++) worst = fmax(worst, fabs(l32[e] - l64[e]) / l64[e]);
    fprintf(stderr, "float32 training: losses %.4g -> %.4g (float64 %.4g -> %.4g), worst relative "
            "difference %.3g\n", l32[0], l32[ep - 1], l64[0], l64[ep - 1], worst);
    ck_assert_msg(worst <= 1e-3, "worst relative difference %.3g", worst);
    ck_assert_msg(l32[ep - 1] < 0.25 * l32[0], "float32 did not learn: %g -> %g", l32[0], l32[ep - 1]);
    for (nnb_optimizer opt = NNB_OPT_SGD; opt <= NNB_OPT_RMSPROP; opt++) {
        double a, b;
        nnbt_ok(nnb_train_opts_set_optimizer(o, opt, opt >= NNB_OPT_ADAM ? 0.003 : 0.05));
        nnbt_ok(nnb_train_opts_set_epochs(o, 1));
        nnbt_ok(nnb_train_opts_set_weight_decay(o, opt == NNB_OPT_ADAMW ? 0.01 : 0.001));
        nnbt_ok(nnb_net_train_f32(n32, o, x, rows, 20, y, 3, NULL));
        nnbt_ok(nnb_net_train(n64, o, xd, rows, 20, yd, 3, NULL));
        nnbt_ok(nnb_net_loss_f32(n32, x, rows, 20, y, 3, NNB_LOSS_CE, NNB_REDUCTION_MEAN, &a));
        nnbt_ok(nnb_net_loss(n64, xd, rows, 20, yd, 3, NNB_LOSS_CE, NNB_REDUCTION_MEAN, &b));
        ck_assert_msg(fabs(a - b) <= 0.005 * b + 1e-6, "optimiser %d: %g vs %g", (int)opt, a, b);
    }
    nnb_history_free(h32), nnb_history_free(h64);
    nnb_train_opts_free(o);
    nnb_net_free(n32), nnb_net_free(n64);
    free(x), free(y), free(xd), free(yd);
}
END_TEST

/* train(4) + checkpoint (parameters and training state) + train(6) in a fresh network equals
 * train(10), bit for bit, in float32 (Adam, dropout, shuffles, a validation split). */
START_TEST(resume_bit_for_bit) {
    const size_t rows = 300;
    float *x = malloc(rows * 20 * sizeof *x), *y = malloc(rows * 3 * sizeof *y);
    blobs(rows, x, y, NULL, NULL);
    nnb_train_opts *o = adam_opts(10, 0.2);
    nnbt_ok(nnb_train_opts_set_validation_split(o, 0.2, 9));
    nnb_net *a = make(NNB_F32, 20, 16, NNB_ACT_TANH, 3, NNB_ACT_SOFTMAX, 8);
    nnb_net *b = make(NNB_F32, 20, 16, NNB_ACT_TANH, 3, NNB_ACT_SOFTMAX, 8);
    nnb_net *c = make(NNB_F32, 20, 16, NNB_ACT_TANH, 3, NNB_ACT_SOFTMAX, 99);
    nnbt_ok(nnb_net_train_f32(a, o, x, rows, 20, y, 3, NULL));
    nnbt_ok(nnb_train_opts_set_epochs(o, 4));
    nnbt_ok(nnb_net_train_f32(b, o, x, rows, 20, y, 3, NULL));
    size_t np = nnb_net_n_params(b), sz = nnb_net_train_state_size(b);
    float *p = malloc(np * sizeof *p);
    unsigned char *state = malloc(sz);
    nnbt_ok(nnb_net_params_get_f32(b, p, np));
    nnbt_ok(nnb_net_train_state_get(b, state, sz, NULL));
    nnbt_ok(nnb_net_params_set_f32(c, p, np));
    nnbt_ok(nnb_net_train_state_set(c, state, sz));
    nnbt_ok(nnb_train_opts_set_epochs(o, 6));
    nnbt_ok(nnb_net_train_f32(c, o, x, rows, 20, y, 3, NULL));
    size_t len;
    float *pa = nnb_net_params_data_f32(a, &len), *pc = nnb_net_params_data_f32(c, NULL);
    ck_assert_uint_eq(len, np);
    ck_assert_mem_eq(pa, pc, np * sizeof *pa);
    free(p), free(state), free(x), free(y);
    nnb_train_opts_free(o);
    nnb_net_free(a), nnb_net_free(b), nnb_net_free(c);
}
END_TEST

/* Data of the other type gives the same result as converting it first: a float32 network on
 * double data (exactly representable) equals it on float data, bit for bit; a float64 network
 * on float data equals it on the same values as doubles. Shuffled, split and in-order batches. */
START_TEST(data_of_the_other_type) {
    const size_t rows = 200;
    float *x = malloc(rows * 20 * sizeof *x), *y = malloc(rows * 3 * sizeof *y);
    double *xd = malloc(rows * 20 * sizeof *xd), *yd = malloc(rows * 3 * sizeof *yd);
    blobs(rows, x, y, xd, yd);
    for (int mode = 0; mode < 3; mode++) {
        nnb_train_opts *o = adam_opts(3, 0);
        if (mode == 1) nnbt_ok(nnb_train_opts_set_shuffle(o, 0));
        if (mode == 2) nnbt_ok(nnb_train_opts_set_validation_split(o, 0.25, 4));
        for (nnb_dtype t = NNB_F64; t <= NNB_F32; t++) {
            nnb_net *a = make(t, 20, 8, NNB_ACT_SIGMOID, 3, NNB_ACT_SOFTMAX, 2);
            nnb_net *b = make(t, 20, 8, NNB_ACT_SIGMOID, 3, NNB_ACT_SOFTMAX, 2);
            nnb_history *ha, *hb;
            nnbt_ok(nnb_history_create(&ha));
            nnbt_ok(nnb_history_create(&hb));
            nnbt_ok(nnb_net_train_f32(a, o, x, rows, 20, y, 3, ha));
            nnbt_ok(nnb_net_train(b, o, xd, rows, 20, yd, 3, hb));
            size_t np = nnb_net_n_params(a);
            double *pa = malloc(np * sizeof *pa), *pb = malloc(np * sizeof *pb);
            nnbt_ok(nnb_net_params_get(a, pa, np));
            nnbt_ok(nnb_net_params_get(b, pb, np));
            ck_assert_msg(memcmp(pa, pb, np * sizeof *pa) == 0, "mode %d, dtype %d", mode, (int)t);
            double va[3], vb[3];
            nnbt_ok(nnb_history_get(ha, NNB_HIST_VAL_LOSS, va, 3));
            nnbt_ok(nnb_history_get(hb, NNB_HIST_VAL_LOSS, vb, 3));
            ck_assert(mode != 2 || (va[2] == vb[2] && isfinite(va[2])));
            double la, lb, aa, ab;
            nnbt_ok(nnb_net_evaluate_f32(a, x, rows, 20, y, 3, NNB_LOSS_CE, NNB_REDUCTION_MEAN,
                                         &la, &aa));
            nnbt_ok(nnb_net_evaluate(b, xd, rows, 20, yd, 3, NNB_LOSS_CE, NNB_REDUCTION_MEAN, &lb,
                                     &ab));
            ck_assert(la == lb && aa == ab && aa > 0.5);
            float *g32 = malloc(np * sizeof *g32);
            nnbt_ok(nnb_net_backprop_f32(a, x, rows, 20, y, 3, NNB_LOSS_CE, NNB_REDUCTION_MEAN, &la,
                                         g32, np));
            nnbt_ok(nnb_net_backprop(b, xd, rows, 20, yd, 3, NNB_LOSS_CE, NNB_REDUCTION_MEAN, &lb,
                                     pb, np));
            ck_assert(la == lb);
            for (size_t i = 0; i < np; i++) ck_assert(g32[i] == (float)pb[i]);
            nnbt_ok(nnb_net_grad_get_f32(a, g32, np));
            for (size_t i = 0; i < np; i++) ck_assert(g32[i] == (float)pb[i]);
            free(pa), free(pb), free(g32);
            nnb_history_free(ha), nnb_history_free(hb);
            nnb_net_free(a), nnb_net_free(b);
        }
        nnb_train_opts_free(o);
    }
    free(x), free(y), free(xd), free(yd);
}
END_TEST

/* Conversion: float64 -> float32 rounds each parameter to nearest; float32 -> float64 -> float32
 * is exact; the training state travels along; the generator too (the same next shuffles). */
START_TEST(conversion) {
    nnb_net *a = make(NNB_F64, 5, 7, NNB_ACT_TANH, 2, NNB_ACT_IDENTITY, 4), *b, *c, *d;
    nnbt_ok(nnb_net_set_leaky_slope(a, 0, 0.5) == NNB_E_INVALID_ARG ? NNB_OK : NNB_E_INTERNAL);
    size_t np = nnb_net_n_params(a);
    double *p = malloc(np * sizeof *p), *q = malloc(np * sizeof *q);
    float *f = malloc(np * sizeof *f), *h = malloc(np * sizeof *h);
    nnbt_ok(nnb_net_params_get(a, p, np));
    nnbt_ok(nnb_net_copy(&b, a, NNB_F32));
    ck_assert_int_eq(nnb_net_dtype(b), NNB_F32);
    ck_assert_uint_eq(nnb_net_n_params(b), np);
    ck_assert_uint_eq(nnb_net_n_layers(b), 3);
    nnbt_ok(nnb_net_params_get_f32(b, f, np));
    for (size_t i = 0; i < np; i++) ck_assert(f[i] == (float)p[i]);
    nnbt_ok(nnb_net_params_get_f32(a, h, np)); /* a float64 network read as float: rounded */
    ck_assert_mem_eq(f, h, np * sizeof *f);
    nnbt_ok(nnb_net_copy(&c, b, NNB_F64));
    nnbt_ok(nnb_net_params_get(c, q, np));
    for (size_t i = 0; i < np; i++) ck_assert(q[i] == (double)f[i]);
    nnbt_ok(nnb_net_copy(&d, c, NNB_F32));
    nnbt_ok(nnb_net_params_get_f32(d, h, np));
    ck_assert_mem_eq(f, h, np * sizeof *f);
    ck_assert_ptr_null(nnb_net_params_data(b, NULL));
    ck_assert_ptr_null(nnb_net_params_data_f32(a, NULL));
    ck_assert_ptr_nonnull(nnb_net_params_data_f32(b, NULL));
    /* the layer accessors of a float32 network */
    double w[35], bias[7];
    nnbt_ok(nnb_net_layer_get(b, 0, w, 35, bias, 7));
    for (size_t i = 0; i < 35; i++) ck_assert(w[i] == (double)f[i]);
    w[0] = 0.25;
    nnbt_ok(nnb_net_layer_set(b, 0, w, 35, NULL, 0));
    nnbt_ok(nnb_net_params_get_f32(b, h, np));
    ck_assert(h[0] == 0.25f);
    w[0] = 1e39;
    nnbt_expect(nnb_net_layer_set(b, 0, w, 35, NULL, 0), NNB_E_NONFINITE, "range");
    /* the training state: train both one epoch after the conversion, they agree to float32 */
    nnb_net_free(c), nnb_net_free(d);
    nnb_train_opts *o;
    nnbt_ok(nnb_train_opts_create(&o));
    nnbt_ok(nnb_train_opts_set_optimizer(o, NNB_OPT_ADAM, 0.01));
    nnbt_ok(nnb_train_opts_set_epochs(o, 2));
    double x[40 * 5], y[40 * 2];
    nnbt_rng g = {1};
    for (size_t i = 0; i < 200; i++) x[i] = nnbt_normal(&g);
    for (size_t i = 0; i < 80; i++) y[i] = nnbt_normal(&g);
    nnbt_ok(nnb_net_train(a, o, x, 40, 5, y, 2, NULL));
    nnbt_ok(nnb_net_copy(&c, a, NNB_F32));
    ck_assert_uint_eq(nnb_net_train_state_size(c), nnb_net_train_state_size(a));
    nnbt_ok(nnb_net_train(a, o, x, 40, 5, y, 2, NULL));
    nnbt_ok(nnb_net_train(c, o, x, 40, 5, y, 2, NULL));
    nnbt_ok(nnb_net_params_get(a, p, np));
    nnbt_ok(nnb_net_params_get(c, q, np));
    for (size_t i = 0; i < np; i++) ck_assert_msg(fabs(p[i] - q[i]) <= 1e-4 * (1 + fabs(p[i])),
                                                  "parameter %zu: %g vs %g", i, p[i], q[i]);
    nnb_train_opts_free(o);
    nnb_net_free(c);
    free(p), free(q), free(f), free(h);
    nnb_net_free(a), nnb_net_free(b);
}
END_TEST

/* Model files: a float32 network is written as version 1.1 with its parameters in section PF32
 * (4 bytes each) and loads as a float32 network, bit for bit, with its training state; a float64
 * network's file stays version 1.0. A PF32 section whose ARCH does not say float32 is damage. */
START_TEST(model_round_trip) {
    const size_t rows = 90;
    float *x = malloc(rows * 20 * sizeof *x), *y = malloc(rows * 3 * sizeof *y);
    blobs(rows, x, y, NULL, NULL);
    nnb_net *a = make(NNB_F32, 20, 9, NNB_ACT_LEAKY_RELU, 3, NNB_ACT_SOFTMAX, 3), *b, *c;
    nnbt_ok(nnb_net_set_leaky_slope(a, 1, 0.2));
    nnb_train_opts *o = adam_opts(2, 0);
    nnbt_ok(nnb_net_train_f32(a, o, x, rows, 20, y, 3, NULL));
    size_t n = nnb_model_write_size(a, NULL, NULL, 1), np = nnb_net_n_params(a), w;
    unsigned char *buf = malloc(n);
    nnbt_ok(nnb_model_write_buffer(a, NULL, NULL, 1, buf, n, &w));
    ck_assert_uint_eq(w, n);
    ck_assert(buf[8] == 1 && buf[9] == 0 && buf[10] == 1 && buf[11] == 0); /* version 1.1 */
    ck_assert_ptr_nonnull(memmem(buf, n, "PF32", 4));
    ck_assert_ptr_null(memmem(buf, n, "PARM", 4));
    nnbt_ok(nnb_model_read_buffer(&b, NULL, NULL, buf, n));
    ck_assert_int_eq(nnb_net_dtype(b), NNB_F32);
    ck_assert_mem_eq(nnb_net_params_data_f32(a, NULL), nnb_net_params_data_f32(b, NULL),
                     np * sizeof(float));
    /* the training state came along: both continue alike, bit for bit */
    nnbt_ok(nnb_net_train_f32(a, o, x, rows, 20, y, 3, NULL));
    nnbt_ok(nnb_net_train_f32(b, o, x, rows, 20, y, 3, NULL));
    ck_assert_mem_eq(nnb_net_params_data_f32(a, NULL), nnb_net_params_data_f32(b, NULL),
                     np * sizeof(float));
    /* a file of 4 bytes per parameter: smaller than the float64 network's */
    nnbt_ok(nnb_net_copy(&c, a, NNB_F64));
    size_t n64 = nnb_model_write_size(c, NULL, NULL, 0),
           n32 = nnb_model_write_size(a, NULL, NULL, 0);
    ck_assert_uint_eq(n64 - n32, 4 * np - 4);
    unsigned char *b64 = malloc(n64);
    nnbt_ok(nnb_model_write_buffer(c, NULL, NULL, 0, b64, n64, NULL));
    ck_assert(b64[10] == 0); /* float64: version 1.0 as before */
    nnb_net *d;
    nnbt_ok(nnb_model_read_buffer(&d, NULL, NULL, b64, n64));
    ck_assert_int_eq(nnb_net_dtype(d), NNB_F64);
    nnb_net_free(d);
    /* damage: the ARCH type field says float64 (0) over a PF32 section; CRC fixed up */
    unsigned char *arch = memmem(buf, n, "ARCH", 4);
    size_t alen = (size_t)arch[8] | (size_t)arch[9] << 8;
    ck_assert(arch[16 + alen - 4] == 1);
    arch[16 + alen - 4] = 0;
    nnbt_fix_crc(buf, n);
    nnbt_expect(nnb_model_read_buffer(&d, NULL, NULL, buf, n), NNB_E_FORMAT, "PF32");
    arch[16 + alen - 4] = 7;
    nnbt_fix_crc(buf, n);
    nnbt_expect(nnb_model_read_buffer(&d, NULL, NULL, buf, n), NNB_E_FORMAT, "element type 7");
    free(buf), free(b64), free(x), free(y);
    nnb_train_opts_free(o);
    nnb_net_free(a), nnb_net_free(b), nnb_net_free(c);
}
END_TEST

/* ---- the float64 loop's behaviour in float32: stop requests, divergence, clipping, watch ---- */

typedef struct stopper {
    nnb_train_opts *o;
    size_t calls, at;
} stopper;

static int stop_at(size_t epoch, size_t batch, size_t n_batches, double loss, void *ud) {
    (void)epoch, (void)batch, (void)n_batches, (void)loss;
    stopper *s = ud;
    if (++s->calls == s->at) nnb_train_opts_request_stop(s->o); /* as a signal handler would */
    return 0;
}

/* A stop request within an epoch (after batch 3 of epoch 2, and before an epoch's first batch),
 * the training state carried through bytes into a fresh float32 network, then the remaining
 * epochs: the same weights, bit for bit, as the run that was never stopped (Adam, dropout,
 * shuffles, a validation split and an early-stopping watch with restore_best). */
START_TEST(stop_request_and_resume) {
    const size_t rows = 200, E = 6, per_epoch = 120 / 32 + 1; /* 150 training rows, batch 32 */
    const size_t ats[] = {per_epoch + 3, 2 * per_epoch};
    float *x = malloc(rows * 20 * sizeof *x), *y = malloc(rows * 3 * sizeof *y);
    blobs(rows, x, y, NULL, NULL);
    nnb_train_opts *o = adam_opts(E, 0.2);
    nnbt_ok(nnb_train_opts_set_validation_split(o, 0.25, 3));
    nnbt_ok(nnb_train_opts_set_early_stopping(o, 50, 1));
    nnb_net *a = make(NNB_F32, 20, 12, NNB_ACT_RELU, 3, NNB_ACT_SOFTMAX, 6);
    nnbt_ok(nnb_net_train_f32(a, o, x, rows, 20, y, 3, NULL));
    size_t np = nnb_net_n_params(a);
    for (size_t k = 0; k < 2; k++) {
        nnbt_ok(nnb_train_opts_set_epochs(o, E));
        nnb_net *b = make(NNB_F32, 20, 12, NNB_ACT_RELU, 3, NNB_ACT_SOFTMAX, 6);
        stopper s = {o, 0, ats[k]};
        nnbt_ok(nnb_train_opts_set_batch_callback(o, stop_at, &s));
        nnb_history *hb;
        nnbt_ok(nnb_history_create(&hb));
        nnbt_expect(nnb_net_train_f32(b, o, x, rows, 20, y, 3, hb), NNB_E_CANCELLED, "on request");
        size_t done = nnb_history_n_epochs(hb);
        ck_assert_uint_lt(done, E);
        nnb_train_opts_clear_stop(o);
        nnbt_ok(nnb_train_opts_set_batch_callback(o, NULL, NULL));
        size_t n = nnb_net_train_state_size(b);
        unsigned char *state = malloc(n);
        float *p = malloc(np * sizeof *p);
        nnbt_ok(nnb_net_train_state_get(b, state, n, NULL));
        nnbt_ok(nnb_net_params_get_f32(b, p, np));
        nnb_net *c = make(NNB_F32, 20, 12, NNB_ACT_RELU, 3, NNB_ACT_SOFTMAX, 1);
        nnbt_ok(nnb_net_params_set_f32(c, p, np));
        nnbt_ok(nnb_net_train_state_set(c, state, n));
        nnbt_ok(nnb_train_opts_set_epochs(o, E - done));
        nnbt_ok(nnb_net_train_f32(c, o, x, rows, 20, y, 3, NULL));
        ck_assert_msg(memcmp(nnb_net_params_data_f32(a, NULL), nnb_net_params_data_f32(c, NULL),
                             np * sizeof(float)) == 0,
                      "stopped after %zu batches: the resumed weights differ", ats[k]);
        free(state), free(p);
        nnb_history_free(hb);
        nnb_net_free(b), nnb_net_free(c);
    }
    free(x), free(y);
    nnb_train_opts_free(o);
    nnb_net_free(a);
}
END_TEST

/* Divergence without the opt-in check (SGD at a learning rate of 1e6, the fused SGD pass and
 * momentum's): NNB_E_NONFINITE naming the epoch and suggesting a lower rate, as in float64. */
START_TEST(divergence_is_an_error) {
    float x[64 * 2], y[64];
    for (int i = 0; i < 64; i++) {
        x[2 * i] = (float)sin(i), x[2 * i + 1] = (float)cos(3 * i);
        y[i] = (float)(1e3 * (i % 2));
    }
    nnb_optimizer opts[] = {NNB_OPT_SGD, NNB_OPT_MOMENTUM};
    for (size_t k = 0; k < 2; k++) {
        nnb_net *net;
        nnbt_ok(nnb_net_create_dtype(&net, 2, NNB_F32));
        nnbt_ok(nnb_net_add_dense(net, 16, NNB_ACT_RELU, 1));
        nnbt_ok(nnb_net_add_dense(net, 1, NNB_ACT_IDENTITY, 1));
        nnbt_ok(nnb_net_init(net, NNB_INIT_HE_NORMAL, 3));
        nnb_train_opts *o;
        nnbt_ok(nnb_train_opts_create(&o));
        nnbt_ok(nnb_train_opts_set_optimizer(o, opts[k], 1e6));
        nnbt_ok(nnb_train_opts_set_epochs(o, 50));
        nnbt_ok(nnb_train_opts_set_loss(o, NNB_LOSS_MSE, NNB_REDUCTION_MEAN));
        nnb_clear_error();
        ck_assert_int_eq(nnb_net_train_f32(net, o, x, 64, 2, y, 1, NULL), NNB_E_NONFINITE);
        const char *m = nnb_last_error();
        ck_assert_msg(strstr(m, "epoch ") && strstr(m, "lower"), "%s", m);
        nnb_train_opts_free(o);
        nnb_net_free(net);
    }
}
END_TEST

/* Clipping in float32, against PyTorch's definitions checked on the step itself: one full-batch
 * SGD step at rate lr moves each parameter by lr * clip(g_i) where clip_grad_value_ bounds
 * |g_i| <= c (so |step_i| <= lr c, with equality where the gradient was larger: the float32
 * gradient itself, from nnb_net_backprop_f32, tells which), and clip_grad_norm_ scales the whole
 * gradient to max_norm / (||g|| + 1e-6) (so ||step|| = lr max_norm when ||g|| is larger). Each
 * bound holds to float32 rounding of the parameters (2^-23 relative, times a margin of 4). */
START_TEST(clipping) {
    const size_t rows = 60;
    float *x = malloc(rows * 20 * sizeof *x), *y = malloc(rows * 3 * sizeof *y);
    blobs(rows, x, y, NULL, NULL);
    const double lr = 0.5, c = 1e-3, max_norm = 0.01;
    for (int mode = 0; mode < 2; mode++) {
        nnb_net *net = make(NNB_F32, 20, 8, NNB_ACT_TANH, 3, NNB_ACT_SOFTMAX, 12);
        size_t np = nnb_net_n_params(net);
        float *p0 = malloc(np * sizeof *p0), *g = malloc(np * sizeof *g);
        nnbt_ok(nnb_net_params_get_f32(net, p0, np));
        double loss;
        nnbt_ok(nnb_net_backprop_f32(net, x, rows, 20, y, 3, NNB_LOSS_CE, NNB_REDUCTION_MEAN,
                                     &loss, g, np));
        double gnorm = 0;
        size_t big = 0;
        for (size_t i = 0; i < np; i++) gnorm += (double)g[i] * g[i], big += fabsf(g[i]) > c;
        gnorm = sqrt(gnorm);
        ck_assert_msg(big > 0 && gnorm > max_norm, "the gradient must be large enough to clip");
        nnb_train_opts *o;
        nnbt_ok(nnb_train_opts_create(&o));
        nnbt_ok(nnb_train_opts_set_optimizer(o, NNB_OPT_SGD, lr));
        nnbt_ok(nnb_train_opts_set_loss(o, NNB_LOSS_CE, NNB_REDUCTION_MEAN));
        nnbt_ok(nnb_train_opts_set_batch_size(o, 0));
        nnbt_ok(nnb_train_opts_set_epochs(o, 1));
        if (mode == 0) nnbt_ok(nnb_train_opts_set_clip_value(o, c));
        else nnbt_ok(nnb_train_opts_set_clip_norm(o, max_norm));
        nnbt_ok(nnb_net_train_f32(net, o, x, rows, 20, y, 3, NULL));
        const float *p1 = nnb_net_params_data_f32(net, NULL);
        double snorm = 0;
        for (size_t i = 0; i < np; i++) {
            double step = (double)p0[i] - p1[i], tol = 4 * 0x1p-23 * (fabs(p0[i]) + lr * c);
            snorm += step * step;
            if (mode == 0) {
                double want = lr * (fabsf(g[i]) > c ? (g[i] > 0 ? c : -c) : g[i]);
                ck_assert_msg(fabs(step - want) <= tol, "parameter %zu: step %.9g, want %.9g", i,
                              step, want);
            }
        }
        if (mode == 1) {
            double want = lr * max_norm * gnorm / (gnorm + 1e-6);
            ck_assert_msg(fabs(sqrt(snorm) - want) <= 1e-4 * want, "step norm %.9g, want %.9g",
                          sqrt(snorm), want);
        }
        free(p0), free(g);
        nnb_train_opts_free(o);
        nnb_net_free(net);
    }
    free(x), free(y);
}
END_TEST

/* Early stopping in float32 with restore_best: when the watch stops the run, the weights are the
 * best epoch's, i.e. those of a run of exactly best_epoch epochs from the same start. */
START_TEST(early_stopping_restores_best) {
    const size_t rows = 120;
    float *x = malloc(rows * 20 * sizeof *x), *y = malloc(rows * 3 * sizeof *y);
    blobs(rows, x, y, NULL, NULL);
    for (size_t r = 0; r < rows; r += 4) /* wrong labels: the validation loss turns up */
        for (size_t j = 0; j < 3; j++) y[r * 3 + j] = j == (r / 4) % 3;
    nnb_train_opts *o = adam_opts(200, 0);
    nnbt_ok(nnb_train_opts_set_optimizer(o, NNB_OPT_ADAM, 0.05));
    nnbt_ok(nnb_train_opts_set_validation_split(o, 0.3, 5));
    nnbt_ok(nnb_train_opts_set_early_stopping(o, 3, 1));
    nnb_net *a = make(NNB_F32, 20, 32, NNB_ACT_RELU, 3, NNB_ACT_SOFTMAX, 4);
    nnb_history *h;
    nnbt_ok(nnb_history_create(&h));
    nnbt_ok(nnb_net_train_f32(a, o, x, rows, 20, y, 3, h));
    size_t best;
    int stopped;
    nnbt_ok(nnb_history_summary(h, &best, NULL, &stopped));
    ck_assert_msg(stopped, "the watch should stop this run");
    ck_assert_uint_lt(best, nnb_history_n_epochs(h));
    nnbt_ok(nnb_train_opts_set_early_stopping(o, 0, 0));
    nnbt_ok(nnb_train_opts_set_epochs(o, best));
    nnb_net *b = make(NNB_F32, 20, 32, NNB_ACT_RELU, 3, NNB_ACT_SOFTMAX, 4);
    nnbt_ok(nnb_net_train_f32(b, o, x, rows, 20, y, 3, NULL));
    ck_assert_mem_eq(nnb_net_params_data_f32(a, NULL), nnb_net_params_data_f32(b, NULL),
                     nnb_net_n_params(a) * sizeof(float));
    nnb_history_free(h);
    nnb_train_opts_free(o);
    nnb_net_free(a), nnb_net_free(b);
    free(x), free(y);
}
END_TEST

/* The IDX readers into float32: every value the float64 reader's, rounded; one-hot labels. */
START_TEST(idx_float32) {
    unsigned char img[16 + 8] = {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2,
                                 0, 1, 2, 127, 128, 200, 254, 255};
    unsigned char lab[8 + 2] = {0, 0, 8, 1, 0, 0, 0, 2, 3, 1};
    char ip[4096], lp[4096];
    nnbt_tmp_path(ip, sizeof ip, "img.idx");
    nnbt_tmp_path(lp, sizeof lp, "lab.idx");
    ck_assert(nnbt_write_file(ip, img, sizeof img) && nnbt_write_file(lp, lab, sizeof lab));
    double xd[8], yd[8];
    float xf[8], yf[8];
    size_t rows, cols;
    nnbt_ok(nnb_idx_read_images(ip, xd, 8, NULL, NULL));
    nnbt_ok(nnb_idx_read_images_f32(ip, xf, 8, &rows, &cols));
    ck_assert(rows == 2 && cols == 4);
    for (int i = 0; i < 8; i++) ck_assert(xf[i] == (float)xd[i]);
    ck_assert(xf[7] == 1.0f && xf[0] == 0.0f);
    nnbt_ok(nnb_idx_read_labels(lp, 4, yd, 8, NULL));
    nnbt_ok(nnb_idx_read_labels_f32(lp, 4, yf, 8, &rows));
    for (int i = 0; i < 8; i++) ck_assert(yf[i] == (float)yd[i]);
    ck_assert(yf[3] == 1.0f && yf[5] == 1.0f && yf[0] == 0.0f);
    nnbt_expect(nnb_idx_read_images_f32(ip, xf, 7, NULL, NULL), NNB_E_SHAPE, "x holds 7");
    nnbt_expect(nnb_idx_read_labels_f32(lp, 3, yf, 8, NULL), NNB_E_FORMAT, "label 3");
    nnbt_expect(nnb_mnist_read_part_f32(nnbt_tmpdir(), NNB_MNIST_TRAIN, 1, xf, 8, NULL, 0),
                NNB_E_IO, "train-images");
}
END_TEST

/* The preparation into float32 (nnb_prep_apply_f32, nnb_prep_transform_f32,
 * nnb_prep_inverse_targets_f32): every value the float64 function's, rounded once to float (the
 * float64 results are the reference: test_prep.c checks them against the formulas). */
START_TEST(prep_float32) {
    const char csv[] = "a,b,colour,y\n1234.5678,0.1,red,101.3\n-87.25,0.7,green,93.1\n"
                       "5.0e3,0.3,blue,110.9\n0.001,0.9,red,99.5\n";
    nnb_table *t;
    nnb_csv_opts *co;
    nnbt_ok(nnb_csv_opts_create(&co));
    nnbt_ok(nnb_csv_opts_add_text_column(co, "colour"));
    nnbt_ok(nnb_csv_read_buffer(&t, csv, sizeof csv - 1, "mem.csv", co));
    nnb_csv_opts_free(co);
    nnb_prep *p;
    nnbt_ok(nnb_prep_create(&p));
    nnbt_ok(nnb_prep_add_target(p, "y", NNB_TARGET_VALUES));
    nnbt_ok(nnb_prep_onehot(p, "colour"));
    nnbt_ok(nnb_prep_scale(p, NULL, NNB_SCALE_STANDARD));
    nnbt_ok(nnb_prep_fit(p, t, NULL, 4));
    size_t nf = nnb_prep_n_features(p);
    ck_assert_uint_eq(nf, 5);
    double xd[20], yd[4];
    float xf[20], yf[4];
    const size_t rows[3] = {3, 0, 2};
    nnbt_ok(nnb_prep_apply(p, t, rows, 3, xd, 20, yd, 4));
    nnbt_ok(nnb_prep_apply_f32(p, t, rows, 3, xf, 20, yf, 4));
    int rounded = 0;
    for (size_t i = 0; i < 3 * nf; i++) {
        ck_assert_msg(xf[i] == (float)xd[i], "x[%zu]: %.9g vs %.17g", i, xf[i], xd[i]);
        rounded |= (double)xf[i] != xd[i];
    }
    ck_assert(rounded);
    for (size_t i = 0; i < 3; i++) ck_assert(yf[i] == (float)yd[i]);
    nnbt_ok(nnb_prep_apply_f32(p, t, NULL, 4, xf, 20, NULL, 0)); /* new data: no targets */
    nnbt_expect(nnb_prep_apply_f32(p, t, NULL, 4, xf, 19, NULL, 0), NNB_E_SHAPE, "x holds 19");
    nnbt_expect(nnb_prep_apply_f32(NULL, t, NULL, 4, xf, 20, NULL, 0), NNB_E_NULL, "prep");
    nnbt_expect(nnb_prep_transform_f32(p, xf, 4, nf), NNB_E_STATE, "nnb_prep_apply");
    /* unscaling float32 predictions */
    for (size_t i = 0; i < 3; i++) yd[i] = (double)yf[i];
    nnbt_ok(nnb_prep_inverse_targets(p, yd, 3, 1));
    nnbt_ok(nnb_prep_inverse_targets_f32(p, yf, 3, 1));
    for (size_t i = 0; i < 3; i++) ck_assert(yf[i] == (float)yd[i]);
    nnbt_expect(nnb_prep_inverse_targets_f32(p, yf, 3, 2), NNB_E_SHAPE, "columns");
    /* a matrix preparation */
    nnb_prep *m;
    nnbt_ok(nnb_prep_create(&m));
    double md[8] = {1, 200, 3, -400, 5.5, 600, 7.25, 800.125};
    float mf[8];
    for (int i = 0; i < 8; i++) mf[i] = (float)md[i];
    nnbt_ok(nnb_prep_fit_matrix(m, md, 4, 2, NNB_SCALE_STANDARD));
    nnbt_ok(nnb_prep_transform(m, md, 4, 2));
    nnbt_ok(nnb_prep_transform_f32(m, mf, 4, 2));
    for (int i = 0; i < 8; i++) ck_assert(mf[i] == (float)md[i]);
    nnbt_expect(nnb_prep_transform_f32(m, mf, 4, 3), NNB_E_SHAPE, "columns");
    nnbt_expect(nnb_prep_apply_f32(m, t, NULL, 4, xf, 20, NULL, 0), NNB_E_STATE, "matrix");
    nnb_prep_free(m);
    nnb_prep_free(p);
    nnb_table_free(t);
}
END_TEST

/* nnb_prep_fit_matrix_f32: the fit of the float matrix is nnb_prep_fit_matrix()'s of the same
 * matrix widened to double (the statistics are compared through their effect: the two fitted
 * preparations scale a double matrix to the same bits), for each scaling; its errors are
 * nnb_prep_fit_matrix()'s. */
START_TEST(prep_fit_matrix_float32) {
    enum { R = 37, C = 5 };
    float xf[R * C];
    double xd[R * C], zd[R * C], zf[R * C];
    nnbt_rng g = {11};
    for (size_t i = 0; i < R * C; i++) {
        xf[i] = (float)(nnbt_normal(&g) * (double)(i % C + 1) + 1000.0 * (double)(i % C == 4));
        if (i % C == 2) xf[i] = 0.1f; /* a constant column, not exact in binary */
        xd[i] = (double)xf[i];
    }
    const nnb_scale how[3] = {NNB_SCALE_STANDARD, NNB_SCALE_MINMAX, NNB_SCALE_NONE};
    for (int h = 0; h < 3; h++) {
        nnb_prep *pd, *pf;
        nnbt_ok(nnb_prep_create(&pd));
        nnbt_ok(nnb_prep_create(&pf));
        nnbt_ok(nnb_prep_fit_matrix(pd, xd, R, C, how[h]));
        nnbt_ok(nnb_prep_fit_matrix_f32(pf, xf, R, C, how[h]));
        ck_assert_uint_eq(nnb_prep_n_features(pf), C);
        ck_assert_uint_eq(nnb_prep_n_constant_columns(pf), nnb_prep_n_constant_columns(pd));
        for (size_t i = 0; i < R * C; i++) zd[i] = zf[i] = xd[i] * 1.5 - 0.25;
        nnbt_ok(nnb_prep_transform(pd, zd, R, C));
        nnbt_ok(nnb_prep_transform(pf, zf, R, C));
        for (size_t i = 0; i < R * C; i++)
            ck_assert_msg(memcmp(&zd[i], &zf[i], sizeof zd[i]) == 0, "scaling %d, [%zu]: %.17g vs %.17g",
                          h, i, zd[i], zf[i]);
        /* a standardised column has mean 0 and sample sd 1 (an independent check of the fit) */
        if (how[h] == NNB_SCALE_STANDARD) {
            nnbt_ok(nnb_prep_transform(pf, xd, R, C));
            double m = 0, ss = 0;
            for (size_t i = 0; i < R; i++) m += xd[i * C + 1];
            m /= R;
            for (size_t i = 0; i < R; i++) ss += (xd[i * C + 1] - m) * (xd[i * C + 1] - m);
            ck_assert_msg(fabs(m) < 1e-12 && fabs(sqrt(ss / (R - 1)) - 1) < 1e-12, "%g %g", m, ss);
            for (size_t i = 0; i < R * C; i++) xd[i] = (double)xf[i];
        }
        nnb_prep_free(pd);
        nnb_prep_free(pf);
    }
    nnb_prep *p;
    nnbt_ok(nnb_prep_create(&p));
    nnbt_expect(nnb_prep_fit_matrix_f32(NULL, xf, R, C, NNB_SCALE_NONE), NNB_E_NULL, "is NULL");
    nnbt_expect(nnb_prep_fit_matrix_f32(p, NULL, R, C, NNB_SCALE_NONE), NNB_E_NULL, "x is NULL");
    nnbt_expect(nnb_prep_fit_matrix_f32(p, xf, 0, C, NNB_SCALE_NONE), NNB_E_INVALID_ARG, "x is 0 x 5");
    nnbt_expect(nnb_prep_fit_matrix_f32(p, xf, 1, C, NNB_SCALE_STANDARD), NNB_E_INVALID_ARG,
                "2 rows");
    nnbt_expect(nnb_prep_fit_matrix_f32(p, xf, R, C, (nnb_scale)77), NNB_E_INVALID_ARG, "77");
    xf[8] = NAN;
    nnbt_expect(nnb_prep_fit_matrix_f32(p, xf, R, C, NNB_SCALE_MINMAX), NNB_E_NONFINITE, "x[1][3]");
    xf[8] = INFINITY;
    nnbt_expect(nnb_prep_fit_matrix_f32(p, xf, R, C, NNB_SCALE_STANDARD), NNB_E_NONFINITE,
                "nnb_prep_fit_matrix_f32");
    ck_assert(!nnb_prep_is_fitted(p));
    nnb_prep_free(p);
}
END_TEST

/* Data-parallel training of a float32 network sums its gradient through the float32 all-reduce
 * (nnb_train_opts_set_allreduce_f32): once per batch, n_params + 2 floats; the double all-reduce
 * only for the epoch's sums (5 values). Without it, the gradient goes through the double one.
 * A fake second worker with the same rows as this one (the sums doubled, exact in float) gives
 * one worker's run on those rows (to 1e-5: the batch sum is added in another order). */
typedef struct fake_reduce {
    size_t calls32, calls64, n32, n64_max;
} fake_reduce;

static int fake32(float *data, size_t n, void *ud) {
    fake_reduce *f = ud;
    f->calls32++, f->n32 = n;
    for (size_t i = 0; i < n; i++) data[i] *= 2;
    return 0;
}

static int fake64(double *data, size_t n, void *ud) {
    fake_reduce *f = ud;
    f->calls64++;
    if (n > f->n64_max) f->n64_max = n;
    for (size_t i = 0; i < n; i++) data[i] *= 2;
    return 0;
}

START_TEST(allreduce_in_float32) {
    const size_t rows = 64;
    float *x = malloc(rows * 20 * sizeof *x), *y = malloc(rows * 3 * sizeof *y);
    blobs(rows, x, y, NULL, NULL);
    for (int with32 = 0; with32 < 2; with32++) {
        nnb_train_opts *o;
        nnbt_ok(nnb_train_opts_create(&o));
        nnbt_ok(nnb_train_opts_set_optimizer(o, NNB_OPT_SGD, 0.1));
        nnbt_ok(nnb_train_opts_set_loss(o, NNB_LOSS_CE, NNB_REDUCTION_SUM));
        nnbt_ok(nnb_train_opts_set_batch_size(o, 16));
        nnbt_ok(nnb_train_opts_set_shuffle(o, 0));
        nnbt_ok(nnb_train_opts_set_epochs(o, 2));
        fake_reduce f = {0, 0, 0, 0};
        nnbt_ok(nnb_train_opts_set_shard(o, 0, 2));
        nnbt_ok(nnb_train_opts_set_allreduce(o, fake64, &f));
        nnbt_ok(nnb_train_opts_set_allreduce_f32(o, with32 ? fake32 : NULL, &f));
        /* worker 0 takes rows [0, 8) of each 16-row batch; the fake's doubling stands for a
         * worker 1 whose rows [8, 16) are the same: data built so, against one worker on it */
        float *x2 = malloc(rows * 20 * sizeof *x2), *y2 = malloc(rows * 3 * sizeof *y2);
        for (size_t r = 0; r < rows; r++) {
            size_t src = (r / 16) * 16 + (r % 16) % 8;
            memcpy(x2 + r * 20, x + src * 20, 20 * sizeof *x2);
            memcpy(y2 + r * 3, y + src * 3, 3 * sizeof *y2);
        }
        nnb_net *a = make(NNB_F32, 20, 8, NNB_ACT_TANH, 3, NNB_ACT_SOFTMAX, 3);
        nnbt_ok(nnb_net_train_f32(a, o, x2, rows, 20, y2, 3, NULL));
        nnb_train_opts_free(o);
        nnbt_ok(nnb_train_opts_create(&o));
        nnbt_ok(nnb_train_opts_set_optimizer(o, NNB_OPT_SGD, 0.1));
        nnbt_ok(nnb_train_opts_set_loss(o, NNB_LOSS_CE, NNB_REDUCTION_SUM));
        nnbt_ok(nnb_train_opts_set_batch_size(o, 16));
        nnbt_ok(nnb_train_opts_set_shuffle(o, 0));
        nnbt_ok(nnb_train_opts_set_epochs(o, 2));
        nnb_net *b = make(NNB_F32, 20, 8, NNB_ACT_TANH, 3, NNB_ACT_SOFTMAX, 3);
        nnbt_ok(nnb_net_train_f32(b, o, x2, rows, 20, y2, 3, NULL)); /* one worker, the same rows */
        size_t np = nnb_net_n_params(a);
        double *pa = malloc(np * sizeof *pa), *pb = malloc(np * sizeof *pb), worst = 0;
        nnbt_ok(nnb_net_params_get(a, pa, np));
        nnbt_ok(nnb_net_params_get(b, pb, np));
        for (size_t i = 0; i < np; i++) worst = fmax(worst, fabs(pa[i] - pb[i]));
        ck_assert_msg(worst <= 1e-5, "two alike halves differ from one worker by %g", worst);
        if (with32) {
            ck_assert_uint_eq(f.calls32, 2 * 4); /* 2 epochs x 4 batches */
            ck_assert_uint_eq(f.n32, np + 2);
            ck_assert_uint_eq(f.calls64, 2);      /* the epoch sums only */
            ck_assert_uint_eq(f.n64_max, 5);
        } else {
            ck_assert_uint_eq(f.calls32, 0);
            ck_assert_uint_eq(f.calls64, 2 * 4 + 2);
            ck_assert_uint_eq(f.n64_max, np + 2);
        }
        free(pa), free(pb), free(x2), free(y2);
        nnb_train_opts_free(o);
        nnb_net_free(a), nnb_net_free(b);
    }
    free(x), free(y);
}
END_TEST

START_TEST(dtype_names) {
    ck_assert_uint_eq(nnb_dtype_n_values(), 2);
    ck_assert_str_eq(nnb_dtype_name(NNB_F64), "f64");
    ck_assert_str_eq(nnb_dtype_name(NNB_F32), "f32");
    ck_assert_ptr_null(nnb_dtype_name((nnb_dtype)2));
    nnb_dtype t = NNB_F64;
    nnbt_ok(nnb_dtype_parse("Float32", &t));
    ck_assert_int_eq(t, NNB_F32);
    nnbt_ok(nnb_dtype_parse("double", &t));
    ck_assert_int_eq(t, NNB_F64);
    nnbt_expect(nnb_dtype_parse("f16", &t), NNB_E_INVALID_ARG, "f64, f32");
    ck_assert_int_eq(t, NNB_F64);
    /* "float" is float32 in C and float64 in numpy: refused, naming both, in any spelling */
    const char *floats[] = {"float", "FLOAT", "Float"};
    for (size_t i = 0; i < sizeof floats / sizeof floats[0]; i++) {
        t = NNB_F32;
        nnbt_expect(nnb_dtype_parse(floats[i], &t), NNB_E_INVALID_ARG,
                    "ambiguous element type");
        const char *msg = nnb_last_error();
        ck_assert_msg(strstr(msg, "f32") && strstr(msg, "float32") && strstr(msg, "f64") &&
                          strstr(msg, "float64") && strstr(msg, "numpy"),
                      "%s", msg);
        ck_assert_int_eq(t, NNB_F32); /* unchanged */
    }
    nnbt_ok(nnb_dtype_parse("single", &t));
    ck_assert_int_eq(t, NNB_F32);
}
END_TEST

START_TEST(errors) {
    nnb_net *net = NULL;
    nnbt_expect(nnb_net_create_dtype(&net, 3, (nnb_dtype)7), NNB_E_INVALID_ARG, "dtype");
    ck_assert_ptr_null(net);
    nnbt_expect(nnb_net_create_dtype(NULL, 3, NNB_F32), NNB_E_NULL, "out");
    nnbt_expect(nnb_net_copy(&net, NULL, NNB_F32), NNB_E_NULL, "src");
    ck_assert_int_eq(nnb_net_dtype(NULL), NNB_F64);
    net = make(NNB_F32, 3, 4, NNB_ACT_TANH, 1, NNB_ACT_IDENTITY, 1);
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
    nnb_net *n64 = make(NNB_F64, 3, 4, NNB_ACT_TANH, 1, NNB_ACT_IDENTITY, 1);
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
    Suite *s = suite_create("f32");
    TCase *tc = tcase_create("float32");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, gradient_against_f64_differences, 0, 5);
    tcase_add_test(tc, forward_against_f64);
    tcase_add_test(tc, training_tracks_f64);
    tcase_add_test(tc, resume_bit_for_bit);
    tcase_add_test(tc, stop_request_and_resume);
    tcase_add_test(tc, divergence_is_an_error);
    tcase_add_test(tc, clipping);
    tcase_add_test(tc, early_stopping_restores_best);
    tcase_add_test(tc, data_of_the_other_type);
    tcase_add_test(tc, conversion);
    tcase_add_test(tc, model_round_trip);
    tcase_add_test(tc, idx_float32);
    tcase_add_test(tc, prep_float32);
    tcase_add_test(tc, prep_fit_matrix_float32);
    tcase_add_test(tc, allreduce_in_float32);
    tcase_add_test(tc, dtype_names);
    tcase_add_test(tc, errors);
    suite_add_tcase(s, tc);
    return s;
}

NNBT_MAIN(suite, 0)
