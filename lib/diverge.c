/* Why training diverged, when the settings point at a cause other than the learning rate: the
 * divergence messages of the training loop advise a lower rate; a weight decay that makes each
 * step shrink the weights past zero, or a leaky ReLU slope that multiplies what it passes
 * thousands of times, is named instead (issue 26). */
#define NNB_EXPERIMENTAL /* nnb_set_error() */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "nnb_internal.h"
#include "train_internal.h"

/* The cause the settings give, into buf; 0 if none stands out. */
static int settings_cause(const nnb_net *net, const nnb_train_opts *o, char *buf, size_t len) {
    double lr = o->lr, wd = o->weight_decay;
    if (wd > 0 && !(lr * wd < 1)) {
        snprintf(buf, len,
                 "the weight decay %g is too large for the learning rate %g (their product, "
                 "%g, is not below 1: every step pulls the weights past zero); lower the weight "
                 "decay",
                 wd, lr, lr * wd);
        return 1;
    }
    for (size_t l = 0; l < net->n_layers; l++) {
        const nnbi_layer *y = &net->layers[l];
        if (y->act == NNB_ACT_LEAKY_RELU && y->alpha > 1e3) {
            snprintf(buf, len,
                     "the leaky ReLU slope %g of layer %zu multiplies every negative value it "
                     "passes %g times; a slope is usually 0.01 to 0.3",
                     y->alpha, l + 1, y->alpha);
            return 1;
        }
    }
    return 0;
}

nnb_status nnbi_explain_divergence(const nnb_net *net, const nnb_train_opts *o, nnb_status st) {
    char cause[320], msg[1024];
    if (st != NNB_E_NONFINITE || !settings_cause(net, o, cause, sizeof cause)) return st;
    const char *m = nnb_last_error(), *end = strstr(m, "; training diverged");
    int keep = end ? (int)(end - m) : (int)strlen(m);
    snprintf(msg, sizeof msg, "%.*s; training diverged: %s", keep, m, cause);
    return nnb_set_error(NNB_E_NONFINITE, msg);
}
