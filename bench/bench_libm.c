/*
 * The baselines of `nnblas-bench kernels`, in a file of their own compiled at -O2 whatever the
 * build type: the plain libm sigmoid loop that a C programmer writes first, and a plain copy of
 * the same bytes.
 */
#include <math.h>
#include <string.h>

#include "bench_libm.h"

void nnbb_libm_sigmoid(size_t n, const double *x, double *y) {
    for (size_t i = 0; i < n; i++) y[i] = 1.0 / (1.0 + exp(-x[i]));
}

void nnbb_copy(size_t n, const double *x, double *y) { memcpy(y, x, n * sizeof *x); }
