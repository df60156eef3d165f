/*
 * The checks of tests/test_conv.c for one element type, included once per type. Every window
 * kernel of every set this CPU runs is held to definitions written here from the output side or
 * the input side (never the kernels' own loops): a convolution computed as im2col times the
 * weights against the direct sum over the window, its input gradient (col2im) against the sum
 * over the outputs that see each input element, its weight and bias gradients, max and average
 * pooling and their gradients, transpose. The data are multiples of 1/8 (or small integers) so
 * that every sum is exact in both types and the kernels must match to the last bit; where a
 * division rounds (average pooling's gradient) the tolerance is the sum's error bound. The
 * vectorised sets must give the scalar set's bits.
 *
 * Template parameters (defined before the #include): T, TN(name) (the name made unique to the
 * type), KT (the kernel table type), KFOR (its lookup by set name), TEPS (T's unit roundoff).
 */

/* ---- data ---- */

static T TN(dyadic)(nnbt_rng *r) { return (T)(floor(nnbt_uniform(r) * 17.0) - 8.0) / (T)8; }

/* A buffer of n values and GUARD sentinels after them. */
static T *TN(guarded)(size_t n) {
    T *p = malloc((n + GUARD) * sizeof *p);
    ck_assert_ptr_nonnull(p);
    for (size_t i = 0; i < n + GUARD; i++) p[i] = (T)SENTINEL;
    return p;
}

static void TN(check_guard)(const T *p, size_t n, const char *what) {
    for (size_t i = n; i < n + GUARD; i++)
        CHECK(p[i] == (T)SENTINEL, "%s: wrote past the end (at +%zu)", what, i - n);
}

/* x (n x C x H x W, channel-major) in g's layout: itself, or channels-last. */
static T *TN(in_layout)(const nnbi_win *g, size_t n, const T *x) {
    size_t C = g->C, H = g->H, W = g->W;
    T *y = TN(guarded)(n * C * H * W);
    for (size_t b = 0; b < n; b++)
        for (size_t c = 0; c < C; c++)
            for (size_t h = 0; h < H; h++)
                for (size_t w = 0; w < W; w++)
                    y[b * C * H * W + (g->chw ? (c * H + h) * W + w : (h * W + w) * C + c)] =
                        x[((b * C + c) * H + h) * W + w];
    return y;
}

/* Where element (c, h, w) of a sample lies in g's layout. */
static size_t TN(at)(const nnbi_win *g, size_t c, size_t h, size_t w) {
    return g->chw ? (c * g->H + h) * g->W + w : (h * g->W + w) * g->C + c;
}

/* The input element under window position (kh, kw) of output (oh, ow), if any: 1 and *h, *w. */
static int TN(under)(const nnbi_win *g, size_t oh, size_t ow, size_t kh, size_t kw, size_t *h,
                     size_t *w) {
    long ih = (long)(oh * g->SH + kh) - (long)g->PT, iw = (long)(ow * g->SW + kw) - (long)g->PL;
    if (ih < 0 || iw < 0 || ih >= (long)g->H || iw >= (long)g->W) return 0;
    *h = (size_t)ih, *w = (size_t)iw;
    return 1;
}

/* The sets under test: scalar first. */
static const KT *TN(sets)[N_ISA];
static size_t TN(n_sets)(void) {
    size_t n = 0;
    for (int i = 0; i < N_ISA; i++)
        if ((TN(sets)[n] = KFOR(isa_names[i])) != NULL) n++;
    ck_assert_uint_ge(n, 1);
    return n;
}

/* ---- convolution ---- */

typedef struct TN(conv_case) {
    nnbi_win g;
    size_t n, F, K, ld;
    int ones;
    T *x, *xin, *w, *bias; /* x channel-major, xin in g's layout; w F x C x KH x KW */
} TN(conv_case);

