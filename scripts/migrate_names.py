#!/usr/bin/env python3
"""Rewrites a program to the names of nnblas's naming rule (issue 23; CONTRIBUTING.md, "Naming").

    scripts/migrate_names.py [--check] FILE...

Every deprecated name in FILE (C, C++, Python, Markdown: any text) becomes its replacement, as
docs/guide.md's table "Deprecated names" lists them. For the functions whose parameters moved
(the handles a function makes come first, every other result last), the arguments of each call
are put in the new order too; a use that is not a call with the old number of arguments (a
function pointer, a name in a sentence) is renamed and reported, to be checked by hand.
--check changes nothing and exits 1 if a file would change (for CI or a pre-commit hook).
The old names keep working until 1.0 (with a compiler warning), so a program can move at its own
pace; this script does the mechanical part.
"""
import re
import sys

# old name -> (new name, new order of the old arguments or None when only the name changed)
RENAMES = {
    # a noun (the object) first in every name
    "nnb_gradcheck": ("nnb_net_grad_check", None),
    "nnb_split": ("nnb_rows_split", None),
    "nnb_permutation": ("nnb_rows_permute", None),
    "nnb_gather_rows": ("nnb_rows_gather", None),
    "nnb_nearest_name": ("nnb_name_find_nearest", None),
    "nnb_train": ("nnb_net_train", None),
    "nnb_train_f32": ("nnb_net_train_f32", None),
    "nnb_read_input": ("nnb_input_read", None),
    "nnb_too_many_classes": ("nnb_target_has_too_many_classes", None),
    # a column's role: added, as several targets may be (there is no one value to get back)
    "nnb_prep_set_target": ("nnb_prep_add_target", None),
    # the handles a function makes come first, every other result last
    "nnb_net_convert": ("nnb_net_copy", (2, 0, 1)),
    "nnb_model_load": ("nnb_model_read", (1, 2, 3, 0)),
    "nnb_model_load_buffer": ("nnb_model_read_buffer", (2, 3, 4, 0, 1)),
    "nnb_model_save_buffer": ("nnb_model_write_buffer", (3, 4, 5, 6, 0, 1, 2)),
    "nnb_mnist_read": ("nnb_mnist_read_part", (0, 1, 6, 2, 3, 4, 5)),
    "nnb_mnist_read_f32": ("nnb_mnist_read_part_f32", (0, 1, 6, 2, 3, 4, 5)),
    # files are read and written (the model's pair with them)
    "nnb_model_save": ("nnb_model_write", None),
    "nnb_model_save_size": ("nnb_model_write_size", None),
    # counts are n_<things>; one spelling of each word
    "nnb_history_len": ("nnb_history_n_epochs", None),
    "nnb_meta_count": ("nnb_meta_n_keys", None),
    "nnb_table_n_cols": ("nnb_table_n_columns", None),
    "nnb_table_n_dropped": ("nnb_table_n_dropped_rows", None),
    "nnb_prep_n_constant": ("nnb_prep_n_constant_columns", None),
    "nnb_table_col_name": ("nnb_table_column_name", None),
    "nnb_table_find_col": ("nnb_table_find_column", None),
    "nnb_table_col_is_text": ("nnb_table_column_is_text", None),
    # bytes in memory: the path function's name and _buffer
    "nnb_csv_parse": ("nnb_csv_read_buffer", None),
    "nnb_csv_detect_delimiter_mem": ("nnb_csv_detect_delimiter_buffer", None),
    # options handles are _opts
    "nnb_csv_options_create": ("nnb_csv_opts_create", None),
    "nnb_csv_options_free": ("nnb_csv_opts_free", None),
    "nnb_csv_options_set_delimiter": ("nnb_csv_opts_set_delimiter", None),
    "nnb_csv_options_text_column": ("nnb_csv_opts_add_text_column", None),
    "nnb_csv_options_skip_column": ("nnb_csv_opts_skip_column", None),
    "nnb_csv_options_set_drop_bad_rows": ("nnb_csv_opts_set_drop_bad_rows", None),
    "nnb_csv_options_set_input_limit": ("nnb_csv_opts_set_input_limit", None),
    "nnb_csv_options": ("nnb_csv_opts", None),  # the type
    # every setter has its getter, named get_
    "nnb_input_limit": ("nnb_get_input_limit", None),
}
for _e in ("status", "activation", "init", "dtype", "loss", "reduction", "optimizer", "schedule",
           "history_field", "target_kind", "scale", "unseen", "mnist_part"):
    RENAMES["nnb_%s_count" % _e] = ("nnb_%s_n_values" % _e, None)
del _e

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
