/* Seeded permutations and splits, checked against an independent implementation of the generator
 * and of Fisher-Yates written here from their published definitions. */
#include <string.h>

#include "nnb_test.h"

/* splitmix64 seeding xoshiro256** (Blackman and Vigna), Lemire's unbiased bounded draw. */
typedef struct {
    uint64_t s[4];
} ref_rng;

static uint64_t ref_splitmix(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void ref_seed(ref_rng *r, uint64_t seed) {
    for (int i = 0; i < 4; i++) r->s[i] = ref_splitmix(&seed);
}

static uint64_t ref_next(ref_rng *r) {
    uint64_t *s = r->s;
    uint64_t x = s[1] * 5;
    uint64_t result = ((x << 7) | (x >> 57)) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = (s[3] << 45) | (s[3] >> 19);
    return result;
}

static uint64_t ref_below(ref_rng *r, uint64_t n) {
    for (;;) {
        unsigned __int128 m = (unsigned __int128)ref_next(r) * n;
        uint64_t lo = (uint64_t)m;
        if (lo >= n || lo >= (0 - n) % n) return (uint64_t)(m >> 64);
    }
}

static void ref_shuffle(ref_rng *r, size_t *a, size_t n) {
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)ref_below(r, i), t = a[i - 1];
        a[i - 1] = a[j];
        a[j] = t;
    }
}

/* The reference permutation of 0..n-1 for a seed. */
static void ref_permutation(uint64_t seed, size_t *a, size_t n) {
    ref_rng r;
    ref_seed(&r, seed);
    for (size_t i = 0; i < n; i++) a[i] = i;
    ref_shuffle(&r, a, n);
}

static int is_permutation(const size_t *a, size_t n) {
    char *seen = calloc(n, 1);
    int ok = 1;
    for (size_t i = 0; i < n && ok; i++) {
        if (a[i] >= n || seen[a[i]])
            ok = 0;
        else
            seen[a[i]] = 1;
    }
    free(seen);
    return ok;
}

START_TEST(permutation) {
    enum { N = 1000 };
    size_t a[N], b[N], ref[N];
    nnbt_ok(nnb_rows_permute(N, 42, a, N));
    ck_assert(is_permutation(a, N));
    ref_permutation(42, ref, N);
    ck_assert(memcmp(a, ref, sizeof a) == 0);
    nnbt_ok(nnb_rows_permute(N, 43, b, N));
    ck_assert(memcmp(a, b, sizeof a) != 0);
    ck_assert_int_eq(nnb_rows_permute(N, 1, b, N - 1), NNB_E_SHAPE);
    nnbt_ok(nnb_rows_permute(0, 1, NULL, 0));
}
END_TEST

START_TEST(split_sizes) {
    enum { N = 400 };
    size_t order[N], ref[N], n_train, n_test, n_val;
    nnbt_ok(nnb_rows_split(N, 0.1, 0.0, 42, NULL, 0, order, N, &n_train, &n_test, &n_val));
    ck_assert(n_train == 360 && n_test == 40 && n_val == 0);
    ck_assert(is_permutation(order, N));
    ref_permutation(42, ref, N);
    ck_assert(memcmp(order, ref, sizeof order) == 0);
    nnbt_ok(nnb_rows_split(N, 0.15, 0.1, 7, NULL, 0, order, N, &n_train, &n_test, &n_val));
    ck_assert(n_train == 300 && n_test == 60 && n_val == 40);
    ck_assert(is_permutation(order, N));
    nnbt_ok(nnb_rows_split(N, 0.0, 0.0, 7, NULL, 0, order, N, NULL, NULL, NULL));
    ck_assert_int_eq(nnb_rows_split(N, 1.0, 0, 7, NULL, 0, order, N, NULL, NULL, NULL),
                     NNB_E_INVALID_ARG);
    ck_assert_int_eq(nnb_rows_split(N, 0.6, 0.5, 7, NULL, 0, order, N, NULL, NULL, NULL),
                     NNB_E_INVALID_ARG);
    ck_assert_int_eq(nnb_rows_split(N, NAN, 0, 7, NULL, 0, order, N, NULL, NULL, NULL),
                     NNB_E_INVALID_ARG);
    ck_assert_int_eq(nnb_rows_split(N, -0.1, 0, 7, NULL, 0, order, N, NULL, NULL, NULL),
                     NNB_E_INVALID_ARG);
    ck_assert_int_eq(nnb_rows_split(2, 0.5, 0.4, 7, NULL, 0, order, N, NULL, NULL, NULL),
                     NNB_E_INVALID_ARG); /* no training row */
    ck_assert_int_eq(nnb_rows_split(N, 0.1, 0, 7, NULL, 0, order, N - 1, NULL, NULL, NULL),
                     NNB_E_SHAPE);
    ck_assert_int_eq(nnb_rows_split(0, 0.1, 0, 7, NULL, 0, order, N, NULL, NULL, NULL),
                     NNB_E_INVALID_ARG);
    ck_assert_int_eq(nnb_rows_split(N, 0.1, 0, 7, NULL, 0, NULL, N, NULL, NULL, NULL), NNB_E_NULL);
}
END_TEST

