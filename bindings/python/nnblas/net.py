"""nnblas.Net: a dense network (an nnb_net handle) with a scikit-learn/Keras-like interface."""

import collections
import ctypes
import math
import numbers
import threading
import warnings
import weakref
from contextlib import contextmanager
from ctypes import byref, c_double, c_int, c_size_t, c_void_p

import numpy as np

from . import _arrays
from . import vocabulary as _v
from ._interrupt import interruptible, interruptible_if
from ._args import seed as _seed, size as _size
from ._lib import (EPOCH_INFO_FN, EpochInfo, Handle, Window, call, check, cstr, fspath, last_error,
                   lib, text)
from .data import Prep, _float_dtype
from .errors import CancelledError, InvalidArgumentError, ShapeError, StateError, error_class

# The names of the C enums are the C library's (nnblas.vocabulary): no table of them here.

Layer = collections.namedtuple("Layer", "n_in n_out activation bias w_offset b_offset")
Layer.__doc__ = """One dense layer: W is n_out x n_in and starts at w_offset in the parameter
vector; b (if bias) has n_out values at b_offset."""


class History(dict):
    """What fit() returns: a dict of per-epoch lists, like Keras's History.history.

    Keys: "epoch" (counting across fit() calls on the network), "loss", "val_loss" (with
    validation), "accuracy" and "val_accuracy" (with a sigmoid or softmax output layer),
    "seconds", "lr", "samples_per_s". Attributes: best_epoch and best_loss (of the monitored
    loss: the validation loss if there is validation, else the training loss), stopped_early
    (patience ran out), stopped_by_callback (a callback returned False).
    """

    best_epoch = 0
    best_loss = math.nan
    stopped_early = False
    stopped_by_callback = False


class _Guard:
    """Enforces the C library's threading contract without blocking: a network may be changed
    by one thread at a time, read (predict, evaluate) by many at once, and not changed while it
    is read. A callback of fit() runs on the training thread and may read the network."""

    def __init__(self):
        self._lock = threading.Lock()
        self._readers = 0
        self._writer = None
        self._what = None

    @contextmanager
    def read(self, what):
        me = threading.get_ident()
        with self._lock:
            if self._writer is not None and self._writer != me:
                raise StateError("%s: the network is being changed by another thread (%s); "
                                 "a network may be read only while no thread changes it"
                                 % (what, self._what))
            self._readers += 1
        try:
            yield
        finally:
            with self._lock:
                self._readers -= 1

    @contextmanager
    def write(self, what):
        me = threading.get_ident()
        with self._lock:
            if self._writer is not None:
                where = "inside %s on this thread (a callback must not change the network)" % \
                    self._what if self._writer == me else "in %s on another thread" % self._what
                raise StateError("%s: the network is in use %s" % (what, where))
            if self._readers:
                raise StateError("%s: the network is being read by another thread; change it "
                                 "only when no thread uses it" % what)
            self._writer, self._what = me, what
        try:
            yield
        finally:
            with self._lock:
                self._writer = self._what = None


class _ParamsMemory:
    """The owner of the arrays params_view() returns: it points at the network's parameter
    arena and keeps the network alive while any view into it exists."""

    def __init__(self, net, address, n, dtype=np.float64):
        self.net = net
        self.__array_interface__ = {"shape": (n,), "typestr": np.dtype(dtype).str,
                                    "data": (address, False), "version": 3}


def _dtype_code(dtype):
    """0 (float64) or 1 (float32) for a numpy dtype or type, or a name of the C library's
    vocabulary (nnb_dtype_parse: "f64", "float64", "double", "f32", "float32", "single", ...),
    as read_csv's dtype= (data._float_dtype)."""
    return 1 if _float_dtype(dtype) == np.float32 else 0


def _check_memory(n_inputs, units, bias, dtype_code):
    """TooLargeError naming layers[k] before anything is allocated, when the network's parameters
    and gradients (and the float64 draws of its largest layer's initialisation) need more memory
    than the process can get: layer by layer, the library would allocate the first ones (hours
    of paging for a 30000 x 30000 layer) before refusing a later one."""
    if max([n_inputs] + units) >= 2 ** 64:
        return  # past size_t: the C call refuses the argument itself, before anything is made
    es = 4 if dtype_code == 1 else 8
    sizes, prev = [], n_inputs
    for u in units:
        sizes.append(u * prev + (u if bias else 0))
        prev = u
    if not sizes:
        return
    need = 2 * es * sum(sizes) + 8 * max(sizes)
    avail = lib.nnb_get_available_memory()
    if need <= avail:
        return
    k = max(range(len(sizes)), key=sizes.__getitem__)
    from .errors import TooLargeError
    raise TooLargeError("Net: layers[%d] = %d does not fit in memory: its %d x %d weights need "
                        "%.1f GiB with their gradients; the network needs %.1f GiB, more than the "
                        "%.1f GiB available: use fewer units"
                        % (k + 1, units[k], units[k], n_inputs if k == 0 else units[k - 1],
                           (2 * es + 8) * sizes[k] / 2 ** 30, need / 2 ** 30, avail / 2 ** 30))


def _is_number(v):
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


def _image_shape(v, what):
    if not isinstance(v, (list, tuple)) or len(v) != 3:
        raise InvalidArgumentError("%s is (channels, height, width), got %r" % (what, v))
    return [_size(x, what, 1) for x in v]


def _inputs_and_layers(layers, input_shape):
    """(n_inputs, the layers, the input shape or None) of Net(layers, input_shape=...): with
    input_shape, `layers` lists the layers only (or is the number of inputs, or None); without
    it, `layers` is the number of inputs, or a list of it (or of an image shape) and the
    layers. A tuple of three numbers is refused: (1, 28, 28) reads as an image as often as as
    three layer sizes."""
    if input_shape is not None:
        shape = _image_shape(input_shape, "input_shape")
        n = shape[0] * shape[1] * shape[2]
        if layers is None:
            return n, [], shape
        if not isinstance(layers, (list, tuple)):
            if _size(layers, "n_inputs", 1) != n:
                raise ShapeError("Net(%r, input_shape=%r): the shape makes %d inputs, not %r"
                                 % (layers, tuple(input_shape), n, layers))
            return n, [], shape
        units = list(layers)
        if units and isinstance(units[0], (list, tuple)):
            raise InvalidArgumentError("Net: the input shape is given twice, as layers[0] = %r and "
                                       "input_shape=%r; with input_shape, layers lists the layers "
                                       "only" % (units[0], tuple(input_shape)))
        if len(units) > 1 and _is_number(units[0]) and units[0] == n:
            warnings.warn("Net(%r, input_shape=%r): with input_shape, layers lists the layers "
                          "only, so layers[0] = %r is a hidden layer of %r units, not the number "
                          "of inputs (C*H*W = %d); drop it if it was meant as the inputs"
                          % (layers, tuple(input_shape), units[0], units[0], n), UserWarning,
                          stacklevel=3)
        return n, units, shape
    if layers is None:
        raise InvalidArgumentError("Net needs layers (the number of inputs first) or "
                                   "input_shape=(channels, height, width)")
    if isinstance(layers, tuple) and len(layers) == 3 and all(_is_number(v) for v in layers):
        raise InvalidArgumentError(
            "Net(%r) is ambiguous: for images of %r (channels, height, width) write "
            "Net(input_shape=%r) or Net([%r, ...layers]); for a dense network of %r inputs and "
            "layers of %r and %r units write Net(%r)"
            % (layers, layers, layers, layers, layers[0], layers[1], layers[2], list(layers)))
    if isinstance(layers, (list, tuple)):
        if not layers:
            raise InvalidArgumentError("layers must list the number of inputs first")
        n_inputs, units = layers[0], list(layers[1:])
    else:
        n_inputs, units = layers, []
    shape = None
    if isinstance(n_inputs, (list, tuple)):  # an image shape (C, H, W)
        shape = _image_shape(n_inputs, "an input shape")
        n_inputs = shape[0] * shape[1] * shape[2]
    return _size(n_inputs, "n_inputs", 1), units, shape


