/*
 * The exporters' description of a model (export_internal.h): a network, its preparation and
 * its metadata read through the public getters, plus the helpers both writers use (messages,
 * byte buffers, the C locale for numbers, atomic files).
 */
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "atomic_file.h"
#include "export_internal.h"

/* ---- helpers --------------------------------------------------------------------------------- */

nnb_status nnbi_ex_fail(nnb_status status, const char *func, const char *fmt, ...) {
    char msg[1024];
    int n = snprintf(msg, sizeof msg, "%s: ", func);
    if (n < 0 || (size_t)n >= sizeof msg) n = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg + n, sizeof msg - (size_t)n, fmt, ap);
    va_end(ap);
    return nnb_set_error(status, msg);
}

void nnbi_ex_buf_put(nnbi_ex_buf *b, const void *data, size_t n) {
    if (b->oom || n == 0) return;
    if (n > NNBE_MAX_BYTES - b->len) {
        b->oom = 2; /* too large */
        return;
    }
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n) cap = cap > NNBE_MAX_BYTES / 2 ? NNBE_MAX_BYTES : 2 * cap;
        unsigned char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
}

void nnbi_ex_buf_printf(nnbi_ex_buf *b, const char *fmt, ...) {
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->oom = 1;
        return;
    }
    if ((size_t)n < sizeof small) {
        nnbi_ex_buf_put(b, small, (size_t)n);
        return;
    }
    char *big = malloc((size_t)n + 1);
    if (!big) {
        b->oom = 1;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    nnbi_ex_buf_put(b, big, (size_t)n);
    free(big);
}

void nnbi_ex_buf_free(nnbi_ex_buf *b) {
    free(b->p);
    memset(b, 0, sizeof *b);
}

/* The length of the well-formed UTF-8 sequence at p (1 to 4 bytes), or 0: the lead byte gives
 * the length and the range of the second byte (no overlong forms, no surrogates, nothing past
 * U+10FFFF), the other continuation bytes are 10xxxxxx. */
static size_t utf8_sequence(const unsigned char *p) {
    unsigned c = p[0];
    if (c < 0x80) return 1;
    size_t n;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    else
        return 0;
    if (p[1] < lo || p[1] > hi) return 0;
    for (size_t k = 2; k < n; k++)
        if ((p[k] & 0xC0) != 0x80) return 0;
    return n;
}

void nnbi_ex_buf_text(nnbi_ex_buf *b, const char *s) {
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        size_t n = utf8_sequence(p);
        nnbi_ex_buf_put(b, n ? (const void *)p : "\xEF\xBF\xBD", n ? n : 3); /* U+FFFD */
        p += n ? n : 1;
    }
}

void nnbi_ex_buf_json(nnbi_ex_buf *b, const char *s) {
    nnbi_ex_buf_put(b, "\"", 1);
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        size_t n = utf8_sequence(p);
        if (*p == '"' || *p == '\\')
            nnbi_ex_buf_printf(b, "\\%c", *p);
        else if (*p < 0x20)
            nnbi_ex_buf_printf(b, "\\u%04x", *p);
        else if (n == 0)
            nnbi_ex_buf_put(b, "\\ufffd", 6);
        else
            nnbi_ex_buf_put(b, p, n);
        p += n ? n : 1;
    }
    nnbi_ex_buf_put(b, "\"", 1);
}

nnb_status nnbi_ex_locale_c(nnbi_ex_locale *l, const char *func) {
    l->mine = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    if (!l->mine) return nnbi_ex_fail(NNB_E_NOMEM, func, "cannot make the C locale");
    l->old = uselocale(l->mine);
    return NNB_OK;
}

void nnbi_ex_locale_restore(nnbi_ex_locale *l) {
    if (!l->mine) return;
    uselocale(l->old);
    freelocale(l->mine);
    l->mine = (locale_t)0;
}

static nnb_status check_target(const char *path, nnbi_atomic *a, const char *func) {
    char err[512];
    int e = nnbi_output_check(path, a, err, sizeof err);
    if (e) return nnbi_ex_fail(NNB_E_IO, func, "%s", err);
    return NNB_OK;
}

nnb_status nnbi_ex_check_path(const char *path, const char *func) {
    nnbi_atomic *a = malloc(sizeof *a);
    if (!a) return nnbi_ex_fail(NNB_E_NOMEM, func, "out of memory");
    nnb_status st = check_target(path, a, func);
    free(a);
    return st;
}

