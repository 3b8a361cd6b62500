// RUN: hpcir opt %s -p 'kokkos-set-target{target=cpu},kokkos-tile{cache_bytes=1048576}' --verify-upstream | filecheck %s
// RUN: hpcir opt %s -p 'kokkos-set-target{target=cpu},kokkos-tile{cache_bytes=4096}' --verify-upstream | filecheck %s --check-prefix=SMALL
// Host tiles fit half the cache along the contiguous dimension (1 MiB cache):
//   @k_right: 2 f64 views = 16 B/point; half of 1 MiB holds 32768 points: 512 contiguous x 16 rows
//   @k_left: the same, iterating left
//   @k_f32: f32 halves the bytes per point: still capped at 512 x 16
//   @k_bounds: constant extents cap the tile (100 -> 128 contiguous, 8 rows)
//   @k_rank3: rank 3: 512 x 16 = 8192 points per plane, so 4 planes fill the 32768-point budget
//   @k_reduce: a reduction gets a tile too (one view: 8 B/point)
// With a 4 KiB cache: 2 KiB / 16 B = 128 points, all along the contiguous dimension.

func.func @k_right(%lo0: index, %lo1: index, %hi0: index, %hi1: index, %A: memref<?x?xf64, #kokkos.space<host>>, %B: memref<?x?xf64, #kokkos.space<host>>) attributes {kokkos.entry = #kokkos.entry<for>} {
  %two = arith.constant 2.0 : f64
  "kokkos.parallel_for"(%lo0, %lo1, %hi0, %hi1) <{policy = #kokkos.mdrange<2, iterate = right>,
      exec_space = #kokkos.exec<openmp>, name = "k_right"}> ({
  ^bb0(%i0: index, %i1: index):
    %x = memref.load %A[%i0, %i1] : memref<?x?xf64, #kokkos.space<host>>
    %w = arith.mulf %x, %two : f64
    memref.store %w, %B[%i0, %i1] : memref<?x?xf64, #kokkos.space<host>>
    "kokkos.yield"() : () -> ()
  }) : (index, index, index, index) -> ()
  return
}
func.func @k_left(%lo0: index, %lo1: index, %hi0: index, %hi1: index, %A: memref<?x?xf64, #kokkos.space<host>>, %B: memref<?x?xf64, #kokkos.space<host>>) attributes {kokkos.entry = #kokkos.entry<for>} {
  %two = arith.constant 2.0 : f64
  "kokkos.parallel_for"(%lo0, %lo1, %hi0, %hi1) <{policy = #kokkos.mdrange<2, iterate = left>,
      exec_space = #kokkos.exec<openmp>, name = "k_left"}> ({
  ^bb0(%i0: index, %i1: index):
    %x = memref.load %A[%i0, %i1] : memref<?x?xf64, #kokkos.space<host>>
    %w = arith.mulf %x, %two : f64
    memref.store %w, %B[%i0, %i1] : memref<?x?xf64, #kokkos.space<host>>
    "kokkos.yield"() : () -> ()
  }) : (index, index, index, index) -> ()
  return
}
func.func @k_f32(%lo0: index, %lo1: index, %hi0: index, %hi1: index, %A: memref<?x?xf32, #kokkos.space<host>>, %B: memref<?x?xf32, #kokkos.space<host>>) attributes {kokkos.entry = #kokkos.entry<for>} {
  %two = arith.constant 2.0 : f32
  "kokkos.parallel_for"(%lo0, %lo1, %hi0, %hi1) <{policy = #kokkos.mdrange<2, iterate = right>,
      exec_space = #kokkos.exec<openmp>, name = "k_f32"}> ({
  ^bb0(%i0: index, %i1: index):
    %x = memref.load %A[%i0, %i1] : memref<?x?xf32, #kokkos.space<host>>
    %w = arith.mulf %x, %two : f32
    memref.store %w, %B[%i0, %i1] : memref<?x?xf32, #kokkos.space<host>>
    "kokkos.yield"() : () -> ()
  }) : (index, index, index, index) -> ()
  return
}
func.func @k_bounds(%lo0: index, %lo1: index, %hi0: index, %hi1: index, %A: memref<?x?xf64, #kokkos.space<host>>, %B: memref<?x?xf64, #kokkos.space<host>>) attributes {kokkos.entry = #kokkos.entry<for>} {
  %cl0 = arith.constant 0 : index
  %ch0 = arith.constant 8 : index
  %cl1 = arith.constant 0 : index
  %ch1 = arith.constant 100 : index
  %two = arith.constant 2.0 : f64
  "kokkos.parallel_for"(%cl0, %cl1, %ch0, %ch1) <{policy = #kokkos.mdrange<2, iterate = right>,
      exec_space = #kokkos.exec<openmp>, name = "k_bounds"}> ({
  ^bb0(%i0: index, %i1: index):
    %x = memref.load %A[%i0, %i1] : memref<?x?xf64, #kokkos.space<host>>
    %w = arith.mulf %x, %two : f64
    memref.store %w, %B[%i0, %i1] : memref<?x?xf64, #kokkos.space<host>>
    "kokkos.yield"() : () -> ()
  }) : (index, index, index, index) -> ()
  return
}
func.func @k_rank3(%lo0: index, %lo1: index, %lo2: index, %hi0: index, %hi1: index, %hi2: index, %A: memref<?x?x?xf64, #kokkos.space<host>>, %B: memref<?x?x?xf64, #kokkos.space<host>>) attributes {kokkos.entry = #kokkos.entry<for>} {
  %two = arith.constant 2.0 : f64
  "kokkos.parallel_for"(%lo0, %lo1, %lo2, %hi0, %hi1, %hi2) <{policy = #kokkos.mdrange<3, iterate = right>,
      exec_space = #kokkos.exec<openmp>, name = "k_rank3"}> ({
  ^bb0(%i0: index, %i1: index, %i2: index):
    %x = memref.load %A[%i0, %i1, %i2] : memref<?x?x?xf64, #kokkos.space<host>>
    %w = arith.mulf %x, %two : f64
    memref.store %w, %B[%i0, %i1, %i2] : memref<?x?x?xf64, #kokkos.space<host>>
    "kokkos.yield"() : () -> ()
  }) : (index, index, index, index, index, index) -> ()
  return
}
func.func @k_reduce(%lo0: index, %lo1: index, %hi0: index, %hi1: index, %A: memref<?x?xf64, #kokkos.space<host>>) -> f64 attributes {kokkos.entry = #kokkos.entry<reduce>} {
  %z = arith.constant 0.0 : f64
  %r = "kokkos.parallel_reduce"(%lo0, %lo1, %hi0, %hi1, %z) <{policy = #kokkos.mdrange<2, iterate = right>,
      exec_space = #kokkos.exec<openmp>, name = "k_reduce", reducers = [#kokkos.reducer<sum>],
      operandSegmentSizes = array<i32: 4, 1>}> ({
  ^bb0(%i0: index, %i1: index, %acc: f64):
    %x = memref.load %A[%i0, %i1] : memref<?x?xf64, #kokkos.space<host>>
    %s = arith.addf %acc, %x : f64
    "kokkos.yield"(%s) : (f64) -> ()
  }) : (index, index, index, index, f64) -> f64
  return %r : f64
}

// CHECK-LABEL: func.func @k_right(
// CHECK:       iterate = right, tile = [16, 512]

// CHECK-LABEL: func.func @k_left(
// CHECK:       iterate = left, tile = [512, 16]

// CHECK-LABEL: func.func @k_f32(
// CHECK:       tile = [16, 512]

// CHECK-LABEL: func.func @k_bounds(
// CHECK:       tile = [8, 128]

// CHECK-LABEL: func.func @k_rank3(
// CHECK:       tile = [4, 16, 512]

// CHECK-LABEL: func.func @k_reduce(
// CHECK:       tile = [16, 512]

// SMALL-LABEL: func.func @k_right(
// SMALL:       tile = [1, 128]
