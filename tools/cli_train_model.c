/* nnblas train, the model file (tools/cli_train_model.c): --resume (the saved network,
 * preparation and metadata, and the settings it was trained with), the metadata written with it
 * (what made the model, what it scored), saving and --checkpoint-every. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli_train.h"

/* Settings a resumed run takes from the model's metadata when not given ("train.<name>"). */
static const int resumable[] = {O_TEST,      O_VAL,     O_SEED,      O_LOSS,      O_DROPOUT,
                                O_OPTIMIZER, O_LR,      O_BATCH,     O_REDUCTION, O_WEIGHT_DECAY,
                                O_PATIENCE,  O_THREADS, O_CLIP_NORM, O_CLIP_VALUE};

/* "--lr must be > 0" without the option's name: "must be > 0". */
static const char *without_option(const char *msg, const char *opt) {
    size_t n = strlen(opt);
    if (strncmp(msg, opt, n) != 0) return msg;
    msg += n;
    while (*msg == ':' || *msg == ' ') msg++;
    return msg;
}

/* The settings of a resumed run: the command line's, the others from the model's metadata
 * ("train.<option>"). Metadata nnblas would not have written (an edited file) is reported as
 * what it is, naming the entry, not as an option the user gave. An exit status. */
static int resumed_settings(run *r) {
    const char **v = r->v, *model = v[O_RESUME];
    const char *given[N_OPT];
    memcpy(given, v, sizeof given);
    char msg[1024];
    args a = r->t.a;
    a.msg = msg, a.msg_len = sizeof msg;
    for (size_t i = 0; i < sizeof resumable / sizeof resumable[0]; i++) {
        int k = resumable[i];
        char key[32];
        snprintf(key, sizeof key, "train.%s", train_opt_names[k] + 2);
        if (given[k] || !(v[k] = nnb_meta_get(r->mi.meta, key))) continue;
        /* each entry alone with the command line's settings, which parse_train() checked */
        const char *one[N_OPT];
        memcpy(one, given, sizeof one);
        one[k] = v[k];
        a.status = 0;
        if (!parse_train_settings(&a, one, &r->s))
            return fail("%s: its metadata says %s = '%s', which nnblas does not write (%s); "
                        "was the file edited? 'nnblas info --model %s' lists the metadata",
                        model, key, v[k],
                        a.status ? without_option(msg, train_opt_names[k]) : "out of memory",
                        model);
    }
    a.status = 0;
    if (!parse_train_settings(&a, v, &r->s))
        return fail("%s: its training settings (metadata train.*) do not fit together (%s); was "
                    "the file edited? 'nnblas info --model %s' lists them",
                    model, a.status ? msg : "out of memory", model);
    return EXIT_OK;
}

/* --resume without --csv or --idx: the data the model records, by its absolute path (data.path)
 * wherever the command runs, else (saved by nnblas 0.2) as it was given (data). */
static int model_data_source(run *r) {
    const char *model = r->v[O_RESUME], *src = nnb_meta_get(r->mi.meta, "data");
    const char *where = nnb_meta_get(r->mi.meta, "data.path");
    int csv = src && strncmp(src, "csv:", 4) == 0, idx = src && strncmp(src, "idx:", 4) == 0;
    if (!csv && !idx)
        return usage_error(&cmd_train,
                           "%s does not say what data it was trained on; give --csv "
                           "or --idx",
                           model);
    if (where && *where && access(where, F_OK) != 0)
        return fail("%s was trained on %s, which is not there now; give the data with %s (it is "
                    "checked against what the model records)",
                    model, where, csv ? "--csv FILE" : "--idx SPEC");
    if (csv) {
        r->df.csv = where && *where ? where : src + 4;
        return EXIT_OK;
    }
    if (where && *where)
        snprintf(r->data_spec, sizeof r->data_spec, "%s:%s",
                 strncmp(src + 4, "fashion-mnist", 13) == 0 ? "fashion-mnist" : "mnist", where);
    else
        snprintf(r->data_spec, sizeof r->data_spec, "%s", src + 4);
    r->df.idx = r->data_spec;
    return EXIT_OK;
}

