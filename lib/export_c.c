/*
 * C source export: the model description (export_internal.h) as one C99 file and its header,
 * with the parameters as const arrays and NAME_predict() computing what nnblas predict computes
 * for one sample of raw inputs: the preparation (in double, as nnb_prep does, then rounded to the
 * network's type), the layers, the outputs in the data's units. No allocation, no mutable global
 * state, nothing but <math.h> (or, with the own-math option, not even that).
 *
 * A dense layer is written input-major (W transposed: w[j * n_out + i] is W[i][j]) and computed
 * as y += w_j * x_j over the inputs j, four at a time: the inner loop runs over the outputs
 * without a reduction, so compilers vectorise it at -O2 without -ffast-math. The sums are those of
 * the library in another order (docs/export.md gives the differences measured).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "export_internal.h"

typedef struct cgen {
    const nnbi_ex_model *m;
    const char *name; /* the prefix of every name */
    char upper[48];   /* NAME in capitals, for macros */
    const char *T;    /* "float" or "double" */
    int f32;
    int int8, own_math;
    int q8; /* float32 int8 file with the dispatch: its dense layers' AVX2 kernel (NAME_axpy_q8) */
    char exp_fn[64], tanh_fn[64];
    size_t width;   /* the widest layer (the scratch buffers' length) */
    nnbi_ex_buf *s; /* the source being written */
} cgen;

/* ---- literals -------------------------------------------------------------------------------- */

/* A number as a C literal of the file's type that reads back as the same value ("0.5f",
 * "-3.0f", "1e-05f"; doubles without suffix). */
static void c_real(nnbi_ex_buf *b, double v, int f32) {
    char t[48];
    if (f32)
        snprintf(t, sizeof t, "%.9g", (double)(float)v);
    else
        snprintf(t, sizeof t, "%.17g", v);
    int has_point = strpbrk(t, ".eEn") != NULL; /* "inf"/"nan" cannot occur: values are finite */
    nnbi_ex_buf_printf(b, "%s%s%s", t, has_point ? "" : ".0", f32 ? "f" : "");
}

/* A C string literal: printable ASCII as is except " \ ?; everything else in octal. */
static void c_string(nnbi_ex_buf *b, const char *s) {
    nnbi_ex_buf_put(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\' || *p == '?')
            nnbi_ex_buf_printf(b, "\\%c", *p);
        else if (*p < 0x20 || *p > 0x7e)
            nnbi_ex_buf_printf(b, "\\%03o", *p);
        else
            nnbi_ex_buf_put(b, p, 1);
    }
    nnbi_ex_buf_put(b, "\"", 1);
}

/* Text inside a comment: printable ASCII but ? \ and the stars and slashes of comment marks
 * become '_'; at most `max` bytes. */
static void c_comment(nnbi_ex_buf *b, const char *s, size_t max) {
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p && n < max; p++, n++) {
        int mark = (*p == '*' && p[1] == '/') || (*p == '/' && (p[1] == '*' || p[1] == '/'));
        char c = (*p < 0x20 || *p > 0x7e || *p == '?' || *p == '\\' || mark) ? '_' : (char)*p;
        nnbi_ex_buf_put(b, &c, 1);
    }
    if (*s && n == max && s[n]) nnbi_ex_buf_put(b, "...", 3);
}

/* `static const TYPE NAME_what[n] = {...};` of n values v[map(i)], eight per line. */
static void real_array(cgen *g, const char *type, const char *what, size_t n, const double *v,
                       size_t rows, size_t cols, int transpose) {
    nnbi_ex_buf *s = g->s;
    nnbi_ex_buf_printf(s, "static const %s %s_%s[%zu] = {", type, g->name, what, n);
    for (size_t i = 0; i < n && !s->oom; i++) {
        size_t k = transpose ? (i % rows) * cols + i / rows : i;
        nnbi_ex_buf_put(s, i % 8 ? ", " : i ? ",\n    " : "\n    ", i % 8 ? 2 : i ? 6 : 5);
        c_real(s, v[k], strcmp(type, "float") == 0);
    }
    nnbi_ex_buf_printf(s, "\n};\n");
}

static void int8_array(cgen *g, const char *what, const signed char *q, size_t rows, size_t cols,
                       int transpose) {
    nnbi_ex_buf *s = g->s;
    size_t n = rows * cols;
    nnbi_ex_buf_printf(s, "static const signed char %s_%s[%zu] = {", g->name, what, n);
    for (size_t i = 0; i < n && !s->oom; i++) {
        size_t k = transpose ? (i % rows) * cols + i / rows : i;
        nnbi_ex_buf_printf(s, "%s%d", i % 16 ? ", " : i ? ",\n    " : "\n    ", q[k]);
    }
    nnbi_ex_buf_printf(s, "\n};\n");
}

static void string_array(cgen *g, const char *what, const char *const *v, size_t n,
                         const char *count) {
    nnbi_ex_buf_printf(g->s, "const char *const %s_%s[%s] = {\n", g->name, what, count);
    for (size_t i = 0; i < n; i++) {
        nnbi_ex_buf_put(g->s, "    ", 4);
        c_string(g->s, v[i]);
        nnbi_ex_buf_printf(g->s, "%s\n", i + 1 < n ? "," : "");
    }
    nnbi_ex_buf_printf(g->s, "};\n");
}

/* ---- the parameters -------------------------------------------------------------------------- */

/* The comment over a layer's parameters. */
static void param_comment(cgen *g, const nnbi_ex_layer *L, size_t l) {
    if (L->kind == NNBE_DENSE) {
        nnbi_ex_buf_printf(g->s,
                           "\n/* layer %zu: %zu -> %zu %s; W input-major: w%zu[j * %zu + i] is "
                           "W[i][j]%s */\n",
                           l + 1, L->n_in, L->n_out, nnb_activation_name(L->act), l, L->n_out,
                           g->int8 ? " = s[i] * q[j * n_out + i]" : "");
        return;
    }
    nnbi_ex_buf_printf(g->s,
                       "\n/* layer %zu: convolution, %zu x %zu x %zu -> %zu x %zu x %zu %s; W as "
                       "F x C x KH x KW%s */\n",
                       l + 1, L->c, L->h, L->wd, L->oc, L->oh, L->ow, nnb_activation_name(L->act),
                       g->int8 ? " = s[f] * q[f][c][kh][kw]" : "");
}

