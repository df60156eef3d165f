/*
 * AVX2 + FMA kernels (this file alone is compiled with -mavx2 -mfma): the vector operations that
 * vec_kernels.h writes every kernel over, for 4 doubles per register. Tails use VMASKMOVPD, which
 * neither reads nor writes the masked-off lanes, so nothing past the end of an array is touched.
 */
#include <immintrin.h>
#include <stdint.h>

#include "kernels.h"

typedef __m256d vt;   /* 4 doubles */
typedef __m256d vmask; /* all-ones or all-zeros lanes */
#define T double
#define VW 4

#define VINLINE static inline __attribute__((always_inline))

VINLINE vt vset(double x) { return _mm256_set1_pd(x); }
VINLINE vt vzero(void) { return _mm256_setzero_pd(); }

/* The first m lanes (m <= VW). */
static const int64_t tail_bits[2 * VW] = {-1, -1, -1, -1, 0, 0, 0, 0};
VINLINE __m256i vfirst_i(size_t m) {
    return _mm256_loadu_si256((const __m256i *)(const void *)(tail_bits + VW - m));
}
VINLINE vmask vfirst(size_t m) { return _mm256_castsi256_pd(vfirst_i(m)); }

/* Lanes [0, m) from p, the others `fill`; reads nothing at or past p + m. */
VINLINE vt vload_n(const double *p, size_t m, double fill) {
    if (m == VW) return _mm256_loadu_pd(p);
    __m256i k = vfirst_i(m);
    return _mm256_blendv_pd(_mm256_set1_pd(fill), _mm256_maskload_pd(p, k), _mm256_castsi256_pd(k));
}
/* Writes lanes [0, m) to p and nothing else. */
VINLINE void vstore_n(double *p, vt v, size_t m) {
    if (m == VW)
        _mm256_storeu_pd(p, v);
    else
        _mm256_maskstore_pd(p, vfirst_i(m), v);
}

VINLINE vt vadd(vt a, vt b) { return _mm256_add_pd(a, b); }
VINLINE vt vsub(vt a, vt b) { return _mm256_sub_pd(a, b); }
VINLINE vt vmul(vt a, vt b) { return _mm256_mul_pd(a, b); }
VINLINE vt vdiv(vt a, vt b) { return _mm256_div_pd(a, b); }
VINLINE vt vsqrt(vt a) { return _mm256_sqrt_pd(a); }
VINLINE vt vfma(vt a, vt b, vt c) { return _mm256_fmadd_pd(a, b, c); }   /* a b + c, one rounding */
VINLINE vt vfnma(vt a, vt b, vt c) { return _mm256_fnmadd_pd(a, b, c); } /* c - a b, one rounding */
VINLINE vt vmax(vt a, vt b) { return _mm256_max_pd(a, b); }              /* b if either is NaN */
VINLINE vt vmin(vt a, vt b) { return _mm256_min_pd(a, b); }              /* b if either is NaN */
VINLINE vt vabs(vt a) { return _mm256_andnot_pd(_mm256_set1_pd(-0.0), a); }
VINLINE vt vor(vt a, vt b) { return _mm256_or_pd(a, b); }
VINLINE vt vand(vt a, vt b) { return _mm256_and_pd(a, b); }
VINLINE vt vxor(vt a, vt b) { return _mm256_xor_pd(a, b); }

/* Ordered (quiet) comparisons: false when either side is NaN. */
VINLINE vmask vgt(vt a, vt b) { return _mm256_cmp_pd(a, b, _CMP_GT_OQ); }
VINLINE vmask vge(vt a, vt b) { return _mm256_cmp_pd(a, b, _CMP_GE_OQ); }
VINLINE vmask vlt(vt a, vt b) { return _mm256_cmp_pd(a, b, _CMP_LT_OQ); }
VINLINE vmask visnan(vt a) { return _mm256_cmp_pd(a, a, _CMP_UNORD_Q); }
VINLINE vmask vmask_and(vmask a, vmask b) { return _mm256_and_pd(a, b); }
VINLINE vmask vmask_or(vmask a, vmask b) { return _mm256_or_pd(a, b); }
VINLINE vmask vmask_none(void) { return _mm256_setzero_pd(); }
VINLINE int vany(vmask m) { return _mm256_movemask_pd(m) != 0; }
VINLINE vt vsel(vmask m, vt t, vt f) { return _mm256_blendv_pd(f, t, m); } /* m ? t : f */
VINLINE vt vsel0(vmask m, vt t) { return _mm256_and_pd(m, t); }            /* m ? t : 0 */
VINLINE vmask vmask_not(vmask m) {
    return _mm256_xor_pd(m, _mm256_castsi256_pd(_mm256_set1_epi64x(-1)));
}
/* m ? a - b : src */
VINLINE vt vsub_where(vmask m, vt a, vt b, vt src) {
    return _mm256_blendv_pd(src, _mm256_sub_pd(a, b), m);
}

VINLINE double vhsum(vt a) {
    __m128d s = _mm_add_pd(_mm256_castpd256_pd128(a), _mm256_extractf128_pd(a, 1));
    return _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
}
VINLINE double vhmax(vt a) {
    __m128d s = _mm_max_pd(_mm256_castpd256_pd128(a), _mm256_extractf128_pd(a, 1));
    return _mm_cvtsd_f64(_mm_max_sd(s, _mm_unpackhi_pd(s, s)));
}

/* The 16-entry tables of vec_kernels.h's exp, looked up by the low 4 bits of ks's bit pattern.
 * A gather: an in-register lookup giving the same bits (four VPERMPS on the doubles' halves and
 * three blends per table) measured 10 % slower on Zen 4 for sigmoid. */
VINLINE vt vlookup16(const double *tab, vt ks) {
    __m256i i = _mm256_and_si256(_mm256_castpd_si256(ks), _mm256_set1_epi64x(15));
    return _mm256_i64gather_pd(tab, i, 8);
}

/* Scaling by 2^floor(k) for k in [-1083, 0] (the range vec_kernels.h's exp needs): two normal
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
