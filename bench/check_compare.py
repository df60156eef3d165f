#!/usr/bin/env python3
"""Runs bench/compare --quick --no-sweeps --rounds 2 with numpy as the peer (none if numpy is
missing) and checks what it prints and writes: two rounds of records (nnblas at 1 and 2 threads,
float64 and float32, and the peer's), a table row for each workload whose samples/s, ceiling and
fraction are the medians of the rounds' JSON records (float64, and float32 in the WORKLOAD/f32
rows), and each ratio equal to the median of the rounds' paired ratios (nnblas's samples/s in
round r divided by the peer's in round r), printed per round below the tables. Times are not
checked.

    check_compare.py COMPARE BUILD_DIR
"""
import json
import os
import subprocess
import sys
import tempfile

WORKLOADS = ["w1-admissions", "w2-fashion", "w3-wide"]
ROUNDS = 2


def median(v):
    v = sorted(v)
    n = len(v)
    return v[n // 2] if n % 2 else 0.5 * (v[n // 2 - 1] + v[n // 2])


def near(a, b, rel=1e-9, absolute=0.5):
    return abs(float(a) - b) <= absolute + rel * abs(b)


def main():
    compare, build = sys.argv[1], sys.argv[2]
    has_numpy = subprocess.run(["/usr/bin/python3", "-c", "import numpy"],
                               stderr=subprocess.DEVNULL).returncode == 0
    peer = "numpy" if has_numpy else "none"
    with tempfile.TemporaryDirectory() as tmp:
        jpath = os.path.join(tmp, "out.jsonl")
        p = subprocess.run(["/usr/bin/python3", compare, "--quick", "--no-sweeps", "--peers", peer,
                            "--build", build, "--json", jpath, "--rounds", str(ROUNDS)],
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
    def recs(system, wl, threads=2, dtype="f64"):
        """{round: record}; nnblas's of the given element type."""
        got = [r for r in records if r["system"] == system and r["workload"] == wl
               and r["threads"] == threads and (system != "nnblas" or r.get("dtype", "f64") == dtype)]
        by = {r["round"]: r for r in got}
        if len(by) != len(got) or set(by) != set(range(ROUNDS)):
            sys.exit("%s %s threads %d %s: records of rounds %s, want one per round of %d" %
                     (system, wl, threads, dtype, sorted(r["round"] for r in got), ROUNDS))
        return by

    for wl in WORKLOADS:
        recs("nnblas", wl, 1)  # the 1-thread records, one per round
        two = recs("nnblas", wl, 2)
        if wl not in rows:
            sys.exit("%s: no table row in\n%s" % (wl, p.stdout))
        f = rows[wl]
        want = [median([r[k] for r in two.values()])
                for k in ("samples_per_s", "ceiling_samples_per_s", "fraction_of_ceiling")]
        if not near(f[0], want[0]) or not near(f[1], want[1]) or not near(f[2], want[2], 0, 5e-4):
            sys.exit("%s: table row %s, want the medians %s" % (wl, f, want))
        if has_numpy:
            theirs = recs("numpy", wl)
            if len(f) != 5:
                sys.exit("%s: row %s has no numpy columns" % (wl, f))
            per_round = [two[k]["samples_per_s"] / theirs[k]["samples_per_s"] for k in range(ROUNDS)]
            peer = median([r["samples_per_s"] for r in theirs.values()])
            if not near(f[3], peer) or not near(f[4], median(per_round), 0, 5e-3):
                sys.exit("%s: numpy columns %s, want %.0f and %.2f" % (wl, f[3:], peer,
                                                                      median(per_round)))
            line = "# %s / numpy per round: %s" % (wl, " ".join("%.2f" % x for x in per_round))
            if line not in p.stdout.splitlines():
                sys.exit("%s: no line '%s' in\n%s" % (wl, line, p.stdout))
        elif len(f) != 3:
            sys.exit("%s: peer columns without peers: %s" % (wl, f))
        # the float32 table: nnblas's float32 records at 2 threads, against their sgemm ceiling
        f32, g = recs("nnblas", wl, 2, "f32"), rows.get(wl + "/f32")
        want = [median([r[k] for r in f32.values()])
                for k in ("samples_per_s", "ceiling_samples_per_s", "fraction_of_ceiling")]
        if g is None or not near(g[0], want[0]) or not near(g[2], want[2], 0, 5e-4):
            sys.exit("%s: float32 records %s, row %s" % (wl, f32, g))
    print("ok: %d records, peer %s" % (len(records), peer))


if __name__ == "__main__":
    main()
