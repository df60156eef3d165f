/*
 * The public face of the spatial layer kinds (issue 24): a network's input shape, appending
 * convolution and pooling layers (layer_conv.c, layer_pool.c), and the getters that describe any
 * layer (kind, output shape, parameters, window) for the command, the bindings and the exporters.
 */
#include <string.h>

#include "nnb_internal.h"
#include "window.h"

NNB_API nnb_status nnb_net_set_input_shape(nnb_net *net, size_t channels, size_t height,
                                           size_t width) {
    NNBI_CHECK_NULL(net, __func__);
    if (channels == 0 || height == 0 || width == 0)
        return nnbi_error(NNB_E_INVALID_ARG, __func__,
                          "the input shape %zux%zux%zu (CxHxW) has a zero dimension", channels,
                          height, width);
    if (net->n_layers > 0)
        return nnbi_error(NNB_E_INVALID_ARG, __func__,
                          "the network has layers already; set the input shape first");
    size_t hw, n;
    if (!nnbi_mul_size(channels, height, &hw) || !nnbi_mul_size(hw, width, &n) ||
        n != net->n_inputs)
        return nnbi_error(NNB_E_SHAPE, __func__,
                          "the input shape %zux%zux%zu (CxHxW) does not make the network's %zu "
                          "inputs",
                          channels, height, width, net->n_inputs);
    net->in = (nnbi_shape){channels, height, width};
    return NNB_OK;
}

NNB_API nnb_status nnb_net_get_input_shape(const nnb_net *net, size_t *channels, size_t *height,
                                           size_t *width) {
    NNBI_CHECK_NULL(net, __func__);
    if (channels) *channels = net->in.c;
    if (height) *height = net->in.h;
    if (width) *width = net->in.w;
    return NNB_OK;
}

/* What every appended layer checks: an activation, a bias flag, nothing after a softmax. */
static nnb_status check_append(const nnb_net *net, nnb_activation act, int has_bias,
                               const char *func) {
    if ((unsigned)act > NNB_ACT_SOFTMAX)
        return nnbi_error(NNB_E_INVALID_ARG, func, "unknown activation %d", (int)act);
    if (has_bias != 0 && has_bias != 1)
        return nnbi_error(NNB_E_INVALID_ARG, func, "has_bias is %d; use 0 or 1", has_bias);
    if (net->n_layers > 0 && net->layers[net->n_layers - 1].act == NNB_ACT_SOFTMAX)
        return nnbi_error(NNB_E_INVALID_ARG, func,
                          "layer %zu is softmax, which is allowed only on the output layer",
                          net->n_layers - 1);
    return NNB_OK;
}

/* The padding of one dimension: explicit, or "same" from the input's size. */
static nnb_status padding(size_t in, size_t k, size_t stride, int same, size_t *before,
                          size_t *after, const char *func) {
    if (!same) return NNB_OK;
    nnb_status st = nnbi_win_same(in, k, stride, before, after);
    if (st != NNB_OK)
        return nnbi_error(st, func,
                          "no \"same\" padding for a %zu-wide input, kernel %zu, stride %zu", in, k,
                          stride);
    return NNB_OK;
}

NNB_API nnb_status nnb_net_add_conv2d(nnb_net *net, size_t n_filters, const nnb_window *window,
                                      nnb_activation act, int has_bias) {
    NNBI_CHECK_NULL(net, __func__);
    NNBI_CHECK_NULL(window, __func__);
    nnb_status st = check_append(net, act, has_bias, __func__);
    if (st != NNB_OK) return st;
    nnbi_shape in = net->n_layers ? net->layers[net->n_layers - 1].out : net->in;
    const nnb_window *w = window;
    size_t pt = w->pad_top, pb = w->pad_bottom, pl = w->pad_left, pr = w->pad_right;
    if (w->same != 0 && w->same != 1)
        return nnbi_error(NNB_E_INVALID_ARG, __func__, "window->same is %d; use 0 or 1", w->same);
    if (n_filters == 0)
        return nnbi_error(NNB_E_INVALID_ARG, __func__, "a convolution needs filters (n_filters 0)");
    if ((st = padding(in.h, w->kernel_h, w->stride_h, w->same, &pt, &pb, __func__)) != NNB_OK ||
        (st = padding(in.w, w->kernel_w, w->stride_w, w->same, &pl, &pr, __func__)) != NNB_OK)
        return st;
    nnbi_layer L = {.kind = &nnbi_kind_conv2d, .act = act, .alpha = 0.01, .has_bias = has_bias};
    uint64_t hp[9] = {n_filters, w->kernel_h, w->kernel_w, w->stride_h, w->stride_w,
                      pt,        pb,          pl,          pr};
    memcpy(L.hp, hp, sizeof hp);
    return nnbi_net_add_layer(net, &L, __func__);
}

