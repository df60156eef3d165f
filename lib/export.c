/*
 * Export of a trained model: the public entry points (nnb_export_*) and the options handle.
 * The work is in export_model.c (reading the model), export_onnx.c and export_c.c (writing it).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "atomic_file.h"
#include "export_internal.h"

/* ---- options --------------------------------------------------------------------------------- */

NNB_API nnb_status nnb_export_opts_create(nnb_export_opts **out) {
    if (!out) return nnbi_ex_fail(NNB_E_NULL, __func__, "out is NULL");
    *out = calloc(1, sizeof **out);
    if (!*out) return nnbi_ex_fail(NNB_E_NOMEM, __func__, "out of memory");
    strcpy((*out)->name, "model");
    return NNB_OK;
}

NNB_API void nnb_export_opts_free(nnb_export_opts *opts) { free(opts); }

NNB_API nnb_status nnb_export_opts_set_name(nnb_export_opts *opts, const char *name) {
    if (!opts) return nnbi_ex_fail(NNB_E_NULL, __func__, "opts is NULL");
    if (!name) return nnbi_ex_fail(NNB_E_NULL, __func__, "name is NULL");
    size_t n = strlen(name);
    int ok = n >= 1 && n <= 40 &&
             ((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= 'A' && name[0] <= 'Z'));
    for (size_t i = 0; ok && i < n; i++) {
        char c = name[i];
        ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    }
    if (!ok)
        return nnbi_ex_fail(NNB_E_INVALID_ARG, __func__,
                            "name '%.80s' is not a C identifier of 1 to "
                            "40 characters that starts with a letter (letters, digits, '_')",
                            name);
    memcpy(opts->name, name, n + 1);
    return NNB_OK;
}

NNB_API nnb_status nnb_export_opts_get_name(const nnb_export_opts *opts, const char **name) {
    if (!opts) return nnbi_ex_fail(NNB_E_NULL, __func__, "opts is NULL");
    if (name) *name = opts->name;
    return NNB_OK;
}

NNB_API nnb_status nnb_export_opts_set_input_scale(nnb_export_opts *opts, double scale) {
    if (!opts) return nnbi_ex_fail(NNB_E_NULL, __func__, "opts is NULL");
    if (!isfinite(scale) || scale < 0)
        return nnbi_ex_fail(NNB_E_INVALID_ARG, __func__,
                            "scale %g must be finite and > 0 (or 0: "
                            "automatic)",
                            scale);
    opts->input_scale = scale;
    return NNB_OK;
}

NNB_API nnb_status nnb_export_opts_get_input_scale(const nnb_export_opts *opts, double *scale) {
    if (!opts) return nnbi_ex_fail(NNB_E_NULL, __func__, "opts is NULL");
    if (scale) *scale = opts->input_scale;
    return NNB_OK;
}

NNB_API nnb_status nnb_export_opts_set_int8(nnb_export_opts *opts, int enable) {
    if (!opts) return nnbi_ex_fail(NNB_E_NULL, __func__, "opts is NULL");
    if (enable != 0 && enable != 1)
        return nnbi_ex_fail(NNB_E_INVALID_ARG, __func__, "enable is %d, not 0 or 1", enable);
    opts->int8 = enable;
    return NNB_OK;
}

NNB_API nnb_status nnb_export_opts_get_int8(const nnb_export_opts *opts, int *enable) {
    if (!opts) return nnbi_ex_fail(NNB_E_NULL, __func__, "opts is NULL");
    if (enable) *enable = opts->int8;
    return NNB_OK;
}

NNB_API nnb_status nnb_export_opts_set_own_math(nnb_export_opts *opts, int enable) {
    if (!opts) return nnbi_ex_fail(NNB_E_NULL, __func__, "opts is NULL");
    if (enable != 0 && enable != 1)
        return nnbi_ex_fail(NNB_E_INVALID_ARG, __func__, "enable is %d, not 0 or 1", enable);
    opts->own_math = enable;
    return NNB_OK;
}

