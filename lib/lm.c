/*
 * Levenberg-Marquardt for small networks with a squared-error loss — the algorithm of MATLAB's
 * trainlm. Each iteration (one "epoch", full batch):
 *   e = yhat - y (m = rows x outputs residuals), J = d yhat / d theta (m x P) by backpropagation,
 *   JtJ = J^T J (cblas_dsyrk), g = J^T e (cblas_dgemv),
 *   solve (JtJ + mu I) d = g (LAPACKE_dposv; if that matrix is not numerically positive definite,
 *   LAPACKE_dsysv; if singular, a larger mu), try theta - d:
 *   lower sum of squares -> accept, mu *= 0.1; else mu *= 10 and try again, up to mu = 1e10,
 *   where training stops (no step lowers the loss any more).
 */
#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "train_internal.h"

#define MU_DEC 0.1
#define MU_INC 10.0
#define MU_MAX 1e10

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Sum of squared residuals of the forward pass in ws (also e = yhat - y when e is not NULL). */
static double sum_sq(const double *yhat, const double *y, size_t m, double *e) {
    double s = 0;
    for (size_t i = 0; i < m; i++) {
        double d = yhat[i] - y[i];
        if (e) e[i] = d;
        s += d * d;
    }
    return s;
}

/* J (m x P): row r*no + j holds d yhat[r][j] / d theta. */
static void jacobian(const nnb_net *net, nnbi_ws *ws, const double *x, size_t rows, double *J) {
    const nnbi_kernels *k = net->k;
    size_t L = net->n_layers, no = nnb_net_n_outputs(net), P = net->n_params;
    const nnbi_layer *out = &net->layers[L - 1];
    for (size_t j = 0; j < no; j++) {
        double *d = ws->dbuf[0];
        memset(d, 0, rows * no * sizeof *d);
        for (size_t r = 0; r < rows; r++) d[r * no + j] = 1.0;
        if (out->act != NNB_ACT_IDENTITY)
            k->act_backward(out->act, out->alpha, rows, no, ws->act[L - 1], d);
        int cur = 0;
        for (size_t l = L; l-- > 0;) {
            const nnbi_layer *Ly = &net->layers[l];
            const double *in = l == 0 ? x : ws->act[l - 1];
            const double *dl = ws->dbuf[cur];
            for (size_t r = 0; r < rows; r++) {
                double *Jr = J + (r * no + j) * P;
                const double *dr = dl + r * Ly->n_out, *ir = in + r * Ly->n_in;
                for (size_t o = 0; o < Ly->n_out; o++) {
                    double *w = Jr + Ly->w_off + o * Ly->n_in;
                    for (size_t i = 0; i < Ly->n_in; i++) w[i] = dr[o] * ir[i];
                    if (Ly->has_bias) Jr[Ly->b_off + o] = dr[o];
                }
            }
            if (l == 0) break;
            double *dx = ws->dbuf[1 - cur];
            nnbi_dense_backward_input(Ly, net->params, dl, rows, dx);
            const nnbi_layer *Pv = &net->layers[l - 1];
            if (Pv->act != NNB_ACT_IDENTITY)
                k->act_backward(Pv->act, Pv->alpha, rows, Pv->n_out, ws->act[l - 1], dx);
            cur = 1 - cur;
        }
    }
}

/* Solves (JtJ + mu I) d = g into d; A, ipiv and work (lwork doubles) are scratch. JtJ holds the
 * upper triangle in row-major order, which is the lower triangle in LAPACK's column-major view;
 * the _work interfaces in column-major order allocate nothing. Returns 0 on success. */
static int solve(const double *JtJ, const double *g, double mu, size_t P, double *A, double *d,
                 lapack_int *ipiv, double *work, lapack_int lwork) {
    for (int attempt = 0; attempt < 2; attempt++) {
        memcpy(A, JtJ, P * P * sizeof *A);
        for (size_t i = 0; i < P; i++) A[i * P + i] += mu;
        memcpy(d, g, P * sizeof *d);
        lapack_int n = (lapack_int)P, info;
        if (attempt == 0)
            info = LAPACKE_dposv_work(LAPACK_COL_MAJOR, 'L', n, 1, A, n, d, n);
        else /* not positive definite in floating point: symmetric indefinite (Bunch-Kaufman) */
            info = LAPACKE_dsysv_work(LAPACK_COL_MAJOR, 'L', n, 1, A, n, ipiv, d, n, work, lwork);
        if (info == 0) {
            for (size_t i = 0; i < P; i++)
                if (!isfinite(d[i])) return -1;
            return 0;
        }
    }
    return -1;
}

