/*
 * Every layer kind of the registry (lib/layers.c), in both element types, through its table of
 * operations alone (an internal test: it links the library's objects):
 *  - the table is complete and findable by name, and has an example layer below (a new kind
 *    without one fails here: add it to `examples`);
 *  - the parameter gradient (backward_params) and the input delta (backward_input) equal central
 *    finite differences of f = sum(D . z), z = forward(x) with the per-column bias when the kind
 *    has one, in float64 (1e-8 relative);
 *  - float32 gives the float64 results within float32's rounding (1e-4 relative to the largest);
 *  - the gradient in pieces (backward_pieces) covers the parameters once, last first, each piece
 *    at most `piece` values where it can, with backward_params' values (zeros without rows);
 *  - the fused SGD step (update_sgd) is backward_params followed by theta = beta theta - lr g;
 *  - each buffer is allocated to exactly the size the kind asks for (workspace), so that
 *    AddressSanitizer and valgrind see any overrun.
 */
#include <string.h>

#include "nnb_internal.h"
#include "nnb_test.h"

/* An example layer per kind: its input shape and hyper-parameters, with and without bias. */
typedef struct example {
    const char *kind;
    nnbi_shape in;
    uint64_t hp[NNBI_HP_MAX];
} example;

static const example examples[] = {
    {"dense", {7, 1, 1}, {5}},
    {"dense", {3, 1, 1}, {1}}, /* one output: the matrix-vector paths */
    /* F, KH, KW, SH, SW, PT, PB, PL, PR: asymmetric kernel, stride and padding; one channel */
    {"conv2d", {3, 6, 5}, {4, 3, 2, 2, 1, 1, 0, 2, 1}},
    {"conv2d", {1, 5, 5}, {2, 3, 3, 1, 1, 1, 1, 1, 1}},
    /* KH, KW, SH, SW: windows that do not divide the input, overlapping ones */
    {"maxpool", {2, 5, 6}, {2, 3, 2, 2}},
    {"avgpool", {3, 5, 4}, {3, 2, 1, 2}},
};
#define N_EXAMPLES (sizeof examples / sizeof examples[0])

enum { ROWS = 3 };

/* A network of one layer of the example's kind, in type dt. */
static nnb_net *one_layer(const example *ex, nnb_dtype dt, int bias) {
    nnb_net *net;
    size_t n_in = ex->in.c * ex->in.h * ex->in.w;
    nnbt_ok(nnb_net_create_dtype(&net, n_in, dt));
    net->in = ex->in;
    nnbi_layer L = {.kind = nnbi_kind_find(ex->kind), .act = NNB_ACT_IDENTITY, .has_bias = bias};
    memcpy(L.hp, ex->hp, sizeof L.hp);
    nnbt_ok(nnbi_net_add_layer(net, &L, "test"));
    return net;
}

/* n values of type t from doubles */
static void *typed(const nnbi_elem *t, const double *v, size_t n) {
    void *p = malloc((n ? n : 1) * t->size);
    for (size_t i = 0; i < n; i++) t->set(p, i, v[i]);
    return p;
}

static double *randoms(size_t n, nnbt_rng *r) {
    double *v = malloc((n ? n : 1) * sizeof *v);
    for (size_t i = 0; i < n; i++) v[i] = nnbt_normal(r);
    return v;
}

/* The layer's work buffer for `rows` rows, of exactly the size its kind asks for (NULL if none). */
static void *work_for(const nnb_net *net, size_t rows) {
    const nnbi_layer *L = &net->layers[0];
    size_t n = L->kind->workspace ? L->kind->workspace(L, rows) : 0;
    return n ? malloc(n * net->t->size) : NULL;
}

/* z = forward(x) with the per-column bias (identity activation), as doubles. */
static void forward64(nnb_net *net, const double *x, double *z) {
    const nnbi_elem *t = net->t;
    const nnbi_layer *L = &net->layers[0];
    void *xt = typed(t, x, ROWS * L->n_in), *zt = malloc(ROWS * L->n_out * t->size);
    void *work = work_for(net, ROWS);
    L->kind->forward(t, L, net->params, xt, ROWS, zt, work);
    const void *b = L->kind->column_bias && L->has_bias ? nnbi_at(t, net->params, L->b_off) : NULL;
    t->bias_act(NNB_ACT_IDENTITY, 0, ROWS, L->n_out, zt, b, zt);
    for (size_t i = 0; i < ROWS * L->n_out; i++) z[i] = t->get(zt, i);
    free(xt), free(zt), free(work);
}

