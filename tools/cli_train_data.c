/* nnblas train, its data (tools/cli_train_data.c): a CSV file read (the column kinds found, the
 * task decided, the preparation configured and fitted on the training part) or an IDX set, split
 * into training, validation and test parts and prepared in the network's type; for --resume, the
 * same with the model's preparation. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli_train.h"
#include "name_index.h"

void prepared_free(prepared *d) {
    mat_free(&d->xtr), mat_free(&d->ytr), mat_free(&d->xval), mat_free(&d->yval);
    mat_free(&d->xte), mat_free(&d->yte);
    nnb_prep_free(d->prep);
    free(d->labels);
}

static int set_labels(prepared *d, const idx_spec *idx) {
    d->labels = calloc(d->n_classes ? d->n_classes : 1, sizeof *d->labels);
    if (!d->labels) return fail("out of memory"), 0;
    for (size_t k = 0; k < d->n_classes; k++)
        d->labels[k] = idx ? idx_class_name(idx, k) : nnb_prep_class_label(d->prep, k);
    return 1;
}

/* Is every cell of text column `col` a number (or missing: "", kept for --fill)? */
static int text_is_numeric(const nnb_table *t, size_t col) {
    double v;
    for (size_t r = 0; r < nnb_table_n_rows(t); r++) {
        const char *s = nnb_table_get_text(t, r, col);
        if (*s && !is_number(s, &v)) return 0;
    }
    return 1;
}

static const char *strlist_at(const void *l, size_t i) { return ((const strlist *)l)->s[i]; }

/* The CSV options every read of a fresh run shares: the delimiter, the decimal mark, dropped
 * rows and, with --fill, the missing cells of every column but the targets kept. 0 with a
 * message. */
static int base_options(const data_flags *df, const csv_input *in, char delim,
                        const strlist *header, const strlist *targets, nnb_csv_opts *o) {
    char decimal;
    if (!csv_decimal(df, in, delim, &decimal)) return 0;
    nnb_status st = nnb_csv_opts_set_delimiter(o, delim);
    if (st == NNB_OK) st = nnb_csv_opts_set_decimal(o, decimal);
    if (st == NNB_OK) st = nnb_csv_opts_set_drop_bad_rows(o, df->drop_bad_rows);
    nnbi_name_index ix = {0}; /* the targets hashed: a wide file is not quadratic */
    if (st == NNB_OK && df->fill &&
        !nnbi_index_build(&ix, targets->n, strlist_at, targets, NULL, NULL))
        st = NNB_E_NOMEM;
    for (size_t j = 0; df->fill && j < header->n && st == NNB_OK; j++)
        if (nnbi_index_find(&ix, header->s[j], strlist_at, targets) < 0) /* not a target */
            st = nnb_csv_opts_keep_missing(o, header->s[j]);
    nnbi_index_free(&ix);
    if (st == NNB_E_NOMEM) return fail("out of memory"), 0;
    return st == NNB_OK ? 1 : (fail_nnb(), 0);
}

/* Reads the CSV with `text` columns as text and `drop` columns skipped. */
static int read_csv(const data_flags *df, const csv_input *in, char delim, const strlist *header,
                    const strlist *targets, const strlist *text, const strlist *drop,
                    nnb_table **t) {
    nnb_csv_opts *o;
    if (nnb_csv_opts_create(&o) != NNB_OK) return fail_nnb(), 0;
    if (!base_options(df, in, delim, header, targets, o)) {
        nnb_csv_opts_free(o);
        return 0;
    }
    nnb_status st = NNB_OK;
    for (size_t i = 0; i < text->n && st == NNB_OK; i++)
        st = nnb_csv_opts_add_text_column(o, text->s[i]);
    for (size_t i = 0; i < drop->n && st == NNB_OK; i++)
        st = nnb_csv_opts_skip_column(o, drop->s[i]);
    if (st == NNB_OK) st = nnb_csv_read_buffer(t, in->text, in->len, in->name, o);
    nnb_csv_opts_free(o);
    return st == NNB_OK ? 1 : fail_csv(df);
}

/* The target is a class label: text, or few whole numbers. `values` is the numeric column's
 * values (class_strata()'s), n_distinct how many differ. */
