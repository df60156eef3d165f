/*
 * The nnblas command (its path in NNBLAS_CLI) against the misuse issue 26 lists, family by
 * family: an output that is an input or another output of the same run (by file identity: other
 * spellings, symbolic and hard links, standard input), control characters from files on the
 * terminal (labels, column names, metadata, messages quoting a cell), a resumed model's data
 * checked against what it recorded, messages in the user's words, and the metrics (R^2).
 */
#define _XOPEN_SOURCE 700

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nnb_test.h"

typedef nnbt_proc run;

#define runv nnbt_cli_runv

#define assert_ok(r) ck_assert_msg((r).code == 0, "exit %d, stderr: %s", (r).code, (r).err)

#define assert_exit nnbt_assert_exit

/* A shell command line run with NNB set to the command's path (for redirections). */
static run shell(const char *fmt, ...) {
    char line[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    char env[4200];
    snprintf(env, sizeof env, "NNB=%s", getenv("NNBLAS_CLI"));
    char *argv[] = {"sh", "-c", line, NULL}, *extra[] = {env, NULL};
    return nnbt_spawn("/bin/sh", argv, extra);
}

/* A path in the test's temporary folder. */
typedef struct path {
    char s[600];
} tpath;
static tpath tmp_path(const char *name) {
    tpath p;
    nnbt_tmp_path(p.s, sizeof p.s, name);
    return p;
}

/* A copy of the file at `from` into the temporary folder under `name`; its path. */
static tpath copy_file(const char *from, const char *name) {
    size_t len;
    char *data = nnbt_read_file(from, &len);
    ck_assert_ptr_nonnull(data);
    tpath p = tmp_path(name);
    ck_assert(nnbt_write_file(p.s, data, len));
    free(data);
    return p;
}

/* The bytes of a file (asserted readable), for comparisons; free() it. */
static char *contents(const char *path, size_t *len) {
    char *d = nnbt_read_file(path, len);
    ck_assert_msg(d != NULL, "cannot read %s", path);
    return d;
}

/* Sets one metadata entry of a model file, as another program (or an editor) would. */
static void set_meta(const char *model, const char *key, const char *value) {
    nnb_net *net;
    nnb_prep *prep;
    nnb_meta *meta;
    nnbt_ok(nnb_model_read(&net, &prep, &meta, model));
    nnbt_ok(nnb_meta_set(meta, key, value));
    nnbt_ok(nnb_model_write(model, net, prep, meta, 1));
    nnb_net_free(net), nnb_prep_free(prep), nnb_meta_free(meta);
}

/* ---- 1. an output that is an input or another output ----------------------------------------- */

/* Runs the command (argv, NULL-terminated after `first`) and asserts a usage error naming
 * `fragment`, with the file `kept` (len bytes of `before`) unchanged. */
static void assert_refused(const char *kept, const char *fragment, const char *first, ...) {
    size_t len0, len1;
    char *before = contents(kept, &len0);
    char *argv[64] = {"nnblas", (char *)first};
    int n = 2;
    va_list ap;
    va_start(ap, first);
    for (const char *a = va_arg(ap, const char *); a; a = va_arg(ap, const char *))
        argv[n++] = (char *)a;
    va_end(ap);
    argv[n] = NULL;
    run r = nnbt_spawn(getenv("NNBLAS_CLI"), argv, NULL);
    ck_assert_msg(r.code == 2, "exit %d (stderr %s), expected 2", r.code, r.err);
    ck_assert_msg(strstr(r.err, "the same file") && strstr(r.err, fragment),
                  "stderr \"%s\" lacks \"%s\"", r.err, fragment);
    ck_assert_str_eq(r.out, ""); /* refused before any work: no training line */
    nnbt_proc_free(&r);
    char *after = contents(kept, &len1);
    ck_assert_msg(len0 == len1 && memcmp(before, after, len0) == 0, "%s changed", kept);
    free(before), free(after);
}

START_TEST(outputs_are_not_inputs) {
    tpath csv_p = copy_file(nnbt_shared_path("data/admissions.csv"), "adm.csv");
    tpath link_p = tmp_path("adm-link.csv"), hard_p = tmp_path("adm-hard.csv");
    tpath sub = tmp_path("sub"), svg_p = tmp_path("m.svg"), dangling_p = tmp_path("dangling.svg");
    tpath model_p = tmp_path("m.nnb");
    const char *csv = csv_p.s, *sym = link_p.s, *hard = hard_p.s, *svg = svg_p.s;
    const char *dangling = dangling_p.s, *model = model_p.s;
    unlink(sym), unlink(hard), unlink(svg), unlink(dangling);
    ck_assert_int_eq(symlink(csv, sym), 0);
    ck_assert_int_eq(link(csv, hard), 0);
    char other[700]; /* the same file spelt differently: through "sub/.." */
    mkdir(sub.s, 0700);
    snprintf(other, sizeof other, "%s/../adm.csv", sub.s);
    /* train: --save onto the data, directly, by a link, a hard link, another spelling */
    assert_refused(csv, "--save", "train", "--csv", csv, "--target", "admit", "--save", csv, NULL);
    assert_refused(csv, "--csv", "train", "--csv", csv, "--target", "admit", "--save", sym, NULL);
    assert_refused(csv, "--save", "train", "--csv", hard, "--target", "admit", "--save", other,
                   NULL);
    assert_refused(csv, "--plot", "train", "--csv", sym, "--target", "admit", "--plot", csv, NULL);
    /* two outputs of one run, one of them not there yet (and through a dangling link) */
    ck_assert_int_eq(symlink(svg, dangling), 0);
    run r =
        runv("train", "--csv", csv, "--target", "admit", "--save", svg, "--plot", dangling, NULL);
    assert_exit(r, 2, "--plot", "--save", "the same file", NULL);
    ck_assert_int_ne(access(svg, F_OK), 0);
    /* a model, then eval and predict writing onto it or onto the data */
    r = runv("train", "--csv", csv, "--target", "admit", "--epochs", "2", "--quiet", "--save",
             model, NULL);
    assert_ok(r);
    nnbt_proc_free(&r);
    assert_refused(model, "--model", "eval", "--model", model, "--csv", csv, "--plot", model, NULL);
    assert_refused(csv, "--csv", "eval", "--model", model, "--csv", csv, "--plot", hard, NULL);
    assert_refused(model, "--model", "predict", "--model", model, "--csv", csv, "--out", model,
                   NULL);
    assert_refused(csv, "--csv", "predict", "--model", model, "--csv", sym, "--out", csv, NULL);
    assert_refused(model, "--plot", "train", "--resume", model, "--epochs", "1", "--plot", model,
                   NULL);
    /* standard input redirected from the file --out names */
    r = shell("\"$NNB\" predict --model '%s' --csv - --out '%s' < '%s'", model, csv, hard);
    assert_exit(r, 2, "--out", "--csv -", "the same file", NULL);
    /* --resume X --save X continues the model in place */
    r = runv("train", "--resume", model, "--epochs", "1", "--quiet", "--save", model, NULL);
    assert_ok(r);
    nnbt_proc_free(&r);
}
END_TEST

/* An IDX set's files are inputs too. */
START_TEST(idx_files_are_inputs) {
    const char *dir = nnbt_idx_folder("idx-misuse", 40, 20, 28);
    char spec[4200], target[4200];
    snprintf(spec, sizeof spec, "mnist:%s", dir);
    snprintf(target, sizeof target, "%s/train-labels-idx1-ubyte", dir);
    if (access(target, F_OK) != 0)
        snprintf(target, sizeof target, "%s/train-labels-idx1-ubyte.gz", dir);
    assert_refused(target, "IDX file", "train", "--idx", spec, "--epochs", "1", "--save", target,
                   NULL);
}
END_TEST

/* ---- 8. control characters from files ------------------------------------------------------- */

/* No terminal control in the text: no ESC, no C1 control (UTF-8 C2 80..9F), no BEL, no CR. */
static void assert_inert(const char *what, const char *s) {
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        ck_assert_msg(*p != 0x1b && *p != 0x07 && *p != '\r' && *p != 0x9b,
                      "%s holds a control character at %zu: \"%s\"", what,
                      (size_t)(p - (const unsigned char *)s), s);
        ck_assert_msg(!(p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f), "%s holds a C1 control",
                      what);
        ck_assert_msg(!(p[0] == 0xe2 && p[1] == 0x80 && p[2] == 0xae), "%s holds U+202E", what);
    }
}

