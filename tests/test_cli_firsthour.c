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

#define runv nnbt_cli_runv

#define assert_ok(r) ck_assert_msg((r).code == 0, "exit %d, stderr: %s", (r).code, (r).err)

#define assert_exit nnbt_assert_exit

#define tmp nnbt_tmp

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
    run r =
        runv("train", "--csv", csv, "--target", "species", "--layers", "6", "--activation",
             "leaky-relu:0.1", "--init", "xavier", "--epochs", "2", "--optimizer", "ADAM", NULL);
    assert_ok(r);
    ck_assert_msg(strstr(r.out, "network: 4 -> 6 leaky_relu -> 3 softmax"), "%s", r.out);
    ck_assert_msg(strstr(r.out, "training: adam, lr 0.001"), "%s", r.out);
    nnbt_proc_free(&r);
    /* Python's and Keras's */
    r = runv("train", "--csv", csv, "--target", "species", "--layers", "6", "--activation",
             "leaky_relu", "--init", "he_normal", "--loss", "categorical_crossentropy", "--output",
             "SoftMax", "--epochs", "2", "--reduction", "mean", NULL);
    assert_ok(r);
    ck_assert_msg(strstr(r.out, "loss ce (mean)"), "%s", r.out);
    nnbt_proc_free(&r);
    /* the output for --loss bce comes from the library's table */
    assert_exit(runv("train", "--csv", csv, "--target", "species", "--loss", "bce", NULL), 2,
                "--loss bce needs a sigmoid output layer", NULL);
    assert_exit(
        runv("train", "--csv", csv, "--target", "species", "--init", "glorot_unifrom", NULL), 2,
        "did you mean 'glorot_uniform'?", NULL);
}
END_TEST


/* The test accuracy printed by train. */
static double test_accuracy(const run *r) {
    const char *line = strstr(r->out, "test accuracy ");
    ck_assert_msg(line != NULL, "%s", r->out);
    double acc = -1;
    ck_assert(sscanf(line, "test accuracy %lf", &acc) == 1);
    return acc;
}

/* The line of out that starts with `start` (a copy), or NULL. */
static char *line_of(const char *out, const char *start) {
    const char *p = strstr(out, start);
    if (!p) return NULL;
    const char *e = strchr(p, '\n');
    return strndup(p, e ? (size_t)(e - p) : strlen(p));
}

/* ---- defaults ------------------------------------------------------------------------------ */

START_TEST(standardised_by_default) {
    const char *csv = flowers_csv("flowers_std.csv", 150, ','), *model = tmp("std.nnb");
    run r = runv("train", "--csv", csv, "--target", "species", "--save", model, NULL);
    assert_ok(r);
    ck_assert_msg(test_accuracy(&r) >= 0.9, "%s", r.out);
    ck_assert_ptr_null(strstr(r.err, "note:"));
    nnbt_proc_free(&r);
    /* the scaling is in the model: every feature standardised with the training part's stats */
    nnb_net *net;
    nnb_prep *prep;
    nnbt_ok(nnb_model_read(&net, &prep, NULL, model));
    static const char *const cols[] = {"sepal_length", "sepal_width", "petal_length",
                                       "petal_width"};
    for (int j = 0; j < 4; j++) {
        nnb_scale how;
        double mean, sd;
        nnbt_ok(nnb_prep_column_stats(prep, cols[j], &how, &mean, &sd, NULL));
        ck_assert_int_eq(how, NNB_SCALE_STANDARD);
        ck_assert(sd > 0);
    }
    nnb_net_free(net);
    nnb_prep_free(prep);
    /* eval applies it: the accuracy over every row is as good */
    r = runv("eval", "--model", model, "--csv", csv, NULL);
    assert_ok(r);
    double acc = 0;
    ck_assert(sscanf(strstr(r.out, "accuracy "), "accuracy %lf", &acc) == 1);
    ck_assert_msg(acc >= 0.9, "%s", r.out);
    nnbt_proc_free(&r);
    /* opting out: the scales differ 1000-fold, and the note says so once */
    r = runv("train", "--csv", csv, "--target", "species", "--standardize", "none", "--epochs", "2",
             NULL);
    assert_ok(r);
    const char *note = strstr(r.err, "note: the features' scales differ by a factor of");
    ck_assert_msg(note && strstr(r.err, "'petal_width'"), "%s", r.err);
    ck_assert_ptr_null(strstr(note + 1, "note:"));
    nnbt_proc_free(&r);
}
END_TEST

/* scikit-learn's iris and diabetes data as CSV files, written by Debian's Python; 0 if it has
 * no scikit-learn. */
static int sklearn_csvs(const char *iris, const char *diabetes) {
    if (access("/usr/bin/python3", X_OK) != 0) return 0;
    char *argv[] = {"python3",
                    "-c",
                    "import sys\n"
                    "from sklearn.datasets import load_iris, load_diabetes\n"
                    "d = load_iris(as_frame=True)\n"
                    "f = d.frame.copy()\n"
                    "f['target'] = [d.target_names[i] for i in f['target']]\n"
                    "f.rename(columns={'target': 'species'}).to_csv(sys.argv[1], index=False)\n"
                    "load_diabetes(as_frame=True, scaled=False).frame.to_csv(sys.argv[2],\n"
                    "                                                        index=False)\n",
                    (char *)iris,
                    (char *)diabetes,
                    NULL};
    run r = nnbt_spawn("/usr/bin/python3", argv, NULL);
    int ok = r.code == 0;
    nnbt_proc_free(&r);
    return ok;
}

