/* The nnblas command: messages, strict argument parsing, number and JSON/CSV output, atomic
 * files. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "atomic_file.h"
#include "cli.h"
#include "text_escape.h"

/* ---- messages -------------------------------------------------------------------------------- */

static int esc_nomem; /* an escaped text could not be shown: the command fails (cli_failed) */

const char *esc(const char *s) {
    /* a few buffers used in turn, so that one printf can show several texts */
    static char *buf[8];
    static size_t cap[8];
    static unsigned next;
    size_t need = nnbi_escape_text(NULL, 0, s) + 1;
    if (!s || need == strlen(s) + 1) return s ? s : ""; /* escaping only lengthens: nothing to do */
    unsigned k = next++ % 8;
    if (need > cap[k]) {
        char *b = realloc(buf[k], need);
        if (!b) {
            esc_nomem = 1;
            return "(not shown: out of memory)";
        }
        buf[k] = b, cap[k] = need;
    }
    nnbi_escape_text(buf[k], cap[k], s);
    return buf[k];
}

int cli_failed(void) { return esc_nomem; }

/* The message of fmt, escaped (it may quote a file), to stderr. */
static void put_message(const char *fmt, va_list ap) {
    char msg[8192];
    vsnprintf(msg, sizeof msg, fmt, ap);
    fputs(esc(msg), stderr);
}

int usage_error(const command *cmd, const char *fmt, ...) {
    fprintf(stderr, "nnblas %s: ", cmd->name);
    va_list ap;
    va_start(ap, fmt);
    put_message(fmt, ap);
    va_end(ap);
    /* the usage is the help's first paragraph */
    const char *end = strstr(cmd->help, "\n\n");
    int n = end ? (int)(end - cmd->help) : (int)strlen(cmd->help);
    fprintf(stderr, "\n%.*s\nTry 'nnblas %s --help' for more.\n", n, cmd->help, cmd->name);
    return EXIT_USAGE;
}

int fail(const char *fmt, ...) {
    fputs("nnblas: error: ", stderr);
    va_list ap;
    va_start(ap, fmt);
    put_message(fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return EXIT_FAIL;
}

int fail_nnb(void) { return fail("%s", lib_message()); }

int arg_error(args *a, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    if (a->msg && a->status == 0) {
        vsnprintf(a->msg, a->msg_len, fmt, ap);
    } else if (!a->msg) {
        char msg[8192];
        vsnprintf(msg, sizeof msg, fmt, ap);
        usage_error(a->cmd, "%s", msg);
    }
    va_end(ap);
    a->status = EXIT_USAGE;
    return 0;
}

/* ---- arguments ------------------------------------------------------------------------------- */

int arg_value(args *a, const char *name, const char **value) {
    const char *s = a->argv[a->i];
    size_t n = strlen(name);
    if (strncmp(s, name, n) != 0) return 0;
    if (s[n] == '=') {
        *value = s + n + 1;
        a->i++;
        return 1;
    }
    if (s[n] != '\0') return 0;
    if (a->i + 1 >= a->argc) {
        *value = NULL;
        arg_error(a, "%s needs a value", name);
        a->i++;
        return 1;
    }
    *value = a->argv[a->i + 1];
    a->i += 2;
    return 1;
}

int arg_flag(args *a, const char *name) {
    if (strcmp(a->argv[a->i], name) != 0) return 0;
    a->i++;
    return 1;
}

static int bad_value(args *a, const char *opt, const char *s, const char *what) {
    arg_error(a, "%s: '%s' is not %s", opt, s, what);
    return 0;
}

int parse_u64(args *a, const char *opt, const char *s, uint64_t *out) {
    uint64_t v = 0;
    if (!*s) return bad_value(a, opt, s, "a whole number");
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9') return bad_value(a, opt, s, "a whole number");
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10) return bad_value(a, opt, s, "a whole number in range");
        v = v * 10 + d;
    }
    *out = v;
    return 1;
}

int parse_size(args *a, const char *opt, const char *s, size_t *out) {
    uint64_t v;
    if (!parse_u64(a, opt, s, &v)) return 0;
    if (v > SIZE_MAX) return bad_value(a, opt, s, "a whole number in range");
    *out = (size_t)v;
    return 1;
}

