// RUN: not hpcir opt %s -p 'stencil-storage-materialization,convert-stencil-to-ll-mlir,stencil-to-entry,stencil-layout{order=0,0}' 2>&1 | filecheck %s --check-prefix=ORDER
// RUN: not hpcir opt %s -p 'stencil-storage-materialization,convert-stencil-to-ll-mlir,stencil-to-entry,stencil-layout{order=1,0 layouts=diagonal,right}' 2>&1 | filecheck %s --check-prefix=KIND
// RUN: not hpcir opt %s -p 'stencil-storage-materialization,convert-stencil-to-ll-mlir,stencil-to-entry,stencil-layout{order=1,0 layouts=right}' 2>&1 | filecheck %s --check-prefix=COUNT
// stencil-layout refuses options that do not describe the entry's fields, saying what it expected.
//
// ORDER: stencil-layout: order [0, 0] is not a permutation of the 2 dimensions of lap
// KIND:  stencil-layout: unknown layout(s) diagonal
// KIND:  hint: give one of right, left, stride per field
// COUNT: stencil-layout: 1 layouts for the 2 fields of lap

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
