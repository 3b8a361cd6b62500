// RUN: hpcir opt %s -p 'kokkos-set-target{target=cuda},kokkos-tile' --verify-upstream | filecheck %s
// GPU tiles put 64 on the fastest dimension (the first when iterating left, the last when right),
// then 4, 2, 1.

func.func @g_left2(%lo0: index, %lo1: index, %hi0: index, %hi1: index, %A: memref<?x?xf64, #kokkos.space<device>>, %B: memref<?x?xf64, #kokkos.space<device>>) attributes {kokkos.entry = #kokkos.entry<for>} {
  %two = arith.constant 2.0 : f64
  "kokkos.parallel_for"(%lo0, %lo1, %hi0, %hi1) <{policy = #kokkos.mdrange<2, iterate = left>,
      exec_space = #kokkos.exec<cuda>, name = "g_left2"}> ({
  ^bb0(%i0: index, %i1: index):
    %x = memref.load %A[%i0, %i1] : memref<?x?xf64, #kokkos.space<device>>
    %w = arith.mulf %x, %two : f64
    memref.store %w, %B[%i0, %i1] : memref<?x?xf64, #kokkos.space<device>>
    "kokkos.yield"() : () -> ()
  }) : (index, index, index, index) -> ()
  return
}
func.func @g_right2(%lo0: index, %lo1: index, %hi0: index, %hi1: index, %A: memref<?x?xf64, #kokkos.space<device>>, %B: memref<?x?xf64, #kokkos.space<device>>) attributes {kokkos.entry = #kokkos.entry<for>} {
  %two = arith.constant 2.0 : f64
  "kokkos.parallel_for"(%lo0, %lo1, %hi0, %hi1) <{policy = #kokkos.mdrange<2, iterate = right>,
      exec_space = #kokkos.exec<cuda>, name = "g_right2"}> ({
  ^bb0(%i0: index, %i1: index):
    %x = memref.load %A[%i0, %i1] : memref<?x?xf64, #kokkos.space<device>>
    %w = arith.mulf %x, %two : f64
    memref.store %w, %B[%i0, %i1] : memref<?x?xf64, #kokkos.space<device>>
    "kokkos.yield"() : () -> ()
  }) : (index, index, index, index) -> ()
  return
}
func.func @g_left3(%lo0: index, %lo1: index, %lo2: index, %hi0: index, %hi1: index, %hi2: index, %A: memref<?x?x?xf64, #kokkos.space<device>>, %B: memref<?x?x?xf64, #kokkos.space<device>>) attributes {kokkos.entry = #kokkos.entry<for>} {
  %two = arith.constant 2.0 : f64
  "kokkos.parallel_for"(%lo0, %lo1, %lo2, %hi0, %hi1, %hi2) <{policy = #kokkos.mdrange<3, iterate = left>,
      exec_space = #kokkos.exec<cuda>, name = "g_left3"}> ({
  ^bb0(%i0: index, %i1: index, %i2: index):
    %x = memref.load %A[%i0, %i1, %i2] : memref<?x?x?xf64, #kokkos.space<device>>
    %w = arith.mulf %x, %two : f64
    memref.store %w, %B[%i0, %i1, %i2] : memref<?x?x?xf64, #kokkos.space<device>>
    "kokkos.yield"() : () -> ()
  }) : (index, index, index, index, index, index) -> ()
  return
}
func.func @g_right3(%lo0: index, %lo1: index, %lo2: index, %hi0: index, %hi1: index, %hi2: index, %A: memref<?x?x?xf64, #kokkos.space<device>>, %B: memref<?x?x?xf64, #kokkos.space<device>>) attributes {kokkos.entry = #kokkos.entry<for>} {
  %two = arith.constant 2.0 : f64
  "kokkos.parallel_for"(%lo0, %lo1, %lo2, %hi0, %hi1, %hi2) <{policy = #kokkos.mdrange<3, iterate = right>,
      exec_space = #kokkos.exec<cuda>, name = "g_right3"}> ({
  ^bb0(%i0: index, %i1: index, %i2: index):
    %x = memref.load %A[%i0, %i1, %i2] : memref<?x?x?xf64, #kokkos.space<device>>
    %w = arith.mulf %x, %two : f64
    memref.store %w, %B[%i0, %i1, %i2] : memref<?x?x?xf64, #kokkos.space<device>>
    "kokkos.yield"() : () -> ()
  }) : (index, index, index, index, index, index) -> ()
  return
}
func.func @g_left4(%lo0: index, %lo1: index, %lo2: index, %lo3: index, %hi0: index, %hi1: index, %hi2: index, %hi3: index, %A: memref<?x?x?x?xf64, #kokkos.space<device>>, %B: memref<?x?x?x?xf64, #kokkos.space<device>>) attributes {kokkos.entry = #kokkos.entry<for>} {
  %two = arith.constant 2.0 : f64
  "kokkos.parallel_for"(%lo0, %lo1, %lo2, %lo3, %hi0, %hi1, %hi2, %hi3) <{policy = #kokkos.mdrange<4, iterate = left>,
      exec_space = #kokkos.exec<cuda>, name = "g_left4"}> ({
  ^bb0(%i0: index, %i1: index, %i2: index, %i3: index):
    %x = memref.load %A[%i0, %i1, %i2, %i3] : memref<?x?x?x?xf64, #kokkos.space<device>>
    %w = arith.mulf %x, %two : f64
    memref.store %w, %B[%i0, %i1, %i2, %i3] : memref<?x?x?x?xf64, #kokkos.space<device>>
    "kokkos.yield"() : () -> ()
  }) : (index, index, index, index, index, index, index, index) -> ()
  return
}

// CHECK-LABEL: func.func @g_left2(
// CHECK:       iterate = left, tile = [64, 4]

// CHECK-LABEL: func.func @g_right2(
// CHECK:       iterate = right, tile = [4, 64]

// CHECK-LABEL: func.func @g_left3(
// CHECK:       iterate = left, tile = [64, 4, 2]

// CHECK-LABEL: func.func @g_right3(
// CHECK:       iterate = right, tile = [2, 4, 64]

// CHECK-LABEL: func.func @g_left4(
// CHECK:       iterate = left, tile = [64, 4, 2, 1]
