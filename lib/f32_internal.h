/*
 * Internal declarations for float32 networks (net_f32.c, net_mixed.c, train_f32.c, dense.c).
 * A float32 network has the float64 one's structure — layers, one arena for W and b, a workspace,
 * optimiser moments — in float, and the same passes written over float with cblas_sgemm and the
 * float kernel table. Included at the end of nnb_internal.h.
 */
#ifndef NNB_F32_INTERNAL_H
#define NNB_F32_INTERNAL_H

/* ---- conversions ------------------------------------------------------------------------------ */

static inline void nnbi_f64_to_f32(const double *src, float *dst, size_t n) {
    for (size_t i = 0; i < n; i++) dst[i] = (float)src[i];
}
static inline void nnbi_f32_to_f64(const float *src, double *dst, size_t n) {
    for (size_t i = 0; i < n; i++) dst[i] = (double)src[i];
}

/* n rows of `cols` values: row i of dst = row idx[i] of src (row i when idx is NULL), converted
 * from src's type to dst's (src_f32 / dst_f32: 1 for float, 0 for double). */
void nnbi_gather_rows(void *dst, int dst_f32, const void *src, int src_f32, const size_t *idx,
                      size_t n, size_t cols);

/* A batch's data, in either type (exactly one of d and f set). */
typedef struct nnbi_src {
    const double *d;
    const float *f;
} nnbi_src;

/* ---- float32 networks (net_f32.c) -------------------------------------------------------------- */

/* As nnbi_ws_reserve; with_input adds ws->xin and ws->yin for `rows` rows of inputs and targets. */
nnb_status nnbi_ws32_reserve(const nnb_net *net, nnbi_ws32 *ws, size_t rows, int with_deltas,
                             int with_input, const char *func);
void nnbi_ws32_free(nnbi_ws32 *ws);

int nnbi_find_nonfinite32(const float *a, size_t rows, size_t cols, size_t *row, size_t *col);
/* nnbi_check_x / nnbi_check_y for float data. */
nnb_status nnbi_check_x32(const nnb_net *net, const float *x, size_t rows, size_t x_cols,
                          const char *func);
nnb_status nnbi_check_y32(const nnb_net *net, const float *y, size_t rows, size_t y_cols,
                          const char *func);
/* Either, for a source in either type. */
nnb_status nnbi_check_src(const nnb_net *net, nnbi_src x, nnbi_src y, size_t rows, size_t x_cols,
                          size_t y_cols, const char *func);

void nnbi_forward32(const nnb_net *net, nnbi_ws32 *ws, const float *x, size_t rows, nnbi_rng *rng);
double nnbi_output_delta32(const nnb_net *net, nnbi_ws32 *ws, const float *y, size_t rows,
                           nnb_loss loss, nnb_reduction red, int want_delta, size_t mean_rows);
void nnbi_backward32(const nnb_net *net, nnbi_ws32 *ws, const float *x, size_t rows, float *grad);
/* nnbi_backward_ready over float: nnbi_backward32 telling `ready` about each piece of grad as
 * soon as it is final, in the same pieces (rows 0: zeros, announced in the same pieces). Returns
 * 0, or ready's non-zero return (the pass then stops). */
int nnbi_backward_ready32(const nnb_net *net, nnbi_ws32 *ws, const float *x, size_t rows,
                          float *grad, nnb_grad_ready_f32_fn ready, void *data, size_t piece);
void nnbi_backward_sgd32(nnb_net *net, nnbi_ws32 *ws, const float *x, size_t rows, double lr,
                         double l2);
size_t nnbi_count_correct32(const float *yhat, const float *y, size_t rows, size_t cols);

/* The rows of a batch as the network reads them: src itself when it is float and idx is NULL,
 * else rows gathered and converted into ws->xin / ws->yin (reserved with_input). */
void nnbi_batch32(const nnb_net *net, nnbi_ws32 *ws, nnbi_src x, nnbi_src y, const size_t *idx,
                  size_t r0, size_t n, const float **xb, const float **yb);

