// RUN: hpcir opt %s -p 'kokkos-set-target{target=cuda},kokkos-layout' --verify-upstream | filecheck %s
// RUN: hpcir opt %s -p 'kokkos-set-target{target=cpu},kokkos-layout' | filecheck %s --check-prefix=HOST
// RUN: hpcir opt %s -p 'kokkos-set-target{target=serial},kokkos-layout' | filecheck %s --check-prefix=HOST
// On a GPU target the layout-free entry views accessed only element-wise become LayoutLeft
// (strided<[1, ?]>) and the MDRange iterates left with the GPU tile; host targets keep LayoutRight
// and the launch as it was.

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
  return
}

// CHECK:      func.func @scale({{.*}}%[[A:\w+]]: memref<?x?xf64, strided<[1, ?]>, #kokkos.space<device>>, %[[B:\w+]]: memref<?x?xf64, strided<[1, ?]>, #kokkos.space<device>>, %[[V:\w+]]: memref<?xf64, #kokkos.space<device>>)
// CHECK:      kokkos.parallel_for "scale" #kokkos.mdrange<2, iterate = left, tile = [64, 4]> on <cuda>
// CHECK:        memref.load %[[A]][{{.*}}] : memref<?x?xf64, strided<[1, ?]>, #kokkos.space<device>>
// CHECK:        memref.store {{.*}}, %[[B]][{{.*}}] : memref<?x?xf64, strided<[1, ?]>, #kokkos.space<device>>

// HOST-NOT: strided
// HOST:     #kokkos.mdrange<2, iterate = right> on <cuda>
// HOST-NOT: strided
