/*
 * nnblas-bench train: training throughput per epoch against the machine's ceiling.
 *
 * Workloads (each in float64 and float32 unless --dtype picks one; plain SGD, lr 0.01):
 *   w1-admissions  6-2-1, sigmoid, squared error (mean), full batch of 360 rows (the tutorial's)
 *   w2-fashion     784-256-128-10, sigmoid hidden, softmax + cross-entropy, batch 128, 60000 rows
 *   w3-wide        784-1024-1024-10, the same, batch 256
 *   cnn-fashion    issue 24's convolutional network, Adam, batch 64 (bench_train_cnn.c; 6400
 *                  rows unless --rows, 1280 with --quick)
 * and sweeps on w2's shape over the batch size (32, 128, 512) and on w3's over the hidden width
 * (256, 512, 1024, 2048). Data is synthetic (normal features, random classes) unless
 * --data fashion-mnist, which reads the real images for w2/w3.
 *
 * Each measurement runs in a child process of its own (fork), so its peak resident memory is
 * its own and OpenBLAS's thread pool starts fresh with the requested thread count. nnblas and the
 * ceiling take turns in rounds (default 3 rounds of 2 epochs each, the first round of each side
 * with one warm-up epoch more), so a burst of other work on the shared machine falls on both;
 * nnblas's epoch times come from the history; samples/s is rows / the median epoch over all
 * rounds, likewise the ceiling's. The ceiling is the same epoch made of nothing but the bare
 * cblas_dgemm calls a training step needs (forward Z = X.W^T per layer, dW = d^T.A with beta 1 per
 * layer, dX = d.W for every layer but the first), same shapes, same threads, timed the same way:
 * fraction_of_ceiling = nnblas samples/s / ceiling samples/s. GFLOP/s counts those products'
 * flops (2mnk each) per sample. A float32 row ("dtype": "f32") trains a float32 network on
 * float32 data (read in place) against a ceiling of cblas_sgemm calls. Benchmarks report; they
 * never assert.
 *
 *   nnblas-bench train [--quick] [--json] [--threads N]... [--workload NAME]... [--no-sweeps]
 *                      [--data synthetic|fashion-mnist[:DIR]] [--epochs N] [--rounds N] [--rows N]
 *                      [--dtype f64|f32|both]
 */
#include <cblas.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#ifdef NNBB_HAVE_MPI
#  include "bench_mpi.h"
#endif
#include "bench_train.h"
#include "bench_train_cnn.h"
#include "bench_util.h"
#include "nnblas.h"

#define MAX_LAYERS 4

typedef struct workload {
    char name[48];
    size_t sizes[MAX_LAYERS + 1];
    size_t n_sizes;
    size_t batch; /* 0 = full batch */
    size_t rows;
    int classify; /* softmax + CE (else sigmoid + squared error) */
    nnb_dtype dtype;
} workload;

typedef struct result {
    double samples_per_s, epoch_s, ceiling_samples_per_s, gflops, peak_gflops, max_rss_mib;
    int ok;
    char isa[16];
} result;

typedef struct opts {
    int json, quick, sweeps;
    int threads[4];
    size_t n_threads;
    const char *only[8];
    size_t n_only;
    const char *data;
    size_t epochs, rows, rounds;
    int dtypes; /* bit 0: float64 rows, bit 1: float32 rows */
} opts;

static double flops_per_sample(const workload *w) {
    double f = 0;
    for (size_t l = 0; l + 1 < w->n_sizes; l++)
        f += 2.0 * (double)w->sizes[l] * (double)w->sizes[l + 1] * (l > 0 ? 3 : 2);
    return f;
}

/* ---- data ---- */

/* Whether the workload trains on the real Fashion-MNIST images (--data fashion-mnist[:DIR]; only
 * networks with 784 inputs can). */
static int uses_fashion(const char *data, const workload *w) {
    return strncmp(data, "fashion-mnist", 13) == 0 && w->sizes[0] == 784;
}

/* Stores value i of a float64 or float32 array. */
static void put_value(void *a, nnb_dtype dtype, size_t i, double v) {
    if (dtype == NNB_F32)
        ((float *)a)[i] = (float)v;
    else
        ((double *)a)[i] = v;
}

/* The first w->rows Fashion-MNIST training images and one-hot labels, read in the workload's
 * type into x and y (read in place when the file has exactly that many rows). */