START_TEST(library_messages_are_escaped) {
    ck_assert_int_eq(nnb_set_error(NNB_E_FORMAT, "a\x1b]0;title\x07z \xc2\x9b"
                                                 "2J \xe2\x80\xae!"
                                                 " \xff\n"),
                     NNB_E_FORMAT);
    ck_assert_str_eq(nnb_last_error(), "a\\x1b]0;title\\x07z \\u009b2J \\u202e! \\xff\\n");
    /* printable text and valid UTF-8 stay as they are; escaping twice changes nothing */
    nnb_set_error(NNB_E_FORMAT, "caf\xc3\xa9 \\x1b");
    ck_assert_str_eq(nnb_last_error(), "caf\xc3\xa9 \\x1b");
}
END_TEST

START_TEST(file_text_is_escaped) {
    /* class labels, a column name and a cell with escape sequences */
    tpath csv_p = tmp_path("evil.csv"), model_p = tmp_path("evil.nnb");
    tpath out_p = tmp_path("evil-pred.csv");
    const char *csv = csv_p.s, *model = model_p.s, *out = out_p.s;
    FILE *f = fopen(csv, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "x,y\x1b[2J,label\n");
    for (int i = 0; i < 40; i++)
        fprintf(f, "%d,%d,%s\n", i, i % 7,
                i % 2 ? "\x1b]0;pwned\x07"
                      : "ok\xc2\x9b"
                        "31m");
    fclose(f);
    run r =
        runv("train", "--csv", csv, "--target", "label", "--epochs", "1", "--save", model, NULL);
    assert_ok(r);
    assert_inert("train's output", r.out);
    ck_assert_msg(strstr(r.out, "\\x1b]0;pwned\\x07"), "%s", r.out);
    nnbt_proc_free(&r);
    r = runv("info", "--model", model, NULL);
    assert_ok(r);
    assert_inert("info's output", r.out);
    ck_assert_msg(strstr(r.out, "y\\x1b[2J"), "%s", r.out);
    nnbt_proc_free(&r);
    r = runv("eval", "--model", model, "--csv", csv, NULL);
    assert_ok(r);
    assert_inert("eval's output", r.out);
    nnbt_proc_free(&r);
    /* predict: exact into a file (the data), escaped on a terminal only */
    r = runv("predict", "--model", model, "--csv", csv, "--out", out, NULL);
    assert_ok(r);
    nnbt_proc_free(&r);
    size_t len;
    char *pred = contents(out, &len);
    ck_assert_msg(strstr(pred, "\x1b]0;pwned\x07"), "the file lost the label: %s", pred);
    free(pred);
    char *argv[] = {"nnblas", "predict", "--model", (char *)model, "--csv", (char *)csv, NULL};
    r = nnbt_spawn_tty(getenv("NNBLAS_CLI"), argv);
    assert_ok(r);
    for (char *p = r.out; (p = strchr(p, '\r')) != NULL;) /* the terminal's own line ends */
        memmove(p, p + 1, strlen(p));
    assert_inert("predict's output on a terminal", r.out);
    ck_assert_msg(strstr(r.out, "\\x1b]0;pwned\\x07"), "%s", r.out);
    nnbt_proc_free(&r);
    /* a message quoting a cell and the column names */
    f = fopen(csv, "a");
    fprintf(f, "\x1b[H\x1b[2Jfake,1,ok\n");
    fclose(f);
    r = runv("train", "--csv", csv, "--target", "label", "--epochs", "1", NULL);
    ck_assert_int_eq(r.code, 1);
    assert_inert("a message quoting a cell", r.err);
    ck_assert_msg(strstr(r.err, "\\x1b[H"), "%s", r.err);
    nnbt_proc_free(&r);
    r = runv("train", "--csv", csv, "--target", "y", "--epochs", "1", NULL);
    ck_assert_int_eq(r.code, 1);
    assert_inert("a message listing the columns", r.err);
    nnbt_proc_free(&r);
    /* metadata written by another program */
    set_meta(model, "note\x1b[31m", "\x1b]2;x\x07\r\x1b[Ktrain accuracy 1.0000");
    r = runv("info", "--model", model, NULL);
    assert_ok(r);
    assert_inert("info's metadata", r.out);
    ck_assert_msg(strstr(r.out, "\\r\\x1b[Ktrain accuracy"), "%s", r.out);
    nnbt_proc_free(&r);
}
END_TEST

