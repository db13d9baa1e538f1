"""Bidirectional with merge_mode=None (two outputs: the forward layer's, then the backward
layer's, in time order with return_sequences; with return_state the forward states, then the
backward states), in tf_keras and Keras 3.

usage: bidi_none.py make LIB OUTDIR   (LIB: tf_keras or keras3)
       bidi_none.py check CASES.json
       bidi_none.py summary LIB FILE   (LIB's summary of the model in FILE, for make)

make builds the cases in LIB (seeded random weights, non-zero biases) on padded inputs
(leading, inner and trailing padding, a row of padding only) and writes per case
OUTDIR/<case>/model.<ext> (tf_keras: .h5, Keras 3: .keras, and its legacy .h5, listed in
"more"), the inputs x<i>.npy (float32),
LIB's predictions y<i>.npy and, for the training step, train.<ext> (the case's model with its
unmasked outputs only, compiled with SGD(0.1) and mse per output, untrained), the targets
t<i>.npy, LIB's loss of one train_on_batch and trained.<ext> (its weights after the step).
It prints the list of cases ({"id", "lib", "model", "inputs": [{"name", "file"}], "outputs":
[{"name", "file"}], "train", "targets", "loss", "trained"}); every output is the first output
of a distinct layer, named as that layer. "mask_matters" lists the outputs that differ when
the Bidirectional layer's outputs lose their masks (so that a test passing on them shows the
masks reach the layers after it); "summary" is LIB's summary of the model read back from
model.<ext>.

check reads CASES.json (the make lists, each case with "go_h5", "go_keras": Go's files of
model.<ext>, and "go_sm": Go's SavedModel), loads go_h5 in tf_keras and go_keras in Keras 3,
serves go_sm with tf.saved_model.load(dir).signatures["serving_default"], and prints per case
the largest absolute difference of every output from LIB's predictions ({"id", "lib",
"tf_keras": {name: diff}, "keras3": {...}, "served": {...}, "keys": [...]}; -1 when an output
is missing or of another shape; "error" entries when a file fails to load).
"""
import json
import os
import subprocess
import sys

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import tensorflow as tf

from _cases import VOCAB, diff, out_name, padded, predict, save_io, seed, served, set_biases, tokens


def lib(name):
    if name == "tf_keras":
        import tf_keras
        return tf_keras
    import keras
    return keras


# Each builder returns the model's inputs, its outputs for predictions, the unmasked ones for
# training, and a function making the input data. unmask drops the masks of the
# Bidirectional layer's outputs (for mask_matters): a Lambda (a new tensor) carries no mask.

def nomask(k, unmask, x):
    return k.layers.Lambda(lambda v: v * 1.0)(x) if unmask else x


def seq_case(k, unmask):
    L = k.layers
    t = k.Input((6,), dtype="int32", name="tokens")
    e = L.Embedding(VOCAB, 3, mask_zero=True, name="emb")(t)
    yf, yb, hf, hb = L.Bidirectional(L.GRU(3, return_sequences=True, return_state=True), merge_mode=None,
                                     name="bigru")(e)
    a = L.LSTM(2, name="lstm_f")(nomask(k, unmask, yf))      # the first output's mask
    b = L.SimpleRNN(2, name="srnn_b")(nomask(k, unmask, yb))  # the second output's mask
    c = L.Dense(2, name="head")(L.Concatenate(name="cat")([hf, hb]))
    pred = [a, b, c, L.Activation("linear", name="yf")(yf), L.Activation("linear", name="yb")(yb)]
    return [t], pred, [a, b, c], lambda rng: [tokens(rng, 6)]


def state_case(k, unmask):
    L = k.layers
    x = k.Input((5, 3), name="seq")
    m = L.Masking(0.0, name="pad")(x)
    yf, yb, hf, cf, hb, cb = L.Bidirectional(L.LSTM(3, return_state=True), merge_mode=None, name="bilstm")(m)
    head = L.Dense(2, name="head")(L.Concatenate(name="cat")([yf, yb, cb]))
    sf, sb = L.Bidirectional(L.SimpleRNN(2, return_sequences=True), merge_mode=None, name="bisrnn")(m)
    # the second output's mask (GlobalAveragePooling1D over a row of padding only is NaN)
    gap = L.GlobalAveragePooling1D(name="gap_b")(nomask(k, unmask, sb))
    rb = L.SimpleRNN(2, name="srnn_b")(nomask(k, unmask, sb))
    last = L.GRU(2, name="gru_f")(nomask(k, unmask, sf))
    # merge_mode None called with initial_state: the forward layer's, then the backward layer's
    zf, zb = L.Bidirectional(L.GRU(3), merge_mode=None, name="bigru_init")(m, initial_state=[hb, hf])
    zf = L.Activation("linear", name="zf")(zf)
    pred = [head, gap, rb, last, L.Activation("linear", name="yb")(yb), L.Activation("linear", name="cf")(cf),
            L.Activation("linear", name="sb")(sb), zf, L.Activation("linear", name="zb")(zb)]
    return [x], pred, [head, rb, last, zf], lambda rng: [padded(rng)]