nnb_status nnbi_ex_write_file(const char *path, const nnbi_ex_buf *b, const char *func) {
    nnbi_atomic *a = malloc(sizeof *a);
    if (!a) return nnbi_ex_fail(NNB_E_NOMEM, func, "out of memory");
    char err[512];
    nnb_status st = NNB_OK;
    if (nnbi_atomic_open(a, path, err, sizeof err) != 0) {
        st = nnbi_ex_fail(NNB_E_IO, func, "%s", err);
    } else if (nnbi_write_all(NULL, a->fd, b->p, b->len) != 0) {
        int e = errno;
        st = nnbi_ex_fail(NNB_E_IO, func, "writing %s: %s", path, strerror(e ? e : EIO));
        nnbi_atomic_abort(a);
    } else if (nnbi_atomic_commit(a, NULL, err, sizeof err) != 0) {
        st = nnbi_ex_fail(NNB_E_IO, func, "%s", err);
    }
    free(a);
    return st;
}

/* ---- reading a model ------------------------------------------------------------------------- */

void nnbi_ex_model_free(nnbi_ex_model *m) {
    for (size_t i = 0; m->inputs && i < m->n_raw; i++) free(m->inputs[i].cat_values);
    for (size_t l = 0; m->layers && l < m->n_layers; l++) {
        free(m->layers[l].w);
        free(m->layers[l].b);
        free(m->layers[l].scale);
        free(m->layers[l].q);
    }
    free(m->inputs);
    free(m->names);
    free(m->layers);
    free(m->out_shift);
    free(m->out_div);
    free(m->class_labels);
    free(m->label_store);
    free(m->output_names);
    free(m->output_store);
    memset(m, 0, sizeof *m);
}

/* The value a numeric category's label stands for ("2.5"), whatever the process's locale: 1, 0
 * if it is not a number, -1 if the C locale could not be made (out of memory). */
static int parse_label(const char *s, double *v) {
    nnbi_ex_locale l;
    if (nnbi_ex_locale_c(&l, "") != NNB_OK) return -1;
    char *end = NULL;
    errno = 0;
    *v = strtod(s, &end);
    int ok = end != s && *end == '\0' && errno == 0 && isfinite(*v);
    nnbi_ex_locale_restore(&l);
    return ok;
}

/* The shift and divisor nnb_prep applies to numeric column `name` ((v - shift) / div). */
static nnb_status column_scaling(const nnb_prep *prep, const char *name, double *shift, double *div,
                                 const char *func) {
    nnb_scale how;
    double a, b;
    int constant;
    if (nnb_prep_column_stats(prep, name, &how, &a, &b, &constant) != NNB_OK)
        return nnbi_ex_fail(NNB_E_INTERNAL, func, "no statistics for column '%s': %s", name,
                            nnb_last_error());
    *shift = 0;
    *div = 1;
    if (how == NNB_SCALE_STANDARD) {
        *shift = a;
        if (!constant) *div = b;
    } else if (how == NNB_SCALE_MINMAX) {
        *shift = a;
        if (!constant) *div = b - a;
    }
    return NNB_OK;
}

/* The categories of one-hot input `in` (prep column i) as the values they compare equal to, in
 * the network's type: two that a float32 model cannot tell apart are refused. */
static nnb_status read_categories(const nnb_prep *prep, size_t i, nnbi_ex_input *in, nnb_dtype dt,
                                  const char *func) {
    in->cat_values = malloc(in->n_cats * sizeof *in->cat_values);
    if (!in->cat_values) return nnbi_ex_fail(NNB_E_NOMEM, func, "out of memory");
    for (size_t k = 0; k < in->n_cats; k++) {
        const char *label = nnb_prep_column_category(prep, i, k);
        double v = (double)k;
        int parsed = in->text ? 1 : label ? parse_label(label, &v) : 0;
        if (parsed < 0) return nnbi_ex_fail(NNB_E_NOMEM, func, "out of memory");
        if (parsed == 0)
            return nnbi_ex_fail(NNB_E_FORMAT, func, "category '%s' of column '%s' is not a number",
                                label ? label : "?", in->name);
        if (dt == NNB_F32 && !in->text) {
            if (fabs(v) > 3.4028234663852886e+38)
                return nnbi_ex_fail(NNB_E_UNSUPPORTED, func,
                                    "category '%s' of column '%s' is "
                                    "beyond float32's range",
                                    label, in->name);
            v = (double)(float)v;
        }
        in->cat_values[k] = v;
        for (size_t j = 0; j < k; j++)
            if (in->cat_values[j] == v)
                return nnbi_ex_fail(NNB_E_UNSUPPORTED, func,
                                    "categories '%s' and '%s' of column '%s' are the same float32 "
                                    "number: a float32 export cannot tell them apart (export a "
                                    "float64 model)",
                                    nnb_prep_column_category(prep, i, j), label, in->name);
    }
    return NNB_OK;
}

