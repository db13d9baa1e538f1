"""Writes the reference files the h5 compat tests start from, with real tf_keras and Keras 3.

usage: h5_make.py OUTDIR

OUTDIR gets: x.npy, y.npy (a small batch), tfk_model.h5 (tf_keras 2.x Sequential CNN compiled
with Adam and trained one step, model.save), k3_model.keras (the same with Keras 3), and
tfk_chunked_weights.h5 (save_weights of a model whose layer_names attribute Keras splits into
layer_names0, layer_names1, ...). Prints a JSON summary.
"""
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
import numpy as np

out = sys.argv[1]
rng = np.random.default_rng(0)
x = rng.random((8, 12, 12, 1), dtype=np.float32)
y = rng.integers(0, 3, 8).astype(np.int64)
np.save(os.path.join(out, "x.npy"), x)
np.save(os.path.join(out, "y.npy"), y)


def build(K, k3):
    L = K.layers
    first = K.Input((12, 12, 1)) if k3 else L.InputLayer(input_shape=(12, 12, 1))
    m = K.Sequential([
        first,
        L.Conv2D(4, 3, activation="relu", name="conv_1"),
        L.BatchNormalization(name="bn_1"),
        L.MaxPooling2D(name="pool_1"),
        L.Flatten(name="flatten"),
        L.Dense(8, activation="relu", name="dense_1"),
        L.Dropout(0.2, name="dropout"),
        L.Dense(3, activation="softmax", name="dense_2"),
    ], name="seq")
    m.compile(optimizer=K.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    m.fit(x, y, epochs=2, batch_size=8, verbose=0)
    return m


import tf_keras

tfk = build(tf_keras, False)
tfk.save(os.path.join(out, "tfk_model.h5"))

chunked = tf_keras.Sequential([tf_keras.layers.InputLayer(input_shape=(1,))] +
                              [tf_keras.layers.Dense(1, name="d%03d_" % i + "x" * 240) for i in range(300)])
chunked.save_weights(os.path.join(out, "tfk_chunked_weights.h5"))
chunk_names = [l.name for l in chunked.layers]

import keras

k3 = build(keras, True)
k3.save(os.path.join(out, "k3_model.keras"))
print(json.dumps({"tf_keras": tf_keras.__version__, "keras": keras.__version__, "chunked_layers": chunk_names}))
