/*
 * The 2-D convolution kind (issue 24; the design is docs/design.md, "Convolution and pooling"):
 * F filters of KH x KW over the input's C channels, stride SH x SW, zero padding PT, PB, PL, PR,
 * a bias per filter. Written once for both element types, on the window kernels and the element
 * type's GEMM. Per chunk of s samples (P = OH OW output pixels each, K = KH KW C):
 *   forward         col = im2col(x) (s P x K+1, a column of ones for the bias);
 *                   Z = col . [W|b]^T                       (gemm NoTrans, Trans: s P x F x K+1)
 *   weight gradient [dW|db] += dZ^T . col                    (Trans, NoTrans: F x K+1 x s P)
 *   input gradient  dcol = dZ . W; dx = col2im(dcol)         (NoTrans, NoTrans: s P x K x F)
 * Z is channels-last (pixels of F values); when the layer's output is channel-major (the next
 * layer is dense, or this is the output layer) each chunk is transposed into place, and the
 * incoming gradient back. The parameters in the arena are W as F x C x KH x KW (PyTorch's and
 * ONNX's OIHW) then b (F); each pass copies them into [W|b] in the column order (kh, kw, c).
 * Hyper-parameters: hp = F, KH, KW, SH, SW, PT, PB, PL, PR.
 */
#include <stdio.h>
#include <string.h>

#include "nnb_internal.h"
#include "window.h"

static nnbi_win_spec conv_spec(const nnbi_layer *L) {
    const uint64_t *hp = L->hp;
    return (nnbi_win_spec){.C = L->in.c,
                           .H = L->in.h,
                           .W = L->in.w,
                           .F = (size_t)hp[0],
                           .KH = (size_t)hp[1],
                           .KW = (size_t)hp[2],
                           .SH = (size_t)hp[3],
                           .SW = (size_t)hp[4],
                           .PT = (size_t)hp[5],
                           .PB = (size_t)hp[6],
                           .PL = (size_t)hp[7],
                           .PR = (size_t)hp[8],
                           .chw = !L->in_last};
}

/* The geometry of a layer whose shape was accepted (so this cannot fail). */
static nnbi_win conv_geom(const nnbi_layer *L) {
    nnbi_win_spec s = conv_spec(L);
    nnbi_win g;
    (void)nnbi_win_conv(&s, &g, "conv2d");
    return g;
}

/* Where the workspace's buffers start (elements, each a multiple of 16 for alignment). */
typedef struct conv_ws {
    size_t F, K, K1, P, s; /* filters, window values, with the bias column, pixels, chunk */
    size_t wb, dwb, tmp, col, zc;
    int wino;       /* the forward pass as Winograd's F(2x2, 3x3) (window.h) */
    int wback;      /* the input gradient too (paddings of at most 2: wino_back) */
    nnbi_win gb;    /* its geometry: dZ correlated with the turned filters */
    size_t T, Tb;   /* tiles per sample of the forward pass and of the input gradient */
    size_t u, v, m; /* transformed filters (16 F C), inputs and products of either pass */
    size_t total;
} conv_ws;

static size_t up16(size_t n) { return (n + 15) & ~(size_t)15; }

/* The input gradient of a Winograd convolution is one too: dZ (F channels of OH x OW,
 * channels-last) correlated with the filters turned by 180 degrees and their channels swapped,
 * padded 2 - PT above and 2 - PL left (2 - PB, 2 - PR below and right), giving H x W. 0 when a
 * padding is over 2 (the gradient stays on im2col). */
static int wino_back(const nnbi_win *g, size_t F, nnbi_win *gb) {
    size_t PB = g->OH + 2 - g->H - g->PT, PR = g->OW + 2 - g->W - g->PL;
    if (g->PT > 2 || g->PL > 2 || PB > 2 || PR > 2) return 0;
    *gb = (nnbi_win){.C = F,
                     .H = g->OH,
                     .W = g->OW,
                     .KH = 3,
                     .KW = 3,
                     .SH = 1,
                     .SW = 1,
                     .PT = 2 - g->PT,
                     .PL = 2 - g->PL,
                     .OH = g->H,
                     .OW = g->W,
                     .chw = 0};
    return 1;
}