CASES = {"seq": seq_case, "state": state_case}


def make(libname, outdir):
    k = lib(libname)
    ext = ".h5" if libname == "tf_keras" else ".keras"
    res = []
    for i, (name, build) in enumerate(CASES.items()):
        # Fresh names: Keras 3's configs keep the names of its mask operations (not_equal, any)
        # from the session's counters, which kerasgo's summaries number from the start.
        k.backend.clear_session()
        rng = seed(k, 9500 + i)
        ins, pred, tr, data = build(k, False)
        m = k.Model(ins, pred)
        set_biases(m, rng)
        d = os.path.join(outdir, libname, name)
        os.makedirs(d, exist_ok=True)
        m.save(os.path.join(d, "model" + ext))
        if libname == "keras3":
            m.save(os.path.join(d, "model.h5"))  # Keras 3's legacy HDF5 too
        # in a fresh process, where Keras 3 numbers its mask operations from the start
        summary = subprocess.run([sys.executable, __file__, "summary", libname, os.path.join(d, "model" + ext)],
                                 check=True, capture_output=True, text=True).stdout
        xs = data(rng)
        ys = predict(m, xs)
        c = {"id": libname + "/" + name, "lib": libname, "model": os.path.join(d, "model" + ext),
             "more": [os.path.join(d, "model.h5")] if libname == "keras3" else [], "summary": summary}
        ins2, pred2, _, _ = build(k, True)
        mu = k.Model(ins2, pred2)
        mu.set_weights(m.get_weights())
        yu = predict(mu, xs)
        names = [out_name(t) for t in m.outputs]
        save_io(c, d, [t.name if libname == "keras3" else out_name(t) for t in m.inputs], xs, names, ys)
        c["mask_matters"] = [n for n, y, yy in zip(names, ys, yu) if diff(yy, y) != 0]
        # One training step of the unmasked outputs, from the same weights.
        mt = k.Model(ins, tr)
        mt.compile(optimizer=k.optimizers.SGD(0.1), loss=["mse"] * len(tr))
        mt.save(os.path.join(d, "train" + ext))
        c["train"] = os.path.join(d, "train" + ext)
        c["targets"] = []
        ts = []
        for j, o in enumerate(mt.outputs):
            tv = rng.standard_normal((6,) + tuple(o.shape[1:])).astype(np.float32)
            np.save(os.path.join(d, f"t{j}.npy"), tv)
            c["targets"].append(os.path.join(d, f"t{j}.npy"))
            ts.append(tv)
        lo = mt.train_on_batch(xs, ts)
        c["loss"] = float(lo[0] if isinstance(lo, (list, tuple)) else lo)
        mt.save(os.path.join(d, "trained" + ext))
        c["trained"] = os.path.join(d, "trained" + ext)
        res.append(c)
    print(json.dumps(res))


def check(cases):
    import tf_keras
    import keras
    res = []
    for c in json.load(open(cases)):
        xs = [np.load(i["file"]) for i in c["inputs"]]
        r = {"id": c["id"], "lib": c["lib"]}
        for key, k, f in (("tf_keras", tf_keras, c["go_h5"]), ("keras3", keras, c["go_keras"])):
            try:
                m = k.models.load_model(f, compile=False)
                ys = predict(m, [x.astype(np.int32) if m.inputs[j].dtype in (tf.int32, "int32") else x
                                 for j, x in enumerate(xs)])
                r[key] = {o["name"]: diff(y, np.load(o["file"])) for o, y in zip(c["outputs"], ys)}
            except Exception as e:  # reported to the test
                r[key] = {"error": -1.0}
                r[key + "_error"] = repr(e)[:500]
        r["keys"], r["served"] = served(c, c["go_sm"])
        res.append(r)
    print(json.dumps(res))


def summary(libname, path):
    pieces = []
    lib(libname).models.load_model(path).summary(print_fn=lambda t, *a, **kw: pieces.append(t))
    sys.stdout.write("\n".join(pieces).rstrip("\n") + "\n")


if __name__ == "__main__":
    if sys.argv[1] == "summary":
        summary(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "make":
        make(sys.argv[2], sys.argv[3])
    else:
        check(sys.argv[2])
