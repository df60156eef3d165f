/* Data preparation: roles, one-hot encoding, scalings fitted on chosen rows, class targets,
 * unseen categories, matrices, inverse transforms and argument errors. References are computed
 * here with long double loops. */
#include <string.h>

#include "nnb_test.h"

static nnb_table *parse_opts(const char *text, const nnb_csv_opts *o) {
    return nnbt_parse(text, strlen(text), o);
}

static nnb_table *parse(const char *text) { return parse_opts(text, NULL); }

/* Mean and sample standard deviation (n - 1) of v[idx[i]] (idx NULL: v[i]), in long double. */
static void ref_stats(const double *v, const size_t *idx, size_t n, double *mean, double *sd) {
    long double s = 0, ss = 0;
    for (size_t i = 0; i < n; i++) s += v[idx ? idx[i] : i];
    long double m = s / n;
    for (size_t i = 0; i < n; i++) {
        long double d = v[idx ? idx[i] : i] - m;
        ss += d * d;
    }
    *mean = (double)m;
    *sd = (double)sqrtl(ss / (n - 1));
}

/* A table of n rows: id (text), colour (text), size (numbers 1, 2, 10), w (numbers), y (numbers),
 * label (text). Built from a generator so the values are not ours to choose. */
static char *make_csv(size_t n, uint64_t seed, double *w, double *y) {
    static const char *colours[] = {"red", "green", "Blue"};
    static const char *labels[] = {"cat", "dog"};
    static const int sizes[] = {1, 2, 10};
    nnbt_rng g = {seed};
    char *text = malloc(n * 96 + 64);
    size_t len = (size_t)sprintf(text, "id,colour,size,w,y,label\n");
    for (size_t i = 0; i < n; i++) {
        w[i] = 50 + 10 * nnbt_normal(&g);
        y[i] = 3 * nnbt_normal(&g) - 7;
        len += (size_t)sprintf(text + len, "r%zu,%s,%d,%.17g,%.17g,%s\n", i,
                               colours[(size_t)(nnbt_uniform(&g) * 3)],
                               sizes[(size_t)(nnbt_uniform(&g) * 3)], w[i], y[i],
                               labels[(size_t)(nnbt_uniform(&g) * 2)]);
    }
    return text;
}

static nnb_csv_opts *text_opts(void) { return nnbt_text_columns("id colour label"); }

START_TEST(roles_onehot_standard) {
    enum { N = 200 };
    double w[N], y[N];
    char *text = make_csv(N, 7, w, y);
    nnb_csv_opts *o = text_opts();
    nnb_table *t = parse_opts(text, o);
    nnb_prep *p;
    nnbt_ok(nnb_prep_create(&p));
    nnbt_ok(nnb_prep_drop(p, "id"));
    nnbt_ok(nnb_prep_drop(p, "label"));
    nnbt_ok(nnb_prep_onehot(p, "colour"));
    nnbt_ok(nnb_prep_onehot(p, "size"));
    nnbt_ok(nnb_prep_scale(p, "w", NNB_SCALE_STANDARD));
    nnbt_ok(nnb_prep_add_target(p, "y", NNB_TARGET_VALUES));
    ck_assert(!nnb_prep_is_fitted(p));
    ck_assert_uint_eq(nnb_prep_n_features(p), 0);
    nnbt_ok(nnb_prep_fit(p, t, NULL, N));
    ck_assert(nnb_prep_is_fitted(p));
    /* categories sorted by bytes (texts) and numerically (numbers) */
    const char *names[] = {"colour_Blue", "colour_green", "colour_red", "size_1",
                           "size_2",      "size_10",      "w"};
    ck_assert_uint_eq(nnb_prep_n_features(p), 7);
    for (size_t j = 0; j < 7; j++) ck_assert_str_eq(nnb_prep_feature_name(p, j), names[j]);
    ck_assert_ptr_null(nnb_prep_feature_name(p, 7));
    ck_assert_uint_eq(nnb_prep_n_targets(p), 1);
    ck_assert_str_eq(nnb_prep_target_name(p, 0), "y");
    ck_assert_uint_eq(nnb_prep_n_classes(p), 0);

    double mean, sd, a, b;
    nnb_scale how;
    int constant;
    ref_stats(w, NULL, N, &mean, &sd);
    nnbt_ok(nnb_prep_column_stats(p, "w", &how, &a, &b, &constant));
    ck_assert_int_eq(how, NNB_SCALE_STANDARD);
    nnbt_assert_rel(a, mean, 1e-13);
    nnbt_assert_rel(b, sd, 1e-13);
    ck_assert_int_eq(constant, 0);
    ck_assert_int_eq(nnb_prep_column_stats(p, "colour", &how, &a, &b, &constant),
                     NNB_E_INVALID_ARG);

    double *X = malloc(N * 7 * sizeof *X), *Y = malloc(N * sizeof *Y);
    nnbt_ok(nnb_prep_apply(p, t, NULL, N, X, N * 7, Y, N));
    for (size_t i = 0; i < N; i++) {
        const char *colour = nnb_table_get_text(t, i, 1);
        double onehot_sum = 0;
        for (size_t j = 0; j < 3; j++) {
            ck_assert(X[i * 7 + j] == (strcmp(colour, names[j] + 7) == 0));
            onehot_sum += X[i * 7 + j];
        }
        ck_assert(onehot_sum == 1);
        nnbt_assert_rel(X[i * 7 + 6], (w[i] - mean) / sd, 1e-12);
        ck_assert(Y[i] == y[i]);
    }
    free(X), free(Y), free(text);
    nnb_prep_free(p);
    nnb_table_free(t);
    nnb_csv_opts_free(o);
}
END_TEST

