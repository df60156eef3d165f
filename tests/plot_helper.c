/* For tests/test_plot.py: pictures of awkward data, written by the command's own plotting code
 * (tools/cli_plot.c), which the command line cannot reach directly.
 *
 *   plot_helper curves FILE      learning curves with NaN, +inf and -inf in them (gaps), a
 *                                validation loss that is all NaN, a validation accuracy all inf
 *   plot_helper empty FILE       learning curves of no epoch
 *   plot_helper labels FILE      a 3-class confusion matrix whose labels hold markup, control
 *                                characters and invalid UTF-8
 *   plot_helper scatter FILE     predicted against actual with non-finite rows
 *   plot_helper narrow FILE      an accuracy from 0.84 to 0.92 and no validation part */
#include <math.h>
#include <string.h>

#include "cli.h"

int main(int argc, char **argv) {
    if (argc != 3) return 2;
    const char *what = argv[1], *path = argv[2];
    double epoch[7] = {1, 2, 3, 4, 5, 6, 7};
    double tl[7] = {1, NAN, INFINITY, 0.5, -INFINITY, 0.25, 0.2};
    double vl[7] = {NAN, NAN, NAN, NAN, NAN, NAN, NAN};
    double ta[7] = {0.1, 0.2, NAN, 0.4, 0.5, 0.6, NAN};
    double va[7] = {INFINITY, INFINITY, INFINITY, INFINITY, INFINITY, INFINITY, INFINITY};
    if (strcmp(what, "curves") == 0)
        return plot_curves(path, 7, epoch, tl, vl, ta, va, "gaps <&> \x01\xff") ? 0 : 1;
    if (strcmp(what, "narrow") == 0) {
        double loss[4] = {0.5, 0.4, 0.35, 0.3}, acc[4] = {0.84, 0.88, 0.9, 0.92};
        return plot_curves(path, 4, epoch, loss, vl, acc, vl, "narrow") ? 0 : 1;
    }
    if (strcmp(what, "empty") == 0)
        return plot_curves(path, 0, epoch, tl, vl, ta, va, "no epochs") ? 0 : 1;
    if (strcmp(what, "labels") == 0) {
        const char *labels[3] = {"<b>&amp;", "tab\there\x02", "bad \xc3\x28 \xff utf-8"};
        size_t conf[9] = {5, 1, 0, 2, 7, 1, 0, 0, 9};
        return plot_confusion(path, conf, 3, labels, "\"quoted\" 'title'") ? 0 : 1;
    }
    if (strcmp(what, "scatter") == 0) {
        double actual[5] = {1, 2, NAN, 4, 5}, pred[5] = {1.5, INFINITY, 3, 3.5, 5.5};
        const char *names[1] = {"y<1>"};
        return plot_scatter(path, actual, 1, pred, 1, 5, 1, names, "scatter") ? 0 : 1;
    }
    return 2;
}
