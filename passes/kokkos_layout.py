"""`kokkos-layout{target=...}`: choose view layouts and MDRange iteration order for a target.

Rule 1 (views): on targets preferring LayoutLeft (GPUs), every rank>=2 identity-layout (LayoutRight)
memref argument of an entry function marked `kokkos.layout_free` becomes `strided<[1, ?, ...]>`
(LayoutLeft), provided all its uses are element accesses (load/store/atomic_rmw/dim) or
deep_copy; any other use (calls, subviews, casts), or a call of the entry inside the module,
keeps the caller-visible layout unchanged. Temporaries (`memref.alloc`, rank>=2, only element
accesses and dealloc) are internal and always take the target's layout.
Rule 2 (iteration): each MDRange launch gets the iteration order that makes the most element
accesses unit-stride: an access to a LayoutRight view votes `right` when its last subscript
depends only on the last policy index (and `left` when only on the first), an access to a
LayoutLeft view looks at its first subscript; the target's preference breaks ties. The tile
follows that order (the target's tile, fastest dimension first).
"""
from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import arith, func, memref
from xdsl.dialects.builtin import DYNAMIC_INDEX, FunctionType, IndexType, IntegerAttr, MemRefType, ModuleOp, NoneAttr
from xdsl.ir import BlockArgument, Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import PatternRewriter, PatternRewriteWalker, RewritePattern
from xdsl.rewriter import InsertPoint, Rewriter

from hpcir.dialects import kokkos as kk
from hpcir.core.targets import Target
from hpcir.dialects.kokkos_target import module_target
from hpcir.dialects.kokkos_discardable import ENTRY, LAYOUT_FREE, USER_TILE


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


def _left_strides(sizes: list[SSAValue | int], at: InsertPoint) -> list[SSAValue]:
    """Index values of the LayoutLeft strides 2..r of extents `sizes` (1, n0, n0*n1, ...), built at `at`."""
    def value(x: SSAValue | int) -> SSAValue:
        if isinstance(x, int):
            c = arith.ConstantOp(IntegerAttr(x, IndexType()))
            Rewriter.insert_op(c, at)
            return c.result
        return x
    strides, acc = [], value(sizes[0])
    for k in range(1, len(sizes)):
        strides.append(acc)
        if k + 1 < len(sizes):
            mul = arith.MuliOp(acc, value(sizes[k]))
            Rewriter.insert_op(mul, at)
            acc = mul.result
    return strides


def relayout_allocs(f: func.FuncOp, layout: str) -> int:
    """Give f's rank>=2 identity-layout `memref.alloc` temporaries the layout ('left'); returns how many.

    A temporary is internal to the function (no caller sees it), so it takes the target's layout
    whenever all its uses are element accesses or its dealloc.
    """
    if layout != "left":
        return 0
    changed = 0
    for op in list(f.walk()):
        if not isinstance(op, memref.AllocOp) or op.symbol_operands:
            continue
        ty = op.memref.type
        if not isinstance(ty, MemRefType) or ty.get_num_dims() < 2 or not isinstance(ty.layout, NoneAttr):
            continue
        if not all(isinstance(u.operation, (*_ELEMENT_USES, memref.DeallocOp)) for u in op.memref.uses):
            continue
        dyn = iter(op.dynamic_sizes)
        sizes: list[SSAValue | int] = [next(dyn) if d == DYNAMIC_INDEX else d for d in ty.get_shape()]
        at = InsertPoint.before(op)
        new_ty = MemRefType(ty.element_type, ty.get_shape(), kk.layout_left(ty.get_num_dims()), ty.memory_space)
        new = memref.AllocOp(list(op.dynamic_sizes), _left_strides(sizes, at), new_ty)
        Rewriter.insert_op(new, at)
        new.memref.name_hint = op.memref.name_hint
        op.memref.replace_all_uses_with(new.memref)
        op.detach()
        op.erase()
        changed += 1
    return changed


_INDEX_ARITH = (arith.AddiOp, arith.SubiOp, arith.MuliOp, arith.IndexCastOp, arith.ConstantOp, arith.DivSIOp,
                arith.RemSIOp, arith.FloorDivSIOp, arith.CeilDivSIOp)


