/*
 * Internal declarations shared by the files of lib/. Nothing here is exported: the library is
 * built with hidden visibility and a version script, and internal names start with nnbi_.
 */
#ifndef NNB_INTERNAL_H
#define NNB_INTERNAL_H

/* The library sees its whole interface, the experimental tier included (nnblas.h). */
#ifndef NNB_EXPERIMENTAL
#define NNB_EXPERIMENTAL
#endif
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kernels/kernels.h"
#include "nnblas.h"

#if defined(__GNUC__)
#  define NNBI_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#  define NNBI_PRINTF(a, b)
#include "f32_internal.h"

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

/* ---- compensated sums (loss totals) ----------------------------------------------------------- */

/* A running sum with Neumaier's compensation (the improved Kahan-Babuska sum): the rounding error
 * of every addition is kept in c and added back at the end, so the total of n terms is within
 * about 2u * sum|x_i| of the exact sum (u = 2^-53) whatever n, instead of (n-1)u for a plain
 * loop. An infinite or NaN term makes the total infinite or NaN, as a plain sum would. */
typedef struct nnbi_sum {
    double s, c;
} nnbi_sum;

static inline void nnbi_sum_add(nnbi_sum *a, double x) {
    double t = a->s + x;
    if (isfinite(t)) /* the error of s + x, exactly (Neumaier) */
        a->c += fabs(a->s) >= fabs(x) ? (a->s - t) + x : (x - t) + a->s;
    a->s = t;
}

static inline double nnbi_sum_value(const nnbi_sum *a) {
    return isfinite(a->s) ? a->s + a->c : a->s;
}

/* Elements per kernel call when a loss is summed: each block is summed by the kernel (in its lane
 * order) and the blocks' sums are added with nnbi_sum, so a loss total's error does not grow with
 * the batch size. */
#define NNBI_LOSS_BLOCK ((size_t)256)

/* ---- little-endian bytes (training state, model files) --------------------------------------- */

