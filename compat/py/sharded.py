"""Checks kerasgo's sharded files against real Keras / TensorFlow (compat/sharded_test.go).

Usage:
  sharded.py k3load MODELDIR MANIFEST MAXBYTES OUTDIR
      Keras 3 load_model(MODELDIR) as the reference; a second copy with every weight and
      optimizer variable set to zero, then load_weights(MANIFEST) (Go's sharded weights);
      compares every weight and optimizer variable with the reference, bit for bit, and the
      predictions on MODELDIR/../unzipped_dump/x.npy. Then the reference's own
      save_weights(OUTDIR/go.weights.json, max_shard_size=MAXBYTES/2**30), for the caller to
      compare byte for byte.
The last line of stdout is JSON.
"""
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import warnings  # noqa: E402

warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402


def k3load(model_dir, manifest, max_bytes, out_dir):
    import keras
    ref = keras.saving.load_model(model_dir)
    m = keras.saving.load_model(model_dir)
    for v in m.weights + m.optimizer.variables:
        v.assign(np.zeros(v.shape, v.dtype))
    m.load_weights(manifest)
    mismatches = []
    for a, b in zip(ref.weights, m.weights):
        if not np.array_equal(a.numpy(), b.numpy()):
            mismatches.append(a.path)
    for i, (a, b) in enumerate(zip(ref.optimizer.variables, m.optimizer.variables)):
        if not np.array_equal(a.numpy(), b.numpy()):
            mismatches.append(f"optimizer/{i}:{a.path}")
    dump = os.path.join(os.path.dirname(os.path.abspath(model_dir)), "unzipped_dump")
    x, y = np.load(os.path.join(dump, "x.npy")), np.load(os.path.join(dump, "y.npy"))
    d = float(np.max(np.abs(m.predict(x, verbose=0) - y)))
    ref.save_weights(os.path.join(out_dir, "go.weights.json"), max_shard_size=int(max_bytes) / 2**30)
    print(json.dumps({"weights": len(m.weights), "optimizer": len(m.optimizer.variables),
                      "mismatches": mismatches, "max_diff": d,
                      "iterations": int(m.optimizer.iterations.numpy())}))


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "k3load":
        k3load(*sys.argv[2:6])
    else:
        sys.exit(f"unknown mode {mode}")
