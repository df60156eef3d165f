/*
 * Long-double references for measuring the kernels' accuracy: used by tests/test_kernels.c and
 * bench/bench_kernels.c, not by the library.
 */
#ifndef NNB_KERNELS_ULP_H
#define NNB_KERNELS_ULP_H

#include <math.h>

/* |got - ref| in units of the last place of ref rounded to double (the subnormal ulp, 2^-1074,
 * below 2^-1022); 0 when both are NaN, infinite when only one is or got is an infinity that ref
 * is not. */
static inline double nnbi_ulp_error(double got, long double ref) {
    double r = (double)ref;
    if (isnan(got) || isnan(r)) return isnan(got) && isnan(r) ? 0 : INFINITY;
    if (isinf(got) || isinf(r)) return got == r ? 0 : INFINITY;
    int e = r == 0 ? -1022 : ilogb(r);
    if (e < -1022) e = -1022;
    return (double)(fabsl((long double)got - ref) / ldexpl(1.0L, e - 52));
}

/* The same for float results: units of the last place of ref rounded to float (2^-149 below
 * 2^-126). */
static inline double nnbi_ulpf_error(float got, long double ref) {
    float r = (float)ref;
    if (isnan(got) || isnan(r)) return isnan(got) && isnan(r) ? 0 : INFINITY;
    if (isinf(got) || isinf(r)) return got == r ? 0 : INFINITY;
    int e = r == 0 ? -126 : ilogbf(r);
    if (e < -126) e = -126;
    return (double)(fabsl((long double)got - ref) / ldexpl(1.0L, e - 23));
}

/* sigmoid in long double, stable on the whole line */
static inline long double nnbi_sigmoid_ld(long double x) {
    if (x >= 0) return 1.0L / (1.0L + expl(-x));
    long double e = expl(x);
    return e / (1.0L + e);
}

#endif
