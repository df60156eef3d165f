/*
 * The nnblas command, end to end through the built binary (its path in NNBLAS_CLI): train on
 * generated CSV and IDX data, save, info, eval, predict; the command's predictions equal the
 * library's for the same model; --json output is strict JSON; bad flags and values exit 2 with
 * the usage; missing files and bad data exit 1 with a message; damaged model files exit 1, never
 * crash; saves and --out into folders that cannot take them leave nothing behind; a run resumed
 * part-way equals the straight run bit for bit, in both element types; on a terminal the live bar
 * is drawn.
 *
 * Both element types (--dtype): a float32 network trained from a CSV file is stored as float32,
 * which info, eval and predict then use, and reaches about float64's accuracy; float32 data (read
 * so from IDX files, prepared so from CSV) gives eval and predict outputs that match the
 * library's float64 data path; bad data fails the same way in both types; float32 data halves the
 * data's memory.
 */
#define _XOPEN_SOURCE 700
#define _DEFAULT_SOURCE /* wait4 */

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdarg.h>
#include <string.h>
#include <sys/resource.h>
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

#define assert_ok(r) ck_assert_msg((r).code == 0, "exit %d, stderr: %s", (r).code, (r).err)

/* Exit 1 with "nnblas: error: ..." containing fragment. */
static void assert_fails(run r, const char *fragment) {
    ck_assert_msg(r.code == 1, "exit %d (stderr: %s), expected 1", r.code, r.err);
    ck_assert_msg(strncmp(r.err, "nnblas: error: ", 15) == 0 && strlen(r.err) > 20, "stderr: %s",
                  r.err);
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
    const char *path =
        tmp(with_label ? (shuffled_columns ? "cls_shuf.csv" : "classes.csv") : "unlabelled.csv");
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
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "python3 rejects the JSON in %s",
                  path);
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
        {"--layers 10,x", "\"x\": expected a number of units (128), a convolution"},
        {"--layers 0", "a layer of 0 units"},
        {"--activation softmax", "output layer only"},
        {"--activation swish", "--activation: unknown activation 'swish'; accepted: identity"},
        {"--activation sigmod",
         "--activation: unknown activation 'sigmod'; did you mean 'sigmoid'?"},
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
    assert_fails(runv("train", "--csv", csv, "--target", "nosuch", NULL), "has no column 'nosuch'");
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
static void assert_same_predictions(const char *pred_csv, const char *label_col, const double *want,
                                    size_t rows, size_t cols, const char *const *labels) {
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
            ck_assert_msg(col[i] == want[i * cols + j], "row %zu, output %zu: %.17g vs %.17g", i, j,
                          col[i], want[i * cols + j]);
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
                 "id", "--standardize", "x1,x2", "--layers", "8", "--epochs", "30", "--batch", "16",
                 "--lr", "0.01", "--val", "0.1", "--save", model, NULL);
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
    /* a category the training part lacked: all zeros, and a note (issue 26) */
    nnbt_write_file(partial, "x1,x2,size,colour\n1,2,3,purple\n", 31);
    run p = runv("predict", "--model", model, "--csv", partial, NULL);
    assert_ok(p);
    ck_assert_msg(strstr(p.err, "1 of the rows (1 cells) have categories the training rows lack"),
                  "%s", p.err);
    run_free(&p);
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
    run r = runv("train", "--idx", spec, "--layers", "16", "--epochs", "8", "--batch", "20", "--lr",
                 "0.01", "--val", "0.1", "--save", model, NULL);
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
    /* a dense network on IDX images keeps their shape */
    ck_assert_msg(strstr(r.out, "a matrix of 64 columns") && strstr(r.out, "class.9") &&
                      strstr(r.out, "network: 64 inputs (1x8x8), 2 layers"),
                  "%s", r.out);
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

/* A convolutional network from the command line (issue 24): --layers with convolution and
 * pooling tokens on IDX images (shape 1 x 8 x 8 from the data), info showing each layer's output
 * shape and parameters, an exact resume, --input-shape for CSV data, and wrong tokens and shapes
 * refused with what was expected. */