int is_number(const char *s, double *out) {
    /* decimal only: [+-]digits[.digits][e[+-]digits], as the CSV reader accepts */
    const char *p = s;
    if (*p == '+' || *p == '-') p++;
    int digits = 0;
    while (*p >= '0' && *p <= '9') p++, digits++;
    if (*p == '.') {
        p++;
        while (*p >= '0' && *p <= '9') p++, digits++;
    }
    if (!digits) return 0;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-') p++;
        if (*p < '0' || *p > '9') return 0;
        while (*p >= '0' && *p <= '9') p++;
    }
    if (*p) return 0;
    errno = 0;
    double v = strtod(s, NULL); /* the tool never changes the "C" locale */
    if (!isfinite(v)) return 0;
    *out = v;
    return 1;
}

int parse_input_limit(args *a, const char *s) {
    size_t n = strlen(s), mult = 1;
    char num[32];
    if (n && strchr("KMG", s[n - 1])) {
        mult = s[n - 1] == 'K'   ? (size_t)1 << 10
               : s[n - 1] == 'M' ? (size_t)1 << 20
                                 : (size_t)1 << 30;
        n--;
    }
    if (n >= sizeof num) return bad_value(a, "--input-limit", s, "a byte count");
    memcpy(num, s, n);
    num[n] = '\0';
    size_t v;
    if (!parse_size(a, "--input-limit", num, &v)) return 0;
    if (v == 0) return bad_value(a, "--input-limit", s, "a byte count >= 1");
    if (v > SIZE_MAX / mult) return bad_value(a, "--input-limit", s, "a byte count in range");
    nnb_set_input_limit(v * mult);
    return 1;
}

/* A number that is not zero but reads as 0 (below the smallest double, 5e-324): where 0 means
 * "off" (--clip-norm, --dropout, --val...), reading it so would change what the user asked. */
static int underflows(const char *s, double v) {
    if (v != 0) return 0;
    for (const char *p = s; *p && *p != 'e' && *p != 'E'; p++)
        if (*p >= '1' && *p <= '9') return 1;
    return 0;
}

int parse_double(args *a, const char *opt, const char *s, double *out) {
    if (!is_number(s, out)) return bad_value(a, opt, s, "a number");
    if (underflows(s, *out))
        return arg_error(a,
                         "%s: '%s' is too small to tell from 0 (a double reads it as 0, which "
                         "is not what it says); give 0 if you mean 0",
                         opt, s);
    return 1;
}

int parse_fraction(args *a, const char *opt, const char *s, double *out) {
    if (!is_number(s, out) || *out < 0 || *out >= 1)
        return bad_value(a, opt, s, "a fraction in [0, 1)");
    if (underflows(s, *out))
        return arg_error(a,
                         "%s: '%s' is too small to tell from 0 (a double reads it as 0, which "
                         "is not what it says); give 0 if you mean 0",
                         opt, s);
    return 1;
}

int parse_choice(args *a, const char *opt, const char *s, const char *const *names) {
    int n_names = 0;
    for (int i = 0; names[i]; i++, n_names++)
        if (strcmp(s, names[i]) == 0) return i;
    char list[512] = "";
    size_t n = 0;
    for (int i = 0; names[i] && n < sizeof list; i++)
        n += (size_t)snprintf(list + n, sizeof list - n, "%s%s", i ? ", " : "", names[i]);
    const char *near = nnb_name_find_nearest(s, names, (size_t)n_names);
    arg_error(a, "%s: '%s' is not one of %s%s%s%s", opt, s, list, near ? "; did you mean '" : "",
              near ? near : "", near ? "'?" : "");
    return -1;
}

const char *lib_message(void) {
    const char *m = nnb_last_error(), *colon = strstr(m, ": ");
    return colon && strncmp(m, "nnb_", 4) == 0 ? colon + 2 : m;
}

int bad_name(args *a, const char *opt) {
    arg_error(a, "%s: %s", opt, lib_message());
    return 0;
}

