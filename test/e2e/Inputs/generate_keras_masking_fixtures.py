"""Writes test/e2e/Inputs/keras3-masking/: Keras 3 models with masks (an
Embedding's mask_zero, a Masking layer) that recurrent layers and
GlobalAveragePooling1D read, with Keras's own outputs, then trained.

  text     int32 ids (None, 9), padded with 0 at the end (and a 0 inside
           one sequence, one sequence all padding) -> Embedding(30, 6,
           mask_zero) -> Bidirectional(LSTM(5)) -> Dense(4, relu) -> Dense(1):
           the model of TensorFlow's "text classification with an RNN"
           tutorial; binary cross-entropy on logits, SGD with momentum
  stacked  the same ids -> Embedding(30, 5, mask_zero) ->
           Bidirectional(GRU(4, return_sequences)) (masked steps output
           zeros, as Keras's Bidirectional has them) ->
           Bidirectional(SimpleRNN(3), merge_mode "sum") -> Dense(2, softmax)
  masking  float (None, 7, 3) with padding rows of -1 -> Masking(-1) ->
           SimpleRNN(4, return_sequences, go_backwards) ->
           LSTM(5, return_sequences, zero_output_for_mask) -> Dense(4)
           (the mask passes through) -> GlobalAveragePooling1D (over the
           steps the mask keeps) -> Dense(2, softmax); Adam
  merge    ids (None, 8) -> Embedding(20, 4, mask_zero), into GRU(4,
           return_sequences) and Dense(4), Add (the masks' logical or) ->
           RNN([LSTMCell(3), GRUCell(2)]) -> Dense(2, softmax); SGD with
           momentum
  functional  the functional API's Masking(-1) -> GRU(4, return_sequences)
           -> Dense(3) -> GlobalAveragePooling1D -> Dense(2, softmax): Keras
           3 records the mask as NotEqual and Any nodes, passed as the
           call's `mask` to GRU and the pooling
  encoder  ids (None, 7) -> Embedding(20, 8, mask_zero) ->
           MultiHeadAttention(2 heads, key_dim 4) self-attention + its input
           -> LayerNormalization -> GlobalAveragePooling1D -> Dense(2,
           softmax): a Transformer encoder block under a padding mask
  cross    query ids (None, 5), value ids (None, 6) (one all padding), each
           through its Embedding(mask_zero) -> MultiHeadAttention(2 heads,
           key_dim 3) with the key given and the causal mask ->
           GlobalAveragePooling1D -> Dense(2, softmax)
  dot      the same ids -> Embedding(20, 4, mask_zero) each ->
           Attention(use_scale) + AdditiveAttention of query and value ->
           GlobalAveragePooling1D -> Dense(2, softmax)
  scores   ids (None, 5) each (Keras 3.15 mis-shapes the scores of a value
           longer than the query) -> MultiHeadAttention(2 heads, key_dim 3) returning
           its scores (Keras's Softmax path: a query step whose value is
           all padding gets zero scores, not uniform ones), the output
           pooled and the scores flattened, each through a Dense(2), added
  concat   ids (None, 8) -> Embedding(20, 4, mask_zero): an LSTM's sequence
           and the embeddings concatenated along the features (the masks'
           logical or) into a GRU and into AdditiveAttention -> pooling,
           and the embeddings and a Dense of them along the time axis (the
           masks concatenated, 16 steps) into a GRU; added -> Dense(2,
           softmax). Keras 3 records Concatenate's mask as ExpandDims,
           ZerosLike, LogicalOr, Concatenate and Any nodes
  timedistributed  ids (None, 8) -> Embedding(20, 4, mask_zero) ->
           TimeDistributed(Dense(5, relu)) (the mask passes through) ->
           LSTM(4) over the kept steps -> Dense(2, softmax); SGD with
           momentum (Keras 3's Adam on TensorFlow squares an Embedding's
           gradient per occurrence of a repeated id: README.md)

Weights are randomized (uniform +-0.5). NAME.keras (untrained), NAME.x.npy
(ids keep their integer dtype), NAME.y.npy, NAME.pred.npy, NAME.losses.json
(3 epochs, batch 4, no shuffling) and NAME.pred_after.npy.

Run with real Keras 3 on TensorFlow (not needed by the tests):
    /opt/kiln-venv/bin/python test/e2e/Inputs/generate_keras_masking_fixtures.py
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
                   "keras3-masking")


def write(name, model, x, y, optimizer, loss, rng):
    randomize(model, rng, 0.5)
    path = lambda n: os.path.join(OUT, name + "." + n)  # noqa: E731
    model.compile(optimizer=optimizer, loss=loss)
    model.save(path("keras"))
    if isinstance(x, list):
        for i, xi in enumerate(x):
            np.save(path(f"x{i}.npy"), xi)
    else:
        np.save(path("x.npy"), x)
    np.save(path("y.npy"), y.astype(np.float32))
    np.save(path("pred.npy"), model.predict(x, verbose=0).astype(np.float32))
    history = model.fit(x, y, batch_size=4, epochs=3, shuffle=False,
                        verbose=0)
    with open(path("losses.json"), "w") as f:
        json.dump(history.history["loss"], f)
    np.save(path("pred_after.npy"),
            model.predict(x, verbose=0).astype(np.float32))
    print(name, history.history["loss"])


def padded_ids(rng, n, steps, vocab, empty=True):
    """Sequences of 1..steps ids in [1, vocab), padded with 0 at the end;
    one with a 0 inside and (with `empty`) one all padding."""
    x = np.zeros((n, steps), np.int32)
    for i in range(n):
        length = rng.integers(1, steps + 1)
        x[i, :length] = rng.integers(1, vocab, size=length)
    x[1, 1] = 0
    if empty:
        x[2, :] = 0
    return x


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(23)
    keras.utils.set_random_seed(23)

    x = padded_ids(rng, 12, 9, 30)
    y = rng.integers(0, 2, size=(12, 1)).astype(np.float32)
    write("text", keras.Sequential([
        keras.Input((9,), dtype="int32"),
        layers.Embedding(30, 6, mask_zero=True),
        layers.Bidirectional(layers.LSTM(5)),
        layers.Dense(4, activation="relu"),
        layers.Dense(1)], name="text"), x, y,
        keras.optimizers.SGD(0.1, momentum=0.9),
        keras.losses.BinaryCrossentropy(from_logits=True), rng)

    labels = rng.integers(0, 2, size=(12,))
    write("stacked", keras.Sequential([
        keras.Input((9,), dtype="int32"),
        layers.Embedding(30, 5, mask_zero=True),
        layers.Bidirectional(layers.GRU(4, return_sequences=True)),
        layers.Bidirectional(layers.SimpleRNN(3), merge_mode="sum"),
        layers.Dense(2, activation="softmax")], name="stacked"), x, labels,
        keras.optimizers.SGD(0.1, momentum=0.9),
        "sparse_categorical_crossentropy", rng)

    xf = rng.normal(size=(12, 7, 3)).astype(np.float32)
    for i in range(12):
        xf[i, rng.integers(3, 8):] = -1.0
    xf[4, 2] = -1.0  # a padding row inside
    xf[5, 1, 0] = -1.0  # one feature at the mask value is not padding
    write("masking", keras.Sequential([
        keras.Input((7, 3)),
        layers.Masking(-1.0),
        layers.SimpleRNN(4, return_sequences=True, go_backwards=True),
        layers.LSTM(5, return_sequences=True, zero_output_for_mask=True),
        layers.Dense(4),
        layers.GlobalAveragePooling1D(),
        layers.Dense(2, activation="softmax")], name="masking"), xf,
        rng.integers(0, 2, size=(12,)), keras.optimizers.Adam(0.01),
        "sparse_categorical_crossentropy", rng)

    ids = keras.Input((8,), dtype="int32", name="ids")
    e = layers.Embedding(20, 4, mask_zero=True)(ids)
    h = layers.Add()([layers.GRU(4, return_sequences=True)(e),
                      layers.Dense(4)(e)])
    h = layers.RNN([layers.LSTMCell(3), layers.GRUCell(2)])(h)
    write("merge", keras.Model(ids, layers.Dense(2, activation="softmax")(h),
                               name="merge"),
          padded_ids(rng, 12, 8, 20), rng.integers(0, 2, size=(12,)),
          keras.optimizers.SGD(0.1, momentum=0.9),
          "sparse_categorical_crossentropy", rng)

    x = keras.Input((6, 3), name="x")
    h = layers.Masking(-1.0)(x)
    h = layers.GRU(4, return_sequences=True)(h)
    h = layers.Dense(3)(h)
    write("functional", keras.Model(
        x, layers.Dense(2, activation="softmax")(
            layers.GlobalAveragePooling1D()(h)), name="functional"),
        xf[:, :6], rng.integers(0, 2, size=(12,)),
        keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy", rng)

    # Attention under masks (no sequence all padding: its average over no
    # steps would be 0 / 0).
    ids = keras.Input((7,), dtype="int32", name="ids")
    e = layers.Embedding(20, 8, mask_zero=True)(ids)
    h = layers.Add()([layers.MultiHeadAttention(2, 4)(e, e), e])
    h = layers.LayerNormalization()(h)
    write("encoder", keras.Model(
        ids, layers.Dense(2, activation="softmax")(
            layers.GlobalAveragePooling1D()(h)), name="encoder"),
        padded_ids(rng, 12, 7, 20, empty=False),
        rng.integers(0, 2, size=(12,)),
        keras.optimizers.SGD(0.1, momentum=0.9),
        "sparse_categorical_crossentropy", rng)

    q = keras.Input((5,), dtype="int32", name="q")
    v = keras.Input((6,), dtype="int32", name="v")
    qe = layers.Embedding(20, 4, mask_zero=True)(q)
    ve = layers.Embedding(20, 3, mask_zero=True)(v)
    a = layers.MultiHeadAttention(2, 3)(qe, ve, ve, use_causal_mask=True)
    write("cross", keras.Model(
        [q, v], layers.Dense(2, activation="softmax")(
            layers.GlobalAveragePooling1D()(a)), name="cross"),
        [padded_ids(rng, 12, 5, 20, empty=False),
         padded_ids(rng, 12, 6, 20)],
        rng.integers(0, 2, size=(12,)),
        keras.optimizers.SGD(0.1, momentum=0.9),
        "sparse_categorical_crossentropy", rng)

    q = keras.Input((5,), dtype="int32", name="q")
    v = keras.Input((6,), dtype="int32", name="v")
    qe = layers.Embedding(20, 4, mask_zero=True)(q)
    ve = layers.Embedding(20, 4, mask_zero=True)(v)
    h = layers.Add()([layers.Attention(use_scale=True)([qe, ve]),
                      layers.AdditiveAttention()([qe, ve])])
    write("dot", keras.Model(
        [q, v], layers.Dense(2, activation="softmax")(
            layers.GlobalAveragePooling1D()(h)), name="dot"),
        [padded_ids(rng, 12, 5, 20, empty=False),
         padded_ids(rng, 12, 6, 20)],
        rng.integers(0, 2, size=(12,)),
        keras.optimizers.SGD(0.1, momentum=0.9),
        "sparse_categorical_crossentropy", rng)

    q = keras.Input((5,), dtype="int32", name="q")
    v = keras.Input((5,), dtype="int32", name="v")
    qe = layers.Embedding(20, 4, mask_zero=True)(q)
    ve = layers.Embedding(20, 3, mask_zero=True)(v)
    out, scores = layers.MultiHeadAttention(2, 3)(
        qe, ve, return_attention_scores=True)
    y1 = layers.Dense(2)(layers.GlobalAveragePooling1D()(out))
    y2 = layers.Dense(2)(layers.Flatten()(scores))
    write("scores", keras.Model(
        [q, v], layers.Activation("softmax")(layers.Add()([y1, y2])),
        name="scores"),
        [padded_ids(rng, 12, 5, 20, empty=False),
         padded_ids(rng, 12, 5, 20)],
        rng.integers(0, 2, size=(12,)),
        keras.optimizers.SGD(0.1, momentum=0.9),
        "sparse_categorical_crossentropy", rng)

    ids = keras.Input((8,), dtype="int32", name="ids")
    e = layers.Embedding(20, 4, mask_zero=True)(ids)
    c = layers.Concatenate()([layers.LSTM(3, return_sequences=True)(e), e])
    t = layers.Concatenate(axis=1)([e, layers.Dense(4)(e)])
    h1 = layers.GRU(3)(c)
    h2 = layers.Dense(3)(layers.GlobalAveragePooling1D()(
        layers.AdditiveAttention(use_scale=False)([c, c])))
    h3 = layers.GRU(3)(t)
    write("concat", keras.Model(
        ids, layers.Dense(2, activation="softmax")(
            layers.Add()([h1, h2, h3])), name="concat"),
        padded_ids(rng, 12, 8, 20, empty=False),
        rng.integers(0, 2, size=(12,)),
        keras.optimizers.SGD(0.1, momentum=0.9),
        "sparse_categorical_crossentropy", rng)

    write("timedistributed", keras.Sequential([
        keras.Input((8,), dtype="int32"),
        layers.Embedding(20, 4, mask_zero=True),
        layers.TimeDistributed(layers.Dense(5, activation="relu")),
        layers.LSTM(4),
        layers.Dense(2, activation="softmax")], name="timedistributed"),
        padded_ids(rng, 12, 8, 20), rng.integers(0, 2, size=(12,)),
        keras.optimizers.SGD(0.1, momentum=0.9),
        "sparse_categorical_crossentropy", rng)


if __name__ == "__main__":
    main()
