/*
 * nnblas-bench mpi: data-parallel training over MPI (libnnblas_mpi), timed on synthetic data.
 *
 *   mpirun -np 2 nnblas-bench mpi [options]     2 processes, 1 OpenBLAS thread each (default)
 *   nnblas-bench mpi --threads 2 [options]      1 process with 2 threads, to compare with
 *
 * `nnblas-bench train --mpi ...` comes here too: the workload names w2-fashion and w3-wide, and
 * train's --no-sweeps and --data synthetic, are accepted.
 *
 * Workloads: w2 = 784-256-128-10 (batch 128) and w3 = 784-1024-1024-10 (batch 256), sigmoid hidden
 * layers, softmax + cross-entropy, SGD (lr 0.05), on --rows synthetic rows (60000; pixels uniform
 * in [0, 1), ten classes) generated the same on every process, shuffled every epoch; the batch
 * size is the global one. Each workload runs --warmup untimed epochs, then
 * --epochs timed ones, each one nnb_mpi_train() call of one epoch; the epoch time is the slowest
 * process's (the core's epoch clock, without the call's setup), and the figures are medians over
 * the timed epochs.
 *
 * Per step (mini-batch): the bytes all-reduced (8 x (parameters + 2)); the time inside the
 * all-reduce during training (nnb_mpi_comm_stats: MPI_Allreduce of the gradient and a 4-integer
 * check before it, including the wait for the slowest process); the same MPI_Allreduce timed
 * alone after a barrier (median and fastest of --reps), i.e. the transfer without the waiting
 * (the fastest is the least disturbed by other work on the machine); and the
 * compute (epoch time minus all-reduce time, per step). From the compute per sample it derives
 * the batch per process at which a ring all-reduce over a network of 10 or 100 Gbit/s would take
 * 10 % of a step: 2 (N-1)/N x bytes / bandwidth <= 0.1 x step (N = the processes of this run, at
 * least 2). GFLOP/s counts 6 flops per parameter and sample (forward and backward).
 *
 * --dtype f32 trains float32 networks (the synthetic data converted per batch; the gradient summed
 * as MPI_FLOAT, 4 x (parameters + 2) bytes per step, also in the overlapped modes, where the
 * buckets are --bucket bytes of float gradient); --dtype both runs each workload in float64, then
 * float32. Every row says its "dtype".
 *
 * The benchmark reports; it asserts no time. --json prints one object per workload and type.
 */
#include <cblas.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_mpi.h"
#include "bench_util.h"
#include "nnblas_mpi.h"

typedef struct workload {
    const char *name, *long_name; /* the latter nnblas-bench train's */
    size_t hidden[2];
    size_t batch;
} workload;

static const workload workloads[] = {
    {"w2", "w2-fashion", {256, 128}, 128},
    {"w3", "w3-wide", {1024, 1024}, 256},
};
#define N_WORKLOADS (sizeof workloads / sizeof workloads[0])

enum { NI = 784, NO = 10, MAX_EPOCHS = 64, MAX_REPS = 1000 };

typedef struct opts {
    int json, quick, threads, epochs, warmup, reps;
    size_t rows;
    nnb_mpi_overlap overlap;
    size_t bucket; /* bytes; 0: the library's default */
    nnb_mpi_wire wire;
    int dtypes; /* bit 0: float64 networks, bit 1: float32 networks */
    int want[N_WORKLOADS];
} opts;

static int rank, size;

