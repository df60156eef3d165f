/*
 * Reliability at the library level (issue 14's families): counts too large to serve, divergence,
 * non-finite models, saves onto what is not a regular file, input byte limits, stopping
 * nnb_net_train() cleanly, and resumed training that equals a straight run bit for bit with early
 * stopping, dropout, validation and every optimiser, in both element types (loop tests whose _i
 * picks the type); then the same families on what float32 added (tcase "float32 under attack").
 * The command's side is tests/hostile.py.
 */
#define _GNU_SOURCE /* memmem */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nnb_test.h"

/* Two noisy blobs: 2 inputs, one 0/1 target. */
static void blobs(double *x, double *y, size_t n, uint64_t seed) {
    nnbt_rng r = {seed};
    for (size_t i = 0; i < n; i++) {
        int c = nnbt_uniform(&r) < 0.5;
        x[2 * i] = nnbt_normal(&r) + (c ? 1.0 : -1.0);
        x[2 * i + 1] = nnbt_normal(&r) - (c ? 0.5 : -0.5);
        y[i] = c;
    }
}

static nnb_net *net_2_h_1_t(nnb_dtype t, size_t hidden, nnb_activation out, uint64_t seed) {
    nnb_net *net;
    nnbt_ok(nnb_net_create_dtype(&net, 2, t));
    nnbt_ok(nnb_net_add_dense(net, hidden, NNB_ACT_TANH, 1));
    nnbt_ok(nnb_net_add_dense(net, 1, out, 1));
    nnbt_ok(nnb_net_init(net, NNB_INIT_XAVIER_UNIFORM, seed));
    return net;
}

static nnb_net *net_2_h_1(size_t hidden, nnb_activation out, uint64_t seed) {
    return net_2_h_1_t(NNB_F64, hidden, out, seed);
}

/* nnb_net_train on double data (a float64 network) or nnb_net_train_f32 on the same values as floats (a
 * float32 network: its data in its own type). */
static nnb_status train_t(nnb_net *net, const nnb_train_opts *o, const double *x, size_t rows,
                          size_t x_cols, const double *y, size_t y_cols, nnb_history *h) {
    if (nnb_net_dtype(net) != NNB_F32) return nnb_net_train(net, o, x, rows, x_cols, y, y_cols, h);
    float *xf = malloc(rows * x_cols * sizeof *xf), *yf = malloc(rows * y_cols * sizeof *yf);
    ck_assert(xf && yf);
    for (size_t i = 0; i < rows * x_cols; i++) xf[i] = (float)x[i];
    for (size_t i = 0; i < rows * y_cols; i++) yf[i] = (float)y[i];
    nnb_status st = nnb_net_train_f32(net, o, xf, rows, x_cols, yf, y_cols, h);
    free(xf), free(yf);
    return st;
}

static double *params_of(const nnb_net *net) {
    size_t n = nnb_net_n_params(net);
    double *p = malloc(n * sizeof *p);
    nnbt_ok(nnb_net_params_get(net, p, n));
    return p;
}

/* ---- 1. counts too large ------------------------------------------------------------------ */

static int stop_after_3(const nnb_net *net, size_t epoch, double tl, double vl, double ta,
                        double va, double s, double sps, int up, void *ud) {
    (void)net, (void)tl, (void)vl, (void)ta, (void)va, (void)s, (void)sps, (void)up, (void)ud;
    return epoch >= 3;
}

/* 2^58 + 1 epochs (the issue's --epochs 288230376151711745): nothing proportional to the
 * epochs is reserved (the history's size would wrap), the run is cancelled after 3 epochs with a
 * history of 3; an epoch count that overflows the network's counter is NNB_E_TOO_LARGE. */
START_TEST(huge_epoch_counts) {
    double x[32 * 2], y[32];
    blobs(x, y, 32, 1);
    nnb_net *net = net_2_h_1(4, NNB_ACT_SIGMOID, 1);
    nnb_train_opts *o;
    nnbt_ok(nnb_train_opts_create(&o));
    nnbt_ok(nnb_train_opts_set_loss(o, NNB_LOSS_BCE, NNB_REDUCTION_MEAN));
    nnbt_ok(nnb_train_opts_set_epochs(o, ((size_t)1 << 58) + 1));
    nnbt_ok(nnbt_set_epoch_callback(o, stop_after_3, NULL));
    nnb_history *h;
    nnbt_ok(nnb_history_create(&h));
    nnbt_expect(nnb_net_train(net, o, x, 32, 2, y, 1, h), NNB_E_CANCELLED, "after epoch 3");
    ck_assert_uint_eq(nnb_history_n_epochs(h), 3);
    /* a second call appends */
    nnbt_expect(nnb_net_train(net, o, x, 32, 2, y, 1, h), NNB_E_CANCELLED, "after epoch 4");
    ck_assert_uint_eq(nnb_history_n_epochs(h), 4);
    /* epoch counter near its top: the state says 2^64 - 2 epochs are done */
    size_t n = nnb_net_train_state_size(net);
    unsigned char *st = malloc(n);
    nnbt_ok(nnb_net_train_state_get(net, st, n, NULL));
    for (int i = 0; i < 8; i++) st[32 + i] = i ? 0xFF : 0xFE;
    nnbt_ok(nnb_net_train_state_set(net, st, n));
    nnbt_ok(nnb_train_opts_set_epochs(o, 5));
    nnbt_expect(nnb_net_train(net, o, x, 32, 2, y, 1, h), NNB_E_TOO_LARGE,
                "overflow the epoch count");
    free(st);
    nnb_history_free(h);
    nnb_train_opts_free(o);
    nnb_net_free(net);
}
END_TEST

/* A history grows past the epochs reserved ahead (1024): 1500 tiny epochs, every record kept. */
START_TEST(history_grows) {
    double x[8 * 2], y[8];
    blobs(x, y, 8, 2);
    nnb_net *net = net_2_h_1(2, NNB_ACT_SIGMOID, 2);
    nnb_train_opts *o;
    nnbt_ok(nnb_train_opts_create(&o));
    nnbt_ok(nnb_train_opts_set_batch_size(o, 0));
    size_t E = nnbt_scale(1500, 1100);
    nnbt_ok(nnb_train_opts_set_epochs(o, E));
    nnb_history *h;
    nnbt_ok(nnb_history_create(&h));
    nnbt_ok(nnb_net_train(net, o, x, 8, 2, y, 1, h));
    ck_assert_uint_eq(nnb_history_n_epochs(h), E);
    double *ep = malloc(E * sizeof *ep);
    nnbt_ok(nnb_history_get(h, NNB_HIST_EPOCH, ep, E));
    for (size_t i = 0; i < E; i++) ck_assert(ep[i] == (double)(i + 1));
    free(ep);
    nnb_history_free(h);
    nnb_train_opts_free(o);
    nnb_net_free(net);
}
END_TEST

/* ---- 3. divergence ------------------------------------------------------------------------ */

/* SGD with a learning rate of 1e6 (the example), without the opt-in check: stopped with
 * NNB_E_NONFINITE naming epoch and batch and suggesting a lower rate, for each optimiser (the
 * fused SGD pass and momentum's), in each element type (_i: float64, float32 on float data). */
START_TEST(divergence_is_an_error) {
    nnb_dtype t = nnbt_dtype_of(_i);
    double x[64 * 2], y[64];
    for (int i = 0; i < 64; i++) {
        x[2 * i] = sin(i), x[2 * i + 1] = cos(3 * i);
        y[i] = 1e3 * (i % 2);
    }
    nnb_optimizer opts[] = {NNB_OPT_SGD, NNB_OPT_MOMENTUM, NNB_OPT_NESTEROV};
    for (size_t k = 0; k < 3; k++) {
        nnb_net *net;
        nnbt_ok(nnb_net_create_dtype(&net, 2, t));
        nnbt_ok(nnb_net_add_dense(net, 16, NNB_ACT_RELU, 1));
        nnbt_ok(nnb_net_add_dense(net, 1, NNB_ACT_IDENTITY, 1));
        nnbt_ok(nnb_net_init(net, NNB_INIT_HE_NORMAL, 3));
        nnb_train_opts *o;
        nnbt_ok(nnb_train_opts_create(&o));
        nnbt_ok(nnb_train_opts_set_optimizer(o, opts[k], 1e6));
        nnbt_ok(nnb_train_opts_set_epochs(o, 50));
        nnbt_ok(nnb_train_opts_set_loss(o, NNB_LOSS_MSE, NNB_REDUCTION_MEAN));
        nnb_clear_error();
        ck_assert_int_eq(train_t(net, o, x, 64, 2, y, 1, NULL), NNB_E_NONFINITE);
        const char *m = nnb_last_error();
        ck_assert_msg(strstr(m, "epoch ") && strstr(m, "lower"), "%s", m);
        ck_assert_msg(strstr(m, "batch ") || strstr(m, "parameter "), "%s", m);
        nnb_train_opts_free(o);
        nnb_net_free(net);
    }
}
END_TEST

/* Data whose loss overflows before any step (features of 1e200, unscaled): every optimiser,
 * Levenberg-Marquardt included (which used to call that "converged" and return NNB_OK with no
 * epoch run), stops with NNB_E_NONFINITE in epoch 1, with clipping on as well. */
