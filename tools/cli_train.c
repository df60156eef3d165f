/* nnblas train: read CSV or IDX data, prepare it, build a network, train it with progress, test
 * it and save it (with its preparation, metadata and training state); or resume a saved one. */
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

const command cmd_train = {
    "train",
    "usage: nnblas train (--csv FILE --target COL | --idx fashion-mnist[:DIR] | --idx mnist:DIR)\n"
    "                    [options] [--save FILE]\n"
    "       nnblas train --resume FILE [--csv FILE | --idx SPEC] [training options] [--save FILE]\n"
    "\n"
    "Trains a network and prints its progress, then the test accuracy (classification) or the\n"
    "test loss (regression) and the speed in samples/s. Progress: on a terminal a live bar\n"
    "within each epoch; one line per epoch (every n-th epoch when there are more than 100).\n"
    "\n"
    "Data:\n"
    "  --csv FILE            a CSV file with a header row (- for standard input; a pipe or a\n"
    "                        FIFO is read once)\n"
    "  --target COLS         the target column (several, comma-separated, for regression)\n"
    "  --one-hot COLS        columns to one-hot encode (categories fitted on the training part)\n"
    "  --standardize COLS|all|none\n"
    "                        columns to standardise with the training part's mean and sample\n"
    "                        standard deviation (stored in the model: eval and predict apply it);\n"
    "                        all (the default) = every numeric feature and a regression target\n"
    "                        (IDX: every pixel); none = nothing (a note says when the features'\n"
    "                        scales then differ 100-fold or more)\n"
    "  --delimiter D         the CSV field delimiter: one character, tab, comma or semicolon\n"
    "                        (default: detected from the header row among , ; tab |)\n"
    "  --drop-bad-rows       leave out rows with an empty, NA or non-numeric cell where a value\n"
    "                        is needed (the data line says how many); default: such a cell is an\n"
    "                        error\n"
    "  --drop COLS           columns to leave out (not even read)\n"
    "  --task auto|classification|regression\n"
    "                        auto: classification for a text target, or a numeric one with only\n"
    "                        whole values and at most 20 of them; else regression. A class target\n"
    "                        with nearly one class per row (over 20 classes averaging under 5\n"
    "                        rows, or under 2 rows per class) is refused: it is a quantity\n"
    "  --idx fashion-mnist[:DIR] | mnist:DIR\n"
    "                        an MNIST-style folder (Fashion-MNIST: /usr/share/datasets/fashion-mnist,\n"
    "                        Debian package dataset-fashion-mnist); its own test part is the test set\n"
    "  --test FRACTION       CSV: rows held out for the final test (default 0.2; stratified by class)\n"
    "  --val FRACTION        training rows held out for validation each epoch (default 0)\n"
    "  --seed N              seed of the split, the initial weights, the shuffles and dropout\n"
    "                        (default 1)\n"
    "\n"
    "Network:\n"
    "  --layers N,N,...      hidden layer sizes (default 64; \"\" for none)\n"
    "  --activation A        hidden activation: relu (default), leaky_relu[:SLOPE], tanh, sigmoid,\n"
    "                        identity\n"
    "  --output A            output activation: auto (default: softmax for classes, identity for\n"
    "                        regression), sigmoid (one output for two classes), softmax, identity,\n"
    "                        tanh, relu, leaky_relu[:SLOPE]\n"
    "  --loss L              auto (default: ce with softmax, bce with sigmoid classes, else mse),\n"
    "                        ce, bce, mse, sse\n"
    "  --bias, --no-bias     biases in every layer (default) or none\n"
    "  --init I              auto (default: he_normal for relu, else xavier_uniform), normal_fanin\n"
    "                        (sigma 1/sqrt(fan-in)), xavier_uniform, he_normal, orthogonal\n"
    "  --dropout P           dropout on the hidden layers while training (default 0)\n"
    "  --dtype f64|f32       the network's element type (default f64); f32 holds the network\n"
    "                        and the data in float32 (half the memory) and runs its matrix\n"
    "                        products in single precision (cblas_sgemm), about twice as fast;\n"
    "                        stored in the model, which eval and predict then use\n"
    "\n"
    "Training:\n"
    "  --optimizer O         adam (default), adamw, sgd, momentum, nesterov, rmsprop, lm\n"
    "  --lr X                learning rate (default 0.001 for adam, adamw and rmsprop; 0.01 else)\n"
    "  --epochs N            epochs to run (default auto: about 2000 mini-batch steps, from 10\n"
    "                        to 500 epochs; with --resume: epochs more)\n"
    "  --batch N             rows per mini-batch (default 32; 0 = the whole training part)\n"
    "  --reduction mean|sum  how a batch's losses combine (default mean)\n"
    "  --weight-decay X      L2 weight decay (decoupled for adamw; default 0)\n"
    "  --clip-norm X         scale the gradient by X / (norm + 1e-6) when that is below 1, as\n"
    "                        PyTorch's clip_grad_norm_ (default 0: off)\n"
    "  --clip-value X        clamp each gradient component to [-X, X] first (default 0: off)\n"
    "  --patience N          stop after N epochs without a better validation loss (or training\n"
    "                        loss without --val) and keep the best weights (default 0: off)\n"
    "  --threads N           OpenBLAS threads (default: OpenBLAS's own choice)\n"
    "\n"
    "Output:\n"
    "  --save FILE           save the model (network, preparation, metadata, training state);\n"
    "                        written atomically; only a regular file (or nothing) there is\n"
    "                        replaced, a symbolic link is followed; checked before training\n"
    "  --checkpoint-every N  also save to the --save file every N epochs (atomically)\n"
    "  --plot FILE.svg       draw the training (and validation) loss and accuracy per epoch as\n"
    "                        an SVG picture, written atomically\n"
    "  --resume FILE         continue training a saved model where it stopped, bit for bit as if\n"
    "                        never interrupted: the network, preparation and training state come\n"
    "                        from FILE, the data and training options default to those it was\n"
    "                        trained with (data flags may name the data again)\n"
    "  --input-limit BYTES   the most bytes read from an input that is not a regular file (a\n"
    "                        pipe, a FIFO, --csv -; default 1 GiB); suffixes K, M, G\n"
    "  --quiet               no progress, only the results\n"
    "  --json                one JSON object per epoch and a final summary object on stdout\n"
    "  --help                this text\n"
    "\n"
    "The first SIGINT (Ctrl-C) or SIGTERM finishes the batch in progress, saves the model with\n"
    "its training state when --save was given (so that --resume continues exactly), prints one\n"
    "line and exits with status 130; a second one ends the command at once. Before training\n"
    "starts, a signal ends the command at once (nothing is saved).\n"
    "\n"
    "An option given twice takes its last value. Names are nnblas's shared vocabulary (the C\n"
    "library's and Python's): case and '-' / '_' do not matter, and the usual aliases work\n"
    "(leaky-relu, xavier, he, normal, glorot_uniform, cross_entropy, ...).\n",
};

/* ---- options ---------------------------------------------------------------------------------- */

enum {
    O_CSV, O_IDX, O_TARGET, O_ONEHOT, O_STANDARDIZE, O_DROP, O_TASK, O_TEST, O_VAL, O_SEED,
    O_LAYERS, O_ACTIVATION, O_OUTPUT, O_LOSS, O_INIT, O_DROPOUT, O_OPTIMIZER, O_LR, O_EPOCHS,
    O_BATCH, O_REDUCTION, O_WEIGHT_DECAY, O_PATIENCE, O_THREADS, O_SAVE, O_RESUME, O_CLIP_NORM,
    O_CLIP_VALUE, O_DELIMITER, O_CHECKPOINT, O_INPUT_LIMIT, O_DTYPE, O_PLOT, N_OPT
};

static const char *const opt_names[N_OPT] = {
    "--csv", "--idx", "--target", "--one-hot", "--standardize", "--drop", "--task", "--test",
    "--val", "--seed", "--layers", "--activation", "--output", "--loss", "--init", "--dropout",
    "--optimizer", "--lr", "--epochs", "--batch", "--reduction", "--weight-decay", "--patience",
    "--threads", "--save", "--resume", "--clip-norm", "--clip-value", "--delimiter",
    "--checkpoint-every", "--input-limit", "--dtype", "--plot"};

/* The flags without a value, for suggestions. */
static const char *const flag_names[] = {"--help", "--bias", "--no-bias", "--quiet", "--json",
                                         "--drop-bad-rows"};

