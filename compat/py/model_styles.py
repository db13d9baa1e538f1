"""Builds small Sequential models in real tf_keras and Keras 3, giving the input shape each
way Keras allows, and prints (last line) a JSON object {case: {"keras2": {"config",
"summary"}, "keras3": {...}}} with each model's to_json() and summary text.

Cases (the Go test builds the same models):
  declared     Sequential([Dense(3, input_shape=(4,)), Dense(2, activation="softmax")])
  input        Sequential([Input(shape=(4,)), Dense(3), Dense(2, activation="softmax")])
  input_named  the same with Input(shape=(4,), name="features")
  build        Sequential([Dense(3), Dense(2, activation="softmax")]); build((None, 4))
  unbuilt      Sequential([Dense(3), Dense(2, activation="softmax")]) (config only)
"""
import json
import os

os.environ["COLUMNS"] = "80"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import warnings  # noqa: E402

warnings.filterwarnings("ignore")

import tf_keras  # noqa: E402
import keras  # noqa: E402


def summary_text(model):
    pieces = []
    model.summary(print_fn=lambda s, *a, **kw: pieces.append(s))
    text = "\n".join(pieces)
    if not text.endswith("\n"):
        text += "\n"
    return text


def make(lib, case):
    L = lib.layers
    if case == "declared":
        return lib.Sequential([L.Dense(3, input_shape=(4,)), L.Dense(2, activation="softmax")])
    if case == "input":
        return lib.Sequential([lib.Input(shape=(4,)), L.Dense(3), L.Dense(2, activation="softmax")])
    if case == "input_named":
        return lib.Sequential([lib.Input(shape=(4,), name="features"), L.Dense(3),
                               L.Dense(2, activation="softmax")])
    m = lib.Sequential([L.Dense(3), L.Dense(2, activation="softmax")])
    if case == "build":
        m.build((None, 4))
    return m


out = {}
for case in ["declared", "input", "input_named", "build", "unbuilt"]:
    out[case] = {}
    for name, lib in [("keras2", tf_keras), ("keras3", keras)]:
        lib.backend.clear_session()
        m = make(lib, case)
        r = {"config": json.loads(m.to_json())}
        if case != "unbuilt":
            r["summary"] = summary_text(m)
        out[case][name] = r
print(json.dumps(out))
