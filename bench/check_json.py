#!/usr/bin/env python3
"""Runs a benchmark command and checks its --json output: every line of stdout is a JSON object
with "bench", "isa", "threads" and, for `kernels`, "kernel", "n", "elems_per_s", "ratio_libm",
"ratio_copy", "max_ulp" (a number or null), "dtype" ("f64" or "f32", both present), "ratio_f64"
(a number for float32 kernels, else null) and "corename", and for `train`, "workload", "samples_per_s",
"epoch_s", "gflops", "ceiling_samples_per_s", "fraction_of_ceiling" and "max_rss_mib" (positive
numbers) and "dtype" ("f64" or "f32", both present unless --dtype picks one), and for its
cnn-fashion rows "corename", "layers" (the PyTorch peer's tokens) and "chunks" too; for `conv`,
"workload", "dtype" (both present), "corename", "samples_per_s", "ceiling_samples_per_s",
"fraction_of_ceiling", "gflops", "max_rss_mib" (positive) and "ms_per_step", an object of the
parts' milliseconds (numbers, at least 0, their sum at most a step's); for `export`,
"network", "dtype", "variant", "cflags", "corename", "library_us", "generated_us" and "speedup";
there is at least one line for each kernel set.
Times are not checked.

    check_json.py PROGRAM ARGS...
"""
import json
import subprocess
import sys

REQUIRED = {"bench": str, "isa": str, "threads": int}
KERNELS = {"kernel": str, "n": int, "elems_per_s": (int, float), "ratio_libm": (int, float),
           "ratio_copy": (int, float), "max_ulp": (int, float, type(None)), "dtype": str,
           "ratio_f64": (int, float, type(None)), "corename": str}
CONV = {"workload": str, "dtype": str, "corename": str, "samples_per_s": (int, float),
        "ceiling_samples_per_s": (int, float), "fraction_of_ceiling": (int, float),
        "gflops": (int, float), "max_rss_mib": (int, float), "ms_per_step": dict}
DATA = {"format": str, "rows": int, "mb_per_s": (int, float), "seconds": (int, float)}
EXPORT = {"network": str, "dtype": str, "variant": str, "cflags": str, "corename": str,
          "library_us": (int, float), "generated_us": (int, float), "speedup": (int, float)}
TRAIN = {"workload": str, "samples_per_s": (int, float), "epoch_s": (int, float),
         "gflops": (int, float), "ceiling_samples_per_s": (int, float),
         "fraction_of_ceiling": (int, float), "max_rss_mib": (int, float), "dtype": str}


def main():
    out = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, check=True, text=True).stdout
    lines = [l for l in out.splitlines() if l.strip()]
    if not lines:
        sys.exit("no output")
    isas, kernels, dtypes = set(), set(), set()
    for i, line in enumerate(lines, 1):
        try:
            obj = json.loads(line)
        except ValueError as e:
            sys.exit("line %d is not JSON (%s): %s" % (i, e, line))
        if not isinstance(obj, dict):
            sys.exit("line %d is not an object: %s" % (i, line))
        extra = {"kernels": KERNELS, "train": TRAIN, "data": DATA,
                 "conv": CONV, "export": EXPORT}.get(obj.get("bench"), {})
        want = dict(REQUIRED, **extra)
        for key, typ in want.items():
            if key not in obj or not isinstance(obj[key], typ) or isinstance(obj[key], bool):
                sys.exit("line %d: %r missing or not %s: %s" % (i, key, typ, line))
        if obj["bench"] == "kernels" and obj["isa"] != "none":
            if not obj["elems_per_s"] > 0:
                sys.exit("line %d: elems_per_s not positive: %s" % (i, line))
            isas.add(obj["isa"])
            kernels.add(obj["kernel"])
            dtypes.add(obj["dtype"])
            if (obj["ratio_f64"] is None) != (obj["dtype"] == "f64"):
                sys.exit("line %d: ratio_f64 must be a number exactly for f32 rows: %s" % (i, line))
        if obj["bench"] == "train":
            for key in TRAIN:
                if key not in ("workload", "dtype") and not obj[key] > 0:
                    sys.exit("line %d: %s not positive: %s" % (i, key, line))
            kernels.add(obj["workload"])
            dtypes.add(obj["dtype"])
            if obj["workload"] == "cnn-fashion" and not (
                    isinstance(obj.get("corename"), str) and obj["corename"]
                    and obj.get("layers") == "conv32x3p1,maxpool2,conv64x3p1,maxpool2,128,10"
                    and isinstance(obj.get("chunks"), list) and len(obj["chunks"]) == 2
                    and all(isinstance(c, int) and c > 0 for c in obj["chunks"])):
                sys.exit("line %d: a cnn-fashion row without corename, layers or chunks: %s"
                         % (i, line))
        if obj["bench"] == "conv":
            for key in ("samples_per_s", "ceiling_samples_per_s", "fraction_of_ceiling", "gflops",
                        "max_rss_mib"):
                if not obj[key] > 0:
                    sys.exit("line %d: %s not positive: %s" % (i, key, line))
            parts = obj["ms_per_step"]
            if not parts or not all(isinstance(v, (int, float)) and v >= 0 for v in parts.values()):
                sys.exit("line %d: ms_per_step not an object of times: %s" % (i, line))
            if sum(parts.values()) > 1.05 * 1e3 * 64 / obj["samples_per_s"]:
                sys.exit("line %d: the parts take longer than the step: %s" % (i, line))
            kernels.add(obj["workload"])
            dtypes.add(obj["dtype"])
        if obj["bench"] == "data":
            if not obj["mb_per_s"] > 0:
                sys.exit("line %d: mb_per_s not positive: %s" % (i, line))
            kernels.add(obj["format"])
    if lines and json.loads(lines[0])["bench"] == "kernels" and "scalar" not in isas:
        sys.exit("no scalar lines")
    if lines and json.loads(lines[0])["bench"] == "kernels" and dtypes != {"f64", "f32"}:
        sys.exit("kernel rows of dtypes %s, not f64 and f32" % sorted(dtypes))
    if (lines and json.loads(lines[0])["bench"] in ("train", "conv") and "--dtype" not in sys.argv
            and dtypes != {"f64", "f32"}):
        sys.exit("%s rows of dtypes %s, not f64 and f32" % (json.loads(lines[0])["bench"],
                                                           sorted(dtypes)))
    print("%d lines, kernel sets %s, %d kernels or workloads" % (len(lines), sorted(isas), len(kernels)))


if __name__ == "__main__":
    main()
