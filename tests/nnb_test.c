/* nftw is an X/Open function. */
#define _XOPEN_SOURCE 700

#include "nnb_test.h"

#include <ctype.h>
#include <fcntl.h>
#include <locale.h>
#include <ftw.h>
#include <poll.h>
#include <spawn.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* ---- shared data ---- */

const char *nnbt_shared_dir(void) {
    const char *d = getenv("NNBLAS_SHARED_DIR");
#ifdef NNBT_SHARED_DIR
    if (!d || !*d) d = NNBT_SHARED_DIR;
#endif
    struct stat st;
    if (!d || stat(d, &st) != 0 || !S_ISDIR(st.st_mode)) return NULL;
    return d;
}

const char *nnbt_shared_path(const char *rel) {
    static char buf[4096];
    const char *d = nnbt_shared_dir();
    snprintf(buf, sizeof buf, "%s/%s", d ? d : ".", rel);
    return buf;
}

/* ---- JSON ---- */

enum { J_NULL, J_NUM, J_STR, J_ARR, J_OBJ, J_BOOL };

struct nnbt_json {
    int type;
    double num;
    char *str; /* string value, or member key when inside an object */
    size_t n;  /* children */
    struct nnbt_json *kids;
    char **keys; /* object member names */
};

static void skip_ws(const char **p) {
    while (**p && isspace((unsigned char)**p)) (*p)++;
}

static int parse(const char **p, nnbt_json *out);

static char *parse_str(const char **p) {
    if (**p != '"') return NULL;
    (*p)++;
    const char *s = *p;
    while (**p && **p != '"') {
        if (**p == '\\' && (*p)[1]) (*p)++;
        (*p)++;
    }
    if (**p != '"') return NULL;
    size_t n = (size_t)(*p - s);
    char *r = malloc(n + 1);
    memcpy(r, s, n);
    r[n] = 0;
    (*p)++;
    return r;
}

static int parse(const char **p, nnbt_json *out) {
    memset(out, 0, sizeof *out);
    skip_ws(p);
    char c = **p;
    if (c == '{' || c == '[') {
        int obj = c == '{';
        out->type = obj ? J_OBJ : J_ARR;
        (*p)++;
        size_t cap = 0;
        skip_ws(p);
        if (**p == (obj ? '}' : ']')) {
            (*p)++;
            return 1;
        }
        for (;;) {
            if (out->n == cap) {
                cap = cap ? cap * 2 : 8;
                out->kids = realloc(out->kids, cap * sizeof *out->kids);
                if (obj) out->keys = realloc(out->keys, cap * sizeof *out->keys);
            }
            if (obj) {
                skip_ws(p);
                out->keys[out->n] = parse_str(p);
                if (!out->keys[out->n]) return 0;
                skip_ws(p);
                if (**p != ':') return 0;
                (*p)++;
            }
            if (!parse(p, &out->kids[out->n])) return 0;
            out->n++;
            skip_ws(p);
            if (**p == ',') {
                (*p)++;
                continue;
            }
            if (**p == (obj ? '}' : ']')) {
                (*p)++;
                return 1;
            }
            return 0;
        }
    }
    if (c == '"') {
        out->type = J_STR;
        out->str = parse_str(p);
        return out->str != NULL;
    }
    if (strncmp(*p, "true", 4) == 0 || strncmp(*p, "false", 5) == 0) {
        out->type = J_BOOL;
        out->num = **p == 't';
        *p += **p == 't' ? 4 : 5;
        return 1;
    }
    if (strncmp(*p, "null", 4) == 0) {
        *p += 4;
        return 1;
    }
    char *end;
    out->type = J_NUM;
    out->num = strtod(*p, &end);
    if (end == *p) return 0;
    *p = end;
    return 1;
}

static void free_kids(nnbt_json *j) {
    for (size_t i = 0; i < j->n; i++) {
        free_kids(&j->kids[i]);
        if (j->keys) free(j->keys[i]);
    }
    free(j->kids);
    free(j->keys);
    free(j->str);
}

void nnbt_json_free(nnbt_json *j) {
    if (!j) return;
    free_kids(j);
    free(j);
}

