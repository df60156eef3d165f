/*
 * The network object: its layers (each a kind's, layer.h), the parameter and gradient arenas in
 * the network's element type (elem.h), initialisation, and the parameters' accessors in both
 * element types of the API. The passes are pass.c's; the entry points that run them, net_run.c's.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data_internal.h"
#include "nnb_internal.h"

/* ---- the object ------------------------------------------------------------------------------ */

NNB_API nnb_status nnb_net_create(nnb_net **out, size_t n_inputs) {
    NNBI_CHECK_NULL(out, __func__);
    *out = NULL;
    if (n_inputs == 0) return nnbi_error(NNB_E_INVALID_ARG, __func__, "n_inputs is 0");
    if (n_inputs > NNBI_BLAS_MAX)
        return nnbi_error(NNB_E_TOO_LARGE, __func__,
                          "n_inputs = %zu exceeds OpenBLAS's 32-bit limit of %zu", n_inputs,
                          NNBI_BLAS_MAX);
    const nnbi_elem *t = nnbi_elem_get(NNB_F64);
    if (t == NULL) return nnbi_error(NNB_E_UNSUPPORTED, __func__, "%s", nnbi_kernels_error());
    nnb_net *net = calloc(1, sizeof *net);
    if (!net) return nnbi_error(NNB_E_NOMEM, __func__, "no memory for a network");
    net->n_inputs = n_inputs;
    net->in = (nnbi_shape){n_inputs, 1, 1};
    net->dtype = NNB_F64;
    net->t = t;
    nnbi_rng_seed(&net->rng, 0);
    nnbi_opt_init(&net->opt);
    *out = net;
    return NNB_OK;
}

NNB_API nnb_status nnb_net_create_dtype(nnb_net **out, size_t n_inputs, nnb_dtype dtype) {
    NNBI_CHECK_NULL(out, __func__);
    *out = NULL;
    if (dtype != NNB_F64 && dtype != NNB_F32)
        return nnbi_error(NNB_E_INVALID_ARG, __func__, "unknown dtype %d", (int)dtype);
    nnb_net *net;
    nnb_status st = nnb_net_create(&net, n_inputs);
    if (st != NNB_OK) return st;
    net->t = nnbi_elem_get(dtype);
    net->dtype = dtype;
    if (net->t == NULL) {
        nnb_net_free(net);
        return nnbi_error(NNB_E_UNSUPPORTED, __func__, "%s", nnbi_kernels_error());
    }
    *out = net;
    return NNB_OK;
}

NNB_API void nnb_net_free(nnb_net *net) {
    if (!net) return;
    nnbi_ws_free(&net->ws);
    nnbi_opt_free(&net->opt);
    free(net->layers);
    free(net->params);
    free(net->grads);
    free(net);
}

NNB_API nnb_dtype nnb_net_dtype(const nnb_net *net) { return net ? net->dtype : NNB_F64; }

/* Grows the arenas to new_n parameters (the gradients of the new ones zeroed). */
static nnb_status arena_grow(nnb_net *net, size_t new_n, const char *func) {
    size_t es = net->t->size;
    void *params = realloc(net->params, (new_n ? new_n : 1) * es);
    if (!params) return nnbi_error(NNB_E_NOMEM, func, "no memory for %zu parameters", new_n);
    net->params = params;
    void *grads = realloc(net->grads, (new_n + NNBI_GRAD_EXTRA) * es);
    if (!grads) return nnbi_error(NNB_E_NOMEM, func, "no memory for %zu gradients", new_n);
    net->grads = grads;
    memset(nnbi_at(net->t, grads, net->n_params), 0,
           (new_n + NNBI_GRAD_EXTRA - net->n_params) * es);
    return NNB_OK;
}

