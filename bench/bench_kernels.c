/*
 * nnblas-bench kernels: every kernel of every kernel set this CPU supports, for n = 1e3, 1e5 and
 * 1e7 elements, beside two baselines measured in the same run: the plain libm loop
 * y = 1/(1 + exp(-x)) compiled at -O2, and a copy (memcpy) of the same bytes.
 *
 * The work is done in rounds; each round times every baseline and every (kernel, set) once, for
 * at least --min-ms milliseconds of calls. A ratio is baseline time / kernel time within one round
 * (so "x libm" 5 means five times faster than the libm loop, "x copy" 0.8 means 80 % of the
 * copy's element rate), and the reported figures are medians over the rounds: a machine that is
 * busy for a moment slows both sides of a ratio. max ulp is the largest error, in units in the
 * last place, against a long-double reference on the first 100000 elements (sigmoid, tanh,
 * softmax and the libm loop; the other kernels compute without exp and match the scalar kernels
 * bit for bit, see tests/test_kernels.c; their max_ulp is null).
 *
 * Every kernel runs in float64 and in float32 (dtype; --dtype picks one): "x f64" is a float32
 * kernel's speed-up over the float64 kernel of the same set, timed in the same round (median over
 * the rounds); at n = 100000 the table ends with the goal of issue 19, float32 AVX-512 sigmoid at
 * >= 1.8 times the float64's elements/s. Float32 max ulp is in float's units, against the same
 * long-double references. The header names the OpenBLAS core type (openblas_get_corename()).
 *
 * Inputs: x uniform in [-10, 10] (rounded to float for float32); targets one-hot over rows of 10; softmax and the CE delta work
 * on rows of 10, col_sum and the biased sigmoid on rows of 100. Kernels that change their own
 * input in place (act_backward) get it back, untimed, every 64 calls.
 *
 *   nnblas-bench kernels [--quick] [--json] [--rounds R] [--min-ms T] [--n N]... [--isa NAME]...
 *                        [--kernel NAME]... [--dtype f64|f32]...
 */
#include <cblas.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_kernels.h"
#include "bench_libm.h"
#include "bench_util.h"
#include "kernels.h"
#include "ulp.h"

#define SM_COLS 10    /* softmax / CE row width */
#define BIAS_COLS 100 /* col_sum and sigmoid+bias row width */
#define ULP_SAMPLE 100000
#define MAX_ROUNDS 64

typedef struct bufs {
    size_t n;
    double *x, *a, *y, *yhat, *psm, *d, *theta, *m, *v;
    double bias[BIAS_COLS], out[BIAS_COLS];
    const nnbi_kernels *k;
    /* the same inputs in float, for the float32 kernels */
    float *xf, *af, *yf, *yhatf, *psmf, *df, *thetaf, *mf, *vf;
    float biasf[BIAS_COLS], outf[BIAS_COLS];
    const nnbi_kernels_f32 *k32;
} bufs;

static volatile double sink;

/* ---- the kernels, as calls on the buffers ---- */

