/*
 * Convolutional networks through the public API (issue 24): the input shape, convolution and
 * pooling layers, their getters, hostile shapes refused before anything changes, the flattened
 * order a dense layer sees, finite-difference gradients of whole CNNs (channel-major and
 * channels-last layouts between layers, a convolution as the output layer), float32 against
 * float64, and training with every optimiser, schedule, dropout, weight decay and clipping.
 * (Against PyTorch: tests/cnn_torch.py.)
 */
#include <math.h>
#include <string.h>

#include "nnb_test.h"

static nnb_window win(size_t k, size_t s, size_t pad) {
    return (nnb_window){k, k, s, s, pad, pad, pad, pad, 0};
}

/* 1x28x28 -> conv32x3p1 -> maxpool2 -> conv64x3p1 -> maxpool2 -> 128 -> 10: the issue's network */
static nnb_net *issue_net(nnb_dtype dt) {
    nnb_net *net;
    nnbt_ok(nnb_net_create_dtype(&net, 784, dt));
    nnbt_ok(nnb_net_set_input_shape(net, 1, 28, 28));
    nnb_window c = win(3, 1, 1), p = win(2, 2, 0);
    nnbt_ok(nnb_net_add_conv2d(net, 32, &c, NNB_ACT_RELU, 1));
    nnbt_ok(nnb_net_add_maxpool(net, &p));
    nnbt_ok(nnb_net_add_conv2d(net, 64, &c, NNB_ACT_RELU, 1));
    nnbt_ok(nnb_net_add_maxpool(net, &p));
    nnbt_ok(nnb_net_add_dense(net, 128, NNB_ACT_RELU, 1));
    nnbt_ok(nnb_net_add_dense(net, 10, NNB_ACT_SOFTMAX, 1));
    return net;
}

START_TEST(issue_network_shapes_and_getters) {
    nnb_net *net = issue_net(NNB_F32);
    static const size_t shape[6][3] = {{32, 28, 28}, {32, 14, 14}, {64, 14, 14},
                                       {64, 7, 7},   {128, 1, 1},  {10, 1, 1}};
    static const size_t n_p[6] = {320, 0, 18496, 0, 401536, 1290};
    static const char *kind[6] = {"conv2d", "maxpool", "conv2d", "maxpool", "dense", "dense"};
    size_t total = 0;
    for (size_t l = 0; l < 6; l++) {
        size_t c, h, w;
        nnbt_ok(nnb_net_layer_shape(net, l, &c, &h, &w));
        ck_assert_uint_eq(c, shape[l][0]);
        ck_assert_uint_eq(h, shape[l][1]);
        ck_assert_uint_eq(w, shape[l][2]);
        ck_assert_uint_eq(nnb_net_layer_n_params(net, l), n_p[l]);
        ck_assert_str_eq(nnb_net_layer_kind(net, l), kind[l]);
        total += n_p[l];
    }
    ck_assert_uint_eq(nnb_net_n_params(net), total);
    nnb_window w;
    size_t f;
    nnbt_ok(nnb_net_layer_window(net, 2, &w, &f));
    ck_assert_uint_eq(f, 64);
    ck_assert_uint_eq(w.kernel_h, 3);
    ck_assert_uint_eq(w.pad_right, 1);
    nnbt_ok(nnb_net_layer_window(net, 3, &w, &f));
    ck_assert_uint_eq(f, 0);
    ck_assert_uint_eq(w.stride_w, 2);
    nnbt_expect(nnb_net_layer_window(net, 4, &w, &f), NNB_E_INVALID_ARG, "dense");
    size_t c, h, wd, n_in, n_out;
    nnbt_ok(nnb_net_get_input_shape(net, &c, &h, &wd));
    ck_assert_uint_eq(c * h * wd, 784);
    nnbt_ok(nnb_net_layer_info(net, 2, &n_in, &n_out, NULL, NULL, NULL, NULL));
    ck_assert_uint_eq(n_in, 32 * 14 * 14);
    ck_assert_uint_eq(n_out, 64 * 14 * 14);
    ck_assert_ptr_null(nnb_net_layer_kind(net, 6));
    ck_assert_uint_eq(nnb_net_layer_n_params(net, 6), 0);
    nnb_net_free(net);
}
END_TEST

START_TEST(same_padding_is_resolved) {
    nnb_net *net;
    nnbt_ok(nnb_net_create(&net, 3 * 7 * 8));
    nnbt_ok(nnb_net_set_input_shape(net, 3, 7, 8));
    nnb_window w = {.kernel_h = 4, .kernel_w = 3, .stride_h = 2, .stride_w = 3, .same = 1};
    nnbt_ok(nnb_net_add_conv2d(net, 2, &w, NNB_ACT_TANH, 1));
    size_t c, h, wd;
    nnbt_ok(nnb_net_layer_shape(net, 0, &c, &h, &wd));
    ck_assert_uint_eq(h, 4);  /* ceil(7 / 2) */
    ck_assert_uint_eq(wd, 3); /* ceil(8 / 3) */
    nnb_window got;
    nnbt_ok(nnb_net_layer_window(net, 0, &got, NULL));
    /* height: (4 - 1) 2 + 4 - 7 = 3 -> 1 above, 2 below; width: (3 - 1) 3 + 3 - 8 = 1 -> 0, 1 */
    ck_assert_uint_eq(got.pad_top, 1);
    ck_assert_uint_eq(got.pad_bottom, 2);
    ck_assert_uint_eq(got.pad_left, 0);
    ck_assert_uint_eq(got.pad_right, 1);
    ck_assert_int_eq(got.same, 0);
    nnb_net_free(net);
}
END_TEST

