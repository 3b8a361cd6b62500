// RUN: hpcir opt %s -p 'kokkos-set-target{target=cpu},convert-scf-to-kokkos' --verify-upstream | filecheck %s
// Two results, one of them with a custom combiner: the join region covers all results (block
// arguments a_0, a_1, b_0, b_1), the built-in one (land) combined there too.

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
      %h = arith.divf %a, %b : f64
      scf.reduce.return %h : f64
    }, {
    ^bb0(%a: i1, %b: i1):
      %s = arith.andi %a, %b : i1
      scf.reduce.return %s : i1
    }
  }
  return %r#0, %r#1 : f64, i1
}

// CHECK:      func.func @mm(%[[N:\w+]]: index,
// CHECK-NEXT: %[[C0:\w+]] = arith.constant 0 : index
// CHECK-NEXT: %[[C1:\w+]] = arith.constant 1 : index
// CHECK-NEXT: %[[Z:\w+]] = arith.constant 0.000000e+00 : f64
// CHECK-NEXT: %[[T:\w+]] = arith.constant true
// CHECK-NEXT: kokkos.parallel_reduce "mm" #kokkos.range on <openmp>(%[[C0]], %[[N]]) init(%[[Z]], %[[T]] : f64, i1) [#kokkos.reducer<custom>, #kokkos.reducer<land>] {
// CHECK:      } join {
// CHECK-NEXT: ^{{bb[0-9]+}}(%[[A0:\w+]]: f64, %[[A1:\w+]]: i1, %[[B0:\w+]]: f64, %[[B1:\w+]]: i1):
// CHECK-NEXT:   %[[J0:\w+]] = arith.divf %[[A0]], %[[B0]] : f64
// CHECK-NEXT:   %[[J1:\w+]] = arith.andi %[[A1]], %[[B1]] : i1
// CHECK-NEXT:   kokkos.yield %[[J0]], %[[J1]] : f64, i1
// CHECK-NEXT: } -> f64, i1
