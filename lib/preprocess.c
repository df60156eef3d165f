/*
 * Data preparation (nnb_prep): column roles, one-hot encoding, standard and min-max scaling,
 * classification targets; fitted on chosen rows of a table (or on a matrix) and applied to any.
 * The fitted state is plain arrays (prep_internal.h) so that model files can store it.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data_internal.h"
#include "interrupt.h"
#include "prep_internal.h"

/* ---- the object and its configuration ---------------------------------------------------------- */

NNB_API nnb_status nnb_prep_create(nnb_prep **out) {
    NNBI_CHECK_NULL(out, __func__);
    *out = calloc(1, sizeof **out);
    if (!*out) return nnbi_error(NNB_E_NOMEM, __func__, "no memory for a preparation");
    return NNB_OK;
}

static void free_strings(char **s, size_t n) {
    if (!s) return;
    for (size_t i = 0; i < n; i++) free(s[i]);
    free(s);
}

void nnbi_prep_clear_fit(nnb_prep *p) {
    for (size_t i = 0; i < p->n_inputs; i++) {
        nnbi_prep_input *in = &p->inputs[i];
        free(in->name);
        free_strings(in->cats, in->n_cats);
        free(in->cat_values);
    }
    free(p->inputs);
    free_strings(p->feature_names, p->n_features);
    free_strings(p->target_names, p->n_targets);
    free(p->constant);
    nnbi_index_free(&p->input_index);
    p->inputs = NULL;
    p->n_inputs = p->cap_inputs = 0;
    p->feature_names = p->target_names = NULL;
    p->n_features = p->n_targets = p->n_classes = p->class_input = 0;
    p->constant = NULL;
    p->n_constant = 0;
    p->fitted = 0;
    p->fit_kind = NNBI_FIT_NONE;
    p->target_kind = NNB_TARGET_VALUES;
}

NNB_API void nnb_prep_free(nnb_prep *p) {
    if (!p) return;
    nnbi_prep_clear_fit(p);
    for (size_t i = 0; i < p->n_spec; i++) free(p->spec[i].name);
    free(p->spec);
    nnbi_index_free(&p->spec_index);
    free(p);
}

static const char *spec_at(const void *p, size_t i) { return ((const nnb_prep *)p)->spec[i].name; }

static nnbi_prep_spec *spec_find(const nnb_prep *p, const char *name) {
    ptrdiff_t i = nnbi_index_find(&p->spec_index, name, spec_at, p);
    return i < 0 ? NULL : &p->spec[i];
}

/* The spec of `name`, added (as an unscaled feature) if new. */
static nnb_status spec_get(nnb_prep *p, const char *name, const char *func, nnbi_prep_spec **out) {
    *out = spec_find(p, name);
    if (*out) return NNB_OK;
    void *grown = nnbi_grow(p->spec, &p->cap_spec, p->n_spec + 1, sizeof *p->spec, 8);
    if (!grown) return nnbi_error(NNB_E_NOMEM, func, "no memory");
    p->spec = grown;
    nnbi_prep_spec *s = &p->spec[p->n_spec];
    memset(s, 0, sizeof *s);
    s->name = nnbi_strdup(name);
    if (!s->name) return nnbi_error(NNB_E_NOMEM, func, "no memory");
    if (!nnbi_index_add(&p->spec_index, p->n_spec, spec_at, p)) {
        free(s->name);
        return nnbi_error(NNB_E_NOMEM, func, "no memory");
    }
    p->n_spec++;
    *out = s;
    return NNB_OK;
}

static nnb_status not_fitted(const nnb_prep *p, const char *func) {
    if (p->fitted)
        return nnbi_error(NNB_E_STATE, func,
                          "the preparation is fitted; configure a new one to change it");
    return NNB_OK;
}

/* The checks every setter makes, then the spec of `column`. */
static nnb_status spec_for(nnb_prep *p, const char *column, const char *func,
                           nnbi_prep_spec **out) {
    NNBI_CHECK_NULL(p, func);
    NNBI_CHECK_NULL(column, func);
    nnb_status st = not_fitted(p, func);
    return st != NNB_OK ? st : spec_get(p, column, func, out);
}

static const char *role_text(const nnbi_prep_spec *s) {
    if (s->role == NNBI_ROLE_TARGET) return "a target";
    if (s->role == NNBI_ROLE_DROP) return "dropped";
    if (s->onehot) return "one-hot encoded";
    if (s->scale_set) return "scaled";
    if (s->fill_set && s->fill != NNB_FILL_NONE) return "filled";
    return "a feature";
}

static nnb_status conflict(const nnbi_prep_spec *s, const char *func, const char *want) {
    return nnbi_error(NNB_E_INVALID_ARG, func, "column '%s' is already %s; it cannot be %s too",
                      s->name, role_text(s), want);
}

/* A target other than `column` that makes `column` a target of `kind` impossible (a class
 * target must be the only target), or NULL. Class targets are alone, so only the first target
 * needs a look unless there are others, then all are value targets: O(1) but for the message. */
static const nnbi_prep_spec *other_target(const nnb_prep *p, const char *column,
                                          nnb_target_kind kind) {
    if (p->n_target_specs == 0) return NULL;
    const nnbi_prep_spec *first = &p->spec[p->first_target];
    int first_is_column = strcmp(first->name, column) == 0;
    if (kind == NNB_TARGET_VALUES)
        return !first_is_column && first->target != NNB_TARGET_VALUES ? first : NULL;
    if (!first_is_column) return first;
    if (p->n_target_specs == 1) return NULL;
    for (size_t i = 0; i < p->n_spec; i++) /* an error: name another target */
        if (p->spec[i].role == NNBI_ROLE_TARGET && i != p->first_target) return &p->spec[i];
    return NULL;
}

NNB_API nnb_status nnb_prep_add_target(nnb_prep *p, const char *column, nnb_target_kind kind) {
    NNBI_CHECK_NULL(p, __func__);
    NNBI_CHECK_NULL(column, __func__);
    nnb_status st = not_fitted(p, __func__);
    if (st != NNB_OK) return st;
    if (kind != NNB_TARGET_VALUES && kind != NNB_TARGET_ONEHOT && kind != NNB_TARGET_INDEX)
        return nnbi_error(NNB_E_INVALID_ARG, __func__, "unknown target kind %d", (int)kind);
    const nnbi_prep_spec *o = other_target(p, column, kind);
    if (o)
        return nnbi_error(NNB_E_INVALID_ARG, __func__,
                          "'%s' is already a target: a classification target must be the "
                          "only target",
                          o->name);
    nnbi_prep_spec *s;
    if ((st = spec_for(p, column, __func__, &s)) != NNB_OK) return st;
    if (s->role == NNBI_ROLE_DROP || s->onehot) return conflict(s, __func__, "a target");
    if (s->fill_set && s->fill != NNB_FILL_NONE)
        return nnbi_error(NNB_E_INVALID_ARG, __func__,
                          "column '%s' is filled, and a target cannot be: a row without a target "
                          "cannot be used",
                          column);
    if (s->scale_set && kind != NNB_TARGET_VALUES)
        return conflict(s, __func__, "a classification target");
    if (s->role != NNBI_ROLE_TARGET) {
        if (p->n_target_specs++ == 0) p->first_target = (size_t)(s - p->spec);
    }
    s->role = NNBI_ROLE_TARGET;
    s->target = kind;
    return NNB_OK;
}
NNBI_DEPRECATED_ALIAS(nnb_prep_set_target, nnb_prep_add_target);

NNB_API nnb_status nnb_prep_drop(nnb_prep *p, const char *column) {
    nnbi_prep_spec *s;
    nnb_status st = spec_for(p, column, __func__, &s);
    if (st != NNB_OK) return st;
    if (s->role == NNBI_ROLE_TARGET || s->onehot || s->scale_set ||
        (s->fill_set && s->fill != NNB_FILL_NONE))
        return conflict(s, __func__, "dropped");
    s->role = NNBI_ROLE_DROP;
    return NNB_OK;
}

