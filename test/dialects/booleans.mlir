// RUN: kiln-opt %s | kiln-opt | FileCheck %s
// RUN: kiln-opt %s --split-input-file --kiln-lower-to-linalg | FileCheck %s --check-prefix=LOWER

// The ops of booleans and indices: comparisons, logical ops, select,
// argmax/argmin and cast round-trip, and lower to linalg generics whose
// bodies are arith's predicates and conversions.

// CHECK-LABEL: func.func @compare
// CHECK: kiln.less %{{.+}}, %{{.+}} : tensor<?x3xf32>, tensor<3xf32> -> tensor<?x3xi1>
// CHECK: kiln.equal %{{.+}}, %{{.+}} : tensor<2xi64>, tensor<2xi64> -> tensor<2xi1>
// CHECK: kiln.greater_equal
// LOWER-LABEL: func.func @compare
// LOWER: linalg.generic
// LOWER:   arith.cmpf olt
// LOWER: linalg.generic
// LOWER:   arith.cmpi eq
// LOWER: linalg.generic
// LOWER:   arith.cmpi sge
func.func @compare(%x: tensor<?x3xf32>, %t: tensor<3xf32>, %a: tensor<2xi64>, %b: tensor<2xi64>) -> (tensor<?x3xi1>, tensor<2xi1>, tensor<2xi1>) {
  %0 = kiln.less %x, %t : tensor<?x3xf32>, tensor<3xf32> -> tensor<?x3xi1>
  %1 = kiln.equal %a, %b : tensor<2xi64>, tensor<2xi64> -> tensor<2xi1>
  %2 = kiln.greater_equal %a, %b : tensor<2xi64>, tensor<2xi64> -> tensor<2xi1>
  return %0, %1, %2 : tensor<?x3xi1>, tensor<2xi1>, tensor<2xi1>
}

// -----

// CHECK-LABEL: func.func @logical
// CHECK: kiln.logical_and
// CHECK: kiln.logical_or
// CHECK: kiln.logical_xor
// CHECK: kiln.logical_not %{{.+}} : tensor<2x3xi1>
// LOWER-LABEL: func.func @logical
// LOWER: arith.andi
// LOWER: arith.ori
// LOWER: arith.xori
// LOWER: %[[TRUE:.+]] = arith.constant true
// LOWER: arith.xori %{{.+}}, %[[TRUE]] : i1
func.func @logical(%a: tensor<2x3xi1>, %b: tensor<3xi1>) -> tensor<2x3xi1> {
  %0 = kiln.logical_and %a, %b : tensor<2x3xi1>, tensor<3xi1> -> tensor<2x3xi1>
  %1 = kiln.logical_or %0, %b : tensor<2x3xi1>, tensor<3xi1> -> tensor<2x3xi1>
  %2 = kiln.logical_xor %1, %a : tensor<2x3xi1>, tensor<2x3xi1> -> tensor<2x3xi1>
  %3 = kiln.logical_not %2 : tensor<2x3xi1>
  return %3 : tensor<2x3xi1>
}

// -----

