/*
 * The passes over a batch, written once for every layer kind and element type: forward (each
 * layer's kind, then the activation with its per-column bias in one kernel, then dropout), the
 * output delta fused with the loss, backward (each kind's parameter gradient and input delta,
 * then the dropout mask and the previous activation's derivative), and the batches and
 * evaluation chunks they run on.
 */
#include <string.h>

#include "nnb_internal.h"

static int drops(const nnbi_ws *ws, size_t l, size_t n_layers) {
    return ws->drop && l + 1 < n_layers && ws->drop[l] > 0.0;
}

/* The per-column bias of layer L that the activation kernel adds, or NULL. */
static const void *column_bias(const nnb_net *net, const nnbi_layer *L) {
    return L->kind->column_bias && L->has_bias ? nnbi_at(net->t, net->params, L->b_off) : NULL;
}

void nnbi_forward(const nnb_net *net, nnbi_ws *ws, const void *x, size_t rows, nnbi_rng *rng) {
    const nnbi_elem *t = net->t;
    const void *in = x;
    for (size_t l = 0; l < net->n_layers; l++) {
        const nnbi_layer *L = &net->layers[l];
        int last = l + 1 == net->n_layers, drop = rng && drops(ws, l, net->n_layers);
        void *z = last ? ws->z_out : drop ? ws->pre[l] : ws->act[l];
        void *a = drop ? ws->pre[l] : ws->act[l];
        L->kind->forward(t, L, net->params, in, rows, z, ws->work[l]);
        t->bias_act(L->act, L->alpha, rows, L->n_out, z, column_bias(net, L), a);
        if (drop) t->dropout(rows * L->n_out, ws->drop[l], a, ws->mask[l], ws->act[l], rng);
        in = ws->act[l];
    }
}

double nnbi_output_delta(const nnb_net *net, nnbi_ws *ws, const void *y, size_t rows, nnb_loss loss,
                         nnb_reduction red, int want_delta, size_t mean_rows) {
    const nnbi_elem *t = net->t;
    const nnbi_layer *out = &net->layers[net->n_layers - 1];
    const size_t n_out = out->n_out, n = rows * n_out, blk = NNBI_LOSS_BLOCK;
    const void *yhat = ws->act[net->n_layers - 1];
    void *d = ws->dbuf[0];
    double red_scale = red == NNB_REDUCTION_MEAN ? 1.0 / (double)mean_rows : 1.0;
#define AT(p, i) nnbi_at(t, (p), (i))

    /* The output delta dL/dz and the loss, fused where the pair allows; the loss is summed in
     * blocks of NNBI_LOSS_BLOCK elements (whole rows for softmax) whose sums are compensated, in
     * both element types (a float32 kernel returns its block's sum in double). */
    double loss_scale, dscale;
    nnbi_sum raw = {0, 0};
    switch (loss) {
    case NNB_LOSS_SSE:
    case NNB_LOSS_MSE:
        loss_scale = loss == NNB_LOSS_SSE ? 0.5 : 1.0 / (double)n_out;
        dscale = (loss == NNB_LOSS_SSE ? 1.0 : 2.0 / (double)n_out) * red_scale;
        for (size_t i = 0; i < n; i += blk) {
            size_t m = n - i < blk ? n - i : blk;
            nnbi_sum_add(&raw, out->act == NNB_ACT_SIGMOID
                                   ? t->delta_se_sigmoid(m, AT(yhat, i), AT(y, i), dscale, AT(d, i))
                                   : t->delta_se(m, AT(yhat, i), AT(y, i), dscale, AT(d, i)));
        }
        if (out->act != NNB_ACT_SIGMOID && out->act != NNB_ACT_IDENTITY && want_delta)
            t->act_backward(out->act, out->alpha, rows, n_out, yhat, d);
        break;
    case NNB_LOSS_BCE:
        loss_scale = 1.0 / (double)n_out;
        for (size_t i = 0; i < n; i += blk) {
            size_t m = n - i < blk ? n - i : blk;
            nnbi_sum_add(&raw, t->delta_bce_sigmoid(m, AT(ws->z_out, i), AT(yhat, i), AT(y, i),
                                                    loss_scale * red_scale, AT(d, i)));
        }
        break;
    default: { /* NNB_LOSS_CE */
        loss_scale = 1.0;
        size_t br = blk / n_out ? blk / n_out : 1;
        for (size_t r = 0; r < rows; r += br) {
            size_t m = rows - r < br ? rows - r : br, o = r * n_out;
            nnbi_sum_add(&raw, t->delta_ce_softmax(m, n_out, AT(ws->z_out, o), AT(yhat, o),
                                                   AT(y, o), red_scale, AT(d, o)));
        }
        break;
    }
    }
#undef AT
    return nnbi_sum_value(&raw) * loss_scale * red_scale;
}