static void emit_params(cgen *g) {
    const nnbi_ex_model *m = g->m;
    for (size_t l = 0; l < m->n_layers; l++) {
        const nnbi_ex_layer *L = &m->layers[l];
        char what[32];
        if (L->rows == 0) continue;        /* a pooling */
        int dense = L->kind == NNBE_DENSE; /* dense: W transposed; a convolution's as it is */
        param_comment(g, L, l);
        if (g->int8) {
            snprintf(what, sizeof what, "q%zu", l);
            int8_array(g, what, L->q, L->rows, L->cols, dense);
            snprintf(what, sizeof what, "s%zu", l);
            real_array(g, g->T, what, L->rows, L->scale, 0, 0, 0);
        } else {
            snprintf(what, sizeof what, "w%zu", l);
            real_array(g, g->T, what, L->rows * L->cols, L->w, L->rows, L->cols, dense);
        }
        if (L->has_bias) {
            snprintf(what, sizeof what, "b%zu", l);
            real_array(g, g->T, what, L->rows, L->b, 0, 0, 0);
        }
    }
    if (m->unscale) {
        nnbi_ex_buf_printf(g->s, "\n/* the targets' scaling, undone: y * ydiv + yshift */\n");
        real_array(g, "double", "ydiv", m->n_outputs, m->out_div, 0, 0, 0);
        real_array(g, "double", "yshift", m->n_outputs, m->out_shift, 0, 0, 0);
    }
}

/* ---- the preparation ------------------------------------------------------------------------- */

/* A scratch table of one double per raw input, or NULL (the output marked out of memory). */
static double *input_table(cgen *g) {
    size_t n = g->m->n_raw;
    double *v = malloc((n ? n : 1) * sizeof *v);
    if (!v) g->s->oom = 1;
    return v;
}

/* The shift and divisor tables of numeric inputs (when any is not 0 / 1): *shift, *div set. */
static void emit_scaling_tables(cgen *g, int *shift, int *div) {
    const nnbi_ex_model *m = g->m;
    size_t n = m->n_raw;
    double *v = input_table(g);
    *shift = *div = 0;
    if (!v) return;
    for (size_t i = 0; i < n; i++) *shift |= m->inputs[i].shift != 0, *div |= m->inputs[i].div != 1;
    for (size_t i = 0; i < n && *shift; i++) v[i] = m->inputs[i].shift;
    if (*shift) real_array(g, "double", "shift", n, v, 0, 0, 0);
    for (size_t i = 0; i < n && *div; i++) v[i] = m->inputs[i].div;
    if (*div) real_array(g, "double", "div", n, v, 0, 0, 0);
    free(v);
}

/* The fill of a missing value (NaN) of input i, as nnb_prep fills it. */
static void emit_fill_line(cgen *g) {
    if (g->m->n_fill)
        nnbi_ex_buf_printf(g->s,
                           "        if (v != v && %s_fills[i]) v = %s_fill[i]; /* missing */\n",
                           g->name, g->name);
}

/* The fill tables: per raw input whether its missing values are filled, and with what. */
static void emit_fill_tables(cgen *g) {
    const nnbi_ex_model *m = g->m;
    size_t n = m->n_raw;
    double *v = input_table(g);
    if (!v) return;
    nnbi_ex_buf_printf(g->s, "static const unsigned char %s_fills[%zu] = {", g->name, n);
    for (size_t i = 0; i < n; i++) {
        v[i] = m->inputs[i].fill ? m->inputs[i].fill_value : 0;
        nnbi_ex_buf_printf(g->s, "%s%d",
                           i % 16 ? ", "
                           : i    ? ",\n    "
                                  : "\n    ",
                           m->inputs[i].fill);
    }
    nnbi_ex_buf_printf(g->s, "\n};\n");
    real_array(g, "double", "fill", n, v, 0, 0, 0);
    free(v);
}

/* `v` (a double holding the raw number of input i) prepared into x[first]. */
static void emit_number(cgen *g, int shift, int div, int fill, const char *first) {
    const nnbi_ex_model *m = g->m;
    nnbi_ex_buf *s = g->s;
    if (m->input_scale == 1.0 / 255.0)
        nnbi_ex_buf_printf(
            s, "        v = v / 255.0; /* image bytes, as the IDX reader scales them */\n");
    else if (m->input_scale != 1) {
        nnbi_ex_buf_printf(s, "        v = v * ");
        c_real(s, m->input_scale, 0);
        nnbi_ex_buf_printf(s, ";\n");
    }
    if (m->input_scale != 1 && g->f32) nnbi_ex_buf_printf(s, "        v = (double)(float)v;\n");
    if (fill) emit_fill_line(g);
    if (shift) nnbi_ex_buf_printf(s, "        v = v - %s_shift[i];\n", g->name);
    if (div) nnbi_ex_buf_printf(s, "        v = v / %s_div[i];\n", g->name);
    nnbi_ex_buf_printf(s, "        x[%s] = (%s)v;\n", first, g->T);
}

/* The one-hot tables: per raw input whether it is one-hot, the first network input it gives,
 * its number of categories and where they start in NAME_cat (their values). */
static void emit_onehot_tables(cgen *g) {
    const nnbi_ex_model *m = g->m;
    size_t n = m->n_raw, total = 0;
    double *v = malloc(4 * (n ? n : 1) * sizeof *v);
    if (!v) {
        g->s->oom = 1;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        v[i] = m->inputs[i].onehot;
        v[n + i] = (double)m->inputs[i].out;
        v[2 * n + i] = (double)m->inputs[i].n_cats;
        v[3 * n + i] = (double)total;
        total += m->inputs[i].n_cats;
    }
    const char *what[4] = {"onehot", "first", "n_cats", "cat0"};
    for (int t = 0; t < 4; t++) {
        nnbi_ex_buf_printf(g->s, "static const %s %s_%s[%zu] = {", t ? "long" : "unsigned char",
                           g->name, what[t], n);
        for (size_t i = 0; i < n; i++)
            nnbi_ex_buf_printf(g->s, "%s%.0f",
                               i % 16 ? ", "
                               : i    ? ",\n    "
                                      : "\n    ",
                               v[t * n + i]);
        nnbi_ex_buf_printf(g->s, "\n};\n");
    }
    double *cats = malloc((total ? total : 1) * sizeof *cats);
    if (!cats) {
        g->s->oom = 1;
    } else {
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
            for (size_t c = 0; c < m->inputs[i].n_cats; c++) cats[k++] = m->inputs[i].cat_values[c];
        real_array(g, g->T, "cat", total, cats, 0, 0, 0);
    }
    free(cats);
    free(v);
}

