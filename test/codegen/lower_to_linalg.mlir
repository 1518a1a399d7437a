// RUN: kiln-opt %s --split-input-file --kiln-lower-to-linalg | FileCheck %s

// kiln ops lower to linalg on tensors; broadcasting lives in indexing maps.

// CHECK-DAG: #[[ID:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.+]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @dense
// CHECK-SAME:    (%[[X:.+]]: tensor<?x4xf32>, %[[W:.+]]: tensor<4x3xf32>, %[[B:.+]]: tensor<3xf32>)
// CHECK:         %[[DIM:.+]] = tensor.dim %[[X]], %{{.+}} : tensor<?x4xf32>
// CHECK:         %[[E:.+]] = tensor.empty(%[[DIM]]) : tensor<?x3xf32>
// CHECK:         %[[F:.+]] = linalg.fill ins(%{{.+}} : f32) outs(%[[E]] : tensor<?x3xf32>)
// CHECK:         %[[MM:.+]] = linalg.matmul ins(%[[X]], %[[W]] : tensor<?x4xf32>, tensor<4x3xf32>) outs(%[[F]] : tensor<?x3xf32>)
// CHECK:         linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME:      ins(%[[MM]], %[[B]] : tensor<?x3xf32>, tensor<3xf32>)
// CHECK:           arith.addf
// CHECK:         linalg.generic
// CHECK:           arith.cmpf ugt
// CHECK:           arith.select
func.func @dense(%x: tensor<?x4xf32>, %w: tensor<4x3xf32>, %b: tensor<3xf32>) -> tensor<?x3xf32> {
  %0 = kiln.matmul %x, %w : tensor<?x4xf32>, tensor<4x3xf32> -> tensor<?x3xf32>
  %1 = kiln.add %0, %b : tensor<?x3xf32>, tensor<3xf32> -> tensor<?x3xf32>
  %2 = kiln.relu %1 : tensor<?x3xf32>
  return %2 : tensor<?x3xf32>
}

// -----

