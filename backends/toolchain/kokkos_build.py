"""Building Kokkos into hpcir's cache (3.4.01 from PyPI by default, or a release the user gives):
OpenMP+Serial, and CUDA / HIP builds (compile checks on machines without the GPU)."""
from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from hpcir.core import machine
from hpcir.core.cache import atomic_write_text, cache_root, file_lock
from hpcir.core.errors import KokkosNotFoundError
from hpcir.core.targets import Target
from hpcir.backends.toolchain.cuda_stub import build_stub_driver
from hpcir.backends.toolchain.kokkos_install import (INSTALL_MARKER, KokkosInstall, _backend_of, find_kokkos,
                                                     read_install)
from hpcir.backends.toolchain.kokkos_source import (KOKKOS_VERSION, Progress, fetch_sdist, patch_for_cuda13,
                                                    release_version, unpack_kokkos, unpack_release)

CUDA_SM = "sm_90"  # H100 / H200: Kokkos 4's HOPPER90; 3.4 reaches it through the patched AMPERE80
# Kokkos 3.4 knows no gfx90a/gfx942, so gfx908 (MI100); 4.x builds for gfx90a (MI210/MI250).
HIP_ARCH = {3: "VEGA908", 4: "AMD_GFX90A"}

@dataclass
class _Plan:
    """How to configure one flavour of Kokkos."""

    name: str  # folder suffix: <cache>/kokkos/<version>-<name>
    defines: dict[str, str]
    env: dict[str, str] = field(default_factory=dict)
    consumer_defines: dict[str, str] = field(default_factory=dict)
    patch_cuda: bool = False
    stub_driver: bool = False


