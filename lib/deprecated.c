/*
 * The old functions whose parameters the naming rule moved (nnblas.h, "Deprecated names"): each
 * calls its replacement with the arguments in the new order. The renamed functions whose
 * parameters stayed are aliases next to their definitions (NNBI_DEPRECATED_ALIAS). All go at
 * 1.0.
 */
#include "nnb_internal.h"

NNB_API nnb_status nnb_net_convert(const nnb_net *src, nnb_dtype dtype, nnb_net **out) {
    return nnb_net_copy(out, src, dtype);
}

NNB_API nnb_status nnb_model_load(const char *path, nnb_net **net, nnb_prep **prep,
                                  nnb_meta **meta) {
    return nnb_model_read(net, prep, meta, path);
}

NNB_API nnb_status nnb_model_load_buffer(const void *buf, size_t len, nnb_net **net,
                                         nnb_prep **prep, nnb_meta **meta) {
    return nnb_model_read_buffer(net, prep, meta, buf, len);
}

NNB_API nnb_status nnb_model_save_buffer(void *buf, size_t len, size_t *n_written,
                                         const nnb_net *net, const nnb_prep *prep,
                                         const nnb_meta *meta, int with_train_state) {
    return nnb_model_write_buffer(net, prep, meta, with_train_state, buf, len, n_written);
}

NNB_API nnb_status nnb_mnist_read(const char *dir, nnb_mnist_part part, double *x, size_t x_len,
                                  double *y, size_t y_len, int onehot) {
    return nnb_mnist_read_part(dir, part, onehot, x, x_len, y, y_len);
}

NNB_API nnb_status nnb_mnist_read_f32(const char *dir, nnb_mnist_part part, float *x, size_t x_len,
                                      float *y, size_t y_len, int onehot) {
    return nnb_mnist_read_part_f32(dir, part, onehot, x, x_len, y, y_len);
}