START_TEST(divergence_every_optimiser) {
    double x[16 * 2], y[16];
    blobs(x, y, 16, 7);
    for (int i = 0; i < 32; i++) x[i] *= 1e200;
    nnb_optimizer opts[] = {NNB_OPT_SGD,   NNB_OPT_MOMENTUM, NNB_OPT_NESTEROV, NNB_OPT_ADAM,
                            NNB_OPT_ADAMW, NNB_OPT_RMSPROP,  NNB_OPT_LM};
    for (size_t k = 0; k < sizeof opts / sizeof *opts; k++) {
        for (int clip = 0; clip < 2; clip++) {
            nnb_net *net; /* linear: the outputs are about 1e200, their squares overflow */
            nnbt_ok(nnb_net_create(&net, 2));
            nnbt_ok(nnb_net_add_dense(net, 3, NNB_ACT_RELU, 1));
            nnbt_ok(nnb_net_add_dense(net, 1, NNB_ACT_IDENTITY, 1));
            nnbt_ok(nnb_net_init(net, NNB_INIT_HE_NORMAL, 5));
            nnb_train_opts *o;
            nnbt_ok(nnb_train_opts_create(&o));
            nnbt_ok(nnb_train_opts_set_optimizer(o, opts[k], 0.01));
            nnbt_ok(nnb_train_opts_set_epochs(o, 5));
            nnbt_ok(nnb_train_opts_set_loss(o, NNB_LOSS_MSE, NNB_REDUCTION_MEAN));
            if (clip) nnbt_ok(nnb_train_opts_set_clip_norm(o, 1.0));
            nnb_history *h;
            nnbt_ok(nnb_history_create(&h));
            nnb_clear_error();
            ck_assert_msg(nnb_net_train(net, o, x, 16, 2, y, 1, h) == NNB_E_NONFINITE,
                          "optimiser %d, clip %d: %s", (int)opts[k], clip, nnb_last_error());
            ck_assert_msg(strstr(nnb_last_error(), "epoch 1"), "%s", nnb_last_error());
            ck_assert_uint_eq(nnb_history_n_epochs(h), 0);
            nnb_history_free(h);
            nnb_train_opts_free(o);
            nnb_net_free(net);
        }
    }
}
END_TEST

/* A network with a NaN weight is not saved; a file holding one (CRC made right) is not loaded. */
START_TEST(non_finite_models) {
    nnb_net *net = net_2_h_1(3, NNB_ACT_SIGMOID, 4);
    size_t n = nnb_model_write_size(net, NULL, NULL, 0);
    unsigned char *b = malloc(n);
    nnbt_ok(nnb_model_write_buffer(net, NULL, NULL, 0, b, n, NULL));
    double *p = params_of(net);
    p[4] = NAN;
    /* nnb_net_params_set refuses NaN: put it in the file's bytes; PARM's values follow the ARCH
     * section; find the bytes of parameter 4 by value */
    double *q = params_of(net);
    unsigned char pat[8];
    memcpy(pat, &q[4], 8);
    unsigned char *at = memmem(b, n, pat, 8);
    ck_assert_ptr_nonnull(at);
    memcpy(at, &p[4], 8);
    nnbt_fix_crc(b, n);
    nnb_net *back = NULL;
    nnbt_expect(nnb_model_read_buffer(&back, NULL, NULL, b, n), NNB_E_NONFINITE,
                "parameter 4 is nan");
    ck_assert_ptr_null(back);
    char path[4096];
    nnbt_tmp_path(path, sizeof path, "nan.nnb");
    ck_assert(nnbt_write_file(path, b, n));
    nnbt_expect(nnb_model_read(&back, NULL, NULL, path), NNB_E_NONFINITE, "not usable");
    free(b), free(p), free(q);
    nnb_net_free(net);
}
END_TEST

/* ---- 4. saves --------------------------------------------------------------------------- */

/* Only a regular file or nothing is replaced: a FIFO, a folder, a character device (through a
 * symbolic link) are refused and left as they were; a link to a regular file replaces the file
 * and stays a link; nothing temporary is left in the folder. */
START_TEST(save_targets) {
    char dir[4096], path[4200], real[4200];
    nnbt_tmp_path(dir, sizeof dir, "saves");
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    nnb_net *net = net_2_h_1(3, NNB_ACT_SIGMOID, 5);
    snprintf(path, sizeof path, "%s/fifo", dir);
    ck_assert_int_eq(mkfifo(path, 0600), 0);
    nnbt_expect(nnb_model_write(path, net, NULL, NULL, 0), NNB_E_IO, "is a FIFO");
    struct stat st;
    ck_assert(stat(path, &st) == 0 && S_ISFIFO(st.st_mode));
    snprintf(path, sizeof path, "%s/sub", dir);
    ck_assert_int_eq(mkdir(path, 0700), 0);
    nnbt_expect(nnb_model_write(path, net, NULL, NULL, 0), NNB_E_IO, "is a directory");
    snprintf(path, sizeof path, "%s/null.nnb", dir);
    ck_assert_int_eq(symlink("/dev/null", path), 0);
    nnbt_expect(nnb_model_write(path, net, NULL, NULL, 0), NNB_E_IO, "a character device");
    ck_assert(stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode));
    snprintf(path, sizeof path, "%s/link.nnb", dir);
    snprintf(real, sizeof real, "%s/real.nnb", dir);
    ck_assert_int_eq(symlink("real.nnb", path), 0); /* dangling: creates its target */
    nnbt_ok(nnb_model_write(path, net, NULL, NULL, 0));
    nnbt_ok(nnb_model_write(path, net, NULL, NULL, 0)); /* and replaces it */
    ck_assert(lstat(path, &st) == 0 && S_ISLNK(st.st_mode));
    ck_assert(lstat(real, &st) == 0 && S_ISREG(st.st_mode));
    nnb_net *back;
    nnbt_ok(nnb_model_read(&back, NULL, NULL, path));
    nnb_net_free(back);
    snprintf(path, sizeof path, "%s/none/x.nnb", dir);
    nnbt_expect(nnb_model_write(path, net, NULL, NULL, 0), NNB_E_IO, "No such file");
    ck_assert_int_eq(nnbt_count_files(dir), 5); /* fifo, sub, null.nnb, link.nnb, real.nnb */
    nnb_net_free(net);
}
END_TEST

/* ---- 2. inputs that are not regular files ------------------------------------------------ */

/* A model "file" that is a character device of zeros is refused after its header, not read
 * until memory runs out; a stream longer than the byte limit is refused at the limit. */
START_TEST(unsized_inputs) {
    nnb_net *net = NULL;
    nnbt_expect(nnb_model_read(&net, NULL, NULL, "/dev/zero"), NNB_E_FORMAT, "magic");
    nnb_table *t = NULL;
    nnbt_expect(nnb_csv_read(&t, "/dev/zero", NULL), NNB_E_FORMAT, "NUL byte at offset 0");
    ck_assert_uint_eq(nnb_get_input_limit(), (size_t)1 << 30);
    nnbt_ok(nnb_set_input_limit(4096));
    ck_assert_uint_eq(nnb_get_input_limit(), 4096);
    /* a FIFO fed by a child with 10 000 bytes of a valid CSV */
    char fifo[4096];
    nnbt_tmp_path(fifo, sizeof fifo, "in.fifo");
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    for (int round = 0; round < 2; round++) {
        pid_t pid = fork();
        if (pid == 0) {
            FILE *f = fopen(fifo, "w");
            if (!f) _exit(1);
            fputs("a,b\n", f);
            for (int i = 0; i < 2000; i++) fprintf(f, "%d,%d\n", i % 10, i % 7);
            fclose(f);
            _exit(0);
        }
        nnb_status st = nnb_csv_read(&t, fifo, NULL);
        if (round == 0) {
            ck_assert_int_eq(st, NNB_E_TOO_LARGE);
            ck_assert_msg(strstr(nnb_last_error(), "4096") != NULL, "%s", nnb_last_error());
            nnbt_ok(nnb_set_input_limit((size_t)1 << 20));
        } else {
            nnbt_ok(st);
            ck_assert_uint_eq(nnb_table_n_rows(t), 2000);
            nnb_table_free(t);
        }
        int status;
        waitpid(pid, &status, 0);
    }
    /* the CSV options' own limit wins over the process's */
    nnb_csv_opts *o;
    nnbt_ok(nnb_csv_opts_create(&o));
    nnbt_ok(nnb_csv_opts_set_input_limit(o, 16));
    nnbt_expect(nnb_csv_read(&t, "/dev/zero", o), NNB_E_FORMAT, "NUL byte");
    nnb_csv_opts_free(o);
    nnbt_ok(nnb_set_input_limit((size_t)1 << 30));
    nnbt_expect(nnb_set_input_limit(0), NNB_E_INVALID_ARG, "limit");
}
END_TEST

/* ---- 7, 8. stopping and resuming exactly -------------------------------------------------- */

typedef struct stopper {
    nnb_train_opts *o;
    size_t calls, at;
} stopper;

static int stop_at(size_t epoch, size_t batch, size_t n_batches, double loss, void *ud) {
    (void)epoch, (void)batch, (void)n_batches, (void)loss;
    stopper *s = ud;
    if (++s->calls == s->at) nnb_train_opts_request_stop(s->o); /* as a signal handler would */
    return 0;
}