static int read_fashion(const workload *w, const char *data, void *x, void *y) {
    size_t ni = w->sizes[0], no = w->sizes[w->n_sizes - 1], n = w->rows, rows, cols;
    size_t es = w->dtype == NNB_F32 ? sizeof(float) : sizeof(double);
    const char *dir = data[13] == ':' ? data + 14 : "/usr/share/datasets/fashion-mnist";
    if (nnb_mnist_info(dir, NNB_MNIST_TRAIN, &rows, &cols) != NNB_OK || rows < n) {
        fprintf(stderr, "nnblas-bench train: %s\n", nnb_last_error());
        return -1;
    }
    void *all_x = rows == n ? x : malloc(rows * cols * es), *all_y = malloc(rows * 10 * es);
    int nomem = !all_x || !all_y;
    nnb_status st = NNB_E_NOMEM;
    if (!nomem && w->dtype == NNB_F32)
        st = nnb_mnist_read_part_f32(dir, NNB_MNIST_TRAIN, 1, all_x, rows * cols, all_y, rows * 10);
    else if (!nomem)
        st = nnb_mnist_read_part(dir, NNB_MNIST_TRAIN, 1, all_x, rows * cols, all_y, rows * 10);
    if (st != NNB_OK)
        fprintf(stderr, "nnblas-bench train: %s\n", nomem ? "out of memory" : nnb_last_error());
    if (st == NNB_OK && all_x != x) memcpy(x, all_x, n * ni * es);
    if (st == NNB_OK) memcpy(y, all_y, n * no * es);
    if (all_x != x) free(all_x);
    free(all_y);
    return st == NNB_OK ? 0 : -1;
}

/* The workload's data in its type (float32 data is read or generated straight into floats, no
 * float64 copy exists, so the peak memory is the float32 run's own): the real images, or
 * synthetic features and classes. */
static int load_data(const workload *w, const char *data, void **xp, void **yp) {
    size_t ni = w->sizes[0], no = w->sizes[w->n_sizes - 1], n = w->rows;
    size_t es = w->dtype == NNB_F32 ? sizeof(float) : sizeof(double);
    void *x = malloc(n * ni * es), *y = calloc(n * no, es);
    int rc = x && y ? 0 : -1;
    if (rc == 0 && uses_fashion(data, w)) {
        rc = read_fashion(w, data, x, y);
    } else if (rc == 0) {
        for (size_t i = 0; i < n * ni; i++) put_value(x, w->dtype, i, nnbb_synthetic(i));
        for (size_t r = 0; r < n; r++)
            put_value(y, w->dtype, r * no + (no > 1 ? (r * 2654435761u) % no : 0),
                      no > 1 ? 1.0 : (double)((r * 2654435761u) >> 7 & 1));
    }
    if (rc != 0) {
        free(x), free(y);
        return -1;
    }
    *xp = x, *yp = y;
    return 0;
}

/* ---- the two measurements ---- */

static int side_create(nnbb_side *s, const workload *w) {
    size_t L = w->n_sizes - 1;
    *s = (nnbb_side){0};
    nnb_status st = nnb_net_create_dtype(&s->net, w->sizes[0], w->dtype);
    for (size_t l = 0; st == NNB_OK && l < L; l++)
        st = nnb_net_add_dense(
            s->net, w->sizes[l + 1],
            l + 1 < L ? NNB_ACT_SIGMOID : (w->classify ? NNB_ACT_SOFTMAX : NNB_ACT_SIGMOID), 1);
    if (st == NNB_OK) st = nnb_net_init(s->net, NNB_INIT_NORMAL_FANIN, 1);
    if (st == NNB_OK) st = nnb_train_opts_create(&s->opts);
    if (st == NNB_OK) st = nnb_history_create(&s->hist);
    if (st == NNB_OK) st = nnb_train_opts_set_optimizer(s->opts, NNB_OPT_SGD, 0.01);
    if (st == NNB_OK)
        st = nnb_train_opts_set_loss(s->opts, w->classify ? NNB_LOSS_CE : NNB_LOSS_SSE,
                                     NNB_REDUCTION_MEAN);
    if (st == NNB_OK) st = nnb_train_opts_set_batch_size(s->opts, w->batch);
    if (st != NNB_OK) fprintf(stderr, "nnblas-bench train: %s\n", nnb_last_error());
    return st == NNB_OK ? 0 : -1;
}

/* The buffers of the bare matrix products of an epoch. */
typedef struct ceil_side {
    void *a[MAX_LAYERS + 1], *d[MAX_LAYERS + 1], *W[MAX_LAYERS];
} ceil_side;

