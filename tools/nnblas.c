/*
 * nnblas: train, evaluate and apply dense networks from the command line, on CSV or IDX data.
 *
 *   nnblas train    --csv FILE --target COL [...] | --idx fashion-mnist   [--save FILE]
 *   nnblas eval     --model FILE (--csv FILE | --idx SPEC)
 *   nnblas predict  --model FILE (--csv FILE | --idx SPEC) [--out FILE]
 *   nnblas info     --model FILE
 *   nnblas export   MODEL (--onnx FILE | --c FILE) [...]
 *
 * Exit status: 0 success, 1 failure ("nnblas: error: ..." on stderr), 2 usage error.
 * main() is in main.c; the rest is a static library that the fuzzing harness of the command line
 * (tests/fuzz/fuzz_cli.c) links too.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char main_help[] =
    "usage: nnblas COMMAND [options]\n"
    "       nnblas --help | --version\n"
    "\n"
    "Dense neural networks on a CPU (float64, OpenBLAS), from CSV or IDX data.\n"
    "\n"
    "Commands:\n"
    "  train     train a network (or resume a saved one) and save it with its data preparation\n"
    "  eval      loss, accuracy and confusion matrix of a saved model on labelled data\n"
    "  predict   a saved model's predictions for new data, as CSV\n"
    "  info      what a model file holds: network, preparation, metadata\n"
    "  export    a saved model as an ONNX file or as standalone C source\n"
    "\n"
    "'nnblas COMMAND --help' describes a command's options. Exit status: 0 success, 1 failure,\n"
    "2 usage error.\n";

const command cmd_eval = {
    "eval",
    "usage: nnblas eval --model FILE (--csv FILE | --idx fashion-mnist[:DIR] | --idx mnist:DIR)\n"
    "                   [--json] [--plot FILE.svg]\n"
    "\n"
    "Evaluates a saved model on labelled data: every row of the CSV file (prepared with the\n"
    "model's own preparation; the target column must be there), or the test part of an IDX set.\n"
    "Prints the loss (the model's training loss, mean per row), and for classification the\n"
    "accuracy and the confusion matrix; for regression the RMSE and MAE of each target in the\n"
    "data's units.\n"
    "\n"
    "  --model FILE   a model saved by nnblas train (or nnb_model_write)\n"
    "  --csv FILE     labelled CSV data with the columns the model was trained on (- for\n"
    "                 standard input; a pipe or FIFO is read once)\n"
    "  --idx SPEC     an MNIST-style folder; its test part is evaluated\n"
    "  --delimiter D  the CSV delimiter (default: detected; see nnblas train --help)\n"
    "  --decimal M    the decimal mark, auto (default: detected), . or ,\n"
    "  --json         one JSON object instead of text\n"
    "  --plot FILE    draw the confusion matrix (classification) or the predicted against the\n"
    "                 actual values (regression) as an SVG picture, written atomically\n"
    "  --input-limit BYTES\n"
    "                 the most bytes read from an input that is not a regular file (a pipe,\n"
    "                 a FIFO, standard input; default 1 GiB); suffixes K, M, G\n"
    "  --help         this text\n",
};

const command cmd_predict = {
    "predict",
    "usage: nnblas predict --model FILE (--csv FILE | --idx SPEC) [--out FILE]\n"
    "\n"
    "Applies a saved model to new data and writes its predictions as CSV, one row per input row\n"
    "in the same order. The model's preparation (one-hot categories, scaling) is applied to the\n"
    "columns it names; other columns, and the target if present, are ignored. Classification:\n"
    "the predicted class, then one probability column per class (p_<class>; for one sigmoid\n"
    "output, the probability of the second class). Regression: the predicted targets, in the\n"
    "data's units. Numbers are written in their shortest exact form.\n"
    "\n"
    "  --model FILE   a model saved by nnblas train (or nnb_model_write)\n"
    "  --csv FILE     the data (a header row; the target column may be absent; - for\n"
    "                 standard input)\n"
    "  --idx SPEC     the test images of an MNIST-style folder\n"
    "  --delimiter D  the CSV delimiter (default: detected; see nnblas train --help)\n"
    "  --decimal M    the decimal mark, auto (default: detected), . or ,\n"
    "  --out FILE     write there (atomically) instead of to standard output (- or no\n"
    "                 --out: standard output)\n"
    "  --input-limit BYTES\n"
    "                 the most bytes read from an input that is not a regular file (a pipe,\n"
    "                 a FIFO, standard input; default 1 GiB); suffixes K, M, G\n"
    "  --help         this text\n",
};

const command cmd_info = {
    "info",
    "usage: nnblas info --model FILE [--params-hex]\n"
    "\n"
    "Describes a model file: the network (layers, activations, parameter count), the data\n"
    "preparation (columns, scalings, categories, classes) and the metadata.\n"
    "\n"
    "  --model FILE    the model file\n"
    "  --params-hex    print only the parameters, one per line, as the 16 hex digits of their\n"
    "                  IEEE-754 bits (to compare models bit for bit)\n"
    "  --input-limit BYTES\n"
    "                  the most bytes read from a model that is not a regular file (default\n"
    "                  1 GiB); suffixes K, M, G\n"
    "  --help          this text\n",
};

/* Parses `--model FILE`, data flags and the given extra flags of eval, predict and info. */
typedef struct common {
    const char *model, *csv, *idx, *out, *delimiter, *plot, *decimal;
    int json, params_hex;
} common;

