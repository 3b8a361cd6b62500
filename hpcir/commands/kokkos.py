"""`hpcir kokkos install|info`: build Kokkos into hpcir's cache, or show which Kokkos is used."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hpcir.backends.toolchain.kokkos_install import KokkosInstall, cache_installs, search_kokkos
from hpcir.backends.toolchain.kokkos_build import install_kokkos


def _describe(inst: KokkosInstall, toolchain: bool) -> str:
    lines = [
        f"Kokkos {inst.version}  (from {inst.origin})",
        f"  prefix:    {inst.prefix}",
        f"  backends:  {', '.join(inst.backends)}",
        f"  arch:      {', '.join(inst.arch) or '(none given)'}",
        f"  compiler:  {inst.compiler} ({inst.compiler_id or 'unknown id'})",
        f"  cxx flags: {' '.join(inst.cxx_flags) or '(none)'}",
        f"  cmake dir: {inst.cmake_dir}",
    ]
    if inst.env:
        lines.append(f"  env:       {' '.join(f'{k}={v}' for k, v in inst.env)}")
    if inst.stub_driver:
        lines.append("  note:      linked against a stand-in libcuda.so: compile checks only")
    if toolchain:
        tc = inst.toolchain()
        lines += [f"  consumer compile: {tc.compiler} {' '.join(tc.compile_args)}",
                  f"  consumer link:    {' '.join(tc.link_args)}",
                  f"  compiler version: {tc.compiler_version.split(' | ')[0]}"]
    return "\n".join(lines)


def _install(args: argparse.Namespace) -> int:
    from hpcir.backends.toolchain.kokkos_probe import cmake_path_problem
    from hpcir.core.cache import cache_root
    from hpcir.core.errors import KokkosNotFoundError
    problem = cmake_path_problem(cache_root())
    if problem:  # CMake would configure, build and install Kokkos inside the cache
        raise KokkosNotFoundError(f"cannot build Kokkos in the hpcir cache: {problem}",
                                  hint="set HPCIR_CACHE_DIR to a folder whose path has no such character, or "
                                       "install Kokkos elsewhere and point Kokkos_ROOT at it")
    inst = install_kokkos(args.backend, progress=lambda msg: print(f"hpcir: {msg}", flush=True),
                          source=args.source)
    print(_describe(inst, toolchain=False))
    if args.backend == "openmp":
        # Pay for the precompiled Kokkos header now rather than in the first JIT build.
        from ..backends.build import warm_precompiled_headers
        from hpcir.core.targets import TARGETS
        host = [t for t in TARGETS.values() if t.kokkos_backend and inst.has_backend(t.kokkos_backend)]
        if warm_precompiled_headers(inst, host):
            print("hpcir: precompiled Kokkos_Core.hpp for " + ", ".join(t.name for t in host))
    return 0


def _info(args: argparse.Namespace) -> int:
    if args.all:
        for inst in cache_installs():
            print(_describe(inst, toolchain=args.flags))
        return 0
    found = 0
    for backend in [args.backend] if args.backend else ["openmp", "cuda", "hip"]:
        inst, passed_over = search_kokkos(backend)
        if inst is None:
            print(f"no Kokkos with the {backend} backend found"
                  + "".join(f"\n  - {x}" for x in passed_over)
                  + f"\n  hint: point Kokkos_ROOT at one, or run `hpcir kokkos install "
                    f"--backend {'openmp' if backend == 'serial' else backend}`",
                  file=sys.stderr)
            continue
        found += 1
        print(f"[{backend}] " + _describe(inst, toolchain=args.flags))
        for why in passed_over:  # a Kokkos_ROOT / CMAKE_PREFIX_PATH entry that is set but unusable
            if not why.startswith("hpcir cache"):
                print(f"  passed over: {why}")
    return 0 if found else 1


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `hpcir kokkos install` and `hpcir kokkos info`."""
    p = subparsers.add_parser("kokkos", help="find, show or build the Kokkos hpcir compiles against")
    sub = p.add_subparsers(dest="kokkos_command", required=True)
    pi = sub.add_parser("install", help="build Kokkos into hpcir's cache, once (3.4.01 from PyPI, or "
                                        "the release given with --source)")
    pi.add_argument("--backend", choices=("openmp", "cuda", "hip"), default="openmp",
                    help="openmp: OpenMP+Serial for the CPU; cuda/hip: GPU builds (compile "
                         "checks on machines without the GPU)")
    pi.add_argument("--source", type=Path, default=None,
                    help="a Kokkos release to build instead of 3.4.01 from PyPI: a kokkos-X.Y.Z.tar.gz "
                         "or an unpacked folder (tested: 4.6.01)")
    pi.set_defaults(func=_install)
    pinfo = sub.add_parser("info", help="which Kokkos hpcir uses, and where it came from")
    pinfo.add_argument("--backend", choices=("openmp", "serial", "cuda", "hip"),
                       help="the Kokkos for this backend (default: openmp, cuda and hip)")
    pinfo.add_argument("--all", action="store_true", help="list every Kokkos in hpcir's cache")
    pinfo.add_argument("--flags", action="store_true",
                       help="also the exact compile and link flags (runs CMake once per install)")
    pinfo.set_defaults(func=_info)
