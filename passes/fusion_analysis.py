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
from xdsl.traits import is_side_effect_free

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


def top_level_loops(block: Block) -> list[Loop]:
    """The fusable loops directly in a block, in order."""
    return [lp for op in block.ops if (lp := as_loop(op)) is not None]


# Ops whose own effects are those of the ops nested in them (walked separately).
_STRUCTURAL = (scf.IfOp, scf.ForOp, scf.WhileOp, scf.YieldOp, scf.ConditionOp, scf.ReduceOp, kk.YieldOp)


def memref_effects(op: Operation) -> tuple[set[SSAValue], set[SSAValue]] | None:
    """(memrefs read, memrefs written) by op and everything nested in it; None when unknown.

    Known: loads, stores, side-effect-free ops, structured control flow (scf.if/for/while and
    their terminators) and the loop terminators. Anything else (calls, atomics, allocations,
    nested launches, casts of views) makes the effects unknown, which callers treat as a refusal.
    """
    reads: set[SSAValue] = set()
    writes: set[SSAValue] = set()
    for inner in op.walk():
        if isinstance(inner, memref.LoadOp):
            reads.add(inner.memref)
        elif isinstance(inner, memref.StoreOp):
            writes.add(inner.memref)
        elif isinstance(inner, kk.ParallelForOp) and inner is op:
            continue
        elif isinstance(inner, scf.ParallelOp) and not inner.initVals:
            continue
        elif isinstance(inner, _STRUCTURAL):
            continue
        elif not is_side_effect_free(inner) or any(isinstance(r.type, MemRefType) for r in inner.results):
            return None
    return reads, writes
