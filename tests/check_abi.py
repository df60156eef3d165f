#!/usr/bin/env python3
"""The ABI's version nodes and deprecated names (meson test `abi_versions`, suite abi).

    check_abi.py LIBRARY HEADER MAPFILE

- The first node of the version script, NNBLAS_0, lists exactly the functions the header says
  appeared in 0.1 ("Since 0.1" in their comment, deprecated names included), and the library
  exports each of them at NNBLAS_0: nothing 0.1 programs link against was lost or moved.
- Every other exported function is at the newest node (the one with the wildcard).
- Every deprecated name of the header's "Deprecated names" section is exported, and so is its
  replacement, declared in the stable part of the header; a renamed function
  (NNB_DEPRECATED_FOR) is the same function, at the same address as its replacement; a function
  whose parameters moved (NNB_DEPRECATED_MOVED) is a wrapper of its own.
"""
import re
import subprocess
import sys

MARK = r"NNB_DEPRECATED\w*\((?:[^()]|\([^()]*\))*\)"


def declarations(header):
    """{name: (comment, deprecation kind or None, replacement or None)} of every NNB_API
    function."""
    out = {}
    for m in re.finditer(r"/\*\*((?:(?!\*/).)*?)\*/\s*NNB_API\s+(%s\s*)?[^;(]*?\b(nnb_\w+)\s*\("
                         % MARK, header, re.S):
        mark = m.group(2) or ""
        dep = re.match(r"NNB_DEPRECATED_(FOR|MOVED)\((nnb_\w+)\)", mark.strip())
        out[m.group(3)] = (m.group(1), dep.group(1) if dep else ("OTHER" if mark else None),
                           dep.group(2) if dep else None)
    return out


def since(comment):
    tags = re.findall(r"Since (0\.\d+)", comment)
    return tags[0] if tags else None


def version_script(text):
    """[(node, [explicit names], has wildcard)] in file order."""
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    nodes = []
    for m in re.finditer(r"(\w[\w.]*)\s*\{(.*?)\}\s*[\w.]*\s*;", text, re.S):
        body = m.group(2).split("local:")[0].replace("global:", "")
        names = [n.strip() for n in body.split(";") if n.strip()]
        nodes.append((m.group(1), [n for n in names if "*" not in n],
                      any("*" in n for n in names)))
    return nodes


def exported(lib):
    """{name: (address, version)} of the library's defined dynamic symbols."""
    nm = subprocess.run(["nm", "-D", "--defined-only", lib], capture_output=True, text=True,
                        check=True).stdout
    out = {}
    for line in nm.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2].startswith("nnb_"):
            name, _, version = parts[2].partition("@")
            out[name] = (parts[0], version.lstrip("@"))
    return out


def main():
    lib, header_path, map_path = sys.argv[1:4]
    with open(header_path) as f:
        header = f.read()
    with open(map_path) as f:
        nodes = version_script(f.read())
    decls = declarations(header)
    syms = exported(lib)
    bad = []
    if len(decls) < 100 or len(syms) < 100 or not nodes:
        print("parsed %d declarations, %d symbols, %d nodes: the check is broken"
              % (len(decls), len(syms), len(nodes)), file=sys.stderr)
        return 1
    first, newest = nodes[0], [n for n in nodes if n[2]]
    if first[0] != "NNBLAS_0" or len(newest) != 1 or newest[0] is not nodes[-1]:
        bad.append("the version script must start with NNBLAS_0 and end with the one node that "
                   "has the wildcard nnb_*")
    v01 = {n for n, (c, _, _) in decls.items() if since(c) == "0.1"}
    listed = set(first[1])
    for n in sorted(v01 - listed):
        bad.append("%s is Since 0.1 in the header but not listed in NNBLAS_0" % n)
    for n in sorted(listed - v01):
        bad.append("%s is listed in NNBLAS_0 but the header does not say Since 0.1" % n)
    for n in sorted(listed):
        if syms.get(n, (None, None))[1] != "NNBLAS_0":
            bad.append("%s: exported at %s, not NNBLAS_0" % (n, syms.get(n, (0, "nowhere"))[1]))
    for n, (_, version) in sorted(syms.items()):
        if n not in listed and newest and version != newest[0][0]:
            bad.append("%s: exported at %s, not the newest node %s" % (n, version, newest[0][0]))
    n_alias = n_moved = 0
    for old, (_, kind, new) in sorted(decls.items()):
        if kind not in ("FOR", "MOVED"):
            continue
        if new not in decls or decls[new][1] is not None:
            bad.append("%s: its replacement %s is not declared as a stable function" % (old, new))
        if old not in syms or new not in syms:
            bad.append("%s or %s is not exported" % (old, new))
            continue
        same = syms[old][0] == syms[new][0]
        if kind == "FOR" and not same:
            bad.append("%s is declared a renamed %s but is another function (address %s, not %s)"
                       % (old, new, syms[old][0], syms[new][0]))
        if kind == "MOVED" and same:
            bad.append("%s: its parameters moved, so it cannot be %s itself" % (old, new))
        n_alias += kind == "FOR"
        n_moved += kind == "MOVED"
    for line in bad:
        print(line, file=sys.stderr)
    if not bad:
        print("ok: %d functions at NNBLAS_0, %d at %s; %d renamed names the same functions as "
              "their replacements, %d with moved parameters" %
              (len(listed), len(syms) - len(listed), newest[0][0], n_alias, n_moved))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
