/*
 * Allocation failures in the nnblas command: the command built with a failing allocator
 * (tests/cli_failalloc.c, path in NNBLAS_CLI_FAILALLOC) runs a small train + save, then eval,
 * predict --out and info on the saved model, and again with each allocation made while the
 * command runs failing in turn (every N, from the first to the last of the run). Each run must
 * exit 1 with "nnblas: error: ..." naming the lack of memory — or succeed with the very same
 * results where the failed allocation was one the C library does without (stdio, qsort) —
 * never crash or exit with another status; leave no more blocks allocated than the run without
 * failures; and a failed save leaves no model file and no temporary file.
 * (Skipped under AddressSanitizer, which owns malloc; not run under valgrind: suite no-valgrind.)
 */
#include <string.h>
#include <unistd.h>

#include "nnb_failalloc.h"
#include "nnb_test.h"

static const char *failalloc(void) {
    const char *p = getenv("NNBLAS_CLI_FAILALLOC");
    ck_assert_msg(p && *p, "NNBLAS_CLI_FAILALLOC is not set");
    return p;
}

typedef struct outcome {
    nnbt_proc p;
    long allocs, live;
    int available; /* the allocator could be interposed */
} outcome;

/* Runs the command (argv without "nnblas", NULL-terminated) with allocation fail_at failing. */
static outcome run_failing(char **args, long fail_at) {
    char *argv[64];
    int n = 0;
    argv[n++] = "nnblas";
    while (*args) argv[n++] = *args++;
    argv[n] = NULL;
    char report[512], at[64], rep[600];
    nnbt_tmp_path(report, sizeof report, "alloc-report.txt");
    remove(report);
    snprintf(at, sizeof at, "NNBT_FAIL_AT=%ld", fail_at);
    snprintf(rep, sizeof rep, "NNBT_ALLOC_REPORT=%s", report);
    char *env[] = {at, rep, "OPENBLAS_NUM_THREADS=1", NULL};
    outcome o;
    o.p = nnbt_spawn(failalloc(), argv, env);
    o.allocs = o.live = -1;
    o.available = 0;
    char *text = nnbt_read_file(report, NULL);
    if (text) {
        ck_assert_int_eq(sscanf(text, "%ld %ld %d", &o.allocs, &o.live, &o.available), 3);
        free(text);
    }
    return o;
}

/* The folder's entries, to find files left behind. */
static int n_files(void) { return nnbt_count_files(nnbt_tmpdir()); }

static char model_path[512], out_path[512], svg_path[512], csv_path[4096];

/* What a command wrote to `path`, to compare: a model's parameters as hex text and its metadata
 * keys (the values have the date and the speed), another file's contents; "" if there is no such
 * file. */
static char *contents(const char *path, int is_model) {
    if (!is_model) {
        char *s = nnbt_read_file(path, NULL);
        return s ? s : strdup("");
    }
    nnb_net *net;
    nnb_meta *meta;
    if (nnb_model_read(&net, NULL, &meta, path) != NNB_OK) return strdup("");
    size_t n = nnb_net_n_params(net), keys = 0;
    for (size_t i = 0; i < nnb_meta_n_keys(meta); i++) keys += strlen(nnb_meta_key(meta, i)) + 1;
    double *p = malloc(n * sizeof *p);
    char *text = malloc(17 * n + keys + 1), *at = text;
    ck_assert(p && text);
    nnbt_ok(nnb_net_params_get(net, p, n));
    for (size_t i = 0; i < n; i++) {
        uint64_t bits;
        memcpy(&bits, &p[i], 8);
        at += sprintf(at, "%016llx\n", (unsigned long long)bits);
    }
    for (size_t i = 0; i < nnb_meta_n_keys(meta); i++)
        at += sprintf(at, "%s\n", nnb_meta_key(meta, i));
    free(p);
    nnb_net_free(net);
    nnb_meta_free(meta);
    return text;
}

/* Every allocation of the command `args` fails in turn. `product` is the file the command writes
 * (NULL: none; it is removed before each run; a model if is_model). Outputs of tolerated failures
 * must equal the run without failures (stdout if `same_stdout`, and the product). */
static void every_failure(const char *name, char **args, const char *product, int is_model,
                          int same_stdout) {
    if (product) remove(product);
    outcome base = run_failing(args, 0);
    ck_assert_msg(base.p.code == 0, "%s without failures: exit %d: %s", name, base.p.code,
                  base.p.err);
    ck_assert_msg(base.available && base.allocs > 0, "%s: no allocation counted", name);
    char *base_product = product ? contents(product, is_model) : NULL;
    ck_assert(!product || base_product[0]);
    int files = n_files();
    long tolerated = 0;
    for (long n = 1; n <= base.allocs; n++) {
        if (product) remove(product);
        files = n_files();
        outcome o = run_failing(args, n);
        ck_assert_msg(o.p.code == 0 || o.p.code == 1,
                      "%s: allocation %ld of %ld failed: exit %d "
                      "(a negative one is a signal); stderr: %s",
                      name, n, base.allocs, o.p.code, o.p.err);
        ck_assert_msg(o.allocs >= n, "%s: allocation %ld never happened (%ld made)", name, n,
                      o.allocs);
        ck_assert_msg(o.live <= base.live,
                      "%s: allocation %ld failed: %ld blocks left allocated "
                      "(%ld without failures)",
                      name, n, o.live, base.live);
        if (o.p.code == 1) {
            ck_assert_msg(strncmp(o.p.err, "nnblas: error: ", 15) == 0 && strstr(o.p.err, "memory"),
                          "%s: allocation %ld failed: stderr \"%s\"", name, n, o.p.err);
            if (product) {
                ck_assert_msg(n_files() == files && access(product, F_OK) != 0,
                              "%s: allocation %ld failed: %s or a temporary file was left", name, n,
                              product);
            }
        } else {
            tolerated++;
            if (same_stdout)
                ck_assert_msg(strcmp(o.p.out, base.p.out) == 0,
                              "%s: allocation %ld failed "
                              "unreported, and the output differs:\n%s\n----\n%s",
                              name, n, o.p.out, base.p.out);
            if (product) {
                char *got = contents(product, is_model);
                ck_assert_msg(strcmp(got, base_product) == 0,
                              "%s: allocation %ld failed "
                              "unreported, and %s differs",
                              name, n, product);
                free(got);
            }
        }
        nnbt_proc_free(&o.p);
    }
    fprintf(stderr,
            "%s: each of %ld allocations failed in turn: exit 1 with a message (%ld done "
            "without), no block left\n",
            name, base.allocs, tolerated);
    free(base_product);
    nnbt_proc_free(&base.p);
    if (product) remove(product);
}