/* Settings a resumed run takes from the model's metadata when not given ("train.<name>"). */
static const int resumable[] = {O_TEST,  O_VAL,       O_SEED,      O_LOSS,
                                O_DROPOUT, O_OPTIMIZER, O_LR,     O_BATCH,
                                O_REDUCTION, O_WEIGHT_DECAY, O_PATIENCE, O_THREADS,
                                O_CLIP_NORM, O_CLIP_VALUE};
/* Options a resumed run cannot change: they shape the data, the split or the network. */
static const int fixed_on_resume[] = {O_TARGET, O_ONEHOT, O_STANDARDIZE, O_DROP, O_TASK, O_TEST,
                                      O_VAL, O_SEED, O_LAYERS, O_ACTIVATION, O_OUTPUT, O_INIT,
                                      O_DTYPE};

static const char *const task_names[] = {"classification", "regression", NULL};

typedef struct settings {
    int task;                   /* -1 auto, 0 classification, 1 regression */
    size_t layers[64], n_layers;
    nnb_activation act;
    double slope;               /* leaky ReLU */
    int output;                 /* -1 auto, else nnb_activation */
    double out_slope;
    int loss;                   /* -1 auto, else nnb_loss */
    int init;                   /* -1 auto, else nnb_init */
    int bias;
    double dropout;
    nnb_optimizer opt;
    double lr;                  /* NaN: the optimiser's default */
    size_t epochs, batch, patience, threads;
    size_t checkpoint;          /* --checkpoint-every: epochs (0: off) */
    nnb_reduction red;
    double wd, val, test;
    double clip_norm, clip_value;
    uint64_t seed;
    nnb_dtype dtype;
} settings;

/* "relu", "leaky-relu:0.1" */
static int parse_act(args *a, const char *opt, const char *s, nnb_activation *act, double *slope) {
    char name[32];
    const char *colon = strchr(s, ':');
    size_t n = colon ? (size_t)(colon - s) : strlen(s);
    snprintf(name, sizeof name, "%.*s", (int)(n < 31 ? n : 31), s);
    if (nnb_activation_parse(name, act) != NNB_OK) return bad_name(a, opt);
    *slope = 0.01;
    if (colon) {
        if (*act != NNB_ACT_LEAKY_RELU) {
            a->status = usage_error(a->cmd, "%s: only leaky_relu takes a slope", opt);
            return 0;
        }
        if (!parse_double(a, opt, colon + 1, slope)) return 0;
        if (*slope < 0) {
            a->status = usage_error(a->cmd, "%s: the slope must be >= 0", opt);
            return 0;
        }
    }
    return 1;
}

/* Parses every value into s; v[] holds the option strings (NULL: default). */
static int parse_settings(args *a, const char *const v[N_OPT], settings *s) {
    memset(s, 0, sizeof *s);
    s->task = -1, s->output = -1, s->loss = -1, s->init = -1, s->bias = 1;
    s->act = NNB_ACT_RELU, s->slope = 0.01, s->opt = NNB_OPT_ADAM, s->lr = NAN;
    s->epochs = 0 /* auto */, s->batch = 32, s->red = NNB_REDUCTION_MEAN, s->test = 0.2, s->seed = 1;
    s->n_layers = 1, s->layers[0] = 64;
    int k;
    if (v[O_TASK] && strcmp(v[O_TASK], "auto") != 0) {
        if ((k = parse_choice(a, "--task", v[O_TASK], task_names)) < 0) return 0;
        s->task = k;
    }
    if (v[O_LAYERS]) {
        strlist l;
        if (!strlist_split(v[O_LAYERS], &l)) return fail("out of memory"), 0;
        int ok = l.n <= 64;
        if (!ok) a->status = usage_error(a->cmd, "--layers: at most 64 hidden layers");
        for (size_t i = 0; ok && i < l.n; i++) {
            ok = parse_size(a, "--layers", l.s[i], &s->layers[i]);
            if (ok && s->layers[i] == 0)
                ok = 0, a->status = usage_error(a->cmd, "--layers: a layer of 0 units");
        }
        s->n_layers = l.n;
        strlist_free(&l);
        if (!ok) return 0;
    }
    if (v[O_ACTIVATION]) {
        if (!parse_act(a, "--activation", v[O_ACTIVATION], &s->act, &s->slope)) return 0;
        if (s->act == NNB_ACT_SOFTMAX)
            return a->status = usage_error(a->cmd, "--activation: softmax is for the output "
                                                   "layer only (--output softmax)"), 0;
    }
    if (v[O_OUTPUT] && strcmp(v[O_OUTPUT], "auto") != 0) {
        nnb_activation o;
        if (!parse_act(a, "--output", v[O_OUTPUT], &o, &s->out_slope)) return 0;
        s->output = (int)o;
    }
    if (v[O_LOSS] && strcmp(v[O_LOSS], "auto") != 0) {
        nnb_loss l;
        if (nnb_loss_parse(v[O_LOSS], &l) != NNB_OK) return bad_name(a, "--loss");
        s->loss = (int)l;
    }
    if (v[O_INIT] && strcmp(v[O_INIT], "auto") != 0) {
        nnb_init i;
        if (nnb_init_parse(v[O_INIT], &i) != NNB_OK) return bad_name(a, "--init");
        s->init = (int)i;
    }
    if (v[O_OPTIMIZER]) {
        if (nnb_optimizer_parse(v[O_OPTIMIZER], &s->opt) != NNB_OK)
            return bad_name(a, "--optimizer");
    }
    if (v[O_REDUCTION]) {
        if (nnb_reduction_parse(v[O_REDUCTION], &s->red) != NNB_OK)
            return bad_name(a, "--reduction");
    }
    if (v[O_DROPOUT] && !parse_fraction(a, "--dropout", v[O_DROPOUT], &s->dropout)) return 0;
    if (v[O_LR]) {
        if (!parse_double(a, "--lr", v[O_LR], &s->lr)) return 0;
        if (!(s->lr > 0)) return a->status = usage_error(a->cmd, "--lr must be > 0"), 0;
    }
    if (v[O_EPOCHS]) {
        if (!parse_size(a, "--epochs", v[O_EPOCHS], &s->epochs)) return 0;
        if (s->epochs == 0) return a->status = usage_error(a->cmd, "--epochs must be >= 1"), 0;
    }
    if (v[O_BATCH] && !parse_size(a, "--batch", v[O_BATCH], &s->batch)) return 0;
    if (v[O_WEIGHT_DECAY] && !parse_double(a, "--weight-decay", v[O_WEIGHT_DECAY], &s->wd))
        return 0;
    if (s->wd < 0) return a->status = usage_error(a->cmd, "--weight-decay must be >= 0"), 0;
    if (v[O_CLIP_NORM] && !parse_double(a, "--clip-norm", v[O_CLIP_NORM], &s->clip_norm)) return 0;
    if (v[O_CLIP_VALUE] && !parse_double(a, "--clip-value", v[O_CLIP_VALUE], &s->clip_value))
        return 0;
    if (!(s->clip_norm >= 0) || !(s->clip_value >= 0))
        return a->status = usage_error(a->cmd, "--clip-norm and --clip-value must be >= 0"), 0;
    if (v[O_VAL] && !parse_fraction(a, "--val", v[O_VAL], &s->val)) return 0;
    if (v[O_TEST] && !parse_fraction(a, "--test", v[O_TEST], &s->test)) return 0;
    if (s->val + s->test >= 1)
        return a->status = usage_error(a->cmd, "--val and --test leave no training rows"), 0;
    if (v[O_PATIENCE] && !parse_size(a, "--patience", v[O_PATIENCE], &s->patience)) return 0;
    if (v[O_THREADS]) {
        if (!parse_size(a, "--threads", v[O_THREADS], &s->threads)) return 0;
        if (s->threads > 1024)
            return a->status = usage_error(a->cmd, "--threads: at most 1024"), 0;
    }
    if (v[O_SEED] && !parse_u64(a, "--seed", v[O_SEED], &s->seed)) return 0;
    if (v[O_DTYPE] && nnb_dtype_parse(v[O_DTYPE], &s->dtype) != NNB_OK)
        return bad_name(a, "--dtype");
    if (s->dtype == NNB_F32 && s->opt == NNB_OPT_LM) /* before any data is read */
        return a->status = usage_error(a->cmd, "--optimizer lm runs in float64 only: use --dtype "
                                       "f64 with it"), 0;
    if (v[O_CHECKPOINT]) {
        if (!parse_size(a, "--checkpoint-every", v[O_CHECKPOINT], &s->checkpoint)) return 0;
        if (s->checkpoint == 0)
            return a->status = usage_error(a->cmd, "--checkpoint-every must be >= 1"), 0;
        if (!v[O_SAVE])
            return a->status = usage_error(a->cmd, "--checkpoint-every needs --save FILE"), 0;
    }
    if (v[O_INPUT_LIMIT] && !parse_input_limit(a, v[O_INPUT_LIMIT])) return 0;
    if (isnan(s->lr)) s->lr = nnb_default_lr(s->opt);
    return 1;
}

