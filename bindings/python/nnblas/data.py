"""Reading data into numpy arrays: CSV files with a preparation (roles, one-hot, scaling,
seeded splits), IDX files and MNIST-style folders (Fashion-MNIST).

Every reader asks C for the shape first, allocates the numpy arrays, and lets C fill them: no
second full-size copy is made.
"""

import csv
import io
import ctypes
import math
import re
from ctypes import byref, c_char_p, c_double, c_int, c_size_t, c_void_p

import numpy as np

from . import _arrays
from . import vocabulary as _v
from ._interrupt import interruptible, interruptible_if, interrupts
from ._args import seed as _seed, size as _size
from ._lib import Handle, call, check, cstr, fspath, lib, text
from .errors import FormatError, InvalidArgumentError, UnseenCategoryWarning, warn_scales

FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"


def _names(value, what):
    """A column name or a list of them as a list."""
    if value is None or value is False:
        return []
    if isinstance(value, str):
        return [value]
    try:
        names = list(value)
    except TypeError:
        raise TypeError("%s must be a column name or a list of names" % what) from None
    for n in names:
        if not isinstance(n, str):
            raise TypeError("%s must hold column names (str), got %r" % (what, n))
    return names


class Dataset(tuple):
    """What the readers return: a tuple, so it unpacks like scikit-learn's results —

        X, y = nnblas.read_csv(path, target="admit")                       # no test part
        X_train, X_test, y_train, y_test = nnblas.read_csv(path, target="admit",
                                                            test_fraction=0.1)

    (y is None without a target) — with attributes: ``prep`` (the fitted :class:`Prep`, to
    apply to new data or to save with a model), ``feature_names``, ``target_names`` and
    ``classes`` (class labels of a classification target, else None).
    """

    def __new__(cls, parts, prep=None):
        self = super().__new__(cls, parts)
        self.prep = prep
        return self

    @property
    def feature_names(self):
        return self.prep.feature_names if self.prep is not None else None

    @property
    def target_names(self):
        return self.prep.target_names if self.prep is not None else None

    @property
    def classes(self):
        return self.prep.classes if self.prep is not None else None