/* Writes/reads integers and IEEE-754 doubles as little-endian bytes, whatever the host's order. */
static inline void nnbi_put_u16(unsigned char *p, uint16_t v) {
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}
static inline void nnbi_put_u32(unsigned char *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static inline void nnbi_put_u64(unsigned char *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static inline void nnbi_put_f64(unsigned char *p, double d) {
    uint64_t v;
    memcpy(&v, &d, 8);
    nnbi_put_u64(p, v);
}
static inline uint16_t nnbi_get_u16(const unsigned char *p) {
    return (uint16_t)(p[0] | (unsigned)p[1] << 8);
}
static inline uint32_t nnbi_get_u32(const unsigned char *p) {
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) v |= (uint32_t)p[i] << (8 * i);
    return v;
}
static inline uint64_t nnbi_get_u64(const unsigned char *p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}
static inline double nnbi_get_f64(const unsigned char *p) {
    uint64_t v = nnbi_get_u64(p);
    double d;
    memcpy(&d, &v, 8);
    return d;
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
/* Fisher-Yates from the end, k steps: a[n-k..n) becomes a uniformly drawn sample of a[0..n)
 * in random order; k >= n - 1 shuffles all of a. The one shuffle of nnblas (nnb_permutation,
 * the splits, the epochs' batches, the validation rows). */
void nnbi_shuffle(nnbi_rng *rng, size_t *a, size_t n, size_t k);

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
    double **act;     /* act[l]: rows x n_out(l), layer l's output A (after dropout, if any) */
    double *z_out;    /* rows x n_outputs: the output layer's pre-activation Z */
    double *dbuf[2];  /* rows x max_width each: deltas, ping-pong */
    /* Dropout (training only): drop[l] is layer l's drop probability (NULL or 0: none). For such
     * layers pre[l] holds the activation before dropout and mask[l] the factors (0 or 1/(1-p)). */
    const double *drop;
    double **pre, **mask;
    int has_dropout;  /* the buffers above were sized for `drop` */
} nnbi_ws;

/* The same buffers in float32 (float32 networks, net_f32.c), and `xin`, `yin`: rows x n_inputs and
 * rows x n_outputs, where rows are gathered or converted a batch at a time (NULL unless asked for). */
typedef struct nnbi_ws32 {
    size_t rows, n_layers;
    float *block;
    float **act;
    float *z_out;
    float *dbuf[2];
    const double *drop;
    float **pre, **mask;
    int has_dropout;
    float *xin, *yin;
} nnbi_ws32;

/* The learning-rate schedule a network is following (optim.c; docs/definitions.md, "Schedules"):
 * its definition, as given when it started, and where it started. A call of nnb_train() with
 * another definition starts that one over at position 0; with the same one it continues. */
typedef struct nnbi_sched {
    int kind;          /* nnb_schedule; -1: none yet; -2: a 0.1 state (adopt the next one at 0) */
    double lr, p1, p2; /* base learning rate and parameters (nnb_train_opts_set_schedule) */
    double mult;       /* warm restarts' period multiplier (1 for the others) */
    uint64_t start;    /* the epoch count when it started: position = epoch - start */
    double horizon;    /* cosine's T, fixed at the start (T = 0: the epochs of that call) */
} nnbi_sched;

/* Optimiser state carried by a network between nnb_train() calls (optim.c). */
typedef struct nnbi_opt_state {
    int kind;          /* nnb_optimizer the moments belong to; -1 before any training */
    uint64_t step;     /* optimiser steps taken (Adam's t) */
    uint64_t epoch;    /* epochs completed */
    double last_loss;  /* monitored loss of the last epoch (NaN if none) */
    double lm_mu;      /* Levenberg-Marquardt damping */
    size_t n;          /* length of m and v (n_params), 0 if not allocated */
    double *m, *v;     /* momentum buffer / Adam moments / RMSprop average (NULL if unused) */
    float *m32, *v32;  /* the same for a float32 network (m and v are then NULL) */
    nnbi_sched sched;  /* the learning-rate schedule's position and horizon */
    /* ---- reliability: the early-stopping watch and the position inside an interrupted epoch,
     * kept across nnb_train() calls and saved in the training state's extension blocks (optim.c,
     * 2 and 3), so that a resumed run continues exactly. */
    struct {
        int on;            /* a watch is running (patience > 0 in the last nnb_train) */
        double best;       /* best monitored loss so far (INFINITY: none) */
        uint64_t best_epoch;
        uint64_t since;    /* epochs since the best */
        double *params;    /* the best epoch's weights (n_params doubles; restore_best), or NULL */
    } es;
    struct {
        uint64_t batches;  /* batches of epoch `epoch + 1` already done (0: at an epoch's start) */
        uint64_t n_train, batch; /* the split and batch size they were done with */
        double loss_sum, loss_c, hits; /* the epoch's sums so far (loss: compensated sum) */
        uint64_t rng[4];   /* the generator before the epoch's shuffle */
    } ep;
} nnbi_opt_state;

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
    nnbi_opt_state opt;

    /* Float32 networks (dtype NNB_F32; net_f32.c): params, grads and ws are then unused (NULL)
     * and these hold the arenas (same layout), the float kernels and the workspace. */
    nnb_dtype dtype;
    float *params32, *grads32;
    const nnbi_kernels_f32 *k32;
    nnbi_ws32 ws32;
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

/* Forward pass of `rows` rows into ws (already reserved). The output is ws->act[n_layers-1].
 * With ws->drop set (training), hidden layers drop units with masks drawn from rng. */
void nnbi_forward(const nnb_net *net, nnbi_ws *ws, const double *x, size_t rows, nnbi_rng *rng);
/* Rows per block when a large input is processed in blocks (prediction, evaluation): a
 * workspace near 32 MiB given x_cols inputs and per_unit doubles per unit of every layer (at
 * least 64 rows, at most rows). */
size_t nnbi_block_rows(const nnb_net *net, size_t x_cols, size_t per_unit, size_t rows);

/* Loss of the batch whose forward pass is in ws; with want_delta, also dL/dZ of the output layer
 * into ws->dbuf[0]. Returns the reduced loss. The mean reduction divides by mean_rows, which is
 * `rows` except for a shard of a larger batch (data-parallel training), where it is the whole
 * batch's row count, so that the shards' losses and gradients add up to the batch's. */
double nnbi_output_delta(const nnb_net *net, nnbi_ws *ws, const double *y, size_t rows,
                         nnb_loss loss, nnb_reduction red, int want_delta, size_t mean_rows);

/* Extra doubles at the end of the gradient arena (net->grads holds n_params + this many), where
 * data-parallel training puts the values it all-reduces along with the gradient. */
#define NNBI_GRAD_EXTRA 4

/* Backward pass from the output delta in ws->dbuf[0]: dL/dtheta into grad (n_params values). */
void nnbi_backward(const nnb_net *net, nnbi_ws *ws, const double *x, size_t rows, double *grad);

/* nnbi_backward telling `ready` about each piece of grad as soon as it is final (data-parallel
 * overlap, see nnb_grad_ready_fn): last layer first, a layer's weight gradient in blocks of whole
 * rows of at most `piece` values (0: whole layers), the bias with the block of the last rows.
 * rows 0: a zero gradient, announced in the same pieces. Returns 0, or ready's non-zero return
 * (the pass then stops). */
int nnbi_backward_ready(const nnb_net *net, nnbi_ws *ws, const double *x, size_t rows, double *grad,
                        nnb_grad_ready_fn ready, void *data, size_t piece);

/* The same pass fused with a plain SGD step, theta <- (1 - lr*l2) theta - lr * dL/dtheta, each
 * layer's update folded into its weight-gradient GEMM (beta = 1 - lr*l2) after its input delta
 * has used the old weights. Writes no gradient. */
void nnbi_backward_sgd(nnb_net *net, nnbi_ws *ws, const double *x, size_t rows, double lr,
                       double l2);

/* nnbi_output_delta + nnbi_backward (grad may be NULL: loss only). */
double nnbi_loss_backward(const nnb_net *net, nnbi_ws *ws, const double *x, const double *y,
                          size_t rows, nnb_loss loss, nnb_reduction red, double *grad);

/* Accuracy counts of rows whose prediction (yhat) matches y: argmax for several outputs,
 * threshold 0.5 for one. */
size_t nnbi_count_correct(const double *yhat, const double *y, size_t rows, size_t cols);
/* Whether accuracy is defined for this network (sigmoid or softmax output). */
int nnbi_has_accuracy(const nnb_net *net);

/* Optimiser state (optim.c). */
void nnbi_opt_free(nnbi_opt_state *opt);
void nnbi_opt_init(nnbi_opt_state *opt);

/* Dense-layer building blocks (dense.c): the cblas_dgemm calls live there and nowhere else. */

/* z (rows x n_out) = x (rows x n_in) . W^T */
void nnbi_dense_forward(const nnbi_layer *L, const double *params, const double *x, size_t rows,
                        double *z);
/* grad_W = d^T . x (beta 0); grad_b = column sums of d. d is rows x n_out. */
void nnbi_dense_backward_params(const nnbi_kernels *k, const nnbi_layer *L, const double *d,
                                const double *x, size_t rows, double *grad);
/* W <- beta W - lr d^T . x; b <- beta b - lr colsum(d), using colsum as scratch (n_out). */
void nnbi_dense_update_sgd(const nnbi_kernels *k, const nnbi_layer *L, const double *d,
                           const double *x, size_t rows, double lr, double beta, double *params,
                           double *colsum);
/* dx (rows x n_in) = d (rows x n_out) . W */
/* Rows [r0, r1) of the weight gradient dW = d^T . x (a block of the GEMM; rows > 1, n_out > 1). */
void nnbi_dense_weight_grad_rows(const nnbi_layer *L, const double *d, const double *x, size_t rows,
                                 size_t r0, size_t r1, double *grad);
void nnbi_dense_backward_input(const nnbi_layer *L, const double *params, const double *d,
                               size_t rows, double *dx);

/* Weight initialisation of one layer from the network's generator (rng.c). */
nnb_status nnbi_init_layer(nnb_net *net, size_t layer, nnb_init scheme);

/* Finds the first non-finite value of a rows x cols array; returns 0 if all finite. */
int nnbi_find_nonfinite(const double *a, size_t rows, size_t cols, size_t *row, size_t *col);

#include "f32_internal.h"

#endif
