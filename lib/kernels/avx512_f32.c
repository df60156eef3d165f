/*
 * AVX-512 float32 kernels (F, DQ, VL and BW; compiled with those -m flags): avx512_ops.h's vector
 * operations for 16 floats per register, the sums in 8 doubles and the scaling that
 * vec_math_f32.h needs besides, then the kernels (vec_kernels.h) and the table.
 */
#include <immintrin.h>
#include <stdint.h>

#include "kernels.h"

#define T float
#define VW 16
typedef __m512 vt;       /* 16 floats */
typedef __mmask16 vmask; /* one bit per lane */
#define MM(op) _mm512_##op##_ps
#define MMK(op) _mm512_##op##_ps_mask
#include "avx512_ops.h"

/* sums in double */
typedef __m512d vd; /* 8 doubles */
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
