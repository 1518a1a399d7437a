"""Writes test/e2e/Inputs/keras3-attention/: Keras 3's EinsumDense,
MultiHeadAttention, Attention and AdditiveAttention, with what Keras itself predicts, evaluates and trains.

  einsum      (5, 6) -> EinsumDense("abc,cde->abde", (None, 3, 2), bias "e",
              relu) -> EinsumDense("ab...,bc->ac...", (4,), bias "c")
              (trailing dimensions elided) -> EinsumDense("...b,bc->...c",
              (3,)) (leading ones elided, no bias) -> Flatten -> Dense(3)
  self        (6, 8) -> MultiHeadAttention(2 heads, key_dim 4)(x, x) + x ->
              LayerNormalization -> GlobalAveragePooling1D -> Dense(3): the
              Transformer encoder block of Keras's text classification
              example
  cross       query (4, 6), value (7, 5), key (7, 3) passed by keyword ->
              MultiHeadAttention(3 heads, key_dim 2, value_dim 3,
              output_shape 5, no biases) -> Flatten -> Dense(3)
  causal      (6, 4) -> MultiHeadAttention(2 heads, key_dim 3, use_gate,
              sliding_window 3)(x, x, use_causal_mask=True,
              return_attention_scores=True): the output and the scores each
              flattened through a Dense(3), added
  axes2d      (3, 4, 6) -> MultiHeadAttention(2 heads, key_dim 3,
              attention_axes (1, 2)): attention over both position axes ->
              Flatten -> Dense(3)
  luong       query (5, 4), value (6, 3), key (6, 4) -> Attention(use_scale)
              with use_causal_mask -> Flatten -> Dense(3)
  concat      (6, 4) -> Attention(score_mode "concat", use_scale) with
              return_attention_scores: output and scores each flattened
              through a Dense(3), added
  additive    query (5, 4), value (6, 4) -> AdditiveAttention, and
              AdditiveAttention(use_scale=False) causal self-attention of
              the query, concatenated -> GlobalAveragePooling1D -> Dense(3)
  attnmask    x (6, 8) and a bool attention_mask (6, 6) ->
              MultiHeadAttention(2 heads, key_dim 4)(x, x, attention_mask)
              + x -> GlobalAveragePooling1D -> Dense(3); one query step of
              one sample attends to nothing
  attnpad     int32 ids (7,) -> Embedding(11, 6, mask_zero) and a float
              attention_mask (1, 7) -> MultiHeadAttention(2 heads, key_dim
              3) with the causal mask, returning the scores: the output
              pooled and the scores flattened, each through a Dense(3),
              added

Weights are randomized (uniform +-0.5). NAME.keras, NAME.x.npy (or
NAME.x0/1/2.npy for several inputs), NAME.y.npy, NAME.pred.npy (Keras's
predict), NAME.evaluate.json (evaluate, batch 5) and NAME.history.json
(fit, 3 epochs, batch 5, no shuffling; Adam 0.01, mean squared error;
attnpad SGD 0.1 with momentum 0.9).

Run with real Keras 3 on TensorFlow (not needed by the tests):
    /opt/kiln-venv/bin/python test/e2e/Inputs/generate_keras_attention_fixtures.py
"""
import json
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import layers  # noqa: E402

from keras_fixtures import randomize  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                   "keras3-attention")