/* ---- data ------------------------------------------------------------------------------------- */

/* The prepared data of a run: the training and test parts in the type `dtype` (the network's,
 * or float64 under MPI), the validation part in float64 (nnb_train_opts_set_validation's type:
 * float32 values are exact in it). */
typedef struct prepared {
    nnb_dtype dtype;
    mat xtr, ytr, xval, yval, xte, yte;
    nnb_prep *prep;         /* owned */
    int classification;
    size_t n_classes;
    const char **labels;    /* n_classes (strings owned by prep or static) */
    const char *target;     /* the target's name */
    size_t n_rows;          /* rows read (CSV: the file; IDX: the training part) */
    size_t n_dropped;       /* CSV rows left out by --drop-bad-rows */
    char source[4200];      /* "csv:FILE" or "idx:SPEC", stored in the metadata */
} prepared;

static void prepared_free(prepared *d) {
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

/* Is every cell of text column `col` a number? */
static int text_is_numeric(const nnb_table *t, size_t col) {
    double v;
    for (size_t r = 0; r < nnb_table_n_rows(t); r++)
        if (!is_number(nnb_table_get_text(t, r, col), &v)) return 0;
    return 1;
}

/* Reads the CSV with `text` columns as text and `drop` columns skipped. */
static int read_csv(const data_flags *df, const csv_input *in, char delim, const strlist *text,
                    const strlist *drop, nnb_table **t) {
    nnb_csv_options *o;
    if (nnb_csv_options_create(&o) != NNB_OK) return fail_nnb(), 0;
    nnb_status st = nnb_csv_options_set_delimiter(o, delim);
    if (st == NNB_OK) st = nnb_csv_options_set_drop_bad_rows(o, df->drop_bad_rows);
    for (size_t i = 0; i < text->n && st == NNB_OK; i++)
        st = nnb_csv_options_text_column(o, text->s[i]);
    for (size_t i = 0; i < drop->n && st == NNB_OK; i++)
        st = nnb_csv_options_skip_column(o, drop->s[i]);
    if (st == NNB_OK) st = nnb_csv_parse(t, in->text, in->len, in->name, o);
    nnb_csv_options_free(o);
    return st == NNB_OK ? 1 : fail_csv(df);
}

/* The target is a class label: text, or few whole numbers. `values` is the numeric column's
 * values (class_strata()'s), n_distinct how many differ. */
static int looks_like_classes(const nnb_table *t, size_t col, const double *values,
                              size_t n_distinct) {
    if (nnb_table_col_is_text(t, col)) return 1;
    size_t n = nnb_table_n_rows(t);
    int whole = 1;
    for (size_t i = 0; i < n && whole; i++) whole = values[i] == floor(values[i]);
    return whole && n_distinct <= 20;
}

/* Splits rows into train, test and validation parts and applies the (fitted, or to be fitted
 * on the training part) preparation to each. */
static int split_apply(prepared *d, const nnb_table *t, const settings *s, const double *strata,
                       int fit) {
    size_t n = nnb_table_n_rows(t), n_train, n_test, n_val;
    size_t *order = malloc((n ? n : 1) * sizeof *order);
    if (!order) return fail("out of memory"), 0;
    int ok = 0;
    if (nnb_split(n, s->test, s->val, s->seed, strata, strata ? n : 0, order, n, &n_train,
                  &n_test, &n_val) != NNB_OK) {
        fail_nnb();
    } else if (fit && nnb_prep_fit(d->prep, t, order, n_train) != NNB_OK) {
        fail_nnb();
    } else {
        ok = prep_rows(d->prep, t, order, n_train, d->dtype, &d->xtr, &d->ytr) &&
             prep_rows(d->prep, t, order + n_train, n_test, d->dtype, &d->xte, &d->yte) &&
             prep_rows(d->prep, t, order + n_train + n_test, n_val, NNB_F64, &d->xval, &d->yval);
    }
    free(order);
    return ok;
}

/* Every column the flags name is in the header; else a message with the nearest name and the
 * columns. */
static int check_columns(const data_flags *df, const strlist *header, const strlist *const lists[4]) {
    static const char *const flags[4] = {"--target", "--one-hot", "--standardize", "--drop"};
    for (int l = 0; l < 4; l++)
        for (size_t i = 0; lists[l] && i < lists[l]->n; i++) {
            const char *name = lists[l]->s[i];
            if (strlist_has(header, name)) continue;
            const char *near = nnb_nearest_name(name, (const char *const *)header->s, header->n);
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
                hi / lo, hi_name, hi, lo_name, lo);
}

/* CSV data for a new model: find the column kinds, decide the task, configure and fit the
 * preparation on the training part. */
/* Reads the CSV with the one-hot columns and `target` (NULL: none) as text first; those that turn
 * out to hold only numbers are read again as numbers (sorted numerically). */
static int read_detecting_text(const data_flags *df, const csv_input *in, char delim,
                               const strlist *onehot, const char *target, const strlist *drop,
                               nnb_table **t) {
    strlist cand = {0};
    cand.s = calloc(onehot->n + 1, sizeof *cand.s);
    if (!cand.s) return fail("out of memory"), 0;
    for (size_t i = 0; i < onehot->n; i++) cand.s[cand.n++] = onehot->s[i];
    if (target) cand.s[cand.n++] = (char *)target;
    int ok = read_csv(df, in, delim, &cand, drop, t);
    if (ok) {
        size_t n_text = 0;
        for (size_t i = 0; i < cand.n; i++) {
            size_t col;
            nnb_table_find_col(*t, cand.s[i], &col);
            if (!text_is_numeric(*t, col)) cand.s[n_text++] = cand.s[i];
        }
        if (n_text < cand.n) {
            cand.n = n_text;
            nnb_table_free(*t);
            *t = NULL;
            ok = read_csv(df, in, delim, &cand, drop, t);
        }
    }
    free(cand.s); /* the names belong to the caller's lists */
    return ok;
}

static int csv_fresh(args *a, const data_flags *df, settings *s, prepared *d) {
    strlist header = {0}, targets = {0}, onehot = {0}, stand = {0}, drop = {0};
    csv_input in = {0};
    nnb_table *t = NULL;
    double *strata = NULL;
    int ok = 0;
    if (!strlist_split(df->target, &targets) || !strlist_split(df->onehot ? df->onehot : "", &onehot) ||
        !strlist_split(df->standardize ? df->standardize : "", &stand) ||
        !strlist_split(df->drop ? df->drop : "", &drop)) {
        fail("out of memory");
        goto done;
    }
    if (targets.n == 0) {
        a->status = usage_error(a->cmd, "--target names no column");
        goto done;
    }
    /* every numeric feature is standardised unless --standardize says otherwise */
    int all = !df->standardize || (stand.n == 1 && strcmp(stand.s[0], "all") == 0);
    int none = stand.n == 1 && strcmp(stand.s[0], "none") == 0;
    char delim;
    if (!csv_input_read(df->csv, &in) || !csv_delimiter(df, &in, &delim) ||
        !csv_header(&in, delim, &header))
        goto done;
    const strlist *lists[4] = {&targets, &onehot, all || none ? NULL : &stand, &drop};
    if (!check_columns(df, &header, lists)) goto done;
    for (size_t i = 0; i < targets.n; i++)
        if (strlist_has(&drop, targets.s[i]) || strlist_has(&onehot, targets.s[i])) {
            a->status = usage_error(a->cmd, "the target '%s' is also in --drop or --one-hot",
                                    targets.s[i]);
            goto done;
        }
    if (targets.n > 1 && s->task == 0) {
        a->status = usage_error(a->cmd, "classification takes one --target column");
        goto done;
    }
    /* the target (unless several: regression) and the one-hot columns: text or numbers */
    const char *text_target = targets.n == 1 && s->task != 1 ? targets.s[0] : NULL;
    ok = read_detecting_text(df, &in, delim, &onehot, text_target, &drop, &t);
    csv_input_free(&in); /* read for the last time */
    if (!ok) goto done;
    ok = 0;
    d->n_rows = nnb_table_n_rows(t);
    d->n_dropped = nnb_table_n_dropped(t);

    /* the task */
    size_t tcol, n_distinct = 0;
    nnb_table_find_col(t, targets.s[0], &tcol);
    if (targets.n == 1 && !class_strata(t, targets.s[0], &strata, &n_distinct)) goto done;
    if (s->task < 0)
        s->task = targets.n == 1 && (looks_like_classes(t, tcol, strata, n_distinct) ||
                                     s->loss == NNB_LOSS_CE || s->output == NNB_ACT_SOFTMAX)
                      ? 0
                      : 1;
    if (s->task == 1 && targets.n == 1 && nnb_table_col_is_text(t, tcol)) {
        fail("the target '%s' holds text; it cannot be a regression target", targets.s[0]);
        goto done;
    }
    d->classification = s->task == 0;
    if (d->classification && n_distinct < 2) {
        fail("the target '%s' has only %zu class", targets.s[0], n_distinct);
        goto done;
    }
    if (d->classification && nnb_too_many_classes(n_distinct, d->n_rows)) {
        fail("the target '%s' has %zu classes in %zu rows (%.1f rows per class): it looks like a "
             "quantity, not classes; train a regression instead (--task regression, or leave "
             "--task, --loss and --output to their defaults)",
             targets.s[0], n_distinct, d->n_rows, (double)d->n_rows / (double)n_distinct);
        goto done;
    }
    d->target = NULL;
    /* outputs: softmax one-hot, or one sigmoid output for two classes */
    nnb_target_kind kind = NNB_TARGET_VALUES;
    if (d->classification) {
        if (s->output < 0) s->output = (int)nnb_default_output(NNB_TARGET_ONEHOT);
        if (s->output != NNB_ACT_SOFTMAX && s->output != NNB_ACT_SIGMOID) {
            a->status = usage_error(a->cmd, "classification needs --output softmax or sigmoid");
            goto done;
        }
        kind = s->output == NNB_ACT_SIGMOID && n_distinct == 2 ? NNB_TARGET_INDEX
                                                                : NNB_TARGET_ONEHOT;
    } else {
        if (s->output < 0) s->output = (int)nnb_default_output(NNB_TARGET_VALUES);
        if (s->output == NNB_ACT_SOFTMAX) {
            a->status = usage_error(a->cmd, "--output softmax is for classification");
            goto done;
        }
    }
    if (nnb_prep_create(&d->prep) != NNB_OK) {
        fail_nnb();
        goto done;
    }
    nnb_status st = NNB_OK;
    for (size_t i = 0; i < targets.n && st == NNB_OK; i++)
        st = nnb_prep_set_target(d->prep, targets.s[i], kind);
    for (size_t i = 0; i < onehot.n && st == NNB_OK; i++) st = nnb_prep_onehot(d->prep, onehot.s[i]);
    if (all && st == NNB_OK) st = nnb_prep_scale(d->prep, NULL, NNB_SCALE_STANDARD);
    /* regression targets too (predictions are turned back into the data's units) */
    for (size_t i = 0; all && !d->classification && i < targets.n && st == NNB_OK; i++)
        st = nnb_prep_scale(d->prep, targets.s[i], NNB_SCALE_STANDARD);
    for (size_t i = 0; !all && !none && i < stand.n && st == NNB_OK; i++)
        st = nnb_prep_scale(d->prep, stand.s[i], NNB_SCALE_STANDARD);
    if (st == NNB_E_NOMEM) {
        fail_nnb();
        goto done;
    }
    if (st != NNB_OK) {
        /* conflicting roles come from the flags */
        a->status = usage_error(a->cmd, "%s", nnb_last_error());
        goto done;
    }
    if (!split_apply(d, t, s, d->classification ? strata : NULL, 1)) goto done;
    if (!all && cli_rank() == 0) note_scales(d);
    d->n_classes = nnb_prep_n_classes(d->prep);
    if (!set_labels(d, NULL)) goto done;
    for (size_t i = 0; i < nnb_prep_n_columns(d->prep); i++) {
        const char *name;
        int is_target;
        nnb_prep_column_info(d->prep, i, &name, &is_target, NULL, NULL);
        if (is_target && !d->target) d->target = name;
    }
    ok = 1;
done:
    csv_input_free(&in);
    free(strata);
    nnb_table_free(t);
    strlist_free(&header), strlist_free(&targets), strlist_free(&onehot), strlist_free(&stand);
    strlist_free(&drop);
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
    int read = read_table_for_prep(df, &in, d->prep, 1, &t);
    csv_input_free(&in);
    if (!read) return 0;
    d->n_dropped = nnb_table_n_dropped(t);
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
        if (fit) return a->status = usage_error(a->cmd, "--idx: %s", err), 0;
        return fail("%s", err), 0;
    }
    if (!fit && !nnb_prep_is_matrix(d->prep))
        return fail("the model was trained on CSV data; give it --csv"), 0;
    int none = df->standardize && strcmp(df->standardize, "none") == 0;
    if (df->standardize && !none && strcmp(df->standardize, "all") != 0)
        return a->status = usage_error(a->cmd, "--standardize: IDX images take all or none"), 0;
    mat x, y;
    if (!idx_read(spec, NNB_MNIST_TRAIN, d->dtype, &x, &y)) return 0;
    if (!idx_read(spec, NNB_MNIST_TEST, d->dtype, &d->xte, &d->yte))
        return mat_free(&x), mat_free(&y), 0;
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
        int ok = nnb_split(n, 0.0, s->val, s->seed, strata, n, order, n, &n_train, NULL,
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
            (x.dtype == NNB_F32 ? nnb_prep_fit_matrix_f32(d->prep, x.f, n_train, x.cols, how)
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

/* ---- progress ----------------------------------------------------------------------------------- */

enum { SHOW_NONE, SHOW_LINES, SHOW_BAR, SHOW_JSON };

typedef struct progress {
    int show;
    size_t n_epochs;                 /* epochs of this run: first_epoch + 1 .. last_epoch */
    size_t first_epoch, last_epoch;
    int synced;
    size_t n_train;
    double epoch_start, last_draw, secs_done;
    size_t done;
    size_t every;                    /* print every n-th epoch (lines and bar) */
    double loss_sum;
    size_t loss_n;
    int bar_drawn;
    struct run *run;                 /* for --checkpoint-every */
} progress;

static void checkpoint(struct run *r, const nnb_net *net, size_t epoch, double train_loss,
                       double val_loss, double train_acc, double val_acc);

static double seconds_left(const progress *p, double in_epoch_fraction) {
    if (p->done == 0 && in_epoch_fraction <= 0) return NAN;
    double per_epoch = p->done ? p->secs_done / (double)p->done
                               : (now_seconds() - p->epoch_start) / in_epoch_fraction;
    double remaining = (double)(p->last_epoch - p->first_epoch - p->done) - in_epoch_fraction;
    return per_epoch * remaining;
}

/* The epochs of this run, from the first callback: the library counts epochs across runs. */
/* A loss or an accuracy to 4 decimals; a huge value (a diverging run) in exponent form, so
 * that 1e200 does not print as 201 digits. */
static const char *num4(char b[32], double v) {
    snprintf(b, 32, fabs(v) < 1e6 ? "%.4f" : "%.4e", v);
    return b;
}

static void sync_epochs(progress *p, size_t epoch) {
    if (p->done > 0 || p->synced) return;
    p->first_epoch = epoch - 1;
    /* the library refuses epoch counts that overflow; saturate anyway */
    p->last_epoch = p->n_epochs > SIZE_MAX - p->first_epoch ? SIZE_MAX
                                                            : p->first_epoch + p->n_epochs;
    p->synced = 1;
}

/* Columns of the terminal on stdout (80 if unknown). */
static int terminal_columns(void) {
    struct winsize w;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &w) == 0 && w.ws_col >= 20) return w.ws_col;
    return 80;
}

static int on_batch(size_t epoch, size_t batch, size_t n_batches, double batch_loss, void *ud) {
    progress *p = ud;
    sync_epochs(p, epoch);
    p->loss_sum += batch_loss;
    p->loss_n++;
    double t = now_seconds();
    if (p->show != SHOW_BAR || (t - p->last_draw < 0.1 && batch < n_batches)) return 0;
    p->last_draw = t;
    double frac = (double)batch / (double)n_batches, el = t - p->epoch_start;
    double sps = el > 0 ? frac * (double)p->n_train / el : 0;
    char left[32], head[64], rest[160], bar[31];
    fmt_duration(left, seconds_left(p, frac));
    snprintf(head, sizeof head, "epoch %zu/%zu", epoch, p->last_epoch);
    char lb[32];
    snprintf(rest, sizeof rest, " %3.0f%%  loss %s  %.0f samples/s  %s left", 100 * frac,
             num4(lb, p->loss_sum / (double)p->loss_n), sps, left);
    /* one line that fits the terminal, or the redraw would wrap */
    int room = terminal_columns() - 1 - (int)strlen(head) - (int)strlen(rest) - 3;
    int width = room > 30 ? 30 : room;
    if (width >= 5) {
        int fill = (int)(frac * width);
        for (int i = 0; i < width; i++) bar[i] = i < fill ? '=' : i == fill ? '>' : ' ';
        bar[width] = '\0';
        printf("\r%s [%s]%s\033[K", head, bar, rest);
    } else {
        printf("\r%.*s%.*s\033[K", terminal_columns() - 1, head,
               terminal_columns() - 1 - (int)strlen(head), rest);
    }
    fflush(stdout);
    p->bar_drawn = 1;
    return 0;
}

static void print_metric(const char *name, double v) {
    char b[32];
    if (!isnan(v)) printf("  %s %s", name, num4(b, v));
}

static int on_epoch(const nnb_net *net, const nnb_epoch_info *info, void *ud) {
    progress *p = ud;
    size_t epoch = (size_t)info->epoch;
    double train_loss = info->train_loss, val_loss = info->val_loss;
    double train_acc = info->train_acc, val_acc = info->val_acc;
    double seconds = info->seconds, sps = info->samples_per_s;
    sync_epochs(p, epoch);
    p->done++;
    p->secs_done += seconds;
    double left = seconds_left(p, 0);
    if (p->show == SHOW_JSON) {
        printf("{\"event\":\"epoch\",\"epoch\":%zu,\"epochs\":%zu,\"train_loss\":", epoch,
               p->last_epoch);
        json_num(stdout, train_loss);
        fputs(",\"train_accuracy\":", stdout);
        json_num(stdout, train_acc);
        fputs(",\"val_loss\":", stdout);
        json_num(stdout, val_loss);
        fputs(",\"val_accuracy\":", stdout);
        json_num(stdout, val_acc);
        fputs(",\"seconds\":", stdout);
        json_num(stdout, seconds);
        fputs(",\"samples_per_s\":", stdout);
        json_num(stdout, sps);
        fputs(",\"lr\":", stdout);
        json_num(stdout, info->lr);
        fputs(",\"seconds_left\":", stdout);
        json_num(stdout, left);
        fputs("}\n", stdout);
    } else if (p->show != SHOW_NONE && p->done % p->every != 0 && p->done != 1 &&
               epoch != p->last_epoch) {
        /* long runs print every p->every-th epoch, about 100 lines */
    } else if (p->show != SHOW_NONE) {
        char l[32];
        fmt_duration(l, left);
        if (p->bar_drawn) fputs("\r\033[K", stdout);
        int w = snprintf(NULL, 0, "%zu", p->last_epoch);
        char lb[32];
        printf("epoch %*zu/%zu  loss %s", w, epoch, p->last_epoch, num4(lb, train_loss));
        print_metric("acc", train_acc);
        print_metric("val loss", val_loss);
        print_metric("val acc", val_acc);
        printf("  %.1f s  %.0f samples/s", seconds, sps);
        printf(epoch < p->last_epoch ? "  %s left\n" : "\n", l);
    }
    fflush(stdout);
    p->bar_drawn = 0;
    p->loss_sum = 0;
    p->loss_n = 0;
    if (p->run) checkpoint(p->run, net, epoch, train_loss, val_loss, train_acc, val_acc);
    p->epoch_start = now_seconds();
    return 0;
}

/* ---- the run ------------------------------------------------------------------------------------ */

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
                           "-_=.,:/+@%", *c) != NULL;
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

