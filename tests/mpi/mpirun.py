#!/usr/bin/env python3
"""Runs a command under mpirun with N processes on this machine, loopback only, within a time bound.

    mpirun.py --state built|disabled|absent --mpirun PATH --np N --timeout SECONDS
              [--expect ok|fail] -- PROGRAM [ARGS...]

--state says what meson found: "built" (libnnblas_mpi was built), "disabled" (-Dmpi=disabled) or
"absent" (-Dmpi=auto found no MPI). The exit status is 0 when the run went as expected, 1 when not
(including when it did not end within the bound: the whole process group is then killed), and 77
(skipped) when MPI was disabled, or absent, or mpirun is missing; under NNBLAS_REQUIRE_SHARED=1 (CI)
the last two are failures, since CI installs Open MPI (scripts/deps).

--expect ok: mpirun must exit 0. --expect fail: it must exit non-zero (a rank that dies, or an
error), still within the bound. --json KEY,KEY=TEXT,...: the output's lines that start with "{" are
JSON objects (there are some) with those keys, numbers or null except "bench", "isa", "workload",
"dtype" and KEY=TEXT's (text; the latter equal to TEXT) (a benchmark's --json output; no value is
checked against a time).

Also importable: mpirun_command() and run() are used by cli_mpi.py.
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def skip_or_fail(message):
    """77 (skip), or 1 in CI, where MPI must be there."""
    if os.environ.get("NNBLAS_REQUIRE_SHARED") == "1":
        print("FAIL (NNBLAS_REQUIRE_SHARED=1): " + message)
        return 1
    print("SKIP: " + message)
    return 77


def check_state(state, mpirun):
    """None if the tests can run, else the exit status to return."""
    if state == "disabled":
        print("SKIP: MPI is disabled (-Dmpi=disabled)")
        return 77
    if state != "built":
        return skip_or_fail("no MPI was found when configuring (apt-get install openmpi-bin "
                            "libopenmpi-dev, then meson setup --reconfigure)")
    if not mpirun or not os.access(mpirun, os.X_OK):
        return skip_or_fail("mpirun was not found")
    return None


def mpirun_command(mpirun, np_):
    """mpirun with N processes here: for Open MPI, over shared memory and loopback only, more
    processes than cores allowed, unbound, yielding the core while waiting (the tests share the
    machine with other tests); as root when CI runs as root."""
    try:
        version = subprocess.run([mpirun, "--version"], capture_output=True, text=True,
                                 timeout=600).stdout  # a hang guard
    except (OSError, subprocess.TimeoutExpired):
        version = ""
    if "Open MPI" not in version and "OpenRTE" not in version:
        return [mpirun, "-n", str(np_)]
    cmd = [mpirun, "-np", str(np_), "--oversubscribe", "--bind-to", "none",
           "--mca", "btl", "self,vader,tcp", "--mca", "btl_tcp_if_include", "lo",
           "--mca", "oob_tcp_if_include", "lo", "--mca", "mpi_yield_when_idle", "1"]
    if os.geteuid() == 0:
        cmd.append("--allow-run-as-root")
    return cmd


def mpi_env():
    env = dict(os.environ)
    env["OPENBLAS_NUM_THREADS"] = "1"
    # Open MPI's own allocations that live until exit are not ours: LeakSanitizer (in the
    # sanitizer build) is told to leave them alone, and still checks nnblas's.
    # The full unwinder follows the stacks through libc (built without frame pointers), so that
    # the suppressions can name the library that allocated.
    supp = "suppressions=" + os.path.join(HERE, "lsan.supp")
    env["LSAN_OPTIONS"] = (env.get("LSAN_OPTIONS", "") + ":" + supp).lstrip(":")
    env["ASAN_OPTIONS"] = (env.get("ASAN_OPTIONS", "") + ":fast_unwind_on_malloc=0").lstrip(":")
    return env


def kill_session(sid):
    """SIGKILL to every process of session `sid`: mpirun puts the ranks in process groups of
    their own, but they stay in its session."""
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[3]) == sid:
                os.kill(int(pid), signal.SIGKILL)
        except (OSError, IndexError, ValueError):
            pass


def run(cmd, timeout, env=None, cwd=None):
    """(exit status, output, seconds); status None if it did not end within `timeout` (the
    process group is killed)."""
    start = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         env=env or mpi_env(), cwd=cwd, start_new_session=True)
    try:
        out, _ = p.communicate(timeout=timeout)
        rc = p.returncode
    except subprocess.TimeoutExpired:
        p.terminate()  # mpirun passes it on to the ranks
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        kill_session(p.pid)
        out, _ = p.communicate()
        rc = None
    return rc, out, time.monotonic() - start


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--state", required=True)
    ap.add_argument("--mpirun", default="")
    ap.add_argument("--np", type=int, required=True)
    ap.add_argument("--timeout", type=float, required=True)
    ap.add_argument("--expect", choices=["ok", "fail"], default="ok")
    ap.add_argument("--json", default="")
    ap.add_argument("command", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    skip = check_state(a.state, a.mpirun)
    if skip is not None:
        return skip
    command = a.command[1:] if a.command[:1] == ["--"] else a.command
    cmd = mpirun_command(a.mpirun, a.np) + command
    print("$ " + " ".join(cmd), flush=True)
    rc, out, secs = run(cmd, a.timeout)
    sys.stdout.write(out)
    if rc is None:
        print("FAIL: still running after %.0f s: killed (a hang?)" % a.timeout)
        return 1
    print("mpirun exited with %d after %.1f s" % (rc, secs))
    if a.expect == "ok" and rc != 0:
        print("FAIL: expected success")
        return 1
    if a.expect == "fail" and rc == 0:
        print("FAIL: expected the job to end with an error")
        return 1
    if a.json:
        return check_json(out, a.json.split(","))
    return 0


def check_json(out, keys):
    lines = [l for l in out.splitlines() if l.startswith("{")]
    if not lines:
        print("FAIL: no JSON lines")
        return 1
    for line in lines:
        try:
            obj = json.loads(line)
        except ValueError as e:
            print("FAIL: not JSON (%s): %s" % (e, line))
            return 1
        for k in keys:
            k, _, want = k.partition("=")  # KEY=TEXT: a text field with that value
            text = want or k in ("bench", "isa", "workload", "dtype")
            ok = k in obj and (isinstance(obj[k], str) if text else
                               obj[k] is None or isinstance(obj[k], (int, float)))
            ok = ok and (not want or obj[k] == want)
            if not ok:
                print("FAIL: %r missing or of the wrong type: %s" % (k, line))
                return 1
    print("%d JSON lines with %s" % (len(lines), ", ".join(keys)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