START_TEST(hostile_shapes_are_refused_and_change_nothing) {
    nnb_net *net;
    nnbt_ok(nnb_net_create(&net, 2 * 5 * 4));
    nnbt_expect(nnb_net_set_input_shape(net, 3, 5, 4), NNB_E_SHAPE, "does not make");
    nnbt_expect(nnb_net_set_input_shape(net, 0, 5, 4), NNB_E_INVALID_ARG, "zero");
    nnbt_expect(nnb_net_set_input_shape(net, SIZE_MAX / 2, 4, 5), NNB_E_SHAPE, "does not make");
    nnbt_expect(nnb_net_set_input_shape(NULL, 2, 5, 4), NNB_E_NULL, "");
    nnbt_ok(nnb_net_set_input_shape(net, 2, 5, 4));
    nnb_window big = win(6, 1, 0), padded = win(6, 1, 1), zero = win(3, 0, 0);
    nnbt_expect(nnb_net_add_conv2d(net, 3, &big, NNB_ACT_RELU, 1), NNB_E_SHAPE, "larger");
    nnbt_expect(nnb_net_add_conv2d(net, 3, &zero, NNB_ACT_RELU, 1), NNB_E_INVALID_ARG, "stride");
    nnbt_expect(nnb_net_add_conv2d(net, 0, &padded, NNB_ACT_RELU, 1), NNB_E_INVALID_ARG, "filters");
    nnbt_expect(nnb_net_add_conv2d(net, SIZE_MAX / 4, &padded, NNB_ACT_RELU, 1), NNB_E_TOO_LARGE,
                "");
    nnb_window huge = {SIZE_MAX / 2, 2, 1, 1, SIZE_MAX / 2, SIZE_MAX / 2, 0, 0, 0};
    nnbt_expect(nnb_net_add_conv2d(net, 3, &huge, NNB_ACT_RELU, 1), NNB_E_TOO_LARGE, "");
    nnbt_expect(nnb_net_add_conv2d(net, 3, NULL, NNB_ACT_RELU, 1), NNB_E_NULL, "");
    nnbt_expect(nnb_net_add_conv2d(net, 3, &padded, (nnb_activation)42, 1), NNB_E_INVALID_ARG,
                "activation");
    nnbt_expect(nnb_net_add_conv2d(net, 3, &padded, NNB_ACT_RELU, 2), NNB_E_INVALID_ARG,
                "has_bias");
    nnbt_expect(nnb_net_add_maxpool(net, &big), NNB_E_SHAPE, "larger");
    nnbt_expect(nnb_net_add_maxpool(net, &padded), NNB_E_INVALID_ARG, "padding");
    nnbt_expect(nnb_net_add_avgpool(net, &zero), NNB_E_INVALID_ARG, "stride");
    ck_assert_uint_eq(nnb_net_n_layers(net), 0);
    ck_assert_uint_eq(nnb_net_n_params(net), 0);
    nnb_window ok = win(3, 1, 1);
    nnbt_ok(nnb_net_add_conv2d(net, 3, &ok, NNB_ACT_SOFTMAX, 1));
    nnb_window p2 = win(2, 2, 0);
    nnbt_expect(nnb_net_add_maxpool(net, &p2), NNB_E_INVALID_ARG, "softmax");
    nnbt_expect(nnb_net_set_input_shape(net, 1, 10, 4), NNB_E_INVALID_ARG, "layers");
    ck_assert_uint_eq(nnb_net_n_layers(net), 1);
    nnb_net_free(net);
}
END_TEST

/* conv (2 filters 1x1: x, 10 x) -> max pooling 1x1 (channels-last between them) -> dense 8 = I:
 * the dense layer sees channel 0's four pixels, then channel 1's (PyTorch's Flatten). */
START_TEST(dense_sees_the_flattened_channel_major_output) {
    nnb_net *net;
    nnbt_ok(nnb_net_create_dtype(&net, 4, nnbt_dtype_of(_i)));
    nnbt_ok(nnb_net_set_input_shape(net, 1, 2, 2));
    nnb_window one = win(1, 1, 0);
    nnbt_ok(nnb_net_add_conv2d(net, 2, &one, NNB_ACT_IDENTITY, 1));
    nnbt_ok(nnb_net_add_maxpool(net, &one));
    nnbt_ok(nnb_net_add_dense(net, 8, NNB_ACT_IDENTITY, 0));
    double p[4 + 64] = {1, 10, 0.5, -1}; /* W (2 x 1 x 1 x 1), b */
    for (int i = 0; i < 8; i++) p[4 + 9 * i] = 1;
    nnbt_ok(nnb_net_params_set(net, p, 68));
    double x[4] = {1, 2, 3, 4}, out[8];
    nnbt_ok(nnb_net_predict(net, x, 1, 4, out, 8));
    for (int i = 0; i < 4; i++) {
        ck_assert_double_eq_tol(out[i], x[i] + 0.5, 1e-6);
        ck_assert_double_eq_tol(out[4 + i], 10 * x[i] - 1, 1e-5);
    }
    nnb_net_free(net);
}
END_TEST

