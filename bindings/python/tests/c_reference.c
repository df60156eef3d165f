/*
 * c_reference: trains a network through the C API alone and prints the results, so the Python
 * tests can check that the binding gives the same bits for the same seed and options.
 *
 *   c_reference train key=value...
 *   c_reference load PATH [rows=N]
 *
 * keys (defaults in brackets): layers=4,8,3 [4,8,1]  act=tanh [tanh]  out=softmax [sigmoid]
 *   bias=0|1 [1]  init=normal_fanin|xavier_uniform|he_normal|orthogonal [xavier_uniform]
 *   seed=N [1]  rows=N [64]  epochs=N [3]  batch=N [16]  shuffle=0|1 [1]
 *   opt=sgd|momentum|nesterov|adam|adamw|rmsprop|lm [sgd]  lr=X [0.05]  loss=sse|mse|bce|ce [sse]
 *   red=mean|sum [mean]  dropout=P [0]  wd=X [0]
 *   fitseed=N (reseeds the network's generator before training, as fit(seed=N) does) [none]
 *   val=F (a validation split, seeded with fitseed, else 0) [0]
 *   save=PATH (after training, save a model file with a preparation standardising x, fitted
 *   on x, the metadata written_by=c_reference and the training state)
 *
 * The data are exact in binary: x[i][j] = ((7i + 13j) mod 17) / 8 - 1; with a softmax output y is
 * one-hot of class (sum_j ((7i + 13j) mod 17)) mod n_out, otherwise y[i][k] = ((s + 3k) mod 5) / 4
 * with s that sum. Prints, one per line: "loss" and the per-epoch training losses, "params" and
 * every parameter, "predict" and the outputs on the data, all as C99 hexadecimal floats (%a).
 *
 * load reads a model file (nnb_model_read) and prints "params" and "predict" (on the data above,
 * with rows rows, the preparation NOT applied), then "meta KEY=VALUE" for each metadata pair and
 * "features NAME..." when the file has a preparation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnblas.h"

#define CHECK(call)                                                      \
  do {                                                                   \
    nnb_status st_ = (call);                                             \
    if (st_ != NNB_OK) {                                                 \
      fprintf(stderr, "c_reference: %s: %s\n", #call, nnb_last_error()); \
      exit(1);                                                           \
    }                                                                    \
  } while (0)

static int lookup(const char *v, const char *const *names, int n) {
    for (int i = 0; i < n; i++)
        if (strcmp(v, names[i]) == 0) return i;
    fprintf(stderr, "c_reference: unknown value '%s'\n", v);
    exit(2);
}

static const char *const acts[] = {"identity", "sigmoid", "tanh", "relu", "leaky_relu", "softmax"};
static const char *const inits[] = {"normal_fanin", "xavier_uniform", "he_normal", "orthogonal"};
static const char *const opts_[] = {"sgd",   "momentum", "nesterov", "adam",
                                    "adamw", "rmsprop",  "lm"};
static const char *const losses[] = {"sse", "mse", "bce", "ce"};
static const char *const reds[] = {"sum", "mean"};

static void print_all(const char *what, const double *v, size_t n) {
    printf("%s", what);
    for (size_t i = 0; i < n; i++) printf(" %a", v[i]);
    printf("\n");
}

static void make_data(size_t rows, size_t nin, size_t nout, int softmax, double *x, double *y) {
    for (size_t i = 0; i < rows; i++) {
        size_t s = 0;
        for (size_t j = 0; j < nin; j++) {
            size_t v = (7 * i + 13 * j) % 17;
            s += v;
            x[i * nin + j] = (double)v / 8.0 - 1.0;
        }
        if (!y) continue;
        if (softmax)
            y[i * nout + s % nout] = 1.0;
        else
            for (size_t k = 0; k < nout; k++) y[i * nout + k] = (double)((s + 3 * k) % 5) / 4.0;
    }
}

static int load(const char *path, size_t rows) {
    nnb_net *net;
    nnb_prep *prep;
    nnb_meta *meta;
    CHECK(nnb_model_read(&net, &prep, &meta, path));
    size_t nin = nnb_net_n_inputs(net), nout = nnb_net_n_outputs(net), np_ = nnb_net_n_params(net);
    double *x = malloc(rows * nin * sizeof *x), *pred = malloc(rows * nout * sizeof *pred);
    double *params = malloc(np_ * sizeof *params);
    make_data(rows, nin, nout, 0, x, NULL);
    CHECK(nnb_net_params_get(net, params, np_));
    CHECK(nnb_net_predict(net, x, rows, nin, pred, rows * nout));
    print_all("params", params, np_);
    print_all("predict", pred, rows * nout);
    for (size_t i = 0; i < nnb_meta_n_keys(meta); i++)
        printf("meta %s=%s\n", nnb_meta_key(meta, i), nnb_meta_value(meta, i));
    if (prep) {
        printf("features");
        for (size_t j = 0; j < nnb_prep_n_features(prep); j++)
            printf(" %s", nnb_prep_feature_name(prep, j));
        printf("\n");
    }
    nnb_meta_free(meta);
    nnb_prep_free(prep);
    nnb_net_free(net);
    free(x), free(pred), free(params);
    return 0;
}

/* The settings of a `train` run (defaults as the usage above). */
struct config {
    const char *save;
    size_t layers[16], n_layers, rows, epochs, batch;
    int act, out, bias, init, opt, loss, red, shuffle, has_fitseed;
    unsigned long long seed, fitseed;
    double lr, dropout, wd, val;
};

