/**
 * @file nnblas_mpi.h
 * nnblas_mpi — data-parallel training over MPI (libnnblas_mpi.so.0, pkg-config nnblas_mpi).
 *
 * A companion of libnnblas, built when nnblas is configured with MPI (meson -Dmpi=auto, the
 * default, or -Dmpi=enabled). libnnblas itself never calls MPI; this library connects its
 * data-parallel hooks (nnb_train_opts_set_shard, nnb_train_opts_set_allreduce, see nnblas.h) to an
 * MPI communicator:
 *
 *     MPI_Init(&argc, &argv);
 *     // every rank reads the same data and builds the same network (its weights need not be
 *     // the same: rank 0's are broadcast)
 *     nnb_status st = nnb_mpi_train(MPI_COMM_WORLD, net, opts, x, n_rows, n_inputs, y, n_outputs,
 *                                  hist);
 *     // every rank now holds the same weights; let rank 0 alone write files
 *     MPI_Finalize();
 *
 * Every rank trains on its share of every global mini-batch (the batch size set in the options is
 * the global one), one MPI_Allreduce per step sums the gradient arena (8 bytes per parameter plus
 * a few counters), and the epoch losses, accuracies, validation and stop decisions are summed too,
 * so N ranks reach the weights of one process up to the rounding of the sums (tested to 1e-10
 * relative). Dropout masks are drawn per rank. Levenberg-Marquardt is not data-parallel.
 *
 * Errors: the functions never abort and never hang on an error another rank raised: an error on
 * one rank (bad data, NaN with the non-finite check, a failed MPI call, a callback that stops)
 * ends the call on every rank with an error. MPI errors become NNB_E_COMM with MPI's own text in
 * nnb_last_error(). A rank that dies (exit, abort, a signal) is the MPI launcher's business:
 * mpirun then ends the whole job.
 *
 * Threads: the functions make MPI calls on the calling thread on a duplicate of `comm` (with the
 * error handler MPI_ERRORS_RETURN; the caller's communicator is not changed). MPI must be
 * initialised (any thread level) and stay initialised during the call; several threads may call
 * them concurrently only with MPI_THREAD_MULTIPLE and different communicators.
 *
 * C++: Open MPI's mpi.h pulls in its deprecated C++ bindings, whose symbols live in a library
 * (libmpi_cxx) that `pkg-config nnblas_mpi` does not link; compile with -DOMPI_SKIP_MPICXX
 * (nnblas_mpi.pc's Cflags carry it, and this header defines it when it is the first to include
 * mpi.h) so that only MPI's C interface is used.
 */
#ifndef NNBLAS_MPI_H
#define NNBLAS_MPI_H

#include <stddef.h>

#if defined(__cplusplus)
#  ifndef OMPI_SKIP_MPICXX
#    define OMPI_SKIP_MPICXX 1
#  endif
#  ifndef MPICH_SKIP_MPICXX
#    define MPICH_SKIP_MPICXX 1
#  endif
#endif
#include <mpi.h>

#include "nnblas.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Trains `net` data-parallel over the ranks of `comm`: a collective call, made by every rank of
 * `comm` with its own network, options and copy of the data (the same on every rank).
 *
 * What it does: checks that every rank has the same data shape (n_rows, n_inputs, n_outputs) and
 * the same network layout; broadcasts rank 0's parameters and training state (optimiser moments,
 * counters, generator) to the other ranks; then runs nnb_net_train() on every rank with a copy of
 * `opts` that sets the shard to (rank, size) and an all-reduce made of MPI_Allreduce(MPI_IN_PLACE,
 * MPI_DOUBLE, MPI_SUM) (preceded by a 4-integer MPI_Allreduce that checks every rank is still
 * training and reducing the same count); finally the ranks agree on the outcome. `opts` itself is
 * not changed. x is n_rows x n_inputs and y n_rows x n_outputs, row-major, read in place, as for
 * nnb_net_train(); history (may be NULL) gets one record per epoch (the same losses and accuracies
 * on every rank: they are summed over the ranks).
 *
 * With one rank it is nnb_net_train() on a copy of the options. With N ranks the weights equal one
 * process's up to the rounding of the sums (the loss and gradient of a batch are sums of N parts);
 * they are the same bits on every rank. Callbacks run on every rank; a stop requested on one rank
 * stops all of them at the next step.
 *
 * @return NNB_OK on every rank, or an error on every rank: a rank where the error arose returns its
 *         own status and message (what nnb_net_train() returns: NNB_E_NULL, NNB_E_SHAPE,
 *         NNB_E_NONFINITE, NNB_E_CANCELLED, ...); the others return the same status with the
 *         message "nnb_mpi_train: rank R of N failed: <its message>". Besides nnb_net_train()'s
 *         codes:
 *         NNB_E_STATE (MPI is not initialised, or already finalised: returned at once, without
 *         collective calls); NNB_E_INVALID_ARG (comm is MPI_COMM_NULL or an intercommunicator:
 *         at once); NNB_E_SHAPE (the ranks have different rows, columns or network layouts);
 *         NNB_E_UNSUPPORTED (Levenberg-Marquardt with more than one rank); NNB_E_COMM (an MPI call
 *         failed, with MPI's error text; or the ranks ran different numbers of steps, e.g. other
 *         epochs or callbacks on one rank). After an error the weights may differ between ranks.
 * NULL: net or opts NULL on a rank is NNB_E_NULL there (and an error on the others); x or y NULL
 * as in nnb_net_train().
 * Thread notes: see the top of this header; net and opts are used as by nnb_net_train().
 * Since 0.1.
 * @param comm      the communicator (every rank of it calls)
 * @param net       this rank's network
 * @param opts      the training options (not changed)
 * @param x         the inputs, n_rows x n_inputs, row-major (the same on every rank)
 * @param n_rows    the number of rows
 * @param n_inputs  the columns of x
 * @param y         the targets, n_rows x n_outputs
 * @param n_outputs the columns of y
 * @param history   receives one record per epoch; may be NULL
 */