static int looks_like_classes(const nnb_table *t, size_t col, const double *values,
                              size_t n_distinct) {
    if (nnb_table_column_is_text(t, col)) return 1;
    size_t n = nnb_table_n_rows(t);
    int whole = 1;
    for (size_t i = 0; i < n && whole; i++) whole = values[i] == floor(values[i]);
    return whole && n_distinct <= 20;
}

/* The prepared data's memory, checked before it is allocated (with a new network's training:
 * fit): rows of the three parts, the preparation's columns; a message names a --one-hot column
 * that makes most of them. */
static int data_fits(const prepared *d, const settings *s, size_t n_train, size_t n_test,
                     size_t n_val, int fit) {
    size_t nf = nnb_prep_n_features(d->prep), ny = nnb_prep_n_targets(d->prep);
    size_t es = d->dtype == NNB_F32 ? sizeof(float) : sizeof(double);
    double bytes =
        ((double)(n_train + n_test) * (double)es + (double)n_val * 8) * (double)(nf + ny);
    size_t data = bytes >= (double)SIZE_MAX ? SIZE_MAX : (size_t)bytes;
    char what[300];
    snprintf(what, sizeof what, "the prepared data (%zu rows x %zu columns)",
             n_train + n_test + n_val, nf + ny);
    const char *name, *widest = NULL;
    size_t most = 0, k;
    for (size_t i = 0; i < nnb_prep_n_columns(d->prep); i++) {
        int is_target;
        nnb_prep_column_info(d->prep, i, &name, &is_target, NULL, &k);
        if (!is_target && k > most) widest = name, most = k;
    }
    if (widest && 2 * most >= nf)
        snprintf(what, sizeof what,
                 "--one-hot %.100s: its %zu categories make the prepared data %zu rows x %zu "
                 "columns, which",
                 widest, most, n_train + n_test + n_val, nf + ny);
    if (fit) return check_run_memory(s, nf, ny, n_train, data, what);
    if (data <= nnb_get_available_memory()) return 1;
    return fail("%s does not fit in the memory available", what), 0;
}

/* Splits rows into train, test and validation parts and applies the (fitted, or to be fitted
 * on the training part) preparation to each; categories the training part lacks are counted. */
static int split_apply(prepared *d, const nnb_table *t, const settings *s, const double *strata,
                       int fit) {
    size_t n = nnb_table_n_rows(t), n_train, n_test, n_val;
    size_t *order = malloc((n ? n : 1) * sizeof *order);
    if (!order) return fail("out of memory"), 0;
    int ok = 0;
    if (nnb_rows_split(n, s->test, s->val, s->seed, strata, strata ? n : 0, order, n, &n_train,
                       &n_test, &n_val) != NNB_OK) {
        fail_nnb();
    } else if (fit && nnb_prep_fit(d->prep, t, order, n_train) != NNB_OK) {
        fail_nnb();
    } else if (data_fits(d, s, n_train, n_test, n_val, fit)) {
        ok = prep_rows(d->prep, t, order, n_train, d->dtype, &d->xtr, &d->ytr) &&
             prep_rows(d->prep, t, order + n_train, n_test, d->dtype, &d->xte, &d->yte) &&
             prep_rows(d->prep, t, order + n_train + n_test, n_val, NNB_F64, &d->xval, &d->yval);
        if (ok && cli_rank() == 0) {
            note_unseen(d->prep, t, order + n_train, n_test, "the test rows");
            note_unseen(d->prep, t, order + n_train + n_test, n_val, "the validation rows");
        }
    }
    free(order);
    return ok;
}

/* Every column the flags name is in the header; else a message with the nearest name and the
 * columns. */
static int check_columns(const data_flags *df, const strlist *header,
                         const strlist *const lists[4]) {
    static const char *const flags[4] = {"--target", "--one-hot", "--standardize", "--drop"};
    nnbi_name_index ix; /* the header hashed: 100,000 names checked against 100,000 columns */
    if (!nnbi_index_build(&ix, header->n, strlist_at, header, NULL, NULL))
        return fail("out of memory"), 0;
    for (int l = 0; l < 4; l++)
        for (size_t i = 0; lists[l] && i < lists[l]->n; i++) {
            const char *name = lists[l]->s[i];
            if (nnbi_index_find(&ix, name, strlist_at, header) >= 0) continue;
            nnbi_index_free(&ix);
            const char *near =
                nnb_name_find_nearest(name, (const char *const *)header->s, header->n);
            char cols[600];
            size_t len = 0;
            for (size_t j = 0; j < header->n && len < sizeof cols; j++)
                len += (size_t)snprintf(cols + len, sizeof cols - len, "%s%s", j ? ", " : "",
                                        header->s[j]);
            if (len >= sizeof cols) memcpy(cols + sizeof cols - 4, "...", 4);
            fail("%s: %s has no column '%s'%s%s%s; its columns: %s", flags[l], df->csv, name,
                 near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "", cols);
            return 0;
        }
    nnbi_index_free(&ix);
    return 1;
}

