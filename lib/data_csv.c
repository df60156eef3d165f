/*
 * The CSV reader and the table object.
 *
 * The file is read whole into one buffer, then parsed in two passes:
 *  1. tokenise in place: quotes are removed, doubled quotes undoubled, and every field is written
 *     back, NUL-terminated, at the front of the same buffer (a field never grows), checking the
 *     quoting, NUL bytes and that every row has the header's number of fields, and noting the line
 *     where each row starts;
 *  2. with the row count known, allocate the table once and convert each field: numbers through
 *     nnbi_parse_number (C locale), texts into one pool.
 * Peak memory is the file plus the table.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data_internal.h"
#include "interrupt.h"

/* ---- options --------------------------------------------------------------------------------- */

/* A set of column names in the order given, hashed (a list of 100,000 names is not quadratic). */
typedef struct name_list {
    size_t n, cap;
    char **names;
    nnbi_name_index index;
} name_list;

struct nnb_csv_opts {
    char delimiter;
    char decimal; /* '.' or ',' (0 in the static defaults: '.') */
    int drop_bad_rows;
    int keep_all_missing; /* nnb_csv_opts_keep_missing(o, NULL) */
    size_t input_limit;   /* 0: nnb_get_input_limit() */
    name_list text, skip, keep;
};

static void name_list_free(name_list *l) {
    for (size_t i = 0; i < l->n; i++) free(l->names[i]);
    free(l->names);
    nnbi_index_free(&l->index);
    memset(l, 0, sizeof *l);
}

static const char *list_name_at(const void *l, size_t i) {
    return ((const name_list *)l)->names[i];
}

static nnb_status name_list_add(name_list *l, const char *name, const char *func) {
    if (nnbi_index_find(&l->index, name, list_name_at, l) >= 0) return NNB_OK;
    void *grown = nnbi_grow(l->names, &l->cap, l->n + 1, sizeof *l->names, 4);
    if (!grown) return nnbi_error(NNB_E_NOMEM, func, "no memory for a column name");
    l->names = grown;
    char *d = nnbi_strdup(name);
    if (!d) return nnbi_error(NNB_E_NOMEM, func, "no memory for a column name");
    l->names[l->n] = d;
    if (!nnbi_index_add(&l->index, l->n, list_name_at, l)) {
        free(d);
        return nnbi_error(NNB_E_NOMEM, func, "no memory for a column name");
    }
    l->n++;
    return NNB_OK;
}

NNB_API nnb_status nnb_csv_opts_create(nnb_csv_opts **out) {
    NNBI_CHECK_NULL(out, __func__);
    *out = calloc(1, sizeof **out);
    if (!*out) return nnbi_error(NNB_E_NOMEM, __func__, "no memory for CSV options");
    (*out)->delimiter = ',';
    (*out)->decimal = '.';
    return NNB_OK;
}
NNBI_DEPRECATED_ALIAS(nnb_csv_options_create, nnb_csv_opts_create);

NNB_API void nnb_csv_opts_free(nnb_csv_opts *opts) {
    if (!opts) return;
    name_list_free(&opts->text);
    name_list_free(&opts->skip);
    name_list_free(&opts->keep);
    free(opts);
}
NNBI_DEPRECATED_ALIAS(nnb_csv_options_free, nnb_csv_opts_free);

NNB_API nnb_status nnb_csv_opts_set_delimiter(nnb_csv_opts *opts, char delimiter) {
    NNBI_CHECK_NULL(opts, __func__);
    if (delimiter == '"' || delimiter == '\r' || delimiter == '\n' || delimiter == '\0')
        return nnbi_error(NNB_E_INVALID_ARG, __func__,
                          "the delimiter may not be a quote, a line break or NUL");
    opts->delimiter = delimiter;
    return NNB_OK;
}
NNBI_DEPRECATED_ALIAS(nnb_csv_options_set_delimiter, nnb_csv_opts_set_delimiter);

NNB_API nnb_status nnb_csv_opts_get_delimiter(const nnb_csv_opts *opts, char *delimiter) {
    NNBI_CHECK_NULL(opts, __func__);
    if (delimiter) *delimiter = opts->delimiter;
    return NNB_OK;
}

