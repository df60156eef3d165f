/* The public header compiles on its own as C99 with -pedantic -Werror, and links; built with each
 * of the header's switches (tests/meson.build): NNB_EXPERIMENTAL declares the experimental tier,
 * NNB_NO_DEPRECATED leaves the deprecated names out, NNB_DISABLE_DEPRECATION_WARNINGS keeps them
 * without the compiler's warning. */
#include "nnblas.h"

#ifdef NNB_EXPERIMENTAL
/* declared: their addresses can be taken */
static int experimental_declared(void) {
    nnb_status (*shard)(nnb_train_opts *, size_t, size_t) = nnb_train_opts_set_shard;
    nnb_status (*set_error)(nnb_status, const char *) = nnb_set_error;
    nnb_allreduce_fn reduce = 0;
    return shard != 0 && set_error != 0 && reduce == 0;
}
#else
/* not declared: the names are free for the program's own objects (a second declaration as
 * another kind of symbol would not compile) */
static int nnb_train_opts_set_shard = 1, nnb_set_error = 1, nnb_train_opts_get_allreduce = 1;
typedef int nnb_allreduce_fn;
static int experimental_declared(void) {
    nnb_allreduce_fn n = nnb_train_opts_set_shard + nnb_set_error + nnb_train_opts_get_allreduce;
    return n == 3;
}
#endif

#if defined(NNB_NO_DEPRECATED)
/* the deprecated names are not declared: they are free too */
static int nnb_split = 2, nnb_model_load = 3;
typedef double nnb_csv_options;
static int deprecated_ok(void) {
    nnb_csv_options d = nnb_split + nnb_model_load;
    return d == 5;
}
#elif defined(NNB_DISABLE_DEPRECATION_WARNINGS)
/* declared without the mark: an old name compiles under -Werror */
static int deprecated_ok(void) {
    nnb_csv_options *o = 0;
    nnb_status st = nnb_csv_options_create(&o);
    nnb_csv_options_free(o);
    return st == NNB_OK && nnb_loss_count() == nnb_loss_n_values();
}
#else
static int deprecated_ok(void) { return 1; }
#endif

int main(void) {
    nnb_net *net = 0;
    nnb_status st = nnb_net_create(&net, 2);
    nnb_activation act = NNB_ACT_SOFTMAX;
    nnb_loss loss = NNB_LOSS_CE;
    nnb_reduction red = NNB_REDUCTION_MEAN;
    nnb_init init = NNB_INIT_ORTHOGONAL;
    (void)act, (void)loss, (void)red, (void)init;
    nnb_net_free(net);
    return st == NNB_OK && nnb_version_number() == NNB_VERSION_NUMBER && experimental_declared() &&
                   deprecated_ok()
               ? 0
               : 1;
}
