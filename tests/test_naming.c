/*
 * The naming rule's promises (CONTRIBUTING.md, "Naming"): every setter has a getter that gives
 * back what was set (the defaults first, as the header states them), a refused value leaves the
 * getter's answer unchanged, and a copy (or a model file) reads back the same. The getters of
 * libnnblas_mpi's options are checked in tests/mpi/mpi_train.c.
 */
#include <string.h>

#include "nnb_test.h"

static int epoch_info_cb(const nnb_net *net, const nnb_epoch_info *info, void *user_data) {
    (void)net, (void)info, (void)user_data;
    return 0;
}

static int batch_cb(size_t epoch, size_t batch, size_t n_batches, double loss, void *user_data) {
    (void)epoch, (void)batch, (void)n_batches, (void)loss, (void)user_data;
    return 0;
}

static int allreduce_cb(double *data, size_t n, void *user_data) {
    (void)data, (void)n, (void)user_data;
    return 0;
}

static int allreduce32_cb(float *data, size_t n, void *user_data) {
    (void)data, (void)n, (void)user_data;
    return 0;
}

static int grad_ready_cb(double *grad, size_t offset, size_t n, void *user_data) {
    (void)grad, (void)offset, (void)n, (void)user_data;
    return 0;
}

static int grad_ready32_cb(float *grad, size_t offset, size_t n, void *user_data) {
    (void)grad, (void)offset, (void)n, (void)user_data;
    return 0;
}

/* The defaults nnb_train_opts_create() documents, read through the getters. */
START_TEST(train_opts_defaults) {
    nnb_train_opts *o = NULL;
    nnbt_ok(nnb_train_opts_create(&o));
    size_t z = 99, z2 = 99;
    int i = 99;
    double d = -1, d2 = -1, d3 = -1;
    nnbt_ok(nnb_train_opts_get_epochs(o, &z));
    ck_assert_uint_eq(z, 10);
    nnbt_ok(nnb_train_opts_get_batch_size(o, &z));
    ck_assert_uint_eq(z, 32);
    nnbt_ok(nnb_train_opts_get_shuffle(o, &i));
    ck_assert_int_eq(i, 1);
    nnb_loss l = NNB_LOSS_CE;
    nnb_reduction r = NNB_REDUCTION_SUM;
    nnbt_ok(nnb_train_opts_get_loss(o, &l, &r));
    ck_assert_int_eq(l, NNB_LOSS_SSE);
    ck_assert_int_eq(r, NNB_REDUCTION_MEAN);
    nnb_optimizer opt = NNB_OPT_LM;
    nnbt_ok(nnb_train_opts_get_optimizer(o, &opt, &d));
    ck_assert_int_eq(opt, NNB_OPT_SGD);
    ck_assert_double_eq(d, 0.01);
    nnbt_ok(nnb_train_opts_get_momentum(o, &d));
    ck_assert_double_eq(d, 0.9);
    nnbt_ok(nnb_train_opts_get_adam(o, &d, &d2, &d3));
    ck_assert(d == 0.9 && d2 == 0.999 && d3 == 1e-8);
    nnbt_ok(nnb_train_opts_get_rmsprop(o, &d, &d2));
    ck_assert(d == 0.99 && d2 == 1e-8);
    nnbt_ok(nnb_train_opts_get_weight_decay(o, &d));
    ck_assert_double_eq(d, 0);
    nnbt_ok(nnb_train_opts_get_clip_norm(o, &d));
    ck_assert_double_eq(d, 0);
    nnbt_ok(nnb_train_opts_get_clip_value(o, &d));
    ck_assert_double_eq(d, 0);
    nnbt_ok(nnb_train_opts_get_dropout(o, &d));
    ck_assert_double_eq(d, 0);
    nnb_schedule s = NNB_SCHED_STEP;
    nnbt_ok(nnb_train_opts_get_schedule(o, &s, &d, &d2));
    ck_assert(s == NNB_SCHED_CONSTANT && d == 0 && d2 == 0);
    nnbt_ok(nnb_train_opts_get_restart_mult(o, &d));
    ck_assert_double_eq(d, 1);
    const double *vx = (const double *)o, *vy = (const double *)o;
    nnbt_ok(nnb_train_opts_get_validation(o, &vx, &vy, &z));
    ck_assert(vx == NULL && vy == NULL && z == 0);
    uint64_t seed = 7;
    nnbt_ok(nnb_train_opts_get_validation_split(o, &d, &seed));
    ck_assert(d == 0 && seed == 0);
    nnbt_ok(nnb_train_opts_get_early_stopping(o, &z, &i));
    ck_assert(z == 0 && i == 1);
    nnbt_ok(nnb_train_opts_get_check_finite(o, &i));
    ck_assert_int_eq(i, 0);
    nnb_epoch_info_fn ef = epoch_info_cb;
    nnb_batch_fn bf = batch_cb;
    void *ud = o;
    nnbt_ok(nnb_train_opts_get_epoch_info_callback(o, &ef, &ud));
    ck_assert(ef == NULL && ud == NULL);
    ud = o;
    nnbt_ok(nnb_train_opts_get_batch_callback(o, &bf, &ud));
    ck_assert(bf == NULL && ud == NULL);
    ck_assert_int_eq(nnb_train_opts_stop_requested(o), 0);
    nnbt_ok(nnb_train_opts_get_shard(o, &z, &z2));
    ck_assert(z == 0 && z2 == 1);
    nnb_allreduce_fn af = allreduce_cb;
    nnb_allreduce_f32_fn af32 = allreduce32_cb;
    nnb_grad_ready_fn gf = grad_ready_cb;
    nnb_grad_ready_f32_fn gf32 = grad_ready32_cb;
    ud = o;
    nnbt_ok(nnb_train_opts_get_allreduce(o, &af, &ud));
    ck_assert(af == NULL && ud == NULL);
    ud = o;
    nnbt_ok(nnb_train_opts_get_allreduce_f32(o, &af32, &ud));
    ck_assert(af32 == NULL && ud == NULL);
    ud = o;
    nnbt_ok(nnb_train_opts_get_grad_ready(o, &gf, &z, &ud));
    ck_assert(gf == NULL && z == 0 && ud == NULL);
    ud = o;
    nnbt_ok(nnb_train_opts_get_grad_ready_f32(o, &gf32, &z, &ud));
    ck_assert(gf32 == NULL && z == 0 && ud == NULL);
    nnb_train_opts_free(o);
}
END_TEST

