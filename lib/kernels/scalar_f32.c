/*
 * Scalar float32 kernels: the reference the vectorised float32 kernels are held to (kernels.h).
 * Element-wise arithmetic without exp/log is float, in the order the float64 kernels use, with the
 * double parameters rounded to float once; exp/tanh/log1p are libm's double functions rounded to
 * float once; sums accumulate in double.
 */
#include <math.h>
#include <string.h>

#include "kernels.h"

/* sigmoid in double, stable on the whole line (never exp of a positive number), rounded once */
static inline float sigmoid1(float xf) {
    double x = xf;
    double e = exp(isnan(x) ? x : -fabs(x));
    return (float)((x >= 0.0 ? 1.0 : e) / (1.0 + e));
}

/* a_c = e_c * (float)(1 / sum e), e_c = exp(z_c - max) rounded to float, the sum in double */
static void softmax_row(size_t cols, const float *z, float *a) {
    float m = -INFINITY;
    for (size_t c = 0; c < cols; c++)
        if (z[c] > m || isnan(z[c])) m = z[c];
    double s = 0.0;
    for (size_t c = 0; c < cols; c++) {
        a[c] = (float)exp((double)(z[c] - m)); /* z - max in float, as the vector sets */
        s += a[c];
    }
    float inv = (float)(1.0 / s);
    for (size_t c = 0; c < cols; c++) a[c] *= inv;
}

static void bias_act(nnb_activation act, double alpha, size_t rows, size_t cols, float *z,
                     const float *b, float *a) {
    float al = (float)alpha;
    for (size_t r = 0; r < rows; r++) {
        float *zr = z + r * cols;
        float *ar = a + r * cols;
        if (b)
            for (size_t c = 0; c < cols; c++) zr[c] += b[c];
        if (act == NNB_ACT_SOFTMAX) {
            softmax_row(cols, zr, ar);
            continue;
        }
        for (size_t c = 0; c < cols; c++) {
            float v = zr[c];
            switch (act) {
            case NNB_ACT_SIGMOID: v = sigmoid1(v); break;
            case NNB_ACT_TANH: v = (float)tanh((double)v); break;
            case NNB_ACT_RELU: v = v > 0.0f ? v : 0.0f; break;
            case NNB_ACT_LEAKY_RELU: v = v > 0.0f ? v : al * v; break;
            default: break;
            }
            ar[c] = v;
        }
    }
}

static void act_backward(nnb_activation act, double alpha, size_t rows, size_t cols,
                         const float *a, float *d) {
    size_t n = rows * cols;
    float al = (float)alpha;
    switch (act) {
    case NNB_ACT_SIGMOID:
        for (size_t i = 0; i < n; i++) d[i] *= a[i] * (1.0f - a[i]);
        break;
    case NNB_ACT_TANH:
        for (size_t i = 0; i < n; i++) d[i] *= 1.0f - a[i] * a[i];
        break;
    case NNB_ACT_RELU:
        for (size_t i = 0; i < n; i++) d[i] = a[i] > 0.0f ? d[i] : 0.0f;
        break;
    case NNB_ACT_LEAKY_RELU:
        for (size_t i = 0; i < n; i++) d[i] = a[i] > 0.0f ? d[i] : al * d[i];
        break;
    case NNB_ACT_SOFTMAX:
        for (size_t r = 0; r < rows; r++) {
            const float *ar = a + r * cols;
            float *dr = d + r * cols;
            double dot = 0.0;
            for (size_t c = 0; c < cols; c++) dot += (double)dr[c] * ar[c];
            float fdot = (float)dot;
            for (size_t c = 0; c < cols; c++) dr[c] = ar[c] * (dr[c] - fdot);
        }
        break;
    default:
        break;
    }
}

static double delta_se(size_t n, const float *yhat, const float *y, double scale, float *d) {
    double s = 0.0;
    float sc = (float)scale;
    for (size_t i = 0; i < n; i++) {
        float e = yhat[i] - y[i];
        s += (double)e * e;
        d[i] = sc * e;
    }
    return s;
}

static double delta_se_sigmoid(size_t n, const float *yhat, const float *y, double scale,
                               float *d) {
    double s = 0.0;
    float sc = (float)scale;
    for (size_t i = 0; i < n; i++) {
        float o = yhat[i], e = o - y[i];
        s += (double)e * e;
        d[i] = sc * e * o * (1.0f - o);
    }
    return s;
}

