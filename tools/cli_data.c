/* The nnblas command: reading CSV and IDX data, and what the tool knows about a loaded model. */
/* realpath() is an X/Open function. */
#define _XOPEN_SOURCE 700

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "cli.h"
#include "name_index.h"

/* ---- IDX ------------------------------------------------------------------------------------- */

static const char *const fashion_names[10] = {"T-shirt/top", "Trouser",   "Pullover", "Dress",
                                              "Coat",        "Sandal",    "Shirt",    "Sneaker",
                                              "Bag",         "Ankle boot"};
static const char *const digit_names[10] = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};

int idx_spec_parse(const char *spec, idx_spec *out, char *err, size_t err_len) {
    const char *dir = NULL;
    if (strncmp(spec, "fashion-mnist", 13) == 0 && (spec[13] == '\0' || spec[13] == ':')) {
        out->fashion = 1;
        dir = spec[13] ? spec + 14 : "/usr/share/datasets/fashion-mnist";
    } else if (strncmp(spec, "mnist:", 6) == 0) {
        out->fashion = 0;
        dir = spec + 6;
    } else {
        snprintf(err, err_len, "'%s' is not fashion-mnist, fashion-mnist:DIR or mnist:DIR", spec);
        return 0;
    }
    if (!*dir || strlen(dir) >= sizeof out->dir) {
        snprintf(err, err_len, "'%s' has no folder (or too long a one)", spec);
        return 0;
    }
    strcpy(out->dir, dir);
    return 1;
}

const char *idx_class_name(const idx_spec *s, size_t k) {
    return k < 10 ? (s->fashion ? fashion_names : digit_names)[k] : "?";
}

/* ---- the files a command reads and writes ------------------------------------------------- */

int check_data_files(const command *cmd, const data_flags *df, const file_use *others,
                     size_t n_others) {
    static const char *const idx_names[4] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                             "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};
    enum { N_IDX = 8 };
    idx_spec spec;
    char err[256];
    int idx = df->idx && idx_spec_parse(df->idx, &spec, err, sizeof err);
    file_use *uses = calloc(n_others + 1 + N_IDX, sizeof *uses);
    char(*paths)[sizeof spec.dir + 40] = idx ? calloc(N_IDX, sizeof *paths) : NULL;
    if (!uses || (idx && !paths)) {
        free(uses), free(paths);
        return fail("out of memory");
    }
    size_t n = 0;
    for (size_t i = 0; i < n_others; i++) uses[n++] = others[i];
    if (df->csv) uses[n++] = (file_use){"--csv", df->csv, 0, 0};
    for (size_t i = 0; idx && i < N_IDX; i++) { /* each file plain and gzipped: the one there */
        snprintf(paths[i], sizeof paths[i], "%s/%s%s", spec.dir, idx_names[i / 2],
                 i % 2 ? ".gz" : "");
        uses[n++] = (file_use){"the IDX file", paths[i], 0, 0};
    }
    int st = check_files(cmd, uses, n);
    free(uses), free(paths);
    return st;
}

/* ---- the data's identity --------------------------------------------------------------------- */

/* CRC-32 of n bytes, continued from crc (zlib's takes at most UINT_MAX bytes a call). */
static uint32_t crc_bytes(uint32_t crc, const void *p, size_t n) {
    const unsigned char *b = p;
    while (n) {
        unsigned k = n > (1u << 30) ? 1u << 30 : (unsigned)n;
        crc = (uint32_t)crc32(crc, b, k);
        b += k, n -= k;
    }
    return crc;
}

/* The absolute path of an existing regular file or folder into out ("" if it is neither). */
static void absolute(const char *path, int folder, char *out, size_t len) {
    struct stat st;
    char *real = NULL;
    out[0] = '\0';
    if (strcmp(path, "-") != 0 && stat(path, &st) == 0 &&
        (folder ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode)) && (real = realpath(path, NULL)))
        snprintf(out, len, "%s", real);
    free(real);
}

