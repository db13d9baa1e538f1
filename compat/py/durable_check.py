"""Reads, with TensorFlow alone, what kerasgo saves left when they were killed part-way.

usage: durable_check.py JOBS_JSON

JOBS_JSON is a list of jobs, each an object with:
  kind    "checkpoint" (a tf_keras weights checkpoint and its folder's `checkpoint` state file)
          or "savedmodel" (a SavedModel directory)
  path    the checkpoint prefix or the SavedModel directory
  key     a tensor key whose first element tells which save wrote the files

Reads are TensorFlow's own, with no kerasgo recovery: for a checkpoint,
tf.train.latest_checkpoint(folder) then tf.train.load_checkpoint on it, and the prefix itself
when its .index exists (tf_keras load_weights reads that prefix); for a SavedModel,
tf.saved_model.load(dir) when the directory exists and its variables checkpoint. Every tensor
is read (TensorFlow checks its CRC-32C). Prints one JSON line: per job, per view, either
{"first": value} or {"error": message} or {"absent": true}.
"""
import json
import os
import sys

import tensorflow as tf


def read_all(prefix, key):
    r = tf.train.load_checkpoint(prefix)
    for k in r.get_variable_to_shape_map():
        r.get_tensor(k)
    return {"first": float(r.get_tensor(key).flat[0])}


def view(fn):
    try:
        return fn()
    except Exception as e:  # reported, judged by the Go test
        return {"error": "%s: %s" % (type(e).__name__, str(e)[:300])}


def main():
    jobs = json.load(open(sys.argv[1]))
    out = []
    for j in jobs:
        res = {}
        p, key = j["path"], j["key"]
        if j["kind"] == "checkpoint":
            folder = os.path.dirname(p)

            def latest():
                lp = tf.train.latest_checkpoint(folder)
                if lp is None:
                    raise ValueError("latest_checkpoint found none")
                return read_all(lp, key)

            res["latest"] = view(latest)
            res["prefix"] = view(lambda: read_all(p, key)) if os.path.exists(p + ".index") else {"absent": True}
        else:
            if os.path.isdir(p):
                def load():
                    tf.saved_model.load(p)
                    return read_all(os.path.join(p, "variables", "variables"), key)

                res["savedmodel"] = view(load)
            else:
                res["savedmodel"] = {"absent": True}
        out.append(res)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
