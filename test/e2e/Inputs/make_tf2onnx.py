"""Converts Keras 3 models (TensorFlow backend) to ONNX with tf2onnx
(`tf2onnx.convert.from_function`, at the opset given, 13 by default, a
symbolic batch), and saves an
input batch and Keras's own outputs for it: references kiln did not compute.
Run with the tests' virtual environment (tensorflow-cpu, tf2onnx).

  cnn   Conv2D(8, 3, relu), BatchNormalization, MaxPooling2D, Dropout,
        Flatten, Dense(10, softmax), on 28x28x1 images (channels-last: the
        converter adds the transposes around NCHW Conv and MaxPool)
  mlp   Dense(32, tanh), Dense(16, elu), Dense(3) on 12 features
  lstm  LSTM(16) over (7, 5) sequences, Dense(4): the converter's LSTM
        node, seq-first behind transposes
  norm  Conv2D(4, 3, same), bilinear UpSampling2D, LayerNormalization,
        GlobalAveragePooling2D, Dense(5) on 8x8x3 images: Resize and the
        reductions, whose axes are operands from opset 18
  mha   a Transformer block: MultiHeadAttention(2, 8) with a residual and
        LayerNormalization, a Dense(32, relu) -> Dense(16) feed-forward,
        GlobalAveragePooling1D, Dense(3), on (6, 16) sequences: the
        converter's einsums multiply the batch with the heads
        (ReduceProd of Shape's batch dimensions, (batch * heads, ...))

  python make_tf2onnx.py OUT [OPSET]

Each as <name>.onnx, <name>_x.npy (batch 6) and <name>_y.npy.
"""
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf2onnx  # noqa: E402

out = sys.argv[1]
opset = int(sys.argv[2]) if len(sys.argv) > 2 else 13
keras.utils.set_random_seed(0)
rng = np.random.RandomState(0)
L = keras.layers


def randomize(model):
    """Weights that are not initializers' zeros and ones."""
    for w in model.weights:
        w.assign(rng.uniform(-0.5, 0.5, w.shape).astype(np.float32) +
                 (1.0 if "variance" in w.path or "gamma" in w.path else 0.0))


def transformer_block():
    x = keras.Input((6, 16))
    a = L.MultiHeadAttention(2, 8)(x, x)
    h = L.LayerNormalization()(x + a)
    f = L.Dense(16)(L.Dense(32, activation="relu")(h))
    h = L.LayerNormalization()(h + f)
    return keras.Model(x, L.Dense(3)(L.GlobalAveragePooling1D()(h)))


models = {
    "cnn": (keras.Sequential([
        keras.Input((28, 28, 1)), L.Conv2D(8, 3, activation="relu"),
        L.BatchNormalization(), L.MaxPooling2D(2), L.Dropout(0.3),
        L.Flatten(), L.Dense(10, activation="softmax")]), (28, 28, 1)),
    "mlp": (keras.Sequential([
        keras.Input((12,)), L.Dense(32, activation="tanh"),
        L.Dense(16, activation="elu"), L.Dense(3)]), (12,)),
    "lstm": (keras.Sequential([
        keras.Input((7, 5)), L.LSTM(16), L.Dense(4)]), (7, 5)),
    "norm": (keras.Sequential([
        keras.Input((8, 8, 3)), L.Conv2D(4, 3, padding="same"),
        L.UpSampling2D(2, interpolation="bilinear"), L.LayerNormalization(),
        L.GlobalAveragePooling2D(), L.Dense(5)]), (8, 8, 3)),
    "mha": (transformer_block(), (6, 16)),
}
for name, (model, shape) in models.items():
    randomize(model)
    spec = (tf.TensorSpec((None,) + shape, tf.float32, name="x"),)
    function = tf.function(lambda x, m=model: m(x, training=False),
                           input_signature=spec)
    tf2onnx.convert.from_function(function, input_signature=spec, opset=opset,
                                  output_path=os.path.join(out, name + ".onnx"))
    x = rng.uniform(0, 1, (6,) + shape).astype(np.float32)
    np.save(os.path.join(out, name + "_x.npy"), x)
    np.save(os.path.join(out, name + "_y.npy"),
            model(x, training=False).numpy())