class Prep(Handle):
    """A data preparation (an nnb_prep handle): column roles, one-hot encodings and scalings,
    fitted on training rows, applied to any data with the same columns. read_csv() and
    load_mnist() make one; a model file stores it with the network."""

    def __init__(self, _handle=None, csv_options=None):
        if _handle is None:
            h = c_void_p()
            check(lib.nnb_prep_create(byref(h)))
            _handle = h.value
        self._h = _handle
        self.csv_options = dict(csv_options or {})

    _free, _what = "nnb_prep_free", "preparation"

    def close(self):
        """Frees the C preparation now; further use raises StateError."""
        self._release()

    @classmethod
    def fit_matrix(cls, X, scale="standard", fill=None):
        """A preparation fitted on the columns of a matrix (e.g. images): each column scaled
        with `scale` ("standard", "minmax" or "none"). fill ("mean", "median" or
        "most_frequent"; default None: NaN is refused) fills the NaN cells of every column with
        that value of its present cells, here and in :meth:`transform` (filled first, scaled
        after). Apply it with :meth:`transform`."""
        X = _arrays.matrix(X, "X")
        p = cls()
        if fill is not None:
            check(lib.nnb_prep_fill(p._handle, None, _v.parse("fill", fill, "fill")))
        with interruptible_if(X.size):
            check(lib.nnb_prep_fit_matrix(p._handle, _arrays.ptr(X), X.shape[0], X.shape[1],
                                          _v.parse("scale", scale, "scale")))
        return p

    def transform(self, X, inplace=False):
        """Applies a matrix preparation (fit_matrix) to X: a new array, or X itself changed in
        place with inplace=True (X must then be a C-contiguous float64 or float32 array). A
        float32 X gives float32 (nnb_prep_transform_f32), anything else float64."""
        f32 = isinstance(X, np.ndarray) and X.dtype == np.float32
        if inplace and f32:
            if not X.flags.c_contiguous or not X.flags.writeable:
                raise InvalidArgumentError("X must be a writeable C-contiguous array for inplace")
        elif inplace:
            X = _arrays.output(X, X.shape if isinstance(X, np.ndarray) else (), "X")
        elif f32:
            X = np.array(X, dtype=np.float32, order="C", copy=True)
        else:
            X = np.array(_arrays.as_float64(X, "X"), dtype=np.float64, order="C", copy=True)
        if X.ndim != 2:
            raise InvalidArgumentError("X must be a 2-D array, got shape %s" % (X.shape,))
        fn = lib.nnb_prep_transform_f32 if f32 else lib.nnb_prep_transform
        with interruptible_if(X.size):
            check(fn(self._handle, _arrays.ptr(X), X.shape[0], X.shape[1]))
        return X

    def inverse_targets(self, y):
        """Undoes the scaling of regression targets (e.g. on predictions): a new array, float32
        for float32 y (a float32 network's predictions; nnb_prep_inverse_targets_f32), else
        float64."""
        if isinstance(y, np.ndarray) and y.dtype == np.float32:
            y = np.array(y, dtype=np.float32, order="C", copy=True)
            fn = lib.nnb_prep_inverse_targets_f32
        else:
            y = np.array(_arrays.as_float64(y, "y"), dtype=np.float64, order="C", copy=True)
            fn = lib.nnb_prep_inverse_targets
        y2 = y.reshape(-1, 1) if y.ndim == 1 else y
        check(fn(self._handle, _arrays.ptr(y2), y2.shape[0], y2.shape[1]))
        return y

    def transform_csv(self, path, targets=True, dtype=np.float64, **csv_options):
        """Reads a CSV file and applies this (fitted) preparation to all its rows: returns
        (X, y), or X alone with targets=False (the file then need not have the target columns).

        The file is read the way the training data was: the columns the preparation read as
        text are read as text, and the file's other columns (ones dropped or never used) are
        skipped, which works for a preparation loaded from a model file too. The delimiter and
        drop_bad_rows default to those of read_csv(); any CSV option given here (delimiter,
        drop_bad_rows, text_columns, skip) overrides. dtype: float64 (default) or float32
        arrays, written in that type directly."""
        opts = dict(self.csv_options)
        opts.update(csv_options)
        delimiter = opts.get("delimiter", ",")
        columns = self.columns
        data = _read_input(path, opts.get("input_limit"))  # once: a pipe cannot be read twice
        header = _csv_header(data, delimiter)
        in_header = set(header)  # a look-up per column: a list would make it quadratic
        opts["decimal"] = _decimal(opts.get("decimal", "auto"), data, delimiter)
        if "keep_missing" not in csv_options:  # the filled columns' missing cells
            opts["keep_missing"] = [c for c in self.fills if c in in_header]
        if "text_columns" not in csv_options:
            opts["text_columns"] = [c["name"] for c in columns
                                    if c["text"] and c["name"] in in_header]
        if "skip" not in csv_options:
            used = {c["name"] for c in columns}
            opts["skip"] = [h for h in header if h not in used]
        table = _Table(path, data=data, **opts)
        try:
            return self._apply(table, None, table.n_rows, targets, dtype)
        finally:
            table.close()

    @property
    def columns(self):
        """The input columns the preparation reads, in the order of the data it was fitted on:
        dicts with name, target (a target column), text (read as text) and categories (the
        one-hot categories of a feature or the classes of a target, else None)."""
        out = []
        name, is_target, is_text, n_cat = c_char_p(), c_int(), c_int(), c_size_t()
        for i in range(lib.nnb_prep_n_columns(self._handle)):
            check(lib.nnb_prep_column_info(self._handle, i, byref(name), byref(is_target),
                                           byref(is_text), byref(n_cat)))
            cats = [text(lib.nnb_prep_column_category(self._handle, i, k))
                    for k in range(n_cat.value)] if n_cat.value else None
            out.append({"name": text(name.value), "target": bool(is_target.value),
                        "text": bool(is_text.value), "categories": cats})
        return out

    def _apply(self, table, rows, n, targets, dtype=np.float64):
        """X (and y) of the rows, float64 or float32 (nnb_prep_apply_f32: written as float32
        directly, no float64 copy)."""
        nf, ny = self.n_features, self.n_targets
        dt = _float_dtype(dtype)
        X = np.empty((n, nf), dtype=dt)
        Y = np.empty((n, ny), dtype=dt) if targets and ny else None
        fn = lib.nnb_prep_apply_f32 if dt == np.float32 else lib.nnb_prep_apply
        with interruptible_if(X.size):
            check(fn(self._handle, table.h, None if rows is None else _arrays.ptr(rows), n,
                     _arrays.ptr(X), X.size, None if Y is None else _arrays.ptr(Y),
                     0 if Y is None else Y.size))
        return (X, Y) if targets else X

    @property
    def fitted(self):
        return bool(lib.nnb_prep_is_fitted(self._handle))

    @property
    def n_features(self):
        return lib.nnb_prep_n_features(self._handle)

    @property
    def n_targets(self):
        return lib.nnb_prep_n_targets(self._handle)

    @property
    def feature_names(self):
        """Names of the X columns ("gre", "rank_1", ...)."""
        return [text(lib.nnb_prep_feature_name(self._handle, j)) for j in range(self.n_features)]

    @property
    def target_names(self):
        """Names of the Y columns ("admit", or "species_setosa"... for a one-hot target)."""
        return [text(lib.nnb_prep_target_name(self._handle, j)) for j in range(self.n_targets)]

    @property
    def classes(self):
        """Class labels of a classification target as they read in the data, else None."""
        k = lib.nnb_prep_n_classes(self._handle)
        return [text(lib.nnb_prep_class_label(self._handle, i)) for i in range(k)] if k else None

    @property
    def constant_columns(self):
        """Scaled columns found constant when fitted (only shifted, never divided by zero)."""
        return [text(lib.nnb_prep_constant_name(self._handle, i))
                for i in range(lib.nnb_prep_n_constant_columns(self._handle))]

    @property
    def fills(self):
        """The fitted fills of missing cells: {column: (fill, value)} for every filled input
        column, value the number (numeric columns) or the category (one-hot ones)."""
        out = {}
        how, value, cat = c_int(), c_double(), c_char_p()
        for c in self.columns:
            check(lib.nnb_prep_column_fill(self._handle, cstr(c["name"], "column"), byref(how),
                                           byref(value), byref(cat)))
            if how.value:
                out[c["name"]] = (_v.name("fill", how.value),
                                  text(cat.value) if cat.value is not None else value.value)
        return out

    def column_stats(self, column):
        """The fitted scaling of a numeric column: a dict with scale ("none", "standard",
        "minmax"), a and b (mean and sample standard deviation, or min and max) and constant."""
        how, a, b, const = c_int(), c_double(), c_double(), c_int()
        check(lib.nnb_prep_column_stats(self._handle, cstr(column, "column"), byref(how),
                                        byref(a), byref(b), byref(const)))
        return {"scale": _v.name("scale", how.value) or how.value, "a": a.value, "b": b.value,
                "constant": bool(const.value)}

    def __repr__(self):
        if self._h is None:
            return "<nnblas.Prep (closed)>"
        if not self.fitted:
            return "<nnblas.Prep (not fitted)>"
        return "<nnblas.Prep %d features -> %d targets>" % (self.n_features, self.n_targets)