def _policy_indices_of(value: SSAValue, launch: Operation, depth: int = 8) -> set[int]:
    """Which of the launch's index block arguments an index expression depends on (through integer arith)."""
    block = launch.regions[0].block
    if isinstance(value, BlockArgument) and value.block is block:
        return {value.index}
    owner = value.owner
    if depth == 0 or not isinstance(owner, _INDEX_ARITH):
        return set()
    found: set[int] = set()
    for operand in owner.operands:
        found |= _policy_indices_of(operand, launch, depth - 1)
    return found


def _access_votes(launch: Operation, rank: int) -> dict[str, int]:
    """Per iteration order, how many multi-dimensional accesses it makes unit-stride.

    An access votes `right` when its contiguous subscript (last for LayoutRight, first for
    LayoutLeft) depends only on the last policy index, `left` when only on the first one, provided
    no other subscript depends on that index.
    """
    votes = {"left": 0, "right": 0}
    for op in launch.walk():
        if not isinstance(op, memref.LoadOp | memref.StoreOp | memref.AtomicRMWOp):
            continue
        ty = op.memref.type
        if not isinstance(ty, MemRefType) or ty.get_num_dims() < 2:
            continue
        kind = kk.layout_kind(ty)
        if kind == "stride":
            continue
        subs = list(op.indices)
        contiguous, others = (subs[-1], subs[:-1]) if kind == "right" else (subs[0], subs[1:])
        deps = _policy_indices_of(contiguous, launch)
        other_deps = set().union(*[_policy_indices_of(o, launch) for o in others])
        # The index must move only the contiguous subscript (A[i, i] is strided whatever the order).
        if deps == {rank - 1} and rank - 1 not in other_deps:
            votes["right"] += 1
        elif deps == {0} and 0 not in other_deps:
            votes["left"] += 1
    return votes


def choose_iterate(launch: Operation, target: Target) -> str:
    """'left' or 'right': the MDRange order whose fastest index gives unit-stride accesses most often.

    Ties (no multi-dimensional accesses, or as many each way) keep the target's preference.
    """
    policy = getattr(launch, "policy", None)
    rank = policy.rank.data if isinstance(policy, kk.MDRangePolicyAttr) else 1
    votes = _access_votes(launch, rank)
    if votes["left"] > votes["right"]:
        return "left"
    if votes["right"] > votes["left"]:
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
    if USER_TILE in launch.attributes:  # the user's MDRangePolicy tile is kept as written
        tile = tuple(policy.tile_sizes)
    else:
        tile = tile_for(target, policy.rank.data, iterate)
    new = kk.MDRangePolicyAttr(policy.rank.data, iterate, tile)
    if new == policy:
        return False
    launch.policy = new
    return True


class RetuneMDRange(RewritePattern):
    """An MDRange launch takes the iteration order its accesses want and the target's tile."""

    def __init__(self, target: Target):
        self.target = target

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if isinstance(op, kk.ParallelForOp | kk.ParallelReduceOp) and retune_mdrange(op, self.target):
            rewriter.notify_op_modified(op)


@dataclass(frozen=True)
class KokkosLayoutPass(ModulePass):
    """Pick LayoutLeft/Right for layout-free entry views and MDRange iterate/tile per target."""

    name = "kokkos-layout"


    def apply(self, ctx: Context, op: ModuleOp) -> None:
        target = module_target(op, self.name)
        # An entry called from inside the module has callers whose argument types would go stale.
        called = {c.callee.root_reference.data for c in op.walk() if isinstance(c, func.CallOp)}
        for f in list(op.walk()):
            if (isinstance(f, func.FuncOp) and ENTRY in f.attributes and LAYOUT_FREE in f.attributes
                    and f.sym_name.data not in called):
                relayout_arguments(f, target.layout)
        for f in list(op.walk()):
            if isinstance(f, func.FuncOp):
                relayout_allocs(f, target.layout)
        PatternRewriteWalker(RetuneMDRange(target), apply_recursively=False).rewrite_module(op)