nnb_status nnbi_net_add_layer(nnb_net *net, const nnbi_layer *proto, const char *func) {
    nnbi_layer L = *proto;
    const nnbi_layer *prev = net->n_layers ? &net->layers[net->n_layers - 1] : NULL;
    L.in = prev ? prev->out : net->in;
    L.n_in = prev ? prev->n_out : net->n_inputs;
    /* channels-last between two spatial layers, channel-major everywhere else */
    L.in_last = prev && prev->kind->spatial && L.kind->spatial;
    L.out_last = 0;
    nnb_status st = L.kind->shape(&L, func);
    if (st != NNB_OK) return st;
    char what[96];
    L.kind->describe(&L, what, sizeof what);
    if (L.n_p > SIZE_MAX / sizeof(double) - net->n_params)
        return nnbi_error(NNB_E_TOO_LARGE, func, "%s does not fit in memory", what);
    size_t new_n = net->n_params + L.n_p;
    /* What this layer adds (its parameters and gradients in the network's type, and the float64
     * draws of its initialisation), checked against the memory the process can still get before
     * asking: the layers already made hold theirs, so only the addition is compared. */
    size_t avail = nnbi_available_memory();
    if (L.n_p > avail / (2 * net->t->size + sizeof(double))) {
        char need[32], have[32];
        nnbi_format_bytes(L.n_p > SIZE_MAX / (2 * net->t->size + sizeof(double))
                              ? SIZE_MAX
                              : L.n_p * (2 * net->t->size + sizeof(double)),
                          need, sizeof need);
        nnbi_format_bytes(avail, have, sizeof have);
        return nnbi_error(NNB_E_TOO_LARGE, func,
                          "layer %zu, %s, does not fit in memory: its %zu parameters need %s "
                          "(with their gradients and initial draws), more than the %s available",
                          net->n_layers, what, L.n_p, need, have);
    }
    if (net->n_layers == net->cap_layers) {
        size_t cap = net->cap_layers ? 2 * net->cap_layers : 4;
        nnbi_layer *layers = realloc(net->layers, cap * sizeof *layers);
        if (!layers) return nnbi_error(NNB_E_NOMEM, func, "no memory for a layer");
        net->layers = layers;
        net->cap_layers = cap;
    }
    /* Grow both arenas; a failure leaves the network as it was (an arena may just be larger). */
    st = arena_grow(net, new_n, func);
    if (st != NNB_OK) return st;
    if (net->n_layers) net->layers[net->n_layers - 1].out_last = L.in_last; /* after realloc */
    L.p_off = net->n_params;
    L.w_off += L.p_off;
    L.b_off += L.p_off;
    net->layers[net->n_layers++] = L;
    net->n_params = new_n;
    nnbi_ws_free(&net->ws);
    nnbi_opt_free(&net->opt); /* moments of the old shape are meaningless now */
    return nnbi_init_layer(net, net->n_layers - 1, NNB_INIT_NORMAL_FANIN);
}

NNB_API nnb_status nnb_net_add_dense(nnb_net *net, size_t units, nnb_activation act, int has_bias) {
    NNBI_CHECK_NULL(net, __func__);
    if (units == 0) return nnbi_error(NNB_E_INVALID_ARG, __func__, "units is 0");
    if (units > NNBI_BLAS_MAX)
        return nnbi_error(NNB_E_TOO_LARGE, __func__,
                          "units = %zu exceeds OpenBLAS's 32-bit limit of %zu", units,
                          NNBI_BLAS_MAX);
    if ((unsigned)act > NNB_ACT_SOFTMAX)
        return nnbi_error(NNB_E_INVALID_ARG, __func__, "unknown activation %d", (int)act);
    if (has_bias != 0 && has_bias != 1)
        return nnbi_error(NNB_E_INVALID_ARG, __func__, "has_bias is %d; use 0 or 1", has_bias);
    if (net->n_layers > 0 && net->layers[net->n_layers - 1].act == NNB_ACT_SOFTMAX)
        return nnbi_error(NNB_E_INVALID_ARG, __func__,
                          "layer %zu is softmax, which is allowed only on the output layer; "
                          "use another activation for hidden layers",
                          net->n_layers - 1);
    nnbi_layer L = {.kind = &nnbi_kind_dense, .act = act, .alpha = 0.01, .has_bias = has_bias};
    L.hp[0] = units;
    return nnbi_net_add_layer(net, &L, __func__);
}

