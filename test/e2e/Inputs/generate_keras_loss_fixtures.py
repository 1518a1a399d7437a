"""Writes test/e2e/Inputs/keras-losses/: a model for each Keras loss beyond
the crossentropies and mean_squared_error, compiled with the metrics that
are loss functions too, and what Keras 3 itself reports for them in evaluate
and in fit.

  mae       Dense(8, relu) -> Dense(3): "mae", metrics "mape", "msle",
            MeanAbsolutePercentageError() (a metric object, its own name)
            and RootMeanSquaredError() (the root of the epoch's mean, not
            a mean of batch roots)
  mape      the same regression with MeanAbsolutePercentageError() as the
            loss (targets away from 0) and metric "mae"
  msle      Dense(3, softplus), "msle" on positive targets
  huber     Huber(): errors on both sides of delta 1
  huber_half  the same model and data with Huber(delta=0.5); Keras 3.15's
            Huber.get_config does not save delta (its own load_model trains
            with 1.0), so the test compiles it with --loss huber:delta=0.5
  log_cosh  "log_cosh"
  poisson   Dense(3, softplus), "poisson" on counts; metric "poisson"
  kld       Dense(4, softmax), KLDivergence() against distributions; metrics
            "kl_divergence" and "cosine_similarity" (the metric is +cos)
  hinge     Dense(3, tanh), "hinge" on 0/1 labels (Keras maps them to
            -1/1); metrics "hinge" and "squared_hinge"
  sq_hinge  the same with "squared_hinge" on -1/1 labels (kept as they are)
  cosine    Dense(3), "cosine_similarity" (the loss is -cos); metric
            CosineSimilarity()
  cat_hinge Dense(4), "categorical_hinge" on one-hot labels; metrics
            "categorical_hinge" and CategoricalHinge()
  cce_smooth  Dense(4, softmax), CategoricalCrossentropy(label_smoothing=
            0.1): the loss smooths the one-hot targets, the metric
            "categorical_crossentropy" does not
  cce_smooth_relu  Dense(4, relu), label_smoothing=0.3 (probabilities, not
            logits: normalized and clipped)
  bce_smooth  Dense(3, sigmoid), BinaryCrossentropy(label_smoothing=0.2);
            metric "binary_crossentropy" (not smoothed)
  bce_smooth_logits  Dense(3), BinaryCrossentropy(from_logits=True,
            label_smoothing=0.25)
  bce_linear  Dense(3) (no activation), "binary_crossentropy": outputs
            outside [0, 1] are clipped to [eps, 1 - eps], and Keras 3 takes
            log(p), not log(p + eps) as Keras 2 did
  bfocal    Dense(3, sigmoid), BinaryFocalCrossentropy(): (1 - p_t)^2 times
            the crossentropy, which reads the sigmoid's logits
  bfocal_balanced  Dense(3), BinaryFocalCrossentropy(from_logits=True,
            apply_class_balancing=True, alpha=0.4, gamma=1.5,
            label_smoothing=0.1): a gamma that is not whole
  bfocal_linear  Dense(3) (no activation), BinaryFocalCrossentropy(gamma=3,
            alpha=0.9): clipped probabilities, 1 - p_t below 0 and above
            1, alpha unused without class balancing
  cfocal    Dense(4, softmax), CategoricalFocalCrossentropy(): from the
            normalized, clipped probabilities (no logits); metric
            "categorical_crossentropy"
  cfocal_logits  Dense(4), CategoricalFocalCrossentropy(from_logits=True,
            alpha=0.5, gamma=2.5, label_smoothing=0.1)

NAME.keras, NAME.x.npy and NAME.y.npy; NAME.evaluate.json is Keras's
evaluate (batch 5: batches of 5, 5 and 2) before training, NAME.history.json
Keras's history.history after fit (3 epochs, batch 5, no shuffling, SGD
0.05).

Run with real Keras 3 on TensorFlow (not needed by the tests):
    /opt/kiln-venv/bin/python test/e2e/Inputs/generate_keras_loss_fixtures.py
"""
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import layers  # noqa: E402

from keras_fixtures import (  # noqa: E402
    randomize, save_evaluate_and_fit, save_model_and_data)

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "keras-losses")


def dense(rng, name, units, activation=None, hidden=True):
    x = keras.Input((5,), name="x")
    h = layers.Dense(8, activation="relu", name="h")(x) if hidden else x
    y = layers.Dense(units, activation=activation, name="y")(h)
    model = keras.Model(x, y, name=name)
    randomize(model, rng, 0.7)
    return model


