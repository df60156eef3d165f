/*
 * The vectorised kernels, written once for both instruction sets and both element types. Each of
 * avx2.c, avx512.c (float64) and avx2_f32.c, avx512_f32.c (float32) defines a small set of vector
 * operations (mostly by including avx2_ops.h or avx512_ops.h), includes vec_math_f64.h or
 * vec_math_f32.h (the type's exp, sigmoid, tanh, log1p and sums), then this file, and then
 * defines its table from the static functions below (kernels.h's NNBI_KERNELS_TABLE). So the two
 * instruction sets compute with the same formulas and differ only in width and in how an
 * operation is spelled, and the two types differ only in their transcendental functions and in
 * how they sum. This header is not a normal header: include it only from those files.
 *
 * Template parameters (defined before the #include):
 *   T        the element type of the arrays: double or float.
 *   VW       elements of T per vector register (4 or 8 doubles, 8 or 16 floats).
 *   vt       a vector of VW T; vmask, a mask of VW lanes; VINLINE, an always-inlined static.
 *   v...     the vector operations on vt and vmask (vset, vzero, vfirst, vload_n, vstore_n,
 *            vadd, vsub, vmul, vdiv, vsqrt, vmax, vsel, vsel0, vgt, visnan, vany, vhmax, ...),
 *            the same meaning in every file: avx2_ops.h and avx512_ops.h write them once for
 *            both types of their instruction set.
 *   from vec_math_*.h: vsigmoid, vtanh, vexp_neg_hi (exp of y <= 0, rounded to T), and the
 *            accumulators: type vacc, acc_zero, acc_add, acc_sq, acc_dot, acc_ydiff, acc_bce,
 *            acc_hsum (sums of T in double: per lane in vt for double, in vectors of doubles
 *            for float).
 *
 * Conventions. Every loop walks the arrays VW elements at a time; the last, partial step loads
 * and stores only its m < VW lanes (vload_n/vstore_n), so no kernel touches memory past n. In
 * reductions the unused lanes of that last step are zeroed before they are added.
 * Kernels without exp/log use the scalar reference's formulas (scalar_kernels.h) in the same
 * order, in T, with the double parameters rounded to T once, without fused multiply-adds (these
 * files are compiled with -ffp-contract=off), so their element-wise outputs are bit-identical to
 * the scalar set's of the same type; sums are accumulated per lane, so returned sums (and
 * softmax's row sums) differ from the scalar ones in the last bits.
 */
#include <math.h>
#include <string.h>

/* ---- the kernels --------------------------------------------------------------------------- */

/* Lanes in the step that starts at i of a loop over n elements. */
VINLINE size_t chunk(size_t n, size_t i) { return n - i < VW ? n - i : VW; }

VINLINE vt act_forward(nnb_activation act, vt v, vt alpha) {
    switch (act) {
    case NNB_ACT_SIGMOID:
        return vsigmoid(v);
    case NNB_ACT_TANH:
        return vtanh(v);
    case NNB_ACT_RELU:
        return vsel0(vgt(v, vzero()), v);
    case NNB_ACT_LEAKY_RELU:
        return vsel(vgt(v, vzero()), v, vmul(alpha, v));
    default:
        return v;
    }
}

/* bias_act for one element-wise activation (a compile-time constant after inlining): rows of n
 * elements, the bias added to each row (or none). */
VINLINE void bias_map(nnb_activation act, T alpha, size_t rows, size_t n, T *z, const T *b, T *a) {
    vt va = vset(alpha);
    for (size_t r = 0; r < rows; r++) {
        T *zr = z + r * n, *ar = a + r * n;
        for (size_t i = 0; i < n; i += VW) {
            size_t m = chunk(n, i);
            vt v = vload_n(zr + i, m, 0);
            if (b) {
                v = vadd(v, vload_n(b + i, m, 0));
                vstore_n(zr + i, v, m);
            }
            vstore_n(ar + i, act_forward(act, v, va), m);
        }
    }
}

/* Largest element of a row, NaN if any is NaN (the scalar reference's rule). */
static T row_max(size_t cols, const T *z) {
    vt mx = vset(-INFINITY);
    vmask nan = vmask_none();
    for (size_t c = 0; c < cols; c += VW) {
        vt v = vload_n(z + c, chunk(cols, c), -INFINITY);
        nan = vmask_or(nan, visnan(v));
        mx = vmax(mx, v);
    }
    return vany(nan) ? NAN : vhmax(mx);
}

/* Softmax of one row: a_c = e_c * (T)(1 / sum e), e_c = exp(z_c - max), the sum in double, as
 * the scalar reference. In double, rows sum to 1 within (cols + 1) 2^-53 (the sum, 1/sum and the
 * products each round once). */