/* Loss (summed over rows) and correct count of n rows (idx[i], or r0.. when idx is NULL) of x/y
 * in chunks of `chunk` rows (ws reserved for that many, with_input). */
void nnbi_eval32(const nnb_net *net, nnbi_ws32 *ws, size_t chunk, nnbi_src x, nnbi_src y,
                 const size_t *idx, size_t r0, size_t n, nnb_loss loss, double *loss_sum,
                 size_t *correct);

/* A float32 network's arenas, grown when a layer is added (net_mixed.c). */
nnb_status nnbi_arena32_grow(nnb_net *net, size_t new_n, const char *func);
/* Largest |value| a float64 parameter may have to become a finite float32. */
#define NNBI_F32_MAX 3.4028234663852886e+38
/* 1 (and its index in *at) if a finite value of a[0 .. n) is beyond float32's range: it would
 * become infinite in a conversion to float (NaN and infinities are not counted). */
static inline int nnbi_find_beyond32(const double *a, size_t n, size_t *at) {
    for (size_t i = 0; i < n; i++)
        if ((a[i] > NNBI_F32_MAX || a[i] < -NNBI_F32_MAX) && isfinite(a[i])) {
            *at = i;
            return 1;
        }
    return 0;
}
/* The error for that value: row r, column c of the array `what` in func. */
nnb_status nnbi_beyond32_error(const char *func, const char *what, size_t r, size_t c, double v);

/* Float32 twins of the dense-layer products (dense.c): cblas_sgemm / sgemv / sger. */
void nnbi_dense_forward32(const nnbi_layer *L, const float *params, const float *x, size_t rows,
                          float *z);
void nnbi_dense_backward_params32(const nnbi_kernels_f32 *k, const nnbi_layer *L, const float *d,
                                  const float *x, size_t rows, float *grad);
/* Rows [r0, r1) of a layer's weight gradient (nnbi_dense_weight_grad_rows over float). */
void nnbi_dense_weight_grad_rows32(const nnbi_layer *L, const float *d, const float *x,
                                   size_t rows, size_t r0, size_t r1, float *grad);
void nnbi_dense_update_sgd32(const nnbi_kernels_f32 *k, const nnbi_layer *L, const float *d,
                             const float *x, size_t rows, double lr, double beta, float *params,
                             float *colsum);
void nnbi_dense_backward_input32(const nnbi_layer *L, const float *params, const float *d,
                                 size_t rows, float *dx);

/* The double-API entry points on a float32 network (net_mixed.c); net.c's call them. */
nnb_status nnbi_forward_f64_on32(nnb_net *net, const double *x, size_t rows, size_t x_cols,
                                 double *out, size_t out_len);
nnb_status nnbi_predict_f64_on32(const nnb_net *net, const double *x, size_t rows, size_t x_cols,
                                 double *out, size_t out_len);
nnb_status nnbi_backprop_f64_on32(nnb_net *net, const double *x, size_t rows, size_t x_cols,
                                  const double *y, size_t y_cols, nnb_loss loss,
                                  nnb_reduction red, double *loss_out, double *grad,
                                  size_t grad_len, int want_grad);
nnb_status nnbi_evaluate_on32(const nnb_net *net, nnbi_src x, nnbi_src y, size_t rows,
                              size_t x_cols, size_t y_cols, nnb_loss loss, nnb_reduction red,
                              double *loss_out, double *accuracy_out, const char *func);

/* The parameters (grads 0) or the gradient (grads 1) into dst of either type; src of either type
 * into the parameters (checked finite and, for float32, in range). Set the last error as func. */
nnb_status nnbi_arena_get(const nnb_net *net, int grads, void *dst, int dst32, size_t len,
                          const char *func);
nnb_status nnbi_arena_set(nnb_net *net, const void *src, int src32, size_t len, const char *func);

#endif
