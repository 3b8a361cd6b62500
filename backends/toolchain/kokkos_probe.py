"""Asks CMake how a consumer of a Kokkos install compiles and links, once per install (cached)."""
from __future__ import annotations

import functools
import json
import os
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from hpcir.core.cache import cache_key, cached_build
from hpcir.core.errors import KokkosNotFoundError

if TYPE_CHECKING:  # a type only: kokkos_install calls this module
    from hpcir.backends.toolchain.kokkos_install import KokkosInstall

_PROBE_CMAKE = """\
cmake_minimum_required(VERSION 3.16)
project(hpcir_probe CXX)
if(HPCIR_PROBE_CUDA)
  # Kokkos 3.4's config refers to CUDA:: targets that only this call defines (CMake 4).
  find_package(CUDAToolkit REQUIRED)
endif()
find_package(Kokkos REQUIRED)
add_library(hpcir_probe SHARED probe.cpp)
target_link_libraries(hpcir_probe PRIVATE Kokkos::kokkos)
"""


@dataclass(frozen=True)
class KokkosToolchain:
    """How to compile and link against one Kokkos, exactly as its CMake package says."""

    compiler: str
    compiler_version: str  # first line of `compiler --version`
    compile_args: tuple[str, ...]  # defines, include dirs, options, -std, -fPIC
    link_args: tuple[str, ...]  # rpath, libraries and link options, after the objects
    env: tuple[tuple[str, str], ...] = ()

    def environ(self) -> dict[str, str]:
        """The process environment the compiler runs in."""
        return {**os.environ, **dict(self.env)}


def _compiler_version(compiler: str, env: dict[str, str]) -> str:
    try:
        out = subprocess.run([compiler, "--version"], capture_output=True, text=True, env=env,
                             timeout=60)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise KokkosNotFoundError(f"cannot run the Kokkos compiler {compiler}: {err}") from None
    # stdout only when it has the banner: hipcc also prints rocm_agent_enumerator's traceback
    # on stderr on machines without an AMD GPU.
    lines = [ln for ln in (out.stdout or out.stderr).splitlines() if ln.strip()]
    # nvcc_wrapper and hipcc print several tools' banners: keep them all, they all matter.
    return " | ".join(lines[:6])


def _strip_compile(cmd: list[str]) -> list[str]:
    """Drop compiler, -o OUT, -c SRC and CMake's dependency-file flags from a compile command."""
    out, skip = [], False
    for arg in cmd[1:]:
        if skip:
            skip = False
            continue
        if arg in ("-o", "-c", "-MF", "-MT", "-MQ"):
            skip = True
            continue
        if arg in ("-MD", "-MMD") or "hpcir_probe" in arg or arg.endswith("probe.cpp"):
            continue
        out.append(arg)
    return out


def _strip_link(cmd: list[str]) -> list[str]:
    """Drop compiler, -shared, -o OUT, soname and the probe's objects from a link command."""
    out, skip = [], False
    for arg in cmd[1:]:
        if skip:
            skip = False
            continue
        if arg == "-o":
            skip = True
            continue
        if arg == "-shared" or arg.startswith("-Wl,-soname") or arg.endswith(".o") \
                or "hpcir_probe" in arg:
            continue
        out.append(arg)
    return out


def _default_generator() -> str:
    return "Unix Makefiles" if shutil.which("make") else "Ninja"


def _link_command(build: Path, generator: str, env: dict[str, str]) -> list[str]:
    """The probe library's link command line as the generator would run it."""
    if generator == "Ninja":
        out = subprocess.run(["ninja", "-C", str(build), "-t", "commands", "hpcir_probe"],
                             capture_output=True, text=True, env=env, check=True).stdout
        line = next(ln for ln in out.splitlines() if " -shared " in ln)
        # Ninja wraps it as ": && CMD && :" (pre- and post-link steps).
        line = line.strip().removeprefix(": &&").removesuffix("&& :")
        return shlex.split(line)
    return shlex.split((build / "CMakeFiles" / "hpcir_probe.dir" / "link.txt")
                       .read_text().splitlines()[0])


