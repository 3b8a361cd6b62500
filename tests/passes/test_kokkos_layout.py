"""kokkos-layout: LayoutLeft for layout-free entry views on GPU targets; MDRange iterate/tile per layout."""
from __future__ import annotations

import pytest
from ircheck import check
from irtools import parse_mlir, run

from hpcir.dialects.upstream import verify_upstream
from hpcir.pipeline import run_pipeline

SCALE = """
func.func @scale(%l0: index, %l1: index, %h0: index, %h1: index, %a: f64,
                 %A: memref<?x?xf64, #kokkos.space<device>>, %B: memref<?x?xf64, #kokkos.space<device>>,
                 %v: memref<?xf64, #kokkos.space<device>>) attributes {kokkos.entry = #kokkos.entry<for> FREE} {
  "kokkos.parallel_for"(%l0, %l1, %h0, %h1) <{policy = #kokkos.mdrange<2, iterate = right>,
      exec_space = #kokkos.exec<cuda>, name = "scale"}> ({
  ^bb0(%i: index, %j: index):
    %x = memref.load %A[%i, %j] : memref<?x?xf64, #kokkos.space<device>>
    %w = arith.mulf %x, %a : f64
    memref.store %w, %B[%i, %j] : memref<?x?xf64, #kokkos.space<device>>
    "kokkos.yield"() : () -> ()
  }) : (index, index, index, index) -> ()
  return
}
"""

LEFT = "memref<?x?xf64, strided<[1, ?]>, #kokkos.space<device>>"


def test_gpu_target_makes_layout_free_views_left_and_iterates_left():
    module, out = run(SCALE.replace(" FREE", ", kokkos.layout_free"), "kokkos-set-target{target=cuda},kokkos-layout")
    check(out, f"""
    // CHECK:      func.func @scale({{{{.*}}}}%[[A:\\w+]]: {LEFT}, %[[B:\\w+]]: {LEFT}, %[[V:\\w+]]: memref<?xf64, #kokkos.space<device>>)
    // CHECK:      kokkos.parallel_for "scale" #kokkos.mdrange<2, iterate = left, tile = [64, 4]> on <cuda>
    // CHECK:        memref.load %[[A]][{{{{.*}}}}] : {LEFT}
    // CHECK:        memref.store {{{{.*}}}}, %[[B]][{{{{.*}}}}] : {LEFT}
    """)
    verify_upstream(module)


@pytest.mark.parametrize("target", ["cpu", "serial"])
def test_host_targets_keep_layout_right_and_iterate_right(target):
    module, out = run(SCALE.replace(" FREE", ", kokkos.layout_free"), f"kokkos-set-target{{target={target}}},kokkos-layout")
    assert "strided" not in out
    assert "#kokkos.mdrange<2, iterate = right> on <cuda>" in out


def test_fixed_layout_views_are_kept_and_iteration_follows_them():
    module, out = run(SCALE.replace(" FREE", ""), "kokkos-set-target{target=hip},kokkos-layout")
    assert "strided" not in out
    # The views stay LayoutRight, so the contiguous index is the last: iterate right, tile reversed.
    assert "#kokkos.mdrange<2, iterate = right, tile = [4, 64]>" in out


def test_views_with_other_uses_keep_their_layout():
    text = SCALE.replace(" FREE", ", kokkos.layout_free").replace(
        "  return\n}", "  %c = memref.cast %B : memref<?x?xf64, #kokkos.space<device>> to "
        "memref<?x?xf64, #kokkos.space<device>>\n  return\n}")
    module, out = run(text, "kokkos-set-target{target=cuda},kokkos-layout")
    check(out, f"""
    // CHECK: func.func @scale({{{{.*}}}}%[[A:\\w+]]: {LEFT}, %[[B:\\w+]]: memref<?x?xf64, #kokkos.space<device>>, %[[V:\\w+]]: memref<?xf64
    """)
    verify_upstream(module)


