// RUN: not hpcir opt %s -p 'kokkos-set-target{target=cuda},kokkos-tile{autotune=true shape=8x8}' 2>&1 | filecheck %s
// The autotuner refuses a target this machine cannot run.

func.func @k(%lo0: index, %lo1: index, %hi0: index, %hi1: index, %A: memref<?x?xf64, #kokkos.space<device>>, %B: memref<?x?xf64, #kokkos.space<device>>) attributes {kokkos.entry = #kokkos.entry<for>} {
  %two = arith.constant 2.0 : f64
  "kokkos.parallel_for"(%lo0, %lo1, %hi0, %hi1) <{policy = #kokkos.mdrange<2, iterate = right>,
      exec_space = #kokkos.exec<cuda>, name = "k"}> ({
  ^bb0(%i0: index, %i1: index):
    %x = memref.load %A[%i0, %i1] : memref<?x?xf64, #kokkos.space<device>>
    %w = arith.mulf %x, %two : f64
    memref.store %w, %B[%i0, %i1] : memref<?x?xf64, #kokkos.space<device>>
    "kokkos.yield"() : () -> ()
  }) : (index, index, index, index) -> ()
  return
}

// CHECK: autotune
