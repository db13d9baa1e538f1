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
import tensorflow as tf
import tf_keras

L = tf_keras.layers
VOCAB = 7


def tokens(rng, steps):
    x = rng.integers(1, VOCAB, size=(6, steps)).astype(np.float32)
    x[0, :2] = 0            # leading padding
    x[1, -3:] = 0           # trailing padding
    x[2, 1] = x[2, 3] = 0   # inner padding
    x[3, :] = 0             # padding only
    x[4, :-1] = 0           # one real step, last
    return x


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
    return tf_keras.Model([t, v], [seq, h, c, last]), lambda rng: [tokens(rng, 6), rng.standard_normal((6, 2)).astype(np.float32)]


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
    return tf_keras.Model([x, v], [seq, h, g, s, r]), lambda rng: [padded(rng), rng.standard_normal((6, 2)).astype(np.float32)]


def padded(rng):
    x = rng.standard_normal((6, 5, 3)).astype(np.float32)
    keep = tokens(rng, 5) != 0
    return x * keep[:, :, None]


def lstm_shared():
    t = tf_keras.Input((6,), name="tokens")
    e = L.Embedding(VOCAB, 3, mask_zero=True, name="emb")(t)
    lstm = L.LSTM(3, return_sequences=True, return_state=True, name="shared")
    y1, h1, c1 = lstm(e)
    y2, h2, _ = lstm(e, initial_state=[h1, c1])
    return tf_keras.Model(t, [y1, y2, h2]), lambda rng: [tokens(rng, 6)]


def bigru_initial():
    t = tf_keras.Input((6,), name="tokens")
    v = tf_keras.Input((2,), name="vec")
    e = L.Embedding(VOCAB, 3, mask_zero=True, name="emb")(t)
    hf = L.Dense(3, activation="tanh", name="init_f")(v)
    hb = L.Dense(3, activation="tanh", name="init_b")(v)
    y, sf, sb = L.Bidirectional(L.GRU(3, return_sequences=True, return_state=True), name="bigru")(
        e, initial_state=[hf, hb])
    z = L.Bidirectional(L.LSTM(3), merge_mode="sum", name="bilstm")(y, initial_state=[sb, sf, sf, sb])
    return tf_keras.Model([t, v], [y, sf, z]), lambda rng: [tokens(rng, 6), rng.standard_normal((6, 2)).astype(np.float32)]


CASES = {"lstm_initial": lstm_initial, "gru_initial": gru_initial, "lstm_shared": lstm_shared,
         "bigru_initial": bigru_initial}


def make(out):
    res = []
    for i, (name, build) in enumerate(CASES.items()):
        tf_keras.utils.set_random_seed(9100 + i)
        rng = np.random.default_rng(9100 + i)
        m, inputs = build()
        # Non-zero biases, so that the recurrences differ from their zero-bias shortcuts.
        for w in m.weights:
            if "bias" in w.name:
                w.assign(rng.standard_normal(w.shape).astype(np.float32) * 0.5)
        d = os.path.join(out, name)
        os.makedirs(d, exist_ok=True)
        m.save(os.path.join(d, "model.h5"))
        xs = inputs(rng)
        ys = m.predict(xs, verbose=0)
        ys = ys if isinstance(ys, list) else [ys]
        c = {"id": name, "h5": os.path.join(d, "model.h5"), "inputs": [], "outputs": []}
        for k, (n, x) in enumerate(zip(m.input_names, xs)):
            np.save(os.path.join(d, f"x{k}.npy"), x)
            c["inputs"].append({"name": n, "file": os.path.join(d, f"x{k}.npy")})
        for k, (n, y) in enumerate(zip(m.output_names, ys)):
            np.save(os.path.join(d, f"y{k}.npy"), y)
            c["outputs"].append({"name": n, "file": os.path.join(d, f"y{k}.npy")})
        res.append(c)
    print(json.dumps(res))


def serve(cases):
    res = []
    for c in json.load(open(cases)):
        fn = tf.saved_model.load(c["dir"]).signatures["serving_default"]
        ys = fn(**{i["name"]: tf.constant(np.load(i["file"])) for i in c["inputs"]})
        r = {"id": c["id"], "keys": sorted(ys.keys()), "diff": {}}
        for o in c["outputs"]:
            want = np.load(o["file"])
            got = ys.get(o["name"])
            if got is None or tuple(got.shape) != want.shape:
                r["diff"][o["name"]] = -1.0
            else:
                r["diff"][o["name"]] = float(np.max(np.abs(got.numpy() - want)))
        res.append(r)
    print(json.dumps(res))


if __name__ == "__main__":
    {"make": make, "serve": serve}[sys.argv[1]](sys.argv[2])
