/* The public header compiles on its own as C99 with -pedantic -Werror, and links. */
#include "nnblas.h"

int main(void) {
    nnb_net *net = 0;
    nnb_status st = nnb_net_create(&net, 2);
    nnb_activation act = NNB_ACT_SOFTMAX;
    nnb_loss loss = NNB_LOSS_CE;
    nnb_reduction red = NNB_REDUCTION_MEAN;
    nnb_init init = NNB_INIT_ORTHOGONAL;
    (void)act, (void)loss, (void)red, (void)init;
    nnb_net_free(net);
    return st == NNB_OK && nnb_version_number() == NNB_VERSION_NUMBER ? 0 : 1;
}
