/* Missing cells and decimal commas (issue 26, family 11): the CSV reader keeps missing cells when
 * asked (NaN, ""), reads "17,99" with a decimal comma and guesses the mark; a preparation fills
 * missing cells with the mean, median or most frequent value (or category) of the training rows,
 * scales after filling, stores the fills in model files (format 1.2, an essential section FILL;
 * files without fills are written as before) and applies them to new data; matrices too. The
 * references are computed here from the numbers written into the files. */
#include <stdio.h>
#include <string.h>

#include "nnb_test.h"

static nnb_table *parse_with(const char *text, nnb_csv_opts *o) {
    nnb_table *t = nnbt_parse(text, strlen(text), o);
    nnb_csv_opts_free(o);
    return t;
}

static nnb_csv_opts *keep_all(const char *text_columns) {
    nnb_csv_opts *o = nnbt_text_columns(text_columns);
    nnbt_ok(nnb_csv_opts_keep_missing(o, NULL));
    return o;
}

START_TEST(reader_keeps_missing_cells) {
    const char *text = "a,b,c\n1,NA,x\n,2,\n3, null ,y\n";
    nnb_table *t;
    nnb_csv_opts *o = nnbt_text_columns("c");
    nnbt_expect(nnb_csv_read_buffer(&t, text, strlen(text), "m.csv", o), NNB_E_FORMAT,
                "m.csv:2:2: missing value in column 'b'");
    nnbt_ok(nnb_csv_opts_keep_missing(o, "b"));
    nnbt_expect(nnb_csv_read_buffer(&t, text, strlen(text), "m.csv", o), NNB_E_FORMAT,
                "m.csv:3:1: missing value in column 'a'");
    nnbt_ok(nnb_csv_opts_keep_missing(o, "zz"));
    nnbt_expect(nnb_csv_read_buffer(&t, text, strlen(text), "m.csv", o), NNB_E_INVALID_ARG,
                "no column 'zz' (asked to keep missing cells of it)");
    nnb_csv_opts_free(o);
    t = parse_with(text, keep_all("c"));
    ck_assert_uint_eq(nnb_table_n_rows(t), 3);
    double a[3], b[3];
    nnbt_ok(nnb_table_get_column(t, 0, a, 3));
    nnbt_ok(nnb_table_get_column(t, 1, b, 3));
    ck_assert(a[0] == 1 && isnan(a[1]) && a[2] == 3);
    ck_assert(isnan(b[0]) && b[1] == 2 && isnan(b[2]));
    ck_assert_str_eq(nnb_table_get_text(t, 1, 2), "");
    ck_assert_str_eq(nnb_table_get_text(t, 2, 2), "y");
    nnb_table_free(t);
    /* with drop_bad_rows, kept columns keep, the others drop; non-numbers still drop */
    o = nnbt_text_columns("");
    nnbt_ok(nnb_csv_opts_keep_missing(o, "a"));
    nnbt_ok(nnb_csv_opts_set_drop_bad_rows(o, 1));
    t = parse_with("a,b\n,1\n2,\n3,x\n4,5\n", o);
    ck_assert_uint_eq(nnb_table_n_rows(t), 2);
    ck_assert_uint_eq(nnb_table_n_dropped_rows(t), 2);
    ck_assert_uint_eq(nnb_table_row_line(t, 0), 2);
    nnb_table_free(t);
}
END_TEST