static void k_sigmoid(bufs *b) { b->k->bias_act(NNB_ACT_SIGMOID, 0, 1, b->n, b->x, NULL, b->a); }
static void k_sigmoid_bias(bufs *b) { /* bias 0: z does not drift */
    b->k->bias_act(NNB_ACT_SIGMOID, 0, b->n / BIAS_COLS, BIAS_COLS, b->x, b->bias, b->a);
}
static void k_tanh(bufs *b) { b->k->bias_act(NNB_ACT_TANH, 0, 1, b->n, b->x, NULL, b->a); }
static void k_relu(bufs *b) { b->k->bias_act(NNB_ACT_RELU, 0, 1, b->n, b->x, NULL, b->a); }
static void k_softmax(bufs *b) {
    b->k->bias_act(NNB_ACT_SOFTMAX, 0, b->n / SM_COLS, SM_COLS, b->x, NULL, b->a);
}
static void k_sigmoid_back(bufs *b) {
    b->k->act_backward(NNB_ACT_SIGMOID, 0, 1, b->n, b->yhat, b->d);
}
static void k_tanh_back(bufs *b) { b->k->act_backward(NNB_ACT_TANH, 0, 1, b->n, b->yhat, b->d); }
static void k_softmax_back(bufs *b) {
    b->k->act_backward(NNB_ACT_SOFTMAX, 0, b->n / SM_COLS, SM_COLS, b->psm, b->d);
}
static void k_delta_se(bufs *b) { sink = b->k->delta_se(b->n, b->yhat, b->y, 1.0, b->d); }
static void k_delta_se_sigmoid(bufs *b) {
    sink = b->k->delta_se_sigmoid(b->n, b->yhat, b->y, 1.0, b->d);
}
static void k_delta_bce(bufs *b) {
    sink = b->k->delta_bce_sigmoid(b->n, b->x, b->yhat, b->y, 1.0, b->d);
}
static void k_delta_ce(bufs *b) {
    sink = b->k->delta_ce_softmax(b->n / SM_COLS, SM_COLS, b->x, b->psm, b->y, 1.0, b->d);
}
static void k_col_sum(bufs *b) { b->k->col_sum(b->n / BIAS_COLS, BIAS_COLS, b->x, b->out); }
static void k_axpy(bufs *b) { b->k->axpy(b->n, 1e-3, b->x, b->theta); }
static void k_scal(bufs *b) { b->k->scal(b->n, -1.0, b->theta); }
static void k_sumsq(bufs *b) { sink = b->k->sumsq(b->n, b->x); }
static void k_sgd(bufs *b) { b->k->sgd(b->n, b->theta, b->x, b->m, 1e-6, 0.9, 1e-4, 0); }
static void k_adam(bufs *b) {
    b->k->adam(b->n, b->theta, b->x, b->m, b->v, 1e-6, 0.9, 0.999, 1e-8, 1.1, 1.01, 0, 0.01);
}
static void k_rmsprop(bufs *b) { b->k->rmsprop(b->n, b->theta, b->x, b->v, 1e-6, 0.99, 1e-8, 0); }

static void reset_d(bufs *b) { memcpy(b->d, b->x, b->n * sizeof *b->d); }

/* ---- the float32 kernels, the same calls on the float buffers ---- */

static void f_sigmoid(bufs *b) {
    b->k32->bias_act(NNB_ACT_SIGMOID, 0, 1, b->n, b->xf, NULL, b->af);
}
static void f_sigmoid_bias(bufs *b) {
    b->k32->bias_act(NNB_ACT_SIGMOID, 0, b->n / BIAS_COLS, BIAS_COLS, b->xf, b->biasf, b->af);
}
static void f_tanh(bufs *b) { b->k32->bias_act(NNB_ACT_TANH, 0, 1, b->n, b->xf, NULL, b->af); }
static void f_relu(bufs *b) { b->k32->bias_act(NNB_ACT_RELU, 0, 1, b->n, b->xf, NULL, b->af); }
static void f_softmax(bufs *b) {
    b->k32->bias_act(NNB_ACT_SOFTMAX, 0, b->n / SM_COLS, SM_COLS, b->xf, NULL, b->af);
}
static void f_sigmoid_back(bufs *b) {
    b->k32->act_backward(NNB_ACT_SIGMOID, 0, 1, b->n, b->yhatf, b->df);
}
static void f_tanh_back(bufs *b) {
    b->k32->act_backward(NNB_ACT_TANH, 0, 1, b->n, b->yhatf, b->df);
}
static void f_softmax_back(bufs *b) {
    b->k32->act_backward(NNB_ACT_SOFTMAX, 0, b->n / SM_COLS, SM_COLS, b->psmf, b->df);
}
static void f_delta_se(bufs *b) { sink = b->k32->delta_se(b->n, b->yhatf, b->yf, 1.0, b->df); }
static void f_delta_se_sigmoid(bufs *b) {
    sink = b->k32->delta_se_sigmoid(b->n, b->yhatf, b->yf, 1.0, b->df);
}
static void f_delta_bce(bufs *b) {
    sink = b->k32->delta_bce_sigmoid(b->n, b->xf, b->yhatf, b->yf, 1.0, b->df);
}
static void f_delta_ce(bufs *b) {
    sink = b->k32->delta_ce_softmax(b->n / SM_COLS, SM_COLS, b->xf, b->psmf, b->yf, 1.0, b->df);
}
static void f_col_sum(bufs *b) { b->k32->col_sum(b->n / BIAS_COLS, BIAS_COLS, b->xf, b->outf); }
static void f_axpy(bufs *b) { b->k32->axpy(b->n, 1e-3, b->xf, b->thetaf); }
static void f_scal(bufs *b) { b->k32->scal(b->n, -1.0, b->thetaf); }
static void f_sumsq(bufs *b) { sink = b->k32->sumsq(b->n, b->xf); }
static void f_sgd(bufs *b) { b->k32->sgd(b->n, b->thetaf, b->xf, b->mf, 1e-6, 0.9, 1e-4, 0); }
static void f_adam(bufs *b) {
    b->k32->adam(b->n, b->thetaf, b->xf, b->mf, b->vf, 1e-6, 0.9, 0.999, 1e-8, 1.1, 1.01, 0, 0.01);
}
static void f_rmsprop(bufs *b) {
    b->k32->rmsprop(b->n, b->thetaf, b->xf, b->vf, 1e-6, 0.99, 1e-8, 0);
}

