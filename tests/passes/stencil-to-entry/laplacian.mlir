// RUN: hpcir opt %s -p 'stencil-storage-materialization,convert-stencil-to-ll-mlir,stencil-to-entry{layout_free=true}' --verify-upstream | filecheck %s
// The lowered 5-point Laplacian becomes an entry over the runtime domain [b, e): bounds first, then the
// stencil's own parameters as host views; loops run over array indices (the sentinel shapes are gone).
//
// CHECK-LABEL: func.func @lap(%b0: i64, %b1: i64, %e0: i64, %e1: i64, %u: memref<?x?xf64, #kokkos.space<host>>, %out: memref<?x?xf64, #kokkos.space<host>>)
// CHECK-SAME:  kokkos.entry = #kokkos.entry<for>, kokkos.arg_names = ["b0", "b1", "e0", "e1", "u", "out"], kokkos.stencil, kokkos.layout_free
// CHECK:       %[[B0:\w+]] = arith.index_cast %b0 : i64 to index
// CHECK:       "scf.parallel"(%[[B0]], %b1_idx, %e0_idx, %e1_idx
// CHECK:       memref.load %u[%{{\d+}}, %{{\d+}}] : memref<?x?xf64, #kokkos.space<host>>
// CHECK:       memref.store %{{\d+}}, %out[%{{\d+}}, %{{\d+}}] : memref<?x?xf64, #kokkos.space<host>>
// CHECK-NOT:   1048576
// CHECK-NOT:   stencil.

builtin.module {
  func.func @lap(%u: !stencil.field<?x?xf64>, %out: !stencil.field<?x?xf64>) attributes {stencil.program} {
    %u_f = stencil.cast %u : !stencil.field<?x?xf64> -> !stencil.field<[-1,1048577]x[-1,1048577]xf64>
    %out_f = stencil.cast %out : !stencil.field<?x?xf64> -> !stencil.field<[0,1048576]x[0,1048576]xf64>
    %u_t = stencil.load %u_f : !stencil.field<[-1,1048577]x[-1,1048577]xf64> -> !stencil.temp<[-1,1048577]x[-1,1048577]xf64>
    %out_1 = stencil.apply(%0 = %u_t : !stencil.temp<[-1,1048577]x[-1,1048577]xf64>) -> (!stencil.temp<[0,1048576]x[0,1048576]xf64>) {
      %1 = arith.constant 4.000000e+00 : f64
      %2 = stencil.access %0[0, 0] : !stencil.temp<[-1,1048577]x[-1,1048577]xf64>
      %3 = arith.mulf %1, %2 : f64
      %4 = stencil.access %0[1, 0] : !stencil.temp<[-1,1048577]x[-1,1048577]xf64>
      %5 = stencil.access %0[-1, 0] : !stencil.temp<[-1,1048577]x[-1,1048577]xf64>
      %6 = arith.addf %4, %5 : f64
      %7 = stencil.access %0[0, 1] : !stencil.temp<[-1,1048577]x[-1,1048577]xf64>
      %8 = arith.addf %6, %7 : f64
      %9 = stencil.access %0[0, -1] : !stencil.temp<[-1,1048577]x[-1,1048577]xf64>
      %10 = arith.addf %8, %9 : f64
      %11 = arith.subf %3, %10 : f64
      stencil.return %11 : f64
    }
    stencil.store %out_1 to %out_f(<[0, 0], [1048576, 1048576]>) : !stencil.temp<[0,1048576]x[0,1048576]xf64> to !stencil.field<[0,1048576]x[0,1048576]xf64>
    func.return
  }
}