static void TN(conv_make)(TN(conv_case) * cc, nnbt_rng *r, int chw) {
    nnbi_win_spec s = random_conv_spec(r, chw);
    ck_assert_msg(nnbi_win_conv(&s, &cc->g, "test") == NNB_OK, "%s", nnb_last_error());
    nnbi_win *g = &cc->g;
    cc->n = 1 + (size_t)(nnbt_uniform(r) * 3);
    cc->F = s.F;
    cc->ones = nnbt_uniform(r) < 0.5;
    cc->K = g->KH * g->KW * g->C;
    cc->ld = nnbi_win_cols(g, cc->ones);
    size_t nx = cc->n * g->C * g->H * g->W, nw = cc->F * cc->K;
    cc->x = malloc(nx * sizeof(T)), cc->w = malloc(nw * sizeof(T)),
    cc->bias = malloc(cc->F * sizeof(T));
    for (size_t i = 0; i < nx; i++) cc->x[i] = TN(dyadic)(r);
    for (size_t i = 0; i < nw; i++) cc->w[i] = TN(dyadic)(r);
    for (size_t i = 0; i < cc->F; i++) cc->bias[i] = TN(dyadic)(r);
    cc->xin = TN(in_layout)(g, cc->n, cc->x);
}

static void TN(conv_free)(TN(conv_case) * cc) {
    free(cc->x), free(cc->xin), free(cc->w), free(cc->bias);
}

/* Filter f's weight at window position (kh, kw, c), the column matrix's order. */
static T TN(wq)(const TN(conv_case) * cc, size_t f, size_t q) {
    const nnbi_win *g = &cc->g;
    size_t c = q % g->C, kw = q / g->C % g->KW, kh = q / g->C / g->KW;
    return cc->w[((f * g->C + c) * g->KH + kh) * g->KW + kw];
}

static void TN(describe)(char *buf, size_t len, const char *isa, const TN(conv_case) * cc) {
    const nnbi_win *g = &cc->g;
    snprintf(buf, len,
             "%s%s: n %zu, %s %zux%zux%zu, F %zu, kernel %zux%zu, stride %zux%zu, pad %zu,%zu "
             "-> %zux%zu%s",
             TYPE_NAME, isa, cc->n, g->chw ? "CHW" : "HWC", g->C, g->H, g->W, cc->F, g->KH, g->KW,
             g->SH, g->SW, g->PT, g->PL, g->OH, g->OW, cc->ones ? ", ones" : "");
}

/* im2col times the weights (plus the ones column times the bias) against the direct sum. */
static void TN(conv_forward_one)(const TN(conv_case) * cc, const KT *k, const T *scalar_col) {
    const nnbi_win *g = &cc->g;
    size_t rows = cc->n * g->OH * g->OW;
    T *col = TN(guarded)(rows * cc->ld);
    char what[256];
    TN(describe)(what, sizeof what, k->isa, cc);
    k->im2col(g, cc->n, cc->xin, cc->ones, col);
    TN(check_guard)(col, rows * cc->ld, what);
    for (size_t b = 0; b < cc->n; b++)
        for (size_t oh = 0; oh < g->OH; oh++)
            for (size_t ow = 0; ow < g->OW; ow++)
                for (size_t f = 0; f < cc->F; f++) {
                    const T *row = col + ((b * g->OH + oh) * g->OW + ow) * cc->ld;
                    long double got = 0, want = 0;
                    for (size_t q = 0; q < cc->K; q++)
                        got += (long double)row[q] * TN(wq)(cc, f, q);
                    if (cc->ones) got += (long double)row[cc->K] * cc->bias[f], want = cc->bias[f];
                    for (size_t c = 0; c < g->C; c++)
                        for (size_t kh = 0; kh < g->KH; kh++)
                            for (size_t kw = 0; kw < g->KW; kw++) {
                                size_t h, w;
                                if (!TN(under)(g, oh, ow, kh, kw, &h, &w)) continue;
                                want += (long double)cc->x[((b * g->C + c) * g->H + h) * g->W + w] *
                                        cc->w[((f * g->C + c) * g->KH + kh) * g->KW + kw];
                            }
                    CHECK(got == want, "%s: output (%zu, %zu, %zu, %zu) = %Lg, direct sum %Lg",
                          what, b, f, oh, ow, got, want);
                }
    CHECK(memcmp(col, scalar_col, rows * cc->ld * sizeof *col) == 0,
          "%s: not the scalar set's column matrix", what);
    free(col);
}

/* col2im of the output gradient times the weights against, for every input element, the sum over
 * the outputs whose window covers it; and the weight and bias gradients from the column matrix
 * against the direct sums. */
