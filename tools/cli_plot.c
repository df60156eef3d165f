/* Pictures for nnblas train --plot and nnblas eval --plot: SVG written here, without a plotting
 * library. Each picture is written atomically (atomic_open / atomic_commit, as --out and --save):
 * a regular file or nothing at the path is replaced, anything else refused.
 *
 * What a reader (or a test) can rely on in the SVG:
 * - the learning curves: one <polyline class="SERIES"> per run of consecutive finite values
 *   (SERIES: train-loss, val-loss, train-acc, val-acc), one point per epoch; a NaN or an
 *   infinity is a gap between two polylines, never a number in the file; a series with no
 *   finite value has no polyline;
 * - the confusion matrix: one <rect class="cell" data-true="T" data-pred="P" data-count="N">
 *   per cell (rows: true class, columns: predicted class);
 * - predicted against actual (regression): one <circle class="point"> per row with finite
 *   values, one panel per target (the first 6).
 * Text (class labels, file names) is escaped; invalid UTF-8 becomes U+FFFD and control
 * characters '?', so the file is well-formed XML whatever the data held. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

/* ---- text ------------------------------------------------------------------------------------ */

/* Writes s as XML character data (or an attribute value), at most max_chars characters (0: all;
 * longer text ends in "..."). */
static void xml_text(FILE *f, const char *s, size_t max_chars) {
    const unsigned char *p = (const unsigned char *)s;
    size_t chars = 0;
    while (*p) {
        if (max_chars && chars == max_chars) {
            fputs("...", f);
            return;
        }
        unsigned char c = *p;
        size_t n = 1;
        if (c == '&')
            fputs("&amp;", f);
        else if (c == '<')
            fputs("&lt;", f);
        else if (c == '>')
            fputs("&gt;", f);
        else if (c == '"')
            fputs("&quot;", f);
        else if (c == '\'')
            fputs("&apos;", f);
        else if (c < 0x20 || c == 0x7F)
            fputc('?', f);
        else if ((n = utf8_len(p)) == 0)
            fputs("\xEF\xBF\xBD", f), n = 1;
        else
            fwrite(p, 1, n, f);
        p += n;
        chars++;
    }
}

/* ---- axes -------------------------------------------------------------------------------------- */

/* A panel: the plotting area in SVG coordinates and the data range it shows. */
typedef struct panel {
    double x0, y0, w, h; /* the plotting area (y0 is its top) */
    double xmin, xmax, ymin, ymax;
    int ylog; /* y on a log10 scale (ymin, ymax are then log10 values) */
} panel;

static double px(const panel *p, double x) {
    return p->x0 + (x - p->xmin) / (p->xmax - p->xmin) * p->w;
}

static double py(const panel *p, double y) {
    if (p->ylog) y = log10(y);
    return p->y0 + p->h - (y - p->ymin) / (p->ymax - p->ymin) * p->h;
}

/* A range [lo, hi] of finite values made non-empty. */
static void widen(double *lo, double *hi) {
    if (*hi > *lo) return;
    double d = fabs(*lo) > 0 ? fabs(*lo) * 0.1 : 0.5;
    *lo -= d, *hi += d;
}

/* The tick step for about 5 ticks over [lo, hi]: 1, 2 or 5 times a power of 10. */
static double tick_step(double lo, double hi) {
    double raw = (hi - lo) / 5, mag = pow(10, floor(log10(raw)));
    double m = raw / mag;
    return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * mag;
}

/* The frame, the ticks and the labels of a panel. */
static void draw_axes(FILE *f, const panel *p, const char *title, const char *xlabel,
                      const char *ylabel) {
    fprintf(f,
            "<rect class=\"frame\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" "
            "fill=\"none\" stroke=\"#444\"/>\n",
            p->x0, p->y0, p->w, p->h);
    fprintf(f, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\" font-size=\"14\">",
            p->x0 + p->w / 2, p->y0 - 10);
    xml_text(f, title, 60);
    fprintf(f, "</text>\n<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\">", p->x0 + p->w / 2,
            p->y0 + p->h + 36);
    xml_text(f, xlabel, 0);
    fprintf(f,
            "</text>\n<text transform=\"translate(%.2f %.2f) rotate(-90)\" "
            "text-anchor=\"middle\">",
            p->x0 - 48, p->y0 + p->h / 2);
    xml_text(f, ylabel, 0);
    fputs("</text>\n", f);
    double step = tick_step(p->xmin, p->xmax), first = ceil(p->xmin / step);
    for (int i = 0; i < 12 && (first + i) * step <= p->xmax + step * 1e-9; i++) {
        double t = (first + i) * step;
        fprintf(f,
                "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#444\"/>"
                "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\">%g</text>\n",
                px(p, t), p->y0 + p->h, px(p, t), p->y0 + p->h + 5, px(p, t), p->y0 + p->h + 18,
                fabs(t) < step * 1e-9 ? 0 : t);
    }
    step = p->ylog ? 1 : tick_step(p->ymin, p->ymax), first = ceil(p->ymin / step);
    for (int i = 0; i < 12 && (first + i) * step <= p->ymax + step * 1e-9; i++) {
        double t = (first + i) * step;
        double y = p->y0 + p->h - (t - p->ymin) / (p->ymax - p->ymin) * p->h;
        fprintf(f,
                "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#ddd\"/>"
                "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"end\">%g</text>\n",
                p->x0, y, p->x0 + p->w, y, p->x0 - 6, y + 4,
                p->ylog                 ? pow(10, t)
                : fabs(t) < step * 1e-9 ? 0
                                        : t);
    }
}

