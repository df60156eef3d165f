/* Free-form metadata for model files (nnb_meta): an ordered list of string keys and values, with
 * a hash index of the keys, so that setting or getting a key is O(1) however many there are. */
#include <stdlib.h>
#include <string.h>

#include "data_internal.h"
#include "model_internal.h"
#include "name_index.h"

struct nnb_meta {
    size_t n, cap;
    char **keys, **values;
    nnbi_name_index index; /* the keys' positions */
};

NNB_API nnb_status nnb_meta_create(nnb_meta **out) {
    NNBI_CHECK_NULL(out, __func__);
    *out = calloc(1, sizeof **out);
    if (!*out) return nnbi_error(NNB_E_NOMEM, __func__, "no memory for metadata");
    return NNB_OK;
}

NNB_API void nnb_meta_free(nnb_meta *m) {
    if (!m) return;
    for (size_t i = 0; i < m->n; i++) {
        free(m->keys[i]);
        free(m->values[i]);
    }
    free(m->keys);
    free(m->values);
    nnbi_index_free(&m->index);
    free(m);
}

static const char *key_at(const void *m, size_t i) { return ((const nnb_meta *)m)->keys[i]; }

static ptrdiff_t find(const nnb_meta *m, const char *key) {
    return nnbi_index_find(&m->index, key, key_at, m);
}

nnb_status nnbi_meta_append(nnb_meta *m, const char *key, size_t key_len, const char *value,
                            size_t value_len, const char *func) {
    if (m->n == m->cap) {
        size_t cap = m->cap;
        char **k = nnbi_grow(m->keys, &cap, m->n + 1, sizeof *k, 8);
        if (!k) return nnbi_error(NNB_E_NOMEM, func, "no memory for metadata");
        m->keys = k;
        cap = m->cap;
        char **v = nnbi_grow(m->values, &cap, m->n + 1, sizeof *v, 8);
        if (!v) return nnbi_error(NNB_E_NOMEM, func, "no memory for metadata");
        m->values = v;
        m->cap = cap;
    }
    char *k = nnbi_strndup(key, key_len), *v = nnbi_strndup(value, value_len);
    if (!k || !v) {
        free(k);
        free(v);
        return nnbi_error(NNB_E_NOMEM, func, "no memory for metadata");
    }
    m->keys[m->n] = k;
    m->values[m->n] = v;
    if (!nnbi_index_add(&m->index, m->n, key_at, m)) {
        free(k);
        free(v);
        return nnbi_error(NNB_E_NOMEM, func, "no memory for metadata");
    }
    m->n++;
    return NNB_OK;
}

static int cmp_key(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

const char *nnbi_meta_duplicate(const nnb_meta *m, int *nomem) {
    *nomem = 0;
    if (m->n < 2) return NULL;
    char **sorted = malloc(m->n * sizeof *sorted);
    if (!sorted) {
        *nomem = 1;
        return NULL;
    }
    memcpy(sorted, m->keys, m->n * sizeof *sorted);
    qsort(sorted, m->n, sizeof *sorted, cmp_key);
    const char *dup = NULL;
    for (size_t i = 1; i < m->n && !dup; i++)
        if (strcmp(sorted[i - 1], sorted[i]) == 0) dup = sorted[i];
    free(sorted);
    return dup;
}

NNB_API nnb_status nnb_meta_set(nnb_meta *m, const char *key, const char *value) {
    NNBI_CHECK_NULL(m, __func__);
    NNBI_CHECK_NULL(key, __func__);
    NNBI_CHECK_NULL(value, __func__);
    size_t kl = strlen(key), vl = strlen(value);
    if (kl == 0) return nnbi_error(NNB_E_INVALID_ARG, __func__, "the key is empty");
    if (kl > NNBI_META_MAX_LEN || vl > NNBI_META_MAX_LEN)
        return nnbi_error(NNB_E_INVALID_ARG, __func__,
                          "the %s of '%.40s' has %zu bytes; the limit is %u",
                          kl > NNBI_META_MAX_LEN ? "key" : "value", key,
                          kl > NNBI_META_MAX_LEN ? kl : vl, (unsigned)NNBI_META_MAX_LEN);
    ptrdiff_t i = find(m, key);
    if (i < 0) return nnbi_meta_append(m, key, kl, value, vl, __func__);
    char *v = nnbi_strndup(value, vl);
    if (!v) return nnbi_error(NNB_E_NOMEM, __func__, "no memory for metadata");
    free(m->values[i]);
    m->values[i] = v;
    return NNB_OK;
}

NNB_API const char *nnb_meta_get(const nnb_meta *m, const char *key) {
    if (!m || !key) return NULL;
    ptrdiff_t i = find(m, key);
    return i < 0 ? NULL : m->values[i];
}

NNB_API size_t nnb_meta_n_keys(const nnb_meta *m) { return m ? m->n : 0; }
NNBI_DEPRECATED_ALIAS(nnb_meta_count, nnb_meta_n_keys);

NNB_API const char *nnb_meta_key(const nnb_meta *m, size_t i) {
    return m && i < m->n ? m->keys[i] : NULL;
}

NNB_API const char *nnb_meta_value(const nnb_meta *m, size_t i) {
    return m && i < m->n ? m->values[i] : NULL;
}
