/*
 * nnblas-bench conv: the convolutional network of issue 24 (1x28x28 input, conv32x3p1, ReLU,
 * maxpool2, conv64x3p1, ReLU, maxpool2, dense 128 ReLU, dense 10 softmax + cross-entropy, Adam,
 * batch 64) trained step by step in the formulation docs/design.md ("Convolution and pooling")
 * lays out for the layer kinds, built from the kernel tables and cblas directly, against its
 * GEMM ceiling: the same steps made of nothing but their GEMM calls (same shapes, same chunks,
 * same buffers, same threads). So it measures what the formulation costs beyond its GEMMs before
 * the layer kinds exist, and what each part costs: im2col, the GEMMs, activations and loss,
 * pooling and its gradient, col2im, the two transposes at the dense layer, the update.
 *
 * The formulation: activations channels-last (a sample is OH x OW rows of C channels); each
 * convolution goes over the batch a chunk of samples at a time (as many as keep the chunk's
 * column matrix within --chunk-bytes, default 1 MiB; 0: the whole batch): im2col with a column
 * of ones, one GEMM [W | b] for the output with the bias, ReLU on the chunk while it is in
 * cache; backward im2col again, one GEMM for [dW | db] accumulated over the chunks, one for the
 * input gradient's columns, col2im. Each convolution runs the max pooling that follows it on each
 * chunk's output while it is in cache, and that pooling's gradient on each chunk before the
 * GEMMs, so the convolution's full-size output and its gradient never exist (--no-fuse: the
 * whole batch's convolution output, then the pooling over it, as two separate layers would).
 * --no-ones adds the bias with the activation kernel and sums its gradient with col_sum
 * instead. Max pooling's gradient folds in the previous ReLU's (on the pooled values, which are
 * that ReLU's outputs at the maxima).
 *
 * Data are synthetic (--rows, default 6000); each measurement runs in a process of its own, the
 * step and its ceiling taking turns (--rounds of --steps steps after a warm-up of each);
 * samples/s from the median round; fraction_of_ceiling = samples/s / the ceiling's. Prints the
 * OpenBLAS core type and the kernel set. Benchmarks report; they never assert times.
 *
 * --cpu-time times everything by the calling thread's CPU clock: at 1 thread that is the whole
 * step, and a machine busy with other work disturbs it far less than the wall clock (at 2
 * threads it leaves out the other thread's share of the GEMMs: use it at 1 thread only).
 *
 *   nnblas-bench conv [--json] [--quick] [--threads N]... [--dtype f64|f32|both] [--cpu-time]
 *                     [--chunk-bytes B]... [--no-ones] [--no-fuse] [--rows N] [--steps N]
 *                     [--rounds N]
 */
#include <cblas.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>

#include "bench_conv.h"
#include "bench_util.h"
#include "kernels.h"
#include "nnblas.h"
#include "window.h"

#define BATCH 64
#define FLAT (64 * 7 * 7)

enum { T_IM2COL, T_GEMM, T_ACT, T_POOL, T_POOL_BWD, T_COL2IM, T_TRANSPOSE, T_UPDATE, T_OTHER, T_N };
static const char *const part_names[T_N] = {"im2col", "gemm",      "act",    "pool", "pool_bwd",
                                            "col2im", "transpose", "update", "other"};
static double part_s[T_N]; /* seconds per part, summed over the timed steps */
static int cpu_clock;      /* --cpu-time: this thread's CPU time instead of the wall clock */

