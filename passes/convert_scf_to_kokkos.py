"""`convert-scf-to-kokkos`: L2 `scf.parallel` launches -> L3 `kokkos.parallel_for/reduce` for the module's target.

The target is the module's `kokkos.target` (set by `kokkos-set-target`). Rewrite patterns driven by
one PatternRewriteWalker; in every kernel entry (`kokkos.entry`) and host program
(`kokkos.host_program`) function:
- each outermost `scf.parallel` becomes one launch: rank 1 -> `#kokkos.range`, rank 2..6 ->
  `#kokkos.mdrange` with the target's iteration order and tiles (dims past 6 stay sequential);
  non-unit steps are normalised to a 0-based unit-step range, the induction variable rebuilt inside;
- `scf.reduce` combiner regions are matched to Kokkos reducers (addf/addi -> sum, mulf/muli -> prod,
  maximumf/maxnumf/maxsi -> max, minimumf/minnumf/minsi -> min, andi/ori on i1 -> land/lor, on wider
  integers -> band/bor, anything else -> custom with the combiner as join region); each contribution
  becomes an accumulator update `acc = combine(acc, contribution)` yielded by the body (or, when the
  contribution is a local that starts at the reducer's identity, that local starts at `acc`); the init
  value is passed through (kokkos.parallel_reduce folds it into the result like scf.parallel does);
- `scf.parallel` nested inside a launch (converted here or written at L3 by the frontend) becomes a
  sequential `scf.for` nest (reductions as iter_args);
- launches the frontend wrote at L3 (team policies) on `#kokkos.exec<default>` take the target's
  execution space.
A GPU launch may not touch a host-space view (it would fault on the device): such IR is refused
with a diagnostic instead of being converted.
"""
from __future__ import annotations

from dataclasses import dataclass

from xdsl.builder import Builder, InsertPoint
from xdsl.context import Context
from xdsl.dialects import arith, complex, func, memref, scf
from xdsl.dialects.builtin import ArrayAttr, IndexType, IntegerAttr, MemRefType, ModuleOp, UnitAttr, i1
from xdsl.ir import Attribute, Block, Operation, Region, SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (GreedyRewritePatternApplier, PatternRewriter, PatternRewriteWalker, RewritePattern,
                                   op_type_rewrite_pattern)
from xdsl.rewriter import Rewriter

from hpcir.dialects import kokkos as kk
from hpcir.core.errors import HpcirError
from hpcir.core.targets import Target
from hpcir.dialects.kokkos_target import module_target, set_module_target
from hpcir.dialects.kokkos_discardable import ENTRY, HOST_PROGRAM, ORDERED, TILE, USER_TILE

MAX_MDRANGE_RANK = 6

# Combiner op -> reducer, for ops whose kind does not depend on the element type.
_COMBINERS: dict[type[Operation], kk.ReducerKind] = {
    arith.AddfOp: kk.ReducerKind.SUM, arith.AddiOp: kk.ReducerKind.SUM,
    arith.MulfOp: kk.ReducerKind.PROD, arith.MuliOp: kk.ReducerKind.PROD,
    arith.MaximumfOp: kk.ReducerKind.MAX, arith.MaxnumfOp: kk.ReducerKind.MAX, arith.MaxSIOp: kk.ReducerKind.MAX,
    arith.MinimumfOp: kk.ReducerKind.MIN, arith.MinnumfOp: kk.ReducerKind.MIN, arith.MinSIOp: kk.ReducerKind.MIN,
    complex.AddOp: kk.ReducerKind.SUM, complex.MulOp: kk.ReducerKind.PROD,
}


