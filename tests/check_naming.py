#!/usr/bin/env python3
"""The naming rule, where a machine can check it (meson test `naming_rule`, suite lint).

    check_naming.py HEADER...

Over every function the headers declare (CONTRIBUTING.md, "Naming"), the deprecated names of the
"Deprecated names" section excepted:
  1. the word after nnb_ is a known object (a handle, a format, an enum type...), or the name is
     one of the library-wide forms (nnb_set_X, nnb_get_X, nnb_last_error, nnb_clear_error);
  2. no spelling the rule replaced: _count, _len, col/cols, _options, _mem;
  3. every setter has its getter (nnb_X_set_Y and nnb_X_get_Y; nnb_X_set and nnb_X_get);
  4. the handles a function makes (nnb_<type> ** parameters) come first;
  5. a _f32 function has a float64 twin with the same parameters, in the same order;
  6. no count spelt without n_ among the size_t parameters (rows, cols, count, n, bytes, ...).
A new object is a decision: add it to OBJECTS with the reason.
"""
import re
import sys

OBJECTS = {
    # handles
    "net", "train_opts", "history", "table", "csv_opts", "prep", "meta", "mpi_opts",
    # formats and kinds of data
    "csv", "idx", "mnist", "model", "input", "rows", "name", "target", "values", "mpi",
    # enum types (their _name, _parse, _n_values)
    "status", "activation", "init", "dtype", "loss", "reduction", "optimizer", "schedule",
    "history_field", "target_kind", "scale", "unseen", "mnist_part",
    "fill",  # nnb_fill: how a preparation fills missing cells (issue 26)
    # the library itself: its version, its kernels; the convenience section's defaults
    "version", "kernel", "default",
    # exports (issue 25): their options handle, and the two formats a model is written in
    # (nnb_onnx_write, nnb_c_source_write, as nnb_model_write writes the model format)
    "export_opts", "onnx", "c_source",
}
LIBRARY_WIDE = re.compile(r"^nnb_(set|get)_\w+$|^nnb_last_error$|^nnb_clear_error$")
NOT_SETTINGS = {"nnb_set_error"}  # sets the thread's error and returns its status
BANNED = re.compile(r"_count$|_len$|(^|_)cols?(_|$)|_options(_|$)|_mem$")
COUNT_NAMES = {"rows", "cols", "count", "n", "bytes", "units", "written", "calls", "values",
               "size", "item_size", "x_cols", "y_cols", "src_rows", "n_idx", "piece_values",
               "cap"}
MARK = r"NNB_DEPRECATED\w*\((?:[^()]|\([^()]*\))*\)"


def functions(text):
    """[(name, [(type, parameter name)], deprecated)] of the NNB_API declarations."""
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    out = []
    for m in re.finditer(r"NNB_API\s+(%s\s*)?[^;(]*?\b(nnb_\w+)\s*\(([^)]*)\)\s*;" % MARK, text):
        params = []
        for p in m.group(3).split(","):
            p = " ".join(p.split())
            if p in ("void", ""):
                continue
            pm = re.match(r"(.*?)(\w+)$", p)
            params.append((pm.group(1).replace(" ", ""), pm.group(2)))
        out.append((m.group(2), params, bool(m.group(1))))
    return out


def obj_of(name):
    """The longest known object at the start of name (after nnb_), or None."""
    rest = name[len("nnb_"):]
    best = None
    for o in OBJECTS:
        if rest == o or rest.startswith(o + "_"):
            if best is None or len(o) > len(best):
                best = o
    return best


def check(decls):
    bad = []
    stable = {n: p for n, p, dep in decls if not dep}
    for name, params in sorted(stable.items()):
        if not LIBRARY_WIDE.match(name) and obj_of(name) is None:
            bad.append("%s: no known object after nnb_ (CONTRIBUTING.md, Naming 1)" % name)
        if BANNED.search(name[len("nnb_"):]):
            bad.append("%s: a spelling the rule replaced (Naming 2, 4)" % name)
        setter = re.match(r"^(nnb_(?:\w+_)?)set(_\w+)?$", name)
        if setter and name not in NOT_SETTINGS:
            getter = setter.group(1) + "get" + (setter.group(2) or "")
            if getter not in stable:
                bad.append("%s: no getter %s (Naming 5)" % (name, getter))
        kinds = ["handle" if re.fullmatch(r"(const)?nnb_\w+\*\*", t) else "other"
                 for t, _ in params]
        first_other = kinds.index("other") if "other" in kinds else len(kinds)
        if "handle" in kinds[first_other:]:
            bad.append("%s: a handle it makes after another parameter (Naming 3)" % name)
        for t, p in params:
            if t in ("size_t", "constsize_t") and p in COUNT_NAMES:
                bad.append("%s: parameter %s is a count not spelt n_<things> (Naming 4)"
                           % (name, p))
        if name.endswith("_f32"):
            twin = stable.get(name[:-len("_f32")])
            if twin is None:
                bad.append("%s: no float64 twin %s (Naming 6)" % (name, name[:-4]))
            elif [p for _, p in twin] != [p for _, p in params]:
                bad.append("%s: parameters %s, its twin's %s (Naming 6)"
                           % (name, [p for _, p in params], [p for _, p in twin]))
    return bad


def main():
    decls = []
    for path in sys.argv[1:]:
        with open(path) as f:
            decls += functions(f.read())
    n_stable = sum(1 for _, _, dep in decls if not dep)
    if n_stable < 100:
        print("found %d declarations: the check is broken" % n_stable, file=sys.stderr)
        return 1
    bad = check(decls)
    for line in bad:
        print(line, file=sys.stderr)
    if not bad:
        print("ok: %d functions follow the naming rule (%d deprecated names not checked)"
              % (n_stable, len(decls) - n_stable))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