_FLOATS = (np.dtype(np.float64), np.dtype(np.float32))


def _float_dtype(dtype):
    """np.float64 or np.float32 for None (float64), a numpy dtype or type, or a name: first the C
    library's vocabulary (nnb_dtype_parse: f64, float64, double, f32, float32, single, as
    Net's dtype= and the command's --dtype), then numpy's ("f4", "<f8"); InvalidArgumentError
    for anything else. (np.dtype(None) is float64, so an unknown name must never reach a
    comparison as None: "f32" once gave float64 arrays.) The name "float" is refused as the
    library refuses it (C's float is float32, numpy's float64), never handed to numpy; the type
    float (Python's, a C double) is float64, as numpy reads it."""
    if dtype is None:
        return _FLOATS[0]
    if isinstance(dtype, str):
        try:
            return _FLOATS[1] if _v.parse("dtype", dtype, "dtype") == 1 else _FLOATS[0]
        except InvalidArgumentError as e:
            if "ambiguous" in str(e):  # "float": the library names both meanings
                raise
            unknown = e
        try:
            dt = np.dtype(dtype)
        except TypeError:
            raise unknown from None
        if dt in _FLOATS:
            return dt
        raise unknown
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dt is None or dt not in _FLOATS:
        raise InvalidArgumentError("dtype %r: float64 or float32" % (dtype,))
    return dt