nnbt_json *nnbt_json_parse(const char *text) {
    nnbt_json *j = malloc(sizeof *j);
    const char *p = text;
    int ok = parse(&p, j);
    skip_ws(&p);
    if (!ok || *p) {
        free_kids(j);
        free(j);
        j = NULL;
    }
    return j;
}

nnbt_json *nnbt_json_load(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    size_t got = fread(buf, 1, (size_t)n, f);
    fclose(f);
    buf[got] = 0;
    nnbt_json *j = nnbt_json_parse(buf);
    free(buf);
    return j;
}

int nnbt_json_is_num(const nnbt_json *j) { return j && j->type == J_NUM; }
int nnbt_json_is_null(const nnbt_json *j) { return j && j->type == J_NULL; }

const nnbt_json *nnbt_json_get(const nnbt_json *j, const char *path) {
    char key[256];
    while (j && *path) {
        const char *dot = strchr(path, '.');
        size_t n = dot ? (size_t)(dot - path) : strlen(path);
        if (n >= sizeof key || j->type != J_OBJ) return NULL;
        memcpy(key, path, n);
        key[n] = 0;
        const nnbt_json *next = NULL;
        for (size_t i = 0; i < j->n; i++)
            if (strcmp(j->keys[i], key) == 0) next = &j->kids[i];
        j = next;
        path += n + (dot ? 1 : 0);
    }
    return j;
}

double nnbt_json_num(const nnbt_json *j) { return j && j->type == J_NUM ? j->num : NAN; }
const char *nnbt_json_str(const nnbt_json *j) { return j && j->type == J_STR ? j->str : NULL; }
size_t nnbt_json_len(const nnbt_json *j) { return j && j->type == J_ARR ? j->n : 0; }
const nnbt_json *nnbt_json_at(const nnbt_json *j, size_t i) {
    return j && j->type == J_ARR && i < j->n ? &j->kids[i] : NULL;
}

static void flatten(const nnbt_json *j, double *out, size_t *k) {
    if (j->type == J_ARR)
        for (size_t i = 0; i < j->n; i++) flatten(&j->kids[i], out, k);
    else
        out[(*k)++] = j->num;
}

static size_t count(const nnbt_json *j) {
    if (j->type != J_ARR) return 1;
    size_t s = 0;
    for (size_t i = 0; i < j->n; i++) s += count(&j->kids[i]);
    return s;
}

double *nnbt_json_doubles(const nnbt_json *j, size_t *n) {
    if (!j) return NULL;
    size_t c = count(j), k = 0;
    double *out = malloc((c ? c : 1) * sizeof *out);
    flatten(j, out, &k);
    if (n) *n = c;
    return out;
}

static nnbt_json *fixtures;
static void free_fixtures(void) { nnbt_json_free(fixtures); }

const nnbt_json *nnbt_fixtures(void) {
    if (!fixtures && nnbt_shared_dir()) {
        fixtures = nnbt_json_load(nnbt_shared_path("data/seed-fixtures.json"));
        atexit(free_fixtures);
    }
    return fixtures;
}

/* ---- admissions ---- */

