/* nnblas train, what it prints (tools/cli_train_output.c): the intro (data, task, network,
 * training), the progress (a live bar on a terminal, one line per epoch, or JSON objects) and the
 * results (text or a JSON summary; the line of an interrupted run). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli_train.h"

static double seconds_left(const progress *p, double in_epoch_fraction) {
    if (p->done == 0 && in_epoch_fraction <= 0) return NAN;
    double per_epoch = p->done ? p->secs_done / (double)p->done
                               : (now_seconds() - p->epoch_start) / in_epoch_fraction;
    double remaining = (double)(p->last_epoch - p->first_epoch - p->done) - in_epoch_fraction;
    return per_epoch * remaining;
}

/* A loss or an accuracy to 4 decimals; a huge value (a diverging run) in exponent form, so
 * that 1e200 does not print as 201 digits. */
static const char *num4(char b[32], double v) {
    snprintf(b, 32, fabs(v) < 1e6 ? "%.4f" : "%.4e", v);
    return b;
}

/* The epochs of this run, from the first callback: the library counts epochs across runs. */
static void sync_epochs(progress *p, size_t epoch) {
    if (p->done > 0 || p->synced) return;
    p->first_epoch = epoch - 1;
    /* the library refuses epoch counts that overflow; saturate anyway */
    p->last_epoch =
        p->n_epochs > SIZE_MAX - p->first_epoch ? SIZE_MAX : p->first_epoch + p->n_epochs;
    p->synced = 1;
}

/* Columns of the terminal on stdout (80 if unknown). */
static int terminal_columns(void) {
    struct winsize w;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &w) == 0 && w.ws_col >= 20) return w.ws_col;
    return 80;
}

int train_on_batch(size_t epoch, size_t batch, size_t n_batches, double batch_loss, void *ud) {
    progress *p = ud;
    sync_epochs(p, epoch);
    p->loss_sum += batch_loss;
    p->loss_n++;
    double t = now_seconds();
    if (p->show != SHOW_BAR || (t - p->last_draw < 0.1 && batch < n_batches)) return 0;
    p->last_draw = t;
    double frac = (double)batch / (double)n_batches, el = t - p->epoch_start;
    double sps = el > 0 ? frac * (double)p->n_train / el : 0;
    char left[32], head[64], rest[160], bar[31];
    fmt_duration(left, seconds_left(p, frac));
    snprintf(head, sizeof head, "epoch %zu/%zu", epoch, p->last_epoch);
    char lb[32];
    snprintf(rest, sizeof rest, " %3.0f%%  loss %s  %.0f samples/s  %s left", 100 * frac,
             num4(lb, p->loss_sum / (double)p->loss_n), sps, left);
    /* one line that fits the terminal, or the redraw would wrap */
    int room = terminal_columns() - 1 - (int)strlen(head) - (int)strlen(rest) - 3;
    int width = room > 30 ? 30 : room;
    if (width >= 5) {
        int fill = (int)(frac * width);
        for (int i = 0; i < width; i++) bar[i] = i < fill ? '=' : i == fill ? '>' : ' ';
        bar[width] = '\0';
        printf("\r%s [%s]%s\033[K", head, bar, rest);
    } else {
        printf("\r%.*s%.*s\033[K", terminal_columns() - 1, head,
               terminal_columns() - 1 - (int)strlen(head), rest);
    }
    fflush(stdout);
    p->bar_drawn = 1;
    return 0;
}

static void print_metric(const char *name, double v) {
    char b[32];
    if (!isnan(v)) printf("  %s %s", name, num4(b, v));
}

