/*
 * The element-wise kernels: one table of function pointers per instruction set. The network code
 * calls only through the table returned by nnbi_kernels_get(); each ISA file fills one table.
 *
 * Every kernel has a scalar reference with the same signature (scalar.c, scalar_f32.c). Arrays
 * are row-major double (float in the float32 tables, at the end); "n" is a flat element count.
 * Unless said otherwise, output arrays may alias the input they replace (in-place use is
 * allowed), and no kernel reads or writes past n elements.
 */
#ifndef NNB_KERNELS_H
#define NNB_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "nnblas.h"

/* The geometry of a 2-D window operation (a convolution's im2col/col2im, a pooling) over one
 * sample: an input of C channels of H x W, windows of KH x KW moved by SH x SW over the input
 * with PT rows and PL columns of zeros before it (convolutions only: pooling has PT = PL = 0; the
 * padding after the input is implied by OH and OW), giving OH x OW outputs per channel. The
 * input is channel-major (chw = 1: element (c, h, w) at (c H + h) W + w, the user's NCHW rows)
 * or channels-last (chw = 0: at (h W + w) C + c, as every window operation writes its output).
 * Output rows are always channels-last: output pixel (oh, ow) is one run of C values (pooling) or
 * one row of the column matrix (im2col). Made and checked by lib/window.c (nnbi_win_conv,
 * nnbi_win_pool); the kernels trust it: every window lies inside the padded input. */
typedef struct nnbi_win {
    size_t C, H, W;        /* input channels, height, width */
    size_t KH, KW, SH, SW; /* window and stride */
    size_t PT, PL;         /* zero rows above, zero columns left of the input */
    size_t OH, OW;         /* outputs per channel */
    int chw;               /* the input's layout: 1 channel-major, 0 channels-last */
} nnbi_win;

/* The entries of a kernel table over arrays of ELEM (double in nnbi_kernels, float in
 * nnbi_kernels_f32, below): the same names and meaning in both types. */