START_TEST(decimal_commas) {
    const char *text = "price;qty;name\n17,99;3;a\n-0,5;1e2;b\n1,25e1;4;c\n";
    char d = 0, m = 0;
    nnbt_ok(nnb_csv_detect_delimiter_buffer(text, strlen(text), &d));
    nnbt_ok(nnb_csv_detect_decimal_buffer(text, strlen(text), d, &m));
    ck_assert(d == ';' && m == ',');
    nnb_csv_opts *o = nnbt_text_columns("name");
    nnbt_ok(nnb_csv_opts_set_delimiter(o, ';'));
    nnb_table *t;
    nnbt_expect(nnb_csv_read_buffer(&t, text, strlen(text), "eu.csv", o), NNB_E_FORMAT,
                "eu.csv:2:1: expected a number in column 'price', found '17,99'");
    char mark = 0;
    nnbt_ok(nnb_csv_opts_get_decimal(o, &mark));
    ck_assert_int_eq(mark, '.'); /* the default */
    nnbt_ok(nnb_csv_opts_set_decimal(o, ','));
    nnbt_ok(nnb_csv_opts_get_decimal(o, &mark));
    ck_assert_int_eq(mark, ',');
    nnbt_expect(nnb_csv_opts_get_decimal(NULL, &mark), NNB_E_NULL, "");
    t = nnbt_parse(text, strlen(text), o);
    double v[3];
    nnbt_ok(nnb_table_get_column(t, 0, v, 3));
    ck_assert(v[0] == 17.99 && v[1] == -0.5 && v[2] == 12.5);
    nnbt_ok(nnb_table_get_column(t, 1, v, 3));
    ck_assert(v[0] == 3 && v[1] == 100 && v[2] == 4);
    nnb_table_free(t);
    nnb_csv_opts_free(o);
    nnbt_ok(nnb_csv_opts_create(&o));
    nnbt_ok(nnb_csv_opts_set_delimiter(o, ';'));
    nnbt_ok(nnb_csv_opts_set_decimal(o, ','));
    /* a '.' or a second ',' is a thousands separator: refused, never guessed */
    const char *bad = "x;y\n1.234,5;1\n";
    nnbt_expect(nnb_csv_read_buffer(&t, bad, strlen(bad), "eu.csv", o), NNB_E_FORMAT, "'1.234,5'");
    const char *bad2 = "x;y\n1,234,5;1\n";
    nnbt_expect(nnb_csv_read_buffer(&t, bad2, strlen(bad2), "eu.csv", o), NNB_E_FORMAT,
                "'1,234,5'");
    /* the mark and the delimiter may be the same (quoted numbers: messages_say_what_...) */
    nnbt_ok(nnb_csv_opts_set_delimiter(o, ','));
    nnbt_expect(nnb_csv_opts_set_decimal(o, 'x'), NNB_E_INVALID_ARG, "'.' or ','");
    nnb_csv_opts_free(o);
    /* detection: points anywhere, a comma delimiter, quoted fields or whole numbers say '.' */
    const struct {
        const char *text;
        char delim, want;
    } cases[] = {{"a;b\n1,5;2.5\n", ';', '.'},       {"a,b\n1,5\n", ',', '.'},
                 {"a;b\n\"1,5\";2\n", ';', '.'},     {"a;b\n1;2\n", ';', '.'},
                 {"a\tb\r\n3,25\t4\r\n", '\t', ','}, {"a;b\n1;2\nx,y;0,5\n", ';', ','},
                 {"a,5;b\n1;2\n", ';', '.'}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        nnbt_ok(nnb_csv_detect_decimal_buffer(cases[i].text, strlen(cases[i].text), cases[i].delim,
                                              &m));
        ck_assert_msg(m == cases[i].want, "case %zu: '%c'", i, m);
    }
    ck_assert_int_eq(nnb_csv_detect_decimal_buffer(NULL, 0, ';', &m), NNB_E_NULL);
}
END_TEST

/* x (3 missing of 8), a one-hot colour (2 missing), a target y. */
static const char *const DATA = "x,colour,y\n"
                                "1,red,0\n"
                                "NA,blue,1\n"
                                "4,,0\n"
                                "2,red,1\n"
                                ",blue,0\n"
                                "10,red,1\n"
                                "2,,0\n"
                                "null,green,1\n";

static nnb_prep *fitted(nnb_fill how, nnb_scale scale) {
    nnb_table *t = parse_with(DATA, keep_all("colour"));
    nnb_prep *p;
    nnbt_ok(nnb_prep_create(&p));
    nnbt_ok(nnb_prep_add_target(p, "y", NNB_TARGET_VALUES));
    nnbt_ok(nnb_prep_onehot(p, "colour"));
    nnbt_ok(nnb_prep_scale(p, "x", scale));
    nnbt_ok(nnb_prep_fill(p, NULL, how));
    nnbt_ok(nnb_prep_fit(p, t, NULL, nnb_table_n_rows(t)));
    nnb_table_free(t);
    return p;
}

/* The exporters fill missing cells as the preparation does: the ONNX graph with
 * Where(IsNaN(x), fill, x), the C source with its fill table (tests/export_check.py runs both). */