NNB_API nnb_status nnb_csv_opts_set_decimal(nnb_csv_opts *opts, char decimal) {
    NNBI_CHECK_NULL(opts, __func__);
    if (decimal != '.' && decimal != ',')
        return nnbi_error(NNB_E_INVALID_ARG, __func__,
                          "the decimal mark is '.' or ',', not '%c' (code %d)",
                          decimal >= 32 && decimal < 127 ? decimal : '?', (int)decimal);
    opts->decimal = decimal;
    return NNB_OK;
}

NNB_API nnb_status nnb_csv_opts_keep_missing(nnb_csv_opts *opts, const char *name) {
    NNBI_CHECK_NULL(opts, __func__);
    if (!name) {
        opts->keep_all_missing = 1;
        return NNB_OK;
    }
    return name_list_add(&opts->keep, name, __func__);
}

NNB_API nnb_status nnb_csv_opts_get_decimal(const nnb_csv_opts *opts, char *decimal) {
    NNBI_CHECK_NULL(opts, __func__);
    if (decimal) *decimal = opts->decimal ? opts->decimal : '.';
    return NNB_OK;
}

NNB_API nnb_status nnb_csv_opts_add_text_column(nnb_csv_opts *opts, const char *name) {
    NNBI_CHECK_NULL(opts, __func__);
    NNBI_CHECK_NULL(name, __func__);
    return name_list_add(&opts->text, name, __func__);
}
NNBI_DEPRECATED_ALIAS(nnb_csv_options_text_column, nnb_csv_opts_add_text_column);

NNB_API nnb_status nnb_csv_opts_skip_column(nnb_csv_opts *opts, const char *name) {
    NNBI_CHECK_NULL(opts, __func__);
    NNBI_CHECK_NULL(name, __func__);
    return name_list_add(&opts->skip, name, __func__);
}
NNBI_DEPRECATED_ALIAS(nnb_csv_options_skip_column, nnb_csv_opts_skip_column);

NNB_API nnb_status nnb_csv_opts_set_drop_bad_rows(nnb_csv_opts *opts, int enable) {
    NNBI_CHECK_NULL(opts, __func__);
    if (enable != 0 && enable != 1)
        return nnbi_error(NNB_E_INVALID_ARG, __func__, "enable must be 0 or 1, not %d", enable);
    opts->drop_bad_rows = enable;
    return NNB_OK;
}
NNBI_DEPRECATED_ALIAS(nnb_csv_options_set_drop_bad_rows, nnb_csv_opts_set_drop_bad_rows);

NNB_API nnb_status nnb_csv_opts_get_drop_bad_rows(const nnb_csv_opts *opts, int *enable) {
    NNBI_CHECK_NULL(opts, __func__);
    if (enable) *enable = opts->drop_bad_rows;
    return NNB_OK;
}

/* ---- the table ------------------------------------------------------------------------------- */

NNB_API void nnb_table_free(nnb_table *t) {
    if (!t) return;
    for (size_t j = 0; t->cols && j < t->n_cols; j++) { /* cols is NULL if its allocation failed */
        free(t->cols[j].name);
        free(t->cols[j].num);
        free(t->cols[j].text);
    }
    free(t->cols);
    free(t->line);
    free(t->pool);
    free(t->source);
    nnbi_index_free(&t->index);
    free(t);
}

NNB_API size_t nnb_table_n_rows(const nnb_table *t) { return t ? t->n_rows : 0; }
NNB_API size_t nnb_table_n_columns(const nnb_table *t) { return t ? t->n_cols : 0; }
NNBI_DEPRECATED_ALIAS(nnb_table_n_cols, nnb_table_n_columns);
NNB_API size_t nnb_table_n_dropped_rows(const nnb_table *t) { return t ? t->n_dropped : 0; }
NNBI_DEPRECATED_ALIAS(nnb_table_n_dropped, nnb_table_n_dropped_rows);

NNB_API const char *nnb_table_column_name(const nnb_table *t, size_t col) {
    return t && col < t->n_cols ? t->cols[col].name : NULL;
}
NNBI_DEPRECATED_ALIAS(nnb_table_col_name, nnb_table_column_name);

static const char *table_col_at(const void *t, size_t i) {
    return ((const nnb_table *)t)->cols[i].name;
}

ptrdiff_t nnbi_table_find(const nnb_table *t, const char *name) {
    return nnbi_index_find(&t->index, name, table_col_at, t);
}

