"""convert-scf-to-kokkos: L2 scf.parallel -> L3 kokkos launches (IR in / IR out, FileCheck style)."""
from __future__ import annotations

import pytest
from ircheck import check
from irtools import run

from hpcir.core.errors import HpcirError
from hpcir.dialects.upstream import verify_upstream

AXPY = """
func.func @axpy(%b: i64, %e: i64, %a: f64, %x: memref<?xf64, #kokkos.space<host>>,
                %y: memref<?xf64, #kokkos.space<host>>) attributes {kokkos.entry = #kokkos.entry<for>} {
  %lo = arith.index_cast %b : i64 to index
  %hi = arith.index_cast %e : i64 to index
  %c1 = arith.constant 1 : index
  scf.parallel (%iv) = (%lo) to (%hi) step (%c1) {
    %xi = memref.load %x[%iv] : memref<?xf64, #kokkos.space<host>>
    %yi = memref.load %y[%iv] : memref<?xf64, #kokkos.space<host>>
    %t = arith.mulf %a, %xi : f64
    %s = arith.addf %t, %yi : f64
    memref.store %s, %y[%iv] : memref<?xf64, #kokkos.space<host>>
    scf.reduce
  }
  return
}
func.func @helper(%n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    scf.reduce
  }
  return
}
"""


def test_axpy_becomes_range_parallel_for():
    module, out = run(AXPY, "kokkos-set-target{target=cpu},kokkos-memory-spaces,convert-scf-to-kokkos")
    check(out, """
    // CHECK-LABEL: func.func @axpy(%[[B:\\w+]]: i64, %[[E:\\w+]]: i64, %[[A:\\w+]]: f64, %[[X:\\w+]]: memref<?xf64, #kokkos.space<host>>, %[[Y:\\w+]]: memref
    // CHECK:       %[[LO:\\w+]] = arith.index_cast %[[B]]
    // CHECK-NEXT:  %[[HI:\\w+]] = arith.index_cast %[[E]]
    // CHECK:       kokkos.parallel_for "axpy" #kokkos.range on <openmp>(%[[LO]], %[[HI]]) {
    // CHECK-NEXT:  ^bb0(%[[I:\\w+]]: index):
    // CHECK-NEXT:    memref.load %[[X]][%[[I]]]
    // CHECK:         memref.store {{.*}}, %[[Y]][%[[I]]]
    // CHECK-NEXT:    kokkos.yield
    // CHECK-NEXT:  }
    // CHECK-NEXT:  func.return
    // CHECK-LABEL: func.func @helper(
    // CHECK:       "scf.parallel"
    """)
    verify_upstream(module)


def test_exec_space_follows_target():
    for target, space in [("cpu", "openmp"), ("serial", "serial"), ("cuda", "cuda"), ("hip", "hip")]:
        _, out = run(AXPY, f"kokkos-set-target{{target={target}}},kokkos-memory-spaces,convert-scf-to-kokkos")
        assert f'kokkos.parallel_for "axpy" #kokkos.range on <{space}>' in out


DOT = """
func.func @dot(%lo: index, %hi: index, %x: memref<?xf64, #kokkos.space<device>>) -> f64
    attributes {kokkos.entry = #kokkos.entry<reduce>} {
  %c1 = arith.constant 1 : index
  %init = arith.constant INIT : f64
  %r = scf.parallel (%iv) = (%lo) to (%hi) step (%c1) init (%init) -> f64 {
    %xi = memref.load %x[%iv] : memref<?xf64, #kokkos.space<device>>
    %sq = arith.mulf %xi, %xi : f64
    scf.reduce(%sq : f64) {
    ^bb0(%l: f64, %rr: f64):
      %sum = arith.addf %l, %rr : f64
      scf.reduce.return %sum : f64
    }
  }
  return %r : f64
}
"""


