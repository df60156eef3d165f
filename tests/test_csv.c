/* The CSV reader: line endings, quoting, BOM, delimiters, text and skipped columns, dropped rows,
 * malformed input, exact numbers, locales, file errors and the memory check. */
#include <locale.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "nnb_test.h"

static nnb_table *parse_opts(const char *text, size_t len, const nnb_csv_opts *o) {
    return nnbt_parse(text, len, o);
}

static nnb_table *parse(const char *text) { return parse_opts(text, strlen(text), NULL); }

/* Parsing fails with `want` and a message containing `msg`. */
static void parse_fails_opts(const char *text, size_t len, const nnb_csv_opts *o, nnb_status want,
                             const char *msg) {
    nnb_table *t = (nnb_table *)&t; /* must be set to NULL */
    nnb_status st = nnb_csv_read_buffer(&t, text, len, "data.csv", o);
    ck_assert_msg(st == want, "parsing %.60s gave %s (%s), expected %s", text, nnb_status_name(st),
                  nnb_last_error(), nnb_status_name(want));
    ck_assert_ptr_null(t);
    ck_assert_msg(strstr(nnb_last_error(), msg) != NULL, "message '%s' lacks '%s'",
                  nnb_last_error(), msg);
}

static void parse_fails(const char *text, nnb_status want, const char *msg) {
    parse_fails_opts(text, strlen(text), NULL, want, msg);
}

static double col_value(const nnb_table *t, size_t col, size_t row) {
    size_t n = nnb_table_n_rows(t);
    double *v = malloc(n * sizeof *v);
    nnbt_ok(nnb_table_get_column(t, col, v, n));
    double r = v[row];
    free(v);
    return r;
}

START_TEST(basic) {
    nnb_table *t = parse("a,b,c\n1,2.5,-3e2\n4,0.1,.5\n");
    ck_assert_uint_eq(nnb_table_n_rows(t), 2);
    ck_assert_uint_eq(nnb_table_n_columns(t), 3);
    ck_assert_str_eq(nnb_table_column_name(t, 0), "a");
    ck_assert_str_eq(nnb_table_column_name(t, 2), "c");
    ck_assert_ptr_null(nnb_table_column_name(t, 3));
    double b[2];
    nnbt_ok(nnb_table_get_column(t, 1, b, 2));
    ck_assert(b[0] == 2.5 && b[1] == 0.1);
    ck_assert(col_value(t, 2, 0) == -300.0 && col_value(t, 2, 1) == 0.5);
    size_t col;
    nnbt_ok(nnb_table_find_column(t, "c", &col));
    ck_assert_uint_eq(col, 2);
    ck_assert_int_eq(nnb_table_find_column(t, "zz", &col), NNB_E_INVALID_ARG);
    ck_assert_msg(strstr(nnb_last_error(), "columns: a, b, c"), "%s", nnb_last_error());
    ck_assert_int_eq(nnb_table_get_column(t, 1, b, 1), NNB_E_SHAPE);
    ck_assert_int_eq(nnb_table_get_column(t, 9, b, 2), NNB_E_INVALID_ARG);
    ck_assert_uint_eq(nnb_table_row_line(t, 0), 2);
    ck_assert_uint_eq(nnb_table_row_line(t, 1), 3);
    ck_assert_uint_eq(nnb_table_n_dropped_rows(t), 0);
    nnb_table_free(t);
    nnb_table_free(NULL);
    ck_assert_uint_eq(nnb_table_n_rows(NULL), 0);
}
END_TEST

/* The same data with every kind of line ending gives the same table and line numbers. */
START_TEST(line_endings) {
    const char *variants[] = {
        "x,y\n1,2\n3,4\n5,6\n",
        "x,y\r\n1,2\r\n3,4\r\n5,6\r\n",
        "x,y\r1,2\r3,4\r5,6\r",
        "x,y\n1,2\r3,4\r\n5,6",     /* mixed, no final line break */
        "x,y\n1,2\r3,4\r5,6\r\n\n", /* the admissions file as first published, + blank line */
        "\xEF\xBB\xBFx,y\r\n1,2\r\n3,4\n5,6\r",
    };
    for (size_t v = 0; v < sizeof variants / sizeof variants[0]; v++) {
        nnb_table *t = parse(variants[v]);
        ck_assert_uint_eq(nnb_table_n_rows(t), 3);
        ck_assert_str_eq(nnb_table_column_name(t, 0), "x");
        for (size_t r = 0; r < 3; r++) {
            ck_assert(col_value(t, 0, r) == 2.0 * (double)r + 1);
            ck_assert(col_value(t, 1, r) == 2.0 * (double)r + 2);
            ck_assert_uint_eq(nnb_table_row_line(t, r), r + 2);
        }
        nnb_table_free(t);
    }
}
END_TEST

