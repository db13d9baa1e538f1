"""Optimizer state through a SavedModel, for several tf_keras optimizers.

usage: savedmodel_opt.py make OUT      writes OUT/<name>/ for each optimizer below: a small
                                       Sequential trained 3 steps, saved with model.save(); and
                                       OUT/<name>.json: {"variables": {name: [values...]}} of the
                                       live optimizer. Also OUT/layers/ (tf_keras model.save of a
                                       model with AveragePooling2D valid/same, Activation, elu and
                                       softplus), OUT/layers_x.npy and OUT/layers_p.npy (its predict)
       savedmodel_opt.py check DIR...  for each DIR: tf_keras.models.load_model(DIR), builds the
                                       optimizer (a legacy optimizer_v2 one too); prints a list of
                                       {"class", "iterations", "variables": {name: [...]}}
"""
import json
import os
import sys

import numpy as np
import tf_keras as keras
from tf_keras import layers

OPTIMIZERS = {
    "sgd_momentum": lambda: keras.optimizers.SGD(learning_rate=0.01, momentum=0.9),
    "rmsprop_centered": lambda: keras.optimizers.RMSprop(learning_rate=0.01, momentum=0.5, centered=True),
    "adam_amsgrad": lambda: keras.optimizers.Adam(amsgrad=True),
}


def opt_vars(opt):
    vs = opt.variables() if callable(opt.variables) else opt.variables
    return {v.name: np.asarray(v, dtype=np.float64).ravel().tolist() for v in vs}


if sys.argv[1] == "make":
    out = sys.argv[2]
    keras.utils.set_random_seed(3)
    rng = np.random.default_rng(3)
    x = rng.random((12, 6, 6, 2), dtype=np.float32)
    y = rng.integers(0, 3, 12)
    for name, make in OPTIMIZERS.items():
        m = keras.Sequential([
            layers.Conv2D(3, 3, activation="relu", input_shape=(6, 6, 2), name="conv"),
            layers.BatchNormalization(name="bn"),
            layers.Flatten(name="flat"),
            layers.Dense(3, activation="softmax", name="out"),
        ])
        m.compile(optimizer=make(), loss="sparse_categorical_crossentropy")
        m.fit(x, y, batch_size=4, epochs=1, verbose=0, shuffle=False)
        m.save(os.path.join(out, name))
        with open(os.path.join(out, name + ".json"), "w") as f:
            json.dump({"class": type(m.optimizer).__name__, "iterations": int(m.optimizer.iterations.numpy()),
                       "variables": opt_vars(m.optimizer)}, f)
    m = keras.Sequential([
        layers.Conv2D(4, 3, padding="same", input_shape=(9, 9, 2), name="c"),
        layers.AveragePooling2D(2, strides=2, padding="same", name="ap"),
        layers.Activation("tanh", name="act"),
        layers.AveragePooling2D(3, padding="valid", name="ap2"),
        layers.Flatten(name="flat"),
        layers.Dense(5, activation="elu", name="d"),
        layers.Dense(3, activation="softplus", name="o"),
    ])
    m.compile(optimizer="adam", loss="mse")
    lx = rng.random((6, 9, 9, 2), dtype=np.float32)
    m.fit(lx, rng.random((6, 3), dtype=np.float32), verbose=0)
    m.save(os.path.join(out, "layers"))
    np.save(os.path.join(out, "layers_x.npy"), lx)
    np.save(os.path.join(out, "layers_p.npy"), m.predict(lx, verbose=0))
    print(json.dumps(sorted(OPTIMIZERS)))
else:
    res = []
    for d in sys.argv[2:]:
        m = keras.models.load_model(d)
        it = int(m.optimizer.iterations.numpy())
        if hasattr(m.optimizer, "_create_all_weights"):  # legacy optimizer_v2
            m.optimizer._create_all_weights(m.trainable_variables)
        else:
            m.optimizer.build(m.trainable_variables)
        res.append({"class": type(m.optimizer).__name__, "iterations": it, "variables": opt_vars(m.optimizer)})
    print(json.dumps(res))