/* ---- 2. a resumed model's data is the data it was trained on --------------------------------- */

START_TEST(resume_checks_its_data) {
    tpath dir = tmp_path("resume"), other = tmp_path("resume/elsewhere");
    mkdir(dir.s, 0700), mkdir(other.s, 0700);
    tpath csv = copy_file(nnbt_shared_path("data/admissions.csv"), "resume/d.csv");
    tpath model = tmp_path("resume/m.nnb"), moved = tmp_path("resume/moved.csv");
    run r = shell("cd '%s' && \"$NNB\" train --csv d.csv --target admit --epochs 2 --quiet "
                  "--save m.nnb",
                  dir.s);
    assert_ok(r);
    nnbt_proc_free(&r);
    r = runv("info", "--model", model.s, NULL);
    ck_assert_msg(strstr(r.out, "data.crc32") && strstr(r.out, "data.bytes") &&
                      strstr(r.out, "data.path"),
                  "%s", r.out);
    nnbt_proc_free(&r);
    /* from another folder holding another d.csv: the model's own file, by its absolute path */
    FILE *f = fopen(tmp_path("resume/elsewhere/d.csv").s, "w");
    fputs("admit,gre,gpa,rank\n1,500,3.5,1\n0,400,3.0,2\n1,600,3.9,1\n0,300,2.5,4\n", f);
    fclose(f);
    r = shell("cd '%s' && \"$NNB\" train --resume ../m.nnb --epochs 1", other.s);
    assert_ok(r);
    ck_assert_msg(strstr(r.out, csv.s) && strstr(r.out, "400 rows"), "%s", r.out);
    nnbt_proc_free(&r);
    /* the other d.csv named: refused, saying how to go on on purpose; nothing written */
    size_t n0, n1;
    char *before = contents(model.s, &n0);
    r = shell("cd '%s' && \"$NNB\" train --resume ../m.nnb --csv d.csv --epochs 1 --save "
              "../m.nnb",
              other.s);
    assert_exit(r, 1, "was trained on other data", csv.s, "--new-data", NULL);
    char *after = contents(model.s, &n1);
    ck_assert(n0 == n1 && memcmp(before, after, n0) == 0);
    free(before), free(after);
    r = shell("cd '%s' && \"$NNB\" train --resume ../m.nnb --csv d.csv --epochs 1 --new-data",
              other.s);
    assert_ok(r);
    nnbt_proc_free(&r);
    /* an edited file at the same place: refused; the same bytes elsewhere: accepted */
    f = fopen(csv.s, "a");
    fputs("1,800,4.0,1\n", f);
    fclose(f);
    r = runv("train", "--resume", model.s, "--epochs", "1", NULL);
    assert_exit(r, 1, "was trained on other data", "5100 bytes", NULL);
    ck_assert_int_eq(truncate(csv.s, 5088), 0);
    ck_assert_int_eq(rename(csv.s, moved.s), 0);
    r = runv("train", "--resume", model.s, "--epochs", "1", NULL);
    assert_exit(r, 1, "which is not there now", "--csv FILE", NULL);
    r = runv("train", "--resume", model.s, "--csv", moved.s, "--epochs", "1", "--quiet", NULL);
    assert_ok(r);
    nnbt_proc_free(&r);
    r = runv("train", "--csv", moved.s, "--target", "admit", "--new-data", NULL);
    assert_exit(r, 2, "--new-data is for --resume", NULL);
}
END_TEST

