/*
 * The primitives of convolution and pooling (issue 24), an internal test that links the kernel
 * libraries and lib/window.c directly:
 *
 * - the shapes (lib/window.c): output sizes, "same" padding, chunks of a batch, and every hostile
 *   shape refused with its status and a message before anything is allocated (zero sizes, stride
 *   0, a kernel larger than the padded input, padding on a pooling, products past size_t,
 *   OpenBLAS's 32-bit int or the 32-bit indices of max pooling);
 * - the window kernels of every set this CPU runs (im2col, col2im, max and average pooling and
 *   their gradients, transpose), in float64 and float32 (test_conv_cases.h, included once per
 *   type), on random shapes: kernels 1-5, strides 1-3, padding 0-2 on each side, odd and
 *   non-square inputs of 1-8 channels in both layouts, pooling windows that do and do not divide
 *   the input, overlapping ones, ties, NaN and infinities; against definitions written here, to
 *   the last bit, and the vectorised sets against the scalar one, bit for bit.
 *
 * PyTorch's own results for the same operations are compared in tests/conv_torch.py.
 */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "nnb_test.h"
#include "window.h"

/* Check's ck_assert reports every passing assertion to the parent process; inner loops use this,
 * which only reports failures. */
#define CHECK(cond, ...)                    \
  do {                                      \
    if (!(cond)) ck_abort_msg(__VA_ARGS__); \
  } while (0)

#define GUARD 19          /* sentinel values after every output buffer */
#define SENTINEL -12345.5 /* never computed from the tests' data */
#define RNG_SEED 20261204

static const char *const isa_names[] = {"scalar", "avx2", "avx512"};
#define N_ISA 3

static size_t rnd(nnbt_rng *r, size_t lo, size_t hi) { /* in [lo, hi] */
    return lo + (size_t)(nnbt_uniform(r) * (double)(hi - lo + 1));
}

/* A random convolution: 1-8 channels, 1-11 rows and columns (odd and non-square), kernels 1-5,
 * strides 1-3, 0-2 zeros on each side, 1-6 filters; redrawn until the kernel fits the padded
 * input. */
static nnbi_win_spec random_conv_spec(nnbt_rng *r, int chw) {
    for (;;) {
        nnbi_win_spec s = {.C = rnd(r, 1, 8),
                           .H = rnd(r, 1, 11),
                           .W = rnd(r, 1, 11),
                           .F = rnd(r, 1, 6),
                           .KH = rnd(r, 1, 5),
                           .KW = rnd(r, 1, 5),
                           .SH = rnd(r, 1, 3),
                           .SW = rnd(r, 1, 3),
                           .PT = rnd(r, 0, 2),
                           .PB = rnd(r, 0, 2),
                           .PL = rnd(r, 0, 2),
                           .PR = rnd(r, 0, 2),
                           .chw = chw};
        if (s.KH <= s.H + s.PT + s.PB && s.KW <= s.W + s.PL + s.PR) return s;
    }
}

/* A random pooling: windows 1-5 that fit the input, strides 1-3 (below, at and above the window:
 * overlapping windows, and inputs the windows do not cover to the end). */
static nnbi_win_spec random_pool_spec(nnbt_rng *r, int chw) {
    for (;;) {
        nnbi_win_spec s = {.C = rnd(r, 1, 8),
                           .H = rnd(r, 1, 11),
                           .W = rnd(r, 1, 11),
                           .KH = rnd(r, 1, 5),
                           .KW = rnd(r, 1, 5),
                           .SH = rnd(r, 1, 3),
                           .SW = rnd(r, 1, 3),
                           .chw = chw};
        if (s.KH <= s.H && s.KW <= s.W) return s;
    }
}

#define T double
#define TN(name) name##_f64
#define KT nnbi_kernels
#define KFOR nnbi_kernels_for
#define TEPS DBL_EPSILON
#define TYPE_NAME ""
#include "test_conv_cases.h"
#undef T
#undef TN
#undef KT
#undef KFOR
#undef TEPS
#undef TYPE_NAME

#define T float
#define TN(name) name##_f32
#define KT nnbi_kernels_f32
#define KFOR nnbi_kernels_f32_for
#define TEPS FLT_EPSILON
#define TYPE_NAME "float32 "
#include "test_conv_cases.h"

/* ---- shapes ---- */

static nnbi_win_spec conv_spec(size_t C, size_t H, size_t W, size_t F, size_t K, size_t S,
                               size_t P) {
    return (nnbi_win_spec){.C = C,
                           .H = H,
                           .W = W,
                           .F = F,
                           .KH = K,
                           .KW = K,
                           .SH = S,
                           .SW = S,
                           .PT = P,
                           .PB = P,
                           .PL = P,
                           .PR = P,
                           .chw = 1};
}