#define NNBI_KERNELS_ENTRIES(ELEM)                                                                 \
  const char *isa; /* "scalar", "avx2", "avx512": the same names in both types */                  \
  size_t width;    /* elements per vector register (double 1, 4, 8; float 1, 8, 16) */             \
                                                                                                   \
  /* z[r][c] += b[c] (b may be NULL: no bias), then a[r][c] = f(z[r][c]), for every row; so z    \
     * ends as the full pre-activation (the losses from logits need it). z and a may alias.        \
     * `alpha` is the leaky-ReLU slope (ignored otherwise). Softmax is row-wise and                \
     * max-subtracted. */ \
  void (*bias_act)(nnb_activation act, double alpha, size_t rows, size_t cols, ELEM *z,            \
                   const ELEM *b, ELEM *a);                                                        \
                                                                                                   \
  /* d <- d (.) f'(z) expressed through the output a = f(z): sigmoid a(1-a), tanh 1-a^2,         \
     * relu [a>0], leaky [a>0 ? 1 : alpha], identity 1; softmax (row-wise Jacobian-vector product) \
     * d_j <- a_j (d_j - sum_k d_k a_k). */ \
  void (*act_backward)(nnb_activation act, double alpha, size_t rows, size_t cols, const ELEM *a,  \
                       ELEM *d);                                                                   \
                                                                                                   \
  /* d = scale * (yhat - y); returns sum (yhat - y)^2. */                                          \
  double (*delta_se)(size_t n, const ELEM *yhat, const ELEM *y, double scale, ELEM *d);            \
                                                                                                   \
  /* The tutorial's error term, fused: d = scale * (yhat - y) * yhat * (1 - yhat);               \
     * returns sum (yhat - y)^2. */ \
  double (*delta_se_sigmoid)(size_t n, const ELEM *yhat, const ELEM *y, double scale, ELEM *d);    \
                                                                                                   \
  /* Sigmoid + binary cross-entropy from the logits z (yhat = sigmoid(z)):                       \
     * d = scale * (yhat - y); returns sum [softplus(z) - y z] (finite for any finite z). */ \
  double (*delta_bce_sigmoid)(size_t n, const ELEM *z, const ELEM *yhat, const ELEM *y,            \
                              double scale, ELEM *d);                                              \
                                                                                                   \
  /* Softmax + cross-entropy from the logits z, row by row (yhat = softmax(z)):                  \
     * d_j = scale * (yhat_j * sum_k y_k - y_j); returns sum_r sum_j y_j (lse(z_r) - z_j). */ \
  double (*delta_ce_softmax)(size_t rows, size_t cols, const ELEM *z, const ELEM *yhat,            \
                             const ELEM *y, double scale, ELEM *d);                                \
                                                                                                   \
  /* out[c] = sum_r d[r][c] (bias gradients). out must not alias d. */                             \
  void (*col_sum)(size_t rows, size_t cols, const ELEM *d, ELEM *out);                             \
                                                                                                   \
  /* y <- y + a * x (plain gradient step with a = -lr). */                                         \
  void (*axpy)(size_t n, double a, const ELEM *x, ELEM *y);                                        \
                                                                                                   \
  /* x <- a * x */                                                                                 \
  void (*scal)(size_t n, double a, ELEM *x);                                                       \
                                                                                                   \
  /* sum x_i^2 (gradient norms for clipping) */                                                    \
  double (*sumsq)(size_t n, const ELEM *x);                                                        \
                                                                                                   \
  /* The optimisers' updates over the whole parameter arena (PyTorch's formulas). In all of them \
     * g' = g + l2 * theta (L2 weight decay folded into the gradient; l2 may be 0).                \
     *                                                                                             \
     * SGD with momentum (mu > 0; mu = 0 is plain SGD and v is not touched, may be NULL):          \
     *   v = mu v + g';  theta -= lr * (nesterov ? g' + mu v : v) */ \
  void (*sgd)(size_t n, ELEM * theta, const ELEM *g, ELEM *v, double lr, double mu, double l2,     \
              int nesterov);                                                                       \
                                                                                                   \
  /* Adam / AdamW: m = b1 m + (1-b1) g';  v = b2 v + (1-b2) g'^2;                                \
     *   theta -= lr * (bc1 m / (sqrt(bc2 v) + eps) + decoupled * theta)                           \
     * where bc1 = 1/(1-b1^t), bc2 = 1/(1-b2^t) (bias corrections, computed by the caller) and     \
     * `decoupled` is AdamW's weight decay (0 for Adam). The decoupled term uses theta before the  \
     * step, as PyTorch's AdamW does (it shrinks theta first). */ \
  void (*adam)(size_t n, ELEM * theta, const ELEM *g, ELEM *m, ELEM *v, double lr, double b1,      \
               double b2, double eps, double bc1, double bc2, double l2, double decoupled);        \
                                                                                                   \
  /* RMSprop: v = rho v + (1-rho) g'^2;  theta -= lr g' / (sqrt(v) + eps) */                       \
  void (*rmsprop)(size_t n, ELEM * theta, const ELEM *g, ELEM *v, double lr, double rho,           \
                  double eps, double l2);                                                          \
                                                                                                   \
  /* ---- window operations (convolution and pooling; geometry g, nnbi_win above) over n         \
     * samples, each C H W values of `in` in g's layout, one after the other. ---- */ \
                                                                                                   \
  /* The column matrix of a convolution: row (b, oh, ow) of col (n OH OW rows of ld = KH KW C    \
     * + ones values) holds the window of output pixel (oh, ow) of sample b in (kh, kw, c) order,  \
     * zero where it covers padding, then (ones != 0) one more value, 1 (the bias's column). */ \
  void (*im2col)(const nnbi_win *g, size_t n, const ELEM *in, int ones, ELEM *col);                \
                                                                                                   \
  /* The adjoint of im2col: dx (n samples in g's layout) = the sum, over every row of col and    \
     * every (kh, kw, c) of it that lies on the input, of that value into its input element. dx    \
     * is overwritten; the rows of col are ld apart (ld >= KH KW C). Every element's terms are     \
     * added in the order of the rows, then of (kh, kw, c). */ \
  void (*col2im)(const nnbi_win *g, size_t n, const ELEM *col, size_t ld, ELEM *dx);               \
                                                                                                   \
  /* Max pooling: out (n OH OW C, channels-last) = the largest value of each window and channel, \
     * pos = where it lies in its window, kh KW + kw (as a value of the type: windows have at most \
     * 2^24 positions): the first largest in (kh, kw) order, or the last NaN if the window has a   \
     * NaN (then out is that NaN) - PyTorch's rule. */ \
  void (*maxpool)(const nnbi_win *g, size_t n, const ELEM *in, ELEM *out, ELEM *pos);              \
                                                                                                   \
  /* Its gradient: din (n samples in g's layout) = zero, plus dout of each output added to the   \
     * input element at its pos, in the order of the outputs. */ \
  void (*maxpool_backward)(const nnbi_win *g, size_t n, const ELEM *dout, const ELEM *pos,         \
                           ELEM *din);                                                             \
                                                                                                   \
  /* Average pooling: out (channels-last) = the sum of each window in (kh, kw) order, divided by \
     * KH KW. */ \
  void (*avgpool)(const nnbi_win *g, size_t n, const ELEM *in, ELEM *out);                         \
                                                                                                   \
  /* Its gradient: din = zero, plus dout / (KH KW) of each output added to every element of its  \
     * window, in the order of the outputs. */ \
  void (*avgpool_backward)(const nnbi_win *g, size_t n, const ELEM *dout, ELEM *din);              \
                                                                                                   \
  /* Winograd's F(2x2, 3x3) for a 3x3 convolution of stride 1 on a channels-last input (or one  \
     * of one channel): tiles of 2 x 2 outputs, TH = ceil(OH / 2) by TW = ceil(OW / 2) a sample,    \
     * nt = n TH TW in all, tile (b, ty, tx) numbered q = (b TH + ty) TW + tx; xi = 4 i + j, the    \
     * position in the 4 x 4 transformed window. wino_filter: u (16 matrices F x C, F C apart) =   \
     * G g G^T of each filter w (F x C x 3 x 3, OIHW), G = [1 0 0; .5 .5 .5; .5 -.5 .5; 0 0 1].     \
     * wino_in: v, row q holding 16 runs of C (position xi at (16 q + xi) C), = B^T d B of each     \
     * tile's 4 x 4 inputs d (rows 2 ty - PT .., columns 2 tx - PL .., zero in the padding),       \
     * B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]. wino_out: out (n OH OW x F, channels-last) = \
     * A^T m A of each tile's 16 products m (at (16 q + xi) F), A^T = [1 1 1 0; 0 1 -1 -1], plus    \
     * bias[f] (NULL: none); outputs past OH or OW are not written. Sums go left to right in the  \
     * rows of those matrices. */  \
  void (*wino_filter)(size_t F, size_t C, const ELEM *w, ELEM *u);                                 \
  void (*wino_in)(const nnbi_win *g, size_t n, const ELEM *in, ELEM *v);                           \
  void (*wino_out)(const nnbi_win *g, size_t n, size_t F, const ELEM *m, const ELEM *bias,         \
                   ELEM *out);                                                                     \
                                                                                                   \
  /* out[b][c][r] = in[b][r][c] for n matrices of rows x cols (channels-last <-> channel-major:  \
     * rows = H W, cols = C one way, swapped the other). out must not alias in. */ \
  void (*transpose)(size_t n, size_t rows, size_t cols, const ELEM *in, ELEM *out);

