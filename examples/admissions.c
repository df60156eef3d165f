/*
 * admissions: the tutorial's two graduate-admissions models, with the tutorial's settings.
 *
 *   admissions PATH/TO/admissions.csv
 *
 * Preparation as in the tutorial: one-hot `rank` into rank_1..rank_4, standardise gre and gpa
 * (mean and sample standard deviation over all rows), split 90 % / 10 % at random.
 * Model 1: one sigmoid neuron, no bias, weights ~ Normal(0, 1/sqrt(6)), 1000 full-batch epochs of
 *          gradient descent on the sum of squared errors, learning rate 0.5.
 * Model 2: a 6-2-1 sigmoid network, no biases, 900 full-batch epochs on the mean of the per-row
 *          gradients, learning rate 0.005.
 * Both print the training mean squared error ten times, in the tutorial's format.
 * Model 3: the same 6-2-1 network from the same start, trained with Levenberg-Marquardt until it
 *          reaches model 2's final training loss; it prints how many epochs each needed.
 * All three train with nnb_net_train (full batch, no shuffling).
 *
 * The random split and the initial weights come from nnblas's own seeded generator, not numpy's,
 * so the rows, losses and accuracies differ a little from the tutorial's printout; the test
 * suite (tests/test_fixtures.c) reproduces the tutorial's figures exactly with its own rows.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnblas.h"

#define CHECK(call)                                                                      \
  do {                                                                                   \
    nnb_status st_ = (call);                                                             \
    if (st_ != NNB_OK) {                                                                 \
      fprintf(stderr, "admissions: %s: %s\n", nnb_status_string(st_), nnb_last_error()); \
      exit(1);                                                                           \
    }                                                                                    \
  } while (0)

enum { MAX_ROWS = 100000, N_FEAT = 6 };

/* Reads admit,gre,gpa,rank. Lines may end in \n, \r\n or a bare \r (the file as first published
 * mixes them). Returns the number of rows; exits with a message on malformed input. */
static size_t read_csv(const char *path, double *raw) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(1);
    }
    char line[512];
    size_t n = 0, len = 0, lineno = 0;
    int c;
    do {
        c = fgetc(f);
        if (c == EOF || c == '\n' || c == '\r') {
            line[len] = 0;
            if (len > 0 && lineno++ > 0) { /* skip the header */
                double *v = raw + 4 * n;
                char extra;
                if (n == MAX_ROWS ||
                    sscanf(line, "%lf,%lf,%lf,%lf%c", &v[0], &v[1], &v[2], &v[3], &extra) != 4 ||
                    v[3] < 1 || v[3] > 4 || v[3] != (int)v[3]) {
                    fprintf(stderr, "%s: row %zu: expected admit,gre,gpa,rank (rank 1..4): '%s'\n",
                            path, lineno, line);
                    exit(1);
                }
                n++;
            }
            len = 0;
        } else if (len < sizeof line - 1) {
            line[len++] = (char)c;
        }
    } while (c != EOF);
    fclose(f);
    return n;
}

