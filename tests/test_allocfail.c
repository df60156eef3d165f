/*
 * Allocation-failure injection. This program interposes the allocator (glibc lets a program
 * replace malloc for the library and for libc itself) and, for every N, makes the N-th allocation
 * of a scenario fail: creating and initialising a network, training its first epoch, reading a
 * CSV and fitting a preparation, reading an IDX file, saving and loading model files, float32
 * networks (every float entry point, conversion, training, a 1.1 model), exports (ONNX, C source,
 * int8). Every N must end in NNB_E_NOMEM (never a
 * crash or another status) — or in a complete success where the failed allocation was one the
 * code may do without (a shrinking realloc that gives back slack) — leak nothing (the interposer
 * tracks every block the scenario allocated), and leave the objects usable or freed. (Skipped under AddressSanitizer, which owns
 * malloc; valgrind and LeakSanitizer check leaks on the other suites.)
 */
#include <string.h>
#include <zlib.h>

#include "nnb_failalloc.h"
#include "nnb_test.h"

#define INTERPOSE NNBT_FA_AVAILABLE

/* ---- scenarios: each returns the first failing status (NNB_OK if none) and frees everything ---- */

typedef nnb_status (*scenario)(void *ctx);

static nnb_status sc_create(void *ctx) {
    (void)ctx;
    nnb_net *net = NULL;
    nnb_status st = nnb_net_create(&net, 6);
    if (st == NNB_OK) st = nnb_net_add_dense(net, 9, NNB_ACT_TANH, 1);
    if (st == NNB_OK) st = nnb_net_add_dense(net, 4, NNB_ACT_RELU, 1);
    if (st == NNB_OK) st = nnb_net_add_dense(net, 3, NNB_ACT_SOFTMAX, 1);
    if (st == NNB_OK) st = nnb_net_init(net, NNB_INIT_ORTHOGONAL, 3);
    double x[2 * 6] = {0}, out[6];
    if (st == NNB_OK) st = nnb_net_forward(net, x, 2, 6, out, 6);
    if (st == NNB_OK) st = nnb_net_predict(net, x, 2, 6, out, 6);
    nnb_net_free(net);
    return st;
}

typedef struct {
    nnb_activation out;
    double x[40 * 4], y[40 * 2];
    int unusable; /* set when a network could not predict after a failed call */
} train_ctx;

/* A network built outside the failure window's interesting part, trained for one epoch (or one
 * LM iteration); after a failure the network must still predict (with the allocator healthy
 * again: the failure was a single allocation). Everything is freed at the end. */
static nnb_status train_scenario(train_ctx *c, int lm) {
    nnb_net *net = NULL;
    nnb_train_opts *o = NULL;
    nnb_history *h = NULL;
    nnb_status st = nnb_net_create(&net, 4);
    if (st == NNB_OK) st = nnb_net_add_dense(net, 6, NNB_ACT_TANH, 1);
    if (st == NNB_OK) st = nnb_net_add_dense(net, 2, c->out, 1);
    if (st != NNB_OK) {
        nnb_net_free(net);
        return st;
    }
    st = nnb_train_opts_create(&o);
    if (st == NNB_OK) st = nnb_history_create(&h);
    if (st == NNB_OK && lm) {
        st = nnb_train_opts_set_optimizer(o, NNB_OPT_LM, 1);
        if (st == NNB_OK) st = nnb_train_opts_set_loss(o, NNB_LOSS_MSE, NNB_REDUCTION_MEAN);
    } else if (st == NNB_OK) {
        st = nnb_train_opts_set_optimizer(o, NNB_OPT_ADAM, 0.01);
        if (st == NNB_OK) st = nnb_train_opts_set_loss(o, NNB_LOSS_CE, NNB_REDUCTION_MEAN);
        if (st == NNB_OK) st = nnb_train_opts_set_dropout(o, 0.2);
        if (st == NNB_OK) st = nnb_train_opts_set_validation_split(o, 0.25, 1);
        if (st == NNB_OK) st = nnb_train_opts_set_early_stopping(o, 3, 1);
        if (st == NNB_OK) st = nnb_train_opts_set_batch_size(o, 8);
    }
    if (st == NNB_OK) st = nnb_train_opts_set_epochs(o, 1);
    if (st == NNB_OK) st = nnb_net_train(net, o, c->x, 40, 4, c->y, 2, h);
    double l;
    if (st == NNB_OK)
        st = nnb_net_evaluate(net, c->x, 40, 4, c->y, 2, lm ? NNB_LOSS_MSE : NNB_LOSS_CE,
                              NNB_REDUCTION_MEAN, &l, NULL);
    if (st != NNB_OK) { /* the network survives the failure */
        double out[80];
        if (nnb_net_predict(net, c->x, 40, 4, out, 80) != NNB_OK || !isfinite(out[0]))
            c->unusable = 1;
    }
    nnb_history_free(h);
    nnb_train_opts_free(o);
    nnb_net_free(net);
    return st;
}

