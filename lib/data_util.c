/*
 * Helpers of the data layer: numbers parsed and printed in the "C" locale whatever the process
 * locale is (a "C" locale object made once under pthread_once; parsing hands it to strtod_l,
 * printing switches this thread to it with uselocale, so other threads are not affected),
 * missing-value markers, and the memory check.
 */
#define _GNU_SOURCE /* strtod_l */
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "data_internal.h"
#include "interrupt.h"

static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static locale_t c_locale = (locale_t)0;

static void make_c_locale(void) { c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0); }

/* Switches this thread to the C locale; returns the previous one (or 0 if nothing changed). */
static locale_t enter_c_locale(void) {
    pthread_once(&c_locale_once, make_c_locale);
    if (c_locale == (locale_t)0) return (locale_t)0; /* newlocale failed: "C" is what we hope */
    return uselocale(c_locale);
}

static void leave_c_locale(locale_t old) {
    if (old != (locale_t)0) uselocale(old);
}

static int is_blank(char c) { return c == ' ' || c == '\t'; }

static int is_digit(char c) { return c >= '0' && c <= '9'; }

int nnbi_parse_number(const char *s, double *v) {
    while (is_blank(*s)) s++;
    const char *p = s;
    if (*p == '+' || *p == '-') p++;
    size_t int_digits = 0, frac_digits = 0;
    while (is_digit(*p)) p++, int_digits++;
    if (*p == '.') {
        p++;
        while (is_digit(*p)) p++, frac_digits++;
    }
    if (int_digits + frac_digits == 0) return 0;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-') p++;
        if (!is_digit(*p)) return 0;
        while (is_digit(*p)) p++;
    }
    const char *end = p;
    while (is_blank(*p)) p++;
    if (*p != '\0') return 0;
    pthread_once(&c_locale_once, make_c_locale);
    char *stop = NULL;
    double x;
    if (c_locale != (locale_t)0) {
        x = strtod_l(s, &stop, c_locale); /* no per-cell locale switch */
    } else {                              /* newlocale failed: "C" is what we hope */
        x = strtod(s, &stop);
    }
    if (stop != end) return 0; /* cannot happen after the check above, but be safe */
    if (!isfinite(x)) return -1;
    *v = x;
    return 1;
}

void nnbi_format_number(double v, char *buf, size_t len) {
    locale_t old = enter_c_locale();
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, len, "%.*g", prec, v);
        if (strtod(buf, NULL) == v) break;
    }
    leave_c_locale(old);
}

int nnbi_is_missing(const char *s) {
    while (is_blank(*s)) s++;
    size_t n = strlen(s);
    while (n > 0 && is_blank(s[n - 1])) n--;
    static const char *const markers[] = {"NA", "N/A", "NaN", "nan", "NAN", "null", "NULL"};
    if (n == 0) return 1;
    for (size_t i = 0; i < sizeof markers / sizeof markers[0]; i++)
        if (strlen(markers[i]) == n && memcmp(markers[i], s, n) == 0) return 1;
    return 0;
}

/* The value in bytes of the "Key:  N kB" line `key` of a /proc file, SIZE_MAX if unknown. Read
 * with open/read into a stack buffer: this probe allocates nothing, so it cannot fail for lack
 * of memory. */
static size_t proc_kib_line(const char *path, const char *key) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return SIZE_MAX;
    char buf[4096];
    ssize_t got = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (got <= 0) return SIZE_MAX;
    buf[got] = '\0';
    const char *p = strstr(buf, key);
    if (!p) return SIZE_MAX;
    p += strlen(key);
    while (*p == ' ' || *p == '\t') p++;
    unsigned long long kib = 0;
    int digits = 0;
    for (; *p >= '0' && *p <= '9' && kib < ULLONG_MAX / 10 - 10; p++, digits++)
        kib = kib * 10 + (unsigned long long)(*p - '0');
    if (!digits || kib >= SIZE_MAX / 1024) return SIZE_MAX;
    return (size_t)kib * 1024;
}

