"""The stencil frontend's L1: the shape-inferred stencil-dialect module and each field's access extent.

xDSL's `shape-inference` gives every temporary and input its extent relative to the (symbolic)
domain. Lowering to L2 is the pass pipeline `STENCIL_L1_TO_L2` (hpcir.stencil_api): xDSL's
`stencil-inlining` (optional), `stencil-storage-materialization` and `convert-stencil-to-ll-mlir`,
then hpcir's `stencil-to-entry` (passes/stencil_to_entry.py), which turns the sentinel-shaped loops
into an entry over the runtime domain.
"""
from __future__ import annotations

from dataclasses import dataclass

from xdsl.dialects import func, stencil
from xdsl.dialects.builtin import ModuleOp
from xdsl.rewriter import Rewriter

from .parse import SYMBOLIC_EXTENT, SentinelBounds, StencilDef, build_stencil_ir


@dataclass(frozen=True)
class Extent:
    """How far a field is accessed beyond the domain: lo[d] <= 0 <= hi[d] (array index offsets)."""

    lo: tuple[int, ...]
    hi: tuple[int, ...]


def _apply_xdsl_passes(module: ModuleOp, *names: str) -> None:
    """Run xDSL's own stencil passes (shape inference, lowering to loops) on module, verifying it after."""
    from xdsl.transforms import get_all_passes

    from hpcir.dialects import context

    ctx, registry = context(), get_all_passes()
    for name in names:
        registry[name]()().apply(ctx, module)  # the registry holds factories of pass classes
    module.verify()


def stencil_module(sd: StencilDef) -> tuple[ModuleOp, dict[str, Extent]]:
    """The shape-inferred stencil-dialect module and each field's access extent."""
    module = build_stencil_ir(sd)
    _apply_xdsl_passes(module, "shape-inference")
    return module, _tighten_casts(module, sd)


def _tighten_casts(module: ModuleOp, sd: StencilDef) -> dict[str, Extent]:
    """Give each stencil.cast exactly the bounds its loads and stores need; return them as extents."""
    extents: dict[str, Extent] = {}
    f = next(o for o in module.ops if isinstance(o, func.FuncOp))
    for cast in [o for o in f.walk() if isinstance(o, stencil.CastOp)]:
        bounds = None
        for use in cast.result.uses:
            op = use.operation
            b = op.res.type.bounds if isinstance(op, stencil.LoadOp) else op.bounds if isinstance(op, stencil.StoreOp) \
                else None
            if isinstance(b, stencil.StencilBoundsAttr):
                bounds = b if bounds is None else bounds | b
        if bounds is None:  # an unused field
            bounds = SentinelBounds.domain(sd.rank)
        Rewriter.replace_value_with_new_type(cast.result, stencil.FieldType(bounds, cast.result.type.element_type))
        name = cast.field.name_hint or ""
        extents[name] = Extent(tuple(bounds.lb), tuple(u - SYMBOLIC_EXTENT for u in bounds.ub))
    return extents


__all__ = ["Extent", "stencil_module"]
