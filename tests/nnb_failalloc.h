/*
 * An allocator interposer for allocation-failure tests (nnb_failalloc.c): a program linked with it
 * has malloc, calloc, realloc, posix_memalign, aligned_alloc and free replaced (glibc lets a
 * program replace them for every library and for libc itself). Between nnbt_fa_begin() and
 * nnbt_fa_end() it counts allocations, makes the N-th fail, and tracks the blocks allocated and
 * not yet freed. Used by tests/test_allocfail.c (the library) and tests/cli_failalloc.c (the
 * nnblas command). Not available under AddressSanitizer, which owns malloc (NNBT_FA_AVAILABLE 0):
 * then nothing is replaced and nothing fails.
 */
#ifndef NNB_FAILALLOC_H
#define NNB_FAILALLOC_H

#if defined(__SANITIZE_ADDRESS__)
#  define NNBT_FA_AVAILABLE 0
#elif defined(__has_feature)
#  if __has_feature(address_sanitizer)
#    define NNBT_FA_AVAILABLE 0
#  endif
#endif
#ifndef NNBT_FA_AVAILABLE
#  define NNBT_FA_AVAILABLE 1
#endif

/* Starts counting (and tracking) allocations; the fail_at-th fails (0: none). */
void nnbt_fa_begin(long fail_at);
/* Stops; returns the number of blocks allocated since nnbt_fa_begin() and still live. */
long nnbt_fa_end(void);
/* Allocations counted since nnbt_fa_begin() (the failed one included). */
long nnbt_fa_count(void);
/* 1 if the failure happened. */
int nnbt_fa_injected(void);

#endif
