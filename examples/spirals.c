/*
 * spirals: the smallest complete nnblas program that learns something hard.
 *
 * Two interleaved spirals (a generated two-class problem; no data file needed), a 2-32-32-1 tanh
 * network with a sigmoid output and binary cross-entropy, trained by mini-batch gradient descent
 * written out by hand with nnb_net_backprop + nnb_net_sgd_step. Prints the loss of every epoch,
 * then the accuracy on held-out points and the speed.
 *
 *   spirals [--epochs N] [--seed S]
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nnblas.h"

#define PI 3.14159265358979323846

#define CHECK(call)                                                                   \
  do {                                                                                \
    nnb_status st_ = (call);                                                          \
    if (st_ != NNB_OK) {                                                              \
      fprintf(stderr, "spirals: %s: %s\n", nnb_status_string(st_), nnb_last_error()); \
      exit(1);                                                                        \
    }                                                                                 \
  } while (0)

/* A tiny generator for the data (the network has its own, seeded by nnb_net_init). */
static uint64_t rng_state;
static double uniform(void) {
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return (double)((z ^ (z >> 31)) >> 11) * 0x1.0p-53;
}

/* n points: class r % 2, angle along 1.75 turns of the spiral, a little noise. */
static void make_spirals(size_t n, double *x, double *y) {
    for (size_t r = 0; r < n; r++) {
        int cls = (int)(r % 2);
        double t = uniform();
        double angle = t * 3.5 * PI + cls * PI;
        double radius = 0.1 + t;
        x[2 * r] = radius * cos(angle) + 0.02 * (uniform() - 0.5);
        x[2 * r + 1] = radius * sin(angle) + 0.02 * (uniform() - 0.5);
        y[r] = cls;
    }
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

int main(int argc, char **argv) {
    int epochs = 300;
    uint64_t seed = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--epochs") == 0 && i + 1 < argc)
            epochs = atoi(argv[++i]);
        else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 10);
        else {
            fprintf(stderr, "usage: spirals [--epochs N] [--seed S]\n");
            return 2;
        }
    }
    if (epochs < 1) epochs = 1;
    rng_state = seed;

    enum { N_TRAIN = 2000, N_TEST = 1000, BATCH = 32 };
    static double xtr[N_TRAIN * 2], ytr[N_TRAIN], xte[N_TEST * 2], yte[N_TEST], out[N_TEST];
    make_spirals(N_TRAIN, xtr, ytr);
    make_spirals(N_TEST, xte, yte);

    nnb_net *net;
    CHECK(nnb_net_create(&net, 2));
    CHECK(nnb_net_add_dense(net, 32, NNB_ACT_TANH, 1));
    CHECK(nnb_net_add_dense(net, 32, NNB_ACT_TANH, 1));
    CHECK(nnb_net_add_dense(net, 1, NNB_ACT_SIGMOID, 1));
    CHECK(nnb_net_init(net, NNB_INIT_XAVIER_UNIFORM, seed));
    printf("nnblas %s (%s kernels): 2-32-32-1 tanh/sigmoid on two spirals, %d training points, "
           "batch %d, %d epochs\n",
           nnb_version_string(), nnb_kernel_isa(), N_TRAIN, BATCH, epochs);

    double lr = 0.3, t0 = now(), last = INFINITY;
    for (int e = 1; e <= epochs; e++) {
        double sum = 0;
        for (size_t r0 = 0; r0 < N_TRAIN; r0 += BATCH) {
            size_t rows = N_TRAIN - r0 < BATCH ? N_TRAIN - r0 : BATCH;
            double loss;
            CHECK(nnb_net_backprop(net, xtr + 2 * r0, rows, 2, ytr + r0, 1, NNB_LOSS_BCE,
                                   NNB_REDUCTION_MEAN, &loss, NULL, 0));
            CHECK(nnb_net_sgd_step(net, lr, NULL, 0));
            sum += loss * rows;
        }
        double l = sum / N_TRAIN;
        if (e % (epochs >= 30 ? epochs / 30 : 1) == 0 || e == epochs)
            printf("epoch %4d  loss %.6f%s\n", e, l, l > last ? "  (went up)" : "");
        last = l;
    }
    double secs = now() - t0;
    CHECK(nnb_net_predict(net, xte, N_TEST, 2, out, N_TEST));
    int hit = 0;
    for (int i = 0; i < N_TEST; i++) hit += (out[i] > 0.5) == (yte[i] > 0.5);
    printf("test accuracy: %.4f (%d of %d held-out points)\n", (double)hit / N_TEST, hit, N_TEST);
    printf("speed: %.0f samples/s (%.3f s for %d epochs)\n", (double)N_TRAIN * epochs / secs, secs,
           epochs);
    nnb_net_free(net);
    return 0;
}
