/*
 * The template of an element type's table (elem.h), included once per type by elem.c with:
 *   T            the element type
 *   TN(name)     the name `name` made unique to this instance
 *   DTYPE, NAME  its nnb_dtype and name
 *   TMAX         the largest finite value
 *   KT, KGET     its kernel table type and the function returning this process's table
 *   GEMM, GEMV, GER, BLAS_SCAL   its cblas_ functions
 *   ELEM_F64     defined for the float64 instance only
 * Nothing else in lib/ names a type's BLAS functions or kernel table.
 */

static const KT *TN(kern); /* set once (elem.c's pthread_once) */

static double TN(round)(double v) { return (double)(T)v; }

static void TN(gemm)(int trans_a, int trans_b, int m, int n, int k, double alpha, const void *a,
                     int lda, const void *b, int ldb, double beta, void *c, int ldc) {
    GEMM(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, m,
         n, k, (T)alpha, a, lda, b, ldb, (T)beta, c, ldc);
}

static void TN(gemv)(int trans, int m, int n, double alpha, const void *a, int lda, const void *x,
                     double beta, void *y) {
    GEMV(CblasRowMajor, trans ? CblasTrans : CblasNoTrans, m, n, (T)alpha, a, lda, x, 1, (T)beta, y,
         1);
}

static void TN(ger)(int m, int n, double alpha, const void *x, const void *y, void *a, int lda) {
    GER(CblasRowMajor, m, n, (T)alpha, x, 1, y, 1, a, lda);
}

static void TN(blas_scal)(int n, double alpha, void *x) { BLAS_SCAL(n, (T)alpha, x, 1); }

/* ---- the kernels, through this process's table ------------------------------------------------ */

static void TN(bias_act)(nnb_activation act, double alpha, size_t rows, size_t cols, void *z,
                         const void *b, void *a) {
    TN(kern)->bias_act(act, alpha, rows, cols, z, b, a);
}
static void TN(act_backward)(nnb_activation act, double alpha, size_t rows, size_t cols,
                             const void *a, void *d) {
    TN(kern)->act_backward(act, alpha, rows, cols, a, d);
}
static double TN(delta_se)(size_t n, const void *yhat, const void *y, double scale, void *d) {
    return TN(kern)->delta_se(n, yhat, y, scale, d);
}
static double TN(delta_se_sigmoid)(size_t n, const void *yhat, const void *y, double scale,
                                   void *d) {
    return TN(kern)->delta_se_sigmoid(n, yhat, y, scale, d);
}
static double TN(delta_bce_sigmoid)(size_t n, const void *z, const void *yhat, const void *y,
                                    double scale, void *d) {
    return TN(kern)->delta_bce_sigmoid(n, z, yhat, y, scale, d);
}
static double TN(delta_ce_softmax)(size_t rows, size_t cols, const void *z, const void *yhat,
                                   const void *y, double scale, void *d) {
    return TN(kern)->delta_ce_softmax(rows, cols, z, yhat, y, scale, d);
}
static void TN(col_sum)(size_t rows, size_t cols, const void *d, void *out) {
    TN(kern)->col_sum(rows, cols, d, out);
}
static void TN(axpy)(size_t n, double a, const void *x, void *y) { TN(kern)->axpy(n, a, x, y); }
static void TN(scal)(size_t n, double a, void *x) { TN(kern)->scal(n, a, x); }
static double TN(sumsq)(size_t n, const void *x) { return TN(kern)->sumsq(n, x); }
static void TN(sgd)(size_t n, void *theta, const void *g, void *v, double lr, double mu, double l2,
                    int nesterov) {
    TN(kern)->sgd(n, theta, g, v, lr, mu, l2, nesterov);
}
static void TN(adam)(size_t n, void *theta, const void *g, void *m, void *v, double lr, double b1,
                     double b2, double eps, double bc1, double bc2, double l2, double decoupled) {
    TN(kern)->adam(n, theta, g, m, v, lr, b1, b2, eps, bc1, bc2, l2, decoupled);
}
static void TN(rmsprop)(size_t n, void *theta, const void *g, void *v, double lr, double rho,
                        double eps, double l2) {
    TN(kern)->rmsprop(n, theta, g, v, lr, rho, eps, l2);
}

static void TN(im2col)(const nnbi_win *g, size_t n, const void *in, int ones, void *col) {
    TN(kern)->im2col(g, n, in, ones, col);
}
static void TN(col2im)(const nnbi_win *g, size_t n, const void *col, size_t ld, void *dx) {
    TN(kern)->col2im(g, n, col, ld, dx);
}
static void TN(maxpool)(const nnbi_win *g, size_t n, const void *in, void *out, void *pos) {
    TN(kern)->maxpool(g, n, in, out, pos);
}
static void TN(maxpool_backward)(const nnbi_win *g, size_t n, const void *dout, const void *pos,
                                 void *din) {
    TN(kern)->maxpool_backward(g, n, dout, pos, din);
}
static void TN(avgpool)(const nnbi_win *g, size_t n, const void *in, void *out) {
    TN(kern)->avgpool(g, n, in, out);
}
static void TN(avgpool_backward)(const nnbi_win *g, size_t n, const void *dout, void *din) {
    TN(kern)->avgpool_backward(g, n, dout, din);
}
static void TN(wino_filter)(size_t F, size_t C, const void *w, void *u) {
    TN(kern)->wino_filter(F, C, w, u);
}
static void TN(wino_in)(const nnbi_win *g, size_t n, const void *in, void *v) {
    TN(kern)->wino_in(g, n, in, v);
}
static void TN(wino_out)(const nnbi_win *g, size_t n, size_t F, const void *m, const void *bias,
                         void *out) {
    TN(kern)->wino_out(g, n, F, m, bias, out);
}
static void TN(transpose)(size_t n, size_t rows, size_t cols, const void *in, void *out) {
    TN(kern)->transpose(n, rows, cols, in, out);
}

