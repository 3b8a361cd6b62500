"""Traits of the kokkos ops: memory effects as xDSL analyses see them, terminators, nesting, dead launches."""
from __future__ import annotations

import pytest
from kokkos_samples import every_op_module
from xdsl.dialects.builtin import ModuleOp
from xdsl.parser import Parser
from xdsl.traits import (HasAncestor, HasParent, IsTerminator, MemoryEffectKind, RecursiveMemoryEffect,
                         SingleBlockImplicitTerminator, get_effects, is_side_effect_free)
from xdsl.transforms.canonicalize import CanonicalizePass
from xdsl.utils.exceptions import VerifyException

from hpcir.dialects import context
from hpcir.dialects import kokkos as kk

READ, WRITE, ALLOC = MemoryEffectKind.READ, MemoryEffectKind.WRITE, MemoryEffectKind.ALLOC


def _kinds(op) -> set[MemoryEffectKind] | None:
    effects = get_effects(op)
    return None if effects is None else {e.kind for e in effects}


def _ops(module: ModuleOp, cls) -> list:
    return [op for op in module.walk() if isinstance(op, cls)]


def _named(module: ModuleOp, name: str):
    return next(op for op in module.walk() if isinstance(op, kk.LAUNCH_OPS) and op.kernel_name.data == name)


def test_region_ops_have_the_effects_of_their_bodies():
    module = every_op_module()
    assert _kinds(_named(module, "axpy")) == {READ, WRITE}  # loads and a store
    assert _kinds(_named(module, "dot")) == {READ}  # a reduction that only loads
    assert is_side_effect_free(_named(module, "scan"))  # its body only yields
    assert _kinds(_named(module, "team")) == {READ, WRITE, ALLOC}  # barrier, scratch
    for cls in (*kk.LAUNCH_OPS, *kk.NESTED_RANGE_OPS, kk.SingleOp):
        assert cls.has_trait(RecursiveMemoryEffect), cls.name
        assert cls.get_trait(SingleBlockImplicitTerminator).op_type is kk.YieldOp, cls.name


@pytest.mark.parametrize("cls, kinds", [
    (kk.LeagueRankOp, set()), (kk.TeamRankOp, set()), (kk.TeamSizeOp, set()), (kk.LeagueSizeOp, set()),
    (kk.YieldOp, set()), (kk.AllocOp, {ALLOC}), (kk.ScratchAllocOp, {ALLOC}), (kk.CreateMirrorViewOp, {ALLOC}),
    (kk.DeepCopyOp, {READ, WRITE}), (kk.FenceOp, {READ, WRITE}), (kk.TeamBarrierOp, {READ, WRITE}),
    (kk.PrintOp, {WRITE}),
], ids=lambda v: getattr(v, "name", ""))
def test_op_effects(cls, kinds):
    op = _ops(every_op_module(), cls)[0]
    assert _kinds(op) == kinds


def test_yield_is_a_terminator_of_kokkos_regions_only():
    assert kk.YieldOp.has_trait(IsTerminator)
    parents = kk.YieldOp.get_trait(HasParent).op_types
    assert set(parents) == {*kk.LAUNCH_OPS, *kk.NESTED_RANGE_OPS, kk.SingleOp}


def test_team_level_ops_need_a_team_launch():
    for cls in (*kk.NESTED_RANGE_OPS, kk.SingleOp, kk.TeamBarrierOp, kk.ScratchAllocOp, kk.LeagueRankOp,
                kk.TeamRankOp, kk.TeamSizeOp, kk.LeagueSizeOp):
        assert set(cls.get_trait(HasAncestor).op_types) == set(kk.TEAM_LAUNCH_OPS), cls.name


_OUTSIDE = """builtin.module {{
  func.func @f(%m: !kokkos.team_member, %lo: index, %hi: index) {{
    {op}
    func.return
  }}
}}"""


@pytest.mark.parametrize("op", [
    "kokkos.team_barrier %m",
    "%r = kokkos.league_rank %m",
    "%s = kokkos.scratch_alloc %m(%lo) level 0 : memref<?xf64, #kokkos.space<scratch>>",
    "kokkos.single <per_team> %m {\n kokkos.yield\n }",
    "kokkos.team_thread_range %m(%lo, %hi) {\n ^bb0(%j: index):\n kokkos.yield\n }",
])
def test_team_level_ops_outside_a_launch_are_rejected(op):
    module = Parser(context(), _OUTSIDE.format(op=op)).parse_module()
    with pytest.raises(VerifyException, match="expects ancestor op to be one of 'kokkos.parallel_for', "
                                              "'kokkos.parallel_reduce'"):
        module.verify()


def test_body_without_yield_is_rejected():
    text = _OUTSIDE.format(op='kokkos.parallel_for "k" #kokkos.range on <default>(%lo, %hi) {\n'
                              ' ^bb0(%j: index):\n func.return\n }')
    with pytest.raises(Exception, match="func.return|kokkos.yield"):
        Parser(context(), text).parse_module().verify()


_DEAD = """builtin.module {
  func.func @f(%lo: index, %hi: index, %v: memref<?xf64, #kokkos.space<host>>) {
    %z = arith.constant 0.0 : f64
    %unused = kokkos.parallel_reduce "dead" #kokkos.range on <default>(%lo, %hi) init(%z : f64) [#kokkos.reducer<sum>] {
    ^bb0(%i: index, %a: f64):
      %x = memref.load %v[%i] : memref<?xf64, #kokkos.space<host>>
      %s = arith.addf %a, %x : f64
      kokkos.yield %s : f64
    } -> f64
    kokkos.parallel_for "live" #kokkos.range on <default>(%lo, %hi) {
    ^bb0(%i: index):
      memref.store %z, %v[%i] : memref<?xf64, #kokkos.space<host>>
      kokkos.yield
    }
    kokkos.parallel_for "printing" #kokkos.range on <default>(%lo, %hi) {
    ^bb0(%i: index):
      kokkos.print "{}"(%z : f64)
      kokkos.yield
    }
    func.return
  }
}"""


def test_canonicalize_removes_only_launches_without_observable_effects():
    module = Parser(context(), _DEAD).parse_module()
    CanonicalizePass().apply(context(), module)
    module.verify()
    names = {op.kernel_name.data for op in module.walk() if isinstance(op, kk.LAUNCH_OPS)}
    assert names == {"live", "printing"}