NNB_API nnb_status nnb_export_opts_get_own_math(const nnb_export_opts *opts, int *enable) {
    if (!opts) return nnbi_ex_fail(NNB_E_NULL, __func__, "opts is NULL");
    if (enable) *enable = opts->own_math;
    return NNB_OK;
}

/* ---- ONNX ------------------------------------------------------------------------------------ */

NNB_API nnb_status nnb_onnx_write(const char *path, const nnb_net *net, const nnb_prep *prep,
                                  const nnb_meta *meta, const nnb_export_opts *opts) {
    if (!path) return nnbi_ex_fail(NNB_E_NULL, __func__, "path is NULL");
    if (!net) return nnbi_ex_fail(NNB_E_NULL, __func__, "net is NULL");
    nnb_status st = nnbi_ex_check_path(path, __func__);
    if (st != NNB_OK) return st;
    nnbi_ex_model m;
    st = nnbi_ex_model_read(&m, net, prep, meta, opts, __func__);
    if (st != NNB_OK) return st;
    nnbi_ex_buf b = {0};
    st = nnbi_ex_onnx_write(&m, opts, &b, __func__);
    if (st == NNB_OK) st = nnbi_ex_write_file(path, &b, __func__);
    nnbi_ex_buf_free(&b);
    nnbi_ex_model_free(&m);
    return st;
}

/* ---- C source -------------------------------------------------------------------------------- */

/* The header's path: h_path, else c_path with ".c" replaced by (or, without it, followed by)
 * ".h". *owned receives what must be freed. */
static nnb_status header_path(const char *c_path, const char *h_path, const char **out,
                              char **owned, const char *func) {
    *owned = NULL;
    *out = h_path;
    if (h_path) return NNB_OK;
    size_t n = strlen(c_path);
    int dot_c = n > 2 && strcmp(c_path + n - 2, ".c") == 0;
    char *h = malloc(n + 3);
    if (!h) return nnbi_ex_fail(NNB_E_NOMEM, func, "out of memory");
    memcpy(h, c_path, n + 1);
    strcpy(h + (dot_c ? n - 2 : n), ".h");
    *out = *owned = h;
    return NNB_OK;
}

/* The source and the header, each written atomically: both are complete before either is
 * renamed into place. */
static nnb_status write_pair(const char *c_path, const nnbi_ex_buf *src, const char *h_path,
                             const nnbi_ex_buf *hdr, const char *func) {
    nnbi_atomic *a = calloc(2, sizeof *a);
    if (!a) return nnbi_ex_fail(NNB_E_NOMEM, func, "out of memory");
    a[0].fd = a[1].fd = -1;
    const char *paths[2] = {h_path, c_path};
    const nnbi_ex_buf *bufs[2] = {hdr, src};
    char err[512];
    nnb_status st = NNB_OK;
    for (int i = 0; i < 2 && st == NNB_OK; i++) {
        if (nnbi_atomic_open(&a[i], paths[i], err, sizeof err) != 0) {
            a[i].fd = -1;
            st = nnbi_ex_fail(NNB_E_IO, func, "%s", err);
        } else if (nnbi_write_all(NULL, a[i].fd, bufs[i]->p, bufs[i]->len) != 0) {
            int e = errno;
            st = nnbi_ex_fail(NNB_E_IO, func, "writing %s: %s", paths[i], strerror(e ? e : EIO));
        }
    }
    if (st == NNB_OK && strcmp(a[0].target, a[1].target) == 0)
        st = nnbi_ex_fail(NNB_E_INVALID_ARG, func,
                          "the source and the header are the same file (%s)", c_path);
    for (int i = 0; i < 2 && st == NNB_OK; i++)
        if (nnbi_atomic_commit(&a[i], NULL, err, sizeof err) != 0)
            st = nnbi_ex_fail(NNB_E_IO, func, "%s", err);
    for (int i = 0; i < 2; i++)
        if (a[i].fd >= 0) nnbi_atomic_abort(&a[i]);
    free(a);
    return st;
}

