/*
 * Forward and backward passes against an independent reference: naive triple loops in long
 * double, with derivatives taken from z (not from the outputs, as the library does) and losses in
 * their textbook forms.
 */
#include <string.h>

#include "nnb_test.h"

typedef long double ld;

typedef struct {
    size_t n_in, n_out;
    nnb_activation act;
    int bias;
    double alpha;
    const double *W, *b;
} ref_layer;

static ld act_f(nnb_activation a, double alpha, ld z) {
    switch (a) {
    case NNB_ACT_SIGMOID:
        return 1.0L / (1.0L + expl(-z));
    case NNB_ACT_TANH:
        return tanhl(z);
    case NNB_ACT_RELU:
        return z > 0 ? z : 0;
    case NNB_ACT_LEAKY_RELU:
        return z > 0 ? z : alpha * z;
    default:
        return z;
    }
}

static ld act_df(nnb_activation a, double alpha, ld z) {
    switch (a) {
    case NNB_ACT_SIGMOID: {
        ld s = 1.0L / (1.0L + expl(-z));
        return s * (1 - s);
    }
    case NNB_ACT_TANH:
        return 1 - tanhl(z) * tanhl(z);
    case NNB_ACT_RELU:
        return z > 0 ? 1 : 0;
    case NNB_ACT_LEAKY_RELU:
        return z > 0 ? 1 : alpha;
    default:
        return 1;
    }
}

/* Z[l], A[l]: rows x n_out(l) each, long double, allocated here. */
static void ref_forward(const ref_layer *L, size_t nl, const double *x, size_t rows, ld **Z,
                        ld **A) {
    for (size_t l = 0; l < nl; l++) {
        Z[l] = calloc(rows * L[l].n_out, sizeof(ld));
        A[l] = calloc(rows * L[l].n_out, sizeof(ld));
        for (size_t r = 0; r < rows; r++) {
            for (size_t o = 0; o < L[l].n_out; o++) {
                ld s = L[l].bias ? L[l].b[o] : 0;
                for (size_t i = 0; i < L[l].n_in; i++) {
                    ld in = l == 0 ? (ld)x[r * L[l].n_in + i] : A[l - 1][r * L[l].n_in + i];
                    s += (ld)L[l].W[o * L[l].n_in + i] * in;
                }
                Z[l][r * L[l].n_out + o] = s;
            }
            ld *zr = Z[l] + r * L[l].n_out, *ar = A[l] + r * L[l].n_out;
            if (L[l].act == NNB_ACT_SOFTMAX) {
                ld sum = 0;
                for (size_t o = 0; o < L[l].n_out; o++) sum += expl(zr[o]);
                for (size_t o = 0; o < L[l].n_out; o++) ar[o] = expl(zr[o]) / sum;
            } else {
                for (size_t o = 0; o < L[l].n_out; o++) ar[o] = act_f(L[l].act, L[l].alpha, zr[o]);
            }
        }
    }
}

