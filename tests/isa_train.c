/*
 * A short training run through the public API under the kernel set NNBLAS_ISA names, and the
 * comparison of such runs. The set is chosen once per process, so each run is its own process.
 *
 *   isa_train run       trains three small networks (every activation; SSE, BCE and CE losses)
 *                       for 40 mini-batch steps and prints "isa <name>", then every weight as a
 *                       hex float. If NNBLAS_ISA names a set this CPU lacks, checks that the
 *                       library refuses it and exits 77 (skipped).
 *   isa_train compare   runs itself under every set this CPU supports and checks that all give
 *                       the same weights to 1e-12, relative (to the larger of the weight and a
 *                       thousandth of the network's largest weight).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nnb_test.h"

#define MAX_W 4096

static int failed(const char *what) {
    fprintf(stderr, "isa_train: %s: %s\n", what, nnb_last_error());
    return 1;
}

static nnbt_rng rng = {12345};
static double uniform(void) { return nnbt_uniform(&rng); }

/* Trains one network and prints its weights. */
static int train(const nnb_activation *acts, size_t n_layers, const size_t *units, nnb_loss loss) {
    enum { N_IN = 7, B = 33, STEPS = 40 };
    nnb_net *net;
    if (nnb_net_create(&net, N_IN) != NNB_OK) return failed("nnb_net_create");
    for (size_t l = 0; l < n_layers; l++)
        if (nnb_net_add_dense(net, units[l], acts[l], 1) != NNB_OK) return failed("add_dense");
    if (nnb_net_init(net, NNB_INIT_XAVIER_UNIFORM, 2024) != NNB_OK) return failed("init");
    size_t n_out = units[n_layers - 1], np = nnb_net_n_params(net);
    double x[B * N_IN], y[B * 16], w[MAX_W];
    if (np > MAX_W || n_out > 16) return failed("network too large");
    for (int step = 0; step < STEPS; step++) {
        for (size_t i = 0; i < B * N_IN; i++) x[i] = 4.0 * uniform() - 2.0;
        for (size_t r = 0; r < B; r++)
            for (size_t c = 0; c < n_out; c++)
                y[r * n_out + c] = loss == NNB_LOSS_CE /* a class from the first input */
                                       ? (double)((size_t)(x[r * N_IN] * 7 + 14) % n_out == c)
                                       : uniform();
        double l;
        if (nnb_net_backprop(net, x, B, N_IN, y, n_out, loss, NNB_REDUCTION_MEAN, &l, NULL, 0) !=
            NNB_OK)
            return failed("backprop");
        if (!isfinite(l)) return failed("the loss is not finite");
        if (nnb_net_sgd_step(net, 0.5, NULL, 0) != NNB_OK) return failed("sgd_step");
    }
    if (nnb_net_params_get(net, w, np) != NNB_OK) return failed("params_get");
    for (size_t i = 0; i < np; i++) printf("%a\n", w[i]);
    nnb_net_free(net);
    return 0;
}

static int run(void) {
    const char *want = getenv("NNBLAS_ISA");
    if (want && *want && !nnbt_cpu_has(want)) {
        nnb_net *net;
        if (strcmp(nnb_kernel_isa(), "unavailable") != 0 ||
            nnb_net_create(&net, 3) != NNB_E_UNSUPPORTED) {
            fprintf(stderr,
                    "isa_train: NNBLAS_ISA=%s is not supported here, yet the library "
                    "runs %s\n",
                    want, nnb_kernel_isa());
            return 1;
        }
        fprintf(stderr, "isa_train: skipped: %s\n", nnb_last_error());
        return 77;
    }
    if (want && *want && strcmp(nnb_kernel_isa(), want) != 0) {
        fprintf(stderr, "isa_train: NNBLAS_ISA=%s but the kernels are %s\n", want,
                nnb_kernel_isa());
        return 1;
    }
    nnb_set_num_threads(1); /* the same GEMM in every run */
    printf("isa %s\n", nnb_kernel_isa());
    static const nnb_activation a1[] = {NNB_ACT_TANH, NNB_ACT_SIGMOID, NNB_ACT_SOFTMAX};
    static const nnb_activation a2[] = {NNB_ACT_RELU, NNB_ACT_LEAKY_RELU, NNB_ACT_SIGMOID};
    static const nnb_activation a3[] = {NNB_ACT_SIGMOID, NNB_ACT_IDENTITY, NNB_ACT_SIGMOID};
    static const size_t u1[] = {19, 9, 5}, u2[] = {17, 11, 3}, u3[] = {6, 10, 2};
    int rc = train(a1, 3, u1, NNB_LOSS_CE);
    if (!rc) rc = train(a2, 3, u2, NNB_LOSS_BCE);
    if (!rc) rc = train(a3, 3, u3, NNB_LOSS_SSE);
    return rc;
}

/* Runs `self run` under NNBLAS_ISA=isa; returns the number of weights read into w. */
static size_t child(const char *self, const char *isa, double *w) {
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "NNBLAS_ISA=%s '%s' run", isa, self);
    FILE *p = popen(cmd, "r");
    if (!p) return 0;
    char line[128], got[32] = "";
    size_t n = 0;
    if (fgets(line, sizeof line, p)) sscanf(line, "isa %31s", got);
    while (n < 3 * MAX_W && fgets(line, sizeof line, p)) w[n++] = strtod(line, NULL);
    int st = pclose(p);
    if (st != 0 || strcmp(got, isa) != 0) {
        fprintf(stderr, "isa_train: the %s run failed (status %d, kernels \"%s\")\n", isa, st, got);
        return 0;
    }
    return n;
}

static int compare(void) {
    static const char *const isas[] = {"scalar", "avx2", "avx512"};
    static double ref[3 * MAX_W], w[3 * MAX_W];
    char self[4096];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0) return failed("readlink /proc/self/exe");
    self[len] = '\0';
    size_t n = child(self, "scalar", ref);
    if (n == 0) return 1;
    double big = 0;
    for (size_t i = 0; i < n; i++) big = fmax(big, fabs(ref[i]));
    int rc = 0;
    for (int s = 1; s < 3; s++) {
        if (!nnbt_cpu_has(isas[s])) {
            printf("%s: not supported by this CPU, not compared\n", isas[s]);
            continue;
        }
        if (child(self, isas[s], w) != n) return 1;
        double worst = 0;
        size_t at = 0;
        for (size_t i = 0; i < n; i++) {
            double rel = fabs(w[i] - ref[i]) / fmax(fmax(fabs(w[i]), fabs(ref[i])), 1e-3 * big);
            if (!(rel <= worst)) worst = rel, at = i; /* NaN counts as worst */
        }
        printf("%s vs scalar: %zu weights, largest relative difference %.3g (weight %zu)\n",
               isas[s], n, worst, at);
        if (!(worst <= 1e-12)) rc = 1;
    }
    return rc;
}

int main(int argc, char **argv) {
    if (argc == 2 && strcmp(argv[1], "run") == 0) return run();
    if (argc == 2 && strcmp(argv[1], "compare") == 0) return compare();
    fprintf(stderr, "usage: isa_train run|compare\n");
    return 2;
}