NNB_API nnb_status nnb_c_source_write(const char *c_path, const char *h_path, const nnb_net *net,
                                      const nnb_prep *prep, const nnb_meta *meta,
                                      const nnb_export_opts *opts) {
    if (!c_path) return nnbi_ex_fail(NNB_E_NULL, __func__, "c_path is NULL");
    if (!net) return nnbi_ex_fail(NNB_E_NULL, __func__, "net is NULL");
    char *owned;
    nnb_status st = header_path(c_path, h_path, &h_path, &owned, __func__);
    if (st != NNB_OK) return st;
    if (strcmp(c_path, h_path) == 0)
        st = nnbi_ex_fail(NNB_E_INVALID_ARG, __func__,
                          "the source and the header are the same "
                          "file (%s)",
                          c_path);
    if (st == NNB_OK) st = nnbi_ex_check_path(c_path, __func__);
    if (st == NNB_OK) st = nnbi_ex_check_path(h_path, __func__);
    nnbi_ex_model m;
    if (st == NNB_OK) st = nnbi_ex_model_read(&m, net, prep, meta, opts, __func__);
    if (st != NNB_OK) {
        free(owned);
        return st;
    }
    if (opts && opts->int8) st = nnbi_ex_model_quantize(&m, m.dtype, __func__);
    const char *slash = strrchr(h_path, '/'), *base = slash ? slash + 1 : h_path;
    for (const char *c = base; st == NNB_OK && *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '.' || *c == '-' || *c == '_' || *c == '+'))
            st = nnbi_ex_fail(NNB_E_INVALID_ARG, __func__,
                              "the header's file name '%.80s' has a "
                              "character that an #include line cannot carry safely (use letters, "
                              "digits, '.', '-', '_', '+')",
                              base);
    if (st == NNB_OK && !*base)
        st = nnbi_ex_fail(NNB_E_INVALID_ARG, __func__, "h_path '%s' names no file", h_path);
    nnbi_ex_buf src = {0}, hdr = {0};
    if (st == NNB_OK) st = nnbi_ex_c_write(&m, opts, base, &src, &hdr, __func__);
    if (st == NNB_OK) st = write_pair(c_path, &src, h_path, &hdr, __func__);
    nnbi_ex_buf_free(&src);
    nnbi_ex_buf_free(&hdr);
    nnbi_ex_model_free(&m);
    free(owned);
    return st;
}

/* ---- int8 ------------------------------------------------------------------------------------ */

NNB_API nnb_status nnb_net_copy_int8(nnb_net **out, const nnb_net *src) {
    if (!out) return nnbi_ex_fail(NNB_E_NULL, __func__, "out is NULL");
    *out = NULL;
    if (!src) return nnbi_ex_fail(NNB_E_NULL, __func__, "src is NULL");
    nnb_dtype dt = nnb_net_dtype(src);
    nnb_net *net;
    nnb_status st = nnb_net_copy(&net, src, dt); /* an exact copy */
    if (st != NNB_OK) return st;
    double *w = NULL;
    signed char *q = NULL;
    for (size_t l = 0; st == NNB_OK && l < nnb_net_n_layers(net); l++) {
        size_t n_in, n_out; /* the weight matrix: per output unit or filter, its inputs */
        int kind;
        st = nnbi_ex_layer_kind(net, l, &kind, &n_out, &n_in, __func__);
        if (st != NNB_OK) break;
        if (n_out == 0) continue; /* a pooling */
        free(w);
        free(q);
        w = malloc(n_in * n_out * sizeof *w);
        q = malloc(n_in);
        if (!w || !q) {
            st = nnbi_ex_fail(NNB_E_NOMEM, __func__, "out of memory");
            break;
        }
        st = nnb_net_layer_get(net, l, w, n_in * n_out, NULL, 0);
        if (st != NNB_OK) break;
        for (size_t i = 0; i < n_out; i++) {
            double s = nnbi_ex_quantize_row(w + i * n_in, n_in, dt, q);
            for (size_t j = 0; j < n_in; j++) w[i * n_in + j] = s * q[j];
        }
        st = nnb_net_layer_set(net, l, w, n_in * n_out, NULL, 0);
    }
    free(w);
    free(q);
    if (st != NNB_OK) {
        nnb_net_free(net);
        return st;
    }
    *out = net;
    return NNB_OK;
}
