/*
 * The memory of a training run, estimated before anything is allocated (nnb_net_train_memory,
 * nnb_net_train_memory_dense): the network's arenas (parameters, gradients), the optimiser's moments,
 * the workspace for a batch (the bytes nnbi_ws_reserve() would take, asked of ws.c), the best
 * weights kept by early stopping, Levenberg-Marquardt's Jacobian and normal equations, and the
 * row indices, split and history nnb_train allocates. nnb_train checks the part it would add
 * against the memory the process can get, so a run too large for the machine is refused at
 * once, with the parts named, instead of failing (or being killed) after an allocation.
 */
#include <stdlib.h>

#include "data_internal.h"
#include "layer.h"
#include "train_internal.h"

/* a + b and a * b, saturating at SIZE_MAX (an estimate that large is "more than any machine"). */
static size_t add(size_t a, size_t b) { return a > SIZE_MAX - b ? SIZE_MAX : a + b; }

static size_t mul(size_t a, size_t b) {
    size_t r;
    return nnbi_mul_size(a, b, &r) ? r : SIZE_MAX;
}

/* Moment vectors of an optimiser (the state nnbi_opt_prepare allocates). */
static size_t moments(nnb_optimizer opt) {
    switch (opt) {
    case NNB_OPT_MOMENTUM:
    case NNB_OPT_NESTEROV:
    case NNB_OPT_RMSPROP:
        return 1;
    case NNB_OPT_ADAM:
    case NNB_OPT_ADAMW:
        return 2;
    default:
        return 0;
    }
}

nnb_status nnbi_train_memory_parts(const nnb_net *net, const nnb_train_opts *o, size_t rows,
                                   nnbi_train_memory *m, const char *func) {
    size_t P = net->n_params, es = net->t->size, L = net->n_layers;
    size_t B = o->opt == NNB_OPT_LM || o->batch == 0 || o->batch > rows ? rows : o->batch;
    m->batch = B;
    m->arenas = add(mul(P, es), mul(add(P, NNBI_GRAD_EXTRA), es));
    m->moments = mul(mul(moments(o->opt), P), es);
    double *drop = NULL;
    if (o->dropout > 0 && L > 1 && o->opt != NNB_OPT_LM) {
        drop = calloc(L, sizeof *drop);
        if (!drop) return nnbi_error(NNB_E_NOMEM, func, "no memory");
        for (size_t l = 0; l + 1 < L; l++) drop[l] = o->dropout;
    }
    m->workspace = L ? nnbi_ws_bytes(net, B ? B : 1, drop, 1, 1) : 0;
    /* the training threads' workspaces and gradients (team.c) */
    m->workspace =
        add(m->workspace, nnbi_team_bytes(net, nnbi_team_size(net, o, B, nnb_get_num_threads()),
                                          B ? B : 1, drop));
    free(drop);
    size_t other = mul(rows, 2 * sizeof(size_t) + 1); /* permutation, split */
    if (o->patience && o->restore_best) other = add(other, mul(P, sizeof(double)));
    other = add(other, mul(o->epochs < ((size_t)1 << 20) ? o->epochs : 0, 128)); /* history */
    if (o->opt == NNB_OPT_LM) { /* the Jacobian (rows x outputs x P) and P x P equations, twice */
        size_t no = nnbi_n_outputs(net);
        other = add(other, mul(mul(rows, no), mul(P, sizeof(double))));
        other = add(other, mul(mul(P, P), 2 * sizeof(double)));
    }
    m->other = other;
    m->total = add(add(m->arenas, m->moments), add(m->workspace, m->other));
    return NNB_OK;
}

NNB_API nnb_status nnb_net_train_memory(const nnb_net *net, const nnb_train_opts *opts,
                                        size_t n_rows, size_t *n_bytes) {
    NNBI_CHECK_NULL(net, __func__);
    NNBI_CHECK_NULL(opts, __func__);
    NNBI_CHECK_NULL(n_bytes, __func__);
    nnbi_train_memory m;
    nnb_status st = nnbi_train_memory_parts(net, opts, n_rows, &m, __func__);
    if (st == NNB_OK) *n_bytes = m.total;
    return st;
}

