/* nnblas train, the run (tools/cli_train.c): its phases in order (the resumed model, the data,
 * the network, training with progress, the test part, the model file, the plot, the results) and
 * the signals that stop it. What each phase needs lives in the other cli_train_*.c files (see
 * cli_train.h). */
#include <ctype.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_train.h"

/* The shape of one row for the network (--input-shape; IDX images of side x side pixels: 1 x
 * side x side, also for a dense network, whose model file then keeps it), needed when it has
 * convolution or pooling layers. */
static nnb_status input_shape(const settings *s, int idx, nnb_net *net) {
    size_t n = nnb_net_n_inputs(net), side = (size_t)sqrt((double)n);
    int spatial = 0;
    for (size_t l = 0; l < s->n_layers; l++) spatial |= !isdigit((unsigned char)s->layers[l][0]);
    if (s->shape[0]) {
        nnb_status st = nnb_net_set_input_shape(net, s->shape[0], s->shape[1], s->shape[2]);
        if (st != NNB_OK) fail("--input-shape: %s", nnb_last_error());
        return st;
    }
    if (idx && side * side == n) return nnb_net_set_input_shape(net, 1, side, side);
    if (!spatial) return NNB_OK;
    fail("--layers: convolution and pooling layers need the shape of a row: give --input-shape "
         "CxHxW (the data has %zu columns)",
         n);
    return NNB_E_INVALID_ARG;
}

/* The network for new training. */
static int build_net(const settings *s, const prepared *d, int idx, nnb_net **out) {
    nnb_net *net;
    size_t n_in = d->xtr.cols, n_out = d->ytr.cols;
    nnb_status st = nnb_net_create_dtype(&net, n_in, s->dtype);
    if (st == NNB_OK && (st = input_shape(s, idx, net)) != NNB_OK) {
        nnb_net_free(net);
        return 0;
    }
    for (size_t l = 0; l < s->n_layers && st == NNB_OK; l++) {
        st = nnb_net_add_layer_spec(net, s->layers[l], s->act, s->bias);
        if (st != NNB_OK) {
            fail("--layers: %s", nnb_last_error());
            nnb_net_free(net);
            return 0;
        }
        if (s->act == NNB_ACT_LEAKY_RELU && !strstr(nnb_net_layer_kind(net, l), "pool"))
            st = nnb_net_set_leaky_slope(net, l, s->slope);
    }
    if (st == NNB_OK) st = nnb_net_add_dense(net, n_out, (nnb_activation)s->output, s->bias);
    if (st == NNB_OK && s->output == NNB_ACT_LEAKY_RELU)
        st = nnb_net_set_leaky_slope(net, s->n_layers, s->out_slope);
    nnb_init init = s->init >= 0
                        ? (nnb_init)s->init
                        : nnb_default_init(s->n_layers ? s->act : (nnb_activation)s->output);
    if (st == NNB_OK) st = nnb_net_init(net, init, s->seed);
    if (st != NNB_OK) {
        if (net) nnb_net_free(net);
        return fail_nnb(), 0;
    }
    *out = net;
    return 1;
}

/* --epochs auto: about 2000 mini-batch steps, from 10 to 500 epochs (10 for a large set such as
 * MNIST, 500 for a small one such as iris). */
static size_t auto_epochs(size_t n_train, size_t batch) {
    size_t batches = batch && n_train > batch ? (n_train + batch - 1) / batch : 1;
    size_t e = (2000 + batches - 1) / batches;
    return e < 10 ? 10 : e > 500 ? 500 : e;
}

/* Phase 3: the network (new, or the resumed one), its loss and the metadata. */
static int setup_net(run *r) {
    settings *s = &r->s;
    if (!s->epochs) s->epochs = auto_epochs(r->d.xtr.rows, s->batch);
    if (r->df.idx && s->output < 0) s->output = NNB_ACT_SOFTMAX;
    /* the network's training, checked against the memory left before it is built */
    if (!r->resume && !check_run_memory(s, r->d.xtr.cols, r->d.ytr.cols, r->d.xtr.rows, 0, ""))
        return EXIT_FAIL;
    if (!r->resume && !build_net(s, &r->d, r->df.idx != NULL, &r->net)) return EXIT_FAIL;
    nnb_activation out_act;
    nnb_net_layer_info(r->net, nnb_net_n_layers(r->net) - 1, NULL, NULL, &out_act, NULL, NULL,
                       NULL);
    if (s->loss < 0)
        s->loss =
            (int)(r->resume ? r->mi.loss
                            : nnb_default_loss(out_act, r->d.classification ? NNB_TARGET_ONEHOT
                                                                            : NNB_TARGET_VALUES));
    if (s->opt == NNB_OPT_LM && s->loss != NNB_LOSS_MSE && s->loss != NNB_LOSS_SSE)
        return usage_error(&cmd_train,
                           "--optimizer lm minimises a sum of squares: it needs --loss "
                           "mse or sse (the loss here is %s)",
                           nnb_loss_name((nnb_loss)s->loss));
    if (!nnb_loss_fits((nnb_loss)s->loss, out_act))
        return usage_error(&cmd_train, "--loss %s needs a %s output layer",
                           nnb_loss_name((nnb_loss)s->loss),
                           nnb_activation_name(nnb_default_output_for_loss((nnb_loss)s->loss)));
    if (!r->resume && nnb_meta_create(&r->meta) != NNB_OK) return fail_nnb();
    return EXIT_OK;
}

