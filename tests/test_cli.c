/*
 * The nnblas command, end to end through the built binary (its path in NNBLAS_CLI): train on
 * generated CSV and IDX data, save, info, eval, predict; the command's predictions equal the
 * library's for the same model; --json output is strict JSON; bad flags and values exit 2 with
 * the usage; missing files and bad data exit 1 with a message; damaged model files exit 1, never
 * crash; saves and --out into folders that cannot take them leave nothing behind; a run resumed
 * after 4 epochs equals 10 straight epochs bit for bit; on a terminal the live bar is drawn.
 */
#define _XOPEN_SOURCE 700

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nnb_test.h"

extern char **environ;

/* ---- running the command ------------------------------------------------------------------------- */

typedef nnbt_proc run;

static void run_free(run *r) { nnbt_proc_free(r); }

static const char *cli(void) {
    const char *p = getenv("NNBLAS_CLI");
    ck_assert_msg(p && *p, "NNBLAS_CLI is not set");
    return p;
}

/* Runs nnblas with the arguments (NULL-terminated); stdout and stderr are captured. */
static run run_argv(char **argv) { return nnbt_spawn(cli(), argv, NULL); }

#define MAX_ARGS 64
#define runv nnbt_cli_runv

/* Runs nnblas with a command line split at spaces ('' is an empty argument). */
static run runs(const char *line) {
    char *copy = strdup(line), *argv[MAX_ARGS], *save = NULL;
    int n = 0;
    argv[n++] = "nnblas";
    for (char *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
        ck_assert_int_lt(n, MAX_ARGS - 1);
        argv[n++] = strcmp(t, "''") == 0 ? "" : t;
    }
    argv[n] = NULL;
    run r = run_argv(argv);
    free(copy);
    return r;
}

#define assert_ok(r)                                                                          \
    ck_assert_msg((r).code == 0, "exit %d, stderr: %s", (r).code, (r).err)

/* Exit 1 with "nnblas: error: ..." containing fragment. */
static void assert_fails(run r, const char *fragment) {
    ck_assert_msg(r.code == 1, "exit %d (stderr: %s), expected 1", r.code, r.err);
    ck_assert_msg(strncmp(r.err, "nnblas: error: ", 15) == 0 && strlen(r.err) > 20,
                  "stderr: %s", r.err);
    ck_assert_msg(strstr(r.err, fragment), "stderr \"%s\" lacks \"%s\"", r.err, fragment);
    run_free(&r);
}

/* Exit 2 with the message and the usage. */
static void assert_usage(run r, const char *fragment) {
    ck_assert_msg(r.code == 2, "exit %d (stderr: %s), expected 2", r.code, r.err);
    ck_assert_msg(strstr(r.err, fragment), "stderr \"%s\" lacks \"%s\"", r.err, fragment);
    ck_assert_msg(strstr(r.err, "usage: nnblas"), "no usage in \"%s\"", r.err);
    ck_assert_str_eq(r.out, "");
    run_free(&r);
}

/* ---- data ------------------------------------------------------------------------------------------ */

/* A path in the test's temporary folder (a few static buffers, used in turn). */
#define tmp nnbt_tmp

/* A classification CSV: id (text), colour (text), x1, x2, size (numbers), label (cat, dog, emu)
 * that depends on x1, x2 and colour. */
static const char *classes_csv(size_t rows, int with_label, int shuffled_columns) {
    static const char *colours[] = {"red", "green", "blue"};
    const char *path = tmp(with_label ? (shuffled_columns ? "cls_shuf.csv" : "classes.csv")
                                      : "unlabelled.csv");
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    nnbt_rng r = {7};
    if (shuffled_columns)
        fprintf(f, "size,x2,extra,colour,x1,id%s\n", with_label ? ",label" : "");
    else
        fprintf(f, "id,colour,x1,x2,size%s\n", with_label ? ",label" : "");
    for (size_t i = 0; i < rows; i++) {
        double x1 = 4 * nnbt_uniform(&r) - 2, x2 = 10 * nnbt_uniform(&r) + 50;
        int c = (int)(nnbt_uniform(&r) * 3), size = 1 + (int)(nnbt_uniform(&r) * 4);
        const char *label = x1 + (c == 0 ? 1.0 : 0.0) > 0.5 ? "cat" : x2 > 55 ? "dog" : "emu";
        if (shuffled_columns)
            fprintf(f, "%d,%.6f,\"x, y\",%s,%.6f,r%zu%s%s\n", size, x2, colours[c], x1, i,
                    with_label ? "," : "", with_label ? label : "");
        else
            fprintf(f, "r%zu,%s,%.6f,%.6f,%d%s%s\n", i, colours[c], x1, x2, size,
                    with_label ? "," : "", with_label ? label : "");
    }
    fclose(f);
    return path;
}

