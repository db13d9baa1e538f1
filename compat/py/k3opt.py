"""Checks kerasgo's files against real Keras for the k3opt tests (testdata/k3opt).

Usage:
  k3opt.py optvars load_model PATH CASEDIR
      Keras 3 load_model(PATH); compares every optimizer variable, in order, with
      CASEDIR/optimizer.json's dumps (bit for bit) and the weights with CASEDIR/weights.json.
  k3opt.py optvars load_weights PATH CASEDIR
      Builds the model from CASEDIR/model.keras (compiled, optimizer built), sets every
      weight and optimizer variable to zero, then load_weights(PATH); compares as above.
  k3opt.py load LIB PATH
      LIB ("keras" or "tf_keras") load_model(PATH); prints the optimizer's class and config.
  k3opt.py zero LIB PATH KEY X Y OUT
      LIB load_model(PATH); prints the optimizer's config value KEY, then runs
      train_on_batch(X, Y) and writes OUT/w_<i>.npy (model.get_weights()).
The last line of stdout is JSON.
"""
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import warnings  # noqa: E402

warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

tf.config.experimental.enable_op_determinism()


def lib_of(name):
    if name == "keras":
        import keras
        return keras
    import tf_keras
    return tf_keras


def compare(m, casedir):
    with open(os.path.join(casedir, "optimizer.json")) as f:
        info = json.load(f)
    opt = m.optimizer
    bad = []
    if len(opt.variables) != len(info["variables"]):
        bad.append(f"{len(opt.variables)} variables, want {len(info['variables'])}")
    else:
        for e, v in zip(info["variables"], opt.variables):
            want = np.load(os.path.join(casedir, e["file"]))
            got = np.asarray(v.numpy())
            if got.dtype != want.dtype or got.shape != want.shape or not np.array_equal(got, want):
                bad.append(f"{e['index']} {e['path']}")
    with open(os.path.join(casedir, "weights.json")) as f:
        ws = json.load(f)
    for l, layer in zip(ws["layers"], m.layers):
        for w, v in zip(l["weights"], layer.weights):
            if not np.array_equal(np.load(os.path.join(casedir, w["file"])), v.numpy()):
                bad.append(f"weight {l['name']}/{w['name']}")
    return {"variables": len(opt.variables), "mismatches": bad, "name": opt.name,
            "class": type(opt).__name__}


def optvars(mode, path, casedir):
    import keras
    if mode == "load_model":
        m = keras.saving.load_model(path)
    else:
        m = keras.saving.load_model(os.path.join(casedir, "model.keras"))
        for v in list(m.optimizer.variables) + list(m.weights):
            v.assign(np.zeros(v.shape, np.asarray(v.numpy()).dtype))
        m.load_weights(path)
    print(json.dumps(compare(m, casedir)))


def load(lib, path):
    m = lib_of(lib).models.load_model(path)
    print(json.dumps({"class": type(m.optimizer).__name__,
                      "config": json.loads(json.dumps(m.optimizer.get_config(), default=float))}))


def zero(lib, path, key, x, y, out):
    m = lib_of(lib).models.load_model(path)
    cfg = json.loads(json.dumps(m.optimizer.get_config(), default=float))
    loss = m.train_on_batch(np.load(x), np.load(y))
    if isinstance(loss, (list, tuple)):
        loss = loss[0]
    os.makedirs(out, exist_ok=True)
    for i, w in enumerate(m.get_weights()):
        np.save(os.path.join(out, f"w_{i}.npy"), w)
    print(json.dumps({"value": cfg.get(key), "loss": float(loss), "iterations": int(m.optimizer.iterations.numpy())}))


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"optvars": optvars, "load": load, "zero": zero}[cmd](*args)
