/*
 * Helpers shared by the Check suites: the shared-data folder, a small JSON reader for
 * seed-fixtures.json, the admissions data prepared as the tutorial prepares it, tolerance checks
 * and a main() per suite.
 */
#ifndef NNB_TEST_H
#define NNB_TEST_H

/* The tests exercise the whole library, nnblas.h's experimental tier included. */
#ifndef NNB_EXPERIMENTAL
#  define NNB_EXPERIMENTAL
#endif

#include <check.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnblas.h"

/* ---- shared data ---- */

/* The shared folder (NNBLAS_SHARED_DIR, else the one meson was configured with), or NULL if it
 * does not exist. */
const char *nnbt_shared_dir(void);
/* Path of a file under the shared folder, in a static buffer. */
const char *nnbt_shared_path(const char *rel);

/* ---- JSON (enough for the fixtures: objects, arrays, numbers, strings, literals) ---- */

typedef struct nnbt_json nnbt_json;
nnbt_json *nnbt_json_load(const char *path);
/* Parses a whole text as one JSON value (NULL if it is not exactly one). */
nnbt_json *nnbt_json_parse(const char *text);
int nnbt_json_is_num(const nnbt_json *j);
int nnbt_json_is_null(const nnbt_json *j);
void nnbt_json_free(nnbt_json *j);
/* Member lookup by a dotted path ("a.b.c"); NULL if absent. */
const nnbt_json *nnbt_json_get(const nnbt_json *j, const char *path);
double nnbt_json_num(const nnbt_json *j);
const char *nnbt_json_str(const nnbt_json *j);               /* string value, or NULL */
size_t nnbt_json_len(const nnbt_json *j);                    /* array length */
const nnbt_json *nnbt_json_at(const nnbt_json *j, size_t i); /* array item */
/* Flattens a numeric array (or array of arrays, row-major) into a new malloc'd buffer. */
double *nnbt_json_doubles(const nnbt_json *j, size_t *n);

/* The fixtures file, loaded once (NULL if the shared folder is missing). */
const nnbt_json *nnbt_fixtures(void);

/* ---- the tutorial's admissions data ---- */

/* Reads admissions.csv (admit,gre,gpa,rank), one-hots rank into rank_1..rank_4 and standardises
 * gre and gpa over all 400 rows with the sample standard deviation, as the tutorial's pandas code
 * does. X is 400 x 6 in the fixtures' feature order, y is 400. Returns the row count (0 on error). */
size_t nnbt_admissions(double **X, double **y, double mean_std[4]);

/* Gathers rows `idx` of a (n x cols) matrix into a new buffer. */
double *nnbt_gather(const double *a, size_t cols, const size_t *idx, size_t n);

/* ---- files ---- */

/* A private temporary folder, made on first use and removed (with its contents) at exit. */
const char *nnbt_tmpdir(void);
/* "<tmpdir>/name" into buf. */
void nnbt_tmp_path(char *buf, size_t len, const char *name);
/* "<tmpdir>/name" in one of 8 static buffers used in turn (for a few paths in one expression). */
const char *nnbt_tmp(const char *name);
/* A tiny MNIST-style folder "<tmpdir>/name" (made if needed): side x side images of 10 classes
 * (class k lights pixel row k/2 and column k%8, plus noise from a fixed generator), `train` and
 * `test` of them, with their labels, uncompressed. Returns the folder (a static buffer). */
const char *nnbt_idx_folder(const char *name, size_t train, size_t test, size_t side);
/* Number of entries in a folder other than . and .. (-1 if it cannot be read). */
int nnbt_count_files(const char *dir);
/* Writes len bytes to path; 1 on success. */
int nnbt_write_file(const char *path, const void *data, size_t len);
/* The whole file in a new buffer with a NUL after it (NULL on failure). */
char *nnbt_read_file(const char *path, size_t *len);

/* Sets a locale whose decimal point is a comma (LC_ALL): an installed one, else one generated
 * with localedef into the temporary folder (LOCPATH). Returns its name, or NULL (the locale is
 * then unchanged). Put "C" back with setlocale(LC_ALL, "C") after the test. */
const char *nnbt_comma_locale(void);

/* ---- programs ---- */

