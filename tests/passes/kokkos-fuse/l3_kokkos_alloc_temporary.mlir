// RUN: hpcir opt %s -p 'kokkos-set-target{target=cuda},kokkos-memory-spaces,convert-scf-to-kokkos' | filecheck %s --check-prefix=L3
// RUN: hpcir opt %s -p 'kokkos-set-target{target=cuda},kokkos-memory-spaces,convert-scf-to-kokkos,kokkos-fuse' --verify-upstream | filecheck %s
// At L3 (two kokkos.parallel_for launches in a host program), a kokkos.alloc temporary between them is
// removed and the launches fused.

func.func @pair(%n: index, %a: memref<?xf64>, %b: memref<?xf64>) attributes {kokkos.host_program} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2.0 : f64
  %nm = arith.subi %n, %c1 : index
  %t = "kokkos.alloc"(%n) <{label = "t"}> : (index) -> memref<?xf64, #kokkos.space<device>>
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    %x = memref.load %a[%i] : memref<?xf64>
    %y = arith.mulf %x, %c2 : f64
    memref.store %y, %t[%i] : memref<?xf64, #kokkos.space<device>>
    scf.reduce
  }
  scf.parallel (%i) = (%c0) to (%nm) step (%c1) {
    %ip = arith.addi %i, %c1 : index
    %v = memref.load %t[%ip] : memref<?xf64, #kokkos.space<device>>
    memref.store %v, %b[%i] : memref<?xf64>
    scf.reduce
  }

  return
}

// L3-COUNT-2: kokkos.parallel_for
// L3-NOT:     kokkos.parallel_for

// CHECK-NOT: kokkos.alloc
// CHECK:     kokkos.parallel_for
// CHECK-NOT: kokkos.parallel_for
// CHECK-NOT: kokkos.alloc