static void reset_df(bufs *b) { memcpy(b->df, b->xf, b->n * sizeof *b->df); }

enum { ULP_NONE, ULP_SIGMOID, ULP_TANH, ULP_SOFTMAX };

/* Each kernel in float64 (run) and float32 (run32). */
static const struct kcase {
    const char *name;
    void (*run)(bufs *b);
    void (*reset)(bufs *b);
    void (*run32)(bufs *b);
    void (*reset32)(bufs *b);
    int ulp;
} cases[] = {
    {"sigmoid", k_sigmoid, NULL, f_sigmoid, NULL, ULP_SIGMOID},
    {"sigmoid_bias", k_sigmoid_bias, NULL, f_sigmoid_bias, NULL, ULP_SIGMOID},
    {"tanh", k_tanh, NULL, f_tanh, NULL, ULP_TANH},
    {"relu", k_relu, NULL, f_relu, NULL, ULP_NONE},
    {"softmax", k_softmax, NULL, f_softmax, NULL, ULP_SOFTMAX},
    {"sigmoid_backward", k_sigmoid_back, reset_d, f_sigmoid_back, reset_df, ULP_NONE},
    {"tanh_backward", k_tanh_back, reset_d, f_tanh_back, reset_df, ULP_NONE},
    {"softmax_backward", k_softmax_back, reset_d, f_softmax_back, reset_df, ULP_NONE},
    {"delta_se", k_delta_se, NULL, f_delta_se, NULL, ULP_NONE},
    {"delta_se_sigmoid", k_delta_se_sigmoid, NULL, f_delta_se_sigmoid, NULL, ULP_NONE},
    {"delta_bce_sigmoid", k_delta_bce, NULL, f_delta_bce, NULL, ULP_NONE},
    {"delta_ce_softmax", k_delta_ce, NULL, f_delta_ce, NULL, ULP_NONE},
    {"col_sum", k_col_sum, NULL, f_col_sum, NULL, ULP_NONE},
    {"axpy", k_axpy, NULL, f_axpy, NULL, ULP_NONE},
    {"scal", k_scal, NULL, f_scal, NULL, ULP_NONE},
    {"sumsq", k_sumsq, NULL, f_sumsq, NULL, ULP_NONE},
    {"sgd_momentum", k_sgd, NULL, f_sgd, NULL, ULP_NONE},
    {"adam", k_adam, NULL, f_adam, NULL, ULP_NONE},
    {"rmsprop", k_rmsprop, NULL, f_rmsprop, NULL, ULP_NONE},
};
#define N_CASES (sizeof cases / sizeof cases[0])

/* ---- accuracy ---- */

