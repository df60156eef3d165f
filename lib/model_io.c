/*
 * Model files: a network's architecture and parameters, its fitted data preparation, free-form
 * metadata and optionally its training state, in the binary format of docs/model-format.md.
 * Saved atomically (a temporary file in the same folder, fsync, rename, fsync of the folder);
 * loaded with every length and count checked against the bytes present before anything is
 * allocated, then the CRC-32, then every value.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "data_internal.h"
#include "interrupt.h"
#include "model_internal.h"
#include "prep_internal.h"

/* ============================================================================================ */
/* Writing                                                                                      */
/* ============================================================================================ */

#define CHUNK ((size_t)1 << 16)

enum { SINK_COUNT, SINK_BUFFER, SINK_FILE };

/* Where serialised bytes go: nowhere (counting), a buffer with room for all of them, or a file
 * through a chunk buffer. The CRC-32 is kept over the bytes written so far. */
typedef struct sink {
    int mode;
    unsigned char *buf; /* BUFFER: the caller's; FILE: the chunk */
    size_t pos;         /* bytes in buf */
    size_t total;       /* bytes emitted */
    uLong crc;          /* CRC-32 of the bytes before buf + pos (BUFFER) or flushed (FILE) */
    int fd;
    const nnbi_file_ops *ops;
    int err;      /* errno of a failed write (FILE) */
    int too_long; /* a string longer than a u32 length can say */
} sink;

static uLong crc_update(uLong crc, const unsigned char *p, size_t n) {
    while (n > 0) {
        uInt k = n > (1u << 30) ? (1u << 30) : (uInt)n;
        crc = crc32(crc, p, k);
        p += k;
        n -= k;
    }
    return crc;
}

static void flush(sink *s) {
    if (s->mode != SINK_FILE || s->pos == 0) return;
    s->crc = crc_update(s->crc, s->buf, s->pos);
    if (!s->err) s->err = nnbi_write_all(s->ops, s->fd, s->buf, s->pos);
    s->pos = 0;
}

static void emit(sink *s, const void *data, size_t n) {
    s->total += n;
    if (s->mode == SINK_COUNT || s->err) return;
    const unsigned char *d = data;
    if (s->mode == SINK_BUFFER) {
        memcpy(s->buf + s->pos, d, n);
        s->pos += n;
        return;
    }
    while (n > 0) {
        size_t k = CHUNK - s->pos < n ? CHUNK - s->pos : n;
        memcpy(s->buf + s->pos, d, k);
        s->pos += k;
        d += k;
        n -= k;
        if (s->pos == CHUNK) flush(s);
    }
}

static void e_u16(sink *s, uint16_t v) {
    unsigned char b[2];
    nnbi_put_u16(b, v);
    emit(s, b, 2);
}
static void e_u32(sink *s, uint32_t v) {
    unsigned char b[4];
    nnbi_put_u32(b, v);
    emit(s, b, 4);
}
static void e_u64(sink *s, uint64_t v) {
    unsigned char b[8];
    nnbi_put_u64(b, v);
    emit(s, b, 8);
}
static void e_f64(sink *s, double v) {
    unsigned char b[8];
    nnbi_put_f64(b, v);
    emit(s, b, 8);
}
/* A string: u32 byte count, then the bytes (no terminator). */
static void e_str(sink *s, const char *str) {
    size_t n = strlen(str);
    if (n > UINT32_MAX) {
        s->too_long = 1;
        n = 0;
    }
    e_u32(s, (uint32_t)n);
    emit(s, str, n);
}

/* What a file holds. */
typedef struct parts {
    const nnb_net *net;
    const nnb_prep *prep;
    const nnb_meta *meta;
    const unsigned char *state; /* the training state's bytes, or NULL */
    size_t state_len;
} parts;

static void w_arch(sink *s, const parts *m) {
    const nnb_net *net = m->net;
    e_u64(s, net->n_inputs);
    e_u64(s, net->n_layers);
    for (size_t l = 0; l < net->n_layers; l++) {
        const nnbi_layer *L = &net->layers[l];
        e_u64(s, L->n_out);
        e_u32(s, (uint32_t)L->act);
        e_u32(s, (uint32_t)L->has_bias);
        e_f64(s, L->act == NNB_ACT_LEAKY_RELU ? L->alpha : 0.0);
    }
    if (net->dtype == NNB_F32) e_u32(s, 1); /* the element type: version 1.1 */
}

/* 1 if the network has a layer a dense-only file cannot describe (a file of version 1.2). */
static int has_kinds(const nnb_net *net) {
    for (size_t l = 0; l < net->n_layers; l++)
        if (net->layers[l].kind != &nnbi_kind_dense) return 1;
    return 0;
}

/* 1 if the network's input has a shape other than the default (inputs x 1 x 1): a dense-only
 * network with nnb_net_set_input_shape() keeps it in a non-essential LAYR (version 1.2). */
static int has_shape(const nnb_net *net) { return net->in.h != 1 || net->in.w != 1; }

/* The layer kinds (section LAYR, version 1.2): the input shape, then per layer its kind's code
 * (its index in the registry, layers.c) and hyper-parameters. */
static void w_layr(sink *s, const parts *m) {
    const nnb_net *net = m->net;
    e_u64(s, net->in.c);
    e_u64(s, net->in.h);
    e_u64(s, net->in.w);
    for (size_t l = 0; l < net->n_layers; l++) {
        const nnbi_layer *L = &net->layers[l];
        uint32_t code = 0;
        while (nnbi_kind_at(code) != L->kind) code++;
        e_u32(s, code);
        e_u32(s, (uint32_t)L->kind->n_hp);
        for (size_t i = 0; i < L->kind->n_hp; i++) e_u64(s, L->hp[i]);
    }
}

/* The parameters (section PARM of a float64 network, PF32 of a float32 one): u64 count, then each
 * value as the little-endian IEEE-754 bytes of the network's type (binary64 or binary32). */
static void w_params(sink *s, const parts *m) {
    const nnb_net *net = m->net;
    size_t n = net->n_params, es = net->t->size;
    e_u64(s, n);
    if (s->mode == SINK_COUNT) {
        s->total += es * n;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const void *v = nnbi_at(net->t, net->params, i);
        if (es == 8) {
            uint64_t u;
            memcpy(&u, v, 8);
            e_u64(s, u);
        } else {
            uint32_t u;
            memcpy(&u, v, 4);
            e_u32(s, u);
        }
    }
}

