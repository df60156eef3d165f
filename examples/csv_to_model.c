/*
 * csv_to_model: a complete C program from a CSV file to a saved model, the steps a newcomer
 * needs in order (docs/guide.md, "From a CSV file to a model file", walks through it):
 *
 *   csv_to_model DATA.csv TARGET MODEL.nnb [ONE_HOT_COLUMN...]
 *
 *   1. read the CSV: its delimiter and decimal mark detected, the target and the one-hot
 *      columns read as text (class labels, categories), missing cells kept to be filled;
 *   2. prepare it: the target's classes one-hot (softmax and cross-entropy take that), the
 *      named columns one-hot, every numeric feature standardised, missing feature cells filled
 *      with the training rows' mean, categories unseen in training encoded as zeros;
 *   3. split it 80/20 with a seed, fit the preparation on the training rows only, apply it;
 *   4. build a network (inputs - 16 relu - one softmax output per class), train it with Adam;
 *   5. evaluate on the test rows, save the network with its preparation and metadata;
 *   6. load the file back and predict the first test row's class by its label.
 *
 * On the admissions data: csv_to_model admissions.csv admit admit.nnb rank. Any error ends the
 * program with the library's message, which names the file, line and column where it applies.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nnblas.h>

/* Every call returns an nnb_status; on failure nnb_last_error() says why. */
#define CHECK(call)                                            \
  do {                                                         \
    nnb_status st_ = (call);                                   \
    if (st_ != NNB_OK) {                                       \
      fprintf(stderr, "csv_to_model: %s\n", nnb_last_error()); \
      exit(1);                                                 \
    }                                                          \
  } while (0)

/* Step 1: the table, with the target and the one-hot columns as text. */
static nnb_table *read_table(const char *path, const char *target, char **onehot, int n_onehot) {
    char *data;
    size_t len;
    CHECK(nnb_input_read(path, 0, 1, &data, &len)); /* read once: a pipe works too */
    char delimiter, decimal;
    CHECK(nnb_csv_detect_delimiter_buffer(data, len, &delimiter));
    CHECK(nnb_csv_detect_decimal_buffer(data, len, delimiter, &decimal));
    nnb_csv_opts *o;
    CHECK(nnb_csv_opts_create(&o));
    CHECK(nnb_csv_opts_set_delimiter(o, delimiter));
    CHECK(nnb_csv_opts_set_decimal(o, decimal));
    CHECK(nnb_csv_opts_add_text_column(o, target));
    for (int i = 0; i < n_onehot; i++) CHECK(nnb_csv_opts_add_text_column(o, onehot[i]));
    CHECK(nnb_csv_opts_keep_missing(o, NULL)); /* filled in step 2 (a missing target: error) */
    nnb_table *t;
    CHECK(nnb_csv_read_buffer(&t, data, len, path, o));
    nnb_csv_opts_free(o);
    free(data);
    return t;
}

/* Step 2: what the preparation does with each column. */
static nnb_prep *configure(const char *target, char **onehot, int n_onehot) {
    nnb_prep *p;
    CHECK(nnb_prep_create(&p));
    CHECK(nnb_prep_add_target(p, target, NNB_TARGET_ONEHOT)); /* classes, one column each */
    for (int i = 0; i < n_onehot; i++) CHECK(nnb_prep_onehot(p, onehot[i]));
    CHECK(nnb_prep_scale(p, NULL, NNB_SCALE_STANDARD)); /* every other numeric feature */
    CHECK(nnb_prep_fill(p, NULL, NNB_FILL_MEAN));
    CHECK(nnb_prep_set_unseen(p, NNB_UNSEEN_ZERO));
    return p;
}

/* Rows `rows` of the table as X (features) and Y (one-hot classes), new arrays. */
static void apply(const nnb_prep *p, const nnb_table *t, const size_t *rows, size_t n, double **x,
                  double **y) {
    size_t nf = nnb_prep_n_features(p), ny = nnb_prep_n_targets(p);
    *x = malloc((n ? n : 1) * nf * sizeof **x);
    *y = malloc((n ? n : 1) * ny * sizeof **y);
    if (!*x || !*y) {
        fprintf(stderr, "csv_to_model: out of memory\n");
        exit(1);
    }
    CHECK(nnb_prep_apply(p, t, rows, n, *x, n * nf, *y, n * ny));
}

