"""Loads models kerasgo wrote, in every format, with real tf_keras, Keras 3 and TensorFlow, in
one process, and runs them.

Usage: apps_load.py DIR. DIR/cases.json lists {"id", "how", "path", "config" (a JSON config
file, for weights files), "x" (npy path)}; how is one of
  tf_keras_model   tf_keras.models.load_model(path, compile=False)
  keras_model      keras.saving.load_model(path, compile=False)
  keras_weights    keras.models.model_from_json(config) then load_weights(path)
  tf_keras_weights tf_keras.models.model_from_json(config) then load_weights(path)
                   (a TF checkpoint prefix or a tf_keras .h5 weights file)
  savedmodel       tf.saved_model.load(path).signatures["serving_default"]
The prediction on x is written as DIR/<id>_y.npy; the last line printed is a JSON list of
{"id", "n_outputs"} or, where loading or predicting raised, {"id", "error"} (the exception's
class and first line). For the Keras models, "fingerprints" lists, per variable of
model.weights, sum_i v[i]·cos(i) over its values in C order (layout-sensitive), sorted.
"""
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import warnings  # noqa: E402

warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras  # noqa: E402
import keras  # noqa: E402


def run(c):
    x = np.load(c["x"])
    how, path = c["how"], c["path"]
    if how == "savedmodel":
        out = tf.saved_model.load(path).signatures["serving_default"](tf.constant(x))
        return [v.numpy() for _, v in sorted(out.items())], None
    if how.startswith("tf_keras"):
        tf_keras.backend.clear_session()
        if how == "tf_keras_model":
            m = tf_keras.models.load_model(path, compile=False)
        else:
            with open(c["config"]) as f:
                m = tf_keras.models.model_from_json(f.read())
            m.load_weights(path)
    else:
        keras.backend.clear_session()
        if how == "keras_model":
            m = keras.saving.load_model(path, compile=False)
        else:
            with open(c["config"]) as f:
                m = keras.models.model_from_json(f.read())
            m.load_weights(path)
    ys = m.predict(x, verbose=0)
    fps = sorted(fingerprint(np.asarray(v.numpy())) for v in m.weights)
    return (ys if isinstance(ys, (list, tuple)) else [ys]), fps


def fingerprint(a):
    f = a.astype(np.float64).ravel()
    return float(np.dot(f, np.cos(np.arange(f.size, dtype=np.float64))))


def main(d):
    with open(os.path.join(d, "cases.json")) as f:
        cases = json.load(f)
    out = []
    for c in cases:
        try:
            ys, fps = run(c)
        except Exception as e:  # reported: the Go test decides which failures Keras has
            out.append({"id": c["id"], "error": "%s: %s" % (type(e).__name__, str(e).strip().splitlines()[0][:300])})
            continue
        np.save(os.path.join(d, c["id"] + "_y.npy"), np.asarray(ys[0], dtype=np.float32))
        out.append({"id": c["id"], "n_outputs": len(ys), "fingerprints": fps})
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1])
