/*
 * Concurrency: 8 threads each training their own network while 8 more predict from one shared,
 * trained network. Every result must equal the sequential run's, bit for bit. OpenBLAS runs one
 * thread per caller here (nnb_set_num_threads(1)), so results are comparable bit for bit and all
 * work happens in threads ThreadSanitizer can see (this suite also runs under TSan in CI).
 */
#include <pthread.h>
#include <string.h>

#include "nnb_test.h"

enum { T = 8, ROWS = 200, NI = 12, NO = 3, EPOCHS = 3 };

static double X[ROWS * NI], Y[ROWS * NO];

static void make_data(void) {
    nnbt_rng r = {42};
    for (int i = 0; i < ROWS * NI; i++) X[i] = nnbt_normal(&r);
    memset(Y, 0, sizeof Y);
    for (int i = 0; i < ROWS; i++) Y[i * NO + (int)(nnbt_uniform(&r) * NO)] = 1;
}

static nnb_net *build(uint64_t seed) {
    nnb_net *net;
    if (nnb_net_create(&net, NI) != NNB_OK) return NULL;
    if (nnb_net_add_dense(net, 24, NNB_ACT_TANH, 1) != NNB_OK ||
        nnb_net_add_dense(net, 16, NNB_ACT_RELU, 1) != NNB_OK ||
        nnb_net_add_dense(net, NO, NNB_ACT_SOFTMAX, 1) != NNB_OK ||
        nnb_net_init(net, NNB_INIT_XAVIER_UNIFORM, seed) != NNB_OK) {
        nnb_net_free(net);
        return NULL;
    }
    return net;
}

/* Trains a network from seed with Adam, dropout and shuffling; returns its parameters. */
static double *train_one(uint64_t seed, size_t *np) {
    nnb_net *net = build(seed);
    nnb_train_opts *o = NULL;
    double *p = NULL;
    if (net && nnb_train_opts_create(&o) == NNB_OK && nnb_train_opts_set_optimizer(o, NNB_OPT_ADAM, 0.01) == NNB_OK &&
        nnb_train_opts_set_loss(o, NNB_LOSS_CE, NNB_REDUCTION_MEAN) == NNB_OK &&
        nnb_train_opts_set_dropout(o, 0.1) == NNB_OK && nnb_train_opts_set_batch_size(o, 16) == NNB_OK &&
        nnb_train_opts_set_epochs(o, EPOCHS) == NNB_OK && nnb_train(net, o, X, ROWS, NI, Y, NO, NULL) == NNB_OK) {
        *np = nnb_net_n_params(net);
        p = malloc(*np * sizeof *p);
        if (p && nnb_net_params_get(net, p, *np) != NNB_OK) {
            free(p);
            p = NULL;
        }
    }
    nnb_train_opts_free(o);
    nnb_net_free(net);
    return p;
}

typedef struct {
    uint64_t seed;
    const nnb_net *shared;
    double *result;
    size_t n;
} job;

static void *trainer(void *arg) {
    job *j = arg;
    j->result = train_one(j->seed, &j->n);
    return NULL;
}

static void *predictor(void *arg) {
    job *j = arg;
    j->n = ROWS * NO;
    j->result = malloc(j->n * sizeof(double));
    for (int rep = 0; rep < 10 && j->result; rep++)
        if (nnb_net_predict(j->shared, X, ROWS, NI, j->result, j->n) != NNB_OK) {
            free(j->result);
            j->result = NULL;
        }
    return NULL;
}

START_TEST(train_and_predict_concurrently) {
    make_data();
    nnbt_ok(nnb_set_num_threads(1));
    /* sequential references */
    double *ref[T];
    size_t np = 0;
    for (int t = 0; t < T; t++) {
        ref[t] = train_one(100 + (uint64_t)t, &np);
        ck_assert_ptr_nonnull(ref[t]);
    }
    nnb_net *shared = build(7);
    ck_assert_ptr_nonnull(shared);
    double *pref = malloc(ROWS * NO * sizeof *pref);
    nnbt_ok(nnb_net_predict(shared, X, ROWS, NI, pref, ROWS * NO));
    /* all at once */
    pthread_t th[2 * T];
    job jobs[2 * T];
    for (int t = 0; t < 2 * T; t++) {
        jobs[t] = (job){.seed = 100 + (uint64_t)(t % T), .shared = shared};
        ck_assert_int_eq(pthread_create(&th[t], NULL, t < T ? trainer : predictor, &jobs[t]), 0);
    }
    for (int t = 0; t < 2 * T; t++) ck_assert_int_eq(pthread_join(th[t], NULL), 0);
    for (int t = 0; t < T; t++) {
        ck_assert_ptr_nonnull(jobs[t].result);
        ck_assert_msg(memcmp(jobs[t].result, ref[t], np * sizeof(double)) == 0,
                      "trainer %d differs from the sequential run", t);
        ck_assert_ptr_nonnull(jobs[T + t].result);
        ck_assert_msg(memcmp(jobs[T + t].result, pref, ROWS * NO * sizeof(double)) == 0,
                      "predictor %d differs", t);
        free(jobs[t].result), free(jobs[T + t].result), free(ref[t]);
    }
    free(pref);
    nnb_net_free(shared);
    nnbt_ok(nnb_set_num_threads(0));
}
END_TEST

/* Errors are per thread: a failing call on one thread does not touch another's message. */
static void *fail_and_read(void *arg) {
    char *out = arg;
    nnb_net *net = NULL;
    for (int i = 0; i < 1000; i++) {
        nnb_net_create(&net, 0);
        if (strcmp(nnb_last_error(), "nnb_net_create: n_inputs is 0") != 0) {
            strcpy(out, nnb_last_error());
            return NULL;
        }
    }
    strcpy(out, "ok");
    return NULL;
}

static void *other_error(void *arg) {
    char *out = arg;
    for (int i = 0; i < 1000; i++) {
        nnb_net_create(NULL, 3);
        if (strcmp(nnb_last_error(), "nnb_net_create: out is NULL") != 0) {
            strcpy(out, nnb_last_error());
            return NULL;
        }
    }
    strcpy(out, "ok");
    return NULL;
}

START_TEST(errors_are_per_thread) {
    char a[1100], b[1100];
    pthread_t ta, tb;
    pthread_create(&ta, NULL, fail_and_read, a);
    pthread_create(&tb, NULL, other_error, b);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    ck_assert_str_eq(a, "ok");
    ck_assert_str_eq(b, "ok");
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("concurrency");
    TCase *tc = tcase_create("threads");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, train_and_predict_concurrently);
    tcase_add_test(tc, errors_are_per_thread);
    suite_add_tcase(s, tc);
    return s;
}

NNBT_MAIN(suite, 0)
