"""Continues training a saved model in real Keras, for kerasgo's training compat tests.

Usage:
  train_continue.py continue LIB PATH X Y OUT
      LIB is "tf_keras" or "keras" (Keras 3). Loads the model at PATH with its optimizer
      (compile=True), runs train_on_batch(X, Y) once, writes OUT/w_<i>.npy for every value of
      model.get_weights() and prints, as the last line, JSON {"loss", "iterations_before",
      "iterations", "optimizer", "learning_rate"}.
  train_continue.py evaluate LIB PATH X Y
      Loads the model at PATH and prints JSON {"loss", "accuracy"} from model.evaluate(X, Y,
      batch_size=32).
  train_continue.py make OUT
      Builds a small seed-like CNN in tf_keras, compiles it (Adam), trains two steps on
      random batches, saves OUT/model.h5 with its optimizer, writes the next batch as
      OUT/x.npy and OUT/y.npy, then trains on it and writes OUT/after_<i>.npy
      (model.get_weights()) and prints JSON {"loss", "iterations"}.
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


def cont(lib, path, x, y, out):
    if lib == "keras":
        import keras
    else:
        import tf_keras as keras
    m = keras.models.load_model(path)
    opt = m.optimizer
    before = int(opt.iterations.numpy())
    loss = m.train_on_batch(np.load(x), np.load(y))
    if isinstance(loss, (list, tuple)):
        loss = loss[0]
    os.makedirs(out, exist_ok=True)
    for i, w in enumerate(m.get_weights()):
        np.save(os.path.join(out, f"w_{i}.npy"), w)
    print(json.dumps({
        "loss": float(loss), "iterations_before": before, "iterations": int(opt.iterations.numpy()),
        "optimizer": type(opt).__name__, "learning_rate": float(opt.learning_rate.numpy()),
    }))


def evaluate(lib, path, x, y):
    if lib == "keras":
        import keras
    else:
        import tf_keras as keras
    m = keras.models.load_model(path)
    loss, acc = m.evaluate(np.load(x), np.load(y), batch_size=32, verbose=0)
    print(json.dumps({"loss": float(loss), "accuracy": float(acc)}))


def make(out):
    import tf_keras as keras
    L = keras.layers
    keras.utils.set_random_seed(3)
    m = keras.Sequential([
        L.Conv2D(4, (3, 3), activation="relu", input_shape=(8, 8, 3), name="conv_1"),
        L.MaxPooling2D((2, 2), name="pool_1"),
        L.BatchNormalization(),
        L.Flatten(name="flatten"),
        L.Dense(8, activation="relu", name="dense_1"),
        L.Dense(3, activation="softmax", name="dense_2"),
    ])
    m.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(5)
    batch = lambda: (rng.random((16, 8, 8, 3), dtype=np.float32), rng.integers(0, 3, (16,)).astype(np.int64))
    for _ in range(2):
        m.train_on_batch(*batch())
    os.makedirs(out, exist_ok=True)
    m.save(os.path.join(out, "model.h5"))
    x, y = batch()
    np.save(os.path.join(out, "x.npy"), x)
    np.save(os.path.join(out, "y.npy"), y)
    loss = m.train_on_batch(x, y)[0]
    for i, w in enumerate(m.get_weights()):
        np.save(os.path.join(out, f"after_{i}.npy"), w)
    print(json.dumps({"loss": float(loss), "iterations": int(m.optimizer.iterations.numpy())}))


if __name__ == "__main__":
    if sys.argv[1] == "continue":
        cont(*sys.argv[2:7])
    elif sys.argv[1] == "evaluate":
        evaluate(*sys.argv[2:6])
    elif sys.argv[1] == "make":
        make(sys.argv[2])
    else:
        sys.exit("usage: train_continue.py continue|make ...")
