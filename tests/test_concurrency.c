/*
 * Concurrency: 8 threads each training their own network while 8 more predict from one shared,
 * trained network; the same with float32 networks on float and double data. Every result must
 * equal the sequential run's, bit for bit. OpenBLAS runs one
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
    if (net && nnb_train_opts_create(&o) == NNB_OK &&
        nnb_train_opts_set_optimizer(o, NNB_OPT_ADAM, 0.01) == NNB_OK &&
        nnb_train_opts_set_loss(o, NNB_LOSS_CE, NNB_REDUCTION_MEAN) == NNB_OK &&
        nnb_train_opts_set_dropout(o, 0.1) == NNB_OK &&
        nnb_train_opts_set_batch_size(o, 16) == NNB_OK &&
        nnb_train_opts_set_epochs(o, EPOCHS) == NNB_OK &&
        nnb_net_train(net, o, X, ROWS, NI, Y, NO, NULL) == NNB_OK) {
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

/* Float32 networks (issue 19): threads that create float32 networks at once (the float kernel
 * table's first use) and train them on float data, while others predict from one shared float32
 * network on float and on double data (a private float workspace each, rows converted a block
 * at a time) and evaluate it. Every result equals the sequential run's, bit for bit. */
static float X32[ROWS * NI], Y32[ROWS * NO];

static nnb_net *build32(uint64_t seed) {
    nnb_net *net = build(seed), *c = NULL;
    if (net && nnb_net_copy(&c, net, NNB_F32) != NNB_OK) c = NULL;
    nnb_net_free(net);
    return c;
}

/* Trains net (freed here) with Adam, dropout and batches of 16, on the float data in float32
 * (f32) or the double data, with a validation split (val); its parameters into j. */
static void train_into(job *j, nnb_net *net, int f32, int val) {
    nnb_train_opts *o = NULL;
    j->n = 0;
    if (net && nnb_train_opts_create(&o) == NNB_OK &&
        nnb_train_opts_set_optimizer(o, NNB_OPT_ADAM, 0.01) == NNB_OK &&
        nnb_train_opts_set_dropout(o, 0.1) == NNB_OK &&
        (!val || nnb_train_opts_set_validation_split(o, 0.2, 1) == NNB_OK) &&
        nnb_train_opts_set_batch_size(o, 16) == NNB_OK &&
        nnb_train_opts_set_epochs(o, EPOCHS) == NNB_OK &&
        (f32 ? nnb_net_train_f32(net, o, X32, ROWS, NI, Y32, NO, NULL)
             : nnb_net_train(net, o, X, ROWS, NI, Y, NO, NULL)) == NNB_OK) {
        j->n = nnb_net_n_params(net);
        j->result = malloc(j->n * sizeof(double));
        if (j->result && nnb_net_params_get(net, j->result, j->n) != NNB_OK) j->n = 0;
    }
    nnb_train_opts_free(o);
    nnb_net_free(net);
}

static void *trainer32(void *arg) {
    job *j = arg;
    train_into(j, build32(j->seed), 1, 0);
    return NULL;
}

/* Predictions on float data, on double data, then the loss and accuracy: ROWS * NO * 2 + 2. */
static void *predictor32(void *arg) {
    job *j = arg;
    j->n = 2 * ROWS * NO + 2;
    j->result = calloc(j->n, sizeof(double));
    float *out32 = malloc(ROWS * NO * sizeof *out32);
    int ok = j->result && out32;
    for (int rep = 0; rep < 5 && ok; rep++) {
        ok = nnb_net_predict_f32(j->shared, X32, ROWS, NI, out32, ROWS * NO) == NNB_OK &&
             nnb_net_predict(j->shared, X, ROWS, NI, j->result + ROWS * NO, ROWS * NO) == NNB_OK &&
             nnb_net_evaluate_f32(j->shared, X32, ROWS, NI, Y32, NO, NNB_LOSS_CE,
                                  NNB_REDUCTION_MEAN, j->result + 2 * ROWS * NO,
                                  j->result + 2 * ROWS * NO + 1) == NNB_OK;
        for (int i = 0; ok && i < ROWS * NO; i++) j->result[i] = out32[i];
    }
    if (!ok) j->n = 0;
    free(out32);
    return NULL;
}

