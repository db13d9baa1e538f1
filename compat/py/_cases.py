"""Shared parts of the scripts that build Keras models on padded inputs for a Go test to load,
save and have TensorFlow serve (rnn_masked_initial.py, rnn_masked_initial_k3.py,
bidi_none.py): the input data, seeding, the per-case files and the serving check.

A case, as the scripts print it, is a dict with "id", "inputs": [{"name", "file"}] and
"outputs": [{"name", "file"}] (x<i>.npy, float32, and the library's predictions y<i>.npy);
the Go side adds "dir" (or "go_sm"): Go's SavedModel of the case's model.
"""
import json

import numpy as np

VOCAB = 7


def tokens(rng, steps, dtype=np.int32):
    """Six token rows of VOCAB ids, padded with 0: leading, trailing and inner padding, a row
    of padding only and a row with one real step, its last."""
    x = rng.integers(1, VOCAB, size=(6, steps)).astype(dtype)
    x[0, :2] = 0            # leading padding
    x[1, -3:] = 0           # trailing padding
    x[2, 1] = x[2, 3] = 0   # inner padding
    x[3, :] = 0             # padding only
    x[4, :-1] = 0           # one real step, last
    return x


def padded(rng):
    """Six float sequences of 5 steps of 3, with zero steps (for Masking) where tokens pads."""
    x = rng.standard_normal((6, 5, 3)).astype(np.float32)
    keep = tokens(rng, 5) != 0
    return x * keep[:, :, None]


def vec(rng):
    """Six float vectors of 2 (the inputs of the Dense layers making initial states)."""
    return rng.standard_normal((6, 2)).astype(np.float32)


def seed(k, s):
    """Seeds the library k (tf_keras or keras) and returns a NumPy generator of the same seed."""
    k.utils.set_random_seed(s)
    return np.random.default_rng(s)


def set_biases(m, rng):
    """Non-zero biases, so that the recurrences differ from their zero-bias shortcuts."""
    for w in m.weights:
        if "bias" in getattr(w, "path", w.name):
            w.assign(rng.standard_normal(w.shape).astype(np.float32) * 0.5)


def out_name(t):
    """The name of the layer (tf_keras) or operation (Keras 3) whose output t is."""
    h = t._keras_history
    return (h.operation if hasattr(h, "operation") else h.layer).name


def predict(m, xs):
    """m's predictions on xs, as a list."""
    ys = m.predict(xs, verbose=0)
    return list(ys) if isinstance(ys, (list, tuple)) else [ys]


def diff(got, want):
    """The largest absolute difference: -1 when the shapes differ; a NaN must be NaN in both
    (a NaN in one only is inf)."""
    got, want = np.asarray(got), np.asarray(want)
    if got.shape != want.shape:
        return -1.0
    gn, wn = np.isnan(got), np.isnan(want)
    if (gn != wn).any():
        return float("inf")
    if gn.all():
        return 0.0
    return float(np.max(np.abs(got[~gn] - want[~wn])))


def save_io(c, d, in_names, xs, out_names, ys):
    """Writes d/x<i>.npy (float32: kerasgo's indices are float32) and d/y<i>.npy and lists
    them in the case c."""
    c.setdefault("inputs", [])
    c.setdefault("outputs", [])
    for k, (n, x) in enumerate(zip(in_names, xs)):
        f = f"{d}/x{k}.npy"
        np.save(f, np.asarray(x).astype(np.float32))
        c["inputs"].append({"name": n, "file": f})
    for k, (n, y) in enumerate(zip(out_names, ys)):
        f = f"{d}/y{k}.npy"
        np.save(f, y)
        c["outputs"].append({"name": n, "file": f})


def served(c, sm):
    """Serves the SavedModel sm (serving_default) on c's inputs: the signature's output keys
    and, per output of c, diff from its file (-1 when the signature has no such output)."""
    import tensorflow as tf
    fn = tf.saved_model.load(sm).signatures["serving_default"]
    ys = fn(**{i["name"]: tf.constant(np.load(i["file"]).astype(np.float32)) for i in c["inputs"]})
    diffs = {}
    for o in c["outputs"]:
        got = ys.get(o["name"])
        diffs[o["name"]] = -1.0 if got is None else diff(got.numpy(), np.load(o["file"]))
    return sorted(ys.keys()), diffs


def serve(cases):
    """Prints, per case of the file cases (each with "dir": Go's SavedModel), {"id", "keys",
    "diff"} from served."""
    res = []
    for c in json.load(open(cases)):
        keys, diffs = served(c, c["dir"])
        res.append({"id": c["id"], "keys": keys, "diff": diffs})
    print(json.dumps(res))
