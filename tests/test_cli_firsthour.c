/*
 * A new user's first hour with the nnblas command (its path in NNBLAS_CLI): the shared
 * vocabulary (the command's old spellings and Python's both work, names come from the library),
 * unknown options, values and columns get the nearest suggestion, default standardisation stored
 * in the model, delimiter detection and --delimiter, --drop-bad-rows, class targets with nearly
 * one class per row, and the SVG pictures of train --plot and eval --plot.
 */
#define _XOPEN_SOURCE 700

#include <stdarg.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nnb_test.h"

/* ---- running the command ------------------------------------------------------------------- */

typedef nnbt_proc run;

static const char *cli(void) {
    const char *p = getenv("NNBLAS_CLI");
    ck_assert_msg(p && *p, "NNBLAS_CLI is not set");
    return p;
}

#define MAX_ARGS 64

/* Runs nnblas with the arguments given as separate strings, ending with NULL. */
static run runv(const char *first, ...) {
    char *argv[MAX_ARGS];
    int n = 0;
    argv[n++] = "nnblas";
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a; a = va_arg(ap, const char *)) {
        ck_assert_int_lt(n, MAX_ARGS - 1);
        argv[n++] = (char *)a;
    }
    va_end(ap);
    argv[n] = NULL;
    return nnbt_spawn(cli(), argv, NULL);
}

#define assert_ok(r) ck_assert_msg((r).code == 0, "exit %d, stderr: %s", (r).code, (r).err)

/* Exit `code` with a message on stderr containing each fragment (NULL-terminated). */
static void assert_exit(run r, int code, ...) {
    ck_assert_msg(r.code == code, "exit %d (stderr: %s), expected %d", r.code, r.err, code);
    va_list ap;
    va_start(ap, code);
    for (const char *f = va_arg(ap, const char *); f; f = va_arg(ap, const char *))
        ck_assert_msg(strstr(r.err, f), "stderr \"%s\" lacks \"%s\"", r.err, f);
    va_end(ap);
    nnbt_proc_free(&r);
}

/* A path in the test's temporary folder (a few static buffers, used in turn). */
static const char *tmp(const char *name) {
    static char bufs[8][600];
    static int next;
    char *b = bufs[next++ % 8];
    snprintf(b, 600, "%s/%s", nnbt_tmpdir(), name);
    return b;
}

/* ---- data ---------------------------------------------------------------------------------- */

/* Three classes of flowers by four measurements, iris-like: class k has measurement means
 * base[j] + k * step[j], in columns whose scales differ (the last in thousandths of a unit).
 * `sep` separates the fields. */
static const char *flowers_csv(const char *name, size_t rows, char sep) {
    static const char *species[] = {"setosa", "versicolor", "virginica"};
    const char *path = tmp(name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    nnbt_rng r = {3};
    fprintf(f, "sepal_length%csepal_width%cpetal_length%cpetal_width%cspecies\n", sep, sep, sep,
            sep);
    for (size_t i = 0; i < rows; i++) {
        int k = (int)(i % 3);
        double a = 5.0 + 0.8 * k + 0.4 * nnbt_normal(&r), b = 3.4 - 0.3 * k + 0.3 * nnbt_normal(&r);
        double c = 1.5 + 2.2 * k + 0.4 * nnbt_normal(&r);
        double d = 1000 * (0.2 + 0.9 * k + 0.25 * nnbt_normal(&r));
        fprintf(f, "%.2f%c%.2f%c%.2f%c%.0f%c%s\n", a, sep, b, sep, c, sep, d, sep, species[k]);
    }
    fclose(f);
    return path;
}

/* ---- the shared vocabulary ----------------------------------------------------------------- */

START_TEST(both_vocabularies_work) {
    const char *csv = flowers_csv("flowers.csv", 90, ',');
    /* the command's old spellings */
    run r = runv("train", "--csv", csv, "--target", "species", "--layers", "6", "--activation",
                 "leaky-relu:0.1", "--init", "xavier", "--epochs", "2", "--optimizer", "ADAM",
                 NULL);
    assert_ok(r);
    ck_assert_msg(strstr(r.out, "network: 4 -> 6 leaky_relu -> 3 softmax"), "%s", r.out);
    ck_assert_msg(strstr(r.out, "training: adam, lr 0.001"), "%s", r.out);
    nnbt_proc_free(&r);
    /* Python's and Keras's */
    r = runv("train", "--csv", csv, "--target", "species", "--layers", "6", "--activation",
             "leaky_relu", "--init", "he_normal", "--loss", "categorical_crossentropy",
             "--output", "SoftMax", "--epochs", "2", "--reduction", "mean", NULL);
    assert_ok(r);
    ck_assert_msg(strstr(r.out, "loss ce (mean)"), "%s", r.out);
    nnbt_proc_free(&r);
    /* the output for --loss bce comes from the library's table */
    assert_exit(runv("train", "--csv", csv, "--target", "species", "--loss", "bce", NULL), 2,
                "--loss bce needs a sigmoid output layer", NULL);
    assert_exit(runv("train", "--csv", csv, "--target", "species", "--init", "glorot_unifrom",
                     NULL),
                2, "did you mean 'glorot_uniform'?", NULL);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("cli_firsthour");
    TCase *tc = tcase_create("first hour");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, both_vocabularies_work);
    suite_add_tcase(s, tc);
    return s;
}

NNBT_MAIN(suite, 0)
