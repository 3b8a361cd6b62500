"""xDSL modules across the upstream-MLIR bridge: print generic IR, verify or run passes upstream, parse back.

Upstream MLIR accepts as memref memory spaces only builtin or registered-dialect attributes, so
`#kokkos.space<S>` becomes the string `"kokkos.S"` on the way out and is restored on the way back.
Other kokkos attributes and ops travel as unregistered dialect entities. `mlir` is imported lazily:
importing hpcir must not load libLLVM.
"""
from __future__ import annotations

import io
import re
from collections.abc import Callable

from xdsl.dialects.builtin import (ArrayAttr, DictionaryAttr, MemRefType, ModuleOp, StringAttr,
                                   UnrankedMemRefType)
from xdsl.ir import Attribute, ParametrizedAttribute
from xdsl.printer import Printer
from xdsl.rewriter import Rewriter

from hpcir.core.errors import IRVerificationError
from hpcir.core.mlir_bridge import run_upstream_pipeline, upstream_syntax_to_generic, verify_upstream_text

from .kokkos_attrs import MemorySpace, SpaceAttr

_PREFIX = "kokkos."


def _with_space(ty: MemRefType | UnrankedMemRefType, space: Attribute) -> Attribute:
    if isinstance(ty, MemRefType):
        return MemRefType(ty.element_type, ty.get_shape(), ty.layout, space)
    return UnrankedMemRefType.from_type(ty.element_type, space)


def _map_attr(attr: Attribute, fn: Callable[[Attribute], Attribute | None]) -> Attribute:
    """Rebuild attr bottom-up through parametrized, array and dictionary attributes, applying fn."""
    if isinstance(attr, ArrayAttr):
        inner = [_map_attr(a, fn) for a in attr.data]
        if any(a is not b for a, b in zip(inner, attr.data)):
            attr = ArrayAttr(inner)
    elif isinstance(attr, DictionaryAttr):
        items = {k: _map_attr(v, fn) for k, v in attr.data.items()}
        if any(items[k] is not v for k, v in attr.data.items()):
            attr = DictionaryAttr(items)
    elif isinstance(attr, ParametrizedAttribute):
        params = [_map_attr(p, fn) for p in attr.parameters]
        if any(a is not b for a, b in zip(params, attr.parameters)):
            attr = type(attr).new(params)
    out = fn(attr)
    return attr if out is None else out


def _map_module_types(module: ModuleOp, fn: Callable[[Attribute], Attribute | None]) -> None:
    """Apply fn to every type and attribute of the module in place (results, block args, attrs, props)."""
    for op in module.walk():
        for res in list(op.results):
            new = _map_attr(res.type, fn)
            if new is not res.type:
                Rewriter.replace_value_with_new_type(res, new)
        for name, val in list(op.attributes.items()):
            op.attributes[name] = _map_attr(val, fn)
        for name, val in list(op.properties.items()):
            op.properties[name] = _map_attr(val, fn)
        for region in op.regions:
            for block in region.blocks:
                for arg in list(block.args):
                    new = _map_attr(arg.type, fn)
                    if new is not arg.type:
                        Rewriter.replace_value_with_new_type(arg, new)


def _space_to_string(typ: Attribute) -> Attribute | None:
    """`#kokkos.space<S>` memory spaces -> `"kokkos.S"` (what upstream MLIR can parse)."""
    if isinstance(typ, MemRefType | UnrankedMemRefType) and isinstance(typ.memory_space, SpaceAttr):
        return _with_space(typ, StringAttr(_PREFIX + typ.memory_space.data.value))
    return None


def _string_to_space(typ: Attribute) -> Attribute | None:
    """`"kokkos.S"` memory spaces -> `#kokkos.space<S>` (the inverse of _space_to_string)."""
    if isinstance(typ, MemRefType | UnrankedMemRefType) and isinstance(typ.memory_space, StringAttr):
        text = typ.memory_space.data
        if text.startswith(_PREFIX) and text[len(_PREFIX):] in {m.value for m in MemorySpace}:
            return _with_space(typ, SpaceAttr(text[len(_PREFIX):]))
    return None


def _print_generic(module: ModuleOp) -> str:
    out = io.StringIO()
    Printer(stream=out, print_generic_format=True).print_op(module)
    return out.getvalue()