/* Largest error of y (computed from x) over the first ns elements. Softmax is measured against
 * the long-double softmax of the shifted logits x - max as rounded to double, as every double
 * softmax computes them: the rounding of x - max itself costs up to |x - max|/2 ulp in any
 * implementation (the function's conditioning, not the kernel's error). */
static double max_ulp(int kind, const double *x, const double *y, size_t ns) {
    double worst = 0;
    if (kind == ULP_SOFTMAX) {
        for (size_t r = 0; r + SM_COLS <= ns; r += SM_COLS) {
            double m = -INFINITY;
            long double s = 0;
            for (size_t c = 0; c < SM_COLS; c++) m = fmax(m, x[r + c]);
            for (size_t c = 0; c < SM_COLS; c++) s += expl((long double)(x[r + c] - m));
            for (size_t c = 0; c < SM_COLS; c++)
                worst =
                    fmax(worst, nnbi_ulp_error(y[r + c], expl((long double)(x[r + c] - m)) / s));
        }
        return worst;
    }
    for (size_t i = 0; i < ns; i++)
        worst = fmax(worst,
                     nnbi_ulp_error(y[i], kind == ULP_TANH ? tanhl(x[i]) : nnbi_sigmoid_ld(x[i])));
    return worst;
}

/* The same for float results (float's ulp), the softmax against x - max rounded to float. */
static double max_ulpf(int kind, const float *x, const float *y, size_t ns) {
    double worst = 0;
    if (kind == ULP_SOFTMAX) {
        for (size_t r = 0; r + SM_COLS <= ns; r += SM_COLS) {
            float m = -INFINITY;
            long double s = 0;
            for (size_t c = 0; c < SM_COLS; c++) m = fmaxf(m, x[r + c]);
            for (size_t c = 0; c < SM_COLS; c++) s += expl((long double)(x[r + c] - m));
            for (size_t c = 0; c < SM_COLS; c++)
                worst =
                    fmax(worst, nnbi_ulpf_error(y[r + c], expl((long double)(x[r + c] - m)) / s));
        }
        return worst;
    }
    for (size_t i = 0; i < ns; i++)
        worst = fmax(worst,
                     nnbi_ulpf_error(y[i], kind == ULP_TANH ? tanhl(x[i]) : nnbi_sigmoid_ld(x[i])));
    return worst;
}

/* ---- timing ---- */

typedef struct job_arg {
    bufs *b;
    const struct kcase *c; /* NULL: a baseline */
    int baseline;          /* 0 libm loop, 1 copy */
    int f32;               /* the float32 kernel */
} job_arg;

static void job_call(void *p) {
    job_arg *j = p;
    if (j->c)
        (j->f32 ? j->c->run32 : j->c->run)(j->b);
    else if (j->baseline == 0)
        nnbb_libm_sigmoid(j->b->n, j->b->x, j->b->a);
    else
        nnbb_copy(j->b->n, j->b->x, j->b->a);
}

static void job_reset(void *p) {
    job_arg *j = p;
    void (*reset)(bufs *) = j->c ? (j->f32 ? j->c->reset32 : j->c->reset) : NULL;
    if (reset) reset(j->b);
}

/* ---- options ---- */

typedef struct opts {
    int json, rounds;
    double min_s;
    size_t sizes[16], n_sizes;
    const char *isas[8];
    size_t n_isas;
    const char *kernels[32];
    size_t n_kernels;
    const char *dtypes[2];
    size_t n_dtypes;
} opts;

static int usage(FILE *f) {
    fprintf(
        f,
        "usage: nnblas-bench kernels [--quick] [--json] [--rounds R] [--min-ms T] [--n N]...\n"
        "                            [--isa scalar|avx2|avx512]... [--kernel NAME]...\n"
        "                            [--dtype f64|f32]...\n"
        "  --quick     n = 1000 and 10000, 2 rounds of 2 ms (a smoke run; figures are rough)\n"
        "  --json      one JSON object per line instead of the table\n"
        "  --rounds R  rounds (default 5); figures are medians over them\n"
        "  --min-ms T  timed milliseconds per kernel and round (default 20)\n"
        "  --n N       element counts (default 1000 100000 10000000)\n"
        "  --dtype T   float64 (f64) or float32 (f32) kernels (default both; x f64 is a float32\n"
        "              kernel's speed-up over the float64 one of the same set, same round)\n"
        "kernels:");
    for (size_t i = 0; i < N_CASES; i++) fprintf(f, " %s", cases[i].name);
    fprintf(f, "\n");
    return f == stdout ? 0 : 2;
}

