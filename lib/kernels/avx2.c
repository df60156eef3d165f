/*
 * AVX2 + FMA float64 kernels (this file, with avx2_f32.c, is compiled with -mavx2 -mfma):
 * avx2_ops.h's vector operations for 4 doubles per register, the reductions, table lookup and
 * scaling that vec_math_f64.h needs besides, then the kernels (vec_kernels.h) and the table.
 */
#include <immintrin.h>
#include <stdint.h>

#include "kernels.h"

#define T double
#define VW 4
typedef __m256d vt;    /* 4 doubles */
typedef __m256d vmask; /* all-ones or all-zeros lanes */
#define MM(op) _mm256_##op##_pd
static const int64_t tail_bits[2 * VW] = {-1, -1, -1, -1, 0, 0, 0, 0};
#include "avx2_ops.h"

VINLINE double vhsum(vt a) {
    __m128d s = _mm_add_pd(_mm256_castpd256_pd128(a), _mm256_extractf128_pd(a, 1));
    return _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
}
VINLINE double vhmax(vt a) {
    __m128d s = _mm_max_pd(_mm256_castpd256_pd128(a), _mm256_extractf128_pd(a, 1));
    return _mm_cvtsd_f64(_mm_max_sd(s, _mm_unpackhi_pd(s, s)));
}

/* The 16-entry tables of vec_math_f64.h's exp, looked up by the low 4 bits of ks's bit pattern.
 * A gather: an in-register lookup giving the same bits (four VPERMPS on the doubles' halves and
 * three blends per table) measured 10 % slower on Zen 4 for sigmoid. */
VINLINE vt vlookup16(const double *tab, vt ks) {
    __m256i i = _mm256_and_si256(_mm256_castpd_si256(ks), _mm256_set1_epi64x(15));
    return _mm256_i64gather_pd(tab, i, 8);
}

/* Scaling by 2^floor(k) for k in [-1083, 0] (the range vec_math_f64.h's exp needs): two normal
 * powers of two 2^m1 2^m2 = 2^floor(k), m1 = floor(m/2), so that v 2^m1 is exact and only the
 * second product rounds, once, also into the subnormal range and to 0. m = floor(k) is read off
 * ks = k + EXP_SHIFT with integer operations only: ks's last place is 1/16, so its bit pattern
 * minus EXP_SHIFT's is 16 k; biased by 16 * 2048 it is positive and a logical shift by 4 gives
 * m + 2048. */
typedef struct {
    vt a, b;
} vpow2;
VINLINE vpow2 vpow2_make(vt k, vt ks) {
    (void)k;
    const int64_t shift_bits = 0x42f8000000000000; /* EXP_SHIFT = 1.5 * 2^48 */
    __m256i mb = _mm256_srli_epi64(
        _mm256_sub_epi64(_mm256_castpd_si256(ks), _mm256_set1_epi64x(shift_bits - 16 * 2048)), 4);
    __m256i m1b = _mm256_srli_epi64(mb, 1); /* floor(m/2) + 1024 */
    __m256i one = _mm256_set1_epi64x(1);
    vpow2 p; /* biased exponents m1 + 1023 = m1b - 1 and m - m1 + 1023 = mb - m1b - 1 */
    p.a = _mm256_castsi256_pd(_mm256_slli_epi64(_mm256_sub_epi64(m1b, one), 52));
    p.b = _mm256_castsi256_pd(
        _mm256_slli_epi64(_mm256_sub_epi64(_mm256_sub_epi64(mb, m1b), one), 52));
    return p;
}
VINLINE vt vpow2_mul(vt v, vpow2 p) { return _mm256_mul_pd(_mm256_mul_pd(v, p.a), p.b); }

#include "vec_math_f64.h"
#include "vec_kernels.h"

const nnbi_kernels nnbi_kernels_avx2 = NNBI_KERNELS_TABLE("avx2", VW);
