/*
 * The element type of a network and the entry points across types: creating a float32 network,
 * converting a network to the other type, the float (_f32) entry points, and the double entry
 * points on a float32 network (net.c's functions hand those over here). Data whose type differs
 * from the network's is converted a block of rows at a time, never as a whole.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "train_internal.h"

/* Rows per block when converting data for prediction and evaluation (a few MiB of scratch). */
static size_t block_rows(const nnb_net *net, size_t rows, size_t per_elem) {
    size_t per_row = net->n_inputs + 2 * nnb_net_n_outputs(net);
    for (size_t l = 0; l < net->n_layers; l++) per_row += 3 * net->layers[l].n_out;
    size_t block = ((size_t)32 << 20) / (per_row * per_elem);
    if (block < 64) block = 64;
    return block > rows ? rows : block;
}

static int is32(const nnb_net *net) { return net && net->dtype == NNB_F32; }

/* ---- the type ------------------------------------------------------------------------------ */

NNB_API nnb_dtype nnb_net_dtype(const nnb_net *net) { return is32(net) ? NNB_F32 : NNB_F64; }

static nnb_status set_type(nnb_net *net, nnb_dtype dtype, const char *func) {
    if (dtype == NNB_F64) return NNB_OK;
    const nnbi_kernels_f32 *k = nnbi_kernels_f32_get();
    if (k == NULL) return nnbi_error(NNB_E_UNSUPPORTED, func, "%s", nnbi_kernels_error());
    net->dtype = NNB_F32;
    net->k32 = k;
    return NNB_OK;
}

NNB_API nnb_status nnb_net_create_dtype(nnb_net **out, size_t n_inputs, nnb_dtype dtype) {
    NNBI_CHECK_NULL(out, __func__);
    *out = NULL;
    if (dtype != NNB_F64 && dtype != NNB_F32)
        return nnbi_error(NNB_E_INVALID_ARG, __func__, "unknown dtype %d", (int)dtype);
    nnb_net *net;
    nnb_status st = nnb_net_create(&net, n_inputs);
    if (st == NNB_OK) st = set_type(net, dtype, __func__);
    if (st != NNB_OK) {
        nnb_net_free(net);
        return st;
    }
    *out = net;
    return NNB_OK;
}

nnb_status nnbi_arena32_grow(nnb_net *net, size_t new_n, const char *func) {
    float *params = realloc(net->params32, (new_n ? new_n : 1) * sizeof *params);
    if (!params) return nnbi_error(NNB_E_NOMEM, func, "no memory for %zu parameters", new_n);
    net->params32 = params;
    float *grads = realloc(net->grads32, (new_n + NNBI_GRAD_EXTRA) * sizeof *grads);
    if (!grads) return nnbi_error(NNB_E_NOMEM, func, "no memory for %zu gradients", new_n);
    net->grads32 = grads;
    memset(net->grads32 + net->n_params, 0, (new_n + NNBI_GRAD_EXTRA - net->n_params) * sizeof *grads);
    return NNB_OK;
}

/* Copies (converting) n values between arrays of either type. */
static void copy_any(void *dst, int dst32, const void *src, int src32, size_t n) {
    if (n) nnbi_gather_rows(dst, dst32, src, src32, NULL, 1, n);
}

static const void *params_of(const nnb_net *net) {
    return is32(net) ? (const void *)net->params32 : (const void *)net->params;
}
static const void *grads_of(const nnb_net *net) {
    return is32(net) ? (const void *)net->grads32 : (const void *)net->grads;
}

