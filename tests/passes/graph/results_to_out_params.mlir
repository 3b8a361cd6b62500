// RUN: hpcir opt %s -p graph-results-to-out-params | filecheck %s
// Returned memrefs become trailing output views %out0, %out1, ...: a plain allocation returned
// once is replaced by its view, anything else (an argument, a buffer returned twice) is copied.
// The function becomes a kokkos.host_program returning nothing; kernel entries are left alone.

builtin.module {
  func.func @scale(%x: memref<4xf32>) -> memref<4xf32> {
    %two = arith.constant 2.000000e+00 : f32
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c4 = arith.constant 4 : index
    %buf = memref.alloc() {alignment = 64 : i64} : memref<4xf32>
    "scf.parallel"(%c0, %c4, %c1) <{operandSegmentSizes = array<i32: 1, 1, 1, 0>}> ({
    ^bb0(%i: index):
      %v = memref.load %x[%i] : memref<4xf32>
      %w = arith.mulf %v, %two : f32
      memref.store %w, %buf[%i] : memref<4xf32>
      scf.reduce
    }) : (index, index, index) -> ()
    func.return %buf : memref<4xf32>
  }
  func.func @identity_twice(%x: memref<2x3xf64>) -> (memref<2x3xf64>, memref<6xi32>, memref<6xi32>) {
    %b = memref.alloc() : memref<6xi32>
    func.return %x, %b, %b : memref<2x3xf64>, memref<6xi32>, memref<6xi32>
  }
  func.func @kernel(%b: i64, %e: i64) -> f64 attributes {kokkos.entry = #kokkos.entry<reduce>} {
    %z = arith.constant 0.000000e+00 : f64
    func.return %z : f64
  }
}

// CHECK-LABEL: func.func @scale(%x: memref<4xf32>, %out0: memref<4xf32>) attributes {kokkos.host_program} {
// CHECK-NOT:     memref.alloc
// CHECK:           memref.store %{{.*}}, %out0[%{{.*}}] : memref<4xf32>
// CHECK-NOT:     memref.copy
// CHECK:         func.return{{$}}

// CHECK-LABEL: func.func @identity_twice(%x: memref<2x3xf64>, %out0: memref<2x3xf64>, %out1: memref<6xi32>, %out2: memref<6xi32>) attributes {kokkos.host_program} {
// CHECK-NEXT:    %[[B:.*]] = memref.alloc() : memref<6xi32>
// CHECK-NEXT:    "memref.copy"(%x, %out0) : (memref<2x3xf64>, memref<2x3xf64>) -> ()
// CHECK-NEXT:    "memref.copy"(%[[B]], %out1) : (memref<6xi32>, memref<6xi32>) -> ()
// CHECK-NEXT:    "memref.copy"(%[[B]], %out2) : (memref<6xi32>, memref<6xi32>) -> ()
// CHECK-NEXT:    func.return{{$}}

// CHECK-LABEL: func.func @kernel(%b: i64, %e: i64) -> f64 attributes {kokkos.entry = #kokkos.entry<reduce>} {
// CHECK:         func.return %{{.*}} : f64
