"""Recurrent layers called with initial_state where a Keras mask reaches their input, in Keras 3.

usage: rnn_masked_initial_k3.py make OUTDIR
       rnn_masked_initial_k3.py serve CASES.json
       rnn_masked_initial_k3.py train OUTDIR

Keras 3 gives a recurrent layer (or Bidirectional) called with initial_state no mask: its
Layer.__call__ fills the mask argument only for a call on one tensor argument. The call's
output still carries the input's mask (compute_mask), which later layers use. This script
builds such models in Keras 3, so that the test compares kerasgo with Keras 3's behaviour.

make builds the cases in Keras 3 (fresh random weights, seeded, non-zero biases) and writes,
per case, OUTDIR/<case>/model.keras and model.h5 (Keras 3's legacy HDF5), the padded inputs
x<i>.npy (float32; token rows with leading, inner and trailing padding and a row of padding only; float
sequences with zero steps for Masking) and Keras 3's predictions y<i>.npy; it prints the list
of cases ({"id", "keras", "h5", "inputs": [{"name", "file"}], "outputs": [{"name",
"file"}]}); every output is the first output of a distinct layer, named as that layer (the
key of Go's SavedModel signature). It also checks, per case, that Keras 3's predictions
differ from those of the same model whose initial-state calls are given the mask (so that a
test passing on them tells the two apart): "masked_differs" lists the outputs that differ.

serve reads CASES.json (the make list, each case with "dir": Go's SavedModel of
model.keras), calls tf.saved_model.load(dir).signatures["serving_default"] on the inputs and
prints per case the signature's output keys and, per expected output, the largest absolute
difference from Keras 3's prediction (-1 when the signature has no such output or its shape
differs; NaN entries must be NaN in both, else the difference is inf).
"""
import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np
import keras

from _cases import VOCAB, diff, out_name, padded, predict, save_io, seed, serve, set_biases, tokens, vec

L = keras.layers


def out(name):
    return L.Activation("linear", name=name)


# Each builder takes mask_init: when true, the calls given initial_state also get the mask
# explicitly (mask=...), which is tf_keras's behaviour; the test's models use False.

def lstm_initial(mask_init):
    t = keras.Input((6,), dtype="int32", name="tokens")
    v = keras.Input((2,), name="vec")
    emb = L.Embedding(VOCAB, 3, mask_zero=True, name="emb")
    e = emb(t)
    kw = {"mask": emb.compute_mask(t)} if mask_init else {}
    h0 = L.Dense(4, activation="tanh", name="init_h")(v)
    c0 = L.Dense(4, name="init_c")(v)
    seq, h, c = L.LSTM(4, return_sequences=True, return_state=True, name="lstm")(e, initial_state=[h0, c0], **kw)
    last = L.LSTM(3, name="lstm_last")(seq)          # no initial_state: masked
    gap = L.GlobalAveragePooling1D(name="gap")(seq)  # masked by the sequence's mask
    s = L.SimpleRNN(2, name="srnn")(seq, initial_state=[L.Dense(2, name="init_s")(v)], **kw)
    outs = [seq, out("h")(h), out("c")(c), last, gap, s]
    return keras.Model([t, v], outs), lambda rng: [tokens(rng, 6), vec(rng)]


def gru_initial(mask_init):
    x = keras.Input((5, 3), name="seq")
    v = keras.Input((2,), name="vec")
    pad = L.Masking(0.0, name="pad")
    m = pad(x)
    kw = {"mask": pad.compute_mask(x)} if mask_init else {}
    h0 = L.Dense(4, activation="tanh", name="init")(v)
    seq, h = L.GRU(4, return_sequences=True, return_state=True, go_backwards=True, name="gru")(m, initial_state=[h0], **kw)
    kw2 = {"mask": pad.compute_mask(x)} if mask_init else {}
    g = L.GRU(3, reset_after=False, name="gru_v1")(seq, initial_state=[L.Dense(3, name="init_g")(v)], **kw2)
    r = L.RNN(L.LSTMCell(2), return_sequences=True, name="rnn_lstm")(
        seq, initial_state=[L.Dense(2, name="init_rh")(v), L.Dense(2, name="init_rc")(v)], **kw2)
    r2 = L.SimpleRNN(2, name="srnn_after")(r)       # no initial_state: masked
    return keras.Model([x, v], [seq, out("h")(h), g, r, r2]), lambda rng: [padded(rng), vec(rng)]


