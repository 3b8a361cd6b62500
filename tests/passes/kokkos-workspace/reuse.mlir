// RUN: hpcir opt %s -p 'kokkos-workspace' --verify-upstream | filecheck %s
// A host program's top-level temporaries become views of one workspace, each at a 64-byte aligned
// offset; a buffer dead before another is allocated shares its bytes (%c reuses %a's, %d reuses
// %b's: live ranges count uses inside loops and through views such as %c's subview). Dynamically
// sized, returned and loop-nested allocations keep their memref.alloc; deallocs of planned buffers
// go. A function that is no host program is left alone.

builtin.module {
  func.func @prog(%x: memref<16xf32>, %n: index, %out: memref<8xf32>) -> memref<16xf32> attributes {kokkos.host_program} {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c16 = arith.constant 16 : index
    %a = memref.alloc() {alignment = 64 : i64} : memref<16xf32>
    memref.copy %x, %a : memref<16xf32> to memref<16xf32>
    %b = memref.alloc() {alignment = 64 : i64} : memref<16xf32>
    scf.parallel (%i) = (%c0) to (%c16) step (%c1) {
      %v = memref.load %a[%i] : memref<16xf32>
      memref.store %v, %b[%i] : memref<16xf32>
      scf.reduce
    }
    %c = memref.alloc() {alignment = 64 : i64} : memref<16xf32>
    memref.copy %b, %c : memref<16xf32> to memref<16xf32>
    %s = memref.subview %c[8] [8] [1] : memref<16xf32> to memref<8xf32, strided<[1], offset: 8>>
    %d = memref.alloc() {alignment = 64 : i64} : memref<8xf32>
    memref.copy %s, %d : memref<8xf32, strided<[1], offset: 8>> to memref<8xf32>
    memref.copy %d, %out : memref<8xf32> to memref<8xf32>
    memref.dealloc %d : memref<8xf32>
    %flags = memref.alloc() : memref<3xi1>
    %dyn = memref.alloc(%n) : memref<?xf32>
    %ret = memref.alloc() : memref<16xf32>
    scf.for %j = %c0 to %n step %c1 {
      %loop = memref.alloc() : memref<4xf32>
    }
    func.return %ret : memref<16xf32>
  }
  func.func @not_a_program() -> () {
    %t = memref.alloc() : memref<4xf32>
    func.return
  }
}

// CHECK-LABEL: func.func @prog
// CHECK-NEXT:    %[[WS:[a-z0-9_]+]] = memref.alloc() {alignment = 64 : i64, hpcir.workspace} : memref<128xi8>
// CHECK:         arith.constant 16 : index
// CHECK-NEXT:    %[[O0:[0-9]+]] = arith.constant 0 : index
// CHECK-NEXT:    %[[A:[0-9]+]] = memref.view %[[WS]][%[[O0]]][] : memref<128xi8> to memref<16xf32>
// CHECK-NEXT:    "memref.copy"(%arg0, %[[A]])
// CHECK-NEXT:    %[[O64:[0-9]+]] = arith.constant 64 : index
// CHECK-NEXT:    %[[B:[0-9]+]] = memref.view %[[WS]][%[[O64]]][] : memref<128xi8> to memref<16xf32>
// CHECK:           memref.load %[[A]]
// CHECK:         %[[O0C:[0-9]+]] = arith.constant 0 : index
// CHECK-NEXT:    %[[C:[0-9]+]] = memref.view %[[WS]][%[[O0C]]][] : memref<128xi8> to memref<16xf32>
// CHECK-NEXT:    "memref.copy"(%[[B]], %[[C]])
// CHECK-NEXT:    %[[S:[0-9]+]] = memref.subview %[[C]][8] [8] [1]
// CHECK-NEXT:    %[[O64D:[0-9]+]] = arith.constant 64 : index
// CHECK-NEXT:    %[[D:[0-9]+]] = memref.view %[[WS]][%[[O64D]]][] : memref<128xi8> to memref<8xf32>
// CHECK-NEXT:    "memref.copy"(%[[S]], %[[D]])
// CHECK-NEXT:    "memref.copy"(%[[D]], %arg2)
// CHECK-NOT:     memref.dealloc
// CHECK:         memref.view %[[WS]][%{{[0-9]+}}][] : memref<128xi8> to memref<3xi1>
// CHECK-NEXT:    memref.alloc(%arg1) : memref<?xf32>
// CHECK-NEXT:    %[[RET:[0-9]+]] = memref.alloc() : memref<16xf32>
// CHECK:           memref.alloc() : memref<4xf32>
// CHECK:         func.return %[[RET]]
// CHECK-LABEL: func.func @not_a_program
// CHECK-NEXT:    memref.alloc() : memref<4xf32>