static double clock_s(void) {
    if (!cpu_clock) return nnbb_now();
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

#define TIMED(part, stmt)            \
  do {                               \
    double t0_ = clock_s();          \
    stmt;                            \
    part_s[part] += clock_s() - t0_; \
  } while (0)

typedef struct bench_opts {
    int json, quick, ones, fuse, dtypes; /* dtypes: bit 0 float64, bit 1 float32 */
    int threads[4];
    size_t n_threads, rows, steps, rounds;
    size_t chunk_bytes[4], n_chunks;
    size_t chunk; /* the measurement's --chunk-bytes (SIZE_MAX: the whole batch) */
} bench_opts;

typedef struct conv_layer {
    nnbi_win g;
    size_t F, ld, chunk; /* filters, column-matrix row, samples per chunk */
    int ones, fuse;      /* fuse: the max pooling after it runs on each chunk */
} conv_layer;

/* The network's geometry (fixed: lib/window.c's checks are for layers built from user input) and
 * each convolution's chunk. */
static int shapes(conv_layer *c, nnbi_win *p, const bench_opts *o, size_t elem) {
    c[0] = (conv_layer){.g = {.C = 1,
                              .H = 28,
                              .W = 28,
                              .KH = 3,
                              .KW = 3,
                              .SH = 1,
                              .SW = 1,
                              .PT = 1,
                              .PL = 1,
                              .OH = 28,
                              .OW = 28},
                        .F = 32};
    c[1] = (conv_layer){.g = {.C = 32,
                              .H = 14,
                              .W = 14,
                              .KH = 3,
                              .KW = 3,
                              .SH = 1,
                              .SW = 1,
                              .PT = 1,
                              .PL = 1,
                              .OH = 14,
                              .OW = 14},
                        .F = 64};
    p[0] = (nnbi_win){
        .C = 32, .H = 28, .W = 28, .KH = 2, .KW = 2, .SH = 2, .SW = 2, .OH = 14, .OW = 14};
    p[1] =
        (nnbi_win){.C = 64, .H = 14, .W = 14, .KH = 2, .KW = 2, .SH = 2, .SW = 2, .OH = 7, .OW = 7};
    for (int l = 0; l < 2; l++) {
        c[l].ones = o->ones;
        c[l].fuse = o->fuse;
        c[l].ld = nnbi_win_cols(&c[l].g, o->ones);
        c[l].chunk =
            o->chunk == SIZE_MAX ? BATCH : nnbi_win_chunk(&c[l].g, o->ones, BATCH, elem, o->chunk);
    }
    return 0;
}

#define T double
#define TN(name) name##_f64
#define KT nnbi_kernels
#define KGET nnbi_kernels_get
#define GEMM cblas_dgemm
#include "bench_conv_t.h"
#undef T
#undef TN
#undef KT
#undef KGET
#undef GEMM

#define T float
#define TN(name) name##_f32
#define KT nnbi_kernels_f32
#define KGET nnbi_kernels_f32_get
#define GEMM cblas_sgemm
#include "bench_conv_t.h"

/* Multiply-adds x 2 per sample of the GEMM calls (the ceiling's work): each convolution's
 * forward and weight gradient ([W | b]: KH KW C + ones columns) and the second's input gradient,
 * the dense layers' three products each (the first's input gradient included: the flattened
 * convolution output needs it). */
static double flops_per_sample(int ones) {
    double c1 = 784.0 * 32 * (9 + ones), c2 = 196.0 * 64 * (288 + ones), c2x = 196.0 * 64 * 288;
    return 2.0 * (2 * c1 + 2 * c2 + c2x + 3.0 * FLAT * 128 + 3.0 * 128 * 10);
}

typedef struct result {
    int ok;
    double samples_per_s, ceiling_samples_per_s, max_rss_mib, part_ms[T_N];
    size_t chunk1, chunk2;
    char isa[16];
} result;

/* In the child: the rounds, the step and the ceiling taking turns after one warm-up round each;
 * the parts' times are those of the step's median round. */
static void run_rounds(int f32, const bench_opts *o, result *r) {
    net_f64 d;
    net_f32 f;
    int ok = f32 ? net_make_f32(&f, o) : net_make_f64(&d, o);
    size_t R = o->rounds, t = 0;
    double *ts = malloc(R * sizeof *ts), *tc = malloc(R * sizeof *tc),
           *sorted = malloc(R * sizeof *sorted);
    double(*parts)[T_N] = malloc(R * sizeof *parts);
    if (ok == 0 && ts && tc && sorted && parts) {
        for (size_t k = 0; k <= R; k++) {
            memset(part_s, 0, sizeof part_s);
            double a = f32 ? round_f32(&f, o->steps, &t, 0, o->rows)
                           : round_f64(&d, o->steps, &t, 0, o->rows);
            if (k > 0) memcpy(parts[k - 1], part_s, sizeof part_s);
            if (k == 0) { /* peak memory: the step's own, before the ceiling runs */
                struct rusage ru;
                getrusage(RUSAGE_SELF, &ru);
                r->max_rss_mib = (double)ru.ru_maxrss / 1024.0;
            }
            double b = f32 ? round_f32(&f, o->steps, &t, 1, o->rows)
                           : round_f64(&d, o->steps, &t, 1, o->rows);
            if (k > 0) ts[k - 1] = a, tc[k - 1] = b;
        }
        memcpy(sorted, ts, R * sizeof *ts);
        double med = nnbb_median(sorted, R);
        size_t at = 0; /* the round nearest the median */
        for (size_t k = 1; k < R; k++)
            if (fabs(ts[k] - med) < fabs(ts[at] - med)) at = k;
        for (int p = 0; p < T_N; p++) r->part_ms[p] = parts[at][p] * 1e3 / (double)o->steps;
        r->samples_per_s = BATCH * (double)o->steps / med;
        r->ceiling_samples_per_s = BATCH * (double)o->steps / nnbb_median(tc, R);
        r->chunk1 = f32 ? f.c[0].chunk : d.c[0].chunk;
        r->chunk2 = f32 ? f.c[1].chunk : d.c[1].chunk;
        r->ok = 1;
    }
    f32 ? net_free_f32(&f) : net_free_f64(&d);
    free(ts), free(tc), free(sorted), free(parts);
}

typedef struct job {
    int f32;
    const bench_opts *o;
} job;

/* In the child process (nnbb_in_child). */
static void measure_child(void *arg, void *out) {
    const job *j = arg;
    result c = {0};
    run_rounds(j->f32, j->o, &c);
    snprintf(c.isa, sizeof c.isa, "%s", nnb_kernel_isa());
    memcpy(out, &c, sizeof c);
}

/* One measurement in a child process (its own peak memory and a fresh OpenBLAS thread pool). */
static result measure(int f32, int threads, const bench_opts *o) {
    result r;
    job j = {f32, o};
    nnbb_in_child(threads, measure_child, &j, &r, sizeof r);
    return r;
}

static void report(int f32, int threads, const result *r, const bench_opts *o) {
    double frac = r->samples_per_s / r->ceiling_samples_per_s, fl = flops_per_sample(o->ones);
    const char *dt = f32 ? "f32" : "f64";
    if (o->json) {
        printf("{\"bench\": \"conv\", \"workload\": \"cnn-fashion\", \"isa\": \"%s\", \"dtype\": "
               "\"%s\", \"threads\": %d, \"corename\": \"%s\", \"batch\": %d, \"rows\": %zu, "
               "\"chunk_bytes\": %zu, \"chunks\": [%zu, %zu], \"ones\": %d, \"fuse\": %d, "
               "\"clock\": \"%s\", ",
               r->isa, dt, threads, openblas_get_corename(), BATCH, o->rows,
               o->chunk == SIZE_MAX ? 0 : o->chunk, r->chunk1, r->chunk2, o->ones, o->fuse,
               cpu_clock ? "thread-cpu" : "wall");
        nnbb_json_num(stdout, "samples_per_s", r->ok ? r->samples_per_s : NAN, 0);
        nnbb_json_num(stdout, "ceiling_samples_per_s", r->ok ? r->ceiling_samples_per_s : NAN, 0);
        nnbb_json_num(stdout, "fraction_of_ceiling", r->ok ? frac : NAN, 0);
        nnbb_json_num(stdout, "gflops", r->ok ? r->samples_per_s * fl / 1e9 : NAN, 0);
        nnbb_json_num(stdout, "ceiling_gflops", r->ok ? r->ceiling_samples_per_s * fl / 1e9 : NAN,
                      0);
        nnbb_json_num(stdout, "max_rss_mib", r->ok ? r->max_rss_mib : NAN, 0);
        printf("\"ms_per_step\": {");
        for (int p = 0; p < T_N; p++)
            nnbb_json_num(stdout, part_names[p], r->part_ms[p], p == T_N - 1);
        printf("}}\n");
    } else if (!r->ok) {
        printf("%-4s %3d %8s  failed\n", dt, threads, "");
    } else {
        printf("%-4s %3d %5zu,%-2zu %10.0f %10.0f %8.3f %7.1f", dt, threads, r->chunk1, r->chunk2,
               r->samples_per_s, r->ceiling_samples_per_s, frac, r->max_rss_mib);
        for (int p = 0; p < T_N; p++) printf(" %6.2f", r->part_ms[p]);
        printf("\n");
    }
    fflush(stdout);
}

static int usage(FILE *f) {
    fprintf(
        f,
        "usage: nnblas-bench conv [--json] [--quick] [--threads N]... [--dtype f64|f32|both]\n"
        "                         [--chunk-bytes B]... [--no-ones] [--rows N] [--steps N]\n"
        "                         [--rounds N] [--cpu-time] [--no-fuse]\n"
        "  --threads N      OpenBLAS threads (repeatable; default 1 and 2)\n"
        "  --chunk-bytes B  column matrix per chunk (repeatable; default 1048576; 0: the\n"
        "                   whole batch at once)\n"
        "  --no-ones        bias by the activation kernel and col_sum, not a column of ones\n"
        "  --cpu-time       the calling thread's CPU clock, not the wall clock (at 1 thread:\n"
        "                   figures a busy machine disturbs less)\n"
        "  --no-fuse        pool the whole batch's convolution output after the convolution\n"
        "                   (default: each convolution pools its chunks itself)\n"
        "  --steps N        steps per round (default 40; --quick 10)\n"
        "  --rounds N       rounds, the step and its ceiling taking turns (default 5; --quick 2)\n"
        "  --rows N         rows of synthetic data (default 6000)\n");
    return f == stdout ? 0 : 2;
}

static int parse_size(const char *s, size_t *out, int zero_ok) {
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (*s == '\0' || *end != '\0' || *s == '-' || (v == 0 && !zero_ok)) return -1;
    *out = (size_t)v;
    return 0;
}

static int parse(int argc, char **argv, bench_opts *o) {
    int steps_set = 0, rounds_set = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        size_t n;
        if (strcmp(a, "--json") == 0)
            o->json = 1;
        else if (strcmp(a, "--quick") == 0)
            o->quick = 1;
        else if (strcmp(a, "--no-ones") == 0)
            o->ones = 0;
        else if (strcmp(a, "--cpu-time") == 0)
            cpu_clock = 1;
        else if (strcmp(a, "--no-fuse") == 0)
            o->fuse = 0;
        else if (strcmp(a, "--help") == 0)
            return usage(stdout) - 1;
        else if (v && strcmp(a, "--threads") == 0 && o->n_threads < 4 &&
                 parse_size(v, &n, 0) == 0 && n < 256)
            o->threads[o->n_threads++] = (int)n, i++;
        else if (v && strcmp(a, "--chunk-bytes") == 0 && o->n_chunks < 4 &&
                 parse_size(v, &o->chunk_bytes[o->n_chunks], 1) == 0)
            o->n_chunks++, i++;
        else if (v && strcmp(a, "--rows") == 0 && parse_size(v, &o->rows, 0) == 0 &&
                 o->rows >= BATCH)
            i++;
        else if (v && strcmp(a, "--steps") == 0 && parse_size(v, &o->steps, 0) == 0)
            steps_set = 1, i++;
        else if (v && strcmp(a, "--rounds") == 0 && parse_size(v, &o->rounds, 0) == 0 &&
                 o->rounds <= 100)
            rounds_set = 1, i++;
        else if (v && strcmp(a, "--dtype") == 0 &&
                 (o->dtypes = strcmp(v, "f64") == 0    ? 1
                              : strcmp(v, "f32") == 0  ? 2
                              : strcmp(v, "both") == 0 ? 3
                                                       : 0))
            i++;
        else {
            fprintf(stderr, "nnblas-bench conv: bad argument '%s'\n", a);
            return usage(stderr);
        }
    }
    if (o->quick && !steps_set) o->steps = 10;
    if (o->quick && !rounds_set) o->rounds = 2;
    if (o->n_threads == 0) o->threads[0] = 1, o->threads[1] = 2, o->n_threads = 2;
    if (o->n_chunks == 0) o->chunk_bytes[0] = (size_t)1 << 20, o->n_chunks = 1;
    return 0;
}