def _csv_header(data, delimiter):
    """The column names of the header row of a CSV file's bytes (for choosing what to skip)."""
    f = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", errors="replace", newline="")
    try:
        return next(csv.reader(f, delimiter=delimiter))
    except StopIteration:
        return []


_libc_free = ctypes.CDLL(None).free
_libc_free.argtypes = [c_void_p]
_libc_free.restype = None


def _path_bytes(path):
    path = fspath(path)
    return path if isinstance(path, bytes) else path.encode()


def _read_input(path, limit):
    """The whole input as bytes, read once (nnb_input_read: a regular file to its size, a pipe,
    FIFO or device up to the input limit; a NUL byte refused)."""
    buf, n = c_char_p(), c_size_t()
    try:
        with interruptible():  # a file of any size, or a pipe that may wait
            check(lib.nnb_input_read(_path_bytes(path), 0 if limit is None else int(limit), 1,
                                     byref(buf), byref(n)))
    except KeyboardInterrupt:
        _libc_free(ctypes.cast(buf, c_void_p))  # read just before Ctrl-C: not leaked
        raise
    addr = ctypes.cast(buf, c_void_p)  # the buffer itself (c_char_p would copy up to a NUL)
    try:
        return ctypes.string_at(addr, n.value)
    finally:
        _libc_free(addr)


class _Table:
    """A CSV file read into an nnb_table (freed by close())."""

    def __init__(self, path, text_columns=(), skip=(), delimiter=",", drop_bad_rows=False,
                 input_limit=None, data=None, decimal=".", keep_missing=()):
        opts = c_void_p()
        check(lib.nnb_csv_opts_create(byref(opts)))
        h = c_void_p()
        try:
            o = opts.value
            if not isinstance(delimiter, str) or len(delimiter.encode()) != 1:
                raise InvalidArgumentError("delimiter must be one ASCII character, got %r"
                                           % (delimiter,))
            call("nnb_csv_opts_set_delimiter", o, delimiter.encode())
            for name in _names(text_columns, "text_columns"):
                call("nnb_csv_opts_add_text_column", o, cstr(name, "column"))
            for name in _names(skip, "skip"):
                call("nnb_csv_opts_skip_column", o, cstr(name, "column"))
            call("nnb_csv_opts_set_drop_bad_rows", o, 1 if drop_bad_rows else 0)
            if decimal not in (".", ","):
                raise InvalidArgumentError("decimal must be '.', ',' or 'auto', got %r"
                                           % (decimal,))
            call("nnb_csv_opts_set_decimal", o, decimal.encode())
            if keep_missing is True:
                call("nnb_csv_opts_keep_missing", o, None)
            else:
                for name in _names(keep_missing, "keep_missing"):
                    call("nnb_csv_opts_keep_missing", o, cstr(name, "column"))
            if input_limit is not None:
                call("nnb_csv_opts_set_input_limit", o, int(input_limit))
            try:
                with interruptible():
                    if data is None:
                        check(lib.nnb_csv_read(byref(h), fspath(path), o))
                    else:  # the input's bytes, read once by _read_input
                        check(lib.nnb_csv_read_buffer(byref(h), data, len(data),
                                                      _path_bytes(path), o))
            except KeyboardInterrupt:
                lib.nnb_table_free(h.value)  # parsed just before Ctrl-C: not leaked
                raise
            except FormatError as e:
                e.message += _number_hint(e.message)
                e.args = (e.message,)
                raise
        finally:
            lib.nnb_csv_opts_free(opts.value)
        self.h = h.value
        self.n_rows = lib.nnb_table_n_rows(self.h)
        self.n_dropped = lib.nnb_table_n_dropped_rows(self.h)

    def column_codes(self, name):
        """A column as numbers for stratification: its values, or the index of each text."""
        col = c_size_t()
        check(lib.nnb_table_find_column(self.h, cstr(name, "column"), byref(col)))
        out = np.empty(self.n_rows)
        if lib.nnb_table_column_is_text(self.h, col.value):
            codes = {}
            for r in range(self.n_rows):
                out[r] = codes.setdefault(lib.nnb_table_get_text(self.h, r, col.value), len(codes))
        else:
            check(lib.nnb_table_get_column(self.h, col.value, _arrays.ptr(out), out.size))
        return out

    def close(self):
        h, self.h = self.h, None
        lib.nnb_table_free(h)


