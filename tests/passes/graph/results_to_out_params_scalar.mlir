// RUN: not hpcir opt %s -p graph-results-to-out-params 2>&1 | filecheck %s
// Only memref results can become output views: a scalar result of a (non-entry) function is an error.

builtin.module {
  func.func @total(%x: memref<4xf32>) -> f32 {
    %z = arith.constant 0.000000e+00 : f32
    func.return %z : f32
  }
}

// CHECK: error: bufferized result 0 of total is not a memref (f32)
// CHECK: hint: graph-results-to-out-params runs after graph-bufferize