/* The raw inputs of a model without a preparation: the network's inputs, x0, x1, ... */
static nnb_status read_plain_inputs(nnbi_ex_model *m, size_t n, const char *func) {
    m->names = malloc(n * 24);
    if (!m->names) return nnbi_ex_fail(NNB_E_NOMEM, func, "out of memory");
    for (size_t i = 0; i < n; i++) {
        char *name = m->names + i * 24;
        snprintf(name, 24, "x%zu", i);
        m->inputs[i].name = name;
        m->inputs[i].out = i;
        m->inputs[i].div = 1;
    }
    m->n_raw = n;
    return NNB_OK;
}

/* The fill of input `in`'s missing values, if its preparation fills them: a number, or the value
 * its fill category compares equal to (for a text column, the category's index). */
static nnb_status read_fill(const nnb_prep *prep, nnbi_ex_input *in, nnb_dtype dt,
                            const char *func) {
    nnb_fill how = NNB_FILL_NONE;
    double value = NAN;
    const char *cat = NULL;
    if (nnb_prep_column_fill(prep, in->name, &how, &value, &cat) != NNB_OK)
        return nnbi_ex_fail(NNB_E_INTERNAL, func, "%s", nnb_last_error());
    if (how == NNB_FILL_NONE) return NNB_OK;
    if (in->onehot) {
        value = NAN;
        for (size_t k = 0; cat && k < in->n_cats; k++) {
            const char *label = nnb_prep_column_category(prep, in->column, k);
            if (label && strcmp(label, cat) == 0) value = in->cat_values[k];
        }
        if (isnan(value))
            return nnbi_ex_fail(NNB_E_INTERNAL, func,
                                "the fill category of column '%s' is none of its categories",
                                in->name);
    } else if (!isfinite(value)) {
        return nnbi_ex_fail(NNB_E_INTERNAL, func, "column '%s' has no finite fill value", in->name);
    } else if (dt == NNB_F32 && fabs(value) > 3.4028234663852886e+38) {
        return nnbi_ex_fail(NNB_E_UNSUPPORTED, func,
                            "the fill value of column '%s' is beyond float32's range", in->name);
    }
    in->fill = 1;
    in->fill_value = value;
    return NNB_OK;
}

/* The raw inputs of a preparation: its feature columns in order (targets are not inputs). */
static nnb_status read_prep_inputs(nnbi_ex_model *m, const nnb_prep *prep, const char *func) {
    size_t nc = nnb_prep_n_columns(prep), out = 0;
    for (size_t i = 0; i < nc; i++) {
        const char *name;
        int is_target, is_text;
        size_t n_cats;
        if (nnb_prep_column_info(prep, i, &name, &is_target, &is_text, &n_cats) != NNB_OK)
            return nnbi_ex_fail(NNB_E_INTERNAL, func, "%s", nnb_last_error());
        if (is_target) continue;
        nnbi_ex_input *in = &m->inputs[m->n_raw++];
        in->name = name;
        in->column = i;
        in->out = out;
        in->onehot = n_cats > 0;
        in->text = is_text && n_cats > 0;
        in->n_cats = n_cats;
        in->div = 1;
        nnb_status st = in->onehot ? read_categories(prep, i, in, m->dtype, func)
                                   : column_scaling(prep, name, &in->shift, &in->div, func);
        if (st == NNB_OK) st = read_fill(prep, in, m->dtype, func);
        if (st != NNB_OK) return st;
        m->n_fill += in->fill;
        out += in->onehot ? n_cats : 1;
        m->n_onehot += in->onehot;
        if (in->onehot || in->shift != 0 || in->div != 1 || in->fill) m->has_prep = 1;
    }
    if (out != m->n_features)
        return nnbi_ex_fail(NNB_E_INTERNAL, func, "the preparation gives %zu features, not %zu",
                            out, m->n_features);
    return NNB_OK;
}