/* Statistics come from the fitted rows only, and are applied unchanged to the others. */
START_TEST(fit_on_train_only) {
    enum { N = 300 };
    double w[N], y[N];
    char *text = make_csv(N, 11, w, y);
    nnb_csv_opts *o = text_opts();
    nnb_table *t = parse_opts(text, o);
    size_t order[N], n_train, n_test, n_val;
    nnbt_ok(nnb_rows_split(N, 0.2, 0.1, 5, NULL, 0, order, N, &n_train, &n_test, &n_val));
    nnb_prep *p;
    nnbt_ok(nnb_prep_create(&p));
    nnbt_ok(nnb_prep_drop(p, "id"));
    nnbt_ok(nnb_prep_drop(p, "colour"));
    nnbt_ok(nnb_prep_drop(p, "label"));
    nnbt_ok(nnb_prep_drop(p, "size"));
    nnbt_ok(nnb_prep_scale(p, "w", NNB_SCALE_MINMAX));
    nnbt_ok(nnb_prep_scale(p, "y", NNB_SCALE_STANDARD));
    nnbt_ok(nnb_prep_add_target(p, "y", NNB_TARGET_VALUES));
    nnbt_ok(nnb_prep_fit(p, t, order, n_train));
    double lo = w[order[0]], hi = lo, mean, sd, a, b;
    for (size_t i = 0; i < n_train; i++) {
        lo = fmin(lo, w[order[i]]);
        hi = fmax(hi, w[order[i]]);
    }
    ref_stats(y, order, n_train, &mean, &sd);
    nnbt_ok(nnb_prep_column_stats(p, "w", NULL, &a, &b, NULL));
    ck_assert(a == lo && b == hi);
    nnbt_ok(nnb_prep_column_stats(p, "y", NULL, &a, &b, NULL));
    nnbt_assert_rel(a, mean, 1e-13);
    nnbt_assert_rel(b, sd, 1e-13);

    const size_t *test = order + n_train;
    double X[N], Y[N];
    nnbt_ok(nnb_prep_apply(p, t, test, n_test, X, n_test, Y, n_test));
    for (size_t i = 0; i < n_test; i++) {
        nnbt_assert_rel(X[i], (w[test[i]] - lo) / (hi - lo), 1e-12);
        nnbt_assert_rel(Y[i], (y[test[i]] - mean) / sd, 1e-12);
    }
    /* the inverse transform gives the targets back */
    nnbt_ok(nnb_prep_inverse_targets(p, Y, n_test, 1));
    for (size_t i = 0; i < n_test; i++) nnbt_assert_rel(Y[i], y[test[i]], 1e-13);
    ck_assert_int_eq(nnb_prep_inverse_targets(p, Y, n_test, 2), NNB_E_SHAPE);
    /* refitting on all rows replaces the statistics */
    nnbt_ok(nnb_prep_fit(p, t, NULL, N));
    ref_stats(y, NULL, N, &mean, &sd);
    nnbt_ok(nnb_prep_column_stats(p, "y", NULL, &a, &b, NULL));
    nnbt_assert_rel(a, mean, 1e-13);
    free(text);
    nnb_prep_free(p);
    nnb_table_free(t);
    nnb_csv_opts_free(o);
}
END_TEST

