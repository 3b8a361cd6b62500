// RUN: hpcir opt %s -p 'kokkos-set-target{target=cuda},kokkos-memory-spaces,convert-scf-to-kokkos' --verify-upstream | filecheck %s
// A sum reduction whose init is the identity: kokkos.parallel_reduce with the sum reducer; the body
// adds its contribution to Kokkos' running partial and yields it.

func.func @dot(%lo: index, %hi: index, %x: memref<?xf64, #kokkos.space<device>>) -> f64
    attributes {kokkos.entry = #kokkos.entry<reduce>} {
  %c1 = arith.constant 1 : index
  %init = arith.constant 0.0 : f64
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

// CHECK:      func.func @dot(%[[LO:\w+]]: index, %[[HI:\w+]]: index, %[[X:\w+]]: memref
// CHECK:      %[[Z:\w+]] = arith.constant 0.000000e+00 : f64
// CHECK-NEXT: %[[R:\w+]] = kokkos.parallel_reduce "dot" #kokkos.range on <cuda>(%[[LO]], %[[HI]]) init(%[[Z]] : f64) [#kokkos.reducer<sum>] {
// CHECK-NEXT: ^bb0(%[[I:\w+]]: index, %[[ACC:\w+]]: f64):
// CHECK-NEXT:   %[[XI:\w+]] = memref.load %[[X]][%[[I]]]
// CHECK-NEXT:   %[[SQ:\w+]] = arith.mulf %[[XI]], %[[XI]] : f64
// CHECK-NEXT:   %[[NEW:\w+]] = arith.addf %[[ACC]], %[[SQ]] : f64
// CHECK-NEXT:   kokkos.yield %[[NEW]] : f64
// CHECK-NEXT: } -> f64
// CHECK-NEXT: func.return %[[R]] : f64
