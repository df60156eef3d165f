/* The shared vocabulary: names of every public enum's values and their parsers (case-insensitive,
 * '-' and '_' alike, with aliases), the nearest-name suggestion, and the defaults the command and
 * the bindings share. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "nnb_internal.h"

/* ---- comparing names ------------------------------------------------------------------------ */

static int fold(unsigned char c) { return c == '-' ? '_' : tolower(c); }

/* a and b equal after folding. */
static int same_name(const char *a, const char *b) {
    for (; *a && *b; a++, b++)
        if (fold((unsigned char)*a) != fold((unsigned char)*b)) return 0;
    return *a == *b;
}

/* b begins with a after folding. */
static int begins(const char *b, const char *a) {
    for (; *a; a++, b++)
        if (!*b || fold((unsigned char)*a) != fold((unsigned char)*b)) return 0;
    return 1;
}

#define NAME_MAX_LEN 255

/* Optimal-string-alignment distance of folded a and b (each at most NAME_MAX_LEN bytes). */
static size_t distance(const char *a, size_t la, const char *b, size_t lb) {
    size_t rows[3][NAME_MAX_LEN + 1];
    size_t *prev2 = rows[0], *prev = rows[1], *cur = rows[2];
    for (size_t j = 0; j <= lb; j++) prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            int ca = fold((unsigned char)a[i - 1]), cb = fold((unsigned char)b[j - 1]);
            size_t best = prev[j - 1] + (ca != cb);
            if (prev[j] + 1 < best) best = prev[j] + 1;
            if (cur[j - 1] + 1 < best) best = cur[j - 1] + 1;
            if (i > 1 && j > 1 && ca == fold((unsigned char)b[j - 2]) &&
                fold((unsigned char)a[i - 2]) == cb && prev2[j - 2] + 1 < best)
                best = prev2[j - 2] + 1;
            cur[j] = best;
        }
        size_t *t = prev2;
        prev2 = prev, prev = cur, cur = t;
    }
    return prev[lb];
}

NNB_API const char *nnb_name_find_nearest(const char *text, const char *const *names, size_t n) {
    if (!text || !names) return NULL;
    size_t lt = strlen(text);
    if (lt > NAME_MAX_LEN) return NULL;
    const char *best = NULL, *prefixed = NULL;
    size_t best_d = (size_t)-1, n_prefixed = 0;
    for (size_t i = 0; i < n; i++) {
        if (!names[i]) continue;
        size_t ln = strlen(names[i]);
        if (ln > NAME_MAX_LEN) continue;
        size_t d = distance(text, lt, names[i], ln);
        if (d < best_d) best_d = d, best = names[i];
        if (lt >= 3 && begins(names[i], text)) {
            if (!n_prefixed || !same_name(prefixed, names[i])) n_prefixed++;
            prefixed = names[i];
        }
    }
    if (best && best_d < lt && best_d <= 1 + lt / 4) return best;
    return n_prefixed == 1 ? prefixed : NULL;
}
NNBI_DEPRECATED_ALIAS(nnb_nearest_name, nnb_name_find_nearest);

/* ---- vocabularies --------------------------------------------------------------------------- */

typedef struct alias {
    const char *name;
    int value;
} alias;

typedef struct vocab {
    const char *what;         /* "activation", for messages */
    const char *const *names; /* canonical, indexed by value */
    size_t n;
    const alias *aliases;
    size_t n_aliases;
    const char *ambiguous;     /* a name refused because it means different values elsewhere */
    const char *ambiguous_why; /* what it means where, and what to write instead */
} vocab;

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define VOCAB(what, names, aliases) \
  { what, names, COUNT(names), aliases, COUNT(aliases), NULL, NULL }

static const char *const act_names[] = {"identity", "sigmoid",    "tanh",
                                        "relu",     "leaky_relu", "softmax"};
