/* The shared vocabulary: every enum value's name round-trips through its parser, every alias the
 * command and the Python binding use parses, unknown names are refused with the list and a
 * suggestion, counts match the enums, and the shared defaults agree with what training accepts. */
#include <ctype.h>

#include "nnb_test.h"

/* One enum's functions, through int. */
typedef struct ops {
    const char *what;
    const char *(*name)(int);
    nnb_status (*parse)(const char *, int *);
    size_t (*count)(void);
    size_t n_expected; /* the last enumerator + 1 */
} ops;

#define OPS(e, last)                                                        \
  static const char *name_##e(int v) { return nnb_##e##_name((nnb_##e)v); } \
  static nnb_status parse_##e(const char *t, int *out) {                    \
    nnb_##e v = (nnb_##e)12345;                                             \
    nnb_status st = nnb_##e##_parse(t, &v);                                 \
    *out = (int)v;                                                          \
    return st;                                                              \
  }                                                                         \
  static const ops ops_##e = {#e, name_##e, parse_##e, nnb_##e##_n_values, (size_t)(last) + 1};

OPS(activation, NNB_ACT_SOFTMAX)
OPS(init, NNB_INIT_ORTHOGONAL)
OPS(loss, NNB_LOSS_CE)
OPS(reduction, NNB_REDUCTION_MEAN)
OPS(optimizer, NNB_OPT_LM)
OPS(schedule, NNB_SCHED_COSINE_RESTARTS)
OPS(history_field, NNB_HIST_SAMPLES_PER_S)
OPS(target_kind, NNB_TARGET_INDEX)
OPS(scale, NNB_SCALE_MINMAX)
OPS(unseen, NNB_UNSEEN_ZERO)
OPS(mnist_part, NNB_MNIST_TEST)
OPS(status, NNB_E_COMM)

static const ops *const all_ops[] = {&ops_activation,    &ops_init,        &ops_loss,
                                     &ops_reduction,     &ops_optimizer,   &ops_schedule,
                                     &ops_history_field, &ops_target_kind, &ops_scale,
                                     &ops_unseen,        &ops_mnist_part,  &ops_status};
#define N_OPS (sizeof all_ops / sizeof all_ops[0])

/* A name, the value it must parse to, and the enum. */
typedef struct expect_name {
    const ops *o;
    const char *text;
    int value;
} expect_name;