START_TEST(float32_concurrently) {
    make_data();
    for (int i = 0; i < ROWS * NI; i++) X32[i] = (float)X[i];
    for (int i = 0; i < ROWS * NO; i++) Y32[i] = (float)Y[i];
    nnbt_ok(nnb_set_num_threads(1));
    nnb_net *shared = build32(7);
    ck_assert_ptr_nonnull(shared);
    pthread_t th[2 * T];
    job jobs[2 * T];
    for (int t = 0; t < 2 * T; t++) {
        jobs[t] = (job){.seed = 100 + (uint64_t)(t % T), .shared = shared};
        ck_assert_int_eq(pthread_create(&th[t], NULL, t < T ? trainer32 : predictor32, &jobs[t]),
                         0);
    }
    for (int t = 0; t < 2 * T; t++) ck_assert_int_eq(pthread_join(th[t], NULL), 0);
    for (int t = 0; t < 2 * T; t++) { /* the sequential references, after */
        job ref = {.seed = jobs[t].seed, .shared = shared};
        (t < T ? trainer32 : predictor32)(&ref);
        ck_assert_msg(ref.n > 0 && jobs[t].n == ref.n, "job %d failed (%s)", t, nnb_last_error());
        ck_assert_msg(memcmp(jobs[t].result, ref.result, ref.n * sizeof(double)) == 0,
                      "%s %d differs from the sequential run", t < T ? "trainer" : "predictor", t);
        free(jobs[t].result), free(ref.result);
    }
    nnb_net_free(shared);
    nnbt_ok(nnb_set_num_threads(0));
}
END_TEST

/* Convolutional networks (issue 24) train with a team of threads each (lib/team.c: the batch in
 * parts, OpenBLAS held at one thread while any such run is going): 4 such runs at once, with
 * dropout, each equal to its sequential run bit for bit; OpenBLAS's count comes back after. */
static nnb_net *build_cnn(uint64_t seed) {
    nnb_net *net;
    nnb_window c = {3, 3, 1, 1, 1, 1, 1, 1, 0}, p = {2, 2, 2, 2, 0, 0, 0, 0, 0};
    if (nnb_net_create(&net, NI) != NNB_OK) return NULL;
    if (nnb_net_set_input_shape(net, 3, 2, 2) != NNB_OK ||
        nnb_net_add_conv2d(net, 4, &c, NNB_ACT_RELU, 1) != NNB_OK ||
        nnb_net_add_maxpool(net, &p) != NNB_OK ||
        nnb_net_add_dense(net, NO, NNB_ACT_SOFTMAX, 1) != NNB_OK ||
        nnb_net_init(net, NNB_INIT_HE_NORMAL, seed) != NNB_OK) {
        nnb_net_free(net);
        return NULL;
    }
    return net;
}

static void *cnn_trainer(void *arg) {
    job *j = arg;
    train_into(j, build_cnn(j->seed), 0, 1);
    return NULL;
}

START_TEST(cnn_teams_concurrently) {
    enum { NT = 4 };
    make_data();
    nnbt_ok(nnb_set_num_threads(2));
    job ref[NT], jobs[NT];
    for (int t = 0; t < NT; t++) {
        ref[t] = (job){.seed = 300 + (uint64_t)t};
        cnn_trainer(&ref[t]);
        ck_assert_msg(ref[t].n > 0, "%s", nnb_last_error());
    }
    pthread_t th[NT];
    for (int t = 0; t < NT; t++) {
        jobs[t] = (job){.seed = 300 + (uint64_t)t};
        ck_assert_int_eq(pthread_create(&th[t], NULL, cnn_trainer, &jobs[t]), 0);
    }
    for (int t = 0; t < NT; t++) ck_assert_int_eq(pthread_join(th[t], NULL), 0);
    for (int t = 0; t < NT; t++) {
        ck_assert_msg(jobs[t].n == ref[t].n, "trainer %d failed", t);
        ck_assert_msg(memcmp(jobs[t].result, ref[t].result, ref[t].n * sizeof(double)) == 0,
                      "CNN trainer %d differs from the sequential run", t);
        free(jobs[t].result), free(ref[t].result);
    }
    ck_assert_int_eq(nnb_get_num_threads(), 2);
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
    tcase_add_test(tc, float32_concurrently);
    tcase_add_test(tc, cnn_teams_concurrently);
    suite_add_tcase(s, tc);
    return s;
}

NNBT_MAIN(suite, 0)
