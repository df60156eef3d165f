"""Checks of scalar arguments shared by the modules: names of C enums, sizes, seeds."""
import numpy as np

from .errors import InvalidArgumentError


def choice(table, value, what):
    """The C value of a name (case-insensitive, '-' as '_') in `table`."""
    key = value.lower().replace("-", "_") if isinstance(value, str) else value
    try:
        return table[key]
    except (KeyError, TypeError):
        names = sorted(k for k in table if isinstance(k, str))
        raise InvalidArgumentError("unknown %s %r; one of: %s" % (what, value, ", ".join(names))) \
            from None


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
