"""Which Keras 3 layer classes write a "build_config" into a model's config.

usage: build_config.py CASES_JSON   (a list of {"class": name, "config": {...}, "input": [shape]})
Prints one JSON line: {class: true/false}, from keras.Sequential([Input, layer]).to_json().
"""
import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
import keras  # noqa: E402

with open(sys.argv[1]) as f:
    cases = json.load(f)
out = {}
for c in cases:
    cfg = dict(c["config"])
    if not cfg.get("name"):
        cfg.pop("name", None)
    layer = getattr(keras.layers, c["class"]).from_config(cfg)
    m = keras.Sequential([keras.Input(tuple(c["input"])), layer])
    out[c["class"]] = "build_config" in json.loads(m.to_json())["config"]["layers"][1]
print(json.dumps(out))