// A size-1 dimension broadcast against a larger one reads index 0.
// CHECK-DAG: #[[COL0:.+]] = affine_map<(d0, d1) -> (d0, 0)>
// CHECK-DAG: #[[ROW0:.+]] = affine_map<(d0, d1) -> (0, d1)>
// CHECK-LABEL: func.func @outer_broadcast
// CHECK:         linalg.generic {indexing_maps = [#[[COL0]], #[[ROW0]], #{{.+}}]
// CHECK:           arith.mulf
func.func @outer_broadcast(%a: tensor<3x1xf32>, %b: tensor<1x4xf32>) -> tensor<3x4xf32> {
  %0 = kiln.mul %a, %b : tensor<3x1xf32>, tensor<1x4xf32> -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

// -----

// softmax = max-reduce, exp(x - max), sum-reduce, divide.
// CHECK-LABEL: func.func @softmax
// CHECK:         linalg.fill ins(%{{.+}} : f32) outs(%{{.+}} : tensor<?xf32>)
// CHECK:         linalg.generic {{.+}} iterator_types = ["parallel", "reduction"]
// CHECK:           arith.maximumf
// CHECK:         linalg.generic {{.+}} iterator_types = ["parallel", "parallel"]
// CHECK:           arith.subf
// CHECK:           math.exp
// CHECK:         linalg.generic {{.+}} iterator_types = ["parallel", "reduction"]
// CHECK:           arith.addf
// CHECK:         linalg.generic {{.+}} iterator_types = ["parallel", "parallel"]
// CHECK:           arith.divf
func.func @softmax(%x: tensor<?x10xf32>) -> tensor<?x10xf32> {
  %0 = kiln.softmax %x : tensor<?x10xf32>
  return %0 : tensor<?x10xf32>
}

// -----

// Reshapes go through the flat [batch, N] form.
// CHECK-LABEL: func.func @reshape
// CHECK:         %[[C:.+]] = tensor.collapse_shape %{{.+}} {{\[\[}}0], [1, 2]] : tensor<?x2x3xf32> into tensor<?x6xf32>
// CHECK:         tensor.expand_shape %[[C]] {{\[\[}}0], [1, 2]] output_shape [%{{.+}}, 3, 2] : tensor<?x6xf32> into tensor<?x3x2xf32>
func.func @reshape(%x: tensor<?x2x3xf32>) -> tensor<?x3x2xf32> {
  %0 = kiln.reshape %x : tensor<?x2x3xf32> -> tensor<?x3x2xf32>
  return %0 : tensor<?x3x2xf32>
}

// -----

// Activations with a stable formulation: softplus uses log1p(exp(-|x|)).
// CHECK-LABEL: func.func @activations
// CHECK:         math.log1p
// CHECK:         math.erf
// CHECK:         math.expm1
// CHECK:         math.tanh
func.func @activations(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = kiln.softplus %x : tensor<4xf32>
  %1 = kiln.gelu %0 : tensor<4xf32>
  %2 = kiln.elu %1 : tensor<4xf32>
  %3 = kiln.tanh %2 : tensor<4xf32>
  return %3 : tensor<4xf32>
}

// -----

// The odd functions are taken of |x| and given x's sign; sinh from expm1
// (no cancellation near 0), exp(x/2)^2/2 beyond 20; acosh NaN below 1;
// round halves to even.
// CHECK-LABEL: func.func @math_functions
// CHECK:         %[[A:.+]] = math.absf %[[X:[^ ]+]]
// CHECK:         %[[S:.+]] = math.sin %[[A]]
// CHECK:         %[[SIGN:.+]] = math.copysign %{{.+}}, %[[X]]
// CHECK:         arith.mulf %[[S]], %[[SIGN]]
// CHECK:         math.expm1
// CHECK:         arith.cmpf ogt
// CHECK:         arith.select
// CHECK:         math.log1p
// CHECK:         arith.cmpf olt
// CHECK:         arith.constant 0x7FC00000 : f32
// CHECK:         math.roundeven
func.func @math_functions(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = kiln.sin %x : tensor<4xf32>
  %1 = kiln.sinh %0 : tensor<4xf32>
  %2 = kiln.acosh %1 : tensor<4xf32>
  %3 = kiln.round %2 : tensor<4xf32>
  return %3 : tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @constant
// CHECK:         arith.constant dense<2.000000e+00> : tensor<f32>
// CHECK-NOT:     kiln.
func.func @constant() -> tensor<f32> {
  %0 = kiln.constant dense<2.0> : tensor<f32>
  return %0 : tensor<f32>
}

// -----

// Dense on the last axis of a sequence: rows through a 2-D matmul and back.
// CHECK-LABEL: func.func @dense_sequence
// CHECK:         %[[ROWS:.+]] = tensor.collapse_shape %arg0 {{\[\[}}0, 1], [2]] : tensor<?x5x8xf32> into tensor<?x8xf32>
// CHECK:         %[[MM:.+]] = linalg.matmul ins(%[[ROWS]], %arg1 : tensor<?x8xf32>, tensor<8x3xf32>)
// CHECK:         %[[B:.+]] = tensor.dim %arg0, %{{.+}} : tensor<?x5x8xf32>
// CHECK:         tensor.expand_shape %[[MM]] {{\[\[}}0, 1], [2]] output_shape [%[[B]], 5, 3] : tensor<?x3xf32> into tensor<?x5x3xf32>
func.func @dense_sequence(%x: tensor<?x5x8xf32>, %w: tensor<8x3xf32>) -> tensor<?x5x3xf32> {
  %0 = kiln.matmul %x, %w : tensor<?x5x8xf32>, tensor<8x3xf32> -> tensor<?x5x3xf32>
  return %0 : tensor<?x5x3xf32>
}

// -----

// A batched matrix product is a zero fill + linalg.batch_matmul sized by
// the dynamic batch of lhs.
// CHECK-LABEL: func.func @batch_matmul
// CHECK:         %[[B:.+]] = tensor.dim %arg0, %{{.+}} : tensor<?x4x8xf32>
// CHECK:         %[[E:.+]] = tensor.empty(%[[B]]) : tensor<?x4x3xf32>
// CHECK:         %[[Z:.+]] = linalg.fill ins(%{{.+}} : f32) outs(%[[E]] : tensor<?x4x3xf32>)
// CHECK:         linalg.batch_matmul ins(%arg0, %arg1 : tensor<?x4x8xf32>, tensor<?x8x3xf32>) outs(%[[Z]] : tensor<?x4x3xf32>)
func.func @batch_matmul(%a: tensor<?x4x8xf32>, %b: tensor<?x8x3xf32>) -> tensor<?x4x3xf32> {
  %0 = kiln.batch_matmul %a, %b : tensor<?x4x8xf32>, tensor<?x8x3xf32> -> tensor<?x4x3xf32>
  return %0 : tensor<?x4x3xf32>
}

// -----

// Rows merging into the batch (a gradient of Dense on a sequence) and
// splitting back out: through the flat form, the leading size scaled by 5.
// CHECK-LABEL: func.func @merge_rows
// CHECK:         %[[FLAT:.+]] = tensor.collapse_shape %arg0 {{\[\[}}0, 1, 2]] : tensor<?x5x8xf32> into tensor<?xf32>
// CHECK:         %[[B:.+]] = tensor.dim %arg0, %{{.+}} : tensor<?x5x8xf32>
// CHECK:         %[[ROWS:.+]] = arith.muli %[[B]], %c5 : index
// CHECK:         tensor.expand_shape %[[FLAT]] {{\[\[}}0, 1]] output_shape [%[[ROWS]], 8] : tensor<?xf32> into tensor<?x8xf32>
// CHECK-LABEL: func.func @split_rows
// CHECK:         arith.divui %{{.+}}, %c5 : index
func.func @merge_rows(%x: tensor<?x5x8xf32>) -> tensor<?x8xf32> {
  %0 = kiln.reshape %x : tensor<?x5x8xf32> -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}
func.func @split_rows(%x: tensor<?x8xf32>) -> tensor<?x5x8xf32> {
  %0 = kiln.reshape %x : tensor<?x8xf32> -> tensor<?x5x8xf32>
  return %0 : tensor<?x5x8xf32>
}

// -----

// random_uniform: one parallel generic hashing each element's row-major
// index with the key made from [seed, step] and the stream (SplitMix64).
// CHECK-LABEL: func.func @random_uniform(
// CHECK-SAME:      %[[X:.+]]: tensor<?x3xf32>, %[[RNG:.+]]: tensor<2xi64>
// CHECK-DAG:     %[[STEP:.+]] = tensor.extract %[[RNG]][%c1]
// CHECK-DAG:     %[[SEED:.+]] = tensor.extract %[[RNG]][%c0]
// CHECK:         linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]{{.*}} outs(
// CHECK:           linalg.index 0
// CHECK:           linalg.index 1
// CHECK:           arith.muli {{.*}}-7046029254386353131
// CHECK:           %[[BITS:.+]] = arith.shrui %{{.+}}, %c40_i64
// CHECK:           %[[F:.+]] = arith.uitofp %[[BITS]] : i64 to f32
// CHECK:           %[[SCALE:.+]] = arith.constant 5.96046448E-8 : f32
// CHECK:           %[[U:.+]] = arith.mulf %[[F]], %[[SCALE]]
// CHECK:           linalg.yield %[[U]]
func.func @random_uniform(%x: tensor<?x3xf32>, %rng: tensor<2xi64>) -> tensor<?x3xf32> {
  %u = kiln.random_uniform %x, %rng {stream = 7 : i64} : tensor<?x3xf32>, tensor<2xi64>
  return %u : tensor<?x3xf32>
}

// -----

// matmul(transpose(X), G) reads X through transposed maps; no copy of X.
// CHECK-LABEL: func.func @matmul_transposed_lhs
// CHECK-SAME:    (%[[X:.+]]: tensor<?x6xf32>, %[[G:.+]]: tensor<?x3xf32>)
// CHECK:         linalg.matmul indexing_maps = [#{{.+}}, #{{.+}}, #{{.+}}] ins(%[[X]], %[[G]] : tensor<?x6xf32>, tensor<?x3xf32>) outs(%{{.+}} : tensor<6x3xf32>)
func.func @matmul_transposed_lhs(%x: tensor<?x6xf32>, %g: tensor<?x3xf32>) -> tensor<6x3xf32> {
  %t = kiln.transpose %x {permutation = array<i64: 1, 0>} : tensor<?x6xf32> -> tensor<6x?xf32>
  %w = kiln.matmul %t, %g : tensor<6x?xf32>, tensor<?x3xf32> -> tensor<6x3xf32>
  return %w : tensor<6x3xf32>
}

// -----

// matmul(G, transpose(W)) with W static reads W through transposed maps; no
// copy of W.
// CHECK-LABEL: func.func @matmul_transposed_rhs
// CHECK-SAME:    (%[[G:.+]]: tensor<?x3xf32>, %[[W:.+]]: tensor<6x3xf32>)
// CHECK-NOT:     linalg.transpose
// CHECK:         linalg.matmul indexing_maps = [#{{.+}}, #{{.+}}, #{{.+}}] ins(%[[G]], %[[W]] : tensor<?x3xf32>, tensor<6x3xf32>) outs(%{{.+}} : tensor<?x6xf32>)
func.func @matmul_transposed_rhs(%g: tensor<?x3xf32>, %w: tensor<6x3xf32>) -> tensor<?x6xf32> {
  %t = kiln.transpose %w {permutation = array<i64: 1, 0>} : tensor<6x3xf32> -> tensor<3x6xf32>
  %d = kiln.matmul %g, %t : tensor<?x3xf32>, tensor<3x6xf32> -> tensor<?x6xf32>
  return %d : tensor<?x6xf32>
}

// -----

// rem = C's fmod, exact: in f64, ten steps that reduce |x| modulo
// |y| * 2^(29 s) (a quotient below 2^29 each, truncated, its product
// exact, mended by one step of +-A), x's sign, and x itself where y is
// infinite; f64 operands (kiln gradcheck's) take arith.remf.
// CHECK-LABEL: func.func @rem
// CHECK:         linalg.generic
// CHECK:           arith.extf %{{.+}} : f32 to f64
// CHECK-COUNT-10:  math.trunc
// CHECK:           math.copysign
// CHECK:           arith.truncf %{{.+}} : f64 to f32
// CHECK:           arith.cmpf oeq
// CHECK:           arith.select
// CHECK-LABEL: func.func @rem_f64
// CHECK:         linalg.generic
// CHECK:           arith.remf %{{.+}}, %{{.+}} : f64
func.func @rem(%x: tensor<?x4xf32>, %y: tensor<4xf32>) -> tensor<?x4xf32> {
  %0 = kiln.rem %x, %y : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}
func.func @rem_f64(%x: tensor<?x4xf64>, %y: tensor<4xf64>) -> tensor<?x4xf64> {
  %0 = kiln.rem %x, %y : tensor<?x4xf64>, tensor<4xf64> -> tensor<?x4xf64>
  return %0 : tensor<?x4xf64>
}
