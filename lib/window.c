/*
 * The shapes of convolutions and poolings (window.h): every size a layer kind derives from its
 * hyper-parameters, checked for zero, for windows that do not fit and for products that overflow
 * size_t, OpenBLAS's 32-bit int or max pooling's 32-bit indices, before anything is allocated.
 */
#include <limits.h>
#include <stdint.h>

#include "nnb_internal.h"
#include "window.h"

/* *out = a + b, 0 on overflow */
static int add_size(size_t a, size_t b, size_t *out) {
    if (b > SIZE_MAX - a) return 0;
    *out = a + b;
    return 1;
}

/* The checks both kinds share: nonzero sizes, the padded input, the output size, and that the
 * kernel fits the padded input. */
static nnb_status outputs(const nnbi_win_spec *s, nnbi_win *g, const char *func) {
    if (s->C == 0 || s->H == 0 || s->W == 0)
        return nnbi_error(NNB_E_INVALID_ARG, func,
                          "the input shape %zux%zux%zu (CxHxW) has a zero dimension", s->C, s->H,
                          s->W);
    if (s->KH == 0 || s->KW == 0)
        return nnbi_error(NNB_E_INVALID_ARG, func, "a %zux%zu window: its sizes are at least 1",
                          s->KH, s->KW);
    if (s->SH == 0 || s->SW == 0)
        return nnbi_error(NNB_E_INVALID_ARG, func, "stride %zux%zu: strides are at least 1", s->SH,
                          s->SW);
    size_t ph, pw;
    if (!add_size(s->H, s->PT, &ph) || !add_size(ph, s->PB, &ph) || !add_size(s->W, s->PL, &pw) ||
        !add_size(pw, s->PR, &pw))
        return nnbi_error(NNB_E_TOO_LARGE, func, "the padded input overflows");
    if (s->KH > ph || s->KW > pw)
        return nnbi_error(NNB_E_SHAPE, func,
                          "the %zux%zu window is larger than the %zux%zu input (padded: %zux%zu)",
                          s->KH, s->KW, s->H, s->W, ph, pw);
    *g = (nnbi_win){.C = s->C,
                    .H = s->H,
                    .W = s->W,
                    .KH = s->KH,
                    .KW = s->KW,
                    .SH = s->SH,
                    .SW = s->SW,
                    .PT = s->PT,
                    .PL = s->PL,
                    .OH = (ph - s->KH) / s->SH + 1,
                    .OW = (pw - s->KW) / s->SW + 1,
                    .chw = s->chw && s->C > 1};
    return NNB_OK;
}

/* n = a * b * c within INT_MAX (and so within size_t and int32_t), else 0. */
static int product_int(size_t a, size_t b, size_t c, size_t *n) {
    size_t ab;
    return nnbi_mul_size(a, b, &ab) && nnbi_mul_size(ab, c, n) && *n <= (size_t)INT_MAX;
}

/* The sizes both kinds share: a sample's input and output, OH OW C per sample. */
static nnb_status sizes(const nnbi_win *g, size_t out_channels, const char *func) {
    size_t n;
    if (!product_int(g->C, g->H, g->W, &n))
        return nnbi_error(NNB_E_TOO_LARGE, func,
                          "an input of %zux%zux%zu values per sample is more than 2^31 - 1", g->C,
                          g->H, g->W);
    if (!product_int(out_channels, g->OH, g->OW, &n))
        return nnbi_error(NNB_E_TOO_LARGE, func,
                          "an output of %zux%zux%zu values per sample is more than 2^31 - 1",
                          out_channels, g->OH, g->OW);
    return NNB_OK;
}

nnb_status nnbi_win_conv(const nnbi_win_spec *s, nnbi_win *g, const char *func) {
    if (s->F == 0) return nnbi_error(NNB_E_INVALID_ARG, func, "a convolution needs filters (F 0)");
    nnb_status st = outputs(s, g, func);
    if (st != NNB_OK) return st;
    if ((st = sizes(g, s->F, func)) != NNB_OK) return st;
    size_t k, bytes;
    /* a column-matrix row with the bias's column (a GEMM's k) within int; one sample's rows
     * (OH OW, a GEMM's m) are, with the output; and one sample's column matrix within size_t */
    if (!product_int(g->KH, g->KW, g->C, &k) || k == (size_t)INT_MAX)
        return nnbi_error(NNB_E_TOO_LARGE, func,
                          "a %zux%zu window over %zu channels has more than 2^31 - 2 values", g->KH,
                          g->KW, g->C);
    if (!product_int(g->OH, g->OW, 1, &bytes) || !nnbi_mul_size(bytes, k + 1, &bytes) ||
        !nnbi_mul_size(bytes, sizeof(double), &bytes))
        return nnbi_error(NNB_E_TOO_LARGE, func,
                          "the column matrix of one sample (%zux%zu rows of %zu values) overflows",
                          g->OH, g->OW, k + 1);
    return NNB_OK;
}

nnb_status nnbi_win_pool(const nnbi_win_spec *s, nnbi_win *g, const char *func) {
    if (s->PT || s->PB || s->PL || s->PR)
        return nnbi_error(NNB_E_INVALID_ARG, func, "pooling takes no padding");
    nnb_status st = outputs(s, g, func);
    if (st == NNB_OK) st = sizes(g, g->C, func);
    /* after sizes(): KH KW <= H W < 2^31 */
    if (st == NNB_OK && s->KH * s->KW > ((size_t)1 << 24))
        return nnbi_error(NNB_E_TOO_LARGE, func,
                          "a %zux%zu pooling window has more than 2^24 positions", s->KH, s->KW);
    return st;
}

nnb_status nnbi_win_same(size_t in, size_t k, size_t stride, size_t *before, size_t *after) {
    if (in == 0 || k == 0 || stride == 0) return NNB_E_INVALID_ARG;
    size_t out = in / stride + (in % stride != 0), span, total = 0;
    /* the inputs the outputs cover: (out - 1) stride + k */
    if (!nnbi_mul_size(out - 1, stride, &span) || !add_size(span, k, &span)) return NNB_E_TOO_LARGE;
    if (span > in) total = span - in;
    if (!add_size(in, total, &span)) return NNB_E_TOO_LARGE;
    *before = total / 2;
    *after = total - *before;
    return NNB_OK;
}
