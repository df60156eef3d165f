/*
 * Float32 networks: the workspace, the forward and backward passes and the float entry points of
 * a network created with NNB_F32. The passes are net.c's, written over float with the float
 * kernel table and cblas_sgemm (dense.c); losses and other sums come back as double.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nnb_internal.h"

/* ---- conversions ------------------------------------------------------------------------------ */

void nnbi_gather_rows(void *dst, int dst_f32, const void *src, int src_f32, const size_t *idx,
                      size_t n, size_t cols) {
    size_t es = src_f32 ? sizeof(float) : sizeof(double);
    size_t ed = dst_f32 ? sizeof(float) : sizeof(double);
    for (size_t i = 0; i < n; i++) {
        const char *s = (const char *)src + (idx ? idx[i] : i) * cols * es;
        char *d = (char *)dst + i * cols * ed;
        if (src_f32 == dst_f32) memcpy(d, s, cols * es);
        else if (dst_f32) nnbi_f64_to_f32((const double *)(const void *)s, (float *)(void *)d, cols);
        else nnbi_f32_to_f64((const float *)(const void *)s, (double *)(void *)d, cols);
    }
}

/* ---- argument checks ------------------------------------------------------------------------- */

int nnbi_find_nonfinite32(const float *a, size_t rows, size_t cols, size_t *row, size_t *col) {
    size_t n = rows * cols;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(a[i])) {
            if (row) *row = i / cols;
            if (col) *col = i % cols;
            return 1;
        }
    return 0;
}

nnb_status nnbi_check_x32(const nnb_net *net, const float *x, size_t rows, size_t x_cols,
                          const char *func) {
    NNBI_CHECK_NULL(net, func);
    NNBI_CHECK_NULL(x, func);
    if (net->n_layers == 0)
        return nnbi_error(NNB_E_INVALID_ARG, func, "the network has no layers");
    if (rows == 0) return nnbi_error(NNB_E_INVALID_ARG, func, "rows is 0");
    if (rows > NNBI_BLAS_MAX)
        return nnbi_error(NNB_E_TOO_LARGE, func,
                          "%zu rows exceed OpenBLAS's 32-bit limit of %zu; split the batch", rows,
                          NNBI_BLAS_MAX);
    if (x_cols != net->n_inputs)
        return nnbi_error(NNB_E_SHAPE, func, "x has %zu columns, the network expects %zu", x_cols,
                          net->n_inputs);
    size_t r, c;
    if (net->check_finite && nnbi_find_nonfinite32(x, rows, x_cols, &r, &c))
        return nnbi_error(NNB_E_NONFINITE, func, "x[%zu][%zu] is %g", r, c,
                          (double)x[r * x_cols + c]);
    return NNB_OK;
}

nnb_status nnbi_check_y32(const nnb_net *net, const float *y, size_t rows, size_t y_cols,
                          const char *func) {
    NNBI_CHECK_NULL(y, func);
    size_t n_out = net->layers[net->n_layers - 1].n_out;
    if (y_cols != n_out)
        return nnbi_error(NNB_E_SHAPE, func, "y has %zu columns, the network has %zu outputs",
                          y_cols, n_out);
    size_t r, c;
    if (net->check_finite && nnbi_find_nonfinite32(y, rows, y_cols, &r, &c))
        return nnbi_error(NNB_E_NONFINITE, func, "y[%zu][%zu] is %g", r, c,
                          (double)y[r * y_cols + c]);
    return NNB_OK;
}

nnb_status nnbi_check_src(const nnb_net *net, nnbi_src x, nnbi_src y, size_t rows, size_t x_cols,
                          size_t y_cols, const char *func) {
    nnb_status st = x.f ? nnbi_check_x32(net, x.f, rows, x_cols, func)
                        : nnbi_check_x(net, x.d, rows, x_cols, func);
    if (st == NNB_OK)
        st = y.f ? nnbi_check_y32(net, y.f, rows, y_cols, func)
                 : nnbi_check_y(net, y.d, rows, y_cols, func);
    return st;
}

/* ---- workspace ------------------------------------------------------------------------------- */

void nnbi_ws32_free(nnbi_ws32 *ws) {
    free(ws->block);
    free(ws->act);
    free(ws->pre);
    const double *drop = ws->drop;
    memset(ws, 0, sizeof *ws);
    ws->drop = drop;
}

/* Each buffer starts on a 64-byte boundary: sizes are rounded up to 16 floats. */
static size_t round16(size_t n) { return (n + 15) & ~(size_t)15; }

static int drops32(const nnbi_ws32 *ws, size_t l, size_t n_layers) {
    return ws->drop && l + 1 < n_layers && ws->drop[l] > 0.0;
}

