"""The binding's surface: loading, versions, prototypes against the header, networks, parameters
and their zero-copy view, array conversions, and errors (Python checks and C errors)."""
import ctypes
import gc
import os
import re
import subprocess
import sys
import unittest

import numpy as np

from support import REPO, nnblas
from nnblas import _lib


class LoadTest(unittest.TestCase):
    def test_version_matches_library_and_meson(self):
        self.assertEqual(nnblas.__version__, nnblas.library_version)
        with open(os.path.join(REPO, "meson.build")) as f:
            meson_version = re.search(r"version:\s*'([^']+)'", f.read()).group(1)
        self.assertEqual(nnblas.__version__, meson_version)

    def test_library_from_environment(self):
        self.assertEqual(os.path.realpath(nnblas.library_path),
                         os.path.realpath(os.environ.get("NNBLAS_LIBRARY", nnblas.library_path)))

    def _import(self, env):
        code = "import nnblas; print(nnblas.library_path)"
        e = dict(os.environ)
        e.update(env)
        return subprocess.run([sys.executable, "-c", code], env=e, capture_output=True, text=True,
                              cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

    def test_missing_library_is_a_clear_import_error(self):
        r = self._import({"NNBLAS_LIBRARY": "/nonexistent/libnnblas.so.0"})
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("ImportError", r.stderr)
        self.assertIn("NNBLAS_LIBRARY", r.stderr)
        self.assertIn("/nonexistent/libnnblas.so.0", r.stderr)

    def test_version_mismatch_is_a_clear_import_error(self):
        saved = _lib.__version__
        try:
            _lib.__version__ = "9.9.0"
            with self.assertRaises(ImportError) as cm:
                _lib._check_version()
        finally:
            _lib.__version__ = saved
        self.assertIn("binding 9.9.0 needs libnnblas 9.9.x", str(cm.exception))
        self.assertIn("is version " + nnblas.library_version, str(cm.exception))
        _lib.__version__ = nnblas.__version__.rsplit(".", 1)[0] + ".99"  # another patch: fine
        try:
            _lib._check_version()
        finally:
            _lib.__version__ = saved

    def test_build_folder_of_the_source_tree(self):
        # Without NNBLAS_LIBRARY, a checkout finds build/lib/libnnblas.so.0 (or
        # $NNBLAS_BUILD_DIR/lib) next to its sources.
        lib = os.environ.get("NNBLAS_LIBRARY")
        if not lib:
            self.skipTest("NNBLAS_LIBRARY not set")
        build = os.path.dirname(os.path.dirname(lib))
        if os.path.dirname(build) != REPO:
            self.skipTest("the library under test is not in a build folder of this checkout")
        env = {k: v for k, v in os.environ.items() if k != "NNBLAS_LIBRARY"}
        env["NNBLAS_BUILD_DIR"] = os.path.basename(build)
        r = subprocess.run([sys.executable, "-c", "import nnblas; print(nnblas.library_path)"],
                           env=env, capture_output=True, text=True,
                           cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(os.path.realpath(r.stdout.strip()), os.path.realpath(lib))

    def test_gil_is_released(self):
        # CDLL, not PyDLL: ctypes drops the GIL around every call.
        self.assertNotEqual(_lib.lib._func_flags_ & ctypes._FUNCFLAG_PYTHONAPI,
                            ctypes._FUNCFLAG_PYTHONAPI)
        self.assertIsInstance(_lib.lib, ctypes.CDLL)
        self.assertNotIsInstance(_lib.lib, ctypes.PyDLL)


# C types of the header -> the ctypes types the binding may declare for them.
def _ctypes_for(ctype):
    t = " ".join(ctype.replace("const ", "").split())
    ptr = t.count("*")
    base = t.replace("*", "").strip()
    scalars = {"size_t": ctypes.c_size_t, "double": ctypes.c_double, "int": ctypes.c_int,
               "unsigned": ctypes.c_uint, "uint64_t": ctypes.c_uint64, "char": ctypes.c_char,
               "void": None}
    if ptr == 0:
        if base in scalars:
            return {scalars[base]}
        if base == "nnb_epoch_fn":
            return {_lib.EPOCH_FN}
        if base == "nnb_epoch_info_fn":
            return {_lib.EPOCH_INFO_FN}
        return {ctypes.c_int}  # nnb_status and the other enums
    if ptr == 2:
        return {ctypes.POINTER(ctypes.c_char_p if base == "char" else ctypes.c_void_p)}
    if base == "char":
        return {ctypes.c_char_p}
    allowed = {ctypes.c_void_p}
    if base == "nnb_window":  # a struct the binding mirrors (_lib.Window)
        allowed.add(ctypes.POINTER(_lib.Window))
    if base in scalars and scalars[base] is not None:
        allowed.add(ctypes.POINTER(scalars[base]))
    elif base.startswith("nnb_") and base not in ("nnb_net", "nnb_train_opts", "nnb_history",
                                                  "nnb_table", "nnb_csv_opts", "nnb_prep",
                                                  "nnb_meta"):
        allowed.add(ctypes.POINTER(ctypes.c_int))  # an enum's out-pointer
    return allowed


class PrototypeTest(unittest.TestCase):
    """Every function the binding declares exists in include/nnblas.h with the same number and
    kinds of arguments and the same return type, so the ctypes declarations cannot drift."""

    def test_prototypes_match_the_header(self):
        with open(os.path.join(REPO, "include", "nnblas.h")) as f:
            header = re.sub(r"/\*.*?\*/", "", f.read(), flags=re.S)
        decls = {}
        # a deprecated name is declared NNB_API NNB_DEPRECATED_...(replacement) type name(...)
        header = re.sub(r"NNB_DEPRECATED\w*\((?:[^()]|\([^()]*\))*\)", "", header)
        for m in re.finditer(r"NNB_API\s+([^;(]*?)\b(nnb_\w+)\s*\(([^)]*)\)\s*;", header):
            decls[m.group(2)] = (m.group(1), [a.strip() for a in m.group(3).split(",")])
        for name, (restype, argtypes) in _lib.PROTOTYPES.items():
            with self.subTest(function=name):
                self.assertIn(name, decls, "not declared in nnblas.h")
                ret, args = decls[name]
                self.assertIn(restype, _ctypes_for(ret), "return type %s" % ret)
                if args == ["void"]:
                    args = []
                self.assertEqual(len(args), len(argtypes), "argument count")
                for i, (a, t) in enumerate(zip(args, argtypes)):
                    ctype = re.sub(r"\b\w+$", "", a) if not a.endswith("*") else a
                    self.assertIn(t, _ctypes_for(ctype), "argument %d: %s" % (i, a))


class DeprecatedNamesTest(unittest.TestCase):
    """The names the naming rule replaced: _lib.DEPRECATED is the header's list, and each old
    name still reaches its replacement (the same function for a rename, the same result with the
    old argument order for a function whose parameters moved)."""

    def test_table_matches_the_header(self):
        with open(os.path.join(REPO, "include", "nnblas.h")) as f:
            header = f.read()
        found = {}
        for m in re.finditer(r"NNB_API NNB_DEPRECATED_(FOR|MOVED)\((nnb_\w+)\)\s*[^;(]*?"
                             r"\b(nnb_\w+)\s*\(", header):
            found[m.group(3)] = (m.group(2), m.group(1))
        want = {old: (new, "FOR" if order is None else "MOVED")
                for old, (new, order) in _lib.DEPRECATED.items()}
        for old in ("nnb_permutation", "nnb_gather_rows", "nnb_csv_detect_delimiter_mem",
                    "nnb_mnist_read_f32"):
            found.pop(old)  # not used by the binding
        self.assertEqual(found, want)

    def test_renamed_names_are_the_same_functions(self):
        raw = ctypes.CDLL(_lib.path)  # plain function pointers (the binding wraps some)
        for old, (new, order) in _lib.DEPRECATED.items():
            if order is None:
                with self.subTest(old=old):
                    self.assertEqual(ctypes.cast(raw[old], ctypes.c_void_p).value,
                                     ctypes.cast(raw[new], ctypes.c_void_p).value)

    def test_moved_parameters(self):
        lib = _lib.lib
        net = nnblas.Net([3, 4, 2], activation="tanh", output="softmax", seed=9)
        blob = net.to_bytes()
        # nnb_model_save_buffer(buf, len, &written, net, prep, meta, with_train_state): the bytes
        # of nnb_model_write_buffer(net, prep, meta, with_train_state, buf, len, &written)
        size = lib.nnb_model_write_size(net._handle, None, None, 1)
        old, new = ctypes.create_string_buffer(size), ctypes.create_string_buffer(size)
        n_old, n_new = ctypes.c_size_t(), ctypes.c_size_t()
        _lib.check(lib.nnb_model_save_buffer(old, size, ctypes.byref(n_old), net._handle, None,
                                             None, 1))
        _lib.check(lib.nnb_model_write_buffer(net._handle, None, None, 1, new, size,
                                              ctypes.byref(n_new)))
        self.assertEqual((n_old.value, old.raw), (size, new.raw))
        # nnb_model_load_buffer(buf, len, &net, &prep, &meta)
        h, p, m = ctypes.c_void_p(), ctypes.c_void_p(), ctypes.c_void_p()
        _lib.check(lib.nnb_model_load_buffer(blob, len(blob), ctypes.byref(h), ctypes.byref(p),
                                             ctypes.byref(m)))
        loaded = nnblas.Net._from_handle(h.value)
        lib.nnb_meta_free(m)
        np.testing.assert_array_equal(loaded.params, net.params)
        # nnb_net_convert(src, dtype, &out)
        c = ctypes.c_void_p()
        _lib.check(lib.nnb_net_convert(net._handle, 1, ctypes.byref(c)))
        self.assertEqual(lib.nnb_net_dtype(c), 1)
        lib.nnb_net_free(c)


class NetTest(unittest.TestCase):
    def test_constructors_and_layers(self):
        net = nnblas.Net(4).add(3, "tanh").add(2, "softmax", bias=False)
        self.assertEqual((net.n_inputs, net.n_outputs, net.n_layers), (4, 2, 2))
        self.assertEqual(net.n_params, 4 * 3 + 3 + 3 * 2)
        self.assertEqual(net.layers, [nnblas.Layer(4, 3, "tanh", True, 0, 12),
                                      nnblas.Layer(3, 2, "softmax", False, 15, 21)])
        net2 = nnblas.Net([6, 2, 1], activation="sigmoid", output="sigmoid", bias=False)
        self.assertEqual([l.activation for l in net2.layers], ["sigmoid", "sigmoid"])
        # activation is the hidden layers'; the output layer's default is identity
        net4 = nnblas.Net([6, 2, 1], activation="sigmoid")
        self.assertEqual([l.activation for l in net4.layers], ["sigmoid", "identity"])
        net3 = nnblas.Net([5, 8, 8, 3], activation="relu", output="softmax")
        self.assertEqual([l.activation for l in net3.layers], ["relu", "relu", "softmax"])
        self.assertIn("5 -> 8 relu -> 8 relu -> 3 softmax", repr(net3))

    def test_defaults(self):
        # Net([4, 3]): one identity layer with a bias, drawn with the default scheme for its
        # activation (xavier_uniform) and seed 0; relu hidden layers get he_normal
        net = nnblas.Net([4, 3])
        self.assertEqual(net.layers, [nnblas.Layer(4, 3, "identity", True, 0, 12)])
        np.testing.assert_array_equal(net.params, nnblas.Net(4).add(3, "identity").init(
            "xavier_uniform", 0).params)
        deep = nnblas.Net([4, 8, 3])
        self.assertEqual([l.activation for l in deep.layers], ["relu", "identity"])
        np.testing.assert_array_equal(deep.params, nnblas.Net(4).add(8, "relu").add(
            3, "identity").init("he_normal", 0).params)
        np.testing.assert_array_equal(
            nnblas.Net([4, 8, 3], activation="tanh", output="softmax", seed=5).params,
            nnblas.Net(4).add(8, "tanh").add(3, "softmax").init("xavier_uniform", 5).params)
        # fit(): adam at its default learning rate, the loss chosen for the output
        X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], float)
        y = np.array([0.0, 1, 1, 0])
        for out, targets, loss in (("sigmoid", y, "bce"), ("sigmoid", y * 0.5, "mse"),
                                   ("identity", y, "mse"), ("softmax", y.astype(int), "ce")):
            with self.subTest(output=out, loss=loss):
                n_out = 2 if out == "softmax" else 1
                a = nnblas.Net([2, 4, n_out], output=out, seed=1)
                b = nnblas.Net([2, 4, n_out], output=out, seed=1)
                ha = a.fit(X, targets, epochs=3)
                hb = b.fit(X, targets, epochs=3, batch_size=32, optimizer="adam", lr=0.001,
                           loss=loss)
                self.assertEqual(ha["loss"], hb["loss"])
                np.testing.assert_array_equal(a.params, b.params)
                np.testing.assert_equal(a.evaluate(X, targets),
                                        b.evaluate(X, targets, loss=loss))

    def test_init_is_seeded_like_c(self):
        a = nnblas.Net([3, 5, 2], init="he_normal", seed=7)
        b = nnblas.Net([3, 5, 2]).init("he_normal", 7)
        c = nnblas.Net([3, 5, 2]).init("he_normal", 8)
        np.testing.assert_array_equal(a.params, b.params)
        self.assertFalse(np.array_equal(a.params, c.params))
        w, bias = a.get_layer(0)
        self.assertEqual(w.shape, (5, 3))
        np.testing.assert_array_equal(bias, np.zeros(5))
        for scheme in ("normal_fanin", "xavier_uniform", "glorot_uniform", "orthogonal"):
            nnblas.Net([3, 4]).init(scheme, 1)

    def test_leaky_slope(self):
        net = nnblas.Net(1).add(1, "leaky_relu", slope=0.5, bias=False)
        net.set_layer(0, [[1.0]])
        np.testing.assert_array_equal(net.predict([[-2.0], [3.0]]), [[-1.0], [3.0]])
        with self.assertRaises(nnblas.InvalidArgumentError):
            nnblas.Net(1).add(1, "relu", slope=0.5)

    def test_params_copy_and_set(self):
        net = nnblas.Net([2, 3, 1], seed=1)
        p = net.params
        p[:] = 0.5
        self.assertFalse(np.all(net.params == 0.5))  # a copy
        net.params = p
        np.testing.assert_array_equal(net.params, p)
        net.params = list(range(net.n_params))  # converted
        np.testing.assert_array_equal(net.params, np.arange(net.n_params, dtype=float))
        with self.assertRaises(nnblas.ShapeError):
            net.params = np.zeros(3)
        with self.assertRaises(nnblas.NonFiniteError) as cm:
            net.params = np.full(net.n_params, np.nan)
        self.assertIn("nnb_net_params_set", str(cm.exception))

    def test_layer_get_set(self):
        net = nnblas.Net([2, 3, 1], seed=1)
        W = np.arange(6.0).reshape(3, 2)
        net.set_layer(0, W, [1.0, 2.0, 3.0])
        w, b = net.get_layer(0)
        np.testing.assert_array_equal(w, W)
        np.testing.assert_array_equal(b, [1, 2, 3])
        net.set_layer(0, W.T.copy().T)  # Fortran order: converted
        with self.assertRaises(nnblas.ShapeError):
            net.set_layer(0, np.zeros((2, 3)))
        with self.assertRaises(nnblas.InvalidArgumentError):
            net.layer(5)
        with self.assertRaises(nnblas.InvalidArgumentError):
            nnblas.Net(2).add(1, bias=False).set_layer(0, b=[1.0])

    def test_params_view_is_zero_copy_and_guarded(self):
        net = nnblas.Net([2, 3, 1], activation="tanh", output="identity", seed=1)
        v = net.params_view()
        self.assertEqual(v.shape, (net.n_params,))
        v[0] = 42.0
        self.assertEqual(net.params[0], 42.0)
        net.params = np.zeros(net.n_params)
        self.assertEqual(v[0], 0.0)
        # training updates the view in place
        net.init("xavier_uniform", 3)
        before = v.copy()
        net.fit(np.ones((4, 2)), np.full(4, 5.0), epochs=1, batch_size=0, lr=0.5)
        self.assertFalse(np.array_equal(before, v))
        np.testing.assert_array_equal(v, net.params)
        # the view pins the memory: adding a layer (which moves it) or closing is refused
        tail = v[2:]
        del v
        with self.assertRaises(nnblas.StateError):
            net.add(2)
        with self.assertRaises(nnblas.StateError):
            net.close()
        del tail
        gc.collect()
        net.add(2)
        self.assertEqual(net.n_layers, 3)
        # and it keeps the network alive
        v = nnblas.Net([2, 2], seed=4).params_view()
        gc.collect()
        np.testing.assert_array_equal(v[4:], [0.0, 0.0])  # the biases, still readable

    def test_closed_network(self):
        with nnblas.Net([2, 2]) as net:
            pass
        with self.assertRaises(nnblas.StateError):
            net.predict(np.zeros((1, 2)))
        with self.assertRaises(nnblas.StateError):
            _ = net.params
        net.close()  # twice is fine
        self.assertIn("closed", repr(net))