NNB_API nnb_status nnb_prep_onehot(nnb_prep *p, const char *column) {
    nnbi_prep_spec *s;
    nnb_status st = spec_for(p, column, __func__, &s);
    if (st != NNB_OK) return st;
    if (s->role != NNBI_ROLE_FEATURE || s->scale_set)
        return conflict(s, __func__, "one-hot encoded");
    s->onehot = 1;
    return NNB_OK;
}

NNB_API nnb_status nnb_prep_scale(nnb_prep *p, const char *column, nnb_scale how) {
    NNBI_CHECK_NULL(p, __func__);
    if (how != NNB_SCALE_NONE && how != NNB_SCALE_STANDARD && how != NNB_SCALE_MINMAX)
        return nnbi_error(NNB_E_INVALID_ARG, __func__, "unknown scaling %d", (int)how);
    if (!column) {
        nnb_status st = not_fitted(p, __func__);
        if (st != NNB_OK) return st;
        p->default_scale_set = 1;
        p->default_scale = how;
        return NNB_OK;
    }
    nnbi_prep_spec *s;
    nnb_status st = spec_for(p, column, __func__, &s);
    if (st != NNB_OK) return st;
    if (s->role == NNBI_ROLE_DROP || s->onehot ||
        (s->role == NNBI_ROLE_TARGET && s->target != NNB_TARGET_VALUES))
        return conflict(s, __func__, "scaled");
    s->scale_set = 1;
    s->scale = how;
    return NNB_OK;
}

NNB_API nnb_status nnb_prep_fill(nnb_prep *p, const char *column, nnb_fill how) {
    NNBI_CHECK_NULL(p, __func__);
    if ((unsigned)how > NNB_FILL_MOST_FREQUENT)
        return nnbi_error(NNB_E_INVALID_ARG, __func__, "unknown fill %d", (int)how);
    if (!column) {
        nnb_status st = not_fitted(p, __func__);
        if (st != NNB_OK) return st;
        p->default_fill_set = 1;
        p->default_fill = how;
        return NNB_OK;
    }
    nnbi_prep_spec *s;
    nnb_status st = spec_for(p, column, __func__, &s);
    if (st != NNB_OK) return st;
    if (s->role == NNBI_ROLE_TARGET)
        return nnbi_error(NNB_E_INVALID_ARG, __func__,
                          "column '%s' is a target, and targets are not filled: a row without a "
                          "target cannot be used (drop such rows)",
                          column);
    if (s->role == NNBI_ROLE_DROP) return conflict(s, __func__, "filled");
    s->fill_set = 1;
    s->fill = how;
    return NNB_OK;
}

NNB_API nnb_status nnb_prep_set_unseen(nnb_prep *p, nnb_unseen policy) {
    NNBI_CHECK_NULL(p, __func__);
    if (policy != NNB_UNSEEN_ERROR && policy != NNB_UNSEEN_ZERO)
        return nnbi_error(NNB_E_INVALID_ARG, __func__, "unknown unseen-category policy %d",
                          (int)policy);
    p->unseen = policy;
    return NNB_OK;
}

NNB_API nnb_status nnb_prep_get_unseen(const nnb_prep *p, nnb_unseen *policy) {
    NNBI_CHECK_NULL(p, __func__);
    if (policy) *policy = p->unseen;
    return NNB_OK;
}

/* ---- rebuilding a fitted preparation (also used by fitting) ------------------------------------ */

nnb_status nnbi_prep_new_fitted(nnb_prep **out, int fit_kind, nnb_target_kind target_kind,
                                nnb_unseen unseen, const char *func) {
    *out = NULL;
    if (fit_kind != NNBI_FIT_TABLE && fit_kind != NNBI_FIT_MATRIX)
        return nnbi_error(NNB_E_FORMAT, func, "unknown preparation kind %d", fit_kind);
    if (target_kind != NNB_TARGET_VALUES && target_kind != NNB_TARGET_ONEHOT &&
        target_kind != NNB_TARGET_INDEX)
        return nnbi_error(NNB_E_FORMAT, func, "unknown target kind %d", (int)target_kind);
    if (unseen != NNB_UNSEEN_ERROR && unseen != NNB_UNSEEN_ZERO)
        return nnbi_error(NNB_E_FORMAT, func, "unknown unseen-category policy %d", (int)unseen);
    nnb_prep *p = calloc(1, sizeof *p);
    if (!p) return nnbi_error(NNB_E_NOMEM, func, "no memory for a preparation");
    p->fit_kind = fit_kind;
    p->target_kind = target_kind;
    p->unseen = unseen;
    *out = p;
    return NNB_OK;
}

nnb_status nnbi_prep_add_input(nnb_prep *p, const char *name, uint32_t role, uint32_t encoding,
                               uint32_t scale, double a, double b, uint32_t text, size_t n_cats,
                               const char *const *cats, const char *func) {
    if (!name) return nnbi_error(NNB_E_FORMAT, func, "an input column without a name");
    if (role != NNBI_ROLE_FEATURE && role != NNBI_ROLE_TARGET)
        return nnbi_error(NNB_E_FORMAT, func, "column '%s': unknown role %u", name, role);
    if (encoding != NNBI_ENC_NUMBER && encoding != NNBI_ENC_CATEGORY)
        return nnbi_error(NNB_E_FORMAT, func, "column '%s': unknown encoding %u", name, encoding);
    if (scale != NNB_SCALE_NONE && scale != NNB_SCALE_STANDARD && scale != NNB_SCALE_MINMAX)
        return nnbi_error(NNB_E_FORMAT, func, "column '%s': unknown scaling %u", name, scale);
    if (!isfinite(a) || !isfinite(b) || (scale == NNB_SCALE_STANDARD && b < 0) ||
        (scale == NNB_SCALE_MINMAX && b < a))
        return nnbi_error(NNB_E_FORMAT, func, "column '%s': impossible statistics %g, %g", name, a,
                          b);
    if (encoding == NNBI_ENC_CATEGORY && (scale != NNB_SCALE_NONE || n_cats == 0 || !cats))
        return nnbi_error(NNB_E_FORMAT, func,
                          "column '%s': a category column needs categories and no scaling", name);
    if (encoding == NNBI_ENC_NUMBER && n_cats != 0)
        return nnbi_error(NNB_E_FORMAT, func, "column '%s': a number column has no categories",
                          name);
    void *grown = nnbi_grow(p->inputs, &p->cap_inputs, p->n_inputs + 1, sizeof *p->inputs, 8);
    if (!grown) return nnbi_error(NNB_E_NOMEM, func, "no memory");
    p->inputs = grown;
    nnbi_prep_input *in = &p->inputs[p->n_inputs];
    memset(in, 0, sizeof *in);
    in->role = role;
    in->encoding = encoding;
    in->scale = scale;
    in->a = a;
    in->b = b;
    in->text = text ? 1 : 0;
    in->fill = NNB_FILL_NONE;
    in->fill_value = NAN;
    in->name = nnbi_strdup(name);
    if (!in->name) return nnbi_error(NNB_E_NOMEM, func, "no memory");
    p->n_inputs++; /* from here on a failure removes the input again */
    nnb_status st = NNB_OK;
    if (n_cats == 0) return NNB_OK;
    in->cats = calloc(n_cats, sizeof *in->cats);
    if (!in->cats) {
        st = nnbi_error(NNB_E_NOMEM, func, "no memory");
        goto fail;
    }
    in->n_cats = n_cats;
    if (!in->text) {
        in->cat_values = malloc(n_cats * sizeof *in->cat_values);
        if (!in->cat_values) {
            st = nnbi_error(NNB_E_NOMEM, func, "no memory");
            goto fail;
        }
    }
    for (size_t k = 0; k < n_cats; k++) {
        if (!cats[k]) {
            st = nnbi_error(NNB_E_FORMAT, func, "column '%s': category %zu is missing", name, k);
            goto fail;
        }
        in->cats[k] = nnbi_strdup(cats[k]);
        if (!in->cats[k]) {
            st = nnbi_error(NNB_E_NOMEM, func, "no memory");
            goto fail;
        }
        int sorted;
        if (in->text) {
            sorted = k == 0 || strcmp(cats[k - 1], cats[k]) < 0;
        } else {
            if (nnbi_parse_number(cats[k], &in->cat_values[k]) != 1) {
                st = nnbi_error(NNB_E_FORMAT, func, "column '%s': category '%s' is not a number",
                                name, cats[k]);
                goto fail;
            }
            sorted = k == 0 || in->cat_values[k - 1] < in->cat_values[k];
        }
        if (!sorted) {
            st = nnbi_error(NNB_E_FORMAT, func,
                            "column '%s': categories are not sorted and distinct at '%s'", name,
                            cats[k]);
            goto fail;
        }
    }
    return NNB_OK;
fail:
    free(in->name);
    free_strings(in->cats, in->n_cats);
    free(in->cat_values);
    p->n_inputs--;
    return st;
}

