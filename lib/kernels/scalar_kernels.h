/*
 * The scalar reference kernels, written once for both element types. scalar.c (float64) and
 * scalar_f32.c (float32) each define the template parameters below, include this file, and then
 * define their table from the static functions it declares (kernels.h's NNBI_KERNELS_TABLE).
 * This header is not a normal header: include it only from those two files.
 *
 * Template parameters (defined before the #include):
 *   T              the element type of the arrays: double or float.
 *   SQRT(x)        the square root in T: sqrt or sqrtf.
 *   sigmoid1(x)    a static inline T -> T function: the type's sigmoid of one element (the two
 *                  types round differently, see each file).
 *   bce_term(z, y) a static inline (double, double) -> double function: softplus(z) - y z of
 *                  one element, in the type's order of operations.
 *
 * Arithmetic. Element-wise work is done in T, in the order written here: for float the double
 * parameters (alpha, scale, lr, ...) are rounded to float once, where they enter float
 * arithmetic; for double every (T) and (double) conversion below is the identity, so these are
 * exactly the float64 formulas. Returned sums, softmax's row sums and its backward dot product
 * accumulate in double. exp, tanh and log1p are libm's double functions (rounded to T once).
 */
#include <math.h>
#include <string.h>

#include "kernels.h"

/* a_c = e_c * (T)(1 / sum e), e_c = exp(z_c - max) rounded to T (z - max in T, as the vector
 * sets), the sum in double */
static void softmax_row(size_t cols, const T *z, T *a) {
    T m = -INFINITY;
    for (size_t c = 0; c < cols; c++)
        if (z[c] > m || isnan(z[c])) m = z[c];
    double s = 0.0;
    for (size_t c = 0; c < cols; c++) {
        a[c] = (T)exp((double)(z[c] - m));
        s += a[c];
    }
    T inv = (T)(1.0 / s);
    for (size_t c = 0; c < cols; c++) a[c] *= inv;
}

static void bias_act(nnb_activation act, double alpha, size_t rows, size_t cols, T *z, const T *b,
                     T *a) {
    T al = (T)alpha;
    for (size_t r = 0; r < rows; r++) {
        T *zr = z + r * cols;
        T *ar = a + r * cols;
        if (b)
            for (size_t c = 0; c < cols; c++) zr[c] += b[c];
        if (act == NNB_ACT_SOFTMAX) {
            softmax_row(cols, zr, ar);
            continue;
        }
        for (size_t c = 0; c < cols; c++) {
            T v = zr[c];
            switch (act) {
            case NNB_ACT_SIGMOID:
                v = sigmoid1(v);
                break;
            case NNB_ACT_TANH:
                v = (T)tanh((double)v);
                break;
            case NNB_ACT_RELU:
                v = v > (T)0 ? v : (T)0;
                break;
            case NNB_ACT_LEAKY_RELU:
                v = v > (T)0 ? v : al * v;
                break;
            default:
                break;
            }
            ar[c] = v;
        }
    }
}

static void act_backward(nnb_activation act, double alpha, size_t rows, size_t cols, const T *a,
                         T *d) {
    size_t n = rows * cols;
    T al = (T)alpha, one = 1;
    switch (act) {
    case NNB_ACT_SIGMOID:
        for (size_t i = 0; i < n; i++) d[i] *= a[i] * (one - a[i]);
        break;
    case NNB_ACT_TANH:
        for (size_t i = 0; i < n; i++) d[i] *= one - a[i] * a[i];
        break;
    case NNB_ACT_RELU:
        for (size_t i = 0; i < n; i++) d[i] = a[i] > (T)0 ? d[i] : (T)0;
        break;
    case NNB_ACT_LEAKY_RELU:
        for (size_t i = 0; i < n; i++) d[i] = a[i] > (T)0 ? d[i] : al * d[i];
        break;
    case NNB_ACT_SOFTMAX:
        for (size_t r = 0; r < rows; r++) {
            const T *ar = a + r * cols;
            T *dr = d + r * cols;
            double dot = 0.0;
            for (size_t c = 0; c < cols; c++) dot += (double)dr[c] * ar[c];
            T tdot = (T)dot;
            for (size_t c = 0; c < cols; c++) dr[c] = ar[c] * (dr[c] - tdot);
        }
        break;
    default:
        break;
    }
}

static double delta_se(size_t n, const T *yhat, const T *y, double scale, T *d) {
    double s = 0.0;
    T sc = (T)scale;
    for (size_t i = 0; i < n; i++) {
        T e = yhat[i] - y[i];
        s += (double)e * e;
        d[i] = sc * e;
    }
    return s;
}

