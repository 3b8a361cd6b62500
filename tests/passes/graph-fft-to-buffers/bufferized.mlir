// RUN: hpcir opt %s -p 'graph-fft-to-buffers,graph-bufferize,graph-results-to-out-params' | filecheck %s
// After upstream bufferization the FFT writes straight into the program's output view.

builtin.module {
  func.func @f(%z: tensor<4x6xcomplex<f32>>) -> tensor<4x6xcomplex<f32>> {
    %w = "fft.fftn"(%z) <{axes = array<i64: 0>, norm = "backward"}> : (tensor<4x6xcomplex<f32>>) -> tensor<4x6xcomplex<f32>>
    func.return %w : tensor<4x6xcomplex<f32>>
  }
}

// CHECK-LABEL: func.func @f(%z: memref<4x6xcomplex<f32>>, %out0: memref<4x6xcomplex<f32>>)
// CHECK-SAME:  kokkos.host_program
// CHECK:       "fft.execute"(%z, %out0) <{axes = array<i64: 0>, kind = "fftn", norm = "backward"}>
// CHECK-NOT:   bufferization.