/* The training options of the run. */
static nnb_status make_opts(run *r, nnb_train_opts **out) {
    const settings *s = &r->s;
    const prepared *d = &r->d;
    nnb_train_opts *opts = NULL;
    nnb_status st = nnb_train_opts_create(&opts);
    if (st == NNB_OK) st = nnb_train_opts_set_epochs(opts, s->epochs);
    if (st == NNB_OK) st = nnb_train_opts_set_batch_size(opts, s->batch);
    if (st == NNB_OK) st = nnb_train_opts_set_loss(opts, (nnb_loss)s->loss, s->red);
    if (st == NNB_OK) st = nnb_train_opts_set_optimizer(opts, s->opt, s->lr);
    if (st == NNB_OK) st = nnb_train_opts_set_weight_decay(opts, s->wd);
    if (st == NNB_OK) st = nnb_train_opts_set_clip_norm(opts, s->clip_norm);
    if (st == NNB_OK) st = nnb_train_opts_set_clip_value(opts, s->clip_value);
    if (st == NNB_OK && s->dropout > 0) st = nnb_train_opts_set_dropout(opts, s->dropout);
    if (st == NNB_OK && d->xval.rows)
        st = nnb_train_opts_set_validation(opts, d->xval.v, d->yval.v, d->xval.rows);
    if (st == NNB_OK && s->patience) st = nnb_train_opts_set_early_stopping(opts, s->patience, 1);
    if (st == NNB_OK) st = nnb_train_opts_set_epoch_info_callback(opts, train_on_epoch, &r->p);
    if (st == NNB_OK && r->p.show == SHOW_BAR)
        st = nnb_train_opts_set_batch_callback(opts, train_on_batch, &r->p);
    if (st != NNB_OK) {
        nnb_train_opts_free(opts);
        opts = NULL;
    }
    *out = opts;
    return st;
}

/* The last epoch's record and the summary of a history. */
static int read_history(run *r, const nnb_history *hist) {
    r->n_ep = nnb_history_n_epochs(hist);
    size_t n_fields = nnb_history_field_n_values(), n_last = sizeof r->last / sizeof r->last[0];
    for (size_t f = 0; f < n_last; f++) r->last[f] = NAN;
    if (r->n_ep) {
        double *all = malloc(r->n_ep * sizeof *all);
        if (!all) return fail("out of memory"), 0;
        for (size_t f = 0; f < n_fields && f < n_last; f++)
            if (nnb_history_get(hist, (nnb_history_field)f, all, r->n_ep) == NNB_OK)
                r->last[f] = all[r->n_ep - 1];
        free(all);
    }
    nnb_history_summary(hist, &r->best_epoch, NULL, &r->stopped);
    return 1;
}

/* The training a first SIGINT or SIGTERM stops (the one global of the command: a signal handler
 * has no other way to reach it). */
static nnb_train_opts *volatile signal_opts;
static volatile sig_atomic_t signals_seen;
static volatile sig_atomic_t training_started; /* before: nothing to save, a signal ends at once */

static void on_signal(int sig) {
    if (!training_started) { /* reading data, building the network: nothing is lost */
        static const char msg[] = "\nnblas: interrupted before training started; nothing saved\n";
        ssize_t w = write(STDERR_FILENO, msg, sizeof msg - 1);
        (void)w;
        _exit(128 + sig);
    }
    if (signals_seen++ > 0)
        _exit(130); /* the second: at once (a save in progress leaves no file) */
    nnb_train_opts *o = signal_opts;
    if (o) nnb_train_opts_request_stop(o); /* async-signal-safe: one atomic store */
}

