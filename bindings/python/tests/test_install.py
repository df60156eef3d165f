"""Installing the package: `pip install ./bindings/python` offline (Debian's setuptools, no build
isolation, no index) into a folder and into a venv, and `meson install` into a destination
folder; each installed package must find the library without NNBLAS_LIBRARY, train, and say
which library file it loaded."""
import glob
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import unittest

from support import HERE, nnblas

PACKAGE = os.path.dirname(HERE)  # bindings/python
SOURCES = sorted(os.path.basename(p) for p in glob.glob(os.path.join(PACKAGE, "nnblas", "*.py")))

# trains XOR and prints where the package and the library are, the version and the accuracy
CODE = ("import nnblas, numpy as np\n"
        "net = nnblas.Net([2, 4, 1], activation='tanh', output='sigmoid', seed=1)\n"
        "X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], float)\n"
        "net.fit(X, [0, 1, 1, 0], epochs=1000, batch_size=0, optimizer='adam',\n"
        "        lr=0.05, loss='bce')\n"
        "print(nnblas.__file__, nnblas.library_path, nnblas.__version__,\n"
        "      net.evaluate(X, [0, 1, 1, 0])[1])")


def build_root():
    d = os.environ.get("NNBLAS_BUILD_ROOT")
    if not d or not os.path.isdir(d):
        raise unittest.SkipTest("NNBLAS_BUILD_ROOT is not set (run the tests through meson)")
    return d


def clean_env(**extra):
    """The environment without the variables that would find the library for the package."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("NNBLAS_LIBRARY", "NNBLAS_BUILD_DIR", "PYTHONPATH", "LD_LIBRARY_PATH")}
    env.update(extra)
    return env


def copy_package(tmp, name="src"):
    """A copy of bindings/python outside the checkout (pip builds in the folder it is given,
    leaving its build/ there)."""
    src = os.path.join(tmp, name)
    shutil.copytree(PACKAGE, src, ignore=shutil.ignore_patterns(
        "tests", "build", "*.egg-info", "__pycache__"))
    return src


def pip_install(python, src, env, *args):
    r = subprocess.run([python, "-m", "pip", "install", "--no-build-isolation", "--no-index",
                        "--no-deps", "--disable-pip-version-check", "--no-cache-dir"] +
                       list(args) + [src], capture_output=True, text=True, env=env)
    if r.returncode:
        raise AssertionError("pip install failed:\n" + r.stdout + r.stderr)


class InstallTest(unittest.TestCase):
    def run_code(self, python, env, cwd):
        r = subprocess.run([python, "-c", CODE], env=env, cwd=cwd, capture_output=True,
                           text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        where, lib, version, acc = r.stdout.split()
        self.assertEqual(version, nnblas.__version__)
        self.assertEqual(float(acc), 1.0)
        return where, lib

    def test_pip_install_target(self):
        with tempfile.TemporaryDirectory() as tmp:
            target = os.path.join(tmp, "site")
            pip_install(sys.executable, copy_package(tmp), clean_env(), "--target", target)
            self.assertEqual(sorted(os.listdir(os.path.join(target, "nnblas"))),
                             sorted(SOURCES + ["__pycache__"]) if os.path.isdir(
                                 os.path.join(target, "nnblas", "__pycache__")) else SOURCES)
            lib = nnblas.library_path
            for how, extra in (("NNBLAS_LIBRARY", {"NNBLAS_LIBRARY": lib}),
                               ("LD_LIBRARY_PATH", {"LD_LIBRARY_PATH": os.path.dirname(lib)})):
                with self.subTest(found_through=how):
                    where, _ = self.run_code(sys.executable,
                                             clean_env(PYTHONPATH=target, **extra), tmp)
                    self.assertTrue(where.startswith(target), where)

    def test_meson_install(self):
        # `meson install` of this build into a destination folder: the package lands in the
        # prefix's site-packages with a _config.py, and finds the library installed with it
        # (relative to the package, since the destination folder moved the prefix)
        build = build_root()
        with tempfile.TemporaryDirectory() as tmp:
            dest = os.path.join(tmp, "dest")
            r = subprocess.run(["meson", "install", "-C", build, "--no-rebuild", "--quiet",
                                "--destdir", dest], capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            configs = glob.glob(os.path.join(dest, "**", "nnblas", "_config.py"), recursive=True)
            self.assertEqual(len(configs), 1, configs)
            pkg = os.path.dirname(configs[0])
            self.assertEqual(sorted(f for f in os.listdir(pkg) if f.endswith(".py")),
                             sorted(SOURCES + ["_config.py"]))
            where, lib = self.run_code(sys.executable,
                                       clean_env(PYTHONPATH=os.path.dirname(pkg)), tmp)
            self.assertTrue(where.startswith(pkg), where)
            self.assertTrue(os.path.realpath(lib).startswith(os.path.realpath(dest) + os.sep),
                            lib)
            self.assertTrue(os.path.isfile(lib))

    def test_venv_pip_install(self):
        # a venv on Debian's Python (numpy from the system), the package pip-installed into it
        build = build_root()
        with tempfile.TemporaryDirectory() as tmp:
            venv = os.path.join(tmp, "venv")
            subprocess.run([sys.executable, "-m", "venv", "--system-site-packages",
                            "--without-pip", venv], check=True)
            python = os.path.join(venv, "bin", "python")
            with self.subTest(found_in="the build folder pip recorded"):
                pip_install(python, copy_package(tmp), clean_env(NNBLAS_BUILD_DIR=build))
                where, lib = self.run_code(python, clean_env(), tmp)
                self.assertTrue(where.startswith(venv), where)
                self.assertEqual(os.path.realpath(lib),
                                 os.path.realpath(os.path.join(build, "lib", "libnnblas.so.0")))
            with self.subTest(found_in="the venv's prefix"):
                # installed without a build folder to record; the library in <venv>/lib/...
                pip_install(python, copy_package(tmp, "src2"), clean_env(), "--force-reinstall")
                arch = sysconfig.get_config_var("MULTIARCH") or ""
                libdir = os.path.join(venv, "lib", arch)
                os.makedirs(libdir, exist_ok=True)
                shutil.copy(os.path.join(build, "lib", "libnnblas.so.0"), libdir)
                where, lib = self.run_code(python, clean_env(), tmp)
                self.assertEqual(os.path.realpath(lib),
                                 os.path.realpath(os.path.join(libdir, "libnnblas.so.0")))


if __name__ == "__main__":
    unittest.main()
