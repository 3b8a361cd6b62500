// RUN: hpcir opt %s -p scf-promote-accumulators | filecheck %s
// A bufferized row sum (accumulator in a fresh alloc) is carried in an iter_arg, loaded once before
// and stored once after the loop; a loop whose "accumulator" is also read at another index, and one
// that stores into an argument while reading another argument (they might alias), stay as they are.

builtin.module {
  func.func @rowsum(%x: memref<4x8xf32>) -> memref<4xf32> {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c4 = arith.constant 4 : index
    %c8 = arith.constant 8 : index
    %zero = arith.constant 0.000000e+00 : f32
    %acc = memref.alloc() : memref<4xf32>
    "scf.parallel"(%c0, %c4, %c1) <{operandSegmentSizes = array<i32: 1, 1, 1, 0>}> ({
    ^bb0(%i: index):
      memref.store %zero, %acc[%i] : memref<4xf32>
      scf.for %k = %c0 to %c8 step %c1 {
        %a = memref.load %acc[%i] : memref<4xf32>
        %v = memref.load %x[%i, %k] : memref<4x8xf32>
        %s = arith.addf %a, %v : f32
        memref.store %s, %acc[%i] : memref<4xf32>
      }
      scf.reduce
    }) : (index, index, index) -> ()
    func.return %acc : memref<4xf32>
  }

  func.func @other_index(%x: memref<8xf32>) -> memref<8xf32> {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c8 = arith.constant 8 : index
    %acc = memref.alloc() : memref<8xf32>
    scf.for %k = %c1 to %c8 step %c1 {
      %a = memref.load %acc[%c0] : memref<8xf32>
      %b = memref.load %acc[%k] : memref<8xf32>
      %s = arith.addf %a, %b : f32
      memref.store %s, %acc[%c0] : memref<8xf32>
    }
    func.return %acc : memref<8xf32>
  }

  func.func @may_alias(%x: memref<8xf32>, %out: memref<1xf32>) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c8 = arith.constant 8 : index
    scf.for %k = %c0 to %c8 step %c1 {
      %a = memref.load %out[%c0] : memref<1xf32>
      %v = memref.load %x[%k] : memref<8xf32>
      %s = arith.addf %a, %v : f32
      memref.store %s, %out[%c0] : memref<1xf32>
    }
    func.return
  }
}

// CHECK-LABEL: func.func @rowsum
// CHECK:         memref.store %zero, %acc[%i] : memref<4xf32>
// CHECK-NEXT:    %[[A0:.*]] = memref.load %acc[%i] : memref<4xf32>
// CHECK-NEXT:    %[[R:.*]] = scf.for %k = %c0 to %c8 step %c1 iter_args(%[[A:.*]] = %[[A0]]) -> (f32) {
// CHECK-NEXT:      %v = memref.load %x[%i, %k] : memref<4x8xf32>
// CHECK-NEXT:      %s = arith.addf %[[A]], %v : f32
// CHECK-NEXT:      scf.yield %s : f32
// CHECK-NEXT:    }
// CHECK-NEXT:    memref.store %[[R]], %acc[%i] : memref<4xf32>

// CHECK-LABEL: func.func @other_index
// CHECK:         scf.for %k = %c1 to %c8 step %c1 {
// CHECK-NEXT:      memref.load %acc[%c0]
// CHECK-NEXT:      memref.load %acc[%k]

// CHECK-LABEL: func.func @may_alias
// CHECK:         scf.for %k = %c0 to %c8 step %c1 {
// CHECK-NEXT:      memref.load %out[%c0]