static int parse_common(int argc, char **argv, const command *cmd, int data, int want_out,
                        int want_json, int want_hex, common *c) {
    memset(c, 0, sizeof *c);
    args a = {argc, argv, 2, cmd, 0, NULL, 0};
    while (a.i < argc && !a.status) {
        const char *v = NULL;
        if (arg_flag(&a, "--help")) {
            fputs(cmd->help, stdout);
            return -1;
        } else if (arg_value(&a, "--model", &v)) {
            c->model = v;
        } else if (data && arg_value(&a, "--csv", &v)) {
            c->csv = v;
        } else if (data && arg_value(&a, "--idx", &v)) {
            c->idx = v;
        } else if (data && arg_value(&a, "--delimiter", &v)) {
            c->delimiter = v;
        } else if (data && arg_value(&a, "--decimal", &v)) {
            c->decimal = v;
        } else if (want_out && arg_value(&a, "--out", &v)) {
            c->out = v && strcmp(v, "-") == 0 ? NULL : v; /* -: standard output */
        } else if (want_json && arg_flag(&a, "--json")) {
            c->json = 1;
        } else if (want_json && arg_value(&a, "--plot", &v)) {
            c->plot = v;
        } else if (want_hex && arg_flag(&a, "--params-hex")) {
            c->params_hex = 1;
        } else if (arg_value(&a, "--input-limit", &v)) {
            if (v && !parse_input_limit(&a, v)) return a.status;
        } else {
            const char *known[] = {"--help",
                                   "--model",
                                   data ? "--csv" : NULL,
                                   data ? "--idx" : NULL,
                                   data ? "--delimiter" : NULL,
                                   data ? "--decimal" : NULL,
                                   want_out ? "--out" : NULL,
                                   want_json ? "--json" : NULL,
                                   want_json ? "--plot" : NULL,
                                   want_hex ? "--params-hex" : NULL};
            return unknown_arg(cmd, argv[a.i], known, sizeof known / sizeof known[0]);
        }
    }
    if (a.status) return a.status;
    if (!c->model) return usage_error(cmd, "--model is required");
    if (file_output(cmd, "--plot", c->plot) != EXIT_OK) return EXIT_USAGE;
    if (data && !c->csv && !c->idx) return usage_error(cmd, "give --csv or --idx");
    if (data && c->csv && c->idx) return usage_error(cmd, "give either --csv or --idx, not both");
    char delim;
    if (c->delimiter && (c->idx || !delimiter_valid(c->delimiter, &delim)))
        return usage_error(cmd,
                           c->idx ? "--delimiter is for CSV data"
                                  : "--delimiter: '%s' is not one character, tab, comma or "
                                    "semicolon",
                           c->delimiter);
    char decimal;
    if (c->decimal && (c->idx || !decimal_valid(c->decimal, &decimal)))
        return usage_error(
            cmd, c->idx ? "--decimal is for CSV data" : "--decimal: '%s' is not '.', ',' or auto",
            c->decimal);
    return 0;
}

