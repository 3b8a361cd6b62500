// RUN: hpcir opt %s -o %t
// RUN: hpcir opt %s -p kokkos-fuse | diff %t -
// A reduction consumer is not fused with its producer: the IR is left unchanged.

func.func @red(%n: index, %a: memref<?xf64>) -> f64 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %z = arith.constant 0.0 : f64
  %t = memref.alloc(%n) : memref<?xf64>
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    %x = memref.load %a[%i] : memref<?xf64>
    memref.store %x, %t[%i] : memref<?xf64>
    scf.reduce
  }
  %r = scf.parallel (%i) = (%c0) to (%n) step (%c1) init (%z) -> f64 {
    %v = memref.load %t[%i] : memref<?xf64>
    scf.reduce(%v : f64) {
    ^bb0(%p: f64, %q: f64):
      %s = arith.addf %p, %q : f64
      scf.reduce.return %s : f64
    }
  }
  return %r : f64
}