START_TEST(cnn_end_to_end) {
    const char *dir = nnbt_idx_folder("idxc", 300, 100, 8);
    char spec[600];
    snprintf(spec, sizeof spec, "mnist:%s", dir);
    const char *model = tmp("cnn.nnb"), *part = tmp("cnnpart.nnb");
    run r = runv("train", "--idx", spec, "--layers", "conv4x3p1,maxpool2,conv6x3psame,avgpool2,16",
                 "--epochs", "6", "--batch", "16", "--lr", "0.01", "--save", model, NULL);
    assert_ok(r);
    ck_assert_msg(strstr(r.out, "conv2d 4 3x3") && strstr(r.out, "(4x4x4)"), "%s", r.out);
    double acc = 0;
    ck_assert(sscanf(strstr(r.out, "test accuracy "), "test accuracy %lf", &acc) == 1);
    ck_assert_msg(acc > 0.8, "test accuracy %g", acc);
    run_free(&r);
    r = runv("info", "--model", model, NULL);
    assert_ok(r);
    ck_assert_msg(strstr(r.out, "network: 64 inputs (1x8x8), 6 layers") &&
                      strstr(r.out,
                             "layer 1: conv2d 4 3x3 stride 1x1 padding 1,1,1,1 -> 4x8x8 relu, "
                             "bias (40 parameters)") &&
                      strstr(r.out, "layer 2: maxpool 2x2 stride 2x2 -> 4x4x4 (0 parameters)") &&
                      strstr(r.out, "layer 3: conv2d 6 3x3 stride 1x1 padding 1,1,1,1 -> 6x4x4 "
                                    "relu, bias (222 parameters)") &&
                      strstr(r.out, "layer 5: 24 -> 16 relu, bias (400 parameters)"),
                  "%s", r.out);
    run_free(&r);
    r = runv("eval", "--model", model, "--idx", spec, NULL);
    assert_ok(r);
    run_free(&r);
    r = runv("train", "--idx", spec, "--layers", "conv4x3p1,maxpool2,conv6x3psame,avgpool2,16",
             "--epochs", "3", "--batch", "16", "--lr", "0.01", "--save", part, NULL);
    assert_ok(r);
    run_free(&r);
    r = runv("train", "--resume", part, "--epochs", "3", "--save", part, NULL);
    assert_ok(r);
    run_free(&r);
    run a = runv("info", "--model", model, "--params-hex", NULL);
    run b = runv("info", "--model", part, "--params-hex", NULL);
    assert_ok(a);
    assert_ok(b);
    ck_assert_str_eq(a.out, b.out);
    run_free(&a), run_free(&b);
    assert_fails(runv("train", "--idx", spec, "--layers", "conv4x3q1", NULL), "conv32x3p1");
    assert_usage(runv("train", "--idx", spec, "--layers", "pool2", NULL), "expected");
    assert_fails(runv("train", "--idx", spec, "--layers", "conv4x9", NULL), "larger");
    assert_fails(
        runv("train", "--idx", spec, "--layers", "conv4x3", "--input-shape", "2x8x8", NULL),
        "does not make");
    assert_usage(runv("train", "--idx", spec, "--input-shape", "8x8", NULL), "CxHxW");
    /* CSV: 6 features (colour one-hot, x1, x2, size) as a 1 x 2 x 3 image */
    const char *csv = classes_csv(60, 1, 0);
    assert_fails(runv("train", "--csv", csv, "--target", "label", "--one-hot", "colour", "--drop",
                      "id", "--layers", "conv2x2", NULL),
                 "--input-shape");
    r = runv("train", "--csv", csv, "--target", "label", "--one-hot", "colour", "--drop", "id",
             "--layers", "conv3x2,4", "--input-shape", "1x2x3", "--epochs", "2", NULL);
    assert_ok(r);
    run_free(&r);
}
END_TEST

/* Train part of the epochs and save; resume for the rest: the same parameters, bit for bit, as the
 * epochs straight, in each element type (a loop test: _i 0 float64, 1 float32). CSV data (Adam,
 * dropout, a validation part, mini-batches: 4 + 6 epochs against 10), then IDX data (held as
 * float32 for a float32 network, its validation part as float64; dropout, checkpoints every 2
 * epochs and a plot: 3 + 3 against 6). */
