// RUN: not hpcir opt %s -p graph-bufferize 2>&1 | filecheck %s
// Tensor FFT ops have no upstream bufferization: graph-bufferize refuses them before upstream MLIR
// runs and names the pass that gives them their buffer form (graph-fft-to-buffers).

builtin.module {
  func.func @spectrum(%x: tensor<8xf32>) -> tensor<5xcomplex<f32>> {
    %fft = "fft.rfftn"(%x) <{axes = array<i64: 0>, norm = "backward"}> : (tensor<8xf32>) -> tensor<5xcomplex<f32>>
    func.return %fft : tensor<5xcomplex<f32>>
  }
}

// CHECK: error: fft.rfftn on tensors cannot be bufferized by upstream MLIR
// CHECK: hint: run graph-fft-to-buffers first