nnb_status nnbi_prep_set_fill(nnb_prep *p, size_t i, uint32_t kind, double value, uint64_t cat,
                              const char *func) {
    nnbi_prep_input *in = &p->inputs[i];
    if (kind > NNB_FILL_MOST_FREQUENT)
        return nnbi_error(NNB_E_FORMAT, func, "column '%s': unknown fill %u", in->name, kind);
    if (kind != NNB_FILL_NONE && in->role != NNBI_ROLE_FEATURE)
        return nnbi_error(NNB_E_FORMAT, func, "column '%s': a target is not filled", in->name);
    int number = in->encoding == NNBI_ENC_NUMBER;
    if (kind != NNB_FILL_NONE && (number ? !isfinite(value) : cat >= in->n_cats))
        return nnbi_error(NNB_E_FORMAT, func, "column '%s': impossible fill %s %g, category %llu",
                          in->name, nnb_fill_name((nnb_fill)kind), value, (unsigned long long)cat);
    if (kind != NNB_FILL_NONE && !number && kind != NNB_FILL_MOST_FREQUENT)
        return nnbi_error(NNB_E_FORMAT, func,
                          "column '%s': categories are filled with the most "
                          "frequent one",
                          in->name);
    in->fill = kind;
    in->fill_value = kind != NNB_FILL_NONE && number ? value : NAN;
    in->fill_cat = kind != NNB_FILL_NONE && !number ? (size_t)cat : 0;
    return NNB_OK;
}

int nnbi_prep_has_fill(const nnb_prep *p) {
    for (size_t i = 0; i < p->n_inputs; i++)
        if (p->inputs[i].fill != NNB_FILL_NONE) return 1;
    return 0;
}

static char *joined(const char *a, const char *b) {
    size_t na = strlen(a), nb = strlen(b);
    char *s = malloc(na + nb + 2);
    if (!s) return NULL;
    memcpy(s, a, na);
    s[na] = '_';
    memcpy(s + na + 1, b, nb + 1);
    return s;
}

static const char *input_at(const void *p, size_t i) {
    return ((const nnb_prep *)p)->inputs[i].name;
}

nnb_status nnbi_prep_finish(nnb_prep *p, const char *func) {
    size_t nf = 0, nt = 0, n_class_targets = 0, n_value_targets = 0;
    for (size_t i = 0; i < p->n_inputs; i++) {
        nnbi_prep_input *in = &p->inputs[i];
        if (p->fit_kind == NNBI_FIT_MATRIX &&
            (in->role != NNBI_ROLE_FEATURE || in->encoding != NNBI_ENC_NUMBER))
            return nnbi_error(NNB_E_FORMAT, func, "a matrix preparation has only number features");
        if (in->role == NNBI_ROLE_FEATURE) {
            in->out = nf;
            nf += in->encoding == NNBI_ENC_CATEGORY ? in->n_cats : 1;
        } else if (in->encoding == NNBI_ENC_CATEGORY) {
            n_class_targets++;
            p->class_input = i;
            p->n_classes = in->n_cats;
            in->out = 0;
            nt = p->target_kind == NNB_TARGET_ONEHOT ? in->n_cats : 1;
        } else {
            n_value_targets++;
            in->out = nt++;
        }
        in->shift = 0;
        in->div = 1;
        in->constant = 0;
        in->half = 0;
        if (in->scale == NNB_SCALE_STANDARD) {
            in->shift = in->a;
            in->constant = !(in->b > 0);
            if (!in->constant) in->div = in->b;
        } else if (in->scale == NNB_SCALE_MINMAX) {
            in->shift = in->a;
            in->constant = !(in->b - in->a > 0);
            if (!in->constant) in->div = in->b - in->a;
            if (!isfinite(in->div)) { /* the range overflows: work in halves */
                in->half = 1;
                in->div = in->b * 0.5 - in->a * 0.5;
            }
        }
    }
    if (nf == 0) return nnbi_error(NNB_E_FORMAT, func, "the preparation has no feature column");
    if (n_class_targets > 0 &&
        (n_class_targets > 1 || n_value_targets > 0 || p->target_kind == NNB_TARGET_VALUES))
        return nnbi_error(NNB_E_FORMAT, func,
                          "a classification target must be the only target, of a class kind");
    if (n_value_targets > 0 && p->target_kind != NNB_TARGET_VALUES)
        return nnbi_error(NNB_E_FORMAT, func, "value targets under a classification kind");
    if (n_class_targets == 0) p->n_classes = 0;

    p->feature_names = calloc(nf, sizeof *p->feature_names);
    p->target_names = nt ? calloc(nt, sizeof *p->target_names) : NULL;
    p->constant = malloc((p->n_inputs ? p->n_inputs : 1) * sizeof *p->constant);
    p->n_features = nf;
    p->n_targets = nt;
    if (!p->feature_names || (nt && !p->target_names) || !p->constant)
        return nnbi_error(NNB_E_NOMEM, func, "no memory");
    for (size_t i = 0; i < p->n_inputs; i++) {
        const nnbi_prep_input *in = &p->inputs[i];
        char **names = in->role == NNBI_ROLE_FEATURE ? p->feature_names : p->target_names;
        int expand = in->encoding == NNBI_ENC_CATEGORY &&
                     (in->role == NNBI_ROLE_FEATURE || p->target_kind == NNB_TARGET_ONEHOT);
        if (expand) {
            for (size_t k = 0; k < in->n_cats; k++)
                if (!(names[in->out + k] = joined(in->name, in->cats[k])))
                    return nnbi_error(NNB_E_NOMEM, func, "no memory");
        } else if (!(names[in->out] = nnbi_strdup(in->name))) {
            return nnbi_error(NNB_E_NOMEM, func, "no memory");
        }
        if (in->constant) p->constant[p->n_constant++] = i;
    }
    size_t dup, dup_of;
    if (!nnbi_index_build(&p->input_index, p->n_inputs, input_at, p, &dup, &dup_of))
        return nnbi_error(NNB_E_NOMEM, func, "no memory");
    if (dup != SIZE_MAX)
        return nnbi_error(NNB_E_FORMAT, func, "columns %zu and %zu are both named '%s'", dup_of + 1,
                          dup + 1, p->inputs[dup].name);
    p->fitted = 1;
    return NNB_OK;
}

/* ---- fitting ----------------------------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static size_t row_at(const size_t *rows, size_t i) { return rows ? rows[i] : i; }

/* Values of one column: x[(rows ? rows[i] : i) * stride + off] of type xt, a missing (NaN) one
 * read as `fill` (the column's fitted fill; NaN when it has none). */
typedef struct col_values {
    const void *x;
    nnb_dtype xt;
    size_t stride, off;
    const size_t *rows;
    double fill;
} col_values;

static double value_at(const col_values *v, size_t i) {
    size_t k = (v->rows ? v->rows[i] : i) * v->stride + v->off;
    double x = nnbi_read(v->xt, v->x, k);
    return isnan(x) ? v->fill : x;
}

