/*
 * The element type of a network, written once: one table of typed primitives per element type
 * (float64, float32), built from one template (elem_t.h, instantiated twice by elem.c, the one
 * place that picks cblas_d* or cblas_s* and the float64 or float32 kernel table). Everything
 * else in lib/ — the layer kinds, the passes, the optimisers, the training loop — is written once
 * over `void *` arrays and calls these entries; a new element type is one more instance in elem.c.
 *
 * Arrays are row-major arrays of the table's type; counts are in elements. Scalars are double and
 * rounded to the element type where they are used (as the kernels do). Sums come back as double.
 */
#ifndef NNB_ELEM_H
#define NNB_ELEM_H

#include <float.h>
#include <stddef.h>
#include <stdint.h>

#include "kernels/kernels.h"
#include "nnblas.h"

struct nnbi_rng;

/* The gradient-ready callback of the layer kinds: `n` values of the gradient from `offset` are
 * final. Returns 0 or a non-zero code that stops the pass. */
typedef int (*nnbi_announce_fn)(void *ctx, size_t offset, size_t n);

typedef struct nnbi_elem {
    nnb_dtype dtype;
    size_t size;      /* sizeof one element */
    const char *name; /* "float64", "float32" */

    /* the largest finite value of the type: a float64 value beyond it does not fit */
    double max;

    /* v rounded to the element type (v itself for float64) */
    double (*round)(double v);

    /* ---- BLAS (row-major; trans 0/1; alpha and beta rounded to the type) ---- */
    void (*gemm)(int trans_a, int trans_b, int m, int n, int k, double alpha, const void *a,
                 int lda, const void *b, int ldb, double beta, void *c, int ldc);
    /* y = alpha op(A) x + beta y, unit strides */
    void (*gemv)(int trans, int m, int n, double alpha, const void *a, int lda, const void *x,
                 double beta, void *y);
    /* A += alpha x y^T, unit strides */
    void (*ger)(int m, int n, double alpha, const void *x, const void *y, void *a, int lda);
    /* x = alpha x (BLAS scal) */
    void (*blas_scal)(int n, double alpha, void *x);

    /* ---- the kernels of lib/kernels (the table this process chose), over this type ---- */
    void (*bias_act)(nnb_activation act, double alpha, size_t rows, size_t cols, void *z,
                     const void *b, void *a);
    void (*act_backward)(nnb_activation act, double alpha, size_t rows, size_t cols, const void *a,
                         void *d);
    double (*delta_se)(size_t n, const void *yhat, const void *y, double scale, void *d);
    double (*delta_se_sigmoid)(size_t n, const void *yhat, const void *y, double scale, void *d);
    double (*delta_bce_sigmoid)(size_t n, const void *z, const void *yhat, const void *y,
                                double scale, void *d);
    double (*delta_ce_softmax)(size_t rows, size_t cols, const void *z, const void *yhat,
                               const void *y, double scale, void *d);
    void (*col_sum)(size_t rows, size_t cols, const void *d, void *out);
    void (*axpy)(size_t n, double a, const void *x, void *y);
    void (*scal)(size_t n, double a, void *x);
    double (*sumsq)(size_t n, const void *x);
    void (*sgd)(size_t n, void *theta, const void *g, void *v, double lr, double mu, double l2,
                int nesterov);
    void (*adam)(size_t n, void *theta, const void *g, void *m, void *v, double lr, double b1,
                 double b2, double eps, double bc1, double bc2, double l2, double decoupled);
    void (*rmsprop)(size_t n, void *theta, const void *g, void *v, double lr, double rho,
                    double eps, double l2);
    /* the window operations of convolution and pooling (kernels.h: geometry g, n samples) */
    void (*im2col)(const nnbi_win *g, size_t n, const void *in, int ones, void *col);
    void (*col2im)(const nnbi_win *g, size_t n, const void *col, size_t ld, void *dx);
    void (*maxpool)(const nnbi_win *g, size_t n, const void *in, void *out, void *pos);
    void (*maxpool_backward)(const nnbi_win *g, size_t n, const void *dout, const void *pos,
                             void *din);
    void (*avgpool)(const nnbi_win *g, size_t n, const void *in, void *out);
    void (*avgpool_backward)(const nnbi_win *g, size_t n, const void *dout, void *din);
    /* Winograd's F(2x2, 3x3) (kernels.h) */
    void (*wino_filter)(size_t F, size_t C, const void *w, void *u);
    void (*wino_in)(const nnbi_win *g, size_t n, const void *in, void *v);
    void (*wino_out)(const nnbi_win *g, size_t n, size_t F, const void *m, const void *bias,
                     void *out);
    /* out[b][c][r] = in[b][r][c] for n matrices of rows x cols */
    void (*transpose)(size_t n, size_t rows, size_t cols, const void *in, void *out);

    /* ---- element loops ---- */
    /* Inverted dropout: mask = 0 with probability p, else 1/(1-p) (rounded to the type); out = in
     * * mask. The draws are the generator's, one per element, whatever the type. */
    void (*dropout)(size_t n, double p, const void *in, void *mask, void *out,
                    struct nnbi_rng *rng);
    /* x *= m, element by element */
    void (*mul)(size_t n, const void *m, void *x);
    /* Rows whose prediction matches y: argmax for several columns, threshold 0.5 for one. */
    size_t (*count_correct)(const void *yhat, const void *y, size_t rows, size_t cols);
    /* 1 and the index of the first NaN or infinity of a[0 .. n) in *at, else 0. */
    int (*find_nonfinite)(const void *a, size_t n, size_t *at);
    /* element i as a double; element i = v rounded */
    double (*get)(const void *a, size_t i);
    void (*set)(void *a, size_t i, double v);
    /* n rows of `cols` values of src (of type src_t) into dst (this type): row i of dst = row
     * idx[i] of src (row i when idx is NULL), converted when the types differ */
    void (*gather)(void *dst, const void *src, nnb_dtype src_t, const size_t *idx, size_t n,
                   size_t cols);
    /* g_i = min(max(g_i, -c), c), c rounded to the type */
    void (*clip_value)(size_t n, double c, void *g);
    /* sqrt(sum g_i^2) without overflow when ss (that sum) overflowed */
    double (*norm)(size_t n, const void *g, double ss);
    /* p -= lr g for a float64 gradient g (nnb_net_sgd_step) */
    void (*step_f64)(size_t n, double lr, const double *g, void *p);
} nnbi_elem;

