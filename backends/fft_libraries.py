"""Finding the vendor FFT libraries and building generated FFT code against them (cached).

FFTW3 is found with pkg-config (`fftw3`, `fftw3f`; FFTW_ROOT / PKG_CONFIG_PATH point at another
install), its OpenMP variant (`libfftw3_omp`) beside it; cuFFT in the CUDA toolkit or the
`nvidia-cufft` wheel; hipFFT under ROCM_PATH. A missing one is an FftLibraryError that names it and
how to install it, raised before anything is compiled.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from hpcir.core.cache import cache_key, cached_build, lookup
from hpcir.core.errors import BuildError, HpcirError
from hpcir.core.targets import Target

from .build import first_error


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
        from .fft_gpu import find_cufft
        return find_cufft()
    if target.kokkos_backend == "HIP":
        from .fft_gpu import find_hipfft
        return find_hipfft()
    return find_fftw(threads=target.kokkos_backend == "OPENMP")


def _compiler() -> str:
    cxx = os.environ.get("CXX") or "g++"
    path = shutil.which(cxx)
    if path is None:
        raise BuildError(f"the C++ compiler {cxx!r} was not found", hint="install g++ or set CXX")
    return path


def _compiler_version(cxx: str) -> str:
    proc = subprocess.run([cxx, "--version"], capture_output=True, text=True)
    return proc.stdout.splitlines()[0] if proc.stdout else ""


def build_fft_library(sources: dict[str, str], target: Target, name: str) -> Path:
    """Compile generated host FFT code into `lib<name>.so` (cached by source, flags, compiler and library)."""
    lib = fft_library(target)
    cxx = _compiler()
    flags = ["-std=c++17", "-fPIC", *target.cxx_flags, *lib.cflags]
    key = cache_key("fft-library-v1", name, sorted(sources.items()), flags, list(lib.libs), lib.version,
                    cxx, _compiler_version(cxx))
    found = lookup(key)
    if found is not None:
        return found

    def build(work: Path) -> Path:
        units = []
        for fname, text in sources.items():
            (work / fname).write_text(text)
            units.append(str(work / fname))
        out = work / f"lib{name}.so"
        cmd = [cxx, *flags, "-shared", *units, "-o", str(out), *lib.libs]
        proc = subprocess.run(cmd, cwd=work, capture_output=True, text=True)
        if proc.returncode != 0:
            raise BuildError(f"compiling the FFT module {name!r} against {lib.name} failed:\n"
                             f"{first_error(proc.stdout + proc.stderr)}",
                             hint="a bug in generated code is an hpcir bug: please report it")
        for u in units:
            os.unlink(u)
        return out

    return cached_build(key, build)


def runtime_library(target: Target) -> Path:
    """The built FFT runtime of a host target (generated C++ on FFTW3; cached)."""
    from .fft_cpp import runtime_source
    fname, text = runtime_source(target)
    return build_fft_library({fname: text}, target, Path(fname).stem)


def compile_check(target: Target) -> Path:
    """Compile and link the FFT runtime of a GPU target (nvcc + cuFFT, hipcc + hipFFT) without running it;
    returns the built library (cached). A missing compiler or library is an HpcirError naming it."""
    from .fft_cpp import runtime_source
    lib = fft_library(target)  # names the missing library first
    compiler = "nvcc" if target.kokkos_backend == "CUDA" else "hipcc"
    exe = shutil.which(compiler)
    if exe is None:
        raise BuildError(f"{compiler} was not found: the {target.name} FFT runtime cannot be compiled here",
                         hint=f"install the {'CUDA toolkit' if compiler == 'nvcc' else 'ROCm hipcc'}")
    fname, text = runtime_source(target)
    arch = ["-arch=sm_90", "-Xcompiler", "-fPIC"] if compiler == "nvcc" else ["-fPIC", "--offload-arch=gfx908"]
    flags = ["-std=c++17", "-O2", *arch, *lib.cflags]
    key = cache_key("fft-gpu-check-v1", fname, text, flags, list(lib.libs), exe, _compiler_version(exe))

    def build(work: Path) -> Path:
        src = work / fname
        src.write_text(text)
        out = work / f"lib{Path(fname).stem}.so"
        proc = subprocess.run([exe, *flags, "-shared", str(src), "-o", str(out), *lib.libs], cwd=work,
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise BuildError(f"compile check of the {target.name} FFT runtime against {lib.name} failed:\n"
                             f"{first_error(proc.stdout + proc.stderr)}",
                             hint="a bug in generated code is an hpcir bug: please report it")
        src.unlink()
        return out

    return cached_build(key, build, kind="checks")
