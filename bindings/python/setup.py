"""Records, at `pip install`, where the C library is: nnblas/_config.py (see nnblas/_lib.py).

From a checkout (this folder is <repo>/bindings/python), the build folder is
$NNBLAS_BUILD_DIR (absolute, or relative to <repo>) or <repo>/build; from elsewhere, only
$NNBLAS_BUILD_DIR (absolute). Recorded: the build folder's lib/ (BUILD_LIBDIRS), and the folder
that build's `meson install` installs the library to (LIBDIR, read from meson-info). Everything
else is in pyproject.toml."""
import json
import os

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


def build_dir():
    d = os.environ.get("NNBLAS_BUILD_DIR")
    in_checkout = os.path.isfile(os.path.join(REPO, "include", "nnblas.h"))
    if d and (os.path.isabs(d) or in_checkout):
        return os.path.join(REPO, d) if not os.path.isabs(d) else d
    return os.path.join(REPO, "build") if in_checkout else None


def config_text():
    d = build_dir()
    if not d or not os.path.isdir(os.path.join(d, "lib")):
        return None
    lines = ['"""Written by pip install (setup.py): where the C library was built and is '
             'installed."""',
             "BUILD_LIBDIRS = [%r]" % os.path.abspath(os.path.join(d, "lib"))]
    try:
        with open(os.path.join(d, "meson-info", "intro-buildoptions.json")) as f:
            opts = {o["name"]: o["value"] for o in json.load(f)}
        lines.append("LIBDIR = %r" % os.path.join(opts["prefix"], opts["libdir"]))
    except (OSError, ValueError, KeyError):
        pass
    return "\n".join(lines) + "\n"


class BuildPy(build_py):
    def run(self):
        super().run()
        text = config_text()
        if text:
            path = os.path.join(self.build_lib, "nnblas", "_config.py")
            with open(path, "w") as f:
                f.write(text)


setup(cmdclass={"build_py": BuildPy})