/* ---- one element at a time, without the table ----
 * The size and largest finite value of a type, and element i of an array of type t read as a
 * double or set to v rounded to the type: for the data layer (IDX files, CSV preparation), which
 * converts values one by one and does not need BLAS or the kernels. */
static inline size_t nnbi_dtype_size(nnb_dtype t) {
    return t == NNB_F32 ? sizeof(float) : sizeof(double);
}
static inline double nnbi_dtype_max(nnb_dtype t) { return t == NNB_F32 ? FLT_MAX : DBL_MAX; }
static inline double nnbi_read(nnb_dtype t, const void *a, size_t i) {
    return t == NNB_F32 ? (double)((const float *)a)[i] : ((const double *)a)[i];
}
static inline void nnbi_write(nnb_dtype t, void *a, size_t i, double v) {
    if (t == NNB_F32)
        ((float *)a)[i] = (float)v;
    else
        ((double *)a)[i] = v;
}

/* The table of an element type, with the kernels this process uses; NULL when the kernels cannot
 * run here (nnbi_kernels_error() says why) or dtype is unknown. */
const nnbi_elem *nnbi_elem_get(nnb_dtype dtype);

/* p + i elements of t */
static inline void *nnbi_at(const nnbi_elem *t, const void *p, size_t i) {
    return (char *)(uintptr_t)p + i * t->size;
}

#endif
