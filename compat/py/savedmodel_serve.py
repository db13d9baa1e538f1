"""Serves SavedModel directories with real TensorFlow and prints what each loader computes.

usage: savedmodel_serve.py DIR X.npy [DIR X.npy ...]

For each directory: the serving_default signature as `saved_model_cli show --all` prints it
(input/output keys, dtypes, shapes), and the predictions of `saved_model_cli run`,
tf.saved_model.load(DIR).signatures["serving_default"] (by keyword and positionally) and
Keras 3 keras.layers.TFSMLayer(DIR, call_endpoint="serving_default").

The first directory goes through the real saved_model_cli executable; the others through the
same saved_model_cli functions in this process (starting TensorFlow once per command is too
slow for every model). Prints one JSON list, one object per directory.
"""
import contextlib
import io
import json
import os
import re
import subprocess
import sys
import tempfile

import numpy as np

args = sys.argv[1:]
pairs = list(zip(args[0::2], args[1::2]))
cli = os.path.join(os.path.dirname(sys.executable), "saved_model_cli")
env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")


def parse_show(text):
    sig = {"inputs": {}, "outputs": {}}
    block = text.split("signature_def['serving_default']:", 1)[1]
    block = block.split("signature_def[", 1)[0].split("MetaGraph with tag set", 1)[0]
    for kind, key, dtype, shape, name in re.findall(
            r"(inputs|outputs)\['([^']+)'\] tensor_info:\s+dtype: (\w+)\s+shape: \(([^)]*)\)\s+name: (\S+)", block):
        dims = [int(s) for s in shape.replace(" ", "").split(",") if s != ""]
        sig[kind][key] = {"dtype": dtype, "shape": dims, "name": name}
    sig["method"] = re.search(r"Method name is: (\S+)", block).group(1)
    return sig


import tensorflow as tf  # noqa: E402
from tensorflow.python.tools import saved_model_cli as smcli  # noqa: E402
import keras  # noqa: E402  (Keras 3)

results = []
for i, (d, xpath) in enumerate(pairs):
    x = np.load(xpath)
    res = {"dir": d}
    if i == 0:
        show = subprocess.run([cli, "show", "--dir", d, "--all"], capture_output=True, text=True,
                              env=env, check=True).stdout
        res["cli"] = "executable"
    else:
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            smcli._show_all(d)
        show = buf.getvalue()
        res["cli"] = "in-process"
    sig = parse_show(show)
    res["signature"] = sig
    in_key = next(iter(sig["inputs"]))
    out_key = next(iter(sig["outputs"]))
    with tempfile.TemporaryDirectory() as tmp:
        if i == 0:
            subprocess.run([cli, "run", "--dir", d, "--tag_set", "serve", "--signature_def", "serving_default",
                            "--inputs", f"{in_key}={xpath}", "--outdir", tmp, "--overwrite"],
                           capture_output=True, text=True, env=env, check=True)
        else:
            with contextlib.redirect_stdout(io.StringIO()):
                smcli.run_saved_model_with_feed_dict(d, "serve", "serving_default", {in_key: x}, tmp, True)
        res["cli_run"] = np.load(os.path.join(tmp, out_key + ".npy")).tolist()

    fn = tf.saved_model.load(d).signatures["serving_default"]
    res["structured_outputs"] = sorted(fn.structured_outputs.keys())
    res["tf_load"] = fn(**{in_key: tf.constant(x)})[out_key].numpy().tolist()
    res["tf_load_positional"] = fn(tf.constant(x))[out_key].numpy().tolist()

    layer = keras.layers.TFSMLayer(d, call_endpoint="serving_default")
    res["tfsm"] = np.asarray(layer(x)[out_key]).tolist()
    res["tfsm_weights"] = len(layer.weights)
    results.append(res)

print(json.dumps(results))
