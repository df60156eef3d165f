/*
 * The AVX2 + FMA vector operations that vec_kernels.h and vec_math*.h are written over, for either
 * element type: avx2.c (4 doubles) and avx2_f32.c (8 floats) define the template parameters and
 * include this file; they add what differs by type themselves (horizontal reductions, exp's
 * scaling). Tails use VMASKMOVPD/VMASKMOVPS, which neither read nor write the masked-off lanes,
 * so nothing past the end of an array is touched. Include it only from those files.
 *
 * Template parameters (defined before the #include):
 *   T, VW      the element type and the lanes per register (double 4, float 8).
 *   vt, vmask  the register type, __m256d or __m256; a mask is a register of all-ones or
 *              all-zeros lanes (the same type).
 *   MM(op)     the intrinsic _mm256_<op>_pd or _mm256_<op>_ps (MM(add) is _mm256_add_pd, ...).
 *   tail_bits  a static const array of 2 VW integers of T's width: VW times -1, then VW zeros.
 */

#include "vec_arith.h" /* vset, vzero, vadd, vsub, vmul, vdiv, vsqrt, vfma, vfnma, vmax, vmin, ... */

/* The first m lanes (m <= VW). */
VINLINE __m256i vfirst_i(size_t m) {
    return _mm256_loadu_si256((const __m256i *)(const void *)(tail_bits + VW - m));
}
VINLINE vmask vfirst(size_t m) { return MM(castsi256)(vfirst_i(m)); }

/* Lanes [0, m) from p, the others `fill`; reads nothing at or past p + m. */
VINLINE vt vload_n(const T *p, size_t m, T fill) {
    if (m == VW) return MM(loadu)(p);
    __m256i k = vfirst_i(m);
    return MM(blendv)(MM(set1)(fill), MM(maskload)(p, k), MM(castsi256)(k));
}
/* Writes lanes [0, m) to p and nothing else. */
VINLINE void vstore_n(T *p, vt v, size_t m) {
    if (m == VW)
        MM(storeu)(p, v);
    else
        MM(maskstore)(p, vfirst_i(m), v);
}

VINLINE vt vabs(vt a) { return MM(andnot)(MM(set1)(-0.0), a); }

/* Ordered (quiet) comparisons: false when either side is NaN. */
VINLINE vmask vgt(vt a, vt b) { return MM(cmp)(a, b, _CMP_GT_OQ); }
VINLINE vmask vge(vt a, vt b) { return MM(cmp)(a, b, _CMP_GE_OQ); }
VINLINE vmask vlt(vt a, vt b) { return MM(cmp)(a, b, _CMP_LT_OQ); }
VINLINE vmask visnan(vt a) { return MM(cmp)(a, a, _CMP_UNORD_Q); }
VINLINE vmask vmask_and(vmask a, vmask b) { return MM(and)(a, b); }
VINLINE vmask vmask_or(vmask a, vmask b) { return MM(or)(a, b); }
VINLINE vmask vmask_none(void) { return MM(setzero)(); }
VINLINE int vany(vmask m) { return MM(movemask)(m) != 0; }
VINLINE vt vsel(vmask m, vt t, vt f) { return MM(blendv)(f, t, m); } /* m ? t : f */
VINLINE vt vsel0(vmask m, vt t) { return MM(and)(m, t); }            /* m ? t : 0 */
VINLINE vmask vmask_not(vmask m) { return MM(xor)(m, MM(castsi256)(_mm256_set1_epi32(-1))); }
/* m ? a - b : src */
VINLINE vt vsub_where(vmask m, vt a, vt b, vt src) { return MM(blendv)(src, MM(sub)(a, b), m); }
