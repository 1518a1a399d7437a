// RUN: kiln-opt %s --split-input-file --kiln-specialize-mode --verify-diagnostics | FileCheck %s

// Inference (no kiln.mode): dropout is the identity.
// CHECK-LABEL: func.func @predict
// CHECK-NOT: kiln.dropout
// CHECK: return %arg0
func.func @predict(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %y = kiln.dropout %x {rate = 5.000000e-01 : f64} : tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// Training with rate 0: the identity in both modes.
// CHECK-LABEL: func.func @train_rate_zero
// CHECK-NOT: kiln.dropout
func.func @train_rate_zero(%x: tensor<?x8xf32>, %rng: tensor<2xi64>) -> tensor<?x8xf32> attributes {kiln.mode = "training"} {
  %y = kiln.dropout %x {rate = 0.000000e+00 : f64} : tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// Training: x * step(u - (rate - 2^-25)) / (1 - rate), u drawn from the
// step's rng (the function's last argument) on a stream of the layer's name.
// CHECK-LABEL: func.func @train_step(
// CHECK-SAME:      %[[X:.+]]: tensor<?x8xf32>, %[[RNG:.+]]: tensor<2xi64>)
// CHECK:         %[[U:.+]] = kiln.random_uniform %[[X]], %[[RNG]] {stream = -1035080904108319828 : i64} : tensor<?x8xf32>, tensor<2xi64>
// CHECK:         %[[T:.+]] = kiln.constant dense<0.24999997> : tensor<f32>
// CHECK:         %[[D:.+]] = kiln.sub %[[U]], %[[T]]
// CHECK:         %[[K:.+]] = kiln.step %[[D]]
// CHECK:         %[[S:.+]] = kiln.constant dense<1.33333337> : tensor<f32>
// CHECK:         %[[M:.+]] = kiln.mul %[[K]], %[[S]]
// CHECK:         %[[Y:.+]] = kiln.mul %[[X]], %[[M]]
// CHECK:         return %[[Y]]
func.func @train_step(%x: tensor<?x8xf32>, %rng: tensor<2xi64>) -> tensor<?x8xf32> attributes {kiln.mode = "training"} {
  %y = kiln.dropout %x {rate = 2.500000e-01 : f64} : tensor<?x8xf32> loc("drop")
  return %y : tensor<?x8xf32>
}

// -----

// A noise_shape (SpatialDropout1D): one draw per sample and channel, made
// on a (batch, 1, channels) tensor and broadcast over the steps.
// CHECK-LABEL: func.func @spatial_train_step
// CHECK:         %[[LIKE:.+]] = kiln.zeros %arg0 : tensor<?x5x8xf32> -> tensor<?x1x8xf32>
// CHECK:         %[[U:.+]] = kiln.random_uniform %[[LIKE]], %arg1 {{.+}} : tensor<?x1x8xf32>, tensor<2xi64>
// CHECK:         kiln.step
// CHECK:         kiln.mul %arg0, %{{.+}} : tensor<?x5x8xf32>, tensor<?x1x8xf32> -> tensor<?x5x8xf32>
func.func @spatial_train_step(%x: tensor<?x5x8xf32>, %rng: tensor<2xi64>) -> tensor<?x5x8xf32> attributes {kiln.mode = "training"} {
  %y = kiln.dropout %x {rate = 2.500000e-01 : f64, noise_shape = array<i64: -9223372036854775808, 1, 8>} : tensor<?x5x8xf32>
  return %y : tensor<?x5x8xf32>
}

// -----

// A noise shape over a dimension of unknown size cannot be drawn: an error
// instead of training something else.
func.func @train_step(%x: tensor<?x?x8xf32>, %rng: tensor<2xi64>) -> tensor<?x?x8xf32> attributes {kiln.mode = "training"} {
  // expected-error@+1 {{'kiln.dropout' op dropout's noise_shape spans a dimension of unknown size}}
  %y = kiln.dropout %x {rate = 2.500000e-01 : f64, noise_shape = array<i64: -9223372036854775808, -9223372036854775808, 1>} : tensor<?x?x8xf32>
  return %y : tensor<?x?x8xf32>
}

// -----

// The augmentation layers: the identity in inference.
// CHECK-LABEL: func.func @augment_predict
// CHECK-NOT: kiln.random_flip
// CHECK-NOT: kiln.random_affine
// CHECK-NOT: kiln.random_color
// CHECK: return %arg0
func.func @augment_predict(%x: tensor<?x2x3x1xf32>) -> tensor<?x2x3x1xf32> {
  %f = kiln.random_flip %x {axes = array<i64: 1, 2>} : tensor<?x2x3x1xf32>
  %r = kiln.random_affine %f {kind = "rotation", bounds = array<f64: -0.1, 0.1>, axes = array<i64: 1, 2>, interpolation = "bilinear", fill_mode = "reflect", fill_value = 0.0 : f64} : tensor<?x2x3x1xf32>
  %y = kiln.random_color %r {kind = "contrast", bounds = array<f64: 0.8, 1.2>, value_range = array<f64: 0.0, 255.0>, axes = array<i64: 1, 2>} : tensor<?x2x3x1xf32>
  return %y : tensor<?x2x3x1xf32>
}

// -----

// Training: one draw per image, shaped (batch, 1, 1, 1); an image is
// reversed along every axis (its slices concatenated last first) when its
// draw is at most 1/2.
// CHECK-LABEL: func.func @flip_train(
// CHECK-SAME:      %[[X:.+]]: tensor<?x2x3x1xf32>, %[[RNG:.+]]: tensor<2xi64>)
// CHECK:         %[[Z:.+]] = kiln.zeros %[[X]] : tensor<?x2x3x1xf32> -> tensor<?x1x1x1xf32>
// CHECK:         %[[U:.+]] = kiln.random_uniform %[[Z]], %[[RNG]]
// CHECK:         %[[HALF:.+]] = kiln.constant dense<5.000000e-01> : tensor<f32>
// CHECK:         %[[FLIP:.+]] = kiln.less_equal %[[U]], %[[HALF]]
// CHECK:         %[[H1:.+]] = kiln.slice %[[X]] {axis = 1 : i64, size = 1 : i64, start = 1 : i64}
// CHECK:         %[[H0:.+]] = kiln.slice %[[X]] {axis = 1 : i64, size = 1 : i64, start = 0 : i64}
// CHECK:         %[[V:.+]] = kiln.concat %[[H1]], %[[H0]] {axis = 1 : i64}
// CHECK:         %[[W2:.+]] = kiln.slice %[[V]] {axis = 2 : i64, size = 1 : i64, start = 2 : i64}
// CHECK:         %[[W1:.+]] = kiln.slice %[[V]] {axis = 2 : i64, size = 1 : i64, start = 1 : i64}
// CHECK:         %[[W0:.+]] = kiln.slice %[[V]] {axis = 2 : i64, size = 1 : i64, start = 0 : i64}
// CHECK:         %[[R:.+]] = kiln.concat %[[W2]], %[[W1]], %[[W0]] {axis = 2 : i64}
// CHECK:         %[[Y:.+]] = kiln.select %[[FLIP]], %[[R]], %[[X]]
// CHECK:         return %[[Y]]
func.func @flip_train(%x: tensor<?x2x3x1xf32>, %rng: tensor<2xi64>) -> tensor<?x2x3x1xf32> attributes {kiln.mode = "training"} {
  %y = kiln.random_flip %x {axes = array<i64: 1, 2>} : tensor<?x2x3x1xf32>
  return %y : tensor<?x2x3x1xf32>
}

// -----

// RandomRotation in training: one draw per image, shaped (batch, 1), as
// degrees in [360 lo, 360 hi] (here -36 + 108 u), in radians; the map about
// the center ((W - 1) / 2, (H - 1) / 2) = (1.5, 2) as Keras computes it:
// [cos, -sin, 1.5 - 1.5 cos + 2 sin, sin, cos, 2 - 1.5 sin - 2 cos, 0, 0],
// and the resampling.
// CHECK-LABEL: func.func @rotate_train(
// CHECK-SAME:      %[[X:.+]]: tensor<?x5x4x1xf32>, %[[RNG:.+]]: tensor<2xi64>)
// CHECK:         %[[Z:.+]] = kiln.zeros %[[X]] : tensor<?x5x4x1xf32> -> tensor<?x1xf32>
// CHECK:         %[[ZERO:.+]] = kiln.add %[[Z]], %{{.+}} : tensor<?x1xf32>, tensor<f32>
// CHECK:         %[[U:.+]] = kiln.random_uniform %[[Z]], %[[RNG]]
// CHECK:         %[[SPAN:.+]] = kiln.constant dense<1.080000e+02> : tensor<f32>
// CHECK:         %[[US:.+]] = kiln.mul %[[U]], %[[SPAN]]
// CHECK:         %[[LO:.+]] = kiln.constant dense<-3.600000e+01> : tensor<f32>
// CHECK:         %[[DEG:.+]] = kiln.add %[[LO]], %[[US]]
// CHECK:         %[[RAD:.+]] = kiln.mul %[[DEG]], %{{.+}}
// CHECK:         %[[COS:.+]] = kiln.cos %[[RAD]]
// CHECK:         %[[SIN:.+]] = kiln.sin %[[RAD]]
// CHECK:         %[[CX:.+]] = kiln.constant dense<1.500000e+00> : tensor<f32>
// CHECK:         %[[CY:.+]] = kiln.constant dense<2.000000e+00> : tensor<f32>
// CHECK:         %[[NSIN:.+]] = kiln.neg %[[SIN]]
// CHECK:         %[[A2:.+]] = kiln.sub %{{.+}}, %{{.+}} : tensor<?x1xf32>, tensor<?x1xf32>
// CHECK:         %[[B2:.+]] = kiln.sub %{{.+}}, %{{.+}} : tensor<?x1xf32>, tensor<?x1xf32>
// CHECK:         %[[T:.+]] = kiln.concat %[[COS]], %[[NSIN]], %[[A2]], %[[SIN]], %[[COS]], %[[B2]], %[[ZERO]], %[[ZERO]] {axis = 1 : i64}
// CHECK:         %[[Y:.+]] = kiln.image_transform %[[X]], %[[T]] {fill_mode = "reflect", fill_value = 0.000000e+00 : f64, interpolation = "bilinear"}
// CHECK:         return %[[Y]]
func.func @rotate_train(%x: tensor<?x5x4x1xf32>, %rng: tensor<2xi64>) -> tensor<?x5x4x1xf32> attributes {kiln.mode = "training"} {
  %y = kiln.random_affine %x {kind = "rotation", bounds = array<f64: -0.1, 0.2>, axes = array<i64: 1, 2>, interpolation = "bilinear", fill_mode = "reflect", fill_value = 0.0 : f64} : tensor<?x5x4x1xf32>
  return %y : tensor<?x5x4x1xf32>
}

// -----

// RandomZoom with a width factor: two draws (the layer's stream and the
// next); channels first: the resampling runs on the images transposed to
// channels last and back.
// CHECK-LABEL: func.func @zoom_channels_first(
// CHECK:         %[[NHWC:.+]] = kiln.transpose %{{.+}} {permutation = array<i64: 0, 2, 3, 1>}
// CHECK:         kiln.random_uniform %{{.+}}, %{{.+}} {stream = [[S:-?[0-9]+]] : i64}
// CHECK-NOT:     stream = [[S]] :
// CHECK:         kiln.random_uniform %{{.+}}, %{{.+}} {stream = {{-?[0-9]+}} : i64}
// CHECK:         %[[Y:.+]] = kiln.image_transform %[[NHWC]], %{{.+}} {fill_mode = "wrap", fill_value = 0.000000e+00 : f64, interpolation = "nearest"} : tensor<?x5x4x2xf32>, tensor<?x8xf32>
// CHECK:         %[[BACK:.+]] = kiln.transpose %[[Y]] {permutation = array<i64: 0, 3, 1, 2>}
// CHECK:         return %[[BACK]]
func.func @zoom_channels_first(%x: tensor<?x2x5x4xf32>, %rng: tensor<2xi64>) -> tensor<?x2x5x4xf32> attributes {kiln.mode = "training"} {
  %y = kiln.random_affine %x {kind = "zoom", bounds = array<f64: -0.2, 0.2, 0.1, 0.3>, axes = array<i64: 2, 3>, interpolation = "nearest", fill_mode = "wrap", fill_value = 0.0 : f64} : tensor<?x2x5x4xf32>
  return %y : tensor<?x2x5x4xf32>
}

// -----

// RandomContrast in training: a factor per image, (x - m) f + m with m the
// mean per channel over height and width, clipped to the value range.
// CHECK-LABEL: func.func @contrast_train(
// CHECK-SAME:      %[[X:.+]]: tensor<?x2x3x4xf32>, %[[RNG:.+]]: tensor<2xi64>)
// CHECK:         %[[Z:.+]] = kiln.zeros %[[X]] : tensor<?x2x3x4xf32> -> tensor<?x1x1x1xf32>
// CHECK:         %[[U:.+]] = kiln.random_uniform %[[Z]], %[[RNG]]
// CHECK:         %[[US:.+]] = kiln.mul %[[U]], %{{.+}}
// CHECK:         %[[F:.+]] = kiln.add %{{.+}}, %[[US]]
// CHECK:         %[[M:.+]] = kiln.reduce_mean %[[X]] {axes = array<i64: 1, 2>, keep_dims = true} : tensor<?x2x3x4xf32> -> tensor<?x1x1x4xf32>
// CHECK:         %[[D:.+]] = kiln.sub %[[X]], %[[M]]
// CHECK:         %[[S:.+]] = kiln.mul %[[D]], %[[F]]
// CHECK:         %[[C:.+]] = kiln.add %[[S]], %[[M]]
// CHECK:         %[[Y:.+]] = kiln.clip %[[C]] {max = 2.550000e+02 : f64, min = 0.000000e+00 : f64}
// CHECK:         return %[[Y]]
func.func @contrast_train(%x: tensor<?x2x3x4xf32>, %rng: tensor<2xi64>) -> tensor<?x2x3x4xf32> attributes {kiln.mode = "training"} {
  %y = kiln.random_color %x {kind = "contrast", bounds = array<f64: 0.8, 1.2>, value_range = array<f64: 0.0, 255.0>, axes = array<i64: 1, 2>} : tensor<?x2x3x4xf32>
  return %y : tensor<?x2x3x4xf32>
}

// -----

// Keras 2's RandomContrast (per_batch): one factor for the whole batch, a
// (1, 1, 1, 1) draw broadcast over the images.
// CHECK-LABEL: func.func @contrast_per_batch_train(
// CHECK-SAME:      %[[X:.+]]: tensor<?x2x3x4xf32>, %[[RNG:.+]]: tensor<2xi64>)
// CHECK:         %[[LIKE:.+]] = kiln.constant dense<0.000000e+00> : tensor<1x1x1x1xf32>
// CHECK-NEXT:    %[[U:.+]] = kiln.random_uniform %[[LIKE]], %[[RNG]] {{.+}} : tensor<1x1x1x1xf32>
// CHECK:         %[[F:.+]] = kiln.add %{{.+}}, %{{.+}} : tensor<f32>, tensor<1x1x1x1xf32>
// CHECK:         %[[D:.+]] = kiln.sub %[[X]]
// CHECK-NEXT:    kiln.mul %[[D]], %[[F]] : tensor<?x2x3x4xf32>, tensor<1x1x1x1xf32>
func.func @contrast_per_batch_train(%x: tensor<?x2x3x4xf32>, %rng: tensor<2xi64>) -> tensor<?x2x3x4xf32> attributes {kiln.mode = "training"} {
  %y = kiln.random_color %x {kind = "contrast", bounds = array<f64: 0.8, 1.2>, value_range = array<f64: 0.0, 255.0>, axes = array<i64: 1, 2>, per_batch} : tensor<?x2x3x4xf32>
  return %y : tensor<?x2x3x4xf32>
}

// -----

// RandomBrightness in training: x + f (b - a), clipped.
// CHECK-LABEL: func.func @brightness_train(
// CHECK:         %[[U:.+]] = kiln.random_uniform
// CHECK:         %[[WIDTH:.+]] = kiln.constant dense<2.000000e+00> : tensor<f32>
// CHECK:         %[[SHIFT:.+]] = kiln.mul %{{.+}}, %[[WIDTH]]
// CHECK:         %[[B:.+]] = kiln.add %{{.+}}, %[[SHIFT]] : tensor<?x4x4x3xf32>, tensor<?x1x1x1xf32>
// CHECK:         kiln.clip %[[B]] {max = 1.000000e+00 : f64, min = -1.000000e+00 : f64}
func.func @brightness_train(%x: tensor<?x4x4x3xf32>, %rng: tensor<2xi64>) -> tensor<?x4x4x3xf32> attributes {kiln.mode = "training"} {
  %y = kiln.random_color %x {kind = "brightness", bounds = array<f64: -0.1, 0.1>, value_range = array<f64: -1.0, 1.0>, axes = array<i64: 1, 2>} : tensor<?x4x4x3xf32>
  return %y : tensor<?x4x4x3xf32>
}

// -----

// An op marked kiln.inference_only (a Keras 2 layer called with
// training=False) takes its inference form in training too: dropout keeps
// everything, batch_norm normalizes by the moving statistics and updates
// nothing.
// CHECK-LABEL: func.func @inference_only_train(
// CHECK-SAME:      %[[X:[^:]+]]: tensor<?x4xf32>
// CHECK-NOT:     kiln.random_uniform
// CHECK-NOT:     kiln.reduce_mean
// CHECK:         return
func.func @inference_only_train(%x: tensor<?x4xf32>, %g: tensor<4xf32>, %b: tensor<4xf32>, %m: tensor<4xf32>, %v: tensor<4xf32>, %rng: tensor<2xi64>) -> tensor<?x4xf32> attributes {kiln.mode = "training"} {
  %n = kiln.batch_norm %x, %g, %b, %m, %v {axis = -1 : i64, epsilon = 1.0e-3 : f64, momentum = 0.99 : f64, kiln.inference_only, operandSegmentSizes = array<i32: 1, 1, 1, 1, 1>} : (tensor<?x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  %y = kiln.dropout %n {rate = 5.000000e-01 : f64, kiln.inference_only} : tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// -----

// GaussianNoise and AlphaDropout: the identity in inference.
// CHECK-LABEL: func.func @noise_predict
// CHECK-NOT: kiln.gaussian_noise
// CHECK-NOT: kiln.alpha_dropout
// CHECK: return %arg0
func.func @noise_predict(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %n = kiln.gaussian_noise %x {stddev = 3.000000e-01 : f64} : tensor<?x8xf32>
  %y = kiln.alpha_dropout %n {rate = 1.000000e-01 : f64} : tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// Training: GaussianDropout's x * (1 + stddev z), z by Box-Muller from the
// layer's stream and the next one.
// CHECK-LABEL: func.func @gaussian_dropout_train(
// CHECK-SAME:      %[[X:.+]]: tensor<?x8xf32>, %[[RNG:.+]]: tensor<2xi64>)
// CHECK:         %[[U1:.+]] = kiln.random_uniform %[[X]], %[[RNG]] {stream = [[S:-?[0-9]+]] : i64}
// CHECK:         %[[U2:.+]] = kiln.random_uniform %[[X]], %[[RNG]] {stream = {{-?[0-9]+}} : i64}
// CHECK:         %[[ONE_U1:.+]] = kiln.sub %{{.+}}, %[[U1]]
// CHECK:         kiln.log %[[ONE_U1]]
// CHECK:         kiln.sqrt
// CHECK:         kiln.cos
// CHECK:         %[[SD:.+]] = kiln.constant dense<5.000000e-01> : tensor<f32>
// CHECK:         %[[N:.+]] = kiln.mul %{{.+}}, %[[SD]]
// CHECK:         %[[F:.+]] = kiln.add %[[N]], %{{.+}}
// CHECK:         %[[Y:.+]] = kiln.mul %[[X]], %[[F]]
// CHECK:         return %[[Y]]
func.func @gaussian_dropout_train(%x: tensor<?x8xf32>, %rng: tensor<2xi64>) -> tensor<?x8xf32> attributes {kiln.mode = "training"} {
  %y = kiln.gaussian_noise %x {stddev = 5.000000e-01 : f64, multiplicative = true} : tensor<?x8xf32> loc("noise")
  return %y : tensor<?x8xf32>
}

// -----

// Training: AlphaDropout keeps x where u >= rate, else alpha' = -1.7581,
// then a x + b.
// CHECK-LABEL: func.func @alpha_dropout_train(
// CHECK-SAME:      %[[X:.+]]: tensor<?x8xf32>, %[[RNG:.+]]: tensor<2xi64>)
// CHECK:         %[[U:.+]] = kiln.random_uniform %[[X]], %[[RNG]]
// CHECK:         %[[KEPT:.+]] = kiln.greater_equal %[[U]], %{{.+}}
// CHECK:         %[[AP:.+]] = kiln.constant dense<-1.75809932> : tensor<f32>
// CHECK:         %[[D:.+]] = kiln.select %[[KEPT]], %[[X]], %[[AP]]
// CHECK:         %[[A:.+]] = kiln.mul %[[D]], %{{.+}}
// CHECK:         %[[Y:.+]] = kiln.add %[[A]], %{{.+}}
// CHECK:         return %[[Y]]
func.func @alpha_dropout_train(%x: tensor<?x8xf32>, %rng: tensor<2xi64>) -> tensor<?x8xf32> attributes {kiln.mode = "training"} {
  %y = kiln.alpha_dropout %x {rate = 1.000000e-01 : f64} : tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// The forms' constants take the input's element type: in float64 (a
// gradcheck's promoted function) 1 and epsilon are exact doubles, not
// float bit patterns.
// CHECK-LABEL: func.func @batch_norm_f64(
// CHECK-DAG:     kiln.constant dense<1.000000e-03> : tensor<f64>
// CHECK-DAG:     kiln.constant dense<1.000000e+00> : tensor<f64>
// CHECK:         return
func.func @batch_norm_f64(%x: tensor<?x4xf64>, %g: tensor<4xf64>, %b: tensor<4xf64>, %m: tensor<4xf64>, %v: tensor<4xf64>) -> tensor<?x4xf64> {
  %n = kiln.batch_norm %x, %g, %b, %m, %v {axis = -1 : i64, epsilon = 1.0e-3 : f64, momentum = 0.99 : f64, operandSegmentSizes = array<i32: 1, 1, 1, 1, 1>} : (tensor<?x4xf64>, tensor<4xf64>, tensor<4xf64>, tensor<4xf64>, tensor<4xf64>) -> tensor<?x4xf64>
  return %n : tensor<?x4xf64>
}

// -----

// A training function takes its RNG key as its last argument.
// expected-error @+1 {{'func.func' op is in training mode but has no RNG key argument}}
func.func @training_without_key() -> tensor<4xf32> attributes {kiln.mode = "training"} {
  %c = kiln.constant dense<1.0> : tensor<4xf32>
  return %c : tensor<4xf32>
}

// -----

// Training-mode batch statistics update the moving ones: the standalone
// pass has nowhere to return them.
// expected-error @+1 {{'func.func' op a training-mode op updates state, but nothing returns it (build the function with buildTrainingFunctions)}}
func.func @batch_norm_state_unreturned(%x: tensor<?x4xf32>, %g: tensor<4xf32>, %b: tensor<4xf32>, %m: tensor<4xf32>, %v: tensor<4xf32>, %rng: tensor<2xi64>) -> tensor<?x4xf32> attributes {kiln.mode = "training"} {
  %n = kiln.batch_norm %x, %g, %b, %m, %v {axis = -1 : i64, epsilon = 1.0e-3 : f64, momentum = 0.99 : f64, operandSegmentSizes = array<i32: 1, 1, 1, 1, 1>} : (tensor<?x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  return %n : tensor<?x4xf32>
}