/* A network's shape without its arenas: the dense layers' sizes, for estimating before any of it
 * is allocated. */
NNB_API nnb_status nnb_net_train_memory_dense(size_t n_inputs, const size_t *units, size_t n_layers,
                                              nnb_dtype dtype, const nnb_train_opts *opts,
                                              size_t n_rows, size_t *n_bytes) {
    NNBI_CHECK_NULL(opts, __func__);
    NNBI_CHECK_NULL(n_bytes, __func__);
    if (n_layers) NNBI_CHECK_NULL(units, __func__);
    if (dtype != NNB_F64 && dtype != NNB_F32)
        return nnbi_error(NNB_E_INVALID_ARG, __func__, "unknown element type %d", (int)dtype);
    if (n_inputs == 0) return nnbi_error(NNB_E_INVALID_ARG, __func__, "n_inputs is 0");
    nnb_net net = {.n_inputs = n_inputs, .dtype = dtype, .t = nnbi_elem_get(dtype)};
    net.in = (nnbi_shape){n_inputs, 1, 1};
    net.layers = calloc(n_layers ? n_layers : 1, sizeof *net.layers);
    if (!net.layers) return nnbi_error(NNB_E_NOMEM, __func__, "no memory");
    nnb_status st = NNB_OK;
    for (size_t l = 0; l < n_layers && st == NNB_OK; l++) {
        nnbi_layer *Ly = &net.layers[l];
        *Ly = (nnbi_layer){.kind = &nnbi_kind_dense, .act = NNB_ACT_IDENTITY, .has_bias = 1};
        Ly->hp[0] = units[l];
        Ly->in = l ? net.layers[l - 1].out : net.in;
        Ly->n_in = l ? net.layers[l - 1].n_out : n_inputs;
        if (units[l] == 0)
            st = nnbi_error(NNB_E_INVALID_ARG, __func__, "units[%zu] is 0", l);
        else if (units[l] > NNBI_BLAS_MAX)
            st = nnbi_error(NNB_E_TOO_LARGE, __func__,
                            "units[%zu] = %zu exceeds OpenBLAS's 32-bit limit of %zu", l, units[l],
                            (size_t)NNBI_BLAS_MAX);
        else
            st = Ly->kind->shape(Ly, __func__);
        net.n_params = add(net.n_params, Ly->n_p);
        net.n_layers = l + 1;
    }
    nnbi_train_memory m;
    if (st == NNB_OK) st = nnbi_train_memory_parts(&net, opts, n_rows, &m, __func__);
    if (st == NNB_OK) *n_bytes = m.total;
    free(net.layers);
    return st;
}

NNB_API size_t nnb_get_available_memory(void) { return nnbi_available_memory(); }

nnb_status nnbi_train_memory_check(const nnb_net *net, const nnb_train_opts *opts, size_t rows,
                                   const char *func) {
    nnbi_train_memory m;
    nnb_status st = nnbi_train_memory_parts(net, opts, rows, &m, func);
    if (st != NNB_OK) return st;
    /* what the run adds to what the network holds (its arenas; moments of the same optimiser) */
    size_t held = net->opt.kind == (int)opts->opt && net->opt.n == net->n_params ? m.moments : 0;
    size_t add_bytes = add(add(m.moments - held, m.workspace), m.other);
    size_t avail = nnbi_available_memory();
    if (add_bytes <= avail) return NNB_OK;
    char need[32], ws[32], mo[32], ot[32], av[32];
    nnbi_format_bytes(add_bytes, need, sizeof need);
    nnbi_format_bytes(m.workspace, ws, sizeof ws);
    nnbi_format_bytes(m.moments, mo, sizeof mo);
    nnbi_format_bytes(m.other, ot, sizeof ot);
    nnbi_format_bytes(avail, av, sizeof av);
    return nnbi_error(NNB_E_TOO_LARGE, func,
                      "training needs %s more memory (a workspace of %s for batches of %zu rows, "
                      "%s of optimiser state, %s more), more than the %s available: use smaller "
                      "batches or a smaller network",
                      need, ws, m.batch, mo, ot, av);
}