nnb_status nnbi_train_lm(nnbi_run *r) {
    nnb_net *net = r->net;
    const nnb_train_opts *o = r->opts;
    const char *func = "nnb_net_train";
    size_t n = r->n_train, no = nnb_net_n_outputs(net), ni = net->n_inputs, P = net->n_params;
    size_t m = n * no, jn;
    if (P > NNBI_LM_MAX_PARAMS || !nnbi_mul_size(m, P, &jn) || jn > NNBI_LM_MAX_JACOBIAN)
        return nnbi_error(NNB_E_TOO_LARGE, func,
                          "Levenberg-Marquardt is for small problems: %zu parameters and a %zu x %zu "
                          "Jacobian exceed its limits (%zu parameters, %zu Jacobian entries); use "
                          "a first-order optimiser such as Adam",
                          P, m, P, NNBI_LM_MAX_PARAMS, NNBI_LM_MAX_JACOBIAN);
    /* everything before the loop */
    double *J = malloc(jn * sizeof *J);
    double *e = malloc(m * sizeof *e);
    double *JtJ = malloc(P * P * sizeof *JtJ), *A = malloc(P * P * sizeof *A);
    double *g = malloc(P * sizeof *g), *d = malloc(P * sizeof *d), *theta = malloc(P * sizeof *theta);
    lapack_int *ipiv = malloc(P * sizeof *ipiv);
    /* dsysv's workspace, sized once (workspace query) */
    double wq = 0;
    lapack_int lwork = 0;
    if (LAPACKE_dsysv_work(LAPACK_COL_MAJOR, 'L', (lapack_int)P, 1, NULL, (lapack_int)P, NULL, NULL,
                           (lapack_int)P, &wq, -1) == 0)
        lwork = (lapack_int)wq;
    if (lwork < (lapack_int)P) lwork = (lapack_int)P;
    double *work = malloc((size_t)lwork * sizeof *work);
    double *xt = NULL, *yt = NULL; /* the training rows, gathered when a split took some away */
    if (r->train_idx) {
        xt = malloc(n * ni * sizeof *xt);
        yt = malloc(n * no * sizeof *yt);
    }
    nnb_status st = NNB_OK;
    if (!J || !e || !JtJ || !A || !g || !d || !theta || !ipiv || !work ||
        (r->train_idx && (!xt || !yt))) {
        st = nnbi_error(NNB_E_NOMEM, func, "no memory for Levenberg-Marquardt (%zu x %zu Jacobian)",
                        m, P);
        goto out;
    }
    const double *x = r->x, *y = r->y;
    if (r->train_idx) {
        for (size_t i = 0; i < n; i++) {
            memcpy(xt + i * ni, x + r->train_idx[i] * ni, ni * sizeof *xt);
            memcpy(yt + i * no, y + r->train_idx[i] * no, no * sizeof *yt);
        }
        x = xt, y = yt;
    }
    nnbi_ws *ws = &net->ws;
    const double *yhat = ws->act[net->n_layers - 1];
    nnbi_forward(net, ws, x, n, NULL);
    double E = sum_sq(yhat, y, m, e);
    if (!isfinite(E)) { /* no step can lower a loss that is not finite: an error, not "converged" */
        st = nnbi_error(NNB_E_NONFINITE, func,
                        "epoch %llu: the loss before the first Levenberg-Marquardt step is %g; "
                        "training cannot start (standardise the data, or check it for huge "
                        "values)",
                        (unsigned long long)net->opt.epoch + 1, E);
        goto out;
    }
    for (size_t it = 0; it < o->epochs; it++) {
        if (nnbi_stop_requested(o)) { /* one LM step is one epoch: stop between them */
            st = nnbi_error(NNB_E_CANCELLED, "nnb_net_train", "stopped on request after epoch %llu",
                            (unsigned long long)net->opt.epoch);
            break;
        }
        double t0 = now();
        jacobian(net, ws, x, n, J);
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)P, (int)m, 1.0, J, (int)P, 0.0, JtJ,
                    (int)P);
        cblas_dgemv(CblasRowMajor, CblasTrans, (int)m, (int)P, 1.0, J, (int)P, e, 1, 0.0, g, 1);
        memcpy(theta, net->params, P * sizeof *theta);
        int accepted = 0;
        while (net->opt.lm_mu <= MU_MAX) {
            if (solve(JtJ, g, net->opt.lm_mu, P, A, d, ipiv, work, lwork) == 0) {
                for (size_t i = 0; i < P; i++) net->params[i] = theta[i] - d[i];
                nnbi_forward(net, ws, x, n, NULL);
                double E_try = sum_sq(yhat, y, m, NULL);
                if (E_try < E) {
                    E = sum_sq(yhat, y, m, e);
                    net->opt.lm_mu *= MU_DEC;
                    if (net->opt.lm_mu < 1e-20) net->opt.lm_mu = 1e-20;
                    accepted = 1;
                    break;
                }
            }
            net->opt.lm_mu *= MU_INC;
        }
        net->opt.step++;
        if (!accepted) { /* no step lowers the loss: converged as far as LM can go */
            memcpy(net->params, theta, P * sizeof *theta);
            nnbi_forward(net, ws, x, n, NULL);
            r->stopped_early = 1;
            break;
        }
        /* the loss after the accepted step, in the configured loss and reduction */
        double loss = nnbi_output_delta(net, ws, y, n, o->loss, o->reduction, 0, n);
        double hits = r->acc ? (double)nnbi_count_correct(yhat, y, n, no) : 0;
        double loss_sum = o->reduction == NNB_REDUCTION_MEAN ? loss * (double)n : loss;
        int stop = 0;
        st = nnbi_epoch_end(r, t0, loss_sum, hits, net->opt.lm_mu, 0, &stop);
        if (st != NNB_OK || stop) break;
        /* validation may have used the workspace: redo the training rows' forward pass */
        if (r->has_val) nnbi_forward(net, ws, x, n, NULL);
    }
out:
    free(J), free(e), free(JtJ), free(A), free(g), free(d), free(theta), free(ipiv), free(work),
        free(xt), free(yt);
    return st;
}