/* The network for new training. */
static int build_net(const settings *s, const prepared *d, nnb_net **out) {
    nnb_net *net;
    size_t n_in = d->xtr.cols, n_out = d->ytr.cols;
    nnb_status st = nnb_net_create_dtype(&net, n_in, s->dtype);
    for (size_t l = 0; l < s->n_layers && st == NNB_OK; l++) {
        st = nnb_net_add_dense(net, s->layers[l], s->act, s->bias);
        if (st == NNB_OK && s->act == NNB_ACT_LEAKY_RELU)
            st = nnb_net_set_leaky_slope(net, l, s->slope);
    }
    if (st == NNB_OK) st = nnb_net_add_dense(net, n_out, (nnb_activation)s->output, s->bias);
    if (st == NNB_OK && s->output == NNB_ACT_LEAKY_RELU)
        st = nnb_net_set_leaky_slope(net, s->n_layers, s->out_slope);
    nnb_init init = s->init >= 0 ? (nnb_init)s->init
                                 : nnb_default_init(s->n_layers ? s->act
                                                                : (nnb_activation)s->output);
    if (st == NNB_OK) st = nnb_net_init(net, init, s->seed);
    if (st != NNB_OK) {
        if (net) nnb_net_free(net);
        return fail_nnb(), 0;
    }
    *out = net;
    return 1;
}

