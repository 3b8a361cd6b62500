// RUN: hpcir opt %s -p 'kokkos-set-target{target=cpu},convert-scf-to-kokkos' --verify-upstream | filecheck %s
// Each scf.reduce combiner with a Kokkos counterpart maps to a built-in reducer (sum, prod, max, min,
// land, lor, band, bor; signed max/min on i1 are land/lor since true is -1), without a join region.
// One function per (combiner, type).

func.func @red_addf_f64(%lo: index, %hi: index, %x: memref<?xf64, #kokkos.space<host>>) -> f64
    attributes {kokkos.entry = #kokkos.entry<reduce>} {
  %c1 = arith.constant 1 : index
  %init = arith.constant 0.0 : f64
  %r = scf.parallel (%iv) = (%lo) to (%hi) step (%c1) init (%init) -> f64 {
    %xi = memref.load %x[%iv] : memref<?xf64, #kokkos.space<host>>
    scf.reduce(%xi : f64) {
    ^bb0(%l: f64, %rr: f64):
      %c = arith.addf %l, %rr : f64
      scf.reduce.return %c : f64
    }
  }
  return %r : f64
}
func.func @red_addi_i32(%lo: index, %hi: index, %x: memref<?xi32, #kokkos.space<host>>) -> i32
    attributes {kokkos.entry = #kokkos.entry<reduce>} {
  %c1 = arith.constant 1 : index
  %init = arith.constant 0 : i32
  %r = scf.parallel (%iv) = (%lo) to (%hi) step (%c1) init (%init) -> i32 {
    %xi = memref.load %x[%iv] : memref<?xi32, #kokkos.space<host>>
    scf.reduce(%xi : i32) {
    ^bb0(%l: i32, %rr: i32):
      %c = arith.addi %l, %rr : i32
      scf.reduce.return %c : i32
    }
  }
  return %r : i32
}
func.func @red_mulf_f32(%lo: index, %hi: index, %x: memref<?xf32, #kokkos.space<host>>) -> f32
    attributes {kokkos.entry = #kokkos.entry<reduce>} {
  %c1 = arith.constant 1 : index
  %init = arith.constant 1.0 : f32
  %r = scf.parallel (%iv) = (%lo) to (%hi) step (%c1) init (%init) -> f32 {
    %xi = memref.load %x[%iv] : memref<?xf32, #kokkos.space<host>>
    scf.reduce(%xi : f32) {
    ^bb0(%l: f32, %rr: f32):
      %c = arith.mulf %l, %rr : f32
      scf.reduce.return %c : f32
    }
  }
  return %r : f32
}
func.func @red_muli_i64(%lo: index, %hi: index, %x: memref<?xi64, #kokkos.space<host>>) -> i64
    attributes {kokkos.entry = #kokkos.entry<reduce>} {
  %c1 = arith.constant 1 : index
  %init = arith.constant 1 : i64
  %r = scf.parallel (%iv) = (%lo) to (%hi) step (%c1) init (%init) -> i64 {
    %xi = memref.load %x[%iv] : memref<?xi64, #kokkos.space<host>>
    scf.reduce(%xi : i64) {
    ^bb0(%l: i64, %rr: i64):
      %c = arith.muli %l, %rr : i64
      scf.reduce.return %c : i64
    }
  }
  return %r : i64
}
func.func @red_maximumf_f64(%lo: index, %hi: index, %x: memref<?xf64, #kokkos.space<host>>) -> f64
    attributes {kokkos.entry = #kokkos.entry<reduce>} {
  %c1 = arith.constant 1 : index
  %init = arith.constant 0xFFF0000000000000 : f64
  %r = scf.parallel (%iv) = (%lo) to (%hi) step (%c1) init (%init) -> f64 {
    %xi = memref.load %x[%iv] : memref<?xf64, #kokkos.space<host>>
    scf.reduce(%xi : f64) {
    ^bb0(%l: f64, %rr: f64):
      %c = arith.maximumf %l, %rr : f64
      scf.reduce.return %c : f64
    }
  }
  return %r : f64
}
func.func @red_maxnumf_f64(%lo: index, %hi: index, %x: memref<?xf64, #kokkos.space<host>>) -> f64
    attributes {kokkos.entry = #kokkos.entry<reduce>} {
  %c1 = arith.constant 1 : index
  %init = arith.constant 0xFFF0000000000000 : f64
  %r = scf.parallel (%iv) = (%lo) to (%hi) step (%c1) init (%init) -> f64 {
    %xi = memref.load %x[%iv] : memref<?xf64, #kokkos.space<host>>
    scf.reduce(%xi : f64) {
    ^bb0(%l: f64, %rr: f64):
      %c = arith.maxnumf %l, %rr : f64
      scf.reduce.return %c : f64
    }
  }
  return %r : f64
}
func.func @red_maxsi_i64(%lo: index, %hi: index, %x: memref<?xi64, #kokkos.space<host>>) -> i64
    attributes {kokkos.entry = #kokkos.entry<reduce>} {
  %c1 = arith.constant 1 : index
  %init = arith.constant -9223372036854775808 : i64
  %r = scf.parallel (%iv) = (%lo) to (%hi) step (%c1) init (%init) -> i64 {
    %xi = memref.load %x[%iv] : memref<?xi64, #kokkos.space<host>>
    scf.reduce(%xi : i64) {
    ^bb0(%l: i64, %rr: i64):
      %c = arith.maxsi %l, %rr : i64
      scf.reduce.return %c : i64
    }
  }
  return %r : i64
}
func.func @red_minimumf_f64(%lo: index, %hi: index, %x: memref<?xf64, #kokkos.space<host>>) -> f64
    attributes {kokkos.entry = #kokkos.entry<reduce>} {
  %c1 = arith.constant 1 : index
  %init = arith.constant 0x7FF0000000000000 : f64
  %r = scf.parallel (%iv) = (%lo) to (%hi) step (%c1) init (%init) -> f64 {
    %xi = memref.load %x[%iv] : memref<?xf64, #kokkos.space<host>>
    scf.reduce(%xi : f64) {
    ^bb0(%l: f64, %rr: f64):
      %c = arith.minimumf %l, %rr : f64
      scf.reduce.return %c : f64
    }
  }
  return %r : f64
}
func.func @red_minsi_i32(%lo: index, %hi: index, %x: memref<?xi32, #kokkos.space<host>>) -> i32
    attributes {kokkos.entry = #kokkos.entry<reduce>} {
  %c1 = arith.constant 1 : index
  %init = arith.constant 2147483647 : i32
  %r = scf.parallel (%iv) = (%lo) to (%hi) step (%c1) init (%init) -> i32 {
    %xi = memref.load %x[%iv] : memref<?xi32, #kokkos.space<host>>
    scf.reduce(%xi : i32) {
    ^bb0(%l: i32, %rr: i32):
      %c = arith.minsi %l, %rr : i32
      scf.reduce.return %c : i32
    }
  }
  return %r : i32
}
func.func @red_andi_i1(%lo: index, %hi: index, %x: memref<?xi1, #kokkos.space<host>>) -> i1
    attributes {kokkos.entry = #kokkos.entry<reduce>} {
  %c1 = arith.constant 1 : index
  %init = arith.constant true
  %r = scf.parallel (%iv) = (%lo) to (%hi) step (%c1) init (%init) -> i1 {
    %xi = memref.load %x[%iv] : memref<?xi1, #kokkos.space<host>>
    scf.reduce(%xi : i1) {
    ^bb0(%l: i1, %rr: i1):
      %c = arith.andi %l, %rr : i1
      scf.reduce.return %c : i1
    }
  }
  return %r : i1
}
func.func @red_ori_i1(%lo: index, %hi: index, %x: memref<?xi1, #kokkos.space<host>>) -> i1
    attributes {kokkos.entry = #kokkos.entry<reduce>} {
  %c1 = arith.constant 1 : index
  %init = arith.constant false
  %r = scf.parallel (%iv) = (%lo) to (%hi) step (%c1) init (%init) -> i1 {
    %xi = memref.load %x[%iv] : memref<?xi1, #kokkos.space<host>>
    scf.reduce(%xi : i1) {
    ^bb0(%l: i1, %rr: i1):
      %c = arith.ori %l, %rr : i1
      scf.reduce.return %c : i1
    }
  }
  return %r : i1
}
func.func @red_maxsi_i1(%lo: index, %hi: index, %x: memref<?xi1, #kokkos.space<host>>) -> i1
    attributes {kokkos.entry = #kokkos.entry<reduce>} {
  %c1 = arith.constant 1 : index
  %init = arith.constant true
  %r = scf.parallel (%iv) = (%lo) to (%hi) step (%c1) init (%init) -> i1 {
    %xi = memref.load %x[%iv] : memref<?xi1, #kokkos.space<host>>
    scf.reduce(%xi : i1) {
    ^bb0(%l: i1, %rr: i1):
      %c = arith.maxsi %l, %rr : i1
      scf.reduce.return %c : i1
    }
  }
  return %r : i1
}
func.func @red_minsi_i1(%lo: index, %hi: index, %x: memref<?xi1, #kokkos.space<host>>) -> i1
    attributes {kokkos.entry = #kokkos.entry<reduce>} {
  %c1 = arith.constant 1 : index
  %init = arith.constant false
  %r = scf.parallel (%iv) = (%lo) to (%hi) step (%c1) init (%init) -> i1 {
    %xi = memref.load %x[%iv] : memref<?xi1, #kokkos.space<host>>
    scf.reduce(%xi : i1) {
    ^bb0(%l: i1, %rr: i1):
      %c = arith.minsi %l, %rr : i1
      scf.reduce.return %c : i1
    }
  }
  return %r : i1
}
func.func @red_andi_i32(%lo: index, %hi: index, %x: memref<?xi32, #kokkos.space<host>>) -> i32
    attributes {kokkos.entry = #kokkos.entry<reduce>} {
  %c1 = arith.constant 1 : index
  %init = arith.constant -1 : i32
  %r = scf.parallel (%iv) = (%lo) to (%hi) step (%c1) init (%init) -> i32 {
    %xi = memref.load %x[%iv] : memref<?xi32, #kokkos.space<host>>
    scf.reduce(%xi : i32) {
    ^bb0(%l: i32, %rr: i32):
      %c = arith.andi %l, %rr : i32
      scf.reduce.return %c : i32
    }
  }
  return %r : i32
}
func.func @red_ori_i64(%lo: index, %hi: index, %x: memref<?xi64, #kokkos.space<host>>) -> i64
    attributes {kokkos.entry = #kokkos.entry<reduce>} {
  %c1 = arith.constant 1 : index
  %init = arith.constant 0 : i64
  %r = scf.parallel (%iv) = (%lo) to (%hi) step (%c1) init (%init) -> i64 {
    %xi = memref.load %x[%iv] : memref<?xi64, #kokkos.space<host>>
    scf.reduce(%xi : i64) {
    ^bb0(%l: i64, %rr: i64):
      %c = arith.ori %l, %rr : i64
      scf.reduce.return %c : i64
    }
  }
  return %r : i64
}

// CHECK:      func.func @red_addf_f64(%[[LO:\w+]]: index, %[[HI:\w+]]: index,
// CHECK:      %[[INIT:\w+]] = arith.constant {{.*}}f64
// CHECK-NEXT: kokkos.parallel_reduce "red_addf_f64" #kokkos.range on <openmp>(%[[LO]], %[[HI]]) init(%[[INIT]] : f64) [#kokkos.reducer<sum>] {
// CHECK:        arith.addf %{{\w+}}, %{{\w+}} : f64
// CHECK-NEXT:   kokkos.yield
// CHECK-NOT:  join
// CHECK:      func.return

// CHECK:      func.func @red_addi_i32(%[[LO:\w+]]: index, %[[HI:\w+]]: index,
// CHECK:      %[[INIT:\w+]] = arith.constant {{.*}}i32
// CHECK-NEXT: kokkos.parallel_reduce "red_addi_i32" #kokkos.range on <openmp>(%[[LO]], %[[HI]]) init(%[[INIT]] : i32) [#kokkos.reducer<sum>] {
// CHECK:        arith.addi %{{\w+}}, %{{\w+}} : i32
// CHECK-NEXT:   kokkos.yield
// CHECK-NOT:  join
// CHECK:      func.return

// CHECK:      func.func @red_mulf_f32(%[[LO:\w+]]: index, %[[HI:\w+]]: index,
// CHECK:      %[[INIT:\w+]] = arith.constant {{.*}}f32
// CHECK-NEXT: kokkos.parallel_reduce "red_mulf_f32" #kokkos.range on <openmp>(%[[LO]], %[[HI]]) init(%[[INIT]] : f32) [#kokkos.reducer<prod>] {
// CHECK:        arith.mulf %{{\w+}}, %{{\w+}} : f32
// CHECK-NEXT:   kokkos.yield
// CHECK-NOT:  join
// CHECK:      func.return

// CHECK:      func.func @red_muli_i64(%[[LO:\w+]]: index, %[[HI:\w+]]: index,
// CHECK:      %[[INIT:\w+]] = arith.constant {{.*}}i64
// CHECK-NEXT: kokkos.parallel_reduce "red_muli_i64" #kokkos.range on <openmp>(%[[LO]], %[[HI]]) init(%[[INIT]] : i64) [#kokkos.reducer<prod>] {
// CHECK:        arith.muli %{{\w+}}, %{{\w+}} : i64
// CHECK-NEXT:   kokkos.yield
// CHECK-NOT:  join
// CHECK:      func.return

// CHECK:      func.func @red_maximumf_f64(%[[LO:\w+]]: index, %[[HI:\w+]]: index,
// CHECK:      %[[INIT:\w+]] = arith.constant {{.*}}f64
// CHECK-NEXT: kokkos.parallel_reduce "red_maximumf_f64" #kokkos.range on <openmp>(%[[LO]], %[[HI]]) init(%[[INIT]] : f64) [#kokkos.reducer<max>] {
// CHECK:        arith.maximumf %{{\w+}}, %{{\w+}} : f64
// CHECK-NEXT:   kokkos.yield
// CHECK-NOT:  join
// CHECK:      func.return

// CHECK:      func.func @red_maxnumf_f64(%[[LO:\w+]]: index, %[[HI:\w+]]: index,
// CHECK:      %[[INIT:\w+]] = arith.constant {{.*}}f64
// CHECK-NEXT: kokkos.parallel_reduce "red_maxnumf_f64" #kokkos.range on <openmp>(%[[LO]], %[[HI]]) init(%[[INIT]] : f64) [#kokkos.reducer<max>] {
// CHECK:        arith.maxnumf %{{\w+}}, %{{\w+}} : f64
// CHECK-NEXT:   kokkos.yield
// CHECK-NOT:  join
// CHECK:      func.return

// CHECK:      func.func @red_maxsi_i64(%[[LO:\w+]]: index, %[[HI:\w+]]: index,
// CHECK:      %[[INIT:\w+]] = arith.constant {{.*}}i64
// CHECK-NEXT: kokkos.parallel_reduce "red_maxsi_i64" #kokkos.range on <openmp>(%[[LO]], %[[HI]]) init(%[[INIT]] : i64) [#kokkos.reducer<max>] {
// CHECK:        arith.maxsi %{{\w+}}, %{{\w+}} : i64
// CHECK-NEXT:   kokkos.yield
// CHECK-NOT:  join
// CHECK:      func.return

// CHECK:      func.func @red_minimumf_f64(%[[LO:\w+]]: index, %[[HI:\w+]]: index,
// CHECK:      %[[INIT:\w+]] = arith.constant {{.*}}f64
// CHECK-NEXT: kokkos.parallel_reduce "red_minimumf_f64" #kokkos.range on <openmp>(%[[LO]], %[[HI]]) init(%[[INIT]] : f64) [#kokkos.reducer<min>] {
// CHECK:        arith.minimumf %{{\w+}}, %{{\w+}} : f64
// CHECK-NEXT:   kokkos.yield
// CHECK-NOT:  join
// CHECK:      func.return

// CHECK:      func.func @red_minsi_i32(%[[LO:\w+]]: index, %[[HI:\w+]]: index,
// CHECK:      %[[INIT:\w+]] = arith.constant {{.*}}i32
// CHECK-NEXT: kokkos.parallel_reduce "red_minsi_i32" #kokkos.range on <openmp>(%[[LO]], %[[HI]]) init(%[[INIT]] : i32) [#kokkos.reducer<min>] {
// CHECK:        arith.minsi %{{\w+}}, %{{\w+}} : i32
// CHECK-NEXT:   kokkos.yield
// CHECK-NOT:  join
// CHECK:      func.return

// CHECK:      func.func @red_andi_i1(%[[LO:\w+]]: index, %[[HI:\w+]]: index,
// CHECK:      %[[INIT:\w+]] = arith.constant {{.*}}{{true|false}}
// CHECK-NEXT: kokkos.parallel_reduce "red_andi_i1" #kokkos.range on <openmp>(%[[LO]], %[[HI]]) init(%[[INIT]] : i1) [#kokkos.reducer<land>] {
// CHECK:        arith.andi %{{\w+}}, %{{\w+}} : i1
// CHECK-NEXT:   kokkos.yield
// CHECK-NOT:  join
// CHECK:      func.return

// CHECK:      func.func @red_ori_i1(%[[LO:\w+]]: index, %[[HI:\w+]]: index,
// CHECK:      %[[INIT:\w+]] = arith.constant {{.*}}{{true|false}}
// CHECK-NEXT: kokkos.parallel_reduce "red_ori_i1" #kokkos.range on <openmp>(%[[LO]], %[[HI]]) init(%[[INIT]] : i1) [#kokkos.reducer<lor>] {
// CHECK:        arith.ori %{{\w+}}, %{{\w+}} : i1
// CHECK-NEXT:   kokkos.yield
// CHECK-NOT:  join
// CHECK:      func.return

// CHECK:      func.func @red_maxsi_i1(%[[LO:\w+]]: index, %[[HI:\w+]]: index,
// CHECK:      %[[INIT:\w+]] = arith.constant {{.*}}{{true|false}}
// CHECK-NEXT: kokkos.parallel_reduce "red_maxsi_i1" #kokkos.range on <openmp>(%[[LO]], %[[HI]]) init(%[[INIT]] : i1) [#kokkos.reducer<land>] {
// CHECK:        arith.maxsi %{{\w+}}, %{{\w+}} : i1
// CHECK-NEXT:   kokkos.yield
// CHECK-NOT:  join
// CHECK:      func.return

// CHECK:      func.func @red_minsi_i1(%[[LO:\w+]]: index, %[[HI:\w+]]: index,
// CHECK:      %[[INIT:\w+]] = arith.constant {{.*}}{{true|false}}
// CHECK-NEXT: kokkos.parallel_reduce "red_minsi_i1" #kokkos.range on <openmp>(%[[LO]], %[[HI]]) init(%[[INIT]] : i1) [#kokkos.reducer<lor>] {
// CHECK:        arith.minsi %{{\w+}}, %{{\w+}} : i1
// CHECK-NEXT:   kokkos.yield
// CHECK-NOT:  join
// CHECK:      func.return

// CHECK:      func.func @red_andi_i32(%[[LO:\w+]]: index, %[[HI:\w+]]: index,
// CHECK:      %[[INIT:\w+]] = arith.constant {{.*}}i32
// CHECK-NEXT: kokkos.parallel_reduce "red_andi_i32" #kokkos.range on <openmp>(%[[LO]], %[[HI]]) init(%[[INIT]] : i32) [#kokkos.reducer<band>] {
// CHECK:        arith.andi %{{\w+}}, %{{\w+}} : i32
// CHECK-NEXT:   kokkos.yield
// CHECK-NOT:  join
// CHECK:      func.return

// CHECK:      func.func @red_ori_i64(%[[LO:\w+]]: index, %[[HI:\w+]]: index,
// CHECK:      %[[INIT:\w+]] = arith.constant {{.*}}i64
// CHECK-NEXT: kokkos.parallel_reduce "red_ori_i64" #kokkos.range on <openmp>(%[[LO]], %[[HI]]) init(%[[INIT]] : i64) [#kokkos.reducer<bor>] {
// CHECK:        arith.ori %{{\w+}}, %{{\w+}} : i64
// CHECK-NEXT:   kokkos.yield
// CHECK-NOT:  join
// CHECK:      func.return
