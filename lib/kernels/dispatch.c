/*
 * Picks the kernel table once per process: the best the CPU supports, or the one named by the
 * environment variable NNBLAS_ISA (scalar|avx2|avx512). An impossible request leaves no table
 * chosen; callers then fail with NNB_E_UNSUPPORTED and the reason.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"

static const nnbi_kernels *chosen;
static char choose_error[160];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void choose(void) {
    const char *want = getenv("NNBLAS_ISA");
    if (want == NULL || want[0] == '\0' || strcmp(want, "scalar") == 0) {
        chosen = &nnbi_kernels_scalar;
        return;
    }
    if (strcmp(want, "avx2") == 0 || strcmp(want, "avx512") == 0)
        snprintf(choose_error, sizeof choose_error,
                 "NNBLAS_ISA=%s: this build has no %s kernels", want, want);
    else
        snprintf(choose_error, sizeof choose_error,
                 "NNBLAS_ISA=%.40s: unknown kernel set (use scalar, avx2 or avx512)", want);
}

const nnbi_kernels *nnbi_kernels_get(void) {
    pthread_once(&once, choose);
    return chosen;
}

const char *nnbi_kernels_error(void) {
    pthread_once(&once, choose);
    return choose_error;
}

NNB_API const char *nnb_kernel_isa(void) {
    const nnbi_kernels *k = nnbi_kernels_get();
    return k ? k->isa : "unavailable";
}