/* "a, b, c" (cut short with "..." when long), for messages. */
static void list_columns(const nnb_table *t, char *buf, size_t len) {
    size_t used = 0;
    buf[0] = '\0';
    for (size_t j = 0; j < t->n_cols && used + 1 < len; j++) {
        int n = snprintf(buf + used, len - used, "%s%s", j ? ", " : "", t->cols[j].name);
        if (n < 0) break;
        used += (size_t)n;
    }
    if (used >= len && len > 4) strcpy(buf + len - 4, "...");
}

NNB_API nnb_status nnb_table_find_column(const nnb_table *t, const char *name, size_t *col) {
    NNBI_CHECK_NULL(t, __func__);
    NNBI_CHECK_NULL(name, __func__);
    NNBI_CHECK_NULL(col, __func__);
    ptrdiff_t j = nnbi_table_find(t, name);
    if (j < 0) {
        char cols[256];
        list_columns(t, cols, sizeof cols);
        /* the nearest name, when the list of names can be made (a message only) */
        const char *near = NULL, **names = malloc((t->n_cols ? t->n_cols : 1) * sizeof *names);
        if (names) {
            for (size_t k = 0; k < t->n_cols; k++) names[k] = t->cols[k].name;
            near = nnb_name_find_nearest(name, names, t->n_cols);
            free(names);
        }
        return nnbi_error(NNB_E_INVALID_ARG, __func__, "%s has no column '%s'%s%s%s (columns: %s)",
                          t->source, name, near ? "; did you mean '" : "", near ? near : "",
                          near ? "'?" : "", cols);
    }
    *col = (size_t)j;
    return NNB_OK;
}
NNBI_DEPRECATED_ALIAS(nnb_table_find_col, nnb_table_find_column);

NNB_API int nnb_table_column_is_text(const nnb_table *t, size_t col) {
    return t && col < t->n_cols ? t->cols[col].is_text : 0;
}
NNBI_DEPRECATED_ALIAS(nnb_table_col_is_text, nnb_table_column_is_text);

NNB_API nnb_status nnb_table_get_column(const nnb_table *t, size_t col, double *dst, size_t len) {
    NNBI_CHECK_NULL(t, __func__);
    NNBI_CHECK_NULL(dst, __func__);
    if (col >= t->n_cols)
        return nnbi_error(NNB_E_INVALID_ARG, __func__, "column %zu of %zu", col, t->n_cols);
    if (t->cols[col].is_text)
        return nnbi_error(NNB_E_INVALID_ARG, __func__, "column '%s' holds texts",
                          t->cols[col].name);
    if (len < t->n_rows)
        return nnbi_error(NNB_E_SHAPE, __func__, "dst holds %zu values, the table has %zu rows",
                          len, t->n_rows);
    memcpy(dst, t->cols[col].num, t->n_rows * sizeof *dst);
    return NNB_OK;
}

NNB_API const char *nnb_table_get_text(const nnb_table *t, size_t row, size_t col) {
    if (!t || row >= t->n_rows || col >= t->n_cols || !t->cols[col].is_text) return NULL;
    return nnbi_table_text(t, col, row);
}

NNB_API size_t nnb_table_row_line(const nnb_table *t, size_t row) {
    return t && row < t->n_rows ? t->line[row] : 0;
}

/* ---- parsing ----------------------------------------------------------------------------------- */

typedef struct parser {
    const char *func;
    const char *name; /* file name for messages */
    char *buf;        /* n bytes + a NUL; fields are compacted to its front */
    size_t n;
    size_t compact;  /* bytes of compacted fields */
    size_t n_fields; /* fields per row (the header's) */
    size_t n_rows;   /* data rows */
    size_t *line;    /* line of each data row */
    size_t cap_line;
} parser;

/* A cell's text for a message: at most 40 bytes, then "..." and the length. */
static void quote_cell(const char *s, char *out, size_t len) {
    size_t n = strlen(s);
    if (n <= 40)
        snprintf(out, len, "'%s'", s);
    else
        snprintf(out, len, "'%.40s...' (%zu bytes)", s, n);
}

static nnb_status push_line(parser *p, size_t line) {
    void *grown = nnbi_grow(p->line, &p->cap_line, p->n_rows + 1, sizeof *p->line, 1024);
    if (!grown) return nnbi_error(NNB_E_NOMEM, p->func, "%s: no memory for the row index", p->name);
    p->line = grown;
    p->line[p->n_rows++] = line;
    return NNB_OK;
}

