/*
 * nnblas-bench train --workload cnn-fashion: issue 24's network (1x28x28 input, conv32x3p1 ReLU,
 * maxpool2, conv64x3p1 ReLU, maxpool2, dense 128 ReLU, dense 10 softmax + cross-entropy, Adam lr
 * 1e-3, batch 64) built with nnb_net_add_layer_spec() from the same tokens as the PyTorch peer
 * (bench/peers/torch_train.py) and trained by nnb_net_train() / nnb_net_train_f32() on synthetic
 * data (normal features, random classes), against its ceiling: the same epoch made of nothing but
 * the GEMM calls the layer kinds make (lib/layer_conv.c: per chunk of the batch, the forward
 * product col . [W|b]^T, the weight gradient dZ^T . col with the bias's column of ones, and for
 * the second convolution the input gradient dZ . W; the chunks as the library sizes them,
 * NNBI_CONV_COL_BUDGET; the dense layers' three products each, the first's input gradient
 * included), same shapes, same threads. As for the dense workloads (bench_train.c): each
 * measurement in a child process of its own, nnblas and the ceiling taking turns in rounds (the
 * first round of each with a warm-up epoch more), samples/s from the median epoch,
 * fraction_of_ceiling = nnblas samples/s / the ceiling's, max_rss_mib nnblas's peak with the data
 * (before the ceiling's buffers exist), and the OpenBLAS core type in every row.
 */
#include <cblas.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "bench_train_cnn.h"
#include "bench_util.h"
#include "nnblas.h"
#include "window.h"

#define BATCH 64
#define N_IN 784
#define N_OUT 10
#define FLAT (64 * 7 * 7)
#define HIDDEN 128
static const char *const tokens[] = {"conv32x3p1", "maxpool2", "conv64x3p1",
                                     "maxpool2",   "128",      "10"};
#define N_TOKENS (sizeof tokens / sizeof *tokens)

typedef struct result {
    int ok;
    size_t chunk1, chunk2;
    double samples_per_s, epoch_s, ceiling_samples_per_s, max_rss_mib, gflops;
    char isa[16];
} result;

/* ---- the two element types' GEMM behind one call ---- */

typedef void (*gemm_fn)(int ta, int tb, int m, int n, int k, const void *a, int lda, const void *b,
                        int ldb, double beta, void *c, int ldc);

static void gemm64(int ta, int tb, int m, int n, int k, const void *a, int lda, const void *b,
                   int ldb, double beta, void *c, int ldc) {
    cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n,
                k, 1.0, a, lda, b, ldb, beta, c, ldc);
}

static void gemm32(int ta, int tb, int m, int n, int k, const void *a, int lda, const void *b,
                   int ldb, double beta, void *c, int ldc) {
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n,
                k, 1.0f, a, lda, b, ldb, (float)beta, c, ldc);
}

/* ---- the ceiling: the epoch's GEMM calls alone ---- */

/* One convolution's shapes as the layer kind sees them: F filters, P output pixels per sample,
 * K window values (K1 with the ones column), s samples per chunk. */
typedef struct conv_dims {
    size_t C, F, P, K, K1, s;
    size_t T; /* tiles of Winograd's forward pass (lib/window.h: nnbi_win_wino), or 0 */
} conv_dims;

static conv_dims dims(size_t C, size_t H, size_t W, size_t F, size_t rows) {
    nnbi_win g = {.C = C, .H = H, .W = W, .KH = 3, .KW = 3, .SH = 1, .SW = 1, .PT = 1, .PL = 1};
    g.OH = H, g.OW = W;
    return (conv_dims){.C = C,
                       .F = F,
                       .P = H * W,
                       .K = 9 * C,
                       .K1 = nnbi_win_cols(&g, 1),
                       .s = nnbi_win_chunk(&g, 1, rows, 1, NNBI_CONV_COL_BUDGET),
                       .T = nnbi_win_wino(&g) ? nnbi_win_tiles(&g) : 0};
}

