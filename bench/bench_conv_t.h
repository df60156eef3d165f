/*
 * nnblas-bench conv's training step for one element type, included once per type by
 * bench_conv.c with T, TN(name), KT (the kernel table type), KGET (this process's table) and GEMM
 * (cblas_dgemm or cblas_sgemm) defined. The step is the one docs/design.md ("Convolution and
 * pooling") lays out for the layer kinds, built from the kernel tables and cblas directly.
 */

typedef struct TN(net) {
    const KT *k;
    conv_layer c[2];
    nnbi_win p[2];           /* the two 2x2 max poolings */
    size_t np;               /* parameters: W1 b1 W2 b2 Wd1 bd1 Wd2 bd2, one arena */
    T *theta, *grad, *m, *v; /* the arena, its gradient, Adam's moments */
    T *wext[2], *dwext[2];   /* each convolution's [W | b] in (kh, kw, c) order, and its gradient */
    T *x, *y;                /* the data: rows x 784, one-hot rows x 10 */
    T *a1, *p1, *a2, *p2, *flat, *h1, *z2, *yh;        /* forward */
    T *da1, *dp1, *da2, *dp2, *dflat, *dh1, *d2, *col; /* backward, the column matrix */
    T *pos1, *pos2;             /* where the poolings' maxima lie in their windows */
    T *achunk, *dchunk, *dbtmp; /* --fuse: a chunk's convolution output and gradient */
    size_t off[8];              /* offsets of W1 b1 W2 b2 Wd1 bd1 Wd2 bd2 in the arena */
} TN(net);

static void TN(net_free)(TN(net) * n) {
    T *bufs[] = {n->theta,    n->grad,  n->m,   n->v,  n->wext[0], n->wext[1], n->dwext[0],
                 n->dwext[1], n->x,     n->y,   n->a1, n->p1,      n->a2,      n->p2,
                 n->flat,     n->h1,    n->z2,  n->yh, n->da1,     n->dp1,     n->da2,
                 n->dp2,      n->dflat, n->dh1, n->d2, n->col,     n->pos1,    n->pos2};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) free(bufs[i]);
}

/* Allocates a buffer of n values of T (zeroed); 0 on failure. */
static int TN(alloc)(T **p, size_t n) { return (*p = calloc(n ? n : 1, sizeof(T))) != NULL; }

static int TN(net_make)(TN(net) * n, const bench_opts *o) {
    memset(n, 0, sizeof *n);
    if (!(n->k = KGET()) || shapes(n->c, n->p, o, sizeof(T)) != 0) return -1;
    size_t sz[8] = {32 * 9, 32, 64 * 288, 64, 128 * FLAT, 128, 10 * 128, 10};
    for (int i = 0; i < 8; i++) n->off[i] = n->np, n->np += sz[i];
    size_t B = BATCH, R = o->rows, a1 = B * 28 * 28 * 32, p1 = B * 14 * 14 * 32;
    size_t a2 = B * 14 * 14 * 64, colmax = 0;
    for (int l = 0; l < 2; l++) {
        size_t c = n->c[l].chunk * n->c[l].g.OH * n->c[l].g.OW * n->c[l].ld;
        if (c > colmax) colmax = c;
    }
    int ok = TN(alloc)(&n->theta, n->np) && TN(alloc)(&n->grad, n->np) && TN(alloc)(&n->m, n->np) &&
             TN(alloc)(&n->v, n->np) && TN(alloc)(&n->x, R * 784) && TN(alloc)(&n->y, R * 10) &&
             TN(alloc)(&n->a1, a1) && TN(alloc)(&n->da1, a1) && TN(alloc)(&n->p1, p1) &&
             TN(alloc)(&n->dp1, p1) && TN(alloc)(&n->a2, a2) && TN(alloc)(&n->da2, a2) &&
             TN(alloc)(&n->p2, B * FLAT) && TN(alloc)(&n->dp2, B * FLAT) &&
             TN(alloc)(&n->flat, B * FLAT) && TN(alloc)(&n->dflat, B * FLAT) &&
             TN(alloc)(&n->h1, B * 128) && TN(alloc)(&n->dh1, B * 128) &&
             TN(alloc)(&n->z2, B * 10) && TN(alloc)(&n->yh, B * 10) && TN(alloc)(&n->d2, B * 10) &&
             TN(alloc)(&n->col, colmax);
    for (int l = 0; ok && l < 2; l++)
        ok = TN(alloc)(&n->wext[l], n->c[l].F * n->c[l].ld) &&
             TN(alloc)(&n->dwext[l], n->c[l].F * n->c[l].ld);
    ok = ok && TN(alloc)(&n->pos1, p1) && TN(alloc)(&n->pos2, B * FLAT);
    size_t ach = 0; /* the larger chunk output of the two convolutions */
    for (int l = 0; l < 2; l++) {
        size_t c = n->c[l].chunk * n->c[l].g.OH * n->c[l].g.OW * n->c[l].F;
        if (c > ach) ach = c;
    }
    ok = ok && TN(alloc)(&n->achunk, ach) && TN(alloc)(&n->dchunk, ach) && TN(alloc)(&n->dbtmp, 64);
    if (!ok) return -1;
    for (size_t i = 0; i < n->np; i++) n->theta[i] = (T)(0.05 * nnbb_synthetic(i + 777));
    for (size_t i = 0; i < R * 784; i++) n->x[i] = (T)nnbb_synthetic(i);
    for (size_t r = 0; r < R; r++) n->y[r * 10 + (r * 2654435761u) % 10] = 1;
    return 0;
}

