/*
 * nnblas train under an MPI launcher (`mpirun -np N nnblas train ...`).
 *
 * Built with MPI (NNBLAS_WITH_MPI; meson -Dmpi=auto finds it): when an MPI launcher started the
 * command with more than one process, `train` initialises MPI and trains data-parallel over
 * MPI_COMM_WORLD with nnb_mpi_train(). Every process parses the same command line and reads the
 * data itself; only rank 0 prints (the other ranks' standard output goes to /dev/null, their
 * standard error to a temporary file) and writes the model file. A process that fails before
 * training (a usage error, a file it cannot read) makes the others stop before training too: the
 * ranks agree once, right before training (cli_train) or, for a rank that never got there, at the
 * end of the command; rank 0 then reports the first failing rank's message.
 *
 * Built without MPI, a command started by a launcher with more than one process refuses to run
 * (each process would train alone and write the same files).
 *
 * The command runs train between cli_mpi_begin() and cli_mpi_end() (nnblas.c); train itself only
 * calls cli_train(), cli_rank() and cli_processes(), so this file never calls back into train.
 *
 * This is the one place of the command that keeps state outside main's locals: MPI's (rank, size,
 * whether this rank took part in the agreement), process-wide by nature.
 */
#define NNB_EXPERIMENTAL /* nnb_set_error() */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* The number of processes the launcher started (OMPI_COMM_WORLD_SIZE: Open MPI's mpirun;
 * PMI_SIZE: MPICH's and Intel MPI's); 0 if not started by one; -1 if started by a PMIx launcher
 * (srun --mpi=pmix) that does not say. */
static long launched_size(void) {
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *s = getenv(vars[i]);
        char *end;
        long n = s ? strtol(s, &end, 10) : 0;
        if (s && *s && *end == '\0' && n > 0) return n;
    }
    return getenv("PMIX_RANK") ? -1 : 0;
}

#ifdef NNBLAS_WITH_MPI

#  include <fcntl.h>
#  include <unistd.h>

#  include "nnblas_mpi.h"

enum { TEXT = 1024 };

static struct {
    run_identity id; /* what this process read and prepared (cli_set_identity) */
    int initialised; /* MPI initialised by us (cli_mpi_begin) */
    int active;      /* and more than one process */
    int rank, size;
    int agreed; /* this rank took part in the agreement before training */
    int err_fd; /* ranks > 0: the file standard error goes to (-1: none) */
} mpi = {{0, 0, 0, ""}, 0, 0, 0, 1, 0, -1};

void cli_set_identity(const run_identity *id) { mpi.id = *id; }

/* Ranks > 0 print nothing: stdout to /dev/null, stderr to a temporary file (its first line is
 * what rank 0 reports if this rank fails before training). */
static void quiet_outputs(void) {
    fflush(stdout);
    fflush(stderr);
    int null = open("/dev/null", O_WRONLY);
    if (null >= 0) {
        dup2(null, STDOUT_FILENO);
        close(null);
    }
    FILE *t = tmpfile();
    if (t) {
        int fd = dup(fileno(t));
        fclose(t);
        if (fd >= 0 && dup2(fd, STDERR_FILENO) >= 0)
            mpi.err_fd = fd;
        else if (fd >= 0)
            close(fd);
    }
}

/* The first line this rank wrote to stderr (ranks > 0). */
static void captured_text(char text[TEXT]) {
    text[0] = '\0';
    fflush(stderr);
    if (mpi.err_fd < 0) return;
    ssize_t n = pread(mpi.err_fd, text, TEXT - 1, 0);
    text[n > 0 ? n : 0] = '\0';
    char *nl = strchr(text, '\n');
    if (nl) *nl = '\0';
}

/* The agreement before training: every rank says whether it failed; returns the first rank that
 * did (mpi.size if none) and its message in text. A rank that failed calls it from
 * cli_mpi_end(), the others from cli_train(): the same collective calls either way. */
static int agree_ready(int failed, char text[TEXT]) {
    int first = failed ? mpi.rank : mpi.size;
    text[0] = '\0';
    mpi.agreed = 1;
    if (MPI_Allreduce(MPI_IN_PLACE, &first, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD) != MPI_SUCCESS)
        return mpi.size; /* nnb_mpi_train will report what is wrong with MPI */
    if (first < mpi.size) {
        if (first == mpi.rank) captured_text(text);
        MPI_Bcast(text, TEXT, MPI_CHAR, first, MPI_COMM_WORLD);
        text[TEXT - 1] = '\0';
    }
    return first;
}

/* "processes 1, 3 of 4" (those whose identity differs from process 0's) into list; the first
 * of them, or -1. */
