// RUN: hpcir opt %s -p 'kokkos-set-target{target=cpu},convert-scf-to-kokkos' --verify-upstream | filecheck %s
// A combiner without a Kokkos built-in reducer becomes a custom reducer whose join region is the
// combiner. One function per combiner.

func.func @red_subf_f64(%lo: index, %hi: index, %x: memref<?xf64, #kokkos.space<host>>) -> f64
    attributes {kokkos.entry = #kokkos.entry<reduce>} {
  %c1 = arith.constant 1 : index
  %init = arith.constant 0.0 : f64
  %r = scf.parallel (%iv) = (%lo) to (%hi) step (%c1) init (%init) -> f64 {
    %xi = memref.load %x[%iv] : memref<?xf64, #kokkos.space<host>>
    scf.reduce(%xi : f64) {
    ^bb0(%l: f64, %rr: f64):
      %c = arith.subf %l, %rr : f64
      scf.reduce.return %c : f64
    }
  }
  return %r : f64
}
func.func @red_maxui_i32(%lo: index, %hi: index, %x: memref<?xi32, #kokkos.space<host>>) -> i32
    attributes {kokkos.entry = #kokkos.entry<reduce>} {
  %c1 = arith.constant 1 : index
  %init = arith.constant 0 : i32
  %r = scf.parallel (%iv) = (%lo) to (%hi) step (%c1) init (%init) -> i32 {
    %xi = memref.load %x[%iv] : memref<?xi32, #kokkos.space<host>>
    scf.reduce(%xi : i32) {
    ^bb0(%l: i32, %rr: i32):
      %c = arith.maxui %l, %rr : i32
      scf.reduce.return %c : i32
    }
  }
  return %r : i32
}
func.func @red_xori_i64(%lo: index, %hi: index, %x: memref<?xi64, #kokkos.space<host>>) -> i64
    attributes {kokkos.entry = #kokkos.entry<reduce>} {
  %c1 = arith.constant 1 : index
  %init = arith.constant 0 : i64
  %r = scf.parallel (%iv) = (%lo) to (%hi) step (%c1) init (%init) -> i64 {
    %xi = memref.load %x[%iv] : memref<?xi64, #kokkos.space<host>>
    scf.reduce(%xi : i64) {
    ^bb0(%l: i64, %rr: i64):
      %c = arith.xori %l, %rr : i64
      scf.reduce.return %c : i64
    }
  }
  return %r : i64
}

// CHECK-LABEL: func.func @red_subf_f64(
// CHECK:      kokkos.parallel_reduce "red_subf_f64" {{.*}} [#kokkos.reducer<custom>] {
// CHECK:        arith.subf
// CHECK:      } join {
// CHECK-NEXT: ^{{bb[0-9]+}}(%[[A:\w+]]: f64, %[[B:\w+]]: f64):
// CHECK-NEXT:   %[[J:\w+]] = arith.subf %[[A]], %[[B]] : f64
// CHECK-NEXT:   kokkos.yield %[[J]] : f64
// CHECK-NEXT: } -> f64

// CHECK-LABEL: func.func @red_maxui_i32(
// CHECK:      kokkos.parallel_reduce "red_maxui_i32" {{.*}} [#kokkos.reducer<custom>] {
// CHECK:        arith.maxui
// CHECK:      } join {
// CHECK-NEXT: ^{{bb[0-9]+}}(%[[A:\w+]]: i32, %[[B:\w+]]: i32):
// CHECK-NEXT:   %[[J:\w+]] = arith.maxui %[[A]], %[[B]] : i32
// CHECK-NEXT:   kokkos.yield %[[J]] : i32
// CHECK-NEXT: } -> i32

// CHECK-LABEL: func.func @red_xori_i64(
// CHECK:      kokkos.parallel_reduce "red_xori_i64" {{.*}} [#kokkos.reducer<custom>] {
// CHECK:        arith.xori
// CHECK:      } join {
// CHECK-NEXT: ^{{bb[0-9]+}}(%[[A:\w+]]: i64, %[[B:\w+]]: i64):
// CHECK-NEXT:   %[[J:\w+]] = arith.xori %[[A]], %[[B]] : i64
// CHECK-NEXT:   kokkos.yield %[[J]] : i64
// CHECK-NEXT: } -> i64
