// The public header compiles as C++ (extern "C") and links from C++; built twice, without and
// with NNB_EXPERIMENTAL (tests/meson.build): the experimental tier is declared only with it.
#include "nnblas.h"

#include <cstring>

#ifdef NNB_EXPERIMENTAL
static bool experimental_declared() {
    nnb_status (*shard)(nnb_train_opts *, size_t, size_t) = nnb_train_opts_set_shard;
    nnb_status (*set_error)(nnb_status, const char *) = nnb_set_error;
    return shard != nullptr && set_error != nullptr;
}
#else
// not declared: the names are free (another declaration of them would not compile)
static int nnb_train_opts_set_shard = 1, nnb_set_error = 1;
static bool experimental_declared() { return nnb_train_opts_set_shard + nnb_set_error == 2; }
#endif

int main() {
    nnb_net *net = nullptr;
    nnb_status st = nnb_net_create(&net, 3);
    if (st != NNB_OK) return 1;
    st = nnb_net_add_dense(net, 2, NNB_ACT_TANH, 1);
    nnb_net_free(net);
    return st == NNB_OK && std::strcmp(nnb_version_string(), NNB_VERSION_STRING) == 0 &&
                   experimental_declared()
               ? 0
               : 1;
}