/* Sets one key of c from its value v; 0, or -1 for an unknown key. */
static int set_key(struct config *c, const char *key, const char *v) {
    if (strcmp(key, "layers") == 0) {
        c->n_layers = 0;
        for (char *p = (char *)v; *p && c->n_layers < 16; p += *p == ',')
            c->layers[c->n_layers++] = strtoul(p, &p, 10);
    } else if (strcmp(key, "act") == 0)
        c->act = lookup(v, acts, 6);
    else if (strcmp(key, "out") == 0)
        c->out = lookup(v, acts, 6);
    else if (strcmp(key, "bias") == 0)
        c->bias = atoi(v);
    else if (strcmp(key, "init") == 0)
        c->init = lookup(v, inits, 4);
    else if (strcmp(key, "seed") == 0)
        c->seed = strtoull(v, NULL, 10);
    else if (strcmp(key, "fitseed") == 0)
        c->fitseed = strtoull(v, NULL, 10), c->has_fitseed = 1;
    else if (strcmp(key, "rows") == 0)
        c->rows = strtoul(v, NULL, 10);
    else if (strcmp(key, "epochs") == 0)
        c->epochs = strtoul(v, NULL, 10);
    else if (strcmp(key, "batch") == 0)
        c->batch = strtoul(v, NULL, 10);
    else if (strcmp(key, "shuffle") == 0)
        c->shuffle = atoi(v);
    else if (strcmp(key, "opt") == 0)
        c->opt = lookup(v, opts_, 7);
    else if (strcmp(key, "lr") == 0)
        c->lr = strtod(v, NULL);
    else if (strcmp(key, "loss") == 0)
        c->loss = lookup(v, losses, 4);
    else if (strcmp(key, "red") == 0)
        c->red = lookup(v, reds, 2);
    else if (strcmp(key, "dropout") == 0)
        c->dropout = strtod(v, NULL);
    else if (strcmp(key, "wd") == 0)
        c->wd = strtod(v, NULL);
    else if (strcmp(key, "val") == 0)
        c->val = strtod(v, NULL);
    else if (strcmp(key, "save") == 0)
        c->save = v;
    else
        return -1;
    return 0;
}

/* Reads the key=value arguments argv[2..] into c; 0, or 2 (the exit status) on a bad one. */
static int parse_args(struct config *c, int argc, char **argv) {
    *c = (struct config){.layers = {4, 8, 1},
                         .n_layers = 3,
                         .rows = 64,
                         .epochs = 3,
                         .batch = 16,
                         .act = 2,
                         .out = 1,
                         .bias = 1,
                         .init = 1,
                         .red = 1,
                         .shuffle = 1,
                         .seed = 1,
                         .lr = 0.05};
    for (int i = 2; i < argc; i++) {
        char key[32];
        const char *eq = strchr(argv[i], '=');
        if (!eq || (size_t)(eq - argv[i]) >= sizeof key) {
            fprintf(stderr, "c_reference: expected key=value, got '%s'\n", argv[i]);
            return 2;
        }
        memcpy(key, argv[i], (size_t)(eq - argv[i]));
        key[eq - argv[i]] = 0;
        if (set_key(c, key, eq + 1) != 0) {
            fprintf(stderr, "c_reference: unknown key '%s'\n", key);
            return 2;
        }
    }
    return 0;
}

