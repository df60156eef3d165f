/*
 * conv_helper.c's computations for one element type, included once per type with T, TN(name),
 * KTAB (the kernel table of that type) and GEMM (cblas_dgemm or cblas_sgemm) defined.
 */

/* x (n samples, channel-major doubles) as T in g's layout. */
static T *TN(load_in)(const nnbi_win *g, size_t n, const double *x) {
    size_t per = g->C * g->H * g->W;
    T *t = malloc(n * per * sizeof *t), *y = malloc(n * per * sizeof *y);
    for (size_t i = 0; i < n * per; i++) t[i] = (T)x[i];
    if (g->chw) {
        free(y);
        return t;
    }
    KTAB->transpose(n, g->C, g->H * g->W, t, y); /* C x HW -> HW x C */
    free(t);
    return y;
}

/* Writes n samples of `rows x cols` channels-last values (rows pixels, cols channels) as
 * channel-major doubles. */
static void TN(emit_last)(size_t n, size_t rows, size_t cols, const T *y) {
    size_t len = n * rows * cols;
    T *t = malloc(len * sizeof *t);
    double *d = malloc(len * sizeof *d);
    KTAB->transpose(n, rows, cols, y, t);
    for (size_t i = 0; i < len; i++) d[i] = t[i];
    write_doubles(d, len);
    free(t), free(d);
}

/* Writes n samples in g's input layout as channel-major doubles. */
static void TN(emit_in)(const nnbi_win *g, size_t n, const T *x) {
    size_t len = n * g->C * g->H * g->W;
    if (!g->chw) {
        TN(emit_last)(n, g->H * g->W, g->C, x);
        return;
    }
    double *d = malloc(len * sizeof *d);
    for (size_t i = 0; i < len; i++) d[i] = x[i];
    write_doubles(d, len);
    free(d);
}

/* dy (n samples of C x P, channel-major doubles) as channels-last T (n x P x C). */
static T *TN(load_grad)(size_t n, size_t C, size_t P, const double *dy) {
    T *t = malloc(n * C * P * sizeof *t), *d = malloc(n * C * P * sizeof *d);
    for (size_t i = 0; i < n * C * P; i++) t[i] = (T)dy[i];
    KTAB->transpose(n, C, P, t, d);
    free(t);
    return d;
}

static int TN(run_conv)(size_t n, const nnbi_win_spec *s) {
    nnbi_win g;
    if (nnbi_win_conv(s, &g, "conv_helper") != NNB_OK) {
        fprintf(stderr, "%s\n", nnb_last_error());
        return 2;
    }
    size_t C = g.C, F = s->F, P = g.OH * g.OW, K = nnbi_win_cols(&g, 0), ld = K + 1;
    double *x = read_doubles(n * C * g.H * g.W), *w = read_doubles(F * C * g.KH * g.KW);
    double *b = read_doubles(F), *dy = read_doubles(n * F * P);
    T *xin = TN(load_in)(&g, n, x), *wext = malloc(F * ld * sizeof *wext);
    for (size_t f = 0; f < F; f++) { /* (kh, kw, c) order, then the bias */
        for (size_t c = 0; c < C; c++)
            for (size_t kh = 0; kh < g.KH; kh++)
                for (size_t kw = 0; kw < g.KW; kw++)
                    wext[f * ld + (kh * g.KW + kw) * C + c] =
                        (T)w[((f * C + c) * g.KH + kh) * g.KW + kw];
        wext[f * ld + K] = (T)b[f];
    }
    T *col = malloc(n * P * ld * sizeof *col), *y = malloc(n * P * F * sizeof *y);
    KTAB->im2col(&g, n, xin, 1, col);
    GEMM(CblasRowMajor, CblasNoTrans, CblasTrans, (int)(n * P), (int)F, (int)ld, 1, col, (int)ld,
         wext, (int)ld, 0, y, (int)F);
    TN(emit_last)(n, P, F, y);
    /* backward: the weight and bias gradients in one GEMM over the column matrix, then the input
     * gradient's columns (overwriting the column matrix) and col2im */
    T *d = TN(load_grad)(n, F, P, dy), *dw = malloc(F * ld * sizeof *dw);
    T *dx = malloc(n * C * g.H * g.W * sizeof *dx);
    GEMM(CblasRowMajor, CblasTrans, CblasNoTrans, (int)F, (int)ld, (int)(n * P), 1, d, (int)F, col,
         (int)ld, 0, dw, (int)ld);
    GEMM(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)(n * P), (int)K, (int)F, 1, d, (int)F,
         wext, (int)ld, 0, col, (int)ld);
    KTAB->col2im(&g, n, col, ld, dx);
    TN(emit_in)(&g, n, dx);
    double *dwo = malloc(F * (K + 1) * sizeof *dwo);
    for (size_t f = 0; f < F; f++) {
        for (size_t c = 0; c < C; c++)
            for (size_t kh = 0; kh < g.KH; kh++)
                for (size_t kw = 0; kw < g.KW; kw++)
                    dwo[((f * C + c) * g.KH + kh) * g.KW + kw] =
                        dw[f * ld + (kh * g.KW + kw) * C + c];
        dwo[F * K + f] = dw[f * ld + K];
    }
    write_doubles(dwo, F * (K + 1)); /* dw, then db */
    free(x), free(w), free(b), free(dy), free(xin), free(wext), free(col), free(y), free(d);
    free(dw), free(dx), free(dwo);
    return 0;
}

static int TN(run_pool)(size_t n, const nnbi_win_spec *s, int max) {
    nnbi_win g;
    if (nnbi_win_pool(s, &g, "conv_helper") != NNB_OK) {
        fprintf(stderr, "%s\n", nnb_last_error());
        return 2;
    }
    size_t C = g.C, P = g.OH * g.OW, plane = g.H * g.W;
    double *x = read_doubles(n * C * plane), *dy = read_doubles(n * C * P);
    T *xin = TN(load_in)(&g, n, x), *y = malloc(n * P * C * sizeof *y);
    T *pos = malloc(n * P * C * sizeof *pos);
    if (max)
        KTAB->maxpool(&g, n, xin, y, pos);
    else
        KTAB->avgpool(&g, n, xin, y);
    TN(emit_last)(n, P, C, y);
    if (max) { /* each maximum's index within its channel's plane, channel-major */
        double *idx = malloc(n * C * P * sizeof *idx);
        for (size_t bb = 0; bb < n; bb++)
            for (size_t p = 0; p < P; p++)
                for (size_t c = 0; c < C; c++) {
                    size_t k = (size_t)pos[(bb * P + p) * C + c], oh = p / g.OW, ow = p % g.OW;
                    idx[(bb * C + c) * P + p] =
                        (double)((oh * g.SH + k / g.KW) * g.W + ow * g.SW + k % g.KW);
                }
        write_doubles(idx, n * C * P);
        free(idx);
    }
    T *d = TN(load_grad)(n, C, P, dy), *dx = malloc(n * C * plane * sizeof *dx);
    if (max)
        KTAB->maxpool_backward(&g, n, d, pos, dx);
    else
        KTAB->avgpool_backward(&g, n, d, dx);
    TN(emit_in)(&g, n, dx);
    free(x), free(dy), free(xin), free(y), free(pos), free(d), free(dx);
    return 0;
}
