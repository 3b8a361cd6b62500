"""Shared L3 sample IR for the kokkos dialect tests: one module that uses every op and attribute."""
from __future__ import annotations

from xdsl.builder import Builder, InsertPoint
from xdsl.dialects import arith, func, memref
from xdsl.dialects.builtin import FloatAttr, FunctionType, IndexType, ModuleOp, f64
from xdsl.ir import Block, Region

from hpcir.dialects import kokkos as kk


def _yield_into(op, *values) -> None:
    Builder(InsertPoint.at_end(op.body.block)).insert(kk.YieldOp(*values))


def every_op_module() -> ModuleOp:
    """A verified module with every kokkos op, attribute and the team_member type."""
    vt = kk.view_type(f64, 1, "host")
    blk = Block(arg_types=[IndexType(), IndexType(), f64, vt, vt])
    lo, hi, a, x, y = blk.args
    b = Builder(InsertPoint.at_end(blk))

    pf = b.insert(kk.ParallelForOp.range("axpy", lo, hi, exec_space="openmp"))
    bb = Builder(InsertPoint.at_end(pf.body.block))
    i = pf.indices[0]
    xv = bb.insert(memref.LoadOp.get(x, [i]))
    yv = bb.insert(memref.LoadOp.get(y, [i]))
    s = bb.insert(arith.AddfOp(bb.insert(arith.MulfOp(a, xv)), yv))
    bb.insert(memref.StoreOp.get(s, y, [i]))
    bb.insert(kk.AtomicFetchAddOp(xv, y, [i]))
    bb.insert(kk.AtomicFetchOp("div", xv, y, [i]))
    bb.insert(kk.PrintfOp("y = %f, x = %8.3e\n", [yv, xv]))
    bb.insert(kk.YieldOp())

    z = b.insert(arith.ConstantOp(FloatAttr(0.0, f64)))
    pr = b.insert(kk.ParallelReduceOp.range("dot", lo, hi, [z], ["sum"]))
    bb = Builder(InsertPoint.at_end(pr.body.block))
    xv = bb.insert(memref.LoadOp.get(x, [pr.indices[0]]))
    bb.insert(kk.YieldOp(bb.insert(arith.AddfOp(pr.accumulators[0], xv))))

    pc = b.insert(kk.ParallelReduceOp.mdrange("cust", [lo, lo], [hi, hi], [z], ["custom"], iterate="left",
                                              tile=[8, 8]))
    _yield_into(pc, pc.accumulators[0])
    jb = Builder(InsertPoint.at_end(pc.join.block))
    jb.insert(kk.YieldOp(jb.insert(arith.AddfOp(*pc.join.block.args))))

    ps = b.insert(kk.ParallelScanOp("scan", lo, hi, z))
    _yield_into(ps, ps.accumulators[0])

    pt = b.insert(kk.ParallelForOp.team("team", lo, lo, lo, scratch_bytes=64))
    mem = pt.member
    bb = Builder(InsertPoint.at_end(pt.body.block))
    lr = bb.insert(kk.LeagueRankOp(mem))
    for cls in (kk.TeamRankOp, kk.TeamSizeOp, kk.LeagueSizeOp):
        bb.insert(cls(mem))
    bb.insert(kk.ScratchAllocOp(mem, kk.view_type(f64, 1, "scratch"), [lr], level=1))
    tt = bb.insert(kk.TeamThreadRangeOp(mem, lo, hi))
    b2 = Builder(InsertPoint.at_end(tt.body.block))
    tv = b2.insert(kk.ThreadVectorRangeOp(mem, lo, hi, [z], ["max"]))
    _yield_into(tv, tv.accumulators[0])
    b2.insert(kk.YieldOp())
    bb.insert(kk.TeamBarrierOp(mem))
    _yield_into(bb.insert(kk.SingleOp(mem, "per_thread")))
    _yield_into(bb.insert(kk.TeamVectorRangeOp(mem, lo, hi)))
    bb.insert(kk.YieldOp())

    ptr = b.insert(kk.ParallelReduceOp.team("teamred", lo, lo, lo, [z], ["min"], exec_space="cuda"))
    _yield_into(ptr, ptr.accumulators[0])

    al = b.insert(kk.AllocOp(kk.view_type(f64, 2, "device", "left"), [lo, hi], label="A"))
    mv = b.insert(kk.CreateMirrorViewOp(al))
    b.insert(kk.DeepCopyOp(al, mv))
    b.insert(kk.FenceOp())
    b.insert(kk.PrintOp("dot = {} scan = {:.3f}", [pr.res[0], ps.res]))
    b.insert(func.ReturnOp(pr.res[0]))
    f = func.FuncOp("k", FunctionType.from_lists(blk.arg_types, [f64]), Region(blk))
    f.attributes["kokkos.entry"] = kk.EntryAttr("reduce")
    module = ModuleOp([f])
    module.verify()
    return module
