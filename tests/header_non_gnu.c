/*
 * lib/'s internal headers as a compiler without GNU C's extensions sees them (issue 23, item 7:
 * nnb_internal.h once included a header only in its non-GNU branch, before the types that header
 * needs, so no such compiler could build the library). The system headers are read first, as GNU
 * C (glibc needs it); then __GNUC__ is undefined, so that every `#if defined(__GNUC__)` of our
 * headers takes its other branch. Compiled and run by the test `header_non_gnu`.
 */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#undef __GNUC__

#include "data_internal.h"
#include "model_internal.h"
#include "prep_internal.h"
#include "train_internal.h"

int main(void) {
    /* the types are complete and the inline helpers usable */
    nnbi_shape s = {3, 28, 28};
    size_t n;
    int ok = sizeof(nnb_net) > 0 && sizeof(nnbi_layer) > 0 && sizeof(nnbi_kind) > 0 &&
             nnbi_mul_size(s.c, s.h * s.w, &n) && n == 3 * 28 * 28 &&
             nnbi_dtype_size(NNB_F32) == sizeof(float) && nnbi_dtype_max(NNB_F64) == DBL_MAX;
    return ok ? 0 : 1;
}
