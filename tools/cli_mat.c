/* The nnblas command: matrices of float64 or float32 values (mat), and the library's calls on
 * them, each the double or the float entry point by the data's type. A float32 network's data
 * is held in float32 from the moment it is read (IDX) or prepared (CSV). */
#define NNB_EXPERIMENTAL /* nnb_set_error() */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void mat_free(mat *m) {
    free(m->v);
    free(m->f);
    m->v = NULL;
    m->f = NULL;
    m->rows = m->cols = 0;
}

int mat_alloc(mat *m, size_t rows, size_t cols, nnb_dtype dtype) {
    size_t size = dtype == NNB_F32 ? sizeof(float) : sizeof(double);
    m->rows = rows;
    m->cols = cols;
    m->dtype = dtype;
    m->v = NULL;
    m->f = NULL;
    if (rows && cols && rows > SIZE_MAX / size / cols)
        return fail("%zu x %zu values are too many", rows, cols), 0;
    void *p = malloc((rows * cols > 0 ? rows * cols : 1) * size);
    if (!p) return fail("out of memory for %zu x %zu values", rows, cols), 0;
    if (dtype == NNB_F32)
        m->f = p;
    else
        m->v = p;
    return 1;
}

void *mat_data(const mat *m) { return m->dtype == NNB_F32 ? (void *)m->f : (void *)m->v; }

size_t mat_elem_size(const mat *m) { return m->dtype == NNB_F32 ? sizeof(float) : sizeof(double); }

double mat_get(const mat *m, size_t i) { return m->dtype == NNB_F32 ? (double)m->f[i] : m->v[i]; }

int mat_rows_f64(const mat *src, size_t first, size_t n, mat *dst) {
    if (!mat_alloc(dst, n, src->cols, NNB_F64)) return 0;
    size_t base = first * src->cols;
    for (size_t i = 0; i < n * src->cols; i++) dst->v[i] = mat_get(src, base + i);
    return 1;
}

int mat_to_f64(mat *m) {
    if (m->dtype == NNB_F64) return 1;
    mat d;
    if (!mat_rows_f64(m, 0, m->rows, &d)) return 0;
    mat_free(m);
    *m = d;
    return 1;
}

size_t mat_row_class(const mat *m, size_t i) {
    size_t c = m->cols, base = i * c;
    if (c == 1) return mat_get(m, base) > 0.5;
    size_t best = 0;
    for (size_t j = 1; j < c; j++)
        if (mat_get(m, base + j) > mat_get(m, base + best)) best = j;
    return best;
}

size_t predicted_class(const double *row, size_t cols) {
    const mat m = {(double *)row, NULL, 1, cols, NNB_F64};
    return mat_row_class(&m, 0);
}

/* x and y must be of one type for the library's calls. */
static nnb_status same_type(const mat *x, const mat *y, const char *what) {
    if (x->dtype == y->dtype) return NNB_OK;
    char msg[96];
    snprintf(msg, sizeof msg, "%s: the inputs and the targets differ in type", what);
    return nnb_set_error(NNB_E_INVALID_ARG, msg);
}

nnb_status mat_train(nnb_net *net, const nnb_train_opts *opts, const mat *x, const mat *y,
                     nnb_history *hist) {
    nnb_status st = same_type(x, y, "train");
    if (st != NNB_OK) return st;
    if (x->dtype == NNB_F32)
        return nnb_net_train_f32(net, opts, x->f, x->rows, x->cols, y->f, y->cols, hist);
    return nnb_net_train(net, opts, x->v, x->rows, x->cols, y->v, y->cols, hist);
}

nnb_status mat_evaluate(const nnb_net *net, const mat *x, const mat *y, nnb_loss loss,
                        nnb_reduction red, double *loss_out, double *acc_out) {
    nnb_status st = same_type(x, y, "eval");
    if (st != NNB_OK) return st;
    if (x->dtype == NNB_F32)
        return nnb_net_evaluate_f32(net, x->f, x->rows, x->cols, y->f, y->cols, loss, red, loss_out,
                                    acc_out);
    return nnb_net_evaluate(net, x->v, x->rows, x->cols, y->v, y->cols, loss, red, loss_out,
                            acc_out);
}

nnb_status mat_predict(const nnb_net *net, const mat *x, double *out, size_t out_len) {
    if (x->dtype == NNB_F64) return nnb_net_predict(net, x->v, x->rows, x->cols, out, out_len);
    /* float predictions (outputs: a few columns), each widened exactly */
    float *o = malloc((out_len ? out_len : 1) * sizeof *o);
    if (!o) return nnb_set_error(NNB_E_NOMEM, "out of memory for the predictions");
    nnb_status st = nnb_net_predict_f32(net, x->f, x->rows, x->cols, o, out_len);
    for (size_t i = 0; st == NNB_OK && i < out_len; i++) out[i] = (double)o[i];
    free(o);
    return st;
}

nnb_status mat_transform(const nnb_prep *prep, mat *x) {
    if (x->dtype == NNB_F32) return nnb_prep_transform_f32(prep, x->f, x->rows, x->cols);
    return nnb_prep_transform(prep, x->v, x->rows, x->cols);
}

int mat_check_range(const mat *m, nnb_dtype net, const nnb_prep *prep, int targets) {
    if (net != NNB_F32) return 1;
    for (size_t i = 0; i < m->rows * m->cols; i++) {
        if (isfinite((float)mat_get(m, i))) continue;
        size_t j = i % m->cols;
        const char *name = !prep     ? NULL
                           : targets ? nnb_prep_target_name(prep, j)
                                     : nnb_prep_feature_name(prep, j);
        char col[32];
        snprintf(col, sizeof col, "%zu", j + 1);
        return fail("the %s '%s' has a value beyond float32's range (about 3.4e38) after the "
                    "data preparation: a float32 network cannot take it (train with --dtype f64)",
                    targets ? "target" : "feature", name ? name : col),
               0;
    }
    return 1;
}
