// RUN: hpcir opt %s -o %t
// RUN: hpcir opt %s -p kokkos-fuse | diff %t -
// %s is a subview of %a: the consumer writing %s changes what the producer read from %a, so the loops
// are not fused: the IR is left unchanged.

func.func @pair(%n: index, %a: memref<?xf64>, %b: memref<?xf64>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2.0 : f64
  %nm = arith.subi %n, %c1 : index
  %s = memref.subview %a[1] [%nm] [1] : memref<?xf64> to memref<?xf64, strided<[1], offset: 1>>
  %t = memref.alloc(%n) : memref<?xf64>
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    %x = memref.load %a[%i] : memref<?xf64>
    %y = arith.mulf %x, %c2 : f64
    memref.store %y, %t[%i] : memref<?xf64>
    scf.reduce
  }
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    %v = memref.load %t[%i] : memref<?xf64>
    memref.store %v, %s[%i] : memref<?xf64, strided<[1], offset: 1>>
    scf.reduce
  }
  memref.dealloc %t : memref<?xf64>
  return
}