static void ceil_free(ceil_side *c) {
    for (size_t l = 0; l <= MAX_LAYERS; l++) free(c->a[l]), free(c->d[l]);
    for (size_t l = 0; l < MAX_LAYERS; l++) free(c->W[l]);
}

static int ceil_create(ceil_side *c, const workload *w) {
    size_t L = w->n_sizes - 1, B = w->batch ? w->batch : w->rows;
    size_t es = w->dtype == NNB_F32 ? sizeof(float) : sizeof(double);
    *c = (ceil_side){0};
    for (size_t l = 0; l <= L; l++) {
        c->a[l] = calloc(B * w->sizes[l], es);
        c->d[l] = calloc(B * w->sizes[l], es);
        if (!c->a[l] || !c->d[l]) return -1;
    }
    for (size_t l = 0; l < L; l++) {
        c->W[l] = calloc(w->sizes[l] * w->sizes[l + 1], es);
        if (!c->W[l]) return -1;
    }
    return 0;
}

/* One float32 step of the ceiling: the same products with cblas_sgemm. */
static void step32(ceil_side *c, const workload *w, const float *in, size_t B) {
    size_t L = w->n_sizes - 1;
    for (size_t l = 0; l < L; l++) {
        int m = (int)B, n = (int)w->sizes[l + 1], k = (int)w->sizes[l];
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f,
                    l ? (float *)c->a[l] : in, k, c->W[l], k, 0.0f, c->a[l + 1], n);
    }
    for (size_t l = L; l-- > 0;) {
        int m = (int)B, n = (int)w->sizes[l + 1], k = (int)w->sizes[l];
        if (l > 0)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, k, n, 1.0f, c->d[l + 1], n,
                        c->W[l], k, 0.0f, c->d[l], k);
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, n, k, m, -0.01f, c->d[l + 1], n,
                    l ? (float *)c->a[l] : in, k, 1.0f, c->W[l], k);
    }
}

/* One round of the ceiling: the bare matrix products of `reps` epochs, each timed into t. */
static void run_ceiling(ceil_side *c, const workload *w, const void *x, size_t reps, double *t) {
    size_t L = w->n_sizes - 1, B = w->batch ? w->batch : w->rows;
    size_t steps = w->rows / B ? w->rows / B : 1;
    for (size_t rep = 0; rep < reps; rep++) {
        double t0 = nnbb_now();
        for (size_t s = 0; s < steps && w->dtype == NNB_F32; s++)
            step32(c, w, (const float *)x + (s * B % (w->rows - B + 1)) * w->sizes[0], B);
        for (size_t s = 0; s < steps && w->dtype != NNB_F32; s++) {
            const double *in = (const double *)x + (s * B % (w->rows - B + 1)) * w->sizes[0];
            for (size_t l = 0; l < L; l++) {
                int m = (int)B, n = (int)w->sizes[l + 1], k = (int)w->sizes[l];
                cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0, l ? c->a[l] : in,
                            k, c->W[l], k, 0.0, c->a[l + 1], n);
            }
            for (size_t l = L; l-- > 0;) {
                int m = (int)B, n = (int)w->sizes[l + 1], k = (int)w->sizes[l];
                if (l > 0)
                    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, k, n, 1.0,
                                c->d[l + 1], n, c->W[l], k, 0.0, c->d[l], k);
                cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, n, k, m, -0.01, c->d[l + 1], n,
                            l ? c->a[l] : in, k, 1.0, c->W[l], k);
            }
        }
        t[rep] = (nnbb_now() - t0) * (double)w->rows / (double)(steps * B);
    }
}

/* nnblas and the ceiling in alternating rounds, so a disturbance from other work on the machine
 * falls on both sides and the median of each side's epochs passes over it. Round 0 starts each
 * side with a warm-up epoch, which is not counted. Returns the median epoch of each side. */
