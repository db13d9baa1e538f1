"""testdata/k3opt/: Keras 3 optimizer state that is not the common case (issue 9).

<case>/ (Keras 3 3.15.1): a Sequential whose layers have fewer variables than the defaults
(Conv2D and Dense use_bias=False, BatchNormalization center=False and scale=False), compiled
with the SECOND optimizer of its class in the session (object name adam_1, sgd_1,
rm_sprop_1), trained two steps, saved as model.weights.h5, model.keras and legacy.h5.
optimizer.json lists every optimizer variable in Keras's order (index, path, shape, dtype,
owning layer/weight and slot) with its value in opt/<index>.npy; weights.json + w/ hold the
weights.

zero/<lib>_<class>_<hyper>/: one optimizer hyper-parameter at 0 (the others Keras's
defaults) on a Dense model trained one step, saved by Keras 3 (model.keras) or tf_keras
(model.h5) with the optimizer; x.npy/y.npy are a next batch for a training step computed by
the tests in the same run (no training result is committed); config.json is the optimizer's
get_config().
"""

import json
import os

from common import (K2, K3, VERSIONS, fresh, h5py, keras, log, np, reset_dir, save_npy, tf_keras,
                    write_json, write_weights)

CASES = {
    "adam": lambda O: O.Adam(),
    "adam_amsgrad": lambda O: O.Adam(amsgrad=True),
    "sgd": lambda O: O.SGD(),
    "sgd_momentum": lambda O: O.SGD(momentum=0.9),
    "rmsprop": lambda O: O.RMSprop(),
    "rmsprop_momentum": lambda O: O.RMSprop(momentum=0.5),
    "rmsprop_centered": lambda O: O.RMSprop(centered=True),
    "rmsprop_momentum_centered": lambda O: O.RMSprop(momentum=0.5, centered=True),
}

SLOT_ATTRS = [("_momentums", "momentum"), ("momentums", "momentum"), ("_velocities", "velocity"), ("_velocity_hats", "velocity_hat"),
              ("_average_gradients", "average_gradient")]

ZERO = {
    "Adam": ["learning_rate", "beta_1", "beta_2", "epsilon", "weight_decay", "clipnorm", "global_clipnorm",
             "clipvalue", "ema_momentum"],
    "SGD": ["learning_rate", "momentum"],
    "RMSprop": ["learning_rate", "rho", "momentum", "epsilon"],
}

IN_SHAPE = (5, 5, 2)


def layers(L):
    return [
        L.Input(IN_SHAPE),
        L.Conv2D(3, (3, 3), use_bias=False),
        L.BatchNormalization(center=False),
        L.Flatten(),
        L.Dense(4, use_bias=False),
        L.BatchNormalization(scale=False),
        L.Dense(3, activation="softmax"),
    ]


def owners(model):
    """id(variable) -> (layer name, weight name) of every trainable variable."""
    own = {}
    for l in model.layers:
        for v in l.trainable_weights:
            own[id(v)] = (l.name, v.name)
    return own


def dump_optimizer(d, model):
    opt = model.optimizer
    own = owners(model)
    tv = list(model.trainable_variables)
    slot_of = {}
    for attr, slot in SLOT_ATTRS:
        lst = getattr(opt, attr, None) or []
        lst = [v for v in lst if v is not None]
        if lst:
            assert len(lst) == len(tv), (attr, len(lst), len(tv))
            for ref, sv in zip(tv, lst):
                slot_of[id(sv)] = own[id(ref)] + (slot,)
    nslots = len(opt.variables) - 2
    assert len(slot_of) == nslots, ("slots with no owner", len(slot_of), nslots)
    entries = []
    for i, v in enumerate(opt.variables):
        val = v.numpy()
        e = {"index": i, "path": v.path, "shape": list(val.shape), "dtype": str(val.dtype),
             "file": f"opt/{i:02d}.npy"}
        if id(v) in slot_of:
            e["layer"], e["weight"], e["slot"] = slot_of[id(v)]
        save_npy(os.path.join(d, e["file"]), val)
        entries.append(e)
    write_json(os.path.join(d, "optimizer.json"), {
        "name": opt.name, "class_name": type(opt).__name__, "config": opt.get_config(),
        "iterations": int(opt.iterations.numpy()), "learning_rate": float(np.asarray(opt.learning_rate)),
        "trainable_variables": [v.path for v in tv], "variables": entries})
    return entries


def check_opt(opt, d, what):
    with open(os.path.join(d, "optimizer.json")) as f:
        info = json.load(f)
    assert len(opt.variables) == len(info["variables"]), (what, len(opt.variables), len(info["variables"]))
    for e, v in zip(info["variables"], opt.variables):
        want = np.load(os.path.join(d, e["file"]))
        assert np.array_equal(v.numpy(), want), (what, e["path"], v.path)


