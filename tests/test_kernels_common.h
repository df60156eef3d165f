/*
 * What the kernel tests of the two element types share: tests/test_kernels.c (float64) and
 * tests/test_kernels_f32.c (float32) each define the template parameters below and include this
 * file, which gives them the sets under test, the accuracy sample, arrays placed next to guard
 * pages, the walk over every kernel configuration, and the suite. What each test asserts (its
 * references and tolerances) stays in the test.
 *
 * Template parameters (defined before the #include):
 *   T             the element type of the kernels under test: double or float.
 *   KTABLE        the kernel table type: nnbi_kernels or nnbi_kernels_f32.
 *   KTABLE_FOR    its lookup by instruction-set name: nnbi_kernels_for or nnbi_kernels_f32_for.
 *   KSCALAR       the scalar table of that type (the reference of the vector sets).
 *   RNG_SEED      the seed of the test's random numbers.
 *   T_BITS        the unsigned integer type of sizeof(T) bytes: uint64_t or uint32_t.
 *   SENTINEL_BITS a T_BITS constant: the bit pattern of a signalling NaN no kernel computes,
 *                 written around every placed array.
 *   WHAT_PREFIX   a string put before every configuration's name ("" or "float32 ").
 *   ULP_ERROR     the error in units of T's last place: nnbi_ulp_error or nnbi_ulpf_error.
 *
 * And, defined by the test after the #include (declared below): the bounds and special values
 * of check_activation_sample(), the tolerances of check_softmax_rows(), and the six cases that
 * check_every_config() runs.
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#include <float.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kernels.h"
#include "nnb_test.h"
#include "ulp.h"

/* Check's ck_assert reports every passing assertion to the parent process (a write per call);
 * inner loops use this instead, which only reports failures. */
#define CHECK(cond, ...)                    \
  do {                                      \
    if (!(cond)) ck_abort_msg(__VA_ARGS__); \
  } while (0)

/* ---- the tables under test ---- */

static const char *const isa_names[] = {"scalar", "avx2", "avx512"};
#define N_ISA 3

static nnbt_rng rng = {RNG_SEED};
static double urand(void) { return nnbt_uniform(&rng); }

/* ---- the accuracy sample ---- */

/* The float64 special points: zeros, subnormals, the edges of the approximations and of exp's
 * range, huge values and infinities (rounded to T by the float32 test). */
static const double special[] = {
    0.0,
    -0.0,
    0x1p-1074,
    -0x1p-1074,
    1e-310,
    -1e-310,
    DBL_MIN,
    -DBL_MIN,
    0x1.fffffffffffffp-1023,
    1e-300,
    -1e-300,
    1e-20,
    -1e-20,
    0.125,
    -0.125,
    0x1.fffffffffffffp-4,
    20,
    -20,
    36.7,
    -36.7,
    36.73,
    -36.73,
    37,
    -37,
    38,
    -38,
    40,
    -40,
    709.78,
    -709.78,
    745,
    -745,
    745.1332191019412,
    -745.1332191019412,
    -745.1332191019411,
    746,
    -746,
    1000,
    -1000,
    1e300,
    -1e300,
    DBL_MAX,
    -DBL_MAX,
    INFINITY,
    -INFINITY,
};
#define N_SPECIAL (sizeof special / sizeof special[0])
#define SAMPLE_GRID 96001 /* [-750, 750] in steps of 1/64 */
#define SAMPLE_NR 100000  /* points of each random part */
#define BASE_SAMPLE (SAMPLE_GRID + 4 * SAMPLE_NR + N_SPECIAL)

/* Writes the sample both tests share to x (BASE_SAMPLE values, rounded to T): the grid over
 * [-750, 750] in steps of 1/64, random points in [-750, 750], [-40, 40] and [-1, 1], magnitudes
 * log-uniform over [1e-320, 1e3] of both signs, and the special points. */
static size_t base_sample(T *x) {
    size_t n = 0;
    for (size_t i = 0; i < SAMPLE_GRID; i++) x[n++] = (T)(-750.0 + (double)i / 64.0);
    for (size_t i = 0; i < SAMPLE_NR; i++) x[n++] = (T)(-750.0 + 1500.0 * urand());
    for (size_t i = 0; i < SAMPLE_NR; i++) x[n++] = (T)(-40.0 + 80.0 * urand());
    for (size_t i = 0; i < SAMPLE_NR; i++) x[n++] = (T)(-1.0 + 2.0 * urand());
    for (size_t i = 0; i < SAMPLE_NR; i++) {
        double m = exp(log(1e-320) + (log(1e3) - log(1e-320)) * urand());
        x[n++] = (T)((i & 1) ? -m : m);
    }
    for (size_t i = 0; i < N_SPECIAL; i++) x[n++] = (T)special[i];
    return n;
}