static int parse(int argc, char **argv, opts *o) {
    memset(o, 0, sizeof *o);
    o->rounds = 5;
    o->min_s = 0.020;
    int quick = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--json") == 0) {
            o->json = 1;
        } else if (strcmp(a, "--quick") == 0) {
            quick = 1;
        } else if (strcmp(a, "--help") == 0) {
            exit(usage(stdout));
        } else if (v && strcmp(a, "--rounds") == 0) {
            o->rounds = atoi(v), i++;
        } else if (v && strcmp(a, "--min-ms") == 0) {
            o->min_s = atof(v) / 1000, i++;
        } else if (v && strcmp(a, "--n") == 0 && o->n_sizes < 16) {
            o->sizes[o->n_sizes++] = (size_t)strtoull(v, NULL, 10), i++;
        } else if (v && strcmp(a, "--isa") == 0 && o->n_isas < 8) {
            o->isas[o->n_isas++] = v, i++;
        } else if (v && strcmp(a, "--dtype") == 0 && o->n_dtypes < 2 &&
                   (strcmp(v, "f64") == 0 || strcmp(v, "f32") == 0)) {
            o->dtypes[o->n_dtypes++] = v, i++;
        } else if (v && strcmp(a, "--kernel") == 0 && o->n_kernels < 32) {
            o->kernels[o->n_kernels++] = v, i++;
        } else {
            fprintf(stderr, "nnblas-bench kernels: bad argument '%s'\n", a);
            return usage(stderr);
        }
    }
    if (quick) {
        o->rounds = 2;
        o->min_s = 0.002;
        if (!o->n_sizes) o->sizes[0] = 1000, o->sizes[1] = 10000, o->n_sizes = 2;
    }
    if (!o->n_sizes) {
        o->sizes[0] = 1000, o->sizes[1] = 100000, o->sizes[2] = 10000000;
        o->n_sizes = 3;
    }
    if (o->rounds < 1 || o->rounds > MAX_ROUNDS || !(o->min_s > 0)) {
        fprintf(stderr, "nnblas-bench kernels: --rounds must be 1..%d, --min-ms positive\n",
                MAX_ROUNDS);
        return 2;
    }
    for (size_t i = 0; i < o->n_sizes; i++)
        if (o->sizes[i] < BIAS_COLS) {
            fprintf(stderr, "nnblas-bench kernels: n must be at least %d\n", BIAS_COLS);
            return 2;
        }
    for (size_t i = 0; i < o->n_kernels; i++) {
        size_t c = 0;
        while (c < N_CASES && strcmp(cases[c].name, o->kernels[i]) != 0) c++;
        if (c == N_CASES) {
            fprintf(stderr, "nnblas-bench kernels: unknown kernel '%s'\n", o->kernels[i]);
            return usage(stderr);
        }
    }
    return 0;
}

/* ---- the run ---- */