static uint64_t split_state;
static uint64_t next_u64(void) {
    uint64_t z = (split_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* A seeded Fisher-Yates permutation of 0..n-1. */
static void permutation(size_t *idx, size_t n, uint64_t seed) {
    split_state = seed;
    for (size_t i = 0; i < n; i++) idx[i] = i;
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(next_u64() % i);
        size_t t = idx[i - 1];
        idx[i - 1] = idx[j];
        idx[j] = t;
    }
}

typedef struct {
    double *X, *y;
    size_t n;
} set;

static void split(const double *X, const double *y, size_t n, uint64_t seed, set *train,
                  set *test) {
    size_t *idx = malloc(n * sizeof *idx);
    permutation(idx, n, seed);
    train->n = n * 9 / 10;
    test->n = n - train->n;
    set *parts[2] = {train, test};
    for (int p = 0; p < 2; p++) {
        parts[p]->X = malloc(parts[p]->n * N_FEAT * sizeof(double));
        parts[p]->y = malloc(parts[p]->n * sizeof(double));
    }
    for (size_t i = 0; i < n; i++) {
        set *s = i < train->n ? train : test;
        size_t k = i < train->n ? i : i - train->n;
        memcpy(s->X + k * N_FEAT, X + idx[i] * N_FEAT, N_FEAT * sizeof(double));
        s->y[k] = y[idx[i]];
    }
    free(idx);
}

static double accuracy(const nnb_net *net, const set *s) {
    double *out = malloc(s->n * sizeof *out);
    CHECK(nnb_net_predict(net, s->X, s->n, N_FEAT, out, s->n));
    size_t hit = 0;
    for (size_t i = 0; i < s->n; i++) hit += (out[i] > 0.5) == (s->y[i] > 0.5);
    free(out);
    return (double)hit / (double)s->n;
}

/* Per-epoch bookkeeping of a run: the training MSE after the epoch's update (computed with
 * nnb_net_predict, which only reads the network), printed every `every` epochs in the tutorial's
 * format, and the first epoch at which it reached `target`. */
typedef struct {
    const set *tr;
    double *out;
    int every;
    double last, target;
    size_t reached;
} progress;

static int on_epoch(const nnb_net *net, const nnb_epoch_info *info, void *user) {
    progress *p = user;
    size_t epoch = (size_t)info->epoch;
    CHECK(nnb_net_predict(net, p->tr->X, p->tr->n, N_FEAT, p->out, p->tr->n));
    double mse = 0;
    for (size_t i = 0; i < p->tr->n; i++)
        mse += (p->out[i] - p->tr->y[i]) * (p->out[i] - p->tr->y[i]);
    mse /= (double)p->tr->n;
    if (p->every && (epoch - 1) % (size_t)p->every == 0) {
        if (p->last >= 0 && p->last < mse)
            printf("Train loss:  %.12f   WARNING - Loss Increasing\n", mse);
        else
            printf("Train loss:  %.12f\n", mse);
        p->last = mse;
    }
    if (!p->reached && mse <= p->target) p->reached = epoch;
    return 0;
}

/* Full-batch training with nnb_net_train; returns the final training MSE. */
static double train(nnb_net *net, const set *tr, const set *te, int epochs, nnb_optimizer opt,
                    double lr, nnb_loss loss, nnb_reduction red, int every, double target,
                    size_t *reached) {
    nnb_train_opts *o;
    CHECK(nnb_train_opts_create(&o));
    CHECK(nnb_train_opts_set_optimizer(o, opt, lr));
    CHECK(nnb_train_opts_set_loss(o, loss, red));
    CHECK(nnb_train_opts_set_batch_size(o, 0)); /* full batch, as the tutorial */
    CHECK(nnb_train_opts_set_shuffle(o, 0));
    CHECK(nnb_train_opts_set_epochs(o, (size_t)epochs));
    progress p = {tr, malloc(tr->n * sizeof(double)), every, -1, target, 0};
    CHECK(nnb_train_opts_set_epoch_info_callback(o, on_epoch, &p));
    CHECK(nnb_net_train(net, o, tr->X, tr->n, N_FEAT, tr->y, 1, NULL));
    printf("Prediction accuracy: %.3f\n", accuracy(net, te));
    double final_mse;
    CHECK(nnb_net_loss(net, tr->X, tr->n, N_FEAT, tr->y, 1, NNB_LOSS_MSE, NNB_REDUCTION_MEAN,
                       &final_mse));
    if (reached) *reached = p.reached;
    free(p.out);
    nnb_train_opts_free(o);
    return final_mse;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: admissions PATH/TO/admissions.csv\n");
        return 2;
    }
    double *raw = malloc((size_t)MAX_ROWS * 4 * sizeof *raw);
    size_t n = read_csv(argv[1], raw);
    if (n < 10) {
        fprintf(stderr, "%s: only %zu rows\n", argv[1], n);
        return 1;
    }
    /* one-hot rank, standardise gre and gpa with the sample standard deviation (n - 1) */
    double *X = calloc(n * N_FEAT, sizeof *X), *y = malloc(n * sizeof *y);
    for (int k = 0; k < 2; k++) {
        double mean = 0, var = 0;
        for (size_t i = 0; i < n; i++) mean += raw[4 * i + 1 + k];
        mean /= (double)n;
        for (size_t i = 0; i < n; i++)
            var += (raw[4 * i + 1 + k] - mean) * (raw[4 * i + 1 + k] - mean);
        double sd = sqrt(var / (double)(n - 1));
        for (size_t i = 0; i < n; i++) X[i * N_FEAT + k] = (raw[4 * i + 1 + k] - mean) / sd;
        printf("%s: mean %.6f, sample std %.6f\n", k ? "gpa" : "gre", mean, sd);
    }
    for (size_t i = 0; i < n; i++) {
        y[i] = raw[4 * i];
        X[i * N_FEAT + 1 + (int)raw[4 * i + 3]] = 1.0;
    }
    printf("%zu rows; 90/10 split drawn with nnblas's own generator (not numpy's), so figures "
           "differ a little from the tutorial's\n",
           n);

    set tr, te;
    nnb_net *net;

    printf("\n== Single neuron: 6 -> 1 sigmoid, no bias; 1000 epochs, learning rate 0.5, "
           "sum of squared errors ==\n");
    split(X, y, n, 42, &tr, &te);
    CHECK(nnb_net_create(&net, N_FEAT));
    CHECK(nnb_net_add_dense(net, 1, NNB_ACT_SIGMOID, 0));
    CHECK(nnb_net_init(net, NNB_INIT_NORMAL_FANIN, 42));
    train(net, &tr, &te, 1000, NNB_OPT_SGD, 0.5, NNB_LOSS_SSE, NNB_REDUCTION_SUM, 100, -1, NULL);
    nnb_net_free(net);
    free(tr.X), free(tr.y), free(te.X), free(te.y);

    printf("\n== Network: 6-2-1 sigmoid, no biases; 900 epochs, learning rate 0.005, "
           "mean of the per-row gradients ==\n");
    split(X, y, n, 21, &tr, &te);
    CHECK(nnb_net_create(&net, N_FEAT));
    CHECK(nnb_net_add_dense(net, 2, NNB_ACT_SIGMOID, 0));
    CHECK(nnb_net_add_dense(net, 1, NNB_ACT_SIGMOID, 0));
    CHECK(nnb_net_init(net, NNB_INIT_NORMAL_FANIN, 21));
    double params[14];
    CHECK(nnb_net_params_get(net, params, 14));
    double gd_mse = train(net, &tr, &te, 900, NNB_OPT_SGD, 0.005, NNB_LOSS_SSE, NNB_REDUCTION_MEAN,
                          90, -1, NULL);

    printf("\n== The same network and start, trained with Levenberg-Marquardt until it reaches "
           "gradient descent's final loss ==\n");
    CHECK(nnb_net_params_set(net, params, 14));
    CHECK(nnb_net_train_state_reset(net)); /* a fresh run: epochs count from 1 again */
    size_t lm_epochs = 0;
    train(net, &tr, &te, 100, NNB_OPT_LM, 1.0, NNB_LOSS_MSE, NNB_REDUCTION_MEAN, 0, gd_mse,
          &lm_epochs);
    if (lm_epochs)
        printf("Gradient descent needed 900 epochs to reach a training MSE of %.6f; "
               "Levenberg-Marquardt needed %zu.\n",
               gd_mse, lm_epochs);
    else
        printf("Levenberg-Marquardt did not reach %.6f in 100 epochs.\n", gd_mse);
    nnb_net_free(net);
    free(tr.X), free(tr.y), free(te.X), free(te.y);

    free(raw), free(X), free(y);
    return 0;
}
