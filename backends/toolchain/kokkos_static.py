"""A static Kokkos (libkokkoscore.a, Kokkos' default) made into one shared runtime per process.

Linked as is, every JIT module would carry its own copy of Kokkos: its own initialize/finalize,
thread pool and allocation tracking, silently. hpcir links the archives once, whole, into a shared
library in its cache and links every module against that instead. Archives built without -fPIC
(Kokkos' default) cannot go into any shared library, hpcir's modules included: that is an error
that says how to rebuild Kokkos.
"""
from __future__ import annotations

import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from hpcir.core.cache import cache_key, cached_build
from hpcir.core.errors import KokkosNotFoundError

if TYPE_CHECKING:
    from hpcir.backends.toolchain.kokkos_install import KokkosInstall

RUNTIME_NAME = "libhpcir_kokkos_runtime.so"


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
        lines = (proc.stdout + proc.stderr).strip().splitlines()
        raise _LinkFailed(next((ln for ln in lines if "recompile with -fPIC" in ln or "error" in ln),
                               lines[-1] if lines else "link failed"))
    return out


class _LinkFailed(Exception):
    pass


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
    except _LinkFailed as err:
        raise KokkosNotFoundError(
            f"the Kokkos in {install.prefix} is a static library that cannot be linked into a shared "
            f"library, and hpcir's modules are shared libraries:\n  {err}",
            hint="rebuild that Kokkos with -DBUILD_SHARED_LIBS=ON (or -DCMAKE_POSITION_INDEPENDENT_CODE=ON), "
                 "point Kokkos_ROOT at another one, or run `hpcir kokkos install`") from None
    # The runtime carries Kokkos' own dependencies (OpenMP, libdl, CUDA): keep them for the
    # module too, which may use them directly.
    return (f"-Wl,-rpath,{lib.parent}", str(lib), *rest)
