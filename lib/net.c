/*
 * The network object: layers, the parameter and gradient arenas, the workspace, and the forward
 * and backward passes over a batch (each a few cblas_dgemm calls in dense.c plus kernels).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data_internal.h"
#include "nnb_internal.h"

/* ---- argument checks ------------------------------------------------------------------------- */

int nnbi_find_nonfinite(const double *a, size_t rows, size_t cols, size_t *row, size_t *col) {
    size_t n = rows * cols;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(a[i])) {
            if (row) *row = i / cols;
            if (col) *col = i % cols;
            return 1;
        }
    return 0;
}

nnb_status nnbi_check_x(const nnb_net *net, const double *x, size_t rows, size_t x_cols,
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
    if (net->check_finite && nnbi_find_nonfinite(x, rows, x_cols, &r, &c))
        return nnbi_error(NNB_E_NONFINITE, func, "x[%zu][%zu] is %g", r, c, x[r * x_cols + c]);
    if (net->dtype == NNB_F32 && nnbi_find_beyond32(x, rows * x_cols, &r))
        return nnbi_beyond32_error(func, "x", r / x_cols, r % x_cols, x[r]);
    return NNB_OK;
}

nnb_status nnbi_beyond32_error(const char *func, const char *what, size_t r, size_t c, double v) {
    return nnbi_error(NNB_E_NONFINITE, func,
                      "%s[%zu][%zu] is %g, beyond float32's range (3.4e38) of a float32 network: "
                      "scale the data or use a float64 network", what, r, c, v);
}

nnb_status nnbi_check_y(const nnb_net *net, const double *y, size_t rows, size_t y_cols,
                        const char *func) {
    NNBI_CHECK_NULL(y, func);
    size_t n_out = net->layers[net->n_layers - 1].n_out;
    if (y_cols != n_out)
        return nnbi_error(NNB_E_SHAPE, func, "y has %zu columns, the network has %zu outputs",
                          y_cols, n_out);
    size_t r, c;
    if (net->check_finite && nnbi_find_nonfinite(y, rows, y_cols, &r, &c))
        return nnbi_error(NNB_E_NONFINITE, func, "y[%zu][%zu] is %g", r, c, y[r * y_cols + c]);
    if (net->dtype == NNB_F32 && nnbi_find_beyond32(y, rows * y_cols, &r))
        return nnbi_beyond32_error(func, "y", r / y_cols, r % y_cols, y[r]);
    return NNB_OK;
}

nnb_status nnbi_check_loss(const nnb_net *net, nnb_loss loss, nnb_reduction red, const char *func) {
    if (red != NNB_REDUCTION_SUM && red != NNB_REDUCTION_MEAN)
        return nnbi_error(NNB_E_INVALID_ARG, func, "unknown reduction %d", (int)red);
    nnb_activation out = net->layers[net->n_layers - 1].act;
    switch (loss) {
    case NNB_LOSS_SSE:
    case NNB_LOSS_MSE:
        return NNB_OK;
    case NNB_LOSS_BCE:
        if (out != NNB_ACT_SIGMOID)
            return nnbi_error(NNB_E_INVALID_ARG, func,
                              "binary cross-entropy needs a sigmoid output layer");
        return NNB_OK;
    case NNB_LOSS_CE:
        if (out != NNB_ACT_SOFTMAX)
            return nnbi_error(NNB_E_INVALID_ARG, func,
                              "softmax cross-entropy needs a softmax output layer");
        return NNB_OK;
    default:
        return nnbi_error(NNB_E_INVALID_ARG, func, "unknown loss %d", (int)loss);
    }
}

/* ---- workspace ------------------------------------------------------------------------------- */

size_t nnbi_net_max_width(const nnb_net *net) {
    size_t w = 0;
    for (size_t l = 0; l < net->n_layers; l++)
        if (net->layers[l].n_out > w) w = net->layers[l].n_out;
    return w;
}

void nnbi_ws_free(nnbi_ws *ws) {
    free(ws->block);
    free(ws->act);
    free(ws->pre);
    const double *drop = ws->drop;
    memset(ws, 0, sizeof *ws);
    ws->drop = drop; /* the dropout request outlives its buffers */
}

/* Each buffer starts on a 64-byte boundary: sizes are rounded up to 8 doubles. */
static size_t round8(size_t n) { return (n + 7) & ~(size_t)7; }

static int drops(const nnbi_ws *ws, size_t l, size_t n_layers) {
    return ws->drop && l + 1 < n_layers && ws->drop[l] > 0.0;
}

