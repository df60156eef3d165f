/*
 * The window operations (kernels.h) of the vectorised sets, written once over vec_kernels.h's
 * vector operations for both instruction sets and both element types: on channels-last inputs
 * (and on channel-major ones with one channel, the same layout) every output pixel's window is a
 * few runs of contiguous elements, KW C long (im2col, col2im) or C long (pooling), which go VW
 * at a time. Each element goes through the same operations in the same order as in the reference
 * (window_ref.h, included before this file with WIN(name) = name##_ref), so the results are the
 * same bits; channel-major inputs with several channels, the scatter of max pooling's gradient
 * and transpose are the reference's. This header is not a normal header: vec_kernels.h includes
 * it.
 */

/* Whether g's input is laid out channels-last (a channel-major sample of one channel is). */
VINLINE int win_last(const nnbi_win *g) { return !g->chw || g->C == 1; }

/* n elements of src into dst, VW at a time (a run of one window row). */
VINLINE void run_copy(T *dst, const T *src, size_t n) {
    for (size_t i = 0; i < n; i += VW) {
        size_t m = chunk(n, i);
        vstore_n(dst + i, vload_n(src + i, m, 0), m);
    }
}

VINLINE void run_zero(T *dst, size_t n) {
    for (size_t i = 0; i < n; i += VW) vstore_n(dst + i, vzero(), chunk(n, i));
}

/* dst += src over n elements */
VINLINE void run_add(T *dst, const T *src, size_t n) {
    for (size_t i = 0; i < n; i += VW) {
        size_t m = chunk(n, i);
        vstore_n(dst + i, vadd(vload_n(dst + i, m, 0), vload_n(src + i, m, 0)), m);
    }
}

/* The window columns [*lo, *hi) of output column ow that lie on the input (lo = hi: none). */
VINLINE void win_cols(const nnbi_win *g, size_t ow, size_t *lo, size_t *hi) {
    size_t p = ow * g->SW, end = g->PL + g->W; /* padded columns [PL, end) are the input's */
    size_t a = p < g->PL ? g->PL - p : 0, b = p >= end ? 0 : end - p;
    *lo = a < g->KW ? a : g->KW;
    *hi = b < g->KW ? b : g->KW;
    if (*hi < *lo) *hi = *lo;
}

/* im2col of a window whose rows are shorter than a vector (KW C < VW: the first layer's one
 * channel, say): element by element, without the vector code's per-run overhead. */
static void im2col_narrow(const nnbi_win *g, size_t n, const T *in, int ones, T *col) {
    size_t C = g->C, per = C * g->H * g->W, len = g->KW * C;
    for (size_t b = 0; b < n; b++, in += per)
        for (size_t oh = 0; oh < g->OH; oh++)
            for (size_t ow = 0; ow < g->OW; ow++) {
                size_t lo, hi;
                win_cols(g, ow, &lo, &hi);
                size_t a = lo * C, z = hi * C, w0 = ow * g->SW + lo - g->PL;
                for (size_t kh = 0; kh < g->KH; kh++, col += len) {
                    size_t h = win_row(g, oh, kh);
                    if (h == SIZE_MAX || a == z) {
                        for (size_t j = 0; j < len; j++) col[j] = 0;
                        continue;
                    }
                    const T *r = in + (h * g->W + w0) * C; /* the element under column a */
                    for (size_t j = 0; j < a; j++) col[j] = 0;
                    for (size_t j = a; j < z; j++) col[j] = r[j - a];
                    for (size_t j = z; j < len; j++) col[j] = 0;
                }
                if (ones) *col++ = (T)1;
            }
}

