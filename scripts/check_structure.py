#!/usr/bin/env python3
"""The house's structural limits, checked on the sources and on a build's object files.

  scripts/check_structure.py BUILD_DIR [--report]

1. Function length: no function in lib/, tools/ or bench/ over 100 lines (pmccabe, column 5).
2. Import circles: a file that defines a symbol another file calls must not, through any chain,
   call back into that file. The graph is read off the object files of each component (the
   library with its kernel sets, libnnblas_mpi, the command): an edge A -> B when A's object
   refers to a symbol B's object defines (nm). Any strongly connected set of two or more files is
   a circle.

Known violations that are being worked off are listed in scripts/structure-allow (one per line:
`length FILE:FUNCTION` or `circle FILE,FILE,...` with the files sorted). The check fails on a
violation that is not listed, and on a listed one that no longer occurs (so the list only
shrinks). --report prints everything found and exits 0.
"""
import os
import shutil
import re
import subprocess
import sys

LIMIT = 100
TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ALLOW = os.path.join(TOP, "scripts", "structure-allow")


def c_files(*dirs):
    out = []
    for d in dirs:
        for root, _, files in os.walk(os.path.join(TOP, d)):
            if "/fuzz" in root:
                continue
            out += [os.path.join(root, f) for f in files if f.endswith(".c")]
    return sorted(out)


def long_functions():
    files = c_files("lib", "tools", "bench")
    res = subprocess.run(["pmccabe"] + files, capture_output=True, text=True, check=True)
    found = set()
    for line in res.stdout.splitlines():
        cols = line.split("\t")
        if len(cols) < 6:
            continue
        lines = int(cols[4])
        m = re.match(r"(.*)\((\d+)\): (\S+)", cols[5])
        if lines > LIMIT and m:
            rel = os.path.relpath(m.group(1), TOP)
            found.add(("length", f"{rel}:{m.group(3)}", lines))
    return found


def symbols(obj):
    defined, undefined = set(), set()
    res = subprocess.run(["nm", "-P", obj], capture_output=True, text=True, check=True)
    for line in res.stdout.splitlines():
        parts = line.split()
        if len(parts) < 2:
            continue
        name, kind = parts[0], parts[1]
        if kind == "U":
            undefined.add(name)
        elif kind in "TDBRVWGS" and kind.isupper():
            defined.add(name)
    return defined, undefined


def source_name(obj, pdir):
    base = os.path.basename(obj)[:-2]  # "net.c.o" -> "net.c"; "kernels_avx2.c.o" -> ...
    return os.path.relpath(os.path.join(pdir, base), TOP).replace("/build", "")


def components(build):
    """Lists of object files, one list per linked component."""
    comps = {}
    for root, dirs, files in os.walk(build):
        if not root.endswith(".p"):
            continue
        objs = [os.path.join(root, f) for f in files if f.endswith(".o")]
        rel = os.path.relpath(root, build)
        if rel.startswith("lib/libnnblas.so") or rel.startswith("lib/libnnb_kernels") or \
                rel.startswith("lib/libnnblas.a"):
            comps.setdefault("lib", []).extend(objs)
        elif rel.startswith("lib/mpi/libnnblas_mpi.so"):
            comps.setdefault("mpi", []).extend(objs)
        elif rel.startswith("tools/libnnblas_cli"):
            comps.setdefault("tools", []).extend(objs)
    return comps


def file_of(obj, build):
    rel = os.path.relpath(obj, build)
    d = os.path.dirname(rel)             # lib/libnnblas.so.0.2.0.p
    base = os.path.basename(rel)[:-2]     # net.c, kernels_avx2.c
    top = d.split("/")[0] if not d.startswith("lib/mpi") else "lib/mpi"
    if base.startswith("kernels_") and top == "lib":
        return "lib/kernels/" + base[len("kernels_"):]
    return f"{top}/{base}"


def circles(build):
    found = set()
    for name, objs in components(build).items():
        files = {}
        for o in objs:  # a static and a shared build hold the same sources twice: keep one
            files.setdefault(file_of(o, build), o)
        defs, uses = {}, {}
        for f, o in files.items():
            d, u = symbols(o)
            uses[f] = u
            for s in d:
                defs.setdefault(s, f)
        graph = {f: {defs[s] for s in uses[f] if s in defs and defs[s] != f} for f in files}
        for scc in tarjan(graph):
            if len(scc) > 1:
                found.add(("circle", ",".join(sorted(scc)), 0))
    return found


def tarjan(graph):
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            scc = []
            while True:
                w = stack.pop()
                on.discard(w)
                scc.append(w)
                if w == v:
                    break
            out.append(scc)

    sys.setrecursionlimit(10000)
    for v in graph:
        if v not in index:
            visit(v)
    return out


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    build = os.path.abspath(sys.argv[1])
    if not shutil.which("pmccabe") or not shutil.which("nm"):
        print("check_structure: pmccabe or nm is missing (scripts/deps installs them): skipped")
        return 77
    report = "--report" in sys.argv
    found = long_functions() | circles(build)
    allowed = set()
    if os.path.exists(ALLOW):
        with open(ALLOW) as fh:
            for line in fh:
                line = line.split("#")[0].strip()
                if line:
                    kind, what = line.split(None, 1)
                    allowed.add((kind, what))
    bad = 0
    for kind, what, n in sorted(found):
        listed = (kind, what) in allowed
        detail = f" ({n} lines; the limit is {LIMIT})" if kind == "length" else ""
        if report or not listed:
            print(f"{'listed' if listed else 'NEW'} {kind} {what}{detail}")
        bad += not listed
    for kind, what in sorted(allowed - {(k, w) for k, w, _ in found}):
        print(f"FIXED {kind} {what}: remove it from scripts/structure-allow")
        bad += 1
    print(f"check_structure: {len(found)} violations, {len(allowed)} listed, {bad} problems")
    return 0 if report or bad == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
