"""Asks CMake how a consumer of a Kokkos install compiles and links, once per install (cached)."""
from __future__ import annotations

import functools
import json
import os
import re
import shlex
import shutil
import subprocess
import tempfile
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


# Characters CMake, make, ninja and shlex all keep as they are. Any other path is handed to CMake
# through a symbolic link with a plain name (and mapped back in the answer): CMake cannot cope
# with ';' (a list separator), backslashes (read as Windows separators) or '"' (breaks try_compile), and
# its command lines escape '`', '$' and quotes for a shell, which shlex does not undo the same way.
_PLAIN = re.compile(r"[A-Za-z0-9_./+=@%,:-]*")


def cmake_path_problem(path: Path | str) -> str | None:
    """Why CMake itself cannot configure or build in `path` (None: it can), naming the character."""
    for ch, why in ((";", "CMake splits paths at ';' (its list separator)"),
                    ("\\", "CMake reads '\\' as a Windows path separator"),
                    ('"', "CMake's compiler checks break on '\"' in their folder")):
        if ch in str(path):
            return f"the path {str(path)!r} contains {ch!r}: {why}"
    return None


def _alias_root() -> Path:
    """A new folder with a plain path for the probe's CMake project and its links."""
    for base in (tempfile.gettempdir(), "/tmp", "/var/tmp"):
        if _PLAIN.fullmatch(base) and os.access(base, os.W_OK):
            _remove_stale_aliases(Path(base))
            return Path(tempfile.mkdtemp(dir=base, prefix=f"hpcir-probe.{os.getpid()}."))
    raise KokkosNotFoundError("no temporary folder with a plain path for CMake",
                              hint="set TMPDIR to a writable folder whose path has no special characters")


def _remove_stale_aliases(base: Path) -> None:
    """Remove probe folders of processes that are gone (a probe killed part-way)."""
    for p in base.glob("hpcir-probe.*.*"):
        try:
            os.kill(int(p.name.split(".")[1]), 0)
        except ProcessLookupError:
            shutil.rmtree(p, ignore_errors=True)
        except (ValueError, OSError):
            pass


class _Aliases:
    """Plain-named symbolic links for the paths given to CMake, and the way back."""

    def __init__(self, root: Path):
        self.root = root
        self.back: dict[str, str] = {}

    def path(self, real: Path | str, name: str | None = None) -> str:
        real = str(real)
        if _PLAIN.fullmatch(real) and name is None:
            return real
        link = self.root / (name or f"p{len(self.back)}")
        link.symlink_to(real)
        self.back[str(link)] = real
        return str(link)

    def under(self, real: Path | str, base_alias: str, base: Path) -> str:
        """`real` (inside `base`) seen through the alias of `base`."""
        try:
            return str(Path(base_alias) / Path(real).relative_to(base))
        except ValueError:
            return self.path(real)

    def restore(self, arg: str) -> str:
        for alias in sorted(self.back, key=len, reverse=True):
            arg = arg.replace(alias, self.back[alias])
        return arg


def _rpath_args(args: list[str]) -> list[str]:
    """-Wl,-rpath,DIR splits DIR at commas: such a DIR goes through -Xlinker instead."""
    out: list[str] = []
    for a in args:
        if a.startswith("-Wl,-rpath,") and "," in a[len("-Wl,-rpath,"):]:
            out += ["-Xlinker", "-rpath", "-Xlinker", a[len("-Wl,-rpath,"):]]
        else:
            out.append(a)
    return out


def _run_probe(install: KokkosInstall, work: Path, generator: str | None = None) -> Path:
    """Configure the probe project against `install`; write toolchain.json into `work`.

    CMake runs in a temporary folder with a plain path and sees the install, its compiler and
    any path-valued -D through plain-named links, so no character of the cache's or the
    install's path reaches CMake or a command line it writes; the answer names the real paths."""
    if ":" in str(install.lib_dir) and not install.static:
        raise KokkosNotFoundError(
            f"the Kokkos library folder {install.lib_dir} contains ':', which the dynamic loader "
            "reads as a separator in a library search path (rpath): modules could not find Kokkos",
            hint="install Kokkos under a path without ':', or point Kokkos_ROOT at another Kokkos")
    generator = generator or _default_generator()
    root = _alias_root()
    try:
        aliases = _Aliases(root)
        prefix = aliases.path(install.prefix, "kokkos")
        src = root / "src"
        src.mkdir()
        (src / "CMakeLists.txt").write_text(_PROBE_CMAKE)
        (src / "probe.cpp").write_text("#include <Kokkos_Core.hpp>\n")
        build = root / "build"
        env = {**os.environ, **dict(install.env)}
        compiler_in = aliases.under(install.compiler, prefix, install.prefix) \
            if Path(install.compiler).is_absolute() else install.compiler
        defines = [f"-D{k}={aliases.path(v) if Path(v).is_absolute() and Path(v).exists() else v}"
                   for k, v in install.cmake_defines]
        cmd = ["cmake", "-G", generator, "-S", str(src), "-B", str(build),
               f"-DKokkos_DIR={aliases.under(install.cmake_dir, prefix, install.prefix)}",
               f"-DCMAKE_CXX_COMPILER={compiler_in}", "-DCMAKE_EXPORT_COMPILE_COMMANDS=ON",
               f"-DHPCIR_PROBE_CUDA={'ON' if install.has_backend('cuda') else 'OFF'}",
               *defines, *cuda_arch_defines(install)]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
        except OSError as err:
            raise KokkosNotFoundError(f"cannot run CMake: {err}",
                                      hint="install CMake >= 3.16 (apt-get install cmake)") from None
        if proc.returncode != 0:
            errs = [aliases.restore(ln) for ln in (proc.stdout + proc.stderr).splitlines() if ln.strip()][-12:]
            raise KokkosNotFoundError(
                f"CMake cannot use the Kokkos in {install.prefix}:\n  " + "\n  ".join(errs),
                hint=f"CMake's last lines above say why (is its compiler {install.compiler} installed?); "
                     "or point Kokkos_ROOT at another Kokkos")
        compile_cmd = shlex.split(json.loads((build / "compile_commands.json").read_text())[0]["command"])
        link_cmd = _link_command(build, generator, env)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    compile_cmd = [aliases.restore(a) for a in compile_cmd]
    link_cmd = [aliases.restore(a) for a in link_cmd]
    compiler = shutil.which(compile_cmd[0]) or compile_cmd[0]
    compile_args = _strip_compile(compile_cmd)
    if "-fPIC" not in compile_args:
        compile_args.append("-fPIC")
    if not any(a.startswith(("-std=", "--std")) for a in compile_args):
        # CMake omits -std when the compiler's default already satisfies Kokkos' cxx_std_17;
        # say it anyway so a changed compiler default cannot change the dialect silently.
        compile_args.append("-std=c++17")
    data = {"compiler": compiler, "compiler_version": _compiler_version(compiler, env),
            "compile_args": compile_args, "link_args": _rpath_args(_strip_link(link_cmd)),
            "env": [list(kv) for kv in install.env]}
    out = work / "toolchain.json"
    out.write_text(json.dumps(data, indent=2))
    return out


@functools.lru_cache(maxsize=None)
def probe_toolchain(install: KokkosInstall) -> KokkosToolchain:
    """The toolchain of `install` (one CMake configure per install, then read from the cache)."""
    key = cache_key("kokkos-probe-v5", str(install.prefix), install.config_id(),
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