static int usage(FILE *f) {
    if (rank == 0)
        fprintf(f,
                "usage: [mpirun -np N] nnblas-bench mpi [--workload w2|w3]... [--rows N]\n"
                "                      [--epochs K] [--warmup W] [--threads T] [--reps R]\n"
                "                      [--overlap sync|test|thread] [--bucket BYTES]\n"
                "                      [--wire f64|f32] [--dtype f64|f32|both] [--quick]\n"
                "                      [--json]\n"
                "       [mpirun -np N] nnblas-bench train --mpi [the same options]\n"
                "  --workload  w2 (784-256-128-10, batch 128) or w3 (784-1024-1024-10, batch\n"
                "              256), also named w2-fashion, w3-wide; default both\n"
                "  --rows      synthetic training rows (default 60000)\n"
                "  --epochs    timed epochs, the median is reported (default 3)\n"
                "  --warmup    untimed epochs first (default 1)\n"
                "  --threads   OpenBLAS threads per process (default 1 under mpirun with several\n"
                "              processes, else OpenBLAS's own choice)\n"
                "  --reps      repetitions of the isolated all-reduce (default 30)\n"
                "  --overlap   sync (one MPI_Allreduce after the backward pass, the default),\n"
                "              test or thread (buckets sent during the backward pass: a send and\n"
                "              receive pair with 2 processes, else MPI_Iallreduce; advanced by\n"
                "              MPI_Test between pieces or by a progress thread)\n"
                "  --bucket    the bucket size in bytes of gradient (default 512 KiB)\n"
                "  --wire      f64 (default) or f32 (the float32 wire format of float64 networks)\n"
                "  --dtype     the networks' element type: f64 (default), f32 (the gradient\n"
                "              summed as MPI_FLOAT, in every --overlap mode) or both\n"
                "  --quick     2048 rows, 1 timed epoch, no warm-up (a smoke run)\n"
                "  --json      one JSON object per workload instead of the table\n");
    return f == stdout ? 0 : 2;
}

static int parse_int(const char *s, int lo, int hi, int *out) {
    char *end;
    long v = s ? strtol(s, &end, 10) : 0;
    if (!s || !*s || *end || v < lo || v > hi) return 0;
    *out = (int)v;
    return 1;
}

static int parse(int argc, char **argv, opts *o) {
    *o = (opts){.threads = -1, .epochs = 3, .warmup = 1, .reps = 30, .rows = 60000, .dtypes = 1};
    int any = 0, rows = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--json") == 0) {
            o->json = 1;
        } else if (strcmp(a, "--quick") == 0) {
            o->quick = 1;
        } else if (strcmp(a, "--help") == 0) {
            return -1;
        } else if (strcmp(a, "--mpi") == 0 || strcmp(a, "--no-sweeps") == 0) {
            /* from nnblas-bench train --mpi: nothing to do */
        } else if (strcmp(a, "--data") == 0 && v && strcmp(v, "synthetic") == 0) {
            i++;
        } else if (strcmp(a, "--overlap") == 0 && v) {
            if (strcmp(v, "sync") == 0)
                o->overlap = NNB_MPI_SYNC;
            else if (strcmp(v, "test") == 0)
                o->overlap = NNB_MPI_OVERLAP_TEST;
            else if (strcmp(v, "thread") == 0)
                o->overlap = NNB_MPI_OVERLAP_THREAD;
            else
                return 0;
            i++;
        } else if (strcmp(a, "--wire") == 0 && v) {
            if (strcmp(v, "f64") == 0)
                o->wire = NNB_MPI_WIRE_NATIVE;
            else if (strcmp(v, "f32") == 0)
                o->wire = NNB_MPI_WIRE_FLOAT32;
            else
                return 0;
            i++;
        } else if (strcmp(a, "--dtype") == 0 && v) {
            if (strcmp(v, "f64") == 0)
                o->dtypes = 1;
            else if (strcmp(v, "f32") == 0)
                o->dtypes = 2;
            else if (strcmp(v, "both") == 0)
                o->dtypes = 3;
            else
                return 0;
            i++;
        } else if (strcmp(a, "--bucket") == 0 && v) {
            int kb = 0;
            if (!parse_int(v, 8, 1 << 30, &kb)) return 0;
            o->bucket = (size_t)kb;
            i++;
        } else if (strcmp(a, "--workload") == 0 && v) {
            size_t k = 0;
            while (k < N_WORKLOADS && strcmp(v, workloads[k].name) != 0 &&
                   strcmp(v, workloads[k].long_name) != 0)
                k++;
            if (k == N_WORKLOADS) return 0;
            o->want[k] = any = 1;
            i++;
        } else if ((strcmp(a, "--rows") == 0 && parse_int(v, 1, 100000000, &rows)) ||
                   (strcmp(a, "--epochs") == 0 && parse_int(v, 1, MAX_EPOCHS, &o->epochs)) ||
                   (strcmp(a, "--warmup") == 0 && parse_int(v, 0, 100, &o->warmup)) ||
                   (strcmp(a, "--threads") == 0 && parse_int(v, 0, 1024, &o->threads)) ||
                   (strcmp(a, "--reps") == 0 && parse_int(v, 1, MAX_REPS, &o->reps))) {
            i++;
        } else {
            return 0;
        }
    }
    if (o->quick) o->rows = 2048, o->epochs = 1, o->warmup = 0, o->reps = 3;
    if (rows > 0) o->rows = (size_t)rows;
    if (!any)
        for (size_t k = 0; k < N_WORKLOADS; k++) o->want[k] = 1;
    return 1;
}

