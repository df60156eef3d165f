/* The argument checks shared by the entry points (data in either element type). */
#include "nnb_internal.h"

/* The first non-finite value of n values of src, as row and column of `cols` columns. */
static int nonfinite(nnbi_src src, size_t n, size_t cols, size_t *r, size_t *c, double *v) {
    const nnbi_elem *t = nnbi_elem_get(src.t);
    size_t at;
    if (!t || !t->find_nonfinite(src.p, n, &at)) return 0;
    *r = at / cols, *c = at % cols, *v = t->get(src.p, at);
    return 1;
}

nnb_status nnbi_beyond32_error(const char *func, const char *what, size_t r, size_t c, double v) {
    return nnbi_error(NNB_E_NONFINITE, func,
                      "%s[%zu][%zu] is %g, beyond float32's range (3.4e38) of a float32 network: "
                      "scale the data or use a float64 network",
                      what, r, c, v);
}

/* Values of `name` that a float32 network cannot hold (float64 data only). */
static nnb_status check_values(const nnb_net *net, nnbi_src a, size_t rows, size_t cols,
                               const char *name, const char *func) {
    size_t r, c;
    double v;
    if (net->check_finite && nonfinite(a, rows * cols, cols, &r, &c, &v))
        return nnbi_error(NNB_E_NONFINITE, func, "%s[%zu][%zu] is %g", name, r, c, v);
    if (a.t == NNB_F64 && nnbi_find_beyond(net->t, a.p, rows * cols, &r))
        return nnbi_beyond32_error(func, name, r / cols, r % cols, ((const double *)a.p)[r]);
    return NNB_OK;
}

nnb_status nnbi_check_x(const nnb_net *net, nnbi_src x, size_t rows, size_t x_cols,
                        const char *func) {
    NNBI_CHECK_NULL(net, func);
    if (x.p == NULL) return nnbi_error(NNB_E_NULL, func, "x is NULL");
    if (net->n_layers == 0) return nnbi_error(NNB_E_INVALID_ARG, func, "the network has no layers");
    if (rows == 0) return nnbi_error(NNB_E_INVALID_ARG, func, "rows is 0");
    if (rows > NNBI_BLAS_MAX)
        return nnbi_error(NNB_E_TOO_LARGE, func,
                          "%zu rows exceed OpenBLAS's 32-bit limit of %zu; split the batch", rows,
                          NNBI_BLAS_MAX);
    if (x_cols != net->n_inputs)
        return nnbi_error(NNB_E_SHAPE, func, "x has %zu columns, the network expects %zu", x_cols,
                          net->n_inputs);
    return check_values(net, x, rows, x_cols, "x", func);
}

nnb_status nnbi_check_y(const nnb_net *net, nnbi_src y, size_t rows, size_t y_cols,
                        const char *func) {
    if (y.p == NULL) return nnbi_error(NNB_E_NULL, func, "y is NULL");
    size_t n_out = nnbi_n_outputs(net);
    if (y_cols != n_out)
        return nnbi_error(NNB_E_SHAPE, func, "y has %zu columns, the network has %zu outputs",
                          y_cols, n_out);
    return check_values(net, y, rows, y_cols, "y", func);
}

nnb_status nnbi_check_loss(const nnb_net *net, nnb_loss loss, nnb_reduction red, const char *func) {
    if (red != NNB_REDUCTION_SUM && red != NNB_REDUCTION_MEAN)
        return nnbi_error(NNB_E_INVALID_ARG, func, "unknown reduction %d", (int)red);
    nnb_activation out = net->layers[net->n_layers - 1].act;
    switch (loss) {
    case NNB_LOSS_SSE:
    case NNB_LOSS_MSE:
        return NNB_OK;
    case NNB_LOSS_BCE:
        if (out != NNB_ACT_SIGMOID)
            return nnbi_error(NNB_E_INVALID_ARG, func,
                              "binary cross-entropy needs a sigmoid output layer");
        return NNB_OK;
    case NNB_LOSS_CE:
        if (out != NNB_ACT_SOFTMAX)
            return nnbi_error(NNB_E_INVALID_ARG, func,
                              "softmax cross-entropy needs a softmax output layer");
        return NNB_OK;
    default:
        return nnbi_error(NNB_E_INVALID_ARG, func, "unknown loss %d", (int)loss);
    }
}
