/* nnblas train, its options (tools/cli_train_args.c): the help text, the options' names, their
 * parsing into settings and the checks that need no file (check_train: the fuzzing harness's). */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_train.h"

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
    "  --fill mean|median|most-frequent\n"
    "                        fill the missing cells (empty, NA, N/A, NaN, null) of feature\n"
    "                        columns with that value of the training part (one-hot columns: the\n"
    "                        most frequent category), stored in the model for eval and predict;\n"
    "                        a row without a target is still an error (--drop-bad-rows drops it)\n"
    "  --decimal auto|.|,    the decimal mark of numbers (default auto: ',' when the delimiter is\n"
    "                        not ',' and the first rows' numbers are written 17,99, else '.')\n"
    "  --drop COLS           columns to leave out (not even read)\n"
    "  --task auto|classification|regression\n"
    "                        auto: classification for a text target, or a numeric one with only\n"
    "                        whole values and at most 20 of them; else regression. A class target\n"
    "                        with nearly one class per row (over 20 classes averaging under 5\n"
    "                        rows, or under 2 rows per class) is refused: it is a quantity\n"
    "  --idx fashion-mnist[:DIR] | mnist:DIR\n"
    "                        an MNIST-style folder (Fashion-MNIST: "
    "/usr/share/datasets/fashion-mnist,\n"
    "                        Debian package dataset-fashion-mnist); its own test part is the test "
    "set\n"
    "  --test FRACTION       CSV: rows held out for the final test (default 0.2; stratified by "
    "class)\n"
    "  --val FRACTION        training rows held out for validation each epoch (default 0)\n"
    "  --seed N              seed of the split, the initial weights, the shuffles and dropout\n"
    "                        (default 1)\n"
    "\n"
    "Network:\n"
    "  --layers L,L,...      hidden layers (default 64; \"\" for none): a number of units for a\n"
    "                        dense layer; conv32x3p1 for a convolution (32 filters of 3x3,\n"
    "                        padding 1; x5 after the kernel: 3x5; s2: stride 2; psame: \"same\"\n"
    "                        padding); maxpool2, avgpool2 for pooling (2x2 windows; s1: stride 1)\n"
    "  --input-shape CxHxW   the shape of one row for convolution and pooling layers: C channels\n"
    "                        of H x W, channel-major (IDX images: 1 x side x side by default)\n"
    "  --activation A        hidden activation: relu (default), leaky_relu[:SLOPE], tanh, "
    "sigmoid,\n"
    "                        identity\n"
    "  --output A            output activation: auto (default: softmax for classes, identity for\n"
    "                        regression), sigmoid (one output for two classes), softmax, "
    "identity,\n"
    "                        tanh, relu, leaky_relu[:SLOPE]\n"
    "  --loss L              auto (default: ce with softmax, bce with sigmoid classes, else mse),\n"
    "                        ce, bce, mse, sse\n"
    "  --bias, --no-bias     biases in every layer (default) or none\n"
    "  --init I              auto (default: he_normal for relu, else xavier_uniform), "
    "normal_fanin\n"
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
    "  --threads N           threads (default: OpenBLAS's own choice): OpenBLAS's, or for a\n"
    "                        convolutional network one part of each batch per thread\n"
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
    "                        trained with (the data found by its absolute path; --csv or --idx\n"
    "                        may name it again; either way it must match the size and CRC-32\n"
    "                        the model records)\n"
    "  --new-data            with --resume: go on training on other data, on purpose\n"
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

const char *const train_opt_names[N_OPT] = {
    "--csv",         "--idx",          "--target",     "--one-hot",     "--standardize",
    "--drop",        "--task",         "--test",       "--val",         "--seed",
    "--layers",      "--activation",   "--output",     "--loss",        "--init",
    "--dropout",     "--optimizer",    "--lr",         "--epochs",      "--batch",
    "--reduction",   "--weight-decay", "--patience",   "--threads",     "--save",
    "--resume",      "--clip-norm",    "--clip-value", "--delimiter",   "--checkpoint-every",
    "--input-limit", "--dtype",        "--plot",       "--input-shape", "--fill",
    "--decimal"};