static void TN(conv_backward_one)(const TN(conv_case) * cc, const KT *k, const T *d, const T *col) {
    const nnbi_win *g = &cc->g;
    size_t rows = cc->n * g->OH * g->OW, ld = cc->K + 1, nx = cc->n * g->C * g->H * g->W;
    char what[256];
    TN(describe)(what, sizeof what, k->isa, cc);
    T *dcol = malloc(rows * ld * sizeof *dcol), *dx = TN(guarded)(nx), *ref = TN(guarded)(nx);
    for (size_t i = 0; i < rows; i++) {
        for (size_t q = 0; q < cc->K; q++) {
            long double s = 0;
            for (size_t f = 0; f < cc->F; f++)
                s += (long double)d[i * cc->F + f] * TN(wq)(cc, f, q);
            dcol[i * ld + q] = (T)s;
        }
        dcol[i * ld + cc->K] = (T)1e30; /* past KH KW C: never read */
    }
    k->col2im(g, cc->n, dcol, ld, dx);
    TN(check_guard)(dx, nx, what);
    TN(sets)[0]->col2im(g, cc->n, dcol, ld, ref);
    CHECK(memcmp(dx, ref, nx * sizeof *dx) == 0, "%s: not the scalar set's col2im", what);
    for (size_t b = 0; b < cc->n; b++)
        for (size_t c = 0; c < g->C; c++)
            for (size_t h = 0; h < g->H; h++)
                for (size_t w = 0; w < g->W; w++) {
                    long double want = 0;
                    for (size_t kh = 0; kh < g->KH; kh++)
                        for (size_t kw = 0; kw < g->KW; kw++) {
                            size_t th = h + g->PT, tw = w + g->PL; /* = oh SH + kh */
                            if (th < kh || tw < kw || (th - kh) % g->SH || (tw - kw) % g->SW)
                                continue;
                            size_t oh = (th - kh) / g->SH, ow = (tw - kw) / g->SW;
                            if (oh >= g->OH || ow >= g->OW) continue;
                            for (size_t f = 0; f < cc->F; f++)
                                want +=
                                    (long double)d[((b * g->OH + oh) * g->OW + ow) * cc->F + f] *
                                    cc->w[((f * g->C + c) * g->KH + kh) * g->KW + kw];
                        }
                    T got = dx[b * g->C * g->H * g->W + TN(at)(g, c, h, w)];
                    CHECK(got == (T)want, "%s: input gradient (%zu, %zu, %zu, %zu) = %g, want %Lg",
                          what, b, c, h, w, (double)got, want);
                }
    /* the weight gradient d^T col, its bias column included, against the direct sums */
    for (size_t f = 0; f < cc->F; f++)
        for (size_t q = 0; q < cc->ld; q++) {
            long double got = 0, want = 0;
            for (size_t i = 0; i < rows; i++)
                got += (long double)d[i * cc->F + f] * col[i * cc->ld + q];
            size_t c = q % g->C, kw = q / g->C % g->KW, kh = q / g->C / g->KW;
            for (size_t b = 0; b < cc->n; b++)
                for (size_t oh = 0; oh < g->OH; oh++)
                    for (size_t ow = 0; ow < g->OW; ow++) {
                        size_t h, w, i = (b * g->OH + oh) * g->OW + ow;
                        if (q == cc->K)
                            want += d[i * cc->F + f]; /* the bias */
                        else if (TN(under)(g, oh, ow, kh, kw, &h, &w))
                            want += (long double)d[i * cc->F + f] *
                                    cc->x[((b * g->C + c) * g->H + h) * g->W + w];
                    }
            CHECK(got == want, "%s: weight gradient (%zu, %zu) = %Lg, direct %Lg", what, f, q, got,
                  want);
        }
    free(dcol), free(dx), free(ref);
}

static void TN(conv_random)(nnbt_rng *r, int chw) {
    TN(conv_case) cc;
    TN(conv_make)(&cc, r, chw);
    const nnbi_win *g = &cc.g;
    size_t rows = cc.n * g->OH * g->OW, nsets = TN(n_sets)();
    T *d = malloc(rows * cc.F * sizeof *d);
    for (size_t i = 0; i < rows * cc.F; i++) d[i] = TN(dyadic)(r);
    T *col = TN(guarded)(rows * cc.ld);
    TN(sets)[0]->im2col(g, cc.n, cc.xin, cc.ones, col); /* the scalar set's, for the others */
    for (size_t s = 0; s < nsets; s++) {
        TN(conv_forward_one)(&cc, TN(sets)[s], col);
        TN(conv_backward_one)(&cc, TN(sets)[s], d, col);
    }
    free(d), free(col);
    TN(conv_free)(&cc);
}

