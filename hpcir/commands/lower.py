"""`hpcir lower FILE.py --target=T`: every annotated kernel and @hpcir.program of a file, lowered to
MLIR (L2 / L3) or to a Kokkos C++ CMake project."""
from __future__ import annotations

import argparse
import importlib.util
import shlex
import sys
from pathlib import Path
from types import ModuleType

from xdsl.dialects.builtin import ModuleOp

from hpcir.core.errors import HpcirError
from hpcir.core.targets import TARGETS, get_target
from hpcir.dialects.kokkos_target import set_module_target
from hpcir.dialects.upstream import printed_for_upstream, to_upstream_text
from hpcir.lowering import project_kokkos


def q(path: Path) -> str:
    """A path as a shell word."""
    return shlex.quote(str(path))


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `lower` subcommand."""
    p = sub.add_parser("lower", help="lower the kernels, programs and exports of a Python file",
                       description="Lower every annotated @hpcir.kernel and @hpcir.program (and hpcir.export "
                                   "graph entry) of FILE for a target.")
    p.add_argument("file", type=Path)
    p.add_argument("--target", default="cpu", choices=list(TARGETS))
    p.add_argument("-o", "--output", type=Path, default=None, help="output directory (default: FILE_TARGET/)")
    p.add_argument("--emit", choices=["cpp", "mlir"], default="cpp")
    p.add_argument("--stage", choices=["L1", "L2", "L3"], default=None, help="with --emit=mlir: the IR level")
    p.add_argument("--pretty", action="store_true",
                   help="with --emit=mlir: hpcir's readable custom syntax instead of the generic form that "
                        "upstream MLIR parses as printed")
    p.add_argument("--dump-ir-after-all", action="store_true", help="print the IR after every pass to stderr")
    p.set_defaults(func=run)


def load_user_module(path: Path) -> ModuleType:
    """Import a user's Python file as a module (its top level runs, `__main__` blocks do not)."""
    if not path.is_file():
        raise HpcirError(f"no such file: {path}", hint="give the path of a .py file with @hpcir.kernel functions")
    spec = importlib.util.spec_from_file_location(f"hpcir_user_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


def collect(mod: ModuleType, path: Path) -> tuple[list, list, list]:
    """The file's own entry kernels, programs and stencils, in definition order."""
    from ..frontends.python.kernel import Kernel
    from ..program import Program
    from ..stencil_api import is_stencil
    kernels, programs, stencils = [], [], []
    for obj in vars(mod).values():
        if is_stencil(obj):
            stencils.append(obj)
        if not isinstance(obj, Kernel) or Path(obj.filename).resolve() != path.resolve():
            continue
        if isinstance(obj, Program):
            programs.append(obj)
        elif not obj.is_device_function:
            kernels.append(obj)
    key = lambda k: k.line_offset  # noqa: E731
    return sorted(kernels, key=key), sorted(programs, key=key), stencils


def lower_file(path: Path, target: str, dump_after_all: bool = False) -> tuple[ModuleOp, ModuleOp | None, str]:
    """L2 module, L3 module (None for non-Kokkos targets) and module name of a file's kernels."""
    from ..api import lower_to_l3
    from ..frontends.python.entries import ModuleBuilder
    from ..frontends.python.program import lower_program
    from ..frontends.python.signature import annotated_spec
    mod = load_user_module(path)
    kernels, programs, stencils = collect(mod, path)
    if not kernels and not programs and not stencils:
        raise HpcirError(f"{path} defines no @hpcir.kernel, @hpcir.program or @hpcir.stencil to lower",
                         hint="decorate kernels with @hpcir.kernel and annotate their parameters")
    t = get_target(target)
    mb = ModuleBuilder()
    for p in programs:  # programs first: their launches fix the entries' view layouts
        lower_program(p, mb)
    launched = {key[0] for key in mb.launched}
    for k in kernels:
        if id(k) in launched:
            continue
        spec = annotated_spec(k)
        spec.name = k.name
        mb.add_entry(spec)
    for st in stencils:  # each stencil's L2 entry joins the module
        for f in list(st.l2().ops):
            f.detach()
            mb.module.body.block.add_op(f)
    l2 = mb.module
    set_module_target(l2, target)  # the L2 stage: target-neutral IR with the target stamped on the module
    l2.verify()
    l3 = lower_to_l3(l2.clone(), target, dump_after_all) if t.kind == "kokkos" else None
    return l2, l3, path.stem


def stencil_l1_text(path: Path) -> str:
    """The L1 (stencil dialect) IR of a file's stencils; kernels and programs have no L1 form."""
    _, _, stencils = collect(load_user_module(path), path)
    if not stencils:
        raise HpcirError(f"{path} has no L1 form: @hpcir.kernel and @hpcir.program lower straight to L2 (loops)",
                         hint="use --stage=L2 or --stage=L3; L1 exists for stencils and graph entry points (hpcir.export)")
    return "\n".join(str(st.stencil_ir()) for st in stencils)


def run(args: argparse.Namespace) -> int:
    """Execute `hpcir lower`."""
    path: Path = args.file
    t = get_target(args.target)
    from .. import graph_dispatch as graph_api_hook
    if graph_api_hook.has_exports(path):
        return graph_api_hook.lower_exports(path, args.target, args.output, args.emit, args.stage,
                                            dump_after_all=args.dump_ir_after_all, pretty=args.pretty)
    if t.kind != "kokkos":
        if args.emit == "mlir" or args.stage is not None:
            raise HpcirError(f"--emit=mlir / --stage lower to Kokkos targets, not {args.target!r}",
                             hint="use --target=cpu|serial|cuda|hip for MLIR; --target=jax|torch writes Python")
        return write_array_module(path, args.target, args.output)
    if args.stage == "L1":
        text = stencil_l1_text(path)
        print(text if args.pretty else printed_for_upstream(text))
        return 0
    l2, l3, name = lower_file(path, args.target, args.dump_ir_after_all)
    assert l3 is not None
    if args.emit == "mlir":
        module = l2 if args.stage == "L2" else l3
        text = str(module) if args.pretty else to_upstream_text(module)
        if args.output is None:
            print(text)
        else:
            args.output.mkdir(parents=True, exist_ok=True)
            (args.output / f"{name}.{(args.stage or 'L3').lower()}.mlir").write_text(text + "\n")
        return 0
    from ..api import emit_cpp
    from ..backends.cmake_project import write_cmake_project
    sources = emit_cpp(l3, args.target, name)
    if any(op.name == "fft.execute" for op in l3.walk()):  # programs calling hpcir.fft: the FFT runtime unit
        from ..backends.fft_cpp import runtime_source
        fname, text = runtime_source(t)
        sources[fname] = text
    exe = sources.pop(f"{name}_main.cpp", None)
    kokkos, missing = project_kokkos(t)
    out = args.output or Path(f"{name}_{args.target}")
    write_cmake_project(out, name, sources, t, kokkos, exe)
    print(f"wrote {out}/ ({', '.join(sorted(sources) + ([f'{name}_main.cpp'] if exe else []))}, CMakeLists.txt)")
    if kokkos is not None:
        print(f"Kokkos {kokkos.version} ({', '.join(kokkos.backends)}) from {kokkos.origin}: {kokkos.prefix}"
              + (" (compile checks only: stand-in CUDA driver)" if kokkos.stub_driver else ""))
        print(f"build: cmake -S {q(out)} -B {q(out / 'build')} && cmake --build {q(out / 'build')}")
    else:
        print(missing, file=sys.stderr)
        print(f"build: cmake -S {q(out)} -B {q(out / 'build')} -DKokkos_ROOT=<a Kokkos with "
              f"{t.kokkos_backend}> && cmake --build {q(out / 'build')}")
    return 0


def write_array_module(path: Path, target: str, output: Path | None) -> int:
    """`hpcir lower FILE --target=jax|torch`: one Python module with every kernel (and stencil) of FILE."""
    from ..array_api import lower_kernel
    from ..stencil_api import lower_stencil
    mod = load_user_module(path)
    kernels, programs, stencils = collect(mod, path)
    if programs:
        raise HpcirError(f"{path} has @hpcir.program {programs[0].name}, which lowers to Kokkos targets only",
                         hint="lower it with --target=cpu|serial|cuda|hip; its kernels can go to jax/torch from a "
                              "file of their own")
    if not kernels and not stencils:
        raise HpcirError(f"{path} defines no @hpcir.kernel or @hpcir.stencil to lower",
                         hint="decorate kernels with @hpcir.kernel and annotate their parameters")
    parts = [lower_kernel(k, target) for k in kernels] + [lower_stencil(st, target, None) for st in stencils]
    out = output or Path(f"{path.stem}_{target}")
    out.mkdir(parents=True, exist_ok=True)
    dest = out / f"{path.stem}.py"
    dest.write_text(_merge_modules(parts))
    print(f"wrote {dest} ({', '.join(k.name for k in kernels + stencils)})")
    return 0


def _merge_modules(parts: list[str]) -> str:
    """One module from several generated ones: the import lines once, then every definition."""
    head: list[str] = []
    bodies: list[str] = []
    for text in parts:
        lines = text.splitlines()
        start = 0
        while start < len(lines) and (not lines[start].strip() or lines[start].startswith(("import ", "from ", '"""'))):
            if lines[start].startswith(("import ", "from ")) and lines[start] not in head:
                head.append(lines[start])
            start += 1
        bodies.append("\n".join(lines[start:]).strip("\n"))
    doc = '"""hpcir kernels as array code (generated by `hpcir lower`; do not edit)."""'
    return "\n".join([doc, *head, "", ""] ) + "\n\n\n".join(bodies) + "\n"
