"""`stencil-host-schedule{cache_kib=256}`: schedule the loop nests of stencil entries for CPU caches and
vector lanes (host targets; after kokkos-fuse, before convert-scf-to-kokkos).

An `scf.parallel` over dimensions (d0, ..., d{r-1}) in memory order (stencil-layout puts the smallest
stride last) becomes, for r >= 3:

    scf.parallel t in [0, nb * n0 * ... * n{r-3}):          (one Kokkos RangePolicy, static chunks)
      (jb, i0, ..., i{r-3}) = t decomposed, i{r-3} fastest
      scf.for i{r-2} in block jb of JB rows:
        scf.for i{r-1} over the whole innermost extent {kokkos.simd}:
          body

Consecutive work items walk dimension r-3 inside one block of JB rows of dimension r-2, so the rows a
stencil reads again (its reach along r-3) are still in cache: JB is chosen at run time so that the rows
in flight (per view, the span of its offsets along r-3, times JB rows of the innermost extent) fit in
`cache_kib`. A 3-D field with a short contiguous k (hdiff 256x256x64, k innermost) is the case this is
for: Kokkos' default MDRange tile (2 x 2 x whole k) re-reads every plane from memory. For r == 2 the
outer dimension is the parallel one and the inner loop is the vector loop.

The innermost loop is marked `kokkos.simd`: scf.parallel's iterations are independent, which is what
`#pragma omp simd` asserts; without it the compiler must prove that the views do not alias, and with a
dozen loads it gives up. The arithmetic is unchanged (no reassociation), so results are bit-identical.
"""
from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import arith, func, memref, scf
from xdsl.dialects.builtin import IndexType, IntegerAttr, MemRefType, ModuleOp, UnitAttr
from xdsl.ir import Block, Region, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter

from hpcir.dialects.kokkos_discardable import ENTRY, SIMD, STENCIL


def _const_int(value: SSAValue) -> int | None:
    owner = value.owner
    if isinstance(owner, arith.ConstantOp) and isinstance(owner.value, IntegerAttr):
        return owner.value.value.data
    return None


def _offset(value: SSAValue, iv: SSAValue) -> int | None:
    """k when `value` is `iv + k` (a chain of constant additions / subtractions), else None."""
    k = 0
    while value is not iv:
        owner = value.owner
        if not isinstance(owner, (arith.AddiOp, arith.SubiOp)):
            return None
        lhs, rhs = owner.operands
        c = _const_int(rhs)
        if c is None and isinstance(owner, arith.AddiOp):
            lhs, c = rhs, _const_int(lhs)
        if c is None:
            return None
        k += c if isinstance(owner, arith.AddiOp) else -c
        value = lhs
    return k