static void softmax_row(size_t cols, const T *z, T *a) {
    vt m = vset(row_max(cols, z));
    vacc s = acc_zero();
    for (size_t c = 0; c < cols; c += VW) {
        size_t k = chunk(cols, c);
        vt e = vexp_neg_hi(vsub(vload_n(z + c, k, 0), m));
        vstore_n(a + c, e, k);
        s = acc_add(s, vsel0(vfirst(k), e));
    }
    vt inv = vset((T)(1.0 / acc_hsum(s)));
    for (size_t c = 0; c < cols; c += VW) {
        size_t k = chunk(cols, c);
        vstore_n(a + c, vmul(vload_n(a + c, k, 0), inv), k);
    }
}

/* Rows narrower than this take two passes: the bias added row by row, then the activation over
 * the whole matrix as one run, so the vectors are full (a row of 2 would fill a quarter of an
 * AVX-512 vector, and the exp is the expensive part). The values are the same either way. */
#define NARROW_ROW (2 * VW)

static void bias_act(nnb_activation act, double alpha, size_t rows, size_t cols, T *z, const T *b,
                     T *a) {
    T al = (T)alpha;
    if (b && cols < NARROW_ROW && rows > 1 && act != NNB_ACT_SOFTMAX) {
        for (size_t r = 0; r < rows; r++)
            for (size_t c = 0; c < cols; c++) z[r * cols + c] += b[c];
        b = NULL;
    }
    /* Without a bias the rows are one contiguous run. */
    size_t nr = b ? rows : 1, n = b ? cols : rows * cols;
    switch (act) {
    case NNB_ACT_SIGMOID:
        bias_map(NNB_ACT_SIGMOID, al, nr, n, z, b, a);
        break;
    case NNB_ACT_TANH:
        bias_map(NNB_ACT_TANH, al, nr, n, z, b, a);
        break;
    case NNB_ACT_RELU:
        bias_map(NNB_ACT_RELU, al, nr, n, z, b, a);
        break;
    case NNB_ACT_LEAKY_RELU:
        bias_map(NNB_ACT_LEAKY_RELU, al, nr, n, z, b, a);
        break;
    case NNB_ACT_SOFTMAX:
        for (size_t r = 0; r < rows; r++) {
            if (b) bias_map(NNB_ACT_IDENTITY, al, 1, cols, z + r * cols, b, z + r * cols);
            softmax_row(cols, z + r * cols, a + r * cols);
        }
        break;
    default:
        if (b || a != z) bias_map(NNB_ACT_IDENTITY, al, nr, n, z, b, a);
        break;
    }
}

/* d_j <- a_j (d_j - sum_k d_k a_k), row by row, the dot product in double */
static void softmax_backward(size_t rows, size_t cols, const T *a, T *d) {
    for (size_t r = 0; r < rows; r++) {
        const T *ar = a + r * cols;
        T *dr = d + r * cols;
        vacc dot = acc_zero();
        for (size_t c = 0; c < cols; c += VW) {
            size_t k = chunk(cols, c);
            dot = acc_dot(dot, vload_n(dr + c, k, 0), vload_n(ar + c, k, 0));
        }
        vt vdot = vset((T)acc_hsum(dot));
        for (size_t c = 0; c < cols; c += VW) {
            size_t k = chunk(cols, c);
            vt ac = vload_n(ar + c, k, 0);
            vstore_n(dr + c, vmul(ac, vsub(vload_n(dr + c, k, 0), vdot)), k);
        }
    }
}

/* act_backward for one element-wise activation (a compile-time constant after inlining, so each
 * activation gets its own loop, as bias_map) over n elements. */
VINLINE void backward_map(nnb_activation act, T alpha, size_t n, const T *a, T *d) {
    vt one = vset(1), va = vset(alpha);
    for (size_t i = 0; i < n; i += VW) {
        size_t m = chunk(n, i);
        vt av = vload_n(a + i, m, 0), dv = vload_n(d + i, m, 0);
        switch (act) {
        case NNB_ACT_SIGMOID:
            dv = vmul(dv, vmul(av, vsub(one, av)));
            break;
        case NNB_ACT_TANH:
            dv = vmul(dv, vsub(one, vmul(av, av)));
            break;
        case NNB_ACT_RELU:
            dv = vsel0(vgt(av, vzero()), dv);
            break;
        default:
            dv = vsel(vgt(av, vzero()), dv, vmul(va, dv));
            break;
        }
        vstore_n(d + i, dv, m);
    }
}