/* ---- pooling ---- */

typedef struct TN(pool_case) {
    nnbi_win g;
    size_t n, nx, ny; /* samples, input and output values */
    T *x, *xin;       /* channel-major, and in g's layout */
} TN(pool_case);

/* Small integers (many ties), now and then a NaN or an infinity. */
static T TN(pool_value)(nnbt_rng *r, int specials) {
    double u = nnbt_uniform(r);
    if (specials && u < 0.03) return (T)NAN;
    if (specials && u < 0.06) return (T)(u < 0.045 ? -INFINITY : INFINITY);
    return (T)(floor(nnbt_uniform(r) * 7.0) - 3.0);
}

static void TN(pool_make)(TN(pool_case) * pc, nnbt_rng *r, int chw, int specials) {
    nnbi_win_spec s = random_pool_spec(r, chw);
    ck_assert_msg(nnbi_win_pool(&s, &pc->g, "test") == NNB_OK, "%s", nnb_last_error());
    pc->n = 1 + (size_t)(nnbt_uniform(r) * 3);
    pc->nx = pc->n * s.C * s.H * s.W;
    pc->ny = pc->n * pc->g.OH * pc->g.OW * s.C;
    pc->x = malloc(pc->nx * sizeof(T));
    for (size_t i = 0; i < pc->nx; i++) pc->x[i] = TN(pool_value)(r, specials);
    pc->xin = TN(in_layout)(&pc->g, pc->n, pc->x);
}

static void TN(pool_describe)(char *buf, size_t len, const char *isa, const TN(pool_case) * pc,
                              const char *kind) {
    const nnbi_win *g = &pc->g;
    snprintf(buf, len, "%s%s %s: n %zu, %s %zux%zux%zu, window %zux%zu, stride %zux%zu -> %zux%zu",
             TYPE_NAME, isa, kind, pc->n, g->chw ? "CHW" : "HWC", g->C, g->H, g->W, g->KH, g->KW,
             g->SH, g->SW, g->OH, g->OW);
}

/* Same bits (NaNs included). */
static int TN(same)(const T *a, const T *b, size_t n) { return memcmp(a, b, n * sizeof *a) == 0; }

/* Max pooling against PyTorch's rule written over the channel-major input (the largest value,
 * the first of equal ones in (kh, kw) order, the last NaN), then its gradient: each input
 * element gets the sum of the output gradients whose maximum it is. */