def test_sum_reduction_with_identity_init():
    module, out = run(DOT.replace("INIT", "0.0"), "kokkos-set-target{target=cuda},kokkos-memory-spaces,convert-scf-to-kokkos")
    check(out, """
    // CHECK-LABEL: func.func @dot(%[[LO:\\w+]]: index, %[[HI:\\w+]]: index, %[[X:\\w+]]: memref
    // CHECK:      %[[Z:\\w+]] = arith.constant 0.000000e+00 : f64
    // CHECK-NEXT: %[[R:\\w+]] = kokkos.parallel_reduce "dot" #kokkos.range on <cuda>(%[[LO]], %[[HI]]) init(%[[Z]] : f64) [#kokkos.reducer<sum>] {
    // CHECK-NEXT: ^bb0(%[[I:\\w+]]: index, %[[ACC:\\w+]]: f64):
    // CHECK-NEXT:   %[[XI:\\w+]] = memref.load %[[X]][%[[I]]]
    // CHECK-NEXT:   %[[SQ:\\w+]] = arith.mulf %[[XI]], %[[XI]] : f64
    // CHECK-NEXT:   %[[NEW:\\w+]] = arith.addf %[[ACC]], %[[SQ]] : f64
    // CHECK-NEXT:   kokkos.yield %[[NEW]] : f64
    // CHECK-NEXT: } -> f64
    // CHECK-NEXT: func.return %[[R]] : f64
    """)
    verify_upstream(module)


def test_non_identity_init_is_passed_through():
    """kokkos.parallel_reduce folds init into the result like scf.parallel: no extra ops needed."""
    module, out = run(DOT.replace("INIT", "5.0"), "kokkos-set-target{target=cpu},convert-scf-to-kokkos")
    check(out, """
    // CHECK:      %[[INIT:\\w+]] = arith.constant 5.000000e+00 : f64
    // CHECK-NEXT: %[[R:\\w+]] = kokkos.parallel_reduce "dot" {{.*}} init(%[[INIT]] : f64) [#kokkos.reducer<sum>]
    // CHECK:      } -> f64
    // CHECK-NEXT: func.return %[[R]] : f64
    """)
    verify_upstream(module)


COMBINE = """
func.func @red(%lo: index, %hi: index, %x: memref<?xTY, #kokkos.space<host>>) -> TY
    attributes {kokkos.entry = #kokkos.entry<reduce>} {
  %c1 = arith.constant 1 : index
  %init = arith.constant IDENT : TY
  %r = scf.parallel (%iv) = (%lo) to (%hi) step (%c1) init (%init) -> TY {
    %xi = memref.load %x[%iv] : memref<?xTY, #kokkos.space<host>>
    scf.reduce(%xi : TY) {
    ^bb0(%l: TY, %rr: TY):
      %c = COMBINER %l, %rr : TY
      scf.reduce.return %c : TY
    }
  }
  return %r : TY
}
"""

REDUCERS = [
    ("arith.addf", "f64", "0.0", "sum"), ("arith.addi", "i32", "0", "sum"), ("arith.mulf", "f32", "1.0", "prod"),
    ("arith.muli", "i64", "1", "prod"), ("arith.maximumf", "f64", "0xFFF0000000000000", "max"),
    ("arith.maxnumf", "f64", "0xFFF0000000000000", "max"), ("arith.maxsi", "i64", "-9223372036854775808", "max"),
    ("arith.minimumf", "f64", "0x7FF0000000000000", "min"), ("arith.minsi", "i32", "2147483647", "min"),
    ("arith.andi", "i1", "true", "land"), ("arith.ori", "i1", "false", "lor"),
    ("arith.maxsi", "i1", "true", "land"), ("arith.minsi", "i1", "false", "lor"),  # signed i1: true = -1
    ("arith.andi", "i32", "-1", "band"), ("arith.ori", "i64", "0", "bor"),
]


