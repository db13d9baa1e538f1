"""Loads Go-written files of models with channels_first Conv2D / pooling layers and predicts.

usage: chfirst_load.py CASES.json

CASES.json is a list of {"id", "h5", "keras", "savedmodel", "x"}: Go's tf_keras .h5, Keras 3
.keras and SavedModel of one model, and an input .npy. For each case this writes, in the
directory of CASES.json, <id>.<loader>.npy for the loaders tfkeras (load_model of the .h5),
keras3 (load_model of the .keras), tfkeras_sm (load_model of the SavedModel) and serve
(tf.saved_model.load(...).signatures["serving_default"]), and prints the list of ids done.
"""
import json
import os
import sys

import numpy as np
import tensorflow as tf
import tf_keras
import keras  # Keras 3

cases = json.load(open(sys.argv[1]))
outdir = os.path.dirname(sys.argv[1])
done = []
for c in cases:
    x = np.load(c["x"])
    ys = {
        "tfkeras": tf_keras.models.load_model(c["h5"]).predict(x, verbose=0),
        "keras3": keras.saving.load_model(c["keras"]).predict(x, verbose=0),
        "tfkeras_sm": tf_keras.models.load_model(c["savedmodel"]).predict(x, verbose=0),
    }
    fn = tf.saved_model.load(c["savedmodel"]).signatures["serving_default"]
    ys["serve"] = list(fn(tf.constant(x)).values())[0].numpy()
    for k, v in ys.items():
        np.save(os.path.join(outdir, f"{c['id']}.{k}.npy"), np.asarray(v, dtype=np.float32))
    done.append(c["id"])
print(json.dumps(done))