static void TN(maxpool_one)(const TN(pool_case) * pc, const KT *k, nnbt_rng *r) {
    const nnbi_win *g = &pc->g;
    char what[256];
    TN(pool_describe)(what, sizeof what, k->isa, pc, "maxpool");
    T *out = TN(guarded)(pc->ny), *pos = TN(guarded)(pc->ny), *dout = malloc(pc->ny * sizeof(T));
    size_t *src = malloc(pc->ny * sizeof *src); /* the input element of each maximum */
    k->maxpool(g, pc->n, pc->xin, out, pos);
    TN(check_guard)(out, pc->ny, what);
    TN(check_guard)(pos, pc->ny, what);
    size_t C = g->C, per = C * g->H * g->W;
    for (size_t b = 0; b < pc->n; b++)
        for (size_t c = 0; c < C; c++)
            for (size_t oh = 0; oh < g->OH; oh++)
                for (size_t ow = 0; ow < g->OW; ow++) {
                    T m = (T)-INFINITY;
                    size_t at = TN(at)(g, c, oh * g->SH, ow * g->SW), kat = 0;
                    for (size_t kh = 0; kh < g->KH; kh++)
                        for (size_t kw = 0; kw < g->KW; kw++) {
                            size_t h = oh * g->SH + kh, w = ow * g->SW + kw;
                            T v = pc->x[((b * C + c) * g->H + h) * g->W + w];
                            if (isnan(v) || v > m)
                                m = v, at = TN(at)(g, c, h, w), kat = kh * g->KW + kw;
                        }
                    size_t j = ((b * g->OH + oh) * g->OW + ow) * C + c;
                    CHECK(TN(same)(&out[j], &m, 1) && pos[j] == (T)kat,
                          "%s: output (%zu, %zu, %zu, %zu) = %g at %g, want %g at %zu", what, b, c,
                          oh, ow, (double)out[j], (double)pos[j], (double)m, kat);
                    src[j] = b * per + at;
                }
    T *din = TN(guarded)(pc->nx), *dref = TN(guarded)(pc->nx);
    for (size_t j = 0; j < pc->ny; j++) dout[j] = TN(dyadic)(r);
    for (size_t i = 0; i < pc->nx; i++) din[i] = (T)7; /* stale values: must all be overwritten */
    k->maxpool_backward(g, pc->n, dout, pos, din);
    TN(check_guard)(din, pc->nx, what);
    TN(sets)[0]->maxpool_backward(g, pc->n, dout, pos, dref);
    CHECK(TN(same)(din, dref, pc->nx), "%s: gradient not the scalar set's", what);
    for (size_t i = 0; i < pc->nx; i++) {
        long double want = 0;
        for (size_t j = 0; j < pc->ny; j++)
            if (src[j] == i) want += dout[j];
        CHECK(din[i] == (T)want, "%s: gradient of input %zu = %g, want %Lg", what, i,
              (double)din[i], want);
    }
    free(out), free(pos), free(dout), free(src), free(din), free(dref);
}

/* Average pooling against the window's exact sum divided once (the same rounding as the
 * kernel: exact when the sum is), and its gradient against the sum, over the windows covering
 * each input element, of dout / (KH KW) rounded to T, within that sum's rounding error. */
static void TN(avgpool_one)(const TN(pool_case) * pc, const KT *k, nnbt_rng *r) {
    const nnbi_win *g = &pc->g;
    char what[256];
    TN(pool_describe)(what, sizeof what, k->isa, pc, "avgpool");
    T *out = TN(guarded)(pc->ny), *oref = TN(guarded)(pc->ny), *dout = malloc(pc->ny * sizeof(T));
    size_t C = g->C, per = C * g->H * g->W;
    T area = (T)(g->KH * g->KW);
    k->avgpool(g, pc->n, pc->xin, out);
    TN(check_guard)(out, pc->ny, what);
    TN(sets)[0]->avgpool(g, pc->n, pc->xin, oref);
    CHECK(TN(same)(out, oref, pc->ny), "%s: not the scalar set's", what);
    for (size_t b = 0; b < pc->n; b++)
        for (size_t c = 0; c < C; c++)
            for (size_t oh = 0; oh < g->OH; oh++)
                for (size_t ow = 0; ow < g->OW; ow++) {
                    long double s = 0;
                    for (size_t kh = 0; kh < g->KH; kh++)
                        for (size_t kw = 0; kw < g->KW; kw++)
                            s += pc->x[((b * C + c) * g->H + oh * g->SH + kh) * g->W + ow * g->SW +
                                       kw];
                    T want = (T)s / area, got = out[((b * g->OH + oh) * g->OW + ow) * C + c];
                    CHECK(got == want, "%s: output (%zu, %zu, %zu, %zu) = %g, want %g", what, b, c,
                          oh, ow, (double)got, (double)want);
                }
    T *din = TN(guarded)(pc->nx), *dref = TN(guarded)(pc->nx);
    for (size_t j = 0; j < pc->ny; j++) dout[j] = TN(dyadic)(r);
    k->avgpool_backward(g, pc->n, dout, din);
    TN(check_guard)(din, pc->nx, what);
    TN(sets)[0]->avgpool_backward(g, pc->n, dout, dref);
    CHECK(TN(same)(din, dref, pc->nx), "%s: gradient not the scalar set's", what);
    for (size_t b = 0; b < pc->n; b++)
        for (size_t c = 0; c < C; c++)
            for (size_t h = 0; h < g->H; h++)
                for (size_t w = 0; w < g->W; w++) {
                    long double want = 0, mag = 0;
                    size_t terms = 0;
                    for (size_t oh = 0; oh < g->OH; oh++)
                        for (size_t ow = 0; ow < g->OW; ow++)
                            if (h >= oh * g->SH && h < oh * g->SH + g->KH && w >= ow * g->SW &&
                                w < ow * g->SW + g->KW) {
                                T v = dout[((b * g->OH + oh) * g->OW + ow) * C + c] / area;
                                want += v, mag += fabsl((long double)v), terms++;
                            }
                    T got = din[b * per + TN(at)(g, c, h, w)];
                    CHECK(fabsl(got - want) <= (long double)terms * TEPS * mag,
                          "%s: gradient (%zu, %zu, %zu, %zu) = %.9g, want %.9Lg", what, b, c, h, w,
                          (double)got, want);
                }
    free(out), free(oref), free(dout), free(din), free(dref);
}

