/* The memory of a training run, estimated before anything is allocated (issue 26, family 7):
 * nnb_net_train_memory and nnb_net_train_memory_dense agree, each part moves as its cause does
 * (optimiser moments, batch, element type, early stopping, Levenberg-Marquardt), and nnb_net_train
 * refuses at once, naming the workspace and the batch, a run whose additions exceed the memory the
 * process can get -- where it used to allocate first. */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "nnb_test.h"

static nnb_train_opts *opts(nnb_optimizer opt, size_t batch) {
    nnb_train_opts *o;
    nnbt_ok(nnb_train_opts_create(&o));
    nnbt_ok(nnb_train_opts_set_optimizer(o, opt, 0.01));
    nnbt_ok(nnb_train_opts_set_batch_size(o, batch));
    return o;
}

static size_t plan(const size_t *units, size_t n, nnb_dtype dt, const nnb_train_opts *o,
                   size_t rows) {
    size_t bytes = 0;
    nnbt_ok(nnb_net_train_memory_dense(7, units, n, dt, o, rows, &bytes));
    return bytes;
}

START_TEST(parts_follow_their_causes) {
    const size_t units[3] = {64, 32, 3};
    const size_t P = 64 * 8 + 32 * 65 + 3 * 33; /* weights and biases */
    nnb_train_opts *sgd = opts(NNB_OPT_SGD, 32), *adam = opts(NNB_OPT_ADAM, 32);
    nnb_train_opts *mom = opts(NNB_OPT_MOMENTUM, 32), *big = opts(NNB_OPT_SGD, 64);
    size_t s = plan(units, 3, NNB_F64, sgd, 1000), a = plan(units, 3, NNB_F64, adam, 1000);
    ck_assert_uint_eq(a - s, 2 * P * sizeof(double));
    ck_assert_uint_eq(plan(units, 3, NNB_F64, mom, 1000) - s, P * sizeof(double));
    ck_assert_uint_gt(plan(units, 3, NNB_F64, big, 1000),
                      s); /* a bigger batch, a bigger workspace */
    ck_assert_uint_lt(plan(units, 3, NNB_F32, sgd, 1000), s); /* float32: half the arenas */
    ck_assert_uint_gt(s, 2 * P * sizeof(double) + 32 * 99 * sizeof(double));
    nnbt_ok(nnb_train_opts_set_early_stopping(sgd, 5, 1)); /* the best weights kept */
    ck_assert_uint_eq(plan(units, 3, NNB_F64, sgd, 1000) - s, P * sizeof(double));
    /* the network's own estimate is the plan's */
    nnb_net *net;
    nnbt_ok(nnb_net_create(&net, 7));
    for (int l = 0; l < 3; l++) nnbt_ok(nnb_net_add_dense(net, units[l], NNB_ACT_TANH, 1));
    size_t mine = 0;
    nnbt_ok(nnb_net_train_memory(net, adam, 1000, &mine));
    ck_assert_uint_eq(mine, a);
    /* Levenberg-Marquardt: the Jacobian (rows x outputs x P) and the P x P equations */
    nnb_train_opts *lm = opts(NNB_OPT_LM, 0);
    ck_assert_uint_gt(plan(units, 3, NNB_F64, lm, 1000), 1000 * 3 * P * sizeof(double));
    /* sizes past counting saturate; argument errors */
    const size_t huge[2] = {(size_t)1 << 40, 1};
    size_t b = 0;
    nnb_status st = nnb_net_train_memory_dense(1 << 20, huge, 2, NNB_F64, sgd, 1 << 20, &b);
    ck_assert(st == NNB_E_TOO_LARGE || (st == NNB_OK && b > nnb_get_available_memory()));
    const size_t zero[1] = {0};
    nnbt_expect(nnb_net_train_memory_dense(3, zero, 1, NNB_F64, sgd, 10, &b), NNB_E_INVALID_ARG,
                "0");
    nnbt_expect(nnb_net_train_memory_dense(0, units, 3, NNB_F64, sgd, 10, &b), NNB_E_INVALID_ARG,
                "n_inputs");
    ck_assert_int_eq(nnb_net_train_memory(NULL, sgd, 10, &b), NNB_E_NULL);
    ck_assert_uint_gt(nnb_get_available_memory(), 0);
    nnb_net_free(net);
    nnb_train_opts_free(sgd), nnb_train_opts_free(adam), nnb_train_opts_free(mom);
    nnb_train_opts_free(big), nnb_train_opts_free(lm);
}
END_TEST

/* A full batch of a million rows through a 100,000-unit layer needs a workspace of about 2.4 TB:
 * refused before training, with nothing allocated for it (the network is unchanged). */
