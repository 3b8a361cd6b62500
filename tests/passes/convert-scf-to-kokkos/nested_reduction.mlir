// RUN: hpcir opt %s -p 'kokkos-set-target{target=cpu},convert-scf-to-kokkos' --verify-upstream | filecheck %s
// A reduction nested in a launch becomes an scf.for with iter_args; the launches of one host program
// are numbered after it (two_0, two_1).

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
}

// CHECK:      func.func @two(%[[N:\w+]]: index, %[[A:\w+]]: memref<?x?xf32, #kokkos.space<host>>, %[[OUT:\w+]]: memref
// CHECK-NEXT: %[[C0:\w+]] = arith.constant 0 : index
// CHECK-NEXT: %[[C1:\w+]] = arith.constant 1 : index
// CHECK-NEXT: %[[Z:\w+]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT: kokkos.parallel_for "two_0" #kokkos.range on <openmp>(%[[C0]], %[[N]]) {
// CHECK-NEXT: ^bb0(%[[I:\w+]]: index):
// CHECK-NEXT:   %[[M:\w+]] = scf.for %[[J:\w+]] = %[[C0]] to %[[N]] step %[[C1]] iter_args(%[[ACC:\w+]] = %[[Z]]) -> (f32) {
// CHECK-NEXT:     %[[V:\w+]] = memref.load %[[A]][%[[I]], %[[J]]]
// CHECK-NEXT:     %[[S:\w+]] = arith.maximumf %[[ACC]], %[[V]] : f32
// CHECK-NEXT:     scf.yield %[[S]] : f32
// CHECK-NEXT:   }
// CHECK-NEXT:   memref.store %[[M]], %[[OUT]][%[[I]]]
// CHECK-NEXT:   kokkos.yield
// CHECK:      kokkos.parallel_for "two_1" #kokkos.range on <openmp>(%[[C0]], %[[N]]) {