START_TEST(layer_specs_in_words) {
    nnb_net *a = issue_net(NNB_F64), *b;
    nnbt_ok(nnb_net_create(&b, 784));
    nnbt_ok(nnb_net_set_input_shape(b, 1, 28, 28));
    const char *specs[] = {"conv32x3p1", "maxpool2", "conv64x3psame", "maxpool2x2s2", "128", "10"};
    for (int i = 0; i < 6; i++)
        nnbt_ok(nnb_net_add_layer_spec(b, specs[i], i == 5 ? NNB_ACT_SOFTMAX : NNB_ACT_RELU, 1));
    ck_assert_uint_eq(nnb_net_n_layers(b), 6);
    for (size_t l = 0; l < 6; l++) {
        size_t s1[3], s2[3];
        nnbt_ok(nnb_net_layer_shape(a, l, &s1[0], &s1[1], &s1[2]));
        nnbt_ok(nnb_net_layer_shape(b, l, &s2[0], &s2[1], &s2[2]));
        ck_assert_mem_eq(s1, s2, sizeof s1);
        ck_assert_str_eq(nnb_net_layer_kind(a, l), nnb_net_layer_kind(b, l));
    }
    nnb_net_free(a);
    nnb_net_free(b);
    nnbt_ok(nnb_net_create(&b, 3 * 9 * 8));
    nnbt_ok(nnb_net_set_input_shape(b, 3, 9, 8));
    nnbt_ok(nnb_net_add_layer_spec(b, "conv4x3x2s2p1", NNB_ACT_TANH, 0));
    nnb_window w;
    size_t f, c, h, wd;
    nnbt_ok(nnb_net_layer_window(b, 0, &w, &f));
    ck_assert_uint_eq(f, 4);
    ck_assert_uint_eq(w.kernel_h, 3);
    ck_assert_uint_eq(w.kernel_w, 2);
    ck_assert_uint_eq(w.stride_w, 2);
    ck_assert_uint_eq(w.pad_left, 1);
    nnbt_ok(nnb_net_add_layer_spec(b, "avgpool3x2s1", NNB_ACT_IDENTITY, 1));
    nnbt_ok(nnb_net_layer_window(b, 1, &w, NULL));
    ck_assert_uint_eq(w.kernel_h, 3);
    ck_assert_uint_eq(w.kernel_w, 2);
    ck_assert_uint_eq(w.stride_h, 1);
    nnbt_ok(nnb_net_layer_shape(b, 1, &c, &h, &wd));
    ck_assert_uint_eq(c, 4);
    ck_assert_uint_eq(h, 3);  /* conv: (9 + 2 - 3) / 2 + 1 = 5; pool: 5 - 3 + 1 */
    ck_assert_uint_eq(wd, 4); /* conv: (8 + 2 - 2) / 2 + 1 = 5; pool: 5 - 2 + 1 */
    static const char *bad[] = {"conv32",    "conv32x",      "maxpool",    "pool2", "12a",
                                "conv32x3p", "conv32x3q1",   "maxpool2p1", "-5",    "0",
                                "conv0x3",   "conv32x3s2s2", "conv32x3s0", "",      "conv x3",
                                "maxpool2s", "avgpool2x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        nnbt_expect(nnb_net_add_layer_spec(b, bad[i], NNB_ACT_RELU, 1), NNB_E_INVALID_ARG,
                    "conv32x3p1");
    nnbt_expect(nnb_net_add_layer_spec(b, NULL, NNB_ACT_RELU, 1), NNB_E_NULL, "");
    nnbt_expect(nnb_net_add_layer_spec(b, "99999999999999999999999", NNB_ACT_RELU, 1),
                NNB_E_TOO_LARGE, "limit");
    nnbt_expect(nnb_net_add_layer_spec(b, "99999999999", NNB_ACT_RELU, 1), NNB_E_TOO_LARGE,
                "limit");
    ck_assert_uint_eq(nnb_net_n_layers(b), 2);
    nnb_net_free(b);
}
END_TEST

static void randoms(double *v, size_t n, nnbt_rng *r) {
    for (size_t i = 0; i < n; i++) v[i] = nnbt_normal(r);
}

/* Input 2x7x6 -> conv 3 (3x3, same, tanh) -> max pooling 2 -> conv 4 (2x2, padding 1 above and
 * right, tanh) -> conv 3 (1x2, stride 1x2, sigmoid) -> average pooling 2x1 stride 1 -> dense 5
 * softmax: channel-major and channels-last inputs, every window kind. */
static nnb_net *small_cnn(nnb_dtype dt) {
    nnb_net *net;
    nnbt_ok(nnb_net_create_dtype(&net, 84, dt));
    nnbt_ok(nnb_net_set_input_shape(net, 2, 7, 6));
    nnb_window c1 = {3, 3, 1, 1, 0, 0, 0, 0, 1}, p = win(2, 2, 0);
    nnb_window c2 = {2, 2, 1, 1, 1, 0, 0, 1, 0}, c3 = {1, 2, 1, 2, 0, 0, 0, 0, 0};
    nnb_window a = {2, 1, 1, 1, 0, 0, 0, 0, 0};
    nnbt_ok(nnb_net_add_conv2d(net, 3, &c1, NNB_ACT_TANH, 1));
    nnbt_ok(nnb_net_add_maxpool(net, &p));
    nnbt_ok(nnb_net_add_conv2d(net, 4, &c2, NNB_ACT_TANH, 0));
    nnbt_ok(nnb_net_add_conv2d(net, 3, &c3, NNB_ACT_SIGMOID, 1));
    nnbt_ok(nnb_net_add_avgpool(net, &a));
    nnbt_ok(nnb_net_add_dense(net, 5, NNB_ACT_SOFTMAX, 1));
    return net;
}