def gen_case(out, idx, name):
    d = os.path.join(out, name)
    reset_dir(d)
    seed = 9100 + idx
    fresh(K3, seed)
    make = CASES[name]
    make(keras.optimizers)  # the first optimizer of the class takes the default name
    opt = make(keras.optimizers)
    m = keras.Sequential(layers(keras.layers))
    m.compile(optimizer=opt, loss="sparse_categorical_crossentropy")
    assert opt.name.endswith("_1"), opt.name
    rng = np.random.default_rng(seed)
    for _ in range(2):
        x = rng.random((6,) + IN_SHAPE, dtype=np.float32)
        y = rng.integers(0, 3, size=(6,)).astype(np.int64)
        m.train_on_batch(x, y)
    write_weights(d, m)
    entries = dump_optimizer(d, m)
    m.save_weights(os.path.join(d, "model.weights.h5"))
    m.save(os.path.join(d, "model.keras"))
    m.save(os.path.join(d, "legacy.h5"))
    with h5py.File(os.path.join(d, "model.weights.h5"), "r") as f:
        assert f["optimizer/vars"].attrs["name"] == opt.name
    # Reload every file with Keras 3: the optimizer variables come back bit for bit.
    fresh(K3, 0)
    r = keras.saving.load_model(os.path.join(d, "model.keras"))
    check_opt(r.optimizer, d, name + "/model.keras")
    fresh(K3, 0)
    r2 = keras.saving.load_model(os.path.join(d, "model.keras"))
    for v in r2.optimizer.variables:
        v.assign(np.zeros(v.shape, v.dtype.name if hasattr(v.dtype, "name") else v.dtype))
    r2.load_weights(os.path.join(d, "model.weights.h5"))
    check_opt(r2.optimizer, d, name + "/model.weights.h5")
    fresh(K3, 0)
    r3 = keras.saving.load_model(os.path.join(d, "legacy.h5"))
    # (Keras 3's legacy load_model leaves the optimizer unbuilt: its state is not restored.)
    for a, b in zip(r3.get_weights(), m.get_weights()):
        assert np.array_equal(a, b), name + "/legacy.h5 weights"
    write_json(os.path.join(d, "meta.json"), {
        "case": name, "optimizer": opt.name, "seed": seed, "input_shape": list(IN_SHAPE),
        "trained": "two train_on_batch steps of 6 random samples",
        "optimizer_variables": len(entries), "versions": VERSIONS})
    log("k3opt", name, opt.name, len(entries), "optimizer variables")


def gen_zero(out, idx, lib, cls, hyper):
    name = f"{'keras3' if lib is keras else 'tfkeras'}_{cls.lower()}_{hyper}"
    d = os.path.join(out, "zero", name)
    reset_dir(d)
    seed = 9300 + idx
    fresh(K3 if lib is keras else K2, seed)
    L = lib.layers
    opt = getattr(lib.optimizers, cls)(**{hyper: 0.0})
    if lib is keras:
        m = lib.Sequential([L.Input((3,)), L.Dense(2, activation="softmax")])
    else:
        m = lib.Sequential([L.Dense(2, activation="softmax", input_shape=(3,))])
    m.compile(optimizer=opt, loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(seed)
    m.train_on_batch(rng.random((4, 3), dtype=np.float32), rng.integers(0, 2, size=(4,)).astype(np.int64))
    cfg = json.loads(json.dumps(opt.get_config(), default=float))  # (tf_keras gives numpy floats)
    assert cfg[hyper] == 0.0, (name, cfg[hyper])
    write_json(os.path.join(d, "config.json"), cfg)
    save_npy(os.path.join(d, "x.npy"), rng.random((4, 3), dtype=np.float32))
    save_npy(os.path.join(d, "y.npy"), rng.integers(0, 2, size=(4,)).astype(np.int64))
    path = os.path.join(d, "model.keras" if lib is keras else "model.h5")
    m.save(path)
    fresh(K3 if lib is keras else K2, 0)
    r = lib.models.load_model(path)
    assert r.optimizer.get_config()[hyper] == 0.0, (name, "reloaded", r.optimizer.get_config()[hyper])
    return name


def main(out):
    out = os.path.join(out, "k3opt")
    os.makedirs(out, exist_ok=True)
    for i, name in enumerate(CASES):
        gen_case(out, i, name)
    names = []
    i = 0
    for lib in (keras, tf_keras):
        for cls, hypers in ZERO.items():
            for h in hypers:
                names.append(gen_zero(out, i, lib, cls, h))
                i += 1
    write_json(os.path.join(out, "zero", "cases.json"), names)
    log("k3opt", len(names), "zero-hyper-parameter files")


if __name__ == "__main__":
    import sys
    main(sys.argv[1])