static nnb_status sc_train(void *ctx) { return train_scenario(ctx, 0); }
static nnb_status sc_lm(void *ctx) { return train_scenario(ctx, 1); }

static const char csv[] = "id,color,size,weight,label\n"
                          "1,red,3.5,10,yes\n2,blue,2.5,11,no\n3,red,1.5,12,yes\n"
                          "4,green,4.5,13,no\n5,blue,0.5,14,yes\n6,green,2.0,15,no\n";

static nnb_status sc_csv(void *ctx) {
    (void)ctx;
    nnb_csv_opts *o = NULL;
    nnb_table *t = NULL;
    nnb_prep *p = NULL, *pm = NULL;
    double x[6 * 16], y[6 * 2];
    nnb_status st = nnb_csv_opts_create(&o);
    if (st == NNB_OK) st = nnb_csv_opts_add_text_column(o, "color");
    if (st == NNB_OK) st = nnb_csv_opts_add_text_column(o, "label");
    if (st == NNB_OK) st = nnb_csv_read_buffer(&t, csv, sizeof csv - 1, "mem.csv", o);
    if (st == NNB_OK) st = nnb_prep_create(&p);
    if (st == NNB_OK) st = nnb_prep_add_target(p, "label", NNB_TARGET_ONEHOT);
    if (st == NNB_OK) st = nnb_prep_onehot(p, "id"); /* numeric categories */
    if (st == NNB_OK) st = nnb_prep_onehot(p, "color");
    if (st == NNB_OK) st = nnb_prep_scale(p, "size", NNB_SCALE_STANDARD);
    if (st == NNB_OK) st = nnb_prep_scale(p, "weight", NNB_SCALE_MINMAX);
    if (st == NNB_OK) st = nnb_prep_fit(p, t, NULL, 6);
    if (st == NNB_OK) st = nnb_prep_apply(p, t, NULL, 6, x, sizeof x / sizeof *x, y, 12);
    /* and a matrix preparation of the result */
    if (st == NNB_OK) st = nnb_prep_create(&pm);
    if (st == NNB_OK) st = nnb_prep_fit_matrix(pm, x, 6, nnb_prep_n_features(p), NNB_SCALE_MINMAX);
    if (st == NNB_OK) st = nnb_prep_transform(pm, x, 6, nnb_prep_n_features(p));
    nnb_prep_free(pm);
    nnb_prep_free(p);
    nnb_table_free(t);
    nnb_csv_opts_free(o);
    return st;
}

static char idx_path[4096], csv_path[4096];

static nnb_status sc_files(void *ctx) {
    (void)ctx;
    size_t n, sz, rows, cols;
    double x[5 * 4];
    nnb_status st = nnb_idx_info(idx_path, &n, &sz);
    if (st == NNB_OK) st = nnb_idx_read_images(idx_path, x, 20, &rows, &cols);
    nnb_table *t = NULL;
    nnb_csv_opts *o = NULL;
    if (st == NNB_OK) st = nnb_csv_opts_create(&o);
    if (st == NNB_OK) st = nnb_csv_opts_add_text_column(o, "color");
    if (st == NNB_OK) st = nnb_csv_opts_add_text_column(o, "label");
    if (st == NNB_OK) st = nnb_csv_read(&t, csv_path, o);
    nnb_table_free(t);
    nnb_csv_opts_free(o);
    return st;
}

