"""Zero copy, measured: predict() and fit() on a 400 MB float64 array must not copy it, and a
float32 array must be converted exactly once (by each call: the copy lives for the call). Each
dtype runs in a fresh process that makes the array, calls predict() then fit() on it, and
reports its peak resident memory (resource.getrusage) above what it used before the array."""
import json
import os
import subprocess
import sys
import unittest

from support import HERE, SANITIZED

ROWS, COLS = 500_000, 100  # 400 MB of float64
MB = 1 << 20
MARGIN = 100 * MB  # OpenBLAS's buffers, the outputs (4 MB), the shuffle order (4 MB), numpy...

CHILD = r"""
import json, resource, sys
import numpy as np
sys.path.insert(0, sys.argv[1])
import nnblas
rows, cols, dtype = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
net = nnblas.Net([cols, 4, 1], activation="tanh", output="sigmoid", seed=1)
y = np.zeros(rows)
net.predict(np.zeros((2, cols)))  # OpenBLAS and the kernels initialised before the baseline
peak = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
before = peak()
X = np.full((rows, cols), 0.5, dtype=dtype)  # no temporaries
out = net.predict(X)
assert out.shape == (rows, 1)
after_predict = peak() - before
h = net.fit(X, y, epochs=1, batch_size=1024, lr=0.1)
assert len(h["loss"]) == 1
print(json.dumps({"array": X.nbytes, "predict": after_predict, "fit": peak() - before}))
"""


@unittest.skipIf(SANITIZED, "resident memory means nothing under the sanitizers' allocators")
class ZeroCopyTest(unittest.TestCase):
    def measure(self, dtype):
        r = subprocess.run([sys.executable, "-c", CHILD, os.path.dirname(HERE), str(ROWS),
                            str(COLS), dtype], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        m = json.loads(r.stdout)
        print("\n  on a %d MiB %s array, peak memory: predict +%.0f MiB, then fit +%.0f MiB" % (
            m["array"] // MB, dtype, m["predict"] / MB, m["fit"] / MB), end=" ", flush=True)
        return m["array"], m["predict"], m["fit"]

    def test_float64_is_not_copied(self):
        size, predict, fit = self.measure("float64")
        self.assertEqual(size, ROWS * COLS * 8)
        # one copy would add another 400 MB
        self.assertLess(predict, size + MARGIN)
        self.assertLess(fit, size + MARGIN)

    def test_float32_is_converted_once(self):
        size, predict, fit = self.measure("float32")
        converted = 2 * size  # the float64 copy
        self.assertGreater(predict, size + converted - MARGIN)  # it was converted...
        self.assertLess(predict, size + converted + MARGIN)  # ...once (twice: +400 MB)
        self.assertLess(fit, size + converted + MARGIN)  # fit's copy: once too

if __name__ == "__main__":
    unittest.main()
