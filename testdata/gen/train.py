"""testdata/train/<case>/: the inputs of step-for-step training parity with tf_keras (issue 3).

For each case: the model (config), the compile arguments, initial weights, 10 fixed batches,
and state/: the full state (weights incl. BN moving statistics, optimizer iteration and every
slot) that tf_keras reached after 10 x model.train_on_batch(x_i, y_i), used as a saved
optimizer state by the format tests. What each step returns and the state after each step are
NOT written here: TF's training results differ between CPUs, so the tests compute them on their
own machine with reference.py (see internal/testref).
"""

import json
import os
import tempfile

from common import (write_keras2_configs, K2, keras, VERSIONS, assert_close, assert_equal, fresh, h5py, log, np,
                    read_weights, reset_dir, save_npy, set_weights_by_layer, summary_text,
                    tf, tf_keras, write_json, write_text, write_weights)
import variants

N_STEPS = 10
L = tf_keras.layers
O = tf_keras.optimizers


def small(units, activation, input_shape=(8, 8, 1)):
    def build(Lm):
        return [
            Lm.Conv2D(4, (3, 3), activation="relu", input_shape=input_shape, name="conv_1"),
            Lm.Flatten(name="flatten"),
            Lm.Dense(units, activation=activation, name="dense_1"),
        ]
    return build


def seed_small(Lm):
    # the seed architecture (Dropout rate 0) on 8x8x3 inputs, to keep the files small
    return variants.seed(Lm, input_shape=(8, 8, 3), dropout=0.0)


def seed_exact(Lm):
    return variants.seed(Lm, input_shape=(32, 32, 3), dropout=0.0)


# case -> dict(build, input_shape, optimizer factory, loss factory, loss name, from_logits,
#              metrics, y kind, batch)
CASES = {
    "seed_adam": dict(build=seed_exact, input_shape=(32, 32, 3), opt=lambda: O.Adam(),
                      loss=lambda: "sparse_categorical_crossentropy", from_logits=False,
                      metrics=["accuracy"], y="sparse10", batch=4,
                      desc="the seed model (Dropout rate 0.0), Adam defaults"),
    "sgd": dict(build=seed_small, input_shape=(8, 8, 3), opt=lambda: O.SGD(learning_rate=0.01),
                loss=lambda: "sparse_categorical_crossentropy", from_logits=False,
                metrics=["accuracy"], y="sparse10", batch=8,
                desc="seed architecture on 8x8x3, SGD lr 0.01 momentum 0"),
    "sgd_momentum": dict(build=seed_small, input_shape=(8, 8, 3),
                         opt=lambda: O.SGD(learning_rate=0.01, momentum=0.9),
                         loss=lambda: "sparse_categorical_crossentropy", from_logits=False,
                         metrics=["accuracy"], y="sparse10", batch=8,
                         desc="seed architecture on 8x8x3, SGD lr 0.01 momentum 0.9"),
    "sgd_nesterov": dict(build=seed_small, input_shape=(8, 8, 3),
                         opt=lambda: O.SGD(learning_rate=0.01, momentum=0.9, nesterov=True),
                         loss=lambda: "sparse_categorical_crossentropy", from_logits=False,
                         metrics=["accuracy"], y="sparse10", batch=8,
                         desc="seed architecture on 8x8x3, SGD lr 0.01 momentum 0.9 nesterov"),
    "rmsprop": dict(build=seed_small, input_shape=(8, 8, 3), opt=lambda: O.RMSprop(),
                    loss=lambda: "sparse_categorical_crossentropy", from_logits=False,
                    metrics=["accuracy"], y="sparse10", batch=8,
                    desc="seed architecture on 8x8x3, RMSprop defaults"),
    "rmsprop_centered": dict(build=seed_small, input_shape=(8, 8, 3),
                             opt=lambda: O.RMSprop(learning_rate=0.001, momentum=0.9, centered=True),
                             loss=lambda: "sparse_categorical_crossentropy", from_logits=False,
                             metrics=["accuracy"], y="sparse10", batch=8,
                             desc="seed architecture on 8x8x3, RMSprop momentum 0.9 centered"),
    "adam_amsgrad": dict(build=seed_small, input_shape=(8, 8, 3), opt=lambda: O.Adam(amsgrad=True),
                         loss=lambda: "sparse_categorical_crossentropy", from_logits=False,
                         metrics=["accuracy"], y="sparse10", batch=8,
                         desc="seed architecture on 8x8x3, Adam amsgrad"),
    "categorical_ce": dict(build=small(10, "softmax"), input_shape=(8, 8, 1), opt=lambda: O.Adam(),
                           loss=lambda: "categorical_crossentropy", from_logits=False,
                           metrics=["accuracy"], y="onehot10", batch=16,
                           desc="Conv2D+Flatten+Dense softmax, one-hot labels"),
    "categorical_ce_logits": dict(build=small(10, "linear"), input_shape=(8, 8, 1), opt=lambda: O.Adam(),
                                  loss=lambda: tf_keras.losses.CategoricalCrossentropy(from_logits=True),
                                  from_logits=True, metrics=["accuracy"], y="onehot10", batch=16,
                                  desc="linear output, CategoricalCrossentropy(from_logits=True)"),
    "binary_ce": dict(build=small(1, "sigmoid"), input_shape=(8, 8, 1), opt=lambda: O.Adam(),
                      loss=lambda: "binary_crossentropy", from_logits=False,
                      metrics=["accuracy"], y="binary", batch=16,
                      desc="sigmoid output (1 unit), labels 0/1 float32 shape (batch, 1)"),
    "binary_ce_logits": dict(build=small(1, "linear"), input_shape=(8, 8, 1), opt=lambda: O.Adam(),
                             loss=lambda: tf_keras.losses.BinaryCrossentropy(from_logits=True),
                             from_logits=True, metrics=["accuracy"], y="binary", batch=16,
                             desc="linear output (1 unit), BinaryCrossentropy(from_logits=True)"),
    "mse": dict(build=small(3, "linear"), input_shape=(8, 8, 1), opt=lambda: O.Adam(),
                loss=lambda: "mse", from_logits=False, metrics=[], y="regress3", batch=16,
                desc="linear output (3 units), mean squared error, no metrics"),
    "sparse_ce_logits": dict(build=small(10, "linear"), input_shape=(8, 8, 1), opt=lambda: O.Adam(),
                             loss=lambda: tf_keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                             from_logits=True, metrics=["accuracy"], y="sparse10", batch=16,
                             desc="linear output, SparseCategoricalCrossentropy(from_logits=True)"),
}


