"""Stencil dialect → L2 (`scf.parallel` over memrefs, docs/IR.md) through xDSL's own passes.

xDSL's `shape-inference` gives every temporary and input its extent relative to the (symbolic) domain;
`stencil-inlining` (optional) merges producers into consumers; `stencil-storage-materialization` and
`convert-stencil-to-ll-mlir` lower to loops over statically shaped memrefs. Those static shapes are
sentinels (see parse.SYMBOLIC_EXTENT); `parametrize` rewrites them into the runtime domain: an entry
`func.func` whose first arguments are the domain bounds `b0..b{r-1}, e0..e{r-1}` (i64, array indices,
end exclusive), whose loops run over array indices, and whose temporaries are indexed by array index
plus a constant (see `_Entry._temporaries`).
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

from xdsl.dialects import arith, func, memref, scf, stencil
from xdsl.dialects.builtin import (DYNAMIC_INDEX, ArrayAttr, IndexType, IntegerAttr, MemRefType, ModuleOp,
                                   StridedLayoutAttr, StringAttr, UnitAttr, i64)
from xdsl.ir import Block, Operation, Region, SSAValue
from xdsl.rewriter import InsertPoint, Rewriter

from hpcir.core.errors import HpcirError
from hpcir.dialects.kokkos_discardable import ARG_NAMES, ENTRY, LAYOUT_FREE

from .parse import MAX_HALO, SYMBOLIC_EXTENT, SentinelBounds, StencilDef, build_stencil_ir


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


def lower_to_l2(module: ModuleOp, sd: StencilDef, inline: bool = False, layout_free: bool = False) -> ModuleOp:
    """Target-neutral L2 module of a shape-inferred stencil module (the input is left untouched); fields
    and temporaries are host views until `kokkos-memory-spaces` places them for the target."""
    low = module.clone()
    passes = (["stencil-inlining"] if inline else []) + ["stencil-storage-materialization",
                                                         "convert-stencil-to-ll-mlir"]
    with warnings.catch_warnings():  # xDSL's inlining calls its own deprecated erase API
        warnings.simplefilter("ignore", DeprecationWarning)
        _apply_xdsl_passes(low, *passes)
    f = next(o for o in low.ops if isinstance(o, func.FuncOp))
    entry = parametrize(f, sd)
    if layout_free:
        entry.attributes[LAYOUT_FREE] = UnitAttr()
    return ModuleOp([entry])


def _const(value: SSAValue) -> int | None:
    owner = value.owner
    if isinstance(owner, arith.ConstantOp) and isinstance(owner.value, IntegerAttr):
        return owner.value.value.data
    return None


def _sentinel_bound(value: SSAValue) -> tuple[str, int]:
    """('b', k) for a bound `domain begin + k`, ('e', k) for `domain end + k` (from the sentinel constant)."""
    c = _const(value)
    if c is None:
        raise HpcirError("internal: a lowered stencil loop bound is not a constant")
    if abs(c) < MAX_HALO:
        return "b", c
    if abs(c - SYMBOLIC_EXTENT) < MAX_HALO:
        return "e", c - SYMBOLIC_EXTENT
    raise HpcirError(f"internal: unexpected stencil loop bound {c}")


def _alloc_lower_bounds(ty: MemRefType) -> list[int]:
    """The stencil-coordinate lower bounds of a temporary buffer, read back from its strided offset."""
    layout = ty.layout
    assert isinstance(layout, StridedLayoutAttr)
    strides = [s.data for s in layout.strides.data]
    offset = layout.get_offset()
    assert isinstance(offset, int)
    rest, lbs = -offset, []
    for s in strides:  # lower bounds are small next to the sentinel strides: greedy rounding is exact
        lb = round(rest / s)
        lbs.append(lb)
        rest -= lb * s
    assert rest == 0
    return lbs


class _Entry:
    """Builds the L2 entry function from the lowered (sentinel-shaped) stencil function."""

    def __init__(self, old: func.FuncOp, sd: StencilDef):
        from hpcir.dialects.kokkos import SpaceAttr
        self.sd, self.old = sd, old
        r = sd.rank
        self.elem = sd.dtype.mlir()
        space_attr = SpaceAttr("host")
        self.view = lambda: MemRefType(self.elem, [DYNAMIC_INDEX] * r, memory_space=space_attr)
        param_types = [self.view() if p.spec else self.elem for p in sd.params]
        self.block = Block(arg_types=[i64] * (2 * r) + param_types)
        names = [f"b{d}" for d in range(r)] + [f"e{d}" for d in range(r)] + [p.name for p in sd.params]
        for a, n in zip(self.block.args, names):
            a.name_hint = n
        self.names = names
        self.bounds: dict[str, list[SSAValue]] = {}

    def emit(self, op: Operation, where: InsertPoint | None = None) -> SSAValue:
        Rewriter.insert_op(op, where or InsertPoint.at_end(self.block))
        return op.results[0]

    def index(self, base: str, d: int, k: int, where: InsertPoint) -> SSAValue:
        """`b_d + k` or `e_d + k` as an index value inserted at `where`."""
        v = self.bounds[base][d]
        if k == 0:
            return v
        c = self.emit(arith.ConstantOp(IntegerAttr(k, IndexType())), where)
        out = self.emit(arith.AddiOp(v, c), where)
        out.name_hint = f"{base}{d}_{'p' if k > 0 else 'm'}{abs(k)}"  # e0_p1 = e0 + 1, b1_m2 = b1 - 2
        return out

    def build(self) -> func.FuncOp:
        r = self.sd.rank
        args = self.block.args
        for base, off in (("b", 0), ("e", r)):
            self.bounds[base] = []
            for d in range(r):
                v = self.emit(arith.IndexCastOp(args[off + d], IndexType()))
                v.name_hint = f"{base}{d}_idx"
                self.bounds[base].append(v)
        old_block = self.old.body.block
        for old_arg, new_arg in zip(old_block.args, args[2 * r:]):
            old_arg.replace_all_uses_with(new_arg)
        for op in list(old_block.ops):
            op.detach()
            self.block.add_op(op)
        self._views()
        self._temporaries()
        self._loops()
        self._drop_dead_constants()
        f = func.FuncOp(self.sd.name, ([a.type for a in args], []), Region(self.block))
        from hpcir.dialects import kokkos as kk
        f.attributes[ENTRY] = kk.EntryAttr("for")
        f.attributes[ARG_NAMES] = ArrayAttr([StringAttr(n) for n in self.names])
        return f

    def _views(self) -> None:
        """memref.cast / memref.subview of a field argument: the field itself (array coordinates)."""
        for op in list(self.block.ops):
            if isinstance(op, (memref.CastOp, memref.SubviewOp)):
                self._forward(op)

    @staticmethod
    def _forward(op: Operation) -> None:
        res, src = op.results[0], op.operands[0]
        for use in list(res.uses):
            use.operation.operands[use.index] = src
        op.detach()
        op.erase()

    def _temporaries(self) -> None:
        """Sentinel-sized buffers → allocations indexed by array index minus a constant.

        A temporary computed over [b + lo, e + hi) is stored at `a - lo` for array index `a`: the
        buffer spans [0, e + hi - lo), wasting the domain's first `b` rows (the halo, or an explicit
        domain's offset) but keeping every subscript `iv + constant`, the form loop fusion analyses.
        """
        r = self.sd.rank
        for op in list(self.block.ops):
            if not isinstance(op, memref.AllocOp):
                continue
            ty = op.memref.type
            lbs = _alloc_lower_bounds(ty)
            shape = list(ty.get_shape())
            at = InsertPoint.before(op)
            sizes = [self.index("e", d, shape[d] - SYMBOLIC_EXTENT, at) for d in range(r)]
            tname = op.memref.name_hint or "tmp"
            for d in range(r):
                if sizes[d] not in self.bounds["e"]:
                    sizes[d].name_hint = f"{tname}_n{d}"
            new = memref.AllocOp(sizes, [], self.view())
            self.emit(new, at)
            new.memref.name_hint = op.memref.name_hint
            for use in list(op.memref.uses):
                user = use.operation
                if isinstance(user, (memref.LoadOp, memref.StoreOp)):
                    self._shift(user, [-lb for lb in lbs])
                user.operands[use.index] = new.memref
            op.detach()
            op.erase()

    def _shift(self, op: memref.LoadOp | memref.StoreOp, shifts: list[int]) -> None:
        """Add a constant to each index of a load/store."""
        at = InsertPoint.before(op)
        idx = list(op.indices)
        first = len(op.operands) - len(idx)
        for k, (i, sh) in enumerate(zip(idx, shifts)):
            if sh:
                c = self.emit(arith.ConstantOp(IntegerAttr(sh, IndexType())), at)
                op.operands[first + k] = self.emit(arith.AddiOp(i, c), at)

    def _loops(self) -> None:
        """Sentinel loop bounds → domain bounds; the induction variables become array indices."""
        for par in [o for o in self.block.ops if isinstance(o, scf.ParallelOp)]:
            at = InsertPoint.before(par)
            for d, (lb, ub) in enumerate(zip(list(par.lowerBound), list(par.upperBound))):
                if _const(par.step[d]) != 1:
                    raise HpcirError("internal: unrolled stencil loops are not supported")
                lo_base, lo_k = _sentinel_bound(lb)
                hi_base, hi_k = _sentinel_bound(ub)
                par.operands[d] = self.index(lo_base, d, lo_k, at)
                par.operands[len(par.lowerBound) + d] = self.index(hi_base, d, hi_k, at)

    def _drop_dead_constants(self) -> None:
        for op in reversed(list(self.block.ops)):
            if isinstance(op, arith.ConstantOp) and not op.result.uses:
                op.detach()
                op.erase()


def parametrize(f: func.FuncOp, sd: StencilDef) -> func.FuncOp:
    """The L2 entry function (runtime domain bounds as arguments) of a lowered stencil function."""
    return _Entry(f, sd).build()


__all__ = ["Extent", "stencil_module", "lower_to_l2", "parametrize"]
