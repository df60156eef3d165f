#!/usr/bin/env python3
"""Runs bench/compare --quick --no-sweeps with numpy as the peer (none if numpy is missing) and
checks what it prints and writes: a table row for each workload whose samples/s, ceiling and
fraction match the JSON records (float64, and float32 in the WORKLOAD/f32 rows), nnblas at 1 and 2
threads, and each ratio equal to nnblas's
samples/s divided by the peer's. Times are not checked.

    check_compare.py COMPARE BUILD_DIR
"""
import json
import os
import subprocess
import sys
import tempfile

WORKLOADS = ["w1-admissions", "w2-fashion", "w3-wide"]


def main():
    compare, build = sys.argv[1], sys.argv[2]
    has_numpy = subprocess.run(["/usr/bin/python3", "-c", "import numpy"],
                               stderr=subprocess.DEVNULL).returncode == 0
    peer = "numpy" if has_numpy else "none"
    with tempfile.TemporaryDirectory() as tmp:
        jpath = os.path.join(tmp, "out.jsonl")
        p = subprocess.run(["/usr/bin/python3", compare, "--quick", "--no-sweeps", "--peers", peer,
                            "--build", build, "--json", jpath],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if p.returncode != 0:
            sys.exit("compare failed (%d): %s" % (p.returncode, p.stderr[-2000:]))
        records = [json.loads(l) for l in open(jpath) if l.strip()]
    rows = {}
    for line in p.stdout.splitlines():
        f = line.split()
        if f and f[0] in WORKLOADS and "(nnblas" not in line:
            rows[f[0]] = f[1:]
        if f and f[0].endswith("/f32") and f[0][:-4] in WORKLOADS and "(nnblas" not in line:
            rows[f[0]] = f[1:]
    for wl in WORKLOADS:
        mine = {r["threads"]: r for r in records if r["system"] == "nnblas" and r["workload"] == wl
                and r.get("dtype", "f64") == "f64"}
        if set(mine) != {1, 2}:
            sys.exit("%s: nnblas records for threads %s, want 1 and 2" % (wl, sorted(mine)))
        if wl not in rows:
            sys.exit("%s: no table row in\n%s" % (wl, p.stdout))
        me, f = mine[2], rows[wl]
        if abs(float(f[0]) - me["samples_per_s"]) > 0.5 + 1e-9 * me["samples_per_s"] or \
           abs(float(f[1]) - me["ceiling_samples_per_s"]) > 0.5 + 1e-9 * me["ceiling_samples_per_s"] or \
           abs(float(f[2]) - me["fraction_of_ceiling"]) > 5e-4:
            sys.exit("%s: table row %s does not match %s" % (wl, f, me))
        if has_numpy:
            theirs = [r for r in records if r["system"] == "numpy" and r["workload"] == wl]
            if len(theirs) != 1 or len(f) != 5:
                sys.exit("%s: numpy records %s, row %s" % (wl, theirs, f))
            ratio = me["samples_per_s"] / theirs[0]["samples_per_s"]
            if abs(float(f[3]) - theirs[0]["samples_per_s"]) > 0.5 + 1e-9 * theirs[0]["samples_per_s"] or \
               abs(float(f[4]) - ratio) > 5e-3:
                sys.exit("%s: numpy columns %s, want %.0f and %.2f" %
                         (wl, f[3:], theirs[0]["samples_per_s"], ratio))
        elif len(f) != 3:
            sys.exit("%s: peer columns without peers: %s" % (wl, f))
        # the float32 table: nnblas's float32 record at 2 threads, against its sgemm ceiling
        f32 = [r for r in records if r["system"] == "nnblas" and r["workload"] == wl
               and r.get("dtype") == "f32" and r["threads"] == 2]
        g = rows.get(wl + "/f32")
        if len(f32) != 1 or g is None or \
           abs(float(g[0]) - f32[0]["samples_per_s"]) > 0.5 + 1e-9 * f32[0]["samples_per_s"] or \
           abs(float(g[2]) - f32[0]["fraction_of_ceiling"]) > 5e-4:
            sys.exit("%s: float32 records %s, row %s" % (wl, f32, g))
    print("ok: %d records, peer %s" % (len(records), peer))


if __name__ == "__main__":
    main()