static int stop_at_epoch(const nnb_net *net, size_t epoch, double tl, double vl, double ta,
                         double va, double sec, double sps, int up, void *ud) {
    (void)net, (void)epoch, (void)tl, (void)vl, (void)ta, (void)va, (void)sec, (void)sps, (void)up;
    stopper *s = ud;
    if (++s->calls == s->at) nnb_train_opts_request_stop(s->o);
    return 0;
}

static nnb_train_opts *resume_opts(nnb_optimizer opt, size_t epochs, int dropout) {
    nnb_train_opts *o;
    nnbt_ok(nnb_train_opts_create(&o));
    nnbt_ok(nnb_train_opts_set_optimizer(o, opt, opt == NNB_OPT_LM ? 0.01 : 0.05));
    nnbt_ok(nnb_train_opts_set_loss(o, opt == NNB_OPT_LM ? NNB_LOSS_MSE : NNB_LOSS_BCE,
                                    NNB_REDUCTION_MEAN));
    nnbt_ok(nnb_train_opts_set_epochs(o, epochs));
    nnbt_ok(nnb_train_opts_set_batch_size(o, 8));
    nnbt_ok(nnb_train_opts_set_validation_split(o, 0.25, 7));
    nnbt_ok(nnb_train_opts_set_early_stopping(o, 3, 1));
    if (dropout) nnbt_ok(nnb_train_opts_set_dropout(o, 0.2));
    return o;
}

/* Trains `epochs` epochs straight, and again stopped on request after `at` batches (within an
 * epoch, or before an epoch's first one), the state carried through bytes into a fresh network of
 * the same element type, then the remaining epochs: the weights, the training state and the
 * histories' tails must be identical. A float32 network trains on float data (its own type). */
static void check_resume(nnb_dtype t, nnb_optimizer opt, size_t at) {
    enum { N = 48 };
    const size_t E = 12;
    double x[N * 2], y[N];
    blobs(x, y, N, 11);
    int lm = opt == NNB_OPT_LM;
    nnb_net *a = net_2_h_1_t(t, 6, NNB_ACT_SIGMOID, 9);
    nnb_train_opts *o = resume_opts(opt, E, !lm);
    nnb_history *ha;
    nnbt_ok(nnb_history_create(&ha));
    nnbt_ok(train_t(a, o, x, N, 2, y, 1, ha));

    nnb_net *b = net_2_h_1_t(t, 6, NNB_ACT_SIGMOID, 9);
    stopper s = {o, 0, lm ? at / 5 + 1 : at}; /* LM: one step an epoch, stopped between */
    if (lm)
        nnbt_ok(nnbt_set_epoch_callback(o, stop_at_epoch, &s));
    else
        nnbt_ok(nnb_train_opts_set_batch_callback(o, stop_at, &s));
    nnb_history *hb;
    nnbt_ok(nnb_history_create(&hb));
    nnbt_expect(train_t(b, o, x, N, 2, y, 1, hb), NNB_E_CANCELLED, "on request");
    size_t done = nnb_history_n_epochs(hb);
    ck_assert(done < nnb_history_n_epochs(ha));
    nnb_train_opts_clear_stop(o);
    nnbt_ok(nnb_train_opts_set_batch_callback(o, NULL, NULL));
    nnbt_ok(nnbt_set_epoch_callback(o, NULL, NULL));
    /* through bytes, into a fresh network */
    size_t n = nnb_net_train_state_size(b), np = nnb_net_n_params(b);
    unsigned char *state = malloc(n);
    nnbt_ok(nnb_net_train_state_get(b, state, n, NULL));
    double *pb = malloc(np * sizeof *pb), *pa = malloc(np * sizeof *pa),
           *pc = malloc(np * sizeof *pc);
    size_t bytes = nnbt_params_bytes(b, pb);
    nnb_net *c = net_2_h_1_t(t, 6, NNB_ACT_SIGMOID, 1);
    if (t == NNB_F32)
        nnbt_ok(nnb_net_params_set_f32(c, (const float *)pb, np));
    else
        nnbt_ok(nnb_net_params_set(c, pb, np));
    nnbt_ok(nnb_net_train_state_set(c, state, n));
    nnbt_ok(nnb_train_opts_set_epochs(o, E - done));
    nnb_history *hc;
    nnbt_ok(nnb_history_create(&hc));
    nnbt_ok(train_t(c, o, x, N, 2, y, 1, hc));

    nnbt_params_bytes(a, pa);
    nnbt_params_bytes(c, pc);
    ck_assert_msg(memcmp(pa, pc, bytes) == 0,
                  "%s, optimiser %d, stopped after %zu batches: the weights differ",
                  nnb_dtype_name(t), (int)opt, at);
    size_t na = nnb_net_train_state_size(a), nc = nnb_net_train_state_size(c);
    ck_assert_uint_eq(na, nc);
    unsigned char *sa = malloc(na), *sc = malloc(nc);
    nnbt_ok(nnb_net_train_state_get(a, sa, na, NULL));
    nnbt_ok(nnb_net_train_state_get(c, sc, nc, NULL));
    ck_assert_msg(memcmp(sa, sc, na) == 0, "%s, optimiser %d: the training states differ",
                  nnb_dtype_name(t), (int)opt);
    /* the histories: the straight run's tail is the resumed run's */
    size_t len_a = nnb_history_n_epochs(ha), len_c = nnb_history_n_epochs(hc);
    ck_assert_uint_eq(len_a, done + len_c);
    double *va = malloc(len_a * sizeof *va), *vc = malloc((len_c ? len_c : 1) * sizeof *vc);
    nnbt_ok(nnb_history_get(ha, NNB_HIST_VAL_LOSS, va, len_a));
    nnbt_ok(nnb_history_get(hc, NNB_HIST_VAL_LOSS, vc, len_c));
    for (size_t i = 0; i < len_c; i++) ck_assert(va[done + i] == vc[i]);
    int ea, ec;
    nnbt_ok(nnb_history_summary(ha, NULL, NULL, &ea));
    nnbt_ok(nnb_history_summary(hc, NULL, NULL, &ec));
    ck_assert_int_eq(ea, ec);
    free(va), free(vc), free(sa), free(sc), free(pa), free(pb), free(pc), free(state);
    nnb_history_free(ha), nnb_history_free(hb), nnb_history_free(hc);
    nnb_train_opts_free(o);
    nnb_net_free(a), nnb_net_free(b), nnb_net_free(c);
}

static const nnb_optimizer all_opts[] = {NNB_OPT_SGD,  NNB_OPT_MOMENTUM, NNB_OPT_NESTEROV,
                                         NNB_OPT_ADAM, NNB_OPT_ADAMW,    NNB_OPT_RMSPROP,
                                         NNB_OPT_LM};
#define N_ALL_OPTS (sizeof all_opts / sizeof all_opts[0])

/* Every optimiser in each element type (_i: the optimiser, then float32 from N_ALL_OPTS on).
 * Levenberg-Marquardt is float64's only: a float32 network is refused with NNB_E_UNSUPPORTED. */
START_TEST(resume_equals_straight) {
    nnb_dtype t = nnbt_dtype_of(_i >= (int)N_ALL_OPTS);
    nnb_optimizer opt = all_opts[_i % N_ALL_OPTS];
    if (t == NNB_F32 && opt == NNB_OPT_LM) {
        double x[8 * 2], y[8];
        blobs(x, y, 8, 3);
        nnb_net *net = net_2_h_1_t(t, 3, NNB_ACT_IDENTITY, 1);
        nnb_train_opts *o = resume_opts(opt, 2, 0);
        nnbt_expect(train_t(net, o, x, 8, 2, y, 1, NULL), NNB_E_UNSUPPORTED, "Levenberg");
        nnb_train_opts_free(o);
        nnb_net_free(net);
        return;
    }
    /* 36 training rows, batch 8: 5 batches an epoch; stop within epochs 1, 2 and 4, and right
     * after epoch 2's last batch (before epoch 3's first) */
    size_t ats[] = {3, 7, 10, 18};
    for (size_t k = 0; k < sizeof ats / sizeof ats[0]; k++) check_resume(t, opt, ats[k]);
}
END_TEST

/* Early stopping that fires after a resume: the straight and the resumed runs stop at the same
 * epoch with the same (restored) weights. Patience 1 with a large rate stops early. */
