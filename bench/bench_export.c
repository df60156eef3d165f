/*
 * nnblas-bench export: the single-sample predict of the generated C source (nnb_c_source_write())
 * against the library's own single-row nnb_net_predict on the same network, in one run.
 *
 * Networks (random weights, seed 1; no preparation, so that both sides do the same work):
 *   fashion  784-256-128-10, ReLU, softmax (the quick start's)
 *   small    6-8-2, ReLU, softmax (the tutorial's data, where a call's fixed costs dominate)
 * each in float32 and float64. The generated file is compiled here with the C compiler
 * (--cc, default cc) in variants: "O2" (-O2 for any x86-64: SSE2), "O2-native" (-O2
 * -march=native) and "O3-native" (-O3 -march=native: a build for this machine), each also with
 * int8 weights for float32 ("int8-..."), as a shared object loaded with dlopen (--quick: the -O2
 * variants only). The two sides take turns in
 * rounds (--rounds, default 5) of calls over 64 different rows, --seconds each (default 0.2),
 * so a burst of other work on the shared machine falls on both; each figure is the median over
 * the rounds of the time per call. speedup = library time / generated time (above 1: the
 * generated code is faster). OpenBLAS runs --threads threads (default 1: one sample is one
 * matrix-vector product). Benchmarks report; they never assert.
 *
 *   nnblas-bench export [--quick] [--json] [--cc CC] [--rounds N] [--seconds S] [--threads N]
 */
#include <cblas.h>
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_export.h"
#include "bench_util.h"
#include "nnblas.h"

#define N_ROWS 64

typedef struct bopts {
    int json, rounds, threads, quick;
    double seconds;
    const char *cc;
    char dir[64];
} bopts;

typedef int (*predict_f32_fn)(const float *, float *);
typedef int (*predict_f64_fn)(const double *, double *);

typedef struct side {
    const nnb_net *net; /* the library's side (gen NULL) */
    void *gen;          /* the generated predict */
    int f32;
    size_t n_in, n_out;
    const void *x; /* N_ROWS rows */
    void *out;
    size_t row;
} side;

static void call_side(void *arg) {
    side *s = arg;
    size_t r = s->row++ % N_ROWS;
    if (s->f32) {
        const float *x = (const float *)s->x + r * s->n_in;
        if (s->gen)
            ((predict_f32_fn)s->gen)(x, s->out);
        else
            nnb_net_predict_f32(s->net, x, 1, s->n_in, s->out, s->n_out);
    } else {
        const double *x = (const double *)s->x + r * s->n_in;
        if (s->gen)
            ((predict_f64_fn)s->gen)(x, s->out);
        else
            nnb_net_predict(s->net, x, 1, s->n_in, s->out, s->n_out);
    }
}

/* Exports net as C, compiles it with flags into a shared object and loads NAME_predict. */
static void *build(const bopts *o, const nnb_net *net, const char *name, int int8,
                   const char *flags, void **handle) {
    char c[256], so[256], cmd[1024];
    snprintf(c, sizeof c, "%s/%s.c", o->dir, name);
    snprintf(so, sizeof so, "%s/%s.so", o->dir, name);
    nnb_export_opts *e = NULL;
    nnb_status st = nnb_export_opts_create(&e);
    if (st == NNB_OK) st = nnb_export_opts_set_name(e, name);
    if (st == NNB_OK) st = nnb_export_opts_set_int8(e, int8);
    if (st == NNB_OK) st = nnb_c_source_write(c, NULL, net, NULL, NULL, e);
    nnb_export_opts_free(e);
    if (st != NNB_OK) {
        fprintf(stderr, "nnblas-bench export: %s\n", nnb_last_error());
        return NULL;
    }
    snprintf(cmd, sizeof cmd, "%s -std=c99 %s -shared -fPIC -o %s %s -lm", o->cc, flags, so, c);
    if (system(cmd) != 0) {
        fprintf(stderr, "nnblas-bench export: '%s' failed\n", cmd);
        return NULL;
    }
    *handle = dlopen(so, RTLD_NOW | RTLD_LOCAL);
    if (!*handle) {
        fprintf(stderr, "nnblas-bench export: %s\n", dlerror());
        return NULL;
    }
    char sym[96];
    snprintf(sym, sizeof sym, "%s_predict", name);
    return dlsym(*handle, sym);
}

/* Median seconds per call of each side, in alternating rounds. */
static void race(const bopts *o, side *lib, side *gen, double *t_lib, double *t_gen) {
    double a[64], b[64];
    int n = o->rounds < 64 ? o->rounds : 64;
    nnbb_job jl = {call_side, NULL, lib, 0}, jg = {call_side, NULL, gen, 0};
    nnbb_seconds_per_call(&jl, o->seconds / 4); /* warm up both */
    nnbb_seconds_per_call(&jg, o->seconds / 4);
    for (int r = 0; r < n; r++) {
        a[r] = nnbb_seconds_per_call(&jl, o->seconds);
        b[r] = nnbb_seconds_per_call(&jg, o->seconds);
    }
    *t_lib = nnbb_median(a, (size_t)n);
    *t_gen = nnbb_median(b, (size_t)n);
}

