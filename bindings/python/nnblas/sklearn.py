"""scikit-learn estimators over nnblas: :class:`NNBClassifier` and :class:`NNBRegressor`.

    from nnblas.sklearn import NNBClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.model_selection import GridSearchCV
    clf = NNBClassifier(hidden_layer_sizes=(32,), max_iter=300, random_state=0).fit(X, y)
    clf.predict(X[:5]), clf.predict_proba(X[:5]), clf.score(X, y)
    GridSearchCV(NNBClassifier(random_state=0), {"alpha": [1e-4, 1e-2]}).fit(X, y)

They follow scikit-learn's estimator contract (checked with
``sklearn.utils.estimator_checks.check_estimator``): parameters are stored unchanged by
``__init__`` and read by ``fit``; fitted state lives in attributes ending in ``_``; ``fit``
returns ``self``; inputs go through scikit-learn's validation (NaN, infinity, sparse, complex or
text data is refused with a ValueError or TypeError); ``clone``, ``pickle``, ``Pipeline`` and
``GridSearchCV`` work. The parameters are named as in scikit-learn's ``MLPClassifier`` /
``MLPRegressor`` where they mean the same thing.

Defaults and how they differ from MLPClassifier:

- ``standardize=True``: each input column is standardised with the training rows' mean and
  sample standard deviation (constant columns are only centred), by the C library's data
  preparation (nnb_prep_fit_matrix), which is stored with the network (``net_.prep``) and
  applied by predict. A network trained on raw features of very different scales learns
  slowly or not at all; scikit-learn's MLP leaves this to a ``StandardScaler`` in a pipeline.
  The regressor also standardises its targets (predictions are transformed back), so
  ``loss_curve_`` is in standardised units. ``standardize=False`` trains on the data as given;
  when the features' standard deviations then differ 100-fold or more, the first fit warns
  (``nnblas.ScaleWarning``), as the ``nnblas`` command does.
- ``activation``, ``solver`` and ``init`` take the names of the ``nnblas`` command and the C
  library (``relu``, ``leaky-relu`` = ``leaky_relu``, ``tanh``...; ``adam``, ``sgd``,
  ``momentum``, ``nesterov``, ``adamw``, ``rmsprop``, ``lm``; ``init="auto"`` = he_normal for
  relu and leaky relu, xavier_uniform otherwise), parsed by the C library (nnblas.vocabulary);
  ``init`` and ``learning_rate_init`` default to the command's choices (nnb_default_init,
  nnb_default_lr), which for adam is scikit-learn's 0.001.
- ``alpha`` is nnblas's weight decay: ``alpha * w`` is added to every parameter's gradient
  (biases too; decoupled for ``adamw``). scikit-learn's MLP scales its penalty by the batch
  size and spares the biases, so the same value is a different strength.
- ``early_stopping=True`` holds out ``validation_fraction`` of the rows (chosen with the
  seed), stops after ``n_iter_no_change`` epochs without a lower validation loss and keeps the
  best weights. Without it, training runs ``max_iter`` epochs (there is no ``tol``).
- the classifier has a sigmoid output and binary cross-entropy for two classes, softmax and
  cross-entropy for more; the regressor an identity output and the mean squared error.

- ``fill=None``: NaN in X is refused, as scikit-learn's estimators do. ``fill="mean"``,
  ``"median"`` or ``"most_frequent"`` takes NaN as a missing value and fills it with that value
  of the column's training rows (scikit-learn's ``SimpleImputer`` before the network), by the same
  C preparation as the scaling (``net_.prep``, filled first, then scaled), so predict fills new
  data the same way.

- convolutional networks: ``hidden_layer_sizes`` also takes the words of the ``nnblas``
  command's ``--layers`` (``("conv16x3p1", "maxpool2", 64)`` or ``"conv16x3p1,maxpool2,64"``), and
  X may be images of shape (n_samples, C, H, W) (read as rows of C*H*W values, NCHW); with 2-D X
  give ``input_shape=(C, H, W)``. Without a shape, convolution and pooling layers raise a
  ValueError, as do images of another shape than the fitted ones.

Fitted attributes: ``net_`` (the :class:`nnblas.Net`, with ``.prep``), ``input_shape_`` (the
images' (C, H, W), or None), ``n_features_in_`` (C*H*W for images),
``n_iter_`` (epochs run, across warm starts and partial_fit calls), ``loss_``, ``loss_curve_``,
``validation_loss_curve_`` (with early stopping, else empty), ``best_loss_``;
the classifier's ``classes_``, the regressor's ``n_outputs_``.
"""