int nnbb_conv_main(int argc, char **argv) {
    bench_opts o = {.ones = 1, .fuse = 1, .dtypes = 3, .rows = 6000, .steps = 40, .rounds = 5};
    int rc = parse(argc, argv, &o);
    if (rc != 0) return rc < 0 ? 0 : rc;
    if (!o.json) {
        nnbb_print_machine(stdout);
        printf("# OpenBLAS core %s, kernels %s; cnn-fashion (conv32x3p1,maxpool2,conv64x3p1,"
               "maxpool2,128,10), batch %d, Adam; samples/s against the step's GEMM calls alone\n",
               openblas_get_corename(), nnb_kernel_isa(), BATCH);
        printf("%-4s %3s %8s %10s %10s %8s %7s", "type", "thr", "chunks", "samples/s", "ceiling",
               "fraction", "RSS MiB");
        for (int p = 0; p < T_N; p++) printf(" %6.6s", part_names[p]);
        printf("   (ms per step)\n");
    }
    for (size_t c = 0; c < o.n_chunks; c++) {
        o.chunk = o.chunk_bytes[c] ? o.chunk_bytes[c] : SIZE_MAX;
        for (size_t t = 0; t < o.n_threads; t++)
            for (int f32 = 0; f32 < 2; f32++)
                if (o.dtypes >> f32 & 1) {
                    result r = measure(f32, o.threads[t], &o);
                    report(f32, o.threads[t], &r, &o);
                }
    }
    return 0;
}