@pytest.mark.parametrize("combiner,ty,ident,reducer", REDUCERS)
def test_combiner_maps_to_builtin_reducer(combiner, ty, ident, reducer):
    text = COMBINE.replace("IDENT : TY", ident) if ty == "i1" else COMBINE  # MLIR spells i1 constants bare
    text = text.replace("COMBINER", combiner).replace("TY", ty).replace("IDENT", ident)
    module, out = run(text, "kokkos-set-target{target=cpu},convert-scf-to-kokkos")
    check(out, f"""
    // CHECK-LABEL: func.func @red(%[[LO:\\w+]]: index, %[[HI:\\w+]]: index,
    // CHECK:     %[[INIT:\\w+]] = arith.constant {{{{.*}}}}{ty if ty != "i1" else "{{true|false}}"}
    // CHECK-NEXT: kokkos.parallel_reduce "red" #kokkos.range on <openmp>(%[[LO]], %[[HI]]) init(%[[INIT]] : {ty}) [#kokkos.reducer<{reducer}>] {{
    // CHECK:       {combiner} %{{{{\\w+}}}}, %{{{{\\w+}}}} : {ty}
    // CHECK-NEXT:  kokkos.yield
    // CHECK-NOT:  join
    // CHECK:     func.return
    """)
    verify_upstream(module)


@pytest.mark.parametrize("combiner,ty", [("arith.subf", "f64"), ("arith.maxui", "i32"), ("arith.xori", "i64")])
def test_unknown_combiner_becomes_custom_with_join(combiner, ty):
    text = COMBINE.replace("COMBINER", combiner).replace("TY", ty).replace("IDENT", "0" if ty[0] == "i" else "0.0")
    module, out = run(text, "kokkos-set-target{target=cpu},convert-scf-to-kokkos")
    check(out, f"""
    // CHECK:      kokkos.parallel_reduce "red" {{{{.*}}}} [#kokkos.reducer<custom>] {{
    // CHECK:        {combiner}
    // CHECK:      }} join {{
    // CHECK-NEXT: ^{{{{bb[0-9]+}}}}(%[[A:\\w+]]: {ty}, %[[B:\\w+]]: {ty}):
    // CHECK-NEXT:   %[[J:\\w+]] = {combiner} %[[A]], %[[B]] : {ty}
    // CHECK-NEXT:   kokkos.yield %[[J]] : {ty}
    // CHECK-NEXT: }} -> {ty}
    """)
    verify_upstream(module)


MD = """
func.func @md(%l0: index, %l1: index, %h0: index, %h1: index, %A: memref<?x?xf64, #kokkos.space<host>>)
    attributes {kokkos.entry = #kokkos.entry<for>} {
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  scf.parallel (%i, %j) = (%l0, %l1) to (%h0, %h1) step (%c1, %c3) {
    %v = memref.load %A[%i, %j] : memref<?x?xf64, #kokkos.space<host>>
    scf.parallel (%k) = (%l0) to (%h0) step (%c1) {
      memref.store %v, %A[%k, %j] : memref<?x?xf64, #kokkos.space<host>>
      scf.reduce
    }
    scf.reduce
  }
  return
}
"""