/* ---- 12. messages in the user's words --------------------------------------------------------- */

/* The command's stderr names no library function. */
static void assert_user_words(run r, int code, const char *fragment) {
    ck_assert_msg(r.code == code, "exit %d (stderr %s), expected %d", r.code, r.err, code);
    ck_assert_msg(!strstr(r.err, "nnb_"), "the message names the library: %s", r.err);
    ck_assert_msg(strstr(r.err, fragment), "stderr \"%s\" lacks \"%s\"", r.err, fragment);
    nnbt_proc_free(&r);
}

START_TEST(messages_in_the_users_words) {
    tpath csv_p = copy_file(nnbt_shared_path("data/admissions.csv"), "words.csv");
    tpath model_p = tmp_path("words.nnb"), bad_p = tmp_path("words-bad.csv");
    const char *csv = csv_p.s, *model = model_p.s;
    run r = runv("train", "--csv", csv, "--target", "admit", "--one-hot", "rank", "--epochs", "1",
                 "--quiet", "--save", model, NULL);
    assert_ok(r);
    nnbt_proc_free(&r);
    FILE *f = fopen(bad_p.s, "w");
    fputs("admit,gre,gpa,rank\n1,500,3.5,7\n0,abc,3.0,2\n", f);
    fclose(f);
    assert_user_words(runv("eval", "--model", model, "--csv", bad_p.s, NULL), 1, "words-bad.csv");
    assert_user_words(runv("eval", "--model", csv, "--csv", csv, NULL), 1, "words.csv");
    assert_user_words(
        runv("train", "--csv", csv, "--target", "admit", "--standardize", "admit", NULL), 2,
        "--standardize admit");
    assert_user_words(runv("train", "--csv", csv, "--target", "admit", "--optimizer", "lm", NULL),
                      2, "--loss mse");
    assert_user_words(runv("train", "--csv", tmp_path("none.csv").s, "--target", "a", NULL), 1,
                      "none.csv");
    /* column roles: each named with its options */
    assert_user_words(runv("train", "--csv", csv, "--target", "admit,admit", NULL), 2,
                      "--target names 'admit' twice");
    assert_user_words(runv("train", "--csv", csv, "--target", "admit", "--one-hot", "rank",
                           "--drop", "rank", NULL),
                      2, "'rank' is in --one-hot and in --drop");
    /* metadata edited after the save: reported as the model's, not as the user's flags */
    set_meta(model, "train.lr", "-1");
    r = runv("train", "--resume", model, "--epochs", "1", NULL);
    ck_assert_msg(!strstr(r.err, "usage:"), "%s", r.err);
    assert_user_words(r, 1, "its metadata says train.lr = '-1'");
    set_meta(model, "train.lr", "0.01");
    set_meta(model, "train.optimizer", "sgdd");
    assert_user_words(runv("train", "--resume", model, "--epochs", "1", NULL), 1,
                      "train.optimizer = 'sgdd'");
    /* a value given on the command line is the user's again */
    assert_user_words(runv("train", "--resume", model, "--epochs", "1", "--lr", "-2", NULL), 2,
                      "--lr");
}
END_TEST