def rows_in_flight(par: scf.ParallelOp, dim: int) -> tuple[int, int]:
    """(rows, element bytes): per view the span of its subscript offsets along loop `dim`, summed; the
    widest element. A subscript that is not `iv + constant` counts as one row."""
    iv = par.body.block.args[dim]
    spans: dict[SSAValue, tuple[int, int]] = {}
    width = 1
    for op in par.body.walk():
        if not isinstance(op, (memref.LoadOp, memref.StoreOp)):
            continue
        ty = op.memref.type
        assert isinstance(ty, MemRefType)
        width = max(width, getattr(ty.element_type, "bitwidth", 64) // 8)
        k = _offset(op.indices[dim], iv) if dim < len(op.indices) else None
        lo, hi = spans.get(op.memref, (0, 0) if k is None else (k, k))
        if k is not None:
            lo, hi = min(lo, k), max(hi, k)
        spans[op.memref] = (lo, hi)
    return max(1, sum(hi - lo + 1 for lo, hi in spans.values())), width


class _Schedule:
    """Rewrites one rank >= 2 scf.parallel of a stencil entry (see the module docstring)."""

    def __init__(self, par: scf.ParallelOp, cache_bytes: int):
        self.par, self.cache_bytes = par, cache_bytes
        self.where = InsertPoint.before(par)

    def emit(self, op, where: InsertPoint | None = None) -> SSAValue:
        Rewriter.insert_op(op, where or self.where)
        return op.results[0]

    def const(self, v: int, where: InsertPoint | None = None) -> SSAValue:
        return self.emit(arith.ConstantOp(IntegerAttr(v, IndexType())), where)

    def run(self) -> None:
        par = self.par
        r = len(par.lowerBound)
        lbs, ubs = list(par.lowerBound), list(par.upperBound)
        ext = [self.emit(arith.MaxSIOp(self.emit(arith.SubiOp(u, l)), self.const(0))) for l, u in zip(lbs, ubs)]
        outer = list(range(r - 2))          # dimensions walked one index per work item
        if r >= 3:
            rows, width = rows_in_flight(par, r - 3)
            per_row = self.emit(arith.MuliOp(ext[r - 1], self.const(rows * width)))
            per_row = self.emit(arith.MaxSIOp(per_row, self.const(1)))
            jb = self.emit(arith.DivSIOp(self.const(self.cache_bytes), per_row))
            jb = self.emit(arith.MaxSIOp(jb, self.const(1)))
        else:
            jb = self.const(1)
        jb.name_hint = "rows_per_block"
        span = self.emit(arith.AddiOp(ext[r - 2], self.emit(arith.SubiOp(jb, self.const(1)))))
        nb = self.emit(arith.DivSIOp(span, jb))
        total = nb
        for d in outer:
            total = self.emit(arith.MuliOp(total, ext[d]))
        body = Block(arg_types=[IndexType()])
        body.args[0].name_hint = "item"
        new = scf.ParallelOp([self.const(0)], [total], [self.const(1)], Region(body))
        at = InsertPoint.at_end(body)
        rest, ivs = body.args[0], [None] * r
        for d in reversed(outer):
            ivs[d] = self.emit(arith.AddiOp(lbs[d], self.emit(arith.RemSIOp(rest, ext[d]), at)), at)
            rest = self.emit(arith.DivSIOp(rest, ext[d]), at)
        one = self.const(1, at)
        inner_block = Block(arg_types=[IndexType()])
        inner = scf.ForOp(lbs[r - 1], ubs[r - 1], one, [], inner_block)
        inner.attributes[SIMD] = UnitAttr()
        if r == 2:  # one row per work item
            ivs[0] = self.emit(arith.AddiOp(lbs[0], rest), at)
            self.emit_op(inner, at)
        else:
            first = self.emit(arith.AddiOp(lbs[r - 2], self.emit(arith.MuliOp(rest, jb), at)), at)
            last = self.emit(arith.MinSIOp(self.emit(arith.AddiOp(first, jb), at), ubs[r - 2]), at)
            rows_loop = scf.ForOp(first, last, one, [], Block(arg_types=[IndexType()]))
            self.emit_op(rows_loop, at)
            self.emit_op(inner, InsertPoint.at_end(rows_loop.body.block))
            self.emit_op(scf.YieldOp(), InsertPoint.at_end(rows_loop.body.block))
            ivs[r - 2] = rows_loop.body.block.args[0]
        self.emit_op(scf.ReduceOp(), at)
        ivs[r - 1] = inner_block.args[0]
        old = par.body.block
        for a, v in zip(old.args, ivs):
            if a.name_hint:
                v.name_hint = a.name_hint
            a.replace_all_uses_with(v)
        for op in list(old.ops):
            op.detach()
            if isinstance(op, scf.ReduceOp):
                op.erase()
                continue
            inner_block.add_op(op)
        inner_block.add_op(scf.YieldOp())
        Rewriter.replace_op(par, new)

    @staticmethod
    def emit_op(op, where: InsertPoint) -> None:
        Rewriter.insert_op(op, where)


def _schedulable(par: scf.ParallelOp) -> bool:
    """Rank >= 2, unit steps, no reduction, no parallel loop inside."""
    return (len(par.lowerBound) >= 2 and not par.results and all(_const_int(s) == 1 for s in par.step)
            and not any(isinstance(op, scf.ParallelOp) for op in par.body.walk()))


@dataclass(frozen=True)
class StencilHostSchedulePass(ModulePass):
    """Block and vectorise the loop nests of stencil entries for CPU caches (host targets)."""

    name = "stencil-host-schedule"

    # The rows a block keeps in flight. Measured (benchmarks/RESULTS.md, stencil-peers): blocks sized
    # to L2 (256 KiB - 1 MiB) cost the 7-point Jacobi 256^3 5-16 % and did not reliably help hdiff
    # 256x256x64, so blocks are sized to a share of L3: planes that outgrow it are blocked.
    cache_kib: int = 4096

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for f in list(op.ops):
            if not (isinstance(f, func.FuncOp) and ENTRY in f.attributes and STENCIL in f.attributes
                    and f.body.blocks):
                continue
            for par in [p for p in f.body.block.ops if isinstance(p, scf.ParallelOp)]:
                if _schedulable(par):
                    _Schedule(par, self.cache_kib * 1024).run()