START_TEST(resume_is_bit_identical) {
    const char *dtype = _i ? "f32" : "f64";
    const char *csv = classes_csv(120, 1, 0);
    const char *straight = tmp("straight.nnb"), *part = tmp("part.nnb");
    const char *common = "--target label --one-hot colour --drop id --standardize x1,x2 "
                         "--layers 6,5 --dropout 0.2 --val 0.2 --batch 8 --seed 9 --quiet";
    char line[1200];
    snprintf(line, sizeof line, "train --csv %s %s --dtype %s --epochs 10 --save %s", csv, common,
             dtype, straight);
    run r = runs(line);
    assert_ok(r);
    run_free(&r);
    snprintf(line, sizeof line, "train --csv %s %s --dtype %s --epochs 4 --save %s", csv, common,
             dtype, part);
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
    ck_assert_uint_gt(a.out_len, 16 * 17); /* one line of hex digits per parameter */
    ck_assert_str_eq(a.out, b.out);
    ck_assert_str_ne(a.out, p4.out);
    run_free(&a), run_free(&b), run_free(&p4);
    r = runv("info", "--model", part, NULL);
    ck_assert_msg(strstr(r.out, "train.epochs           10") && strstr(r.out, dtype), "%s", r.out);
    run_free(&r);

    /* IDX too */
    const char *dir = nnbt_idx_folder("idxr", 200, 50, 8);
    char spec[600];
    const char *plot = tmp("resume.svg");
    snprintf(spec, sizeof spec, "mnist:%s", dir);
    r = runv("train", "--idx", spec, "--layers", "8", "--val", "0.1", "--dropout", "0.2", "--batch",
             "16", "--dtype", dtype, "--epochs", "6", "--save", straight, "--checkpoint-every", "2",
             "--plot", plot, "--json", NULL);
    assert_ok(r);
    size_t epochs = 0;
    for (const char *p = r.out; (p = strstr(p, "\"event\":\"epoch\"")); p++) epochs++;
    ck_assert_uint_eq(epochs, 6);
    run_free(&r);
    size_t len;
    char *svg = nnbt_read_file(plot, &len);
    ck_assert_msg(svg && strstr(svg, "<svg"), "no picture");
    free(svg);
    r = runv("train", "--idx", spec, "--layers", "8", "--val", "0.1", "--dropout", "0.2", "--batch",
             "16", "--dtype", dtype, "--epochs", "3", "--save", part, "--quiet", NULL);
    assert_ok(r);
    run_free(&r);
    r = runv("train", "--resume", part, "--epochs", "3", "--save", part, "--quiet", NULL);
    assert_ok(r);
    run_free(&r);
    a = runv("info", "--model", straight, "--params-hex", NULL);
    b = runv("info", "--model", part, "--params-hex", NULL);
    assert_ok(a);
    assert_ok(b);
    ck_assert(a.out_len > 100);
    ck_assert_msg(strcmp(a.out, b.out) == 0, "%s: the resumed run's weights differ", dtype);
    run_free(&a), run_free(&b);
}
END_TEST

