// RUN: hpcir opt %s -o %t
// RUN: hpcir opt %s -p kokkos-fuse | diff %t -
// A consumer reading, at another index, the argument the producer writes: a cross-iteration dependence.
// Fusion is not provably right: the IR is left unchanged.

func.func @pair(%n: index, %a: memref<?xf64>, %b: memref<?xf64>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2.0 : f64
  %nm2 = arith.muli %n, %c1 : index
  %nm = arith.subi %n, %c1 : index
  %t = memref.alloc(%n) : memref<?xf64>
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    %x = memref.load %a[%i] : memref<?xf64>
    %y = arith.mulf %x, %c2 : f64
    memref.store %y, %b[%i] : memref<?xf64>
    scf.reduce
  }
  scf.parallel (%i) = (%c0) to (%nm) step (%c1) {
    %ip = arith.addi %i, %c1 : index
    %v = memref.load %b[%ip] : memref<?xf64>
    memref.store %v, %a[%i] : memref<?xf64>
    scf.reduce
  }

  return
}

func.func @g(%m: memref<?xf64>) {
  return
}


