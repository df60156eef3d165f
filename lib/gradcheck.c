/* nnb_gradcheck: backpropagation against fourth-order central finite differences. */
#include <math.h>
#include <stdlib.h>

#include "nnb_internal.h"

static double loss_at(nnb_net *net, const double *x, const double *y, size_t rows, nnb_loss loss,
                      nnb_reduction red) {
    nnbi_forward(net, &net->ws, x, rows, NULL);
    return nnbi_loss_backward(net, &net->ws, x, y, rows, loss, red, NULL);
}

NNB_API nnb_status nnb_gradcheck(nnb_net *net, const double *x, size_t rows, size_t x_cols,
                                 const double *y, size_t y_cols, nnb_loss loss,
                                 nnb_reduction reduction, double eps, double *max_rel_err,
                                 size_t *worst_param) {
    NNBI_CHECK_NULL(max_rel_err, __func__);
    nnb_status st = nnbi_check_x(net, x, rows, x_cols, __func__);
    if (st == NNB_OK) st = nnbi_check_y(net, y, rows, y_cols, __func__);
    if (st == NNB_OK) st = nnbi_check_loss(net, loss, reduction, __func__);
    if (st == NNB_OK) st = nnbi_ws_reserve(net, &net->ws, rows, 1, __func__);
    if (st != NNB_OK) return st;
    if (!(eps > 0) || !isfinite(eps)) eps = 1e-4;

    size_t n = net->n_params;
    double *g = malloc((n ? n : 1) * sizeof *g);
    double *f = malloc((n ? n : 1) * sizeof *f);
    if (!g || !f) {
        free(g), free(f);
        return nnbi_error(NNB_E_NOMEM, __func__, "no memory for %zu gradients", n);
    }
    nnbi_forward(net, &net->ws, x, rows, NULL);
    double l0 = nnbi_loss_backward(net, &net->ws, x, y, rows, loss, reduction, g);

    double scale = 0.0;
    for (size_t i = 0; i < n; i++) {
        double t = net->params[i];
        double h = eps * (fabs(t) > 1.0 ? fabs(t) : 1.0);
        net->params[i] = t + 2 * h;
        double lp2 = loss_at(net, x, y, rows, loss, reduction);
        net->params[i] = t + h;
        double lp1 = loss_at(net, x, y, rows, loss, reduction);
        net->params[i] = t - h;
        double lm1 = loss_at(net, x, y, rows, loss, reduction);
        net->params[i] = t - 2 * h;
        double lm2 = loss_at(net, x, y, rows, loss, reduction);
        net->params[i] = t;
        f[i] = (-lp2 + 8.0 * lp1 - 8.0 * lm1 + lm2) / (12.0 * h);
        double m = fmax(fabs(g[i]), fabs(f[i]));
        if (m > scale) scale = m;
    }
    double worst = 0.0;
    size_t wi = 0;
    for (size_t i = 0; i < n; i++) {
        double den = fmax(fmax(fabs(g[i]), fabs(f[i])), fmax(fmax(1e-4 * scale, 1e-9 * fabs(l0) / eps), 1e-300));
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