enum {
    B_COL1,
    B_COL2,
    B_WB1,
    B_WB2,
    B_DWB1,
    B_DWB2,
    B_Z1,
    B_Z2,
    B_FLAT,
    B_W3,
    B_DW3,
    B_H,
    B_W4,
    B_DW4,
    B_OUT,
    B_DFLAT,
    B_DH,
    B_V, /* the second convolution's Winograd buffers (when it has them) */
    B_U,
    B_M,
    B_N
};

typedef struct ceiling {
    conv_dims c1, c2;
    size_t rows; /* the batch, or one training thread's part of it */
    size_t es;
    gemm_fn gemm;
    void *b[B_N];
} ceiling;

static void ceiling_free(ceiling *c) {
    for (int i = 0; i < B_N; i++) free(c->b[i]);
}

static int ceiling_create(ceiling *c, int f32, size_t rows) {
    *c = (ceiling){.c1 = dims(1, 28, 28, 32, rows), .c2 = dims(32, 14, 14, 64, rows), .rows = rows};
    const size_t nb = rows;
    c->es = f32 ? sizeof(float) : sizeof(double);
    c->gemm = f32 ? gemm32 : gemm64;
    const conv_dims *a = &c->c1, *d = &c->c2;
    size_t n[B_N] = {
        [B_COL1] = a->s * a->P * a->K1, [B_COL2] = d->s * d->P * d->K1,
        [B_WB1] = a->F * a->K1,         [B_WB2] = d->F * d->K1,
        [B_DWB1] = a->F * a->K1,        [B_DWB2] = d->F * d->K1,
        [B_Z1] = nb * a->P * a->F,      [B_Z2] = nb * d->P * d->F,
        [B_FLAT] = nb * FLAT,           [B_W3] = HIDDEN * FLAT,
        [B_DW3] = HIDDEN * FLAT,        [B_H] = nb * HIDDEN,
        [B_W4] = N_OUT * HIDDEN,        [B_DW4] = N_OUT * HIDDEN,
        [B_OUT] = nb * N_OUT,           [B_DFLAT] = nb * FLAT,
        [B_DH] = nb * HIDDEN,           [B_V] = 16 * d->s * d->T * (d->C > d->F ? d->C : d->F) + 1,
        [B_U] = 16 * d->F * d->C + 1,   [B_M] = 16 * d->s * d->T * (d->C > d->F ? d->C : d->F) + 1};
    for (int i = 0; i < B_N; i++)
        if (!(c->b[i] = calloc(n[i], c->es))) return -1;
    return 0;
}

static void *at(const ceiling *c, int buf, size_t i) { return (char *)c->b[buf] + i * c->es; }

/* A convolution's chunked products: forward (col . [W|b]^T into z), weight gradient (dz^T . col,
 * accumulated over the chunks) and, with input_grad, the input gradient's columns (dz . W). The
 * column matrix's contents do not matter to the time: no im2col. */
