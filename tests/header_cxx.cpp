// The public header compiles as C++ (extern "C") and links from C++.
#include "nnblas.h"

#include <cstring>

int main() {
    nnb_net *net = nullptr;
    nnb_status st = nnb_net_create(&net, 3);
    if (st != NNB_OK) return 1;
    st = nnb_net_add_dense(net, 2, NNB_ACT_TANH, 1);
    nnb_net_free(net);
    return st == NNB_OK && std::strcmp(nnb_version_string(), NNB_VERSION_STRING) == 0 ? 0 : 1;
}
