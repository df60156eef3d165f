"""Zero copy, measured: predict() and fit() on a 400 MB float64 array must not copy it, and a
float32 array must be converted exactly once. Each case runs in a fresh process that reports its
peak resident memory (resource.getrusage) above what it used before making the array."""
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
rows, cols, what, dtype = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
net = nnblas.Net([cols, 4, 1], activation="tanh", output="sigmoid", seed=1)
y = np.zeros(rows)
net.predict(np.zeros((2, cols)))  # OpenBLAS and the kernels initialised before the baseline
peak = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
before = peak()
X = np.full((rows, cols), 0.5, dtype=dtype)  # no temporaries
if what == "predict":
    out = net.predict(X)
    assert out.shape == (rows, 1)
else:
    h = net.fit(X, y, epochs=1, batch_size=1024, lr=0.1)
    assert len(h["loss"]) == 1
print(json.dumps({"array": X.nbytes, "increase": peak() - before}))
"""


@unittest.skipIf(SANITIZED, "resident memory means nothing under the sanitizers' allocators")
class ZeroCopyTest(unittest.TestCase):
    def measure(self, what, dtype):
        r = subprocess.run([sys.executable, "-c", CHILD, os.path.dirname(HERE), str(ROWS),
                            str(COLS), what, dtype], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        m = json.loads(r.stdout)
        print("\n  %s on a %d MB %s array: peak memory +%.0f MB" % (
            what, m["array"] // MB, dtype, m["increase"] / MB), end=" ", flush=True)
        return m["array"], m["increase"]

    def test_float64_is_not_copied(self):
        for what in ("predict", "fit"):
            with self.subTest(what=what):
                size, increase = self.measure(what, "float64")
                self.assertEqual(size, ROWS * COLS * 8)
                # one copy would add another 400 MB
                self.assertLess(increase, size + MARGIN)

    def test_float32_is_converted_once(self):
        for what in ("predict", "fit"):
            with self.subTest(what=what):
                size, increase = self.measure(what, "float32")
                converted = 2 * size  # the float64 copy
                self.assertGreater(increase, size + converted - MARGIN)  # it was converted...
                self.assertLess(increase, size + converted + MARGIN)  # ...once (twice: +400 MB)


if __name__ == "__main__":
    unittest.main()
