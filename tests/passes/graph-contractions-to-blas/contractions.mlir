// RUN: hpcir opt %s -p 'graph-contractions-to-blas' --verify-upstream | filecheck %s
// Matrix products as the torch and JAX imports give them (linalg.generic `out + a * b` on a zero fill)
// become blas.gemm between bufferization bridges; torch's transposed Linear weight folds into
// transpose_b; a batch dimension stays leading; a non-zero initial value is copied in (beta = 1);
// integer products and other bodies stay linalg (loops).

builtin.module {
  func.func @dense(%x: tensor<2x8xf32>, %w: tensor<4x8xf32>) -> tensor<2x4xf32> {
    %0 = tensor.empty() : tensor<8x4xf32>
    %wt = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%w : tensor<4x8xf32>) outs(%0 : tensor<8x4xf32>) {
    ^bb0(%1: f32, %2: f32):
      linalg.yield %1 : f32
    } -> tensor<8x4xf32>
    %z = arith.constant 0.000000e+00 : f32
    %3 = tensor.empty() : tensor<2x4xf32>
    %4 = linalg.fill ins(%z : f32) outs(%3 : tensor<2x4xf32>) -> tensor<2x4xf32>
    %y = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d2, d1)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %wt : tensor<2x8xf32>, tensor<8x4xf32>) outs(%4 : tensor<2x4xf32>) {
    ^bb0(%5: f32, %6: f32, %7: f32):
      %8 = arith.mulf %5, %6 : f32
      %9 = arith.addf %7, %8 : f32
      linalg.yield %9 : f32
    } -> tensor<2x4xf32>
    func.return %y : tensor<2x4xf32>
  }
  func.func @bmm_acc(%a: tensor<2x3x4xf64>, %b: tensor<2x4x5xf64>, %c: tensor<2x3x5xf64>) -> tensor<2x3x5xf64> {
    %y = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d3, d2)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%a, %b : tensor<2x3x4xf64>, tensor<2x4x5xf64>) outs(%c : tensor<2x3x5xf64>) {
    ^bb0(%5: f64, %6: f64, %7: f64):
      %8 = arith.mulf %5, %6 : f64
      %9 = arith.addf %8, %7 : f64
      linalg.yield %9 : f64
    } -> tensor<2x3x5xf64>
    func.return %y : tensor<2x3x5xf64>
  }
  func.func @named_matmul_at(%a: tensor<8x2xf32>, %b: tensor<8x3xf32>, %c: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>) {
    %y = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d2, d0)>, affine_map<(d0, d1, d2) -> (d2, d1)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %b : tensor<8x2xf32>, tensor<8x3xf32>) outs(%c : tensor<2x3xf32>) {
    ^bb0(%5: f32, %6: f32, %7: f32):
      %8 = arith.mulf %5, %6 : f32
      %9 = arith.addf %7, %8 : f32
      linalg.yield %9 : f32
    } -> tensor<2x3xf32>
    %y2 = arith.constant dense<1.000000e+00> : tensor<3x3xf32>
    %p = linalg.matmul ins(%y, %y2 : tensor<2x3xf32>, tensor<3x3xf32>) outs(%c : tensor<2x3xf32>) -> tensor<2x3xf32>
    func.return %y, %p : tensor<2x3xf32>, tensor<2x3xf32>
  }
  func.func @int_and_max(%a: tensor<2x4xi32>, %b: tensor<4x3xi32>, %c: tensor<2x3xi32>, %x: tensor<2x4xf32>, %y: tensor<4x3xf32>, %z: tensor<2x3xf32>) -> (tensor<2x3xi32>, tensor<2x3xf32>) {
    %i = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d2, d1)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %b : tensor<2x4xi32>, tensor<4x3xi32>) outs(%c : tensor<2x3xi32>) {
    ^bb0(%5: i32, %6: i32, %7: i32):
      %8 = arith.muli %5, %6 : i32
      %9 = arith.addi %7, %8 : i32
      linalg.yield %9 : i32
    } -> tensor<2x3xi32>
    %t = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d2, d1)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %y : tensor<2x4xf32>, tensor<4x3xf32>) outs(%z : tensor<2x3xf32>) {
    ^bb0(%5: f32, %6: f32, %7: f32):
      %8 = arith.addf %5, %6 : f32
      %9 = arith.maximumf %7, %8 : f32
      linalg.yield %9 : f32
    } -> tensor<2x3xf32>
    func.return %i, %t : tensor<2x3xi32>, tensor<2x3xf32>
  }
}

// CHECK-LABEL: func.func @dense
// CHECK-NOT:     linalg.generic
// CHECK-NOT:     linalg.fill
// CHECK:         %[[XB:.*]] = bufferization.to_buffer %x read_only : tensor<2x8xf32> to memref<2x8xf32>
// CHECK-NEXT:    %[[WB:.*]] = bufferization.to_buffer %w read_only : tensor<4x8xf32> to memref<4x8xf32>
// CHECK-NEXT:    %[[YB:.*]] = memref.alloc() {alignment = 64 : i64} : memref<2x4xf32>
// CHECK-NEXT:    "blas.gemm"(%[[XB]], %[[WB]], %[[YB]]) <{beta = 0.000000e+00 : f32, transpose_a = false, transpose_b = true}>
// CHECK-NEXT:    %[[Y:.*]] = bufferization.to_tensor %[[YB]] restrict writable
// CHECK-NEXT:    func.return %[[Y]]

// CHECK-LABEL: func.func @bmm_acc
// CHECK:         %[[CB:.*]] = bufferization.to_buffer %c read_only
// CHECK-NEXT:    %[[OUT:.*]] = memref.alloc() {alignment = 64 : i64} : memref<2x3x5xf64>
// CHECK-NEXT:    "memref.copy"(%[[CB]], %[[OUT]])
// CHECK-NEXT:    "blas.gemm"({{.*}}, {{.*}}, %[[OUT]]) <{beta = 1.000000e+00 : f64, transpose_a = false, transpose_b = false}> : (memref<2x3x4xf64>, memref<2x4x5xf64>, memref<2x3x5xf64>) -> ()

// CHECK-LABEL: func.func @named_matmul_at
// CHECK:         "blas.gemm"({{.*}}) <{beta = 1.000000e+00 : f32, transpose_a = true, transpose_b = false}> : (memref<8x2xf32>, memref<8x3xf32>, memref<2x3xf32>)
// CHECK:         "blas.gemm"({{.*}}) <{beta = 1.000000e+00 : f32, transpose_a = false, transpose_b = false}> : (memref<2x3xf32>, memref<3x3xf32>, memref<2x3xf32>)
// CHECK-NOT:     linalg.matmul

// CHECK-LABEL: func.func @int_and_max
// CHECK-NOT:     blas.gemm
// CHECK:         arith.muli
// CHECK:         arith.maximumf
// CHECK-NOT:     blas.gemm
