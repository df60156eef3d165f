#!/bin/sh
# libnnblas.so stays free of MPI: it needs no MPI library and refers to no MPI symbol (only
# libnnblas_mpi.so does).
set -eu
lib=$1
if readelf -d "$lib" | grep NEEDED | grep -i -e mpi -e open-pal -e open-rte; then
    echo "$lib needs an MPI library"
    exit 1
fi
if nm -D --undefined-only "$lib" | grep -E ' P?MPI_'; then
    echo "$lib refers to MPI symbols"
    exit 1
fi
echo "ok: $lib has no MPI dependency"
