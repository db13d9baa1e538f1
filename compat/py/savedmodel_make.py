"""Writes a tf_keras SavedModel of the seed CNN with real optimizer state, and the reference
values the Go side and savedmodel_keras.py compare against.

usage: savedmodel_make.py OUT

OUT/tfk_sm/       model.save() of the seed model (Dropout rate 0 so a training step is
                  deterministic), compiled with adam / sparse_categorical_crossentropy /
                  accuracy and trained 2 steps
OUT/x.npy, y.npy  a batch of 8 inputs and int64 labels
OUT/ref_after/NN.npy  model.get_weights() after one more train_on_batch(x, y) on the live model
Prints JSON: summary text, predictions, evaluate() and the iteration count before that step.
"""
import json
import os
import sys

import numpy as np
import tensorflow as tf
import tf_keras as keras
from tf_keras import layers

out = sys.argv[1]
tf.keras.utils.set_random_seed(7) if hasattr(tf.keras.utils, "set_random_seed") else None
keras.utils.set_random_seed(7)
m = keras.Sequential([
    layers.Conv2D(16, (3, 3), activation="relu", input_shape=(32, 32, 3), name="conv_1"),
    layers.MaxPooling2D((4, 4), name="pool_1"),
    layers.BatchNormalization(),
    layers.Flatten(name="flatten"),
    layers.Dense(32, activation="relu", name="dense_1"),
    layers.Dropout(0.0),
    layers.Dense(10, activation="softmax", name="dense_2"),
])
m.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
rng = np.random.default_rng(7)
xt = rng.random((16, 32, 32, 3), dtype=np.float32)
yt = rng.integers(0, 10, 16).astype(np.int64)
m.fit(xt, yt, batch_size=8, epochs=1, verbose=0, shuffle=False)
m.save(os.path.join(out, "tfk_sm"))
x = rng.random((8, 32, 32, 3), dtype=np.float32)
y = rng.integers(0, 10, 8).astype(np.int64)
np.save(os.path.join(out, "x.npy"), x)
np.save(os.path.join(out, "y.npy"), y)
lines = []
m.summary(print_fn=lambda s, **kw: lines.append(s))
pred = m.predict(x, verbose=0)
ev = m.evaluate(x, y, verbose=0)
it = int(m.optimizer.iterations.numpy())
m.train_on_batch(x, y)
os.makedirs(os.path.join(out, "ref_after"))
for i, w in enumerate(m.get_weights()):
    np.save(os.path.join(out, "ref_after", "%02d.npy" % i), w)
print(json.dumps({"summary": "\n".join(lines) + "\n", "predict": pred.tolist(), "evaluate": ev,
                  "iterations": it, "n_weights": len(m.get_weights())}))