/* Pass 1: tokenise in place. */
static nnb_status tokenise(parser *p, char delim) {
    char *b = p->buf;
    size_t n = p->n, i = 0, w = 0, line = 1;
    int have_header = 0;
    if (n >= 3 && (unsigned char)b[0] == 0xEF && (unsigned char)b[1] == 0xBB &&
        (unsigned char)b[2] == 0xBF)
        i = 3;
    while (i < n) {
        if ((p->n_rows & 0xFFFF) == 0xFFFF && nnbi_interrupted())
            return nnbi_interrupt_error(p->func, p->name); /* nnb_set_interrupt_flag */
        if (b[i] == '\r' || b[i] == '\n') {                /* a blank line */
            if (b[i] == '\r' && i + 1 < n && b[i + 1] == '\n') i++;
            i++;
            line++;
            continue;
        }
        size_t row_line = line, fields = 0;
        for (;;) {
            size_t col = fields + 1;
            if (i < n && b[i] == '"') {
                size_t open_line = line;
                i++;
                for (;;) {
                    if (i >= n)
                        return nnbi_error(NNB_E_FORMAT, p->func,
                                          "%s:%zu:%zu: unterminated quoted field (the file ends "
                                          "inside it)",
                                          p->name, open_line, col);
                    char c = b[i];
                    if (c == '"') {
                        if (i + 1 < n && b[i + 1] == '"') {
                            b[w++] = '"';
                            i += 2;
                            continue;
                        }
                        i++;
                        break;
                    }
                    if (c == '\0')
                        return nnbi_error(NNB_E_FORMAT, p->func, "%s:%zu:%zu: NUL byte in a field",
                                          p->name, line, col);
                    if (c == '\n' || (c == '\r' && !(i + 1 < n && b[i + 1] == '\n'))) line++;
                    b[w++] = c;
                    i++;
                }
                if (i < n && b[i] != delim && b[i] != '\r' && b[i] != '\n')
                    return nnbi_error(NNB_E_FORMAT, p->func,
                                      "%s:%zu:%zu: unexpected '%c' after a closing quote", p->name,
                                      line, col, b[i]);
            } else {
                while (i < n) {
                    char c = b[i];
                    if (c == delim || c == '\r' || c == '\n') break;
                    if (c == '"')
                        return nnbi_error(NNB_E_FORMAT, p->func,
                                          "%s:%zu:%zu: a quote inside an unquoted field (quote "
                                          "the whole field and double the quote)",
                                          p->name, line, col);
                    if (c == '\0')
                        return nnbi_error(NNB_E_FORMAT, p->func,
                                          "%s:%zu:%zu: NUL byte (is this a text file?)", p->name,
                                          line, col);
                    b[w++] = c;
                    i++;
                }
            }
            fields++;
            char end = i < n ? b[i] : '\n';
            b[w++] = '\0';
            if (i < n && end == delim) {
                i++;
                continue;
            }
            if (end == '\r' && i + 1 < n && b[i + 1] == '\n') i++;
            if (i < n) i++;
            line++;
            break;
        }
        if (!have_header) {
            have_header = 1;
            p->n_fields = fields;
        } else {
            if (fields != p->n_fields)
                return nnbi_error(NNB_E_FORMAT, p->func,
                                  "%s:%zu:%zu: the row has %zu fields, the header has %zu", p->name,
                                  row_line, fields < p->n_fields ? fields + 1 : p->n_fields + 1,
                                  fields, p->n_fields);
            nnb_status st = push_line(p, row_line);
            if (st != NNB_OK) return st;
        }
    }
    if (!have_header) return nnbi_error(NNB_E_FORMAT, p->func, "%s: empty file", p->name);
    if (p->n_rows == 0)
        return nnbi_error(NNB_E_FORMAT, p->func, "%s:%zu: no data rows after the header", p->name,
                          line);
    p->compact = w;
    return NNB_OK;
}

static nnb_status check_memory(const char *func, const char *name, size_t need, const char *what) {
    size_t avail = nnbi_available_memory();
    if (need > avail) {
        char a[32], b[32];
        nnbi_format_bytes(need, a, sizeof a);
        nnbi_format_bytes(avail, b, sizeof b);
        return nnbi_error(NNB_E_TOO_LARGE, func,
                          "%s: %s needs %s, more than the %s of memory available", name, what, a,
                          b);
    }
    return NNB_OK;
}