static nnb_status read_inputs(nnbi_ex_model *m, const nnb_prep *prep, const nnb_export_opts *o,
                              const char *func) {
    size_t n = m->n_features;
    if (prep && !nnb_prep_is_fitted(prep))
        return nnbi_ex_fail(NNB_E_INVALID_ARG, func, "the preparation is not fitted");
    if (prep && nnb_prep_n_features(prep) != n)
        return nnbi_ex_fail(NNB_E_SHAPE, func,
                            "the preparation gives %zu features, the network "
                            "takes %zu inputs",
                            nnb_prep_n_features(prep), n);
    size_t cap = prep ? nnb_prep_n_columns(prep) : n;
    m->inputs = calloc(cap ? cap : 1, sizeof *m->inputs);
    if (!m->inputs) return nnbi_ex_fail(NNB_E_NOMEM, func, "out of memory");
    nnb_status st = prep ? read_prep_inputs(m, prep, func) : read_plain_inputs(m, n, func);
    if (st != NNB_OK) return st;
    nnb_unseen unseen = NNB_UNSEEN_ERROR;
    if (prep) nnb_prep_get_unseen(prep, &unseen);
    m->unseen_zero = unseen == NNB_UNSEEN_ZERO;
    double scale = o ? o->input_scale : 0;
    if (scale == 0) { /* automatic: a model trained on IDX images takes the bytes */
        const char *data = nnb_meta_get(m->meta, "data");
        scale = data && strncmp(data, "idx:", 4) == 0 ? 1.0 / 255.0 : 1.0;
    }
    if (scale != 1 && m->n_onehot > 0)
        return nnbi_ex_fail(NNB_E_INVALID_ARG, func,
                            "an input scale applies to numeric inputs "
                            "only, and the model has one-hot inputs");
    m->input_scale = scale;
    if (scale != 1) m->has_prep = 1;
    return NNB_OK;
}

nnb_status nnbi_ex_layer_kind(const nnb_net *net, size_t l, int *kind, size_t *rows, size_t *cols,
                              const char *func) {
    static const char *const kinds[] = {"dense", "conv2d", "maxpool", "avgpool"};
    const char *name = nnb_net_layer_kind(net, l);
    int k = -1;
    for (int i = 0; name && i < 4; i++)
        if (strcmp(name, kinds[i]) == 0) k = i;
    if (k < 0)
        return nnbi_ex_fail(NNB_E_UNSUPPORTED, func,
                            "layer %zu is of kind '%s', which this version does not export", l + 1,
                            name ? name : "?");
    size_t ni, no, w_off, b_off, n_filters = 0;
    int bias;
    nnb_window win;
    if (nnb_net_layer_info(net, l, &ni, &no, NULL, &bias, &w_off, &b_off) != NNB_OK ||
        (k != NNBE_DENSE && nnb_net_layer_window(net, l, &win, &n_filters) != NNB_OK))
        return nnbi_ex_fail(NNB_E_INTERNAL, func, "%s", nnb_last_error());
    size_t r = k == NNBE_DENSE ? no : k == NNBE_CONV2D ? n_filters : 0;
    size_t c = r ? (b_off - w_off) / r : 0;
    /* the parameters, by their offsets: rows x cols weights, then the biases */
    if (b_off < w_off || (r && (b_off - w_off) % r != 0) ||
        nnb_net_layer_n_params(net, l) != r * c + (bias ? r : 0) || (k == NNBE_DENSE && c != ni))
        return nnbi_ex_fail(NNB_E_INTERNAL, func,
                            "layer %zu's parameters are not laid out as "
                            "this version expects",
                            l + 1);
    *kind = k;
    if (rows) *rows = r;
    if (cols) *cols = c;
    return NNB_OK;
}

/* Layer l's shapes: its input (the previous layer's output, or the network's input shape) and
 * output, and its window. */
