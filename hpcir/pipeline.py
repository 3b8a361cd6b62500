"""Pass registry (kebab-case names) and pipeline parsing/running with verification after every pass.

A pipeline is xDSL's syntax: `"convert-scf-to-kokkos{target=cuda},kokkos-layout,canonicalize"`,
with `mlir-opt[one-shot-bufferize,cse]` for upstream MLIR passes. Every `ModulePass` subclass
defined in a module of `hpcir.passes` is registered under its `name` automatically; a handful of
xDSL's own passes are registered beside them.
"""
from __future__ import annotations

import dataclasses
import importlib
import io
import pkgutil
import sys
from collections.abc import Callable
from typing import TextIO

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass
from xdsl.printer import Printer
from xdsl.utils.arg_spec import ArgSpecParseError, parse_pipeline
from xdsl.utils.exceptions import VerifyException

from hpcir.core.errors import HpcirError, IRVerificationError

# xDSL passes worth exposing through `hpcir opt` (names as xDSL registers them).
XDSL_PASSES = (
    "canonicalize", "cse", "dce", "licm", "loop-hoist-memref", "scf-for-loop-flatten",
    "scf-for-loop-range-folding", "scf-parallel-loop-tiling", "shape-inference",
    "stencil-inlining", "stencil-shape-minimize", "stencil-storage-materialization", "stencil-unroll",
    "convert-stencil-to-ll-mlir",
)

_FALLBACK_DOCS = {
    "cse": "Common subexpression elimination.", "dce": "Dead code elimination.",
    "loop-hoist-memref": "Hoist loop-invariant memref loads/stores out of loops.",
    "convert-stencil-to-ll-mlir": "Lower xDSL stencil ops to scf/memref loops.",
    "stencil-inlining": "Inline producer stencil.apply ops into their consumers.",
    "stencil-unroll": "Unroll stencil.apply bodies.",
    "scf-parallel-loop-tiling": "Tile scf.parallel loops by the given sizes.",
    "scf-for-loop-range-folding": "Fold index arithmetic on scf.for induction variables into the loop range.",
}

_EXTRA: dict[str, Callable[[], type[ModulePass]]] = {}
_REGISTRY: dict[str, Callable[[], type[ModulePass]]] | None = None


def register_pass(pass_cls: type[ModulePass]) -> type[ModulePass]:
    """Register a pass defined outside hpcir.passes (usable as a class decorator)."""
    _EXTRA[pass_cls.name] = lambda: pass_cls
    if _REGISTRY is not None:
        _REGISTRY[pass_cls.name] = _EXTRA[pass_cls.name]
    return pass_cls


def _discover_hpcir_passes() -> dict[str, Callable[[], type[ModulePass]]]:
    from hpcir import passes as pkg

    found: dict[str, Callable[[], type[ModulePass]]] = {}
    for info in pkgutil.iter_modules(pkg.__path__):
        module = importlib.import_module(f"{pkg.__name__}.{info.name}")
        for obj in vars(module).values():
            if (isinstance(obj, type) and issubclass(obj, ModulePass) and obj.__module__ == module.__name__
                    and isinstance(getattr(obj, "name", None), str)):
                found[obj.name] = (lambda c=obj: c)
    return found


def available_passes() -> dict[str, Callable[[], type[ModulePass]]]:
    """Every registered pass: name -> factory returning the pass class."""
    global _REGISTRY
    if _REGISTRY is None:
        from xdsl.transforms import get_all_passes

        xdsl_all = get_all_passes()
        registry = {n: xdsl_all[n] for n in XDSL_PASSES if n in xdsl_all}
        registry.update(_discover_hpcir_passes())
        registry.update(_EXTRA)
        _REGISTRY = registry
    return _REGISTRY


def pass_summary(name: str) -> str:
    """First sentence of a pass's docstring (one line), with its options."""
    cls = available_passes()[name]()
    paragraph = (cls.__doc__ or "").strip().split("\n\n")[0]
    text = " ".join(line.strip() for line in paragraph.splitlines())
    if text.startswith(cls.__name__ + "(") or text.startswith("xdsl implementation"):
        text = ""  # a dataclass-generated signature or a placeholder, not a description
    text = _FALLBACK_DOCS.get(name, text)
    if len(text) > 100:
        text = text[:97].rstrip() + "..."
    opts = [f.name.replace("_", "-") for f in dataclasses.fields(cls)] if dataclasses.is_dataclass(cls) else []
    return text + (f"  [options: {', '.join(opts)}]" if opts else "")


def parse_pass_pipeline(pipeline: str) -> tuple[ModulePass, ...]:
    """Parse `"a,b{opt=1},mlir-opt[x,y]"` into pass instances."""
    registry = available_passes()
    try:
        specs = list(parse_pipeline(pipeline.strip()))
    except ArgSpecParseError as err:
        raise HpcirError(f"malformed pass pipeline {pipeline!r}: {err}",
                         hint="write passes separated by commas, options as name{key=value}") from None
    passes: list[ModulePass] = []
    for spec in specs:
        if spec.name not in registry:
            raise HpcirError(f"unknown pass {spec.name!r}", hint="`hpcir opt --list-passes` lists the passes")
        cls = registry[spec.name]()
        try:
            p = cls.from_pass_spec(spec)
        except Exception as err:  # xDSL raises ValueError/TypeError/ArgSpecParseError for bad options
            raise HpcirError(f"bad options for pass {spec.name!r}: {err}", hint=pass_summary(spec.name)) from None
        passes.append(p)
    return tuple(passes)


def _spec_text(p: ModulePass) -> str:
    if p.name == "mlir-opt" and hasattr(p, "pipeline"):  # show it the way it was written
        inner = p.pipeline()
        return f"mlir-opt[{inner.removeprefix('builtin.module(').removesuffix(')')}]"
    try:
        return str(p.pipeline_pass_spec())
    except Exception:  # a pass with exotic option types: its name is enough for a dump header
        return p.name


def print_module(module: ModuleOp, stream: TextIO, generic: bool = False) -> None:
    """Print a module (custom syntax unless generic) followed by a newline."""
    Printer(stream=stream, print_generic_format=generic).print_op(module)
    stream.write("\n")


def run_pipeline(module: ModuleOp, pipeline: str | tuple[ModulePass, ...], dump_after_all: bool = False,
                 target: str | None = None, ctx: Context | None = None, dump_stream: TextIO | None = None,
                 verify_each: bool = True) -> ModuleOp:
    """Run passes in place on module (verifying after each), optionally printing the IR after each pass.

    `target`, when given, is stamped on the module first (as `kokkos-set-target` would)."""
    from hpcir.dialects import context, kokkos_discardable
    from hpcir.dialects.kokkos_target import set_module_target

    passes = parse_pass_pipeline(pipeline) if isinstance(pipeline, str) else pipeline
    if target is not None:
        set_module_target(module, target)
    ctx = ctx or context()
    out = dump_stream or sys.stderr
    for p in passes:
        try:
            p.apply(ctx, module)
        except VerifyException as err:
            raise IRVerificationError(f"pass {p.name!r} failed: {err}") from None
        if verify_each:
            try:
                module.verify()
                kokkos_discardable.verify_discardable_attributes(module)
            except VerifyException as err:
                buf = io.StringIO()
                print_module(module, buf, generic=True)
                raise IRVerificationError(f"IR after pass {p.name!r} does not verify: {err}\n{buf.getvalue()}",
                                          hint="this is a bug in the pass; report it with the input IR") from None
        if dump_after_all:
            out.write(f"// -----// IR Dump After {_spec_text(p)} //----- //\n")
            print_module(module, out)
    return module
