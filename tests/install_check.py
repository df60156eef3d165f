#!/usr/bin/python3
"""What a user gets from `meson install` (test `install`): this build installed into a
destination folder (meson install --destdir), then, with a clean environment (no
LD_LIBRARY_PATH, no PYTHONPATH from the build):

- the installed `nnblas --version` and `nnblas-bench --help` run (their run path finds the
  installed library, wherever the prefix is);
- a C program compiled and linked with `pkg-config --cflags --libs nnblas` against the installed
  headers and library trains XOR; with the static library installed (-Ddefault_library=both),
  again with `pkg-config --static --libs nnblas` and libnnblas.a (so nnblas.pc's Libs.private and
  Requires.private must be complete), and the archive defines no global symbol outside the nnb_
  and nnbi_ prefixes (nm);
- with MPI, a C++ file including nnblas_mpi.h compiles and links with `pkg-config nnblas_mpi`;
- the installed Python package imports with /usr/bin/python3, finds the installed library, and
  trains a small network.

The .pc files name the prefix, not the destination folder: the test reads copies whose prefix=
line points into the destination folder (what relocating an installed tree means).

    install_check.py BUILD_ROOT PREFIX LIBDIR BINDIR VERSION SANITIZE
"""
import glob
import os
import shutil
import subprocess
import sys
import tempfile

BUILD, PREFIX, LIBDIR, BINDIR, VERSION, SANITIZE = sys.argv[1:7]

XOR_C = r"""
#include <stdio.h>
#include "nnblas.h"

int main(void) {
    const double x[8] = {0, 0, 0, 1, 1, 0, 1, 1}, y[4] = {0, 1, 1, 0};
    nnb_net *net = NULL;
    nnb_train_opts *opts = NULL;
    double loss = 0, acc = 0;
    if (nnb_net_create(&net, 2) != NNB_OK ||
        nnb_net_add_dense(net, 8, NNB_ACT_TANH, 1) != NNB_OK ||
        nnb_net_add_dense(net, 1, NNB_ACT_SIGMOID, 1) != NNB_OK ||
        nnb_net_init(net, NNB_INIT_XAVIER_UNIFORM, 7) != NNB_OK ||
        nnb_train_opts_create(&opts) != NNB_OK ||
        nnb_train_opts_set_epochs(opts, 2000) != NNB_OK ||
        nnb_train_opts_set_batch_size(opts, 0) != NNB_OK ||
        nnb_train_opts_set_loss(opts, NNB_LOSS_BCE, NNB_REDUCTION_MEAN) != NNB_OK ||
        nnb_train_opts_set_optimizer(opts, NNB_OPT_ADAM, 0.05) != NNB_OK ||
        nnb_net_train(net, opts, x, 4, 2, y, 1, NULL) != NNB_OK ||
        nnb_net_evaluate(net, x, 4, 2, y, 1, NNB_LOSS_BCE, NNB_REDUCTION_MEAN, &loss, &acc)
            != NNB_OK) {
        fprintf(stderr, "%s\n", nnb_last_error());
        return 1;
    }
    printf("%s %g\n", nnb_version_string(), acc);
    nnb_train_opts_free(opts);
    nnb_net_free(net);
    return 0;
}
"""

MPI_CXX = r"""
#include "nnblas_mpi.h"
#include <memory>

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    std::unique_ptr<int> rank(new int(-1));
    MPI_Comm_rank(MPI_COMM_WORLD, rank.get());
    MPI_Finalize();
    return *rank == 0 && nnb_version_string() != nullptr ? 0 : 1;
}
"""

PYTHON = ("import nnblas, numpy as np\n"
          "net = nnblas.Net([2, 8, 1], activation='tanh', output='sigmoid', seed=3)\n"
          "X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], float)\n"
          "net.fit(X, [0, 1, 1, 0], epochs=2000, batch_size=0, lr=0.05, loss='bce')\n"
          "print(nnblas.library_path, net.evaluate(X, [0, 1, 1, 0])[1])\n")


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def run(cmd, env=None, cwd=None):
    r = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
    if r.returncode != 0:
        fail("%s exited %d:\n%s%s" % (" ".join(cmd), r.returncode, r.stdout, r.stderr))
    return r.stdout


