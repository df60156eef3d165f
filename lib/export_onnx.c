/*
 * ONNX export: the model description (export_internal.h) as an ONNX ModelProto (IR version 7,
 * opset 13), written by a small protobuf encoder of our own (the wire format: varints, 64- and
 * 32-bit little-endian values, length-delimited fields; field numbers from onnx.proto). Nothing
 * beyond libc: no protobuf library is linked, so nobody who never exports pays for it.
 *
 * The graph, for a model of raw inputs "input" (N x n_raw) and network type T:
 *   preparation, in float64 (as nnb_prep computes it), then rounded to T:
 *     Cast(double) -> [Div 255 or Mul scale, rounded to T as the IDX reader does]
 *     -> [Where(IsNaN, fill): the preparation's fill of missing values]
 *     -> Gather (each feature's raw column) -> Sub shift -> Div div          numbers
 *     -> Equal category values -> Cast -> Where(one-hot mask)                one-hot columns
 *     -> ReduceSum -> Equal count -> Where(0, NaN): a row with an unseen category gives NaN
 *   the network: Gemm (transB, W as n_out x n_in) + the activation, per dense layer; Conv
 *     (W as OIHW), MaxPool, AveragePool on [N, C, H, W] (a Reshape before the first, a Reshape
 *     to [N, C H W] before a dense layer and at the output); in float64, where onnxruntime has no
 *     Conv or AveragePool kernel, Gather of the windows then MatMul or ReduceMean
 *   the outputs: regression targets back in the data's units (Mul div, Add shift, in float64);
 *     "output" (N x n_outputs) and, for classifiers, "class" (N, int64: ArgMax, or p > 0.5 for
 *     one sigmoid output).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "export_internal.h"

/* ---- protobuf -------------------------------------------------------------------------------- */

enum { WIRE_VARINT = 0, WIRE_LEN = 2, WIRE_I32 = 5 };

static void pb_varint(nnbi_ex_buf *b, uint64_t v) {
    unsigned char t[10];
    size_t n = 0;
    do {
        t[n] = (unsigned char)(v & 0x7f);
        v >>= 7;
        if (v) t[n] |= 0x80;
        n++;
    } while (v);
    nnbi_ex_buf_put(b, t, n);
}

static void pb_tag(nnbi_ex_buf *b, unsigned field, unsigned wire) {
    pb_varint(b, (uint64_t)field << 3 | wire);
}

static void pb_int(nnbi_ex_buf *b, unsigned field, int64_t v) {
    pb_tag(b, field, WIRE_VARINT);
    pb_varint(b, (uint64_t)v);
}

static void pb_bytes(nnbi_ex_buf *b, unsigned field, const void *p, size_t n) {
    pb_tag(b, field, WIRE_LEN);
    pb_varint(b, n);
    nnbi_ex_buf_put(b, p, n);
}

static void pb_str(nnbi_ex_buf *b, unsigned field, const char *s) {
    pb_bytes(b, field, s, strlen(s));
}

/* A sub-message, and frees it. */
static void pb_sub(nnbi_ex_buf *b, unsigned field, nnbi_ex_buf *sub) {
    if (sub->oom && !b->oom) b->oom = sub->oom;
    pb_bytes(b, field, sub->p, sub->len);
    nnbi_ex_buf_free(sub);
}

static void pb_float(nnbi_ex_buf *b, unsigned field, float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    unsigned char t[4] = {(unsigned char)u, (unsigned char)(u >> 8), (unsigned char)(u >> 16),
                          (unsigned char)(u >> 24)};
    pb_tag(b, field, WIRE_I32);
    nnbi_ex_buf_put(b, t, 4);
}

/* ---- ONNX messages --------------------------------------------------------------------------- */

/* TensorProto.DataType */
enum { T_FLOAT = 1, T_INT64 = 7, T_BOOL = 9, T_DOUBLE = 11 };

typedef struct graph {
    nnbi_ex_buf nodes, inits; /* GraphProto's node (1) and initializer (5) entries */
    int next;                 /* the next value's number */
    int T;                    /* the network's type: T_FLOAT or T_DOUBLE */
} graph;

/* A value's name: t0, t1, ... */
typedef struct vname {
    char s[24];
} vname;

static vname fresh(graph *g) {
    vname v;
    snprintf(v.s, sizeof v.s, "t%d", g->next++);
    return v;
}

static void attr_int(nnbi_ex_buf *attrs, const char *name, int64_t v) {
    nnbi_ex_buf a = {0};
    pb_str(&a, 1, name);
    pb_int(&a, 20, 2); /* INT */
    pb_int(&a, 3, v);
    pb_sub(attrs, 5, &a);
}

