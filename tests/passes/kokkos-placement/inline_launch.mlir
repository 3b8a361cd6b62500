// RUN: hpcir opt %s -p 'kokkos-set-target{target=cuda},kokkos-placement' --verify-upstream | filecheck %s
// An inline L3 launch in a host program on a GPU target: x, accessed on the host and in the launch,
// gets a host mirror (x_h) and one deep_copy each way around the launch; t, used on the host only,
// moves to host memory.

func.func @prog() attributes {kokkos.host_program} {
  %n = arith.constant 16 : index
  %c0 = arith.constant 0 : index
  %one = arith.constant 1.0 : f64
  %x = "kokkos.alloc"(%n) <{label = "x"}> : (index) -> memref<?xf64, #kokkos.space<device>>
  %t = "kokkos.alloc"(%n) <{label = "t"}> : (index) -> memref<?xf64, #kokkos.space<device>>
  memref.store %one, %x[%c0] : memref<?xf64, #kokkos.space<device>>
  "kokkos.parallel_for"(%c0, %n) <{policy = #kokkos.range, exec_space = #kokkos.exec<cuda>, name = "dbl"}> ({
  ^bb0(%i: index):
    %a = memref.load %x[%i] : memref<?xf64, #kokkos.space<device>>
    %b = arith.addf %a, %a : f64
    memref.store %b, %x[%i] : memref<?xf64, #kokkos.space<device>>
    "kokkos.yield"() : () -> ()
  }) : (index, index) -> ()
  memref.store %one, %t[%c0] : memref<?xf64, #kokkos.space<device>>
  %r = memref.load %x[%c0] : memref<?xf64, #kokkos.space<device>>
  %s = memref.load %t[%c0] : memref<?xf64, #kokkos.space<device>>
  "kokkos.print"(%r, %s) <{format = "{} {}"}> : (f64, f64) -> ()
  return
}

// CHECK:      %[[X:\w+]] = kokkos.alloc "x"(%n) : memref<?xf64, #kokkos.space<device>>
// CHECK-NEXT: %[[XH:x_h]] = kokkos.create_mirror_view %[[X]]
// CHECK-NEXT: %[[T:\w+]] = kokkos.alloc "t"(%n) : memref<?xf64, #kokkos.space<host>>
// CHECK-NEXT: memref.store %one, %[[XH]][%c0] : memref<?xf64, #kokkos.space<host>>
// CHECK-NEXT: kokkos.deep_copy %[[X]], %[[XH]]
// CHECK-NEXT: kokkos.parallel_for "dbl"
// CHECK:        memref.load %[[X]][%i] : memref<?xf64, #kokkos.space<device>>
// CHECK:      memref.store %one, %[[T]][%c0] : memref<?xf64, #kokkos.space<host>>
// CHECK-NEXT: kokkos.deep_copy %[[XH]], %[[X]]
// CHECK-NEXT: memref.load %[[XH]][%c0]
// CHECK-NEXT: memref.load %[[T]][%c0]
// CHECK-NEXT: kokkos.print