/* The same synthetic data on every process. */
static void make_data(double *x, double *y, size_t rows) {
    uint64_t s = 0x9e3779b97f4a7c15ULL;
    for (size_t i = 0; i < rows * NI; i++) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        x[i] = (double)(s >> 11) * 0x1p-53;
    }
    memset(y, 0, rows * NO * sizeof *y);
    for (size_t i = 0; i < rows; i++) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        y[i * NO + s % NO] = 1;
    }
}

typedef struct result {
    size_t params, steps;
    double epoch_s, comm_step_s, isolated_s, isolated_min_s, compute_step_s;
} result;

/* The slowest process's value. */
static double max_over(double v) {
    MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    return v;
}

static int run(const workload *w, nnb_dtype dtype, const opts *o, const double *x, const double *y,
               result *r) {
    nnb_net *net = NULL;
    nnb_train_opts *t = NULL;
    nnb_history *h = NULL;
    nnb_status st = nnb_net_create_dtype(&net, NI, dtype);
    for (int l = 0; l < 2 && st == NNB_OK; l++)
        st = nnb_net_add_dense(net, w->hidden[l], NNB_ACT_SIGMOID, 1);
    if (st == NNB_OK) st = nnb_net_add_dense(net, NO, NNB_ACT_SOFTMAX, 1);
    if (st == NNB_OK) st = nnb_net_init(net, NNB_INIT_XAVIER_UNIFORM, 1);
    if (st == NNB_OK) st = nnb_train_opts_create(&t);
    if (st == NNB_OK) st = nnb_train_opts_set_optimizer(t, NNB_OPT_SGD, 0.05);
    if (st == NNB_OK) st = nnb_train_opts_set_loss(t, NNB_LOSS_CE, NNB_REDUCTION_MEAN);
    if (st == NNB_OK) st = nnb_train_opts_set_batch_size(t, w->batch);
    if (st == NNB_OK) st = nnb_train_opts_set_epochs(t, 1);
    if (st == NNB_OK) st = nnb_history_create(&h);
    nnb_mpi_opts *m = NULL;
    if (st == NNB_OK) st = nnb_mpi_opts_create(&m);
    if (st == NNB_OK) st = nnb_mpi_opts_set_overlap(m, o->overlap, o->bucket);
    if (st == NNB_OK) st = nnb_mpi_opts_set_wire(m, o->wire);
    double epoch[MAX_EPOCHS], comm[MAX_EPOCHS];
    size_t steps = (o->rows + w->batch - 1) / w->batch;
    for (int e = 0; st == NNB_OK && e < o->warmup + o->epochs; e++) {
        st = nnb_mpi_train_ex(MPI_COMM_WORLD, net, t, m, x, o->rows, NI, y, NO, h);
        if (st != NNB_OK || e < o->warmup) continue;
        size_t len = nnb_history_n_epochs(h);
        double *all = malloc(len * sizeof *all);
        if (!all) {
            st = NNB_E_NOMEM;
            break;
        }
        nnb_history_get(h, NNB_HIST_SECONDS, all, len);
        double c;
        nnb_mpi_comm_stats(NULL, NULL, &c);
        epoch[e - o->warmup] = max_over(all[len - 1]);
        comm[e - o->warmup] = max_over(c);
        free(all);
    }
    nnb_mpi_opts_free(m);
    if (st != NNB_OK) {
        if (rank == 0) fprintf(stderr, "nnblas-bench mpi: %s: %s\n", w->name, nnb_last_error());
        nnb_history_free(h), nnb_train_opts_free(t), nnb_net_free(net);
        return 0;
    }
    /* the gradient all-reduce alone, after a barrier (floats for a float32 network) */
    size_t n = nnb_net_n_params(net);
    MPI_Datatype type = dtype == NNB_F32 ? MPI_FLOAT : MPI_DOUBLE;
    double *buf = calloc(n + 2, sizeof *buf), iso[MAX_REPS];
    if (buf) /* once untimed: the pages and MPI's buffers are touched */
        MPI_Allreduce(MPI_IN_PLACE, buf, (int)(n + 2), type, MPI_SUM, MPI_COMM_WORLD);
    for (int k = 0; buf && k < o->reps; k++) {
        MPI_Barrier(MPI_COMM_WORLD);
        double t0 = MPI_Wtime();
        MPI_Allreduce(MPI_IN_PLACE, buf, (int)(n + 2), type, MPI_SUM, MPI_COMM_WORLD);
        iso[k] = max_over(MPI_Wtime() - t0);
    }
    r->params = n;
    r->steps = steps;
    r->epoch_s = nnbb_median(epoch, (size_t)o->epochs);
    r->comm_step_s = nnbb_median(comm, (size_t)o->epochs) / (double)steps;
    r->isolated_s = size > 1 && buf ? nnbb_median(iso, (size_t)o->reps) : 0;
    r->isolated_min_s = size > 1 && buf ? iso[0] : 0; /* nnbb_median sorted them */
    r->compute_step_s = r->epoch_s / (double)steps - r->comm_step_s;
    free(buf);
    nnb_history_free(h), nnb_train_opts_free(t), nnb_net_free(net);
    return 1;
}

