/*
 * AVX-512 float32 kernels (F, DQ, VL and BW; compiled with those -m flags): the vector operations
 * that vec_kernels_f32.h writes every kernel over, for 16 floats per register (and 8 doubles for
 * the sums). Tails use mask registers, so nothing is read or written past the end of an array.
 */
#include <immintrin.h>
#include <stdint.h>

#include "kernels.h"

typedef __m512 vf;      /* 16 floats */
typedef __mmask16 wmask; /* one bit per lane */
typedef __m512d vd;     /* 8 doubles: sums */
#define FW 16
#define NNBI_VEC_ISA "avx512"
#define NNBI_VEC_TABLE_F32 nnbi_kernels_f32_avx512

#define VINLINE static inline __attribute__((always_inline))

VINLINE vf wset(float x) { return _mm512_set1_ps(x); }
VINLINE vf wzero(void) { return _mm512_setzero_ps(); }
VINLINE wmask wfirst(size_t m) { return (wmask)((1u << m) - 1u); }
VINLINE vf wload_n(const float *p, size_t m, float fill) {
    if (m == FW) return _mm512_loadu_ps(p);
    return _mm512_mask_loadu_ps(_mm512_set1_ps(fill), wfirst(m), p);
}
VINLINE void wstore_n(float *p, vf v, size_t m) {
    if (m == FW)
        _mm512_storeu_ps(p, v);
    else
        _mm512_mask_storeu_ps(p, wfirst(m), v);
}

VINLINE vf wadd(vf a, vf b) { return _mm512_add_ps(a, b); }
VINLINE vf wsub(vf a, vf b) { return _mm512_sub_ps(a, b); }
VINLINE vf wmul(vf a, vf b) { return _mm512_mul_ps(a, b); }
VINLINE vf wdiv(vf a, vf b) { return _mm512_div_ps(a, b); }
VINLINE vf wsqrt(vf a) { return _mm512_sqrt_ps(a); }
VINLINE vf wfma(vf a, vf b, vf c) { return _mm512_fmadd_ps(a, b, c); }   /* a b + c */
VINLINE vf wfnma(vf a, vf b, vf c) { return _mm512_fnmadd_ps(a, b, c); } /* c - a b */
VINLINE vf wmax(vf a, vf b) { return _mm512_max_ps(a, b); }              /* b if either is NaN */
VINLINE vf wmin(vf a, vf b) { return _mm512_min_ps(a, b); }              /* b if either is NaN */
VINLINE vf wor(vf a, vf b) { return _mm512_or_ps(a, b); }
VINLINE vf wand(vf a, vf b) { return _mm512_and_ps(a, b); }
VINLINE vf wxor(vf a, vf b) { return _mm512_xor_ps(a, b); }

VINLINE wmask wgt(vf a, vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ); }
VINLINE wmask wge(vf a, vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_GE_OQ); }
VINLINE wmask wisnan(vf a) { return _mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q); }
VINLINE wmask wmask_or(wmask a, wmask b) { return (wmask)(a | b); }
VINLINE wmask wmask_none(void) { return 0; }
VINLINE wmask wmask_not(wmask m) { return (wmask)~m; }
VINLINE int wany(wmask m) { return m != 0; }
VINLINE vf wsel(wmask m, vf t, vf f) { return _mm512_mask_blend_ps(m, f, t); } /* m ? t : f */
VINLINE vf wsel0(wmask m, vf t) { return _mm512_maskz_mov_ps(m, t); }          /* m ? t : 0 */
VINLINE vf wsub_where(wmask m, vf a, vf b, vf src) { return _mm512_mask_sub_ps(src, m, a, b); }
VINLINE float whmax(vf a) { return _mm512_reduce_max_ps(a); }

/* sums in double */
VINLINE vd dzero(void) { return _mm512_setzero_pd(); }
VINLINE vd dset(double x) { return _mm512_set1_pd(x); }
VINLINE vd dadd(vd a, vd b) { return _mm512_add_pd(a, b); }
VINLINE vd dsub(vd a, vd b) { return _mm512_sub_pd(a, b); }
VINLINE vd dmul(vd a, vd b) { return _mm512_mul_pd(a, b); }
VINLINE double dhsum(vd a) { return _mm512_reduce_add_pd(a); }
VINLINE vd wcvt_lo(vf a) { return _mm512_cvtps_pd(_mm512_castps512_ps256(a)); }
VINLINE vd wcvt_hi(vf a) { return _mm512_cvtps_pd(_mm512_extractf32x8_ps(a, 1)); }

/* Scaling by 2^k (k an integer in a float): VSCALEFPS rounds once, also into the subnormals. */
typedef vf wpow2;
VINLINE wpow2 wpow2_make(vf k) { return k; }
VINLINE vf wpow2_mul(vf v, wpow2 p) { return _mm512_scalef_ps(v, p); }

#include "vec_kernels_f32.h"