/* Saving where it cannot leaves the earlier file and no temporary file. */
START_TEST(unwritable_destinations) {
    const char *csv = classes_csv(40, 1, 0);
    const char *file = tmp("plain.txt");
    nnbt_write_file(file, "x", 1);
    char inside[700];
    snprintf(inside, sizeof inside, "%s/m.nnb",
             file); /* a folder that is a file: even root fails */
    assert_fails(runv("train", "--csv", csv, "--target", "label", "--one-hot", "colour", "--drop",
                      "id", "--epochs", "1", "--save", inside, NULL),
                 "m.nnb");
    const char *model = tmp("w.nnb");
    run r = runv("train", "--csv", csv, "--target", "label", "--one-hot", "colour", "--drop", "id",
                 "--epochs", "1", "--save", model, "--quiet", NULL);
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
    assert_fails(runv("train", "--csv", csv, "--target", "label", "--one-hot", "colour", "--drop",
                      "id", "--epochs", "2", "--save", old, NULL),
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
    char *argv[] = {"nnblas",   "train",     "--csv",   (char *)csv, "--target",
                    "label",    "--one-hot", "colour",  "--drop",    "id",
                    "--epochs", "3",         "--batch", "1",         NULL};
    run r = nnbt_spawn_tty(cli(), argv);
    ck_assert_msg(r.code == 0, "%s", r.out);
    ck_assert_msg(strstr(r.out, "\repoch 1/3 [") && strstr(r.out, "samples/s") &&
                      strstr(r.out, "\r\033[Kepoch 1/3  loss") && strstr(r.out, "test accuracy"),
                  "%s", r.out);
    run_free(&r);
}
END_TEST

/* ---- both element types ------------------------------------------------------------------ */

/* Two Gaussian classes in 4 features, 300 rows. */
static const char *write_csv(void) {
    static char path[4096];
    nnbt_tmp_path(path, sizeof path, "blobs.csv");
    char *text = malloc(300 * 80 + 32), *p = text;
    p += sprintf(p, "a,b,c,d,label\n");
    nnbt_rng g = {5};
    for (int r = 0; r < 300; r++) {
        int c = r % 2;
        for (int j = 0; j < 4; j++) p += sprintf(p, "%.5f,", nnbt_normal(&g) + (c ? 1.0 : -1.0));
        p += sprintf(p, "%s\n", c ? "yes" : "no");
    }
    ck_assert(nnbt_write_file(path, text, (size_t)(p - text)));
    free(text);
    return path;
}

static double test_accuracy(const char *out) {
    const char *s = strstr(out, "\"test_accuracy\":");
    ck_assert_msg(s != NULL, "%s", out);
    return atof(s + 16);
}

/* nnblas train --dtype: a float32 network trained from a CSV file is stored as float32 in the
 * model, which info, eval and predict then use; the same run in float64 reaches about the same
 * accuracy; --dtype cannot change on --resume; unknown and ambiguous type names are refused. */
START_TEST(dtype_end_to_end) {
    const char *csv = write_csv();
    char m32[4096], m64[4096], pred[4096];
    nnbt_tmp_path(m32, sizeof m32, "m32.nnb");
    nnbt_tmp_path(m64, sizeof m64, "m64.nnb");
    nnbt_tmp_path(pred, sizeof pred, "pred.csv");
    nnbt_proc r = runv("train", "--csv", csv, "--target", "label", "--dtype", "f32", "--epochs",
                       "20", "--layers", "16", "--save", m32, "--json", NULL);
    assert_ok(r);
    ck_assert_msg(strstr(r.out, "\"dtype\":\"f32\""), "%s", r.out);
    double a32 = test_accuracy(r.out);
    nnbt_proc_free(&r);
    r = runv("train", "--csv", csv, "--target", "label", "--epochs", "20", "--layers", "16",
             "--save", m64, "--json", NULL);
    assert_ok(r);
    ck_assert_msg(strstr(r.out, "\"dtype\":\"f64\""), "%s", r.out);
    double a64 = test_accuracy(r.out);
    nnbt_proc_free(&r);
    /* the same split, weights and shuffles: float32 rounding moves at most a row or two of 60 */
    ck_assert_msg(fabs(a32 - a64) <= 2.0 / 60 + 1e-9 && a32 > 0.8, "%g vs %g", a32, a64);
    /* the model says float32 and loads as float32 */
    nnb_net *net;
    nnbt_ok(nnb_model_read(&net, NULL, NULL, m32));
    ck_assert_int_eq(nnb_net_dtype(net), NNB_F32);
    nnb_net_free(net);
    r = runv("info", "--model", m32, NULL);
    assert_ok(r);
    ck_assert_msg(strstr(r.out, "float32") && strstr(r.out, "train.dtype") && strstr(r.out, "f32"),
                  "%s", r.out);
    nnbt_proc_free(&r);
    r = runv("eval", "--model", m32, "--csv", csv, "--json", NULL);
    assert_ok(r);
    nnbt_proc_free(&r);
    r = runv("predict", "--model", m32, "--csv", csv, "--out", pred, NULL);
    assert_ok(r);
    nnbt_proc_free(&r);
    size_t len;
    char *text = nnbt_read_file(pred, &len);
    ck_assert_ptr_nonnull(text);
    size_t lines = 0;
    for (size_t i = 0; i < len; i++) lines += text[i] == '\n';
    ck_assert_uint_eq(lines, 301); /* a header and one row per input row */
    free(text);
    /* the type is the model's on --resume */
    r = runv("train", "--resume", m32, "--dtype", "f64", NULL);
    ck_assert_int_ne(r.code, 0);
    ck_assert_msg(strstr(r.err, "--dtype"), "%s", r.err);
    nnbt_proc_free(&r);
    r = runv("train", "--resume", m32, "--epochs", "1", "--save", m32, "--quiet", NULL);
    assert_ok(r);
    nnbt_proc_free(&r);
    nnbt_ok(nnb_model_read(&net, NULL, NULL, m32));
    ck_assert_int_eq(nnb_net_dtype(net), NNB_F32);
    nnb_net_free(net);
    r = runv("train", "--csv", csv, "--target", "label", "--dtype", "f16", NULL);
    ck_assert_int_ne(r.code, 0);
    ck_assert_msg(strstr(r.err, "f32"), "%s", r.err);
    nnbt_proc_free(&r);
    /* "float" is ambiguous (C's float32, numpy's float64): a usage error naming both */
    r = runv("train", "--csv", csv, "--target", "label", "--dtype", "float", NULL);
    ck_assert_int_eq(r.code, 2);
    ck_assert_msg(strstr(r.err, "--dtype") && strstr(r.err, "ambiguous") && strstr(r.err, "f32") &&
                      strstr(r.err, "f64"),
                  "%s", r.err);
    nnbt_proc_free(&r);
}
END_TEST


/* ---- float32 data ------------------------------------------------------------------------- */

/* The JSON object of the last line of out starting with `{"event":"summary"` (or the first
 * line when there is none, for eval). */
static nnbt_json *summary(const char *out) {
    const char *s = strstr(out, "{\"event\":\"summary\"");
    nnbt_json *j = nnbt_json_parse(s ? s : out);
    ck_assert_msg(j != NULL, "not JSON: %s", out);
    return j;
}

static double jnum(const nnbt_json *j, const char *key) {
    const nnbt_json *v = nnbt_json_get(j, key);
    ck_assert_msg(v && nnbt_json_is_num(v), "no number %s", key);
    return nnbt_json_num(v);
}

/* The numbers of a CSV text after its header, row after row (the first field of each row left
 * out with skip_first: predict's class); *n the count. */
static double *csv_numbers(const char *text, int skip_first, size_t *n) {
    size_t cap = 1024, k = 0;
    double *v = malloc(cap * sizeof *v);
    const char *p = strchr(text, '\n');
    ck_assert(v && p);
    for (p++; *p; p++) {
        if (skip_first && (p[-1] == '\n')) {
            p += strcspn(p, ",\n");
            if (!*p) break;
            continue;
        }
        char *end;
        double d = strtod(p, &end);
        if (end != p && (*end == ',' || *end == '\n')) {
            if (k == cap) v = realloc(v, (cap *= 2) * sizeof *v);
            ck_assert_ptr_nonnull(v);
            v[k++] = d;
        }
        p += strcspn(p, ",\n");
        if (!*p) break;
    }
    *n = k;
    return v;
}

/* The library's float64 data path for a saved model: the IDX test part read as doubles
 * (nnb_mnist_read_part) and scaled with nnb_prep_transform, or a numeric CSV prepared with
 * nnb_prep_apply; the network evaluates and predicts on double data (a float32 network converts
 * each batch itself). Predictions unscaled for a regression. */
static void reference(const char *model, const char *idx_dir, const char *csv, double *loss,
                      double **pred, size_t *n_pred) {
    nnb_net *net;
    nnb_prep *prep;
    nnb_meta *meta;
    nnbt_ok(nnb_model_read(&net, &prep, &meta, model));
    size_t rows, cols, ny = nnb_net_n_outputs(net);
    double *x, *y;
    if (idx_dir) {
        nnbt_ok(nnb_mnist_info(idx_dir, NNB_MNIST_TEST, &rows, &cols));
        x = malloc(rows * cols * sizeof *x), y = malloc(rows * 10 * sizeof *y);
        ck_assert(x && y);
        nnbt_ok(nnb_mnist_read_part(idx_dir, NNB_MNIST_TEST, 1, x, rows * cols, y, rows * 10));
        nnbt_ok(nnb_prep_transform(prep, x, rows, cols));
    } else {
        nnb_table *t;
        nnbt_ok(nnb_csv_read(&t, csv, NULL));
        rows = nnb_table_n_rows(t), cols = nnb_prep_n_features(prep);
        x = malloc(rows * cols * sizeof *x), y = malloc(rows * ny * sizeof *y);
        ck_assert(x && y);
        nnbt_ok(nnb_prep_apply(prep, t, NULL, rows, x, rows * cols, y, rows * ny));
        nnb_table_free(t);
    }
    const char *ln = nnb_meta_get(meta, "train.loss");
    nnb_loss l;
    nnbt_ok(nnb_loss_parse(ln, &l));
    nnbt_ok(nnb_net_evaluate(net, x, rows, cols, y, ny, l, NNB_REDUCTION_MEAN, loss, NULL));
    *pred = malloc(rows * ny * sizeof **pred);
    ck_assert_ptr_nonnull(*pred);
    nnbt_ok(nnb_net_predict(net, x, rows, cols, *pred, rows * ny));
    if (!idx_dir) nnbt_ok(nnb_prep_inverse_targets(prep, *pred, rows, ny));
    *n_pred = rows * ny;
    free(x), free(y);
    nnb_net_free(net), nnb_prep_free(prep), nnb_meta_free(meta);
}

/* eval --json and predict of a float32 model on the data (flag "--idx" with a spec, or "--csv"
 * with a file) against reference(): the loss to loss_tol relative, each prediction to pred_tol
 * absolute (0: equal). Returns eval's loss. */
static double against_reference(const char *model, const char *idx_dir, const char *flag,
                                const char *data, double loss_tol, double pred_tol) {
    nnbt_proc r = runv("eval", "--model", model, flag, data, "--json", NULL);
    assert_ok(r);
    nnbt_json *e = summary(r.out);
    nnbt_proc_free(&r);
    double loss = jnum(e, "loss"), ref_loss, *ref, worst = 0;
    nnbt_json_free(e);
    size_t n_ref, n_got;
    reference(model, idx_dir, idx_dir ? NULL : data, &ref_loss, &ref, &n_ref);
    nnbt_assert_rel(loss, ref_loss, loss_tol);
    r = runv("predict", "--model", model, flag, data, NULL);
    assert_ok(r);
    double *got = csv_numbers(r.out, idx_dir != NULL, &n_got); /* IDX: the class is a digit */
    ck_assert_uint_eq(n_got, n_ref);
    for (size_t i = 0; i < n_ref; i++) {
        ck_assert_msg(fabs(got[i] - ref[i]) <= pred_tol, "[%zu] %.17g vs %.17g", i, got[i], ref[i]);
        worst = fmax(worst, fabs(got[i] - ref[i]));
    }
    printf("%s: loss %.17g, the float64 data path's %.17g; largest prediction difference %.3g\n",
           flag, loss, ref_loss, worst);
    nnbt_proc_free(&r);
    free(got), free(ref);
    return loss;
}

/* A regression CSV: a, b, c and y = 3a - 2b + c^2 + noise (in the hundreds: its scaling
 * matters), 240 rows. */
static const char *reg_csv(void) {
    static char path[4096];
    nnbt_tmp_path(path, sizeof path, "reg.csv");
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "a,b,c,y\n");
    nnbt_rng g = {17};
    for (int r = 0; r < 240; r++) {
        double a = nnbt_uniform(&g), b = nnbt_normal(&g), c = 10 * nnbt_uniform(&g);
        fprintf(f, "%.6f,%.6f,%.6f,%.6f\n", a, b, c,
                300 + 3 * a - 2 * b + c * c + 0.05 * nnbt_normal(&g));
    }
    fclose(f);
    return path;
}

