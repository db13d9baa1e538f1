"""Loads Go-written files of the testdata/layers_rnnstate models (return_state,
initial_state) in real tf_keras and Keras 3.

Usage: rnnstate_files.py CASES.json. Each case {"id", "kind", "file", "fixture", "xs", "out"}:
kind h5 → tf_keras.models.load_model(file); ckpt, wh5 → the fixture's tf_keras model with
load_weights(file); keras → keras.saving.load_model(file); k3w → the fixture's Keras 3 model
with load_weights(file). Every output on the inputs xs is written to out with the suffix
_<i>.npy; the last line printed is a JSON list of {"id", "summary"} (the summary of the model
loaded from the file for h5 and keras, else "").
"""
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["COLUMNS"] = "80"
import numpy as np
import tensorflow as tf  # noqa: F401
import tf_keras
import keras


def summary_text(model):
    lines = []
    model.summary(print_fn=lambda s, *a, **kw: lines.append(s))
    text = "\n".join(lines)
    return text if text.endswith("\n") else text + "\n"


def main():
    with open(sys.argv[1]) as f:
        cases = json.load(f)
    done = []
    for c in cases:
        k = c["kind"]
        summary = ""
        if k == "h5":
            m = tf_keras.models.load_model(c["file"])
            summary = summary_text(m)
        elif k in ("ckpt", "wh5"):
            m = tf_keras.models.load_model(c["fixture"])
            st = m.load_weights(c["file"])
            if k == "ckpt":
                st.expect_partial()  # no Adam slots in a never-fitted model's checkpoint
        elif k == "keras":
            m = keras.saving.load_model(c["file"])
            summary = summary_text(m)
        else:
            m = keras.saving.load_model(c["fixture"])
            m.load_weights(c["file"])
        xs = [np.load(p) for p in c["xs"]]
        ys = m.predict(xs if len(xs) > 1 else xs[0], verbose=0)
        if not isinstance(ys, (list, tuple)):
            ys = [ys]
        for i, y in enumerate(ys):
            np.save(f"{c['out']}_{i}.npy", np.asarray(y, dtype=np.float32))
        done.append({"id": c["id"], "summary": summary})
    print(json.dumps(done))


main()
