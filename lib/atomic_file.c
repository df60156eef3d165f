/*
 * Atomic file replacement (atomic_file.h): the one writer of the library's model files and of
 * the nnblas command's output files.
 */
#define _GNU_SOURCE /* O_TMPFILE */
#include "atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static ssize_t posix_write(void *ctx, int fd, const void *buf, size_t len) {
    (void)ctx;
    return write(fd, buf, len);
}
static int posix_fsync(void *ctx, int fd) {
    (void)ctx;
    return fsync(fd);
}
static int posix_rename(void *ctx, const char *from, const char *to) {
    (void)ctx;
    return rename(from, to);
}

const nnbi_file_ops nnbi_posix_file_ops = {posix_write, posix_fsync, posix_rename, NULL};

static int say(char *err, size_t len, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int say(char *err, size_t len, int code, const char *fmt, ...) {
    if (err && len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, len, fmt, ap);
        va_end(ap);
    }
    return code ? code : EIO;
}

/* The folder of `path` into dir ("." for a bare name). 0 or ENAMETOOLONG. */
static int folder_of(const char *path, char *dir, size_t cap) {
    const char *slash = strrchr(path, '/');
    size_t n = !slash ? 1 : slash == path ? 1 : (size_t)(slash - path);
    if (n >= cap) return ENAMETOOLONG;
    memcpy(dir, slash ? path : ".", n);
    dir[n] = '\0';
    return 0;
}

const char *nnbi_file_kind(mode_t m) {
    return S_ISDIR(m)    ? "a directory"
           : S_ISCHR(m)  ? "a character device"
           : S_ISBLK(m)  ? "a block device"
           : S_ISFIFO(m) ? "a FIFO (named pipe)"
           : S_ISSOCK(m) ? "a socket"
                         : "not a regular file";
}

/* Follows symbolic links from `path` to the final target (a->target). */
static int resolve(const char *path, nnbi_atomic *a, char *err, size_t len, struct stat *st,
                   int *exists) {
    size_t n = strlen(path);
    if (n == 0) return say(err, len, ENOENT, "the output path is empty");
    if (n >= sizeof a->target) return say(err, len, ENAMETOOLONG, "%s: the path is too long", path);
    memcpy(a->target, path, n + 1);
    for (int hops = 0;; hops++) {
        if (lstat(a->target, st) != 0) {
            if (errno != ENOENT) return say(err, len, errno, "%s: %s", a->target, strerror(errno));
            *exists = 0;
            return 0;
        }
        if (!S_ISLNK(st->st_mode)) {
            *exists = 1;
            return 0;
        }
        if (hops >= 40) return say(err, len, ELOOP, "%s: too many symbolic links", path);
        char link[NNBI_PATH_CAP];
        ssize_t k = readlink(a->target, link, sizeof link - 1);
        if (k < 0) return say(err, len, errno, "%s: %s", a->target, strerror(errno));
        link[k] = '\0';
        if (link[0] == '/') {
            memcpy(a->target, link, (size_t)k + 1);
            continue;
        }
        char dir[NNBI_PATH_CAP];
        if (folder_of(a->target, dir, sizeof dir) != 0 ||
            (size_t)snprintf(a->target, sizeof a->target, "%s/%s", dir, link) >= sizeof a->target)
            return say(err, len, ENAMETOOLONG, "%s: the link's target path is too long", path);
    }
}

int nnbi_output_check(const char *path, nnbi_atomic *a, char *err, size_t len) {
    struct stat st;
    int exists = 0;
    a->fd = -1;
    a->anon = a->named = 0;
    a->tmp[0] = '\0';
    int e = resolve(path, a, err, len, &st, &exists);
    if (e) return e;
    int linked = strcmp(path, a->target) != 0;
    if (exists && !S_ISREG(st.st_mode)) {
        if (linked)
            return say(err, len, EINVAL,
                       "%s is a link to %s, which is %s; only a regular file is replaced", path,
                       a->target, nnbi_file_kind(st.st_mode));
        return say(err, len, EINVAL, "%s is %s; only a regular file is replaced", path,
                   nnbi_file_kind(st.st_mode));
    }
    char dir[NNBI_PATH_CAP];
    if (folder_of(a->target, dir, sizeof dir) != 0)
        return say(err, len, ENAMETOOLONG, "%s: the path is too long", path);
    struct stat ds;
    if (stat(dir, &ds) != 0)
        return say(err, len, errno, "%s: folder %s: %s", path, dir, strerror(errno));
    if (!S_ISDIR(ds.st_mode)) return say(err, len, ENOTDIR, "%s: %s is not a folder", path, dir);
    return 0;
}

/* The process's umask, read without changing it (Linux: /proc/self/status) and without
 * allocating; 022 if unknown. */