/* Step 4: inputs - 16 relu - softmax, trained with Adam on the cross-entropy. */
static nnb_net *train(const double *x, const double *y, size_t n, size_t nf, size_t n_classes) {
    nnb_net *net;
    CHECK(nnb_net_create(&net, nf));
    CHECK(nnb_net_add_dense(net, 16, NNB_ACT_RELU, 1));
    CHECK(nnb_net_add_dense(net, n_classes, NNB_ACT_SOFTMAX, 1));
    CHECK(nnb_net_init(net, nnb_default_init(NNB_ACT_RELU), 1)); /* he_normal, seed 1 */
    nnb_train_opts *o;
    CHECK(nnb_train_opts_create(&o));
    CHECK(nnb_train_opts_set_optimizer(o, NNB_OPT_ADAM, 0.01));
    CHECK(nnb_train_opts_set_loss(o, NNB_LOSS_CE, NNB_REDUCTION_MEAN));
    CHECK(nnb_train_opts_set_epochs(o, 100));
    CHECK(nnb_train_opts_set_batch_size(o, 32));
    CHECK(nnb_net_train(net, o, x, n, nf, y, n_classes, NULL));
    nnb_train_opts_free(o);
    return net;
}

/* The index of the largest of n values. */
static size_t argmax(const double *v, size_t n) {
    size_t k = 0;
    for (size_t i = 1; i < n; i++)
        if (v[i] > v[k]) k = i;
    return k;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: csv_to_model DATA.csv TARGET MODEL.nnb [ONE_HOT_COLUMN...]\n");
        return 2;
    }
    const char *path = argv[1], *target = argv[2], *model = argv[3];
    char **onehot = argv + 4;
    int n_onehot = argc - 4;
    nnb_table *t = read_table(path, target, onehot, n_onehot);
    nnb_prep *p = configure(target, onehot, n_onehot);

    /* Step 3: a seeded 80/20 split; the preparation sees the training rows only */
    size_t n = nnb_table_n_rows(t), n_train, n_test;
    size_t *order = malloc(n * sizeof *order);
    if (!order) return 1;
    CHECK(nnb_rows_split(n, 0.2, 0.0, 42, NULL, 0, order, n, &n_train, &n_test, NULL));
    CHECK(nnb_prep_fit(p, t, order, n_train));
    size_t nf = nnb_prep_n_features(p), n_classes = nnb_prep_n_classes(p);
    double *x_train, *y_train, *x_test, *y_test;
    apply(p, t, order, n_train, &x_train, &y_train);
    apply(p, t, order + n_train, n_test, &x_test, &y_test);
    printf("%s: %zu rows (%zu training, %zu test), %zu features, %zu classes of '%s'\n", path, n,
           n_train, n_test, nf, n_classes, target);

    /* Steps 4 and 5 */
    nnb_net *net = train(x_train, y_train, n_train, nf, n_classes);
    double loss, accuracy;
    CHECK(nnb_net_evaluate(net, x_test, n_test, nf, y_test, n_classes, NNB_LOSS_CE,
                           NNB_REDUCTION_MEAN, &loss, &accuracy));
    printf("test accuracy %.4f, test loss %.4f\n", accuracy, loss);
    nnb_meta *meta;
    CHECK(nnb_meta_create(&meta));
    CHECK(nnb_meta_set(meta, "task", "classification"));
    CHECK(nnb_meta_set(meta, "target", target));
    CHECK(nnb_meta_set(meta, "train.loss", "ce"));  /* what `nnblas eval` evaluates with */
    CHECK(nnb_model_write(model, net, p, meta, 0)); /* atomic: the old file or the new one */
    printf("saved %s\n", model);

    /* Step 6: the file holds everything needed to use the model on raw rows */
    nnb_net *loaded;
    nnb_prep *lp;
    CHECK(nnb_model_read(&loaded, &lp, NULL, model));
    double *row, *y1, *prob = malloc(n_classes * sizeof *prob);
    if (!prob) return 1;
    apply(lp, t, order + n_train, 1, &row, &y1); /* the first test row, as the file prepares it */
    CHECK(nnb_net_predict(loaded, row, 1, nf, prob, n_classes));
    size_t k = argmax(prob, n_classes), truth = argmax(y1, n_classes);
    printf("first test row: predicted '%s' (p = %.3f), actual '%s'\n", nnb_prep_class_label(lp, k),
           prob[k], nnb_prep_class_label(lp, truth));
    int same = memcmp(row, x_test, nf * sizeof *row) == 0; /* the stored preparation is the same */

    free(row), free(prob), free(y1), free(order);
    free(x_train), free(y_train), free(x_test), free(y_test);
    nnb_net_free(loaded), nnb_prep_free(lp), nnb_net_free(net), nnb_prep_free(p);
    nnb_meta_free(meta), nnb_table_free(t);
    if (!same) fprintf(stderr, "csv_to_model: the loaded preparation differs\n");
    return same ? 0 : 1;
}