def test_mdrange_policy_step_normalisation_and_inner_loops():
    module, out = run(MD, "kokkos-set-target{target=cuda},kokkos-memory-spaces,convert-scf-to-kokkos")
    check(out, """
    // CHECK-LABEL: func.func @md(%[[L0:\\w+]]: index, %[[L1:\\w+]]: index, %[[H0:\\w+]]: index, %[[H1:\\w+]]: index, %[[A:\\w+]]: memref
    // CHECK-NEXT: %[[C1:\\w+]] = arith.constant 1 : index
    // CHECK-NEXT: %[[C3:\\w+]] = arith.constant 3 : index
    // CHECK-NEXT: %[[ONE:\\w+]] = arith.constant 1 : index
    // CHECK-NEXT: %[[ZERO:\\w+]] = arith.constant 0 : index
    // CHECK-NEXT: %[[SPAN:\\w+]] = arith.subi %[[H1]], %[[L1]] : index
    // CHECK-NEXT: %[[SM1:\\w+]] = arith.subi %[[C3]], %[[ONE]] : index
    // CHECK-NEXT: %[[UP:\\w+]] = arith.addi %[[SPAN]], %[[SM1]] : index
    // CHECK-NEXT: %[[TRIPS:\\w+]] = arith.divsi %[[UP]], %[[C3]] : index
    // CHECK-NEXT: %[[N:\\w+]] = arith.maxsi %[[TRIPS]], %[[ZERO]] : index
    // CHECK-NEXT: kokkos.parallel_for "md" #kokkos.mdrange<2, iterate = left, tile = [64, 4]> on <cuda>(%[[L0]], %[[ZERO]], %[[H0]], %[[N]]) {
    // CHECK-NEXT: ^bb0(%[[I:\\w+]]: index, %[[K:\\w+]]: index):
    // CHECK-NEXT:   %[[S:\\w+]] = arith.muli %[[K]], %[[C3]] : index
    // CHECK-NEXT:   %[[J:\\w+]] = arith.addi %[[L1]], %[[S]] : index
    // CHECK-NEXT:   memref.load %[[A]][%[[I]], %[[J]]]
    // CHECK-NEXT:   scf.for %[[KK:\\w+]] = %[[L0]] to %[[H0]] step %[[C1]] {
    // CHECK-NEXT:     memref.store {{.*}}, %[[A]][%[[KK]], %[[J]]]
    // CHECK-NEXT:   }
    // CHECK-NEXT:   kokkos.yield
    // CHECK-NOT:  scf.parallel
    """)
    verify_upstream(module)
    _, cpu = run(MD, "kokkos-set-target{target=cpu},kokkos-memory-spaces,convert-scf-to-kokkos")
    assert "#kokkos.mdrange<2, iterate = right> on <openmp>" in cpu


def test_rank_seven_keeps_the_last_dim_sequential():
    ivs = ", ".join(f"%i{k}" for k in range(7))
    los = ", ".join(["%c0"] * 7)
    his = ", ".join(["%n"] * 7)
    steps = ", ".join(["%c1"] * 7)
    text = f"""
    func.func @r7(%n: index) -> i64 attributes {{kokkos.entry = #kokkos.entry<reduce>}} {{
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %z = arith.constant 0 : i64
      %r = scf.parallel ({ivs}) = ({los}) to ({his}) step ({steps}) init (%z) -> i64 {{
        %v = arith.index_cast %i6 : index to i64
        scf.reduce(%v : i64) {{
        ^bb0(%a: i64, %b: i64):
          %s = arith.addi %a, %b : i64
          scf.reduce.return %s : i64
        }}
      }}
      return %r : i64
    }}"""
    module, out = run(text, "kokkos-set-target{target=cpu},convert-scf-to-kokkos")
    check(out, """
    // CHECK-LABEL: func.func @r7(%[[N:\\w+]]: index)
    // CHECK-NEXT: %[[C0:\\w+]] = arith.constant 0 : index
    // CHECK-NEXT: %[[C1:\\w+]] = arith.constant 1 : index
    // CHECK:      kokkos.parallel_reduce "r7" #kokkos.mdrange<6, iterate = right> on <openmp>
    // CHECK-NEXT: ^bb0({{(%\\w+: index, )+}}%[[ACC:\\w+]]: i64):
    // CHECK-NEXT:   %[[L:\\w+]] = scf.for %[[I6:\\w+]] = %[[C0]] to %[[N]] step %[[C1]] iter_args(%[[A:\\w+]] = %[[ACC]]) -> (i64) {
    // CHECK-NEXT:     %[[V:\\w+]] = arith.index_cast %[[I6]] : index to i64
    // CHECK-NEXT:     %[[S:\\w+]] = arith.addi %[[A]], %[[V]] : i64
    // CHECK-NEXT:     scf.yield %[[S]] : i64
    // CHECK-NEXT:   }
    // CHECK-NEXT:   kokkos.yield %[[L]] : i64
    """)
    verify_upstream(module)


