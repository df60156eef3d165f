"""Ctrl-C (SIGINT) during a long C call: the call stops within its next block of work (a batch
of training, a block of rows of a prediction, a read) and KeyboardInterrupt is raised.

CPython's own SIGINT handler only sets a flag, acted on when Python code runs next; while C runs
(the GIL released), nothing would happen until the call ended, and a KeyboardInterrupt raised in
a ctypes callback (the epoch callback of fit) is printed as "Exception ignored" and lost. So,
around a long call made on the main thread while SIGINT has Python's default handler:

- the thread names an interrupt flag (nnb_set_interrupt_flag), which the library's long loops
  poll between blocks (and nnb_net_train as a stop request);
- a watcher thread, woken by CPython through signal.set_wakeup_fd, sets that flag (and calls the
  call's `stop`, e.g. nnb_train_opts_request_stop) the moment SIGINT arrives; bytes for other
  signals go on to any wakeup fd that was set before (asyncio's);
- the Python-level SIGINT handler is replaced for the call by one that only records the signal:
  a KeyboardInterrupt raised in a ctypes callback (fit's epoch callback) would be printed as
  "Exception ignored" and lost, and one raised in the middle of this module's own set-up or
  clean-up would leave the handlers half-restored. So the scopes are kept to the C calls
  themselves: Python code between them keeps the default handler;
- when the call returns (NNB_E_CANCELLED, or done anyway), KeyboardInterrupt is raised.

Elsewhere (another thread, or a program that installed its own SIGINT handler) calls run as
they always did.
"""

import ctypes
import functools
import os
import signal
import socket
import threading
from contextlib import contextmanager

from ._lib import lib

_local = threading.local()
_watch_lock = threading.Lock()
_watch = None  # the process's one watcher: (its socket pair, its state), made on first use


class _Watcher:
    """A daemon thread blocked on a socket that CPython writes signal numbers to."""

    def __init__(self):
        self.r, self.w = socket.socketpair()
        self.r.setblocking(True)
        self.w.setblocking(False)
        self.armed = None  # (flag, stop, old wakeup fd, hits) while a call runs
        self.lock = threading.Lock()
        t = threading.Thread(target=self._run, name="nnblas-sigint", daemon=True)
        t.start()

    def _run(self):
        while True:
            try:
                data = self.r.recv(256)
            except OSError:
                return
            if not data:
                return
            with self.lock:  # held while stop() runs: after disarming, stop() is never called
                armed = self.armed
                if armed is None:
                    continue
                flag, stop, old_fd, hits = armed
                if signal.SIGINT in data:
                    flag.value = 1
                    hits.append(signal.SIGINT)
                    if stop is not None:
                        stop()
            if old_fd >= 0:  # the wakeup fd the program had set goes on receiving bytes
                try:
                    os.write(old_fd, data)
                except OSError:
                    pass


def _watcher():
    global _watch
    with _watch_lock:
        if _watch is None:
            _watch = _Watcher()
        return _watch


def _applies():
    return (threading.current_thread() is threading.main_thread() and
            not getattr(_local, "active", False) and
            signal.getsignal(signal.SIGINT) is signal.default_int_handler)


class interruptible:
    """A context manager: runs the body (long C calls, and as little Python as can be) so that
    Ctrl-C stops it and raises KeyboardInterrupt when it ends; `stop` (no arguments;
    thread-safe) is called too when SIGINT arrives, e.g. to request a training run to stop.
    Nested uses run as the outermost one.

    While it is active the Python-level SIGINT handler only records the signal (and sets the
    flag): it never raises, so no Python code of the binding -- a ctypes callback, or this
    manager's own set-up and clean-up -- is cut short half-way."""

    def __init__(self, stop=None):
        self.stop = stop
        self.on = False

    def _on_sigint(self, signum, frame):  # runs on the main thread, between bytecodes
        self.flag.value = 1
        self.hits.append(signum)
        if self.stop is not None:
            self.stop()

    def __enter__(self):
        if not _applies():
            return self
        self.on = True
        self.flag, self.hits = ctypes.c_int(0), []
        # ours first: from here on a SIGINT is recorded, never raised in the middle of this
        self.old_handler = signal.signal(signal.SIGINT, self._on_sigint)
        self.w = _watcher()
        try:
            self.old_fd = signal.set_wakeup_fd(self.w.w.fileno(), warn_on_full_buffer=False)
        except ValueError:  # not allowed here: the Python-level handler still records
            self.old_fd = None
        with self.w.lock:
            self.w.armed = (self.flag, self.stop, -1 if self.old_fd is None else self.old_fd,
                            self.hits)
        lib.nnb_set_interrupt_flag(ctypes.addressof(self.flag))
        _local.active = True
        return self

    def __exit__(self, exc_type, exc, tb):
        if not self.on:
            return False
        self.on = False
        lib.nnb_set_interrupt_flag(None)
        _local.active = False
        ctypes.pythonapi.PyErr_CheckSignals()  # a SIGINT still pending is recorded, by ours
        with self.w.lock:  # from here on, the watcher never calls stop()
            self.w.armed = None
        if self.old_fd is not None:
            signal.set_wakeup_fd(self.old_fd, warn_on_full_buffer=False)
        signal.signal(signal.SIGINT, self.old_handler)
        if self.hits:  # instead of the call's own error (NNB_E_CANCELLED...)
            raise KeyboardInterrupt from None
        return False


def interruptible_if(work, stop=None, threshold=1 << 22):
    """interruptible(stop) for a call of about `work` operations (multiply-adds, bytes) from
    `threshold` on; a shorter call runs as it is (its KeyboardInterrupt comes when it returns,
    a moment later), without the few microseconds of setting up."""
    if work >= threshold:
        return interruptible(stop)
    return _nothing()


@contextmanager
def _nothing():
    yield


def interrupts(fn):
    """A decorator: the whole function runs interruptible() (readers made of C calls only)."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with interruptible():
            return fn(*args, **kwargs)
    return wrapper