/* NNB_OK when `layer` is a leaky-ReLU layer of net, else the error (for func). */
static nnb_status leaky_layer(const nnb_net *net, size_t layer, const char *func) {
    NNBI_CHECK_NULL(net, func);
    if (layer >= net->n_layers)
        return nnbi_error(NNB_E_INVALID_ARG, func, "layer %zu does not exist (%zu layers)", layer,
                          net->n_layers);
    if (net->layers[layer].act != NNB_ACT_LEAKY_RELU)
        return nnbi_error(NNB_E_INVALID_ARG, func, "layer %zu is not a leaky-ReLU layer", layer);
    return NNB_OK;
}

NNB_API nnb_status nnb_net_set_leaky_slope(nnb_net *net, size_t layer, double slope) {
    nnb_status st = leaky_layer(net, layer, __func__);
    if (st != NNB_OK) return st;
    if (!isfinite(slope) || slope < 0)
        return nnbi_error(NNB_E_INVALID_ARG, __func__, "slope %g must be finite and >= 0", slope);
    net->layers[layer].alpha = slope;
    return NNB_OK;
}

NNB_API nnb_status nnb_net_get_leaky_slope(const nnb_net *net, size_t layer, double *slope) {
    nnb_status st = leaky_layer(net, layer, __func__);
    if (st == NNB_OK && slope) *slope = net->layers[layer].alpha;
    return st;
}

NNB_API size_t nnb_net_n_inputs(const nnb_net *net) { return net ? net->n_inputs : 0; }

NNB_API size_t nnb_net_n_outputs(const nnb_net *net) { return net ? nnbi_n_outputs(net) : 0; }

NNB_API size_t nnb_net_n_layers(const nnb_net *net) { return net ? net->n_layers : 0; }

NNB_API size_t nnb_net_n_params(const nnb_net *net) { return net ? net->n_params : 0; }

NNB_API nnb_status nnb_net_layer_info(const nnb_net *net, size_t layer, size_t *n_in, size_t *n_out,
                                      nnb_activation *act, int *has_bias, size_t *w_offset,
                                      size_t *b_offset) {
    NNBI_CHECK_NULL(net, __func__);
    if (layer >= net->n_layers)
        return nnbi_error(NNB_E_INVALID_ARG, __func__, "layer %zu does not exist (%zu layers)",
                          layer, net->n_layers);
    const nnbi_layer *L = &net->layers[layer];
    if (n_in) *n_in = L->n_in;
    if (n_out) *n_out = L->n_out;
    if (act) *act = L->act;
    if (has_bias) *has_bias = L->has_bias;
    if (w_offset) *w_offset = L->w_off;
    if (b_offset) *b_offset = L->b_off;
    return NNB_OK;
}

/* ---- initialisation ---------------------------------------------------------------------------- */

nnb_status nnbi_init_layer(nnb_net *net, size_t layer, nnb_init scheme) {
    const nnbi_layer *L = &net->layers[layer];
    if (L->n_p == 0) return NNB_OK;
    /* the draws in float64, rounded to the network's type (so both types start alike) */
    double *p = malloc(L->n_p * sizeof *p);
    if (!p) return nnbi_error(NNB_E_NOMEM, "nnb_net_init", "no memory for %zu weights", L->n_p);
    nnb_status st = L->kind->init(L, &net->rng, scheme, p);
    if (st == NNB_OK)
        nnbi_convert(nnbi_at(net->t, net->params, L->p_off), net->dtype, p, NNB_F64, L->n_p);
    free(p);
    return st;
}

NNB_API nnb_status nnb_net_seed(nnb_net *net, uint64_t seed) {
    NNBI_CHECK_NULL(net, __func__);
    nnbi_rng_seed(&net->rng, seed);
    return NNB_OK;
}