/* Non-default values, one setter after another. */
static void set_all(nnb_train_opts *o, const double *vx, const double *vy, int *ud) {
    nnbt_ok(nnb_train_opts_set_epochs(o, 7));
    nnbt_ok(nnb_train_opts_set_batch_size(o, 5));
    nnbt_ok(nnb_train_opts_set_shuffle(o, 0));
    nnbt_ok(nnb_train_opts_set_loss(o, NNB_LOSS_BCE, NNB_REDUCTION_SUM));
    nnbt_ok(nnb_train_opts_set_optimizer(o, NNB_OPT_ADAMW, 0.003));
    nnbt_ok(nnb_train_opts_set_momentum(o, 0.5));
    nnbt_ok(nnb_train_opts_set_adam(o, 0.8, 0.95, 1e-6));
    nnbt_ok(nnb_train_opts_set_rmsprop(o, 0.7, 1e-5));
    nnbt_ok(nnb_train_opts_set_weight_decay(o, 0.25));
    nnbt_ok(nnb_train_opts_set_clip_norm(o, 3.5));
    nnbt_ok(nnb_train_opts_set_clip_value(o, 0.75));
    nnbt_ok(nnb_train_opts_set_dropout(o, 0.125));
    nnbt_ok(nnb_train_opts_set_schedule(o, NNB_SCHED_COSINE_RESTARTS, 4, 0.001));
    nnbt_ok(nnb_train_opts_set_restart_mult(o, 2));
    nnbt_ok(nnb_train_opts_set_validation(o, vx, vy, 3));
    nnbt_ok(nnb_train_opts_set_early_stopping(o, 6, 0));
    nnbt_ok(nnb_train_opts_set_check_finite(o, 1));
    nnbt_ok(nnb_train_opts_set_epoch_info_callback(o, epoch_info_cb, ud));
    nnbt_ok(nnb_train_opts_set_batch_callback(o, batch_cb, ud + 1));
    nnbt_ok(nnb_train_opts_set_shard(o, 2, 5));
    nnbt_ok(nnb_train_opts_set_allreduce(o, allreduce_cb, ud + 2));
    nnbt_ok(nnb_train_opts_set_allreduce_f32(o, allreduce32_cb, ud + 3));
    nnbt_ok(nnb_train_opts_set_grad_ready(o, grad_ready_cb, 1000, ud + 4));
    nnbt_ok(nnb_train_opts_set_grad_ready_f32(o, grad_ready32_cb, 2000, ud + 5));
    nnb_train_opts_request_stop(o);
}

