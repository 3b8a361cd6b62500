// RUN: hpcir opt %s -p 'kokkos-set-target{target=cpu},kokkos-tile{cache_bytes=1048576}' --verify-upstream | filecheck %s
// A tile the user chose (kokkos.user_tile) is kept.

func.func @k(%lo0: index, %lo1: index, %hi0: index, %hi1: index, %A: memref<?x?xf64, #kokkos.space<host>>, %B: memref<?x?xf64, #kokkos.space<host>>) attributes {kokkos.entry = #kokkos.entry<for>} {
  %two = arith.constant 2.0 : f64
  "kokkos.parallel_for"(%lo0, %lo1, %hi0, %hi1) <{policy = #kokkos.mdrange<2, iterate = right, tile = [3, 5]>,
      exec_space = #kokkos.exec<openmp>, name = "k"}> ({
  ^bb0(%i0: index, %i1: index):
    %x = memref.load %A[%i0, %i1] : memref<?x?xf64, #kokkos.space<host>>
    %w = arith.mulf %x, %two : f64
    memref.store %w, %B[%i0, %i1] : memref<?x?xf64, #kokkos.space<host>>
    "kokkos.yield"() : () -> ()
  }) {kokkos.user_tile} : (index, index, index, index) -> ()
  return
}

// CHECK: tile = [3, 5]
