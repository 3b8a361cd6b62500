"""Compiling generated Kokkos C++: one cached shared library per module, or a compile-only check."""
from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from hpcir.core.cache import CacheError, cache_key, cache_root, cached_build, discard, lookup, warn
from hpcir.core.elf import elf_problem
from hpcir.core.errors import BuildError, KokkosNotFoundError
from hpcir.backends.kokkos_cpp.units import unit_flags
from hpcir.backends.toolchain.kokkos_install import KokkosInstall
from hpcir.backends.toolchain.kokkos_probe import KokkosToolchain
from hpcir.core.machine import host_cpu_id
from hpcir.core.progress import progress
from hpcir.core.targets import Target

_CXX_SUFFIXES = (".cpp", ".cc", ".cxx", ".cu")
# gcc/clang "file:line:col: error:", nvcc/EDG "file(line): error:", then the linker's errors.
_FIRST_ERROR = re.compile(
    r"^(?:.*?:\d+(?::\d+)?:\s*(?:fatal )?error\b.*"
    r"|.*?\(\d+\):\s*error\b.*"
    r"|.*(?:undefined reference to|multiple definition of).*"
    r"|.*(?:ld|ld\.lld|collect2|nvcc fatal|clang|g\+\+|c\+\+)(?:\.\w+)?:\s*(?:fatal )?error\b.*"
    r"|.*relocation .* can not be used when making a shared object.*)$",
    re.M)


def _check_sources(sources: dict[str, str]) -> list[str]:
    """The translation units among `sources`; rejects names that could escape the build folder."""
    for fname in sources:
        if Path(fname).name != fname or fname in ("", ".", ".."):
            raise BuildError(f"generated source name {fname!r} must be a plain file name")
    units = sorted(f for f in sources if f.endswith(_CXX_SUFFIXES))
    if not units:
        raise BuildError(f"no C++ translation unit among {sorted(sources)}",
                         hint=f"pass at least one file ending in {', '.join(_CXX_SUFFIXES)}")
    return units


def _target_flags(target: Target, toolchain: KokkosToolchain) -> list[str]:
    """The target's own flags not already in the install's (dedupe keeps the order)."""
    have = set(toolchain.compile_args)
    return [f for f in target.cxx_flags if f not in have]


def first_error(output: str) -> str:
    """The compiler's first error line with the source and caret lines under it."""
    m = _FIRST_ERROR.search(output)
    lines = output.splitlines()
    if m is None:
        nonempty = [ln for ln in lines if ln.strip()]
        return "\n".join(nonempty[:4]) if nonempty else "(the compiler printed nothing)"
    start = output.count("\n", 0, m.start())
    shown = [lines[start]]
    # Keep the indented source / caret lines under it; the next diagnostic starts unindented.
    for ln in lines[start + 1:start + 5]:
        if not ln[:1].isspace():
            break
        shown.append(ln)
    return "\n".join(shown).rstrip()


def _keep_failed(src_dir: Path, log: str, label: str) -> Path | None:
    """Copy a failed build's sources and log to a stable folder the user can inspect (None when
    the cache cannot take it: the build error is what the user needs to see)."""
    try:
        kept = cache_root() / "failed" / label
        shutil.rmtree(kept, ignore_errors=True)
        shutil.copytree(src_dir, kept)
        (kept / "build.log").write_text(log)
    except (OSError, CacheError):
        return None
    return kept


class _PchUnusable(Exception):
    """The compiler refused the precompiled Kokkos header (its first error is the message)."""


def _hint_for(output: str) -> str:
    if "can not be used when making a shared object" in output:
        return ("the Kokkos library is not position-independent: rebuild it with "
                "-DCMAKE_POSITION_INDEPENDENT_CODE=ON or -DBUILD_SHARED_LIBS=ON")
    return "a bug in generated code is an hpcir bug: please report it with the kept folder"