/* What set_all() set, read back (through a copy too). */
static void check_all(const nnb_train_opts *o, const double *vx, const double *vy, int *ud) {
    size_t z = 0, z2 = 0;
    int i = -1;
    double d = -1, d2 = -1, d3 = -1;
    nnbt_ok(nnb_train_opts_get_epochs(o, &z));
    ck_assert_uint_eq(z, 7);
    nnbt_ok(nnb_train_opts_get_batch_size(o, &z));
    ck_assert_uint_eq(z, 5);
    nnbt_ok(nnb_train_opts_get_shuffle(o, &i));
    ck_assert_int_eq(i, 0);
    nnb_loss l;
    nnb_reduction r;
    nnbt_ok(nnb_train_opts_get_loss(o, &l, &r));
    ck_assert(l == NNB_LOSS_BCE && r == NNB_REDUCTION_SUM);
    nnb_optimizer opt;
    nnbt_ok(nnb_train_opts_get_optimizer(o, &opt, &d));
    ck_assert(opt == NNB_OPT_ADAMW && d == 0.003);
    nnbt_ok(nnb_train_opts_get_momentum(o, &d));
    ck_assert_double_eq(d, 0.5);
    nnbt_ok(nnb_train_opts_get_adam(o, &d, &d2, &d3));
    ck_assert(d == 0.8 && d2 == 0.95 && d3 == 1e-6);
    nnbt_ok(nnb_train_opts_get_rmsprop(o, &d, &d2));
    ck_assert(d == 0.7 && d2 == 1e-5);
    nnbt_ok(nnb_train_opts_get_weight_decay(o, &d));
    ck_assert_double_eq(d, 0.25);
    nnbt_ok(nnb_train_opts_get_clip_norm(o, &d));
    ck_assert_double_eq(d, 3.5);
    nnbt_ok(nnb_train_opts_get_clip_value(o, &d));
    ck_assert_double_eq(d, 0.75);
    nnbt_ok(nnb_train_opts_get_dropout(o, &d));
    ck_assert_double_eq(d, 0.125);
    nnb_schedule s;
    nnbt_ok(nnb_train_opts_get_schedule(o, &s, &d, &d2));
    ck_assert(s == NNB_SCHED_COSINE_RESTARTS && d == 4 && d2 == 0.001);
    nnbt_ok(nnb_train_opts_get_restart_mult(o, &d));
    ck_assert_double_eq(d, 2);
    const double *gx = NULL, *gy = NULL;
    nnbt_ok(nnb_train_opts_get_validation(o, &gx, &gy, &z));
    ck_assert(gx == vx && gy == vy && z == 3);
    nnbt_ok(nnb_train_opts_get_early_stopping(o, &z, &i));
    ck_assert(z == 6 && i == 0);
    nnbt_ok(nnb_train_opts_get_check_finite(o, &i));
    ck_assert_int_eq(i, 1);
    nnb_epoch_info_fn ef = NULL;
    nnb_batch_fn bf = NULL;
    void *u = NULL;
    nnbt_ok(nnb_train_opts_get_epoch_info_callback(o, &ef, &u));
    ck_assert(ef == epoch_info_cb && u == ud);
    nnbt_ok(nnb_train_opts_get_batch_callback(o, &bf, &u));
    ck_assert(bf == batch_cb && u == ud + 1);
    nnbt_ok(nnb_train_opts_get_shard(o, &z, &z2));
    ck_assert(z == 2 && z2 == 5);
    nnb_allreduce_fn af = NULL;
    nnb_allreduce_f32_fn af32 = NULL;
    nnb_grad_ready_fn gf = NULL;
    nnb_grad_ready_f32_fn gf32 = NULL;
    nnbt_ok(nnb_train_opts_get_allreduce(o, &af, &u));
    ck_assert(af == allreduce_cb && u == ud + 2);
    nnbt_ok(nnb_train_opts_get_allreduce_f32(o, &af32, &u));
    ck_assert(af32 == allreduce32_cb && u == ud + 3);
    nnbt_ok(nnb_train_opts_get_grad_ready(o, &gf, &z, &u));
    ck_assert(gf == grad_ready_cb && z == 1000 && u == ud + 4);
    nnbt_ok(nnb_train_opts_get_grad_ready_f32(o, &gf32, &z, &u));
    ck_assert(gf32 == grad_ready32_cb && z == 2000 && u == ud + 5);
    ck_assert_int_eq(nnb_train_opts_stop_requested(o), 1);
}