static double delta_bce_sigmoid(size_t n, const float *z, const float *yhat, const float *y,
                                double scale, float *d) {
    double s = 0.0;
    float sc = (float)scale;
    for (size_t i = 0; i < n; i++) {
        double zi = z[i];
        /* softplus(z) - y z, softplus(z) = max(z, 0) + log1p(exp(-|z|)), all in double */
        s += ((zi > 0.0 ? zi : 0.0) - (double)y[i] * zi) + log1p(exp(-fabs(zi)));
        d[i] = sc * (yhat[i] - y[i]);
    }
    return s;
}

static double delta_ce_softmax(size_t rows, size_t cols, const float *z, const float *yhat,
                               const float *y, double scale, float *d) {
    double s = 0.0;
    float sc = (float)scale;
    for (size_t r = 0; r < rows; r++) {
        const float *zr = z + r * cols, *yr = y + r * cols, *pr = yhat + r * cols;
        float *dr = d + r * cols;
        float m = -INFINITY;
        for (size_t c = 0; c < cols; c++)
            if (zr[c] > m || isnan(zr[c])) m = zr[c];
        double se = 0.0, ysum = 0.0, yz = 0.0;
        for (size_t c = 0; c < cols; c++) {
            double zm = (double)zr[c] - m;
            se += exp(zm);
            ysum += yr[c];
            yz += yr[c] * zm;
        }
        s += ysum * log(se) - yz;
        float fys = (float)ysum;
        for (size_t c = 0; c < cols; c++) dr[c] = sc * (pr[c] * fys - yr[c]);
    }
    return s;
}

static void col_sum(size_t rows, size_t cols, const float *d, float *out) {
    memset(out, 0, cols * sizeof *out);
    for (size_t r = 0; r < rows; r++) {
        const float *dr = d + r * cols;
        for (size_t c = 0; c < cols; c++) out[c] += dr[c];
    }
}

static void axpy(size_t n, double a, const float *x, float *y) {
    float af = (float)a;
    for (size_t i = 0; i < n; i++) y[i] += af * x[i];
}

static void scal(size_t n, double a, float *x) {
    float af = (float)a;
    for (size_t i = 0; i < n; i++) x[i] *= af;
}

static double sumsq(size_t n, const float *x) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += (double)x[i] * x[i];
    return s;
}

static void sgd(size_t n, float *theta, const float *g, float *v, double lr, double mu, double l2,
                int nesterov) {
    float flr = (float)lr, fmu = (float)mu, fl2 = (float)l2;
    if (mu == 0.0) {
        for (size_t i = 0; i < n; i++) theta[i] -= flr * (g[i] + fl2 * theta[i]);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        float gi = g[i] + fl2 * theta[i];
        float vi = fmu * v[i] + gi;
        v[i] = vi;
        theta[i] -= flr * (nesterov ? gi + fmu * vi : vi);
    }
}

static void adam(size_t n, float *theta, const float *g, float *m, float *v, double lr, double b1,
                 double b2, double eps, double bc1, double bc2, double l2, double decoupled) {
    float flr = (float)lr, fb1 = (float)b1, fb2 = (float)b2, c1 = (float)(1.0 - b1);
    float c2 = (float)(1.0 - b2), feps = (float)eps, fbc1 = (float)bc1, fbc2 = (float)bc2;
    float fl2 = (float)l2, fdec = (float)decoupled;
    for (size_t i = 0; i < n; i++) {
        float t = theta[i];
        float gi = g[i] + fl2 * t;
        float mi = fb1 * m[i] + c1 * gi;
        float vi = fb2 * v[i] + c2 * gi * gi;
        m[i] = mi;
        v[i] = vi;
        theta[i] = t - flr * (fbc1 * mi / (sqrtf(fbc2 * vi) + feps) + fdec * t);
    }
}

static void rmsprop(size_t n, float *theta, const float *g, float *v, double lr, double rho,
                    double eps, double l2) {
    float flr = (float)lr, frho = (float)rho, c = (float)(1.0 - rho), feps = (float)eps;
    float fl2 = (float)l2;
    for (size_t i = 0; i < n; i++) {
        float gi = g[i] + fl2 * theta[i];
        float vi = frho * v[i] + c * gi * gi;
        v[i] = vi;
        theta[i] -= flr * gi / (sqrtf(vi) + feps);
    }
}

const nnbi_kernels_f32 nnbi_kernels_f32_scalar = NNBI_KERNELS_TABLE("scalar", 1);

