// RUN: hpcir opt %s -o %t
// RUN: hpcir opt %s -p kokkos-fuse | diff %t -
// b[i] written by the first loop, a subview of b (shifted by one) read at [i] by the second: equal
// offsets of two views of one array are not the same element, so the loops are not merged: the IR is
// left unchanged.

func.func @pair(%n: index, %a: memref<?xf64>, %b: memref<?xf64>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2.0 : f64
  %nm = arith.subi %n, %c1 : index
  %s = memref.subview %b[1] [%nm] [1] : memref<?xf64> to memref<?xf64, strided<[1], offset: 1>>
  %t = memref.alloc(%n) : memref<?xf64>
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    %x = memref.load %a[%i] : memref<?xf64>
    %y = arith.mulf %x, %c2 : f64
    memref.store %y, %b[%i] : memref<?xf64>
    scf.reduce
  }
  scf.parallel (%i) = (%c0) to (%nm) step (%c1) {
    %v = memref.load %s[%i] : memref<?xf64, strided<[1], offset: 1>>
    memref.store %v, %a[%i] : memref<?xf64>
    scf.reduce
  }

  return
}


