/*
 * The preparation object behind nnb_prep (preprocess.c), laid out as plain arrays so that model
 * files (model_io.c) can store and rebuild it.
 *
 * What to serialise of a fitted preparation: `fit_kind`, `target_kind`, `unseen`, and for each of
 * the n_inputs inputs, in order: name, role, encoding, scale, a, b, text, n_cats and the cats
 * strings; and, when an input fills missing cells, every input's fill, fill_value and fill_cat
 * (set with nnbi_prep_set_fill() after adding the inputs). Everything else (the configuration, feature and target names, output offsets, constant
 * columns, numeric category values) is derived by nnbi_prep_finish().
 *
 * To rebuild one from stored values:
 *
 *     nnb_prep *p;
 *     nnbi_prep_new_fitted(&p, fit_kind, target_kind, unseen, func);
 *     for each input: nnbi_prep_add_input(p, name, role, encoding, scale, a, b, text, n_cats,
 *                                         cats, func);
 *     nnbi_prep_finish(p, func);      // validates and derives; the preparation is then fitted
 *
 * Each returns nnb_status with the last error set (NNB_E_FORMAT for inconsistent values, so a
 * corrupt file gives a message, not a crash); on failure the caller frees p with nnb_prep_free().
 */
#ifndef NNB_PREP_INTERNAL_H
#define NNB_PREP_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "data_internal.h"
#include "name_index.h"
#include "nnb_internal.h"

/* Roles of a column. */
enum { NNBI_ROLE_FEATURE = 0, NNBI_ROLE_TARGET = 1, NNBI_ROLE_DROP = 2 };

/* Encodings of an input column. */
enum {
    NNBI_ENC_NUMBER = 0,  /* one output column: the (scaled) number */
    NNBI_ENC_CATEGORY = 1 /* features: one-hot, n_cats output columns; targets: the class,
                              n_cats columns (NNB_TARGET_ONEHOT) or one index (NNB_TARGET_INDEX) */
};

/* How a preparation was fitted. */
enum {
    NNBI_FIT_NONE = 0,  /* not fitted */
    NNBI_FIT_TABLE = 1, /* nnb_prep_fit(): inputs found by name in a table */
    NNBI_FIT_MATRIX = 2 /* nnb_prep_fit_matrix(): inputs are the matrix's columns x0, x1, ... */
};

/* A column as configured by the setters, before fitting. */
typedef struct nnbi_prep_spec {
    char *name;
    int role;               /* NNBI_ROLE_* */
    nnb_target_kind target; /* role TARGET */
    int onehot;             /* role FEATURE */
    int scale_set;
    nnb_scale scale;
    int fill_set;
    nnb_fill fill; /* missing cells (role FEATURE) */
} nnbi_prep_spec;

/* One input column of a fitted preparation (in the order of the table it was fitted on). */
typedef struct nnbi_prep_input {
    char *name;
    uint32_t role;     /* NNBI_ROLE_FEATURE or NNBI_ROLE_TARGET */
    uint32_t encoding; /* NNBI_ENC_* */
    uint32_t scale;    /* nnb_scale (NNB_SCALE_NONE for categories) */
    double a, b;       /* mean and sample std (STANDARD), min and max (MINMAX), 0 and 1 (NONE) */
    uint32_t text;     /* categories come from a text column (else from numbers) */
    size_t n_cats;     /* categories or classes, sorted */
    char **cats;       /* their labels (numbers in shortest exact form: "1", "2.5") */
    /* derived by nnbi_prep_finish() */
    uint32_t fill;     /* nnb_fill of missing cells: NNB_FILL_NONE (they are an error) */
    double fill_value; /* number inputs: the value a missing cell becomes (fitted) */
    size_t fill_cat;   /* category inputs: the category a missing cell becomes (fitted) */
    /* derived by nnbi_prep_finish() */
    double *cat_values; /* text == 0: the categories' values, ascending */
    size_t out;         /* first output column in X (features) or Y (targets) */
    double shift, div;  /* applied as (v - shift) / div, or as (v/2 - shift/2) / div when half */
    int half;           /* min-max whose range max - min overflows: div is half the range */
    int constant;       /* a scaled column with zero deviation or range */
} nnbi_prep_input;

