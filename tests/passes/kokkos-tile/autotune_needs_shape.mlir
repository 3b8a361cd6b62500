// RUN: not hpcir opt %s -p 'kokkos-set-target{target=cpu},kokkos-tile{autotune=true}' 2>&1 | filecheck %s
// The autotuner times candidate tiles on the iteration space: with non-constant bounds it needs shape=.

func.func @k(%lo0: index, %lo1: index, %hi0: index, %hi1: index, %A: memref<?x?xf64, #kokkos.space<host>>, %B: memref<?x?xf64, #kokkos.space<host>>) attributes {kokkos.entry = #kokkos.entry<for>} {
  %two = arith.constant 2.0 : f64
  "kokkos.parallel_for"(%lo0, %lo1, %hi0, %hi1) <{policy = #kokkos.mdrange<2, iterate = right>,
      exec_space = #kokkos.exec<openmp>, name = "k"}> ({
  ^bb0(%i0: index, %i1: index):
    %x = memref.load %A[%i0, %i1] : memref<?x?xf64, #kokkos.space<host>>
    %w = arith.mulf %x, %two : f64
    memref.store %w, %B[%i0, %i1] : memref<?x?xf64, #kokkos.space<host>>
    "kokkos.yield"() : () -> ()
  }) : (index, index, index, index) -> ()
  return
}

// CHECK: shape