START_TEST(class_targets) {
    const char *text = "x,label\n1,dog\n2,cat\n3,emu\n4,cat\n";
    nnb_csv_opts *o = nnbt_text_columns("label");
    nnb_table *t = parse_opts(text, o);
    for (int kind = NNB_TARGET_ONEHOT; kind <= NNB_TARGET_INDEX; kind++) {
        nnb_prep *p;
        nnbt_ok(nnb_prep_create(&p));
        nnbt_ok(nnb_prep_add_target(p, "label", (nnb_target_kind)kind));
        size_t rows[] = {0, 1, 3}; /* emu unseen */
        nnbt_ok(nnb_prep_fit(p, t, rows, 3));
        ck_assert_uint_eq(nnb_prep_n_classes(p), 2);
        ck_assert_str_eq(nnb_prep_class_label(p, 0), "cat");
        ck_assert_str_eq(nnb_prep_class_label(p, 1), "dog");
        ck_assert_ptr_null(nnb_prep_class_label(p, 2));
        size_t ny = kind == NNB_TARGET_ONEHOT ? 2 : 1;
        ck_assert_uint_eq(nnb_prep_n_targets(p), ny);
        if (kind == NNB_TARGET_ONEHOT)
            ck_assert_str_eq(nnb_prep_target_name(p, 1), "label_dog");
        else
            ck_assert_str_eq(nnb_prep_target_name(p, 0), "label");
        double X[4], Y[8];
        nnbt_ok(nnb_prep_apply(p, t, rows, 3, X, 3, Y, 3 * ny));
        double want_onehot[] = {0, 1, 1, 0, 1, 0}, want_index[] = {1, 0, 0};
        for (size_t i = 0; i < 3 * ny; i++)
            ck_assert(Y[i] == (kind == NNB_TARGET_ONEHOT ? want_onehot[i] : want_index[i]));
        /* an unseen class is an error even under NNB_UNSEEN_ZERO */
        nnbt_ok(nnb_prep_set_unseen(p, NNB_UNSEEN_ZERO));
        ck_assert_int_eq(nnb_prep_apply(p, t, NULL, 4, X, 4, Y, 4 * ny), NNB_E_FORMAT);
        ck_assert_msg(strstr(nnb_last_error(), "data.csv:4:2: class 'emu' in column 'label'"), "%s",
                      nnb_last_error());
        /* without y, the targets are not needed */
        nnbt_ok(nnb_prep_apply(p, t, NULL, 4, X, 4, NULL, 0));
        ck_assert(X[2] == 3);
        nnb_prep_free(p);
    }
    /* a numeric class column: classes sorted as numbers */
    nnb_table *t2 = parse("x,c\n1,10\n2,9\n3,10\n4,-1\n");
    nnb_prep *p;
    nnbt_ok(nnb_prep_create(&p));
    nnbt_ok(nnb_prep_add_target(p, "c", NNB_TARGET_INDEX));
    nnbt_ok(nnb_prep_fit(p, t2, NULL, 4));
    ck_assert_str_eq(nnb_prep_class_label(p, 0), "-1");
    ck_assert_str_eq(nnb_prep_class_label(p, 2), "10");
    double X[4], Y[4];
    nnbt_ok(nnb_prep_apply(p, t2, NULL, 4, X, 4, Y, 4));
    ck_assert(Y[0] == 2 && Y[1] == 1 && Y[2] == 2 && Y[3] == 0);
    nnb_prep_free(p);
    nnb_table_free(t2);
    nnb_table_free(t);
    nnb_csv_opts_free(o);
}
END_TEST

START_TEST(unseen_categories) {
    nnb_csv_opts *o = nnbt_text_columns("c");
    nnb_table *train = parse_opts("c,v\na,1\nb,2\n", o);
    nnb_table *test = parse_opts("v,c\n\n3,b\n4,z\n", o); /* other column order */
    nnb_prep *p;
    nnbt_ok(nnb_prep_create(&p));
    nnbt_ok(nnb_prep_onehot(p, "c"));
    nnbt_ok(nnb_prep_fit(p, train, NULL, 2));
    double X[6];
    ck_assert_int_eq(nnb_prep_apply(p, test, NULL, 2, X, 6, NULL, 0), NNB_E_FORMAT);
    ck_assert_msg(strstr(nnb_last_error(),
                         "data.csv:4:2: category 'z' in column 'c' was not seen when fitting"),
                  "%s", nnb_last_error());
    nnbt_ok(nnb_prep_set_unseen(p, NNB_UNSEEN_ZERO));
    nnbt_ok(nnb_prep_apply(p, test, NULL, 2, X, 6, NULL, 0));
    double want[] = {0, 1, 3, 0, 0, 4};
    for (int i = 0; i < 6; i++) ck_assert(X[i] == want[i]);
    ck_assert_int_eq(nnb_prep_set_unseen(p, (nnb_unseen)7), NNB_E_INVALID_ARG);
    nnb_prep_free(p);
    nnb_table_free(train);
    nnb_table_free(test);
    nnb_csv_opts_free(o);
}
END_TEST

/* A column with zero deviation or range is reported and shifted, never divided by zero. */
START_TEST(constant_columns) {
    nnb_table *t = parse("a,b,c\n5,1,7\n5,2,7\n5,4,7\n");
    nnb_prep *p;
    nnbt_ok(nnb_prep_create(&p));
    nnbt_ok(nnb_prep_scale(p, NULL, NNB_SCALE_STANDARD));
    nnbt_ok(nnb_prep_scale(p, "c", NNB_SCALE_MINMAX));
    nnbt_ok(nnb_prep_fit(p, t, NULL, 3));
    ck_assert_uint_eq(nnb_prep_n_constant_columns(p), 2);
    ck_assert_str_eq(nnb_prep_constant_name(p, 0), "a");
    ck_assert_str_eq(nnb_prep_constant_name(p, 1), "c");
    ck_assert_ptr_null(nnb_prep_constant_name(p, 2));
    int constant;
    double a, b;
    nnbt_ok(nnb_prep_column_stats(p, "a", NULL, &a, &b, &constant));
    ck_assert(constant == 1 && a == 5 && b == 0);
    double X[9];
    nnbt_ok(nnb_prep_apply(p, t, NULL, 3, X, 9, NULL, 0));
    for (int i = 0; i < 3; i++) {
        ck_assert(X[3 * i] == 0 && X[3 * i + 2] == 0);
        ck_assert(isfinite(X[3 * i + 1]));
    }
    nnb_prep_free(p);
    nnb_table_free(t);
}
END_TEST