/* Returns the loss; writes the gradient (same layout as the library's arena) into g. */
static ld ref_backprop(const ref_layer *L, size_t nl, const double *x, const double *y, size_t rows,
                       nnb_loss loss, nnb_reduction red, ld *g, const size_t *w_off,
                       const size_t *b_off) {
    ld *Z[8], *A[8];
    ref_forward(L, nl, x, rows, Z, A);
    size_t no = L[nl - 1].n_out;
    ld R = red == NNB_REDUCTION_MEAN ? 1.0L / rows : 1.0L;
    ld total = 0;
    ld *dz = calloc(rows * no, sizeof(ld));
    for (size_t r = 0; r < rows; r++) {
        ld *a = A[nl - 1] + r * no, *z = Z[nl - 1] + r * no;
        const double *t = y + r * no;
        ld da[64];
        ld ysum = 0;
        for (size_t j = 0; j < no; j++) ysum += t[j];
        for (size_t j = 0; j < no; j++) {
            ld e = a[j] - t[j];
            switch (loss) {
            case NNB_LOSS_SSE:
                total += 0.5L * e * e;
                da[j] = e;
                break;
            case NNB_LOSS_MSE:
                total += e * e / no;
                da[j] = 2 * e / no;
                break;
            case NNB_LOSS_BCE:
                total += -(t[j] * logl(a[j]) + (1 - t[j]) * logl(1 - a[j])) / no;
                da[j] = (a[j] - t[j]) / (a[j] * (1 - a[j])) / no;
                break;
            default:
                total += -t[j] * logl(a[j]);
                da[j] = -t[j] / a[j];
                break;
            }
        }
        if (L[nl - 1].act == NNB_ACT_SOFTMAX) {
            /* dz_j = sum_k da_k * a_k (delta_jk - a_j) */
            for (size_t j = 0; j < no; j++) {
                ld s = 0;
                for (size_t k = 0; k < no; k++) s += da[k] * a[k] * ((j == k) - a[j]);
                dz[r * no + j] = s * R;
            }
        } else {
            for (size_t j = 0; j < no; j++)
                dz[r * no + j] = da[j] * act_df(L[nl - 1].act, L[nl - 1].alpha, z[j]) * R;
        }
        (void)ysum;
    }
    for (size_t l = nl; l-- > 0;) {
        size_t ni = L[l].n_in, nout = L[l].n_out;
        for (size_t o = 0; o < nout; o++) {
            for (size_t i = 0; i < ni; i++) {
                ld s = 0;
                for (size_t r = 0; r < rows; r++)
                    s += dz[r * nout + o] * (l == 0 ? (ld)x[r * ni + i] : A[l - 1][r * ni + i]);
                g[w_off[l] + o * ni + i] = s;
            }
            if (L[l].bias) {
                ld s = 0;
                for (size_t r = 0; r < rows; r++) s += dz[r * nout + o];
                g[b_off[l] + o] = s;
            }
        }
        if (l == 0) break;
        ld *dprev = calloc(rows * ni, sizeof(ld));
        for (size_t r = 0; r < rows; r++)
            for (size_t i = 0; i < ni; i++) {
                ld s = 0;
                for (size_t o = 0; o < nout; o++) s += dz[r * nout + o] * L[l].W[o * ni + i];
                dprev[r * ni + i] = s * act_df(L[l - 1].act, L[l - 1].alpha, Z[l - 1][r * ni + i]);
            }
        free(dz);
        dz = dprev;
    }
    free(dz);
    for (size_t l = 0; l < nl; l++) free(Z[l]), free(A[l]);
    return total * R;
}

/* Builds the reference description of a library network (weights read back from it). */
static size_t describe(const nnb_net *net, ref_layer *L, double *params, size_t *w_off,
                       size_t *b_off) {
    size_t nl = nnb_net_n_layers(net);
    nnbt_ok(nnb_net_params_get(net, params, nnb_net_n_params(net)));
    for (size_t l = 0; l < nl; l++) {
        nnbt_ok(nnb_net_layer_info(net, l, &L[l].n_in, &L[l].n_out, &L[l].act, &L[l].bias,
                                   &w_off[l], &b_off[l]));
        L[l].alpha = 0.01;
        L[l].W = params + w_off[l];
        L[l].b = params + b_off[l];
    }
    return nl;
}

static void random_fill(nnbt_rng *r, double *a, size_t n, double scale) {
    for (size_t i = 0; i < n; i++) a[i] = scale * nnbt_normal(r);
}

/* Targets suited to the loss: probabilities rows for CE, [0,1] for BCE, anything otherwise. */
static void random_targets(nnbt_rng *r, double *y, size_t rows, size_t cols, nnb_loss loss) {
    for (size_t i = 0; i < rows; i++) {
        double s = 0;
        for (size_t j = 0; j < cols; j++) {
            double v =
                loss == NNB_LOSS_SSE || loss == NNB_LOSS_MSE ? nnbt_normal(r) : nnbt_uniform(r);
            y[i * cols + j] = v;
            s += v;
        }
        if (loss == NNB_LOSS_CE)
            for (size_t j = 0; j < cols; j++) y[i * cols + j] /= s;
    }
}

static const size_t shapes[][3] = {/* rows, n_in, n_out */
                                   {1, 1, 1},  {1, 3, 2},  {7, 5, 3},   {13, 17, 11},
                                   {1, 64, 9}, {33, 1, 5}, {2, 31, 33}, {64, 8, 1}};
#define N_SHAPES (sizeof shapes / sizeof shapes[0])