/* The flags without a value, for suggestions. */
static const char *const flag_names[] = {"--help", "--bias",          "--no-bias", "--quiet",
                                         "--json", "--drop-bad-rows", "--new-data"};

/* Options a resumed run cannot change: they shape the data, the split or the network. */
static const int fixed_on_resume[] = {
    O_TARGET, O_ONEHOT,     O_STANDARDIZE, O_DROP, O_TASK,  O_TEST,        O_VAL, O_SEED,
    O_LAYERS, O_ACTIVATION, O_OUTPUT,      O_INIT, O_DTYPE, O_INPUT_SHAPE, O_FILL};

static const char *const task_names[] = {"classification", "regression", NULL};

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
            arg_error(a, "%s: only leaky_relu takes a slope", opt);
            return 0;
        }
        if (!parse_double(a, opt, colon + 1, slope)) return 0;
        if (*slope < 0) {
            arg_error(a, "%s: the slope must be >= 0", opt);
            return 0;
        }
    }
    return 1;
}

/* One token of --layers into out (40 bytes): a number of units (checked here), or a
 * convolution or pooling (checked by nnb_net_add_layer_spec when the network is made). */
static int parse_layer(args *a, const char *tok, char *out) {
    if (strncmp(tok, "conv", 4) != 0 && strncmp(tok, "maxpool", 7) != 0 &&
        strncmp(tok, "avgpool", 7) != 0) {
        size_t units;
        if (tok[0] && !isdigit((unsigned char)tok[0]))
            return arg_error(a,
                             "--layers: \"%s\": expected a number of units (128), a "
                             "convolution (conv32x3p1, conv64x3s2p1, conv16x5psame) or a "
                             "pooling (maxpool2, avgpool2, maxpool3s1)",
                             tok),
                   0;
        if (!parse_size(a, "--layers", tok, &units)) return 0;
        if (units == 0) return arg_error(a, "--layers: a layer of 0 units"), 0;
        snprintf(out, 40, "%zu", units);
        return 1;
    }
    if (strlen(tok) >= 40)
        return arg_error(a, "--layers: \"%.60s...\" is too long for a layer", tok), 0;
    memcpy(out, tok, strlen(tok) + 1);
    return 1;
}

/* --input-shape CxHxW into shape[3]. */
static int parse_shape(args *a, const char *v, size_t shape[3]) {
    const char *p = v;
    for (int i = 0; i < 3; i++) {
        char *end;
        errno = 0;
        unsigned long long n = isdigit((unsigned char)*p) ? strtoull(p, &end, 10) : 0;
        if (n == 0 || errno || n > INT_MAX || (i < 2 ? *end != 'x' : *end != '\0'))
            return arg_error(a,
                             "--input-shape: \"%s\": expected CxHxW, three whole numbers >= 1 "
                             "such as 1x28x28",
                             v),
                   0;
        shape[i] = (size_t)n;
        p = end + 1;
    }
    return 1;
}