START_TEST(a_new_users_first_runs) {
    const char *iris = tmp("iris.csv"), *diabetes = tmp("diabetes.csv");
    if (!sklearn_csvs(iris, diabetes)) {
        fprintf(stderr, "no scikit-learn in /usr/bin/python3: iris and diabetes skipped\n");
        return;
    }
    /* nothing but the file and the target */
    run r = runv("train", "--csv", iris, "--target", "species", NULL);
    assert_ok(r);
    ck_assert_msg(test_accuracy(&r) >= 0.9, "%s", r.out);
    nnbt_proc_free(&r);
    r = runv("train", "--csv", diabetes, "--target", "target", NULL);
    assert_ok(r);
    double rmse = 0;
    const char *line = strstr(r.out, "test RMSE ");
    ck_assert_msg(line && sscanf(line, "test RMSE %lf", &rmse) == 1, "%s", r.out);
    /* the target's standard deviation is 77; a linear model gets about 55 */
    ck_assert_msg(rmse < 65, "%s", r.out);
    ck_assert(strstr(r.out, "task: regression"));
    nnbt_proc_free(&r);
    /* a continuous target taken for classes is refused */
    assert_exit(runv("train", "--csv", diabetes, "--target", "target", "--loss", "ce", NULL), 1,
                "the target 'target' has 214 classes in 442 rows", "looks like a quantity", NULL);
}
END_TEST

/* ---- delimiters and bad rows --------------------------------------------------------------- */

START_TEST(delimiters) {
    const char *comma = flowers_csv("f_comma.csv", 60, ','),
               *semi = flowers_csv("f_semi.csv", 60, ';'),
               *tab = flowers_csv("f_tab.csv", 60, '\t');
    const char *model = tmp("delim.nnb");
    run r = runv("train", "--csv", comma, "--target", "species", "--epochs", "3", "--quiet", NULL);
    assert_ok(r);
    char *want = line_of(r.out, "test accuracy");
    ck_assert_ptr_nonnull(want);
    nnbt_proc_free(&r);
    /* detected, or named: the same training */
    const char *files[] = {semi, tab, semi, tab};
    const char *flags[] = {NULL, NULL, ";", "tab"};
    for (int i = 0; i < 4; i++) {
        r = flags[i] ? runv("train", "--csv", files[i], "--target", "species", "--epochs", "3",
                            "--quiet", "--delimiter", flags[i], "--save", model, NULL)
                     : runv("train", "--csv", files[i], "--target", "species", "--epochs", "3",
                            "--quiet", "--save", model, NULL);
        assert_ok(r);
        char *got = line_of(r.out, "test accuracy");
        ck_assert_msg(got && strcmp(got, want) == 0, "%s vs %s", got, want);
        free(got);
        nnbt_proc_free(&r);
    }
    free(want);
    /* eval and predict detect it too */
    r = runv("eval", "--model", model, "--csv", semi, NULL);
    assert_ok(r);
    ck_assert(strstr(r.out, "rows 60"));
    nnbt_proc_free(&r);
    r = runv("predict", "--model", model, "--csv", comma, "--delimiter", ",", NULL);
    assert_ok(r);
    nnbt_proc_free(&r);
    /* a wrong delimiter: the columns are not there */
    assert_exit(runv("train", "--csv", semi, "--target", "species", "--delimiter", ",", NULL), 1,
                "has no column 'species'", NULL);
    assert_exit(runv("train", "--csv", semi, "--target", "species", "--delimiter", "ab", NULL), 2,
                "--delimiter: 'ab' is not one character", NULL);
    assert_exit(runv("eval", "--model", model, "--idx", "mnist:/x", "--delimiter", ";", NULL), 2,
                "--delimiter is for CSV data", NULL);
    /* the library's detector alone */
    char d = 0;
    nnbt_ok(nnb_csv_detect_delimiter(tab, &d));
    ck_assert_int_eq(d, '\t');
    nnbt_ok(nnb_csv_detect_delimiter(semi, &d));
    ck_assert_int_eq(d, ';');
    const char *quoted = tmp("quoted.csv");
    const char text[] = "\xEF\xBB\xBF\n\"a;b;c\",d\n1,2\n";
    nnbt_write_file(quoted, text, sizeof text - 1);
    nnbt_ok(nnb_csv_detect_delimiter(quoted, &d));
    ck_assert_int_eq(d, ','); /* the semicolons are quoted */
    nnbt_expect(nnb_csv_detect_delimiter(tmp("absent.csv"), &d), NNB_E_IO, "absent.csv");
    nnbt_expect(nnb_csv_detect_delimiter(NULL, &d), NNB_E_NULL, "path");
    /* the same on bytes in memory (what the command does with a pipe, read once) */
    nnbt_ok(nnb_csv_detect_delimiter_buffer(text, sizeof text - 1, &d));
    ck_assert_int_eq(d, ',');
    const char semis[] = "\r\n\na;b;\"c,d,e\"\n1;2;3\n";
    nnbt_ok(nnb_csv_detect_delimiter_buffer(semis, sizeof semis - 1, &d));
    ck_assert_int_eq(d, ';');
    nnbt_ok(nnb_csv_detect_delimiter_buffer("x\ty", 1, &d)); /* only "x": none found, ',' */
    ck_assert_int_eq(d, ',');
    nnbt_ok(nnb_csv_detect_delimiter_buffer("x\ty", 3, &d));
    ck_assert_int_eq(d, '\t');
    nnbt_expect(nnb_csv_detect_delimiter_buffer(NULL, 0, &d), NNB_E_NULL, "data");
    nnbt_expect(nnb_csv_detect_delimiter_buffer(semis, 3, NULL), NNB_E_NULL, "delimiter");
}
END_TEST

