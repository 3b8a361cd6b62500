"""The Kokkos source hpcir builds: the PyPI default (pykokkos-base sdist) or a release the user
gives (a kokkos-X.Y.Z tarball or folder), unpacked and patched for CUDA 13."""
from __future__ import annotations

import importlib.util
import re
import shutil
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
KOKKOS_VERSION = "3.4.01"  # the default: what `hpcir kokkos install` builds without --source
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


def _version_from_cmakelists(text: str, where: str) -> str:
    parts = [re.search(rf"set\(\s*Kokkos_VERSION_{k}\s+(\d+)\s*\)", text, re.I)
             for k in ("MAJOR", "MINOR", "PATCH")]
    if not all(parts):
        raise KokkosNotFoundError(f"{where} is not a Kokkos source tree (its CMakeLists.txt sets no "
                                  "Kokkos_VERSION_MAJOR/MINOR/PATCH)",
                                  hint="give the folder or tarball of a Kokkos release, e.g. "
                                       "kokkos-4.6.01.tar.gz from github.com/kokkos/kokkos/releases")
    major, minor, patch = (int(m.group(1)) for m in parts)  # type: ignore[union-attr]
    return f"{major}.{minor}.{patch:02d}"


def source_version(src: Path) -> str:
    """The Kokkos version of a source folder, from its top-level CMakeLists.txt (e.g. "4.6.01")."""
    cml = Path(src) / "CMakeLists.txt"
    return _version_from_cmakelists(cml.read_text(errors="replace") if cml.is_file() else "", str(src))


def release_version(source: Path) -> str:
    """The Kokkos version of a release folder or tarball, read without unpacking it."""
    source = Path(source).expanduser()
    if source.is_dir():
        return source_version(source)
    if not source.is_file():
        raise KokkosNotFoundError(f"no Kokkos source at {source}",
                                  hint="give a kokkos-X.Y.Z.tar.gz or an unpacked Kokkos folder")
    try:
        with tarfile.open(source) as tar:
            for m in tar:
                if m.isfile() and m.name.count("/") == 1 and m.name.endswith("/CMakeLists.txt"):
                    f = tar.extractfile(m)
                    return _version_from_cmakelists(f.read().decode(errors="replace") if f else "",
                                                    str(source))
    except (tarfile.TarError, OSError) as err:
        raise KokkosNotFoundError(f"cannot read {source}: {err}",
                                  hint="give a kokkos-X.Y.Z.tar.gz or an unpacked Kokkos folder") from None
    return _version_from_cmakelists("", str(source))


def unpack_release(source: Path, dest: Path) -> Path:
    """A Kokkos release given as a folder (used in place) or a tarball (extracted into `dest`)."""
    source = Path(source).expanduser()
    release_version(source)  # refuse anything that is not a Kokkos release, before unpacking
    if source.is_dir():
        # Patches edit the tree: work on a copy, never on the user's folder.
        return Path(shutil.copytree(source, dest / source.name, symlinks=True))
    try:
        with tarfile.open(source) as tar:
            tops = {m.name.split("/")[0] for m in tar.getmembers() if m.name.strip("/")}
            tar.extractall(dest, filter="data")
    except (tarfile.TarError, OSError) as err:
        raise KokkosNotFoundError(f"cannot unpack {source}: {err}",
                                  hint="give a kokkos-X.Y.Z.tar.gz or an unpacked Kokkos folder") from None
    roots = [dest / t for t in sorted(tops) if (dest / t / "CMakeLists.txt").is_file()]
    if len(roots) != 1:
        raise KokkosNotFoundError(f"{source} does not hold one Kokkos source folder "
                                  f"(top-level entries: {', '.join(sorted(tops)) or 'none'})")
    source_version(roots[0])
    return roots[0]


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
                                  hint="hpcir patches Kokkos 3.4.01 and 4.6.01 for CUDA 13; for "
                                       "another release build Kokkos yourself and set Kokkos_ROOT")
    path.write_text(text2)


def patch_for_cuda13(src: Path, sm: str = "sm_90") -> None:
    """Apply the CUDA 13 edits KOKKOS.md lists for the source's Kokkos version (3.4.01 or 4.x)."""
    if int(source_version(src).split(".")[0]) >= 4:
        _patch_4x_for_cuda13(src, sm)
    else:
        _patch_34_for_cuda13(src, sm)


# Kokkos 4.x: the three runtime-API calls whose signatures CUDA 13 changed, in
# core/src/Cuda/Kokkos_Cuda_Instance.hpp. The old call stays for older toolkits.
_CUDA13_4X = [
    ("cudaGraphAddDependencies(graph, from, to, numDependencies);",
     "cudaGraphAddDependencies(graph, from, to, nullptr, numDependencies);",
     "cudaGraphAddDependencies takes edge data"),
    ("cudaMemAdvise(devPtr, count, advice, device);",
     "cudaMemAdvise(devPtr, count, advice,\n"
     "        cudaMemLocation{cudaMemLocationTypeDevice, device});",
     "cudaMemAdvise takes a cudaMemLocation"),
    ("cudaMemPrefetchAsync(devPtr, count, dstDevice,\n                                get_input_stream(stream));",
     "cudaMemPrefetchAsync(devPtr, count,\n"
     "        cudaMemLocation{cudaMemLocationTypeDevice, dstDevice}, 0,\n"
     "        get_input_stream(stream));",
     "cudaMemPrefetchAsync takes a cudaMemLocation and flags"),
]


def _patch_4x_for_cuda13(src: Path, sm: str) -> None:
    """nvcc_wrapper's default arch and the three CUDA 13 runtime-API changes, for Kokkos 4.x."""
    # nvcc 13 refuses nvcc_wrapper's default sm_70 (CMake's compiler check passes no -arch).
    _edit(src / "bin" / "nvcc_wrapper", re.compile(r'^default_arch="sm_\d+"', re.M),
          f'default_arch="{sm}"', "nvcc_wrapper default arch")
    instance = src / "core" / "src" / "Cuda" / "Kokkos_Cuda_Instance.hpp"
    if "CUDART_VERSION >= 13000" in instance.read_text():
        raise KokkosNotFoundError(f"{instance} already has CUDA 13 branches: patched twice?",
                                  hint="unpack the Kokkos source afresh")
    for old, new, why in _CUDA13_4X:
        _edit(instance, f"    return {old}\n",
              f"#if CUDART_VERSION >= 13000\n    return {new}\n#else\n    return {old}\n#endif\n",
              why)


def _patch_34_for_cuda13(src: Path, sm: str) -> None:
    """The four edits that make Kokkos 3.4.01 build with CUDA 13 for Hopper."""
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
