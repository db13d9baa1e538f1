"""Renders models as keras.utils.plot_model does (model_to_dot, then Graphviz's `dot` through
pydot) to SVG and prints what the picture holds: every text drawn, and the number of node,
edge and cluster groups.

Usage: plot_model_svg.py JOBS.json, JOBS.json a list of
{"dialect": "keras2"|"keras3", "config": PATH, "kwargs": {...}}. Prints one JSON line, a list
of {"texts": [...sorted], "nodes": N, "edges": N, "clusters": N}.
"""

import json
import os
import re
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from model_dot import restore_nested_trainable  # noqa: E402


def picture(svg):
    texts = [t.replace("&#160;", " ").replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
             for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]
    return {"texts": sorted(texts), "nodes": svg.count('class="node"'),
            "edges": svg.count('class="edge"'), "clusters": svg.count('class="cluster"')}


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--svg":
        print(json.dumps(picture(open(sys.argv[2]).read())))
        return
    jobs = json.load(open(sys.argv[1]))
    out = []
    for job in jobs:
        if job["dialect"] == "keras2":
            import tf_keras as K
            from tf_keras.src.utils import vis_utils as vis
        else:
            import keras as K
            from keras.src.utils import model_visualization as vis
        text = open(job["config"]).read()
        model = K.models.model_from_json(text)
        restore_nested_trainable(model, json.loads(text))
        svg = vis.model_to_dot(model, **job["kwargs"]).create(format="svg").decode("utf-8")
        out.append(picture(svg))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