def make_y(rng, kind, n):
    if kind == "sparse10":
        return rng.integers(0, 10, size=(n,)).astype(np.int64)
    if kind == "onehot10":
        return np.eye(10, dtype=np.float32)[rng.integers(0, 10, size=(n,))]
    if kind == "binary":
        return rng.integers(0, 2, size=(n, 1)).astype(np.float32)
    if kind == "regress3":
        return rng.standard_normal((n, 3)).astype(np.float32)
    raise ValueError(kind)


def jsonable(o):
    if isinstance(o, dict):
        return {k: jsonable(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [jsonable(v) for v in o]
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, np.bool_):
        return bool(o)
    if hasattr(o, "numpy"):
        return jsonable(o.numpy())
    if isinstance(o, np.ndarray):
        return o.tolist()
    return o


def parse_slot_name(varname, optname=None):
    """'Adam/m/conv_1/kernel:0' -> ('Adam', 'm', 'conv_1', 'kernel').

    An optimizer built outside its name scope (after load_weights) has no 'Adam/' prefix:
    'm/conv_1/kernel:0' -> (None, 'm', 'conv_1', 'kernel'). With the optimizer's name given,
    layer names with "/" (MobileNetV3's 'Conv/BatchNorm') are told apart from the prefix."""
    n = varname.split(":")[0]
    parts = n.split("/")
    if optname is not None:
        prefix = parts[0] if parts[0] == optname else None
        rest = parts[1:] if prefix else parts
        slot, rest = rest[0], rest[1:]
        if len(rest) == 3 and rest[1] in ("query", "key", "value", "attention_output"):
            # a variable of MultiHeadAttention's sub-layers: 'm/mha/query/kernel:0'
            return prefix, slot, rest[0], rest[1] + "/" + rest[2]
        return prefix, slot, "/".join(rest[:-1]), rest[-1]
    if len(parts) == 3:
        return None, parts[0], parts[1], parts[2]
    if len(parts) == 4 and parts[0].islower() and parts[2] in ("query", "key", "value", "attention_output"):
        # unprefixed, a variable of MultiHeadAttention's sub-layers: 'm/mha/query/kernel:0'
        return None, parts[0], parts[1], parts[2] + "/" + parts[3]
    if known is not None:
        for i in (0, 1):
            rest = "/".join(parts[i + 1:])
            if rest in known and len(parts) > i + 2:
                return (parts[0] if i == 1 else None), parts[i], "/".join(parts[i + 1:-1]), parts[-1]
    return parts[0], parts[1], "/".join(parts[2:-1]), parts[-1]


def write_optimizer_state(d, model, opt):
    """optimizer.json + slots/*.npy (tf_keras new optimizer variables)."""
    variables = list(opt.variables)
    order = [v.name for v in variables]
    assert variables[0] is opt.iterations or variables[0].name.startswith("iteration"), order[0]
    slots = []
    tw = {v.name.split(":")[0] for v in model.trainable_variables}
    layer_names = {l.name for l in model.layers}
    for v in variables[1:]:
        optname, slot, layer, weight = parse_slot_name(v.name, opt.name)
        if f"{layer}/{weight}" not in tw or layer not in layer_names:
            # A weight inside a layer's sub-object (a wrapper's inner layer, an RNN's cell):
            # 'm/bigru/forward_gru/gru_cell/kernel:0' parses as layer 'bigru/forward_gru/gru_cell';
            # the layer is the first part that names one of the model's layers, the rest belongs
            # to the weight ('bigru', 'forward_gru/gru_cell/kernel').
            full = f"{layer}/{weight}".split("/")
            for k in range(1, len(full)):
                head = "/".join(full[:k])
                if head in layer_names:
                    layer, weight = head, "/".join(full[k:])
                    if hasattr(model.get_layer(layer), "cell") and type(model.get_layer(layer)).__name__ != "RNN":
                        # A recurrent layer's cell variable goes by its short name, as kerasgo
                        # names it ('lstm/lstm_cell/kernel' -> 'kernel'); the generic RNN
                        # layer's keeps its cell's scope ('lstm_cell/kernel').
                        weight = weight.split("/")[-1]
                    break
        fname = f"slots/{layer.replace('/', '.')}_{weight.replace('/', '.')}_{slot}.npy"
        val = v.numpy()
        save_npy(os.path.join(d, fname), val)
        slots.append({"layer": layer, "weight": weight, "slot": slot, "name": v.name,
                      "file": fname, "shape": list(val.shape), "dtype": str(val.dtype)})
    # every slot refers to a real trainable weight
    for s in slots:
        assert f"{s['layer']}/{s['weight']}" in tw or s["name"].split(":")[0].endswith(f"{s['layer']}/{s['weight']}") \
            or any(t.startswith(s["layer"] + "/") and t.endswith("/" + s["weight"]) for t in tw), s
    info = {
        "class_name": type(opt).__name__,
        "iterations": int(opt.iterations.numpy()),
        "iterations_dtype": opt.iterations.dtype.name,
        "learning_rate": float(opt.learning_rate.numpy()) if hasattr(opt.learning_rate, "numpy") else float(opt.learning_rate),
        "slots": slots,
        "variables_order": order,
    }
    write_json(os.path.join(d, "optimizer.json"), info)
    return info


def write_state(d, model, opt):
    reset_dir(d)
    write_weights(d, model)
    return write_optimizer_state(d, model, opt)


def compile_json(model, opt, loss_obj, case):
    if isinstance(loss_obj, str):
        loss = loss_obj
        loss_cfg = None
    else:
        loss = type(loss_obj).__name__
        loss_cfg = jsonable(loss_obj.get_config())
    return {
        "optimizer": {"class_name": type(opt).__name__,
                      "registered_name": tf_keras.saving.get_registered_name(type(opt)),
                      "config": jsonable(opt.get_config())},
        "loss": loss,
        "loss_config": loss_cfg,
        "from_logits": case["from_logits"],
        "metrics": case["metrics"],
    }


def training_config_from_h5(model):
    """What tf_keras stores as the h5 root attribute training_config."""
    with tempfile.TemporaryDirectory() as td:
        p = os.path.join(td, "m.h5")
        model.save(p, include_optimizer=True)
        with h5py.File(p, "r") as f:
            tc = f.attrs["training_config"]
    if isinstance(tc, bytes):
        tc = tc.decode("utf-8")
    return json.loads(tc)


def gen_case(out, idx, name):
    c = CASES[name]
    d = os.path.join(out, name)
    reset_dir(d)
    seed = 2000 + idx
    rng = np.random.default_rng(seed)
    fresh(K2, seed)
    model = tf_keras.Sequential(c["build"](L))
    opt = c["opt"]()
    loss_obj = c["loss"]()
    model.compile(optimizer=opt, loss=loss_obj, metrics=list(c["metrics"]))

    write_text(os.path.join(d, "summary_keras2.txt"), summary_text(model))
    write_json(os.path.join(d, "compile.json"), compile_json(model, opt, loss_obj, c))
    reset_dir(os.path.join(d, "init"))
    write_weights(os.path.join(d, "init"), model)

    xs, ys = [], []
    for i in range(N_STEPS):
        x = rng.random((c["batch"],) + tuple(c["input_shape"]), dtype=np.float32)
        y = make_y(rng, c["y"], c["batch"])
        save_npy(os.path.join(d, "batches", f"x_{i:02d}.npy"), x)
        save_npy(os.path.join(d, "batches", f"y_{i:02d}.npy"), y)
        xs.append(x)
        ys.append(y)

    for i in range(N_STEPS):
        model.train_on_batch(xs[i], ys[i], reset_metrics=True)
    write_state(os.path.join(d, "state"), model, opt)
    # configs only now: saving an .h5 of a compiled tf_keras model before its first step makes
    # "accuracy" resolve to categorical_accuracy even for sparse labels (observed in 2.21).
    write_keras2_configs(d, model)
    try:
        write_json(os.path.join(d, "training_config.json"), training_config_from_h5(model))
    except Exception as e:  # optional
        log("train", name, "no training_config:", e)
    write_json(os.path.join(d, "meta.json"), {
        "case": name, "description": c["desc"], "input_shape": list(c["input_shape"]),
        "batch_size": c["batch"], "steps": N_STEPS, "y": c["y"], "seed": seed,
        "metrics_names": list(model.metrics_names),
        "state": "the state after 10 train_on_batch(batches/x_i, batches/y_i) steps from init/",
        "versions": VERSIONS,
    })
    log("train", name, "ok")


def check_case(out, name):
    """Replay: rebuild from config, load init weights, 10 steps, compare with state/ (the same
    machine and run that wrote it: the check is of the files, not of TF across CPUs)."""
    c = CASES[name]
    d = os.path.join(out, name)
    fresh(K2, 7)
    with open(os.path.join(d, "config_keras2.json")) as f:
        model = tf_keras.models.model_from_json(f.read())
    set_weights_by_layer(model, read_weights(os.path.join(d, "init")))
    model.compile(optimizer=c["opt"](), loss=c["loss"](), metrics=list(c["metrics"]))
    for i in range(N_STEPS):
        x = np.load(os.path.join(d, "batches", f"x_{i:02d}.npy"))
        y = np.load(os.path.join(d, "batches", f"y_{i:02d}.npy"))
        model.train_on_batch(x, y)
    sd = os.path.join(d, "state")
    for (ln, arrs), layer in zip(read_weights(sd), model.layers):
        for a, v in zip(arrs, layer.weights):
            assert_close(v.numpy(), a, 1e-5, f"{name}: {sd} {ln} {v.name}")
    with open(os.path.join(sd, "optimizer.json")) as f:
        info = json.load(f)
    assert int(model.optimizer.iterations.numpy()) == info["iterations"]
    assert [v.name for v in model.optimizer.variables] == info["variables_order"], name
    for s, v in zip(info["slots"], model.optimizer.variables[1:]):
        assert_close(v.numpy(), np.load(os.path.join(sd, s["file"])), 1e-5, f"{name}: slot {s['name']}")
    log("train", name, "check ok")


def gen_dropout(out):
    """Dropout facts (no parity numbers: TF's RNG is not reproduced in Go)."""
    d = os.path.join(out, "dropout")
    reset_dir(d)
    fresh(K2, 3)
    rate = 0.5
    layer = L.Dropout(rate)
    x = np.random.default_rng(3).random((4, 6), dtype=np.float32) + 0.5
    y_inf = layer(x, training=False).numpy()
    y_tr = layer(x, training=True).numpy()
    assert_equal(y_inf, x, "dropout inference identity")
    kept = y_tr != 0
    assert_close(y_tr[kept], x[kept] / (1 - rate), 1e-6, "dropout scaling")
    save_npy(os.path.join(d, "x.npy"), x)
    save_npy(os.path.join(d, "y_inference.npy"), y_inf)
    save_npy(os.path.join(d, "y_training_sample.npy"), y_tr)
    write_json(os.path.join(d, "meta.json"), {
        "rate": rate,
        "facts": ["y_inference == x exactly (Dropout is the identity at inference)",
                  "in training, every kept element equals x / (1 - rate) and the rest are 0; "
                  "y_training_sample is one TF draw (its mask is not reproducible outside TF)"],
        "versions": VERSIONS,
    })


def gen_bn_variance(out):
    """How each library updates BatchNormalization's moving_variance in training.

    tf_keras on 4-D input (the fused kernel) uses the unbiased batch variance (divides by
    n-1, n = batch*height*width); tf_keras on 2-D input and Keras 3 always use the biased one
    (divide by n). momentum=0.0 so the moving statistics become the batch statistics.
    """
    d = os.path.join(out, "bn_moving_variance")
    reset_dir(d)
    rng = np.random.default_rng(5)
    x4 = (rng.standard_normal((4, 2, 2, 3)) * 2 + 1).astype(np.float32)
    x2 = x4.reshape(16, 3)
    save_npy(os.path.join(d, "x4d.npy"), x4)
    save_npy(os.path.join(d, "x2d.npy"), x2)
    res = {}
    for lib, tag in [(tf_keras, "tf_keras"), (keras, "keras3")]:
        for x, shape_tag in [(x4, "4d"), (x2, "2d")]:
            bn = lib.layers.BatchNormalization(momentum=0.0)
            bn.build(x.shape)
            bn(x, training=True)
            mv = bn.moving_variance.numpy()
            mm = bn.moving_mean.numpy()
            save_npy(os.path.join(d, f"{tag}_{shape_tag}_moving_variance.npy"), mv)
            save_npy(os.path.join(d, f"{tag}_{shape_tag}_moving_mean.npy"), mm)
            flat = x.reshape(-1, x.shape[-1]).astype(np.float64)
            biased = flat.var(axis=0)
            unbiased = flat.var(axis=0, ddof=1)
            kind = "unbiased" if np.allclose(mv, unbiased, rtol=1e-5) else (
                "biased" if np.allclose(mv, biased, rtol=1e-5) else "other")
            res[f"{tag}_{shape_tag}"] = kind
    assert res == {"tf_keras_4d": "unbiased", "tf_keras_2d": "biased",
                   "keras3_4d": "biased", "keras3_2d": "biased"}, res
    write_json(os.path.join(d, "meta.json"), {
        "momentum": 0.0,
        "moving_variance_uses": res,
        "rule": "tf_keras BatchNormalization on 4-D input (fused) updates moving_variance with the "
                "unbiased batch variance (sum of squares / (n-1), n = batch*h*w); on 2-D input, and "
                "in Keras 3 always, with the biased one (/ n). The normalisation itself uses the "
                "biased variance in all cases.",
        "versions": VERSIONS,
    })
    log("train", "bn_moving_variance", res)


def main(out):
    out = os.path.join(out, "train")
    os.makedirs(out, exist_ok=True)
    names = list(CASES)
    for i, name in enumerate(names):
        gen_case(out, i, name)
    gen_dropout(out)
    gen_bn_variance(out)
    for name in names:
        check_case(out, name)


if __name__ == "__main__":
    import sys
    main(sys.argv[1])
