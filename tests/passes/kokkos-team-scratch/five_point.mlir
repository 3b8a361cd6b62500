// RUN: hpcir opt %s -p 'kokkos-set-target{target=cuda},kokkos-team-scratch' --verify-upstream | filecheck %s
// A five-point stencil (index-typed subscripts, f32) on a GPU target becomes a team launch: the MDRange
// tile [8, 4] is the team tile (32 threads), its halo box 10 x 6 (60 points) is staged into team scratch,
// a barrier, then the stencil reads the scratch tile instead of global memory.

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

// CHECK:      %[[T0:\w+]] = arith.constant 8 : index
// CHECK-NEXT: %[[T1:\w+]] = arith.constant 4 : index
// CHECK:      %[[LEAGUE:\w+]] = arith.muli
// CHECK-NEXT: %[[TEAM:\w+]] = arith.constant 32 : index
// CHECK:      %[[S0:\w+]] = arith.constant 10 : index
// CHECK-NEXT: %[[S1:\w+]] = arith.constant 6 : index
// CHECK-NEXT: %[[HALO:\w+]] = arith.constant 60 : index
// CHECK:      kokkos.parallel_for "five" #kokkos.team<scratch_bytes = 0> on <cuda>(%[[LEAGUE]], %[[TEAM]], %{{\w+}})
// CHECK:        %u_tile = kokkos.scratch_alloc %{{\w+}}(%[[S0]], %[[S1]]) level 0 : memref<?x?xf32, strided<[1, ?]>, #kokkos.space<scratch>>
// CHECK-NEXT:   kokkos.team_thread_range %{{\w+}}(%{{\w+}}, %[[HALO]])
// CHECK:          scf.if
// CHECK-NEXT:       memref.load %u[
// CHECK-NEXT:       memref.store {{.*}}, %u_tile[
// CHECK:        kokkos.team_barrier
// CHECK-NEXT:   kokkos.team_thread_range
// CHECK-NOT:    memref.load %u[
// CHECK:          %a = memref.load %u_tile[
// CHECK:          %b = memref.load %u_tile[
// CHECK:          %c = memref.load %u_tile[
// CHECK:          %d = memref.load %u_tile[
// CHECK-NOT:      arith.subi
// CHECK:          memref.store %s, %v[
