// RUN: hpcir opt %s -p 'stencil-storage-materialization,convert-stencil-to-ll-mlir,stencil-to-entry,stencil-layout{order=1,0 layouts=stride,right}' --verify-upstream | filecheck %s
// A Laplacian specialised to Fortran-ordered arrays (memory order: dimension 1, then 0): the fields are
// indexed [j, i] (the caller passes a.T, a view), the loops run j outermost and i innermost (unit
// stride), `u` takes any strides (LayoutStride) and `out` is C-contiguous in that order (LayoutRight).
// The domain bounds keep the array's own order (b0, b1, e0, e1).
//
// CHECK-LABEL: func.func @lap(%b0: i64, %b1: i64, %e0: i64, %e1: i64, %u: memref<?x?xf64, strided<[?, ?], offset: ?>, #kokkos.space<host>>, %out: memref<?x?xf64, #kokkos.space<host>>)
// CHECK:       "scf.parallel"(%b1_idx, %b0_idx, %e1_idx, %e0_idx,
// CHECK-NEXT:  ^bb0(%[[J:\d+]]: index, %[[I:\d+]]: index):
// CHECK:       memref.load %u[%[[J]], %[[I]]]
// CHECK:       %[[IP1:\d+]] = arith.addi %[[I]], %{{\d+}} : index
// CHECK-NEXT:  memref.load %u[%[[J]], %[[IP1]]]
// CHECK:       %[[JP1:\d+]] = arith.addi %[[J]], %{{\d+}} : index
// CHECK-NEXT:  memref.load %u[%[[JP1]], %[[I]]]
// CHECK:       memref.store %{{\d+}}, %out[%[[J]], %[[I]]] : memref<?x?xf64, #kokkos.space<host>>

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
