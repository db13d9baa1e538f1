"""Reads a TensorBoard log directory with TensorBoard's and TensorFlow's own readers.

Usage: tb_read.py LOGDIR

Prints JSON: for each run (subdirectory) and reader ("accumulator": tensorboard's
EventAccumulator; "iterator": tf.compat.v1.train.summary_iterator over the run's event files),
each scalar tag's [step, value] pairs in file order, and the accumulator's tag lists.
"""
import glob
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import tensorflow as tf  # noqa: E402
from tensorboard.backend.event_processing import event_accumulator  # noqa: E402
from tensorboard.util import tensor_util  # noqa: E402


def main():
    logdir = sys.argv[1]
    out = {}
    for run in sorted(os.listdir(logdir)):
        path = os.path.join(logdir, run)
        if not os.path.isdir(path):
            continue
        ea = event_accumulator.EventAccumulator(path, size_guidance={event_accumulator.TENSORS: 0})
        ea.Reload()
        acc = {}
        for tag in ea.Tags()["tensors"]:
            evs = ea.Tensors(tag)
            md = ea.SummaryMetadata(tag)
            if md.plugin_data.plugin_name != "scalars":
                continue
            acc[tag] = [[e.step, float(tensor_util.make_ndarray(e.tensor_proto))] for e in evs]
        it = {}
        for f in sorted(glob.glob(os.path.join(path, "events.out.tfevents.*"))):
            for e in tf.compat.v1.train.summary_iterator(f):
                for v in e.summary.value:
                    if v.metadata.plugin_data.plugin_name == "scalars":
                        it.setdefault(v.tag, []).append([e.step, float(tf.make_ndarray(v.tensor))])
        out[run] = {"accumulator": acc, "iterator": it, "tags": {k: sorted(v) if isinstance(v, list) else v for k, v in ea.Tags().items()}}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