/* parse_common()'s arguments for eval, predict and info. */
static int parse_subcommand(int argc, char **argv, const command *cmd, common *c) {
    if (cmd == &cmd_eval) return parse_common(argc, argv, cmd, 1, 0, 1, 0, c);
    if (cmd == &cmd_predict) return parse_common(argc, argv, cmd, 1, 1, 0, 0, c);
    return parse_common(argc, argv, cmd, 0, 0, 0, 1, c);
}

/* The data flags of eval and predict. */
static data_flags common_data(const common *c) {
    return (data_flags){c->csv, c->idx, NULL, NULL, NULL, NULL, c->delimiter, 0, NULL, c->decimal};
}

/* Before any work: the output (eval --plot, predict --out) is neither the model, nor the data. */
static int check_common_files(const common *c, const command *cmd, const char *opt,
                              const char *out) {
    data_flags df = common_data(c);
    const file_use uses[2] = {{"--model", c->model, 0, 0}, {opt, out, 1, 0}};
    return check_data_files(cmd, &df, uses, 2);
}

/* Loads the model and reads the data the flags name, prepared (and y, the targets, if want_y). */
static int open_with_data(const common *c, int want_y, model_info *mi, mat *x, mat *y) {
    if (!model_open(c->model, mi)) return 0;
    data_flags df = common_data(c);
    if (model_data(mi, &df, want_y, x, y)) return 1;
    model_close(mi);
    return 0;
}

/* ---- eval --------------------------------------------------------------------------------------- */

static const char *loss_long(nnb_loss l) {
    switch (l) {
    case NNB_LOSS_CE:
        return "cross-entropy";
    case NNB_LOSS_BCE:
        return "binary cross-entropy";
    case NNB_LOSS_SSE:
        return "half the sum of squared errors";
    default:
        return "mean squared error";
    }
}

/* eval --plot: the confusion matrix, or the predicted against the actual values. */
static int plot_eval(const common *c, const model_info *mi, const size_t *conf, const double *yhat,
                     const mat *y) {
    char title[256];
    snprintf(title, sizeof title, "nnblas eval: %s on %s", c->model, c->csv ? c->csv : c->idx);
    if (mi->n_classes) return plot_confusion(c->plot, conf, mi->n_classes, mi->labels, title);
    size_t n_out = nnb_net_n_outputs(mi->net), shown = n_out < 6 ? n_out : 6;
    const char *names[6] = {NULL};
    for (size_t j = 0; j < shown && mi->prep; j++) names[j] = nnb_prep_target_name(mi->prep, j);
    return plot_scatter(c->plot, y->v, y->cols, yhat, n_out, y->rows, shown, names, title);
}

/* What eval measured on the data. */
typedef struct eval_result {
    size_t rows, n_out, K; /* K: classes (0 for regression) */
    double loss, acc;
    double *yhat;       /* rows x n_out predictions (regression: in the data's units) */
    size_t *conf;       /* K x K: conf[true * K + predicted] */
    double *rmse, *mae; /* regression, per target: root mean square and mean absolute error */
    double *r2;         /* regression, per target: R^2 */
} eval_result;

static void eval_free(eval_result *e) {
    free(e->yhat), free(e->conf), free(e->mae), free(e->rmse), free(e->r2);
}

