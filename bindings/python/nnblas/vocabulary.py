"""The shared vocabulary: the names of the C library's enums and the defaults, as the C library
gives them (nnb_<enum>_name / _parse / _n_values, nnb_default_*), so that Python, the ``nnblas``
command and any other caller accept the same names and start from the same defaults.

Names are case-insensitive, '-' and '_' are alike, and the aliases work ("leaky-relu" =
"leaky_relu", "he" = "he_normal", "xavier" = "glorot_uniform" = "xavier_uniform",
"cross_entropy" = "ce", ...). An unknown name raises InvalidArgumentError with the C library's
message, which lists the names and suggests the nearest::

    >>> nnblas.vocabulary.parse("activation", "relux")
    InvalidArgumentError: nnb_activation_parse: unknown activation 'relux'; did you mean 'relu'? ...
    >>> nnblas.vocabulary.names("optimizer")
    ['sgd', 'momentum', 'nesterov', 'adam', 'adamw', 'rmsprop', 'lm']

Kinds: activation, init, loss, reduction, optimizer, schedule, history_field, target_kind,
scale, unseen, mnist_part, dtype, fill, status.
"""

from ctypes import byref, c_int

from ._lib import cstr, last_error, lib
from .errors import InvalidArgumentError, error_class

KINDS = ("activation", "init", "loss", "reduction", "optimizer", "schedule", "history_field",
         "target_kind", "scale", "unseen", "mnist_part", "dtype", "fill", "status")


def _kind(kind):
    if kind not in KINDS:
        raise InvalidArgumentError("unknown vocabulary %r; one of: %s" % (kind, ", ".join(KINDS)))
    return kind


def count(kind):
    """The number of values of an enum (its values are 0 .. count - 1)."""
    return getattr(lib, "nnb_%s_n_values" % _kind(kind))()


def name(kind, value):
    """The canonical name of an enum value (e.g. name("activation", 4) == "leaky_relu"), or
    None for a value out of range (for "status": the NNB_E_... name, "NNB_E_UNKNOWN")."""
    b = getattr(lib, "nnb_%s_name" % _kind(kind))(int(value))
    return None if b is None else b.decode()


def names(kind):
    """The canonical names, indexed by value."""
    return [name(kind, v) for v in range(count(kind))]


def parse(kind, text, what=None):
    """The value of a name (case-insensitive, '-' = '_', aliases). An unknown name (or one that
    is not a str) raises InvalidArgumentError with the C library's message; `what` (e.g. a
    parameter's name) is put in front of it."""
    if not isinstance(text, str):
        raise InvalidArgumentError("%s must be a name (str), got %r"
                                   % (what or kind.replace("_", " "), text))
    out = c_int()
    status = getattr(lib, "nnb_%s_parse" % _kind(kind))(cstr(text, what or kind), byref(out))
    if status:
        msg = last_error()
        raise error_class(status)("%s: %s" % (what, msg) if what else msg, status)
    return out.value


def canonical(kind, text, what=None):
    """The canonical name of a name or alias: canonical("init", "he") == "he_normal"."""
    return name(kind, parse(kind, text, what))


# ---- shared defaults -------------------------------------------------------------------------

def default_output(target_kind):
    """The output activation for a kind of target ("values", "onehot", "index"): identity,
    softmax, sigmoid (nnb_default_output)."""
    return name("activation", lib.nnb_default_output(parse("target_kind", target_kind)))


def default_loss(output, target_kind):
    """The loss to train an output activation with for a kind of target (nnb_default_loss): ce
    for softmax, bce for a sigmoid on classes, else mse."""
    return name("loss", lib.nnb_default_loss(parse("activation", output),
                                             parse("target_kind", target_kind)))


def loss_fits(loss, output):
    """Whether the loss can train that output activation (nnb_loss_fits)."""
    return bool(lib.nnb_loss_fits(parse("loss", loss), parse("activation", output)))


def default_init(hidden):
    """The weight initialisation for a hidden activation (nnb_default_init): he_normal for relu
    and leaky_relu, else xavier_uniform."""
    return name("init", lib.nnb_default_init(parse("activation", hidden)))


def default_lr(optimizer):
    """The learning rate an optimiser starts from (nnb_default_lr): 0.001 for adam, adamw and
    rmsprop, 0.01 for the others."""
    return lib.nnb_default_lr(parse("optimizer", optimizer))


def default_scale():
    """The scaling of numeric features when none is asked for (nnb_default_scale): standard."""
    return name("scale", lib.nnb_default_scale())


__all__ = ["KINDS", "count", "name", "names", "parse", "canonical", "default_output",
           "default_loss", "loss_fits", "default_init", "default_lr", "default_scale"]