START_TEST(stratified) {
    enum { N = 400 };
    double strata[N];
    nnbt_rng g = {9};
    size_t per_class[3] = {0, 0, 0};
    for (size_t i = 0; i < N; i++) { /* classes 0, 1, 2 with about 1/4, 1/2, 1/4 of the rows */
        size_t c = (size_t)(nnbt_uniform(&g) * 4);
        strata[i] = (double)(c == 3 ? 1 : c);
    }
    for (size_t i = 0; i < N; i++) per_class[(size_t)strata[i]]++;
    size_t order[N], order2[N], n_train, n_test, n_val;
    nnbt_ok(nnb_rows_split(N, 0.2, 0.1, 3, strata, N, order, N, &n_train, &n_test, &n_val));
    ck_assert(is_permutation(order, N));
    ck_assert_uint_eq(n_train + n_test + n_val, N);
    size_t counts[3][3] = {{0}};
    for (size_t i = 0; i < N; i++) {
        int part = i < n_train ? 0 : i < n_train + n_test ? 1 : 2;
        counts[part][(size_t)strata[order[i]]]++;
    }
    for (size_t c = 0; c < 3; c++) {
        ck_assert_uint_eq(counts[1][c], (size_t)floor(0.2 * (double)per_class[c] + 0.5));
        ck_assert_uint_eq(counts[2][c], (size_t)floor(0.1 * (double)per_class[c] + 0.5));
        ck_assert_uint_eq(counts[0][c] + counts[1][c] + counts[2][c], per_class[c]);
    }
    nnbt_ok(nnb_rows_split(N, 0.2, 0.1, 3, strata, N, order2, N, NULL, NULL, NULL));
    ck_assert(memcmp(order, order2, sizeof order) == 0);
    ck_assert_int_eq(nnb_rows_split(N, 0.2, 0.1, 3, strata, N - 1, order, N, NULL, NULL, NULL),
                     NNB_E_SHAPE);
    strata[5] = NAN;
    ck_assert_int_eq(nnb_rows_split(N, 0.2, 0.1, 3, strata, N, order, N, NULL, NULL, NULL),
                     NNB_E_INVALID_ARG);
}
END_TEST

START_TEST(gather) {
    double src[12], dst[9];
    for (int i = 0; i < 12; i++) src[i] = i;
    size_t idx[] = {3, 0, 3};
    nnbt_ok(nnb_rows_gather(src, 4, 3, idx, 3, dst, 9));
    double want[] = {9, 10, 11, 0, 1, 2, 9, 10, 11};
    for (int i = 0; i < 9; i++) ck_assert(dst[i] == want[i]);
    ck_assert_int_eq(nnb_rows_gather(src, 4, 3, idx, 3, dst, 8), NNB_E_SHAPE);
    size_t bad[] = {4};
    ck_assert_int_eq(nnb_rows_gather(src, 4, 3, bad, 1, dst, 9), NNB_E_INVALID_ARG);
}
END_TEST

static Suite *split_suite(void) {
    Suite *s = suite_create("split");
    TCase *tc = tcase_create("split");
    tcase_add_test(tc, permutation);
    tcase_add_test(tc, split_sizes);
    tcase_add_test(tc, stratified);
    tcase_add_test(tc, gather);
    suite_add_tcase(s, tc);
    return s;
}

NNBT_MAIN(split_suite, 0)