static void emit_prepare(cgen *g) {
    const nnbi_ex_model *m = g->m;
    nnbi_ex_buf *s = g->s;
    int shift, div;
    nnbi_ex_buf_printf(s, "\n/* ---- the preparation (nnb_prep's, in double) ---- */\n");
    emit_scaling_tables(g, &shift, &div);
    if (m->n_onehot) emit_onehot_tables(g);
    if (m->n_fill) emit_fill_tables(g);
    nnbi_ex_buf_printf(s, "\nstatic int %s_prepare(const %s *in, %s *x) {\n    long i;\n", g->name,
                       g->T, g->T);
    if (m->n_onehot) nnbi_ex_buf_printf(s, "    long k, hit;\n    int status = 0;\n");
    nnbi_ex_buf_printf(s, "    for (i = 0; i < %zu; i++) {\n", m->n_raw);
    if (m->n_onehot) {
        nnbi_ex_buf_printf(s, "        double v = (double)in[i];\n");
        emit_fill_line(g);
        nnbi_ex_buf_printf(s,
                           "        if (%s_onehot[i]) {\n            hit = -1;\n"
                           "            for (k = 0; k < %s_n_cats[i]; k++) {\n"
                           "                x[%s_first[i] + k] = 0;\n"
                           "                if (v == %s_cat[%s_cat0[i] + k]) hit = k;\n"
                           "            }\n            if (hit >= 0)\n"
                           "                x[%s_first[i] + hit] = 1;\n",
                           g->name, g->name, g->name, g->name, g->name, g->name);
        if (!m->unseen_zero)
            nnbi_ex_buf_printf(s, "            else\n                status = %s_E_CATEGORY;\n",
                               g->upper);
        nnbi_ex_buf_printf(s, "            continue;\n        }\n");
        char first[80];
        snprintf(first, sizeof first, "%s_first[i]", g->name);
        emit_number(g, shift, div, 0, first);
        nnbi_ex_buf_printf(s, "    }\n    return status;\n}\n");
    } else {
        nnbi_ex_buf_printf(s, "        double v = (double)in[i];\n");
        emit_number(g, shift, div, 1, "i");
        nnbi_ex_buf_printf(s, "    }\n    return 0;\n}\n");
    }
}

/* ---- math ------------------------------------------------------------------------------------ */

static int uses(const nnbi_ex_model *m, nnb_activation act) {
    for (size_t l = 0; l < m->n_layers; l++)
        if (m->layers[l].act == act) return 1;
    return 0;
}

/* The file's own exp (and expm1, tanh): 2^k e^r with r = x - k ln2 (ln2 in two parts, so that
 * k ln2's first part is exact), e^r by its Taylor polynomial (to r^7 in float, r^13 in double:
 * truncation below half an ulp for |r| <= ln2/2), 2^k by squaring in two halves (no overflow on
 * the way to a subnormal result). */
static void emit_own_exp(cgen *g) {
    nnbi_ex_buf *s = g->s;
    const char *n = g->name, *T = g->T, *f = g->f32 ? "f" : "";
    int deg = g->f32 ? 7 : 13;
    nnbi_ex_buf_printf(
        s,
        "\nstatic %s %s_pow2(long k) {\n    %s b = k < 0 ? 0.5%s : 2.0%s, p = 1.0%s;\n"
        "    if (k < 0) k = -k;\n    while (k) {\n        if (k & 1) p *= b;\n"
        "        b *= b;\n        k >>= 1;\n    }\n    return p;\n}\n",
        T, n, T, f, f, f);
    nnbi_ex_buf_printf(s,
                       "\nstatic %s %s_exp(%s x) {\n    %s r, p;\n    long k, h;\n"
                       "    if (x != x) return x;\n",
                       T, n, T, T);
    nnbi_ex_buf_printf(s,
                       "    if (x > %s) return x * %s; /* overflows to infinity */\n"
                       "    if (x < %s) return 0;\n",
                       g->f32 ? "89.0f" : "710.0", g->f32 ? "3.0e38f" : "1.0e308",
                       g->f32 ? "-104.0f" : "-746.0");
    nnbi_ex_buf_printf(s, "    k = (long)(x * %s + (x < 0 ? -0.5%s : 0.5%s));\n",
                       g->f32 ? "1.44269504f" : "1.4426950408889634", f, f);
    nnbi_ex_buf_printf(s, "    r = (x - (%s)k * %s) - (%s)k * %s;\n", T,
                       g->f32 ? "0.693145751953125f" : "0.69314718036912382", T,
                       g->f32 ? "1.42860682e-06f" : "1.9082149292705877e-10");
    double fact[17] = {1};
    for (int d = 1; d <= 16; d++) fact[d] = fact[d - 1] * d;
    nnbi_ex_buf_printf(s, "    p = 1.0%s / %.1f%s;\n", f, fact[deg], f);
    for (int d = deg - 1; d >= 0; d--)
        nnbi_ex_buf_printf(s, "    p = 1.0%s / %.1f%s + r * p;\n", f, fact[d], f);
    nnbi_ex_buf_printf(s, "    h = k / 2;\n    return p * %s_pow2(h) * %s_pow2(k - h);\n}\n", n, n);
}

/* tanh(x) = -e / (2 + e) with e = expm1(-2|x|), its sign restored; expm1 by its Taylor series
 * near 0 (where exp(u) - 1 would cancel). */
static void emit_own_tanh(cgen *g) {
    nnbi_ex_buf *s = g->s;
    const char *n = g->name, *T = g->T, *f = g->f32 ? "f" : "";
    int deg = g->f32 ? 9 : 16;
    nnbi_ex_buf_printf(s, "\nstatic %s %s_expm1(%s u) {\n    %s p;\n", T, n, T, T);
    nnbi_ex_buf_printf(s, "    if (u < -0.34657359%s) return %s_exp(u) - 1;\n", f, n);
    double fact[17] = {1};
    for (int d = 1; d <= 16; d++) fact[d] = fact[d - 1] * d;
    nnbi_ex_buf_printf(s, "    p = 1.0%s / %.1f%s;\n", f, fact[deg], f);
    for (int d = deg - 1; d >= 1; d--)
        nnbi_ex_buf_printf(s, "    p = 1.0%s / %.1f%s + u * p;\n", f, fact[d], f);
    nnbi_ex_buf_printf(s, "    return u * p;\n}\n");
    nnbi_ex_buf_printf(
        s,
        "\nstatic %s %s_tanh(%s x) {\n    %s t = x < 0 ? -x : x, e, r;\n"
        "    if (x != x) return x;\n    if (t > %s) return x < 0 ? -1.0%s : 1.0%s;\n"
        "    e = %s_expm1(-2 * t);\n    r = -e / (2 + e);\n    return x < 0 ? -r : r;\n}\n",
        T, n, T, T, g->f32 ? "9.1f" : "19.1", f, f, n);
}