START_TEST(train_opts_read_back) {
    nnb_train_opts *o = NULL, *c = NULL;
    double vx[6] = {0}, vy[3] = {0};
    int ud[6];
    nnbt_ok(nnb_train_opts_create(&o));
    set_all(o, vx, vy, ud);
    check_all(o, vx, vy, ud);
    nnbt_ok(nnb_train_opts_copy(&c, o));
    check_all(c, vx, vy, ud);
    /* a refused value leaves what the getter gives */
    size_t z = 0;
    nnbt_expect(nnb_train_opts_set_epochs(o, 0), NNB_E_INVALID_ARG, "epochs is 0");
    nnbt_ok(nnb_train_opts_get_epochs(o, &z));
    ck_assert_uint_eq(z, 7);
    double d = 0;
    nnbt_expect(nnb_train_opts_set_dropout(o, 1.0), NNB_E_INVALID_ARG, "dropout");
    nnbt_ok(nnb_train_opts_get_dropout(o, &d));
    ck_assert_double_eq(d, 0.125);
    /* the stop request, withdrawn, on one handle only */
    nnb_train_opts_clear_stop(o);
    ck_assert_int_eq(nnb_train_opts_stop_requested(o), 0);
    ck_assert_int_eq(nnb_train_opts_stop_requested(c), 1);
    ck_assert_int_eq(nnb_train_opts_stop_requested(NULL), 0);
    /* a validation split replaces the set, and the getters say so */
    const double *gx = vx;
    nnbt_ok(nnb_train_opts_set_validation_split(o, 0.2, 99));
    uint64_t seed = 0;
    nnbt_ok(nnb_train_opts_get_validation_split(o, &d, &seed));
    ck_assert(d == 0.2 && seed == 99);
    nnbt_ok(nnb_train_opts_get_validation(o, &gx, NULL, &z));
    ck_assert(gx == NULL && z == 0);
    /* the positional (deprecated) epoch callback is not the record's */
    nnb_epoch_info_fn ef = epoch_info_cb;
    void *u = o;
    nnbt_ok(nnb_train_opts_set_epoch_info_callback(o, NULL, ud));
    nnbt_ok(nnb_train_opts_get_epoch_info_callback(o, &ef, &u));
    ck_assert(ef == NULL && u == NULL);
    nnb_train_opts_free(c);
    nnb_train_opts_free(o);
}
END_TEST

