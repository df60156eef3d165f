/* include/nnblas_mpi.h compiles on its own as C99 -pedantic -Werror (and, from header_mpi.cpp, as
 * C++11), and links against libnnblas_mpi. It is not run: it would need mpirun. */
#include "nnblas_mpi.h"

int main(void) {
    size_t calls = 0;
    nnb_mpi_comm_stats(&calls, NULL, NULL);
    nnb_status (*train)(MPI_Comm, nnb_net *, const nnb_train_opts *, const double *, size_t, size_t,
                        const double *, size_t, nnb_history *) = nnb_mpi_train;
    nnb_status (*bcast)(MPI_Comm, nnb_net *, int) = nnb_mpi_bcast_net;
    return (train != 0) + (bcast != 0) + (int)calls == 2 ? 0 : 1;
}