/* Carves ws->block into the buffers (sizes as counted by nnbi_ws32_reserve). */
static void ws32_carve(const nnb_net *net, nnbi_ws32 *ws, size_t rows, int with_deltas,
                       int with_input) {
    float *p = ws->block;
    size_t n_out = net->layers[net->n_layers - 1].n_out, width = nnbi_net_max_width(net);
    for (size_t l = 0; l < net->n_layers; l++) {
        size_t n = round16(rows * net->layers[l].n_out);
        ws->act[l] = p;
        p += n;
        if (drops32(ws, l, net->n_layers)) {
            ws->pre[l] = p;
            ws->mask[l] = p + n;
            p += 2 * n;
        }
    }
    ws->z_out = p;
    p += round16(rows * n_out);
    if (with_deltas) {
        ws->dbuf[0] = p;
        p += round16(rows * width);
        ws->dbuf[1] = p;
        p += round16(rows * width);
    }
    if (with_input) {
        ws->xin = p;
        p += round16(rows * net->n_inputs);
        ws->yin = p;
    }
}

nnb_status nnbi_ws32_reserve(const nnb_net *net, nnbi_ws32 *ws, size_t rows, int with_deltas,
                             int with_input, const char *func) {
    int want_drop = ws->drop != NULL;
    if (ws->block && ws->rows >= rows && ws->n_layers == net->n_layers &&
        (ws->dbuf[0] != NULL || !with_deltas) && (ws->xin != NULL || !with_input) &&
        ws->has_dropout == want_drop)
        return NNB_OK;
    /* keep what the workspace had */
    with_deltas = with_deltas || ws->dbuf[0] != NULL;
    with_input = with_input || ws->xin != NULL;
    if (ws->rows > rows && ws->n_layers == net->n_layers) rows = ws->rows;
    size_t per_row = 0, n_buf = net->n_layers + 5;
    for (size_t l = 0; l < net->n_layers; l++) {
        per_row += net->layers[l].n_out;
        if (drops32(ws, l, net->n_layers)) {
            per_row += 2 * net->layers[l].n_out;
            n_buf += 2;
        }
    }
    size_t n_out = net->layers[net->n_layers - 1].n_out, width = nnbi_net_max_width(net);
    per_row += n_out + (with_deltas ? 2 * width : 0) + (with_input ? net->n_inputs + n_out : 0);
    size_t total;
    if (!nnbi_mul_size(rows, per_row, &total) || total > SIZE_MAX / sizeof(float) - 16 * n_buf)
        return nnbi_error(NNB_E_TOO_LARGE, func, "a workspace for %zu rows does not fit in memory",
                          rows);
    total += 16 * n_buf;
    float *block = NULL;
    if (posix_memalign((void **)&block, 64, total * sizeof(float)) != 0) block = NULL;
    float **act = malloc(net->n_layers * sizeof *act);
    float **pre = want_drop ? calloc(2 * net->n_layers, sizeof *pre) : NULL;
    if (!block || !act || (want_drop && !pre)) {
        free(block), free(act), free(pre);
        return nnbi_error(NNB_E_NOMEM, func, "no memory for a workspace of %zu rows (%zu MiB)",
                          rows, total * sizeof(float) >> 20);
    }
    nnbi_ws32_free(ws);
    ws->block = block;
    ws->act = act;
    ws->rows = rows;
    ws->n_layers = net->n_layers;
    ws->has_dropout = want_drop;
    if (want_drop) {
        ws->pre = pre;
        ws->mask = pre + net->n_layers;
    }
    ws32_carve(net, ws, rows, with_deltas, with_input);
    return NNB_OK;
}

/* ---- forward and backward -------------------------------------------------------------------- */

/* Inverted dropout, as net.c's: the same draws, so the same masks as a float64 network. */
static void dropout32(size_t n, double p, const float *in, float *mask, float *out, nnbi_rng *rng) {
    uint64_t threshold = (uint64_t)(p * 0x1.0p53);
    float keep = (float)(1.0 / (1.0 - p));
    for (size_t i = 0; i < n; i++) {
        float m = (nnbi_rng_next(rng) >> 11) < threshold ? 0.0f : keep;
        mask[i] = m;
        out[i] = in[i] * m;
    }
}

void nnbi_forward32(const nnb_net *net, nnbi_ws32 *ws, const float *x, size_t rows, nnbi_rng *rng) {
    const float *in = x;
    for (size_t l = 0; l < net->n_layers; l++) {
        const nnbi_layer *L = &net->layers[l];
        int last = l + 1 == net->n_layers, drop = rng && drops32(ws, l, net->n_layers);
        float *z = last ? ws->z_out : drop ? ws->pre[l] : ws->act[l];
        float *a = drop ? ws->pre[l] : ws->act[l];
        nnbi_dense_forward32(L, net->params32, in, rows, z);
        net->k32->bias_act(L->act, L->alpha, rows, L->n_out, z,
                           L->has_bias ? net->params32 + L->b_off : NULL, a);
        if (drop) dropout32(rows * L->n_out, ws->drop[l], a, ws->mask[l], ws->act[l], rng);
        in = ws->act[l];
    }
}