int train_on_epoch(const nnb_net *net, const nnb_epoch_info *info, void *ud) {
    progress *p = ud;
    size_t epoch = (size_t)info->epoch;
    double train_loss = info->train_loss, val_loss = info->val_loss;
    double train_acc = info->train_acc, val_acc = info->val_acc;
    double seconds = info->seconds, sps = info->samples_per_s;
    sync_epochs(p, epoch);
    p->done++;
    p->secs_done += seconds;
    double left = seconds_left(p, 0);
    if (p->show == SHOW_JSON) {
        printf("{\"event\":\"epoch\",\"epoch\":%zu,\"epochs\":%zu,\"train_loss\":", epoch,
               p->last_epoch);
        json_num(stdout, train_loss);
        fputs(",\"train_accuracy\":", stdout);
        json_num(stdout, train_acc);
        fputs(",\"val_loss\":", stdout);
        json_num(stdout, val_loss);
        fputs(",\"val_accuracy\":", stdout);
        json_num(stdout, val_acc);
        fputs(",\"seconds\":", stdout);
        json_num(stdout, seconds);
        fputs(",\"samples_per_s\":", stdout);
        json_num(stdout, sps);
        fputs(",\"lr\":", stdout);
        json_num(stdout, info->lr);
        fputs(",\"seconds_left\":", stdout);
        json_num(stdout, left);
        fputs("}\n", stdout);
    } else if (p->show != SHOW_NONE && p->done % p->every != 0 && p->done != 1 &&
               epoch != p->last_epoch) {
        /* long runs print every p->every-th epoch, about 100 lines */
    } else if (p->show != SHOW_NONE) {
        char l[32];
        fmt_duration(l, left);
        if (p->bar_drawn) fputs("\r\033[K", stdout);
        int w = snprintf(NULL, 0, "%zu", p->last_epoch);
        char lb[32];
        printf("epoch %*zu/%zu  loss %s", w, epoch, p->last_epoch, num4(lb, train_loss));
        print_metric("acc", train_acc);
        print_metric("val loss", val_loss);
        print_metric("val acc", val_acc);
        printf("  %.1f s  %.0f samples/s", seconds, sps);
        printf(epoch < p->last_epoch ? "  %s left\n" : "\n", l);
    }
    fflush(stdout);
    p->bar_drawn = 0;
    p->loss_sum = 0;
    p->loss_n = 0;
    if (p->run) train_checkpoint(p->run, net, epoch, train_loss, val_loss, train_acc, val_acc);
    p->epoch_start = now_seconds();
    return 0;
}

static void describe_net(const nnb_net *net) {
    printf("network: %zu", nnb_net_n_inputs(net));
    int all_bias = 1, no_bias = 1;
    for (size_t l = 0; l < nnb_net_n_layers(net); l++) {
        size_t n_out;
        nnb_activation act;
        int bias;
        char what[96], shape[48];
        nnb_net_layer_info(net, l, NULL, &n_out, &act, &bias, NULL, NULL);
        if (!layer_words(net, l, what, shape))
            printf(" -> %zu %s", n_out, nnb_activation_name(act));
        else if (!strcmp(nnb_net_layer_kind(net, l), "conv2d"))
            printf(" -> %s %s (%s)", what, nnb_activation_name(act), shape);
        else
            printf(" -> %s (%s)", what, shape);
        if (!strstr(nnb_net_layer_kind(net, l), "pool")) /* pooling has no bias to have */
            all_bias &= bias, no_bias &= !bias;
    }
    printf("%s (%zu parameters%s)\n",
           all_bias  ? ""
           : no_bias ? ", no biases"
                     : ", some biases",
           nnb_net_n_params(net), nnb_net_dtype(net) == NNB_F32 ? ", float32" : "");
}

/* Phase 4: what is about to be trained, on what (unless --quiet or --json). */
void train_print_intro(const run *r) {
    const prepared *d = &r->d;
    const settings *s = &r->s;
    char dropped[80] = "";
    if (r->df.drop_bad_rows)
        snprintf(dropped, sizeof dropped, " (%zu dropped: missing or bad values)", d->n_dropped);
    printf("data: %s (%s), %zu rows%s: %zu training, %zu validation, %zu test\n",
           esc(d->source + 4), r->df.idx ? "IDX" : "CSV", d->n_rows + (r->df.idx ? d->xte.rows : 0),
           dropped, d->xtr.rows, d->xval.rows, d->xte.rows);
    if (d->classification) {
        printf("task: classification of '%s', %zu classes (", esc(d->target), d->n_classes);
        for (size_t k = 0; k < d->n_classes && k < 12; k++)
            printf("%s%s", k ? ", " : "", esc(d->labels[k]));
        printf("%s)\n", d->n_classes > 12 ? ", ..." : "");
    } else {
        printf("task: regression of %zu target%s\n", d->ytr.cols, d->ytr.cols > 1 ? "s" : "");
    }
    describe_net(r->net);
    char batch[32];
    snprintf(batch, sizeof batch, s->batch ? "batch %zu" : "full batch", s->batch);
    printf("training: %s, lr %g, %s, loss %s (%s), %zu epochs%s%s\n", nnb_optimizer_name(s->opt),
           s->lr, batch, nnb_loss_name((nnb_loss)s->loss), nnb_reduction_name(s->red), s->epochs,
           r->resume ? " more, resumed from " : "", r->resume ? r->v[O_RESUME] : "");
}

