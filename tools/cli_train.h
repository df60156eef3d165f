/*
 * nnblas train (tools/cli_train*.c): the types and functions its files share. Each file owns one
 * concern:
 *   cli_train_args.c    the help text, the options, their parsing into settings (no file read)
 *   cli_train_data.c    the data: CSV or IDX read, the task decided, prepared, split
 *   cli_train_model.c   the model file: resuming a saved one, saving, checkpoints, metadata
 *   cli_train_output.c  what train prints: the intro, progress per batch and epoch, the summary
 *   cli_train.c         the run: its phases in order, the network, training, the signals
 */
#ifndef NNBLAS_CLI_TRAIN_H
#define NNBLAS_CLI_TRAIN_H

#include "cli.h"

/* ---- options (cli_train_args.c) ---------------------------------------------------------- */

enum {
    O_CSV,
    O_IDX,
    O_TARGET,
    O_ONEHOT,
    O_STANDARDIZE,
    O_DROP,
    O_TASK,
    O_TEST,
    O_VAL,
    O_SEED,
    O_LAYERS,
    O_ACTIVATION,
    O_OUTPUT,
    O_LOSS,
    O_INIT,
    O_DROPOUT,
    O_OPTIMIZER,
    O_LR,
    O_EPOCHS,
    O_BATCH,
    O_REDUCTION,
    O_WEIGHT_DECAY,
    O_PATIENCE,
    O_THREADS,
    O_SAVE,
    O_RESUME,
    O_CLIP_NORM,
    O_CLIP_VALUE,
    O_DELIMITER,
    O_CHECKPOINT,
    O_INPUT_LIMIT,
    O_DTYPE,
    O_PLOT,
    O_INPUT_SHAPE,
    O_FILL,
    O_DECIMAL,
    N_OPT
};

/* The options' names ("--csv", ...), indexed by the O_* values. */
extern const char *const train_opt_names[N_OPT];

/* The settings of a run, parsed from the options' values (or, resuming, the model's). */
typedef struct settings {
    int task;            /* -1 auto, 0 classification, 1 regression */
    char layers[64][40]; /* --layers: "128", "conv32x3p1", "maxpool2" (nnb_net_add_layer_spec) */
    size_t n_layers;
    size_t shape[3]; /* --input-shape C, H, W (0: not given) */
    nnb_activation act;
    double slope; /* leaky ReLU */
    int output;   /* -1 auto, else nnb_activation */
    double out_slope;
    int loss; /* -1 auto, else nnb_loss */
    int init; /* -1 auto, else nnb_init */
    int bias;
    double dropout;
    nnb_optimizer opt;
    double lr; /* NaN: the optimiser's default */
    size_t epochs, batch, patience, threads;
    size_t checkpoint; /* --checkpoint-every: epochs (0: off) */
    nnb_reduction red;
    double wd, val, test;
    double clip_norm, clip_value;
    uint64_t seed;
    nnb_dtype dtype;
} settings;

/* The parsed command line of nnblas train. */
typedef struct train_args {
    const char *v[N_OPT];       /* option values (NULL: not given) */
    int bias_flag, quiet, json; /* bias_flag -1: not given */
    int drop_bad_rows;
    int new_data; /* --new-data: resume on data other than the model's */
    args a;
    settings s;
} train_args;

/* Parses every value into s; v[] holds the option strings (NULL: default). 1, or 0 after a
 * message (a->status set for a usage error). */
int parse_train_settings(args *a, const char *const v[N_OPT], settings *s);
/* Parses and checks the command line: everything that needs no file. 0 if it is valid, -1 after
 * --help (printed), else the exit status after a message. */
int parse_train(int argc, char **argv, train_args *t);

/* ---- data (cli_train_data.c) ------------------------------------------------------------- */

/* The prepared data of a run: the training and test parts in the type `dtype` (the network's,
 * or float64 under MPI), the validation part in float64 (nnb_train_opts_set_validation's type:
 * float32 values are exact in it). */