typedef struct nnbi_kernels {
    NNBI_KERNELS_ENTRIES(double)
} nnbi_kernels;

/* The initialiser of a table, for a file that defines every kernel as a static function named
 * after its entry. */
#define NNBI_KERNELS_TABLE(isa_name, vec_width)                                                  \
  {                                                                                              \
    .isa = (isa_name), .width = (vec_width), .bias_act = bias_act, .act_backward = act_backward, \
    .delta_se = delta_se, .delta_se_sigmoid = delta_se_sigmoid,                                  \
    .delta_bce_sigmoid = delta_bce_sigmoid, .delta_ce_softmax = delta_ce_softmax,                \
    .col_sum = col_sum, .axpy = axpy, .scal = scal, .sumsq = sumsq, .sgd = sgd, .adam = adam,    \
    .rmsprop = rmsprop, .im2col = im2col, .col2im = col2im, .maxpool = maxpool,                  \
    .maxpool_backward = maxpool_backward, .avgpool = avgpool,                                    \
    .avgpool_backward = avgpool_backward, .wino_filter = wino_filter, .wino_in = wino_in,        \
    .wino_out = wino_out, .transpose = transpose,                                                \
  }

/* The scalar table (always available; the reference for the others), and the vectorised ones
 * (avx2.c, avx512.c; in x86-64 builds only, see NNBI_HAVE_X86_KERNELS). Call a vectorised table
 * only on a CPU that supports it: nnbi_kernels_for() checks. */
