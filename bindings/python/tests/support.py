"""Helpers shared by the binding's tests: the shared data folder, the C reference program, and
the deterministic data the C reference program also generates."""
import json
import os
import subprocess
import sys
import unittest

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
sys.path.insert(0, os.path.dirname(HERE))

import nnblas  # noqa: E402

SANITIZED = os.environ.get("NNBLAS_SANITIZED", "")


def shared_path(*parts):
    """A file of the shared data folder (NNBLAS_SHARED_DIR, else ../shared beside the repo).
    A test that needs a missing one skips, or fails under NNBLAS_REQUIRE_SHARED=1 (CI)."""
    base = os.environ.get("NNBLAS_SHARED_DIR") or os.path.join(os.path.dirname(REPO), "shared")
    path = os.path.join(base, *parts)
    if not os.path.exists(path):
        if os.environ.get("NNBLAS_REQUIRE_SHARED") == "1":
            raise AssertionError("%s is missing and NNBLAS_REQUIRE_SHARED=1" % path)
        raise unittest.SkipTest("%s is missing" % path)
    return path


def fixtures():
    with open(shared_path("data", "seed-fixtures.json")) as f:
        return json.load(f)


def c_reference(*args):
    """Runs tests/c_reference.c's program (built by meson; NNBLAS_C_REFERENCE) and returns its
    lines as {name: float64 array} for the lines of numbers (loss, params, predict), and
    {name: [rest of line, ...]} for the others (meta, features)."""
    exe = os.environ.get("NNBLAS_C_REFERENCE")
    if not exe or not os.path.exists(exe):
        raise unittest.SkipTest("NNBLAS_C_REFERENCE is not set (run the tests through meson)")
    out = subprocess.run([exe] + list(args), check=True, capture_output=True, text=True).stdout
    result = {}
    for line in out.splitlines():
        name, _, rest = line.partition(" ")
        if name in ("loss", "params", "predict"):
            result[name] = np.array([float.fromhex(v) for v in rest.split()])
        else:
            result.setdefault(name, []).append(rest)
    return result


def reference_data(rows, n_in, n_out, softmax):
    """The data c_reference.c trains on (exact in binary)."""
    i = np.arange(rows)[:, None]
    v = (7 * i + 13 * np.arange(n_in)[None, :]) % 17
    x = v / 8.0 - 1.0
    s = v.sum(axis=1)
    if softmax:
        y = np.zeros((rows, n_out))
        y[np.arange(rows), s % n_out] = 1.0
    else:
        y = ((s[:, None] + 3 * np.arange(n_out)[None, :]) % 5) / 4.0
    return np.ascontiguousarray(x), np.ascontiguousarray(y)
