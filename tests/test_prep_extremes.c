/* Data preparation at the edges of double (issue 26, family 3): means and standard deviations of
 * columns whose plain sums overflow or whose squares underflow, min-max ranges wider than the
 * largest double, values that scale or unscale beyond it, in tables and matrices of both element
 * types; and the plain formulas, kept bit for bit on ordinary data. References are long double
 * loops (x86's 15-bit exponent holds 1e308 squared), never the code under test. Under valgrind,
 * whose long double is a double, the paths run and the comparisons are left out (ld()). */
#include <float.h>
#include <stdio.h>
#include <string.h>

#include "nnb_test.h"

/* Are long double references available (not under valgrind, which emulates them as double)? */
static int ld(void) { return !nnbt_valgrind(); }

/* Mean and sample standard deviation (n - 1) of v[0..n), in long double. */
static void ref_stats(const double *v, size_t n, long double *mean, long double *sd) {
    long double s = 0, ss = 0;
    for (size_t i = 0; i < n; i++) s += v[i];
    long double m = s / n;
    for (size_t i = 0; i < n; i++) {
        long double d = v[i] - m;
        ss += d * d;
    }
    *mean = m;
    *sd = sqrtl(ss / (n - 1));
}

/* |got - want| <= tol * |want|, or within 2 of the smallest subnormal's spacing (a subnormal
 * result has no more precision), want in long double. */
static void near_rel(double got, long double want, double tol, const char *what) {
    if (!ld()) return;
    long double err = fabsl((long double)got - want), scale = fabsl(want);
    ck_assert_msg(isfinite(got) && err <= tol * scale + 2 * 4.9406564584124654e-324L,
                  "%s: %.17g, expected %.20Lg", what, got, want);
}

/* A one-column CSV "v" of the values (shortest exact form). */
static nnb_table *column_table(const double *v, size_t n) {
    char *text = malloc(n * 32 + 8);
    size_t len = (size_t)sprintf(text, "v\n");
    for (size_t i = 0; i < n; i++) len += (size_t)sprintf(text + len, "%.17g\n", v[i]);
    nnb_table *t = nnbt_parse(text, len, NULL);
    free(text);
    return t;
}

/* The standardised column v of a table preparation, checked against long double: mean, sd and
 * every scaled value. Returns the preparation. */
static nnb_prep *check_standard(const double *v, size_t n, const char *what) {
    nnb_table *t = column_table(v, n);
    nnb_prep *p;
    nnbt_ok(nnb_prep_create(&p));
    nnbt_ok(nnb_prep_scale(p, "v", NNB_SCALE_STANDARD));
    nnbt_ok(nnb_prep_fit(p, t, NULL, n));
    double a, b, x[64];
    long double m, sd;
    ref_stats(v, n, &m, &sd);
    nnbt_ok(nnb_prep_column_stats(p, "v", NULL, &a, &b, NULL));
    near_rel(a, m, 4 * DBL_EPSILON * n, what);
    near_rel(b, sd, 4 * DBL_EPSILON * n, what);
    ck_assert(n <= 64);
    nnbt_ok(nnb_prep_apply(p, t, NULL, n, x, n, NULL, 0));
    for (size_t i = 0; i < n; i++) {
        long double want = ((long double)v[i] - m) / sd;
        ck_assert(isfinite(x[i]));
        ck_assert_msg(!ld() || fabsl(x[i] - want) <= 1e-13L * (1 + fabsl(want)),
                      "%s: row %zu scales to %.17g, expected %.17Lg", what, i, x[i], want);
    }
    nnb_table_free(t);
    return p;
}

START_TEST(huge_values_standardise) {
    /* the case: targets above 1e154 (their squares overflow), and sums that overflow */
    double big[] = {1e200, 3e200, -2e200, 9.8981e199, 5e200, 4.5e200};
    nnb_prep_free(check_standard(big, 6, "1e200"));
    double top[] = {1.5e308, 1.7e308, 1.0e308, 1.79e308, 1.2e308};
    nnb_prep_free(check_standard(top, 5, "sum overflows"));
    double both[] = {1.7e308, -1.7e308, 0.5e308, -0.25e308}; /* deviations overflow too */
    nnb_prep_free(check_standard(both, 4, "+-1.7e308"));
    double mixed[] = {1e300, 1, 2, 3, -1e300, 7e299};
    nnb_prep_free(check_standard(mixed, 6, "mixed magnitudes"));
}
END_TEST

