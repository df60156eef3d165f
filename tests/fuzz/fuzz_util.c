/* Helpers of the fuzzing harnesses: quiet standard streams, inputs as files. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

static FILE *real_stderr;

FILE *fuzz_stderr(void) { return real_stderr ? real_stderr : stderr; }

void fuzz_quiet(void) {
    if (real_stderr) return;
    FILE *null = fopen("/dev/null", "w");
    if (!null) return;
    real_stderr = stderr;
    stdout = null; /* glibc's stdout and stderr are assignable variables */
    stderr = null;
}

static char dir[256];

static void remove_dir(void) {
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        char p[512];
        while ((e = readdir(d)))
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
                snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
                unlink(p);
            }
        closedir(d);
    }
    rmdir(dir);
}

const char *fuzz_dir(void) {
    if (dir[0]) return dir;
    const char *base = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/nnblas-fuzz-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(dir)) {
        dir[0] = '\0';
        return NULL;
    }
    atexit(remove_dir);
    return dir;
}

static int fds[4] = {-1, -1, -1, -1};
static char paths[4][512];

const char *fuzz_file(int slot, const uint8_t *data, size_t size) {
    if (slot < 0 || slot > 3) return NULL;
    if (fds[slot] < 0) {
        char name[16];
        snprintf(name, sizeof name, "input%d", slot);
        int fd = memfd_create(name, MFD_CLOEXEC);
        if (fd >= 0) {
            snprintf(paths[slot], sizeof paths[slot], "/proc/self/fd/%d", fd);
            if (access(paths[slot], R_OK) != 0) close(fd), fd = -1; /* no /proc */
        }
        if (fd < 0) {
            if (!fuzz_dir()) return NULL;
            snprintf(paths[slot], sizeof paths[slot], "%s/%s", dir, name);
            fd = open(paths[slot], O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
            if (fd < 0) return NULL;
        }
        fds[slot] = fd;
    }
    int fd = fds[slot];
    if (ftruncate(fd, 0) != 0) return NULL;
    size_t done = 0;
    while (done < size) {
        ssize_t w = pwrite(fd, data + done, size - done, (off_t)done);
        if (w <= 0) return NULL;
        done += (size_t)w;
    }
    return paths[slot];
}