static void im2col(const nnbi_win *g, size_t n, const T *in, int ones, T *col) {
    if (!win_last(g)) {
        im2col_ref(g, n, in, ones, col);
        return;
    }
    size_t C = g->C, per = C * g->H * g->W, len = g->KW * C;
    if (len < VW) {
        im2col_narrow(g, n, in, ones, col);
        return;
    }
    for (size_t b = 0; b < n; b++, in += per)
        for (size_t oh = 0; oh < g->OH; oh++)
            for (size_t ow = 0; ow < g->OW; ow++) {
                size_t lo, hi;
                win_cols(g, ow, &lo, &hi);
                size_t w0 = ow * g->SW + lo - g->PL; /* the input column of kw = lo */
                for (size_t kh = 0; kh < g->KH; kh++, col += len) {
                    size_t h = win_row(g, oh, kh);
                    if (h == SIZE_MAX || lo == hi) {
                        run_zero(col, len);
                        continue;
                    }
                    run_zero(col, lo * C);
                    run_copy(col + lo * C, in + (h * g->W + w0) * C, (hi - lo) * C);
                    run_zero(col + hi * C, (g->KW - hi) * C);
                }
                if (ones) *col++ = (T)1;
            }
}

static void col2im(const nnbi_win *g, size_t n, const T *col, size_t ld, T *dx) {
    if (!win_last(g)) {
        col2im_ref(g, n, col, ld, dx);
        return;
    }
    size_t C = g->C, per = C * g->H * g->W, len = g->KW * C;
    memset(dx, 0, n * per * sizeof *dx);
    for (size_t b = 0; b < n; b++, dx += per)
        for (size_t oh = 0; oh < g->OH; oh++)
            for (size_t ow = 0; ow < g->OW; ow++, col += ld) {
                size_t lo, hi;
                win_cols(g, ow, &lo, &hi);
                size_t w0 = ow * g->SW + lo - g->PL;
                for (size_t kh = 0; kh < g->KH; kh++) {
                    size_t h = win_row(g, oh, kh);
                    if (h != SIZE_MAX && lo < hi)
                        run_add(dx + (h * g->W + w0) * C, col + kh * len + lo * C, (hi - lo) * C);
                }
            }
}

/* Max pooling of the channels [c, c + m) of output pixel (oh, ow). */
VINLINE void maxpool_run(const nnbi_win *g, const T *in, size_t oh, size_t ow, size_t c, size_t m,
                         T *out, T *pos) {
    size_t C = g->C, h0 = oh * g->SH, w0 = ow * g->SW, k = 0;
    vt mx = vset((T)-INFINITY), kv = vzero();
    for (size_t kh = 0; kh < g->KH; kh++)
        for (size_t kw = 0; kw < g->KW; kw++, k++) {
            vt v = vload_n(in + ((h0 + kh) * g->W + w0 + kw) * C + c, m, 0);
            vmask up = vmask_or(vgt(v, mx), visnan(v));
            mx = vsel(up, v, mx);
            kv = vsel(up, vset((T)k), kv);
        }
    vstore_n(out + c, mx, m);
    vstore_n(pos + c, kv, m);
}

static void maxpool(const nnbi_win *g, size_t n, const T *in, T *out, T *pos) {
    if (!win_last(g)) {
        maxpool_ref(g, n, in, out, pos);
        return;
    }
    size_t C = g->C, per = C * g->H * g->W;
    for (size_t b = 0; b < n; b++, in += per)
        for (size_t oh = 0; oh < g->OH; oh++)
            for (size_t ow = 0; ow < g->OW; ow++, out += C, pos += C)
                for (size_t c = 0; c < C; c += VW)
                    maxpool_run(g, in, oh, ow, c, chunk(C, c), out, pos);
}

/* The gradient of max pooling: each window position of each output pixel gets dout where pos
 * names it and +0 elsewhere, added to din (which starts at +0 and so never holds -0: adding +0
 * changes no bits, and each element's sum is the reference's). When the windows tile the input
 * (stride = window) every element is written once and the covered part needs no clearing. */