/* The optimiser state of src into dst (same parameter count, dst's moments unallocated). */
static nnb_status copy_opt(nnb_net *dst, const nnb_net *src, const char *func) {
    const nnbi_opt_state *s = &src->opt;
    nnbi_opt_state *d = &dst->opt;
    int s32 = is32(src), d32 = is32(dst);
    const void *sm = s32 ? (const void *)s->m32 : (const void *)s->m;
    const void *sv = s32 ? (const void *)s->v32 : (const void *)s->v;
    size_t es = d32 ? sizeof(float) : sizeof(double), n = s->n ? s->n : 1;
    void *m = sm ? malloc(n * es) : NULL, *v = sv ? malloc(n * es) : NULL;
    /* the early-stopping watch's best weights (doubles in either type): a copy of its own */
    size_t nb = src->n_params ? src->n_params : 1;
    double *best = s->es.params ? malloc(nb * sizeof *best) : NULL;
    if ((sm && !m) || (sv && !v) || (s->es.params && !best)) {
        free(m), free(v), free(best);
        return nnbi_error(NNB_E_NOMEM, func, "no memory for the optimiser state");
    }
    if (m) copy_any(m, d32, sm, s32, s->n);
    if (v) copy_any(v, d32, sv, s32, s->n);
    if (best) memcpy(best, s->es.params, src->n_params * sizeof *best);
    *d = *s;
    d->m = d->v = NULL;
    d->m32 = d->v32 = NULL;
    d->es.params = best;
    if (d32) d->m32 = m, d->v32 = v;
    else d->m = m, d->v = v;
    return NNB_OK;
}

NNB_API nnb_status nnb_net_copy(nnb_net **out, const nnb_net *src, nnb_dtype dtype) {
    NNBI_CHECK_NULL(out, __func__);
    *out = NULL;
    NNBI_CHECK_NULL(src, __func__);
    if (dtype != NNB_F64 && dtype != NNB_F32)
        return nnbi_error(NNB_E_INVALID_ARG, __func__, "unknown dtype %d", (int)dtype);
    for (size_t i = 0; i < src->n_params; i++) { /* written through the borrowed arena? */
        double v = is32(src) ? (double)src->params32[i] : src->params[i];
        if (!isfinite(v) || (dtype == NNB_F32 && fabs(v) > NNBI_F32_MAX))
            return nnbi_error(NNB_E_NONFINITE, __func__, "parameter %zu (%g) is %s", i, v,
                              isfinite(v) ? "beyond float32's range" : "not finite");
    }
    nnb_net *net;
    nnb_status st = nnb_net_create_dtype(&net, src->n_inputs, dtype);
    if (st != NNB_OK) return st;
    net->layers = malloc((src->n_layers ? src->n_layers : 1) * sizeof *net->layers);
    if (!net->layers) {
        st = nnbi_error(NNB_E_NOMEM, __func__, "no memory for %zu layers", src->n_layers);
        goto fail;
    }
    if (src->n_layers) memcpy(net->layers, src->layers, src->n_layers * sizeof *net->layers);
    net->n_layers = net->cap_layers = src->n_layers;
    size_t np = src->n_params, es = dtype == NNB_F32 ? sizeof(float) : sizeof(double);
    if (dtype == NNB_F32) {
        st = nnbi_arena32_grow(net, np, __func__);
    } else {
        net->params = malloc((np ? np : 1) * es);
        net->grads = calloc(np + NNBI_GRAD_EXTRA, es);
        if (!net->params || !net->grads)
            st = nnbi_error(NNB_E_NOMEM, __func__, "no memory for %zu parameters", np);
    }
    if (st != NNB_OK) goto fail;
    net->n_params = np;
    copy_any(dtype == NNB_F32 ? (void *)net->params32 : (void *)net->params, dtype == NNB_F32,
             params_of(src), is32(src), np);
    net->rng = src->rng;
    net->check_finite = src->check_finite;
    st = copy_opt(net, src, __func__);
    if (st != NNB_OK) goto fail;
    *out = net;
    return NNB_OK;
fail:
    nnb_net_free(net);
    return st;
}

/* ---- parameters ------------------------------------------------------------------------------ */

static nnb_status check_len(const nnb_net *net, size_t len, const char *what, const char *func) {
    if (len != net->n_params)
        return nnbi_error(NNB_E_SHAPE, func, "%s has %zu values, the network has %zu parameters",
                          what, len, net->n_params);
    return NNB_OK;
}

/* Copies the parameters (or the gradient) out of the network into dst of type dst32. */
nnb_status nnbi_arena_get(const nnb_net *net, int grads, void *dst, int dst32, size_t len,
                          const char *func) {
    NNBI_CHECK_NULL(net, func);
    if (len && !dst) return nnbi_error(NNB_E_NULL, func, "dst is NULL");
    nnb_status st = check_len(net, len, "dst", func);
    if (st == NNB_OK) copy_any(dst, dst32, grads ? grads_of(net) : params_of(net), is32(net), len);
    return st;
}