/* f = sum(D . z) */
static double f_of(nnb_net *net, const double *x, const double *D) {
    size_t n = ROWS * net->layers[0].n_out;
    double *z = malloc(n * sizeof *z), f = 0;
    forward64(net, x, z);
    for (size_t i = 0; i < n; i++) f += D[i] * z[i];
    free(z);
    return f;
}

/* backward_params and backward_input of D at x, as doubles (gp: n_params, gx: ROWS x n_in). */
static void backward64(nnb_net *net, const double *x, const double *D, double *gp, double *gx) {
    const nnbi_elem *t = net->t;
    const nnbi_layer *L = &net->layers[0];
    void *xt = typed(t, x, ROWS * L->n_in), *dt = typed(t, D, ROWS * L->n_out);
    void *gxt = malloc(ROWS * L->n_in * t->size), *work = work_for(net, ROWS);
    /* the forward pass first, into the same work buffer, as the passes do (max pooling keeps
     * where each maximum lay there) */
    void *zt = malloc(ROWS * L->n_out * t->size);
    L->kind->forward(t, L, net->params, xt, ROWS, zt, work);
    free(zt);
    memset(net->grads, 0, net->n_params * t->size);
    if (L->n_p) L->kind->backward_params(t, L, dt, xt, ROWS, net->grads, work);
    L->kind->backward_input(t, L, net->params, dt, ROWS, gxt, work);
    for (size_t i = 0; i < net->n_params; i++) gp[i] = t->get(net->grads, i);
    for (size_t i = 0; i < ROWS * L->n_in; i++) gx[i] = t->get(gxt, i);
    free(xt), free(dt), free(gxt), free(work);
}

static double max_abs(const double *v, size_t n) {
    double m = 0;
    for (size_t i = 0; i < n; i++) m = fmax(m, fabs(v[i]));
    return m;
}

START_TEST(every_kind_has_a_complete_table_and_an_example) {
    ck_assert_uint_ge(nnbi_kind_count(), 1);
    ck_assert_ptr_eq(nnbi_kind_find("dense"), &nnbi_kind_dense);
    ck_assert_ptr_null(nnbi_kind_find("no such kind"));
    ck_assert_ptr_null(nnbi_kind_at(nnbi_kind_count()));
    for (size_t k = 0; k < nnbi_kind_count(); k++) {
        const nnbi_kind *K = nnbi_kind_at(k);
        ck_assert_ptr_nonnull(K->name);
        ck_assert_ptr_eq(nnbi_kind_find(K->name), K);
        ck_assert_msg(K->shape && K->describe && K->init && K->forward && K->backward_params &&
                          K->backward_input && K->check_hp,
                      "kind %s lacks a required operation", K->name);
        ck_assert_uint_le(K->n_hp, NNBI_HP_MAX);
        int found = 0;
        for (size_t e = 0; e < N_EXAMPLES; e++) found |= strcmp(examples[e].kind, K->name) == 0;
        ck_assert_msg(found, "kind %s has no example layer in tests/test_layers.c", K->name);
    }
}
END_TEST

START_TEST(gradients_match_finite_differences) {
    const example *ex = &examples[_i / 2];
    int bias = _i % 2;
    nnb_net *net = one_layer(ex, NNB_F64, bias);
    const nnbi_layer *L = &net->layers[0];
    nnbt_rng r = {11 + (uint64_t)_i};
    double *x = randoms(ROWS * L->n_in, &r), *D = randoms(ROWS * L->n_out, &r);
    double *p = randoms(net->n_params, &r);
    nnbt_ok(nnb_net_params_set(net, p, net->n_params));
    double *gp = malloc((net->n_params + 1) * sizeof *gp),
           *gx = malloc(ROWS * L->n_in * sizeof *gx);
    backward64(net, x, D, gp, gx);
    double *theta = net->params, h = 1e-5;
    double sp = max_abs(gp, net->n_params), sx = max_abs(gx, ROWS * L->n_in);
    for (size_t i = 0; i < net->n_params; i++) {
        double keep = theta[i];
        theta[i] = keep + h;
        double fp = f_of(net, x, D);
        theta[i] = keep - h;
        double fm = f_of(net, x, D);
        theta[i] = keep;
        double fd = (fp - fm) / (2 * h);
        ck_assert_msg(fabs(fd - gp[i]) <= 1e-8 * fmax(sp, 1),
                      "%s: parameter %zu: backward_params %.17g, finite difference %.17g", ex->kind,
                      i, gp[i], fd);
    }
    for (size_t i = 0; i < ROWS * L->n_in; i++) {
        double keep = x[i];
        x[i] = keep + h;
        double fp = f_of(net, x, D);
        x[i] = keep - h;
        double fm = f_of(net, x, D);
        x[i] = keep;
        double fd = (fp - fm) / (2 * h);
        ck_assert_msg(fabs(fd - gx[i]) <= 1e-8 * fmax(sx, 1),
                      "%s: input %zu: backward_input %.17g, finite difference %.17g", ex->kind, i,
                      gx[i], fd);
    }
    free(x), free(D), free(p), free(gp), free(gx);
    nnb_net_free(net);
}
END_TEST