import numbers

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets, unique_labels
from sklearn.utils.validation import check_is_fitted

from . import vocabulary
from .errors import InvalidArgumentError, NonFiniteError, ShapeError, warn_scales
from .net import Net

__all__ = ["NNBClassifier", "NNBRegressor"]


def _check_number(value, name, low, high=None, low_open=False, integer=False):
    kinds = (numbers.Integral,) if integer else (numbers.Real,)
    if isinstance(value, bool) or not isinstance(value, kinds):
        raise ValueError("%s must be %s, got %r" % (name, "an integer" if integer else "a number",
                                                    value))
    if not np.isfinite(value) or (value <= low if low_open else value < low) or \
            (high is not None and value > high):
        bound = "(%s, %s]" % (low, high) if low_open else "[%s, %s]" % (low, high)
        raise ValueError("%s must be in %s, got %r" % (name, bound.replace("None", "inf"), value))
    return value


def _target_stats(Y):
    """Mean and sample standard deviation of each column of Y: numpy's (as always) where they
    hold; where a sum or square overflows (targets above about 1e154) or the squares underflow
    (deviations below about 1e-154), the C library's, which scales the values first
    (nnb_prep_fit_matrix), so any finite targets can be standardised."""
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        mean = Y.mean(axis=0)
        std = Y.std(axis=0, ddof=1) if Y.shape[0] > 1 else np.zeros(Y.shape[1])
    tiny = (std < 1e-140) & (Y.max(axis=0) != Y.min(axis=0)) if Y.shape[0] > 1 else False
    bad = ~(np.isfinite(mean) & np.isfinite(std)) | tiny
    if bad.any():
        from .data import Prep
        cols = np.flatnonzero(bad)
        prep = Prep.fit_matrix(np.ascontiguousarray(Y[:, cols]), "standard")
        try:
            for k, j in enumerate(cols):
                stats = prep.column_stats("x%d" % k)
                mean[j], std[j] = stats["a"], stats["b"]
        finally:
            prep.close()
    return mean, std


def _unscale(out, scale, mean):
    """out * scale + mean, computed in halves where the product overflows and the result does
    not; NonFiniteError for a result that is not finite (never an infinite prediction)."""
    with np.errstate(over="ignore", invalid="ignore"):
        res = out * scale + mean
        redo = ~np.isfinite(res) & np.isfinite(out)
        if redo.any():
            res = np.where(redo, (out * (scale * 0.5) + mean * 0.5) * 2, res)
    bad = ~np.isfinite(res)
    if bad.any():
        r, j = np.argwhere(bad)[0]
        why = "beyond float64's range in the targets' units" if np.isfinite(out[r, j]) else \
            "%r: the network's weights are not finite (did training diverge?)" % out[r, j]
        raise NonFiniteError("NNBRegressor.predict: the prediction for row %d, target %d is %s"
                             % (r, j, why))
    return res


