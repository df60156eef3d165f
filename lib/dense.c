/*
 * A dense layer's matrix products. Every BLAS call of the training step is in this file, in
 * float64 (cblas_d*) and, for float32 networks, float32 (cblas_s*, at the end).
 * Shapes (row-major): x is rows x n_in, W is n_out x n_in, z and d are rows x n_out.
 *   forward         z  = x . W^T      (cblas_dgemm NoTrans, Trans)
 *   weight gradient dW = d^T . x      (Trans, NoTrans)
 *   input delta     dx = d . W        (NoTrans, NoTrans)
 * When one side is a vector — a single output unit (n_out = 1) or a single row (online
 * learning) — the product is a matrix-vector one and goes to cblas_dgemv / cblas_dger, which skip
 * dgemm's packing: for the tutorial's 6-2-1 network that is a third of a training step.
 * Callers have checked every dimension against INT_MAX (NNBI_BLAS_MAX).
 */
#include <cblas.h>
#include <string.h>

#include "nnb_internal.h"

void nnbi_dense_forward(const nnbi_layer *L, const double *params, const double *x, size_t rows,
                        double *z) {
    const double *W = params + L->w_off;
    int m = (int)rows, n = (int)L->n_out, k = (int)L->n_in;
    if (n == 1) /* z = x . w */
        cblas_dgemv(CblasRowMajor, CblasNoTrans, m, k, 1.0, x, k, W, 1, 0.0, z, 1);
    else if (m == 1) /* z = W . x */
        cblas_dgemv(CblasRowMajor, CblasNoTrans, n, k, 1.0, W, k, x, 1, 0.0, z, 1);
    else
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0, x, k, W, k, 0.0, z, n);
}

/* W <- beta W + alpha d^T . x */
static void weight_product(const nnbi_layer *L, const double *d, const double *x, size_t rows,
                           double alpha, double beta, double *W) {
    int m = (int)rows, n = (int)L->n_out, k = (int)L->n_in;
    if (n == 1) { /* w = beta w + alpha x^T . d */
        cblas_dgemv(CblasRowMajor, CblasTrans, m, k, alpha, x, k, d, 1, beta, W, 1);
    } else if (m == 1) { /* W = beta W + alpha d x^T, an outer product */
        if (beta == 0.0)
            memset(W, 0, (size_t)n * (size_t)k * sizeof *W);
        else if (beta != 1.0)
            cblas_dscal(n * k, beta, W, 1);
        cblas_dger(CblasRowMajor, n, k, alpha, d, 1, x, 1, W, k);
    } else {
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, n, k, m, alpha, d, n, x, k, beta, W, k);
    }
}

void nnbi_dense_backward_params(const nnbi_kernels *k, const nnbi_layer *L, const double *d,
                                const double *x, size_t rows, double *grad) {
    weight_product(L, d, x, rows, 1.0, 0.0, grad + L->w_off);
    if (L->has_bias) k->col_sum(rows, L->n_out, d, grad + L->b_off);
}

void nnbi_dense_weight_grad_rows(const nnbi_layer *L, const double *d, const double *x, size_t rows,
                                 size_t r0, size_t r1, double *grad) {
    int m = (int)rows, n = (int)(r1 - r0), k = (int)L->n_in;
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, n, k, m, 1.0, d + r0, (int)L->n_out, x, k,
                0.0, grad + L->w_off + r0 * L->n_in, k);
}

void nnbi_dense_backward_input(const nnbi_layer *L, const double *params, const double *d,
                               size_t rows, double *dx) {
    const double *W = params + L->w_off;
    int m = (int)rows, n = (int)L->n_out, k = (int)L->n_in;
    if (m == 1) /* dx = W^T . d */
        cblas_dgemv(CblasRowMajor, CblasTrans, n, k, 1.0, W, k, d, 1, 0.0, dx, 1);
    else
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, k, n, 1.0, d, n, W, k, 0.0, dx, k);
}