static void w_prep(sink *s, const parts *m) {
    const nnb_prep *p = m->prep;
    e_u32(s, (uint32_t)p->fit_kind);
    e_u32(s, (uint32_t)p->target_kind);
    e_u32(s, (uint32_t)p->unseen);
    e_u32(s, 0); /* reserved */
    e_u64(s, p->n_inputs);
    for (size_t i = 0; i < p->n_inputs; i++) {
        const nnbi_prep_input *in = &p->inputs[i];
        e_str(s, in->name);
        e_u32(s, in->role);
        e_u32(s, in->encoding);
        e_u32(s, in->scale);
        e_u32(s, in->text);
        e_f64(s, in->a);
        e_f64(s, in->b);
        e_u64(s, in->n_cats);
        for (size_t k = 0; k < in->n_cats; k++) e_str(s, in->cats[k]);
    }
}

/* The fills of the preparation's inputs (section FILL, version 1.2): for each input, in PREP's
 * order, its nnb_fill, 0, the value (numbers) and the category index (categories). */
static void w_fill(sink *s, const parts *m) {
    const nnb_prep *p = m->prep;
    e_u64(s, p->n_inputs);
    for (size_t i = 0; i < p->n_inputs; i++) {
        const nnbi_prep_input *in = &p->inputs[i];
        int number = in->encoding == NNBI_ENC_NUMBER;
        e_u32(s, in->fill);
        e_u32(s, 0);
        e_f64(s, in->fill != NNB_FILL_NONE && number ? in->fill_value : 0.0);
        e_u64(s, in->fill != NNB_FILL_NONE && !number ? in->fill_cat : 0);
    }
}

static void w_meta(sink *s, const parts *m) {
    size_t n = nnb_meta_n_keys(m->meta);
    e_u64(s, n);
    for (size_t i = 0; i < n; i++) {
        e_str(s, nnb_meta_key(m->meta, i));
        e_str(s, nnb_meta_value(m->meta, i));
    }
}

static void w_trst(sink *s, const parts *m) { emit(s, m->state, m->state_len); }

typedef void (*writer_fn)(sink *s, const parts *m);

/* A section: tag, flags, payload length (found by a counting run of fn), payload. */
static void w_section(sink *s, const char tag[4], uint32_t flags, writer_fn fn, const parts *m) {
    sink count = {.mode = SINK_COUNT};
    fn(&count, m);
    s->too_long |= count.too_long;
    emit(s, tag, 4);
    e_u32(s, flags);
    e_u64(s, count.total);
    fn(s, m);
}

/* The whole file; `size` is the total written into the header (0 in the counting run). */
static void serialise(sink *s, const parts *m, uint64_t size) {
    int kinds = has_kinds(m->net), fill = m->prep && nnbi_prep_has_fill(m->prep);
    int layr = kinds || has_shape(m->net);
    uint32_t n_sections =
        2 + layr + (m->prep != NULL) + fill + (m->meta != NULL) + (m->state != NULL);
    emit(s, NNBI_MODEL_MAGIC, 8);
    e_u16(s, NNBI_MODEL_MAJOR);
    /* a dense float64 network's file is version 1.0, which every reader of major version 1
     * loads; a dense float32 one 1.1; one with other kinds of layers, an input shape, or whose
     * preparation fills missing cells, 1.2 */
    int f32 = m->net->dtype == NNB_F32;
    e_u16(s, layr || fill ? 2 : f32 ? 1 : 0);
    e_u32(s, 0x01020304u); /* byte-order mark: 04 03 02 01 */
    e_u64(s, size);
    e_u32(s, n_sections);
    e_u32(s, 0); /* flags, reserved */
    w_section(s, "ARCH", NNBI_SECTION_ESSENTIAL, w_arch, m);
    /* essential with other kinds of layers; a dense-only network's shape is not needed to use it,
     * so older readers skip it and load the same network without its shape */
    if (layr) w_section(s, "LAYR", kinds ? NNBI_SECTION_ESSENTIAL : 0, w_layr, m);
    w_section(s, f32 ? "PF32" : "PARM", NNBI_SECTION_ESSENTIAL, w_params, m);
    if (m->prep) w_section(s, "PREP", NNBI_SECTION_ESSENTIAL, w_prep, m);
    if (fill) w_section(s, "FILL", NNBI_SECTION_ESSENTIAL, w_fill, m);
    if (m->meta) w_section(s, "META", 0, w_meta, m);
    if (m->state) w_section(s, "TRST", 0, w_trst, m);
    /* the CRC-32 of everything before it */
    if (s->mode == SINK_FILE) flush(s);
    if (s->mode == SINK_BUFFER) s->crc = crc_update(s->crc, s->buf, s->pos);
    e_u32(s, (uint32_t)s->crc);
    if (s->mode == SINK_FILE) flush(s);
}

/* Checks the arguments of a save and gathers the parts (the training state is copied into a new
 * buffer: free m->state). Returns the file size in *size. */
static nnb_status prepare(const nnb_net *net, const nnb_prep *prep, const nnb_meta *meta,
                          int with_state, const char *func, parts *m, size_t *size) {
    memset(m, 0, sizeof *m);
    NNBI_CHECK_NULL(net, func);
    if (net->n_layers == 0) return nnbi_error(NNB_E_INVALID_ARG, func, "the network has no layers");
    if (with_state != 0 && with_state != 1)
        return nnbi_error(NNB_E_INVALID_ARG, func, "with_train_state is %d, not 0 or 1",
                          with_state);
    if (prep) {
        if (!prep->fitted)
            return nnbi_error(NNB_E_INVALID_ARG, func, "the preparation is not fitted");
        size_t n_out = nnb_net_n_outputs(net);
        if (prep->n_features != net->n_inputs)
            return nnbi_error(NNB_E_SHAPE, func,
                              "the preparation makes %zu features, the network has %zu inputs",
                              prep->n_features, net->n_inputs);
        if (prep->n_targets != 0 && prep->n_targets != n_out)
            return nnbi_error(NNB_E_SHAPE, func,
                              "the preparation makes %zu targets, the network has %zu outputs",
                              prep->n_targets, n_out);
    }
    size_t bad_i;
    if (net->t->find_nonfinite(net->params, net->n_params, &bad_i))
        return nnbi_error(NNB_E_NONFINITE, func,
                          "parameter %zu is %g: a network with non-finite parameters is not saved",
                          bad_i, net->t->get(net->params, bad_i));
    m->net = net;
    m->prep = prep;
    m->meta = meta;
    if (with_state) {
        m->state_len = nnb_net_train_state_size(net);
        unsigned char *st = malloc(m->state_len);
        if (!st) return nnbi_error(NNB_E_NOMEM, func, "no memory for the training state");
        nnb_status r = nnb_net_train_state_get(net, st, m->state_len, NULL);
        if (r != NNB_OK) {
            free(st);
            return r;
        }
        m->state = st;
    }
    sink count = {.mode = SINK_COUNT};
    serialise(&count, m, 0);
    if (count.too_long) {
        free((void *)m->state);
        m->state = NULL;
        return nnbi_error(NNB_E_TOO_LARGE, func, "a string is longer than 4 GiB");
    }
    *size = count.total;
    return NNB_OK;
}

