"""Loads a SavedModel with tf_keras.models.load_model and reports what Keras sees.

usage: savedmodel_keras.py DIR X.npy Y.npy [REF_AFTER_DIR]

Prints JSON: the class of the loaded object, its summary text, predict(x), evaluate(x, y),
the optimizer's class, iteration count and variables (after building it), then the weights
after one train_on_batch(x, y) and, with REF_AFTER_DIR, their largest difference from the
reference weights there.
"""
import json
import os
import sys

import numpy as np
import tf_keras as keras

d, xp, yp = sys.argv[1:4]
ref = sys.argv[4] if len(sys.argv) > 4 else None
x, y = np.load(xp), np.load(yp)
m = keras.models.load_model(d)
res = {"class": type(m).__name__}
lines = []
m.summary(print_fn=lambda s, **kw: lines.append(s))
res["summary"] = "\n".join(lines) + "\n"
res["predict"] = m.predict(x, verbose=0).tolist()
res["optimizer"] = type(m.optimizer).__name__
res["iterations"] = int(m.optimizer.iterations.numpy())
m.optimizer.build(m.trainable_variables)
res["optimizer_variables"] = {v.name: float(np.asarray(v, dtype=np.float64).sum()) for v in m.optimizer.variables()}
res["evaluate"] = m.evaluate(x, y, verbose=0)
m.train_on_batch(x, y)
res["iterations_after"] = int(m.optimizer.iterations.numpy())
after = m.get_weights()
res["after"] = [w.ravel().tolist() for w in after]
if ref:
    diffs = [float(np.abs(w - np.load(os.path.join(ref, "%02d.npy" % i))).max()) for i, w in enumerate(after)]
    res["after_vs_ref"] = max(diffs)
print(json.dumps(res))