START_TEST(train_refuses_before_allocating) {
    size_t rows = 1000000;
    double *x = calloc(rows, sizeof *x), *y = calloc(rows, sizeof *y);
    nnb_net *net;
    nnbt_ok(nnb_net_create(&net, 1));
    nnbt_ok(nnb_net_add_dense(net, 100000, NNB_ACT_RELU, 1));
    nnbt_ok(nnb_net_add_dense(net, 1, NNB_ACT_IDENTITY, 1));
    nnb_train_opts *o = opts(NNB_OPT_ADAM, 0);
    nnbt_ok(nnb_train_opts_set_loss(o, NNB_LOSS_MSE, NNB_REDUCTION_MEAN));
    nnbt_ok(nnb_train_opts_set_epochs(o, 1));
    nnbt_expect(nnb_net_train(net, o, x, rows, 1, y, 1, NULL), NNB_E_TOO_LARGE,
                "for batches of 1000000 rows");
    ck_assert_msg(strstr(nnb_last_error(), "use smaller batches"), "%s", nnb_last_error());
    /* small batches fit: one epoch of a few rows trains */
    nnbt_ok(nnb_train_opts_set_batch_size(o, 4));
    nnbt_ok(nnb_net_train(net, o, x, 8, 1, y, 1, NULL));
    nnb_train_opts_free(o);
    nnb_net_free(net);
    free(x);
    free(y);
}
END_TEST

/* This process's data segment (VmData of /proc/self/status) in bytes; 0 if unknown. */
static size_t vm_data(void) {
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return 0;
    char line[256];
    unsigned long long kib = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmData: %llu kB", &kib) == 1) break;
    fclose(f);
    return (size_t)kib * 1024;
}

/* Under a data-segment limit of what the process uses plus 128 MiB: the memory available is
 * what is left under the limit (not the limit itself), and each layer is checked for what it
 * adds -- a 1000-input layer of 4500 units (108 MB with gradients and initial draws) fits, then
 * a one-unit layer still fits where the whole network's parameters compared with what is left
 * used to be refused (Net([3, 30000, 30000, 1]) failed that way on its output layer after
 * allocating 20 GB), and a layer too large for what is left is refused at once, by its index. */
START_TEST(layers_checked_for_what_they_add) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    return; /* the sanitizers reserve terabytes of address space and own the allocator */
#endif
    if (nnbt_valgrind()) return; /* valgrind's allocator does not keep the process's limits */
    struct rlimit old;
    ck_assert_int_eq(getrlimit(RLIMIT_DATA, &old), 0);
    size_t used = vm_data();
    if (used == 0) return; /* no /proc */
    const size_t room = (size_t)128 << 20;
    if (old.rlim_cur != RLIM_INFINITY && old.rlim_cur < used + room) return;
    struct rlimit lim = {(rlim_t)(used + room), old.rlim_max};
    ck_assert_int_eq(setrlimit(RLIMIT_DATA, &lim), 0);
    size_t avail = nnb_get_available_memory();
    nnb_net *net;
    nnb_status made = nnb_net_create(&net, 1000), first = NNB_E_INVALID_ARG, tiny = first, big;
    if (made == NNB_OK) {
        first = nnb_net_add_dense(net, 4500, NNB_ACT_RELU, 1);
        big = nnb_net_add_dense(net, 2000, NNB_ACT_RELU, 1); /* 9 M parameters: 216 MB */
        ck_assert_int_eq(big, NNB_E_TOO_LARGE);
        ck_assert_msg(strstr(nnb_last_error(), "layer 1, a 2000 x 4500 layer, does not fit"), "%s",
                      nnb_last_error());
        tiny = nnb_net_add_dense(net, 1, NNB_ACT_IDENTITY, 1);
    }
    ck_assert_int_eq(setrlimit(RLIMIT_DATA, &old), 0);
    ck_assert_msg(avail <= room, "%zu bytes available under a limit %zu above the use", avail,
                  room);
    nnbt_ok(made);
    nnbt_ok(first);
    ck_assert_int_eq(tiny, NNB_OK);
    ck_assert_uint_eq(nnb_net_n_layers(net), 2);
    nnb_net_free(net);
}
END_TEST

static Suite *memory_suite(void) {
    Suite *s = suite_create("train_memory");
    TCase *tc = tcase_create("train_memory");
    tcase_set_timeout(tc, 0); /* no time limit of its own: meson's timeout is the only one */
    tcase_add_test(tc, parts_follow_their_causes);
    tcase_add_test(tc, train_refuses_before_allocating);
    tcase_add_test(tc, layers_checked_for_what_they_add);
    suite_add_tcase(s, tc);
    return s;
}

NNBT_MAIN(memory_suite, 0)
