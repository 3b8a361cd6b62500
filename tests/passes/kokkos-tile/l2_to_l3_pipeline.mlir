// RUN: hpcir opt %s --target cuda -p 'kokkos-fuse,convert-scf-to-kokkos,kokkos-layout,kokkos-tile,canonicalize' --verify-upstream | filecheck %s
// L2 through convert-scf-to-kokkos, kokkos-layout and kokkos-tile: LayoutLeft views, left iteration,
// the GPU tile.

func.func @k(%l0: index, %l1: index, %h0: index, %h1: index, %A: memref<?x?xf64, #kokkos.space<device>>,
             %B: memref<?x?xf64, #kokkos.space<device>>)
    attributes {kokkos.entry = #kokkos.entry<for>, kokkos.layout_free} {
  %c1 = arith.constant 1 : index
  scf.parallel (%i, %j) = (%l0, %l1) to (%h0, %h1) step (%c1, %c1) {
    %x = memref.load %A[%i, %j] : memref<?x?xf64, #kokkos.space<device>>
    memref.store %x, %B[%i, %j] : memref<?x?xf64, #kokkos.space<device>>
    scf.reduce
  }
  return
}

// CHECK: #kokkos.mdrange<2, iterate = left, tile = [64, 4]> on <cuda>