nnb_status nnbi_ws_reserve(const nnb_net *net, nnbi_ws *ws, size_t rows, int with_deltas,
                           const char *func) {
    int want_drop = ws->drop != NULL;
    if (ws->block && ws->rows >= rows && ws->n_layers == net->n_layers &&
        (ws->dbuf[0] != NULL || !with_deltas) && ws->has_dropout == want_drop)
        return NNB_OK;
    size_t per_row = 0; /* doubles per row, before rounding */
    size_t n_buf = net->n_layers + 3;
    for (size_t l = 0; l < net->n_layers; l++) {
        per_row += net->layers[l].n_out;
        if (drops(ws, l, net->n_layers)) {
            per_row += 2 * net->layers[l].n_out;
            n_buf += 2;
        }
    }
    size_t n_out = net->layers[net->n_layers - 1].n_out;
    size_t width = nnbi_net_max_width(net);
    per_row += n_out + (with_deltas ? 2 * width : 0);
    size_t total;
    /* 8 extra doubles per buffer for the rounding */
    if (!nnbi_mul_size(rows, per_row, &total) || total > SIZE_MAX / sizeof(double) - 8 * n_buf)
        return nnbi_error(NNB_E_TOO_LARGE, func, "a workspace for %zu rows does not fit in memory",
                          rows);
    total += 8 * n_buf;
    double *block = NULL;
    if (posix_memalign((void **)&block, 64, total * sizeof(double)) != 0) block = NULL;
    double **act = malloc(net->n_layers * sizeof *act);
    double **pre = want_drop ? calloc(2 * net->n_layers, sizeof *pre) : NULL;
    if (!block || !act || (want_drop && !pre)) {
        free(block);
        free(act);
        free(pre);
        return nnbi_error(NNB_E_NOMEM, func, "no memory for a workspace of %zu rows (%zu MiB)",
                          rows, total * sizeof(double) >> 20);
    }
    nnbi_ws_free(ws);
    ws->block = block;
    ws->act = act;
    ws->rows = rows;
    ws->n_layers = net->n_layers;
    ws->has_dropout = want_drop;
    if (want_drop) {
        ws->pre = pre;
        ws->mask = pre + net->n_layers;
    }
    double *p = block;
    for (size_t l = 0; l < net->n_layers; l++) {
        act[l] = p;
        p += round8(rows * net->layers[l].n_out);
        if (drops(ws, l, net->n_layers)) {
            ws->pre[l] = p;
            p += round8(rows * net->layers[l].n_out);
            ws->mask[l] = p;
            p += round8(rows * net->layers[l].n_out);
        }
    }
    ws->z_out = p;
    p += round8(rows * n_out);
    if (with_deltas) {
        ws->dbuf[0] = p;
        p += round8(rows * width);
        ws->dbuf[1] = p;
    }
    return NNB_OK;
}

/* ---- forward and backward -------------------------------------------------------------------- */

/* Inverted dropout: mask = 0 with probability p, else 1/(1-p); out = in * mask. */
static void dropout(size_t n, double p, const double *in, double *mask, double *out, nnbi_rng *rng) {
    uint64_t threshold = (uint64_t)(p * 0x1.0p53);
    double keep = 1.0 / (1.0 - p);
    for (size_t i = 0; i < n; i++) {
        double m = (nnbi_rng_next(rng) >> 11) < threshold ? 0.0 : keep;
        mask[i] = m;
        out[i] = in[i] * m;
    }
}

void nnbi_forward(const nnb_net *net, nnbi_ws *ws, const double *x, size_t rows, nnbi_rng *rng) {
    const double *in = x;
    for (size_t l = 0; l < net->n_layers; l++) {
        const nnbi_layer *L = &net->layers[l];
        int last = l + 1 == net->n_layers, drop = rng && drops(ws, l, net->n_layers);
        double *z = last ? ws->z_out : drop ? ws->pre[l] : ws->act[l];
        double *a = drop ? ws->pre[l] : ws->act[l];
        nnbi_dense_forward(L, net->params, in, rows, z);
        net->k->bias_act(L->act, L->alpha, rows, L->n_out, z,
                         L->has_bias ? net->params + L->b_off : NULL, a);
        if (drop) dropout(rows * L->n_out, ws->drop[l], a, ws->mask[l], ws->act[l], rng);
        in = ws->act[l];
    }
}

