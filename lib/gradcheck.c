/* nnb_net_grad_check: backpropagation against fourth-order central finite differences. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nnb_internal.h"

static double loss_at(nnb_net *net, const double *x, const double *y, size_t rows, nnb_loss loss,
                      nnb_reduction red) {
    nnbi_forward(net, &net->ws, x, rows, NULL);
    return nnbi_loss_backward(net, &net->ws, x, y, rows, loss, red, NULL);
}

/* The check of a float64 network; g_given (n_params values, may be NULL) replaces its own
 * backpropagated gradient (a float32 network's, checked against this float64 copy). */
static nnb_status check64(nnb_net *net, const double *x, size_t rows, size_t x_cols,
                          const double *y, size_t y_cols, nnb_loss loss, nnb_reduction reduction,
                          double eps, double *max_rel_err, size_t *worst_param,
                          const double *g_given) {
    const char *func = "nnb_net_grad_check";
    nnb_status st = nnbi_check_x(net, nnbi_src_f64(x), rows, x_cols, func);
    if (st == NNB_OK) st = nnbi_check_y(net, nnbi_src_f64(y), rows, y_cols, func);
    if (st == NNB_OK) st = nnbi_check_loss(net, loss, reduction, func);
    if (st == NNB_OK) st = nnbi_ws_reserve(net, &net->ws, rows, 1, 0, func);
    if (st != NNB_OK) return st;
    if (!(eps > 0) || !isfinite(eps)) eps = 1e-4;

    size_t n = net->n_params;
    double *g = malloc((n ? n : 1) * sizeof *g);
    double *f = malloc((n ? n : 1) * sizeof *f);
    if (!g || !f) {
        free(g), free(f);
        return nnbi_error(NNB_E_NOMEM, func, "no memory for %zu gradients", n);
    }
    nnbi_forward(net, &net->ws, x, rows, NULL);
    double l0 = nnbi_loss_backward(net, &net->ws, x, y, rows, loss, reduction, g);
    if (g_given) memcpy(g, g_given, n * sizeof *g);

    double scale = 0.0, *p = net->params; /* a float64 network's */
    for (size_t i = 0; i < n; i++) {
        double t = p[i];
        double h = eps * (fabs(t) > 1.0 ? fabs(t) : 1.0);
        p[i] = t + 2 * h;
        double lp2 = loss_at(net, x, y, rows, loss, reduction);
        p[i] = t + h;
        double lp1 = loss_at(net, x, y, rows, loss, reduction);
        p[i] = t - h;
        double lm1 = loss_at(net, x, y, rows, loss, reduction);
        p[i] = t - 2 * h;
        double lm2 = loss_at(net, x, y, rows, loss, reduction);
        p[i] = t;
        f[i] = (-lp2 + 8.0 * lp1 - 8.0 * lm1 + lm2) / (12.0 * h);
        double m = fmax(fabs(g[i]), fabs(f[i]));
        if (m > scale) scale = m;
    }
    double worst = 0.0;
    size_t wi = 0;
    for (size_t i = 0; i < n; i++) {
        double den = fmax(fmax(fabs(g[i]), fabs(f[i])),
                          fmax(fmax(1e-4 * scale, 1e-9 * fabs(l0) / eps), 1e-300));
        double e = fabs(g[i] - f[i]) / den;
        if (isnan(e)) { /* a NaN anywhere is the worst possible answer */
            worst = e;
            wi = i;
            break;
        }
        if (e > worst) {
            worst = e;
            wi = i;
        }
    }
    free(g), free(f);
    *max_rel_err = worst;
    if (worst_param) *worst_param = wi;
    return NNB_OK;
}

NNB_API nnb_status nnb_net_grad_check(nnb_net *net, const double *x, size_t rows, size_t x_cols,
                                      const double *y, size_t y_cols, nnb_loss loss,
                                      nnb_reduction reduction, double eps, double *max_rel_err,
                                      size_t *worst_param) {
    NNBI_CHECK_NULL(max_rel_err, __func__);
    if (!net || net->dtype != NNB_F32)
        return check64(net, x, rows, x_cols, y, y_cols, loss, reduction, eps, max_rel_err,
                       worst_param, NULL);
    /* float32: its backpropagated gradient against float64 finite differences */
    size_t n = net->n_params;
    double *g = malloc((n ? n : 1) * sizeof *g);
    if (!g) return nnbi_error(NNB_E_NOMEM, __func__, "no memory for %zu gradients", n);
    nnb_net *c = NULL;
    nnb_status st = nnb_net_backprop(net, x, rows, x_cols, y, y_cols, loss, reduction, NULL, g, n);
    if (st == NNB_OK) st = nnb_net_copy(&c, net, NNB_F64);
    if (st == NNB_OK)
        st = check64(c, x, rows, x_cols, y, y_cols, loss, reduction, eps, max_rel_err, worst_param,
                     g);
    nnb_net_free(c);
    free(g);
    return st;
}
NNBI_DEPRECATED_ALIAS(nnb_gradcheck, nnb_net_grad_check);
