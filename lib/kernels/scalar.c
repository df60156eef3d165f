/*
 * Scalar reference kernels, float64. They define what every vectorised version must compute.
 * Plain C, libm for exp/tanh/log1p. The kernels are scalar_kernels.h's, with T = double; only
 * sigmoid and the binary cross-entropy term are this type's own.
 */
#include <math.h>

#include "kernels.h"

static inline double sigmoid1(double x) {
    /* Stable on the whole line: never exp of a positive number; e = exp(-|x|), sigmoid =
     * 1/(1 + e) for x >= 0, e/(1 + e) for x < 0 (NaN takes the second and comes out as it came
     * in). 1 + e is kept exactly as d + dlo and the quotient corrected by -q dlo/d: the rounding
     * of 1 + e would otherwise add up to 1 ulp to the error, which then reaches 2.5 ulp. */
    double e = exp(isnan(x) ? x : -fabs(x)); /* no branch on the sign: it would mispredict */
    double d = 1.0 + e, dlo = (1.0 - d) + e;
    double q = (x >= 0.0 ? 1.0 : e) / d;
    return q - q * (dlo / d);
}

/* softplus(z) - y z = (max(z, 0) + log1p(exp(-|z|))) - y z */
static inline double bce_term(double z, double y) {
    return (z > 0.0 ? z : 0.0) + log1p(exp(-fabs(z))) - y * z;
}

#define T double
#define SQRT sqrt
#include "scalar_kernels.h"

const nnbi_kernels nnbi_kernels_scalar = NNBI_KERNELS_TABLE("scalar", 1);
