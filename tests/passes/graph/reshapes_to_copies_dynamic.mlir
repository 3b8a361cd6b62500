// RUN: not hpcir opt %s -p graph-reshapes-to-copies 2>&1 | filecheck %s
// Delinearizing maps need static shapes: a dynamic reshape is refused with a clear error.

builtin.module {
  func.func @f(%x: tensor<?x4xf32>) -> tensor<?xf32> {
    %c = tensor.collapse_shape %x [[0 : i64, 1 : i64]] : tensor<?x4xf32> into tensor<?xf32>
    func.return %c : tensor<?xf32>
  }
}

// CHECK: error: graph-reshapes-to-copies: tensor.collapse_shape with a dynamic shape (tensor<?x4xf32> -> tensor<?xf32>)
// CHECK: hint: graph programs are traced with static shapes
