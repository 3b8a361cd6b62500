// RUN: hpcir opt %s -p graph-lift-constants | filecheck %s
// Dense tensor constants inside loop and branch regions are lifted too (in walk order, after the
// top-level ones that precede them): left there, bufferization would turn them into memref.globals,
// which no Kokkos target emits.

builtin.module {
  func.func @f(%x: tensor<3xf64>, %p: i1) -> tensor<3xf64> {
    %lo = arith.constant 0 : index
    %hi = arith.constant 2 : index
    %one = arith.constant 1 : index
    %init = arith.constant dense<1.000000e+00> : tensor<3xf64>
    %y = scf.for %i = %lo to %hi step %one iter_args(%acc = %init) -> (tensor<3xf64>) {
      %z = scf.if %p -> (tensor<3xf64>) {
        %twos = arith.constant dense<2.000000e+00> : tensor<3xf64>
        scf.yield %twos : tensor<3xf64>
      } else {
        scf.yield %acc : tensor<3xf64>
      }
      scf.yield %z : tensor<3xf64>
    }
    func.return %y : tensor<3xf64>
  }
}

// CHECK-LABEL: func.func @f(%x: tensor<3xf64>, %p: i1, %const_init: tensor<3xf64>, %const_twos: tensor<3xf64>) -> tensor<3xf64> {
// CHECK-NOT:     arith.constant dense
// CHECK:         scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%{{.*}} = %const_init)
// CHECK:           scf.yield %const_twos : tensor<3xf64>
