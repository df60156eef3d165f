/* Baselines of nnblas-bench kernels (bench_libm.c, compiled at -O2). */
#ifndef NNBB_LIBM_H
#define NNBB_LIBM_H

#include <stddef.h>

/* y[i] = 1/(1 + exp(-x[i])) */
void nnbb_libm_sigmoid(size_t n, const double *x, double *y);
/* memcpy of n doubles */
void nnbb_copy(size_t n, const double *x, double *y);

#endif