int strlist_split(const char *s, strlist *out) {
    out->n = 0;
    out->s = NULL;
    if (!*s) return 1;
    size_t n = 1;
    for (const char *p = s; *p; p++) n += *p == ',';
    out->s = calloc(n, sizeof *out->s);
    if (!out->s) return 0;
    const char *start = s;
    for (;;) {
        const char *end = strchr(start, ',');
        size_t len = end ? (size_t)(end - start) : strlen(start);
        char *item = malloc(len + 1);
        if (!item) {
            strlist_free(out);
            return 0;
        }
        memcpy(item, start, len);
        item[len] = '\0';
        out->s[out->n++] = item;
        if (!end) break;
        start = end + 1;
    }
    return 1;
}

void strlist_free(strlist *l) {
    for (size_t i = 0; i < l->n; i++) free(l->s[i]);
    free(l->s);
    l->s = NULL;
    l->n = 0;
}

int strlist_has(const strlist *l, const char *s) {
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->s[i], s) == 0) return 1;
    return 0;
}

/* ---- output ---------------------------------------------------------------------------------- */

void fmt_double(char buf[32], double v) {
    if (isnan(v)) {
        strcpy(buf, "nan");
        return;
    }
    if (isinf(v)) {
        strcpy(buf, v > 0 ? "inf" : "-inf");
        return;
    }
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, 32, "%.*g", prec, v);
        if (strtod(buf, NULL) == v) return;
    }
}

size_t utf8_len(const unsigned char *s) {
    if (s[0] < 0x80) return 1;
    size_t n = s[0] >= 0xF0 && s[0] <= 0xF4 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC2 ? 2 : 0;
    if (n == 0 || (n == 3 && s[0] > 0xEF)) return 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80) return 0;
    if (n == 3 && ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xED && s[1] >= 0xA0))) return 0;
    if (n == 4 && ((s[0] == 0xF0 && s[1] < 0x90) || (s[0] == 0xF4 && s[1] >= 0x90))) return 0;
    return n;
}

void json_str(FILE *f, const char *s) {
    fputc('"', f);
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned char c = *p;
        if (c == '"' || c == '\\') {
            fputc('\\', f);
            fputc(c, f);
            p++;
        } else if (c == '\n') {
            fputs("\\n", f), p++;
        } else if (c == '\t') {
            fputs("\\t", f), p++;
        } else if (c == '\r') {
            fputs("\\r", f), p++;
        } else if (c < 0x20 || c == 0x7F) {
            fprintf(f, "\\u%04x", c), p++;
        } else {
            size_t n = utf8_len(p);
            if (n == 0) {
                fputs("\\ufffd", f);
                p++;
            } else {
                fwrite(p, 1, n, f);
                p += n;
            }
        }
    }
    fputc('"', f);
}

void json_num(FILE *f, double v) {
    char buf[32];
    if (!isfinite(v)) {
        fputs("null", f);
        return;
    }
    fmt_double(buf, v);
    fputs(buf, f);
}

void csv_field(FILE *f, const char *s) {
    if (!*s || strpbrk(s, ",\"\r\n") || s[0] == ' ' || s[strlen(s) - 1] == ' ') {
        fputc('"', f);
        for (; *s; s++) {
            if (*s == '"') fputc('"', f);
            fputc(*s, f);
        }
        fputc('"', f);
    } else {
        fputs(s, f);
    }
}

double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

double error_scale(const double *y, size_t y_stride, const double *p, size_t p_stride, size_t rows,
                   size_t j) {
    double big = 0;
    for (size_t i = 0; i < rows; i++)
        big = fmax(big, fmax(fabs(y[i * y_stride + j]), fabs(p[i * p_stride + j])));
    if (!(big > 0x1p500) || !isfinite(big)) return 1; /* squares of differences cannot overflow */
    int e;
    frexp(big, &e);
    return ldexp(1.0, -e);
}

void error_stats(const double *y, size_t y_stride, const double *p, size_t p_stride, size_t rows,
                 size_t j, double *rmse, double *mae) {
    double s = error_scale(y, y_stride, p, p_stride, rows, j), ss = 0, sa = 0;
    for (size_t i = 0; i < rows; i++) {
        double d = p[i * p_stride + j] * s - y[i * y_stride + j] * s;
        ss += d * d, sa += fabs(d);
    }
    *rmse = rows ? sqrt(ss / (double)rows) / s : NAN;
    *mae = rows ? sa / (double)rows / s : NAN;
}