/* A matrix preparation fitted on x (rows x cols) with `how`, whose one constant column is
 * `constant`; y receives x transformed. */
static nnb_prep *fit_transform(const double *x, size_t rows, size_t cols, nnb_scale how,
                               const char *constant, double *y) {
    nnb_prep *p;
    nnbt_ok(nnb_prep_create(&p));
    nnbt_ok(nnb_prep_fit_matrix(p, x, rows, cols, how));
    ck_assert_uint_eq(nnb_prep_n_constant_columns(p), 1);
    ck_assert_str_eq(nnb_prep_constant_name(p, 0), constant);
    memcpy(y, x, rows * cols * sizeof *y);
    nnbt_ok(nnb_prep_transform(p, y, rows, cols));
    return p;
}

START_TEST(matrix) {
    enum { R = 50, C = 4 };
    double x[R * C], col[R];
    nnbt_rng g = {3};
    for (size_t i = 0; i < R * C; i++)
        x[i] = i % C == 2 ? 0.5 : nnbt_normal(&g) * (double)(i % C + 1);
    double y[R * C];
    nnb_prep *p = fit_transform(x, R, C, NNB_SCALE_STANDARD, "x2", y);
    ck_assert_uint_eq(nnb_prep_n_features(p), C);
    ck_assert_str_eq(nnb_prep_feature_name(p, 3), "x3");
    for (size_t j = 0; j < C; j++) {
        double mean, sd;
        for (size_t i = 0; i < R; i++) col[i] = x[i * C + j];
        ref_stats(col, NULL, R, &mean, &sd);
        for (size_t i = 0; i < R; i++)
            nnbt_assert_rel(y[i * C + j], j == 2 ? 0.0 : (x[i * C + j] - mean) / sd, 1e-12);
    }
    ck_assert_int_eq(nnb_prep_transform(p, y, R, C - 1), NNB_E_SHAPE);
    nnb_table *t = parse("a\n1\n2\n");
    double X[2];
    ck_assert_int_eq(nnb_prep_apply(p, t, NULL, 2, X, 2, NULL, 0), NNB_E_STATE);
    x[7] = NAN;
    ck_assert_int_eq(nnb_prep_fit_matrix(p, x, R, C, NNB_SCALE_MINMAX), NNB_E_NONFINITE);
    ck_assert_msg(strstr(nnb_last_error(), "x[1][3]"), "%s", nnb_last_error());
    ck_assert_int_eq(nnb_prep_fit_matrix(p, x, 1, C, NNB_SCALE_STANDARD), NNB_E_INVALID_ARG);
    nnb_prep_free(p);
    /* a table preparation cannot be fitted on a matrix, nor the reverse applied */
    nnbt_ok(nnb_prep_create(&p));
    nnbt_ok(nnb_prep_drop(p, "b"));
    ck_assert_int_eq(nnb_prep_fit_matrix(p, x, 1, C, NNB_SCALE_NONE), NNB_E_STATE);
    nnb_prep_free(p);
    nnb_table_free(t);
}
END_TEST

