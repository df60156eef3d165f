/*
 * Exports (nnb_export_*, docs/export.md) through the public API: the options, int8
 * quantisation against its definition, the ONNX bytes read back by a protobuf reader written
 * here from the wire format (field numbers from onnx.proto), the C source's header, every
 * argument error, files never half written, and numbers written the same in a comma-decimal
 * locale. tests/export_check.py runs what is exported (onnxruntime, a C compiler) against
 * nnblas predict.
 */
#include <locale.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nnb_test.h"

#define expect nnbt_expect

/* ---- a protobuf reader (the wire format: varint keys; varint, 64-bit, length-delimited and
 * 32-bit values) ------------------------------------------------------------------------------ */

typedef struct pb {
    const unsigned char *p, *end;
} pb;

static uint64_t pb_varint(pb *r) {
    uint64_t v = 0;
    for (int shift = 0; r->p < r->end && shift < 64; shift += 7) {
        unsigned char b = *r->p++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) return v;
    }
    ck_abort_msg("bad varint");
    return 0;
}

/* The next field: its number, wire type, and (varint) value or (length-delimited) bytes. */
typedef struct pb_field {
    unsigned num, wire;
    uint64_t v;
    pb sub;
} pb_field;

static int pb_next(pb *r, pb_field *f) {
    if (r->p >= r->end) return 0;
    uint64_t key = pb_varint(r);
    f->num = (unsigned)(key >> 3);
    f->wire = (unsigned)(key & 7);
    if (f->wire == 0) {
        f->v = pb_varint(r);
    } else if (f->wire == 2) {
        uint64_t n = pb_varint(r);
        ck_assert_uint_le(n, (uint64_t)(r->end - r->p));
        f->sub.p = r->p;
        f->sub.end = r->p + n;
        r->p += n;
    } else if (f->wire == 5 || f->wire == 1) {
        size_t n = f->wire == 5 ? 4 : 8;
        ck_assert_uint_le(n, (size_t)(r->end - r->p));
        f->sub.p = r->p;
        f->sub.end = r->p + n;
        r->p += n;
    } else {
        ck_abort_msg("wire type %u", f->wire);
    }
    return 1;
}

static int pb_is(const pb_field *f, const char *s) {
    size_t n = strlen(s);
    return f->wire == 2 && (size_t)(f->sub.end - f->sub.p) == n && memcmp(f->sub.p, s, n) == 0;
}

/* The string field `num` of a message (the first), copied into buf. */
static const char *pb_string(pb m, unsigned num, char *buf, size_t len) {
    pb_field f;
    buf[0] = '\0';
    while (pb_next(&m, &f))
        if (f.num == num && f.wire == 2) {
            size_t n = (size_t)(f.sub.end - f.sub.p);
            n = n < len - 1 ? n : len - 1;
            memcpy(buf, f.sub.p, n);
            buf[n] = '\0';
            break;
        }
    return buf;
}

static double le_double(const unsigned char *p) {
    uint64_t u = 0;
    for (int i = 7; i >= 0; i--) u = u << 8 | p[i];
    double d;
    memcpy(&d, &u, 8);
    return d;
}