/* The loss and the predictions, then the confusion matrix (classification) or the errors of each
 * target in the data's units (regression; y becomes float64 and is turned into those units). 1,
 * or 0 after a message. */
static int eval_measure(const model_info *mi, const mat *x, mat *y, eval_result *e) {
    size_t rows = x->rows, n_out = nnb_net_n_outputs(mi->net), K = mi->n_classes;
    *e = (eval_result){rows, n_out, K, NAN, NAN, NULL, NULL, NULL, NULL, NULL};
    e->yhat = malloc((rows * n_out > 0 ? rows * n_out : 1) * sizeof *e->yhat);
    e->conf = calloc(K * K + 1, sizeof *e->conf);
    e->rmse = calloc(y->cols + 1, sizeof *e->rmse), e->mae = calloc(y->cols + 1, sizeof *e->mae);
    e->r2 = calloc(y->cols + 1, sizeof *e->r2);
    if (!e->yhat || !e->conf || !e->rmse || !e->mae || !e->r2) return fail("out of memory"), 0;
    if (rows == 0) return fail("the data has no rows"), 0;
    if (mat_evaluate(mi->net, x, y, mi->loss, NNB_REDUCTION_MEAN, &e->loss, NULL) != NNB_OK ||
        mat_predict(mi->net, x, e->yhat, rows * n_out) != NNB_OK)
        return fail_nnb(), 0;
    /* the targets in double from here (a few columns; float32 values are exact in double) */
    if (!mat_to_f64(y)) return 0;
    if (K) {
        size_t right = 0;
        for (size_t i = 0; i < rows; i++) {
            size_t t = predicted_class(y->v + i * y->cols, y->cols);
            size_t p = predicted_class(e->yhat + i * n_out, n_out);
            e->conf[t * K + p]++;
            right += t == p;
        }
        e->acc = (double)right / (double)rows;
        return 1;
    }
    /* regression: errors in the data's units */
    if (mi->prep && nnb_prep_n_targets(mi->prep) == n_out &&
        nnb_prep_target_kind(mi->prep) == NNB_TARGET_VALUES &&
        (nnb_prep_inverse_targets(mi->prep, e->yhat, rows, n_out) != NNB_OK ||
         nnb_prep_inverse_targets(mi->prep, y->v, rows, n_out) != NNB_OK))
        return fail_nnb(), 0;
    for (size_t j = 0; j < n_out; j++) { /* finite for any finite values (targets of 1e200) */
        error_stats(y->v, y->cols, e->yhat, n_out, rows, j, &e->rmse[j], &e->mae[j]);
        e->r2[j] = r2_score(y->v, y->cols, e->yhat, n_out, rows, j);
    }
    return 1;
}

/* eval --json: one object. */
static void print_eval_json(const model_info *mi, const eval_result *e) {
    size_t K = e->K;
    printf("{\"rows\":%zu,\"loss\":", e->rows);
    json_num(stdout, e->loss);
    printf(",\"loss_function\":\"%s\",\"accuracy\":", nnb_loss_name(mi->loss));
    json_num(stdout, e->acc); /* NaN (null) for regression */
    if (K) {
        fputs(",\"classes\":[", stdout);
        for (size_t k = 0; k < K; k++) {
            if (k) fputc(',', stdout);
            json_str(stdout, mi->labels[k]);
        }
        fputs("],\"confusion\":[", stdout);
        for (size_t t = 0; t < K; t++) {
            fputs(t ? ",[" : "[", stdout);
            for (size_t p = 0; p < K; p++) printf("%s%zu", p ? "," : "", e->conf[t * K + p]);
            fputc(']', stdout);
        }
        fputc(']', stdout);
    } else {
        fputs(",\"targets\":[", stdout);
        for (size_t j = 0; j < e->n_out; j++) {
            fputs(j ? ",{\"name\":" : "{\"name\":", stdout);
            const char *name = mi->prep ? nnb_prep_target_name(mi->prep, j) : NULL;
            json_str(stdout, name ? name : "y");
            fputs(",\"rmse\":", stdout);
            json_num(stdout, e->rmse[j]);
            fputs(",\"mae\":", stdout);
            json_num(stdout, e->mae[j]);
            fputs(",\"r2\":", stdout);
            json_num(stdout, e->r2[j]);
            fputc('}', stdout);
        }
        fputc(']', stdout);
    }
    fputs("}\n", stdout);
}