/* IDX data in float32: training as float64 and float32 (same seed, split, shuffles, dropout
 * masks) ends at nearby losses; eval of the float32 model gives train's own test loss exactly
 * and the library's float64 data path's to 1e-5; predict agrees with it. */
START_TEST(idx_data_in_either_type) {
    const char *dir = nnbt_idx_folder("idx32", 400, 100, 8);
    char spec[600], m32[4096], m64[4096];
    snprintf(spec, sizeof spec, "mnist:%s", dir);
    nnbt_tmp_path(m32, sizeof m32, "i32.nnb");
    nnbt_tmp_path(m64, sizeof m64, "i64.nnb");
    nnbt_json *s[2];
    for (int k = 0; k < 2; k++) {
        nnbt_proc r = runv("train", "--idx", spec, "--layers", "16", "--epochs", "6", "--batch",
                           "20", "--lr", "0.01", "--val", "0.1", "--dropout", "0.1", "--dtype",
                           k ? "f32" : "f64", "--save", k ? m32 : m64, "--json", NULL);
        assert_ok(r);
        s[k] = summary(r.out);
        ck_assert_str_eq(nnbt_json_str(nnbt_json_get(s[k], "dtype")), k ? "f32" : "f64");
        nnbt_proc_free(&r);
    }
    /* The two runs differ only by float32 rounding (inputs rounded once, every product in
     * single precision: 2^-24 = 6e-8 relative each); over 6 epochs of Adam that moves the losses
     * by about 2e-6 relative here; 1e-4 leaves a factor 50, and an accuracy of 100 test rows may
     * move by a row. */
    const char *keys[3] = {"train_loss", "val_loss", "test_loss"};
    for (int i = 0; i < 3; i++) nnbt_assert_rel(jnum(s[1], keys[i]), jnum(s[0], keys[i]), 1e-4);
    ck_assert(fabs(jnum(s[1], "test_accuracy") - jnum(s[0], "test_accuracy")) <= 0.01 + 1e-12);
    ck_assert(jnum(s[1], "test_accuracy") > 0.9);
    double train_test_loss = jnum(s[1], "test_loss");
    nnbt_json_free(s[0]);
    nnbt_json_free(s[1]);

    /* eval reads and scales the test part as train did: the same float32 inputs, the same
     * loss. The reference's inputs are (p/255 - mean) / sd rounded to float (by the network, per
     * batch), the command's (float(p/255) - mean) / sd with statistics of those floats, rounded:
     * at most a float32 ulp or two apart, which moves the loss and each probability by a few
     * 1e-7 here; 1e-5 leaves room */
    double loss = against_reference(m32, dir, "--idx", spec, 1e-5, 1e-5);
    ck_assert_msg(loss == train_test_loss, "%.17g vs %.17g", loss, train_test_loss);
}
END_TEST

