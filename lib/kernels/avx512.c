/*
 * AVX-512 kernels (F, DQ, VL and BW; this file alone is compiled with those -m flags): the vector
 * operations that vec_kernels.h writes every kernel over, for 8 doubles per register. Tails use
 * mask registers, so nothing is read or written past the end of an array.
 */
#include <immintrin.h>
#include <stdint.h>

#include "kernels.h"

typedef __m512d vt;     /* 8 doubles */
typedef __mmask8 vmask; /* one bit per lane */
#define T double
#define VW 8

#define VINLINE static inline __attribute__((always_inline))

VINLINE vt vset(double x) { return _mm512_set1_pd(x); }
VINLINE vt vzero(void) { return _mm512_setzero_pd(); }

/* The first m lanes (m <= VW). */
VINLINE vmask vfirst(size_t m) { return (vmask)((1u << m) - 1u); }

/* Lanes [0, m) from p, the others `fill`; reads nothing at or past p + m. */
VINLINE vt vload_n(const double *p, size_t m, double fill) {
    if (m == VW) return _mm512_loadu_pd(p);
    return _mm512_mask_loadu_pd(_mm512_set1_pd(fill), vfirst(m), p);
}
/* Writes lanes [0, m) to p and nothing else. */
VINLINE void vstore_n(double *p, vt v, size_t m) {
    if (m == VW)
        _mm512_storeu_pd(p, v);
    else
        _mm512_mask_storeu_pd(p, vfirst(m), v);
}

VINLINE vt vadd(vt a, vt b) { return _mm512_add_pd(a, b); }
VINLINE vt vsub(vt a, vt b) { return _mm512_sub_pd(a, b); }
VINLINE vt vmul(vt a, vt b) { return _mm512_mul_pd(a, b); }
VINLINE vt vdiv(vt a, vt b) { return _mm512_div_pd(a, b); }
VINLINE vt vsqrt(vt a) { return _mm512_sqrt_pd(a); }
VINLINE vt vfma(vt a, vt b, vt c) { return _mm512_fmadd_pd(a, b, c); }   /* a b + c, one rounding */
VINLINE vt vfnma(vt a, vt b, vt c) { return _mm512_fnmadd_pd(a, b, c); } /* c - a b, one rounding */
VINLINE vt vmax(vt a, vt b) { return _mm512_max_pd(a, b); }              /* b if either is NaN */
VINLINE vt vmin(vt a, vt b) { return _mm512_min_pd(a, b); }              /* b if either is NaN */
VINLINE vt vabs(vt a) { return _mm512_abs_pd(a); }
VINLINE vt vor(vt a, vt b) { return _mm512_or_pd(a, b); }
VINLINE vt vand(vt a, vt b) { return _mm512_and_pd(a, b); }
VINLINE vt vxor(vt a, vt b) { return _mm512_xor_pd(a, b); }

/* Ordered (quiet) comparisons: false when either side is NaN. */
VINLINE vmask vgt(vt a, vt b) { return _mm512_cmp_pd_mask(a, b, _CMP_GT_OQ); }
VINLINE vmask vge(vt a, vt b) { return _mm512_cmp_pd_mask(a, b, _CMP_GE_OQ); }
VINLINE vmask vlt(vt a, vt b) { return _mm512_cmp_pd_mask(a, b, _CMP_LT_OQ); }
VINLINE vmask visnan(vt a) { return _mm512_cmp_pd_mask(a, a, _CMP_UNORD_Q); }
VINLINE vmask vmask_and(vmask a, vmask b) { return (vmask)(a & b); }
VINLINE vmask vmask_or(vmask a, vmask b) { return (vmask)(a | b); }
VINLINE vmask vmask_none(void) { return 0; }
VINLINE int vany(vmask m) { return m != 0; }
VINLINE vt vsel(vmask m, vt t, vt f) { return _mm512_mask_blend_pd(m, f, t); } /* m ? t : f */
VINLINE vt vsel0(vmask m, vt t) { return _mm512_maskz_mov_pd(m, t); }          /* m ? t : 0 */
VINLINE vmask vmask_not(vmask m) { return (vmask)~m; }
/* m ? a - b : src, in one masked instruction */
VINLINE vt vsub_where(vmask m, vt a, vt b, vt src) { return _mm512_mask_sub_pd(src, m, a, b); }

VINLINE double vhsum(vt a) { return _mm512_reduce_add_pd(a); }
VINLINE double vhmax(vt a) { return _mm512_reduce_max_pd(a); }

/* The 16-entry tables of vec_kernels.h's exp, looked up by the low 4 bits of ks's bit pattern. */
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