class Net(Handle):
    """A dense neural network in float64 (or float32, ``dtype=np.float32``), trained with OpenBLAS.

    ``dtype`` (float64 by default, or float32) is the type of the parameters, gradients and
    optimiser state, kept for the network's life (:meth:`astype` makes a converted copy): a
    float32 network runs its matrix products in single precision, about twice as fast, in half
    the memory. A float32 network reads C-contiguous float32 or float64 arrays in place (the
    library converts a batch at a time when the types differ) and gives results (predict,
    backprop's gradient) in the data's type; a float64 network converts other data to float64
    once per call. ``params`` are in the network's type.

    ``Net([6, 8, 1])`` makes the layers at once: 6 inputs, a hidden layer of 8 units with
    `activation` (default "relu") and an output layer of 1 unit with `output` (default None:
    "identity", the C library's output for numeric targets, nnb_default_output — give
    ``output="sigmoid"`` for two classes, ``"softmax"`` for more), each with a bias unless
    ``bias=False``. The weights are drawn with `init` (default "auto": the C library's
    nnb_default_init, he_normal for relu and leaky_relu hidden layers, else xavier_uniform —
    the `nnblas` command's default too) from the network's own generator seeded with `seed`
    (default 0): the same seed gives the same weights on every platform.
    ``Net(6)`` makes an empty network for 6 inputs; add layers with :meth:`add` (each drawn
    Normal(0, 1/sqrt(fan_in)) as it is added), then :meth:`init` to choose a scheme and a seed.

    Images: ``Net(["conv32x3p1", "maxpool2", 128, 10], input_shape=(1, 28, 28))`` (with
    `input_shape`, `layers` lists the layers only; ``Net(input_shape=(1, 28, 28))`` is an empty
    network for such images), or the shape in the first place: ``Net([(1, 28, 28), "conv32x3p1",
    ...])``. A tuple of three numbers alone, ``Net((1, 28, 28))``, is refused
    (InvalidArgumentError) as ambiguous: write ``Net([1, 28, 28])`` for a dense network of 1 input
    and layers of 28 and 28 units. A dense network may have an input shape too; it is saved with
    the model.

    A network may be changed (fit, add, init, set params...) by one thread at a time, and read
    (predict, evaluate) by any number of threads at once while no thread changes it; a call that
    breaks this raises StateError instead of corrupting memory. Calls release the GIL while C
    runs, so two threads training two networks run in parallel.

    ``close()`` frees the C network at once (also ``with Net(...) as net:``); otherwise it is
    freed when the object is garbage collected.
    """

    def __init__(self, layers=None, activation="relu", output=None, bias=True, init="auto",
                 seed=0, dtype=None, input_shape=None):
        self._setup(None)
        n_inputs, units, shape = _inputs_and_layers(layers, input_shape)
        if output is None:
            output = _v.default_output("values")
        if not shape and not any(isinstance(u, str) for u in units):  # dense layers only
            _check_memory(n_inputs, [_size(u, "units", 1) for u in units], bias,
                          _dtype_code(dtype))
        h = c_void_p()
        check(lib.nnb_net_create_dtype(byref(h), n_inputs, _dtype_code(dtype)))
        self._h = h.value
        if shape:
            self.set_input_shape(*shape)
        for i, u in enumerate(units):
            act = output if i == len(units) - 1 else activation
            if isinstance(u, str):
                self.add_layer(u, act, bias)
            else:
                self.add(u, act, bias)
        if units:
            if init is None or (isinstance(init, str) and init.lower() == "auto"):
                init = _v.default_init(activation if len(units) > 1 else output)
            self.init(init, 0 if seed is None else seed)

    def _setup(self, handle):
        self._h = handle
        self._guard = _Guard()
        self._views = weakref.WeakSet()
        self._loss = None  # (loss, reduction) of the last fit(): evaluate()'s default
        self.prep = None  # a Prep saved with the network (save(), load())
        self.metadata = {}  # str -> str, saved with the network

    @classmethod
    def _from_handle(cls, handle):
        net = cls.__new__(cls)
        net._setup(handle)
        return net

    # ---- lifetime ------------------------------------------------------------------------------

    _free, _what = "nnb_net_free", "network"

    def close(self):
        """Frees the C network now. Further calls raise StateError. Refused (StateError) while a
        params_view() array is alive, since it points into the network's memory."""
        if self._h is None:
            return
        with self._guard.write("Net.close"):
            if len(self._views):
                raise StateError("Net.close: a params_view() array still points into the "
                                 "network; delete it first")
            self._release()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ---- structure -----------------------------------------------------------------------------

    def add(self, units, activation="relu", bias=True, slope=None):
        """Appends a dense layer of `units` outputs. activation: "identity" (or "linear"),
        "sigmoid", "tanh", "relu", "leaky_relu" (negative slope `slope`, default 0.01) or
        "softmax" (output layer only). Returns the network, so calls chain."""
        units = _size(units, "units", 1)
        act = _v.parse("activation", "identity" if activation is None else activation,
                       "activation")
        if slope is not None and _v.name("activation", act) != "leaky_relu":
            raise InvalidArgumentError("slope is for leaky_relu layers only")
        with self._guard.write("Net.add"):
            if len(self._views):
                raise StateError("Net.add: a params_view() array points into the parameters, "
                                 "which adding a layer moves; delete the view first")
            check(lib.nnb_net_add_dense(self._handle, units, act, 1 if bias else 0))
            if slope is not None:
                check(lib.nnb_net_set_leaky_slope(self._handle, self.n_layers - 1, float(slope)))
        return self

    # ---- convolutional networks ----------------------------------------------------------------

    def set_input_shape(self, channels, height, width):
        """Sets the shape of one sample: `channels` planes of `height` x `width`, channel-major
        (NCHW without the N), before any layer is added; convolution and pooling layers need it.
        channels x height x width must be n_inputs. Returns the network."""
        c, h, w = (_size(v, n, 1) for v, n in ((channels, "channels"), (height, "height"),
                                                 (width, "width")))
        with self._guard.write("Net.set_input_shape"):
            check(lib.nnb_net_set_input_shape(self._handle, c, h, w))
        return self

    @property
    def input_shape(self):
        """The shape of one sample, (channels, height, width); (n_inputs, 1, 1) unless set."""
        c, h, w = c_size_t(), c_size_t(), c_size_t()
        check(lib.nnb_net_get_input_shape(self._handle, byref(c), byref(h), byref(w)))
        return (c.value, h.value, w.value)

    def _adding(self, what):
        if len(self._views):
            raise StateError("%s: a params_view() array points into the parameters, which adding "
                             "a layer moves; delete the view first" % what)

    @staticmethod
    def _pair(v, name, low):
        if isinstance(v, (list, tuple)):
            if len(v) != 2:
                raise InvalidArgumentError("%s is a number or a pair, got %r" % (name, v))
            return _size(v[0], name, low), _size(v[1], name, low)
        v = _size(v, name, low)
        return v, v

    def add_conv2d(self, filters, kernel, stride=1, padding=0, activation="relu", bias=True):
        """Appends a 2-D convolution of `filters` filters of `kernel` (a size or (height,
        width)) over every channel of the previous layer's output (or the input shape), moved
        by `stride` (a size or a pair), with zero `padding`: a size, (rows, columns), (top,
        bottom, left, right), or "same" (an output of ceil(size / stride)). Its W is
        filters x channels x kernel height x kernel width (PyTorch's layout). Returns the
        network."""
        kh, kw = self._pair(kernel, "kernel", 1)
        sh, sw = self._pair(stride, "stride", 1)
        win = Window(kh, kw, sh, sw)
        if isinstance(padding, str):
            if padding.lower() != "same":
                raise InvalidArgumentError('padding is a size, a pair, four sizes or "same", '
                                           'got %r' % padding)
            win.same = 1
        elif isinstance(padding, (list, tuple)) and len(padding) == 4:
            (win.pad_top, win.pad_bottom, win.pad_left,
             win.pad_right) = (_size(p, "padding", 0) for p in padding)
        else:
            ph, pw = self._pair(padding, "padding", 0)
            win.pad_top = win.pad_bottom = ph
            win.pad_left = win.pad_right = pw
        act = _v.parse("activation", "identity" if activation is None else activation,
                       "activation")
        filters = _size(filters, "filters", 1)
        with self._guard.write("Net.add_conv2d"):
            self._adding("Net.add_conv2d")
            check(lib.nnb_net_add_conv2d(self._handle, filters, byref(win), act,
                                         1 if bias else 0))
        return self

    def _pool(self, fn, size, stride):
        kh, kw = self._pair(size, "size", 1)
        sh, sw = (kh, kw) if stride is None else self._pair(stride, "stride", 1)
        win = Window(kh, kw, sh, sw)
        with self._guard.write("Net.add_pool"):
            self._adding("Net.add_pool")
            check(fn(self._handle, byref(win)))
        return self

    def add_maxpool(self, size, stride=None):
        """Appends max pooling over windows of `size` (a size or (height, width)) moved by
        `stride` (default: the window's size), channel by channel. Returns the network."""
        return self._pool(lib.nnb_net_add_maxpool, size, stride)

    def add_avgpool(self, size, stride=None):
        """Appends average pooling over windows of `size` moved by `stride` (default: the
        window's size), channel by channel. Returns the network."""
        return self._pool(lib.nnb_net_add_avgpool, size, stride)

    def add_layer(self, spec, activation="relu", bias=True):
        """Appends a layer given in the words of the command's --layers: a number of units
        (128), a convolution ("conv32x3p1": 32 filters of 3 x 3 with padding 1; "s2" a stride of
        2, "psame" "same" padding) or a pooling ("maxpool2", "avgpool2"). Returns the network."""
        if not isinstance(spec, str):
            return self.add(spec, activation, bias)
        act = _v.parse("activation", "identity" if activation is None else activation,
                       "activation")
        with self._guard.write("Net.add_layer"):
            self._adding("Net.add_layer")
            check(lib.nnb_net_add_layer_spec(self._handle, cstr(spec, "spec"), act,
                                             1 if bias else 0))
        return self

    def layer_kind(self, i):
        """Layer i's kind: "dense", "conv2d", "maxpool" or "avgpool"."""
        k = lib.nnb_net_layer_kind(self._handle, self._index(i))
        if k is None:
            raise InvalidArgumentError("layer %d does not exist (%d layers)" % (i, self.n_layers))
        return k.decode()

    def layer_shape(self, i):
        """The shape of one sample of layer i's output, (channels, height, width); a dense
        layer's is (units, 1, 1)."""
        c, h, w = c_size_t(), c_size_t(), c_size_t()
        check(lib.nnb_net_layer_shape(self._handle, self._index(i), byref(c), byref(h), byref(w)))
        return (c.value, h.value, w.value)

    def layer_n_params(self, i):
        """The number of parameters of layer i (0 for pooling)."""
        self.layer_shape(i)  # checks i
        return lib.nnb_net_layer_n_params(self._handle, self._index(i))

    def layer_window(self, i):
        """A convolution's or pooling's window as a dict: kernel, stride, padding (top, bottom,
        left, right) and filters (0 for pooling)."""
        win, f = Window(), c_size_t()
        check(lib.nnb_net_layer_window(self._handle, self._index(i), byref(win), byref(f)))
        return {"kernel": (win.kernel_h, win.kernel_w), "stride": (win.stride_h, win.stride_w),
                "padding": (win.pad_top, win.pad_bottom, win.pad_left, win.pad_right),
                "filters": f.value}

    @staticmethod
    def _index(i):
        if isinstance(i, bool) or not isinstance(i, (int, np.integer)) or i < 0:
            raise InvalidArgumentError("layer index must be a non-negative integer, got %r" % (i,))
        return int(i)

    def _w_shape(self, i, info):
        """The shape of layer i's W: (n_out, n_in) for dense, (filters, channels, kernel height,
        kernel width) for a convolution, (0,) for pooling."""
        kind = self.layer_kind(i)
        if kind == "dense":
            return (info.n_out, info.n_in), info.n_out
        if kind == "conv2d":
            win = self.layer_window(i)
            c_in = (self.layer_shape(i - 1) if i > 0 else self.input_shape)[0]
            return (win["filters"], c_in) + win["kernel"], win["filters"]
        return (0,), 0

    def init(self, scheme="xavier_uniform", seed=0):
        """Reseeds the network's generator with `seed` and draws every layer's weights with
        `scheme`: "normal_fanin" (Normal(0, 1/sqrt(fan_in)), the tutorial's), "xavier_uniform"
        (= "glorot_uniform"), "he_normal" or "orthogonal". Biases become 0. Returns the network."""
        s = _v.parse("init", scheme, "init scheme")
        with self._guard.write("Net.init"):
            check(lib.nnb_net_init(self._handle, s, _seed(seed)))
        return self

    def seed(self, seed):
        """Reseeds the network's generator (used for shuffling and dropout) without touching the
        weights. Returns the network."""
        with self._guard.write("Net.seed"):
            check(lib.nnb_net_seed(self._handle, _seed(seed)))
        return self

    @property
    def n_inputs(self):
        return lib.nnb_net_n_inputs(self._handle)

    @property
    def n_outputs(self):
        return lib.nnb_net_n_outputs(self._handle)

    @property
    def n_layers(self):
        return lib.nnb_net_n_layers(self._handle)

    @property
    def n_params(self):
        return lib.nnb_net_n_params(self._handle)

    def layer(self, i):
        """Layer i (0-based) as a Layer(n_in, n_out, activation, bias, w_offset, b_offset)."""
        n_in, n_out, wo, bo = c_size_t(), c_size_t(), c_size_t(), c_size_t()
        act, has_bias = c_int(), c_int()
        if isinstance(i, bool) or not isinstance(i, (int, np.integer)) or i < 0:
            raise InvalidArgumentError("layer index must be a non-negative integer, got %r" % (i,))
        check(lib.nnb_net_layer_info(self._handle, int(i), byref(n_in), byref(n_out), byref(act),
                                     byref(has_bias), byref(wo), byref(bo)))
        return Layer(n_in.value, n_out.value, _v.name("activation", act.value) or act.value,
                     bool(has_bias.value), wo.value, bo.value)

    @property
    def layers(self):
        """Every layer, as a list of Layer tuples."""
        return [self.layer(i) for i in range(self.n_layers)]

    def __repr__(self):
        if self._h is None:
            return "<nnblas.Net (closed)>"
        parts = [str(self.n_inputs)] + ["%d %s%s" % (l.n_out, l.activation,
                                                     "" if l.bias else " (no bias)")
                                        for l in self.layers]
        return "<nnblas.Net %s; %d parameters>" % (" -> ".join(parts), self.n_params)

    @property
    def dtype(self):
        """The network's element type: numpy.float64 or numpy.float32 (a numpy dtype)."""
        return np.dtype(np.float32 if lib.nnb_net_dtype(self._handle) == 1 else np.float64)

    def astype(self, dtype):
        """A copy of the network in element type `dtype` (float64 or float32): parameters
        (rounded to nearest when narrowing), generator, training state, ``prep`` and
        ``metadata``. One call (nnb_net_copy)."""
        h = c_void_p()
        with self._guard.read("Net.astype"):
            check(lib.nnb_net_copy(byref(h), self._handle, _dtype_code(dtype)))
        net = Net._from_handle(h.value)
        net.prep, net.metadata, net._loss = self.prep, dict(self.metadata), self._loss
        net._check_finite = getattr(self, "_check_finite", False)
        return net

    def _f32(self, dt):
        """The C suffix of a call on data of type dt."""
        return "_f32" if dt == np.float32 else ""

    def _call_type(self, X):
        """The type of a call. A float32 network reads C-contiguous float32 or float64 arrays in
        place (the library converts a batch at a time); a float64 network converts other data
        to float64 once, for the call, as it always has."""
        dt = self.dtype
        return _arrays.real_type(X, dt) if dt == np.float32 else dt

    # ---- parameters ----------------------------------------------------------------------------

    @property
    def params(self):
        """A copy of every parameter (layer after layer, each W row-major then b). Assigning an
        array of n_params values sets them (NaN or infinity is refused)."""
        dt = self.dtype
        with self._guard.read("Net.params"):
            out = np.empty(self.n_params, dtype=dt)
            check(getattr(lib, "nnb_net_params_get" + self._f32(dt))(
                self._handle, _arrays.ptr(out), out.size))
        return out

    @params.setter
    def params(self, values):
        dt = self._call_type(values)
        v = _arrays.vector(values, "params", self.n_params, dt)
        with self._guard.write("Net.params"):
            check(getattr(lib, "nnb_net_params_set" + self._f32(dt))(
                self._handle, _arrays.ptr(v), v.size))

    def params_view(self):
        """A writable numpy array over the network's own parameter memory: no copy. Training
        updates it in place and writing into it changes the network (without the NaN check of
        the ``params`` setter).

        Lifetime: the view (and any slice of it) keeps the Python network alive, and while one
        exists ``add()`` and ``close()`` raise StateError (they would move or free the memory).
        Do not keep raw pointers taken from it (``view.ctypes.data``) past the view itself.
        """
        with self._guard.read("Net.params_view"):
            n = c_size_t()
            dt = self.dtype
            address = getattr(lib, "nnb_net_params_data" + self._f32(dt))(self._handle, byref(n))
            if not address:
                return np.empty(0, dtype=dt)
            holder = _ParamsMemory(self, address, n.value, dt)
            self._views.add(holder)
            return np.asarray(holder)

    def get_layer(self, i):
        """Copies of layer i's W (n_out x n_in) and b (n_out values, or None without bias)."""
        info = self.layer(i)
        shape, n_b = self._w_shape(i, info)
        w = np.empty(shape)
        b = np.empty(n_b) if info.bias and n_b else None
        with self._guard.read("Net.get_layer"):
            check(lib.nnb_net_layer_get(self._handle, int(i), _arrays.ptr(w), w.size,
                                        None if b is None else _arrays.ptr(b),
                                        0 if b is None else b.size))
        return w, b

    def set_layer(self, i, W=None, b=None):
        """Sets layer i's W (n_out x n_in) and/or b (n_out values); None leaves it as it is."""
        info = self.layer(i)
        shape, n_b = self._w_shape(i, info)
        if W is not None and len(shape) == 2:
            W = _arrays.matrix(W, "W", cols=info.n_in, rows=info.n_out)
        elif W is not None:
            W = _arrays.as_float64(W, "W")
            if W.shape != shape:
                raise ShapeError("W has shape %s, layer %d's is %s" % (W.shape, i, shape))
        if b is not None:
            if not info.bias or not n_b:
                raise InvalidArgumentError("layer %d has no bias" % i)
            b = _arrays.vector(b, "b", n_b)
        with self._guard.write("Net.set_layer"):
            check(lib.nnb_net_layer_set(self._handle, int(i),
                                        None if W is None else _arrays.ptr(W),
                                        0 if W is None else W.size,
                                        None if b is None else _arrays.ptr(b),
                                        0 if b is None else b.size))

    @property
    def check_finite(self):
        """When True, predict, evaluate, loss and backprop fail with NonFiniteError naming the
        first NaN or infinity in their inputs (row and column). Default False. (C has no getter:
        this is the last value set through the binding.)"""
        return getattr(self, "_check_finite", False)

    @check_finite.setter
    def check_finite(self, enable):
        with self._guard.write("Net.check_finite"):
            check(lib.nnb_net_set_check_finite(self._handle, 1 if enable else 0))
        self._check_finite = bool(enable)

    # ---- computing -----------------------------------------------------------------------------

    def _x(self, X, name="X", dtype=np.float64):
        if isinstance(X, np.ndarray) and X.ndim == 4:  # images (N, C, H, W): rows of C H W
            if X.shape[1:] != self.input_shape:
                raise ShapeError("%s has images of shape %s, the network's input shape is %s"
                                 % (name, X.shape[1:], self.input_shape))
            X = X.reshape(X.shape[0], -1)
        return _arrays.matrix(X, name, cols=self.n_inputs, dtype=dtype)

    def _y(self, y, rows, name="y", dtype=np.float64):
        n_out = self.n_outputs
        if n_out > 1 and y is not None and not isinstance(y, np.ndarray):
            y = np.asarray(y)
        if n_out > 1 and isinstance(y, np.ndarray) and y.ndim == 1:
            return self._one_hot(y, n_out, rows, name).astype(dtype, copy=False)
        y = _arrays.matrix(y, name, vector_is_column=(n_out == 1), rows=rows, dtype=dtype)
        if y.shape[1] != n_out:
            raise ShapeError("%s has %d columns, the network has %d outputs"
                             % (name, y.shape[1], n_out))
        return y

    @staticmethod
    def _one_hot(labels, k, rows, name):
        if labels.shape[0] != rows:
            raise ShapeError("%s has %d rows, expected %d (one per row of X)"
                             % (name, labels.shape[0], rows))
        if labels.dtype.kind not in "biuf":
            raise ShapeError("%s is 1-D with dtype %s; with %d outputs give class indices "
                             "0..%d or a rows x %d array" % (name, labels.dtype, k, k - 1, k))
        idx = labels.astype(np.int64)
        if not (np.all(idx == labels) and np.all(idx >= 0) and np.all(idx < k)):
            raise ShapeError("%s is 1-D, so it must hold class indices 0..%d for the network's "
                             "%d outputs" % (name, k - 1, k))
        out = np.zeros((rows, k))
        out[np.arange(rows), idx] = 1.0
        return out

    def _work(self, X):
        """Multiply-adds of a forward pass over X: whether Ctrl-C handling is worth setting up."""
        return X.shape[0] * self.n_params

    def predict(self, X, out=None):
        """The network's outputs for the rows of X (rows x n_inputs): a rows x n_outputs array.

        X is read in place when it is a C-contiguous float64 array, else converted once. `out`
        may be a preallocated C-contiguous float64 array of that shape to write into. Reads the
        network only: many threads may predict from one network at once."""
        dt = self._call_type(X)
        X = self._x(X, dtype=dt)
        with self._guard.read("Net.predict"), interruptible_if(self._work(X)):
            n_out = self.n_outputs
            out = _arrays.output(out, (X.shape[0], n_out), dtype=dt)
            check(getattr(lib, "nnb_net_predict" + self._f32(dt))(
                self._handle, _arrays.ptr(X), X.shape[0], X.shape[1], _arrays.ptr(out),
                out.size))
        return out

    def _default_loss(self, y):
        """The loss the command would train this network's output layer with on targets y."""
        out = self.layer(self.n_layers - 1).activation if self.n_layers else "identity"
        kind = "values"
        if out == "softmax":
            kind = "onehot"
        elif out == "sigmoid" and np.all((y == 0) | (y == 1)):
            kind = "index"
        return _v.default_loss(out, kind)

    def _loss_args(self, loss, reduction, y):
        if loss is None or (isinstance(loss, str) and loss.lower() == "auto"):
            loss = self._loss[0] if self._loss else self._default_loss(y)
        if reduction is None:
            reduction = self._loss[1] if self._loss else "mean"
        return _v.parse("loss", loss, "loss"), _v.parse("reduction", reduction, "reduction")

    def evaluate(self, X, y, loss=None, reduction=None):
        """(loss, accuracy) on a labelled set, without changing the network. The loss defaults
        to the one of the last fit() (before any: fit()'s default for these targets, and
        "mean"). Accuracy is the fraction of
        rows classified right (threshold 0.5 for one sigmoid output, argmax for several), NaN
        unless the output layer is sigmoid or softmax."""
        dt = self._call_type(X)
        X = self._x(X, dtype=dt)
        y = self._y(y, X.shape[0], dtype=dt)
        lo, red = self._loss_args(loss, reduction, y)
        value, acc = c_double(), c_double()
        with self._guard.read("Net.evaluate"), interruptible_if(self._work(X)):
            check(getattr(lib, "nnb_net_evaluate" + self._f32(dt))(self._handle, _arrays.ptr(X), X.shape[0], X.shape[1],
                                       _arrays.ptr(y), y.shape[1], lo, red, byref(value),
                                       byref(acc)))
        return value.value, acc.value

    def score(self, X, y):
        """As scikit-learn's ``score``: with a classifier's output layer (sigmoid or softmax)
        the accuracy (evaluate()'s); otherwise R^2, the coefficient of determination
        1 - SS_res / SS_tot of each output (SS_tot about the mean of y), averaged over the
        outputs as ``sklearn.metrics.r2_score`` does by default (a constant target scores 1
        when predicted exactly, else 0). y in the network's units: R^2 is the same in the data's
        units, since standardising a target scales both sums alike."""
        dt = self._call_type(X)
        X = self._x(X, dtype=dt)
        y = self._y(y, X.shape[0], dtype=dt)
        if self.layer(self.n_layers - 1).activation in ("sigmoid", "softmax"):
            return self.evaluate(X, y)[1]
        if X.shape[0] == 0:
            return float("nan")
        p = self.predict(X).astype(np.float64, copy=False)
        t = y.astype(np.float64, copy=False)
        ss_res = ((t - p) ** 2).sum(axis=0)
        ss_tot = ((t - t.mean(axis=0)) ** 2).sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            r2 = np.where(ss_tot > 0, 1 - ss_res / np.where(ss_tot > 0, ss_tot, 1),
                          np.where(ss_res == 0, 1.0, 0.0))
        return float(r2.mean())

    def loss(self, X, y, loss="sse", reduction="mean"):
        """The loss on a batch, without gradients. loss: "sse" (1/2 sum of squared errors per
        row), "mse", "bce" (sigmoid output) or "ce" (softmax output); reduction "mean" or "sum"
        over rows."""
        dt = self._call_type(X)
        X = self._x(X, dtype=dt)
        y = self._y(y, X.shape[0], dtype=dt)
        lo, red = _v.parse("loss", loss, "loss"), _v.parse("reduction", reduction, "reduction")
        value = c_double()
        with self._guard.write("Net.loss"), interruptible_if(self._work(X)):  # the workspace
            check(getattr(lib, "nnb_net_loss" + self._f32(dt))(self._handle, _arrays.ptr(X), X.shape[0], X.shape[1],
                                   _arrays.ptr(y), y.shape[1], lo, red, byref(value)))
        return value.value

    def backprop(self, X, y, loss="sse", reduction="mean"):
        """Backpropagation over a batch: returns (loss, gradient), the gradient a copy in the
        layout of ``params``. The network keeps it for :meth:`sgd_step`."""
        dt = self._call_type(X)
        X = self._x(X, dtype=dt)
        y = self._y(y, X.shape[0], dtype=dt)
        lo, red = _v.parse("loss", loss, "loss"), _v.parse("reduction", reduction, "reduction")
        value = c_double()
        with self._guard.write("Net.backprop"), interruptible_if(2 * self._work(X)):
            grad = np.empty(self.n_params, dtype=dt)
            check(getattr(lib, "nnb_net_backprop" + self._f32(dt))(self._handle, _arrays.ptr(X), X.shape[0], X.shape[1],
                                       _arrays.ptr(y), y.shape[1], lo, red, byref(value),
                                       _arrays.ptr(grad), grad.size))
        return value.value, grad

    def sgd_step(self, lr, grad=None):
        """One gradient-descent step: params -= lr * grad (default: the last backprop's)."""
        with self._guard.write("Net.sgd_step"):
            if grad is None:
                check(lib.nnb_net_sgd_step(self._handle, float(lr), None, 0))
            else:
                g = _arrays.vector(grad, "grad", self.n_params)
                check(lib.nnb_net_sgd_step(self._handle, float(lr), _arrays.ptr(g), g.size))

    def gradcheck(self, X, y, loss="sse", reduction="mean", eps=0.0):
        """Compares backpropagation with finite differences: (largest relative error, index of
        the worst parameter). Costs 4 forward passes per parameter: small networks only."""
        X = self._x(X)
        y = self._y(y, X.shape[0])
        lo, red = _v.parse("loss", loss, "loss"), _v.parse("reduction", reduction, "reduction")
        err, worst = c_double(), c_size_t()
        with self._guard.write("Net.gradcheck"), \
                interruptible_if(4 * self._work(X) * self.n_params):
            check(lib.nnb_net_grad_check(self._handle, _arrays.ptr(X), X.shape[0], X.shape[1],
                                         _arrays.ptr(y), y.shape[1], lo, red, float(eps),
                                         byref(err), byref(worst)))
        return err.value, worst.value

    # ---- training ------------------------------------------------------------------------------

    def fit(self, X, y, epochs=10, batch_size=32, lr=None, optimizer="adam", loss=None,
            reduction="mean", validation_split=0.0, validation_data=None, patience=0,
            restore_best=True, dropout=0.0, weight_decay=0.0, clip_norm=0.0, shuffle=True,
            seed=None, momentum=None, betas=None, eps=None, rho=None, schedule=None,
            check_finite=False, callback=None, verbose=0, clip_value=0.0):
        """Trains the network in place (nnb_net_train) and returns a :class:`History`.

        X is rows x n_inputs; y is rows x n_outputs, or a vector for a network with one output,
        or class indices 0..K-1 for K outputs (made one-hot: a copy). Both are read in place
        when they are C-contiguous float64 arrays (else converted once, for the call).

        - epochs; batch_size (rows per step; 0 or None = the whole set, full batch); shuffle
          (every epoch, with the network's generator; `seed` reseeds it first).
        - optimizer: "adam" (default), "adamw", "sgd", "momentum", "nesterov", "rmsprop" or
          "lm" (Levenberg-Marquardt: full batch, squared-error losses, small networks); lr
          (None: the optimiser's default, nnb_default_lr: 0.001 for adam, adamw and rmsprop,
          0.01 for the others);
          momentum (default 0.9), betas=(beta1, beta2) and eps for Adam (0.9, 0.999, 1e-8),
          rho and eps for RMSprop (0.99, 1e-8); weight_decay (L2, decoupled for AdamW);
          clip_norm (gradient-norm clipping as torch.nn.utils.clip_grad_norm_: the gradient
          times max_norm / (norm + 1e-6) when that is below 1; 0 = off); clip_value (each
          gradient component clamped to [-clip_value, clip_value] first, as
          clip_grad_value_; 0 = off); dropout (on hidden layers).
        - loss: None or "auto" (the default, nnb_default_loss: "ce" for a softmax output, "bce"
          for a sigmoid output with 0/1 targets, else "mse"), "sse" (1/2 sum of squares per row),
          "mse", "bce" (sigmoid output; also "binary_crossentropy") or "ce" (softmax output;
          "categorical_crossentropy"); reduction over rows: "mean" or "sum".
          The defaults (epochs, batch_size, optimizer, lr, loss) are the `nnblas` command's.
        - schedule: None, ("step", every, gamma), ("exponential", gamma),
          ("cosine", T, lr_min) (T in epochs, then lr_min held; T = 0: the epochs of the fit
          that starts the schedule) or ("cosine_restarts", T_0, lr_min, T_mult) (SGDR, warm
          restarts; also "sgdr"). A fit with the same schedule continues it; another starts it
          over (docs/definitions.md, "Schedules").
        - validation_split: a fraction of the rows held out (chosen with `seed`, 0 if None), or
          validation_data=(X_val, y_val); patience: early stopping after that many epochs
          without improvement of the validation loss (training loss without validation), with
          the best weights put back unless restore_best=False.
        - check_finite: stop with NonFiniteError before a step with NaN or infinity.
        - callback: a function (or a list of them) called after every epoch with a dict:
          epoch, loss, val_loss (with validation), accuracy and val_accuracy (sigmoid or
          softmax output), seconds, lr, samples_per_s, loss_went_up. Returning False stops training
          (fit then returns normally; history.stopped_by_callback is True). An exception raised
          in it stops training and is re-raised by fit(). The callback may read the network
          (predict, evaluate) but not change it.
        - verbose: 1 prints a line per epoch.

        Training state (optimiser moments, counters, generator) carries over between calls:
        fit(epochs=4) then fit(epochs=6) equals fit(epochs=10), bit for bit (with a cosine
        schedule, when its T is given).

        A float32 network reads C-contiguous float32 or float64 X and y in place (float32 data:
        no conversion at all).
        """
        dt = self._call_type(X)
        X = self._x(X, dtype=dt)
        y = self._y(y, X.shape[0], dtype=dt)
        if batch_size is None:
            batch_size = 0
        if loss is None or (isinstance(loss, str) and loss.lower() == "auto"):
            loss = self._default_loss(y)
        lo, red = _v.parse("loss", loss, "loss"), _v.parse("reduction", reduction, "reduction")
        opt = _v.parse("optimizer", optimizer, "optimizer")
        if lr is None:
            lr = lib.nnb_default_lr(opt)
        if validation_data is not None and validation_split:
            raise InvalidArgumentError("give validation_split or validation_data, not both")
        xv = yv = None
        if validation_data is not None:
            try:
                xv, yv = validation_data
            except (TypeError, ValueError):
                raise InvalidArgumentError("validation_data must be a pair (X_val, y_val)") \
                    from None
            xv = self._x(xv, "X_val")
            yv = self._y(yv, xv.shape[0], "y_val")
        callbacks = [] if callback is None else (list(callback) if isinstance(
            callback, (list, tuple)) else [callback])
        for cb in callbacks:
            if not callable(cb):
                raise TypeError("callback must be callable, not %s" % type(cb).__name__)
        has_val = xv is not None or bool(validation_split)
        out_act = self.layer(self.n_layers - 1).activation if self.n_layers else None
        has_acc = out_act in ("sigmoid", "softmax")

        opts, hist = c_void_p(), c_void_p()
        check(lib.nnb_train_opts_create(byref(opts)))
        try:
            check(lib.nnb_history_create(byref(hist)))
            o = opts.value
            call("nnb_train_opts_set_epochs", o, _size(epochs, "epochs", 1))
            call("nnb_train_opts_set_batch_size", o, _size(batch_size, "batch_size"))
            call("nnb_train_opts_set_shuffle", o, 1 if shuffle else 0)
            call("nnb_train_opts_set_loss", o, lo, red)
            call("nnb_train_opts_set_optimizer", o, opt, float(lr))
            if momentum is not None:
                call("nnb_train_opts_set_momentum", o, float(momentum))
            opt_name = _v.name("optimizer", opt)
            if betas is not None or (eps is not None and opt_name in ("adam", "adamw")):
                b1, b2 = betas if betas is not None else (0.9, 0.999)
                call("nnb_train_opts_set_adam", o, float(b1), float(b2),
                     float(eps if eps is not None else 1e-8))
            if rho is not None or (eps is not None and opt_name == "rmsprop"):
                call("nnb_train_opts_set_rmsprop", o, float(rho if rho is not None else 0.99),
                     float(eps if eps is not None else 1e-8))
            call("nnb_train_opts_set_weight_decay", o, float(weight_decay))
            call("nnb_train_opts_set_clip_norm", o, float(clip_norm or 0.0))
            call("nnb_train_opts_set_clip_value", o, float(clip_value or 0.0))
            call("nnb_train_opts_set_dropout", o, float(dropout))
            if schedule is not None and schedule != "constant":
                if isinstance(schedule, str):
                    schedule = (schedule,)
                kind = _v.parse("schedule", schedule[0], "schedule")
                name = _v.name("schedule", kind)
                # how many values each takes (fewer: the defaults; more: an error, not ignored)
                least, most = {"step": (2, 2), "exponential": (1, 1), "cosine": (0, 2),
                               "cosine_restarts": (1, 3)}.get(name, (0, 0))
                if not least <= len(schedule) - 1 <= most:
                    raise InvalidArgumentError(
                        "schedule %r takes %s after its name, got %d: %r"
                        % (name, "%d value%s" % (most, "s" if most != 1 else "")
                           if least == most else "%d to %d values" % (least, most),
                           len(schedule) - 1, tuple(schedule)))
                params = [float(p) for p in schedule[1:]] + [0.0, 0.0, 1.0]
                call("nnb_train_opts_set_schedule", o, kind, params[0], params[1])
                if _v.name("schedule", kind) == "cosine_restarts":
                    call("nnb_train_opts_set_restart_mult", o,
                         params[2] if len(schedule) > 3 else 1.0)
            if xv is not None:
                call("nnb_train_opts_set_validation", o, _arrays.ptr(xv), _arrays.ptr(yv),
                     xv.shape[0])
            elif validation_split:
                call("nnb_train_opts_set_validation_split", o, float(validation_split),
                     _seed(seed if seed is not None else 0))
            call("nnb_train_opts_set_early_stopping", o, _size(patience, "patience"),
                 1 if restore_best else 0)
            call("nnb_train_opts_set_check_finite", o, 1 if check_finite else 0)

            state = {"exc": None, "stop": False}

            def on_epoch(_net, info_p, _user):
                info = info_p.contents
                if info.size < ctypes.sizeof(EpochInfo):  # a library older than this binding
                    state["exc"] = RuntimeError("libnnblas's epoch record has %d bytes, the "
                                                "binding needs %d: mismatched versions"
                                                % (info.size, ctypes.sizeof(EpochInfo)))
                    return 1
                epoch, tl, vl, ta, va = (info.epoch, info.train_loss, info.val_loss,
                                         info.train_acc, info.val_acc)
                secs, sps, up = info.seconds, info.samples_per_s, info.loss_went_up
                try:
                    logs = {"epoch": epoch, "loss": tl}
                    if has_val:
                        logs["val_loss"] = vl
                    if has_acc:
                        logs["accuracy"] = ta
                        if has_val:
                            logs["val_accuracy"] = va
                    logs.update(seconds=secs, lr=info.lr, samples_per_s=sps,
                                loss_went_up=bool(up))
                    if verbose:
                        print("epoch %d: " % epoch + "  ".join(
                            "%s %.4g" % (k, v) for k, v in logs.items()
                            if k not in ("epoch", "loss_went_up", "samples_per_s", "lr")) +
                            ("  (loss went up)" if up else ""), flush=True)
                    for cb in callbacks:
                        if cb(logs) is False:
                            state["stop"] = True
                            return 1
                    return 0
                except BaseException as e:  # KeyboardInterrupt too: stop, re-raise from fit
                    state["exc"] = e
                    return 1

            c_callback = EPOCH_INFO_FN(on_epoch)
            call("nnb_train_opts_set_epoch_info_callback", o, c_callback, None)

            with self._guard.write("Net.fit"):
                self._loss = (loss, reduction)  # evaluate()'s default, in callbacks too
                if seed is not None:
                    check(lib.nnb_net_seed(self._handle, _seed(seed)))
                # Ctrl-C stops training after the batch in progress (nnb_train_opts_request_stop)
                # and raises KeyboardInterrupt here; the network keeps its weights and a state
                # from which the next fit() continues
                with interruptible(lambda: lib.nnb_train_opts_request_stop(o)):
                    status = getattr(lib, "nnb_net_train" + self._f32(dt))(
                        self._handle, o, _arrays.ptr(X), X.shape[0], X.shape[1],
                        _arrays.ptr(y), y.shape[1], hist.value)
                    message = last_error() if status else ""

            if state["exc"] is not None:
                exc = state["exc"]
                state["exc"] = None  # no cycle through the traceback
                raise exc
            history = self._history(hist.value, has_val, has_acc)
            if status == CancelledError.status and state["stop"]:
                history.stopped_by_callback = True
            elif status:
                raise error_class(status)(message, status)
            return history
        finally:
            lib.nnb_history_free(hist.value)
            lib.nnb_train_opts_free(opts.value)

    @staticmethod
    def _history(h, has_val, has_acc):
        n = lib.nnb_history_n_epochs(h)
        history = History()
        keys = ["epoch", "loss"] + (["val_loss"] if has_val else []) + \
            (["accuracy"] + (["val_accuracy"] if has_val else []) if has_acc else []) + \
            ["seconds", "lr", "samples_per_s"]
        col = np.empty(n)
        for k in keys:
            check(lib.nnb_history_get(h, _v.parse("history_field", k), _arrays.ptr(col), n))
            history[k] = [int(v) for v in col] if k == "epoch" else col.tolist()
        best, best_loss, early = c_size_t(), c_double(), c_int()
        check(lib.nnb_history_summary(h, byref(best), byref(best_loss), byref(early)))
        history.best_epoch, history.best_loss = best.value, best_loss.value
        history.stopped_early = bool(early.value)
        return history

    @property
    def train_state(self):
        """The training state (optimiser moments, counters, generator) as portable bytes; assign
        such bytes to a network of the same shape (with its params) to resume training bit for
        bit."""
        with self._guard.read("Net.train_state"):
            n = lib.nnb_net_train_state_size(self._handle)
            buf = ctypes.create_string_buffer(n)
            written = c_size_t()
            check(lib.nnb_net_train_state_get(self._handle, buf, n, byref(written)))
        return buf.raw[:written.value]

    @train_state.setter
    def train_state(self, data):
        data = bytes(data)
        with self._guard.write("Net.train_state"):
            check(lib.nnb_net_train_state_set(self._handle, data, len(data)))

    def reset_train_state(self):
        """Forgets the optimiser moments and counters (not the weights, not the generator)."""
        with self._guard.write("Net.reset_train_state"):
            check(lib.nnb_net_train_state_reset(self._handle))
        return self

    # ---- model files ---------------------------------------------------------------------------

    def _model_args(self, prep, metadata):
        prep = self.prep if prep is None else prep
        if prep is not None and not isinstance(prep, Prep):
            raise TypeError("prep must be an nnblas.Prep (e.g. a Dataset's .prep), not %s"
                            % type(prep).__name__)
        metadata = dict(self.metadata if metadata is None else metadata)
        if self._loss and "train.loss" not in metadata:
            # as the nnblas command records it: `nnblas eval` and load() then know the loss
            metadata["train.loss"] = _v.canonical("loss", self._loss[0], "loss")
            metadata["train.reduction"] = self._loss[1]
        return prep, _Meta(metadata)

    def save(self, path, prep=None, metadata=None, train_state=False):
        """Saves the network to a model file (atomically: a crash leaves the old or the new
        file). prep (default: ``self.prep``) is a fitted :class:`Prep` stored with it, so the
        model applies to raw data; metadata (default: ``self.metadata``) a dict of str keys and
        values (numbers are written as text), to which the loss of the last fit() is added as
        "train.loss" and "train.reduction" unless given (the keys the `nnblas` command writes
        and reads); train_state=True also stores the optimiser state, so training resumes after
        a load exactly where it stopped. The file is the C library's format: nnb_model_read()
        and the `nnblas` command read it."""
        prep, meta = self._model_args(prep, metadata)
        with self._guard.read("Net.save"), meta, interruptible_if(8 * self.n_params):
            check(lib.nnb_model_write(fspath(path), self._handle,
                                      None if prep is None else prep._handle, meta._handle,
                                      1 if train_state else 0))

    def to_bytes(self, prep=None, metadata=None, train_state=False):
        """The bytes save() would write, as a bytes object."""
        prep, meta = self._model_args(prep, metadata)
        with self._guard.read("Net.to_bytes"), meta, interruptible_if(8 * self.n_params):
            args = (self._handle, None if prep is None else prep._handle, meta._handle,
                    1 if train_state else 0)
            # a first call with no room validates everything and tells the size needed
            buf, written = ctypes.create_string_buffer(1), c_size_t()
            status = lib.nnb_model_write_buffer(*args, buf, 0, byref(written))
            if status != ShapeError.status or written.value == 0:
                check(status)
            buf = ctypes.create_string_buffer(written.value)
            check(lib.nnb_model_write_buffer(*args, buf, len(buf), byref(written)))
        return buf.raw[:written.value]

    @classmethod
    def load(cls, path):
        """Loads a model file (written by save(), nnb_model_write() or `nnblas train`): the
        network, with ``.prep`` the stored preparation (or None) and ``.metadata`` the stored
        dict; a stored "train.loss" becomes evaluate()'s default loss."""
        return cls._loaded(lib.nnb_model_read, fspath(path))

    @classmethod
    def from_bytes(cls, data):
        """Loads a model from bytes made by to_bytes() (or nnb_model_write_buffer())."""
        data = bytes(data)
        return cls._loaded(lib.nnb_model_read_buffer, data, len(data))

    @classmethod
    def _loaded(cls, fn, *args):
        h, p, m = c_void_p(), c_void_p(), c_void_p()
        try:
            with interruptible():  # reading a file (or a pipe) of any size
                check(fn(byref(h), byref(p), byref(m), *args))
        except KeyboardInterrupt:  # Ctrl-C just after the load: nothing leaks
            lib.nnb_net_free(h.value)
            lib.nnb_prep_free(p.value)
            lib.nnb_meta_free(m.value)
            raise
        net = cls._from_handle(h.value)
        net.prep = Prep(p.value) if p.value else None
        meta = _Meta.__new__(_Meta)
        meta._h = m.value
        net.metadata = meta.to_dict()
        meta.close()
        loss = net.metadata.get("train.loss")
        try:
            _v.parse("loss", loss)
            _v.parse("reduction", net.metadata.get("train.reduction", "mean"))
            net._loss = (loss, net.metadata.get("train.reduction", "mean"))
        except (InvalidArgumentError, TypeError):
            pass  # no loss recorded, or one this library does not know
        return net

    # ---- exports (docs/export.md) ----------------------------------------------------------

    def _export_opts(self, name, input_scale=None, int8=False, own_math=False):
        opts = _ExportOpts()
        if name is not None:
            check(lib.nnb_export_opts_set_name(opts._handle, cstr(name, "name")))
        if input_scale is not None:
            check(lib.nnb_export_opts_set_input_scale(opts._handle, float(input_scale)))
        check(lib.nnb_export_opts_set_int8(opts._handle, 1 if int8 else 0))
        check(lib.nnb_export_opts_set_own_math(opts._handle, 1 if own_math else 0))
        return opts

    def to_onnx(self, path, prep=None, metadata=None, name=None, input_scale=None):
        """Writes the network as an ONNX file (IR version 7, opset 13; atomically) that
        onnxruntime and other ONNX runtimes run without nnblas. prep (default: ``self.prep``)
        goes into the graph, so that it takes raw values (a text category as its index in the
        list the metadata "nnblas.inputs" gives); without one it takes the network's inputs.
        metadata (default: ``self.metadata``) travels as "model.KEY" entries; a "data" entry
        beginning with "idx:" makes the graph take image bytes 0-255 (input_scale 1/255),
        unless input_scale says otherwise. name: the graph's name (a C identifier). The inputs
        are "input" (N x raw values, float32 or float64 as the network), the outputs "output"
        and, for a classifier, "class" (docs/export.md)."""
        prep, meta = self._model_args(prep, metadata)
        with self._guard.read("Net.to_onnx"), meta, self._export_opts(name, input_scale) as o:
            check(lib.nnb_onnx_write(fspath(path), self._handle,
                                      None if prep is None else prep._handle, meta._handle,
                                      o._handle))

    def to_c(self, path, header=None, prep=None, metadata=None, name=None, input_scale=None,
             int8=False, own_math=False):
        """Writes the network as one C99 source file and its header (default: path with .c
        replaced by .h), with the parameters compiled in: ``int NAME_predict(const float *in,
        float *out)`` (double for a float64 network) and ``NAME_predict_batch``, taking what
        to_onnx()'s graph takes. int8=True stores int8 weights with a scale per output unit
        or filter (int8_copy() shows what that costs); own_math=True gives the file its own exp
        and tanh (no <math.h>, no -lm)."""
        prep, meta = self._model_args(prep, metadata)
        with self._guard.read("Net.to_c"), meta, \
                self._export_opts(name, input_scale, int8, own_math) as o:
            check(lib.nnb_c_source_write(fspath(path), None if header is None else fspath(header),
                                   self._handle, None if prep is None else prep._handle,
                                   meta._handle, o._handle))

    def int8_copy(self):
        """A copy of the network whose weights are those of to_c(int8=True): each output unit's
        weights rounded to 255 levels of its own scale (nnb_net_copy_int8). evaluate() on
        it tells the accuracy the int8 export keeps. prep and metadata come along."""
        h = c_void_p()
        with self._guard.read("Net.int8_copy"):
            check(lib.nnb_net_copy_int8(byref(h), self._handle))
        net = Net._from_handle(h.value)
        net.prep, net.metadata, net._loss = self.prep, dict(self.metadata), self._loss
        return net

    def __reduce__(self):
        # pickle and copy.deepcopy go through the model format, training state included
        return (Net.from_bytes, (self.to_bytes(train_state=True),))


