// RUN: hpcir opt %s -p graph-reshapes-to-copies | filecheck %s
// Static reshapes become linalg.generic copies into tensor.empty with delinearizing input maps:
// a collapse reads (d floordiv inner) mod size, an expand reads the weighted sum of its group.

builtin.module {
  func.func @f(%x: tensor<2x3x4xf32>) -> tensor<4x6xf32> {
    %c = tensor.collapse_shape %x [[0 : i64, 1 : i64], [2 : i64]] {hpcir.src = "model.py:7"} : tensor<2x3x4xf32> into tensor<6x4xf32>
    %f = tensor.collapse_shape %c [[0 : i64, 1 : i64]] : tensor<6x4xf32> into tensor<24xf32>
    %e = tensor.expand_shape %f [[0 : i64, 1 : i64]] output_shape [4, 6] : tensor<24xf32> into tensor<4x6xf32>
    func.return %e : tensor<4x6xf32>
  }
}

// CHECK-LABEL: func.func @f
// CHECK-NOT:     tensor.collapse_shape
// CHECK-NOT:     tensor.expand_shape
// CHECK:         %[[E0:.*]] = tensor.empty() : tensor<6x4xf32>
// CHECK-NEXT:    %c = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> ((d0 floordiv 3), (d0 mod 3), d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<2x3x4xf32>) outs(%[[E0]] : tensor<6x4xf32>) attrs = {hpcir.src = "model.py:7"} {
// CHECK-NEXT:    ^bb0(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      linalg.yield %[[IN]] : f32
// CHECK-NEXT:    } -> tensor<6x4xf32>
// CHECK:         %f = linalg.generic {indexing_maps = [affine_map<(d0) -> ((d0 floordiv 4), (d0 mod 4))>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%c : tensor<6x4xf32>)
// CHECK:         %e = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (((d0 * 6) + d1))>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%f : tensor<24xf32>)
// CHECK:         func.return %e : tensor<4x6xf32>