void nnbi_dense_update_sgd(const nnbi_kernels *k, const nnbi_layer *L, const double *d,
                           const double *x, size_t rows, double lr, double beta, double *params,
                           double *colsum) {
    weight_product(L, d, x, rows, -lr, beta, params + L->w_off);
    if (L->has_bias) {
        double *b = params + L->b_off;
        k->col_sum(rows, L->n_out, d, colsum);
        if (beta != 1.0) k->scal(L->n_out, beta, b);
        k->axpy(L->n_out, -lr, colsum, b);
    }
}

/* ---- float32: the same products with cblas_sgemm, sgemv, sger -------------------------------- */

void nnbi_dense_forward32(const nnbi_layer *L, const float *params, const float *x, size_t rows,
                          float *z) {
    const float *W = params + L->w_off;
    int m = (int)rows, n = (int)L->n_out, k = (int)L->n_in;
    if (n == 1)
        cblas_sgemv(CblasRowMajor, CblasNoTrans, m, k, 1.0f, x, k, W, 1, 0.0f, z, 1);
    else if (m == 1)
        cblas_sgemv(CblasRowMajor, CblasNoTrans, n, k, 1.0f, W, k, x, 1, 0.0f, z, 1);
    else
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f, x, k, W, k, 0.0f, z, n);
}

static void weight_product32(const nnbi_layer *L, const float *d, const float *x, size_t rows,
                             float alpha, float beta, float *W) {
    int m = (int)rows, n = (int)L->n_out, k = (int)L->n_in;
    if (n == 1) {
        cblas_sgemv(CblasRowMajor, CblasTrans, m, k, alpha, x, k, d, 1, beta, W, 1);
    } else if (m == 1) {
        if (beta == 0.0f)
            memset(W, 0, (size_t)n * (size_t)k * sizeof *W);
        else if (beta != 1.0f)
            cblas_sscal(n * k, beta, W, 1);
        cblas_sger(CblasRowMajor, n, k, alpha, d, 1, x, 1, W, k);
    } else {
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, n, k, m, alpha, d, n, x, k, beta, W, k);
    }
}

void nnbi_dense_backward_params32(const nnbi_kernels_f32 *k, const nnbi_layer *L, const float *d,
                                  const float *x, size_t rows, float *grad) {
    weight_product32(L, d, x, rows, 1.0f, 0.0f, grad + L->w_off);
    if (L->has_bias) k->col_sum(rows, L->n_out, d, grad + L->b_off);
}

void nnbi_dense_weight_grad_rows32(const nnbi_layer *L, const float *d, const float *x,
                                   size_t rows, size_t r0, size_t r1, float *grad) {
    int m = (int)rows, n = (int)(r1 - r0), k = (int)L->n_in;
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, n, k, m, 1.0f, d + r0, (int)L->n_out, x, k,
                0.0f, grad + L->w_off + r0 * L->n_in, k);
}

void nnbi_dense_backward_input32(const nnbi_layer *L, const float *params, const float *d,
                                 size_t rows, float *dx) {
    const float *W = params + L->w_off;
    int m = (int)rows, n = (int)L->n_out, k = (int)L->n_in;
    if (m == 1)
        cblas_sgemv(CblasRowMajor, CblasTrans, n, k, 1.0f, W, k, d, 1, 0.0f, dx, 1);
    else
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, k, n, 1.0f, d, n, W, k, 0.0f, dx, k);
}

void nnbi_dense_update_sgd32(const nnbi_kernels_f32 *k, const nnbi_layer *L, const float *d,
                             const float *x, size_t rows, double lr, double beta, float *params,
                             float *colsum) {
    weight_product32(L, d, x, rows, (float)-lr, (float)beta, params + L->w_off);
    if (L->has_bias) {
        float *b = params + L->b_off;
        k->col_sum(rows, L->n_out, d, colsum);
        if (beta != 1.0) k->scal(L->n_out, beta, b);
        k->axpy(L->n_out, -lr, colsum, b);
    }
}