class _ExportOpts(Handle):
    """An nnb_export_opts handle for one export (a context manager that frees it)."""

    _free, _what = "nnb_export_opts_free", "export options"

    def __init__(self):
        h = c_void_p()
        check(lib.nnb_export_opts_create(byref(h)))
        self._h = h.value

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._release()


class _Meta(Handle):
    """An nnb_meta list made from a dict, for one save (a context manager that frees it)."""

    _free, _what = "nnb_meta_free", "metadata"

    def __init__(self, values):
        if not isinstance(values, dict):
            raise TypeError("metadata must be a dict of str keys and values, not %s"
                            % type(values).__name__)
        h = c_void_p()
        check(lib.nnb_meta_create(byref(h)))
        self._h = h.value
        try:
            for k, v in values.items():
                if isinstance(v, (bool, int, float, np.integer, np.floating)):
                    v = str(v)
                if not isinstance(k, str) or not isinstance(v, str):
                    raise TypeError("metadata keys and values must be str (or numbers as "
                                    "values), got %r: %r" % (k, v))
                check(lib.nnb_meta_set(self._h, cstr(k, "metadata key"),
                                       cstr(v, "metadata value")))
        except BaseException:
            self.close()
            raise

    def to_dict(self):
        return {text(lib.nnb_meta_key(self._h, i)): text(lib.nnb_meta_value(self._h, i))
                for i in range(lib.nnb_meta_n_keys(self._h))}

    def close(self):
        self._release()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