double nnbi_output_delta(const nnb_net *net, nnbi_ws *ws, const double *y, size_t rows,
                         nnb_loss loss, nnb_reduction red, int want_delta, size_t mean_rows) {
    const nnbi_kernels *k = net->k;
    const nnbi_layer *out = &net->layers[net->n_layers - 1];
    size_t n_out = out->n_out, n = rows * n_out;
    const double *yhat = ws->act[net->n_layers - 1];
    double *d = ws->dbuf[0];
    double red_scale = red == NNB_REDUCTION_MEAN ? 1.0 / (double)mean_rows : 1.0;

    /* The output delta dL/dz and the loss, fused where the pair allows; the loss is summed in
     * blocks of NNBI_LOSS_BLOCK elements (whole rows for softmax) whose sums are compensated. */
    double loss_scale, dscale;
    nnbi_sum raw = {0, 0};
    switch (loss) {
    case NNB_LOSS_SSE:
    case NNB_LOSS_MSE:
        loss_scale = loss == NNB_LOSS_SSE ? 0.5 : 1.0 / (double)n_out;
        dscale = (loss == NNB_LOSS_SSE ? 1.0 : 2.0 / (double)n_out) * red_scale;
        for (size_t i = 0; i < n; i += NNBI_LOSS_BLOCK) {
            size_t m = n - i < NNBI_LOSS_BLOCK ? n - i : NNBI_LOSS_BLOCK;
            nnbi_sum_add(&raw, out->act == NNB_ACT_SIGMOID
                                   ? k->delta_se_sigmoid(m, yhat + i, y + i, dscale, d + i)
                                   : k->delta_se(m, yhat + i, y + i, dscale, d + i));
        }
        if (out->act != NNB_ACT_SIGMOID && out->act != NNB_ACT_IDENTITY && want_delta)
            k->act_backward(out->act, out->alpha, rows, n_out, yhat, d);
        break;
    case NNB_LOSS_BCE:
        loss_scale = 1.0 / (double)n_out;
        for (size_t i = 0; i < n; i += NNBI_LOSS_BLOCK) {
            size_t m = n - i < NNBI_LOSS_BLOCK ? n - i : NNBI_LOSS_BLOCK;
            nnbi_sum_add(&raw, k->delta_bce_sigmoid(m, ws->z_out + i, yhat + i, y + i,
                                                    loss_scale * red_scale, d + i));
        }
        break;
    default: { /* NNB_LOSS_CE */
        loss_scale = 1.0;
        size_t br = NNBI_LOSS_BLOCK / n_out ? NNBI_LOSS_BLOCK / n_out : 1;
        for (size_t r = 0; r < rows; r += br) {
            size_t m = rows - r < br ? rows - r : br, o = r * n_out;
            nnbi_sum_add(&raw, k->delta_ce_softmax(m, n_out, ws->z_out + o, yhat + o, y + o,
                                                   red_scale, d + o));
        }
        break;
    }
    }
    return nnbi_sum_value(&raw) * loss_scale * red_scale;
}

/* d_prev <- (d . W_l) (.) mask (.) f'(A_{l-1}): the delta of layer l-1 from layer l's. */
static void input_delta(const nnb_net *net, const nnbi_ws *ws, size_t l, const double *d,
                        double *dx, size_t rows) {
    const nnbi_layer *L = &net->layers[l], *P = &net->layers[l - 1];
    nnbi_dense_backward_input(L, net->params, d, rows, dx);
    const double *a = ws->act[l - 1];
    if (ws->drop && drops(ws, l - 1, net->n_layers) && ws->has_dropout) {
        const double *m = ws->mask[l - 1];
        size_t n = rows * P->n_out;
        for (size_t i = 0; i < n; i++) dx[i] *= m[i];
        a = ws->pre[l - 1];
    }
    if (P->act != NNB_ACT_IDENTITY) net->k->act_backward(P->act, P->alpha, rows, P->n_out, a, dx);
}

void nnbi_backward(const nnb_net *net, nnbi_ws *ws, const double *x, size_t rows, double *grad) {
    int cur = 0;
    for (size_t l = net->n_layers; l-- > 0;) {
        const double *in = l == 0 ? x : ws->act[l - 1];
        nnbi_dense_backward_params(net->k, &net->layers[l], ws->dbuf[cur], in, rows, grad);
        if (l == 0) break;
        input_delta(net, ws, l, ws->dbuf[cur], ws->dbuf[1 - cur], rows);
        cur = 1 - cur;
    }
}

/* Layer l's gradient for nnbi_backward_ready: whole (blk 0) or in row blocks from the last rows,
 * each announced when computed; rows 0 announces zeros. Returns ready's first non-zero return. */
static int layer_grad_ready(const nnb_net *net, size_t l, const double *d, const double *in,
                            size_t rows, double *grad, nnb_grad_ready_fn ready, void *data,
                            size_t blk) {
    const nnbi_layer *L = &net->layers[l];
    size_t end = L->b_off + (L->has_bias ? L->n_out : 0);
    if (blk == 0 || blk >= L->n_out) {
        if (rows > 0) nnbi_dense_backward_params(net->k, L, d, in, rows, grad);
        else memset(grad + L->w_off, 0, (end - L->w_off) * sizeof *grad);
        return ready(grad, L->w_off, end - L->w_off, data);
    }
    if (rows > 0 && L->has_bias) net->k->col_sum(rows, L->n_out, d, grad + L->b_off);
    else if (L->has_bias) memset(grad + L->b_off, 0, L->n_out * sizeof *grad);
    for (size_t r1 = L->n_out; r1 > 0;) {
        size_t r0 = r1 > blk ? r1 - blk : 0, lo = L->w_off + r0 * L->n_in;
        if (rows > 0) nnbi_dense_weight_grad_rows(L, d, in, rows, r0, r1, grad);
        else memset(grad + lo, 0, (r1 - r0) * L->n_in * sizeof *grad);
        int rc = ready(grad, lo, end - lo, data);
        if (rc != 0) return rc;
        end = lo, r1 = r0;
    }
    return 0;
}