/* The batch per process at which a ring all-reduce of `bytes` over `gbit` Gbit/s takes 10 % of a
 * step, for N processes, given the compute per sample. */
static double batch_for_10pct(double bytes, double gbit, int n, double compute_per_sample) {
    double t_comm = 2.0 * (n - 1) / n * bytes / (gbit * 1e9 / 8);
    return 9 * t_comm / compute_per_sample;
}

static const char *const overlap_names[3] = {"sync", "test", "thread"};

/* Runs workload w in `dtype` and prints its row (rank 0). 0 when it failed. */
static int report(const workload *w, nnb_dtype dtype, const opts *o, const double *x,
                  const double *y, int threads, int n_eff) {
    result r;
    if (!run(w, dtype, o, x, y, &r)) return 0;
    /* a float32 network: its gradient and two counters as floats, whatever the wire */
    const int f32 = dtype == NNB_F32, wire32 = o->wire == NNB_MPI_WIRE_FLOAT32 && !f32;
    double bytes =
               f32 ? 4.0 * ((double)r.params + 2) : (wire32 ? 4.0 : 8.0) * (double)r.params + 16,
           sps = (double)o->rows / r.epoch_s;
    double gflops = 6.0 * (double)r.params * sps / 1e9;
    double per_sample = r.compute_step_s * size / (double)w->batch; /* one process's */
    double b10 = batch_for_10pct(bytes, 10, n_eff, per_sample);
    double b100 = batch_for_10pct(bytes, 100, n_eff, per_sample);
    double frac = r.comm_step_s / (r.epoch_s / (double)r.steps);
    if (rank != 0) return 1;
    if (o->json) {
        printf("{\"bench\":\"mpi\",\"isa\":\"%s\",\"threads\":%d,\"processes\":%d,"
               "\"workload\":\"%s\",\"params\":%zu,\"batch\":%zu,\"rows\":%zu,\"steps\":%zu,"
               "\"bytes_per_step\":%.0f,\"overlap\":\"%s\",\"bucket_bytes\":%zu,"
               "\"wire\":\"%s\",\"dtype\":\"%s\",\"layers\":[%d,%zu,%zu,%d],\"corename\":\"%s\", ",
               nnb_kernel_isa(), threads, size, w->name, r.params, w->batch, o->rows, r.steps,
               bytes, overlap_names[o->overlap], o->bucket ? o->bucket : (size_t)512 << 10,
               f32 || wire32 ? "f32" : "f64", f32 ? "f32" : "f64", NI, w->hidden[0], w->hidden[1],
               NO, openblas_get_corename());
        nnbb_json_num(stdout, "step_s", r.epoch_s / (double)r.steps, 0);
        nnbb_json_num(stdout, "epoch_s", r.epoch_s, 0);
        nnbb_json_num(stdout, "samples_per_s", sps, 0);
        nnbb_json_num(stdout, "gflops", gflops, 0);
        nnbb_json_num(stdout, "allreduce_step_s", r.comm_step_s, 0);
        nnbb_json_num(stdout, "allreduce_alone_s", size > 1 ? r.isolated_s : NAN, 0);
        nnbb_json_num(stdout, "allreduce_alone_min_s", size > 1 ? r.isolated_min_s : NAN, 0);
        nnbb_json_num(stdout, "compute_step_s", r.compute_step_s, 0);
        nnbb_json_num(stdout, "comm_fraction", frac, 0);
        nnbb_json_num(stdout, "batch_per_process_10pct_10gbit", b10, 0);
        nnbb_json_num(stdout, "batch_per_process_10pct_100gbit", b100, 1);
        printf("}\n");
    } else {
        printf("%-4s %-5s %8zu %5zu %8.3f %9.0f %8.1f %8.2f %8.3f %8.3f %8.3f %8.3f %6.1f %7.0f "
               "%7.0f\n",
               w->name, f32 ? "f32" : "f64", r.params, w->batch, r.epoch_s, sps, gflops,
               bytes / 1e6, r.comm_step_s * 1e3, r.isolated_s * 1e3, r.isolated_min_s * 1e3,
               r.compute_step_s * 1e3, 100 * frac, b10, b100);
    }
    fflush(stdout);

    return 1;
}