START_TEST(tiny_values_standardise) {
    /* squared deviations underflow (below 1.5e-154 they are subnormal or 0) */
    double tiny[] = {1e-170, 3e-170, 2e-170, 2.5e-170, 1.5e-170};
    nnb_prep *p = check_standard(tiny, 5, "1e-170");
    int constant;
    nnbt_ok(nnb_prep_column_stats(p, "v", NULL, NULL, NULL, &constant));
    ck_assert_int_eq(constant, 0);
    nnb_prep_free(p);
    double sub[] = {4e-310, 1e-310, 3e-310, 2e-310};
    nnb_prep_free(check_standard(sub, 4, "subnormal"));
    /* a constant column stays constant (its deviations are all exactly 0) */
    double c[] = {0.25, 0.25, 0.25};
    nnb_table *t = column_table(c, 3);
    nnbt_ok(nnb_prep_create(&p));
    nnbt_ok(nnb_prep_scale(p, "v", NNB_SCALE_STANDARD));
    nnbt_ok(nnb_prep_fit(p, t, NULL, 3));
    double a, b;
    nnbt_ok(nnb_prep_column_stats(p, "v", NULL, &a, &b, &constant));
    ck_assert(constant == 1 && b == 0 && a == 0.25);
    nnb_prep_free(p);
    nnb_table_free(t);
}
END_TEST

START_TEST(spread_beyond_double_is_refused) {
    double v[] = {1.79e308, -1.79e308};
    nnb_table *t = column_table(v, 2);
    nnb_prep *p;
    nnbt_ok(nnb_prep_create(&p));
    nnbt_ok(nnb_prep_scale(p, NULL, NNB_SCALE_STANDARD));
    nnbt_expect(nnb_prep_fit(p, t, NULL, 2), NNB_E_TOO_LARGE, "column 'v'");
    ck_assert(!nnb_prep_is_fitted(p));
    /* min-max scales it: the range overflows, the scaled values do not */
    nnb_prep_free(p);
    nnbt_ok(nnb_prep_create(&p));
    nnbt_ok(nnb_prep_scale(p, NULL, NNB_SCALE_MINMAX));
    nnbt_ok(nnb_prep_fit(p, t, NULL, 2));
    double x[2];
    nnbt_ok(nnb_prep_apply(p, t, NULL, 2, x, 2, NULL, 0));
    ck_assert(x[0] == 1 && x[1] == 0);
    nnb_prep_free(p);
    nnb_table_free(t);
    double m[] = {1.5e308, -1.5e308, 0, 0.75e308};
    t = column_table(m, 4);
    nnbt_ok(nnb_prep_create(&p));
    nnbt_ok(nnb_prep_scale(p, "v", NNB_SCALE_MINMAX));
    nnbt_ok(nnb_prep_fit(p, t, NULL, 4));
    double y[4];
    nnbt_ok(nnb_prep_apply(p, t, NULL, 4, y, 4, NULL, 0));
    ck_assert_msg(y[0] == 1 && y[1] == 0 && y[2] == 0.5 && y[3] == 0.75, "%g %g %g %g", y[0], y[1],
                  y[2], y[3]);
    nnb_prep_free(p);
    nnb_table_free(t);
}
END_TEST

/* Targets standardised around huge values come back in their units, also where y * sd
 * overflows on the way; a result beyond double is an error, never an infinity. */