/* ---- 9. smaller meaning changes ---------------------------------------------------------------- */

START_TEST(smaller_meaning_changes) {
    tpath csv_p = copy_file(nnbt_shared_path("data/admissions.csv"), "small.csv");
    const char *csv = csv_p.s;
    /* a nonzero value that would read as 0, where 0 means off */
    static const char *const opts[] = {"--clip-norm", "--clip-value", "--dropout",
                                       "--val",       "--test",       "--weight-decay"};
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
        assert_exit(runv("train", "--csv", csv, "--target", "admit", opts[i], "1e-400", NULL), 2,
                    opts[i], "too small to tell from 0", NULL);
    assert_exit(runv("train", "--csv", csv, "--target", "admit", "--activation",
                     "leaky_relu:0.0000e-999", "--epochs", "1", "--quiet", NULL),
                0, NULL);
    /* "-" for an output that is a file only: an error, not a file named "-" */
    tpath dir = tmp_path("dash");
    mkdir(dir.s, 0700);
    run r = shell("cd '%s' && \"$NNB\" train --csv '%s' --target admit --epochs 1 --plot -", dir.s,
                  csv);
    assert_exit(r, 2, "--plot -", "./-", NULL);
    r = shell("cd '%s' && \"$NNB\" train --csv '%s' --target admit --epochs 1 --save -", dir.s,
              csv);
    assert_exit(r, 2, "--save -", NULL);
    ck_assert_int_eq(nnbt_count_files(dir.s), 0);
    /* divergence blamed on its cause, not on the learning rate */
    r = runv("train", "--csv", csv, "--target", "gre", "--optimizer", "sgd", "--weight-decay",
             "1e300", "--epochs", "3", "--quiet", NULL);
    ck_assert_msg(!strstr(r.err, "try a learning rate"), "%s", r.err);
    assert_exit(r, 1, "the weight decay 1e+300 is too large", NULL);
    r = runv("train", "--csv", csv, "--target", "gre", "--activation", "leaky_relu:1e308",
             "--epochs", "3", "--quiet", NULL);
    ck_assert_msg(!strstr(r.err, "try a learning rate"), "%s", r.err);
    assert_exit(r, 1, "leaky ReLU slope 1e+308", NULL);
    r = runv("train", "--csv", csv, "--target", "gre", "--optimizer", "sgd", "--lr", "1e6",
             "--epochs", "3", "--quiet", NULL);
    assert_exit(r, 1, "try a learning rate lower than 1e+06", NULL); /* the rate's own */
}
END_TEST