static mode_t current_umask(void) {
    char buf[2048];
    int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 022;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return 022;
    buf[n] = '\0';
    const char *u = strstr(buf, "\nUmask:");
    return u ? (mode_t)strtoul(u + 8, NULL, 8) & 0777 : 022;
}

/* The mode the file gets: that of the file it replaces, else 0666 less the umask. */
static mode_t target_mode(const char *target) {
    struct stat st;
    if (stat(target, &st) == 0 && S_ISREG(st.st_mode)) return st.st_mode & 07777;
    return 0666 & ~current_umask();
}

/* An unnamed file in dir that /proc/self/fd can name later, or -1. */
static int open_unnamed(const char *dir) {
#ifdef O_TMPFILE
    int fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
    if (fd < 0) return -1;
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    if (access(proc, F_OK) == 0) return fd;
    close(fd);
#else
    (void)dir;
#endif
    return -1;
}

int nnbi_atomic_open(nnbi_atomic *a, const char *path, char *err, size_t len) {
    int e = nnbi_output_check(path, a, err, len);
    if (e) return e;
    char dir[NNBI_PATH_CAP];
    folder_of(a->target, dir, sizeof dir);
    mode_t mode = target_mode(a->target);
    a->fd = open_unnamed(dir);
    if (a->fd >= 0) {
        a->anon = 1;
    } else {
        snprintf(a->tmp, sizeof a->tmp, "%s.tmpXXXXXX", a->target);
        a->fd = mkstemp(a->tmp);
        if (a->fd < 0)
            return say(err, len, errno, "cannot create a file in %s (for %s): %s", dir, path,
                       strerror(errno));
        a->named = 1;
    }
    (void)fchmod(a->fd, mode);
    return 0;
}

int nnbi_write_all(const nnbi_file_ops *ops, int fd, const void *buf, size_t n) {
    if (!ops) ops = &nnbi_posix_file_ops;
    const unsigned char *p = buf;
    while (n > 0) {
        ssize_t w = ops->write(ops->ctx, fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return errno ? errno : EIO;
        }
        if (w == 0) return EIO;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Names the unnamed file: a link "TARGET.tmpXXXXXX" to it. */
static int name_unnamed(nnbi_atomic *a) {
#ifdef O_TMPFILE
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", a->fd);
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    unsigned long long r = (unsigned long long)t.tv_nsec ^ ((unsigned long long)getpid() << 32);
    for (int i = 0; i < 100; i++) {
        r = r * 6364136223846793005ull + 1442695040888963407ull;
        snprintf(a->tmp, sizeof a->tmp, "%s.tmp%06llx", a->target, (r >> 40) & 0xFFFFFF);
        if (linkat(AT_FDCWD, proc, AT_FDCWD, a->tmp, AT_SYMLINK_FOLLOW) == 0) {
            a->named = 1;
            return 0;
        }
        if (errno != EEXIST) return errno;
    }
    return EEXIST;
#else
    (void)a;
    return ENOTSUP;
#endif
}

/* fsyncs the folder holding path, so that the rename is durable. Best effort (some file systems
 * refuse to sync a folder; the file itself is complete either way). */
static void sync_folder(const char *path) {
    char dir[NNBI_PATH_CAP];
    if (folder_of(path, dir, sizeof dir) != 0) return;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

int nnbi_atomic_commit(nnbi_atomic *a, const nnbi_file_ops *ops, char *err, size_t len) {
    if (!ops) ops = &nnbi_posix_file_ops;
    const char *name = a->anon ? a->target : a->tmp;
    int e = 0;
    if (ops->fsync(ops->ctx, a->fd) != 0) {
        e = errno ? errno : EIO;
        say(err, len, e, "syncing %s: %s", name, strerror(e));
    } else if (a->anon && (e = name_unnamed(a)) != 0) {
        say(err, len, e, "naming the new %s: %s", a->target, strerror(e));
    }
    if (close(a->fd) != 0 && !e) {
        e = errno ? errno : EIO;
        say(err, len, e, "closing %s: %s", name, strerror(e));
    }
    a->fd = -1;
    if (!e && ops->rename(ops->ctx, a->tmp, a->target) != 0) {
        e = errno ? errno : EIO;
        say(err, len, e, "renaming %s to %s: %s", a->tmp, a->target, strerror(e));
    }
    if (e) {
        nnbi_atomic_abort(a);
        return e;
    }
    a->named = 0;
    sync_folder(a->target);
    return 0;
}

void nnbi_atomic_abort(nnbi_atomic *a) {
    if (a->fd >= 0) close(a->fd);
    a->fd = -1;
    if (a->named) unlink(a->tmp);
    a->named = 0;
}
