/*
 * nnblas train --dtype (the command's path in NNBLAS_CLI): a float32 network trained from a CSV
 * file, stored as float32 in the model, which eval and predict then use; the same run in
 * float64 reaches about the same accuracy; --dtype cannot change on --resume.
 *
 * The data of a float32 network is float32 in the command (read so from IDX files, prepared so
 * from CSV): its eval and predict outputs against the library's float64 data path, errors the
 * same in both types, a resumed float32 run bit for bit, and its peak memory against float64's.
 */
#define _XOPEN_SOURCE 700
#define _DEFAULT_SOURCE /* wait4 */

#include <fcntl.h>
#include <spawn.h>
#include <stdarg.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nnb_test.h"

static nnbt_proc runv(const char *first, ...) {
    char *argv[64];
    int n = 0;
    argv[n++] = "nnblas";
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a; a = va_arg(ap, const char *)) argv[n++] = (char *)a;
    va_end(ap);
    argv[n] = NULL;
    const char *cli = getenv("NNBLAS_CLI");
    ck_assert_msg(cli && *cli, "NNBLAS_CLI is not set");
    return nnbt_spawn(cli, argv, NULL);
}

#define assert_ok(r) ck_assert_msg((r).code == 0, "exit %d, stderr: %s", (r).code, (r).err)

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

START_TEST(train_eval_predict_f32) {
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
    ck_assert_msg(strstr(r.out, "float32") && strstr(r.out, "train.dtype") &&
                      strstr(r.out, "f32"), "%s", r.out);
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
static const char *regression_csv(void) {
    static char path[4096];
    nnbt_tmp_path(path, sizeof path, "reg.csv");
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "a,b,c,y\n");
    nnbt_rng g = {17};
    for (int r = 0; r < 240; r++) {
        double a = nnbt_uniform(&g), b = nnbt_normal(&g), c = 10 * nnbt_uniform(&g);
        fprintf(f, "%.6f,%.6f,%.6f,%.6f\n", a, b, c, 300 + 3 * a - 2 * b + c * c + 0.05 * nnbt_normal(&g));
    }
    fclose(f);
    return path;
}

/* IDX data in float32: training as float64 and float32 (same seed, split, shuffles, dropout
 * masks) ends at nearby losses; eval of the float32 model gives train's own test loss exactly
 * and the library's float64 data path's to 1e-5; predict agrees with it. */
START_TEST(idx_float32_data) {
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
START_TEST(csv_float32_data) {
    const char *csv = regression_csv();
    char m32[4096], m64[4096];
    nnbt_tmp_path(m32, sizeof m32, "r32.nnb");
    nnbt_tmp_path(m64, sizeof m64, "r64.nnb");
    double rmse[2];
    for (int k = 0; k < 2; k++) {
        nnbt_proc r = runv("train", "--csv", csv, "--target", "y", "--layers", "12",
                           "--epochs", "30", "--val", "0.1", "--dtype", k ? "f32" : "f64",
                           "--save", k ? m32 : m64, "--json", NULL);
        assert_ok(r);
        nnbt_json *j = summary(r.out);
        ck_assert_str_eq(nnbt_json_get(j, "task") ? nnbt_json_str(nnbt_json_get(j, "task")) : "",
                         "regression");
        rmse[k] = jnum(j, "test_rmse");
        nnbt_json_free(j);
        nnbt_proc_free(&r);
    }
    /* as in idx_float32_data: float32 rounding over 30 epochs, about 1e-6 relative here */
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
        nnbt_proc r = runv("train", "--csv", good, "--target", "label", "--epochs", "2",
                           "--dtype", k ? "f32" : "f64", "--save", m[k], "--quiet", NULL);
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
        ck_assert_msg(r[0].code == 1 && strstr(r[0].err, "bad.csv:4:2"), "'%s': %d %s",
                      cells[c], r[0].code, r[0].err);
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
        r[k] = runv("train", "--csv", path, "--target", "y", "--standardize", "none", "--test",
                    "0", "--epochs", "1", "--dtype", k ? "f32" : "f64", "--quiet", NULL);
    assert_ok(r[0]);
    ck_assert_msg(r[1].code == 1 && strstr(r[1].err, "'a'") &&
                      strstr(r[1].err, "beyond float32's range") && strstr(r[1].err, "--dtype f64"),
                  "%d %s", r[1].code, r[1].err);
    nnbt_proc_free(&r[0]), nnbt_proc_free(&r[1]);
}
END_TEST

/* A float32 run on float32 IDX data (with a float64 validation part, dropout, checkpoints every
 * 2 epochs and a plot) stopped after 3 epochs and resumed for 3 is the 6-epoch run bit for bit. */
START_TEST(resume_float32_bit_for_bit) {
    const char *dir = nnbt_idx_folder("idxr", 200, 50, 8);
    char spec[600], straight[4096], part[4096], plot[4096];
    snprintf(spec, sizeof spec, "mnist:%s", dir);
    nnbt_tmp_path(straight, sizeof straight, "s32.nnb");
    nnbt_tmp_path(part, sizeof part, "p32.nnb");
    nnbt_tmp_path(plot, sizeof plot, "p32.svg");
    nnbt_proc r = runv("train", "--idx", spec, "--layers", "8", "--val", "0.1", "--dropout",
                       "0.2", "--batch", "16", "--dtype", "f32", "--epochs", "6", "--save",
                       straight, "--checkpoint-every", "2", "--plot", plot, "--json", NULL);
    assert_ok(r);
    size_t epochs = 0;
    for (const char *p = r.out; (p = strstr(p, "\"event\":\"epoch\"")); p++) epochs++;
    ck_assert_uint_eq(epochs, 6);
    nnbt_proc_free(&r);
    size_t len;
    char *svg = nnbt_read_file(plot, &len);
    ck_assert_msg(svg && strstr(svg, "<svg"), "no picture");
    free(svg);
    r = runv("train", "--idx", spec, "--layers", "8", "--val", "0.1", "--dropout", "0.2",
             "--batch", "16", "--dtype", "f32", "--epochs", "3", "--save", part, "--quiet", NULL);
    assert_ok(r);
    nnbt_proc_free(&r);
    r = runv("train", "--resume", part, "--epochs", "3", "--save", part, "--quiet", NULL);
    assert_ok(r);
    nnbt_proc_free(&r);
    nnbt_proc a = runv("info", "--model", straight, "--params-hex", NULL);
    nnbt_proc b = runv("info", "--model", part, "--params-hex", NULL);
    assert_ok(a);
    assert_ok(b);
    ck_assert(a.out_len > 100 && a.out_len == b.out_len);
    ck_assert_msg(memcmp(a.out, b.out, a.out_len) == 0, "the resumed run's weights differ");
    nnbt_proc_free(&a), nnbt_proc_free(&b);
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
        char *argv[] = {"nnblas", "train", "--idx", spec, "--layers", "16", "--epochs", "1",
                        "--batch", "200", "--threads", "1", "--quiet", "--dtype",
                        k ? "f32" : "f64", NULL};
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

static Suite *suite(void) {
    Suite *s = suite_create("cli_f32");
    TCase *tc = tcase_create("dtype");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, train_eval_predict_f32);
    tcase_add_test(tc, idx_float32_data);
    tcase_add_test(tc, csv_float32_data);
    tcase_add_test(tc, errors_in_both_types);
    tcase_add_test(tc, resume_float32_bit_for_bit);
    tcase_add_test(tc, float32_data_halves_memory);
    suite_add_tcase(s, tc);
    return s;
}

NNBT_MAIN(suite, 0)