static void TN(pool_random)(nnbt_rng *r, int chw) {
    TN(pool_case) pc;
    TN(pool_make)(&pc, r, chw, 1);
    size_t nsets = TN(n_sets)();
    for (size_t s = 0; s < nsets; s++) TN(maxpool_one)(&pc, TN(sets)[s], r);
    free(pc.x), free(pc.xin);
    TN(pool_make)(&pc, r, chw, 0); /* average pooling: finite values */
    for (size_t s = 0; s < nsets; s++) TN(avgpool_one)(&pc, TN(sets)[s], r);
    free(pc.x), free(pc.xin);
}

/* transpose against its definition, every set */
static void TN(transpose_random)(nnbt_rng *r) {
    size_t n = 1 + (size_t)(nnbt_uniform(r) * 3), rows = 1 + (size_t)(nnbt_uniform(r) * 40);
    size_t cols = 1 + (size_t)(nnbt_uniform(r) * 40), len = n * rows * cols, ns = TN(n_sets)();
    T *in = malloc(len * sizeof *in), *out = TN(guarded)(len);
    for (size_t i = 0; i < len; i++) in[i] = (T)i;
    for (size_t s = 0; s < ns; s++) {
        TN(sets)[s]->transpose(n, rows, cols, in, out);
        TN(check_guard)(out, len, "transpose");
        for (size_t b = 0; b < n; b++)
            for (size_t i = 0; i < rows; i++)
                for (size_t j = 0; j < cols; j++)
                    CHECK(out[(b * cols + j) * rows + i] == in[(b * rows + i) * cols + j],
                          "%s%s transpose %zu x %zux%zu: (%zu, %zu)", TYPE_NAME, TN(sets)[s]->isa,
                          n, rows, cols, i, j);
    }
    free(in), free(out);
}

/* ---- Winograd's F(2x2, 3x3) (kernels.h: wino_filter, wino_in, wino_out) ---- */

static size_t TN(upto)(nnbt_rng *r, size_t n) { return (size_t)(nnbt_uniform(r) * (double)n); }

/* The direct sum of output (b, oh, ow, f) of a 3 x 3 stride-1 convolution of the channels-last
 * x (plus bias[f] when bias is not NULL), in T (exact for dyadic values). */
static T TN(direct)(const nnbi_win *g, const T *x, const T *w, const T *bias, size_t b, size_t oh,
                    size_t ow, size_t f) {
    size_t C = g->C;
    T acc = 0;
    for (size_t c = 0; c < C; c++)
        for (size_t kh = 0; kh < 3; kh++)
            for (size_t kw = 0; kw < 3; kw++) {
                size_t h = oh + kh, ww = ow + kw; /* padded coordinates */
                if (h < g->PT || h - g->PT >= g->H || ww < g->PL || ww - g->PL >= g->W) continue;
                acc += w[(f * C + c) * 9 + kh * 3 + kw] *
                       x[((b * g->H + h - g->PT) * g->W + ww - g->PL) * C + c];
            }
    return bias ? acc + bias[f] : acc;
}

/* The three transforms with the 16 products between them (naive loops here) against the direct
 * sum, in every set: with multiples of 1/8 every step is exact, so they must be equal; nothing
 * written past the transformed inputs or the outputs. */