/* CSV data in float32 (nnb_prep_apply_f32: each value the float64 preparation's, rounded once)
 * is exactly what a float32 network makes of float64 data: eval's loss and predict's values
 * (unscaled into the data's units in double) equal the library's float64 data path's. Float32
 * and float64 runs reach nearby test RMSEs. */
START_TEST(csv_data_in_either_type) {
    const char *csv = reg_csv();
    char m32[4096], m64[4096];
    nnbt_tmp_path(m32, sizeof m32, "r32.nnb");
    nnbt_tmp_path(m64, sizeof m64, "r64.nnb");
    double rmse[2];
    for (int k = 0; k < 2; k++) {
        nnbt_proc r = runv("train", "--csv", csv, "--target", "y", "--layers", "12", "--epochs",
                           "30", "--val", "0.1", "--dtype", k ? "f32" : "f64", "--save",
                           k ? m32 : m64, "--json", NULL);
        assert_ok(r);
        nnbt_json *j = summary(r.out);
        ck_assert_str_eq(nnbt_json_get(j, "task") ? nnbt_json_str(nnbt_json_get(j, "task")) : "",
                         "regression");
        rmse[k] = jnum(j, "test_rmse");
        nnbt_json_free(j);
        nnbt_proc_free(&r);
    }
    /* as in idx_data_in_either_type: float32 rounding over 30 epochs, about 1e-6 relative here */
    nnbt_assert_rel(rmse[1], rmse[0], 1e-4);
    /* the same float inputs and network: only the order of the loss's double sums may differ;
     * predictions equal */
    against_reference(m32, NULL, "--csv", csv, 1e-12, 0);
}
END_TEST