def match_reducer(region: Region) -> kk.ReducerKind:
    """The built-in reducer an `scf.reduce` combiner region implements, or CUSTOM."""
    block = region.block
    ops = list(block.ops)
    if len(block.args) != 2 or len(ops) != 2 or not isinstance(ops[1], scf.ReduceReturnOp):
        return kk.ReducerKind.CUSTOM
    comb, ret = ops
    if ret.result is not comb.results[0] or len(comb.operands) != 2:
        return kk.ReducerKind.CUSTOM
    if set(comb.operands) != set(block.args) or comb.operands[0] is comb.operands[1]:
        return kk.ReducerKind.CUSTOM
    ty = block.args[0].type
    if isinstance(comb, arith.AndIOp | arith.OrIOp):
        if ty == i1:
            return kk.ReducerKind.LAND if isinstance(comb, arith.AndIOp) else kk.ReducerKind.LOR
        return kk.ReducerKind.BAND if isinstance(comb, arith.AndIOp) else kk.ReducerKind.BOR
    if ty == i1 and isinstance(comb, arith.MaxSIOp | arith.MinSIOp):
        # Signed i1: true is -1 < false, so maxsi is AND and minsi is OR (C++ bool max/min are the reverse).
        return kk.ReducerKind.LAND if isinstance(comb, arith.MaxSIOp) else kk.ReducerKind.LOR
    return _COMBINERS.get(type(comb), kk.ReducerKind.CUSTOM)


def _const_index(value: SSAValue) -> int | None:
    owner = value.owner
    if isinstance(owner, arith.ConstantOp) and isinstance(owner.value, IntegerAttr):
        return owner.value.value.data
    return None


def _inline_combiner(b: Builder, region: Region, lhs: SSAValue, rhs: SSAValue) -> SSAValue:
    """Clone an scf.reduce combiner region at b with args (lhs, rhs); return the combined value."""
    mapping: dict[SSAValue, SSAValue] = {region.block.args[0]: lhs, region.block.args[1]: rhs}
    for op in region.block.ops:
        if isinstance(op, scf.ReduceReturnOp):
            return mapping.get(op.result, op.result)
        b.insert(op.clone(value_mapper=mapping))
    raise HpcirError("scf.reduce region without scf.reduce.return")


def _split_body(par: scf.ParallelOp) -> tuple[Block, scf.ReduceOp]:
    """Detach the scf.parallel body block and its scf.reduce terminator (contributions stay valid)."""
    block = par.body.block
    reduce = block.last_op
    assert isinstance(reduce, scf.ReduceOp)
    reduce.detach()
    return block, reduce


def parallel_to_for(par: scf.ParallelOp, rewriter: PatternRewriter | None = None) -> None:
    """Rewrite an scf.parallel as a sequential scf.for nest (reductions carried as iter_args)."""
    b = Builder(InsertPoint.before(par))
    body, reduce = _split_body(par)
    acc_types = [v.type for v in par.initVals]
    loops: list[scf.ForOp] = []
    accs: list[SSAValue] = list(par.initVals)
    for lb, ub, st in zip(par.lowerBound, par.upperBound, par.step):
        loop = scf.ForOp(lb, ub, st, accs, Block(arg_types=[IndexType(), *acc_types]))
        b.insert(loop)
        loops.append(loop)
        accs = list(loop.body.block.args[1:])
        b = Builder(InsertPoint.at_end(loop.body.block))
    ivs = [loop.body.block.args[0] for loop in loops]
    Rewriter.inline_block(body, InsertPoint.at_end(loops[-1].body.block), ivs)
    new = [_inline_combiner(b, reg, acc, c) for reg, acc, c in zip(reduce.reductions, accs, reduce.args)]
    b.insert(scf.YieldOp(*new))
    for outer, inner in zip(loops[:-1], loops[1:]):
        Builder(InsertPoint.at_end(outer.body.block)).insert(scf.YieldOp(*inner.results))
    _replace(par, list(loops[0].results), rewriter)
    _erase(reduce, rewriter)