START_TEST(shapes_of_the_issue_network) {
    nnbi_win g;
    nnbi_win_spec s = conv_spec(1, 28, 28, 32, 3, 1, 1);
    nnbt_ok(nnbi_win_conv(&s, &g, "t"));
    ck_assert_uint_eq(g.OH, 28);
    ck_assert_uint_eq(g.OW, 28);
    ck_assert_int_eq(g.chw, 0); /* one channel: channel-major is channels-last */
    ck_assert_uint_eq(nnbi_win_cols(&g, 1), 10);
    s = (nnbi_win_spec){.C = 32, .H = 28, .W = 28, .KH = 2, .KW = 2, .SH = 2, .SW = 2};
    nnbt_ok(nnbi_win_pool(&s, &g, "t"));
    ck_assert_uint_eq(g.OH, 14);
    ck_assert_uint_eq(g.OW, 14);
    s = conv_spec(32, 14, 14, 64, 3, 1, 1);
    s.chw = 0;
    nnbt_ok(nnbi_win_conv(&s, &g, "t"));
    ck_assert_uint_eq(g.OH, 14);
    ck_assert_uint_eq(nnbi_win_cols(&g, 1), 289);
    ck_assert_uint_eq(nnbi_win_cols(&g, 0), 288);
    /* a chunk's column matrix within the budget: 196 rows of 289 values per sample */
    ck_assert_uint_eq(nnbi_win_chunk(&g, 1, 64, 4, 1u << 20), (1u << 20) / (196 * 289 * 4));
    ck_assert_uint_eq(nnbi_win_chunk(&g, 1, 64, 8, 1u << 20), (1u << 20) / (196 * 289 * 8));
    ck_assert_uint_eq(nnbi_win_chunk(&g, 1, 3, 4, SIZE_MAX), 3); /* at most the batch */
    ck_assert_uint_eq(nnbi_win_chunk(&g, 1, 64, 8, 0), 1);       /* at least one sample */
    /* stride 2, a 5x5 kernel with padding 2; pooling 3x3 over 28 leaves one row out */
    s = conv_spec(3, 28, 28, 8, 5, 2, 2);
    nnbt_ok(nnbi_win_conv(&s, &g, "t"));
    ck_assert_uint_eq(g.OH, 14);
    ck_assert_int_eq(g.chw, 1);
    s = (nnbi_win_spec){.C = 1, .H = 28, .W = 27, .KH = 3, .KW = 3, .SH = 3, .SW = 3};
    nnbt_ok(nnbi_win_pool(&s, &g, "t"));
    ck_assert_uint_eq(g.OH, 9);
    ck_assert_uint_eq(g.OW, 9);
}
END_TEST

START_TEST(same_padding) {
    size_t b, a;
    struct {
        size_t in, k, s, before, after;
    } c[] = {{28, 3, 1, 1, 1}, {28, 4, 1, 1, 2}, {28, 1, 1, 0, 0}, {7, 3, 2, 1, 1},
             {8, 3, 2, 0, 1},  {5, 5, 1, 2, 2},  {1, 5, 3, 2, 2},  {10, 2, 3, 0, 1}};
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        ck_assert_int_eq(nnbi_win_same(c[i].in, c[i].k, c[i].s, &b, &a), NNB_OK);
        ck_assert_msg(b == c[i].before && a == c[i].after, "in %zu k %zu s %zu: %zu, %zu", c[i].in,
                      c[i].k, c[i].s, b, a);
        /* and the padded input gives ceil(in / s) outputs */
        ck_assert_uint_eq((c[i].in + b + a - c[i].k) / c[i].s + 1, (c[i].in + c[i].s - 1) / c[i].s);
    }
    ck_assert_int_eq(nnbi_win_same(0, 3, 1, &b, &a), NNB_E_INVALID_ARG);
    ck_assert_int_eq(nnbi_win_same(3, 0, 1, &b, &a), NNB_E_INVALID_ARG);
    ck_assert_int_eq(nnbi_win_same(3, 3, 0, &b, &a), NNB_E_INVALID_ARG);
    ck_assert_int_eq(nnbi_win_same(SIZE_MAX, 3, 1, &b, &a), NNB_E_TOO_LARGE);
    ck_assert_int_eq(nnbi_win_same(5, SIZE_MAX, 1, &b, &a), NNB_E_TOO_LARGE);
}
END_TEST