extern const nnbi_kernels nnbi_kernels_scalar;
extern const nnbi_kernels nnbi_kernels_avx2;
extern const nnbi_kernels nnbi_kernels_avx512;

/* The table for an instruction set named "scalar", "avx2" or "avx512" if this build has it and
 * this CPU can run it, else NULL. For tests and benchmarks, which compare the sets in one process. */
const nnbi_kernels *nnbi_kernels_for(const char *isa);

/* The table chosen for this process (pthread_once), or NULL if NNBLAS_ISA asked for a set that
 * cannot run here; then nnbi_kernels_error() says why. */
const nnbi_kernels *nnbi_kernels_get(void);
const char *nnbi_kernels_error(void);

/* ---- float32 ----
 *
 * The same kernels for float32 networks: the same entries, names and meaning, with every array
 * float instead of double. Scalar parameters stay double (the kernels round them to float once,
 * where they are used in float arithmetic) and so do the returned sums: loss sums and sumsq
 * accumulate in double. Element-wise arithmetic without exp/log is done in float in the order
 * written above, so the vectorised float32 kernels match the scalar float32 ones bit for bit
 * there; sums (returned, softmax's row sums, softmax's backward dot product, cross-entropy's
 * per-row sums) accumulate in double, per lane in the vectorised sets. Sigmoid, tanh, softmax's
 * exponentials and the losses' log1p are computed in double and rounded once in the scalar set
 * (within 0.5 ulp + a trace), and with our own float exp/tanh/log1p in the vectorised ones (within
 * 2 ulp of float, tests/test_kernels_f32.c). */
typedef struct nnbi_kernels_f32 {
    NNBI_KERNELS_ENTRIES(float)
} nnbi_kernels_f32;

extern const nnbi_kernels_f32 nnbi_kernels_f32_scalar;
extern const nnbi_kernels_f32 nnbi_kernels_f32_avx2;
extern const nnbi_kernels_f32 nnbi_kernels_f32_avx512;

/* As nnbi_kernels_for(): the float32 table of that instruction set, or NULL. */
const nnbi_kernels_f32 *nnbi_kernels_f32_for(const char *isa);

/* The float32 table of the instruction set nnbi_kernels_get() chose (the same NNBLAS_ISA rule),
 * or NULL when that is NULL (nnbi_kernels_error() says why). */
const nnbi_kernels_f32 *nnbi_kernels_f32_get(void);

#endif
