/* Costs that must grow with the input, not with its square (issue 26, family 6): metadata keys,
 * CSV option lists, column names, category and class lists and preparation look-ups, each at a
 * count where a linear search per item (the old metadata, option lists, nnb_prep_column_stats
 * and nnb_prep_add_target) would run for minutes while a hashed look-up takes well under a second
 * -- so this suite times out (fails) if one of them turns quadratic again. No time is measured. */
#include <stdio.h>
#include <string.h>

#include "nnb_test.h"

/* Pairs of keys: 200,000 in the full run (a linear search per set: 2e10 string comparisons). */
static size_t n_big(void) { return nnbt_scale(200000, 20000); }

/* A model saved to a buffer and loaded back. */
static void round_trip(const nnb_net *net, const nnb_prep *p, const nnb_meta *m, nnb_net **back,
                       nnb_prep **p2, nnb_meta **m2) {
    size_t need = 0;
    unsigned char none[1];
    ck_assert_int_eq(nnb_model_write_buffer(net, p, m, 0, none, 0, &need), NNB_E_SHAPE);
    unsigned char *buf = malloc(need);
    nnbt_ok(nnb_model_write_buffer(net, p, m, 0, buf, need, &need));
    nnbt_ok(nnb_model_read_buffer(back, p2, m2, buf, need));
    free(buf);
}

START_TEST(metadata_keys) {
    size_t n = n_big();
    nnb_meta *m;
    nnbt_ok(nnb_meta_create(&m));
    char key[32], value[32];
    for (size_t i = 0; i < n; i++) {
        snprintf(key, sizeof key, "key.%zu", i);
        snprintf(value, sizeof value, "%zu", i * 7);
        nnbt_ok(nnb_meta_set(m, key, value));
    }
    for (size_t i = 0; i < n; i += 2) { /* overwriting finds the key */
        snprintf(key, sizeof key, "key.%zu", i);
        nnbt_ok(nnb_meta_set(m, key, "even"));
    }
    ck_assert_uint_eq(nnb_meta_n_keys(m), n);
    for (size_t i = 0; i < n; i++) {
        snprintf(key, sizeof key, "key.%zu", i);
        snprintf(value, sizeof value, "%zu", i * 7);
        const char *v = nnb_meta_get(m, key);
        ck_assert_msg(v && strcmp(v, i % 2 ? value : "even") == 0, "%s: %s", key, v);
        ck_assert_str_eq(nnb_meta_key(m, i), key); /* the order of first setting */
    }
    ck_assert_ptr_null(nnb_meta_get(m, "key.x"));
    /* a model file with all of them: saved, loaded (its duplicate check too), read back */
    nnb_net *net;
    nnbt_ok(nnb_net_create(&net, 2));
    nnbt_ok(nnb_net_add_dense(net, 1, NNB_ACT_SIGMOID, 1));
    nnb_net *back;
    nnb_meta *m2;
    round_trip(net, NULL, m, &back, NULL, &m2);
    ck_assert_uint_eq(nnb_meta_n_keys(m2), n);
    snprintf(key, sizeof key, "key.%zu", n - 1);
    ck_assert_ptr_nonnull(nnb_meta_get(m2, key));
    /* the same key twice in a file is still found */
    nnbt_ok(nnb_meta_set(m2, "dup", "1"));
    nnb_meta_free(m2);
    nnb_net_free(back);
    nnb_net_free(net);
    nnb_meta_free(m);
}
END_TEST

/* A CSV of `cols` numeric columns c0.. and `rows` rows. */
static char *wide_csv(size_t cols, size_t rows, size_t *len) {
    char *text = malloc((cols * 12 + 2) * (rows + 1));
    size_t k = 0;
    for (size_t j = 0; j < cols; j++) k += (size_t)sprintf(text + k, "%sc%zu", j ? "," : "", j);
    text[k++] = '\n';
    for (size_t r = 0; r < rows; r++) {
        for (size_t j = 0; j < cols; j++)
            k += (size_t)sprintf(text + k, "%s%zu", j ? "," : "", (j * 3 + r * 5) % 11);
        text[k++] = '\n';
    }
    *len = k;
    return text;
}

/* Option lists of every column name, a preparation with every column a target but one, and
 * nnb_prep_column_stats of every column. */