def test_nested_reduction_becomes_for_with_iter_args_and_launches_are_numbered():
    text = """
    func.func @two(%n: index, %A: memref<?x?xf32, #kokkos.space<host>>, %out: memref<?xf32, #kokkos.space<host>>)
        attributes {kokkos.host_program} {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %z = arith.constant 0.0 : f32
      scf.parallel (%i) = (%c0) to (%n) step (%c1) {
        %m = scf.parallel (%j) = (%c0) to (%n) step (%c1) init (%z) -> f32 {
          %v = memref.load %A[%i, %j] : memref<?x?xf32, #kokkos.space<host>>
          scf.reduce(%v : f32) {
          ^bb0(%a: f32, %b: f32):
            %s = arith.maximumf %a, %b : f32
            scf.reduce.return %s : f32
          }
        }
        memref.store %m, %out[%i] : memref<?xf32, #kokkos.space<host>>
        scf.reduce
      }
      scf.parallel (%i) = (%c0) to (%n) step (%c1) {
        scf.reduce
      }
      return
    }"""
    module, out = run(text, "kokkos-set-target{target=cpu},convert-scf-to-kokkos")
    check(out, """
    // CHECK-LABEL: func.func @two(%[[N:\\w+]]: index, %[[A:\\w+]]: memref<?x?xf32, #kokkos.space<host>>, %[[OUT:\\w+]]: memref
    // CHECK-NEXT: %[[C0:\\w+]] = arith.constant 0 : index
    // CHECK-NEXT: %[[C1:\\w+]] = arith.constant 1 : index
    // CHECK-NEXT: %[[Z:\\w+]] = arith.constant 0.000000e+00 : f32
    // CHECK-NEXT: kokkos.parallel_for "two_0" #kokkos.range on <openmp>(%[[C0]], %[[N]]) {
    // CHECK-NEXT: ^bb0(%[[I:\\w+]]: index):
    // CHECK-NEXT:   %[[M:\\w+]] = scf.for %[[J:\\w+]] = %[[C0]] to %[[N]] step %[[C1]] iter_args(%[[ACC:\\w+]] = %[[Z]]) -> (f32) {
    // CHECK-NEXT:     %[[V:\\w+]] = memref.load %[[A]][%[[I]], %[[J]]]
    // CHECK-NEXT:     %[[S:\\w+]] = arith.maximumf %[[ACC]], %[[V]] : f32
    // CHECK-NEXT:     scf.yield %[[S]] : f32
    // CHECK-NEXT:   }
    // CHECK-NEXT:   memref.store %[[M]], %[[OUT]][%[[I]]]
    // CHECK-NEXT:   kokkos.yield
    // CHECK:      kokkos.parallel_for "two_1" #kokkos.range on <openmp>(%[[C0]], %[[N]]) {
    """)
    verify_upstream(module)


def test_multiple_results_with_custom_join_covers_all():
    text = """
    func.func @mm(%n: index, %x: memref<?xf64, #kokkos.space<host>>) -> (f64, i1)
        attributes {kokkos.entry = #kokkos.entry<reduce>} {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %z = arith.constant 0.0 : f64
      %t = arith.constant true
      %r:2 = scf.parallel (%i) = (%c0) to (%n) step (%c1) init (%z, %t) -> (f64, i1) {
        %v = memref.load %x[%i] : memref<?xf64, #kokkos.space<host>>
        %p = arith.cmpf ogt, %v, %z : f64
        scf.reduce(%v, %p : f64, i1) {
        ^bb0(%a: f64, %b: f64):
          %h = math.hypot %a, %b : f64
          scf.reduce.return %h : f64
        }, {
        ^bb0(%a: i1, %b: i1):
          %s = arith.andi %a, %b : i1
          scf.reduce.return %s : i1
        }
      }
      return %r#0, %r#1 : f64, i1
    }"""
    module, out = run(text.replace("math.hypot %a, %b", "arith.divf %a, %b"), "kokkos-set-target{target=cpu},convert-scf-to-kokkos")
    check(out, """
    // CHECK-LABEL: func.func @mm(%[[N:\\w+]]: index,
    // CHECK-NEXT: %[[C0:\\w+]] = arith.constant 0 : index
    // CHECK-NEXT: %[[C1:\\w+]] = arith.constant 1 : index
    // CHECK-NEXT: %[[Z:\\w+]] = arith.constant 0.000000e+00 : f64
    // CHECK-NEXT: %[[T:\\w+]] = arith.constant true
    // CHECK-NEXT: kokkos.parallel_reduce "mm" #kokkos.range on <openmp>(%[[C0]], %[[N]]) init(%[[Z]], %[[T]] : f64, i1) [#kokkos.reducer<custom>, #kokkos.reducer<land>] {
    // CHECK:      } join {
    // CHECK-NEXT: ^{{bb[0-9]+}}(%[[A0:\\w+]]: f64, %[[A1:\\w+]]: i1, %[[B0:\\w+]]: f64, %[[B1:\\w+]]: i1):
    // CHECK-NEXT:   %[[J0:\\w+]] = arith.divf %[[A0]], %[[B0]] : f64
    // CHECK-NEXT:   %[[J1:\\w+]] = arith.andi %[[A1]], %[[B1]] : i1
    // CHECK-NEXT:   kokkos.yield %[[J0]], %[[J1]] : f64, i1
    // CHECK-NEXT: } -> f64, i1
    """)
    verify_upstream(module)


