"""Trains a model Go saved with Keras's own fit and TensorBoard callback, and lists the events.

Usage: tb_fit.py LIB MODEL DATA_DIR LOGDIR UPDATE_FREQ

LIB is "keras" (Keras 3) or "tf_keras"; MODEL the compiled model file Go saved before training;
DATA_DIR holds x.npy, y.npy (training) and vx.npy, vy.npy (validation, optional). fit runs
3 epochs, batches of 8, validation batches of 4, no shuffling. Prints JSON: per run
("train", "validation"), the number of event files and every summary value in file order as
[tag, step, value] (value null for non-scalars).
"""
import glob
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402


def main():
    lib, model_path, data, logdir, uf = sys.argv[1:6]
    uf = int(uf) if uf.isdigit() else uf
    if lib == "keras":
        import keras as K
        model = K.saving.load_model(model_path)
    else:
        import tf_keras as K
        model = K.models.load_model(model_path)
    x, y = np.load(os.path.join(data, "x.npy")), np.load(os.path.join(data, "y.npy"))
    kw = {}
    if os.path.exists(os.path.join(data, "vx.npy")):
        kw["validation_data"] = (np.load(os.path.join(data, "vx.npy")), np.load(os.path.join(data, "vy.npy")))
        kw["validation_batch_size"] = 4
    model.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0,
              callbacks=[K.callbacks.TensorBoard(log_dir=logdir, update_freq=uf)], **kw)
    out = {}
    for run in ("train", "validation"):
        files = sorted(glob.glob(os.path.join(logdir, run, "events.out.tfevents.*")))
        vals = []
        for f in files:
            for e in tf.compat.v1.train.summary_iterator(f):
                for v in e.summary.value:
                    val = None
                    if v.metadata.plugin_data.plugin_name == "scalars":
                        val = float(tf.make_ndarray(v.tensor))
                    vals.append([v.tag, e.step, val])
        out[run] = {"files": len(files), "values": vals}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