int nnbi_backward_ready(const nnb_net *net, nnbi_ws *ws, const double *x, size_t rows, double *grad,
                        nnb_grad_ready_fn ready, void *data, size_t piece) {
    int cur = 0;
    for (size_t l = net->n_layers; l-- > 0;) {
        const nnbi_layer *L = &net->layers[l];
        /* row blocks (a GEMM each) for several outputs; the pieces depend on the layout only */
        size_t blk = piece && L->n_out > 1 ? piece / L->n_in : 0;
        if (piece && L->n_out > 1 && blk == 0) blk = 1;
        const double *in = l == 0 ? x : ws->act[l - 1];
        int rc = layer_grad_ready(net, l, ws->dbuf[cur], in, rows, grad, ready, data, blk);
        if (rc != 0) return rc;
        if (l == 0) break;
        if (rows > 0) input_delta(net, ws, l, ws->dbuf[cur], ws->dbuf[1 - cur], rows);
        cur = 1 - cur;
    }
    return 0;
}

void nnbi_backward_sgd(nnb_net *net, nnbi_ws *ws, const double *x, size_t rows, double lr,
                       double l2) {
    int cur = 0;
    double beta = 1.0 - lr * l2;
    for (size_t l = net->n_layers; l-- > 0;) {
        const nnbi_layer *L = &net->layers[l];
        /* the input delta first: it needs the weights before their update */
        if (l > 0) input_delta(net, ws, l, ws->dbuf[cur], ws->dbuf[1 - cur], rows);
        const double *in = l == 0 ? x : ws->act[l - 1];
        nnbi_dense_update_sgd(net->k, L, ws->dbuf[cur], in, rows, lr, beta, net->params,
                              net->grads + L->b_off);
        cur = 1 - cur;
    }
}

double nnbi_loss_backward(const nnb_net *net, nnbi_ws *ws, const double *x, const double *y,
                          size_t rows, nnb_loss loss, nnb_reduction red, double *grad) {
    double l = nnbi_output_delta(net, ws, y, rows, loss, red, grad != NULL, rows);
    if (grad) nnbi_backward(net, ws, x, rows, grad);
    return l;
}

size_t nnbi_count_correct(const double *yhat, const double *y, size_t rows, size_t cols) {
    size_t hit = 0;
    if (cols == 1) {
        for (size_t r = 0; r < rows; r++) hit += (yhat[r] > 0.5) == (y[r] > 0.5);
        return hit;
    }
    for (size_t r = 0; r < rows; r++) {
        const double *p = yhat + r * cols, *t = y + r * cols;
        size_t ap = 0, at = 0;
        for (size_t c = 1; c < cols; c++) {
            if (p[c] > p[ap]) ap = c;
            if (t[c] > t[at]) at = c;
        }
        hit += ap == at;
    }
    return hit;
}

int nnbi_has_accuracy(const nnb_net *net) {
    nnb_activation a = net->layers[net->n_layers - 1].act;
    return a == NNB_ACT_SIGMOID || a == NNB_ACT_SOFTMAX;
}

/* ---- the object ------------------------------------------------------------------------------ */

static nnb_status need_kernels(const char *func, const nnbi_kernels **k) {
    *k = nnbi_kernels_get();
    if (*k == NULL) return nnbi_error(NNB_E_UNSUPPORTED, func, "%s", nnbi_kernels_error());
    return NNB_OK;
}

NNB_API nnb_status nnb_net_create(nnb_net **out, size_t n_inputs) {
    NNBI_CHECK_NULL(out, __func__);
    *out = NULL;
    if (n_inputs == 0) return nnbi_error(NNB_E_INVALID_ARG, __func__, "n_inputs is 0");
    if (n_inputs > NNBI_BLAS_MAX)
        return nnbi_error(NNB_E_TOO_LARGE, __func__,
                          "n_inputs = %zu exceeds OpenBLAS's 32-bit limit of %zu", n_inputs,
                          NNBI_BLAS_MAX);
    const nnbi_kernels *k;
    nnb_status st = need_kernels(__func__, &k);
    if (st != NNB_OK) return st;
    nnb_net *net = calloc(1, sizeof *net);
    if (!net) return nnbi_error(NNB_E_NOMEM, __func__, "no memory for a network");
    net->n_inputs = n_inputs;
    net->k = k;
    nnbi_rng_seed(&net->rng, 0);
    nnbi_opt_init(&net->opt);
    *out = net;
    return NNB_OK;
}

NNB_API void nnb_net_free(nnb_net *net) {
    if (!net) return;
    nnbi_ws_free(&net->ws);
    nnbi_ws32_free(&net->ws32);
    free(net->params32);
    free(net->grads32);
    nnbi_opt_free(&net->opt);
    free(net->layers);
    free(net->params);
    free(net->grads);
    free(net);
}

/* Grows a float64 network's arenas to new_n parameters (add new ones, gradients zeroed). */
static nnb_status grow64(nnb_net *net, size_t new_n, size_t add, const char *func) {
    double *params = realloc(net->params, new_n * sizeof *params);
    if (!params) return nnbi_error(NNB_E_NOMEM, func, "no memory for %zu parameters", new_n);
    net->params = params;
    double *grads = realloc(net->grads, (new_n + NNBI_GRAD_EXTRA) * sizeof *grads);
    if (!grads) return nnbi_error(NNB_E_NOMEM, func, "no memory for %zu gradients", new_n);
    net->grads = grads;
    memset(net->grads + net->n_params, 0, add * sizeof(double));
    return NNB_OK;
}