def _number_hint(message):
    """What to do about a cell that is not a number, in read_csv's words (the C message says
    what the column holds)."""
    if re.search(r"missing value in column '.*', found", message):
        return ("; fill=\"mean\" (or \"median\", \"most_frequent\") fills missing feature cells, "
                "drop_bad_rows=True leaves such rows out")
    m = re.search(r"expected a number in column '(.*)', found", message)
    if not m:
        return ""
    col = m.group(1)
    if "holds text" in message:
        also = re.search(r"; so do ('.*?')(?: and \d+ more)?\)", message)
        cols = [col] + (re.findall(r"'(.*?)'(?:, | and |$)", also.group(1)) if also else [])
        if len(cols) > 1:
            return ("; read them as categories with one_hot=%r, or leave them out with drop=%r"
                    % (cols, cols))
        return ("; read it as categories with one_hot=%r, or leave it out with drop=%r"
                % (col, col))
    if "decimal comma" in message:
        return "; read_csv(..., decimal=',')"
    return ("; drop_bad_rows=True leaves such rows out, or name a text column in "
            "text_columns=[...]")


def _decimal(decimal, data, delimiter):
    """The decimal mark: '.' or ',' as given, or "auto": ',' when the file's numbers have
    decimal commas (nnb_csv_detect_decimal_buffer: a delimiter other than ',' and no decimal
    point among the first rows' numbers)."""
    if isinstance(decimal, str) and decimal.lower() == "auto":
        if not isinstance(delimiter, str) or len(delimiter.encode()) != 1:
            return "."  # the table refuses the delimiter with its own message
        out = ctypes.create_string_buffer(1)
        check(lib.nnb_csv_detect_decimal_buffer(data, len(data), delimiter.encode(), out))
        return out.raw[:1].decode()
    if decimal not in (".", ","):
        raise InvalidArgumentError("decimal must be '.', ',' or 'auto', got %r" % (decimal,))
    return decimal


def _fills(fill, targets):
    """[(column or None, nnb_fill)] for read_csv's fill=: a name for every feature column, or a
    dict {column: name}; targets are never filled."""
    if fill is None or fill is False:
        return []
    if isinstance(fill, str):
        return [(None, _v.parse("fill", fill, "fill"))]
    if not isinstance(fill, dict):
        raise TypeError("fill must be a name (\"mean\", \"median\", \"most_frequent\") or a "
                        "dict {column: name}, not %s" % type(fill).__name__)
    out, targets = [], set(targets)
    for col, how in fill.items():
        if col in targets:
            raise InvalidArgumentError("fill: %r is a target, and targets are not filled: rows "
                                       "without a target cannot be used (drop_bad_rows=True "
                                       "leaves them out)" % (col,))
        out.append((cstr(col, "column").decode(), _v.parse("fill", how, "fill")))
    return out


# A number as the nnblas command reads one (tools/cli_util.c is_number): decimal only,
# [+-]digits[.digits][e[+-]digits], finite; "", "NA", "inf", "0x1p3" are not numbers.
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")


def _is_number(cell):
    return cell is not None and _NUMBER.match(cell.decode("ascii", "replace")) is not None \
        and math.isfinite(float(cell))


def _text_columns(path, candidates, csv_options, data=None):
    """Of the candidate columns, those holding text, as the nnblas command decides: a column
    is read as text first and kept as text unless every cell is a number."""
    if not candidates:
        return []
    table = _Table(path, data=data, **dict(csv_options, text_columns=candidates))
    try:
        kept = []
        for name in candidates:
            col = c_size_t()
            check(lib.nnb_table_find_column(table.h, cstr(name, "column"), byref(col)))
            cells = (lib.nnb_table_get_text(table.h, r, col.value) for r in range(table.n_rows))
            if not all(c == b"" or _is_number(c) for c in cells):  # "": a kept missing cell
                kept.append(name)
        return kept
    finally:
        table.close()