/* Every getter: NNB_E_NULL for a NULL handle, and NULL out-pointers are skipped. */
START_TEST(train_opts_getters_null) {
    size_t z;
    nnbt_expect(nnb_train_opts_get_epochs(NULL, &z), NNB_E_NULL, "nnb_train_opts_get_epochs");
    nnbt_expect(nnb_train_opts_get_grad_ready_f32(NULL, NULL, NULL, NULL), NNB_E_NULL,
                "nnb_train_opts_get_grad_ready_f32");
    nnbt_expect(nnb_train_opts_get_schedule(NULL, NULL, NULL, NULL), NNB_E_NULL, "opts");
    nnb_train_opts *o = NULL;
    nnbt_ok(nnb_train_opts_create(&o));
    nnbt_ok(nnb_train_opts_get_epochs(o, NULL));
    nnbt_ok(nnb_train_opts_get_batch_size(o, NULL));
    nnbt_ok(nnb_train_opts_get_shuffle(o, NULL));
    nnbt_ok(nnb_train_opts_get_loss(o, NULL, NULL));
    nnbt_ok(nnb_train_opts_get_optimizer(o, NULL, NULL));
    nnbt_ok(nnb_train_opts_get_momentum(o, NULL));
    nnbt_ok(nnb_train_opts_get_adam(o, NULL, NULL, NULL));
    nnbt_ok(nnb_train_opts_get_rmsprop(o, NULL, NULL));
    nnbt_ok(nnb_train_opts_get_weight_decay(o, NULL));
    nnbt_ok(nnb_train_opts_get_clip_norm(o, NULL));
    nnbt_ok(nnb_train_opts_get_clip_value(o, NULL));
    nnbt_ok(nnb_train_opts_get_dropout(o, NULL));
    nnbt_ok(nnb_train_opts_get_schedule(o, NULL, NULL, NULL));
    nnbt_ok(nnb_train_opts_get_restart_mult(o, NULL));
    nnbt_ok(nnb_train_opts_get_validation(o, NULL, NULL, NULL));
    nnbt_ok(nnb_train_opts_get_validation_split(o, NULL, NULL));
    nnbt_ok(nnb_train_opts_get_early_stopping(o, NULL, NULL));
    nnbt_ok(nnb_train_opts_get_check_finite(o, NULL));
    nnbt_ok(nnb_train_opts_get_epoch_info_callback(o, NULL, NULL));
    nnbt_ok(nnb_train_opts_get_batch_callback(o, NULL, NULL));
    nnbt_ok(nnb_train_opts_get_shard(o, NULL, NULL));
    nnbt_ok(nnb_train_opts_get_allreduce(o, NULL, NULL));
    nnbt_ok(nnb_train_opts_get_allreduce_f32(o, NULL, NULL));
    nnbt_ok(nnb_train_opts_get_grad_ready(o, NULL, NULL, NULL));
    nnbt_ok(nnb_train_opts_get_grad_ready_f32(o, NULL, NULL, NULL));
    nnb_train_opts_free(o);
}
END_TEST

