"""Loads a file Go wrote next to the reference file it came from, with real Keras, and compares.

usage: h5_check.py MODE ORIGINAL GOFILE XNPY YNPY

MODE: tfk_h5 (tf_keras load_model on both), tfk_weights (tf_keras model from ORIGINAL,
load_weights(GOFILE)), k3_keras (keras.saving.load_model on both), k3_weights (Keras 3 model
from ORIGINAL, load_weights(GOFILE), optimizer included), k3_legacy (Keras 3 load_model on a
legacy .h5 Go wrote from a Keras 3 model).

Prints JSON: max_abs_pred (predictions of both on x), max_abs_weights (all model variables),
max_abs_opt (all optimizer variables, null when not compared), n_opt (optimizer variable
count), iterations, max_abs_step (all variables after one more train_on_batch on both).
"""
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
import numpy as np

mode, orig, gofile, xp, yp = sys.argv[1:6]
x = np.load(xp)
y = np.load(yp)

if mode.startswith("tfk"):
    import tf_keras as K
else:
    import keras as K

a = K.models.load_model(orig)
if mode in ("tfk_weights", "k3_weights"):
    b = K.models.load_model(orig)
    if mode == "k3_weights":
        # Reset the optimizer state so that load_weights must restore it.
        for v in b.optimizer.variables:
            v.assign(np.zeros(v.shape, v.dtype.name if hasattr(v.dtype, "name") else v.dtype))
    for v in b.weights:
        v.assign(np.zeros(v.shape, dtype=np.float32))
    b.load_weights(gofile)
else:
    b = K.models.load_model(gofile)


def maxdiff(xs, ys):
    if len(xs) != len(ys):
        raise SystemExit("variable counts differ: %d vs %d" % (len(xs), len(ys)))
    m = 0.0
    for u, v in zip(xs, ys):
        u, v = np.asarray(u, dtype=np.float64), np.asarray(v, dtype=np.float64)
        if u.shape != v.shape:
            raise SystemExit("shapes differ: %s vs %s" % (u.shape, v.shape))
        if u.size:
            m = max(m, float(np.max(np.abs(u - v))))
    return m


def no_dropout(model):
    # Dropout draws random masks; switch it off so one training step is deterministic.
    for layer in model.layers:
        if hasattr(layer, "rate"):
            layer.rate = 0.0


def h5_names(path):
    """Every layer_names / weight_names list of a legacy .h5, as Keras's reader sees it."""
    import h5py
    if mode.startswith("tfk"):
        from tf_keras.src.saving.legacy.hdf5_format import load_attributes_from_hdf5_group as load
    else:
        from keras.src.legacy.saving.legacy_h5_format import load_attributes_from_hdf5_group as load
    out = {}
    with h5py.File(path, "r") as f:
        g = f["model_weights"] if "model_weights" in f else f
        names = [n.decode() if isinstance(n, bytes) else n for n in load(g, "layer_names")]
        out["layer_names"] = names
        for n in names:
            out[n] = [w.decode() if isinstance(w, bytes) else w for w in load(g[n], "weight_names")]
        if "optimizer_weights" in f:
            out["optimizer_weights"] = [w.decode() if isinstance(w, bytes) else w
                                        for w in load(f["optimizer_weights"], "weight_names")]
            out["optimizer_values"] = [np.asarray(f["optimizer_weights"][w]) for w in out["optimizer_weights"]]
    return out


res = {}
res["max_abs_pred"] = float(np.max(np.abs(a.predict(x, verbose=0) - b.predict(x, verbose=0))))
res["max_abs_weights"] = maxdiff([w.numpy() for w in a.weights], [w.numpy() for w in b.weights])
if mode in ("tfk_h5", "tfk_weights"):
    # The attribute lists Go wrote must equal the ones tf_keras wrote.
    o, g = h5_names(orig), h5_names(gofile)
    o.pop("optimizer_values", None)
    g.pop("optimizer_values", None)
    if mode == "tfk_weights":
        o.pop("optimizer_weights", None)
    res["names_equal"] = o == g
if mode == "k3_legacy":
    # Keras 3 does not restore optimizer state from legacy .h5 files (not even its own), so
    # compare what Go wrote with the original optimizer's variables and names directly.
    g = h5_names(gofile)
    av = a.optimizer.variables
    # Keras 3 names optimizer variables after the model variable's path, which carries the
    # model name ("seq/conv_1/kernel") for a model built in the session and not for one
    # loaded from a file; compare modulo that prefix.
    def norm(n):
        return n.replace("/" + a.name + "_", "/", 1)
    res["names_equal"] = [norm(n) for n in g["optimizer_weights"]] == [norm(str(v.path)) for v in av]
    res["n_opt"] = len(av)
    res["max_abs_opt"] = maxdiff([v.numpy() for v in av], g["optimizer_values"])
    res["iterations"] = int(np.asarray(g["optimizer_values"][0]))
    res["max_abs_step"] = 0.0
    res["max_abs_opt_step"] = 0.0
    print(json.dumps(res))
    sys.exit(0)
opt = mode != "tfk_weights"
if opt:
    av = [v.numpy() for v in a.optimizer.variables]
    bv = [v.numpy() for v in b.optimizer.variables]
    res["n_opt"] = len(av)
    res["max_abs_opt"] = maxdiff(av, bv)
    res["iterations"] = int(b.optimizer.iterations.numpy())
    no_dropout(a)
    no_dropout(b)
    a.train_on_batch(x, y)
    b.train_on_batch(x, y)
    res["max_abs_step"] = maxdiff([w.numpy() for w in a.weights], [w.numpy() for w in b.weights])
    res["max_abs_opt_step"] = maxdiff([v.numpy() for v in a.optimizer.variables], [v.numpy() for v in b.optimizer.variables])
else:
    res["max_abs_opt"] = None
print(json.dumps(res))