/* The settings of the task and the network (--task to --init) into s. */
static int parse_network_settings(args *a, const char *const v[N_OPT], settings *s) {
    int k;
    if (v[O_TASK] && strcmp(v[O_TASK], "auto") != 0) {
        if ((k = parse_choice(a, "--task", v[O_TASK], task_names)) < 0) return 0;
        s->task = k;
    }
    if (v[O_LAYERS]) {
        strlist l;
        if (!strlist_split(v[O_LAYERS], &l)) return fail("out of memory"), 0;
        int ok = l.n <= 64;
        if (!ok) arg_error(a, "--layers: at most 64 hidden layers");
        for (size_t i = 0; ok && i < l.n; i++) ok = parse_layer(a, l.s[i], s->layers[i]);
        s->n_layers = l.n;
        strlist_free(&l);
        if (!ok) return 0;
    }
    if (v[O_INPUT_SHAPE] && !parse_shape(a, v[O_INPUT_SHAPE], s->shape)) return 0;
    if (v[O_ACTIVATION]) {
        if (!parse_act(a, "--activation", v[O_ACTIVATION], &s->act, &s->slope)) return 0;
        if (s->act == NNB_ACT_SOFTMAX)
            return arg_error(a, "--activation: softmax is for the output "
                                "layer only (--output softmax)"),
                   0;
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
    return 1;
}

/* The settings of training and its data (--optimizer to --input-limit) into s. */
static int parse_training_settings(args *a, const char *const v[N_OPT], settings *s) {
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
        if (!(s->lr > 0)) return arg_error(a, "--lr must be > 0"), 0;
    }
    if (v[O_EPOCHS]) {
        if (!parse_size(a, "--epochs", v[O_EPOCHS], &s->epochs)) return 0;
        if (s->epochs == 0) return arg_error(a, "--epochs must be >= 1"), 0;
    }
    if (v[O_BATCH] && !parse_size(a, "--batch", v[O_BATCH], &s->batch)) return 0;
    if (v[O_WEIGHT_DECAY] && !parse_double(a, "--weight-decay", v[O_WEIGHT_DECAY], &s->wd))
        return 0;
    if (s->wd < 0) return arg_error(a, "--weight-decay must be >= 0"), 0;
    if (v[O_CLIP_NORM] && !parse_double(a, "--clip-norm", v[O_CLIP_NORM], &s->clip_norm)) return 0;
    if (v[O_CLIP_VALUE] && !parse_double(a, "--clip-value", v[O_CLIP_VALUE], &s->clip_value))
        return 0;
    if (!(s->clip_norm >= 0) || !(s->clip_value >= 0))
        return arg_error(a, "--clip-norm and --clip-value must be >= 0"), 0;
    if (v[O_VAL] && !parse_fraction(a, "--val", v[O_VAL], &s->val)) return 0;
    if (v[O_TEST] && !parse_fraction(a, "--test", v[O_TEST], &s->test)) return 0;
    if (s->val + s->test >= 1) return arg_error(a, "--val and --test leave no training rows"), 0;
    if (v[O_PATIENCE] && !parse_size(a, "--patience", v[O_PATIENCE], &s->patience)) return 0;
    if (v[O_THREADS]) {
        if (!parse_size(a, "--threads", v[O_THREADS], &s->threads)) return 0;
        if (s->threads > 1024) return arg_error(a, "--threads: at most 1024"), 0;
    }
    if (v[O_SEED] && !parse_u64(a, "--seed", v[O_SEED], &s->seed)) return 0;
    if (v[O_DTYPE] && nnb_dtype_parse(v[O_DTYPE], &s->dtype) != NNB_OK)
        return bad_name(a, "--dtype");
    if (s->dtype == NNB_F32 && s->opt == NNB_OPT_LM) /* before any data is read */
        return arg_error(a, "--optimizer lm runs in float64 only: use --dtype "
                            "f64 with it"),
               0;
    if (v[O_CHECKPOINT]) {
        if (!parse_size(a, "--checkpoint-every", v[O_CHECKPOINT], &s->checkpoint)) return 0;
        if (s->checkpoint == 0) return arg_error(a, "--checkpoint-every must be >= 1"), 0;
        if (!v[O_SAVE]) return arg_error(a, "--checkpoint-every needs --save FILE"), 0;
    }
    if (v[O_INPUT_LIMIT] && !parse_input_limit(a, v[O_INPUT_LIMIT])) return 0;
    if (isnan(s->lr)) s->lr = nnb_default_lr(s->opt);
    return 1;
}

/* Parses every value into s; v[] holds the option strings (NULL: default). */
int parse_train_settings(args *a, const char *const v[N_OPT], settings *s) {
    memset(s, 0, sizeof *s);
    s->task = -1, s->output = -1, s->loss = -1, s->init = -1, s->bias = 1;
    s->act = NNB_ACT_RELU, s->slope = 0.01, s->opt = NNB_OPT_ADAM, s->lr = NAN;
    s->epochs = 0 /* auto */, s->batch = 32, s->red = NNB_REDUCTION_MEAN, s->test = 0.2,
    s->seed = 1;
    s->n_layers = 1;
    memcpy(s->layers[0], "64", 3);
    return parse_network_settings(a, v, s) && parse_training_settings(a, v, s);
}

