#!/usr/bin/env python3
"""ONNX and C-source exports (issue 25, docs/export.md) against `nnblas predict`.

    export_check.py NNBLAS_COMMAND [unittest arguments]

Each model is trained here with the command, exported with `nnblas export`, and run by tools
that know nothing of nnblas: the ONNX file is checked by onnx.checker.check_model(full_check=True)
(Debian's python3-onnx) and run by onnxruntime (the npm package onnxruntime-node, under Debian's
nodejs, through tests/export_ort.js); the C file is compiled with cc -std=c99 -Wall -Wextra
-Werror -pedantic and run by a small driver. Their outputs, given the raw values (CSV cells, the
image bytes 0-255), must be those `nnblas predict` writes for the same rows: within 1e-5
relative for float32 models and 1e-12 for float64 ones (the measure: rel_error() below: class
probabilities row by row, normwise; regression targets elementwise).

The tools are looked for as the docs say (onnxruntime-node: NNBLAS_ONNXRUNTIME_NODE, else
$HOME/.cache/nnblas/onnxruntime/node_modules/onnxruntime-node, where scripts/deps installs it).
A missing tool skips the tests that need it (exit 77 when all are skipped), unless
NNBLAS_REQUIRE_EXPORT_TOOLS=1 (CI), which makes its absence a failure. The tests that need the
shared data or Fashion-MNIST skip without them in the same way (NNBLAS_REQUIRE_SHARED=1).
"""
import csv
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

import numpy as np

NNBLAS = os.environ.get("NNBLAS_CLI", "build/tools/nnblas")  # main() takes it from argv
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
FASHION = "/usr/share/datasets/fashion-mnist"
TOL = {"f32": 1e-5, "f64": 1e-12}


def need(what, ok, variable="NNBLAS_REQUIRE_EXPORT_TOOLS"):
    """Skips the test when a tool or file is missing, or fails under the variable = 1."""
    if ok:
        return
    if os.environ.get(variable) == "1":
        raise AssertionError("%s is missing and %s=1" % (what, variable))
    raise unittest.SkipTest("%s is missing" % what)


def ort_package():
    """The onnxruntime-node package folder, or None."""
    cands = [os.environ.get("NNBLAS_ONNXRUNTIME_NODE", ""),
             os.path.join(os.path.expanduser("~"), ".cache", "nnblas", "onnxruntime",
                          "node_modules", "onnxruntime-node")]
    for c in cands:
        if c and os.path.isfile(os.path.join(c, "package.json")):
            return c
    return None


def have_onnx():
    try:
        import onnx  # noqa: F401
        return True
    except ImportError:
        return False


def shared(*parts):
    base = os.environ.get("NNBLAS_SHARED_DIR") or os.path.join(os.path.dirname(REPO), "shared")
    path = os.path.join(base, *parts)
    need(path, os.path.exists(path), "NNBLAS_REQUIRE_SHARED")
    return path


_fashion_part = []


def fashion():
    """The Fashion-MNIST folder; under NNBLAS_TEST_SCALE=small (meson test --setup sanitize, where
    -O0 and AddressSanitizer make a full epoch minutes long) a copy of its first 6000 training
    and 2000 test images, made once: the same models and checks on fewer rows."""
    need("Fashion-MNIST (%s)" % FASHION, os.path.isdir(FASHION), "NNBLAS_REQUIRE_SHARED")
    if os.environ.get("NNBLAS_TEST_SCALE") != "small":
        return FASHION
    if not _fashion_part:
        d = tempfile.mkdtemp(prefix="nnblas-fashion-part-")
        for part, n in (("train", 6000), ("t10k", 2000)):
            for kind, head, size in (("images-idx3", 16, 784), ("labels-idx1", 8, 1)):
                name = "%s-%s-ubyte.gz" % (part, kind)
                with gzip.open(os.path.join(FASHION, name), "rb") as f:
                    data = f.read(head + n * size)
                data = data[:4] + n.to_bytes(4, "big") + data[8:]
                with gzip.open(os.path.join(d, name), "wb", compresslevel=1) as f:
                    f.write(data)
        _fashion_part.append(d)
    return _fashion_part[0]


def fashion_spec(d):
    """The --idx argument for the folder fashion() gave."""
    return "fashion-mnist" if d == FASHION else "fashion-mnist:" + d


def rel_error(got, want, rowwise=False):
    """The largest relative difference: elementwise, max |got - want| / |want| (0 where both are
    0); or, rowwise, max over rows of max|got_row - want_row| / max|want_row|, the row's
    normwise relative difference. NaN where exactly one is NaN, so that it fails every
    comparison."""
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    if got.shape != want.shape:
        raise AssertionError("shapes differ: %s against %s" % (got.shape, want.shape))
    if np.any(np.isnan(got) != np.isnan(want)):
        return float("nan")
    diff = np.where(np.isnan(want), 0.0, np.abs(got - want))
    if rowwise:
        scale = np.nanmax(np.abs(want), axis=1, keepdims=True)
    else:
        scale = np.abs(want)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(diff == 0, 0.0, diff / scale)
    return float(r.max()) if r.size else 0.0


def run(*args, ok=True, cwd=None):
    r = subprocess.run([str(a) for a in args], capture_output=True, text=True, cwd=cwd,
                       check=False)
    if ok and r.returncode != 0:
        raise AssertionError("%s exited %d:\n%s%s" % (" ".join(map(str, args)), r.returncode,
                                                     r.stdout, r.stderr))
    return r