/* Bad data fails the same way for either type: train, eval and predict give the same status
 * and message on a CSV with an NA, a NaN, a non-numeric or an infinite cell, and --drop-bad-rows
 * drops the same rows; a damaged IDX file likewise. A value that float64 can hold but float32
 * cannot (after the preparation) is refused in float32 with a message, never trained on as
 * infinity. */
START_TEST(errors_in_both_types) {
    char path[4096], m[2][4096];
    nnbt_tmp_path(path, sizeof path, "bad.csv");
    static const char *const cells[] = {"NA", "NaN", "abc", "inf", ""};
    const char *good = write_csv();
    for (int k = 0; k < 2; k++) {
        nnbt_tmp_path(m[k], sizeof m[k], k ? "e32.nnb" : "e64.nnb");
        nnbt_proc r = runv("train", "--csv", good, "--target", "label", "--epochs", "2", "--dtype",
                           k ? "f32" : "f64", "--save", m[k], "--quiet", NULL);
        assert_ok(r);
        nnbt_proc_free(&r);
    }
    for (size_t c = 0; c < sizeof cells / sizeof cells[0]; c++) {
        char text[400];
        snprintf(text, sizeof text,
                 "a,b,c,d,label\n1,2,3,4,yes\n-1,-2,-3,-4,no\n1,%s,3,4,yes\n2,2,2,2,yes\n"
                 "-2,-1,-1,-2,no\n0.5,1,1,1,yes\n-1,-1,-1,0,no\n",
                 cells[c]);
        ck_assert(nnbt_write_file(path, text, strlen(text)));
        nnbt_proc r[2];
        for (int k = 0; k < 2; k++)
            r[k] = runv("train", "--csv", path, "--target", "label", "--epochs", "1", "--dtype",
                        k ? "f32" : "f64", NULL);
        ck_assert_msg(r[0].code == 1 && strstr(r[0].err, "bad.csv:4:2"), "'%s': %d %s", cells[c],
                      r[0].code, r[0].err);
        ck_assert_int_eq(r[1].code, r[0].code);
        ck_assert_str_eq(r[1].err, r[0].err);
        nnbt_proc_free(&r[0]), nnbt_proc_free(&r[1]);
        for (int k = 0; k < 2; k++)
            r[k] = runv("train", "--csv", path, "--target", "label", "--epochs", "1", "--dtype",
                        k ? "f32" : "f64", "--drop-bad-rows", "--test", "0.3", NULL);
        assert_ok(r[0]);
        assert_ok(r[1]);
        ck_assert_msg(strstr(r[0].out, "(1 dropped: missing or bad values)"), "%s", r[0].out);
        ck_assert_uint_eq(strcspn(r[1].out, "\n"), strcspn(r[0].out, "\n")); /* the data line */
        ck_assert(strncmp(r[1].out, r[0].out, strcspn(r[0].out, "\n")) == 0);
        nnbt_proc_free(&r[0]), nnbt_proc_free(&r[1]);
        for (int cmd = 0; cmd < 2; cmd++) {
            for (int k = 0; k < 2; k++)
                r[k] = runv(cmd ? "predict" : "eval", "--model", m[k], "--csv", path, NULL);
            ck_assert_msg(r[0].code == 1 && strstr(r[0].err, "bad.csv:4:2"), "%s", r[0].err);
            ck_assert_int_eq(r[1].code, r[0].code);
            ck_assert_str_eq(r[1].err, r[0].err);
            nnbt_proc_free(&r[0]), nnbt_proc_free(&r[1]);
        }
    }
    /* a truncated IDX images file */
    const char *dir = nnbt_idx_folder("idxbad", 60, 20, 8);
    char images[700], spec[600];
    snprintf(images, sizeof images, "%s/t10k-images-idx3-ubyte", dir);
    ck_assert(truncate(images, 16 + 64 * 20 - 5) == 0);
    snprintf(spec, sizeof spec, "mnist:%s", dir);
    nnbt_proc r[2];
    for (int k = 0; k < 2; k++)
        r[k] = runv("train", "--idx", spec, "--epochs", "1", "--dtype", k ? "f32" : "f64", NULL);
    ck_assert_msg(r[0].code == 1 && strstr(r[0].err, "t10k-images"), "%s", r[0].err);
    ck_assert_int_eq(r[1].code, r[0].code);
    ck_assert_str_eq(r[1].err, r[0].err);
    nnbt_proc_free(&r[0]), nnbt_proc_free(&r[1]);
    /* 1e300 (unscaled) is a float64 but not a float32 */
    const char big[] = "a,b,y\n1e300,1,1\n0.5,2,0\n0.25,1,1\n0.75,2,0\n0.5,1,1\n0.5,2,0\n";
    ck_assert(nnbt_write_file(path, big, sizeof big - 1));
    for (int k = 0; k < 2; k++)
        r[k] = runv("train", "--csv", path, "--target", "y", "--standardize", "none", "--test", "0",
                    "--epochs", "1", "--dtype", k ? "f32" : "f64", "--quiet", NULL);
    assert_ok(r[0]);
    ck_assert_msg(r[1].code == 1 && strstr(r[1].err, "'a'") &&
                      strstr(r[1].err, "beyond float32's range") && strstr(r[1].err, "--dtype f64"),
                  "%d %s", r[1].code, r[1].err);
    nnbt_proc_free(&r[0]), nnbt_proc_free(&r[1]);
}
END_TEST

