"""Finding a Kokkos install (Kokkos_ROOT, CMAKE_PREFIX_PATH, hpcir's cache) and describing it."""
from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from hpcir.core.errors import KokkosNotFoundError
from hpcir.core.targets import Target, get_target

if TYPE_CHECKING:  # imported lazily at run time: kokkos_probe imports this module
    from hpcir.backends.toolchain.kokkos_probe import KokkosToolchain

# Kokkos' own spelling of its backends (Kokkos_DEVICES / KOKKOS_ENABLE_<X>), lower-cased.
KNOWN_BACKENDS = ("serial", "openmp", "threads", "cuda", "hip", "sycl", "openmptarget", "hpx")
# Marker hpcir writes last into a Kokkos it built, with how it was built.
INSTALL_MARKER = "hpcir-kokkos.json"


@dataclass(frozen=True)
class KokkosInstall:
    """One Kokkos install: where it is, what it was built with, and where hpcir found it."""

    prefix: Path
    version: str  # "3.4.01"
    backends: tuple[str, ...]  # lower-case Kokkos device names, e.g. ("openmp", "serial")
    compiler: str  # Kokkos_CXX_COMPILER as recorded by the install
    compiler_id: str  # GNU, Clang, NVIDIA, ...
    cxx_flags: tuple[str, ...]  # the compile options Kokkos::kokkoscore passes to consumers
    arch: tuple[str, ...]  # Kokkos_ARCH, e.g. ("AMPERE80",)
    options: tuple[str, ...]  # Kokkos_OPTIONS, e.g. ("CUDA_LAMBDA",)
    cmake_dir: Path  # folder holding KokkosConfig.cmake
    include_dir: Path
    lib_dir: Path
    origin: str  # "Kokkos_ROOT", "CMAKE_PREFIX_PATH" or "hpcir cache"
    env: tuple[tuple[str, str], ...] = ()  # variables the compiler needs (HIP_PLATFORM=amd)
    cmake_defines: tuple[tuple[str, str], ...] = ()  # -D a consumer's CMake needs (stub driver)
    stub_driver: bool = False  # linked against a stand-in libcuda.so: compiles, cannot run
    fingerprint: str = ""  # digest of the config files and library (see config_id)
    cuda_arch: str | None = None  # sm_XX the CUDA code is built for (nvcc_wrapper's -arch)
    static: bool = False  # libkokkoscore.a only: every module linking it has its own runtime

    @property
    def version_int(self) -> int:
        """KOKKOS_VERSION as Kokkos defines it (major*10000 + minor*100 + patch)."""
        major, minor, patch = (int(x) for x in self.version.split("."))
        return major * 10000 + minor * 100 + patch

    def has_backend(self, backend: str) -> bool:
        """Whether Kokkos_ENABLE_<BACKEND> was on in this install."""
        return backend.lower() in self.backends

    def config_id(self) -> str:
        """A digest of everything about this install that changes generated binaries."""
        return self.fingerprint

    def toolchain(self) -> "KokkosToolchain":
        """The exact compiler, compile and link flags a consumer of this install uses."""
        from hpcir.backends.toolchain.kokkos_probe import probe_toolchain
        return probe_toolchain(self)


def _cmake_set(text: str, name: str) -> str | None:
    """The value of `SET(NAME value)` in a CMake config file (case-insensitive SET)."""
    m = re.search(rf"^\s*set\(\s*{re.escape(name)}\s+(.*?)\s*\)\s*$", text, re.I | re.M)
    if not m:
        return None
    return m.group(1).strip().strip('"')


# Kokkos_ARCH_<NAME> of NVIDIA GPUs and the sm they compile for.
_CUDA_ARCH_SM = {"KEPLER30": "sm_30", "KEPLER32": "sm_32", "KEPLER35": "sm_35", "KEPLER37": "sm_37",
                 "MAXWELL50": "sm_50", "MAXWELL52": "sm_52", "MAXWELL53": "sm_53", "PASCAL60": "sm_60",
                 "PASCAL61": "sm_61", "VOLTA70": "sm_70", "VOLTA72": "sm_72", "TURING75": "sm_75",
                 "AMPERE80": "sm_80", "AMPERE86": "sm_86", "AMPERE87": "sm_87", "ADA89": "sm_89",
                 "HOPPER90": "sm_90", "BLACKWELL100": "sm_100", "BLACKWELL120": "sm_120"}