static void act_backward(nnb_activation act, double alpha, size_t rows, size_t cols, const T *a,
                         T *d) {
    size_t n = rows * cols;
    T al = (T)alpha;
    switch (act) {
    case NNB_ACT_SIGMOID:
        backward_map(NNB_ACT_SIGMOID, al, n, a, d);
        break;
    case NNB_ACT_TANH:
        backward_map(NNB_ACT_TANH, al, n, a, d);
        break;
    case NNB_ACT_RELU:
        backward_map(NNB_ACT_RELU, al, n, a, d);
        break;
    case NNB_ACT_LEAKY_RELU:
        backward_map(NNB_ACT_LEAKY_RELU, al, n, a, d);
        break;
    case NNB_ACT_SOFTMAX:
        softmax_backward(rows, cols, a, d);
        break;
    default:
        break; /* identity: f' = 1 */
    }
}

static double delta_se(size_t n, const T *yhat, const T *y, double scale, T *d) {
    vacc s = acc_zero();
    vt sc = vset((T)scale);
    for (size_t i = 0; i < n; i += VW) {
        size_t m = chunk(n, i);
        vt e = vsub(vload_n(yhat + i, m, 0), vload_n(y + i, m, 0)); /* 0 in unused lanes */
        s = acc_sq(s, e);
        vstore_n(d + i, vmul(sc, e), m);
    }
    return acc_hsum(s);
}

static double delta_se_sigmoid(size_t n, const T *yhat, const T *y, double scale, T *d) {
    vacc s = acc_zero();
    vt sc = vset((T)scale), one = vset(1);
    for (size_t i = 0; i < n; i += VW) {
        size_t m = chunk(n, i);
        vt o = vload_n(yhat + i, m, 0);
        vt e = vsub(o, vload_n(y + i, m, 0));
        s = acc_sq(s, e);
        vstore_n(d + i, vmul(vmul(vmul(sc, e), o), vsub(one, o)), m);
    }
    return acc_hsum(s);
}

static double delta_bce_sigmoid(size_t n, const T *z, const T *yhat, const T *y, double scale,
                                T *d) {
    vacc s = acc_zero();
    vt sc = vset((T)scale);
    for (size_t i = 0; i < n; i += VW) {
        size_t m = chunk(n, i);
        vt zv = vload_n(z + i, m, 0), yv = vload_n(y + i, m, 0);
        s = acc_bce(s, zv, yv, m); /* softplus(z) - y z */
        vstore_n(d + i, vmul(sc, vsub(vload_n(yhat + i, m, 0), yv)), m);
    }
    return acc_hsum(s);
}

static double delta_ce_softmax(size_t rows, size_t cols, const T *z, const T *yhat, const T *y,
                               double scale, T *d) {
    double s = 0.0;
    vt sc = vset((T)scale);
    for (size_t r = 0; r < rows; r++) {
        const T *zr = z + r * cols, *yr = y + r * cols, *pr = yhat + r * cols;
        T *dr = d + r * cols;
        vt m = vset(row_max(cols, zr));
        vacc se = acc_zero(), ys = acc_zero(), yz = acc_zero();
        for (size_t c = 0; c < cols; c += VW) {
            size_t k = chunk(cols, c);
            vmask used = vfirst(k);
            vt zv = vload_n(zr + c, k, 0), yv = vload_n(yr + c, k, 0);
            se = acc_add(se, vsel0(used, vexp_neg_hi(vsub(zv, m))));
            ys = acc_add(ys, yv);
            yz = acc_ydiff(yz, used, yv, zv, m);
        }
        /* sum_j y_j (lse - z_j) = ysum * log(se) - sum_j y_j (z_j - m): one log per row */
        double ysum = acc_hsum(ys);
        s += ysum * log(acc_hsum(se)) - acc_hsum(yz);
        vt vys = vset((T)ysum);
        for (size_t c = 0; c < cols; c += VW) {
            size_t k = chunk(cols, c);
            vt p = vload_n(pr + c, k, 0);
            vstore_n(dr + c, vmul(sc, vsub(vmul(p, vys), vload_n(yr + c, k, 0))), k);
        }
    }
    return s;
}

static void col_sum(size_t rows, size_t cols, const T *d, T *out) {
    /* Each column is summed over the rows in order, as in the scalar reference, in blocks of up
     * to four vectors of columns whose sums stay in registers while the rows go by (no store and
     * reload of the sums per row, which costs most for narrow rows). */
    for (size_t c0 = 0; c0 < cols; c0 += 4 * VW) {
        size_t w = cols - c0 < 4 * VW ? cols - c0 : 4 * VW;
        size_t k0 = chunk(w, 0), k1 = chunk(w, VW), k2 = chunk(w, 2 * VW), k3 = chunk(w, 3 * VW);
        vt s0 = vzero(), s1 = vzero(), s2 = vzero(), s3 = vzero();
        const T *dr = d + c0;
        for (size_t r = 0; r < rows; r++, dr += cols) {
            s0 = vadd(s0, vload_n(dr, k0, 0));
            if (w > VW) s1 = vadd(s1, vload_n(dr + VW, k1, 0));
            if (w > 2 * VW) s2 = vadd(s2, vload_n(dr + 2 * VW, k2, 0));
            if (w > 3 * VW) s3 = vadd(s3, vload_n(dr + 3 * VW, k3, 0));
        }
        vstore_n(out + c0, s0, k0);
        if (w > VW) vstore_n(out + c0 + VW, s1, k1);
        if (w > 2 * VW) vstore_n(out + c0 + 2 * VW, s2, k2);
        if (w > 3 * VW) vstore_n(out + c0 + 3 * VW, s3, k3);
    }
}