/* d_prev <- (dL/dx of layer l) (.) mask (.) f'(A_{l-1}): the delta of layer l-1 from layer l's.
 * Through a kind that routes (max pooling) without dropout on layer l-1, f' is applied to d
 * first, at layer l's output (its values of A_{l-1}: before layer l's own dropout), and the
 * routing leaves +0 elsewhere: the same values on the smaller array (up to rounding where
 * pooling windows overlap: f' times a sum, against a sum of f' times each term). */
static void input_delta(const nnb_net *net, const nnbi_ws *ws, size_t l, void *d, void *dx,
                        size_t rows) {
    const nnbi_layer *L = &net->layers[l], *P = &net->layers[l - 1];
    int drop_prev = ws->drop && drops(ws, l - 1, net->n_layers) && ws->has_dropout;
    if (L->kind->routes && P->act != NNB_ACT_IDENTITY && !drop_prev) {
        const void *out =
            ws->drop && drops(ws, l, net->n_layers) && ws->has_dropout ? ws->pre[l] : ws->act[l];
        net->t->act_backward(P->act, P->alpha, rows, L->n_out, out, d);
        L->kind->backward_input(net->t, L, net->params, d, rows, dx, ws->work[l]);
        return;
    }
    L->kind->backward_input(net->t, L, net->params, d, rows, dx, ws->work[l]);
    const void *a = ws->act[l - 1];
    if (drop_prev) {
        net->t->mul(rows * P->n_out, ws->mask[l - 1], dx);
        a = ws->pre[l - 1];
    }
    if (P->act != NNB_ACT_IDENTITY) net->t->act_backward(P->act, P->alpha, rows, P->n_out, a, dx);
}

void nnbi_backward(const nnb_net *net, nnbi_ws *ws, const void *x, size_t rows, void *grad) {
    int cur = 0;
    for (size_t l = net->n_layers; l-- > 0;) {
        const nnbi_layer *L = &net->layers[l];
        const void *in = l == 0 ? x : ws->act[l - 1];
        L->kind->backward_params(net->t, L, ws->dbuf[cur], in, rows, grad, ws->work[l]);
        if (l == 0) break;
        input_delta(net, ws, l, ws->dbuf[cur], ws->dbuf[1 - cur], rows);
        cur = 1 - cur;
    }
}

int nnbi_backward_ready(const nnb_net *net, nnbi_ws *ws, const void *x, size_t rows, void *grad,
                        size_t piece, nnbi_announce_fn announce, void *ctx) {
    const nnbi_elem *t = net->t;
    int cur = 0;
    for (size_t l = net->n_layers; l-- > 0;) {
        const nnbi_layer *L = &net->layers[l];
        const void *in = l == 0 ? x : ws->act[l - 1];
        int rc;
        if (L->kind->backward_pieces) {
            rc = L->kind->backward_pieces(t, L, ws->dbuf[cur], in, rows, grad, ws->work[l], piece,
                                          announce, ctx);
        } else { /* the whole layer at once */
            if (rows > 0)
                L->kind->backward_params(t, L, ws->dbuf[cur], in, rows, grad, ws->work[l]);
            else
                memset(nnbi_at(t, grad, L->p_off), 0, L->n_p * t->size);
            rc = L->n_p ? announce(ctx, L->p_off, L->n_p) : 0;
        }
        if (rc != 0) return rc;
        if (l == 0) break;
        if (rows > 0) input_delta(net, ws, l, ws->dbuf[cur], ws->dbuf[1 - cur], rows);
        cur = 1 - cur;
    }
    return 0;
}