/* The confusion matrix as text: a row per true class (number and label), a column per
 * predicted class. */
static void print_confusion(const model_info *mi, const eval_result *e) {
    size_t K = e->K, w = 5, lw = 0;
    printf("confusion matrix (rows: true class, columns: predicted class)\n");
    for (size_t i = 0; i < K * K; i++) {
        int d = snprintf(NULL, 0, "%zu", e->conf[i]);
        if ((size_t)d + 1 > w) w = (size_t)d + 1;
    }
    for (size_t k = 0; k < K; k++)
        if (strlen(esc(mi->labels[k])) > lw) lw = strlen(esc(mi->labels[k]));
    if (lw > 20) lw = 20;
    printf("%*s", (int)(lw + 6), "");
    for (size_t p = 0; p < K; p++) printf("%*zu", (int)w, p);
    putchar('\n');
    for (size_t t = 0; t < K; t++) {
        printf("%4zu %-*.*s ", t, (int)lw, (int)lw, esc(mi->labels[t]));
        for (size_t p = 0; p < K; p++) printf("%*zu", (int)w, e->conf[t * K + p]);
        putchar('\n');
    }
}

/* eval's text: the loss, then the accuracy and the confusion matrix, or each target's errors. */
static void print_eval_text(const model_info *mi, const eval_result *e) {
    printf("rows %zu\nloss %.6g (%s, mean per row)\n", e->rows, e->loss, loss_long(mi->loss));
    if (e->K) {
        printf("accuracy %.4f\n", e->acc);
        print_confusion(mi, e);
        return;
    }
    for (size_t j = 0; j < e->n_out; j++) {
        const char *name = mi->prep ? nnb_prep_target_name(mi->prep, j) : NULL;
        printf("%s: RMSE %.6g, MAE %.6g, R^2 %.4f\n", name ? esc(name) : "y", e->rmse[j], e->mae[j],
               e->r2[j]);
    }
}

int run_eval(int argc, char **argv) {
    common c;
    int r = parse_subcommand(argc, argv, &cmd_eval, &c);
    if (r) return r < 0 ? EXIT_OK : r;
    model_info mi;
    mat x, y;
    if ((r = check_common_files(&c, &cmd_eval, "--plot", c.plot)) != EXIT_OK) return r;
    if (c.plot && !plot_check(c.plot)) return EXIT_FAIL;
    if (!open_with_data(&c, 1, &mi, &x, &y)) return EXIT_FAIL;
    eval_result e;
    int ok = eval_measure(&mi, &x, &y, &e) && (!c.plot || plot_eval(&c, &mi, e.conf, e.yhat, &y));
    if (ok && c.json)
        print_eval_json(&mi, &e);
    else if (ok)
        print_eval_text(&mi, &e);
    eval_free(&e);
    mat_free(&x), mat_free(&y);
    model_close(&mi);
    return ok ? EXIT_OK : EXIT_FAIL;
}

/* ---- predict ---------------------------------------------------------------------------------- */

/* A field of predict's output: exact into a file or a pipe (the data), escaped on a terminal. */
static void out_field(FILE *f, int tty, const char *s) { csv_field(f, tty ? esc(s) : s); }