int train_check_data(const run *r) {
    const char *bytes = nnb_meta_get(r->meta, "data.bytes");
    const char *crc = nnb_meta_get(r->meta, "data.crc32");
    const char *was = nnb_meta_get(r->meta, "data.path"), *src = nnb_meta_get(r->meta, "data");
    const data_id *id = &r->d.id;
    if (!r->resume || !bytes || !crc || r->t.new_data) return EXIT_OK; /* 0.2: nothing to check */
    char now[16];
    snprintf(now, sizeof now, "%08lx", (unsigned long)id->crc);
    char count[32];
    snprintf(count, sizeof count, "%llu", (unsigned long long)id->bytes);
    if (strcmp(bytes, count) == 0 && strcmp(crc, now) == 0) return EXIT_OK;
    const char *unit = r->df.idx ? "values" : "bytes";
    return fail("%s was trained on other data: %s (%s %s, CRC-32 %s), while %s holds %s %s "
                "(CRC-32 %s); resuming would go on training on different rows. Give the data it "
                "was trained on, or add --new-data to go on with this data on purpose",
                r->v[O_RESUME],
                was && *was ? was
                : src       ? src + 4
                            : "?",
                bytes, unit, crc, r->d.source + 4, count, unit, now);
}

/* Phase 1 (--resume): the saved model, and its settings where the command line gives none. */
int train_load_resumed(run *r) {
    const char **v = r->v;
    model_info *mi = &r->mi;
    if (!model_open(v[O_RESUME], mi)) return EXIT_FAIL;
    if (!mi->prep)
        return fail("%s has no data preparation; nnblas train cannot resume it", v[O_RESUME]);
    int st = resumed_settings(r);
    if (st != EXIT_OK) return st;
    if (!r->df.csv && !r->df.idx && (st = model_data_source(r)) != EXIT_OK) return st;
    r->net = mi->net, mi->net = NULL;
    r->d.prep = mi->prep, mi->prep = NULL;
    r->meta = mi->meta, mi->meta = NULL;
    r->d.classification = mi->n_classes > 0;
    r->d.target = mi->target;
    return EXIT_OK;
}

/* The command line, shell-quoted where needed, for the metadata. */
static char *command_line(int argc, char **argv) {
    size_t len = 8;
    for (int i = 0; i < argc; i++) len += 4 * strlen(argv[i]) + 3;
    char *s = malloc(len), *p = s;
    if (!s) return NULL;
    p += sprintf(p, "nnblas");
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int plain = *a != '\0';
        for (const char *c = a; *c && plain; c++)
            plain = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                           "-_=.,:/+@%",
                           *c) != NULL;
        *p++ = ' ';
        if (plain) {
            p += sprintf(p, "%s", a);
            continue;
        }
        *p++ = '\'';
        for (const char *c = a; *c; c++) {
            if (*c == '\'')
                p += sprintf(p, "'\\''");
            else
                *p++ = *c;
        }
        *p++ = '\'';
    }
    *p = '\0';
    return s;
}

static nnb_status meta_num(nnb_meta *m, const char *key, double v) {
    char buf[32];
    if (isnan(v)) return NNB_OK;
    fmt_double(buf, v);
    return nnb_meta_set(m, key, buf);
}

static nnb_status meta_size(nnb_meta *m, const char *key, unsigned long long v) {
    char buf[32];
    snprintf(buf, sizeof buf, "%llu", v);
    return nnb_meta_set(m, key, buf);
}