double r2_score(const double *y, size_t y_stride, const double *p, size_t p_stride, size_t rows,
                size_t j) {
    if (rows == 0) return NAN;
    /* values near the largest double: scaled first, by a power of two (R^2 is a ratio) */
    double s = error_scale(y, y_stride, p, p_stride, rows, j), mean = 0, ss_tot = 0, ss_res = 0;
    for (size_t i = 0; i < rows; i++) mean += y[i * y_stride + j] * s;
    mean /= (double)rows;
    for (size_t i = 0; i < rows; i++) {
        double t = y[i * y_stride + j] * s - mean;
        double e = y[i * y_stride + j] * s - p[i * p_stride + j] * s;
        ss_tot += t * t, ss_res += e * e;
    }
    if (ss_tot == 0) return ss_res == 0 ? 1 : 0;
    return 1 - ss_res / ss_tot;
}

void fmt_duration(char buf[32], double s) {
    if (!isfinite(s) || s < 0) s = 0;
    if (s < 9.95)
        snprintf(buf, 32, "%.1f s", s);
    else if (s < 60)
        snprintf(buf, 32, "%.0f s", s);
    else if (s < 3600)
        snprintf(buf, 32, "%d min %02d s", (int)(s / 60), (int)fmod(s, 60));
    else if (s < 1e6 * 3600) /* (int) of the hours cannot overflow */
        snprintf(buf, 32, "%d h %02d min", (int)(s / 3600), (int)fmod(s / 60, 60));
    else
        snprintf(buf, 32, "%.3g years", s / (365.25 * 24 * 3600));
}

/* ---- atomic files ---------------------------------------------------------------------------- */

int atomic_open(atomic_file *af, const char *path) {
    af->f = NULL;
    af->path = path;
    af->a = malloc(sizeof *af->a);
    if (!af->a) return fail("out of memory"), 0;
    char msg[NNBI_PATH_CAP + 256];
    if (nnbi_atomic_open(af->a, path, msg, sizeof msg) != 0) {
        fail("%s", msg);
        free(af->a);
        af->a = NULL;
        return 0;
    }
    int fd = dup(af->a->fd);
    af->f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!af->f) {
        fail("cannot write %s: %s", path, strerror(errno));
        if (fd >= 0) close(fd);
        atomic_abort(af);
        return 0;
    }
    return 1;
}

void atomic_abort(atomic_file *af) {
    if (af->f) fclose(af->f);
    af->f = NULL;
    if (af->a) {
        nnbi_atomic_abort(af->a);
        free(af->a);
    }
    af->a = NULL;
}

int atomic_commit(atomic_file *af) {
    int err = 0;
    errno = 0;
    if (fflush(af->f) != 0 || ferror(af->f)) err = errno ? errno : EIO;
    if (fclose(af->f) != 0 && !err) err = errno ? errno : EIO;
    af->f = NULL;
    char msg[NNBI_PATH_CAP + 256];
    if (err) {
        fail("writing %s: %s", af->path, strerror(err));
    } else if (nnbi_atomic_commit(af->a, NULL, msg, sizeof msg) != 0) {
        fail("%s", msg);
        err = 1;
    }
    atomic_abort(af);
    return !err;
}

int file_output(const command *cmd, const char *opt, const char *path) {
    if (!path || strcmp(path, "-") != 0) return EXIT_OK;
    return usage_error(cmd,
                       "%s -: this file is not written to standard output (which carries the "
                       "command's own output); give a file name (./- for a file named -)",
                       opt);
}

int check_writable(const char *path) {
    atomic_file af;
    if (!atomic_open(&af, path)) return 0;
    atomic_abort(&af);
    return 1;
}

/* ---- files a command reads and writes -------------------------------------------------------- */

/* What identifies a file: an existing one by its device and inode (symbolic and hard links, and
 * every spelling of its path, are the same file); one an output would create by its folder's
 * device and inode and its name there. */
typedef struct file_id {
    int kind; /* 0: nothing to compare (absent input, standard stream, an output refused later) */
    dev_t dev;
    ino_t ino;
    char name[256]; /* kind 2: the name in the folder */
} file_id;

