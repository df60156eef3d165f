#ifndef NNBB_EXPORT_H
#define NNBB_EXPORT_H
/* nnblas-bench export: generated C predict against nnb_net_predict (bench_export.c). */
int nnbb_export_main(int argc, char **argv);
#endif