static void conv_gemms(const ceiling *c, const conv_dims *d, int col, int wb, int dwb, int z,
                       int backward, int input_grad) {
    const size_t nb = c->rows;
    for (size_t b0 = 0; b0 < nb; b0 += d->s) {
        int s = (int)(nb - b0 < d->s ? nb - b0 : d->s), m = s * (int)d->P;
        int F = (int)d->F, K1 = (int)d->K1;
        void *zb = at(c, z, b0 * d->P * d->F);
        if (!backward && d->T) { /* Winograd: 16 products of (tiles x F x C) */
            int nt = s * (int)d->T, C = (int)d->C;
            for (int xi = 0; xi < 16; xi++)
                c->gemm(0, 1, nt, F, C, at(c, B_V, (size_t)(xi * C)), 16 * C,
                        at(c, B_U, (size_t)(xi * F * C)), C, 0.0, at(c, B_M, (size_t)(xi * F)),
                        16 * F);
        } else if (!backward)
            c->gemm(0, 1, m, F, K1, c->b[col], K1, c->b[wb], K1, 0.0, zb, F);
        else
            c->gemm(1, 0, F, K1, m, zb, F, c->b[col], K1, b0 ? 1.0 : 0.0, c->b[dwb], K1);
    }
    for (size_t b0 = 0; backward && input_grad && b0 < nb; b0 += d->s) {
        int s = (int)(nb - b0 < d->s ? nb - b0 : d->s), m = s * (int)d->P;
        int nt = s * (int)d->T, C = (int)d->C, F = (int)d->F;
        if (d->T) /* Winograd (same padding: as many tiles as the forward pass) */
            for (int xi = 0; xi < 16; xi++)
                c->gemm(0, 0, nt, C, F, at(c, B_V, (size_t)(xi * F)), 16 * F,
                        at(c, B_U, (size_t)(xi * F * C)), C, 0.0, at(c, B_M, (size_t)(xi * C)),
                        16 * C);
        else
            c->gemm(0, 0, m, (int)d->K, F, at(c, z, b0 * d->P * d->F), F, c->b[wb], (int)d->K1, 0.0,
                    c->b[col], (int)d->K1);
    }
}

/* One training step's GEMM calls, in the library's order. */
static void ceiling_step(const ceiling *c) {
    const int nb = (int)c->rows;
    conv_gemms(c, &c->c1, B_COL1, B_WB1, B_DWB1, B_Z1, 0, 0);
    conv_gemms(c, &c->c2, B_COL2, B_WB2, B_DWB2, B_Z2, 0, 0);
    c->gemm(0, 1, nb, HIDDEN, FLAT, c->b[B_FLAT], FLAT, c->b[B_W3], FLAT, 0.0, c->b[B_H], HIDDEN);
    c->gemm(0, 1, nb, N_OUT, HIDDEN, c->b[B_H], HIDDEN, c->b[B_W4], HIDDEN, 0.0, c->b[B_OUT],
            N_OUT);
    c->gemm(0, 0, nb, HIDDEN, N_OUT, c->b[B_OUT], N_OUT, c->b[B_W4], HIDDEN, 0.0, c->b[B_DH],
            HIDDEN);
    c->gemm(1, 0, N_OUT, HIDDEN, nb, c->b[B_OUT], N_OUT, c->b[B_H], HIDDEN, 0.0, c->b[B_DW4],
            HIDDEN);
    c->gemm(0, 0, nb, FLAT, HIDDEN, c->b[B_DH], HIDDEN, c->b[B_W3], FLAT, 0.0, c->b[B_DFLAT], FLAT);
    c->gemm(1, 0, HIDDEN, FLAT, nb, c->b[B_DH], HIDDEN, c->b[B_FLAT], FLAT, 0.0, c->b[B_DW3], FLAT);
    conv_gemms(c, &c->c2, B_COL2, B_WB2, B_DWB2, B_Z2, 1, 1);
    conv_gemms(c, &c->c1, B_COL1, B_WB1, B_DWB1, B_Z1, 1, 0);
}

/* The ceiling of the library's training threads (lib/team.c): with n >= 2 threads every batch is
 * split into n parts, each through the whole step on a thread of its own with its products on
 * one OpenBLAS thread; so is the ceiling's (a barrier after each step, as the library joins its
 * threads after each batch). */
#define MAX_CREW 16

typedef struct crew {
    size_t n; /* threads (1: the whole batch, OpenBLAS's threads inside each product) */
    ceiling c[MAX_CREW];
} crew;

/* The library's team for `threads` threads and batches of 64 (nnbi_team_size: parts of at least
 * 4 rows). */
static size_t crew_size(int threads) {
    size_t n = threads < 2 ? 1 : (size_t)threads;
    return n > BATCH / 4 ? BATCH / 4 : n > MAX_CREW ? MAX_CREW : n;
}