NNB_API size_t nnb_model_write_size(const nnb_net *net, const nnb_prep *prep, const nnb_meta *meta,
                                    int with_train_state) {
    parts m;
    size_t size = 0;
    if (prepare(net, prep, meta, with_train_state, __func__, &m, &size) != NNB_OK) return 0;
    free((void *)m.state);
    return size;
}
NNBI_DEPRECATED_ALIAS(nnb_model_save_size, nnb_model_write_size);

NNB_API nnb_status nnb_model_write_buffer(const nnb_net *net, const nnb_prep *prep,
                                          const nnb_meta *meta, int with_train_state, void *buf,
                                          size_t cap, size_t *written) {
    if (written) *written = 0;
    NNBI_CHECK_NULL(buf, __func__);
    parts m;
    size_t size;
    nnb_status st = prepare(net, prep, meta, with_train_state, __func__, &m, &size);
    if (st != NNB_OK) return st;
    if (cap < size) {
        free((void *)m.state);
        if (written) *written = size;
        return nnbi_error(NNB_E_SHAPE, __func__, "the buffer has %zu bytes, the model needs %zu",
                          cap, size);
    }
    sink s = {.mode = SINK_BUFFER, .buf = buf};
    serialise(&s, &m, size);
    free((void *)m.state);
    if (written) *written = s.total;
    return NNB_OK;
}

/* ---- atomic file writing (atomic_file.c) ---------------------------------------------------- */

nnb_status nnbi_model_save_ops(const char *path, const nnb_net *net, const nnb_prep *prep,
                               const nnb_meta *meta, int with_train_state, const nnbi_file_ops *ops,
                               const char *func) {
    NNBI_CHECK_NULL(path, func);
    if (!ops) ops = &nnbi_posix_file_ops;
    char msg[NNBI_PATH_CAP + 256];
    nnbi_atomic *af = malloc(sizeof *af);
    if (!af) return nnbi_error(NNB_E_NOMEM, func, "no memory");
    /* the path first: a device, FIFO or folder there is refused before any work */
    nnb_status st = NNB_OK;
    if (nnbi_output_check(path, af, msg, sizeof msg) != 0) {
        st = nnbi_error(NNB_E_IO, func, "%s", msg);
        free(af);
        return st;
    }
    parts m;
    size_t size;
    st = prepare(net, prep, meta, with_train_state, func, &m, &size);
    unsigned char *chunk = st == NNB_OK ? malloc(CHUNK) : NULL;
    if (st == NNB_OK && !chunk) st = nnbi_error(NNB_E_NOMEM, func, "no memory");
    if (st == NNB_OK && nnbi_atomic_open(af, path, msg, sizeof msg) != 0)
        st = nnbi_error(NNB_E_IO, func, "%s", msg);
    if (st == NNB_OK) {
        sink s = {.mode = SINK_FILE, .buf = chunk, .fd = af->fd, .ops = ops};
        serialise(&s, &m, size);
        if (s.err) {
            st = nnbi_error(NNB_E_IO, func, "writing %s: %s", path, strerror(s.err));
            nnbi_atomic_abort(af);
        } else if (nnbi_atomic_commit(af, ops, msg, sizeof msg) != 0) {
            st = nnbi_error(NNB_E_IO, func, "%s", msg);
        }
    }
    free(af);
    free(chunk);
    free((void *)m.state);
    return st;
}

NNB_API nnb_status nnb_model_write(const char *path, const nnb_net *net, const nnb_prep *prep,
                                   const nnb_meta *meta, int with_train_state) {
    return nnbi_model_save_ops(path, net, prep, meta, with_train_state, NULL, __func__);
}
NNBI_DEPRECATED_ALIAS(nnb_model_save, nnb_model_write);

/* ============================================================================================ */
/* Reading                                                                                      */
/* ============================================================================================ */

/* The loading context: who to name in messages ("nnb_model_read: model.nnb"), and whether the
 * file comes from a newer minor version (known sections may then carry fields we do not know at
 * their end). */
typedef struct loader {
    char who[512];
    int lenient;
    unsigned minor; /* the file's minor version */
} loader;

/* A section being read. */
typedef struct rd {
    const unsigned char *p, *end;
    const char *tag;
} rd;

static size_t left(const rd *r) { return (size_t)(r->end - r->p); }

static nnb_status bad(const loader *c, nnb_status st, const char *fmt, ...) NNBI_PRINTF(3, 4);
static nnb_status bad(const loader *c, nnb_status st, const char *fmt, ...) {
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return nnbi_error(st, c->who, "%s", msg);
}

/* Re-raises the error of a library call made while loading, prefixed with where it happened. */
static nnb_status relay(const loader *c, nnb_status st, const char *where) {
    char msg[1024];
    snprintf(msg, sizeof msg, "%s", nnb_last_error());
    if (st == NNB_E_INVALID_ARG || st == NNB_E_SHAPE || st == NNB_E_TOO_LARGE ||
        st == NNB_E_NONFINITE)
        st = NNB_E_FORMAT;
    return bad(c, st, "%s: %s", where, msg);
}

static nnb_status short_section(const loader *c, const rd *r, const char *what) {
    return bad(c, NNB_E_FORMAT, "section %s ends before its %s", r->tag, what);
}

#define NEED(c, r, n, what)                                            \
  do {                                                                 \
    if (left(r) < (size_t)(n)) return short_section((c), (r), (what)); \
  } while (0)

static uint32_t r_u32(rd *r) {
    uint32_t v = nnbi_get_u32(r->p);
    r->p += 4;
    return v;
}
static uint64_t r_u64(rd *r) {
    uint64_t v = nnbi_get_u64(r->p);
    r->p += 8;
    return v;
}
static double r_f64(rd *r) {
    double v = nnbi_get_f64(r->p);
    r->p += 8;
    return v;
}

/* Reads a string's length and checks its bytes are there (no NUL inside); *s points at them. */
static nnb_status r_str(const loader *c, rd *r, const char *what, const char **s, size_t *n) {
    NEED(c, r, 4, what);
    uint32_t len = r_u32(r);
    if (left(r) < len) return short_section(c, r, what);
    if (memchr(r->p, '\0', len))
        return bad(c, NNB_E_FORMAT, "section %s: %s holds a NUL byte", r->tag, what);
    *s = (const char *)r->p;
    *n = len;
    r->p += len;
    return NNB_OK;
}

