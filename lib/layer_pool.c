/*
 * The pooling kinds (issue 24): max pooling and average pooling over windows of KH x KW moved by
 * SH x SW, without padding (floor mode, as PyTorch's default), channel by channel; no
 * parameters. Written once for both element types on the window kernels (lib/kernels). The
 * kernels write channels-last; when the layer's output is channel-major (the next layer is dense
 * or this is the output layer) the output is transposed into place and the incoming gradient
 * back. Max pooling keeps where each maximum lay (in its workspace, from the forward pass to the
 * backward one); its gradient goes there, PyTorch's rule. Hyper-parameters: hp = KH, KW, SH, SW.
 */
#include <stdio.h>
#include <string.h>

#include "nnb_internal.h"
#include "window.h"

static int is_max(const nnbi_layer *L) { return L->kind == &nnbi_kind_maxpool; }

static nnb_status pool_geom(const nnbi_layer *L, nnbi_win *g, const char *func) {
    nnbi_win_spec s = {.C = L->in.c,
                       .H = L->in.h,
                       .W = L->in.w,
                       .KH = (size_t)L->hp[0],
                       .KW = (size_t)L->hp[1],
                       .SH = (size_t)L->hp[2],
                       .SW = (size_t)L->hp[3],
                       .chw = !L->in_last};
    return nnbi_win_pool(&s, g, func);
}

static nnbi_win geom(const nnbi_layer *L) {
    nnbi_win g;
    (void)pool_geom(L, &g, "pool");
    return g;
}

static nnb_status pool_shape(nnbi_layer *L, const char *func) {
    nnbi_win g;
    nnb_status st = pool_geom(L, &g, func);
    if (st != NNB_OK) return st;
    L->out = (nnbi_shape){g.C, g.OH, g.OW};
    L->n_out = g.C * g.OH * g.OW;
    L->n_p = 0;
    L->w_off = L->b_off = 0;
    return NNB_OK;
}

static void pool_describe(const nnbi_layer *L, char *buf, size_t len) {
    snprintf(buf, len, "a %s pooling of %llux%llu over %zux%zux%zu", is_max(L) ? "max" : "average",
             (unsigned long long)L->hp[0], (unsigned long long)L->hp[1], L->in.c, L->in.h, L->in.w);
}

static nnb_status pool_init(const nnbi_layer *L, nnbi_rng *rng, nnb_init scheme, double *p) {
    (void)L, (void)rng, (void)scheme, (void)p;
    return NNB_OK;
}

/* The workspace: the channels-last output or gradient when the output is channel-major, then
 * (max pooling) the positions of the maxima. */
static size_t buf_size(const nnbi_layer *L, size_t rows) {
    return L->out_last ? 0 : (rows * L->n_out + 15) & ~(size_t)15;
}

static size_t pool_workspace(const nnbi_layer *L, size_t rows) {
    return buf_size(L, rows) + (is_max(L) ? rows * L->n_out : 0);
}

static void pool_forward(const nnbi_elem *t, const nnbi_layer *L, const void *params, const void *x,
                         size_t rows, void *z, void *work) {
    (void)params;
    nnbi_win g = geom(L);
    void *out = L->out_last ? z : work, *pos = nnbi_at(t, work, buf_size(L, rows));
    if (is_max(L))
        t->maxpool(&g, rows, x, out, pos);
    else
        t->avgpool(&g, rows, x, out);
    if (!L->out_last) t->transpose(rows, g.OH * g.OW, g.C, out, z);
}

static void pool_backward_params(const nnbi_elem *t, const nnbi_layer *L, const void *d,
                                 const void *x, size_t rows, void *grad, void *work) {
    (void)t, (void)L, (void)d, (void)x, (void)rows, (void)grad, (void)work;
}

static void pool_backward_input(const nnbi_elem *t, const nnbi_layer *L, const void *params,
                                const void *d, size_t rows, void *dx, void *work) {
    (void)params;
    nnbi_win g = geom(L);
    const void *dl = d;
    if (!L->out_last) {
        t->transpose(rows, g.C, g.OH * g.OW, d, work);
        dl = work;
    }
    if (is_max(L))
        t->maxpool_backward(&g, rows, dl, nnbi_at(t, work, buf_size(L, rows)), dx);
    else
        t->avgpool_backward(&g, rows, dl, dx);
}

static nnb_status pool_check_hp(const uint64_t *hp, const char *func) {
    for (int i = 0; i < 4; i++)
        if (hp[i] == 0 || hp[i] > NNBI_BLAS_MAX)
            return nnbi_error(NNB_E_FORMAT, func, "a pooling's hyper-parameter %d is %llu", i,
                              (unsigned long long)hp[i]);
    return NNB_OK;
}

#define POOL_KIND(kind_name, max)                                                                  \
  {                                                                                                \
    .name = kind_name, .spatial = 1, .shape = pool_shape, .describe = pool_describe,               \
    .init = pool_init, .workspace = pool_workspace, .column_bias = 0, .routes = max,               \
    .forward = pool_forward, .backward_params = pool_backward_params,                              \
    .backward_input = pool_backward_input, .update_sgd = NULL, .backward_pieces = NULL, .n_hp = 4, \
    .check_hp = pool_check_hp,                                                                     \
  }

const nnbi_kind nnbi_kind_maxpool = POOL_KIND("maxpool", 1);
const nnbi_kind nnbi_kind_avgpool = POOL_KIND("avgpool", 0);