/* ---- element loops ------------------------------------------------------------------------------ */

static void TN(dropout)(size_t n, double p, const void *in, void *mask, void *out, nnbi_rng *rng) {
    const T *x = in;
    T *m = mask, *o = out;
    uint64_t threshold = (uint64_t)(p * 0x1.0p53);
    T keep = (T)(1.0 / (1.0 - p));
    for (size_t i = 0; i < n; i++) {
        T f = (nnbi_rng_next(rng) >> 11) < threshold ? (T)0 : keep;
        m[i] = f;
        o[i] = x[i] * f;
    }
}

static void TN(mul)(size_t n, const void *m, void *x) {
    const T *a = m;
    T *b = x;
    for (size_t i = 0; i < n; i++) b[i] *= a[i];
}

static size_t TN(count_correct)(const void *yhat_, const void *y_, size_t rows, size_t cols) {
    const T *yhat = yhat_, *y = y_;
    size_t hit = 0;
    if (cols == 1) {
        for (size_t r = 0; r < rows; r++) hit += (yhat[r] > (T)0.5) == (y[r] > (T)0.5);
        return hit;
    }
    for (size_t r = 0; r < rows; r++) {
        const T *p = yhat + r * cols, *t = y + r * cols;
        size_t ap = 0, at = 0;
        for (size_t c = 1; c < cols; c++) {
            if (p[c] > p[ap]) ap = c;
            if (t[c] > t[at]) at = c;
        }
        hit += ap == at;
    }
    return hit;
}

static int TN(find_nonfinite)(const void *a_, size_t n, size_t *at) {
    const T *a = a_;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(a[i])) {
            if (at) *at = i;
            return 1;
        }
    return 0;
}

static double TN(get)(const void *a, size_t i) { return (double)((const T *)a)[i]; }
static void TN(set)(void *a, size_t i, double v) { ((T *)a)[i] = (T)v; }

static void TN(gather)(void *dst, const void *src, nnb_dtype src_t, const size_t *idx, size_t n,
                       size_t cols) {
    T *d = dst;
    for (size_t i = 0; i < n; i++, d += cols) {
        size_t r = idx ? idx[i] : i;
        if (src_t == DTYPE) {
            memcpy(d, (const T *)src + r * cols, cols * sizeof(T));
        } else if (src_t == NNB_F64) {
            const double *s = (const double *)src + r * cols;
            for (size_t c = 0; c < cols; c++) d[c] = (T)s[c];
        } else {
            const float *s = (const float *)src + r * cols;
            for (size_t c = 0; c < cols; c++) d[c] = (T)s[c];
        }
    }
}

static void TN(clip_value)(size_t n, double c, void *g_) {
    T *g = g_;
    const T tc = (T)c;
    for (size_t i = 0; i < n; i++) g[i] = g[i] > tc ? tc : g[i] < -tc ? -tc : g[i];
}

static double TN(norm)(size_t n, const void *g_, double ss) {
    const T *g = g_;
    double norm = sqrt(ss);
    if (isfinite(norm)) return norm;
    double amax = 0, s = 0;
    for (size_t i = 0; i < n; i++) {
        double a = fabs((double)g[i]);
        amax = a > amax ? a : amax;
    }
    for (size_t i = 0; i < n; i++) {
        double q = (double)g[i] / amax;
        s += q * q;
    }
    return amax * sqrt(s);
}

static void TN(step_f64)(size_t n, double lr, const double *g, void *p_) {
#ifdef ELEM_F64
    TN(kern)->axpy(n, -lr, g, p_);
#else
    T *p = p_;
    for (size_t i = 0; i < n; i++) p[i] -= (T)(lr * g[i]);
#endif
}

static const nnbi_elem TN(table) = {
    .dtype = DTYPE,
    .size = sizeof(T),
    .name = NAME,
    .max = TMAX,
    .round = TN(round),
    .gemm = TN(gemm),
    .gemv = TN(gemv),
    .ger = TN(ger),
    .blas_scal = TN(blas_scal),
    .bias_act = TN(bias_act),
    .act_backward = TN(act_backward),
    .delta_se = TN(delta_se),
    .delta_se_sigmoid = TN(delta_se_sigmoid),
    .delta_bce_sigmoid = TN(delta_bce_sigmoid),
    .delta_ce_softmax = TN(delta_ce_softmax),
    .col_sum = TN(col_sum),
    .axpy = TN(axpy),
    .scal = TN(scal),
    .sumsq = TN(sumsq),
    .sgd = TN(sgd),
    .adam = TN(adam),
    .rmsprop = TN(rmsprop),
    .wino_filter = TN(wino_filter),
    .wino_in = TN(wino_in),
    .wino_out = TN(wino_out),
    .im2col = TN(im2col),
    .col2im = TN(col2im),
    .maxpool = TN(maxpool),
    .maxpool_backward = TN(maxpool_backward),
    .avgpool = TN(avgpool),
    .avgpool_backward = TN(avgpool_backward),
    .transpose = TN(transpose),
    .dropout = TN(dropout),
    .mul = TN(mul),
    .count_correct = TN(count_correct),
    .find_nonfinite = TN(find_nonfinite),
    .get = TN(get),
    .set = TN(set),
    .gather = TN(gather),
    .clip_value = TN(clip_value),
    .norm = TN(norm),
    .step_f64 = TN(step_f64),
};

/* Called once (elem.c): this process's kernel table of the type; 0 when there is none. */
static int TN(init)(void) {
    TN(kern) = KGET();
    return TN(kern) != NULL;
}