START_TEST(resume_with_early_stop) {
    enum { N = 48 };
    double x[N * 2], y[N];
    blobs(x, y, N, 5);
    nnb_train_opts *o = resume_opts(NNB_OPT_ADAM, 200, 1);
    nnbt_ok(nnb_train_opts_set_early_stopping(o, 2, 1));
    nnbt_ok(nnb_train_opts_set_optimizer(o, NNB_OPT_ADAM, 0.3));
    nnb_net *a = net_2_h_1(6, NNB_ACT_SIGMOID, 2);
    nnb_history *ha;
    nnbt_ok(nnb_history_create(&ha));
    nnbt_ok(nnb_net_train(a, o, x, N, 2, y, 1, ha));
    int early;
    size_t best;
    nnbt_ok(nnb_history_summary(ha, &best, NULL, &early));
    ck_assert_msg(early, "no early stop in 200 epochs");
    size_t len = nnb_history_n_epochs(ha);
    ck_assert(len >= 3);
    /* stop within the last epoch but two */
    nnb_net *b = net_2_h_1(6, NNB_ACT_SIGMOID, 2);
    stopper s = {o, 0, (len - 3) * 5 + 2};
    nnbt_ok(nnb_train_opts_set_batch_callback(o, stop_at, &s));
    ck_assert_int_eq(nnb_net_train(b, o, x, N, 2, y, 1, NULL), NNB_E_CANCELLED);
    nnb_train_opts_clear_stop(o);
    nnbt_ok(nnb_train_opts_set_batch_callback(o, NULL, NULL));
    nnb_history *hb;
    nnbt_ok(nnb_history_create(&hb));
    nnbt_ok(nnb_net_train(b, o, x, N, 2, y, 1, hb));
    size_t best_b;
    nnbt_ok(nnb_history_summary(hb, &best_b, NULL, &early));
    ck_assert(early);
    ck_assert_uint_eq(best_b, best);
    ck_assert_uint_eq(nnb_history_n_epochs(hb), 3);
    double *pa = params_of(a), *pb = params_of(b);
    ck_assert(memcmp(pa, pb, nnb_net_n_params(a) * sizeof *pa) == 0);
    free(pa), free(pb);
    nnb_history_free(ha), nnb_history_free(hb);
    nnb_train_opts_free(o);
    nnb_net_free(a), nnb_net_free(b);
}
END_TEST

typedef struct trainer {
    nnb_net *net;
    nnb_train_opts *o;
    const double *x, *y;
    size_t rows;
    nnb_status st;
    volatile int started;
} trainer;

static int mark_started(size_t e, size_t b, size_t n, double l, void *ud) {
    (void)e, (void)b, (void)n, (void)l;
    __atomic_store_n(&((trainer *)ud)->started, 1, __ATOMIC_RELAXED);
    return 0;
}

static void *train_thread(void *arg) {
    trainer *t = arg;
    t->st = nnb_net_train(t->net, t->o, t->x, t->rows, 2, t->y, 1, NULL);
    return NULL;
}

/* Another thread asks a long training to stop: it ends with NNB_E_CANCELLED, promptly. */
START_TEST(stop_from_another_thread) {
    enum { N = 256 };
    double x[N * 2], y[N];
    blobs(x, y, N, 8);
    trainer t = {net_2_h_1(16, NNB_ACT_SIGMOID, 3), NULL, x, y, N, NNB_OK, 0};
    nnbt_ok(nnb_train_opts_create(&t.o));
    nnbt_ok(nnb_train_opts_set_epochs(t.o, (size_t)1 << 40));
    nnbt_ok(nnb_train_opts_set_batch_callback(t.o, mark_started, &t));
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, train_thread, &t), 0);
    while (!__atomic_load_n(&t.started, __ATOMIC_RELAXED)) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    nnb_train_opts_request_stop(t.o);
    pthread_join(th, NULL);
    ck_assert_int_eq(t.st, NNB_E_CANCELLED);
    nnb_train_opts_free(t.o);
    nnb_net_free(t.net);
}
END_TEST

/* ---- float32: issue 14's families on everything float32 added
 * (issue 19): NULL pointers to every _f32 entry point, mismatched shapes, values that are finite
 * in float64 but beyond float32's range (data, parameters, optimiser moments, best weights,
 * prepared columns), counts that wrap, and damaged, truncated and newer-version model files of
 * format 1.1. Allocation failures are tests/test_allocfail.c's (its float32 scenarios); the
 * command's side is tests/hostile.py, the binding's bindings/python/tests/test_hostile_f32.py. */

#define F32_MAX 3.4028234663852886e+38

static nnb_net *net32(size_t n_in, size_t h, size_t n_out, nnb_activation out) {
    nnb_net *net;
    nnbt_ok(nnb_net_create_dtype(&net, n_in, NNB_F32));
    nnbt_ok(nnb_net_add_dense(net, h, NNB_ACT_TANH, 1));
    nnbt_ok(nnb_net_add_dense(net, n_out, out, 1));
    nnbt_ok(nnb_net_init(net, NNB_INIT_XAVIER_UNIFORM, 5));
    return net;
}

static void fill(float *x, double *xd, size_t n, uint64_t seed) {
    nnbt_rng r = {seed};
    for (size_t i = 0; i < n; i++) {
        double v = nnbt_normal(&r);
        if (x) x[i] = (float)v;
        if (xd) xd[i] = v;
    }
}

/* ---- NULL pointers -------------------------------------------------------------------------- */

START_TEST(null_pointers) {
    nnb_net *net = net32(3, 4, 2, NNB_ACT_SOFTMAX);
    float x[6] = {0}, y[4] = {1, 0, 0, 1}, out[4], g[64];
    double l, a;
    size_t np = nnb_net_n_params(net), len = 7;
    nnbt_expect(nnb_net_create_dtype(NULL, 3, NNB_F32), NNB_E_NULL, "");
    nnbt_expect(nnb_net_copy(NULL, net, NNB_F64), NNB_E_NULL, "");
    nnbt_expect(nnb_net_forward_f32(NULL, x, 2, 3, out, 4), NNB_E_NULL, "");
    nnbt_expect(nnb_net_forward_f32(net, NULL, 2, 3, out, 4), NNB_E_NULL, "");
    nnbt_expect(nnb_net_forward_f32(net, x, 2, 3, NULL, 4), NNB_E_NULL, "");
    nnbt_expect(nnb_net_predict_f32(NULL, x, 2, 3, out, 4), NNB_E_NULL, "");
    nnbt_expect(nnb_net_predict_f32(net, NULL, 2, 3, out, 4), NNB_E_NULL, "");
    nnbt_expect(nnb_net_predict_f32(net, x, 2, 3, NULL, 4), NNB_E_NULL, "");
    nnbt_expect(nnb_net_loss_f32(NULL, x, 2, 3, y, 2, NNB_LOSS_CE, NNB_REDUCTION_MEAN, &l),
                NNB_E_NULL, "");
    nnbt_expect(nnb_net_loss_f32(net, NULL, 2, 3, y, 2, NNB_LOSS_CE, NNB_REDUCTION_MEAN, &l),
                NNB_E_NULL, "");
    nnbt_expect(nnb_net_loss_f32(net, x, 2, 3, NULL, 2, NNB_LOSS_CE, NNB_REDUCTION_MEAN, &l),
                NNB_E_NULL, "");
    nnbt_expect(nnb_net_loss_f32(net, x, 2, 3, y, 2, NNB_LOSS_CE, NNB_REDUCTION_MEAN, NULL),
                NNB_E_NULL, "");
    nnbt_expect(
        nnb_net_backprop_f32(NULL, x, 2, 3, y, 2, NNB_LOSS_CE, NNB_REDUCTION_MEAN, &l, g, np),
        NNB_E_NULL, "");
    nnbt_expect(
        nnb_net_backprop_f32(net, NULL, 2, 3, y, 2, NNB_LOSS_CE, NNB_REDUCTION_MEAN, &l, g, np),
        NNB_E_NULL, "");
    nnbt_expect(
        nnb_net_backprop_f32(net, x, 2, 3, NULL, 2, NNB_LOSS_CE, NNB_REDUCTION_MEAN, &l, g, np),
        NNB_E_NULL, "");
    nnbt_expect(nnb_net_evaluate_f32(NULL, x, 2, 3, y, 2, NNB_LOSS_CE, NNB_REDUCTION_MEAN, &l, &a),
                NNB_E_NULL, "");
    nnbt_expect(
        nnb_net_evaluate_f32(net, NULL, 2, 3, y, 2, NNB_LOSS_CE, NNB_REDUCTION_MEAN, &l, &a),
        NNB_E_NULL, "");
    nnbt_expect(
        nnb_net_evaluate_f32(net, x, 2, 3, NULL, 2, NNB_LOSS_CE, NNB_REDUCTION_MEAN, &l, &a),
        NNB_E_NULL, "");
    nnbt_expect(nnb_net_grad_get_f32(NULL, g, np), NNB_E_NULL, "");
    nnbt_expect(nnb_net_grad_get_f32(net, NULL, np), NNB_E_NULL, "");
    nnbt_expect(nnb_net_params_get_f32(NULL, g, np), NNB_E_NULL, "");
    nnbt_expect(nnb_net_params_get_f32(net, NULL, np), NNB_E_NULL, "");
    nnbt_expect(nnb_net_params_set_f32(NULL, g, np), NNB_E_NULL, "");
    nnbt_expect(nnb_net_params_set_f32(net, NULL, np), NNB_E_NULL, "");
    ck_assert_ptr_null(nnb_net_params_data_f32(NULL, &len));
    ck_assert_uint_eq(len, 0);
    ck_assert_ptr_nonnull(nnb_net_params_data_f32(net, NULL));
    nnb_train_opts *o;
    nnbt_ok(nnb_train_opts_create(&o));
    nnbt_expect(nnb_net_train_f32(NULL, o, x, 2, 3, y, 2, NULL), NNB_E_NULL, "");
    nnbt_expect(nnb_net_train_f32(net, NULL, x, 2, 3, y, 2, NULL), NNB_E_NULL, "");
    nnbt_expect(nnb_net_train_f32(net, o, NULL, 2, 3, y, 2, NULL), NNB_E_NULL, "");
    nnbt_expect(nnb_net_train_f32(net, o, x, 2, 3, NULL, 2, NULL), NNB_E_NULL, "");
    nnbt_expect(nnb_train_opts_set_allreduce_f32(NULL, NULL, NULL), NNB_E_NULL, "");
    nnbt_expect(nnb_prep_apply_f32(NULL, NULL, NULL, 1, x, 6, y, 4), NNB_E_NULL, "");
    nnbt_expect(nnb_prep_transform_f32(NULL, x, 2, 3), NNB_E_NULL, "");
    nnbt_expect(nnb_prep_fit_matrix_f32(NULL, x, 2, 3, NNB_SCALE_MINMAX), NNB_E_NULL, "");
    nnbt_expect(nnb_prep_inverse_targets_f32(NULL, y, 2, 2), NNB_E_NULL, "");
    nnbt_expect(nnb_idx_read_images_f32(NULL, x, 6, NULL, NULL), NNB_E_NULL, "");
    nnbt_expect(nnb_idx_read_images_f32("x.idx", NULL, 6, NULL, NULL), NNB_E_NULL, "");
    nnbt_expect(nnb_idx_read_labels_f32(NULL, 2, y, 4, NULL), NNB_E_NULL, "");
    nnbt_expect(nnb_idx_read_labels_f32("y.idx", 2, NULL, 4, NULL), NNB_E_NULL, "");
    nnbt_expect(nnb_mnist_read_part_f32(NULL, NNB_MNIST_TRAIN, 1, x, 6, y, 4), NNB_E_NULL, "");
    nnb_dtype t = NNB_F64;
    nnbt_expect(nnb_dtype_parse(NULL, &t), NNB_E_NULL, "");
    nnbt_expect(nnb_dtype_parse("f32", NULL), NNB_E_NULL, "");
    /* a float64 network's f32 entry points */
    nnb_net *n64;
    nnbt_ok(nnb_net_copy(&n64, net, NNB_F64));
    nnbt_expect(nnb_net_loss_f32(n64, NULL, 2, 3, y, 2, NNB_LOSS_CE, NNB_REDUCTION_MEAN, &l),
                NNB_E_NULL, "");
    nnbt_expect(
        nnb_net_backprop_f32(n64, x, 2, 3, NULL, 2, NNB_LOSS_CE, NNB_REDUCTION_MEAN, &l, g, np),
        NNB_E_NULL, "");
    nnbt_expect(
        nnb_net_evaluate_f32(n64, x, 2, 3, NULL, 2, NNB_LOSS_CE, NNB_REDUCTION_MEAN, &l, &a),
        NNB_E_NULL, "");
    ck_assert_ptr_null(nnb_net_params_data_f32(n64, NULL));
    nnb_train_opts_free(o);
    nnb_net_free(n64);
    nnb_net_free(net);
}
END_TEST

