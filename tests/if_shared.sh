#!/bin/sh
# Runs a program whose argument is a file from the shared data folder ($1). When the folder is
# missing (a user's fresh clone) the test is skipped (77), unless NNBLAS_REQUIRE_SHARED=1 (CI),
# which makes that a failure.
file=$1
shift
if [ ! -e "$file" ]; then
    if [ "${NNBLAS_REQUIRE_SHARED:-0}" = 1 ]; then
        echo "missing $file and NNBLAS_REQUIRE_SHARED=1" >&2
        exit 1
    fi
    echo "skipped: $file is missing" >&2
    exit 77
fi
exec "$@"