START_TEST(exports_fill) {
    nnb_prep *p = fitted(NNB_FILL_MEAN, NNB_SCALE_STANDARD);
    nnb_net *net;
    nnbt_ok(nnb_net_create(&net, nnb_prep_n_features(p)));
    nnbt_ok(nnb_net_add_dense(net, 1, NNB_ACT_SIGMOID, 1));
    nnbt_ok(nnb_net_init(net, NNB_INIT_XAVIER_UNIFORM, 1));
    const char *onnx = nnbt_tmp("filled.onnx"), *c = nnbt_tmp("filled.c");
    nnbt_ok(nnb_onnx_write(onnx, net, p, NULL, NULL));
    nnbt_ok(nnb_c_source_write(c, NULL, net, p, NULL, NULL));
    size_t n_onnx, n_c;
    char *g = nnbt_read_file(onnx, &n_onnx), *src = nnbt_read_file(c, &n_c);
    ck_assert_ptr_nonnull(g);
    ck_assert_ptr_nonnull(src);
    int isnan_op = 0;
    for (size_t i = 0; i + 5 <= n_onnx; i++) isnan_op |= memcmp(g + i, "IsNaN", 5) == 0;
    ck_assert(isnan_op);
    /* x's fill is its mean, 3.8; colour's its most frequent category, red: index 2 of blue, green,
     * red */
    ck_assert_msg(
        strstr(src, "static const double model_fill[2] = {\n    3.7999999999999998, 2.0\n"),
        "%.200s", strstr(src, "model_fills") ? strstr(src, "model_fills") : "no fill table");
    free(g);
    free(src);
    nnb_net_free(net);
    nnb_prep_free(p);
}
END_TEST

START_TEST(fills_fitted) {
    /* present x: 1 4 2 10 2 -> mean 3.8, median 2, most frequent 2; colour: red 3, blue 2 */
    const struct {
        nnb_fill how;
        double value;
    } cases[] = {{NNB_FILL_MEAN, 19.0 / 5}, {NNB_FILL_MEDIAN, 2}, {NNB_FILL_MOST_FREQUENT, 2}};
    for (int k = 0; k < 3; k++) {
        nnb_prep *p = fitted(cases[k].how, NNB_SCALE_NONE);
        nnb_fill how;
        double v;
        const char *cat;
        nnbt_ok(nnb_prep_column_fill(p, "x", &how, &v, &cat));
        ck_assert(how == cases[k].how && v == cases[k].value && cat == NULL);
        nnbt_ok(nnb_prep_column_fill(p, "colour", &how, &v, &cat));
        ck_assert(how == NNB_FILL_MOST_FREQUENT && isnan(v) && strcmp(cat, "red") == 0);
        nnbt_ok(nnb_prep_column_fill(p, "y", &how, NULL, NULL));
        ck_assert(how == NNB_FILL_NONE);
        nnb_table *t = parse_with(DATA, keep_all("colour"));
        double X[8 * 4], Y[8]; /* x, colour_blue, colour_green, colour_red */
        nnbt_ok(nnb_prep_apply(p, t, NULL, 8, X, 32, Y, 8));
        const double xs[8] = {1, NAN, 4, 2, NAN, 10, 2, NAN};
        for (int r = 0; r < 8; r++) ck_assert(X[4 * r] == (isnan(xs[r]) ? cases[k].value : xs[r]));
        ck_assert(X[4 * 2 + 3] == 1 && X[4 * 2 + 1] == 0 && X[4 * 6 + 3] == 1); /* filled: red */
        ck_assert(X[4 * 7 + 2] == 1);
        nnb_table_free(t);
        nnb_prep_free(p);
    }
    /* median of an even count: the middle two's mean; the smallest of tied most frequent */
    nnb_table *t = parse_with("v,y\n4,0\n1,1\n,0\n3,1\n1,0\n3,1\n", keep_all(""));
    nnb_prep *p;
    for (int k = 0; k < 2; k++) {
        nnbt_ok(nnb_prep_create(&p));
        nnbt_ok(nnb_prep_add_target(p, "y", NNB_TARGET_VALUES));
        nnbt_ok(nnb_prep_fill(p, "v", k ? NNB_FILL_MOST_FREQUENT : NNB_FILL_MEDIAN));
        nnbt_ok(nnb_prep_fit(p, t, NULL, 6));
        double v;
        nnbt_ok(nnb_prep_column_fill(p, "v", NULL, &v, NULL));
        ck_assert(v == (k ? 1 : 3)); /* 1 1 3 3 4: median 3; 1 and 3 tie, 1 is smaller */
        nnb_prep_free(p);
    }
    nnb_table_free(t);
}
END_TEST