static void attr_ints(nnbi_ex_buf *attrs, const char *name, const int64_t *v, int n) {
    nnbi_ex_buf a = {0};
    pb_str(&a, 1, name);
    pb_int(&a, 20, 7); /* INTS */
    for (int i = 0; i < n; i++) pb_int(&a, 8, v[i]);
    pb_sub(attrs, 5, &a);
}

static void attr_float(nnbi_ex_buf *attrs, const char *name, float v) {
    nnbi_ex_buf a = {0};
    pb_str(&a, 1, name);
    pb_int(&a, 20, 1); /* FLOAT */
    pb_float(&a, 2, v);
    pb_sub(attrs, 5, &a);
}

/* A node with inputs in[0..n_in) and one output; attrs (encoded attributes) may be NULL and is
 * freed. */
static void node(graph *g, const char *op, const char *const *in, int n_in, const char *out,
                 nnbi_ex_buf *attrs) {
    nnbi_ex_buf n = {0};
    for (int i = 0; i < n_in; i++) pb_str(&n, 1, in[i]);
    pb_str(&n, 2, out);
    char name[40];
    snprintf(name, sizeof name, "%s_%s", op, out);
    pb_str(&n, 3, name);
    pb_str(&n, 4, op);
    if (attrs) {
        nnbi_ex_buf_put(&n, attrs->p, attrs->len);
        if (attrs->oom) n.oom = attrs->oom;
        nnbi_ex_buf_free(attrs);
    }
    pb_sub(&g->nodes, 1, &n);
}

static vname op1(graph *g, const char *op, const char *a, nnbi_ex_buf *attrs) {
    vname v = fresh(g);
    node(g, op, &a, 1, v.s, attrs);
    return v;
}

static vname op2(graph *g, const char *op, const char *a, const char *b) {
    const char *in[2] = {a, b};
    vname v = fresh(g);
    node(g, op, in, 2, v.s, NULL);
    return v;
}

static vname op3(graph *g, const char *op, const char *a, const char *b, const char *c) {
    const char *in[3] = {a, b, c};
    vname v = fresh(g);
    node(g, op, in, 3, v.s, NULL);
    return v;
}

static vname cast(graph *g, const char *a, int to) {
    nnbi_ex_buf at = {0};
    attr_int(&at, "to", to);
    return op1(g, "Cast", a, &at);
}

/* An initializer of n values (dims[0..nd), nd 0 for a scalar) of type `type`: T_FLOAT and
 * T_DOUBLE from doubles (rounded to float for T_FLOAT), T_INT64 from ints, T_BOOL from ints. */
static void tensor(graph *g, const char *name, int type, const int64_t *dims, int nd,
                   const double *real, const int64_t *ints, size_t n) {
    nnbi_ex_buf t = {0};
    for (int i = 0; i < nd; i++) pb_int(&t, 1, dims[i]);
    pb_int(&t, 2, type);
    pb_str(&t, 8, name);
    size_t size = type == T_FLOAT ? 4 : type == T_BOOL ? 1 : 8;
    pb_tag(&t, 9, WIRE_LEN);
    pb_varint(&t, (uint64_t)n * size);
    for (size_t i = 0; i < n && !t.oom; i++) {
        unsigned char le[8];
        uint64_t u = 0;
        if (type == T_FLOAT) {
            float f = (float)real[i];
            uint32_t v32;
            memcpy(&v32, &f, 4);
            u = v32;
        } else if (type == T_DOUBLE) {
            memcpy(&u, &real[i], 8);
        } else {
            u = (uint64_t)ints[i];
        }
        for (size_t k = 0; k < size; k++) le[k] = (unsigned char)(u >> (8 * k));
        nnbi_ex_buf_put(&t, le, size);
    }
    pb_sub(&g->inits, 5, &t);
}

/* A scalar constant of type `type`, named name. */
static void scalar(graph *g, const char *name, int type, double v) {
    int64_t i = (int64_t)v;
    tensor(g, name, type, NULL, 0, &v, &i, 1);
}

static void vector(graph *g, const char *name, int type, const double *v, size_t n) {
    int64_t d = (int64_t)n;
    tensor(g, name, type, &d, 1, v, NULL, n);
}

