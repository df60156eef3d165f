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
 * Inputs: x uniform in [-10, 10]; targets one-hot over rows of 10; softmax and the CE delta work
 * on rows of 10, col_sum and the biased sigmoid on rows of 100. Kernels that change their own
 * input in place (act_backward) get it back, untimed, every 64 calls.
 *
 *   nnblas-bench kernels [--quick] [--json] [--rounds R] [--min-ms T] [--n N]... [--isa NAME]...
 *                        [--kernel NAME]...
 */
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

enum { ULP_NONE, ULP_SIGMOID, ULP_TANH, ULP_SOFTMAX };

static const struct kcase {
    const char *name;
    void (*run)(bufs *b);
    void (*reset)(bufs *b);
    int ulp;
} cases[] = {
    {"sigmoid", k_sigmoid, NULL, ULP_SIGMOID},
    {"sigmoid_bias", k_sigmoid_bias, NULL, ULP_SIGMOID},
    {"tanh", k_tanh, NULL, ULP_TANH},
    {"relu", k_relu, NULL, ULP_NONE},
    {"softmax", k_softmax, NULL, ULP_SOFTMAX},
    {"sigmoid_backward", k_sigmoid_back, reset_d, ULP_NONE},
    {"tanh_backward", k_tanh_back, reset_d, ULP_NONE},
    {"softmax_backward", k_softmax_back, reset_d, ULP_NONE},
    {"delta_se", k_delta_se, NULL, ULP_NONE},
    {"delta_se_sigmoid", k_delta_se_sigmoid, NULL, ULP_NONE},
    {"delta_bce_sigmoid", k_delta_bce, NULL, ULP_NONE},
    {"delta_ce_softmax", k_delta_ce, NULL, ULP_NONE},
    {"col_sum", k_col_sum, NULL, ULP_NONE},
    {"axpy", k_axpy, NULL, ULP_NONE},
    {"scal", k_scal, NULL, ULP_NONE},
    {"sumsq", k_sumsq, NULL, ULP_NONE},
    {"sgd_momentum", k_sgd, NULL, ULP_NONE},
    {"adam", k_adam, NULL, ULP_NONE},
    {"rmsprop", k_rmsprop, NULL, ULP_NONE},
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
                worst = fmax(worst,
                             nnbi_ulp_error(y[r + c], expl((long double)(x[r + c] - m)) / s));
        }
        return worst;
    }
    for (size_t i = 0; i < ns; i++)
        worst = fmax(worst, nnbi_ulp_error(y[i], kind == ULP_TANH ? tanhl(x[i])
                                                                  : nnbi_sigmoid_ld(x[i])));
    return worst;
}

/* ---- timing ---- */

typedef struct job_arg {
    bufs *b;
    const struct kcase *c; /* NULL: a baseline */
    int baseline;          /* 0 libm loop, 1 copy */
} job_arg;

static void job_call(void *p) {
    job_arg *j = p;
    if (j->c)
        j->c->run(j->b);
    else if (j->baseline == 0)
        nnbb_libm_sigmoid(j->b->n, j->b->x, j->b->a);
    else
        nnbb_copy(j->b->n, j->b->x, j->b->a);
}

static void job_reset(void *p) {
    job_arg *j = p;
    if (j->c && j->c->reset) j->c->reset(j->b);
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
} opts;

static int usage(FILE *f) {
    fprintf(f,
            "usage: nnblas-bench kernels [--quick] [--json] [--rounds R] [--min-ms T] [--n N]...\n"
            "                            [--isa scalar|avx2|avx512]... [--kernel NAME]...\n"
            "  --quick     n = 1000 and 10000, 2 rounds of 2 ms (a smoke run; figures are rough)\n"
            "  --json      one JSON object per line instead of the table\n"
            "  --rounds R  rounds (default 5); figures are medians over them\n"
            "  --min-ms T  timed milliseconds per kernel and round (default 20)\n"
            "  --n N       element counts (default 1000 100000 10000000)\n"
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
    return 1;
}

static void free_bufs(bufs *b) {
    double *arrays[] = {b->x, b->a, b->y, b->yhat, b->psm, b->d, b->theta, b->m, b->v};
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++) free(arrays[i]);
}

typedef struct row {
    const char *kernel, *isa;
    double t[MAX_ROUNDS], ratio_libm[MAX_ROUNDS], ratio_copy[MAX_ROUNDS], ulp;
} row;