START_TEST(inverse_targets_near_the_top) {
    double v[] = {-1.7e308, -1.6e308, 0.1e308, -0.2e308, 0.0};
    nnb_prep *p;
    nnbt_ok(nnb_prep_create(&p));
    nnbt_ok(nnb_prep_add_target(p, "v", NNB_TARGET_VALUES));
    nnbt_ok(nnb_prep_scale(p, "v", NNB_SCALE_STANDARD));
    char text[512]; /* a feature f beside the target v */
    size_t len = (size_t)sprintf(text, "f,v\n");
    for (int i = 0; i < 5; i++) len += (size_t)sprintf(text + len, "%d,%.17g\n", i, v[i]);
    nnb_table *t = nnbt_parse(text, len, NULL);
    nnbt_ok(nnb_prep_fit(p, t, NULL, 5));
    double y[5], back[5];
    nnbt_ok(nnb_prep_apply(p, t, NULL, 5, (double[5]){0}, 5, y, 5));
    memcpy(back, y, sizeof y);
    nnbt_ok(nnb_prep_inverse_targets(p, back, 5, 1));
    for (int i = 0; i < 5; i++) near_rel(back[i], v[i], 1e-14, "round trip");
    long double m, sd;
    ref_stats(v, 5, &m, &sd);
    double z = 2.5; /* 2.5 sd above the mean: y * sd overflows, the sum does not */
    long double want = z * sd + m;
    ck_assert(!ld() || (want < DBL_MAX && (double)(z * (double)sd) > DBL_MAX));
    nnbt_ok(nnb_prep_inverse_targets(p, &z, 1, 1));
    near_rel(z, want, 1e-14, "2.5 sd");
    double far[2] = {0.5, 40};
    nnbt_expect(nnb_prep_inverse_targets(p, far, 2, 1), NNB_E_NONFINITE, "y[1][0]");
    ck_assert(far[0] == 0.5 && far[1] == 40); /* nothing changed */
    float f = 1.0f;
    nnbt_expect(nnb_prep_inverse_targets_f32(p, &f, 1, 1), NNB_E_NONFINITE, "float32");
    nnb_prep_free(p);
    nnb_table_free(t);
}
END_TEST

/* A new value that scales beyond double (far outside the fitted data) is an error naming it. */
START_TEST(apply_beyond_double) {
    const char *fit_text = "v\n0\n1e-300\n", *text = "v\n1\n1e300\n";
    nnb_table *fit = nnbt_parse(fit_text, strlen(fit_text), NULL);
    nnb_table *t = nnbt_parse(text, strlen(text), NULL);
    nnb_prep *p;
    nnbt_ok(nnb_prep_create(&p));
    nnbt_ok(nnb_prep_scale(p, "v", NNB_SCALE_STANDARD));
    nnbt_ok(nnb_prep_fit(p, fit, NULL, 2));
    double x[2];
    nnbt_expect(nnb_prep_apply(p, t, NULL, 2, x, 2, NULL, 0), NNB_E_NONFINITE, ":3:1:");
    nnb_prep_free(p);
    double m[2] = {0, 1e-300}, y[2] = {1, 1e300};
    nnbt_ok(nnb_prep_create(&p));
    nnbt_ok(nnb_prep_fit_matrix(p, m, 2, 1, NNB_SCALE_STANDARD));
    nnbt_expect(nnb_prep_transform(p, y, 2, 1), NNB_E_NONFINITE, "x[1][0]");
    ck_assert(y[0] == 1 && y[1] == 1e300); /* nothing changed */
    nnb_prep_free(p);
    nnb_table_free(fit);
    nnb_table_free(t);
}
END_TEST

/* Matrices: float64 columns with overflowing sums and squares, checked like tables; float32
 * columns at float's largest values (the sums are in double, the plain path holds). */
