/*
 * The entry points that run a network on a caller's data, in both element types of the API:
 * forward, predict, loss, backprop, evaluate and their _f32 forms. One function each does the
 * work for data of either type on a network of either type: data of the network's type is read in
 * place, data of the other type is converted a block of rows at a time into the workspace.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "interrupt.h"
#include "nnb_internal.h"

/* Rows per block when a large input is processed in blocks (prediction, evaluation), a workspace
 * near 32 MiB. Float64 data on a float64 network: x_cols inputs and per_unit values per unit of
 * every layer. Other pairs: the inputs, two rows of outputs and three values per unit, in the
 * network's element size. At least 64 rows, at most rows. */
static size_t block_rows(const nnb_net *net, nnbi_src x, size_t x_cols, size_t per_unit,
                         size_t rows) {
    if (net->dtype == NNB_F64 && x.t == NNB_F64) {
        double per_row = (double)x_cols; /* in doubles; a double cannot wrap */
        for (size_t l = 0; l < net->n_layers; l++)
            per_row += (double)per_unit * (double)net->layers[l].n_out;
        double fit = (double)((size_t)32 << 20) / (per_row * (double)sizeof(double));
        size_t block = fit < 64 ? 64 : fit > (double)rows ? rows : (size_t)fit;
        return block < rows ? block : rows;
    }
    size_t per_row = net->n_inputs + 2 * nnbi_n_outputs(net);
    for (size_t l = 0; l < net->n_layers; l++) per_row += 3 * net->layers[l].n_out;
    size_t block = ((size_t)32 << 20) / (per_row * net->t->size);
    if (block < 64) block = 64;
    return block > rows ? rows : block;
}

static nnb_status check_out(const nnb_net *net, const void *out, size_t rows, size_t out_len,
                            const char *func) {
    NNBI_CHECK_NULL(out, func);
    size_t n_out = nnbi_n_outputs(net);
    if (out_len / n_out < rows)
        return nnbi_error(NNB_E_SHAPE, func, "out_len is %zu; %zu rows x %zu outputs need %zu",
                          out_len, rows, n_out, rows * n_out);
    return NNB_OK;
}

/* The forward pass of rows r0 .. r0+n of x through ws, the outputs into out (of type ot). */
static void forward_rows(const nnb_net *net, nnbi_ws *ws, nnbi_src x, size_t r0, size_t n,
                         void *out, nnb_dtype ot) {
    const void *xb;
    nnbi_batch(net, ws, x, (nnbi_src){NULL, net->dtype}, NULL, r0, n, &xb, NULL);
    nnbi_forward(net, ws, xb, n, NULL);
    size_t no = nnbi_n_outputs(net);
    nnbi_convert(nnbi_at(nnbi_elem_get(ot), out, r0 * no), ot, ws->act[net->n_layers - 1],
                 net->dtype, n * no);
}

/* Prediction through a private workspace, a block of rows at a time. */
static nnb_status predict(const nnb_net *net, nnbi_src x, size_t rows, size_t x_cols, void *out,
                          nnb_dtype ot, size_t out_len, const char *func) {
    nnb_status st = nnbi_check_x(net, x, rows, x_cols, func);
    if (st == NNB_OK) st = check_out(net, out, rows, out_len, func);
    if (st != NNB_OK) return st;
    size_t block = block_rows(net, x, x_cols, 2, rows);
    nnbi_ws ws = {0};
    st = nnbi_ws_reserve(net, &ws, block, 0, x.t != net->dtype, func);
    if (st != NNB_OK) return st;
    for (size_t r0 = 0; r0 < rows; r0 += block) {
        if (nnbi_interrupted()) { /* nnb_set_interrupt_flag: between blocks */
            st = nnbi_interrupt_error(func, "a prediction");
            break;
        }
        forward_rows(net, &ws, x, r0, rows - r0 < block ? rows - r0 : block, out, ot);
    }
    nnbi_ws_free(&ws);
    return st;
}

/* A forward pass on the network's own workspace (all rows at once). Float data on a float64
 * network goes through prediction's blocks. */