static void print_row(const opts *o, size_t n, const row *r, int is_baseline, double libm_eps,
                      double copy_eps) {
    double t[MAX_ROUNDS], rl[MAX_ROUNDS], rc[MAX_ROUNDS];
    memcpy(t, r->t, sizeof t);
    memcpy(rl, r->ratio_libm, sizeof rl);
    memcpy(rc, r->ratio_copy, sizeof rc);
    size_t R = (size_t)o->rounds;
    double eps = (double)n / nnbb_median(t, R), ml = nnbb_median(rl, R), mc = nnbb_median(rc, R);
    if (o->json) {
        printf("{\"bench\": \"kernels\", \"kernel\": \"%s\", \"isa\": \"%s\", \"threads\": 1, "
               "\"n\": %zu, \"rounds\": %d, ",
               r->kernel, r->isa, n, o->rounds);
        nnbb_json_num(stdout, "elems_per_s", eps, 0);
        nnbb_json_num(stdout, "ratio_libm", ml, 0);
        nnbb_json_num(stdout, "ratio_copy", mc, 0);
        nnbb_json_num(stdout, "max_ulp", r->ulp, 0);
        nnbb_json_num(stdout, "libm_elems_per_s", libm_eps, 0);
        nnbb_json_num(stdout, "copy_elems_per_s", copy_eps, 1);
        printf("}\n");
    } else {
        printf("%9zu  %-18s %-7s %10.3g %8.2f %8.3f", n, r->kernel, is_baseline ? "-" : r->isa, eps,
               ml, mc);
        if (isfinite(r->ulp))
            printf(" %8.3f\n", r->ulp);
        else
            printf("        -\n");
    }
    fflush(stdout);
}

static int run_size(const opts *o, size_t n, const nnbi_kernels *const *sets, size_t n_sets) {
    bufs b;
    if (!alloc_bufs(&b, n)) {
        fprintf(stderr, "nnblas-bench kernels: out of memory for n = %zu\n", n);
        free_bufs(&b);
        return 1;
    }
    size_t nrows = 2 + n_sets * N_CASES, used = 0;
    row *rows = calloc(nrows, sizeof *rows);
    const struct kcase **rcase = calloc(nrows, sizeof *rcase);
    const nnbi_kernels **rset = calloc(nrows, sizeof *rset);
    if (!rows || !rcase || !rset) {
        fprintf(stderr, "nnblas-bench kernels: out of memory\n");
        free(rows), free(rcase), free(rset);
        free_bufs(&b);
        return 1;
    }
    rows[used++] = (row){.kernel = "libm_sigmoid", .isa = "none"};
    rows[used++] = (row){.kernel = "copy", .isa = "none"};
    for (size_t c = 0; c < N_CASES; c++) {
        if (!nnbb_wanted(o->kernels, o->n_kernels, cases[c].name)) continue;
        for (size_t s = 0; s < n_sets; s++) {
            rows[used] = (row){.kernel = cases[c].name, .isa = sets[s]->isa, .ulp = NAN};
            rcase[used] = &cases[c], rset[used] = sets[s];
            used++;
        }
    }
    /* accuracy, once, on the first ULP_SAMPLE elements */
    size_t ns = n < ULP_SAMPLE ? n : ULP_SAMPLE;
    nnbb_libm_sigmoid(ns, b.x, b.a);
    rows[0].ulp = max_ulp(ULP_SIGMOID, b.x, b.a, ns);
    rows[1].ulp = NAN;
    for (size_t r = 2; r < used; r++) {
        if (rcase[r]->ulp == ULP_NONE) continue;
        bufs sample = b;
        sample.n = ns - ns % BIAS_COLS;
        sample.k = rset[r];
        rcase[r]->run(&sample);
        rows[r].ulp = max_ulp(rcase[r]->ulp, b.x, b.a, sample.n);
    }
    for (int round = 0; round < o->rounds; round++) {
        double tb[2];
        for (size_t r = 0; r < used; r++) {
            b.k = rset[r];
            job_arg ja = {&b, rcase[r], (int)r};
            nnbb_job job = {job_call, job_reset, &ja, rcase[r] && rcase[r]->reset ? 64 : 0};
            double t = nnbb_seconds_per_call(&job, o->min_s);
            if (r < 2) tb[r] = t;
            rows[r].t[round] = t;
            rows[r].ratio_libm[round] = tb[0] / t;
            rows[r].ratio_copy[round] = tb[1] / t;
        }
    }
    double tl[MAX_ROUNDS], tc[MAX_ROUNDS];
    memcpy(tl, rows[0].t, sizeof tl), memcpy(tc, rows[1].t, sizeof tc);
    double libm_eps = (double)n / nnbb_median(tl, (size_t)o->rounds);
    double copy_eps = (double)n / nnbb_median(tc, (size_t)o->rounds);
    for (size_t r = 0; r < used; r++) print_row(o, n, &rows[r], r < 2, libm_eps, copy_eps);
    free(rows), free(rcase), free(rset);
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
        printf("# nnblas-bench kernels: %d rounds of >= %.0f ms each; medians. x libm, x copy: "
               "that baseline's time / the kernel's, same round\n",
               o.rounds, o.min_s * 1000);
        printf("%9s  %-18s %-7s %10s %8s %8s %8s\n", "n", "kernel", "isa", "elems/s", "x libm",
               "x copy", "max ulp");
    }
    for (size_t i = 0; i < o.n_sizes && !rc; i++) rc = run_size(&o, o.sizes[i], sets, n_sets);
    return rc;
}
