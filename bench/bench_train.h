#ifndef NNBB_TRAIN_H
#define NNBB_TRAIN_H
/* nnblas-bench train: training throughput against the bare-dgemm ceiling (bench_train.c). */
int nnbb_train_main(int argc, char **argv);
#endif