/* The power of two 2^e just above |m| (m > 0): frexp's exponent. */
static int exponent_of(double m) {
    int e;
    frexp(m, &e);
    return e;
}

/* The mean of n finite values whose plain sum overflowed: the sum of the values scaled (exactly,
 * by a power of two) to below 1 in magnitude, divided by n and scaled back. */
static double safe_mean(const col_values *v, size_t n) {
    double big = 0;
    for (size_t i = 0; i < n; i++) big = fmax(big, fabs(value_at(v, i)));
    int e = exponent_of(big);
    double sum = 0;
    for (size_t i = 0; i < n; i++) sum += ldexp(value_at(v, i), -e);
    return ldexp(sum / (double)n, e);
}

/* The sample standard deviation (n - 1) of n finite values about `mean`, where the plain sum of
 * squares overflowed or underflowed: the deviations (halved when one overflows) are scaled by the
 * power of two above the largest before they are squared. Infinite only when the result itself
 * is beyond the largest double. */
static double safe_sd(const col_values *v, size_t n, double mean) {
    double half = 1, big = 0;
    for (size_t i = 0; i < n && half == 1; i++) {
        double d = value_at(v, i) - mean;
        if (isfinite(d))
            big = fmax(big, fabs(d));
        else
            half = 0.5, big = 0;
    }
    for (size_t i = 0; i < n && half != 1; i++)
        big = fmax(big, fabs(value_at(v, i) * half - mean * half));
    if (big == 0) return 0;
    int e = exponent_of(big);
    double ss = 0;
    for (size_t i = 0; i < n; i++) {
        double d = ldexp(value_at(v, i) * half - mean * half, -e);
        ss += d * d;
    }
    return ldexp(sqrt(ss / (double)(n - 1)), e) / half;
}

/* Below this a sum of squares may have lost its precision to underflow (squares of deviations
 * under 1.5e-154 are subnormal or 0), so the deviation is computed again, scaled. */
#define SS_TINY 0x1p-900

/* nnb_prep's mean and sample standard deviation of a column, for any finite values: the plain
 * formulas (sum / n, then the sum of squared deviations) where they hold, which is bit for bit
 * what they always gave; the scaled ones of safe_mean() and safe_sd() only where a sum overflows
 * (or the squares underflow). `sum` and `ss` are the plain sums. */
static void finish_stats(const col_values *v, size_t n, double sum, double ss, double *mean,
                         double *sd) {
    *mean = isfinite(sum) ? sum / (double)n : safe_mean(v, n);
    if (isfinite(sum) && isfinite(ss) && ss >= SS_TINY)
        *sd = sqrt(ss / (double)(n - 1));
    else
        *sd = safe_sd(v, n, *mean);
}

static nnb_status sd_too_large(const char *name, const char *func) {
    return nnbi_error(NNB_E_TOO_LARGE, func,
                      "column '%s': its values are spread beyond the range of double (the "
                      "standard deviation exceeds 1.8e308); rescale the column, or use min-max "
                      "scaling",
                      name);
}

/* Mean and sample std, or min and max, of a numeric column over the rows, its missing (NaN)
 * cells counted as `fill` (a column without missing cells gives the same bits as always). */
static nnb_status column_stats(const nnbi_column *c, const size_t *rows, size_t n, nnb_scale how,
                               double fill, double *a, double *b, const char *func) {
    *a = 0;
    *b = 1;
    col_values v = {c->num, NNB_F64, 1, 0, rows, fill};
    if (how == NNB_SCALE_STANDARD) {
        if (n < 2)
            return nnbi_error(NNB_E_INVALID_ARG, func,
                              "standardising '%s' needs at least 2 rows (the sample standard "
                              "deviation divides by n - 1)",
                              c->name);
        double sum = 0;
        for (size_t i = 0; i < n; i++) sum += value_at(&v, i);
        double mean = sum / (double)n, ss = 0;
        for (size_t i = 0; i < n; i++) {
            double d = value_at(&v, i) - mean;
            ss += d * d;
        }
        finish_stats(&v, n, sum, ss, a, b);
        if (!isfinite(*b)) return sd_too_large(c->name, func);
    } else if (how == NNB_SCALE_MINMAX) {
        double lo = value_at(&v, 0), hi = lo;
        for (size_t i = 1; i < n; i++) {
            double x = value_at(&v, i);
            if (x < lo) lo = x;
            if (x > hi) hi = x;
        }
        *a = lo;
        *b = hi;
    }
    return NNB_OK;
}

/* The sorted distinct categories of a column over the rows, as new labels (caller frees). */
static nnb_status column_categories(const nnb_table *t, const nnbi_column *c, size_t col,
                                    const size_t *rows, size_t n, char ***labels, size_t *n_cats,
                                    const char *func) {
    *labels = NULL;
    *n_cats = 0;
    size_t k = 0;
    char **out = NULL;
    size_t m = 0; /* cells that are not missing ("" and NaN: kept by the CSV reader) */
    if (c->is_text) {
        const char **v = malloc((n ? n : 1) * sizeof *v);
        if (!v) return nnbi_error(NNB_E_NOMEM, func, "no memory");
        for (size_t i = 0; i < n; i++)
            if (*(v[m] = nnbi_table_text(t, col, row_at(rows, i)))) m++;
        qsort(v, m, sizeof *v, cmp_str);
        for (size_t i = 0; i < m; i++)
            if (i == 0 || strcmp(v[i - 1], v[i]) != 0) v[k++] = v[i];
        out = calloc(k, sizeof *out);
        for (size_t i = 0; out && i < k; i++)
            if (!(out[i] = nnbi_strdup(v[i]))) {
                free_strings(out, k);
                out = NULL;
            }
        free(v);
    } else {
        double *v = malloc((n ? n : 1) * sizeof *v);
        if (!v) return nnbi_error(NNB_E_NOMEM, func, "no memory");
        for (size_t i = 0; i < n; i++)
            if (!isnan(v[m] = c->num[row_at(rows, i)])) m++;
        qsort(v, m, sizeof *v, cmp_double);
        for (size_t i = 0; i < m; i++)
            if (i == 0 || v[i - 1] != v[i]) v[k++] = v[i];
        out = calloc(k, sizeof *out);
        for (size_t i = 0; out && i < k; i++) {
            char buf[32];
            nnbi_format_number(v[i], buf, sizeof buf);
            if (!(out[i] = nnbi_strdup(buf))) {
                free_strings(out, k);
                out = NULL;
            }
        }
        free(v);
    }
    if (!out && k) return nnbi_error(NNB_E_NOMEM, func, "no memory");
    if (k == 0)
        return nnbi_error(NNB_E_INVALID_ARG, func,
                          "column '%s' of %s has no value in the rows "
                          "fitted on: every cell is missing (a column without values says "
                          "nothing: drop it)",
                          c->name, t->source);
    *labels = out;
    *n_cats = k;
    return NNB_OK;
}

/* The first of the rows whose cell of column col is missing, or SIZE_MAX. */
static size_t first_missing(const nnb_table *t, size_t col, const size_t *rows, size_t n) {
    const nnbi_column *c = &t->cols[col];
    for (size_t i = 0; i < n; i++) {
        size_t r = row_at(rows, i);
        if (c->is_text ? nnbi_table_text(t, col, r)[0] == '\0' : isnan(c->num[r])) return r;
    }
    return SIZE_MAX;
}

static nnb_status missing_error(const nnb_table *t, size_t col, size_t row, int target,
                                const char *func) {
    const nnbi_column *c = &t->cols[col];
    return nnbi_error(NNB_E_FORMAT, func, "%s:%zu:%zu: missing value in column '%s'%s", t->source,
                      t->line[row], c->field, c->name,
                      target ? ", a target: rows without a target cannot be used (drop them)"
                             : ", which the preparation does not fill (nnb_prep_fill)");
}

/* One column of the table as an input of the preparation (role FEATURE or TARGET): categories
 * or statistics, and the fill of its missing cells. */