double nnbi_output_delta32(const nnb_net *net, nnbi_ws32 *ws, const float *y, size_t rows,
                           nnb_loss loss, nnb_reduction red, int want_delta, size_t mean_rows) {
    const nnbi_kernels_f32 *k = net->k32;
    const nnbi_layer *out = &net->layers[net->n_layers - 1];
    size_t n_out = out->n_out, n = rows * n_out;
    const float *yhat = ws->act[net->n_layers - 1];
    float *d = ws->dbuf[0];
    double red_scale = red == NNB_REDUCTION_MEAN ? 1.0 / (double)mean_rows : 1.0;
    double raw, loss_scale, dscale;
    switch (loss) {
    case NNB_LOSS_SSE:
    case NNB_LOSS_MSE:
        loss_scale = loss == NNB_LOSS_SSE ? 0.5 : 1.0 / (double)n_out;
        dscale = (loss == NNB_LOSS_SSE ? 1.0 : 2.0 / (double)n_out) * red_scale;
        if (out->act == NNB_ACT_SIGMOID) {
            raw = k->delta_se_sigmoid(n, yhat, y, dscale, d);
        } else {
            raw = k->delta_se(n, yhat, y, dscale, d);
            if (out->act != NNB_ACT_IDENTITY && want_delta)
                k->act_backward(out->act, out->alpha, rows, n_out, yhat, d);
        }
        break;
    case NNB_LOSS_BCE:
        loss_scale = 1.0 / (double)n_out;
        raw = k->delta_bce_sigmoid(n, ws->z_out, yhat, y, loss_scale * red_scale, d);
        break;
    default: /* NNB_LOSS_CE */
        loss_scale = 1.0;
        raw = k->delta_ce_softmax(rows, n_out, ws->z_out, yhat, y, red_scale, d);
        break;
    }
    return raw * loss_scale * red_scale;
}

static void input_delta32(const nnb_net *net, const nnbi_ws32 *ws, size_t l, const float *d,
                          float *dx, size_t rows) {
    const nnbi_layer *L = &net->layers[l], *P = &net->layers[l - 1];
    nnbi_dense_backward_input32(L, net->params32, d, rows, dx);
    const float *a = ws->act[l - 1];
    if (ws->drop && drops32(ws, l - 1, net->n_layers) && ws->has_dropout) {
        const float *m = ws->mask[l - 1];
        size_t n = rows * P->n_out;
        for (size_t i = 0; i < n; i++) dx[i] *= m[i];
        a = ws->pre[l - 1];
    }
    if (P->act != NNB_ACT_IDENTITY) net->k32->act_backward(P->act, P->alpha, rows, P->n_out, a, dx);
}

void nnbi_backward32(const nnb_net *net, nnbi_ws32 *ws, const float *x, size_t rows, float *grad) {
    int cur = 0;
    for (size_t l = net->n_layers; l-- > 0;) {
        const float *in = l == 0 ? x : ws->act[l - 1];
        nnbi_dense_backward_params32(net->k32, &net->layers[l], ws->dbuf[cur], in, rows, grad);
        if (l == 0) break;
        input_delta32(net, ws, l, ws->dbuf[cur], ws->dbuf[1 - cur], rows);
        cur = 1 - cur;
    }
}

/* Layer l's gradient for nnbi_backward_ready32 (net.c's layer_grad_ready over float): whole
 * (blk 0) or in row blocks from the last rows, each announced when computed; rows 0 announces
 * zeros. Returns ready's first non-zero return. */
static int layer_grad_ready32(const nnb_net *net, size_t l, const float *d, const float *in,
                              size_t rows, float *grad, nnb_grad_ready_f32_fn ready, void *data,
                              size_t blk) {
    const nnbi_layer *L = &net->layers[l];
    size_t end = L->b_off + (L->has_bias ? L->n_out : 0);
    if (blk == 0 || blk >= L->n_out) {
        if (rows > 0) nnbi_dense_backward_params32(net->k32, L, d, in, rows, grad);
        else memset(grad + L->w_off, 0, (end - L->w_off) * sizeof *grad);
        return ready(grad, L->w_off, end - L->w_off, data);
    }
    if (rows > 0 && L->has_bias) net->k32->col_sum(rows, L->n_out, d, grad + L->b_off);
    else if (L->has_bias) memset(grad + L->b_off, 0, L->n_out * sizeof *grad);
    for (size_t r1 = L->n_out; r1 > 0;) {
        size_t r0 = r1 > blk ? r1 - blk : 0, lo = L->w_off + r0 * L->n_in;
        if (rows > 0) nnbi_dense_weight_grad_rows32(L, d, in, rows, r0, r1, grad);
        else memset(grad + lo, 0, (r1 - r0) * L->n_in * sizeof *grad);
        int rc = ready(grad, lo, end - lo, data);
        if (rc != 0) return rc;
        end = lo, r1 = r0;
    }
    return 0;
}

