#!/bin/sh
# Compiles and runs the C example of README.md (the code block marked "readme-example") against
# the library just built, so the README's example cannot rot.
#   readme_example.sh README.md SRC_INCLUDE BUILD_INCLUDE LIBDIR [SANITIZERS]
set -eu
readme=$1 inc=$2 binc=$3 libdir=$4 san=${5:-none}
flags=""
[ "$san" = none ] || flags="-fsanitize=$san"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
awk '/^```c$/ {grab=0} /readme-example/ {grab=1} grab && /^```$/ {exit} grab {print}' "$readme" \
    > "$tmp/example.c"
grep -q 'int main' "$tmp/example.c" || { echo "no readme-example block in $readme"; exit 1; }
# shellcheck disable=SC2086
${CC:-cc} $flags -std=c11 -Wall -Wextra -Werror -I"$inc" -I"$binc" "$tmp/example.c" \
    -L"$libdir" -Wl,-rpath,"$libdir" -lnnblas -o "$tmp/example"
out=$("$tmp/example")
echo "$out"
# XOR learned: outputs on the right side of 0.5
echo "$out" | awk '/XOR:/ { ok = ($(NF-3) < 0.5 && $(NF-2) > 0.5 && $(NF-1) > 0.5 && $NF < 0.5) }
                   END { exit ok ? 0 : 1 }'
