/*
 * The exporters (ONNX, C source): what they share. They are built on the public API only (this
 * header, nnblas.h and atomic_file.h are all they include from lib/), so that the network's
 * internals can change beneath them; tests/export_check.py checks the includes.
 *
 * An export runs in two steps:
 *  1. nnbi_ex_model_read() reads a network, its preparation and its metadata through the public
 *     getters into one plain description (nnbi_ex_model): the raw input columns and what the
 *     preparation does to each, the layers with their parameters (widened to double; a float32
 *     network's values are exact there), and what happens to the outputs (the inverse scaling of
 *     regression targets, the classes);
 *  2. a writer (export_onnx.c, export_c.c) turns the description into bytes.
 * A new layer kind (convolution, pooling) is a new nnbi_ex_layer kind filled in nnbi_ex_model_read()
 * and one emitter in each writer; nothing else changes.
 */
#ifndef NNB_EXPORT_INTERNAL_H
#define NNB_EXPORT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <locale.h>
#include <stdio.h>

#include "nnblas.h"

#if defined(__GNUC__) || defined(__clang__)
#  define NNBE_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#  define NNBE_PRINTF(a, b)
#endif

/* The most bytes an export writes (an ONNX file without external data must stay under 2 GiB,
 * protobuf's limit; the C source of such a network would not compile anywhere useful). */
#define NNBE_MAX_BYTES ((size_t)2000 * 1000 * 1000)

/* ---- options (export_opts.c) ----------------------------------------------------------------- */

struct nnb_export_opts {
    char name[65];      /* C identifier; the ONNX graph's name */
    double input_scale; /* 0: automatic (1/255 for a model trained on IDX images, else 1) */
    int int8;           /* C source: int8 weights */
    int own_math;       /* C source: the file's own exp and tanh instead of <math.h> */
    int dtype;          /* C source: -1 the network's, else an nnb_dtype */
};

/* ---- the description ------------------------------------------------------------------------- */

/* Layer kinds (nnb_net_layer_kind()). */
enum { NNBE_DENSE = 0, NNBE_CONV2D, NNBE_MAXPOOL, NNBE_AVGPOOL };

typedef struct nnbi_ex_layer {
    int kind;
    size_t n_in, n_out; /* values per sample in and out (flattened) */
    nnb_activation act;
    double slope; /* leaky ReLU */
    int has_bias;
    /* one sample's shape in (c x h x w; a dense layer's n_in x 1 x 1) and out; the window of a
     * convolution or pooling (paddings resolved) */
    size_t c, h, wd, oc, oh, ow;
    nnb_window win;
    /* the weight matrix: dense n_out x n_in; convolution F x (C KH KW), OIHW; pooling 0 x 0 */
    size_t rows, cols;
    double *w; /* rows x cols, row-major */
    double *b; /* rows, or NULL */
    /* int8 (C source): per output unit or filter, scale[i] * q[i][j] is the weight (w stays) */
    double *scale;  /* rows, or NULL */
    signed char *q; /* rows x cols, or NULL */
} nnbi_ex_layer;

/* One raw input: what the exported model takes in that position. */
typedef struct nnbi_ex_input {
    const char *name; /* borrowed from the preparation ("x0".. without one: made) */
    size_t column;    /* the preparation's column */
    int onehot;       /* one-hot: the value is compared with the categories */
    int text;         /* text categories: the value is the category's index 0..n_cats-1 */
    size_t n_cats;
    double *cat_values; /* what each category compares equal to (text: k) */
    size_t out;         /* the first network input it gives */
    double shift, div;  /* numbers: (v - shift) / div, after the input scale */
    int fill;           /* a missing (NaN) value becomes fill_value (after the input scale) */
    double fill_value;  /* the number, or the value the fill category compares equal to */
} nnbi_ex_input;

typedef struct nnbi_ex_model {
    nnb_dtype dtype;       /* the network's */
    size_t n_raw;          /* raw inputs */
    nnbi_ex_input *inputs; /* n_raw */
    char *names;           /* storage of made-up input names */
    double input_scale;    /* applied first to every raw number (1: nothing) */
    int has_prep;          /* a preparation with any effect (else raw = network inputs) */
    int unseen_zero;       /* an unseen category: zeros (else: an error / NaN outputs) */
    size_t n_onehot;       /* one-hot inputs */
    size_t n_fill;         /* inputs whose missing values are filled */
    size_t n_features;     /* network inputs */
    size_t n_layers;
    nnbi_ex_layer *layers;
    size_t n_outputs;
    /* outputs: regression targets in the data's units (y * div + shift), or classes */
    int unscale;
    double *out_shift, *out_div; /* n_outputs, when unscale */
    size_t n_classes;            /* 0: not a classifier */
    const char **class_labels;   /* n_classes, borrowed or static */
    char *label_store;           /* labels made up ("0".."9") */
    const char **output_names;   /* n_outputs */
    char *output_store;
    int binary;           /* one sigmoid output, two classes: class = p > 0.5 */
    const nnb_meta *meta; /* borrowed */
    const nnb_prep *prep; /* borrowed */
} nnbi_ex_model;

