func.func @axpy(%lo: index, %hi: index, %x: memref<?xf64, #kokkos.space<host>>) attributes {kokkos.entry = #kokkos.entry<for>} {
  %c1 = arith.constant 1 : index
  scf.parallel (%i) = (%lo) to (%hi) step (%c1) {
    %v = memref.load %x[%i] : memref<?xf64, #kokkos.space<host>>
    memref.store %v, %x[%i] : memref<?xf64, #kokkos.space<host>>
  }
  return
}