/* ---- shapes and counts ---------------------------------------------------------------------- */

/* Wrong shapes are refused before any work, in both network types: the gradient a failed call
 * leaves is the previous call's. Counts that cannot be served are NNB_E_TOO_LARGE or
 * NNB_E_SHAPE, never a read of memory that is not there (x is 6 floats). */
START_TEST(shapes_and_counts) {
    for (int k = 0; k < 2; k++) {
        nnb_net *net = net32(3, 4, 2, NNB_ACT_SOFTMAX), *other;
        if (k) {
            nnbt_ok(nnb_net_copy(&other, net, NNB_F64));
            nnb_net_free(net);
            net = other;
        }
        float x[6], y[4] = {1, 0, 0, 1}, out[4], g[64], g2[64];
        fill(x, NULL, 6, 1);
        double l;
        size_t np = nnb_net_n_params(net);
        nnbt_ok(
            nnb_net_backprop_f32(net, x, 2, 3, y, 2, NNB_LOSS_CE, NNB_REDUCTION_MEAN, &l, g, np));
        nnbt_expect(nnb_net_forward_f32(net, x, 2, 2, out, 4), NNB_E_SHAPE, "columns");
        nnbt_expect(nnb_net_predict_f32(net, x, 2, 3, out, 3), NNB_E_SHAPE, "out_len");
        nnbt_expect(nnb_net_loss_f32(net, x, 2, 3, y, 3, NNB_LOSS_CE, NNB_REDUCTION_MEAN, &l),
                    NNB_E_SHAPE, "outputs");
        nnbt_expect(nnb_net_loss_f32(net, x, 0, 3, y, 2, NNB_LOSS_CE, NNB_REDUCTION_MEAN, &l),
                    NNB_E_INVALID_ARG, "rows is 0");
        nnbt_expect(nnb_net_backprop_f32(net, x, 2, 3, y, 2, NNB_LOSS_CE, NNB_REDUCTION_MEAN, &l,
                                         g2, np - 1),
                    NNB_E_SHAPE, "grad");
        float y2[4] = {0, 1, 1, 0};
        nnbt_expect(nnb_net_backprop_f32(net, x, 2, 3, y2, 2, NNB_LOSS_CE, NNB_REDUCTION_MEAN, &l,
                                         g2, np + 1),
                    NNB_E_SHAPE, "grad");
        nnbt_ok(nnb_net_grad_get_f32(net, g2, np));
        ck_assert_msg(memcmp(g, g2, np * sizeof *g) == 0,
                      "a refused backprop changed the gradient (%s network)", k ? "f64" : "f32");
        nnbt_expect(nnb_net_grad_get_f32(net, g2, np + 1), NNB_E_SHAPE, "parameters");
        nnbt_expect(nnb_net_params_get_f32(net, g2, np - 1), NNB_E_SHAPE, "parameters");
        /* counts too large: refused before x is read */
        const size_t huge[] = {(size_t)1 << 31, SIZE_MAX / 3 + 1, SIZE_MAX};
        for (size_t i = 0; i < 3; i++) {
            nnb_clear_error();
            nnb_status st = nnb_net_predict_f32(net, x, huge[i], 3, out, SIZE_MAX);
            ck_assert_msg(st == NNB_E_TOO_LARGE, "predict_f32 of %zu rows: %s", huge[i],
                          nnb_status_name(st));
            st = nnb_net_evaluate_f32(net, x, huge[i], 3, y, 2, NNB_LOSS_CE, NNB_REDUCTION_MEAN, &l,
                                      NULL);
            ck_assert_msg(st == NNB_E_TOO_LARGE, "evaluate_f32 of %zu rows: %s", huge[i],
                          nnb_status_name(st));
            st = nnb_net_backprop_f32(net, x, huge[i], 3, y, 2, NNB_LOSS_CE, NNB_REDUCTION_MEAN, &l,
                                      NULL, 0);
            ck_assert_msg(st == NNB_E_TOO_LARGE, "backprop_f32 of %zu rows: %s", huge[i],
                          nnb_status_name(st));
            nnb_train_opts *o;
            nnbt_ok(nnb_train_opts_create(&o));
            st = nnb_net_train_f32(net, o, x, huge[i], 3, y, 2, NULL);
            ck_assert_msg(st == NNB_E_TOO_LARGE, "train_f32 of %zu rows: %s", huge[i],
                          nnb_status_name(st));
            nnb_train_opts_free(o);
        }
        nnb_net_free(net);
    }
}
END_TEST

/* ---- values beyond float32's range ------------------------------------------------------------ */

/* float64 data given to a float32 network: a finite value beyond float32's range (3.4e38) would
 * become infinite in the conversion and the results NaN or infinite (or a training run reported
 * as diverged, "try a lower learning rate"). Every entry point refuses it with NNB_E_NONFINITE
 * naming the row and column, whether the network checks for NaN or not. */