def _run(cmd: list[str], toolchain: KokkosToolchain, cwd: Path, src_dir: Path,
         label: str, what: str, pch: list[str] = ()) -> str:
    """Run one compiler command; `label` names the kept folder, `what` the step and module.

    On failure: BuildError with the first error, never a bare CalledProcessError; _PchUnusable
    when the compiler could not read the precompiled header `pch` names (the caller rebuilds it)."""
    try:
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True,
                              env=toolchain.environ())
    except OSError as err:
        raise BuildError(f"cannot run the compiler {cmd[0]}: {err}",
                         hint="install it, or point Kokkos_ROOT at a Kokkos whose compiler "
                              "is present") from None
    output = proc.stdout + proc.stderr
    if proc.returncode != 0:
        if pch and _pch_refused(output, pch):
            raise _PchUnusable(first_error(output).splitlines()[0])
        log = f"$ {' '.join(cmd)}\n{output}"
        kept = _keep_failed(src_dir, log, label)
        if kept is None:
            raise BuildError(f"{what} failed:\n{first_error(output)}\n"
                             f"  (the cache could not keep the sources: it is not writable)",
                             hint=_hint_for(output))
        # Point error paths at the kept copy, which outlives the temporary build folder.
        shown = first_error(output).replace(str(src_dir), str(kept))
        raise BuildError(f"{what} failed:\n{shown}\n"
                         f"  generated sources kept in {kept} (full log: {kept / 'build.log'})",
                         hint=_hint_for(output))
    return output


def _pch_refused(output: str, pch: list[str]) -> bool:
    """Whether a compile failed on the precompiled header itself (GCC: "cannot read PCH file",
    "cannot read <dir>/Kokkos_Core.hpp.gch"), not on the module's code."""
    pch_dir = pch[pch.index("-I") + 1] if "-I" in pch else None
    return bool(re.search(r"fatal error: .*(PCH file|\.gch\b)", output)) or \
        bool(pch_dir and f"{pch_dir}/" in output and "fatal error" in output)


