/*
 * Layer kinds. A network is a sequence of layers; what a layer does is its kind's table of
 * operations (nnbi_kind). The network object, the passes, the optimisers, the training loop,
 * gradcheck, the data-parallel hooks and Levenberg-Marquardt only walk these tables, so a new
 * kind is one new file defining its table plus one line in the registry (layers.c); see
 * docs/design.md, "Layer kinds".
 *
 * Shapes: a sample is one row of c*h*w values in channel-major order (NCHW without the N, as in
 * PyTorch and ONNX); a dense layer's input and output are (n, 1, 1). A batch is `rows` such rows,
 * row-major. Arrays are of the network's element type (elem.h), always passed as `void *` with
 * the element table `t` that knows the type.
 */
#ifndef NNB_LAYER_H
#define NNB_LAYER_H

#include <stddef.h>
#include <stdint.h>

#include "elem.h"
#include "nnblas.h"

struct nnbi_rng;
typedef struct nnbi_kind nnbi_kind;

/* One sample's shape: c channels of h x w. */
typedef struct nnbi_shape {
    size_t c, h, w;
} nnbi_shape;

/* Most hyper-parameters a kind keeps (a convolution's nine: filters, kernel sizes, strides,
 * paddings). */
#define NNBI_HP_MAX 10

typedef struct nnbi_layer {
    const nnbi_kind *kind;
    nnbi_shape in, out; /* one sample's input and output */
    size_t n_in, n_out; /* their sizes: c*h*w */
    nnb_activation act;
    double alpha; /* leaky-ReLU slope */
    int has_bias;
    size_t p_off, n_p; /* the layer's parameters: arena[p_off .. p_off + n_p) */
    /* where the kind keeps its weights and per-column bias in the arena (nnb_net_layer_info):
     * for dense, W (n_out x n_in) at w_off and b (n_out) at b_off = w_off + n_out*n_in */
    size_t w_off, b_off;
    uint64_t hp[NNBI_HP_MAX]; /* the kind's hyper-parameters (its table says which) */
    /* Spatial kinds only (convolution, pooling): whether the layer's input and output are
     * channels-last (HWC per sample) rather than channel-major. Between two spatial layers the
     * activations are channels-last; everywhere else (the user's rows, a dense layer's input,
     * the network's output) channel-major. Set by nnbi_net_add_layer. */
    int in_last, out_last;
} nnbi_layer;

struct nnbi_kind {
    const char *name; /* "dense" */
    /* 1 for a kind whose input and output are images (convolution, pooling): between two such
     * layers the activations stay channels-last (nnbi_layer.in_last, out_last). */
    int spatial;
    /* The layer's shape from L->in, L->hp, L->has_bias: sets L->out, L->n_out, L->n_p and the
     * offsets w_off, b_off relative to the layer's first parameter (the caller adds p_off).
     * Refuses shapes that do not work (a message naming func), before anything is allocated. */
    nnb_status (*shape)(nnbi_layer *L, const char *func);
    /* A few words for messages, e.g. "a 128 x 784 layer". */
    void (*describe)(const nnbi_layer *L, char *buf, size_t len);
    /* Draws the layer's n_p parameters into p (doubles laid out as in the arena: p[0] is the
     * parameter at p_off) with the scheme, from the generator. */
    nnb_status (*init)(const nnbi_layer *L, struct nnbi_rng *rng, nnb_init scheme, double *p);
    /* Scratch elements the kind needs for a batch of `rows` rows (0: none); the workspace
     * gives each layer its own (`work` below), sized once per batch shape. */
    size_t (*workspace)(const nnbi_layer *L, size_t rows);
    /* Whether the activation's bias is one value per output column at b_off (then the pass adds
     * it with the activation, in one kernel); 0: the kind adds its own bias in forward. */
    int column_bias;
    /* 1 for a kind without parameters whose input gradient at each input element is +0 or a
     * sum of outputs' gradients, each output equal to that element (max pooling; the pass may
     * change its d in place): the previous layer's activation derivative can then be applied to
     * the output's gradient, at the output's values, before backward_input - on the smaller
     * array, the same values (up to rounding where windows overlap). */
    int routes;
    /* z (rows x n_out) = the layer's map of x (rows x n_in), without a per-column bias. */
    void (*forward)(const nnbi_elem *t, const nnbi_layer *L, const void *params, const void *x,
                    size_t rows, void *z, void *work);
    /* The gradient of the layer's parameters (grad + p_off .. p_off + n_p; grad is the whole
     * arena's) from d = dL/dz (rows x n_out) and its input x. rows > 0. */
    void (*backward_params)(const nnbi_elem *t, const nnbi_layer *L, const void *d, const void *x,
                            size_t rows, void *grad, void *work);
    /* dx (rows x n_in) = dL/dx from d = dL/dz (before the previous layer's activation). The
     * passes run it after forward on the same rows with the same `work`, which may carry what
     * the backward pass needs (max pooling's positions of the maxima). */
    void (*backward_input)(const nnbi_elem *t, const nnbi_layer *L, const void *params,
                           const void *d, size_t rows, void *dx, void *work);
    /* Optional (NULL: the pass does it from backward_params): plain SGD fused into the gradient,
     * theta <- beta theta - lr dL/dtheta; scratch has n_p elements. */
    void (*update_sgd)(const nnbi_elem *t, const nnbi_layer *L, const void *d, const void *x,
                       size_t rows, double lr, double beta, void *params, void *scratch,
                       void *work);
    /* Optional (NULL: the whole layer at once): the parameter gradient computed and announced in
     * pieces of at most `piece` values (0: whole), last piece first, each as soon as it is final
     * (data-parallel overlap). rows 0: zeros, announced in the same pieces. Returns 0 or the
     * first non-zero return of announce. */
    int (*backward_pieces)(const nnbi_elem *t, const nnbi_layer *L, const void *d, const void *x,
                           size_t rows, void *grad, void *work, size_t piece,
                           nnbi_announce_fn announce, void *ctx);
    /* The number of hyper-parameters in L->hp (what a model file saves for the kind) and a check
     * of loaded ones (NNB_OK, or a message naming func). */
    size_t n_hp;
    nnb_status (*check_hp)(const uint64_t *hp, const char *func);
};

/* The kinds this library has, in the order of their model-file codes (layers.c). */
extern const nnbi_kind nnbi_kind_dense, nnbi_kind_conv2d, nnbi_kind_maxpool, nnbi_kind_avgpool;
const nnbi_kind *nnbi_kind_find(const char *name);
size_t nnbi_kind_count(void);
const nnbi_kind *nnbi_kind_at(size_t i);

/* rng.c: the initialisation of a weight matrix (n_out x n_in row-major doubles) of the given
 * fans by a scheme (the rows of a dense layer's W; a convolution's filters). */
nnb_status nnbi_init_weights(struct nnbi_rng *rng, nnb_init scheme, size_t n_out, size_t n_in,
                             double fan_in, double fan_out, double *w);

#endif
