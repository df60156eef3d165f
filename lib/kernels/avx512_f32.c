/*
 * AVX-512 float32 kernels (F, DQ, VL and BW; compiled with those -m flags): the vector operations
 * that vec_kernels_f32.h writes every kernel over, for 16 floats per register (and 8 doubles for
 * the sums). Tails use mask registers, so nothing is read or written past the end of an array.
 */
#include <immintrin.h>
#include <stdint.h>

#include "kernels.h"

typedef __m512 vt;      /* 16 floats */
typedef __mmask16 vmask; /* one bit per lane */
typedef __m512d vd;     /* 8 doubles: sums */
#define T float
#define VW 16

#define VINLINE static inline __attribute__((always_inline))

VINLINE vt vset(float x) { return _mm512_set1_ps(x); }
VINLINE vt vzero(void) { return _mm512_setzero_ps(); }
VINLINE vmask vfirst(size_t m) { return (vmask)((1u << m) - 1u); }
VINLINE vt vload_n(const float *p, size_t m, float fill) {
    if (m == VW) return _mm512_loadu_ps(p);
    return _mm512_mask_loadu_ps(_mm512_set1_ps(fill), vfirst(m), p);
}
VINLINE void vstore_n(float *p, vt v, size_t m) {
    if (m == VW)
        _mm512_storeu_ps(p, v);
    else
        _mm512_mask_storeu_ps(p, vfirst(m), v);
}

VINLINE vt vadd(vt a, vt b) { return _mm512_add_ps(a, b); }
VINLINE vt vsub(vt a, vt b) { return _mm512_sub_ps(a, b); }
VINLINE vt vmul(vt a, vt b) { return _mm512_mul_ps(a, b); }
VINLINE vt vdiv(vt a, vt b) { return _mm512_div_ps(a, b); }
VINLINE vt vsqrt(vt a) { return _mm512_sqrt_ps(a); }
VINLINE vt vfma(vt a, vt b, vt c) { return _mm512_fmadd_ps(a, b, c); }   /* a b + c */
VINLINE vt vfnma(vt a, vt b, vt c) { return _mm512_fnmadd_ps(a, b, c); } /* c - a b */
VINLINE vt vmax(vt a, vt b) { return _mm512_max_ps(a, b); }              /* b if either is NaN */
VINLINE vt vmin(vt a, vt b) { return _mm512_min_ps(a, b); }              /* b if either is NaN */
VINLINE vt vor(vt a, vt b) { return _mm512_or_ps(a, b); }
VINLINE vt vand(vt a, vt b) { return _mm512_and_ps(a, b); }
VINLINE vt vxor(vt a, vt b) { return _mm512_xor_ps(a, b); }

VINLINE vmask vgt(vt a, vt b) { return _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ); }
VINLINE vmask vge(vt a, vt b) { return _mm512_cmp_ps_mask(a, b, _CMP_GE_OQ); }
VINLINE vmask visnan(vt a) { return _mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q); }
VINLINE vmask vmask_or(vmask a, vmask b) { return (vmask)(a | b); }
VINLINE vmask vmask_none(void) { return 0; }
VINLINE vmask vmask_not(vmask m) { return (vmask)~m; }
VINLINE int vany(vmask m) { return m != 0; }
VINLINE vt vsel(vmask m, vt t, vt f) { return _mm512_mask_blend_ps(m, f, t); } /* m ? t : f */
VINLINE vt vsel0(vmask m, vt t) { return _mm512_maskz_mov_ps(m, t); }          /* m ? t : 0 */
VINLINE vt vsub_where(vmask m, vt a, vt b, vt src) { return _mm512_mask_sub_ps(src, m, a, b); }
VINLINE float vhmax(vt a) { return _mm512_reduce_max_ps(a); }

/* sums in double */
VINLINE vd dzero(void) { return _mm512_setzero_pd(); }
VINLINE vd dset(double x) { return _mm512_set1_pd(x); }
VINLINE vd dadd(vd a, vd b) { return _mm512_add_pd(a, b); }
VINLINE vd dsub(vd a, vd b) { return _mm512_sub_pd(a, b); }
VINLINE vd dmul(vd a, vd b) { return _mm512_mul_pd(a, b); }
VINLINE double dhsum(vd a) { return _mm512_reduce_add_pd(a); }
VINLINE vd vcvt_lo(vt a) { return _mm512_cvtps_pd(_mm512_castps512_ps256(a)); }
VINLINE vd vcvt_hi(vt a) { return _mm512_cvtps_pd(_mm512_extractf32x8_ps(a, 1)); }

/* Scaling by 2^k (k an integer in a float): VSCALEFPS rounds once, also into the subnormals. */
typedef vt vpow2;
VINLINE vpow2 vpow2_make(vt k) { return k; }
VINLINE vt vpow2_mul(vt v, vpow2 p) { return _mm512_scalef_ps(v, p); }

#include "vec_math_f32.h"
#include "vec_kernels.h"

const nnbi_kernels_f32 nnbi_kernels_f32_avx512 = NNBI_KERNELS_TABLE("avx512", VW);
