/*
 * Scalar float32 kernels: the reference the vectorised float32 kernels are held to (kernels.h).
 * The kernels are scalar_kernels.h's, with T = float: element-wise arithmetic without exp/log is
 * float, in the order the float64 kernels use, with the double parameters rounded to float once;
 * exp/tanh/log1p are libm's double functions rounded to float once; sums accumulate in double.
 * Only sigmoid and the binary cross-entropy term are this type's own.
 */
#include <math.h>

#include "kernels.h"

/* sigmoid in double, stable on the whole line (never exp of a positive number), rounded once */
static inline float sigmoid1(float xf) {
    double x = xf;
    double e = exp(isnan(x) ? x : -fabs(x));
    return (float)((x >= 0.0 ? 1.0 : e) / (1.0 + e));
}

/* softplus(z) - y z in double, in this order: (max(z, 0) - y z) + log1p(exp(-|z|)) */
static inline double bce_term(double z, double y) {
    return ((z > 0.0 ? z : 0.0) - y * z) + log1p(exp(-fabs(z)));
}

#define T float
#define SQRT sqrtf
#include "scalar_kernels.h"

const nnbi_kernels_f32 nnbi_kernels_f32_scalar = NNBI_KERNELS_TABLE("scalar", 1);
