/*
 * AVX2 + FMA float32 kernels (compiled with -mavx2 -mfma): avx2_ops.h's vector operations for 8
 * floats per register, the sums in 4 doubles and the scaling that vec_math_f32.h needs besides,
 * then the kernels (vec_kernels.h) and the table.
 */
#include <immintrin.h>
#include <stdint.h>

#include "kernels.h"

#define T float
#define VW 8
typedef __m256 vt;    /* 8 floats */
typedef __m256 vmask; /* all-ones or all-zeros lanes */
#define MM(op) _mm256_##op##_ps
static const int32_t tail_bits[2 * VW] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
#include "avx2_ops.h"

VINLINE float vhmax(vt a) {
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_max_ss(s, _mm_movehdup_ps(s)));
}

/* sums in double */
typedef __m256d vd; /* 4 doubles */
VINLINE vd dzero(void) { return _mm256_setzero_pd(); }
VINLINE vd dset(double x) { return _mm256_set1_pd(x); }
VINLINE vd dadd(vd a, vd b) { return _mm256_add_pd(a, b); }
VINLINE vd dsub(vd a, vd b) { return _mm256_sub_pd(a, b); }
VINLINE vd dmul(vd a, vd b) { return _mm256_mul_pd(a, b); }
VINLINE double dhsum(vd a) {
    __m128d s = _mm_add_pd(_mm256_castpd256_pd128(a), _mm256_extractf128_pd(a, 1));
    return _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
}
VINLINE vd vcvt_lo(vt a) { return _mm256_cvtps_pd(_mm256_castps256_ps128(a)); }
VINLINE vd vcvt_hi(vt a) { return _mm256_cvtps_pd(_mm256_extractf128_ps(a, 1)); }

/* Scaling by 2^k for an integer k in [-150, 0] (what vec_math_f32.h's exp needs): two normal
 * powers of two 2^m1 2^m2 = 2^k, so that v 2^m1 is exact and only the second product rounds,
 * once, also into the subnormal range and to 0. */
typedef struct {
    vt a, b;
} vpow2;
VINLINE vpow2 vpow2_make(vt k) {
    __m256i m = _mm256_cvtps_epi32(k);
    __m256i m1 = _mm256_srai_epi32(m, 1), m2 = _mm256_sub_epi32(m, m1); /* each >= -75 */
    __m256i bias = _mm256_set1_epi32(127);
    vpow2 p;
    p.a = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(m1, bias), 23));
    p.b = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(m2, bias), 23));
    return p;
}
VINLINE vt vpow2_mul(vt v, vpow2 p) { return _mm256_mul_ps(_mm256_mul_ps(v, p.a), p.b); }

#include "vec_math_f32.h"
#include "vec_kernels.h"

const nnbi_kernels_f32 nnbi_kernels_f32_avx2 = NNBI_KERNELS_TABLE("avx2", VW);