/* The end of a known section: extra bytes are fields of a newer minor version (skipped), or,
 * in a file of this version, damage. */
static nnb_status r_end(const loader *c, const rd *r) {
    if (left(r) && !c->lenient)
        return bad(c, NNB_E_FORMAT, "section %s has %zu bytes after its last field", r->tag,
                   left(r));
    return NNB_OK;
}

/* ---- ARCH and PARM ------------------------------------------------------------------------- */

#define LAYER_BYTES 24u

/* Validates the architecture in place (nothing allocated) and counts its parameters. */
static nnb_status check_arch(const loader *c, rd *r, size_t *n_inputs, size_t *n_layers,
                             size_t *n_params, nnb_dtype *dtype) {
    NEED(c, r, 16, "header");
    uint64_t ni = r_u64(r), nl = r_u64(r);
    if (ni == 0 || ni > NNBI_BLAS_MAX)
        return bad(c, NNB_E_FORMAT, "the network has %llu inputs", (unsigned long long)ni);
    if (nl == 0) return bad(c, NNB_E_FORMAT, "the network has no layers");
    if (nl > left(r) / LAYER_BYTES)
        return bad(c, NNB_E_FORMAT, "section ARCH has %zu bytes for %llu layers of %u bytes",
                   left(r), (unsigned long long)nl, LAYER_BYTES);
    size_t total = 0, n_in = (size_t)ni;
    for (uint64_t l = 0; l < nl; l++) {
        uint64_t units = r_u64(r);
        uint32_t act = r_u32(r), bias = r_u32(r);
        double slope = r_f64(r);
        if (units == 0 || units > NNBI_BLAS_MAX)
            return bad(c, NNB_E_FORMAT, "layer %llu has %llu units", (unsigned long long)l + 1,
                       (unsigned long long)units);
        if (act > NNB_ACT_SOFTMAX)
            return bad(c, NNB_E_FORMAT, "layer %llu has an unknown activation %u",
                       (unsigned long long)l + 1, act);
        if (act == NNB_ACT_SOFTMAX && l + 1 != nl)
            return bad(c, NNB_E_FORMAT, "layer %llu is softmax but not the output layer",
                       (unsigned long long)l + 1);
        if (bias > 1)
            return bad(c, NNB_E_FORMAT, "layer %llu: bias flag %u", (unsigned long long)l + 1,
                       bias);
        if (act == NNB_ACT_LEAKY_RELU && !(isfinite(slope) && slope >= 0))
            return bad(c, NNB_E_FORMAT, "layer %llu: leaky-ReLU slope %g",
                       (unsigned long long)l + 1, slope);
        size_t w, layer;
        if (!nnbi_mul_size((size_t)units, n_in, &w) || w > SIZE_MAX - units ||
            (layer = w + (bias ? (size_t)units : 0)) > SIZE_MAX - total)
            return bad(c, NNB_E_FORMAT, "the layers' sizes overflow");
        total += layer;
        n_in = (size_t)units;
    }
    uint32_t type = 0; /* version 1.1: the element type after the layers */
    if (c->minor >= 1 && left(r) >= 4) type = r_u32(r);
    if (type > NNB_F32 && c->lenient) /* a type a newer minor version added */
        return bad(c, NNB_E_VERSION,
                   "element type %u (format version 1.%u) is newer than this "
                   "library knows; use a newer nnblas",
                   type, c->minor);
    if (type > NNB_F32) return bad(c, NNB_E_FORMAT, "unknown element type %u", type);
    *dtype = (nnb_dtype)type;
    nnb_status st = r_end(c, r);
    if (st != NNB_OK) return st;
    *n_inputs = (size_t)ni;
    *n_layers = (size_t)nl;
    *n_params = total;
    return NNB_OK;
}

/* One layer of a version 1.2 file: its kind and hyper-parameters from LAYR (r), its units,
 * activation, bias and slope from its ARCH record (a), into L (in: the input shape; the kind's
 * shape() applied). Nothing allocated. */
static nnb_status layr_layer(const loader *c, rd *r, rd *a, size_t l, nnbi_shape in, int in_last,
                             nnbi_layer *L) {
    char where[48];
    snprintf(where, sizeof where, "layer %zu", l + 1);
    NEED(c, r, 8, "layer kinds");
    uint32_t code = r_u32(r), n_hp = r_u32(r);
    const nnbi_kind *k = nnbi_kind_at(code);
    if (!k && c->lenient)
        return bad(c, NNB_E_VERSION,
                   "%s is of a kind (%u) newer than this library knows; use a "
                   "newer nnblas",
                   where, code);
    if (!k) return bad(c, NNB_E_FORMAT, "%s: unknown layer kind %u", where, code);
    if (n_hp != k->n_hp)
        return bad(c, NNB_E_FORMAT, "%s: a %s layer with %u hyper-parameters (%zu expected)", where,
                   k->name, n_hp, k->n_hp);
    NEED(c, r, 8 * (size_t)n_hp, "hyper-parameters");
    *L = (nnbi_layer){.kind = k, .in = in, .n_in = in.c * in.h * in.w, .in_last = in_last};
    for (uint32_t i = 0; i < n_hp; i++) L->hp[i] = r_u64(r);
    uint64_t units = r_u64(a);
    L->act = (nnb_activation)r_u32(a);
    L->has_bias = (int)r_u32(a);
    double slope = r_f64(a);
    L->alpha = L->act == NNB_ACT_LEAKY_RELU ? slope : 0.01;
    nnb_status st = k->check_hp(L->hp, c->who);
    if (st == NNB_OK) st = k->shape(L, c->who);
    if (st != NNB_OK) return relay(c, st, where);
    if (L->n_out != units)
        return bad(c, NNB_E_FORMAT, "%s: section ARCH says %llu outputs, LAYR makes %zu", where,
                   (unsigned long long)units, L->n_out);
    return NNB_OK;
}

/* Validates section LAYR (version 1.2) against ARCH (checked; `arch` from its start) in place,
 * nothing allocated, and counts the parameters; with `net`, adds the layers to it. */