void train_print_json_summary(const run *r) {
    const prepared *d = &r->d;
    printf("{\"event\":\"summary\",\"task\":\"%s\",\"epochs\":%zu,\"epochs_run\":%zu,"
           "\"stopped_early\":%s,\"best_epoch\":%zu,\"train_rows\":%zu,\"val_rows\":%zu,"
           "\"test_rows\":%zu,\"dropped_rows\":%zu,\"dtype\":\"%s\",\"train_loss\":",
           d->classification ? "classification" : "regression", r->total_epochs, r->n_ep,
           r->stopped ? "true" : "false", r->best_epoch, d->xtr.rows, d->xval.rows, d->xte.rows,
           d->n_dropped, nnb_dtype_name(nnb_net_dtype(r->net)));
    json_num(stdout, r->last[NNB_HIST_TRAIN_LOSS]);
    fputs(",\"train_accuracy\":", stdout);
    json_num(stdout, r->last[NNB_HIST_TRAIN_ACC]);
    fputs(",\"val_loss\":", stdout);
    json_num(stdout, r->last[NNB_HIST_VAL_LOSS]);
    fputs(",\"val_accuracy\":", stdout);
    json_num(stdout, r->last[NNB_HIST_VAL_ACC]);
    fputs(",\"test_loss\":", stdout);
    json_num(stdout, r->test_loss);
    fputs(",\"test_rmse\":", stdout);
    json_num(stdout, r->test_rmse); /* regression, in the data's units */
    fputs(",\"test_r2\":", stdout);
    json_num(stdout, r->test_r2);
    fputs(",\"test_accuracy\":", stdout);
    json_num(stdout, r->test_acc);
    fputs(",\"samples_per_s\":", stdout);
    json_num(stdout, r->sps);
    fputs(",\"seconds\":", stdout);
    json_num(stdout, r->wall);
    fputs(",\"model\":", stdout);
    if (r->v[O_SAVE])
        json_str(stdout, r->v[O_SAVE]);
    else
        fputs("null", stdout);
    fputs("}\n", stdout);
}

void train_print_text_summary(const run *r) {
    const prepared *d = &r->d;
    if (r->stopped && r->n_ep == 0)
        printf("stopped before the first epoch ended: no step lowered the loss%s\n",
               r->s.opt == NNB_OPT_LM ? " (the damping passed its limit)" : "");
    else if (r->stopped)
        printf("stopped early; kept the weights of epoch %zu\n", r->best_epoch);
    if (d->xte.rows && d->classification)
        printf("test accuracy %.4f  (test loss %s, %zu rows)\n", r->test_acc,
               num4((char[32]){0}, r->test_loss), d->xte.rows);
    else if (d->xte.rows)
        printf("test RMSE %.6g in the data's units, R^2 %.4f  (test loss %.6g: %s, mean per "
               "row, %zu rows)\n",
               r->test_rmse, r->test_r2, r->test_loss, nnb_loss_name((nnb_loss)r->s.loss),
               d->xte.rows);
    else if (r->s.test == 0 || r->df.idx)
        printf("no test rows (--test 0); final training loss %.6g\n", r->last[NNB_HIST_TRAIN_LOSS]);
    else /* the split rounds each class's share: a tiny file leaves none */
        printf("no test rows: --test %g of %zu rows left none (the split takes round(%g x n) "
               "rows of %s; use more rows or a larger --test); final training loss %.6g\n",
               r->s.test, d->n_rows, r->s.test,
               d->classification ? "each class's n rows" : "the n rows",
               r->last[NNB_HIST_TRAIN_LOSS]);
    char w[32];
    fmt_duration(w, r->wall);
    if (r->n_ep)
        printf("%zu epoch%s in %s: %.0f samples/s\n", r->n_ep, r->n_ep == 1 ? "" : "s", w, r->sps);
    if (r->v[O_SAVE]) printf("saved %s\n", r->v[O_SAVE]);
}

/* The one line of an interrupted run. */
void train_print_interrupted(const run *r) {
    size_t left = r->s.epochs > r->n_ep ? r->s.epochs - r->n_ep : 0;
    fprintf(stderr, "nnblas: interrupted in epoch %zu, after %zu complete epoch%s of %zu",
            r->total_epochs + 1, r->n_ep, r->n_ep == 1 ? "" : "s", r->s.epochs);
    if (r->v[O_SAVE] && cli_rank() == 0)
        fprintf(stderr,
                "; saved %s with its training state (continue: nnblas train --resume %s "
                "--epochs %zu)\n",
                r->v[O_SAVE], r->v[O_SAVE], left);
    else
        fputs("; nothing saved (no --save)\n", stderr);
}