static void one_hot(double *y, size_t rows, size_t k, nnbt_rng *r) {
    memset(y, 0, rows * k * sizeof *y);
    for (size_t i = 0; i < rows; i++) y[i * k + (size_t)(nnbt_uniform(r) * (double)k)] = 1;
}

START_TEST(cnn_gradient_matches_finite_differences) {
    nnb_net *net = small_cnn(NNB_F64);
    nnbt_rng r = {7};
    enum { ROWS = 5 };
    double x[ROWS * 84], y[ROWS * 5], err;
    randoms(x, ROWS * 84, &r);
    one_hot(y, ROWS, 5, &r);
    size_t np = nnb_net_n_params(net), worst;
    double *p = malloc(np * sizeof *p);
    randoms(p, np, &r);
    for (size_t i = 0; i < np; i++) p[i] *= 0.5;
    nnbt_ok(nnb_net_params_set(net, p, np));
    nnbt_ok(nnb_net_grad_check(net, x, ROWS, 84, y, 5, NNB_LOSS_CE, NNB_REDUCTION_MEAN, 1e-5, &err,
                               &worst));
    ck_assert_msg(err < 1e-6, "largest relative error %g at parameter %zu", err, worst);
    free(p);
    nnb_net_free(net);
}
END_TEST

/* A convolution as the output layer (channel-major output) under squared error. */
START_TEST(conv_output_layer_gradient) {
    nnb_net *net;
    nnbt_ok(nnb_net_create(&net, 3 * 5 * 5));
    nnbt_ok(nnb_net_set_input_shape(net, 3, 5, 5));
    nnb_window c = {3, 2, 2, 1, 0, 1, 2, 0, 0}, p = win(2, 1, 0);
    nnbt_ok(nnb_net_add_avgpool(net, &p));
    nnbt_ok(nnb_net_add_conv2d(net, 2, &c, NNB_ACT_IDENTITY, 1));
    size_t no = nnb_net_n_outputs(net), worst;
    nnbt_rng r = {3};
    double x[4 * 75], *y = malloc(4 * no * sizeof *y), err;
    randoms(x, 4 * 75, &r);
    randoms(y, 4 * no, &r);
    nnbt_ok(nnb_net_grad_check(net, x, 4, 75, y, no, NNB_LOSS_MSE, NNB_REDUCTION_SUM, 1e-5, &err,
                               &worst));
    ck_assert_msg(err < 1e-6, "largest relative error %g at parameter %zu", err, worst);
    free(y);
    nnb_net_free(net);
}
END_TEST

/* A 3 x 3 convolution of stride 1 on a channels-last input of 9 channels runs its forward pass as
 * Winograd's F(2x2, 3x3) (lib/window.h): as the output layer after a 1 x 1 pooling (which makes
 * the input channels-last), odd sizes and uneven padding, its outputs against a long-double
 * direct sum (1e-13 of the terms' magnitudes in float64, 2e-6 in float32); and the gradient of
 * a network where its input gradient (Winograd's too, the filters turned) reaches a 1 x 1
 * convolution's parameters, against finite differences. */
static nnb_net *wino_net(nnb_dtype dt) {
    nnb_net *net;
    nnbt_ok(nnb_net_create_dtype(&net, 9 * 5 * 7, dt));
    nnbt_ok(nnb_net_set_input_shape(net, 9, 5, 7));
    nnb_window one = win(1, 1, 0), c = {3, 3, 1, 1, 1, 0, 2, 1, 0};
    nnbt_ok(nnb_net_add_maxpool(net, &one));
    nnbt_ok(nnb_net_add_conv2d(net, 11, &c, NNB_ACT_IDENTITY, 1));
    return net;
}

