/*
 * Long-double references for measuring the kernels' accuracy: used by tests/test_kernels.c and
 * bench/bench_kernels.c, not by the library.
 */
#ifndef NNB_KERNELS_ULP_H
#define NNB_KERNELS_ULP_H

#include <math.h>

/* |got - ref| in units of the last place of r, ref rounded to a format of p-bit significands
 * whose smallest normal exponent is emin (below 2^emin, the subnormal ulp 2^(emin - p + 1)); 0
 * when both are NaN, infinite when only one is or got is an infinity that r is not. */
static inline double nnbi_ulp_error_in(long double got, long double r, long double ref, int emin,
                                       int p) {
    if (isnan(got) || isnan(r)) return isnan(got) && isnan(r) ? 0 : INFINITY;
    if (isinf(got) || isinf(r)) return got == r ? 0 : INFINITY;
    int e = r == 0 ? emin : ilogbl(r);
    if (e < emin) e = emin;
    return (double)(fabsl(got - ref) / ldexpl(1.0L, e - (p - 1)));
}

/* For double results (units of the last place of ref rounded to double; 2^-1074 below 2^-1022)
 * and for float results (ref rounded to float; 2^-149 below 2^-126). */
static inline double nnbi_ulp_error(double got, long double ref) {
    return nnbi_ulp_error_in(got, (double)ref, ref, -1022, 53);
}
static inline double nnbi_ulpf_error(float got, long double ref) {
    return nnbi_ulp_error_in(got, (float)ref, ref, -126, 24);
}

/* sigmoid in long double, stable on the whole line */
static inline long double nnbi_sigmoid_ld(long double x) {
    if (x >= 0) return 1.0L / (1.0L + expl(-x));
    long double e = expl(x);
    return e / (1.0L + e);
}

#endif
