// RUN: hpcir opt %s -p graph-hoist-invariants | filecheck %s
// RUN: hpcir opt %s -p 'graph-hoist-invariants{reassociate=false}' | filecheck %s --check-prefix=KEEP
// A convolution's bias, an inference batch norm and a ReLU fused into one loop over (n, c, h, w):
// with reassociation the chain ((x + cb - m) * rsqrt(v + eps)) * w + b becomes x * A + B, and A, B
// (which read only per-channel operands) are computed in loops over c; without it, only
// rsqrt(v + eps) moves out and the written order of the rest stays.

builtin.module {
  func.func @bn(%x: tensor<2x3x4x5xf32>, %cb: tensor<3xf32>, %m: tensor<3xf32>, %v: tensor<3xf32>, %w: tensor<3xf32>, %b: tensor<3xf32>) -> tensor<2x3x4x5xf32> {
    %e = tensor.empty() : tensor<2x3x4x5xf32>
    %y = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d1)>, affine_map<(d0, d1, d2, d3) -> (d1)>, affine_map<(d0, d1, d2, d3) -> (d1)>, affine_map<(d0, d1, d2, d3) -> (d1)>, affine_map<(d0, d1, d2, d3) -> (d1)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%x, %cb, %m, %v, %w, %b : tensor<2x3x4x5xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) outs(%e : tensor<2x3x4x5xf32>) {
    ^bb0(%xi: f32, %cbi: f32, %mi: f32, %vi: f32, %wi: f32, %bi: f32, %o: f32):
      %0 = arith.addf %xi, %cbi : f32
      %1 = arith.subf %0, %mi : f32
      %eps = arith.constant 1.000000e-05 : f32
      %2 = arith.addf %vi, %eps : f32
      %3 = math.rsqrt %2 : f32
      %4 = arith.mulf %1, %3 : f32
      %5 = arith.mulf %4, %wi : f32
      %6 = arith.addf %5, %bi : f32
      %z = arith.constant 0.000000e+00 : f32
      %7 = arith.maximumf %6, %z : f32
      linalg.yield %7 : f32
    } -> tensor<2x3x4x5xf32>
    func.return %y : tensor<2x3x4x5xf32>
  }
}

// CHECK-LABEL: func.func @bn
// CHECK:         %[[EA:.*]] = tensor.empty() : tensor<3xf32>
// CHECK-NEXT:    %[[A:.*]] = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]}
// CHECK-SAME:      ins(%v, %w : tensor<3xf32>, tensor<3xf32>) outs(%[[EA]] : tensor<3xf32>)
// CHECK:           math.rsqrt
// CHECK:         %[[EB:.*]] = tensor.empty() : tensor<3xf32>
// CHECK-NEXT:    %[[B:.*]] = linalg.generic
// CHECK-SAME:      ins(%cb, %m, %v, %w, %b : {{.*}}) outs(%[[EB]] : tensor<3xf32>)
// CHECK:           math.rsqrt
// CHECK:         linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d1)>, affine_map<(d0, d1, d2, d3) -> (d1)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>]
// CHECK-SAME:      ins(%x, %[[A]], %[[B]] : tensor<2x3x4x5xf32>, tensor<3xf32>, tensor<3xf32>)
// CHECK-NEXT:    ^{{.*}}(%[[XI:.*]]: f32, %[[SI:.*]]: f32, %[[TI:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[P:.*]] = arith.mulf %[[XI]], %[[SI]] : f32
// CHECK-NEXT:      %[[Q:.*]] = arith.addf %[[P]], %[[TI]] : f32
// CHECK-NEXT:      %[[Z:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT:      %[[R:.*]] = arith.maximumf %[[Q]], %[[Z]] : f32
// CHECK-NEXT:      linalg.yield %[[R]] : f32

// KEEP-LABEL: func.func @bn
// KEEP:         %[[R:.*]] = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%v : tensor<3xf32>)
// KEEP:           math.rsqrt
// KEEP:         linalg.generic
// KEEP-SAME:      ins(%x, %cb, %m, %w, %b, %[[R]] :
// KEEP-NOT:       math.rsqrt
// KEEP:           arith.addf
// KEEP-NEXT:      arith.subf
// KEEP-NEXT:      arith.mulf
// KEEP-NEXT:      arith.mulf
// KEEP-NEXT:      arith.addf
// KEEP-NEXT:      arith.constant
// KEEP-NEXT:      arith.maximumf