def to_upstream_text(module: ModuleOp) -> str:
    """Generic-form text of an xDSL module that upstream MLIR parses (kokkos spaces as strings)."""
    clone = module.clone()
    _map_module_types(clone, _space_to_string)
    return _print_generic(clone)


def printed_for_upstream(text: str) -> str:
    """hpcir's printed IR (custom syntax, `#kokkos.space<S>`) re-printed as upstream MLIR parses it as is."""
    from xdsl.parser import Parser

    from . import context

    return to_upstream_text(Parser(context(), text).parse_module())


def restore_memory_spaces(module: ModuleOp) -> ModuleOp:
    """`"kokkos.S"` memory spaces (the upstream form) back to `#kokkos.space<S>`, in place."""
    _map_module_types(module, _string_to_space)
    return module


def verify_upstream(module_or_text: ModuleOp | str) -> None:
    """Parse and verify IR with upstream MLIR 22 (kokkos ops as unregistered); raise IRVerificationError."""
    verify_upstream_text(module_or_text if isinstance(module_or_text, str) else to_upstream_text(module_or_text))


def _bridge_context():
    """hpcir's xDSL context plus the dialects upstream passes commonly produce."""
    from xdsl.dialects.affine import Affine
    from xdsl.dialects.bufferization import Bufferization
    from xdsl.dialects.cf import Cf

    from . import context

    ctx = context()
    for dialect in (Affine, Bufferization, Cf):
        if dialect.name not in ctx.registered_dialect_names:
            ctx.load_dialect(dialect)
    return ctx


_TRUNCI_NO_FLAGS = re.compile(r'("arith\.trunci"\([^)]*\)) <\{overflowFlags = #arith\.overflow<none>\}>')


def from_upstream_text(text: str) -> ModuleOp:
    """Parse upstream-printed (generic) IR back into xDSL, restoring `#kokkos.space<S>` memory spaces."""
    from xdsl.parser import Parser
    from xdsl.utils.exceptions import ParseError

    # upstream prints arith.trunci's (default) overflow flags, a property xDSL's TruncIOp lacks
    text = _TRUNCI_NO_FLAGS.sub(r"\1", text)
    try:
        module = Parser(_bridge_context(), text).parse_module()
    except ParseError as err:  # e.g. an upstream pass produced ops of a dialect xDSL does not have
        raise IRVerificationError(f"xDSL cannot read the IR upstream MLIR produced:\n{err}",
                                  hint="add a pass lowering those ops to the upstream pipeline") from None
    _map_module_types(module, _string_to_space)
    return module


def from_upstream_syntax(text: str) -> ModuleOp:
    """Parse IR written in upstream MLIR's syntax (e.g. custom `scf.parallel`, which xDSL cannot read) into xDSL.

    `#kokkos.space<S>` memory spaces in the text are accepted (rewritten to upstream's string form first).
    """
    upstream = re.sub(r"#kokkos\.space<\s*(\w+)\s*>", r'"kokkos.\1"', text)
    return from_upstream_text(upstream_syntax_to_generic(upstream))


def run_upstream_passes(module: ModuleOp, pipeline: str) -> ModuleOp:
    """Run an upstream PassManager pipeline (e.g. "builtin.module(one-shot-bufferize,...)") on an xDSL module."""
    return from_upstream_text(run_upstream_pipeline(to_upstream_text(module), pipeline))


def run_upstream_passes_in_place(module: ModuleOp, pipeline: str) -> None:
    """run_upstream_passes, with the result moved into `module` itself (callers hold a reference to it).

    Function argument names (`%x`, `%fc1_weight`) survive: upstream prints its own (`%arg0`), so
    they are restored by position."""
    from xdsl.dialects import func

    names = {f.sym_name.data: [a.name_hint for a in f.body.block.args]
             for f in module.walk() if isinstance(f, func.FuncOp) and f.body.blocks}
    result = run_upstream_passes(module, pipeline)
    for f in result.walk():
        if isinstance(f, func.FuncOp) and f.body.blocks:
            for a, n in zip(f.body.block.args, names.get(f.sym_name.data, [])):
                a.name_hint = n
    for old in list(module.body.block.ops):
        old.detach()
        old.erase(safe_erase=False)
    for new in list(result.body.block.ops):
        new.detach()
        module.body.block.add_op(new)
    for key, attr in result.attributes.items():
        module.attributes[key] = attr
