/*
 * Fuzzing harness: the CSV reader (nnb_csv_read_buffer) and the preparation fitted and applied on what
 * it reads, then stored in a model and loaded back.
 *
 * Input: one byte of flags, a line of column names to read as text (comma-separated; a name
 * starting with '!' is a column to skip instead), then the CSV text.
 *   flags bits 0-1  delimiter: ',' ';' '\t' '|'
 *         bit 2     drop bad rows
 *         bits 3-4  the first column's role: a feature, a VALUES, ONEHOT or INDEX target
 *         bit 5     scaling of the numeric features: standard (0) or min-max (1)
 *         bit 6     unseen categories give zeros (1) or errors (0)
 *         bit 7     one-hot encode the numeric features too
 * Properties: a preparation fitted on all rows applies to them without error; one stored in a
 * model file and loaded back gives the same bits.
 */
#include "fuzz.h"

#define MAX_CELLS (1u << 20) /* rows x columns of X or Y beyond which applying is skipped */

/* n doubles, exactly (a read or write past them is caught by the sanitizers); 1 for n = 0. */
static double *doubles(size_t n) { return malloc((n ? n : 1) * sizeof(double)); }

/* Applies prep to all rows of t into new x, y (y NULL if there are no targets). */
static nnb_status apply_all(const nnb_prep *p, const nnb_table *t, double **x, double **y,
                            size_t *nx, size_t *ny) {
    size_t rows = nnb_table_n_rows(t), nf = nnb_prep_n_features(p), nt = nnb_prep_n_targets(p);
    *x = *y = NULL;
    *nx = rows * nf, *ny = rows * nt;
    if (*nx > MAX_CELLS || *ny > MAX_CELLS) return NNB_E_TOO_LARGE;
    *x = doubles(*nx);
    *y = nt ? doubles(*ny) : NULL;
    if (!*x || (nt && !*y)) return NNB_E_NOMEM;
    return nnb_prep_apply(p, t, NULL, rows, *x, *nx, *y, *ny);
}

/* Every getter of a fitted preparation. */
static void describe(const nnb_prep *p) {
    for (size_t j = 0; j < nnb_prep_n_features(p) + 1; j++) (void)nnb_prep_feature_name(p, j);
    for (size_t j = 0; j < nnb_prep_n_targets(p) + 1; j++) (void)nnb_prep_target_name(p, j);
    for (size_t k = 0; k < nnb_prep_n_classes(p) + 1; k++) (void)nnb_prep_class_label(p, k);
    for (size_t i = 0; i < nnb_prep_n_constant_columns(p) + 1; i++)
        (void)nnb_prep_constant_name(p, i);
    for (size_t i = 0; i < nnb_prep_n_columns(p) + 1; i++) {
        const char *name = NULL;
        int is_target, is_text;
        size_t n_cats = 0;
        if (nnb_prep_column_info(p, i, &name, &is_target, &is_text, &n_cats) != NNB_OK) continue;
        for (size_t k = 0; k < n_cats + 1; k++) (void)nnb_prep_column_category(p, i, k);
        nnb_scale how;
        double a, b;
        int constant;
        (void)nnb_prep_column_stats(p, name, &how, &a, &b, &constant);
    }
}

