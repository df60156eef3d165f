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

#include "train_internal.h"

#define MU_DEC 0.1
#define MU_INC 10.0
#define MU_MAX 1e10

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

/* J (m x P): row r*no + j holds d yhat[r][j] / d theta, by backpropagation through the layer
 * kinds: for each output j, the delta of the unit vector e_j through the output activation, then
 * layer by layer each row's parameter gradient (the kind's, on that one row) into that row of J
 * and the delta of the previous layer. */
static void jacobian(const nnb_net *net, nnbi_ws *ws, const double *x, size_t rows, double *J) {
    const nnbi_elem *t = net->t;
    size_t L = net->n_layers, no = nnbi_n_outputs(net), P = net->n_params;
    const nnbi_layer *out = &net->layers[L - 1];
    for (size_t j = 0; j < no; j++) {
        double *d = ws->dbuf[0];
        memset(d, 0, rows * no * sizeof *d);
        for (size_t r = 0; r < rows; r++) d[r * no + j] = 1.0;
        if (out->act != NNB_ACT_IDENTITY)
            t->act_backward(out->act, out->alpha, rows, no, ws->act[L - 1], d);
        int cur = 0;
        for (size_t l = L; l-- > 0;) {
            const nnbi_layer *Ly = &net->layers[l];
            const double *in = l == 0 ? x : ws->act[l - 1];
            const double *dl = ws->dbuf[cur];
            for (size_t r = 0; r < rows && Ly->n_p; r++)
                Ly->kind->backward_params(t, Ly, dl + r * Ly->n_out, in + r * Ly->n_in, 1,
                                          J + (r * no + j) * P, ws->work[l]);
            if (l == 0) break;
            double *dx = ws->dbuf[1 - cur];
            Ly->kind->backward_input(t, Ly, net->params, dl, rows, dx, ws->work[l]);
            const nnbi_layer *Pv = &net->layers[l - 1];
            if (Pv->act != NNB_ACT_IDENTITY)
                t->act_backward(Pv->act, Pv->alpha, rows, Pv->n_out, ws->act[l - 1], dx);
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

/* Everything the iterations need, allocated before them. */
typedef struct lm_bufs {
    size_t n, no, P, m; /* rows, outputs, parameters, residuals (n x no) */
    double *J, *e, *JtJ, *A, *g, *d, *theta, *work;
    lapack_int *ipiv, lwork;
    double *xt, *yt;     /* the training rows, gathered when a split took some away */
    const double *x, *y; /* the training rows as the iterations read them */
} lm_bufs;

static void lm_free(lm_bufs *b) {
    free(b->J), free(b->e), free(b->JtJ), free(b->A), free(b->g), free(b->d), free(b->theta),
        free(b->ipiv), free(b->work), free(b->xt), free(b->yt);
}

static nnb_status lm_alloc(const nnbi_run *r, lm_bufs *b, const char *func) {
    const nnb_net *net = r->net;
    size_t n = r->n_train, no = nnbi_n_outputs(net), ni = net->n_inputs, P = net->n_params;
    size_t m = n * no, jn;
    if (P > NNBI_LM_MAX_PARAMS || !nnbi_mul_size(m, P, &jn) || jn > NNBI_LM_MAX_JACOBIAN)
        return nnbi_error(
            NNB_E_TOO_LARGE, func,
            "Levenberg-Marquardt is for small problems: %zu parameters and a %zu x %zu "
            "Jacobian exceed its limits (%zu parameters, %zu Jacobian entries); use "
            "a first-order optimiser such as Adam",
            P, m, P, NNBI_LM_MAX_PARAMS, NNBI_LM_MAX_JACOBIAN);
    *b = (lm_bufs){.n = n, .no = no, .P = P, .m = m};
    b->J = malloc(jn * sizeof *b->J);
    b->e = malloc(m * sizeof *b->e);
    b->JtJ = malloc(P * P * sizeof *b->JtJ), b->A = malloc(P * P * sizeof *b->A);
    b->g = malloc(P * sizeof *b->g), b->d = malloc(P * sizeof *b->d);
    b->theta = malloc(P * sizeof *b->theta);
    b->ipiv = malloc(P * sizeof *b->ipiv);
    /* dsysv's workspace, sized once (workspace query) */
    double wq = 0;
    if (LAPACKE_dsysv_work(LAPACK_COL_MAJOR, 'L', (lapack_int)P, 1, NULL, (lapack_int)P, NULL, NULL,
                           (lapack_int)P, &wq, -1) == 0)
        b->lwork = (lapack_int)wq;
    if (b->lwork < (lapack_int)P) b->lwork = (lapack_int)P;
    b->work = malloc((size_t)b->lwork * sizeof *b->work);
    if (r->train_idx) {
        b->xt = malloc(n * ni * sizeof *b->xt);
        b->yt = malloc(n * no * sizeof *b->yt);
    }
    if (!b->J || !b->e || !b->JtJ || !b->A || !b->g || !b->d || !b->theta || !b->ipiv || !b->work ||
        (r->train_idx && (!b->xt || !b->yt)))
        return nnbi_error(NNB_E_NOMEM, func,
                          "no memory for Levenberg-Marquardt (%zu x %zu Jacobian)", m, P);
    b->x = r->x.p, b->y = r->y.p; /* float64 data (nnb_net_train checked) */
    if (r->train_idx) {
        for (size_t i = 0; i < n; i++) {
            memcpy(b->xt + i * ni, b->x + r->train_idx[i] * ni, ni * sizeof *b->xt);
            memcpy(b->yt + i * no, b->y + r->train_idx[i] * no, no * sizeof *b->yt);
        }
        b->x = b->xt, b->y = b->yt;
    }
    return NNB_OK;
}

/* One iteration: the Jacobian at theta, then damped steps until one lowers the sum of squares *E
 * (accepted: returns 1) or mu passes MU_MAX (theta restored: returns 0). */
static int lm_step(nnb_net *net, lm_bufs *b, double *E) {
    double *params = net->params; /* a float64 network's (nnb_net_train checked) */
    const double *yhat = net->ws.act[net->n_layers - 1];
    size_t P = b->P, m = b->m;
    jacobian(net, &net->ws, b->x, b->n, b->J);
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)P, (int)m, 1.0, b->J, (int)P, 0.0,
                b->JtJ, (int)P);
    cblas_dgemv(CblasRowMajor, CblasTrans, (int)m, (int)P, 1.0, b->J, (int)P, b->e, 1, 0.0, b->g,
                1);
    memcpy(b->theta, params, P * sizeof *b->theta);
    while (net->opt.lm_mu <= MU_MAX) {
        if (solve(b->JtJ, b->g, net->opt.lm_mu, P, b->A, b->d, b->ipiv, b->work, b->lwork) == 0) {
            for (size_t i = 0; i < P; i++) params[i] = b->theta[i] - b->d[i];
            nnbi_forward(net, &net->ws, b->x, b->n, NULL);
            double E_try = sum_sq(yhat, b->y, m, NULL);
            if (E_try < *E) {
                *E = sum_sq(yhat, b->y, m, b->e);
                net->opt.lm_mu *= MU_DEC;
                if (net->opt.lm_mu < 1e-20) net->opt.lm_mu = 1e-20;
                return 1;
            }
        }
        net->opt.lm_mu *= MU_INC;
    }
    /* no step lowers the loss: converged as far as LM can go */
    memcpy(params, b->theta, P * sizeof *b->theta);
    nnbi_forward(net, &net->ws, b->x, b->n, NULL);
    return 0;
}

nnb_status nnbi_train_lm(nnbi_run *r) {
    nnb_net *net = r->net;
    const nnb_train_opts *o = r->opts;
    const char *func = "nnb_net_train";
    lm_bufs b = {0};
    nnb_status st = lm_alloc(r, &b, func);
    if (st != NNB_OK) {
        lm_free(&b);
        return st;
    }
    nnbi_ws *ws = &net->ws;
    const double *yhat = ws->act[net->n_layers - 1];
    nnbi_forward(net, ws, b.x, b.n, NULL);
    double E = sum_sq(yhat, b.y, b.m, b.e);
    if (!isfinite(E)) /* no step can lower a loss that is not finite: an error, not "converged" */
        st = nnbi_error(NNB_E_NONFINITE, func,
                        "epoch %llu: the loss before the first Levenberg-Marquardt step is %g; "
                        "training cannot start (standardise the data, or check it for huge "
                        "values)",
                        (unsigned long long)net->opt.epoch + 1, E);
    for (size_t it = 0; st == NNB_OK && it < o->epochs; it++) {
        if (nnbi_stop_requested(o)) { /* one LM step is one epoch: stop between them */
            st = nnbi_error(NNB_E_CANCELLED, "nnb_net_train", "stopped on request after epoch %llu",
                            (unsigned long long)net->opt.epoch);
            break;
        }
        double t0 = nnbi_now();
        int accepted = lm_step(net, &b, &E);
        net->opt.step++;
        if (!accepted) {
            r->stopped_early = 1;
            break;
        }
        /* the loss after the accepted step, in the configured loss and reduction */
        double loss = nnbi_output_delta(net, ws, b.y, b.n, o->loss, o->reduction, 0, b.n);
        double hits = r->acc ? (double)net->t->count_correct(yhat, b.y, b.n, b.no) : 0;
        double loss_sum = o->reduction == NNB_REDUCTION_MEAN ? loss * (double)b.n : loss;
        int stop = 0;
        st = nnbi_epoch_end(r, t0, loss_sum, hits, net->opt.lm_mu, 0, &stop);
        if (st != NNB_OK || stop) break;
        /* validation may have used the workspace: redo the training rows' forward pass */
        if (r->has_val) nnbi_forward(net, ws, b.x, b.n, NULL);
    }
    lm_free(&b);
    return st;
}