int run_identity_make(const nnb_net *net, const nnb_prep *prep, const data_id *data,
                      const char *const *labels, size_t n_classes, run_identity *out) {
    memset(out, 0, sizeof *out);
    size_t n = nnb_model_write_size(net, prep, NULL, 0), used = 0;
    unsigned char *buf = malloc(n ? n : 1);
    if (!buf) return fail("out of memory"), 0;
    nnb_status st = nnb_model_write_buffer(net, prep, NULL, 0, buf, n, &used);
    /* FNV-1a, not CRC-32: the bytes end in their own CRC-32, and the CRC-32 of any message
     * followed by its CRC-32 is one constant */
    uint64_t h = 0xcbf29ce484222325u;
    for (size_t i = 0; st == NNB_OK && i < used; i++) h = (h ^ buf[i]) * 0x100000001b3u;
    out->model_hash = h;
    free(buf);
    if (st != NNB_OK) return fail_nnb(), 0;
    out->data_crc = data->crc;
    out->data_bytes = data->bytes;
    size_t at = 0;
    snprintf(out->classes, sizeof out->classes, "%s", n_classes ? "" : "none");
    for (size_t k = 0; k < n_classes && at + 1 < sizeof out->classes; k++)
        at += (size_t)snprintf(out->classes + at, sizeof out->classes - at, "%s%s", k ? ", " : "",
                               labels[k]);
    if (at >= sizeof out->classes) memcpy(out->classes + sizeof out->classes - 4, "...", 4);
    return 1;
}

void data_id_csv(const csv_input *in, data_id *id) {
    id->known = 1;
    absolute(in->name, 0, id->path, sizeof id->path);
    id->bytes = in->len;
    id->crc = crc_bytes((uint32_t)crc32(0, NULL, 0), in->text, in->len);
}

void data_id_idx(const char *dir, const mat *x, const mat *y, const mat *xt, const mat *yt,
                 data_id *id) {
    const mat *m[4] = {x, y, xt, yt};
    uint32_t crc = (uint32_t)crc32(0, NULL, 0);
    unsigned char buf[4096];
    size_t n = 0;
    id->bytes = 0;
    for (int k = 0; k < 4; k++)
        for (size_t i = 0; i < m[k]->rows * m[k]->cols; i++) {
            buf[n++] = (unsigned char)lround(mat_get(m[k], i) * 255); /* pixel / 255, or 0/1 */
            if (n == sizeof buf) crc = crc_bytes(crc, buf, n), id->bytes += n, n = 0;
        }
    id->crc = crc_bytes(crc, buf, n);
    id->bytes += n;
    id->known = 1;
    absolute(dir, 1, id->path, sizeof id->path);
}

/* ---- IDX data ------------------------------------------------------------------------------- */

int idx_read(const idx_spec *s, nnb_mnist_part part, nnb_dtype dtype, mat *x, mat *y) {
    size_t rows, cols;
    x->v = y->v = NULL;
    x->f = y->f = NULL;
    if (nnb_mnist_info(s->dir, part, &rows, &cols) != NNB_OK) return fail_nnb(), 0;
    if (!mat_alloc(x, rows, cols, dtype) || !mat_alloc(y, rows, 10, dtype)) {
        mat_free(x);
        return 0;
    }
    nnb_status st =
        dtype == NNB_F32
            ? nnb_mnist_read_part_f32(s->dir, part, 1, x->f, rows * cols, y->f, rows * 10)
            : nnb_mnist_read_part(s->dir, part, 1, x->v, rows * cols, y->v, rows * 10);
    if (st != NNB_OK) {
        fail_nnb();
        mat_free(x);
        mat_free(y);
        return 0;
    }
    return 1;
}

int permute_rows(mat *x, const size_t *order) {
    size_t n = x->rows, c = x->cols, bytes = c * mat_elem_size(x);
    unsigned char *done = calloc(n ? n : 1, 1), *v = mat_data(x);
    unsigned char *tmp = malloc(bytes ? bytes : 1);
    if (!done || !tmp) {
        free(done), free(tmp);
        return fail("out of memory"), 0;
    }
    /* follow each cycle of the permutation: row j takes old row order[j] */
    for (size_t i = 0; i < n; i++) {
        if (done[i]) continue;
        memcpy(tmp, v + i * bytes, bytes);
        size_t j = i;
        for (;;) {
            done[j] = 1;
            size_t k = order[j];
            if (k == i) {
                memcpy(v + j * bytes, tmp, bytes);
                break;
            }
            memcpy(v + j * bytes, v + k * bytes, bytes);
            j = k;
        }
    }
    free(done);
    free(tmp);
    return 1;
}