/* The canonical names, written out from the enumerators' suffixes. */
static const expect_name canonical[] = {
    {&ops_activation, "identity", NNB_ACT_IDENTITY},
    {&ops_activation, "sigmoid", NNB_ACT_SIGMOID},
    {&ops_activation, "tanh", NNB_ACT_TANH},
    {&ops_activation, "relu", NNB_ACT_RELU},
    {&ops_activation, "leaky_relu", NNB_ACT_LEAKY_RELU},
    {&ops_activation, "softmax", NNB_ACT_SOFTMAX},
    {&ops_init, "normal_fanin", NNB_INIT_NORMAL_FANIN},
    {&ops_init, "xavier_uniform", NNB_INIT_XAVIER_UNIFORM},
    {&ops_init, "he_normal", NNB_INIT_HE_NORMAL},
    {&ops_init, "orthogonal", NNB_INIT_ORTHOGONAL},
    {&ops_loss, "sse", NNB_LOSS_SSE},
    {&ops_loss, "mse", NNB_LOSS_MSE},
    {&ops_loss, "bce", NNB_LOSS_BCE},
    {&ops_loss, "ce", NNB_LOSS_CE},
    {&ops_reduction, "sum", NNB_REDUCTION_SUM},
    {&ops_reduction, "mean", NNB_REDUCTION_MEAN},
    {&ops_optimizer, "sgd", NNB_OPT_SGD},
    {&ops_optimizer, "momentum", NNB_OPT_MOMENTUM},
    {&ops_optimizer, "nesterov", NNB_OPT_NESTEROV},
    {&ops_optimizer, "adam", NNB_OPT_ADAM},
    {&ops_optimizer, "adamw", NNB_OPT_ADAMW},
    {&ops_optimizer, "rmsprop", NNB_OPT_RMSPROP},
    {&ops_optimizer, "lm", NNB_OPT_LM},
    {&ops_schedule, "constant", NNB_SCHED_CONSTANT},
    {&ops_schedule, "step", NNB_SCHED_STEP},
    {&ops_schedule, "exponential", NNB_SCHED_EXPONENTIAL},
    {&ops_schedule, "cosine", NNB_SCHED_COSINE},
    {&ops_schedule, "cosine_restarts", NNB_SCHED_COSINE_RESTARTS},
    {&ops_history_field, "epoch", NNB_HIST_EPOCH},
    {&ops_history_field, "train_loss", NNB_HIST_TRAIN_LOSS},
    {&ops_history_field, "val_loss", NNB_HIST_VAL_LOSS},
    {&ops_history_field, "train_acc", NNB_HIST_TRAIN_ACC},
    {&ops_history_field, "val_acc", NNB_HIST_VAL_ACC},
    {&ops_history_field, "seconds", NNB_HIST_SECONDS},
    {&ops_history_field, "lr", NNB_HIST_LR},
    {&ops_history_field, "samples_per_s", NNB_HIST_SAMPLES_PER_S},
    {&ops_target_kind, "values", NNB_TARGET_VALUES},
    {&ops_target_kind, "onehot", NNB_TARGET_ONEHOT},
    {&ops_target_kind, "index", NNB_TARGET_INDEX},
    {&ops_scale, "none", NNB_SCALE_NONE},
    {&ops_scale, "standard", NNB_SCALE_STANDARD},
    {&ops_scale, "minmax", NNB_SCALE_MINMAX},
    {&ops_unseen, "error", NNB_UNSEEN_ERROR},
    {&ops_unseen, "zero", NNB_UNSEEN_ZERO},
    {&ops_mnist_part, "train", NNB_MNIST_TRAIN},
    {&ops_mnist_part, "test", NNB_MNIST_TEST},
    {&ops_status, "NNB_OK", NNB_OK},
    {&ops_status, "NNB_E_NOMEM", NNB_E_NOMEM},
    {&ops_status, "NNB_E_INVALID_ARG", NNB_E_INVALID_ARG},
    {&ops_status, "NNB_E_NULL", NNB_E_NULL},
    {&ops_status, "NNB_E_SHAPE", NNB_E_SHAPE},
    {&ops_status, "NNB_E_NONFINITE", NNB_E_NONFINITE},
    {&ops_status, "NNB_E_TOO_LARGE", NNB_E_TOO_LARGE},
    {&ops_status, "NNB_E_IO", NNB_E_IO},
    {&ops_status, "NNB_E_FORMAT", NNB_E_FORMAT},
    {&ops_status, "NNB_E_VERSION", NNB_E_VERSION},
    {&ops_status, "NNB_E_CHECKSUM", NNB_E_CHECKSUM},
    {&ops_status, "NNB_E_CANCELLED", NNB_E_CANCELLED},
    {&ops_status, "NNB_E_UNSUPPORTED", NNB_E_UNSUPPORTED},
    {&ops_status, "NNB_E_STATE", NNB_E_STATE},
    {&ops_status, "NNB_E_INTERNAL", NNB_E_INTERNAL},
    {&ops_status, "NNB_E_COMM", NNB_E_COMM},
};

/* Aliases: the nnblas command's spellings (before the shared vocabulary), the Python binding's
 * and scikit-learn's / Keras's usual names, and the documented short forms. */
