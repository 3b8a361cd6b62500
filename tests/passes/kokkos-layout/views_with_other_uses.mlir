// RUN: hpcir opt %s -p 'kokkos-set-target{target=cuda},kokkos-layout' --verify-upstream | filecheck %s
// A layout-free view with a use other than element accesses (the memref.cast of %B) keeps its layout.

func.func @scale(%l0: index, %l1: index, %h0: index, %h1: index, %a: f64,
                 %A: memref<?x?xf64, #kokkos.space<device>>, %B: memref<?x?xf64, #kokkos.space<device>>,
                 %v: memref<?xf64, #kokkos.space<device>>) attributes {kokkos.entry = #kokkos.entry<for>, kokkos.layout_free} {
  "kokkos.parallel_for"(%l0, %l1, %h0, %h1) <{policy = #kokkos.mdrange<2, iterate = right>,
      exec_space = #kokkos.exec<cuda>, name = "scale"}> ({
  ^bb0(%i: index, %j: index):
    %x = memref.load %A[%i, %j] : memref<?x?xf64, #kokkos.space<device>>
    %w = arith.mulf %x, %a : f64
    memref.store %w, %B[%i, %j] : memref<?x?xf64, #kokkos.space<device>>
    "kokkos.yield"() : () -> ()
  }) : (index, index, index, index) -> ()
  %c = memref.cast %B : memref<?x?xf64, #kokkos.space<device>> to memref<?x?xf64, #kokkos.space<device>>
  return
}

// CHECK: func.func @scale({{.*}}%[[A:\w+]]: memref<?x?xf64, strided<[1, ?]>, #kokkos.space<device>>, %[[B:\w+]]: memref<?x?xf64, #kokkos.space<device>>, %[[V:\w+]]: memref<?xf64
