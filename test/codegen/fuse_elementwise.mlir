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

// A mean's gradient: the count is a sum of ones (reduce_sum(broadcast 1)),
// divided into a constant. The sum of a splat becomes the product of the
// reduced extents, from the operand's shape; the constant tensor becomes a
// fill that folds into its consumer. No reduction and no 0-d loop remain.
// CHECK-LABEL: func.func @mean_count
// CHECK-SAME:    (%[[X:.+]]: tensor<?x10xf32>)
// CHECK-DAG:     %[[C0:.+]] = arith.constant 0 : index
// CHECK-DAG:     %[[C10:.+]] = arith.constant 10 : index
// CHECK-DAG:     %[[MINUS:.+]] = arith.constant -1.000000e+00 : f32
// CHECK:         %[[N:.+]] = tensor.dim %[[X]], %[[C0]]
// CHECK-NOT:     linalg.fill
// CHECK:         %[[R:.+]] = arith.muli %[[N]], %[[C10]] : index
// CHECK:         %[[I:.+]] = arith.index_castui %[[R]] : index to i64
// CHECK:         %[[F:.+]] = arith.uitofp %[[I]] : i64 to f32
// CHECK-NOT:     linalg.fill
// CHECK:         linalg.generic
// CHECK-SAME:      iterator_types = ["parallel", "parallel"]
// CHECK-NEXT:    ^bb0(%{{.+}}: f32):
// CHECK-NEXT:      %[[Q:.+]] = arith.divf %[[MINUS]], %[[F]] : f32
// CHECK-NEXT:      linalg.yield %[[Q]]
// CHECK-NOT:     linalg.generic
// CHECK:         return
#x2 = affine_map<(d0, d1) -> (d0, d1)>
#s2 = affine_map<(d0, d1) -> ()>
#s0 = affine_map<() -> ()>
func.func @mean_count(%x: tensor<?x10xf32>) -> tensor<?x10xf32> {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %minus = arith.constant -1.0 : f32
  %n = tensor.dim %x, %c0 : tensor<?x10xf32>
  %e = tensor.empty(%n) : tensor<?x10xf32>
  %ones = linalg.generic {indexing_maps = [#x2], iterator_types = ["parallel", "parallel"]}
      outs(%e : tensor<?x10xf32>) {
  ^bb0(%o: f32):
    linalg.yield %one : f32
  } -> tensor<?x10xf32>
  %s = tensor.empty() : tensor<f32>
  %init = linalg.fill ins(%zero : f32) outs(%s : tensor<f32>) -> tensor<f32>
  %count = linalg.generic {indexing_maps = [#x2, #s2], iterator_types = ["reduction", "reduction"]}
      ins(%ones : tensor<?x10xf32>) outs(%init : tensor<f32>) {
  ^bb0(%a: f32, %o: f32):
    %v = arith.addf %a, %o : f32
    linalg.yield %v : f32
  } -> tensor<f32>
  %g = linalg.generic {indexing_maps = [#s0], iterator_types = []} outs(%s : tensor<f32>) {
  ^bb0(%o: f32):
    linalg.yield %minus : f32
  } -> tensor<f32>
  %r = linalg.generic {indexing_maps = [#s2, #s2, #x2], iterator_types = ["parallel", "parallel"]}
      ins(%g, %count : tensor<f32>, tensor<f32>) outs(%e : tensor<?x10xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %v = arith.divf %a, %b : f32
    linalg.yield %v : f32
  } -> tensor<?x10xf32>
  return %r : tensor<?x10xf32>
}

// A splat not known to be finite (a function's argument): an empty sum
// (a batch of 0) is 0, not s * 0.
// CHECK-LABEL: func.func @sum_of_unknown
// CHECK-SAME:    (%[[S:.+]]: f32, %[[Y:.+]]: tensor<?xf32>)
// CHECK-DAG:     %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
// CHECK-DAG:     %[[C0:.+]] = arith.constant 0 : index
// CHECK:         %[[N:.+]] = tensor.dim %[[Y]], %[[C0]]
// CHECK:         %[[T:.+]] = arith.mulf %[[S]], %{{.+}} : f32
// CHECK:         %[[EMPTY:.+]] = arith.cmpi eq, %[[N]], %[[C0]] : index
// CHECK:         %[[R:.+]] = arith.select %[[EMPTY]], %[[ZERO]], %[[T]] : f32
// CHECK:         linalg.fill ins(%[[R]] : f32)
#v1s = affine_map<(d0) -> (d0)>
#v0s = affine_map<(d0) -> ()>
func.func @sum_of_unknown(%s: f32, %y: tensor<?xf32>) -> tensor<f32> {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %n = tensor.dim %y, %c0 : tensor<?xf32>
  %e = tensor.empty(%n) : tensor<?xf32>
  %splat = linalg.fill ins(%s : f32) outs(%e : tensor<?xf32>) -> tensor<?xf32>
  %o = tensor.empty() : tensor<f32>
  %init = linalg.fill ins(%zero : f32) outs(%o : tensor<f32>) -> tensor<f32>
  %sum = linalg.generic {indexing_maps = [#v1s, #v0s], iterator_types = ["reduction"]}
      ins(%splat : tensor<?xf32>) outs(%init : tensor<f32>) {
  ^bb0(%a: f32, %acc: f32):
    %v = arith.addf %a, %acc : f32
    linalg.yield %v : f32
  } -> tensor<f32>
  return %sum : tensor<f32>
}

// A sum of a splat into a tensor that is not one: `acc + 7 * 2`, elementwise.
// A sum of anything else, and a product of a splat, stay reductions.
// CHECK-LABEL: func.func @sum_of_splat_into
// CHECK-SAME:    (%[[ACC:.+]]: tensor<4xf32>, %[[Y:.+]]: tensor<4x7xf32>)
// CHECK-DAG:     %[[T:.+]] = arith.constant 1.400000e+01 : f32
// CHECK:         %[[S:.+]] = linalg.generic
// CHECK-SAME:      iterator_types = ["parallel"]
// CHECK-SAME:      outs(%[[ACC]] : tensor<4xf32>)
// CHECK-NEXT:    ^bb0(%[[O:.+]]: f32):
// CHECK-NEXT:      arith.addf %[[O]], %[[T]] : f32
// CHECK:         linalg.generic
// CHECK-SAME:      iterator_types = ["parallel", "reduction"]
// CHECK-SAME:      ins(%[[Y]] : tensor<4x7xf32>)
// CHECK:         linalg.generic
// CHECK-SAME:      iterator_types = ["parallel", "reduction"]
// CHECK:           arith.mulf
// CHECK:         return
#r2 = affine_map<(d0, d1) -> (d0)>
func.func @sum_of_splat_into(%acc: tensor<4xf32>, %y: tensor<4x7xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %two = arith.constant 2.0 : f32
  %e = tensor.empty() : tensor<4x7xf32>
  %twos = linalg.fill ins(%two : f32) outs(%e : tensor<4x7xf32>) -> tensor<4x7xf32>
  %sum = linalg.generic {indexing_maps = [#x2, #r2], iterator_types = ["parallel", "reduction"]}
      ins(%twos : tensor<4x7xf32>) outs(%acc : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %v = arith.addf %o, %a : f32
    linalg.yield %v : f32
  } -> tensor<4xf32>
  %other = linalg.generic {indexing_maps = [#x2, #r2], iterator_types = ["parallel", "reduction"]}
      ins(%y : tensor<4x7xf32>) outs(%acc : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %v = arith.addf %a, %o : f32
    linalg.yield %v : f32
  } -> tensor<4xf32>
  %product = linalg.generic {indexing_maps = [#x2, #r2], iterator_types = ["parallel", "reduction"]}
      ins(%twos : tensor<4x7xf32>) outs(%acc : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %v = arith.mulf %a, %o : f32
    linalg.yield %v : f32
  } -> tensor<4xf32>
  return %sum, %other, %product : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// A scalar computed from scalars (an optimizer's step size from its step
// count) fuses into each of its users; a scalar with loops (a sum) fuses
// into none of its two.
// CHECK-LABEL: func.func @scalar_into_all
// CHECK-NOT:     iterator_types = []
// CHECK:         %[[TOT:.+]] = linalg.generic
// CHECK-SAME:      iterator_types = ["reduction"]
// CHECK:         linalg.generic
// CHECK-SAME:      ins(%{{.+}}, %{{.+}}, %[[TOT]] : tensor<8xf32>, tensor<f32>, tensor<f32>)
// CHECK:           math.sqrt
// CHECK:           arith.mulf
// CHECK:         linalg.generic
// CHECK-SAME:      ins(%{{.+}}, %{{.+}}, %[[TOT]] : tensor<3xf32>, tensor<f32>, tensor<f32>)
// CHECK:           math.sqrt
// CHECK:           arith.mulf
// CHECK:         return
#v1 = affine_map<(d0) -> (d0)>
#v0 = affine_map<(d0) -> ()>
func.func @scalar_into_all(%t: tensor<f32>, %a: tensor<8xf32>, %b: tensor<3xf32>) -> (tensor<8xf32>, tensor<3xf32>) {
  %s = tensor.empty() : tensor<f32>
  %lr = linalg.generic {indexing_maps = [#s0, #s0], iterator_types = []}
      ins(%t : tensor<f32>) outs(%s : tensor<f32>) {
  ^bb0(%x: f32, %o: f32):
    %v = math.sqrt %x : f32
    linalg.yield %v : f32
  } -> tensor<f32>
  %tot = linalg.generic {indexing_maps = [#v1, #v0], iterator_types = ["reduction"]}
      ins(%a : tensor<8xf32>) outs(%t : tensor<f32>) {
  ^bb0(%x: f32, %o: f32):
    %v = arith.addf %x, %o : f32
    linalg.yield %v : f32
  } -> tensor<f32>
  %ea = tensor.empty() : tensor<8xf32>
  %ra = linalg.generic {indexing_maps = [#v1, #v0, #v0, #v1], iterator_types = ["parallel"]}
      ins(%a, %lr, %tot : tensor<8xf32>, tensor<f32>, tensor<f32>) outs(%ea : tensor<8xf32>) {
  ^bb0(%x: f32, %l: f32, %u: f32, %o: f32):
    %v = arith.mulf %x, %l : f32
    %w = arith.mulf %v, %u : f32
    linalg.yield %w : f32
  } -> tensor<8xf32>
  %eb = tensor.empty() : tensor<3xf32>
  %rb = linalg.generic {indexing_maps = [#v1, #v0, #v0, #v1], iterator_types = ["parallel"]}
      ins(%b, %lr, %tot : tensor<3xf32>, tensor<f32>, tensor<f32>) outs(%eb : tensor<3xf32>) {
  ^bb0(%x: f32, %l: f32, %u: f32, %o: f32):
    %v = arith.mulf %x, %l : f32
    %w = arith.mulf %v, %u : f32
    linalg.yield %w : f32
  } -> tensor<3xf32>
  return %ra, %rb : tensor<8xf32>, tensor<3xf32>
}
