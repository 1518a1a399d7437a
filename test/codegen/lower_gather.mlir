// RUN: kiln-opt %s --split-input-file --kiln-lower-to-linalg | FileCheck %s

// kiln.gather and kiln.scatter_add (kiln.gather_nd and kiln.scatter_nd_add
// alike) lower to a generic with a clamped tensor.extract and to an scf.for
// of row slices.

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

// -----

// A gather_nd is a parallel generic over the result: it reads each of a
// tuple's coordinates from the indices, normalizes it against its own
// dimension of the data (here dimension 1, after one batch dimension),
// and extracts the element, the batch coordinate and the carried one from
// the generic's own indices.
// CHECK-LABEL: func.func @gather_nd
// CHECK-SAME:    (%[[X:.+]]: tensor<?x4x5xf32>, %[[I:.+]]: tensor<?x3x1xi32>)
// CHECK:         %[[C1:.+]] = arith.constant 1 : index
// CHECK:         %[[DIM:.+]] = tensor.dim %[[X]], %[[C1]]
// CHECK:         %[[BOUND:.+]] = arith.index_cast %[[DIM]] : index to i64
// CHECK:         linalg.generic
// CHECK-SAME:      outs(%{{.+}} : tensor<?x3x5xf32>)
// CHECK:           %[[N:.+]] = linalg.index 0
// CHECK:           %[[J:.+]] = linalg.index 1
// CHECK:           %[[S:.+]] = linalg.index 2
// CHECK:           %[[RAW:.+]] = tensor.extract %[[I]][%[[N]], %[[J]], %{{.+}}] : tensor<?x3x1xi32>
// CHECK:           %[[WIDE:.+]] = arith.extsi %[[RAW]] : i32 to i64
// CHECK:           arith.addi %[[WIDE]], %[[BOUND]]
// CHECK:           arith.maxsi
// CHECK:           arith.minsi
// CHECK:           %[[ROW:.+]] = arith.index_cast
// CHECK:           tensor.extract %[[X]][%[[N]], %[[ROW]], %[[S]]] : tensor<?x4x5xf32>
func.func @gather_nd(%x: tensor<?x4x5xf32>, %i: tensor<?x3x1xi32>) -> tensor<?x3x5xf32> {
  %g = kiln.gather_nd %x[%i] {batch_dims = 1 : i64} : tensor<?x4x5xf32>, tensor<?x3x1xi32> -> tensor<?x3x5xf32>
  return %g : tensor<?x3x5xf32>
}

// -----

// Its adjoint loops over the index tuples, the indices' leading
// coordinates delinearized from the loop's counter, and adds each slice
// of the updates into a zero-filled tensor of the data's shape at the
// tuple's place.
// CHECK-LABEL: func.func @scatter_nd_add
// CHECK-SAME:    (%[[U:.+]]: tensor<?x3x5xf32>, %[[I:.+]]: tensor<?x3x1xi32>, %[[X:.+]]: tensor<?x4x5xf32>)
// CHECK:         %[[ZERO:.+]] = linalg.fill {{.*}} -> tensor<?x4x5xf32>
// CHECK:         %[[R:.+]] = scf.for %[[N:.+]] = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%[[ACC:.+]] = %[[ZERO]]) -> (tensor<?x4x5xf32>)
// CHECK:           %[[J:.+]] = arith.remui %[[N]], %{{.+}} : index
// CHECK:           %[[B:.+]] = arith.divui %[[N]], %{{.+}} : index
// CHECK:           tensor.extract %[[I]][%[[B]], %[[J]], %{{.+}}] : tensor<?x3x1xi32>
// CHECK:           %[[ROW:.+]] = arith.index_cast %{{.+}} : i64 to index
// CHECK:           %[[UPD:.+]] = tensor.extract_slice %[[U]][%[[B]], %[[J]], 0] [1, 1, 5] [1, 1, 1] : tensor<?x3x5xf32> to tensor<5xf32>
// CHECK:           %[[CUR:.+]] = tensor.extract_slice %[[ACC]][%[[B]], %[[ROW]], 0] [1, 1, 5] [1, 1, 1] : tensor<?x4x5xf32> to tensor<5xf32>
// CHECK:           %[[SUM:.+]] = linalg.generic {{.*}} ins(%[[UPD]] : tensor<5xf32>) outs(%[[CUR]] : tensor<5xf32>)
// CHECK:             arith.addf
// CHECK:           %[[NEXT:.+]] = tensor.insert_slice %[[SUM]] into %[[ACC]][%[[B]], %[[ROW]], 0] [1, 1, 5] [1, 1, 1]
// CHECK:           scf.yield %[[NEXT]]
// CHECK:         return %[[R]]
func.func @scatter_nd_add(%u: tensor<?x3x5xf32>, %i: tensor<?x3x1xi32>, %x: tensor<?x4x5xf32>) -> tensor<?x4x5xf32> {
  %g = kiln.scatter_nd_add %u[%i] like %x {batch_dims = 1 : i64} : tensor<?x3x5xf32>, tensor<?x3x1xi32>, tensor<?x4x5xf32> -> tensor<?x4x5xf32>
  return %g : tensor<?x4x5xf32>
}

// -----

// Tuples that index every dimension scatter single elements: a scalar
// extract, add and insert per tuple (no 0-d generic in the loop).
// CHECK-LABEL: func.func @scatter_nd_add_elements
// CHECK-SAME:    (%[[U:.+]]: tensor<3xf32>, %[[I:.+]]: tensor<3x2xi64>, %[[X:.+]]: tensor<?x4xf32>)
// CHECK:         scf.for %[[N:.+]] = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%[[ACC:.+]] = %{{.+}}) -> (tensor<?x4xf32>)
// CHECK:           %[[ROW:.+]] = arith.index_cast %{{.+}} : i64 to index
// CHECK:           %[[COL:.+]] = arith.index_cast %{{.+}} : i64 to index
// CHECK:           %[[UPD:.+]] = tensor.extract %[[U]][%[[N]]] : tensor<3xf32>
// CHECK:           %[[CUR:.+]] = tensor.extract %[[ACC]][%[[ROW]], %[[COL]]] : tensor<?x4xf32>
// CHECK:           %[[SUM:.+]] = arith.addf %[[CUR]], %[[UPD]] : f32
// CHECK:           %[[NEXT:.+]] = tensor.insert %[[SUM]] into %[[ACC]][%[[ROW]], %[[COL]]] : tensor<?x4xf32>
// CHECK:           scf.yield %[[NEXT]]
// CHECK-NOT:     linalg.generic
func.func @scatter_nd_add_elements(%u: tensor<3xf32>, %i: tensor<3x2xi64>, %x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %g = kiln.scatter_nd_add %u[%i] like %x : tensor<3xf32>, tensor<3x2xi64>, tensor<?x4xf32> -> tensor<?x4xf32>
  return %g : tensor<?x4xf32>
}
