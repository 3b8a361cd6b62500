// RUN: hpcir opt %s -p 'kokkos-set-target{target=cuda},kokkos-layout' --verify-upstream | filecheck %s
// An entry called inside the module keeps its signature: its views keep their layout.

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

func.func @host(%n: index, %A: memref<?x?xf64, #kokkos.space<device>>, %v: memref<?xf64, #kokkos.space<device>>)
    attributes {kokkos.host_program} {
  %a = arith.constant 2.0 : f64
  func.call @scale(%n, %n, %n, %n, %a, %A, %A, %v) : (index, index, index, index, f64,
      memref<?x?xf64, #kokkos.space<device>>, memref<?x?xf64, #kokkos.space<device>>,
      memref<?xf64, #kokkos.space<device>>) -> ()
  return
}

// CHECK-NOT: strided
// CHECK:     func.func @host(
// CHECK-NOT: strided