static int measure_rounds(const workload *w, const void *x, const void *y, size_t rounds,
                          size_t epochs, double *e_nnb, double *e_ceil, double *rss_mib) {
    nnbb_side s = {0};
    ceil_side c = {0};
    double *t = malloc((rounds * epochs + 1) * sizeof *t);
    int rc = t && side_create(&s, w) == 0 ? 0 : -1;
    for (size_t r = 0; rc == 0 && r < rounds; r++) {
        rc = nnbb_side_train(&s, w->dtype == NNB_F32, x, w->rows, w->sizes[0], y,
                             w->sizes[w->n_sizes - 1], epochs + (r == 0));
        if (rc == 0 && r == 0) {
            /* nnblas's peak with the data, before the ceiling's buffers exist */
            struct rusage ru;
            getrusage(RUSAGE_SELF, &ru);
            *rss_mib = (double)ru.ru_maxrss / 1024.0;
            rc = ceil_create(&c, w);
        }
        if (rc == 0) run_ceiling(&c, w, x, epochs + (r == 0), t + (r ? 1 + r * epochs : 0));
    }
    size_t n = rounds * epochs + 1; /* epochs per side, the warm-up first */
    if (rc == 0) { /* t holds the ceiling's epoch times, then nnblas's from the history */
        *e_ceil = nnbb_median(t + 1, n - 1);
        if (nnb_history_n_epochs(s.hist) == n &&
            nnb_history_get(s.hist, NNB_HIST_SECONDS, t, n) == NNB_OK)
            *e_nnb = nnbb_median(t + 1, n - 1);
        else
            rc = -1;
    }
    nnbb_side_free(&s);
    ceil_free(&c);
    free(t);
    return rc;
}

typedef struct job {
    const workload *w;
    const opts *o;
} job;

/* In the child process (nnbb_in_child): data, nnblas and ceiling, peak memory. */
static void measure_child(void *arg, void *out) {
    const workload *w = ((const job *)arg)->w;
    const opts *o = ((const job *)arg)->o;
    result c = {0};
    void *x, *y;
    double e1 = 0, e2 = 0, rss = 0;
    /* the tiny network's epochs take microseconds: thousands per round */
    size_t epochs = w->rows <= 1000 ? (o->quick ? 2000 : 20000) / o->rounds : o->epochs;
    if (load_data(w, o->data, &x, &y) == 0 &&
        measure_rounds(w, x, y, o->rounds, epochs, &e1, &e2, &rss) == 0) {
        double fs = flops_per_sample(w);
        c.ok = 1;
        c.epoch_s = e1;
        c.samples_per_s = (double)w->rows / e1;
        c.ceiling_samples_per_s = (double)w->rows / e2;
        c.gflops = c.samples_per_s * fs / 1e9;
        c.peak_gflops = c.ceiling_samples_per_s * fs / 1e9;
        c.max_rss_mib = rss;
        snprintf(c.isa, sizeof c.isa, "%s", nnb_kernel_isa());
    }
    memcpy(out, &c, sizeof c);
}

static result measure(const workload *w, int threads, const opts *o) {
    result r;
    job j = {w, o};
    nnbb_in_child(threads, measure_child, &j, &r, sizeof r);
    return r;
}

/* ---- output ---- */

static void report(const workload *w, int threads, const result *r, const opts *o) {
    size_t B = w->batch ? w->batch : w->rows;
    double frac = r->samples_per_s / r->ceiling_samples_per_s;
    if (o->json) {
        printf(
            "{\"bench\": \"train\", \"system\": \"nnblas\", \"workload\": \"%s\", \"isa\": \"%s\", "
            "\"dtype\": \"%s\", \"threads\": %d, \"batch\": %zu, \"hidden\": [",
            w->name, r->ok ? r->isa : "", w->dtype == NNB_F32 ? "f32" : "f64", threads, B);
        for (size_t l = 1; l + 1 < w->n_sizes; l++) printf("%s%zu", l > 1 ? ", " : "", w->sizes[l]);
        printf("], \"rows\": %zu, \"data\": \"%s\", ", w->rows,
               uses_fashion(o->data, w) ? "fashion-mnist" : "synthetic");
        nnbb_json_num(stdout, "samples_per_s", r->ok ? r->samples_per_s : NAN, 0);
        nnbb_json_num(stdout, "epoch_s", r->ok ? r->epoch_s : NAN, 0);
        nnbb_json_num(stdout, "gflops", r->ok ? r->gflops : NAN, 0);
        nnbb_json_num(stdout, "peak_gflops", r->ok ? r->peak_gflops : NAN, 0);
        nnbb_json_num(stdout, "ceiling_samples_per_s", r->ok ? r->ceiling_samples_per_s : NAN, 0);
        nnbb_json_num(stdout, "fraction_of_ceiling", r->ok ? frac : NAN, 0);
        nnbb_json_num(stdout, "max_rss_mib", r->ok ? r->max_rss_mib : NAN, 1);
        printf("}\n");
    } else if (!r->ok) {
        printf("%-22s %-5s %3d  failed\n", w->name, w->dtype == NNB_F32 ? "f32" : "f64", threads);
    } else {
        printf("%-22s %-5s %3d %6zu %13.0f %9.3g %8.2f %13.0f %9.3f %9.0f\n", w->name,
               w->dtype == NNB_F32 ? "f32" : "f64", threads, B, r->samples_per_s, r->epoch_s,
               r->gflops, r->ceiling_samples_per_s, frac, r->max_rss_mib);
    }
    fflush(stdout);
}

