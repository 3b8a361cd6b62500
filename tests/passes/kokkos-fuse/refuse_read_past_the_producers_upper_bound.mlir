// RUN: hpcir opt %s -p kokkos-fuse | filecheck %s
// RUN: hpcir opt %s -p 'kokkos-fuse{max_recompute=1000000}' | filecheck %s
// Found by the property test (test_fuse_property.py, its explicit example): the consumer's lower
// bounds lie inside the producer's, its upper bound in j does not. @past_upper's producer writes
// t on [1, n-1) x [1, n-2); the consumer runs on [2, n-1) x [2, n-1) and reads t[i, j], so at
// j = n-2 it reads what the producer never wrote. Recomputing the producer there would produce a
// value where the unfused program reads the uninitialised temporary: not a legal fusion, at any
// recomputation budget, and the IR is left unchanged (two loops, the temporary kept). @within
// differs only in the producer's upper bound in j (n-1): every point read was written, so the
// producer is recomputed in the consumer: one loop, no temporary.

func.func @past_upper(%n: index, %a: memref<?x?xf64>, %o: memref<?x?xf64>) {
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %h = arith.constant 0.5 : f64
  %nm1 = arith.subi %n, %c1 : index
  %nm2 = arith.subi %n, %c2 : index
  %t = memref.alloc(%n, %n) : memref<?x?xf64>
  scf.parallel (%i, %j) = (%c1, %c1) to (%nm1, %nm2) step (%c1, %c1) {
    %x = memref.load %a[%i, %j] : memref<?x?xf64>
    %y = arith.addf %h, %x : f64
    memref.store %y, %t[%i, %j] : memref<?x?xf64>
    scf.reduce
  }
  scf.parallel (%i, %j) = (%c2, %c2) to (%nm1, %nm1) step (%c1, %c1) {
    %v = memref.load %t[%i, %j] : memref<?x?xf64>
    %w = arith.addf %h, %v : f64
    memref.store %w, %o[%i, %j] : memref<?x?xf64>
    scf.reduce
  }
  memref.dealloc %t : memref<?x?xf64>
  return
}

func.func @within(%n: index, %a: memref<?x?xf64>, %o: memref<?x?xf64>) {
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %h = arith.constant 0.5 : f64
  %nm1 = arith.subi %n, %c1 : index
  %t = memref.alloc(%n, %n) : memref<?x?xf64>
  scf.parallel (%i, %j) = (%c1, %c1) to (%nm1, %nm1) step (%c1, %c1) {
    %x = memref.load %a[%i, %j] : memref<?x?xf64>
    %y = arith.addf %h, %x : f64
    memref.store %y, %t[%i, %j] : memref<?x?xf64>
    scf.reduce
  }
  scf.parallel (%i, %j) = (%c2, %c2) to (%nm1, %nm1) step (%c1, %c1) {
    %v = memref.load %t[%i, %j] : memref<?x?xf64>
    %w = arith.addf %h, %v : f64
    memref.store %w, %o[%i, %j] : memref<?x?xf64>
    scf.reduce
  }
  memref.dealloc %t : memref<?x?xf64>
  return
}

// CHECK-LABEL: func.func @past_upper
// CHECK:       %[[NM1:\w+]] = arith.subi
// CHECK-NEXT:  %[[NM2:\w+]] = arith.subi
// CHECK-NEXT:  %[[T:\w+]] = memref.alloc
// CHECK-NEXT:  "scf.parallel"(%{{\w+}}, %{{\w+}}, %[[NM1]], %[[NM2]],
// CHECK:       memref.store %{{\w+}}, %[[T]][
// CHECK:       "scf.parallel"(%{{\w+}}, %{{\w+}}, %[[NM1]], %[[NM1]],
// CHECK-NEXT:  ^bb0(%[[I:\w+]]: index, %[[J:\w+]]: index):
// CHECK-NEXT:  memref.load %[[T]][%[[I]], %[[J]]]
// CHECK:       memref.dealloc %[[T]]

// CHECK-LABEL: func.func @within
// CHECK-NOT:   memref.alloc
// CHECK:       "scf.parallel"
// CHECK-NEXT:  ^bb0(%[[I:\w+]]: index, %[[J:\w+]]: index):
// CHECK-NEXT:  %[[X:\w+]] = memref.load %arg{{\d+}}[%[[I]], %[[J]]]
// CHECK-NEXT:  %[[Y:\w+]] = arith.addf %{{\w+}}, %[[X]]
// CHECK-NEXT:  %[[W:\w+]] = arith.addf %{{\w+}}, %[[Y]]
// CHECK-NEXT:  memref.store %[[W]]
// CHECK-NOT:   "scf.parallel"
// CHECK-NOT:   memref.alloc
