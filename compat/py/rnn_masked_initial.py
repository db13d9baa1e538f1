"""Recurrent layers called with initial_state where a Keras mask reaches them, in tf_keras.

usage: rnn_masked_initial.py make OUTDIR
       rnn_masked_initial.py serve CASES.json

make builds the cases in tf_keras (fresh random weights, seeded) and writes, per case,
OUTDIR/<case>/model.h5, the padded inputs x<i>.npy (token rows with leading, inner and
trailing padding, and one row of padding only; float sequences with zero steps for Masking)
and tf_keras's predictions y<i>.npy; it prints the list of cases ({"id", "inputs": [{"name",
"file"}], "outputs": [{"name", "file"}]}, outputs named as tf_keras's output_names).

serve reads CASES.json (the make list, each case with "dir": Go's SavedModel of model.h5),
calls tf.saved_model.load(dir).signatures["serving_default"] on the inputs and prints per
case the signature's output keys and, per expected output, the largest absolute difference
from tf_keras's prediction (-1 when the signature has no such output or its shape differs).

The cases:

- lstm_initial: Embedding(7, 3, mask_zero) -> LSTM(4, return_sequences, return_state) given
  initial_state [tanh Dense, Dense] of a second input -> LSTM(3) (last output) given
  Dense states; outputs: the sequence, both states, the last output.
- gru_initial: Masking(0.0) over (5, 3) -> GRU(4, return_sequences, return_state,
  go_backwards) given a Dense state -> GRU(3, reset_after=False), SimpleRNN(2) and
  RNN(LSTMCell(2), return_sequences) given Dense states; outputs: the sequence, the state, the
  last outputs, the RNN's sequence.
- lstm_shared: Embedding(mask_zero) -> one LSTM(3, return_sequences, return_state) called
  from zero states and again from its own final states: called with and without
  initial_state under the mask.
- bigru_initial: Embedding(mask_zero) -> Bidirectional(GRU(3, return_sequences,
  return_state)) given [forward h, backward h] -> Bidirectional(LSTM(2), sum) given
  [backward h, forward h, forward h, backward h]; outputs: the merged sequence, the
  forward state, the last merged output.
"""
import json
import os
import sys

import numpy as np
import tf_keras

from _cases import VOCAB, padded, predict, save_io, seed, serve, set_biases, tokens, vec

L = tf_keras.layers


def ftokens(rng, steps):
    return tokens(rng, steps, np.float32)


def lstm_initial():
    t = tf_keras.Input((6,), name="tokens")
    v = tf_keras.Input((2,), name="vec")
    e = L.Embedding(VOCAB, 3, mask_zero=True, name="emb")(t)
    h0 = L.Dense(4, activation="tanh", name="init_h")(v)
    c0 = L.Dense(4, name="init_c")(v)
    seq, h, c = L.LSTM(4, return_sequences=True, return_state=True, name="lstm")(e, initial_state=[h0, c0])
    h1 = L.Dense(3, activation="tanh", name="init_h1")(v)
    c1 = L.Dense(3, name="init_c1")(v)
    last = L.LSTM(3, name="lstm_last")(seq, initial_state=[h1, c1])
    return tf_keras.Model([t, v], [seq, h, c, last]), lambda rng: [ftokens(rng, 6), vec(rng)]


def gru_initial():
    x = tf_keras.Input((5, 3), name="seq")
    v = tf_keras.Input((2,), name="vec")
    m = L.Masking(0.0, name="pad")(x)
    h0 = L.Dense(4, activation="tanh", name="init")(v)
    seq, h = L.GRU(4, return_sequences=True, return_state=True, go_backwards=True, name="gru")(m, initial_state=[h0])
    g = L.GRU(3, reset_after=False, name="gru_v1")(seq, initial_state=[L.Dense(3, name="init_g")(v)])
    s = L.SimpleRNN(2, name="srnn")(seq, initial_state=[L.Dense(2, name="init_s")(v)])
    r = L.RNN(L.LSTMCell(2), return_sequences=True, name="rnn_lstm")(
        seq, initial_state=[L.Dense(2, name="init_rh")(v), L.Dense(2, name="init_rc")(v)])
    return tf_keras.Model([x, v], [seq, h, g, s, r]), lambda rng: [padded(rng), vec(rng)]


def lstm_shared():
    t = tf_keras.Input((6,), name="tokens")
    e = L.Embedding(VOCAB, 3, mask_zero=True, name="emb")(t)
    lstm = L.LSTM(3, return_sequences=True, return_state=True, name="shared")
    y1, h1, c1 = lstm(e)
    y2, h2, _ = lstm(e, initial_state=[h1, c1])
    return tf_keras.Model(t, [y1, y2, h2]), lambda rng: [ftokens(rng, 6)]


def bigru_initial():
    t = tf_keras.Input((6,), name="tokens")
    v = tf_keras.Input((2,), name="vec")
    e = L.Embedding(VOCAB, 3, mask_zero=True, name="emb")(t)
    hf = L.Dense(3, activation="tanh", name="init_f")(v)
    hb = L.Dense(3, activation="tanh", name="init_b")(v)
    y, sf, sb = L.Bidirectional(L.GRU(3, return_sequences=True, return_state=True), name="bigru")(
        e, initial_state=[hf, hb])
    z = L.Bidirectional(L.LSTM(3), merge_mode="sum", name="bilstm")(y, initial_state=[sb, sf, sf, sb])
    return tf_keras.Model([t, v], [y, sf, z]), lambda rng: [ftokens(rng, 6), vec(rng)]


CASES = {"lstm_initial": lstm_initial, "gru_initial": gru_initial, "lstm_shared": lstm_shared,
         "bigru_initial": bigru_initial}


def make(out):
    res = []
    for i, (name, build) in enumerate(CASES.items()):
        rng = seed(tf_keras, 9100 + i)
        m, inputs = build()
        set_biases(m, rng)
        d = os.path.join(out, name)
        os.makedirs(d, exist_ok=True)
        m.save(os.path.join(d, "model.h5"))
        xs = inputs(rng)
        c = {"id": name, "h5": os.path.join(d, "model.h5")}
        save_io(c, d, m.input_names, xs, m.output_names, predict(m, xs))
        res.append(c)
    print(json.dumps(res))


if __name__ == "__main__":
    {"make": make, "serve": serve}[sys.argv[1]](sys.argv[2])
