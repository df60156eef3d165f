/*
 * The registry of layer kinds (layer.h). A new kind is its file (layer_KIND.c, defining its
 * nnbi_kind table) plus one line in `kinds` below and one in lib/meson.build; its index in
 * `kinds` is its code in model files, so kinds are only ever appended.
 */
#include <string.h>

#include "nnb_internal.h"

static const nnbi_kind *const kinds[] = {
    &nnbi_kind_dense,
    &nnbi_kind_conv2d,
    &nnbi_kind_maxpool,
    &nnbi_kind_avgpool,
};

size_t nnbi_kind_count(void) { return sizeof kinds / sizeof kinds[0]; }

const nnbi_kind *nnbi_kind_at(size_t i) { return i < nnbi_kind_count() ? kinds[i] : NULL; }

const nnbi_kind *nnbi_kind_find(const char *name) {
    for (size_t i = 0; name && i < nnbi_kind_count(); i++)
        if (strcmp(kinds[i]->name, name) == 0) return kinds[i];
    return NULL;
}