static nnb_status read_shapes(nnbi_ex_layer *L, const nnb_net *net, size_t l, const char *func) {
    nnb_status st = l ? nnb_net_layer_shape(net, l - 1, &L->c, &L->h, &L->wd)
                      : nnb_net_get_input_shape(net, &L->c, &L->h, &L->wd);
    if (st == NNB_OK) st = nnb_net_layer_shape(net, l, &L->oc, &L->oh, &L->ow);
    if (st == NNB_OK && L->kind != NNBE_DENSE) st = nnb_net_layer_window(net, l, &L->win, NULL);
    if (st != NNB_OK) return nnbi_ex_fail(NNB_E_INTERNAL, func, "%s", nnb_last_error());
    if (L->kind == NNBE_DENSE) {
        L->c = L->n_in;
        L->h = L->wd = 1;
    }
    return NNB_OK;
}

static nnb_status read_layers(nnbi_ex_model *m, const nnb_net *net, const char *func) {
    m->n_layers = nnb_net_n_layers(net);
    m->layers = calloc(m->n_layers, sizeof *m->layers);
    if (!m->layers) return nnbi_ex_fail(NNB_E_NOMEM, func, "out of memory");
    for (size_t l = 0; l < m->n_layers; l++) {
        nnbi_ex_layer *L = &m->layers[l];
        nnb_status st = nnbi_ex_layer_kind(net, l, &L->kind, &L->rows, &L->cols, func);
        if (st != NNB_OK) return st;
        if (nnb_net_layer_info(net, l, &L->n_in, &L->n_out, &L->act, &L->has_bias, NULL, NULL) !=
            NNB_OK)
            return nnbi_ex_fail(NNB_E_INTERNAL, func, "%s", nnb_last_error());
        if (L->act == NNB_ACT_LEAKY_RELU && nnb_net_get_leaky_slope(net, l, &L->slope) != NNB_OK)
            return nnbi_ex_fail(NNB_E_INTERNAL, func, "%s", nnb_last_error());
        st = read_shapes(L, net, l, func);
        if (st != NNB_OK) return st;
        if (L->rows == 0) continue; /* a pooling: no parameters */
        size_t nw = L->rows * L->cols;
        L->w = malloc(nw * sizeof *L->w);
        L->b = L->has_bias ? malloc(L->rows * sizeof *L->b) : NULL;
        if (!L->w || (L->has_bias && !L->b))
            return nnbi_ex_fail(NNB_E_NOMEM, func, "out of memory");
        if (nnb_net_layer_get(net, l, L->w, nw, L->b, L->has_bias ? L->rows : 0) != NNB_OK)
            return nnbi_ex_fail(NNB_E_INTERNAL, func, "%s", nnb_last_error());
    }
    return NNB_OK;
}

/* The classes, as nnblas predict finds them: the preparation's, else those of an IDX model's
 * metadata ("task" classification, labels "class.K"). */
static nnb_status read_classes(nnbi_ex_model *m, const nnb_prep *prep, const char *func) {
    size_t n_out = m->n_outputs, k = nnb_prep_n_classes(prep);
    const char *task = nnb_meta_get(m->meta, "task");
    if (k == 0 && nnb_prep_n_targets(prep) == 0 && task && strcmp(task, "classification") == 0)
        k = n_out == 1 ? 2 : n_out;
    if (k != n_out && !(n_out == 1 && k == 2)) k = 0; /* classes must map onto the outputs */
    m->n_classes = k;
    m->binary = k == 2 && n_out == 1;
    if (k == 0) return NNB_OK;
    m->class_labels = calloc(k, sizeof *m->class_labels);
    m->label_store = malloc(k * 24);
    if (!m->class_labels || !m->label_store)
        return nnbi_ex_fail(NNB_E_NOMEM, func, "out of memory");
    for (size_t c = 0; c < k; c++) {
        char key[40];
        snprintf(key, sizeof key, "class.%zu", c);
        const char *label = nnb_prep_class_label(prep, c);
        if (!label) label = nnb_meta_get(m->meta, key);
        if (!label) {
            snprintf(m->label_store + c * 24, 24, "%zu", c);
            label = m->label_store + c * 24;
        }
        m->class_labels[c] = label;
    }
    return NNB_OK;
}

/* Regression outputs in the data's units (as nnblas predict writes them), and the outputs'
 * names. */
