// RUN: hpcir opt %s -p 'kokkos-set-target{target=cuda},kokkos-team-scratch{tile=128,48}' | filecheck %s
// An explicit f64 tile of 128 x 48 needs 130 x 50 x 8 B = 52 KB > 48 KiB of scratch: the launch is left
// alone.

func.func @five(%l0: index, %l1: index, %h0: index, %h1: index,
                %u: memref<?x?xf64, strided<[1, ?]>, #kokkos.space<device>>,
                %v: memref<?x?xf64, strided<[1, ?]>, #kokkos.space<device>>) attributes {kokkos.entry = #kokkos.entry<for>} {
  "kokkos.parallel_for"(%l0, %l1, %h0, %h1) <{policy = #kokkos.mdrange<2, iterate = left, tile = [8, 4]>,
      exec_space = #kokkos.exec<cuda>, name = "five"}> ({
  ^bb0(%i: index, %j: index):
    %c1 = arith.constant 1 : index
    %im = arith.subi %i, %c1 : index
    %ip = arith.addi %i, %c1 : index
    %jm = arith.subi %j, %c1 : index
    %jp = arith.addi %c1, %j : index
    %a = memref.load %u[%im, %j] : memref<?x?xf64, strided<[1, ?]>, #kokkos.space<device>>
    %b = memref.load %u[%ip, %j] : memref<?x?xf64, strided<[1, ?]>, #kokkos.space<device>>
    %c = memref.load %u[%i, %jm] : memref<?x?xf64, strided<[1, ?]>, #kokkos.space<device>>
    %d = memref.load %u[%i, %jp] : memref<?x?xf64, strided<[1, ?]>, #kokkos.space<device>>
    %s1 = arith.addf %a, %b : f64
    %s2 = arith.addf %c, %d : f64
    %s = arith.addf %s1, %s2 : f64
    memref.store %s, %v[%i, %j] : memref<?x?xf64, strided<[1, ?]>, #kokkos.space<device>>
    "kokkos.yield"() : () -> ()
  }) : (index, index, index, index) -> ()
  return
}

// CHECK-NOT: kokkos.team
// CHECK:     kokkos.mdrange
// CHECK-NOT: kokkos.team
