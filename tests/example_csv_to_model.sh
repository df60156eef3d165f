#!/bin/sh
# examples/csv_to_model on a CSV file, then the model it saved used by the nnblas command: the
# library's model file carries everything `nnblas eval` needs (preparation, classes, loss).
#   example_csv_to_model.sh CSV EXAMPLE NNBLAS TARGET [ONE_HOT_COLUMN...]
set -eu
csv=$1 example=$2 nnblas=$3 target=$4
shift 4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$example" "$csv" "$target" "$tmp/model.nnb" "$@" | tee "$tmp/out"
grep -q '^test accuracy ' "$tmp/out"
grep -q "^saved $tmp/model.nnb" "$tmp/out"
grep -q "^first test row: predicted '" "$tmp/out"
"$nnblas" eval --model "$tmp/model.nnb" --csv "$csv" | tee "$tmp/eval"
grep -q 'accuracy' "$tmp/eval"