/* The metadata: what made the model (train.*, for --resume) and what it scored (result.*). */
static nnb_status fill_meta(const run *r, const char *cmdline) {
    const settings *s = &r->s;
    const prepared *d = &r->d;
    nnb_meta *meta = r->meta;
    char date[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm);
    nnb_status st = nnb_meta_set(meta, "nnblas.version", nnb_version_string());
    if (st == NNB_OK) st = nnb_meta_set(meta, "saved", date);
    if (st == NNB_OK) st = nnb_meta_set(meta, "command", cmdline);
    if (st == NNB_OK) st = nnb_meta_set(meta, "data", d->source);
    if (st == NNB_OK && d->id.known) { /* what identifies it: checked by --resume */
        char crc[16];
        snprintf(crc, sizeof crc, "%08lx", (unsigned long)d->id.crc);
        st = nnb_meta_set(meta, "data.path", d->id.path);
        if (st == NNB_OK) st = meta_size(meta, "data.bytes", d->id.bytes);
        if (st == NNB_OK) st = nnb_meta_set(meta, "data.crc32", crc);
    }
    if (st == NNB_OK)
        st = nnb_meta_set(meta, "task", d->classification ? "classification" : "regression");
    for (size_t k = 0; st == NNB_OK && r->df.idx && k < d->n_classes; k++) {
        char key[32];
        snprintf(key, sizeof key, "class.%zu", k);
        st = nnb_meta_set(meta, key, d->labels[k]);
    }
    if (st == NNB_OK) st = meta_size(meta, "train.seed", s->seed);
    if (st == NNB_OK) st = nnb_meta_set(meta, "train.dtype", nnb_dtype_name(nnb_net_dtype(r->net)));
    if (st == NNB_OK && !r->df.idx) st = meta_num(meta, "train.test", s->test);
    if (st == NNB_OK) st = meta_num(meta, "train.val", s->val);
    if (st == NNB_OK) st = nnb_meta_set(meta, "train.optimizer", nnb_optimizer_name(s->opt));
    if (st == NNB_OK) st = meta_num(meta, "train.lr", s->lr);
    if (st == NNB_OK) st = meta_size(meta, "train.batch", s->batch);
    if (st == NNB_OK) st = nnb_meta_set(meta, "train.loss", nnb_loss_name((nnb_loss)s->loss));
    if (st == NNB_OK) st = nnb_meta_set(meta, "train.reduction", nnb_reduction_name(s->red));
    if (st == NNB_OK) st = meta_num(meta, "train.weight-decay", s->wd);
    if (st == NNB_OK) st = meta_num(meta, "train.clip-norm", s->clip_norm);
    if (st == NNB_OK) st = meta_num(meta, "train.clip-value", s->clip_value);
    if (st == NNB_OK) st = meta_num(meta, "train.dropout", s->dropout);
    if (st == NNB_OK) st = meta_size(meta, "train.patience", s->patience);
    if (st == NNB_OK) st = meta_size(meta, "train.threads", s->threads); /* 0: OpenBLAS's */
    if (st == NNB_OK && cli_processes() > 1)
        st = meta_size(meta, "train.processes", (size_t)cli_processes()); /* MPI */
    if (st == NNB_OK) st = meta_size(meta, "train.epochs", r->total_epochs);
    if (st == NNB_OK) st = meta_num(meta, "train.samples_per_s", round(r->sps));
    if (st == NNB_OK) st = meta_num(meta, "result.train_loss", r->last[NNB_HIST_TRAIN_LOSS]);
    if (st == NNB_OK) st = meta_num(meta, "result.train_accuracy", r->last[NNB_HIST_TRAIN_ACC]);
    if (st == NNB_OK) st = meta_num(meta, "result.val_loss", r->last[NNB_HIST_VAL_LOSS]);
    if (st == NNB_OK) st = meta_num(meta, "result.val_accuracy", r->last[NNB_HIST_VAL_ACC]);
    if (st == NNB_OK && d->xte.rows) st = meta_size(meta, "result.test_rows", d->xte.rows);
    if (st == NNB_OK) st = meta_num(meta, "result.test_loss", r->test_loss);
    if (st == NNB_OK) st = meta_num(meta, "result.test_rmse", r->test_rmse);
    if (st == NNB_OK) st = meta_num(meta, "result.test_r2", r->test_r2);
    if (st == NNB_OK) st = meta_num(meta, "result.test_accuracy", r->test_acc);
    return st;
}

/* The model file with its training state (under MPI, rank 0 writes it). */
int train_save_model(run *r, const nnb_net *net) {
    if (!r->v[O_SAVE] || cli_rank() != 0) return EXIT_OK;
    char *cmdline = command_line(r->argc, r->argv);
    if (!cmdline) return fail("out of memory");
    nnb_status st = fill_meta(r, cmdline);
    free(cmdline);
    if (st == NNB_OK) st = nnb_model_write(r->v[O_SAVE], net, r->d.prep, r->meta, 1);
    return st == NNB_OK ? EXIT_OK : fail_nnb();
}

/* --checkpoint-every N: the model and its training state, every N epochs of this run, to the
 * --save file (atomically). A failed checkpoint is reported and training goes on. */
void train_checkpoint(run *r, const nnb_net *net, size_t epoch, double train_loss, double val_loss,
                      double train_acc, double val_acc) {
    if (!r->s.checkpoint || r->p.done % r->s.checkpoint != 0 || epoch == r->p.last_epoch) return;
    r->last[NNB_HIST_TRAIN_LOSS] = train_loss, r->last[NNB_HIST_VAL_LOSS] = val_loss;
    r->last[NNB_HIST_TRAIN_ACC] = train_acc, r->last[NNB_HIST_VAL_ACC] = val_acc;
    r->total_epochs = epoch;
    r->test_loss = r->test_acc = NAN;
    if (train_save_model(r, net) != EXIT_OK)
        fputs("nnblas: the checkpoint failed; training goes on\n", stderr);
}
