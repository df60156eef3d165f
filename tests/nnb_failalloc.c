/* The allocator interposer of the allocation-failure tests (see nnb_failalloc.h). */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nnb_failalloc.h"

/* ---- the interposer: count, fail the N-th, track live blocks ---- */

static volatile int tracking;
static long alloc_count, fail_at; /* fail_at = 0: never */
static int injected;              /* the failure happened */
#define TABLE (1 << 16)
static void *live[TABLE];
static long n_live;

#if NNBT_FA_AVAILABLE
#  define TOMBSTONE ((void *)1)

static size_t slot(void *p) { return ((uintptr_t)p >> 4) & (TABLE - 1); }

static void track(void *p) {
    if (!p) return;
    size_t h = slot(p);
    while (live[h] && live[h] != TOMBSTONE) h = (h + 1) & (TABLE - 1);
    live[h] = p;
    n_live++;
}

static void untrack(void *p) {
    if (!p) return;
    size_t h = slot(p);
    for (size_t k = 0; k < TABLE && live[h]; k++, h = (h + 1) & (TABLE - 1))
        if (live[h] == p) {
            live[h] = TOMBSTONE;
            n_live--;
            return;
        }
}

/* 1 = this allocation must fail (errno is then ENOMEM, as from a real failure) */
static int should_fail(void) {
    if (!tracking) return 0;
    alloc_count++;
    if (fail_at && alloc_count == fail_at) {
        injected = 1;
        errno = ENOMEM;
        return 1;
    }
    return 0;
}

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

void *malloc(size_t n) {
    if (should_fail()) return NULL;
    void *p = __libc_malloc(n);
    if (tracking) track(p);
    return p;
}
void *calloc(size_t a, size_t b) {
    if (should_fail()) return NULL;
    void *p = __libc_calloc(a, b);
    if (tracking) track(p);
    return p;
}
void *realloc(void *old, size_t n) {
    if (should_fail()) return NULL;
    void *p = __libc_realloc(old, n);
    if (tracking && p) {
        untrack(old);
        track(p);
    }
    return p;
}
int posix_memalign(void **out, size_t align, size_t n) {
    if (should_fail()) return 12;
    void *p = __libc_memalign(align, n);
    if (!p) return 12;
    if (tracking) track(p);
    *out = p;
    return 0;
}
void *aligned_alloc(size_t align, size_t n) {
    if (should_fail()) return NULL;
    void *p = __libc_memalign(align, n);
    if (tracking) track(p);
    return p;
}
void free(void *p) {
    if (tracking) untrack(p);
    __libc_free(p);
}
#endif

void nnbt_fa_begin(long n) {
    memset(live, 0, sizeof live);
    n_live = 0;
    alloc_count = 0;
    fail_at = n;
    injected = 0;
    tracking = 1;
}

long nnbt_fa_end(void) {
    tracking = 0;
    return n_live;
}

long nnbt_fa_count(void) { return alloc_count; }

int nnbt_fa_injected(void) { return injected; }