static void crew_free(crew *w) {
    for (size_t i = 0; i < MAX_CREW; i++) ceiling_free(&w->c[i]);
}

static int crew_create(crew *w, int f32, int threads) {
    *w = (crew){.n = crew_size(threads)};
    for (size_t i = 0; i < w->n; i++)
        if (ceiling_create(&w->c[i], f32, (BATCH + w->n - 1) / w->n) != 0) return -1;
    return 0;
}

typedef struct mate_arg {
    const ceiling *c;
    size_t steps;
    pthread_barrier_t *bar;
} mate_arg;

static void *ceiling_mate(void *p) {
    const mate_arg *a = p;
    for (size_t s = 0; s < a->steps; s++) {
        ceiling_step(a->c);
        pthread_barrier_wait(a->bar);
    }
    return NULL;
}

/* `steps` steps of the crew; -1 when its threads cannot be started. */
static int crew_steps(const crew *w, size_t steps) {
    if (w->n == 1) {
        for (size_t s = 0; s < steps; s++) ceiling_step(&w->c[0]);
        return 0;
    }
    pthread_barrier_t bar;
    pthread_t th[MAX_CREW];
    mate_arg a[MAX_CREW];
    size_t started = 0;
    pthread_barrier_init(&bar, NULL, (unsigned)w->n);
    int saved = openblas_get_num_threads();
    openblas_set_num_threads(1);
    for (size_t i = 1; i < w->n; i++) {
        a[i] = (mate_arg){&w->c[i], steps, &bar};
        if (pthread_create(&th[i], NULL, ceiling_mate, &a[i]) != 0) break;
        started++;
    }
    if (started + 1 == w->n) {
        a[0] = (mate_arg){&w->c[0], steps, &bar};
        ceiling_mate(&a[0]);
    }
    for (size_t i = 1; i <= started; i++) pthread_join(th[i], NULL);
    openblas_set_num_threads(saved);
    pthread_barrier_destroy(&bar);
    return started + 1 == w->n ? 0 : -1;
}

/* `reps` epochs of the GEMM calls of `rows` rows (the full batches; scaled to all rows), each
 * timed into t. */
static int ceiling_epochs(const crew *w, size_t rows, size_t reps, double *t) {
    size_t steps = rows / BATCH ? rows / BATCH : 1;
    for (size_t r = 0; r < reps; r++) {
        double t0 = nnbb_now();
        if (crew_steps(w, steps) != 0) return -1;
        t[r] = (nnbb_now() - t0) * (double)rows / (double)(steps * BATCH);
    }
    return 0;
}

/* Multiply-adds x 2 per sample of the ceiling's products. */
static double flops_per_sample(const ceiling *c) {
    const conv_dims *a = &c->c1, *d = &c->c2;
    double fwd2 = d->T ? 16.0 * (double)(d->T * d->F * d->C) : (double)(d->P * d->F * d->K1);
    double dx2 = d->T ? 16.0 * (double)(d->T * d->F * d->C) : (double)(d->P * d->F * d->K);
    double conv = 2.0 * (double)(a->P * a->F * a->K1) + fwd2 + (double)(d->P * d->F * d->K1) + dx2;
    return 2.0 * (conv + 3.0 * FLAT * HIDDEN + 3.0 * HIDDEN * N_OUT);
}

/* ---- nnblas: the network through the public API ---- */

