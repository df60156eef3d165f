// include/nnblas_mpi.h compiles as C++11 (-pedantic -Werror) and links (not run).
#include "header_mpi.c"
