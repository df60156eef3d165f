#!/bin/sh
# Every symbol libnnblas.so exports starts with nnb_ (besides the version-script node names), and
# every function the public header declares is exported. An optional third argument is another
# prefix (libnnblas_mpi.so: nnb_mpi_).
set -eu
lib=$1
header=$2
prefix=${3:-nnb_}
syms=$(nm -D --defined-only "$lib" | awk '{print $3}' | sed 's/@.*//' | sort -u)
bad=$(printf '%s\n' "$syms" | grep -v -e "^$prefix" -e '^NNBLAS_[A-Z0-9_.]*$' || true)
if [ -n "$bad" ]; then
    echo "exported symbols without the $prefix prefix:"
    printf '%s\n' "$bad" | sed 's/^/  /'
    exit 1
fi
missing=""
# the declarations, a deprecated one's mark (NNB_API NNB_DEPRECATED...(...) on its own line) taken
# out and its line joined to the next
decls=$(sed -E 's/NNB_DEPRECATED[A-Z_]*\(("[^"]*"|[a-z0-9_]*)\)//' "$header" |
        awk '/^NNB_API *$/ { printf "NNB_API "; next } { print }')
for f in $(printf '%s\n' "$decls" | grep -o '^NNB_API[^(]*(' | sed 's/($//' | awk '{print $NF}' | tr -d '*'); do
    printf '%s\n' "$syms" | grep -qx "$f" || missing="$missing $f"
done
if [ -n "$missing" ]; then
    echo "declared in the header but not exported:$missing"
    exit 1
fi
n=$(printf '%s\n' "$syms" | grep -c "^$prefix")
echo "ok: $n exported functions, all $prefix*"