START_TEST(argument_errors) {
    nnb_csv_opts *o = nnbt_text_columns("s");
    nnb_table *t = parse_opts("a,b,s\n1,2,x\n3,4,y\n", o);
    nnb_prep *p;
    ck_assert_int_eq(nnb_prep_create(NULL), NNB_E_NULL);
    nnbt_ok(nnb_prep_create(&p));
    /* conflicting roles */
    nnbt_ok(nnb_prep_add_target(p, "a", NNB_TARGET_VALUES));
    ck_assert_int_eq(nnb_prep_drop(p, "a"), NNB_E_INVALID_ARG);
    ck_assert_int_eq(nnb_prep_onehot(p, "a"), NNB_E_INVALID_ARG);
    ck_assert_int_eq(nnb_prep_add_target(p, "b", NNB_TARGET_ONEHOT), NNB_E_INVALID_ARG);
    ck_assert_msg(strstr(nnb_last_error(), "only target"), "%s", nnb_last_error());
    ck_assert_int_eq(nnb_prep_add_target(p, "b", (nnb_target_kind)9), NNB_E_INVALID_ARG);
    ck_assert_int_eq(nnb_prep_scale(p, "b", (nnb_scale)9), NNB_E_INVALID_ARG);
    ck_assert_int_eq(nnb_prep_add_target(p, NULL, NNB_TARGET_VALUES), NNB_E_NULL);
    /* a text column used as a number */
    ck_assert_int_eq(nnb_prep_fit(p, t, NULL, 2), NNB_E_FORMAT);
    ck_assert_msg(strstr(nnb_last_error(), "column 's' of data.csv holds texts"), "%s",
                  nnb_last_error());
    ck_assert(!nnb_prep_is_fitted(p));
    nnbt_ok(nnb_prep_onehot(p, "s"));
    /* rows */
    size_t bad_rows[] = {0, 5};
    ck_assert_int_eq(nnb_prep_fit(p, t, bad_rows, 2), NNB_E_INVALID_ARG);
    ck_assert_int_eq(nnb_prep_fit(p, t, NULL, 1), NNB_E_INVALID_ARG);
    ck_assert_int_eq(nnb_prep_fit(p, t, NULL, 0), NNB_E_INVALID_ARG);
    /* apply before fitting */
    double X[8], Y[2];
    ck_assert_int_eq(nnb_prep_apply(p, t, NULL, 2, X, 8, Y, 2), NNB_E_STATE);
    nnbt_ok(nnb_prep_fit(p, t, NULL, 2));
    ck_assert_uint_eq(nnb_prep_n_features(p), 3);
    /* frozen once fitted */
    ck_assert_int_eq(nnb_prep_drop(p, "b"), NNB_E_STATE);
    ck_assert_int_eq(nnb_prep_scale(p, NULL, NNB_SCALE_MINMAX), NNB_E_STATE);
    /* sizes */
    ck_assert_int_eq(nnb_prep_apply(p, t, NULL, 2, X, 5, Y, 2), NNB_E_SHAPE);
    ck_assert_int_eq(nnb_prep_apply(p, t, NULL, 2, X, 6, Y, 1), NNB_E_SHAPE);
    nnbt_ok(nnb_prep_apply(p, t, NULL, 2, X, 6, Y, 2));
    /* a table without a needed column, or with it as text */
    nnb_table *t2 = parse("a,s\n1,2\n");
    ck_assert_int_eq(nnb_prep_apply(p, t2, NULL, 1, X, 3, NULL, 0), NNB_E_INVALID_ARG);
    ck_assert_msg(strstr(nnb_last_error(), "no column 'b'"), "%s", nnb_last_error());
    nnb_table_free(t2);
    t2 = parse("b,s\n1,2\n");
    ck_assert_int_eq(nnb_prep_apply(p, t2, NULL, 1, X, 3, NULL, 0), NNB_E_FORMAT);
    ck_assert_msg(strstr(nnb_last_error(), "column 's' of data.csv holds numbers"), "%s",
                  nnb_last_error());
    nnb_table_free(t2);
    nnb_prep_free(p);
    /* a named column the table lacks; nothing left as a feature; 1 row for a std */
    nnbt_ok(nnb_prep_create(&p));
    nnbt_ok(nnb_prep_drop(p, "nope"));
    ck_assert_int_eq(nnb_prep_fit(p, t, NULL, 2), NNB_E_INVALID_ARG);
    ck_assert_msg(strstr(nnb_last_error(), "no column 'nope'"), "%s", nnb_last_error());
    nnb_prep_free(p);
    nnbt_ok(nnb_prep_create(&p));
    nnbt_ok(nnb_prep_drop(p, "a"));
    nnbt_ok(nnb_prep_drop(p, "b"));
    nnbt_ok(nnb_prep_add_target(p, "s", NNB_TARGET_INDEX));
    ck_assert_int_eq(nnb_prep_fit(p, t, NULL, 2), NNB_E_INVALID_ARG);
    ck_assert_int_eq(nnb_prep_inverse_targets(p, Y, 1, 1), NNB_E_STATE);
    nnb_prep_free(p);
    nnbt_ok(nnb_prep_create(&p));
    nnbt_ok(nnb_prep_drop(p, "s"));
    nnbt_ok(nnb_prep_scale(p, "a", NNB_SCALE_STANDARD));
    size_t one[] = {1};
    ck_assert_int_eq(nnb_prep_fit(p, t, one, 1), NNB_E_INVALID_ARG);
    ck_assert_msg(strstr(nnb_last_error(), "at least 2 rows"), "%s", nnb_last_error());
    nnb_prep_free(p);
    nnb_prep_free(NULL);
    ck_assert_uint_eq(nnb_prep_n_features(NULL), 0);
    ck_assert_ptr_null(nnb_prep_feature_name(NULL, 0));
    nnb_table_free(t);
    nnb_csv_opts_free(o);
}
END_TEST