/* A regression CSV: y = 100 + 3a - 2b + small noise. */
static const char *regression_csv(size_t rows) {
    const char *path = tmp("regression.csv");
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    nnbt_rng r = {11};
    fprintf(f, "a,b,y\n");
    for (size_t i = 0; i < rows; i++) {
        double a = nnbt_uniform(&r), b = nnbt_uniform(&r);
        fprintf(f, "%.6f,%.6f,%.6f\n", a, b, 100 + 3 * a - 2 * b + 0.01 * nnbt_normal(&r));
    }
    fclose(f);
    return path;
}

/* Strict JSON check of every line of a file with Python's parser (NaN and Infinity refused),
 * when python3 is installed (it is wherever meson is). */
static void python_json_check(const char *path) {
    if (access("/usr/bin/python3", X_OK) != 0) return;
    char *argv[] = {"python3", "-c",
                    "import json, sys\n"
                    "def bad(x): raise ValueError('not JSON: ' + x)\n"
                    "n = 0\n"
                    "for line in open(sys.argv[1]):\n"
                    "    json.loads(line, parse_constant=bad); n += 1\n"
                    "sys.exit(0 if n else 1)\n",
                    (char *)path, NULL};
    pid_t pid;
    ck_assert_int_eq(posix_spawn(&pid, "/usr/bin/python3", NULL, NULL, argv, environ), 0);
    int status;
    waitpid(pid, &status, 0);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "python3 rejects the JSON in %s", path);
}

/* Parses each line of text as JSON (our reader) into out[] (up to max); returns the count. */
static size_t json_lines(const char *text, nnbt_json **out, size_t max) {
    size_t n = 0;
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        ck_assert_ptr_nonnull(nl);
        char *line = strndup(p, (size_t)(nl - p));
        nnbt_json *j = nnbt_json_parse(line);
        ck_assert_msg(j != NULL, "not JSON: %s", line);
        free(line);
        if (n < max)
            out[n++] = j;
        else
            nnbt_json_free(j);
        p = nl + 1;
    }
    return n;
}

/* The bytes of a file, asserting it exists. */
static char *slurp(const char *path, size_t *len) {
    char *b = nnbt_read_file(path, len);
    ck_assert_msg(b != NULL, "cannot read %s", path);
    return b;
}

/* ---- help and usage --------------------------------------------------------------------------- */

START_TEST(help_and_version) {
    run r = runv("--help", NULL);
    assert_ok(r);
    ck_assert(strstr(r.out, "usage: nnblas COMMAND") && strstr(r.out, "predict"));
    run_free(&r);
    r = runv("--version", NULL);
    assert_ok(r);
    ck_assert(strstr(r.out, nnb_version_string()));
    run_free(&r);
    const char *cmds[] = {"train", "eval", "predict", "info"};
    for (int i = 0; i < 4; i++) {
        r = runv(cmds[i], "--help", NULL);
        assert_ok(r);
        char want[64];
        snprintf(want, sizeof want, "usage: nnblas %s", cmds[i]);
        ck_assert_msg(strstr(r.out, want), "%s", r.out);
        ck_assert_str_eq(r.err, "");
        run_free(&r);
    }
    r = runv(NULL);
    ck_assert_int_eq(r.code, 2);
    ck_assert(strstr(r.err, "usage: nnblas"));
    run_free(&r);
    assert_usage(runv("fly", NULL), "unknown command 'fly'");
}
END_TEST