NNB_API nnb_status nnb_mpi_train(MPI_Comm comm, nnb_net *net, const nnb_train_opts *opts,
                                 const double *x, size_t n_rows, size_t n_inputs, const double *y,
                                 size_t n_outputs, nnb_history *history);

/** @brief How nnb_mpi_train_ex() sums the gradient. Since 0.2. */
typedef enum nnb_mpi_overlap {
    /** one blocking MPI_Allreduce after the backward pass (nnb_mpi_train()'s way) */
    NNB_MPI_SYNC = 0,
    /** non-blocking all-reduces of buckets started during the backward pass as the layers'
     *  gradients become final (last layer first), advanced by MPI_Test between the pieces of the
     *  pass, waited for before the optimiser step: with two ranks a pair of MPI_Isend/MPI_Irecv
     *  per bucket (both directions of the link at once) and the sum after the wait, else
     *  MPI_Iallreduce */
    NNB_MPI_OVERLAP_TEST = 1,
    /** the same, advanced by a progress thread of this library that calls MPI_Testall every
     *  200 microseconds (environment NNB_MPI_POLL_US) while buckets are in flight; it needs MPI
     *  initialised with MPI_THREAD_SERIALIZED or more (MPI_Init_thread), else it falls back to
     *  NNB_MPI_OVERLAP_TEST */
    NNB_MPI_OVERLAP_THREAD = 2
} nnb_mpi_overlap;

/** @brief The gradient's format on the wire. Since 0.2. */
typedef enum nnb_mpi_wire {
    NNB_MPI_WIRE_NATIVE = 0, /**< the network's own (float64): one process's sums, to rounding */
    /** float32 for a float64 network's gradient: half the bytes; each rank's gradient is rounded
     *  to float32 and summed in float32, so the run is no longer equal to one process's to
     *  rounding (docs/mpi.md states the measured difference) */
    NNB_MPI_WIRE_FLOAT32 = 1
} nnb_mpi_wire;

/** @brief Options of nnb_mpi_train_ex() (opaque). */
typedef struct nnb_mpi_opts nnb_mpi_opts;

/**
 * @brief Creates options with the defaults: NNB_MPI_SYNC, 512 KiB buckets, NNB_MPI_WIRE_NATIVE.
 * @param out receives the handle (free with nnb_mpi_opts_free())
 * @return NNB_OK, NNB_E_NULL (out NULL) or NNB_E_NOMEM.
 * Since 0.2.
 */
NNB_API nnb_status nnb_mpi_opts_create(nnb_mpi_opts **out);

/**
 * @brief Frees options.
 * @param opts the handle; NULL is a no-op
 * Since 0.2.
 */
NNB_API void nnb_mpi_opts_free(nnb_mpi_opts *opts);

/**
 * @brief Sets how the gradient is summed, and the bucket size of the overlapped modes.
 *
 * A bucket gathers the gradient of consecutive layers (last first) until it holds at least half
 * of bucket_bytes (of the network's gradient values: float64, or float32 for a float32 network,
 * whose buckets then carry MPI_FLOAT), and a layer whose gradient is larger is computed and sent
 * in blocks of whole rows of at most bucket_bytes; its all-reduce then starts at once.
 * Smaller buckets start sending earlier, larger ones pay less latency. Every rank must set the
 * same mode (synchronous or overlapped) and bucket size (else NNB_E_SHAPE at the call).
 * @param opts the options
 * @param mode NNB_MPI_SYNC, NNB_MPI_OVERLAP_TEST or NNB_MPI_OVERLAP_THREAD
 * @param bucket_bytes the bucket size in bytes, 8 to 2^40; 0 for the default (512 KiB)
 * @return NNB_OK, NNB_E_NULL, or NNB_E_INVALID_ARG (unknown mode, size out of range).
 * Since 0.2.
 */
NNB_API nnb_status nnb_mpi_opts_set_overlap(nnb_mpi_opts *opts, nnb_mpi_overlap mode,
                                            size_t bucket_bytes);