START_TEST(winograd_forward_and_gradient) {
    enum {
        ROWS = 3,
        C = 9,
        H = 5,
        W = 7,
        F = 11,
        OH = 4,
        OW = 8,
        NI = C * H * W,
        NO = F * OH * OW
    };
    nnbt_rng r = {23};
    double x[ROWS * NI], p[F * C * 9 + F], out[ROWS * NO];
    randoms(x, ROWS * NI, &r);
    randoms(p, F * C * 9 + F, &r);
    for (int dt = 0; dt < 2; dt++) {
        nnb_net *net = wino_net(nnbt_dtype_of(dt));
        ck_assert_uint_eq(nnb_net_n_outputs(net), NO);
        nnbt_ok(nnb_net_params_set(net, p, F * C * 9 + F));
        nnbt_ok(nnb_net_params_get(net, p, F * C * 9 + F)); /* as the network holds them */
        nnbt_ok(nnb_net_predict(net, x, ROWS, NI, out, ROWS * NO));
        double worst = 0;
        for (int b = 0; b < ROWS; b++)
            for (int f = 0; f < F; f++)
                for (int oh = 0; oh < OH; oh++)
                    for (int ow = 0; ow < OW; ow++) {
                        long double acc = p[F * C * 9 + f], mag = fabsl(acc);
                        for (int c = 0; c < C; c++)
                            for (int kh = 0; kh < 3; kh++)
                                for (int kw = 0; kw < 3; kw++) {
                                    int h = oh + kh - 1,
                                        w = ow + kw - 2; /* padding 1 above, 2 left */
                                    if (h < 0 || h >= H || w < 0 || w >= W) continue;
                                    double xv = x[b * NI + (c * H + h) * W + w];
                                    if (dt) xv = (float)xv;
                                    long double term =
                                        (long double)p[((f * C + c) * 3 + kh) * 3 + kw] * xv;
                                    acc += term, mag += fabsl(term);
                                }
                        double got = out[b * NO + (f * OH + oh) * OW + ow];
                        double e = (double)(fabsl((long double)got - acc) / mag);
                        if (e > worst) worst = e;
                    }
        ck_assert_msg(worst < (dt ? 2e-6 : 1e-13), "%s: worst error %g of the terms' magnitudes",
                      dt ? "float32" : "float64", worst);
        nnb_net_free(net);
    }
    /* the gradient, with a 1 x 1 convolution first so that the Winograd input gradient (dZ
     * against the turned filters) reaches a parameter */
    nnb_net *net;
    nnbt_ok(nnb_net_create(&net, NI));
    nnbt_ok(nnb_net_set_input_shape(net, C, H, W));
    nnb_window one = win(1, 1, 0), c = {3, 3, 1, 1, 1, 0, 2, 1, 0};
    nnbt_ok(nnb_net_add_conv2d(net, C, &one, NNB_ACT_TANH, 1));
    nnbt_ok(nnb_net_add_conv2d(net, F, &c, NNB_ACT_IDENTITY, 1));
    double y[ROWS * NO], err;
    size_t worst_i, np = nnb_net_n_params(net);
    double *q = malloc(np * sizeof *q);
    randoms(q, np, &r);
    randoms(y, ROWS * NO, &r);
    nnbt_ok(nnb_net_params_set(net, q, np));
    nnbt_ok(nnb_net_grad_check(net, x, ROWS, NI, y, NO, NNB_LOSS_MSE, NNB_REDUCTION_SUM, 1e-5, &err,
                               &worst_i));
    ck_assert_msg(err < 1e-6, "largest relative error %g at parameter %zu", err, worst_i);
    free(q);
    nnb_net_free(net);
}
END_TEST

START_TEST(float32_follows_float64) {
    nnb_net *n64 = small_cnn(NNB_F64), *n32 = small_cnn(NNB_F32);
    nnbt_rng r = {19};
    enum { ROWS = 9 };
    double x[ROWS * 84], y[ROWS * 5], o64[ROWS * 5], o32[ROWS * 5];
    randoms(x, ROWS * 84, &r);
    for (size_t i = 0; i < ROWS * 84; i++) x[i] = (float)x[i];
    one_hot(y, ROWS, 5, &r);
    size_t np = nnb_net_n_params(n64);
    double *p = malloc(np * sizeof *p), *g64 = malloc(np * sizeof *p),
           *g32 = malloc(np * sizeof *p);
    randoms(p, np, &r);
    for (size_t i = 0; i < np; i++) p[i] = (float)p[i];
    nnbt_ok(nnb_net_params_set(n64, p, np));
    nnbt_ok(nnb_net_params_set(n32, p, np));
    nnbt_ok(nnb_net_predict(n64, x, ROWS, 84, o64, ROWS * 5));
    nnbt_ok(nnb_net_predict(n32, x, ROWS, 84, o32, ROWS * 5));
    for (size_t i = 0; i < ROWS * 5; i++) ck_assert_double_eq_tol(o64[i], o32[i], 1e-5);
    nnbt_ok(
        nnb_net_backprop(n64, x, ROWS, 84, y, 5, NNB_LOSS_CE, NNB_REDUCTION_MEAN, NULL, g64, np));
    nnbt_ok(
        nnb_net_backprop(n32, x, ROWS, 84, y, 5, NNB_LOSS_CE, NNB_REDUCTION_MEAN, NULL, g32, np));
    double scale = 0;
    for (size_t i = 0; i < np; i++) scale = fmax(scale, fabs(g64[i]));
    for (size_t i = 0; i < np; i++)
        ck_assert_msg(fabs(g64[i] - g32[i]) <= 1e-4 * scale, "gradient %zu: %g against %g", i,
                      g32[i], g64[i]);
    free(p), free(g64), free(g32);
    nnb_net_free(n64);
    nnb_net_free(n32);
}
END_TEST

/* The bytes of a model file of net (with the training state); *len its size. */
static unsigned char *model_bytes(const nnb_net *net, int state, size_t *len) {
    *len = nnb_model_write_size(net, NULL, NULL, state);
    ck_assert_uint_gt(*len, 0);
    unsigned char *b = malloc(*len);
    nnbt_ok(nnb_model_write_buffer(net, NULL, NULL, state, b, *len, NULL));
    return b;
}

/* Where the 4-byte tag `tag` starts in b (a section's), or 0. */
static size_t find_tag(const unsigned char *b, size_t len, const char *tag) {
    for (size_t i = 32; i + 4 <= len; i++)
        if (memcmp(b + i, tag, 4) == 0) return i;
    return 0;
}