static nnb_status pool_add(nnb_table *t, size_t *cap, const char *s, size_t *off,
                           const char *func) {
    size_t len = strlen(s) + 1;
    void *grown = nnbi_grow(t->pool, cap, t->pool_len + len, 1, 4096);
    if (!grown) return nnbi_error(NNB_E_NOMEM, func, "%s: no memory for texts", t->source);
    t->pool = grown;
    memcpy(t->pool + t->pool_len, s, len);
    *off = t->pool_len;
    t->pool_len += len;
    return NNB_OK;
}

/* Pass 2: the table. Column kinds per field: 0 number, 1 text, 2 skipped. */
enum { KIND_NUMBER = 0, KIND_TEXT = 1, KIND_SKIP = 2 };

/* What pass 2 works with: the header's fields, each field's kind, column (slot) and whether its
 * missing cells are kept, the fields' hash index, and the next field to read (q). */
typedef struct builder {
    parser *p;
    const nnb_csv_opts *o;
    nnb_table *t;
    const char **fields;
    unsigned char *kind, *keep;
    size_t *slot;
    nnbi_name_index fx;
    char *q;
    size_t pool_cap;
} builder;

static const char *field_at(const void *fields, size_t i) {
    return ((const char *const *)fields)[i];
}

static const char *col_name_at(const void *t, size_t i) {
    return ((const nnb_table *)t)->cols[i].name;
}

/* Marks the fields the option lists name (text 1, skip 2, kept missing cells); an unknown name
 * is an error. */
static nnb_status mark_fields(builder *b) {
    const parser *p = b->p;
    const name_list *lists[3] = {&b->o->text, &b->o->skip, &b->o->keep};
    static const char *const asked[3] = {"read as text", "skip", "keep missing cells of"};
    for (int l = 0; l < 3; l++)
        for (size_t i = 0; i < lists[l]->n; i++) {
            ptrdiff_t j = nnbi_index_find(&b->fx, lists[l]->names[i], field_at, b->fields);
            if (j < 0)
                return nnbi_error(NNB_E_INVALID_ARG, p->func,
                                  "%s has no column '%s' (asked to %s it)", p->name,
                                  lists[l]->names[i], asked[l]);
            if (l == 2)
                b->keep[j] = 1;
            else if (b->kind[j] != KIND_SKIP) /* skip wins */
                b->kind[j] = (unsigned char)(l + 1);
        }
    for (size_t j = 0; j < p->n_fields; j++) {
        if (b->o->keep_all_missing) b->keep[j] = 1;
        if (b->kind[j] != KIND_SKIP) b->slot[j] = b->t->n_cols++;
    }
    if (b->t->n_cols == 0)
        return nnbi_error(NNB_E_INVALID_ARG, p->func, "%s: every column is skipped", p->name);
    return NNB_OK;
}

/* The header: its names (no repeats), the kinds the options give them, and b->q after it. */
static nnb_status read_header(builder *b) {
    parser *p = b->p;
    b->q = p->buf;
    for (size_t j = 0; j < p->n_fields; j++) {
        b->fields[j] = b->q;
        b->q += strlen(b->q) + 1;
    }
    /* the header's names hashed: repeats and the option lists found in O(1) each */
    size_t dup, dup_of;
    if (!nnbi_index_build(&b->fx, p->n_fields, field_at, b->fields, &dup, &dup_of))
        return nnbi_error(NNB_E_NOMEM, p->func, "%s: no memory", p->name);
    if (dup != SIZE_MAX)
        return nnbi_error(NNB_E_FORMAT, p->func, "%s:1:%zu: column name '%s' repeats column %zu",
                          p->name, dup + 1, b->fields[dup], dup_of + 1);
    memset(b->kind, KIND_NUMBER, p->n_fields);
    memset(b->keep, 0, p->n_fields);
    return mark_fields(b);
}