/* Model files: sizes, a buffer and a file written, both read back (a network with every part:
 * preparation, metadata, training state). */
typedef struct {
    nnbt_model m;
    unsigned char *buf;
    size_t len;
    char path[4096];
} model_ctx;

static nnb_status sc_model(void *vctx) {
    model_ctx *c = vctx;
    nnb_net *net = NULL;
    nnb_prep *prep = NULL;
    nnb_meta *meta = NULL;
    size_t n = nnb_model_write_size(c->m.net, c->m.prep, c->m.meta, 1), written;
    nnb_status st = n == c->len ? NNB_OK : NNB_E_NOMEM;
    if (st == NNB_OK)
        st = nnb_model_write_buffer(c->m.net, c->m.prep, c->m.meta, 1, c->buf, c->len, &written);
    if (st == NNB_OK) st = nnb_model_read_buffer(&net, &prep, &meta, c->buf, c->len);
    nnb_net_free(net), nnb_prep_free(prep), nnb_meta_free(meta);
    net = NULL, prep = NULL, meta = NULL;
    if (st == NNB_OK) st = nnb_model_write(c->path, c->m.net, c->m.prep, c->m.meta, 1);
    if (st == NNB_OK) st = nnb_model_read(&net, &prep, &meta, c->path);
    nnb_net_free(net), nnb_prep_free(prep), nnb_meta_free(meta);
    return st;
}

/* Float32 networks (issue 19): creating one, the float entry points on float and double data in
 * both network types, converting between the types, a training epoch on float data (Adam,
 * dropout, a validation split, early stopping) and a model file of version 1.1 with its training
 * state, written and read back. */
static nnb_status f32_calls(nnb_net *net, const float *x, const double *xd, const float *y,
                            const double *yd) {
    float out[16 * 2], g[64];
    double outd[16 * 2], l, a;
    size_t np = nnb_net_n_params(net);
    nnb_status st = nnb_net_forward_f32(net, x, 16, 3, out, 32);
    if (st == NNB_OK) st = nnb_net_predict_f32(net, x, 16, 3, out, 32);
    if (st == NNB_OK) st = nnb_net_forward(net, xd, 16, 3, outd, 32);
    if (st == NNB_OK) st = nnb_net_predict(net, xd, 16, 3, outd, 32);
    if (st == NNB_OK)
        st = nnb_net_loss_f32(net, x, 16, 3, y, 2, NNB_LOSS_CE, NNB_REDUCTION_MEAN, &l);
    if (st == NNB_OK)
        st = nnb_net_backprop_f32(net, x, 16, 3, y, 2, NNB_LOSS_CE, NNB_REDUCTION_MEAN, &l, g, np);
    if (st == NNB_OK)
        st = nnb_net_evaluate_f32(net, x, 16, 3, y, 2, NNB_LOSS_CE, NNB_REDUCTION_MEAN, &l, &a);
    if (st == NNB_OK)
        st = nnb_net_evaluate(net, xd, 16, 3, yd, 2, NNB_LOSS_CE, NNB_REDUCTION_MEAN, &l, &a);
    if (st == NNB_OK)
        st = nnb_net_backprop(net, xd, 16, 3, yd, 2, NNB_LOSS_CE, NNB_REDUCTION_MEAN, &l, NULL, 0);
    return st;
}

