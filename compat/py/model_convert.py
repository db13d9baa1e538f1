"""Loads model files kerasgo wrote after converting a Keras config between dialects.

Usage: model_convert.py DIR. DIR/cases.json lists {"id", "lib" ("tf_keras" or "keras"),
"file", "x"}. Each file is loaded with tf_keras.models.load_model or
keras.saving.load_model (compile=False), run on x (written as DIR/<id>_y.npy), and the last
line printed is a JSON list of {"id", "summary"}.
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
        else:
            keras.backend.clear_session()
            m = keras.saving.load_model(path, compile=False)
        y = m.predict(np.load(os.path.join(d, c["x"])), verbose=0)
        np.save(os.path.join(d, c["id"] + "_y.npy"), np.asarray(y, dtype=np.float32))
        out.append({"id": c["id"], "summary": summary_text(m)})
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1])
