"""Trains models with weight regularizers and constraints in real Keras, for kerasgo's
regularizer compat test (compat/regularizer_test.go).

Usage:
  reg_train.py make LIB CASE OPT OUT
      LIB is "tf_keras" or "keras" (Keras 3); CASE one of dense, conv, rnn, wrap, cells (RNN of a cell
      and of stacked cells), nested (a Functional
      model around a Sequential one), frozen (dense with its first layer frozen); OPT adam or
      sgd. Builds the model (seeded), compiles it, saves OUT/model.h5 (tf_keras) or
      OUT/model.keras (Keras 3) before training, writes OUT/x.npy and OUT/y.npy, runs
      train_on_batch three times, writing OUT/s<k>_<i>.npy (model.get_weights() after step k)
      after steps 1 and 3, and prints JSON {"losses": [three losses], "eval": loss of
      model.evaluate(x, y) after the steps}.
  reg_train.py step LIB PATH X Y OUT
      Loads the model at PATH (compile=True), runs train_on_batch(X, Y) once, writes
      OUT/w_<i>.npy (model.get_weights()) and prints JSON {"loss"}.
"""
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import warnings  # noqa: E402

warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

tf.config.experimental.enable_op_determinism()


def lib_of(name):
    if name == "keras":
        import keras
    else:
        import tf_keras as keras
    return keras


def build(keras, case):
    L, R, C = keras.layers, keras.regularizers, keras.constraints
    if case == "dense":
        x = np.random.default_rng(1).normal(size=(16, 6)).astype("float32")
        y = np.random.default_rng(2).integers(0, 3, size=(16,)).astype("float32")
        layers = [
            keras.Input((6,)),
            L.Dense(8, activation="relu", kernel_regularizer=R.L2(0.01), bias_regularizer=R.L1(0.02),
                    kernel_constraint=C.MaxNorm(0.6), bias_initializer="ones"),
            L.Dense(3, activation="softmax", kernel_regularizer=R.L1L2(l1=0.01, l2=0.02),
                    kernel_constraint=C.UnitNorm(axis=0), bias_constraint=C.NonNeg(),
                    bias_initializer=keras.initializers.Constant([0.1, -0.1, 0.0])),
        ]
    elif case == "conv":
        x = np.random.default_rng(3).normal(size=(8, 6, 6, 2)).astype("float32")
        y = np.random.default_rng(4).integers(0, 3, size=(8,)).astype("float32")
        layers = [
            keras.Input((6, 6, 2)),
            L.Conv2D(4, 3, activation="relu", kernel_regularizer=R.L2(0.05), bias_regularizer=R.L1L2(l1=0.01, l2=0.01),
                     kernel_constraint=C.MaxNorm(0.8, axis=[0, 1, 2])),
            L.BatchNormalization(gamma_regularizer=R.L2(0.1), beta_regularizer=R.L1(0.05),
                                 gamma_constraint=C.MinMaxNorm(min_value=0.5, max_value=1.5, rate=0.7),
                                 beta_constraint=C.NonNeg()),
            L.Flatten(),
            L.Dense(3, activation="softmax", kernel_regularizer=R.L1(0.01), kernel_constraint=C.MaxNorm(1.0, axis=1)),
        ]
    elif case == "rnn":
        x = np.random.default_rng(5).integers(0, 10, size=(8, 5)).astype("float32")
        y = np.random.default_rng(6).integers(0, 3, size=(8,)).astype("float32")
        layers = [
            keras.Input((5,)),
            L.Embedding(10, 4, embeddings_regularizer=R.L2(0.05), embeddings_constraint=C.MaxNorm(0.3, axis=1)),
            L.LSTM(5, kernel_regularizer=R.L1L2(l1=0.01, l2=0.01), recurrent_regularizer=R.L2(0.02),
                   bias_regularizer=R.L1(0.01), recurrent_constraint=C.UnitNorm(axis=1), kernel_constraint=C.NonNeg()),
            L.Dense(3, activation="softmax"),
        ]
    elif case == "wrap":
        x = np.random.default_rng(7).normal(size=(8, 4, 3)).astype("float32")
        y = np.random.default_rng(8).integers(0, 2, size=(8,)).astype("float32")
        layers = [
            keras.Input((4, 3)),
            L.TimeDistributed(L.Dense(4, kernel_regularizer=R.L2(0.05), kernel_constraint=C.MaxNorm(0.5))),
            L.Bidirectional(L.LSTM(3, kernel_regularizer=R.L1(0.02), recurrent_constraint=C.MaxNorm(0.7))),
            L.Dense(2, activation="softmax", bias_regularizer=R.L2(0.3)),
        ]
    elif case == "cells":
        x = np.random.default_rng(11).normal(size=(8, 4, 3)).astype("float32")
        y = np.random.default_rng(12).integers(0, 2, size=(8,)).astype("float32")
        layers = [
            keras.Input((4, 3)),
            L.RNN(L.LSTMCell(4, kernel_regularizer=R.L2(0.05), recurrent_constraint=C.MaxNorm(0.6)), return_sequences=True),
            L.RNN([L.GRUCell(3, kernel_regularizer=R.L1(0.02)),
                   L.SimpleRNNCell(2, bias_regularizer=R.L2(0.1), kernel_constraint=C.UnitNorm())]),
            L.Dense(2, activation="softmax"),
        ]
    elif case == "nested":
        x = np.random.default_rng(9).normal(size=(16, 6)).astype("float32")
        y = np.random.default_rng(10).integers(0, 3, size=(16,)).astype("float32")
        inner = keras.Sequential([
            keras.Input((6,)),
            L.Dense(5, activation="tanh", kernel_regularizer=R.L1L2(l1=0.02, l2=0.03),
                    kernel_constraint=C.MinMaxNorm(0.2, 0.6, rate=0.5, axis=0)),
        ], name="inner")
        inp = keras.Input((6,))
        out = L.Dense(3, activation="softmax", kernel_regularizer=R.L2(0.04))(inner(inp))
        return keras.Model(inp, out), x, y
    elif case == "frozen":
        m, x, y = build(keras, "dense")
        # tf_keras adds a frozen layer's penalty to the loss, Keras 3 does not.
        m.layers[0].trainable = False
        return m, x, y
    else:
        raise SystemExit(f"unknown case {case}")
    return keras.Sequential(layers), x, y