static const nnb_activation all_acts[] = {NNB_ACT_IDENTITY, NNB_ACT_SIGMOID,    NNB_ACT_TANH,
                                          NNB_ACT_RELU,     NNB_ACT_LEAKY_RELU, NNB_ACT_SOFTMAX};

/* One layer, every activation, bias on/off, each shape: forward against the naive loops. */
START_TEST(layer_forward) {
    const size_t *sh = shapes[_i];
    size_t rows = sh[0], ni = sh[1], no = sh[2];
    nnbt_rng rng = {1000 + (uint64_t)_i};
    double *x = malloc(rows * ni * sizeof *x), *out = malloc(rows * no * sizeof *out);
    double *out2 = malloc(rows * no * sizeof *out2);
    random_fill(&rng, x, rows * ni, 1.0);
    for (size_t a = 0; a < 6; a++)
        for (int bias = 0; bias <= 1; bias++) {
            nnb_net *net;
            nnbt_ok(nnb_net_create(&net, ni));
            nnbt_ok(nnb_net_add_dense(net, no, all_acts[a], bias));
            nnbt_ok(nnb_net_init(net, NNB_INIT_XAVIER_UNIFORM, 7 + a));
            size_t np = nnb_net_n_params(net);
            double *p = malloc(np * sizeof *p);
            random_fill(&rng, p, np, 0.7); /* non-zero biases too */
            nnbt_ok(nnb_net_params_set(net, p, np));
            nnbt_ok(nnb_net_forward(net, x, rows, ni, out, rows * no));
            nnbt_ok(nnb_net_predict(net, x, rows, ni, out2, rows * no));
            ref_layer L[1];
            size_t wo[1], bo[1];
            describe(net, L, p, wo, bo);
            ld *Z[1], *A[1];
            ref_forward(L, 1, x, rows, Z, A);
            for (size_t i = 0; i < rows * no; i++) {
                ck_assert_msg(fabsl(out[i] - A[0][i]) <= 1e-14L + 1e-13L * fabsl(A[0][i]),
                              "act %d bias %d shape %zu: out[%zu] = %.17g, reference %.17Lg",
                              (int)all_acts[a], bias, (size_t)_i, i, out[i], A[0][i]);
                ck_assert(out2[i] == out[i]); /* predict == forward, bit for bit */
            }
            free(Z[0]), free(A[0]), free(p);
            nnb_net_free(net);
        }
    free(x), free(out), free(out2);
}
END_TEST

static void compare_grads(nnb_net *net, const double *x, const double *y, size_t rows,
                          nnb_loss loss, nnb_reduction red, const char *what) {
    size_t np = nnb_net_n_params(net), nl = nnb_net_n_layers(net);
    double *p = malloc(np * sizeof *p), *g = malloc(np * sizeof *g);
    ld *gr = calloc(np, sizeof *gr);
    ref_layer L[8];
    size_t wo[8], bo[8];
    describe(net, L, p, wo, bo);
    double l;
    nnbt_ok(nnb_net_backprop(net, x, rows, L[0].n_in, y, L[nl - 1].n_out, loss, red, &l, g, np));
    ld lr = ref_backprop(L, nl, x, y, rows, loss, red, gr, wo, bo);
    ck_assert_msg(fabsl(l - lr) <= 1e-12L * fabsl(lr) + 1e-15L, "%s: loss %.17g, reference %.17Lg",
                  what, l, lr);
    ld gmax = 0;
    for (size_t i = 0; i < np; i++) gmax = fmaxl(gmax, fabsl(gr[i]));
    for (size_t i = 0; i < np; i++)
        ck_assert_msg(fabsl(g[i] - gr[i]) <= 1e-12L * gmax + 1e-15L,
                      "%s: grad[%zu] = %.17g, reference %.17Lg (max |g| %.3Lg)", what, i, g[i],
                      gr[i], gmax);
    free(p), free(g), free(gr);
}

