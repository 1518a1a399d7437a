"""Shared pieces of the Keras 3 fixture generators (generate_keras_*.py):
what they save for a predicted model and for a model trained by model.fit.
Needs real Keras 3 (see the generators); the tests never import it."""
import json
import os

import numpy as np


def randomize(model, rng, limit):
    """Non-trivial weights everywhere (biases too), uniform in +-limit."""
    for w in model.weights:
        w.assign(rng.uniform(-limit, limit, w.shape).astype(np.float32))


def save_predicted(out, name, model, x):
    """NAME.keras, NAME.x.npy and Keras's model.predict as NAME.y.npy."""
    model.save(os.path.join(out, name + ".keras"))
    np.save(os.path.join(out, name + ".x.npy"), x.astype(np.float32))
    y = model.predict(x, verbose=0)
    np.save(os.path.join(out, name + ".y.npy"), np.asarray(y, np.float32))


def save_trained(out, model, xs, y, keras_name, path, x_names=("x",),
                 predict_before=False):
    """Compiles `model` (Adam 0.01, sparse categorical cross-entropy), saves
    it untrained as `keras_name` with its inputs (`path(x_names[i])`) and
    labels (`path("y")`), optionally its predictions (`path("pred")`), then
    fits 3 epochs of batch 4 without shuffling and saves Keras's per-epoch
    losses (`path("losses")`, JSON) and predictions after
    (`path("pred_after")`). `path` maps a name to a file name without
    extension."""
    import keras

    model.compile(optimizer=keras.optimizers.Adam(0.01),
                  loss="sparse_categorical_crossentropy")
    xs = [x.astype(np.float32) for x in xs]
    model.save(os.path.join(out, keras_name))
    for name, x in zip(x_names, xs):
        np.save(os.path.join(out, path(name) + ".npy"), x)
    np.save(os.path.join(out, path("y") + ".npy"), y.astype(np.float32))
    inputs = xs if len(xs) > 1 else xs[0]
    if predict_before:
        np.save(os.path.join(out, path("pred") + ".npy"),
                model.predict(inputs, verbose=0).astype(np.float32))
    history = model.fit(inputs, y, batch_size=4, epochs=3, shuffle=False,
                        verbose=0)
    with open(os.path.join(out, path("losses") + ".json"), "w") as f:
        json.dump(history.history["loss"], f)
    np.save(os.path.join(out, path("pred_after") + ".npy"),
            model.predict(inputs, verbose=0).astype(np.float32))


def save_evaluate_and_fit(out, name, model, x, y, epochs):
    """Keras's evaluate (batch 5, return_dict) of the compiled `model` as
    NAME.evaluate.json, then its history.history after fit (`epochs`, batch
    5, no shuffling) as NAME.history.json. Returns the evaluate dict."""
    evaluated = model.evaluate(x, y, batch_size=5, verbose=0,
                               return_dict=True)
    with open(os.path.join(out, name + ".evaluate.json"), "w") as f:
        json.dump({k: float(v) for k, v in evaluated.items()}, f)
    history = model.fit(x, y, batch_size=5, epochs=epochs, shuffle=False,
                        verbose=0)
    with open(os.path.join(out, name + ".history.json"), "w") as f:
        json.dump({k: [float(v) for v in vs]
                   for k, vs in history.history.items()}, f)
    return evaluated


def save_model_and_data(out, name, model, x, y):
    """NAME.keras (the compiled, untrained model), NAME.x.npy and
    NAME.y.npy (float32)."""
    model.save(os.path.join(out, name + ".keras"))
    np.save(os.path.join(out, name + ".x.npy"), x.astype(np.float32))
    np.save(os.path.join(out, name + ".y.npy"), y.astype(np.float32))
