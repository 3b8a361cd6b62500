// RUN: hpcir opt %s -p 'kokkos-set-target{target=cpu},convert-scf-to-kokkos' --verify-upstream | filecheck %s
// Complex combiners (the upstream complex dialect) map to the built-in sum and prod reducers
// (Kokkos::Sum / Prod of Kokkos::complex), without a join region.

func.func @red_add_c64(%lo: index, %hi: index, %x: memref<?xcomplex<f32>, #kokkos.space<host>>) -> complex<f32>
    attributes {kokkos.entry = #kokkos.entry<reduce>} {
  %c1 = arith.constant 1 : index
  %init = complex.constant [0.0 : f32, 0.0 : f32] : complex<f32>
  %r = scf.parallel (%iv) = (%lo) to (%hi) step (%c1) init (%init) -> complex<f32> {
    %xi = memref.load %x[%iv] : memref<?xcomplex<f32>, #kokkos.space<host>>
    scf.reduce(%xi : complex<f32>) {
    ^bb0(%l: complex<f32>, %rr: complex<f32>):
      %c = complex.add %l, %rr : complex<f32>
      scf.reduce.return %c : complex<f32>
    }
  }
  return %r : complex<f32>
}
func.func @red_mul_c128(%lo: index, %hi: index, %x: memref<?xcomplex<f64>, #kokkos.space<host>>) -> complex<f64>
    attributes {kokkos.entry = #kokkos.entry<reduce>} {
  %c1 = arith.constant 1 : index
  %init = complex.constant [1.0 : f64, 0.0 : f64] : complex<f64>
  %r = scf.parallel (%iv) = (%lo) to (%hi) step (%c1) init (%init) -> complex<f64> {
    %xi = memref.load %x[%iv] : memref<?xcomplex<f64>, #kokkos.space<host>>
    scf.reduce(%xi : complex<f64>) {
    ^bb0(%l: complex<f64>, %rr: complex<f64>):
      %c = complex.mul %l, %rr : complex<f64>
      scf.reduce.return %c : complex<f64>
    }
  }
  return %r : complex<f64>
}

// CHECK:      func.func @red_add_c64(%[[LO:\w+]]: index, %[[HI:\w+]]: index,
// CHECK:      %[[INIT:\w+]] = complex.constant {{.*}}complex<f32>
// CHECK-NEXT: kokkos.parallel_reduce "red_add_c64" #kokkos.range on <openmp>(%[[LO]], %[[HI]]) init(%[[INIT]] : complex<f32>) [#kokkos.reducer<sum>] {
// CHECK:        complex.add %{{\w+}}, %{{\w+}} : complex<f32>
// CHECK-NEXT:   kokkos.yield
// CHECK-NOT:  join
// CHECK:      func.return

// CHECK:      func.func @red_mul_c128(%[[LO:\w+]]: index, %[[HI:\w+]]: index,
// CHECK:      %[[INIT:\w+]] = complex.constant {{.*}}complex<f64>
// CHECK-NEXT: kokkos.parallel_reduce "red_mul_c128" #kokkos.range on <openmp>(%[[LO]], %[[HI]]) init(%[[INIT]] : complex<f64>) [#kokkos.reducer<prod>] {
// CHECK:        complex.mul %{{\w+}}, %{{\w+}} : complex<f64>
// CHECK-NEXT:   kokkos.yield
// CHECK-NOT:  join
// CHECK:      func.return