def clean_env(**extra):
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
    env.update(extra)
    return env


def sanitizer_flags():
    return ["-fsanitize=" + SANITIZE] if SANITIZE not in ("", "none") else []


def sanitizer_env():
    """Under AddressSanitizer, what the tools built with it need to run."""
    if "address" not in SANITIZE:
        return {}
    return {"ASAN_OPTIONS": "detect_leaks=0"}


def relocated_pkgconfig(root, tmp):
    """Copies of the installed .pc files whose prefix is the destination folder's."""
    src = os.path.join(root, LIBDIR, "pkgconfig")
    dst = os.path.join(tmp, "pkgconfig")
    os.makedirs(dst)
    names = []
    for pc in sorted(glob.glob(os.path.join(src, "*.pc"))):
        with open(pc) as f:
            lines = f.read().splitlines()
        if not any(line == "prefix=" + PREFIX for line in lines):
            fail("%s does not say prefix=%s" % (pc, PREFIX))
        with open(os.path.join(dst, os.path.basename(pc)), "w") as f:
            f.write("\n".join("prefix=" + root if line.startswith("prefix=") else line
                              for line in lines) + "\n")
        names.append(os.path.basename(pc)[:-3])
    if "nnblas" not in names:
        fail("no nnblas.pc installed in " + src)
    path = dst + (":" + os.environ["PKG_CONFIG_PATH"] if os.environ.get("PKG_CONFIG_PATH") else "")
    return dict(os.environ, PKG_CONFIG_PATH=path), names


def pkg_config(env, *args):
    return run(["pkg-config"] + list(args), env=env).split()


def check_programs(root, tmp):
    bindir = os.path.join(root, BINDIR)
    out = run([os.path.join(bindir, "nnblas"), "--version"], env=clean_env(**sanitizer_env()))
    if not out.startswith("nnblas " + VERSION):
        fail("nnblas --version said: " + out)
    out = run([os.path.join(bindir, "nnblas-bench"), "--help"], env=clean_env(**sanitizer_env()))
    if "usage: nnblas-bench" not in out:
        fail("nnblas-bench --help said: " + out)
    print("installed nnblas and nnblas-bench run:", out.splitlines()[0])


def check_c(root, tmp, pc_env):
    src = os.path.join(tmp, "xor.c")
    with open(src, "w") as f:
        f.write(XOR_C)
    libdir = os.path.join(root, LIBDIR)
    cflags = pkg_config(pc_env, "--cflags", "nnblas")
    exe = os.path.join(tmp, "xor_shared")
    run(["cc", "-std=c11"] + sanitizer_flags() + cflags + [src, "-o", exe] +
        pkg_config(pc_env, "--libs", "nnblas") +
        ["-Wl,-rpath," + pkg_config(pc_env, "--variable=libdir", "nnblas")[0]])
    out = run([exe], env=clean_env(**sanitizer_env())).split()
    if out[0] != VERSION or float(out[-1]) != 1.0:
        fail("the shared-library program printed %r" % out)
    ldd = run(["ldd", exe], env=clean_env())
    lib = [line for line in ldd.splitlines() if "libnnblas.so" in line]
    if not lib or os.path.realpath(libdir) not in lib[0]:
        fail("the program does not load the installed library: %s" % ldd)
    print("C program, shared library (pkg-config --libs nnblas): accuracy", out[-1])

    archive = os.path.join(libdir, "libnnblas.a")
    if not os.path.exists(archive):
        print("no libnnblas.a installed (configure with -Ddefault_library=both): static link "
              "not checked")
        return
    nm = run(["nm", "-g", "--defined-only", archive])
    stray = sorted({line.split()[2] for line in nm.splitlines() if len(line.split()) == 3
                    and not line.split()[2].startswith(("nnb_", "nnbi_"))})
    if stray:
        fail("libnnblas.a defines globals outside nnb_/nnbi_: %s" % stray[:20])
    libs = pkg_config(pc_env, "--static", "--libs", "nnblas")
    # the archive itself, everything else as pkg-config --static lists it (system libraries
    # stay shared: Debian ships no static OpenBLAS for every flavour)
    libs = [archive if a == "-lnnblas" else a for a in libs]
    exe = os.path.join(tmp, "xor_static")
    run(["cc", "-std=c11"] + sanitizer_flags() + cflags + [src, "-o", exe] + libs)
    if "libnnblas.so" in run(["ldd", exe], env=clean_env()):
        fail("the static program loads libnnblas.so")
    out = run([exe], env=clean_env(**sanitizer_env())).split()
    if float(out[-1]) != 1.0:
        fail("the static program printed %r" % out)
    print("C program, static library (pkg-config --static --libs nnblas): accuracy", out[-1])


