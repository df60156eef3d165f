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

/* The training team (lib/team.c) runs its products on one OpenBLAS thread each: while any
 * training holds OpenBLAS at one thread, `held` counts the holders and `kept` is the count to
 * restore, which nnb_get_num_threads reports and nnb_set_num_threads changes. */
static pthread_mutex_t blas_mu = PTHREAD_MUTEX_INITIALIZER;
static int held, kept;

void nnbi_blas_hold_single(void) {
    pthread_mutex_lock(&blas_mu);
    if (held++ == 0) {
        kept = openblas_get_num_threads();
        if (kept > 1) openblas_set_num_threads(1);
    }
    pthread_mutex_unlock(&blas_mu);
}

void nnbi_blas_release(void) {
    pthread_mutex_lock(&blas_mu);
    if (--held == 0 && kept > 1) openblas_set_num_threads(kept);
    pthread_mutex_unlock(&blas_mu);
}

NNB_API nnb_status nnb_set_num_threads(int n) {
    if (n < 0) return nnbi_error(NNB_E_INVALID_ARG, __func__, "n = %d is negative", n);
    pthread_once(&default_once, record_default);
    pthread_mutex_lock(&blas_mu);
    if (held)
        kept = n == 0 ? default_threads : n; /* applied when the last training ends */
    else
        openblas_set_num_threads(n == 0 ? default_threads : n);
    pthread_mutex_unlock(&blas_mu);
    return NNB_OK;
}

NNB_API int nnb_get_num_threads(void) {
    pthread_mutex_lock(&blas_mu);
    int n = held ? kept : openblas_get_num_threads();
    pthread_mutex_unlock(&blas_mu);
    return n;
}
