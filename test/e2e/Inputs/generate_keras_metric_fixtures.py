"""Writes test/e2e/Inputs/keras-metrics/: every metric kind kiln compiles,
with what Keras 3 itself reports for it, in evaluate and in fit.

  sparse       Dense(4, softmax) with large weights, so that some rows
               saturate: sparse_categorical_crossentropy and the metrics
               "accuracy" and "sparse_categorical_crossentropy" (Keras on
               TensorFlow computes the crossentropy metric from the
               softmax's logits, like the loss: far above -log(1e-7) on a
               saturated wrong row)
  categorical  the same with one-hot targets: categorical_crossentropy,
               "accuracy" and "categorical_crossentropy"
  binary       Dense(3, sigmoid) over a (None, 2, 5) input, so the metrics
               average over (sample, step) rows: binary_crossentropy with
               "accuracy", "binary_crossentropy", "mse" and "mae"
  topk         Dense(10, softmax) with large weights (saturated rows: many
               probabilities exactly 0, ties at the top-5 boundary, which
               tf.math.in_top_k counts as in): categorical_crossentropy with
               "top_k_categorical_accuracy" and TopKCategoricalAccuracy
               (name "top5"), k = 5
  sparsetopk   the same with class indices: "sparse_top_k_categorical_accuracy"
               and SparseTopKCategoricalAccuracy (name "top5")
  precision    Dense(3, sigmoid), multi-label: binary_crossentropy with
               "precision", "recall", Precision(thresholds=0.5, name="p")
               and Recall(name="r"), counted over every element and over
               the epoch (the mean of the batches' ratios would differ)
  auc          Dense(2, sigmoid), multi-label: binary_crossentropy with
               "auc" and AUC(name="roc") (200 thresholds, ROC, interpolated;
               every element, over the epoch)
  logits       metric settings on logits: Dense(3) (linear), multi-label,
               BinaryCrossentropy(from_logits=True) with
               BinaryAccuracy(threshold=0), BinaryCrossentropy(from_logits,
               label_smoothing=0.1), Precision(thresholds=0),
               Recall(thresholds=[0.3]) and AUC(from_logits=True)
  topk3        Dense(10, softmax): categorical_crossentropy with
               TopKCategoricalAccuracy(k=3), CategoricalCrossentropy(
               label_smoothing=0.2) and BinaryAccuracy(threshold=0.3)
  sparsetopk2  Dense(10) (linear): SparseCategoricalCrossentropy(
               from_logits=True) with SparseTopKCategoricalAccuracy(k=2),
               SparseCategoricalCrossentropy(from_logits=True) and
               "accuracy"

NAME.keras, NAME.x.npy and NAME.y.npy; NAME.evaluate.json is Keras's
evaluate (batch 5: batches of 5, 5 and 2) before training, NAME.history.json
Keras's history.history after fit (2 epochs, batch 5, no shuffling, SGD 0.1).

Run with real Keras 3 on TensorFlow (not needed by the tests):
    /opt/kiln-venv/bin/python test/e2e/Inputs/generate_keras_metric_fixtures.py
"""
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import layers  # noqa: E402

from keras_fixtures import (  # noqa: E402
    randomize, save_evaluate_and_fit, save_model_and_data)

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                   "keras-metrics")