/* ---- CSV ------------------------------------------------------------------------------------- */

int csv_input_read(const char *path, csv_input *in) {
    in->name = path;
    in->text = NULL;
    in->len = 0;
    /* "-": standard input, through /dev/stdin (a pipe, a file or a terminal, read once) */
    const char *open_as = strcmp(path, "-") == 0 ? "/dev/stdin" : path;
    if (nnb_input_read(open_as, 0, 1, &in->text, &in->len) != NNB_OK) return fail_nnb(), 0;
    return 1;
}

void csv_input_free(csv_input *in) {
    free(in->text);
    in->text = NULL;
}

int delimiter_valid(const char *s, char *delim) {
    if (strcmp(s, "tab") == 0 || strcmp(s, "\\t") == 0 || strcmp(s, "\t") == 0)
        return *delim = '\t', 1;
    if (strcmp(s, "comma") == 0) return *delim = ',', 1;
    if (strcmp(s, "semicolon") == 0) return *delim = ';', 1;
    if (strlen(s) == 1 && s[0] != '"' && s[0] != '\r' && s[0] != '\n') return *delim = s[0], 1;
    return 0;
}

int csv_delimiter(const data_flags *df, const csv_input *in, char *delim) {
    if (df->delimiter) {
        if (!delimiter_valid(df->delimiter, delim))
            return fail("--delimiter: '%s' is not one character, tab, comma or semicolon",
                        df->delimiter),
                   0;
        return 1;
    }
    if (nnb_csv_detect_delimiter_buffer(in->text, in->len, delim) != NNB_OK) return fail_nnb(), 0;
    return 1;
}

int decimal_valid(const char *s, char *decimal) {
    if (strcmp(s, "auto") == 0) return *decimal = 0, 1;
    if (strcmp(s, ".") == 0 || strcmp(s, "point") == 0) return *decimal = '.', 1;
    if (strcmp(s, ",") == 0 || strcmp(s, "comma") == 0) return *decimal = ',', 1;
    return 0;
}

int csv_decimal(const data_flags *df, const csv_input *in, char delim, char *decimal) {
    if (df->decimal && !decimal_valid(df->decimal, decimal))
        return fail("--decimal: '%s' is not '.', ',' or auto", df->decimal), 0;
    if (df->decimal && *decimal) return 1;
    if (nnb_csv_detect_decimal_buffer(in->text, in->len, delim, decimal) != NNB_OK)
        return fail_nnb(), 0;
    return 1;
}

void note_unseen(const nnb_prep *prep, const nnb_table *t, const size_t *rows, size_t n,
                 const char *what) {
    size_t cells = 0, hit = 0;
    if (n && nnb_prep_n_unseen(prep, t, rows, n, &cells, &hit) == NNB_OK && cells)
        fprintf(stderr,
                "nnblas: note: %zu of %s (%zu cells) have categories the training rows lack; they "
                "are encoded as all zeros\n",
                hit, what, cells);
}

/* The column a CSV message names ("... in column 'when', found ..."), into col. */
static int message_column(const char *m, char *col, size_t len) {
    const char *a = strstr(m, "in column '"), *b = a ? strstr(a + 11, "', found") : NULL;
    if (!b) return 0;
    snprintf(col, len, "%.*s", (int)(b - a - 11), a + 11);
    return 1;
}

/* The columns a "holds text" message names, comma-separated into out (a --one-hot or --drop
 * list): col, then those after "; so do " ('a', 'b' and 'c'). The number of them. */