static const expect_name aliases[] = {
    /* the command */
    {&ops_activation, "leaky-relu", NNB_ACT_LEAKY_RELU},
    {&ops_init, "normal", NNB_INIT_NORMAL_FANIN},
    {&ops_init, "xavier", NNB_INIT_XAVIER_UNIFORM},
    {&ops_init, "he", NNB_INIT_HE_NORMAL},
    /* Python, scikit-learn, Keras, PyTorch */
    {&ops_activation, "linear", NNB_ACT_IDENTITY},
    {&ops_activation, "logistic", NNB_ACT_SIGMOID},
    {&ops_activation, "leaky", NNB_ACT_LEAKY_RELU},
    {&ops_init, "glorot_uniform", NNB_INIT_XAVIER_UNIFORM},
    {&ops_init, "glorot", NNB_INIT_XAVIER_UNIFORM},
    {&ops_init, "lecun_normal", NNB_INIT_NORMAL_FANIN},
    {&ops_init, "kaiming", NNB_INIT_HE_NORMAL},
    {&ops_init, "kaiming_normal", NNB_INIT_HE_NORMAL},
    {&ops_loss, "binary_crossentropy", NNB_LOSS_BCE},
    {&ops_loss, "binary_cross_entropy", NNB_LOSS_BCE},
    {&ops_loss, "categorical_crossentropy", NNB_LOSS_CE},
    {&ops_loss, "cross_entropy", NNB_LOSS_CE},
    {&ops_loss, "crossentropy", NNB_LOSS_CE},
    {&ops_loss, "squared_error", NNB_LOSS_MSE},
    {&ops_loss, "mean_squared_error", NNB_LOSS_MSE},
    {&ops_reduction, "average", NNB_REDUCTION_MEAN},
    {&ops_optimizer, "levenberg_marquardt", NNB_OPT_LM},
    {&ops_optimizer, "Levenberg-Marquardt", NNB_OPT_LM},
    {&ops_schedule, "none", NNB_SCHED_CONSTANT},
    {&ops_schedule, "exp", NNB_SCHED_EXPONENTIAL},
    {&ops_schedule, "cos", NNB_SCHED_COSINE},
    {&ops_schedule, "sgdr", NNB_SCHED_COSINE_RESTARTS},
    {&ops_history_field, "loss", NNB_HIST_TRAIN_LOSS},
    {&ops_history_field, "accuracy", NNB_HIST_TRAIN_ACC},
    {&ops_history_field, "train_accuracy", NNB_HIST_TRAIN_ACC},
    {&ops_history_field, "val_accuracy", NNB_HIST_VAL_ACC},
    {&ops_target_kind, "one_hot", NNB_TARGET_ONEHOT},
    {&ops_target_kind, "one-hot", NNB_TARGET_ONEHOT},
    {&ops_scale, "standardize", NNB_SCALE_STANDARD},
    {&ops_scale, "standardise", NNB_SCALE_STANDARD},
    {&ops_scale, "min_max", NNB_SCALE_MINMAX},
    {&ops_unseen, "ignore", NNB_UNSEEN_ZERO},
    {&ops_mnist_part, "t10k", NNB_MNIST_TEST},
    /* statuses without their prefix */
    {&ops_status, "ok", NNB_OK},
    {&ops_status, "E_COMM", NNB_E_COMM},
    {&ops_status, "comm", NNB_E_COMM},
    {&ops_status, "nnb-e-invalid-arg", NNB_E_INVALID_ARG},
    {&ops_status, "too_large", NNB_E_TOO_LARGE},
};

/* s with every letter flipped in case and '_' and '-' swapped. */
static void mangle(char *dst, size_t cap, const char *s) {
    size_t i = 0;
    for (; s[i] && i + 1 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        dst[i] = c == '_' ? '-' : c == '-' ? '_' : isupper(c) ? (char)tolower(c) : (char)toupper(c);
    }
    dst[i] = '\0';
}

START_TEST(counts_match_the_enums) {
    for (size_t k = 0; k < N_OPS; k++) {
        const ops *o = all_ops[k];
        ck_assert_msg(o->count() == o->n_expected, "%s: count %zu, expected %zu", o->what,
                      o->count(), o->n_expected);
        size_t listed = 0;
        for (size_t i = 0; i < sizeof canonical / sizeof canonical[0]; i++)
            listed += canonical[i].o == o;
        ck_assert_msg(listed == o->n_expected, "%s: the test lists %zu names", o->what, listed);
    }
}
END_TEST