/* ---- 15. metrics: R^2 ------------------------------------------------------------------------- */

/* R^2 of column `col` of a CSV file against the predictions' first column, in long double. */
static long double r2_of(const char *data_csv, int col, const char *pred_csv) {
    FILE *d = fopen(data_csv, "r"), *p = fopen(pred_csv, "r");
    ck_assert(d && p);
    char dl[512], pl[512];
    long double y[400], yh[400], mean = 0, ss_tot = 0, ss_res = 0;
    size_t n = 0;
    ck_assert(fgets(dl, sizeof dl, d) && fgets(pl, sizeof pl, p)); /* the headers */
    while (n < 400 && fgets(dl, sizeof dl, d) && fgets(pl, sizeof pl, p)) {
        char *c = dl;
        for (int k = 0; k < col; k++) c = strchr(c, ',') + 1;
        y[n] = strtold(c, NULL), yh[n] = strtold(pl, NULL), mean += y[n++];
    }
    fclose(d), fclose(p);
    mean /= n;
    for (size_t i = 0; i < n; i++)
        ss_tot += (y[i] - mean) * (y[i] - mean), ss_res += (y[i] - yh[i]) * (y[i] - yh[i]);
    return 1 - ss_res / ss_tot;
}

START_TEST(regression_shows_r2) {
    tpath csv_p = copy_file(nnbt_shared_path("data/admissions.csv"), "r2.csv");
    tpath model = tmp_path("r2.nnb"), pred = tmp_path("r2-pred.csv");
    const char *csv = csv_p.s;
    run r =
        runv("train", "--csv", csv, "--target", "gre", "--epochs", "20", "--save", model.s, NULL);
    assert_ok(r);
    ck_assert_msg(strstr(r.out, ", R^2 0.") || strstr(r.out, ", R^2 -"), "%s", r.out);
    nnbt_proc_free(&r);
    r = runv("train", "--csv", csv, "--target", "gre", "--epochs", "2", "--json", "--quiet", NULL);
    assert_ok(r);
    ck_assert_msg(strstr(r.out, "\"test_r2\":"), "%s", r.out);
    nnbt_proc_free(&r);
    r = runv("predict", "--model", model.s, "--csv", csv, "--out", pred.s, NULL);
    assert_ok(r);
    nnbt_proc_free(&r);
    long double ref = r2_of(csv, 1, pred.s);
    r = runv("eval", "--model", model.s, "--csv", csv, "--json", NULL);
    assert_ok(r);
    nnbt_json *j = nnbt_json_parse(r.out);
    ck_assert_ptr_nonnull(j);
    const nnbt_json *t = nnbt_json_at(nnbt_json_get(j, "targets"), 0);
    double got = nnbt_json_num(nnbt_json_get(t, "r2"));
    ck_assert_msg(fabsl(got - ref) <= 1e-12L * (1 + fabsl(ref)), "eval R^2 %.17g, reference %.17Lg",
                  got, ref);
    nnbt_json_free(j);
    nnbt_proc_free(&r);
    r = runv("eval", "--model", model.s, "--csv", csv, NULL);
    assert_ok(r);
    ck_assert_msg(strstr(r.out, "gre: RMSE") && strstr(r.out, ", R^2 "), "%s", r.out);
    nnbt_proc_free(&r);
}
END_TEST

static Suite *cli_misuse_suite(void) {
    Suite *s = suite_create("cli_misuse");
    TCase *tc = tcase_create("misuse");
    tcase_add_test(tc, outputs_are_not_inputs);
    tcase_add_test(tc, idx_files_are_inputs);
    tcase_add_test(tc, library_messages_are_escaped);
    tcase_add_test(tc, file_text_is_escaped);
    tcase_add_test(tc, resume_checks_its_data);
    tcase_add_test(tc, messages_in_the_users_words);
    tcase_add_test(tc, smaller_meaning_changes);
    tcase_add_test(tc, regression_shows_r2);
    suite_add_tcase(s, tc);
    return s;
}

NNBT_MAIN(cli_misuse_suite, 1)