def _write_sources(sources: dict[str, str], dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    for fname, text in sources.items():
        (dest / fname).write_text(text)


def _is_gcc(tc: KokkosToolchain) -> bool:
    first = tc.compiler_version.split(" | ")[0]
    return bool(re.search(r"(?<![\w+])(g\+\+|c\+\+|GCC)(?![\w+])", first)) \
        and "clang" not in first.lower()


def precompiled_header_args(tc: KokkosToolchain, flags: list[str], install: KokkosInstall) -> list[str]:
    """`-I DIR -include Kokkos_Core.hpp` with a GCC precompiled Kokkos_Core.hpp, or [] if unusable.

    Parsing Kokkos_Core.hpp is most of a module's compile time (about 1.1 of 1.5 s here); the
    precompiled header is built once per compiler, flags and Kokkos configuration. GCC uses it
    only when the flags match exactly and otherwise reads the real header (-Winvalid-pch says
    so), so it can make builds faster but never different. HPCIR_NO_PCH=1 turns it off.
    Generated modules also include hpcir_prelude.hpp, written beside their sources; next to
    Kokkos_Core.hpp it costs no measurable time, so it is not precompiled.
    """
    if os.environ.get("HPCIR_NO_PCH") or not _is_gcc(tc):
        return []
    header = install.include_dir / "Kokkos_Core.hpp"
    if not header.is_file():
        return []
    key = _pch_key(tc, flags, install)

    def build(work: Path) -> Path:
        pch_dir = work / "include"
        pch_dir.mkdir()
        # GCC wants the header itself beside its .gch (it re-opens it for include guards).
        shutil.copy2(header, pch_dir / header.name)
        proc = subprocess.run([tc.compiler, *tc.compile_args, *flags, "-x", "c++-header",
                               str(header), "-o", str(pch_dir / (header.name + ".gch"))],
                              cwd=work, capture_output=True, text=True, env=tc.environ())
        if proc.returncode != 0:  # remember the failure: compile without a PCH from now on
            (work / "unusable.txt").write_text(proc.stdout + proc.stderr)
            return work / "unusable.txt"
        return pch_dir

    result = cached_build(key, build, kind="pch")
    if result.name == "unusable.txt":
        return []
    return ["-Winvalid-pch", "-I", str(result), "-include", header.name]


def _pch_key(tc: KokkosToolchain, flags: list[str], install: KokkosInstall) -> str:
    return cache_key("kokkos-pch-v1", tc.compiler, tc.compiler_version, list(tc.compile_args),
                     flags, install.config_id())


_CHECKED_INSTALLS: set[tuple[str, str]] = set()


def _ar_problem(path: Path) -> str | None:
    """Why a static library is not a complete `ar` archive (None: it is)."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            if f.read(8) != b"!<arch>\n":
                return f"{path} is not an ar archive"
            offset = 8
            while offset < size:
                f.seek(offset)
                head = f.read(60)
                if len(head) < 60 or head[58:60] != b"`\n":
                    return f"{path} is truncated or damaged (a member header at byte {offset} is cut off)"
                offset += 60 + int(head[48:58].decode().strip() or 0)
                offset += offset % 2
            if offset > size:
                return f"{path} is truncated ({size} bytes; its last member ends at byte {offset})"
    except (OSError, ValueError) as err:
        return f"{path} cannot be read: {err}"
    return None


def check_install(install: KokkosInstall) -> None:
    """Refuse, with what to do, a Kokkos install whose headers or libraries are missing, cut short
    or not libraries at all (checked once per process; a truncated libkokkoscore.so would
    otherwise crash the process with SIGBUS when a module using it is loaded)."""
    memo = (str(install.prefix), install.config_id())
    if memo in _CHECKED_INSTALLS:
        return
    problems = [f"{p} is missing or empty" for p in (install.include_dir / "Kokkos_Core.hpp",
                                                       install.include_dir / "KokkosCore_config.h")
                if not p.is_file() or p.stat().st_size == 0]
    libs = sorted(p for p in install.lib_dir.glob("libkokkos*")
                  if re.fullmatch(r"libkokkos\w*(\.so(\.\d+)*|\.a|(\.\d+)*\.dylib)", p.name))
    if not any(p.name.startswith("libkokkoscore") for p in libs):
        problems.append(f"no libkokkoscore in {install.lib_dir}")
    for lib in libs:
        if lib.is_symlink() and not lib.exists():
            problems.append(f"{lib} is a link to the missing {os.readlink(lib)}")
        elif lib.suffix == ".a":
            problems.append(_ar_problem(lib))
        else:
            problems.append(elf_problem(lib.resolve()))
    problems = [p for p in problems if p]
    if problems:
        if install.origin == "hpcir cache":
            hint = (f"delete {install.prefix} (or run `hpcir cache clean --kind kokkos`): hpcir builds "
                    "it again on the next run")
        else:
            hint = f"reinstall the Kokkos in {install.prefix}, or point Kokkos_ROOT at another Kokkos"
        raise KokkosNotFoundError(f"the Kokkos {install.version} in {install.prefix} ({install.origin}) is damaged: "
                                  + "; ".join(problems), hint=hint)
    _CHECKED_INSTALLS.add(memo)


def build_key(sources: dict[str, str], target: Target, install: KokkosInstall, name: str,
              libraries: tuple[str, ...] = (), cflags: tuple[str, ...] = ()) -> str:
    """The cache key of a module build: sources, target, compiler + version, flags, Kokkos config
    (and the host CPU when the flags tune for it), extra libraries linked in, extra compile flags."""
    tc = install.toolchain()
    cpu = host_cpu_id() if "-march=native" in target.cxx_flags else ""
    extra = (list(libraries),) if libraries else ()  # (keys of modules without any stay as they were)
    extra += (list(cflags),) if cflags else ()
    return cache_key("shared-library-v1", name, sorted(sources.items()),
                     dataclasses.asdict(target), tc.compiler, tc.compiler_version,
                     list(tc.compile_args), list(tc.link_args), list(tc.env),
                     install.config_id(), cpu, *extra)


def build_jobs() -> int:
    """How many units of one module compile at once: HPCIR_BUILD_JOBS, else the CPUs hpcir may use."""
    value = os.environ.get("HPCIR_BUILD_JOBS", "")
    if value.isdigit() and int(value) > 0:
        return int(value)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # (not on Linux)
        return max(1, os.cpu_count() or 1)


def _compile_units(units: list[str], compile_one) -> list[tuple[str, str]]:
    """Compile every unit, build_jobs() at a time (large modules are split into several units:
    kokkos_cpp/units.py); returns the units whose compiler refused the precompiled header, with
    its message. The first other error is raised once every started compile has finished."""
    refused: list[tuple[str, str]] = []

    def one(unit: str) -> None:
        try:
            compile_one(unit)
        except _PchUnusable as bad:
            refused.append((unit, str(bad)))

    jobs = min(build_jobs(), len(units))
    if jobs <= 1:
        for unit in units:
            one(unit)
        return refused
    with ThreadPoolExecutor(max_workers=jobs) as pool:  # threads: each waits on its compiler process
        for done in [pool.submit(one, unit) for unit in units]:
            done.result()
    return refused


def unit_compile_args(tc: KokkosToolchain, flags: list[str], cflags: tuple[str, ...], unit: str,
                      sources: dict[str, str], pch: list[str]) -> list[str]:
    """The compiler command of one unit of `sources`, without its input and output (every unit
    of a split module gets the same precompiled header `pch`; its own flags come before it)."""
    # One compiler process per unit, like CMake: the same flags work for g++,
    # nvcc_wrapper and hipcc, whose one-step compile-and-link forms differ.
    return [tc.compiler, *tc.compile_args, *flags, *cflags, *unit_flags(unit, sources), *pch]


def build_shared_library(sources: dict[str, str], target: Target, install: KokkosInstall,
                         name: str, libraries: tuple[str, ...] = (), label: str | None = None,
                         cflags: tuple[str, ...] = ()) -> Path:
    """Compile `sources` into one shared library `lib<name>.so` (cached) and return its path;
    `libraries`: more linker inputs (e.g. the path of the FFT runtime the module calls); `label`:
    what the progress line of a slow build calls it (default: name); `cflags`: more compile flags
    (e.g. the include folder of the BLAS it calls)."""
    units = _check_sources(sources)
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise BuildError(f"module name {name!r} is not a C identifier")
    check_install(install)  # before anything loads or links its libraries
    tc = install.toolchain()
    flags = _target_flags(target, tc)
    key = build_key(sources, target, install, name, libraries, cflags)
    found = lookup(key)  # verified against what was built
    if found is not None:  # cached: skip even the precompiled-header lookup
        return found
    pch = precompiled_header_args(tc, flags, install)

    def build(work: Path) -> Path:
        nonlocal pch
        src = work / "src"
        _write_sources(sources, src)
        label = f"{name}-{key[:12]}"
        objects = [str(work / (Path(unit).stem + ".o")) for unit in units]

        def compile_unit(unit: str, pch_args: list[str]) -> None:
            _run([*unit_compile_args(tc, flags, cflags, unit, sources, pch_args), "-c", str(src / unit),
                  "-o", str(work / (Path(unit).stem + ".o"))],
                 tc, work, src, label, f"compiling module {name!r} ({unit})", pch=pch_args)

        refused = _compile_units(units, lambda unit: compile_unit(unit, pch))
        if refused:
            # Intact as recorded, yet refused (another compiler build, a damaged copy):
            # rebuild it once; if the new one is refused too, compile without.
            pch_dir = pch[pch.index("-I") + 1]
            warn(f"the precompiled Kokkos header in {pch_dir} is unusable ({refused[0][1]}); rebuilding it")
            discard(_pch_key(tc, flags, install), "pch")
            pch = precompiled_header_args(tc, flags, install)
            for unit, _ in refused:
                try:
                    compile_unit(unit, pch)
                except _PchUnusable:
                    pch = []
                    compile_unit(unit, pch)
        lib = work / f"lib{name}.so"
        _run([tc.compiler, *flags, "-shared", "-fPIC", *objects, "-o", str(lib), *libraries, *tc.link_args],
             tc, work, src, label, f"linking module {name!r}")
        for obj in objects:
            os.unlink(obj)
        return lib

    # A build can take a minute (large models): say so on a terminal (hpcir.core.progress).
    with progress(f"compiling {label or name} for {target.name}"):
        return cached_build(key, build)


def warm_precompiled_headers(install: KokkosInstall, targets: list[Target]) -> int:
    """Build the precompiled Kokkos header for each target ahead of the first module; returns how many."""
    tc = install.toolchain()
    return sum(bool(precompiled_header_args(tc, _target_flags(t, tc), install)) for t in targets)


def compile_only(sources: dict[str, str], target: Target, install: KokkosInstall) -> None:
    """Compile every unit of `sources` and discard the objects: the CUDA / HIP checks.

    A passing check is remembered in the cache (same key parts as a library build), so
    re-checking unchanged code is free; a failing one raises BuildError every time.
    """
    units = _check_sources(sources)
    tc = install.toolchain()
    flags = _target_flags(target, tc)
    key = build_key(sources, target, install, "compile-check")

    def check(work: Path) -> Path:
        src = work / "src"
        _write_sources(sources, src)
        label = f"check-{target.name}-{key[:12]}"
        for unit in units:
            obj = work / (Path(unit).stem + ".o")
            _run([tc.compiler, *tc.compile_args, *flags, "-c", str(src / unit), "-o", str(obj)],
                 tc, work, src, label, f"compile check for target {target.name!r} ({unit})")
            obj.unlink()
        shutil.rmtree(src)
        (work / "ok").write_text(f"{', '.join(units)} compile for {target.name}\n")
        return work / "ok"

    cached_build(key, check, kind="checks")