/* The preparation through a model file: the loaded one gives the same X and Y bits. */
static void round_trip(const nnb_prep *p, const nnb_table *t, const double *x, const double *y,
                       size_t nx, size_t ny) {
    size_t nf = nnb_prep_n_features(p), nt = nnb_prep_n_targets(p);
    if (nf == 0 || nt == 0) return;
    nnb_net *net = NULL, *net2 = NULL;
    nnb_prep *p2 = NULL;
    unsigned char *buf = NULL;
    if (nnb_net_create(&net, nf) != NNB_OK ||
        nnb_net_add_dense(net, nt, NNB_ACT_IDENTITY, 1) != NNB_OK)
        goto done;
    size_t n = nnb_model_write_size(net, p, NULL, 0);
    FUZZ_CHECK(n > 0);
    buf = malloc(n);
    if (!buf) goto done;
    size_t written = 0;
    FUZZ_CHECK(nnb_model_write_buffer(net, p, NULL, 0, buf, n, &written) == NNB_OK);
    FUZZ_CHECK(written == n);
    nnb_status st = nnb_model_read_buffer(&net2, &p2, NULL, buf, n);
    if (st == NNB_E_NOMEM || st == NNB_E_TOO_LARGE) goto done;
    FUZZ_CHECK(st == NNB_OK && p2);
    FUZZ_CHECK(nnb_prep_n_features(p2) == nf && nnb_prep_n_targets(p2) == nt);
    double *x2 = NULL, *y2 = NULL;
    size_t nx2, ny2;
    st = apply_all(p2, t, &x2, &y2, &nx2, &ny2);
    FUZZ_CHECK(st == NNB_OK && nx2 == nx && ny2 == ny);
    FUZZ_CHECK(memcmp(x, x2, nx * sizeof *x) == 0);
    FUZZ_CHECK(memcmp(y, y2, ny * sizeof *y) == 0);
    free(x2);
    free(y2);
done:
    free(buf);
    nnb_net_free(net);
    nnb_net_free(net2);
    nnb_prep_free(p2);
}

/* The names line (len bytes at line): text columns, and '!'-prefixed columns to skip. 0, or -1
 * when out of memory. */
static int set_columns(nnb_csv_opts *o, const char *line, size_t len) {
    char *names = malloc(len + 1);
    if (!names) return -1;
    memcpy(names, line, len);
    names[len] = '\0';
    for (char *s = names, *e; *s; s = e) {
        e = strchr(s, ',');
        if (e)
            *e++ = '\0';
        else
            e = s + strlen(s);
        if (!*s) continue;
        if (*s == '!')
            nnb_csv_opts_skip_column(o, s + 1);
        else
            nnb_csv_opts_add_text_column(o, s);
    }
    free(names);
    return 0;
}

/* Reads every cell of a table that was read. */
static void read_cells(const nnb_table *t) {
    size_t rows = nnb_table_n_rows(t), cols = nnb_table_n_columns(t);
    FUZZ_CHECK(rows > 0 && cols > 0);
    double *col = malloc(rows * sizeof *col);
    for (size_t c = 0; c < cols; c++) {
        const char *name = nnb_table_column_name(t, c);
        size_t found;
        FUZZ_CHECK(name && nnb_table_find_column(t, name, &found) == NNB_OK && found == c);
        if (nnb_table_column_is_text(t, c)) {
            for (size_t r = 0; r < rows; r++) FUZZ_CHECK(nnb_table_get_text(t, r, c) != NULL);
        } else if (col) {
            FUZZ_CHECK(nnb_table_get_column(t, c, col, rows) == NNB_OK);
        }
    }
    for (size_t r = 0; r < rows; r++) FUZZ_CHECK(nnb_table_row_line(t, r) >= 2);
    free(col);
}

/* The preparation's settings: the first column's role from the flags, text features one-hot. */
static void configure_prep(nnb_prep *p, const nnb_table *t, unsigned flags) {
    size_t cols = nnb_table_n_columns(t);
    unsigned role = (flags >> 3) & 3;
    if (role) nnb_prep_add_target(p, nnb_table_column_name(t, 0), (nnb_target_kind)(role - 1));
    for (size_t c = role ? 1 : 0; c < cols; c++)
        if (nnb_table_column_is_text(t, c) || (flags & 0x80))
            nnb_prep_onehot(p, nnb_table_column_name(t, c));
    nnb_prep_scale(p, NULL, (flags & 0x20) ? NNB_SCALE_MINMAX : NNB_SCALE_STANDARD);
    nnb_prep_set_unseen(p, (flags & 0x40) ? NNB_UNSEEN_ZERO : NNB_UNSEEN_ERROR);
}