START_TEST(bad_rows) {
    const char *csv = tmp("holes.csv");
    FILE *f = fopen(csv, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "a,b,label\n");
    nnbt_rng g = {9};
    for (int i = 0; i < 60; i++) {
        double a = nnbt_normal(&g), b = nnbt_normal(&g);
        if (i == 7)
            fprintf(f, ",%.3f,%s\n", b, a + b > 0 ? "yes" : "no");
        else if (i == 20)
            fprintf(f, "%.3f,NA,%s\n", a, a + b > 0 ? "yes" : "no");
        else if (i == 33)
            fprintf(f, "%.3f,oops,%s\n", a, a + b > 0 ? "yes" : "no");
        else
            fprintf(f, "%.3f,%.3f,%s\n", a, b, a + b > 0 ? "yes" : "no");
    }
    fclose(f);
    assert_exit(runv("train", "--csv", csv, "--target", "label", NULL), 1,
                "--drop-bad-rows leaves such rows out", NULL);
    run r =
        runv("train", "--csv", csv, "--target", "label", "--drop-bad-rows", "--epochs", "2", NULL);
    assert_ok(r);
    ck_assert_msg(strstr(r.out, "57 rows (3 dropped: missing or bad values)"), "%s", r.out);
    nnbt_proc_free(&r);
    r = runv("train", "--csv", csv, "--target", "label", "--drop-bad-rows", "--epochs", "2",
             "--json", NULL);
    assert_ok(r);
    ck_assert_msg(strstr(r.out, "\"dropped_rows\":3"), "%s", r.out);
    nnbt_proc_free(&r);
}
END_TEST

/* ---- errors that say more ------------------------------------------------------------------ */

START_TEST(suggestions) {
    const char *csv = flowers_csv("flowers_err.csv", 30, ',');
    assert_exit(runv("train", "--csv", csv, "--target", "specie", NULL), 1,
                "--target: ", "has no column 'specie'; did you mean 'species'?",
                "its columns: sepal_length, sepal_width, petal_length, petal_width, species", NULL);
    assert_exit(runv("train", "--csv", csv, "--target", "species", "--drop", "sepal-lenght", NULL),
                1, "did you mean 'sepal_length'?", NULL);
    assert_exit(runv("train", "--csv", csv, "--target", "species", "--stadardize", "none", NULL), 2,
                "unknown option '--stadardize'; did you mean '--standardize'?", NULL);
    assert_exit(runv("train", "--csv", csv, "--target", "species", "--drop-bad-row", NULL), 2,
                "did you mean '--drop-bad-rows'?", NULL);
    assert_exit(runv("eval", "--modle", "x.nnb", NULL), 2, "did you mean '--model'?", NULL);
    assert_exit(runv("predict", "--model", "x.nnb", "--csv", csv, "--ot", "y", NULL), 2,
                "did you mean '--out'?", NULL);
    assert_exit(runv("train", "--csv", csv, "--target", "species", "--frobnicate", NULL), 2,
                "unknown option '--frobnicate'", NULL);
    /* the library's own message for a missing column */
    nnb_table *t;
    nnb_csv_opts *o;
    nnbt_ok(nnb_csv_opts_create(&o));
    nnbt_ok(nnb_csv_opts_add_text_column(o, "species"));
    nnbt_ok(nnb_csv_read(&t, csv, o));
    size_t col;
    nnbt_expect(nnb_table_find_column(t, "Petal_Widht", &col), NNB_E_INVALID_ARG,
                "no column 'Petal_Widht'; did you mean 'petal_width'? (columns: sepal_length");
    nnb_table_free(t);
    nnb_csv_opts_free(o);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("cli_firsthour");
    TCase *tc = tcase_create("first hour");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, both_vocabularies_work);
    tcase_add_test(tc, standardised_by_default);
    tcase_add_test(tc, a_new_users_first_runs);
    tcase_add_test(tc, delimiters);
    tcase_add_test(tc, bad_rows);
    tcase_add_test(tc, suggestions);
    suite_add_tcase(s, tc);
    return s;
}

NNBT_MAIN(suite, 0)
