"""Loads every file Go wrote in TestSeedWorkflow with real tf_keras and Keras 3, evaluates and
predicts on Go's test data, and prints {case: {Loss, Accuracy, PredDiff, Error}} as JSON.

usage: seed_workflow.py DIR   (DIR holds x.npy, y.npy, pred.npy, config_keras2.json and the
saved files)
"""
import json
import os
import sys
import traceback

import numpy as np

d = sys.argv[1]
x = np.load(os.path.join(d, "x.npy"))
y = np.load(os.path.join(d, "y.npy")).astype("int64")
pred = np.load(os.path.join(d, "pred.npy"))
out = {}


def record(name, fn):
    try:
        m = fn()
        loss, acc = m.evaluate(x, y, batch_size=64, verbose=0)
        p = m.predict(x, batch_size=64, verbose=0)
        out[name] = {"Loss": float(loss), "Accuracy": float(acc),
                     "PredDiff": float(np.max(np.abs(p - pred)))}
    except Exception as e:  # reported to the Go test, which fails on it
        out[name] = {"Error": f"{type(e).__name__}: {e}".splitlines()[0][:400]}
        traceback.print_exc(file=sys.stderr)


import tf_keras  # noqa: E402

with open(os.path.join(d, "config_keras2.json")) as f:
    config = f.read()


def tfk_compile(m):
    m.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


def tfk_weights(path):
    def fn():
        m = tf_keras.models.model_from_json(config)
        m.load_weights(os.path.join(d, path))
        return tfk_compile(m)
    return fn


record("tf_keras load_model model.h5", lambda: tf_keras.models.load_model(os.path.join(d, "model.h5")))
record("tf_keras load_model newmodel", lambda: tf_keras.models.load_model(os.path.join(d, "newmodel")))
record("tf_keras load_weights weights_folder/my_weights", tfk_weights("weights_folder/my_weights"))
record("tf_keras load_weights weights.h5", tfk_weights("weights.h5"))

import keras  # noqa: E402


def k3_compile(m):
    m.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


def k3_weights():
    m = keras.saving.load_model(os.path.join(d, "model.keras"), compile=False)
    fresh = keras.models.clone_model(m)
    fresh.load_weights(os.path.join(d, "model.weights.h5"))
    return k3_compile(fresh)


# Keras 3 recompiles .h5 files from their training config; compile explicitly so that the
# metric is the same "accuracy" whatever the file's optimizer.
record("keras3 load_model model.h5", lambda: k3_compile(keras.saving.load_model(os.path.join(d, "model.h5"), compile=False)))
record("keras3 load_model model.keras", lambda: keras.saving.load_model(os.path.join(d, "model.keras")))
record("keras3 load_weights model.weights.h5", k3_weights)
print(json.dumps(out))
