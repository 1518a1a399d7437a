"""Writes test/e2e/Inputs/keras3-recurrent/: Keras 3 reference models of the
recurrent layers, with outputs computed by Keras itself.

Run with real Keras 3 on TensorFlow (not needed by the tests, which read the
committed files):
    python3 -m venv /tmp/kvenv && /tmp/kvenv/bin/pip install keras tensorflow-cpu
    /tmp/kvenv/bin/python test/e2e/Inputs/generate_keras_recurrent_fixtures.py

For each model NAME it writes NAME.keras, NAME.x.npy and NAME.y.npy
(model.predict in float32). `train.*` (SimpleRNN) and `train_lstm.*` (LSTM
into GRU) are classifiers trained by model.fit for 3 epochs of Adam (batch
4, no shuffling): *.losses.json holds Keras's per-epoch losses,
*.pred_after.npy its predictions after.
"""
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import layers  # noqa: E402

import keras_fixtures  # noqa: E402
from keras_fixtures import save_predicted, save_trained  # noqa: E402,F401

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                   "keras3-recurrent")


def save(name, model, x):
    save_predicted(OUT, name, model, x)


def randomize(model, rng):
    keras_fixtures.randomize(model, rng, 0.6)


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(11)
    keras.utils.set_random_seed(11)

    # return_sequences into go_backwards, relu and tanh.
    sequences = keras.Sequential([
        keras.Input((7, 3)),
        layers.SimpleRNN(6, activation="relu", return_sequences=True),
        layers.SimpleRNN(4, go_backwards=True),
        layers.Dense(3),
    ], name="rnn_sequences")
    randomize(sequences, rng)
    save("rnn_sequences", sequences, rng.normal(size=(5, 7, 3)))

    # RNN over a list of cells (StackedRNNCells) returning sequences
    # backwards, then a SimpleRNN without bias.
    stacked = keras.Sequential([
        keras.Input((6, 4)),
        layers.RNN([layers.SimpleRNNCell(5), layers.SimpleRNNCell(3)],
                   return_sequences=True, go_backwards=True),
        layers.SimpleRNN(2, activation="sigmoid", use_bias=False),
    ], name="rnn_stacked")
    randomize(stacked, rng)
    save("rnn_stacked", stacked, rng.normal(size=(4, 6, 4)))

    # return_state: the final state of RNN(SimpleRNNCell) feeds the Dense.
    inputs = keras.Input((5, 2))
    _, state = layers.RNN(layers.SimpleRNNCell(4), return_state=True)(inputs)
    state_model = keras.Model(inputs, layers.Dense(2)(state),
                              name="rnn_state")
    randomize(state_model, rng)
    save("rnn_state", state_model, rng.normal(size=(3, 5, 2)))

    # LSTM (gates i, f, c, o; unit_forget_bias) returning sequences into a
    # GRU with reset_after (Keras's default: two bias rows), backwards.
    lstm_gru = keras.Sequential([
        keras.Input((6, 3)),
        layers.LSTM(5, return_sequences=True),
        layers.GRU(4, go_backwards=True),
        layers.Dense(2),
    ], name="lstm_gru")
    randomize(lstm_gru, rng)
    save("lstm_gru", lstm_gru, rng.normal(size=(4, 6, 3)))

    # GRU without reset_after (one bias row, the reset gate before the
    # recurrent product); an LSTM without bias, relu activation; RNN over
    # [LSTMCell, GRUCell].
    mixed = keras.Sequential([
        keras.Input((5, 4)),
        layers.GRU(6, reset_after=False, return_sequences=True),
        layers.LSTM(3, use_bias=False, activation="relu",
                    return_sequences=True),
        layers.RNN([layers.LSTMCell(4), layers.GRUCell(3)]),
    ], name="mixed_cells")
    randomize(mixed, rng)
    save("mixed_cells", mixed, rng.normal(size=(3, 5, 4)))

    # Bidirectional: concat of LSTM sequences (the backward one flipped back),
    # sum of GRU states, ave and mul of SimpleRNNs.
    bidir = keras.Sequential([
        keras.Input((5, 3)),
        layers.Bidirectional(layers.LSTM(4, return_sequences=True)),
        layers.Bidirectional(layers.SimpleRNN(3, return_sequences=True),
                             merge_mode="ave"),
        layers.Bidirectional(layers.SimpleRNN(3, return_sequences=True),
                             merge_mode="mul"),
        layers.Bidirectional(layers.GRU(3), merge_mode="sum"),
        layers.Dense(2),
    ], name="bidirectional")
    randomize(bidir, rng)
    save("bidirectional", bidir, rng.normal(size=(4, 5, 3)))

    # Training LSTM and GRU through time.
    train_lstm = keras.Sequential([
        keras.Input((6, 4)),
        layers.LSTM(6, return_sequences=True),
        layers.GRU(5),
        layers.Dense(3, activation="softmax"),
    ], name="train_lstm_gru")
    xl = rng.normal(size=(12, 6, 4))
    yl = rng.integers(0, 3, size=(12,))
    save_trained(OUT, train_lstm, [xl], yl, "train_lstm.keras",
                 lambda n: "train_lstm." + n)

    # Training: BPTT through 6 steps, Adam, sparse categorical cross-entropy.
    train = keras.Sequential([
        keras.Input((6, 4)),
        layers.SimpleRNN(8, return_sequences=True),
        layers.SimpleRNN(5),
        layers.Dense(3, activation="softmax"),
    ], name="train_rnn")
    x = rng.normal(size=(12, 6, 4))
    y = rng.integers(0, 3, size=(12,))
    save_trained(OUT, train, [x], y, "train.keras", lambda n: "train." + n)

    # dropout and recurrent_dropout (Keras 3 configs as saved, with seed):
    # no masks in inference. Training is checked against a NumPy trainer
    # drawing kiln's masks (rnn_dropout_reference.py).
    dropout = keras.Sequential([
        keras.Input((5, 3)),
        layers.SimpleRNN(4, dropout=0.2, recurrent_dropout=0.3,
                         return_sequences=True),
        layers.LSTM(3, dropout=0.1, recurrent_dropout=0.2,
                    return_sequences=True),
        layers.GRU(3, dropout=0.3, seed=4),
    ], name="rnn_dropout")
    randomize(dropout, rng)
    save("rnn_dropout", dropout, rng.normal(size=(4, 5, 3)))

if __name__ == "__main__":
    main()