def test_functions_without_kokkos_markers_are_untouched():
    module, out = run(AXPY, "kokkos-set-target{target=cpu},convert-scf-to-kokkos")
    helper = out[out.index("@helper"):]
    assert '"scf.parallel"' in helper and "kokkos." not in helper


def test_launches_inside_host_loops_and_parallels_inside_l3_launches():
    text = """
    func.func @prog(%n: index, %steps: index, %x: memref<?xf64, #kokkos.space<host>>) attributes {kokkos.host_program} {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      scf.for %t = %c0 to %steps step %c1 {
        scf.parallel (%i) = (%c0) to (%n) step (%c1) {
          %v = memref.load %x[%i] : memref<?xf64, #kokkos.space<host>>
          %w = arith.addf %v, %v : f64
          memref.store %w, %x[%i] : memref<?xf64, #kokkos.space<host>>
          scf.reduce
        }
      }
      "kokkos.parallel_for"(%c0, %n) <{policy = #kokkos.range, exec_space = #kokkos.exec<serial>, name = "direct"}> ({
      ^bb0(%i: index):
        scf.parallel (%j) = (%c0) to (%n) step (%c1) {
          %v = memref.load %x[%j] : memref<?xf64, #kokkos.space<host>>
          memref.store %v, %x[%i] : memref<?xf64, #kokkos.space<host>>
          scf.reduce
        }
        "kokkos.yield"() : () -> ()
      }) : (index, index) -> ()
      return
    }"""
    module, out = run(text, "kokkos-set-target{target=cpu},convert-scf-to-kokkos")
    check(out, """
    // CHECK:      scf.for
    // CHECK-NEXT:   kokkos.parallel_for "prog" #kokkos.range on <openmp>
    // CHECK:      kokkos.parallel_for "direct" #kokkos.range on <serial>
    // CHECK-NEXT: ^bb0(%[[I:\\w+]]: index):
    // CHECK-NEXT:   scf.for %[[J:\\w+]] =
    // CHECK-NOT:  scf.parallel
    """)
    verify_upstream(module)


def test_gpu_launch_on_host_views_is_refused_with_a_diagnostic():
    """Host-space views reaching a cuda launch would fault on the GPU: a diagnostic, not device launches."""
    host = AXPY  # its views are in #kokkos.space<host>
    with pytest.raises(HpcirError, match="cuda launch would access the host-space view") as err:
        run(host, "kokkos-set-target{target=cuda},convert-scf-to-kokkos")
    assert "kokkos-memory-spaces" in err.value.hint
    _, out = run(host, "kokkos-set-target{target=cuda},kokkos-memory-spaces,convert-scf-to-kokkos")
    assert "#kokkos.space<host>" not in out and "#kokkos.space<device>" in out and "on <cuda>" in out