static nnb_status add_pool(nnb_net *net, const nnbi_kind *kind, const nnb_window *w,
                           const char *func) {
    NNBI_CHECK_NULL(net, func);
    NNBI_CHECK_NULL(w, func);
    nnb_status st = check_append(net, NNB_ACT_IDENTITY, 0, func);
    if (st != NNB_OK) return st;
    if (w->same || w->pad_top || w->pad_bottom || w->pad_left || w->pad_right)
        return nnbi_error(NNB_E_INVALID_ARG, func, "pooling takes no padding");
    nnbi_layer L = {.kind = kind, .act = NNB_ACT_IDENTITY, .alpha = 0.01};
    uint64_t hp[4] = {w->kernel_h, w->kernel_w, w->stride_h, w->stride_w};
    memcpy(L.hp, hp, sizeof hp);
    return nnbi_net_add_layer(net, &L, func);
}

NNB_API nnb_status nnb_net_add_maxpool(nnb_net *net, const nnb_window *window) {
    return add_pool(net, &nnbi_kind_maxpool, window, __func__);
}

NNB_API nnb_status nnb_net_add_avgpool(nnb_net *net, const nnb_window *window) {
    return add_pool(net, &nnbi_kind_avgpool, window, __func__);
}

NNB_API const char *nnb_net_layer_kind(const nnb_net *net, size_t layer) {
    return net && layer < net->n_layers ? net->layers[layer].kind->name : NULL;
}

static nnb_status layer_at(const nnb_net *net, size_t layer, const char *func) {
    NNBI_CHECK_NULL(net, func);
    if (layer >= net->n_layers)
        return nnbi_error(NNB_E_INVALID_ARG, func, "layer %zu does not exist (%zu layers)", layer,
                          net->n_layers);
    return NNB_OK;
}

NNB_API nnb_status nnb_net_layer_shape(const nnb_net *net, size_t layer, size_t *channels,
                                       size_t *height, size_t *width) {
    nnb_status st = layer_at(net, layer, __func__);
    if (st != NNB_OK) return st;
    const nnbi_layer *L = &net->layers[layer];
    if (channels) *channels = L->out.c;
    if (height) *height = L->out.h;
    if (width) *width = L->out.w;
    return NNB_OK;
}

NNB_API size_t nnb_net_layer_n_params(const nnb_net *net, size_t layer) {
    return net && layer < net->n_layers ? net->layers[layer].n_p : 0;
}

NNB_API nnb_status nnb_net_layer_window(const nnb_net *net, size_t layer, nnb_window *window,
                                        size_t *n_filters) {
    nnb_status st = layer_at(net, layer, __func__);
    if (st != NNB_OK) return st;
    const nnbi_layer *L = &net->layers[layer];
    if (!L->kind->spatial)
        return nnbi_error(NNB_E_INVALID_ARG, __func__, "layer %zu is a %s layer, without a window",
                          layer, L->kind->name);
    int conv = L->kind == &nnbi_kind_conv2d;
    const uint64_t *hp = L->hp + conv; /* a convolution's window follows its filter count */
    if (window)
        *window = (nnb_window){.kernel_h = hp[0],
                               .kernel_w = hp[1],
                               .stride_h = hp[2],
                               .stride_w = hp[3],
                               .pad_top = conv ? hp[4] : 0,
                               .pad_bottom = conv ? hp[5] : 0,
                               .pad_left = conv ? hp[6] : 0,
                               .pad_right = conv ? hp[7] : 0};
    if (n_filters) *n_filters = conv ? (size_t)L->hp[0] : 0;
    return NNB_OK;
}