/* Scaling after filling: the mean and deviation include the filled cells (SimpleImputer, then a
 * scaler), and the fill is fitted on the training rows only. */
START_TEST(scaled_after_filling_on_training_rows) {
    nnb_table *t = parse_with(DATA, keep_all("colour"));
    nnb_prep *p;
    nnbt_ok(nnb_prep_create(&p));
    nnbt_ok(nnb_prep_add_target(p, "y", NNB_TARGET_VALUES));
    nnbt_ok(nnb_prep_drop(p, "colour"));
    nnbt_ok(nnb_prep_scale(p, "x", NNB_SCALE_STANDARD));
    nnbt_ok(nnb_prep_fill(p, "x", NNB_FILL_MEAN));
    size_t train[4] = {0, 1, 2, 5}; /* x: 1, NA, 4, 10 -> fill 5 */
    nnbt_ok(nnb_prep_fit(p, t, train, 4));
    double v, a, b;
    nnbt_ok(nnb_prep_column_fill(p, "x", NULL, &v, NULL));
    ck_assert(v == 5);
    nnbt_ok(nnb_prep_column_stats(p, "x", NULL, &a, &b, NULL));
    /* 1 5 4 10: mean 5, sample sd sqrt((16 + 0 + 1 + 25) / 3) */
    ck_assert(a == 5);
    nnbt_assert_rel(b, sqrt(42.0 / 3), 1e-15);
    double X[8], Y[8];
    nnbt_ok(nnb_prep_apply(p, t, NULL, 8, X, 8, Y, 8));
    ck_assert(X[4] == 0 && X[7] == 0); /* rows 4 and 7 missing: the fill, centred */
    nnb_prep_free(p);
    /* no fill: the missing cell is an error naming file, line and column */
    nnbt_ok(nnb_prep_create(&p));
    nnbt_ok(nnb_prep_add_target(p, "y", NNB_TARGET_VALUES));
    nnbt_ok(nnb_prep_drop(p, "colour"));
    nnbt_expect(nnb_prep_fit(p, t, NULL, 8), NNB_E_FORMAT,
                "data.csv:3:1: missing value in "
                "column 'x', which the preparation does not fill (nnb_prep_fill)");
    nnbt_ok(nnb_prep_fit(p, t, train + 2, 1)); /* row 2 only: nothing missing */
    nnbt_expect(nnb_prep_apply(p, t, NULL, 8, X, 8, Y, 8), NNB_E_FORMAT, "data.csv:3:1:");
    nnb_prep_free(p);
    nnb_table_free(t);
}
END_TEST

START_TEST(fill_errors) {
    nnb_table *t = parse_with("a,y\n,1\nNA,2\n,3\n", keep_all(""));
    nnb_prep *p;
    nnbt_ok(nnb_prep_create(&p));
    nnbt_expect(nnb_prep_fill(NULL, "a", NNB_FILL_MEAN), NNB_E_NULL, "");
    nnbt_expect(nnb_prep_fill(p, "a", (nnb_fill)9), NNB_E_INVALID_ARG, "unknown fill");
    nnbt_ok(nnb_prep_add_target(p, "y", NNB_TARGET_VALUES));
    nnbt_expect(nnb_prep_fill(p, "y", NNB_FILL_MEAN), NNB_E_INVALID_ARG, "targets are not filled");
    nnbt_ok(nnb_prep_fill(p, "a", NNB_FILL_MEDIAN));
    nnbt_expect(nnb_prep_drop(p, "a"), NNB_E_INVALID_ARG, "already filled");
    nnbt_expect(nnb_prep_add_target(p, "a", NNB_TARGET_VALUES), NNB_E_INVALID_ARG, "filled");
    nnbt_expect(nnb_prep_fit(p, t, NULL, 3), NNB_E_INVALID_ARG,
                "every cell of the rows fitted on is missing (a column without values says "
                "nothing: drop it)");
    ck_assert(!nnb_prep_is_fitted(p));
    nnb_prep_free(p);
    nnb_table_free(t);
    /* a missing target is refused, filled or not */
    t = parse_with("a,y\n1,\n2,1\n", keep_all(""));
    nnbt_ok(nnb_prep_create(&p));
    nnbt_ok(nnb_prep_add_target(p, "y", NNB_TARGET_VALUES));
    nnbt_ok(nnb_prep_fill(p, NULL, NNB_FILL_MEAN));
    nnbt_expect(nnb_prep_fit(p, t, NULL, 2), NNB_E_FORMAT, "a target: rows without a target");
    nnb_prep_free(p);
    nnb_table_free(t);
    nnb_fill f;
    nnbt_ok(nnb_fill_parse("most-frequent", &f));
    ck_assert(f == NNB_FILL_MOST_FREQUENT);
    nnbt_ok(nnb_fill_parse("Mode", &f));
    ck_assert(f == NNB_FILL_MOST_FREQUENT);
    ck_assert_str_eq(nnb_fill_name(NNB_FILL_MEDIAN), "median");
    ck_assert_uint_eq(nnb_fill_n_values(), 4);
    nnbt_expect(nnb_fill_parse("meen", &f), NNB_E_INVALID_ARG, "did you mean 'mean'");
}
END_TEST