START_TEST(blank_lines_and_bom) {
    nnb_table *t = parse("\xEF\xBB\xBF"
                         "a\n\n1\n\r\n\r2\n\n\n");
    ck_assert_str_eq(nnb_table_column_name(t, 0), "a");
    ck_assert_uint_eq(nnb_table_n_rows(t), 2);
    ck_assert(col_value(t, 0, 1) == 2.0);
    ck_assert_uint_eq(nnb_table_row_line(t, 0), 3);
    ck_assert_uint_eq(nnb_table_row_line(t, 1), 6);
    nnb_table_free(t);
}
END_TEST

START_TEST(quoting) {
    nnb_csv_opts *o = nnbt_text_columns("name");
    char text[256] = "\"num\",name,\"z\"\n"
                     "\"1.5\",\"Smith, John\",1\n"
                     "2,\"say \"\"hi\"\"\",2\n"
                     "3,\"two\nlines\",3\n"
                     "4,\"crlf\r\ninside\",4\n"
                     "5,\"\"\"\",5\n"
                     "6,plain,";
    /* with a last cell that is not a number, the line counts the breaks inside quotes */
    size_t len = strlen(text);
    strcpy(text + len, "x\n");
    parse_fails_opts(text, strlen(text), o, NNB_E_FORMAT, "data.csv:9:3:");
    strcpy(text + len, "\"6\"\n");
    nnb_table *t = parse_opts(text, strlen(text), o);
    ck_assert_uint_eq(nnb_table_n_rows(t), 6);
    ck_assert_str_eq(nnb_table_column_name(t, 0), "num");
    ck_assert(nnb_table_column_is_text(t, 1) && !nnb_table_column_is_text(t, 0));
    ck_assert(col_value(t, 0, 0) == 1.5);
    ck_assert_str_eq(nnb_table_get_text(t, 0, 1), "Smith, John");
    ck_assert_str_eq(nnb_table_get_text(t, 1, 1), "say \"hi\"");
    ck_assert_str_eq(nnb_table_get_text(t, 2, 1), "two\nlines");
    ck_assert_str_eq(nnb_table_get_text(t, 3, 1), "crlf\r\ninside");
    ck_assert_str_eq(nnb_table_get_text(t, 4, 1), "\"");
    ck_assert_str_eq(nnb_table_get_text(t, 5, 1), "plain");
    ck_assert_ptr_null(nnb_table_get_text(t, 0, 0)); /* numeric column */
    ck_assert_ptr_null(nnb_table_get_text(t, 6, 1));
    ck_assert(col_value(t, 2, 5) == 6.0);
    ck_assert_uint_eq(nnb_table_row_line(t, 2), 4);
    ck_assert_uint_eq(nnb_table_row_line(t, 3), 6);
    ck_assert_uint_eq(nnb_table_row_line(t, 4), 8);
    ck_assert_uint_eq(nnb_table_row_line(t, 5), 9);
    nnb_table_free(t);
    nnb_csv_opts_free(o);
}
END_TEST

START_TEST(delimiters) {
    nnb_csv_opts *o;
    nnbt_ok(nnb_csv_opts_create(&o));
    nnbt_ok(nnb_csv_opts_set_delimiter(o, ';'));
    const char *semi = "a;b\n3.61;\"x;y\"\n";
    nnbt_ok(nnb_csv_opts_add_text_column(o, "b"));
    nnb_table *t = parse_opts(semi, strlen(semi), o);
    ck_assert(col_value(t, 0, 0) == 3.61);
    ck_assert_str_eq(nnb_table_get_text(t, 0, 1), "x;y");
    nnb_table_free(t);
    /* a comma decimal is not a number, whatever the delimiter */
    const char *comma = "a;b\n3,61;z\n";
    parse_fails_opts(comma, strlen(comma), o, NNB_E_FORMAT, "data.csv:2:1: expected a number");
    nnbt_ok(nnb_csv_opts_set_delimiter(o, '\t'));
    const char *tab = "a\tb\n1\t2 words\n";
    t = parse_opts(tab, strlen(tab), o);
    ck_assert_str_eq(nnb_table_get_text(t, 0, 1), "2 words");
    nnb_table_free(t);
    ck_assert_int_eq(nnb_csv_opts_set_delimiter(o, '"'), NNB_E_INVALID_ARG);
    ck_assert_int_eq(nnb_csv_opts_set_delimiter(o, '\n'), NNB_E_INVALID_ARG);
    ck_assert_int_eq(nnb_csv_opts_set_delimiter(NULL, ','), NNB_E_NULL);
    nnb_csv_opts_free(o);
    nnb_csv_opts_free(NULL);
}
END_TEST

