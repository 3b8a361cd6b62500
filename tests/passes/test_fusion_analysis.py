"""fusion_analysis.memref_effects reads memory effects from the ops' traits, not from a list of op classes."""
from __future__ import annotations

from xdsl.builder import Builder, InsertPoint
from xdsl.dialects import arith, memref, scf
from xdsl.dialects.builtin import FloatAttr, IndexType, f64, i1
from xdsl.ir import Block
from xdsl.irdl import IRDLOperation, irdl_op_definition, operand_def, result_def, traits_def
from xdsl.traits import MemoryWriteEffect, Pure

from hpcir.dialects import kokkos as kk
from hpcir.passes.fusion_analysis import memref_effects


@irdl_op_definition
class PureTestOp(IRDLOperation):
    """An op fusion_analysis has never heard of, free of memory effects by its trait."""

    name = "test.pure"
    x = operand_def()
    res = result_def()
    traits = traits_def(Pure())


@irdl_op_definition
class WritingTestOp(IRDLOperation):
    """An op fusion_analysis has never heard of that writes memory (by its trait)."""

    name = "test.writes"
    x = operand_def()
    traits = traits_def(MemoryWriteEffect())


def _loop(extra=None, op_cls=kk.ParallelForOp):
    """A launch `b[i] = a[i]` (plus whatever `extra(builder, i, a, b, value)` inserts); (launch, a, b)."""
    vt = kk.view_type(f64, 1, "host")
    blk = Block(arg_types=[IndexType(), IndexType(), vt, vt, i1])
    lo, hi, a, b, flag = blk.args
    outer = Builder(InsertPoint.at_end(blk))
    if op_cls is kk.ParallelForOp:
        launch = outer.insert(kk.ParallelForOp.range("k", lo, hi))
    else:
        zero = outer.insert(arith.ConstantOp(FloatAttr(0.0, f64)))
        launch = outer.insert(kk.ParallelReduceOp.range("k", lo, hi, [zero], ["sum"]))
    body = Builder(InsertPoint.at_end(launch.body.block))
    i = launch.indices[0]
    x = body.insert(memref.LoadOp.get(a, [i])).res
    if extra is not None:
        extra(body, i, a, b, x, flag)
    body.insert(memref.StoreOp.get(x, b, [i]))
    body.insert(kk.YieldOp(*launch.accumulators))
    return launch, a, b


def test_loads_and_stores_name_their_memrefs():
    launch, a, b = _loop()
    assert memref_effects(launch) == ({a}, {b})


def test_an_unknown_op_free_of_effects_by_its_trait_counts_for_nothing():
    launch, a, b = _loop(lambda bb, i, a, b, x, flag: bb.insert(PureTestOp.create(operands=[x], result_types=[f64])))
    assert memref_effects(launch) == ({a}, {b})


def test_an_op_that_writes_by_its_trait_makes_the_effects_unknown():
    launch, *_ = _loop(lambda bb, i, a, b, x, flag: bb.insert(WritingTestOp.create(operands=[x])))
    assert memref_effects(launch) is None


def test_structured_control_flow_is_looked_through():
    def guarded_store(bb, i, a, b, x, flag):
        then = Block()
        Builder(InsertPoint.at_end(then)).insert(memref.StoreOp.get(x, a, [i]))
        Builder(InsertPoint.at_end(then)).insert(scf.YieldOp())
        bb.insert(scf.IfOp(flag, [], [then]))
    launch, a, b = _loop(guarded_store)
    assert memref_effects(launch) == ({a}, {a, b})


def test_data_ops_and_reductions_keep_the_analysis_out():
    launch, *_ = _loop(lambda bb, i, a, b, x, flag: bb.insert(kk.DeepCopyOp(b, a)))
    assert memref_effects(launch) is None  # a deep copy reads and writes memory not named by a load/store
    reduction, *_ = _loop(op_cls=kk.ParallelReduceOp)
    assert memref_effects(reduction) is None  # reductions are not looked into (fusion does not cross them)