/* Model files: the fills survive a save and a load (format 1.2, FILL essential); a preparation
 * without fills writes the file as before (1.0). */
START_TEST(fills_in_model_files) {
    nnb_prep *p = fitted(NNB_FILL_MEDIAN, NNB_SCALE_STANDARD);
    nnb_net *net;
    nnbt_ok(nnb_net_create(&net, 4));
    nnbt_ok(nnb_net_add_dense(net, 1, NNB_ACT_IDENTITY, 1));
    unsigned char none[1];
    size_t need = 0;
    ck_assert_int_eq(nnb_model_write_buffer(net, p, NULL, 0, none, 0, &need), NNB_E_SHAPE);
    unsigned char *buf = malloc(need);
    nnbt_ok(nnb_model_write_buffer(net, p, NULL, 0, buf, need, &need));
    ck_assert(buf[8] == 1 && buf[9] == 0 && buf[10] == 2 && buf[11] == 0); /* version 1.2 */
    int found = 0;
    for (size_t i = 32; i + 8 < need; i++)
        if (memcmp(buf + i, "FILL", 4) == 0) found = buf[i + 4] & 1; /* the essential flag */
    ck_assert_msg(found, "no essential FILL section");
    nnb_net *back;
    nnb_prep *p2;
    nnbt_ok(nnb_model_read_buffer(&back, &p2, NULL, buf, need));
    nnb_fill how;
    double v;
    const char *cat;
    nnbt_ok(nnb_prep_column_fill(p2, "x", &how, &v, &cat));
    ck_assert(how == NNB_FILL_MEDIAN && v == 2);
    nnbt_ok(nnb_prep_column_fill(p2, "colour", &how, NULL, &cat));
    ck_assert(how == NNB_FILL_MOST_FREQUENT && strcmp(cat, "red") == 0);
    /* a damaged fill is refused: the category index past the categories */
    unsigned char *bad = malloc(need);
    memcpy(bad, buf, need);
    size_t fill_at = 0;
    for (size_t i = 32; i + 8 < need; i++)
        if (memcmp(bad + i, "FILL", 4) == 0) fill_at = i + 16;
    bad[fill_at + 8 + 24 + 16] = 7; /* colour's category index: 7 of 3 */
    nnbt_fix_crc(bad, need);
    nnb_net *n3;
    nnbt_expect(nnb_model_read_buffer(&n3, NULL, NULL, bad, need), NNB_E_FORMAT, "colour");
    free(bad);
    nnb_prep_free(p2);
    nnb_net_free(back);
    free(buf);
    nnb_prep_free(p);
    /* no fill: version 1.0 and no FILL section */
    nnb_table *t = nnbt_parse("x,y\n1,2\n3,4\n", 12, NULL);
    nnbt_ok(nnb_prep_create(&p));
    nnbt_ok(nnb_prep_add_target(p, "y", NNB_TARGET_VALUES));
    nnbt_ok(nnb_prep_fit(p, t, NULL, 2));
    nnb_net *n1;
    nnbt_ok(nnb_net_create(&n1, 1));
    nnbt_ok(nnb_net_add_dense(n1, 1, NNB_ACT_IDENTITY, 1));
    ck_assert_int_eq(nnb_model_write_buffer(n1, p, NULL, 0, none, 0, &need), NNB_E_SHAPE);
    buf = malloc(need);
    nnbt_ok(nnb_model_write_buffer(n1, p, NULL, 0, buf, need, &need));
    ck_assert(buf[10] == 0);
    for (size_t i = 32; i + 4 < need; i++) ck_assert(memcmp(buf + i, "FILL", 4) != 0);
    free(buf);
    nnb_net_free(n1);
    nnb_prep_free(p);
    nnb_table_free(t);
    nnb_net_free(net);
}
END_TEST