/* Catches SIGINT and SIGTERM: before training (early: a signal ends the command at once, with a
 * line saying so, even while a read blocks), for `opts` while training, or (neither) back to the
 * defaults. The handler is installed even when SIGINT was inherited ignored (a background job of
 * a script): a training run stops the same way however it was started. */
static void catch_signals(int early, nnb_train_opts *opts) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sa.sa_handler = early || opts ? on_signal : SIG_DFL;
    signal_opts = opts;
    training_started = !early;
    if (early || opts) signals_seen = 0;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* Phase 5: training, with progress; then the history's outcome. */
static int train_phase(run *r) {
    progress *p = &r->p;
    const settings *s = &r->s;
    int json = r->t.json, quiet = r->t.quiet;
    p->show = json                                            ? (quiet ? SHOW_NONE : SHOW_JSON)
              : quiet                                         ? SHOW_NONE
              : isatty(STDOUT_FILENO) && cli_processes() == 1 ? SHOW_BAR /* mpirun: a pty */
                                                              : SHOW_LINES;
    p->n_epochs = p->last_epoch = s->epochs;
    p->n_train = r->d.xtr.rows;
    p->every = s->epochs > 100 ? s->epochs / 100 + (s->epochs % 100 != 0) : 1; /* no wrap */
    if (!json && !quiet) train_print_intro(r);
    if (cli_processes() > 1) { /* compared across the processes before training */
        run_identity id;
        if (!run_identity_make(r->net, r->d.prep, &r->d.id, r->d.labels, r->d.n_classes, &id))
            return EXIT_FAIL;
        cli_set_identity(&id);
    }

    nnb_train_opts *opts = NULL;
    nnb_history *hist = NULL;
    nnb_status st = make_opts(r, &opts);
    if (st == NNB_OK) st = nnb_history_create(&hist);
    double t0 = now_seconds();
    p->epoch_start = p->last_draw = t0;
    p->run = r;
    const prepared *d = &r->d;
    if (st == NNB_OK) {
        catch_signals(0, opts);
        st = cli_train(r->net, opts, &d->xtr, &d->ytr, hist);
        /* from here a first signal is noted (and ignored), a second ends the command */
        signal_opts = NULL;
    }
    p->run = NULL;
    r->wall = now_seconds() - t0;
    if (p->bar_drawn) fputs("\r\033[K", stdout);
    nnb_train_opts_free(opts);
    r->interrupted = st == NNB_E_CANCELLED && signals_seen > 0;
    if (r->interrupted) st = NNB_OK;
    if (st != NNB_OK) {
        fail_nnb();
        nnb_history_free(hist);
        return EXIT_FAIL;
    }
    int ok = read_history(r, hist);
    if (r->v[O_PLOT] && cli_rank() == 0)
        r->hist = hist; /* drawn after the other outputs (plot_phase) */
    else
        nnb_history_free(hist);
    if (!ok) return EXIT_FAIL;
    const char *before = nnb_meta_get(r->meta, "train.epochs");
    r->total_epochs = r->n_ep               ? (size_t)r->last[NNB_HIST_EPOCH]
                      : r->resume && before ? (size_t)strtoull(before, NULL, 10)
                                            : 0;
    r->sps = p->secs_done > 0 ? (double)d->xtr.rows * (double)r->n_ep / p->secs_done : NAN;
    return EXIT_OK;
}

/* Phase 6: the test part's loss and accuracy. */
static int test_phase(run *r) {
    const prepared *d = &r->d;
    r->test_loss = r->test_acc = NAN;
    if (d->xte.rows && mat_evaluate(r->net, &d->xte, &d->yte, (nnb_loss)r->s.loss,
                                    NNB_REDUCTION_MEAN, &r->test_loss, &r->test_acc) != NNB_OK)
        return fail_nnb();
    if (!d->classification) r->test_acc = NAN;
    /* regression: the RMSE over every target in the data's units (targets may be scaled), and
     * R^2, the mean of the targets' (scikit-learn's uniform average) */
    r->test_rmse = r->test_r2 = NAN;
    if (!d->classification && d->xte.rows) {
        size_t n = d->xte.rows * d->yte.cols;
        double *yhat = malloc(n * sizeof *yhat), *y = malloc(n * sizeof *y);
        nnb_status st = yhat && y ? NNB_OK : NNB_E_NOMEM;
        if (st == NNB_OK) st = mat_predict(r->net, &d->xte, yhat, n);
        for (size_t i = 0; st == NNB_OK && i < n; i++) y[i] = mat_get(&d->yte, i);
        if (st == NNB_OK) st = nnb_prep_inverse_targets(d->prep, yhat, d->xte.rows, d->yte.cols);
        if (st == NNB_OK) st = nnb_prep_inverse_targets(d->prep, y, d->xte.rows, d->yte.cols);
        double mae; /* every target as one column: finite for any finite values */
        if (st == NNB_OK) error_stats(y, 1, yhat, 1, n, 0, &r->test_rmse, &mae);
        for (size_t j = 0; st == NNB_OK && j < d->yte.cols; j++)
            r->test_r2 =
                (j ? r->test_r2 : 0) +
                r2_score(y, d->yte.cols, yhat, d->yte.cols, d->xte.rows, j) / (double)d->yte.cols;
        free(yhat), free(y);
        if (st == NNB_E_NOMEM) return fail("out of memory");
        if (st != NNB_OK) return fail_nnb();
    }
    return EXIT_OK;
}