static const alias act_aliases[] = {
    {"linear", NNB_ACT_IDENTITY}, {"logistic", NNB_ACT_SIGMOID}, {"leaky", NNB_ACT_LEAKY_RELU}};
static const char *const init_names[] = {"normal_fanin", "xavier_uniform", "he_normal",
                                         "orthogonal"};
static const alias init_aliases[] = {{"normal", NNB_INIT_NORMAL_FANIN},
                                     {"lecun_normal", NNB_INIT_NORMAL_FANIN},
                                     {"xavier", NNB_INIT_XAVIER_UNIFORM},
                                     {"glorot", NNB_INIT_XAVIER_UNIFORM},
                                     {"glorot_uniform", NNB_INIT_XAVIER_UNIFORM},
                                     {"he", NNB_INIT_HE_NORMAL},
                                     {"kaiming", NNB_INIT_HE_NORMAL},
                                     {"kaiming_normal", NNB_INIT_HE_NORMAL}};
static const char *const loss_names[] = {"sse", "mse", "bce", "ce"};
static const alias loss_aliases[] = {
    {"squared_error", NNB_LOSS_MSE},          {"mean_squared_error", NNB_LOSS_MSE},
    {"binary_crossentropy", NNB_LOSS_BCE},    {"binary_cross_entropy", NNB_LOSS_BCE},
    {"cross_entropy", NNB_LOSS_CE},           {"crossentropy", NNB_LOSS_CE},
    {"categorical_crossentropy", NNB_LOSS_CE}};
static const char *const red_names[] = {"sum", "mean"};
static const alias red_aliases[] = {{"average", NNB_REDUCTION_MEAN}};
static const char *const opt_names[] = {"sgd",   "momentum", "nesterov", "adam",
                                        "adamw", "rmsprop",  "lm"};
static const alias opt_aliases[] = {{"levenberg_marquardt", NNB_OPT_LM}};
static const char *const sched_names[] = {"constant", "step", "exponential", "cosine",
                                          "cosine_restarts"};
static const alias sched_aliases[] = {{"none", NNB_SCHED_CONSTANT},
                                      {"exp", NNB_SCHED_EXPONENTIAL},
                                      {"cos", NNB_SCHED_COSINE},
                                      {"sgdr", NNB_SCHED_COSINE_RESTARTS},
                                      {"warm_restarts", NNB_SCHED_COSINE_RESTARTS}};
static const char *const hist_names[] = {"epoch",   "train_loss", "val_loss", "train_acc",
                                         "val_acc", "seconds",    "lr",       "samples_per_s"};
static const alias hist_aliases[] = {{"loss", NNB_HIST_TRAIN_LOSS},
                                     {"accuracy", NNB_HIST_TRAIN_ACC},
                                     {"train_accuracy", NNB_HIST_TRAIN_ACC},
                                     {"val_accuracy", NNB_HIST_VAL_ACC}};
static const char *const target_names[] = {"values", "onehot", "index"};
static const alias target_aliases[] = {{"one_hot", NNB_TARGET_ONEHOT}};
static const char *const scale_names[] = {"none", "standard", "minmax"};
static const alias scale_aliases[] = {{"standardize", NNB_SCALE_STANDARD},
                                      {"standardise", NNB_SCALE_STANDARD},
                                      {"min_max", NNB_SCALE_MINMAX}};
static const char *const unseen_names[] = {"error", "zero"};
static const alias unseen_aliases[] = {{"ignore", NNB_UNSEEN_ZERO}};
static const char *const fill_names[] = {"none", "mean", "median", "most_frequent"};
static const alias fill_aliases[] = {{"mode", NNB_FILL_MOST_FREQUENT},
                                     {"most_common", NNB_FILL_MOST_FREQUENT},
                                     {"average", NNB_FILL_MEAN}};
static const char *const mnist_names[] = {"train", "test"};
static const alias mnist_aliases[] = {{"t10k", NNB_MNIST_TEST}};

