#ifndef NNBB_DATA_H
#define NNBB_DATA_H
/* nnblas-bench data: CSV and IDX reading speed (bench_data.c). */
int nnbb_data_main(int argc, char **argv);
#endif