def _scalings(standardize, minmax):
    """[(nnb_scale value, True (every numeric feature) or [columns])] for read_csv."""
    if standardize is None and not minmax:
        return [(lib.nnb_default_scale(), True)]
    out = []
    for arg, how in ((standardize, "standard"), (minmax, "minmax")):
        if isinstance(arg, str) and arg.lower() in ("all", "none"):
            arg = arg.lower() == "all"
        if arg is True:
            out.append((_v.parse("scale", how), True))
        elif arg is not None and arg is not False:
            out.append((_v.parse("scale", how), _names(arg, how if how == "minmax"
                                                        else "standardize")))
    return out


def _all_scaled(scaled):
    """Does the scaling apply to every numeric feature?"""
    return any(columns is True for _, columns in scaled)


def _note_scales(prep, X):
    """ScaleWarning when the numeric features (one-hot columns aside), as the network reads
    them, differ in scale 100-fold or more (the nnblas command's note)."""
    names = {}
    for j, name in enumerate(prep.feature_names):
        try:
            prep.column_stats(name)  # a numeric column (a one-hot one is not a column)
        except InvalidArgumentError:
            continue
        names[j] = name
    warn_scales(X, names, "standardize=\"all\" (the default)")


def read_csv(path, target=None, *, target_encoding="values", one_hot=(), standardize=None,
             minmax=(), drop=(), text_columns="auto", skip=(), delimiter=",",
             drop_bad_rows=False, unseen="error", test_fraction=0.0, stratify=False, seed=0,
             fit_on="train", input_limit=None, dtype=np.float64, fill=None, decimal="auto"):
    """Reads a CSV file (header row; RFC 4180 quoting; identical parsing in every locale) into
    X and y arrays, with the data preparation done in C.

    - target: the target column (or a list of regression target columns); None for X only.
    - target_encoding: "values" (regression, the numbers), "onehot" (classification, one Y
      column per class) or "index" (one column of class indices 0..K-1).
    - one_hot: columns to one-hot encode (named column_category, in the column's place).
    - standardize: columns to standardise ((x - mean) / sample standard deviation), "all" (or
      True) for every numeric feature, "none" (or False) for none. The default, None, is the
      `nnblas` command's: every numeric feature standardised (nnb_default_scale), unless minmax
      is given. minmax: columns to scale into [0, 1], or "all"/True. When some numeric
      features are left unscaled and the features' standard deviations then differ 100-fold
      or more, a :class:`nnblas.ScaleWarning` says so (once).
    - drop: columns left out of X and y; skip: columns not even parsed.
    - text_columns: "auto" (the default, as the `nnblas` command does): the target (when there
      is one), the one_hot and the drop columns are read as text when they hold any cell that
      is not a number; or a list: exactly the columns to read as text (categories, class
      labels). Other columns must hold numbers.
    - delimiter; decimal: "auto" (the default: ',' when the file's numbers are written
      "17,99", as in a ';'-separated European file, else '.'), '.' or ','; drop_bad_rows (drop
      rows with missing/non-numeric cells instead of failing); unseen: "error" or "zero" for
      categories not seen when fitting (with a test part: "zero" encodes the test rows'
      categories that the training rows lack as all zeros, with a
      :class:`nnblas.UnseenCategoryWarning` saying how many; "error" refuses them, naming
      unseen="zero").
    - fill: fills missing cells (empty, NA, N/A, NaN, null) instead of refusing them: "mean",
      "median" or "most_frequent" for every feature column, or a dict {column: fill}. The
      values are fitted on the training rows (fit_on) and kept in ``.prep`` (and in a model
      saved with it), so new data is filled the same way; one-hot columns take their most
      frequent category; numeric columns are filled first and scaled after. Targets are not
      filled: a row without a target is an error, or dropped with drop_bad_rows=True.
    - test_fraction: a seeded random split (seed); stratify=True keeps the class proportions
      of the target in both parts. fit_on: "train" (the statistics of the training rows only)
      or "all" (every row, as the tutorial does before splitting).
    - input_limit: the most bytes read when path is not a regular file (a pipe, a FIFO,
      /dev/stdin; default nnblas.get_input_limit(), 1 GiB): past it, nnblas.TooLargeError.
      A character device such as /dev/zero is refused at its first NUL byte (FormatError).
    - dtype: float64 (default) or float32: the arrays' type, written in it directly
      (nnb_prep_apply_f32: no float64 copy; the data of a float32 network, read in place).

    Returns a :class:`Dataset`: (X, y) or, with a test part, (X_train, X_test, y_train,
    y_test), with ``.prep``, ``.feature_names``, ``.target_names`` and ``.classes``. Rows keep
    the file's order without a split; with one, each part is in random order.
    Errors name the file, line and column (nnblas.FormatError, FileError...).
    """
    targets = _names(target, "target")
    dtype = _float_dtype(dtype)
    drop, one_hot = _names(drop, "drop"), _names(one_hot, "one_hot")
    scaled = _scalings(standardize, minmax)
    enc = _v.parse("target_kind", target_encoding, "target_encoding")
    unseen = _v.parse("unseen", unseen, "unseen")
    if fit_on not in ("train", "all"):
        raise InvalidArgumentError("fit_on must be 'train' or 'all', got %r" % (fit_on,))
    if stratify and len(targets) != 1:
        raise InvalidArgumentError("stratify needs exactly one target column")
    fills = _fills(fill, targets)
    csv_options = {"skip": _names(skip, "skip"), "delimiter": delimiter,
                   "drop_bad_rows": drop_bad_rows, "input_limit": input_limit}
    data = _read_input(path, input_limit)  # once: a pipe or FIFO cannot be read twice
    csv_options["decimal"] = _decimal(decimal, data, delimiter)
    if fills:  # the missing cells of every column but the targets are kept, to be filled
        is_target = set(targets)
        csv_options["keep_missing"] = [h for h in _csv_header(data, delimiter)
                                       if h not in is_target]
    if isinstance(text_columns, str) and text_columns.lower() == "auto":
        candidates = one_hot + (targets if len(targets) == 1 else []) + drop
        csv_options["text_columns"] = _text_columns(path, list(dict.fromkeys(candidates)),
                                                    csv_options, data)
    else:
        csv_options["text_columns"] = _names(text_columns, "text_columns")
    table = _Table(path, data=data, **csv_options)
    prep = None
    try:
        prep = Prep(csv_options=csv_options)
        p = prep._handle
        for t in targets:
            call("nnb_prep_add_target", p, cstr(t, "target"), enc)
        for c in drop:
            call("nnb_prep_drop", p, cstr(c, "column"))
        for c in one_hot:
            call("nnb_prep_onehot", p, cstr(c, "column"))
        for how, columns in scaled:
            if columns is True:
                call("nnb_prep_scale", p, None, how)
            else:
                for c in columns:
                    call("nnb_prep_scale", p, cstr(c, "column"), how)
        call("nnb_prep_set_unseen", p, unseen)
        for col, how in fills:
            call("nnb_prep_fill", p, None if col is None else col.encode(), how)

        n = table.n_rows
        if test_fraction:
            strata = table.column_codes(targets[0]) if stratify else None
            order = np.empty(n, dtype=np.uintp)
            n_train, n_test = c_size_t(), c_size_t()
            check(lib.nnb_rows_split(n, float(test_fraction), 0.0, _seed(seed),
                                     None if strata is None else _arrays.ptr(strata),
                                     0 if strata is None else n, _arrays.ptr(order), n,
                                     byref(n_train), byref(n_test), None))
            train, test = order[:n_train.value], order[n_train.value:]
            with interruptible():
                if fit_on == "all":
                    check(lib.nnb_prep_fit(p, table.h, None, n))
                else:
                    check(lib.nnb_prep_fit(p, table.h, _arrays.ptr(train), train.size))
            X_train, y_train = prep._apply(table, train, train.size, True, dtype)
            X_test, y_test = _apply_test(prep, table, test, dtype, unseen)
            if not _all_scaled(scaled):
                _note_scales(prep, X_train)
            return Dataset((X_train, X_test, y_train, y_test), prep)
        with interruptible():
            check(lib.nnb_prep_fit(p, table.h, None, n))
        X, y = prep._apply(table, None, n, True, dtype)
        if not _all_scaled(scaled):
            _note_scales(prep, X)
        return Dataset((X, y), prep)
    except BaseException:
        if prep is not None:
            prep.close()
        raise
    finally:
        table.close()