START_TEST(text_and_skip) {
    nnb_csv_opts *o = nnbt_text_columns("colour");
    nnbt_ok(nnb_csv_opts_skip_column(o, "id"));
    const char *text = "id,colour,v\nA-1,red,1\nB-2,green,2\n";
    nnb_table *t = parse_opts(text, strlen(text), o);
    ck_assert_uint_eq(nnb_table_n_columns(t), 2);
    ck_assert_str_eq(nnb_table_column_name(t, 0), "colour");
    ck_assert_str_eq(nnb_table_get_text(t, 1, 0), "green");
    ck_assert(col_value(t, 1, 1) == 2.0);
    nnb_table_free(t);
    /* without the skip, the id column is an error naming it */
    nnb_csv_opts *o2 = nnbt_text_columns("colour");
    parse_fails_opts(text, strlen(text), o2, NNB_E_FORMAT,
                     "data.csv:2:1: expected a number in column 'id', found 'A-1'");
    nnbt_ok(nnb_csv_opts_add_text_column(o2, "nope"));
    parse_fails_opts(text, strlen(text), o2, NNB_E_INVALID_ARG, "no column 'nope'");
    nnb_csv_opts_free(o);
    nnb_csv_opts_free(o2);
}
END_TEST

START_TEST(missing_and_dropped) {
    parse_fails("a,b\n1,2\n3,\n", NNB_E_FORMAT, "data.csv:3:2: missing value in column 'b'");
    parse_fails("a,b\n1,2\nNA,4\n", NNB_E_FORMAT, "data.csv:3:1: missing value");
    nnb_csv_opts *o = nnbt_text_columns("c");
    nnbt_ok(nnb_csv_opts_set_drop_bad_rows(o, 1));
    const char *text = "a,b,c\n1,2,x\n3,,y\nabc,5,z\n7,8,\n9,1e999,w\n10,11,v\n";
    nnb_table *t = parse_opts(text, strlen(text), o);
    ck_assert_uint_eq(nnb_table_n_rows(t), 2);
    ck_assert_uint_eq(nnb_table_n_dropped_rows(t), 4);
    ck_assert(col_value(t, 0, 0) == 1.0 && col_value(t, 0, 1) == 10.0);
    ck_assert_str_eq(nnb_table_get_text(t, 1, 2), "v");
    ck_assert_uint_eq(nnb_table_row_line(t, 1), 7);
    nnb_table_free(t);
    const char *all_bad = "a,c\nx,p\ny,q\n";
    parse_fails_opts(all_bad, strlen(all_bad), o, NNB_E_FORMAT, "all 2 rows");
    ck_assert_int_eq(nnb_csv_opts_set_drop_bad_rows(o, 2), NNB_E_INVALID_ARG);
    nnb_csv_opts_free(o);
}
END_TEST