/* The header row: the targets' names (regression), or the target and p_<class> per output. */
static int write_pred_header(FILE *f, int tty, const model_info *mi, size_t n_out) {
    if (mi->n_classes == 0) {
        for (size_t j = 0; j < n_out; j++) {
            const char *name = mi->prep ? nnb_prep_target_name(mi->prep, j) : NULL;
            char buf[32];
            snprintf(buf, sizeof buf, "y%zu", j);
            if (j) fputc(',', f);
            out_field(f, tty, name ? name : buf);
        }
    } else {
        out_field(f, tty, mi->target);
        for (size_t j = 0; j < n_out; j++) {
            const char *label = mi->labels[mi->binary_sigmoid ? 1 : j];
            char *name = malloc(strlen(label) + 3);
            if (!name) return fail("out of memory"), 0;
            sprintf(name, "p_%s", label);
            fputc(',', f);
            out_field(f, tty, name);
            free(name);
        }
    }
    fputc('\n', f);
    return 1;
}

/* The predictions as CSV rows (the class first for classification). */
static void write_pred_rows(FILE *f, int tty, const model_info *mi, const double *yhat, size_t rows,
                            size_t n_out) {
    for (size_t i = 0; i < rows; i++) {
        const double *row = yhat + i * n_out;
        if (mi->n_classes) {
            out_field(f, tty, mi->labels[predicted_class(row, n_out)]);
            fputc(',', f);
        }
        for (size_t j = 0; j < n_out; j++) {
            char buf[32];
            fmt_double(buf, row[j]);
            if (j) fputc(',', f);
            fputs(buf, f);
        }
        fputc('\n', f);
    }
}

/* The model's outputs for x (rows x n_out; regression: in the data's units). NULL after a
 * message. */
static double *predict_rows(const model_info *mi, const mat *x) {
    size_t rows = x->rows, n_out = nnb_net_n_outputs(mi->net);
    double *yhat = malloc((rows * n_out > 0 ? rows * n_out : 1) * sizeof *yhat);
    if (!yhat) return fail("out of memory"), NULL;
    nnb_status st = rows ? mat_predict(mi->net, x, yhat, rows * n_out) : NNB_OK;
    if (st == NNB_OK && mi->n_classes == 0 && mi->prep &&
        nnb_prep_target_kind(mi->prep) == NNB_TARGET_VALUES &&
        nnb_prep_n_targets(mi->prep) == n_out)
        st = nnb_prep_inverse_targets(mi->prep, yhat, rows, n_out);
    if (st != NNB_OK) return free(yhat), fail_nnb(), NULL;
    return yhat;
}

int run_predict(int argc, char **argv) {
    common c;
    int r = parse_subcommand(argc, argv, &cmd_predict, &c);
    if (r) return r < 0 ? EXIT_OK : r;
    /* a bad --out is refused before the model and the data are read */
    if ((r = check_common_files(&c, &cmd_predict, "--out", c.out)) != EXIT_OK) return r;
    if (c.out && !check_writable(c.out)) return EXIT_FAIL;
    model_info mi;
    mat x;
    if (!open_with_data(&c, 0, &mi, &x, NULL)) return EXIT_FAIL;
    size_t n_out = nnb_net_n_outputs(mi.net);
    double *yhat = predict_rows(&mi, &x);
    int ok = yhat != NULL;
    atomic_file af = {0};
    FILE *f = stdout;
    if (ok && c.out) {
        ok = atomic_open(&af, c.out);
        f = af.f;
    }
    int tty = !c.out && isatty(STDOUT_FILENO);
    ok = ok && write_pred_header(f, tty, &mi, n_out);
    if (ok) write_pred_rows(f, tty, &mi, yhat, x.rows, n_out);
    if (ok && c.out) {
        ok = atomic_commit(&af);
    } else if (ok && (fflush(stdout) != 0 || ferror(stdout))) {
        ok = 0;
        fail("writing the predictions failed");
    }
    atomic_abort(&af);
    free(yhat);
    mat_free(&x);
    model_close(&mi);
    return ok ? EXIT_OK : EXIT_FAIL;
}

/* ---- info ----------------------------------------------------------------------------------- */

static const char *scale_text(nnb_scale s) {
    return s == NNB_SCALE_STANDARD ? "standardised" : s == NNB_SCALE_MINMAX ? "min-max" : "as is";
}

