#!/usr/bin/env python3
"""docs/design.md's table "Which file owns which concern" names every file of lib/.

    check_design_files.py SOURCE_ROOT

A file lib/DIR/NAME (DIR may be empty, or kernels, mpi...) is named when a row of the table whose
first cell names a path under lib/DIR/ (`lib/DIR/` itself, or `lib/DIR/X`) holds NAME in
backticks, in either cell (as `NAME` or `lib/DIR/NAME`). meson.build files are build rules, not
sources, and need no row. Fails listing the files that have none, and rows naming files that do
not exist.
"""
import os
import re
import sys


def table_rows(text):
    """The rows of the table under "## Which file owns which concern": (first cell, whole row)."""
    m = re.search(r"^## Which file owns which concern\n(.*?)(?=^## )", text, re.S | re.M)
    if not m:
        sys.exit("docs/design.md has no section 'Which file owns which concern'")
    rows = []
    for line in m.group(1).splitlines():
        if line.startswith("|") and not line.startswith("|---"):
            cells = line.strip("|").split("|")
            rows.append((cells[0], line))
    return rows


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))
    with open(os.path.join(root, "docs", "design.md"), encoding="utf-8") as f:
        rows = table_rows(f.read())
    lib = os.path.join(root, "lib")
    files = []
    for dirpath, _, names in os.walk(lib):
        for n in names:
            if n == "meson.build" or n.startswith("."):
                continue
            files.append(os.path.relpath(os.path.join(dirpath, n), root))
    missing = []
    for path in sorted(files):
        d, name = os.path.split(path)  # "lib" or "lib/kernels"
        covered = False
        for first, row in rows:
            heads = re.findall(r"`(lib/[^`]*)`", first)
            if not any(h == path or h.startswith(d + "/") and "/" not in h[len(d) + 1:].rstrip("/")
                       or h == d + "/" for h in heads):
                continue
            tokens = re.findall(r"`([^`]+)`", row)
            if name in tokens or path in tokens:
                covered = True
                break
        if not covered:
            missing.append(path)
    named = set()
    for first, row in rows:
        for tok in re.findall(r"`(lib/[^`]+)`", row):
            if not tok.endswith("/"):
                named.add(tok)
    stale = sorted(p for p in named if not os.path.exists(os.path.join(root, p)))
    for p in missing:
        print("docs/design.md: %s has no row in 'Which file owns which concern'" % p)
    for p in stale:
        print("docs/design.md: the table names %s, which does not exist" % p)
    print("check_design_files: %d files of lib/, %d without a row, %d stale names" %
          (len(files), len(missing), len(stale)))
    return 1 if missing or stale else 0


if __name__ == "__main__":
    sys.exit(main())
