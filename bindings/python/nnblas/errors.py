"""Exceptions: one class per nnb_status, all derived from nnblas.Error.

A failed C call raises the class of its status with the C library's message (nnb_last_error(),
read on the same thread right after the call), e.g.
``ShapeError('nnb_net_forward: x has 7 columns, the network expects 8')``. The binding's own
checks, made before calling C, raise the same classes with messages of their own. Each class
also derives from the closest built-in exception (ValueError for shapes and arguments, OSError
for files, MemoryError...), so ``except ValueError`` works as it does with numpy or scikit-learn.
"""

__all__ = [
    "Error", "NoMemoryError", "InvalidArgumentError", "NullPointerError", "ShapeError",
    "NonFiniteError", "TooLargeError", "FileError", "FormatError", "VersionError",
    "ChecksumError", "CancelledError", "UnsupportedError", "StateError", "InternalError",
    "CommError", "DTypeError", "ScaleWarning", "UnseenCategoryWarning",
]


class Error(Exception):
    """Base class of every nnblas error.

    Attributes: ``message`` (the text, also ``str(e)``), ``status`` (the C library's nnb_status
    value, e.g. 4) and ``status_name`` (e.g. ``"NNB_E_SHAPE"``).
    """

    status = None
    status_name = "NNB_E_UNKNOWN"

    def __init__(self, message, status=None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


class NoMemoryError(Error, MemoryError):
    """NNB_E_NOMEM: an allocation failed."""
    status, status_name = 1, "NNB_E_NOMEM"


class InvalidArgumentError(Error, ValueError):
    """NNB_E_INVALID_ARG: an argument is out of range or the combination makes no sense."""
    status, status_name = 2, "NNB_E_INVALID_ARG"


class NullPointerError(Error, ValueError):
    """NNB_E_NULL: a required pointer was NULL (the binding should prevent it)."""
    status, status_name = 3, "NNB_E_NULL"


class ShapeError(Error, ValueError):
    """NNB_E_SHAPE: array sizes do not match the network or each other."""
    status, status_name = 4, "NNB_E_SHAPE"


class NonFiniteError(Error, ValueError):
    """NNB_E_NONFINITE: NaN or infinity where finite numbers are required."""
    status, status_name = 5, "NNB_E_NONFINITE"


class TooLargeError(Error, OverflowError):
    """NNB_E_TOO_LARGE: a size exceeds what OpenBLAS (32-bit int) or memory can index."""
    status, status_name = 6, "NNB_E_TOO_LARGE"


class FileError(Error, OSError):
    """NNB_E_IO: reading or writing a file failed."""
    status, status_name = 7, "NNB_E_IO"


class FormatError(Error, ValueError):
    """NNB_E_FORMAT: malformed input data or file (the message names file, line and column)."""
    status, status_name = 8, "NNB_E_FORMAT"


class VersionError(Error):
    """NNB_E_VERSION: a file written by a newer, incompatible version."""
    status, status_name = 9, "NNB_E_VERSION"


class ChecksumError(Error, ValueError):
    """NNB_E_CHECKSUM: a file's checksum does not match its contents."""
    status, status_name = 10, "NNB_E_CHECKSUM"


class CancelledError(Error):
    """NNB_E_CANCELLED: a callback asked to stop."""
    status, status_name = 11, "NNB_E_CANCELLED"


class UnsupportedError(Error):
    """NNB_E_UNSUPPORTED: valid, but not supported here (e.g. a CPU feature)."""
    status, status_name = 12, "NNB_E_UNSUPPORTED"


class StateError(Error, RuntimeError):
    """NNB_E_STATE: the object is not in a state that allows the call (also: a closed network,
    or one in use by another thread)."""
    status, status_name = 13, "NNB_E_STATE"


class InternalError(Error, RuntimeError):
    """NNB_E_INTERNAL: a bug in nnblas; please report it."""
    status, status_name = 14, "NNB_E_INTERNAL"


class CommError(Error, RuntimeError):
    """NNB_E_COMM: a data-parallel all-reduce failed (libnnblas_mpi: a rank failed or disagreed);
    every rank gets it."""
    status, status_name = 15, "NNB_E_COMM"


class DTypeError(InvalidArgumentError, TypeError):
    """An array whose values cannot be float64 (complex, text, objects): raised by the binding."""


class ScaleWarning(UserWarning):
    """Scaling was turned off (``read_csv(standardize="none")``, ``NNBClassifier(standardize=
    False)``...) and the input features' standard deviations differ by a factor of 100 or more:
    such a network learns slowly or not at all. Warned once per preparation or estimator fit,
    as the ``nnblas`` command notes it; silence it with ``warnings.simplefilter("ignore",
    nnblas.ScaleWarning)``."""


class UnseenCategoryWarning(UserWarning):
    """``read_csv(..., test_fraction=..., unseen="zero")``: some test rows have one-hot categories
    that the training rows lack; they are encoded as all zeros (scikit-learn's
    ``handle_unknown="ignore"``). The message says how many, as the ``nnblas`` command's note."""


# The ratio of the largest to the smallest standard deviation of unscaled features from which
# ScaleWarning is given (the command's note uses the same).
SCALE_RATIO = 100.0


def _outside_level():
    """The warnings.warn stacklevel, seen from the caller of this function, of the first frame
    outside the nnblas package (the user's line that called into nnblas)."""
    import os
    import sys
    package = os.path.dirname(os.path.abspath(__file__))
    frame, level = sys._getframe(1), 1
    while frame is not None and \
            os.path.dirname(os.path.abspath(frame.f_code.co_filename)) == package:
        frame, level = frame.f_back, level + 1
    return level


def warn_scales(X, names, advice):
    """ScaleWarning (once) when the standard deviations of the columns of X named in `names` (a
    dict column index -> name) differ by SCALE_RATIO or more; constant and non-finite columns
    do not count. The warning points at the user's line that called into nnblas. Returns True
    if it warned."""
    import warnings
    import numpy as np
    if X.shape[0] < 2 or not names:
        return False
    idx = sorted(names)
    with np.errstate(all="ignore"):
        sd = np.std(X[:, idx], axis=0, ddof=1)
    ok = np.isfinite(sd) & (sd > 0)
    if ok.sum() < 2:
        return False
    sd_ok, idx_ok = sd[ok], [j for j, k in zip(idx, ok) if k]
    lo, hi = int(np.argmin(sd_ok)), int(np.argmax(sd_ok))
    ratio = sd_ok[hi] / sd_ok[lo]
    if ratio < SCALE_RATIO:
        return False
    warnings.warn("the features' scales differ by a factor of %.0e (%r has standard deviation "
                  "%.3g, %r %.3g); %s usually trains better"
                  % (ratio, names[idx_ok[hi]], sd_ok[hi], names[idx_ok[lo]], sd_ok[lo], advice),
                  ScaleWarning, stacklevel=_outside_level())
    return True


_BY_STATUS = {cls.status: cls for cls in (
    NoMemoryError, InvalidArgumentError, NullPointerError, ShapeError, NonFiniteError,
    TooLargeError, FileError, FormatError, VersionError, ChecksumError, CancelledError,
    UnsupportedError, StateError, InternalError, CommError)}


def class_name(status_name):
    """The class name made for a status the classes above do not cover: NNB_E_NEW_THING ->
    NewThingError."""
    words = status_name[len("NNB_E_"):] if status_name.startswith("NNB_E_") else status_name
    return "".join(w.capitalize() for w in words.split("_") if w) + "Error"


def register_statuses(status_names):
    """Called once the library is loaded with [(status, name)] for every status the library has
    (nnb_status_n_values(), nnb_status_name()): a status without a class above gets one, derived
    from Error and named by class_name() (a library newer than the binding), so every status has
    its class. A class whose status name differs from the library's is a mismatch between the
    binding and the library: ImportError."""
    for status, name in status_names:
        cls = _BY_STATUS.get(status)
        if cls is None:
            cls = type(class_name(name), (Error,), {
                "__doc__": "%s (status %d): a status of the library that this binding has "
                           "no class of its own for." % (name, status),
                "status": status, "status_name": name, "__module__": __name__})
            _BY_STATUS[status] = cls
            globals()[cls.__name__] = cls
            __all__.append(cls.__name__)
        elif cls.status_name != name:
            raise ImportError("nnblas: status %d is %s in the library but %s in the binding"
                              % (status, name, cls.status_name))


def error_class(status):
    """The exception class for an nnb_status value (Error for an unknown one)."""
    return _BY_STATUS.get(status, Error)