static nnb_status forward(nnb_net *net, nnbi_src x, size_t rows, size_t x_cols, void *out,
                          nnb_dtype ot, size_t out_len, const char *func) {
    if (net && net->dtype == NNB_F64 && x.t != NNB_F64)
        return predict(net, x, rows, x_cols, out, ot, out_len, func);
    nnb_status st = nnbi_check_x(net, x, rows, x_cols, func);
    if (st == NNB_OK) st = check_out(net, out, rows, out_len, func);
    if (st == NNB_OK) st = nnbi_ws_reserve(net, &net->ws, rows, 1, x.t != net->dtype, func);
    if (st == NNB_OK) forward_rows(net, &net->ws, x, 0, rows, out, ot);
    return st;
}

NNB_API nnb_status nnb_net_forward(nnb_net *net, const double *x, size_t rows, size_t x_cols,
                                   double *out, size_t out_len) {
    return forward(net, nnbi_src_f64(x), rows, x_cols, out, NNB_F64, out_len, __func__);
}

NNB_API nnb_status nnb_net_forward_f32(nnb_net *net, const float *x, size_t rows, size_t x_cols,
                                       float *out, size_t out_len) {
    return forward(net, nnbi_src_f32(x), rows, x_cols, out, NNB_F32, out_len, __func__);
}

NNB_API nnb_status nnb_net_predict(const nnb_net *net, const double *x, size_t rows, size_t x_cols,
                                   double *out, size_t out_len) {
    return predict(net, nnbi_src_f64(x), rows, x_cols, out, NNB_F64, out_len, __func__);
}

NNB_API nnb_status nnb_net_predict_f32(const nnb_net *net, const float *x, size_t rows,
                                       size_t x_cols, float *out, size_t out_len) {
    return predict(net, nnbi_src_f32(x), rows, x_cols, out, NNB_F32, out_len, __func__);
}

/* ---- loss, backprop -------------------------------------------------------------------------- */

/* The loss and (want_grad) the gradient of a batch, on the network's workspace; the gradient
 * copied into grad (type gt, grad_len values) when grad is given. */
static nnb_status backprop(nnb_net *net, nnbi_src x, nnbi_src y, size_t rows, size_t x_cols,
                           size_t y_cols, nnb_loss loss, nnb_reduction red, double *loss_out,
                           void *grad, nnb_dtype gt, size_t grad_len, int want_grad,
                           const char *func) {
    NNBI_CHECK_NULL(net, func);
    if (!want_grad) NNBI_CHECK_NULL(loss_out, func);
    nnb_status st = nnbi_check_x(net, x, rows, x_cols, func);
    if (st == NNB_OK) st = nnbi_check_y(net, y, rows, y_cols, func);
    if (st == NNB_OK) st = nnbi_check_loss(net, loss, red, func);
    if (st == NNB_OK && want_grad && grad && grad_len != net->n_params)
        st = nnbi_error(NNB_E_SHAPE, func, "grad has %zu values, the network has %zu parameters",
                        grad_len, net->n_params);
    int convert = x.t != net->dtype || y.t != net->dtype;
    if (st == NNB_OK) st = nnbi_ws_reserve(net, &net->ws, rows, 1, convert, func);
    if (st != NNB_OK) return st;
    const void *xb, *yb;
    nnbi_batch(net, &net->ws, x, y, NULL, 0, rows, &xb, &yb);
    nnbi_forward(net, &net->ws, xb, rows, NULL);
    double l =
        nnbi_loss_backward(net, &net->ws, xb, yb, rows, loss, red, want_grad ? net->grads : NULL);
    if (loss_out) *loss_out = l;
    if (want_grad && grad) nnbi_convert(grad, gt, net->grads, net->dtype, grad_len);
    return NNB_OK;
}

NNB_API nnb_status nnb_net_loss(nnb_net *net, const double *x, size_t rows, size_t x_cols,
                                const double *y, size_t y_cols, nnb_loss loss,
                                nnb_reduction reduction, double *loss_out) {
    return backprop(net, nnbi_src_f64(x), nnbi_src_f64(y), rows, x_cols, y_cols, loss, reduction,
                    loss_out, NULL, NNB_F64, 0, 0, __func__);
}

