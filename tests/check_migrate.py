#!/usr/bin/env python3
"""scripts/migrate_names.py (meson test `migrate_names`, suite lint): a program on the old names
becomes one on the new names, the moved parameters in their new order (a call broken over lines
too); a function pointer is renamed and reported; --check changes nothing and says what would."""
import os
import subprocess
import sys
import tempfile

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts",
                      "migrate_names.py")

OLD = """\
nnb_csv_options *o;
nnb_split(n, 0.2, 0.0, seed, NULL, 0, order, n, &a, &b, &c);
st = nnb_model_load(path, &net, &prep,
                    &meta);
st = nnb_model_save_buffer(buf, cap, &written, net, NULL, meta, 1);
nnb_status (*load)(const char *, nnb_net **, nnb_prep **, nnb_meta **) = nnb_model_load;
size_t k = nnb_loss_count() + nnb_table_n_cols(t);  /* nnb_train_opts stays, nnb_train goes */
"""
NEW = """\
nnb_csv_opts *o;
nnb_rows_split(n, 0.2, 0.0, seed, NULL, 0, order, n, &a, &b, &c);
st = nnb_model_read(&net, &prep, &meta, path);
st = nnb_model_write_buffer(net, NULL, meta, 1, buf, cap, &written);
nnb_status (*load)(const char *, nnb_net **, nnb_prep **, nnb_meta **) = nnb_model_read;
size_t k = nnb_loss_n_values() + nnb_table_n_columns(t);  /* nnb_train_opts stays, nnb_net_train goes */
"""


def run(*args):
    return subprocess.run([sys.executable, SCRIPT] + list(args), capture_output=True, text=True)


def main():
    bad = []
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "prog.c")
        with open(path, "w") as f:
            f.write(OLD)
        r = run("--check", path)
        with open(path) as f:
            if r.returncode != 1 or f.read() != OLD or "would change" not in r.stdout:
                bad.append("--check: exit %d, %r; the file must stay" % (r.returncode, r.stdout))
        r = run(path)
        with open(path) as f:
            got = f.read()
        if r.returncode != 0 or got != NEW:
            bad.append("migrated:\n%s\nexpected:\n%s\n%s" % (got, NEW, r.stderr))
        if "prog.c:6: nnb_model_load renamed nnb_model_read" not in r.stderr:
            bad.append("the function pointer on line 6 was not reported: %r" % r.stderr)
        r = run("--check", path)
        if r.returncode != 0:
            bad.append("a migrated file still changes: %r" % r.stdout)
    for b in bad:
        print(b, file=sys.stderr)
    if not bad:
        print("ok: renamed, reordered, reported, idempotent")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
