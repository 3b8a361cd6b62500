// RUN: hpcir opt %s -p 'kokkos-fuse,canonicalize,cse' --verify-upstream | filecheck %s
// RUN: hpcir opt %s -p 'kokkos-fuse,canonicalize,cse' | filecheck %s --check-prefix=LOADS
// RUN: hpcir opt %s -p 'kokkos-fuse,canonicalize' | filecheck %s --check-prefix=NOCSE
// RUN: hpcir opt %s -o %t
// RUN: hpcir opt %s -p 'kokkos-fuse{max_recompute=4}' | diff %t -
// ISSUE5's hdiff as xDSL's convert-stencil-to-ll-mlir lowers it (lap -> flx, fly -> out, interior
// [2, n-2)) fuses into one loop without temporaries; after CSE it loads 13 distinct u points (lap at
// the 5-point star around each flux point) and coeff. With a recomputation budget of 4 ops nothing
// fuses (the smallest producer, flx: 4 ops, at 2 shifts would clone 8), so the IR is unchanged.

func.func @hdiff(%n: index, %u: memref<?x?xf64>, %coeff: memref<?x?xf64>, %out: memref<?x?xf64>) attributes {kokkos.host_program} {
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4.0 : f64
  %hi = arith.subi %n, %c2 : index
  %hi1 = arith.addi %hi, %c1 : index
  %lap = memref.alloc(%n, %n) : memref<?x?xf64>
  %flx = memref.alloc(%n, %n) : memref<?x?xf64>
  %fly = memref.alloc(%n, %n) : memref<?x?xf64>
  scf.parallel (%i, %j) = (%c1, %c1) to (%hi1, %hi1) step (%c1, %c1) {
    %ip = arith.addi %i, %c1 : index
    %im = arith.subi %i, %c1 : index
    %jp = arith.addi %j, %c1 : index
    %jm = arith.subi %j, %c1 : index
    %u0 = memref.load %u[%i, %j] : memref<?x?xf64>
    %u1 = memref.load %u[%ip, %j] : memref<?x?xf64>
    %u2 = memref.load %u[%im, %j] : memref<?x?xf64>
    %u3 = memref.load %u[%i, %jp] : memref<?x?xf64>
    %u4 = memref.load %u[%i, %jm] : memref<?x?xf64>
    %s1 = arith.addf %u1, %u2 : f64
    %s2 = arith.addf %s1, %u3 : f64
    %s3 = arith.addf %s2, %u4 : f64
    %m = arith.mulf %c4, %u0 : f64
    %l = arith.subf %m, %s3 : f64
    memref.store %l, %lap[%i, %j] : memref<?x?xf64>
    scf.reduce
  }
  scf.parallel (%i, %j) = (%c1, %c2) to (%hi, %hi) step (%c1, %c1) {
    %ip = arith.addi %i, %c1 : index
    %a = memref.load %lap[%ip, %j] : memref<?x?xf64>
    %b = memref.load %lap[%i, %j] : memref<?x?xf64>
    %d = arith.subf %a, %b : f64
    memref.store %d, %flx[%i, %j] : memref<?x?xf64>
    scf.reduce
  }
  scf.parallel (%i, %j) = (%c2, %c1) to (%hi, %hi) step (%c1, %c1) {
    %jp = arith.addi %j, %c1 : index
    %a = memref.load %lap[%i, %jp] : memref<?x?xf64>
    %b = memref.load %lap[%i, %j] : memref<?x?xf64>
    %d = arith.subf %a, %b : f64
    memref.store %d, %fly[%i, %j] : memref<?x?xf64>
    scf.reduce
  }
  scf.parallel (%i, %j) = (%c2, %c2) to (%hi, %hi) step (%c1, %c1) {
    %im = arith.subi %i, %c1 : index
    %jm = arith.subi %j, %c1 : index
    %x0 = memref.load %flx[%i, %j] : memref<?x?xf64>
    %x1 = memref.load %flx[%im, %j] : memref<?x?xf64>
    %y0 = memref.load %fly[%i, %j] : memref<?x?xf64>
    %y1 = memref.load %fly[%i, %jm] : memref<?x?xf64>
    %dx = arith.subf %x0, %x1 : f64
    %dy = arith.subf %y0, %y1 : f64
    %t = arith.addf %dx, %dy : f64
    %cf = memref.load %coeff[%i, %j] : memref<?x?xf64>
    %ct = arith.mulf %cf, %t : f64
    %u0 = memref.load %u[%i, %j] : memref<?x?xf64>
    %r = arith.subf %u0, %ct : f64
    memref.store %r, %out[%i, %j] : memref<?x?xf64>
    scf.reduce
  }
  memref.dealloc %lap : memref<?x?xf64>
  memref.dealloc %flx : memref<?x?xf64>
  memref.dealloc %fly : memref<?x?xf64>
  return
}

// CHECK-LABEL: func.func @hdiff
// CHECK-NOT:   memref.alloc
// CHECK:       "scf.parallel"
// CHECK-NOT:   "scf.parallel"
// CHECK:       memref.store
// CHECK-SAME:  , %arg3[%arg4, %arg5]
// CHECK-NOT:   "scf.parallel"
// CHECK-NOT:   memref.dealloc
// CHECK:       return

// LOADS-COUNT-14: memref.load
// LOADS-NOT:      memref.load

// NOCSE:     "scf.parallel"
// NOCSE-NOT: "scf.parallel"
