/*
 * nnblas train --dtype (the command's path in NNBLAS_CLI): a float32 network trained from a CSV
 * file, stored as float32 in the model, which eval and predict then use; the same run in
 * float64 reaches about the same accuracy; --dtype cannot change on --resume.
 */
#define _XOPEN_SOURCE 700

#include <stdarg.h>
#include <string.h>

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
    nnbt_ok(nnb_model_load(m32, &net, NULL, NULL));
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
    nnbt_ok(nnb_model_load(m32, &net, NULL, NULL));
    ck_assert_int_eq(nnb_net_dtype(net), NNB_F32);
    nnb_net_free(net);
    r = runv("train", "--csv", csv, "--target", "label", "--dtype", "f16", NULL);
    ck_assert_int_ne(r.code, 0);
    ck_assert_msg(strstr(r.err, "f32"), "%s", r.err);
    nnbt_proc_free(&r);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("cli_f32");
    TCase *tc = tcase_create("dtype");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, train_eval_predict_f32);
    suite_add_tcase(s, tc);
    return s;
}

NNBT_MAIN(suite, 0)
