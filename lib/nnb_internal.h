/*
 * Internal declarations shared by the files of lib/. Nothing here is exported: the library is
 * built with hidden visibility and a version script, and internal names start with nnbi_.
 */
#ifndef NNB_INTERNAL_H
#define NNB_INTERNAL_H

/* The library sees its whole interface, the experimental tier included (nnblas.h). */
#ifndef NNB_EXPERIMENTAL
#  define NNB_EXPERIMENTAL
#endif
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "elem.h"
#include "kernels/kernels.h"
#include "layer.h"
#include "nnblas.h"

/* NNBI_DEPRECATED_ALIAS(old, new): exports `old`, a name the naming rule replaced (nnblas.h,
 * "Deprecated names"), as another name of the function `new` defined above it in the same file:
 * the same address (GCC's alias attribute), so the symbols test can check that the old name
 * reaches the same function. Without GNU C the old name is not exported. */
#if defined(__GNUC__)
#  define NNBI_DEPRECATED_ALIAS(old, new) extern __typeof__(new) old __attribute__((alias(#  new)))
#else
#  define NNBI_DEPRECATED_ALIAS(old, new) extern int nnbi_no_alias_##old
#endif

#if defined(__GNUC__)
#  define NNBI_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#  define NNBI_PRINTF(a, b)
#endif

/* ---- errors (error.c) ---------------------------------------------------------------------- */

/* Stores "func: message" as this thread's last error and returns status. */
nnb_status nnbi_error(nnb_status status, const char *func, const char *fmt, ...) NNBI_PRINTF(3, 4);