START_TEST(malformed) {
    parse_fails("a,b\n1,\"2\n3,4\n", NNB_E_FORMAT, "data.csv:2:2: unterminated quoted field");
    parse_fails("a,b\n1,2\n3\n", NNB_E_FORMAT,
                "data.csv:3:2: the row has 1 fields, the header has 2");
    parse_fails("a,b\n1,2\n3,4,5\n", NNB_E_FORMAT, "data.csv:3:3: the row has 3 fields");
    parse_fails("", NNB_E_FORMAT, "data.csv: empty file");
    parse_fails("\xEF\xBB\xBF\r\n\n", NNB_E_FORMAT, "data.csv: empty file");
    parse_fails("a,b\n", NNB_E_FORMAT, "data.csv:2: no data rows");
    parse_fails("a,b\r\n\r\n", NNB_E_FORMAT, "no data rows");
    parse_fails("a,b\n1,2\n3.61abc,4\n", NNB_E_FORMAT,
                "data.csv:3:1: expected a number in column 'a', found '3.61abc'");
    parse_fails("a,b\n1,2x\n", NNB_E_FORMAT, "data.csv:2:2: expected a number");
    parse_fails("a,b\n1,ab\"c\n", NNB_E_FORMAT, "data.csv:2:2: a quote inside an unquoted field");
    parse_fails("a,b\n1,\"ab\"c\n", NNB_E_FORMAT,
                "data.csv:2:2: unexpected 'c' after a closing quote");
    parse_fails("a,a\n1,2\n", NNB_E_FORMAT, "data.csv:1:2: column name 'a' repeats column 1");
    parse_fails("a,b\n1,1e999\n", NNB_E_FORMAT, "data.csv:2:2: number out of range");
    static const char nul1[] = "a,b\n1,2\n3,4\0\n";
    parse_fails_opts(nul1, sizeof nul1 - 1, NULL, NNB_E_FORMAT, "data.csv:3:2: NUL byte");
    static const char nul2[] = "a,b\n1,\"x\0y\"\n";
    parse_fails_opts(nul2, sizeof nul2 - 1, NULL, NNB_E_FORMAT, "data.csv:2:2: NUL byte");
    const char *not_numbers[] = {"inf", "-Infinity", "nan(1)", "0x10", "1e", "1e+", ".", "-",
                                 "+",   "1.2.3",     "1 2",    "--1",  "e5", "1,5", "١"};
    for (size_t i = 0; i < sizeof not_numbers / sizeof not_numbers[0]; i++) {
        char text[64];
        snprintf(text, sizeof text, "v\n\"%s\"\n", not_numbers[i]);
        parse_fails(text, NNB_E_FORMAT, "data.csv:2:1: expected a number in column 'v'");
    }
}
END_TEST

START_TEST(number_forms) {
    nnb_table *t = parse("v\n 7 \n+.5\n5.\n-0\n1E3\n2e-3\n\t-1.25e+2\t\n"
                         "00012\n4.9406564584124654e-324\n1.7976931348623157e308\n");
    double want[] = {
        7, 0.5, 5, -0.0, 1000, 2e-3, -125, 12, 4.9406564584124654e-324, 1.7976931348623157e308};
    ck_assert_uint_eq(nnb_table_n_rows(t), 10);
    for (size_t i = 0; i < 10; i++) ck_assert(col_value(t, 0, i) == want[i]);
    nnb_table_free(t);
}
END_TEST

START_TEST(field_of_one_megabyte) {
    size_t big = 1 << 20;
    char *text = malloc(big + 64);
    strcpy(text, "a,b\n1,");
    size_t n = strlen(text);
    memset(text + n, 'x', big);
    n += big;
    text[n++] = '\n';
    parse_fails_opts(text, n, NULL, NNB_E_FORMAT, "data.csv:2:2: expected a number in column 'b'");
    ck_assert_msg(strstr(nnb_last_error(), "(1048576 bytes)") && strlen(nnb_last_error()) < 300,
                  "%s", nnb_last_error());
    /* as a (quoted) text field it is read whole */
    nnb_csv_opts *o = nnbt_text_columns("b");
    n = 6;
    text[n++] = '"';
    memset(text + n, 'y', big);
    text[n + 1000] = '\n';
    n += big;
    strcpy(text + n, "\"\n");
    n += 2;
    nnb_table *t = parse_opts(text, n, o);
    const char *s = nnb_table_get_text(t, 0, 1);
    ck_assert_uint_eq(strlen(s), big);
    ck_assert(s[0] == 'y' && s[1000] == '\n' && s[big - 1] == 'y');
    nnb_table_free(t);
    nnb_csv_opts_free(o);
    free(text);
}
END_TEST

