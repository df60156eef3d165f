/*
 * nnblas-bench: the benchmark programs, one subcommand each.
 *
 *   nnblas-bench kernels [--quick] [--json] ...   the element-wise kernels (bench_kernels.c)
 *   nnblas-bench train [--quick] [--json] ...     training throughput against the dgemm ceiling
 *                                                 (bench_train.c)
 *   nnblas-bench data [--quick] [--json]          CSV and IDX reading speed (bench_data.c)
 *   nnblas-bench conv [--quick] [--json] ...      the convolutional network's step against its
 *                                                 GEMM ceiling, part by part (bench_conv.c)
 *   nnblas-bench export [--quick] [--json] ...    generated C predict against nnb_net_predict
 *                                                 (bench_export.c)
 *   nnblas-bench mpi [--quick] [--json] ...       data-parallel training over MPI (bench_mpi.c;
 *                                                 built with MPI only)
 *
 * Every subcommand prints a human-readable table, or with --json one JSON object per line with at
 * least "bench", "isa" and "threads" (docs/design.md, "Tests, CI and benchmarks"). Benchmarks
 * report; they never assert times.
 * A new subcommand is a file with an `int nnbb_<name>_main(int argc, char **argv)` (argv[0] is
 * the subcommand's name) and a line in the table below.
 */
#include <stdio.h>
#include <string.h>

#include "bench_conv.h"
#include "bench_data.h"
#include "bench_export.h"
#include "bench_kernels.h"
#ifdef NNBB_HAVE_MPI
#  include "bench_mpi.h"
#endif
#include "bench_train.h"

static const struct {
    const char *name;
    int (*main)(int argc, char **argv);
    const char *what;
} commands[] = {
    {"kernels", nnbb_kernels_main,
     "element-wise kernels per instruction set, beside a libm sigmoid loop and a copy"},
    {"train", nnbb_train_main,
     "training samples/s per epoch against the bare dgemm calls of the same epoch"},
    {"data", nnbb_data_main, "CSV and IDX (Fashion-MNIST) reading speed in MB/s"},
    {"conv", nnbb_conv_main,
     "the CNN of issue 24 in the convolution formulation against its GEMM calls, part by part"},
    {"export", nnbb_export_main,
     "generated C source's single-sample predict against the library's nnb_net_predict"},
#ifdef NNBB_HAVE_MPI
    {"mpi", nnbb_mpi_main, "data-parallel training over MPI (w2, w3): compute and all-reduce"},
#endif
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static int usage(FILE *f) {
    fprintf(f, "usage: nnblas-bench <command> [options]   (nnblas-bench <command> --help)\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].what);
    return f == stdout ? 0 : 2;
}

int main(int argc, char **argv) {
    if (argc < 2) return usage(stderr);
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) return usage(stdout);
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(argv[1], commands[i].name) == 0) return commands[i].main(argc - 1, argv + 1);
    fprintf(stderr, "nnblas-bench: unknown command '%s'\n", argv[1]);
    return usage(stderr);
}