/* Copies src of type src32 into the parameters, after checking it is finite (and, for a float32
 * network, within float32's range). */
nnb_status nnbi_arena_set(nnb_net *net, const void *src, int src32, size_t len, const char *func) {
    NNBI_CHECK_NULL(net, func);
    if (len && !src) return nnbi_error(NNB_E_NULL, func, "src is NULL");
    nnb_status st = check_len(net, len, "src", func);
    if (st != NNB_OK) return st;
    for (size_t i = 0; i < len; i++) {
        double v = src32 ? (double)((const float *)src)[i] : ((const double *)src)[i];
        if (!isfinite(v) || (is32(net) && fabs(v) > NNBI_F32_MAX))
            return nnbi_error(NNB_E_NONFINITE, func, "src[%zu] is %g", i, v);
    }
    copy_any(is32(net) ? (void *)net->params32 : (void *)net->params, is32(net), src, src32, len);
    return NNB_OK;
}

NNB_API nnb_status nnb_net_params_get_f32(const nnb_net *net, float *dst, size_t len) {
    return nnbi_arena_get(net, 0, dst, 1, len, __func__);
}

NNB_API nnb_status nnb_net_params_set_f32(nnb_net *net, const float *src, size_t len) {
    return nnbi_arena_set(net, src, 1, len, __func__);
}

NNB_API float *nnb_net_params_data_f32(nnb_net *net, size_t *len) {
    if (len) *len = net ? net->n_params : 0;
    if (!is32(net) || net->n_params == 0) return NULL;
    return net->params32;
}

NNB_API nnb_status nnb_net_grad_get_f32(const nnb_net *net, float *dst, size_t len) {
    return nnbi_arena_get(net, 1, dst, 1, len, __func__);
}

/* ---- forward, predict ------------------------------------------------------------------------ */

static nnb_status check_out(const nnb_net *net, const void *out, size_t rows, size_t out_len,
                            const char *func) {
    NNBI_CHECK_NULL(out, func);
    size_t n_out = net->layers[net->n_layers - 1].n_out;
    if (out_len / n_out < rows)
        return nnbi_error(NNB_E_SHAPE, func, "out_len is %zu; %zu rows x %zu outputs need %zu",
                          out_len, rows, n_out, rows * n_out);
    return NNB_OK;
}

/* Forward of a float32 network on x of either type into out of either type (out32), through
 * ws (reserved for rows, with input buffers when x is double). */
static void forward_on32(const nnb_net *net, nnbi_ws32 *ws, nnbi_src x, size_t r0, size_t rows,
                         void *out, int out32) {
    const float *xb = x.f ? x.f + r0 * net->n_inputs : ws->xin;
    if (!x.f) nnbi_f64_to_f32(x.d + r0 * net->n_inputs, ws->xin, rows * net->n_inputs);
    nnbi_forward32(net, ws, xb, rows, NULL);
    size_t no = nnb_net_n_outputs(net);
    copy_any(out32 ? (void *)((float *)out + r0 * no) : (void *)((double *)out + r0 * no), out32,
             ws->act[net->n_layers - 1], 1, rows * no);
}

nnb_status nnbi_forward_f64_on32(nnb_net *net, const double *x, size_t rows, size_t x_cols,
                                 double *out, size_t out_len) {
    const char *func = "nnb_net_forward";
    nnb_status st = nnbi_check_x(net, x, rows, x_cols, func);
    if (st == NNB_OK) st = check_out(net, out, rows, out_len, func);
    if (st == NNB_OK) st = nnbi_ws32_reserve(net, &net->ws32, rows, 1, 1, func);
    if (st == NNB_OK) forward_on32(net, &net->ws32, (nnbi_src){x, NULL}, 0, rows, out, 0);
    return st;
}

/* Predicts through a private float32 workspace, a block of rows at a time. */
static nnb_status predict_on32(const nnb_net *net, nnbi_src x, size_t rows, void *out, int out32,
                               const char *func) {
    size_t block = block_rows(net, rows, sizeof(float));
    nnbi_ws32 ws = {0};
    nnb_status st = nnbi_ws32_reserve(net, &ws, block, 0, x.f == NULL, func);
    if (st != NNB_OK) return st;
    for (size_t r0 = 0; r0 < rows; r0 += block)
        forward_on32(net, &ws, x, r0, rows - r0 < block ? rows - r0 : block, out, out32);
    nnbi_ws32_free(&ws);
    return NNB_OK;
}