/* A matrix preparation fills NaN cells (infinities are still refused), on the fitted rows. */
START_TEST(matrix_fills) {
    double x[4 * 2] = {1, NAN, 3, 5, NAN, 7, 2, 9}; /* x0: 1 3 NaN 2, x1: NaN 5 7 9 */
    nnb_prep *p;
    nnbt_ok(nnb_prep_create(&p));
    nnbt_expect(nnb_prep_fit_matrix(p, x, 4, 2, NNB_SCALE_NONE), NNB_E_NONFINITE, "nnb_prep_fill");
    nnbt_ok(nnb_prep_fill(p, NULL, NNB_FILL_MEAN));
    nnbt_ok(nnb_prep_fit_matrix(p, x, 4, 2, NNB_SCALE_NONE));
    double v;
    nnbt_ok(nnb_prep_column_fill(p, "x0", NULL, &v, NULL));
    ck_assert(v == 2);
    nnbt_ok(nnb_prep_column_fill(p, "x1", NULL, &v, NULL));
    ck_assert(v == 7);
    double y[2] = {NAN, NAN};
    nnbt_ok(nnb_prep_transform(p, y, 1, 2));
    ck_assert(y[0] == 2 && y[1] == 7);
    float f[2] = {NAN, 1};
    nnbt_ok(nnb_prep_transform_f32(p, f, 1, 2));
    ck_assert(f[0] == 2 && f[1] == 1);
    x[0] = INFINITY;
    nnbt_expect(nnb_prep_fit_matrix(p, x, 4, 2, NNB_SCALE_NONE), NNB_E_NONFINITE, "x[0][0]");
    nnb_prep_free(p);
}
END_TEST

/* A number column that is not one: the message says what the rest of the column holds. */
START_TEST(messages_say_what_the_column_holds) {
    nnb_table *t;
    const char *dates = "a,when\n1,2024-01-05\n2,2024-02-01\n3,2024-03-09\n";
    nnbt_expect(nnb_csv_read_buffer(&t, dates, strlen(dates), "d.csv", NULL), NNB_E_FORMAT,
                "d.csv:2:2: expected a number in column 'when', found '2024-01-05' (column 'when' "
                "holds text: 3 of 3 cells are not numbers)");
    /* every column that holds text is named, not only the first one met */
    const char *many = "a,when,b,c,d,e,f,g,h,i,j,k,l\n1,x,x,x,x,x,x,x,x,x,x,x,x\n"
                       "2,y,y,y,y,y,y,y,y,y,y,y,y\n";
    nnbt_expect(nnb_csv_read_buffer(&t, many, strlen(many), "m.csv", NULL), NNB_E_FORMAT,
                "(column 'when' holds text: 2 of 2 cells are not numbers; so do 'b', 'c', 'd', "
                "'e', 'f', 'g', 'h', 'i' and 3 more)");
    const char *two = "when,a,b\nx,1,y\nz,2,w\n";
    nnbt_expect(nnb_csv_read_buffer(&t, two, strlen(two), "t.csv", NULL), NNB_E_FORMAT,
                "holds text: 2 of 2 cells are not numbers; so do 'b')");
    const char *quoted = "a,name\n1,\"Smith, J.\"\n2,\"Doe\"\n3,4\n";
    nnbt_expect(nnb_csv_read_buffer(&t, quoted, strlen(quoted), "q.csv", NULL), NNB_E_FORMAT,
                "(column 'name' holds text: 2 of 3 cells are not numbers)");
    const char *typos = "a,b\n1,2\n2,x\n3,4\n4,5\n5,?\n6,7\n";
    nnbt_expect(nnb_csv_read_buffer(&t, typos, strlen(typos), "t.csv", NULL), NNB_E_FORMAT,
                "found 'x' (2 of 6 cells of column 'b' are not numbers)");
    const char *eu = "a;b\n1;2\n2;17,99\n";
    nnb_csv_opts *o;
    nnbt_ok(nnb_csv_opts_create(&o));
    nnbt_ok(nnb_csv_opts_set_delimiter(o, ';'));
    nnbt_expect(nnb_csv_read_buffer(&t, eu, strlen(eu), "eu.csv", o), NNB_E_FORMAT,
                "found '17,99' (a decimal comma: read the file with the decimal mark ',')");
    /* in a comma-separated file the decimal commas are quoted: the hint holds there too, and the
     * mark ',' reads them (the delimiter and the mark may be the same character) */
    const char *sheet = "a,b\n1,\"2,5\"\n2,\"17,99\"\n";
    nnbt_ok(nnb_csv_opts_set_delimiter(o, ','));
    nnbt_expect(nnb_csv_read_buffer(&t, sheet, strlen(sheet), "s.csv", o), NNB_E_FORMAT,
                "found '2,5' (a decimal comma: read the file with the decimal mark ',')");
    nnbt_ok(nnb_csv_opts_set_decimal(o, ','));
    nnbt_ok(nnb_csv_opts_set_delimiter(o, ','));
    nnbt_ok(nnb_csv_read_buffer(&t, sheet, strlen(sheet), "s.csv", o));
    double b[2];
    nnbt_ok(nnb_table_get_column(t, 1, b, 2));
    ck_assert(b[0] == 2.5 && b[1] == 17.99);
    nnb_table_free(t);
    const char *unquoted = "a,b\n1,2,5\n";
    nnbt_expect(nnb_csv_read_buffer(&t, unquoted, strlen(unquoted), "u.csv", o), NNB_E_FORMAT,
                "u.csv:2");
    nnb_csv_opts_free(o);
}
END_TEST