static nnb_status sc_f32(void *ctx) {
    (void)ctx;
    float x[16 * 3], y[16 * 2];
    double xd[16 * 3], yd[16 * 2];
    for (int i = 0; i < 48; i++) xd[i] = x[i] = (float)(i % 7) * 0.25f - 0.7f;
    for (int i = 0; i < 16; i++)
        yd[2 * i] = y[2 * i] = (float)(i % 2), yd[2 * i + 1] = y[2 * i + 1] = (float)(1 - i % 2);
    nnb_net *net = NULL, *n64 = NULL, *back = NULL, *loaded = NULL;
    nnb_train_opts *o = NULL;
    nnb_history *h = NULL;
    unsigned char *buf = NULL;
    nnb_status st = nnb_net_create_dtype(&net, 3, NNB_F32);
    if (st == NNB_OK) st = nnb_net_add_dense(net, 5, NNB_ACT_TANH, 1);
    if (st == NNB_OK) st = nnb_net_add_dense(net, 2, NNB_ACT_SOFTMAX, 1);
    if (st == NNB_OK) st = f32_calls(net, x, xd, y, yd);
    if (st == NNB_OK) st = nnb_net_copy(&n64, net, NNB_F64);
    if (st == NNB_OK) st = f32_calls(n64, x, xd, y, yd);
    if (st == NNB_OK) st = nnb_train_opts_create(&o);
    if (st == NNB_OK) st = nnb_history_create(&h);
    if (st == NNB_OK) st = nnb_train_opts_set_optimizer(o, NNB_OPT_ADAM, 0.01);
    if (st == NNB_OK) st = nnb_train_opts_set_dropout(o, 0.2);
    if (st == NNB_OK) st = nnb_train_opts_set_validation_split(o, 0.25, 1);
    if (st == NNB_OK) st = nnb_train_opts_set_early_stopping(o, 3, 1);
    if (st == NNB_OK) st = nnb_train_opts_set_batch_size(o, 4);
    if (st == NNB_OK) st = nnb_train_opts_set_epochs(o, 1);
    if (st == NNB_OK) st = nnb_net_train_f32(net, o, x, 16, 3, y, 2, h);
    if (st == NNB_OK) st = nnb_net_train(net, o, xd, 16, 3, yd, 2, h);
    if (st == NNB_OK) st = nnb_net_train_f32(n64, o, x, 16, 3, y, 2, h);
    if (st == NNB_OK) st = nnb_net_copy(&back, n64, NNB_F32);
    size_t n = nnb_model_write_size(net, NULL, NULL, 1), written;
    if (st == NNB_OK && n == 0) st = NNB_E_NOMEM; /* the size's own allocation failed */
    if (st == NNB_OK && !(buf = malloc(n))) st = NNB_E_NOMEM;
    if (st == NNB_OK) st = nnb_model_write_buffer(net, NULL, NULL, 1, buf, n, &written);
    if (st == NNB_OK) st = nnb_model_read_buffer(&loaded, NULL, NULL, buf, n);
    if (st == NNB_OK && nnb_net_dtype(loaded) != NNB_F32) st = NNB_E_INTERNAL;
    free(buf);
    nnb_history_free(h);
    nnb_train_opts_free(o);
    nnb_net_free(net), nnb_net_free(n64), nnb_net_free(back), nnb_net_free(loaded);
    return st;
}

/* Exports (lib/export*.c): int8 copy, ONNX and C source of a model with every part. */
static nnb_status sc_export(void *vctx) {
    model_ctx *c = vctx;
    nnb_net *q = NULL;
    nnb_export_opts *o = NULL;
    char onnx[4200], src[4200];
    snprintf(onnx, sizeof onnx, "%s.onnx", c->path);
    snprintf(src, sizeof src, "%s.c", c->path);
    nnb_status st = nnb_net_copy_int8(&q, c->m.net);
    if (st == NNB_OK) st = nnb_export_opts_create(&o);
    if (st == NNB_OK) st = nnb_export_opts_set_int8(o, 1);
    if (st == NNB_OK) st = nnb_onnx_write(onnx, c->m.net, c->m.prep, c->m.meta, o);
    if (st == NNB_OK) st = nnb_c_source_write(src, NULL, c->m.net, c->m.prep, c->m.meta, o);
    nnb_export_opts_free(o);
    nnb_net_free(q);
    return st;
}

/* A convolutional network trained with 2 threads (lib/team.c: the second thread's workspace and
 * gradient, the thread itself): a failure is NNB_E_NOMEM, or the run goes on alone. */
