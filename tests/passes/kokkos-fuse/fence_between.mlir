// RUN: hpcir opt %s -p kokkos-fuse --verify-upstream | filecheck %s
// RUN: hpcir opt %s -p kokkos-fuse | filecheck %s --check-prefix=FENCE
// A fence between producer and consumer does not block fusion; the fence stays.

func.func @pair(%n: index, %a: memref<?xf64>, %b: memref<?xf64>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2.0 : f64
  %nm = arith.subi %n, %c1 : index
  %t = memref.alloc(%n) : memref<?xf64>
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    %x = memref.load %a[%i] : memref<?xf64>
    %y = arith.mulf %x, %c2 : f64
    memref.store %y, %t[%i] : memref<?xf64>
    scf.reduce
  }
  "kokkos.fence"() : () -> ()
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    %v = memref.load %t[%i] : memref<?xf64>
    memref.store %v, %b[%i] : memref<?xf64>
    scf.reduce
  }

  return
}

// CHECK:     "scf.parallel"
// CHECK-NOT: "scf.parallel"

// FENCE: kokkos.fence