/* Numbers printed with 17 significant digits read back bit for bit. */
START_TEST(round_trip) {
    enum { N = 5000 };
    nnbt_rng g = {12345};
    double *v = malloc(N * sizeof *v);
    char *text = malloc((size_t)N * 32 + 8);
    size_t n = (size_t)sprintf(text, "v\n");
    for (size_t i = 0; i < N; i++) {
        double e = floor(nnbt_uniform(&g) * 600) - 300;
        v[i] = (nnbt_uniform(&g) - 0.5) * pow(10.0, e);
        if (i % 7 == 0) v[i] = nnbt_normal(&g);
        n += (size_t)sprintf(text + n, "%.17g\n", v[i]);
    }
    nnb_table *t = parse_opts(text, n, NULL);
    double *got = malloc(N * sizeof *got);
    nnbt_ok(nnb_table_get_column(t, 0, got, N));
    for (size_t i = 0; i < N; i++)
        ck_assert_msg(memcmp(&got[i], &v[i], sizeof(double)) == 0, "%.17g read as %.17g", v[i],
                      got[i]);
    nnb_table_free(t);
    free(v), free(got), free(text);
}
END_TEST

START_TEST(locale_independent) {
    const char *name = nnbt_comma_locale();
    if (!name) {
        fprintf(stderr, "note: no comma-decimal locale is installed and localedef could not make "
                        "one; the locale case was not run\n");
        return;
    }
    ck_assert_msg(strtod("3.61", NULL) == 3.0, "the locale %s does not use a decimal comma", name);
    nnb_table *t = parse("gpa,x\n3.61,2.5e-1\n");
    ck_assert_msg(col_value(t, 0, 0) == 3.61, "in %s: %.17g", name, col_value(t, 0, 0));
    ck_assert(col_value(t, 1, 0) == 0.25);
    nnb_table_free(t);
    /* category names are printed with a point too */
    t = parse("x,y\n2.5,1\n3,2\n");
    nnb_prep *p;
    nnbt_ok(nnb_prep_create(&p));
    nnbt_ok(nnb_prep_onehot(p, "x"));
    nnbt_ok(nnb_prep_fit(p, t, NULL, 2));
    ck_assert_str_eq(nnb_prep_feature_name(p, 0), "x_2.5");
    nnb_prep_free(p);
    nnb_table_free(t);
    setlocale(LC_ALL, "C");
}
END_TEST

START_TEST(files) {
    char path[512];
    nnbt_tmp_path(path, sizeof path, "small.csv");
    ck_assert(nnbt_write_file(path, "a,b\r1,2\r", 8));
    nnb_table *t = (nnb_table *)&t;
    nnbt_ok(nnb_csv_read(&t, path, NULL));
    ck_assert(col_value(t, 1, 0) == 2.0);
    nnb_table_free(t);

    nnbt_tmp_path(path, sizeof path, "bad.csv");
    ck_assert(nnbt_write_file(path, "a,b\n1,2\n3,zz\n", 13));
    ck_assert_int_eq(nnb_csv_read(&t, path, NULL), NNB_E_FORMAT);
    ck_assert_ptr_null(t);
    char want[600];
    snprintf(want, sizeof want, "nnb_csv_read: %s:3:2: expected a number in column 'b', found 'zz'",
             path);
    ck_assert_str_eq(nnb_last_error(), want);

    nnbt_tmp_path(path, sizeof path, "absent.csv");
    ck_assert_int_eq(nnb_csv_read(&t, path, NULL), NNB_E_IO);
    ck_assert_msg(strstr(nnb_last_error(), "absent.csv") && strstr(nnb_last_error(), "No such"),
                  "%s", nnb_last_error());
    ck_assert_int_eq(nnb_csv_read(&t, nnbt_tmpdir(), NULL), NNB_E_IO); /* a folder */
    ck_assert_int_eq(nnb_csv_read(NULL, path, NULL), NNB_E_NULL);
    ck_assert_int_eq(nnb_csv_read(&t, NULL, NULL), NNB_E_NULL);
}
END_TEST

/* A pipe (no size known in advance) longer than the reader's first buffer: the reader grows it
 * and reads every row. */
typedef struct {
    int fd;
    size_t rows;
} pipe_writer;

static void *write_rows(void *arg) {
    pipe_writer *w = arg;
    FILE *f = fdopen(w->fd, "w");
    fputs("i,sq\n", f);
    for (size_t i = 0; i < w->rows; i++) fprintf(f, "%zu,%zu\n", i, i * i);
    fclose(f);
    return NULL;
}

