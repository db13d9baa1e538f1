"""Replays a Go Fit's callback calls against Keras's own TensorBoard and CSVLogger callbacks.

Usage: tb_replay.py SPEC.json OUT.json

SPEC holds cases recorded by compat/tensorboard_test.go: the library ("keras" for Keras 3,
"tf_keras"), the model file Go saved (loaded compiled, so the callback sees the same model
JSON, optimizer and learning rate), the callback's options, and the sequence of calls Go's Fit
made with their logs (the values are Go's, so the bytes can be compared exactly). Each call
is made on Keras's callback in the order Keras's fit makes it. For TensorBoard, OUT gets every
event Keras wrote, per subdirectory, serialized with wall_time cleared (hex); for CSVLogger,
the bytes of the file Keras wrote.
"""
import glob
import json
import os
import struct
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import tensorflow as tf  # noqa: E402


def lib(name):
    if name == "keras":
        import keras
        return keras
    import tf_keras
    return tf_keras


def records(path):
    """Raw TFRecord payloads of an event file (CRCs are TF's own business here)."""
    out = []
    with open(path, "rb") as f:
        data = f.read()
    off = 0
    while off < len(data):
        (n,) = struct.unpack("<Q", data[off:off + 8])
        out.append(data[off + 12:off + 12 + n])
        off += 12 + n + 4
    return out


def events_without_wall(path):
    from tensorboard.compat.proto import event_pb2
    out = []
    for raw in records(path):
        e = event_pb2.Event()
        e.ParseFromString(raw)
        e.wall_time = 0
        ser = e.SerializeToString(deterministic=True)
        # TF writes wall_time first (field 1, fixed64): the rest must be the reserialized bytes.
        if not (raw[:1] == b"\x09" and raw[9:] == ser):
            raise SystemExit(f"{path}: event bytes are not field-ordered as expected")
        out.append(ser.hex())
    return out


def ordered(logs, order):
    keys = sorted(logs) if order is None else [k for k in order if k in logs] + sorted(k for k in logs if k not in order)
    return {k: logs[k] for k in keys}


def replay_tensorboard(case, workdir):
    K = lib(case["lib"])
    if case["lib"] == "keras":
        model = K.saving.load_model(case["model"])
        order = None  # Keras 3 sorts its logs
    else:
        model = K.models.load_model(case["model"])
        order = None
    logdir = os.path.join(workdir, case["name"])
    uf = case["update_freq"]
    cb = K.callbacks.TensorBoard(log_dir=logdir, update_freq=uf)
    cb.set_model(model)
    if case["lib"] == "tf_keras":
        # tf_keras logs the loss, then the compiled metrics in order (metrics_names after a
        # step); its callback writes in the order of the logs it is given.
        x = tf.zeros([1] + list(model.input_shape[1:]))
        y = tf.zeros([1] + list(model.output_shape[1:]))
        model.evaluate(x, y, verbose=0)
        names = list(model.metrics_names)
        order = names + ["val_" + n for n in names]
    # tf_keras's CallbackList calls batch hooks only on callbacks that say they implement
    # them (its TensorBoard does only when profiling or writing steps per second); Keras 3's
    # calls them on every callback.
    batch_hooks = getattr(cb, "_implements_train_batch_hooks", lambda: True)()
    for ev in case["calls"]:
        kind = ev["ev"]
        logs = ordered(ev.get("logs", {}), order)
        if kind == "train_begin":
            cb.on_train_begin({})
        elif kind == "epoch_begin":
            cb.on_epoch_begin(ev["epoch"], {})
        elif kind == "batch_end":
            if not batch_hooks:
                continue
            cb.on_train_batch_begin(ev["batch"], {})
            cb.on_train_batch_end(ev["batch"], logs)
        elif kind == "test_begin":
            cb.on_test_begin({})
        elif kind == "test_batch_end":
            cb.on_test_batch_begin(ev["batch"], {})
            cb.on_test_batch_end(ev["batch"], {})
        elif kind == "test_end":
            model.optimizer.iterations.assign(ev["iterations"])
            cb.on_test_end(logs)
        elif kind == "epoch_end":
            cb.on_epoch_end(ev["epoch"], logs)
        elif kind == "train_end":
            cb.on_train_end({})
    out = {}
    for sub in ("train", "validation"):
        files = sorted(glob.glob(os.path.join(logdir, sub, "events.out.tfevents.*")))
        out[sub] = {"files": [os.path.basename(f) for f in files],
                    "events": [events_without_wall(f) for f in files]}
    return out


def replay_csv(case, workdir):
    K = lib(case["lib"])
    path = os.path.join(workdir, case["name"] + ".csv")
    if case.get("existing") is not None:
        with open(path, "wb") as f:
            f.write(bytes.fromhex(case["existing"]))
    model = K.Sequential([K.Input((1,)), K.layers.Dense(1)])
    for fit in case["fits"]:
        cb = K.callbacks.CSVLogger(path, separator=case["separator"], append=case["append"])
        cb.set_model(model)
        cb.on_train_begin({})
        for epoch, logs in fit:
            cb.on_epoch_end(epoch, dict(logs))
        cb.on_train_end({})
    with open(path, "rb") as f:
        return f.read().hex()


def main():
    spec_path, out_path = sys.argv[1], sys.argv[2]
    with open(spec_path) as f:
        spec = json.load(f)
    workdir = spec["workdir"]
    result = {"tensorboard": {}, "csv": {}}
    for case in spec.get("tensorboard", []):
        result["tensorboard"][case["name"]] = replay_tensorboard(case, workdir)
    for case in spec.get("csv", []):
        result["csv"][case["name"]] = replay_csv(case, workdir)
    with open(out_path, "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main()