/* ValueInfoProto of a tensor: dims < 0 are the symbolic batch dimension "N". */
static void value_info(nnbi_ex_buf *b, unsigned field, const char *name, int elem,
                       const int64_t *dims, int nd, const char *doc) {
    nnbi_ex_buf shape = {0}, tt = {0}, type = {0}, vi = {0};
    for (int i = 0; i < nd; i++) {
        nnbi_ex_buf d = {0};
        if (dims[i] < 0)
            pb_str(&d, 2, "N");
        else
            pb_int(&d, 1, dims[i]);
        pb_sub(&shape, 1, &d);
    }
    pb_int(&tt, 1, elem);
    pb_sub(&tt, 2, &shape);
    pb_sub(&type, 1, &tt);
    pb_str(&vi, 1, name);
    pb_sub(&vi, 2, &type);
    if (doc) pb_str(&vi, 3, doc);
    pb_sub(b, field, &vi);
}

/* ---- the graph ------------------------------------------------------------------------------- */

/* Per network input: the raw column it comes from, its shift, divisor and category value (NaN
 * for numbers), and whether it is one-hot. */
static nnb_status feature_tables(const nnbi_ex_model *m, int64_t **src, double **tab,
                                 const char *func) {
    size_t n = m->n_features;
    *src = malloc(n * sizeof **src);
    *tab = malloc(4 * n * sizeof **tab);
    if (!*src || !*tab) return nnbi_ex_fail(NNB_E_NOMEM, func, "out of memory");
    double *shift = *tab, *div = shift + n, *catv = div + n, *mask = catv + n;
    for (size_t i = 0; i < m->n_raw; i++) {
        const nnbi_ex_input *in = &m->inputs[i];
        size_t k = in->onehot ? in->n_cats : 1;
        for (size_t c = 0; c < k; c++) {
            size_t f = in->out + c;
            (*src)[f] = (int64_t)i;
            shift[f] = in->onehot ? 0 : in->shift;
            div[f] = in->onehot ? 1 : in->div;
            catv[f] = in->onehot ? in->cat_values[c] : NAN;
            mask[f] = in->onehot;
        }
    }
    return NNB_OK;
}

/* The fill of missing values: x = Where(IsNaN(x), fill, x) over the raw inputs, fill NaN (no
 * change) for the inputs the preparation does not fill. */
static nnb_status emit_fill(graph *g, const nnbi_ex_model *m, vname *x) {
    double *fill = malloc(m->n_raw * sizeof *fill);
    if (!fill) return NNB_E_NOMEM;
    for (size_t i = 0; i < m->n_raw; i++)
        fill[i] = m->inputs[i].fill ? m->inputs[i].fill_value : NAN;
    vector(g, "fill_value", T_DOUBLE, fill, m->n_raw);
    free(fill);
    *x = op3(g, "Where", op1(g, "IsNaN", x->s, NULL).s, "fill_value", x->s);
    return NNB_OK;
}

/* The preparation: "input" to the network's inputs (*h); *pen names the N x 1 penalty (0 or
 * NaN) of rows with an unseen category, or is empty. */
