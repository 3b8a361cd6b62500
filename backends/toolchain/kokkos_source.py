"""The Kokkos source hpcir can build: fetched from PyPI (pykokkos-base sdist), unpacked, patched."""
from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import tarfile
from collections.abc import Callable
from pathlib import Path

from hpcir.core.cache import cache_root, file_lock
from hpcir.core.errors import KokkosNotFoundError

# The one Kokkos source reachable through the package registries (see KOKKOS.md).
SDIST_NAME = "pykokkos-base"
SDIST_VERSION = "0.0.7"
KOKKOS_VERSION = "3.4.01"
# pip needs scikit-build to prepare this sdist's metadata, even for a plain download.
SCIKIT_BUILD_PIN = "scikit-build==0.19.1"

Progress = Callable[[str], None]


def _pip(args: list[str], what: str) -> None:
    """Run `python -m pip ARGS` with the running interpreter; errors become KokkosNotFoundError."""
    cmd = [sys.executable, "-m", "pip", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
        raise KokkosNotFoundError(
            f"{what} failed: {' '.join(cmd)}\n{tail}",
            hint="install Kokkos yourself and point Kokkos_ROOT at it, or check that PyPI is reachable")


def fetch_sdist(progress: Progress) -> Path:
    """The pykokkos-base sdist in the cache, downloaded with pip on first use."""
    dest = cache_root() / "kokkos" / "downloads"
    dest.mkdir(parents=True, exist_ok=True)
    with file_lock("kokkos-download"):
        found = sorted(dest.glob(f"{SDIST_NAME.replace('-', '?')}-{SDIST_VERSION}.tar.gz"))
        if found:
            return found[0]
        if importlib.util.find_spec("skbuild") is None:
            progress(f"installing {SCIKIT_BUILD_PIN} (pip needs it to read the Kokkos sdist)")
            _pip(["install", "-q", SCIKIT_BUILD_PIN], f"pip install {SCIKIT_BUILD_PIN}")
        progress(f"downloading Kokkos {KOKKOS_VERSION} source ({SDIST_NAME}=={SDIST_VERSION} sdist from PyPI)")
        # pip writes the archive under its final name only when complete, so no partial file
        # can be mistaken for a download.
        _pip(["download", "--no-deps", "--no-binary", ":all:", "--no-build-isolation", "-q",
              f"{SDIST_NAME}=={SDIST_VERSION}", "-d", str(dest)], "downloading the Kokkos source")
        found = sorted(dest.glob(f"{SDIST_NAME.replace('-', '?')}-{SDIST_VERSION}.tar.gz"))
        if not found:
            raise KokkosNotFoundError(f"pip reported success but no {SDIST_NAME} sdist is in {dest}")
        return found[0]


def unpack_kokkos(sdist: Path, dest: Path) -> Path:
    """Extract only external/kokkos from the sdist into `dest`; returns the Kokkos source root."""
    with tarfile.open(sdist) as tar:
        members = []
        root = None
        for m in tar.getmembers():
            parts = m.name.split("/")
            # Skip the sdist's stale build/ tree (a configured CMake cache from its author).
            if len(parts) >= 3 and parts[1:3] == ["external", "kokkos"] and \
                    not (len(parts) >= 4 and parts[3] == "build"):
                members.append(m)
                root = parts[0]
        if root is None:
            raise KokkosNotFoundError(f"{sdist} holds no external/kokkos tree")
        tar.extractall(dest, members=members, filter="data")
    return dest / root / "external" / "kokkos"


def _edit(path: Path, old: str | re.Pattern[str], new: str, why: str) -> None:
    """Replace exactly one occurrence of `old` in `path`, or say which patch no longer applies."""
    text = path.read_text()
    if isinstance(old, re.Pattern):
        text2, n = old.subn(new, text, count=1)
    else:
        n = text.count(old)
        text2 = text.replace(old, new, 1)
    if n != 1:
        raise KokkosNotFoundError(f"cannot apply the CUDA 13 patch ({why}) to {path}: "
                                  f"expected 1 match, found {n}",
                                  hint="this patch targets Kokkos 3.4.01 only")
    path.write_text(text2)


def patch_for_cuda13(src: Path, sm: str = "sm_90") -> None:
    """Apply the four edits KOKKOS.md lists so Kokkos 3.4.01 builds with CUDA 13 for Hopper."""
    # 1. nvcc 13 refuses nvcc_wrapper's default sm_35.
    _edit(src / "bin" / "nvcc_wrapper", 'default_arch="sm_35"', f'default_arch="{sm}"',
          "nvcc_wrapper default arch")
    # 2. CUDA 13's cuda_fp16.h breaks Kokkos' CUDA half_t; disabling the block falls back to
    #    the generic half type.
    _edit(src / "core" / "src" / "Cuda" / "Kokkos_Cuda_Half.hpp",
          "#if !(defined(KOKKOS_COMPILER_CLANG) && KOKKOS_COMPILER_CLANG < 900) &&",
          "#if 0 && !(defined(KOKKOS_COMPILER_CLANG) && KOKKOS_COMPILER_CLANG < 900) &&",
          "disable the CUDA half_t block")
    # 3. cudaMemPrefetchAsync takes a cudaMemLocation and flags since CUDA 13.
    _edit(src / "core" / "src" / "Cuda" / "Kokkos_CudaSpace.cpp",
          re.compile(r"cudaMemPrefetchAsync\(ptr, bytes, space\.cuda_device\(\),\s*"
                     r"space\.cuda_stream\(\)\)"),
          "cudaMemPrefetchAsync(ptr, bytes, cudaMemLocation{cudaMemLocationTypeDevice, "
          "space.cuda_device()}, 0, space.cuda_stream())",
          "cudaMemPrefetchAsync signature")
    # 4. Kokkos 3.4 knows no Hopper and aborts when the compiled arch differs from the device:
    #    let the AMPERE80 option compile for the real arch.
    _edit(src / "cmake" / "kokkos_arch.cmake", "CHECK_CUDA_ARCH(AMPERE80  sm_80)",
          f"CHECK_CUDA_ARCH(AMPERE80  {sm})", "AMPERE80 arch mapping")