static void emit_math(cgen *g) {
    const nnbi_ex_model *m = g->m;
    int sig = uses(m, NNB_ACT_SIGMOID), th = uses(m, NNB_ACT_TANH);
    int ex = sig || th || uses(m, NNB_ACT_SOFTMAX);
    if (g->own_math && ex) emit_own_exp(g);
    if (g->own_math && th) emit_own_tanh(g);
    if (sig)
        nnbi_ex_buf_printf(g->s,
                           "\nstatic %s %s_sigmoid(%s z) {\n    %s e;\n    if (z >= 0) {\n"
                           "        e = %s(-z);\n        return 1 / (1 + e);\n    }\n"
                           "    e = %s(z);\n    return e / (1 + e);\n}\n",
                           g->T, g->name, g->T, g->T, g->exp_fn, g->exp_fn);
}

/* ---- the layers ------------------------------------------------------------------------------ */

static void emit_activation(cgen *g, const nnbi_ex_layer *L) {
    nnbi_ex_buf *s = g->s;
    const char *f = g->f32 ? "f" : "";
    switch (L->act) {
    case NNB_ACT_SIGMOID:
        nnbi_ex_buf_printf(s, "        y[i] = %s_sigmoid(z);\n", g->name);
        break;
    case NNB_ACT_TANH:
        nnbi_ex_buf_printf(s, "        y[i] = %s(z);\n", g->tanh_fn);
        break;
    case NNB_ACT_RELU:
        nnbi_ex_buf_printf(s, "        y[i] = z > 0 ? z : 0.0%s;\n", f);
        break;
    case NNB_ACT_LEAKY_RELU:
        nnbi_ex_buf_printf(s, "        y[i] = z > 0 ? z : ");
        c_real(s, L->slope, g->f32);
        nnbi_ex_buf_printf(s, " * z;\n");
        break;
    default:
        nnbi_ex_buf_printf(s, "        y[i] = z;\n");
        break;
    }
}

/* The inner loops: y += W^T x over inputs j .. j + k - 1 (k = 4 or 1); four inputs at a time
 * load and store y a quarter as often. */
static void emit_axpy(cgen *g, size_t l, size_t no, int k) {
    nnbi_ex_buf *s = g->s;
    const char *n = g->name, *T = g->T;
    const char *wt = g->int8 ? "signed char" : T;
    char arr[40];
    snprintf(arr, sizeof arr, "%s_%c%zu", n, g->int8 ? 'q' : 'w', l);
    for (int t = 0; t < k; t++)
        nnbi_ex_buf_printf(s, "        const %s x%d = x[j + %d];\n", T, t, t);
    for (int t = 0; t < k; t++)
        nnbi_ex_buf_printf(s, "        const %s *restrict w%d = %s + (j + %d) * %zuL;\n", wt, t,
                           arr, t, no);
    nnbi_ex_buf_printf(s, "        for (i = 0; i < %zu; i++) y[i] += ", no);
    for (int t = 0; t < k; t++)
        nnbi_ex_buf_printf(s, "%s%s%s%sw%d[i] * x%d", t ? " + " : "", g->int8 ? "(" : "",
                           g->int8 ? T : "", g->int8 ? ")" : "", t, t);
    nnbi_ex_buf_printf(s, ";\n");
}

/* The end of a layer: z = its sum (times the int8 scale) + the bias, the activation, softmax over
 * the row; `unit` is the index of row i's output unit or filter. */
static void emit_finish(cgen *g, const nnbi_ex_layer *L, size_t l, const char *unit) {
    nnbi_ex_buf *s = g->s;
    const char *n = g->name, *T = g->T;
    size_t no = L->n_out;
    nnbi_ex_buf_printf(s, "    for (i = 0; i < %zu; i++) {\n        const %s z = y[i]", no, T);
    if (g->int8 && L->rows) nnbi_ex_buf_printf(s, " * %s_s%zu[%s]", n, l, unit);
    if (L->has_bias && L->rows) nnbi_ex_buf_printf(s, " + %s_b%zu[%s]", n, l, unit);
    nnbi_ex_buf_printf(s, ";\n");
    emit_activation(g, L);
    nnbi_ex_buf_printf(s, "    }\n");
    if (L->act == NNB_ACT_SOFTMAX)
        nnbi_ex_buf_printf(
            s,
            "    {\n        %s top = y[0], inv;\n        double sum = 0;\n"
            "        for (i = 1; i < %zu; i++)\n"
            "            if (y[i] > top || y[i] != y[i]) top = y[i];\n"
            "        for (i = 0; i < %zu; i++) {\n"
            "            y[i] = %s(y[i] - top);\n            sum += y[i];\n        }\n"
            "        inv = (%s)(1.0 / sum);\n"
            "        for (i = 0; i < %zu; i++) y[i] *= inv;\n    }\n",
            T, no, no, g->exp_fn, T, no);
}

/* A convolution, channel-major in and out as the library's rows: for each filter f, channel c
 * and kernel position (kh, kw), y[f][oy][ox] += w * x[c][oy SH + kh - PT][ox SW + kw - PL] over
 * the output positions whose input is inside the image (the padding's zeros add nothing); the
 * inner loop runs over ox without a reduction, so it vectorises at -O2. */
static void emit_conv(cgen *g, size_t l) {
    const nnbi_ex_layer *L = &g->m->layers[l];
    const nnb_window *w = &L->win;
    nnbi_ex_buf *s = g->s;
    const char *n = g->name, *T = g->T;
    size_t P = L->oh * L->ow, KK = w->kernel_h * w->kernel_w;
    nnbi_ex_buf_printf(s,
                       "\nstatic %s_INLINE void %s_layer%zu(const %s *restrict x, %s *restrict y) "
                       "{\n    long i, f, c, k, oy, ox;\n    for (i = 0; i < %zu; i++) y[i] = 0;\n"
                       "    for (f = 0; f < %zu; f++)\n        for (c = 0; c < %zu; c++)\n"
                       "            for (k = 0; k < %zu; k++) {\n",
                       g->upper, n, l, T, T, L->n_out, L->rows, L->c, KK);
    nnbi_ex_buf_printf(s, "                const %s v = (%s)%s_%c%zu[(f * %zuL + c) * %zuL + k];\n",
                       T, T, n, g->int8 ? 'q' : 'w', l, L->c, KK);
    nnbi_ex_buf_printf(s,
                       "                const long kh = k / %zu, dx = k %% %zu - %zu;\n"
                       "                /* the ox whose column ox * %zu + dx is in 0 .. %zu */\n"
                       "                const long lo = dx >= 0 ? 0 : (-dx + %zu) / %zu;\n"
                       "                long hi = (%zu - dx + %zu) / %zu;\n"
                       "                if (hi > %zu) hi = %zu;\n",
                       w->kernel_w, w->kernel_w, w->pad_left, w->stride_w, L->wd - 1,
                       w->stride_w - 1, w->stride_w, L->wd - 1, w->stride_w, w->stride_w, L->ow,
                       L->ow);
    nnbi_ex_buf_printf(
        s,
        "                for (oy = 0; oy < %zu; oy++) {\n"
        "                    const long iy = oy * %zu + kh - %zu;\n"
        "                    %s *restrict yr;\n                    const %s *restrict xr;\n"
        "                    if (iy < 0 || iy >= %zu) continue;\n"
        "                    yr = y + (f * %zuL + oy) * %zuL;\n"
        "                    xr = x + (c * %zuL + iy) * %zuL;\n"
        "                    for (ox = lo; ox < hi; ox++) yr[ox] += v * xr[ox * %zu + dx];\n"
        "                }\n            }\n",
        L->oh, w->stride_h, w->pad_top, T, T, L->h, L->oh, L->ow, L->h, L->wd, w->stride_w);
    char unit[40];
    snprintf(unit, sizeof unit, "i / %zu", P);
    emit_finish(g, L, l, unit);
    nnbi_ex_buf_printf(s, "}\n");
}

