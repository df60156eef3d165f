/*
 * No allocation inside the training loop: this program interposes malloc, calloc, realloc and
 * the aligned allocators (the library's calls resolve to these) and counts the allocations made
 * between the end of the first mini-batch and the return of nnb_net_train. It must be zero, with
 * every feature of the loop switched on: shuffling, dropout, a validation split, Adam, clipping,
 * a schedule, the non-finite check, a history and both callbacks; and for Levenberg-Marquardt.
 * (Skipped under AddressSanitizer, which owns malloc.)
 */
#include <stdlib.h>
#include <string.h>

#include "nnb_test.h"

#if defined(__SANITIZE_ADDRESS__)
#  define NNBT_HAVE_INTERPOSER 0
#elif defined(__has_feature)
#  if __has_feature(address_sanitizer)
#    define NNBT_HAVE_INTERPOSER 0
#  endif
#endif
#ifndef NNBT_HAVE_INTERPOSER
#  define NNBT_HAVE_INTERPOSER 1
#endif

static volatile int counting;
static volatile long allocations;

#if NNBT_HAVE_INTERPOSER
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

void *malloc(size_t n) {
    if (counting) __atomic_add_fetch(&allocations, 1, __ATOMIC_RELAXED);
    return __libc_malloc(n);
}
void *calloc(size_t a, size_t b) {
    if (counting) __atomic_add_fetch(&allocations, 1, __ATOMIC_RELAXED);
    return __libc_calloc(a, b);
}
void *realloc(void *p, size_t n) {
    if (counting) __atomic_add_fetch(&allocations, 1, __ATOMIC_RELAXED);
    return __libc_realloc(p, n);
}
int posix_memalign(void **out, size_t align, size_t n) {
    if (counting) __atomic_add_fetch(&allocations, 1, __ATOMIC_RELAXED);
    void *p = __libc_memalign(align, n);
    if (!p) return 12; /* ENOMEM */
    *out = p;
    return 0;
}
void *aligned_alloc(size_t align, size_t n) {
    if (counting) __atomic_add_fetch(&allocations, 1, __ATOMIC_RELAXED);
    return __libc_memalign(align, n);
}
#endif

static int start_counting(size_t epoch, size_t batch, size_t n_batches, double loss, void *user) {
    (void)epoch, (void)batch, (void)n_batches, (void)loss, (void)user;
    counting = 1;
    return 0;
}

static int on_epoch(const nnb_net *net, size_t epoch, double tl, double vl, double ta, double va,
                    double secs, double sps, int up, void *user) {
    (void)net, (void)tl, (void)vl, (void)ta, (void)va, (void)secs, (void)sps, (void)up;
    int *start_on_epoch = user;
    if (*start_on_epoch && (int)epoch == *start_on_epoch) counting = 1;
    return 0;
}

START_TEST(no_allocation_in_the_loop) {
    enum { N = 300, F = 8, C = 3 };
    nnbt_rng r = {1};
    double *x = malloc(N * F * sizeof *x), *y = calloc(N * C, sizeof *y);
    for (int i = 0; i < N * F; i++) x[i] = nnbt_normal(&r);
    for (int i = 0; i < N; i++) y[i * C + i % C] = 1;
    /* the mini-batch loop */
    nnb_net *net;
    nnbt_ok(nnb_net_create(&net, F));
    nnbt_ok(nnb_net_add_dense(net, 32, NNB_ACT_RELU, 1));
    nnbt_ok(nnb_net_add_dense(net, 16, NNB_ACT_SIGMOID, 1));
    nnbt_ok(nnb_net_add_dense(net, C, NNB_ACT_SOFTMAX, 1));
    nnb_train_opts *o;
    nnbt_ok(nnb_train_opts_create(&o));
    nnbt_ok(nnb_train_opts_set_optimizer(o, NNB_OPT_ADAM, 0.01));
    nnbt_ok(nnb_train_opts_set_loss(o, NNB_LOSS_CE, NNB_REDUCTION_MEAN));
    nnbt_ok(nnb_train_opts_set_batch_size(o, 16));
    nnbt_ok(nnb_train_opts_set_dropout(o, 0.3));
    nnbt_ok(nnb_train_opts_set_validation_split(o, 0.2, 5));
    nnbt_ok(nnb_train_opts_set_clip_norm(o, 5.0));
    nnbt_ok(nnb_train_opts_set_schedule(o, NNB_SCHED_COSINE, 0, 0));
    nnbt_ok(nnb_train_opts_set_check_finite(o, 1));
    nnbt_ok(nnb_train_opts_set_early_stopping(o, 100, 1));
    nnbt_ok(nnb_train_opts_set_epochs(o, 5));
    int zero = 0;
    nnbt_ok(nnbt_set_epoch_callback(o, on_epoch, &zero));
    nnbt_ok(nnb_train_opts_set_batch_callback(o, start_counting, NULL));
    nnb_history *h;
    nnbt_ok(nnb_history_create(&h));
    allocations = 0;
    nnb_status st = nnb_net_train(net, o, x, N, F, y, C, h);
    counting = 0;
    nnbt_ok(st);
    ck_assert_uint_eq(nnb_history_n_epochs(h), 5);
    ck_assert_msg(allocations == 0, "%ld allocations inside the mini-batch loop", allocations);
    /* plain SGD (the fused update), in place, no shuffle */
    nnbt_ok(nnb_train_opts_set_optimizer(o, NNB_OPT_SGD, 0.01));
    nnbt_ok(nnb_train_opts_set_shuffle(o, 0));
    nnbt_ok(nnb_train_opts_set_validation_split(o, 0, 0));
    nnbt_ok(nnb_train_opts_set_check_finite(o, 0));
    nnbt_ok(nnb_train_opts_set_clip_norm(o, 0));
    allocations = 0;
    st = nnb_net_train(net, o, x, N, F, y, C, h);
    counting = 0;
    nnbt_ok(st);
    ck_assert_msg(allocations == 0, "%ld allocations inside the fused SGD loop", allocations);
    nnb_net_free(net);

    /* Levenberg-Marquardt: count from the end of its first iteration */
    nnbt_ok(nnb_net_create(&net, F));
    nnbt_ok(nnb_net_add_dense(net, 4, NNB_ACT_TANH, 1));
    nnbt_ok(nnb_net_add_dense(net, C, NNB_ACT_SIGMOID, 1));
    nnbt_ok(nnb_train_opts_set_optimizer(o, NNB_OPT_LM, 1));
    nnbt_ok(nnb_train_opts_set_loss(o, NNB_LOSS_MSE, NNB_REDUCTION_MEAN));
    nnbt_ok(nnb_train_opts_set_batch_callback(o, NULL, NULL));
    int one = 1;
    nnbt_ok(nnbt_set_epoch_callback(o, on_epoch, &one));
    allocations = 0;
    st = nnb_net_train(net, o, x, N, F, y, C, NULL);
    counting = 0;
    nnbt_ok(st);
    ck_assert_msg(allocations == 0, "%ld allocations inside the LM loop", allocations);
    nnb_net_free(net);
    nnb_history_free(h);
    nnb_train_opts_free(o);
    free(x), free(y);
}
END_TEST