def read_predictions(text, classification):
    """The numbers of `nnblas predict`'s CSV (probabilities, or regression targets)."""
    rows = list(csv.reader(text.splitlines()))
    first = 1 if classification else 0
    return np.array([[float(v) for v in r[first:]] for r in rows[1:]], dtype=np.float64)


def idx_images(path):
    """The raw bytes of an IDX image file, as rows x pixels."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    n, h, w = (int.from_bytes(data[4 + 4 * k:8 + 4 * k], "big") for k in range(3))
    return np.frombuffer(data, dtype=np.uint8, offset=16).reshape(n, h * w).astype(np.float64)


def onnx_inputs(path):
    import onnx
    m = onnx.load(path)
    meta = {p.key: p.value for p in m.metadata_props}
    return json.loads(meta["nnblas.inputs"]), meta


MISSING = ("", "NA", "null")  # cells the CSV reader reads as missing (a few of its markers)


def csv_raw(csv_path, inputs):
    """Raw input rows from a CSV file for an exported model: the columns nnblas.inputs names, in
    its order; a text category as its index in the list (-1 for one it does not list); a missing
    cell as NaN."""
    with open(csv_path, newline="") as f:
        rows = list(csv.DictReader(f))
    out = np.empty((len(rows), len(inputs)))
    for i, r in enumerate(rows):
        for j, col in enumerate(inputs):
            v = r[col["name"]]
            if v.strip() in MISSING:
                out[i, j] = np.nan
            elif col["kind"] == "text-category":
                out[i, j] = col["categories"].index(v) if v in col["categories"] else -1
            else:
                out[i, j] = float(v)
    return out


class Exports(unittest.TestCase):
    tmp = None

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="nnblas-export-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)
        for d in _fashion_part:
            shutil.rmtree(d, ignore_errors=True)
        _fashion_part.clear()

    def path(self, name):
        return os.path.join(self.tmp, name)

    # ---- the pieces ---------------------------------------------------------------------------

    def train(self, name, *args):
        model = self.path(name + ".nnb")
        run(NNBLAS, "train", *args, "--quiet", "--save", model)
        return model

    def predict(self, model, data_args, classification):
        r = run(NNBLAS, "predict", "--model", model, *data_args)
        return read_predictions(r.stdout, classification)

    def check_onnx(self, path):
        need("python3-onnx", have_onnx())
        import onnx
        m = onnx.load(path)
        onnx.checker.check_model(m, full_check=True)
        self.assertEqual(m.ir_version, 7)
        self.assertEqual([(o.domain, o.version) for o in m.opset_import], [("", 13)])
        self.assertEqual(m.graph.input[0].type.tensor_type.shape.dim[0].dim_param, "N")
        return m

    def run_onnx(self, jobs):
        """Runs [(model, raw inputs, dtype)] in one node process: [(outputs, classes or None)]."""
        node = shutil.which("node") or shutil.which("nodejs")
        need("node (Debian's nodejs)", node is not None)
        pkg = ort_package()
        need("onnxruntime-node (scripts/deps installs it)", pkg is not None)
        spec = []
        for k, (model, x, dtype) in enumerate(jobs):
            inp = self.path("ort%d.in" % k)
            np.asarray(x, dtype=np.float32 if dtype == "f32" else np.float64).tofile(inp)
            spec.append({"model": model, "input": inp, "rows": x.shape[0], "cols": x.shape[1],
                         "dtype": dtype, "output": self.path("ort%d.out" % k)})
        with open(self.path("jobs.json"), "w") as f:
            json.dump(spec, f)
        run(node, os.path.join(HERE, "export_ort.js"), pkg, self.path("jobs.json"))
        results = []
        for (model, x, dtype), s in zip(jobs, spec):
            with open(s["output"], "rb") as f:
                raw = f.read()
            size = 4 if dtype == "f32" else 8
            import onnx
            n_out = onnx.load(model).graph.output[0].type.tensor_type.shape.dim[1].dim_value
            nb = x.shape[0] * n_out * size
            out = np.frombuffer(raw[:nb], dtype=np.float32 if dtype == "f32" else np.float64)
            cls = np.frombuffer(raw[nb:], dtype=np.int64) if len(raw) > nb else None
            results.append((out.reshape(x.shape[0], n_out).astype(np.float64), cls))
        return results

    def compile_c(self, cfile, name, dtype, extra=()):
        """Builds the exported source with a driver that reads raw rows and writes the outputs
        and the status of every row (NAME_predict, checked against NAME_predict_batch)."""
        cc = shutil.which("cc") or shutil.which("gcc")
        need("a C compiler", cc is not None)
        T = "float" if dtype == "f32" else "double"
        U = name.upper()
        driver = self.path(name + "_driver.c")
        with open(driver, "w") as f:
            f.write(DRIVER.replace("NAME", name).replace("UPPER", U).replace("REAL", T)
                    .replace("HEADER", os.path.basename(cfile)[:-2] + ".h"))
        exe = self.path(name + "_run")
        run(cc, "-std=c99", "-O1", "-Wall", "-Wextra", "-Werror", "-pedantic", *extra,
            "-I", os.path.dirname(cfile), cfile, driver, "-o", exe, "-lm")
        return exe

    def run_c(self, exe, x, n_out, dtype):
        np_t = np.float32 if dtype == "f32" else np.float64
        inp, out = self.path("c.in"), self.path("c.out")
        np.asarray(x, dtype=np_t).tofile(inp)
        run(exe, inp, x.shape[0], out)
        with open(out, "rb") as f:
            raw = f.read()
        nb = x.shape[0] * n_out * np.dtype(np_t).itemsize
        y = np.frombuffer(raw[:nb], dtype=np_t).reshape(x.shape[0], n_out).astype(np.float64)
        status = np.frombuffer(raw[nb:], dtype=np.int32)
        return y, status

    def export(self, model, *args):
        return run(NNBLAS, "export", model, *args)

    def assert_close(self, got, want, dtype, what, classification):
        """Within the tolerance: class probabilities row by row (normwise: float32 sums in two
        orders differ by a few ulp of the logits, which is 1e-5 relative in a probability of
        1e-3 as well as in one of 0.9), regression targets elementwise."""
        err = rel_error(got, want, rowwise=classification)
        elem = rel_error(got, want)
        print("%s (%s): largest relative difference %.3g %s (elementwise %.3g), tolerance %g"
              % (what, dtype, err, "rowwise" if classification else "elementwise", elem,
                 TOL[dtype]), file=sys.stderr)
        self.assertTrue(err <= TOL[dtype], "%s: relative difference %g > %g" % (what, err,
                                                                               TOL[dtype]))

    def check_model(self, model, dtype, raw, want, name, classification, ort=True, c=True):
        """Exports model both ways and compares both with `want` (nnblas predict's)."""
        n_out = want.shape[1]
        if ort:
            onnx_path = self.path(name + ".onnx")
            self.export(model, "--onnx", onnx_path)
            m = self.check_onnx(onnx_path)
            (got, cls), = self.run_onnx([(onnx_path, raw, dtype)])
            self.assert_close(got, want, dtype, name + " onnx", classification)
            if classification:
                ref = (want[:, 0] > 0.5).astype(int) if n_out == 1 else np.argmax(want, axis=1)
                self.assertTrue(np.array_equal(cls, ref), name + ": onnx classes")
            self.assertEqual(len(m.graph.output), 2 if classification else 1)
        if c:
            self.check_c(model, dtype, raw, want, name, classification)

    def check_c(self, model, dtype, raw, want, name, classification):
        """Exports model as C and compares it with `want`: the file as it is (on x86-64 with
        AVX2, the layers' AVX2 + FMA copy runs), with NAME_NO_DISPATCH (the layers compiled
        once, for plain x86-64) and with own math."""
        cfile = self.path(name + ".c")
        nodispatch = ("-D%s_NO_DISPATCH" % name.upper(),)
        for own, extra in ((False, ()), (False, nodispatch), (True, ())):
            tag = "c own math" if own else "c, no dispatch" if extra else "c"
            self.export(model, "--c", cfile, "--name", name, *(["--own-math"] if own else []))
            exe = self.compile_c(cfile, name, dtype, extra)
            got, status = self.run_c(exe, raw, want.shape[1], dtype)
            self.assertTrue(np.all(status == 0), name + ": statuses")
            self.assert_close(got, want, dtype, name + " " + tag, classification)

    # ---- the models -------------------------------------------------------------------------

    def test_fashion_quickstart_f32(self):
        """The quick start's network (1 epoch): raw image bytes in, as the docs show."""
        d = fashion()
        model = self.train("fashion32", "--idx", fashion_spec(d), "--layers", "256,128",
                           "--activation", "relu", "--dropout", "0.2", "--optimizer", "adam",
                           "--lr", "0.001", "--batch", "128", "--epochs", "1", "--seed", "1",
                           "--dtype", "f32")
        want = self.predict(model, ["--idx", fashion_spec(d)], True)
        raw = idx_images(os.path.join(d, "t10k-images-idx3-ubyte.gz"))
        self.check_model(model, "f32", raw, want, "fashion32", True)
        self.docs_example(model, raw[0], want[0])

    def docs_example(self, model, image, probs):
        """docs/export.md's worked example, as written there: its C program and its Node.js
        script print the class and probability nnblas predict gives for the first image."""
        with open(os.path.join(REPO, "docs", "export.md")) as f:
            blocks = re.findall(r"```(\w+)\n(.*?)```", f.read(), re.S)
        c_code = [b for lang, b in blocks if lang == "c" and "fashion_predict" in b]
        js_code = [b for lang, b in blocks if lang == "js" and "InferenceSession" in b]
        self.assertEqual((len(c_code), len(js_code)), (1, 1))
        d = self.path("docs")
        os.makedirs(d, exist_ok=True)
        run(NNBLAS, "export", model, "--onnx", os.path.join(d, "fashion.onnx"), "--c",
            os.path.join(d, "fashion.c"))
        with open(os.path.join(d, "image.raw"), "wb") as f:
            f.write(bytes(int(v) for v in image))
        labels = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                  "Sneaker", "Bag", "Ankle boot"]
        k = int(np.argmax(probs))
        want = "%s %.4f" % (labels[k], probs[k])
        cc = shutil.which("cc")
        need("a C compiler", cc is not None)
        with open(os.path.join(d, "main.c"), "w") as f:
            f.write(c_code[0])
        run(cc, "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-pedantic", "main.c",
            "fashion.c", "-o", "classify", "-lm", cwd=d)
        with open(os.path.join(d, "image.raw"), "rb") as f:
            r = subprocess.run([os.path.join(d, "classify")], stdin=f, capture_output=True,
                               text=True, check=True)
        self.assertEqual(r.stdout.strip(), want)
        node, pkg = shutil.which("node") or shutil.which("nodejs"), ort_package()
        need("node and onnxruntime-node", node is not None and pkg is not None)
        with open(os.path.join(d, "ort.js"), "w") as f:
            f.write(js_code[0])
        env = dict(os.environ, NODE_PATH=os.path.dirname(pkg))
        r = subprocess.run([node, "ort.js"], cwd=d, env=env, capture_output=True, text=True,
                           check=False)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), want)

    def test_fashion_f64(self):
        d = fashion()
        model = self.train("fashion64", "--idx", fashion_spec(d), "--layers", "32",
                           "--epochs", "1", "--seed", "2", "--batch", "256")
        want = self.predict(model, ["--idx", fashion_spec(d)], True)
        raw = idx_images(os.path.join(d, "t10k-images-idx3-ubyte.gz"))[:2000]
        self.check_model(model, "f64", raw, want[:2000], "fashion64", True)

    def admissions(self, name, dtype, *args):
        data = shared("data", "admissions.csv")
        model = self.train(name, "--csv", data, "--target", "admit", "--one-hot", "rank",
                           "--dtype", dtype, "--seed", "3", "--epochs", "40", *args)
        return data, model

    def test_admissions(self):
        """The tutorial's data: gre and gpa standardised, rank one-hot (numbers)."""
        for dtype in ("f32", "f64"):
            data, model = self.admissions("adm_" + dtype, dtype, "--layers", "8")
            want = self.predict(model, ["--csv", data], True)
            self.export(model, "--onnx", self.path("adm.onnx"))
            inputs, meta = onnx_inputs(self.path("adm.onnx"))
            self.assertEqual([i["name"] for i in inputs], ["gre", "gpa", "rank"])
            self.assertEqual(inputs[2]["categories"], ["1", "2", "3", "4"])
            self.assertEqual(json.loads(meta["nnblas.classes"]), ["0", "1"])
            raw = csv_raw(data, inputs)
            self.check_model(model, dtype, raw, want, "adm_" + dtype, True)

    def test_every_activation(self):
        """Every activation as a hidden or an output layer, in both types; regression targets
        come back in the data's units (the standardisation undone inside)."""
        data = shared("data", "admissions.csv")
        models = [("tanh", "softmax", "admit"), ("sigmoid", "sigmoid", "admit"),
                  ("leaky_relu:0.3", "identity", "gpa"), ("identity", "tanh", "gpa"),
                  ("relu", "leaky_relu:0.2", "gpa")]
        for dtype in ("f32", "f64"):
            for k, (hidden, output, target) in enumerate(models):
                name = "act%d_%s" % (k, dtype)
                cls = target == "admit"
                model = self.train(name, "--csv", data, "--target", target, "--one-hot", "rank",
                                   "--task", "classification" if cls else "regression",
                                   "--layers", "6,5", "--activation", hidden, "--output", output,
                                   "--dtype", dtype, "--seed", str(10 + k), "--epochs", "30")
                want = self.predict(model, ["--csv", data], cls)
                self.export(model, "--onnx", self.path(name + ".onnx"))
                inputs, meta = onnx_inputs(self.path(name + ".onnx"))
                raw = csv_raw(data, inputs)
                self.check_model(model, dtype, raw, want, name, cls)

    # ---- convolutional networks --------------------------------------------------------------

    def image_csv(self, path, shape, rows, seed, regression=False):
        """Random images of shape C x H x W, their class (3) or a target from a few pixels."""
        rng = np.random.default_rng(seed)
        n = shape[0] * shape[1] * shape[2]
        x = rng.normal(size=(rows, n))
        score = x[:, :n // 3].sum(axis=1) - x[:, n // 3:2 * n // 3].sum(axis=1)
        y = score * 0.3 + 5 if regression else np.digitize(score, [-2.0, 2.0])
        with open(path, "w") as f:
            f.write(",".join(["p%d" % i for i in range(n)] + ["y"]) + "\n")
            for a, b in zip(x, y):
                f.write(",".join("%.6g" % v for v in a) + ",%s\n" % (("%.6g" % b) if regression
                                                                     else int(b)))
        return x

    def idx_set(self, folder, rows, h, w, seed):
        """A small IDX image set (train and t10k parts) of h x w images, 3 classes."""
        rng = np.random.default_rng(seed)
        os.makedirs(folder, exist_ok=True)
        for part, n in (("train", rows), ("t10k", rows // 4)):
            img = rng.integers(0, 256, size=(n, h, w), dtype=np.uint8)
            lab = (img[:, :h // 2].mean(axis=(1, 2)) > img[:, h // 2:].mean(axis=(1, 2))) + \
                (img[:, :, :w // 2].mean(axis=(1, 2)) > 127.5)
            with open(os.path.join(folder, part + "-images-idx3-ubyte"), "wb") as f:
                f.write(bytes([0, 0, 8, 3]) + b"".join(v.to_bytes(4, "big") for v in (n, h, w)))
                f.write(img.tobytes())
            with open(os.path.join(folder, part + "-labels-idx1-ubyte"), "wb") as f:
                f.write(bytes([0, 0, 8, 1]) + n.to_bytes(4, "big"))
                f.write(lab.astype(np.uint8).tobytes())
        return img.reshape(img.shape[0], h * w).astype(np.float64)

    CNNS = [  # (layers, shape, activation, regression): strides, padding, non-square, both
        # poolings, a pool window that does not divide its input, conv -> dense
        ("conv3x3x2s2p1,avgpool2x2s1,conv4x2,maxpool2,5", (2, 7, 6), "relu", False),
        ("conv4x3psame,avgpool3,6", (1, 7, 8), "tanh", True),
        ("conv3x2x3s2p1,maxpool3s2", (3, 6, 9), "leaky_relu:0.2", False),
    ]

    def cnn_models(self):
        """The CNNs above trained on CSV rows (standardised inside the graph) and one on IDX
        images (the bytes in, the scaling inside), in both types: [(name, model, dtype, raw,
        want, classification)]."""
        out = []
        for k, (layers, shape, act, reg) in enumerate(self.CNNS):
            data = self.path("img%d.csv" % k)
            self.image_csv(data, shape, 90, k, reg)
            for dtype in ("f32", "f64"):
                name = "cnn%d_%s" % (k, dtype)
                model = self.train(name, "--csv", data, "--target", "y", "--task",
                                   "regression" if reg else "classification", "--input-shape",
                                   "x".join(map(str, shape)), "--layers", layers, "--activation",
                                   act, "--dtype", dtype, "--seed", str(k), "--epochs", "3")
                want = self.predict(model, ["--csv", data], not reg)
                self.export(model, "--onnx", self.path(name + ".onnx"))
                inputs, _ = onnx_inputs(self.path(name + ".onnx"))
                out.append((name, model, dtype, csv_raw(data, inputs), want, not reg))
        folder = self.path("idxset")
        raw = self.idx_set(folder, 200, 10, 12, 7)
        for dtype in ("f32", "f64"):
            name = "cnnidx_%s" % dtype
            model = self.train(name, "--idx", "mnist:" + folder, "--input-shape", "1x10x12", "--layers",
                               "conv4x3p1,maxpool2,conv3x3s2,4", "--dtype", dtype, "--epochs", "2",
                               "--seed", "5")
            want = self.predict(model, ["--idx", "mnist:" + folder], True)
            self.export(model, "--onnx", self.path(name + ".onnx"))
            out.append((name, model, dtype, raw, want, True))
        return out

    def test_cnn_onnx(self):
        """Convolution and pooling in ONNX: onnx.checker, then onnxruntime (all models in one
        process) against nnblas predict; float64 with Conv and AveragePool gathered."""
        models = self.cnn_models()
        jobs = []
        for name, model, dtype, raw, want, cls in models:
            path = self.path(name + ".onnx")
            m = self.check_onnx(path)
            ops = {n.op_type for n in m.graph.node}
            if dtype == "f32":
                self.assertIn("Conv", ops, name)
            else:
                self.assertNotIn("Conv", ops, name)
                self.assertNotIn("AveragePool", ops, name)
            jobs.append((path, raw, dtype))
        for (name, model, dtype, raw, want, cls), (got, c) in zip(models, self.run_onnx(jobs)):
            self.assert_close(got, want, dtype, name + " onnx", cls)
            if cls and want.shape[1] > 1:
                self.assertTrue(np.array_equal(c, np.argmax(want, axis=1)), name + ": classes")

    def test_cnn_c(self):
        """Convolution and pooling in the generated C (with and without the dispatch, with own
        math) against nnblas predict (Python's test_export checks int8 against int8_copy)."""
        for name, model, dtype, raw, want, cls in self.cnn_models():
            self.check_c(model, dtype, raw, want, name, cls)

    def categories_csv(self, path, rows, colours, seed):
        rng = np.random.default_rng(seed)
        sizes = ["1", "2", "2.5", "3"]
        with open(path, "w", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["x1", "colour", "size", "x2", "label"])
            for _ in range(rows):
                c = colours[rng.integers(len(colours))]
                z = rng.normal(size=2)
                label = "cat" if z[0] + (c == "red") > 0.3 else "dog"
                w.writerow(["%.6f" % (z[0] * 10 + 50), c, sizes[rng.integers(4)],
                            "%.3f" % z[1], label])

    def test_text_categories(self):
        """One-hot text columns take their category's index (listed in the ONNX metadata;
        NAME_category() in C); a value that is none of the categories is encoded as zeros, as
        nnblas train's models say (unseen_category "zero") and nnblas predict does."""
        train_csv, new_csv = self.path("cats.csv"), self.path("cats_new.csv")
        colours = ["red", "green", "blue \"sky\"?", "gr\u00fcn"]
        self.categories_csv(train_csv, 300, colours, 5)
        self.categories_csv(new_csv, 40, colours[:2] + ["purple"], 6)
        for dtype in ("f32", "f64"):
            name = "cats_" + dtype
            model = self.train(name, "--csv", train_csv, "--target", "label", "--one-hot",
                               "colour,size", "--layers", "7", "--dtype", dtype, "--epochs", "20")
            want = self.predict(model, ["--csv", train_csv], True)
            onnx_path = self.path(name + ".onnx")
            self.export(model, "--onnx", onnx_path)
            inputs, meta = onnx_inputs(onnx_path)
            self.assertEqual([(i["name"], i["kind"]) for i in inputs],
                             [("x1", "number"), ("colour", "text-category"),
                              ("size", "category"), ("x2", "number")])
            self.assertEqual(inputs[1]["categories"], sorted(colours, key=lambda c: c.encode()))
            self.assertEqual(inputs[2]["categories"], ["1", "2", "2.5", "3"])
            # nnblas train's models encode unseen categories as zeros (issue 26)
            self.assertEqual(meta["nnblas.unseen_category"], "zero")
            raw = csv_raw(train_csv, inputs)
            self.check_model(model, dtype, raw, want, name, True)
            # new data: rows with an unseen colour
            r = run(NNBLAS, "predict", "--model", model, "--csv", new_csv, ok=False)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("encoded as all zeros", r.stderr)
            raw_new = csv_raw(new_csv, inputs)
            unseen = raw_new[:, 1] < 0
            self.assertTrue(unseen.any() and not unseen.all())
            want_new = read_predictions(r.stdout, True)  # the unseen colour's inputs all zeros
            (got, _), = self.run_onnx([(onnx_path, raw_new, dtype)])
            self.assertFalse(np.any(np.isnan(got)))
            self.assert_close(got, want_new, dtype, name + " onnx, unseen as zeros", True)
            cfile = self.path(name + ".c")
            self.export(model, "--c", cfile, "--name", name)
            exe = self.compile_c(cfile, name, dtype)
            got_c, status = self.run_c(exe, raw_new, 2, dtype)
            self.assertTrue(np.all(status == 0))
            self.assert_close(got_c, want_new, dtype, name + " c, unseen as zeros", True)
            with open(cfile[:-2] + ".h") as f:
                header = f.read()
            # unseen categories are zeros, never an error: no error code to define
            self.assertNotIn("%s_E_CATEGORY" % name.upper(), header)
            self.assertIn("int %s_category(int input, const char *text);" % name, header)

    def test_fill_missing(self):
        """A model whose preparation fills missing cells (--fill mean: numbers get the mean, a
        one-hot column its most frequent category): a NaN raw value is filled inside the ONNX
        graph (Where(IsNaN)) and the C source as nnblas predict fills the CSV's missing cells."""
        data = self.path("holes.csv")
        self.categories_csv(data, 200, ["red", "green", "blue"], 8)
        with open(data) as f:
            rows = list(csv.reader(f))
        rng = np.random.default_rng(9)
        for r in rows[1:]:
            for j in (0, 1, 2, 3):  # x1, colour (text), size (numeric category), x2
                if rng.random() < 0.15:
                    r[j] = ["", "NA", "null"][rng.integers(3)]
        with open(data, "w", newline="") as f:
            csv.writer(f, lineterminator="\n").writerows(rows)
        for dtype in ("f32", "f64"):
            name = "fill_" + dtype
            model = self.train(name, "--csv", data, "--target", "label", "--one-hot",
                               "colour,size", "--fill", "mean", "--layers", "5", "--dtype", dtype,
                               "--epochs", "10", "--seed", "4")
            want = self.predict(model, ["--csv", data], True)
            self.export(model, "--onnx", self.path(name + ".onnx"))
            inputs, _ = onnx_inputs(self.path(name + ".onnx"))
            self.assertTrue(all("fill" in i for i in inputs), inputs)
            raw = csv_raw(data, inputs)
            self.assertTrue(np.isnan(raw).any(axis=0).all())  # holes in every column
            self.check_model(model, dtype, raw, want, name, True)

    def test_c_category_lookup(self):
        """NAME_category() finds each text category's index, and -1 for others."""
        train_csv = self.path("cats2.csv")
        colours = ["red", "green", "a\\b", "q?/*x*/"]
        self.categories_csv(train_csv, 100, colours, 7)
        model = self.train("cats2", "--csv", train_csv, "--target", "label", "--one-hot",
                           "colour", "--layers", "3", "--epochs", "2")
        cfile = self.path("cats2.c")
        self.export(model, "--c", cfile, "--name", "cat2")
        main = self.path("cat2_main.c")
        with open(main, "w") as f:
            f.write('#include <stdio.h>\n#include "cats2.h"\nint main(void) {\n'
                    '    const char *t[] = {"a\\\\b", "green", "q?/*x*/", "red", "blue", "", "re"};\n'
                    '    int i;\n    for (i = 0; i < 7; i++) printf("%d %d\\n", '
                    'cat2_category(1, t[i]), cat2_category(0, t[i]));\n'
                    '    printf("%d %d\\n", cat2_category(-1, "red"), cat2_category(9, "red"));\n'
                    '    return 0;\n}\n')
        exe = self.path("cat2_main")
        cc = shutil.which("cc") or shutil.which("gcc")
        need("a C compiler", cc is not None)
        run(cc, "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", cfile, main, "-o", exe,
            "-lm")
        out = run(exe).stdout.split()
        self.assertEqual(out, ["0", "-1", "1", "-1", "2", "-1", "3", "-1", "-1", "-1", "-1", "-1",
                               "-1", "-1", "-1", "-1"])

    def test_hostile_names(self):
        """Column names and categories that are not valid UTF-8, or hold comment marks, quotes,
        backslashes and trigraphs, reach neither the C compiler nor ONNX's strings raw: the C
        file compiles with -Werror and runs, the ONNX file's strings are UTF-8 (U+FFFD where a
        byte was not)."""
        path = self.path("weird.csv")
        with open(path, "wb") as f:
            f.write(b'a\xe9b,"col*/x",y\n')
            for i in range(12):
                f.write(b'%d,%s,%d\n' % (i, [b"r\xff", b'"s\\"""', b"t??/", b"/*u"][i % 4], i % 2))
        model = self.train("weird", "--csv", path, "--target", "y", "--one-hot", "col*/x",
                           "--layers", "2", "--epochs", "2")
        onnx_path = self.path("weird.onnx")
        self.export(model, "--onnx", onnx_path, "--c", self.path("weird.c"))
        m = self.check_onnx(onnx_path)
        for p in m.metadata_props:
            self.assertIsInstance(p.value, str)
        self.assertIsInstance(m.graph.input[0].doc_string, str)
        inputs = json.loads({p.key: p.value for p in m.metadata_props}["nnblas.inputs"])
        self.assertEqual(inputs[0]["name"], "a\ufffdb")
        self.assertEqual(len(inputs[1]["categories"]), 4)
        exe = self.compile_c(self.path("weird.c"), "weird", "f64")
        got, status = self.run_c(exe, np.array([[3.0, 1.0], [4.0, 7.0]]), 2, "f64")
        # category 7 does not exist: all zeros, as nnblas train's models encode it (issue 26)
        self.assertEqual(list(status), [0, 0])

    def test_command_errors(self):
        """Clear errors, nothing half written, and never the model overwritten."""
        data = shared("data", "admissions.csv")
        model = self.train("errs", "--csv", data, "--target", "admit", "--one-hot", "rank",
                           "--layers", "3", "--epochs", "2")
        with open(model, "rb") as f:
            before = f.read()

        def fails(code, text, *args):
            r = run(NNBLAS, "export", *args, ok=False)
            self.assertEqual(r.returncode, code, "%s: %s" % (args, r.stderr))
            self.assertIn(text, r.stderr, args)

        fails(2, "give --onnx FILE or --c FILE", model)
        fails(2, "no model", "--onnx", self.path("x.onnx"))
        fails(2, "--header, --int8 and --own-math are for --c", model, "--onnx",
              self.path("x.onnx"), "--int8")
        fails(2, "did you mean '--onnx'", model, "--onx", self.path("x.onnx"))
        fails(2, "not a C identifier", model, "--c", self.path("x.c"), "--name", "9lives")
        fails(2, "--dtype", model, "--c", self.path("x.c"), "--dtype", "f16")
        fails(2, "is the same file as MODEL", model, "--onnx", model)
        fails(2, "is the same file as MODEL", model, "--c", self.path("y.c"), "--header", model)
        fails(2, "are the same file", model, "--c", self.path("y.c"), "--header",
              self.path("y.c"))
        fails(2, "are the same file", model, "--onnx", self.path("z"), "--c", self.path("z"))
        fails(2, "not written to standard output", model, "--onnx", "-")
        os.symlink(model, self.path("link.onnx"))  # a link to the model is the model
        fails(2, "is the same file as MODEL", model, "--onnx", self.path("link.onnx"))
        os.unlink(self.path("link.onnx"))
        fails(1, "an #include line cannot carry", model, "--c", self.path("y.c"), "--header",
              self.path("my header.h"))
        fails(1, "input scale applies to numeric inputs only", model, "--onnx",
              self.path("x.onnx"), "--input-scale", "0.5")
        fails(1, self.path("nope.nnb"), self.path("nope.nnb"), "--onnx", self.path("x.onnx"))
        fails(1, "not an nnblas model file", data, "--onnx", self.path("x.onnx"))
        fails(1, "give it --csv", model, "--c", self.path("x.c"), "--int8", "--idx",
              "fashion-mnist")  # the int8 report's data is read before anything is written
        fails(1, "", model, "--onnx", os.path.join(self.tmp, "no", "such", "x.onnx"))
        fails(1, "character device", model, "--onnx", "/dev/null")
        fails(1, "directory", model, "--c", self.tmp + "/")
        with open(model, "rb") as f:
            self.assertEqual(f.read(), before)
        left = [f for f in os.listdir(self.tmp) if f.startswith(("x.", "y.", "z", "my "))]
        self.assertEqual(left, [], "files left behind")
        r = run(NNBLAS, "export", "--help")
        self.assertIn("--own-math", r.stdout)
        # written twice: the second replaces the first whole
        for _ in range(2):
            r = run(NNBLAS, "export", "--model", model, "--onnx", self.path("ok.onnx"), "--c",
                    self.path("ok.c"), "--dtype", "f32")
        self.assertIn("wrote %s" % self.path("ok.onnx"), r.stdout)
        with open(self.path("ok.h")) as f:
            self.assertIn("int ok_predict(const float *in, float *out);", f.read())
        r = run(NNBLAS, "export", model, "--c", self.path("ok.c"), "--int8")
        self.assertRegex(r.stdout, r"int8 accuracy on .*admissions.csv \(400 rows\): 0\.\d{4}, "
                         r"against 0\.\d{4} with float64 weights")

    def test_own_math_accuracy(self):
        """--own-math's exp and tanh against long double expl and tanhl on 4 million points of
        [-100, 100] (the file included by a driver, which so reaches its static functions):
        exp within 1.5 ulp, tanh within 3 ulp, in both types (docs/export.md)."""
        data = shared("data", "admissions.csv")
        cc = shutil.which("cc")
        need("a C compiler", cc is not None)
        for dtype in ("f32", "f64"):
            name = "om" + dtype[1:]
            model = self.train(name, "--csv", data, "--target", "admit", "--layers", "3",
                               "--activation", "tanh", "--epochs", "1", "--dtype", dtype)
            self.export(model, "--c", self.path(name + ".c"), "--own-math")
            driver = self.path(name + "_ulp.c")
            with open(driver, "w") as f:
                f.write(ULP_DRIVER.replace("GEN", name).replace("NAME_", name + "_"))
            exe = self.path(name + "_ulp")
            run(cc, "-O2", *(["-DF32"] if dtype == "f32" else []), "-I", self.tmp, driver, "-o",
                exe, "-lm")
            e, t = (float(v) for v in run(exe).stdout.split())
            print("own math, %s: exp %.3f ulp, tanh %.3f ulp" % (dtype, e, t), file=sys.stderr)
            self.assertLessEqual(e, 1.5)
            self.assertLessEqual(t, 3.0)

    def test_public_api_only(self):
        """The exporters read models through the public API only (lib/export_internal.h): their
        files include nnblas.h, their own header and the atomic writer, and system headers."""
        import glob
        allowed = {'"nnblas.h"', '"export_internal.h"', '"atomic_file.h"'}
        files = sorted(glob.glob(os.path.join(REPO, "lib", "export*.[ch]")))
        self.assertGreaterEqual(len(files), 5)
        for path in files:
            with open(path) as f:
                for line in f:
                    if line.startswith("#include"):
                        inc = line.split()[1]
                        self.assertTrue(inc.startswith("<") or inc in allowed,
                                        "%s includes %s" % (os.path.basename(path), inc))


ULP_DRIVER = r"""
#include <math.h>
#include <stdio.h>
#include "GEN.c"

#ifdef F32
typedef float real;
#define MIN_NORMAL 1.17549435e-38L
#else
typedef double real;
#define MIN_NORMAL 2.2250738585072014e-308L
#endif

static double ulps(real got, long double want) {
    real w = (real)want, u;
    if (isnan(w)) return isnan(got) ? 0 : 1e9;
    if (isinf(w)) return got == w ? 0 : 1e9;
#ifdef F32
    u = nextafterf(fabsf(w), INFINITY) - fabsf(w);
#else
    u = nextafter(fabs(w), INFINITY) - fabs(w);
#endif
    if (w == 0) return got == 0 ? 0 : 1e9;
    return (double)(fabsl((long double)got - want) / u);
}

int main(void) {
    double worst_exp = 0, worst_tanh = 0;
    long i;
    for (i = -2000000; i <= 2000000; i++) {
        real x = (real)(i * 5e-5 * (1 + (i % 7) * 1e-3));
        long double e = expl((long double)x), t = tanhl((long double)x);
        double a = e < MIN_NORMAL ? 0 : ulps(NAME_exp(x), e), b = ulps(NAME_tanh(x), t);
        if (a > worst_exp) worst_exp = a;
        if (b > worst_tanh) worst_tanh = b;
    }
    printf("%.4f %.4f\n", worst_exp, worst_tanh);
    return 0;
}
"""

DRIVER = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "HEADER"

int main(int argc, char **argv) {
    long rows = argc > 2 ? atol(argv[2]) : 0, r;
    FILE *f = argc > 3 ? fopen(argv[1], "rb") : NULL;
    REAL *in = malloc((size_t)(rows ? rows : 1) * UPPER_N_INPUTS * sizeof *in);
    REAL *out = malloc((size_t)(rows ? rows : 1) * UPPER_N_OUTPUTS * sizeof *out);
    REAL *batch = malloc((size_t)(rows ? rows : 1) * UPPER_N_OUTPUTS * sizeof *batch);
    int *status = malloc((size_t)(rows ? rows : 1) * sizeof *status), worst = 0;
    if (!f || !in || !out || !batch || !status) return 2;
    if (fread(in, sizeof *in, (size_t)rows * UPPER_N_INPUTS, f) != (size_t)rows * UPPER_N_INPUTS)
        return 2;
    fclose(f);
    for (r = 0; r < rows; r++) {
        status[r] = NAME_predict(in + r * UPPER_N_INPUTS, out + r * UPPER_N_OUTPUTS);
        if (status[r] && !worst) worst = status[r];
    }
    if (NAME_predict_batch(in, (unsigned long)rows, batch) != worst) return 3;
    if (memcmp(out, batch, (size_t)rows * UPPER_N_OUTPUTS * sizeof *out) != 0) return 4;
    f = fopen(argv[3], "wb");
    if (!f) return 2;
    fwrite(out, sizeof *out, (size_t)rows * UPPER_N_OUTPUTS, f);
    fwrite(status, sizeof *status, (size_t)rows, f);
    return fclose(f) != 0;
}
"""

def main():
    global NNBLAS
    if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
        NNBLAS = os.path.abspath(sys.argv.pop(1))
    prog = unittest.main(verbosity=2, exit=False)
    r = prog.result
    if not r.wasSuccessful():
        sys.exit(1)
    if r.testsRun and len(r.skipped) == r.testsRun:
        sys.exit(77)  # meson: skipped


if __name__ == "__main__":
    main()