/* Standard deviations of the unscaled numeric features of the training part: when they differ
 * by a factor of 100 or more, a note (once) that standardising would help. */
static void note_scales(const prepared *d) {
    double lo = INFINITY, hi = 0;
    const char *lo_name = NULL, *hi_name = NULL;
    size_t n = d->xtr.rows, nf = d->xtr.cols;
    for (size_t j = 0; j < nf && n > 1; j++) {
        const char *name = nnb_prep_feature_name(d->prep, j);
        nnb_scale how;
        if (!name || nnb_prep_column_stats(d->prep, name, &how, NULL, NULL, NULL) != NNB_OK)
            continue; /* a one-hot column */
        double mean = 0, ss = 0;
        for (size_t i = 0; i < n; i++) mean += mat_get(&d->xtr, i * nf + j);
        mean /= (double)n;
        for (size_t i = 0; i < n; i++) {
            double e = mat_get(&d->xtr, i * nf + j) - mean;
            ss += e * e;
        }
        double sd = sqrt(ss / (double)(n - 1));
        if (!(sd > 0) || !isfinite(sd)) continue;
        if (sd < lo) lo = sd, lo_name = name;
        if (sd > hi) hi = sd, hi_name = name;
    }
    if (lo_name && hi / lo >= 100)
        fprintf(stderr,
                "nnblas: note: the features' scales differ by a factor of %.0e ('%s' has "
                "standard deviation %.3g, '%s' %.3g); standardising them (--standardize all, the "
                "default) usually trains better\n",
                hi / lo, esc(hi_name), hi, esc(lo_name), lo);
}

/* Reads the CSV with the one-hot columns and `target` (NULL: none) as text first; those that turn
 * out to hold only numbers are read again as numbers (sorted numerically). */
static int read_detecting_text(const data_flags *df, const csv_input *in, char delim,
                               const strlist *header, const strlist *targets, const strlist *onehot,
                               const char *target, const strlist *drop, nnb_table **t) {
    strlist cand = {0};
    cand.s = calloc(onehot->n + 1, sizeof *cand.s);
    if (!cand.s) return fail("out of memory"), 0;
    for (size_t i = 0; i < onehot->n; i++) cand.s[cand.n++] = onehot->s[i];
    if (target) cand.s[cand.n++] = (char *)target;
    int ok = read_csv(df, in, delim, header, targets, &cand, drop, t);
    if (ok) {
        size_t n_text = 0;
        for (size_t i = 0; i < cand.n; i++) {
            size_t col;
            nnb_table_find_column(*t, cand.s[i], &col);
            if (!text_is_numeric(*t, col)) cand.s[n_text++] = cand.s[i];
        }
        if (n_text < cand.n) {
            cand.n = n_text;
            nnb_table_free(*t);
            *t = NULL;
            ok = read_csv(df, in, delim, header, targets, &cand, drop, t);
        }
    }
    free(cand.s); /* the names belong to the caller's lists */
    return ok;
}

/* The column lists the data flags name, for a new model. */
typedef struct fresh_lists {
    strlist header, targets, onehot, stand, drop;
    int all, none; /* --standardize all (the default: every numeric feature) or none */
} fresh_lists;

static void fresh_lists_free(fresh_lists *l) {
    strlist_free(&l->header), strlist_free(&l->targets), strlist_free(&l->onehot);
    strlist_free(&l->stand), strlist_free(&l->drop);
}

/* The column lists hashed (--target, --one-hot, --standardize, --drop): a name's position in
 * each, so that lists of 100,000 names are checked against each other in linear time. */
typedef struct role_index {
    const strlist *lists[4];
    nnbi_name_index ix[4];
} role_index;

static int in_list(const role_index *r, int k, const char *name) {
    return r->lists[k] && nnbi_index_find(&r->ix[k], name, strlist_at, r->lists[k]) >= 0;
}

