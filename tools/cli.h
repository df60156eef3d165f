/*
 * The nnblas command (tools/): declarations shared by its files. The tool uses only the public
 * header; it keeps no global state (everything lives in main's locals and is passed down).
 *
 * Exit statuses: 0 success, 1 a failure (a message "nnblas: error: ..." on stderr), 2 a usage
 * error (a message and the subcommand's usage on stderr).
 */
#ifndef NNBLAS_CLI_H
#define NNBLAS_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "nnblas.h"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

/* ---- messages and usage (cli_util.c) ------------------------------------------------------- */

/* A subcommand: its name ("train") and its help text (the first paragraph is the usage). */
typedef struct command {
    const char *name;
    const char *help;
} command;

/* Text from a file (a CSV's labels and column names, a model's metadata), to be printed on a
 * terminal: escaped (lib/text_escape.h: control characters, C1 and bidirectional controls and
 * invalid UTF-8 as \xHH or \uHHHH). Every such text the command prints goes through esc(), and
 * the messages below escape what they print. The result stays valid until the 8th next call. */
const char *esc(const char *s);
/* Whether some text could not be shown (esc() ran out of memory): the command then fails. */
int cli_failed(void);

/* Prints "nnblas NAME: message", the usage and a hint to stderr; returns EXIT_USAGE. */
int usage_error(const command *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints "nnblas: error: message" to stderr; returns EXIT_FAIL. */
int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* fail() with the library's last error, in the user's words: without the name of the library
 * function that failed (lib_message()). */
int fail_nnb(void);

/* ---- arguments ----------------------------------------------------------------------------- */

typedef struct args {
    int argc;
    char **argv;
    int i; /* the argument being looked at */
    const command *cmd;
    int status; /* EXIT_USAGE once an error was reported */
    char *msg;  /* not NULL: errors are not printed; the first one is kept here */
    size_t msg_len;
} args;

/* A usage error in an argument: printed (usage_error()), or kept in a->msg when the arguments
 * are not the user's (a resumed model's settings). Sets a->status to EXIT_USAGE; returns 0. */
int arg_error(args *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* If argv[i] is `name VALUE` or `name=VALUE`: *value, advances past it, returns 1. A missing value
 * is a usage error (status set, returns 1 with *value NULL). */
int arg_value(args *a, const char *name, const char **value);
/* If argv[i] is exactly `name` (a flag without value): advances, returns 1. */
int arg_flag(args *a, const char *name);

/* Strict number parsing (no atoi: "12abc", "", " 3", "0x10", "nan", "inf" are refused). Each
 * returns 1 on success; on failure reports a usage error naming the option and returns 0. */
int parse_size(args *a, const char *opt, const char *s, size_t *out);
int parse_u64(args *a, const char *opt, const char *s, uint64_t *out);
int parse_double(args *a, const char *opt, const char *s, double *out);
/* A fraction in [0, 1). */
int parse_fraction(args *a, const char *opt, const char *s, double *out);
/* --input-limit BYTES[K|M|G]: sets nnb_set_input_limit(); 0 after a usage error. */
int parse_input_limit(args *a, const char *s);
/* A number as in parse_double(), without reporting: 1 if s is one. */
int is_number(const char *s, double *out);
/* One of `names` (NULL-terminated); the index, or -1 after a usage error listing them and
 * suggesting the nearest. */
int parse_choice(args *a, const char *opt, const char *s, const char *const *names);
/* The library's last error without its "nnb_function: " prefix. */
const char *lib_message(void);
/* After an nnb_*_parse() failed on the value of option `opt`: a usage error "OPT: <the library's
 * message, with the accepted names and the nearest>"; returns 0. */
int bad_name(args *a, const char *opt);

/* A comma-separated list ("a,b,c"; "" is empty): a new array of new strings. */
typedef struct strlist {
    size_t n;
    char **s;
} strlist;
int strlist_split(const char *s, strlist *out); /* 0 if out of memory */
void strlist_free(strlist *l);
int strlist_has(const strlist *l, const char *s);

/* ---- output -------------------------------------------------------------------------------- */

/* The shortest decimal text that reads back as v ("0.1", "1e-05"); "nan", "inf" otherwise. */
void fmt_double(char buf[32], double v);
/* A convolution or pooling layer in words ("conv2d 32 3x3 stride 1 padding 1", "maxpool
 * 2x2 stride 2") and its output shape ("32x28x28"); 0 for a dense layer (nothing written). */
int layer_words(const nnb_net *net, size_t layer, char buf[96], char shape[48]);
/* Writes a JSON string (with quotes, escaped; invalid UTF-8 becomes U+FFFD). */
void json_str(FILE *f, const char *s);
/* Length of the UTF-8 sequence starting at s (1 to 4), or 0 if it is not a valid one. */
size_t utf8_len(const unsigned char *s);
/* Writes a JSON number, or null for NaN and infinities. */
void json_num(FILE *f, double v);
/* Writes a CSV field, quoted when it must be. */
void csv_field(FILE *f, const char *s);

/* The coefficient of determination R^2 of target column j: 1 - SS_res / SS_tot over the rows
 * (row i's value y[i * y_stride + j], its prediction p[i * p_stride + j]), as scikit-learn's
 * r2_score: for a constant target 1 when it is predicted exactly, else 0. NaN without rows. */
double r2_score(const double *y, size_t y_stride, const double *p, size_t p_stride, size_t rows,
                size_t j);
/* The power of two that brings column j of y and p below 1 in magnitude when their values are
 * large enough for squared differences to overflow (above 2^500); 1 otherwise, so ordinary data
 * keeps its plain sums. */
double error_scale(const double *y, size_t y_stride, const double *p, size_t p_stride, size_t rows,
                   size_t j);
/* RMSE and MAE of predictions p against y in column j, finite for any finite values (scaled by
 * error_scale()). */
void error_stats(const double *y, size_t y_stride, const double *p, size_t p_stride, size_t rows,
                 size_t j, double *rmse, double *mae);

/* Monotonic seconds. */
double now_seconds(void);
/* "12 s", "3 min 05 s", "1 h 02 min". */
void fmt_duration(char buf[32], double seconds);

/* A file written atomically (lib/atomic_file.c, the library's own writer): only a regular file
 * or nothing at `path` is replaced (symbolic links followed); the contents go to an unnamed
 * temporary file in the same folder, named by atomic_commit() after fflush and fsync.
 * atomic_abort() discards it. */
typedef struct atomic_file {
    FILE *f;
    struct nnbi_atomic *a;
    const char *path;
} atomic_file;
int atomic_open(atomic_file *af, const char *path); /* 0 (message reported) or 1 */
int atomic_commit(atomic_file *af);                 /* 0 (message reported, file removed) or 1 */
void atomic_abort(atomic_file *af);                 /* safe after commit and twice */

/* Can `path` be written: a regular file or nothing (symbolic links followed), in a folder where
 * a file can be created? (Creates an unnamed one, and discards it.) 0 with a message. */
int check_writable(const char *path);

/* An output that is a file only (--save, --plot): "-" (standard output elsewhere) is a usage
 * error, not a file named "-". EXIT_OK or EXIT_USAGE after the message. */
int file_output(const command *cmd, const char *opt, const char *path);

/* A file a command reads or writes, for check_files(). */
typedef struct file_use {
    const char *what; /* how the command line names it: "--csv", "--save" */
    const char *path; /* NULL: not given; "-": standard input (an input) */
    int output;       /* 1: the command writes it */
    int group;        /* > 0: may be the same file as another use of its group (--resume X
                         --save X) */
} file_use;
/* Before any work: no output may be the same file as an input or as another output. Files are
 * compared by identity (device and inode: a symbolic or hard link, or another spelling of the
 * path, is the same file; an output that does not exist yet by its folder and name, symbolic
 * links followed as the writer follows them; standard input by the file redirected to it).
 * EXIT_OK, or EXIT_USAGE after a usage error naming both, or EXIT_FAIL (out of memory). */
int check_files(const command *cmd, const file_use *uses, size_t n);

/* ---- pictures (cli_plot.c): SVG files written atomically; 1, or 0 after a message ----------- */

/* Can --plot write `path`: not named as another picture format (.png, .jpg, .pdf...), and
 * check_writable()? 0 with a message. */
int plot_check(const char *path);
/* Learning curves: per epoch (n of them, epoch numbers in epoch), training and validation loss
 * and accuracy (NaN where there is none; NaN and infinities are gaps in the curves). */
int plot_curves(const char *path, size_t n, const double *epoch, const double *train_loss,
                const double *val_loss, const double *train_acc, const double *val_acc,
                const char *title);
/* plot_curves() of a training history, titled "nnblas train: TITLE". */
int plot_history(const char *path, const nnb_history *h, const char *title);
/* A k x k confusion matrix (conf[true * k + predicted]) with the classes' labels. */
int plot_confusion(const char *path, const size_t *conf, size_t k, const char *const *labels,
                   const char *title);
/* Predicted against actual values, one panel per target (at most 6): row i's target j is
 * actual[i * a_stride + j] and pred[i * p_stride + j]; names: the targets' names (or NULL). */
int plot_scatter(const char *path, const double *actual, size_t a_stride, const double *pred,
                 size_t p_stride, size_t rows, size_t targets, const char *const *names,
                 const char *title);

/* ---- data (cli_data.c) --------------------------------------------------------------------- */

/* A row-major matrix of float64 or float32 values: dtype NNB_F64 holds them in v (f NULL),
 * NNB_F32 in f (v NULL). A zeroed mat is an empty float64 one. The data a float32 network trains
 * on, evaluates and predicts is float32 (half the memory), read and prepared straight into f. */
typedef struct mat {
    double *v;
    float *f;
    size_t rows, cols;
    nnb_dtype dtype;
} mat;
void mat_free(mat *m);
/* rows x cols values of the type (uninitialised). 0 with a message. */
int mat_alloc(mat *m, size_t rows, size_t cols, nnb_dtype dtype);
/* The values (v or f) and the bytes of one value. */
void *mat_data(const mat *m);
size_t mat_elem_size(const mat *m);
/* Value i (row-major index) as a double (exact for both types). */
double mat_get(const mat *m, size_t i);
/* Rows [first, first + n) of src as a new float64 matrix (exact for both types). 0 with a
 * message. */
int mat_rows_f64(const mat *src, size_t first, size_t n, mat *dst);
/* Turns m into float64 in place (a new buffer; a float64 m is left as it is). 0 with a message
 * (m unchanged). */
int mat_to_f64(mat *m);
/* Predicted class of row i: argmax, or > 0.5 for one column (predicted_class() of a mat). */
size_t mat_row_class(const mat *m, size_t i);

/* The library's calls on a mat, each the float64 or float32 entry point by the data's type
 * (x and y of the same type): nnb_net_train[_f32], nnb_net_evaluate[_f32], nnb_net_predict[_f32]
 * (the predictions always in double: a float32 network's are exact as doubles),
 * nnb_prep_transform[_f32], nnb_prep_apply[_f32] (into x and y, allocated here as `dtype`). */
nnb_status mat_train(nnb_net *net, const nnb_train_opts *opts, const mat *x, const mat *y,
                     nnb_history *hist);
nnb_status mat_evaluate(const nnb_net *net, const mat *x, const mat *y, nnb_loss loss,
                        nnb_reduction red, double *loss_out, double *acc_out);
nnb_status mat_predict(const nnb_net *net, const mat *x, double *out, size_t out_len);
nnb_status mat_transform(const nnb_prep *prep, mat *x);
/* For a float32 network (net NNB_F32): every value of m, of either type, must be finite as a
 * float. The readers refuse NaN and infinities, so a value that is not is a finite one the data
 * preparation took beyond float32's range (|v| > 3.4e38): an error naming the feature (or, with
 * targets 1, the target) of prep, where a float64 network would go on. 1 if none (or net is
 * NNB_F64); else 0 with a message. */
int mat_check_range(const mat *m, nnb_dtype net, const nnb_prep *prep, int targets);

/* The data options shared by train, eval and predict. */
typedef struct data_flags {
    const char *csv, *idx; /* one of them */
    const char *target, *onehot, *standardize, *drop;
    const char *delimiter; /* NULL: detected from the header row */
    int drop_bad_rows;     /* leave out rows with missing or bad cells */
    const char *fill;      /* --fill: missing feature cells filled */
    const char *decimal;   /* --decimal: NULL or "auto": detected */
} data_flags;

/* The CSV delimiter: --delimiter's (",", ";", "|", "tab" or "\t"), else the one
 * nnb_csv_detect_delimiter_buffer() finds in the input's header row. 0 with a message. */
struct csv_input;
int csv_delimiter(const data_flags *df, const struct csv_input *in, char *delim);
/* Checks a --delimiter value without reading anything: 1 if valid. */
int delimiter_valid(const char *s, char *delim);
/* The decimal mark: --decimal's ('.' or ',': also "point", "comma"), or, for "auto" or none, the
 * one nnb_csv_detect_decimal_buffer() finds in the input. 0 with a message. */
int csv_decimal(const data_flags *df, const struct csv_input *in, char delim, char *decimal);
/* Checks a --decimal value: 1 if valid (*decimal 0 for auto). */
int decimal_valid(const char *s, char *decimal);
/* Says, when the preparation encoded categories it had not seen as zeros in rows rows[0..n) of t,
 * how many ("the test rows", "the rows"): a note on stderr. */
void note_unseen(const nnb_prep *prep, const nnb_table *t, const size_t *rows, size_t n,
                 const char *what);

/* check_files() of the data the flags name (--csv FILE, standard input, or the files of an IDX
 * set) as inputs, with the command's other files (its model, its outputs). An exit status. */
int check_data_files(const command *cmd, const data_flags *df, const file_use *others,
                     size_t n_others);

/* An IDX data set: "fashion-mnist[:DIR]" or "mnist:DIR". */
typedef struct idx_spec {
    char dir[4096];
    int fashion;
} idx_spec;
int idx_spec_parse(const char *spec, idx_spec *out, char *err, size_t err_len);
/* Class names of an IDX data set (10). */
const char *idx_class_name(const idx_spec *s, size_t k);

/* Reads one part of an IDX data set: images (rows x 784, in [0, 1]) and one-hot labels, both of
 * type dtype. */
int idx_read(const idx_spec *s, nnb_mnist_part part, nnb_dtype dtype, mat *x, mat *y);

/* A CSV input read once into memory (nnb_input_read: a regular file to its size, a pipe, FIFO or
 * standard input "-" up to the input limit), then parsed as often as the command needs. */
typedef struct csv_input {
    const char *name; /* as given ("-" for standard input) */
    char *text;
    size_t len;
} csv_input;
int csv_input_read(const char *path, csv_input *in); /* 0 with a message */
void csv_input_free(csv_input *in);

/* What identifies the data a model was trained on, recorded in its metadata (data.path,
 * data.bytes, data.crc32) and checked when it is resumed. */
typedef struct data_id {
    int known;
    char path[4096]; /* absolute (a regular file, or an IDX set's folder); "" for a stream */
    uint64_t bytes;  /* CSV: the bytes read; IDX: the values read */
    uint32_t crc;    /* CRC-32 of those bytes (IDX: each value's byte, as in the files) */
} data_id;
/* The identity of a CSV input (the bytes already in memory: no second read). */
void data_id_csv(const csv_input *in, data_id *id);
/* The identity of an IDX set's data: folder, and the values of images and one-hot labels
 * (train part x, y, then test part xt, yt), each back to the byte it was read from. */
void data_id_idx(const char *dir, const mat *x, const mat *y, const mat *xt, const mat *yt,
                 data_id *id);

/* The column names of a CSV input's header row, as the library's reader sees them. 0 with a
 * message on failure. */
int csv_header(const csv_input *in, char delim, strlist *names);

/* Parses a CSV input to apply a fitted preparation to: the preparation's text columns as text,
 * every column it does not read skipped. need_target = 0 allows the target columns to be absent. */
int read_table_for_prep(const data_flags *df, const csv_input *in, const nnb_prep *prep,
                        int need_target, nnb_table **out);
/* After a CSV read failed: the library's message, with a hint at --drop-bad-rows when the
 * failure was a missing or non-numeric cell. Returns 0. */
int fail_csv(const data_flags *df);
/* "unknown option '--x'; did you mean '--y'?" (a usage error) for argv[i] among `known`. */
int unknown_arg(const command *cmd, const char *arg, const char *const *known, size_t n_known);

/* Applies a preparation to rows `rows` (NULL: all) of a table: x and, if y is not NULL, y, of
 * type dtype (float32: each value computed in double and rounded once). */
int prep_rows(const nnb_prep *prep, const nnb_table *t, const size_t *rows, size_t n,
              nnb_dtype dtype, mat *x, mat *y);

/* For a stratified split: the class of every row of the target column `target` (the value of a
 * numeric column; the rank among the sorted distinct labels of a text column). *n_classes gets
 * the number of distinct values. */
int class_strata(const nnb_table *t, const char *target, double **out, size_t *n_classes);

/* Reorders the rows of x in place: row i becomes old row order[i]. */
int permute_rows(mat *x, const size_t *order);

/* ---- the model's task, for the subcommands that read a model (cli_data.c) ------------------ */

/* What the tool knows about a loaded model: its classes (labels), loss and data source. */
typedef struct model_info {
    nnb_net *net;
    nnb_prep *prep;
    nnb_meta *meta;
    size_t n_classes;    /* 0 for regression */
    const char **labels; /* n_classes labels (owned by prep or meta, array owned here) */
    const char *target;  /* the target's name ("label" for IDX models) */
    nnb_loss loss;
    int binary_sigmoid; /* one sigmoid output for two classes (class 1 above 0.5) */
} model_info;
int model_open(const char *path, model_info *mi);
void model_close(model_info *mi);
/* Reads the data given by flags for a model: x prepared, y if want_y (the IDX test part, or the
 * whole CSV file), both in the network's type. */
int model_data(const model_info *mi, const data_flags *df, int want_y, mat *x, mat *y);

/* Predicted class of each output row: argmax, or > 0.5 for one output. */
size_t predicted_class(const double *row, size_t cols);

/* ---- subcommands ----------------------------------------------------------------------------- */

extern const command cmd_train, cmd_eval, cmd_predict, cmd_info;
int run_train(int argc, char **argv);
int run_eval(int argc, char **argv);
int run_predict(int argc, char **argv);
int run_info(int argc, char **argv);
/* Parses and checks train's command line as run_train() does, reading no file and running
 * nothing: EXIT_OK (after printing the help for --help), or EXIT_USAGE / EXIT_FAIL after a
 * message. */
int check_train(int argc, char **argv);

/* `nnblas export` (cli_export.c): run_export(), and check_export() as check_train(). */
extern const command cmd_export;
int run_export(int argc, char **argv);
int check_export(int argc, char **argv);

/* ---- the whole command (nnblas.c) ---------------------------------------------------------- */

/* The command: what main() does; returns the exit status. */
int nnblas_main(int argc, char **argv);
/* The command line checked as nnblas_main() would check it, without reading any file or running
 * anything (for the fuzzing harness): EXIT_OK if it is valid (or --help, --version: printed),
 * else the exit status after the message nnblas_main() would print. Never exits the process. */
int nnblas_check_args(int argc, char **argv);

/* ---- MPI (cli_mpi.c) ------------------------------------------------------------------------ */

/* nnblas train runs between these two: data-parallel over every process when an MPI launcher
 * started more than one and nnblas was built with MPI (only rank 0 prints and writes files);
 * refused when it was built without. cli_mpi_begin() initialises MPI if so and returns -1 (go on
 * and run train), or an exit status after a message (do not run it). cli_mpi_end(status): after
 * train, the agreement of a rank that stopped before training, and MPI_Finalize(); returns
 * status. */
int cli_mpi_begin(void);
int cli_mpi_end(int status);
/* mat_train(), or under MPI nnb_mpi_train() over every process (after checking that none failed
 * before training; nnb_mpi_train takes float64 data only, so under MPI the command reads its
 * data as float64 for either network type: NNB_E_UNSUPPORTED for float32 data). */
nnb_status cli_train(nnb_net *net, const nnb_train_opts *opts, const mat *x, const mat *y,
                     nnb_history *hist);
/* What every process of a data-parallel run must agree on: cli_train() compares it across the
 * processes before training and refuses a run where one differs from process 0's. */
typedef struct run_identity {
    uint64_t model_hash; /* FNV-1a of the network and the fitted preparation (columns,
                            categories, class labels, statistics) as a model file holds them */
    uint32_t data_crc;   /* the data's CRC-32 and size (data_id) */
    uint64_t data_bytes;
    char classes[112]; /* the class labels, comma-separated (cut short), for the message */
} run_identity;
/* This process's identity: the network and preparation, the data read, the classes' labels.
 * 1, or 0 after a message (cli_data.c). */
int run_identity_make(const nnb_net *net, const nnb_prep *prep, const data_id *data,
                      const char *const *labels, size_t n_classes, run_identity *out);
/* Sets this process's identity for cli_train() (without MPI: nothing to compare). */
void cli_set_identity(const run_identity *id);

/* This process's rank and the number of processes (0 and 1 without MPI). */
int cli_rank(void);
int cli_processes(void);

#endif