static int differing(const run_identity *all, char *list, size_t len) {
    int n = 0, first = -1;
    char nums[128] = "";
    for (int r = 1; r < mpi.size; r++) {
        const run_identity *a = &all[0], *b = &all[r];
        if (a->data_crc == b->data_crc && a->data_bytes == b->data_bytes &&
            a->model_hash == b->model_hash)
            continue;
        if (first < 0) first = r;
        size_t at = strlen(nums);
        if (at + 16 < sizeof nums) snprintf(nums + at, sizeof nums - at, "%s%d", n ? ", " : "", r);
        n++;
    }
    snprintf(list, len, "%s %s of %d", n > 1 ? "processes" : "process", nums, mpi.size);
    return first;
}

/* Every process's identity against process 0's: an error naming those that differ (the same on
 * every process), or NNB_OK. */
static nnb_status agree_identity(void) {
    run_identity *all = malloc((size_t)mpi.size * sizeof *all);
    int ok = all != NULL; /* every process takes part in the collectives, whatever happened */
    MPI_Allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    if (!ok) return free(all), nnb_set_error(NNB_E_NOMEM, "out of memory");
    if (MPI_Allgather(&mpi.id, (int)sizeof mpi.id, MPI_BYTE, all, (int)sizeof mpi.id, MPI_BYTE,
                      MPI_COMM_WORLD) != MPI_SUCCESS)
        return free(all), NNB_OK; /* nnb_mpi_train reports what is wrong with MPI */
    char list[160], msg[1024];
    int r = differing(all, list, sizeof list);
    const run_identity *a = &all[0], *b = r > 0 ? &all[r] : NULL;
    if (b && (a->data_crc != b->data_crc || a->data_bytes != b->data_bytes))
        snprintf(msg, sizeof msg,
                 "the processes read different data: %s; process %d read %llu bytes "
                 "(CRC-32 %08lx, classes %s), process 0 %llu bytes (CRC-32 %08lx, classes %s). "
                 "Every process must read the same data (the same file on every node)",
                 list, r, (unsigned long long)b->data_bytes, (unsigned long)b->data_crc, b->classes,
                 (unsigned long long)a->data_bytes, (unsigned long)a->data_crc, a->classes);
    else if (b)
        snprintf(msg, sizeof msg,
                 "the processes prepared the same data differently: %s; process %d has "
                 "classes %s, process 0 %s (were they given different options?)",
                 list, r, b->classes, a->classes);
    free(all);
    return b ? nnb_set_error(NNB_E_INVALID_ARG, msg) : NNB_OK;
}

nnb_status cli_train(nnb_net *net, const nnb_train_opts *opts, const mat *x, const mat *y,
                     nnb_history *hist) {
    if (!mpi.active) return mat_train(net, opts, x, y, hist);
    char text[TEXT];
    int first = agree_ready(0, text);
    if (first < mpi.size) {
        char msg[TEXT + 80];
        snprintf(msg, sizeof msg, "process %d of %d stopped before training%s%s", first, mpi.size,
                 text[0] ? ": " : "", text);
        return nnb_set_error(NNB_E_COMM, msg);
    }
    nnb_status st = agree_identity();
    if (st != NNB_OK) return st;
    /* nnb_mpi_train takes float64 data: run_train reads it so under MPI (a float32 network
     * converts each batch) */
    if (x->dtype != NNB_F64 || y->dtype != NNB_F64)
        return nnb_set_error(NNB_E_UNSUPPORTED, "data-parallel training takes float64 data");
    return nnb_mpi_train(MPI_COMM_WORLD, net, opts, x->v, x->rows, x->cols, y->v, y->cols, hist);
}

int cli_rank(void) { return mpi.rank; }
int cli_processes(void) { return mpi.size; }

int cli_mpi_begin(void) {
    if (launched_size() == 0 || launched_size() == 1) return -1;
    int rc = MPI_Init(NULL, NULL);
    if (rc != MPI_SUCCESS) return fail("MPI_Init failed (error %d)", rc);
    mpi.initialised = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &mpi.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &mpi.size);
    mpi.active = mpi.size > 1;
    if (mpi.rank > 0) quiet_outputs();
    return -1;
}

int cli_mpi_end(int status) {
    if (!mpi.initialised) return status;
    if (mpi.active && !mpi.agreed) { /* stopped before training: the others must hear of it */
        char text[TEXT];
        agree_ready(1, text);
    }
    fflush(stdout);
    fflush(stderr);
    MPI_Finalize();
    return status;
}

#else /* built without MPI */

void cli_set_identity(const run_identity *id) { (void)id; }

nnb_status cli_train(nnb_net *net, const nnb_train_opts *opts, const mat *x, const mat *y,
                     nnb_history *hist) {
    return mat_train(net, opts, x, y, hist);
}

int cli_rank(void) { return 0; }
int cli_processes(void) { return 1; }

int cli_mpi_begin(void) {
    long n = launched_size();
    if (n > 1)
        return fail("an MPI launcher started %ld processes, but this nnblas was built without "
                    "MPI: each would train alone. Build it with MPI (apt-get install "
                    "libopenmpi-dev; meson setup -Dmpi=enabled) or run it without mpirun",
                    n);
    return -1;
}

int cli_mpi_end(int status) { return status; }

#endif