static int alloc_bufs(bufs *b, size_t n) {
    memset(b, 0, sizeof *b);
    b->n = n;
    double **arrays[] = {&b->x, &b->a, &b->y, &b->yhat, &b->psm, &b->d, &b->theta, &b->m, &b->v};
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++)
        if (!(*arrays[i] = malloc(n * sizeof(double)))) return 0;
    float **farrays[] = {&b->xf, &b->af,     &b->yf, &b->yhatf, &b->psmf,
                         &b->df, &b->thetaf, &b->mf, &b->vf};
    for (size_t i = 0; i < sizeof farrays / sizeof farrays[0]; i++)
        if (!(*farrays[i] = malloc(n * sizeof(float)))) return 0;
    uint64_t s = 0x853c49e6748fea9bULL;
    for (size_t i = 0; i < n; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        b->x[i] = -10.0 + 20.0 * (double)(s >> 11) * 0x1p-53;
        b->y[i] = (double)(i % SM_COLS == (i / SM_COLS) % SM_COLS);
        b->theta[i] = b->x[i] * 0.01, b->m[i] = 0, b->v[i] = 0, b->d[i] = b->x[i];
    }
    /* outputs the deltas start from: sigmoid and softmax of x (scalar reference) */
    nnbi_kernels_scalar.bias_act(NNB_ACT_SIGMOID, 0, 1, n, b->x, NULL, b->yhat);
    nnbi_kernels_scalar.bias_act(NNB_ACT_SOFTMAX, 0, n / SM_COLS, SM_COLS, b->x, NULL, b->psm);
    memcpy(b->a, b->yhat, n * sizeof(double));
    for (size_t i = 0; i < n; i++) {
        b->xf[i] = (float)b->x[i], b->yf[i] = (float)b->y[i], b->thetaf[i] = (float)b->theta[i];
        b->mf[i] = 0, b->vf[i] = 0, b->df[i] = b->xf[i];
    }
    nnbi_kernels_f32_scalar.bias_act(NNB_ACT_SIGMOID, 0, 1, n, b->xf, NULL, b->yhatf);
    nnbi_kernels_f32_scalar.bias_act(NNB_ACT_SOFTMAX, 0, n / SM_COLS, SM_COLS, b->xf, NULL,
                                     b->psmf);
    memcpy(b->af, b->yhatf, n * sizeof(float));
    return 1;
}

static void free_bufs(bufs *b) {
    double *arrays[] = {b->x, b->a, b->y, b->yhat, b->psm, b->d, b->theta, b->m, b->v};
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++) free(arrays[i]);
    float *farrays[] = {b->xf, b->af, b->yf, b->yhatf, b->psmf, b->df, b->thetaf, b->mf, b->vf};
    for (size_t i = 0; i < sizeof farrays / sizeof farrays[0]; i++) free(farrays[i]);
}

typedef struct row {
    const char *kernel, *isa;
    int f32;     /* a float32 kernel */
    size_t twin; /* for a float32 kernel, the row of the float64 one (0: none) */
    double t[MAX_ROUNDS], ratio_libm[MAX_ROUNDS], ratio_copy[MAX_ROUNDS], ulp;
    double ratio_f64[MAX_ROUNDS];
} row;

static void print_row(const opts *o, size_t n, const row *r, int is_baseline, double libm_eps,
                      double copy_eps) {
    double t[MAX_ROUNDS], rl[MAX_ROUNDS], rc[MAX_ROUNDS], rf[MAX_ROUNDS];
    memcpy(t, r->t, sizeof t);
    memcpy(rl, r->ratio_libm, sizeof rl);
    memcpy(rc, r->ratio_copy, sizeof rc);
    memcpy(rf, r->ratio_f64, sizeof rf);
    size_t R = (size_t)o->rounds;
    double eps = (double)n / nnbb_median(t, R), ml = nnbb_median(rl, R), mc = nnbb_median(rc, R);
    double mf = r->twin ? nnbb_median(rf, R) : NAN;
    if (o->json) {
        printf("{\"bench\": \"kernels\", \"kernel\": \"%s\", \"isa\": \"%s\", \"dtype\": "
               "\"%s\", \"threads\": 1, \"n\": %zu, \"rounds\": %d, \"corename\": \"%s\", ",
               r->kernel, r->isa, r->f32 ? "f32" : "f64", n, o->rounds, openblas_get_corename());
        nnbb_json_num(stdout, "elems_per_s", eps, 0);
        nnbb_json_num(stdout, "ratio_libm", ml, 0);
        nnbb_json_num(stdout, "ratio_copy", mc, 0);
        nnbb_json_num(stdout, "ratio_f64", mf, 0);
        nnbb_json_num(stdout, "max_ulp", r->ulp, 0);
        nnbb_json_num(stdout, "libm_elems_per_s", libm_eps, 0);
        nnbb_json_num(stdout, "copy_elems_per_s", copy_eps, 1);
        printf("}\n");
    } else {
        printf("%9zu  %-18s %-7s %-5s %10.3g %8.2f %8.3f", n, r->kernel, is_baseline ? "-" : r->isa,
               r->f32 ? "f32" : "f64", eps, ml, mc);
        if (isfinite(mf))
            printf(" %7.2f", mf);
        else
            printf("       -");
        if (isfinite(r->ulp))
            printf(" %8.3f\n", r->ulp);
        else
            printf("        -\n");
    }
    fflush(stdout);
}