def check_mpi_cxx(root, tmp, pc_env, names):
    if "nnblas_mpi" not in names:
        print("no nnblas_mpi.pc (built without MPI): the C++ MPI check is skipped")
        return
    if not shutil.which("g++") and not shutil.which("c++"):
        print("no C++ compiler: the C++ MPI check is skipped")
        return
    src = os.path.join(tmp, "mpi.cpp")
    with open(src, "w") as f:
        f.write(MPI_CXX)
    exe = os.path.join(tmp, "mpi_cxx")
    run(["c++", "-std=c++11"] + sanitizer_flags() + pkg_config(pc_env, "--cflags", "nnblas_mpi") +
        [src, "-o", exe] + pkg_config(pc_env, "--libs", "nnblas_mpi") +
        ["-Wl,-rpath," + pkg_config(pc_env, "--variable=libdir", "nnblas_mpi")[0]])
    print("C++ with nnblas_mpi.h: compiled and linked with pkg-config nnblas_mpi")


def check_python(dest, root, tmp):
    configs = glob.glob(os.path.join(dest, "**", "nnblas", "_config.py"), recursive=True)
    if not configs:
        print("no Python package installed (-Dpython=disabled): not checked")
        return
    site = os.path.dirname(os.path.dirname(configs[0]))
    env = clean_env(PYTHONPATH=site, PYTHONDONTWRITEBYTECODE="1", OPENBLAS_NUM_THREADS="1")
    if "address" in SANITIZE:  # /usr/bin/python3 is not built with ASan: preload its runtime
        rt = run(["cc", "-print-file-name=libasan.so"]).strip()
        env.update(LD_PRELOAD=rt, ASAN_OPTIONS="detect_leaks=0")
    lib, acc = run(["/usr/bin/python3", "-c", PYTHON], env=env, cwd=tmp).split()
    if not os.path.realpath(lib).startswith(os.path.realpath(root) + os.sep):
        fail("the installed package loaded %s, not the installed library" % lib)
    if float(acc) != 1.0:
        fail("the installed package trained XOR to accuracy %s" % acc)
    print("Python package from", site, "loads", lib, "and trains: accuracy", acc)


def main():
    with tempfile.TemporaryDirectory(prefix="nnblas-install-") as tmp:
        dest = os.path.join(tmp, "dest")
        run(["meson", "install", "-C", BUILD, "--no-rebuild", "--quiet", "--destdir", dest])
        root = dest + PREFIX if os.path.isabs(PREFIX) else os.path.join(dest, PREFIX)
        check_programs(root, tmp)
        pc_env, names = relocated_pkgconfig(root, tmp)
        check_c(root, tmp, pc_env)
        check_mpi_cxx(root, tmp, pc_env, names)
        check_python(dest, root, tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