/* Min-max and no scaling of a matrix, against the formula; the argument errors of matrices. */
START_TEST(matrix_minmax_none_and_errors) {
    enum { R = 7, C = 3 };
    double x[R * C];
    nnbt_rng g = {5};
    for (size_t i = 0; i < R * C; i++) x[i] = i % C == 1 ? -2.0 : nnbt_normal(&g) * 10;
    double y[R * C];
    nnb_prep *p = fit_transform(x, R, C, NNB_SCALE_MINMAX, "x1", y);
    for (size_t j = 0; j < C; j++) {
        long double lo = x[j], hi = x[j];
        for (size_t i = 1; i < R; i++) {
            if (x[i * C + j] < lo) lo = x[i * C + j];
            if (x[i * C + j] > hi) hi = x[i * C + j];
        }
        nnb_scale how;
        double a, b;
        int constant;
        char name[8];
        snprintf(name, sizeof name, "x%zu", j);
        nnbt_ok(nnb_prep_column_stats(p, name, &how, &a, &b, &constant));
        ck_assert(how == NNB_SCALE_MINMAX && a == (double)lo && b == (double)hi);
        ck_assert_int_eq(constant, j == 1);
        for (size_t i = 0; i < R; i++) {
            double want = j == 1 ? 0.0 : (double)((x[i * C + j] - lo) / (hi - lo));
            nnbt_assert_rel(y[i * C + j], want, 1e-15);
            ck_assert(j == 1 || (y[i * C + j] >= 0 && y[i * C + j] <= 1));
        }
    }
    nnb_prep_free(p);
    /* no scaling: the values as they are */
    nnbt_ok(nnb_prep_create(&p));
    nnbt_ok(nnb_prep_fit_matrix(p, x, R, C, NNB_SCALE_NONE));
    memcpy(y, x, sizeof x);
    nnbt_ok(nnb_prep_transform(p, y, R, C));
    ck_assert(memcmp(x, y, sizeof x) == 0);
    nnb_prep_free(p);
    /* errors, before x is read */
    nnbt_ok(nnb_prep_create(&p));
    nnbt_expect(nnb_prep_transform(p, y, R, C), NNB_E_STATE, "not fitted");
    nnbt_expect(nnb_prep_fit_matrix(p, x, 0, C, NNB_SCALE_NONE), NNB_E_INVALID_ARG, "x is 0 x 3");
    nnbt_expect(nnb_prep_fit_matrix(p, x, R, 0, NNB_SCALE_NONE), NNB_E_INVALID_ARG, "x is 7 x 0");
    nnbt_expect(nnb_prep_fit_matrix(p, x, R, C, (nnb_scale)7), NNB_E_INVALID_ARG,
                "unknown scaling 7");
    nnbt_expect(nnb_prep_fit_matrix(p, x, SIZE_MAX / 2, 4, NNB_SCALE_NONE), NNB_E_TOO_LARGE,
                "x is");
    ck_assert(!nnb_prep_is_fitted(p));
    nnb_prep_free(p);
    /* a preparation fitted on a table is not applied to a matrix */
    nnb_table *t = parse("a,b\n1,2\n3,5\n");
    nnbt_ok(nnb_prep_create(&p));
    nnbt_ok(nnb_prep_fit(p, t, NULL, 2));
    nnbt_expect(nnb_prep_transform(p, y, 1, 2), NNB_E_STATE, "fitted on a table");
    nnb_prep_free(p);
    nnb_table_free(t);
}
END_TEST

/* Every conflicting configuration names the role the column already has. */
START_TEST(conflict_messages) {
    nnb_prep *p;
    nnbt_ok(nnb_prep_create(&p));
    nnbt_ok(nnb_prep_drop(p, "d"));
    nnbt_expect(nnb_prep_add_target(p, "d", NNB_TARGET_VALUES), NNB_E_INVALID_ARG,
                "column 'd' is already dropped; it cannot be a target too");
    nnbt_expect(nnb_prep_scale(p, "d", NNB_SCALE_MINMAX), NNB_E_INVALID_ARG,
                "'d' is already dropped; it cannot be scaled too");
    nnbt_ok(nnb_prep_onehot(p, "o"));
    nnbt_expect(nnb_prep_drop(p, "o"), NNB_E_INVALID_ARG, "already one-hot encoded");
    nnbt_expect(nnb_prep_scale(p, "o", NNB_SCALE_STANDARD), NNB_E_INVALID_ARG,
                "already one-hot encoded; it cannot be scaled");
    nnbt_ok(nnb_prep_scale(p, "s", NNB_SCALE_STANDARD));
    nnbt_expect(nnb_prep_onehot(p, "s"), NNB_E_INVALID_ARG, "already scaled");
    nnbt_expect(nnb_prep_add_target(p, "s", NNB_TARGET_INDEX), NNB_E_INVALID_ARG,
                "already scaled; it cannot be a classification target");
    nnbt_ok(nnb_prep_add_target(p, "s", NNB_TARGET_VALUES)); /* a scaled value target */
    nnbt_ok(nnb_prep_add_target(p, "c", NNB_TARGET_VALUES));
    nnb_prep_free(p);
    nnbt_ok(nnb_prep_create(&p));
    nnbt_ok(nnb_prep_add_target(p, "k", NNB_TARGET_ONEHOT));
    nnbt_expect(nnb_prep_scale(p, "k", NNB_SCALE_STANDARD), NNB_E_INVALID_ARG,
                "already a target; it cannot be scaled");
    /* fitted as classification: no value targets to unscale */
    nnb_table *t = parse("a,k\n1,0\n2,1\n3,1\n");
    nnbt_ok(nnb_prep_fit(p, t, NULL, 3));
    double y[6] = {0};
    nnbt_expect(nnb_prep_inverse_targets(p, y, 3, 2), NNB_E_STATE, "no value targets");
    nnb_prep_free(p);
    nnb_table_free(t);
}
END_TEST

