/*
 * The tables of the element types (elem.h): elem_t.h instantiated for double and for float. This
 * is the one place that picks cblas_dgemm or cblas_sgemm, and the float64 or float32 kernels.
 */
#include <cblas.h>
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <string.h>

#include "nnb_internal.h"

#define T double
#define TN(name) name##_f64
#define DTYPE NNB_F64
#define NAME "float64"
#define TMAX DBL_MAX
#define KT nnbi_kernels
#define KGET nnbi_kernels_get
#define GEMM cblas_dgemm
#define GEMV cblas_dgemv
#define GER cblas_dger
#define BLAS_SCAL cblas_dscal
#define ELEM_F64
#include "elem_t.h"
#undef T
#undef TN
#undef DTYPE
#undef NAME
#undef TMAX
#undef KT
#undef KGET
#undef GEMM
#undef GEMV
#undef GER
#undef BLAS_SCAL
#undef ELEM_F64

#define T float
#define TN(name) name##_f32
#define DTYPE NNB_F32
#define NAME "float32"
#define TMAX FLT_MAX
#define KT nnbi_kernels_f32
#define KGET nnbi_kernels_f32_get
#define GEMM cblas_sgemm
#define GEMV cblas_sgemv
#define GER cblas_sger
#define BLAS_SCAL cblas_sscal
#include "elem_t.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int have_f64, have_f32;

static void init(void) {
    have_f64 = init_f64();
    have_f32 = init_f32();
}

const nnbi_elem *nnbi_elem_get(nnb_dtype dtype) {
    pthread_once(&once, init);
    if (dtype == NNB_F64) return have_f64 ? &table_f64 : NULL;
    if (dtype == NNB_F32) return have_f32 ? &table_f32 : NULL;
    return NULL;
}
