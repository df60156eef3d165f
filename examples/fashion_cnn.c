/*
 * fashion_cnn: a convolutional network on Fashion-MNIST in float32 (issue 24's):
 *   1x28x28 -> conv 32 3x3 pad 1 ReLU -> max pool 2 -> conv 64 3x3 pad 1 ReLU -> max pool 2
 *           -> 128 ReLU -> 10 softmax, cross-entropy, Adam lr 1e-3, batch 64.
 *
 *   fashion_cnn [--data DIR] [--epochs N] [--seed S] [--train-rows N] [--test-rows N]
 *
 * DIR holds the four standard files (train-images-idx3-ubyte.gz ...): by default
 * $NNBLAS_FASHION_MNIST_DIR, else /usr/share/datasets/fashion-mnist (Debian package
 * dataset-fashion-mnist). The images are read as float32 rows of 784 pixels in [0, 1] (one
 * channel of 28 x 28, channel-major: an IDX image is already a sample); the network is told that
 * shape, then built layer by layer. After each epoch it prints the test accuracy; at the end
 * `best test accuracy: 0.XXXX (epoch N)` and the training time. --train-rows / --test-rows use the
 * first rows only (for a quick run).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nnblas.h"

#define CHECK(call)                                                                       \
  do {                                                                                    \
    nnb_status st_ = (call);                                                              \
    if (st_ != NNB_OK) {                                                                  \
      fprintf(stderr, "fashion_cnn: %s: %s\n", nnb_status_string(st_), nnb_last_error()); \
      exit(1);                                                                            \
    }                                                                                     \
  } while (0)

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* One part of the data set in float32: images (rows x 784) and one-hot labels (rows x 10). */
typedef struct part {
    size_t rows, cols;
    float *x, *y;
} part;

static part read_part(const char *dir, nnb_mnist_part which, size_t max_rows) {
    part p;
    CHECK(nnb_mnist_info(dir, which, &p.rows, &p.cols));
    p.x = malloc(p.rows * p.cols * sizeof *p.x);
    p.y = malloc(p.rows * 10 * sizeof *p.y);
    if (!p.x || !p.y) {
        fprintf(stderr, "fashion_cnn: out of memory\n");
        exit(1);
    }
    CHECK(nnb_mnist_read_part_f32(dir, which, 1, p.x, p.rows * p.cols, p.y, p.rows * 10));
    if (max_rows && max_rows < p.rows) p.rows = max_rows;
    return p;
}

typedef struct progress {
    const part *test;
    double best, seconds;
    size_t best_epoch;
} progress;

static int on_epoch(const nnb_net *net, const nnb_epoch_info *info, void *user_data) {
    progress *pr = user_data;
    double test_loss, acc;
    nnb_status st =
        nnb_net_evaluate_f32(net, pr->test->x, pr->test->rows, pr->test->cols, pr->test->y, 10,
                             NNB_LOSS_CE, NNB_REDUCTION_MEAN, &test_loss, &acc);
    if (st != NNB_OK) {
        fprintf(stderr, "fashion_cnn: %s\n", nnb_last_error());
        return 1;
    }
    size_t epoch = (size_t)info->epoch;
    if (acc > pr->best) pr->best = acc, pr->best_epoch = epoch;
    pr->seconds += info->seconds;
    printf("epoch %2zu  train loss %.4f  train acc %.4f  test loss %.4f  test accuracy %.4f  "
           "(%.1f s, %.0f samples/s)\n",
           epoch, info->train_loss, info->train_acc, test_loss, acc, info->seconds,
           info->samples_per_s);
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv) {
    const char *dir = getenv("NNBLAS_FASHION_MNIST_DIR");
    if (!dir || !*dir) dir = "/usr/share/datasets/fashion-mnist";
    size_t epochs = 10, train_rows = 0, test_rows = 0;
    uint64_t seed = 1;
    for (int i = 1; i < argc; i += 2) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) {
            fprintf(stderr, "fashion_cnn: %s needs a value\n", a);
            return 2;
        }
        if (strcmp(a, "--data") == 0)
            dir = v;
        else if (strcmp(a, "--epochs") == 0)
            epochs = strtoul(v, NULL, 10);
        else if (strcmp(a, "--seed") == 0)
            seed = strtoull(v, NULL, 10);
        else if (strcmp(a, "--train-rows") == 0)
            train_rows = strtoul(v, NULL, 10);
        else if (strcmp(a, "--test-rows") == 0)
            test_rows = strtoul(v, NULL, 10);
        else {
            fprintf(stderr, "fashion_cnn: unknown option %s %s\n", a, v);
            return 2;
        }
    }
    part train = read_part(dir, NNB_MNIST_TRAIN, train_rows);
    part test = read_part(dir, NNB_MNIST_TEST, test_rows);

    /* The network: one channel of 28 x 28, then the layers in order. */
    nnb_net *net;
    CHECK(nnb_net_create_dtype(&net, train.cols, NNB_F32));
    CHECK(nnb_net_set_input_shape(net, 1, 28, 28));
    nnb_window conv = {.kernel_h = 3,
                       .kernel_w = 3,
                       .stride_h = 1,
                       .stride_w = 1,
                       .pad_top = 1,
                       .pad_bottom = 1,
                       .pad_left = 1,
                       .pad_right = 1};
    nnb_window pool = {.kernel_h = 2, .kernel_w = 2, .stride_h = 2, .stride_w = 2};
    CHECK(nnb_net_add_conv2d(net, 32, &conv, NNB_ACT_RELU, 1));
    CHECK(nnb_net_add_maxpool(net, &pool));
    CHECK(nnb_net_add_conv2d(net, 64, &conv, NNB_ACT_RELU, 1));
    CHECK(nnb_net_add_maxpool(net, &pool));
    CHECK(nnb_net_add_dense(net, 128, NNB_ACT_RELU, 1));
    CHECK(nnb_net_add_dense(net, 10, NNB_ACT_SOFTMAX, 1));
    CHECK(nnb_net_init(net, NNB_INIT_HE_NORMAL, seed));
    for (size_t l = 0; l < nnb_net_n_layers(net); l++) {
        size_t c, h, w;
        CHECK(nnb_net_layer_shape(net, l, &c, &h, &w));
        printf("layer %zu: %-7s -> %zux%zux%zu, %zu parameters\n", l + 1,
               nnb_net_layer_kind(net, l), c, h, w, nnb_net_layer_n_params(net, l));
    }

    nnb_train_opts *opts;
    CHECK(nnb_train_opts_create(&opts));
    CHECK(nnb_train_opts_set_epochs(opts, epochs));
    CHECK(nnb_train_opts_set_batch_size(opts, 64));
    CHECK(nnb_train_opts_set_loss(opts, NNB_LOSS_CE, NNB_REDUCTION_MEAN));
    CHECK(nnb_train_opts_set_optimizer(opts, NNB_OPT_ADAM, 1e-3));
    progress pr = {&test, -1.0, 0.0, 0};
    CHECK(nnb_train_opts_set_epoch_info_callback(opts, on_epoch, &pr));
    double t0 = now();
    CHECK(nnb_net_train_f32(net, opts, train.x, train.rows, train.cols, train.y, 10, NULL));
    printf("best test accuracy: %.4f (epoch %zu); %zu epochs in %.1f s (training %.1f s)\n",
           pr.best, pr.best_epoch, epochs, now() - t0, pr.seconds);

    nnb_train_opts_free(opts);
    nnb_net_free(net);
    free(train.x), free(train.y), free(test.x), free(test.y);
    return 0;
}