size_t nnbt_admissions(double **Xp, double **yp, double mean_std[4]) {
    FILE *f = fopen(nnbt_shared_path("data/admissions.csv"), "rb");
    if (!f) return 0;
    size_t cap = 512, n = 0;
    double *raw = malloc(cap * 4 * sizeof *raw);
    char line[256];
    /* The header; the file may end its lines with \n, \r\n or a bare \r, so split on both. */
    int c, len = 0, header = 1;
    for (;;) {
        c = fgetc(f);
        if (c == EOF || c == '\n' || c == '\r') {
            line[len] = 0;
            if (len > 0 && !header) {
                double v[4];
                if (sscanf(line, "%lf,%lf,%lf,%lf", &v[0], &v[1], &v[2], &v[3]) == 4) {
                    if (n == cap) raw = realloc(raw, (cap *= 2) * 4 * sizeof *raw);
                    memcpy(raw + 4 * n++, v, sizeof v);
                }
            }
            if (len > 0) header = 0;
            len = 0;
            if (c == EOF) break;
            continue;
        }
        if (len < (int)sizeof line - 1) line[len++] = (char)c;
    }
    fclose(f);
    double mean[2] = {0, 0}, sd[2] = {0, 0};
    for (int k = 0; k < 2; k++) {
        for (size_t i = 0; i < n; i++) mean[k] += raw[4 * i + 1 + k];
        mean[k] /= (double)n;
        for (size_t i = 0; i < n; i++) {
            double d = raw[4 * i + 1 + k] - mean[k];
            sd[k] += d * d;
        }
        sd[k] = sqrt(sd[k] / (double)(n - 1));
    }
    double *X = calloc(n * 6, sizeof *X), *y = malloc(n * sizeof *y);
    for (size_t i = 0; i < n; i++) {
        y[i] = raw[4 * i];
        X[6 * i + 0] = (raw[4 * i + 1] - mean[0]) / sd[0];
        X[6 * i + 1] = (raw[4 * i + 2] - mean[1]) / sd[1];
        int rank = (int)raw[4 * i + 3];
        if (rank >= 1 && rank <= 4) X[6 * i + 1 + rank] = 1.0;
    }
    free(raw);
    if (mean_std) {
        mean_std[0] = mean[0], mean_std[1] = sd[0], mean_std[2] = mean[1], mean_std[3] = sd[1];
    }
    *Xp = X;
    *yp = y;
    return n;
}

double *nnbt_gather(const double *a, size_t cols, const size_t *idx, size_t n) {
    double *out = malloc((n * cols > 0 ? n * cols : 1) * sizeof *out);
    for (size_t i = 0; i < n; i++) memcpy(out + i * cols, a + idx[i] * cols, cols * sizeof *out);
    return out;
}

/* ---- files ---- */

static char tmpdir[256];
static pid_t tmpdir_owner;

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

static void remove_tmpdir(void) {
    /* Check runs each test in a forked child: only the process that made the folder removes it. */
    if (tmpdir[0] && getpid() == tmpdir_owner) nftw(tmpdir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

const char *nnbt_tmpdir(void) {
    if (!tmpdir[0] || getpid() != tmpdir_owner) {
        const char *base = getenv("TMPDIR");
        snprintf(tmpdir, sizeof tmpdir, "%s/nnbt.XXXXXX", base && *base ? base : "/tmp");
        ck_assert_msg(mkdtemp(tmpdir) != NULL, "mkdtemp %s failed", tmpdir);
        if (!tmpdir_owner) atexit(remove_tmpdir);
        tmpdir_owner = getpid();
    }
    return tmpdir;
}

void nnbt_tmp_path(char *buf, size_t len, const char *name) {
    snprintf(buf, len, "%s/%s", nnbt_tmpdir(), name);
}

const char *nnbt_tmp(const char *name) {
    static char bufs[8][600];
    static int next;
    char *b = bufs[next++ % 8];
    nnbt_tmp_path(b, sizeof bufs[0], name);
    return b;
}

int nnbt_write_file(const char *path, const void *data, size_t len) {
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    int ok = fwrite(data, 1, len, f) == len;
    return fclose(f) == 0 && ok;
}

char *nnbt_read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *b = realloc(buf, 2 * cap + 1);
            if (!b) free(buf);
            buf = b;
            cap *= 2;
        }
    }
    fclose(f);
    if (!buf) return NULL;
    buf[n] = 0;
    if (len) *len = n;
    return buf;
}

/* ---- numbers ---- */

int nnbt_close(double a, double b, double rel_tol) {
    if (a == b) return 1;
    if (!isfinite(a) || !isfinite(b)) return 0;
    return fabs(a - b) <= rel_tol * fmax(fabs(a), fabs(b));
}

double nnbt_uniform(nnbt_rng *r) {
    /* splitmix64 */
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return (double)(z >> 11) * 0x1.0p-53;
}

double nnbt_normal(nnbt_rng *r) {
    double u1 = nnbt_uniform(r), u2 = nnbt_uniform(r);
    if (u1 < 1e-300) u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

/* ---- IDX folders ---- */

static void put_be32(FILE *f, uint32_t v) {
    unsigned char b[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 8), (unsigned char)v};
    fwrite(b, 1, 4, f);
}