static conv_ws conv_layout(const nnbi_layer *L, const nnbi_win *g, size_t rows) {
    conv_ws w;
    w.F = (size_t)L->hp[0];
    w.K = g->KH * g->KW * g->C;
    w.K1 = w.K + (L->has_bias != 0);
    w.P = g->OH * g->OW;
    w.s = nnbi_win_chunk(g, L->has_bias, rows ? rows : 1, 1, NNBI_CONV_COL_BUDGET);
    w.wb = 0;
    w.dwb = w.wb + up16(w.F * w.K1);
    w.tmp = w.dwb + up16(w.F * w.K1);
    w.col = w.tmp + up16(w.F * w.K);
    w.zc = w.col + up16(w.s * w.P * w.K1);
    w.total = w.zc + up16(w.s * w.P * w.F);
    w.wino = nnbi_win_wino(g);
    w.wback = w.wino && wino_back(g, w.F, &w.gb);
    w.T = w.wino ? nnbi_win_tiles(g) : 0;
    w.Tb = w.wback ? nnbi_win_tiles(&w.gb) : 0;
    size_t nv = w.T * g->C > w.Tb * w.F ? w.T * g->C : w.Tb * w.F;
    size_t nm = w.T * w.F > w.Tb * g->C ? w.T * w.F : w.Tb * g->C;
    w.u = w.total;
    w.v = w.u + (w.wino ? up16(16 * w.F * g->C) : 0);
    w.m = w.v + (w.wino ? up16(16 * w.s * nv) : 0);
    w.total = w.m + (w.wino ? up16(16 * w.s * nm) : 0);
    return w;
}

static nnb_status conv_shape(nnbi_layer *L, const char *func) {
    nnbi_win_spec s = conv_spec(L);
    nnbi_win g;
    nnb_status st = nnbi_win_conv(&s, &g, func);
    if (st != NNB_OK) return st;
    size_t F = s.F, K = g.KH * g.KW * g.C, nw;
    /* F (K + 1) within int (the GEMMs' and the workspace's sizes) */
    if (F > NNBI_BLAS_MAX || !nnbi_mul_size(F, K + 1, &nw) || nw > NNBI_BLAS_MAX)
        return nnbi_error(NNB_E_TOO_LARGE, func, "%zu filters of %zu values are too many", F, K);
    conv_ws w = conv_layout(L, &g, 1);
    if (w.total > NNBI_BLAS_MAX)
        return nnbi_error(NNB_E_TOO_LARGE, func, "the convolution's workspace is too large");
    L->out = (nnbi_shape){F, g.OH, g.OW};
    L->n_out = F * g.OH * g.OW;
    L->n_p = F * K + (L->has_bias ? F : 0);
    L->w_off = 0;
    L->b_off = F * K;
    return NNB_OK;
}

static void conv_describe(const nnbi_layer *L, char *buf, size_t len) {
    snprintf(buf, len, "a convolution of %llu %llux%llu filters over %zux%zux%zu",
             (unsigned long long)L->hp[0], (unsigned long long)L->hp[1],
             (unsigned long long)L->hp[2], L->in.c, L->in.h, L->in.w);
}

static nnb_status conv_init(const nnbi_layer *L, nnbi_rng *rng, nnb_init scheme, double *p) {
    size_t F = (size_t)L->hp[0], R = (size_t)(L->hp[1] * L->hp[2]), C = L->in.c;
    nnb_status st = nnbi_init_weights(rng, scheme, F, C * R, (double)(C * R), (double)(F * R),
                                      p + (L->w_off - L->p_off));
    if (st == NNB_OK && L->has_bias) memset(p + (L->b_off - L->p_off), 0, F * sizeof(double));
    return st;
}

static size_t conv_workspace(const nnbi_layer *L, size_t rows) {
    nnbi_win g = conv_geom(L);
    return conv_layout(L, &g, rows).total;
}

/* [W|b] (F rows of K1 values, (kh, kw, c) order, the bias last) from the arena's OIHW W and b. */
static void pack(const nnbi_elem *t, const nnbi_layer *L, const conv_ws *w, const void *params,
                 void *work) {
    size_t R = w->K / L->in.c, es = t->size;
    char *wb = nnbi_at(t, work, w->wb), *tmp = nnbi_at(t, work, w->tmp);
    const char *b = nnbi_at(t, params, L->b_off);
    t->transpose(w->F, L->in.c, R, nnbi_at(t, params, L->w_off), tmp);
    for (size_t f = 0; f < w->F; f++) {
        memcpy(wb + f * w->K1 * es, tmp + f * w->K * es, w->K * es);
        if (L->has_bias) memcpy(wb + (f * w->K1 + w->K) * es, b + f * es, es);
    }
}