/* The table's columns, after checking their memory. */
static nnb_status alloc_columns(builder *b) {
    parser *p = b->p;
    nnb_table *t = b->t;
    size_t per_row = (t->n_cols + 1) * sizeof(double), need;
    if (!nnbi_mul_size(per_row, p->n_rows, &need)) need = SIZE_MAX;
    nnb_status st = check_memory(p->func, p->name, need, "the table");
    if (st != NNB_OK) return st;
    t->cols = calloc(t->n_cols, sizeof *t->cols);
    t->line = malloc(p->n_rows * sizeof *t->line);
    if (!t->cols || !t->line)
        return nnbi_error(NNB_E_NOMEM, p->func, "%s: no memory for %zu rows", p->name, p->n_rows);
    for (size_t j = 0; j < p->n_fields; j++) {
        if (b->kind[j] == KIND_SKIP) continue;
        nnbi_column *c = &t->cols[b->slot[j]];
        c->is_text = b->kind[j] == KIND_TEXT;
        c->field = j + 1;
        c->name = nnbi_strdup(b->fields[j]);
        if (c->is_text)
            c->text = malloc(p->n_rows * sizeof *c->text);
        else
            c->num = malloc(p->n_rows * sizeof *c->num);
        if (!c->name || (c->is_text ? !c->text : !c->num))
            return nnbi_error(NNB_E_NOMEM, p->func, "%s: no memory for %zu rows", p->name,
                              p->n_rows);
    }
    return NNB_OK;
}

/* Parses a number cell with the decimal mark `decimal`: nnbi_parse_number's result. With ',' the
 * cell's one comma is read as the point ("17,99" is 17.99); a cell with a '.' or more than one
 * ',' is not a number in that notation ("1.234,5" has a thousands separator: refused, not
 * guessed). */
static int parse_cell_number(char *s, char decimal, double *v) {
    if (decimal != ',') return nnbi_parse_number(s, v);
    char *comma = strchr(s, ',');
    if (strchr(s, '.') || (comma && strchr(comma + 1, ','))) return 0;
    if (comma) *comma = '.';
    int ok = nnbi_parse_number(s, v);
    if (comma) *comma = ','; /* the cell as it was, for a message */
    return ok;
}

/* Converts cell s of field j into row `kept` of its column; *problem says what is wrong with it
 * (NULL: nothing). A kept missing cell is NaN (numbers) or "" (texts). */
static nnb_status convert_cell(builder *b, size_t j, char *s, size_t kept, const char **problem) {
    nnbi_column *c = &b->t->cols[b->slot[j]];
    *problem = NULL;
    if (nnbi_is_missing(s)) {
        if (!b->keep[j])
            *problem = "missing value";
        else if (c->is_text)
            return pool_add(b->t, &b->pool_cap, "", &c->text[kept], b->p->func);
        else
            c->num[kept] = NAN;
        return NNB_OK;
    }
    if (c->is_text) return pool_add(b->t, &b->pool_cap, s, &c->text[kept], b->p->func);
    int ok = parse_cell_number(s, b->o->decimal, &c->num[kept]);
    if (ok == 0)
        *problem = "expected a number";
    else if (ok < 0)
        *problem = "number out of range";
    return NNB_OK;
}

/* Counts, from row r (which starts at row_start) on, the present cells of every number field
 * (present[k]) and those that are not numbers (bad[k]); the rows before r had numbers there. */
static void count_bad_cells(const builder *b, size_t r, const char *row_start, size_t *bad,
                            size_t *present) {
    const parser *p = b->p;
    for (size_t k = 0; k < p->n_fields; k++) bad[k] = 0, present[k] = r;
    const char *q = row_start;
    for (size_t i = r; i < p->n_rows; i++)
        for (size_t k = 0; k < p->n_fields; k++) {
            double v;
            if (b->kind[k] == KIND_NUMBER && !nnbi_is_missing(q)) {
                present[k]++;
                bad[k] += nnbi_parse_number(q, &v) != 1;
            }
            q += strlen(q) + 1;
        }
}

/* Does a number field with `bad` of its `present` cells not numbers hold text (a name, a date, a
 * category)? At least two cells, and half of them. */
static int holds_text(size_t bad, size_t present) { return bad >= 2 && 2 * bad >= present; }

/* The other number fields than j that hold text too, named in `also` ("; so do 'date' and
 * 'city'"), so that one message lists every column to one-hot encode or drop; "" if none. */
