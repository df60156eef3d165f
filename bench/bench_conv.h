#ifndef NNBB_CONV_H
#define NNBB_CONV_H
/* nnblas-bench conv: issue 24's convolutional network in the layer kinds' formulation against its
 * GEMM ceiling, part by part (bench_conv.c). */
int nnbb_conv_main(int argc, char **argv);
#endif