/* Phase 7: the model file. */
static int save_phase(run *r) { return train_save_model(r, r->net); }

static void run_free(run *r) {
    prepared_free(&r->d);
    nnb_net_free(r->net);
    nnb_meta_free(r->meta);
    model_close(&r->mi);
    nnb_history_free(r->hist);
}

/* --plot: the learning curves, the last file written (a failure before leaves none). */
static int plot_phase(const run *r) {
    if (!r->hist) return EXIT_OK;
    return plot_history(r->v[O_PLOT], r->hist, r->d.source + 4) ? EXIT_OK : EXIT_FAIL;
}

/* Before any work: no output of the run (--save, which --checkpoint-every writes too, and
 * --plot) is one of its inputs (the data, the resumed model) or another output. --resume X
 * --save X continues a model in place. */
static int check_train_files(const run *r) {
    const char **v = r->v;
    const file_use uses[3] = {
        {"--resume", v[O_RESUME], 0, 1}, {"--save", v[O_SAVE], 1, 1}, {"--plot", v[O_PLOT], 1, 0}};
    return check_data_files(&cmd_train, &r->df, uses, 3);
}

/* The phases in order; the first failure's exit status. */
static int run_phases(run *r) {
    catch_signals(1, NULL);
    int st = r->resume ? train_load_resumed(r) : EXIT_OK;
    if (st == EXIT_OK) st = check_train_files(r);
    if (st == EXIT_OK && r->s.threads && nnb_set_num_threads((int)r->s.threads) != NNB_OK)
        st = fail_nnb();
    if (st == EXIT_OK) st = train_load_data(r);
    if (st == EXIT_OK) st = train_check_data(r);
    if (st == EXIT_OK) st = setup_net(r);
    /* a bad --save must not cost a training run */
    if (st == EXIT_OK && r->v[O_SAVE] && cli_rank() == 0 && !check_writable(r->v[O_SAVE]))
        st = EXIT_FAIL;
    if (st == EXIT_OK && r->v[O_PLOT] && cli_rank() == 0 && !plot_check(r->v[O_PLOT]))
        st = EXIT_FAIL;
    if (st == EXIT_OK) st = train_phase(r);
    if (st == EXIT_OK && r->interrupted) {
        st = save_phase(r);
        if (st == EXIT_OK) st = plot_phase(r);
        train_print_interrupted(r); /* the handler stays: a second signal still exits 130 */
        return st == EXIT_OK ? 130 : st;
    }
    if (st == EXIT_OK) st = test_phase(r);
    if (st == EXIT_OK) st = save_phase(r);
    if (st == EXIT_OK) st = plot_phase(r);
    catch_signals(0, NULL); /* the results are printed with the signals' default action */
    if (st == EXIT_OK) {
        if (r->t.json)
            train_print_json_summary(r);
        else
            train_print_text_summary(r);
    }
    return st;
}

int run_train(int argc, char **argv) {
    run *r = calloc(1, sizeof *r);
    if (!r) return fail("out of memory");
    int st = parse_train(argc, argv, &r->t);
    if (st) {
        free(r);
        return st < 0 ? EXIT_OK : st;
    }
    r->argc = argc, r->argv = argv;
    r->v = r->t.v;
    r->s = r->t.s;
    r->resume = r->v[O_RESUME] != NULL;
    const char **v = r->v;
    r->df =
        (data_flags){v[O_CSV],  v[O_IDX],       v[O_TARGET],        v[O_ONEHOT], v[O_STANDARDIZE],
                     v[O_DROP], v[O_DELIMITER], r->t.drop_bad_rows, v[O_FILL],   v[O_DECIMAL]};
    st = run_phases(r);
    if (!r->interrupted) catch_signals(0, NULL); /* (interrupted: a second signal still ends it) */
    fflush(stdout);
    run_free(r);
    free(r);
    return st;
}
