/*
 * Atomic file replacement, shared by the library (model files) and the nnblas command (predict
 * --out, and the check of --save before training): one source, compiled into both.
 *
 * The contract:
 * - Only a regular file, or nothing, at the path is ever replaced. A character device, a block
 *   device, a FIFO, a socket or a directory at the path is refused before anything is written.
 * - A symbolic link is followed (to its final target, as editors do): the target file is
 *   replaced, the link stays a link. A dangling link creates its target.
 * - The bytes go to an unnamed file (Linux O_TMPFILE) in the target's folder, which gets a name
 *   only when it is complete and synced (linkat, then rename over the target, then an fsync of
 *   the folder). A crash before that leaves nothing behind. Where O_TMPFILE is not supported, a
 *   named temporary file "TARGET.tmpXXXXXX" is used, removed on every failure the process sees.
 * - The file gets the mode of the file it replaces, else 0666 less the umask.
 *
 * Nothing here allocates memory (the fixed buffers hold PATH_MAX-long paths), so the functions
 * can be used on the allocation-failure paths.
 */
#ifndef NNBLAS_ATOMIC_FILE_H
#define NNBLAS_ATOMIC_FILE_H

#include <stddef.h>
#include <sys/types.h>

#define NNBI_PATH_CAP 4096

/* The file operations of a save. Each follows its POSIX namesake: write returns the bytes
 * written (> 0) or -1 with errno set; fsync and rename return 0 or -1 with errno set. */
typedef struct nnbi_file_ops {
    ssize_t (*write)(void *ctx, int fd, const void *buf, size_t len);
    int (*fsync)(void *ctx, int fd);
    int (*rename)(void *ctx, const char *from, const char *to);
    void *ctx;
} nnbi_file_ops;

/* What a file that is not a regular one is, for messages: "a directory", "a FIFO (named
 * pipe)", "a character device"... */
const char *nnbi_file_kind(mode_t m);

/* The POSIX operations. */
extern const nnbi_file_ops nnbi_posix_file_ops;

/* A file being written. */
typedef struct nnbi_atomic {
    int fd;                       /* write the contents here; -1 when closed */
    int anon;                     /* O_TMPFILE: no name yet */
    int named;                    /* tmp names a file of ours that must go on failure */
    char target[NNBI_PATH_CAP];   /* the path replaced (symbolic links followed) */
    char tmp[NNBI_PATH_CAP + 32]; /* the temporary name */
} nnbi_atomic;

/* Resolves `path` (symbolic links followed) into a->target and checks that it names a regular
 * file or nothing, in an existing folder. 0, or an errno value with a message in err. */
int nnbi_output_check(const char *path, nnbi_atomic *a, char *err, size_t err_len);

/* nnbi_output_check(), then creates the temporary file (a->fd). 0, or an errno value with a
 * message in err (nothing left behind). */
int nnbi_atomic_open(nnbi_atomic *a, const char *path, char *err, size_t err_len);

/* Writes all of buf through ops (NULL: POSIX), retrying short and interrupted writes. 0 or an
 * errno value. */
int nnbi_write_all(const nnbi_file_ops *ops, int fd, const void *buf, size_t n);

/* Completes the file: fsync, a name, rename over the target, fsync of the folder. Closes a->fd.
 * 0, or an errno value with a message in err (the temporary file removed, the target as it
 * was). */
int nnbi_atomic_commit(nnbi_atomic *a, const nnbi_file_ops *ops, char *err, size_t err_len);

/* Gives up: closes a->fd and removes the temporary file. Safe to call twice. */
void nnbi_atomic_abort(nnbi_atomic *a);

#endif