/* The first name of list k that list `other` has too, or NULL. */
static const char *shared(const role_index *r, int k, int other) {
    for (size_t i = 0; r->lists[k] && i < r->lists[k]->n; i++)
        if (in_list(r, other, r->lists[k]->s[i])) return r->lists[k]->s[i];
    return NULL;
}

/* The column lists against each other: no column named twice in one list, no target in --drop
 * or --one-hot, nothing --drop leaves out in --one-hot or --standardize, no one-hot column
 * standardised. 1, or 0 after a usage error naming the column and both options. */
static int check_roles(args *a, const fresh_lists *l) {
    static const char *const opts[4] = {"--target", "--one-hot", "--standardize", "--drop"};
    role_index r;
    memset(&r, 0, sizeof r);
    r.lists[0] = &l->targets, r.lists[1] = &l->onehot, r.lists[3] = &l->drop;
    r.lists[2] = l->all || l->none ? NULL : &l->stand;
    const char *name = NULL, *msg = NULL;
    int k, bad = 0;
    for (k = 0; k < 4 && !bad; k++) {
        size_t dup = SIZE_MAX, dup_of;
        if (r.lists[k] &&
            !nnbi_index_build(&r.ix[k], r.lists[k]->n, strlist_at, r.lists[k], &dup, &dup_of))
            bad = 2;
        else if (dup != SIZE_MAX && r.lists[k])
            bad = 1, name = r.lists[k]->s[dup], msg = opts[k];
    }
    if (!bad && ((name = shared(&r, 0, 3)) || (name = shared(&r, 0, 1))))
        bad = 3, msg = in_list(&r, 3, name) ? "--drop" : "--one-hot";
    for (k = 1; !bad && k <= 2; k++) /* --one-hot, --standardize */
        if ((name = shared(&r, k, 3))) bad = 4, msg = opts[k];
    if (!bad && (name = shared(&r, 2, 1))) bad = 5;
    for (k = 0; k < 4; k++) nnbi_index_free(&r.ix[k]);
    switch (bad) {
    case 1:
        return arg_error(a, "%s names '%s' twice", msg, name);
    case 2:
        return fail("out of memory"), 0;
    case 3:
        return arg_error(a, "the target '%s' is also in %s", name, msg);
    case 4:
        return arg_error(a,
                         "'%s' is in %s and in --drop: a dropped column is not read; leave it out "
                         "of one of them",
                         name, msg);
    case 5:
        return arg_error(a,
                         "'%s' is in --one-hot and in --standardize: its one-hot columns are 0 or "
                         "1, not standardised; leave it out of --standardize",
                         name);
    }
    return 1;
}

/* New model, phase 1: the flags' column lists, the input read, its delimiter and header, every
 * named column checked against the header and the targets' roles against the other lists. */
static int fresh_columns(args *a, const data_flags *df, const settings *s, csv_input *in,
                         char *delim, fresh_lists *l) {
    if (!strlist_split(df->target, &l->targets) ||
        !strlist_split(df->onehot ? df->onehot : "", &l->onehot) ||
        !strlist_split(df->standardize ? df->standardize : "", &l->stand) ||
        !strlist_split(df->drop ? df->drop : "", &l->drop))
        return fail("out of memory"), 0;
    if (l->targets.n == 0) return arg_error(a, "--target names no column"), 0;
    /* every numeric feature is standardised unless --standardize says otherwise */
    l->all = !df->standardize || (l->stand.n == 1 && strcmp(l->stand.s[0], "all") == 0);
    l->none = l->stand.n == 1 && strcmp(l->stand.s[0], "none") == 0;
    if (!csv_input_read(df->csv, in) || !csv_delimiter(df, in, delim) ||
        !csv_header(in, *delim, &l->header))
        return 0;
    const strlist *lists[4] = {&l->targets, &l->onehot, l->all || l->none ? NULL : &l->stand,
                               &l->drop};
    if (!check_columns(df, &l->header, lists)) return 0;
    if (!check_roles(a, l)) return 0;
    if (l->targets.n > 1 && s->task == 0)
        return arg_error(a, "classification takes one --target column"), 0;
    return 1;
}

/* New model, phase 3: the task (from --task, or the target's values and the loss and output
 * flags), checked against the classes, and the output layer and target encoding it takes. */
