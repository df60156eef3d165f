/* Runtime twins of the version macros, and the OpenBLAS thread count. */
#include <cblas.h>
#include <pthread.h>

#include "nnb_internal.h"

NNB_API const char *nnb_version_string(void) { return NNB_VERSION_STRING; }

NNB_API unsigned nnb_version_number(void) { return (unsigned)NNB_VERSION_NUMBER; }

/* OpenBLAS's own default (OPENBLAS_NUM_THREADS, else one per core), recorded once before
 * nnb_set_num_threads() first changes it, so that n = 0 can restore it. */
static int default_threads = 1;
static pthread_once_t default_once = PTHREAD_ONCE_INIT;

static void record_default(void) { default_threads = openblas_get_num_threads(); }

NNB_API nnb_status nnb_set_num_threads(int n) {
    if (n < 0) return nnbi_error(NNB_E_INVALID_ARG, __func__, "n = %d is negative", n);
    pthread_once(&default_once, record_default);
    openblas_set_num_threads(n == 0 ? default_threads : n);
    return NNB_OK;
}

NNB_API int nnb_get_num_threads(void) { return openblas_get_num_threads(); }