static size_t text_columns(const char *m, const char *col, char *out, size_t len) {
    size_t n = 1, used = (size_t)snprintf(out, len, "%s", col);
    const char *p = strstr(m, "; so do '");
    for (p = p ? p + 8 : NULL; p && *p == '\'' && used < len; n++) {
        const char *e = strchr(p + 1, '\'');
        if (!e || (size_t)(e - p) > len - used) break;
        used += (size_t)snprintf(out + used, len - used, ",%.*s", (int)(e - p - 1), p + 1);
        p = strncmp(e + 1, ", '", 3) == 0 ? e + 3 : strncmp(e + 1, " and '", 6) == 0 ? e + 6 : NULL;
    }
    return n;
}

int fail_csv(const data_flags *df) {
    const char *m = nnb_last_error();
    char col[128], cols[1024];
    if (!message_column(m, col, sizeof col)) return fail_nnb(), 0;
    if (strstr(m, "holds text")) {
        int many = text_columns(m, col, cols, sizeof cols) > 1;
        return fail("%s (--one-hot %s reads %s as categories, --drop %s leaves %s out)",
                    lib_message(), cols, many ? "them" : "it", cols, many ? "them" : "it"),
               0;
    }
    if (strstr(m, "decimal comma")) return fail("%s (--decimal , reads it)", lib_message()), 0;
    if (df->drop_bad_rows) return fail_nnb(), 0;
    if (strstr(m, "missing value"))
        return fail("%s (--fill mean fills missing feature cells; --drop-bad-rows leaves such "
                    "rows out)",
                    lib_message()),
               0;
    return fail("%s (--drop-bad-rows leaves such rows out)", lib_message()), 0;
}

int unknown_arg(const command *cmd, const char *arg, const char *const *known, size_t n_known) {
    const char *near = arg[0] == '-' ? nnb_name_find_nearest(arg, known, n_known) : NULL;
    return usage_error(cmd, "unknown %s '%s'%s%s%s", arg[0] == '-' ? "option" : "argument", arg,
                       near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "");
}