static nnb_status fit_column(nnb_prep *p, const nnb_table *t, size_t j, const size_t *rows,
                             size_t n, const char *func) {
    const nnbi_column *c = &t->cols[j];
    const nnbi_prep_spec *s = spec_find(p, c->name);
    int role = s ? s->role : NNBI_ROLE_FEATURE;
    int category = role == NNBI_ROLE_FEATURE ? s && s->onehot : s->target != NNB_TARGET_VALUES;
    nnb_fill fill = s && s->fill_set                                   ? s->fill
                    : role == NNBI_ROLE_FEATURE && p->default_fill_set ? p->default_fill
                                                                       : NNB_FILL_NONE;
    size_t missing = first_missing(t, j, rows, n);
    if (missing != SIZE_MAX && (fill == NNB_FILL_NONE || role != NNBI_ROLE_FEATURE))
        return missing_error(t, j, missing, role != NNBI_ROLE_FEATURE, func);
    nnb_status st;
    if (category) {
        char **labels;
        size_t k, cat = 0;
        st = column_categories(t, c, j, rows, n, &labels, &k, func);
        if (st != NNB_OK) return st;
        st = nnbi_prep_add_input(p, c->name, (uint32_t)role, NNBI_ENC_CATEGORY, NNB_SCALE_NONE, 0,
                                 1, (uint32_t)c->is_text, k, (const char *const *)labels, func);
        free_strings(labels, k);
        if (st == NNB_OK && fill != NNB_FILL_NONE) /* categories: the most frequent, always */
            st = nnbi_fill_category(&p->inputs[p->n_inputs - 1], t, j, rows, n, &cat, func);
        if (st == NNB_OK && fill != NNB_FILL_NONE)
            st = nnbi_prep_set_fill(p, p->n_inputs - 1, NNB_FILL_MOST_FREQUENT, 0, cat, func);
        return st;
    }
    if (c->is_text)
        return nnbi_error(NNB_E_FORMAT, func,
                          "column '%s' of %s holds texts, and is used as a number: "
                          "one-hot encode it, drop it or make it a class target",
                          c->name, t->source);
    nnb_scale how = NNB_SCALE_NONE;
    if (s && s->scale_set)
        how = s->scale;
    else if (role == NNBI_ROLE_FEATURE && p->default_scale_set)
        how = p->default_scale;
    double a, b, value = NAN;
    if (fill != NNB_FILL_NONE &&
        (st = nnbi_fill_number(c->num, rows, n, fill, c->name, &value, func)) != NNB_OK)
        return st;
    if ((st = column_stats(c, rows, n, how, value, &a, &b, func)) != NNB_OK) return st;
    st = nnbi_prep_add_input(p, c->name, (uint32_t)role, NNBI_ENC_NUMBER, (uint32_t)how, a, b, 0, 0,
                             NULL, func);
    if (st == NNB_OK && fill != NNB_FILL_NONE)
        st = nnbi_prep_set_fill(p, p->n_inputs - 1, fill, value, 0, func);
    return st;
}

static nnb_status fit_table(nnb_prep *p, const nnb_table *t, const size_t *rows, size_t n,
                            const char *func) {
    nnb_target_kind kind = NNB_TARGET_VALUES;
    for (size_t i = 0; i < p->n_spec; i++)
        if (p->spec[i].role == NNBI_ROLE_TARGET && p->spec[i].target != NNB_TARGET_VALUES)
            kind = p->spec[i].target;
    p->fit_kind = NNBI_FIT_TABLE;
    p->target_kind = kind;
    size_t n_features = 0;
    for (size_t j = 0; j < t->n_cols; j++) {
        const nnbi_prep_spec *s = spec_find(p, t->cols[j].name);
        int role = s ? s->role : NNBI_ROLE_FEATURE;
        if (role == NNBI_ROLE_DROP) continue;
        nnb_status st = fit_column(p, t, j, rows, n, func);
        if (st != NNB_OK) return st;
        if (role == NNBI_ROLE_FEATURE) n_features++;
    }
    if (n_features == 0)
        return nnbi_error(NNB_E_INVALID_ARG, func, "no feature column is left in %s", t->source);
    return nnbi_prep_finish(p, func);
}

static nnb_status check_rows(const nnb_table *t, const size_t *rows, size_t n, const char *func) {
    if (!rows) {
        if (n != t->n_rows)
            return nnbi_error(NNB_E_INVALID_ARG, func,
                              "rows is NULL, so n_rows must be the table's %zu, not %zu", t->n_rows,
                              n);
        return NNB_OK;
    }
    for (size_t i = 0; i < n; i++)
        if (rows[i] >= t->n_rows)
            return nnbi_error(NNB_E_INVALID_ARG, func, "rows[%zu] = %zu, the table has %zu rows", i,
                              rows[i], t->n_rows);
    return NNB_OK;
}

NNB_API nnb_status nnb_prep_fit(nnb_prep *p, const nnb_table *t, const size_t *rows,
                                size_t n_rows) {
    NNBI_CHECK_NULL(p, __func__);
    NNBI_CHECK_NULL(t, __func__);
    if (n_rows == 0) return nnbi_error(NNB_E_INVALID_ARG, __func__, "no rows to fit on");
    nnb_status st = check_rows(t, rows, n_rows, __func__);
    if (st != NNB_OK) return st;
    for (size_t i = 0; i < p->n_spec; i++)
        if (nnbi_table_find(t, p->spec[i].name) < 0) {
            size_t col;
            return nnb_table_find_column(t, p->spec[i].name, &col); /* its message lists columns */
        }
    nnbi_prep_clear_fit(p);
    st = fit_table(p, t, rows, n_rows, __func__);
    if (st != NNB_OK) nnbi_prep_clear_fit(p);
    return st;
}

/* Element (r, j) of a matrix of `cols` columns, a missing (NaN) one as its column's fill (fill
 * NULL: as it is). */
static double cell(const void *x, nnb_dtype xt, size_t cols, size_t r, size_t j,
                   const double *fill) {
    double v = nnbi_read(xt, x, r * cols + j);
    return fill && isnan(v) ? fill[j] : v;
}

/* Means (a) and sample standard deviations (b, zeroed) of every column of a matrix: the plain
 * sums row by row (as they always were), then finish_stats() per column. */
static nnb_status matrix_stats(const void *x, nnb_dtype xt, size_t rows, size_t cols,
                               const double *fill, double *a, double *b, const char *func) {
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++) a[j] += cell(x, xt, cols, i, j, fill);
    for (size_t j = 0; j < cols; j++) {
        b[j] = a[j]; /* the plain sum, kept for finish_stats */
        a[j] /= (double)rows;
    }
    double *ss = calloc(cols, sizeof *ss);
    if (!ss) return nnbi_error(NNB_E_NOMEM, func, "no memory for %zu columns", cols);
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++) {
            double d = cell(x, xt, cols, i, j, fill) - a[j];
            ss[j] += d * d;
        }
    nnb_status st = NNB_OK;
    for (size_t j = 0; j < cols && st == NNB_OK; j++) {
        col_values v = {x, xt, cols, j, NULL, fill ? fill[j] : NAN};
        finish_stats(&v, rows, b[j], ss[j], &a[j], &b[j]);
        if (!isfinite(b[j])) {
            char name[32];
            snprintf(name, sizeof name, "x%zu", j);
            st = sd_too_large(name, func);
        }
    }
    free(ss);
    return st;
}

/* The statistics of every column of a matrix for scaling `how` (a, b as the inputs store them). */
static nnb_status matrix_scalings(const void *x, nnb_dtype xt, size_t rows, size_t cols,
                                  nnb_scale how, const double *fill, double *a, double *b,
                                  const char *func) {
    if (how == NNB_SCALE_STANDARD) return matrix_stats(x, xt, rows, cols, fill, a, b, func);
    if (how == NNB_SCALE_MINMAX) {
        for (size_t j = 0; j < cols; j++) a[j] = b[j] = cell(x, xt, cols, 0, j, fill);
        for (size_t i = 1; i < rows; i++)
            for (size_t j = 0; j < cols; j++) {
                double v = cell(x, xt, cols, i, j, fill);
                if (v < a[j]) a[j] = v;
                if (v > b[j]) b[j] = v;
            }
        return NNB_OK;
    }
    for (size_t j = 0; j < cols; j++) b[j] = 1;
    return NNB_OK;
}

