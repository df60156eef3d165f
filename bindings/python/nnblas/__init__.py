"""nnblas: dense neural networks on a CPU in float64, trained with OpenBLAS — the Python binding.

Pure Python over the C library's ABI with ctypes and numpy: nothing to compile. C-contiguous
float64 arrays are passed to C by pointer (no copy); calls release the GIL.

    import nnblas
    X_train, X_test, y_train, y_test = nnblas.read_csv(
        "admissions.csv", target="admit", one_hot="rank", standardize=["gre", "gpa"],
        test_fraction=0.1, seed=42)
    net = nnblas.Net([6, 8, 1], activation="relu", output="sigmoid", seed=1)
    history = net.fit(X_train, y_train, epochs=100, batch_size=32, optimizer="adam", lr=0.01,
                      loss="bce")
    loss, accuracy = net.evaluate(X_test, y_test)
    net.save("admissions.nnb")            # nnblas.Net.load("admissions.nnb") reads it back

See docs/python.md in the source tree. The C library is found through NNBLAS_LIBRARY, the source
tree's build folder, or the system (nnblas._lib explains the order); ``nnblas.library_path``
tells which file was loaded.
"""

from ._version import __version__
from . import _lib
from . import vocabulary
from .errors import *  # noqa: F401,F403  (the exception classes)
from .errors import __all__ as _error_names
from .net import History, Layer, Net
from .data import Dataset, Prep, idx_info, load_mnist, read_csv, read_idx, read_mnist

library_path = _lib.path
library_version = _lib.library_version


def set_num_threads(n):
    """Sets the number of threads OpenBLAS uses for matrix products, process-wide (0: the
    default). A network with convolution or pooling layers trains on that many threads of its
    own instead, each taking a part of every batch (OpenBLAS held at one thread meanwhile).
    Use 1 when training several networks in parallel threads."""
    _lib.check(_lib.lib.nnb_set_num_threads(int(n)))


def set_input_limit(n_bytes):
    """Sets the most bytes any reader takes from an input that is not a regular file (a pipe, a
    FIFO, /dev/stdin, a character device, a /proc file), process-wide; past it the read fails
    with nnblas.TooLargeError instead of filling memory. Default 1 GiB (2**30)."""
    _lib.check(_lib.lib.nnb_set_input_limit(int(n_bytes)))


def get_input_limit():
    """The input limit in bytes (see set_input_limit)."""
    return _lib.lib.nnb_get_input_limit()


def get_num_threads():
    """The number of threads OpenBLAS will use (during a convolutional network's training: the
    count it gets back afterwards)."""
    return _lib.lib.nnb_get_num_threads()


def kernel_isa():
    """The element-wise kernel set in use: "scalar", "avx2" or "avx512"."""
    return _lib.lib.nnb_kernel_isa().decode()


__all__ = ["__version__", "Net", "History", "Layer", "Dataset", "Prep", "read_csv", "read_idx",
           "idx_info", "read_mnist", "load_mnist", "set_num_threads", "get_num_threads",
           "set_input_limit", "get_input_limit",
           "kernel_isa", "library_path", "library_version", "vocabulary"] + list(_error_names)
