#ifndef NNBB_TRAIN_CNN_H
#define NNBB_TRAIN_CNN_H
/* nnblas-bench train --workload cnn-fashion: issue 24's convolutional network trained through the
 * public API against the ceiling of its GEMM calls (bench_train_cnn.c). */
#include <stddef.h>

#define NNBB_CNN_WORKLOAD "cnn-fashion"

typedef struct nnbb_cnn_opts {
    int json;
    const int *threads;
    size_t n_threads;
    size_t rows, epochs, rounds;
    int dtypes; /* bit 0: float64 rows, bit 1: float32 rows */
} nnbb_cnn_opts;

/* Measures and reports (a table row or a JSON line) each thread count and type; 0, or -1 when a
 * measurement failed. */
int nnbb_train_cnn(const nnbb_cnn_opts *o);

/* The table's heading (the human-readable output). */
void nnbb_train_cnn_heading(void);

#endif
