#!/usr/bin/env python3
"""Rewrites a program to the names of nnblas's naming rule (issue 23; CONTRIBUTING.md, "Naming").

    scripts/migrate_names.py [--check] FILE...

Every deprecated name in FILE (C, C++, Python, Markdown: any text) becomes its replacement, as
the header's "Deprecated names" section declares them (include/nnblas.h of this checkout, read
when the script starts; docs/guide.md has the same list as a table). For the functions whose parameters moved
(the handles a function makes come first, every other result last), the arguments of each call
are put in the new order too; a use that is not a call with the old number of arguments (a
function pointer, a name in a sentence) is renamed and reported, to be checked by hand.
--check changes nothing and exits 1 if a file would change (for CI or a pre-commit hook).
The old names keep working until 1.0 (with a compiler warning), so a program can move at its own
pace; this script does the mechanical part.
"""
import os
import re
import sys

HEADER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "include", "nnblas.h")
_MARK = r"NNB_DEPRECATED_(FOR|MOVED)\((nnb_\w+)\)"


def _params(decl):
    """The parameter names of a declaration's parameter list."""
    return [re.search(r"(\w+)\s*$", p).group(1) for p in decl.split(",") if p.strip() != "void"]


def renames(header_text):
    """{old name: (new name, the old arguments' order in the new call, or None)} from the
    header's "Deprecated names" section: NNB_DEPRECATED_FOR(new) declares a renamed function,
    NNB_DEPRECATED_MOVED(new) one whose parameters moved (the new order is read off the two
    declarations' parameter names), and a deprecated typedef a renamed type."""
    text = re.sub(r"/\*.*?\*/", "", header_text, flags=re.S)
    decls = {m.group(1): _params(m.group(2)) for m in
             re.finditer(r"NNB_API\s+[^;(]*?\b(nnb_\w+)\s*\(([^)]*)\)\s*;", text)}
    table = {}
    for m in re.finditer(_MARK + r"\s*[^;(]*?\b(nnb_\w+)\s*\(([^)]*)\)\s*;", text):
        kind, new, old = m.group(1), m.group(2), m.group(3)
        order = None
        if kind == "MOVED":
            old_names = _params(m.group(4))
            order = tuple(old_names.index(n) for n in decls[new])
        table[old] = (new, order)
    for m in re.finditer(r'typedef\s+NNB_DEPRECATED\("use (nnb_\w+)[^"]*"\)\s*\w+\s+(nnb_\w+)\s*;',
                         text):
        table[m.group(2)] = (m.group(1), None)
    return table


with open(HEADER, encoding="utf-8") as _f:
    RENAMES = renames(_f.read())
if len(RENAMES) < 40:
    raise SystemExit("migrate_names.py: %s lists %d deprecated names: not the header of this "
                     "checkout?" % (HEADER, len(RENAMES)))

_NAME = re.compile(r"\b(" + "|".join(sorted(RENAMES, key=len, reverse=True)) + r")\b")


def _arguments(text, start):
    """The top-level arguments of the call whose '(' is at text[start], and the index after its
    ')'; None if the parentheses do not close."""
    depth, i, args, begin, quote = 0, start, [], start + 1, None
    while i < len(text):
        c = text[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == quote:
                quote = None
        elif c in "\"'":
            quote = c
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                args.append(text[begin:i])
                return args, i + 1
        elif c == "," and depth == 1:
            args.append(text[begin:i])
            begin = i + 1
        i += 1
    return None


def _call(name, args, column):
    """name(args...) on one line, or wrapped at commas under the '(' past 100 columns."""
    one = name + "(" + ", ".join(args) + ")"
    if column + len(one) <= 100:
        return one
    lines, cur, indent = [], name + "(", " " * (column + len(name) + 1)
    for k, a in enumerate(args):
        piece = a + ("," if k < len(args) - 1 else ")")
        width = (column if not lines else 0) + len(cur) + len(piece) + 1
        if width > 100 and not cur.endswith("("):
            lines.append(cur)
            cur = indent + piece
        else:
            cur += ("" if cur.endswith("(") else " ") + piece
    return "\n".join(lines + [cur])


def migrate(text, where="<text>"):
    """text with every deprecated name replaced; prints what needs a look by hand."""
    out, pos = [], 0
    for m in _NAME.finditer(text):
        if m.start() < pos:
            continue
        old = m.group(1)
        new, order = RENAMES[old]
        out.append(text[pos:m.start()])
        pos = m.end()
        if order is None:
            out.append(new)
            continue
        paren = re.compile(r"\s*\(").match(text, m.end())
        parsed = _arguments(text, paren.end() - 1) if paren else None
        if parsed and len(parsed[0]) == len(order):
            args = [a.strip() for a in parsed[0]]
            line_start = text.rfind("\n", 0, m.start()) + 1
            out.append(_call(new, [args[k] for k in order], m.start() - line_start))
            pos = parsed[1]
            continue
        if not (parsed and parsed[0] in ([""], [])):
            line = text.count("\n", 0, m.start()) + 1
            print("%s:%d: %s renamed %s; its parameters moved: check this use by hand" %
                  (where, line, old, new), file=sys.stderr)
        out.append(new)
    out.append(text[pos:])
    return "".join(out)


def main(argv):
    check = argv[:1] == ["--check"]
    files = argv[1:] if check else argv
    if not files:
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    changed = []
    for path in files:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        new = migrate(text, path)
        if new != text:
            changed.append(path)
            if not check:
                with open(path, "w", encoding="utf-8") as f:
                    f.write(new)
    for path in changed:
        print(("would change: " if check else "changed: ") + path)
    return 1 if check and changed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
