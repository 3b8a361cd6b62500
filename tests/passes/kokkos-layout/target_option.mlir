// RUN: hpcir opt %s --target hip -p 'convert-scf-to-kokkos,kokkos-layout,canonicalize,cse' --verify-upstream | filecheck %s
// `hpcir opt --target` stamps the target before the pipeline: both convert-scf-to-kokkos and
// kokkos-layout see it (LayoutLeft views, left iteration with the GPU tile, on <hip>).

func.func @k(%l0: index, %l1: index, %h0: index, %h1: index, %A: memref<?x?xf32, #kokkos.space<device>>)
    attributes {kokkos.entry = #kokkos.entry<for>, kokkos.layout_free} {
  %c1 = arith.constant 1 : index
  scf.parallel (%i, %j) = (%l0, %l1) to (%h0, %h1) step (%c1, %c1) {
    %x = memref.load %A[%i, %j] : memref<?x?xf32, #kokkos.space<device>>
    memref.store %x, %A[%j, %i] : memref<?x?xf32, #kokkos.space<device>>
    scf.reduce
  }
  return
}

// CHECK: memref<?x?xf32, strided<[1, ?]>, #kokkos.space<device>>
// CHECK: #kokkos.mdrange<2, iterate = left, tile = [64, 4]> on <hip>