/* ---- float32 networks and data (issue 23: each concern tests both element types) ---------- */

/* The preparation into float32 (nnb_prep_apply_f32, nnb_prep_transform_f32,
 * nnb_prep_inverse_targets_f32): every value the float64 function's, rounded once to float (the
 * float64 results are the reference: test_prep.c checks them against the formulas). */
START_TEST(prep_float32) {
    const char csv[] = "a,b,colour,y\n1234.5678,0.1,red,101.3\n-87.25,0.7,green,93.1\n"
                       "5.0e3,0.3,blue,110.9\n0.001,0.9,red,99.5\n";
    nnb_table *t;
    nnb_csv_opts *co;
    nnbt_ok(nnb_csv_opts_create(&co));
    nnbt_ok(nnb_csv_opts_add_text_column(co, "colour"));
    nnbt_ok(nnb_csv_read_buffer(&t, csv, sizeof csv - 1, "mem.csv", co));
    nnb_csv_opts_free(co);
    nnb_prep *p;
    nnbt_ok(nnb_prep_create(&p));
    nnbt_ok(nnb_prep_add_target(p, "y", NNB_TARGET_VALUES));
    nnbt_ok(nnb_prep_onehot(p, "colour"));
    nnbt_ok(nnb_prep_scale(p, NULL, NNB_SCALE_STANDARD));
    nnbt_ok(nnb_prep_fit(p, t, NULL, 4));
    size_t nf = nnb_prep_n_features(p);
    ck_assert_uint_eq(nf, 5);
    double xd[20], yd[4];
    float xf[20], yf[4];
    const size_t rows[3] = {3, 0, 2};
    nnbt_ok(nnb_prep_apply(p, t, rows, 3, xd, 20, yd, 4));
    nnbt_ok(nnb_prep_apply_f32(p, t, rows, 3, xf, 20, yf, 4));
    int rounded = 0;
    for (size_t i = 0; i < 3 * nf; i++) {
        ck_assert_msg(xf[i] == (float)xd[i], "x[%zu]: %.9g vs %.17g", i, xf[i], xd[i]);
        rounded |= (double)xf[i] != xd[i];
    }
    ck_assert(rounded);
    for (size_t i = 0; i < 3; i++) ck_assert(yf[i] == (float)yd[i]);
    nnbt_ok(nnb_prep_apply_f32(p, t, NULL, 4, xf, 20, NULL, 0)); /* new data: no targets */
    nnbt_expect(nnb_prep_apply_f32(p, t, NULL, 4, xf, 19, NULL, 0), NNB_E_SHAPE, "x holds 19");
    nnbt_expect(nnb_prep_apply_f32(NULL, t, NULL, 4, xf, 20, NULL, 0), NNB_E_NULL, "prep");
    nnbt_expect(nnb_prep_transform_f32(p, xf, 4, nf), NNB_E_STATE, "nnb_prep_apply");
    /* unscaling float32 predictions */
    for (size_t i = 0; i < 3; i++) yd[i] = (double)yf[i];
    nnbt_ok(nnb_prep_inverse_targets(p, yd, 3, 1));
    nnbt_ok(nnb_prep_inverse_targets_f32(p, yf, 3, 1));
    for (size_t i = 0; i < 3; i++) ck_assert(yf[i] == (float)yd[i]);
    nnbt_expect(nnb_prep_inverse_targets_f32(p, yf, 3, 2), NNB_E_SHAPE, "columns");
    /* a matrix preparation */
    nnb_prep *m;
    nnbt_ok(nnb_prep_create(&m));
    double md[8] = {1, 200, 3, -400, 5.5, 600, 7.25, 800.125};
    float mf[8];
    for (int i = 0; i < 8; i++) mf[i] = (float)md[i];
    nnbt_ok(nnb_prep_fit_matrix(m, md, 4, 2, NNB_SCALE_STANDARD));
    nnbt_ok(nnb_prep_transform(m, md, 4, 2));
    nnbt_ok(nnb_prep_transform_f32(m, mf, 4, 2));
    for (int i = 0; i < 8; i++) ck_assert(mf[i] == (float)md[i]);
    nnbt_expect(nnb_prep_transform_f32(m, mf, 4, 3), NNB_E_SHAPE, "columns");
    nnbt_expect(nnb_prep_apply_f32(m, t, NULL, 4, xf, 20, NULL, 0), NNB_E_STATE, "matrix");
    nnb_prep_free(m);
    nnb_prep_free(p);
    nnb_table_free(t);
}
END_TEST

/* nnb_prep_fit_matrix_f32: the fit of the float matrix is nnb_prep_fit_matrix()'s of the same
 * matrix widened to double (the statistics are compared through their effect: the two fitted
 * preparations scale a double matrix to the same bits), for each scaling; its errors are
 * nnb_prep_fit_matrix()'s. */