START_TEST(pipe_longer_than_a_buffer) {
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    pipe_writer w = {fds[1], 20000}; /* about 250 KiB, several times the first 64 KiB */
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, write_rows, &w), 0);
    char path[64];
    snprintf(path, sizeof path, "/dev/fd/%d", fds[0]);
    nnb_table *t;
    nnbt_ok(nnb_csv_read(&t, path, NULL));
    ck_assert_int_eq(pthread_join(th, NULL), 0);
    close(fds[0]);
    ck_assert_uint_eq(nnb_table_n_rows(t), w.rows);
    double *v = malloc(w.rows * sizeof *v);
    nnbt_ok(nnb_table_get_column(t, 1, v, w.rows));
    for (size_t i = 0; i < w.rows; i++) ck_assert(v[i] == (double)(i * i));
    free(v);
    nnb_table_free(t);
}
END_TEST

/* The table's getters refuse what the table does not have; a read with every column skipped is an
 * error. */
START_TEST(getters_and_all_skipped) {
    nnb_csv_opts *o = nnbt_text_columns("s");
    nnb_table *t = nnbt_parse("a,s\n1,x\n2,y\n", 12, o);
    double v[2];
    nnbt_expect(nnb_table_get_column(t, 1, v, 2), NNB_E_INVALID_ARG, "column 's' holds texts");
    nnbt_expect(nnb_table_get_column(t, 2, v, 2), NNB_E_INVALID_ARG, "column 2 of 2");
    nnbt_expect(nnb_table_get_column(t, 0, v, 1), NNB_E_SHAPE, "dst holds 1 values");
    ck_assert_ptr_null(nnb_table_get_text(t, 0, 0)); /* a number column */
    ck_assert_ptr_null(nnb_table_get_text(t, 2, 1));
    ck_assert_ptr_null(nnb_table_column_name(t, 2));
    ck_assert_uint_eq(nnb_table_row_line(t, 2), 0);
    nnb_table_free(t);
    nnb_csv_opts_free(o);
    ck_assert_int_eq(nnb_csv_opts_create(&o), NNB_OK);
    nnbt_ok(nnb_csv_opts_skip_column(o, "a"));
    nnbt_ok(nnb_csv_opts_skip_column(o, "s"));
    t = (nnb_table *)&t;
    nnbt_expect(nnb_csv_read_buffer(&t, "a,s\n1,x\n", 8, "all.csv", o), NNB_E_INVALID_ARG,
                "all.csv: every column is skipped");
    ck_assert_ptr_null(t);
    nnb_csv_opts_free(o);
}
END_TEST

/* A file larger than the memory available is refused before it is read. */
START_TEST(too_large) {
    char path[512];
    nnbt_tmp_path(path, sizeof path, "huge.csv");
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    fputs("a,b\n1,2\n", f);
    fclose(f);
    ck_assert_int_eq(truncate(path, (off_t)1 << 42), 0); /* 4 TiB, sparse */
    nnb_table *t;
    nnb_status st = nnb_csv_read(&t, path, NULL);
    ck_assert_msg(st == NNB_E_TOO_LARGE, "%s: %s", nnb_status_name(st), nnb_last_error());
    ck_assert_msg(strstr(nnb_last_error(), "4.0 TiB") && strstr(nnb_last_error(), "available"),
                  "%s", nnb_last_error());
    ck_assert_ptr_null(t);
    unlink(path);
}
END_TEST

static Suite *csv_suite(void) {
    Suite *s = suite_create("csv");
    TCase *tc = tcase_create("csv");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, basic);
    tcase_add_test(tc, line_endings);
    tcase_add_test(tc, blank_lines_and_bom);
    tcase_add_test(tc, quoting);
    tcase_add_test(tc, delimiters);
    tcase_add_test(tc, text_and_skip);
    tcase_add_test(tc, missing_and_dropped);
    tcase_add_test(tc, malformed);
    tcase_add_test(tc, number_forms);
    tcase_add_test(tc, field_of_one_megabyte);
    tcase_add_test(tc, round_trip);
    tcase_add_test(tc, locale_independent);
    tcase_add_test(tc, files);
    tcase_add_test(tc, too_large);
    tcase_add_test(tc, pipe_longer_than_a_buffer);
    tcase_add_test(tc, getters_and_all_skipped);
    suite_add_tcase(s, tc);
    return s;
}

NNBT_MAIN(csv_suite, 0)