static int fresh_task(args *a, settings *s, prepared *d, const nnb_table *t, const strlist *targets,
                      const double *strata, size_t n_distinct, nnb_target_kind *kind) {
    size_t tcol;
    nnb_table_find_column(t, targets->s[0], &tcol);
    if (s->task < 0)
        s->task = targets->n == 1 && (looks_like_classes(t, tcol, strata, n_distinct) ||
                                      s->loss == NNB_LOSS_CE || s->output == NNB_ACT_SOFTMAX)
                      ? 0
                      : 1;
    if (s->task == 1 && targets->n == 1 && nnb_table_column_is_text(t, tcol))
        return fail("the target '%s' holds text; it cannot be a regression target", targets->s[0]),
               0;
    d->classification = s->task == 0;
    if (d->classification && n_distinct < 2)
        return fail("the target '%s' has only %zu class", targets->s[0], n_distinct), 0;
    if (d->classification && nnb_target_has_too_many_classes(n_distinct, d->n_rows))
        return fail("the target '%s' has %zu classes in %zu rows (%.1f rows per class): it looks "
                    "like a quantity, not classes; train a regression instead (--task "
                    "regression, or leave --task, --loss and --output to their defaults)",
                    targets->s[0], n_distinct, d->n_rows, (double)d->n_rows / (double)n_distinct),
               0;
    d->target = NULL;
    /* outputs: softmax one-hot, or one sigmoid output for two classes */
    *kind = NNB_TARGET_VALUES;
    if (d->classification) {
        if (s->output < 0) s->output = (int)nnb_default_output(NNB_TARGET_ONEHOT);
        if (s->output != NNB_ACT_SOFTMAX && s->output != NNB_ACT_SIGMOID)
            return arg_error(a, "classification needs --output softmax or "
                                "sigmoid"),
                   0;
        *kind =
            s->output == NNB_ACT_SIGMOID && n_distinct == 2 ? NNB_TARGET_INDEX : NNB_TARGET_ONEHOT;
    } else {
        if (s->output < 0) s->output = (int)nnb_default_output(NNB_TARGET_VALUES);
        if (s->output == NNB_ACT_SOFTMAX)
            return arg_error(a, "--output softmax is for classification"), 0;
    }
    return 1;
}

/* New model, phase 4: the preparation configured: the targets, the one-hot columns, the
 * standardised ones. */
static int fresh_prep(args *a, const data_flags *df, prepared *d, const fresh_lists *l,
                      nnb_target_kind kind) {
    if (nnb_prep_create(&d->prep) != NNB_OK) return fail_nnb(), 0;
    nnb_status st = NNB_OK;
    const char *opt = "--target", *col = NULL; /* the option and column of a failure */
    for (size_t i = 0; i < l->targets.n && st == NNB_OK; i++)
        st = nnb_prep_add_target(d->prep, col = l->targets.s[i], kind);
    for (size_t i = 0; i < l->onehot.n && st == NNB_OK; i++)
        st = nnb_prep_onehot(d->prep, col = l->onehot.s[i]), opt = "--one-hot";
    if (l->all && st == NNB_OK)
        st = nnb_prep_scale(d->prep, col = NULL, NNB_SCALE_STANDARD), opt = "--standardize";
    /* regression targets too (predictions are turned back into the data's units) */
    for (size_t i = 0; l->all && !d->classification && i < l->targets.n && st == NNB_OK; i++)
        st = nnb_prep_scale(d->prep, col = l->targets.s[i], NNB_SCALE_STANDARD);
    for (size_t i = 0; !l->all && !l->none && i < l->stand.n && st == NNB_OK; i++)
        st = nnb_prep_scale(d->prep, col = l->stand.s[i], NNB_SCALE_STANDARD),
        opt = "--standardize";
    nnb_fill fill;
    if (df->fill && st == NNB_OK && (st = nnb_fill_parse(df->fill, &fill)) == NNB_OK)
        st = nnb_prep_fill(d->prep, col = NULL, fill), opt = "--fill";
    /* categories only the test or validation part has: all zeros, counted (note_unseen) */
    if (st == NNB_OK) st = nnb_prep_set_unseen(d->prep, NNB_UNSEEN_ZERO);
    if (st == NNB_E_NOMEM) return fail_nnb(), 0;
    /* conflicting roles come from the flags */
    if (st != NNB_OK) return arg_error(a, "%s %s: %s", opt, col ? col : "all", lib_message());
    return 1;
}