/* The fills of every column of a matrix (nnb_prep_fill(p, NULL, how)), each over its present
 * cells. */
static nnb_status matrix_fills(const void *x, nnb_dtype xt, size_t rows, size_t cols, nnb_fill how,
                               double *fill, const char *func) {
    double *col = malloc(rows * sizeof *col);
    if (!col) return nnbi_error(NNB_E_NOMEM, func, "no memory for %zu rows", rows);
    nnb_status st = NNB_OK;
    for (size_t j = 0; j < cols && st == NNB_OK; j++) {
        for (size_t i = 0; i < rows; i++) col[i] = nnbi_read(xt, x, i * cols + j);
        char name[32];
        snprintf(name, sizeof name, "x%zu", j);
        st = nnbi_fill_number(col, NULL, rows, how, name, &fill[j], func);
    }
    free(col);
    return st;
}

/* nnb_prep_fit_matrix and nnb_prep_fit_matrix_f32 (x of either type; the statistics are
 * accumulated in double either way). */
static nnb_status fit_matrix(nnb_prep *p, const void *x, nnb_dtype xt, size_t rows, size_t cols,
                             nnb_scale how, const char *func) {
    NNBI_CHECK_NULL(p, func);
    NNBI_CHECK_NULL(x, func);
    if (p->n_spec > 0)
        return nnbi_error(NNB_E_STATE, func,
                          "the preparation has column settings for a table; use a new one");
    if (rows == 0 || cols == 0)
        return nnbi_error(NNB_E_INVALID_ARG, func, "x is %zu x %zu", rows, cols);
    if (how != NNB_SCALE_NONE && how != NNB_SCALE_STANDARD && how != NNB_SCALE_MINMAX)
        return nnbi_error(NNB_E_INVALID_ARG, func, "unknown scaling %d", (int)how);
    if (how == NNB_SCALE_STANDARD && rows < 2)
        return nnbi_error(NNB_E_INVALID_ARG, func, "standardising needs at least 2 rows");
    size_t total;
    if (!nnbi_mul_size(rows, cols, &total))
        return nnbi_error(NNB_E_TOO_LARGE, func, "x is %zu x %zu", rows, cols);
    nnb_fill fill_how = p->default_fill_set ? p->default_fill : NNB_FILL_NONE;
    for (size_t i = 0; i < total; i++) { /* NaN is a missing cell when filled */
        double v = nnbi_read(xt, x, i);
        if (!isfinite(v) && !(isnan(v) && fill_how != NNB_FILL_NONE))
            return nnbi_error(NNB_E_NONFINITE, func, "x[%zu][%zu] is %g%s", i / cols, i % cols, v,
                              isnan(v) ? " (nnb_prep_fill fills missing cells)" : "");
    }
    double *a = calloc(cols, sizeof *a), *b = calloc(cols, sizeof *b);
    double *fill = fill_how != NNB_FILL_NONE ? malloc(cols * sizeof *fill) : NULL;
    nnb_status st = NNB_OK;
    if (!a || !b || (fill_how != NNB_FILL_NONE && !fill))
        st = nnbi_error(NNB_E_NOMEM, func, "no memory for %zu columns", cols);
    if (st == NNB_OK && fill) st = matrix_fills(x, xt, rows, cols, fill_how, fill, func);
    if (st == NNB_OK) st = matrix_scalings(x, xt, rows, cols, how, fill, a, b, func);
    if (st == NNB_OK) {
        nnbi_prep_clear_fit(p);
        p->fit_kind = NNBI_FIT_MATRIX;
    }
    for (size_t j = 0; j < cols && st == NNB_OK; j++) {
        char name[32];
        snprintf(name, sizeof name, "x%zu", j);
        st = nnbi_prep_add_input(p, name, NNBI_ROLE_FEATURE, NNBI_ENC_NUMBER, (uint32_t)how, a[j],
                                 b[j], 0, 0, NULL, func);
        if (st == NNB_OK && fill) st = nnbi_prep_set_fill(p, j, fill_how, fill[j], 0, func);
    }
    if (st == NNB_OK) st = nnbi_prep_finish(p, func);
    if (st != NNB_OK) nnbi_prep_clear_fit(p);
    free(a);
    free(b);
    free(fill);
    return st;
}

NNB_API nnb_status nnb_prep_fit_matrix(nnb_prep *p, const double *x, size_t rows, size_t cols,
                                       nnb_scale how) {
    return fit_matrix(p, x, NNB_F64, rows, cols, how, __func__);
}

NNB_API nnb_status nnb_prep_fit_matrix_f32(nnb_prep *p, const float *x, size_t rows, size_t cols,
                                           nnb_scale how) {
    return fit_matrix(p, x, NNB_F32, rows, cols, how, __func__);
}

/* ---- applying ---------------------------------------------------------------------------------- */

double nnbi_prep_scale_value(const nnbi_prep_input *in, double x) {
    if (in->half) return (x * 0.5 - in->shift * 0.5) / in->div;
    double v = (x - in->shift) / in->div;
    /* x - shift overflowed (the result may still be finite): the same in halves, exactly */
    if (!isfinite(v) && isfinite(x)) v = (x * 0.5 - in->shift * 0.5) / (in->div * 0.5);
    return v;
}

/* The inverse of nnbi_prep_scale_value(): y * div + shift, without overflow where the result
 * is finite. */
static double unscale_value(const nnbi_prep_input *in, double y) {
    if (in->half) return (y * in->div + in->shift * 0.5) * 2;
    double v = y * in->div + in->shift;
    if (!isfinite(v) && isfinite(y)) v = (y * (in->div * 0.5) + in->shift * 0.5) * 2;
    return v;
}

static nnb_status unseen_error(const nnbi_prep_input *in, const nnb_table *t, size_t col,
                               size_t row, const char *func) {
    char buf[32];
    const char *s;
    if (in->text) {
        s = nnbi_table_text(t, col, row);
    } else {
        nnbi_format_number(t->cols[col].num[row], buf, sizeof buf);
        s = buf;
    }
    return nnbi_error(NNB_E_FORMAT, func,
                      "%s:%zu:%zu: %s '%.60s' in column '%s' was not seen when fitting (%zu %s)",
                      t->source, t->line[row], t->cols[col].field,
                      in->role == NNBI_ROLE_FEATURE ? "category" : "class", s, in->name, in->n_cats,
                      in->role == NNBI_ROLE_FEATURE ? "categories" : "classes");
}

/* Input `in` of one row (table row `row`, column `col`) into the row's output o (X's row for a
 * feature, Y's for a target) of type ot: every value computed in double and rounded once to the
 * type (a value beyond its range is an error). */
static nnb_status apply_cell(const nnb_prep *p, const nnbi_prep_input *in, const nnb_table *t,
                             size_t col, size_t row, char *o, nnb_dtype ot, const char *func) {
    const nnbi_column *c = &t->cols[col];
    int feature = in->role == NNBI_ROLE_FEATURE;
    int missing = c->is_text ? nnbi_table_text(t, col, row)[0] == '\0' : isnan(c->num[row]);
    if (missing && in->fill == NNB_FILL_NONE) return missing_error(t, col, row, !feature, func);
    if (in->encoding == NNBI_ENC_NUMBER) {
        double v = nnbi_prep_scale_value(in, missing ? in->fill_value : c->num[row]);
        if (!isfinite(v))
            return nnbi_error(NNB_E_NONFINITE, func,
                              "%s:%zu:%zu: column '%s' gives %g, which scales beyond the range "
                              "of double: the value is far outside the fitted data's",
                              t->source, t->line[row], c->field, in->name, c->num[row]);
        if (fabs(v) > nnbi_dtype_max(ot))
            return nnbi_error(NNB_E_NONFINITE, func,
                              "%s:%zu:%zu: column '%s' gives %g, beyond float32's range "
                              "(3.4e38): scale the column or prepare float64 data",
                              t->source, t->line[row], c->field, in->name, v);
        nnbi_write(ot, o, in->out, v);
        return NNB_OK;
    }
    ptrdiff_t k = missing ? (ptrdiff_t)in->fill_cat : nnbi_prep_find_category(in, t, col, row);
    if (k < 0 && !(feature && p->unseen == NNB_UNSEEN_ZERO))
        return unseen_error(in, t, col, row, func);
    if (!feature && p->target_kind == NNB_TARGET_INDEX) {
        nnbi_write(ot, o, in->out, (double)k);
        return NNB_OK;
    }
    for (size_t m = 0; m < in->n_cats; m++)
        nnbi_write(ot, o, in->out + m, (ptrdiff_t)m == k ? 1.0 : 0.0);
    return NNB_OK;
}