/* ---- the accuracy of sigmoid and tanh ---- */

/* Defined by the test: its sample (allocated; returns the count), the bound in ulp of set k's
 * sigmoid or tanh, and its checks of the special values (run once per set, after the sample). */
static size_t accuracy_sample(T **out);
static double act_ulp_bound(const KTABLE *k, nnb_activation act);
static void check_special_values(const KTABLE *k, nnb_activation act);

/* sigmoid or tanh (act) of every set over the sample x[0..n) against long-double references:
 * within act_ulp_bound() ulp, exactly 0 or +-1 only where the true value rounds there, within
 * the range; a NaN in gives a NaN out; the vectorised sets compute the same values (nnblas.h says
 * so). Prints each set's largest error. */
static void check_activation_sample(nnb_activation act, const T *x, size_t n) {
    long double *ref = malloc(n * sizeof *ref);
    for (size_t i = 0; i < n; i++)
        ref[i] = act == NNB_ACT_SIGMOID ? nnbi_sigmoid_ld(x[i]) : tanhl(x[i]);
    T *z = malloc((n + 1) * sizeof *z), *a = malloc((n + 1) * sizeof *a);
    T *first_vec = NULL; /* the first vectorised set's results */
    const char *fname = act == NNB_ACT_SIGMOID ? "sigmoid" : "tanh";
    for (int s = 0; s < N_ISA; s++) {
        const KTABLE *k = KTABLE_FOR(isa_names[s]);
        if (!k) continue;
        memcpy(z, x, n * sizeof *x);
        z[n] = NAN;
        k->bias_act(act, 0.0, 1, n + 1, z, NULL, a);
        ck_assert_msg(isnan(a[n]), "%s: NaN in gave %g", k->isa, (double)a[n]);
        double worst = 0, at = 0, bound = act_ulp_bound(k, act);
        for (size_t i = 0; i < n; i++) {
            double e = ULP_ERROR(a[i], ref[i]);
            T r = (T)ref[i];
            if (e > worst) worst = e, at = x[i];
            CHECK(e <= bound, "%s %s(%a) = %a, reference %.21Lg: %.3f ulp", k->isa, fname,
                  (double)x[i], (double)a[i], ref[i], e);
            /* exact limits only where the true value rounds there */
            if (a[i] == 0 || fabs((double)a[i]) == 1.0)
                CHECK(r == a[i], "%s: %s(%a) = %g exactly but the true value %.21Lg is not", k->isa,
                      fname, (double)x[i], (double)a[i], ref[i]);
            CHECK(act == NNB_ACT_SIGMOID ? a[i] >= 0 && a[i] <= 1 : fabs((double)a[i]) <= 1.0,
                  "%s: %s(%a) = %a out of range", k->isa, fname, (double)x[i], (double)a[i]);
        }
        if (k->width > 1 && !first_vec) {
            first_vec = malloc(n * sizeof *first_vec);
            memcpy(first_vec, a, n * sizeof *a);
        } else if (k->width > 1) {
            CHECK(memcmp(first_vec, a, n * sizeof *a) == 0, "%s differs from the other vector set",
                  k->isa);
        }
        fprintf(stderr, "%s%-6s %-7s max error %.3f ulp (at %.17g) over %zu points\n", WHAT_PREFIX,
                k->isa, fname, worst, at, n);
        check_special_values(k, act);
    }
    free(ref), free(z), free(a), free(first_vec);
}

static void check_activation(nnb_activation act) {
    T *x;
    size_t n = accuracy_sample(&x);
    check_activation_sample(act, x, n);
    free(x);
}

START_TEST(sigmoid_accuracy) { check_activation(NNB_ACT_SIGMOID); }
END_TEST

START_TEST(tanh_accuracy) { check_activation(NNB_ACT_TANH); }
END_TEST

/* ---- softmax ---- */