class _NNBBase(BaseEstimator):
    """What the classifier and the regressor share (not public)."""

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", solver="adam",
                 alpha=1e-4, batch_size="auto", learning_rate_init=None, max_iter=200,
                 shuffle=True, random_state=None, warm_start=False, momentum=0.9,
                 beta_1=0.9, beta_2=0.999, epsilon=1e-8, early_stopping=False,
                 validation_fraction=0.1, n_iter_no_change=10, init="auto", standardize=True,
                 verbose=0, fill=None, input_shape=None):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.warm_start = warm_start
        self.momentum = momentum
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.init = init
        self.standardize = standardize
        self.fill = fill
        self.verbose = verbose
        self.input_shape = input_shape

    # ---- what the subclasses say -----------------------------------------------------------

    def _encode_y(self, y, first, incremental, classes):
        """y as the network's targets; sets the y-dependent attributes when first."""
        raise NotImplementedError

    def _n_outputs(self):
        raise NotImplementedError

    # ---- checks ----------------------------------------------------------------------------

    def _hidden(self):
        """The hidden layers: numbers of units (int) and the words of the command's --layers
        (str: "conv8x3p1", "maxpool2", "32"); a str of words separated by commas is split."""
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, numbers.Integral) and not isinstance(sizes, bool):
            sizes = [sizes]
        elif isinstance(sizes, str):
            sizes = sizes.split(",") if sizes.strip() else []
        try:
            sizes = list(sizes)
        except TypeError:
            raise ValueError("hidden_layer_sizes must be a sequence of positive integers or layer "
                             "words (\"conv32x3p1\", \"maxpool2\"), got %r"
                             % (self.hidden_layer_sizes,)) from None
        out = []
        for s in sizes:
            if isinstance(s, str):
                if not s.strip():
                    raise ValueError("hidden_layer_sizes has an empty layer word: %r"
                                     % (self.hidden_layer_sizes,))
                out.append(s.strip())
            else:
                out.append(int(_check_number(s, "each of hidden_layer_sizes", 1, integer=True)))
        return out

    def _spatial(self):
        """1 if a hidden layer is a convolution or a pooling (a word not made of digits)."""
        return any(isinstance(s, str) and not s.isdigit() for s in self._hidden())

    def _shape_param(self):
        """input_shape as a tuple of three positive integers, or None."""
        if self.input_shape is None:
            return None
        shape = self.input_shape
        if isinstance(shape, (str, bytes)) or not hasattr(shape, "__len__") or len(shape) != 3:
            raise ValueError("input_shape must be None or (channels, height, width), got %r"
                             % (shape,))
        return tuple(int(_check_number(v, "each of input_shape", 1, integer=True))
                     for v in shape)

    def _check_params(self):
        for name in ("activation", "solver", "init"):
            if not isinstance(getattr(self, name), str):
                raise ValueError("%s must be a name (str), got %r" % (name, getattr(self, name)))
        act = vocabulary.canonical("activation", self.activation, "activation")
        if act == "softmax":
            raise ValueError("activation is the hidden layers' and cannot be softmax")
        solver = vocabulary.canonical("optimizer", self.solver, "solver")
        init = None if self.init.lower() == "auto" else \
            vocabulary.canonical("init", self.init, "init")
        if self.fill is not None:
            if not isinstance(self.fill, str):
                raise ValueError("fill must be None or a name (\"mean\", \"median\", "
                                 "\"most_frequent\"), got %r" % (self.fill,))
            vocabulary.canonical("fill", self.fill, "fill")
        _check_number(self.alpha, "alpha", 0.0)
        if self.learning_rate_init is not None:
            _check_number(self.learning_rate_init, "learning_rate_init", 0.0, low_open=True)
        _check_number(self.max_iter, "max_iter", 1, integer=True)
        _check_number(self.momentum, "momentum", 0.0, 1.0)
        _check_number(self.beta_1, "beta_1", 0.0, 1.0)
        _check_number(self.beta_2, "beta_2", 0.0, 1.0)
        _check_number(self.epsilon, "epsilon", 0.0, low_open=True)
        _check_number(self.validation_fraction, "validation_fraction", 0.0, 1.0, low_open=True)
        if self.validation_fraction >= 1:
            raise ValueError("validation_fraction must be below 1, got %r"
                             % self.validation_fraction)
        _check_number(self.n_iter_no_change, "n_iter_no_change", 1, integer=True)
        self._hidden()
        self._shape_param()
        if not (self.batch_size == "auto" or isinstance(self.batch_size, numbers.Integral)):
            raise ValueError("batch_size must be 'auto' or a positive integer, got %r"
                             % (self.batch_size,))
        if self.batch_size != "auto":
            _check_number(self.batch_size, "batch_size", 1, integer=True)
        return act, solver, init

    def _finite(self):
        """What scikit-learn's validation lets through: NaN (a missing value) when filled."""
        return "allow-nan" if self.fill is not None else True

    def _seed(self):
        return int(check_random_state(self.random_state).randint(0, 2 ** 31 - 1))

    # ---- fitting ---------------------------------------------------------------------------

    def _images(self, X, reset):
        """X of images (n_samples, C, H, W) as rows of C*H*W values (NCHW, the network's order)
        and their shape; any other X as it is, and None. When fitting (`reset`), the shape is
        input_shape_; else it must be the fitted one."""
        shape = getattr(X, "shape", None)
        if shape is None and isinstance(X, (list, tuple)):
            try:
                arr = np.asarray(X)
            except (TypeError, ValueError):
                return X, None
            shape = arr.shape if arr.dtype != object else None
            X = arr if shape is not None and len(shape) == 4 else X
        if shape is None or len(shape) != 4:
            return X, None
        img = tuple(int(v) for v in shape[1:])
        want = self._shape_param() if reset else getattr(self, "input_shape_", None)
        if want is not None and img != tuple(want):
            raise ValueError("X holds images of %s (C, H, W), %s %s" % (
                img, "input_shape is" if reset else "the estimator was fitted on",
                tuple(want)))
        return np.asarray(X).reshape(shape[0], -1), img

    def _fit_shape(self, X, img):
        """input_shape_ of a new fit: the images' shape, or input_shape (which must make the
        columns of X), or None; ValueError when convolution or pooling layers have no shape."""
        shape = img or self._shape_param()
        if shape is not None and img is None and shape[0] * shape[1] * shape[2] != X.shape[1]:
            raise ValueError("input_shape %r makes %d values per sample, X has %d features"
                             % (shape, shape[0] * shape[1] * shape[2], X.shape[1]))
        if shape is None and self._spatial():
            raise ValueError("hidden_layer_sizes has convolution or pooling layers (%r): give "
                             "input_shape=(channels, height, width) or X of images of shape "
                             "(n_samples, channels, height, width)" % (self.hidden_layer_sizes,))
        self.input_shape_ = shape

    def _validate(self, X, y, reset):
        X, img = self._images(X, reset)
        X, y = self._validate_data(X, y, reset=reset, dtype=np.float64, order="C",
                                   force_all_finite=self._finite(),
                                   multi_output=self._multi_output, y_numeric=not self._classes)
        if reset:
            self._fit_shape(X, img)
        if X.shape[0] < 2 and self.standardize and reset:
            raise ValueError("%s with standardize=True needs at least 2 samples to fit, got "
                             "n_samples = %d" % (type(self).__name__, X.shape[0]))
        return X, y

    def _check_memory(self, n_rows, layers, solver):
        """TooLargeError naming hidden_layer_sizes before anything is allocated, when training
        such a network (weights, gradients, optimiser state, a batch's workspace: the C
        library's nnb_net_train_memory_dense) needs more memory than the process can get."""
        import ctypes
        from ._lib import check, lib
        from .errors import TooLargeError

        def need(units):
            arr = (ctypes.c_size_t * len(units))(*units)
            opts, out = ctypes.c_void_p(), ctypes.c_size_t()
            check(lib.nnb_train_opts_create(ctypes.byref(opts)))
            try:
                check(lib.nnb_train_opts_set_optimizer(opts, vocabulary.parse("optimizer", solver),
                                                       0.001))
                batch = 0 if solver == "lm" else (min(200, n_rows) if self.batch_size == "auto"
                                                  else int(self.batch_size))
                check(lib.nnb_train_opts_set_batch_size(opts, batch))
                status = lib.nnb_net_train_memory_dense(layers[0], ctypes.addressof(arr), len(units),
                                                    0, opts, n_rows, ctypes.byref(out))
            finally:
                lib.nnb_train_opts_free(opts)
            return out.value if status == 0 else None

        units = list(layers[1:])
        total, avail = need(units), lib.nnb_get_available_memory()
        if total is None or total <= avail:
            return  # a shape the library refuses says so itself when the network is made
        costs = [(total - (need(units[:k] + [1] + units[k + 1:]) or 0), k)
                 for k in range(len(units) - 1)]
        worst = max(costs) if costs else (total, None)
        where = ("hidden_layer_sizes[%d] = %d: the layer needs %.1f GiB to train; "
                 % (worst[1], units[worst[1]], worst[0] / 2 ** 30)) if worst[1] is not None else ""
        raise TooLargeError("%s%s: %straining the network needs %.1f GiB, more than the %.1f GiB "
                            "of memory available" % (type(self).__name__, ".fit", where,
                                                     total / 2 ** 30, avail / 2 ** 30))

    def _new_net(self, X, act, init):
        hidden = self._hidden()
        layers = [X.shape[1]] + hidden + [self._n_outputs()]
        if all(isinstance(u, int) for u in hidden):
            self._check_memory(X.shape[0], layers, vocabulary.canonical("optimizer", self.solver))
        out = self._output_activation()
        scheme = init or vocabulary.default_init(act if hidden else out)
        seed = self._seed()
        shape = self.input_shape_
        try:
            net = Net(layers[1:] if shape else layers, activation=act, output=out, init=scheme,
                      seed=seed, input_shape=shape)
        except (InvalidArgumentError, ShapeError) as e:
            raise ValueError("hidden_layer_sizes %r: %s" % (self.hidden_layer_sizes, e)) from None
        if self.standardize or self.fill is not None:
            from .data import Prep
            net.prep = Prep.fit_matrix(X, "standard" if self.standardize else "none",
                                       fill=self.fill)
        if not self.standardize:
            cols = getattr(self, "feature_names_in_", None)
            warn_scales(X, {j: str(cols[j]) if cols is not None else "x%d" % j
                            for j in range(X.shape[1])}, "standardize=True (the default)")
        self.net_ = net
        self.n_iter_ = 0
        self.loss_curve_ = []
        self.validation_loss_curve_ = []
        self.best_loss_ = np.inf

    def _inputs(self, X):
        """X as the network reads it (standardised by the stored preparation)."""
        prep = self.net_.prep
        return prep.transform(X) if prep is not None else X

    def _train(self, X, Y, epochs, solver, validation):
        n = X.shape[0]
        if solver == "lm":
            batch = 0
        elif self.batch_size == "auto":
            batch = min(200, n)
        else:
            batch = min(int(self.batch_size), n)
        kw = {}
        if solver in ("momentum", "nesterov"):
            kw["momentum"] = float(self.momentum)
        if solver in ("adam", "adamw"):
            kw["betas"] = (float(self.beta_1), float(self.beta_2))
            kw["eps"] = float(self.epsilon)
        if solver == "rmsprop":
            kw["eps"] = float(self.epsilon)
        if validation:
            kw["validation_split"] = float(self.validation_fraction)
            kw["patience"] = int(self.n_iter_no_change)
            kw["seed"] = self._seed()
        history = self.net_.fit(self._inputs(X), Y, epochs=int(epochs), batch_size=batch,
                                lr=None if self.learning_rate_init is None
                                else float(self.learning_rate_init), optimizer=solver,
                                loss=self._loss, weight_decay=float(self.alpha),
                                shuffle=bool(self.shuffle), verbose=self.verbose, **kw)
        self.n_iter_ += len(history["loss"])
        self.loss_curve_ += history["loss"]
        self.validation_loss_curve_ += history.get("val_loss", [])
        self.loss_ = self.loss_curve_[-1]
        self.best_loss_ = min(self.best_loss_, history.best_loss)
        return self

    def _fit(self, X, y, incremental, classes=None):
        act, solver, init = self._check_params()
        fitted = hasattr(self, "net_")
        keep = fitted and (incremental or self.warm_start)
        X, y = self._validate(X, y, reset=not keep)
        if classes is not None and keep and \
                not np.array_equal(unique_labels(classes), self.classes_):
            raise ValueError("classes %r differ from the classes of the first partial_fit: %r"
                             % (list(classes), list(self.classes_)))
        Y = self._encode_y(y, not keep, incremental, classes)
        if not keep:
            self._new_net(X, act, init)
        elif self.net_.n_outputs != self._n_outputs():
            raise ValueError("y has %d outputs, the fitted network %d"
                             % (self._n_outputs(), self.net_.n_outputs))
        validation = self.early_stopping and not incremental
        return self._train(X, Y, 1 if incremental else self.max_iter, solver, validation)

    def fit(self, X, y):
        """Trains on X (n_samples x n_features) and y for max_iter epochs (fewer with early
        stopping); a new network unless warm_start is set and the estimator is fitted, in which
        case training continues from the current weights and optimiser state. Returns self."""
        return self._fit(X, y, incremental=False)

    def _predict_raw(self, X):
        check_is_fitted(self)
        X, _ = self._images(X, reset=False)
        X = self._validate_data(X, reset=False, dtype=np.float64, order="C",
                                force_all_finite=self._finite())
        return self.net_.predict(self._inputs(X))



