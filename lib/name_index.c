/* A hash index of names (name_index.h). */
#include "name_index.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static size_t hash(const char *s) {
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return (size_t)(h ^ (h >> 32));
}

static void put(size_t *slot, size_t cap, size_t i, const char *name) {
    size_t k = hash(name) & (cap - 1);
    while (slot[k]) k = (k + 1) & (cap - 1);
    slot[k] = i + 1;
}

/* Room for n positions at a load of at most 1/2. */
static int reserve(nnbi_name_index *ix, size_t n, nnbi_name_at at, const void *owner) {
    size_t cap = ix->cap ? ix->cap : 16;
    while (cap / 2 < n) {
        if (cap > SIZE_MAX / 4 / sizeof(size_t)) return 0;
        cap *= 2;
    }
    if (cap == ix->cap) return 1;
    size_t *slot = calloc(cap, sizeof *slot);
    if (!slot) return 0;
    for (size_t k = 0; k < ix->cap; k++)
        if (ix->slot[k]) put(slot, cap, ix->slot[k] - 1, at(owner, ix->slot[k] - 1));
    free(ix->slot);
    ix->slot = slot;
    ix->cap = cap;
    return 1;
}

ptrdiff_t nnbi_index_find(const nnbi_name_index *ix, const char *name, nnbi_name_at at,
                          const void *owner) {
    if (!ix->cap) return -1;
    size_t k = hash(name) & (ix->cap - 1);
    while (ix->slot[k]) {
        size_t i = ix->slot[k] - 1;
        if (strcmp(at(owner, i), name) == 0) return (ptrdiff_t)i;
        k = (k + 1) & (ix->cap - 1);
    }
    return -1;
}

int nnbi_index_add(nnbi_name_index *ix, size_t i, nnbi_name_at at, const void *owner) {
    if (!reserve(ix, ix->n + 1, at, owner)) return 0;
    put(ix->slot, ix->cap, i, at(owner, i));
    ix->n++;
    return 1;
}

int nnbi_index_build(nnbi_name_index *ix, size_t n, nnbi_name_at at, const void *owner, size_t *dup,
                     size_t *dup_of) {
    memset(ix, 0, sizeof *ix);
    if (dup) *dup = SIZE_MAX;
    if (!reserve(ix, n, at, owner)) return 0;
    for (size_t i = 0; i < n; i++) {
        if (dup) {
            ptrdiff_t j = nnbi_index_find(ix, at(owner, i), at, owner);
            if (j >= 0) {
                *dup = i;
                *dup_of = (size_t)j;
                nnbi_index_free(ix);
                return 1;
            }
        }
        put(ix->slot, ix->cap, i, at(owner, i));
        ix->n++;
    }
    return 1;
}

void nnbi_index_free(nnbi_name_index *ix) {
    free(ix->slot);
    memset(ix, 0, sizeof *ix);
}