class ArrayTest(unittest.TestCase):
    def setUp(self):
        self.net = nnblas.Net([3, 4, 2], activation="tanh", output="softmax", seed=5)
        self.X = np.random.default_rng(0).standard_normal((10, 3))
        self.want = self.net.predict(self.X)

    def test_predict_converts_other_layouts_and_dtypes(self):
        X = self.X
        for variant in (np.asfortranarray(X),
                        X.tolist(), X.astype(">f8"), np.repeat(X, 2, axis=0)[::2]):
            np.testing.assert_allclose(self.net.predict(variant), self.want, rtol=0, atol=0)
        np.testing.assert_allclose(self.net.predict(X.astype(np.float32)),
                                   self.net.predict(X.astype(np.float32).astype(np.float64)))
        self.assertEqual(self.net.predict(np.ones((2, 3), dtype=np.int32)).shape, (2, 2))

    def test_predict_into_out(self):
        out = np.empty((10, 2))
        r = self.net.predict(self.X, out=out)
        self.assertIs(r, out)
        np.testing.assert_array_equal(out, self.want)
        with self.assertRaises(nnblas.DTypeError):
            self.net.predict(self.X, out=np.empty((10, 2), dtype=np.float32))
        with self.assertRaises(nnblas.ShapeError):
            self.net.predict(self.X, out=np.empty((10, 3)))
        with self.assertRaises(nnblas.DTypeError):
            self.net.predict(self.X, out=np.empty((2, 10)).T)

    def test_shape_and_dtype_errors(self):
        with self.assertRaises(nnblas.ShapeError) as cm:
            self.net.predict(np.zeros(3))
        self.assertIn("reshape(1, -1)", str(cm.exception))
        self.assertIsInstance(cm.exception, ValueError)
        with self.assertRaises(nnblas.ShapeError) as cm:
            self.net.predict(np.zeros((2, 4)))
        self.assertEqual(str(cm.exception), "X has 4 columns, the network expects 3")
        with self.assertRaises(nnblas.ShapeError):
            self.net.predict(np.zeros((2, 3, 1)))
        with self.assertRaises(nnblas.DTypeError) as cm:
            self.net.predict(np.zeros((2, 3), dtype=complex))
        self.assertIsInstance(cm.exception, TypeError)
        with self.assertRaises(nnblas.DTypeError):
            self.net.predict([["a", "b", "c"]])
        with self.assertRaises(nnblas.DTypeError) as cm:
            self.net.predict(None)
        self.assertIn("X is None", str(cm.exception))
        with self.assertRaises(nnblas.DTypeError):
            self.net.fit(self.X, None)
        with self.assertRaises(nnblas.DTypeError):
            self.net.predict(np.array([[object(), 1, 2]], dtype=object))
        y = np.zeros((10, 2))
        with self.assertRaises(nnblas.ShapeError):
            self.net.evaluate(self.X, y[:9])  # rows differ: caught before C reads past y
        with self.assertRaises(nnblas.ShapeError):
            self.net.fit(self.X, np.zeros((10, 3)))
        with self.assertRaises(nnblas.ShapeError):
            self.net.fit(self.X, np.arange(10) % 3 + 1)  # class 2 of 2 outputs

    def test_class_indices_become_one_hot(self):
        labels = np.arange(10) % 2
        onehot = np.eye(2)[labels]
        self.assertEqual(self.net.evaluate(self.X, labels, loss="ce"),
                         self.net.evaluate(self.X, onehot, loss="ce"))

    def test_c_errors_carry_the_c_message(self):
        empty = nnblas.Net(3)
        with self.assertRaises(nnblas.InvalidArgumentError) as cm:
            empty.predict(self.X)
        self.assertTrue(str(cm.exception).startswith("nnb_net_predict"), str(cm.exception))
        self.assertEqual(cm.exception.status, 2)
        self.assertEqual(cm.exception.status_name, "NNB_E_INVALID_ARG")
        with self.assertRaises(nnblas.InvalidArgumentError) as cm:
            self.net.predict(np.zeros((0, 3)))
        self.assertIn("rows", str(cm.exception))
        with self.assertRaises(nnblas.InvalidArgumentError) as cm:
            self.net.evaluate(self.X, np.zeros((10, 2)), loss="bce")  # BCE needs sigmoid
        self.assertIn("sigmoid", str(cm.exception))
        self.net.check_finite = True
        X = self.X.copy()
        X[3, 1] = np.nan
        with self.assertRaises(nnblas.NonFiniteError) as cm:
            self.net.loss(X, np.zeros((10, 2)))
        self.assertIn("x[3][1] is nan", str(cm.exception))
        with self.assertRaises(nnblas.InvalidArgumentError) as cm:
            nnblas.Net(0)
        with self.assertRaises(TypeError):
            nnblas.Net(2.5)
        with self.assertRaises(nnblas.InvalidArgumentError) as cm:
            nnblas.Net(2).add(3, "swish")
        self.assertIn("relu", str(cm.exception))
        with self.assertRaises(nnblas.InvalidArgumentError):
            nnblas.Net(2).init("unknown", 1)
        with self.assertRaises(nnblas.InvalidArgumentError):
            nnblas.Net(2).init("he_normal", -1)

    def test_every_status_has_a_class(self):
        for status in range(1, 15):
            cls = nnblas.errors.error_class(status)
            self.assertIsNot(cls, nnblas.Error)
            self.assertEqual(cls.status_name, _lib.lib.nnb_status_name(status).decode())
        self.assertIs(nnblas.errors.error_class(99), nnblas.Error)
        self.assertTrue(issubclass(nnblas.FileError, OSError))
        self.assertTrue(issubclass(nnblas.NoMemoryError, MemoryError))


