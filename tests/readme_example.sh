#!/bin/sh
# Runs the README's C example exactly as the README gives it, against the library just built: the
# C block marked "readme-example" saved as xor.c, and the shell block right after it (the one
# with `cc ... xor.c`) run line by line in a folder where build/ is this build, as from the top of
# a checkout. So neither the example nor the commands that build and run it can rot.
#   readme_example.sh README.md BUILD_ROOT [SANITIZERS]
set -eu
readme=$1 build=$2 san=${3:-none}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
awk '/^```c$/ {grab=0} /readme-example/ {grab=1} grab && /^```$/ {exit} grab {print}' "$readme" \
    > "$tmp/xor.c"
grep -q 'int main' "$tmp/xor.c" || { echo "no readme-example block in $readme"; exit 1; }
# the first ```sh block after the example that compiles xor.c
awk '/readme-example/ {seen=1} seen && /^```sh$/ {grab=1; next} grab && /^```$/ {
         if (block ~ /xor\.c/) { printf "%s", block; exit } block=""; grab=0 }
     grab {block = block $0 "\n"}' "$readme" > "$tmp/commands.sh"
grep -q 'xor\.c' "$tmp/commands.sh" || { echo "no commands for xor.c after the example"; exit 1; }
echo "--- the README's commands:"
cat "$tmp/commands.sh"
ln -s "$build" "$tmp/build"
# a sanitized library needs its runtime in the program too: the README's cc, with the flags
flags=""
[ "$san" = none ] || flags="-fsanitize=$san"
out=$(cd "$tmp" && unset PKG_CONFIG_PATH LD_LIBRARY_PATH &&
      CFLAGS_SAN="$flags" sh -euc "cc() { command \"\${CC:-cc}\" \$CFLAGS_SAN \"\$@\"; }
$(cat "$tmp/commands.sh")")
echo "--- output:"
echo "$out"
# XOR learned: outputs on the right side of 0.5
echo "$out" | awk '/XOR:/ { ok = ($(NF-3) < 0.5 && $(NF-2) > 0.5 && $(NF-1) > 0.5 && $NF < 0.5) }
                   END { exit ok ? 0 : 1 }'