static void other_text_columns(const builder *b, size_t j, const size_t *bad, const size_t *present,
                               char *also, size_t len) {
    const size_t n = b->p->n_fields;
    size_t count = 0, last = 0, used;
    for (size_t k = 0; k < n; k++)
        if (k != j && b->kind[k] == KIND_NUMBER && holds_text(bad[k], present[k]))
            count++, last = k;
    also[0] = '\0';
    if (count == 0) return;
    used = (size_t)snprintf(also, len, "; so do");
    for (size_t k = 0, shown = 0; k < n && used < len; k++) {
        if (k == j || b->kind[k] != KIND_NUMBER || !holds_text(bad[k], present[k])) continue;
        const char *sep = shown == 0 ? " " : k == last ? " and " : ", ";
        if (shown == 8 && count > 9) {
            used += (size_t)snprintf(also + used, len - used, " and %zu more", count - shown);
            break;
        }
        used += (size_t)snprintf(also + used, len - used, "%s'%.60s'", sep,
                                 b->t->cols[b->slot[k]].name);
        shown++;
    }
}

/* The error for cell s (field j of row r, which starts at row_start) that is not a number: with
 * what the rest of the column says. A column at least half of whose present cells (two or more)
 * are not numbers "holds text" (a name, a date, a category: to be read as text, one-hot encoded
 * or dropped), and the other columns that do too are named; a few bad cells are typos or markers
 * (to drop their rows); "17,99" is a decimal comma. */
static nnb_status bad_cell(const builder *b, size_t r, size_t j, const char *row_start,
                           const char *problem, const char *s) {
    const parser *p = b->p;
    const char *name = b->t->cols[b->slot[j]].name;
    char cell[80], why[160] = "", also[800] = "";
    quote_cell(s, cell, sizeof cell);
    size_t *bad = calloc(2 * p->n_fields, sizeof *bad), badj = 0, present = r;
    if (bad) {
        count_bad_cells(b, r, row_start, bad, bad + p->n_fields);
        badj = bad[j], present = bad[p->n_fields + j];
    }
    double v;
    char copy[64];
    snprintf(copy, sizeof copy, "%s", s);
    int number = strcmp(problem, "expected a number") == 0;
    if (number && b->o->decimal != ',' && parse_cell_number(copy, ',', &v) == 1 && strchr(s, ','))
        snprintf(why, sizeof why, " (a decimal comma: read the file with the decimal mark ',')");
    else if (number && holds_text(badj, present)) {
        if (bad) other_text_columns(b, j, bad, bad + p->n_fields, also, sizeof also);
        snprintf(why, sizeof why, " (column '%.40s' holds text: %zu of %zu cells are not numbers",
                 name, badj, present);
    } else if (number && badj >= 2)
        snprintf(why, sizeof why, " (%zu of %zu cells of column '%.40s' are not numbers)", badj,
                 present, name);
    free(bad);
    return nnbi_error(NNB_E_FORMAT, p->func, "%s:%zu:%zu: %s in column '%s', found %s%s%s%s",
                      p->name, p->line[r], j + 1, problem, name, cell, why, also,
                      strstr(why, "holds text") ? ")" : "");
}

/* The rows: each converted, or dropped (drop_bad_rows) or refused at its first bad cell. */
static nnb_status read_rows(builder *b) {
    parser *p = b->p;
    nnb_table *t = b->t;
    size_t kept = 0;
    for (size_t r = 0; r < p->n_rows; r++) {
        if ((r & 0xFFFF) == 0xFFFF && nnbi_interrupted()) /* nnb_set_interrupt_flag */
            return nnbi_interrupt_error(p->func, p->name);
        size_t pool_mark = t->pool_len;
        const char *problem = NULL, *row_start = b->q;
        for (size_t j = 0; j < p->n_fields; j++) {
            char *s = b->q;
            b->q += strlen(b->q) + 1;
            if (b->kind[j] == KIND_SKIP || problem) continue;
            nnb_status st = convert_cell(b, j, s, kept, &problem);
            if (st != NNB_OK) return st;
            if (problem && !b->o->drop_bad_rows) return bad_cell(b, r, j, row_start, problem, s);
        }
        if (problem) {
            t->pool_len = pool_mark;
            t->n_dropped++;
            continue;
        }
        t->line[kept++] = p->line[r];
    }
    t->n_rows = kept;
    if (kept == 0)
        return nnbi_error(NNB_E_FORMAT, p->func,
                          "%s: all %zu rows have missing or non-numeric "
                          "cells",
                          p->name, p->n_rows);
    return NNB_OK;
}

