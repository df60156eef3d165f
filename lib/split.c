/*
 * Seeded permutations and train/test/validation splits (optionally stratified), drawn from
 * nnblas's own generator (rng.c) so that a seed gives the same rows on every platform, and a
 * row gather for making the parts' matrices.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nnb_internal.h"

NNB_API nnb_status nnb_rows_permute(size_t n, uint64_t seed, size_t *order, size_t len) {
    if (n == 0) return NNB_OK;
    NNBI_CHECK_NULL(order, __func__);
    if (len < n)
        return nnbi_error(NNB_E_SHAPE, __func__, "order holds %zu values, n is %zu", len, n);
    nnbi_rng rng;
    nnbi_rng_seed(&rng, seed);
    for (size_t i = 0; i < n; i++) order[i] = i;
    nnbi_shuffle(&rng, order, n, n);
    return NNB_OK;
}
NNBI_DEPRECATED_ALIAS(nnb_permutation, nnb_rows_permute);

typedef struct keyed {
    double v;
    size_t i;
} keyed;

static int cmp_keyed(const void *a, const void *b) {
    const keyed *x = a, *y = b;
    if (x->v != y->v) return x->v < y->v ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

static size_t part_size(double frac, size_t n) { return (size_t)floor(frac * (double)n + 0.5); }

/* Stratified: each value's rows are shuffled and split alone, then each part is shuffled. */
static nnb_status split_stratified(nnbi_rng *rng, size_t n, double test_frac, double val_frac,
                                   const double *strata, size_t *order, size_t counts[3],
                                   const char *func) {
    keyed *k = malloc(n * sizeof *k);
    size_t *parts =
        malloc(n * sizeof *parts); /* test rows from the front, val rows from the back */
    size_t *group = malloc(n * sizeof *group);
    if (!k || !parts || !group) {
        free(k), free(parts), free(group);
        return nnbi_error(NNB_E_NOMEM, func, "no memory for a stratified split of %zu rows", n);
    }
    for (size_t i = 0; i < n; i++) k[i] = (keyed){strata[i], i};
    qsort(k, n, sizeof *k, cmp_keyed);
    size_t n_train = 0, n_test = 0, n_val = 0;
    /* train rows go straight into order; test and val collect in parts */
    for (size_t s = 0; s < n;) {
        size_t e = s;
        while (e < n && k[e].v == k[s].v) e++;
        size_t m = e - s;
        for (size_t i = 0; i < m; i++) group[i] = k[s + i].i;
        nnbi_shuffle(rng, group, m, m);
        size_t t = part_size(test_frac, m), v = part_size(val_frac, m);
        if (t + v > m) v = m - t;
        memcpy(parts + n_test, group, t * sizeof *group);
        n_test += t;
        for (size_t i = 0; i < v; i++) parts[n - 1 - n_val - i] = group[t + i];
        n_val += v;
        memcpy(order + n_train, group + t + v, (m - t - v) * sizeof *group);
        n_train += m - t - v;
        s = e;
    }
    free(k);
    free(group);
    if (n_train == 0) {
        free(parts);
        return nnbi_error(NNB_E_INVALID_ARG, func, "the split leaves no training row");
    }
    memcpy(order + n_train, parts, n_test * sizeof *parts);
    for (size_t i = 0; i < n_val; i++) order[n_train + n_test + i] = parts[n - 1 - i];
    free(parts);
    nnbi_shuffle(rng, order, n_train, n_train);
    nnbi_shuffle(rng, order + n_train, n_test, n_test);
    nnbi_shuffle(rng, order + n_train + n_test, n_val, n_val);
    counts[0] = n_train, counts[1] = n_test, counts[2] = n_val;
    return NNB_OK;
}

NNB_API nnb_status nnb_rows_split(size_t n, double test_frac, double val_frac, uint64_t seed,
                                  const double *strata, size_t n_strata, size_t *order, size_t len,
                                  size_t *n_train, size_t *n_test, size_t *n_val) {
    const char *func = __func__;
    NNBI_CHECK_NULL(order, func);
    if (!(test_frac >= 0 && test_frac < 1) || !(val_frac >= 0 && val_frac < 1) ||
        !(test_frac + val_frac < 1))
        return nnbi_error(NNB_E_INVALID_ARG, func,
                          "test_frac %g and val_frac %g must be in [0, 1) with a sum below 1",
                          test_frac, val_frac);
    if (n == 0) return nnbi_error(NNB_E_INVALID_ARG, func, "no rows to split");
    if (len < n) return nnbi_error(NNB_E_SHAPE, func, "order holds %zu values, n is %zu", len, n);
    if (strata) {
        if (n_strata != n)
            return nnbi_error(NNB_E_SHAPE, func, "strata has %zu values, n is %zu", n_strata, n);
        for (size_t i = 0; i < n; i++)
            if (isnan(strata[i]))
                return nnbi_error(NNB_E_INVALID_ARG, func, "strata[%zu] is NaN", i);
    } else if (n_strata != 0) {
        return nnbi_error(NNB_E_NULL, func, "strata is NULL but n_strata is %zu", n_strata);
    }
    nnbi_rng rng;
    nnbi_rng_seed(&rng, seed);
    size_t counts[3] = {0, 0, 0};
    if (strata) {
        nnb_status st = split_stratified(&rng, n, test_frac, val_frac, strata, order, counts, func);
        if (st != NNB_OK) return st;
    } else {
        counts[1] = part_size(test_frac, n);
        counts[2] = part_size(val_frac, n);
        if (counts[1] + counts[2] >= n)
            return nnbi_error(NNB_E_INVALID_ARG, func,
                              "the split of %zu rows leaves no training row", n);
        counts[0] = n - counts[1] - counts[2];
        for (size_t i = 0; i < n; i++) order[i] = i;
        nnbi_shuffle(&rng, order, n, n);
    }
    if (n_train) *n_train = counts[0];
    if (n_test) *n_test = counts[1];
    if (n_val) *n_val = counts[2];
    return NNB_OK;
}
NNBI_DEPRECATED_ALIAS(nnb_split, nnb_rows_split);

NNB_API nnb_status nnb_rows_gather(const double *src, size_t src_rows, size_t cols,
                                   const size_t *idx, size_t n_idx, double *dst, size_t dst_len) {
    if (n_idx == 0) return NNB_OK;
    NNBI_CHECK_NULL(src, __func__);
    NNBI_CHECK_NULL(idx, __func__);
    NNBI_CHECK_NULL(dst, __func__);
    size_t need;
    if (!nnbi_mul_size(n_idx, cols, &need) || dst_len < need)
        return nnbi_error(NNB_E_SHAPE, __func__, "dst holds %zu values, %zu rows x %zu need more",
                          dst_len, n_idx, cols);
    for (size_t i = 0; i < n_idx; i++)
        if (idx[i] >= src_rows)
            return nnbi_error(NNB_E_INVALID_ARG, __func__, "idx[%zu] = %zu, src has %zu rows", i,
                              idx[i], src_rows);
    for (size_t i = 0; i < n_idx; i++)
        memcpy(dst + i * cols, src + idx[i] * cols, cols * sizeof *dst);
    return NNB_OK;
}
NNBI_DEPRECATED_ALIAS(nnb_gather_rows, nnb_rows_gather);