static void describe_net(const nnb_net *net) {
    printf("network: %zu", nnb_net_n_inputs(net));
    int all_bias = 1, no_bias = 1;
    for (size_t l = 0; l < nnb_net_n_layers(net); l++) {
        size_t n_out;
        nnb_activation act;
        int bias;
        nnb_net_layer_info(net, l, NULL, &n_out, &act, &bias, NULL, NULL);
        printf(" -> %zu %s", n_out, nnb_activation_name(act));
        all_bias &= bias, no_bias &= !bias;
    }
    printf("%s (%zu parameters%s)\n", all_bias ? "" : no_bias ? ", no biases" : ", some biases",
           nnb_net_n_params(net), nnb_net_dtype(net) == NNB_F32 ? ", float32" : "");
}

/* The parsed command line of nnblas train. */
typedef struct train_args {
    const char *v[N_OPT];       /* option values (NULL: not given) */
    int bias_flag, quiet, json; /* bias_flag -1: not given */
    int drop_bad_rows;
    args a;
    settings s;
} train_args;

/* Parses and checks the command line: everything that needs no file. 0 if it is valid, -1 after
 * --help (printed), else the exit status after a message. */
static int parse_train(int argc, char **argv, train_args *t) {
    memset(t, 0, sizeof *t);
    const char **v = t->v;
    t->bias_flag = -1;
    t->a = (args){argc, argv, 2, &cmd_train, 0};
    args *a = &t->a;
    while (a->i < argc && a->status == 0) {
        const char *val;
        int k, found = 0;
        if (arg_flag(a, "--help")) {
            fputs(cmd_train.help, stdout);
            return -1;
        }
        if (arg_flag(a, "--bias")) t->bias_flag = 1, found = 1;
        else if (arg_flag(a, "--no-bias")) t->bias_flag = 0, found = 1;
        else if (arg_flag(a, "--quiet")) t->quiet = 1, found = 1;
        else if (arg_flag(a, "--json")) t->json = 1, found = 1;
        for (k = 0; k < N_OPT && !found; k++)
            if (arg_value(a, opt_names[k], &val)) {
                found = 1;
                v[k] = val; /* a later option overrides an earlier one */
            }
        if (!found && arg_flag(a, "--drop-bad-rows")) t->drop_bad_rows = 1, found = 1;
        if (!found) {
            const char *known[N_OPT + sizeof flag_names / sizeof flag_names[0]];
            size_t n = 0;
            for (int i = 0; i < N_OPT; i++) known[n++] = opt_names[i];
            for (size_t i = 0; i < sizeof flag_names / sizeof flag_names[0]; i++)
                known[n++] = flag_names[i];
            a->status = unknown_arg(&cmd_train, argv[a->i], known, n);
        }
    }
    if (a->status) return a->status;
    int resume = v[O_RESUME] != NULL;
    if (v[O_CSV] && v[O_IDX])
        return usage_error(&cmd_train, "give either --csv or --idx, not both");
    if (resume) {
        for (size_t i = 0; i < sizeof fixed_on_resume / sizeof fixed_on_resume[0]; i++)
            if (v[fixed_on_resume[i]])
                return usage_error(&cmd_train,
                                   "%s cannot be changed when resuming: it comes from the model",
                                   opt_names[fixed_on_resume[i]]);
        if (t->bias_flag >= 0)
            return usage_error(&cmd_train, "--bias/--no-bias cannot be changed when resuming");
    } else {
        if (!v[O_CSV] && !v[O_IDX]) return usage_error(&cmd_train, "no data: give --csv or --idx");
        if (v[O_CSV] && !v[O_TARGET]) return usage_error(&cmd_train, "--csv needs --target");
        if (v[O_IDX]) {
            if (v[O_DELIMITER] || t->drop_bad_rows)
                return usage_error(&cmd_train, "%s is for CSV data",
                                   v[O_DELIMITER] ? "--delimiter" : "--drop-bad-rows");
            for (int k = O_TARGET; k <= O_TEST; k++)
                if (v[k] && k != O_STANDARDIZE && k != O_TASK)
                    return usage_error(&cmd_train, "%s is for CSV data%s", opt_names[k],
                                       k == O_TEST ? "; the IDX sets have their own test part"
                                                   : "");
            if (v[O_TASK] && strcmp(v[O_TASK], "regression") == 0)
                return usage_error(&cmd_train, "IDX data is classification");
        }
    }
    char delim;
    if (v[O_DELIMITER] && !delimiter_valid(v[O_DELIMITER], &delim))
        return usage_error(&cmd_train, "--delimiter: '%s' is not one character, tab, comma or "
                                       "semicolon", v[O_DELIMITER]);
    settings *s = &t->s;
    if (!parse_settings(a, v, s)) return a->status ? a->status : EXIT_FAIL;
    if (t->bias_flag >= 0) s->bias = t->bias_flag;
    if (v[O_IDX] && s->output >= 0 && s->output != NNB_ACT_SOFTMAX && s->output != NNB_ACT_SIGMOID)
        return usage_error(&cmd_train, "classification needs --output softmax or sigmoid");
    return 0;
}

