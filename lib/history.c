/* The per-epoch record of training runs (nnb_history, like Keras's History). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "train_internal.h"

NNB_API nnb_status nnb_history_create(nnb_history **out) {
    NNBI_CHECK_NULL(out, __func__);
    *out = calloc(1, sizeof **out);
    if (!*out) return nnbi_error(NNB_E_NOMEM, __func__, "no memory for a history");
    (*out)->best_loss = NAN;
    return NNB_OK;
}

NNB_API void nnb_history_free(nnb_history *h) {
    if (!h) return;
    free(h->rec);
    free(h);
}

NNB_API size_t nnb_history_n_epochs(const nnb_history *h) { return h ? h->len : 0; }
NNBI_DEPRECATED_ALIAS(nnb_history_len, nnb_history_n_epochs);

NNB_API nnb_status nnb_history_get(const nnb_history *h, nnb_history_field field, double *dst,
                                   size_t len) {
    NNBI_CHECK_NULL(h, __func__);
    if ((unsigned)field > NNB_HIST_SAMPLES_PER_S)
        return nnbi_error(NNB_E_INVALID_ARG, __func__, "unknown field %d", (int)field);
    if (len != h->len)
        return nnbi_error(NNB_E_SHAPE, __func__, "len is %zu, the history has %zu epochs", len,
                          h->len);
    if (len) NNBI_CHECK_NULL(dst, __func__);
    for (size_t i = 0; i < len; i++) dst[i] = h->rec[i].v[field];
    return NNB_OK;
}

NNB_API nnb_status nnb_history_summary(const nnb_history *h, size_t *best_epoch, double *best_loss,
                                       int *stopped_early) {
    NNBI_CHECK_NULL(h, __func__);
    if (best_epoch) *best_epoch = h->best_epoch;
    if (best_loss) *best_loss = h->best_loss;
    if (stopped_early) *stopped_early = h->stopped_early;
    return NNB_OK;
}

/* Room for `need` records in all: the capacity doubles (overflow-checked), so that a history
 * grows with the epochs actually run, never with the epochs asked for. */
static nnb_status history_grow(nnb_history *h, size_t need, const char *func) {
    if (need <= h->cap) return NNB_OK;
    size_t cap = h->cap ? h->cap : 16;
    while (cap < need) {
        if (cap > SIZE_MAX / 2)
            return nnbi_error(NNB_E_TOO_LARGE, func, "a history of %zu epochs", need);
        cap *= 2;
    }
    size_t bytes;
    if (!nnbi_mul_size(cap, sizeof(nnbi_epoch_rec), &bytes))
        return nnbi_error(NNB_E_TOO_LARGE, func, "a history of %zu epochs", need);
    nnbi_epoch_rec *r = realloc(h->rec, bytes);
    if (!r) return nnbi_error(NNB_E_NOMEM, func, "no memory for a history of %zu epochs", need);
    h->rec = r;
    h->cap = cap;
    return NNB_OK;
}

nnb_status nnbi_history_reserve(nnb_history *h, size_t more, const char *func) {
    if (!h) return NNB_OK;
    /* before the loop, room for at most NNBI_HISTORY_AHEAD epochs; more grow as they run */
    size_t ahead = more < NNBI_HISTORY_AHEAD ? more : NNBI_HISTORY_AHEAD;
    if (h->len > SIZE_MAX - ahead) return nnbi_error(NNB_E_TOO_LARGE, func, "the history is full");
    return history_grow(h, h->len + ahead, func);
}

nnb_status nnbi_history_add(nnb_history *h, const double v[8], const char *func) {
    if (!h) return NNB_OK;
    if (h->len == h->cap) {
        if (h->len == SIZE_MAX) return nnbi_error(NNB_E_TOO_LARGE, func, "the history is full");
        nnb_status st = history_grow(h, h->len + 1, func);
        if (st != NNB_OK) return st;
    }
    memcpy(h->rec[h->len++].v, v, sizeof h->rec[0].v);
    return NNB_OK;
}