static nnb_status check_layr(const loader *c, rd r, rd arch, size_t n_inputs, size_t n_layers,
                             size_t *n_params, nnb_net *net) {
    NEED(c, &r, 24, "input shape");
    nnbi_shape in = {(size_t)r_u64(&r), 0, 0};
    in.h = (size_t)r_u64(&r);
    in.w = (size_t)r_u64(&r);
    size_t hw;
    if (!nnbi_mul_size(in.c, in.h, &hw) || !nnbi_mul_size(hw, in.w, &hw) || hw != n_inputs)
        return bad(c, NNB_E_FORMAT, "the input shape %zux%zux%zu does not make the %zu inputs",
                   in.c, in.h, in.w, n_inputs);
    nnb_status st = NNB_OK;
    if (net && (st = nnb_net_set_input_shape(net, in.c, in.h, in.w)) != NNB_OK)
        return relay(c, st, "the input shape");
    arch.p += 16;
    size_t total = 0;
    int spatial = 0;
    for (size_t l = 0; l < n_layers; l++) {
        nnbi_layer L;
        if ((st = layr_layer(c, &r, &arch, l, in, spatial, &L)) != NNB_OK) return st;
        if (L.n_p > SIZE_MAX - total) return bad(c, NNB_E_FORMAT, "the layers' sizes overflow");
        total += L.n_p;
        in = L.out;
        spatial = L.kind->spatial;
        if (net && (st = nnbi_net_add_layer(net, &L, c->who)) != NNB_OK) {
            char where[48];
            snprintf(where, sizeof where, "layer %zu", l + 1);
            return relay(c, st, where);
        }
    }
    if ((st = r_end(c, &r)) != NNB_OK) return st;
    *n_params = total;
    return NNB_OK;
}

/* Builds the network the architecture describes (validated by check_arch and, in a version 1.2
 * file, check_layr: `layr`) and fills in its parameters from PARM. */
static nnb_status build_net(const loader *c, rd arch, const rd *layr, rd parm, size_t n_params,
                            nnb_dtype dtype, nnb_net **out) {
    size_t es = dtype == NNB_F32 ? 4 : 8;
    NEED(c, &parm, 8, "parameter count");
    uint64_t np = r_u64(&parm);
    if (np != n_params)
        return bad(c, NNB_E_FORMAT, "section %s holds %llu parameters, the layers have %zu",
                   parm.tag, (unsigned long long)np, n_params);
    if (left(&parm) / es < n_params) return short_section(c, &parm, "parameters");
    rd tail = {parm.p + es * n_params, parm.end, parm.tag};
    nnb_status st = r_end(c, &tail);
    if (st != NNB_OK) return st;
    size_t ni = (size_t)r_u64(&arch), nl = (size_t)r_u64(&arch);
    nnb_net *net;
    st = nnb_net_create_dtype(&net, ni, dtype);
    if (st != NNB_OK) return relay(c, st, "the network");
    size_t np_layr;
    rd whole = {arch.p - 16, arch.end, arch.tag}; /* ARCH from its start */
    if (layr) st = check_layr(c, *layr, whole, ni, nl, &np_layr, net);
    for (size_t l = 0; !layr && l < nl && st == NNB_OK; l++) {
        size_t units = (size_t)r_u64(&arch);
        nnb_activation act = (nnb_activation)r_u32(&arch);
        int bias = (int)r_u32(&arch);
        double slope = r_f64(&arch);
        char where[48];
        snprintf(where, sizeof where, "layer %zu", l + 1);
        st = nnb_net_add_dense(net, units, act, bias);
        if (st == NNB_OK && act == NNB_ACT_LEAKY_RELU) st = nnb_net_set_leaky_slope(net, l, slope);
        if (st != NNB_OK) st = relay(c, st, where);
    }
    if (st == NNB_OK && net->n_params != n_params)
        st = bad(c, NNB_E_INTERNAL, "the network has %zu parameters, expected %zu", net->n_params,
                 n_params);
    if (st != NNB_OK) {
        nnb_net_free(net);
        return st;
    }
    size_t bad_i;
    if (dtype == NNB_F32) {
        float *p = net->params;
        for (size_t i = 0; i < n_params; i++) {
            uint32_t u = r_u32(&parm);
            memcpy(&p[i], &u, 4);
        }
    } else {
        double *p = net->params;
        for (size_t i = 0; i < n_params; i++) p[i] = r_f64(&parm);
    }
    if (net->t->find_nonfinite(net->params, n_params, &bad_i)) {
        st = bad(c, NNB_E_NONFINITE,
                 "parameter %zu is %g: the model is not usable (saved after "
                 "training diverged?)",
                 bad_i, net->t->get(net->params, bad_i));
        nnb_net_free(net);
        return st;
    }
    *out = net;
    return NNB_OK;
}

/* ---- PREP ------------------------------------------------------------------------------------ */

/* Bytes of a column record without its strings: name length, role, encoding, scale, text, a, b,
 * category count. */
#define COLUMN_MIN_BYTES (4u + 4u * 4u + 16u + 8u)

/* Reads n_cats strings into one allocation: an array of pointers followed by the texts. */
static nnb_status read_categories(const loader *c, rd *r, uint64_t n_cats, char ***out) {
    *out = NULL;
    if (n_cats == 0) return NNB_OK;
    if (n_cats > left(r) / 4) return short_section(c, r, "categories");
    /* first pass: validate and measure */
    rd scan = *r;
    size_t text = 0;
    for (uint64_t k = 0; k < n_cats; k++) {
        const char *s;
        size_t n;
        nnb_status st = r_str(c, &scan, "a category", &s, &n);
        if (st != NNB_OK) return st;
        text += n + 1;
    }
    size_t ptrs = (size_t)n_cats * sizeof(char *);
    char **cats = malloc(ptrs + text);
    if (!cats)
        return bad(c, NNB_E_NOMEM, "no memory for %llu categories", (unsigned long long)n_cats);
    char *t = (char *)cats + ptrs;
    for (uint64_t k = 0; k < n_cats; k++) {
        const char *s;
        size_t n;
        r_str(c, r, "a category", &s, &n); /* checked above */
        memcpy(t, s, n);
        t[n] = '\0';
        cats[k] = t;
        t += n + 1;
    }
    *out = cats;
    return NNB_OK;
}

static nnb_status read_column(const loader *c, rd *r, nnb_prep *p) {
    const char *name;
    size_t name_len;
    nnb_status st = r_str(c, r, "a column name", &name, &name_len);
    if (st != NNB_OK) return st;
    NEED(c, r, COLUMN_MIN_BYTES - 4, "column fields");
    uint32_t role = r_u32(r), enc = r_u32(r), scale = r_u32(r), text = r_u32(r);
    double a = r_f64(r), b = r_f64(r);
    uint64_t n_cats = r_u64(r);
    if (text > 1)
        return bad(c, NNB_E_FORMAT, "column %.*s: text flag %u", (int)name_len, name, text);
    char **cats;
    if ((st = read_categories(c, r, n_cats, &cats)) != NNB_OK) return st;
    char *nm = nnbi_strndup(name, name_len);
    if (!nm) {
        free(cats);
        return bad(c, NNB_E_NOMEM, "no memory");
    }
    st = nnbi_prep_add_input(p, nm, role, enc, scale, a, b, text, (size_t)n_cats,
                             (const char *const *)cats, c->who);
    free(nm);
    free(cats);
    return st;
}

