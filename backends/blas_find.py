"""Finding the host BLAS generated code calls (cblas_sgemm / cblas_dgemm, openblas_set_num_threads).

In order: the `scipy-openblas32` wheel (the `blas` extra: `pip install -e '.[blas]'`; OpenBLAS with
symbols prefixed `scipy_`, mapped back to the CBLAS names with -D flags), then a system OpenBLAS
found by pkg-config (`openblas`: Debian's libopenblas-dev, an HPC module, Spack; OPENBLAS_ROOT points
at another install). A missing one is a BlasLibraryError naming both ways, raised before anything
is compiled.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache

from hpcir.core.errors import HpcirError

# The CBLAS names the generated code calls (the wheel prefixes each with `scipy_`).
CALLED = ("cblas_sgemm", "cblas_dgemm", "openblas_set_num_threads")


class BlasLibraryError(HpcirError):
    """No usable BLAS (OpenBLAS with CBLAS) is installed."""


@dataclass(frozen=True)
class BlasLibrary:
    """Compile and link flags of one BLAS."""

    name: str
    version: str
    cflags: tuple[str, ...]
    libs: tuple[str, ...]


def _wheel() -> BlasLibrary | None:
    try:
        import scipy_openblas32 as w
    except ImportError:
        return None
    lib = os.path.join(w.get_lib_dir(), f"lib{w.get_library()}.so")
    if not os.path.exists(lib):
        return None
    renames = tuple(f"-D{n}=scipy_{n}" for n in CALLED)
    return BlasLibrary("OpenBLAS (scipy-openblas32 wheel)", w.__version__, (f"-I{w.get_include_dir()}", *renames),
                       (lib, f"-Wl,-rpath,{w.get_lib_dir()}"))


def _pkg_config() -> BlasLibrary | None:
    exe = shutil.which("pkg-config")
    if exe is None:
        return None
    env = dict(os.environ)
    root = os.environ.get("OPENBLAS_ROOT")
    if root:
        env["PKG_CONFIG_PATH"] = os.pathsep.join(filter(None, [f"{root}/lib/pkgconfig", env.get("PKG_CONFIG_PATH", "")]))

    def run(*args: str) -> str | None:
        proc = subprocess.run([exe, *args, "openblas"], capture_output=True, text=True, env=env)
        return proc.stdout.strip() if proc.returncode == 0 else None

    version = run("--modversion")
    if version is None:
        return None
    return BlasLibrary("OpenBLAS (pkg-config)", version, tuple((run("--cflags") or "").split()),
                       tuple((run("--libs") or "").split()))


@lru_cache(maxsize=1)
def blas_library() -> BlasLibrary:
    """The BLAS generated host code is built against (cached per process)."""
    found = _wheel() or _pkg_config()
    if found is None:
        raise BlasLibraryError("no BLAS was found for the matrix products and convolutions of this graph program",
                               hint="pip install -e '.[blas]' (the scipy-openblas32 wheel), or install OpenBLAS "
                                    "(apt-get install libopenblas-dev, spack install openblas; OPENBLAS_ROOT for "
                                    "an install pkg-config does not see)")
    return found