int csv_header(const csv_input *in, char delim, strlist *names) {
    names->n = 0;
    names->s = NULL;
    const char *path = in->name;
    /* a UTF-8 byte-order mark is skipped (the bytes are in memory: nothing is read twice) */
    size_t skip = in->len >= 3 && memcmp(in->text, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    if (in->len == skip) return fail("%s: the file is empty", path), 0;
    FILE *f = fmemopen(in->text + skip, in->len - skip, "rb");
    if (!f) return fail("%s: %s", path, strerror(errno)), 0;
    size_t cap = 0, len = 0, n_cap = 0;
    char *field = NULL;
    int c, quoted = 0, ok = 1, started = 0, at_start = 1;
    for (;;) {
        c = fgetc(f);
        if (!started && (c == '\r' || c == '\n')) continue; /* blank lines before the header */
        started = 1;
        int end_field = 0, end_record = 0;
        if (c == EOF) {
            if (quoted) {
                ok = 0;
                fail("%s: the header ends inside a quoted name", path);
                break;
            }
            end_field = end_record = 1;
        } else if (quoted) {
            if (c == '"') {
                int d = fgetc(f);
                if (d == '"') {
                    c = '"';
                } else {
                    quoted = 0;
                    if (d != EOF) ungetc(d, f);
                    continue;
                }
            }
        } else if (c == '"' && at_start) {
            quoted = 1;
            at_start = 0;
            continue;
        } else if (c == delim) {
            end_field = 1;
        } else if (c == '\r' || c == '\n') {
            end_field = end_record = 1;
        }
        if (end_field) {
            if (names->n == n_cap) {
                n_cap = n_cap ? 2 * n_cap : 16;
                char **s = realloc(names->s, n_cap * sizeof *s);
                if (!s) {
                    ok = 0;
                    fail("out of memory");
                    break;
                }
                names->s = s;
            }
            char *name = malloc(len + 1);
            if (!name) {
                ok = 0;
                fail("out of memory");
                break;
            }
            memcpy(name, field ? field : "", len);
            name[len] = '\0';
            names->s[names->n++] = name;
            len = 0;
            at_start = 1;
            if (end_record) break;
            continue;
        }
        if (len + 1 >= cap) {
            size_t grown = cap ? 2 * cap : 64;
            if (grown > ((size_t)1 << 26)) {
                ok = 0;
                fail("%s: the header is too long", path);
                break;
            }
            char *g = realloc(field, grown);
            if (!g) {
                ok = 0;
                fail("out of memory");
                break;
            }
            field = g;
            cap = grown;
        }
        field[len++] = (char)c;
        at_start = 0;
    }
    if (ferror(f) && ok) ok = 0, fail("%s: %s", path, strerror(errno));
    fclose(f);
    free(field);
    if (ok && names->n == 1 && names->s[0][0] == '\0') ok = 0, fail("%s: the file is empty", path);
    if (!ok) strlist_free(names);
    return ok;
}

static const char *prep_column_at(const void *prep, size_t i) {
    const char *name = "";
    nnb_prep_column_info(prep, i, &name, NULL, NULL, NULL);
    return name;
}

int read_table_for_prep(const data_flags *df, const csv_input *in, const nnb_prep *prep,
                        int need_target, nnb_table **out) {
    *out = NULL;
    const char *path = in->name;
    strlist header;
    char delim;
    char decimal;
    if (!csv_delimiter(df, in, &delim) || !csv_decimal(df, in, delim, &decimal) ||
        !csv_header(in, delim, &header))
        return 0;
    nnb_csv_opts *o;
    int ok = nnb_csv_opts_create(&o) == NNB_OK;
    ok = ok && nnb_csv_opts_set_delimiter(o, delim) == NNB_OK &&
         nnb_csv_opts_set_decimal(o, decimal) == NNB_OK &&
         nnb_csv_opts_set_drop_bad_rows(o, df->drop_bad_rows) == NNB_OK;
    /* the preparation's columns hashed: a wide file is not quadratic */
    nnbi_name_index ix = {0};
    if (ok && !nnbi_index_build(&ix, nnb_prep_n_columns(prep), prep_column_at, prep, NULL, NULL)) {
        nnb_csv_opts_free(o);
        strlist_free(&header);
        return fail("out of memory"), 0;
    }
    size_t used = 0;
    for (size_t j = 0; ok && j < header.n; j++) {
        ptrdiff_t i = nnbi_index_find(&ix, header.s[j], prep_column_at, prep);
        int is_target = 0, is_text = 0;
        if (i >= 0) nnb_prep_column_info(prep, (size_t)i, NULL, &is_target, &is_text, NULL);
        nnb_status st;
        if (i < 0 || (is_target && !need_target))
            st = nnb_csv_opts_skip_column(o, header.s[j]); /* not read by the preparation */
        else if (is_text)
            st = nnb_csv_opts_add_text_column(o, header.s[j]), used++;
        else
            st = NNB_OK, used++;
        nnb_fill fill = NNB_FILL_NONE; /* a filled column's missing cells are kept for the fill */
        if (st == NNB_OK && i >= 0 && !is_target &&
            nnb_prep_column_fill(prep, header.s[j], &fill, NULL, NULL) == NNB_OK &&
            fill != NNB_FILL_NONE)
            st = nnb_csv_opts_keep_missing(o, header.s[j]);
        ok = st == NNB_OK;
    }
    if (!ok) {
        fail_nnb();
    } else if (used == 0) {
        ok = 0;
        fail("%s has none of the columns the model reads (%s, ...)", path,
             nnb_prep_feature_name(prep, 0));
    } else if (nnb_csv_read_buffer(out, in->text, in->len, path, o) != NNB_OK) {
        ok = 0;
        fail_csv(df);
    }
    nnbi_index_free(&ix);
    nnb_csv_opts_free(o);
    strlist_free(&header);
    return ok;
}

int prep_rows(const nnb_prep *prep, const nnb_table *t, const size_t *rows, size_t n,
              nnb_dtype dtype, mat *x, mat *y) {
    size_t nf = nnb_prep_n_features(prep), ny = nnb_prep_n_targets(prep);
    if (y) y->v = NULL, y->f = NULL;
    if (!mat_alloc(x, n, nf, dtype)) return 0;
    if (y && !mat_alloc(y, n, ny, dtype)) {
        mat_free(x);
        return 0;
    }
    size_t y_len = y ? n * ny : 0;
    nnb_status st = NNB_OK;
    if (n && dtype == NNB_F32)
        st = nnb_prep_apply_f32(prep, t, rows, n, x->f, n * nf, y ? y->f : NULL, y_len);
    else if (n)
        st = nnb_prep_apply(prep, t, rows, n, x->v, n * nf, y ? y->v : NULL, y_len);
    if (st != NNB_OK) {
        /* a value beyond float32's range: say what the command can do about it */
        if (st == NNB_E_NONFINITE && dtype == NNB_F32)
            fail("%s (the network is float32; --dtype f64 trains a float64 one)", lib_message());
        else
            fail_nnb();
        mat_free(x);
        if (y) mat_free(y);
        return 0;
    }
    return 1;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}
static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int class_strata(const nnb_table *t, const char *target, double **out, size_t *n_classes) {
    size_t col, n = nnb_table_n_rows(t);
    *out = NULL;
    if (nnb_table_find_column(t, target, &col) != NNB_OK) return fail_nnb(), 0;
    double *v = malloc((n ? n : 1) * sizeof *v);
    if (!v) return fail("out of memory"), 0;
    size_t k = 0;
    if (!nnb_table_column_is_text(t, col)) {
        nnb_table_get_column(t, col, v, n);
        double *s = malloc((n ? n : 1) * sizeof *s);
        if (!s) return free(v), fail("out of memory"), 0;
        memcpy(s, v, n * sizeof *s);
        qsort(s, n, sizeof *s, cmp_double);
        for (size_t i = 0; i < n; i++) k += i == 0 || s[i] != s[i - 1];
        free(s);
    } else {
        const char **s = malloc((n ? n : 1) * sizeof *s);
        if (!s) return free(v), fail("out of memory"), 0;
        for (size_t i = 0; i < n; i++) s[i] = nnb_table_get_text(t, i, col);
        qsort(s, n, sizeof *s, cmp_str);
        size_t m = 0; /* distinct, sorted, in place */
        for (size_t i = 0; i < n; i++)
            if (i == 0 || strcmp(s[i], s[m - 1]) != 0) s[m++] = s[i];
        for (size_t i = 0; i < n; i++) {
            const char *key = nnb_table_get_text(t, i, col);
            const char **hit = bsearch(&key, s, m, sizeof *s, cmp_str);
            v[i] = (double)(hit - s);
        }
        k = m;
        free(s);
    }
    *out = v;
    *n_classes = k;
    return 1;
}

/* ---- loaded models --------------------------------------------------------------------------- */

void model_close(model_info *mi) {
    nnb_net_free(mi->net);
    nnb_prep_free(mi->prep);
    nnb_meta_free(mi->meta);
    free(mi->labels);
    memset(mi, 0, sizeof *mi);
}

int model_open(const char *path, model_info *mi) {
    memset(mi, 0, sizeof *mi);
    if (nnb_model_read(&mi->net, &mi->prep, &mi->meta, path) != NNB_OK) return fail_nnb(), 0;
    size_t n_out = nnb_net_n_outputs(mi->net), n_layers = nnb_net_n_layers(mi->net);
    nnb_activation out_act;
    nnb_net_layer_info(mi->net, n_layers - 1, NULL, NULL, &out_act, NULL, NULL, NULL);
    const char *task = nnb_meta_get(mi->meta, "task");
    mi->target = "label";
    if (nnb_prep_n_classes(mi->prep) > 0) {
        mi->n_classes = nnb_prep_n_classes(mi->prep);
    } else if (nnb_prep_n_targets(mi->prep) == 0 && task && strcmp(task, "classification") == 0) {
        mi->n_classes = n_out == 1 ? 2 : n_out; /* an IDX model: labels in the metadata */
    }
    for (size_t i = 0; i < nnb_prep_n_columns(mi->prep); i++) {
        const char *name;
        int is_target;
        nnb_prep_column_info(mi->prep, i, &name, &is_target, NULL, NULL);
        if (is_target) {
            mi->target = name;
            break;
        }
    }
    /* classes must map onto the outputs: one per output, or one sigmoid output for two */
    if (mi->n_classes && mi->n_classes != n_out && !(n_out == 1 && mi->n_classes == 2))
        mi->n_classes = 0;
    mi->binary_sigmoid = mi->n_classes == 2 && n_out == 1;
    if (mi->n_classes) {
        mi->labels = calloc(mi->n_classes, sizeof *mi->labels);
        if (!mi->labels) return model_close(mi), fail("out of memory"), 0;
        for (size_t k = 0; k < mi->n_classes; k++) {
            char key[32];
            snprintf(key, sizeof key, "class.%zu", k);
            const char *l = nnb_prep_class_label(mi->prep, k);
            if (!l) l = nnb_meta_get(mi->meta, key);
            mi->labels[k] = l ? l : digit_names[k % 10];
        }
    }
    /* the loss it was trained with, if the metadata says and it fits, else the default */
    const char *ln = nnb_meta_get(mi->meta, "train.loss");
    nnb_loss loss;
    if (!ln || nnb_loss_parse(ln, &loss) != NNB_OK || !nnb_loss_fits(loss, out_act))
        loss = nnb_default_loss(out_act, mi->n_classes ? NNB_TARGET_ONEHOT : NNB_TARGET_VALUES);
    mi->loss = loss;
    return 1;
}

int model_data(const model_info *mi, const data_flags *df, int want_y, mat *x, mat *y) {
    x->v = NULL, x->f = NULL;
    if (y) y->v = NULL, y->f = NULL;
    size_t n_in = nnb_net_n_inputs(mi->net);
    nnb_dtype dtype = nnb_net_dtype(mi->net); /* the data in the network's type */
    if (df->idx) {
        idx_spec s;
        char err[256];
        if (!idx_spec_parse(df->idx, &s, err, sizeof err)) return fail("--idx: %s", err), 0;
        if (mi->prep && !nnb_prep_is_matrix(mi->prep))
            return fail("the model was trained on CSV data; give it --csv"), 0;
        mat yy;
        if (!idx_read(&s, NNB_MNIST_TEST, dtype, x, &yy)) return 0;
        if (x->cols != n_in) {
            mat_free(x), mat_free(&yy);
            return fail("the images have %zu pixels, the model %zu inputs", x->cols, n_in), 0;
        }
        if (mi->prep && mat_transform(mi->prep, x) != NNB_OK) {
            mat_free(x), mat_free(&yy);
            return fail_nnb(), 0;
        }
        if (!mat_check_range(x, dtype, mi->prep, 0)) return mat_free(x), mat_free(&yy), 0;
        if (want_y && nnb_net_n_outputs(mi->net) != 10) {
            mat_free(x), mat_free(&yy);
            return fail("the model has %zu outputs, the data 10 classes",
                        nnb_net_n_outputs(mi->net)),
                   0;
        }
        if (y && want_y)
            *y = yy;
        else
            mat_free(&yy);
        return 1;
    }
    if (!mi->prep)
        return fail("the model has no data preparation, so nnblas cannot read CSV data "
                    "for it"),
               0;
    if (nnb_prep_is_matrix(mi->prep))
        return fail("the model was trained on IDX images; give it --idx"), 0;
    if (want_y && nnb_prep_n_targets(mi->prep) == 0)
        return fail("the model's preparation has no target column"), 0;
    nnb_table *t;
    csv_input in;
    if (!csv_input_read(df->csv, &in)) return 0;
    int read = read_table_for_prep(df, &in, mi->prep, want_y, &t);
    csv_input_free(&in);
    if (!read) return 0;
    int ok = prep_rows(mi->prep, t, NULL, nnb_table_n_rows(t), dtype, x, want_y ? y : NULL);
    if (ok) note_unseen(mi->prep, t, NULL, nnb_table_n_rows(t), "the rows");
    nnb_table_free(t);
    if (ok && (!mat_check_range(x, dtype, mi->prep, 0) ||
               (want_y && y && !mat_check_range(y, dtype, mi->prep, 1)))) {
        mat_free(x);
        if (want_y && y) mat_free(y);
        return 0;
    }
    return ok;
}
