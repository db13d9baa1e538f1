"""Runs single layers forward (training=True) and backward in real Keras.

Usage: layers_grads.py DIR. DIR/cases.json lists cases written by compat/layers_test.go:
{"id", "flavor": "keras2"|"keras3", "class_name", "config", "input_shape", "x", "dy",
"weights": [files]}. For each case the layer is deserialised from the Go-written config,
built, given the weights, called with training=True under a GradientTape on sum(y*dy);
the script writes <id>_y.npy, <id>_dx.npy, <id>_g<k>.npy (gradient of the k-th trainable
weight) and <id>_w<k>.npy (every weight after the call: BN moving statistics), and prints
a JSON summary with each layer's get_config().
"""
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np
import tensorflow as tf


def _jsonable(o):
    # As Keras's own JSON encoder writes numpy values (tf_keras's ReLU keeps max_value as an
    # ndarray): the Python value.
    if hasattr(o, "tolist"):
        return o.tolist()
    raise TypeError(type(o).__name__)


def run(case, d):
    if case["flavor"] == "keras2":
        import tf_keras as K
    else:
        import keras as K
    obj = {"class_name": case["class_name"], "config": case["config"]}
    if case["flavor"] == "keras3":
        obj.update({"module": "keras.layers", "registered_name": None})
    layer = K.layers.deserialize(obj)
    x = tf.constant(np.load(os.path.join(d, case["x"])))
    dy = tf.constant(np.load(os.path.join(d, case["dy"])))
    layer.build((None,) + tuple(case["input_shape"]))
    if case["weights"]:
        layer.set_weights([np.load(os.path.join(d, f)) for f in case["weights"]])
        if case["class_name"] == "Normalization":
            layer.finalize_state()  # Keras 3 computes the broadcast mean/variance used by call here
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = layer(x, training=True)
        loss = tf.reduce_sum(tf.convert_to_tensor(y) * dy)
        if layer.losses:  # ActivityRegularization: its loss joins the gradient
            loss = loss + tf.add_n(layer.losses)
    tw = layer.trainable_weights
    grads = tape.gradient(loss, [x] + list(tw))
    cid = case["id"]
    np.save(os.path.join(d, cid + "_y.npy"), np.asarray(y, dtype=np.float32))
    np.save(os.path.join(d, cid + "_dx.npy"), np.asarray(grads[0], dtype=np.float32))
    for k, g in enumerate(grads[1:]):
        np.save(os.path.join(d, "%s_g%d.npy" % (cid, k)), np.asarray(g, dtype=np.float32))
    for k, w in enumerate(layer.get_weights()):
        np.save(os.path.join(d, "%s_w%d.npy" % (cid, k)), np.asarray(w, dtype=np.float32))
    return {"id": cid, "class_name": layer.__class__.__name__, "trainable": len(tw), "weights": len(layer.get_weights()),
            "config": json.loads(json.dumps(layer.get_config(), default=_jsonable))}


def main():
    d = sys.argv[1]
    with open(os.path.join(d, "cases.json")) as f:
        cases = json.load(f)
    print(json.dumps([run(c, d) for c in cases]))


main()