static nnb_status emit_prep(graph *g, const nnbi_ex_model *m, vname *h, vname *pen,
                            const char *func) {
    pen->s[0] = '\0';
    snprintf(h->s, sizeof h->s, "input");
    if (!m->has_prep) return NNB_OK;
    int f32 = g->T == T_FLOAT;
    vname x = f32 ? cast(g, "input", T_DOUBLE) : *h;
    if (m->input_scale != 1) {
        int bytes = m->input_scale == 1.0 / 255.0; /* the IDX reader divides by 255 */
        scalar(g, "input_scale", T_DOUBLE, bytes ? 255.0 : m->input_scale);
        x = op2(g, bytes ? "Div" : "Mul", x.s, "input_scale");
        if (f32) x = cast(g, cast(g, x.s, T_FLOAT).s, T_DOUBLE); /* read as float32 */
    }
    if (m->n_fill && emit_fill(g, m, &x) != NNB_OK)
        return nnbi_ex_fail(NNB_E_NOMEM, func, "out of memory");
    int64_t *src = NULL;
    double *tab = NULL;
    nnb_status st = feature_tables(m, &src, &tab, func);
    size_t n = m->n_features;
    if (st == NNB_OK && m->n_onehot) {
        int64_t d = (int64_t)n;
        tensor(g, "feature_column", T_INT64, &d, 1, NULL, src, n);
        nnbi_ex_buf at = {0};
        attr_int(&at, "axis", 1);
        const char *in[2] = {x.s, "feature_column"};
        vname v = fresh(g);
        node(g, "Gather", in, 2, v.s, &at);
        x = v;
    }
    int any_shift = 0, any_div = 0;
    for (size_t f = 0; f < n && tab; f++) any_shift |= tab[f] != 0, any_div |= tab[n + f] != 1;
    vname num = x;
    if (st == NNB_OK && any_shift) vector(g, "feature_shift", T_DOUBLE, tab, n);
    if (st == NNB_OK && any_shift) num = op2(g, "Sub", num.s, "feature_shift");
    if (st == NNB_OK && any_div) vector(g, "feature_div", T_DOUBLE, tab + n, n);
    if (st == NNB_OK && any_div) num = op2(g, "Div", num.s, "feature_div");
    if (st == NNB_OK && m->n_onehot) {
        vector(g, "category_value", T_DOUBLE, tab + 2 * n, n);
        for (size_t f = 0; f < n; f++) src[f] = tab[3 * n + f] != 0; /* the one-hot mask */
        int64_t d = (int64_t)n;
        tensor(g, "onehot_mask", T_BOOL, &d, 1, NULL, src, n);
        vname eq = cast(g, op2(g, "Equal", x.s, "category_value").s, T_DOUBLE);
        num = op3(g, "Where", "onehot_mask", eq.s, num.s);
        if (!m->unseen_zero) {
            int64_t one = 1;
            tensor(g, "axis_1", T_INT64, &one, 1, NULL, &one, 1);
            nnbi_ex_buf at = {0};
            attr_int(&at, "keepdims", 1);
            const char *in[2] = {eq.s, "axis_1"};
            vname cnt = fresh(g);
            node(g, "ReduceSum", in, 2, cnt.s, &at);
            scalar(g, "onehot_count", T_DOUBLE, (double)m->n_onehot);
            scalar(g, "zero", g->T, 0);
            scalar(g, "nan", g->T, NAN);
            *pen = op3(g, "Where", op2(g, "Equal", cnt.s, "onehot_count").s, "zero", "nan");
        }
    }
    *h = f32 ? cast(g, num.s, T_FLOAT) : num;
    free(src);
    free(tab);
    return st;
}

static vname emit_activation(graph *g, const nnbi_ex_layer *L, size_t l, vname z) {
    switch (L->act) {
    case NNB_ACT_SIGMOID:
        return op1(g, "Sigmoid", z.s, NULL);
    case NNB_ACT_TANH:
        return op1(g, "Tanh", z.s, NULL);
    case NNB_ACT_RELU:
        return op1(g, "Relu", z.s, NULL);
    case NNB_ACT_SOFTMAX: {
        nnbi_ex_buf at = {0};
        attr_int(&at, "axis", -1);
        return op1(g, "Softmax", z.s, &at);
    }
    case NNB_ACT_LEAKY_RELU: {
        if (g->T == T_FLOAT) {
            nnbi_ex_buf at = {0};
            attr_float(&at, "alpha", (float)L->slope);
            return op1(g, "LeakyRelu", z.s, &at);
        }
        /* onnxruntime has no float64 LeakyRelu: z > 0 ? z : slope * z, as nnblas computes it */
        char slope[40], zero[40];
        snprintf(slope, sizeof slope, "slope_%zu", l);
        snprintf(zero, sizeof zero, "zero_%zu", l);
        scalar(g, slope, T_DOUBLE, L->slope);
        scalar(g, zero, T_DOUBLE, 0);
        vname pos = op2(g, "Greater", z.s, zero);
        return op3(g, "Where", pos.s, z.s, op2(g, "Mul", z.s, slope).s);
    }
    default:
        return z;
    }
}

static vname emit_dense(graph *g, const nnbi_ex_layer *L, size_t l, vname h) {
    char w[32], b[32];
    snprintf(w, sizeof w, "W%zu", l);
    snprintf(b, sizeof b, "b%zu", l);
    int64_t dims[2] = {(int64_t)L->n_out, (int64_t)L->n_in};
    tensor(g, w, g->T, dims, 2, L->w, NULL, L->n_out * L->n_in);
    if (L->has_bias) vector(g, b, g->T, L->b, L->n_out);
    const char *in[3] = {h.s, w, b};
    nnbi_ex_buf at = {0};
    attr_int(&at, "transB", 1);
    vname z = fresh(g);
    node(g, "Gemm", in, L->has_bias ? 3 : 2, z.s, &at);
    return emit_activation(g, L, l, z);
}

/* ---- convolution and pooling ------------------------------------------------------------- */

/* h reshaped to [N, d0, d1, d2] (nd 3) or [N, d0] (nd 1); "0" keeps N, even when it is 0. */
static vname reshape(graph *g, vname h, size_t l, const char *tag, const size_t *d, int nd) {
    char shape[40];
    snprintf(shape, sizeof shape, "shape_%zu_%s", l, tag);
    int64_t v[4] = {0, 0, 0, 0}, n = nd + 1;
    for (int i = 0; i < nd; i++) v[i + 1] = (int64_t)d[i];
    tensor(g, shape, T_INT64, &n, 1, NULL, v, (size_t)n);
    return op2(g, "Reshape", h.s, shape);
}