static void maxpool_backward(const nnbi_win *g, size_t n, const T *dout, const T *pos, T *din) {
    if (!win_last(g)) {
        maxpool_backward_ref(g, n, dout, pos, din);
        return;
    }
    size_t C = g->C, per = C * g->H * g->W;
    int tiles = g->SH == g->KH && g->SW == g->KW && g->OH * g->KH == g->H && g->OW * g->KW == g->W;
    if (!tiles) memset(din, 0, n * per * sizeof *din);
    for (size_t b = 0; b < n; b++, din += per)
        for (size_t oh = 0; oh < g->OH; oh++)
            for (size_t ow = 0; ow < g->OW; ow++, dout += C, pos += C)
                for (size_t c = 0; c < C; c += VW) {
                    size_t m = chunk(C, c), k = 0;
                    vt dv = vload_n(dout + c, m, 0), pv = vload_n(pos + c, m, 0);
                    for (size_t kh = 0; kh < g->KH; kh++)
                        for (size_t kw = 0; kw < g->KW; kw++, k++) {
                            vt kk = vset((T)k);
                            vt v = vsel0(vmask_and(vge(pv, kk), vge(kk, pv)), dv);
                            T *d = din + ((oh * g->SH + kh) * g->W + ow * g->SW + kw) * C + c;
                            vstore_n(d, vadd(tiles ? vzero() : vload_n(d, m, 0), v), m);
                        }
                }
}

static void avgpool(const nnbi_win *g, size_t n, const T *in, T *out) {
    if (!win_last(g)) {
        avgpool_ref(g, n, in, out);
        return;
    }
    size_t C = g->C, per = C * g->H * g->W;
    vt area = vset((T)(g->KH * g->KW));
    for (size_t b = 0; b < n; b++, in += per)
        for (size_t oh = 0; oh < g->OH; oh++)
            for (size_t ow = 0; ow < g->OW; ow++, out += C)
                for (size_t c = 0; c < C; c += VW) {
                    size_t m = chunk(C, c);
                    vt s = vzero();
                    for (size_t kh = 0; kh < g->KH; kh++)
                        for (size_t kw = 0; kw < g->KW; kw++)
                            s = vadd(
                                s,
                                vload_n(in + ((oh * g->SH + kh) * g->W + ow * g->SW + kw) * C + c,
                                        m, 0));
                    vstore_n(out + c, vdiv(s, area), m);
                }
}

static void avgpool_backward(const nnbi_win *g, size_t n, const T *dout, T *din) {
    if (!win_last(g)) {
        avgpool_backward_ref(g, n, dout, din);
        return;
    }
    size_t C = g->C, per = C * g->H * g->W;
    vt area = vset((T)(g->KH * g->KW));
    memset(din, 0, n * per * sizeof *din);
    for (size_t b = 0; b < n; b++, din += per)
        for (size_t oh = 0; oh < g->OH; oh++)
            for (size_t ow = 0; ow < g->OW; ow++, dout += C)
                for (size_t c = 0; c < C; c += VW) {
                    size_t m = chunk(C, c);
                    vt v = vdiv(vload_n(dout + c, m, 0), area);
                    for (size_t kh = 0; kh < g->KH; kh++)
                        for (size_t kw = 0; kw < g->KW; kw++) {
                            T *d = din + ((oh * g->SH + kh) * g->W + ow * g->SW + kw) * C + c;
                            vstore_n(d, vadd(vload_n(d, m, 0), v), m);
                        }
                }
}

static void transpose(size_t n, size_t rows, size_t cols, const T *in, T *out) {
    transpose_ref(n, rows, cols, in, out);
}

/* ---- Winograd's F(2x2, 3x3): the reference's operations in its order, VW channels (input) or
 * filters (output) at a time; the filter transform, done once a pass, is the reference's. ---- */

static void wino_filter(size_t F, size_t C, const T *w, T *u) { wino_filter_ref(F, C, w, u); }

/* One tile's 4 x 4 inputs of channels [c, c + m) (src: where each lies, NULL in the padding) into
 * its 16 transformed runs at o. */