def write(name, model, x, y, loss, metrics=()):
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss=loss,
                  metrics=list(metrics))
    save_model_and_data(OUT, name, model, x, y)
    print(name, save_evaluate_and_fit(OUT, name, model, x, y, epochs=3))


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(17)
    x = rng.uniform(-1, 1, (12, 5)).astype(np.float32)
    regression = rng.normal(size=(12, 3))
    away = np.sign(regression) * (0.5 + np.abs(regression))

    write("mae", dense(rng, "mae", 3), x, regression, "mae",
          ["mape", "msle", keras.metrics.MeanAbsolutePercentageError(),
           keras.metrics.RootMeanSquaredError()])
    write("mape", dense(rng, "mape", 3), x, away,
          keras.losses.MeanAbsolutePercentageError(), ["mae"])
    write("msle", dense(rng, "msle", 3, "softplus"), x,
          rng.uniform(0, 3, (12, 3)), "msle")
    huber = dense(rng, "huber", 3)
    weights = huber.get_weights()
    write("huber", huber, x, 2 * regression, keras.losses.Huber())
    huber.set_weights(weights)
    write("huber_half", huber, x, 2 * regression,
          keras.losses.Huber(delta=0.5))
    write("log_cosh", dense(rng, "log_cosh", 3), x, 2 * regression,
          "log_cosh")
    write("poisson", dense(rng, "poisson", 3, "softplus"), x,
          rng.poisson(1.5, (12, 3)), "poisson", ["poisson"])
    write("kld", dense(rng, "kld", 4, "softmax"), x,
          rng.dirichlet(np.ones(4), 12), keras.losses.KLDivergence(),
          ["kl_divergence", "cosine_similarity"])
    write("hinge", dense(rng, "hinge", 3, "tanh"), x,
          rng.integers(0, 2, (12, 3)), "hinge", ["hinge", "squared_hinge"])
    write("sq_hinge", dense(rng, "sq_hinge", 3, "tanh"), x,
          2 * rng.integers(0, 2, (12, 3)) - 1, "squared_hinge")
    write("cosine", dense(rng, "cosine", 3), x, regression,
          "cosine_similarity", [keras.metrics.CosineSimilarity()])
    write("cat_hinge", dense(rng, "cat_hinge", 4), x,
          np.eye(4)[rng.integers(0, 4, 12)], "categorical_hinge",
          ["categorical_hinge", keras.metrics.CategoricalHinge(name="ch")])
    labels = np.eye(4)[rng.integers(0, 4, 12)]
    write("cce_smooth", dense(rng, "cce_smooth", 4, "softmax"), x, labels,
          keras.losses.CategoricalCrossentropy(label_smoothing=0.1),
          ["categorical_crossentropy"])
    write("cce_smooth_relu", dense(rng, "cce_smooth_relu", 4, "relu"), x,
          labels, keras.losses.CategoricalCrossentropy(label_smoothing=0.3))
    write("bce_smooth", dense(rng, "bce_smooth", 3, "sigmoid"), x,
          rng.integers(0, 2, (12, 3)),
          keras.losses.BinaryCrossentropy(label_smoothing=0.2),
          ["binary_crossentropy"])
    write("bce_smooth_logits", dense(rng, "bce_smooth_logits", 3), x,
          rng.integers(0, 2, (12, 3)),
          keras.losses.BinaryCrossentropy(from_logits=True,
                                          label_smoothing=0.25))
    write("bce_linear", dense(rng, "bce_linear", 3), x,
          rng.integers(0, 2, (12, 3)), "binary_crossentropy")
    write("bfocal", dense(rng, "bfocal", 3, "sigmoid"), x,
          rng.integers(0, 2, (12, 3)),
          keras.losses.BinaryFocalCrossentropy(), ["binary_crossentropy"])
    write("bfocal_balanced", dense(rng, "bfocal_balanced", 3), x,
          rng.integers(0, 2, (12, 3)),
          keras.losses.BinaryFocalCrossentropy(
              from_logits=True, apply_class_balancing=True, alpha=0.4,
              gamma=1.5, label_smoothing=0.1))
    write("bfocal_linear", dense(rng, "bfocal_linear", 3), x,
          rng.integers(0, 2, (12, 3)),
          keras.losses.BinaryFocalCrossentropy(gamma=3, alpha=0.9))
    write("cfocal", dense(rng, "cfocal", 4, "softmax"), x, labels,
          keras.losses.CategoricalFocalCrossentropy(),
          ["categorical_crossentropy"])
    write("cfocal_logits", dense(rng, "cfocal_logits", 4), x, labels,
          keras.losses.CategoricalFocalCrossentropy(
              from_logits=True, alpha=0.5, gamma=2.5, label_smoothing=0.1))


if __name__ == "__main__":
    main()
