/*
 * The vector operations spelled the same way in every instruction set and element type, given
 * the intrinsic-name macro MM(op) (_mm256_<op>_pd, _mm512_<op>_ps, ...): avx2_ops.h and
 * avx512_ops.h include it first (see there for the template parameters T, vt and MM).
 */

#define VINLINE static inline __attribute__((always_inline))

VINLINE vt vset(T x) { return MM(set1)(x); }
VINLINE vt vzero(void) { return MM(setzero)(); }
VINLINE vt vadd(vt a, vt b) { return MM(add)(a, b); }
VINLINE vt vsub(vt a, vt b) { return MM(sub)(a, b); }
VINLINE vt vmul(vt a, vt b) { return MM(mul)(a, b); }
VINLINE vt vdiv(vt a, vt b) { return MM(div)(a, b); }
VINLINE vt vsqrt(vt a) { return MM(sqrt)(a); }
VINLINE vt vfma(vt a, vt b, vt c) { return MM(fmadd)(a, b, c); }   /* a b + c, one rounding */
VINLINE vt vfnma(vt a, vt b, vt c) { return MM(fnmadd)(a, b, c); } /* c - a b, one rounding */
VINLINE vt vmax(vt a, vt b) { return MM(max)(a, b); }              /* b if either is NaN */
VINLINE vt vmin(vt a, vt b) { return MM(min)(a, b); }              /* b if either is NaN */
VINLINE vt vor(vt a, vt b) { return MM(or)(a, b); }
VINLINE vt vand(vt a, vt b) { return MM(and)(a, b); }
VINLINE vt vxor(vt a, vt b) { return MM(xor)(a, b); }