static double delta_se_sigmoid(size_t n, const T *yhat, const T *y, double scale, T *d) {
    double s = 0.0;
    T sc = (T)scale, one = 1;
    for (size_t i = 0; i < n; i++) {
        T o = yhat[i], e = o - y[i];
        s += (double)e * e;
        d[i] = sc * e * o * (one - o);
    }
    return s;
}

static double delta_bce_sigmoid(size_t n, const T *z, const T *yhat, const T *y, double scale,
                                T *d) {
    double s = 0.0;
    T sc = (T)scale;
    for (size_t i = 0; i < n; i++) {
        /* softplus(z) - y z, with softplus(z) = max(z, 0) + log1p(exp(-|z|)) */
        s += bce_term(z[i], y[i]);
        d[i] = sc * (yhat[i] - y[i]);
    }
    return s;
}

static double delta_ce_softmax(size_t rows, size_t cols, const T *z, const T *yhat, const T *y,
                               double scale, T *d) {
    double s = 0.0;
    T sc = (T)scale;
    for (size_t r = 0; r < rows; r++) {
        const T *zr = z + r * cols, *yr = y + r * cols, *pr = yhat + r * cols;
        T *dr = d + r * cols;
        T m = -INFINITY;
        for (size_t c = 0; c < cols; c++)
            if (zr[c] > m || isnan(zr[c])) m = zr[c];
        double se = 0.0, ysum = 0.0, yz = 0.0;
        for (size_t c = 0; c < cols; c++) {
            double zm = (double)zr[c] - m;
            se += exp(zm);
            ysum += yr[c];
            yz += yr[c] * zm;
        }
        /* sum_j y_j (lse - z_j) = ysum * log(se) - sum_j y_j (z_j - m) */
        s += ysum * log(se) - yz;
        T tys = (T)ysum;
        for (size_t c = 0; c < cols; c++) dr[c] = sc * (pr[c] * tys - yr[c]);
    }
    return s;
}

static void col_sum(size_t rows, size_t cols, const T *d, T *out) {
    memset(out, 0, cols * sizeof *out);
    for (size_t r = 0; r < rows; r++) {
        const T *dr = d + r * cols;
        for (size_t c = 0; c < cols; c++) out[c] += dr[c];
    }
}

static void axpy(size_t n, double a, const T *x, T *y) {
    T ta = (T)a;
    for (size_t i = 0; i < n; i++) y[i] += ta * x[i];
}

static void scal(size_t n, double a, T *x) {
    T ta = (T)a;
    for (size_t i = 0; i < n; i++) x[i] *= ta;
}

static double sumsq(size_t n, const T *x) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += (double)x[i] * x[i];
    return s;
}

static void sgd(size_t n, T *theta, const T *g, T *v, double lr, double mu, double l2,
                int nesterov) {
    T tlr = (T)lr, tmu = (T)mu, tl2 = (T)l2;
    if (mu == 0.0) {
        for (size_t i = 0; i < n; i++) theta[i] -= tlr * (g[i] + tl2 * theta[i]);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        T gi = g[i] + tl2 * theta[i];
        T vi = tmu * v[i] + gi;
        v[i] = vi;
        theta[i] -= tlr * (nesterov ? gi + tmu * vi : vi);
    }
}

static void adam(size_t n, T *theta, const T *g, T *m, T *v, double lr, double b1, double b2,
                 double eps, double bc1, double bc2, double l2, double decoupled) {
    T tlr = (T)lr, tb1 = (T)b1, tb2 = (T)b2, c1 = (T)(1.0 - b1), c2 = (T)(1.0 - b2);
    T teps = (T)eps, tbc1 = (T)bc1, tbc2 = (T)bc2, tl2 = (T)l2, tdec = (T)decoupled;
    for (size_t i = 0; i < n; i++) {
        T t = theta[i];
        T gi = g[i] + tl2 * t;
        T mi = tb1 * m[i] + c1 * gi;
        T vi = tb2 * v[i] + c2 * gi * gi;
        m[i] = mi;
        v[i] = vi;
        theta[i] = t - tlr * (tbc1 * mi / (SQRT(tbc2 * vi) + teps) + tdec * t);
    }
}

static void rmsprop(size_t n, T *theta, const T *g, T *v, double lr, double rho, double eps,
                    double l2) {
    T tlr = (T)lr, trho = (T)rho, c = (T)(1.0 - rho), teps = (T)eps, tl2 = (T)l2;
    for (size_t i = 0; i < n; i++) {
        T gi = g[i] + tl2 * theta[i];
        T vi = trho * v[i] + c * gi * gi;
        v[i] = vi;
        theta[i] -= tlr * gi / (SQRT(vi) + teps);
    }
}

/* The window operations (im2col, col2im, pooling, transpose): window_ref.h's, under the table's
 * names. */
#define WIN(name) name
#include "window_ref.h"