int nnbi_backward_ready32(const nnb_net *net, nnbi_ws32 *ws, const float *x, size_t rows,
                          float *grad, nnb_grad_ready_f32_fn ready, void *data, size_t piece) {
    int cur = 0;
    for (size_t l = net->n_layers; l-- > 0;) {
        const nnbi_layer *L = &net->layers[l];
        /* the same pieces as a float64 network's: they depend on the layout only */
        size_t blk = piece && L->n_out > 1 ? piece / L->n_in : 0;
        if (piece && L->n_out > 1 && blk == 0) blk = 1;
        const float *in = l == 0 ? x : ws->act[l - 1];
        int rc = layer_grad_ready32(net, l, ws->dbuf[cur], in, rows, grad, ready, data, blk);
        if (rc != 0) return rc;
        if (l == 0) break;
        if (rows > 0) input_delta32(net, ws, l, ws->dbuf[cur], ws->dbuf[1 - cur], rows);
        cur = 1 - cur;
    }
    return 0;
}

void nnbi_backward_sgd32(nnb_net *net, nnbi_ws32 *ws, const float *x, size_t rows, double lr,
                         double l2) {
    int cur = 0;
    double beta = 1.0 - lr * l2;
    for (size_t l = net->n_layers; l-- > 0;) {
        const nnbi_layer *L = &net->layers[l];
        if (l > 0) input_delta32(net, ws, l, ws->dbuf[cur], ws->dbuf[1 - cur], rows);
        const float *in = l == 0 ? x : ws->act[l - 1];
        nnbi_dense_update_sgd32(net->k32, L, ws->dbuf[cur], in, rows, lr, beta, net->params32,
                                net->grads32 + L->b_off);
        cur = 1 - cur;
    }
}

size_t nnbi_count_correct32(const float *yhat, const float *y, size_t rows, size_t cols) {
    size_t hit = 0;
    if (cols == 1) {
        for (size_t r = 0; r < rows; r++) hit += (yhat[r] > 0.5f) == (y[r] > 0.5f);
        return hit;
    }
    for (size_t r = 0; r < rows; r++) {
        const float *p = yhat + r * cols, *t = y + r * cols;
        size_t ap = 0, at = 0;
        for (size_t c = 1; c < cols; c++) {
            if (p[c] > p[ap]) ap = c;
            if (t[c] > t[at]) at = c;
        }
        hit += ap == at;
    }
    return hit;
}

void nnbi_batch32(const nnb_net *net, nnbi_ws32 *ws, nnbi_src x, nnbi_src y, const size_t *idx,
                  size_t r0, size_t n, const float **xb, const float **yb) {
    size_t ni = net->n_inputs, no = nnb_net_n_outputs(net);
    if (x.f && !idx) {
        *xb = x.f + r0 * ni;
    } else {
        if (x.f) nnbi_gather_rows(ws->xin, 1, x.f, 1, idx + r0, n, ni);
        else nnbi_gather_rows(ws->xin, 1, idx ? x.d : x.d + r0 * ni, 0, idx ? idx + r0 : NULL, n, ni);
        *xb = ws->xin;
    }
    if (y.f && !idx) {
        *yb = y.f + r0 * no;
    } else {
        if (y.f) nnbi_gather_rows(ws->yin, 1, y.f, 1, idx + r0, n, no);
        else nnbi_gather_rows(ws->yin, 1, idx ? y.d : y.d + r0 * no, 0, idx ? idx + r0 : NULL, n, no);
        *yb = ws->yin;
    }
}

void nnbi_eval32(const nnb_net *net, nnbi_ws32 *ws, size_t chunk, nnbi_src x, nnbi_src y,
                 const size_t *idx, size_t r0, size_t n, nnb_loss loss, double *loss_sum,
                 size_t *correct) {
    size_t no = nnb_net_n_outputs(net);
    double sum = 0;
    size_t hit = 0;
    for (size_t i0 = 0; i0 < n; i0 += chunk) {
        size_t nr = n - i0 < chunk ? n - i0 : chunk;
        const float *xb, *yb;
        nnbi_batch32(net, ws, x, y, idx, r0 + i0, nr, &xb, &yb);
        nnbi_forward32(net, ws, xb, nr, NULL);
        sum += nnbi_output_delta32(net, ws, yb, nr, loss, NNB_REDUCTION_SUM, 0, nr);
        hit += nnbi_count_correct32(ws->act[net->n_layers - 1], yb, nr, no);
    }
    *loss_sum = sum;
    *correct = hit;
}
