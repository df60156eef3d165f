/*
 * conv_helper: convolution and pooling computed the way the layer kinds will (docs/design.md,
 * "Convolution and pooling": channels-last activations, im2col with a column of ones for the
 * bias, one GEMM per pass, col2im), from the window kernels of a chosen set, for
 * tests/conv_torch.py, which holds the results to PyTorch's.
 *
 *   conv_helper ISA < requests > results
 *
 * Requests follow one another to the end of the input, the results likewise. A request is one
 * text line, then raw native doubles:
 *   conv n C H W F KH KW SH SW PT PB PL PR chw f32\n   x (n C H W), w (F C KH KW), b (F),
 *                                                      dy (n F OH OW)
 *   maxpool n C H W KH KW SH SW chw f32\n              x, dy (n C OH OW)
 *   avgpool n C H W KH KW SH SW chw f32\n              x, dy
 * every array channel-major (NCHW, PyTorch's layout). The results, raw doubles: conv: y, dx, dw,
 * db; maxpool: y, the index of each maximum within its channel's H x W plane (PyTorch's
 * indices), dx; avgpool: y, dx. chw = 0 gives the kernels a channels-last input (converted here),
 * 1 the channel-major one as it is; f32 = 1 computes in float32 (inputs rounded to float). Exit
 * status 2 on a malformed request or a refused shape (with the message on stderr).
 */
#include <cblas.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "window.h"

static const nnbi_kernels *k64;
static const nnbi_kernels_f32 *k32;

static double *read_doubles(size_t n) {
    double *p = malloc((n ? n : 1) * sizeof *p);
    if (!p || fread(p, sizeof *p, n, stdin) != n) {
        fprintf(stderr, "conv_helper: short input\n");
        exit(2);
    }
    return p;
}

static void write_doubles(const double *p, size_t n) {
    if (fwrite(p, sizeof *p, n, stdout) != n) exit(3);
}

#define T double
#define TN(name) name##_f64
#define KTAB k64
#define GEMM cblas_dgemm
#include "conv_helper_t.h"
#undef T
#undef TN
#undef KTAB
#undef GEMM

#define T float
#define TN(name) name##_f32
#define KTAB k32
#define GEMM cblas_sgemm
#include "conv_helper_t.h"

/* Reads one request and writes its results; 0, or the exit status of a failure. */
static int request(void) {
    char op[16];
    nnbi_win_spec s = {0};
    size_t n;
    int f32 = 0, ok = scanf("%15s %zu %zu %zu %zu", op, &n, &s.C, &s.H, &s.W) == 5;
    int conv = ok && strcmp(op, "conv") == 0;
    if (conv)
        ok = scanf("%zu %zu %zu %zu %zu %zu %zu %zu %zu %d %d", &s.F, &s.KH, &s.KW, &s.SH, &s.SW,
                   &s.PT, &s.PB, &s.PL, &s.PR, &s.chw, &f32) == 11;
    else if (ok && (strcmp(op, "maxpool") == 0 || strcmp(op, "avgpool") == 0))
        ok = scanf("%zu %zu %zu %zu %d %d", &s.KH, &s.KW, &s.SH, &s.SW, &s.chw, &f32) == 6;
    else
        ok = 0;
    if (!ok || getchar() != '\n' || n == 0) {
        fprintf(stderr, "conv_helper: malformed request\n");
        return 2;
    }
    if (conv) return f32 ? run_conv_f32(n, &s) : run_conv_f64(n, &s);
    int max = op[0] == 'm';
    return f32 ? run_pool_f32(n, &s, max) : run_pool_f64(n, &s, max);
}

int main(int argc, char **argv) {
    if (argc != 2 || !(k64 = nnbi_kernels_for(argv[1])) || !(k32 = nnbi_kernels_f32_for(argv[1]))) {
        fprintf(stderr, "usage: conv_helper scalar|avx2|avx512 (a set this CPU runs)\n");
        return 2;
    }
    for (;;) { /* one request after another, until the end of the input */
        int c = getchar();
        if (c == EOF) return 0;
        ungetc(c, stdin);
        int rc = request();
        if (rc != 0) return rc;
        fflush(stdout);
    }
}
