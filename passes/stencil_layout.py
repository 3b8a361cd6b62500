"""`stencil-layout{order=... layouts=...}`: specialise a stencil entry (from `stencil-to-entry`) to the
memory layout of the arrays it will be called with, so that they are passed without copies.

`order` lists the array dimensions from the largest stride to the smallest (the memory order, outermost
first): `order=1,0` for a Fortran-ordered 2-D field, `order=2,0,1` for a 3-D field (i, j, k) stored as
(k, i, j). The entry's fields and temporaries are re-indexed in that order, so the caller passes
`np.transpose(a, order)` (a view, no copy) and an array whose storage is a permutation of a dense one
arrives C-contiguous (Kokkos::LayoutRight, unit stride known at compile time). The loops are reordered
the same way: the last (innermost) loop runs over the smallest-stride dimension and the first (the one
OpenMP splits) over the largest. The domain bounds `b_d, e_d` keep the array's own dimension order.

`layouts` gives, per field parameter in order, the Kokkos layout of the re-indexed view: `right`,
`left` or `stride` (any positive strides: sliced views). Temporaries take the target's layout as
before (kokkos-layout), in the new index order.
"""
from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import func, memref, scf
from xdsl.dialects.builtin import FunctionType, IndexType, MemRefType, ModuleOp, NoneAttr, StridedLayoutAttr
from xdsl.ir import Attribute, Block
from xdsl.passes import ModulePass
from xdsl.rewriter import Rewriter

from hpcir.core.errors import HpcirError
from hpcir.dialects.kokkos_discardable import ENTRY

LAYOUTS = ("right", "left", "stride")


def layout_attr(layout: str, rank: int) -> Attribute:
    """The memref layout attribute of a dynamic-shaped view with a Kokkos layout (docs/IR.md)."""
    if layout == "right" or rank == 1 and layout == "left":
        return NoneAttr()
    if layout == "left":
        return StridedLayoutAttr([1] + [None] * (rank - 1), 0)
    if layout == "stride":
        return StridedLayoutAttr([None] * rank, None)
    raise HpcirError(f"stencil-layout: unknown layout {layout!r}", hint=f"use one of {', '.join(LAYOUTS)}")


def _permute(values: list, order: tuple[int, ...]) -> list:
    """values re-indexed: position k holds the value of array dimension order[k]."""
    return [values[d] for d in order]


class _Relayout:
    """Re-indexes one stencil entry (fields, temporaries, loops) in memory order."""

    def __init__(self, f: func.FuncOp, order: tuple[int, ...], layouts: tuple[str, ...]):
        self.f, self.order, self.layouts = f, order, layouts
        self.block = f.body.block
        self.fields = [a for a in self.block.args if isinstance(a.type, MemRefType)]
        self.rank = self.fields[0].type.get_num_dims() if self.fields else 0
        if sorted(order) != list(range(self.rank)):
            raise HpcirError(f"stencil-layout: order {list(order)} is not a permutation of the "
                             f"{self.rank} dimensions of {f.sym_name.data}")
        if layouts and len(layouts) != len(self.fields):
            raise HpcirError(f"stencil-layout: {len(layouts)} layouts for the {len(self.fields)} fields of "
                             f"{f.sym_name.data}")

    def run(self) -> None:
        buffers = set(self.fields)
        for op in list(self.f.walk()):
            if isinstance(op, memref.AllocOp) and op.memref.type.get_num_dims() == self.rank:
                op.operands = _permute(list(op.dynamic_sizes), self.order) + list(op.operands[self.rank:])
                buffers.add(op.memref)
        for op in list(self.f.walk()):
            if isinstance(op, (memref.LoadOp, memref.StoreOp)) and op.memref in buffers:
                first = len(op.operands) - len(op.indices)
                op.operands = list(op.operands[:first]) + _permute(list(op.indices), self.order)
            elif isinstance(op, scf.ParallelOp) and len(op.lowerBound) == self.rank:
                self._reorder_loop(op)
        if self.layouts:
            self._retype_fields()

    def _reorder_loop(self, par: scf.ParallelOp) -> None:
        """Loop k of the new nest runs over array dimension order[k]."""
        r = self.rank
        lbs, ubs, steps = list(par.lowerBound), list(par.upperBound), list(par.step)
        rest = list(par.operands[3 * r:])
        par.operands = (_permute(lbs, self.order) + _permute(ubs, self.order) + _permute(steps, self.order) + rest)
        body: Block = par.body.block
        old = list(body.args[:r])
        new = [body.insert_arg(IndexType(), r + k) for k in range(r)]
        for k, d in enumerate(self.order):
            new[k].name_hint = old[d].name_hint
            old[d].replace_all_uses_with(new[k])
        for a in reversed(old):
            body.erase_arg(a)

    def _retype_fields(self) -> None:
        for arg, layout in zip(self.fields, self.layouts):
            ty = arg.type
            assert isinstance(ty, MemRefType)
            new_ty = MemRefType(ty.element_type, ty.get_shape(), layout_attr(layout, self.rank), ty.memory_space)
            if new_ty != ty:
                Rewriter.replace_value_with_new_type(arg, new_ty)
        ft = self.f.function_type
        self.f.function_type = FunctionType.from_lists([a.type for a in self.block.args], list(ft.outputs.data))


def relayout_entry(f: func.FuncOp, order: tuple[int, ...], layouts: tuple[str, ...] = ()) -> None:
    """Re-index a stencil entry in memory order `order` and give its fields `layouts` (in place)."""
    _Relayout(f, order, layouts).run()


@dataclass(frozen=True)
class StencilLayoutPass(ModulePass):
    """Specialise stencil entries to their arrays' layout: memory-order indexing and loops, field layouts."""

    name = "stencil-layout"

    order: tuple[int, ...] = ()  # array dimensions, largest stride first (empty: keep the order)
    layouts: tuple[str, ...] = ()  # per field: right, left or stride (empty: keep the types)

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        unknown = [lay for lay in self.layouts if lay not in LAYOUTS]
        if unknown:
            raise HpcirError(f"stencil-layout: unknown layout(s) {', '.join(unknown)}",
                             hint=f"give one of {', '.join(LAYOUTS)} per field, e.g. layouts=right,stride")
        for f in list(op.ops):
            if isinstance(f, func.FuncOp) and ENTRY in f.attributes and f.body.blocks:
                fields = [a for a in f.body.block.args if isinstance(a.type, MemRefType)]
                order = self.order or tuple(range(fields[0].type.get_num_dims() if fields else 0))
                relayout_entry(f, order, self.layouts)

