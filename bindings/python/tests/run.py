#!/usr/bin/env python3
"""Runs the binding's tests (or an example) for meson test.

    run.py MODULE...                        unittest modules of this folder (test_api ...)
    run.py [--needs FILE] --script PATH ARG...    a script (an example), with sys.argv = PATH ARG...

Exit status: 0 passed, 1 failed, 77 skipped (meson's convention): skipped when numpy is missing,
when --needs FILE is missing, or when every test of the modules skipped itself. Under
NNBLAS_REQUIRE_SHARED=1 (CI) a missing numpy or FILE is a failure instead.
"""
import os
import runpy
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))


def skip(why):
    if os.environ.get("NNBLAS_REQUIRE_SHARED") == "1":
        print("FAIL: %s, and NNBLAS_REQUIRE_SHARED=1" % why, file=sys.stderr)
        sys.exit(1)
    print("skipped: %s" % why, file=sys.stderr)
    sys.exit(77)


def main(argv):
    try:
        import numpy  # noqa: F401
    except ImportError:
        skip("numpy is not installed for %s (Debian: apt-get install python3-numpy)"
             % sys.executable)
    sys.path.insert(0, os.path.dirname(HERE))  # bindings/python: the nnblas package
    sys.path.insert(0, HERE)
    if argv and argv[0] == "--needs":
        if not os.path.exists(argv[1]):
            skip("%s is missing" % argv[1])
        argv = argv[2:]
    if argv and argv[0] == "--script":
        sys.argv = argv[1:]
        runpy.run_path(argv[1], run_name="__main__")
        return 0
    suite = unittest.defaultTestLoader.loadTestsFromNames(argv)
    result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
    if not result.wasSuccessful():
        return 1
    if result.skipped and len(result.skipped) >= result.testsRun:
        return 77
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