/* A finished program: exit status (or -signal), its standard output and error (NUL-terminated). */
typedef struct nnbt_proc {
    int code;
    char *out, *err;
    size_t out_len;
} nnbt_proc;
/* Runs `program` with argv (NULL-terminated) in this process's environment plus `extra_env`
 * ("NAME=value" strings, NULL-terminated; NULL for none), capturing its output in files of the
 * temporary folder, and waits for it. */
nnbt_proc nnbt_spawn(const char *program, char **argv, char **extra_env);
/* nnbt_spawn() with standard output on a pseudo-terminal (out: what the terminal received) and
 * no extra environment. */
nnbt_proc nnbt_spawn_tty(const char *program, char **argv);
void nnbt_proc_free(nnbt_proc *p);
/* Asserts exit `code` and a stderr containing each fragment (NULL-terminated); frees r. */
void nnbt_assert_exit(nnbt_proc r, int code, ...);
/* Runs the command under test ($NNBLAS_CLI, asserted set) with the arguments given as separate
 * strings ending with NULL (at most 62), capturing its output as nnbt_spawn does. */
nnbt_proc nnbt_cli_runv(const char *first, ...);

/* ---- CSV ---- */

/* CSV options whose text columns are the space-separated `names` (NULL or "": none). */
nnb_csv_opts *nnbt_text_columns(const char *names);
/* Parses text (len bytes) named "data.csv", asserting success. */
nnb_table *nnbt_parse(const char *text, size_t len, const nnb_csv_opts *o);

/* ---- model files ---- */

/* A small model with every part a file holds: a 24-row table (id dropped; colour, text, and size,
 * numeric, one-hot; w standardised, v min-max, u unscaled; a three-class text label), its fitted
 * preparation (unseen categories give zeros), a network N-5-4-3 (leaky ReLU with slope 0.2 and
 * bias, tanh without bias, softmax) trained `epochs` epochs with nnbt_model_opts() (0: untrained),
 * and metadata with UTF-8, an empty value and a line break. x, y are the prepared rows. */
typedef struct nnbt_model {
    nnb_net *net;
    nnb_prep *prep;
    nnb_meta *meta;
    nnb_table *table;
    double *x, *y;
    size_t rows, nf, ny;
} nnbt_model;
void nnbt_model_make(nnbt_model *m, size_t epochs);
void nnbt_model_free(nnbt_model *m);
/* The training options of nnbt_model_make (Adam, batch 5, dropout 0.1, cross-entropy). */
void nnbt_model_opts(nnb_train_opts *t, size_t epochs);
/* CRC-32 as zlib computes it, written independently; nnbt_fix_crc() rewrites a model's last four
 * bytes with the CRC of the rest, so a test can alter a model and still pass the checksum. */
uint32_t nnbt_crc32(const unsigned char *p, size_t n);
void nnbt_fix_crc(unsigned char *b, size_t len);

/* ---- numbers ---- */

/* |a - b| <= tol * max(|a|, |b|) (relative), or both tiny. */
int nnbt_close(double a, double b, double rel_tol);
#define nnbt_assert_rel(a, b, tol)                                                              \
  do {                                                                                          \
    double nnbt_a_ = (a), nnbt_b_ = (b);                                                        \
    ck_assert_msg(nnbt_close(nnbt_a_, nnbt_b_, (tol)),                                          \
                  "%s = %.17g, expected %.17g (rel err %.3g > %g)", #a, nnbt_a_, nnbt_b_,       \
                  fabs(nnbt_a_ - nnbt_b_) / fmax(fabs(nnbt_a_), fabs(nnbt_b_)), (double)(tol)); \
  } while (0)

#define nnbt_ok(call)                                                                         \
  do {                                                                                        \
    nnb_status nnbt_st_ = (call);                                                             \
    ck_assert_msg(nnbt_st_ == NNB_OK, "%s returned %s: %s", #call, nnb_status_name(nnbt_st_), \
                  nnb_last_error());                                                          \
  } while (0)

