// RUN: hpcir opt %s -p 'kokkos-set-target{target=cpu},convert-scf-to-kokkos' --verify-upstream | filecheck %s
// Kokkos' MDRange goes up to rank 6: a rank-7 scf.parallel keeps its last dimension as a sequential
// scf.for carrying the accumulator.

func.func @r7(%n: index) -> i64 attributes {kokkos.entry = #kokkos.entry<reduce>} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %z = arith.constant 0 : i64
  %r = scf.parallel (%i0, %i1, %i2, %i3, %i4, %i5, %i6) = (%c0, %c0, %c0, %c0, %c0, %c0, %c0) to (%n, %n, %n, %n, %n, %n, %n) step (%c1, %c1, %c1, %c1, %c1, %c1, %c1) init (%z) -> i64 {
    %v = arith.index_cast %i6 : index to i64
    scf.reduce(%v : i64) {
    ^bb0(%a: i64, %b: i64):
      %s = arith.addi %a, %b : i64
      scf.reduce.return %s : i64
    }
  }
  return %r : i64
}

// CHECK:      func.func @r7(%[[N:\w+]]: index)
// CHECK-NEXT: %[[C0:\w+]] = arith.constant 0 : index
// CHECK-NEXT: %[[C1:\w+]] = arith.constant 1 : index
// CHECK:      kokkos.parallel_reduce "r7" #kokkos.mdrange<6, iterate = right> on <openmp>
// CHECK-NEXT: ^bb0({{(%\w+: index, )+}}%[[ACC:\w+]]: i64):
// CHECK-NEXT:   %[[L:\w+]] = scf.for %[[I6:\w+]] = %[[C0]] to %[[N]] step %[[C1]] iter_args(%[[A:\w+]] = %[[ACC]]) -> (i64) {
// CHECK-NEXT:     %[[V:\w+]] = arith.index_cast %[[I6]] : index to i64
// CHECK-NEXT:     %[[S:\w+]] = arith.addi %[[A]], %[[V]] : i64
// CHECK-NEXT:     scf.yield %[[S]] : i64
// CHECK-NEXT:   }
// CHECK-NEXT:   kokkos.yield %[[L]] : i64