START_TEST(float32_follows_float64) {
    const example *ex = &examples[_i / 2];
    int bias = _i % 2;
    nnb_net *n64 = one_layer(ex, NNB_F64, bias), *n32 = one_layer(ex, NNB_F32, bias);
    const nnbi_layer *L = &n64->layers[0];
    nnbt_rng r = {23 + (uint64_t)_i};
    size_t np = n64->n_params, nx = ROWS * L->n_in, nz = ROWS * L->n_out;
    double *x = randoms(nx, &r), *D = randoms(nz, &r), *p = randoms(np, &r);
    /* values that float32 holds exactly, so both types start from the same numbers */
    for (size_t i = 0; i < nx; i++) x[i] = (float)x[i];
    for (size_t i = 0; i < nz; i++) D[i] = (float)D[i];
    for (size_t i = 0; i < np; i++) p[i] = (float)p[i];
    nnbt_ok(nnb_net_params_set(n64, p, np));
    nnbt_ok(nnb_net_params_set(n32, p, np));
    double *z[2], *gp[2], *gx[2];
    nnb_net *nets[2] = {n64, n32};
    for (int k = 0; k < 2; k++) {
        z[k] = malloc(nz * sizeof *z[k]);
        gp[k] = malloc((np + 1) * sizeof *gp[k]);
        gx[k] = malloc(nx * sizeof *gx[k]);
        forward64(nets[k], x, z[k]);
        backward64(nets[k], x, D, gp[k], gx[k]);
    }
    double sz = max_abs(z[0], nz), sp = max_abs(gp[0], np), sx = max_abs(gx[0], nx);
    for (size_t i = 0; i < nz; i++) ck_assert(fabs(z[0][i] - z[1][i]) <= 1e-4 * fmax(sz, 1));
    for (size_t i = 0; i < np; i++) ck_assert(fabs(gp[0][i] - gp[1][i]) <= 1e-4 * fmax(sp, 1));
    for (size_t i = 0; i < nx; i++) ck_assert(fabs(gx[0][i] - gx[1][i]) <= 1e-4 * fmax(sx, 1));
    for (int k = 0; k < 2; k++) free(z[k]), free(gp[k]), free(gx[k]);
    free(x), free(D), free(p);
    nnb_net_free(n64);
    nnb_net_free(n32);
}
END_TEST

/* Pieces announced by backward_pieces: their offsets and lengths. */
typedef struct pieces {
    size_t n, off[4096], len[4096];
} pieces;

static int take(void *ctx, size_t off, size_t n) {
    pieces *p = ctx;
    ck_assert_uint_lt(p->n, 4096);
    p->off[p->n] = off, p->len[p->n] = n, p->n++;
    return 0;
}

