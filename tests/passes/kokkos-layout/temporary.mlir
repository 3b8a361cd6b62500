// RUN: hpcir opt %s -p 'kokkos-set-target{target=cuda},kokkos-layout' --verify-upstream | filecheck %s
// RUN: hpcir opt %s -p 'kokkos-set-target{target=cpu},kokkos-layout' | filecheck %s --check-prefix=HOST
// A LayoutRight temporary T used only by element accesses becomes LayoutLeft on a GPU target, its
// strides (1, n0, n0*n1) the alloc's symbol operands; host targets keep it LayoutRight.

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
  memref.dealloc %T : memref<?x?x4xf64, #kokkos.space<device>>
  return
}

// CHECK:      func.func @twice({{.*}}%[[N0:\w+]]: index, %[[N1:\w+]]: index, %{{\w+}}: memref
// CHECK:      %[[S:\w+]] = arith.muli %[[N0]], %[[N1]] : index
// CHECK-NEXT: %[[T:\w+]] = memref.alloc(%[[N0]], %[[N1]])[%[[N0]], %[[S]]] : memref<?x?x4xf64, strided<[1, ?, ?]>, #kokkos.space<device>>
// CHECK:      memref.store {{.*}}, %[[T]][{{.*}}] : memref<?x?x4xf64, strided<[1, ?, ?]>, #kokkos.space<device>>
// CHECK:      memref.load %[[T]][{{.*}}] : memref<?x?x4xf64, strided<[1, ?, ?]>, #kokkos.space<device>>
// CHECK:      memref.dealloc %[[T]] : memref<?x?x4xf64, strided<[1, ?, ?]>, #kokkos.space<device>>

// HOST-NOT: strided
// HOST:     memref.dealloc
// HOST-NOT: strided