/* One layer, each shape, every loss its output activation allows: gradients against the loops. */
START_TEST(layer_backward) {
    const size_t *sh = shapes[_i];
    size_t rows = sh[0], ni = sh[1], no = sh[2];
    nnbt_rng rng = {2000 + (uint64_t)_i};
    double *x = malloc(rows * ni * sizeof *x), *y = malloc(rows * no * sizeof *y);
    random_fill(&rng, x, rows * ni, 1.0);
    static const struct {
        nnb_activation act;
        nnb_loss loss;
    } combos[] = {
        {NNB_ACT_IDENTITY, NNB_LOSS_SSE},   {NNB_ACT_SIGMOID, NNB_LOSS_SSE},
        {NNB_ACT_TANH, NNB_LOSS_MSE},       {NNB_ACT_RELU, NNB_LOSS_MSE},
        {NNB_ACT_LEAKY_RELU, NNB_LOSS_SSE}, {NNB_ACT_SOFTMAX, NNB_LOSS_MSE},
        {NNB_ACT_SIGMOID, NNB_LOSS_BCE},    {NNB_ACT_SOFTMAX, NNB_LOSS_CE},
    };
    for (size_t c = 0; c < sizeof combos / sizeof combos[0]; c++)
        for (int bias = 0; bias <= 1; bias++)
            for (int red = 0; red <= 1; red++) {
                nnb_net *net;
                nnbt_ok(nnb_net_create(&net, ni));
                nnbt_ok(nnb_net_add_dense(net, no, combos[c].act, bias));
                size_t np = nnb_net_n_params(net);
                double *p = malloc(np * sizeof *p);
                random_fill(&rng, p, np, 0.5);
                nnbt_ok(nnb_net_params_set(net, p, np));
                random_targets(&rng, y, rows, no, combos[c].loss);
                char what[96];
                snprintf(what, sizeof what, "shape %zu act %d loss %d bias %d red %d", (size_t)_i,
                         (int)combos[c].act, (int)combos[c].loss, bias, red);
                compare_grads(net, x, y, rows, combos[c].loss, (nnb_reduction)red, what);
                free(p);
                nnb_net_free(net);
            }
    free(x), free(y);
}
END_TEST

/* Three layers: every hidden activation, odd widths, B = 1 and B = 9. */
START_TEST(deep_backward) {
    nnbt_rng rng = {3000};
    size_t sizes[] = {5, 7, 3, 4};
    for (size_t a = 0; a < 5; a++)
        for (size_t rows = 1; rows <= 9; rows += 8)
            for (int bias = 0; bias <= 1; bias++) {
                nnb_net *net;
                nnbt_ok(nnb_net_create(&net, sizes[0]));
                nnbt_ok(nnb_net_add_dense(net, sizes[1], all_acts[a], bias));
                nnbt_ok(nnb_net_add_dense(net, sizes[2], all_acts[(a + 2) % 5], bias));
                nnbt_ok(nnb_net_add_dense(net, sizes[3], NNB_ACT_SOFTMAX, bias));
                nnbt_ok(nnb_net_init(net, NNB_INIT_NORMAL_FANIN, 11 + a));
                double x[9 * 5], y[9 * 4];
                random_fill(&rng, x, rows * 5, 1.0);
                random_targets(&rng, y, rows, 4, NNB_LOSS_CE);
                char what[64];
                snprintf(what, sizeof what, "hidden act %zu rows %zu bias %d", a, rows, bias);
                compare_grads(net, x, y, rows, NNB_LOSS_CE, NNB_REDUCTION_MEAN, what);
                compare_grads(net, x, y, rows, NNB_LOSS_SSE, NNB_REDUCTION_SUM, what);
                nnb_net_free(net);
            }
}
END_TEST

/* Batches of different sizes through one network: the workspace grows and shrinks correctly. */
START_TEST(workspace_regrowth) {
    nnbt_rng rng = {4000};
    nnb_net *net;
    nnbt_ok(nnb_net_create(&net, 3));
    nnbt_ok(nnb_net_add_dense(net, 4, NNB_ACT_TANH, 1));
    nnbt_ok(nnb_net_add_dense(net, 2, NNB_ACT_IDENTITY, 1));
    double x[100 * 3], y[100 * 2];
    random_fill(&rng, x, 300, 1.0);
    random_fill(&rng, y, 200, 1.0);
    size_t order[] = {5, 100, 1, 37, 100, 2};
    for (size_t i = 0; i < 6; i++)
        compare_grads(net, x, y, order[i], NNB_LOSS_MSE, NNB_REDUCTION_MEAN, "regrowth");
    nnb_net_free(net);
}
END_TEST

