#!/usr/bin/env python3
"""`mpirun -np N nnblas train` (tools/cli_mpi.c), on a small generated CSV file.

    cli_mpi.py --state built|disabled|absent --mpirun PATH --nnblas PATH

Built with MPI: 2 and 3 processes save the weights one process saves (to 1e-10 relative), with a
validation split (2 processes with --dtype f32: one process's float32 weights to 1e-4); only rank 0 prints (one JSON line per epoch, not one per process) and the model
records the process count; a process that cannot read its data stops every process before
training, and rank 0 reports its message once; processes that read different data (other values,
other class labels, flipped labels) are refused before training, naming them; a usage error is
printed once. Every run is bounded
in time (mpirun.py). Built without MPI: a command that an MPI launcher started with several
processes is refused with a message, instead of training alone in each.
"""
import argparse
import json
import os
import random
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mpirun  # noqa: E402

BOUND = 1200  # seconds per command: a hang guard (a deadlock), not a speed limit (issue 26)
failures = []


def check(cond, what, out=""):
    if cond:
        print("ok: " + what)
    else:
        print("FAIL: " + what)
        if out:
            print("---- output ----\n" + out + "\n----------------")
        failures.append(what)


def make_csv(path):
    r = random.Random(5)
    with open(path, "w") as f:
        f.write("a,b,c,d,label\n")
        for _ in range(400):
            a, b, c, d = (r.gauss(0, 1) for _ in range(4))
            label = "x" if a + b > 0.3 else ("y" if c > 0 else "z")
            f.write("%.6f,%.6f,%.6f,%.6f,%s\n" % (a, b, c, d, label))


def params(nnblas, model):
    out = subprocess.run([nnblas, "info", "--model", model, "--params-hex"], capture_output=True,
                         text=True, check=True, timeout=BOUND).stdout
    return [struct.unpack("<d", bytes.fromhex(h)[::-1])[0] for h in out.split()]


def info(nnblas, model):
    return subprocess.run([nnblas, "info", "--model", model], capture_output=True, text=True,
                          check=True, timeout=BOUND).stdout