static const vocab v_act = VOCAB("activation", act_names, act_aliases);
static const vocab v_init = VOCAB("initialisation", init_names, init_aliases);
static const vocab v_loss = VOCAB("loss", loss_names, loss_aliases);
static const vocab v_red = VOCAB("reduction", red_names, red_aliases);
static const vocab v_opt = VOCAB("optimizer", opt_names, opt_aliases);
static const vocab v_sched = VOCAB("schedule", sched_names, sched_aliases);
static const vocab v_hist = VOCAB("history field", hist_names, hist_aliases);
static const vocab v_target = VOCAB("target kind", target_names, target_aliases);
static const vocab v_scale = VOCAB("scaling", scale_names, scale_aliases);
static const vocab v_unseen = VOCAB("unseen-category policy", unseen_names, unseen_aliases);
static const vocab v_mnist = VOCAB("MNIST part", mnist_names, mnist_aliases);
static const vocab v_fill = VOCAB("fill of missing cells", fill_names, fill_aliases);
static const char *const dtype_names[] = {"f64", "f32"};
static const alias dtype_aliases[] = {
    {"float64", NNB_F64}, {"double", NNB_F64}, {"float32", NNB_F32}, {"single", NNB_F32}};
/* "float" is C's float (float32) but numpy's and Python's float (float64): refused, not guessed. */
static const vocab v_dtype = {"element type",
                              dtype_names,
                              COUNT(dtype_names),
                              dtype_aliases,
                              COUNT(dtype_aliases),
                              "float",
                              "C's float is float32 but numpy's and Python's float is float64; "
                              "write f32 (or float32) or f64 (or float64)"};

/* "a, b, c" into buf (cut if it does not fit). */
static size_t list_names(char *buf, size_t cap, const char *const *names, size_t n,
                         const char *sep) {
    size_t len = 0;
    for (size_t i = 0; i < n && len < cap; i++) {
        int w = snprintf(buf + len, cap - len, "%s%s", i ? sep : "", names[i]);
        if (w < 0) break;
        len += (size_t)w;
    }
    return len < cap ? len : cap - 1;
}

/* The unknown-name error: the accepted names, the aliases and the nearest of them all. */
static nnb_status unknown(const vocab *v, const char *text, const char *func) {
    const char *all[64];
    size_t n = 0;
    for (size_t i = 0; i < v->n && n < COUNT(all); i++) all[n++] = v->names[i];
    for (size_t i = 0; i < v->n_aliases && n < COUNT(all); i++) all[n++] = v->aliases[i].name;
    const char *near = nnb_name_find_nearest(text, all, n);
    char names[400], aliases[400] = "";
    list_names(names, sizeof names, v->names, v->n, ", ");
    if (v->n_aliases) {
        size_t l = (size_t)snprintf(aliases, sizeof aliases, " (also ");
        l += list_names(aliases + l, sizeof aliases - l, all + v->n, n - v->n, ", ");
        if (l + 2 < sizeof aliases) memcpy(aliases + l, ")", 2);
    }
    if (near)
        return nnbi_error(NNB_E_INVALID_ARG, func,
                          "unknown %s '%.80s'; did you mean '%s'? accepted: %s%s", v->what, text,
                          near, names, aliases);
    return nnbi_error(NNB_E_INVALID_ARG, func, "unknown %s '%.80s'; accepted: %s%s", v->what, text,
                      names, aliases);
}

static nnb_status parse(const vocab *v, const char *text, int *out, const char *func) {
    for (size_t i = 0; i < v->n; i++)
        if (same_name(text, v->names[i])) return *out = (int)i, NNB_OK;
    for (size_t i = 0; i < v->n_aliases; i++)
        if (same_name(text, v->aliases[i].name)) return *out = v->aliases[i].value, NNB_OK;
    if (v->ambiguous && same_name(text, v->ambiguous))
        return nnbi_error(NNB_E_INVALID_ARG, func, "ambiguous %s '%.80s': %s", v->what, text,
                          v->ambiguous_why);
    return unknown(v, text, func);
}

