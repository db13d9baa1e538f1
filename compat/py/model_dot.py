"""Draws models with Keras's own model_to_dot (tf_keras 2.21 or Keras 3.15, through pydot) and
parses both Keras's DOT text and kerasgo's with pydot into one comparable structure.

Usage: model_dot.py JOBS.json, where JOBS.json is a list of
{"dialect": "keras2"|"keras3", "config": PATH, "kwargs": {...}, "go": PATH-of-kerasgo-DOT}.
Prints one JSON line: a list of {"keras": S, "go": S} where S is the parsed graph: graph
attributes, node defaults, and statements in order (nodes, clusters, edges); node ids are
replaced by the node's position among all nodes (Keras's ids are Python object ids).
"""

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import pydot  # noqa: E402


def canon(text):
    graphs = pydot.graph_from_dot_data(text)
    if not graphs or len(graphs) != 1:
        raise ValueError("want one graph, got %r" % (graphs,))
    g = graphs[0]
    index = {}

    def walk(sg):
        items = []
        for n in sg.get_node_list():
            name = n.get_name()
            if name in ("node", "edge", "graph"):
                continue
            items.append((n.obj_dict["sequence"], "node", n))
        for s in sg.get_subgraph_list():
            items.append((s.obj_dict["sequence"], "sub", s))
        for e in sg.get_edge_list():
            items.append((e.obj_dict["sequence"], "edge", e))
        items.sort(key=lambda t: t[0])
        out = []
        for _, kind, obj in items:
            if kind == "node":
                index.setdefault(obj.get_name(), len(index))
                out.append({"node": index[obj.get_name()], "attrs": obj.get_attributes()})
            elif kind == "sub":
                out.append({"cluster": obj.get_name(), "attrs": obj.get_attributes(),
                            "stmts": walk(obj)})
            else:
                out.append({"edge": [obj.get_source(), obj.get_destination()],
                            "attrs": obj.get_attributes()})
        return out

    stmts = walk(g)

    def ids(stmts):
        for s in stmts:
            if "edge" in s:
                s["edge"] = [index.get(x, "unknown node " + x) for x in s["edge"]]
            if "stmts" in s:
                ids(s["stmts"])

    ids(stmts)
    defaults = {}
    for n in g.get_node_list():
        if n.get_name() == "node":
            defaults.update(n.get_attributes())
    return {"type": g.get_type(), "attrs": g.get_attributes(), "node_defaults": defaults,
            "stmts": stmts}


def restore_nested_trainable(model, config):
    """tf_keras's from_config, and Keras 3's for a Sequential model, drop a nested model's own
    trainable flag (its layers keep theirs); set it back so that Keras draws the model as
    saved."""
    layers = config.get("config", {}).get("layers", [])
    by_name = {l.get("config", {}).get("name"): l for l in layers}
    for layer in model.layers:
        c = by_name.get(layer.name)
        if c and c.get("class_name") in ("Sequential", "Functional", "Model"):
            t = c["config"].get("trainable")
            if t is not None:
                layer.trainable = t
            restore_nested_trainable(layer, c)


def main():
    jobs = json.load(open(sys.argv[1]))
    out = []
    mods = {}
    for job in jobs:
        d = job["dialect"]
        if d not in mods:
            if d == "keras2":
                import tf_keras
                from tf_keras.src.utils import vis_utils
                mods[d] = (tf_keras, vis_utils)
            else:
                import keras
                from keras.src.utils import model_visualization
                mods[d] = (keras, model_visualization)
        K, vis = mods[d]
        text = open(job["config"]).read()
        model = K.models.model_from_json(text)
        restore_nested_trainable(model, json.loads(text))
        keras_dot = vis.model_to_dot(model, **job["kwargs"]).to_string()
        go_dot = open(job["go"]).read()
        out.append({"keras": canon(keras_dot), "go": canon(go_dot)})
    print(json.dumps(out))


if __name__ == "__main__":
    main()
