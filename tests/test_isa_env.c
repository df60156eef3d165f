/* Run with NNBLAS_ISA set to a kernel set that cannot be used here: every entry point that needs
 * the kernels refuses with NNB_E_UNSUPPORTED and says why; nothing crashes. */
#include <string.h>

#include "nnb_test.h"

START_TEST(unsupported_request) {
    const char *want = getenv("NNBLAS_ISA");
    ck_assert_ptr_nonnull(want);
    ck_assert_str_eq(nnb_kernel_isa(), "unavailable");
    nnb_net *net = (nnb_net *)&net;
    ck_assert_int_eq(nnb_net_create(&net, 3), NNB_E_UNSUPPORTED);
    ck_assert_ptr_null(net);
    ck_assert_msg(strstr(nnb_last_error(), "NNBLAS_ISA=") != NULL, "message: %s", nnb_last_error());
    ck_assert_msg(strstr(nnb_last_error(), want) != NULL, "message: %s", nnb_last_error());
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("isa_env");
    TCase *tc = tcase_create("NNBLAS_ISA");
    tcase_add_test(tc, unsupported_request);
    suite_add_tcase(s, tc);
    return s;
}

NNBT_MAIN(suite, 0)
