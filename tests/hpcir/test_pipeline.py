"""hpcir.pipeline: the pass registry, pipeline parsing, verification after each pass, dump-after-all."""
from __future__ import annotations

import io
from dataclasses import dataclass

import pytest
from xdsl.context import Context
from xdsl.dialects import arith
from xdsl.dialects.builtin import IntegerAttr, ModuleOp, i32
from xdsl.parser import Parser
from xdsl.passes import ModulePass

from hpcir.dialects import context
from hpcir.core.errors import HpcirError, IRVerificationError
from hpcir.pipeline import available_passes, parse_pass_pipeline, register_pass, run_pipeline

SIMPLE = """builtin.module {
  func.func @f(%a: i32) -> i32 {
    %c = arith.constant 2 : i32
    %d = arith.constant 2 : i32
    %x = arith.addi %a, %c : i32
    %y = arith.addi %a, %d : i32
    %unused = arith.muli %x, %y : i32
    %z = arith.addi %x, %y : i32
    func.return %z : i32
  }
}"""


def _module() -> ModuleOp:
    return Parser(context(), SIMPLE).parse_module()


def test_registry_has_hpcir_and_xdsl_passes():
    names = set(available_passes())
    assert {"convert-scf-to-kokkos", "kokkos-layout", "mlir-opt", "canonicalize", "cse", "dce"} <= names
    for name, factory in available_passes().items():
        assert factory().name == name


def test_parse_pipeline_with_options_and_upstream_block():
    passes = parse_pass_pipeline("kokkos-set-target{target=cuda},convert-scf-to-kokkos,kokkos-layout,cse,"
                                 "mlir-opt[canonicalize,cse]")
    assert [p.name for p in passes] == ["kokkos-set-target", "convert-scf-to-kokkos", "kokkos-layout", "cse",
                                        "mlir-opt"]
    assert passes[0].target == "cuda"
    assert passes[4].pipeline() == "builtin.module(canonicalize,cse)"


@pytest.mark.parametrize("name", ["convert-scf-to-kokkos", "kokkos-memory-spaces", "kokkos-layout", "kokkos-tile",
                                  "kokkos-team-scratch", "kokkos-placement"])
def test_target_dependent_passes_refuse_a_module_without_target(name):
    """No pass assumes a target: on IR that carries none they stop and say how to give one."""
    from xdsl.dialects.builtin import ModuleOp
    with pytest.raises(HpcirError, match=f"pass '{name}' needs a target") as err:
        run_pipeline(ModuleOp([]), name)
    assert "kokkos-set-target" in err.value.hint


def test_set_target_stamps_once_and_refuses_a_different_target():
    from xdsl.dialects.builtin import ModuleOp
    module = ModuleOp([])
    run_pipeline(module, "kokkos-set-target{target=hip},kokkos-set-target{target=hip}")
    assert str(module).startswith('builtin.module attributes {kokkos.target = "hip"}')
    with pytest.raises(HpcirError, match="already lowered for target 'hip', not 'cpu'"):
        run_pipeline(module, "kokkos-set-target{target=cpu}")
    with pytest.raises(HpcirError, match="unknown target 'tpu'"):
        run_pipeline(ModuleOp([]), "kokkos-set-target{target=tpu}")


@pytest.mark.parametrize("pipeline,message", [
    ("no-such-pass", "unknown pass 'no-such-pass'"),
    ("cse{", "malformed pass pipeline"),
    ("kokkos-layout{bogus=1}", "bad options for pass 'kokkos-layout'"),
])
def test_bad_pipelines_are_hpcir_errors(pipeline, message):
    with pytest.raises(HpcirError, match=message):
        parse_pass_pipeline(pipeline)


def test_dce_then_cse_and_dump_after_all():
    module = _module()
    dump = io.StringIO()
    run_pipeline(module, "dce,cse", dump_after_all=True, dump_stream=dump)
    text = str(module)
    assert text.count("arith.constant") == 1 and "arith.muli" not in text
    headers = [line for line in dump.getvalue().splitlines() if line.startswith("// -----// IR Dump After")]
    assert headers == ["// -----// IR Dump After dce //----- //", "// -----// IR Dump After cse //----- //"]
    # after dce the duplicate constant is still there, after cse it is gone
    first, second = dump.getvalue().split("// -----// IR Dump After cse")
    assert "arith.muli" not in first and first.count("arith.constant") == 2
    assert second.count("arith.constant") == 1


def test_upstream_passes_inside_a_pipeline():
    module = _module()
    run_pipeline(module, "mlir-opt[canonicalize,cse]")
    assert "arith.muli" not in str(module) and str(module).count("arith.constant") == 1


@dataclass(frozen=True)
class _BreakIR(ModulePass):
    """Test pass that produces invalid IR (a constant whose value type differs from its result type)."""

    name = "test-break-ir"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        const = next(o for o in op.walk() if isinstance(o, arith.ConstantOp))
        bad = arith.ConstantOp.create(properties={"value": IntegerAttr(1, 64)}, result_types=[i32])
        const.parent_block().insert_op_before(bad, const)


def test_invalid_ir_after_a_pass_names_the_pass():
    register_pass(_BreakIR)
    with pytest.raises(IRVerificationError, match="IR after pass 'test-break-ir' does not verify"):
        run_pipeline(_module(), "cse,test-break-ir")