/* The convolution's weights in (kh, kw, c) order with its bias as the last column. */
static void TN(make_wext)(const conv_layer *L, const T *w, const T *b, T *wext) {
    size_t C = L->g.C, KK = L->g.KH * L->g.KW;
    for (size_t f = 0; f < L->F; f++) {
        for (size_t c = 0; c < C; c++)
            for (size_t q = 0; q < KK; q++) wext[f * L->ld + q * C + c] = w[(f * C + c) * KK + q];
        if (L->ones) wext[f * L->ld + KK * C] = b[f];
    }
}

/* The gradient [dW | db] back in the arena's layout (OIHW, then the bias). */
static void TN(split_dwext)(const conv_layer *L, const T *dwext, T *dw, T *db) {
    size_t C = L->g.C, KK = L->g.KH * L->g.KW;
    for (size_t f = 0; f < L->F; f++) {
        for (size_t c = 0; c < C; c++)
            for (size_t q = 0; q < KK; q++) dw[(f * C + c) * KK + q] = dwext[f * L->ld + q * C + c];
        if (L->ones) db[f] = dwext[f * L->ld + KK * C];
    }
}

/* Forward of a convolution with ReLU over the batch, a chunk at a time: im2col, one GEMM, the
 * activation while the chunk is in cache (with the bias, when it is not the ones column). With
 * --fuse the chunk's output goes to a chunk-sized buffer and is pooled from there (out, pos: the
 * pooling's output and positions); otherwise out is the whole batch's output. */
static void TN(conv_forward)(TN(net) * n, int l, const T *in, T *out, T *pos, const T *bias,
                             int gemm_only) {
    conv_layer *L = &n->c[l];
    size_t per = L->g.C * L->g.H * L->g.W, P = L->g.OH * L->g.OW, PP = n->p[l].OH * n->p[l].OW;
    for (size_t b0 = 0; b0 < BATCH; b0 += L->chunk) {
        size_t s = BATCH - b0 < L->chunk ? BATCH - b0 : L->chunk;
        T *o = L->fuse ? n->achunk : out + b0 * P * L->F;
        if (!gemm_only) TIMED(T_IM2COL, n->k->im2col(&L->g, s, in + b0 * per, L->ones, n->col));
        TIMED(T_GEMM,
              GEMM(CblasRowMajor, CblasNoTrans, CblasTrans, (int)(s * P), (int)L->F, (int)L->ld, 1,
                   n->col, (int)L->ld, n->wext[l], (int)L->ld, 0, o, (int)L->F));
        if (gemm_only) continue;
        TIMED(T_ACT, n->k->bias_act(NNB_ACT_RELU, 0, s * P, L->F, o, L->ones ? NULL : bias, o));
        if (L->fuse)
            TIMED(T_POOL,
                  n->k->maxpool(&n->p[l], s, o, out + b0 * PP * L->F, pos + b0 * PP * L->F));
    }
}