NNB_API nnb_status nnb_net_add_dense(nnb_net *net, size_t units, nnb_activation act, int has_bias) {
    NNBI_CHECK_NULL(net, __func__);
    if (units == 0) return nnbi_error(NNB_E_INVALID_ARG, __func__, "units is 0");
    if (units > NNBI_BLAS_MAX)
        return nnbi_error(NNB_E_TOO_LARGE, __func__,
                          "units = %zu exceeds OpenBLAS's 32-bit limit of %zu", units, NNBI_BLAS_MAX);
    if ((unsigned)act > NNB_ACT_SOFTMAX)
        return nnbi_error(NNB_E_INVALID_ARG, __func__, "unknown activation %d", (int)act);
    if (has_bias != 0 && has_bias != 1)
        return nnbi_error(NNB_E_INVALID_ARG, __func__, "has_bias is %d; use 0 or 1", has_bias);
    if (net->n_layers > 0 && net->layers[net->n_layers - 1].act == NNB_ACT_SOFTMAX)
        return nnbi_error(NNB_E_INVALID_ARG, __func__,
                          "layer %zu is softmax, which is allowed only on the output layer; "
                          "use another activation for hidden layers",
                          net->n_layers - 1);
    size_t n_in = nnb_net_n_outputs(net);
    size_t nw, add;
    if (!nnbi_mul_size(units, n_in, &nw) || nw > SIZE_MAX - units ||
        (add = nw + (has_bias ? units : 0)) > SIZE_MAX / sizeof(double) - net->n_params)
        return nnbi_error(NNB_E_TOO_LARGE, __func__, "a %zu x %zu layer does not fit in memory",
                          units, n_in);
    size_t new_n = net->n_params + add;
    /* parameters and gradients, checked against the memory the process can get before asking */
    if (new_n > nnbi_available_memory() / (2 * sizeof(double)))
        return nnbi_error(NNB_E_TOO_LARGE, __func__,
                          "a %zu x %zu layer does not fit in memory (%zu parameters in all)", units,
                          n_in, new_n);
    if (net->n_layers == net->cap_layers) {
        size_t cap = net->cap_layers ? 2 * net->cap_layers : 4;
        nnbi_layer *layers = realloc(net->layers, cap * sizeof *layers);
        if (!layers) return nnbi_error(NNB_E_NOMEM, __func__, "no memory for a layer");
        net->layers = layers;
        net->cap_layers = cap;
    }
    /* Grow both arenas; a failure leaves the network as it was (an arena may just be larger). */
    if (net->dtype == NNB_F32) {
        nnb_status st = nnbi_arena32_grow(net, new_n, __func__);
        if (st != NNB_OK) return st;
    } else {
        nnb_status st = grow64(net, new_n, add, __func__);
        if (st != NNB_OK) return st;
    }
    nnbi_layer *L = &net->layers[net->n_layers];
    L->n_in = n_in;
    L->n_out = units;
    L->act = act;
    L->alpha = 0.01;
    L->has_bias = has_bias;
    L->w_off = net->n_params;
    L->b_off = net->n_params + nw;
    net->n_layers++;
    net->n_params = new_n;
    nnbi_ws_free(&net->ws);
    nnbi_ws32_free(&net->ws32);
    nnbi_opt_free(&net->opt); /* moments of the old shape are meaningless now */
    return nnbi_init_layer(net, net->n_layers - 1, NNB_INIT_NORMAL_FANIN);
}

NNB_API nnb_status nnb_net_set_leaky_slope(nnb_net *net, size_t layer, double slope) {
    NNBI_CHECK_NULL(net, __func__);
    if (layer >= net->n_layers)
        return nnbi_error(NNB_E_INVALID_ARG, __func__, "layer %zu does not exist (%zu layers)",
                          layer, net->n_layers);
    if (net->layers[layer].act != NNB_ACT_LEAKY_RELU)
        return nnbi_error(NNB_E_INVALID_ARG, __func__, "layer %zu is not a leaky-ReLU layer", layer);
    if (!isfinite(slope) || slope < 0)
        return nnbi_error(NNB_E_INVALID_ARG, __func__, "slope %g must be finite and >= 0", slope);
    net->layers[layer].alpha = slope;
    return NNB_OK;
}

NNB_API nnb_status nnb_net_leaky_slope(const nnb_net *net, size_t layer, double *slope) {
    NNBI_CHECK_NULL(net, __func__);
    NNBI_CHECK_NULL(slope, __func__);
    if (layer >= net->n_layers)
        return nnbi_error(NNB_E_INVALID_ARG, __func__, "layer %zu does not exist (%zu layers)",
                          layer, net->n_layers);
    if (net->layers[layer].act != NNB_ACT_LEAKY_RELU)
        return nnbi_error(NNB_E_INVALID_ARG, __func__, "layer %zu is not a leaky-ReLU layer", layer);
    *slope = net->layers[layer].alpha;
    return NNB_OK;
}

