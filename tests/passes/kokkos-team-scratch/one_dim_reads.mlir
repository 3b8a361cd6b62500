// RUN: hpcir opt %s -p 'kokkos-set-target{target=cuda},kokkos-team-scratch' | filecheck %s
// Reads along one dimension only (the j +- 1 reads of five_point.mlir removed): nothing to gain, the
// launch is unchanged.

func.func @five(%l0: index, %l1: index, %h0: index, %h1: index,
                %u: memref<?x?xf32, strided<[1, ?]>, #kokkos.space<device>>,
                %v: memref<?x?xf32, strided<[1, ?]>, #kokkos.space<device>>) attributes {kokkos.entry = #kokkos.entry<for>} {
  "kokkos.parallel_for"(%l0, %l1, %h0, %h1) <{policy = #kokkos.mdrange<2, iterate = left, tile = [8, 4]>,
      exec_space = #kokkos.exec<cuda>, name = "five"}> ({
  ^bb0(%i: index, %j: index):
    %c1 = arith.constant 1 : index
    %im = arith.subi %i, %c1 : index
    %ip = arith.addi %i, %c1 : index
    %jm = arith.subi %j, %c1 : index
    %jp = arith.addi %c1, %j : index
    %a = memref.load %u[%im, %j] : memref<?x?xf32, strided<[1, ?]>, #kokkos.space<device>>
    %b = memref.load %u[%ip, %j] : memref<?x?xf32, strided<[1, ?]>, #kokkos.space<device>>
    %c = memref.load %u[%im, %j] : memref<?x?xf32, strided<[1, ?]>, #kokkos.space<device>>
    %d = memref.load %u[%ip, %j] : memref<?x?xf32, strided<[1, ?]>, #kokkos.space<device>>
    %s1 = arith.addf %a, %b : f32
    %s2 = arith.addf %c, %d : f32
    %s = arith.addf %s1, %s2 : f32
    memref.store %s, %v[%i, %j] : memref<?x?xf32, strided<[1, ?]>, #kokkos.space<device>>
    "kokkos.yield"() : () -> ()
  }) : (index, index, index, index) -> ()
  return
}

// CHECK-NOT: kokkos.team
// CHECK:     #kokkos.mdrange<2, iterate = left, tile = [8, 4]>
// CHECK-NOT: kokkos.team