def _cuda_arch(arch: tuple[str, ...], cxx_flags: tuple[str, ...]) -> str | None:
    """The sm an install's CUDA code targets: the -arch Kokkos gives consumers, else its Kokkos_ARCH."""
    for flag in cxx_flags:
        m = re.fullmatch(r"-arch=(sm_\d+a?)", flag)
        if m:
            return m.group(1)
    return next((_CUDA_ARCH_SM[a.upper()] for a in arch if a.upper() in _CUDA_ARCH_SM), None)


def _consumer_defines(meta: dict, backends: tuple[str, ...]) -> tuple[dict[str, str], bool]:
    """The -D a consumer's CMake needs, and whether they name a stand-in driver.

    The environment wins over hpcir's marker (a user's own CUDA_cuda_driver_LIBRARY or toolkit);
    a CUDA Kokkos on a machine without a driver links against hpcir's stand-in libcuda.so.
    """
    defines = dict(meta.get("cmake_defines", {}))
    stub = bool(meta.get("stub_driver"))
    if "cuda" not in backends:
        return defines, stub
    for var in ("CUDA_cuda_driver_LIBRARY", "CUDAToolkit_ROOT"):
        if os.environ.get(var):
            defines[var] = os.environ[var]
            if var == "CUDA_cuda_driver_LIBRARY":
                stub = False  # the user's choice; what it is, hpcir cannot tell
    if "CUDA_cuda_driver_LIBRARY" not in defines:
        from hpcir.core.machine import find_cuda_driver
        if find_cuda_driver() is None:
            from hpcir.backends.toolchain.cuda_stub import shared_stub_driver
            defines["CUDA_cuda_driver_LIBRARY"] = str(shared_stub_driver())
            stub = True
    return defines, stub


def _split_cmake_list(value: str | None) -> tuple[str, ...]:
    return tuple(x for x in (value or "").replace(" ", ";").split(";") if x)


def _locate_cmake_dir(root: Path) -> Path | None:
    """The folder with KokkosConfig.cmake for a prefix (or the folder itself)."""
    if (root / "KokkosConfig.cmake").is_file():
        return root
    patterns = ["lib*/cmake/Kokkos", "lib/*/cmake/Kokkos", "share/cmake/Kokkos", "cmake/Kokkos"]
    for pat in patterns:
        for cand in sorted(root.glob(pat)):
            if (cand / "KokkosConfig.cmake").is_file():
                return cand
    return None


def _locate_prefix(cmake_dir: Path) -> tuple[Path, Path] | None:
    """(prefix, include dir) holding KokkosCore_config.h, walking up from the CMake dir."""
    for prefix in cmake_dir.parents:
        for inc in (prefix / "include", *sorted(prefix.glob("include/*"))):
            if (inc / "KokkosCore_config.h").is_file():
                return prefix, inc
        if prefix == prefix.parent:
            break
    return None


def _interface_compile_options(cmake_dir: Path) -> tuple[str, ...]:
    """Kokkos::kokkoscore's INTERFACE_COMPILE_OPTIONS, generator expressions unwrapped."""
    targets = cmake_dir / "KokkosTargets.cmake"
    if not targets.is_file():
        return ()
    text = targets.read_text(errors="replace")
    m = re.search(r'INTERFACE_COMPILE_OPTIONS\s+"([^"]*)"', text)
    if not m:
        return ()
    raw = m.group(1).replace("\\$", "$")
    # $<$<COMPILE_LANGUAGE:CXX>:-fopenmp> -> -fopenmp; nested forms keep their innermost value.
    while True:
        new = re.sub(r"\$<[^<>]*:([^<>]*)>", r"\1", raw)
        new = re.sub(r"\$<[^<>:]*>", "", new)
        if new == raw:
            break
        raw = new
    return tuple(x for x in raw.split(";") if x)


