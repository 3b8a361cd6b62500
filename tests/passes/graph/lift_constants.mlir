// RUN: hpcir opt %s -p graph-lift-constants | filecheck %s
// Dense tensor constants at the top level become trailing arguments named after them, in order;
// scalar constants and constants inside linalg bodies stay.

builtin.module {
  func.func @f(%x: tensor<2xf32>) -> tensor<2xf32> {
    %w = arith.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
    %0 = arith.constant dense<3> : tensor<2xi64>
    %s = arith.constant 4.000000e+00 : f32
    %e = tensor.empty() : tensor<2xf32>
    %r = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%x, %w, %0 : tensor<2xf32>, tensor<2xf32>, tensor<2xi64>) outs(%e : tensor<2xf32>) {
    ^bb0(%a: f32, %b: f32, %c: i64, %o: f32):
      %one = arith.constant 1.000000e+00 : f32
      %t = arith.addf %a, %b : f32
      %u = arith.mulf %t, %s : f32
      %v = arith.addf %u, %one : f32
      linalg.yield %v : f32
    } -> tensor<2xf32>
    func.return %r : tensor<2xf32>
  }
  func.func @no_constants(%y: tensor<3xf64>) -> tensor<3xf64> {
    func.return %y : tensor<3xf64>
  }
}

// CHECK-LABEL: func.func @f(%x: tensor<2xf32>, %const_w: tensor<2xf32>, %const_const: tensor<2xi64>) -> tensor<2xf32> {
// CHECK-NOT:     arith.constant dense
// CHECK:         %s = arith.constant 4.000000e+00 : f32
// CHECK:         ins(%x, %const_w, %const_const : tensor<2xf32>, tensor<2xf32>, tensor<2xi64>)
// CHECK:         %one = arith.constant 1.000000e+00 : f32
// CHECK-LABEL: func.func @no_constants(%y: tensor<3xf64>) -> tensor<3xf64> {
