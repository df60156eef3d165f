/*
 * The parts of the vectorised exp, sigmoid, tanh and log1p that are the same formulas in both
 * element types, over the vector operations of the including ISA file (see vec_kernels.h for the
 * template parameters T, VW, vt, vmask and v...). vec_math_f64.h and vec_math_f32.h include it
 * first; each supplies its own exp (and so its own precision), polynomials and constants.
 */

/* c[0] + c[1] x + ... + c[deg] x^deg by Horner's rule (deg is a constant; fully unrolled). */
VINLINE vt vpoly(vt x, const T *c, int deg) {
    vt p = vset(c[deg]);
#pragma GCC unroll 8
    for (int i = deg - 1; i >= 0; i--) p = vfma(p, x, vset(c[i]));
    return p;
}

/* -|x|, except that a NaN keeps its sign (vmin returns its second operand when either is NaN), as
 * the scalar reference's x >= 0 ? -x : x does. */
VINLINE vt vnegabs(vt x) { return vmin(vxor(x, vset(-0.0)), x); }

/* sigmoid(x) from e = exp(-|x|) (rounded to T): 1/(1 + e) for x >= 0 and e/(1 + e) for x < 0,
 * never an exp of a positive number, so nothing overflows; +-0 give 1/2, +inf 1, -inf 0, a NaN
 * the same NaN. 1 + e is kept exactly as d + dlo and the quotient q = n/d corrected to
 * q (1 - dlo/d), with 1/d taken from q itself (q or 1 - q), so that every instruction set
 * computes the same bits. */
VINLINE vt vsigmoid_of(vt x, vt e) {
    vt one = vset(1);
    vt d = vadd(one, e);
    vt dlo = vadd(vsub(one, d), e); /* 1 + e - d, exactly */
    vmask pos = vge(x, vzero());
    vt q = vdiv(vsel(pos, one, e), d);
    vt inv = vsub_where(vmask_not(pos), one, q, q); /* 1/d: q, or 1 - q as 1/(1+e) = 1 - e/(1+e) */
    return vfnma(q, vmul(dlo, inv), q);
}

/* (1 - e)/(1 + e) from e = exp(-2|x|) given as e + elo (so tanh|x|): 1 - e and 1 + e kept as
 * pairs n + nlo and d + dlo, the quotient corrected by its remainder. */
VINLINE vt vtanh_of(vt e, vt elo) {
    vt one = vset(1);
    vt n = vsub(one, e), nlo = vsub(vsub(vsub(one, n), e), elo); /* 1 - e = n + nlo */
    vt d = vadd(one, e), dlo = vadd(vadd(vsub(one, d), e), elo); /* 1 + e = d + dlo */
    vt q = vdiv(n, d);
    vt rem = vadd(vfnma(q, d, n), vfnma(q, dlo, nlo));  /* (n + nlo) - q (d + dlo) */
    return vfma(rem, vfma(q, vset(0.5), vset(0.5)), q); /* 1/(1+e) = (1 + q)/2 */
}

/* log(1 + e) for e + elo in [0, 1] (log1p of an exp's result). 1 + e = d + dlo; with
 * f = (d + dlo) / 2^c in [sqrt(2)/2, sqrt(2)] (c = 0 or 1),
 * log f = 2 atanh(s) = 2s (1 + s^2 R(s^2)), s = (f - 1)/(f + 1), |s| <= 0.172, R the type's
 * minimax polynomial of degree `deg` (a constant); the result is c ln2 + log f, with
 * ln2 = ln2_hi + ln2_lo. */
VINLINE vt vlog1p_of(vt e, vt elo, const T *R, int deg, T ln2_hi, T ln2_lo) {
    vt one = vset(1);
    vt d = vadd(one, e), dlo = vadd(vadd(vsub(one, d), e), elo);
    vmask big = vgt(d, vset((T)0x1.6a09e667f3bcdp+0)); /* sqrt(2) */
    vt half = vsel(big, vset(0.5), one);
    vt f = vmul(d, half), flo = vmul(dlo, half);
    vt s = vdiv(vadd(vsub(f, one), flo), vadd(vadd(f, one), flo)); /* f - 1 is exact */
    vt u = vmul(s, s), s2 = vadd(s, s);
    vt logf_ = vfma(vmul(s2, u), vpoly(u, R, deg), s2);
    vt c = vsel0(big, one);
    return vfma(c, vset(ln2_hi), vfma(c, vset(ln2_lo), logf_));
}