int nnbb_mpi_main(int argc, char **argv) {
    int inited = 0, level = 0;
    MPI_Initialized(&inited);
    /* SERIALIZED: --overlap thread's progress thread */
    if (!inited && MPI_Init_thread(&argc, &argv, MPI_THREAD_SERIALIZED, &level) != MPI_SUCCESS) {
        fprintf(stderr, "nnblas-bench mpi: MPI_Init failed\n");
        return 1;
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    opts o;
    int p = parse(argc, argv, &o);
    if (p <= 0) {
        int rc = usage(p < 0 ? stdout : stderr);
        MPI_Finalize();
        return rc;
    }
    int threads = o.threads >= 0 ? o.threads : size > 1 ? 1 : 0;
    nnb_set_num_threads(threads);
    threads = nnb_get_num_threads();
    double *x = malloc(o.rows * NI * sizeof *x), *y = malloc(o.rows * NO * sizeof *y);
    int ok = x && y;
    MPI_Allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    if (!ok) {
        if (rank == 0) fprintf(stderr, "nnblas-bench mpi: no memory for %zu rows\n", o.rows);
        free(x), free(y);
        MPI_Finalize();
        return 1;
    }
    make_data(x, y, o.rows);
    int n_eff = size > 1 ? size : 2;
    if (rank == 0 && !o.json) {
        nnbb_print_machine(stdout);
        printf("# OpenBLAS core %s, gradient sum: %s\n", openblas_get_corename(),
               overlap_names[o.overlap]);
        printf("# %d process%s x %d OpenBLAS thread%s, kernels %s, %zu rows, median of %d "
               "epoch%s after %d warm-up\n",
               size, size > 1 ? "es" : "", threads, threads > 1 ? "s" : "", nnb_kernel_isa(),
               o.rows, o.epochs, o.epochs > 1 ? "s" : "", o.warmup);
        printf("%-4s %-5s %8s %5s %8s %9s %8s %8s %8s %8s %8s %8s %6s %7s %7s\n", "net", "dtype",
               "params", "batch", "epoch s", "samples/s", "GFLOP/s", "MB/step", "ms comm",
               "ms alone", "ms min", "ms comp", "comm%", "b@10Gb", "b@100Gb");
    }
    int status = 0;
    for (size_t k = 0; k < N_WORKLOADS; k++)
        for (int d = 0; d < 2; d++)
            if (o.want[k] && (o.dtypes >> d & 1) &&
                !report(&workloads[k], d ? NNB_F32 : NNB_F64, &o, x, y, threads, n_eff))
                status = 1;
    if (rank == 0 && !o.json)
        printf(
            "# comm: in the all-reduce per step while training (waits included); alone, min: the\n"
            "# same MPI_Allreduce after a barrier, median and fastest; comp: the rest of a step;\n"
            "# b@10Gb, b@100Gb: the batch per process at which a ring all-reduce over that "
            "network\n"
            "# would take 10 %% of a step (%d processes)\n",
            n_eff);
    free(x), free(y);
    MPI_Finalize();
    return status;
}
