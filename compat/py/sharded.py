"""Checks kerasgo's sharded files against real Keras / TensorFlow (compat/sharded_test.go).

Usage:
  sharded.py k3load MODELDIR MANIFEST MAXBYTES OUTDIR
      Keras 3 load_model(MODELDIR) as the reference; a second copy with every weight and
      optimizer variable set to zero, then load_weights(MANIFEST) (Go's sharded weights);
      compares every weight and optimizer variable with the reference, bit for bit, and the
      predictions on MODELDIR/../unzipped_dump/x.npy. Then the reference's own
      save_weights(OUTDIR/go.weights.json, max_shard_size=MAXBYTES/2**30), for the caller to
      compare byte for byte.
  sharded.py tfmerge DEST PREFIX...
      tf.raw_ops.MergeV2Checkpoints(checkpoint_prefixes=PREFIX..., destination_prefix=DEST)
      (TensorFlow's own merge of the worker bundles Go wrote), then tf.train.load_checkpoint
      of DEST: every tensor's dtype, shape and values.
  sharded.py tfread PREFIX
      tf.train.load_checkpoint(PREFIX): every tensor's dtype, shape and values.
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


def read_all(prefix):
    import tensorflow as tf
    r = tf.train.load_checkpoint(prefix)
    out = {}
    for k, _ in sorted(r.get_variable_to_shape_map().items()):
        v = np.asarray(r.get_tensor(k))
        vals = [x.hex() if isinstance(x, bytes) else repr(x) for x in v.reshape(-1).tolist()]
        out[k] = {"dtype": str(v.dtype), "shape": list(v.shape), "values": vals}
    return out


def tfmerge(dest, prefixes):
    import tensorflow as tf
    tf.raw_ops.MergeV2Checkpoints(checkpoint_prefixes=tf.constant(prefixes), destination_prefix=tf.constant(dest),
                                  delete_old_dirs=True)
    print(json.dumps(read_all(dest)))


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "k3load":
        k3load(*sys.argv[2:6])
    elif mode == "tfmerge":
        tfmerge(sys.argv[2], sys.argv[3:])
    elif mode == "tfread":
        print(json.dumps(read_all(sys.argv[2])))
    else:
        sys.exit(f"unknown mode {mode}")