/* nnb_prep_apply's rows into x and y of type ot. */
static nnb_status apply_rows(const nnb_prep *p, const nnb_table *t, const size_t *rows,
                             size_t n_rows, const size_t *col, void *x, void *y, nnb_dtype ot,
                             const char *func) {
    const size_t es = nnbi_dtype_size(ot);
    for (size_t r = 0; r < n_rows; r++) {
        if ((r & 0xFFFF) == 0xFFFF && nnbi_interrupted()) /* nnb_set_interrupt_flag */
            return nnbi_interrupt_error(func, t->source);
        size_t row = row_at(rows, r);
        char *xr = (char *)x + r * p->n_features * es;
        char *yr = y ? (char *)y + r * p->n_targets * es : NULL;
        for (size_t i = 0; i < p->n_inputs; i++) {
            const nnbi_prep_input *in = &p->inputs[i];
            if (col[i] == SIZE_MAX) continue;
            nnb_status st = apply_cell(p, in, t, col[i], row,
                                       in->role == NNBI_ROLE_FEATURE ? xr : yr, ot, func);
            if (st != NNB_OK) return st;
        }
    }
    return NNB_OK;
}

/* nnb_prep_apply and nnb_prep_apply_f32. */
static nnb_status apply(const nnb_prep *p, const nnb_table *t, const size_t *rows, size_t n_rows,
                        void *x, size_t x_len, void *y, size_t y_len, nnb_dtype ot,
                        const char *func) {
    NNBI_CHECK_NULL(p, func);
    NNBI_CHECK_NULL(t, func);
    if (!p->fitted || p->fit_kind != NNBI_FIT_TABLE)
        return nnbi_error(NNB_E_STATE, func,
                          p->fitted ? "the preparation was fitted on a matrix: use "
                                      "nnb_prep_transform()"
                                    : "the preparation is not fitted (nnb_prep_fit())");
    nnb_status st = check_rows(t, rows, n_rows, func);
    if (st != NNB_OK) return st;
    if (n_rows == 0) return NNB_OK;
    NNBI_CHECK_NULL(x, func);
    size_t need = SIZE_MAX;
    if (!nnbi_mul_size(n_rows, p->n_features, &need) || x_len < need)
        return nnbi_error(NNB_E_SHAPE, func, "x holds %zu values, %zu rows x %zu features need %zu",
                          x_len, n_rows, p->n_features, need);
    if (y && (!nnbi_mul_size(n_rows, p->n_targets, &need) || y_len < need))
        return nnbi_error(NNB_E_SHAPE, func, "y holds %zu values, %zu rows x %zu targets need %zu",
                          y_len, n_rows, p->n_targets, need);
    size_t *col = malloc(p->n_inputs * sizeof *col);
    if (!col) return nnbi_error(NNB_E_NOMEM, func, "no memory");
    for (size_t i = 0; i < p->n_inputs; i++) {
        const nnbi_prep_input *in = &p->inputs[i];
        col[i] = SIZE_MAX;
        if (in->role == NNBI_ROLE_TARGET && !y) continue;
        ptrdiff_t j = nnbi_table_find(t, in->name);
        if (j < 0) {
            st = nnbi_error(NNB_E_INVALID_ARG, func,
                            "%s has no column '%s', which the "
                            "preparation needs",
                            t->source, in->name);
            goto done;
        }
        int want_text = in->encoding == NNBI_ENC_CATEGORY && in->text;
        if (t->cols[j].is_text != want_text) {
            st = nnbi_error(NNB_E_FORMAT, func,
                            "column '%s' of %s holds %s, the preparation "
                            "was fitted on %s",
                            in->name, t->source, t->cols[j].is_text ? "texts" : "numbers",
                            want_text ? "texts" : "numbers");
            goto done;
        }
        col[i] = (size_t)j;
    }
    st = apply_rows(p, t, rows, n_rows, col, x, y, ot, func);
done:
    free(col);
    return st;
}

NNB_API nnb_status nnb_prep_apply(const nnb_prep *p, const nnb_table *t, const size_t *rows,
                                  size_t n_rows, double *x, size_t x_len, double *y, size_t y_len) {
    return apply(p, t, rows, n_rows, x, x_len, y, y_len, NNB_F64, __func__);
}

NNB_API nnb_status nnb_prep_apply_f32(const nnb_prep *p, const nnb_table *t, const size_t *rows,
                                      size_t n_rows, float *x, size_t x_len, float *y,
                                      size_t y_len) {
    return apply(p, t, rows, n_rows, x, x_len, y, y_len, NNB_F32, __func__);
}

/* nnb_prep_transform and nnb_prep_transform_f32 (x of type xt). */
static nnb_status transform(const nnb_prep *p, void *x, size_t rows, size_t cols, nnb_dtype xt,
                            const char *func) {
    NNBI_CHECK_NULL(p, func);
    if (!p->fitted || p->fit_kind != NNBI_FIT_MATRIX)
        return nnbi_error(NNB_E_STATE, func,
                          p->fitted ? "the preparation was fitted on a table: use nnb_prep_apply()"
                                    : "the preparation is not fitted (nnb_prep_fit_matrix())");
    if (rows == 0) return NNB_OK;
    NNBI_CHECK_NULL(x, func);
    if (cols != p->n_features)
        return nnbi_error(NNB_E_SHAPE, func, "x has %zu columns, the preparation %zu", cols,
                          p->n_features);
    for (size_t r = 0; r < rows; r++) /* nothing is changed if one overflows */
        for (size_t j = 0; j < cols; j++) {
            double u = nnbi_read(xt, x, r * cols + j);
            if (isnan(u) && p->inputs[j].fill != NNB_FILL_NONE) u = p->inputs[j].fill_value;
            double v = nnbi_prep_scale_value(&p->inputs[j], u);
            if (isfinite(u) && !isfinite(v))
                return nnbi_error(NNB_E_NONFINITE, func,
                                  "x[%zu][%zu] = %g scales beyond the "
                                  "range of double: it is far outside the fitted data's",
                                  r, j, u);
            if (isfinite(v) && fabs(v) > nnbi_dtype_max(xt))
                return nnbi_error(NNB_E_NONFINITE, func,
                                  "x[%zu][%zu] scales to %g, beyond "
                                  "float32's range (3.4e38)",
                                  r, j, v);
        }
    for (size_t r = 0; r < rows; r++)
        for (size_t j = 0; j < cols; j++) {
            const nnbi_prep_input *in = &p->inputs[j];
            size_t i = r * cols + j;
            double u = nnbi_read(xt, x, i);
            if (isnan(u) && in->fill != NNB_FILL_NONE) u = in->fill_value; /* a missing cell */
            nnbi_write(xt, x, i, nnbi_prep_scale_value(in, u));
        }
    return NNB_OK;
}

NNB_API nnb_status nnb_prep_transform(const nnb_prep *p, double *x, size_t rows, size_t cols) {
    return transform(p, x, rows, cols, NNB_F64, __func__);
}

