// RUN: kiln-opt %s --split-input-file --kiln-lower-to-linalg | FileCheck %s

// kiln.image_transform lowers to a parallel generic over the result whose
// body is TensorFlow's ImageProjectiveTransformV3 for one element: the
// image's map read by tensor.extract, the projection, the fill mode's
// coordinate mapping, and reads of indices clamped into the image.

// Bilinear, reflect: two floors, four reads each chosen against the fill
// value by the float coordinates' bounds, and the fill value where the
// projection is 0.
// CHECK-LABEL: func.func @bilinear_reflect
// CHECK-SAME:    (%[[X:.+]]: tensor<?x5x4x2xf32>, %[[T:.+]]: tensor<?x8xf32>)
// CHECK:         %[[D:.+]] = tensor.dim %[[X]], %{{.+}} : tensor<?x5x4x2xf32>
// CHECK:         %[[E:.+]] = tensor.empty(%[[D]]) : tensor<?x5x4x2xf32>
// CHECK:         linalg.generic
// CHECK-SAME:      iterator_types = ["parallel", "parallel", "parallel", "parallel"]
// CHECK-SAME:      outs(%[[E]] : tensor<?x5x4x2xf32>)
// CHECK:           %[[N:.+]] = linalg.index 0 : index
// CHECK-COUNT-8:   tensor.extract %[[T]][%[[N]], %{{.+}}] : tensor<?x8xf32>
// CHECK:           %[[ONE:.+]] = arith.constant 1.000000e+00 : f32
// CHECK:           %[[K:.+]] = arith.addf %{{.+}}, %[[ONE]] : f32
// CHECK:           arith.divf %{{.+}}, %[[K]] : f32
// CHECK:           arith.divf %{{.+}}, %[[K]] : f32
// CHECK:           math.trunc
// CHECK:           arith.maximumf
// CHECK:           arith.minimumf
// CHECK:           math.floor
// CHECK:           math.floor
// CHECK-COUNT-4:   tensor.extract %[[X]][%[[N]], %{{.+}}, %{{.+}}, %{{.+}}] : tensor<?x5x4x2xf32>
// CHECK:           %[[ZERO:.+]] = arith.cmpf oeq, %[[K]], %{{.+}} : f32
// CHECK:           %[[R:.+]] = arith.select %[[ZERO]], %{{.+}}, %{{.+}} : f32
// CHECK:           linalg.yield %[[R]] : f32
func.func @bilinear_reflect(%x: tensor<?x5x4x2xf32>, %t: tensor<?x8xf32>) -> tensor<?x5x4x2xf32> {
  %y = kiln.image_transform %x, %t {interpolation = "bilinear", fill_mode = "reflect", fill_value = 0.0 : f64} : tensor<?x5x4x2xf32>, tensor<?x8xf32>
  return %y : tensor<?x5x4x2xf32>
}

// -----

// Nearest, constant: no coordinate mapping (no trunc, no clamp), one
// rounded read (half away from zero), the fill value 0.5 outside.
// CHECK-LABEL: func.func @nearest_constant
// CHECK:         linalg.generic
// CHECK-NOT:       math.trunc
// CHECK-NOT:       arith.maximumf
// CHECK:           math.round
// CHECK:           math.round
// CHECK:           tensor.extract %{{.+}} : tensor<3x4x4x1xf32>
// CHECK-NOT:       tensor.extract
// CHECK:           %[[HALF:.+]] = arith.constant 5.000000e-01 : f32
// CHECK:           arith.select %{{.+}}, %{{.+}}, %[[HALF]] : f32
// CHECK:           linalg.yield
func.func @nearest_constant(%x: tensor<3x4x4x1xf32>, %t: tensor<3x8xf32>) -> tensor<3x4x4x1xf32> {
  %y = kiln.image_transform %x, %t {interpolation = "nearest", fill_mode = "constant", fill_value = 0.5 : f64} : tensor<3x4x4x1xf32>, tensor<3x8xf32>
  return %y : tensor<3x4x4x1xf32>
}

// -----

// An image one pixel wide maps every coordinate to 0 under reflect and
// wrap, as TensorFlow does.
// CHECK-LABEL: func.func @single_column
// CHECK:         linalg.generic
// CHECK-NOT:       math.trunc
// CHECK:           linalg.yield
func.func @single_column(%x: tensor<2x1x1x3xf32>, %t: tensor<2x8xf32>) -> tensor<2x1x1x3xf32> {
  %y = kiln.image_transform %x, %t {interpolation = "bilinear", fill_mode = "wrap", fill_value = 0.0 : f64} : tensor<2x1x1x3xf32>, tensor<2x8xf32>
  return %y : tensor<2x1x1x3xf32>
}