/* The rows of one size: the two baselines, then every wanted (kernel, set, dtype). */
typedef struct plan {
    row *rows;
    const struct kcase **rcase;
    const nnbi_kernels **rset;
    size_t used;
} plan;

static int make_plan(const opts *o, const nnbi_kernels *const *sets, size_t n_sets, plan *p) {
    size_t nrows = 2 + 2 * n_sets * N_CASES;
    p->used = 0;
    p->rows = calloc(nrows, sizeof *p->rows);
    p->rcase = calloc(nrows, sizeof *p->rcase);
    p->rset = calloc(nrows, sizeof *p->rset);
    if (!p->rows || !p->rcase || !p->rset) return 0;
    p->rows[p->used++] = (row){.kernel = "libm_sigmoid", .isa = "none"};
    p->rows[p->used++] = (row){.kernel = "copy", .isa = "none"};
    int f64 = nnbb_wanted(o->dtypes, o->n_dtypes, "f64");
    int f32 = nnbb_wanted(o->dtypes, o->n_dtypes, "f32");
    for (size_t c = 0; c < N_CASES; c++) {
        if (!nnbb_wanted(o->kernels, o->n_kernels, cases[c].name)) continue;
        for (size_t s = 0; s < n_sets; s++) {
            size_t twin = 0;
            for (int d = 0; d < 2; d++) {
                if (!(d ? f32 : f64)) continue;
                if (d == 0) twin = p->used;
                p->rows[p->used] = (row){.kernel = cases[c].name,
                                         .isa = sets[s]->isa,
                                         .f32 = d,
                                         .twin = d ? twin : 0,
                                         .ulp = NAN};
                p->rcase[p->used] = &cases[c], p->rset[p->used] = sets[s];
                p->used++;
            }
        }
    }
    return 1;
}

static void free_plan(plan *p) { free(p->rows), free(p->rcase), free(p->rset); }

/* Accuracy, once, on the first ULP_SAMPLE elements. */
static void measure_ulp(bufs *b, plan *p) {
    size_t ns = b->n < ULP_SAMPLE ? b->n : ULP_SAMPLE;
    nnbb_libm_sigmoid(ns, b->x, b->a);
    p->rows[0].ulp = max_ulp(ULP_SIGMOID, b->x, b->a, ns);
    p->rows[1].ulp = NAN;
    for (size_t r = 2; r < p->used; r++) {
        if (p->rcase[r]->ulp == ULP_NONE) continue;
        bufs sample = *b;
        sample.n = ns - ns % BIAS_COLS;
        sample.k = p->rset[r];
        sample.k32 = nnbi_kernels_f32_for(p->rset[r]->isa);
        if (p->rows[r].f32) {
            p->rcase[r]->run32(&sample);
            p->rows[r].ulp = max_ulpf(p->rcase[r]->ulp, b->xf, b->af, sample.n);
        } else {
            p->rcase[r]->run(&sample);
            p->rows[r].ulp = max_ulp(p->rcase[r]->ulp, b->x, b->a, sample.n);
        }
    }
}

/* The goal of issue 19, from this run's rows: float32 sigmoid (AVX-512, n = 1e5) at >= 1.8 times
 * the float64 AVX-512 sigmoid's elements/s. */