/* The window's attributes (kernel_shape, strides, and for a convolution pads). */
static void window_attrs(nnbi_ex_buf *at, const nnbi_ex_layer *L) {
    const nnb_window *w = &L->win;
    int64_t k[2] = {(int64_t)w->kernel_h, (int64_t)w->kernel_w};
    int64_t st[2] = {(int64_t)w->stride_h, (int64_t)w->stride_w};
    int64_t pads[4] = {(int64_t)w->pad_top, (int64_t)w->pad_left, (int64_t)w->pad_bottom,
                       (int64_t)w->pad_right};
    attr_ints(at, "kernel_shape", k, 2);
    attr_ints(at, "strides", st, 2);
    if (L->kind == NNBE_CONV2D) attr_ints(at, "pads", pads, 4);
}

/* Conv, MaxPool or AveragePool on an image [N, C, H, W] (pooling has no padding, so
 * AveragePool's count_include_pad does not matter: every window divides by KH KW). */
static vname emit_window_op(graph *g, const nnbi_ex_layer *L, size_t l, vname h) {
    nnbi_ex_buf at = {0};
    window_attrs(&at, L);
    if (L->kind != NNBE_CONV2D)
        return op1(g, L->kind == NNBE_MAXPOOL ? "MaxPool" : "AveragePool", h.s, &at);
    char w[32], b[32];
    snprintf(w, sizeof w, "W%zu", l);
    snprintf(b, sizeof b, "b%zu", l);
    const nnb_window *win = &L->win;
    int64_t dims[4] = {(int64_t)L->rows, (int64_t)L->c, (int64_t)win->kernel_h,
                       (int64_t)win->kernel_w};
    tensor(g, w, g->T, dims, 4, L->w, NULL, L->rows * L->cols);
    if (L->has_bias) vector(g, b, g->T, L->b, L->rows);
    const char *in[3] = {h.s, w, b};
    vname z = fresh(g);
    node(g, "Conv", in, L->has_bias ? 3 : 2, z.s, &at);
    return z;
}

/* The windows of layer L as positions in a sample's flat input (c, y, x channel-major; C H W for
 * a padding zero): for a convolution [K = C KH KW][P = OH OW], for a pooling [C P][KH KW].
 * Sets *padded when some window reaches the padding. */
static int64_t *window_index(const nnbi_ex_layer *L, int *padded) {
    const nnb_window *w = &L->win;
    size_t P = L->oh * L->ow, KK = w->kernel_h * w->kernel_w, n = L->c * KK * P;
    int64_t *idx = malloc(n * sizeof *idx);
    if (!idx) return NULL;
    int64_t pad = (int64_t)(L->c * L->h * L->wd);
    *padded = 0;
    for (size_t c = 0; c < L->c; c++)
        for (size_t k = 0; k < KK; k++)
            for (size_t p = 0; p < P; p++) {
                long y = (long)((p / L->ow) * w->stride_h + k / w->kernel_w) - (long)w->pad_top;
                long x = (long)((p % L->ow) * w->stride_w + k % w->kernel_w) - (long)w->pad_left;
                int out = y < 0 || x < 0 || y >= (long)L->h || x >= (long)L->wd;
                *padded |= out;
                size_t at = L->kind == NNBE_CONV2D ? (c * KK + k) * P + p : (c * P + p) * KK + k;
                idx[at] = out ? pad : (int64_t)((c * L->h + (size_t)y) * L->wd + (size_t)x);
            }
    return idx;
}

/* A convolution or average pooling in float64, where onnxruntime has no kernel: the windows
 * gathered from the flat input h [N, C H W] (a zero appended when there is padding), then
 * MatMul by W [F, K] (+ b) or ReduceMean; the output flat [N, F OH OW] or [N, C OH OW]. */