/* Backward of a convolution, a chunk at a time: (--fuse: the pooling's gradient of the chunk
 * into a chunk-sized buffer, from the pooled gradient d and the positions pos) im2col again, the
 * weight (and bias) gradient in one GEMM accumulated over the chunks, then (dx != NULL) the input
 * gradient's columns in a second GEMM into the same buffer and col2im. */
static void TN(conv_backward)(TN(net) * n, int l, const T *in, const T *d, const T *pos, T *dx,
                              T *db, int gemm_only) {
    conv_layer *L = &n->c[l];
    size_t per = L->g.C * L->g.H * L->g.W, P = L->g.OH * L->g.OW, K = nnbi_win_cols(&L->g, 0);
    size_t PP = n->p[l].OH * n->p[l].OW;
    if (!L->ones && !L->fuse && !gemm_only) TIMED(T_OTHER, n->k->col_sum(BATCH * P, L->F, d, db));
    if (!L->ones && L->fuse) memset(db, 0, L->F * sizeof *db);
    for (size_t b0 = 0; b0 < BATCH; b0 += L->chunk) {
        size_t s = BATCH - b0 < L->chunk ? BATCH - b0 : L->chunk;
        const T *dc = L->fuse ? n->dchunk : d + b0 * P * L->F;
        if (L->fuse && !gemm_only)
            TIMED(T_POOL_BWD, n->k->maxpool_backward(&n->p[l], s, d + b0 * PP * L->F,
                                                     pos + b0 * PP * L->F, n->dchunk));
        if (!L->ones && L->fuse && !gemm_only) /* db += the chunk's column sums */
            TIMED(T_OTHER,
                  (n->k->col_sum(s * P, L->F, dc, n->dbtmp), n->k->axpy(L->F, 1.0, n->dbtmp, db)));
        if (!gemm_only) TIMED(T_IM2COL, n->k->im2col(&L->g, s, in + b0 * per, L->ones, n->col));
        TIMED(T_GEMM,
              GEMM(CblasRowMajor, CblasTrans, CblasNoTrans, (int)L->F, (int)L->ld, (int)(s * P), 1,
                   dc, (int)L->F, n->col, (int)L->ld, b0 ? 1 : 0, n->dwext[l], (int)L->ld));
        if (!dx) continue;
        TIMED(T_GEMM,
              GEMM(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)(s * P), (int)K, (int)L->F, 1,
                   dc, (int)L->F, n->wext[l], (int)L->ld, 0, n->col, (int)L->ld));
        if (!gemm_only) TIMED(T_COL2IM, n->k->col2im(&L->g, s, n->col, L->ld, dx + b0 * per));
    }
}

/* The dense layers, the loss and their backward pass: 3136-128 ReLU, 128-10 softmax + CE. */
static void TN(dense_pass)(TN(net) * n, const T *ybatch, int gemm_only) {
    const KT *k = n->k;
    T *th = n->theta, *g = n->grad;
    size_t B = BATCH, *o = n->off;
    TIMED(T_GEMM, GEMM(CblasRowMajor, CblasNoTrans, CblasTrans, (int)B, 128, FLAT, 1, n->flat, FLAT,
                       th + o[4], FLAT, 0, n->h1, 128));
    if (!gemm_only) TIMED(T_ACT, k->bias_act(NNB_ACT_RELU, 0, B, 128, n->h1, th + o[5], n->h1));
    TIMED(T_GEMM, GEMM(CblasRowMajor, CblasNoTrans, CblasTrans, (int)B, 10, 128, 1, n->h1, 128,
                       th + o[6], 128, 0, n->z2, 10));
    if (!gemm_only) {
        TIMED(T_ACT, k->bias_act(NNB_ACT_SOFTMAX, 0, B, 10, n->z2, th + o[7], n->yh));
        TIMED(T_ACT, (void)k->delta_ce_softmax(B, 10, n->z2, n->yh, ybatch, 1.0 / B, n->d2));
        TIMED(T_OTHER, k->col_sum(B, 10, n->d2, g + o[7]));
    }
    TIMED(T_GEMM, GEMM(CblasRowMajor, CblasTrans, CblasNoTrans, 10, 128, (int)B, 1, n->d2, 10,
                       n->h1, 128, 0, g + o[6], 128));
    TIMED(T_GEMM, GEMM(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)B, 128, 10, 1, n->d2, 10,
                       th + o[6], 128, 0, n->dh1, 128));
    if (!gemm_only) {
        TIMED(T_ACT, k->act_backward(NNB_ACT_RELU, 0, B, 128, n->h1, n->dh1));
        TIMED(T_OTHER, k->col_sum(B, 128, n->dh1, g + o[5]));
    }
    TIMED(T_GEMM, GEMM(CblasRowMajor, CblasTrans, CblasNoTrans, 128, FLAT, (int)B, 1, n->dh1, 128,
                       n->flat, FLAT, 0, g + o[4], FLAT));
    TIMED(T_GEMM, GEMM(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)B, FLAT, 128, 1, n->dh1, 128,
                       th + o[4], FLAT, 0, n->dflat, FLAT));
}