const char *nnbt_idx_folder(const char *name, size_t train, size_t test, size_t side) {
    static char dir[512];
    nnbt_tmp_path(dir, sizeof dir, name);
    mkdir(dir, 0700);
    ck_assert(side >= 8 && side <= 255);
    unsigned char *img = malloc(side * side);
    ck_assert_ptr_nonnull(img);
    nnbt_rng r = {5};
    for (int part = 0; part < 2; part++) {
        size_t n = part ? test : train;
        char path[600];
        snprintf(path, sizeof path, "%s/%s-images-idx3-ubyte", dir, part ? "t10k" : "train");
        FILE *fi = fopen(path, "wb");
        snprintf(path, sizeof path, "%s/%s-labels-idx1-ubyte", dir, part ? "t10k" : "train");
        FILE *fl = fopen(path, "wb");
        ck_assert(fi && fl);
        put_be32(fi, 0x803), put_be32(fi, (uint32_t)n);
        put_be32(fi, (uint32_t)side), put_be32(fi, (uint32_t)side);
        put_be32(fl, 0x801), put_be32(fl, (uint32_t)n);
        for (size_t i = 0; i < n; i++) {
            size_t k = i % 10;
            for (size_t p = 0; p < side * side; p++)
                img[p] = (unsigned char)(nnbt_uniform(&r) * 60);
            for (size_t p = 0; p < side; p++)
                img[(k / 2) * side + p] = 200, img[p * side + k % 8] = 220;
            fwrite(img, 1, side * side, fi);
            fputc((int)k, fl);
        }
        ck_assert(fclose(fi) == 0 && fclose(fl) == 0);
    }
    free(img);
    return dir;
}

/* ---- programs ---- */

nnbt_proc nnbt_spawn(const char *program, char **argv, char **extra_env) {
    char out[512], err[512];
    nnbt_tmp_path(out, sizeof out, "stdout.txt");
    nnbt_tmp_path(err, sizeof err, "stderr.txt");
    size_t n_env = 0, n_extra = 0;
    while (environ[n_env]) n_env++;
    while (extra_env && extra_env[n_extra]) n_extra++;
    char **env = malloc((n_env + n_extra + 1) * sizeof *env);
    ck_assert_ptr_nonnull(env);
    memcpy(env, environ, n_env * sizeof *env);
    if (n_extra) memcpy(env + n_env, extra_env, n_extra * sizeof *env);
    env[n_env + n_extra] = NULL;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid;
    ck_assert_int_eq(posix_spawn(&pid, program, &fa, NULL, argv, env), 0);
    posix_spawn_file_actions_destroy(&fa);
    free(env);
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    nnbt_proc r;
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
    r.out = nnbt_read_file(out, &r.out_len);
    r.err = nnbt_read_file(err, NULL);
    ck_assert(r.out && r.err);
    return r;
}

