/*
 * The window operations of the kernel tables (kernels.h: im2col, col2im, max and average pooling
 * and their gradients, transpose), written once for both element types as plain loops that follow
 * the definitions in kernels.h element by element. They are the scalar sets' kernels and the
 * reference the vectorised ones (window_vec.h) are held to, bit for bit, and the vectorised sets
 * call them for what they do not vectorise (channel-major inputs, the scatter of max pooling's
 * gradient, transpose). This header is not a normal header: scalar_kernels.h includes it, and
 * window_vec.h through vec_kernels.h.
 *
 * Template parameters (defined before the #include):
 *   T          the element type: double or float.
 *   WIN(name)  the name of each function: `name` itself in the scalar sets (the table's entries),
 *              name##_ref in the vectorised ones (their fall-back).
 *
 * Arithmetic: avgpool sums in T in (kh, kw) order and divides by (T)(KH KW); its gradient
 * divides each dout by (T)(KH KW) once and adds that; col2im and the gradients add in the order
 * kernels.h states. So the float64 results are PyTorch's (which sums and divides the same way).
 */
#include <math.h>
#include <string.h>

/* Element (c, h, w) of a sample in g's layout. */
static inline size_t win_at(const nnbi_win *g, size_t c, size_t h, size_t w) {
    return g->chw ? (c * g->H + h) * g->W + w : (h * g->W + w) * g->C + c;
}

/* The input row under window row kh of output row oh, or SIZE_MAX where it is padding. */
static inline size_t win_row(const nnbi_win *g, size_t oh, size_t kh) {
    size_t p = oh * g->SH + kh;
    return p < g->PT || p - g->PT >= g->H ? SIZE_MAX : p - g->PT;
}

/* The input column under window column kw of output column ow, or SIZE_MAX in the padding. */
static inline size_t win_col(const nnbi_win *g, size_t ow, size_t kw) {
    size_t p = ow * g->SW + kw;
    return p < g->PL || p - g->PL >= g->W ? SIZE_MAX : p - g->PL;
}

static void WIN(im2col)(const nnbi_win *g, size_t n, const T *in, int ones, T *col) {
    size_t C = g->C, per = C * g->H * g->W;
    for (size_t b = 0; b < n; b++, in += per)
        for (size_t oh = 0; oh < g->OH; oh++)
            for (size_t ow = 0; ow < g->OW; ow++) {
                for (size_t kh = 0; kh < g->KH; kh++) {
                    size_t h = win_row(g, oh, kh);
                    for (size_t kw = 0; kw < g->KW; kw++, col += C) {
                        size_t w = win_col(g, ow, kw);
                        for (size_t c = 0; c < C; c++)
                            col[c] = h == SIZE_MAX || w == SIZE_MAX ? (T)0 : in[win_at(g, c, h, w)];
                    }
                }
                if (ones) *col++ = (T)1;
            }
}

static void WIN(col2im)(const nnbi_win *g, size_t n, const T *col, size_t ld, T *dx) {
    size_t C = g->C, per = C * g->H * g->W;
    memset(dx, 0, n * per * sizeof *dx);
    for (size_t b = 0; b < n; b++, dx += per)
        for (size_t oh = 0; oh < g->OH; oh++)
            for (size_t ow = 0; ow < g->OW; ow++, col += ld) {
                const T *r = col;
                for (size_t kh = 0; kh < g->KH; kh++) {
                    size_t h = win_row(g, oh, kh);
                    for (size_t kw = 0; kw < g->KW; kw++, r += C) {
                        size_t w = win_col(g, ow, kw);
                        if (h == SIZE_MAX || w == SIZE_MAX) continue;
                        for (size_t c = 0; c < C; c++) dx[win_at(g, c, h, w)] += r[c];
                    }
                }
            }
}

