// RUN: hpcir opt %s -p 'kokkos-set-target{target=cpu},kokkos-layout' | filecheck %s
// LayoutLeft views get left iteration even on a host target.

func.func @scale(%l0: index, %l1: index, %h0: index, %h1: index, %a: f64,
                 %A: memref<?x?xf64, strided<[1, ?]>, #kokkos.space<device>>, %B: memref<?x?xf64, strided<[1, ?]>, #kokkos.space<device>>,
                 %v: memref<?xf64, #kokkos.space<device>>) attributes {kokkos.entry = #kokkos.entry<for>} {
  "kokkos.parallel_for"(%l0, %l1, %h0, %h1) <{policy = #kokkos.mdrange<2, iterate = right>,
      exec_space = #kokkos.exec<cuda>, name = "scale"}> ({
  ^bb0(%i: index, %j: index):
    %x = memref.load %A[%i, %j] : memref<?x?xf64, strided<[1, ?]>, #kokkos.space<device>>
    %w = arith.mulf %x, %a : f64
    memref.store %w, %B[%i, %j] : memref<?x?xf64, strided<[1, ?]>, #kokkos.space<device>>
    "kokkos.yield"() : () -> ()
  }) : (index, index, index, index) -> ()
  return
}

// CHECK: #kokkos.mdrange<2, iterate = left> on <cuda>