/* New model, phase 5: the preparation fitted on the training part and applied to every part;
 * the classes' labels and the target's name. */
static int fresh_apply(prepared *d, const nnb_table *t, const settings *s, const fresh_lists *l,
                       const double *strata) {
    if (!split_apply(d, t, s, d->classification ? strata : NULL, 1)) return 0;
    if (!l->all && cli_rank() == 0) note_scales(d);
    d->n_classes = nnb_prep_n_classes(d->prep);
    if (!set_labels(d, NULL)) return 0;
    for (size_t i = 0; i < nnb_prep_n_columns(d->prep); i++) {
        const char *name;
        int is_target;
        nnb_prep_column_info(d->prep, i, &name, &is_target, NULL, NULL);
        if (is_target && !d->target) d->target = name;
    }
    return 1;
}

/* CSV data for a new model: find the column kinds, decide the task, configure and fit the
 * preparation on the training part. */
static int csv_fresh(args *a, const data_flags *df, settings *s, prepared *d) {
    fresh_lists l = {0};
    csv_input in = {0};
    nnb_table *t = NULL;
    double *strata = NULL;
    size_t n_distinct = 0;
    nnb_target_kind kind;
    char delim;
    int ok = fresh_columns(a, df, s, &in, &delim, &l);
    if (ok) data_id_csv(&in, &d->id);
    /* phase 2: the target (unless several: regression) and the one-hot columns: text or numbers */
    const char *text_target = l.targets.n == 1 && s->task != 1 ? l.targets.s[0] : NULL;
    ok = ok && read_detecting_text(df, &in, delim, &l.header, &l.targets, &l.onehot, text_target,
                                   &l.drop, &t);
    csv_input_free(&in); /* read for the last time */
    if (ok) {
        d->n_rows = nnb_table_n_rows(t);
        d->n_dropped = nnb_table_n_dropped_rows(t);
    }
    ok = ok && (l.targets.n != 1 || class_strata(t, l.targets.s[0], &strata, &n_distinct));
    ok = ok && fresh_task(a, s, d, t, &l.targets, strata, n_distinct, &kind) &&
         fresh_prep(a, df, d, &l, kind) && fresh_apply(d, t, s, &l, strata);
    free(strata);
    nnb_table_free(t);
    fresh_lists_free(&l);
    return ok;
}

/* CSV data for a resumed model: its preparation reads the file; the split is redone from the
 * stored seed and fractions. */
static int csv_resume(const data_flags *df, const settings *s, prepared *d) {
    nnb_table *t;
    if (nnb_prep_is_matrix(d->prep))
        return fail("the model was trained on IDX images; give it --idx"), 0;
    d->n_classes = nnb_prep_n_classes(d->prep);
    if (d->classification && !set_labels(d, NULL)) return 0;
    csv_input in;
    if (!csv_input_read(df->csv, &in)) return 0;
    data_id_csv(&in, &d->id);
    int read = read_table_for_prep(df, &in, d->prep, 1, &t);
    csv_input_free(&in);
    if (!read) return 0;
    d->n_dropped = nnb_table_n_dropped_rows(t);
    double *strata = NULL;
    size_t k;
    d->n_rows = nnb_table_n_rows(t);
    int ok = (!d->classification || class_strata(t, d->target, &strata, &k)) &&
             split_apply(d, t, s, strata, 0);
    free(strata);
    nnb_table_free(t);
    return ok;
}

/* IDX data: the training part (less a validation part), the test part, standardised per pixel
 * with statistics of the training rows (fitted now, or stored in the resumed model). */
