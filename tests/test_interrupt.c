/* nnb_set_interrupt_flag (issue 26, family 5): the long calls of a thread stop with
 * NNB_E_CANCELLED once its flag is set -- training (resumable, bit for bit), prediction of both
 * element types, reading inputs (also a read blocked on a pipe, interrupted by a real signal),
 * model files, CSV parsing and preparation -- while other threads and calls without a flag go on. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nnb_test.h"

static volatile int flag;

/* A CSV of n rows "a,b" and its length. */
static char *rows_csv(size_t n, size_t *len) {
    char *text = malloc(n * 16 + 8);
    size_t k = (size_t)sprintf(text, "a,b\n");
    for (size_t i = 0; i < n; i++) k += (size_t)sprintf(text + k, "%zu,%zu\n", i % 97, i % 5);
    *len = k;
    return text;
}

START_TEST(flag_set_stops_long_calls) {
    size_t n = 70000, len; /* more than one block of 65,536 rows */
    char *text = rows_csv(n, &len);
    nnb_table *t;
    nnbt_ok(nnb_csv_read_buffer(&t, text, len, "rows.csv", NULL));
    nnb_prep *p;
    nnbt_ok(nnb_prep_create(&p));
    nnbt_ok(nnb_prep_scale(p, NULL, NNB_SCALE_STANDARD));
    nnbt_ok(nnb_prep_fit(p, t, NULL, n));
    double *x = calloc(n * 2, sizeof *x), *out = malloc(n * sizeof *out);
    nnb_net *net;
    nnbt_ok(nnb_net_create(&net, 2));
    nnbt_ok(nnb_net_add_dense(net, 3, NNB_ACT_TANH, 1));
    nnbt_ok(nnb_net_add_dense(net, 1, NNB_ACT_SIGMOID, 1));
    const char *path = nnbt_tmp("interrupt.csv"), *model = nnbt_tmp("interrupt.nnb");
    ck_assert(nnbt_write_file(path, text, len));
    nnbt_ok(nnb_model_write(model, net, p, NULL, 0));

    flag = 1;
    ck_assert_ptr_null((const void *)nnb_get_interrupt_flag()); /* none named yet */
    nnb_set_interrupt_flag(&flag);
    ck_assert_ptr_eq((const void *)nnb_get_interrupt_flag(), (const void *)&flag);
    nnb_table *t2 = NULL;
    nnbt_expect(nnb_csv_read_buffer(&t2, text, len, "rows.csv", NULL), NNB_E_CANCELLED,
                "interrupted");
    ck_assert_ptr_null(t2);
    nnbt_expect(nnb_csv_read(&t2, path, NULL), NNB_E_CANCELLED, "interrupted");
    char *data = NULL;
    size_t dlen;
    nnbt_expect(nnb_input_read(path, 0, 1, &data, &dlen), NNB_E_CANCELLED, "interrupted");
    ck_assert_ptr_null(data);
    nnbt_expect(nnb_prep_apply(p, t, NULL, n, x, n * 2, NULL, 0), NNB_E_CANCELLED, "interrupted");
    nnbt_expect(nnb_net_predict(net, x, n, 2, out, n), NNB_E_CANCELLED, "interrupted");
    float *xf = calloc(n * 2, sizeof *xf), *of = malloc(n * sizeof *of);
    nnbt_expect(nnb_net_predict_f32(net, xf, n, 2, of, n), NNB_E_CANCELLED, "interrupted");
    nnb_net *net32, *loaded = NULL;
    nnbt_ok(nnb_net_copy(&net32, net, NNB_F32));
    nnbt_expect(nnb_net_predict(net32, x, n, 2, out, n), NNB_E_CANCELLED, "interrupted");
    nnbt_expect(nnb_model_read(&loaded, NULL, NULL, model), NNB_E_CANCELLED, "interrupted");
    ck_assert_ptr_null(loaded);

    /* cleared, or no flag named: everything works again (x is written whole now) */
    flag = 0;
    nnbt_ok(nnb_prep_apply(p, t, NULL, n, x, n * 2, NULL, 0));
    nnbt_ok(nnb_net_predict(net, x, n, 2, out, n));
    flag = 1;
    nnb_set_interrupt_flag(NULL);
    ck_assert_ptr_null((const void *)nnb_get_interrupt_flag());
    nnbt_ok(nnb_csv_read(&t2, path, NULL));
    nnbt_ok(nnb_model_read(&loaded, NULL, NULL, model));
    nnbt_ok(nnb_net_predict(net32, x, n, 2, out, n));
    flag = 0;
    nnb_net_free(loaded);
    nnb_table_free(t2);
    nnb_net_free(net32);
    free(xf);
    free(of);
    nnb_net_free(net);
    nnb_prep_free(p);
    nnb_table_free(t);
    free(x);
    free(out);
    free(text);
}
END_TEST

/* Another thread's flag does not stop this thread. */
static void *predict_in_thread(void *arg) {
    static volatile int mine = 0;
    nnb_set_interrupt_flag(&mine);
    nnb_net *net = arg;
    double x[2] = {1, 2}, out[1];
    return (void *)(intptr_t)nnb_net_predict(net, x, 1, 2, out, 1);
}

