/* The command's side of issue 26's data families: a text, date or quoted column named with its fix
 * (--one-hot COL / --drop COL, not --drop-bad-rows); decimal commas read (detected, --decimal);
 * missing cells filled (--fill, stored in the model for predict and eval); categories only the
 * test part has encoded as zeros and counted; regression targets above 1e154; a layer too large
 * refused at once, naming --layers; and 20,000 column names checked in linear time. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "nnb_test.h"

typedef nnbt_proc run;
#define runv nnbt_cli_runv

#define assert_ok(r) ck_assert_msg((r).code == 0, "exit %d, stderr: %s", (r).code, (r).err)

static void has(const char *text, const char *fragment) {
    ck_assert_msg(strstr(text, fragment), "'%s' lacks '%s'", text, fragment);
}

/* Whether text has the word w (inf, nan) as a word of its own: not inside another, such as a
 * temporary folder's random name ("/tmp/nnbt.nannez/big.nnb" made this test fail once). */
static int has_word(const char *text, const char *w) {
    size_t n = strlen(w);
    for (const char *p = strstr(text, w); p; p = strstr(p + 1, w)) {
        int before = p > text && (isalnum((unsigned char)p[-1]) || strchr("./_", p[-1]));
        int after = isalnum((unsigned char)p[n]) || p[n] == '_';
        if (!before && !after) return 1;
    }
    return 0;
}

static const char *file(const char *name, const char *text) {
    const char *path = nnbt_tmp(name);
    ck_assert(nnbt_write_file(path, text, strlen(text)));
    return path;
}

START_TEST(text_columns_name_their_fix) {
    const char *d = file("dates.csv", "when,x,y\n2024-01-05,1,0\n2024-02-01,2,1\n2024-03-09,3,0\n"
                                      "2024-03-10,4,1\n2024-04-01,5,0\n");
    run r = runv("train", "--csv", d, "--target", "y", "--epochs", "1", NULL);
    ck_assert_int_eq(r.code, 1);
    has(r.err, "holds text");
    has(r.err, "--one-hot when");
    has(r.err, "--drop when");
    ck_assert_msg(!strstr(r.err, "--drop-bad-rows"), "%s", r.err);
    nnbt_proc_free(&r);
    const char *q = file("quoted.csv", "name,x,y\n\"Smith, J.\",1,0\n\"Doe\",2,1\n\"Roe\",3,0\n"
                                       "\"Poe\",4,1\n\"Moe\",5,0\n");
    r = runv("train", "--csv", q, "--target", "y", "--epochs", "1", NULL);
    has(r.err, "--one-hot name");
    nnbt_proc_free(&r);
    r = runv("train", "--csv", q, "--target", "y", "--epochs", "1", "--drop", "name", "--quiet",
             NULL);
    assert_ok(r);
    nnbt_proc_free(&r);
    /* several text columns: every one named at once, in one list for either option */
    const char *m = file("many.csv", "name,x,when,city,y\nann,1,2024-01-05,Rome,0\n"
                                     "bob,2,2024-02-01,Oslo,1\ncid,3,2024-03-09,Bern,0\n");
    r = runv("train", "--csv", m, "--target", "y", "--epochs", "1", NULL);
    has(r.err, "so do 'when' and 'city'");
    has(r.err, "--one-hot name,when,city reads them as categories, --drop name,when,city leaves "
               "them out");
    nnbt_proc_free(&r);
    r = runv("train", "--csv", m, "--target", "y", "--epochs", "1", "--drop", "name,when,city",
             "--quiet", NULL);
    assert_ok(r);
    nnbt_proc_free(&r);
    /* a stray bad cell still points at --drop-bad-rows */
    const char *b = file("typo.csv", "x,y\n1,0\n2,1\nabc,0\n4,1\n5,0\n6,1\n");
    r = runv("train", "--csv", b, "--target", "y", "--epochs", "1", NULL);
    has(r.err, "--drop-bad-rows");
    nnbt_proc_free(&r);
}
END_TEST

