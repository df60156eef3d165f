/*
 * A dense layer's matrix products. Every cblas_dgemm of the library is in this file.
 * Shapes (row-major): x is rows x n_in, W is n_out x n_in, z and d are rows x n_out.
 *   forward         z  = x . W^T      (NoTrans, Trans)
 *   weight gradient dW = d^T . x      (Trans, NoTrans)
 *   input delta     dx = d . W        (NoTrans, NoTrans)
 * Callers have checked every dimension against INT_MAX (NNBI_BLAS_MAX).
 */
#include <cblas.h>

#include "nnb_internal.h"

void nnbi_dense_forward(const nnbi_layer *L, const double *params, const double *x, size_t rows,
                        double *z) {
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)L->n_out, (int)L->n_in,
                1.0, x, (int)L->n_in, params + L->w_off, (int)L->n_in, 0.0, z, (int)L->n_out);
}

void nnbi_dense_backward_params(const nnbi_kernels *k, const nnbi_layer *L, const double *d,
                                const double *x, size_t rows, double *grad) {
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)L->n_out, (int)L->n_in, (int)rows,
                1.0, d, (int)L->n_out, x, (int)L->n_in, 0.0, grad + L->w_off, (int)L->n_in);
    if (L->has_bias) k->col_sum(rows, L->n_out, d, grad + L->b_off);
}

void nnbi_dense_backward_input(const nnbi_layer *L, const double *params, const double *d,
                               size_t rows, double *dx) {
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)rows, (int)L->n_in, (int)L->n_out,
                1.0, d, (int)L->n_out, params + L->w_off, (int)L->n_in, 0.0, dx, (int)L->n_in);
}

void nnbi_dense_update_sgd(const nnbi_kernels *k, const nnbi_layer *L, const double *d,
                           const double *x, size_t rows, double lr, double beta, double *params,
                           double *colsum) {
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)L->n_out, (int)L->n_in, (int)rows,
                -lr, d, (int)L->n_out, x, (int)L->n_in, beta, params + L->w_off, (int)L->n_in);
    if (L->has_bias) {
        double *b = params + L->b_off;
        k->col_sum(rows, L->n_out, d, colsum);
        if (beta != 1.0) k->scal(L->n_out, beta, b);
        k->axpy(L->n_out, -lr, colsum, b);
    }
}
