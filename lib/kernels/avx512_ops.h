/*
 * The AVX-512 vector operations that vec_kernels.h and vec_math*.h are written over, for either
 * element type: avx512.c (8 doubles) and avx512_f32.c (16 floats) define the template parameters
 * and include this file; they add what differs by type themselves. Tails use mask registers, so
 * nothing is read or written past the end of an array. Include it only from those files.
 *
 * Template parameters (defined before the #include):
 *   T, VW     the element type and the lanes per register (double 8, float 16).
 *   vt        the register type: __m512d or __m512.
 *   vmask     one bit per lane: __mmask8 or __mmask16.
 *   MM(op)    the intrinsic _mm512_<op>_pd or _mm512_<op>_ps (MM(add) is _mm512_add_pd, ...),
 *   MMK(op)   and _mm512_<op>_pd_mask or _mm512_<op>_ps_mask (the comparisons).
 */

#include "vec_arith.h" /* vset, vzero, vadd, vsub, vmul, vdiv, vsqrt, vfma, vfnma, vmax, vmin, ... */

/* The first m lanes (m <= VW). */
VINLINE vmask vfirst(size_t m) { return (vmask)((1u << m) - 1u); }

/* Lanes [0, m) from p, the others `fill`; reads nothing at or past p + m. */
VINLINE vt vload_n(const T *p, size_t m, T fill) {
    if (m == VW) return MM(loadu)(p);
    return MM(mask_loadu)(MM(set1)(fill), vfirst(m), p);
}
/* Writes lanes [0, m) to p and nothing else. */
VINLINE void vstore_n(T *p, vt v, size_t m) {
    if (m == VW)
        MM(storeu)(p, v);
    else
        MM(mask_storeu)(p, vfirst(m), v);
}

VINLINE vt vabs(vt a) { return MM(abs)(a); }

/* Ordered (quiet) comparisons: false when either side is NaN. */
VINLINE vmask vgt(vt a, vt b) { return MMK(cmp)(a, b, _CMP_GT_OQ); }
VINLINE vmask vge(vt a, vt b) { return MMK(cmp)(a, b, _CMP_GE_OQ); }
VINLINE vmask vlt(vt a, vt b) { return MMK(cmp)(a, b, _CMP_LT_OQ); }
VINLINE vmask visnan(vt a) { return MMK(cmp)(a, a, _CMP_UNORD_Q); }
VINLINE vmask vmask_and(vmask a, vmask b) { return (vmask)(a & b); }
VINLINE vmask vmask_or(vmask a, vmask b) { return (vmask)(a | b); }
VINLINE vmask vmask_none(void) { return 0; }
VINLINE int vany(vmask m) { return m != 0; }
VINLINE vt vsel(vmask m, vt t, vt f) { return MM(mask_blend)(m, f, t); } /* m ? t : f */
VINLINE vt vsel0(vmask m, vt t) { return MM(maskz_mov)(m, t); }          /* m ? t : 0 */
VINLINE vmask vmask_not(vmask m) { return (vmask)~m; }
/* m ? a - b : src, in one masked instruction */
VINLINE vt vsub_where(vmask m, vt a, vt b, vt src) { return MM(mask_sub)(src, m, a, b); }

VINLINE T vhmax(vt a) { return MM(reduce_max)(a); }