void nnbi_backward_sgd(nnb_net *net, nnbi_ws *ws, const void *x, size_t rows, double lr,
                       double l2) {
    const nnbi_elem *t = net->t;
    int cur = 0;
    double beta = 1.0 - lr * l2;
    for (size_t l = net->n_layers; l-- > 0;) {
        const nnbi_layer *L = &net->layers[l];
        /* the input delta first: it needs the weights before their update */
        if (l > 0) input_delta(net, ws, l, ws->dbuf[cur], ws->dbuf[1 - cur], rows);
        const void *in = l == 0 ? x : ws->act[l - 1];
        void *scratch = nnbi_at(t, net->grads, L->p_off);
        if (L->kind->update_sgd) {
            L->kind->update_sgd(t, L, ws->dbuf[cur], in, rows, lr, beta, net->params, scratch,
                                ws->work[l]);
        } else if (L->n_p) { /* the gradient into the arena, then the step */
            void *p = nnbi_at(t, net->params, L->p_off);
            L->kind->backward_params(t, L, ws->dbuf[cur], in, rows, net->grads, ws->work[l]);
            if (beta != 1.0) t->scal(L->n_p, beta, p);
            t->axpy(L->n_p, -lr, scratch, p);
        }
        cur = 1 - cur;
    }
}

double nnbi_loss_backward(const nnb_net *net, nnbi_ws *ws, const void *x, const void *y,
                          size_t rows, nnb_loss loss, nnb_reduction red, void *grad) {
    double l = nnbi_output_delta(net, ws, y, rows, loss, red, grad != NULL, rows);
    if (grad) nnbi_backward(net, ws, x, rows, grad);
    return l;
}

int nnbi_has_accuracy(const nnb_net *net) {
    nnb_activation a = net->layers[net->n_layers - 1].act;
    return a == NNB_ACT_SIGMOID || a == NNB_ACT_SOFTMAX;
}

/* ---- batches and evaluation ----------------------------------------------------------------- */

/* Rows of src (cols values each) as the network reads them: in place, or gathered into buf. */
static const void *rows_of(const nnb_net *net, void *buf, nnbi_src src, const size_t *idx,
                           size_t r0, size_t n, size_t cols) {
    if (src.t == net->dtype && !idx) return nnbi_at(net->t, src.p, r0 * cols);
    const nnbi_elem *st = nnbi_elem_get(src.t);
    const void *from = idx ? src.p : nnbi_at(st, src.p, r0 * cols);
    net->t->gather(buf, from, src.t, idx ? idx + r0 : NULL, n, cols);
    return buf;
}

void nnbi_batch(const nnb_net *net, nnbi_ws *ws, nnbi_src x, nnbi_src y, const size_t *idx,
                size_t r0, size_t n, const void **xb, const void **yb) {
    *xb = rows_of(net, ws->xin, x, idx, r0, n, net->n_inputs);
    if (yb) *yb = y.p ? rows_of(net, ws->yin, y, idx, r0, n, nnbi_n_outputs(net)) : NULL;
}

void nnbi_eval(const nnb_net *net, nnbi_ws *ws, size_t chunk, nnbi_src x, nnbi_src y,
               const size_t *idx, size_t r0, size_t n, nnb_loss loss, double *loss_sum,
               size_t *correct) {
    size_t no = nnbi_n_outputs(net), hit = 0;
    nnbi_sum sum = {0, 0};
    for (size_t i0 = 0; i0 < n; i0 += chunk) {
        size_t nr = n - i0 < chunk ? n - i0 : chunk;
        const void *xb, *yb;
        nnbi_batch(net, ws, x, y, idx, r0 + i0, nr, &xb, &yb);
        nnbi_forward(net, ws, xb, nr, NULL);
        nnbi_sum_add(&sum, nnbi_output_delta(net, ws, yb, nr, loss, NNB_REDUCTION_SUM, 0, nr));
        hit += net->t->count_correct(ws->act[net->n_layers - 1], yb, nr, no);
    }
    *loss_sum = nnbi_sum_value(&sum);
    *correct = hit;
}