typedef struct prepared {
    nnb_dtype dtype;
    mat xtr, ytr, xval, yval, xte, yte;
    nnb_prep *prep; /* owned */
    int classification;
    size_t n_classes;
    const char **labels; /* n_classes (strings owned by prep or static) */
    const char *target;  /* the target's name */
    size_t n_rows;       /* rows read (CSV: the file; IDX: the training part) */
    size_t n_dropped;    /* CSV rows left out by --drop-bad-rows */
    char source[4200];   /* "csv:FILE" or "idx:SPEC", stored in the metadata */
    data_id id;          /* what identifies the data read (metadata data.*) */
} prepared;

void prepared_free(prepared *d);

/* ---- progress (cli_train_output.c) ------------------------------------------------------- */

enum { SHOW_NONE, SHOW_LINES, SHOW_BAR, SHOW_JSON };

/* What the progress callbacks know of the run. */
typedef struct progress {
    int show;
    size_t n_epochs; /* epochs of this run: first_epoch + 1 .. last_epoch */
    size_t first_epoch, last_epoch;
    int synced;
    size_t n_train;
    double epoch_start, last_draw, secs_done;
    size_t done;
    size_t every; /* print every n-th epoch (lines and bar) */
    double loss_sum;
    size_t loss_n;
    int bar_drawn;
    struct run *run; /* for --checkpoint-every */
} progress;

/* ---- the run (cli_train.c) --------------------------------------------------------------- */

/* One run of nnblas train: its command line, model, data, network and outcome, handed from
 * phase to phase. */
typedef struct run {
    int argc;
    char **argv;
    train_args t;
    const char **v; /* t.v */
    settings s;
    int resume;
    model_info mi; /* the resumed model (emptied into the fields below) */
    prepared d;
    nnb_net *net;
    nnb_meta *meta;
    data_flags df;
    idx_spec spec;
    char data_spec[4200]; /* --resume: the IDX set the model records */
    progress p;
    int interrupted; /* a first SIGINT / SIGTERM stopped training */
    /* the outcome */
    double wall, sps, test_loss, test_acc, test_rmse, test_r2;
    double last[NNB_HIST_SAMPLES_PER_S + 1]; /* the last epoch's history record (the fields
                                                the command prints) */
    size_t n_ep, best_epoch, total_epochs;
    int stopped;
    nnb_history *hist; /* kept for --plot, drawn last */
} run;

/* Phase 1 (--resume; cli_train_model.c): the saved model, and its settings where the command line
 * gives none. An exit status. */
int train_load_resumed(run *r);
/* Phase 2 (cli_train_data.c): the data, read, split and prepared. An exit status. */
int train_load_data(run *r);
/* After phase 2 (cli_train_model.c): a resumed run's data is the data the model records
 * (data.bytes and data.crc32), unless --new-data. An exit status. */
int train_check_data(const run *r);
/* Phase 4 (cli_train_output.c): what is about to be trained, on what. */
void train_print_intro(const run *r);
/* The training callbacks (cli_train_output.c; ud is the run's progress). */
int train_on_batch(size_t epoch, size_t batch, size_t n_batches, double batch_loss, void *ud);
int train_on_epoch(const nnb_net *net, const nnb_epoch_info *info, void *ud);
/* The model file with its training state (cli_train_model.c; under MPI, rank 0 writes it). An
 * exit status. */
int train_save_model(run *r, const nnb_net *net);
/* --checkpoint-every N (cli_train_model.c): the model and its training state, every N epochs of
 * this run, to the --save file (atomically). A failed checkpoint is reported and training goes
 * on. */
void train_checkpoint(run *r, const nnb_net *net, size_t epoch, double train_loss, double val_loss,
                      double train_acc, double val_acc);
/* The results (cli_train_output.c): one JSON object, or text; the line of an interrupted run. */
void train_print_json_summary(const run *r);
void train_print_text_summary(const run *r);
void train_print_interrupted(const run *r);

/* ---- memory (cli_memory.c) --------------------------------------------------------------- */

/* 1 if the run fits the memory the process can get: `data_bytes` of prepared data (described as
 * data_what in a message) and the training of a new network of n_in inputs, the hidden layers of
 * s and n_out outputs on n_train rows; else 0 with a message naming the hidden layer or the data
 * that makes it too large. */
int check_run_memory(const settings *s, size_t n_in, size_t n_out, size_t n_train,
                     size_t data_bytes, const char *data_what);

#endif