def cuda_arch_defines(install: KokkosInstall) -> list[str]:
    """CMake -D giving nvcc_wrapper the install's arch: CMake's compiler check passes none, and
    the wrapper's own default (sm_70 in Kokkos 4) is refused by nvcc 13."""
    if not install.has_backend("cuda") or not install.cuda_arch:
        return []
    return [f"-DCMAKE_CXX_FLAGS=-arch={install.cuda_arch}"]


def _run_probe(install: KokkosInstall, work: Path, generator: str | None = None) -> Path:
    """Configure the probe project against `install`; write toolchain.json into `work`."""
    generator = generator or _default_generator()
    (work / "CMakeLists.txt").write_text(_PROBE_CMAKE)
    (work / "probe.cpp").write_text("#include <Kokkos_Core.hpp>\n")
    env = {**os.environ, **dict(install.env)}
    cmd = ["cmake", "-G", generator, "-S", str(work), "-B", str(work / "build"),
           f"-DKokkos_DIR={install.cmake_dir}", f"-DCMAKE_CXX_COMPILER={install.compiler}",
           "-DCMAKE_EXPORT_COMPILE_COMMANDS=ON",
           f"-DHPCIR_PROBE_CUDA={'ON' if install.has_backend('cuda') else 'OFF'}",
           *[f"-D{k}={v}" for k, v in install.cmake_defines], *cuda_arch_defines(install)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    except OSError as err:
        raise KokkosNotFoundError(f"cannot run CMake: {err}",
                                  hint="install CMake >= 3.16 (apt-get install cmake)") from None
    if proc.returncode != 0:
        errs = [ln for ln in (proc.stdout + proc.stderr).splitlines() if ln.strip()][-12:]
        raise KokkosNotFoundError(
            f"CMake cannot use the Kokkos in {install.prefix}:\n  " + "\n  ".join(errs),
            hint="check that its compiler is installed, or point Kokkos_ROOT at another Kokkos")
    build = work / "build"
    compile_cmd = shlex.split(json.loads((build / "compile_commands.json").read_text())[0]["command"])
    link_cmd = _link_command(build, generator, env)
    compiler = shutil.which(compile_cmd[0]) or compile_cmd[0]
    compile_args = _strip_compile(compile_cmd)
    if "-fPIC" not in compile_args:
        compile_args.append("-fPIC")
    if not any(a.startswith(("-std=", "--std")) for a in compile_args):
        # CMake omits -std when the compiler's default already satisfies Kokkos' cxx_std_17;
        # say it anyway so a changed compiler default cannot change the dialect silently.
        compile_args.append("-std=c++17")
    data = {"compiler": compiler, "compiler_version": _compiler_version(compiler, env),
            "compile_args": compile_args, "link_args": _strip_link(link_cmd),
            "env": [list(kv) for kv in install.env]}
    out = work / "toolchain.json"
    out.write_text(json.dumps(data, indent=2))
    shutil.rmtree(build, ignore_errors=True)  # only the answer is worth keeping
    return out


@functools.lru_cache(maxsize=None)
def probe_toolchain(install: KokkosInstall) -> KokkosToolchain:
    """The toolchain of `install` (one CMake configure per install, then read from the cache)."""
    key = cache_key("kokkos-probe-v4", str(install.prefix), install.config_id(),
                    install.compiler, list(install.env), list(install.cmake_defines), install.cuda_arch)
    path = cached_build(key, lambda work: _run_probe(install, work), kind="probes")
    data = json.loads(path.read_text())
    link_args = tuple(data["link_args"])
    if install.static:  # one Kokkos runtime per process, not one per module
        from hpcir.backends.toolchain.kokkos_static import shared_runtime_link_args
        env = {**os.environ, **dict(install.env)}
        link_args = shared_runtime_link_args(install, data["compiler"], link_args, env)
    return KokkosToolchain(data["compiler"], data["compiler_version"],
                           tuple(data["compile_args"]), link_args,
                           tuple(tuple(kv) for kv in data["env"]))