NNB_API nnb_status nnb_prep_transform_f32(const nnb_prep *p, float *x, size_t rows, size_t cols) {
    return transform(p, x, rows, cols, NNB_F32, __func__);
}

/* nnb_prep_inverse_targets and nnb_prep_inverse_targets_f32 (y of type yt). */
static nnb_status inverse_targets(const nnb_prep *p, void *y, size_t rows, size_t y_cols,
                                  nnb_dtype yt, const char *func) {
    NNBI_CHECK_NULL(p, func);
    if (!p->fitted) return nnbi_error(NNB_E_STATE, func, "the preparation is not fitted");
    if (p->target_kind != NNB_TARGET_VALUES || p->n_targets == 0)
        return nnbi_error(NNB_E_STATE, func, "the preparation has no value targets");
    if (y_cols != p->n_targets)
        return nnbi_error(NNB_E_SHAPE, func, "y has %zu columns, the preparation %zu targets",
                          y_cols, p->n_targets);
    if (rows == 0) return NNB_OK;
    NNBI_CHECK_NULL(y, func);
    for (size_t i = 0; i < p->n_inputs; i++) { /* nothing is changed if one overflows */
        const nnbi_prep_input *in = &p->inputs[i];
        for (size_t r = 0; in->role == NNBI_ROLE_TARGET && r < rows; r++) {
            double u = nnbi_read(yt, y, r * y_cols + in->out), v = unscale_value(in, u);
            if (isfinite(u) && !isfinite(v))
                return nnbi_error(NNB_E_NONFINITE, func,
                                  "y[%zu][%zu] = %g becomes a value "
                                  "beyond the range of double in the units of column '%s'",
                                  r, in->out, u, in->name);
            if (isfinite(v) && fabs(v) > nnbi_dtype_max(yt))
                return nnbi_error(NNB_E_NONFINITE, func,
                                  "y[%zu][%zu] becomes %g, beyond "
                                  "float32's range (3.4e38)",
                                  r, in->out, v);
        }
    }
    for (size_t i = 0; i < p->n_inputs; i++) {
        const nnbi_prep_input *in = &p->inputs[i];
        if (in->role != NNBI_ROLE_TARGET) continue;
        for (size_t r = 0; r < rows; r++) {
            size_t k = r * y_cols + in->out;
            nnbi_write(yt, y, k, unscale_value(in, nnbi_read(yt, y, k)));
        }
    }
    return NNB_OK;
}

NNB_API nnb_status nnb_prep_inverse_targets(const nnb_prep *p, double *y, size_t rows,
                                            size_t y_cols) {
    return inverse_targets(p, y, rows, y_cols, NNB_F64, __func__);
}

NNB_API nnb_status nnb_prep_inverse_targets_f32(const nnb_prep *p, float *y, size_t rows,
                                                size_t y_cols) {
    return inverse_targets(p, y, rows, y_cols, NNB_F32, __func__);
}

/* ---- getters ----------------------------------------------------------------------------------- */

NNB_API int nnb_prep_is_fitted(const nnb_prep *p) { return p && p->fitted; }

NNB_API size_t nnb_prep_n_features(const nnb_prep *p) { return p && p->fitted ? p->n_features : 0; }

NNB_API size_t nnb_prep_n_targets(const nnb_prep *p) { return p && p->fitted ? p->n_targets : 0; }

NNB_API const char *nnb_prep_feature_name(const nnb_prep *p, size_t j) {
    return p && p->fitted && j < p->n_features ? p->feature_names[j] : NULL;
}

NNB_API const char *nnb_prep_target_name(const nnb_prep *p, size_t j) {
    return p && p->fitted && j < p->n_targets ? p->target_names[j] : NULL;
}

NNB_API size_t nnb_prep_n_classes(const nnb_prep *p) { return p && p->fitted ? p->n_classes : 0; }

NNB_API const char *nnb_prep_class_label(const nnb_prep *p, size_t k) {
    if (!p || !p->fitted || k >= p->n_classes) return NULL;
    return p->inputs[p->class_input].cats[k];
}

NNB_API nnb_status nnb_prep_column_stats(const nnb_prep *p, const char *column, nnb_scale *how,
                                         double *a, double *b, int *constant) {
    NNBI_CHECK_NULL(p, __func__);
    NNBI_CHECK_NULL(column, __func__);
    if (!p->fitted) return nnbi_error(NNB_E_STATE, __func__, "the preparation is not fitted");
    ptrdiff_t i = nnbi_index_find(&p->input_index, column, input_at, p);
    if (i >= 0 && p->inputs[i].encoding == NNBI_ENC_NUMBER) {
        const nnbi_prep_input *in = &p->inputs[i];
        if (how) *how = (nnb_scale)in->scale;
        if (a) *a = in->a;
        if (b) *b = in->b;
        if (constant) *constant = in->constant;
        return NNB_OK;
    }
    return nnbi_error(NNB_E_INVALID_ARG, __func__, "no numeric column '%s' in the preparation",
                      column);
}

NNB_API nnb_status nnb_prep_column_fill(const nnb_prep *p, const char *column, nnb_fill *how,
                                        double *value, const char **category) {
    NNBI_CHECK_NULL(p, __func__);
    NNBI_CHECK_NULL(column, __func__);
    if (!p->fitted) return nnbi_error(NNB_E_STATE, __func__, "the preparation is not fitted");
    ptrdiff_t i = nnbi_index_find(&p->input_index, column, input_at, p);
    if (i < 0)
        return nnbi_error(NNB_E_INVALID_ARG, __func__, "no input column '%s' in the preparation",
                          column);
    const nnbi_prep_input *in = &p->inputs[i];
    int filled_category = in->fill != NNB_FILL_NONE && in->encoding == NNBI_ENC_CATEGORY;
    if (how) *how = (nnb_fill)in->fill;
    if (value) *value = in->fill_value;
    if (category) *category = filled_category ? in->cats[in->fill_cat] : NULL;
    return NNB_OK;
}

NNB_API size_t nnb_prep_n_constant_columns(const nnb_prep *p) {
    return p && p->fitted ? p->n_constant : 0;
}
NNBI_DEPRECATED_ALIAS(nnb_prep_n_constant, nnb_prep_n_constant_columns);

NNB_API const char *nnb_prep_constant_name(const nnb_prep *p, size_t i) {
    if (!p || !p->fitted || i >= p->n_constant) return NULL;
    return p->inputs[p->constant[i]].name;
}

/* ---- the input columns, for reading new data like the fitted data ------------------------------ */

NNB_API size_t nnb_prep_n_columns(const nnb_prep *p) { return p && p->fitted ? p->n_inputs : 0; }

NNB_API nnb_status nnb_prep_column_info(const nnb_prep *p, size_t i, const char **name,
                                        int *is_target, int *is_text, size_t *n_categories) {
    NNBI_CHECK_NULL(p, __func__);
    if (!p->fitted) return nnbi_error(NNB_E_STATE, __func__, "the preparation is not fitted");
    if (i >= p->n_inputs)
        return nnbi_error(NNB_E_INVALID_ARG, __func__, "column %zu of %zu", i, p->n_inputs);
    const nnbi_prep_input *in = &p->inputs[i];
    if (name) *name = in->name;
    if (is_target) *is_target = in->role == NNBI_ROLE_TARGET;
    if (is_text) *is_text = in->encoding == NNBI_ENC_CATEGORY && in->text;
    if (n_categories) *n_categories = in->n_cats;
    return NNB_OK;
}

NNB_API const char *nnb_prep_column_category(const nnb_prep *p, size_t i, size_t k) {
    if (!p || !p->fitted || i >= p->n_inputs || k >= p->inputs[i].n_cats) return NULL;
    return p->inputs[i].cats[k];
}

NNB_API nnb_target_kind nnb_prep_target_kind(const nnb_prep *p) {
    return p && p->fitted ? p->target_kind : NNB_TARGET_VALUES;
}

NNB_API int nnb_prep_is_matrix(const nnb_prep *p) {
    return p && p->fitted && p->fit_kind == NNBI_FIT_MATRIX;
}