/* Defined by the test: how far an element of a softmax row may be from the long-double softmax
 * `ref` (arg = |z - max|, whose rounding exp magnifies), and how far a row's sum from 1. */
static long double softmax_elem_tol(size_t cols, long double arg, long double ref);
static long double softmax_sum_tol(size_t cols);

/* Softmax of every set over 6 rows of each of the nw widths (random, +-1000 where e^-1000
 * underflows, -inf, `tiny` values, ...) against a long-double softmax. */
static void check_softmax_rows(const size_t *widths, size_t nw, double tiny) {
    for (int s = 0; s < N_ISA; s++) {
        const KTABLE *k = KTABLE_FOR(isa_names[s]);
        if (!k) continue;
        for (size_t w = 0; w < nw; w++) {
            size_t cols = widths[w], rows = 6, n = rows * cols;
            T *z = malloc(n * sizeof *z), *a = malloc(n * sizeof *a), *z0 = malloc(n * sizeof *z);
            for (size_t r = 0; r < rows; r++)
                for (size_t c = 0; c < cols; c++)
                    z[r * cols + c] = (T)(r == 0   ? 10.0 * (urand() - 0.5)
                                          : r == 1 ? 1000.0 * (urand() - 0.5)
                                          : r == 2 ? (c % 2 ? 1000.0 : -1000.0)
                                          : r == 3 ? (c % 3 == 1 ? -INFINITY : 3.0 * urand())
                                          : r == 4 ? tiny * urand()
                                                   : 40.0 * urand());
            memcpy(z0, z, n * sizeof *z);
            k->bias_act(NNB_ACT_SOFTMAX, 0.0, rows, cols, z, NULL, a);
            for (size_t r = 0; r < rows; r++) {
                const T *zr = z0 + r * cols, *ar = a + r * cols;
                long double m = -INFINITY, se = 0, sum = 0;
                for (size_t c = 0; c < cols; c++) m = zr[c] > m ? zr[c] : m;
                for (size_t c = 0; c < cols; c++) se += expl((long double)zr[c] - m);
                for (size_t c = 0; c < cols; c++) {
                    long double ref = expl((long double)zr[c] - m) / se;
                    long double arg = isinf(zr[c]) ? 0 : fabsl(zr[c] - m);
                    sum += ar[c];
                    CHECK(fabsl(ar[c] - ref) <= softmax_elem_tol(cols, arg, ref),
                          "%s softmax cols %zu row %zu: a[%zu] = %a, reference %La", k->isa, cols,
                          r, c, (double)ar[c], ref);
                }
                CHECK(fabsl(sum - 1.0L) <= softmax_sum_tol(cols),
                      "%s softmax cols %zu row %zu sums to 1 %+Lg", k->isa, cols, r, sum - 1.0L);
            }
            free(z), free(z0), free(a);
        }
    }
}

/* ---- arrays next to guard pages ---- */

/* Where the arrays of one call sit. Each slot is [guard page][DATA_PAGES][guard page]. */
enum { AT_ALIGNED, AT_UNALIGNED, AT_END_GUARD, AT_START_GUARD, N_PLACES };
static const char *const place_names[] = {"aligned", "unaligned", "ending at a guard page",
                                          "starting after a guard page"};
#define N_SLOTS 6
#define DATA_PAGES 4
#define MARGIN 64                /* elements checked on each side of an array */
#define ALIGNED (64 / sizeof(T)) /* the offset of an aligned array: 64 bytes */
static size_t page;
static unsigned char *slot_mem[N_SLOTS];
static T *slot_ptr[N_SLOTS];
static size_t slot_n[N_SLOTS];
static const T_BITS SENTINEL = SENTINEL_BITS;

static T *slot_data(int s) { return (T *)(void *)(slot_mem[s] + page); }
static size_t slot_cap(void) { return DATA_PAGES * page / sizeof(T); }