START_TEST(doubles_beyond_float32) {
    nnb_net *net = net32(3, 4, 2, NNB_ACT_SOFTMAX);
    double x[8 * 3], y[8 * 2], out[16], l;
    fill(NULL, x, 24, 2);
    for (int i = 0; i < 8; i++) y[2 * i] = i % 2, y[2 * i + 1] = 1 - i % 2;
    size_t np = nnb_net_n_params(net);
    double *g = malloc(np * sizeof *g);
    nnb_train_opts *o;
    nnbt_ok(nnb_train_opts_create(&o));
    nnbt_ok(nnb_train_opts_set_epochs(o, 2));
    nnbt_ok(nnb_train_opts_set_batch_size(o, 4));
    for (int check = 0; check < 2; check++) {
        nnbt_ok(nnb_net_set_check_finite(net, check));
        x[5 * 3 + 1] = -1e39;
        nnbt_expect(nnb_net_forward(net, x, 8, 3, out, 16), NNB_E_NONFINITE, "x[5][1]");
        ck_assert_msg(strstr(nnb_last_error(), "float32") != NULL, "%s", nnb_last_error());
        nnbt_expect(nnb_net_predict(net, x, 8, 3, out, 16), NNB_E_NONFINITE, "x[5][1]");
        nnbt_expect(nnb_net_loss(net, x, 8, 3, y, 2, NNB_LOSS_CE, NNB_REDUCTION_MEAN, &l),
                    NNB_E_NONFINITE, "x[5][1]");
        nnbt_expect(
            nnb_net_backprop(net, x, 8, 3, y, 2, NNB_LOSS_CE, NNB_REDUCTION_MEAN, &l, g, np),
            NNB_E_NONFINITE, "x[5][1]");
        nnbt_expect(nnb_net_evaluate(net, x, 8, 3, y, 2, NNB_LOSS_CE, NNB_REDUCTION_MEAN, &l, NULL),
                    NNB_E_NONFINITE, "x[5][1]");
        nnbt_expect(nnb_net_train(net, o, x, 8, 3, y, 2, NULL), NNB_E_NONFINITE, "x[5][1]");
        x[5 * 3 + 1] = 0.5;
        y[7 * 2] = 3e300;
        nnbt_expect(nnb_net_loss(net, x, 8, 3, y, 2, NNB_LOSS_SSE, NNB_REDUCTION_SUM, &l),
                    NNB_E_NONFINITE, "y[7][0]");
        nnbt_expect(nnb_net_train(net, o, x, 8, 3, y, 2, NULL), NNB_E_NONFINITE, "y[7][0]");
        y[7 * 2] = 0;
        /* the validation set too */
        double vx[3] = {1, 2, 1e308}, vy[2] = {1, 0};
        nnbt_ok(nnb_train_opts_set_validation(o, vx, vy, 1));
        nnbt_expect(nnb_net_train(net, o, x, 8, 3, y, 2, NULL), NNB_E_NONFINITE, "float32");
        nnbt_ok(nnb_train_opts_set_validation(o, NULL, NULL, 0));
    }
    /* the largest float32 value itself is accepted; a float64 network takes anything finite */
    x[4] = F32_MAX;
    nnbt_ok(nnb_net_predict(net, x, 8, 3, out, 16));
    x[4] = 1e39;
    nnb_net *n64;
    nnbt_ok(nnb_net_copy(&n64, net, NNB_F64));
    nnbt_ok(nnb_net_predict(n64, x, 8, 3, out, 16));
    nnb_net_free(n64);
    free(g);
    nnb_train_opts_free(o);
    nnb_net_free(net);
}
END_TEST

/* Parameters: NaN written through the borrowed arena is refused by the conversion as by a save;
 * nnb_net_layer_set names the layer's value beyond float32's range. */
START_TEST(parameters_not_finite) {
    nnb_net *net = net32(3, 4, 2, NNB_ACT_SOFTMAX), *c;
    nnb_net *n64;
    nnbt_ok(nnb_net_copy(&n64, net, NNB_F64));
    size_t np;
    double *p64 = nnb_net_params_data(n64, &np);
    p64[3] = NAN;
    c = (nnb_net *)1;
    nnbt_expect(nnb_net_copy(&c, n64, NNB_F32), NNB_E_NONFINITE, "parameter 3");
    ck_assert_ptr_null(c);
    p64[3] = 0;
    float *p32 = nnb_net_params_data_f32(net, &np);
    p32[5] = INFINITY;
    nnbt_expect(nnb_net_copy(&c, net, NNB_F64), NNB_E_NONFINITE, "parameter 5");
    nnbt_expect(nnb_model_write(nnbt_tmp("h32-inf.nnb"), net, NULL, NULL, 0), NNB_E_NONFINITE,
                "parameter 5");
    p32[5] = 0;
    double w[12] = {0}, b[4] = {0};
    w[7] = -1e39;
    nnbt_expect(nnb_net_layer_set(net, 0, w, 12, b, 4), NNB_E_NONFINITE, "float32");
    nnb_net_free(n64);
    nnb_net_free(net);
}
END_TEST

/* A training state holds the optimiser's moments and the early-stopping watch's best weights as
 * float64. A NaN moment (damage: it would poison every later step) is refused in either type; an
 * infinite one is a state training reaches (Adam's v of a gradient of 1e20 in float32: saved,
 * it must load again), and a float32 network's moment beyond its range becomes one. A best weight
 * beyond float32's range would become an infinite parameter of a float32 network: refused. */
START_TEST(train_state_not_finite) {
    for (int k = 0; k < 2; k++) {
        nnb_net *net = net32(3, 4, 2, NNB_ACT_SOFTMAX);
        if (k) {
            nnb_net *c;
            nnbt_ok(nnb_net_copy(&c, net, NNB_F64));
            nnb_net_free(net);
            net = c;
        }
        float x[16 * 3], y[16 * 2];
        fill(x, NULL, 48, 4);
        for (int i = 0; i < 16; i++) y[2 * i] = i % 2, y[2 * i + 1] = 1 - i % 2;
        nnb_train_opts *o;
        nnbt_ok(nnb_train_opts_create(&o));
        nnbt_ok(nnb_train_opts_set_optimizer(o, NNB_OPT_ADAM, 0.01));
        nnbt_ok(nnb_train_opts_set_epochs(o, 2));
        nnbt_ok(nnb_train_opts_set_early_stopping(o, 5, 1));
        nnbt_ok(nnb_train_opts_set_validation_split(o, 0.25, 1));
        nnbt_ok(nnb_net_train_f32(net, o, x, 16, 3, y, 2, NULL));
        size_t n = nnb_net_train_state_size(net), np = nnb_net_n_params(net);
        unsigned char *buf = malloc(n), *bad = malloc(n);
        nnbt_ok(nnb_net_train_state_get(net, buf, n, NULL));
        double big = k ? NAN : 1e39, nan = NAN, inf = INFINITY;
        size_t at[2] = {88 + 8 * 2, 88 + 8 * np + 8 * 1}; /* m[2], v[1] */
        for (int j = 0; j < 2; j++) {
            memcpy(bad, buf, n);
            memcpy(bad + at[j], &nan, 8);
            nnbt_expect(nnb_net_train_state_set(net, bad, n), NNB_E_NONFINITE,
                        j ? "moment v[1] is NaN" : "moment m[2] is NaN");
            memcpy(bad + at[j], j ? &inf : &big, 8);
            if (!k || j) nnbt_ok(nnb_net_train_state_set(net, bad, n));
        }
        /* the infinite moment goes back out as it came in: a model saved with it loads */
        if (!k) {
            memcpy(bad, buf, n);
            memcpy(bad + at[1], &inf, 8);
            nnbt_ok(nnb_net_train_state_set(net, bad, n));
            size_t len = nnb_model_write_size(net, NULL, NULL, 1);
            unsigned char *mb = malloc(len);
            nnbt_ok(nnb_model_write_buffer(net, NULL, NULL, 1, mb, len, NULL));
            nnb_net *back = NULL;
            nnbt_ok(nnb_model_read_buffer(&back, NULL, NULL, mb, len));
            nnb_net_free(back);
            free(mb);
        }
        /* the best weights: the early-stopping record's last np doubles (the last record) */
        unsigned char *bw = memmem(buf + 88 + 16 * np, n - 88 - 16 * np, "\2\0\0\0", 4);
        ck_assert_ptr_nonnull(bw);
        memcpy(bad, buf, n);
        memcpy(bad + (bw - buf) + 12 + 32 + 8 * 3, &big, 8);
        nnbt_expect(nnb_net_train_state_set(net, bad, n), NNB_E_NONFINITE, "best weight 3");
        nnbt_ok(nnb_net_train_state_set(net, buf, n));
        free(buf), free(bad);
        nnb_train_opts_free(o);
        nnb_net_free(net);
    }
}
END_TEST

/* A network converted after training with early stopping owns its copy of the watch's best
 * weights: freeing the original, then training and freeing the copy, frees each block once
 * (they were shared: a double free). The copy's training state is the original's. */
START_TEST(convert_keeps_its_own_state) {
    for (int k = 0; k < 2; k++) {
        nnb_net *net = net32(3, 4, 2, NNB_ACT_SOFTMAX), *c;
        float x[16 * 3], y[16 * 2];
        fill(x, NULL, 48, 6);
        for (int i = 0; i < 16; i++) y[2 * i] = i % 2, y[2 * i + 1] = 1 - i % 2;
        nnb_train_opts *o;
        nnbt_ok(nnb_train_opts_create(&o));
        nnbt_ok(nnb_train_opts_set_optimizer(o, NNB_OPT_ADAM, 0.01));
        nnbt_ok(nnb_train_opts_set_epochs(o, 3));
        nnbt_ok(nnb_train_opts_set_validation_split(o, 0.25, 1));
        nnbt_ok(nnb_train_opts_set_early_stopping(o, 5, 1));
        nnbt_ok(nnb_net_train_f32(net, o, x, 16, 3, y, 2, NULL));
        nnbt_ok(nnb_net_copy(&c, net, k ? NNB_F64 : NNB_F32));
        size_t n = nnb_net_train_state_size(net);
        ck_assert_uint_eq(nnb_net_train_state_size(c), n);
        unsigned char *a = malloc(n), *b = malloc(n);
        nnbt_ok(nnb_net_train_state_get(net, a, n, NULL));
        nnbt_ok(nnb_net_train_state_get(c, b, n, NULL));
        ck_assert_msg(memcmp(a, b, n) == 0, "the converted network's training state differs");
        nnb_net_free(net);
        nnbt_ok(nnb_net_train_f32(c, o, x, 16, 3, y, 2, NULL));
        nnb_net_free(c);
        free(a), free(b);
        nnb_train_opts_free(o);
    }
}
END_TEST

/* ---- NaN and infinity in float data ------------------------------------------------------------ */