def read_install(root: Path, origin: str) -> KokkosInstall | None:
    """Describe the Kokkos at `root` (a prefix or its cmake/Kokkos folder); None if none is there."""
    root = Path(root).expanduser()
    cmake_dir = _locate_cmake_dir(root)
    if cmake_dir is None:
        return None
    located = _locate_prefix(cmake_dir)
    if located is None:
        return None
    prefix, include_dir = located
    header = (include_dir / "KokkosCore_config.h").read_text(errors="replace")
    common_path = cmake_dir / "KokkosConfigCommon.cmake"
    common = common_path.read_text(errors="replace") if common_path.is_file() else ""

    m = re.search(r"#define\s+KOKKOS_VERSION\s+(\d+)", header)
    if m:
        v = int(m.group(1))
        version = f"{v // 10000}.{v // 100 % 100}.{v % 100:02d}"
    else:
        vfile = cmake_dir / "KokkosConfigVersion.cmake"
        vm = re.search(r'PACKAGE_VERSION\s+"(\d+)\.(\d+)\.(\d+)"', vfile.read_text()) \
            if vfile.is_file() else None
        if not vm:
            return None
        version = f"{int(vm.group(1))}.{int(vm.group(2))}.{int(vm.group(3)):02d}"

    devices = _split_cmake_list(_cmake_set(common, "Kokkos_DEVICES"))
    if devices:
        backends = tuple(d.lower() for d in devices)
    else:
        backends = tuple(b for b in KNOWN_BACKENDS
                         if re.search(rf"#define\s+KOKKOS_ENABLE_{b.upper()}\b", header))
    arch = _split_cmake_list(_cmake_set(common, "Kokkos_ARCH"))
    if not arch:
        arch = tuple(sorted(set(re.findall(r"#define\s+KOKKOS_ARCH_(\w+)", header))))
    options = _split_cmake_list(_cmake_set(common, "Kokkos_OPTIONS"))
    compiler = _cmake_set(common, "Kokkos_CXX_COMPILER") or os.environ.get("CXX", "c++")
    compiler_id = _cmake_set(common, "Kokkos_CXX_COMPILER_ID") or ""

    lib_dir = next((p.parent for pat in ("lib*/libkokkoscore.*", "lib/*/libkokkoscore.*")
                    for p in sorted(prefix.glob(pat))), prefix / "lib")

    meta: dict = {}
    marker = prefix / INSTALL_MARKER
    if marker.is_file():
        meta = json.loads(marker.read_text())
    env = tuple(sorted(meta.get("env", {}).items()))
    if "hip" in backends and not env:
        # hipcc picks the NVIDIA platform whenever nvcc is on the PATH; Kokkos HIP needs AMD.
        env = (("HIP_PLATFORM", "amd"),)
    consumer, stub = _consumer_defines(meta, backends)
    defines = tuple(sorted(consumer.items()))
    libs = [p.name for p in lib_dir.glob("libkokkoscore.*")]
    static = "libkokkoscore.a" in libs and not any(".so" in n or n.endswith(".dylib") for n in libs)

    # Fingerprint: the install's configuration files and its library, so a rebuilt or
    # reconfigured Kokkos never reuses modules built against the old one.
    h = hashlib.sha256()
    for p in [include_dir / "KokkosCore_config.h", common_path,
              cmake_dir / "KokkosTargets.cmake", *sorted(lib_dir.glob("libkokkoscore.*"))]:
        if p.is_file():
            st = p.stat()
            h.update(f"{p}:{st.st_size}:{st.st_mtime_ns}\n".encode())
    h.update(repr((env, defines)).encode())

    cxx_flags = _interface_compile_options(cmake_dir)
    return KokkosInstall(
        prefix=prefix, version=version, backends=backends, compiler=compiler,
        compiler_id=compiler_id, cxx_flags=cxx_flags, arch=arch,
        options=options, cmake_dir=cmake_dir, include_dir=include_dir, lib_dir=lib_dir,
        origin=origin, env=env, cmake_defines=defines, stub_driver=stub,
        fingerprint=h.hexdigest(), cuda_arch=_cuda_arch(arch, cxx_flags) if "cuda" in backends else None,
        static=static)