def _which(name: str, what: str, hint: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise KokkosNotFoundError(f"{what} `{name}` is not on the PATH", hint=hint)
    return path


def cuda_toolkit_root() -> Path:
    """The CUDA toolkit folder (CUDAToolkit_ROOT, CUDA_HOME, /usr/local/cuda, or nvcc's)."""
    for var in ("CUDAToolkit_ROOT", "CUDA_HOME", "CUDA_PATH", "CUDA_ROOT"):
        if os.environ.get(var) and Path(os.environ[var], "bin", "nvcc").exists():
            return Path(os.environ[var])
    if Path("/usr/local/cuda/bin/nvcc").exists():
        return Path("/usr/local/cuda").resolve()
    nvcc = _which("nvcc", "the CUDA compiler", "install the CUDA toolkit or set CUDA_HOME")
    # /usr/local/bin/nvcc may be a shell wrapper; the toolkit is where the real nvcc lives.
    return Path(nvcc).resolve().parent.parent


def _plan(backend: str, prefix_of, version: str = KOKKOS_VERSION) -> _Plan:
    common = {"CMAKE_BUILD_TYPE": "Release", "CMAKE_CXX_STANDARD": "17",
              "CMAKE_POSITION_INDEPENDENT_CODE": "ON",
              # Shared: every JIT module in a process then shares one Kokkos runtime.
              "BUILD_SHARED_LIBS": "ON", "Kokkos_ENABLE_SERIAL": "ON",
              "Kokkos_ENABLE_TESTS": "OFF", "Kokkos_ENABLE_EXAMPLES": "OFF"}
    major = int(version.split(".")[0])
    if backend == "openmp":
        cxx = os.environ.get("CXX") or _which("g++", "the C++ compiler", "install g++")
        return _Plan("openmp", {**common, "Kokkos_ENABLE_OPENMP": "ON",
                                "CMAKE_CXX_COMPILER": shutil.which(cxx) or cxx})
    if backend == "cuda":
        _which("nvcc", "the CUDA compiler", "install the CUDA toolkit (nvcc) or set CUDA_HOME")
        driver = machine.find_cuda_driver()
        stub = driver is None
        name = f"cuda-{CUDA_SM.replace('_', '')}" + ("-stubdriver" if stub else "")
        prefix = prefix_of(name, version)
        driver_path = str(prefix / "stub" / "libcuda.so") if stub else str(driver)
        root = str(cuda_toolkit_root())
        arch = "AMPERE80" if major < 4 else f"HOPPER{CUDA_SM.removeprefix('sm_')}"
        defines = {**common, "Kokkos_ENABLE_CUDA": "ON", "Kokkos_ENABLE_CUDA_LAMBDA": "ON",
                   f"Kokkos_ARCH_{arch}": "ON", "CUDAToolkit_ROOT": root,
                   "CUDA_cuda_driver_LIBRARY": driver_path,
                   "CMAKE_CXX_COMPILER": str(prefix / "bin" / "nvcc_wrapper")}
        return _Plan(name, defines, patch_cuda=True, stub_driver=stub,
                     consumer_defines={"CUDAToolkit_ROOT": root,
                                       "CUDA_cuda_driver_LIBRARY": driver_path})
    if backend == "hip":
        hipcc = _which("hipcc", "the HIP compiler",
                       "install it with `apt-get install hipcc` (Debian) or ROCm")
        arch = HIP_ARCH[min(major, 4)]
        return _Plan(f"hip-{arch.lower().replace('vega', 'gfx').replace('amd_', '')}",
                     {**common, "Kokkos_ENABLE_HIP": "ON", f"Kokkos_ARCH_{arch}": "ON",
                      # Kokkos 4 wants rocThrust for sorting by default; Debian's hipcc has none.
                      **({"Kokkos_ENABLE_ROCTHRUST": "OFF"} if major >= 4 else {}),
                      "CMAKE_CXX_COMPILER": hipcc},
                     # Debian's hipcc picks the NVIDIA platform whenever nvcc is present.
                     env={"HIP_PLATFORM": "amd"})
    raise KokkosNotFoundError(f"hpcir cannot build Kokkos for backend {backend!r}",
                              hint="use --backend openmp, cuda or hip")


def install_prefix(name: str, version: str = KOKKOS_VERSION) -> Path:
    """Where the Kokkos `version` flavour `name` is installed in the cache."""
    return cache_root() / "kokkos" / f"{version}-{name}"


def _run(cmd: list[str], log: Path, env: dict[str, str], cwd: Path, what: str,
         version: str = KOKKOS_VERSION) -> None:
    with open(log, "a") as f:
        f.write(f"\n$ {' '.join(cmd)}\n")
        f.flush()
        proc = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, env=env, cwd=cwd)
    if proc.returncode != 0:
        lines = log.read_text(errors="replace").splitlines()
        errors = [ln for ln in lines if "error" in ln.lower()][:5]
        raise KokkosNotFoundError(
            f"{what} of Kokkos {version} failed (exit {proc.returncode}):\n  "
            + "\n  ".join(errors or lines[-15:]),
            hint=f"the full log is {log}")


