"""Rebuilds models from the config JSON kerasgo wrote, in real tf_keras and Keras 3.

Usage: model_rebuild.py DIR. DIR/cases.json lists cases {"id", "dialect" ("keras2" or
"keras3"), "config" (file), "weights" (.npy files in model.get_weights() order), "x" (.npy)}.
For each case the model is rebuilt with model_from_json of the dialect's library, the weights
are set with model.set_weights, and the script writes DIR/<id>_y.npy (predict on x) and
prints, as the last line, a JSON list of {"id", "summary", "summary_wide", "config",
"layers"}: the summary text as model.summary() prints it (on an 80-column terminal, and for
Keras 3 also on a 200-column one), the model's own to_json(), and its layer names.
"""
import json
import os
import sys

os.environ["COLUMNS"] = "80"  # Keras 3's summary width follows the terminal
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


def wide_summary(model):
    """Keras 3's summary on a 200-column terminal."""
    os.environ["COLUMNS"] = "200"
    try:
        return summary_text(model)
    finally:
        os.environ["COLUMNS"] = "80"


def main(d):
    with open(os.path.join(d, "cases.json")) as f:
        cases = json.load(f)
    out = []
    for c in cases:
        lib = tf_keras if c["dialect"] == "keras2" else keras
        lib.backend.clear_session()
        with open(os.path.join(d, c["config"])) as f:
            model = lib.models.model_from_json(f.read())
        model.set_weights([np.load(os.path.join(d, w)) for w in c["weights"]])
        x = np.load(os.path.join(d, c["x"]))
        y = model.predict(x, verbose=0)
        np.save(os.path.join(d, c["id"] + "_y.npy"), np.asarray(y, dtype=np.float32))
        out.append({
            "id": c["id"],
            "summary": summary_text(model),
            "summary_wide": wide_summary(model) if c["dialect"] == "keras3" else "",
            "config": json.loads(model.to_json()),
            "layers": [l.name for l in model.layers],
        })
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1])
