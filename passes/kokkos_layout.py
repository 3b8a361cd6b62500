"""`kokkos-layout{target=...}`: choose view layouts and MDRange iteration order for a target.

Rule 1 (views): on targets preferring LayoutLeft (GPUs), every rank>=2 identity-layout (LayoutRight)
memref argument of an entry function marked `kokkos.layout_free` becomes `strided<[1, ?, ...]>`
(LayoutLeft), provided all its uses are element accesses (load/store/atomic_rmw/dim) or
deep_copy; any other use (calls, subviews, casts), or a call of the entry inside the module,
keeps the caller-visible layout unchanged.
Rule 2 (iteration): each MDRange launch iterates in the order of the views its body accesses
(`left` when LayoutLeft accesses dominate, `right` when LayoutRight ones do, the target's
preference on a tie), so the fastest-varying index is the contiguous one; its tile follows that
order (the target's tile, fastest dimension first).
"""
from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import func, memref
from xdsl.dialects.builtin import FunctionType, MemRefType, ModuleOp, NoneAttr
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import Rewriter

from hpcir.dialects import kokkos as kk
from hpcir.targets import Target, get_target

LAYOUT_FREE_ATTR = "kokkos.layout_free"

# Uses through which a view's layout can change without touching anything else.
_ELEMENT_USES = (memref.LoadOp, memref.StoreOp, memref.AtomicRMWOp, memref.DimOp, kk.DeepCopyOp)


def _relayout_ok(arg: SSAValue) -> bool:
    return all(isinstance(use.operation, _ELEMENT_USES) for use in arg.uses)


def relayout_arguments(f: func.FuncOp, layout: str) -> int:
    """Give f's rank>=2 identity-layout memref args the layout ('left'); returns how many changed."""
    if layout != "left" or not f.body.blocks:
        return 0
    changed = 0
    block = f.body.block
    for arg in list(block.args):
        ty = arg.type
        if not isinstance(ty, MemRefType) or ty.get_num_dims() < 2 or not isinstance(ty.layout, NoneAttr):
            continue
        if not _relayout_ok(arg):
            continue
        new_ty = MemRefType(ty.element_type, ty.get_shape(), kk.layout_left(ty.get_num_dims()), ty.memory_space)
        Rewriter.replace_value_with_new_type(arg, new_ty)
        changed += 1
    if changed:
        ft = f.function_type
        f.function_type = FunctionType.from_lists([a.type for a in block.args], list(ft.outputs.data))
    return changed


def _accessed_layouts(launch: Operation) -> dict[str, int]:
    """How many multi-dimensional element accesses in the launch body hit each layout kind."""
    counts = {"left": 0, "right": 0, "stride": 0}
    for op in launch.walk():
        if isinstance(op, memref.LoadOp | memref.StoreOp | memref.AtomicRMWOp):
            ty = op.memref.type
            if isinstance(ty, MemRefType) and ty.get_num_dims() >= 2:
                counts[kk.layout_kind(ty)] += 1
    return counts


def choose_iterate(launch: Operation, target: Target) -> str:
    """'left' or 'right': the MDRange order whose fastest index is the contiguous one for most accesses."""
    counts = _accessed_layouts(launch)
    if counts["left"] > counts["right"]:
        return "left"
    if counts["right"] > counts["left"]:
        return "right"
    return target.iterate


def tile_for(target: Target, rank: int, iterate: str) -> tuple[int, ...]:
    """The target's default tile for this rank, its first entry on the fastest-varying dimension."""
    if len(target.mdrange_tile) < rank:
        return ()
    tile = tuple(target.mdrange_tile[:rank])
    return tile if iterate == "left" else tuple(reversed(tile))


def retune_mdrange(launch: kk.ParallelForOp | kk.ParallelReduceOp, target: Target) -> bool:
    """Set the launch's MDRange iterate/tile for the target; True when the policy changed."""
    policy = launch.policy
    if not isinstance(policy, kk.MDRangePolicyAttr):
        return False
    iterate = choose_iterate(launch, target)
    tile = tile_for(target, policy.rank.data, iterate)
    new = kk.MDRangePolicyAttr(policy.rank.data, iterate, tile)
    if new == policy:
        return False
    launch.policy = new
    return True


@dataclass(frozen=True)
class KokkosLayoutPass(ModulePass):
    """Pick LayoutLeft/Right for layout-free entry views and MDRange iterate/tile per target."""

    name = "kokkos-layout"

    target: str | None = None

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        target = get_target(self.target or "cpu")
        # An entry called from inside the module has callers whose argument types would go stale.
        called = {c.callee.root_reference.data for c in op.walk() if isinstance(c, func.CallOp)}
        for f in list(op.walk()):
            if (isinstance(f, func.FuncOp) and "kokkos.entry" in f.attributes and LAYOUT_FREE_ATTR in f.attributes
                    and f.sym_name.data not in called):
                relayout_arguments(f, target.layout)
        for launch in list(op.walk()):
            if isinstance(launch, kk.ParallelForOp | kk.ParallelReduceOp):
                retune_mdrange(launch, target)