NNB_API size_t nnb_net_n_inputs(const nnb_net *net) { return net ? net->n_inputs : 0; }

NNB_API size_t nnb_net_n_outputs(const nnb_net *net) {
    if (!net) return 0;
    return net->n_layers ? net->layers[net->n_layers - 1].n_out : net->n_inputs;
}

NNB_API size_t nnb_net_n_layers(const nnb_net *net) { return net ? net->n_layers : 0; }

NNB_API size_t nnb_net_n_params(const nnb_net *net) { return net ? net->n_params : 0; }

NNB_API nnb_status nnb_net_layer_info(const nnb_net *net, size_t layer, size_t *n_in, size_t *n_out,
                                      nnb_activation *act, int *has_bias, size_t *w_offset,
                                      size_t *b_offset) {
    NNBI_CHECK_NULL(net, __func__);
    if (layer >= net->n_layers)
        return nnbi_error(NNB_E_INVALID_ARG, __func__, "layer %zu does not exist (%zu layers)",
                          layer, net->n_layers);
    const nnbi_layer *L = &net->layers[layer];
    if (n_in) *n_in = L->n_in;
    if (n_out) *n_out = L->n_out;
    if (act) *act = L->act;
    if (has_bias) *has_bias = L->has_bias;
    if (w_offset) *w_offset = L->w_off;
    if (b_offset) *b_offset = L->b_off;
    return NNB_OK;
}

NNB_API nnb_status nnb_net_seed(nnb_net *net, uint64_t seed) {
    NNBI_CHECK_NULL(net, __func__);
    nnbi_rng_seed(&net->rng, seed);
    return NNB_OK;
}

NNB_API nnb_status nnb_net_init(nnb_net *net, nnb_init scheme, uint64_t seed) {
    NNBI_CHECK_NULL(net, __func__);
    if ((unsigned)scheme > NNB_INIT_ORTHOGONAL)
        return nnbi_error(NNB_E_INVALID_ARG, __func__, "unknown initialisation scheme %d",
                          (int)scheme);
    nnbi_rng_seed(&net->rng, seed);
    for (size_t l = 0; l < net->n_layers; l++) {
        nnb_status st = nnbi_init_layer(net, l, scheme);
        if (st != NNB_OK) return st;
    }
    return NNB_OK;
}

static nnb_status check_len(const nnb_net *net, size_t len, const char *what, const char *func) {
    if (len != net->n_params)
        return nnbi_error(NNB_E_SHAPE, func, "%s has %zu values, the network has %zu parameters",
                          what, len, net->n_params);
    return NNB_OK;
}

NNB_API nnb_status nnb_net_params_get(const nnb_net *net, double *dst, size_t len) {
    NNBI_CHECK_NULL(net, __func__);
    if (net->dtype == NNB_F32) return nnbi_arena_get(net, 0, dst, 0, len, __func__);
    if (len && !dst) return nnbi_error(NNB_E_NULL, __func__, "dst is NULL");
    nnb_status st = check_len(net, len, "dst", __func__);
    if (st != NNB_OK) return st;
    if (len) memcpy(dst, net->params, len * sizeof *dst);
    return NNB_OK;
}

NNB_API nnb_status nnb_net_params_set(nnb_net *net, const double *src, size_t len) {
    NNBI_CHECK_NULL(net, __func__);
    if (net->dtype == NNB_F32) return nnbi_arena_set(net, src, 0, len, __func__);
    if (len && !src) return nnbi_error(NNB_E_NULL, __func__, "src is NULL");
    nnb_status st = check_len(net, len, "src", __func__);
    if (st != NNB_OK) return st;
    size_t r;
    if (len && nnbi_find_nonfinite(src, len, 1, &r, NULL))
        return nnbi_error(NNB_E_NONFINITE, __func__, "src[%zu] is %g", r, src[r]);
    if (len) memcpy(net->params, src, len * sizeof *src);
    return NNB_OK;
}

NNB_API double *nnb_net_params_data(nnb_net *net, size_t *len) {
    if (len) *len = net ? net->n_params : 0;
    if (!net || net->n_params == 0 || net->dtype == NNB_F32) return NULL;
    return net->params;
}

static nnb_status layer_io_check(const nnb_net *net, size_t layer, const void *w, size_t w_len,
                                 const void *b, size_t b_len, const char *func) {
    NNBI_CHECK_NULL(net, func);
    if (layer >= net->n_layers)
        return nnbi_error(NNB_E_INVALID_ARG, func, "layer %zu does not exist (%zu layers)", layer,
                          net->n_layers);
    const nnbi_layer *L = &net->layers[layer];
    size_t nw = L->n_out * L->n_in, nb = L->has_bias ? L->n_out : 0;
    if (w ? w_len != nw : w_len != 0)
        return nnbi_error(NNB_E_SHAPE, func,
                          "w_len is %zu; layer %zu's W has %zu values (%zu x %zu), or pass NULL and 0",
                          w_len, layer, nw, L->n_out, L->n_in);
    if (b ? b_len != nb : b_len != 0)
        return nnbi_error(NNB_E_SHAPE, func,
                          "b_len is %zu; layer %zu's b has %zu values, or pass NULL and 0", b_len,
                          layer, nb);
    return NNB_OK;
}

