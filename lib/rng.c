/*
 * The per-network generator and the initialisation schemes of weight matrices.
 * splitmix64 expands a 64-bit seed into the state of xoshiro256** (Blackman and Vigna), so a seed
 * gives the same stream on every platform. Normal draws use the Marsaglia polar method without a
 * cached spare value, so the four state words are the generator's whole state.
 */
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nnb_internal.h"

static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void nnbi_rng_seed(nnbi_rng *rng, uint64_t seed) {
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) rng->s[i] = splitmix64(&x);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t nnbi_rng_next(nnbi_rng *rng) {
    uint64_t *s = rng->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double nnbi_rng_uniform(nnbi_rng *rng) { return (double)(nnbi_rng_next(rng) >> 11) * 0x1.0p-53; }

double nnbi_rng_normal(nnbi_rng *rng) {
    for (;;) {
        double u = 2.0 * nnbi_rng_uniform(rng) - 1.0;
        double v = 2.0 * nnbi_rng_uniform(rng) - 1.0;
        double s = u * u + v * v;
        if (s > 0.0 && s < 1.0) return u * sqrt(-2.0 * log(s) / s);
    }
}

uint64_t nnbi_rng_below(nnbi_rng *rng, uint64_t n) {
    /* Lemire's multiply-shift with rejection. */
    unsigned __int128 m = (unsigned __int128)nnbi_rng_next(rng) * n;
    uint64_t lo = (uint64_t)m;
    if (lo < n) {
        uint64_t threshold = (0 - n) % n;
        while (lo < threshold) {
            m = (unsigned __int128)nnbi_rng_next(rng) * n;
            lo = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

/* Orthogonal W (n_out x n_in): QR of a Gaussian matrix with more rows than columns, Q's columns
 * signed by R's diagonal (so the result is uniformly distributed), transposed when n_out < n_in. */
static nnb_status init_orthogonal(nnbi_rng *rng, size_t n_out, size_t n_in, double *w) {
    size_t m = n_out > n_in ? n_out : n_in; /* tall side */
    size_t n = n_out > n_in ? n_in : n_out;
    size_t mn = n_out * n_in;
    double *a = malloc(mn * sizeof *a);
    double *tau = malloc(n * sizeof *tau);
    double *diag = malloc(n * sizeof *diag);
    if (!a || !tau || !diag) {
        free(a), free(tau), free(diag);
        return nnbi_error(NNB_E_NOMEM, "nnb_net_init", "no memory for a %zu x %zu QR", m, n);
    }
    for (size_t i = 0; i < mn; i++) a[i] = nnbi_rng_normal(rng);
    /* a is m x n row-major */
    lapack_int info =
        LAPACKE_dgeqrf(LAPACK_ROW_MAJOR, (lapack_int)m, (lapack_int)n, a, (lapack_int)n, tau);
    if (info == 0) {
        for (size_t j = 0; j < n; j++) diag[j] = a[j * n + j];
        info = LAPACKE_dorgqr(LAPACK_ROW_MAJOR, (lapack_int)m, (lapack_int)n, (lapack_int)n, a,
                              (lapack_int)n, tau);
    }
    if (info != 0) {
        free(a), free(tau), free(diag);
        if (info == LAPACK_WORK_MEMORY_ERROR || info == LAPACK_TRANSPOSE_MEMORY_ERROR)
            return nnbi_error(NNB_E_NOMEM, "nnb_net_init", "no memory for LAPACK's QR workspace");
        return nnbi_error(NNB_E_INTERNAL, "nnb_net_init", "LAPACK QR failed (info %d)", (int)info);
    }
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++) {
            double q = a[i * n + j] * (diag[j] < 0 ? -1.0 : 1.0);
            if (n_out >= n_in)
                w[i * n_in + j] = q; /* W = Q (n_out x n_in), orthonormal columns */
            else
                w[j * n_in + i] = q; /* W = Q^T, orthonormal rows */
        }
    free(a), free(tau), free(diag);
    return NNB_OK;
}

nnb_status nnbi_init_weights(nnbi_rng *rng, nnb_init scheme, size_t n_out, size_t n_in,
                             double fan_in, double fan_out, double *w) {
    size_t nw = n_out * n_in;
    switch (scheme) {
    case NNB_INIT_NORMAL_FANIN: {
        double sd = 1.0 / sqrt(fan_in);
        for (size_t i = 0; i < nw; i++) w[i] = sd * nnbi_rng_normal(rng);
        break;
    }
    case NNB_INIT_XAVIER_UNIFORM: {
        double a = sqrt(6.0 / (fan_in + fan_out));
        for (size_t i = 0; i < nw; i++) w[i] = a * (2.0 * nnbi_rng_uniform(rng) - 1.0);
        break;
    }
    case NNB_INIT_HE_NORMAL: {
        double sd = sqrt(2.0 / fan_in);
        for (size_t i = 0; i < nw; i++) w[i] = sd * nnbi_rng_normal(rng);
        break;
    }
    case NNB_INIT_ORTHOGONAL: {
        nnb_status st = init_orthogonal(rng, n_out, n_in, w);
        if (st != NNB_OK) return st;
        break;
    }
    default:
        return nnbi_error(NNB_E_INVALID_ARG, "nnb_net_init", "unknown initialisation scheme %d",
                          (int)scheme);
    }
    return NNB_OK;
}

void nnbi_shuffle(nnbi_rng *rng, size_t *a, size_t n, size_t k) {
    size_t stop = k >= n ? 1 : n - k;
    for (size_t i = n; i > stop; i--) {
        size_t j = (size_t)nnbi_rng_below(rng, i);
        size_t t = a[i - 1];
        a[i - 1] = a[j];
        a[j] = t;
    }
}