static void slots_init(void) {
    if (page) return;
    page = (size_t)sysconf(_SC_PAGESIZE);
    for (int s = 0; s < N_SLOTS; s++) {
        void *m = mmap(NULL, (DATA_PAGES + 2) * page, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        ck_assert(m != MAP_FAILED);
        slot_mem[s] = m;
        ck_assert_int_eq(mprotect(m, page, PROT_NONE), 0);
        ck_assert_int_eq(mprotect(slot_mem[s] + (DATA_PAGES + 1) * page, page, PROT_NONE), 0);
    }
}

/* Places n values (copied from init) in slot s; everything else in the slot is the sentinel. */
static T *place(int s, int where, size_t n, const T *init) {
    T *base = slot_data(s);
    size_t cap = slot_cap();
    CHECK(n + 2 * ALIGNED <= cap, "slot too small for %zu", n);
    T *p = where == AT_ALIGNED     ? base + ALIGNED
           : where == AT_UNALIGNED ? base + ALIGNED + 1
           : where == AT_END_GUARD ? base + cap - n
                                   : base;
    for (T *q = p - (size_t)(p - base < MARGIN ? p - base : MARGIN);
         q < p + n + MARGIN && q < base + cap; q++)
        memcpy(q, &SENTINEL, sizeof SENTINEL);
    if (n) memcpy(p, init, n * sizeof *p);
    slot_ptr[s] = p, slot_n[s] = n;
    return p;
}

/* Nothing outside the placed arrays was written. */
static void slots_untouched(const char *what) {
    for (int s = 0; s < N_SLOTS; s++) {
        if (!slot_ptr[s]) continue;
        T *base = slot_data(s), *p = slot_ptr[s];
        for (T *q = p - (size_t)(p - base < MARGIN ? p - base : MARGIN);
             q < p + slot_n[s] + MARGIN && q < base + slot_cap(); q++) {
            if (q >= p && q < p + slot_n[s]) continue;
            CHECK(memcmp(q, &SENTINEL, sizeof SENTINEL) == 0,
                  "%s wrote outside its arrays (slot %d, offset %td)", what, s, q - slot_ptr[s]);
        }
        slot_ptr[s] = NULL;
    }
}

static T *filled(size_t n, double lo, double hi) {
    T *p = malloc((n ? n : 1) * sizeof *p);
    for (size_t i = 0; i < n; i++) p[i] = (T)(lo + (hi - lo) * urand());
    return p;
}

static T *copy_of(const T *a, size_t n) {
    T *p = malloc((n ? n : 1) * sizeof *p);
    if (n) memcpy(p, a, n * sizeof *p);
    return p;
}

/* ---- every kernel in every configuration ---- */

/* One configuration: the tables, a length parameter, a placement and whether in place. */
typedef struct {
    const KTABLE *k, *ref; /* the set under test, the scalar set of the same type */
    size_t len;
    int where, inplace;
    char what[160];
} cfg;

static const char *const act_names[] = {"identity", "sigmoid", "tanh", "relu", "leaky", "softmax"};

/* ---- running the set under test ----
 *
 * Each run_* runs c->k's kernel on copies of the inputs placed by place() (the outputs replacing
 * inputs where c->inplace says so), names the call in what[WHAT_SIZE] (after c->what) and checks
 * that nothing outside the arrays was written; the test then compares the results. call_* runs a
 * kernel of table k on arrays as they are (the references). */
#define WHAT_SIZE 200

/* bias_act(act, alpha 0.05) on rows x c->len: returns a; *z is the placed pre-activation. */
static T *run_bias_act(cfg *c, nnb_activation act, size_t rows, int with_bias, const T *z0,
                       const T *b0, T **z, char *what) {
    size_t cols = c->len, n = rows * cols;
    *z = place(0, c->where, n, z0);
    T *b = with_bias ? place(1, c->where, cols, b0) : NULL;
    T *a = c->inplace ? *z : place(2, c->where, n, z0);
    c->k->bias_act(act, 0.05, rows, cols, *z, b, a);
    snprintf(what, WHAT_SIZE, "%s bias_act(%s, rows %zu, %s)", c->what, act_names[act], rows,
             with_bias ? "bias" : "no bias");
    slots_untouched(what);
    return a;
}

/* act_backward(act, alpha 0.05) on rows x c->len: returns d. */
static T *run_act_backward(cfg *c, nnb_activation act, size_t rows, const T *a0, const T *d0,
                           char *what) {
    size_t cols = c->len, n = rows * cols;
    T *a = place(0, c->where, n, a0), *d = place(1, c->where, n, d0);
    c->k->act_backward(act, 0.05, rows, cols, a, d);
    snprintf(what, WHAT_SIZE, "%s act_backward(%s, rows %zu)", c->what, act_names[act], rows);
    slots_untouched(what);
    return d;
}

/* delta_se (which 0), delta_se_sigmoid (1) or delta_bce_sigmoid (2), scale 0.3 */
static double call_delta(const KTABLE *k, int which, size_t n, const T *z, const T *p, const T *y,
                         T *d) {
    return which == 0   ? k->delta_se(n, p, y, 0.3, d)
           : which == 1 ? k->delta_se_sigmoid(n, p, y, 0.3, d)
                        : k->delta_bce_sigmoid(n, z, p, y, 0.3, d);
}

/* call_delta on c->len elements, d replacing yhat in place: returns the sum; *d is d. */
static double run_delta(cfg *c, int which, const T *z0, const T *y0, const T *p0, T **d,
                        char *what) {
    static const char *const names[] = {"delta_se", "delta_se_sigmoid", "delta_bce_sigmoid"};
    size_t n = c->len;
    T *z = place(0, c->where, n, z0), *y = place(1, c->where, n, y0);
    T *p = place(2, c->where, n, p0);
    *d = c->inplace ? p : place(3, c->where, n, y0);
    double s = call_delta(c->k, which, n, z, p, y, *d);
    snprintf(what, WHAT_SIZE, "%s %s", c->what, names[which]);
    slots_untouched(what);
    return s;
}

/* delta_ce_softmax, scale 0.7, on rows x c->len, d replacing yhat in place: returns the sum; *d
 * is d. */
static double run_ce(cfg *c, size_t rows, int onehot, const T *z0, const T *y0, const T *p0, T **d,
                     char *what) {
    size_t cols = c->len, n = rows * cols;
    T *z = place(0, c->where, n, z0), *y = place(1, c->where, n, y0);
    T *p = place(2, c->where, n, p0);
    *d = c->inplace ? p : place(3, c->where, n, y0);
    double s = c->k->delta_ce_softmax(rows, cols, z, p, y, 0.7, *d);
    snprintf(what, WHAT_SIZE, "%s delta_ce_softmax(rows %zu, %s)", c->what, rows,
             onehot ? "one-hot" : "soft targets");
    slots_untouched(what);
    return s;
}

/* axpy(a = -0.37) on c->len elements, y the same array as x in place: returns y. */
static T *run_axpy(cfg *c, const T *x0, const T *y0, char *what) {
    size_t n = c->len;
    T *x = place(0, c->where, n, x0), *y = c->inplace ? x : place(1, c->where, n, y0);
    c->k->axpy(n, -0.37, x, y);
    snprintf(what, WHAT_SIZE, "%s axpy", c->what);
    slots_untouched(what);
    return y;
}

/* scal(a = 1.7) on c->len elements: returns x. */
static T *run_scal(cfg *c, const T *x0, char *what) {
    T *x = place(0, c->where, c->len, x0);
    c->k->scal(c->len, 1.7, x);
    snprintf(what, WHAT_SIZE, "%s scal", c->what);
    slots_untouched(what);
    return x;
}

/* sumsq of c->len elements */
static double run_sumsq(cfg *c, const T *x0, char *what) {
    T *x = place(0, c->where, c->len, x0);
    double s = c->k->sumsq(c->len, x);
    snprintf(what, WHAT_SIZE, "%s sumsq", c->what);
    slots_untouched(what);
    return s;
}

/* col_sum of rows x c->len into an array that held out0 (must not alias): returns it. */
static T *run_col_sum(cfg *c, size_t rows, const T *m0, const T *out0, char *what) {
    size_t cols = c->len;
    T *m = place(0, c->where, rows * cols, m0), *out = place(1, c->where, cols, out0);
    c->k->col_sum(rows, cols, m, out);
    snprintf(what, WHAT_SIZE, "%s col_sum", c->what);
    slots_untouched(what);
    return out;
}

/* One optimiser step: variant 0 plain SGD (lr 0.1, l2 0.01; v not touched, passed NULL),
 * 1 momentum 0.9 and 2 Nesterov (l2 0.001), 3 Adam with L2 0.01 and 4 AdamW (decay 0.01; lr
 * 1e-3, betas 0.9 and 0.999, eps 1e-8, first-step bias corrections), 5 RMSprop (lr 1e-2, rho
 * 0.99, eps 1e-8, l2 0.001). */
static void call_optim(const KTABLE *k, int variant, size_t n, T *t, const T *g, T *m, T *v) {
    switch (variant) {
    case 0:
        k->sgd(n, t, g, NULL, 0.1, 0.0, 0.01, 0);
        break;
    case 1:
    case 2:
        k->sgd(n, t, g, v, 0.1, 0.9, 0.001, variant == 2);
        break;
    case 3:
    case 4:
        k->adam(n, t, g, m, v, 1e-3, 0.9, 0.999, 1e-8, 1 / (1 - 0.9), 1 / (1 - 0.999),
                variant == 3 ? 0.01 : 0.0, variant == 4 ? 0.01 : 0.0);
        break;
    default:
        k->rmsprop(n, t, g, v, 1e-2, 0.99, 1e-8, 0.001);
        break;
    }
}

/* call_optim on c->len elements: *t, *m, *v are the updated theta and moments. */
static void run_optim(cfg *c, int variant, const T *t0, const T *g0, const T *m0, const T *v0,
                      T **t, T **m, T **v, char *what) {
    size_t n = c->len;
    *t = place(0, c->where, n, t0);
    T *g = place(1, c->where, n, g0);
    *m = place(2, c->where, n, m0), *v = place(3, c->where, n, v0);
    call_optim(c->k, variant, n, *t, g, *m, *v);
    snprintf(what, WHAT_SIZE, "%s optimiser %d", c->what, variant);
    slots_untouched(what);
}

/* The cases the test defines: each runs one kernel (or a family) in configuration c against its
 * references, with the arrays placed by place() and checked by slots_untouched(). */
static void case_bias_act(cfg *c, nnb_activation act, size_t rows, int with_bias);
static void case_act_backward(cfg *c, nnb_activation act, size_t rows);
static void case_delta(cfg *c, int which); /* delta_se, delta_se_sigmoid, delta_bce_sigmoid */
static void case_ce(cfg *c, size_t rows, int onehot);
static void case_vector_ops(cfg *c); /* axpy, scal, sumsq, col_sum */
static void case_optim(cfg *c);      /* sgd, adam, rmsprop */

/* Every kernel of every set this CPU supports for lengths 0..2*width+3, 100 and 301, at every
 * placement, out of place and in place (where outputs may alias inputs). */
static void check_every_config(void) {
    slots_init();
    for (int s = 0; s < N_ISA; s++) {
        const KTABLE *k = KTABLE_FOR(isa_names[s]);
        if (!k) continue;
        size_t lens[64], nl = 0;
        for (size_t len = 0; len <= 2 * k->width + 3; len++) lens[nl++] = len;
        lens[nl++] = 100, lens[nl++] = 301;
        for (size_t li = 0; li < nl; li++)
            for (int where = 0; where < N_PLACES; where++)
                for (int inplace = 0; inplace < 2; inplace++) {
                    cfg c = {k, &KSCALAR, lens[li], where, inplace, ""};
                    snprintf(c.what, sizeof c.what, "%s%s n=%zu %s%s", WHAT_PREFIX, k->isa, c.len,
                             place_names[where], inplace ? " in place" : "");
                    for (nnb_activation act = NNB_ACT_IDENTITY; act <= NNB_ACT_SOFTMAX; act++)
                        for (size_t rows = 1; rows <= 3; rows += 2) {
                            case_bias_act(&c, act, rows, 1);
                            case_bias_act(&c, act, rows, 0);
                            if (!inplace) case_act_backward(&c, act, rows);
                        }
                    for (int which = 0; which < 3; which++) case_delta(&c, which);
                    case_ce(&c, 3, 1);
                    case_ce(&c, 3, 0);
                    case_vector_ops(&c);
                    if (!inplace) case_optim(&c);
                }
    }
}

/* ---- the suite ---- */

/* The suite `name` of the given tests. valgrind computes long double (x87) arithmetic in double
 * precision and does not keep the sign of every NaN, so the accuracy references are wrong there:
 * under valgrind only `tables` and `every_config` (the comparisons with guard pages) run. */
static Suite *kernel_suite(const char *name, const TTest *tables, const TTest *const *accuracy,
                           size_t n_accuracy, const TTest *every_config) {
    Suite *s = suite_create(name);
    TCase *tc = tcase_create(name);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, tables);
    if (!nnbt_valgrind())
        for (size_t i = 0; i < n_accuracy; i++) tcase_add_test(tc, accuracy[i]);
    tcase_add_test(tc, every_config);
    suite_add_tcase(s, tc);
    return s;
}