START_TEST(canonical_names) {
    for (size_t i = 0; i < sizeof canonical / sizeof canonical[0]; i++) {
        const expect_name *e = &canonical[i];
        const char *n = e->o->name(e->value);
        ck_assert_msg(n && strcmp(n, e->text) == 0, "%s %d: name %s, expected %s", e->o->what,
                      e->value, n ? n : "NULL", e->text);
    }
}
END_TEST

START_TEST(every_name_round_trips) {
    for (size_t k = 0; k < N_OPS; k++) {
        const ops *o = all_ops[k];
        for (size_t v = 0; v < o->count(); v++) {
            const char *n = o->name((int)v);
            ck_assert_msg(n != NULL, "%s %zu has no name", o->what, v);
            int got = -1;
            nnbt_ok(o->parse(n, &got));
            ck_assert_int_eq(got, (int)v);
            char m[64];
            mangle(m, sizeof m, n);
            got = -1;
            nnbt_ok(o->parse(m, &got));
            ck_assert_msg(got == (int)v, "%s: '%s' parsed to %d", o->what, m, got);
            /* names are distinct */
            for (size_t w = 0; w < v; w++) ck_assert_str_ne(o->name((int)w), n);
        }
        if (o != &ops_status) { /* nnb_status_name never returns NULL: see below */
            ck_assert_ptr_null(o->name((int)o->count()));
            ck_assert_ptr_null(o->name(-1));
        }
    }
    ck_assert_str_eq(nnb_status_name((nnb_status)nnb_status_n_values()), "NNB_E_UNKNOWN");
    /* every status has its text too */
    for (size_t v = 0; v < nnb_status_n_values(); v++)
        ck_assert_str_ne(nnb_status_string((nnb_status)v), "unknown status");
    ck_assert_str_eq(nnb_status_string((nnb_status)nnb_status_n_values()), "unknown status");
}
END_TEST

START_TEST(every_alias_parses) {
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++) {
        const expect_name *e = &aliases[i];
        int got = -1;
        nnb_clear_error();
        nnb_status st = e->o->parse(e->text, &got);
        ck_assert_msg(st == NNB_OK && got == e->value, "%s '%s': %s, %d (expected %d) %s",
                      e->o->what, e->text, nnb_status_name(st), got, e->value, nnb_last_error());
        char m[64];
        mangle(m, sizeof m, e->text);
        got = -1;
        nnbt_ok(e->o->parse(m, &got));
        ck_assert_int_eq(got, e->value);
    }
}
END_TEST

/* The same contract through each function by its own name, as an FFI caller binds them one by one
 * (the table-driven tests above reach them through token pasting). */
