"""Loads weights checkpoints written by kerasgo into real tf_keras models and checks them.

usage: checkpoint_keras.py JOBS_JSON

JOBS_JSON is a list of cases, each an object with:
  config   tf_keras model.to_json() of the architecture
  compile  {"optimizer": {"class_name", "config"}, "loss", "loss_config"} (testdata/train
           compile.json) or a formats/<variant>/meta.json ("optimizer": "adam" | "sgd_momentum")
  state    folder with the expected weights.json + w/ and optimizer.json + slots/
  prefix   the checkpoint kerasgo wrote
  ref      (optional) a checkpoint tf_keras wrote for the same model: its
           tf.train.list_variables and dtypes are printed next to Go's
  x, y     (optional) inputs and the predictions tf_keras made before saving
  next     (optional) folder with x.npy, y.npy: one train_on_batch from the state loaded from
           Go's checkpoint (Dropout rates set to 0) must reproduce the same step that tf_keras
           takes from its own checkpoint `ref`, computed here in the same process (never a
           committed result: TF's training numbers differ between CPUs)

Every checkpoint value must be consumed (status.assert_consumed()). Prints one JSON line: a
list with, per case, the largest differences found.
"""
import json
import os
import sys

import numpy as np
import tensorflow as tf
import tf_keras

# Deterministic kernels, so that the step from Go's checkpoint and the step from tf_keras's
# own checkpoint, taken in this process, are comparable bit for bit. The thread count comes
# from KERASGO_TF_INTRA_THREADS (default 1); make test passes with 1 and 2.
tf.config.experimental.enable_op_determinism()
tf.config.threading.set_inter_op_parallelism_threads(1)
tf.config.threading.set_intra_op_parallelism_threads(int(os.environ.get("KERASGO_TF_INTRA_THREADS", "1")))


def load_state(d):
    with open(os.path.join(d, "weights.json")) as f:
        wj = json.load(f)
    return [[np.load(os.path.join(d, w["file"])) for w in l["weights"]] for l in wj["layers"]]


def max_weight_diff(m, d):
    worst = 0.0
    for arrs, layer in zip(load_state(d), m.layers):
        ws = layer.get_weights()
        assert len(ws) == len(arrs), (layer.name, len(ws), len(arrs))
        for x, y in zip(ws, arrs):
            assert x.shape == y.shape, (layer.name, x.shape, y.shape)
            worst = max(worst, float(np.max(np.abs(x - y))) if x.size else 0.0)
    return worst


def bare(name):
    return name[:-2] if name.endswith(":0") else name


def build(a):
    with open(a["config"]) as f:
        model = tf_keras.models.model_from_json(f.read())
    with open(a["compile"]) as f:
        comp = json.load(f)
    opt = comp["optimizer"]
    loss = "sparse_categorical_crossentropy"
    if opt == "adam":
        optimizer = tf_keras.optimizers.Adam()
    elif opt == "sgd_momentum":
        optimizer = tf_keras.optimizers.SGD(learning_rate=0.01, momentum=0.9)
    else:
        optimizer = tf_keras.optimizers.deserialize({"class_name": opt["class_name"], "config": opt["config"]})
        loss = comp["loss"]
        if comp.get("loss_config"):
            loss = tf_keras.losses.deserialize({"class_name": comp["loss"], "config": comp["loss_config"]})
    model.compile(optimizer=optimizer, loss=loss, metrics=["accuracy"])
    return model


def next_step(model, x, y):
    """One train_on_batch with every Dropout rate 0 (the rate is baked into the traced train
    function, so it is dropped): the loss, then every weight and optimizer variable after it."""
    for l in model.layers:
        if "Dropout" in type(l).__name__:
            l.rate = 0.0
    model.train_function = None
    r = model.train_on_batch(x, y, reset_metrics=True)
    return float(r[0]), [w for l in model.layers for w in l.get_weights()], [v.numpy() for v in model.optimizer.variables]


def max_diff(a, b):
    assert len(a) == len(b), (len(a), len(b))
    worst = 0.0
    for x, y in zip(a, b):
        assert x.shape == y.shape, (x.shape, y.shape)
        if x.size:
            worst = max(worst, float(np.max(np.abs(x.astype(np.float64) - y.astype(np.float64)))))
    return worst


def run(a):
    tf_keras.backend.clear_session()
    tf.keras.utils.set_random_seed(0)
    model = build(a)
    # Build the optimizer first so that its slots exist and are restored at once.
    model.optimizer.build(model.trainable_variables)
    status = model.load_weights(a["prefix"])
    status.assert_consumed()  # every value in Go's checkpoint found its object
    out = {"consumed": True, "weights_maxdiff": max_weight_diff(model, a["state"])}

    oj_path = os.path.join(a["state"], "optimizer.json")
    if os.path.exists(oj_path):
        with open(oj_path) as f:
            oj = json.load(f)
        o = model.optimizer
        out["iterations"] = int(o.iterations.numpy())
        out["iterations_expected"] = oj["iterations"]
        # The optimizer's variables: iterations, then the slots in the order tf_keras creates
        # them; optimizer.json lists the slots in that order. (Names may differ by the
        # optimizer's name scope, which depends on where build() ran.)
        slots = list(o.variables)[1:]
        out["variables_order_ok"] = len(slots) == len(oj["slots"]) and all(
            bare(v.name).endswith("/".join([s["slot"], s["layer"], s["weight"]])) for v, s in zip(slots, oj["slots"]))
        out["variable_names"] = [bare(v.name) for v in slots[:3]]
        worst, n = 0.0, 0
        for v, s in zip(slots, oj["slots"]):
            v = v.numpy()
            e = np.load(os.path.join(a["state"], s["file"]))
            worst = max(worst, float(np.max(np.abs(v - e))) if e.size else 0.0)
            n += 1
        out["slots"] = n
        out["slots_maxdiff"] = worst

    if a.get("ref"):
        out["list_go"] = [[n, list(s)] for n, s in tf.train.list_variables(a["prefix"])]
        out["list_ref"] = [[n, list(s)] for n, s in tf.train.list_variables(a["ref"])]
        rg, rr = tf.train.load_checkpoint(a["prefix"]), tf.train.load_checkpoint(a["ref"])
        out["dtypes_go"] = {k: v.name for k, v in rg.get_variable_to_dtype_map().items()}
        out["dtypes_ref"] = {k: v.name for k, v in rr.get_variable_to_dtype_map().items()}

    if a.get("x"):
        pred = model.predict(np.load(a["x"]), verbose=0)
        out["pred_maxdiff"] = float(np.max(np.abs(pred - np.load(a["y"]))))

    if a.get("next"):
        nd = a["next"]
        nx, ny = np.load(os.path.join(nd, "x.npy")), np.load(os.path.join(nd, "y.npy"))
        loss, weights, slots = next_step(model, nx, ny)
        out["iterations_after_step"] = int(model.optimizer.iterations.numpy())
        # The same step from tf_keras's own checkpoint, here and now.
        tf_keras.backend.clear_session()
        tf.keras.utils.set_random_seed(0)
        ref = build(a)
        ref.optimizer.build(ref.trainable_variables)
        ref.load_weights(a["ref"]).assert_consumed()
        rloss, rweights, rslots = next_step(ref, nx, ny)
        out["next_loss"] = loss
        out["next_loss_expected"] = rloss
        out["next_weights_maxdiff"] = max_diff(weights, rweights)
        out["next_slots_maxdiff"] = max_diff(slots, rslots)
    return out


with open(sys.argv[1]) as f:
    jobs = json.load(f)
print(json.dumps([run(a) for a in jobs]))
