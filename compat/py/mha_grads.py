"""Runs MultiHeadAttention (query, value[, key], with weights) forward and backward in real Keras.

Usage: mha_grads.py DIR. DIR/cases.json lists cases written by compat/mha_test.go: {"id",
"flavor": "keras2"|"keras3", "class_name", "config", "input_shapes", "xs": [files], "dy",
"weights": [files], "call_kwargs"}. For each case the layer is deserialised from the
Go-written config, called on the inputs as separate arguments (with the call keyword
arguments), given the weights and called again under a GradientTape on sum(y*dy); the script
writes <id>_y.npy, <id>_dx<k>.npy (dL/d input k) and <id>_g<k>.npy (dL/d trainable weight k),
and prints a JSON summary with each layer's get_config() and weight names (sub-layer/name).
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
    xs = [tf.constant(np.load(os.path.join(d, f))) for f in case["xs"]]
    dy = tf.constant(np.load(os.path.join(d, case["dy"])))
    kw = case.get("call_kwargs") or {}
    layer(*xs, **kw)  # builds
    if case["weights"]:
        layer.set_weights([np.load(os.path.join(d, f)) for f in case["weights"]])
    with tf.GradientTape() as tape:
        for x in xs:
            tape.watch(x)
        y = layer(*xs, training=True, **kw)
        loss = tf.reduce_sum(tf.convert_to_tensor(y) * dy)
    tw = layer.trainable_weights
    grads = tape.gradient(loss, xs + list(tw))
    cid = case["id"]
    np.save(os.path.join(d, cid + "_y.npy"), np.asarray(y, dtype=np.float32))
    for k, g in enumerate(grads[:len(xs)]):
        np.save(os.path.join(d, "%s_dx%d.npy" % (cid, k)), np.asarray(g, dtype=np.float32))
    for k, g in enumerate(grads[len(xs):]):
        np.save(os.path.join(d, "%s_g%d.npy" % (cid, k)), np.asarray(g, dtype=np.float32))
    return {"id": cid, "config": json.loads(json.dumps(layer.get_config(), default=lambda o: o.as_list())), "trainable": len(tw),
            "weight_names": [wname(w) for w in layer.weights]}


def wname(w):
    n = getattr(w, "path", None)
    if not isinstance(n, str):
        n = w.name
    return "/".join(n.split(":")[0].split("/")[-2:])


def main():
    d = sys.argv[1]
    with open(os.path.join(d, "cases.json")) as f:
        cases = json.load(f)
    print(json.dumps([run(c, d) for c in cases]))


main()