def make(lib, case, opt, out):
    keras = lib_of(lib)
    keras.utils.set_random_seed(13)
    m, x, y = build(keras, case)
    o = keras.optimizers.Adam(learning_rate=0.05) if opt == "adam" else keras.optimizers.SGD(learning_rate=0.1, momentum=0.5)
    m.compile(optimizer=o, loss="sparse_categorical_crossentropy")
    os.makedirs(out, exist_ok=True)
    m.save(os.path.join(out, "model.h5" if lib == "tf_keras" else "model.keras"))
    np.save(os.path.join(out, "x.npy"), x)
    np.save(os.path.join(out, "y.npy"), y)
    losses = []
    for k in range(1, 4):
        loss = m.train_on_batch(x, y)
        losses.append(float(loss[0] if isinstance(loss, (list, tuple)) else loss))
        if k in (1, 3):
            for i, w in enumerate(m.get_weights()):
                np.save(os.path.join(out, f"s{k}_{i}.npy"), w)
    ev = m.evaluate(x, y, batch_size=16, verbose=0)
    print(json.dumps({"losses": losses, "eval": float(ev[0] if isinstance(ev, (list, tuple)) else ev)}))


def step(lib, path, x, y, out):
    keras = lib_of(lib)
    m = keras.models.load_model(path)
    loss = m.train_on_batch(np.load(x), np.load(y))
    os.makedirs(out, exist_ok=True)
    for i, w in enumerate(m.get_weights()):
        np.save(os.path.join(out, f"w_{i}.npy"), w)
    print(json.dumps({"loss": float(loss[0] if isinstance(loss, (list, tuple)) else loss)}))


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(*sys.argv[2:6])
    elif sys.argv[1] == "step":
        step(*sys.argv[2:7])
    else:
        raise SystemExit(__doc__)
