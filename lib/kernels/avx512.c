/*
 * AVX-512 float64 kernels (F, DQ, VL and BW; this file alone, with avx512_f32.c, is compiled with
 * those -m flags): avx512_ops.h's vector operations for 8 doubles per register, the two that
 * vec_math_f64.h's exp needs besides, then the kernels (vec_kernels.h) and the table.
 */
#include <immintrin.h>
#include <stdint.h>

#include "kernels.h"

#define T double
#define VW 8
typedef __m512d vt;     /* 8 doubles */
typedef __mmask8 vmask; /* one bit per lane */
#define MM(op) _mm512_##op##_pd
#define MMK(op) _mm512_##op##_pd_mask
#include "avx512_ops.h"

VINLINE double vhsum(vt a) { return _mm512_reduce_add_pd(a); }

/* The 16-entry tables of vec_math_f64.h's exp, looked up by the low 4 bits of ks's bit pattern. */
VINLINE vt vlookup16(const double *tab, vt ks) {
    __m512i i = _mm512_castpd_si512(ks);
    return _mm512_permutex2var_pd(_mm512_loadu_pd(tab), i, _mm512_loadu_pd(tab + 8));
}

/* Scaling by 2^floor(k): VSCALEFPD rounds once, also into the subnormal range and to 0. */
typedef vt vpow2;
VINLINE vpow2 vpow2_make(vt k, vt ks) {
    (void)ks;
    return k;
}
VINLINE vt vpow2_mul(vt v, vpow2 p) { return _mm512_scalef_pd(v, p); }

#include "vec_math_f64.h"
#include "vec_kernels.h"

const nnbi_kernels nnbi_kernels_avx512 = NNBI_KERNELS_TABLE("avx512", VW);