static char *train_args[] = {
    "train", "--csv",         csv_path, "--target", "species", "--one-hot", "colour", "--drop",
    "id",    "--standardize", "all",    "--layers", "4",       "--epochs",  "2",      "--batch",
    "8",     "--val",         "0.1",    "--quiet",  "--save",  model_path,  NULL};

START_TEST(train_and_save) { every_failure("train", train_args, model_path, 1, 0); }
END_TEST

/* train --plot: the learning curves' SVG (tools/cli_plot.c) is the product */
START_TEST(train_plot) {
    char *args[] = {"train",  "--csv", csv_path,   "--target", "species",  "--one-hot", "colour",
                    "--drop", "id",    "--layers", "4",        "--epochs", "2",         "--batch",
                    "8",      "--val", "0.1",      "--quiet",  "--plot",   svg_path,    NULL};
    every_failure("train --plot", args, svg_path, 0, 0);
}
END_TEST

/* eval, predict and info read the model that a run without failures saved */
static void save_model(void) {
    outcome o = run_failing(train_args, 0);
    ck_assert_msg(o.p.code == 0, "%s", o.p.err);
    nnbt_proc_free(&o.p);
}

START_TEST(eval) {
    save_model();
    char *args[] = {"eval", "--model", model_path, "--csv", csv_path, NULL};
    every_failure("eval", args, NULL, 0, 1);
}
END_TEST

START_TEST(predict) {
    save_model();
    char *args[] = {"predict", "--model", model_path, "--csv", csv_path, "--out", out_path, NULL};
    every_failure("predict", args, out_path, 0, 0);
}
END_TEST

START_TEST(info) {
    save_model();
    char *args[] = {"info", "--model", model_path, NULL};
    every_failure("info", args, NULL, 0, 1);
}
END_TEST

/* A float32 model: eval and predict read float32 data (tools/cli_mat.c), predict widens the
 * predictions and eval the targets */
static char *train32_args[] = {"train",  "--csv",   csv_path, "--target", "species", "--one-hot",
                               "colour", "--drop",  "id",     "--layers", "4",       "--epochs",
                               "2",      "--batch", "8",      "--val",    "0.1",     "--dtype",
                               "f32",    "--quiet", "--save", model_path, NULL};

START_TEST(float32) {
    outcome o = run_failing(train32_args, 0); /* (training: float32_idx's, below) */
    ck_assert_msg(o.p.code == 0, "%s", o.p.err);
    nnbt_proc_free(&o.p);
    char *ev[] = {"eval", "--model", model_path, "--csv", csv_path, NULL};
    every_failure("eval (float32)", ev, NULL, 0, 1);
    char *pr[] = {"predict", "--model", model_path, "--csv", csv_path, "--out", out_path, NULL};
    every_failure("predict (float32)", pr, out_path, 0, 0);
}
END_TEST

/* IDX images read as float32, a stratified validation part copied out in float64, the
 * statistics fitted on the floats */
START_TEST(float32_idx) {
    char spec[600];
    snprintf(spec, sizeof spec, "mnist:%s", nnbt_idx_folder("idx", 40, 10, 8));
    char *args[] = {"train", "--idx",   spec,     "--layers", "4",   "--epochs",
                    "1",     "--batch", "8",      "--val",    "0.2", "--dtype",
                    "f32",   "--quiet", "--save", model_path, NULL};
    every_failure("train --idx --dtype f32", args, model_path, 1, 0);
}
END_TEST

static void paths(void) {
    nnbt_tmp_path(model_path, sizeof model_path, "m.nnb");
    nnbt_tmp_path(out_path, sizeof out_path, "p.csv");
    nnbt_tmp_path(svg_path, sizeof svg_path, "curves.svg");
    snprintf(csv_path, sizeof csv_path, "%s/golden.csv", NNBT_DATA_DIR);
}

static Suite *suite(void) {
    Suite *s = suite_create("cli_allocfail");
    TCase *tc = tcase_create("every allocation of the command fails in turn");
    tcase_set_timeout(tc, 600);
    tcase_add_checked_fixture(tc, paths, NULL);
    tcase_add_test(tc, train_and_save);
    tcase_add_test(tc, train_plot);
    tcase_add_test(tc, eval);
    tcase_add_test(tc, predict);
    tcase_add_test(tc, info);
    tcase_add_test(tc, float32);
    tcase_add_test(tc, float32_idx);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    if (!NNBT_FA_AVAILABLE) { /* this program is built as the command is */
        fprintf(stderr, "skipped: the allocator cannot be interposed under AddressSanitizer\n");
        return 77;
    }
    nnbt_no_time_limits();
    return nnbt_run(suite(), 0);
}
