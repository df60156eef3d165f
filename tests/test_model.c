/*
 * Model files through the public API: metadata, round trips through files and buffers (the
 * network, the preparation, the metadata and the training state, which must make training
 * continue bit for bit), the byte layout of docs/model-format.md, the golden file of version 1.0,
 * and damaged files — every truncation, every byte flipped, random changes with the checksum
 * made right again, and crafted contents — which must be errors with messages, never crashes.
 * Float32 networks' files (format 1.1, section PF32) round-trip too (model_round_trip).
 */
#define _GNU_SOURCE /* memmem */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nnb_test.h"

#define expect nnbt_expect

/* ---- helpers ---------------------------------------------------------------------------------- */

/* The model as bytes (asserting success); *len receives the size. */
static unsigned char *to_bytes(const nnbt_model *m, int with_state, size_t *len) {
    size_t n = nnb_model_write_size(m->net, m->prep, m->meta, with_state), written = 0;
    ck_assert_uint_gt(n, 0);
    unsigned char *b = malloc(n);
    nnbt_ok(nnb_model_write_buffer(m->net, m->prep, m->meta, with_state, b, n, &written));
    ck_assert_uint_eq(written, n);
    *len = n;
    return b;
}

static uint64_t le64(const unsigned char *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

static void put_le32(unsigned char *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static void put_le64(unsigned char *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}

/* The offset of section `tag`'s header, walking the layout of docs/model-format.md: a 32-byte
 * header, then sections of tag (4), flags (4), payload length (8), payload. 0 if absent. */
static size_t section_at(const unsigned char *b, size_t len, const char *tag) {
    size_t p = 32;
    while (p + 16 <= len - 4) {
        if (memcmp(b + p, tag, 4) == 0) return p;
        p += 16 + (size_t)le64(b + p + 8);
    }
    return 0;
}

/* Loads bytes expecting an error with a message; every out-pointer must come back NULL. */
static nnb_status load_fails(const unsigned char *b, size_t len) {
    nnb_net *net = (nnb_net *)1;
    nnb_prep *prep = (nnb_prep *)1;
    nnb_meta *meta = (nnb_meta *)1;
    nnb_clear_error();
    nnb_status st = nnb_model_read_buffer(&net, &prep, &meta, b, len);
    ck_assert_msg(st != NNB_OK, "a damaged model of %zu bytes loaded", len);
    ck_assert_msg(strlen(nnb_last_error()) > 20, "message \"%s\"", nnb_last_error());
    ck_assert_ptr_null(net);
    ck_assert_ptr_null(prep);
    ck_assert_ptr_null(meta);
    return st;
}

/* Loads bytes that may or may not be valid: success frees, failure has a message. */
static void load_any(const unsigned char *b, size_t len) {
    nnb_net *net;
    nnb_prep *prep;
    nnb_meta *meta;
    nnb_clear_error();
    nnb_status st = nnb_model_read_buffer(&net, &prep, &meta, b, len);
    if (st == NNB_OK) {
        nnb_net_free(net);
        nnb_prep_free(prep);
        nnb_meta_free(meta);
    } else {
        ck_assert_msg(strlen(nnb_last_error()) > 20, "%s: message \"%s\"", nnb_status_name(st),
                      nnb_last_error());
    }
}

/* The networks have the same layers and bit-identical parameters. */
static void assert_same_net(const nnb_net *a, const nnb_net *b) {
    ck_assert_uint_eq(nnb_net_n_inputs(b), nnb_net_n_inputs(a));
    ck_assert_uint_eq(nnb_net_n_layers(b), nnb_net_n_layers(a));
    ck_assert_uint_eq(nnb_net_n_params(b), nnb_net_n_params(a));
    for (size_t l = 0; l < nnb_net_n_layers(a); l++) {
        size_t i1, o1, i2, o2;
        nnb_activation a1, a2;
        int b1, b2;
        nnbt_ok(nnb_net_layer_info(a, l, &i1, &o1, &a1, &b1, NULL, NULL));
        nnbt_ok(nnb_net_layer_info(b, l, &i2, &o2, &a2, &b2, NULL, NULL));
        ck_assert_uint_eq(i1, i2);
        ck_assert_uint_eq(o1, o2);
        ck_assert_int_eq(a1, a2);
        ck_assert_int_eq(b1, b2);
    }
    size_t n = nnb_net_n_params(a);
    double *pa = malloc(n * sizeof *pa), *pb = malloc(n * sizeof *pb);
    nnbt_ok(nnb_net_params_get(a, pa, n));
    nnbt_ok(nnb_net_params_get(b, pb, n));
    ck_assert(memcmp(pa, pb, n * sizeof *pa) == 0);
    free(pa);
    free(pb);
}

/* Predictions of both networks on x are bit-identical. */
static void assert_same_predictions(const nnb_net *a, const nnb_net *b, const double *x,
                                    size_t rows) {
    size_t ni = nnb_net_n_inputs(a), no = nnb_net_n_outputs(a);
    double *ya = malloc(rows * no * sizeof *ya), *yb = malloc(rows * no * sizeof *yb);
    nnbt_ok(nnb_net_predict(a, x, rows, ni, ya, rows * no));
    nnbt_ok(nnb_net_predict(b, x, rows, ni, yb, rows * no));
    ck_assert(memcmp(ya, yb, rows * no * sizeof *ya) == 0);
    free(ya);
    free(yb);
}

/* The preparations make the same names, statistics and outputs from the same table. */
static void assert_same_prep(const nnb_prep *p, const nnb_prep *q, const nnb_table *t) {
    ck_assert(nnb_prep_is_fitted(q));
    size_t nf = nnb_prep_n_features(p), ny = nnb_prep_n_targets(p), rows = nnb_table_n_rows(t);
    ck_assert_uint_eq(nnb_prep_n_features(q), nf);
    ck_assert_uint_eq(nnb_prep_n_targets(q), ny);
    ck_assert_uint_eq(nnb_prep_n_classes(q), nnb_prep_n_classes(p));
    ck_assert_int_eq(nnb_prep_target_kind(q), nnb_prep_target_kind(p));
    ck_assert_int_eq(nnb_prep_is_matrix(q), nnb_prep_is_matrix(p));
    for (size_t j = 0; j < nf; j++)
        ck_assert_str_eq(nnb_prep_feature_name(q, j), nnb_prep_feature_name(p, j));
    for (size_t j = 0; j < ny; j++)
        ck_assert_str_eq(nnb_prep_target_name(q, j), nnb_prep_target_name(p, j));
    for (size_t k = 0; k < nnb_prep_n_classes(p); k++)
        ck_assert_str_eq(nnb_prep_class_label(q, k), nnb_prep_class_label(p, k));
    ck_assert_uint_eq(nnb_prep_n_columns(q), nnb_prep_n_columns(p));
    for (size_t i = 0; i < nnb_prep_n_columns(p); i++) {
        const char *n1, *n2;
        int t1, t2, x1, x2;
        size_t c1, c2;
        nnbt_ok(nnb_prep_column_info(p, i, &n1, &t1, &x1, &c1));
        nnbt_ok(nnb_prep_column_info(q, i, &n2, &t2, &x2, &c2));
        ck_assert_str_eq(n1, n2);
        ck_assert_int_eq(t1, t2);
        ck_assert_int_eq(x1, x2);
        ck_assert_uint_eq(c1, c2);
        for (size_t k = 0; k < c1; k++)
            ck_assert_str_eq(nnb_prep_column_category(q, i, k), nnb_prep_column_category(p, i, k));
        nnb_scale h1, h2;
        double a1, a2, b1, b2;
        if (c1 == 0) {
            nnbt_ok(nnb_prep_column_stats(p, n1, &h1, &a1, &b1, NULL));
            nnbt_ok(nnb_prep_column_stats(q, n1, &h2, &a2, &b2, NULL));
            ck_assert_int_eq(h1, h2);
            ck_assert(memcmp(&a1, &a2, sizeof a1) == 0 && memcmp(&b1, &b2, sizeof b1) == 0);
        }
    }
    if (nnb_prep_is_matrix(p)) return;
    double *x1 = malloc(rows * nf * sizeof *x1), *x2 = malloc(rows * nf * sizeof *x2);
    double *y1 = malloc(rows * ny * sizeof *y1), *y2 = malloc(rows * ny * sizeof *y2);
    nnbt_ok(nnb_prep_apply(p, t, NULL, rows, x1, rows * nf, y1, rows * ny));
    nnbt_ok(nnb_prep_apply(q, t, NULL, rows, x2, rows * nf, y2, rows * ny));
    ck_assert(memcmp(x1, x2, rows * nf * sizeof *x1) == 0);
    ck_assert(memcmp(y1, y2, rows * ny * sizeof *y1) == 0);
    free(x1), free(x2), free(y1), free(y2);
}

static void assert_same_meta(const nnb_meta *a, const nnb_meta *b) {
    ck_assert_uint_eq(nnb_meta_n_keys(b), nnb_meta_n_keys(a));
    for (size_t i = 0; i < nnb_meta_n_keys(a); i++) {
        ck_assert_str_eq(nnb_meta_key(b, i), nnb_meta_key(a, i));
        ck_assert_str_eq(nnb_meta_value(b, i), nnb_meta_value(a, i));
    }
}

/* ---- metadata ----------------------------------------------------------------------------------- */

START_TEST(meta_list) {
    nnb_meta *m;
    nnbt_ok(nnb_meta_create(&m));
    ck_assert_uint_eq(nnb_meta_n_keys(m), 0);
    ck_assert_ptr_null(nnb_meta_get(m, "a"));
    nnbt_ok(nnb_meta_set(m, "a", "1"));
    nnbt_ok(nnb_meta_set(m, "b", ""));
    nnbt_ok(nnb_meta_set(m, "c", "3"));
    nnbt_ok(nnb_meta_set(m, "a", "one")); /* replaced in place */
    ck_assert_uint_eq(nnb_meta_n_keys(m), 3);
    ck_assert_str_eq(nnb_meta_key(m, 0), "a");
    ck_assert_str_eq(nnb_meta_value(m, 0), "one");
    ck_assert_str_eq(nnb_meta_get(m, "b"), "");
    ck_assert_str_eq(nnb_meta_key(m, 2), "c");
    ck_assert_ptr_null(nnb_meta_key(m, 3));
    ck_assert_ptr_null(nnb_meta_value(m, 3));
    ck_assert_ptr_null(nnb_meta_get(m, NULL));
    ck_assert_ptr_null(nnb_meta_get(NULL, "a"));
    ck_assert_uint_eq(nnb_meta_n_keys(NULL), 0);
    ck_assert_ptr_null(nnb_meta_key(NULL, 0));
    expect(nnb_meta_set(m, "", "x"), NNB_E_INVALID_ARG, "key is empty");
    expect(nnb_meta_set(m, NULL, "x"), NNB_E_NULL, "key");
    expect(nnb_meta_set(m, "k", NULL), NNB_E_NULL, "value");
    expect(nnb_meta_set(NULL, "k", "v"), NNB_E_NULL, "NULL");
    expect(nnb_meta_create(NULL), NNB_E_NULL, "NULL");
    size_t big = 16u * 1024 * 1024 + 1;
    char *s = malloc(big + 1);
    memset(s, 'x', big);
    s[big] = '\0';
    expect(nnb_meta_set(m, "big", s), NNB_E_INVALID_ARG, "limit");
    free(s);
    ck_assert_uint_eq(nnb_meta_n_keys(m), 3);
    nnb_meta_free(m);
    nnb_meta_free(NULL);
}
END_TEST

/* ---- round trips -------------------------------------------------------------------------------- */

START_TEST(file_round_trip_resumes_bit_for_bit) {
    nnbt_model m;
    nnbt_model_make(&m, 3);
    char path[512];
    nnbt_tmp_path(path, sizeof path, "round.nnb");
    nnbt_ok(nnb_model_write(path, m.net, m.prep, m.meta, 1));
    nnb_net *net;
    nnb_prep *prep;
    nnb_meta *meta;
    nnbt_ok(nnb_model_read(&net, &prep, &meta, path));
    assert_same_net(m.net, net);
    /* the leaky slope (0.2) shows in predictions: the standardised inputs have negative values */
    assert_same_predictions(m.net, net, m.x, m.rows);
    assert_same_prep(m.prep, prep, m.table);
    assert_same_meta(m.meta, meta);
    /* the unseen-category policy came along: an unknown colour gives zeros, not an error */
    nnb_unseen unseen = NNB_UNSEEN_ERROR;
    nnbt_ok(nnb_prep_get_unseen(prep, &unseen));
    ck_assert_int_eq(unseen, NNB_UNSEEN_ZERO);
    const char *novel = "id,colour,size,w,v,u,label\nz,purple,2,0.1,11,0,dog\n";
    nnb_csv_opts *o = nnbt_text_columns("id colour label");
    nnb_table *t = nnbt_parse(novel, strlen(novel), o);
    double x[32];
    nnbt_ok(nnb_prep_apply(prep, t, NULL, 1, x, 32, NULL, 0));
    nnb_table_free(t);
    nnb_csv_opts_free(o);
    /* training goes on exactly as in the network that never stopped */
    nnb_train_opts *opts;
    nnbt_ok(nnb_train_opts_create(&opts));
    nnbt_model_opts(opts, 4);
    nnbt_ok(nnb_net_train(m.net, opts, m.x, m.rows, m.nf, m.y, m.ny, NULL));
    nnbt_ok(nnb_net_train(net, opts, m.x, m.rows, m.nf, m.y, m.ny, NULL));
    assert_same_net(m.net, net);
    nnb_train_opts_free(opts);
    nnb_net_free(net);
    nnb_prep_free(prep);
    nnb_meta_free(meta);
    /* without the training state the optimiser starts afresh: the runs part */
    nnbt_ok(nnb_model_write(path, m.net, m.prep, m.meta, 0));
    nnbt_ok(nnb_model_read(&net, NULL, NULL, path));
    assert_same_net(m.net, net);
    nnbt_ok(nnb_train_opts_create(&opts));
    nnbt_model_opts(opts, 1);
    nnbt_ok(nnb_net_train(m.net, opts, m.x, m.rows, m.nf, m.y, m.ny, NULL));
    nnbt_ok(nnb_net_train(net, opts, m.x, m.rows, m.nf, m.y, m.ny, NULL));
    size_t n = nnb_net_n_params(net);
    double *pa = malloc(n * sizeof *pa), *pb = malloc(n * sizeof *pb);
    nnbt_ok(nnb_net_params_get(m.net, pa, n));
    nnbt_ok(nnb_net_params_get(net, pb, n));
    ck_assert(memcmp(pa, pb, n * sizeof *pa) != 0);
    free(pa), free(pb);
    nnb_train_opts_free(opts);
    nnb_net_free(net);
    nnbt_model_free(&m);
}
END_TEST

START_TEST(buffer_equals_file_and_size) {
    nnbt_model m;
    nnbt_model_make(&m, 2);
    for (int with_state = 0; with_state <= 1; with_state++) {
        size_t n;
        unsigned char *b = to_bytes(&m, with_state, &n);
        char path[512];
        nnbt_tmp_path(path, sizeof path, "buffer.nnb");
        nnbt_ok(nnb_model_write(path, m.net, m.prep, m.meta, with_state));
        size_t flen;
        char *f = nnbt_read_file(path, &flen);
        ck_assert_uint_eq(flen, n);
        ck_assert(memcmp(f, b, n) == 0);
        /* a buffer one byte short is refused, untouched, and told the size */
        unsigned char *small = malloc(n);
        memset(small, 0xAB, n);
        size_t written = 0;
        expect(nnb_model_write_buffer(m.net, m.prep, m.meta, with_state, small, n - 1, &written),
               NNB_E_SHAPE, "needs");
        ck_assert_uint_eq(written, n);
        for (size_t i = 0; i < n; i++) ck_assert_uint_eq(small[i], 0xAB);
        nnb_net *net;
        nnb_prep *prep;
        nnb_meta *meta;
        nnbt_ok(nnb_model_read_buffer(&net, &prep, &meta, b, n));
        assert_same_net(m.net, net);
        assert_same_prep(m.prep, prep, m.table);
        assert_same_meta(m.meta, meta);
        /* saving what was loaded gives the same bytes */
        size_t again;
        nnbt_ok(nnb_model_write_buffer(net, prep, meta, with_state, small, n, &again));
        ck_assert_uint_eq(again, n);
        ck_assert(memcmp(small, b, n) == 0);
        nnb_net_free(net);
        nnb_prep_free(prep);
        nnb_meta_free(meta);
        free(small);
        free(f);
        free(b);
    }
    nnbt_model_free(&m);
}
END_TEST

START_TEST(optional_parts) {
    nnbt_model m;
    nnbt_model_make(&m, 0);
    size_t n = nnb_model_write_size(m.net, NULL, NULL, 0);
    unsigned char *b = malloc(n);
    nnbt_ok(nnb_model_write_buffer(m.net, NULL, NULL, 0, b, n, NULL));
    ck_assert_uint_eq(
        section_at(b, n, "PREP") + section_at(b, n, "META") + section_at(b, n, "TRST"), 0);
    nnb_net *net;
    nnb_prep *prep = (nnb_prep *)1;
    nnb_meta *meta;
    nnbt_ok(nnb_model_read_buffer(&net, &prep, &meta, b, n));
    ck_assert_ptr_null(prep);
    ck_assert_ptr_nonnull(meta);
    ck_assert_uint_eq(nnb_meta_n_keys(meta), 0);
    assert_same_net(m.net, net);
    nnb_net_free(net);
    nnb_meta_free(meta);
    free(b);
    /* parts not wanted are not returned (and not leaked) */
    b = to_bytes(&m, 1, &n);
    nnbt_ok(nnb_model_read_buffer(&net, NULL, NULL, b, n));
    assert_same_net(m.net, net);
    nnb_net_free(net);
    free(b);
    /* an empty metadata list is stored as such */
    nnb_meta *empty;
    nnbt_ok(nnb_meta_create(&empty));
    n = nnb_model_write_size(m.net, NULL, empty, 0);
    b = malloc(n);
    nnbt_ok(nnb_model_write_buffer(m.net, NULL, empty, 0, b, n, NULL));
    ck_assert_uint_gt(section_at(b, n, "META"), 0);
    nnbt_ok(nnb_model_read_buffer(&net, NULL, &meta, b, n));
    ck_assert_uint_eq(nnb_meta_n_keys(meta), 0);
    nnb_net_free(net);
    nnb_meta_free(meta);
    nnb_meta_free(empty);
    free(b);
    nnbt_model_free(&m);
}
END_TEST

START_TEST(matrix_preparation) {
    double x[12] = {0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144};
    nnb_prep *p;
    nnbt_ok(nnb_prep_create(&p));
    nnbt_ok(nnb_prep_fit_matrix(p, x, 4, 3, NNB_SCALE_STANDARD));
    nnb_net *net, *net2;
    nnbt_ok(nnb_net_create(&net, 3));
    nnbt_ok(nnb_net_add_dense(net, 2, NNB_ACT_SIGMOID, 1));
    size_t n = nnb_model_write_size(net, p, NULL, 0);
    unsigned char *b = malloc(n);
    nnbt_ok(nnb_model_write_buffer(net, p, NULL, 0, b, n, NULL));
    nnb_prep *q;
    nnbt_ok(nnb_model_read_buffer(&net2, &q, NULL, b, n));
    ck_assert(nnb_prep_is_matrix(q));
    assert_same_prep(p, q, NULL);
    double x1[12], x2[12];
    memcpy(x1, x, sizeof x);
    memcpy(x2, x, sizeof x);
    nnbt_ok(nnb_prep_transform(p, x1, 4, 3));
    nnbt_ok(nnb_prep_transform(q, x2, 4, 3));
    ck_assert(memcmp(x1, x2, sizeof x1) == 0);
    nnb_prep_free(p);
    nnb_prep_free(q);
    nnb_net_free(net);
    nnb_net_free(net2);
    free(b);
}
END_TEST

/* The bytes are those docs/model-format.md describes, little-endian whatever the host. */
START_TEST(documented_layout) {
    nnb_net *net;
    nnbt_ok(nnb_net_create(&net, 2));
    nnbt_ok(nnb_net_add_dense(net, 1, NNB_ACT_LEAKY_RELU, 0));
    nnbt_ok(nnb_net_set_leaky_slope(net, 0, 0.25));
    double w[2] = {1.0, -2.5};
    nnbt_ok(nnb_net_params_set(net, w, 2));
    nnb_meta *meta;
    nnbt_ok(nnb_meta_create(&meta));
    nnbt_ok(nnb_meta_set(meta, "k", "vv"));
    size_t n = nnb_model_write_size(net, NULL, meta, 0);
    /* 32 header + ARCH (16 + 16 + 24) + PARM (16 + 8 + 16) + META (16 + 8 + 4+1 + 4+2) + CRC 4 */
    ck_assert_uint_eq(n, 32 + 56 + 40 + 35 + 4);
    unsigned char *b = malloc(n);
    nnbt_ok(nnb_model_write_buffer(net, NULL, meta, 0, b, n, NULL));
    static const unsigned char header[32] = {
        0x89, 'N', 'N', 'B', '\r', '\n', 0x1A, '\n', /* magic */
        1,    0,   0,   0,                           /* version 1.0 */
        4,    3,   2,   1,                           /* byte-order mark */
        167,  0,   0,   0,   0,    0,    0,    0,    /* file size */
        3,    0,   0,   0,                           /* sections */
        0,    0,   0,   0};                          /* flags */
    ck_assert(memcmp(b, header, 32) == 0);
    static const unsigned char arch[56] = {
        'A', 'R', 'C', 'H', 1, 0, 0,    0,
        40,  0,   0,   0,   0, 0, 0,    0, /* essential, 40 bytes */
        2,   0,   0,   0,   0, 0, 0,    0, /* inputs */
        1,   0,   0,   0,   0, 0, 0,    0, /* layers */
        1,   0,   0,   0,   0, 0, 0,    0,
        4,   0,   0,   0,   0, 0, 0,    0,     /* 1 unit, leaky ReLU, no bias */
        0,   0,   0,   0,   0, 0, 0xD0, 0x3F}; /* slope 0.25 */
    ck_assert(memcmp(b + 32, arch, 56) == 0);
    static const unsigned char parm[40] = {
        'P', 'A', 'R', 'M', 1, 0, 0,    0,   24, 0, 0, 0, 0, 0, 0,    0,
        2,   0,   0,   0,   0, 0, 0,    0,   0,  0, 0, 0, 0, 0, 0xF0, 0x3F, /* 1.0 */
        0,   0,   0,   0,   0, 0, 0x04, 0xC0};                              /* -2.5 */
    ck_assert(memcmp(b + 88, parm, 40) == 0);
    static const unsigned char metab[35] = {'M', 'E', 'T', 'A', 0,   0, 0, 0, 19, 0,   0,  0,
                                            0,   0,   0,   0,   1,   0, 0, 0, 0,  0,   0,  0,
                                            1,   0,   0,   0,   'k', 2, 0, 0, 0,  'v', 'v'};
    ck_assert(memcmp(b + 128, metab, 35) == 0);
    uint32_t crc = nnbt_crc32(b, n - 4);
    for (int i = 0; i < 4; i++) ck_assert_uint_eq(b[n - 4 + i], (crc >> (8 * i)) & 0xFF);
    /* the slope comes back from the bytes */
    nnb_net *back;
    nnbt_ok(nnb_model_read_buffer(&back, NULL, NULL, b, n));
    double slope = 0;
    nnbt_ok(nnb_net_get_leaky_slope(back, 0, &slope));
    ck_assert(slope == 0.25);
    nnb_net_free(back);
    free(b);
    nnb_meta_free(meta);
    nnb_net_free(net);
}
END_TEST

/* ---- arguments ---------------------------------------------------------------------------------- */

START_TEST(bad_arguments) {
    nnbt_model m;
    nnbt_model_make(&m, 0);
    char path[512], dir_path[600];
    nnbt_tmp_path(path, sizeof path, "args.nnb");
    nnb_net *empty, *net;
    nnbt_ok(nnb_net_create(&empty, 3));
    expect(nnb_model_write(NULL, m.net, NULL, NULL, 0), NNB_E_NULL, "path");
    expect(nnb_model_write(path, NULL, NULL, NULL, 0), NNB_E_NULL, "net");
    expect(nnb_model_write(path, empty, NULL, NULL, 0), NNB_E_INVALID_ARG, "no layers");
    expect(nnb_model_write(path, m.net, NULL, NULL, 2), NNB_E_INVALID_ARG, "with_train_state");
    nnb_prep *unfitted;
    nnbt_ok(nnb_prep_create(&unfitted));
    expect(nnb_model_write(path, m.net, unfitted, NULL, 0), NNB_E_INVALID_ARG, "not fitted");
    nnb_net *other;
    nnbt_ok(nnb_net_create(&other, m.nf + 1));
    nnbt_ok(nnb_net_add_dense(other, m.ny, NNB_ACT_SOFTMAX, 1));
    expect(nnb_model_write(path, other, m.prep, NULL, 0), NNB_E_SHAPE, "inputs");
    ck_assert_int_eq(access(path, F_OK), -1); /* nothing was written */
    nnb_net *wrong_out;
    nnbt_ok(nnb_net_create(&wrong_out, m.nf));
    nnbt_ok(nnb_net_add_dense(wrong_out, m.ny + 1, NNB_ACT_SOFTMAX, 1));
    expect(nnb_model_write(path, wrong_out, m.prep, NULL, 0), NNB_E_SHAPE,
           "the network has 4 outputs");
    ck_assert_int_eq(access(path, F_OK), -1);
    nnb_net_free(wrong_out);
    nnb_clear_error();
    ck_assert_uint_eq(nnb_model_write_size(empty, NULL, NULL, 0), 0);
    ck_assert_str_ne(nnb_last_error(), "");
    ck_assert_uint_eq(nnb_model_write_size(NULL, NULL, NULL, 0), 0);
    unsigned char buf[16];
    expect(nnb_model_write_buffer(m.net, NULL, NULL, 0, NULL, 100, NULL), NNB_E_NULL, "buf");
    expect(nnb_model_write_buffer(NULL, NULL, NULL, 0, buf, sizeof buf, NULL), NNB_E_NULL, "net");
    /* folders that do not exist or are files */
    nnbt_tmp_path(dir_path, sizeof dir_path, "no/such/folder/m.nnb");
    expect(nnb_model_write(dir_path, m.net, NULL, NULL, 0), NNB_E_IO, "No such file");
    nnbt_ok(nnb_model_write(path, m.net, NULL, NULL, 0));
    snprintf(dir_path, sizeof dir_path, "%s/m.nnb", path);
    expect(nnb_model_write(dir_path, m.net, NULL, NULL, 0), NNB_E_IO, "m.nnb");
    /* loading */
    expect(nnb_model_read(NULL, NULL, NULL, path), NNB_E_NULL, "net");
    expect(nnb_model_read(&net, NULL, NULL, NULL), NNB_E_NULL, "path");
    ck_assert_ptr_null(net);
    expect(nnb_model_read_buffer(&net, NULL, NULL, NULL, 10), NNB_E_NULL, "buf");
    nnbt_tmp_path(dir_path, sizeof dir_path, "missing.nnb");
    expect(nnb_model_read(&net, NULL, NULL, dir_path), NNB_E_IO,
           "missing.nnb: cannot open: No such");
    expect(nnb_model_read(&net, NULL, NULL, nnbt_tmpdir()), NNB_E_IO, "Is a directory");
    nnbt_write_file(dir_path, "", 0);
    expect(nnb_model_read(&net, NULL, NULL, dir_path), NNB_E_FORMAT, "truncated");
    nnbt_write_file(dir_path, "id,colour\n1,2\n", 14);
    expect(nnb_model_read(&net, NULL, NULL, dir_path), NNB_E_FORMAT, "not an nnblas model");
    nnb_net_free(empty);
    nnb_net_free(other);
    nnb_prep_free(unfitted);
    nnbt_model_free(&m);
}
END_TEST

/* Saving replaces the file, keeps its mode, and leaves nothing else in the folder. */
START_TEST(save_replaces_and_keeps_mode) {
    nnbt_model m;
    nnbt_model_make(&m, 1);
    char dir[512], path[600];
    nnbt_tmp_path(dir, sizeof dir, "modes");
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    snprintf(path, sizeof path, "%s/m.nnb", dir);
    mode_t old = umask(027);
    nnbt_ok(nnb_model_write(path, m.net, m.prep, NULL, 0));
    umask(old);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_uint_eq(st.st_mode & 0777, 0640); /* 0666 less the umask, not mkstemp's 0600 */
    ck_assert_int_eq(chmod(path, 0604), 0);
    nnbt_ok(nnb_model_write(path, m.net, m.prep, m.meta, 1));
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_uint_eq(st.st_mode & 0777, 0604);
    nnb_net *net;
    nnb_meta *meta;
    nnbt_ok(nnb_model_read(&net, NULL, &meta, path));
    ck_assert_uint_eq(nnb_meta_n_keys(meta), 3);
    nnb_net_free(net);
    nnb_meta_free(meta);
    ck_assert_int_eq(nnbt_count_files(dir), 1);
    nnbt_model_free(&m);
}
END_TEST

/* ---- the golden file ----------------------------------------------------------------------------
 * tests/data/golden-v1.nnb is a model file of format 1.0, made once (nnblas 0.1.0) with
 *   cd tests/data && nnblas train --csv golden.csv --target species --one-hot colour,size --drop id \
 *       --standardize length,width --layers 5 --activation leaky-relu:0.05 --epochs 20 --batch 8 \
 *       --lr 0.02 --seed 3 --test 0.2 --save golden-v1.nnb
 * Every later version must load it. The values below were read from it when it was made: the
 * parameters and statistics are stored bits and must come back exactly; the predictions go
 * through BLAS, whose last bits may differ between builds, so they are compared to 1e-12. */

START_TEST(golden_file_loads) {
    nnb_net *net;
    nnb_prep *prep;
    nnb_meta *meta;
    nnbt_ok(nnb_model_read(&net, &prep, &meta, NNBT_DATA_DIR "/golden-v1.nnb"));
    ck_assert_uint_eq(nnb_net_n_inputs(net), 9);
    ck_assert_uint_eq(nnb_net_n_layers(net), 2);
    ck_assert_uint_eq(nnb_net_n_params(net), 68);
    size_t n_out;
    nnb_activation act;
    int bias;
    nnbt_ok(nnb_net_layer_info(net, 0, NULL, &n_out, &act, &bias, NULL, NULL));
    ck_assert(n_out == 5 && act == NNB_ACT_LEAKY_RELU && bias == 1);
    nnbt_ok(nnb_net_layer_info(net, 1, NULL, &n_out, &act, &bias, NULL, NULL));
    ck_assert(n_out == 3 && act == NNB_ACT_SOFTMAX && bias == 1);
    double w[68];
    nnbt_ok(nnb_net_params_get(net, w, 68));
    ck_assert(w[0] == 0x1.50828f79ba426p+0 && w[1] == -0x1.626dadef4e047p-1);
    ck_assert(w[44] == 0x1.66e1d1ff210bfp-1 && w[49] == -0x1.56c91f96c6ea5p-2);
    ck_assert(w[50] == -0x1.3c2ed92081d65p-1 && w[67] == 0x1.44073208ddeedp-2);

    ck_assert_uint_eq(nnb_prep_n_columns(prep), 6);
    ck_assert_uint_eq(nnb_prep_n_features(prep), 9);
    ck_assert_int_eq(nnb_prep_target_kind(prep), NNB_TARGET_ONEHOT);
    static const char *const feature[9] = {"colour_blue", "colour_green", "colour_red",
                                           "size_1",      "size_2",       "size_3",
                                           "length",      "width",        "weight"};
    for (size_t j = 0; j < 9; j++) ck_assert_str_eq(nnb_prep_feature_name(prep, j), feature[j]);
    ck_assert_str_eq(nnb_prep_class_label(prep, 0), "setosa");
    ck_assert_str_eq(nnb_prep_class_label(prep, 2), "virginica");
    nnb_scale how;
    double a, b;
    nnbt_ok(nnb_prep_column_stats(prep, "length", &how, &a, &b, NULL));
    ck_assert(how == NNB_SCALE_STANDARD && a == 0x1.55c962fc962fcp+2 && b == 0x1.a6ebcdc46ddp+0);
    nnbt_ok(nnb_prep_column_stats(prep, "width", &how, &a, &b, NULL));
    ck_assert(a == 0x1.c4ccccccccccdp+0 && b == 0x1.3f2371f55ac3p-1);
    nnbt_ok(nnb_prep_column_stats(prep, "weight", &how, NULL, NULL, NULL));
    ck_assert_int_eq(how, NNB_SCALE_NONE);
    ck_assert_str_eq(nnb_meta_get(meta, "nnblas.version"), "0.1.0");
    ck_assert_str_eq(nnb_meta_get(meta, "train.epochs"), "20");
    ck_assert_str_eq(nnb_meta_get(meta, "task"), "classification");

    /* predictions for the first rows of golden.csv */
    static const double want[5][3] = {
        {0.19351391016786082, 0.037367217046711712, 0.76911887278542745},
        {0.0080399431379074831, 0.013624035763495967, 0.97833602109859652},
        {0.099457358194080747, 0.86924576073140392, 0.031296881074515233},
        {0.011958295855926516, 0.18420168293276418, 0.80384002121130937},
        {0.0051942553360479907, 0.078309708021140415, 0.91649603664281154},
    };
    nnb_csv_opts *o = nnbt_text_columns("id colour species");
    nnb_table *t;
    nnbt_ok(nnb_csv_read(&t, NNBT_DATA_DIR "/golden.csv", o));
    double x[5 * 9], y[5 * 3];
    size_t rows[5] = {0, 1, 2, 3, 4};
    nnbt_ok(nnb_prep_apply(prep, t, rows, 5, x, 45, NULL, 0));
    nnbt_ok(nnb_net_predict(net, x, 5, 9, y, 15));
    for (int r = 0; r < 5; r++)
        for (int k = 0; k < 3; k++) nnbt_assert_rel(y[3 * r + k], want[r][k], 1e-12);
    /* the training state came along: training goes on */
    double yy[5 * 3];
    nnbt_ok(nnb_prep_apply(prep, t, rows, 5, x, 45, yy, 15));
    nnb_train_opts *opts;
    nnbt_ok(nnb_train_opts_create(&opts));
    nnbt_ok(nnb_train_opts_set_loss(opts, NNB_LOSS_CE, NNB_REDUCTION_MEAN));
    nnbt_ok(nnb_train_opts_set_optimizer(opts, NNB_OPT_ADAM, 0.02));
    nnbt_ok(nnb_train_opts_set_epochs(opts, 1));
    nnb_history *h;
    nnbt_ok(nnb_history_create(&h));
    nnbt_ok(nnb_net_train(net, opts, x, 5, 9, yy, 3, h));
    double epoch;
    nnbt_ok(nnb_history_get(h, NNB_HIST_EPOCH, &epoch, 1));
    ck_assert_double_eq(epoch, 21); /* it had run 20 */
    nnb_history_free(h);
    nnb_train_opts_free(opts);
    nnb_table_free(t);
    nnb_csv_opts_free(o);
    nnb_net_free(net);
    nnb_prep_free(prep);
    nnb_meta_free(meta);
}
END_TEST

/* ---- damaged files ------------------------------------------------------------------------------ */

START_TEST(every_truncation_fails) {
    nnbt_model m;
    nnbt_model_make(&m, 1);
    size_t n;
    unsigned char *b = to_bytes(&m, 1, &n);
    for (size_t len = 0; len < n; len++) {
        unsigned char *cut = malloc(len ? len : 1); /* exactly len bytes, for ASan */
        memcpy(cut, b, len);
        ck_assert_int_eq(load_fails(cut, len), NNB_E_FORMAT);
        ck_assert_msg(len < 8 || strstr(nnb_last_error(), "truncated"), "%zu: %s", len,
                      nnb_last_error());
        free(cut);
    }
    /* and a byte too many */
    unsigned char *longer = malloc(n + 1);
    memcpy(longer, b, n);
    longer[n] = 0;
    ck_assert_int_eq(load_fails(longer, n + 1), NNB_E_FORMAT);
    free(longer);
    free(b);
    nnbt_model_free(&m);
}
END_TEST

START_TEST(every_byte_flip_fails) {
    nnbt_model m;
    nnbt_model_make(&m, 1);
    size_t n;
    unsigned char *b = to_bytes(&m, 1, &n);
    nnbt_rng r = {99};
    for (size_t i = 0; i < n; i++) {
        unsigned char keep = b[i], flip = (unsigned char)(1 + (int)(nnbt_uniform(&r) * 255));
        b[i] ^= flip;
        nnb_status st = load_fails(b, n);
        if (i >= 32) ck_assert_msg(st == NNB_E_CHECKSUM, "byte %zu: %s", i, nnb_last_error());
        b[i] = keep;
    }
    free(b);
    nnbt_model_free(&m);
}
END_TEST

/* Random changes with the checksum recomputed reach the section parsers: whatever they make is
 * either a valid model or an error with a message — never a crash, a leak or a wild read (this
 * suite runs under AddressSanitizer in CI). */
START_TEST(random_changes_past_the_checksum) {
    nnbt_model m;
    nnbt_model_make(&m, 1);
    size_t n;
    unsigned char *b = to_bytes(&m, 1, &n), *c = malloc(n);
    nnbt_rng r = {2024};
    for (int trial = 0; trial < 4000; trial++) {
        memcpy(c, b, n);
        int changes = 1 + (int)(nnbt_uniform(&r) * 3);
        for (int k = 0; k < changes; k++) {
            size_t at = 24 + (size_t)(nnbt_uniform(&r) * (double)(n - 28));
            double u = nnbt_uniform(&r);
            if (u < 0.5)
                c[at] ^= (unsigned char)(1u << (int)(nnbt_uniform(&r) * 8));
            else if (u < 0.8)
                c[at] = (unsigned char)(nnbt_uniform(&r) * 256);
            else
                c[at] = u < 0.9 ? 0xFF : 0x00;
        }
        nnbt_fix_crc(c, n);
        load_any(c, n);
    }
    free(c);
    free(b);
    nnbt_model_free(&m);
}
END_TEST

/* Bytes of the model with one change, and the checksum made right again. */
typedef struct crafted {
    unsigned char *b;
    size_t n;
} crafted;

static crafted base(const nnbt_model *m) {
    crafted c;
    c.b = to_bytes(m, 1, &c.n);
    return c;
}

/* A fresh copy of the model; returns the offset of section `tag`'s payload. */
static size_t fresh(crafted *c, const nnbt_model *m, const char *tag) {
    *c = base(m);
    size_t at = section_at(c->b, c->n, tag);
    ck_assert_uint_gt(at, 0);
    return at + 16;
}

/* Inserts `len` bytes at `at`, growing the file (the size field is fixed up). */
static void insert(crafted *c, size_t at, const void *bytes, size_t len) {
    c->b = realloc(c->b, c->n + len);
    memmove(c->b + at + len, c->b + at, c->n - at);
    memcpy(c->b + at, bytes, len);
    c->n += len;
    put_le64(c->b + 16, c->n);
}

static nnb_status crafted_fails(crafted *c, nnb_status want, const char *fragment) {
    nnbt_fix_crc(c->b, c->n);
    nnb_status st = load_fails(c->b, c->n);
    ck_assert_msg(st == want, "got %s (%s), expected %s", nnb_status_name(st), nnb_last_error(),
                  nnb_status_name(want));
    ck_assert_msg(strstr(nnb_last_error(), fragment), "message \"%s\" lacks \"%s\"",
                  nnb_last_error(), fragment);
    free(c->b);
    return st;
}

/* crafted_contents, the header: magic, versions, byte order, length, section count */
static void crafted_header(crafted *c, nnbt_model *m) {
    *c = base(m); /* a newer major version */
    c->b[8] = 2;
    crafted_fails(c, NNB_E_VERSION, "version 2.0 is newer");
    *c = base(m);
    c->b[8] = 0;
    crafted_fails(c, NNB_E_FORMAT, "0.0");
    *c = base(m);
    c->b[0] = 'P';
    crafted_fails(c, NNB_E_FORMAT, "not an nnblas model");
    *c = base(m); /* written by a writer with the wrong byte order */
    memcpy(c->b + 12, "\x01\x02\x03\x04", 4);
    crafted_fails(c, NNB_E_FORMAT, "byte-order mark");
    *c = base(m);
    put_le64(c->b + 16, c->n + 1);
    crafted_fails(c, NNB_E_FORMAT, "truncated");
    *c = base(m); /* one section more than there are */
    put_le32(c->b + 24, c->b[24] + 1u);
    crafted_fails(c, NNB_E_FORMAT, "past the end");
    *c = base(m);
    put_le32(c->b + 24, c->b[24] - 1u);
    crafted_fails(c, NNB_E_FORMAT, "after the last");
}

/* crafted_contents, the section table: unknown, repeated, renamed sections */
static void crafted_sections(crafted *c, nnbt_model *m) {
    size_t at;
    /* an unknown section this version must understand: refused as too new */
    static const unsigned char essential[20] = {'Z', 'Z', 'Z', 'Z', 1, 0, 0, 0, 4, 0,
                                                0,   0,   0,   0,   0, 0, 9, 9, 9, 9};
    *c = base(m);
    insert(c, 32, essential, 20);
    put_le32(c->b + 24, c->b[24] + 1u);
    crafted_fails(c, NNB_E_VERSION, "ZZZZ");
    *c = base(m); /* a section twice */
    at = section_at(c->b, c->n, "META");
    {
        size_t len = 16 + (size_t)le64(c->b + at + 8);
        unsigned char *copy = malloc(len);
        memcpy(copy, c->b + at, len);
        insert(c, at, copy, len);
        free(copy);
    }
    put_le32(c->b + 24, c->b[24] + 1u);
    crafted_fails(c, NNB_E_FORMAT, "META occurs twice");
    *c = base(m); /* PARM renamed (an unknown essential section is refused as too new) */
    at = section_at(c->b, c->n, "PARM");
    memcpy(c->b + at, "PARX", 4);
    crafted_fails(c, NNB_E_VERSION, "PARX");
    *c = base(m); /* ... and made optional: then PARM is missing */
    at = section_at(c->b, c->n, "PARM");
    memcpy(c->b + at, "PARX", 4);
    c->b[at + 4] = 0;
    crafted_fails(c, NNB_E_FORMAT, "PARM is missing");
}

/* crafted_contents, the architecture and the parameters */
static void crafted_architecture(crafted *c, nnbt_model *m) {
    size_t at;
    /* architecture */
    at = fresh(c, m, "ARCH");
    put_le64(c->b + at + 8, (uint64_t)1 << 60); /* layers */
    crafted_fails(c, NNB_E_FORMAT, "layers");
    at = fresh(c, m, "ARCH");
    put_le64(c->b + at, 0); /* inputs */
    crafted_fails(c, NNB_E_FORMAT, "0 inputs");
    at = fresh(c, m, "ARCH");
    put_le32(c->b + at + 16 + 8, 9); /* activation of layer 1 */
    crafted_fails(c, NNB_E_FORMAT, "unknown activation 9");
    at = fresh(c, m, "ARCH");
    put_le32(c->b + at + 16 + 8, NNB_ACT_SOFTMAX);
    crafted_fails(c, NNB_E_FORMAT, "softmax but not the output");
    at = fresh(c, m, "ARCH");
    put_le64(c->b + at + 16, 6); /* layer 1 has 6 units, not 5: the parameter count differs */
    crafted_fails(c, NNB_E_FORMAT, "PARM holds");
    at = fresh(c, m, "ARCH");
    put_le64(c->b + at + 16, (uint64_t)1 << 40); /* huge layer */
    crafted_fails(c, NNB_E_FORMAT, "units");
    at = fresh(c, m, "ARCH");
    memcpy(c->b + at + 16 + 16, "\0\0\0\0\0\0\xF8\xFF", 8); /* slope NaN */
    crafted_fails(c, NNB_E_FORMAT, "slope");
    {
        /* six layers of 2^31 - 1 units after 2^31 - 1 inputs: each holds about 2^62 parameters,
         * and together more than a size_t counts (refused before anything is allocated) */
        at = fresh(c, m, "ARCH");
        size_t sec = at - 16, n_old = (size_t)le64(c->b + at + 8);
        unsigned char layer[24] = {0};
        for (int k = 0; k < 3; k++) insert(c, at + 16, layer, 24);
        put_le64(c->b + sec + 8, le64(c->b + sec + 8) + 3 * 24);
        put_le64(c->b + at, 0x7FFFFFFF);
        put_le64(c->b + at + 8, n_old + 3);
        for (size_t l = 0; l < n_old + 3; l++) {
            put_le64(c->b + at + 16 + 24 * l, 0x7FFFFFFF);
            put_le32(c->b + at + 16 + 24 * l + 8, NNB_ACT_IDENTITY);
        }
        crafted_fails(c, NNB_E_FORMAT, "the layers' sizes overflow");
    }
    {
        /* eight bytes after the last parameter */
        at = fresh(c, m, "PARM");
        size_t sec = at - 16, end = at + (size_t)le64(c->b + sec + 8);
        insert(c, end, "\0\0\0\0\0\0\0\0", 8);
        put_le64(c->b + sec + 8, le64(c->b + sec + 8) + 8);
        crafted_fails(c, NNB_E_FORMAT, "section PARM has 8 bytes after its last field");
    }
}

/* crafted_contents, the preparation, the metadata and the training state */
static void crafted_prep_meta(crafted *c, nnbt_model *m) {
    size_t at;
    /* preparation */
    at = fresh(c, m, "PREP");
    put_le64(c->b + at + 16, (uint64_t)1 << 50); /* columns */
    crafted_fails(c, NNB_E_FORMAT, "columns");
    at = fresh(c, m, "PREP") + 24; /* first column's name length */
    put_le32(c->b + at, 0xFFFFFFF0u);
    crafted_fails(c, NNB_E_FORMAT, "ends before");
    at = fresh(c, m, "PREP") + 24 + 4; /* first column's name, "colour" */
    c->b[at] = '\0';
    crafted_fails(c, NNB_E_FORMAT, "NUL");
    at = fresh(c, m, "PREP");
    put_le32(c->b + at + 4, 7); /* target kind */
    crafted_fails(c, NNB_E_FORMAT, "kinds");

    /* metadata */
    at = fresh(c, m, "META");
    put_le64(c->b + at, (uint64_t)1 << 61);
    crafted_fails(c, NNB_E_FORMAT, "pairs");
    at = fresh(c, m, "META") + 8 + 4; /* first key "title" */
    memcpy(c->b + at, "empty", 5);    /* now a duplicate */
    crafted_fails(c, NNB_E_FORMAT, "'empty' occurs twice");
    at = fresh(c, m, "META") + 8;
    put_le32(c->b + at, 0); /* empty key: its 5 bytes become the next length... */
    crafted_fails(c, NNB_E_FORMAT, "META");
    /* training state */
    at = fresh(c, m, "TRST");
    c->b[at] = 'X';
    crafted_fails(c, NNB_E_FORMAT, "training state");
}

START_TEST(crafted_contents) {
    nnbt_model m;
    nnbt_model_make(&m, 1);
    crafted c;
    crafted_header(&c, &m);
    crafted_sections(&c, &m);
    crafted_architecture(&c, &m);
    crafted_prep_meta(&c, &m);
    nnbt_model_free(&m);
}
END_TEST

/* A file of a newer minor version (1.3; this library writes 1.0, 1.1 and 1.2) loads: unknown optional
 * sections are skipped, and known ones may carry more fields at their end. The same extras in a
 * 1.0 file are damage. */
START_TEST(newer_minor_version_loads) {
    nnbt_model m;
    nnbt_model_make(&m, 1);
    static const unsigned char optional[21] = {'N', 'E', 'W', '!', 0, 0, 0, 0, 5, 0, 0,
                                               0,   0,   0,   0,   0, 1, 2, 3, 4, 5};
    for (int minor = 0; minor <= 3; minor += 3) { /* 3: newer than this library's 1.2 */
        crafted c = base(&m);
        c.b[10] = (unsigned char)minor;
        size_t at = section_at(c.b, c.n, "META");
        insert(&c, at, optional, sizeof optional);
        put_le32(c.b + 24, c.b[24] + 1u);
        /* a field appended to META: 4 bytes more */
        at = section_at(c.b, c.n, "META");
        size_t end = at + 16 + (size_t)le64(c.b + at + 8);
        insert(&c, end, "\x01\x02\x03\x04", 4);
        put_le64(c.b + at + 8, le64(c.b + at + 8) + 4);
        nnbt_fix_crc(c.b, c.n);
        if (minor == 0) {
            ck_assert_int_eq(load_fails(c.b, c.n), NNB_E_FORMAT);
            ck_assert_msg(strstr(nnb_last_error(), "META has 4 bytes after"), "%s",
                          nnb_last_error());
        } else {
            nnb_net *net;
            nnb_prep *prep;
            nnb_meta *meta;
            nnbt_ok(nnb_model_read_buffer(&net, &prep, &meta, c.b, c.n));
            assert_same_net(m.net, net);
            assert_same_meta(m.meta, meta);
            nnb_net_free(net);
            nnb_prep_free(prep);
            nnb_meta_free(meta);
        }
        free(c.b);
    }
    nnbt_model_free(&m);
}
END_TEST

/* A file larger than the memory the process can get is refused before it is read (a sparse
 * file of 1 TiB, which takes no room on disk): zeros after its first 32 bytes (not a model), or
 * a model header that declares the whole 1 TiB. */
START_TEST(file_larger_than_memory) {
    char path[512];
    nnbt_tmp_path(path, sizeof path, "huge.nnb");
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    int sparse = ftruncate(fileno(f), (off_t)1 << 40) == 0;
    fclose(f);
    if (!sparse) { /* the file system cannot hold such a file: nothing to check */
        remove(path);
        return;
    }
    nnb_net *net = (nnb_net *)1;
    nnbt_expect(nnb_model_read(&net, NULL, NULL, path), NNB_E_FORMAT, "magic number");
    ck_assert_ptr_null(net);
    nnbt_model m;
    nnbt_model_make(&m, 0);
    nnbt_ok(nnb_model_write(path, m.net, NULL, NULL, 0));
    nnbt_model_free(&m);
    ck_assert_int_eq(truncate(path, (off_t)1 << 40), 0);
    f = fopen(path, "r+b");
    ck_assert_ptr_nonnull(f);
    unsigned char size[8] = {0, 0, 0, 0, 0, 1, 0, 0}; /* 2^40, little-endian */
    ck_assert(fseek(f, 16, SEEK_SET) == 0 && fwrite(size, 1, 8, f) == 8);
    fclose(f);
    net = (nnb_net *)1;
    nnbt_expect(nnb_model_read(&net, NULL, NULL, path), NNB_E_TOO_LARGE,
                "more than the memory available");
    ck_assert_ptr_null(net);
    remove(path);
}
END_TEST

/* Reverses the bytes of each n-byte field at p. */
static void swap_bytes(unsigned char *p, size_t n) {
    for (size_t i = 0; i < n / 2; i++) {
        unsigned char t = p[i];
        p[i] = p[n - 1 - i];
        p[n - 1 - i] = t;
    }
}

/* A file as a big-endian writer would make it: every field of the header, of the section table
 * and of the payloads in the other byte order. The header is refused for its byte order, with a
 * message that says so (not as a version 256.0 "newer" file, which is what its version field
 * reads as little-endian), from a file and from the command. */
START_TEST(other_byte_order_refused) {
    nnbt_model m;
    nnbt_model_make(&m, 1);
    crafted c = base(&m);
    swap_bytes(c.b + 8, 2);  /* major */
    swap_bytes(c.b + 10, 2); /* minor */
    swap_bytes(c.b + 12, 4); /* byte-order mark */
    swap_bytes(c.b + 16, 8); /* size */
    swap_bytes(c.b + 24, 4); /* sections */
    swap_bytes(c.b + 28, 4); /* flags */
    ck_assert(memcmp(c.b + 8, "\x00\x01\x00\x00\x01\x02\x03\x04", 8) == 0);
    for (size_t len = 16; len <= c.n; len += c.n - 16) { /* the header alone, and the whole */
        nnb_status st = load_fails(c.b, len);
        ck_assert_msg(st == NNB_E_FORMAT, "%s: %s", nnb_status_name(st), nnb_last_error());
        ck_assert_msg(strstr(nnb_last_error(), "big-endian") &&
                          strstr(nnb_last_error(), "byte order"),
                      "%s", nnb_last_error());
    }
    char path[512];
    nnbt_tmp_path(path, sizeof path, "big-endian.nnb");
    ck_assert(nnbt_write_file(path, c.b, c.n));
    nnb_net *net = (nnb_net *)1;
    nnbt_expect(nnb_model_read(&net, NULL, NULL, path), NNB_E_FORMAT, "big-endian");
    ck_assert_ptr_null(net);
    ck_assert_msg(strstr(nnb_last_error(), "big-endian.nnb"), "%s", nnb_last_error());
    free(c.b);
    nnbt_model_free(&m);
}
END_TEST

/* ---- float32 networks and data (issue 23: each concern tests both element types) ---------- */

/* Model files: a float32 network is written as version 1.1 with its parameters in section PF32
 * (4 bytes each) and loads as a float32 network, bit for bit, with its training state; a float64
 * network's file stays version 1.0. A PF32 section whose ARCH does not say float32 is damage. */
START_TEST(model_round_trip) {
    const size_t rows = 90;
    float *x = malloc(rows * 20 * sizeof *x), *y = malloc(rows * 3 * sizeof *y);
    nnbt_blobs(rows, x, y, NULL, NULL);
    nnb_net *a = nnbt_net3(NNB_F32, 20, 9, NNB_ACT_LEAKY_RELU, 3, NNB_ACT_SOFTMAX, 3), *b, *c;
    nnbt_ok(nnb_net_set_leaky_slope(a, 1, 0.2));
    nnb_train_opts *o = nnbt_adam_opts(2, 0);
    nnbt_ok(nnb_net_train_f32(a, o, x, rows, 20, y, 3, NULL));
    size_t n = nnb_model_write_size(a, NULL, NULL, 1), np = nnb_net_n_params(a), w;
    unsigned char *buf = malloc(n);
    nnbt_ok(nnb_model_write_buffer(a, NULL, NULL, 1, buf, n, &w));
    ck_assert_uint_eq(w, n);
    ck_assert(buf[8] == 1 && buf[9] == 0 && buf[10] == 1 && buf[11] == 0); /* version 1.1 */
    ck_assert_ptr_nonnull(memmem(buf, n, "PF32", 4));
    ck_assert_ptr_null(memmem(buf, n, "PARM", 4));
    nnbt_ok(nnb_model_read_buffer(&b, NULL, NULL, buf, n));
    ck_assert_int_eq(nnb_net_dtype(b), NNB_F32);
    ck_assert_mem_eq(nnb_net_params_data_f32(a, NULL), nnb_net_params_data_f32(b, NULL),
                     np * sizeof(float));
    /* the training state came along: both continue alike, bit for bit */
    nnbt_ok(nnb_net_train_f32(a, o, x, rows, 20, y, 3, NULL));
    nnbt_ok(nnb_net_train_f32(b, o, x, rows, 20, y, 3, NULL));
    ck_assert_mem_eq(nnb_net_params_data_f32(a, NULL), nnb_net_params_data_f32(b, NULL),
                     np * sizeof(float));
    /* a file of 4 bytes per parameter: smaller than the float64 network's */
    nnbt_ok(nnb_net_copy(&c, a, NNB_F64));
    size_t n64 = nnb_model_write_size(c, NULL, NULL, 0),
           n32 = nnb_model_write_size(a, NULL, NULL, 0);
    ck_assert_uint_eq(n64 - n32, 4 * np - 4);
    unsigned char *b64 = malloc(n64);
    nnbt_ok(nnb_model_write_buffer(c, NULL, NULL, 0, b64, n64, NULL));
    ck_assert(b64[10] == 0); /* float64: version 1.0 as before */
    nnb_net *d;
    nnbt_ok(nnb_model_read_buffer(&d, NULL, NULL, b64, n64));
    ck_assert_int_eq(nnb_net_dtype(d), NNB_F64);
    nnb_net_free(d);
    /* damage: the ARCH type field says float64 (0) over a PF32 section; CRC fixed up */
    unsigned char *arch = memmem(buf, n, "ARCH", 4);
    size_t alen = (size_t)arch[8] | (size_t)arch[9] << 8;
    ck_assert(arch[16 + alen - 4] == 1);
    arch[16 + alen - 4] = 0;
    nnbt_fix_crc(buf, n);
    nnbt_expect(nnb_model_read_buffer(&d, NULL, NULL, buf, n), NNB_E_FORMAT, "PF32");
    arch[16 + alen - 4] = 7;
    nnbt_fix_crc(buf, n);
    nnbt_expect(nnb_model_read_buffer(&d, NULL, NULL, buf, n), NNB_E_FORMAT, "element type 7");
    free(buf), free(b64), free(x), free(y);
    nnb_train_opts_free(o);
    nnb_net_free(a), nnb_net_free(b), nnb_net_free(c);
}
END_TEST

static Suite *model_suite(void) {
    Suite *s = suite_create("model");
    TCase *tc = tcase_create("api");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, meta_list);
    tcase_add_test(tc, file_round_trip_resumes_bit_for_bit);
    tcase_add_test(tc, buffer_equals_file_and_size);
    tcase_add_test(tc, optional_parts);
    tcase_add_test(tc, matrix_preparation);
    tcase_add_test(tc, documented_layout);
    tcase_add_test(tc, bad_arguments);
    tcase_add_test(tc, save_replaces_and_keeps_mode);
    tcase_add_test(tc, golden_file_loads);
    suite_add_tcase(s, tc);
    TCase *dmg = tcase_create("damaged");
    tcase_set_timeout(dmg, 300);
    tcase_add_test(dmg, every_truncation_fails);
    tcase_add_test(dmg, every_byte_flip_fails);
    tcase_add_test(dmg, random_changes_past_the_checksum);
    tcase_add_test(dmg, crafted_contents);
    tcase_add_test(dmg, other_byte_order_refused);
    tcase_add_test(dmg, file_larger_than_memory);
    tcase_add_test(dmg, newer_minor_version_loads);
    suite_add_tcase(s, dmg);
    tc = tcase_create("float32");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, model_round_trip);
    suite_add_tcase(s, tc);
    return s;
}

NNBT_MAIN(model_suite, 0)
