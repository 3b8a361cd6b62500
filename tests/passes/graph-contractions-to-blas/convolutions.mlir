// RUN: hpcir opt %s -p 'graph-contractions-to-blas' --verify-upstream | filecheck %s
// 2-D convolutions (NCHW x FCHW as torch gives them, NHWC x HWCF) become blas.conv_2d with an
// im2col scratch buffer of one image (C*KH*KW x OH*OW, resp. OH*OW x KH*KW*C); strides and
// dilations carry over; a zero-filled output gives beta = 0 and the fill disappears.

builtin.module {
  func.func @nchw(%x: tensor<2x3x10x10xf32>, %w: tensor<5x3x3x3xf32>) -> tensor<2x5x4x4xf32> {
    %z = arith.constant 0.000000e+00 : f32
    %0 = tensor.empty() : tensor<2x5x4x4xf32>
    %1 = linalg.fill ins(%z : f32) outs(%0 : tensor<2x5x4x4xf32>) -> tensor<2x5x4x4xf32>
    %y = linalg.conv_2d_nchw_fchw {strides = dense<2> : tensor<2xi64>, dilations = dense<1> : tensor<2xi64>} ins(%x, %w : tensor<2x3x10x10xf32>, tensor<5x3x3x3xf32>) outs(%1 : tensor<2x5x4x4xf32>) -> tensor<2x5x4x4xf32>
    func.return %y : tensor<2x5x4x4xf32>
  }
  func.func @nhwc(%x: tensor<1x7x7x2xf64>, %w: tensor<3x3x2x4xf64>, %b: tensor<1x3x3x4xf64>) -> tensor<1x3x3x4xf64> {
    %y = linalg.conv_2d_nhwc_hwcf {strides = dense<1> : tensor<2xi64>, dilations = dense<2> : tensor<2xi64>} ins(%x, %w : tensor<1x7x7x2xf64>, tensor<3x3x2x4xf64>) outs(%b : tensor<1x3x3x4xf64>) -> tensor<1x3x3x4xf64>
    func.return %y : tensor<1x3x3x4xf64>
  }
  func.func @ints(%x: tensor<1x1x4x4xi32>, %w: tensor<1x1x3x3xi32>, %b: tensor<1x1x2x2xi32>) -> tensor<1x1x2x2xi32> {
    %y = linalg.conv_2d_nchw_fchw {strides = dense<1> : tensor<2xi64>, dilations = dense<1> : tensor<2xi64>} ins(%x, %w : tensor<1x1x4x4xi32>, tensor<1x1x3x3xi32>) outs(%b : tensor<1x1x2x2xi32>) -> tensor<1x1x2x2xi32>
    func.return %y : tensor<1x1x2x2xi32>
  }
}

// CHECK-LABEL: func.func @nchw
// CHECK-NOT:     linalg.fill
// CHECK:         %[[COL:.*]] = memref.alloc() {alignment = 64 : i64} : memref<27x16xf32>
// CHECK-NEXT:    %[[OUT:.*]] = memref.alloc() {alignment = 64 : i64} : memref<2x5x4x4xf32>
// CHECK-NEXT:    "blas.conv_2d"(%{{.*}}, %{{.*}}, %[[OUT]], %[[COL]]) <{beta = 0.000000e+00 : f32, dilations = array<i64: 1, 1>, layout = "nchw_fchw", strides = array<i64: 2, 2>}>
// CHECK-NOT:     linalg.conv_2d

// CHECK-LABEL: func.func @nhwc
// CHECK:         memref.alloc() {alignment = 64 : i64} : memref<9x18xf64>
// CHECK:         "memref.copy"
// CHECK-NEXT:    "blas.conv_2d"({{.*}}) <{beta = 1.000000e+00 : f64, dilations = array<i64: 2, 2>, layout = "nhwc_hwcf", strides = array<i64: 1, 1>}>

// CHECK-LABEL: func.func @ints
// CHECK-NOT:     blas.conv_2d
// CHECK:         linalg.conv_2d_nchw_fchw