def _replace(par: scf.ParallelOp, results: list[SSAValue], rewriter: PatternRewriter | None) -> None:
    """Replace the rewritten scf.parallel by its new results (through the pattern rewriter, if any)."""
    if rewriter is not None:
        rewriter.replace(par, [], results if par.results else [])
    elif par.results:
        Rewriter.replace_op(par, [], results)
    else:
        Rewriter.erase_op(par)


def _erase(op: Operation, rewriter: PatternRewriter | None) -> None:
    """Erase an op that is done with (through the pattern rewriter, if any, so its walker forgets it)."""
    if rewriter is not None:
        rewriter.erase(op)
    else:
        op.erase()


class ParallelToLaunch(RewritePattern):
    """An outermost scf.parallel of a kernel entry or host program becomes one kokkos launch."""

    def __init__(self, target: Target, names: dict[scf.ParallelOp, str]):
        self.target, self.names = target, names

    @op_type_rewrite_pattern
    def match_and_rewrite(self, par: scf.ParallelOp, rewriter: PatternRewriter) -> None:
        name = self.names.pop(par, None)
        if name is None:
            return
        # Inner parallel loops first (innermost first), so the launch body holds plain ops.
        for inner in reversed([o for o in par.body.walk() if isinstance(o, scf.ParallelOp) and o is not par]):
            parallel_to_for(inner, rewriter)
        _convert_launch(par, name, self.target, rewriter)


class NestedParallelToFor(RewritePattern):
    """An scf.parallel inside a launch (one the frontend wrote at L3) runs sequentially: scf.for."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, par: scf.ParallelOp, rewriter: PatternRewriter) -> None:
        parent = par.parent_op()
        while parent is not None and not isinstance(parent, kk.LAUNCH_OPS):
            parent = parent.parent_op()
        if parent is not None:
            parallel_to_for(par, rewriter)


class DefaultExecSpaceToTarget(RewritePattern):
    """A launch on `#kokkos.exec<default>` (written at L3 by a frontend) runs on the target's space."""

    def __init__(self, target: Target):
        self.target = target

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if isinstance(op, kk.LAUNCH_OPS) and op.exec_space.data == kk.ExecSpace.DEFAULT:
            op.exec_space = kk.ExecSpaceAttr(self.target.exec_space_attr)
            rewriter.notify_op_modified(op)


@dataclass(frozen=True)
class ConvertScfToKokkosPass(ModulePass):
    """Turn outermost scf.parallel loops of kernel entries and host programs into kokkos launches."""

    name = "convert-scf-to-kokkos"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        target = module_target(op, self.name)
        names: dict[scf.ParallelOp, str] = {}
        for f in op.walk():
            if isinstance(f, func.FuncOp) and (ENTRY in f.attributes or HOST_PROGRAM in f.attributes):
                launches = _outermost_parallels(f)
                for k, par in enumerate(launches):  # one launch keeps the function's name
                    names[par] = f.sym_name.data if len(launches) == 1 else f"{f.sym_name.data}_{k}"
        patterns = [ParallelToLaunch(target, names), NestedParallelToFor(), DefaultExecSpaceToTarget(target)]
        # dce off: a conversion pass changes what it converts and nothing else (canonicalize cleans up).
        PatternRewriteWalker(GreedyRewritePatternApplier(patterns, dce_enabled=False)).rewrite_module(op)


def _outermost_parallels(f: func.FuncOp) -> list[scf.ParallelOp]:
    found: list[scf.ParallelOp] = []
    for o in f.walk():
        if not isinstance(o, scf.ParallelOp):
            continue
        parent = o.parent_op()
        while parent is not None and parent is not f and not isinstance(parent, (scf.ParallelOp, *kk.LAUNCH_OPS)):
            parent = parent.parent_op()
        if parent is f:
            found.append(o)
    return found