START_TEST(pieces_cover_the_gradient_once) {
    const example *ex = &examples[_i / 2];
    nnb_net *net = one_layer(ex, NNB_F64, _i % 2);
    const nnbi_layer *L = &net->layers[0];
    if (!L->kind->backward_pieces || L->n_p == 0) {
        nnb_net_free(net);
        return;
    }
    const nnbi_elem *t = net->t;
    nnbt_rng r = {5};
    double *x = randoms(ROWS * L->n_in, &r), *D = randoms(ROWS * L->n_out, &r);
    double *gp = malloc((net->n_params + 1) * sizeof *gp),
           *gx = malloc(ROWS * L->n_in * sizeof *gx);
    backward64(net, x, D, gp, gx);
    void *xt = typed(t, x, ROWS * L->n_in), *dt = typed(t, D, ROWS * L->n_out);
    static pieces p;
    for (size_t piece = 0; piece <= net->n_params + 1; piece += 3) {
        for (size_t rows = 0; rows <= ROWS; rows += ROWS) {
            p.n = 0;
            for (size_t i = 0; i < net->n_params; i++) t->set(net->grads, i, NAN);
            ck_assert_int_eq(
                L->kind->backward_pieces(t, L, dt, xt, rows, net->grads, NULL, piece, take, &p), 0);
            size_t end = L->p_off + L->n_p;
            for (size_t k = 0; k < p.n; k++) { /* descending, contiguous, covering */
                ck_assert_uint_eq(p.off[k] + p.len[k], end);
                end = p.off[k];
            }
            ck_assert_uint_eq(end, L->p_off);
            for (size_t i = 0; i < net->n_params; i++) {
                double g = t->get(net->grads, i);
                ck_assert_msg(rows ? nnbt_close(g, gp[i], 1e-12) : g == 0.0,
                              "%s, piece %zu, rows %zu: gradient %zu is %g, not %g", ex->kind,
                              piece, rows, i, g, rows ? gp[i] : 0.0);
            }
        }
    }
    free(x), free(D), free(gp), free(gx), free(xt), free(dt);
    nnb_net_free(net);
}
END_TEST

START_TEST(fused_sgd_is_gradient_then_step) {
    const example *ex = &examples[_i / 2];
    nnb_net *net = one_layer(ex, NNB_F64, _i % 2);
    const nnbi_layer *L = &net->layers[0];
    if (!L->kind->update_sgd) {
        nnb_net_free(net);
        return;
    }
    nnbt_rng r = {9};
    size_t np = net->n_params;
    double *x = randoms(ROWS * L->n_in, &r), *D = randoms(ROWS * L->n_out, &r);
    double *p = randoms(np, &r), lr = 0.1, beta = 0.97;
    nnbt_ok(nnb_net_params_set(net, p, np));
    double *gp = malloc((np + 1) * sizeof *gp), *gx = malloc(ROWS * L->n_in * sizeof *gx);
    backward64(net, x, D, gp, gx);
    double *scratch = malloc(np * sizeof *scratch);
    L->kind->update_sgd(net->t, L, D, x, ROWS, lr, beta, net->params, scratch, NULL);
    const double *theta = net->params;
    for (size_t i = 0; i < np; i++) nnbt_assert_rel(theta[i], beta * p[i] - lr * gp[i], 1e-12);
    free(x), free(D), free(p), free(gp), free(gx), free(scratch);
    nnb_net_free(net);
}
END_TEST

START_TEST(dense_refuses_impossible_shapes_before_allocating) {
    nnb_net *net;
    nnbt_ok(nnb_net_create(&net, 1u << 20));
    nnbi_layer L = {.kind = &nnbi_kind_dense, .has_bias = 1};
    L.hp[0] = SIZE_MAX / 2;
    nnbt_expect(nnbi_net_add_layer(net, &L, "test"), NNB_E_TOO_LARGE, "does not fit in memory");
    ck_assert_uint_eq(nnb_net_n_layers(net), 0);
    uint64_t hp[NNBI_HP_MAX] = {0};
    ck_assert_int_ne(nnbi_kind_dense.check_hp(hp, "test"), NNB_OK);
    hp[0] = 12;
    ck_assert_int_eq(nnbi_kind_dense.check_hp(hp, "test"), NNB_OK);
    nnb_net_free(net);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("layers");
    TCase *tc = tcase_create("kinds");
    tcase_add_test(tc, every_kind_has_a_complete_table_and_an_example);
    tcase_add_loop_test(tc, gradients_match_finite_differences, 0, 2 * (int)N_EXAMPLES);
    tcase_add_loop_test(tc, float32_follows_float64, 0, 2 * (int)N_EXAMPLES);
    tcase_add_loop_test(tc, pieces_cover_the_gradient_once, 0, 2 * (int)N_EXAMPLES);
    tcase_add_loop_test(tc, fused_sgd_is_gradient_then_step, 0, 2 * (int)N_EXAMPLES);
    tcase_add_test(tc, dense_refuses_impossible_shapes_before_allocating);
    suite_add_tcase(s, tc);
    return s;
}

NNBT_MAIN(suite, 0)