START_TEST(model_files_keep_cnns) {
    nnb_dtype dt = nnbt_dtype_of(_i);
    nnb_net *net = small_cnn(dt), *back;
    nnbt_rng r = {5};
    enum { ROWS = 6 };
    double x[ROWS * 84], y[ROWS * 5], o1[ROWS * 5], o2[ROWS * 5];
    randoms(x, ROWS * 84, &r);
    one_hot(y, ROWS, 5, &r);
    nnb_train_opts *o;
    nnbt_ok(nnb_train_opts_create(&o));
    nnbt_ok(nnb_train_opts_set_optimizer(o, NNB_OPT_ADAM, 0.01));
    nnbt_ok(nnb_train_opts_set_loss(o, NNB_LOSS_CE, NNB_REDUCTION_MEAN));
    nnbt_ok(nnb_train_opts_set_epochs(o, 2));
    nnbt_ok(nnb_net_train(net, o, x, ROWS, 84, y, 5, NULL));
    size_t len;
    unsigned char *b = model_bytes(net, 1, &len);
    ck_assert_uint_eq(b[10], 2); /* format version 1.2 */
    ck_assert_uint_eq(b[11], 0);
    nnbt_ok(nnb_model_read_buffer(&back, NULL, NULL, b, len));
    ck_assert_int_eq(nnb_net_dtype(back), dt);
    ck_assert_uint_eq(nnb_net_n_layers(back), nnb_net_n_layers(net));
    for (size_t l = 0; l < nnb_net_n_layers(net); l++) {
        size_t a[3], c[3];
        nnbt_ok(nnb_net_layer_shape(net, l, &a[0], &a[1], &a[2]));
        nnbt_ok(nnb_net_layer_shape(back, l, &c[0], &c[1], &c[2]));
        ck_assert_mem_eq(a, c, sizeof a);
        ck_assert_str_eq(nnb_net_layer_kind(net, l), nnb_net_layer_kind(back, l));
    }
    nnbt_ok(nnb_net_predict(net, x, ROWS, 84, o1, ROWS * 5));
    nnbt_ok(nnb_net_predict(back, x, ROWS, 84, o2, ROWS * 5));
    ck_assert_mem_eq(o1, o2, sizeof o1);
    /* exact resume: two more epochs on each give the same parameters, bit for bit */
    nnbt_ok(nnb_net_train(net, o, x, ROWS, 84, y, 5, NULL));
    nnbt_ok(nnb_net_train(back, o, x, ROWS, 84, y, 5, NULL));
    size_t np = nnb_net_n_params(net);
    double *p1 = malloc(np * sizeof *p1), *p2 = malloc(np * sizeof *p2);
    nnbt_ok(nnb_net_params_get(net, p1, np));
    nnbt_ok(nnb_net_params_get(back, p2, np));
    ck_assert_mem_eq(p1, p2, np * sizeof *p1);
    free(p1), free(p2), free(b);
    nnb_train_opts_free(o);
    nnb_net_free(back);
    nnb_net_free(net);
}
END_TEST

START_TEST(older_readers_and_damage_are_refused) {
    nnb_net *net = small_cnn(NNB_F64), *back = NULL;
    size_t len;
    unsigned char *b = model_bytes(net, 0, &len);
    size_t at = find_tag(b, len, "LAYR");
    ck_assert_uint_gt(at, 0);
    /* a reader of version 1.1 does not know section LAYR, which is essential: as it sees it */
    memcpy(b + at, "LAYX", 4);
    nnbt_fix_crc(b, len);
    nnbt_expect(nnb_model_read_buffer(&back, NULL, NULL, b, len), NNB_E_VERSION, "newer nnblas");
    memcpy(b + at, "LAYR", 4);
    /* a kind from a newer minor version */
    size_t kind0 = at + 16 + 24;
    b[10] = 3;
    b[kind0] = 99;
    nnbt_fix_crc(b, len);
    nnbt_expect(nnb_model_read_buffer(&back, NULL, NULL, b, len), NNB_E_VERSION, "newer");
    b[10] = 2;
    nnbt_fix_crc(b, len);
    nnbt_expect(nnb_model_read_buffer(&back, NULL, NULL, b, len), NNB_E_FORMAT, "kind");
    b[kind0] = 1;
    /* a stride of 0, a kernel larger than the input, an input shape that does not make the row */
    unsigned char keep[8];
    memcpy(keep, b + kind0 + 8 + 3 * 8, 8);
    memset(b + kind0 + 8 + 3 * 8, 0, 8);
    nnbt_fix_crc(b, len);
    nnbt_expect(nnb_model_read_buffer(&back, NULL, NULL, b, len), NNB_E_FORMAT, "layer 1");
    memcpy(b + kind0 + 8 + 3 * 8, keep, 8);
    memcpy(keep, b + kind0 + 8 + 8, 8);
    b[kind0 + 8 + 8] = 50;
    nnbt_fix_crc(b, len);
    nnbt_expect(nnb_model_read_buffer(&back, NULL, NULL, b, len), NNB_E_FORMAT, "larger");
    memcpy(b + kind0 + 8 + 8, keep, 8);
    b[at + 16] = 3; /* 3 x 7 x 6 is not 84 */
    nnbt_fix_crc(b, len);
    nnbt_expect(nnb_model_read_buffer(&back, NULL, NULL, b, len), NNB_E_FORMAT, "input shape");
    b[at + 16] = 2;
    nnbt_fix_crc(b, len);
    nnbt_ok(nnb_model_read_buffer(&back, NULL, NULL, b, len));
    ck_assert_ptr_nonnull(back);
    nnb_net_free(back);
    free(b);
    nnb_net_free(net);
    /* a dense network's file stays version 1.0 / 1.1, without LAYR */
    nnbt_ok(nnb_net_create(&net, 4));
    nnbt_ok(nnb_net_add_dense(net, 3, NNB_ACT_TANH, 1));
    b = model_bytes(net, 0, &len);
    ck_assert_uint_eq(b[10], 0);
    ck_assert_uint_eq(find_tag(b, len, "LAYR"), 0);
    free(b);
    nnb_net_free(net);
}
END_TEST

