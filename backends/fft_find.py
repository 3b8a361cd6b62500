"""Finding the vendor FFT libraries: FFTW3 (pkg-config), cuFFT (CUDA toolkit or the nvidia-cufft wheel), hipFFT.

FFTW3 is found with pkg-config (`fftw3`, `fftw3f`; FFTW_ROOT / PKG_CONFIG_PATH point at another
install), its OpenMP variant (`libfftw3_omp`) beside it; cuFFT in the CUDA toolkit or the
`nvidia-cufft` wheel; hipFFT under ROCM_PATH. A missing one is an FftLibraryError that names it and
how to install it, raised before anything is compiled.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from hpcir.core.errors import HpcirError
from hpcir.core.targets import Target


class FftLibraryError(HpcirError):
    """A vendor FFT library (FFTW3, cuFFT, hipFFT) is not installed or not usable."""


@dataclass(frozen=True)
class FftLibrary:
    """Compile and link flags of one FFT library."""

    name: str
    version: str
    cflags: tuple[str, ...]
    libs: tuple[str, ...]


def _pkg_config(*args: str) -> str | None:
    exe = shutil.which("pkg-config")
    if exe is None:
        return None
    env = dict(os.environ)
    root = os.environ.get("FFTW_ROOT")
    if root:  # an FFTW install outside the system's pkg-config path (an HPC module, Spack)
        env["PKG_CONFIG_PATH"] = os.pathsep.join(filter(None, [f"{root}/lib/pkgconfig", f"{root}/lib64/pkgconfig",
                                                               env.get("PKG_CONFIG_PATH", "")]))
    proc = subprocess.run([exe, *args], capture_output=True, text=True, env=env)
    return proc.stdout.strip() if proc.returncode == 0 else None


def _lib_dirs(libs: list[str]) -> list[Path]:
    dirs = [Path(f[2:]) for f in libs if f.startswith("-L")]
    return dirs + [Path(p) for p in ("/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib", "/usr/local/lib")]


def find_fftw(threads: bool) -> FftLibrary:
    """FFTW3 (double and single precision; with the OpenMP variant when `threads`)."""
    hint = ("install FFTW3: `apt-get install libfftw3-dev` (Debian/Ubuntu), `dnf install fftw-devel`, "
            "`spack install fftw` or `module load fftw`; set FFTW_ROOT to an install pkg-config does not see")
    version = _pkg_config("--modversion", "fftw3")
    if version is None or _pkg_config("--exists", "fftw3f") is None:
        raise FftLibraryError("FFTW3 (pkg-config packages fftw3 and fftw3f) was not found", hint=hint)
    cflags = (_pkg_config("--cflags", "fftw3", "fftw3f") or "").split()
    libs = (_pkg_config("--libs", "fftw3", "fftw3f") or "").split()
    if threads:
        have = [d for d in _lib_dirs(libs) if (d / "libfftw3_omp.so").exists() and (d / "libfftw3f_omp.so").exists()]
        if not have:
            raise FftLibraryError("FFTW3's OpenMP libraries (libfftw3_omp, libfftw3f_omp) were not found",
                                  hint=hint + " (the Debian package has them)")
        libs = ["-lfftw3_omp", "-lfftw3f_omp", *libs]
    return FftLibrary("FFTW3", version, tuple(cflags), tuple(libs))


def fft_library(target: Target) -> FftLibrary:
    """The FFT library generated code for `target` is built against."""
    if target.kokkos_backend == "CUDA":
        return find_cufft()
    if target.kokkos_backend == "HIP":
        return find_hipfft()
    return find_fftw(threads=target.kokkos_backend == "OPENMP")


def _wheel_cufft() -> Path | None:
    """The CUDA 13 cuFFT of the `nvidia-cufft` wheel (nvidia/cu13/{include,lib}), if installed."""
    for base in map(Path, sys.path):
        root = base / "nvidia" / "cu13"
        if (root / "include" / "cufft.h").exists():
            return root
    return None


def find_cufft() -> FftLibrary:
    """cuFFT: the CUDA toolkit's (CUDA_HOME / nvcc's) or the nvidia-cufft wheel's."""
    roots = [Path(os.environ[v]) for v in ("CUDA_HOME", "CUDA_PATH") if os.environ.get(v)]
    roots += [Path("/usr/local/cuda")] + sorted(Path("/usr/local").glob("cuda-*"), reverse=True)
    for r in roots:
        if (r / "include" / "cufft.h").exists():
            return FftLibrary("cuFFT", str(r), (f"-I{r / 'include'}",), (f"-L{r / 'lib64'}", "-lcufft"))
    wheel = _wheel_cufft()
    if wheel is not None:
        libs = sorted((wheel / "lib").glob("libcufft.so*"))
        # The wheel ships only the versioned file (libcufft.so.12): link it by path.
        return FftLibrary("cuFFT", str(wheel), (f"-I{wheel / 'include'}",),
                          tuple(x for p in libs[:1] for x in ("-Xlinker", str(p))))
    raise FftLibraryError("cuFFT (cufft.h, libcufft) was not found in the CUDA toolkit or the nvidia-cufft wheel",
                          hint="install the CUDA toolkit's cuFFT, or `pip install nvidia-cufft` (CUDA 13) / "
                               "`pip install nvidia-cufft-cu12` (CUDA 12), or `pip install -e '.[gpu-check]'`")


def find_hipfft() -> FftLibrary:
    """hipFFT under ROCM_PATH (default /opt/rocm)."""
    root = Path(os.environ.get("ROCM_PATH", "/opt/rocm"))
    for inc in (root / "include", Path("/usr/include")):
        if (inc / "hipfft" / "hipfft.h").exists():
            return FftLibrary("hipFFT", str(inc.parent), (f"-I{inc}",), (f"-L{inc.parent / 'lib'}", "-lhipfft"))
    raise FftLibraryError("hipFFT (hipfft/hipfft.h) was not found",
                          hint="install ROCm's hipfft-dev / rocfft (set ROCM_PATH); Debian 12 does not package it")