NNB_API nnb_status nnb_net_init(nnb_net *net, nnb_init scheme, uint64_t seed) {
    NNBI_CHECK_NULL(net, __func__);
    if ((unsigned)scheme > NNB_INIT_ORTHOGONAL)
        return nnbi_error(NNB_E_INVALID_ARG, __func__, "unknown initialisation scheme %d",
                          (int)scheme);
    nnbi_rng_seed(&net->rng, seed);
    for (size_t l = 0; l < net->n_layers; l++) {
        nnb_status st = nnbi_init_layer(net, l, scheme);
        if (st != NNB_OK) return st;
    }
    return NNB_OK;
}

/* ---- parameters and gradients, in either type of the API --------------------------------------- */

static nnb_status check_len(const nnb_net *net, size_t len, const char *what, const char *func) {
    if (len != net->n_params)
        return nnbi_error(NNB_E_SHAPE, func, "%s has %zu values, the network has %zu parameters",
                          what, len, net->n_params);
    return NNB_OK;
}

/* The parameters (grads 0) or the gradient (grads 1) into dst of type dt. */
static nnb_status arena_get(const nnb_net *net, int grads, void *dst, nnb_dtype dt, size_t len,
                            const char *func) {
    NNBI_CHECK_NULL(net, func);
    if (len && !dst) return nnbi_error(NNB_E_NULL, func, "dst is NULL");
    nnb_status st = check_len(net, len, "dst", func);
    if (st == NNB_OK) nnbi_convert(dst, dt, grads ? net->grads : net->params, net->dtype, len);
    return st;
}

/* src of type st into the parameters, after checking it is finite and within the range of the
 * network's type. */
static nnb_status arena_set(nnb_net *net, const void *src, nnb_dtype st_, size_t len,
                            const char *func) {
    NNBI_CHECK_NULL(net, func);
    if (len && !src) return nnbi_error(NNB_E_NULL, func, "src is NULL");
    nnb_status st = check_len(net, len, "src", func);
    if (st != NNB_OK) return st;
    const nnbi_elem *s = nnbi_elem_get(st_);
    for (size_t i = 0; i < len; i++) {
        double v = s->get(src, i);
        if (!isfinite(v) || fabs(v) > net->t->max)
            return nnbi_error(NNB_E_NONFINITE, func, "src[%zu] is %g", i, v);
    }
    nnbi_convert(net->params, net->dtype, src, st_, len);
    return NNB_OK;
}

NNB_API nnb_status nnb_net_params_get(const nnb_net *net, double *dst, size_t len) {
    return arena_get(net, 0, dst, NNB_F64, len, __func__);
}

NNB_API nnb_status nnb_net_params_set(nnb_net *net, const double *src, size_t len) {
    return arena_set(net, src, NNB_F64, len, __func__);
}

NNB_API nnb_status nnb_net_params_get_f32(const nnb_net *net, float *dst, size_t len) {
    return arena_get(net, 0, dst, NNB_F32, len, __func__);
}

NNB_API nnb_status nnb_net_params_set_f32(nnb_net *net, const float *src, size_t len) {
    return arena_set(net, src, NNB_F32, len, __func__);
}

NNB_API nnb_status nnb_net_grad_get(const nnb_net *net, double *dst, size_t len) {
    return arena_get(net, 1, dst, NNB_F64, len, __func__);
}

NNB_API nnb_status nnb_net_grad_get_f32(const nnb_net *net, float *dst, size_t len) {
    return arena_get(net, 1, dst, NNB_F32, len, __func__);
}

/* The arena itself when it has the API's type. */
static void *arena_data(nnb_net *net, nnb_dtype dt, size_t *len) {
    if (len) *len = net ? net->n_params : 0;
    if (!net || net->n_params == 0 || net->dtype != dt) return NULL;
    return net->params;
}

