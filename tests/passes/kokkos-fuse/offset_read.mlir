// RUN: hpcir opt %s -p 'kokkos-fuse,canonicalize,cse' --verify-upstream | filecheck %s
// RUN: hpcir opt %s -p 'kokkos-fuse,canonicalize,cse' | filecheck %s --check-prefix=ONE
// RUN: hpcir opt %s -p kokkos-fuse | filecheck %s --check-prefix=FUSED
// RUN: hpcir opt %s -o %t
// RUN: hpcir opt %s -p 'kokkos-fuse{noalias=false}' | diff %t -
// A consumer reading the temporary at i+1 recomputes the producer at the shifted index: one loop, no
// temporary (test_kokkos_fuse.py runs the fused loop in the interpreter). With noalias=false the
// arguments may alias: recomputing the producer (reading %a) inside the consumer (writing %b) could
// read values the consumer already wrote, so nothing fuses.

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
  scf.parallel (%i) = (%c0) to (%nm) step (%c1) {
    %ip = arith.addi %i, %c1 : index
    %v = memref.load %t[%ip] : memref<?xf64>
    memref.store %v, %b[%i] : memref<?xf64>
    scf.reduce
  }
  memref.dealloc %t : memref<?xf64>
  return
}

// CHECK:      ^bb0(%[[I:\w+]]: index):
// CHECK-NEXT: %[[IP:\w+]] = arith.addi %[[I]], %{{\w+}} : index
// CHECK-NEXT: %[[X:\w+]] = memref.load %arg1[%[[IP]]]
// CHECK-NEXT: %[[Y:\w+]] = arith.mulf %[[X]]
// CHECK-NEXT: memref.store %[[Y]], %arg2[%[[I]]]

// ONE-NOT: memref.alloc
// ONE:     "scf.parallel"
// ONE-NOT: "scf.parallel"
// ONE-NOT: memref.alloc

// FUSED:     "scf.parallel"
// FUSED-NOT: "scf.parallel"