static nnb_status read_prep(const loader *c, rd *r, const nnb_net *net, nnb_prep **out) {
    *out = NULL;
    NEED(c, r, 24, "header");
    uint32_t fit_kind = r_u32(r), target_kind = r_u32(r), unseen = r_u32(r);
    r->p += 4; /* reserved */
    uint64_t n = r_u64(r);
    if (n == 0) return bad(c, NNB_E_FORMAT, "the preparation has no columns");
    if (n > left(r) / COLUMN_MIN_BYTES)
        return bad(c, NNB_E_FORMAT, "section PREP has %zu bytes for %llu columns", left(r),
                   (unsigned long long)n);
    nnb_prep *p;
    if (fit_kind > 2 || target_kind > 2 || unseen > 1)
        return bad(c, NNB_E_FORMAT, "preparation kinds %u, %u, %u", fit_kind, target_kind, unseen);
    nnb_status st = nnbi_prep_new_fitted(&p, (int)fit_kind, (nnb_target_kind)target_kind,
                                         (nnb_unseen)unseen, c->who);
    if (st != NNB_OK) return st;
    for (uint64_t i = 0; i < n && st == NNB_OK; i++) st = read_column(c, r, p);
    if (st == NNB_OK) st = r_end(c, r);
    if (st == NNB_OK) st = nnbi_prep_finish(p, c->who);
    if (st == NNB_OK) {
        size_t n_out = nnb_net_n_outputs(net);
        if (p->n_features != net->n_inputs || (p->n_targets && p->n_targets != n_out))
            st = bad(c, NNB_E_FORMAT,
                     "the preparation makes %zu features and %zu targets; the network has %zu "
                     "inputs and %zu outputs",
                     p->n_features, p->n_targets, net->n_inputs, n_out);
    }
    if (st != NNB_OK) {
        nnb_prep_free(p);
        return st;
    }
    *out = p;
    return NNB_OK;
}

/* ---- FILL ------------------------------------------------------------------------------------ */

/* The fills of the preparation's inputs (version 1.2). */
static nnb_status read_fill(const loader *c, rd *r, nnb_prep *p) {
    if (!p) return bad(c, NNB_E_FORMAT, "section FILL without a preparation (PREP)");
    NEED(c, r, 8, "column count");
    uint64_t n = r_u64(r);
    if (n != p->n_inputs)
        return bad(c, NNB_E_FORMAT, "section FILL has %llu columns, the preparation %zu",
                   (unsigned long long)n, p->n_inputs);
    if (n > left(r) / 24) return short_section(c, r, "fills");
    for (size_t i = 0; i < p->n_inputs; i++) {
        uint32_t kind = r_u32(r), zero = r_u32(r);
        double value = r_f64(r);
        uint64_t cat = r_u64(r);
        (void)zero; /* reserved */
        nnb_status st = nnbi_prep_set_fill(p, i, kind, value, cat, c->who);
        if (st != NNB_OK) return st;
    }
    return r_end(c, r);
}

/* ---- META ------------------------------------------------------------------------------------ */

static nnb_status read_meta(const loader *c, rd *r, nnb_meta *m) {
    NEED(c, r, 8, "pair count");
    uint64_t n = r_u64(r);
    if (n > left(r) / 8)
        return bad(c, NNB_E_FORMAT, "section META has %zu bytes for %llu pairs", left(r),
                   (unsigned long long)n);
    for (uint64_t i = 0; i < n; i++) {
        const char *k, *v;
        size_t kn, vn;
        nnb_status st = r_str(c, r, "a key", &k, &kn);
        if (st == NNB_OK) st = r_str(c, r, "a value", &v, &vn);
        if (st != NNB_OK) return st;
        if (kn == 0)
            return bad(c, NNB_E_FORMAT, "metadata pair %llu has an empty key",
                       (unsigned long long)i + 1);
        if (kn > NNBI_META_MAX_LEN || vn > NNBI_META_MAX_LEN)
            return bad(c, NNB_E_FORMAT, "metadata pair %llu is longer than %u bytes",
                       (unsigned long long)i + 1, (unsigned)NNBI_META_MAX_LEN);
        if ((st = nnbi_meta_append(m, k, kn, v, vn, c->who)) != NNB_OK) return st;
    }
    int nomem;
    const char *dup = nnbi_meta_duplicate(m, &nomem);
    if (nomem) return bad(c, NNB_E_NOMEM, "no memory");
    if (dup) return bad(c, NNB_E_FORMAT, "metadata key '%.60s' occurs twice", dup);
    return r_end(c, r);
}

/* ---- the file ---------------------------------------------------------------------------------- */

enum { S_ARCH, S_PARM, S_PREP, S_META, S_TRST, S_PF32, S_LAYR, S_FILL, N_KNOWN };
static const char *const known_tags[N_KNOWN] = {"ARCH", "PARM", "PREP", "META",
                                                "TRST", "PF32", "LAYR", "FILL"};

/* Checks the header, size, checksum and section table; fills sec[] with the known sections
 * (end NULL where absent). */