static nnb_status build_table(parser *p, const nnb_csv_opts *o, nnb_table **out) {
    builder b = {.p = p, .o = o};
    b.fields = malloc(p->n_fields * sizeof *b.fields);
    b.kind = malloc(p->n_fields);
    b.keep = malloc(p->n_fields);
    b.slot = malloc(p->n_fields * sizeof *b.slot);
    b.t = calloc(1, sizeof *b.t);
    nnb_status st = NNB_OK;
    if (!b.fields || !b.kind || !b.keep || !b.slot || !b.t || !(b.t->source = nnbi_strdup(p->name)))
        st = nnbi_error(NNB_E_NOMEM, p->func, "%s: no memory", p->name);
    if (st == NNB_OK) st = read_header(&b);
    if (st == NNB_OK) st = alloc_columns(&b);
    if (st == NNB_OK) st = read_rows(&b);
    nnb_table *t = b.t;
    if (st == NNB_OK && t->pool_len && t->pool_len < b.pool_cap) { /* give back the slack */
        char *pool = realloc(t->pool, t->pool_len);
        if (pool) t->pool = pool;
    }
    if (st == NNB_OK && !nnbi_index_build(&t->index, t->n_cols, col_name_at, t, NULL, NULL))
        st = nnbi_error(NNB_E_NOMEM, p->func, "%s: no memory for the column index", p->name);
    nnbi_index_free(&b.fx);
    free(b.fields);
    free(b.kind);
    free(b.keep);
    free(b.slot);
    if (st != NNB_OK) {
        nnb_table_free(t);
        t = NULL;
    }
    *out = t;
    return st;
}

static nnb_status parse_buffer(const char *func, char *buf, size_t n, const char *name,
                               const nnb_csv_opts *opts, nnb_table **out) {
    static const nnb_csv_opts defaults = {.delimiter = ',', .decimal = '.'};
    const nnb_csv_opts *o = opts ? opts : &defaults;
    parser p = {func, name, buf, n, 0, 0, 0, NULL, 0};
    nnb_status st = tokenise(&p, o->delimiter);
    if (st == NNB_OK) st = build_table(&p, o, out);
    free(p.line);
    return st;
}

NNB_API nnb_status nnb_csv_read_buffer(nnb_table **out, const char *data, size_t len,
                                       const char *name, const nnb_csv_opts *opts) {
    NNBI_CHECK_NULL(out, __func__);
    *out = NULL;
    if (len > 0) NNBI_CHECK_NULL(data, __func__);
    if (!name) name = "<memory>";
    if (len == SIZE_MAX) return nnbi_error(NNB_E_TOO_LARGE, __func__, "%s is too large", name);
    nnb_status st = check_memory(__func__, name, len, "a copy of the text");
    if (st != NNB_OK) return st;
    char *buf = malloc(len + 1);
    if (!buf) return nnbi_error(NNB_E_NOMEM, __func__, "%s: no memory for a copy", name);
    if (len) memcpy(buf, data, len);
    buf[len] = '\0';
    st = parse_buffer(__func__, buf, len, name, opts, out);
    free(buf);
    return st;
}
NNBI_DEPRECATED_ALIAS(nnb_csv_parse, nnb_csv_read_buffer);

NNB_API nnb_status nnb_csv_opts_set_input_limit(nnb_csv_opts *opts, size_t bytes) {
    NNBI_CHECK_NULL(opts, __func__);
    if (bytes == 0) return nnbi_error(NNB_E_INVALID_ARG, __func__, "a limit of 0 bytes");
    opts->input_limit = bytes;
    return NNB_OK;
}
NNBI_DEPRECATED_ALIAS(nnb_csv_options_set_input_limit, nnb_csv_opts_set_input_limit);

NNB_API nnb_status nnb_csv_opts_get_input_limit(const nnb_csv_opts *opts, size_t *n_bytes) {
    NNBI_CHECK_NULL(opts, __func__);
    if (n_bytes) *n_bytes = opts->input_limit;
    return NNB_OK;
}

NNB_API nnb_status nnb_csv_read(nnb_table **out, const char *path, const nnb_csv_opts *opts) {
    NNBI_CHECK_NULL(out, __func__);
    *out = NULL;
    NNBI_CHECK_NULL(path, __func__);
    char *buf = NULL;
    size_t n = 0;
    nnb_status st = nnbi_read_input(__func__, path, opts ? opts->input_limit : 0, 1, &buf, &n);
    if (st != NNB_OK) return st;
    st = parse_buffer(__func__, buf, n, path, opts, out);
    free(buf);
    return st;
}