/* Fitted on the first half, applied to the rest (unseen categories and classes). */
static void fit_half(nnb_prep *p, const nnb_table *t) {
    size_t rows = nnb_table_n_rows(t);
    if (rows < 2) return;
    size_t *order = malloc(rows * sizeof *order);
    if (!order) return;
    for (size_t r = 0; r < rows; r++) order[r] = r;
    size_t half = rows / 2;
    if (nnb_prep_fit(p, t, order, half) == NNB_OK) {
        describe(p);
        size_t n = rows - half, nf = nnb_prep_n_features(p), nt = nnb_prep_n_targets(p);
        if (n * nf <= MAX_CELLS && n * nt <= MAX_CELLS) {
            double *x = doubles(n * nf);
            double *y = doubles(n * nt);
            if (x && y)
                nnb_prep_apply(p, t, order + half, n, x, n * nf, nt ? y : NULL, nt ? n * nt : 0);
            free(x);
            free(y);
        }
    }
    free(order);
}

/* Fitted on every row: applying to them must work, and so must the model file's round trip. */
static void fit_all(nnb_prep *p, const nnb_table *t) {
    size_t rows = nnb_table_n_rows(t);
    if (nnb_prep_fit(p, t, NULL, rows) != NNB_OK) return;
    describe(p);
    double *x, *y;
    size_t nx, ny;
    nnb_status st = apply_all(p, t, &x, &y, &nx, &ny);
    FUZZ_CHECK(st == NNB_OK || st == NNB_E_NOMEM || st == NNB_E_TOO_LARGE);
    if (st == NNB_OK) {
        if (y && nnb_prep_target_kind(p) == NNB_TARGET_VALUES)
            FUZZ_CHECK(nnb_prep_inverse_targets(p, y, rows, nnb_prep_n_targets(p)) == NNB_OK);
        if (y && nnb_prep_target_kind(p) == NNB_TARGET_VALUES) {
            /* inverse_targets changed y: apply again for the round trip */
            free(x), free(y);
            st = apply_all(p, t, &x, &y, &nx, &ny);
            FUZZ_CHECK(st == NNB_OK || st == NNB_E_NOMEM);
        }
        if (st == NNB_OK) round_trip(p, t, x, y, nx, ny);
    }
    free(x);
    free(y);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    unsigned flags = data[0];
    const char *rest = (const char *)data + 1;
    size_t len = size - 1;
    const char *nl = memchr(rest, '\n', len);
    if (!nl) return 0;
    nnb_csv_opts *o = NULL;
    if (nnb_csv_opts_create(&o) != NNB_OK) return 0;
    static const char delims[4] = {',', ';', '\t', '|'};
    FUZZ_CHECK(nnb_csv_opts_set_delimiter(o, delims[flags & 3]) == NNB_OK);
    FUZZ_CHECK(nnb_csv_opts_set_drop_bad_rows(o, (flags >> 2) & 1) == NNB_OK);
    if (set_columns(o, rest, (size_t)(nl - rest)) != 0) goto out;
    len -= (size_t)(nl - rest) + 1;
    rest = nl + 1;

    nnb_table *t = NULL;
    nnb_status st = nnb_csv_read_buffer(&t, rest, len, "fuzz.csv", o);
    if (st != NNB_OK) {
        FUZZ_CHECK(t == NULL);
        FUZZ_CHECK(nnb_last_error()[0] != '\0');
        goto out;
    }
    read_cells(t);
    nnb_prep *p = NULL;
    if (nnb_prep_create(&p) == NNB_OK) {
        configure_prep(p, t, flags);
        fit_half(p, t);
        fit_all(p, t);
        nnb_prep_free(p);
    }
    nnb_table_free(t);
out:
    nnb_csv_opts_free(o);
    return 0;
}