static vname emit_window_gather(graph *g, const nnbi_ex_layer *L, size_t l, vname h, int *oom) {
    int padded;
    int64_t *idx = window_index(L, &padded);
    if (!idx) {
        *oom = 1;
        return h;
    }
    char name[40], w[32], b[32];
    const nnb_window *win = &L->win;
    size_t P = L->oh * L->ow, KK = win->kernel_h * win->kernel_w;
    if (padded) {
        int64_t four = 4, pads[4] = {0, 0, 0, 1};
        snprintf(name, sizeof name, "pads_%zu", l);
        tensor(g, name, T_INT64, &four, 1, NULL, pads, 4);
        h = op2(g, "Pad", h.s, name);
    }
    int conv = L->kind == NNBE_CONV2D;
    int64_t dims[2] = {(int64_t)(conv ? L->c * KK : L->c * P), (int64_t)(conv ? P : KK)};
    snprintf(name, sizeof name, "windows_%zu", l);
    tensor(g, name, T_INT64, dims, 2, NULL, idx, L->c * KK * P);
    free(idx);
    nnbi_ex_buf at = {0};
    attr_int(&at, "axis", 1);
    const char *in[2] = {h.s, name};
    vname cols = fresh(g);
    node(g, "Gather", in, 2, cols.s, &at);
    if (!conv) {
        int64_t axis = 2;
        nnbi_ex_buf rm = {0};
        attr_ints(&rm, "axes", &axis, 1);
        attr_int(&rm, "keepdims", 0);
        return op1(g, "ReduceMean", cols.s, &rm);
    }
    snprintf(w, sizeof w, "W%zu", l);
    snprintf(b, sizeof b, "b%zu", l);
    int64_t wd[2] = {(int64_t)L->rows, (int64_t)L->cols}, bd[2] = {(int64_t)L->rows, 1};
    tensor(g, w, g->T, wd, 2, L->w, NULL, L->rows * L->cols);
    vname z = op2(g, "MatMul", w, cols.s); /* [F, K] x [N, K, P] = [N, F, P] */
    if (L->has_bias) {
        tensor(g, b, g->T, bd, 2, L->b, NULL, L->rows);
        z = op2(g, "Add", z.s, b);
    }
    size_t flat = L->rows * P;
    return reshape(g, z, l, "out", &flat, 1);
}

/* The layers; h is [N, features]. Between two spatial layers the values are images [N, C, H,
 * W]; a dense layer and the output take them flat, channel-major (as the library flattens). */
static vname emit_layers(graph *g, const nnbi_ex_model *m, vname h, int *oom) {
    int img = 0;
    for (size_t l = 0; l < m->n_layers; l++) {
        const nnbi_ex_layer *L = &m->layers[l];
        size_t shape[3] = {L->c, L->h, L->wd}, flat = L->c * L->h * L->wd;
        if (L->kind == NNBE_DENSE) {
            if (img) h = reshape(g, h, l, "in", &flat, 1);
            img = 0;
            h = emit_dense(g, L, l, h);
            continue;
        }
        /* onnxruntime has no float64 Conv or AveragePool (1.31): those are gathered */
        int native = g->T == T_FLOAT || L->kind == NNBE_MAXPOOL;
        if (native && !img) h = reshape(g, h, l, "in", shape, 3);
        if (!native && img) h = reshape(g, h, l, "in", &flat, 1);
        h = native ? emit_window_op(g, L, l, h) : emit_window_gather(g, L, l, h, oom);
        img = native;
        if (img && l + 1 == m->n_layers) { /* the output: flat (and softmax over the row) */
            size_t out = L->n_out;
            h = reshape(g, h, l, "out", &out, 1);
            img = 0;
        }
        if (L->kind == NNBE_CONV2D) h = emit_activation(g, L, l, h);
    }
    return h;
}

/* The outputs: "output" and, for a classifier, "class". */
static void emit_outputs(graph *g, const nnbi_ex_model *m, vname y, const vname *pen) {
    if (m->unscale) {
        int f32 = g->T == T_FLOAT;
        vname yd = f32 ? cast(g, y.s, T_DOUBLE) : y;
        vector(g, "target_div", T_DOUBLE, m->out_div, m->n_outputs);
        vector(g, "target_shift", T_DOUBLE, m->out_shift, m->n_outputs);
        yd = op2(g, "Add", op2(g, "Mul", yd.s, "target_div").s, "target_shift");
        y = f32 ? cast(g, yd.s, T_FLOAT) : yd;
    }
    if (pen->s[0]) y = op2(g, "Add", y.s, pen->s);
    const char *in = y.s;
    node(g, "Identity", &in, 1, "output", NULL);
    if (!m->n_classes) return;
    if (m->binary) {
        scalar(g, "half", g->T, 0.5);
        vname c = cast(g, op2(g, "Greater", "output", "half").s, T_INT64);
        int64_t flat = -1, one = 1;
        tensor(g, "flat", T_INT64, &one, 1, NULL, &flat, 1);
        const char *ins[2] = {c.s, "flat"};
        node(g, "Reshape", ins, 2, "class", NULL);
        return;
    }
    nnbi_ex_buf at = {0};
    attr_int(&at, "axis", 1);
    attr_int(&at, "keepdims", 0);
    const char *o = "output";
    node(g, "ArgMax", &o, 1, "class", &at);
}