def write(name, model, xs, y, rng, optimizer=None):
    randomize(model, rng, 0.5)
    model.compile(optimizer=optimizer or keras.optimizers.Adam(0.01),
                  loss="mse")
    model.save(os.path.join(OUT, name + ".keras"))
    xs = [x if x.dtype in (np.bool_, np.int32) else x.astype(np.float32)
          for x in xs]
    if len(xs) == 1:
        np.save(os.path.join(OUT, name + ".x.npy"), xs[0])
    else:
        for i, x in enumerate(xs):
            np.save(os.path.join(OUT, f"{name}.x{i}.npy"), x)
    np.save(os.path.join(OUT, name + ".y.npy"), y.astype(np.float32))
    inputs = xs if len(xs) > 1 else xs[0]
    np.save(os.path.join(OUT, name + ".pred.npy"),
            np.asarray(model.predict(inputs, verbose=0), np.float32))
    evaluated = model.evaluate(inputs, y, batch_size=5, verbose=0,
                               return_dict=True)
    with open(os.path.join(OUT, name + ".evaluate.json"), "w") as f:
        json.dump({k: float(v) for k, v in evaluated.items()}, f)
    history = model.fit(inputs, y, batch_size=5, epochs=3, shuffle=False,
                        verbose=0)
    with open(os.path.join(OUT, name + ".history.json"), "w") as f:
        json.dump({k: [float(v) for v in vs]
                   for k, vs in history.history.items()}, f)
    print(name, evaluated, history.history["loss"])


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(17)
    y = rng.normal(size=(12, 3)).astype(np.float32)

    write("einsum", keras.Sequential([
        keras.Input((5, 6), name="x"),
        layers.EinsumDense("abc,cde->abde", output_shape=(None, 3, 2),
                           bias_axes="e", activation="relu"),
        layers.Reshape((5, 6)),
        layers.EinsumDense("ab...,bc->ac...", output_shape=(4,),
                           bias_axes="c"),
        layers.EinsumDense("...b,bc->...c", output_shape=(3,)),
        layers.Flatten(), layers.Dense(3)], name="einsum"),
        [rng.normal(size=(12, 5, 6))], y, rng)

    x = keras.Input((6, 8), name="x")
    a = layers.MultiHeadAttention(num_heads=2, key_dim=4)(x, x)
    h = layers.LayerNormalization(epsilon=1e-6)(layers.Add()([a, x]))
    h = layers.GlobalAveragePooling1D()(h)
    write("self", keras.Model(x, layers.Dense(3)(h), name="self"),
          [rng.normal(size=(12, 6, 8))], y, rng)

    q = keras.Input((4, 6), name="q")
    v = keras.Input((7, 5), name="v")
    k = keras.Input((7, 3), name="k")
    a = layers.MultiHeadAttention(num_heads=3, key_dim=2, value_dim=3,
                                  output_shape=5, use_bias=False)(
        query=q, value=v, key=k)
    write("cross", keras.Model([q, v, k], layers.Dense(3)(layers.Flatten()(a)),
                               name="cross"),
          [rng.normal(size=(12, 4, 6)), rng.normal(size=(12, 7, 5)),
           rng.normal(size=(12, 7, 3))], y, rng)

    x = keras.Input((6, 4), name="x")
    out, scores = layers.MultiHeadAttention(
        num_heads=2, key_dim=3, use_gate=True, sliding_window=3)(
        x, x, use_causal_mask=True, return_attention_scores=True)
    y1 = layers.Dense(3)(layers.Flatten()(out))
    y2 = layers.Dense(3)(layers.Flatten()(scores))
    write("causal", keras.Model(x, layers.Add()([y1, y2]), name="causal"),
          [rng.normal(size=(12, 6, 4))], y, rng)

    x = keras.Input((3, 4, 6), name="x")
    a = layers.MultiHeadAttention(num_heads=2, key_dim=3,
                                  attention_axes=(1, 2))(x, x)
    write("axes2d", keras.Model(x, layers.Dense(3)(layers.Flatten()(a)),
                                name="axes2d"),
          [rng.normal(size=(12, 3, 4, 6))], y, rng)

    q = keras.Input((5, 4), name="q")
    v = keras.Input((6, 3), name="v")
    k = keras.Input((6, 4), name="k")
    a = layers.Attention(use_scale=True)([q, v, k], use_causal_mask=True)
    write("luong", keras.Model([q, v, k], layers.Dense(3)(layers.Flatten()(a)),
                               name="luong"),
          [rng.normal(size=(12, 5, 4)), rng.normal(size=(12, 6, 3)),
           rng.normal(size=(12, 6, 4))], y, rng)

    x = keras.Input((6, 4), name="x")
    out, scores = layers.Attention(score_mode="concat", use_scale=True)(
        [x, x], return_attention_scores=True)
    y1 = layers.Dense(3)(layers.Flatten()(out))
    y2 = layers.Dense(3)(layers.Flatten()(scores))
    write("concat", keras.Model(x, layers.Add()([y1, y2]), name="concat"),
          [rng.normal(size=(12, 6, 4))], y, rng)

    q = keras.Input((5, 4), name="q")
    v = keras.Input((6, 4), name="v")
    a = layers.AdditiveAttention()([q, v])
    b = layers.AdditiveAttention(use_scale=False)([q, q],
                                                  use_causal_mask=True)
    h = layers.GlobalAveragePooling1D()(layers.Concatenate()([a, b]))
    write("additive", keras.Model([q, v], layers.Dense(3)(h),
                                  name="additive"),
          [rng.normal(size=(12, 5, 4)), rng.normal(size=(12, 6, 4))], y, rng)

    # A boolean attention_mask input of (T, S): random pairs, each query
    # step keeping at least one key step but in sample 3, whose first query
    # step attends to nothing (the backend's dot_product_attention then
    # averages all the values).
    x = keras.Input((6, 8), name="x")
    m = keras.Input((6, 6), dtype="bool", name="m")
    a = layers.MultiHeadAttention(num_heads=2, key_dim=4)(
        x, x, attention_mask=m)
    h = layers.GlobalAveragePooling1D()(layers.Add()([a, x]))
    pairs = rng.random((12, 6, 6)) < 0.6
    pairs[:, np.arange(6), np.arange(6)] |= ~pairs.any(axis=2)
    pairs[3, 0, :] = False
    write("attnmask", keras.Model([x, m], layers.Dense(3)(h),
                                  name="attnmask"),
          [rng.normal(size=(12, 6, 8)), pairs], y, rng)

    # Token ids through Embedding(mask_zero) (the query's and value's
    # masks), a float padding mask of (1, S) as attention_mask, the causal
    # mask and the returned scores (Keras's Softmax path, which zeroes the
    # masked probabilities): all four combined. Trained with SGD: Keras's
    # Adam on TensorFlow squares an Embedding's gradient per occurrence of
    # an id (README, Embedding).
    ids = keras.Input((7,), dtype="int32", name="ids")
    keep = keras.Input((1, 7), name="keep")
    e = layers.Embedding(11, 6, mask_zero=True)(ids)
    out, scores = layers.MultiHeadAttention(num_heads=2, key_dim=3)(
        e, e, attention_mask=keep, use_causal_mask=True,
        return_attention_scores=True)
    y1 = layers.Dense(3)(layers.GlobalAveragePooling1D()(out))
    y2 = layers.Dense(3)(layers.Flatten()(scores))
    tokens = rng.integers(1, 11, (12, 7)).astype(np.int32)
    tokens[:, 5:] *= (rng.random((12, 2)) < 0.5).astype(np.int32)
    keep_data = (rng.random((12, 1, 7)) < 0.8).astype(np.float32)
    keep_data[:, 0, 0] = 1.0
    write("attnpad", keras.Model([ids, keep], layers.Add()([y1, y2]),
                                 name="attnpad"),
          [tokens, keep_data], y, rng,
          keras.optimizers.SGD(0.1, momentum=0.9))


if __name__ == "__main__":
    main()
