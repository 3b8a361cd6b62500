"""`kokkos-memory-spaces`: put the views of kernel entries and host programs in the target's memory space.

Frontends write every view in `#kokkos.space<host>` (where NumPy arrays live), whatever the
target. On GPU targets a kernel reads device memory, so this pass moves:
- the host-space view arguments and temporaries (`memref.alloc`) of kernel entries to the
  target's space (the generated C entry stages host arrays through device copies);
- the views a host program allocates (`kokkos.alloc`) to the target's space and layout
  (LayoutLeft on GPUs); `kokkos-placement` later brings the ones only the host touches back and
  inserts the fewest deep copies. Entries a host program calls take its views' types.
Host targets keep everything as it is. Values derived from a moved view (subviews, casts) follow.
"""
from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import func, memref
from xdsl.dialects.builtin import FunctionType, MemRefType, ModuleOp, NoneAttr
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import Rewriter

from hpcir.dialects import kokkos as kk
from hpcir.dialects.kokkos_target import module_target
from hpcir.dialects.kokkos_discardable import ENTRY, HOST_PROGRAM

# Ops whose result views alias their source view: they live where the source lives.
_DERIVED = (memref.SubviewOp, memref.CastOp, memref.ReinterpretCastOp, memref.CollapseShapeOp, memref.ExpandShapeOp)


def _moved(ty: Attribute, space: kk.SpaceAttr, layout: str | None) -> Attribute | None:
    """ty in `space` (and `layout`, for identity-layout views) when it is a host-space view; else None."""
    if not isinstance(ty, MemRefType) or kk.memory_space_of(ty) != kk.MemorySpace.HOST:
        return None
    lay = ty.layout
    if layout == "left" and isinstance(lay, NoneAttr) and len(ty.get_shape()) > 1:
        lay = kk.layout_left(len(ty.get_shape()))
    return MemRefType(ty.element_type, ty.get_shape(), lay, space)


def _retype(value: SSAValue, space: kk.SpaceAttr, layout: str | None) -> None:
    new = _moved(value.type, space, layout)
    if new is not None:
        Rewriter.replace_value_with_new_type(value, new)


def _sync_signature(f: func.FuncOp) -> None:
    """The function type of f after its block arguments were retyped."""
    outs = list(f.function_type.outputs.data)
    f.function_type = FunctionType.from_lists([a.type for a in f.body.block.args], outs)


def _move_function(f: func.FuncOp, space: kk.SpaceAttr, allocs: tuple[type[Operation], ...],
                   layout: str | None) -> None:
    if not f.body.blocks:
        return
    for a in f.body.block.args:
        _retype(a, space, layout)
    for o in f.walk():
        if isinstance(o, allocs) or (isinstance(o, _DERIVED) and kk.memory_space_of(o.operands[0].type) == space.data):
            for r in o.results:
                _retype(r, space, layout if isinstance(o, allocs) else None)
    _sync_signature(f)


def _adopt_callers_types(module: ModuleOp, programs: list[func.FuncOp]) -> None:
    """Entries called by host programs take the types of the views the programs pass them."""
    entries = {f.sym_name.data: f for f in module.ops if isinstance(f, func.FuncOp) and ENTRY in f.attributes}
    for p in programs:
        for call in p.walk():
            if not isinstance(call, func.CallOp) or call.callee.string_value() not in entries:
                continue
            callee = entries[call.callee.string_value()]
            for arg, v in zip(callee.body.block.args, call.arguments):
                if arg.type != v.type and isinstance(v.type, MemRefType):
                    Rewriter.replace_value_with_new_type(arg, v.type)
            _sync_signature(callee)


@dataclass(frozen=True)
class KokkosMemorySpacesPass(ModulePass):
    """Move entry and host-program views from host space to the target's memory space (GPU targets)."""

    name = "kokkos-memory-spaces"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        target = module_target(op, self.name)
        if not target.is_gpu:
            return
        space = kk.SpaceAttr(target.memory_space)
        programs = [f for f in op.ops if isinstance(f, func.FuncOp) and HOST_PROGRAM in f.attributes]
        for p in programs:
            _move_function(p, space, (kk.AllocOp,), target.layout)
        _adopt_callers_types(op, programs)
        for f in op.ops:
            if isinstance(f, func.FuncOp) and ENTRY in f.attributes:
                _move_function(f, space, (memref.AllocOp,), None)