/* The reverse of pack for the gradient: [dW|db] into the arena's layout at grad. */
static void unpack(const nnbi_elem *t, const nnbi_layer *L, const conv_ws *w, void *work,
                   void *grad) {
    size_t R = w->K / L->in.c, es = t->size;
    const char *dwb = nnbi_at(t, work, w->dwb);
    char *tmp = nnbi_at(t, work, w->tmp), *db = nnbi_at(t, grad, L->b_off);
    for (size_t f = 0; f < w->F; f++) {
        memcpy(tmp + f * w->K * es, dwb + f * w->K1 * es, w->K * es);
        if (L->has_bias) memcpy(db + f * es, dwb + (f * w->K1 + w->K) * es, es);
    }
    t->transpose(w->F, R, L->in.c, tmp, nnbi_at(t, grad, L->w_off));
}

/* The forward pass as Winograd's F(2x2, 3x3): per chunk, the tiles' transformed inputs, 16
 * products with the transformed filters (one per position of the 4 x 4 window), and the outputs
 * transformed back with the bias. */
static void wino_forward(const nnbi_elem *t, const nnbi_layer *L, const nnbi_win *g,
                         const conv_ws *w, const void *params, const void *x, size_t rows, void *z,
                         void *work) {
    size_t C = g->C, F = w->F;
    void *u = nnbi_at(t, work, w->u), *v = nnbi_at(t, work, w->v), *m = nnbi_at(t, work, w->m);
    void *zc = nnbi_at(t, work, w->zc);
    const void *bias = L->has_bias ? nnbi_at(t, params, L->b_off) : NULL;
    t->wino_filter(F, C, nnbi_at(t, params, L->w_off), u);
    for (size_t b0 = 0; b0 < rows; b0 += w->s) {
        size_t s = rows - b0 < w->s ? rows - b0 : w->s, nt = s * w->T;
        void *zb = nnbi_at(t, z, b0 * L->n_out), *out = L->out_last ? zb : zc;
        t->wino_in(g, s, nnbi_at(t, x, b0 * L->n_in), v);
        for (size_t xi = 0; xi < 16; xi++)
            t->gemm(0, 1, (int)nt, (int)F, (int)C, 1.0, nnbi_at(t, v, xi * C), (int)(16 * C),
                    nnbi_at(t, u, xi * F * C), (int)C, 0.0, nnbi_at(t, m, xi * F), (int)(16 * F));
        t->wino_out(g, s, F, m, bias, out);
        if (!L->out_last) t->transpose(s, w->P, F, zc, zb);
    }
}

static void conv_forward(const nnbi_elem *t, const nnbi_layer *L, const void *params, const void *x,
                         size_t rows, void *z, void *work) {
    nnbi_win g = conv_geom(L);
    conv_ws w = conv_layout(L, &g, rows);
    if (w.wino) {
        wino_forward(t, L, &g, &w, params, x, rows, z, work);
        return;
    }
    pack(t, L, &w, params, work);
    void *col = nnbi_at(t, work, w.col), *zc = nnbi_at(t, work, w.zc);
    for (size_t b0 = 0; b0 < rows; b0 += w.s) {
        size_t s = rows - b0 < w.s ? rows - b0 : w.s;
        void *zb = nnbi_at(t, z, b0 * L->n_out), *out = L->out_last ? zb : zc;
        t->im2col(&g, s, nnbi_at(t, x, b0 * L->n_in), L->has_bias, col);
        t->gemm(0, 1, (int)(s * w.P), (int)w.F, (int)w.K1, 1.0, col, (int)w.K1,
                nnbi_at(t, work, w.wb), (int)w.K1, 0.0, out, (int)w.F);
        if (!L->out_last) t->transpose(s, w.P, w.F, zc, zb);
    }
}

/* The incoming gradient of a chunk, channels-last (s P x F). */
static const void *chunk_delta(const nnbi_elem *t, const nnbi_layer *L, const conv_ws *w,
                               const void *d, size_t b0, size_t s, void *work) {
    const void *db = nnbi_at(t, d, b0 * L->n_out);
    if (L->out_last) return db;
    void *zc = nnbi_at(t, work, w->zc);
    t->transpose(s, w->F, w->P, db, zc);
    return zc;
}