static void WIN(maxpool)(const nnbi_win *g, size_t n, const T *in, T *out, T *pos) {
    size_t C = g->C, per = C * g->H * g->W;
    for (size_t b = 0; b < n; b++, in += per)
        for (size_t oh = 0; oh < g->OH; oh++)
            for (size_t ow = 0; ow < g->OW; ow++, out += C, pos += C) {
                for (size_t c = 0; c < C; c++) out[c] = (T)-INFINITY, pos[c] = 0;
                for (size_t kh = 0; kh < g->KH; kh++)
                    for (size_t kw = 0; kw < g->KW; kw++) {
                        size_t h = win_row(g, oh, kh), w = win_col(g, ow, kw);
                        for (size_t c = 0; c < C; c++) {
                            T v = in[win_at(g, c, h, w)];
                            if (v > out[c] || isnan(v)) out[c] = v, pos[c] = (T)(kh * g->KW + kw);
                        }
                    }
            }
}

static void WIN(maxpool_backward)(const nnbi_win *g, size_t n, const T *dout, const T *pos,
                                  T *din) {
    size_t C = g->C, per = C * g->H * g->W;
    memset(din, 0, n * per * sizeof *din);
    for (size_t b = 0; b < n; b++, din += per)
        for (size_t oh = 0; oh < g->OH; oh++)
            for (size_t ow = 0; ow < g->OW; ow++, dout += C, pos += C)
                for (size_t c = 0; c < C; c++) {
                    size_t k = (size_t)pos[c];
                    size_t h = win_row(g, oh, k / g->KW), w = win_col(g, ow, k % g->KW);
                    din[win_at(g, c, h, w)] += dout[c];
                }
}

static void WIN(avgpool)(const nnbi_win *g, size_t n, const T *in, T *out) {
    size_t C = g->C, per = C * g->H * g->W;
    T area = (T)(g->KH * g->KW);
    for (size_t b = 0; b < n; b++, in += per)
        for (size_t oh = 0; oh < g->OH; oh++)
            for (size_t ow = 0; ow < g->OW; ow++, out += C) {
                for (size_t c = 0; c < C; c++) out[c] = 0;
                for (size_t kh = 0; kh < g->KH; kh++)
                    for (size_t kw = 0; kw < g->KW; kw++) {
                        size_t h = win_row(g, oh, kh), w = win_col(g, ow, kw);
                        for (size_t c = 0; c < C; c++) out[c] += in[win_at(g, c, h, w)];
                    }
                for (size_t c = 0; c < C; c++) out[c] /= area;
            }
}

static void WIN(avgpool_backward)(const nnbi_win *g, size_t n, const T *dout, T *din) {
    size_t C = g->C, per = C * g->H * g->W;
    T area = (T)(g->KH * g->KW);
    memset(din, 0, n * per * sizeof *din);
    for (size_t b = 0; b < n; b++, din += per)
        for (size_t oh = 0; oh < g->OH; oh++)
            for (size_t ow = 0; ow < g->OW; ow++, dout += C)
                for (size_t kh = 0; kh < g->KH; kh++)
                    for (size_t kw = 0; kw < g->KW; kw++) {
                        size_t h = win_row(g, oh, kh), w = win_col(g, ow, kw);
                        for (size_t c = 0; c < C; c++) din[win_at(g, c, h, w)] += dout[c] / area;
                    }
}

/* ---- Winograd's F(2x2, 3x3) (kernels.h: wino_filter, wino_in, wino_out) ---- */

/* Tiles of 2 x 2 outputs per sample: ceil(OH / 2) x ceil(OW / 2). */
static inline size_t wino_th(const nnbi_win *g) { return (g->OH + 1) / 2; }
static inline size_t wino_tw(const nnbi_win *g) { return (g->OW + 1) / 2; }

static void WIN(wino_filter)(size_t F, size_t C, const T *w, T *u) {
    const T h = (T)0.5;
    size_t xs = F * C;
    for (size_t f = 0; f < F; f++)
        for (size_t c = 0; c < C; c++) {
            const T *g = w + (f * C + c) * 9;
            T t[4][3];
            for (size_t j = 0; j < 3; j++) {
                t[0][j] = g[j];
                t[1][j] = (g[j] + g[3 + j] + g[6 + j]) * h;
                t[2][j] = (g[j] - g[3 + j] + g[6 + j]) * h;
                t[3][j] = g[6 + j];
            }
            T *o = u + f * C + c;
            for (size_t i = 0; i < 4; i++) {
                o[(4 * i) * xs] = t[i][0];
                o[(4 * i + 1) * xs] = (t[i][0] + t[i][1] + t[i][2]) * h;
                o[(4 * i + 2) * xs] = (t[i][0] - t[i][1] + t[i][2]) * h;
                o[(4 * i + 3) * xs] = t[i][2];
            }
        }
}