START_TEST(prep_fit_matrix_float32) {
    enum { R = 37, C = 5 };
    float xf[R * C];
    double xd[R * C], zd[R * C], zf[R * C];
    nnbt_rng g = {11};
    for (size_t i = 0; i < R * C; i++) {
        xf[i] = (float)(nnbt_normal(&g) * (double)(i % C + 1) + 1000.0 * (double)(i % C == 4));
        if (i % C == 2) xf[i] = 0.1f; /* a constant column, not exact in binary */
        xd[i] = (double)xf[i];
    }
    const nnb_scale how[3] = {NNB_SCALE_STANDARD, NNB_SCALE_MINMAX, NNB_SCALE_NONE};
    for (int h = 0; h < 3; h++) {
        nnb_prep *pd, *pf;
        nnbt_ok(nnb_prep_create(&pd));
        nnbt_ok(nnb_prep_create(&pf));
        nnbt_ok(nnb_prep_fit_matrix(pd, xd, R, C, how[h]));
        nnbt_ok(nnb_prep_fit_matrix_f32(pf, xf, R, C, how[h]));
        ck_assert_uint_eq(nnb_prep_n_features(pf), C);
        ck_assert_uint_eq(nnb_prep_n_constant_columns(pf), nnb_prep_n_constant_columns(pd));
        for (size_t i = 0; i < R * C; i++) zd[i] = zf[i] = xd[i] * 1.5 - 0.25;
        nnbt_ok(nnb_prep_transform(pd, zd, R, C));
        nnbt_ok(nnb_prep_transform(pf, zf, R, C));
        for (size_t i = 0; i < R * C; i++)
            ck_assert_msg(memcmp(&zd[i], &zf[i], sizeof zd[i]) == 0,
                          "scaling %d, [%zu]: %.17g vs %.17g", h, i, zd[i], zf[i]);
        /* a standardised column has mean 0 and sample sd 1 (an independent check of the fit) */
        if (how[h] == NNB_SCALE_STANDARD) {
            nnbt_ok(nnb_prep_transform(pf, xd, R, C));
            double m = 0, ss = 0;
            for (size_t i = 0; i < R; i++) m += xd[i * C + 1];
            m /= R;
            for (size_t i = 0; i < R; i++) ss += (xd[i * C + 1] - m) * (xd[i * C + 1] - m);
            ck_assert_msg(fabs(m) < 1e-12 && fabs(sqrt(ss / (R - 1)) - 1) < 1e-12, "%g %g", m, ss);
            for (size_t i = 0; i < R * C; i++) xd[i] = (double)xf[i];
        }
        nnb_prep_free(pd);
        nnb_prep_free(pf);
    }
    nnb_prep *p;
    nnbt_ok(nnb_prep_create(&p));
    nnbt_expect(nnb_prep_fit_matrix_f32(NULL, xf, R, C, NNB_SCALE_NONE), NNB_E_NULL, "is NULL");
    nnbt_expect(nnb_prep_fit_matrix_f32(p, NULL, R, C, NNB_SCALE_NONE), NNB_E_NULL, "x is NULL");
    nnbt_expect(nnb_prep_fit_matrix_f32(p, xf, 0, C, NNB_SCALE_NONE), NNB_E_INVALID_ARG,
                "x is 0 x 5");
    nnbt_expect(nnb_prep_fit_matrix_f32(p, xf, 1, C, NNB_SCALE_STANDARD), NNB_E_INVALID_ARG,
                "2 rows");
    nnbt_expect(nnb_prep_fit_matrix_f32(p, xf, R, C, (nnb_scale)77), NNB_E_INVALID_ARG, "77");
    xf[8] = NAN;
    nnbt_expect(nnb_prep_fit_matrix_f32(p, xf, R, C, NNB_SCALE_MINMAX), NNB_E_NONFINITE, "x[1][3]");
    xf[8] = INFINITY;
    nnbt_expect(nnb_prep_fit_matrix_f32(p, xf, R, C, NNB_SCALE_STANDARD), NNB_E_NONFINITE,
                "nnb_prep_fit_matrix_f32");
    ck_assert(!nnb_prep_is_fitted(p));
    nnb_prep_free(p);
}
END_TEST

static Suite *prep_suite(void) {
    Suite *s = suite_create("prep");
    TCase *tc = tcase_create("prep");
    tcase_add_test(tc, roles_onehot_standard);
    tcase_add_test(tc, fit_on_train_only);
    tcase_add_test(tc, class_targets);
    tcase_add_test(tc, unseen_categories);
    tcase_add_test(tc, constant_columns);
    tcase_add_test(tc, matrix);
    tcase_add_test(tc, argument_errors);
    tcase_add_test(tc, matrix_minmax_none_and_errors);
    tcase_add_test(tc, conflict_messages);
    suite_add_tcase(s, tc);
    tc = tcase_create("float32");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, prep_float32);
    tcase_add_test(tc, prep_fit_matrix_float32);
    suite_add_tcase(s, tc);
    return s;
}

NNBT_MAIN(prep_suite, 0)
