// RUN: hpcir opt %s -p 'stencil-storage-materialization,convert-stencil-to-ll-mlir,stencil-to-entry,stencil-host-schedule{cache_kib=64}' --verify-upstream | filecheck %s
// A 3-D stencil on a host target: one parallel loop over (block of dim-1 rows, dim 0), dim 0 fastest;
// inside, the block's rows, then the whole innermost dimension as a vector loop (kokkos.simd).
// Rows in flight along dim 0: u spans offsets -1..1 (3 rows), out 1 row: 4 rows of 8 bytes per point
// of the innermost extent, so a block holds 65536 / (n2 * 32) rows (at least one).
//
// CHECK-LABEL: func.func @smooth(
// CHECK-SAME:    kokkos.stencil
// CHECK:       %[[N0:\d+]] = arith.maxsi %{{\d+}}, %{{\d+}} : index
// CHECK:       %[[N1:\d+]] = arith.maxsi %{{\d+}}, %{{\d+}} : index
// CHECK:       %[[N2:\d+]] = arith.maxsi %{{\d+}}, %{{\d+}} : index
// CHECK:       %[[B:\d+]] = arith.constant 32 : index
// CHECK-NEXT:  %[[ROW:\d+]] = arith.muli %[[N2]], %[[B]] : index
// CHECK:       %[[C:\d+]] = arith.constant 65536 : index
// CHECK:       arith.divsi %[[C]], %{{\d+}} : index
// CHECK:       %rows_per_block = arith.maxsi
// CHECK:       %[[NB:\d+]] = arith.divsi %{{\d+}}, %rows_per_block : index
// CHECK-NEXT:  %[[T:\d+]] = arith.muli %[[NB]], %[[N0]] : index
// CHECK:       "scf.parallel"(%{{\d+}}, %[[T]], %{{\d+}}) <{operandSegmentSizes = array<i32: 1, 1, 1, 0>}>
// CHECK-NEXT:  ^bb0(%item: index):
// CHECK-NEXT:    %[[R:\d+]] = arith.remsi %item, %[[N0]] : index
// CHECK-NEXT:    %[[I:\d+]] = arith.addi %b0_idx, %[[R]] : index
// CHECK-NEXT:    %[[JB:\d+]] = arith.divsi %item, %[[N0]] : index
// CHECK:         %[[F:\d+]] = arith.muli %[[JB]], %rows_per_block : index
// CHECK-NEXT:    %[[FIRST:\d+]] = arith.addi %b1_idx, %[[F]] : index
// CHECK-NEXT:    %[[L:\d+]] = arith.addi %[[FIRST]], %rows_per_block : index
// CHECK-NEXT:    %[[LAST:\d+]] = arith.minsi %[[L]], %e1_idx : index
// CHECK-NEXT:    scf.for %[[J:\d+]] = %[[FIRST]] to %[[LAST]] step %{{\d+}} {
// CHECK-NEXT:      scf.for %[[K:\d+]] = %b2_idx to %e2_idx step %{{\d+}} {
// CHECK:             memref.load %u[%{{\d+}}, %[[J]], %[[K]]]
// CHECK:             memref.store %{{\d+}}, %out[%[[I]], %[[J]], %[[K]]]
// CHECK-NEXT:      } {kokkos.simd}
// CHECK-NEXT:    }
// CHECK-NEXT:    scf.reduce

builtin.module {
  func.func @smooth(%u: !stencil.field<?x?x?xf64>, %out: !stencil.field<?x?x?xf64>) attributes {stencil.program} {
    %u_f = stencil.cast %u : !stencil.field<?x?x?xf64> -> !stencil.field<[-1,1048577]x[0,1048577]x[-1,1048576]xf64>
    %out_f = stencil.cast %out : !stencil.field<?x?x?xf64> -> !stencil.field<[0,1048576]x[0,1048576]x[0,1048576]xf64>
    %u_t = stencil.load %u_f : !stencil.field<[-1,1048577]x[0,1048577]x[-1,1048576]xf64> -> !stencil.temp<[-1,1048577]x[0,1048577]x[-1,1048576]xf64>
    %out_1 = stencil.apply(%0 = %u_t : !stencil.temp<[-1,1048577]x[0,1048577]x[-1,1048576]xf64>) -> (!stencil.temp<[0,1048576]x[0,1048576]x[0,1048576]xf64>) {
      %1 = stencil.access %0[1, 0, 0] : !stencil.temp<[-1,1048577]x[0,1048577]x[-1,1048576]xf64>
      %2 = stencil.access %0[-1, 0, 0] : !stencil.temp<[-1,1048577]x[0,1048577]x[-1,1048576]xf64>
      %3 = arith.addf %1, %2 : f64
      %4 = stencil.access %0[0, 1, 0] : !stencil.temp<[-1,1048577]x[0,1048577]x[-1,1048576]xf64>
      %5 = arith.addf %3, %4 : f64
      %6 = stencil.access %0[0, 0, -1] : !stencil.temp<[-1,1048577]x[0,1048577]x[-1,1048576]xf64>
      %7 = arith.addf %5, %6 : f64
      stencil.return %7 : f64
    }
    stencil.store %out_1 to %out_f(<[0, 0, 0], [1048576, 1048576, 1048576]>) : !stencil.temp<[0,1048576]x[0,1048576]x[0,1048576]xf64> to !stencil.field<[0,1048576]x[0,1048576]x[0,1048576]xf64>
    func.return
  }
}
