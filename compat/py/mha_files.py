"""Loads Go-written files of the testdata/layers_mha models in real tf_keras and Keras 3.

Usage: mha_files.py CASES.json. Each case {"id", "kind", "file", "fixture", "xs", "out"}:
kind h5 → tf_keras.models.load_model(file); ckpt, wh5 → the fixture's tf_keras model
(.h5) with load_weights(file); keras → keras.saving.load_model(file); k3w → the fixture's
Keras 3 model (.keras) with load_weights(file). The prediction on the inputs xs is written to
out; the ids done are printed as JSON.
"""
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np
import tensorflow as tf  # noqa: F401
import tf_keras
import keras


def main():
    with open(sys.argv[1]) as f:
        cases = json.load(f)
    done = []
    for c in cases:
        k = c["kind"]
        if k == "h5":
            m = tf_keras.models.load_model(c["file"])
        elif k in ("ckpt", "wh5"):
            m = tf_keras.models.load_model(c["fixture"])
            st = m.load_weights(c["file"])
            if k == "ckpt":
                # Go's checkpoint of a never-fitted model holds no Adam slots, which
                # load_weights creates: only the layers' variables are asserted (and the
                # prediction shows they were restored).
                st.expect_partial()
        elif k == "keras":
            m = keras.saving.load_model(c["file"])
        else:
            m = keras.saving.load_model(c["fixture"])
            m.load_weights(c["file"])
        xs = [np.load(p) for p in c["xs"]]
        y = m.predict(xs if len(xs) > 1 else xs[0], verbose=0)
        np.save(c["out"], np.asarray(y, dtype=np.float32))
        done.append(c["id"])
    print(json.dumps(done))


main()