START_TEST(each_function_by_name) {
    nnb_history_field h;
    ck_assert_uint_eq(nnb_history_field_n_values(), (size_t)NNB_HIST_SAMPLES_PER_S + 1);
    ck_assert_str_eq(nnb_history_field_name(NNB_HIST_VAL_ACC), "val_acc");
    ck_assert_int_eq(nnb_history_field_parse("Train-Loss", &h), NNB_OK);
    ck_assert_int_eq(h, NNB_HIST_TRAIN_LOSS);
    ck_assert_uint_eq(nnb_init_n_values(), (size_t)NNB_INIT_ORTHOGONAL + 1);
    ck_assert_str_eq(nnb_init_name(NNB_INIT_HE_NORMAL), "he_normal");
    ck_assert_uint_eq(nnb_mnist_part_n_values(), (size_t)NNB_MNIST_TEST + 1);
    ck_assert_str_eq(nnb_mnist_part_name(NNB_MNIST_TEST), "test");
    ck_assert_uint_eq(nnb_optimizer_n_values(), (size_t)NNB_OPT_LM + 1);
    ck_assert_str_eq(nnb_optimizer_name(NNB_OPT_ADAMW), "adamw");
    nnb_reduction r;
    ck_assert_uint_eq(nnb_reduction_n_values(), (size_t)NNB_REDUCTION_MEAN + 1);
    ck_assert_str_eq(nnb_reduction_name(NNB_REDUCTION_SUM), "sum");
    ck_assert_int_eq(nnb_reduction_parse("MEAN", &r), NNB_OK);
    ck_assert_int_eq(r, NNB_REDUCTION_MEAN);
    nnb_scale sc;
    ck_assert_uint_eq(nnb_scale_n_values(), (size_t)NNB_SCALE_MINMAX + 1);
    ck_assert_str_eq(nnb_scale_name(NNB_SCALE_STANDARD), "standard");
    ck_assert_int_eq(nnb_scale_parse("MinMax", &sc), NNB_OK);
    ck_assert_int_eq(sc, NNB_SCALE_MINMAX);
    nnb_schedule sd;
    ck_assert_uint_eq(nnb_schedule_n_values(), (size_t)NNB_SCHED_COSINE_RESTARTS + 1);
    ck_assert_str_eq(nnb_schedule_name(NNB_SCHED_COSINE), "cosine");
    ck_assert_int_eq(nnb_schedule_parse("cosine-restarts", &sd), NNB_OK);
    ck_assert_int_eq(sd, NNB_SCHED_COSINE_RESTARTS);
    nnb_target_kind k;
    ck_assert_uint_eq(nnb_target_kind_n_values(), (size_t)NNB_TARGET_INDEX + 1);
    ck_assert_str_eq(nnb_target_kind_name(NNB_TARGET_ONEHOT), "onehot");
    ck_assert_int_eq(nnb_target_kind_parse("Index", &k), NNB_OK);
    ck_assert_int_eq(k, NNB_TARGET_INDEX);
    nnb_unseen u;
    ck_assert_uint_eq(nnb_unseen_n_values(), (size_t)NNB_UNSEEN_ZERO + 1);
    ck_assert_str_eq(nnb_unseen_name(NNB_UNSEEN_ERROR), "error");
    ck_assert_int_eq(nnb_unseen_parse("ZERO", &u), NNB_OK);
    ck_assert_int_eq(u, NNB_UNSEEN_ZERO);
    ck_assert_ptr_null(nnb_unseen_name((nnb_unseen)nnb_unseen_n_values()));
}
END_TEST

START_TEST(unknown_names) {
    nnb_activation a = NNB_ACT_TANH;
    nnbt_expect(nnb_activation_parse("lealy-relu", &a), NNB_E_INVALID_ARG,
                "nnb_activation_parse: unknown activation 'lealy-relu'; did you mean "
                "'leaky_relu'? accepted: identity, sigmoid, tanh, relu, leaky_relu, softmax");
    ck_assert_int_eq(a, NNB_ACT_TANH); /* unchanged */
    nnbt_expect(nnb_activation_parse("zzzzzz", &a), NNB_E_INVALID_ARG, "accepted: identity");
    ck_assert_ptr_null(strstr(nnb_last_error(), "did you mean"));
    ck_assert_ptr_nonnull(strstr(nnb_last_error(), "also linear"));
    nnbt_expect(nnb_activation_parse("", &a), NNB_E_INVALID_ARG, "unknown activation ''");
    nnb_init i;
    nnbt_expect(nnb_init_parse("xavir", &i), NNB_E_INVALID_ARG, "did you mean 'xavier'?");
    nnb_optimizer o;
    nnbt_expect(nnb_optimizer_parse("adma", &o), NNB_E_INVALID_ARG, "did you mean 'adam'?");
    nnb_loss l;
    nnbt_expect(nnb_loss_parse("cee", &l), NNB_E_INVALID_ARG, "did you mean 'ce'?");
    nnb_status s;
    nnbt_expect(nnb_status_parse("NNB_E_COM", &s), NNB_E_INVALID_ARG, "did you mean 'NNB_E_COMM'?");
    nnbt_expect(nnb_status_parse("shaep", &s), NNB_E_INVALID_ARG, "did you mean 'SHAPE'?");
    nnbt_expect(nnb_status_parse("", &s), NNB_E_INVALID_ARG, "accepted: NNB_OK, NNB_E_NOMEM");
    /* a text too long for suggestions is still refused cleanly */
    char longtext[600];
    memset(longtext, 'x', sizeof longtext - 1);
    longtext[sizeof longtext - 1] = '\0';
    nnbt_expect(nnb_scale_parse(longtext, &(nnb_scale){0}), NNB_E_INVALID_ARG, "unknown scaling");
    /* NULL */
    nnbt_expect(nnb_activation_parse(NULL, &a), NNB_E_NULL, "text is NULL");
    nnbt_expect(nnb_mnist_part_parse("train", NULL), NNB_E_NULL, "out is NULL");
    nnbt_expect(nnb_status_parse(NULL, &s), NNB_E_NULL, "text is NULL");
}
END_TEST

