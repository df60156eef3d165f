/*
 * Scalar reference kernels. They define what every vectorised version must compute, and the
 * vectorised files call them for tails. Plain C, libm for exp/tanh/log1p.
 */
#include <math.h>
#include <string.h>

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

static void softmax_row(size_t cols, const double *z, double *a) {
    double m = -INFINITY;
    for (size_t c = 0; c < cols; c++)
        if (z[c] > m || isnan(z[c])) m = z[c];
    double s = 0.0;
    for (size_t c = 0; c < cols; c++) {
        double e = exp(z[c] - m);
        a[c] = e;
        s += e;
    }
    double inv = 1.0 / s;
    for (size_t c = 0; c < cols; c++) a[c] *= inv;
}

static void bias_act(nnb_activation act, double alpha, size_t rows, size_t cols, double *z,
                     const double *b, double *a) {
    for (size_t r = 0; r < rows; r++) {
        double *zr = z + r * cols;
        double *ar = a + r * cols;
        if (b)
            for (size_t c = 0; c < cols; c++) zr[c] += b[c];
        if (act == NNB_ACT_SOFTMAX) {
            softmax_row(cols, zr, ar);
            continue;
        }
        for (size_t c = 0; c < cols; c++) {
            double v = zr[c];
            switch (act) {
            case NNB_ACT_SIGMOID: v = sigmoid1(v); break;
            case NNB_ACT_TANH: v = tanh(v); break;
            case NNB_ACT_RELU: v = v > 0.0 ? v : 0.0; break;
            case NNB_ACT_LEAKY_RELU: v = v > 0.0 ? v : alpha * v; break;
            default: break;
            }
            ar[c] = v;
        }
    }
}

static void act_backward(nnb_activation act, double alpha, size_t rows, size_t cols,
                         const double *a, double *d) {
    size_t n = rows * cols;
    switch (act) {
    case NNB_ACT_SIGMOID:
        for (size_t i = 0; i < n; i++) d[i] *= a[i] * (1.0 - a[i]);
        break;
    case NNB_ACT_TANH:
        for (size_t i = 0; i < n; i++) d[i] *= 1.0 - a[i] * a[i];
        break;
    case NNB_ACT_RELU:
        for (size_t i = 0; i < n; i++) d[i] = a[i] > 0.0 ? d[i] : 0.0;
        break;
    case NNB_ACT_LEAKY_RELU:
        for (size_t i = 0; i < n; i++) d[i] = a[i] > 0.0 ? d[i] : alpha * d[i];
        break;
    case NNB_ACT_SOFTMAX:
        for (size_t r = 0; r < rows; r++) {
            const double *ar = a + r * cols;
            double *dr = d + r * cols;
            double dot = 0.0;
            for (size_t c = 0; c < cols; c++) dot += dr[c] * ar[c];
            for (size_t c = 0; c < cols; c++) dr[c] = ar[c] * (dr[c] - dot);
        }
        break;
    default:
        break;
    }
}

static double delta_se(size_t n, const double *yhat, const double *y, double scale, double *d) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++) {
        double e = yhat[i] - y[i];
        s += e * e;
        d[i] = scale * e;
    }
    return s;
}

static double delta_se_sigmoid(size_t n, const double *yhat, const double *y, double scale,
                               double *d) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++) {
        double o = yhat[i], e = o - y[i];
        s += e * e;
        d[i] = scale * e * o * (1.0 - o);
    }
    return s;
}

static double delta_bce_sigmoid(size_t n, const double *z, const double *yhat, const double *y,
                                double scale, double *d) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++) {
        double zi = z[i];
        /* softplus(z) - y z, with softplus(z) = max(z, 0) + log1p(exp(-|z|)) */
        s += (zi > 0.0 ? zi : 0.0) + log1p(exp(-fabs(zi))) - y[i] * zi;
        d[i] = scale * (yhat[i] - y[i]);
    }
    return s;
}

static double delta_ce_softmax(size_t rows, size_t cols, const double *z, const double *yhat,
                               const double *y, double scale, double *d) {
    double s = 0.0;
    for (size_t r = 0; r < rows; r++) {
        const double *zr = z + r * cols, *yr = y + r * cols, *pr = yhat + r * cols;
        double *dr = d + r * cols;
        double m = -INFINITY;
        for (size_t c = 0; c < cols; c++)
            if (zr[c] > m || isnan(zr[c])) m = zr[c];
        double se = 0.0, ysum = 0.0, yz = 0.0;
        for (size_t c = 0; c < cols; c++) {
            se += exp(zr[c] - m);
            ysum += yr[c];
            yz += yr[c] * (zr[c] - m);
        }
        /* sum_j y_j (lse - z_j) = ysum * log(se) - sum_j y_j (z_j - m) */
        s += ysum * log(se) - yz;
        for (size_t c = 0; c < cols; c++) dr[c] = scale * (pr[c] * ysum - yr[c]);
    }
    return s;
}

static void col_sum(size_t rows, size_t cols, const double *d, double *out) {
    memset(out, 0, cols * sizeof *out);
    for (size_t r = 0; r < rows; r++) {
        const double *dr = d + r * cols;
        for (size_t c = 0; c < cols; c++) out[c] += dr[c];
    }
}

static void axpy(size_t n, double a, const double *x, double *y) {
    for (size_t i = 0; i < n; i++) y[i] += a * x[i];
}

static void scal(size_t n, double a, double *x) {
    for (size_t i = 0; i < n; i++) x[i] *= a;
}

static double sumsq(size_t n, const double *x) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += x[i] * x[i];
    return s;
}

static void sgd(size_t n, double *theta, const double *g, double *v, double lr, double mu, double l2,
                int nesterov) {
    if (mu == 0.0) {
        for (size_t i = 0; i < n; i++) theta[i] -= lr * (g[i] + l2 * theta[i]);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        double gi = g[i] + l2 * theta[i];
        double vi = mu * v[i] + gi;
        v[i] = vi;
        theta[i] -= lr * (nesterov ? gi + mu * vi : vi);
    }
}

static void adam(size_t n, double *theta, const double *g, double *m, double *v, double lr,
                 double b1, double b2, double eps, double bc1, double bc2, double l2,
                 double decoupled) {
    for (size_t i = 0; i < n; i++) {
        double t = theta[i];
        double gi = g[i] + l2 * t;
        double mi = b1 * m[i] + (1.0 - b1) * gi;
        double vi = b2 * v[i] + (1.0 - b2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        theta[i] = t - lr * (bc1 * mi / (sqrt(bc2 * vi) + eps) + decoupled * t);
    }
}

static void rmsprop(size_t n, double *theta, const double *g, double *v, double lr, double rho,
                    double eps, double l2) {
    for (size_t i = 0; i < n; i++) {
        double gi = g[i] + l2 * theta[i];
        double vi = rho * v[i] + (1.0 - rho) * gi * gi;
        v[i] = vi;
        theta[i] -= lr * gi / (sqrt(vi) + eps);
    }
}

const nnbi_kernels nnbi_kernels_scalar = NNBI_KERNELS_TABLE("scalar", 1);
