"""A static Kokkos (libkokkoscore.a, Kokkos' default) made into one shared runtime per process.

Linked as is, every JIT module would carry its own copy of Kokkos: its own initialize/finalize,
thread pool and allocation tracking, silently. hpcir links the archives once, whole, into a shared
library in its cache and links every module against that instead. Archives built without -fPIC
cannot be linked into a shared library: then a warning says what to do, and modules keep their
own copies.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from hpcir.core.cache import cache_key, cached_build

if TYPE_CHECKING:
    from hpcir.backends.toolchain.kokkos_install import KokkosInstall

RUNTIME_NAME = "libhpcir_kokkos_runtime.so"
_warned: set[str] = set()


def _archives(link_args: tuple[str, ...], install: KokkosInstall) -> list[str]:
    """The Kokkos archives on a consumer's link line (core, containers, simd, ...)."""
    lib_dir = str(install.lib_dir.resolve())
    return [a for a in link_args if a.endswith(".a") and str(Path(a).resolve().parent) == lib_dir]


def _build_runtime(work: Path, compiler: str, archives: list[str], rest: list[str],
                   env: dict[str, str]) -> Path:
    out = work / RUNTIME_NAME
    cmd = [compiler, "-shared", "-fPIC", "-o", str(out), f"-Wl,-soname,{RUNTIME_NAME}",
           "-Wl,--whole-archive", *archives, "-Wl,--no-whole-archive", *rest]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise RuntimeError((proc.stdout + proc.stderr).strip().splitlines()[-1:] or ["link failed"])
    return out


def warn_static(install: KokkosInstall, why: str) -> None:
    """Say once per process that modules will not share one Kokkos runtime, and what to do."""
    if str(install.prefix) in _warned:
        return
    _warned.add(str(install.prefix))
    print(f"hpcir: warning: the Kokkos in {install.prefix} is a static library and {why}; every "
          "module hpcir builds gets its own copy of the Kokkos runtime (its own thread pool and "
          "initialisation; views cannot pass between modules). Rebuild Kokkos with "
          "-DBUILD_SHARED_LIBS=ON (or -DCMAKE_POSITION_INDEPENDENT_CODE=ON), or run "
          "`hpcir kokkos install`.", file=sys.stderr, flush=True)


def shared_runtime_link_args(install: KokkosInstall, compiler: str, link_args: tuple[str, ...],
                             env: dict[str, str]) -> tuple[str, ...]:
    """Link arguments naming one shared Kokkos runtime in place of a static install's archives."""
    archives = _archives(link_args, install)
    if not archives:
        return link_args
    rest = [a for a in link_args if a not in archives]
    key = cache_key("kokkos-shared-runtime-v1", str(install.prefix), install.config_id(), compiler,
                    list(link_args))
    try:
        lib = cached_build(key, lambda work: _build_runtime(work, compiler, archives, rest, env),
                           kind="kokkos-runtime")
    except RuntimeError as err:
        warn_static(install, f"its archives cannot be linked into a shared library ({err})")
        return link_args
    # The runtime carries Kokkos' own dependencies (OpenMP, libdl, CUDA): keep them for the
    # module too, which may use them directly.
    return (f"-Wl,-rpath,{lib.parent}", str(lib), *rest)
