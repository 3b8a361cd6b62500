// RUN: hpcir opt %s -p 'kokkos-set-target{target=cuda},kokkos-layout' --verify-upstream | filecheck %s
// An MDRange with iterate = default follows the contiguous subscript of its accesses:
//   @acc_row_major: row-major walk: last index fastest
//   @acc_transposed: transposed walk of a LayoutRight view
//   @acc_index_arith: through index arithmetic (i + 1)
//   @acc_majority: majority
//   @acc_diagonal: diagonal: no vote, target (cuda) preference
//   @acc_diagonals_no_outvote: diagonals do not outvote B

func.func @acc_row_major(%n: index, %A: memref<?x?xf64, #kokkos.space<device>>, %B: memref<?x?xf64, #kokkos.space<device>>)
    attributes {kokkos.entry = #kokkos.entry<for>} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  "kokkos.parallel_for"(%c0, %c0, %n, %n) <{policy = #kokkos.mdrange<2, iterate = default>,
      exec_space = #kokkos.exec<cuda>, name = "acc_row_major"}> ({
  ^bb0(%i: index, %j: index):
    %ip = arith.addi %i, %c1 : index
    %v0 = memref.load %A[%i, %j] : memref<?x?xf64, #kokkos.space<device>>
    "kokkos.yield"() : () -> ()
  }) : (index, index, index, index) -> ()
  return
}
func.func @acc_transposed(%n: index, %A: memref<?x?xf64, #kokkos.space<device>>, %B: memref<?x?xf64, #kokkos.space<device>>)
    attributes {kokkos.entry = #kokkos.entry<for>} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  "kokkos.parallel_for"(%c0, %c0, %n, %n) <{policy = #kokkos.mdrange<2, iterate = default>,
      exec_space = #kokkos.exec<cuda>, name = "acc_transposed"}> ({
  ^bb0(%i: index, %j: index):
    %ip = arith.addi %i, %c1 : index
    %v0 = memref.load %A[%j, %i] : memref<?x?xf64, #kokkos.space<device>>
    "kokkos.yield"() : () -> ()
  }) : (index, index, index, index) -> ()
  return
}
func.func @acc_index_arith(%n: index, %A: memref<?x?xf64, #kokkos.space<device>>, %B: memref<?x?xf64, #kokkos.space<device>>)
    attributes {kokkos.entry = #kokkos.entry<for>} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  "kokkos.parallel_for"(%c0, %c0, %n, %n) <{policy = #kokkos.mdrange<2, iterate = default>,
      exec_space = #kokkos.exec<cuda>, name = "acc_index_arith"}> ({
  ^bb0(%i: index, %j: index):
    %ip = arith.addi %i, %c1 : index
    %v0 = memref.load %A[%j, %ip] : memref<?x?xf64, #kokkos.space<device>>
    "kokkos.yield"() : () -> ()
  }) : (index, index, index, index) -> ()
  return
}
func.func @acc_majority(%n: index, %A: memref<?x?xf64, #kokkos.space<device>>, %B: memref<?x?xf64, #kokkos.space<device>>)
    attributes {kokkos.entry = #kokkos.entry<for>} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  "kokkos.parallel_for"(%c0, %c0, %n, %n) <{policy = #kokkos.mdrange<2, iterate = default>,
      exec_space = #kokkos.exec<cuda>, name = "acc_majority"}> ({
  ^bb0(%i: index, %j: index):
    %ip = arith.addi %i, %c1 : index
    %v0 = memref.load %A[%j, %i] : memref<?x?xf64, #kokkos.space<device>>
    %v1 = memref.load %B[%j, %i] : memref<?x?xf64, #kokkos.space<device>>
    %v2 = memref.load %A[%i, %j] : memref<?x?xf64, #kokkos.space<device>>
    "kokkos.yield"() : () -> ()
  }) : (index, index, index, index) -> ()
  return
}
func.func @acc_diagonal(%n: index, %A: memref<?x?xf64, #kokkos.space<device>>, %B: memref<?x?xf64, #kokkos.space<device>>)
    attributes {kokkos.entry = #kokkos.entry<for>} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  "kokkos.parallel_for"(%c0, %c0, %n, %n) <{policy = #kokkos.mdrange<2, iterate = default>,
      exec_space = #kokkos.exec<cuda>, name = "acc_diagonal"}> ({
  ^bb0(%i: index, %j: index):
    %ip = arith.addi %i, %c1 : index
    %v0 = memref.load %A[%j, %j] : memref<?x?xf64, #kokkos.space<device>>
    "kokkos.yield"() : () -> ()
  }) : (index, index, index, index) -> ()
  return
}
func.func @acc_diagonals_no_outvote(%n: index, %A: memref<?x?xf64, #kokkos.space<device>>, %B: memref<?x?xf64, #kokkos.space<device>>)
    attributes {kokkos.entry = #kokkos.entry<for>} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  "kokkos.parallel_for"(%c0, %c0, %n, %n) <{policy = #kokkos.mdrange<2, iterate = default>,
      exec_space = #kokkos.exec<cuda>, name = "acc_diagonals_no_outvote"}> ({
  ^bb0(%i: index, %j: index):
    %ip = arith.addi %i, %c1 : index
    %v0 = memref.load %A[%j, %j] : memref<?x?xf64, #kokkos.space<device>>
    %v1 = memref.load %A[%j, %j] : memref<?x?xf64, #kokkos.space<device>>
    %v2 = memref.load %B[%j, %i] : memref<?x?xf64, #kokkos.space<device>>
    "kokkos.yield"() : () -> ()
  }) : (index, index, index, index) -> ()
  return
}

// CHECK-LABEL: func.func @acc_row_major(
// CHECK:       #kokkos.mdrange<2, iterate = right, tile = [4, 64]> on <cuda>

// CHECK-LABEL: func.func @acc_transposed(
// CHECK:       #kokkos.mdrange<2, iterate = left, tile = [64, 4]> on <cuda>

// CHECK-LABEL: func.func @acc_index_arith(
// CHECK:       #kokkos.mdrange<2, iterate = left, tile = [64, 4]> on <cuda>

// CHECK-LABEL: func.func @acc_majority(
// CHECK:       #kokkos.mdrange<2, iterate = left, tile = [64, 4]> on <cuda>

// CHECK-LABEL: func.func @acc_diagonal(
// CHECK:       #kokkos.mdrange<2, iterate = left, tile = [64, 4]> on <cuda>

// CHECK-LABEL: func.func @acc_diagonals_no_outvote(
// CHECK:       #kokkos.mdrange<2, iterate = left, tile = [64, 4]> on <cuda>
