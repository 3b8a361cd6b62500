"""The kokkos dialect's discardable attributes: one declaration per name, verified in every module."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest
from kokkos_samples import every_op_module
from xdsl.parser import Parser
from xdsl.utils.exceptions import VerifyException

from hpcir.core.errors import IRVerificationError
from hpcir.dialects import context
from hpcir.dialects import kokkos_discardable as kd

_GOOD = """builtin.module attributes {kokkos.target = "cuda"} {
  func.func @k(%b: index, %e: index, %v: memref<?x?xf64, #kokkos.space<device>>)
      attributes {kokkos.entry = #kokkos.entry<for>, kokkos.arg_names = ["b", "e", "v"], kokkos.layout_free} {
    %x = arith.constant 1.0 : f64
    kokkos.parallel_for "k" #kokkos.mdrange<2, iterate = right, tile = [4, 4]> on <cuda>(%b, %b, %e, %e) attributes {kokkos.user_tile} {
    ^bb0(%i: index, %j: index):
      memref.store %x, %v[%i, %j] : memref<?x?xf64, #kokkos.space<device>>
      kokkos.yield
    }
    func.return
  }
  func.func @main() attributes {kokkos.host_program} {
    func.return
  }
  func.func @tiled(%b: index, %e: index) attributes {kokkos.entry = #kokkos.entry<for>, kokkos.stencil} {
    %c1 = arith.constant 1 : index
    "scf.parallel"(%b, %b, %e, %e, %c1, %c1) <{operandSegmentSizes = array<i32: 2, 2, 2, 0>}> ({
    ^bb0(%i: index, %j: index):
      scf.for %k = %b to %e step %c1 {
      } {kokkos.simd}
      scf.reduce
    }) {kokkos.tile = [8 : i64, 2 : i64], kokkos.ordered} : (index, index, index, index, index, index) -> ()
    func.return
  }
  func.func @staged(%n: index) attributes {kokkos.entry = #kokkos.entry<for>} {
    kokkos.parallel_for "staged" #kokkos.team<scratch_bytes = 0> on <cuda>(%n, %n, %n) {
    ^bb0(%t: !kokkos.team_member):
      %s = kokkos.scratch_alloc %t(%n) level 0 {kokkos.source_loc = "k.py:3:9"} : memref<?xf64, #kokkos.space<scratch>>
      kokkos.yield
    }
    func.return
  }
  func.func private @sq(%x: f64) -> f64 attributes {kokkos.device_function} {
    func.return %x : f64
  }
}"""


def _parse(text: str):
    module = Parser(context(), text).parse_module()
    module.verify()
    return module


def test_every_declared_attribute_verifies_where_it_belongs():
    module = _parse(_GOOD)
    kd.verify_discardable_attributes(module)
    used = {name for op in module.walk() for name in op.attributes if name.startswith(kd.PREFIX)}
    assert used == set(kd.declarations())  # the sample exercises every declaration


def test_sample_module_verifies():
    kd.verify_discardable_attributes(every_op_module())


def test_each_name_is_declared_once_with_a_doc():
    source = Path(kd.__file__).read_text(encoding="utf-8")
    tree = ast.parse(source)
    constants = {}
    for k, node in enumerate(tree.body):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) \
                and isinstance(node.value.value, str) and node.value.value.startswith(kd.PREFIX) \
                and node.value.value != kd.PREFIX:
            doc = tree.body[k + 1]
            assert isinstance(doc, ast.Expr) and isinstance(doc.value, ast.Constant), node.targets[0].id
            constants[node.targets[0].id] = node.value.value
    assert sorted(constants.values()) == sorted(kd.declarations())
    assert len(set(constants.values())) == len(constants)


_BAD = {
    "unknown name": ('func.func @main() attributes {kokkos.host_programm} {', "unknown attribute 'kokkos.host_programm'"),
    "entry value": ('func.func @main() attributes {kokkos.entry = "for"} {',
                    "'kokkos.entry' on 'func.func' must be a #kokkos.entry<for|reduce|scan> attribute"),
    "arg_names value": ('func.func @main() attributes {kokkos.arg_names = ["a", 1 : i64]} {',
                        "'kokkos.arg_names' on 'func.func' must be an array of strings"),
    "unit value": ('func.func @main() attributes {kokkos.host_program = 1 : i64} {',
                   "'kokkos.host_program' on 'func.func' must be a unit attribute"),
    "target on func": ('func.func @main() attributes {kokkos.target = "cpu"} {',
                       "'kokkos.target' may appear only on builtin.module, not on 'func.func'"),
    "tile on func": ('func.func @main() attributes {kokkos.tile = [4 : i64]} {',
                     "'kokkos.tile' may appear only on scf.parallel, not on 'func.func'"),
    "simd on func": ('func.func @main() attributes {kokkos.simd} {',
                     "'kokkos.simd' may appear only on scf.for, not on 'func.func'"),
    "stencil value": ('func.func @main() attributes {kokkos.stencil = "yes"} {',
                      "'kokkos.stencil' on 'func.func' must be a unit attribute"),
    "user_tile on func": ('func.func @main() attributes {kokkos.user_tile} {',
                          "'kokkos.user_tile' may appear only on kokkos.parallel_for, kokkos.parallel_reduce, "
                          "kokkos.parallel_scan, not on 'func.func'"),
}


@pytest.mark.parametrize("case", list(_BAD), ids=list(_BAD))
def test_bad_attributes_are_rejected(case):
    head, message = _BAD[case]
    module = _parse(f"builtin.module {{\n  {head}\n    func.return\n  }}\n}}")
    with pytest.raises(VerifyException) as info:
        kd.verify_discardable_attributes(module)
    assert message in str(info.value)


@pytest.mark.parametrize("module_attr, message", [
    ('kokkos.target = "gpu"', 'must be a string naming a target (cpu, serial, cuda, hip'),
    ("kokkos.target = 1 : i64", "must be a string naming a target"),
    ("kokkos.layout_free", "'kokkos.layout_free' may appear only on func.func, not on 'builtin.module'"),
])
def test_bad_module_attributes_are_rejected(module_attr, message):
    module = _parse(f"builtin.module attributes {{{module_attr}}} {{\n}}")
    with pytest.raises(VerifyException) as info:
        kd.verify_discardable_attributes(module)
    assert message in str(info.value)


def test_a_launch_attribute_on_another_op_is_rejected():
    text = _GOOD.replace("%x = arith.constant 1.0 : f64", "%x = arith.constant {kokkos.user_tile} 1.0 : f64")
    with pytest.raises(VerifyException, match="not on 'arith.constant'"):
        kd.verify_discardable_attributes(_parse(text))


def test_the_pipeline_verifies_discardable_attributes_after_each_pass():
    from hpcir.pipeline import run_pipeline

    module = _parse(_GOOD.replace("kokkos.host_program", "kokkos.host_progam"))
    with pytest.raises(IRVerificationError, match="unknown attribute 'kokkos.host_progam'"):
        run_pipeline(module, "canonicalize")
    run_pipeline(_parse(_GOOD), "canonicalize")
