// RUN: hpcir opt %s -p 'kokkos-set-target{target=cuda},kokkos-team-scratch' | filecheck %s
// MDRange tile 32 x 32 (1024 points): its f32 halo box 34 x 34 (1156 points, 4.6 KB) fits the scratch
// budget, so it is the team tile.

func.func @five(%l0: index, %l1: index, %h0: index, %h1: index,
                %u: memref<?x?xf32, strided<[1, ?]>, #kokkos.space<device>>,
                %v: memref<?x?xf32, strided<[1, ?]>, #kokkos.space<device>>) attributes {kokkos.entry = #kokkos.entry<for>} {
  "kokkos.parallel_for"(%l0, %l1, %h0, %h1) <{policy = #kokkos.mdrange<2, iterate = left, tile = [32, 32]>,
      exec_space = #kokkos.exec<cuda>, name = "five"}> ({
  ^bb0(%i: index, %j: index):
    %c1 = arith.constant 1 : index
    %im = arith.subi %i, %c1 : index
    %ip = arith.addi %i, %c1 : index
    %jm = arith.subi %j, %c1 : index
    %jp = arith.addi %c1, %j : index
    %a = memref.load %u[%im, %j] : memref<?x?xf32, strided<[1, ?]>, #kokkos.space<device>>
    %b = memref.load %u[%ip, %j] : memref<?x?xf32, strided<[1, ?]>, #kokkos.space<device>>
    %c = memref.load %u[%i, %jm] : memref<?x?xf32, strided<[1, ?]>, #kokkos.space<device>>
    %d = memref.load %u[%i, %jp] : memref<?x?xf32, strided<[1, ?]>, #kokkos.space<device>>
    %s1 = arith.addf %a, %b : f32
    %s2 = arith.addf %c, %d : f32
    %s = arith.addf %s1, %s2 : f32
    memref.store %s, %v[%i, %j] : memref<?x?xf32, strided<[1, ?]>, #kokkos.space<device>>
    "kokkos.yield"() : () -> ()
  }) : (index, index, index, index) -> ()
  return
}

// CHECK: arith.constant 1156 : index