#define NNBI_CHECK_NULL(ptr, func)                                                \
  do {                                                                            \
    if ((ptr) == NULL) return nnbi_error(NNB_E_NULL, (func), "%s is NULL", #ptr); \
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
 * in random order; k >= n - 1 shuffles all of a. The one shuffle of nnblas (nnb_rows_permute,
 * the splits, the epochs' batches, the validation rows). */
void nnbi_shuffle(nnbi_rng *rng, size_t *a, size_t n, size_t k);

/* ---- networks -------------------------------------------------------------------------------- */

/* Buffers for running a network over up to `rows` rows, in the network's element type. A
 * network owns one (for forward, backprop and training); prediction and evaluation make private
 * ones, so a const network suffices. One allocation holds every buffer, each on a 64-byte
 * boundary. */
typedef struct nnbi_ws {
    size_t rows;                 /* capacity in rows */
    size_t n_layers;             /* number of act[] entries */
    int with_deltas, with_input; /* dbuf, xin/yin are there */
    void *block;                 /* the allocation holding everything below */
    void **act;    /* act[l]: rows x n_out(l), layer l's output A (after dropout, if any) */
    void **work;   /* work[l]: layer l's kind's scratch (NULL if it needs none) */
    void *z_out;   /* rows x n_outputs: the output layer's pre-activation Z */
    void *dbuf[2]; /* rows x max_width each: deltas, ping-pong */
    /* Dropout (training only): drop[l] is layer l's drop probability (NULL or 0: none). For such
     * layers pre[l] holds the activation before dropout and mask[l] the factors (0 or 1/(1-p)). */
    const double *drop;
    void **pre, **mask;
    int has_dropout; /* the buffers above were sized for `drop` */
    void *xin, *yin; /* rows x n_inputs, rows x n_outputs: a batch gathered or converted */
} nnbi_ws;

/* The learning-rate schedule a network is following (optim.c; docs/definitions.md, "Schedules"):
 * its definition, as given when it started, and where it started. A call of nnb_net_train() with
 * another definition starts that one over at position 0; with the same one it continues. */
typedef struct nnbi_sched {
    int kind;          /* nnb_schedule; -1: none yet; -2: a 0.1 state (adopt the next one at 0) */
    double lr, p1, p2; /* base learning rate and parameters (nnb_train_opts_set_schedule) */
    double mult;       /* warm restarts' period multiplier (1 for the others) */
    uint64_t start;    /* the epoch count when it started: position = epoch - start */
    double horizon;    /* cosine's T, fixed at the start (T = 0: the epochs of that call) */
} nnbi_sched;

/* Optimiser state carried by a network between nnb_net_train() calls (optim.c). */
typedef struct nnbi_opt_state {
    int kind;         /* nnb_optimizer the moments belong to; -1 before any training */
    uint64_t step;    /* optimiser steps taken (Adam's t) */
    uint64_t epoch;   /* epochs completed */
    double last_loss; /* monitored loss of the last epoch (NaN if none) */
    double lm_mu;     /* Levenberg-Marquardt damping */
    size_t n;         /* length of m and v (n_params), 0 if not allocated */
    void *m, *v;      /* momentum buffer / Adam moments / RMSprop average, in the network's
                        * element type (NULL if unused) */
    nnbi_sched sched; /* the learning-rate schedule's position and horizon */
    /* ---- reliability: the early-stopping watch and the position inside an interrupted epoch,
     * kept across nnb_net_train() calls and saved in the training state's extension blocks (optim.c,
     * 2 and 3), so that a resumed run continues exactly. */
    struct {
        int on;      /* a watch is running (patience > 0 in the last nnb_net_train) */
        double best; /* best monitored loss so far (INFINITY: none) */
        uint64_t best_epoch;
        uint64_t since; /* epochs since the best */
        double *params; /* the best epoch's weights (n_params doubles; restore_best), or NULL */
    } es;
    struct {
        uint64_t batches; /* batches of epoch `epoch + 1` already done (0: at an epoch's start) */
        uint64_t n_train, batch;       /* the split and batch size they were done with */
        double loss_sum, loss_c, hits; /* the epoch's sums so far (loss: compensated sum) */
        uint64_t rng[4];               /* the generator before the epoch's shuffle */
    } ep;
} nnbi_opt_state;

struct nnb_net {
    nnbi_shape in;   /* one sample's shape (n_inputs x 1 x 1 unless given) */
    size_t n_inputs; /* its size */
    size_t n_layers, cap_layers;
    nnbi_layer *layers;

    nnb_dtype dtype;
    const nnbi_elem *t; /* the element type's primitives */
    size_t n_params;
    void *params; /* the arena: every layer's parameters, layer after layer */
    void *grads;  /* same layout, plus NNBI_GRAD_EXTRA values */

    nnbi_rng rng;
    int check_finite;

    nnbi_ws ws; /* the network's own workspace */
    nnbi_opt_state opt;
};

/* Extra values at the end of the gradient arena (net->grads holds n_params + this many), where
 * data-parallel training puts the values it all-reduces along with the gradient. */
#define NNBI_GRAD_EXTRA 4

/* The number of outputs (the last layer's, or the inputs without layers). */
static inline size_t nnbi_n_outputs(const nnb_net *net) {
    return net->n_layers ? net->layers[net->n_layers - 1].n_out : net->n_inputs;
}

/* Data in either element type: a caller's array. */
typedef struct nnbi_src {
    const void *p;
    nnb_dtype t;
} nnbi_src;

static inline nnbi_src nnbi_src_f64(const double *p) { return (nnbi_src){p, NNB_F64}; }
static inline nnbi_src nnbi_src_f32(const float *p) { return (nnbi_src){p, NNB_F32}; }

/* 1 (and its index in *at) if a finite value of a[0 .. n) is beyond the range of t's type: it
 * would become infinite in a conversion (NaN and infinities are not counted; never for float64). */
static inline int nnbi_find_beyond(const nnbi_elem *t, const double *a, size_t n, size_t *at) {
    for (size_t i = 0; i < n; i++)
        if ((a[i] > t->max || a[i] < -t->max) && isfinite(a[i])) {
            *at = i;
            return 1;
        }
    return 0;
}

/* n values of src (type st) into dst (type dt), converted when the types differ. */
static inline void nnbi_convert(void *dst, nnb_dtype dt, const void *src, nnb_dtype st, size_t n) {
    if (n) nnbi_elem_get(dt)->gather(dst, src, st, NULL, 1, n);
}

/* ---- the network object (net.c) ---------------------------------------------------------------- */

/* Largest n_out over the layers. */
size_t nnbi_net_max_width(const nnb_net *net);

/* version.c: holds OpenBLAS at one thread (for the training team, lib/team.c); meanwhile
 * nnb_get_num_threads() reports the count it had; nested holds count. */
void nnbi_blas_hold_single(void);
/* Ends a hold: the last one gives OpenBLAS back its count (or what nnb_set_num_threads set). */
void nnbi_blas_release(void);

/* Appends a layer of L->kind with L->act, alpha, has_bias and hyper-parameters set (its input is
 * the previous layer's output): shape, arena growth, default initialisation. A failure leaves the
 * network as it was (an arena may just be larger). */
nnb_status nnbi_net_add_layer(nnb_net *net, const nnbi_layer *proto, const char *func);

/* Initialises layer `layer` from the network's generator (its kind's init, rounded to the type). */
nnb_status nnbi_init_layer(nnb_net *net, size_t layer, nnb_init scheme);

/* ---- argument checks (check.c): each sets the last error ----------------------------------------- */

/* x: not NULL, rows in range, x_cols = the inputs, finite when the network checks, within
 * float32's range for a float32 network. */
nnb_status nnbi_check_x(const nnb_net *net, nnbi_src x, size_t rows, size_t x_cols,
                        const char *func);
nnb_status nnbi_check_y(const nnb_net *net, nnbi_src y, size_t rows, size_t y_cols,
                        const char *func);
nnb_status nnbi_check_loss(const nnb_net *net, nnb_loss loss, nnb_reduction red, const char *func);
/* The error for a value beyond float32's range: row r, column c of the array `what` in func. */
nnb_status nnbi_beyond32_error(const char *func, const char *what, size_t r, size_t c, double v);

/* ---- the workspace (ws.c) ---------------------------------------------------------------------- */

/* Sizes ws for `rows` rows of this network (allocates only when it must grow, or when the layers
 * changed; keeps what it had). with_deltas adds the delta buffers (training, backprop), with_input
 * the buffers xin and yin for batches gathered or converted. */
/* The bytes nnbi_ws_reserve() would allocate for a workspace of `rows` rows (drop: the dropout
 * rates per layer, or NULL), SIZE_MAX if they overflow: memory estimates (train_memory.c). */
size_t nnbi_ws_bytes(const nnb_net *net, size_t rows, const double *drop, int with_deltas,
                     int with_input);
nnb_status nnbi_ws_reserve(const nnb_net *net, nnbi_ws *ws, size_t rows, int with_deltas,
                           int with_input, const char *func);
void nnbi_ws_free(nnbi_ws *ws);

/* ---- the passes (pass.c) -------------------------------------------------------------------------- */

/* Forward pass of `rows` rows into ws (already reserved). The output is ws->act[n_layers-1].
 * With ws->drop set (training), hidden layers drop units with masks drawn from rng. */
void nnbi_forward(const nnb_net *net, nnbi_ws *ws, const void *x, size_t rows, nnbi_rng *rng);

/* Loss of the batch whose forward pass is in ws; with want_delta, also dL/dZ of the output layer
 * into ws->dbuf[0]. Returns the reduced loss. The mean reduction divides by mean_rows, which is
 * `rows` except for a shard of a larger batch (data-parallel training), where it is the whole
 * batch's row count, so that the shards' losses and gradients add up to the batch's. The loss is
 * summed in blocks of NNBI_LOSS_BLOCK elements (whole rows for softmax) whose sums are
 * compensated. */
double nnbi_output_delta(const nnb_net *net, nnbi_ws *ws, const void *y, size_t rows, nnb_loss loss,
                         nnb_reduction red, int want_delta, size_t mean_rows);

/* Backward pass from the output delta in ws->dbuf[0]: dL/dtheta into grad (n_params values). */
void nnbi_backward(const nnb_net *net, nnbi_ws *ws, const void *x, size_t rows, void *grad);

/* nnbi_backward announcing each piece of grad as soon as it is final (data-parallel overlap, see
 * nnb_grad_ready_fn): last layer first, each layer in pieces of at most `piece` values where its
 * kind can (0: whole layers). rows 0: a zero gradient, announced in the same pieces. Returns 0,
 * or announce's non-zero return (the pass then stops). */
int nnbi_backward_ready(const nnb_net *net, nnbi_ws *ws, const void *x, size_t rows, void *grad,
                        size_t piece, nnbi_announce_fn announce, void *ctx);

/* The same pass fused with a plain SGD step, theta <- (1 - lr*l2) theta - lr * dL/dtheta, each
 * layer's update folded into its weight-gradient product (beta = 1 - lr*l2) after its input delta
 * has used the old weights. Writes no gradient (uses the gradient arena as scratch). */
void nnbi_backward_sgd(nnb_net *net, nnbi_ws *ws, const void *x, size_t rows, double lr, double l2);

/* nnbi_output_delta + nnbi_backward (grad may be NULL: loss only). */
double nnbi_loss_backward(const nnb_net *net, nnbi_ws *ws, const void *x, const void *y,
                          size_t rows, nnb_loss loss, nnb_reduction red, void *grad);

/* Whether accuracy is defined for this network (sigmoid or softmax output). */
int nnbi_has_accuracy(const nnb_net *net);

/* The rows of a batch as the network reads them: the caller's arrays in place when they are of
 * the network's type and the rows are consecutive (idx NULL), else gathered and converted into
 * ws->xin / ws->yin (reserved with_input). Rows idx[r0 .. r0+n), or r0 .. r0+n when idx is NULL.
 * y.p may be NULL (no targets). */
void nnbi_batch(const nnb_net *net, nnbi_ws *ws, nnbi_src x, nnbi_src y, const size_t *idx,
                size_t r0, size_t n, const void **xb, const void **yb);

/* Loss (summed over rows) and correct count of n rows (idx[i], or r0.. when idx is NULL) of x/y
 * in chunks of `chunk` rows (ws reserved for that many, with deltas, and with_input unless the
 * data is read in place). The chunks' losses are added with a compensated sum. */
void nnbi_eval(const nnb_net *net, nnbi_ws *ws, size_t chunk, nnbi_src x, nnbi_src y,
               const size_t *idx, size_t r0, size_t n, nnb_loss loss, double *loss_sum,
               size_t *correct);

/* ---- optimiser state (optim.c) --------------------------------------------------------------------- */

void nnbi_opt_free(nnbi_opt_state *opt);
void nnbi_opt_init(nnbi_opt_state *opt);

#endif