static void axpy(size_t n, double a, const T *x, T *y) {
    vt va = vset((T)a);
    for (size_t i = 0; i < n; i += VW) {
        size_t m = chunk(n, i);
        vstore_n(y + i, vadd(vload_n(y + i, m, 0), vmul(va, vload_n(x + i, m, 0))), m);
    }
}

static void scal(size_t n, double a, T *x) {
    vt va = vset((T)a);
    for (size_t i = 0; i < n; i += VW) {
        size_t m = chunk(n, i);
        vstore_n(x + i, vmul(vload_n(x + i, m, 0), va), m);
    }
}

static double sumsq(size_t n, const T *x) {
    vacc s = acc_zero();
    for (size_t i = 0; i < n; i += VW) s = acc_sq(s, vload_n(x + i, chunk(n, i), 0));
    return acc_hsum(s);
}

static void sgd(size_t n, T *theta, const T *g, T *v, double lr, double mu, double l2,
                int nesterov) {
    vt vlr = vset((T)lr), vmu = vset((T)mu), vl2 = vset((T)l2);
    for (size_t i = 0; i < n; i += VW) {
        size_t m = chunk(n, i);
        vt t = vload_n(theta + i, m, 0);
        vt gi = vadd(vload_n(g + i, m, 0), vmul(vl2, t));
        if (mu == 0.0) {
            vstore_n(theta + i, vsub(t, vmul(vlr, gi)), m);
            continue;
        }
        vt vi = vadd(vmul(vmu, vload_n(v + i, m, 0)), gi);
        vstore_n(v + i, vi, m);
        vstore_n(theta + i, vsub(t, vmul(vlr, nesterov ? vadd(gi, vmul(vmu, vi)) : vi)), m);
    }
}

static void adam(size_t n, T *theta, const T *g, T *mom, T *v, double lr, double b1, double b2,
                 double eps, double bc1, double bc2, double l2, double decoupled) {
    vt vlr = vset((T)lr), vb1 = vset((T)b1), vb2 = vset((T)b2);
    vt c1 = vset((T)(1.0 - b1)), c2 = vset((T)(1.0 - b2)), veps = vset((T)eps);
    vt vbc1 = vset((T)bc1), vbc2 = vset((T)bc2), vl2 = vset((T)l2), vdec = vset((T)decoupled);
    for (size_t i = 0; i < n; i += VW) {
        size_t k = chunk(n, i);
        vt t = vload_n(theta + i, k, 0);
        vt gi = vadd(vload_n(g + i, k, 0), vmul(vl2, t));
        vt mi = vadd(vmul(vb1, vload_n(mom + i, k, 0)), vmul(c1, gi));
        vt vi = vadd(vmul(vb2, vload_n(v + i, k, 0)), vmul(vmul(c2, gi), gi));
        vstore_n(mom + i, mi, k);
        vstore_n(v + i, vi, k);
        vt step = vadd(vdiv(vmul(vbc1, mi), vadd(vsqrt(vmul(vbc2, vi)), veps)), vmul(vdec, t));
        vstore_n(theta + i, vsub(t, vmul(vlr, step)), k);
    }
}

static void rmsprop(size_t n, T *theta, const T *g, T *v, double lr, double rho, double eps,
                    double l2) {
    vt vlr = vset((T)lr), vrho = vset((T)rho), c = vset((T)(1.0 - rho));
    vt veps = vset((T)eps), vl2 = vset((T)l2);
    for (size_t i = 0; i < n; i += VW) {
        size_t k = chunk(n, i);
        vt t = vload_n(theta + i, k, 0);
        vt gi = vadd(vload_n(g + i, k, 0), vmul(vl2, t));
        vt vi = vadd(vmul(vrho, vload_n(v + i, k, 0)), vmul(vmul(c, gi), gi));
        vstore_n(v + i, vi, k);
        vstore_n(theta + i, vsub(t, vdiv(vmul(vlr, gi), vadd(vsqrt(vi), veps))), k);
    }
}

/* The window operations (im2col, col2im, pooling, transpose): window_vec.h's, over the reference
 * loops of window_ref.h (named *_ref here) where they do not vectorise. */
#define WIN(name) name##_ref
#include "window_ref.h"
#include "window_vec.h"
