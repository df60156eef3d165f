/* The tutorial's preparation of ../shared/data/admissions.csv through the data layer: one-hot
 * rank, gre and gpa standardised with the sample standard deviation. Checked against
 * seed-fixtures.json and against the test helper's own reader (nnbt_admissions, sscanf-based),
 * for the file as shipped and rewritten with bare-\r row endings. */
#include <string.h>

#include "nnb_test.h"

enum { N = 400, F = 6 };

static nnb_prep *tutorial_prep(void) {
    nnb_prep *p;
    nnbt_ok(nnb_prep_create(&p));
    nnbt_ok(nnb_prep_add_target(p, "admit", NNB_TARGET_VALUES));
    nnbt_ok(nnb_prep_onehot(p, "rank"));
    nnbt_ok(nnb_prep_scale(p, "gre", NNB_SCALE_STANDARD));
    nnbt_ok(nnb_prep_scale(p, "gpa", NNB_SCALE_STANDARD));
    return p;
}

static double fx(const char *path) {
    const nnbt_json *j = nnbt_json_get(nnbt_fixtures(), path);
    ck_assert_msg(j != NULL, "fixture %s missing", path);
    return nnbt_json_num(j);
}

/* The whole tutorial preparation of one file, compared with the fixtures and the helper. */
static void check_file(const char *path) {
    nnb_table *t;
    nnbt_ok(nnb_csv_read(&t, path, NULL));
    ck_assert_uint_eq(nnb_table_n_rows(t), N);
    nnb_prep *p = tutorial_prep();
    nnbt_ok(nnb_prep_fit(p, t, NULL, N)); /* the tutorial standardises over all rows */

    const nnbt_json *order = nnbt_json_get(nnbt_fixtures(), "feature_order");
    ck_assert_uint_eq(nnb_prep_n_features(p), nnbt_json_len(order));
    for (size_t j = 0; j < F; j++) {
        const char *want = nnbt_json_str(nnbt_json_at(order, j));
        ck_assert_ptr_nonnull(want);
        ck_assert_str_eq(nnb_prep_feature_name(p, j), want);
    }

    double a, b;
    nnbt_ok(nnb_prep_column_stats(p, "gre", NULL, &a, &b, NULL));
    nnbt_assert_rel(a, fx("admissions_single_neuron.standardize.gre.mean"), 1e-12);
    nnbt_assert_rel(b, fx("admissions_single_neuron.standardize.gre.std_ddof1"), 1e-12);
    nnbt_ok(nnb_prep_column_stats(p, "gpa", NULL, &a, &b, NULL));
    nnbt_assert_rel(a, fx("admissions_single_neuron.standardize.gpa.mean"), 1e-12);
    nnbt_assert_rel(b, fx("admissions_single_neuron.standardize.gpa.std_ddof1"), 1e-12);

    double *X = malloc(N * F * sizeof *X), *Y = malloc(N * sizeof *Y);
    nnbt_ok(nnb_prep_apply(p, t, NULL, N, X, N * F, Y, N));
    /* the tutorial's first row: admit 0, gre 380, gpa 3.61, rank 3 */
    ck_assert(Y[0] == 0);
    nnbt_assert_rel(X[0],
                    (380 - fx("admissions_single_neuron.standardize.gre.mean")) /
                        fx("admissions_single_neuron.standardize.gre.std_ddof1"),
                    1e-12);
    nnbt_assert_rel(X[1],
                    (3.61 - fx("admissions_single_neuron.standardize.gpa.mean")) /
                        fx("admissions_single_neuron.standardize.gpa.std_ddof1"),
                    1e-12);
    ck_assert(X[2] == 0 && X[3] == 0 && X[4] == 1 && X[5] == 0);
    /* every row against the helper's independent reader */
    double *RX, *RY;
    ck_assert_uint_eq(nnbt_admissions(&RX, &RY, NULL), N);
    for (size_t i = 0; i < N; i++) {
        ck_assert(Y[i] == RY[i]);
        for (size_t j = 0; j < F; j++) nnbt_assert_rel(X[i * F + j], RX[i * F + j], 1e-12);
    }
    free(RX), free(RY), free(X), free(Y);
    nnb_prep_free(p);
    nnb_table_free(t);
}

START_TEST(as_shipped) { check_file(nnbt_shared_path("data/admissions.csv")); }
END_TEST

/* The file as first published: "\n" after the header, a bare "\r" after each row. */
START_TEST(bare_cr_rows) {
    size_t len;
    char *text = nnbt_read_file(nnbt_shared_path("data/admissions.csv"), &len);
    ck_assert_ptr_nonnull(text);
    char *nl = strchr(text, '\n');
    ck_assert_ptr_nonnull(nl);
    size_t changed = 0;
    for (char *c = nl + 1; *c; c++)
        if (*c == '\n') *c = '\r', changed++;
    ck_assert_uint_ge(changed, N - 1);
    char path[512];
    nnbt_tmp_path(path, sizeof path, "admissions-cr.csv");
    ck_assert(nnbt_write_file(path, text, len));
    free(text);
    check_file(path);
}
END_TEST

/* Fitted on the training part only: the statistics are those of the training rows. */
START_TEST(fit_on_training_part) {
    nnb_table *t;
    nnbt_ok(nnb_csv_read(&t, nnbt_shared_path("data/admissions.csv"), NULL));
    size_t order[N], n_train, n_test;
    nnbt_ok(nnb_rows_split(N, 0.1, 0, 42, NULL, 0, order, N, &n_train, &n_test, NULL));
    ck_assert(n_train == 360 && n_test == 40);
    nnb_prep *p = tutorial_prep();
    nnbt_ok(nnb_prep_fit(p, t, order, n_train));
    size_t gre_col;
    nnbt_ok(nnb_table_find_column(t, "gre", &gre_col));
    double gre[N];
    nnbt_ok(nnb_table_get_column(t, gre_col, gre, N));
    long double s = 0, ss = 0;
    for (size_t i = 0; i < n_train; i++) s += gre[order[i]];
    long double m = s / n_train;
    for (size_t i = 0; i < n_train; i++) ss += (gre[order[i]] - m) * (gre[order[i]] - m);
    double sd = (double)sqrtl(ss / (n_train - 1)), a, b;
    nnbt_ok(nnb_prep_column_stats(p, "gre", NULL, &a, &b, NULL));
    nnbt_assert_rel(a, (double)m, 1e-13);
    nnbt_assert_rel(b, sd, 1e-13);
    ck_assert(a != fx("admissions_single_neuron.standardize.gre.mean"));
    double X[N * F], Y[N];
    nnbt_ok(nnb_prep_apply(p, t, order + n_train, n_test, X, n_test * F, Y, n_test));
    for (size_t i = 0; i < n_test; i++)
        nnbt_assert_rel(X[i * F], (gre[order[n_train + i]] - (double)m) / sd, 1e-12);
    nnb_prep_free(p);
    nnb_table_free(t);
}
END_TEST

static Suite *admissions_suite(void) {
    Suite *s = suite_create("data_admissions");
    TCase *tc = tcase_create("admissions");
    tcase_add_test(tc, as_shipped);
    tcase_add_test(tc, bare_cr_rows);
    tcase_add_test(tc, fit_on_training_part);
    suite_add_tcase(s, tc);
    return s;
}

NNBT_MAIN(admissions_suite, 1)
