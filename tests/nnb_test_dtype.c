/* Helpers of the tests that run for each element type (nnb_test.h, "both element types"). A file
 * of its own in the test library, so that the tests built without the library do not pull it. */
#include "nnb_test.h"

nnb_net *nnbt_net3(nnb_dtype t, size_t n_in, size_t h, nnb_activation act, size_t n_out,
                   nnb_activation out, uint64_t seed) {
    nnb_net *net;
    nnbt_ok(nnb_net_create_dtype(&net, n_in, t));
    nnbt_ok(nnb_net_add_dense(net, h, act, 1));
    nnbt_ok(nnb_net_add_dense(net, h, act, 1));
    nnbt_ok(nnb_net_add_dense(net, n_out, out, 1));
    nnbt_ok(nnb_net_init(net, NNB_INIT_XAVIER_UNIFORM, seed));
    return net;
}

void nnbt_blobs(size_t rows, float *x, float *y, double *xd, double *yd) {
    nnbt_rng g = {77};
    for (size_t r = 0; r < rows; r++) {
        size_t c = r % 3;
        for (size_t j = 0; j < 20; j++) {
            float v = (float)(nnbt_normal(&g) + (j % 3 == c ? 1.5 : 0.0));
            if (x) x[r * 20 + j] = v;
            if (xd) xd[r * 20 + j] = v;
        }
        for (size_t j = 0; j < 3; j++) {
            if (y) y[r * 3 + j] = j == c ? 1.0f : 0.0f;
            if (yd) yd[r * 3 + j] = j == c;
        }
    }
}

nnb_train_opts *nnbt_adam_opts(size_t epochs, double dropout) {
    nnb_train_opts *o;
    nnbt_ok(nnb_train_opts_create(&o));
    nnbt_ok(nnb_train_opts_set_epochs(o, epochs));
    nnbt_ok(nnb_train_opts_set_batch_size(o, 32));
    nnbt_ok(nnb_train_opts_set_loss(o, NNB_LOSS_CE, NNB_REDUCTION_MEAN));
    nnbt_ok(nnb_train_opts_set_optimizer(o, NNB_OPT_ADAM, 0.01));
    if (dropout > 0) nnbt_ok(nnb_train_opts_set_dropout(o, dropout));
    return o;
}

nnb_status nnbt_train_as(nnb_net *net, const nnb_train_opts *o, nnb_dtype t, const float *x,
                         size_t rows, size_t x_cols, const float *y, size_t y_cols,
                         nnb_history *h) {
    if (t == NNB_F32) return nnb_net_train_f32(net, o, x, rows, x_cols, y, y_cols, h);
    double *xd = malloc(rows * x_cols * sizeof *xd), *yd = malloc(rows * y_cols * sizeof *yd);
    ck_assert(xd && yd);
    for (size_t i = 0; i < rows * x_cols; i++) xd[i] = x[i];
    for (size_t i = 0; i < rows * y_cols; i++) yd[i] = y[i];
    nnb_status st = nnb_net_train(net, o, xd, rows, x_cols, yd, y_cols, h);
    free(xd), free(yd);
    return st;
}

size_t nnbt_params_bytes(const nnb_net *net, void *dst) {
    size_t n = nnb_net_n_params(net);
    if (nnb_net_dtype(net) == NNB_F32)
        nnbt_ok(nnb_net_params_get_f32(net, dst, n));
    else
        nnbt_ok(nnb_net_params_get(net, dst, n));
    return n * (nnb_net_dtype(net) == NNB_F32 ? sizeof(float) : sizeof(double));
}