enum { ID_NONE, ID_FILE, ID_NEW };

static void identify(const char *path, int output, file_id *id) {
    struct stat st;
    id->kind = ID_NONE;
    if (strcmp(path, "-") == 0) { /* standard input: a file redirected to it is that file */
        if (!output && fstat(STDIN_FILENO, &st) == 0 && S_ISREG(st.st_mode))
            id->kind = ID_FILE, id->dev = st.st_dev, id->ino = st.st_ino;
        return;
    }
    if (!output) {
        if (stat(path, &st) == 0) id->kind = ID_FILE, id->dev = st.st_dev, id->ino = st.st_ino;
        return;
    }
    nnbi_atomic a; /* the writer's own resolution: symbolic links followed to the target */
    char err[64];
    if (nnbi_output_check(path, &a, err, sizeof err) != 0) return; /* refused when written */
    if (stat(a.target, &st) == 0) {
        id->kind = ID_FILE, id->dev = st.st_dev, id->ino = st.st_ino;
        return;
    }
    char *slash = strrchr(a.target, '/');
    const char *name = slash ? slash + 1 : a.target;
    const size_t len = strlen(name);
    if (len >= sizeof id->name) return;
    if (slash == a.target)
        slash[1] = '\0'; /* "/name": the root */
    else if (slash)
        *slash = '\0';
    if (stat(slash ? a.target : ".", &st) != 0) return;
    id->kind = ID_NEW, id->dev = st.st_dev, id->ino = st.st_ino;
    memcpy(id->name, name, len + 1); /* len fits: checked above (snprintf here is a -O0 warning) */
}

static int same_file(const file_id *a, const file_id *b) {
    return a->kind != ID_NONE && a->kind == b->kind && a->dev == b->dev && a->ino == b->ino &&
           (a->kind == ID_FILE || strcmp(a->name, b->name) == 0);
}

int check_files(const command *cmd, const file_use *uses, size_t n) {
    file_id *ids = calloc(n ? n : 1, sizeof *ids);
    if (!ids) return fail("out of memory");
    for (size_t i = 0; i < n; i++)
        if (uses[i].path) identify(uses[i].path, uses[i].output, &ids[i]);
    int st = EXIT_OK;
    for (size_t i = 0; i < n && st == EXIT_OK; i++)
        for (size_t j = 0; j < n && st == EXIT_OK; j++) {
            const file_use *o = &uses[i], *u = &uses[j];
            if (!o->output || i == j || (u->output && j < i) ||
                (o->group && o->group == u->group) || !same_file(&ids[i], &ids[j]))
                continue;
            if (u->output)
                st = usage_error(cmd,
                                 "%s %s and %s %s are the same file: one would overwrite the "
                                 "other; give them different files",
                                 u->what, esc(u->path), o->what, esc(o->path));
            else
                st = usage_error(cmd,
                                 "%s %s is the same file as %s %s, which this command reads: "
                                 "writing it would destroy it; give %s another file",
                                 o->what, esc(o->path), u->what, esc(u->path), o->what);
        }
    free(ids);
    return st;
}

int layer_words(const nnb_net *net, size_t layer, char buf[96], char shape[48]) {
    nnb_window w;
    size_t f, c, h, wd;
    if (nnb_net_layer_window(net, layer, &w, &f) != NNB_OK) {
        nnb_clear_error();
        return 0;
    }
    nnb_net_layer_shape(net, layer, &c, &h, &wd);
    snprintf(shape, 48, "%zux%zux%zu", c, h, wd);
    int n = f ? snprintf(buf, 96, "conv2d %zu ", f)
              : snprintf(buf, 96, "%s ", nnb_net_layer_kind(net, layer));
    n += snprintf(buf + n, 96 - (size_t)n, "%zux%zu stride %zux%zu", w.kernel_h, w.kernel_w,
                  w.stride_h, w.stride_w);
    if (f)
        snprintf(buf + n, 96 - (size_t)n, " padding %zu,%zu,%zu,%zu", w.pad_top, w.pad_bottom,
                 w.pad_left, w.pad_right);
    return 1;
}
