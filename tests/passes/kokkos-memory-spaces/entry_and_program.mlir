// RUN: hpcir opt %s -p 'kokkos-set-target{target=cuda},kokkos-memory-spaces' --verify-upstream | filecheck %s --check-prefix=GPU
// RUN: hpcir opt %s -p 'kokkos-set-target{target=cpu},kokkos-memory-spaces' | filecheck %s --check-prefix=CPU
// RUN: not hpcir opt %s -p 'kokkos-memory-spaces' 2>&1 | filecheck %s --check-prefix=NOTARGET
// On a GPU target the entry's views and temporaries move to device space; the view a host program
// allocates takes the target's layout (LayoutLeft) too, and the entry it calls adopts that type.
// On a host target nothing changes. Without a target the pass refuses to guess one.
//
// GPU-LABEL: func.func @fill(
// GPU-SAME:    %v: memref<?x?xf64, strided<[1, ?]>, #kokkos.space<device>>
// GPU:         %t = memref.alloc(%h0, %h1) : memref<?x?xf64, #kokkos.space<device>>
// GPU:         memref.store %x, %v[%i, %j] : memref<?x?xf64, strided<[1, ?]>, #kokkos.space<device>>
// GPU:         memref.dealloc %t : memref<?x?xf64, #kokkos.space<device>>
// GPU-LABEL: func.func @main()
// GPU:         %a = kokkos.alloc "a"(%ni, %ni) : memref<?x?xf64, strided<[1, ?]>, #kokkos.space<device>>
// GPU-NEXT:    func.call @fill(%c0, %c0, %n, %n, %a) : (i64, i64, i64, i64, memref<?x?xf64, strided<[1, ?]>, #kokkos.space<device>>) -> ()
// GPU-NOT:     #kokkos.space<host>
//
// CPU-NOT:   #kokkos.space<device>
// CPU-NOT:   strided
//
// NOTARGET: pass 'kokkos-memory-spaces' needs a target and the module carries none

builtin.module {
  func.func @fill(%b0: i64, %b1: i64, %e0: i64, %e1: i64, %v: memref<?x?xf64, #kokkos.space<host>>) attributes {kokkos.entry = #kokkos.entry<for>} {
    %l0 = arith.index_cast %b0 : i64 to index
    %l1 = arith.index_cast %b1 : i64 to index
    %h0 = arith.index_cast %e0 : i64 to index
    %h1 = arith.index_cast %e1 : i64 to index
    %c1 = arith.constant 1 : index
    %t = memref.alloc(%h0, %h1) : memref<?x?xf64, #kokkos.space<host>>
    "scf.parallel"(%l0, %l1, %h0, %h1, %c1, %c1) <{operandSegmentSizes = array<i32: 2, 2, 2, 0>}> ({
    ^bb0(%i: index, %j: index):
      %x = arith.constant 1.0 : f64
      memref.store %x, %t[%i, %j] : memref<?x?xf64, #kokkos.space<host>>
      memref.store %x, %v[%i, %j] : memref<?x?xf64, #kokkos.space<host>>
      scf.reduce
    }) : (index, index, index, index, index, index) -> ()
    memref.dealloc %t : memref<?x?xf64, #kokkos.space<host>>
    func.return
  }
  func.func @main() attributes {kokkos.host_program} {
    %c0 = arith.constant 0 : i64
    %n = arith.constant 8 : i64
    %ni = arith.index_cast %n : i64 to index
    %a = kokkos.alloc "a"(%ni, %ni) : memref<?x?xf64, #kokkos.space<host>>
    func.call @fill(%c0, %c0, %n, %n, %a) : (i64, i64, i64, i64, memref<?x?xf64, #kokkos.space<host>>) -> ()
    func.return
  }
}
