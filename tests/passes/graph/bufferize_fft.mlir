// RUN: not hpcir opt %s -p graph-bufferize 2>&1 | filecheck %s
// FFT ops have no bufferization (and no Kokkos lowering yet): refused before upstream MLIR runs.

builtin.module {
  func.func @spectrum(%x: tensor<8xf32>) -> tensor<5xcomplex<f32>> {
    %fft = "fft.rfftn"(%x) <{axes = array<i64: 0>, norm = "backward"}> : (tensor<8xf32>) -> tensor<5xcomplex<f32>>
    func.return %fft : tensor<5xcomplex<f32>>
  }
}

// CHECK: error: fft.rfftn has no Kokkos lowering yet
// CHECK: hint: lower programs with FFTs to target='jax' or target='torch'