static void print_goal(const opts *o, size_t n, const plan *p) {
    if (o->json || n != 100000) return;
    for (size_t r = 0; r < p->used; r++) {
        const row *w = &p->rows[r];
        if (!w->f32 || !w->twin || strcmp(w->kernel, "sigmoid") != 0 ||
            strcmp(w->isa, "avx512") != 0)
            continue;
        double rf[MAX_ROUNDS];
        memcpy(rf, w->ratio_f64, sizeof rf);
        double m = nnbb_median(rf, (size_t)o->rounds);
        printf("# goal: float32 sigmoid (avx512, n = 100000) at %.2fx the float64's elements/s "
               "(goal >= 1.8: %s)\n",
               m, m >= 1.8 ? "met" : "NOT met");
    }
}

static int run_size(const opts *o, size_t n, const nnbi_kernels *const *sets, size_t n_sets) {
    bufs b;
    plan p = {0};
    if (!alloc_bufs(&b, n) || !make_plan(o, sets, n_sets, &p)) {
        fprintf(stderr, "nnblas-bench kernels: out of memory for n = %zu\n", n);
        free_plan(&p);
        free_bufs(&b);
        return 1;
    }
    measure_ulp(&b, &p);
    for (int round = 0; round < o->rounds; round++) {
        double tb[2];
        for (size_t r = 0; r < p.used; r++) {
            b.k = p.rset[r];
            b.k32 = p.rset[r] ? nnbi_kernels_f32_for(p.rset[r]->isa) : NULL;
            int f32 = p.rows[r].f32;
            job_arg ja = {&b, p.rcase[r], (int)r, f32};
            void (*reset)(bufs *) =
                p.rcase[r] ? (f32 ? p.rcase[r]->reset32 : p.rcase[r]->reset) : NULL;
            nnbb_job job = {job_call, job_reset, &ja, reset ? 64 : 0};
            double t = nnbb_seconds_per_call(&job, o->min_s);
            if (r < 2) tb[r] = t;
            p.rows[r].t[round] = t;
            p.rows[r].ratio_libm[round] = tb[0] / t;
            p.rows[r].ratio_copy[round] = tb[1] / t;
        }
        for (size_t r = 0; r < p.used; r++)
            if (p.rows[r].twin)
                p.rows[r].ratio_f64[round] = p.rows[p.rows[r].twin].t[round] / p.rows[r].t[round];
    }
    double tl[MAX_ROUNDS], tc[MAX_ROUNDS];
    memcpy(tl, p.rows[0].t, sizeof tl), memcpy(tc, p.rows[1].t, sizeof tc);
    double libm_eps = (double)n / nnbb_median(tl, (size_t)o->rounds);
    double copy_eps = (double)n / nnbb_median(tc, (size_t)o->rounds);
    for (size_t r = 0; r < p.used; r++) print_row(o, n, &p.rows[r], r < 2, libm_eps, copy_eps);
    print_goal(o, n, &p);
    free_plan(&p);
    free_bufs(&b);
    return 0;
}

int nnbb_kernels_main(int argc, char **argv) {
    opts o;
    int rc = parse(argc, argv, &o);
    if (rc) return rc;
    static const char *const all[] = {"scalar", "avx2", "avx512"};
    const nnbi_kernels *sets[3];
    size_t n_sets = 0;
    for (size_t i = 0; i < 3; i++) {
        if (!nnbb_wanted(o.isas, o.n_isas, all[i])) continue;
        const nnbi_kernels *k = nnbi_kernels_for(all[i]);
        if (k)
            sets[n_sets++] = k;
        else if (o.n_isas)
            fprintf(stderr, "nnblas-bench kernels: %s is not supported here, skipped\n", all[i]);
    }
    if (!o.json) {
        nnbb_print_machine(stdout);
        printf("# OpenBLAS core: %s\n", openblas_get_corename());
        printf("# nnblas-bench kernels: %d rounds of >= %.0f ms each; medians. x libm, x copy: "
               "that baseline's time / the kernel's, same round\n",
               o.rounds, o.min_s * 1000);
        printf("%9s  %-18s %-7s %-5s %10s %8s %8s %7s %8s\n", "n", "kernel", "isa", "dtype",
               "elems/s", "x libm", "x copy", "x f64", "max ulp");
    }
    for (size_t i = 0; i < o.n_sizes && !rc; i++) rc = run_size(&o, o.sizes[i], sets, n_sets);
    return rc;
}
