builtin.module {
  func.func @axpy(%arg20: i64, %arg21: i64, %arg22: f64, %arg23: memref<?xf64, #kokkos.space<host>>, %arg24: memref<?xf64, #kokkos.space<host>>) attributes {kokkos.entry = #kokkos.entry<for>} {
    %0 = arith.index_cast %arg20 : i64 to index
    %1 = arith.index_cast %arg21 : i64 to index
    %2 = arith.constant 1 : index
    "scf.parallel"(%0, %1, %2) <{operandSegmentSizes = array<i32: 1, 1, 1, 0>}> ({
    ^bb0(%arg25: index):
      %3 = memref.load %arg23[%arg25] : memref<?xf64, #kokkos.space<host>>
      %4 = memref.load %arg24[%arg25] : memref<?xf64, #kokkos.space<host>>
      %5 = arith.mulf %arg22, %3 : f64
      %6 = arith.addf %5, %4 : f64
      memref.store %6, %arg24[%arg25] : memref<?xf64, #kokkos.space<host>>
      scf.reduce
    }) : (index, index, index) -> ()
    func.return
  }
  func.func @dot(%arg14: i64, %arg15: i64, %arg16: memref<?xf64, #kokkos.space<host>>) -> f64 attributes {kokkos.entry = #kokkos.entry<reduce>} {
    %0 = arith.index_cast %arg14 : i64 to index
    %1 = arith.index_cast %arg15 : i64 to index
    %2 = arith.constant 1 : index
    %3 = arith.constant 0.000000e+00 : f64
    %4 = "scf.parallel"(%0, %1, %2, %3) <{operandSegmentSizes = array<i32: 1, 1, 1, 1>}> ({
    ^bb0(%arg17: index):
      %5 = memref.load %arg16[%arg17] : memref<?xf64, #kokkos.space<host>>
      %6 = arith.mulf %5, %5 : f64
      scf.reduce(%6 : f64) {
      ^bb0(%arg18: f64, %arg19: f64):
        %7 = arith.addf %arg18, %arg19 : f64
        scf.reduce.return %7 : f64
      }
    }) : (index, index, index, f64) -> f64
    func.return %4 : f64
  }
  func.func @mat(%arg0: i64, %arg1: i64, %arg2: i64, %arg3: i64, %arg4: memref<?x?xf64, #kokkos.space<host>>) -> (f64, i1) attributes {kokkos.entry = #kokkos.entry<reduce>} {
    %0 = arith.index_cast %arg0 : i64 to index
    %1 = arith.index_cast %arg1 : i64 to index
    %2 = arith.index_cast %arg2 : i64 to index
    %3 = arith.index_cast %arg3 : i64 to index
    %4 = arith.constant 1 : index
    %5 = arith.constant 2 : index
    %6 = arith.constant 5.000000e+00 : f64
    %7 = arith.constant true
    %8, %9 = "scf.parallel"(%0, %1, %2, %3, %4, %5, %6, %7) <{operandSegmentSizes = array<i32: 2, 2, 2, 2>}> ({
    ^bb0(%arg5: index, %arg6: index):
      %10 = memref.load %arg4[%arg5, %arg6] : memref<?x?xf64, #kokkos.space<host>>
      %11 = arith.constant 0.000000e+00 : f64
      %12 = arith.cmpf ogt, %10, %11 : f64
      %13 = "scf.parallel"(%0, %2, %4, %11) <{operandSegmentSizes = array<i32: 1, 1, 1, 1>}> ({
      ^bb0(%arg11: index):
        %14 = memref.load %arg4[%arg11, %arg6] : memref<?x?xf64, #kokkos.space<host>>
        scf.reduce(%14 : f64) {
        ^bb0(%arg12: f64, %arg13: f64):
          %15 = arith.maximumf %arg12, %arg13 : f64
          scf.reduce.return %15 : f64
        }
      }) : (index, index, index, f64) -> f64
      scf.reduce(%13, %12 : f64, i1) {
      ^bb0(%arg9: f64, %arg10: f64):
        %16 = arith.mulf %arg9, %arg9 : f64
        %17 = arith.addf %16, %arg10 : f64
        scf.reduce.return %17 : f64
      } {
      ^bb0(%arg7: i1, %arg8: i1):
        %18 = arith.andi %arg7, %arg8 : i1
        scf.reduce.return %18 : i1
      }
    }) : (index, index, index, index, index, index, f64, i1) -> (f64, i1)
    func.return %8, %9 : f64, i1
  }
}
