// RUN: hpcir opt %s -p 'kokkos-set-target{target=cuda},kokkos-layout' | filecheck %s
// A temporary with a use other than element accesses (memref.cast) keeps LayoutRight.

func.func @twice(%l0: index, %l1: index, %h0: index, %h1: index, %n0: index, %n1: index,
                 %A: memref<?x?xf64, #kokkos.space<device>>, %B: memref<?x?xf64, #kokkos.space<device>>)
    attributes {kokkos.entry = #kokkos.entry<for>} {
  %T = memref.alloc(%n0, %n1) : memref<?x?x4xf64, #kokkos.space<device>>
  "kokkos.parallel_for"(%l0, %l1, %h0, %h1) <{policy = #kokkos.mdrange<2, iterate = right>,
      exec_space = #kokkos.exec<cuda>, name = "produce"}> ({
  ^bb0(%i: index, %j: index):
    %c0 = arith.constant 0 : index
    %x = memref.load %A[%i, %j] : memref<?x?xf64, #kokkos.space<device>>
    memref.store %x, %T[%i, %j, %c0] : memref<?x?x4xf64, #kokkos.space<device>>
    "kokkos.yield"() : () -> ()
  }) : (index, index, index, index) -> ()
  "kokkos.parallel_for"(%l0, %l1, %h0, %h1) <{policy = #kokkos.mdrange<2, iterate = right>,
      exec_space = #kokkos.exec<cuda>, name = "consume"}> ({
  ^bb0(%i: index, %j: index):
    %c0 = arith.constant 0 : index
    %t = memref.load %T[%i, %j, %c0] : memref<?x?x4xf64, #kokkos.space<device>>
    memref.store %t, %B[%i, %j] : memref<?x?xf64, #kokkos.space<device>>
    "kokkos.yield"() : () -> ()
  }) : (index, index, index, index) -> ()
  %c = memref.cast %T : memref<?x?x4xf64, #kokkos.space<device>> to memref<?x?x4xf64, #kokkos.space<device>>
  memref.dealloc %T : memref<?x?x4xf64, #kokkos.space<device>>
  return
}

// CHECK-NOT: strided
// CHECK:     memref.dealloc
// CHECK-NOT: strided