START_TEST(matrix_extremes) {
    enum { R = 6, C = 3 };
    double x[R * C], col[R], out[R * C];
    for (int i = 0; i < R; i++) {
        x[i * C + 0] = (i % 2 ? 1.6e308 : -1.1e308) * (1 - 0.1 * i);
        x[i * C + 1] = 1e-160 * (i + 1);
        x[i * C + 2] = 3.0 * i - 1; /* ordinary */
    }
    nnb_prep *p;
    nnbt_ok(nnb_prep_create(&p));
    nnbt_ok(nnb_prep_fit_matrix(p, x, R, C, NNB_SCALE_STANDARD));
    memcpy(out, x, sizeof x);
    nnbt_ok(nnb_prep_transform(p, out, R, C));
    for (int j = 0; j < C; j++) {
        long double m, sd;
        for (int i = 0; i < R; i++) col[i] = x[i * C + j];
        ref_stats(col, R, &m, &sd);
        char name[8], what[32];
        snprintf(name, sizeof name, "x%d", j);
        snprintf(what, sizeof what, "matrix column %d", j);
        double a, b;
        nnbt_ok(nnb_prep_column_stats(p, name, NULL, &a, &b, NULL));
        near_rel(a, m, 1e-14, what);
        near_rel(b, sd, 1e-14, what);
        for (int i = 0; i < R; i++) {
            long double want = ((long double)col[i] - m) / sd;
            ck_assert_msg(!ld() || fabsl(out[i * C + j] - want) <= 1e-13L * (1 + fabsl(want)), "%s",
                          what);
        }
    }
    nnb_prep_free(p);
    float f[4] = {3.4e38f, -3.4e38f, 3.0e38f, 1.0f};
    double fd[4];
    for (int i = 0; i < 4; i++) fd[i] = f[i];
    nnbt_ok(nnb_prep_create(&p));
    nnbt_ok(nnb_prep_fit_matrix_f32(p, f, 4, 1, NNB_SCALE_STANDARD));
    double a, b;
    long double m, sd;
    ref_stats(fd, 4, &m, &sd);
    nnbt_ok(nnb_prep_column_stats(p, "x0", NULL, &a, &b, NULL));
    near_rel(a, m, 1e-14, "float32 mean");
    near_rel(b, sd, 1e-14, "float32 sd");
    nnb_prep_free(p);
}
END_TEST

/* Ordinary data keeps the plain formulas bit for bit: sum / n, then the square root of the sum of
 * squared deviations over n - 1, accumulated in row order (what nnblas always computed; models
 * trained before must give the same bits). */
START_TEST(ordinary_data_bit_for_bit) {
    enum { N = 400 };
    double v[N];
    nnbt_rng g = {26};
    for (int i = 0; i < N; i++) v[i] = 500 + 120 * nnbt_normal(&g);
    double sum = 0, ss = 0;
    for (int i = 0; i < N; i++) sum += v[i];
    double mean = sum / N;
    for (int i = 0; i < N; i++) ss += (v[i] - mean) * (v[i] - mean);
    double sd = sqrt(ss / (N - 1));
    nnb_table *t = column_table(v, N);
    nnb_prep *p;
    nnbt_ok(nnb_prep_create(&p));
    nnbt_ok(nnb_prep_scale(p, NULL, NNB_SCALE_STANDARD));
    nnbt_ok(nnb_prep_fit(p, t, NULL, N));
    double a, b;
    nnbt_ok(nnb_prep_column_stats(p, "v", NULL, &a, &b, NULL));
    ck_assert_msg(a == mean && b == sd, "%.17g %.17g, plain %.17g %.17g", a, b, mean, sd);
    double x[N];
    nnbt_ok(nnb_prep_apply(p, t, NULL, N, x, N, NULL, 0));
    for (int i = 0; i < N; i++) ck_assert(x[i] == (v[i] - mean) / sd);
    nnb_prep_free(p);
    nnbt_ok(nnb_prep_create(&p));
    nnbt_ok(nnb_prep_fit_matrix(p, v, N, 1, NNB_SCALE_STANDARD));
    nnbt_ok(nnb_prep_column_stats(p, "x0", NULL, &a, &b, NULL));
    ck_assert(a == mean && b == sd);
    nnb_prep_free(p);
    nnb_table_free(t);
}
END_TEST

static Suite *extremes_suite(void) {
    Suite *s = suite_create("prep_extremes");
    TCase *tc = tcase_create("statistics");
    tcase_set_timeout(tc, 0); /* no time limit of its own: meson's timeout is the only one */
    tcase_add_test(tc, huge_values_standardise);
    tcase_add_test(tc, tiny_values_standardise);
    tcase_add_test(tc, spread_beyond_double_is_refused);
    tcase_add_test(tc, inverse_targets_near_the_top);
    tcase_add_test(tc, apply_beyond_double);
    tcase_add_test(tc, matrix_extremes);
    tcase_add_test(tc, ordinary_data_bit_for_bit);
    suite_add_tcase(s, tc);
    return s;
}

NNBT_MAIN(extremes_suite, 0)
