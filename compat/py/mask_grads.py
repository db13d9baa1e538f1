"""Runs recurrent layers forward (training=True) with a mask and backward in real Keras.

Usage: mask_grads.py DIR. DIR/cases.json lists cases written by compat/mask_test.go:
{"id", "flavor": "keras2"|"keras3", "class_name", "config", "input_shape", "x", "mask", "dy",
"weights": [files]}. For each case the layer is deserialised from the Go-written config,
built, given the weights and called as layer(x, mask=mask, training=True) under a
GradientTape on sum(y*dy); the script writes <id>_y.npy, <id>_dx.npy and <id>_g<k>.npy (the
gradient of the k-th trainable weight) and prints the list of ids it ran.
"""
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np
import tensorflow as tf


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
    mask = tf.constant(np.load(os.path.join(d, case["mask"])) > 0.5)
    dy = tf.constant(np.load(os.path.join(d, case["dy"])))
    layer.build((None,) + tuple(case["input_shape"]))
    if case["weights"]:
        layer.set_weights([np.load(os.path.join(d, f)) for f in case["weights"]])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = layer(x, mask=mask, training=True)
        loss = tf.reduce_sum(tf.convert_to_tensor(y) * dy)
    tw = layer.trainable_weights
    grads = tape.gradient(loss, [x] + list(tw))
    cid = case["id"]
    np.save(os.path.join(d, cid + "_y.npy"), np.asarray(y, dtype=np.float32))
    np.save(os.path.join(d, cid + "_dx.npy"), np.asarray(grads[0], dtype=np.float32))
    for k, g in enumerate(grads[1:]):
        np.save(os.path.join(d, "%s_g%d.npy" % (cid, k)), np.asarray(g, dtype=np.float32))
    return cid


def main():
    d = sys.argv[1]
    with open(os.path.join(d, "cases.json")) as f:
        cases = json.load(f)
    print(json.dumps([run(c, d) for c in cases]))


main()