static const char *name_of(const vocab *v, int value) {
    return value >= 0 && (size_t)value < v->n ? v->names[value] : NULL;
}

/* The three functions of an enum (and the old name of the count, deprecated). */
#define NNBI_VOCAB_FUNCS(e, var)                                                          \
  NNB_API const char *nnb_##e##_name(nnb_##e value) { return name_of(&var, (int)value); } \
  NNB_API nnb_status nnb_##e##_parse(const char *text, nnb_##e *out) {                    \
    NNBI_CHECK_NULL(text, __func__);                                                      \
    NNBI_CHECK_NULL(out, __func__);                                                       \
    int v;                                                                                \
    nnb_status st = parse(&var, text, &v, __func__);                                      \
    if (st == NNB_OK) *out = (nnb_##e)v;                                                  \
    return st;                                                                            \
  }                                                                                       \
  NNB_API size_t nnb_##e##_n_values(void) { return var.n; }                               \
  NNBI_DEPRECATED_ALIAS(nnb_##e##_count, nnb_##e##_n_values);

NNBI_VOCAB_FUNCS(activation, v_act)
NNBI_VOCAB_FUNCS(init, v_init)
NNBI_VOCAB_FUNCS(loss, v_loss)
NNBI_VOCAB_FUNCS(reduction, v_red)
NNBI_VOCAB_FUNCS(optimizer, v_opt)
NNBI_VOCAB_FUNCS(schedule, v_sched)
NNBI_VOCAB_FUNCS(history_field, v_hist)
NNBI_VOCAB_FUNCS(target_kind, v_target)
NNBI_VOCAB_FUNCS(scale, v_scale)
NNBI_VOCAB_FUNCS(dtype, v_dtype)
NNBI_VOCAB_FUNCS(unseen, v_unseen)
NNBI_VOCAB_FUNCS(mnist_part, v_mnist)
/* nnb_fill is newer than the _count names: its functions without the deprecated alias */
NNB_API const char *nnb_fill_name(nnb_fill value) { return name_of(&v_fill, (int)value); }
NNB_API nnb_status nnb_fill_parse(const char *text, nnb_fill *out) {
    NNBI_CHECK_NULL(text, __func__);
    NNBI_CHECK_NULL(out, __func__);
    int v;
    nnb_status st = parse(&v_fill, text, &v, __func__);
    if (st == NNB_OK) *out = (nnb_fill)v;
    return st;
}
NNB_API size_t nnb_fill_n_values(void) { return v_fill.n; }

/* ---- statuses ------------------------------------------------------------------------------- */

#define N_STATUS ((size_t)NNB_E_COMM + 1)

NNB_API size_t nnb_status_n_values(void) { return N_STATUS; }
NNBI_DEPRECATED_ALIAS(nnb_status_count, nnb_status_n_values);

/* Skips an optional "nnb_" then an optional "e_" (folded). */
static const char *status_core(const char *s) {
    if (begins(s, "nnb_")) s += 4;
    if (begins(s, "e_")) s += 2;
    return s;
}

NNB_API nnb_status nnb_status_parse(const char *text, nnb_status *out) {
    NNBI_CHECK_NULL(text, __func__);
    NNBI_CHECK_NULL(out, __func__);
    const char *names[N_STATUS], *cores[N_STATUS];
    for (size_t i = 0; i < N_STATUS; i++) {
        names[i] = nnb_status_name((nnb_status)i);
        cores[i] = status_core(names[i]);
    }
    const char *core = status_core(text);
    for (size_t i = 0; i < N_STATUS; i++)
        if (same_name(core, cores[i])) return *out = (nnb_status)i, NNB_OK;
    const char *near = nnb_name_find_nearest(text, names, N_STATUS);
    if (!near) near = nnb_name_find_nearest(core, cores, N_STATUS);
    char list[400];
    list_names(list, sizeof list, names, N_STATUS, ", ");
    return nnbi_error(NNB_E_INVALID_ARG, __func__,
                      "unknown status '%.80s'%s%s%s; accepted: %s (the prefix NNB_ or NNB_E_ "
                      "may be left out)",
                      text, near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "",
                      list);
}

/* ---- shared defaults ------------------------------------------------------------------------ */

NNB_API nnb_activation nnb_default_output(nnb_target_kind kind) {
    switch (kind) {
    case NNB_TARGET_ONEHOT:
        return NNB_ACT_SOFTMAX;
    case NNB_TARGET_INDEX:
        return NNB_ACT_SIGMOID;
    default:
        return NNB_ACT_IDENTITY;
    }
}

NNB_API nnb_activation nnb_default_output_for_loss(nnb_loss loss) {
    switch (loss) {
    case NNB_LOSS_CE:
        return NNB_ACT_SOFTMAX;
    case NNB_LOSS_BCE:
        return NNB_ACT_SIGMOID;
    default:
        return NNB_ACT_IDENTITY;
    }
}

NNB_API nnb_loss nnb_default_loss(nnb_activation output, nnb_target_kind kind) {
    if (output == NNB_ACT_SOFTMAX) return NNB_LOSS_CE;
    if (output == NNB_ACT_SIGMOID && (kind == NNB_TARGET_ONEHOT || kind == NNB_TARGET_INDEX))
        return NNB_LOSS_BCE;
    return NNB_LOSS_MSE;
}

NNB_API int nnb_loss_fits(nnb_loss loss, nnb_activation output) {
    if ((unsigned)output > (unsigned)NNB_ACT_SOFTMAX) return 0;
    switch (loss) {
    case NNB_LOSS_CE:
        return output == NNB_ACT_SOFTMAX;
    case NNB_LOSS_BCE:
        return output == NNB_ACT_SIGMOID;
    case NNB_LOSS_MSE:
    case NNB_LOSS_SSE:
        return 1;
    default:
        return 0;
    }
}

NNB_API nnb_init nnb_default_init(nnb_activation hidden) {
    return hidden == NNB_ACT_RELU || hidden == NNB_ACT_LEAKY_RELU ? NNB_INIT_HE_NORMAL
                                                                  : NNB_INIT_XAVIER_UNIFORM;
}

NNB_API double nnb_default_lr(nnb_optimizer opt) {
    return opt == NNB_OPT_ADAM || opt == NNB_OPT_ADAMW || opt == NNB_OPT_RMSPROP ? 0.001 : 0.01;
}

#define CLASS_MAX 20

NNB_API int nnb_values_look_like_classes(const double *values, size_t n) {
    if (!values || n == 0) return 0;
    double seen[CLASS_MAX];
    size_t n_seen = 0;
    for (size_t i = 0; i < n; i++) {
        double v = values[i];
        if (!(v == floor(v))) return 0; /* NaN and fractions; infinities are not whole either */
        if (isinf(v)) return 0;
        size_t k = 0;
        while (k < n_seen && seen[k] != v) k++;
        if (k == n_seen) {
            if (n_seen == CLASS_MAX) return 0;
            seen[n_seen++] = v;
        }
    }
    return 1;
}

NNB_API int nnb_target_has_too_many_classes(size_t n_classes, size_t n_rows) {
    if (n_classes == 0) return 0;
    size_t per_class = n_rows / n_classes; /* < k exactly when n_rows < k * n_classes */
    return (n_classes > CLASS_MAX && per_class < 5) || (n_classes >= 3 && per_class < 2);
}
NNBI_DEPRECATED_ALIAS(nnb_too_many_classes, nnb_target_has_too_many_classes);

NNB_API nnb_scale nnb_default_scale(void) { return NNB_SCALE_STANDARD; }
