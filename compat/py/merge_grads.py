"""Runs merge layers (several inputs) forward and backward in real Keras.

Usage: merge_grads.py DIR. DIR/cases.json lists cases written by compat/merge_test.go:
{"id", "flavor": "keras2"|"keras3", "class_name", "config", "input_shapes", "xs": [files],
"dy"}. For each case the layer is deserialised from the Go-written config, called on the
list of inputs under a GradientTape on sum(y*dy); the script writes <id>_y.npy and
<id>_dx<k>.npy (dL/d input k), and prints a JSON summary with each layer's get_config(),
the output shape, and the TF op types of the layer's call traced in a tf.function with
inputs of unknown batch size (Placeholder, Identity, NoOp and dead ops left out).
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
    with tf.GradientTape() as tape:
        for x in xs:
            tape.watch(x)
        y = layer(xs)
        loss = tf.reduce_sum(tf.convert_to_tensor(y) * dy)
    grads = tape.gradient(loss, xs)
    cid = case["id"]
    np.save(os.path.join(d, cid + "_y.npy"), np.asarray(y, dtype=np.float32))
    for k, g in enumerate(grads):
        np.save(os.path.join(d, "%s_dx%d.npy" % (cid, k)), np.asarray(g, dtype=np.float32))
    specs = [tf.TensorSpec((None,) + tuple(s), tf.float32) for s in case["input_shapes"]]
    fresh = K.layers.deserialize(obj)
    cf = tf.function(lambda *a: fresh(list(a))).get_concrete_function(*specs)
    # Dead ops (no consumer, such as batch_dot's unused tf.shape) are left out too.
    ops = sorted(op.type for op in cf.graph.get_operations()
                 if op.type not in ("Placeholder", "Identity", "NoOp")
                 and any(o.consumers() for o in op.outputs))
    return {"id": cid, "config": json.loads(json.dumps(layer.get_config())),
            "y_shape": list(np.shape(y)), "ops": ops}


def main():
    d = sys.argv[1]
    with open(os.path.join(d, "cases.json")) as f:
        cases = json.load(f)
    print(json.dumps([run(c, d) for c in cases]))


main()
