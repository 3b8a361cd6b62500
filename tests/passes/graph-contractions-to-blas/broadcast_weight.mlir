// RUN: hpcir opt %s -p 'graph-contractions-to-blas' --verify-upstream | filecheck %s
// torch's `bmm(x, W.T.expand(B, K, N))` (a TransformerEncoderLayer's in-projection): the batch
// broadcast of the 2-D weight and its transpose fold into the gemm, which reads the weight itself
// as a B shared by every batch (no copy of the weight per batch). A broadcast A stays a copy.

builtin.module {
  func.func @shared_weight(%x: tensor<5x2x8xf32>, %w: tensor<4x8xf32>) -> tensor<5x2x4xf32> {
    %0 = tensor.empty() : tensor<8x4xf32>
    %wt = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%w : tensor<4x8xf32>) outs(%0 : tensor<8x4xf32>) {
    ^bb0(%1: f32, %2: f32):
      linalg.yield %1 : f32
    } -> tensor<8x4xf32>
    %3 = tensor.empty() : tensor<5x8x4xf32>
    %wb = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%wt : tensor<8x4xf32>) outs(%3 : tensor<5x8x4xf32>) {
    ^bb0(%4: f32, %5: f32):
      linalg.yield %4 : f32
    } -> tensor<5x8x4xf32>
    %z = arith.constant 0.000000e+00 : f32
    %6 = tensor.empty() : tensor<5x2x4xf32>
    %7 = linalg.fill ins(%z : f32) outs(%6 : tensor<5x2x4xf32>) -> tensor<5x2x4xf32>
    %y = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d3, d2)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%x, %wb : tensor<5x2x8xf32>, tensor<5x8x4xf32>) outs(%7 : tensor<5x2x4xf32>) {
    ^bb0(%8: f32, %9: f32, %10: f32):
      %11 = arith.mulf %8, %9 : f32
      %12 = arith.addf %10, %11 : f32
      linalg.yield %12 : f32
    } -> tensor<5x2x4xf32>
    func.return %y : tensor<5x2x4xf32>
  }
  func.func @broadcast_a(%x: tensor<2x8xf32>, %w: tensor<5x8x4xf32>) -> tensor<5x2x4xf32> {
    %3 = tensor.empty() : tensor<5x2x8xf32>
    %xb = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x : tensor<2x8xf32>) outs(%3 : tensor<5x2x8xf32>) {
    ^bb0(%4: f32, %5: f32):
      linalg.yield %4 : f32
    } -> tensor<5x2x8xf32>
    %z = arith.constant 0.000000e+00 : f32
    %6 = tensor.empty() : tensor<5x2x4xf32>
    %7 = linalg.fill ins(%z : f32) outs(%6 : tensor<5x2x4xf32>) -> tensor<5x2x4xf32>
    %y = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d3, d2)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%xb, %w : tensor<5x2x8xf32>, tensor<5x8x4xf32>) outs(%7 : tensor<5x2x4xf32>) {
    ^bb0(%8: f32, %9: f32, %10: f32):
      %11 = arith.mulf %8, %9 : f32
      %12 = arith.addf %10, %11 : f32
      linalg.yield %12 : f32
    } -> tensor<5x2x4xf32>
    func.return %y : tensor<5x2x4xf32>
  }
}

// CHECK-LABEL: func.func @shared_weight
// CHECK-NOT:     linalg.generic
// CHECK:         %[[X:[a-z0-9_]+]] = bufferization.to_buffer %x read_only : tensor<5x2x8xf32> to memref<5x2x8xf32>
// CHECK-NEXT:    %[[W:[a-z0-9_]+]] = bufferization.to_buffer %w read_only : tensor<4x8xf32> to memref<4x8xf32>
// CHECK-NEXT:    %[[C:[a-z0-9_]+]] = memref.alloc() {alignment = 64 : i64} : memref<5x2x4xf32>
// CHECK-NEXT:    "blas.gemm"(%[[X]], %[[W]], %[[C]])
// CHECK-SAME:      transpose_a = false, transpose_b = true
// CHECK-SAME:      (memref<5x2x8xf32>, memref<4x8xf32>, memref<5x2x4xf32>) -> ()
// CHECK-NOT:     linalg.generic
// CHECK:         func.return

// CHECK-LABEL: func.func @broadcast_a
// CHECK:         linalg.generic
// CHECK-SAME:      ins(%x : tensor<2x8xf32>) outs(%{{.*}} : tensor<5x2x8xf32>)
// CHECK:         "blas.gemm"
// CHECK-SAME:      (memref<5x2x8xf32>, memref<5x8x4xf32>, memref<5x2x4xf32>) -> ()