class LowLevelTest(unittest.TestCase):
    def test_backprop_step_and_gradcheck(self):
        rng = np.random.default_rng(1)
        X, y = rng.standard_normal((7, 3)), rng.random((7, 2))
        net = nnblas.Net([3, 4, 2], activation="tanh", output="sigmoid", seed=2)
        loss, grad = net.backprop(X, y, "bce", "mean")
        self.assertAlmostEqual(loss, net.loss(X, y, "bce", "mean"), places=15)
        p = net.params
        net.sgd_step(0.1)
        np.testing.assert_allclose(net.params, p - 0.1 * grad, rtol=0, atol=1e-15)
        net.sgd_step(0.1, grad)
        np.testing.assert_allclose(net.params, p - 0.2 * grad, rtol=0, atol=1e-15)
        for lr in (-0.1, float("nan"), float("inf")):  # a negative rate climbs the loss
            with self.subTest(lr=lr):
                with self.assertRaises(nnblas.InvalidArgumentError) as cm:
                    net.sgd_step(lr, grad)
                self.assertIn("learning rate", str(cm.exception))
        np.testing.assert_allclose(net.params, p - 0.2 * grad, rtol=0, atol=1e-15)
        err, worst = net.gradcheck(X, y, "bce", "mean")
        self.assertLess(err, 1e-6)
        self.assertLess(worst, net.n_params)


class ThreadSettingsTest(unittest.TestCase):
    def test_num_threads_and_isa(self):
        old = nnblas.get_num_threads()
        nnblas.set_num_threads(1)
        self.assertEqual(nnblas.get_num_threads(), 1)
        nnblas.set_num_threads(old)
        with self.assertRaises(nnblas.InvalidArgumentError):
            nnblas.set_num_threads(-1)
        self.assertIn(nnblas.kernel_isa(), ("scalar", "avx2", "avx512"))


if __name__ == "__main__":
    unittest.main()