START_TEST(column_names) {
    size_t n = n_big(), len;
    char *text = wide_csv(n, 3, &len);
    nnb_csv_opts *o;
    nnbt_ok(nnb_csv_opts_create(&o));
    char name[32];
    for (size_t j = 0; j < n; j += 2) {
        snprintf(name, sizeof name, "c%zu", j);
        nnbt_ok(nnb_csv_opts_skip_column(o, name));
        nnbt_ok(nnb_csv_opts_skip_column(o, name)); /* a repeat is found, not added */
    }
    for (size_t j = 1; j < n; j += 2) {
        snprintf(name, sizeof name, "c%zu", j);
        nnbt_ok(nnb_csv_opts_add_text_column(o, name));
    }
    nnb_table *t;
    nnbt_ok(nnb_csv_read_buffer(&t, text, len, "wide.csv", o));
    ck_assert_uint_eq(nnb_table_n_columns(t), n / 2);
    ck_assert(nnb_table_column_is_text(t, 0));
    nnb_table_free(t);
    nnb_csv_opts_free(o);

    nnbt_ok(nnb_csv_read_buffer(&t, text, len, "wide.csv", NULL));
    nnb_prep *p;
    nnbt_ok(nnb_prep_create(&p));
    for (size_t j = 1; j < n; j++) { /* every column a regression target but c0 */
        snprintf(name, sizeof name, "c%zu", j);
        nnbt_ok(nnb_prep_add_target(p, name, NNB_TARGET_VALUES));
    }
    nnbt_expect(nnb_prep_add_target(p, "c0", NNB_TARGET_ONEHOT), NNB_E_INVALID_ARG,
                "already a target");
    nnbt_ok(nnb_prep_scale(p, NULL, NNB_SCALE_STANDARD));
    nnbt_ok(nnb_prep_fit(p, t, NULL, 3));
    ck_assert_uint_eq(nnb_prep_n_targets(p), n - 1);
    for (size_t j = 0; j < n; j++) { /* as the command's and the binding's notes do */
        snprintf(name, sizeof name, "c%zu", j);
        double a;
        nnb_scale how;
        nnbt_ok(nnb_prep_column_stats(p, name, &how, &a, NULL, NULL));
        double mean = (double)(((j * 3) % 11) + ((j * 3 + 5) % 11) + ((j * 3 + 10) % 11)) / 3;
        ck_assert(j == 0 ? how == NNB_SCALE_STANDARD && a == mean : how == NNB_SCALE_NONE);
    }
    nnb_prep_free(p);
    nnb_table_free(t);
    free(text);
}
END_TEST

/* A one-hot column and a class target with n categories each: fitted, applied, saved, loaded. */
START_TEST(categories_and_classes) {
    size_t n = n_big() / 2;
    char *text = malloc(n * 40 + 16);
    size_t k = (size_t)sprintf(text, "cat,x,label\n");
    for (size_t i = 0; i < n; i++)
        k += (size_t)sprintf(text + k, "k%zu,%zu,L%zu\n", (i * 7919) % n, i % 3, (i * 104729) % n);
    nnb_csv_opts *o = nnbt_text_columns("cat label");
    nnb_table *t = nnbt_parse(text, k, o);
    nnb_csv_opts_free(o);
    nnb_prep *p;
    nnbt_ok(nnb_prep_create(&p));
    nnbt_ok(nnb_prep_onehot(p, "cat"));
    nnbt_ok(nnb_prep_add_target(p, "label", NNB_TARGET_INDEX));
    nnbt_ok(nnb_prep_fit(p, t, NULL, n));
    ck_assert_uint_eq(nnb_prep_n_classes(p), n);
    ck_assert_uint_eq(nnb_prep_n_features(p), n + 1);
    size_t rows[4] = {0, 1, n / 2, n - 1};
    double *x = malloc(4 * (n + 1) * sizeof *x), y[4];
    nnbt_ok(nnb_prep_apply(p, t, rows, 4, x, 4 * (n + 1), y, 4));
    for (int r = 0; r < 4; r++) {
        const char *label = nnb_prep_class_label(p, (size_t)y[r]);
        char want[32];
        snprintf(want, sizeof want, "L%zu", (rows[r] * 104729) % n);
        ck_assert_str_eq(label, want);
    }
    nnb_net *net;
    nnbt_ok(nnb_net_create(&net, n + 1));
    nnbt_ok(nnb_net_add_dense(net, 1, NNB_ACT_SIGMOID, 1));
    nnb_net *back;
    nnb_prep *p2;
    round_trip(net, p, NULL, &back, &p2, NULL);
    ck_assert_uint_eq(nnb_prep_n_classes(p2), n);
    ck_assert_uint_eq(nnb_prep_n_features(p2), n + 1);
    nnb_net_free(back);
    nnb_net_free(net);
    nnb_prep_free(p2);
    nnb_prep_free(p);
    free(x);
    nnb_table_free(t);
    free(text);
}
END_TEST

static Suite *large_suite(void) {
    Suite *s = suite_create("large_counts");
    TCase *tc = tcase_create("large_counts");
    tcase_set_timeout(tc, 0); /* no time limit of its own: meson's timeout is the only one */
    tcase_add_test(tc, metadata_keys);
    tcase_add_test(tc, column_names);
    tcase_add_test(tc, categories_and_classes);
    suite_add_tcase(s, tc);
    return s;
}

NNBT_MAIN(large_suite, 0)