static void svg_begin(FILE *f, double w, double h) {
    fprintf(f,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
            "viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\" font-size=\"11\">\n"
            "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
            w, h, w, h);
}

/* Opens the file, runs draw, commits: 1, or 0 after a message. */
static int write_svg(const char *path, void (*draw)(FILE *, const void *), const void *ctx) {
    atomic_file af;
    if (!atomic_open(&af, path)) return 0;
    draw(af.f, ctx);
    fputs("</svg>\n", af.f);
    return atomic_commit(&af);
}

/* ---- the target ---- */

int plot_check(const char *path) {
    static const char *const raster[] = {".png", ".jpg", ".jpeg", ".gif", ".pdf",
                                         ".bmp", ".tif", ".tiff", ".webp"};
    const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');
    for (size_t i = 0; dot && (!slash || dot > slash) && i < sizeof raster / sizeof *raster; i++)
        if (strcasecmp(dot, raster[i]) == 0) {
            fail("--plot %s: the picture is SVG; name the file .svg (rsvg-convert FILE.svg -o "
                 "FILE.png makes a PNG)",
                 path);
            return 0;
        }
    return check_writable(path);
}

/* ---- learning curves -------------------------------------------------------------------------- */

enum { S_TRAIN_LOSS, S_VAL_LOSS, S_TRAIN_ACC, S_VAL_ACC, N_SERIES };
static const char *const series_class[N_SERIES] = {"train-loss", "val-loss", "train-acc",
                                                   "val-acc"};

typedef struct curves {
    size_t n;
    const double *epoch, *s[N_SERIES];
    const char *title;
} curves;

/* The finite range of series a and b; 0 if neither has a finite value. */
static int finite_range(const curves *c, int a, int b, double *lo, double *hi, int *all_pos) {
    *lo = INFINITY, *hi = -INFINITY, *all_pos = 1;
    for (int k = a; k <= b; k++)
        for (size_t i = 0; i < c->n; i++) {
            double v = c->s[k][i];
            if (!isfinite(v)) continue;
            if (v < *lo) *lo = v;
            if (v > *hi) *hi = v;
            if (v <= 0) *all_pos = 0;
        }
    return *lo <= *hi;
}

/* One series as polylines over its runs of finite values. */
static void draw_series(FILE *f, const panel *p, const curves *c, int k) {
    static const char *const color[2] = {"#1f77b4", "#ff7f0e"};
    const double *v = c->s[k];
    size_t i = 0;
    while (i < c->n) {
        while (i < c->n && !isfinite(v[i])) i++;
        if (i == c->n) break;
        size_t j = i;
        while (j < c->n && isfinite(v[j])) j++;
        fprintf(f,
                "<polyline class=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\"%s "
                "points=\"",
                series_class[k], color[k & 1], k & 1 ? " stroke-dasharray=\"5 3\"" : "");
        for (size_t e = i; e < j; e++)
            fprintf(f, "%s%.2f,%.2f", e > i ? " " : "", px(p, c->epoch[e]), py(p, v[e]));
        fputs("\"/>\n", f);
        if (j == i + 1) /* a lone point: a dot, since a one-point line shows nothing */
            fprintf(f, "<circle class=\"marker\" cx=\"%.2f\" cy=\"%.2f\" r=\"2\" fill=\"%s\"/>\n",
                    px(p, c->epoch[i]), py(p, v[i]), color[k & 1]);
        i = j;
    }
}