def test_entries_called_inside_the_module_keep_their_signature():
    caller = """
    func.func @host(%n: index, %A: memref<?x?xf64, #kokkos.space<device>>, %v: memref<?xf64, #kokkos.space<device>>)
        attributes {kokkos.host_program} {
      %a = arith.constant 2.0 : f64
      func.call @scale(%n, %n, %n, %n, %a, %A, %A, %v) : (index, index, index, index, f64,
          memref<?x?xf64, #kokkos.space<device>>, memref<?x?xf64, #kokkos.space<device>>,
          memref<?xf64, #kokkos.space<device>>) -> ()
      return
    }"""
    module, out = run(SCALE.replace(" FREE", ", kokkos.layout_free") + caller, "kokkos-set-target{target=cuda},kokkos-layout")
    assert "strided" not in out
    verify_upstream(module)


def test_left_views_get_left_iteration_even_on_host():
    text = SCALE.replace(" FREE", "").replace("memref<?x?xf64, #kokkos.space<device>>",
                                                  "memref<?x?xf64, strided<[1, ?]>, #kokkos.space<device>>")
    _, out = run(text, "kokkos-set-target{target=cpu},kokkos-layout")
    assert "#kokkos.mdrange<2, iterate = left> on <cuda>" in out


def test_pipeline_target_option_reaches_both_passes():
    from irtools import parse_mlir  # noqa: F401 - same helper, explicit for readers
    text = """
    func.func @k(%l0: index, %l1: index, %h0: index, %h1: index, %A: memref<?x?xf32, #kokkos.space<device>>)
        attributes {kokkos.entry = #kokkos.entry<for>, kokkos.layout_free} {
      %c1 = arith.constant 1 : index
      scf.parallel (%i, %j) = (%l0, %l1) to (%h0, %h1) step (%c1, %c1) {
        %x = memref.load %A[%i, %j] : memref<?x?xf32, #kokkos.space<device>>
        memref.store %x, %A[%j, %i] : memref<?x?xf32, #kokkos.space<device>>
        scf.reduce
      }
      return
    }"""
    module = parse_mlir(text)
    run_pipeline(module, "convert-scf-to-kokkos,kokkos-layout,canonicalize,cse", target="hip")
    out = str(module)
    assert "memref<?x?xf32, strided<[1, ?]>, #kokkos.space<device>>" in out
    assert "#kokkos.mdrange<2, iterate = left, tile = [64, 4]> on <hip>" in out
    verify_upstream(module)


ACCESS = """
func.func @acc(%n: index, %A: memref<?x?xf64, #kokkos.space<device>>, %B: memref<?x?xf64, #kokkos.space<device>>)
    attributes {kokkos.entry = #kokkos.entry<for>} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  "kokkos.parallel_for"(%c0, %c0, %n, %n) <{policy = #kokkos.mdrange<2, iterate = default>,
      exec_space = #kokkos.exec<cuda>, name = "acc"}> ({
  ^bb0(%i: index, %j: index):
    %ip = arith.addi %i, %c1 : index
    BODY
    "kokkos.yield"() : () -> ()
  }) : (index, index, index, index) -> ()
  return
}
"""
LOAD = "%{v} = memref.load %{arr}[{a}, {b}] : memref<?x?xf64, #kokkos.space<device>>"


@pytest.mark.parametrize("accesses,expected", [
    ([("A", "%i", "%j")], "right"),                      # row-major walk: last index fastest
    ([("A", "%j", "%i")], "left"),                       # transposed walk of a LayoutRight view
    ([("A", "%j", "%ip")], "left"),                      # through index arithmetic (i + 1)
    ([("A", "%j", "%i"), ("B", "%j", "%i"), ("A", "%i", "%j")], "left"),  # majority
    ([("A", "%j", "%j")], "left"),                       # diagonal: no vote, target (cuda) preference
    ([("A", "%j", "%j"), ("A", "%j", "%j"), ("B", "%j", "%i")], "left"),  # diagonals do not outvote B
])
def test_iteration_order_follows_the_contiguous_subscript(accesses, expected):
    body = "\n    ".join(LOAD.format(v=f"v{k}", arr=arr, a=a, b=b) for k, (arr, a, b) in enumerate(accesses))
    module, out = run(ACCESS.replace("BODY", body), "kokkos-set-target{target=cuda},kokkos-layout")
    tile = "[64, 4]" if expected == "left" else "[4, 64]"
    assert f"#kokkos.mdrange<2, iterate = {expected}, tile = {tile}> on <cuda>" in out
    verify_upstream(module)


