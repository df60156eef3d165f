/*
 * Reliability at the library level (issue 14's families): counts too large to serve, divergence,
 * non-finite models, saves onto what is not a regular file, input byte limits, stopping
 * nnb_net_train() cleanly, and resumed training that equals a straight run bit for bit with early
 * stopping, dropout, validation and every optimiser. The command's side is tests/hostile.py.
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

static nnb_net *net_2_h_1(size_t hidden, nnb_activation out, uint64_t seed) {
    nnb_net *net;
    nnbt_ok(nnb_net_create(&net, 2));
    nnbt_ok(nnb_net_add_dense(net, hidden, NNB_ACT_TANH, 1));
    nnbt_ok(nnb_net_add_dense(net, 1, out, 1));
    nnbt_ok(nnb_net_init(net, NNB_INIT_XAVIER_UNIFORM, seed));
    return net;
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
 * NNB_E_NONFINITE naming epoch and batch and suggesting a lower rate, for each optimiser. */
START_TEST(divergence_is_an_error) {
    double x[64 * 2], y[64];
    for (int i = 0; i < 64; i++) {
        x[2 * i] = sin(i), x[2 * i + 1] = cos(3 * i);
        y[i] = 1e3 * (i % 2);
    }
    nnb_optimizer opts[] = {NNB_OPT_SGD, NNB_OPT_MOMENTUM, NNB_OPT_NESTEROV};
    for (size_t k = 0; k < 3; k++) {
        nnb_net *net;
        nnbt_ok(nnb_net_create(&net, 2));
        nnbt_ok(nnb_net_add_dense(net, 16, NNB_ACT_RELU, 1));
        nnbt_ok(nnb_net_add_dense(net, 1, NNB_ACT_IDENTITY, 1));
        nnbt_ok(nnb_net_init(net, NNB_INIT_HE_NORMAL, 3));
        nnb_train_opts *o;
        nnbt_ok(nnb_train_opts_create(&o));
        nnbt_ok(nnb_train_opts_set_optimizer(o, opts[k], 1e6));
        nnbt_ok(nnb_train_opts_set_epochs(o, 50));
        nnbt_ok(nnb_train_opts_set_loss(o, NNB_LOSS_MSE, NNB_REDUCTION_MEAN));
        nnb_clear_error();
        ck_assert_int_eq(nnb_net_train(net, o, x, 64, 2, y, 1, NULL), NNB_E_NONFINITE);
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
    nnb_optimizer opts[] = {NNB_OPT_SGD,      NNB_OPT_MOMENTUM, NNB_OPT_NESTEROV, NNB_OPT_ADAM,
                            NNB_OPT_ADAMW,    NNB_OPT_RMSPROP,  NNB_OPT_LM};
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
 * epoch), the state carried through bytes into a fresh network, then the remaining epochs: the
 * weights, the training state and the histories' tails must be identical. */
static void check_resume(nnb_optimizer opt, size_t at) {
    enum { N = 48 };
    const size_t E = 12;
    double x[N * 2], y[N];
    blobs(x, y, N, 11);
    int lm = opt == NNB_OPT_LM;
    nnb_net *a = net_2_h_1(6, NNB_ACT_SIGMOID, 9);
    nnb_train_opts *o = resume_opts(opt, E, !lm);
    nnb_history *ha;
    nnbt_ok(nnb_history_create(&ha));
    nnbt_ok(nnb_net_train(a, o, x, N, 2, y, 1, ha));

    nnb_net *b = net_2_h_1(6, NNB_ACT_SIGMOID, 9);
    stopper s = {o, 0, lm ? at / 5 + 1 : at}; /* LM: one step an epoch, stopped between */
    if (lm)
        nnbt_ok(nnbt_set_epoch_callback(o, stop_at_epoch, &s));
    else
        nnbt_ok(nnb_train_opts_set_batch_callback(o, stop_at, &s));
    nnb_history *hb;
    nnbt_ok(nnb_history_create(&hb));
    nnbt_expect(nnb_net_train(b, o, x, N, 2, y, 1, hb), NNB_E_CANCELLED, "on request");
    size_t done = nnb_history_n_epochs(hb);
    ck_assert(done < nnb_history_n_epochs(ha));
    nnb_train_opts_clear_stop(o);
    nnbt_ok(nnb_train_opts_set_batch_callback(o, NULL, NULL));
    nnbt_ok(nnbt_set_epoch_callback(o, NULL, NULL));
    /* through bytes, into a fresh network */
    size_t n = nnb_net_train_state_size(b);
    unsigned char *state = malloc(n);
    nnbt_ok(nnb_net_train_state_get(b, state, n, NULL));
    double *pb = params_of(b);
    nnb_net *c = net_2_h_1(6, NNB_ACT_SIGMOID, 1);
    nnbt_ok(nnb_net_params_set(c, pb, nnb_net_n_params(c)));
    nnbt_ok(nnb_net_train_state_set(c, state, n));
    nnbt_ok(nnb_train_opts_set_epochs(o, E - done));
    nnb_history *hc;
    nnbt_ok(nnb_history_create(&hc));
    nnbt_ok(nnb_net_train(c, o, x, N, 2, y, 1, hc));

    double *pa = params_of(a), *pc = params_of(c);
    ck_assert_msg(memcmp(pa, pc, nnb_net_n_params(a) * sizeof *pa) == 0,
                  "optimiser %d, stopped after %zu batches: the weights differ", (int)opt, at);
    size_t na = nnb_net_train_state_size(a), nc = nnb_net_train_state_size(c);
    ck_assert_uint_eq(na, nc);
    unsigned char *sa = malloc(na), *sc = malloc(nc);
    nnbt_ok(nnb_net_train_state_get(a, sa, na, NULL));
    nnbt_ok(nnb_net_train_state_get(c, sc, nc, NULL));
    ck_assert_msg(memcmp(sa, sc, na) == 0, "optimiser %d: the training states differ", (int)opt);
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

START_TEST(resume_equals_straight) {
    /* 36 training rows, batch 8: 5 batches an epoch; stop within epochs 1, 2 and 4 */
    size_t ats[] = {3, 7, 18};
    for (size_t k = 0; k < sizeof ats / sizeof ats[0]; k++) check_resume(all_opts[_i], ats[k]);
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

static Suite *suite(void) {
    Suite *s = suite_create("reliability");
    TCase *tc = tcase_create("families");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, huge_epoch_counts);
    tcase_add_test(tc, history_grows);
    tcase_add_test(tc, divergence_is_an_error);
    tcase_add_test(tc, divergence_every_optimiser);
    tcase_add_test(tc, non_finite_models);
    tcase_add_test(tc, save_targets);
    tcase_add_test(tc, unsized_inputs);
    tcase_add_loop_test(tc, resume_equals_straight, 0,
                        (int)(sizeof all_opts / sizeof all_opts[0]));
    tcase_add_test(tc, resume_with_early_stop);
    tcase_add_test(tc, stop_from_another_thread);
    suite_add_tcase(s, tc);
    return s;
}

NNBT_MAIN(suite, 0)