def install_kokkos(backend: str = "openmp", progress: Progress | None = print,
                   source: Path | None = None) -> KokkosInstall:
    """Build Kokkos for `backend` (openmp | cuda | hip) into `<cache>/kokkos/`, once, under a lock.

    `source` is a Kokkos release (tarball or folder); without it, 3.4.01 from PyPI.
    """
    say = progress or (lambda _msg: None)
    backend = backend.lower()
    if backend == "serial":  # the OpenMP build carries the Serial backend too
        backend = "openmp"
    version = release_version(source) if source is not None else KOKKOS_VERSION
    plan = _plan(backend, install_prefix, version)
    prefix = install_prefix(plan.name, version)
    with file_lock(f"kokkos-install-{plan.name}"):
        if (prefix / INSTALL_MARKER).is_file():
            inst = read_install(prefix, "hpcir cache")
            if inst is not None:
                say(f"Kokkos {inst.version} ({plan.name}) already installed in {prefix}")
                return inst
        start = time.monotonic()
        # A folder without the marker is a build that died part-way: start again.
        shutil.rmtree(prefix, ignore_errors=True)
        prefix.mkdir(parents=True)
        logs = cache_root() / "kokkos" / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        log = logs / f"{version}-{plan.name}.log"
        log.write_text("")
        sdist = fetch_sdist(say) if source is None else None
        work = Path(tempfile.mkdtemp(dir=prefix.parent, prefix=f".build-{version}-{plan.name}-"))
        try:
            env = {**os.environ, **plan.env}
            if sdist is not None:
                src = unpack_kokkos(sdist, work / "src")
            else:
                say(f"unpacking Kokkos {version} from {source}")
                src = unpack_release(Path(source), work / "src")
            if plan.patch_cuda:
                say(f"patching the Kokkos {version} source for CUDA 13 (see KOKKOS.md: nvcc_wrapper "
                    "arch and the runtime-API calls CUDA 13 changed)")
                patch_for_cuda13(src, CUDA_SM)
                # The install must name its nvcc_wrapper by its final path (consumers use it).
                (prefix / "bin").mkdir()
                shutil.copy2(src / "bin" / "nvcc_wrapper", prefix / "bin" / "nvcc_wrapper")
            if plan.stub_driver:
                say("no libcuda.so on this machine: linking against a stand-in driver library "
                    "(programs compile and link, and cannot run)")
                build_stub_driver(prefix / "stub" / "libcuda.so")
            gen = ["-G", "Ninja"] if shutil.which("ninja") else ["-G", "Unix Makefiles"]
            defs = [f"-D{k}={v}" for k, v in plan.defines.items()]
            say(f"configuring Kokkos {version} ({plan.name}) -> {prefix}")
            _run(["cmake", *gen, "-S", str(src), "-B", str(work / "build"),
                  f"-DCMAKE_INSTALL_PREFIX={prefix}", *defs], log, env, work, "configuring", version)
            jobs = str(os.cpu_count() or 2)
            say(f"building Kokkos with {jobs} jobs (log: {log})")
            _run(["cmake", "--build", str(work / "build"), "--target", "install", "-j", jobs],
                 log, env, work, "building", version)
            meta = {"version": version, "source": str(source) if source else "PyPI sdist",
                    "flavour": plan.name, "backend": backend,
                    "defines": plan.defines, "env": plan.env,
                    "cmake_defines": plan.consumer_defines, "stub_driver": plan.stub_driver,
                    "built_in_s": round(time.monotonic() - start, 1)}
            atomic_write_text(prefix / INSTALL_MARKER, json.dumps(meta, indent=2) + "\n")
        except BaseException:
            shutil.rmtree(prefix, ignore_errors=True)
            raise
        finally:
            shutil.rmtree(work, ignore_errors=True)
        inst = read_install(prefix, "hpcir cache")
        if inst is None:
            raise KokkosNotFoundError(f"Kokkos built, but {prefix} has no usable install",
                                      hint=f"see {log}")
        say(f"installed Kokkos {inst.version} ({', '.join(inst.backends)}) in {prefix} "
            f"in {time.monotonic() - start:.1f} s")
        return inst


# What `install_kokkos` builds to provide each backend (the OpenMP build carries Serial too).
_INSTALL_FOR = {"openmp": "openmp", "serial": "openmp", "cuda": "cuda", "hip": "hip"}


@functools.lru_cache(maxsize=None)
def _ensure_cached(backend: str, env_key: tuple) -> KokkosInstall:
    try:
        found = find_kokkos(backend)
        if not (found.stub_driver and _has_cuda_driver()):
            return found
        # Only a compile-only CUDA Kokkos (stand-in driver) was found, on a machine with a real
        # driver: build one that runs (a different cache folder; the stand-in one stays).
    except KokkosNotFoundError:
        if backend not in _INSTALL_FOR:
            raise
    print(f"hpcir: no Kokkos with {backend} found (Kokkos_ROOT, CMAKE_PREFIX_PATH); building "
          f"Kokkos {KOKKOS_VERSION} into the hpcir cache, once (20 s to a few minutes)...",
          file=sys.stderr, flush=True)
    return install_kokkos(_INSTALL_FOR[backend], progress=None)


def _has_cuda_driver() -> bool:
    return machine.find_cuda_driver() is not None


def ensure_kokkos(target: Target | str) -> KokkosInstall:
    """A Kokkos able to build `target`: found, else built into the cache on first use."""
    env_key = (os.environ.get("Kokkos_ROOT"), os.environ.get("KOKKOS_ROOT"),
               os.environ.get("CMAKE_PREFIX_PATH"), str(cache_root()))
    return _ensure_cached(_backend_of(target), env_key)