def guard(nnblas, tmp):
    """Built without MPI: started 'by mpirun' with 2 processes, nnblas train refuses."""
    env = dict(os.environ, OMPI_COMM_WORLD_SIZE="2")
    p = subprocess.run([nnblas, "train", "--csv", os.path.join(tmp, "d.csv"), "--target", "label",
                        "--quiet"], capture_output=True, text=True, env=env, timeout=BOUND)
    check(p.returncode == 1 and "built without MPI" in p.stderr,
          "without MPI, 2 processes started by a launcher are refused", p.stderr)
    p = subprocess.run([nnblas, "train", "--csv", os.path.join(tmp, "d.csv"), "--target", "label",
                        "--quiet", "--epochs", "1"], capture_output=True, text=True,
                       env=dict(os.environ, OMPI_COMM_WORLD_SIZE="1"), timeout=BOUND)
    check(p.returncode == 0, "one process started by a launcher trains", p.stderr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--state", required=True)
    ap.add_argument("--mpirun", default="")
    ap.add_argument("--nnblas", required=True)
    a = ap.parse_args()
    nnblas = a.nnblas
    with tempfile.TemporaryDirectory() as tmp:
        csv = os.path.join(tmp, "d.csv")
        make_csv(csv)
        if a.state != "built":
            guard(nnblas, tmp)
            return 1 if failures else 0
        skip = mpirun.check_state(a.state, a.mpirun)
        if skip is not None:
            return skip
        train = [nnblas, "train", "--csv", csv, "--target", "label", "--layers", "8,6",
                 "--epochs", "5", "--batch", "24", "--val", "0.25", "--seed", "3",
                 "--threads", "1"]
        m1 = os.path.join(tmp, "m1.nnb")
        p = subprocess.run(train + ["--quiet", "--save", m1], capture_output=True, text=True,
                           timeout=BOUND)
        check(p.returncode == 0, "one process trains", p.stdout + p.stderr)
        ref = params(nnblas, m1)

        for n in (2, 3):
            mn = os.path.join(tmp, "m%d.nnb" % n)
            cmd = mpirun.mpirun_command(a.mpirun, n) + train + ["--json", "--save", mn]
            print("$ " + " ".join(cmd), flush=True)
            rc, out, secs = mpirun.run(cmd, BOUND)
            check(rc == 0, "%d processes train (%.1f s)" % (n, secs), out)
            events = [json.loads(l) for l in out.splitlines() if l.startswith("{")]
            epochs = [e for e in events if e.get("event") == "epoch"]
            check(len(epochs) == 5 and [e["epoch"] for e in epochs] == [1, 2, 3, 4, 5],
                  "%d processes: one line per epoch (rank 0 alone prints)" % n, out)
            check(sum(e.get("event") == "summary" for e in events) == 1,
                  "%d processes: one summary" % n, out)
            if rc != 0 or not os.path.exists(mn):
                continue
            got = params(nnblas, mn)
            worst = max(abs(g - r) / max(abs(r), 1e-3) for g, r in zip(got, ref))
            print("%d processes: largest relative difference of the saved weights from one "
                  "process's: %.2g" % (n, worst))
            check(len(got) == len(ref) and worst <= 1e-10,
                  "%d processes save one process's weights to 1e-10" % n)
            check("train.processes        %d" % n in info(nnblas, mn),
                  "%d processes: the model records the process count" % n)

        # a float32 model (--dtype f32): its gradient summed as MPI_FLOAT; 2 processes save one
        # process's float32 weights to 1e-4 (float sums in another order), a float32 model. One
        # process holds float32 data, 2 processes float64 data (nnb_mpi_train's type; the network
        # converts each batch to the same floats)
        f1, f2 = os.path.join(tmp, "f1.nnb"), os.path.join(tmp, "f2.nnb")
        p = subprocess.run(train + ["--dtype", "f32", "--quiet", "--save", f1],
                           capture_output=True, text=True, timeout=BOUND)
        check(p.returncode == 0, "one process trains a float32 model", p.stdout + p.stderr)
        cmd = mpirun.mpirun_command(a.mpirun, 2) + train + ["--dtype", "f32", "--quiet",
                                                            "--save", f2]
        rc, out, secs = mpirun.run(cmd, BOUND)
        check(rc == 0, "2 processes train a float32 model (%.1f s)" % secs, out)
        if rc == 0 and p.returncode == 0:
            ref32, got = params(nnblas, f1), params(nnblas, f2)
            worst = max(abs(g - r) / max(abs(r), 1e-3) for g, r in zip(got, ref32))
            print("2 processes, float32: largest relative difference of the saved weights from "
                  "one process's: %.2g" % worst)
            check(len(got) == len(ref32) and worst <= 1e-4 and got != ref,
                  "2 processes save one process's float32 weights to 1e-4")
            check("(float32)" in info(nnblas, f2), "2 processes save a float32 model")

        # processes that read different data are refused before training, naming them: other
        # values of column a (same shape, same classes), other class labels (a preparation
        # with other classes), the same labels flipped
        rank = "${OMPI_COMM_WORLD_RANK:-${PMI_RANK:-0}}"
        with open(csv) as f:
            lines = f.read().splitlines()
        variants = {
            "values": lambda c: ["%.6f" % (float(c[0]) ** 3 + 1)] + c[1:],
            "labels": lambda c: c[:-1] + [{"x": "p", "y": "q", "z": "r"}[c[-1]]],
            "flipped": lambda c: c[:-1] + [{"x": "y", "y": "x", "z": "z"}[c[-1]]],
        }
        for name, change in variants.items():
            alt = os.path.join(tmp, "alt-%s.csv" % name)
            with open(alt, "w") as g:
                g.write(lines[0] + "\n")
                for line in lines[1:]:
                    g.write(",".join(change(line.split(","))) + "\n")
            ma = os.path.join(tmp, "mixed.nnb")
            script = ('if [ "%s" = 1 ]; then f=%s; else f=%s; fi; exec "$@" --csv "$f"'
                      % (rank, alt, csv))
            cmd = (mpirun.mpirun_command(a.mpirun, 2) + ["sh", "-c", script, "sh"] +
                   [w for w in train if w not in ("--csv", csv)] + ["--quiet", "--save", ma])
            rc, out, secs = mpirun.run(cmd, BOUND)
            check(rc not in (0, None) and out.count("the processes read different data: "
                                                    "process 1 of 2") == 1
                  and not os.path.exists(ma),
                  "2 processes on different data (%s) are refused, naming process 1" % name, out)
            if name == "labels":
                check("classes p, q, r" in out and "classes x, y, z" in out,
                      "the message shows both processes' classes", out)

        # the same data prepared differently (process 1 not standardising): refused too
        script = ('if [ "%s" = 1 ]; then exec "$@" --standardize none; else exec "$@"; fi'
                  % rank)
        ma = os.path.join(tmp, "mixed.nnb")
        cmd = (mpirun.mpirun_command(a.mpirun, 2) + ["sh", "-c", script, "sh"] + train +
               ["--quiet", "--save", ma])
        rc, out, secs = mpirun.run(cmd, BOUND)
        check(rc not in (0, None) and "the processes prepared the same data differently: "
              "process 1 of 2" in out and not os.path.exists(ma),
              "2 processes preparing the same data differently are refused", out)

        # the last rank cannot read its data: every process stops before training, and rank 0
        # says why, once
        script = ('if [ "%s" = 1 ]; then f=%s; else f=%s; fi; exec "$@" --csv "$f"'
                  % (rank, os.path.join(tmp, "missing.csv"), csv))
        cmd = (mpirun.mpirun_command(a.mpirun, 2) + ["sh", "-c", script, "sh", nnblas, "train",
               "--target", "label", "--quiet", "--epochs", "1000000"])
        rc, out, secs = mpirun.run(cmd, BOUND)
        check(rc not in (0, None), "one process without its data: the job fails (%s, %.1f s)"
              % (rc, secs), out)
        check(out.count("process 1 of 2 stopped before training: nnblas: error: ") == 1
              and "missing.csv" in out,
              "rank 0 reports the other process's error, once", out)

        # a usage error, printed by rank 0 alone
        cmd = mpirun.mpirun_command(a.mpirun, 2) + [nnblas, "train", "--csv", csv, "--target",
                                                    "label", "--epochs", "0"]
        rc, out, secs = mpirun.run(cmd, BOUND)
        check(rc not in (0, None) and out.count("--epochs must be >= 1") == 1,
              "a usage error is printed once (%s)" % rc, out)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