int check_train(int argc, char **argv) {
    train_args t;
    int r = parse_train(argc, argv, &t);
    if (r) return r < 0 ? EXIT_OK : r;
    if (t.v[O_IDX]) {
        idx_spec spec;
        char err[256];
        if (!idx_spec_parse(t.v[O_IDX], &spec, err, sizeof err))
            return usage_error(&cmd_train, "--idx: %s", err);
    }
    return EXIT_OK;
}

/* One run of nnblas train: its command line, model, data, network and outcome, handed from
 * phase to phase. */
typedef struct run {
    int argc;
    char **argv;
    train_args t;
    const char **v;             /* t.v */
    settings s;
    int resume;
    model_info mi;              /* the resumed model (emptied into the fields below) */
    prepared d;
    nnb_net *net;
    nnb_meta *meta;
    data_flags df;
    idx_spec spec;
    progress p;
    int interrupted;            /* a first SIGINT / SIGTERM stopped training */
    /* the outcome */
    double wall, sps, test_loss, test_acc, test_rmse;
    double last[NNB_HIST_SAMPLES_PER_S + 1]; /* the last epoch's history record (the fields
                                                the command prints) */
    size_t n_ep, best_epoch, total_epochs;
    int stopped;
    nnb_history *hist;          /* kept for --plot, drawn last */
} run;

/* Phase 1 (--resume): the saved model, and its settings where the command line gives none. */
static int load_resumed(run *r) {
    const char **v = r->v;
    model_info *mi = &r->mi;
    if (!model_open(v[O_RESUME], mi)) return EXIT_FAIL;
    if (!mi->prep)
        return fail("%s has no data preparation; nnblas train cannot resume it", v[O_RESUME]);
    for (size_t i = 0; i < sizeof resumable / sizeof resumable[0]; i++) {
        int k = resumable[i];
        char key[32];
        snprintf(key, sizeof key, "train.%s", opt_names[k] + 2);
        if (!v[k]) v[k] = nnb_meta_get(mi->meta, key);
    }
    args a = r->t.a;
    a.status = 0;
    if (!parse_settings(&a, v, &r->s))
        return fail("%s: its training settings (metadata train.*) cannot be read", v[O_RESUME]);
    const char *src = nnb_meta_get(mi->meta, "data");
    if (!r->df.csv && !r->df.idx) {
        if (src && strncmp(src, "csv:", 4) == 0)
            r->df.csv = src + 4;
        else if (src && strncmp(src, "idx:", 4) == 0)
            r->df.idx = src + 4;
        else
            return usage_error(&cmd_train, "%s does not say what data it was trained on; "
                                           "give --csv or --idx", v[O_RESUME]);
    }
    r->net = mi->net, mi->net = NULL;
    r->d.prep = mi->prep, mi->prep = NULL;
    r->meta = mi->meta, mi->meta = NULL;
    r->d.classification = mi->n_classes > 0;
    r->d.target = mi->target;
    return EXIT_OK;
}

/* Phase 2: the data, read, split and prepared. */
static int load_data(run *r) {
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
    if (r->resume && (d->xtr.cols != nnb_net_n_inputs(r->net) ||
                      d->ytr.cols != nnb_net_n_outputs(r->net)))
        return fail("the data gives %zu inputs and %zu outputs, the model has %zu and %zu",
                    d->xtr.cols, d->ytr.cols, nnb_net_n_inputs(r->net),
                    nnb_net_n_outputs(r->net));
    if (d->xtr.rows == 0) return fail("no training rows are left");
    nnb_dtype net = r->resume ? nnb_net_dtype(r->net) : r->s.dtype;
    const mat *m[6] = {&d->xtr, &d->ytr, &d->xval, &d->yval, &d->xte, &d->yte};
    for (int i = 0; i < 6; i++)
        if (!mat_check_range(m[i], net, d->prep, i % 2)) return EXIT_FAIL;
    return EXIT_OK;
}

/* --epochs auto: about 2000 mini-batch steps, from 10 to 500 epochs (10 for a large set such as
 * MNIST, 500 for a small one such as iris). */
static size_t auto_epochs(size_t n_train, size_t batch) {
    size_t batches = batch && n_train > batch ? (n_train + batch - 1) / batch : 1;
    size_t e = (2000 + batches - 1) / batches;
    return e < 10 ? 10 : e > 500 ? 500 : e;
}

/* Phase 3: the network (new, or the resumed one), its loss and the metadata. */
static int setup_net(run *r) {
    settings *s = &r->s;
    if (!s->epochs) s->epochs = auto_epochs(r->d.xtr.rows, s->batch);
    if (r->df.idx && s->output < 0) s->output = NNB_ACT_SOFTMAX;
    if (!r->resume && !build_net(s, &r->d, &r->net)) return EXIT_FAIL;
    nnb_activation out_act;
    nnb_net_layer_info(r->net, nnb_net_n_layers(r->net) - 1, NULL, NULL, &out_act, NULL, NULL,
                       NULL);
    if (s->loss < 0)
        s->loss = (int)(r->resume ? r->mi.loss
                                  : nnb_default_loss(out_act, r->d.classification
                                                                  ? NNB_TARGET_ONEHOT
                                                                  : NNB_TARGET_VALUES));
    if (!nnb_loss_fits((nnb_loss)s->loss, out_act))
        return usage_error(&cmd_train, "--loss %s needs a %s output layer",
                           nnb_loss_name((nnb_loss)s->loss),
                           nnb_activation_name(nnb_default_output_for_loss((nnb_loss)s->loss)));
    if (!r->resume && nnb_meta_create(&r->meta) != NNB_OK) return fail_nnb();
    return EXIT_OK;
}

/* Phase 4: what is about to be trained, on what (unless --quiet or --json). */
static void print_intro(const run *r) {
    const prepared *d = &r->d;
    const settings *s = &r->s;
    char dropped[80] = "";
    if (r->df.drop_bad_rows)
        snprintf(dropped, sizeof dropped, " (%zu dropped: missing or bad values)", d->n_dropped);
    printf("data: %s (%s), %zu rows%s: %zu training, %zu validation, %zu test\n",
           d->source + 4, r->df.idx ? "IDX" : "CSV", d->n_rows + (r->df.idx ? d->xte.rows : 0),
           dropped, d->xtr.rows, d->xval.rows, d->xte.rows);
    if (d->classification) {
        printf("task: classification of '%s', %zu classes (", d->target, d->n_classes);
        for (size_t k = 0; k < d->n_classes && k < 12; k++)
            printf("%s%s", k ? ", " : "", d->labels[k]);
        printf("%s)\n", d->n_classes > 12 ? ", ..." : "");
    } else {
        printf("task: regression of %zu target%s\n", d->ytr.cols, d->ytr.cols > 1 ? "s" : "");
    }
    describe_net(r->net);
    char batch[32];
    snprintf(batch, sizeof batch, s->batch ? "batch %zu" : "full batch", s->batch);
    printf("training: %s, lr %g, %s, loss %s (%s), %zu epochs%s%s\n", nnb_optimizer_name(s->opt), s->lr,
           batch, nnb_loss_name((nnb_loss)s->loss), nnb_reduction_name(s->red), s->epochs,
           r->resume ? " more, resumed from " : "", r->resume ? r->v[O_RESUME] : "");
}

