/*
 * Internal declarations shared by the files of lib/. Nothing here is exported: the library is
 * built with hidden visibility and a version script, and internal names start with nnbi_.
 */
#ifndef NNB_INTERNAL_H
#define NNB_INTERNAL_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "kernels/kernels.h"
#include "nnblas.h"

#if defined(__GNUC__)
#  define NNBI_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#  define NNBI_PRINTF(a, b)
#endif

/* ---- errors (error.c) ---------------------------------------------------------------------- */

/* Stores "func: message" as this thread's last error and returns status. */
nnb_status nnbi_error(nnb_status status, const char *func, const char *fmt, ...) NNBI_PRINTF(3, 4);

#define NNBI_CHECK_NULL(ptr, func)                                                            \
    do {                                                                                      \
        if ((ptr) == NULL) return nnbi_error(NNB_E_NULL, (func), "%s is NULL", #ptr);         \
    } while (0)

/* ---- sizes ----------------------------------------------------------------------------------- */

/* Largest dimension OpenBLAS's 32-bit blasint can take. */
#define NNBI_BLAS_MAX ((size_t)INT_MAX)

/* *out = a * b, returns 0 on size_t overflow. */
static inline int nnbi_mul_size(size_t a, size_t b, size_t *out) {
    if (a != 0 && b > SIZE_MAX / a) return 0;
    *out = a * b;
    return 1;
}

/* ---- generator (rng.c) ----------------------------------------------------------------------- */

typedef struct nnbi_rng {
    uint64_t s[4];
} nnbi_rng;

void nnbi_rng_seed(nnbi_rng *rng, uint64_t seed);
uint64_t nnbi_rng_next(nnbi_rng *rng);
/* Uniform on [0, 1) with 53 random bits. */
double nnbi_rng_uniform(nnbi_rng *rng);
/* Standard normal (Marsaglia polar method; no cached spare, so the state is the whole state). */
double nnbi_rng_normal(nnbi_rng *rng);
/* Uniform integer in [0, n), n > 0, without modulo bias. */
uint64_t nnbi_rng_below(nnbi_rng *rng, uint64_t n);

/* ---- layers and networks (net.c, dense.c) ------------------------------------------------------ */

typedef struct nnbi_layer {
    size_t n_in, n_out;
    nnb_activation act;
    double alpha;     /* leaky-ReLU slope */
    int has_bias;
    size_t w_off;     /* offset of W (n_out x n_in) in the arena */
    size_t b_off;     /* offset of b (n_out) in the arena; w_off + n_out*n_in */
} nnbi_layer;

/* Buffers for running a network over up to `rows` rows. A network owns one (for forward,
 * backprop and training); nnb_net_predict() makes a private one, so a const network suffices. */
typedef struct nnbi_ws {
    size_t rows;      /* capacity in rows */
    size_t n_layers;  /* number of act[] entries */
    double *block;    /* one allocation holding everything below */
    double **act;     /* act[l]: rows x n_out(l), layer l's output A */
    double *z_out;    /* rows x n_outputs: the output layer's pre-activation Z */
    double *dbuf[2];  /* rows x max_width each: deltas, ping-pong */
} nnbi_ws;

struct nnb_net {
    size_t n_inputs;
    size_t n_layers, cap_layers;
    nnbi_layer *layers;

    size_t n_params;
    double *params; /* the arena: every W then b, layer after layer */
    double *grads;  /* same layout */

    nnbi_rng rng;
    int check_finite;
    const nnbi_kernels *k;

    nnbi_ws ws;     /* the network's own workspace */
};

/* Largest n_out over the layers. */
size_t nnbi_net_max_width(const nnb_net *net);

/* Sizes ws for `rows` rows of this network (allocates only when it must grow, or when the layer
 * count changed). with_deltas = 0 skips the delta buffers (prediction). */
nnb_status nnbi_ws_reserve(const nnb_net *net, nnbi_ws *ws, size_t rows, int with_deltas,
                           const char *func);
void nnbi_ws_free(nnbi_ws *ws);

/* Argument checks shared by the entry points; each sets the last error. */
nnb_status nnbi_check_x(const nnb_net *net, const double *x, size_t rows, size_t x_cols,
                        const char *func);
nnb_status nnbi_check_y(const nnb_net *net, const double *y, size_t rows, size_t y_cols,
                        const char *func);
nnb_status nnbi_check_loss(const nnb_net *net, nnb_loss loss, nnb_reduction red, const char *func);

/* Forward pass of `rows` rows into ws (already reserved). The output is ws->act[n_layers-1]. */
void nnbi_forward(const nnb_net *net, nnbi_ws *ws, const double *x, size_t rows);

/* Loss of the batch whose forward pass is in ws. If grad is not NULL, also the output delta and
 * the whole backward pass, writing dL/dtheta into grad (n_params values). Returns the reduced
 * loss. */
double nnbi_loss_backward(const nnb_net *net, nnbi_ws *ws, const double *x, const double *y,
                          size_t rows, nnb_loss loss, nnb_reduction red, double *grad);

/* Dense-layer building blocks (dense.c): the cblas_dgemm calls live there and nowhere else. */

/* z (rows x n_out) = x (rows x n_in) . W^T */
void nnbi_dense_forward(const nnbi_layer *L, const double *params, const double *x, size_t rows,
                        double *z);
/* grad_W = d^T . x (beta 0); grad_b = column sums of d. d is rows x n_out. */
void nnbi_dense_backward_params(const nnbi_kernels *k, const nnbi_layer *L, const double *d,
                                const double *x, size_t rows, double *grad);
/* dx (rows x n_in) = d (rows x n_out) . W */
void nnbi_dense_backward_input(const nnbi_layer *L, const double *params, const double *d,
                               size_t rows, double *dx);

/* Weight initialisation of one layer from the network's generator (rng.c). */
nnb_status nnbi_init_layer(nnb_net *net, size_t layer, nnb_init scheme);

/* Finds the first non-finite value of a rows x cols array; returns 0 if all finite. */
int nnbi_find_nonfinite(const double *a, size_t rows, size_t cols, size_t *row, size_t *col);

#endif
