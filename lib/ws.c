/*
 * The workspace of a network (nnbi_ws): every buffer a pass over a batch needs, in the network's
 * element type, in one 64-byte-aligned allocation sized once per batch shape.
 */
#include <stdlib.h>
#include <string.h>

#include "nnb_internal.h"

size_t nnbi_net_max_width(const nnb_net *net) {
    size_t w = 0;
    for (size_t l = 0; l < net->n_layers; l++)
        if (net->layers[l].n_out > w) w = net->layers[l].n_out;
    return w;
}

void nnbi_ws_free(nnbi_ws *ws) {
    free(ws->block);
    free(ws->act);
    free(ws->pre);
    const double *drop = ws->drop;
    memset(ws, 0, sizeof *ws);
    ws->drop = drop; /* the dropout request outlives its buffers */
}

static int drops(const nnbi_ws *ws, size_t l, size_t n_layers) {
    return ws->drop && l + 1 < n_layers && ws->drop[l] > 0.0;
}

/* A buffer of rows x k elements at *off bytes into base (NULL while counting), its size rounded
 * up to 64 bytes; *ok = 0 when the sizes overflow. */
static void *place(char *base, size_t *off, int *ok, size_t rows, size_t k, size_t es) {
    size_t n, bytes;
    if (!nnbi_mul_size(rows, k, &n) || !nnbi_mul_size(n, es, &bytes) || bytes > SIZE_MAX - 63 ||
        (bytes = (bytes + 63) & ~(size_t)63) > SIZE_MAX - *off) {
        *ok = 0;
        return NULL;
    }
    void *p = base && n ? base + *off : NULL;
    *off += bytes;
    return p;
}

/* Walks the buffers of ws in order: with base, points them into it. Returns the bytes they take,
 * or 0 when that overflows. */
static size_t walk(const nnb_net *net, nnbi_ws *ws, size_t rows, char *base) {
    const size_t es = net->t->size, L = net->n_layers, no = nnbi_n_outputs(net);
    size_t off = 0, width = nnbi_net_max_width(net);
    int ok = 1;
    for (size_t l = 0; l < L; l++) {
        const nnbi_layer *Ly = &net->layers[l];
        void *a = place(base, &off, &ok, rows, Ly->n_out, es);
        void *pre = NULL, *mask = NULL;
        if (drops(ws, l, L)) {
            pre = place(base, &off, &ok, rows, Ly->n_out, es);
            mask = place(base, &off, &ok, rows, Ly->n_out, es);
        }
        size_t w = Ly->kind->workspace ? Ly->kind->workspace(Ly, rows) : 0;
        void *work = place(base, &off, &ok, 1, w, es);
        if (base) {
            ws->act[l] = a, ws->work[l] = work;
            if (pre) ws->pre[l] = pre, ws->mask[l] = mask;
        }
    }
    void *z = place(base, &off, &ok, rows, no, es), *d0 = NULL, *d1 = NULL, *xi = NULL, *yi = NULL;
    if (ws->with_deltas) {
        d0 = place(base, &off, &ok, rows, width, es);
        d1 = place(base, &off, &ok, rows, width, es);
    }
    if (ws->with_input) {
        xi = place(base, &off, &ok, rows, net->n_inputs, es);
        yi = place(base, &off, &ok, rows, no, es);
    }
    if (base) {
        ws->z_out = z;
        ws->dbuf[0] = d0, ws->dbuf[1] = d1;
        ws->xin = xi, ws->yin = yi;
    }
    return ok ? off : 0;
}

size_t nnbi_ws_bytes(const nnb_net *net, size_t rows, const double *drop, int with_deltas,
                     int with_input) {
    nnbi_ws want = {.drop = drop, .with_deltas = with_deltas, .with_input = with_input};
    size_t total = walk(net, &want, rows, NULL);
    return total ? total : SIZE_MAX;
}

nnb_status nnbi_ws_reserve(const nnb_net *net, nnbi_ws *ws, size_t rows, int with_deltas,
                           int with_input, const char *func) {
    int want_drop = ws->drop != NULL;
    if (ws->block && ws->rows >= rows && ws->n_layers == net->n_layers &&
        (ws->with_deltas || !with_deltas) && (ws->with_input || !with_input) &&
        ws->has_dropout == want_drop)
        return NNB_OK;
    /* keep what the workspace had */
    if (ws->block && ws->n_layers == net->n_layers) {
        with_deltas = with_deltas || ws->with_deltas;
        with_input = with_input || ws->with_input;
        if (ws->rows > rows) rows = ws->rows;
    }
    nnbi_ws want = {.drop = ws->drop, .with_deltas = with_deltas, .with_input = with_input};
    size_t total = walk(net, &want, rows, NULL);
    if (total == 0)
        return nnbi_error(NNB_E_TOO_LARGE, func, "a workspace for %zu rows does not fit in memory",
                          rows);
    void *block = NULL;
    if (posix_memalign(&block, 64, total) != 0) block = NULL;
    void **act = malloc(2 * net->n_layers * sizeof *act);
    void **pre = want_drop ? calloc(2 * net->n_layers, sizeof *pre) : NULL;
    if (!block || !act || (want_drop && !pre)) {
        free(block), free(act), free(pre);
        return nnbi_error(NNB_E_NOMEM, func, "no memory for a workspace of %zu rows (%zu MiB)",
                          rows, total >> 20);
    }
    nnbi_ws_free(ws);
    ws->block = block;
    ws->act = act;
    ws->work = act + net->n_layers;
    ws->rows = rows;
    ws->n_layers = net->n_layers;
    ws->with_deltas = with_deltas;
    ws->with_input = with_input;
    ws->has_dropout = want_drop;
    if (want_drop) {
        ws->pre = pre;
        ws->mask = pre + net->n_layers;
    }
    walk(net, ws, rows, block);
    return NNB_OK;
}
