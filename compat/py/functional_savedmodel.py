"""Serves and loads Go-written SavedModels of Functional models with real TensorFlow and Keras.

usage: functional_savedmodel.py CASES.json OUTDIR

CASES.json is a list of {"id", "dir", "inputs": [{"name", "file"}], "outputs": [names],
"tfkeras_dir"}: dir is Go's SavedModel, the inputs the .npy files to feed by input name,
tfkeras_dir (or "") the SavedModel tf_keras wrote of the same model. For each case this writes
OUTDIR/<id>.<loader>.<output>.npy for the loaders

  serve    tf.saved_model.load(dir).signatures["serving_default"](**inputs)
  session  the TF1 session loader (what TF Serving's C++ loader runs: the graph, the saver's
           restore, feeds and fetches by the signature's tensor names)
  tfkeras  tf_keras.models.load_model(dir).predict (outputs in the model's order)
  keras3   keras.layers.TFSMLayer(dir, call_endpoint="serving_default"), for single-input
           models (TFSMLayer calls the endpoint positionally; several inputs are keywords)

and prints one JSON list: per case its serving signature (keys, dtypes, shapes with -1 for
None), the structured outputs of tf.saved_model.load, the class and layer names tf_keras
revives, and the checkpoint keys of Go's directory and of tf_keras's (without keras_api/,
the compiled metrics kerasgo does not track).
"""
import json
import os
import sys

import numpy as np
import tensorflow as tf
import tf_keras
import keras  # Keras 3

cases = json.load(open(sys.argv[1]))
outdir = sys.argv[2]


def save(case, loader, name, value):
    np.save(os.path.join(outdir, f"{case}.{loader}.{name}.npy"), np.asarray(value, dtype=np.float32))


def sig_info(sig):
    def one(m):
        return {k: {"dtype": tf.dtypes.as_dtype(v.dtype).name,
                    "shape": [d.size for d in v.tensor_shape.dim]} for k, v in m.items()}
    return {"inputs": one(sig.inputs), "outputs": one(sig.outputs), "method": sig.method_name}


def ckpt_keys(d):
    prefix = os.path.join(d, "variables", "variables")
    return sorted(k for k, _ in tf.train.list_variables(prefix) if not k.startswith("keras_api/"))


results = []
for c in cases:
    d = c["dir"]
    xs = {i["name"]: np.load(i["file"]) for i in c["inputs"]}
    res = {"id": c["id"]}

    loaded = tf.saved_model.load(d)
    fn = loaded.signatures["serving_default"]
    res["structured_outputs"] = sorted(fn.structured_outputs.keys())
    ys = fn(**{k: tf.constant(v) for k, v in xs.items()})
    for k, v in ys.items():
        save(c["id"], "serve", k, v.numpy())

    with tf.compat.v1.Graph().as_default(), tf.compat.v1.Session() as sess:
        mg = tf.compat.v1.saved_model.loader.load(sess, ["serve"], d)
        sig = mg.signature_def["serving_default"]
        res["signature"] = sig_info(sig)
        feeds = {sig.inputs[k].name: v for k, v in xs.items()}
        names = sorted(sig.outputs)
        outs = sess.run([sig.outputs[k].name for k in names], feed_dict=feeds)
        for k, v in zip(names, outs):
            save(c["id"], "session", k, v)

    m = tf_keras.models.load_model(d)
    res["tfkeras_class"] = type(m).__name__
    res["tfkeras_layers"] = [layer.name for layer in m.layers]
    res["tfkeras_inputs"] = [t.name.split(":")[0] for t in m.inputs]
    res["tfkeras_outputs"] = list(m.output_names)
    pred = m.predict([xs[i["name"]] for i in c["inputs"]] if len(c["inputs"]) > 1 else xs[c["inputs"][0]["name"]],
                     verbose=0)
    if not isinstance(pred, list):
        pred = [pred]
    for k, v in zip(m.output_names, pred):
        save(c["id"], "tfkeras", k, v)

    # TFSMLayer passes its inputs to the endpoint positionally, which a signature with several
    # keyword arguments refuses (tf_keras's own SavedModels of these models too).
    if len(xs) == 1:
        layer = keras.layers.TFSMLayer(d, call_endpoint="serving_default")
        ys = layer(tf.constant(next(iter(xs.values()))))
        for k, v in ys.items():
            save(c["id"], "keras3", k, np.asarray(v))

    res["go_keys"] = ckpt_keys(d)
    res["tfkeras_keys"] = ckpt_keys(c["tfkeras_dir"]) if c["tfkeras_dir"] else None
    results.append(res)

print(json.dumps(results))
