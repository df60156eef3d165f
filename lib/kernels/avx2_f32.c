/*
 * AVX2 + FMA float32 kernels (compiled with -mavx2 -mfma): the vector operations that
 * vec_kernels_f32.h writes every kernel over, for 8 floats per register (and 4 doubles for the
 * sums). Tails use VMASKMOVPS, which neither reads nor writes the masked-off lanes.
 */
#include <immintrin.h>
#include <stdint.h>

#include "kernels.h"

typedef __m256 vt;    /* 8 floats */
typedef __m256 vmask; /* all-ones or all-zeros lanes */
typedef __m256d vd;   /* 4 doubles: sums */
#define T float
#define VW 8

#define VINLINE static inline __attribute__((always_inline))

VINLINE vt vset(float x) { return _mm256_set1_ps(x); }
VINLINE vt vzero(void) { return _mm256_setzero_ps(); }

static const int32_t tail_bits[2 * VW] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
VINLINE __m256i vfirst_i(size_t m) {
    return _mm256_loadu_si256((const __m256i *)(const void *)(tail_bits + VW - m));
}
VINLINE vmask vfirst(size_t m) { return _mm256_castsi256_ps(vfirst_i(m)); }
VINLINE vt vload_n(const float *p, size_t m, float fill) {
    if (m == VW) return _mm256_loadu_ps(p);
    __m256i k = vfirst_i(m);
    return _mm256_blendv_ps(_mm256_set1_ps(fill), _mm256_maskload_ps(p, k), _mm256_castsi256_ps(k));
}
VINLINE void vstore_n(float *p, vt v, size_t m) {
    if (m == VW)
        _mm256_storeu_ps(p, v);
    else
        _mm256_maskstore_ps(p, vfirst_i(m), v);
}

VINLINE vt vadd(vt a, vt b) { return _mm256_add_ps(a, b); }
VINLINE vt vsub(vt a, vt b) { return _mm256_sub_ps(a, b); }
VINLINE vt vmul(vt a, vt b) { return _mm256_mul_ps(a, b); }
VINLINE vt vdiv(vt a, vt b) { return _mm256_div_ps(a, b); }
VINLINE vt vsqrt(vt a) { return _mm256_sqrt_ps(a); }
VINLINE vt vfma(vt a, vt b, vt c) { return _mm256_fmadd_ps(a, b, c); }   /* a b + c */
VINLINE vt vfnma(vt a, vt b, vt c) { return _mm256_fnmadd_ps(a, b, c); } /* c - a b */
VINLINE vt vmax(vt a, vt b) { return _mm256_max_ps(a, b); }              /* b if either is NaN */
VINLINE vt vmin(vt a, vt b) { return _mm256_min_ps(a, b); }              /* b if either is NaN */
VINLINE vt vor(vt a, vt b) { return _mm256_or_ps(a, b); }
VINLINE vt vand(vt a, vt b) { return _mm256_and_ps(a, b); }
VINLINE vt vxor(vt a, vt b) { return _mm256_xor_ps(a, b); }

VINLINE vmask vgt(vt a, vt b) { return _mm256_cmp_ps(a, b, _CMP_GT_OQ); }
VINLINE vmask vge(vt a, vt b) { return _mm256_cmp_ps(a, b, _CMP_GE_OQ); }
VINLINE vmask visnan(vt a) { return _mm256_cmp_ps(a, a, _CMP_UNORD_Q); }
VINLINE vmask vmask_or(vmask a, vmask b) { return _mm256_or_ps(a, b); }
VINLINE vmask vmask_none(void) { return _mm256_setzero_ps(); }
VINLINE vmask vmask_not(vmask m) {
    return _mm256_xor_ps(m, _mm256_castsi256_ps(_mm256_set1_epi32(-1)));
}
VINLINE int vany(vmask m) { return _mm256_movemask_ps(m) != 0; }
VINLINE vt vsel(vmask m, vt t, vt f) { return _mm256_blendv_ps(f, t, m); } /* m ? t : f */
VINLINE vt vsel0(vmask m, vt t) { return _mm256_and_ps(m, t); }            /* m ? t : 0 */
VINLINE vt vsub_where(vmask m, vt a, vt b, vt src) {
    return _mm256_blendv_ps(src, _mm256_sub_ps(a, b), m);
}
VINLINE float vhmax(vt a) {
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_max_ss(s, _mm_movehdup_ps(s)));
}

/* sums in double */
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

/* Scaling by 2^k for an integer k in [-150, 0] (what vec_kernels_f32.h's exp needs): two normal
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