static nnb_status check_file(loader *c, const unsigned char *b, size_t len, rd sec[N_KNOWN]) {
    const size_t min = NNBI_MODEL_HEADER + NNBI_MODEL_CRC;
    if (memcmp(b, NNBI_MODEL_MAGIC, len < 8 ? len : 8) != 0)
        return bad(c, NNB_E_FORMAT,
                   "not an nnblas model file (its first bytes are not the "
                   "magic number)");
    /* the byte-order mark before the version: a big-endian writer's version 1.0 reads 256.0 */
    if (len >= 16 && memcmp(b + 12, "\x01\x02\x03\x04", 4) == 0)
        return bad(c, NNB_E_FORMAT,
                   "written in the other (big-endian) byte order: its byte-order "
                   "mark is 01 02 03 04 (expected 04 03 02 01); nnblas model files are "
                   "little-endian");
    if (len >= 16 && memcmp(b + 12, "\x04\x03\x02\x01", 4) != 0)
        return bad(c, NNB_E_FORMAT,
                   "wrong byte-order mark %02x %02x %02x %02x (expected 04 03 "
                   "02 01)",
                   b[12], b[13], b[14], b[15]);
    if (len >= 12) {
        unsigned major = nnbi_get_u16(b + 8), minor = nnbi_get_u16(b + 10);
        if (major > NNBI_MODEL_MAJOR)
            return bad(c, NNB_E_VERSION,
                       "format version %u.%u is newer than this library's "
                       "%u.%u; use a newer nnblas",
                       major, minor, NNBI_MODEL_MAJOR, NNBI_MODEL_MINOR);
        if (major == 0) return bad(c, NNB_E_FORMAT, "format version 0.%u does not exist", minor);
        c->lenient = major == NNBI_MODEL_MAJOR && minor > NNBI_MODEL_MINOR;
        c->minor = minor;
    }
    if (len < min)
        return bad(c, NNB_E_FORMAT, "truncated: %zu bytes, a model file has at least %zu", len,
                   min);
    uint64_t size = nnbi_get_u64(b + 16);
    if (size != len)
        return bad(c, NNB_E_FORMAT,
                   size > len ? "truncated: %zu bytes, the header says %llu"
                              : "%zu bytes, the header says %llu: data after "
                                "the end",
                   len, (unsigned long long)size);
    uLong crc = crc_update(crc32(0L, Z_NULL, 0), b, len - NNBI_MODEL_CRC);
    uint32_t stored = nnbi_get_u32(b + len - NNBI_MODEL_CRC);
    if ((uint32_t)crc != stored)
        return bad(c, NNB_E_CHECKSUM,
                   "CRC-32 mismatch (stored %08x, computed %08x): the file "
                   "is damaged",
                   stored, (unsigned)crc);
    uint32_t n_sections = nnbi_get_u32(b + 24);
    rd r = {b + NNBI_MODEL_HEADER, b + len - NNBI_MODEL_CRC, "table"};
    for (int k = 0; k < N_KNOWN; k++) sec[k] = (rd){NULL, NULL, known_tags[k]};
    for (uint32_t i = 0; i < n_sections; i++) {
        if (left(&r) < NNBI_MODEL_SECTION)
            return bad(c, NNB_E_FORMAT, "section %u of %u starts past the end", i + 1, n_sections);
        const unsigned char *tag = r.p;
        r.p += 4;
        uint32_t flags = r_u32(&r);
        uint64_t n = r_u64(&r);
        char shown[5];
        for (int j = 0; j < 4; j++) shown[j] = tag[j] >= 32 && tag[j] < 127 ? (char)tag[j] : '?';
        shown[4] = '\0';
        if (n > left(&r))
            return bad(c, NNB_E_FORMAT, "section %s has %llu bytes, only %zu are left", shown,
                       (unsigned long long)n, left(&r));
        int k = 0;
        while (k < N_KNOWN && memcmp(tag, known_tags[k], 4) != 0) k++;
        if (k == N_KNOWN) {
            if (flags & NNBI_SECTION_ESSENTIAL)
                return bad(c, NNB_E_VERSION,
                           "section %s is needed to use this model and this "
                           "version of nnblas does not know it; use a newer nnblas",
                           shown);
        } else {
            if (sec[k].p) return bad(c, NNB_E_FORMAT, "section %s occurs twice", known_tags[k]);
            sec[k].p = r.p;
            sec[k].end = r.p + n;
        }
        r.p += n;
    }
    if (left(&r))
        return bad(c, NNB_E_FORMAT, "%zu bytes after the last of %u sections", left(&r),
                   n_sections);
    if (!sec[S_ARCH].p) return bad(c, NNB_E_FORMAT, "section ARCH is missing");
    /* the parameters: PARM (float64) or, since version 1.1, PF32 (float32) */
    if (!sec[S_PARM].p && !sec[S_PF32].p) return bad(c, NNB_E_FORMAT, "section PARM is missing");
    if (sec[S_PARM].p && sec[S_PF32].p)
        return bad(c, NNB_E_FORMAT, "sections PARM and PF32 both hold parameters");
    return NNB_OK;
}

static nnb_status load(loader *c, const unsigned char *b, size_t len, nnb_net **net_out,
                       nnb_prep **prep_out, nnb_meta **meta_out) {
    rd sec[N_KNOWN];
    nnb_status st = check_file(c, b, len, sec);
    if (st != NNB_OK) return st;
    size_t n_inputs = 0, n_layers = 0, n_params = 0;
    nnb_dtype dtype = NNB_F64;
    rd arch = sec[S_ARCH];
    if ((st = check_arch(c, &arch, &n_inputs, &n_layers, &n_params, &dtype)) != NNB_OK) return st;
    if ((dtype == NNB_F32) != (sec[S_PF32].p != NULL))
        return bad(c, NNB_E_FORMAT, "section ARCH says float%d, the parameters are in section %s",
                   dtype == NNB_F32 ? 32 : 64, sec[S_PF32].p ? "PF32" : "PARM");
    nnb_net *net = NULL;
    nnb_prep *prep = NULL;
    nnb_meta *meta = NULL;
    rd parm = sec[dtype == NNB_F32 ? S_PF32 : S_PARM];
    const rd *layr = sec[S_LAYR].p ? &sec[S_LAYR] : NULL;
    if (layr &&
        (st = check_layr(c, *layr, sec[S_ARCH], n_inputs, n_layers, &n_params, NULL)) != NNB_OK)
        return st;
    if ((st = build_net(c, sec[S_ARCH], layr, parm, n_params, dtype, &net)) != NNB_OK) return st;
    /* every section is read and checked, also when the caller does not want it */
    if (sec[S_PREP].p) st = read_prep(c, &sec[S_PREP], net, &prep);
    if (st == NNB_OK && sec[S_FILL].p) st = read_fill(c, &sec[S_FILL], prep);
    if (st == NNB_OK) st = nnb_meta_create(&meta);
    if (st == NNB_OK && sec[S_META].p) st = read_meta(c, &sec[S_META], meta);
    if (st == NNB_OK && sec[S_TRST].p) {
        st = nnb_net_train_state_set(net, sec[S_TRST].p, left(&sec[S_TRST]));
        if (st != NNB_OK) st = relay(c, st, "the training state");
    }
    if (st != NNB_OK) {
        nnb_net_free(net);
        nnb_prep_free(prep);
        nnb_meta_free(meta);
        return st;
    }
    *net_out = net;
    if (prep_out)
        *prep_out = prep;
    else
        nnb_prep_free(prep);
    if (meta_out)
        *meta_out = meta;
    else
        nnb_meta_free(meta);
    return NNB_OK;
}