START_TEST(nearest_names) {
    const char *cols[] = {"sepal_length", "sepal_width", NULL, "species", "petal_length"};
    ck_assert_str_eq(nnb_name_find_nearest("specie", cols, 5), "species");
    ck_assert_str_eq(nnb_name_find_nearest("Species", cols, 5), "species");
    ck_assert_str_eq(nnb_name_find_nearest("sepal-lenght", cols, 5), "sepal_length");
    ck_assert_str_eq(nnb_name_find_nearest("petal_len", cols, 5), "petal_length"); /* distance 3 */
    ck_assert_ptr_null(nnb_name_find_nearest("colour", cols, 5));
    ck_assert_ptr_null(nnb_name_find_nearest("x", cols, 5));
    ck_assert_ptr_null(nnb_name_find_nearest("sepal", cols, 5)); /* begins two names */
    const char *opts[] = {"--standardize", "--seed", "--save"};
    ck_assert_str_eq(nnb_name_find_nearest("--stand", opts, 3), "--standardize"); /* prefix */
    ck_assert_str_eq(nnb_name_find_nearest("--sed", opts, 3), "--seed");
    ck_assert_str_eq(nnb_name_find_nearest("--svae", opts, 3), "--save"); /* a swap */
    ck_assert_ptr_null(nnb_name_find_nearest(NULL, opts, 3));
    ck_assert_ptr_null(nnb_name_find_nearest("--seed", NULL, 3));
    ck_assert_ptr_null(nnb_name_find_nearest("--seed", opts, 0));
    ck_assert_ptr_null(nnb_name_find_nearest("", opts, 3));
}
END_TEST

/* A one-layer network with output activation `act` and n_out outputs. */
static nnb_net *tiny(nnb_activation act, size_t n_out) {
    nnb_net *net;
    nnbt_ok(nnb_net_create(&net, 2));
    nnbt_ok(nnb_net_add_dense(net, n_out, act, 1));
    return net;
}