static void WIN(wino_in)(const nnbi_win *g, size_t n, const T *in, T *v) {
    size_t C = g->C, TH = wino_th(g), TW = wino_tw(g), xs = C;
    size_t per = C * g->H * g->W;
    for (size_t b = 0; b < n; b++, in += per)
        for (size_t ty = 0; ty < TH; ty++)
            for (size_t tx = 0; tx < TW; tx++) {
                T *o = v + ((b * TH + ty) * TW + tx) * 16 * C;
                for (size_t c = 0; c < C; c++) {
                    T d[4][4], t[4][4];
                    for (size_t i = 0; i < 4; i++) {
                        size_t h = win_row(g, 2 * ty, i);
                        for (size_t j = 0; j < 4; j++) {
                            size_t w = win_col(g, 2 * tx, j);
                            d[i][j] =
                                h == SIZE_MAX || w == SIZE_MAX ? (T)0 : in[(h * g->W + w) * C + c];
                        }
                    }
                    for (size_t j = 0; j < 4; j++) {
                        t[0][j] = d[0][j] - d[2][j];
                        t[1][j] = d[1][j] + d[2][j];
                        t[2][j] = d[2][j] - d[1][j];
                        t[3][j] = d[1][j] - d[3][j];
                    }
                    for (size_t i = 0; i < 4; i++) {
                        o[(4 * i) * xs + c] = t[i][0] - t[i][2];
                        o[(4 * i + 1) * xs + c] = t[i][1] + t[i][2];
                        o[(4 * i + 2) * xs + c] = t[i][2] - t[i][1];
                        o[(4 * i + 3) * xs + c] = t[i][1] - t[i][3];
                    }
                }
            }
}

static void WIN(wino_out)(const nnbi_win *g, size_t n, size_t F, const T *m, const T *bias,
                          T *out) {
    size_t TH = wino_th(g), TW = wino_tw(g), xm = F, P = g->OH * g->OW;
    for (size_t b = 0; b < n; b++)
        for (size_t ty = 0; ty < TH; ty++)
            for (size_t tx = 0; tx < TW; tx++) {
                const T *s = m + ((b * TH + ty) * TW + tx) * 16 * F;
                for (size_t f = 0; f < F; f++) {
                    T u[2][4], y[2][2];
                    for (size_t j = 0; j < 4; j++) {
                        u[0][j] = s[j * xm + f] + s[(4 + j) * xm + f] + s[(8 + j) * xm + f];
                        u[1][j] = s[(4 + j) * xm + f] - s[(8 + j) * xm + f] - s[(12 + j) * xm + f];
                    }
                    for (size_t r = 0; r < 2; r++) {
                        y[r][0] = u[r][0] + u[r][1] + u[r][2];
                        y[r][1] = u[r][1] - u[r][2] - u[r][3];
                    }
                    for (size_t r = 0; r < 2; r++)
                        for (size_t q = 0; q < 2; q++) {
                            size_t oh = 2 * ty + r, ow = 2 * tx + q;
                            if (oh >= g->OH || ow >= g->OW) continue;
                            T val = y[r][q];
                            if (bias) val += bias[f];
                            out[(b * P + oh * g->OW + ow) * F + f] = val;
                        }
                }
            }
}

static void WIN(transpose)(size_t n, size_t rows, size_t cols, const T *in, T *out) {
    for (size_t b = 0; b < n; b++, in += rows * cols, out += rows * cols)
        for (size_t r = 0; r < rows; r++)
            for (size_t c = 0; c < cols; c++) out[c * rows + r] = in[r * cols + c];
}