static int finite32(const nnb_net *net) {
    size_t n = nnb_net_n_params(net);
    float *p = malloc(n * sizeof *p);
    nnbt_ok(nnb_net_params_get_f32(net, p, n));
    int ok = 1;
    for (size_t i = 0; i < n; i++) ok &= isfinite(p[i]) != 0;
    free(p);
    return ok;
}

/* test_abuse's nan_in_features and infinity_in_targets with float data, on a network of either
 * type and with every optimiser path (the fused SGD pass, Adam, clipping): the network's input
 * check names row and column up front; the training check and the always-on loss check stop at
 * the batch that meets it; the weights stay finite in every case. */
START_TEST(nan_in_float_data) {
    static const nnb_optimizer opt[] = {NNB_OPT_SGD, NNB_OPT_ADAM, NNB_OPT_MOMENTUM};
    for (int k = 0; k < 6; k++) {
        nnb_net *net = net32(3, 5, 1, NNB_ACT_SIGMOID);
        if (k % 2) {
            nnb_net *c;
            nnbt_ok(nnb_net_copy(&c, net, NNB_F64));
            nnb_net_free(net);
            net = c;
        }
        float x[16 * 3], y[16];
        fill(x, NULL, 48, 9);
        for (int i = 0; i < 16; i++) y[i] = (float)(i % 2);
        nnb_train_opts *o;
        nnbt_ok(nnb_train_opts_create(&o));
        nnbt_ok(nnb_train_opts_set_batch_size(o, 4));
        nnbt_ok(nnb_train_opts_set_epochs(o, 3));
        nnbt_ok(nnb_train_opts_set_shuffle(o, 0));
        nnbt_ok(nnb_train_opts_set_optimizer(o, opt[k / 2], 0.01));
        if (k / 2 == 2) nnbt_ok(nnb_train_opts_set_clip_norm(o, 1.0));
        for (int where = 0; where < 2; where++) {
            float *bad = where ? &y[13] : &x[9 * 3 + 2];
            *bad = where ? INFINITY : NAN;
            const char *named = where ? "y[13][0] is inf" : "x[9][2] is nan";
            const char *batch = where ? "batch 4" : "batch 3";
            nnbt_ok(nnb_net_set_check_finite(net, 1));
            nnbt_expect(nnb_net_train_f32(net, o, x, 16, 3, y, 1, NULL), NNB_E_NONFINITE, named);
            ck_assert(finite32(net));
            nnbt_ok(nnb_net_set_check_finite(net, 0));
            for (int check = 1; check >= 0; check--) {
                nnbt_ok(nnb_train_opts_set_check_finite(o, check));
                nnbt_expect(nnb_net_train_f32(net, o, x, 16, 3, y, 1, NULL), NNB_E_NONFINITE,
                            batch);
                ck_assert_msg(finite32(net), "k %d, where %d, check %d: weights not finite", k,
                              where, check);
            }
            *bad = 0.5f;
        }
        nnb_train_opts_free(o);
        nnb_net_free(net);
    }
}
END_TEST

/* ---- data-parallel hooks ----------------------------------------------------------------------- */

/* A transport that fails (mode 0), or sums into NaN (1) or infinity (2) in the float32 gradient,
 * or in the batch loss (3). */
static int bad32(float *data, size_t n, void *ud) {
    int mode = *(int *)ud;
    if (mode == 0) return 7;
    if (mode == 3)
        data[n - 2] = NAN;
    else
        data[1] = mode == 1 ? NAN : INFINITY;
    return 0;
}

static int ok64(double *data, size_t n, void *ud) {
    (void)data, (void)n, (void)ud;
    return 0;
}

/* A float32 all-reduce that fails is NNB_E_COMM naming its code; one that returns a non-finite
 * sum ends training with NNB_E_NONFINITE (divergence, as in one process), never a success. */
START_TEST(allreduce_failures) {
    float x[16 * 3], y[16 * 2];
    fill(x, NULL, 48, 8);
    for (int i = 0; i < 16; i++) y[2 * i] = i % 2, y[2 * i + 1] = 1 - i % 2;
    for (int mode = 0; mode < 4; mode++) {
        nnb_net *net = net32(3, 4, 2, NNB_ACT_SOFTMAX);
        nnb_train_opts *o;
        nnbt_ok(nnb_train_opts_create(&o));
        nnbt_ok(nnb_train_opts_set_epochs(o, 2));
        nnbt_ok(nnb_train_opts_set_batch_size(o, 8));
        nnbt_ok(nnb_train_opts_set_shard(o, 0, 2));
        nnbt_ok(nnb_train_opts_set_allreduce(o, ok64, NULL));
        nnbt_ok(nnb_train_opts_set_allreduce_f32(o, bad32, &mode));
        nnb_clear_error();
        nnb_status st = nnb_net_train_f32(net, o, x, 16, 3, y, 2, NULL);
        ck_assert_msg(st == (mode ? NNB_E_NONFINITE : NNB_E_COMM), "mode %d: %s (%s)", mode,
                      nnb_status_name(st), nnb_last_error());
        if (mode == 0) ck_assert_msg(strstr(nnb_last_error(), "code 7"), "%s", nnb_last_error());
        nnb_train_opts_free(o);
        nnb_net_free(net);
    }
}
END_TEST

/* ---- the preparation into float32 ------------------------------------------------------------ */

/* A CSV column left unscaled with a value beyond float32's range, a matrix scaled by a tiny
 * range and the inverse of targets scaled by a huge one: the float32 result would be infinite.
 * NNB_E_NONFINITE naming the value, and the caller's array unchanged. The float64 versions are
 * unaffected. */
START_TEST(prep_beyond_float32) {
    static const char csv[] = "a,b,t\n1,2,4e38\n3,1e39,-4e38\n5,6,0\n";
    nnb_table *t = nnbt_parse(csv, sizeof csv - 1, NULL);
    nnb_prep *p;
    nnbt_ok(nnb_prep_create(&p));
    nnbt_ok(nnb_prep_add_target(p, "t", NNB_TARGET_VALUES));
    nnbt_ok(nnb_prep_scale(p, "a", NNB_SCALE_STANDARD));
    nnbt_ok(nnb_prep_scale(p, "b", NNB_SCALE_NONE));
    nnbt_ok(nnb_prep_scale(p, "t", NNB_SCALE_STANDARD));
    nnbt_ok(nnb_prep_fit(p, t, NULL, 3));
    float x[6], y[3];
    double xd[6], yd[3];
    nnbt_ok(nnb_prep_apply(p, t, NULL, 3, xd, 6, yd, 3));
    memset(x, 0x55, sizeof x);
    nnbt_expect(nnb_prep_apply_f32(p, t, NULL, 3, x, 6, y, 3), NNB_E_NONFINITE, "float32");
    ck_assert_msg(strstr(nnb_last_error(), "'b'") != NULL, "%s", nnb_last_error());
    size_t row1 = 0;
    nnbt_ok(nnb_prep_apply_f32(p, t, &row1, 1, x, 6, y, 3));
    /* targets back in their units: 1e300 is beyond float32 */
    y[0] = 1.0f, y[1] = 0.5f, y[2] = 0.0f;
    float keep[3];
    memcpy(keep, y, sizeof y);
    nnbt_expect(nnb_prep_inverse_targets_f32(p, y, 3, 1), NNB_E_NONFINITE, "float32");
    ck_assert_msg(memcmp(keep, y, sizeof y) == 0, "a refused inverse changed y");
    nnbt_ok(nnb_prep_inverse_targets(p, yd, 3, 1));
    nnb_prep_free(p);
    nnb_table_free(t);
    /* a float matrix to fit with NaN or infinity in it, or counts that wrap */
    nnbt_ok(nnb_prep_create(&p));
    float bad[4] = {1, 2, NAN, 4};
    nnbt_expect(nnb_prep_fit_matrix_f32(p, NULL, 2, 2, NNB_SCALE_STANDARD), NNB_E_NULL, "");
    nnbt_expect(nnb_prep_fit_matrix_f32(p, bad, 2, 2, NNB_SCALE_STANDARD), NNB_E_NONFINITE,
                "x[1][0]");
    bad[2] = -INFINITY;
    nnbt_expect(nnb_prep_fit_matrix_f32(p, bad, 2, 2, NNB_SCALE_MINMAX), NNB_E_NONFINITE,
                "x[1][0]");
    nnbt_expect(nnb_prep_fit_matrix_f32(p, bad, SIZE_MAX / 2 + 1, 2, NNB_SCALE_MINMAX),
                NNB_E_TOO_LARGE, "");
    ck_assert(!nnb_prep_is_fitted(p));
    nnb_prep_free(p);
    /* a matrix scaled by a tiny range */
    double m[4] = {0, 1, 1e-300, 2};
    nnbt_ok(nnb_prep_create(&p));
    nnbt_ok(nnb_prep_fit_matrix(p, m, 2, 2, NNB_SCALE_MINMAX));
    float xm[4] = {0.5f, 1.5f, 1.0f, 1.0f}, keepm[4];
    memcpy(keepm, xm, sizeof xm);
    nnbt_expect(nnb_prep_transform_f32(p, xm, 2, 2), NNB_E_NONFINITE, "float32");
    ck_assert_msg(memcmp(keepm, xm, sizeof xm) == 0, "a refused transform changed x");
    xm[0] = 0.0f, xm[2] = 0.0f;
    nnbt_ok(nnb_prep_transform_f32(p, xm, 2, 2));
    nnb_prep_free(p);
}
END_TEST