START_TEST(defaults) {
    ck_assert_int_eq(nnb_default_output(NNB_TARGET_VALUES), NNB_ACT_IDENTITY);
    ck_assert_int_eq(nnb_default_output(NNB_TARGET_ONEHOT), NNB_ACT_SOFTMAX);
    ck_assert_int_eq(nnb_default_output(NNB_TARGET_INDEX), NNB_ACT_SIGMOID);
    ck_assert_int_eq(nnb_default_output((nnb_target_kind)99), NNB_ACT_IDENTITY);
    ck_assert_int_eq(nnb_default_output_for_loss(NNB_LOSS_CE), NNB_ACT_SOFTMAX);
    ck_assert_int_eq(nnb_default_output_for_loss(NNB_LOSS_BCE), NNB_ACT_SIGMOID);
    ck_assert_int_eq(nnb_default_output_for_loss(NNB_LOSS_MSE), NNB_ACT_IDENTITY);
    ck_assert_int_eq(nnb_default_output_for_loss(NNB_LOSS_SSE), NNB_ACT_IDENTITY);
    ck_assert_int_eq(nnb_default_loss(NNB_ACT_SOFTMAX, NNB_TARGET_ONEHOT), NNB_LOSS_CE);
    ck_assert_int_eq(nnb_default_loss(NNB_ACT_SIGMOID, NNB_TARGET_INDEX), NNB_LOSS_BCE);
    ck_assert_int_eq(nnb_default_loss(NNB_ACT_SIGMOID, NNB_TARGET_ONEHOT), NNB_LOSS_BCE);
    ck_assert_int_eq(nnb_default_loss(NNB_ACT_SIGMOID, NNB_TARGET_VALUES), NNB_LOSS_MSE);
    ck_assert_int_eq(nnb_default_loss(NNB_ACT_IDENTITY, NNB_TARGET_VALUES), NNB_LOSS_MSE);
    ck_assert_int_eq(nnb_default_init(NNB_ACT_RELU), NNB_INIT_HE_NORMAL);
    ck_assert_int_eq(nnb_default_init(NNB_ACT_LEAKY_RELU), NNB_INIT_HE_NORMAL);
    ck_assert_int_eq(nnb_default_init(NNB_ACT_TANH), NNB_INIT_XAVIER_UNIFORM);
    ck_assert(nnb_default_lr(NNB_OPT_ADAM) == 0.001 && nnb_default_lr(NNB_OPT_ADAMW) == 0.001 &&
              nnb_default_lr(NNB_OPT_RMSPROP) == 0.001 && nnb_default_lr(NNB_OPT_SGD) == 0.01 &&
              nnb_default_lr(NNB_OPT_MOMENTUM) == 0.01);
    ck_assert_int_eq(nnb_default_scale(), NNB_SCALE_STANDARD);
    /* each default output goes with its kind's default loss */
    for (size_t k = 0; k < nnb_target_kind_n_values(); k++) {
        nnb_activation out = nnb_default_output((nnb_target_kind)k);
        ck_assert(nnb_loss_fits(nnb_default_loss(out, (nnb_target_kind)k), out));
    }
}
END_TEST

/* nnb_loss_fits() says exactly what training accepts. */
START_TEST(loss_fits_matches_training) {
    double x[4] = {0.1, 0.2, 0.3, 0.4}, y[4] = {1, 0, 0, 1};
    for (size_t l = 0; l < nnb_loss_n_values(); l++) {
        ck_assert(nnb_loss_fits((nnb_loss)l, nnb_default_output_for_loss((nnb_loss)l)));
        for (size_t a = 0; a < nnb_activation_n_values(); a++) {
            nnb_net *net = tiny((nnb_activation)a, 2);
            double loss;
            nnb_status st =
                nnb_net_loss(net, x, 2, 2, y, 2, (nnb_loss)l, NNB_REDUCTION_MEAN, &loss);
            int fits = nnb_loss_fits((nnb_loss)l, (nnb_activation)a);
            ck_assert_msg(fits ? st == NNB_OK : st == NNB_E_INVALID_ARG,
                          "loss %s with %s: fits %d, nnb_net_loss %s", nnb_loss_name((nnb_loss)l),
                          nnb_activation_name((nnb_activation)a), fits, nnb_status_name(st));
            nnb_net_free(net);
        }
    }
    ck_assert(!nnb_loss_fits((nnb_loss)9, NNB_ACT_IDENTITY));
    ck_assert(!nnb_loss_fits(NNB_LOSS_MSE, (nnb_activation)9));
}
END_TEST