/* Max or average pooling, channel-major: the first largest value of each window (a NaN wins, as
 * in the library), or the sum in (kh, kw) order divided by KH KW. */
static void emit_pool(cgen *g, size_t l) {
    const nnbi_ex_layer *L = &g->m->layers[l];
    const nnb_window *w = &L->win;
    nnbi_ex_buf *s = g->s;
    const char *T = g->T;
    int max = L->kind == NNBE_MAXPOOL;
    nnbi_ex_buf_printf(
        s,
        "\nstatic %s_INLINE void %s_layer%zu(const %s *restrict x, %s *restrict y) "
        "{\n    long c, oy, ox, i, j;\n    for (c = 0; c < %zu; c++)\n"
        "        for (oy = 0; oy < %zu; oy++)\n"
        "            for (ox = 0; ox < %zu; ox++) {\n"
        "                const %s *xw = x + (c * %zuL + oy * %zu) * %zuL + ox * %zu;\n"
        "                %s v = %s;\n"
        "                for (i = 0; i < %zu; i++)\n"
        "                    for (j = 0; j < %zu; j++) {\n"
        "                        const %s u = xw[i * %zu + j];\n",
        g->upper, g->name, l, T, T, L->c, L->oh, L->ow, T, L->h, w->stride_h, L->wd, w->stride_w, T,
        max ? "xw[0]" : "0", w->kernel_h, w->kernel_w, T, L->wd);
    nnbi_ex_buf_printf(s, max ? "                        if (u > v || u != u) v = u;\n"
                              : "                        v += u;\n");
    nnbi_ex_buf_printf(
        s, "                    }\n                y[(c * %zuL + oy) * %zuL + ox] = ", L->oh,
        L->ow);
    if (max)
        nnbi_ex_buf_printf(s, "v;\n");
    else
        nnbi_ex_buf_printf(s, "v / (%s)%zu;\n", T, w->kernel_h * w->kernel_w);
    nnbi_ex_buf_printf(s, "            }\n}\n");
}

static void emit_layer(cgen *g, size_t l) {
    const nnbi_ex_layer *L = &g->m->layers[l];
    nnbi_ex_buf *s = g->s;
    const char *n = g->name, *T = g->T;
    size_t no = L->n_out, ni = L->n_in;
    nnbi_ex_buf_printf(
        s,
        "\nstatic %s_INLINE void %s_layer%zu(const %s *restrict x, %s *restrict y%s) {\n"
        "    long i, j = 0;\n    for (i = 0; i < %zu; i++) y[i] = 0;\n",
        g->upper, n, l, T, T, g->q8 ? ", int avx2" : "", no);
    if (g->q8)
        nnbi_ex_buf_printf(s,
                           "#if %s_DISPATCH\n    if (avx2) {\n        %s_axpy_q8(%s_q%zu, %zu, "
                           "%zu, x, y);\n        j = %zu;\n    }\n#endif\n    (void)avx2;\n",
                           g->upper, n, n, l, ni, no, ni);
    if (ni >= 4) {
        nnbi_ex_buf_printf(s, "    for (; j + 4 <= %zu; j += 4) {\n", ni);
        emit_axpy(g, l, no, 4);
        nnbi_ex_buf_printf(s, "    }\n");
    }
    if (ni % 4) {
        nnbi_ex_buf_printf(s, "    for (; j < %zu; j++) {\n", ni);
        emit_axpy(g, l, no, 1);
        nnbi_ex_buf_printf(s, "    }\n");
    }
    emit_finish(g, L, l, "i");
    nnbi_ex_buf_printf(s, "}\n");
}

/* ---- the entry points ------------------------------------------------------------------------ */

/* On x86-64 (GCC 6+, Clang 7+), unless the flags already give AVX2 or NAME_NO_DISPATCH is
 * defined, the layers are compiled twice, for any x86-64 and for AVX2 + FMA (the layers forced
 * inline into NAME_run and NAME_run into a target("avx2,fma") copy), and NAME_predict picks one
 * by the CPU at each call: the kernels OpenBLAS picks at run time, for a file built with plain
 * -O2. Not with own math, which promises no library at all (the check needs libgcc's CPU model). */
static void emit_dispatch_macros(cgen *g) {
    const char *U = g->upper;
    if (g->own_math) {
        nnbi_ex_buf_printf(g->s, "\n#define %s_DISPATCH 0\n#define %s_INLINE\n", U, U);
        return;
    }
    nnbi_ex_buf_printf(
        g->s,
        "\n/* x86-64: the layers compiled twice, for any x86-64 and for AVX2 + FMA, "
        "picked by the CPU\n * when called (define %s_NO_DISPATCH to compile them "
        "once, for the flags given). */\n"
        "#if defined(__x86_64__) && !defined(__AVX2__) && !defined(%s_NO_DISPATCH) && "
        "\\\n    ((defined(__clang__) && __clang_major__ >= 7) || "
        "(!defined(__clang__) && defined(__GNUC__) && __GNUC__ >= 6))\n"
        "#define %s_DISPATCH 1\n#define %s_INLINE inline __attribute__((always_inline))\n"
        "#else\n#define %s_DISPATCH 0\n#define %s_INLINE\n#endif\n",
        U, U, U, U, U, U);
}

/* The int8 dense layers' kernel of the AVX2 + FMA copy: y += W^T x with 8 weights widened at a
 * time (vpmovsxbd) and fused multiply-adds; plain -O2 vectorises the portable loops poorly there
 * (it widens 32 bytes at a time through 16-bit lanes). */