/* A convolutional network (issue 24): convolution, max and average pooling, channels-last
 * between spatial layers and a dense layer after them; Adam with dropout and clipping, then SGD. */
START_TEST(no_allocation_in_the_cnn_loop) {
    enum { N = 200, F = 2 * 6 * 6, C = 3 };
    nnbt_rng r = {2};
    double *x = malloc(N * F * sizeof *x), *y = calloc(N * C, sizeof *y);
    for (int i = 0; i < N * F; i++) x[i] = nnbt_normal(&r);
    for (int i = 0; i < N; i++) y[i * C + i % C] = 1;
    nnb_net *net;
    nnbt_ok(nnb_net_create_dtype(&net, F, NNB_F32));
    nnbt_ok(nnb_net_set_input_shape(net, 2, 6, 6));
    nnb_window c = {3, 3, 1, 1, 1, 1, 1, 1, 0}, p = {2, 2, 2, 2, 0, 0, 0, 0, 0};
    nnbt_ok(nnb_net_add_conv2d(net, 4, &c, NNB_ACT_RELU, 1));
    nnbt_ok(nnb_net_add_maxpool(net, &p));
    nnbt_ok(nnb_net_add_conv2d(net, 3, &c, NNB_ACT_TANH, 1));
    nnbt_ok(nnb_net_add_avgpool(net, &p));
    nnbt_ok(nnb_net_add_dense(net, C, NNB_ACT_SOFTMAX, 1));
    nnb_train_opts *o;
    nnbt_ok(nnb_train_opts_create(&o));
    nnbt_ok(nnb_train_opts_set_optimizer(o, NNB_OPT_ADAM, 0.01));
    nnbt_ok(nnb_train_opts_set_loss(o, NNB_LOSS_CE, NNB_REDUCTION_MEAN));
    nnbt_ok(nnb_train_opts_set_batch_size(o, 16));
    nnbt_ok(nnb_train_opts_set_dropout(o, 0.3));
    nnbt_ok(nnb_train_opts_set_validation_split(o, 0.2, 5));
    nnbt_ok(nnb_train_opts_set_clip_norm(o, 5.0));
    nnbt_ok(nnb_train_opts_set_epochs(o, 3));
    nnbt_ok(nnb_train_opts_set_batch_callback(o, start_counting, NULL));
    allocations = 0;
    nnb_status st = nnb_net_train(net, o, x, N, F, y, C, NULL);
    counting = 0;
    nnbt_ok(st);
    ck_assert_msg(allocations == 0, "%ld allocations inside the CNN's mini-batch loop",
                  allocations);
    nnbt_ok(nnb_train_opts_set_optimizer(o, NNB_OPT_SGD, 0.01));
    nnbt_ok(nnb_train_opts_set_dropout(o, 0));
    nnbt_ok(nnb_train_opts_set_clip_norm(o, 0));
    allocations = 0;
    st = nnb_net_train(net, o, x, N, F, y, C, NULL);
    counting = 0;
    nnbt_ok(st);
    ck_assert_msg(allocations == 0, "%ld allocations inside the CNN's SGD loop", allocations);
    nnb_train_opts_free(o);
    nnb_net_free(net);
    free(x), free(y);
}
END_TEST

/* The counter works: an allocation made while counting is seen. */
START_TEST(the_counter_counts) {
    static void *volatile sink;
    allocations = 0;
    counting = 1;
    sink = malloc(100);
    counting = 0;
    free(sink);
    ck_assert_int_eq(allocations, 1);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("noalloc");
    TCase *tc = tcase_create("loop");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, the_counter_counts);
    tcase_add_test(tc, no_allocation_in_the_loop);
    tcase_add_test(tc, no_allocation_in_the_cnn_loop);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    if (!NNBT_HAVE_INTERPOSER) {
        fprintf(stderr, "skipped: malloc cannot be interposed under AddressSanitizer\n");
        return 77;
    }
    nnbt_no_time_limits();
    return nnbt_run(suite(), 0);
}
