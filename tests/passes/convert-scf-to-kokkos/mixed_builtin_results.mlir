// RUN: hpcir opt %s -p 'kokkos-set-target{target=cpu},convert-scf-to-kokkos' --verify-upstream | filecheck %s
// Three accumulators of three types, each with its own built-in reducer (what a kernel with
// `e: Acc[float], n: Acc[int], hit: Acc[bool]` and reducer=("sum", "max", "lor") lowers to): one
// launch, one reducer per result in operand order, one block argument per accumulator, no join region.

func.func @energy(%n: index, %x: memref<?xf64, #kokkos.space<host>>, %k: memref<?xi64, #kokkos.space<host>>)
    -> (f64, i64, i1) attributes {kokkos.entry = #kokkos.entry<reduce>} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %z = arith.constant 0.0 : f64
  %lo = arith.constant -9223372036854775808 : i64
  %f = arith.constant false
  %e, %m, %hit = scf.parallel (%i) = (%c0) to (%n) step (%c1) init (%z, %lo, %f) -> (f64, i64, i1) {
    %v = memref.load %x[%i] : memref<?xf64, #kokkos.space<host>>
    %w = memref.load %k[%i] : memref<?xi64, #kokkos.space<host>>
    %p = arith.cmpf ogt, %v, %z : f64
    scf.reduce(%v, %w, %p : f64, i64, i1) {
    ^bb0(%a: f64, %b: f64):
      %s = arith.addf %a, %b : f64
      scf.reduce.return %s : f64
    }, {
    ^bb0(%a: i64, %b: i64):
      %s = arith.maxsi %a, %b : i64
      scf.reduce.return %s : i64
    }, {
    ^bb0(%a: i1, %b: i1):
      %s = arith.ori %a, %b : i1
      scf.reduce.return %s : i1
    }
  }
  return %e, %m, %hit : f64, i64, i1
}

// CHECK:      func.func @energy(%[[N:\w+]]: index, %[[X:\w+]]: memref<?xf64, #kokkos.space<host>>, %[[K:\w+]]: memref<?xi64, #kokkos.space<host>>)
// CHECK:      %[[Z:\w+]] = arith.constant 0.000000e+00 : f64
// CHECK-NEXT: %[[LO:\w+]] = arith.constant -9223372036854775808 : i64
// CHECK-NEXT: %[[F:\w+]] = arith.constant false
// CHECK-NEXT: %[[E:\w+]], %[[M:\w+]], %[[H:\w+]] = kokkos.parallel_reduce "energy" #kokkos.range on <openmp>(%{{\w+}}, %[[N]]) init(%[[Z]], %[[LO]], %[[F]] : f64, i64, i1) [#kokkos.reducer<sum>, #kokkos.reducer<max>, #kokkos.reducer<lor>] {
// CHECK-NEXT: ^{{bb[0-9]+}}(%{{\w+}}: index, %{{\w+}}: f64, %{{\w+}}: i64, %{{\w+}}: i1):
// CHECK:      kokkos.yield %{{\w+}}, %{{\w+}}, %{{\w+}} : f64, i64, i1
// CHECK-NEXT: } -> f64, i64, i1
// CHECK-NOT:  join
// CHECK:      func.return %[[E]], %[[M]], %[[H]] : f64, i64, i1
