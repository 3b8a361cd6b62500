// RUN: hpcir opt %s -p 'kokkos-set-target{target=cpu},kokkos-memory-spaces,convert-scf-to-kokkos' --verify-upstream | filecheck %s
// RUN: hpcir opt %s -p 'kokkos-set-target{target=serial},kokkos-memory-spaces,convert-scf-to-kokkos' | filecheck %s --check-prefix=SERIAL
// RUN: hpcir opt %s -p 'kokkos-set-target{target=cuda},kokkos-memory-spaces,convert-scf-to-kokkos' | filecheck %s --check-prefix=CUDA
// RUN: hpcir opt %s -p 'kokkos-set-target{target=hip},kokkos-memory-spaces,convert-scf-to-kokkos' | filecheck %s --check-prefix=HIP
// RUN: hpcir opt %s -p 'kokkos-set-target{target=cpu},convert-scf-to-kokkos' | filecheck %s --check-prefix=HELPER
// RUN: not hpcir opt %s -p 'kokkos-set-target{target=cuda},convert-scf-to-kokkos' 2>&1 | filecheck %s --check-prefix=REFUSED
// An entry's scf.parallel becomes a range kokkos.parallel_for on the target's execution space (openmp,
// serial, cuda, hip); a function without kokkos markers (@helper) keeps its scf.parallel. On a GPU target
// the host-space views must first move to device memory (kokkos-memory-spaces): without that pass the
// launch is refused with a diagnostic.

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

// CHECK:       func.func @axpy(%[[B:\w+]]: i64, %[[E:\w+]]: i64, %[[A:\w+]]: f64, %[[X:\w+]]: memref<?xf64, #kokkos.space<host>>, %[[Y:\w+]]: memref
// CHECK:       %[[LO:\w+]] = arith.index_cast %[[B]]
// CHECK-NEXT:  %[[HI:\w+]] = arith.index_cast %[[E]]
// CHECK:       kokkos.parallel_for "axpy" #kokkos.range on <openmp>(%[[LO]], %[[HI]]) {
// CHECK-NEXT:  ^bb0(%[[I:\w+]]: index):
// CHECK-NEXT:    memref.load %[[X]][%[[I]]]
// CHECK:         memref.store {{.*}}, %[[Y]][%[[I]]]
// CHECK-NEXT:    kokkos.yield
// CHECK-NEXT:  }
// CHECK-NEXT:  func.return
// CHECK-LABEL: func.func @helper(
// CHECK:       "scf.parallel"

// SERIAL: kokkos.parallel_for "axpy" #kokkos.range on <serial>

// CUDA-NOT: #kokkos.space<host>
// CUDA:     #kokkos.space<device>
// CUDA-NOT: #kokkos.space<host>
// CUDA:     kokkos.parallel_for "axpy" #kokkos.range on <cuda>
// CUDA-NOT: #kokkos.space<host>

// HIP: kokkos.parallel_for "axpy" #kokkos.range on <hip>

// HELPER:     @helper
// HELPER-NOT: kokkos.
// HELPER:     "scf.parallel"
// HELPER-NOT: kokkos.

// REFUSED: cuda launch would access the host-space view
// REFUSED: hint: {{.*}}kokkos-memory-spaces
