/* nnblas-bench kernels (bench_kernels.c). */
#ifndef NNBB_KERNELS_H
#define NNBB_KERNELS_H

int nnbb_kernels_main(int argc, char **argv);

#endif