class NNBClassifier(ClassifierMixin, _NNBBase):
    """A multi-layer perceptron classifier trained by nnblas (scikit-learn estimator).

    Two classes: one sigmoid output and binary cross-entropy; more: softmax and cross-entropy.
    Labels may be any sortable values (numbers or strings); ``classes_`` holds them sorted.

    Parameters (defaults in brackets): hidden_layer_sizes [(100,)]; activation of the hidden
    layers ["relu"; also "leaky-relu", "tanh", "sigmoid", "identity"]; solver ["adam"; also
    "adamw", "sgd", "momentum", "nesterov", "rmsprop"]; alpha, the weight decay [1e-4];
    batch_size ["auto" = min(200, n_samples)]; learning_rate_init [None: the solver's default,
    as the command's: 0.001 for adam, adamw and rmsprop, 0.01 else]; max_iter, epochs
    [200]; shuffle [True]; random_state [None: a new seed per fit]; warm_start [False];
    momentum [0.9]; beta_1, beta_2, epsilon [Adam's 0.9, 0.999, 1e-8]; early_stopping [False],
    validation_fraction [0.1], n_iter_no_change [10]; init ["auto": he for relu, else xavier;
    "normal", "xavier", "he", "orthogonal"]; standardize [True]; verbose [0]; fill [None: NaN
    refused; "mean", "median", "most_frequent": NaN filled with that value of the training rows];
    input_shape [None: from X of images (N, C, H, W); (C, H, W) for rows]. hidden_layer_sizes
    may hold convolution and pooling layers in the command's words ("conv16x3p1", "maxpool2").
    See the module's documentation for what differs from scikit-learn's MLPClassifier.
    """

    _classes = True
    _multi_output = False

    def _target_kind(self):
        # two classes: one output (the index of the class); more: one output per class
        return "index" if len(self.classes_) == 2 else "onehot"

    def _output_activation(self):
        return vocabulary.default_output(self._target_kind())  # sigmoid, softmax

    @property
    def _loss(self):
        return vocabulary.default_loss(self._output_activation(), self._target_kind())

    def _n_outputs(self):
        return 1 if len(self.classes_) == 2 else len(self.classes_)

    def _encode_y(self, y, first, incremental, classes):
        check_classification_targets(y)
        if first:
            if classes is None and incremental:
                raise ValueError("classes must be given to the first partial_fit call")
            cls = unique_labels(y if classes is None else classes)
            if len(cls) < 2:
                raise ValueError("%s needs at least 2 classes to train; y holds one class: %r"
                                 % (type(self).__name__, cls[0] if len(cls) else None))
            self.classes_ = cls
        unknown = np.setdiff1d(unique_labels(y), self.classes_)
        if unknown.size:
            raise ValueError("y holds labels %r not among classes_ %r"
                             % (list(unknown), list(self.classes_)))
        idx = np.searchsorted(self.classes_, y).astype(np.float64)
        if len(self.classes_) == 2:
            return np.ascontiguousarray(idx.reshape(-1, 1))
        Y = np.zeros((idx.size, len(self.classes_)))
        Y[np.arange(idx.size), idx.astype(np.intp)] = 1.0
        return Y

    def partial_fit(self, X, y, classes=None):
        """One epoch over (X, y), continuing from the current weights (a new network on the
        first call, which must give every class in `classes`). Early stopping does not apply.
        Returns self."""
        return self._fit(X, y, incremental=True, classes=classes)

    def predict_proba(self, X):
        """Class probabilities, n_samples x n_classes, in the order of classes_."""
        out = self._predict_raw(X)
        if out.shape[1] == 1:
            return np.hstack([1.0 - out, out])
        return out

    def predict_log_proba(self, X):
        """The logarithm of predict_proba (-inf for a probability of 0)."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X):
        """The most probable class of each row (the first one on a tie)."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]