def _normalise(b: Builder, par: scf.ParallelOp, dims: int) -> tuple[list[SSAValue], list[SSAValue], list[bool]]:
    """Kokkos bounds for the first `dims` dims; a non-unit step becomes [0, ceil((ub-lb)/step))."""
    lowers: list[SSAValue] = []
    uppers: list[SSAValue] = []
    rebuilt: list[bool] = []
    for lb, ub, st in list(zip(par.lowerBound, par.upperBound, par.step))[:dims]:
        if _const_index(st) == 1:
            lowers.append(lb)
            uppers.append(ub)
            rebuilt.append(False)
            continue
        one = b.insert(arith.ConstantOp(IntegerAttr(1, IndexType()))).result
        zero = b.insert(arith.ConstantOp(IntegerAttr(0, IndexType()))).result
        span = b.insert(arith.SubiOp(ub, lb)).result
        span = b.insert(arith.AddiOp(span, b.insert(arith.SubiOp(st, one)).result)).result
        trips = b.insert(arith.DivSIOp(span, st)).result
        trips = b.insert(arith.MaxSIOp(trips, zero)).result  # empty range when ub < lb
        lowers.append(zero)
        uppers.append(trips)
        rebuilt.append(True)
    return lowers, uppers, rebuilt


def _convert_launch(par: scf.ParallelOp, name: str, target: Target, rewriter: PatternRewriter | None = None) -> None:
    rank = len(par.lowerBound)
    dims = min(rank, MAX_MDRANGE_RANK)
    b = Builder(InsertPoint.before(par))
    lowers, uppers, rebuilt = _normalise(b, par, dims)
    user_tile = par.attributes.get(TILE)
    if dims == 1:
        policy: Attribute = kk.RangePolicyAttr()
    elif isinstance(user_tile, ArrayAttr):  # the user's MDRangePolicy tile, kept as written
        policy = kk.MDRangePolicyAttr(dims, target.iterate, [a.value.data for a in user_tile.data][:dims])
    else:
        tile = target.mdrange_tile[:dims] if len(target.mdrange_tile) >= dims else ()
        policy = kk.MDRangePolicyAttr(dims, target.iterate, tile)
    body, reduce = _split_body(par)
    kinds = [match_reducer(r) for r in reduce.reductions]
    results = list(par.results)
    exec_space = target.exec_space_attr
    if target.is_gpu:
        _refuse_host_views(par, target)
    if results:
        # scf.parallel folds its init into the result once, as kokkos.parallel_reduce does for built-in
        # reducers; for custom ones the init is the join identity (docs/IR.md: L2 inits are neutral).
        inits = list(par.initVals)
        launch: kk.ParallelForOp | kk.ParallelReduceOp = kk.ParallelReduceOp(
            name, policy, [*lowers, *uppers], inits, [kk.ReducerAttr(k) for k in kinds], exec_space)
        if launch.join is not None and launch.join.blocks:
            _fill_join(launch, reduce)
    else:
        launch = kk.ParallelForOp(name, policy, [*lowers, *uppers], exec_space)
    if user_tile is not None and dims > 1:
        launch.attributes[USER_TILE] = UnitAttr()
    if ORDERED in par.attributes:  # the user's sequential order travels to the launch (C++ emitter)
        launch.attributes[ORDERED] = UnitAttr()
    b.insert(launch)
    kb = Builder(InsertPoint.at_end(launch.body.block))
    ivs: list[SSAValue] = []
    for d, k in enumerate(launch.body.block.args[:dims]):
        if rebuilt[d]:
            scaled = kb.insert(arith.MuliOp(k, par.step[d])).result
            ivs.append(kb.insert(arith.AddiOp(par.lowerBound[d], scaled)).result)
        else:
            ivs.append(k)
    accs = list(launch.body.block.args[dims:])
    yield_cls: type[kk.YieldOp] | type[scf.YieldOp] = kk.YieldOp
    # Dims past Kokkos' MDRange limit run as sequential scf.for loops inside the body.
    for lb, ub, st in list(zip(par.lowerBound, par.upperBound, par.step))[dims:]:
        loop = kb.insert(scf.ForOp(lb, ub, st, accs, Block(arg_types=[IndexType(), *[a.type for a in accs]])))
        kb.insert(yield_cls(*loop.results))
        kb = Builder(InsertPoint.at_end(loop.body.block))
        ivs.append(loop.body.block.args[0])
        accs = list(loop.body.block.args[1:])
        yield_cls = scf.YieldOp
    Rewriter.inline_block(body, InsertPoint.at_end(kb.insertion_point.block), ivs)
    new = [c if kind != kk.ReducerKind.CUSTOM and _forward_accumulator(c, acc, kind)
           else _inline_combiner(kb, reg, acc, c)
           for reg, acc, c, kind in zip(reduce.reductions, accs, reduce.args, kinds)]
    kb.insert(yield_cls(*new))
    _replace(par, list(launch.results), rewriter)
    _erase(reduce, rewriter)