NNB_API nnb_status nnb_net_layer_get(const nnb_net *net, size_t layer, double *w, size_t w_len,
                                     double *b, size_t b_len) {
    nnb_status st = layer_io_check(net, layer, w, w_len, b, b_len, __func__);
    if (st != NNB_OK) return st;
    const nnbi_layer *L = &net->layers[layer];
    if (net->dtype == NNB_F32) {
        if (w && w_len) nnbi_f32_to_f64(net->params32 + L->w_off, w, w_len);
        if (b && b_len) nnbi_f32_to_f64(net->params32 + L->b_off, b, b_len);
        return NNB_OK;
    }
    if (w && w_len) memcpy(w, net->params + L->w_off, w_len * sizeof *w);
    if (b && b_len) memcpy(b, net->params + L->b_off, b_len * sizeof *b);
    return NNB_OK;
}

NNB_API nnb_status nnb_net_layer_set(nnb_net *net, size_t layer, const double *w, size_t w_len,
                                     const double *b, size_t b_len) {
    nnb_status st = layer_io_check(net, layer, w, w_len, b, b_len, __func__);
    if (st != NNB_OK) return st;
    size_t r;
    if (w && w_len && nnbi_find_nonfinite(w, w_len, 1, &r, NULL))
        return nnbi_error(NNB_E_NONFINITE, __func__, "w[%zu] is %g", r, w[r]);
    if (b && b_len && nnbi_find_nonfinite(b, b_len, 1, &r, NULL))
        return nnbi_error(NNB_E_NONFINITE, __func__, "b[%zu] is %g", r, b[r]);
    const nnbi_layer *L = &net->layers[layer];
    if (net->dtype == NNB_F32) {
        for (size_t i = 0; i < w_len || i < b_len; i++)
            if ((i < w_len && w && fabs(w[i]) > NNBI_F32_MAX) ||
                (i < b_len && b && fabs(b[i]) > NNBI_F32_MAX))
                return nnbi_error(NNB_E_NONFINITE, __func__,
                                  "value %zu is beyond float32's range", i);
        if (w && w_len) nnbi_f64_to_f32(w, net->params32 + L->w_off, w_len);
        if (b && b_len) nnbi_f64_to_f32(b, net->params32 + L->b_off, b_len);
        return NNB_OK;
    }
    if (w && w_len) memcpy(net->params + L->w_off, w, w_len * sizeof *w);
    if (b && b_len) memcpy(net->params + L->b_off, b, b_len * sizeof *b);
    return NNB_OK;
}

NNB_API nnb_status nnb_net_set_check_finite(nnb_net *net, int enable) {
    NNBI_CHECK_NULL(net, __func__);
    net->check_finite = enable != 0;
    return NNB_OK;
}

static nnb_status check_out(const nnb_net *net, const double *out, size_t rows, size_t out_len,
                            const char *func) {
    NNBI_CHECK_NULL(out, func);
    size_t n_out = net->layers[net->n_layers - 1].n_out;
    if (out_len / n_out < rows)
        return nnbi_error(NNB_E_SHAPE, func,
                          "out_len is %zu; %zu rows x %zu outputs need %zu", out_len, rows, n_out,
                          rows * n_out);
    return NNB_OK;
}

NNB_API nnb_status nnb_net_forward(nnb_net *net, const double *x, size_t rows, size_t x_cols,
                                   double *out, size_t out_len) {
    if (net && net->dtype == NNB_F32)
        return nnbi_forward_f64_on32(net, x, rows, x_cols, out, out_len);
    nnb_status st = nnbi_check_x(net, x, rows, x_cols, __func__);
    if (st == NNB_OK) st = check_out(net, out, rows, out_len, __func__);
    if (st == NNB_OK) st = nnbi_ws_reserve(net, &net->ws, rows, 1, __func__);
    if (st != NNB_OK) return st;
    nnbi_forward(net, &net->ws, x, rows, NULL);
    memcpy(out, net->ws.act[net->n_layers - 1], rows * nnb_net_n_outputs(net) * sizeof *out);
    return NNB_OK;
}

size_t nnbi_block_rows(const nnb_net *net, size_t x_cols, size_t per_unit, size_t rows) {
    double per_row = (double)x_cols; /* in doubles; a double cannot wrap */
    for (size_t l = 0; l < net->n_layers; l++)
        per_row += (double)per_unit * (double)net->layers[l].n_out;
    double fit = (double)((size_t)32 << 20) / (per_row * (double)sizeof(double));
    size_t block = fit < 64 ? 64 : fit > (double)rows ? rows : (size_t)fit;
    return block < rows ? block : rows;
}