class NNBRegressor(RegressorMixin, _NNBBase):
    """A multi-layer perceptron regressor trained by nnblas (scikit-learn estimator).

    An identity output layer, one unit per target (y may be n_samples x n_targets), trained
    on the mean squared error; with standardize=True (default) inputs and targets are
    standardised for training and predictions transformed back. The parameters and their
    defaults are the classifier's (see :class:`NNBClassifier`); solver may also be "lm"
    (Levenberg-Marquardt: full batch, small networks).
    """

    _classes = False
    _multi_output = True

    def _output_activation(self):
        return vocabulary.default_output("values")  # identity

    @property
    def _loss(self):
        return vocabulary.default_loss("identity", "values")  # mse

    def _n_outputs(self):
        return self.n_outputs_

    def _encode_y(self, y, first, incremental, classes):
        y = np.asarray(y, dtype=np.float64)
        Y = y.reshape(-1, 1) if y.ndim == 1 else y
        if first:
            self.n_outputs_ = Y.shape[1]
            self._y_1d = y.ndim == 1
            if self.standardize:
                mean, std = _target_stats(Y)
                self._y_mean, self._y_scale = mean, np.where(std > 0, std, 1.0)
            else:
                self._y_mean, self._y_scale = np.zeros(Y.shape[1]), np.ones(Y.shape[1])
        elif Y.shape[1] != self.n_outputs_:
            raise ValueError("y has %d targets, the estimator was fitted with %d"
                             % (Y.shape[1], self.n_outputs_))
        return np.ascontiguousarray((Y - self._y_mean) / self._y_scale)

    def partial_fit(self, X, y):
        """One epoch over (X, y), continuing from the current weights (a new network, and the
        scalings of X and y, from the first call). Early stopping does not apply. Returns
        self."""
        return self._fit(X, y, incremental=True)

    def predict(self, X):
        """Predicted targets: a vector if fitted on a vector y, else n_samples x n_targets.
        A prediction that is not finite (beyond float64's range in the targets' units, or from a
        network whose weights diverged) raises nnblas.NonFiniteError naming its row."""
        out = _unscale(self._predict_raw(X), self._y_scale, self._y_mean)
        return out.ravel() if self._y_1d else out

    def _more_tags(self):
        return {"multioutput": True}