/* A dense-only network keeps the input shape it was given (e.g. trained on IDX images): its file
 * is version 1.2 with a LAYR section that is not essential, so a reader that does not know LAYR
 * (1.0, 1.1) loads the same network without the shape; a shape of inputs x 1 x 1 is no shape
 * (the file stays 1.0 / 1.1). A loop test: _i 0 float64, 1 float32. */
START_TEST(dense_networks_keep_their_input_shape) {
    nnb_dtype dt = nnbt_dtype_of(_i);
    nnb_net *net, *back;
    nnbt_ok(nnb_net_create_dtype(&net, 12, dt));
    nnbt_ok(nnb_net_set_input_shape(net, 3, 2, 2));
    nnbt_ok(nnb_net_add_dense(net, 5, NNB_ACT_LEAKY_RELU, 1));
    nnbt_ok(nnb_net_set_leaky_slope(net, 0, 0.2));
    nnbt_ok(nnb_net_add_dense(net, 2, NNB_ACT_SOFTMAX, 0));
    nnbt_ok(nnb_net_init(net, NNB_INIT_HE_NORMAL, 3));
    size_t len, c, h, w;
    unsigned char *b = model_bytes(net, 0, &len);
    ck_assert_uint_eq(b[10], 2); /* format version 1.2 */
    size_t at = find_tag(b, len, "LAYR");
    ck_assert_uint_gt(at, 0);
    ck_assert(b[at + 4] == 0 && b[at + 5] == 0 && b[at + 6] == 0 && b[at + 7] == 0); /* flags */
    nnbt_ok(nnb_model_read_buffer(&back, NULL, NULL, b, len));
    nnbt_ok(nnb_net_get_input_shape(back, &c, &h, &w));
    ck_assert(c == 3 && h == 2 && w == 2);
    ck_assert_str_eq(nnb_net_layer_kind(back, 0), "dense");
    double x[2 * 12], o1[4], o2[4], o3[4]; /* x has negative values: the slope 0.2 matters */
    for (size_t i = 0; i < 24; i++) x[i] = sin((double)i);
    nnbt_ok(nnb_net_predict(net, x, 2, 12, o1, 4));
    nnbt_ok(nnb_net_predict(back, x, 2, 12, o2, 4));
    ck_assert_mem_eq(o1, o2, sizeof o1);
    nnb_net_free(back);
    /* a reader without LAYR skips it: the same network, without the shape */
    memcpy(b + at, "LAYX", 4);
    nnbt_fix_crc(b, len);
    nnbt_ok(nnb_model_read_buffer(&back, NULL, NULL, b, len));
    nnbt_ok(nnb_net_get_input_shape(back, &c, &h, &w));
    ck_assert(c == 12 && h == 1 && w == 1);
    nnbt_ok(nnb_net_predict(back, x, 2, 12, o3, 4));
    ck_assert_mem_eq(o1, o3, sizeof o1);
    nnb_net_free(back);
    free(b);
    nnb_net_free(net);
    /* 12 x 1 x 1 is the default: no shape, the file of a dense network as before */
    nnbt_ok(nnb_net_create_dtype(&net, 12, dt));
    nnbt_ok(nnb_net_set_input_shape(net, 12, 1, 1));
    nnbt_ok(nnb_net_add_dense(net, 2, NNB_ACT_TANH, 1));
    b = model_bytes(net, 0, &len);
    ck_assert_uint_eq(b[10], (unsigned)_i);
    ck_assert_uint_eq(find_tag(b, len, "LAYR"), 0);
    free(b);
    nnb_net_free(net);
}
END_TEST

/* 1x8x8 images: class 0 has a bright 3x3 square in the left half, class 1 in the right half. */
static void squares(size_t rows, double *x, double *y, nnbt_rng *r) {
    for (size_t i = 0; i < rows; i++) {
        int k = (int)(nnbt_uniform(r) * 2);
        size_t top = (size_t)(nnbt_uniform(r) * 6), left = (size_t)(nnbt_uniform(r) * 2) + 4 * k;
        double *img = x + i * 64;
        for (size_t j = 0; j < 64; j++) img[j] = 0.1 * nnbt_normal(r);
        for (size_t a = 0; a < 3; a++)
            for (size_t b = 0; b < 3 && left + b < 8; b++) img[(top + a) * 8 + left + b] += 1;
        y[2 * i] = k == 0, y[2 * i + 1] = k == 1;
    }
}