def _apply_test(prep, table, test, dtype, unseen):
    """read_csv's test part: categories the training rows lack are counted (a warning with
    unseen="zero", which encodes them as zeros) or refused with the way out (unseen="error")."""
    cells, hit = c_size_t(), c_size_t()
    check(lib.nnb_prep_n_unseen(prep._handle, table.h, _arrays.ptr(test), test.size,
                                    byref(cells), byref(hit)))
    if cells.value and _v.name("unseen", unseen) == "zero":
        import warnings
        from .errors import _outside_level
        warnings.warn("%d of the %d test rows (%d cells) have categories the training rows lack; "
                      "they are encoded as all zeros" % (hit.value, test.size, cells.value),
                      UnseenCategoryWarning, stacklevel=_outside_level())
    try:
        return prep._apply(table, test, test.size, True, dtype)
    except FormatError as e:
        if "was not seen when fitting" in e.message:
            e.message += ("; %d test rows have categories the training rows lack: unseen=\"zero\" "
                          "encodes them as all zeros" % hit.value)
            e.args = (e.message,)
        raise


def idx_info(path):
    """(n_items, item_size) of an IDX file (gzipped or not): e.g. (60000, 784) for images."""
    n, size = c_size_t(), c_size_t()
    check(lib.nnb_idx_info(fspath(path), byref(n), byref(size)))
    return n.value, size.value