def _env_roots() -> list[tuple[Path, str]]:
    """Candidate roots in precedence order: Kokkos_ROOT, then CMAKE_PREFIX_PATH entries."""
    roots: list[tuple[Path, str]] = []
    for var in ("Kokkos_ROOT", "KOKKOS_ROOT"):
        if os.environ.get(var):
            roots.append((Path(os.environ[var]), "Kokkos_ROOT"))
            break
    for entry in re.split(r"[;:]", os.environ.get("CMAKE_PREFIX_PATH", "")):
        if entry:
            roots.append((Path(entry), "CMAKE_PREFIX_PATH"))
    return roots


def cache_installs() -> list[KokkosInstall]:
    """The complete Kokkos installs hpcir built into its cache (runnable, then newest first)."""
    from hpcir.core.cache import cache_root
    base = cache_root() / "kokkos"
    found = []
    for d in sorted(base.glob("*"), key=lambda p: p.stat().st_mtime, reverse=True):
        if (d / INSTALL_MARKER).is_file():
            inst = read_install(d, "hpcir cache")
            if inst is not None:
                found.append(inst)
    # A CUDA Kokkos linked against the stand-in driver only compiles: prefer one that runs.
    return sorted(found, key=lambda inst: inst.stub_driver)


def _normalize_backend(backend: str | None) -> str | None:
    if backend is None:
        return None
    b = backend.lower()
    if b not in KNOWN_BACKENDS:
        raise KokkosNotFoundError(f"unknown Kokkos backend {backend!r}",
                                  hint=f"use one of: {', '.join(KNOWN_BACKENDS)}")
    return b


def search_kokkos(backend: str | None = None) -> tuple[KokkosInstall | None, list[str]]:
    """The first Kokkos with `backend` (or None), and why each earlier candidate was passed over."""
    backend = _normalize_backend(backend)
    looked: list[str] = []
    for root, origin in _env_roots():
        inst = read_install(root, origin)
        if inst is None:
            looked.append(f"{origin}={root}: no KokkosConfig.cmake + KokkosCore_config.h there")
        elif backend and not inst.has_backend(backend):
            looked.append(f"{origin}={root}: Kokkos {inst.version} without {backend} "
                          f"(has {', '.join(inst.backends)})")
        else:
            return inst, looked
    for inst in cache_installs():
        # A device-enabled build initialises the GPU at start-up: never pick one for a host target.
        device_build = inst.has_backend("cuda") or inst.has_backend("hip")
        if backend in ("openmp", "serial") and device_build:
            continue
        if backend is None or inst.has_backend(backend):
            return inst, looked
        looked.append(f"hpcir cache {inst.prefix}: without {backend}")
    return None, looked


def find_kokkos(backend: str | None = None) -> KokkosInstall:
    """The first Kokkos with `backend` enabled: Kokkos_ROOT, CMAKE_PREFIX_PATH, then hpcir's cache."""
    inst, looked = search_kokkos(backend)
    if inst is not None:
        return inst
    backend = _normalize_backend(backend)
    what = f"with the {backend} backend " if backend else ""
    raise KokkosNotFoundError(
        f"no Kokkos {what}found" + ("".join(f"\n  - {x}" for x in looked) if looked else
                                    " (Kokkos_ROOT and CMAKE_PREFIX_PATH are unset, cache empty)"),
        hint=f"point Kokkos_ROOT at a Kokkos install, or run `hpcir kokkos install --backend "
             f"{backend or 'openmp'}`")


def _backend_of(target: Target | str) -> str:
    t = get_target(target) if isinstance(target, str) else target
    if t.kind != "kokkos" or not t.kokkos_backend:
        raise KokkosNotFoundError(f"target {t.name!r} does not compile through Kokkos")
    return t.kokkos_backend.lower()