/* ", missing cells: FILL (VALUE)" when the model fills the column's missing cells. */
static void print_fill(const nnb_prep *p, const char *name) {
    nnb_fill how;
    double v;
    const char *cat;
    if (nnb_prep_column_fill(p, name, &how, &v, &cat) != NNB_OK || how == NNB_FILL_NONE) return;
    if (cat)
        printf("; missing cells: %s, %s", nnb_fill_name(how), esc(cat));
    else
        printf("; missing cells: %s, %.6g", nnb_fill_name(how), v);
}

static void print_prep(const nnb_prep *p) {
    size_t nc = nnb_prep_n_columns(p);
    if (nnb_prep_is_matrix(p)) {
        nnb_scale how;
        nnb_prep_column_stats(p, "x0", &how, NULL, NULL, NULL);
        printf("preparation: a matrix of %zu columns (x0 .. x%zu), each %s with statistics of the "
               "training rows; %zu constant\n",
               nc, nc - 1, scale_text(how), nnb_prep_n_constant_columns(p));
        return;
    }
    static const char *const kinds[] = {"values", "one-hot classes", "class index"};
    printf("preparation: %zu columns -> %zu features, %zu targets (%s)\n", nc,
           nnb_prep_n_features(p), nnb_prep_n_targets(p), kinds[nnb_prep_target_kind(p)]);
    for (size_t i = 0; i < nc; i++) {
        const char *name;
        int is_target, is_text;
        size_t n_cats;
        nnb_prep_column_info(p, i, &name, &is_target, &is_text, &n_cats);
        printf("  %-16s %-8s ", esc(name), is_target ? "target" : "feature");
        if (n_cats) {
            printf("%s, %zu %s%s:", is_target ? "classes" : "one-hot", n_cats,
                   is_target ? "classes" : "categories", is_text ? " (text)" : "");
            for (size_t k = 0; k < n_cats && k < 20; k++)
                printf(" %s", esc(nnb_prep_column_category(p, i, k)));
            printf("%s", n_cats > 20 ? " ..." : "");
            print_fill(p, name);
            printf("\n");
        } else {
            nnb_scale how;
            double a, b;
            int constant;
            nnb_prep_column_stats(p, name, &how, &a, &b, &constant);
            printf("number, %s", scale_text(how));
            if (how == NNB_SCALE_STANDARD) printf(" (mean %.6g, sd %.6g)", a, b);
            if (how == NNB_SCALE_MINMAX) printf(" (min %.6g, max %.6g)", a, b);
            printf("%s", constant ? ", constant when fitted" : "");
            print_fill(p, name);
            printf("\n");
        }
    }
}