START_TEST(decimal_commas) {
    const char *eu = file("eu.csv", "preis;menge;ok\n17,99;3;1\n-0,5;4;0\n2,25;5;1\n3,5;1;0\n"
                                    "4,75;2;1\n5,5;6;0\n");
    const char *model = nnbt_tmp("eu.nnb");
    run r = runv("train", "--csv", eu, "--target", "ok", "--epochs", "2", "--quiet", "--save",
                 model, NULL);
    assert_ok(r);
    nnbt_proc_free(&r);
    r = runv("eval", "--model", model, "--csv", eu, NULL);
    assert_ok(r);
    nnbt_proc_free(&r);
    r = runv("train", "--csv", eu, "--target", "ok", "--epochs", "1", "--decimal", ".", NULL);
    ck_assert_int_eq(r.code, 1);
    has(r.err, "--decimal , reads it");
    nnbt_proc_free(&r);
    r = runv("train", "--csv", eu, "--target", "ok", "--decimal", "x", NULL);
    ck_assert_int_eq(r.code, 2);
    has(r.err, "--decimal");
    nnbt_proc_free(&r);
}
END_TEST

START_TEST(missing_cells_filled) {
    const char *m = file("m.csv", "a,c,y\n1,red,0\n,blue,1\nNA,,0\n4,red,1\n5,red,0\n6,blue,1\n"
                                  "7,red,0\n8,blue,1\n");
    run r = runv("train", "--csv", m, "--target", "y", "--one-hot", "c", "--epochs", "1", NULL);
    ck_assert_int_eq(r.code, 1);
    has(r.err, "--fill mean");
    nnbt_proc_free(&r);
    const char *model = nnbt_tmp("m.nnb");
    r = runv("train", "--csv", m, "--target", "y", "--one-hot", "c", "--epochs", "2", "--quiet",
             "--fill", "median", "--save", model, NULL);
    assert_ok(r);
    nnbt_proc_free(&r);
    const char *n = file("new.csv", "a,c\n,\n3,blue\n");
    r = runv("predict", "--model", model, "--csv", n, NULL);
    assert_ok(r);
    ck_assert_msg(!has_word(r.out, "nan"), "%s", r.out);
    nnbt_proc_free(&r);
    r = runv("info", "--model", model, NULL);
    assert_ok(r);
    has(r.out, "; missing cells: median, "); /* the model's fills, shown */
    has(r.out, "blue red; missing cells: most_frequent, ");
    nnbt_proc_free(&r);
    /* a missing target is not filled: an error, or its row dropped */
    const char *t = file("t.csv", "a,y\n1,0\n,1\n3,\n4,1\n5,0\n6,1\n7,0\n");
    r = runv("train", "--csv", t, "--target", "y", "--fill", "mean", "--epochs", "1", NULL);
    ck_assert_int_eq(r.code, 1);
    has(r.err, "missing value in column 'y'");
    nnbt_proc_free(&r);
    r = runv("train", "--csv", t, "--target", "y", "--fill", "mean", "--drop-bad-rows", "--epochs",
             "1", "--quiet", NULL);
    assert_ok(r);
    nnbt_proc_free(&r);
    r = runv("train", "--csv", t, "--target", "y", "--fill", "meen", NULL);
    ck_assert_int_eq(r.code, 2);
    has(r.err, "did you mean 'mean'");
    nnbt_proc_free(&r);
}
END_TEST

/* 120 categories of which a third appear once: many only in the test part. */
START_TEST(unseen_categories_zero_and_counted) {
    char text[8192];
    size_t k = (size_t)sprintf(text, "cat,x,y\n");
    for (int i = 0; i < 240; i++)
        k += (size_t)sprintf(text + k, "c%d,%d,%d\n", i % 3 ? i : 0, i % 7, i % 2);
    const char *c = file("cats.csv", text);
    run r = runv("train", "--csv", c, "--target", "y", "--one-hot", "cat", "--epochs", "1", NULL);
    assert_ok(r);
    has(r.err, "of the test rows");
    has(r.err, "have categories the training rows lack; they are encoded as all zeros");
    nnbt_proc_free(&r);
}
END_TEST