static nnb_status read_outputs(nnbi_ex_model *m, const nnb_prep *prep, const char *func) {
    size_t n = m->n_outputs;
    nnb_status st = read_classes(m, prep, func);
    if (st != NNB_OK) return st;
    m->output_names = calloc(n, sizeof *m->output_names);
    size_t room = 0;
    for (size_t j = 0; j < n; j++) {
        const char *t =
            m->n_classes ? m->class_labels[m->binary ? 1 : j] : nnb_prep_target_name(prep, j);
        room += (t ? strlen(t) : 0) + 24;
    }
    m->output_store = malloc(room);
    if (!m->output_names || !m->output_store)
        return nnbi_ex_fail(NNB_E_NOMEM, func, "out of memory");
    char *p = m->output_store;
    for (size_t j = 0; j < n; j++) {
        const char *t =
            m->n_classes ? m->class_labels[m->binary ? 1 : j] : nnb_prep_target_name(prep, j);
        int len = t ? sprintf(p, "%s%s", m->n_classes ? "p_" : "", t) : sprintf(p, "y%zu", j);
        m->output_names[j] = p;
        p += len + 1;
    }
    if (m->n_classes || !prep || nnb_prep_target_kind(prep) != NNB_TARGET_VALUES ||
        nnb_prep_n_targets(prep) != n)
        return NNB_OK;
    m->out_shift = malloc(n * sizeof *m->out_shift);
    m->out_div = malloc(n * sizeof *m->out_div);
    if (!m->out_shift || !m->out_div) return nnbi_ex_fail(NNB_E_NOMEM, func, "out of memory");
    for (size_t j = 0; j < n; j++) {
        st = column_scaling(prep, nnb_prep_target_name(prep, j), &m->out_shift[j], &m->out_div[j],
                            func);
        if (st != NNB_OK) return st;
        if (m->out_shift[j] != 0 || m->out_div[j] != 1) m->unscale = 1;
    }
    return NNB_OK;
}

nnb_status nnbi_ex_model_read(nnbi_ex_model *m, const nnb_net *net, const nnb_prep *prep,
                              const nnb_meta *meta, const nnb_export_opts *opts, const char *func) {
    memset(m, 0, sizeof *m);
    if (!net) return nnbi_ex_fail(NNB_E_NULL, func, "net is NULL");
    if (nnb_net_n_layers(net) == 0)
        return nnbi_ex_fail(NNB_E_INVALID_ARG, func, "the network has no layers");
    m->dtype = nnb_net_dtype(net);
    m->meta = meta;
    m->prep = prep;
    m->n_features = nnb_net_n_inputs(net);
    m->n_outputs = nnb_net_n_outputs(net);
    nnb_status st = read_inputs(m, prep, opts, func);
    if (st == NNB_OK) st = read_layers(m, net, func);
    if (st == NNB_OK) st = read_outputs(m, prep, func);
    if (st != NNB_OK) nnbi_ex_model_free(m);
    return st;
}

const char *nnbi_ex_category(const nnbi_ex_model *m, size_t i, size_t k) {
    const char *label = nnb_prep_column_category(m->prep, m->inputs[i].column, k);
    return label ? label : "";
}

/* ---- int8 ------------------------------------------------------------------------------------ */

double nnbi_ex_quantize_row(const double *w, size_t n, nnb_dtype dtype, signed char *q) {
    double big = 0;
    for (size_t j = 0; j < n; j++) big = fmax(big, fabs(w[j]));
    double s = big / 127.0;
    if (dtype == NNB_F32) s = (double)(float)s;
    for (size_t j = 0; j < n; j++) {
        double r = s > 0 ? round(w[j] / s) : 0;
        q[j] = (signed char)(r > 127 ? 127 : r < -127 ? -127 : r);
    }
    return s > 0 ? s : 0;
}

nnb_status nnbi_ex_model_quantize(nnbi_ex_model *m, nnb_dtype dtype, const char *func) {
    for (size_t l = 0; l < m->n_layers; l++) {
        nnbi_ex_layer *L = &m->layers[l];
        if (L->rows == 0) continue;
        L->scale = malloc(L->rows * sizeof *L->scale);
        L->q = malloc(L->rows * L->cols);
        if (!L->scale || !L->q) return nnbi_ex_fail(NNB_E_NOMEM, func, "out of memory");
        for (size_t i = 0; i < L->rows; i++)
            L->scale[i] =
                nnbi_ex_quantize_row(L->w + i * L->cols, L->cols, dtype, L->q + i * L->cols);
    }
    return NNB_OK;
}