NNB_API nnb_status nnb_net_loss_f32(nnb_net *net, const float *x, size_t rows, size_t x_cols,
                                    const float *y, size_t y_cols, nnb_loss loss,
                                    nnb_reduction reduction, double *loss_out) {
    return backprop(net, nnbi_src_f32(x), nnbi_src_f32(y), rows, x_cols, y_cols, loss, reduction,
                    loss_out, NULL, NNB_F32, 0, 0, __func__);
}

NNB_API nnb_status nnb_net_backprop(nnb_net *net, const double *x, size_t rows, size_t x_cols,
                                    const double *y, size_t y_cols, nnb_loss loss,
                                    nnb_reduction reduction, double *loss_out, double *grad,
                                    size_t grad_len) {
    return backprop(net, nnbi_src_f64(x), nnbi_src_f64(y), rows, x_cols, y_cols, loss, reduction,
                    loss_out, grad, NNB_F64, grad_len, 1, __func__);
}

NNB_API nnb_status nnb_net_backprop_f32(nnb_net *net, const float *x, size_t rows, size_t x_cols,
                                        const float *y, size_t y_cols, nnb_loss loss,
                                        nnb_reduction reduction, double *loss_out, float *grad,
                                        size_t grad_len) {
    return backprop(net, nnbi_src_f32(x), nnbi_src_f32(y), rows, x_cols, y_cols, loss, reduction,
                    loss_out, grad, NNB_F32, grad_len, 1, __func__);
}

/* ---- evaluation ------------------------------------------------------------------------------ */

static nnb_status evaluate(const nnb_net *net, nnbi_src x, nnbi_src y, size_t rows, size_t x_cols,
                           size_t y_cols, nnb_loss loss, nnb_reduction red, double *loss_out,
                           double *accuracy_out, const char *func) {
    NNBI_CHECK_NULL(net, func);
    nnb_status st = nnbi_check_x(net, x, rows, x_cols, func);
    if (st == NNB_OK) st = nnbi_check_y(net, y, rows, y_cols, func);
    if (st == NNB_OK) st = nnbi_check_loss(net, loss, red, func);
    if (st != NNB_OK) return st;
    size_t block = block_rows(net, x, x_cols, 3, rows);
    nnbi_ws ws = {0};
    st = nnbi_ws_reserve(net, &ws, block, 1, x.t != net->dtype || y.t != net->dtype, func);
    if (st != NNB_OK) return st;
    double sum;
    size_t hit;
    nnbi_eval(net, &ws, block, x, y, NULL, 0, rows, loss, &sum, &hit);
    nnbi_ws_free(&ws);
    if (loss_out) *loss_out = red == NNB_REDUCTION_MEAN ? sum / (double)rows : sum;
    if (accuracy_out) *accuracy_out = nnbi_has_accuracy(net) ? (double)hit / (double)rows : NAN;
    return NNB_OK;
}

NNB_API nnb_status nnb_net_evaluate(const nnb_net *net, const double *x, size_t rows, size_t x_cols,
                                    const double *y, size_t y_cols, nnb_loss loss,
                                    nnb_reduction reduction, double *loss_out,
                                    double *accuracy_out) {
    return evaluate(net, nnbi_src_f64(x), nnbi_src_f64(y), rows, x_cols, y_cols, loss, reduction,
                    loss_out, accuracy_out, __func__);
}

NNB_API nnb_status nnb_net_evaluate_f32(const nnb_net *net, const float *x, size_t rows,
                                        size_t x_cols, const float *y, size_t y_cols, nnb_loss loss,
                                        nnb_reduction reduction, double *loss_out,
                                        double *accuracy_out) {
    return evaluate(net, nnbi_src_f32(x), nnbi_src_f32(y), rows, x_cols, y_cols, loss, reduction,
                    loss_out, accuracy_out, __func__);
}