static nnb_status start(loader *c, const char *func, const char *name, nnb_net **net,
                        nnb_prep **prep, nnb_meta **meta) {
    if (net) *net = NULL;
    if (prep) *prep = NULL;
    if (meta) *meta = NULL;
    if (name)
        snprintf(c->who, sizeof c->who, "%s: %s", func, name);
    else
        snprintf(c->who, sizeof c->who, "%s", func);
    c->lenient = 0;
    c->minor = 0;
    NNBI_CHECK_NULL(net, func);
    return NNB_OK;
}

NNB_API nnb_status nnb_model_read_buffer(nnb_net **net, nnb_prep **prep, nnb_meta **meta,
                                         const void *buf, size_t len) {
    loader c;
    nnb_status st = start(&c, __func__, NULL, net, prep, meta);
    if (st != NNB_OK) return st;
    NNBI_CHECK_NULL(buf, __func__);
    return load(&c, buf, len, net, prep, meta);
}

/* Reads exactly n bytes (fewer only at the end of the input); the count, or -1 with errno. */
static ssize_t read_n(int fd, unsigned char *b, size_t n) {
    size_t got = 0;
    while (got < n) {
        if (nnbi_interrupted() || nnbi_wait_readable(fd)) /* nnb_set_interrupt_flag */
            return errno = EINTR, -1;
        ssize_t r = read(fd, b + got, n - got);
        if (r < 0 && errno == EINTR && nnbi_interrupted_by_signal()) return -1;
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return -1;
        if (r == 0) break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

/* Reads a model file: its header first, and the rest only when the size the header declares is
 * the file's size (a regular file), or within the input limit (a stream: pipe, FIFO, device);
 * so /dev/zero or a huge file of zeros is refused after 32 bytes. A header that is not a model's
 * header is handed to load() as it is, for its message. */
static nnb_status read_file(const loader *c, const char *path, unsigned char **out, size_t *len) {
    *out = NULL;
    int fd;
    do /* opening a FIFO waits for a writer: a signal interrupts it */
        fd = open(path, O_RDONLY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR && !nnbi_interrupted_by_signal());
    if (fd < 0 && errno == EINTR) return bad(c, NNB_E_CANCELLED, "interrupted");
    if (fd < 0) return bad(c, NNB_E_IO, "cannot open: %s", strerror(errno));
    struct stat sb;
    int e = fstat(fd, &sb) != 0 ? errno : S_ISDIR(sb.st_mode) ? EISDIR : 0;
    unsigned char hdr[NNBI_MODEL_HEADER];
    ssize_t got = e ? -1 : read_n(fd, hdr, sizeof hdr);
    if (got < 0) {
        e = e ? e : errno;
        close(fd);
        if (e == EINTR && nnbi_interrupted()) return bad(c, NNB_E_CANCELLED, "interrupted");
        return bad(c, NNB_E_IO, "cannot read: %s", strerror(e));
    }
    size_t size = (size_t)got;
    int sized = S_ISREG(sb.st_mode) && sb.st_size > 0;
    nnb_status st = NNB_OK;
    /* only a header load() would read past (right magic, byte order and major version) is
     * trusted for its size: another one goes to load() as it is, so a file and the same bytes
     * in memory give the same error */
    unsigned major = (size_t)got == sizeof hdr ? nnbi_get_u16(hdr + 8) : 0;
    if ((size_t)got == sizeof hdr && memcmp(hdr, NNBI_MODEL_MAGIC, 8) == 0 &&
        memcmp(hdr + 12, "\x04\x03\x02\x01", 4) == 0 && major >= 1 && major <= NNBI_MODEL_MAJOR) {
        uint64_t declared = nnbi_get_u64(hdr + 16);
        char sz[32];
        nnbi_format_bytes(declared > SIZE_MAX ? SIZE_MAX : (size_t)declared, sz, sizeof sz);
        if (sized && declared != (uint64_t)sb.st_size)
            st = bad(c, NNB_E_FORMAT,
                     declared > (uint64_t)sb.st_size ? "truncated: %lld bytes, the header says %llu"
                                                     : "%lld bytes, the header says %llu: data "
                                                       "after the end",
                     (long long)sb.st_size, (unsigned long long)declared);
        else if (!sized && declared > nnb_get_input_limit())
            st = bad(c, NNB_E_TOO_LARGE,
                     "the header declares %s, more than the input limit of "
                     "%zu bytes for an input that is not a regular file (nnb_set_input_limit)",
                     sz, nnb_get_input_limit());
        else if (declared > SIZE_MAX || (size_t)declared > nnbi_available_memory())
            st = bad(c, NNB_E_TOO_LARGE, "the header declares %s, more than the memory available",
                     sz);
        else if (declared > sizeof hdr)
            size = (size_t)declared;
    }
    unsigned char *b = st == NNB_OK ? malloc(size ? size : 1) : NULL;
    if (st == NNB_OK && !b)
        st = bad(c, NNB_E_NOMEM, "no memory to read the file (%zu bytes)", size);
    if (st == NNB_OK) {
        memcpy(b, hdr, (size_t)got);
        ssize_t more = size > (size_t)got ? read_n(fd, b + got, size - (size_t)got) : 0;
        unsigned char extra;
        ssize_t tail = more >= 0 && size > (size_t)got ? read_n(fd, &extra, 1) : 0;
        if ((more < 0 || tail < 0) && errno == EINTR && nnbi_interrupted())
            st = bad(c, NNB_E_CANCELLED, "interrupted");
        else if (more < 0 || tail < 0)
            st = bad(c, NNB_E_IO, "cannot read: %s", strerror(errno));
        else if ((size_t)got + (size_t)more < size)
            st = bad(c, NNB_E_FORMAT, "truncated: %zu bytes, the header says %zu",
                     (size_t)got + (size_t)more, size);
        else if (tail > 0)
            st =
                bad(c, NNB_E_FORMAT, "the input goes on after the %zu bytes its header says", size);
    }
    close(fd);
    if (st != NNB_OK) {
        free(b);
        return st;
    }
    *out = b;
    *len = size;
    return NNB_OK;
}

NNB_API nnb_status nnb_model_read(nnb_net **net, nnb_prep **prep, nnb_meta **meta,
                                  const char *path) {
    loader c;
    nnb_status st = start(&c, __func__, path, net, prep, meta);
    if (st != NNB_OK) return st;
    NNBI_CHECK_NULL(path, __func__);
    unsigned char *b;
    size_t len = 0;
    if ((st = read_file(&c, path, &b, &len)) != NNB_OK) return st;
    st = load(&c, b, len, net, prep, meta);
    free(b);
    return st;
}
