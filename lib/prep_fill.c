/*
 * The fitted fill values of a preparation (nnb_prep_fill): the mean, median or most frequent
 * value of a numeric column's present cells, and the most frequent category of a category
 * column, over the rows fitted on. Missing cells are NaN (numbers) or "" (texts), as the CSV
 * reader keeps them (nnb_csv_opts_keep_missing). And the look-up of a cell's category, which
 * applying a preparation shares.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "prep_internal.h"

ptrdiff_t nnbi_prep_find_category(const nnbi_prep_input *in, const nnb_table *t, size_t col,
                                  size_t row) {
    size_t lo = 0, hi = in->n_cats;
    if (in->text) {
        const char *s = nnbi_table_text(t, col, row);
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            int c = strcmp(in->cats[mid], s);
            if (c == 0) return (ptrdiff_t)mid;
            if (c < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
    } else {
        double v = t->cols[col].num[row];
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (in->cat_values[mid] == v) return (ptrdiff_t)mid;
            if (in->cat_values[mid] < v)
                lo = mid + 1;
            else
                hi = mid;
        }
    }
    return -1;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The mean of v[0, n), n > 0: the plain sum, or, where it overflows, the sum of the values
 * scaled (exactly) below 1 in magnitude. */
static double mean_of(const double *v, size_t n) {
    double sum = 0, big = 0;
    for (size_t i = 0; i < n; i++) sum += v[i];
    if (isfinite(sum)) return sum / (double)n;
    for (size_t i = 0; i < n; i++) big = fmax(big, fabs(v[i]));
    int e;
    frexp(big, &e);
    sum = 0;
    for (size_t i = 0; i < n; i++) sum += ldexp(v[i], -e);
    return ldexp(sum / (double)n, e);
}

/* The median of sorted v[0, n), n > 0 (the mean of the middle two, in halves: no overflow). */
static double median_of(const double *v, size_t n) {
    return n % 2 ? v[n / 2] : v[n / 2 - 1] * 0.5 + v[n / 2] * 0.5;
}

/* The most frequent value of sorted v[0, n), n > 0; the smallest of those tied. */
static double mode_of(const double *v, size_t n) {
    double best = v[0];
    size_t best_run = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && v[j] == v[i]) j++;
        if (j - i > best_run) best = v[i], best_run = j - i;
        i = j;
    }
    return best;
}

nnb_status nnbi_fill_number(const double *v, const size_t *rows, size_t n, nnb_fill how,
                            const char *name, double *out, const char *func) {
    double *present = malloc((n ? n : 1) * sizeof *present);
    if (!present) return nnbi_error(NNB_E_NOMEM, func, "no memory for %zu values", n);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(present[m] = v[rows ? rows[i] : i])) m++;
    nnb_status st = NNB_OK;
    if (m == 0) {
        st = nnbi_error(NNB_E_INVALID_ARG, func,
                        "column '%s' cannot be filled: every cell of "
                        "the rows fitted on is missing (a column without values says "
                        "nothing: drop it)",
                        name);
    } else if (how == NNB_FILL_MEAN) {
        *out = mean_of(present, m);
    } else {
        qsort(present, m, sizeof *present, cmp_double);
        *out = how == NNB_FILL_MEDIAN ? median_of(present, m) : mode_of(present, m);
    }
    free(present);
    return st;
}

nnb_status nnbi_fill_category(const nnbi_prep_input *in, const nnb_table *t, size_t col,
                              const size_t *rows, size_t n, size_t *out, const char *func) {
    size_t *count = calloc(in->n_cats ? in->n_cats : 1, sizeof *count);
    if (!count) return nnbi_error(NNB_E_NOMEM, func, "no memory for %zu categories", in->n_cats);
    for (size_t i = 0; i < n; i++) { /* a missing cell is no category: not counted */
        ptrdiff_t k = nnbi_prep_find_category(in, t, col, rows ? rows[i] : i);
        if (k >= 0) count[k]++;
    }
    size_t best = 0;
    for (size_t k = 1; k < in->n_cats; k++)
        if (count[k] > count[best]) best = k;
    int none = in->n_cats == 0 || count[best] == 0;
    free(count);
    if (none)
        return nnbi_error(NNB_E_INVALID_ARG, func,
                          "column '%s' cannot be filled: every cell of "
                          "the rows fitted on is missing (a column without values says "
                          "nothing: drop it)",
                          in->name);
    *out = best;
    return NNB_OK;
}

NNB_API nnb_status nnb_prep_n_unseen(const nnb_prep *p, const nnb_table *t, const size_t *rows,
                                     size_t n_rows, size_t *n_cells, size_t *n_rows_hit) {
    NNBI_CHECK_NULL(p, __func__);
    NNBI_CHECK_NULL(t, __func__);
    if (!p->fitted) return nnbi_error(NNB_E_STATE, __func__, "the preparation is not fitted");
    size_t cells = 0, hit = 0;
    size_t *col = malloc((p->n_inputs ? p->n_inputs : 1) * sizeof *col);
    if (!col) return nnbi_error(NNB_E_NOMEM, __func__, "no memory");
    for (size_t i = 0; i < p->n_inputs; i++) { /* the category features the table has */
        const nnbi_prep_input *in = &p->inputs[i];
        ptrdiff_t j = in->encoding == NNBI_ENC_CATEGORY && in->role == NNBI_ROLE_FEATURE
                          ? nnbi_table_find(t, in->name)
                          : -1;
        col[i] = j >= 0 && t->cols[j].is_text == (int)in->text ? (size_t)j : SIZE_MAX;
    }
    for (size_t r = 0; r < n_rows; r++) {
        size_t row = rows ? rows[r] : r, before = cells;
        if (row >= t->n_rows) {
            free(col);
            return nnbi_error(NNB_E_INVALID_ARG, __func__,
                              "rows[%zu] = %zu, the table has %zu "
                              "rows",
                              r, row, t->n_rows);
        }
        for (size_t i = 0; i < p->n_inputs; i++) {
            if (col[i] == SIZE_MAX) continue;
            const nnbi_column *c = &t->cols[col[i]];
            int missing =
                c->is_text ? nnbi_table_text(t, col[i], row)[0] == '\0' : isnan(c->num[row]);
            if (!missing && nnbi_prep_find_category(&p->inputs[i], t, col[i], row) < 0) cells++;
        }
        hit += cells > before;
    }
    free(col);
    if (n_cells) *n_cells = cells;
    if (n_rows_hit) *n_rows_hit = hit;
    return NNB_OK;
}