START_TEST(hostile_shapes) {
    nnbi_win g = {0};
    nnbi_win_spec s = conv_spec(1, 3, 3, 4, 5, 1, 0);
    nnbt_expect(nnbi_win_conv(&s, &g, "conv"), NNB_E_SHAPE, "5x5 window is larger than the 3x3");
    s.PT = s.PB = s.PL = s.PR = 1; /* padded to 5x5: one output */
    nnbt_ok(nnbi_win_conv(&s, &g, "conv"));
    ck_assert_uint_eq(g.OH, 1);
    s = conv_spec(1, 8, 8, 4, 3, 0, 1);
    nnbt_expect(nnbi_win_conv(&s, &g, "conv"), NNB_E_INVALID_ARG, "stride 0x0");
    s = conv_spec(1, 8, 8, 4, 0, 1, 1);
    nnbt_expect(nnbi_win_conv(&s, &g, "conv"), NNB_E_INVALID_ARG, "0x0 window");
    s = conv_spec(1, 8, 8, 0, 3, 1, 1);
    nnbt_expect(nnbi_win_conv(&s, &g, "conv"), NNB_E_INVALID_ARG, "filters");
    s = conv_spec(0, 8, 8, 4, 3, 1, 1);
    nnbt_expect(nnbi_win_conv(&s, &g, "conv"), NNB_E_INVALID_ARG, "0x8x8 (CxHxW) has a zero");
    s = conv_spec(1, SIZE_MAX, 8, 4, 3, 1, 1);
    nnbt_expect(nnbi_win_conv(&s, &g, "conv"), NNB_E_TOO_LARGE, "padded input overflows");
    s = conv_spec(1, 65536, 65536, 1, 1, 1, 0); /* 2^32 values per sample */
    nnbt_expect(nnbi_win_conv(&s, &g, "conv"), NNB_E_TOO_LARGE, "input of 1x65536x65536");
    s = conv_spec(1, 1, 1, 8, 1, 1, 30000); /* 8 x 60001 x 60001 outputs from one value */
    nnbt_expect(nnbi_win_conv(&s, &g, "conv"), NNB_E_TOO_LARGE, "output of 8x60001x60001");
    s = conv_spec(1, 1, 1, 1, 46341, 1, 23170); /* a window of 46341^2 > 2^31 - 2 values */
    nnbt_expect(nnbi_win_conv(&s, &g, "conv"), NNB_E_TOO_LARGE, "46341x46341 window over 1");
    s = conv_spec(1, 46000, 46000, 1, 46000, 1, 0);
    s.PB = s.PR = 45999; /* 46000^2 rows of 46000^2 + 1 values: past size_t */
    nnbt_expect(nnbi_win_conv(&s, &g, "conv"), NNB_E_TOO_LARGE, "column matrix of one sample");
    /* pooling */
    s = (nnbi_win_spec){.C = 2, .H = 4, .W = 4, .KH = 2, .KW = 2, .SH = 2, .SW = 2, .PL = 1};
    nnbt_expect(nnbi_win_pool(&s, &g, "pool"), NNB_E_INVALID_ARG, "no padding");
    s.PL = 0, s.KW = 5;
    nnbt_expect(nnbi_win_pool(&s, &g, "pool"), NNB_E_SHAPE, "2x5 window is larger than the 4x4");
    s.KW = 2, s.SW = 0;
    nnbt_expect(nnbi_win_pool(&s, &g, "pool"), NNB_E_INVALID_ARG, "stride 2x0");
    s = (nnbi_win_spec){.C = 4, .H = 32768, .W = 32768, .KH = 2, .KW = 2, .SH = 2, .SW = 2};
    nnbt_expect(nnbi_win_pool(&s, &g, "pool"), NNB_E_TOO_LARGE, "input of 4x32768x32768");
    s = (nnbi_win_spec){.C = 1, .H = 5000, .W = 5000, .KH = 4097, .KW = 4097, .SH = 1, .SW = 1};
    nnbt_expect(nnbi_win_pool(&s, &g, "pool"), NNB_E_TOO_LARGE, "4097x4097 pooling window");
    s.KH = s.KW = 4096; /* 2^24 positions: the most */
    nnbt_ok(nnbi_win_pool(&s, &g, "pool"));
    /* the function's name leads the message */
    s.C = 0;
    nnbt_expect(nnbi_win_pool(&s, &g, "nnb_thing"), NNB_E_INVALID_ARG, "nnb_thing: ");
}
END_TEST

/* The sets this CPU runs are the ones under test: at least scalar, and the vectorised ones the
 * CPU has (so a machine with AVX-512 tests all three). */
START_TEST(sets_present) {
    for (int i = 0; i < N_ISA; i++) {
        ck_assert_int_eq(nnbi_kernels_for(isa_names[i]) != NULL, nnbt_cpu_has(isa_names[i]));
        ck_assert_int_eq(nnbi_kernels_f32_for(isa_names[i]) != NULL, nnbt_cpu_has(isa_names[i]));
    }
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("conv");
    TCase *t = tcase_create("shapes");
    tcase_add_test(t, shapes_of_the_issue_network);
    tcase_add_test(t, same_padding);
    tcase_add_test(t, hostile_shapes);
    tcase_add_test(t, sets_present);
    suite_add_tcase(s, t);
    t = tcase_create("kernels");
    tcase_set_timeout(t, 300);
    tcase_add_test(t, convolution_random_shapes_f64);
    tcase_add_test(t, convolution_random_shapes_f32);
    tcase_add_test(t, pooling_random_shapes_f64);
    tcase_add_test(t, pooling_random_shapes_f32);
    tcase_add_test(t, winograd_random_shapes_f64);
    tcase_add_test(t, winograd_random_shapes_f32);
    tcase_add_test(t, transpose_shapes_f64);
    tcase_add_test(t, transpose_shapes_f32);
    suite_add_tcase(s, t);
    return s;
}

NNBT_MAIN(suite, 0)