/* The peak resident memory (kB) of a run of the command, its output discarded. */
static long peak_kb(char **argv) {
    const char *cli = getenv("NNBLAS_CLI");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    extern char **environ;
    ck_assert_int_eq(posix_spawn(&pid, cli, &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    int status;
    struct rusage ru;
    ck_assert_int_eq(wait4(pid, &status, 0, &ru), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the run failed");
    return ru.ru_maxrss;
}

/* The point of float32 data: a float32 run holds its images in half the bytes. 28 x 28 images
 * (n of them in all): float64 data takes 8 n 784 bytes, float32 half; everything else (the
 * program, OpenBLAS, the small network's workspaces) is about the same, so the float32 run's
 * peak must be below the float64 run's by at least 0.35 of the float64 data (0.5 expected;
 * before the command read float32 data, the float32 run's peak was the higher one). Not under
 * valgrind: a child's peak counts its parent's memory before exec (the kernel keeps the larger),
 * and valgrind's own tens of MB then hide both runs'. */
START_TEST(float32_data_halves_memory) {
    size_t train = nnbt_scale(6000, 3000), test = train / 6;
    const char *dir = nnbt_idx_folder("idxm", train, test, 28);
    char spec[600];
    snprintf(spec, sizeof spec, "mnist:%s", dir);
    long kb[2];
    for (int k = 0; k < 2; k++) {
        char *argv[] = {"nnblas",   "train",   "--idx",           spec,  "--layers",  "16",
                        "--epochs", "1",       "--batch",         "200", "--threads", "1",
                        "--quiet",  "--dtype", k ? "f32" : "f64", NULL};
        kb[k] = peak_kb(argv);
    }
    double data64_kb = 8.0 * (double)(train + test) * 784 / 1024;
    printf("peak RSS: float64 %ld kB, float32 %ld kB; float64 data %.0f kB\n", kb[0], kb[1],
           data64_kb);
    ck_assert_msg(nnbt_valgrind() || (double)(kb[0] - kb[1]) >= 0.35 * data64_kb,
                  "float32 peak %ld kB, float64 %ld kB: saves %ld kB of %.0f", kb[1], kb[0],
                  kb[0] - kb[1], data64_kb);
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
    tcase_add_test(tc, cnn_end_to_end);
    tcase_add_loop_test(tc, resume_is_bit_identical, 0, 2);
    tcase_add_test(tc, unwritable_destinations);
    tcase_add_test(tc, progress_bar_on_a_terminal);
    suite_add_tcase(s, tc);
    tc = tcase_create("dtype");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, dtype_end_to_end);
    tcase_add_test(tc, idx_data_in_either_type);
    tcase_add_test(tc, csv_data_in_either_type);
    tcase_add_test(tc, errors_in_both_types);
    tcase_add_test(tc, float32_data_halves_memory);
    suite_add_tcase(s, tc);
    return s;
}

NNBT_MAIN(cli_suite, 0)
