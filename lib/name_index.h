/*
 * A hash index of names (open addressing, FNV-1a): the column look-ups of tables, CSV headers,
 * preparations and the nnblas command are O(1), so a file 100,000 columns wide is not quadratic.
 * The index stores positions only; the names stay where their owner keeps them, reached through
 * a getter. One source, compiled into the library and the command (as atomic_file.c).
 */
#ifndef NNBLAS_NAME_INDEX_H
#define NNBLAS_NAME_INDEX_H

#include <stddef.h>

/* The name at position i of the owner's collection. */
typedef const char *(*nnbi_name_at)(const void *owner, size_t i);

typedef struct nnbi_name_index {
    size_t cap;   /* slots, a power of two (0: empty index) */
    size_t n;     /* positions stored */
    size_t *slot; /* position + 1, or 0 for an empty slot */
} nnbi_name_index;

/* Indexes positions 0..n-1. Returns 1, or 0 if memory ran out (the index is then empty). With
 * dup not NULL, a repeated name stops the build: *dup = its second position, (*dup_of) the
 * first, and 1 is returned with the index empty. */
int nnbi_index_build(nnbi_name_index *ix, size_t n, nnbi_name_at at, const void *owner, size_t *dup,
                     size_t *dup_of);
/* Adds position i (growing the index): 1, or 0 if memory ran out. */
int nnbi_index_add(nnbi_name_index *ix, size_t i, nnbi_name_at at, const void *owner);
/* The position of `name`, or -1. An empty index finds nothing. */
ptrdiff_t nnbi_index_find(const nnbi_name_index *ix, const char *name, nnbi_name_at at,
                          const void *owner);
void nnbi_index_free(nnbi_name_index *ix);

#endif
