"""Builds layers from constructor arguments in real tf_keras and Keras 3 and prints their configs.

Usage: layers_configs.py DIR. DIR/cases.json lists cases {"id", "class_name", "kwargs"}; the
class is looked up in tf_keras.layers and keras.layers (aliases too), constructed with
kwargs and name=id, and the script prints, as the last line, a JSON list of {"id",
"keras2", "keras3"}: each library's get_config() of the layer, and the class name it saves
under ("class2", "class3").
"""
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import warnings  # noqa: E402

warnings.filterwarnings("ignore")
import tf_keras  # noqa: E402
import keras  # noqa: E402


def main(d):
    with open(os.path.join(d, "cases.json")) as f:
        cases = json.load(f)
    out = []
    for c in cases:
        r = {"id": c["id"]}
        for key, lib in (("keras2", tf_keras), ("keras3", keras)):
            layer = getattr(lib.layers, c["class_name"])(name=c["id"], **c["kwargs"])
            r[key] = json.loads(json.dumps(layer.get_config()))
            r["class" + key[-1]] = layer.__class__.__name__
        out.append(r)
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1])