static int usage(FILE *f) {
    fprintf(
        f, "usage: nnblas-bench train [--quick] [--json] [--threads N]... [--workload NAME]...\n"
           "                          [--no-sweeps] [--data synthetic|fashion-mnist[:DIR]]\n"
           "                          [--epochs N] [--rounds N] [--rows N]\n"
           "  --quick       6000 rows for w2/w3, 2 rounds of 1 epoch, smaller sweeps (under a "
           "minute)\n"
           "  --json        one JSON object per line instead of the table\n"
           "  --threads N   OpenBLAS threads (repeatable; default 1 and 2)\n"
           "  --workload W  w1-admissions, w2-fashion, w3-wide, cnn-fashion (repeatable;\n"
           "                default all)\n"
           "  --no-sweeps   skip the batch-size and width sweeps\n"
           "  --data D      synthetic (default) or the real Fashion-MNIST images for w2/w3\n"
           "  --epochs N    timed epochs per round of w2/w3 (default 2)\n"
           "  --rounds N    rounds, nnblas and the ceiling taking turns (default 3; first with a "
           "warm-up)\n"
           "  --rows N      rows of w2/w3 (default 60000) and of cnn-fashion (default 6400)\n"
           "  --dtype T     f64, f32 or both (default): the networks' element type\n"
           "  --mpi         w2/w3 data-parallel under mpirun (nnblas-bench mpi; built with MPI)\n");
    return f == stdout ? 0 : 2;
}

static int parse_size(const char *s, size_t *out) {
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (*s == '\0' || *end != '\0' || *s == '-' || v == 0) return -1;
    *out = (size_t)v;
    return 0;
}

static workload make(const char *name, const size_t *sizes, size_t n, size_t batch, size_t rows,
                     int classify) {
    workload w = {0};
    snprintf(w.name, sizeof w.name, "%s", name);
    memcpy(w.sizes, sizes, n * sizeof *sizes);
    w.n_sizes = n;
    w.batch = batch;
    w.rows = rows;
    w.classify = classify;
    return w;
}

/* One sweep point in each requested type. */
static void sweep(workload *w, int thr, const opts *o) {
    for (int d = 0; d < 2; d++) {
        if (!(o->dtypes >> d & 1)) continue;
        w->dtype = d ? NNB_F32 : NNB_F64;
        result r = measure(w, thr, o);
        report(w, thr, &r, o);
    }
}

/* --dtype's value as bits: 1 f64, 2 f32, 3 both; 0 for anything else. */
static int dtype_bits(const char *v) {
    if (strcmp(v, "f64") == 0) return 1;
    if (strcmp(v, "f32") == 0) return 2;
    return strcmp(v, "both") == 0 ? 3 : 0;
}

/* The batch-size sweep on w2's shape and the width sweep on w3's, at the last thread count. */
static void sweeps(const opts *o) {
    static const size_t s2[] = {784, 256, 128, 10};
    int thr = o->threads[o->n_threads - 1];
    size_t srows = o->quick ? 3000 : o->rows / 2;
    static const size_t batches[] = {32, 128, 512}, widths[] = {256, 512, 1024, 2048};
    for (size_t i = 0; i < 3; i++) {
        char name[48];
        snprintf(name, sizeof name, "sweep-batch-%zu", batches[i]);
        workload w = make(name, s2, 4, batches[i], srows, 1);
        sweep(&w, thr, o);
    }
    for (size_t i = 0; i < 4; i++) {
        char name[48];
        snprintf(name, sizeof name, "sweep-width-%zu", widths[i]);
        size_t sz[] = {784, widths[i], widths[i], 10};
        workload w =
            make(name, sz, 4, 256, o->quick ? srows / 2 : srows / (widths[i] / 256 + 1), 1);
        sweep(&w, thr, o);
    }
}