static nnb_status sc_cnn_team(void *ctx) {
    (void)ctx;
    enum { R = 24, F = 2 * 4 * 4 };
    double x[R * F], y[R * 2];
    for (int i = 0; i < R * F; i++) x[i] = (double)(i % 9) * 0.2 - 0.8;
    for (int i = 0; i < R; i++) y[2 * i] = i % 2, y[2 * i + 1] = 1 - i % 2;
    nnb_window c = {3, 3, 1, 1, 1, 1, 1, 1, 0}, p = {2, 2, 2, 2, 0, 0, 0, 0, 0};
    nnb_net *net = NULL;
    nnb_train_opts *o = NULL;
    nnb_status st = nnb_set_num_threads(2);
    if (st == NNB_OK) st = nnb_net_create(&net, F);
    if (st == NNB_OK) st = nnb_net_set_input_shape(net, 2, 4, 4);
    if (st == NNB_OK) st = nnb_net_add_conv2d(net, 3, &c, NNB_ACT_RELU, 1);
    if (st == NNB_OK) st = nnb_net_add_maxpool(net, &p);
    if (st == NNB_OK) st = nnb_net_add_dense(net, 2, NNB_ACT_SOFTMAX, 1);
    if (st == NNB_OK) st = nnb_net_init(net, NNB_INIT_HE_NORMAL, 1);
    if (st == NNB_OK) st = nnb_train_opts_create(&o);
    if (st == NNB_OK) st = nnb_train_opts_set_batch_size(o, 8);
    if (st == NNB_OK) st = nnb_train_opts_set_dropout(o, 0.2);
    if (st == NNB_OK) st = nnb_train_opts_set_validation_split(o, 0.25, 1);
    if (st == NNB_OK) st = nnb_train_opts_set_epochs(o, 1);
    if (st == NNB_OK) st = nnb_net_train(net, o, x, R, F, y, 2, NULL);
    nnb_train_opts_free(o);
    nnb_net_free(net);
    nnb_set_num_threads(0);
    return st;
}

/* Runs a scenario with every allocation failing in turn. */
static void every_failure(const char *name, scenario sc, void *ctx, void (*after)(void *)) {
    nnbt_fa_begin(0);
    nnb_status st = sc(ctx);
    long leaked = nnbt_fa_end(), total = nnbt_fa_count();
    ck_assert_msg(st == NNB_OK, "%s without failures: %s (%s)", name, nnb_status_name(st),
                  nnb_last_error());
    ck_assert_msg(leaked == 0, "%s leaks %ld blocks without failures", name, leaked);
    ck_assert_msg(total > 0, "%s allocates nothing?", name);
    long tolerated = 0;
    for (long n = 1; n <= total; n++) {
        nnbt_fa_begin(n);
        nnb_clear_error();
        st = sc(ctx);
        leaked = nnbt_fa_end();
        ck_assert_msg(nnbt_fa_injected(), "%s: allocation %ld never happened", name, n);
        if (st == NNB_OK)
            tolerated++;
        else
            ck_assert_msg(st == NNB_E_NOMEM, "%s: allocation %ld of %ld failed, status %s (%s)",
                          name, n, total, nnb_status_name(st), nnb_last_error());
        ck_assert_msg(leaked == 0, "%s: allocation %ld failed, %ld blocks leaked", name, n, leaked);
        if (after) after(ctx);
    }
    ck_assert_msg(tolerated <= 1, "%s: %ld failed allocations went unreported", name, tolerated);
    fprintf(stderr,
            "%s: each of %ld allocations failed in turn: NNB_E_NOMEM (%ld done without), no leak\n",
            name, total, tolerated);
}

START_TEST(create_and_init) { every_failure("create", sc_create, NULL, NULL); }
END_TEST

static void still_usable(void *vctx) {
    train_ctx *c = vctx;
    ck_assert_msg(!c->unusable, "the network could not predict after a failed training call");
}