nnbt_proc nnbt_spawn_tty(const char *program, char **argv) {
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    ck_assert_int_ge(master, 0);
    ck_assert_int_eq(grantpt(master), 0);
    ck_assert_int_eq(unlockpt(master), 0);
    const char *slave = ptsname(master);
    char err[512];
    nnbt_tmp_path(err, sizeof err, "stderr.txt");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, slave, O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid;
    ck_assert_int_eq(posix_spawn(&pid, program, &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    size_t cap = 1 << 16, n = 0;
    char *out = malloc(cap);
    ck_assert_ptr_nonnull(out);
    int status = 0, done = 0;
    for (;;) { /* read until the program has ended and the terminal holds nothing more */
        struct pollfd p = {master, POLLIN, 0};
        int ready = poll(&p, 1, 100) > 0;
        ssize_t got = ready ? read(master, out + n, cap - 1 - n) : 0;
        if (got > 0) n += (size_t)got;
        if (n + 1 == cap) {
            ck_assert_ptr_nonnull(out = realloc(out, cap *= 2));
        }
        if (done && got <= 0) break;
        if (!done && waitpid(pid, &status, WNOHANG) == pid) done = 1;
    }
    out[n] = '\0';
    close(master);
    nnbt_proc r;
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
    r.out = out;
    r.out_len = n;
    r.err = nnbt_read_file(err, NULL);
    ck_assert(r.err);
    return r;
}

void nnbt_assert_exit(nnbt_proc r, int code, ...) {
    ck_assert_msg(r.code == code, "exit %d (stderr: %s), expected %d", r.code, r.err, code);
    va_list ap;
    va_start(ap, code);
    for (const char *f = va_arg(ap, const char *); f; f = va_arg(ap, const char *))
        ck_assert_msg(strstr(r.err, f), "stderr \"%s\" lacks \"%s\"", r.err, f);
    va_end(ap);
    nnbt_proc_free(&r);
}

void nnbt_proc_free(nnbt_proc *p) {
    free(p->out);
    free(p->err);
}

void nnbt_no_time_limits(void) { setenv("CK_TIMEOUT_MULTIPLIER", "0", 0); }

/* ---- test sizes ---- */

int nnbt_small(void) {
    const char *s = getenv("NNBLAS_TEST_SCALE");
    return s && strcmp(s, "small") == 0;
}

size_t nnbt_scale(size_t full, size_t small) { return nnbt_small() ? small : full; }

int nnbt_valgrind(void) {
    const char *s = getenv("NNBLAS_VALGRIND");
    return s && strcmp(s, "1") == 0;
}

/* ---- main ---- */

int nnbt_cpu_has(const char *isa) {
    if (strcmp(isa, "scalar") == 0) return 1;
#if defined(__x86_64__)
    __builtin_cpu_init();
    int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if (strcmp(isa, "avx2") == 0) return avx2;
    if (strcmp(isa, "avx512") == 0)
        return avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
               __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw");
#endif
    return 0;
}

int nnbt_run(Suite *s, int needs_shared) {
    if (needs_shared && !nnbt_shared_dir()) {
        const char *req = getenv("NNBLAS_REQUIRE_SHARED");
        if (req && strcmp(req, "1") == 0) {
            fprintf(stderr,
                    "the shared data folder is missing (NNBLAS_SHARED_DIR=%s) and "
                    "NNBLAS_REQUIRE_SHARED=1\n",
                    getenv("NNBLAS_SHARED_DIR") ? getenv("NNBLAS_SHARED_DIR") : "");
            return 1;
        }
        fprintf(stderr, "skipped: the shared data folder (../shared) is missing\n");
        return 77;
    }
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}

nnbt_proc nnbt_cli_runv(const char *first, ...) {
    const char *cli = getenv("NNBLAS_CLI");
    ck_assert_msg(cli && *cli, "NNBLAS_CLI is not set");
    char *argv[64];
    int n = 0;
    argv[n++] = "nnblas";
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a; a = va_arg(ap, const char *)) {
        ck_assert_int_lt(n, 63);
        argv[n++] = (char *)a;
    }
    va_end(ap);
    argv[n] = NULL;
    return nnbt_spawn(cli, argv, NULL);
}

const char *nnbt_comma_locale(void) {
    const char *names[] = {"de_DE.UTF-8", "de_DE.utf8",  "fr_FR.UTF-8", "fr_FR.utf8",
                           "nl_NL.UTF-8", "es_ES.UTF-8", "it_IT.UTF-8", "ru_RU.UTF-8",
                           "pt_BR.UTF-8", "de_DE",       "fr_FR"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (setlocale(LC_ALL, names[i]) && localeconv()->decimal_point[0] == ',') return names[i];
    setlocale(LC_ALL, "C");
    char cmd[512];
    snprintf(cmd, sizeof cmd, "localedef -i de_DE -f UTF-8 %s/de_DE.UTF-8 >/dev/null 2>&1",
             nnbt_tmpdir());
    if (system(cmd) != 0) return NULL;
    setenv("LOCPATH", nnbt_tmpdir(), 1);
    if (setlocale(LC_ALL, "de_DE.UTF-8") && localeconv()->decimal_point[0] == ',')
        return "de_DE.UTF-8 (generated)";
    setlocale(LC_ALL, "C");
    return NULL;
}
