/*
 * The dense layer kind: z = x W^T + b, W n_out x n_in, b n_out (the activation's per-column bias).
 * Every matrix product of a dense layer is here, through the element type's BLAS (elem.h):
 *   forward         z  = x . W^T      (gemm NoTrans, Trans)
 *   weight gradient dW = d^T . x      (Trans, NoTrans)
 *   input delta     dx = d . W        (NoTrans, NoTrans)
 * When one side is a vector — a single output unit (n_out = 1) or a single row (online
 * learning) — the product is a matrix-vector one and goes to gemv / ger, which skip gemm's
 * packing: for the tutorial's 6-2-1 network that is a third of a training step.
 * Callers have checked every dimension against INT_MAX (NNBI_BLAS_MAX).
 * Hyper-parameter: hp[0] = the number of units.
 */
#include <stdio.h>
#include <string.h>

#include "nnb_internal.h"

static nnb_status dense_shape(nnbi_layer *L, const char *func) {
    size_t units = (size_t)L->hp[0], nw;
    if (!nnbi_mul_size(units, L->n_in, &nw) || nw > SIZE_MAX - units)
        return nnbi_error(NNB_E_TOO_LARGE, func, "a %zu x %zu layer does not fit in memory", units,
                          L->n_in);
    L->out = (nnbi_shape){units, 1, 1};
    L->n_out = units;
    L->n_p = nw + (L->has_bias ? units : 0);
    L->w_off = 0;
    L->b_off = nw;
    return NNB_OK;
}

static void dense_describe(const nnbi_layer *L, char *buf, size_t len) {
    snprintf(buf, len, "a %zu x %zu layer", (size_t)L->hp[0], L->n_in);
}

static nnb_status dense_init(const nnbi_layer *L, nnbi_rng *rng, nnb_init scheme, double *p) {
    nnb_status st = nnbi_init_weights(rng, scheme, L->n_out, L->n_in, (double)L->n_in,
                                      (double)L->n_out, p + (L->w_off - L->p_off));
    if (st == NNB_OK && L->has_bias)
        memset(p + (L->b_off - L->p_off), 0, L->n_out * sizeof(double));
    return st;
}

static void dense_forward(const nnbi_elem *t, const nnbi_layer *L, const void *params,
                          const void *x, size_t rows, void *z, void *work) {
    const void *W = nnbi_at(t, params, L->w_off);
    int m = (int)rows, n = (int)L->n_out, k = (int)L->n_in;
    if (n == 1) /* z = x . w */
        t->gemv(0, m, k, 1.0, x, k, W, 0.0, z);
    else if (m == 1) /* z = W . x */
        t->gemv(0, n, k, 1.0, W, k, x, 0.0, z);
    else
        t->gemm(0, 1, m, n, k, 1.0, x, k, W, k, 0.0, z, n);
}

/* W <- beta W + alpha d^T . x (alpha and beta rounded to the element type) */
static void weight_product(const nnbi_elem *t, const nnbi_layer *L, const void *d, const void *x,
                           size_t rows, double alpha, double beta, void *W) {
    int m = (int)rows, n = (int)L->n_out, k = (int)L->n_in;
    alpha = t->round(alpha);
    beta = t->round(beta);
    if (n == 1) { /* w = beta w + alpha x^T . d */
        t->gemv(1, m, k, alpha, x, k, d, beta, W);
    } else if (m == 1) { /* W = beta W + alpha d x^T, an outer product */
        if (beta == 0.0)
            memset(W, 0, (size_t)n * (size_t)k * t->size);
        else if (beta != 1.0)
            t->blas_scal(n * k, beta, W);
        t->ger(n, k, alpha, d, x, W, k);
    } else {
        t->gemm(1, 0, n, k, m, alpha, d, n, x, k, beta, W, k);
    }
}

static void dense_backward_params(const nnbi_elem *t, const nnbi_layer *L, const void *d,
                                  const void *x, size_t rows, void *grad, void *work) {
    weight_product(t, L, d, x, rows, 1.0, 0.0, nnbi_at(t, grad, L->w_off));
    if (L->has_bias) t->col_sum(rows, L->n_out, d, nnbi_at(t, grad, L->b_off));
}