nnb_status nnbi_predict_f64_on32(const nnb_net *net, const double *x, size_t rows, size_t x_cols,
                                 double *out, size_t out_len) {
    const char *func = "nnb_net_predict";
    nnb_status st = nnbi_check_x(net, x, rows, x_cols, func);
    if (st == NNB_OK) st = check_out(net, out, rows, out_len, func);
    if (st == NNB_OK) st = predict_on32(net, (nnbi_src){x, NULL}, rows, out, 0, func);
    return st;
}

/* Float data through a float64 network: a private double workspace and one block of converted
 * rows at a time. */
static nnb_status predict_f32_on64(const nnb_net *net, const float *x, size_t rows, float *out,
                                   const char *func) {
    size_t ni = net->n_inputs, no = nnb_net_n_outputs(net);
    size_t block = block_rows(net, rows, sizeof(double));
    nnbi_ws ws = {0};
    nnb_status st = nnbi_ws_reserve(net, &ws, block, 0, func);
    if (st != NNB_OK) return st;
    double *xd = malloc(block * ni * sizeof *xd);
    if (!xd) {
        nnbi_ws_free(&ws);
        return nnbi_error(NNB_E_NOMEM, func, "no memory for %zu rows", block);
    }
    for (size_t r0 = 0; r0 < rows; r0 += block) {
        size_t nr = rows - r0 < block ? rows - r0 : block;
        nnbi_f32_to_f64(x + r0 * ni, xd, nr * ni);
        nnbi_forward(net, &ws, xd, nr, NULL);
        nnbi_f64_to_f32(ws.act[net->n_layers - 1], out + r0 * no, nr * no);
    }
    free(xd);
    nnbi_ws_free(&ws);
    return NNB_OK;
}

NNB_API nnb_status nnb_net_forward_f32(nnb_net *net, const float *x, size_t rows, size_t x_cols,
                                       float *out, size_t out_len) {
    nnb_status st = nnbi_check_x32(net, x, rows, x_cols, __func__);
    if (st == NNB_OK) st = check_out(net, out, rows, out_len, __func__);
    if (st != NNB_OK) return st;
    if (!is32(net)) return predict_f32_on64(net, x, rows, out, __func__);
    st = nnbi_ws32_reserve(net, &net->ws32, rows, 1, 0, __func__);
    if (st == NNB_OK) forward_on32(net, &net->ws32, (nnbi_src){NULL, x}, 0, rows, out, 1);
    return st;
}

NNB_API nnb_status nnb_net_predict_f32(const nnb_net *net, const float *x, size_t rows,
                                       size_t x_cols, float *out, size_t out_len) {
    nnb_status st = nnbi_check_x32(net, x, rows, x_cols, __func__);
    if (st == NNB_OK) st = check_out(net, out, rows, out_len, __func__);
    if (st != NNB_OK) return st;
    if (!is32(net)) return predict_f32_on64(net, x, rows, out, __func__);
    return predict_on32(net, (nnbi_src){NULL, x}, rows, out, 1, __func__);
}

/* ---- loss, backprop -------------------------------------------------------------------------- */

/* Loss and (want_grad) gradient of a float32 network on a batch of either type. */
static nnb_status backprop_on32(nnb_net *net, nnbi_src x, nnbi_src y, size_t rows, size_t x_cols,
                                size_t y_cols, nnb_loss loss, nnb_reduction red, double *loss_out,
                                void *grad, int grad32, size_t grad_len, int want_grad,
                                const char *func) {
    nnb_status st = nnbi_check_src(net, x, y, rows, x_cols, y_cols, func);
    if (st == NNB_OK) st = nnbi_check_loss(net, loss, red, func);
    if (st == NNB_OK && grad && grad_len != net->n_params)
        st = check_len(net, grad_len, "grad", func);
    if (st == NNB_OK) st = nnbi_ws32_reserve(net, &net->ws32, rows, 1, !x.f || !y.f, func);
    if (st != NNB_OK) return st;
    const float *xb, *yb;
    nnbi_batch32(net, &net->ws32, x, y, NULL, 0, rows, &xb, &yb);
    nnbi_forward32(net, &net->ws32, xb, rows, NULL);
    double l = nnbi_output_delta32(net, &net->ws32, yb, rows, loss, red, want_grad, rows);
    if (want_grad) nnbi_backward32(net, &net->ws32, xb, rows, net->grads32);
    if (loss_out) *loss_out = l;
    if (want_grad && grad) copy_any(grad, grad32, net->grads32, 1, grad_len);
    return NNB_OK;
}