START_TEST(flags_are_per_thread) {
    nnb_net *net;
    nnbt_ok(nnb_net_create(&net, 2));
    nnbt_ok(nnb_net_add_dense(net, 1, NNB_ACT_IDENTITY, 1));
    flag = 1;
    nnb_set_interrupt_flag(&flag);
    pthread_t th;
    void *rc;
    ck_assert_int_eq(pthread_create(&th, NULL, predict_in_thread, net), 0);
    ck_assert_int_eq(pthread_join(th, &rc), 0);
    ck_assert_int_eq((int)(intptr_t)rc, NNB_OK);
    double x[2] = {1, 2}, out[1];
    ck_assert_int_eq(nnb_net_predict(net, x, 1, 2, out, 1), NNB_E_CANCELLED);
    nnb_set_interrupt_flag(NULL);
    flag = 0;
    nnb_net_free(net);
}
END_TEST

/* Training stops as after nnb_train_opts_request_stop, and goes on bit for bit. */
START_TEST(training_resumes_bit_for_bit) {
    enum { N = 64 };
    double x[N * 2], y[N];
    nnbt_rng g = {5};
    for (int i = 0; i < N; i++) {
        x[2 * i] = nnbt_normal(&g), x[2 * i + 1] = nnbt_normal(&g);
        y[i] = x[2 * i] * x[2 * i + 1] > 0;
    }
    nnb_net *a, *b;
    for (int k = 0; k < 2; k++) {
        nnb_net **net = k ? &b : &a;
        nnbt_ok(nnb_net_create(net, 2));
        nnbt_ok(nnb_net_add_dense(*net, 4, NNB_ACT_TANH, 1));
        nnbt_ok(nnb_net_add_dense(*net, 1, NNB_ACT_SIGMOID, 1));
        nnbt_ok(nnb_net_init(*net, NNB_INIT_XAVIER_UNIFORM, 9));
    }
    nnb_train_opts *o;
    nnbt_ok(nnb_train_opts_create(&o));
    nnbt_ok(nnb_train_opts_set_epochs(o, 3));
    nnbt_ok(nnb_train_opts_set_batch_size(o, 8));
    nnbt_ok(nnb_train_opts_set_loss(o, NNB_LOSS_BCE, NNB_REDUCTION_MEAN));
    nnbt_ok(nnb_net_train(a, o, x, N, 2, y, 1, NULL));
    flag = 1;
    nnb_set_interrupt_flag(&flag);
    nnbt_expect(nnb_net_train(b, o, x, N, 2, y, 1, NULL), NNB_E_CANCELLED, "stopped");
    flag = 0;
    nnbt_ok(nnb_net_train(b, o, x, N, 2, y, 1, NULL));
    nnb_set_interrupt_flag(NULL);
    size_t np = nnb_net_n_params(a);
    double *pa = malloc(np * sizeof *pa), *pb = malloc(np * sizeof *pb);
    nnbt_ok(nnb_net_params_get(a, pa, np));
    nnbt_ok(nnb_net_params_get(b, pb, np));
    ck_assert(memcmp(pa, pb, np * sizeof *pa) == 0);
    free(pa);
    free(pb);
    nnb_train_opts_free(o);
    nnb_net_free(a);
    nnb_net_free(b);
}
END_TEST

/* A read blocked on a pipe that never sends: a signal (installed without SA_RESTART, as
 * Python's) whose handler sets the flag ends it. The helper thread keeps signalling until the
 * read has returned: no timing is assumed. */
static volatile sig_atomic_t read_done;
static pthread_t reader;

static void on_signal(int sig) {
    (void)sig;
    flag = 1;
}

static void *signaller(void *arg) {
    (void)arg;
    while (!read_done) {
        pthread_kill(reader, SIGUSR1);
        nanosleep(&(struct timespec){0, 10000000}, NULL);
    }
    return NULL;
}

START_TEST(signal_ends_a_blocked_read) {
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: read() returns EINTR */
    sigemptyset(&sa.sa_mask);
    ck_assert_int_eq(sigaction(SIGUSR1, &sa, &old), 0);
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    char path[64];
    snprintf(path, sizeof path, "/dev/fd/%d", fds[0]);
    flag = 0;
    read_done = 0;
    nnb_set_interrupt_flag(&flag);
    reader = pthread_self();
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, signaller, NULL), 0);
    char *data = NULL;
    size_t len;
    nnb_status st = nnb_input_read(path, 0, 1, &data, &len);
    read_done = 1;
    pthread_join(th, NULL);
    ck_assert_msg(st == NNB_E_CANCELLED, "%s: %s", nnb_status_name(st), nnb_last_error());
    ck_assert_ptr_null(data);
    nnb_set_interrupt_flag(NULL);
    flag = 0;
    close(fds[0]);
    close(fds[1]);
    sigaction(SIGUSR1, &old, NULL);
}
END_TEST

static Suite *interrupt_suite(void) {
    Suite *s = suite_create("interrupt");
    TCase *tc = tcase_create("interrupt");
    tcase_set_timeout(tc, 0); /* no time limit of its own: meson's timeout is the only one */
    tcase_add_test(tc, flag_set_stops_long_calls);
    tcase_add_test(tc, flags_are_per_thread);
    tcase_add_test(tc, training_resumes_bit_for_bit);
    tcase_add_test(tc, signal_ends_a_blocked_read);
    suite_add_tcase(s, tc);
    return s;
}

NNBT_MAIN(interrupt_suite, 0)