static void conv_backward_params(const nnbi_elem *t, const nnbi_layer *L, const void *d,
                                 const void *x, size_t rows, void *grad, void *work) {
    nnbi_win g = conv_geom(L);
    conv_ws w = conv_layout(L, &g, rows);
    void *col = nnbi_at(t, work, w.col), *dwb = nnbi_at(t, work, w.dwb);
    for (size_t b0 = 0; b0 < rows; b0 += w.s) {
        size_t s = rows - b0 < w.s ? rows - b0 : w.s;
        const void *dc = chunk_delta(t, L, &w, d, b0, s, work);
        t->im2col(&g, s, nnbi_at(t, x, b0 * L->n_in), L->has_bias, col);
        t->gemm(1, 0, (int)w.F, (int)w.K1, (int)(s * w.P), 1.0, dc, (int)w.F, col, (int)w.K1,
                b0 == 0 ? 0.0 : 1.0, dwb, (int)w.K1);
    }
    unpack(t, L, &w, work, grad);
}

/* The input gradient as Winograd's F(2x2, 3x3) (wino_back): per chunk, dZ's tiles transformed,
 * 16 products with the turned filters, transformed back into dx. The turned filters' transforms
 * are the forward pass's (still in the workspace: the passes run the backward pass after the
 * forward one on the same rows), transposed and at the position (p(i), p(j)), p swapping 0 and 3:
 * G J = P G for the reversal J, so G (J g J) G^T = P (G g G^T) P^T. */
static void wino_backward_input(const nnbi_elem *t, const nnbi_layer *L, const nnbi_win *g,
                                const conv_ws *w, const void *params, const void *d, size_t rows,
                                void *dx, void *work) {
    size_t C = g->C, F = w->F;
    void *u = nnbi_at(t, work, w->u), *v = nnbi_at(t, work, w->v), *m = nnbi_at(t, work, w->m);
    (void)params;
    for (size_t b0 = 0; b0 < rows; b0 += w->s) {
        size_t s = rows - b0 < w->s ? rows - b0 : w->s, nt = s * w->Tb;
        t->wino_in(&w->gb, s, chunk_delta(t, L, w, d, b0, s, work), v);
        for (size_t xi = 0; xi < 16; xi++) {
            size_t i = xi / 4, j = xi % 4, pi = i % 3 ? i : 3 - i, pj = j % 3 ? j : 3 - j;
            t->gemm(0, 0, (int)nt, (int)C, (int)F, 1.0, nnbi_at(t, v, xi * F), (int)(16 * F),
                    nnbi_at(t, u, (4 * pi + pj) * F * C), (int)C, 0.0, nnbi_at(t, m, xi * C),
                    (int)(16 * C));
        }
        t->wino_out(&w->gb, s, C, m, NULL, nnbi_at(t, dx, b0 * L->n_in));
    }
}

static void conv_backward_input(const nnbi_elem *t, const nnbi_layer *L, const void *params,
                                const void *d, size_t rows, void *dx, void *work) {
    nnbi_win g = conv_geom(L);
    conv_ws w = conv_layout(L, &g, rows);
    if (w.wback) {
        wino_backward_input(t, L, &g, &w, params, d, rows, dx, work);
        return;
    }
    pack(t, L, &w, params, work);
    void *col = nnbi_at(t, work, w.col);
    for (size_t b0 = 0; b0 < rows; b0 += w.s) {
        size_t s = rows - b0 < w.s ? rows - b0 : w.s;
        const void *dc = chunk_delta(t, L, &w, d, b0, s, work);
        t->gemm(0, 0, (int)(s * w.P), (int)w.K, (int)w.F, 1.0, dc, (int)w.F, nnbi_at(t, work, w.wb),
                (int)w.K1, 0.0, col, (int)w.K1);
        t->col2im(&g, s, col, w.K1, nnbi_at(t, dx, b0 * L->n_in));
    }
}

static nnb_status conv_check_hp(const uint64_t *hp, const char *func) {
    for (int i = 0; i < 9; i++)
        if ((i < 5 && hp[i] == 0) || hp[i] > NNBI_BLAS_MAX)
            return nnbi_error(NNB_E_FORMAT, func, "a convolution's hyper-parameter %d is %llu", i,
                              (unsigned long long)hp[i]);
    return NNB_OK;
}

const nnbi_kind nnbi_kind_conv2d = {
    .name = "conv2d",
    .spatial = 1,
    .shape = conv_shape,
    .describe = conv_describe,
    .init = conv_init,
    .workspace = conv_workspace,
    .column_bias = 0,
    .forward = conv_forward,
    .backward_params = conv_backward_params,
    .backward_input = conv_backward_input,
    .update_sgd = NULL,
    .backward_pieces = NULL,
    .n_hp = 9,
    .check_hp = conv_check_hp,
};