static void emit_q8_kernel(cgen *g) {
    const char *n = g->name;
    nnbi_ex_buf_printf(
        g->s,
        "\n#if %s_DISPATCH\n#include <immintrin.h>\n"
        "/* y[0 .. no) += sum over j of q[j * no + i] * x[j], in the AVX2 + FMA copy */\n"
        "__attribute__((target(\"avx2,fma\"))) static void %s_axpy_q8(const signed char *q, "
        "long ni, long no,\n    const float *x, float *y) {\n    long i, j;\n"
        "    for (j = 0; j + 4 <= ni; j += 4) {\n"
        "        const signed char *q0 = q + j * no, *q1 = q0 + no, *q2 = q1 + no, *q3 = q2 + no;\n"
        "        const __m256 x0 = _mm256_set1_ps(x[j]), x1 = _mm256_set1_ps(x[j + 1]);\n"
        "        const __m256 x2 = _mm256_set1_ps(x[j + 2]), x3 = _mm256_set1_ps(x[j + 3]);\n"
        "        for (i = 0; i + 8 <= no; i += 8) {\n"
        "            __m256 a = _mm256_loadu_ps(y + i);\n",
        g->upper, n);
    for (int t = 0; t < 4; t++)
        nnbi_ex_buf_printf(
            g->s,
            "            a = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32("
            "\n                _mm_loadl_epi64((const __m128i *)(q%d + i)))), x%d, "
            "a);\n",
            t, t);
    nnbi_ex_buf_printf(g->s,
                       "            _mm256_storeu_ps(y + i, a);\n        }\n"
                       "        for (; i < no; i++)\n"
                       "            y[i] += (float)q0[i] * x[j] + (float)q1[i] * x[j + 1] + "
                       "(float)q2[i] * x[j + 2] +\n                    (float)q3[i] * x[j + 3];\n"
                       "    }\n    for (; j < ni; j++)\n"
                       "        for (i = 0; i < no; i++) y[i] += (float)q[j * no + i] * x[j];\n"
                       "}\n#endif\n");
}

static void emit_dispatch(cgen *g) {
    const char *n = g->name, *U = g->upper, *T = g->T;
    nnbi_ex_buf_printf(
        g->s,
        "\n#if %s_DISPATCH\n__attribute__((target(\"avx2,fma\"))) static int "
        "%s_run_avx2(const %s *in, %s *out) {\n    return %s_run(in, out%s);\n}\n"
        "#endif\n\nint %s_predict(const %s *in, %s *out) {\n#if %s_DISPATCH\n"
        "    if (__builtin_cpu_supports(\"avx2\") && __builtin_cpu_supports(\"fma\"))\n"
        "        return %s_run_avx2(in, out);\n#endif\n    return %s_run(in, out%s);\n}\n",
        U, n, T, T, n, g->q8 ? ", 1" : "", n, T, T, U, n, n, g->q8 ? ", 0" : "");
}

static void emit_predict(cgen *g) {
    const nnbi_ex_model *m = g->m;
    nnbi_ex_buf *s = g->s;
    const char *n = g->name, *T = g->T;
    size_t nl = m->n_layers, no = m->n_outputs;
    /* the buffers: a (prepared inputs, then every other layer) and b */
    int prep = m->has_prep, use_b = prep || nl > 1;
    nnbi_ex_buf_printf(s,
                       "\nstatic %s_INLINE int %s_run(const %s *in, %s *out%s) {\n    %s a[%zu];\n",
                       g->upper, n, T, T, g->q8 ? ", int avx2" : "", T, g->width);
    if (use_b) nnbi_ex_buf_printf(s, "    %s b[%zu];\n", T, g->width);
    nnbi_ex_buf_printf(s, "    long i;\n");
    if (prep && m->n_onehot && !m->unseen_zero)
        nnbi_ex_buf_printf(s,
                           "    if (%s_prepare(in, a) != 0) {\n        for (i = 0; i < %zu; i++) "
                           "out[i] = 0;\n        return %s_E_CATEGORY;\n    }\n",
                           n, no, g->upper);
    else if (prep)
        nnbi_ex_buf_printf(s, "    %s_prepare(in, a);\n", n);
    const char *cur = prep ? "a" : "in";
    for (size_t l = 0; l < nl; l++) {
        const char *next = strcmp(cur, "a") == 0 ? "b" : "a";
        int q8 = g->q8 && m->layers[l].kind == NNBE_DENSE;
        nnbi_ex_buf_printf(s, "    %s_layer%zu(%s, %s%s);\n", n, l, cur, next, q8 ? ", avx2" : "");
        cur = next;
    }
    nnbi_ex_buf_printf(s, "    for (i = 0; i < %zu; i++) out[i] = ", no);
    if (m->unscale)
        nnbi_ex_buf_printf(s, "(%s)((double)%s[i] * %s_ydiv[i] + %s_yshift[i]);\n", T, cur, n, n);
    else
        nnbi_ex_buf_printf(s, "%s[i];\n", cur);
    nnbi_ex_buf_printf(s, "    return 0;\n}\n");
    emit_dispatch(g);
    nnbi_ex_buf_printf(
        s,
        "\nint %s_predict_batch(const %s *in, unsigned long rows, %s *out) {\n"
        "    unsigned long r;\n    int status = 0;\n    for (r = 0; r < rows; r++) {\n"
        "        int st = %s_predict(in + r * %zuUL, out + r * %zuUL);\n"
        "        if (st != 0 && status == 0) status = st;\n    }\n"
        "    return status;\n}\n",
        n, T, T, n, m->n_raw, no);
}

static void emit_names(cgen *g) {
    const nnbi_ex_model *m = g->m;
    char count[64];
    const char **names = malloc((m->n_raw ? m->n_raw : 1) * sizeof *names);
    if (!names) {
        g->s->oom = 1;
        return;
    }
    for (size_t i = 0; i < m->n_raw; i++) names[i] = m->inputs[i].name;
    nnbi_ex_buf_printf(g->s, "\n/* ---- names ---- */\n");
    snprintf(count, sizeof count, "%s_N_INPUTS", g->upper);
    string_array(g, "input_names", names, m->n_raw, count);
    free(names);
    snprintf(count, sizeof count, "%s_N_OUTPUTS", g->upper);
    string_array(g, "output_names", m->output_names, m->n_outputs, count);
    if (!m->n_classes) return;
    snprintf(count, sizeof count, "%s_N_CLASSES", g->upper);
    string_array(g, "class_labels", m->class_labels, m->n_classes, count);
    if (m->binary)
        nnbi_ex_buf_printf(g->s, "\nint %s_class(const %s *out) { return out[0] > 0.5%s; }\n",
                           g->name, g->T, g->f32 ? "f" : "");
    else
        nnbi_ex_buf_printf(
            g->s,
            "\nint %s_class(const %s *out) {\n    int i, best = 0;\n"
            "    for (i = 1; i < %zu; i++)\n        if (out[i] > out[best]) best = i;\n"
            "    return best;\n}\n",
            g->name, g->T, m->n_classes);
}