static void draw_curve_panel(FILE *f, const curves *c, int k, double x0) {
    int loss = k == S_TRAIN_LOSS;
    panel p = {x0, 50, 380, 300, c->epoch[0], c->epoch[c->n - 1], 0, 1, 0};
    widen(&p.xmin, &p.xmax);
    double lo, hi;
    int pos;
    const char *title = loss ? "loss" : "accuracy";
    if (!finite_range(c, k, k + 1, &lo, &hi, &pos)) {
        draw_axes(f, &p, title, "epoch", loss ? "loss" : "accuracy");
        fprintf(f, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\">%s</text>\n", p.x0 + p.w / 2,
                p.y0 + p.h / 2, loss ? "no finite loss" : "no accuracy (not a classification)");
        return;
    }
    if (loss) {
        p.ylog = pos && hi / lo >= 100; /* a loss spanning orders of magnitude */
        if (p.ylog) lo = floor(log10(lo)), hi = ceil(log10(hi));
        widen(&lo, &hi);
        p.ymin = lo, p.ymax = hi;
        if (p.ylog) title = "loss (log scale)";
    } else { /* the accuracy's own range (0.84 to 0.92 must not look flat), a margin around it,
              * within [0, 1] when the values are */
        double margin = hi > lo ? (hi - lo) * 0.08 : 0.02;
        p.ymin = lo - margin, p.ymax = hi + margin;
        if (lo >= 0 && p.ymin < 0) p.ymin = 0;
        if (hi <= 1 && p.ymax > 1) p.ymax = 1;
    }
    draw_axes(f, &p, title, "epoch", loss ? "loss" : "accuracy");
    draw_series(f, &p, c, k);
    draw_series(f, &p, c, k + 1);
}

/* Whether series k has a finite value (a validation part was evaluated). */
static int has_values(const curves *c, int k) {
    for (size_t i = 0; i < c->n; i++)
        if (isfinite(c->s[k][i])) return 1;
    return 0;
}

static void draw_curves(FILE *f, const void *ctx) {
    const curves *c = ctx;
    svg_begin(f, 900, 430);
    fputs("<text x=\"450\" y=\"20\" text-anchor=\"middle\" font-size=\"15\">", f);
    xml_text(f, c->title, 100);
    fputs("</text>\n", f);
    if (c->n) {
        draw_curve_panel(f, c, S_TRAIN_LOSS, 70);
        draw_curve_panel(f, c, S_TRAIN_ACC, 510);
    } else {
        fputs("<text x=\"450\" y=\"200\" text-anchor=\"middle\">no epoch ran</text>\n", f);
    }
    /* the legend: validation only when there is a validation curve */
    int val = has_values(c, S_VAL_LOSS) || has_values(c, S_VAL_ACC);
    double x = val ? 330 : 390;
    fprintf(f,
            "<line x1=\"%.0f\" y1=\"412\" x2=\"%.0f\" y2=\"412\" stroke=\"#1f77b4\" "
            "stroke-width=\"1.5\"/><text class=\"legend\" x=\"%.0f\" y=\"416\">training"
            "</text>\n",
            x, x + 30, x + 36);
    if (val)
        fputs("<line x1=\"450\" y1=\"412\" x2=\"480\" y2=\"412\" stroke=\"#ff7f0e\" "
              "stroke-width=\"1.5\" stroke-dasharray=\"5 3\"/><text class=\"legend\" x=\"486\" "
              "y=\"416\">validation</text>\n",
              f);
}

int plot_curves(const char *path, size_t n, const double *epoch, const double *train_loss,
                const double *val_loss, const double *train_acc, const double *val_acc,
                const char *title) {
    curves c = {n, epoch, {train_loss, val_loss, train_acc, val_acc}, title};
    return write_svg(path, draw_curves, &c);
}

int plot_history(const char *path, const nnb_history *h, const char *title) {
    static const nnb_history_field fields[1 + N_SERIES] = {NNB_HIST_EPOCH, NNB_HIST_TRAIN_LOSS,
                                                           NNB_HIST_VAL_LOSS, NNB_HIST_TRAIN_ACC,
                                                           NNB_HIST_VAL_ACC};
    size_t n = nnb_history_n_epochs(h);
    double *v = malloc((n ? n : 1) * (1 + N_SERIES) * sizeof *v);
    if (!v) return fail("out of memory"), 0;
    for (int k = 0; k < 1 + N_SERIES; k++)
        if (n && nnb_history_get(h, fields[k], v + (size_t)k * n, n) != NNB_OK) {
            free(v);
            return fail_nnb(), 0;
        }
    char full[256];
    snprintf(full, sizeof full, "nnblas train: %s", title);
    int ok = plot_curves(path, n, v, v + n, v + 2 * n, v + 3 * n, v + 4 * n, full);
    free(v);
    return ok;
}

/* ---- the confusion matrix --------------------------------------------------------------------- */

typedef struct confusion {
    const size_t *conf;
    size_t k;
    const char *const *labels;
    const char *title;
} confusion;