START_TEST(huge_targets) {
    char text[16384];
    size_t k = (size_t)sprintf(text, "x,y\n");
    for (int i = 0; i < 200; i++)
        k += (size_t)sprintf(text + k, "%d,%.17g\n", i % 17, (i * 1.7 + (i % 17) - 150) * 1e200);
    const char *b = file("big.csv", text), *model = nnbt_tmp("big.nnb");
    run r = runv("train", "--csv", b, "--target", "y", "--epochs", "5", "--quiet", "--save", model,
                 NULL);
    assert_ok(r);
    ck_assert_msg(!strstr(r.err, "impossible statistics"), "%s", r.err);
    has(r.out, "test RMSE ");
    ck_assert_msg(!strstr(r.out, "RMSE inf") && !has_word(r.out, "nan"), "%s", r.out);
    nnbt_proc_free(&r);
    r = runv("predict", "--model", model, "--csv", b, NULL);
    assert_ok(r);
    ck_assert_msg(!has_word(r.out, "inf") && !has_word(r.out, "nan"), "%s", r.out);
    has(r.out, "e+");
    nnbt_proc_free(&r);
    /* the metrics in the data's units: finite (their squares were infinite) */
    r = runv("eval", "--model", model, "--csv", b, NULL);
    assert_ok(r);
    has(r.out, "RMSE ");
    ck_assert_msg(!has_word(r.out, "inf") && !has_word(r.out, "nan"), "%s", r.out);
    nnbt_proc_free(&r);
}
END_TEST

START_TEST(layer_too_large_at_once) {
    const char *d = file("small.csv", "a,b,y\n1,2,0\n2,3,1\n3,4,0\n4,5,1\n5,6,0\n");
    run r =
        runv("train", "--csv", d, "--target", "y", "--layers", "100000000", "--epochs", "1", NULL);
    ck_assert_int_eq(r.code, 1);
    has(r.err, "--layers: the hidden layer of 100000000 units (layer 1)");
    has(r.err, "more than the");
    nnbt_proc_free(&r);
    r = runv("train", "--csv", d, "--target", "y", "--layers", "8,100000000,8", "--epochs", "1",
             NULL);
    has(r.err, "the hidden layer of 100000000 units (layer 2)");
    nnbt_proc_free(&r);
}
END_TEST

/* 20,000 columns, all but the target dropped by name: checked against the header by a hash. */
START_TEST(wide_names) {
    enum { N = 20000 };
    char *text = malloc(N * 16 + 64), *drop = malloc(N * 8);
    size_t k = 0, d = 0;
    for (int j = 0; j < N; j++) k += (size_t)sprintf(text + k, "c%d,", j);
    k += (size_t)sprintf(text + k, "y\n");
    for (int r = 0; r < 4; r++) {
        for (int j = 0; j < N; j++) k += (size_t)sprintf(text + k, "%d,", (r + j) % 5);
        k += (size_t)sprintf(text + k, "%d\n", r % 2);
    }
    for (int j = 1; j < N; j++) d += (size_t)sprintf(drop + d, "%sc%d", j > 1 ? "," : "", j);
    const char *w = file("wide.csv", text);
    run r = runv("train", "--csv", w, "--target", "y", "--drop", drop, "--test", "0.25", "--epochs",
                 "1", "--quiet", NULL);
    assert_ok(r);
    nnbt_proc_free(&r);
    free(text);
    free(drop);
}
END_TEST

static Suite *cli_data_suite(void) {
    Suite *s = suite_create("cli_data");
    TCase *tc = tcase_create("cli_data");
    tcase_set_timeout(tc, 0); /* no time limit of its own: meson's timeout is the only one */
    tcase_add_test(tc, text_columns_name_their_fix);
    tcase_add_test(tc, decimal_commas);
    tcase_add_test(tc, missing_cells_filled);
    tcase_add_test(tc, unseen_categories_zero_and_counted);
    tcase_add_test(tc, huge_targets);
    tcase_add_test(tc, layer_too_large_at_once);
    tcase_add_test(tc, wide_names);
    suite_add_tcase(s, tc);
    return s;
}

NNBT_MAIN(cli_data_suite, 0)