static void dense_backward_input(const nnbi_elem *t, const nnbi_layer *L, const void *params,
                                 const void *d, size_t rows, void *dx, void *work) {
    const void *W = nnbi_at(t, params, L->w_off);
    int m = (int)rows, n = (int)L->n_out, k = (int)L->n_in;
    if (m == 1) /* dx = W^T . d */
        t->gemv(1, n, k, 1.0, W, k, d, 0.0, dx);
    else
        t->gemm(0, 0, m, k, n, 1.0, d, n, W, k, 0.0, dx, k);
}

static void dense_update_sgd(const nnbi_elem *t, const nnbi_layer *L, const void *d, const void *x,
                             size_t rows, double lr, double beta, void *params, void *scratch,
                             void *work) {
    weight_product(t, L, d, x, rows, -lr, beta, nnbi_at(t, params, L->w_off));
    if (L->has_bias) {
        void *b = nnbi_at(t, params, L->b_off);
        t->col_sum(rows, L->n_out, d, scratch);
        if (beta != 1.0) t->scal(L->n_out, beta, b);
        t->axpy(L->n_out, -lr, scratch, b);
    }
}

/* The gradient in blocks of whole rows of W (a GEMM each) from the last rows, the bias with the
 * block of the last rows; each block announced when computed. */
static int dense_backward_pieces(const nnbi_elem *t, const nnbi_layer *L, const void *d,
                                 const void *x, size_t rows, void *grad, void *work, size_t piece,
                                 nnbi_announce_fn announce, void *ctx) {
    /* row blocks for several outputs; the pieces depend on the layout only */
    size_t blk = piece && L->n_out > 1 ? piece / L->n_in : 0;
    if (piece && L->n_out > 1 && blk == 0) blk = 1;
    size_t end = L->b_off + (L->has_bias ? L->n_out : 0);
    if (blk == 0 || blk >= L->n_out) {
        if (rows > 0)
            dense_backward_params(t, L, d, x, rows, grad, work);
        else
            memset(nnbi_at(t, grad, L->w_off), 0, (end - L->w_off) * t->size);
        return announce(ctx, L->w_off, end - L->w_off);
    }
    if (rows > 0 && L->has_bias)
        t->col_sum(rows, L->n_out, d, nnbi_at(t, grad, L->b_off));
    else if (L->has_bias)
        memset(nnbi_at(t, grad, L->b_off), 0, L->n_out * t->size);
    for (size_t r1 = L->n_out; r1 > 0;) {
        size_t r0 = r1 > blk ? r1 - blk : 0, lo = L->w_off + r0 * L->n_in;
        if (rows > 0) /* rows r0 .. r1 of dW = d^T . x */
            t->gemm(1, 0, (int)(r1 - r0), (int)L->n_in, (int)rows, 1.0, nnbi_at(t, d, r0),
                    (int)L->n_out, x, (int)L->n_in, 0.0, nnbi_at(t, grad, lo), (int)L->n_in);
        else
            memset(nnbi_at(t, grad, lo), 0, (r1 - r0) * L->n_in * t->size);
        int rc = announce(ctx, lo, end - lo);
        if (rc != 0) return rc;
        end = lo, r1 = r0;
    }
    return 0;
}

static nnb_status dense_check_hp(const uint64_t *hp, const char *func) {
    if (hp[0] == 0 || hp[0] > NNBI_BLAS_MAX)
        return nnbi_error(NNB_E_FORMAT, func, "a dense layer of %llu units",
                          (unsigned long long)hp[0]);
    return NNB_OK;
}

const nnbi_kind nnbi_kind_dense = {
    .name = "dense",
    .shape = dense_shape,
    .describe = dense_describe,
    .init = dense_init,
    .workspace = NULL,
    .column_bias = 1,
    .forward = dense_forward,
    .backward_params = dense_backward_params,
    .backward_input = dense_backward_input,
    .update_sgd = dense_update_sgd,
    .backward_pieces = dense_backward_pieces,
    .n_hp = 1,
    .check_hp = dense_check_hp,
};