static void report(const bopts *o, const char *net, int f32, const char *variant, const char *flags,
                   double t_lib, double t_gen) {
    if (o->json) {
        printf("{\"bench\": \"export\", \"isa\": \"%s\", \"threads\": %d, \"corename\": \"%s\", "
               "\"network\": \"%s\", \"dtype\": \"%s\", \"variant\": \"%s\", \"cflags\": \"%s\", ",
               nnb_kernel_isa(), o->threads, openblas_get_corename(), net, f32 ? "f32" : "f64",
               variant, flags);
        nnbb_json_num(stdout, "library_us", t_lib * 1e6, 0);
        nnbb_json_num(stdout, "generated_us", t_gen * 1e6, 0);
        nnbb_json_num(stdout, "speedup", t_lib / t_gen, 1);
        printf("}\n");
    } else {
        printf("%-8s %-4s %-15s %10.2f us %10.2f us %8.2fx   (%s)\n", net, f32 ? "f32" : "f64",
               variant, t_lib * 1e6, t_gen * 1e6, t_lib / t_gen, flags);
    }
    fflush(stdout);
}

static void *random_rows(size_t n, int f32) {
    void *x = malloc(N_ROWS * n * (f32 ? sizeof(float) : sizeof(double)));
    uint64_t s = 12345;
    for (size_t i = 0; x && i < N_ROWS * n; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        double v = ((double)(s >> 11) * 0x1.0p-53 - 0.5) * 4;
        if (f32)
            ((float *)x)[i] = (float)v;
        else
            ((double *)x)[i] = v;
    }
    return x;
}

static int bench_network(const bopts *o, const char *name, const size_t *sizes, size_t n_sizes,
                         int f32) {
    nnb_net *net = NULL;
    nnb_status st = nnb_net_create_dtype(&net, sizes[0], f32 ? NNB_F32 : NNB_F64);
    for (size_t l = 1; st == NNB_OK && l < n_sizes; l++)
        st = nnb_net_add_dense(net, sizes[l], l + 1 < n_sizes ? NNB_ACT_RELU : NNB_ACT_SOFTMAX, 1);
    if (st == NNB_OK) st = nnb_net_init(net, NNB_INIT_HE_NORMAL, 1);
    void *x = random_rows(sizes[0], f32), *out = malloc(sizes[n_sizes - 1] * sizeof(double));
    if (st != NNB_OK || !x || !out) {
        fprintf(stderr, "nnblas-bench export: %s\n", st ? nnb_last_error() : "out of memory");
        nnb_net_free(net), free(x), free(out);
        return 1;
    }
    static const char *const variants[6] = {"O2",      "O2-native",      "O3-native",
                                            "int8-O2", "int8-O2-native", "int8-O3-native"};
    static const char *const flags[6] = {"-O2", "-O2 -march=native", "-O3 -march=native",
                                         "-O2", "-O2 -march=native", "-O3 -march=native"};
    int failed = 0;
    for (int v = 0; v < (f32 ? 6 : 3); v++) {
        if (o->quick && v % 3 != 0) continue; /* --quick: -O2 only */
        char mod[64];
        snprintf(mod, sizeof mod, "%s_%s_%d", name, f32 ? "f32" : "f64", v);
        void *handle = NULL, *fn = build(o, net, mod, v >= 3, flags[v], &handle);
        if (!fn) {
            failed = 1;
        } else {
            side lib = {net, NULL, f32, sizes[0], sizes[n_sizes - 1], x, out, 0};
            side gen = {NULL, fn, f32, sizes[0], sizes[n_sizes - 1], x, out, 0};
            double tl, tg;
            race(o, &lib, &gen, &tl, &tg);
            report(o, name, f32, variants[v], flags[v], tl, tg);
        }
        if (handle) dlclose(handle);
    }
    nnb_net_free(net);
    free(x);
    free(out);
    return failed;
}

static int parse(int argc, char **argv, bopts *o) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--json") == 0) {
            o->json = 1;
        } else if (strcmp(a, "--quick") == 0) {
            o->quick = 1;
            o->rounds = 3;
            o->seconds = 0.02;
        } else if (v && strcmp(a, "--cc") == 0) {
            o->cc = v, i++;
        } else if (v && strcmp(a, "--rounds") == 0 && atoi(v) > 0) {
            o->rounds = atoi(v), i++;
        } else if (v && strcmp(a, "--seconds") == 0 && atof(v) > 0) {
            o->seconds = atof(v), i++;
        } else if (v && strcmp(a, "--threads") == 0 && atoi(v) > 0) {
            o->threads = atoi(v), i++;
        } else {
            fprintf(stderr, "usage: nnblas-bench export [--quick] [--json] [--cc CC] [--rounds N] "
                            "[--seconds S] [--threads N]\n");
            return strcmp(a, "--help") == 0 ? 0 : 2;
        }
    }
    return -1;
}

int nnbb_export_main(int argc, char **argv) {
    bopts o = {0, 5, 1, 0, 0.2, "cc", "/tmp/nnblas-bench-export-XXXXXX"};
    int r = parse(argc, argv, &o);
    if (r >= 0) return r;
    if (!mkdtemp(o.dir)) {
        perror("nnblas-bench export: mkdtemp");
        return 1;
    }
    nnb_set_num_threads(o.threads);
    if (!o.json) {
        nnbb_print_machine(stdout);
        printf("# OpenBLAS core %s, %d thread(s), kernels %s; per call, median of %d rounds\n",
               openblas_get_corename(), o.threads, nnb_kernel_isa(), o.rounds);
        printf("%-8s %-4s %-15s %13s %13s %9s\n", "network", "type", "variant", "library",
               "generated", "speedup");
    }
    static const size_t fashion[4] = {784, 256, 128, 10}, small[3] = {6, 8, 2};
    int failed = 0;
    for (int f32 = 1; f32 >= 0; f32--) {
        failed |= bench_network(&o, "fashion", fashion, 4, f32);
        failed |= bench_network(&o, "small", small, 3, f32);
    }
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", o.dir);
    if (system(cmd) != 0) fprintf(stderr, "nnblas-bench export: could not remove %s\n", o.dir);
    return failed;
}
