"""Arrays in and out of C, zero-copy where possible.

An input that is already a C-contiguous, aligned, native-endian float64 numpy array passes its
own pointer to C: no copy. Anything else (a list, float32 or integer values, a transposed or
sliced array, big-endian data) is converted once, with numpy, into a new float64 C-contiguous
array that lives for the call. Shapes are checked here, before C reads any memory, so a wrong
shape is a ShapeError rather than an out-of-bounds read.
"""

import numpy as np

from .errors import DTypeError, ShapeError

_REAL_KINDS = "biuf"  # bool, int, unsigned, float


def is_zero_copy(a, dtype=np.float64):
    """True if `a` passes to C without a copy (as an array of `dtype`: float64 or float32)."""
    return (isinstance(a, np.ndarray) and a.dtype == dtype and a.dtype.isnative and
            a.flags.c_contiguous and a.flags.aligned)


def real_type(a, default):
    """The element type a call on `a` uses: float32 or float64 when `a` is already a
    C-contiguous array of that type (then it is read in place), else `default`."""
    for t in (np.float32, np.float64):
        if is_zero_copy(a, t):
            return np.dtype(t)
    return np.dtype(default)


def as_float64(a, name, dtype=np.float64):
    """`a` as a C-contiguous float64 (or `dtype`) array: itself when possible, else one
    converted copy."""
    if is_zero_copy(a, dtype):
        return a
    if a is None:
        raise DTypeError("%s is None; expected an array of numbers" % name)
    if not isinstance(a, np.ndarray):
        try:
            a = np.asarray(a)
        except (ValueError, TypeError) as e:
            raise DTypeError("%s cannot be made an array of numbers: %s" % (name, e)) from None
    if a.dtype.kind not in _REAL_KINDS:
        if a.dtype.kind == "O":
            try:
                return np.ascontiguousarray(a, dtype=dtype)
            except (ValueError, TypeError) as e:
                raise DTypeError("%s holds objects that are not numbers: %s" % (name, e)) from None
        raise DTypeError("%s has dtype %s; nnblas needs real numbers (it computes in float64)"
                         % (name, a.dtype))
    return np.ascontiguousarray(a, dtype=dtype)


def matrix(a, name, cols=None, rows=None, vector_is_column=False, dtype=np.float64):
    """A 2-D float64 C-contiguous array with the given column (and row) count.

    A 1-D array is refused, except with vector_is_column (a target vector for a network with one
    output), where it becomes one column without a copy."""
    a = as_float64(a, name, dtype)
    if a.ndim == 1 and vector_is_column:
        a = a.reshape(-1, 1)
    if a.ndim != 2:
        hint = ""
        if a.ndim == 1:
            hint = ("; use x.reshape(1, -1) for a single sample or x.reshape(-1, 1) for a "
                    "single feature")
        raise ShapeError("%s must be a 2-D array (rows x columns), got shape %s%s"
                         % (name, a.shape, hint))
    if cols is not None and a.shape[1] != cols:
        raise ShapeError("%s has %d columns, the network expects %d" % (name, a.shape[1], cols))
    if rows is not None and a.shape[0] != rows:
        raise ShapeError("%s has %d rows, expected %d (one per row of X)"
                         % (name, a.shape[0], rows))
    return a


def vector(a, name, length=None, dtype=np.float64):
    """A 1-D float64 (or `dtype`) C-contiguous array of the given length."""
    a = as_float64(a, name, dtype)
    if a.ndim != 1:
        raise ShapeError("%s must be a 1-D array, got shape %s" % (name, a.shape))
    if length is not None and a.shape[0] != length:
        raise ShapeError("%s has %d values, expected %d" % (name, a.shape[0], length))
    return a


def output(out, shape, name="out", dtype=np.float64):
    """A caller-given output buffer: it must already be float64 (or `dtype`), C-contiguous,
    writeable and of the right shape, since results written into a converted copy would be lost."""
    if out is None:
        return np.empty(shape, dtype=dtype)
    if not isinstance(out, np.ndarray):
        raise DTypeError("%s must be a numpy array, not %s" % (name, type(out).__name__))
    if not is_zero_copy(out, dtype):
        raise DTypeError("%s must be a C-contiguous %s array (it is written in place), got "
                         "dtype %s%s" % (name, np.dtype(dtype).name, out.dtype,
                                         "" if out.flags.c_contiguous else ", not contiguous"))
    if not out.flags.writeable:
        raise DTypeError("%s is read-only" % name)
    if out.shape != tuple(shape):
        raise ShapeError("%s has shape %s, expected %s" % (name, out.shape, tuple(shape)))
    return out


def ptr(a):
    """The address of an array's first element (for a c_void_p argument)."""
    return a.ctypes.data