int run_info(int argc, char **argv) {
    common c;
    int r = parse_subcommand(argc, argv, &cmd_info, &c);
    if (r) return r < 0 ? EXIT_OK : r;
    nnb_net *net;
    nnb_prep *prep;
    nnb_meta *meta;
    if (nnb_model_read(&net, &prep, &meta, c.model) != NNB_OK) return fail_nnb();
    size_t np = nnb_net_n_params(net);
    if (c.params_hex) {
        double *p = malloc(np * sizeof *p);
        if (!p) return fail("out of memory");
        nnb_net_params_get(net, p, np);
        for (size_t i = 0; i < np; i++) {
            uint64_t bits;
            memcpy(&bits, &p[i], 8);
            printf("%016llx\n", (unsigned long long)bits);
        }
        free(p);
    } else {
        printf("model: %s\n", esc(c.model));
        size_t ic, ih, iw;
        char in_shape[80] = "";
        nnb_net_get_input_shape(net, &ic, &ih, &iw);
        if (ih != 1 || iw != 1) snprintf(in_shape, sizeof in_shape, " (%zux%zux%zu)", ic, ih, iw);
        printf("network: %zu inputs%s, %zu layer%s, %zu parameters%s\n", nnb_net_n_inputs(net),
               in_shape, nnb_net_n_layers(net), nnb_net_n_layers(net) == 1 ? "" : "s", np,
               nnb_net_dtype(net) == NNB_F32 ? " (float32)" : "");
        for (size_t l = 0; l < nnb_net_n_layers(net); l++) {
            size_t n_in, n_out, n_p = nnb_net_layer_n_params(net, l);
            nnb_activation act;
            int bias;
            char what[96], shape[48];
            nnb_net_layer_info(net, l, &n_in, &n_out, &act, &bias, NULL, NULL);
            if (!layer_words(net, l, what, shape))
                printf("  layer %zu: %zu -> %zu %s, %s (%zu parameters)\n", l + 1, n_in, n_out,
                       nnb_activation_name(act), bias ? "bias" : "no bias", n_p);
            else if (!strcmp(nnb_net_layer_kind(net, l), "conv2d"))
                printf("  layer %zu: %s -> %s %s, %s (%zu parameters)\n", l + 1, what, shape,
                       nnb_activation_name(act), bias ? "bias" : "no bias", n_p);
            else
                printf("  layer %zu: %s -> %s (%zu parameters)\n", l + 1, what, shape, n_p);
        }
        if (prep)
            print_prep(prep);
        else
            printf("preparation: none\n");
        printf("metadata: %zu entries\n", nnb_meta_n_keys(meta));
        for (size_t i = 0; i < nnb_meta_n_keys(meta); i++)
            printf("  %-22s %s\n", esc(nnb_meta_key(meta, i)), esc(nnb_meta_value(meta, i)));
    }
    nnb_net_free(net);
    nnb_prep_free(prep);
    nnb_meta_free(meta);
    if (fflush(stdout) != 0) return fail("writing to standard output failed");
    return EXIT_OK;
}

/* ---- the command line ------------------------------------------------------------------------ */

/* nnblas train, under an MPI launcher data-parallel (cli_mpi.c). */
static int train_launched(int argc, char **argv) {
    int st = cli_mpi_begin();
    return st >= 0 ? st : cli_mpi_end(run_train(argc, argv));
}

static int dispatch(int argc, char **argv, int run) {
    if (argc < 2) {
        fputs(main_help, stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        fputs(main_help, stdout);
        return EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("nnblas %s (library %s, kernels %s)\n", NNB_VERSION_STRING, nnb_version_string(),
               nnb_kernel_isa());
        return EXIT_OK;
    }
    if (strcmp(cmd, "train") == 0)
        return run ? train_launched(argc, argv) : check_train(argc, argv);
    if (strcmp(cmd, "export") == 0) return run ? run_export(argc, argv) : check_export(argc, argv);
    static const command *const others[] = {&cmd_eval, &cmd_predict, &cmd_info};
    static int (*const runs[])(int, char **) = {run_eval, run_predict, run_info};
    for (int k = 0; k < 3; k++) {
        if (strcmp(cmd, others[k]->name) != 0) continue;
        if (run) return runs[k](argc, argv);
        common c;
        int r = parse_subcommand(argc, argv, others[k], &c);
        return r < 0 ? EXIT_OK : r;
    }
    fprintf(stderr, "nnblas: unknown command '%s'\n\n%s", esc(cmd), main_help);
    return EXIT_USAGE;
}

int nnblas_main(int argc, char **argv) {
    int st = dispatch(argc, argv, 1);
    if (st == EXIT_OK && cli_failed()) st = fail("out of memory: some text was not shown");
    /* every write to standard output is checked here, once: a full disk, /dev/full, a closed
     * pipe make the command fail (exit 1) whatever it printed */
    errno = 0;
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fail("writing to standard output: %s", strerror(errno ? errno : EIO));
        return st == EXIT_OK ? EXIT_FAIL : st;
    }
    return st;
}

int nnblas_check_args(int argc, char **argv) { return dispatch(argc, argv, 0); }
