"""hpcir.dialects.upstream and hpcir.core.mlir_bridge: upstream MLIR 22 parses and verifies L1/L2/L3 IR; upstream passes round-trip."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
from xdsl.dialects import scf
from xdsl.dialects.builtin import MemRefType, StringAttr
from xdsl.parser import Parser

from hpcir.dialects import upstream as mlir_bridge
from hpcir.dialects import context
from hpcir.dialects import kokkos as kk
from hpcir.core.errors import IRVerificationError

DATA = Path(__file__).parents[1] / "passes" / "data"
sys.path.insert(0, str(Path(__file__).parents[1] / "dialects"))
from kokkos_samples import every_op_module  # noqa: E402

BUFFERIZE = ("builtin.module(one-shot-bufferize{bufferize-function-boundaries "
             "function-boundary-type-conversion=identity-layout-map},convert-linalg-to-parallel-loops,"
             "canonicalize,cse)")


def _load(name: str):
    module = Parser(context(), (DATA / name).read_text()).parse_module()
    module.verify()
    return module


def _memref_spaces(module) -> set:
    spaces = set()
    for op in module.walk():
        for v in [*op.results, *[a for r in op.regions for b in r.blocks for a in b.args]]:
            if isinstance(v.type, MemRefType):
                spaces.add(v.type.memory_space)
    return spaces


def test_l3_sample_is_valid_upstream():
    module = every_op_module()
    text = mlir_bridge.to_upstream_text(module)
    assert '"kokkos.device"' in text and '"kokkos.scratch"' in text and "#kokkos.space" not in text
    assert "#kokkos.mdrange<2, iterate = left, tile = [8, 8]>" in text  # op attributes pass through
    mlir_bridge.verify_upstream(module)
    mlir_bridge.verify_upstream(text)


def test_l2_sample_is_valid_upstream():
    mlir_bridge.verify_upstream(_load("l2_kernels.mlir"))


def test_export_does_not_modify_the_module():
    module = every_op_module()
    before = str(module)
    mlir_bridge.to_upstream_text(module)
    assert str(module) == before


def test_l3_round_trips_through_upstream_restoring_spaces():
    module = every_op_module()
    back = mlir_bridge.run_upstream_passes(module, "builtin.module(cse)")
    back.verify()
    spaces = _memref_spaces(back)
    assert spaces and all(isinstance(s, kk.SpaceAttr) for s in spaces)
    assert {s.data for s in spaces} == {kk.MemorySpace.HOST, kk.MemorySpace.DEVICE, kk.MemorySpace.SCRATCH}
    assert [op.name for op in back.walk()] == [op.name for op in module.walk()]


def test_only_memref_spaces_are_mapped_back():
    text = mlir_bridge.to_upstream_text(every_op_module()).replace('format = "dot = {} scan = {:.3f}"',
                                                                 'format = "kokkos.host"')
    back = mlir_bridge.from_upstream_text(text)
    (pr,) = [op for op in back.walk() if isinstance(op, kk.PrintOp)]
    assert pr.format == StringAttr("kokkos.host")


def test_linalg_on_tensors_bufferizes_to_parallel_loops():
    module = _load("linalg_mlp.mlir")
    mlir_bridge.verify_upstream(module)
    out = mlir_bridge.run_upstream_passes(module, BUFFERIZE)
    out.verify()
    names = [op.name for op in out.walk()]
    assert names.count("scf.parallel") == 3 and "linalg.matmul" not in names
    assert not any("tensor" in str(op.results[0].type) for op in out.walk() if op.results)
    pars = [op for op in out.walk() if isinstance(op, scf.ParallelOp)]
    assert all(len(p.lowerBound) == 2 for p in pars)


def test_upstream_rejection_carries_diagnostics():
    bad = 'func.func @f(%a: i32) {\n  %x = "arith.addf"(%a, %a) : (i32, i32) -> i32\n  func.return\n}'
    with pytest.raises(IRVerificationError) as info:
        mlir_bridge.verify_upstream(bad)
    assert "arith.addf" in str(info.value) and "floating-point" in str(info.value)
    assert '"-":2:' in str(info.value)  # upstream's location


def test_bad_upstream_pipeline_is_an_hpcir_error():
    with pytest.raises(IRVerificationError, match="no-such-pass"):
        mlir_bridge.run_upstream_passes(every_op_module(), "builtin.module(no-such-pass)")


def test_from_upstream_syntax_keeps_kokkos_spaces():
    module = mlir_bridge.from_upstream_syntax((DATA / "l2_upstream_syntax.mlir").read_text())
    module.verify()
    assert {s.data for s in _memref_spaces(module)} == {kk.MemorySpace.HOST}
    assert any(isinstance(op, scf.ParallelOp) for op in module.walk())


def test_ops_xdsl_cannot_read_back_are_an_hpcir_error():
    module = _load("linalg_mlp.mlir")
    with pytest.raises(IRVerificationError, match="xDSL cannot read the IR upstream MLIR produced"):
        # lowering to the llvm dialect yields ops hpcir's xDSL context does not load
        mlir_bridge.run_upstream_passes(module, "builtin.module(one-shot-bufferize{bufferize-function-boundaries},"
                                                "convert-linalg-to-loops,convert-scf-to-cf,"
                                                "convert-to-llvm,reconcile-unrealized-casts)")
