// RUN: kiln-opt %s --split-input-file --kiln-lower-to-linalg | FileCheck %s

// kiln.gather and kiln.scatter_add lower to a generic with a clamped
// tensor.extract and to an scf.for of row slices.

// A gather is a parallel generic over the result that normalizes each id
// (wrap negatives, clamp into [0, rows)) before it extracts.
// CHECK-LABEL: func.func @gather
// CHECK-SAME:    (%[[T:.+]]: tensor<20x6xf32>, %[[IDS:.+]]: tensor<?x7xi32>)
// CHECK:         %[[D:.+]] = tensor.dim %[[IDS]], %{{.+}} : tensor<?x7xi32>
// CHECK:         %[[E:.+]] = tensor.empty(%[[D]]) : tensor<?x7x6xf32>
// CHECK:         linalg.generic
// CHECK-SAME:      ins(%[[IDS]] : tensor<?x7xi32>) outs(%[[E]] : tensor<?x7x6xf32>)
// CHECK:           arith.extsi %{{.+}} : i32 to i64
// CHECK:           arith.select
// CHECK:           arith.maxsi
// CHECK:           arith.minsi
// CHECK:           %[[ROW:.+]] = arith.index_cast
// CHECK:           %[[COL:.+]] = linalg.index 2
// CHECK:           tensor.extract %[[T]][%[[ROW]], %[[COL]]] : tensor<20x6xf32>
func.func @gather(%t: tensor<20x6xf32>, %ids: tensor<?x7xi32>) -> tensor<?x7x6xf32> {
  %e = kiln.gather %t[%ids] : tensor<20x6xf32>, tensor<?x7xi32> -> tensor<?x7x6xf32>
  return %e : tensor<?x7x6xf32>
}

// -----

// Float ids truncate toward zero (Keras casts them to int32).
// CHECK-LABEL: func.func @gather_float_ids
// CHECK:         linalg.generic
// CHECK:           arith.fptosi %{{.+}} : f32 to i64
func.func @gather_float_ids(%t: tensor<8x4xf32>, %ids: tensor<?x5xf32>) -> tensor<?x5x4xf32> {
  %e = kiln.gather %t[%ids] : tensor<8x4xf32>, tensor<?x5xf32> -> tensor<?x5x4xf32>
  return %e : tensor<?x5x4xf32>
}

// -----

// A scatter-add loops over the flattened ids, adding each update row into
// its normalized row of a zero-filled table carried by the loop.
// CHECK-LABEL: func.func @scatter_add
// CHECK-SAME:    (%[[U:.+]]: tensor<?x7x6xf32>, %[[IDS:.+]]: tensor<?x7xi64>)
// CHECK-DAG:     %[[FLATIDS:.+]] = tensor.collapse_shape %[[IDS]] {{\[}}[0, 1]] : tensor<?x7xi64> into tensor<?xi64>
// CHECK-DAG:     %[[FLATU:.+]] = tensor.collapse_shape %[[U]] {{\[}}[0, 1], [2]] : tensor<?x7x6xf32> into tensor<?x6xf32>
// CHECK:         %[[ZERO:.+]] = linalg.fill {{.*}} -> tensor<20x6xf32>
// CHECK:         %[[R:.+]] = scf.for %[[N:.+]] = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%[[ACC:.+]] = %[[ZERO]]) -> (tensor<20x6xf32>)
// CHECK:           tensor.extract %[[FLATIDS]][%[[N]]] : tensor<?xi64>
// CHECK:           %[[ROW:.+]] = arith.index_cast
// CHECK:           %[[UPD:.+]] = tensor.extract_slice %[[FLATU]][%[[N]], 0] [1, 6] [1, 1] : tensor<?x6xf32> to tensor<6xf32>
// CHECK:           %[[CUR:.+]] = tensor.extract_slice %[[ACC]][%[[ROW]], 0] [1, 6] [1, 1] : tensor<20x6xf32> to tensor<6xf32>
// CHECK:           %[[SUM:.+]] = linalg.generic {{.*}} ins(%[[UPD]] : tensor<6xf32>) outs(%[[CUR]] : tensor<6xf32>)
// CHECK:           %[[NEXT:.+]] = tensor.insert_slice %[[SUM]] into %[[ACC]][%[[ROW]], 0] [1, 6] [1, 1]
// CHECK:           scf.yield %[[NEXT]]
// CHECK:         return %[[R]]
func.func @scatter_add(%u: tensor<?x7x6xf32>, %ids: tensor<?x7xi64>) -> tensor<20x6xf32> {
  %g = kiln.scatter_add %u[%ids] {num_rows = 20 : i64} : tensor<?x7x6xf32>, tensor<?x7xi64> -> tensor<20x6xf32>
  return %g : tensor<20x6xf32>
}