static int has_text(const nnbi_ex_model *m) {
    for (size_t i = 0; i < m->n_raw; i++)
        if (m->inputs[i].text) return 1;
    return 0;
}

/* NAME_category(): the index of a text category, for the caller to put in its input. */
static void emit_category(cgen *g) {
    const nnbi_ex_model *m = g->m;
    nnbi_ex_buf *s = g->s;
    const char *n = g->name;
    nnbi_ex_buf_printf(s, "\nstatic const char *const %s_cat_text[] = {\n", n);
    for (size_t i = 0; i < m->n_raw; i++)
        for (size_t k = 0; m->inputs[i].text && k < m->inputs[i].n_cats; k++) {
            nnbi_ex_buf_put(s, "    ", 4);
            c_string(s, nnbi_ex_category(m, i, k));
            nnbi_ex_buf_printf(s, ",\n");
        }
    nnbi_ex_buf_printf(s, "};\nstatic const long %s_text0[%zu] = {", n, m->n_raw);
    long at = 0;
    for (size_t i = 0; i < m->n_raw; i++) {
        nnbi_ex_buf_printf(s, "%s%ld",
                           i % 16 ? ", "
                           : i    ? ",\n    "
                                  : "\n    ",
                           m->inputs[i].text ? at : -1L);
        if (m->inputs[i].text) at += (long)m->inputs[i].n_cats;
    }
    nnbi_ex_buf_printf(s,
                       "\n};\n\nstatic int %s_same(const char *a, const char *b) {\n"
                       "    while (*a != 0 && *a == *b) a++, b++;\n    return *a == *b;\n}\n",
                       n);
    nnbi_ex_buf_printf(
        s,
        "\nint %s_category(int input, const char *text) {\n    long k;\n"
        "    if (input < 0 || input >= %zu || text == 0 || %s_text0[input] < 0) "
        "return -1;\n    for (k = 0; k < %s_n_cats[input]; k++)\n"
        "        if (%s_same(%s_cat_text[%s_text0[input] + k], text)) return (int)k;\n"
        "    return -1;\n}\n",
        n, m->n_raw, n, n, n, n, n);
}

/* ---- the header ------------------------------------------------------------------------------ */

/* What raw input i is, for the header's comment. */
static void describe_input(cgen *g, nnbi_ex_buf *h, size_t i) {
    const nnbi_ex_input *in = &g->m->inputs[i];
    nnbi_ex_buf_printf(h, " *   [%zu] ", i);
    c_comment(h, in->name, 60);
    if (in->onehot) {
        nnbi_ex_buf_printf(
            h, in->text ? ": the index of its category (%s_category()):" : ": one of the numbers",
            g->name);
        for (size_t k = 0; k < in->n_cats && k < 12; k++) {
            nnbi_ex_buf_printf(h, in->text ? "%s %zu " : "%s ", k ? "," : "", k);
            if (in->text) nnbi_ex_buf_put(h, "\"", 1);
            c_comment(h, nnbi_ex_category(g->m, i, k), 30);
            if (in->text) nnbi_ex_buf_put(h, "\"", 1);
        }
        nnbi_ex_buf_printf(h, "%s (one-hot inside)%s\n", in->n_cats > 12 ? ", ..." : "",
                           in->fill ? "; NaN: filled" : "");
    } else if (in->shift != 0 || in->div != 1) {
        nnbi_ex_buf_printf(h, ": a number (inside: (v - %.9g) / %.9g)", in->shift, in->div);
    } else {
        nnbi_ex_buf_printf(h, ": a number");
    }
    if (in->fill && !in->onehot) nnbi_ex_buf_printf(h, "; NaN: %.9g", in->fill_value);
    if (!in->onehot) nnbi_ex_buf_printf(h, "\n");
}

static void emit_header_doc(cgen *g, nnbi_ex_buf *h) {
    const nnbi_ex_model *m = g->m;
    nnbi_ex_buf_printf(h,
                       "/*\n * %s.h: a network trained with nnblas, as standalone C99 source "
                       "(nnblas export,\n * nnblas %s). Do not edit: export the model again.\n *\n"
                       " * Network: %zu",
                       g->name, nnb_version_string(), m->n_features);
    size_t col = 20;
    for (size_t l = 0; l < m->n_layers; l++) {
        const nnbi_ex_layer *L = &m->layers[l];
        static const char *const kinds[] = {"", "conv ", "maxpool ", "avgpool "};
        char t[128];
        if (L->kind == NNBE_DENSE)
            snprintf(t, sizeof t, " -> %zu %s", L->n_out, nnb_activation_name(L->act));
        else
            snprintf(t, sizeof t, " -> %s%zux%zux%zu%s%s", kinds[L->kind], L->oc, L->oh, L->ow,
                     L->kind == NNBE_CONV2D ? " " : "",
                     L->kind == NNBE_CONV2D ? nnb_activation_name(L->act) : "");
        if (col + strlen(t) > 92) nnbi_ex_buf_printf(h, "\n *  "), col = 4;
        nnbi_ex_buf_printf(h, "%s", t);
        col += strlen(t);
    }
    nnbi_ex_buf_printf(h, ", %s%s.\n *\n", g->T,
                       g->int8 ? " with int8 weights (a scale per output "
                                 "unit or filter)"
                               : "");
    nnbi_ex_buf_printf(h,
                       " * %s_predict(in, out) takes %s_N_INPUTS raw values per sample, the "
                       "numbers nnblas\n * predict reads from a CSV row or an image",
                       g->name, g->upper);
    if (m->input_scale == 1.0 / 255.0) nnbi_ex_buf_printf(h, " (the bytes 0-255)");
    nnbi_ex_buf_printf(h, ", in this order:\n");
    for (size_t i = 0; i < m->n_raw; i++) {
        if (i == 24 && m->n_raw > 30) {
            nnbi_ex_buf_printf(h, " *   ... (%zu more)\n", m->n_raw - 25);
            i = m->n_raw - 1;
        }
        describe_input(g, h, i);
    }
    nnbi_ex_buf_printf(h, " * and writes %s_N_OUTPUTS values (%s_output_names): ", g->upper,
                       g->name);
    if (m->n_classes)
        nnbi_ex_buf_printf(h,
                           "the probabilities of the\n * classes (%s_class() picks the class, "
                           "%s_class_labels names it).\n",
                           g->name, g->name);
    else
        nnbi_ex_buf_printf(h, "%s.\n",
                           m->unscale ? "the predicted targets, in the data's units"
                                      : "the network's outputs");
    nnbi_ex_buf_printf(h, " * It returns 0");
    if (m->n_onehot && !m->unseen_zero)
        nnbi_ex_buf_printf(h,
                           ", or %s_E_CATEGORY when a one-hot input is none of its categories\n"
                           " * (the outputs are then 0)",
                           g->upper);
    nnbi_ex_buf_printf(h,
                       ". No allocation, no global state: any number of threads may\n * call it. "
                       "Stack: about %zu bytes. %s\n */\n",
                       2 * g->width * (g->f32 ? 4 : 8),
                       g->own_math ? "Needs no library at all (its own exp and tanh)."
                                   : "Link with -lm (it calls <math.h>).");
}

