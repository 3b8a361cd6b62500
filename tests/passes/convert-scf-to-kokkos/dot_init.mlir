// RUN: hpcir opt %s -p 'kokkos-set-target{target=cpu},convert-scf-to-kokkos' --verify-upstream | filecheck %s
// A non-identity init is passed through: kokkos.parallel_reduce folds init into the result like
// scf.parallel, no extra ops needed.

func.func @dot(%lo: index, %hi: index, %x: memref<?xf64, #kokkos.space<device>>) -> f64
    attributes {kokkos.entry = #kokkos.entry<reduce>} {
  %c1 = arith.constant 1 : index
  %init = arith.constant 5.0 : f64
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

// CHECK:      %[[INIT:\w+]] = arith.constant 5.000000e+00 : f64
// CHECK-NEXT: %[[R:\w+]] = kokkos.parallel_reduce "dot" {{.*}} init(%[[INIT]] : f64) [#kokkos.reducer<sum>]
// CHECK:      } -> f64
// CHECK-NEXT: func.return %[[R]] : f64