/* The call returns `status` and leaves a message containing `fragment`. */
#define nnbt_expect(call, status, fragment)                                                        \
  do {                                                                                             \
    nnb_clear_error();                                                                             \
    nnb_status st_ = (call);                                                                       \
    ck_assert_msg(st_ == (status), "%s returned %s, expected %s (%s)", #call,                      \
                  nnb_status_name(st_), nnb_status_name(status), nnb_last_error());                \
    ck_assert_msg(strstr(nnb_last_error(), (fragment)) != NULL, "%s: message \"%s\" lacks \"%s\"", \
                  #call, nnb_last_error(), (fragment));                                            \
  } while (0)

/* A small deterministic generator for test data (independent of the library's). */
typedef struct {
    uint64_t s;
} nnbt_rng;
double nnbt_uniform(nnbt_rng *r); /* [0, 1) */
double nnbt_normal(nnbt_rng *r);

/* ---- both element types ----
 * The float32 tests are a parameter of the others (issue 23): a test of a concern runs for each
 * element type, often as a Check loop test whose _i picks the type (nnbt_dtype_of), with these. */

/* _i of a loop test over the two types: 0 float64, 1 float32. */
static inline nnb_dtype nnbt_dtype_of(int i) { return i ? NNB_F32 : NNB_F64; }
/* n_in -> h act -> h act -> n_out out in element type t, Xavier-uniform from seed. */
nnb_net *nnbt_net3(nnb_dtype t, size_t n_in, size_t h, nnb_activation act, size_t n_out,
                   nnb_activation out, uint64_t seed);
/* Three-class Gaussian blobs in 20 dimensions, `rows` rows, exactly representable in float: x, y
 * as floats and xd, yd as the same values in double (any may be NULL). */
void nnbt_blobs(size_t rows, float *x, float *y, double *xd, double *yd);
/* Options: Adam at 0.01, batch 32, softmax cross-entropy (mean), `epochs`, dropout (0: none). */
nnb_train_opts *nnbt_adam_opts(size_t epochs, double dropout);
/* nnb_net_train_f32 (t float32) or nnb_net_train on the same values as doubles (t float64). */
nnb_status nnbt_train_as(nnb_net *net, const nnb_train_opts *o, nnb_dtype t, const float *x,
                         size_t rows, size_t x_cols, const float *y, size_t y_cols, nnb_history *h);
/* The parameters in the network's own type into dst (room for n_params doubles); their bytes. */
size_t nnbt_params_bytes(const nnb_net *net, void *dst);

/* ---- kernel sets ---- */

/* 1 if this CPU can run the kernel set named "scalar", "avx2" (with FMA) or "avx512" (F, DQ, VL
 * and BW), asked of the CPU directly (independently of the library's dispatch). */
int nnbt_cpu_has(const char *isa);

/* ---- test sizes ---- */

/* `full`, or `small` when the suite runs under valgrind's memcheck or the sanitizers
 * (NNBLAS_TEST_SCALE=small, set by `meson test --setup valgrind` and `--setup sanitize`), where a
 * heavy loop would take minutes: smaller sizes and fewer repetitions of the same checks, never
 * fewer kinds of check. */
size_t nnbt_scale(size_t full, size_t small);
/* 1 when NNBLAS_TEST_SCALE=small (as under `meson test --setup valgrind` or `--setup sanitize`). */
int nnbt_small(void);
/* 1 under valgrind (NNBLAS_VALGRIND=1, set by `meson test --setup valgrind`): for the few checks
 * that valgrind's emulation itself defeats (long double precision, peak memory). */
int nnbt_valgrind(void);

/* ---- deprecated interfaces tested on purpose ---- */

/* nnb_train_opts_set_epoch_callback(), the positional epoch callback deprecated until 1.0, which
 * several tests still exercise: called here, so that only this line hears the compiler's
 * deprecation warning. */
static inline nnb_status nnbt_set_epoch_callback(nnb_train_opts *opts, nnb_epoch_fn fn,
                                                 void *user_data) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    return nnb_train_opts_set_epoch_callback(opts, fn, user_data);
#pragma GCC diagnostic pop
}

/* ---- main ---- */

/* Runs the suite; needs_shared = 1 skips (exit 77) when the shared folder is missing, unless
 * NNBLAS_REQUIRE_SHARED=1, which makes that a failure. */
int nnbt_run(Suite *s, int needs_shared);
/* No test has a time limit (issue 26: a busy machine must not fail one): Check's per-test
 * timeouts are multiplied by 0 (CK_TIMEOUT_MULTIPLIER, read when the suite is built, unless the
 * environment sets it); a hang is for the caller's own bound (CI's job limit) to catch. */
void nnbt_no_time_limits(void);
#define NNBT_MAIN(suite_fn, needs_shared)        \
  int main(void) {                               \
    nnbt_no_time_limits();                       \
    return nnbt_run(suite_fn(), (needs_shared)); \
  }

#endif