@interrupts
def read_idx(path, labels=None, n_classes=0):
    """Reads an IDX file of unsigned bytes (MNIST's format; gzipped or not).

    Images (items of more than one byte) become an n_items x item_size float64 array of
    byte / 255, in [0, 1]. Labels (one byte per item; or labels=True) become a vector of class
    indices, or one-hot rows (n_items x n_classes) with n_classes > 0."""
    n, size = idx_info(path)
    if labels is None:
        labels = size == 1
    if labels:
        if n_classes:
            y = np.empty((n, _size(n_classes, "n_classes")))
        else:
            y = np.empty(n)
        check(lib.nnb_idx_read_labels(fspath(path), y.shape[1] if y.ndim == 2 else 0,
                                      _arrays.ptr(y), y.size, None))
        return y
    x = np.empty((n, size))
    check(lib.nnb_idx_read_images(fspath(path), _arrays.ptr(x), x.size, None, None))
    return x


@interrupts
def read_mnist(directory=FASHION_MNIST_DIR, part="train", one_hot=True, rows=None):
    """Reads one part ("train" or "test") of an MNIST-style folder (the four standard files,
    gzipped or not; default: Debian's dataset-fashion-mnist) as (X, y): X rows x 784 in [0, 1],
    y one-hot rows x 10 (or class indices with one_hot=False). rows keeps the first rows only."""
    p = _v.parse("mnist_part", part, "part")
    d = fspath(directory)
    n, cols = c_size_t(), c_size_t()
    check(lib.nnb_mnist_info(d, p, byref(n), byref(cols)))
    X = np.empty((n.value, cols.value))
    y = np.empty((n.value, 10)) if one_hot else np.empty(n.value)
    check(lib.nnb_mnist_read_part(d, p, 1 if one_hot else 0, _arrays.ptr(X), X.size,
                                  _arrays.ptr(y), y.size))
    if rows is not None and _size(rows, "rows") < n.value:
        X, y = X[:rows].copy(), y[:rows].copy()
    return X, y


@interrupts
def load_mnist(directory=FASHION_MNIST_DIR, one_hot=True, standardize=False, train_rows=None,
               test_rows=None):
    """Both parts of an MNIST-style folder (default: Fashion-MNIST from Debian's
    dataset-fashion-mnist, /usr/share/datasets/fashion-mnist) as a :class:`Dataset`
    (X_train, X_test, y_train, y_test) — the order of read_csv and scikit-learn's
    train_test_split. standardize=True scales each pixel with the training images' mean and
    standard deviation (in place; constant pixels are only centred); the fitted preparation is
    ``.prep``. train_rows / test_rows keep the first rows only."""
    X_train, y_train = read_mnist(directory, "train", one_hot, train_rows)
    X_test, y_test = read_mnist(directory, "test", one_hot, test_rows)
    prep = None
    if standardize:
        prep = Prep.fit_matrix(X_train, "standard")
        prep.transform(X_train, inplace=True)
        prep.transform(X_test, inplace=True)
    return Dataset((X_train, X_test, y_train, y_test), prep)