struct nnb_prep {
    /* configuration */
    size_t n_spec, cap_spec;
    nnbi_prep_spec *spec;
    nnbi_name_index spec_index; /* the specs by column name */
    size_t n_target_specs;      /* specs that are targets */
    size_t first_target;        /* the first of them (when n_target_specs > 0) */
    int default_scale_set;
    nnb_scale default_scale;
    int default_fill_set;
    nnb_fill default_fill; /* of every feature column not named (nnb_prep_fill(p, NULL)) */
    nnb_unseen unseen;

    /* fitted */
    int fitted;                  /* set by nnbi_prep_finish() */
    int fit_kind;                /* NNBI_FIT_* */
    nnb_target_kind target_kind; /* kind of the targets (NNB_TARGET_VALUES when none) */
    size_t n_inputs, cap_inputs;
    nnbi_prep_input *inputs;

    /* derived by nnbi_prep_finish() */
    size_t n_features, n_targets, n_classes;
    char **feature_names;        /* n_features */
    char **target_names;         /* n_targets */
    size_t class_input;          /* the classification target's input (when n_classes > 0) */
    nnbi_name_index input_index; /* the inputs by name */
    size_t n_constant;
    size_t *constant; /* inputs found constant */
};

/* A new unfitted-but-rebuilding preparation (fit_kind NNBI_FIT_TABLE or NNBI_FIT_MATRIX). */
nnb_status nnbi_prep_new_fitted(nnb_prep **out, int fit_kind, nnb_target_kind target_kind,
                                nnb_unseen unseen, const char *func);

/* Appends an input; strings are copied. For text == 0 categories, the labels must parse as
 * numbers. The categories must be sorted and distinct. */
nnb_status nnbi_prep_add_input(nnb_prep *p, const char *name, uint32_t role, uint32_t encoding,
                               uint32_t scale, double a, double b, uint32_t text, size_t n_cats,
                               const char *const *cats, const char *func);

/* Validates the inputs, derives names, offsets and constants; the preparation is then fitted. */
nnb_status nnbi_prep_finish(nnb_prep *p, const char *func);

/* A value of number input `in` as the preparation gives it: (x - shift) / div, computed in
 * halves where x - shift overflows (and always for a half min-max column); infinite only where
 * the result itself is. */
double nnbi_prep_scale_value(const nnbi_prep_input *in, double x);

/* Sets input i's fill of missing cells: kind (nnb_fill), the value of a number input, the
 * category index of a category input; NNB_E_FORMAT for values that do not fit the input (a fill
 * on a target, a value that is not finite, an index past the categories). */
nnb_status nnbi_prep_set_fill(nnb_prep *p, size_t i, uint32_t kind, double value, uint64_t cat,
                              const char *func);

/* Does any input fill missing cells? (Model files then store the fills.) */
int nnbi_prep_has_fill(const nnb_prep *p);

/* ---- prep_fill.c: the fitted fill values ---- */

/* The fill of number column values v[rows[i]] (rows NULL: v[i]), i < n, over its non-missing
 * (non-NaN) cells: their mean, median or most frequent value (the smallest of the most frequent);
 * NNB_E_INVALID_ARG naming the column when every cell is missing. */
nnb_status nnbi_fill_number(const double *v, const size_t *rows, size_t n, nnb_fill how,
                            const char *name, double *out, const char *func);

/* The most frequent category of a category input over the non-missing cells of column col of t
 * (rows as above; the input's categories are fitted): its index (the first of the most frequent);
 * NNB_E_INVALID_ARG if every cell is missing. */
nnb_status nnbi_fill_category(const nnbi_prep_input *in, const nnb_table *t, size_t col,
                              const size_t *rows, size_t n, size_t *out, const char *func);

/* Index of a cell's category in a fitted category input (binary search), or -1. */
ptrdiff_t nnbi_prep_find_category(const nnbi_prep_input *in, const nnb_table *t, size_t col,
                                  size_t row);

/* Frees the fitted part (inputs and everything derived), leaving the configuration. */
void nnbi_prep_clear_fit(nnb_prep *p);

#endif