nnb_status nnbi_backprop_f64_on32(nnb_net *net, const double *x, size_t rows, size_t x_cols,
                                  const double *y, size_t y_cols, nnb_loss loss,
                                  nnb_reduction red, double *loss_out, double *grad,
                                  size_t grad_len, int want_grad) {
    return backprop_on32(net, (nnbi_src){x, NULL}, (nnbi_src){y, NULL}, rows, x_cols, y_cols, loss,
                         red, loss_out, grad, 0, grad_len, want_grad,
                         want_grad ? "nnb_net_backprop" : "nnb_net_loss");
}

/* Float data on a float64 network: the batch converted to double. */
static nnb_status backprop_f32_on64(nnb_net *net, const float *x, size_t rows, size_t x_cols,
                                    const float *y, size_t y_cols, nnb_loss loss,
                                    nnb_reduction red, double *loss_out, float *grad,
                                    size_t grad_len, int want_grad, const char *func) {
    nnb_status st = nnbi_check_src(net, (nnbi_src){NULL, x}, (nnbi_src){NULL, y}, rows, x_cols,
                                   y_cols, func);
    if (st == NNB_OK && want_grad && grad) st = check_len(net, grad_len, "grad", func);
    if (st != NNB_OK) return st;
    double *xd = malloc(rows * x_cols * sizeof *xd), *yd = malloc(rows * y_cols * sizeof *yd);
    if (!xd || !yd) {
        free(xd), free(yd);
        return nnbi_error(NNB_E_NOMEM, func, "no memory for a batch of %zu rows", rows);
    }
    nnbi_f32_to_f64(x, xd, rows * x_cols);
    nnbi_f32_to_f64(y, yd, rows * y_cols);
    if (want_grad)
        st = nnb_net_backprop(net, xd, rows, x_cols, yd, y_cols, loss, red, loss_out, NULL, 0);
    else
        st = nnb_net_loss(net, xd, rows, x_cols, yd, y_cols, loss, red, loss_out);
    free(xd), free(yd);
    if (st == NNB_OK && want_grad && grad) nnbi_f64_to_f32(net->grads, grad, grad_len);
    return st;
}

NNB_API nnb_status nnb_net_loss_f32(nnb_net *net, const float *x, size_t rows, size_t x_cols,
                                    const float *y, size_t y_cols, nnb_loss loss,
                                    nnb_reduction reduction, double *loss_out) {
    NNBI_CHECK_NULL(net, __func__);
    NNBI_CHECK_NULL(loss_out, __func__);
    if (!is32(net))
        return backprop_f32_on64(net, x, rows, x_cols, y, y_cols, loss, reduction, loss_out, NULL,
                                 0, 0, __func__);
    return backprop_on32(net, (nnbi_src){NULL, x}, (nnbi_src){NULL, y}, rows, x_cols, y_cols, loss,
                         reduction, loss_out, NULL, 1, 0, 0, __func__);
}

NNB_API nnb_status nnb_net_backprop_f32(nnb_net *net, const float *x, size_t rows, size_t x_cols,
                                        const float *y, size_t y_cols, nnb_loss loss,
                                        nnb_reduction reduction, double *loss_out, float *grad,
                                        size_t grad_len) {
    NNBI_CHECK_NULL(net, __func__);
    if (!is32(net))
        return backprop_f32_on64(net, x, rows, x_cols, y, y_cols, loss, reduction, loss_out, grad,
                                 grad_len, 1, __func__);
    return backprop_on32(net, (nnbi_src){NULL, x}, (nnbi_src){NULL, y}, rows, x_cols, y_cols, loss,
                         reduction, loss_out, grad, 1, grad_len, 1, __func__);
}

