"""Runs SavedModel directories with real TensorFlow's tf.saved_model.load.

Usage: savedmodel_predict.py X.npy DIR [DIR ...]. For each directory, the serving_default
signature is called on X and its only output written as DIR/y.npy; the last line printed is
a JSON list of the output keys.
"""
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402


def main(x_path, dirs):
    x = tf.constant(np.load(x_path))
    keys = []
    for d in dirs:
        fn = tf.saved_model.load(d).signatures["serving_default"]
        out = fn(x)
        (k, y), = out.items()
        np.save(os.path.join(d, "y.npy"), np.asarray(y, dtype=np.float32))
        keys.append(k)
    print(json.dumps(keys))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
