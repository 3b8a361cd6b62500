// RUN: hpcir opt %s -p graph-bufferize | filecheck %s
// Loops on tensors (what lax.scan / fori_loop import to): the carried tensors become carried
// buffers. An argument is the caller's array, never written in place: a loop that carries %x and
// writes rows of it works on a copy (the arguments are non-writable for the upstream run, and no
// bufferization attribute is left behind).

builtin.module {
  func.func @rows(%x: tensor<4x3xf64>, %r: tensor<3xf64>) -> tensor<4x3xf64> {
    %lo = arith.constant 0 : index
    %hi = arith.constant 4 : index
    %one = arith.constant 1 : index
    %y = scf.for %i = %lo to %hi step %one iter_args(%acc = %x) -> (tensor<4x3xf64>) {
      %next = tensor.insert_slice %r into %acc[%i, 0] [1, 3] [1, 1] : tensor<3xf64> into tensor<4x3xf64>
      scf.yield %next : tensor<4x3xf64>
    }
    func.return %y : tensor<4x3xf64>
  }
}

// CHECK-LABEL: func.func @rows(%x: memref<4x3xf64>, %r: memref<3xf64>) -> memref<4x3xf64> {
// CHECK-NOT:     bufferization.writable
// CHECK:         %[[COPY:.*]] = memref.alloc() {alignment = 64 : i64} : memref<4x3xf64>
// CHECK:         "memref.copy"(%x, %[[COPY]])
// CHECK:         scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK:           %[[ROW:.*]] = memref.subview %[[COPY]][%{{.*}}, 0] [1, 3] [1, 1]
// CHECK:           "memref.copy"(%r, %[[ROW]])
// CHECK:         func.return %[[COPY]] : memref<4x3xf64>
