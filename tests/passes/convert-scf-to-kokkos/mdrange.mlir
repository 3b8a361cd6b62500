// RUN: hpcir opt %s -p 'kokkos-set-target{target=cuda},kokkos-memory-spaces,convert-scf-to-kokkos' --verify-upstream | filecheck %s
// RUN: hpcir opt %s -p 'kokkos-set-target{target=cpu},kokkos-memory-spaces,convert-scf-to-kokkos' | filecheck %s --check-prefix=CPU
// A 2-d scf.parallel becomes an MDRange launch: the step-3 dimension is normalised to a unit-step
// trip count (the index rebuilt in the body), the nested scf.parallel becomes a sequential scf.for.
// GPU targets iterate left with a tile, host targets iterate right.

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

// CHECK:      func.func @md(%[[L0:\w+]]: index, %[[L1:\w+]]: index, %[[H0:\w+]]: index, %[[H1:\w+]]: index, %[[A:\w+]]: memref
// CHECK-NEXT: %[[C1:\w+]] = arith.constant 1 : index
// CHECK-NEXT: %[[C3:\w+]] = arith.constant 3 : index
// CHECK-NEXT: %[[ONE:\w+]] = arith.constant 1 : index
// CHECK-NEXT: %[[ZERO:\w+]] = arith.constant 0 : index
// CHECK-NEXT: %[[SPAN:\w+]] = arith.subi %[[H1]], %[[L1]] : index
// CHECK-NEXT: %[[SM1:\w+]] = arith.subi %[[C3]], %[[ONE]] : index
// CHECK-NEXT: %[[UP:\w+]] = arith.addi %[[SPAN]], %[[SM1]] : index
// CHECK-NEXT: %[[TRIPS:\w+]] = arith.divsi %[[UP]], %[[C3]] : index
// CHECK-NEXT: %[[N:\w+]] = arith.maxsi %[[TRIPS]], %[[ZERO]] : index
// CHECK-NEXT: kokkos.parallel_for "md" #kokkos.mdrange<2, iterate = left, tile = [64, 4]> on <cuda>(%[[L0]], %[[ZERO]], %[[H0]], %[[N]]) {
// CHECK-NEXT: ^bb0(%[[I:\w+]]: index, %[[K:\w+]]: index):
// CHECK-NEXT:   %[[S:\w+]] = arith.muli %[[K]], %[[C3]] : index
// CHECK-NEXT:   %[[J:\w+]] = arith.addi %[[L1]], %[[S]] : index
// CHECK-NEXT:   memref.load %[[A]][%[[I]], %[[J]]]
// CHECK-NEXT:   scf.for %[[KK:\w+]] = %[[L0]] to %[[H0]] step %[[C1]] {
// CHECK-NEXT:     memref.store {{.*}}, %[[A]][%[[KK]], %[[J]]]
// CHECK-NEXT:   }
// CHECK-NEXT:   kokkos.yield
// CHECK-NOT:  scf.parallel

// CPU: #kokkos.mdrange<2, iterate = right> on <openmp>