TEMPORARY = """
func.func @twice(%l0: index, %l1: index, %h0: index, %h1: index, %n0: index, %n1: index,
                 %A: memref<?x?xf64, #kokkos.space<device>>, %B: memref<?x?xf64, #kokkos.space<device>>)
    attributes {kokkos.entry = #kokkos.entry<for>} {
  %T = memref.alloc(%n0, %n1) : memref<?x?x4xf64, #kokkos.space<device>>
  "kokkos.parallel_for"(%l0, %l1, %h0, %h1) <{policy = #kokkos.mdrange<2, iterate = right>,
      exec_space = #kokkos.exec<cuda>, name = "produce"}> ({
  ^bb0(%i: index, %j: index):
    %c0 = arith.constant 0 : index
    %x = memref.load %A[%i, %j] : memref<?x?xf64, #kokkos.space<device>>
    memref.store %x, %T[%i, %j, %c0] : memref<?x?x4xf64, #kokkos.space<device>>
    "kokkos.yield"() : () -> ()
  }) : (index, index, index, index) -> ()
  "kokkos.parallel_for"(%l0, %l1, %h0, %h1) <{policy = #kokkos.mdrange<2, iterate = right>,
      exec_space = #kokkos.exec<cuda>, name = "consume"}> ({
  ^bb0(%i: index, %j: index):
    %c0 = arith.constant 0 : index
    %t = memref.load %T[%i, %j, %c0] : memref<?x?x4xf64, #kokkos.space<device>>
    memref.store %t, %B[%i, %j] : memref<?x?xf64, #kokkos.space<device>>
    "kokkos.yield"() : () -> ()
  }) : (index, index, index, index) -> ()
  memref.dealloc %T : memref<?x?x4xf64, #kokkos.space<device>>
  return
}
"""


def test_gpu_target_makes_temporaries_left():
    # Input: a LayoutRight temporary T; output: LayoutLeft, strides (1, n0, n0*n1) as symbols.
    module, out = run(TEMPORARY, "kokkos-set-target{target=cuda},kokkos-layout")
    t_left = "memref<?x?x4xf64, strided<[1, ?, ?]>, #kokkos.space<device>>"
    check(out, f"""
    // CHECK:      func.func @twice({{{{.*}}}}%[[N0:\\w+]]: index, %[[N1:\\w+]]: index, %{{{{\\w+}}}}: memref
    // CHECK:      %[[S:\\w+]] = arith.muli %[[N0]], %[[N1]] : index
    // CHECK-NEXT: %[[T:\\w+]] = memref.alloc(%[[N0]], %[[N1]])[%[[N0]], %[[S]]] : {t_left}
    // CHECK:      memref.store {{{{.*}}}}, %[[T]][{{{{.*}}}}] : {t_left}
    // CHECK:      memref.load %[[T]][{{{{.*}}}}] : {t_left}
    // CHECK:      memref.dealloc %[[T]] : {t_left}
    """)
    verify_upstream(module)


def test_host_targets_and_escaping_temporaries_keep_layout_right():
    _, out = run(TEMPORARY, "kokkos-set-target{target=cpu},kokkos-layout")
    assert "strided" not in out
    escaping = TEMPORARY.replace("  memref.dealloc %T", "  %c = memref.cast %T : memref<?x?x4xf64, #kokkos.space<device>> "
                                 "to memref<?x?x4xf64, #kokkos.space<device>>\n  memref.dealloc %T")
    _, out = run(escaping, "kokkos-set-target{target=cuda},kokkos-layout")
    assert "strided" not in out