/* The training options of the run. */
static nnb_status make_opts(run *r, nnb_train_opts **out) {
    const settings *s = &r->s;
    const prepared *d = &r->d;
    nnb_train_opts *opts = NULL;
    nnb_status st = nnb_train_opts_create(&opts);
    if (st == NNB_OK) st = nnb_train_opts_set_epochs(opts, s->epochs);
    if (st == NNB_OK) st = nnb_train_opts_set_batch_size(opts, s->batch);
    if (st == NNB_OK) st = nnb_train_opts_set_loss(opts, (nnb_loss)s->loss, s->red);
    if (st == NNB_OK) st = nnb_train_opts_set_optimizer(opts, s->opt, s->lr);
    if (st == NNB_OK) st = nnb_train_opts_set_weight_decay(opts, s->wd);
    if (st == NNB_OK) st = nnb_train_opts_set_clip_norm(opts, s->clip_norm);
    if (st == NNB_OK) st = nnb_train_opts_set_clip_value(opts, s->clip_value);
    if (st == NNB_OK && s->dropout > 0) st = nnb_train_opts_set_dropout(opts, s->dropout);
    if (st == NNB_OK && d->xval.rows)
        st = nnb_train_opts_set_validation(opts, d->xval.v, d->yval.v, d->xval.rows);
    if (st == NNB_OK && s->patience) st = nnb_train_opts_set_early_stopping(opts, s->patience, 1);
    if (st == NNB_OK) st = nnb_train_opts_set_epoch_info_callback(opts, on_epoch, &r->p);
    if (st == NNB_OK && r->p.show == SHOW_BAR)
        st = nnb_train_opts_set_batch_callback(opts, on_batch, &r->p);
    if (st != NNB_OK) {
        nnb_train_opts_free(opts);
        opts = NULL;
    }
    *out = opts;
    return st;
}

/* The last epoch's record and the summary of a history. */
static int read_history(run *r, const nnb_history *hist) {
    r->n_ep = nnb_history_len(hist);
    size_t n_fields = nnb_history_field_count(), n_last = sizeof r->last / sizeof r->last[0];
    for (size_t f = 0; f < n_last; f++) r->last[f] = NAN;
    if (r->n_ep) {
        double *all = malloc(r->n_ep * sizeof *all);
        if (!all) return fail("out of memory"), 0;
        for (size_t f = 0; f < n_fields && f < n_last; f++)
            if (nnb_history_get(hist, (nnb_history_field)f, all, r->n_ep) == NNB_OK)
                r->last[f] = all[r->n_ep - 1];
        free(all);
    }
    nnb_history_summary(hist, &r->best_epoch, NULL, &r->stopped);
    return 1;
}

/* ---- signals and checkpoints ------------------------------------------------------------------ */

/* The training a first SIGINT or SIGTERM stops (the one global of the command: a signal handler
 * has no other way to reach it). */
static nnb_train_opts *volatile signal_opts;
static volatile sig_atomic_t signals_seen;
static volatile sig_atomic_t training_started; /* before: nothing to save, a signal ends at once */

static void on_signal(int sig) {
    if (!training_started) { /* reading data, building the network: nothing is lost */
        static const char msg[] = "\nnblas: interrupted before training started; nothing saved\n";
        ssize_t w = write(STDERR_FILENO, msg, sizeof msg - 1);
        (void)w;
        _exit(128 + sig);
    }
    if (signals_seen++ > 0) _exit(130); /* the second: at once (a save in progress leaves no file) */
    nnb_train_opts *o = signal_opts;
    if (o) nnb_train_opts_request_stop(o); /* async-signal-safe: one atomic store */
}

/* Catches SIGINT and SIGTERM: before training (early: a signal ends the command at once, with a
 * line saying so, even while a read blocks), for `opts` while training, or (neither) back to the
 * defaults. The handler is installed even when SIGINT was inherited ignored (a background job of
 * a script): a training run stops the same way however it was started. */
static void catch_signals(int early, nnb_train_opts *opts) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sa.sa_handler = early || opts ? on_signal : SIG_DFL;
    signal_opts = opts;
    training_started = !early;
    if (early || opts) signals_seen = 0;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* Phase 5: training, with progress; then the history's outcome. */
static int train_phase(run *r) {
    progress *p = &r->p;
    const settings *s = &r->s;
    int json = r->t.json, quiet = r->t.quiet;
    p->show = json ? (quiet ? SHOW_NONE : SHOW_JSON)
              : quiet ? SHOW_NONE
              : isatty(STDOUT_FILENO) && cli_processes() == 1 ? SHOW_BAR /* mpirun: a pty */
                                      : SHOW_LINES;
    p->n_epochs = p->last_epoch = s->epochs;
    p->n_train = r->d.xtr.rows;
    p->every = s->epochs > 100 ? s->epochs / 100 + (s->epochs % 100 != 0) : 1; /* no wrap */
    if (!json && !quiet) print_intro(r);

    nnb_train_opts *opts = NULL;
    nnb_history *hist = NULL;
    nnb_status st = make_opts(r, &opts);
    if (st == NNB_OK) st = nnb_history_create(&hist);
    double t0 = now_seconds();
    p->epoch_start = p->last_draw = t0;
    p->run = r;
    const prepared *d = &r->d;
    if (st == NNB_OK) {
        catch_signals(0, opts);
        st = cli_train(r->net, opts, &d->xtr, &d->ytr, hist);
        /* from here a first signal is noted (and ignored), a second ends the command */
        signal_opts = NULL;
    }
    p->run = NULL;
    r->wall = now_seconds() - t0;
    if (p->bar_drawn) fputs("\r\033[K", stdout);
    nnb_train_opts_free(opts);
    r->interrupted = st == NNB_E_CANCELLED && signals_seen > 0;
    if (r->interrupted) st = NNB_OK;
    if (st != NNB_OK) {
        fail_nnb();
        nnb_history_free(hist);
        return EXIT_FAIL;
    }
    int ok = read_history(r, hist);
    if (r->v[O_PLOT] && cli_rank() == 0)
        r->hist = hist; /* drawn after the other outputs (plot_phase) */
    else
        nnb_history_free(hist);
    if (!ok) return EXIT_FAIL;
    const char *before = nnb_meta_get(r->meta, "train.epochs");
    r->total_epochs = r->n_ep ? (size_t)r->last[NNB_HIST_EPOCH]
                      : r->resume && before ? (size_t)strtoull(before, NULL, 10)
                                            : 0;
    r->sps = p->secs_done > 0 ? (double)d->xtr.rows * (double)r->n_ep / p->secs_done : NAN;
    return EXIT_OK;
}

/* Phase 6: the test part's loss and accuracy. */
static int test_phase(run *r) {
    const prepared *d = &r->d;
    r->test_loss = r->test_acc = NAN;
    if (d->xte.rows && mat_evaluate(r->net, &d->xte, &d->yte, (nnb_loss)r->s.loss,
                                    NNB_REDUCTION_MEAN, &r->test_loss, &r->test_acc) != NNB_OK)
        return fail_nnb();
    if (!d->classification) r->test_acc = NAN;
    /* regression: the RMSE over every target in the data's units (targets may be scaled) */
    r->test_rmse = NAN;
    if (!d->classification && d->xte.rows) {
        size_t n = d->xte.rows * d->yte.cols;
        double *yhat = malloc(n * sizeof *yhat), *y = malloc(n * sizeof *y);
        nnb_status st = yhat && y ? NNB_OK : NNB_E_NOMEM;
        if (st == NNB_OK) st = mat_predict(r->net, &d->xte, yhat, n);
        for (size_t i = 0; st == NNB_OK && i < n; i++) y[i] = mat_get(&d->yte, i);
        if (st == NNB_OK) st = nnb_prep_inverse_targets(d->prep, yhat, d->xte.rows, d->yte.cols);
        if (st == NNB_OK) st = nnb_prep_inverse_targets(d->prep, y, d->xte.rows, d->yte.cols);
        double ss = 0;
        for (size_t i = 0; st == NNB_OK && i < n; i++) ss += (yhat[i] - y[i]) * (yhat[i] - y[i]);
        if (st == NNB_OK) r->test_rmse = sqrt(ss / (double)n);
        free(yhat), free(y);
        if (st == NNB_E_NOMEM) return fail("out of memory");
        if (st != NNB_OK) return fail_nnb();
    }
    return EXIT_OK;
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
    if (st == NNB_OK) st = meta_num(meta, "result.test_accuracy", r->test_acc);
    return st;
}

/* The model file with its training state (under MPI, rank 0 writes it). */
static int save_model(run *r, const nnb_net *net) {
    if (!r->v[O_SAVE] || cli_rank() != 0) return EXIT_OK;
    char *cmdline = command_line(r->argc, r->argv);
    if (!cmdline) return fail("out of memory");
    nnb_status st = fill_meta(r, cmdline);
    free(cmdline);
    if (st == NNB_OK) st = nnb_model_save(r->v[O_SAVE], net, r->d.prep, r->meta, 1);
    return st == NNB_OK ? EXIT_OK : fail_nnb();
}