static int side_create(nnbb_side *s, int f32) {
    *s = (nnbb_side){0};
    nnb_status st = nnb_net_create_dtype(&s->net, N_IN, f32 ? NNB_F32 : NNB_F64);
    if (st == NNB_OK) st = nnb_net_set_input_shape(s->net, 1, 28, 28);
    for (size_t i = 0; st == NNB_OK && i < N_TOKENS; i++)
        st = nnb_net_add_layer_spec(s->net, tokens[i],
                                    i + 1 < N_TOKENS ? NNB_ACT_RELU : NNB_ACT_SOFTMAX, 1);
    if (st == NNB_OK) st = nnb_net_init(s->net, NNB_INIT_HE_NORMAL, 1);
    if (st == NNB_OK) st = nnb_train_opts_create(&s->opts);
    if (st == NNB_OK) st = nnb_history_create(&s->hist);
    if (st == NNB_OK) st = nnb_train_opts_set_optimizer(s->opts, NNB_OPT_ADAM, 1e-3);
    if (st == NNB_OK) st = nnb_train_opts_set_loss(s->opts, NNB_LOSS_CE, NNB_REDUCTION_MEAN);
    if (st == NNB_OK) st = nnb_train_opts_set_batch_size(s->opts, BATCH);
    if (st != NNB_OK) fprintf(stderr, "nnblas-bench train: %s\n", nnb_last_error());
    return st == NNB_OK ? 0 : -1;
}

/* Images and one-hot classes straight in the training type (no float64 copy of float32 data). */
static int make_data(int f32, size_t rows, void **xp, void **yp) {
    size_t es = f32 ? sizeof(float) : sizeof(double);
    char *x = malloc(rows * N_IN * es), *y = calloc(rows * N_OUT, es);
    if (!x || !y) {
        free(x), free(y);
        return -1;
    }
    for (size_t i = 0; i < rows * N_IN; i++) {
        double v = nnbb_synthetic(i);
        f32 ? (void)(((float *)x)[i] = (float)v) : (void)(((double *)x)[i] = v);
    }
    for (size_t r = 0; r < rows; r++) {
        size_t i = r * N_OUT + (r * 2654435761u) % N_OUT;
        f32 ? (void)(((float *)y)[i] = 1.0f) : (void)(((double *)y)[i] = 1.0);
    }
    *xp = x, *yp = y;
    return 0;
}

/* ---- rounds, the child process, output ---- */

/* nnblas and the ceiling taking turns; the median epoch of each (the warm-ups left out). */
static int rounds(int f32, const void *x, const void *y, const nnbb_cnn_opts *o, double *e_nnb,
                  double *e_ceil, double *rss, crew *c) {
    nnbb_side s;
    size_t n = o->rounds * o->epochs + 1, R = o->epochs;
    double *t = malloc(n * sizeof *t);
    int rc = t && side_create(&s, f32) == 0 ? 0 : -1;
    for (size_t r = 0; rc == 0 && r < o->rounds; r++) {
        rc = nnbb_side_train(&s, f32, x, o->rows, N_IN, y, N_OUT, R + (r == 0));
        if (rc == 0 && r == 0) {
            struct rusage ru;
            getrusage(RUSAGE_SELF, &ru);
            *rss = (double)ru.ru_maxrss / 1024.0;
            rc = crew_create(c, f32, nnb_get_num_threads());
        }
        if (rc == 0) rc = ceiling_epochs(c, o->rows, R + (r == 0), t + (r ? 1 + r * R : 0));
    }
    if (rc == 0) {
        *e_ceil = nnbb_median(t + 1, n - 1);
        if (nnb_history_n_epochs(s.hist) == n &&
            nnb_history_get(s.hist, NNB_HIST_SECONDS, t, n) == NNB_OK)
            *e_nnb = nnbb_median(t + 1, n - 1);
        else
            rc = -1;
    }
    if (t) nnbb_side_free(&s);
    free(t);
    return rc;
}

typedef struct job {
    int f32;
    const nnbb_cnn_opts *o;
} job;