def _forward_accumulator(contribution: SSAValue, acc: SSAValue, kind: kk.ReducerKind) -> bool:
    """Update the launch's accumulator in place when the body's contribution is a local that starts
    at the reducer's identity (what the kernel frontend writes for `acc += ...`): start the local at
    the incoming partial instead and contribute it as it is. acc (+) (identity (+) e...) equals
    acc (+) e... for a built-in reducer, and this keeps the kernel's own order of updates with no
    extra combine per iteration. True when rewritten."""
    load = contribution.owner
    if not isinstance(load, memref.LoadOp) or load.indices or load.parent_block() is None:
        return False
    local = load.memref
    if not isinstance(local.owner, memref.AllocaOp):
        return False
    first = None
    for op in load.parent_block().ops:  # the first access of the local, in program order
        if op is load:
            return False
        if any(v is local for o in op.walk() for v in o.operands):
            first = op
            break
    if not isinstance(first, memref.StoreOp) or first.memref is not local:
        return False
    value = first.value.owner
    identity = kk.reducer_identity(kind, acc.type)
    if identity is None or not isinstance(value, arith.ConstantOp) or value.value != identity:
        return False
    first.operands[0] = acc
    return True


def _fill_join(launch: kk.ParallelReduceOp, reduce: scf.ReduceOp) -> None:
    """Join region = every scf.reduce combiner, args (a_0..a_n-1, b_0..b_n-1)."""
    block = launch.join.block
    n = len(reduce.reductions)
    jb = Builder(InsertPoint.at_end(block))
    out = [_inline_combiner(jb, reg, block.args[k], block.args[n + k]) for k, reg in enumerate(reduce.reductions)]
    jb.insert(kk.YieldOp(*out))


def _refuse_host_views(par: scf.ParallelOp, target: Target) -> None:
    """A device launch reading or writing a host-space view would fault on the GPU: say so."""
    for o in par.walk():
        for v in o.operands:
            ty = v.type
            if isinstance(ty, MemRefType) and isinstance(ty.memory_space, kk.SpaceAttr) \
                    and ty.memory_space.data == kk.MemorySpace.HOST and isinstance(o, _VIEW_ACCESSES):
                raise HpcirError(f"convert-scf-to-kokkos: a {target.name} launch would access the host-space view "
                                 f"{v.name_hint or 'of type ' + str(ty)} ({o.name}), which the GPU cannot read",
                                 hint="run kokkos-memory-spaces first (the default pipelines do) or put the view in "
                                      "#kokkos.space<device>")


_VIEW_ACCESSES = (memref.LoadOp, memref.StoreOp, memref.AtomicRMWOp)


def convert_scf_to_kokkos(module: ModuleOp, target: str = "cpu") -> ModuleOp:
    """Stamp `target` on the module (if it has none), run the pass in place and return the module."""
    set_module_target(module, target)
    ConvertScfToKokkosPass().apply(Context(), module)
    return module


__all__ = ["ConvertScfToKokkosPass", "convert_scf_to_kokkos", "match_reducer", "parallel_to_for"]
