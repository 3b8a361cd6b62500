// RUN: not hpcir opt %s -p graph-lift-constants 2>&1 | filecheck %s
// A function whose constants would become arguments must not have callers in the module.

builtin.module {
  func.func @callee() -> tensor<2xf32> {
    %w = arith.constant dense<1.000000e+00> : tensor<2xf32>
    func.return %w : tensor<2xf32>
  }
  func.func @caller() -> tensor<2xf32> {
    %r = func.call @callee() : () -> tensor<2xf32>
    func.return %r : tensor<2xf32>
  }
}

// CHECK: error: graph-lift-constants: @callee is called inside the module, so its constants cannot become arguments
// CHECK: hint: inline the call first