static void draw_confusion(FILE *f, const void *ctx) {
    const confusion *c = ctx;
    size_t k = c->k;
    double cell = k ? 600.0 / (double)k : 0, left = 170, top = 70;
    if (cell > 60) cell = 60;
    if (cell < 4) cell = 4;
    double side = cell * (double)k, w = fmax(480, left + side + 40);
    svg_begin(f, w, top + side + 30);
    fprintf(f, "<text x=\"%.2f\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">", w / 2);
    xml_text(f, c->title, 100);
    fprintf(f,
            "</text>\n<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\">predicted class"
            "</text>\n<text transform=\"translate(16 %.2f) rotate(-90)\" "
            "text-anchor=\"middle\">true class</text>\n",
            left + side / 2, top - 30, top + side / 2);
    int labelled = cell >= 11;
    for (size_t t = 0; t < k; t++) {
        size_t row = 0;
        for (size_t p = 0; p < k; p++) row += c->conf[t * k + p];
        if (labelled) {
            fprintf(f, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"end\">", left - 6,
                    top + ((double)t + 0.5) * cell + 4);
            xml_text(f, c->labels[t], 24);
            fprintf(f, "</text>\n<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\">%zu</text>\n",
                    left + ((double)t + 0.5) * cell, top - 6, t);
        }
        for (size_t p = 0; p < k; p++) {
            size_t n = c->conf[t * k + p];
            double share = row ? (double)n / (double)row : 0; /* of the true class's rows */
            int shade = (int)lround(255 * (1 - share));
            fprintf(f,
                    "<rect class=\"cell\" data-true=\"%zu\" data-pred=\"%zu\" "
                    "data-count=\"%zu\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" "
                    "fill=\"rgb(%d,%d,255)\" stroke=\"#ccc\"/>\n",
                    t, p, n, left + (double)p * cell, top + (double)t * cell, cell, cell, shade,
                    shade);
            if (cell >= 24)
                fprintf(f,
                        "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\" fill=\"%s\">"
                        "%zu</text>\n",
                        left + ((double)p + 0.5) * cell, top + ((double)t + 0.5) * cell + 4,
                        share > 0.5 ? "white" : "black", n);
        }
    }
    if (labelled)
        fprintf(f,
                "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"end\" font-size=\"10\">"
                "(class numbers)</text>\n",
                left - 6, top - 6);
}

int plot_confusion(const char *path, const size_t *conf, size_t k, const char *const *labels,
                   const char *title) {
    confusion c = {conf, k, labels, title};
    return write_svg(path, draw_confusion, &c);
}

/* ---- predicted against actual (regression) ---------------------------------------------------- */

enum { MAX_SCATTER_PANELS = 6 };

typedef struct scatter {
    const double *actual, *pred;
    size_t rows, a_stride, p_stride, targets;
    const char *const *names;
    const char *title;
} scatter;

static void draw_scatter_panel(FILE *f, const scatter *s, size_t j, double x0) {
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < s->rows; i++) {
        double a = s->actual[i * s->a_stride + j], b = s->pred[i * s->p_stride + j];
        if (!isfinite(a) || !isfinite(b)) continue;
        lo = fmin(lo, fmin(a, b));
        hi = fmax(hi, fmax(a, b));
    }
    if (!(lo <= hi)) lo = 0, hi = 1;
    widen(&lo, &hi);
    panel p = {x0, 60, 300, 300, lo, hi, lo, hi, 0};
    char title[64];
    snprintf(title, sizeof title, "target %zu", j + 1);
    draw_axes(f, &p, s->names && s->names[j] ? s->names[j] : title, "actual", "predicted");
    fprintf(f,
            "<line class=\"diagonal\" x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" "
            "stroke=\"#999\" stroke-dasharray=\"4 3\"/>\n",
            px(&p, lo), py(&p, lo), px(&p, hi), py(&p, hi));
    for (size_t i = 0; i < s->rows; i++) {
        double a = s->actual[i * s->a_stride + j], b = s->pred[i * s->p_stride + j];
        if (isfinite(a) && isfinite(b))
            fprintf(f,
                    "<circle class=\"point\" cx=\"%.2f\" cy=\"%.2f\" r=\"2\" "
                    "fill=\"#1f77b4\" fill-opacity=\"0.5\"/>\n",
                    px(&p, a), py(&p, b));
    }
}

static void draw_scatter(FILE *f, const void *ctx) {
    const scatter *s = ctx;
    size_t n = s->targets < MAX_SCATTER_PANELS ? s->targets : MAX_SCATTER_PANELS;
    double w = 90 + (double)n * 390;
    svg_begin(f, w, 420);
    fprintf(f, "<text x=\"%.2f\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">", w / 2);
    xml_text(f, s->title, 100);
    fputs("</text>\n", f);
    for (size_t j = 0; j < n; j++) draw_scatter_panel(f, s, j, 80 + (double)j * 390);
}

int plot_scatter(const char *path, const double *actual, size_t a_stride, const double *pred,
                 size_t p_stride, size_t rows, size_t targets, const char *const *names,
                 const char *title) {
    scatter s = {actual, pred, rows, a_stride, p_stride, targets, names, title};
    return write_svg(path, draw_scatter, &s);
}
