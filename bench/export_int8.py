#!/usr/bin/env python3
"""What the int8 C export keeps of the quick start's model (issue 25; docs/export.md, "int8").

    export_int8.py NNBLAS [--model FILE | --save-model FILE] [--json] [--fashion DIR]

Trains the README's quick-start model (`nnblas train --idx fashion-mnist --layers 256,128
--activation relu --dropout 0.2 --optimizer adam --lr 0.001 --batch 128 --epochs 15 --seed 1
--dtype f32`) unless --model names one, exports it as C source with float32 and with int8
weights (`nnblas export --c ... [--int8]`, whose report is printed), compiles both with cc -O2 and
runs them on the 10000 raw test images (bytes 0-255) of Fashion-MNIST, and prints the test
accuracy of each, of `nnblas predict`, the sizes of the sources and of their parameters, and the
points the int8 file loses. The goal (issue 25): at most 0.5 points; the script exits 1 when the
int8 file loses more. Accuracy is deterministic for a given model; no time is measured. Not a
unit test: the training takes about a minute on the project's machine (meson test --benchmark,
or run it by hand).
"""
import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

QUICKSTART = ["--idx", "fashion-mnist", "--layers", "256,128", "--activation", "relu",
              "--dropout", "0.2", "--optimizer", "adam", "--lr", "0.001", "--batch", "128",
              "--epochs", "15", "--seed", "1", "--dtype", "f32"]

DRIVER = r"""
#include <stdio.h>
#include "NAME.h"
int main(void) {
    static unsigned char img[784];
    float in[UPPER_N_INPUTS], out[UPPER_N_OUTPUTS];
    int i;
    while (fread(img, 1, 784, stdin) == 784) {
        for (i = 0; i < 784; i++) in[i] = (float)img[i];
        if (NAME_predict(in, out) != 0) return 1;
        printf("%d\n", NAME_class(out));
    }
    return 0;
}
"""


def run(*args, **kw):
    r = subprocess.run([str(a) for a in args], capture_output=True, check=False, **kw)
    if r.returncode != 0:
        sys.exit("%s failed:\n%s%s" % (" ".join(map(str, args)), r.stdout.decode(errors="replace"),
                                       r.stderr.decode(errors="replace")))
    return r


def read_idx(path, images):
    with gzip.open(path, "rb") as f:
        data = f.read()
    off = 16 if images else 8
    return np.frombuffer(data, dtype=np.uint8, offset=off)


def c_accuracy(nnblas, model, d, name, int8, raw, labels):
    src = os.path.join(d, name + ".c")
    rep = run(nnblas, "export", model, "--c", src, "--name", name, *(["--int8"] if int8 else []))
    with open(os.path.join(d, name + "_main.c"), "w") as f:
        f.write(DRIVER.replace("NAME", name).replace("UPPER", name.upper()))
    exe = os.path.join(d, name)
    run("cc", "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-pedantic", "-I", d, src,
        os.path.join(d, name + "_main.c"), "-o", exe, "-lm")
    out = run(exe, input=raw.tobytes()).stdout.split()
    pred = np.array([int(v) for v in out])
    return float(np.mean(pred == labels)), os.path.getsize(src), rep.stdout.decode()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("nnblas")
    ap.add_argument("--model", help="a model to use instead of training one")
    ap.add_argument("--save-model", help="keep the model trained here in this file")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--fashion", default="/usr/share/datasets/fashion-mnist")
    a = ap.parse_args()
    if shutil.which("cc") is None:
        sys.exit("no C compiler (cc)")
    d = tempfile.mkdtemp(prefix="nnblas-int8-")
    try:
        model = a.model
        if not model:
            model = a.save_model or os.path.join(d, "fashion.nnb")
            run(a.nnblas, "train", *QUICKSTART, "--quiet", "--save", model)
        raw = read_idx(os.path.join(a.fashion, "t10k-images-idx3-ubyte.gz"), True)
        labels = read_idx(os.path.join(a.fashion, "t10k-labels-idx1-ubyte.gz"), False)
        pred = run(a.nnblas, "predict", "--model", model, "--idx", "fashion-mnist").stdout
        rows = pred.decode().splitlines()[1:]
        names = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                 "Sneaker", "Bag", "Ankle boot"]
        lib_acc = float(np.mean([names.index(r.split(",")[0].strip('"')) == y
                                 for r, y in zip(rows, labels)]))
        f_acc, f_size, _ = c_accuracy(a.nnblas, model, d, "fashion_f32", False, raw, labels)
        q_acc, q_size, report = c_accuracy(a.nnblas, model, d, "fashion_int8", True, raw, labels)
        version = run(a.nnblas, "--version").stdout.decode()
        isa = version.rsplit("kernels ", 1)[-1].strip(" )\n")
        res = {"bench": "export_int8", "isa": isa, "threads": 0, "rows": int(labels.size),
               "library_accuracy": lib_acc, "c_float_accuracy": f_acc, "c_int8_accuracy": q_acc,
               "points_lost": round(100 * (f_acc - q_acc), 4), "c_float_bytes": f_size,
               "c_int8_bytes": q_size}
        if a.json:
            print(json.dumps(res))
        else:
            print(report.strip())
            print("test accuracy, 10000 images: nnblas predict %.4f, C float32 %.4f, C int8 %.4f "
                  "(%+.2f points)" % (lib_acc, f_acc, q_acc, 100 * (q_acc - f_acc)))
            print("C source: %d bytes with float32 weights, %d with int8" % (f_size, q_size))
        return 1 if 100 * (f_acc - q_acc) > 0.5 else 0
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