/* ---- documentation and metadata -------------------------------------------------------------- */

static void doc_inputs(nnbi_ex_buf *d, const nnbi_ex_model *m) {
    nnbi_ex_buf_printf(d, "N rows of %zu raw values", m->n_raw);
    if (m->input_scale == 1.0 / 255.0)
        nnbi_ex_buf_printf(d, " (image bytes 0-255: the graph divides them by 255)");
    else if (m->input_scale != 1)
        nnbi_ex_buf_printf(d, " (the graph multiplies them by %.17g)", m->input_scale);
    nnbi_ex_buf_printf(d, "%s",
                       m->has_prep ? ", prepared inside the graph as nnblas predict "
                                     "prepares them: "
                                   : ": ");
    for (size_t i = 0; i < m->n_raw && i < 40; i++) {
        const nnbi_ex_input *in = &m->inputs[i];
        nnbi_ex_buf_printf(d, "%s", i ? ", " : "");
        nnbi_ex_buf_text(d, in->name);
        nnbi_ex_buf_printf(d, "%s",
                           in->text     ? " (the index of its category in metadata nnblas.inputs)"
                           : in->onehot ? " (one of its categories in nnblas.inputs)"
                                        : "");
    }
    if (m->n_raw > 40) nnbi_ex_buf_printf(d, ", ... (%zu more)", m->n_raw - 40);
}

static void meta_prop(nnbi_ex_buf *model, const char *key, const nnbi_ex_buf *value) {
    nnbi_ex_buf e = {0};
    pb_str(&e, 1, key);
    pb_bytes(&e, 2, value->p ? value->p : (const unsigned char *)"", value->len);
    if (value->oom) e.oom = value->oom;
    pb_sub(model, 14, &e);
}

static void json_inputs(nnbi_ex_buf *j, const nnbi_ex_model *m) {
    nnbi_ex_buf_put(j, "[", 1);
    for (size_t i = 0; i < m->n_raw; i++) {
        const nnbi_ex_input *in = &m->inputs[i];
        nnbi_ex_buf_printf(j, "%s{\"name\":", i ? "," : "");
        nnbi_ex_buf_json(j, in->name);
        nnbi_ex_buf_printf(j, ",\"kind\":\"%s\"",
                           in->text     ? "text-category"
                           : in->onehot ? "category"
                                        : "number");
        if (in->onehot) {
            nnbi_ex_buf_put(j, ",\"categories\":[", 15);
            for (size_t k = 0; k < in->n_cats; k++) {
                if (k) nnbi_ex_buf_put(j, ",", 1);
                nnbi_ex_buf_json(j, nnbi_ex_category(m, i, k));
            }
            nnbi_ex_buf_put(j, "]", 1);
        } else if (in->shift != 0 || in->div != 1) {
            nnbi_ex_buf_printf(j, ",\"shift\":%.17g,\"divisor\":%.17g", in->shift, in->div);
        }
        if (in->fill) nnbi_ex_buf_printf(j, ",\"fill\":%.17g", in->fill_value);
        nnbi_ex_buf_put(j, "}", 1);
    }
    nnbi_ex_buf_put(j, "]", 1);
}

static void json_strings(nnbi_ex_buf *j, const char *const *s, size_t n) {
    nnbi_ex_buf_put(j, "[", 1);
    for (size_t i = 0; i < n; i++) {
        if (i) nnbi_ex_buf_put(j, ",", 1);
        nnbi_ex_buf_json(j, s[i]);
    }
    nnbi_ex_buf_put(j, "]", 1);
}