int nnbb_train_main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) /* train --mpi: bench_mpi.c, which takes the same options */
        if (strcmp(argv[i], "--mpi") == 0) {
#ifdef NNBB_HAVE_MPI
            return nnbb_mpi_main(argc, argv);
#else
            fprintf(stderr, "nnblas-bench train: --mpi needs nnblas built with MPI\n");
            return 2;
#endif
        }
    opts o = {
        .sweeps = 1, .epochs = 2, .rounds = 3, .rows = 60000, .data = "synthetic", .dtypes = 3};
    int rows_set = 0, epochs_set = 0, rounds_set = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        size_t n;
        if (strcmp(a, "--json") == 0)
            o.json = 1;
        else if (strcmp(a, "--quick") == 0)
            o.quick = 1;
        else if (strcmp(a, "--no-sweeps") == 0)
            o.sweeps = 0;
        else if (strcmp(a, "--help") == 0)
            return usage(stdout);
        else if (v && strcmp(a, "--threads") == 0 && o.n_threads < 4 && parse_size(v, &n) == 0 &&
                 n < 256)
            o.threads[o.n_threads++] = (int)n, i++;
        else if (v && strcmp(a, "--workload") == 0 && o.n_only < 8)
            o.only[o.n_only++] = v, i++;
        else if (v && strcmp(a, "--data") == 0)
            o.data = v, i++;
        else if (v && strcmp(a, "--epochs") == 0 && parse_size(v, &o.epochs) == 0 && o.epochs > 0)
            epochs_set = 1, i++;
        else if (v && strcmp(a, "--rounds") == 0 && parse_size(v, &o.rounds) == 0 && o.rounds > 0 &&
                 o.rounds <= 100)
            rounds_set = 1, i++;
        else if (v && strcmp(a, "--rows") == 0 && parse_size(v, &o.rows) == 0)
            rows_set = 1, i++;
        else if (v && strcmp(a, "--dtype") == 0 && (o.dtypes = dtype_bits(v)) != 0)
            i++;
        else {
            fprintf(stderr, "nnblas-bench train: bad argument '%s'\n", a);
            return usage(stderr);
        }
    }
    if (o.n_threads == 0) o.threads[0] = 1, o.threads[1] = 2, o.n_threads = 2;
    if (o.quick) {
        if (!rows_set) o.rows = 6000;
        if (!epochs_set) o.epochs = 1;
        if (!rounds_set) o.rounds = 2;
    }
    if (strcmp(o.data, "synthetic") != 0 && strncmp(o.data, "fashion-mnist", 13) != 0) {
        fprintf(stderr, "nnblas-bench train: --data is synthetic or fashion-mnist[:DIR]\n");
        return 2;
    }
    if (!o.json) {
        nnbb_print_machine(stdout);
        printf(
            "# kernels %s, nnblas %s; fraction = samples/s against the bare dgemm (f64) or sgemm "
            "(f32) calls of the same epoch\n",
            nnb_kernel_isa(), nnb_version_string());
        printf("%-22s %-5s %3s %6s %13s %9s %8s %13s %9s %9s\n", "workload", "dtype", "thr",
               "batch", "samples/s", "epoch s", "GFLOP/s", "ceiling/s", "fraction", "RSS MiB");
    }
    static const size_t s1[] = {6, 2, 1}, s2[] = {784, 256, 128, 10}, s3[] = {784, 1024, 1024, 10};
    workload ws[3] = {make("w1-admissions", s1, 3, 0, 360, 0),
                      make("w2-fashion", s2, 4, 128, o.rows, 1),
                      make("w3-wide", s3, 4, 256, o.rows, 1)};
    for (size_t k = 0; k < 3; k++) {
        if (!nnbb_wanted(o.only, o.n_only, ws[k].name)) continue;
        for (size_t t = 0; t < o.n_threads; t++)
            for (int d = 0; d < 2; d++) {
                if (!(o.dtypes >> d & 1)) continue;
                ws[k].dtype = d ? NNB_F32 : NNB_F64;
                result r = measure(&ws[k], o.threads[t], &o);
                report(&ws[k], o.threads[t], &r, &o);
            }
    }
    int rc = 0;
    if (nnbb_wanted(o.only, o.n_only, NNBB_CNN_WORKLOAD)) {
        nnbb_cnn_opts c = {.json = o.json,
                           .threads = o.threads,
                           .n_threads = o.n_threads,
                           .rows = rows_set ? o.rows : (o.quick ? 1280 : 6400),
                           .epochs = o.epochs,
                           .rounds = o.rounds,
                           .dtypes = o.dtypes};
        if (!o.json) nnbb_train_cnn_heading();
        rc = nnbb_train_cnn(&c);
    }
    if (o.sweeps && o.n_only == 0) sweeps(&o);
    return rc ? 1 : 0;
}