/* ---- float32 networks and data (issue 23: each concern tests both element types) ---------- */

/* The forward pass of a float32 network against the float64 network with the same (float32)
 * weights, on float32 inputs: only the arithmetic differs. 784-64-64-10 (the Fashion-MNIST
 * input): a first-layer dot product of 784 terms has a rounding error of typically sqrt(784) u
 * |x||w| ~ 2e-6 |x||w| (784 u in the worst case); tanh (slope <= 1) and softmax (outputs in
 * [0, 1]) do not amplify it, so the outputs must agree to 1e-5 absolute (measured ~1e-7). */
START_TEST(forward_against_f64) {
    const size_t n_in = 784, rows = 50, n_out = 10;
    nnb_net *n32 = nnbt_net3(NNB_F32, n_in, 64, NNB_ACT_TANH, n_out, NNB_ACT_SOFTMAX, 7), *n64;
    nnbt_ok(nnb_net_copy(&n64, n32, NNB_F64));
    ck_assert_int_eq(nnb_net_dtype(n64), NNB_F64);
    nnbt_rng g = {3};
    float *x = malloc(rows * n_in * sizeof *x), *o32 = malloc(rows * n_out * sizeof *o32);
    double *xd = malloc(rows * n_in * sizeof *xd), *o64 = malloc(rows * n_out * sizeof *o64);
    for (size_t i = 0; i < rows * n_in; i++) xd[i] = x[i] = (float)nnbt_uniform(&g);
    nnbt_ok(nnb_net_forward_f32(n32, x, rows, n_in, o32, rows * n_out));
    nnbt_ok(nnb_net_forward(n64, xd, rows, n_in, o64, rows * n_out));
    double worst = 0;
    for (size_t i = 0; i < rows * n_out; i++) worst = fmax(worst, fabs(o32[i] - o64[i]));
    fprintf(stderr, "float32 forward 784-64-64-10: worst absolute error %.3g\n", worst);
    ck_assert_msg(worst <= 1e-5, "worst %.3g", worst);
    ck_assert_msg(worst > 0, "float32 arithmetic should differ from float64 somewhere");
    /* the same through predict (blocks), and the double entry points (converted) */
    float *p32 = malloc(rows * n_out * sizeof *p32);
    double *pd = malloc(rows * n_out * sizeof *pd);
    nnbt_ok(nnb_net_predict_f32(n32, x, rows, n_in, p32, rows * n_out));
    ck_assert_mem_eq(p32, o32, rows * n_out * sizeof *p32);
    nnbt_ok(nnb_net_predict(n32, xd, rows, n_in, pd, rows * n_out));
    for (size_t i = 0; i < rows * n_out; i++) ck_assert(pd[i] == (double)o32[i]);
    nnbt_ok(nnb_net_forward(n32, xd, rows, n_in, pd, rows * n_out));
    for (size_t i = 0; i < rows * n_out; i++) ck_assert(pd[i] == (double)o32[i]);
    /* a float64 network on float data: the same as on the converted doubles, rounded */
    nnbt_ok(nnb_net_predict_f32(n64, x, rows, n_in, p32, rows * n_out));
    for (size_t i = 0; i < rows * n_out; i++) ck_assert(p32[i] == (float)o64[i]);
    nnbt_ok(nnb_net_forward_f32(n64, x, rows, n_in, p32, rows * n_out));
    for (size_t i = 0; i < rows * n_out; i++) ck_assert(p32[i] == (float)o64[i]);
    free(x), free(o32), free(xd), free(o64), free(p32), free(pd);
    nnb_net_free(n32), nnb_net_free(n64);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("dense");
    TCase *tc = tcase_create("against naive loops");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, layer_forward, 0, (int)N_SHAPES);
    tcase_add_loop_test(tc, layer_backward, 0, (int)N_SHAPES);
    tcase_add_test(tc, deep_backward);
    tcase_add_test(tc, workspace_regrowth);
    suite_add_tcase(s, tc);
    tc = tcase_create("float32");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, forward_against_f64);
    suite_add_tcase(s, tc);
    return s;
}

NNBT_MAIN(suite, 0)