/* MemAvailable from /proc/meminfo, in bytes; SIZE_MAX if unknown. It already counts what this
 * process holds, so a need compared with it is what the process would add. */
static size_t mem_available(void) { return proc_kib_line("/proc/meminfo", "MemAvailable:"); }

/* What is left under a resource limit: the limit less what the process uses of it already
 * (`used_key` of /proc/self/status: VmSize for the address space, VmData for the data segment),
 * so that, as MemAvailable, it is compared with what a step would add. Unknown use: the limit. */
static size_t rlimit_left(int resource, const char *used_key) {
    struct rlimit rl;
    if (getrlimit(resource, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return SIZE_MAX;
    size_t lim = rl.rlim_cur < SIZE_MAX ? (size_t)rl.rlim_cur : SIZE_MAX;
    size_t used = proc_kib_line("/proc/self/status", used_key);
    if (used == SIZE_MAX) return lim;
    return used < lim ? lim - used : 0;
}

size_t nnbi_available_memory(void) {
    size_t m = mem_available();
    size_t a = rlimit_left(RLIMIT_AS, "VmSize:");
    if (a < m) m = a;
#ifdef RLIMIT_DATA
    size_t d = rlimit_left(RLIMIT_DATA, "VmData:");
    if (d < m) m = d;
#endif
    return m;
}

void nnbi_format_bytes(size_t bytes, char *buf, size_t len) {
    static const char *const units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double v = (double)bytes;
    int u = 0;
    while (v >= 1024.0 && u < 6) v /= 1024.0, u++;
    locale_t old = enter_c_locale();
    if (u == 0)
        snprintf(buf, len, "%zu bytes", bytes);
    else
        snprintf(buf, len, "%.1f %s", v, units[u]);
    leave_c_locale(old);
}

void *nnbi_grow(void *arr, size_t *cap, size_t need, size_t elem, size_t first) {
    if (need <= *cap) return arr;
    size_t c = *cap ? *cap : first;
    while (c < need) {
        if (c > SIZE_MAX / 2) return NULL;
        c *= 2;
    }
    if (c > SIZE_MAX / elem) return NULL;
    void *p = realloc(arr, c * elem);
    if (p) *cap = c;
    return p;
}

int nnbi_read_fd(int fd, size_t expect, size_t limit, int stop_at_nul, char **out, size_t *len) {
    *out = NULL;
    size_t cap = expect ? expect + 1 : (size_t)1 << 16, n = 0;
    char *b = expect < SIZE_MAX ? malloc(cap) : NULL;
    if (!b) return NNBI_READ_NOMEM;
    for (;;) {
        char probe;
        int full = n + 1 >= cap;
        /* the interrupt flag: polled before every read, while a stream waits, after a signal */
        ssize_t got = nnbi_interrupted() || (!expect && nnbi_wait_readable(fd))
                          ? -2
                          : read(fd, full ? &probe : b + n, full ? 1 : cap - 1 - n);
        if (got == -2 || (got < 0 && errno == EINTR && nnbi_interrupted_by_signal())) {
            free(b);
            return NNBI_READ_CANCELLED;
        }
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) {
            int e = errno;
            free(b);
            errno = e;
            return -1;
        }
        if (got == 0) break;
        if (full) {
            void *grown = nnbi_grow(b, &cap, cap + 1, 1, cap);
            if (!grown) {
                free(b);
                return NNBI_READ_NOMEM;
            }
            b = grown;
            b[n] = probe;
        }
        const char *nul = stop_at_nul ? memchr(b + n, '\0', (size_t)got) : NULL;
        n += (size_t)got;
        if (nul) {
            *len = (size_t)(nul - b);
            free(b);
            return NNBI_READ_NUL;
        }
        if (!expect && n > limit) {
            free(b);
            return NNBI_READ_LIMIT;
        }
    }
    *out = b;
    *len = n;
    return NNBI_READ_OK;
}

/* ---- the byte limit of streams ------------------------------------------------------------- */

#define DEFAULT_INPUT_LIMIT ((size_t)1 << 30)
static size_t input_limit = DEFAULT_INPUT_LIMIT; /* __atomic access only */

NNB_API nnb_status nnb_set_input_limit(size_t bytes) {
    if (bytes == 0) return nnbi_error(NNB_E_INVALID_ARG, __func__, "a limit of 0 bytes");
    __atomic_store_n(&input_limit, bytes, __ATOMIC_RELAXED);
    return NNB_OK;
}

NNB_API size_t nnb_get_input_limit(void) { return __atomic_load_n(&input_limit, __ATOMIC_RELAXED); }
NNBI_DEPRECATED_ALIAS(nnb_input_limit, nnb_get_input_limit);

nnb_status nnbi_read_input(const char *func, const char *path, size_t limit, int text, char **buf,
                           size_t *len) {
    *buf = NULL;
    if (!limit) limit = nnb_get_input_limit();
    int fd;
    do /* opening a FIFO waits for a writer: a signal interrupts it */
        fd = open(path, O_RDONLY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR && !nnbi_interrupted_by_signal());
    if (fd < 0 && errno == EINTR) return nnbi_interrupt_error(func, path);
    if (fd < 0) return nnbi_error(NNB_E_IO, func, "cannot open %s: %s", path, strerror(errno));
    struct stat sb;
    size_t expect = 0;
    int e = fstat(fd, &sb) != 0 ? errno : S_ISDIR(sb.st_mode) ? EISDIR : 0;
    if (e) {
        close(fd);
        return nnbi_error(NNB_E_IO, func, "cannot read %s: %s", path, strerror(e));
    }
    if (S_ISREG(sb.st_mode) && sb.st_size > 0) { /* /proc files say 0: read as streams */
        char sz[32];
        nnbi_format_bytes((uintmax_t)sb.st_size >= SIZE_MAX ? SIZE_MAX : (size_t)sb.st_size, sz,
                          sizeof sz);
        if ((uintmax_t)sb.st_size >= SIZE_MAX || (size_t)sb.st_size > nnbi_available_memory()) {
            close(fd);
            return nnbi_error(NNB_E_TOO_LARGE, func, "%s has %s, more than the memory available",
                              path, sz);
        }
        expect = (size_t)sb.st_size;
    }
    int rc = nnbi_read_fd(fd, expect, limit, text, buf, len);
    e = errno;
    close(fd);
    if (rc == NNBI_READ_NOMEM)
        return nnbi_error(NNB_E_NOMEM, func, "%s: no memory to read it", path);
    if (rc == NNBI_READ_CANCELLED) return nnbi_interrupt_error(func, path);
    if (rc < 0) return nnbi_error(NNB_E_IO, func, "cannot read %s: %s", path, strerror(e));
    if (rc == NNBI_READ_LIMIT)
        return nnbi_error(NNB_E_TOO_LARGE, func,
                          "%s is not a regular file and sent more than the input limit of %zu "
                          "bytes (nnb_set_input_limit; nnblas --input-limit)",
                          path, limit);
    if (rc == NNBI_READ_NUL)
        return nnbi_error(NNB_E_FORMAT, func, "%s: NUL byte at offset %zu: not a text file", path,
                          *len);
    (*buf)[*len] = '\0';
    return NNB_OK;
}

NNB_API nnb_status nnb_input_read(const char *path, size_t limit, int text, char **data,
                                  size_t *len) {
    NNBI_CHECK_NULL(data, __func__);
    *data = NULL;
    NNBI_CHECK_NULL(path, __func__);
    NNBI_CHECK_NULL(len, __func__);
    return nnbi_read_input(__func__, path, limit, text != 0, data, len);
}
NNBI_DEPRECATED_ALIAS(nnb_read_input, nnb_input_read);

char *nnbi_strdup(const char *s) { return nnbi_strndup(s, strlen(s)); }

char *nnbi_strndup(const char *s, size_t n) {
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}