typedef struct trainer {
    nnb_optimizer opt;
    double lr, dropout, decay, clip_norm, clip_value;
    nnb_schedule schedule;
} trainer;

static const trainer trainers[] = {
    {NNB_OPT_ADAM, 0.01, 0, 0, 0, 0, NNB_SCHED_CONSTANT},
    {NNB_OPT_SGD, 0.1, 0, 0, 0, 0, NNB_SCHED_COSINE},
    {NNB_OPT_MOMENTUM, 0.05, 0.2, 1e-4, 0, 0, NNB_SCHED_CONSTANT},
    {NNB_OPT_NESTEROV, 0.05, 0, 0, 1.0, 0, NNB_SCHED_EXPONENTIAL},
    {NNB_OPT_ADAMW, 0.01, 0.1, 1e-3, 0, 0.5, NNB_SCHED_CONSTANT},
    {NNB_OPT_RMSPROP, 0.005, 0, 0, 0, 0, NNB_SCHED_STEP},
};
#define N_TRAINERS (sizeof trainers / sizeof trainers[0])

START_TEST(cnn_learns_with_every_optimiser) {
    const trainer *tr = &trainers[_i / 2];
    nnb_net *net;
    nnbt_ok(nnb_net_create_dtype(&net, 64, nnbt_dtype_of(_i % 2)));
    nnbt_ok(nnb_net_set_input_shape(net, 1, 8, 8));
    nnb_window c = win(3, 1, 1), p = win(2, 2, 0);
    nnbt_ok(nnb_net_add_conv2d(net, 4, &c, NNB_ACT_RELU, 1));
    nnbt_ok(nnb_net_add_maxpool(net, &p));
    nnbt_ok(nnb_net_add_conv2d(net, 4, &c, NNB_ACT_RELU, 1));
    nnbt_ok(nnb_net_add_avgpool(net, &p));
    nnbt_ok(nnb_net_add_dense(net, 2, NNB_ACT_SOFTMAX, 1));
    nnbt_ok(nnb_net_init(net, NNB_INIT_HE_NORMAL, 5));
    enum { ROWS = 256 };
    nnbt_rng r = {41};
    double *x = malloc(ROWS * 64 * sizeof *x), y[ROWS * 2], before, after, acc;
    squares(ROWS, x, y, &r);
    nnb_train_opts *o;
    nnbt_ok(nnb_train_opts_create(&o));
    nnbt_ok(nnb_train_opts_set_optimizer(o, tr->opt, tr->lr));
    nnbt_ok(nnb_train_opts_set_loss(o, NNB_LOSS_CE, NNB_REDUCTION_MEAN));
    nnbt_ok(nnb_train_opts_set_epochs(o, 15));
    nnbt_ok(nnb_train_opts_set_batch_size(o, 16));
    nnbt_ok(nnb_train_opts_set_dropout(o, tr->dropout));
    nnbt_ok(nnb_train_opts_set_weight_decay(o, tr->decay));
    nnbt_ok(nnb_train_opts_set_clip_norm(o, tr->clip_norm));
    nnbt_ok(nnb_train_opts_set_clip_value(o, tr->clip_value));
    double p1 = tr->schedule == NNB_SCHED_STEP          ? 5
                : tr->schedule == NNB_SCHED_EXPONENTIAL ? 0.9
                                                        : 0;
    double p2 = tr->schedule == NNB_SCHED_STEP ? 0.5 : 0;
    nnbt_ok(nnb_train_opts_set_schedule(o, tr->schedule, p1, p2));
    nnbt_ok(
        nnb_net_evaluate(net, x, ROWS, 64, y, 2, NNB_LOSS_CE, NNB_REDUCTION_MEAN, &before, NULL));
    nnbt_ok(nnb_net_train(net, o, x, ROWS, 64, y, 2, NULL));
    nnbt_ok(
        nnb_net_evaluate(net, x, ROWS, 64, y, 2, NNB_LOSS_CE, NNB_REDUCTION_MEAN, &after, &acc));
    ck_assert_msg(after < 0.5 * before && acc > 0.9, "optimiser %d: loss %g -> %g, accuracy %g",
                  (int)tr->opt, before, after, acc);
    nnb_train_opts_free(o);
    free(x);
    nnb_net_free(net);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("cnn");
    TCase *tc = tcase_create("cnn");
    tcase_add_test(tc, issue_network_shapes_and_getters);
    tcase_add_test(tc, same_padding_is_resolved);
    tcase_add_test(tc, hostile_shapes_are_refused_and_change_nothing);
    tcase_add_test(tc, layer_specs_in_words);
    tcase_add_loop_test(tc, dense_sees_the_flattened_channel_major_output, 0, 2);
    tcase_add_test(tc, cnn_gradient_matches_finite_differences);
    tcase_add_test(tc, conv_output_layer_gradient);
    tcase_add_test(tc, winograd_forward_and_gradient);
    tcase_add_test(tc, float32_follows_float64);
    tcase_add_loop_test(tc, model_files_keep_cnns, 0, 2);
    tcase_add_test(tc, older_readers_and_damage_are_refused);
    tcase_add_loop_test(tc, dense_networks_keep_their_input_shape, 0, 2);
    tcase_add_loop_test(tc, cnn_learns_with_every_optimiser, 0, 2 * (int)N_TRAINERS);
    suite_add_tcase(s, tc);
    return s;
}

NNBT_MAIN(suite, 0)
