"""Loads a SavedModel with tf_keras.models.load_model and reports what Keras sees.

usage: savedmodel_keras.py DIR X.npy Y.npy [REF]

Prints JSON: the class of the loaded object, its summary text, predict(x), evaluate(x, y),
the optimizer's class, iteration count and variables (after building it), then the weights
after one train_on_batch(x, y) and, with REF, their largest difference from the reference
weights: REF is a folder of NN.npy files (model.get_weights() order), or a model file
tf_keras wrote (.h5) that is loaded here and takes the same step in this process (TF's
training results differ between CPUs, so a committed step is never the reference). Elements
whose gradient is zero up to rounding are left out of after_vs_ref; after_vs_ref_all has
them. Every Dropout rate is set to 0 for that step, so it is deterministic.
"""
import json
import os
import sys

import numpy as np
import tensorflow as tf
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
for layer in m.layers:
    if isinstance(layer, keras.layers.Dropout):
        layer.rate = 0.0
m.make_train_function(force=True)
# The step's gradients, to mark elements whose exact gradient is zero (a conv bias feeding a
# BatchNormalization through relu and pooling): their computed gradient is rounding noise that
# Adam amplifies to a full step, so no other computation reproduces their new value. The
# forward pass in training mode moves BatchNormalization's statistics: restore them. TF's own
# float32 sums leave such gradients at up to ~2e-6 of the largest one: threshold 1e-5.
before = m.get_weights()
with tf.GradientTape() as tape:
    loss = m.compiled_loss(tf.constant(y), m(x, training=True))
grads = dict(zip([id(v) for v in m.trainable_variables], tape.gradient(loss, m.trainable_variables)))
m.set_weights(before)
top = max(float(np.abs(g.numpy()).max()) for g in grads.values())
noise = [np.abs(grads[id(v)].numpy()) < 1e-5 * top if id(v) in grads else np.zeros(v.shape, bool) for v in m.weights]
m.train_on_batch(x, y)
res["iterations_after"] = int(m.optimizer.iterations.numpy())
after = m.get_weights()
res["after"] = [w.ravel().tolist() for w in after]
if ref:
    if ref.endswith(".h5"):
        r = keras.models.load_model(ref)
        for layer in r.layers:
            if isinstance(layer, keras.layers.Dropout):
                layer.rate = 0.0
        r.make_train_function(force=True)
        r.train_on_batch(x, y)
        want = r.get_weights()
    else:
        want = [np.load(os.path.join(ref, "%02d.npy" % i)) for i in range(len(after))]
    diffs = [np.abs(w - want[i]) for i, w in enumerate(after)]
    res["after_vs_ref_all"] = max(float(d.max()) for d in diffs)
    res["after_vs_ref"] = max(float(np.where(noise[i], 0, d).max()) for i, d in enumerate(diffs))
    res["noise_elements"] = int(sum(n.sum() for n in noise))
print(json.dumps(res))