// CHECK-LABEL: func.func @select
// CHECK: kiln.select %{{.+}}, %{{.+}}, %{{.+}} : tensor<?x3xi1>, tensor<?x3xf32>, tensor<f32> -> tensor<?x3xf32>
// LOWER-LABEL: func.func @select
// LOWER: linalg.generic
// LOWER:   arith.select %{{.+}}, %{{.+}}, %{{.+}} : f32
func.func @select(%c: tensor<?x3xi1>, %x: tensor<?x3xf32>, %zero: tensor<f32>) -> tensor<?x3xf32> {
  %0 = kiln.select %c, %x, %zero : tensor<?x3xi1>, tensor<?x3xf32>, tensor<f32> -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

// argmax: one reduction generic carrying (best value, its index); NaN wins.
// CHECK-LABEL: func.func @argmax
// CHECK: kiln.argmax %{{.+}} {axis = 1 : i64} : tensor<?x10xf32> -> tensor<?xi64>
// CHECK: kiln.argmin %{{.+}} {axis = 0 : i64, keep_dims = true, select_last_index = true} : tensor<4x10xf32> -> tensor<1x10xi64>
// LOWER-LABEL: func.func @argmax
// LOWER: %[[NEGINF:.+]] = arith.constant 0xFF800000 : f32
// LOWER: linalg.generic {{.+}} iterator_types = ["parallel", "reduction"]
// LOWER:   arith.cmpf ogt
// LOWER:   arith.cmpf uno
// LOWER:   linalg.index 1
// LOWER:   linalg.yield
// LOWER: %[[INF:.+]] = arith.constant 0x7F800000 : f32
// LOWER: linalg.generic {{.+}} iterator_types = ["reduction", "parallel"]
// LOWER:   arith.cmpf ole
// LOWER: tensor.expand_shape %{{.+}} {{\[\[}}0, 1]] output_shape [1, 10] : tensor<10xi64> into tensor<1x10xi64>
func.func @argmax(%x: tensor<?x10xf32>, %y: tensor<4x10xf32>) -> (tensor<?xi64>, tensor<1x10xi64>) {
  %0 = kiln.argmax %x {axis = 1 : i64} : tensor<?x10xf32> -> tensor<?xi64>
  %1 = kiln.argmin %y {axis = 0 : i64, keep_dims = true, select_last_index = true} : tensor<4x10xf32> -> tensor<1x10xi64>
  return %0, %1 : tensor<?xi64>, tensor<1x10xi64>
}

// -----

// float -> int saturates (fptosi only on values in range), float -> bool is
// "nonzero", bool -> float is 0/1, int -> int sign-extends.
// CHECK-LABEL: func.func @cast
// CHECK: kiln.cast %{{.+}} : tensor<4xf32> -> tensor<4xi64>
// LOWER-LABEL: func.func @cast
// LOWER: linalg.generic
// LOWER:   arith.cmpf oge
// LOWER:   arith.fptosi %{{.+}} : f32 to i64
// LOWER:   arith.select
// LOWER: linalg.generic
// LOWER:   arith.cmpf une
// LOWER: linalg.generic
// LOWER:   arith.uitofp %{{.+}} : i1 to f32
// LOWER: linalg.generic
// LOWER:   arith.extsi %{{.+}} : i32 to i64
func.func @cast(%x: tensor<4xf32>, %i: tensor<4xi32>) -> (tensor<4xi64>, tensor<4xf32>, tensor<4xi64>) {
  %0 = kiln.cast %x : tensor<4xf32> -> tensor<4xi64>
  %1 = kiln.cast %x : tensor<4xf32> -> tensor<4xi1>
  %2 = kiln.cast %1 : tensor<4xi1> -> tensor<4xf32>
  %3 = kiln.cast %i : tensor<4xi32> -> tensor<4xi64>
  return %0, %2, %3 : tensor<4xi64>, tensor<4xf32>, tensor<4xi64>
}

// -----

// Reshape and transpose move masks and ids as they move floats: the same
// tensor.expand_shape and copying generic, in the element type.
// CHECK-LABEL: func.func @move_mask
// CHECK: kiln.reshape %{{.+}} : tensor<?x6xi1> -> tensor<?x2x3xi1>
// CHECK: kiln.transpose %{{.+}} {permutation = array<i64: 0, 2, 1>} : tensor<?x2x3xi1> -> tensor<?x3x2xi1>
// CHECK: kiln.transpose %{{.+}} {permutation = array<i64: 1, 0>} : tensor<2x4xi64> -> tensor<4x2xi64>
// LOWER-LABEL: func.func @move_mask
// LOWER: tensor.expand_shape %{{.+}} {{\[\[}}0], [1, 2]] output_shape {{.*}} : tensor<?x6xi1> into tensor<?x2x3xi1>
// LOWER: linalg.generic
// LOWER: ^bb0(%[[IN:.+]]: i1, %{{.+}}: i1):
// LOWER-NEXT: linalg.yield %[[IN]] : i1
// LOWER: linalg.generic
// LOWER: ^bb0(%[[ID:.+]]: i64, %{{.+}}: i64):
// LOWER-NEXT: linalg.yield %[[ID]] : i64
func.func @move_mask(%m: tensor<?x6xi1>, %ids: tensor<2x4xi64>) -> (tensor<?x3x2xi1>, tensor<4x2xi64>) {
  %0 = kiln.reshape %m : tensor<?x6xi1> -> tensor<?x2x3xi1>
  %1 = kiln.transpose %0 {permutation = array<i64: 0, 2, 1>} : tensor<?x2x3xi1> -> tensor<?x3x2xi1>
  %2 = kiln.transpose %ids {permutation = array<i64: 1, 0>} : tensor<2x4xi64> -> tensor<4x2xi64>
  return %1, %2 : tensor<?x3x2xi1>, tensor<4x2xi64>
}

// -----

// Each row's number in the batch, concatenated with positions into the
// (row, position) tuples a gather_nd picks a bool mask's elements by:
// Hugging Face's attention mask, torch.arange(batch_size).
// CHECK-LABEL: func.func @pick_mask
// CHECK: kiln.batch_index %{{.+}} : tensor<?x8xi1> -> tensor<?x8x1xi64>
// CHECK: kiln.concat %{{.+}}, %{{.+}} {axis = -1 : i64} : (tensor<?x8x1xi64>, tensor<?x8x1xi64>) -> tensor<?x8x2xi64>
// CHECK: kiln.gather_nd %{{.+}}[%{{.+}}] : tensor<?x8xi1>, tensor<?x8x2xi64> -> tensor<?x8xi1>
// LOWER-LABEL: func.func @pick_mask
// LOWER-SAME: (%[[M:.+]]: tensor<?x8xi1>, %[[POS:.+]]: tensor<?x8x1xi64>)
// LOWER: %[[B:.+]] = tensor.dim %[[M]], %{{.+}} : tensor<?x8xi1>
// LOWER: %[[E:.+]] = tensor.empty(%[[B]]) : tensor<?x8x1xi64>
// LOWER: %[[ROWS:.+]] = linalg.generic {{.*}} outs(%[[E]] : tensor<?x8x1xi64>)
// LOWER:   %[[R:.+]] = linalg.index 0 : index
// LOWER:   %[[R64:.+]] = arith.index_cast %[[R]] : index to i64
// LOWER:   linalg.yield %[[R64]] : i64
// LOWER: %[[T:.+]] = tensor.insert_slice %[[ROWS]] into
// LOWER: %[[TUPLES:.+]] = tensor.insert_slice %[[POS]] into %[[T]]
// LOWER: linalg.generic {{.*}} outs(%{{.+}} : tensor<?x8xi1>)
// LOWER:   tensor.extract %[[TUPLES]]
// LOWER:   tensor.extract %[[TUPLES]]
// LOWER:   %[[PICK:.+]] = tensor.extract %[[M]][%{{.+}}, %{{.+}}] : tensor<?x8xi1>
// LOWER:   linalg.yield %[[PICK]] : i1
func.func @pick_mask(%m: tensor<?x8xi1>, %pos: tensor<?x8x1xi64>) -> tensor<?x8xi1> {
  %rows = kiln.batch_index %m : tensor<?x8xi1> -> tensor<?x8x1xi64>
  %t = kiln.concat %rows, %pos {axis = -1 : i64} : (tensor<?x8x1xi64>, tensor<?x8x1xi64>) -> tensor<?x8x2xi64>
  %p = kiln.gather_nd %m[%t] : tensor<?x8xi1>, tensor<?x8x2xi64> -> tensor<?x8xi1>
  return %p : tensor<?x8xi1>
}

// -----

// Integer arithmetic (ONNX's index arithmetic: RoBERTa's position ids):
// add, sub, mul, maximum and minimum of i32/i64 lower to arith's integer
// ops, and a cumsum to a sum over the axis's triangle, each position
// adding the inputs at or before it (j <= i) and zeros elsewhere.
// CHECK-LABEL: func.func @integer_arithmetic
// CHECK: kiln.cumsum %{{.+}} {axis = 1 : i64} : tensor<?x6xi32>
// CHECK: kiln.mul %{{.+}}, %{{.+}} : tensor<?x6xi32>, tensor<?x6xi32> -> tensor<?x6xi32>
// CHECK: kiln.add %{{.+}}, %{{.+}} : tensor<?x6xi32>, tensor<i32> -> tensor<?x6xi32>
// CHECK: kiln.maximum
// CHECK: kiln.minimum
// CHECK: kiln.sub
// LOWER-LABEL: func.func @integer_arithmetic
// LOWER: %[[ZERO:.+]] = arith.constant 0 : i32
// LOWER: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]
// LOWER: ^bb0(%[[IN:.+]]: i32, %[[ACC:.+]]: i32):
// LOWER:   %[[I:.+]] = linalg.index 1 : index
// LOWER:   %[[J:.+]] = linalg.index 2 : index
// LOWER:   %[[LE:.+]] = arith.cmpi ule, %[[J]], %[[I]] : index
// LOWER:   %[[TERM:.+]] = arith.select %[[LE]], %[[IN]], %[[ZERO]] : i32
// LOWER:   arith.addi %[[ACC]], %[[TERM]] : i32
// LOWER: arith.muli
// LOWER: arith.addi
// LOWER: arith.maxsi
// LOWER: arith.minsi
// LOWER: arith.subi
func.func @integer_arithmetic(%m: tensor<?x6xi32>, %one: tensor<i32>) -> tensor<?x6xi32> {
  %c = kiln.cumsum %m {axis = 1 : i64} : tensor<?x6xi32>
  %k = kiln.mul %c, %m : tensor<?x6xi32>, tensor<?x6xi32> -> tensor<?x6xi32>
  %p = kiln.add %k, %one : tensor<?x6xi32>, tensor<i32> -> tensor<?x6xi32>
  %hi = kiln.maximum %p, %one : tensor<?x6xi32>, tensor<i32> -> tensor<?x6xi32>
  %lo = kiln.minimum %hi, %m : tensor<?x6xi32>, tensor<?x6xi32> -> tensor<?x6xi32>
  %d = kiln.sub %lo, %one : tensor<?x6xi32>, tensor<i32> -> tensor<?x6xi32>
  return %d : tensor<?x6xi32>
}

// -----

// An exclusive reverse cumsum of floats adds the inputs strictly after
// each position (j > i), in order.
// LOWER-LABEL: func.func @cumsum_exclusive_reverse
// LOWER: ^bb0(%[[IN:.+]]: f32, %[[ACC:.+]]: f32):
// LOWER:   %[[I:.+]] = linalg.index 0 : index
// LOWER:   %[[J:.+]] = linalg.index 2 : index
// LOWER:   arith.cmpi ugt, %[[J]], %[[I]] : index
// LOWER:   arith.addf %[[ACC]]
func.func @cumsum_exclusive_reverse(%x: tensor<4x3xf32>) -> tensor<4x3xf32> {
  %c = kiln.cumsum %x {axis = 0 : i64, exclusive = true, reverse = true} : tensor<4x3xf32>
  return %c : tensor<4x3xf32>
}