def lstm_shared(mask_init):
    t = keras.Input((6,), dtype="int32", name="tokens")
    emb = L.Embedding(VOCAB, 3, mask_zero=True, name="emb")
    e = emb(t)
    kw = {"mask": emb.compute_mask(t)} if mask_init else {}
    lstm = L.LSTM(3, return_sequences=True, return_state=True, name="shared")
    y1, h1, c1 = lstm(e)                               # masked
    y2, h2, _ = lstm(e, initial_state=[h1, c1], **kw)  # not masked in Keras 3
    plain = L.Embedding(VOCAB, 3, name="plain")(t)     # no mask
    y3, _, _ = lstm(plain, initial_state=[h2, h1])
    return keras.Model(t, [out("y1")(y1), out("y2")(y2), out("h2")(h2), out("y3")(y3)]), lambda rng: [tokens(rng, 6)]


def bigru_initial(mask_init):
    t = keras.Input((6,), dtype="int32", name="tokens")
    v = keras.Input((2,), name="vec")
    emb = L.Embedding(VOCAB, 3, mask_zero=True, name="emb")
    e = emb(t)
    kw = {"mask": emb.compute_mask(t)} if mask_init else {}
    hf = L.Dense(3, activation="tanh", name="init_f")(v)
    hb = L.Dense(3, activation="tanh", name="init_b")(v)
    y, sf, sb = L.Bidirectional(L.GRU(3, return_sequences=True, return_state=True), name="bigru")(
        e, initial_state=[hf, hb], **kw)
    z = L.Bidirectional(L.LSTM(3), merge_mode="sum", name="bilstm")(y, initial_state=[sb, sf, sf, sb], **kw)
    w = L.Bidirectional(L.LSTM(2), name="bilstm_masked")(y)  # no initial_state: masked
    gap = L.GlobalAveragePooling1D(name="gap")(y)
    return keras.Model([t, v], [y, out("sf")(sf), z, w, gap]), lambda rng: [tokens(rng, 6), vec(rng)]


def train_model(mask_init):
    t = keras.Input((6,), dtype="int32", name="tokens")
    v = keras.Input((2,), name="vec")
    emb = L.Embedding(VOCAB, 3, mask_zero=True, name="emb")
    e = emb(t)
    kw = {"mask": emb.compute_mask(t)} if mask_init else {}
    h0 = L.Dense(3, activation="tanh", name="init_h")(v)
    c0 = L.Dense(3, name="init_c")(v)
    seq = L.LSTM(3, return_sequences=True, name="lstm")(e, initial_state=[h0, c0], **kw)
    y = L.LSTM(2, name="last")(seq)
    m = keras.Model([t, v], y)
    m.compile(optimizer=keras.optimizers.SGD(0.5), loss="mse")
    return m


def train(outdir):
    rng = seed(keras, 9400)
    m = train_model(False)
    set_biases(m, rng)
    os.makedirs(outdir, exist_ok=True)
    m.save(os.path.join(outdir, "model.keras"))
    xs = [tokens(rng, 6), vec(rng)]
    y = vec(rng)
    mm = train_model(True)
    mm.set_weights(m.get_weights())
    loss = float(m.train_on_batch(xs, y))
    mm.train_on_batch(xs, y)
    m.save(os.path.join(outdir, "trained.keras"))
    differs = any(not np.array_equal(a, b) for a, b in zip(m.get_weights(), mm.get_weights()))
    files = []
    for k, x in enumerate(xs):
        f = os.path.join(outdir, f"x{k}.npy")
        np.save(f, x.astype(np.float32))
        files.append(f)
    np.save(os.path.join(outdir, "y.npy"), y)
    print(json.dumps({"model": os.path.join(outdir, "model.keras"), "trained": os.path.join(outdir, "trained.keras"),
                      "inputs": files, "y": os.path.join(outdir, "y.npy"), "loss": loss, "masked_differs": differs}))


CASES = {"k3_lstm_initial": lstm_initial, "k3_gru_initial": gru_initial, "k3_lstm_shared": lstm_shared,
         "k3_bigru_initial": bigru_initial}


def make(outdir):
    res = []
    for i, (name, build) in enumerate(CASES.items()):
        rng = seed(keras, 9300 + i)
        m, inputs = build(False)
        set_biases(m, rng)
        d = os.path.join(outdir, name)
        os.makedirs(d, exist_ok=True)
        m.save(os.path.join(d, "model.keras"))
        m.save(os.path.join(d, "model.h5"))
        xs = inputs(rng)
        ys = predict(m, xs)
        # The same weights with the mask given to the initial-state calls (tf_keras's way).
        mm, _ = build(True)
        mm.set_weights(m.get_weights())
        ym = predict(mm, xs)
        c = {"id": name, "keras": os.path.join(d, "model.keras"), "h5": os.path.join(d, "model.h5")}
        names = [out_name(t) for t in m.outputs]
        save_io(c, d, [t.name for t in m.inputs], xs, names, ys)
        c["masked_differs"] = [n for n, y, yy in zip(names, ys, ym) if diff(yy, y) != 0]
        res.append(c)
    print(json.dumps(res))


if __name__ == "__main__":
    {"make": make, "serve": serve, "train": train}[sys.argv[1]](sys.argv[2])