static int idx_data(args *a, const data_flags *df, const settings *s, prepared *d, int fit,
                    idx_spec *spec) {
    char err[256];
    if (!idx_spec_parse(df->idx, spec, err, sizeof err)) {
        if (fit) return arg_error(a, "--idx: %s", err), 0;
        return fail("%s", err), 0;
    }
    if (!fit && !nnb_prep_is_matrix(d->prep))
        return fail("the model was trained on CSV data; give it --csv"), 0;
    int none = df->standardize && strcmp(df->standardize, "none") == 0;
    if (df->standardize && !none && strcmp(df->standardize, "all") != 0)
        return arg_error(a, "--standardize: IDX images take all or none"), 0;
    mat x, y;
    if (!idx_read(spec, NNB_MNIST_TRAIN, d->dtype, &x, &y)) return 0;
    if (!idx_read(spec, NNB_MNIST_TEST, d->dtype, &d->xte, &d->yte))
        return mat_free(&x), mat_free(&y), 0;
    data_id_idx(spec->dir, &x, &y, &d->xte, &d->yte, &d->id);
    size_t n = x.rows, n_train = n, n_val = 0;
    d->n_rows = n;
    if (s->val > 0) {
        size_t *order = malloc(n * sizeof *order);
        double *strata = malloc(n * sizeof *strata); /* the class of each row */
        if (!order || !strata) {
            free(order), free(strata);
            return mat_free(&x), mat_free(&y), fail("out of memory"), 0;
        }
        for (size_t i = 0; i < n; i++) strata[i] = (double)mat_row_class(&y, i);
        int ok = nnb_rows_split(n, 0.0, s->val, s->seed, strata, n, order, n, &n_train, NULL,
                                &n_val) == NNB_OK ||
                 (fail_nnb(), 0);
        ok = ok && permute_rows(&x, order) && permute_rows(&y, order);
        free(order);
        free(strata);
        if (!ok) return mat_free(&x), mat_free(&y), 0;
    }
    /* the training rows are first, the validation rows last: views, no copies */
    if (fit) {
        nnb_scale how = none ? NNB_SCALE_NONE : NNB_SCALE_STANDARD;
        if (nnb_prep_create(&d->prep) != NNB_OK ||
            (x.dtype == NNB_F32
                 ? nnb_prep_fit_matrix_f32(d->prep, x.f, n_train, x.cols, how)
                 : nnb_prep_fit_matrix(d->prep, x.v, n_train, x.cols, how)) != NNB_OK)
            return mat_free(&x), mat_free(&y), fail_nnb(), 0;
    }
    if (mat_transform(d->prep, &x) != NNB_OK || mat_transform(d->prep, &d->xte) != NNB_OK)
        return mat_free(&x), mat_free(&y), fail_nnb(), 0;
    d->xtr = x, d->ytr = y; /* owned by d from here on */
    d->xtr.rows = d->ytr.rows = n_train;
    /* float64 copies of the validation rows, so that each matrix owns its buffer */
    if (n_val && (!mat_rows_f64(&x, n_train, n_val, &d->xval) ||
                  !mat_rows_f64(&y, n_train, n_val, &d->yval)))
        return 0;
    d->classification = 1;
    d->n_classes = 10;
    d->target = "label";
    return set_labels(d, spec);
}

/* Phase 2: the data, read, split and prepared. */
int train_load_data(run *r) {
    prepared *d = &r->d;
    args *a = &r->t.a;
    int ok;
    /* the data in the network's type; float64 under MPI (nnb_mpi_train's only type) */
    d->dtype = cli_processes() > 1 ? NNB_F64 : r->resume ? nnb_net_dtype(r->net) : r->s.dtype;
    if (r->df.idx)
        ok = idx_data(a, &r->df, &r->s, d, !r->resume, &r->spec);
    else if (r->resume)
        ok = csv_resume(&r->df, &r->s, d);
    else
        ok = csv_fresh(a, &r->df, &r->s, d);
    if (!ok) return a->status ? a->status : EXIT_FAIL;
    snprintf(d->source, sizeof d->source, "%s:%s", r->df.idx ? "idx" : "csv",
             r->df.idx ? r->df.idx : r->df.csv);
    if (r->resume &&
        (d->xtr.cols != nnb_net_n_inputs(r->net) || d->ytr.cols != nnb_net_n_outputs(r->net)))
        return fail("the data gives %zu inputs and %zu outputs, the model has %zu and %zu",
                    d->xtr.cols, d->ytr.cols, nnb_net_n_inputs(r->net), nnb_net_n_outputs(r->net));
    if (d->xtr.rows == 0) return fail("no training rows are left");
    nnb_dtype net = r->resume ? nnb_net_dtype(r->net) : r->s.dtype;
    const mat *m[6] = {&d->xtr, &d->ytr, &d->xval, &d->yval, &d->xte, &d->yte};
    for (int i = 0; i < 6; i++)
        if (!mat_check_range(m[i], net, d->prep, i % 2)) return EXIT_FAIL;
    return EXIT_OK;
}