START_TEST(class_rules) {
    double v[30];
    for (int i = 0; i < 30; i++) v[i] = i % 3;
    ck_assert(nnb_values_look_like_classes(v, 30));
    v[4] = 0.5;
    ck_assert(!nnb_values_look_like_classes(v, 30));
    v[4] = NAN;
    ck_assert(!nnb_values_look_like_classes(v, 30));
    v[4] = INFINITY;
    ck_assert(!nnb_values_look_like_classes(v, 30));
    for (int i = 0; i < 30; i++) v[i] = i - 5; /* 20 whole values, then 21 */
    ck_assert(nnb_values_look_like_classes(v, 20));
    ck_assert(!nnb_values_look_like_classes(v, 21));
    ck_assert(!nnb_values_look_like_classes(v, 0));
    ck_assert(!nnb_values_look_like_classes(NULL, 3));
    ck_assert(nnb_target_has_too_many_classes(214, 442)); /* diabetes's target taken for classes */
    ck_assert(!nnb_target_has_too_many_classes(3, 150));  /* iris */
    ck_assert(!nnb_target_has_too_many_classes(10, 60000));
    ck_assert(!nnb_target_has_too_many_classes(2, 2));
    ck_assert(nnb_target_has_too_many_classes(3, 5));
    ck_assert(!nnb_target_has_too_many_classes(3, 6));
    ck_assert(!nnb_target_has_too_many_classes(21, 105));
    ck_assert(nnb_target_has_too_many_classes(21, 104));
    ck_assert(!nnb_target_has_too_many_classes(0, 0));
}
END_TEST

/* ---- float32 networks and data (issue 23: each concern tests both element types) ---------- */

START_TEST(dtype_names) {
    ck_assert_uint_eq(nnb_dtype_n_values(), 2);
    ck_assert_str_eq(nnb_dtype_name(NNB_F64), "f64");
    ck_assert_str_eq(nnb_dtype_name(NNB_F32), "f32");
    ck_assert_ptr_null(nnb_dtype_name((nnb_dtype)2));
    nnb_dtype t = NNB_F64;
    nnbt_ok(nnb_dtype_parse("Float32", &t));
    ck_assert_int_eq(t, NNB_F32);
    nnbt_ok(nnb_dtype_parse("double", &t));
    ck_assert_int_eq(t, NNB_F64);
    nnbt_expect(nnb_dtype_parse("f16", &t), NNB_E_INVALID_ARG, "f64, f32");
    ck_assert_int_eq(t, NNB_F64);
    /* "float" is float32 in C and float64 in numpy: refused, naming both, in any spelling */
    const char *floats[] = {"float", "FLOAT", "Float"};
    for (size_t i = 0; i < sizeof floats / sizeof floats[0]; i++) {
        t = NNB_F32;
        nnbt_expect(nnb_dtype_parse(floats[i], &t), NNB_E_INVALID_ARG, "ambiguous element type");
        const char *msg = nnb_last_error();
        ck_assert_msg(strstr(msg, "f32") && strstr(msg, "float32") && strstr(msg, "f64") &&
                          strstr(msg, "float64") && strstr(msg, "numpy"),
                      "%s", msg);
        ck_assert_int_eq(t, NNB_F32); /* unchanged */
    }
    nnbt_ok(nnb_dtype_parse("single", &t));
    ck_assert_int_eq(t, NNB_F32);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("names");
    TCase *tc = tcase_create("vocabulary");
    tcase_add_test(tc, counts_match_the_enums);
    tcase_add_test(tc, canonical_names);
    tcase_add_test(tc, every_name_round_trips);
    tcase_add_test(tc, every_alias_parses);
    tcase_add_test(tc, each_function_by_name);
    tcase_add_test(tc, unknown_names);
    tcase_add_test(tc, nearest_names);
    tcase_add_test(tc, defaults);
    tcase_add_test(tc, loss_fits_matches_training);
    tcase_add_test(tc, class_rules);
    suite_add_tcase(s, tc);
    tc = tcase_create("float32");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, dtype_names);
    suite_add_tcase(s, tc);
    return s;
}

NNBT_MAIN(suite, 0)