/* Parses and checks the command line: everything that needs no file. 0 if it is valid, -1 after
 * --help (printed), else the exit status after a message. */
int parse_train(int argc, char **argv, train_args *t) {
    memset(t, 0, sizeof *t);
    const char **v = t->v;
    t->bias_flag = -1;
    t->a = (args){argc, argv, 2, &cmd_train, 0, NULL, 0};
    args *a = &t->a;
    while (a->i < argc && a->status == 0) {
        const char *val;
        int k, found = 0;
        if (arg_flag(a, "--help")) {
            fputs(cmd_train.help, stdout);
            return -1;
        }
        if (arg_flag(a, "--bias"))
            t->bias_flag = 1, found = 1;
        else if (arg_flag(a, "--no-bias"))
            t->bias_flag = 0, found = 1;
        else if (arg_flag(a, "--quiet"))
            t->quiet = 1, found = 1;
        else if (arg_flag(a, "--json"))
            t->json = 1, found = 1;
        for (k = 0; k < N_OPT && !found; k++)
            if (arg_value(a, train_opt_names[k], &val)) {
                found = 1;
                v[k] = val; /* a later option overrides an earlier one */
            }
        if (!found && arg_flag(a, "--drop-bad-rows")) t->drop_bad_rows = 1, found = 1;
        if (!found && arg_flag(a, "--new-data")) t->new_data = 1, found = 1;
        if (!found) {
            const char *known[N_OPT + sizeof flag_names / sizeof flag_names[0]];
            size_t n = 0;
            for (int i = 0; i < N_OPT; i++) known[n++] = train_opt_names[i];
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
                                   train_opt_names[fixed_on_resume[i]]);
        if (t->bias_flag >= 0)
            return usage_error(&cmd_train, "--bias/--no-bias cannot be changed when resuming");
    } else {
        if (t->new_data) return usage_error(&cmd_train, "--new-data is for --resume");
        if (!v[O_CSV] && !v[O_IDX]) return usage_error(&cmd_train, "no data: give --csv or --idx");
        if (v[O_CSV] && !v[O_TARGET]) return usage_error(&cmd_train, "--csv needs --target");
        if (v[O_IDX]) {
            if (v[O_DELIMITER] || t->drop_bad_rows || v[O_FILL] || v[O_DECIMAL])
                return usage_error(&cmd_train, "%s is for CSV data",
                                   v[O_DELIMITER] ? "--delimiter"
                                   : v[O_FILL]    ? "--fill"
                                   : v[O_DECIMAL] ? "--decimal"
                                                  : "--drop-bad-rows");
            for (int k = O_TARGET; k <= O_TEST; k++)
                if (v[k] && k != O_STANDARDIZE && k != O_TASK)
                    return usage_error(&cmd_train, "%s is for CSV data%s", train_opt_names[k],
                                       k == O_TEST ? "; the IDX sets have their own test part"
                                                   : "");
            if (v[O_TASK] && strcmp(v[O_TASK], "regression") == 0)
                return usage_error(&cmd_train, "IDX data is classification");
        }
    }
    int st = file_output(&cmd_train, "--save", v[O_SAVE]);
    if (st == EXIT_OK) st = file_output(&cmd_train, "--plot", v[O_PLOT]);
    if (st != EXIT_OK) return st;
    char delim, decimal;
    if (v[O_DELIMITER] && !delimiter_valid(v[O_DELIMITER], &delim))
        return usage_error(&cmd_train,
                           "--delimiter: '%s' is not one character, tab, comma or "
                           "semicolon",
                           v[O_DELIMITER]);
    if (v[O_DECIMAL] && !decimal_valid(v[O_DECIMAL], &decimal))
        return usage_error(&cmd_train, "--decimal: '%s' is not '.', ',' or auto", v[O_DECIMAL]);
    nnb_fill fill;
    if (v[O_FILL] && nnb_fill_parse(v[O_FILL], &fill) != NNB_OK)
        return usage_error(&cmd_train, "--fill: %s", lib_message());
    settings *s = &t->s;
    if (!parse_train_settings(a, v, s)) return a->status ? a->status : EXIT_FAIL;
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