/* One training step on rows [r0, r0 + BATCH) (Adam, lr 1e-3); gemm_only: only its GEMM calls. */
static void TN(step)(TN(net) * n, size_t r0, size_t t, int gemm_only) {
    const KT *k = n->k;
    T *th = n->theta, *g = n->grad;
    size_t B = BATCH, *o = n->off;
    if (!gemm_only)
        TIMED(T_OTHER, (TN(make_wext)(&n->c[0], th + o[0], th + o[1], n->wext[0]),
                        TN(make_wext)(&n->c[1], th + o[2], th + o[3], n->wext[1])));
    int fuse = n->c[0].fuse;
    TN(conv_forward)(n, 0, n->x + r0 * 784, fuse ? n->p1 : n->a1, n->pos1, th + o[1], gemm_only);
    if (!fuse && !gemm_only) TIMED(T_POOL, k->maxpool(&n->p[0], B, n->a1, n->p1, n->pos1));
    TN(conv_forward)(n, 1, n->p1, fuse ? n->p2 : n->a2, n->pos2, th + o[3], gemm_only);
    if (!fuse && !gemm_only) TIMED(T_POOL, k->maxpool(&n->p[1], B, n->a2, n->p2, n->pos2));
    if (!gemm_only) TIMED(T_TRANSPOSE, k->transpose(B, 49, 64, n->p2, n->flat)); /* NCHW order */
    TN(dense_pass)(n, n->y + r0 * 10, gemm_only);
    if (!gemm_only) { /* back to channels-last; the pooling's gradient with the ReLU's folded in */
        TIMED(T_TRANSPOSE, k->transpose(B, 64, 49, n->dflat, n->dp2));
        TIMED(T_POOL_BWD, k->act_backward(NNB_ACT_RELU, 0, B, FLAT, n->p2, n->dp2));
        if (!fuse) TIMED(T_POOL_BWD, k->maxpool_backward(&n->p[1], B, n->dp2, n->pos2, n->da2));
    }
    TN(conv_backward)(n, 1, n->p1, fuse ? n->dp2 : n->da2, n->pos2, n->dp1, g + o[3], gemm_only);
    if (!gemm_only) {
        TIMED(T_POOL_BWD, k->act_backward(NNB_ACT_RELU, 0, B, 14 * 14 * 32, n->p1, n->dp1));
        if (!fuse) TIMED(T_POOL_BWD, k->maxpool_backward(&n->p[0], B, n->dp1, n->pos1, n->da1));
    }
    TN(conv_backward)
    (n, 0, n->x + r0 * 784, fuse ? n->dp1 : n->da1, n->pos1, NULL, g + o[1], gemm_only);
    if (gemm_only) return;
    TIMED(T_OTHER, (TN(split_dwext)(&n->c[0], n->dwext[0], g + o[0], g + o[1]),
                    TN(split_dwext)(&n->c[1], n->dwext[1], g + o[2], g + o[3])));
    double bc1 = 1.0 / (1.0 - pow(0.9, (double)t)), bc2 = 1.0 / (1.0 - pow(0.999, (double)t));
    TIMED(T_UPDATE, k->adam(n->np, th, g, n->m, n->v, 1e-3, 0.9, 0.999, 1e-8, bc1, bc2, 0, 0));
}

/* One round: `steps` steps (or their GEMM calls alone) over consecutive batches; seconds. */
static double TN(round)(TN(net) * n, size_t steps, size_t *t, int gemm_only, size_t rows) {
    double t0 = clock_s();
    for (size_t s = 0; s < steps; s++, (*t)++)
        TN(step)(n, (*t * BATCH) % (rows - BATCH + 1), *t + 1, gemm_only);
    return clock_s() - t0;
}