/* Reads net, prep (may be NULL) and meta (may be NULL) into m, with the options (NULL:
 * defaults). On failure m holds nothing (nnbi_ex_model_free() is still safe). */
nnb_status nnbi_ex_model_read(nnbi_ex_model *m, const nnb_net *net, const nnb_prep *prep,
                              const nnb_meta *meta, const nnb_export_opts *opts, const char *func);
void nnbi_ex_model_free(nnbi_ex_model *m);

/* Layer l's kind (NNBE_*) and its weight matrix (rows x cols as in nnbi_ex_layer; 0 x 0 for a
 * pooling), checked against its parameters' offsets: NNB_E_UNSUPPORTED for a kind this
 * version does not know. */
nnb_status nnbi_ex_layer_kind(const nnb_net *net, size_t l, int *kind, size_t *rows, size_t *cols,
                              const char *func);

/* The label of category k of raw input i ("3", "red"). */
const char *nnbi_ex_category(const nnbi_ex_model *m, size_t i, size_t k);

/* Quantises every layer of m with weights to int8 (scale, q), per output unit or filter. */
nnb_status nnbi_ex_model_quantize(nnbi_ex_model *m, nnb_dtype dtype, const char *func);

/* The int8 rounding of one row of n weights into q, returning the row's scale (0 for a zero
 * row); the scale is rounded to the type of the file (dtype) first, and q is derived from it. */
double nnbi_ex_quantize_row(const double *w, size_t n, nnb_dtype dtype, signed char *q);

/* ---- helpers (export_model.c) ---------------------------------------------------------------- */

/* Sets the last error to "func: message" and returns status. */
nnb_status nnbi_ex_fail(nnb_status status, const char *func, const char *fmt, ...)
    NNBE_PRINTF(3, 4);

/* A growable byte buffer. A failed growth sets oom and makes further appends no-ops. */
typedef struct nnbi_ex_buf {
    unsigned char *p;
    size_t len, cap;
    int oom; /* out of memory, or past NNBE_MAX_BYTES */
} nnbi_ex_buf;
void nnbi_ex_buf_put(nnbi_ex_buf *b, const void *data, size_t n);
void nnbi_ex_buf_printf(nnbi_ex_buf *b, const char *fmt, ...) NNBE_PRINTF(2, 3);
void nnbi_ex_buf_free(nnbi_ex_buf *b);
/* A JSON string (quoted, escaped; a byte that is not well-formed UTF-8 becomes \ufffd). */
void nnbi_ex_buf_json(nnbi_ex_buf *b, const char *s);
/* Text as well-formed UTF-8 (ONNX strings): a byte that is not becomes U+FFFD. */
void nnbi_ex_buf_text(nnbi_ex_buf *b, const char *s);

/* The C locale for this thread (POSIX uselocale), so that numbers are written and read with '.'
 * whatever the process's locale; nnbi_ex_locale_restore() puts the previous one back. */
typedef struct nnbi_ex_locale {
    locale_t old, mine;
} nnbi_ex_locale;
nnb_status nnbi_ex_locale_c(nnbi_ex_locale *l, const char *func);
void nnbi_ex_locale_restore(nnbi_ex_locale *l);

/* Writes bytes to path atomically (lib/atomic_file.c). */
nnb_status nnbi_ex_write_file(const char *path, const nnbi_ex_buf *b, const char *func);
/* Checks that path can be written (a regular file or nothing, in an existing folder). */
nnb_status nnbi_ex_check_path(const char *path, const char *func);

/* ---- the writers ----------------------------------------------------------------------------- */

/* The ONNX model's bytes. */
nnb_status nnbi_ex_onnx_write(const nnbi_ex_model *m, const nnb_export_opts *o, nnbi_ex_buf *out,
                              const char *func);
/* The C source and its header; header_name is the file name the source includes. */
nnb_status nnbi_ex_c_write(const nnbi_ex_model *m, const nnb_export_opts *o,
                           const char *header_name, nnbi_ex_buf *src, nnbi_ex_buf *hdr,
                           const char *func);

#endif
