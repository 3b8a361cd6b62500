// RUN: hpcir opt %s -p 'graph-lift-constants,graph-reshapes-to-copies,graph-fuse-elementwise,graph-hoist-invariants,graph-bufferize,scf-promote-accumulators,graph-results-to-out-params' --verify-upstream | filecheck %s
// The graph L1 -> L2 pipeline hpcir.graph_dispatch runs (GRAPH_L1_TO_L2), on the L1 of
// `lambda x: (x.reshape(6, 2) * 2.0 + [1.0, 2.0]).reshape(3, 4)`: a kokkos.host_program of
// parallel loops over memrefs, the constant an input view after the user's, the result the output
// view the loop writes: the multiply and the add are fused (graph-fuse-elementwise) into one
// loop with no temporary between them. The constant's index is the loop index modulo 2 (the
// delinearization's division folds away: int-range-optimizations knows the index is in [0, 4)).

builtin.module {
  func.func @jax_fn(%x: tensor<3x4xf32>) -> tensor<3x4xf32> {
    %reshape = tensor.collapse_shape %x [[0 : i64, 1 : i64]] : tensor<3x4xf32> into tensor<12xf32>
    %reshape_1 = tensor.expand_shape %reshape [[0 : i64, 1 : i64]] output_shape [6, 2] : tensor<12xf32> into tensor<6x2xf32>
    %0 = tensor.empty() : tensor<6x2xf32>
    %mul = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%reshape_1 : tensor<6x2xf32>) outs(%0 : tensor<6x2xf32>) {
    ^bb0(%1: f32, %2: f32):
      %3 = arith.constant 2.000000e+00 : f32
      %4 = arith.mulf %1, %3 : f32
      linalg.yield %4 : f32
    } -> tensor<6x2xf32>
    %add_const = arith.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
    %5 = tensor.empty() : tensor<6x2xf32>
    %add = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%mul, %add_const : tensor<6x2xf32>, tensor<2xf32>) outs(%5 : tensor<6x2xf32>) {
    ^bb0(%6: f32, %7: f32, %8: f32):
      %9 = arith.addf %6, %7 : f32
      linalg.yield %9 : f32
    } -> tensor<6x2xf32>
    %reshape_2 = tensor.collapse_shape %add [[0 : i64, 1 : i64]] : tensor<6x2xf32> into tensor<12xf32>
    %reshape_3 = tensor.expand_shape %reshape_2 [[0 : i64, 1 : i64]] output_shape [3, 4] : tensor<12xf32> into tensor<3x4xf32>
    func.return %reshape_3 : tensor<3x4xf32>
  }
}

// CHECK-LABEL: func.func @jax_fn(%x: memref<3x4xf32>, %const_add_const: memref<2xf32>, %out0: memref<3x4xf32>) attributes {kokkos.host_program} {
// CHECK-NOT:     tensor
// CHECK-NOT:     linalg.
// CHECK-NOT:     memref.alloc
// CHECK:         "scf.parallel"
// CHECK-NOT:       arith.divsi
// CHECK:           memref.load %x[%{{.*}}, %{{.*}}] : memref<3x4xf32>
// CHECK-NOT:       arith.divsi
// CHECK:           arith.remsi
// CHECK:           memref.load %const_add_const[%{{.*}}] : memref<2xf32>
// CHECK-NOT:     "scf.parallel"
// CHECK:           arith.mulf
// CHECK-NEXT:      arith.addf
// CHECK-NEXT:      memref.store %{{.*}}, %out0[%{{.*}}, %{{.*}}] : memref<3x4xf32>
// CHECK-NEXT:      scf.reduce
// CHECK-NEXT:    }) : (index, index, index, index, index, index) -> ()
// CHECK-NEXT:    func.return{{$}}
