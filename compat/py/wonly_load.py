"""Loads weights files kerasgo converted (`kerasgo convert --weights-only`) into models rebuilt
from their configs, in real tf_keras and Keras 3.

Usage: wonly_load.py DIR. DIR/cases.json lists {"id", "lib" ("tf_keras" or "keras3"), "config"
(a model.to_json() file of that library), "weights" (the converted file or checkpoint prefix),
"x" (input .npy files), "y" (expected output .npy files)}. For each case the model is rebuilt
with model_from_json, load_weights reads the converted file (for a TF checkpoint the restore
status must have consumed every value in it and restored every variable of the model), and
the predictions are compared with the expected outputs. The last line printed is a JSON list
of {"id", "max_abs_diff", "error"}: error is the exception Keras raised, or null.
"""
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import warnings  # noqa: E402

warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402
import tf_keras  # noqa: E402
import keras  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "testdata", "gen"))
from wonly_layers import scale_shift_class  # noqa: E402


def run(c):
    lib = tf_keras if c["lib"] == "tf_keras" else keras
    lib.backend.clear_session()
    with open(c["config"]) as f:
        cfg = f.read()
    with lib.saving.custom_object_scope({"ScaleShift": scale_shift_class(lib)}):
        model = lib.models.model_from_json(cfg)
    status = model.load_weights(c["weights"])
    if lib is tf_keras and not c["weights"].endswith((".h5", ".hdf5")):
        status.assert_consumed()
    xs = [np.load(p) for p in c["x"]]
    ys = model.predict(xs if len(xs) > 1 else xs[0], verbose=0)
    if not isinstance(ys, (list, tuple)):
        ys = [ys]
    worst = 0.0
    for y, p in zip(ys, c["y"]):
        want = np.load(p)
        if np.asarray(y).shape != want.shape:
            raise ValueError(f"output shape {np.asarray(y).shape} != {want.shape}")
        worst = max(worst, float(np.max(np.abs(np.asarray(y, np.float64) - want))))
    return worst


def main(d):
    with open(os.path.join(d, "cases.json")) as f:
        cases = json.load(f)
    out = []
    for c in cases:
        try:
            out.append({"id": c["id"], "max_abs_diff": run(c), "error": None})
        except Exception as e:  # reported to the Go test, which fails naming the case
            out.append({"id": c["id"], "max_abs_diff": None, "error": f"{type(e).__name__}: {str(e)[:400]}"})
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1])
