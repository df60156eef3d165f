/*
 * The shapes of convolutions and poolings (lib/window.c): the geometry the window kernels run on
 * (nnbi_win, lib/kernels/kernels.h), made from a layer's hyper-parameters and checked before
 * anything is allocated, and the sizes of the work the layer kinds do with it (issue 24; the
 * design is docs/design.md, "Convolution and pooling").
 */
#ifndef NNB_WINDOW_H
#define NNB_WINDOW_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "kernels/kernels.h"
#include "nnblas.h"

/* What a convolution or pooling layer is given: an input of C channels of H x W (channel-major,
 * chw = 1, or channels-last, chw = 0), F filters (convolutions; pooling ignores it), windows of
 * KH x KW moved by SH x SW, and zero padding PT, PB rows above and below and PL, PR columns left
 * and right (convolutions; pooling has none). */
typedef struct nnbi_win_spec {
    size_t C, H, W, F;
    size_t KH, KW, SH, SW;
    size_t PT, PB, PL, PR;
    int chw;
} nnbi_win_spec;

/* A convolution's geometry: OH = (H + PT + PB - KH) / SH + 1 (and so OW). Refuses, with a message
 * naming func: a zero size, kernel or stride or no filters (NNB_E_INVALID_ARG); a kernel larger
 * than the padded input (NNB_E_SHAPE); sizes whose products overflow, or that OpenBLAS's 32-bit
 * int or max pooling's 32-bit indices cannot hold - a sample's input or output above 2^31 - 1
 * values, a column-matrix row (KH KW C + 1) or one sample's OH OW rows above 2^31 - 1
 * (NNB_E_TOO_LARGE). A channel-major input of one channel is made channels-last (the same
 * layout). */
nnb_status nnbi_win_conv(const nnbi_win_spec *s, nnbi_win *g, const char *func);

/* A pooling's geometry (no padding: OH = (H - KH) / SH + 1, the last rows and columns that no
 * window covers are left out, as PyTorch's floor mode does). Refuses what nnbi_win_conv does and
 * any padding (NNB_E_INVALID_ARG); a window larger than the input is NNB_E_SHAPE, one of more
 * than 2^24 positions (max pooling keeps them in the element type) NNB_E_TOO_LARGE. */
nnb_status nnbi_win_pool(const nnbi_win_spec *s, nnbi_win *g, const char *func);

/* "Same" padding of one dimension: the padding that gives ceil(in / stride) outputs, split into
 * *before = total / 2 and *after = total - *before (the extra one after: PyTorch's and
 * TensorFlow's rule; with stride 1 the output has the input's size). NNB_E_INVALID_ARG for a zero
 * size, kernel or stride, NNB_E_TOO_LARGE when the padded size overflows. No message (the caller
 * names the layer). */
nnb_status nnbi_win_same(size_t in, size_t k, size_t stride, size_t *before, size_t *after);

/* Values in one row of the column matrix: KH KW C, plus one for the bias's column of ones. */
static inline size_t nnbi_win_cols(const nnbi_win *g, int ones) {
    return g->KH * g->KW * g->C + (ones != 0);
}

/* Whether a convolution's forward pass runs as Winograd's F(2x2, 3x3) (kernels.h: wino_filter,
 * wino_in, wino_out) rather than im2col: 3 x 3 windows of stride 1 on a channels-last input of at
 * least NNBI_WINO_MIN_C channels. Per 2 x 2 outputs it multiplies 16 C F values where im2col
 * multiplies 36 C F, in 16 GEMMs of (tiles x F x C) that run a little slower per multiplication
 * (K = C); measured faster on issue 24's second convolution (docs/performance.md). The backward
 * passes stay on im2col. (Inline: the benchmarks use it too.) */
#define NNBI_WINO_MIN_C 8

static inline int nnbi_win_wino(const nnbi_win *g) {
    return g->KH == 3 && g->KW == 3 && g->SH == 1 && g->SW == 1 && !g->chw &&
           g->C >= NNBI_WINO_MIN_C;
}

/* Its tiles of 2 x 2 outputs per sample. */
static inline size_t nnbi_win_tiles(const nnbi_win *g) {
    return ((g->OH + 1) / 2) * ((g->OW + 1) / 2);
}

/* Values of a convolution's column matrix per chunk (1 MiB of float64): a chunk stays in the L2
 * cache. The layer kind chunks with it; so does the ceiling of nnblas-bench train's cnn-fashion. */
#define NNBI_CONV_COL_BUDGET ((size_t)1 << 17)

/* Samples per chunk of a batch of `batch` rows when the column matrix of a chunk may take at most
 * `budget` bytes of `elem`-byte values: at least 1, at most batch, and few enough that the
 * chunk's OH OW rows stay within OpenBLAS's int. (Inline: the benchmarks use it too.) */
static inline size_t nnbi_win_chunk(const nnbi_win *g, int ones, size_t batch, size_t elem,
                                    size_t budget) {
    size_t rows = g->OH * g->OW, row_bytes = nnbi_win_cols(g, ones) * elem, n = 0;
    if (rows > 0 && row_bytes > 0 && row_bytes <= SIZE_MAX / rows) n = budget / (rows * row_bytes);
    if (rows > 0 && n > (size_t)INT_MAX / rows) n = (size_t)INT_MAX / rows;
    if (n > batch) n = batch;
    return n ? n : 1;
}

#endif