/* ---- evaluation ------------------------------------------------------------------------------ */

static void finish_eval(const nnb_net *net, double sum, size_t hit, size_t rows, nnb_reduction red,
                        double *loss_out, double *accuracy_out) {
    if (loss_out) *loss_out = red == NNB_REDUCTION_MEAN ? sum / (double)rows : sum;
    if (accuracy_out) *accuracy_out = nnbi_has_accuracy(net) ? (double)hit / (double)rows : NAN;
}

nnb_status nnbi_evaluate_on32(const nnb_net *net, nnbi_src x, nnbi_src y, size_t rows,
                              size_t x_cols, size_t y_cols, nnb_loss loss, nnb_reduction red,
                              double *loss_out, double *accuracy_out, const char *func) {
    nnb_status st = nnbi_check_src(net, x, y, rows, x_cols, y_cols, func);
    if (st == NNB_OK) st = nnbi_check_loss(net, loss, red, func);
    if (st != NNB_OK) return st;
    size_t block = block_rows(net, rows, sizeof(float));
    nnbi_ws32 ws = {0};
    st = nnbi_ws32_reserve(net, &ws, block, 1, !x.f || !y.f, func);
    if (st != NNB_OK) return st;
    double sum;
    size_t hit;
    nnbi_eval32(net, &ws, block, x, y, NULL, 0, rows, loss, &sum, &hit);
    nnbi_ws32_free(&ws);
    finish_eval(net, sum, hit, rows, red, loss_out, accuracy_out);
    return NNB_OK;
}

/* Float data on a float64 network, a converted block at a time. */
static nnb_status evaluate_f32_on64(const nnb_net *net, const float *x, size_t rows,
                                    size_t x_cols, const float *y, size_t y_cols, nnb_loss loss,
                                    nnb_reduction red, double *loss_out, double *accuracy_out,
                                    const char *func) {
    nnb_status st = nnbi_check_src(net, (nnbi_src){NULL, x}, (nnbi_src){NULL, y}, rows, x_cols,
                                   y_cols, func);
    if (st == NNB_OK) st = nnbi_check_loss(net, loss, red, func);
    if (st != NNB_OK) return st;
    size_t block = block_rows(net, rows, sizeof(double));
    nnbi_ws ws = {0};
    st = nnbi_ws_reserve(net, &ws, block, 1, func);
    if (st != NNB_OK) return st;
    double *xd = malloc(block * (x_cols + y_cols) * sizeof *xd);
    if (!xd) {
        nnbi_ws_free(&ws);
        return nnbi_error(NNB_E_NOMEM, func, "no memory for %zu rows", block);
    }
    double *yd = xd + block * x_cols, sum = 0;
    size_t hit = 0;
    for (size_t r0 = 0; r0 < rows; r0 += block) {
        size_t nr = rows - r0 < block ? rows - r0 : block;
        nnbi_f32_to_f64(x + r0 * x_cols, xd, nr * x_cols);
        nnbi_f32_to_f64(y + r0 * y_cols, yd, nr * y_cols);
        nnbi_forward(net, &ws, xd, nr, NULL);
        sum += nnbi_output_delta(net, &ws, yd, nr, loss, NNB_REDUCTION_SUM, 0, nr);
        hit += nnbi_count_correct(ws.act[net->n_layers - 1], yd, nr, y_cols);
    }
    free(xd);
    nnbi_ws_free(&ws);
    finish_eval(net, sum, hit, rows, red, loss_out, accuracy_out);
    return NNB_OK;
}

NNB_API nnb_status nnb_net_evaluate_f32(const nnb_net *net, const float *x, size_t rows,
                                        size_t x_cols, const float *y, size_t y_cols,
                                        nnb_loss loss, nnb_reduction reduction, double *loss_out,
                                        double *accuracy_out) {
    NNBI_CHECK_NULL(net, __func__);
    if (!is32(net))
        return evaluate_f32_on64(net, x, rows, x_cols, y, y_cols, loss, reduction, loss_out,
                                 accuracy_out, __func__);
    return nnbi_evaluate_on32(net, (nnbi_src){NULL, x}, (nnbi_src){NULL, y}, rows, x_cols, y_cols,
                              loss, reduction, loss_out, accuracy_out, __func__);
}