static void metadata(nnbi_ex_buf *model, const nnbi_ex_model *m) {
    nnbi_ex_buf v = {0};
    json_inputs(&v, m);
    meta_prop(model, "nnblas.inputs", &v);
    nnbi_ex_buf_free(&v);
    json_strings(&v, m->output_names, m->n_outputs);
    meta_prop(model, "nnblas.outputs", &v);
    nnbi_ex_buf_free(&v);
    if (m->n_classes) {
        json_strings(&v, m->class_labels, m->n_classes);
        meta_prop(model, "nnblas.classes", &v);
        nnbi_ex_buf_free(&v);
    }
    nnbi_ex_buf_printf(&v, "%.17g", m->input_scale);
    meta_prop(model, "nnblas.input_scale", &v);
    nnbi_ex_buf_free(&v);
    nnbi_ex_buf_printf(&v, "%s", m->unseen_zero ? "zero" : "nan");
    meta_prop(model, "nnblas.unseen_category", &v);
    nnbi_ex_buf_free(&v);
    nnbi_ex_buf_printf(&v, "%s", nnb_dtype_name(m->dtype));
    meta_prop(model, "nnblas.dtype", &v);
    nnbi_ex_buf_free(&v);
    for (size_t i = 0; i < nnb_meta_n_keys(m->meta); i++) { /* as well-formed UTF-8 */
        nnbi_ex_buf key = {0};
        nnbi_ex_buf_put(&key, "model.", 6);
        nnbi_ex_buf_text(&key, nnb_meta_key(m->meta, i));
        nnbi_ex_buf_put(&key, "", 1);
        nnbi_ex_buf_text(&v, nnb_meta_value(m->meta, i));
        if (key.oom)
            model->oom = key.oom;
        else
            meta_prop(model, (const char *)key.p, &v);
        nnbi_ex_buf_free(&key);
        nnbi_ex_buf_free(&v);
    }
}

/* ---- the model ------------------------------------------------------------------------------- */

static nnb_status build_graph(graph *g, const nnbi_ex_model *m, const char *name, nnbi_ex_buf *gr,
                              const char *func) {
    vname h, pen;
    nnb_status st = emit_prep(g, m, &h, &pen, func);
    if (st != NNB_OK) return st;
    int oom = 0;
    h = emit_layers(g, m, h, &oom);
    if (oom) return nnbi_ex_fail(NNB_E_NOMEM, func, "out of memory");
    emit_outputs(g, m, h, &pen);
    nnbi_ex_buf_put(gr, g->nodes.p, g->nodes.len);
    pb_str(gr, 2, name);
    nnbi_ex_buf_put(gr, g->inits.p, g->inits.len);
    if (g->nodes.oom || g->inits.oom) gr->oom = g->nodes.oom | g->inits.oom;
    nnbi_ex_buf doc = {0};
    doc_inputs(&doc, m);
    nnbi_ex_buf_put(&doc, "", 1);
    int64_t in_dims[2] = {-1, (int64_t)m->n_raw}, out_dims[2] = {-1, (int64_t)m->n_outputs};
    value_info(gr, 11, "input", g->T, in_dims, 2, doc.oom ? "" : (const char *)doc.p);
    nnbi_ex_buf_free(&doc);
    value_info(gr, 12, "output", g->T, out_dims, 2,
               m->n_classes ? "N rows of class probabilities (metadata nnblas.outputs)"
               : m->unscale ? "N rows of predicted targets, in the data's units"
                            : "N rows of network outputs (metadata nnblas.outputs)");
    if (m->n_classes)
        value_info(gr, 12, "class", T_INT64, in_dims, 1,
                   "N predicted classes: indices into metadata nnblas.classes");
    return NNB_OK;
}

nnb_status nnbi_ex_onnx_write(const nnbi_ex_model *m, const nnb_export_opts *o, nnbi_ex_buf *out,
                              const char *func) {
    nnbi_ex_locale loc;
    nnb_status st = nnbi_ex_locale_c(&loc, func); /* numbers in the metadata with '.' */
    if (st != NNB_OK) return st;
    graph g = {{0}, {0}, 0, m->dtype == NNB_F32 ? T_FLOAT : T_DOUBLE};
    nnbi_ex_buf gr = {0}, opset = {0};
    st = build_graph(&g, m, o ? o->name : "model", &gr, func);
    nnbi_ex_buf_free(&g.nodes);
    nnbi_ex_buf_free(&g.inits);
    if (st == NNB_OK) {
        pb_int(out, 1, 7); /* IR version 7 */
        pb_str(out, 2, "nnblas");
        pb_str(out, 3, nnb_version_string());
        pb_str(out, 6, "A network trained with nnblas, with its data preparation (nnblas export)");
        pb_sub(out, 7, &gr);
        pb_str(&opset, 1, "");
        pb_int(&opset, 2, 13);
        pb_sub(out, 8, &opset);
        metadata(out, m);
    }
    nnbi_ex_buf_free(&gr);
    nnbi_ex_locale_restore(&loc);
    if (st == NNB_OK && out->oom)
        st = out->oom == 2 ? nnbi_ex_fail(NNB_E_TOO_LARGE, func,
                                          "the ONNX file would exceed 2 GB, "
                                          "protobuf's limit")
                           : nnbi_ex_fail(NNB_E_NOMEM, func, "out of memory");
    return st;
}