/* ---- IDX files into float32 ------------------------------------------------------------------- */

/* The float32 readers over damaged IDX files (and /dev/zero, a folder, a missing MNIST folder):
 * the same status and message as the float64 readers, and on success the same values rounded. */
START_TEST(idx_damage) {
    unsigned char ok[16 + 12] = {0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 2};
    for (int i = 0; i < 12; i++) ok[16 + i] = (unsigned char)(i * 21);
    unsigned char lab[8 + 3] = {0, 0, 8, 1, 0, 0, 0, 3, 0, 2, 9};
    unsigned char huge[16] = {0,    0,    8,    3,    0xff, 0xff, 0xff, 0xff,
                              0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    unsigned char badmagic[16 + 12];
    memcpy(badmagic, ok, sizeof ok);
    badmagic[2] = 0x0d; /* float32 items: not read */
    struct {
        const char *name;
        const unsigned char *b;
        size_t n;
    } files[] = {{"ok.idx", ok, sizeof ok},       {"short.idx", ok, sizeof ok - 5},
                 {"header.idx", ok, 10},          {"empty.idx", ok, 0},
                 {"huge.idx", huge, sizeof huge}, {"magic.idx", badmagic, sizeof badmagic},
                 {"labels.idx", lab, sizeof lab}};
    char path[4096];
    for (size_t f = 0; f < sizeof files / sizeof *files + 2; f++) {
        const char *p = path;
        if (f < sizeof files / sizeof *files) {
            nnbt_tmp_path(path, sizeof path, files[f].name);
            ck_assert(nnbt_write_file(path, files[f].b, files[f].n));
        } else {
            p = f == sizeof files / sizeof *files ? "/dev/zero" : nnbt_tmpdir();
        }
        double xd[16], yd[40];
        float x[16], y[40];
        char m64[512];
        for (int labels = 0; labels < 2; labels++) {
            nnb_clear_error();
            nnb_status s64 = labels ? nnb_idx_read_labels(p, 10, yd, 40, NULL)
                                    : nnb_idx_read_images(p, xd, 16, NULL, NULL);
            snprintf(m64, sizeof m64, "%s", nnb_last_error());
            nnb_clear_error();
            nnb_status s32 = labels ? nnb_idx_read_labels_f32(p, 10, y, 40, NULL)
                                    : nnb_idx_read_images_f32(p, x, 16, NULL, NULL);
            ck_assert_msg(s32 == s64, "%s (labels %d): float32 %s, float64 %s (%s)", p, labels,
                          nnb_status_name(s32), nnb_status_name(s64), nnb_last_error());
            const char *m32 = strchr(nnb_last_error(), ':'), *m = strchr(m64, ':');
            ck_assert_msg(!m32 == !m && (!m || strcmp(m32, m) == 0), "%s: \"%s\" vs \"%s\"", p,
                          nnb_last_error(), m64);
            if (s64 == NNB_OK && !labels)
                for (int i = 0; i < 12; i++) ck_assert(x[i] == (float)xd[i]);
            if (s64 == NNB_OK && labels)
                for (int i = 0; i < 30; i++) ck_assert(y[i] == (float)yd[i]);
        }
    }
    float x[16], y[16];
    double xd[16], yd[16];
    nnb_status s64 = nnb_mnist_read_part(nnbt_tmpdir(), NNB_MNIST_TEST, 1, xd, 16, yd, 16);
    ck_assert_int_ne(s64, NNB_OK);
    nnbt_expect(nnb_mnist_read_part_f32(nnbt_tmpdir(), NNB_MNIST_TEST, 1, x, 16, y, 16), s64,
                "t10k");
}
END_TEST

/* ---- model files of format 1.1 --------------------------------------------------------------- */

/* A float32 model with every part (preparation, metadata, training state). */
static unsigned char *model32(size_t *len) {
    nnbt_model m;
    nnbt_model_make(&m, 2);
    nnb_net *c;
    nnbt_ok(nnb_net_copy(&c, m.net, NNB_F32));
    *len = nnb_model_write_size(c, m.prep, m.meta, 1);
    unsigned char *b = malloc(*len);
    nnbt_ok(nnb_model_write_buffer(c, m.prep, m.meta, 1, b, *len, NULL));
    nnb_net_free(c);
    nnbt_model_free(&m);
    return b;
}

static nnb_status load(const unsigned char *b, size_t len) {
    nnb_net *net = NULL;
    nnb_prep *prep = NULL;
    nnb_meta *meta = NULL;
    nnb_clear_error();
    nnb_status st = nnb_model_read_buffer(&net, &prep, &meta, b, len);
    if (st == NNB_OK)
        ck_assert_int_eq(nnb_net_dtype(net), NNB_F32);
    else
        ck_assert_msg(!net && !prep && !meta, "a failed load returned objects");
    nnb_net_free(net), nnb_prep_free(prep), nnb_meta_free(meta);
    return st;
}

/* The offset of the element type: after ARCH's section header, inputs, layer count, layers. */
static size_t type_offset(const unsigned char *b) {
    uint64_t nl;
    memcpy(&nl, b + 32 + 16 + 8, 8);
    return 32 + 16 + 16 + 24 * (size_t)nl;
}

START_TEST(model_damage) {
    size_t len;
    unsigned char *b = model32(&len), *d = malloc(len);
    nnbt_ok(load(b, len));
    ck_assert_uint_eq(b[10], 1); /* version 1.1 */
    /* every truncation */
    for (size_t n = 0; n < len; n++) {
        nnb_status st = load(b, n);
        ck_assert_msg(st == NNB_E_FORMAT, "truncated to %zu of %zu: %s", n, len,
                      nnb_status_name(st));
    }
    /* every byte changed (the checksum catches it), and changed with the checksum fixed */
    for (size_t i = 0; i < len; i++) {
        memcpy(d, b, len);
        d[i] ^= 0x5a;
        ck_assert_msg(load(d, len) != NNB_OK, "byte %zu changed, still loads", i);
        if (i + 4 < len) {
            nnbt_fix_crc(d, len);
            load(d, len); /* any status, never a crash or a leak */
        }
    }
    /* the element type: unknown in a 1.1 file is damage */
    size_t at = type_offset(b);
    memcpy(d, b, len);
    d[at] = 2;
    nnbt_fix_crc(d, len);
    nnbt_expect(load(d, len), NNB_E_FORMAT, "element type 2");
    /* ... and in a newer minor version (1.3) a type this library does not know: a newer nnblas */
    d[10] = 3;
    nnbt_fix_crc(d, len);
    nnbt_expect(load(d, len), NNB_E_VERSION, "newer");
    /* a float32 model claiming version 1.0 (no element type field) */
    memcpy(d, b, len);
    d[10] = 0;
    nnbt_fix_crc(d, len);
    ck_assert_int_eq(load(d, len), NNB_E_FORMAT);
    /* NaN and infinity among the float32 parameters */
    uint32_t nan_bits = 0x7fc00000u, inf_bits = 0xff800000u;
    size_t pf = at + 4 + 16 + 8; /* PF32's first value */
    ck_assert(memcmp(b + at + 4, "PF32", 4) == 0);
    for (int k = 0; k < 2; k++) {
        memcpy(d, b, len);
        memcpy(d + pf + 4 * 3, k ? &inf_bits : &nan_bits, 4);
        nnbt_fix_crc(d, len);
        nnbt_expect(load(d, len), NNB_E_NONFINITE, "parameter 3");
    }
    /* a newer major version */
    memcpy(d, b, len);
    d[8] = 2;
    nnbt_fix_crc(d, len);
    nnbt_expect(load(d, len), NNB_E_VERSION, "newer");
    free(d);
    free(b);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("reliability");
    TCase *tc = tcase_create("families");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, huge_epoch_counts);
    tcase_add_test(tc, history_grows);
    tcase_add_loop_test(tc, divergence_is_an_error, 0, 2);
    tcase_add_test(tc, divergence_every_optimiser);
    tcase_add_test(tc, non_finite_models);
    tcase_add_test(tc, save_targets);
    tcase_add_test(tc, unsized_inputs);
    tcase_add_loop_test(tc, resume_equals_straight, 0, 2 * (int)N_ALL_OPTS);
    tcase_add_test(tc, resume_with_early_stop);
    tcase_add_test(tc, stop_from_another_thread);
    suite_add_tcase(s, tc);
    tc = tcase_create("float32 under attack");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, null_pointers);
    tcase_add_test(tc, shapes_and_counts);
    tcase_add_test(tc, doubles_beyond_float32);
    tcase_add_test(tc, parameters_not_finite);
    tcase_add_test(tc, train_state_not_finite);
    tcase_add_test(tc, convert_keeps_its_own_state);
    tcase_add_test(tc, allreduce_failures);
    tcase_add_test(tc, nan_in_float_data);
    tcase_add_test(tc, prep_beyond_float32);
    tcase_add_test(tc, model_damage);
    tcase_add_test(tc, idx_damage);
    suite_add_tcase(s, tc);
    return s;
}

NNBT_MAIN(suite, 0)
