/* nnblas train, its memory (tools/cli_memory.c): the whole run's memory, the prepared data and
 * the network's training (nnb_net_train_memory_dense), checked against what the process can get
 * before either is allocated; a run too large is refused at once, naming what the user asked for
 * (a hidden layer of --layers, the columns of a --one-hot) instead of failing after minutes and
 * gigabytes. */
#include <stdio.h>
#include <stdlib.h>

#include "cli_train.h"

/* n bytes for a message ("4.5 GiB"). */
static void bytes_text(size_t n, char buf[32]) {
    static const char *const units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double v = (double)n;
    int u = 0;
    while (v >= 1024 && u < 6) v /= 1024, u++;
    if (u == 0)
        snprintf(buf, 32, "%zu bytes", n);
    else
        snprintf(buf, 32, "%.1f %s", v, units[u]);
}

/* The training run's memory of a network of n_in inputs, the hidden layers of s (hidden layer
 * `shrink` counted with one unit: SIZE_MAX none) and n_out outputs; SIZE_MAX when it is past
 * counting, 0 when the library refuses the shape (building the network then says why, in its
 * words: a layer past OpenBLAS's 32-bit sizes). */
static size_t net_bytes(const settings *s, size_t n_in, size_t n_out, size_t n_train,
                        size_t shrink) {
    size_t units[65], L = s->n_layers < 64 ? s->n_layers : 64;
    for (size_t l = 0; l < L; l++) {
        char *end;
        unsigned long long u = strtoull(s->layers[l], &end, 10);
        if (end == s->layers[l] || *end)
            return 0; /* a convolution or pooling layer: built and
                                                       checked by the library itself */
        units[l] = l == shrink ? 1 : (size_t)u;
    }
    units[L] = n_out;
    nnb_train_opts *o;
    size_t bytes = SIZE_MAX;
    if (nnb_train_opts_create(&o) != NNB_OK) return SIZE_MAX;
    nnb_status st = nnb_train_opts_set_batch_size(o, s->batch);
    if (st == NNB_OK) st = nnb_train_opts_set_optimizer(o, s->opt, 0.001);
    if (st == NNB_OK && s->dropout > 0) st = nnb_train_opts_set_dropout(o, s->dropout);
    if (st == NNB_OK && s->patience) st = nnb_train_opts_set_early_stopping(o, s->patience, 1);
    if (st == NNB_OK &&
        nnb_net_train_memory_dense(n_in, units, L + 1, s->dtype, o, n_train, &bytes) != NNB_OK)
        bytes = 0;
    nnb_train_opts_free(o);
    return bytes;
}

int check_run_memory(const settings *s, size_t n_in, size_t n_out, size_t n_train,
                     size_t data_bytes, const char *data_what) {
    size_t net = net_bytes(s, n_in, n_out, n_train, SIZE_MAX), avail = nnb_get_available_memory();
    size_t total = net > SIZE_MAX - data_bytes ? SIZE_MAX : net + data_bytes;
    if (net == 0 || total <= avail) return 1;
    /* the hidden layer whose units cost most, against the data */
    size_t worst = SIZE_MAX, worst_cost = 0;
    for (size_t l = 0; l < s->n_layers && l < 64; l++) {
        size_t without = net_bytes(s, n_in, n_out, n_train, l);
        size_t cost = net == SIZE_MAX ? SIZE_MAX : net - (without < net ? without : net);
        if (cost > worst_cost) worst = l, worst_cost = cost;
    }
    char need[32], have[32], part[32];
    bytes_text(total, need);
    bytes_text(avail, have);
    if (worst != SIZE_MAX && worst_cost >= data_bytes) {
        bytes_text(worst_cost, part);
        return fail("--layers: the hidden layer of %s units (layer %zu) does not fit in memory: "
                    "it needs %s to train (its weights, gradients, optimiser state and workspace "
                    "for batches of %zu rows); the run needs %s, more than the %s available: use "
                    "fewer units",
                    s->layers[worst], worst + 1,
                    worst_cost == SIZE_MAX ? "more than can be counted" : part,
                    s->batch ? s->batch : n_train,
                    total == SIZE_MAX ? "more than can be counted" : need, have),
               0;
    }
    if (!data_what[0])
        return fail("training the network (%zu inputs, %zu outputs) needs %s, more than the %s of "
                    "memory available",
                    n_in, n_out, total == SIZE_MAX ? "more than can be counted" : need, have),
               0;
    bytes_text(data_bytes, part);
    return fail("%s takes %s; the run needs %s, more than the %s of memory available", data_what,
                part, need, have),
           0;
}
