"""Prints where `meson install` puts the nnblas package, relative to the prefix (argv[1]): the
site-packages folder under the prefix that this Python already searches (the one nearest the
prefix: lib/python3.11/dist-packages for Debian's /usr/local, lib/python3/dist-packages for
/usr), else the standard layout's lib/pythonX.Y/site-packages (then PYTHONPATH must name it).
A second line says whether this Python searches it ("on-path" or "off-path")."""
import os
import sys
import sysconfig

prefix = os.path.realpath(sys.argv[1])
best = None
for p in sys.path:
    if not p or os.path.basename(p) not in ("site-packages", "dist-packages"):
        continue
    real = os.path.realpath(p)
    if real.startswith(prefix.rstrip(os.sep) + os.sep):
        rel = os.path.relpath(real, prefix)
        if best is None or rel.count(os.sep) < best.count(os.sep):
            best = rel
if best is not None:
    print(best)
    print("on-path")
else:
    purelib = sysconfig.get_path("purelib", "posix_prefix", vars={"base": prefix,
                                                                   "platbase": prefix})
    print(os.path.relpath(purelib, prefix))
    print("off-path")