static float le_float(const unsigned char *p) {
    uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* ---- models ---------------------------------------------------------------------------------- */

/* A 3-4-2 network (tanh, softmax) with weights i/7 - 0.5 in the given type. */
static nnb_net *small_net(nnb_dtype dt) {
    nnb_net *net;
    nnbt_ok(nnb_net_create_dtype(&net, 3, dt));
    nnbt_ok(nnb_net_add_dense(net, 4, NNB_ACT_TANH, 1));
    nnbt_ok(nnb_net_add_dense(net, 2, NNB_ACT_SOFTMAX, 1));
    size_t n = nnb_net_n_params(net);
    double *p = malloc(n * sizeof *p);
    for (size_t i = 0; i < n; i++) p[i] = (double)(i % 9) / 7 - 0.5;
    nnbt_ok(nnb_net_params_set(net, p, n));
    free(p);
    return net;
}

static unsigned char *read_all(const char *path, size_t *len) {
    unsigned char *b = (unsigned char *)nnbt_read_file(path, len);
    ck_assert_msg(b != NULL, "cannot read %s", path);
    return b;
}

/* ---- options --------------------------------------------------------------------------------- */

/* The options' values through their getters (asserting success). */
static const char *get_name(const nnb_export_opts *o) {
    const char *name = NULL;
    nnbt_ok(nnb_export_opts_get_name(o, &name));
    return name;
}
static double get_scale(const nnb_export_opts *o) {
    double v = -1;
    nnbt_ok(nnb_export_opts_get_input_scale(o, &v));
    return v;
}
static int get_int8(const nnb_export_opts *o) {
    int v = -1;
    nnbt_ok(nnb_export_opts_get_int8(o, &v));
    return v;
}
static int get_own_math(const nnb_export_opts *o) {
    int v = -1;
    nnbt_ok(nnb_export_opts_get_own_math(o, &v));
    return v;
}

START_TEST(options) {
    nnb_export_opts *o;
    expect(nnb_export_opts_create(NULL), NNB_E_NULL, "out is NULL");
    nnbt_ok(nnb_export_opts_create(&o));
    ck_assert_str_eq(get_name(o), "model");
    ck_assert(get_scale(o) == 0);
    ck_assert_int_eq(get_int8(o), 0);
    ck_assert_int_eq(get_own_math(o), 0);
    nnbt_ok(nnb_export_opts_set_name(o, "fashion_2"));
    ck_assert_str_eq(get_name(o), "fashion_2");
    const char *bad[] = {"",
                         "2fast",
                         "_x",
                         "a-b",
                         "a b",
                         "caf\xc3\xa9",
                         "a2345678901234567890123456789012345678901"}; /* 41 characters */
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect(nnb_export_opts_set_name(o, bad[i]), NNB_E_INVALID_ARG, "is not a C identifier");
    ck_assert_str_eq(get_name(o), "fashion_2"); /* unchanged */
    nnbt_ok(nnb_export_opts_set_name(o, "a23456789012345678901234567890123456789"));
    expect(nnb_export_opts_set_name(o, NULL), NNB_E_NULL, "name is NULL");
    expect(nnb_export_opts_set_name(NULL, "x"), NNB_E_NULL, "opts is NULL");
    nnbt_ok(nnb_export_opts_set_input_scale(o, 1.0 / 255.0));
    ck_assert(get_scale(o) == 1.0 / 255.0);
    expect(nnb_export_opts_set_input_scale(o, -1), NNB_E_INVALID_ARG, "finite and > 0");
    expect(nnb_export_opts_set_input_scale(o, NAN), NNB_E_INVALID_ARG, "finite");
    expect(nnb_export_opts_set_input_scale(o, INFINITY), NNB_E_INVALID_ARG, "finite");
    nnbt_ok(nnb_export_opts_set_input_scale(o, 0));
    nnbt_ok(nnb_export_opts_set_int8(o, 1));
    nnbt_ok(nnb_export_opts_set_own_math(o, 1));
    ck_assert_int_eq(get_int8(o), 1);
    ck_assert_int_eq(get_own_math(o), 1);
    expect(nnb_export_opts_set_int8(o, 2), NNB_E_INVALID_ARG, "not 0 or 1");
    expect(nnb_export_opts_set_own_math(o, -1), NNB_E_INVALID_ARG, "not 0 or 1");
    expect(nnb_export_opts_set_int8(NULL, 1), NNB_E_NULL, "opts is NULL");
    expect(nnb_export_opts_set_own_math(NULL, 1), NNB_E_NULL, "opts is NULL");
    expect(nnb_export_opts_set_input_scale(NULL, 1), NNB_E_NULL, "opts is NULL");
    const char *name;
    double scale;
    int flag;
    expect(nnb_export_opts_get_name(NULL, &name), NNB_E_NULL, "opts is NULL");
    expect(nnb_export_opts_get_input_scale(NULL, &scale), NNB_E_NULL, "opts is NULL");
    expect(nnb_export_opts_get_int8(NULL, &flag), NNB_E_NULL, "opts is NULL");
    expect(nnb_export_opts_get_own_math(NULL, &flag), NNB_E_NULL, "opts is NULL");
    nnbt_ok(nnb_export_opts_get_name(o, NULL)); /* out-pointers may be NULL */
    nnbt_ok(nnb_export_opts_get_input_scale(o, NULL));
    nnbt_ok(nnb_export_opts_get_int8(o, NULL));
    nnbt_ok(nnb_export_opts_get_own_math(o, NULL));
    nnb_export_opts_free(o);
    nnb_export_opts_free(NULL);
}
END_TEST

/* ---- int8 ------------------------------------------------------------------------------------ */

START_TEST(quantize_int8) {
    for (int f32 = 0; f32 < 2; f32++) {
        nnb_dtype dt = f32 ? NNB_F32 : NNB_F64;
        nnb_net *net, *q;
        nnbt_ok(nnb_net_create_dtype(&net, 13, dt));
        nnbt_ok(nnb_net_add_dense(net, 7, NNB_ACT_RELU, 1));
        nnbt_ok(nnb_net_add_dense(net, 3, NNB_ACT_SOFTMAX, 0));
        nnbt_ok(nnb_net_init(net, NNB_INIT_HE_NORMAL, 5));
        double zero[13] = {0}; /* a row of zeros stays zeros */
        double w[7 * 13], b[7] = {1, 2, 3, 4, 5, 6, 7};
        nnbt_ok(nnb_net_layer_get(net, 0, w, 91, NULL, 0));
        memcpy(w + 2 * 13, zero, sizeof zero);
        nnbt_ok(nnb_net_layer_set(net, 0, w, 91, b, 7));
        nnbt_ok(nnb_net_copy_int8(&q, net));
        ck_assert_int_eq(nnb_net_dtype(q), dt);
        for (size_t l = 0; l < 2; l++) {
            size_t n_in, n_out;
            nnbt_ok(nnb_net_layer_info(net, l, &n_in, &n_out, NULL, NULL, NULL, NULL));
            double *a = malloc(n_in * n_out * sizeof *a), *c = malloc(n_in * n_out * sizeof *c);
            nnbt_ok(nnb_net_layer_get(net, l, a, n_in * n_out, NULL, 0));
            nnbt_ok(nnb_net_layer_get(q, l, c, n_in * n_out, NULL, 0));
            for (size_t i = 0; i < n_out; i++) {
                double big = 0;
                for (size_t j = 0; j < n_in; j++) big = fmax(big, fabs(a[i * n_in + j]));
                double s = f32 ? (double)(float)(big / 127) : big / 127;
                for (size_t j = 0; j < n_in; j++) {
                    double want = big == 0 ? 0 : s * round(a[i * n_in + j] / s);
                    if (f32) want = (double)(float)want;
                    ck_assert_msg(c[i * n_in + j] == want,
                                  "layer %zu [%zu][%zu]: %.17g, want %.17g", l, i, j,
                                  c[i * n_in + j], want);
                    ck_assert(fabs(c[i * n_in + j] - a[i * n_in + j]) <= s / 2 * (1 + 1e-6));
                    ck_assert(fabs(round(a[i * n_in + j] / (s > 0 ? s : 1))) <= 127);
                }
            }
            free(a);
            free(c);
        }
        double bq[7];
        nnbt_ok(nnb_net_layer_get(q, 0, NULL, 0, bq, 7));
        for (int i = 0; i < 7; i++) ck_assert(bq[i] == b[i]); /* biases stay */
        nnb_net_free(q);
        nnb_net_free(net);
    }
    nnb_net *q = (nnb_net *)1;
    expect(nnb_net_copy_int8(&q, NULL), NNB_E_NULL, "src is NULL");
    ck_assert_ptr_null(q);
    expect(nnb_net_copy_int8(NULL, NULL), NNB_E_NULL, "out is NULL");
}
END_TEST

/* ---- ONNX bytes ------------------------------------------------------------------------------ */

/* Checks an initializer (TensorProto) named name: dims, type, and raw values == want. */
static int check_tensor(pb t, const char *name, const int64_t *dims, int nd, int type,
                        const double *want, size_t n) {
    char buf[64];
    if (strcmp(pb_string(t, 8, buf, sizeof buf), name) != 0) return 0;
    pb_field f;
    int d = 0, got_type = 0;
    const unsigned char *raw = NULL;
    size_t raw_len = 0;
    while (pb_next(&t, &f)) {
        if (f.num == 1) ck_assert_int_eq((int64_t)f.v, dims[d++]);
        if (f.num == 2) got_type = (int)f.v;
        if (f.num == 9) raw = f.sub.p, raw_len = (size_t)(f.sub.end - f.sub.p);
    }
    ck_assert_int_eq(d, nd);
    ck_assert_int_eq(got_type, type);
    size_t size = type == 1 ? 4 : 8;
    ck_assert_uint_eq(raw_len, n * size);
    for (size_t i = 0; i < n; i++) {
        double v = type == 1 ? le_float(raw + 4 * i) : le_double(raw + 8 * i);
        ck_assert_msg(v == want[i], "%s[%zu] = %.17g, want %.17g", name, i, v, want[i]);
    }
    return 1;
}

/* The first sub-message `num` of m. */
static pb pb_sub(pb m, unsigned num) {
    pb_field f;
    while (pb_next(&m, &f))
        if (f.num == num && f.wire == 2) return f.sub;
    ck_abort_msg("no field %u", num);
    return m;
}

/* ValueInfoProto "input": TypeProto.tensor_type of elem_type `type`, shape [N, 3]. */
static void check_input_type(pb vi, int type) {
    pb t = pb_sub(pb_sub(vi, 2), 1), shape = pb_sub(t, 2);
    pb_field f;
    int elem = 0, dims = 0;
    while (pb_next(&t, &f))
        if (f.num == 1) elem = (int)f.v;
    ck_assert_int_eq(elem, type);
    while (pb_next(&shape, &f)) {
        ck_assert_int_eq(f.num, 1);
        pb_field d;
        ck_assert(pb_next(&f.sub, &d));
        if (dims == 0) ck_assert(d.num == 2 && pb_is(&d, "N")); /* dim_param: symbolic */
        if (dims == 1) ck_assert(d.num == 1 && d.v == 3);       /* dim_value */
        dims++;
    }
    ck_assert_int_eq(dims, 2);
}

static void check_onnx_file(const char *path, nnb_net *net, const char *name) {
    size_t len;
    unsigned char *b = read_all(path, &len);
    pb r = {b, b + len}, graph = {NULL, NULL};
    pb_field f;
    int ir = 0, opset = 0;
    char buf[64];
    while (pb_next(&r, &f)) {
        if (f.num == 1) ir = (int)f.v;
        if (f.num == 2) ck_assert(pb_is(&f, "nnblas"));
        if (f.num == 7) graph = f.sub;
        if (f.num == 8) {
            pb s = f.sub;
            pb_field g;
            while (pb_next(&s, &g))
                if (g.num == 2) opset = (int)g.v;
        }
    }
    ck_assert_int_eq(ir, 7);
    ck_assert_int_eq(opset, 13);
    ck_assert_ptr_nonnull(graph.p);
    ck_assert_str_eq(pb_string(graph, 2, buf, sizeof buf), name);
    int type = nnb_net_dtype(net) == NNB_F32 ? 1 : 11;
    const char *ops[8];
    int n_ops = 0, found = 0;
    double w[16], bias[4];
    while (pb_next(&graph, &f)) {
        if (f.num == 1 && n_ops < 8) {
            static char names[8][32];
            pb_string(f.sub, 4, names[n_ops], sizeof names[n_ops]);
            ops[n_ops] = names[n_ops];
            n_ops++;
        }
        if (f.num == 5) {
            nnbt_ok(nnb_net_layer_get(net, 0, w, 12, bias, 4));
            int64_t d0[2] = {4, 3}, d1[1] = {4};
            found += check_tensor(f.sub, "W0", d0, 2, type, w, 12);
            found += check_tensor(f.sub, "b0", d1, 1, type, bias, 4);
            nnbt_ok(nnb_net_layer_get(net, 1, w, 8, bias, 2));
            int64_t d2[2] = {2, 4}, d3[1] = {2};
            found += check_tensor(f.sub, "W1", d2, 2, type, w, 8);
            found += check_tensor(f.sub, "b1", d3, 1, type, bias, 2);
        }
        if (f.num == 11) { /* the input: "input", N x 3, of the network's type */
            ck_assert_str_eq(pb_string(f.sub, 1, buf, sizeof buf), "input");
            check_input_type(f.sub, type);
        }
    }
    ck_assert_int_eq(found, 4);
    const char *want[] = {"Gemm", "Tanh", "Gemm", "Softmax", "Identity"};
    ck_assert_int_eq(n_ops, 5);
    for (int i = 0; i < 5; i++) ck_assert_str_eq(ops[i], want[i]);
    free(b);
}

START_TEST(onnx_bytes) {
    for (int f32 = 0; f32 < 2; f32++) {
        nnb_net *net = small_net(f32 ? NNB_F32 : NNB_F64);
        nnb_export_opts *o;
        nnbt_ok(nnb_export_opts_create(&o));
        nnbt_ok(nnb_export_opts_set_name(o, "tiny"));
        const char *path = nnbt_tmp("tiny.onnx");
        nnbt_ok(nnb_onnx_write(path, net, NULL, NULL, o));
        check_onnx_file(path, net, "tiny");
        nnbt_ok(nnb_onnx_write(path, net, NULL, NULL, NULL)); /* replaced, default name */
        check_onnx_file(path, net, "model");
        nnb_export_opts_free(o);
        nnb_net_free(net);
    }
}
END_TEST

/* A small CNN: 1 x 6 x 5 -> conv 2 filters 3x3 padding 1, ReLU -> maxpool 2 -> dense 3 softmax. */
static nnb_net *small_cnn(nnb_dtype dt) {
    nnb_net *cnn;
    nnb_window w3 = {3, 3, 1, 1, 1, 1, 1, 1, 0}, p2 = {2, 2, 2, 2, 0, 0, 0, 0, 0};
    nnbt_ok(nnb_net_create_dtype(&cnn, 1 * 6 * 5, dt));
    nnbt_ok(nnb_net_set_input_shape(cnn, 1, 6, 5));
    nnbt_ok(nnb_net_add_conv2d(cnn, 2, &w3, NNB_ACT_RELU, 1));
    nnbt_ok(nnb_net_add_maxpool(cnn, &p2));
    nnbt_ok(nnb_net_add_dense(cnn, 3, NNB_ACT_SOFTMAX, 1));
    nnbt_ok(nnb_net_init(cnn, NNB_INIT_XAVIER_UNIFORM, 1));
    return cnn;
}

/* The ONNX graph of small_cnn(): its nodes in order, and the convolution's W0 (OIHW, as the
 * library holds it; F x K in float64, where the convolution is a MatMul) and b0; its int8 copy
 * (a scale per filter) and its int8 C source. */
START_TEST(cnn_exports) {
    for (int f32 = 0; f32 < 2; f32++) {
        nnb_net *cnn = small_cnn(f32 ? NNB_F32 : NNB_F64);
        const char *path = nnbt_tmp("cnn.onnx");
        nnbt_ok(nnb_onnx_write(path, cnn, NULL, NULL, NULL));
        size_t len;
        unsigned char *b = read_all(path, &len);
        pb r = {b, b + len}, graph = pb_sub(r, 7);
        pb_field f;
        char ops[16][32];
        int n_ops = 0, found = 0, type = f32 ? 1 : 11;
        double w[18], bias[2];
        nnbt_ok(nnb_net_layer_get(cnn, 0, w, 18, bias, 2));
        while (pb_next(&graph, &f)) {
            if (f.num == 1 && n_ops < 16) pb_string(f.sub, 4, ops[n_ops++], 32);
            if (f.num != 5) continue;
            int64_t oihw[4] = {2, 1, 3, 3}, fk[2] = {2, 9}, d1[1] = {2}, d2[2] = {2, 1};
            found += check_tensor(f.sub, "W0", f32 ? oihw : fk, f32 ? 4 : 2, type, w, 18);
            found += check_tensor(f.sub, "b0", f32 ? d1 : d2, f32 ? 1 : 2, type, bias, 2);
        }
        ck_assert_int_eq(found, 2);
        const char *want32[] = {"Reshape", "Conv", "Relu",    "MaxPool",
                                "Reshape", "Gemm", "Softmax", "Identity"};
        const char *want64[] = {"Pad",     "Gather",  "MatMul",  "Add",  "Reshape", "Relu",
                                "Reshape", "MaxPool", "Reshape", "Gemm", "Softmax", "Identity"};
        ck_assert_int_eq(n_ops, f32 ? 8 : 12);
        for (int i = 0; i < n_ops; i++) ck_assert_str_eq(ops[i], f32 ? want32[i] : want64[i]);
        free(b);
        /* int8: a scale per filter (its 9 weights), biases kept */
        nnb_net *q;
        double wq[18];
        nnbt_ok(nnb_net_copy_int8(&q, cnn));
        nnbt_ok(nnb_net_layer_get(q, 0, wq, 18, NULL, 0));
        for (int i = 0; i < 2; i++) {
            double big = 0;
            for (int j = 0; j < 9; j++) big = fmax(big, fabs(w[i * 9 + j]));
            double sc = f32 ? (double)(float)(big / 127) : big / 127;
            for (int j = 0; j < 9; j++) {
                double want = sc * round(w[i * 9 + j] / sc);
                if (f32) want = (double)(float)want;
                ck_assert_msg(wq[i * 9 + j] == want, "filter %d [%d]: %.17g, want %.17g", i, j,
                              wq[i * 9 + j], want);
            }
        }
        nnb_net_free(q);
        /* the C source: the convolution's int8 weights F x K with a scale per filter, the
         * layers in the header's comment, no allocation */
        nnb_export_opts *o;
        nnbt_ok(nnb_export_opts_create(&o));
        nnbt_ok(nnb_export_opts_set_name(o, "cnn"));
        nnbt_ok(nnb_export_opts_set_int8(o, 1));
        nnbt_ok(nnb_c_source_write(nnbt_tmp("cnn.c"), NULL, cnn, NULL, NULL, o));
        char *c = nnbt_read_file(nnbt_tmp("cnn.c"), &len),
             *h = nnbt_read_file(nnbt_tmp("cnn.h"), &len);
        ck_assert(strstr(c, "static const signed char cnn_q0[18] = {"));
        ck_assert(strstr(c, f32 ? "static const float cnn_s0[2] = {"
                                : "static const double cnn_s0[2] = {"));
        ck_assert(!strstr(c, "malloc"));
        ck_assert_msg(strstr(h, "Network: 30 -> conv 2x6x5 relu -> maxpool 2x3x2 -> 3 softmax"),
                      "%s", h);
        free(c);
        free(h);
        nnb_export_opts_free(o);
        nnb_net_free(cnn);
    }
}
END_TEST

/* The ONNX metadata entry `key` (metadata_props) of a file, as a new string (NULL if absent). */
static char *onnx_meta(const char *path, const char *key) {
    size_t len;
    unsigned char *b = read_all(path, &len);
    pb r = {b, b + len};
    pb_field f;
    char *value = NULL, k[128];
    while (!value && pb_next(&r, &f))
        if (f.num == 14 && strcmp(pb_string(f.sub, 1, k, sizeof k), key) == 0) {
            pb s = f.sub;
            pb_field g;
            while (pb_next(&s, &g))
                if (g.num == 2) {
                    size_t n = (size_t)(g.sub.end - g.sub.p);
                    value = malloc(n + 1);
                    memcpy(value, g.sub.p, n);
                    value[n] = '\0';
                }
        }
    free(b);
    return value;
}

START_TEST(onnx_metadata) {
    nnbt_model m;
    nnbt_model_make(&m, 2);
    const char *path = nnbt_tmp("model.onnx");
    nnbt_ok(nnb_onnx_write(path, m.net, m.prep, m.meta, NULL));
    char *inputs = onnx_meta(path, "nnblas.inputs");
    ck_assert_ptr_nonnull(inputs);
    nnbt_json *j = nnbt_json_parse(inputs);
    ck_assert_msg(j != NULL, "nnblas.inputs is not JSON: %s", inputs);
    /* the preparation's feature columns, in order (the target and dropped columns are not) */
    size_t n = 0;
    for (size_t i = 0; i < nnb_prep_n_columns(m.prep); i++) {
        const char *name;
        int is_target, is_text;
        size_t n_cats;
        nnbt_ok(nnb_prep_column_info(m.prep, i, &name, &is_target, &is_text, &n_cats));
        if (is_target) continue;
        const nnbt_json *col = nnbt_json_at(j, n++);
        ck_assert_str_eq(nnbt_json_str(nnbt_json_get(col, "name")), name);
        const char *kind = nnbt_json_str(nnbt_json_get(col, "kind"));
        ck_assert_str_eq(kind, n_cats ? (is_text ? "text-category" : "category") : "number");
        for (size_t k = 0; k < n_cats; k++)
            ck_assert_str_eq(nnbt_json_str(nnbt_json_at(nnbt_json_get(col, "categories"), k)),
                             nnb_prep_column_category(m.prep, i, k));
    }
    ck_assert_uint_eq(nnbt_json_len(j), n);
    nnbt_json_free(j);
    free(inputs);
    char *unseen = onnx_meta(path, "nnblas.unseen_category"); /* the model's policy: zeros */
    ck_assert_str_eq(unseen, "zero");
    free(unseen);
    for (size_t i = 0; i < nnb_meta_n_keys(m.meta); i++) { /* the model's own metadata */
        char key[256];
        snprintf(key, sizeof key, "model.%s", nnb_meta_key(m.meta, i));
        char *v = onnx_meta(path, key);
        ck_assert_msg(v && strcmp(v, nnb_meta_value(m.meta, i)) == 0, "%s", key);
        free(v);
    }
    char *classes = onnx_meta(path, "nnblas.classes");
    ck_assert_ptr_nonnull(classes);
    j = nnbt_json_parse(classes);
    ck_assert_uint_eq(nnbt_json_len(j), nnb_prep_n_classes(m.prep));
    for (size_t k = 0; k < nnb_prep_n_classes(m.prep); k++)
        ck_assert_str_eq(nnbt_json_str(nnbt_json_at(j, k)), nnb_prep_class_label(m.prep, k));
    nnbt_json_free(j);
    free(classes);
    nnbt_model_free(&m);
}
END_TEST

/* ---- C source -------------------------------------------------------------------------------- */

START_TEST(c_source) {
    nnbt_model m;
    nnbt_model_make(&m, 2);
    nnb_export_opts *o;
    nnbt_ok(nnb_export_opts_create(&o));
    nnbt_ok(nnb_export_opts_set_name(o, "pets"));
    nnbt_ok(nnb_c_source_write(nnbt_tmp("pets.c"), NULL, m.net, m.prep, m.meta, o));
    size_t len;
    char *h = nnbt_read_file(nnbt_tmp("pets.h"), &len),
         *c = nnbt_read_file(nnbt_tmp("pets.c"), &len);
    ck_assert_ptr_nonnull(h);
    ck_assert_ptr_nonnull(c);
    size_t n_raw = 0;
    for (size_t i = 0; i < nnb_prep_n_columns(m.prep); i++) {
        int is_target;
        nnbt_ok(nnb_prep_column_info(m.prep, i, NULL, &is_target, NULL, NULL));
        n_raw += !is_target;
    }
    char want[128];
    snprintf(want, sizeof want, "#define PETS_N_INPUTS %zu\n", n_raw);
    ck_assert_msg(strstr(h, want), "%s", h);
    snprintf(want, sizeof want, "#define PETS_N_OUTPUTS %zu\n", nnb_net_n_outputs(m.net));
    ck_assert(strstr(h, want));
    ck_assert(strstr(h, "int pets_predict(const double *in, double *out);"));
    ck_assert(
        strstr(h, "int pets_predict_batch(const double *in, unsigned long rows, double *out);"));
    ck_assert(strstr(h, "int pets_category(int input, const char *text);")); /* colour is text */
    ck_assert(strstr(h, "int pets_class(const double *out);"));
    ck_assert(!strstr(h, "PETS_E_CATEGORY")); /* unseen categories give zeros in this model */
    ck_assert(strstr(c, "#include \"pets.h\"\n"));
    ck_assert(strstr(c, "#include <math.h>\n"));
    ck_assert(!strstr(c, "malloc"));
    /* no mutable global state: every file-scope object is const */
    for (const char *line = c; line && *line;
         line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        if (strncmp(line, "static ", 7) == 0 || strncmp(line, "const ", 6) == 0) {
            const char *eol = strchr(line, '\n'), *paren = strchr(line, '(');
            int function = paren && (!eol || paren < eol);
            ck_assert_msg(function || strncmp(line, "static const ", 13) == 0 ||
                              strncmp(line, "const char *const ", 18) == 0,
                          "a file-scope object that is not const: %.80s", line);
        }
    }
    free(h);
    free(c);
    /* own math: no header at all; int8 weights */
    nnbt_ok(nnb_export_opts_set_own_math(o, 1));
    nnbt_ok(nnb_export_opts_set_int8(o, 1));
    nnbt_ok(nnb_c_source_write(nnbt_tmp("src.c"), nnbt_tmp("inc.h"), m.net, m.prep, m.meta, o));
    c = nnbt_read_file(nnbt_tmp("src.c"), &len);
    ck_assert(strstr(c, "#include \"inc.h\"\n") && !strstr(c, "<math.h>"));
    ck_assert(strstr(c, "static const signed char pets_q0["));
    free(c);
    /* the header's name without ".c" */
    nnbt_ok(nnb_c_source_write(nnbt_tmp("noext"), NULL, m.net, m.prep, m.meta, NULL));
    ck_assert_int_eq(access(nnbt_tmp("noext.h"), F_OK), 0);
    nnb_export_opts_free(o);
    nnbt_model_free(&m);
}
END_TEST

/* ---- errors ---------------------------------------------------------------------------------- */

START_TEST(bad_arguments) {
    nnb_net *net = small_net(NNB_F64), *empty;
    nnbt_ok(nnb_net_create(&empty, 3));
    const char *dir = nnbt_tmp("errors");
    mkdir(dir, 0700);
    char onnx[600], c[600];
    snprintf(onnx, sizeof onnx, "%s/x.onnx", dir);
    snprintf(c, sizeof c, "%s/x.c", dir);
    expect(nnb_onnx_write(NULL, net, NULL, NULL, NULL), NNB_E_NULL, "path is NULL");
    expect(nnb_onnx_write(onnx, NULL, NULL, NULL, NULL), NNB_E_NULL, "net is NULL");
    expect(nnb_onnx_write(onnx, empty, NULL, NULL, NULL), NNB_E_INVALID_ARG, "no layers");
    expect(nnb_c_source_write(NULL, NULL, net, NULL, NULL, NULL), NNB_E_NULL, "c_path is NULL");
    expect(nnb_c_source_write(c, NULL, NULL, NULL, NULL, NULL), NNB_E_NULL, "net is NULL");
    expect(nnb_c_source_write(c, c, net, NULL, NULL, NULL), NNB_E_INVALID_ARG, "the same file");
    expect(nnb_onnx_write(dir, net, NULL, NULL, NULL), NNB_E_IO, "directory");
    expect(nnb_onnx_write("/dev/null", net, NULL, NULL, NULL), NNB_E_IO, "character device");
    expect(nnb_onnx_write(nnbt_tmp("errors/no/such.onnx"), net, NULL, NULL, NULL), NNB_E_IO,
           "No such file");
    expect(nnb_c_source_write(c, nnbt_tmp("errors/a\"b.h"), net, NULL, NULL, NULL),
           NNB_E_INVALID_ARG, "#include");
    expect(nnb_c_source_write(c, nnbt_tmp("errors/"), net, NULL, NULL, NULL), NNB_E_IO,
           "directory");
    /* a preparation that does not fit, or is not fitted */
    nnb_prep *unfitted, *wide;
    nnbt_ok(nnb_prep_create(&unfitted));
    nnbt_ok(nnb_prep_create(&wide));
    double x[8] = {1, 2, 3, 4, 5, 6, 7, 9};
    nnbt_ok(nnb_prep_fit_matrix(wide, x, 2, 4, NNB_SCALE_STANDARD));
    expect(nnb_onnx_write(onnx, net, unfitted, NULL, NULL), NNB_E_INVALID_ARG, "not fitted");
    expect(nnb_onnx_write(onnx, net, wide, NULL, NULL), NNB_E_SHAPE, "4 features");
    expect(nnb_c_source_write(c, NULL, net, wide, NULL, NULL), NNB_E_SHAPE, "takes 3 inputs");
    ck_assert_int_eq(nnbt_count_files(dir), 0); /* nothing left behind */
    nnb_prep_free(unfitted);
    nnb_prep_free(wide);
    nnb_net_free(empty);
    nnb_net_free(net);
}
END_TEST

/* An input scale: the metadata of a model trained on IDX images sets 1/255; one-hot inputs
 * refuse any scale. */
START_TEST(input_scale) {
    nnb_net *net = small_net(NNB_F32);
    nnb_meta *meta;
    nnbt_ok(nnb_meta_create(&meta));
    nnbt_ok(nnb_meta_set(meta, "data", "idx:fashion-mnist"));
    const char *path = nnbt_tmp("scaled.onnx");
    nnbt_ok(nnb_onnx_write(path, net, NULL, meta, NULL));
    char *s = onnx_meta(path, "nnblas.input_scale");
    ck_assert_str_eq(s, "0.0039215686274509803"); /* 1/255, shortest round trip */
    free(s);
    nnbt_ok(nnb_onnx_write(path, net, NULL, NULL, NULL));
    s = onnx_meta(path, "nnblas.input_scale");
    ck_assert_str_eq(s, "1");
    free(s);
    nnb_export_opts *o;
    nnbt_ok(nnb_export_opts_create(&o));
    nnbt_ok(nnb_export_opts_set_input_scale(o, 0.5));
    nnbt_ok(nnb_onnx_write(path, net, NULL, meta, o)); /* the option wins */
    s = onnx_meta(path, "nnblas.input_scale");
    ck_assert_str_eq(s, "0.5");
    free(s);
    nnbt_model m;
    nnbt_model_make(&m, 0);
    expect(nnb_onnx_write(path, m.net, m.prep, NULL, o), NNB_E_INVALID_ARG, "numeric inputs only");
    nnbt_model_free(&m);
    nnb_export_opts_free(o);
    nnb_meta_free(meta);
    nnb_net_free(net);
}
END_TEST

/* Numbers are written with a point in any locale. */
START_TEST(locale_independent) {
    const char *name = nnbt_comma_locale();
    if (!name) {
        fprintf(stderr, "note: no comma-decimal locale; the locale case was not run\n");
        return;
    }
    nnb_net *net;
    nnbt_ok(nnb_net_create(&net, 1));
    nnbt_ok(nnb_net_add_dense(net, 1, NNB_ACT_LEAKY_RELU, 1));
    nnbt_ok(nnb_net_set_leaky_slope(net, 0, 0.25));
    double p[2] = {0.5, -1.75};
    nnbt_ok(nnb_net_params_set(net, p, 2));
    nnbt_ok(nnb_c_source_write(nnbt_tmp("loc.c"), NULL, net, NULL, NULL, NULL));
    size_t len;
    char *c = nnbt_read_file(nnbt_tmp("loc.c"), &len);
    ck_assert_msg(strstr(c, "0.5\n") && strstr(c, "-1.75\n") && strstr(c, "0.25 * z"), "%s", c);
    free(c);
    nnbt_ok(nnb_onnx_write(nnbt_tmp("loc.onnx"), net, NULL, NULL, NULL));
    char *scale = onnx_meta(nnbt_tmp("loc.onnx"), "nnblas.input_scale");
    ck_assert_str_eq(scale, "1");
    free(scale);
    setlocale(LC_ALL, "C");
    nnb_net_free(net);
}
END_TEST

static Suite *export_suite(void) {
    Suite *s = suite_create("export");
    TCase *tc = tcase_create("api");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, options);
    tcase_add_test(tc, quantize_int8);
    tcase_add_test(tc, onnx_bytes);
    tcase_add_test(tc, cnn_exports);
    tcase_add_test(tc, onnx_metadata);
    tcase_add_test(tc, c_source);
    tcase_add_test(tc, bad_arguments);
    tcase_add_test(tc, input_scale);
    tcase_add_test(tc, locale_independent);
    suite_add_tcase(s, tc);
    return s;
}

NNBT_MAIN(export_suite, 0)