NNB_API double *nnb_net_params_data(nnb_net *net, size_t *len) {
    return arena_data(net, NNB_F64, len);
}

NNB_API float *nnb_net_params_data_f32(nnb_net *net, size_t *len) {
    return arena_data(net, NNB_F32, len);
}

static nnb_status layer_io_check(const nnb_net *net, size_t layer, const void *w, size_t w_len,
                                 const void *b, size_t b_len, const char *func) {
    NNBI_CHECK_NULL(net, func);
    if (layer >= net->n_layers)
        return nnbi_error(NNB_E_INVALID_ARG, func, "layer %zu does not exist (%zu layers)", layer,
                          net->n_layers);
    const nnbi_layer *L = &net->layers[layer];
    size_t nw = L->b_off - L->w_off, nb = L->has_bias ? L->p_off + L->n_p - L->b_off : 0;
    if (w ? w_len != nw : w_len != 0)
        return nnbi_error(NNB_E_SHAPE, func,
                          "w_len is %zu; layer %zu's W has %zu values, or pass NULL and 0", w_len,
                          layer, nw);
    if (b ? b_len != nb : b_len != 0)
        return nnbi_error(NNB_E_SHAPE, func,
                          "b_len is %zu; layer %zu's b has %zu values, or pass NULL and 0", b_len,
                          layer, nb);
    return NNB_OK;
}

NNB_API nnb_status nnb_net_layer_get(const nnb_net *net, size_t layer, double *w, size_t w_len,
                                     double *b, size_t b_len) {
    nnb_status st = layer_io_check(net, layer, w, w_len, b, b_len, __func__);
    if (st != NNB_OK) return st;
    const nnbi_layer *L = &net->layers[layer];
    if (w) nnbi_convert(w, NNB_F64, nnbi_at(net->t, net->params, L->w_off), net->dtype, w_len);
    if (b) nnbi_convert(b, NNB_F64, nnbi_at(net->t, net->params, L->b_off), net->dtype, b_len);
    return NNB_OK;
}

NNB_API nnb_status nnb_net_layer_set(nnb_net *net, size_t layer, const double *w, size_t w_len,
                                     const double *b, size_t b_len) {
    nnb_status st = layer_io_check(net, layer, w, w_len, b, b_len, __func__);
    if (st != NNB_OK) return st;
    for (size_t i = 0; w && i < w_len; i++)
        if (!isfinite(w[i])) return nnbi_error(NNB_E_NONFINITE, __func__, "w[%zu] is %g", i, w[i]);
    for (size_t i = 0; b && i < b_len; i++)
        if (!isfinite(b[i])) return nnbi_error(NNB_E_NONFINITE, __func__, "b[%zu] is %g", i, b[i]);
    for (size_t i = 0; i < w_len || i < b_len; i++)
        if ((i < w_len && w && fabs(w[i]) > net->t->max) ||
            (i < b_len && b && fabs(b[i]) > net->t->max))
            return nnbi_error(NNB_E_NONFINITE, __func__, "value %zu is beyond float32's range", i);
    const nnbi_layer *L = &net->layers[layer];
    if (w) nnbi_convert(nnbi_at(net->t, net->params, L->w_off), net->dtype, w, NNB_F64, w_len);
    if (b) nnbi_convert(nnbi_at(net->t, net->params, L->b_off), net->dtype, b, NNB_F64, b_len);
    return NNB_OK;
}

NNB_API nnb_status nnb_net_set_check_finite(nnb_net *net, int enable) {
    NNBI_CHECK_NULL(net, __func__);
    net->check_finite = enable != 0;
    return NNB_OK;
}

NNB_API nnb_status nnb_net_get_check_finite(const nnb_net *net, int *enable) {
    NNBI_CHECK_NULL(net, __func__);
    if (enable) *enable = net->check_finite;
    return NNB_OK;
}

