"""`stencil-to-entry`: a stencil program lowered to loops (xDSL's `convert-stencil-to-ll-mlir`) becomes an
L2 kernel entry over the runtime domain.

xDSL lowers to loops over statically shaped memrefs whose shapes are sentinels (SYMBOLIC_EXTENT
stands for the domain's extent). This pass rewrites them into the runtime domain: an entry
`func.func` whose first arguments are the domain bounds `b0..b{r-1}, e0..e{r-1}` (i64, array indices,
end exclusive), then the stencil's parameters (fields as host-space views, scalars), whose loops
run over array indices, and whose temporaries are indexed by array index plus a constant (see
`_Entry._temporaries`). Names, rank and element type are read from the program's arguments.
"""
from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import arith, func, memref, scf
from xdsl.dialects.builtin import (DYNAMIC_INDEX, ArrayAttr, IndexType, IntegerAttr, MemRefType, ModuleOp,
                                   StridedLayoutAttr, StringAttr, UnitAttr, i64)
from xdsl.ir import Block, Operation, Region, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter

from hpcir.core.errors import HpcirError
from hpcir.dialects import kokkos as kk
from hpcir.dialects.kokkos_discardable import ARG_NAMES, ENTRY, LAYOUT_FREE, STENCIL
from hpcir.dialects.stencil_signature import MAX_HALO, SYMBOLIC_EXTENT


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

    def __init__(self, old: func.FuncOp):
        self.old = old
        fields = [a.type for a in old.body.block.args if isinstance(a.type, MemRefType)]
        if not fields:
            raise HpcirError(f"stencil-to-entry: {old.sym_name.data} has no field argument")
        self.rank = r = len(fields[0].get_shape())
        self.elem = fields[0].element_type
        space_attr = kk.SpaceAttr("host")
        self.view = lambda: MemRefType(self.elem, [DYNAMIC_INDEX] * r, memory_space=space_attr)
        params = [(a.name_hint or f"arg{k}", isinstance(a.type, MemRefType)) for k, a in enumerate(old.body.block.args)]
        param_types = [self.view() if is_field else self.elem for _, is_field in params]
        self.block = Block(arg_types=[i64] * (2 * r) + param_types)
        names = [f"b{d}" for d in range(r)] + [f"e{d}" for d in range(r)] + [n for n, _ in params]
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
        r = self.rank
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
        f = func.FuncOp(self.old.sym_name.data, ([a.type for a in args], []), Region(self.block))
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
        r = self.rank
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


def parametrize(f: func.FuncOp) -> func.FuncOp:
    """The L2 entry function (runtime domain bounds as arguments) of a lowered stencil function."""
    return _Entry(f).build()


@dataclass(frozen=True)
class StencilToEntryPass(ModulePass):
    """Turn each lowered stencil program (sentinel-shaped loops) into a kernel entry over the runtime domain."""

    name = "stencil-to-entry"

    layout_free: bool = False  # the views' layouts are the target's choice (lowering without arrays)

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for f in list(op.ops):
            if isinstance(f, func.FuncOp) and "stencil.program" in f.attributes:
                entry = parametrize(f)
                entry.attributes[STENCIL] = UnitAttr()
                if self.layout_free:
                    entry.attributes[LAYOUT_FREE] = UnitAttr()
                Rewriter.replace_op(f, entry)