/* The getters of the network's, the preparation's and the CSV options' setters. */
START_TEST(other_getters) {
    nnb_net *net = NULL;
    nnbt_ok(nnb_net_create(&net, 3));
    nnbt_ok(nnb_net_add_dense(net, 4, NNB_ACT_LEAKY_RELU, 1));
    nnbt_ok(nnb_net_add_dense(net, 1, NNB_ACT_IDENTITY, 1));
    double slope = 0;
    nnbt_ok(nnb_net_get_leaky_slope(net, 0, &slope));
    ck_assert_double_eq(slope, 0.01);
    nnbt_ok(nnb_net_set_leaky_slope(net, 0, 0.25));
    nnbt_ok(nnb_net_get_leaky_slope(net, 0, &slope));
    ck_assert_double_eq(slope, 0.25);
    nnbt_expect(nnb_net_set_leaky_slope(net, 0, -1), NNB_E_INVALID_ARG, "slope");
    nnbt_ok(nnb_net_get_leaky_slope(net, 0, NULL));
    nnbt_ok(nnb_net_get_leaky_slope(net, 0, &slope));
    ck_assert_double_eq(slope, 0.25);
    nnbt_expect(nnb_net_get_leaky_slope(net, 1, &slope), NNB_E_INVALID_ARG, "not a leaky-ReLU");
    nnbt_expect(nnb_net_get_leaky_slope(net, 2, &slope), NNB_E_INVALID_ARG, "does not exist");
    nnbt_expect(nnb_net_get_leaky_slope(NULL, 0, &slope), NNB_E_NULL, "net");
    int on = 7;
    nnbt_ok(nnb_net_get_check_finite(net, &on));
    ck_assert_int_eq(on, 0);
    nnbt_ok(nnb_net_set_check_finite(net, 5));
    nnbt_ok(nnb_net_get_check_finite(net, &on));
    ck_assert_int_eq(on, 1);
    nnbt_expect(nnb_net_get_check_finite(NULL, &on), NNB_E_NULL, "net");
    /* through a model file: the slope is saved, the flag is not (a loaded network starts with 0) */
    size_t size = nnb_model_write_size(net, NULL, NULL, 0);
    unsigned char *buf = malloc(size);
    nnbt_ok(nnb_model_write_buffer(net, NULL, NULL, 0, buf, size, NULL));
    nnb_net *back = NULL;
    nnbt_ok(nnb_model_read_buffer(&back, NULL, NULL, buf, size));
    nnbt_ok(nnb_net_get_leaky_slope(back, 0, &slope));
    nnbt_ok(nnb_net_get_check_finite(back, &on));
    ck_assert(slope == 0.25 && on == 0);
    free(buf);
    nnb_net_free(back);
    nnb_net_free(net);

    nnb_prep *p = NULL;
    nnb_unseen u = NNB_UNSEEN_ZERO;
    nnbt_ok(nnb_prep_create(&p));
    nnbt_ok(nnb_prep_get_unseen(p, &u));
    ck_assert_int_eq(u, NNB_UNSEEN_ERROR);
    nnbt_ok(nnb_prep_set_unseen(p, NNB_UNSEEN_ZERO));
    nnbt_ok(nnb_prep_get_unseen(p, &u));
    ck_assert_int_eq(u, NNB_UNSEEN_ZERO);
    nnbt_expect(nnb_prep_set_unseen(p, (nnb_unseen)9), NNB_E_INVALID_ARG, "policy");
    nnbt_ok(nnb_prep_get_unseen(p, &u));
    ck_assert_int_eq(u, NNB_UNSEEN_ZERO);
    nnbt_expect(nnb_prep_get_unseen(NULL, &u), NNB_E_NULL, "prep");
    nnb_prep_free(p);

    nnb_csv_opts *o = NULL;
    char d = 0;
    int drop = 9;
    size_t limit = 9;
    nnbt_ok(nnb_csv_opts_create(&o));
    nnbt_ok(nnb_csv_opts_get_delimiter(o, &d));
    nnbt_ok(nnb_csv_opts_get_drop_bad_rows(o, &drop));
    nnbt_ok(nnb_csv_opts_get_input_limit(o, &limit));
    ck_assert(d == ',' && drop == 0 && limit == 0);
    nnbt_ok(nnb_csv_opts_set_delimiter(o, '\t'));
    nnbt_ok(nnb_csv_opts_set_drop_bad_rows(o, 1));
    nnbt_ok(nnb_csv_opts_set_input_limit(o, 12345));
    nnbt_expect(nnb_csv_opts_set_delimiter(o, '"'), NNB_E_INVALID_ARG, "delimiter");
    nnbt_ok(nnb_csv_opts_get_delimiter(o, &d));
    nnbt_ok(nnb_csv_opts_get_drop_bad_rows(o, &drop));
    nnbt_ok(nnb_csv_opts_get_input_limit(o, &limit));
    ck_assert(d == '\t' && drop == 1 && limit == 12345);
    nnbt_ok(nnb_csv_opts_get_delimiter(o, NULL));
    nnbt_expect(nnb_csv_opts_get_delimiter(NULL, &d), NNB_E_NULL, "opts");
    nnbt_expect(nnb_csv_opts_get_drop_bad_rows(NULL, &drop), NNB_E_NULL, "opts");
    nnbt_expect(nnb_csv_opts_get_input_limit(NULL, &limit), NNB_E_NULL, "opts");
    nnb_csv_opts_free(o);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("naming");
    TCase *tc = tcase_create("getters");
    tcase_add_test(tc, train_opts_defaults);
    tcase_add_test(tc, train_opts_read_back);
    tcase_add_test(tc, train_opts_getters_null);
    tcase_add_test(tc, other_getters);
    suite_add_tcase(s, tc);
    return s;
}

NNBT_MAIN(suite, 0)
