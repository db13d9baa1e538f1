"""Loads Functional models kerasgo wrote and runs them.

Usage: functional_load.py DIR. DIR/cases.json lists {"id", "lib" ("tf_keras" or "keras"),
"file", "xs": [npy paths in the model's input order]}. Each file is loaded with
tf_keras.models.load_model or keras.saving.load_model (compile=False) and run on the inputs;
output i is written as DIR/<id>_y<i>.npy. The last line printed is a JSON list of {"id",
"summary", "config" (model.to_json() parsed), "inputs", "outputs" (the model's input and
output names)}.
"""
import json
import os
import sys

os.environ["COLUMNS"] = "80"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import warnings  # noqa: E402

warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402
import tf_keras  # noqa: E402
import keras  # noqa: E402


def summary_text(model):
    pieces = []
    model.summary(print_fn=lambda s, *a, **kw: pieces.append(s))
    text = "\n".join(pieces)
    if not text.endswith("\n"):
        text += "\n"
    return text


def main(d):
    with open(os.path.join(d, "cases.json")) as f:
        cases = json.load(f)
    out = []
    for c in cases:
        path = os.path.join(d, c["file"])
        if c["lib"] == "tf_keras":
            tf_keras.backend.clear_session()
            m = tf_keras.models.load_model(path, compile=False)
            ins = [t.name.split(":")[0] for t in m.inputs]
            ins = list(m.input_names)
            outs = list(m.output_names)
        else:
            keras.backend.clear_session()
            m = keras.saving.load_model(path, compile=False)
            ins = [t.name for t in m.inputs]
            outs = list(m.output_names)
        xs = [np.load(p) for p in c["xs"]]
        ys = m.predict(xs if len(xs) > 1 else xs[0], verbose=0)
        if not isinstance(ys, (list, tuple)):
            ys = [ys]
        for i, y in enumerate(ys):
            np.save(os.path.join(d, "%s_y%d.npy" % (c["id"], i)), np.asarray(y, dtype=np.float32))
        out.append({"id": c["id"], "summary": summary_text(m), "config": json.loads(m.to_json()),
                    "inputs": ins, "outputs": outs, "n_outputs": len(ys)})
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1])
