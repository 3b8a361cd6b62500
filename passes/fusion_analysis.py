"""Analyses shared by `kokkos-fuse`: parallel loops at L2 and L3 seen alike, affine bounds and subscripts.

A *loop* here is an `scf.parallel` without reductions and with unit constant steps (L2) or a
`kokkos.parallel_for` with a range/MDRange policy (L3): a rectangular index space
`[lowers, uppers)` and one body block whose leading arguments are the indices.
"""
from __future__ import annotations

from dataclasses import dataclass

from xdsl.dialects import arith, memref, scf
from xdsl.dialects.builtin import IntegerAttr, MemRefType
from xdsl.ir import Block, BlockArgument, Operation, SSAValue
from xdsl.traits import MemoryEffect, RecursiveMemoryEffect, is_side_effect_free

from hpcir.dialects import kokkos as kk


@dataclass
class Loop:
    """A rectangular parallel loop: its op, bounds, body block and index arguments."""

    op: Operation
    lowers: list[SSAValue]
    uppers: list[SSAValue]
    block: Block

    @property
    def ivs(self) -> list[BlockArgument]:
        """The index block arguments, one per dimension."""
        return list(self.block.args[:len(self.lowers)])

    @property
    def rank(self) -> int:
        """Number of dimensions."""
        return len(self.lowers)


def const_int(value: SSAValue) -> int | None:
    """The value of an integer/index `arith.constant`, else None."""
    owner = value.owner
    if isinstance(owner, arith.ConstantOp) and isinstance(owner.value, IntegerAttr):
        return owner.value.value.data
    return None


def as_loop(op: Operation) -> Loop | None:
    """A Loop view of op, or None when op is not a fusable rectangular parallel loop."""
    if isinstance(op, scf.ParallelOp):
        if op.initVals or any(const_int(s) != 1 for s in op.step):
            return None
        return Loop(op, list(op.lowerBound), list(op.upperBound), op.body.block)
    if isinstance(op, kk.ParallelForOp) and isinstance(op.policy, kk.RangePolicyAttr | kk.MDRangePolicyAttr):
        r = op.num_indices
        bounds = list(op.bounds)
        return Loop(op, bounds[:r], bounds[r:2 * r], op.body.block)
    return None


def affine(value: SSAValue, depth: int = 16) -> tuple[SSAValue | None, int]:
    """`value` as (base, constant): base + c through addi/subi with constants and index_cast (None: a constant)."""
    c = const_int(value)
    if c is not None:
        return None, c
    owner = value.owner
    if depth and isinstance(owner, arith.IndexCastOp):
        # The frontend computes subscripts in i64 and casts them (index is 64-bit: same values).
        return affine(owner.input, depth - 1)
    if depth and isinstance(owner, arith.AddiOp | arith.SubiOp):
        lhs, rhs = owner.lhs, owner.rhs
        rc = const_int(rhs)
        if rc is not None:
            base, k = affine(lhs, depth - 1)
            return base, k + (rc if isinstance(owner, arith.AddiOp) else -rc)
        lc = const_int(lhs)
        if lc is not None and isinstance(owner, arith.AddiOp):
            base, k = affine(rhs, depth - 1)
            return base, k + lc
    return value, 0


def bound_diff(a: SSAValue, b: SSAValue) -> int | None:
    """a - b when both are the same base plus constants (provably), else None."""
    ba, ka = affine(a)
    bb, kb = affine(b)
    if ba is bb:
        return ka - kb
    return None


def subscript_offsets(indices: list[SSAValue], loop: Loop) -> tuple[int, ...] | None:
    """Offsets d with indices[k] == iv_k + d_k of this loop for every k, else None."""
    if len(indices) != loop.rank:
        return None
    offsets = []
    for k, idx in enumerate(indices):
        base, c = affine(idx)
        if base is not loop.ivs[k]:
            return None
        offsets.append(c)
    return tuple(offsets)


def _effects_are_nested(op: Operation) -> bool:
    """Whether op's memory effects are exactly those of the ops nested in it (RecursiveMemoryEffect only)."""
    traits = op.get_traits_of_type(MemoryEffect)
    return bool(traits) and all(type(t) is RecursiveMemoryEffect for t in traits)


def _parallel_level(op: Operation) -> bool:
    """Ops running their regions as a parallel level of their own: kokkos launches and team-level
    ops, and `scf.parallel` loops with a reduction."""
    return (isinstance(op, (*kk.LAUNCH_OPS, *kk.NESTED_RANGE_OPS, kk.SingleOp))
            or (isinstance(op, scf.ParallelOp) and bool(op.initVals)))


def _walked_into(inner: Operation, root: Operation) -> bool:
    """Whether memref_effects takes inner's effects from the ops nested in it, each walked on its own.

    True for ops whose effects are their nested ops' (structured control flow, plain parallel
    loops, the analysed loop itself); a parallel level of its own nested in (or between) the
    analysed ops, and any reduction or scan, is not looked into: it counts only when its traits
    prove it free of memory effects.
    """
    if not _effects_are_nested(inner):
        return False
    return not _parallel_level(inner) or (inner is root and not inner.results)


def memref_effects(op: Operation) -> tuple[set[SSAValue], set[SSAValue]] | None:
    """(memrefs read, memrefs written) by op and everything nested in it; None when unknown.

    Read from the ops' memory-effect traits: loads and stores name their memref; ops whose effects
    are their nested ops' (see `_walked_into`) are looked through; ops the traits prove free of
    memory effects count for nothing unless they produce a view (a view escaping the analysis).
    Anything else (calls, atomics, allocations, fences, deep copies, nested launches, casts of
    views) makes the effects unknown, which callers treat as a refusal.
    """
    reads: set[SSAValue] = set()
    writes: set[SSAValue] = set()
    for inner in op.walk():
        if isinstance(inner, memref.LoadOp):
            reads.add(inner.memref)
        elif isinstance(inner, memref.StoreOp):
            writes.add(inner.memref)
        elif _walked_into(inner, op):
            continue
        elif not is_side_effect_free(inner) or any(isinstance(r.type, MemRefType) for r in inner.results):
            return None
    return reads, writes