/**
 * @brief Sets the gradient's wire format (the same on every rank, else NNB_E_SHAPE at the call).
 * @param opts the options
 * @param wire NNB_MPI_WIRE_NATIVE or NNB_MPI_WIRE_FLOAT32
 * @return NNB_OK, NNB_E_NULL, or NNB_E_INVALID_ARG (unknown format).
 * Since 0.2.
 */
NNB_API nnb_status nnb_mpi_opts_set_wire(nnb_mpi_opts *opts, nnb_mpi_wire wire);

/**
 * @brief The getter of nnb_mpi_opts_set_overlap(): the mode and the bucket size in bytes
 *        (NNB_MPI_SYNC and 512 KiB by default).
 * @param opts the options
 * @param mode receives the mode; may be NULL
 * @param bucket_bytes receives the bucket size in bytes; may be NULL
 * @return NNB_OK, or NNB_E_NULL (opts NULL).
 * Since 0.2.
 */
NNB_API nnb_status nnb_mpi_opts_get_overlap(const nnb_mpi_opts *opts, nnb_mpi_overlap *mode,
                                            size_t *bucket_bytes);

/**
 * @brief The getter of nnb_mpi_opts_set_wire(): the gradient's wire format
 *        (NNB_MPI_WIRE_NATIVE by default).
 * @param opts the options
 * @param wire receives the format; may be NULL
 * @return NNB_OK, or NNB_E_NULL (opts NULL).
 * Since 0.2.
 */
NNB_API nnb_status nnb_mpi_opts_get_wire(const nnb_mpi_opts *opts, nnb_mpi_wire *wire);

/**
 * @brief nnb_mpi_train() with options: overlap of the all-reduce with the backward pass, and the
 * wire format.
 *
 * Everything nnb_mpi_train() says holds (it is this call with mopts NULL). With overlap the
 * gradient is summed by MPI_Iallreduce over buckets on a duplicate communicator of its own, so the
 * sums, and hence the weights, are the same as with NNB_MPI_SYNC to rounding (tested to 1e-10
 * against one process); the check that every rank is still training moves to the start of each
 * backward pass. A float32 network overlaps the same way, with float buckets (MPI_FLOAT): the
 * same sums as its synchronous float32 path's (tested bit for bit with two ranks). With one rank
 * the options change nothing.
 * @param comm the communicator (every rank of it calls)
 * @param net this rank's network
 * @param opts the training options (not changed)
 * @param mopts the MPI options, or NULL for the synchronous path
 * @param x the inputs, n_rows x n_inputs, row-major (the same on every rank)
 * @param n_rows the number of rows
 * @param n_inputs x's columns
 * @param y the targets, n_rows x n_outputs
 * @param n_outputs y's columns
 * @param history receives one record per epoch (may be NULL)
 * @return as nnb_mpi_train(); besides, NNB_E_SHAPE when the ranks' modes, bucket sizes or wire
 *         formats differ, and NNB_E_NOMEM.
 * Since 0.2.
 */
NNB_API nnb_status nnb_mpi_train_ex(MPI_Comm comm, nnb_net *net, const nnb_train_opts *opts,
                                    const nnb_mpi_opts *mopts, const double *x, size_t n_rows,
                                    size_t n_inputs, const double *y, size_t n_outputs,
                                    nnb_history *history);

/**
 * Broadcasts the parameters and the training state (nnb_net_train_state_get) of rank `root`'s
 * network to the networks of the other ranks of `comm`, which must have the same layout (inputs,
 * layers, units, activations, biases). A collective call; nnb_mpi_train() does it before training.
 * Use it to start every rank from one network, e.g. after rank 0 alone loaded a model file.
 * @return NNB_OK on every rank, or an error on every rank (as for nnb_mpi_train()): NNB_E_NULL
 *         (net NULL on a rank); NNB_E_SHAPE (the layouts, or the roots given, differ between
 *         ranks); NNB_E_INVALID_ARG (root out of range, comm MPI_COMM_NULL or an
 *         intercommunicator); NNB_E_STATE (MPI not initialised); NNB_E_NOMEM; NNB_E_COMM (an MPI
 *         call failed).
 * Since 0.1.
 * @param comm the communicator (every rank of it calls)
 * @param net  this rank's network
 * @param root the rank whose network the others receive
 */
NNB_API nnb_status nnb_mpi_bcast_net(MPI_Comm comm, nnb_net *net, int root);

/**
 * What the last nnb_mpi_train() on this thread spent in its all-reduces (any out-pointer may be
 * NULL): the number of all-reduce calls (one per mini-batch, plus one or two per epoch), the
 * doubles summed over all of them (per mini-batch: the parameter count plus 2), and the wall
 * seconds inside them, which include waiting for the slowest rank. Zeros before any call.
 * Thread-safe (thread-local). Since 0.1.
 * @param n_calls  receives the number of all-reduce calls; may be NULL
 * @param n_values receives the doubles summed; may be NULL
 * @param seconds  receives the wall seconds inside them; may be NULL
 */
NNB_API void nnb_mpi_comm_stats(size_t *n_calls, size_t *n_values, double *seconds);

#ifdef __cplusplus
}
#endif

#endif