/* Phase 7: the model file. */
static int save_phase(run *r) { return save_model(r, r->net); }

static void print_json_summary(const run *r) {
    const prepared *d = &r->d;
    printf("{\"event\":\"summary\",\"task\":\"%s\",\"epochs\":%zu,\"epochs_run\":%zu,"
           "\"stopped_early\":%s,\"best_epoch\":%zu,\"train_rows\":%zu,\"val_rows\":%zu,"
           "\"test_rows\":%zu,\"dropped_rows\":%zu,\"dtype\":\"%s\",\"train_loss\":",
           d->classification ? "classification" : "regression", r->total_epochs, r->n_ep,
           r->stopped ? "true" : "false", r->best_epoch, d->xtr.rows, d->xval.rows, d->xte.rows,
           d->n_dropped, nnb_dtype_name(nnb_net_dtype(r->net)));
    json_num(stdout, r->last[NNB_HIST_TRAIN_LOSS]);
    fputs(",\"train_accuracy\":", stdout);
    json_num(stdout, r->last[NNB_HIST_TRAIN_ACC]);
    fputs(",\"val_loss\":", stdout);
    json_num(stdout, r->last[NNB_HIST_VAL_LOSS]);
    fputs(",\"val_accuracy\":", stdout);
    json_num(stdout, r->last[NNB_HIST_VAL_ACC]);
    fputs(",\"test_loss\":", stdout);
    json_num(stdout, r->test_loss);
    fputs(",\"test_rmse\":", stdout);
    json_num(stdout, r->test_rmse); /* regression, in the data's units */
    fputs(",\"test_accuracy\":", stdout);
    json_num(stdout, r->test_acc);
    fputs(",\"samples_per_s\":", stdout);
    json_num(stdout, r->sps);
    fputs(",\"seconds\":", stdout);
    json_num(stdout, r->wall);
    fputs(",\"model\":", stdout);
    if (r->v[O_SAVE])
        json_str(stdout, r->v[O_SAVE]);
    else
        fputs("null", stdout);
    fputs("}\n", stdout);
}

static void print_text_summary(const run *r) {
    const prepared *d = &r->d;
    if (r->stopped && r->n_ep == 0)
        printf("stopped before the first epoch ended: no step lowered the loss%s\n",
               r->s.opt == NNB_OPT_LM ? " (the damping passed its limit)" : "");
    else if (r->stopped)
        printf("stopped early; kept the weights of epoch %zu\n", r->best_epoch);
    if (d->xte.rows && d->classification)
        printf("test accuracy %.4f  (test loss %s, %zu rows)\n", r->test_acc,
               num4((char[32]){0}, r->test_loss), d->xte.rows);
    else if (d->xte.rows)
        printf("test RMSE %.6g in the data's units  (test loss %.6g: %s, mean per row, %zu "
               "rows)\n",
               r->test_rmse, r->test_loss, nnb_loss_name((nnb_loss)r->s.loss), d->xte.rows);
    else if (r->s.test == 0 || r->df.idx)
        printf("no test rows (--test 0); final training loss %.6g\n",
               r->last[NNB_HIST_TRAIN_LOSS]);
    else /* the split rounds each class's share: a tiny file leaves none */
        printf("no test rows: --test %g of %zu rows left none (the split takes round(%g x n) "
               "rows of %s; use more rows or a larger --test); final training loss %.6g\n",
               r->s.test, d->n_rows, r->s.test,
               d->classification ? "each class's n rows" : "the n rows",
               r->last[NNB_HIST_TRAIN_LOSS]);
    char w[32];
    fmt_duration(w, r->wall);
    if (r->n_ep)
        printf("%zu epoch%s in %s: %.0f samples/s\n", r->n_ep, r->n_ep == 1 ? "" : "s", w,
               r->sps);
    if (r->v[O_SAVE]) printf("saved %s\n", r->v[O_SAVE]);
}

static int save_model(run *r, const nnb_net *net);

/* --checkpoint-every N: the model and its training state, every N epochs of this run, to the
 * --save file (atomically). A failed checkpoint is reported and training goes on. */
static void checkpoint(run *r, const nnb_net *net, size_t epoch, double train_loss,
                       double val_loss, double train_acc, double val_acc) {
    if (!r->s.checkpoint || r->p.done % r->s.checkpoint != 0 || epoch == r->p.last_epoch) return;
    r->last[NNB_HIST_TRAIN_LOSS] = train_loss, r->last[NNB_HIST_VAL_LOSS] = val_loss;
    r->last[NNB_HIST_TRAIN_ACC] = train_acc, r->last[NNB_HIST_VAL_ACC] = val_acc;
    r->total_epochs = epoch;
    r->test_loss = r->test_acc = NAN;
    if (save_model(r, net) != EXIT_OK) fputs("nnblas: the checkpoint failed; training goes on\n", stderr);
}

/* The one line of an interrupted run. */
static void print_interrupted(const run *r) {
    size_t left = r->s.epochs > r->n_ep ? r->s.epochs - r->n_ep : 0;
    fprintf(stderr, "nnblas: interrupted in epoch %zu, after %zu complete epoch%s of %zu", 
            r->total_epochs + 1, r->n_ep, r->n_ep == 1 ? "" : "s", r->s.epochs);
    if (r->v[O_SAVE] && cli_rank() == 0)
        fprintf(stderr, "; saved %s with its training state (continue: nnblas train --resume %s "
                        "--epochs %zu)\n", r->v[O_SAVE], r->v[O_SAVE], left);
    else
        fputs("; nothing saved (no --save)\n", stderr);
}

static void run_free(run *r) {
    prepared_free(&r->d);
    nnb_net_free(r->net);
    nnb_meta_free(r->meta);
    model_close(&r->mi);
    nnb_history_free(r->hist);
}

/* --plot: the learning curves, the last file written (a failure before leaves none). */
static int plot_phase(const run *r) {
    if (!r->hist) return EXIT_OK;
    return plot_history(r->v[O_PLOT], r->hist, r->d.source + 4) ? EXIT_OK : EXIT_FAIL;
}

/* The phases in order; the first failure's exit status. */
static int run_phases(run *r) {
    catch_signals(1, NULL);
    int st = r->resume ? load_resumed(r) : EXIT_OK;
    if (st == EXIT_OK && r->s.threads && nnb_set_num_threads((int)r->s.threads) != NNB_OK)
        st = fail_nnb();
    if (st == EXIT_OK) st = load_data(r);
    if (st == EXIT_OK) st = setup_net(r);
    /* a bad --save must not cost a training run */
    if (st == EXIT_OK && r->v[O_SAVE] && cli_rank() == 0 && !check_writable(r->v[O_SAVE]))
        st = EXIT_FAIL;
    if (st == EXIT_OK && r->v[O_PLOT] && cli_rank() == 0 && !plot_check(r->v[O_PLOT]))
        st = EXIT_FAIL;
    if (st == EXIT_OK) st = train_phase(r);
    if (st == EXIT_OK && r->interrupted) {
        st = save_phase(r);
        if (st == EXIT_OK) st = plot_phase(r);
        print_interrupted(r); /* the handler stays: a second signal still exits 130 */
        return st == EXIT_OK ? 130 : st;
    }
    if (st == EXIT_OK) st = test_phase(r);
    if (st == EXIT_OK) st = save_phase(r);
    if (st == EXIT_OK) st = plot_phase(r);
    catch_signals(0, NULL); /* the results are printed with the signals' default action */
    if (st == EXIT_OK) {
        if (r->t.json)
            print_json_summary(r);
        else
            print_text_summary(r);
    }
    return st;
}

int run_train(int argc, char **argv) {
    run *r = calloc(1, sizeof *r);
    if (!r) return fail("out of memory");
    int st = parse_train(argc, argv, &r->t);
    if (st) {
        free(r);
        return st < 0 ? EXIT_OK : st;
    }
    r->argc = argc, r->argv = argv;
    r->v = r->t.v;
    r->s = r->t.s;
    r->resume = r->v[O_RESUME] != NULL;
    const char **v = r->v;
    r->df = (data_flags){v[O_CSV],  v[O_IDX],       v[O_TARGET],         v[O_ONEHOT],
                         v[O_STANDARDIZE], v[O_DROP], v[O_DELIMITER], r->t.drop_bad_rows};
    st = run_phases(r);
    if (!r->interrupted) catch_signals(0, NULL); /* (interrupted: a second signal still ends it) */
    fflush(stdout);
    run_free(r);
    free(r);
    return st;
}
