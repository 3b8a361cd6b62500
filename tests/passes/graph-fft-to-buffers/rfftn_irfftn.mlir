// RUN: hpcir opt %s -p 'graph-fft-to-buffers' | filecheck %s
// Each tensor FFT op becomes fft.execute on buffers between bufferization bridges (which
// one-shot-bufferize folds away); kind, axes and norm carry over; odd lengths stay in the types.

builtin.module {
  func.func @spectral(%x: tensor<3x7x5xf64>) -> tensor<3x7x5xf64> {
    %k = "fft.rfftn"(%x) <{axes = array<i64: 1, 2>, norm = "ortho"}> : (tensor<3x7x5xf64>) -> tensor<3x7x3xcomplex<f64>>
    %y = "fft.irfftn"(%k) <{axes = array<i64: 1, 2>, norm = "ortho"}> : (tensor<3x7x3xcomplex<f64>>) -> tensor<3x7x5xf64>
    func.return %y : tensor<3x7x5xf64>
  }
}

// CHECK-LABEL: func.func @spectral
// CHECK:       %[[XB:.*]] = bufferization.to_buffer %x read_only : tensor<3x7x5xf64> to memref<3x7x5xf64>
// CHECK-NEXT:  %[[KB:.*]] = memref.alloc() {alignment = 64 : i64} : memref<3x7x3xcomplex<f64>>
// CHECK-NEXT:  "fft.execute"(%[[XB]], %[[KB]]) <{axes = array<i64: 1, 2>, kind = "rfftn", norm = "ortho"}>
// CHECK-NEXT:  %[[K:.*]] = bufferization.to_tensor %[[KB]] restrict writable
// CHECK:       memref.alloc() {alignment = 64 : i64} : memref<3x7x5xf64>
// CHECK-NEXT:  "fft.execute"({{.*}}) <{axes = array<i64: 1, 2>, kind = "irfftn", norm = "ortho"}>
// CHECK-NOT:   fft.rfftn
// CHECK-NOT:   fft.irfftn
