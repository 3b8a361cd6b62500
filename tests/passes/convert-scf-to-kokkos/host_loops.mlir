// RUN: hpcir opt %s -p 'kokkos-set-target{target=cpu},convert-scf-to-kokkos' --verify-upstream | filecheck %s
// An scf.parallel inside a host scf.for becomes a launch inside the loop; an scf.parallel inside a
// launch written at L3 becomes a sequential scf.for (the L3 launch keeps its execution space).

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
}

// CHECK:      scf.for
// CHECK-NEXT:   kokkos.parallel_for "prog" #kokkos.range on <openmp>
// CHECK:      kokkos.parallel_for "direct" #kokkos.range on <serial>
// CHECK-NEXT: ^bb0(%[[I:\w+]]: index):
// CHECK-NEXT:   scf.for %[[J:\w+]] =
// CHECK-NOT:  scf.parallel