def write(name, model, loss, metrics, x, y):
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss=loss,
                  metrics=metrics)
    save_model_and_data(OUT, name, model, x, y)
    print(name, save_evaluate_and_fit(OUT, name, model, x, y, epochs=2))


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(5)
    x = rng.uniform(-1, 1, (12, 6)).astype(np.float32)
    labels = rng.integers(0, 4, 12)

    def classifier(name, classes=4, scale=40):
        inp = keras.Input((6,), name="x")
        model = keras.Model(inp, layers.Dense(classes, activation="softmax",
                                              name="probs")(inp), name=name)
        randomize(model, rng, 1.0)
        # Large logits: several rows' softmax rounds to exactly 0 and 1.
        kernel, bias = model.get_weights()
        model.set_weights([kernel * scale, bias])
        return model

    write("sparse", classifier("sparse"), "sparse_categorical_crossentropy",
          ["accuracy", "sparse_categorical_crossentropy"], x, labels)
    write("categorical", classifier("categorical"),
          "categorical_crossentropy",
          ["accuracy", "categorical_crossentropy"], x, np.eye(4)[labels])

    inp = keras.Input((2, 5), name="x")
    model = keras.Model(inp, layers.Dense(3, activation="sigmoid",
                                          name="probs")(inp), name="binary")
    randomize(model, rng, 1.0)
    kernel, bias = model.get_weights()
    model.set_weights([kernel * 20, bias])
    xb = rng.uniform(-1, 1, (12, 2, 5)).astype(np.float32)
    yb = rng.integers(0, 2, (12, 2, 3)).astype(np.float32)
    write("binary", model, "binary_crossentropy",
          ["accuracy", "binary_crossentropy", "mse", "mae"], xb, yb)

    # Top-5 of 10 classes (drawn after the others, which stay as they were).
    x10 = rng.uniform(-1, 1, (12, 6)).astype(np.float32)
    labels10 = rng.integers(0, 10, 12)
    write("topk", classifier("topk", 10, 100), "categorical_crossentropy",
          ["top_k_categorical_accuracy",
           keras.metrics.TopKCategoricalAccuracy(name="top5")], x10,
          np.eye(10)[labels10])
    write("sparsetopk", classifier("sparsetopk", 10, 100),
          "sparse_categorical_crossentropy",
          ["sparse_top_k_categorical_accuracy",
           keras.metrics.SparseTopKCategoricalAccuracy(name="top5")], x10,
          labels10)

    # Precision and recall over the epoch (drawn after the others too).
    inp = keras.Input((5,), name="x")
    model = keras.Model(inp, layers.Dense(3, activation="sigmoid",
                                          name="probs")(inp),
                        name="precision")
    randomize(model, rng, 1.0)
    kernel, bias = model.get_weights()
    model.set_weights([kernel * 3, bias])
    xp = rng.uniform(-1, 1, (12, 5)).astype(np.float32)
    yp = rng.integers(0, 2, (12, 3)).astype(np.float32)
    write("precision", model, "binary_crossentropy",
          ["precision", "recall",
           keras.metrics.Precision(thresholds=0.5, name="p"),
           keras.metrics.Recall(name="r")], xp, yp)
    # What the mean of the batches' ratios would say instead (5, 5, 2).
    predicted = model.predict(xp, verbose=0) > 0.5
    ratios = []
    for lo, hi in ((0, 5), (5, 10), (10, 12)):
        tp = (predicted[lo:hi] & (yp[lo:hi] != 0)).sum()
        ratios.append(tp / max(predicted[lo:hi].sum(), 1))
    print("precision after fit, per-batch mean:", np.mean(ratios),
          "over the epoch:", (predicted & (yp != 0)).sum() / predicted.sum())

    # The area under the ROC curve (drawn after the others too).
    inp = keras.Input((4,), name="x")
    model = keras.Model(inp, layers.Dense(2, activation="sigmoid",
                                          name="probs")(inp), name="auc")
    randomize(model, rng, 1.0)
    xa = rng.uniform(-1, 1, (12, 4)).astype(np.float32)
    ya = rng.integers(0, 2, (12, 2)).astype(np.float32)
    write("auc", model, "binary_crossentropy",
          ["auc", keras.metrics.AUC(name="roc")], xa, ya)

    # Metric settings (drawn after the others too): thresholds, logits,
    # label smoothing and k.
    M = keras.metrics
    inp = keras.Input((5,), name="x")
    model = keras.Model(inp, layers.Dense(3, name="logits")(inp),
                        name="logits")
    randomize(model, rng, 1.0)
    kernel, bias = model.get_weights()
    model.set_weights([kernel * 3, bias])
    xl = rng.uniform(-1, 1, (12, 5)).astype(np.float32)
    yl = rng.integers(0, 2, (12, 3)).astype(np.float32)
    write("logits", model, keras.losses.BinaryCrossentropy(from_logits=True),
          [M.BinaryAccuracy(threshold=0.0, name="acc"),
           M.BinaryCrossentropy(from_logits=True, label_smoothing=0.1,
                                name="bce"),
           M.Precision(thresholds=0.0, name="p"),
           M.Recall(thresholds=[0.3], name="r"),
           M.AUC(from_logits=True, name="auc")], xl, yl)

    x10 = rng.uniform(-1, 1, (12, 6)).astype(np.float32)
    labels10 = rng.integers(0, 10, 12)
    write("topk3", classifier("topk3", 10, 3), "categorical_crossentropy",
          [M.TopKCategoricalAccuracy(k=3, name="top3"),
           M.CategoricalCrossentropy(label_smoothing=0.2, name="cce"),
           M.BinaryAccuracy(threshold=0.3, name="bacc")], x10,
          np.eye(10)[labels10])

    inp = keras.Input((6,), name="x")
    model = keras.Model(inp, layers.Dense(10, name="logits")(inp),
                        name="sparsetopk2")
    randomize(model, rng, 1.0)
    write("sparsetopk2", model,
          keras.losses.SparseCategoricalCrossentropy(from_logits=True),
          [M.SparseTopKCategoricalAccuracy(k=2, name="top2"),
           M.SparseCategoricalCrossentropy(from_logits=True, name="sce"),
           "accuracy"], x10, labels10)


if __name__ == "__main__":
    main()
