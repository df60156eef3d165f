/*
 * The generator itself (an internal test: lib/rng.c and lib/error.c are compiled in). The
 * reference values come from an independent implementation of splitmix64 and xoshiro256**
 * (Vigna's published algorithms, run in Python), so a seed means the same stream everywhere.
 */
#include "nnb_internal.h"
#include "nnb_test.h"

START_TEST(xoshiro_reference_stream) {
    nnbi_rng r = {{1, 2, 3, 4}};
    const uint64_t want[] = {
        11520u, 0u, 1509978240u, 1215971899390074240u, 1216172134540287360u, 607988272756665600u};
    for (int i = 0; i < 6; i++) ck_assert_uint_eq(nnbi_rng_next(&r), want[i]);
}
END_TEST

START_TEST(seeding_reference_stream) {
    nnbi_rng r;
    nnbi_rng_seed(&r, 0);
    ck_assert_uint_eq(r.s[0], 0xe220a8397b1dcdafULL); /* splitmix64's first output from 0 */
    ck_assert_uint_eq(r.s[1], 0x6e789e6aa1b965f4ULL);
    nnbi_rng_seed(&r, 42);
    const uint64_t want[] = {1546998764402558742u, 6990951692964543102u, 12544586762248559009u,
                             17057574109182124193u};
    for (int i = 0; i < 4; i++) ck_assert_uint_eq(nnbi_rng_next(&r), want[i]);
}
END_TEST

START_TEST(uniform_and_normal_moments) {
    nnbi_rng r;
    nnbi_rng_seed(&r, 7);
    const int n = 200000;
    double su = 0, su2 = 0, sn = 0, sn2 = 0, sn4 = 0;
    for (int i = 0; i < n; i++) {
        double u = nnbi_rng_uniform(&r);
        if (!(u >= 0.0 && u < 1.0)) ck_abort_msg("draw %d: uniform %.17g", i, u);
        su += u, su2 += u * u;
        double z = nnbi_rng_normal(&r);
        sn += z, sn2 += z * z, sn4 += z * z * z * z;
    }
    /* mean 1/2, variance 1/12; normal mean 0, variance 1, fourth moment 3 (5-sigma bounds) */
    ck_assert_double_eq_tol(su / n, 0.5, 5 * sqrt(1.0 / 12 / n));
    ck_assert_double_eq_tol(su2 / n - (su / n) * (su / n), 1.0 / 12, 5 * sqrt(1.0 / 180 / n));
    ck_assert_double_eq_tol(sn / n, 0.0, 5 * sqrt(1.0 / n));
    ck_assert_double_eq_tol(sn2 / n, 1.0, 5 * sqrt(2.0 / n));
    ck_assert_double_eq_tol(sn4 / n, 3.0, 5 * sqrt(96.0 / n));
}
END_TEST

START_TEST(below_is_unbiased) {
    nnbi_rng r;
    nnbi_rng_seed(&r, 9);
    int counts[7] = {0};
    const int n = 70000;
    for (int i = 0; i < n; i++) {
        uint64_t v = nnbi_rng_below(&r, 7);
        if (v >= 7) ck_abort_msg("draw %d: %llu is not below 7", i, (unsigned long long)v);
        counts[v]++;
    }
    double chi2 = 0;
    for (int k = 0; k < 7; k++) chi2 += (counts[k] - n / 7.0) * (counts[k] - n / 7.0) / (n / 7.0);
    ck_assert_msg(chi2 < 22.5, "chi-square %g with 6 degrees of freedom (p < 0.001)", chi2);
    ck_assert_uint_eq(nnbi_rng_below(&r, 1), 0);
}
END_TEST

/* Bounds near 2^64, where Lemire's method must reject about half the raw draws to stay unbiased:
 * every value is below the bound, some calls take more than one draw from the generator, and the
 * low bit is fair. */
START_TEST(below_large_bounds_reject) {
    const uint64_t bounds[] = {((uint64_t)1 << 63) + 1, ((uint64_t)3 << 62) + 1};
    for (int b = 0; b < 2; b++) {
        nnbi_rng r, shadow;
        nnbi_rng_seed(&r, 5);
        shadow = r;
        int odd = 0, redrawn = 0;
        const int n = 20000;
        for (int i = 0; i < n; i++) {
            uint64_t v = nnbi_rng_below(&r, bounds[b]);
            if (v >= bounds[b])
                ck_abort_msg("%llu is not below %llu", (unsigned long long)v,
                             (unsigned long long)bounds[b]);
            odd += (int)(v & 1);
            int draws = 0; /* how many raw draws the call took */
            while (memcmp(&shadow, &r, sizeof r) != 0) {
                nnbi_rng_next(&shadow);
                if (++draws >= 100) ck_abort_msg("a call took 100 draws");
            }
            redrawn += draws > 1;
        }
        ck_assert_msg(redrawn > n / 10, "bound %llu: only %d of %d calls drew again",
                      (unsigned long long)bounds[b], redrawn, n);
        double z = (odd - n / 2.0) / sqrt(n / 4.0);
        ck_assert_msg(fabs(z) < 4, "bound %llu: %d odd values of %d", (unsigned long long)bounds[b],
                      odd, n);
    }
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("rng");
    TCase *tc = tcase_create("generator");
    tcase_add_test(tc, xoshiro_reference_stream);
    tcase_add_test(tc, seeding_reference_stream);
    tcase_add_test(tc, uniform_and_normal_moments);
    tcase_add_test(tc, below_is_unbiased);
    tcase_add_test(tc, below_large_bounds_reject);
    suite_add_tcase(s, tc);
    return s;
}

NNBT_MAIN(suite, 0)
