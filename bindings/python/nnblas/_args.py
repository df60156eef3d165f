"""Checks of scalar arguments shared by the modules: sizes, seeds (names of C enums are
nnblas.vocabulary's)."""
import numpy as np

from .errors import InvalidArgumentError


def size(value, what, minimum=0):
    """A count (a Python or numpy integer, not a bool) of at least `minimum`."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError("%s must be an integer, not %s" % (what, type(value).__name__))
    if value < minimum:
        raise InvalidArgumentError("%s must be at least %d, got %d" % (what, minimum, value))
    return int(value)


def seed(value):
    """A seed: an integer in [0, 2**64) (the C library's uint64_t)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError("seed must be an integer, not %s" % type(value).__name__)
    if not 0 <= value < 2 ** 64:
        raise InvalidArgumentError("seed must be in [0, 2**64), got %d" % value)
    return int(value)