START_TEST(bad_flags_and_values_are_usage_errors) {
    const char *csv = classes_csv(30, 1, 0);
    char base[800];
    snprintf(base, sizeof base, "train --csv %s --target label --one-hot colour --drop id", csv);
    static const struct {
        const char *extra, *message;
    } cases[] = {
        {"--epochs 12abc", "--epochs: '12abc' is not a whole number"},
        {"--epochs 0", "--epochs must be >= 1"},
        {"--epochs -3", "not a whole number"},
        {"--epochs 99999999999999999999999", "in range"},
        {"--batch 1.5", "--batch: '1.5' is not a whole number"},
        {"--lr abc", "--lr: 'abc' is not a number"},
        {"--lr 0", "--lr must be > 0"},
        {"--lr nan", "'nan' is not a number"},
        {"--lr inf", "'inf' is not a number"},
        {"--lr 0x10", "'0x10' is not a number"},
        {"--lr 1e999", "'1e999' is not a number"},
        {"--lr ''", "'' is not a number"},
        {"--dropout 1.5", "fraction"},
        {"--test 1", "--test: '1' is not a fraction"},
        {"--val 0.5 --test 0.5", "leave no training rows"},
        {"--layers 10,,3", "--layers: '' is not a whole number"},
        {"--layers 10,x", "'x' is not a whole number"},
        {"--layers 0", "a layer of 0 units"},
        {"--activation softmax", "output layer only"},
        {"--activation swish", "--activation: unknown activation 'swish'; accepted: identity"},
        {"--activation sigmod", "--activation: unknown activation 'sigmod'; did you mean 'sigmoid'?"},
        {"--output leaky-relu:x", "'x' is not a number"},
        {"--output tanh:2", "only leaky_relu takes a slope"},
        {"--output identity", "classification needs --output softmax or sigmoid"},
        {"--loss ce --output sigmoid", "--loss ce needs a softmax output layer"},
        {"--loss hinge", "unknown loss 'hinge'; accepted: sse, mse, bce, ce"},
        {"--optimizer lbfgs", "unknown optimizer 'lbfgs'"},
        {"--optimizer adma", "did you mean 'adam'?"},
        {"--reduction median", "unknown reduction 'median'"},
        {"--init zeros", "unknown initialisation 'zeros'; accepted: normal_fanin"},
        {"--task clustering", "'clustering' is not one of"},
        {"--task clasification", "did you mean 'classification'?"},
        {"--seed -1", "--seed: '-1' is not a whole number"},
        {"--threads 5000", "at most 1024"},
        {"--weight-decay -1", "--weight-decay must be >= 0"},
        {"--frobnicate 3", "unknown option '--frobnicate'"},
        {"stray", "unknown argument 'stray'"},
        {"--idx fashion-mnist", "either --csv or --idx"},
        {"--epochs", "--epochs needs a value"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char line[1200];
        snprintf(line, sizeof line, "%s %s", base, cases[i].extra);
        assert_usage(runs(line), cases[i].message);
    }
    assert_usage(runs("train"), "no data");
    assert_usage(runv("train", "--csv", csv, NULL), "--csv needs --target");
    assert_usage(runs("train --idx fashion-mnist --target label"), "--target is for CSV data");
    assert_usage(runs("train --idx fashion-mnist --test 0.1"), "their own test part");
    assert_usage(runs("train --idx nist:/x"), "--idx: 'nist:/x' is not");
    assert_usage(runs("train --idx mnist:"), "has no folder");
    assert_usage(runs("train --resume m.nnb --layers 3"), "--layers cannot be changed");
    assert_usage(runs("train --resume m.nnb --no-bias"), "cannot be changed when resuming");
    assert_usage(runs("eval --csv x.csv"), "--model is required");
    assert_usage(runs("eval --model m.nnb"), "give --csv or --idx");
    assert_usage(runs("predict --model m.nnb --csv a --idx b"), "not both");
    assert_usage(runs("predict --model m.nnb --csv a --out"), "--out needs a value");
    assert_usage(runs("info --model m.nnb --bogus"), "unknown option '--bogus'");
    assert_usage(runs("info"), "--model is required");
}
END_TEST

/* ---- failures --------------------------------------------------------------------------------- */

START_TEST(missing_files_and_bad_data_fail_with_a_message) {
    const char *csv = classes_csv(30, 1, 0);
    assert_fails(runv("train", "--csv", tmp("nope.csv"), "--target", "y", NULL),
                 "nope.csv: No such file");
    assert_fails(runv("train", "--csv", csv, "--target", "nosuch", NULL),
                 "has no column 'nosuch'");
    /* a text column used as a number: the reader's message names line and column */
    assert_fails(runv("train", "--csv", csv, "--target", "label", "--one-hot", "colour", NULL),
                 "classes.csv:2:1: expected a number in column 'id', found 'r0'");
    assert_fails(runv("train", "--csv", csv, "--target", "label", "--drop", "id", "--one-hot",
                      "colour", "--task", "regression", NULL),
                 "expected a number in column 'label'");
    const char *bad = tmp("bad.csv");
    nnbt_write_file(bad, "a,b\n1,2\n3\n", 10);
    assert_fails(runv("train", "--csv", bad, "--target", "b", NULL), "bad.csv:3");
    nnbt_write_file(bad, "a,b\n1,2\n3,2\n", 12);
    assert_fails(runv("train", "--csv", bad, "--target", "b", NULL), "only 1 class");
    assert_fails(runs("train --idx mnist:/no/such/folder"), "/no/such/folder");
    assert_fails(runv("info", "--model", tmp("none.nnb"), NULL), "none.nnb: cannot open");
    assert_fails(runv("info", "--model", csv, NULL), "not an nnblas model file");
    assert_fails(runv("eval", "--model", tmp("none.nnb"), "--csv", csv, NULL), "cannot open");
}
END_TEST

/* Every truncation of a small model, and byte flips, through the command: exit 1 with a
 * message, never a crash (this runs under AddressSanitizer in CI too). The model is small
 * because each length is a process; tests/test_model.c does the same in-process on a model with
 * every section. */
START_TEST(damaged_models_fail_cleanly) {
    nnb_net *net;
    nnbt_ok(nnb_net_create(&net, 2));
    nnbt_ok(nnb_net_add_dense(net, 1, NNB_ACT_SIGMOID, 1));
    size_t n = nnb_model_write_size(net, NULL, NULL, 0); /* 140 bytes */
    unsigned char *b = malloc(n);
    nnbt_ok(nnb_model_write_buffer(net, NULL, NULL, 0, b, n, NULL));
    const char *path = tmp("damaged.nnb");
    ck_assert(nnbt_write_file(path, b, n));
    run r = runv("info", "--model", path, NULL);
    assert_ok(r);
    run_free(&r);
    for (size_t len = 0; len < n; len++) {
        ck_assert(nnbt_write_file(path, b, len));
        assert_fails(runv("info", "--model", path, NULL), len < 8 ? "" : "truncated");
    }
    nnbt_rng rng = {3};
    for (int i = 0; i < 30; i++) {
        size_t at = (size_t)(nnbt_uniform(&rng) * (double)n);
        b[at] ^= (unsigned char)(1 + (int)(nnbt_uniform(&rng) * 255));
        ck_assert(nnbt_write_file(path, b, n));
        assert_fails(runv("info", "--model", path, NULL), path);
    }
    free(b);
    nnb_net_free(net);
}
END_TEST

/* ---- end to end -------------------------------------------------------------------------------- */

/* The library's predictions for a CSV file (all rows), from the model file. */
static double *library_predictions(const char *model, const char *csv, const char *text_cols,
                                   size_t *rows, size_t *cols) {
    nnb_net *net;
    nnb_prep *prep;
    nnbt_ok(nnb_model_read(&net, &prep, NULL, model));
    nnb_csv_opts *o = nnbt_text_columns(text_cols);
    nnb_table *t;
    nnbt_ok(nnb_csv_read(&t, csv, o));
    size_t n = nnb_table_n_rows(t), nf = nnb_prep_n_features(prep), no = nnb_net_n_outputs(net);
    double *x = malloc(n * nf * sizeof *x), *y = malloc(n * no * sizeof *y);
    nnbt_ok(nnb_prep_apply(prep, t, NULL, n, x, n * nf, NULL, 0));
    nnbt_ok(nnb_net_predict(net, x, n, nf, y, n * no));
    if (nnb_prep_n_classes(prep) == 0) nnbt_ok(nnb_prep_inverse_targets(prep, y, n, no));
    free(x);
    nnb_table_free(t);
    nnb_csv_opts_free(o);
    nnb_prep_free(prep);
    nnb_net_free(net);
    *rows = n;
    *cols = no;
    return y;
}

/* The command's prediction file equals the library's predictions, bit for bit. */
static void assert_same_predictions(const char *pred_csv, const char *label_col,
                                    const double *want, size_t rows, size_t cols,
                                    const char *const *labels) {
    nnb_csv_opts *o = nnbt_text_columns(label_col);
    nnb_table *t;
    nnbt_ok(nnb_csv_read(&t, pred_csv, o));
    ck_assert_uint_eq(nnb_table_n_rows(t), rows);
    size_t first = label_col ? 1 : 0;
    ck_assert_uint_eq(nnb_table_n_columns(t), cols + first);
    double *col = malloc(rows * sizeof *col);
    for (size_t j = 0; j < cols; j++) {
        nnbt_ok(nnb_table_get_column(t, first + j, col, rows));
        for (size_t i = 0; i < rows; i++)
            ck_assert_msg(col[i] == want[i * cols + j], "row %zu, output %zu: %.17g vs %.17g", i,
                          j, col[i], want[i * cols + j]);
    }
    for (size_t i = 0; label_col && i < rows; i++) {
        size_t best = 0;
        for (size_t j = 1; j < cols; j++)
            if (want[i * cols + j] > want[i * cols + best]) best = j;
        ck_assert_str_eq(nnb_table_get_text(t, i, 0), labels[best]);
    }
    free(col);
    nnb_table_free(t);
    nnb_csv_opts_free(o);
}

START_TEST(csv_classification_end_to_end) {
    const char *csv = classes_csv(150, 1, 0), *model = tmp("cls.nnb");
    run r = runv("train", "--csv", csv, "--target", "label", "--one-hot", "colour,size", "--drop",
                 "id", "--standardize", "x1,x2", "--layers", "8", "--epochs", "30", "--batch",
                 "16", "--lr", "0.01", "--val", "0.1", "--save", model, NULL);
    assert_ok(r);
    ck_assert_msg(strstr(r.out, "test accuracy") && strstr(r.out, "samples/s") &&
                      strstr(r.out, "epoch 30/30") && strstr(r.out, "val acc"),
                  "%s", r.out);
    double acc = 0;
    const char *line = strstr(r.out, "test accuracy ");
    ck_assert(sscanf(line, "test accuracy %lf", &acc) == 1);
    ck_assert_msg(acc >= 0.8, "test accuracy %g", acc); /* the labels follow simple rules */
    run_free(&r);

    r = runv("info", "--model", model, NULL);
    assert_ok(r);
    ck_assert_msg(strstr(r.out, "layer 1: 9 -> 8 relu, bias") &&
                      strstr(r.out, "layer 2: 8 -> 3 softmax") &&
                      strstr(r.out, "one-hot, 3 categories (text): blue green red") &&
                      strstr(r.out, "one-hot, 4 categories: 1 2 3 4") &&
                      strstr(r.out, "classes, 3 classes (text): cat dog emu") &&
                      strstr(r.out, "standardised (mean") && strstr(r.out, "nnblas.version") &&
                      strstr(r.out, "train.seed") && strstr(r.out, "result.test_accuracy") &&
                      strstr(r.out, "command                nnblas train --csv"),
                  "%s", r.out);
    ck_assert_ptr_null(strstr(r.out, "\n  id ")); /* dropped: not even read */
    run_free(&r);

    r = runv("eval", "--model", model, "--csv", csv, NULL);
    assert_ok(r);
    ck_assert_msg(strstr(r.out, "rows 150") && strstr(r.out, "accuracy 0.") &&
                      strstr(r.out, "confusion matrix") && strstr(r.out, "   0 cat"),
                  "%s", r.out);
    run_free(&r);
    r = runv("eval", "--model", model, "--csv", csv, "--json", NULL);
    assert_ok(r);
    nnbt_json *j[2];
    ck_assert_uint_eq(json_lines(r.out, j, 2), 1);
    ck_assert_uint_eq((size_t)nnbt_json_num(nnbt_json_get(j[0], "rows")), 150);
    const nnbt_json *conf = nnbt_json_get(j[0], "confusion");
    ck_assert_uint_eq(nnbt_json_len(conf), 3);
    double total = 0, right = 0;
    for (size_t t = 0; t < 3; t++)
        for (size_t p = 0; p < 3; p++) {
            double c = nnbt_json_num(nnbt_json_at(nnbt_json_at(conf, t), p));
            total += c;
            right += t == p ? c : 0;
        }
    ck_assert_double_eq(total, 150);
    ck_assert_double_eq_tol(nnbt_json_num(nnbt_json_get(j[0], "accuracy")), right / 150, 1e-15);
    nnbt_json_free(j[0]);
    run_free(&r);

    /* predictions: to stdout and to a file, equal to the library's */
    size_t rows, cols;
    double *want = library_predictions(model, csv, "id colour label", &rows, &cols);
    static const char *const labels[] = {"cat", "dog", "emu"};
    r = runv("predict", "--model", model, "--csv", csv, NULL);
    assert_ok(r);
    ck_assert(strncmp(r.out, "label,p_cat,p_dog,p_emu\n", 24) == 0);
    const char *pred = tmp("pred_stdout.csv");
    nnbt_write_file(pred, r.out, r.out_len);
    assert_same_predictions(pred, "label", want, rows, cols, labels);
    run_free(&r);
    const char *out = tmp("pred.csv");
    nnbt_write_file(out, "old", 3);
    r = runv("predict", "--model", model, "--csv", csv, "--out", out, NULL);
    assert_ok(r);
    ck_assert_str_eq(r.out, "");
    assert_same_predictions(out, "label", want, rows, cols, labels);
    run_free(&r);
    free(want);
    /* new data: no label, columns in another order, an extra column */
    const char *unl = classes_csv(150, 0, 0), *shuf = classes_csv(150, 1, 1);
    want = library_predictions(model, unl, "id colour", &rows, &cols);
    r = runv("predict", "--model", model, "--csv", shuf, "--out", out, NULL);
    assert_ok(r);
    assert_same_predictions(out, "label", want, rows, cols, labels);
    run_free(&r);
    r = runv("predict", "--model", model, "--csv", unl, "--out", out, NULL);
    assert_ok(r);
    assert_same_predictions(out, "label", want, rows, cols, labels);
    run_free(&r);
    free(want);
    /* eval needs the target; predict needs the features */
    assert_fails(runv("eval", "--model", model, "--csv", unl, NULL), "'label'");
    const char *partial = tmp("partial.csv");
    nnbt_write_file(partial, "x1,colour\n1,red\n", 16);
    assert_fails(runv("predict", "--model", model, "--csv", partial, NULL), "'x2'");
    nnbt_write_file(partial, "x1,x2,size,colour\n1,2,3,purple\n", 31);
    assert_fails(runv("predict", "--model", model, "--csv", partial, NULL),
                 "category 'purple' in column 'colour' was not seen");
    assert_fails(runv("predict", "--model", model, "--idx", "mnist:/x", NULL), "trained on CSV");
}
END_TEST

START_TEST(json_output_is_strict_json) {
    const char *csv = classes_csv(60, 1, 0);
    run r = runv("train", "--csv", csv, "--target", "label", "--one-hot", "colour", "--drop", "id",
                 "--layers", "4", "--epochs", "3", "--json", NULL);
    assert_ok(r);
    const char *path = tmp("train.json");
    nnbt_write_file(path, r.out, r.out_len);
    python_json_check(path);
    nnbt_json *j[8];
    size_t n = json_lines(r.out, j, 8);
    ck_assert_uint_eq(n, 4);
    for (size_t i = 0; i < 3; i++) {
        ck_assert_str_eq(nnbt_json_str(nnbt_json_get(j[i], "event")), "epoch");
        ck_assert_uint_eq((size_t)nnbt_json_num(nnbt_json_get(j[i], "epoch")), i + 1);
        ck_assert(nnbt_json_is_num(nnbt_json_get(j[i], "train_loss")));
        ck_assert(nnbt_json_is_null(nnbt_json_get(j[i], "val_loss"))); /* NaN: no validation */
        ck_assert(nnbt_json_num(nnbt_json_get(j[i], "lr")) == 0.001); /* adam's default, constant */
    }
    ck_assert_str_eq(nnbt_json_str(nnbt_json_get(j[3], "event")), "summary");
    ck_assert(nnbt_json_is_num(nnbt_json_get(j[3], "test_accuracy")));
    ck_assert(nnbt_json_is_num(nnbt_json_get(j[3], "samples_per_s")));
    ck_assert(nnbt_json_is_null(nnbt_json_get(j[3], "model")));
    for (size_t i = 0; i < n; i++) nnbt_json_free(j[i]);
    run_free(&r);
    /* regression: accuracy is null; eval --json too */
    const char *rcsv = regression_csv(80), *model = tmp("reg_json.nnb");
    r = runv("train", "--csv", rcsv, "--target", "y", "--layers", "", "--epochs", "2", "--json",
             "--save", model, NULL);
    assert_ok(r);
    nnbt_write_file(path, r.out, r.out_len);
    python_json_check(path);
    ck_assert_uint_eq(json_lines(r.out, j, 8), 3);
    ck_assert(nnbt_json_is_null(nnbt_json_get(j[2], "test_accuracy")));
    ck_assert_str_eq(nnbt_json_str(nnbt_json_get(j[2], "model")), model);
    for (size_t i = 0; i < 3; i++) nnbt_json_free(j[i]);
    run_free(&r);
    r = runv("eval", "--model", model, "--csv", rcsv, "--json", NULL);
    assert_ok(r);
    nnbt_write_file(path, r.out, r.out_len);
    python_json_check(path);
    run_free(&r);
}
END_TEST

START_TEST(csv_regression_end_to_end) {
    const char *csv = regression_csv(200), *model = tmp("reg.nnb");
    /* the target is standardised too: predictions come back in the data's units */
    run r = runv("train", "--csv", csv, "--target", "y", "--standardize", "a,b,y", "--layers", "",
                 "--epochs", "60", "--batch", "8", "--lr", "0.05", "--save", model, NULL);
    assert_ok(r);
    ck_assert_msg(strstr(r.out, "task: regression") && strstr(r.out, "test loss"), "%s", r.out);
    run_free(&r);
    r = runv("eval", "--model", model, "--csv", csv, NULL);
    assert_ok(r);
    double rmse = 1;
    const char *at = strstr(r.out, "y: RMSE ");
    ck_assert_msg(at && sscanf(at, "y: RMSE %lf", &rmse) == 1, "%s", r.out);
    ck_assert_msg(rmse < 0.1, "RMSE %g in the data's units", rmse); /* a linear target */
    run_free(&r);
    size_t rows, cols;
    double *want = library_predictions(model, csv, NULL, &rows, &cols);
    const char *out = tmp("reg_pred.csv");
    r = runv("predict", "--model", model, "--csv", csv, "--out", out, NULL);
    assert_ok(r);
    size_t len;
    char *text = slurp(out, &len);
    ck_assert(strncmp(text, "y\n", 2) == 0);
    free(text);
    assert_same_predictions(out, NULL, want, rows, cols, NULL);
    ck_assert(want[0] > 90 && want[0] < 110); /* unscaled */
    free(want);
    run_free(&r);
}
END_TEST

START_TEST(idx_end_to_end) {
    const char *dir = nnbt_idx_folder("idx", 400, 100, 8);
    char spec[600];
    snprintf(spec, sizeof spec, "mnist:%s", dir);
    const char *model = tmp("idx.nnb");
    run r = runv("train", "--idx", spec, "--layers", "16", "--epochs", "8", "--batch", "20",
                 "--lr", "0.01", "--val", "0.1", "--save", model, NULL);
    assert_ok(r);
    ck_assert_msg(strstr(r.out, "360 training, 40 validation, 100 test") &&
                      strstr(r.out, "test accuracy"),
                  "%s", r.out);
    double acc = 0;
    ck_assert(sscanf(strstr(r.out, "test accuracy "), "test accuracy %lf", &acc) == 1);
    ck_assert_msg(acc > 0.9, "test accuracy %g", acc);
    run_free(&r);
    r = runv("info", "--model", model, NULL);
    assert_ok(r);
    ck_assert_msg(strstr(r.out, "a matrix of 64 columns") && strstr(r.out, "class.9"), "%s",
                  r.out);
    run_free(&r);
    r = runv("eval", "--model", model, "--idx", spec, NULL);
    assert_ok(r);
    ck_assert_msg(strstr(r.out, "rows 100") && strstr(r.out, "   9 9"), "%s", r.out);
    run_free(&r);
    r = runv("predict", "--model", model, "--idx", spec, NULL);
    assert_ok(r);
    ck_assert(strncmp(r.out, "label,p_0,p_1,", 14) == 0);
    run_free(&r);
    assert_fails(runv("eval", "--model", model, "--csv", classes_csv(10, 1, 0), NULL),
                 "trained on IDX images");
}
END_TEST

/* Train 4 epochs and save; resume for 6 more: the same parameters, bit for bit, as 10 epochs
 * straight (Adam, dropout, a validation part, mini-batches). */
START_TEST(resume_is_bit_identical) {
    const char *csv = classes_csv(120, 1, 0);
    const char *straight = tmp("straight.nnb"), *part = tmp("part.nnb");
    const char *common = "--target label --one-hot colour --drop id --standardize x1,x2 "
                         "--layers 6,5 --dropout 0.2 --val 0.2 --batch 8 --seed 9 --quiet";
    char line[1200];
    snprintf(line, sizeof line, "train --csv %s %s --epochs 10 --save %s", csv, common, straight);
    run r = runs(line);
    assert_ok(r);
    run_free(&r);
    snprintf(line, sizeof line, "train --csv %s %s --epochs 4 --save %s", csv, common, part);
    r = runs(line);
    assert_ok(r);
    run_free(&r);
    run p4 = runv("info", "--model", part, "--params-hex", NULL);
    assert_ok(p4);
    r = runv("train", "--resume", part, "--epochs", "6", "--save", part, NULL);
    assert_ok(r);
    ck_assert_msg(strstr(r.out, "epoch  5/10") && strstr(r.out, "epoch 10/10"), "%s", r.out);
    run_free(&r);
    run a = runv("info", "--model", straight, "--params-hex", NULL);
    run b = runv("info", "--model", part, "--params-hex", NULL);
    assert_ok(a);
    assert_ok(b);
    ck_assert_uint_gt(a.out_len, 16 * 17); /* one line of 16 hex digits per parameter */
    ck_assert_str_eq(a.out, b.out);
    ck_assert_str_ne(a.out, p4.out);
    run_free(&a), run_free(&b), run_free(&p4);
    r = runv("info", "--model", part, NULL);
    ck_assert_msg(strstr(r.out, "train.epochs           10"), "%s", r.out);
    run_free(&r);

    /* IDX too */
    const char *dir = nnbt_idx_folder("idx", 200, 50, 8);
    char spec[600];
    snprintf(spec, sizeof spec, "mnist:%s", dir);
    snprintf(line, sizeof line, "train --idx %s --layers 8 --val 0.1 --batch 16 --quiet "
             "--epochs 5 --save %s", spec, straight);
    r = runs(line);
    assert_ok(r);
    run_free(&r);
    snprintf(line, sizeof line, "train --idx %s --layers 8 --val 0.1 --batch 16 --quiet "
             "--epochs 2 --save %s", spec, part);
    r = runs(line);
    assert_ok(r);
    run_free(&r);
    r = runv("train", "--resume", part, "--epochs", "3", "--save", part, "--quiet", NULL);
    assert_ok(r);
    run_free(&r);
    a = runv("info", "--model", straight, "--params-hex", NULL);
    b = runv("info", "--model", part, "--params-hex", NULL);
    ck_assert_str_eq(a.out, b.out);
    run_free(&a), run_free(&b);
}
END_TEST

/* Saving where it cannot leaves the earlier file and no temporary file. */
START_TEST(unwritable_destinations) {
    const char *csv = classes_csv(40, 1, 0);
    const char *file = tmp("plain.txt");
    nnbt_write_file(file, "x", 1);
    char inside[700];
    snprintf(inside, sizeof inside, "%s/m.nnb", file); /* a folder that is a file: even root fails */
    assert_fails(runv("train", "--csv", csv, "--target", "label", "--one-hot", "colour", "--drop",
                      "id", "--epochs", "1", "--save", inside, NULL),
                 "m.nnb");
    const char *model = tmp("w.nnb");
    run r = runv("train", "--csv", csv, "--target", "label", "--one-hot", "colour", "--drop",
                 "id", "--epochs", "1", "--save", model, "--quiet", NULL);
    assert_ok(r);
    run_free(&r);
    assert_fails(runv("predict", "--model", model, "--csv", csv, "--out", inside, NULL), "m.nnb");
    if (geteuid() == 0) return; /* root writes into read-only folders */
    char dir[600], old[700];
    snprintf(dir, sizeof dir, "%s/readonly", nnbt_tmpdir());
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    snprintf(old, sizeof old, "%s/m.nnb", dir);
    r = runv("train", "--csv", csv, "--target", "label", "--one-hot", "colour", "--drop", "id",
             "--epochs", "1", "--save", old, "--quiet", NULL);
    assert_ok(r);
    run_free(&r);
    size_t n0, n1;
    char *before = slurp(old, &n0);
    ck_assert_int_eq(chmod(dir, 0500), 0);
    assert_fails(runv("train", "--csv", csv, "--target", "label", "--one-hot", "colour",
                      "--drop", "id", "--epochs", "2", "--save", old, NULL),
                 "Permission denied");
    snprintf(inside, sizeof inside, "%s/pred.csv", dir);
    assert_fails(runv("predict", "--model", old, "--csv", csv, "--out", inside, NULL),
                 "Permission denied");
    ck_assert_int_eq(chmod(dir, 0700), 0);
    char *after = slurp(old, &n1);
    ck_assert_uint_eq(n0, n1);
    ck_assert(memcmp(before, after, n0) == 0);
    ck_assert_int_eq(nnbt_count_files(dir), 1);
    free(before);
    free(after);
}
END_TEST

/* On a terminal (a pseudo-terminal here) a live bar is drawn within each epoch. */
START_TEST(progress_bar_on_a_terminal) {
    const char *csv = classes_csv(400, 1, 0);
    char *argv[] = {"nnblas", "train", "--csv", (char *)csv, "--target", "label", "--one-hot",
                    "colour", "--drop", "id", "--epochs", "3", "--batch", "1", NULL};
    run r = nnbt_spawn_tty(cli(), argv);
    ck_assert_msg(r.code == 0, "%s", r.out);
    ck_assert_msg(strstr(r.out, "\repoch 1/3 [") && strstr(r.out, "samples/s") &&
                      strstr(r.out, "\r\033[Kepoch 1/3  loss") && strstr(r.out, "test accuracy"),
                  "%s", r.out);
    run_free(&r);
}
END_TEST

static Suite *cli_suite(void) {
    Suite *s = suite_create("cli");
    TCase *tc = tcase_create("command");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, help_and_version);
    tcase_add_test(tc, bad_flags_and_values_are_usage_errors);
    tcase_add_test(tc, missing_files_and_bad_data_fail_with_a_message);
    tcase_add_test(tc, damaged_models_fail_cleanly);
    tcase_add_test(tc, csv_classification_end_to_end);
    tcase_add_test(tc, json_output_is_strict_json);
    tcase_add_test(tc, csv_regression_end_to_end);
    tcase_add_test(tc, idx_end_to_end);
    tcase_add_test(tc, resume_is_bit_identical);
    tcase_add_test(tc, unwritable_destinations);
    tcase_add_test(tc, progress_bar_on_a_terminal);
    suite_add_tcase(s, tc);
    return s;
}

NNBT_MAIN(cli_suite, 0)
