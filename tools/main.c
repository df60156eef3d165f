/* The nnblas command's main(): everything else is in the nnblas_cli library (nnblas.c). */
#include "cli.h"

int main(int argc, char **argv) { return nnblas_main(argc, argv); }