/* The network of c, made and initialised. */
static nnb_net *make_net(const struct config *c) {
    nnb_net *net;
    CHECK(nnb_net_create(&net, c->layers[0]));
    for (size_t l = 1; l < c->n_layers; l++)
        CHECK(nnb_net_add_dense(
            net, c->layers[l],
            l + 1 == c->n_layers ? (nnb_activation)c->out : (nnb_activation)c->act, c->bias));
    CHECK(nnb_net_init(net, (nnb_init)c->init, c->seed));
    return net;
}

/* The training options of c. */
static nnb_train_opts *make_opts(const struct config *c) {
    nnb_train_opts *o;
    CHECK(nnb_train_opts_create(&o));
    CHECK(nnb_train_opts_set_epochs(o, c->epochs));
    CHECK(nnb_train_opts_set_batch_size(o, c->batch));
    CHECK(nnb_train_opts_set_shuffle(o, c->shuffle));
    CHECK(nnb_train_opts_set_optimizer(o, (nnb_optimizer)c->opt, c->lr));
    CHECK(nnb_train_opts_set_loss(o, (nnb_loss)c->loss, (nnb_reduction)c->red));
    CHECK(nnb_train_opts_set_dropout(o, c->dropout));
    CHECK(nnb_train_opts_set_weight_decay(o, c->wd));
    if (c->val > 0) CHECK(nnb_train_opts_set_validation_split(o, c->val, c->fitseed));
    return o;
}

/* Saves net to path with a preparation standardising x (rows x nin) and the metadata. */
static void save_model(const char *path, const nnb_net *net, const double *x, size_t rows,
                       size_t nin) {
    nnb_prep *prep;
    nnb_meta *meta;
    CHECK(nnb_prep_create(&prep));
    CHECK(nnb_prep_fit_matrix(prep, x, rows, nin, NNB_SCALE_STANDARD));
    CHECK(nnb_meta_create(&meta));
    CHECK(nnb_meta_set(meta, "written_by", "c_reference"));
    CHECK(nnb_model_write(path, net, prep, meta, 1));
    nnb_meta_free(meta);
    nnb_prep_free(prep);
}

/* Trains the network of c on the data, prints the losses, parameters and outputs, saves. */
static int train(const struct config *c) {
    size_t rows = c->rows, nin = c->layers[0], nout = c->layers[c->n_layers - 1];
    double *x = malloc(rows * nin * sizeof *x), *y = calloc(rows * nout, sizeof *y);
    double *pred = malloc(rows * nout * sizeof *pred);
    make_data(rows, nin, nout, c->out == NNB_ACT_SOFTMAX, x, y);

    nnb_net *net = make_net(c);
    nnb_train_opts *o = make_opts(c);
    nnb_history *h;
    CHECK(nnb_history_create(&h));
    if (c->has_fitseed) CHECK(nnb_net_seed(net, c->fitseed));
    CHECK(nnb_net_train(net, o, x, rows, nin, y, nout, h));

    size_t ne = nnb_history_n_epochs(h), np_ = nnb_net_n_params(net);
    double *losses_ = malloc(ne * sizeof *losses_), *params = malloc(np_ * sizeof *params);
    CHECK(nnb_history_get(h, NNB_HIST_TRAIN_LOSS, losses_, ne));
    CHECK(nnb_net_params_get(net, params, np_));
    CHECK(nnb_net_predict(net, x, rows, nin, pred, rows * nout));
    print_all("loss", losses_, ne);
    print_all("params", params, np_);
    print_all("predict", pred, rows * nout);

    if (c->save) save_model(c->save, net, x, rows, nin);
    nnb_history_free(h);
    nnb_train_opts_free(o);
    nnb_net_free(net);
    free(x), free(y), free(pred), free(losses_), free(params);
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 3 && strcmp(argv[1], "load") == 0)
        return load(argv[2], argc >= 4 && strncmp(argv[3], "rows=", 5) == 0
                                 ? strtoul(argv[3] + 5, NULL, 10)
                                 : 64);
    if (argc < 2 || strcmp(argv[1], "train") != 0) {
        fprintf(stderr, "usage: c_reference train key=value... | c_reference load PATH [rows=N]\n");
        return 2;
    }
    struct config c;
    int st = parse_args(&c, argc, argv);
    return st ? st : train(&c);
}