static train_ctx *make_train_ctx(nnb_activation out) {
    train_ctx *c = calloc(1, sizeof *c);
    nnbt_rng r = {3};
    for (int i = 0; i < 160; i++) c->x[i] = nnbt_normal(&r);
    for (int i = 0; i < 40; i++) c->y[i * 2 + i % 2] = 1;
    c->out = out;
    return c;
}

START_TEST(train_first_epoch) {
    train_ctx *c = make_train_ctx(NNB_ACT_SOFTMAX);
    every_failure("train", sc_train, c, still_usable);
    free(c);
    c = make_train_ctx(NNB_ACT_SIGMOID);
    every_failure("levenberg-marquardt", sc_lm, c, still_usable);
    free(c);
}
END_TEST

START_TEST(cnn_training_threads) {
    /* once first, uncounted: OpenBLAS's pool at 2 threads and glibc's cache of thread stacks
     * (kept for the next thread, not leaked) are made once per process */
    nnbt_ok(sc_cnn_team(NULL));
    every_failure("cnn team", sc_cnn_team, NULL, NULL);
}
END_TEST

START_TEST(read_data) { every_failure("csv+prep", sc_csv, NULL, NULL); }
END_TEST

START_TEST(read_files) {
    /* a gzipped IDX file of 5 images of 2x2, and the CSV on disk */
    unsigned char idx[16 + 20] = {0, 0, 8, 3, 0, 0, 0, 5, 0, 0, 0, 2, 0, 0, 0, 2};
    for (int i = 0; i < 20; i++) idx[16 + i] = (unsigned char)(i * 12);
    nnbt_tmp_path(idx_path, sizeof idx_path, "allocfail-idx.gz");
    gzFile gz = gzopen(idx_path, "wb");
    ck_assert_ptr_nonnull(gz);
    ck_assert_int_eq(gzwrite(gz, idx, sizeof idx), (int)sizeof idx);
    gzclose(gz);
    nnbt_tmp_path(csv_path, sizeof csv_path, "allocfail.csv");
    ck_assert(nnbt_write_file(csv_path, csv, sizeof csv - 1));
    every_failure("files", sc_files, NULL, NULL);
}
END_TEST

START_TEST(float32_networks) { every_failure("float32", sc_f32, NULL, NULL); }
END_TEST

START_TEST(model_files) {
    model_ctx *c = calloc(1, sizeof *c);
    nnbt_model_make(&c->m, 1);
    c->len = nnb_model_write_size(c->m.net, c->m.prep, c->m.meta, 1);
    c->buf = malloc(c->len);
    nnbt_tmp_path(c->path, sizeof c->path, "allocfail.nnb");
    every_failure("model files", sc_model, c, NULL);
    free(c->buf);
    nnbt_model_free(&c->m);
    free(c);
}
END_TEST

START_TEST(exports) {
    model_ctx *c = calloc(1, sizeof *c);
    nnbt_model_make(&c->m, 1);
    nnbt_tmp_path(c->path, sizeof c->path, "allocfail-export");
    every_failure("exports", sc_export, c, NULL);
    nnbt_model_free(&c->m);
    free(c);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("allocfail");
    TCase *tc = tcase_create("every allocation fails in turn");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, create_and_init);
    tcase_add_test(tc, train_first_epoch);
    tcase_add_test(tc, cnn_training_threads);
    tcase_add_test(tc, read_data);
    tcase_add_test(tc, read_files);
    tcase_add_test(tc, model_files);
    tcase_add_test(tc, float32_networks);
    tcase_add_test(tc, exports);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    if (!INTERPOSE) {
        fprintf(stderr, "skipped: the allocator cannot be interposed under AddressSanitizer\n");
        return 77;
    }
    /* Warm up lazily initialised state (OpenBLAS buffers, the kernel choice, locales) so that the
     * scenarios' allocation counts are their own. */
    sc_create(NULL);
    sc_csv(NULL);
    sc_f32(NULL);
    setenv("CK_FORK", "no", 1); /* the interposer's state lives in this process */
    return nnbt_run(suite(), 0);
}