/* In the child process (nnbb_in_child): data, rounds, the result into out. */
static void measure_child(void *arg, void *out) {
    const job *j = arg;
    int f32 = j->f32;
    const nnbb_cnn_opts *o = j->o;
    result r = {0};
    void *x, *y;
    crew c = {0};
    double e1 = 0, e2 = 0;
    if (make_data(f32, o->rows, &x, &y) != 0) return;
    if (rounds(f32, x, y, o, &e1, &e2, &r.max_rss_mib, &c) == 0) {
        r.ok = 1;
        r.epoch_s = e1;
        r.samples_per_s = (double)o->rows / e1;
        r.ceiling_samples_per_s = (double)o->rows / e2;
        r.gflops = r.samples_per_s * flops_per_sample(&c.c[0]) / 1e9;
        r.chunk1 = c.c[0].c1.s, r.chunk2 = c.c[0].c2.s;
    }
    crew_free(&c);
    free(x), free(y);
    snprintf(r.isa, sizeof r.isa, "%s", nnb_kernel_isa());
    memcpy(out, &r, sizeof r);
}

static void report(int f32, int threads, const result *r, const nnbb_cnn_opts *o) {
    double frac = r->samples_per_s / r->ceiling_samples_per_s;
    const char *dt = f32 ? "f32" : "f64";
    if (o->json) {
        printf("{\"bench\": \"train\", \"system\": \"nnblas\", \"workload\": \"%s\", \"isa\": "
               "\"%s\", \"dtype\": \"%s\", \"threads\": %d, \"corename\": \"%s\", \"batch\": %d, "
               "\"layers\": \"conv32x3p1,maxpool2,conv64x3p1,maxpool2,128,10\", \"optimizer\": "
               "\"adam\", \"rows\": %zu, \"data\": \"synthetic\", \"chunks\": [%zu, %zu], ",
               NNBB_CNN_WORKLOAD, r->ok ? r->isa : "", dt, threads, openblas_get_corename(), BATCH,
               o->rows, r->chunk1, r->chunk2);
        nnbb_json_num(stdout, "samples_per_s", r->ok ? r->samples_per_s : NAN, 0);
        nnbb_json_num(stdout, "epoch_s", r->ok ? r->epoch_s : NAN, 0);
        nnbb_json_num(stdout, "gflops", r->ok ? r->gflops : NAN, 0);
        nnbb_json_num(stdout, "ceiling_samples_per_s", r->ok ? r->ceiling_samples_per_s : NAN, 0);
        nnbb_json_num(stdout, "fraction_of_ceiling", r->ok ? frac : NAN, 0);
        nnbb_json_num(stdout, "max_rss_mib", r->ok ? r->max_rss_mib : NAN, 1);
        printf("}\n");
    } else if (!r->ok) {
        printf("%-22s %-5s %3d  failed\n", NNBB_CNN_WORKLOAD, dt, threads);
    } else {
        printf("%-22s %-5s %3d %6d %13.0f %9.3g %8.2f %13.0f %9.3f %9.0f\n", NNBB_CNN_WORKLOAD, dt,
               threads, BATCH, r->samples_per_s, r->epoch_s, r->gflops, r->ceiling_samples_per_s,
               frac, r->max_rss_mib);
    }
    fflush(stdout);
}

void nnbb_train_cnn_heading(void) {
    printf("# %s: conv32x3p1,maxpool2,conv64x3p1,maxpool2,128,10 (ReLU; softmax + cross-entropy), "
           "Adam 1e-3, batch 64, synthetic 1x28x28 images; OpenBLAS core %s; ceiling = its "
           "GEMM calls alone (the library's chunks)\n",
           NNBB_CNN_WORKLOAD, openblas_get_corename());
}

int nnbb_train_cnn(const nnbb_cnn_opts *o) {
    int rc = 0;
    for (size_t t = 0; t < o->n_threads; t++)
        for (int d = 0; d < 2; d++) {
            if (!(o->dtypes >> d & 1)) continue;
            result r;
            job j = {d, o};
            nnbb_in_child(o->threads[t], measure_child, &j, &r, sizeof r);
            report(d, o->threads[t], &r, o);
            if (!r.ok) rc = -1;
        }
    return rc;
}