/* Categories the training rows lack: counted (cells, rows), missing cells not among them. */
START_TEST(unseen_counted) {
    nnb_table *t =
        parse_with("c,d,y\nred,1,0\nblue,2,1\ngreen,3,0\n,9,1\npink,7,0\n", keep_all("c"));
    nnb_prep *p;
    nnbt_ok(nnb_prep_create(&p));
    nnbt_ok(nnb_prep_add_target(p, "y", NNB_TARGET_VALUES));
    nnbt_ok(nnb_prep_onehot(p, "c"));
    nnbt_ok(nnb_prep_onehot(p, "d"));
    nnbt_ok(nnb_prep_fill(p, NULL, NNB_FILL_MOST_FREQUENT));
    nnbt_ok(nnb_prep_set_unseen(p, NNB_UNSEEN_ZERO));
    size_t train[2] = {0, 1}, cells = 9, hit = 9;
    nnbt_ok(nnb_prep_fit(p, t, train, 2));
    nnbt_ok(nnb_prep_n_unseen(p, t, NULL, 5, &cells, &hit));
    ck_assert_uint_eq(cells, 5); /* green 3, 9 (row 3's c is missing), pink 7 */
    ck_assert_uint_eq(hit, 3);
    nnbt_ok(nnb_prep_n_unseen(p, t, train, 2, &cells, NULL));
    ck_assert_uint_eq(cells, 0);
    double X[5 * 4];
    nnbt_ok(nnb_prep_apply(p, t, NULL, 5, X, 20, NULL, 0));
    for (int k = 0; k < 4; k++) ck_assert(X[2 * 4 + k] == 0); /* row 2: unseen in both: zeros */
    size_t bad[1] = {7};
    nnbt_expect(nnb_prep_n_unseen(p, t, bad, 1, &cells, &hit), NNB_E_INVALID_ARG, "rows[0]");
    nnb_prep_free(p);
    nnb_table_free(t);
}
END_TEST

static Suite *missing_suite(void) {
    Suite *s = suite_create("missing");
    TCase *tc = tcase_create("missing");
    tcase_set_timeout(tc, 0); /* no time limit of its own: meson's timeout is the only one */
    tcase_add_test(tc, reader_keeps_missing_cells);
    tcase_add_test(tc, decimal_commas);
    tcase_add_test(tc, messages_say_what_the_column_holds);
    tcase_add_test(tc, fills_fitted);
    tcase_add_test(tc, exports_fill);
    tcase_add_test(tc, scaled_after_filling_on_training_rows);
    tcase_add_test(tc, fill_errors);
    tcase_add_test(tc, fills_in_model_files);
    tcase_add_test(tc, matrix_fills);
    tcase_add_test(tc, unseen_counted);
    suite_add_tcase(s, tc);
    return s;
}

NNBT_MAIN(missing_suite, 0)