static void TN(wino_random)(nnbt_rng *r) {
    nnbi_win_spec s = {.C = 1 + TN(upto)(r, 20),
                       .H = 1 + TN(upto)(r, 9),
                       .W = 1 + TN(upto)(r, 9),
                       .F = 1 + TN(upto)(r, 20),
                       .KH = 3,
                       .KW = 3,
                       .SH = 1,
                       .SW = 1,
                       .PT = TN(upto)(r, 3),
                       .PB = TN(upto)(r, 3),
                       .PL = TN(upto)(r, 3),
                       .PR = TN(upto)(r, 3),
                       .chw = 0};
    nnbi_win g;
    if (nnbi_win_conv(&s, &g, "test") != NNB_OK) return; /* the window is larger than the input */
    size_t n = 1 + TN(upto)(r, 3), F = s.F, C = g.C, nt = n * nnbi_win_tiles(&g);
    size_t nx = n * g.H * g.W * C, no = n * g.OH * g.OW * F;
    T *x = malloc(nx * sizeof *x), *w = malloc(F * C * 9 * sizeof *w), *b = malloc(F * sizeof *b);
    T *u = malloc(16 * F * C * sizeof *u), *m = malloc(16 * nt * F * sizeof *m);
    for (size_t i = 0; i < nx; i++) x[i] = TN(dyadic)(r);
    for (size_t i = 0; i < F * C * 9; i++) w[i] = TN(dyadic)(r);
    for (size_t i = 0; i < F; i++) b[i] = TN(dyadic)(r);
    const T *bias = nnbt_uniform(r) < 0.5 ? b : NULL;
    for (size_t k = 0, ns = TN(n_sets)(); k < ns; k++) {
        const KT *kt = TN(sets)[k];
        T *v = TN(guarded)(16 * nt * C), *out = TN(guarded)(no);
        kt->wino_filter(F, C, w, u);
        kt->wino_in(&g, n, x, v);
        TN(check_guard)(v, 16 * nt * C, "wino_in");
        for (size_t xi = 0; xi < 16; xi++)
            for (size_t q = 0; q < nt; q++)
                for (size_t f = 0; f < F; f++) {
                    T acc = 0;
                    for (size_t c = 0; c < C; c++)
                        acc += v[(q * 16 + xi) * C + c] * u[(xi * F + f) * C + c];
                    m[(q * 16 + xi) * F + f] = acc;
                }
        kt->wino_out(&g, n, F, m, bias, out);
        TN(check_guard)(out, no, "wino_out");
        for (size_t bb = 0; bb < n; bb++)
            for (size_t oh = 0; oh < g.OH; oh++)
                for (size_t ow = 0; ow < g.OW; ow++)
                    for (size_t f = 0; f < F; f++) {
                        T want = TN(direct)(&g, x, w, bias, bb, oh, ow, f);
                        T got = out[((bb * g.OH + oh) * g.OW + ow) * F + f];
                        CHECK(got == want,
                              "%s%s Winograd: n %zu, %zux%zux%zu, F %zu, pad %zu,%zu,%zu,%zu: "
                              "output (%zu, %zu, %zu, %zu) %g, direct sum %g",
                              TYPE_NAME, kt->isa, n, C, g.H, g.W, F, s.PT, s.PB, s.PL, s.PR, bb, oh,
                              ow, f, (double)got, (double)want);
                    }
        free(v), free(out);
    }
    free(x), free(w), free(b), free(u), free(m);
}

#define TSTART(name) START_TEST(name)
TSTART(TN(convolution_random_shapes)) {
    nnbt_rng r = {RNG_SEED};
    for (size_t i = 0; i < nnbt_scale(300, 30); i++) TN(conv_random)(&r, (int)(i & 1));
}
END_TEST

TSTART(TN(pooling_random_shapes)) {
    nnbt_rng r = {RNG_SEED + 1};
    for (size_t i = 0; i < nnbt_scale(300, 30); i++) TN(pool_random)(&r, (int)(i & 1));
}
END_TEST

TSTART(TN(transpose_shapes)) {
    nnbt_rng r = {RNG_SEED + 2};
    for (size_t i = 0; i < nnbt_scale(100, 10); i++) TN(transpose_random)(&r);
}
END_TEST

TSTART(TN(winograd_random_shapes)) {
    nnbt_rng r = {RNG_SEED + 3};
    for (size_t i = 0; i < nnbt_scale(300, 30); i++) TN(wino_random)(&r);
}
END_TEST
