"""Loads bfloat16 models kerasgo wrote with Keras 3.

Usage: bf16w_load.py X.npy CONFIG.json MODEL.keras WEIGHTS.weights.h5 OUT_DIR. The .keras file
is loaded with keras.saving.load_model (compiled), the .weights.h5 into a model built from
CONFIG.json; each predicts X (written as OUT_DIR/keras_y.npy and OUT_DIR/weights_y.npy). The
last line printed is a JSON object: per file the variables' dtypes by path, the optimizer's
iterations and its variables' dtypes (the .keras file).
"""
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import warnings  # noqa: E402

warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402
import keras  # noqa: E402


def main(x_path, config, model_path, weights_path, out):
    x = np.load(x_path)
    m = keras.saving.load_model(model_path)
    np.save(os.path.join(out, "keras_y.npy"), np.asarray(m.predict(x, verbose=0), dtype=np.float32))
    res = {"keras": {"weights": {v.path: str(v.dtype) for v in m.weights},
                     "iterations": int(m.optimizer.iterations.numpy()),
                     "optimizer": [str(v.dtype) for v in m.optimizer.variables]}}
    with open(config) as f:
        w = keras.models.model_from_json(f.read())
    w.load_weights(weights_path)
    np.save(os.path.join(out, "weights_y.npy"), np.asarray(w.predict(x, verbose=0), dtype=np.float32))
    res["weights"] = {"weights": {v.path: str(v.dtype) for v in w.weights}}
    print(json.dumps(res))


if __name__ == "__main__":
    main(*sys.argv[1:6])
