/*
 * Layer specifications in words (nnb_net_add_layer_spec): the vocabulary of the command's
 * --layers and of the Python binding, parsed once here so that both read it alike.
 *   128            a dense layer of 128 units
 *   conv32x3p1     a convolution: 32 filters of 3 x 3, padding 1; `x5` after the kernel makes it
 *                  3 x 5; `s2` a stride of 2; `p1` padding 1 on every side, `psame` "same"
 *   maxpool2       max pooling over 2 x 2 windows, stride 2 (the window) unless `s1` ...
 *   avgpool3x2s1   average pooling over 3 x 2 windows, stride 1
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nnb_internal.h"

#define EXPECTED                                                                           \
  "a layer is a number of units (128), conv<filters>x<kernel>[x<kernel width>][s<stride>]" \
  "[p<padding>|psame] (conv32x3p1), maxpool<size>[x<width>][s<stride>] (maxpool2) or "     \
  "avgpool<size>[x<width>][s<stride>]"

/* A whole number >= 1 at *p (digits only), moving *p past it; 0 when there is none or it
 * overflows. */
static size_t number(const char **p) {
    if (!isdigit((unsigned char)**p)) return 0;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(*p, &end, 10);
    if (errno || v > NNBI_BLAS_MAX) return 0;
    *p = end;
    return (size_t)v;
}

/* The options after the kernel: [x<width>] then s<stride> and p<padding>|psame in any order. */
static int options(const char *p, nnb_window *w, int conv) {
    if (*p == 'x') {
        p++;
        if ((w->kernel_w = number(&p)) == 0) return 0;
    }
    int seen_s = 0, seen_p = 0;
    while (*p) {
        char c = *p++;
        if (c == 's' && !seen_s) {
            seen_s = 1;
            if ((w->stride_h = w->stride_w = number(&p)) == 0) return 0;
        } else if (c == 'p' && conv && !seen_p) {
            seen_p = 1;
            if (strncmp(p, "same", 4) == 0) {
                w->same = 1;
                p += 4;
            } else {
                const char *q = p;
                size_t pad = number(&p);
                if (p == q) return 0; /* p0 is a number too: check that digits were read */
                w->pad_top = w->pad_bottom = w->pad_left = w->pad_right = pad;
            }
        } else {
            return 0;
        }
    }
    return 1;
}

NNB_API nnb_status nnb_net_add_layer_spec(nnb_net *net, const char *spec, nnb_activation act,
                                          int has_bias) {
    NNBI_CHECK_NULL(net, __func__);
    NNBI_CHECK_NULL(spec, __func__);
    const char *p = spec;
    int conv = strncmp(p, "conv", 4) == 0, max = strncmp(p, "maxpool", 7) == 0,
        avg = strncmp(p, "avgpool", 7) == 0;
    if (!conv && !max && !avg) { /* units: any size, for nnb_net_add_dense's own limits */
        char *end;
        errno = 0;
        unsigned long long units = isdigit((unsigned char)*p) ? strtoull(p, &end, 10) : 0;
        if (units == 0 || *end)
            return nnbi_error(NNB_E_INVALID_ARG, __func__, "\"%s\": %s", spec, EXPECTED);
        if (errno || units > SIZE_MAX)
            return nnbi_error(NNB_E_TOO_LARGE, __func__,
                              "\"%s\" units exceed OpenBLAS's 32-bit limit of %zu", spec,
                              NNBI_BLAS_MAX);
        return nnb_net_add_dense(net, (size_t)units, act, has_bias);
    }
    p += conv ? 4 : 7;
    size_t filters = 0;
    if (conv && ((filters = number(&p)) == 0 || *p++ != 'x'))
        return nnbi_error(NNB_E_INVALID_ARG, __func__,
                          "\"%s\": a convolution is conv<filters>x<kernel>, e.g. conv32x3p1 (%s)",
                          spec, EXPECTED);
    nnb_window w = {0};
    w.kernel_h = w.kernel_w = number(&p);
    if (!conv)
        w.stride_h = w.stride_w = w.kernel_h; /* pooling: the window's size by default */
    else
        w.stride_h = w.stride_w = 1;
    if (w.kernel_h == 0 || !options(p, &w, conv))
        return nnbi_error(NNB_E_INVALID_ARG, __func__, "\"%s\": %s", spec, EXPECTED);
    if (!conv && w.stride_h == w.kernel_h && strchr(p, 's') == NULL)
        w.stride_w = w.kernel_w; /* maxpool3x2: windows of 3 x 2 moved by 3 x 2 */
    if (conv) return nnb_net_add_conv2d(net, filters, &w, act, has_bias);
    return max ? nnb_net_add_maxpool(net, &w) : nnb_net_add_avgpool(net, &w);
}
