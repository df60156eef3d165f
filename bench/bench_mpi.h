/* nnblas-bench mpi (bench_mpi.c), built with MPI only. */
#ifndef NNBB_MPI_H
#define NNBB_MPI_H

int nnbb_mpi_main(int argc, char **argv);

#endif