NNB_API nnb_status nnb_net_predict(const nnb_net *net, const double *x, size_t rows, size_t x_cols,
                                   double *out, size_t out_len) {
    if (net && net->dtype == NNB_F32)
        return nnbi_predict_f64_on32(net, x, rows, x_cols, out, out_len);
    nnb_status st = nnbi_check_x(net, x, rows, x_cols, __func__);
    if (st == NNB_OK) st = check_out(net, out, rows, out_len, __func__);
    if (st != NNB_OK) return st;
    size_t block = nnbi_block_rows(net, x_cols, 2, rows);
    nnbi_ws ws = {0};
    st = nnbi_ws_reserve(net, &ws, block, 0, __func__);
    if (st != NNB_OK) return st;
    size_t n_out = nnb_net_n_outputs(net);
    for (size_t r0 = 0; r0 < rows; r0 += block) {
        size_t nr = rows - r0 < block ? rows - r0 : block;
        nnbi_forward(net, &ws, x + r0 * x_cols, nr, NULL);
        memcpy(out + r0 * n_out, ws.act[net->n_layers - 1], nr * n_out * sizeof *out);
    }
    nnbi_ws_free(&ws);
    return NNB_OK;
}

static nnb_status loss_prepare(nnb_net *net, const double *x, size_t rows, size_t x_cols,
                               const double *y, size_t y_cols, nnb_loss loss, nnb_reduction red,
                               const char *func) {
    nnb_status st = nnbi_check_x(net, x, rows, x_cols, func);
    if (st == NNB_OK) st = nnbi_check_y(net, y, rows, y_cols, func);
    if (st == NNB_OK) st = nnbi_check_loss(net, loss, red, func);
    if (st == NNB_OK) st = nnbi_ws_reserve(net, &net->ws, rows, 1, func);
    return st;
}

NNB_API nnb_status nnb_net_loss(nnb_net *net, const double *x, size_t rows, size_t x_cols,
                                const double *y, size_t y_cols, nnb_loss loss,
                                nnb_reduction reduction, double *loss_out) {
    if (net && net->dtype == NNB_F32) {
        NNBI_CHECK_NULL(loss_out, __func__);
        return nnbi_backprop_f64_on32(net, x, rows, x_cols, y, y_cols, loss, reduction, loss_out,
                                      NULL, 0, 0);
    }
    nnb_status st = loss_prepare(net, x, rows, x_cols, y, y_cols, loss, reduction, __func__);
    if (st != NNB_OK) return st;
    NNBI_CHECK_NULL(loss_out, __func__);
    nnbi_forward(net, &net->ws, x, rows, NULL);
    *loss_out = nnbi_loss_backward(net, &net->ws, x, y, rows, loss, reduction, NULL);
    return NNB_OK;
}

NNB_API nnb_status nnb_net_backprop(nnb_net *net, const double *x, size_t rows, size_t x_cols,
                                    const double *y, size_t y_cols, nnb_loss loss,
                                    nnb_reduction reduction, double *loss_out, double *grad,
                                    size_t grad_len) {
    if (net && net->dtype == NNB_F32)
        return nnbi_backprop_f64_on32(net, x, rows, x_cols, y, y_cols, loss, reduction, loss_out,
                                      grad, grad_len, 1);
    nnb_status st = loss_prepare(net, x, rows, x_cols, y, y_cols, loss, reduction, __func__);
    if (st != NNB_OK) return st;
    if (grad && grad_len != net->n_params)
        return check_len(net, grad_len, "grad", __func__);
    nnbi_forward(net, &net->ws, x, rows, NULL);
    double l = nnbi_loss_backward(net, &net->ws, x, y, rows, loss, reduction, net->grads);
    if (loss_out) *loss_out = l;
    if (grad) memcpy(grad, net->grads, grad_len * sizeof *grad);
    return NNB_OK;
}

NNB_API nnb_status nnb_net_grad_get(const nnb_net *net, double *dst, size_t len) {
    NNBI_CHECK_NULL(net, __func__);
    if (net->dtype == NNB_F32) return nnbi_arena_get(net, 1, dst, 0, len, __func__);
    if (len && !dst) return nnbi_error(NNB_E_NULL, __func__, "dst is NULL");
    nnb_status st = check_len(net, len, "dst", __func__);
    if (st != NNB_OK) return st;
    if (len) memcpy(dst, net->grads, len * sizeof *dst);
    return NNB_OK;
}

NNB_API nnb_status nnb_net_sgd_step(nnb_net *net, double lr, const double *grad, size_t grad_len) {
    NNBI_CHECK_NULL(net, __func__);
    if (!isfinite(lr)) return nnbi_error(NNB_E_INVALID_ARG, __func__, "lr is %g", lr);
    const double *g = net->grads;
    if (grad) {
        nnb_status st = check_len(net, grad_len, "grad", __func__);
        if (st != NNB_OK) return st;
        g = grad;
    }
    if (net->dtype == NNB_F32) {
        if (grad)
            for (size_t i = 0; i < grad_len; i++) net->params32[i] -= (float)(lr * grad[i]);
        else
            net->k32->axpy(net->n_params, -lr, net->grads32, net->params32);
        return NNB_OK;
    }
    net->k->axpy(net->n_params, -lr, g, net->params);
    return NNB_OK;
}