VINLINE void wino_in_run(const T *const src[16], size_t c, size_t m, size_t xs, T *o) {
    vt d[4][4], t[4][4];
    for (size_t i = 0; i < 4; i++)
        for (size_t j = 0; j < 4; j++)
            d[i][j] = src[4 * i + j] ? vload_n(src[4 * i + j] + c, m, 0) : vzero();
    for (size_t j = 0; j < 4; j++) {
        t[0][j] = vsub(d[0][j], d[2][j]);
        t[1][j] = vadd(d[1][j], d[2][j]);
        t[2][j] = vsub(d[2][j], d[1][j]);
        t[3][j] = vsub(d[1][j], d[3][j]);
    }
    for (size_t i = 0; i < 4; i++) {
        vstore_n(o + (4 * i) * xs + c, vsub(t[i][0], t[i][2]), m);
        vstore_n(o + (4 * i + 1) * xs + c, vadd(t[i][1], t[i][2]), m);
        vstore_n(o + (4 * i + 2) * xs + c, vsub(t[i][2], t[i][1]), m);
        vstore_n(o + (4 * i + 3) * xs + c, vsub(t[i][1], t[i][3]), m);
    }
}

static void wino_in(const nnbi_win *g, size_t n, const T *in, T *v) {
    if (!win_last(g)) {
        wino_in_ref(g, n, in, v);
        return;
    }
    size_t C = g->C, TH = wino_th(g), TW = wino_tw(g);
    size_t per = C * g->H * g->W;
    for (size_t b = 0; b < n; b++, in += per)
        for (size_t ty = 0; ty < TH; ty++)
            for (size_t tx = 0; tx < TW; tx++) {
                T *o = v + ((b * TH + ty) * TW + tx) * 16 * C;
                const T *src[16];
                for (size_t i = 0; i < 4; i++) {
                    size_t h = win_row(g, 2 * ty, i);
                    for (size_t j = 0; j < 4; j++) {
                        size_t w = win_col(g, 2 * tx, j);
                        src[4 * i + j] =
                            h == SIZE_MAX || w == SIZE_MAX ? NULL : in + (h * g->W + w) * C;
                    }
                }
                for (size_t c = 0; c < C; c += VW) wino_in_run(src, c, chunk(C, c), C, o);
            }
}

/* One tile's 2 x 2 outputs of filters [f, f + k) (dst: where each goes, NULL past OH or OW). */
VINLINE void wino_out_run(const T *s, size_t xm, size_t f, size_t k, const T *bias,
                          T *const dst[4]) {
    vt u[2][4], y[2][2];
    for (size_t j = 0; j < 4; j++) {
        vt a0 = vload_n(s + j * xm + f, k, 0), a1 = vload_n(s + (4 + j) * xm + f, k, 0);
        vt a2 = vload_n(s + (8 + j) * xm + f, k, 0), a3 = vload_n(s + (12 + j) * xm + f, k, 0);
        u[0][j] = vadd(vadd(a0, a1), a2);
        u[1][j] = vsub(vsub(a1, a2), a3);
    }
    for (size_t r = 0; r < 2; r++) {
        y[r][0] = vadd(vadd(u[r][0], u[r][1]), u[r][2]);
        y[r][1] = vsub(vsub(u[r][1], u[r][2]), u[r][3]);
    }
    vt bv = bias ? vload_n(bias + f, k, 0) : vzero();
    for (size_t q = 0; q < 4; q++)
        if (dst[q]) vstore_n(dst[q] + f, bias ? vadd(y[q / 2][q % 2], bv) : y[q / 2][q % 2], k);
}

static void wino_out(const nnbi_win *g, size_t n, size_t F, const T *m, const T *bias, T *out) {
    if (F < VW) { /* fewer filters than a vector: element by element */
        wino_out_ref(g, n, F, m, bias, out);
        return;
    }
    size_t TH = wino_th(g), TW = wino_tw(g), P = g->OH * g->OW;
    for (size_t b = 0; b < n; b++)
        for (size_t ty = 0; ty < TH; ty++)
            for (size_t tx = 0; tx < TW; tx++) {
                const T *s = m + ((b * TH + ty) * TW + tx) * 16 * F;
                T *dst[4];
                for (size_t q = 0; q < 4; q++) {
                    size_t oh = 2 * ty + q / 2, ow = 2 * tx + q % 2;
                    dst[q] = oh < g->OH && ow < g->OW ? out + (b * P + oh * g->OW + ow) * F : NULL;
                }
                for (size_t f = 0; f < F; f += VW) wino_out_run(s, F, f, chunk(F, f), bias, dst);
            }
}