static void emit_header(cgen *g, nnbi_ex_buf *h) {
    const nnbi_ex_model *m = g->m;
    const char *n = g->name, *U = g->upper, *T = g->T;
    nnbi_ex_buf *keep = g->s;
    g->s = h;
    emit_header_doc(g, h);
    nnbi_ex_buf_printf(h,
                       "#ifndef %s_H\n#define %s_H\n\n#define %s_N_INPUTS %zu\n"
                       "#define %s_N_OUTPUTS %zu\n",
                       U, U, U, m->n_raw, U, m->n_outputs);
    if (m->n_classes) nnbi_ex_buf_printf(h, "#define %s_N_CLASSES %zu\n", U, m->n_classes);
    if (m->n_onehot && !m->unseen_zero) nnbi_ex_buf_printf(h, "#define %s_E_CATEGORY 1\n", U);
    nnbi_ex_buf_printf(
        h,
        "\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n"
        "/* One sample: in[%s_N_INPUTS] -> out[%s_N_OUTPUTS]. */\n"
        "int %s_predict(const %s *in, %s *out);\n"
        "/* rows samples, one after the other; returns the first non-zero status (the "
        "other rows\n * are still computed). */\n"
        "int %s_predict_batch(const %s *in, unsigned long rows, %s *out);\n\n"
        "extern const char *const %s_input_names[%s_N_INPUTS];\n"
        "extern const char *const %s_output_names[%s_N_OUTPUTS];\n",
        U, U, n, T, T, n, T, T, n, U, n, U);
    if (m->n_classes)
        nnbi_ex_buf_printf(
            h,
            "extern const char *const %s_class_labels[%s_N_CLASSES];\n"
            "/* The class of outputs out: %s. */\nint %s_class(const %s *out);\n",
            n, U, m->binary ? "1 if out[0] > 0.5, else 0" : "the first of the largest", n, T);
    if (has_text(m))
        nnbi_ex_buf_printf(
            h,
            "/* The index of category `text` of text input `input` (what that "
            "input takes), or -1. */\nint %s_category(int input, const char *text);\n",
            n);
    nnbi_ex_buf_printf(h, "\n#ifdef __cplusplus\n}\n#endif\n\n#endif\n");
    g->s = keep;
}

/* ---- the file -------------------------------------------------------------------------------- */

nnb_status nnbi_ex_c_write(const nnbi_ex_model *m, const nnb_export_opts *o,
                           const char *header_name, nnbi_ex_buf *src, nnbi_ex_buf *hdr,
                           const char *func) {
    cgen g;
    memset(&g, 0, sizeof g);
    g.m = m;
    g.name = o ? o->name : "model";
    g.f32 = m->dtype == NNB_F32;
    g.T = g.f32 ? "float" : "double";
    g.int8 = o && o->int8;
    g.own_math = o && o->own_math;
    g.q8 = g.int8 && g.f32 && !g.own_math;
    g.s = src;
    for (size_t i = 0; g.name[i] && i + 1 < sizeof g.upper; i++)
        g.upper[i] = (char)(g.name[i] >= 'a' && g.name[i] <= 'z' ? g.name[i] - 32 : g.name[i]);
    snprintf(g.exp_fn, sizeof g.exp_fn, g.own_math ? "%s_exp" : g.f32 ? "expf" : "exp", g.name);
    snprintf(g.tanh_fn, sizeof g.tanh_fn,
             g.own_math ? "%s_tanh"
             : g.f32    ? "tanhf"
                        : "tanh",
             g.name);
    g.width = m->n_features;
    for (size_t l = 0; l < m->n_layers; l++)
        if (m->layers[l].n_out > g.width) g.width = m->layers[l].n_out;
    nnbi_ex_locale loc;
    nnb_status st = nnbi_ex_locale_c(&loc, func); /* numbers with '.' */
    if (st != NNB_OK) return st;
    /* header_name has only letters, digits and . - _ + (nnb_c_source_write() checks it) */
    nnbi_ex_buf_printf(
        src,
        "/*\n * %s.c: a network trained with nnblas, as standalone C99 source "
        "(nnblas export, nnblas %s).\n * How to call it: %s. Do not edit: export the "
        "model again.\n */\n#include \"%s\"\n",
        g.name, nnb_version_string(), header_name, header_name);
    int math = uses(m, NNB_ACT_SIGMOID) || uses(m, NNB_ACT_TANH) || uses(m, NNB_ACT_SOFTMAX);
    if (!g.own_math && math) nnbi_ex_buf_printf(src, "#include <math.h>\n");
    emit_params(&g);
    if (m->has_prep) emit_prepare(&g);
    emit_math(&g);
    emit_dispatch_macros(&g);
    if (g.q8) emit_q8_kernel(&g);
    nnbi_ex_buf_printf(src, "\n/* ---- the layers ---- */\n");
    for (size_t l = 0; l < m->n_layers; l++) {
        int kind = m->layers[l].kind;
        if (kind == NNBE_DENSE)
            emit_layer(&g, l);
        else if (kind == NNBE_CONV2D)
            emit_conv(&g, l);
        else
            emit_pool(&g, l);
    }
    emit_predict(&g);
    emit_names(&g);
    if (has_text(m)) emit_category(&g);
    emit_header(&g, hdr);
    nnbi_ex_locale_restore(&loc);
    if (src->oom || hdr->oom)
        return (src->oom | hdr->oom) == 2
                   ? nnbi_ex_fail(NNB_E_TOO_LARGE, func, "the C source would exceed 2 GB")
                   : nnbi_ex_fail(NNB_E_NOMEM, func, "out of memory");
    return NNB_OK;
}
