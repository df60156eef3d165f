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

static void im2col(const nnbi_win *g, size_t n, const T *in, int ones, T *col) {
    if (!win_last(g)) {
        im2col_ref(g, n, in, ones, col);
        return;
    }
    size_t C = g->C, per = C * g->H * g->W, len = g->KW * C;
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

/* Max pooling of the channels [c, c + m) of output pixel (oh, ow): the window's position k =
 * kh KW + kw of each lane's maximum is kept in a vector of T (exact: windows of at most 2^24
 * elements take this path) and turned into the input index at the end. */
VINLINE void maxpool_run(const nnbi_win *g, const T *in, size_t oh, size_t ow, size_t c, size_t m,
                         T *out, int32_t *arg) {
    size_t C = g->C, h0 = oh * g->SH, w0 = ow * g->SW, k = 0;
    vt mx = vset((T)-INFINITY), kv = vzero();
    for (size_t kh = 0; kh < g->KH; kh++)
        for (size_t kw = 0; kw < g->KW; kw++, k++) {
            vt v = vload_n(in + ((h0 + kh) * g->W + w0 + kw) * C + c, m, 0);
            vmask up = vmask_or(vgt(v, mx), visnan(v));
            mx = vsel(up, v, mx);
            kv = vsel(up, vset((T)k), kv);
        }
    T ks[VW];
    vstore_n(out + c, mx, m);
    vstore_n(ks, kv, m);
    for (size_t j = 0; j < m; j++) {
        size_t kk = (size_t)ks[j];
        arg[c + j] = (int32_t)(((h0 + kk / g->KW) * g->W + w0 + kk % g->KW) * C + c + j);
    }
}

static void maxpool(const nnbi_win *g, size_t n, const T *in, T *out, int32_t *arg) {
    if (!win_last(g) || g->KH * g->KW > ((size_t)1 << 24)) {
        maxpool_ref(g, n, in, out, arg);
        return;
    }
    size_t C = g->C, per = C * g->H * g->W;
    for (size_t b = 0; b < n; b++, in += per)
        for (size_t oh = 0; oh < g->OH; oh++)
            for (size_t ow = 0; ow < g->OW; ow++, out += C, arg += C)
                for (size_t c = 0; c < C; c += VW)
                    maxpool_run(g, in, oh, ow, c, chunk(C, c), out, arg);
}

static void maxpool_backward(const nnbi_win *g, size_t n, const T *dout, const int32_t *arg,
                             T *din) {
    maxpool_backward_ref(g, n, dout, arg, din);
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
