"""Building the generated FFT runtime against the vendor library found by backends/fft_find.py (cached):
the host runtime as a shared library hpcir.fft loads and graph modules link; the GPU ones compile-checked."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from hpcir.core.cache import cache_key, cached_build, lookup
from hpcir.core.errors import BuildError
from hpcir.core.targets import Target

from .build import first_error
from .fft_find import FftLibrary, FftLibraryError, fft_library  # noqa: F401  (re-exported)


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
    """The built FFT runtime of a target (cached): FFTW3 on hosts; nvcc + cuFFT / hipcc + hipFFT on GPUs."""
    from .fft_cpp import runtime_source
    if target.is_gpu:
        return compile_check(target)  # compiled and linked: the same library a GPU module links
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