NNB_API nnb_status nnb_net_sgd_step(nnb_net *net, double lr, const double *grad, size_t grad_len) {
    NNBI_CHECK_NULL(net, __func__);
    if (!isfinite(lr) || lr < 0) /* a negative rate climbs the loss: a sign error */
        return nnbi_error(NNB_E_INVALID_ARG, __func__,
                          "lr is %g: a learning rate must be finite and >= 0", lr);
    if (grad) {
        nnb_status st = check_len(net, grad_len, "grad", __func__);
        if (st != NNB_OK) return st;
        net->t->step_f64(net->n_params, lr, grad, net->params);
    } else {
        net->t->axpy(net->n_params, -lr, net->grads, net->params);
    }
    return NNB_OK;
}

/* ---- conversion to the other element type --------------------------------------------------------- */

/* The optimiser state of src into dst (same parameter count, dst's moments unallocated). */
static nnb_status copy_opt(nnb_net *dst, const nnb_net *src, const char *func) {
    const nnbi_opt_state *s = &src->opt;
    nnbi_opt_state *d = &dst->opt;
    size_t es = dst->t->size, n = s->n ? s->n : 1;
    void *m = s->m ? malloc(n * es) : NULL, *v = s->v ? malloc(n * es) : NULL;
    /* the early-stopping watch's best weights (doubles in either type): a copy of its own */
    size_t nb = src->n_params ? src->n_params : 1;
    double *best = s->es.params ? malloc(nb * sizeof *best) : NULL;
    if ((s->m && !m) || (s->v && !v) || (s->es.params && !best)) {
        free(m), free(v), free(best);
        return nnbi_error(NNB_E_NOMEM, func, "no memory for the optimiser state");
    }
    if (m) nnbi_convert(m, dst->dtype, s->m, src->dtype, s->n);
    if (v) nnbi_convert(v, dst->dtype, s->v, src->dtype, s->n);
    if (best) memcpy(best, s->es.params, src->n_params * sizeof *best);
    *d = *s;
    d->m = m, d->v = v;
    d->es.params = best;
    return NNB_OK;
}

NNB_API nnb_status nnb_net_copy(nnb_net **out, const nnb_net *src, nnb_dtype dtype) {
    NNBI_CHECK_NULL(out, __func__);
    *out = NULL;
    NNBI_CHECK_NULL(src, __func__);
    if (dtype != NNB_F64 && dtype != NNB_F32)
        return nnbi_error(NNB_E_INVALID_ARG, __func__, "unknown dtype %d", (int)dtype);
    const nnbi_elem *to = nnbi_elem_get(dtype);
    for (size_t i = 0; to && i < src->n_params; i++) { /* written through the borrowed arena? */
        double v = src->t->get(src->params, i);
        if (!isfinite(v) || fabs(v) > to->max)
            return nnbi_error(NNB_E_NONFINITE, __func__, "parameter %zu (%g) is %s", i, v,
                              isfinite(v) ? "beyond float32's range" : "not finite");
    }
    nnb_net *net;
    nnb_status st = nnb_net_create_dtype(&net, src->n_inputs, dtype);
    if (st != NNB_OK) return st;
    net->in = src->in;
    net->layers = malloc((src->n_layers ? src->n_layers : 1) * sizeof *net->layers);
    if (!net->layers) {
        st = nnbi_error(NNB_E_NOMEM, __func__, "no memory for %zu layers", src->n_layers);
        goto fail;
    }
    if (src->n_layers) memcpy(net->layers, src->layers, src->n_layers * sizeof *net->layers);
    net->n_layers = net->cap_layers = src->n_layers;
    st = arena_grow(net, src->n_params, __func__);
    if (st != NNB_OK) goto fail;
    net->n_params = src->n_params;
    nnbi_convert(net->params, dtype, src->params, src->dtype, src->n_params);
    net->rng = src->rng;
    net->check_finite = src->check_finite;
    st = copy_opt(net, src, __func__);
    if (st != NNB_OK) goto fail;
    *out = net;
    return NNB_OK;
fail:
    nnb_net_free(net);
    return st;
}
