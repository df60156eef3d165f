"""`pip install ./bindings/python` works offline (Debian's setuptools, no build isolation, no
index), and the installed package finds the library through NNBLAS_LIBRARY or the loader's path."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

from support import HERE, nnblas

PACKAGE = os.path.dirname(HERE)  # bindings/python


class InstallTest(unittest.TestCase):
    def test_pip_install_offline(self):
        with tempfile.TemporaryDirectory() as tmp:
            # pip builds in the folder it is given: install from a copy, keeping the tree clean
            src = os.path.join(tmp, "src")
            shutil.copytree(PACKAGE, src, ignore=shutil.ignore_patterns(
                "tests", "build", "*.egg-info", "__pycache__"))
            target = os.path.join(tmp, "site")
            r = subprocess.run([sys.executable, "-m", "pip", "install", "--no-build-isolation",
                                "--no-index", "--no-deps", "--disable-pip-version-check",
                                "--no-cache-dir", "--target", target, src],
                               capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertTrue(os.path.isfile(os.path.join(target, "nnblas", "net.py")))
            code = ("import nnblas, numpy as np\n"
                    "net = nnblas.Net([2, 4, 1], activation='tanh', output='sigmoid', seed=1)\n"
                    "X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], float)\n"
                    "net.fit(X, [0, 1, 1, 0], epochs=1000, batch_size=0, optimizer='adam',\n"
                    "        lr=0.05, loss='bce')\n"
                    "print(nnblas.__file__, nnblas.__version__, net.evaluate(X, [0, 1, 1, 0])[1])")
            env = dict(os.environ, PYTHONPATH=target)
            lib = nnblas.library_path
            for how, extra in (("NNBLAS_LIBRARY", {"NNBLAS_LIBRARY": lib}),
                               ("LD_LIBRARY_PATH", {"LD_LIBRARY_PATH": os.path.dirname(lib)})):
                with self.subTest(found_through=how):
                    e = {k: v for k, v in env.items() if k != "NNBLAS_LIBRARY"}
                    e.update(extra)
                    r = subprocess.run([sys.executable, "-c", code], env=e, cwd=tmp,
                                       capture_output=True, text=True)
                    self.assertEqual(r.returncode, 0, r.stderr)
                    where, version, acc = r.stdout.split()
                    self.assertTrue(where.startswith(target), where)
                    self.assertEqual(version, nnblas.__version__)
                    self.assertEqual(float(acc), 1.0)


if __name__ == "__main__":
    unittest.main()
