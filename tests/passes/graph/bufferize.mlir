// RUN: hpcir opt %s -p graph-bufferize | filecheck %s
// Upstream one-shot-bufferize + convert-linalg-to-parallel-loops through the bridge: tensors become
// identity-layout memrefs without memory space, linalg ops scf.parallel loops (a reduction
// dimension an scf.for inside), results fresh allocations; argument names survive the round trip.

builtin.module {
  func.func @matvec_relu(%a: tensor<4x3xf64>, %v: tensor<3xf64>) -> tensor<4xf64> {
    %zero = arith.constant 0.000000e+00 : f64
    %e = tensor.empty() : tensor<4xf64>
    %init = linalg.fill ins(%zero : f64) outs(%e : tensor<4xf64>) -> tensor<4xf64>
    %mv = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%a, %v : tensor<4x3xf64>, tensor<3xf64>) outs(%init : tensor<4xf64>) {
    ^bb0(%x: f64, %y: f64, %acc: f64):
      %p = arith.mulf %x, %y : f64
      %s = arith.addf %acc, %p : f64
      linalg.yield %s : f64
    } -> tensor<4xf64>
    %e2 = tensor.empty() : tensor<4xf64>
    %relu = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%mv : tensor<4xf64>) outs(%e2 : tensor<4xf64>) {
    ^bb0(%x: f64, %o: f64):
      %z = arith.constant 0.000000e+00 : f64
      %m = arith.maximumf %x, %z : f64
      linalg.yield %m : f64
    } -> tensor<4xf64>
    func.return %relu : tensor<4xf64>
  }
}

// CHECK-LABEL: func.func @matvec_relu(%a: memref<4x3xf64>, %v: memref<3xf64>) -> memref<4xf64> {
// CHECK-NOT:     tensor
// CHECK-NOT:     linalg.
// CHECK:         %[[MV:.*]] = memref.alloc() {alignment = 64 : i64} : memref<4xf64>
// CHECK:         "scf.parallel"
// CHECK:           memref.store %{{.*}}, %[[MV]][%{{.*}}] : memref<4xf64>
// CHECK:         "scf.parallel"
// CHECK:           scf.for
// CHECK:             memref.load %a[%{{.*}}, %{{.*}}] : memref<4x3xf64>
// CHECK:             memref.load %v[%{{.*}}] : memref<3xf64>
// CHECK:         %[[R:.*]] = memref.alloc() {alignment = 64 : i64} : memref<4xf64>
// CHECK:         "scf.parallel"
// CHECK:           arith.maximumf
// CHECK:           memref.store %{{.*}}, %[[R]][%{{.*}}] : memref<4xf64>
// CHECK:         func.return %[[R]] : memref<4xf64>
