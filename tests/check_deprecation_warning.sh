#!/bin/sh
# A deprecated name of nnblas.h draws the compiler's warning, and the warning names the
# replacement; NNB_DISABLE_DEPRECATION_WARNINGS silences it (meson test header_deprecated_warning).
#   check_deprecation_warning.sh CC INCLUDE_DIR GENERATED_INCLUDE_DIR
set -eu
cc=$1
inc="-I$2 -I$3"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/old.c" <<'C'
#include "nnblas.h"
int main(void) {
    size_t order[4];
    nnb_net *net = 0, *copy = 0;
    (void)nnb_net_convert(net, NNB_F32, &copy);
    return nnb_split(4, 0.25, 0.0, 1, 0, 0, order, 4, 0, 0, 0) == NNB_OK ? 0 : 1;
}
C
fail=0
# shellcheck disable=SC2086
if $cc $inc -std=c99 -fsyntax-only -Werror=deprecated-declarations "$tmp/old.c" 2> "$tmp/err"; then
    echo "a use of nnb_split and nnb_net_convert compiled without a deprecation warning"
    fail=1
fi
for want in "nnb_split" "nnb_rows_split" "nnb_net_convert" "nnb_net_copy" "another order"; do
    grep -q "$want" "$tmp/err" || { echo "the warning does not mention $want:"; cat "$tmp/err"; fail=1; }
done
# shellcheck disable=SC2086
if ! $cc $inc -std=c99 -fsyntax-only -Werror -DNNB_DISABLE_DEPRECATION_WARNINGS "$tmp/old.c" \
        2> "$tmp/err2"; then
    echo "NNB_DISABLE_DEPRECATION_WARNINGS did not silence the warning:"
    cat "$tmp/err2"
    fail=1
fi
[ $fail = 0 ] && echo "ok: the deprecation warning names the replacement; the switch silences it"
exit $fail
