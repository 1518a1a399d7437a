// RUN: kiln-opt %s --kiln-fuse-elementwise | FileCheck %s

// A bias add and its activation fuse into one generic; the matmul fed by a
// collapse_shape (a convolution's im2col rows) stays a linalg.matmul.
// CHECK-LABEL: func.func @matmul_bias_relu
// CHECK:         %[[ROWS:.+]] = tensor.collapse_shape
// CHECK:         %[[MM:.+]] = linalg.matmul ins(%[[ROWS]], %{{.+}} : tensor<?x18xf32>, tensor<18x4xf32>)
// CHECK:         %[[IMG:.+]] = tensor.expand_shape %[[MM]]
// CHECK:         linalg.generic
// CHECK-SAME:      ins(%[[IMG]], %{{.+}} : tensor<?x4x4x4xf32>, tensor<4xf32>)
// CHECK:           arith.addf
// CHECK:           arith.maximumf
// CHECK-NOT:     linalg.generic
// CHECK:         return
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#row = affine_map<(d0, d1, d2, d3) -> (d3)>
func.func @matmul_bias_relu(%p: tensor<?x4x4x18xf32>, %w: tensor<18x4xf32>, %b: tensor<4xf32>) -> tensor<?x4x4x4xf32> {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %rows = tensor.collapse_shape %p [[0, 1, 2], [3]] : tensor<?x4x4x18xf32> into tensor<?x18xf32>
  %n = tensor.dim %rows, %c0 : tensor<?x18xf32>
  %e = tensor.empty(%n) : tensor<?x4xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<?x4xf32>) -> tensor<?x4xf32>
  %mm = linalg.matmul ins(%rows, %w : tensor<?x18xf32>, tensor<18x4xf32>) outs(%init : tensor<?x4xf32>) -> tensor<?x4xf32>
  %batch = tensor.dim %p, %c0 : tensor<?x4x4x18xf32>
  %img = tensor.expand_shape %mm [[0, 1, 2], [3]] output_shape [%batch, 4, 4, 4] : tensor<?x4xf32> into tensor<?x4x4x4xf32>
  %e4 = tensor.empty(%batch) : tensor<?x4x4x4xf32>
  %biased = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%img, %b : tensor<?x4x4x4xf32>, tensor<4xf32>) outs(%e4 : tensor<?x4x4x4xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %s = arith.addf %x, %y : f32
    linalg.yield %s : f32
  } -> tensor<?x4x4x4xf32>
  %relu = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%biased : tensor<?x4x4x4xf32>) outs(%e4 : tensor<?x4x4x4xf32>) {
  ^bb0(%x: f32, %o: f32):
    %r = arith.maximumf %x, %zero : f32
    linalg.yield %r : f32
  } -> tensor<?x4x4x4xf32>
  return %relu : tensor<?x4x4x4xf32>
}

// An add of a zero-filled matmul's product to another tensor (a gradient
// accumulated over a loop's steps, X^T @ G read transposed) becomes the
// matmul accumulating into that tensor: no fill, no add.
// CHECK-LABEL: func.func @accumulate
// CHECK-SAME:    (%[[ACC:.+]]: tensor<8x4xf32>, %[[X:.+]]: tensor<?x8xf32>, %[[G:.+]]: tensor<?x4xf32>)
// CHECK-NOT:     linalg.fill
// CHECK:         %[[R:.+]] = linalg.matmul indexing_maps = [#{{.+}}, #{{.+}}, #{{.+}}] ins(%[[X]], %[[G]] : tensor<?x8xf32>, tensor<?x4xf32>) outs(%[[ACC]] : tensor<8x4xf32>)
// CHECK-NOT:     linalg.generic
// CHECK:         return %[[R]]
// A product used elsewhere too is left alone.
// CHECK-LABEL: func.func @not_accumulated
// CHECK:         linalg.fill
// CHECK:         linalg.matmul
// CHECK:         linalg.generic
#acc = affine_map<(d0, d1) -> (d0, d1)>
func.func @accumulate(%acc: tensor<8x4xf32>, %x: tensor<?x8xf32>, %g: tensor<?x4xf32>) -> tensor<8x4xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x4xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<8x4xf32>) -> tensor<8x4xf32>
  %p = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%x, %g : tensor<?x8xf32>, tensor<?x4xf32>) outs(%init : tensor<8x4xf32>) -> tensor<8x4xf32>
  %e2 = tensor.empty() : tensor<8x4xf32>
  %s = linalg.generic {indexing_maps = [#acc, #acc, #acc], iterator_types = ["parallel", "parallel"]}
      ins(%acc, %p : tensor<8x4xf32>, tensor<8x4xf32>) outs(%e2 : tensor<8x4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %v = arith.addf %a, %b : f32
    linalg.yield %v : f32
  } -> tensor<8x4xf32>
  return %s : tensor<8x4xf32>
}
func.func @not_accumulated(%acc: tensor<8x4xf32>, %x: tensor<?x8xf32>, %g: tensor<?x4xf32>) -> (tensor<8x4xf32>, tensor<8x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x4xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<8x4xf32>) -> tensor<8x4xf32>
  %p = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%x, %g : tensor<?x8xf32>, tensor<?x4xf32>) outs(%init : tensor<8x4xf32>) -> tensor<8x4xf32>
  %e2 = tensor.empty() : tensor<8x4xf32>
  %s = linalg.generic {indexing_maps = [#acc, #acc, #acc], iterator_types = ["parallel", "parallel"]}
      ins(%acc, %p : tensor<8x4xf32>, tensor<8x4xf32>) outs(%e2 : tensor<8x4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %v = arith.addf %a, %b : f32
    linalg.yield %v : f32
  } -> tensor<8x4xf32>
  return %s, %p : tensor<8x4xf32>, tensor<8x4xf32>
}
