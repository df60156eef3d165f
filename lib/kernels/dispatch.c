/*
 * Picks the kernel table once per process: the best the CPU supports (AVX-512, else AVX2 + FMA,
 * else scalar), or the one named by the environment variable NNBLAS_ISA (scalar|avx2|avx512). A
 * request this CPU or build cannot honour, or an unknown name, leaves no table chosen; callers
 * then fail with NNB_E_UNSUPPORTED and the reason.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"

static const nnbi_kernels *chosen;
static char choose_error[160];
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* What the CPU (and the OS, which must save the wider registers: GCC's check includes that)
 * supports. The AVX-512 kernels use the F, DQ, VL and BW subsets, the AVX2 ones FMA too. */
#ifdef NNBI_HAVE_X86_KERNELS
static int cpu_avx2(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
static int cpu_avx512(void) {
    return cpu_avx2() && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw");
}
#endif

/* 1: known and runnable here; 0: known but not runnable (why in `why`); -1: unknown name. */
static int lookup(const char *isa, const nnbi_kernels **k, const char **why) {
    *k = NULL;
    *why = "";
    if (strcmp(isa, "scalar") == 0) {
        *k = &nnbi_kernels_scalar;
        return 1;
    }
    if (strcmp(isa, "avx2") != 0 && strcmp(isa, "avx512") != 0) return -1;
#ifdef NNBI_HAVE_X86_KERNELS
    if (strcmp(isa, "avx2") == 0) {
        if (!cpu_avx2()) {
            *why = "this CPU lacks AVX2 or FMA";
            return 0;
        }
        *k = &nnbi_kernels_avx2;
        return 1;
    }
    if (!cpu_avx512()) {
        *why = "this CPU lacks AVX-512 F, DQ, VL or BW";
        return 0;
    }
    *k = &nnbi_kernels_avx512;
    return 1;
#else
    *why = "this build has no x86 vector kernels";
    return 0;
#endif
}

const nnbi_kernels *nnbi_kernels_for(const char *isa) {
    const nnbi_kernels *k;
    const char *why;
    return isa && lookup(isa, &k, &why) == 1 ? k : NULL;
}

static void choose(void) {
    const char *want = getenv("NNBLAS_ISA");
    if (want == NULL || want[0] == '\0') {
        static const char *const best[] = {"avx512", "avx2", "scalar"};
        for (size_t i = 0; !chosen; i++) chosen = nnbi_kernels_for(best[i]);
        return;
    }
    const char *why;
    switch (lookup(want, &chosen, &why)) {
    case 1:
        break;
    case 0:
        snprintf(choose_error, sizeof choose_error, "NNBLAS_ISA=%s: %s", want, why);
        break;
    default:
        snprintf(choose_error, sizeof choose_error,
                 "NNBLAS_ISA=%.40s: unknown kernel set (use scalar, avx2 or avx512)", want);
        break;
    }
}

const nnbi_kernels *nnbi_kernels_get(void) {
    pthread_once(&once, choose);
    return chosen;
}

const char *nnbi_kernels_error(void) {
    pthread_once(&once, choose);
    return choose_error;
}

const nnbi_kernels_f32 *nnbi_kernels_f32_for(const char *isa) {
    const nnbi_kernels *k = nnbi_kernels_for(isa);
    if (!k) return NULL;
    if (k == &nnbi_kernels_scalar) return &nnbi_kernels_f32_scalar;
#ifdef NNBI_HAVE_X86_KERNELS
    if (k == &nnbi_kernels_avx2) return &nnbi_kernels_f32_avx2;
    if (k == &nnbi_kernels_avx512) return &nnbi_kernels_f32_avx512;
#endif
    return NULL;
}

const nnbi_kernels_f32 *nnbi_kernels_f32_get(void) {
    const nnbi_kernels *k = nnbi_kernels_get();
    return k ? nnbi_kernels_f32_for(k->isa) : NULL;
}

NNB_API const char *nnb_kernel_isa(void) {
    const nnbi_kernels *k = nnbi_kernels_get();
    return k ? k->isa : "unavailable";
}
