"""Checks Go-written SavedModels of nested models (a Sequential or Functional model used as a
layer) against the tf_keras .h5 files they were converted from.

usage: nested_savedmodel.py CASES.json

CASES.json is a list of {"id", "dir", "ref", "x"}: dir is Go's SavedModel, ref the tf_keras
model.h5 Go read (fitted, with Adam state), x an input .npy. For each case this runs the real
`saved_model_cli show --dir DIR --all` and records its text; loads both with
tf_keras.models.load_model and records the maximum difference of their predictions, whether
the optimizer's variables (iterations and every slot) are equal, and the maximum difference
of every weight after one train_on_batch step on the same batch from each. Prints one JSON
list.
"""
import json
import os
import subprocess
import sys

import numpy as np
import tf_keras

cli = os.path.join(os.path.dirname(sys.executable), "saved_model_cli")


def opt_vars(opt):
    vs = opt.variables() if callable(opt.variables) else opt.variables
    return {v.name: np.asarray(v, dtype=np.float64) for v in vs}


results = []
for c in json.load(open(sys.argv[1])):
    res = {"id": c["id"]}
    p = subprocess.run([cli, "show", "--dir", c["dir"], "--all"], capture_output=True, text=True)
    res["cli_rc"], res["cli"] = p.returncode, p.stdout
    x = np.load(c["x"])
    go = tf_keras.models.load_model(c["dir"])
    ref = tf_keras.models.load_model(c["ref"])
    res["class"] = type(go).__name__
    res["predict_diff"] = float(np.max(np.abs(go.predict(x, verbose=0) - ref.predict(x, verbose=0))))
    # Build both optimizers (a deferred restoration lands in Go's when its slots are created).
    for m in (go, ref):
        m.optimizer.build(m.trainable_variables)
    a, b = opt_vars(go.optimizer), opt_vars(ref.optimizer)
    res["optimizer_names_equal"] = sorted(a) == sorted(b)
    res["optimizer_max_diff"] = max((float(np.max(np.abs(a[k] - b[k]))) if a[k].size else 0.0)
                                    for k in a if k in b) if a else -1.0
    res["iterations"] = [int(go.optimizer.iterations.numpy()), int(ref.optimizer.iterations.numpy())]
    rng = np.random.default_rng(7)
    y = rng.integers(0, int(go.output_shape[-1]), size=(x.shape[0],))
    # The same random state for each step: a Dropout in the head draws the same mask.
    tf_keras.utils.set_random_seed(11)
    go.train_on_batch(x, y)
    tf_keras.utils.set_random_seed(11)
    ref.train_on_batch(x, y)
    res["step_max_diff"] = max(float(np.max(np.abs(np.asarray(u) - np.asarray(v))))
                               for u, v in zip(go.weights, ref.weights))
    res["weights"] = len(go.weights)
    results.append(res)
print(json.dumps(results))
