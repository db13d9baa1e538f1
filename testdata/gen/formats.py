"""testdata/formats/<variant>/: every file format, written by real tf_keras / Keras 3 / TF
(issues 4, 5, 6), with the expected predictions, weights and optimizer state, and the inputs
of one more training step (next/x.npy, next/y.npy). The result of that step is not written: TF's
training results differ between CPUs, so the tests compute it on their own machine with
reference.py (see internal/testref).
"""

import json
import os
import tempfile

from common import (write_keras2_configs, K2, K3, VERSIONS, assert_close, fresh, h5py, keras, log, np,
                    read_weights, reset_dir, save_npy, set_weights_by_layer, summary_text, tf,
                    tf_keras, write_json, write_text, write_weights, model_weights_per_layer)
from train import write_optimizer_state, jsonable
import variants

N_TRAIN = 32
BATCH = 8
BATCH_NEXT = 4
N_X = 4

K3_TO_K2_SLOT = {"momentum": "m", "velocity": "v", "velocity_hat": "vhat",
                 "average_gradient": "average_gradient"}
SLOT_ATTRS = [("_momentums", "momentum"), ("momentums", "momentum"), ("_velocities", "velocity"),
              ("_velocity_hats", "velocity_hat"), ("_average_gradients", "average_gradient")]

# variant -> (builder, input_shape, optimizer kind, description)
VARIANTS = {
    "seed": (lambda L: variants.seed(L), (32, 32, 3), "adam",
             "the seed model exactly, Adam, trained 4 steps"),
    "no_bn": (lambda L: variants.no_bn(L, input_shape=(12, 12, 3)), (12, 12, 3), "adam",
              "models/no_bn architecture on 12x12x3, Adam, trained 4 steps"),
    "wide": (lambda L: variants.wide(L, input_shape=(12, 12, 3), filters=(12, 16), units=24), (12, 12, 3), "adam",
             "models/wide layer structure (two Conv2D, BN, Dropout) with filters 12/16, Dense 24, on 12x12x3, Adam"),
    "sgd_momentum": (lambda L: variants.seed(L, input_shape=(12, 12, 3)), (12, 12, 3), "sgd_momentum",
                     "seed architecture on 12x12x3, SGD lr 0.01 momentum 0.9, trained 4 steps"),
}


def make_opt(lib, kind):
    if kind == "adam":
        return lib.optimizers.Adam()
    if kind == "sgd_momentum":
        return lib.optimizers.SGD(learning_rate=0.01, momentum=0.9)
    raise ValueError(kind)


def build(lib, builder, kind):
    m = lib.Sequential(builder(lib.layers))
    m.compile(optimizer=make_opt(lib, kind), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


def disable_dropout(model):
    """Set every Dropout rate to 0 and drop the traced train function (the rate is baked
    into the traced graph, so without a retrace the old rate would still apply)."""
    for l in model.layers:
        if "Dropout" in type(l).__name__:
            l.rate = 0.0
    model.train_function = None
    if hasattr(model, "make_train_function"):
        try:
            model.make_train_function(force=True)
        except TypeError:
            model.make_train_function()


def var_owner(model):
    """id(variable) -> (layer name, short weight name) for every trainable variable."""
    own = {}
    for l in model.layers:
        for v in l.trainable_weights:
            own[id(v)] = (l.name, v.name.split("/")[-1].split(":")[0])
    return own


def write_optimizer_state_k3(d, model, opt, k2_slots, json_name="optimizer_keras3.json", rel="slots_keras3"):
    """Keras 3 optimizer variables in order. Slot values are bit-identical to the tf_keras
    slots (they were copied), so their "file" is the tf_keras slot file (relative to d);
    only the scalars (iteration, learning_rate) get their own files under rel/."""
    own = var_owner(model)
    tv = list(model.trainable_variables)
    slot_of = {}
    for attr, slot in SLOT_ATTRS:
        lst = getattr(opt, attr, None)
        if not lst:
            continue
        assert len(lst) == len(tv), (attr, len(lst), len(tv))
        for ref, sv in zip(tv, lst):
            slot_of[id(sv)] = (own[id(ref)], slot)
    entries = []
    for i, v in enumerate(opt.variables):
        val = v.numpy()
        e = {"index": i, "path": v.path, "name": v.name, "shape": list(val.shape), "dtype": str(val.dtype)}
        if id(v) in slot_of:
            (layer, weight), slot = slot_of[id(v)]
            e.update({"layer": layer, "weight": weight, "slot": slot})
            e["tf_keras_slot"] = K3_TO_K2_SLOT[slot]
        if id(v) in slot_of and k2_slots is not None:
            k2 = k2_slots[(layer, weight, K3_TO_K2_SLOT[slot])]
            assert np.array_equal(np.load(os.path.join(d, k2)), val), (e["path"], k2)
            e["file"] = k2
        else:
            e["file"] = f"{rel}/{v.name}.npy"
            save_npy(os.path.join(d, e["file"]), val)
        entries.append(e)
    info = {
        "class_name": type(opt).__name__,
        "iterations": int(opt.iterations.numpy()),
        "iterations_dtype": str(opt.iterations.numpy().dtype),
        "learning_rate": float(np.asarray(opt.learning_rate)),
        "variables": entries,
        "variables_order": [v.path for v in opt.variables],
    }
    write_json(os.path.join(d, json_name), info)
    return info


def snapshot_optimizer(opt2):
    """tf_keras optimizer state as numpy: iterations and the per-variable slot lists."""
    snap = {"iterations": int(opt2.iterations.numpy())}
    for attr, _ in SLOT_ATTRS:
        lst = getattr(opt2, attr, None)
        if lst:
            snap[attr] = [v.numpy() for v in lst]
    return snap


def copy_optimizer_state(snap, opt3, m3):
    """tf_keras optimizer state -> Keras 3 optimizer (same slots, Keras 3 names)."""
    opt3.build(m3.trainable_variables)
    opt3.iterations.assign(snap["iterations"])
    n = 0
    for attr, _ in SLOT_ATTRS:
        a3 = getattr(opt3, attr, None)
        if a3:
            a2 = snap.get(attr)
            assert a2 is not None and len(a2) == len(a3), attr
            for s2, s3 in zip(a2, a3):
                s3.assign(s2)
                n += 1
    return n


def k2_optimizer_values(opt):
    return [v.numpy() for v in opt.variables]


def gen_variant(out, idx, name):
    builder, input_shape, kind, desc = VARIANTS[name]
    d = os.path.join(out, name)
    reset_dir(d)
    seed = 3000 + idx
    rng = np.random.default_rng(seed)
    x_train = rng.random((N_TRAIN,) + input_shape, dtype=np.float32)
    y_train = rng.integers(0, 10, size=(N_TRAIN,)).astype(np.int64)
    x = rng.random((N_X,) + input_shape, dtype=np.float32)
    nx = rng.random((BATCH_NEXT,) + input_shape, dtype=np.float32)
    ny = rng.integers(0, 10, size=(BATCH_NEXT,)).astype(np.int64)

    # ---- tf_keras: build, train, save every tf_keras / TF format -------------------------
    fresh(K2, seed)
    m2 = build(tf_keras, builder, kind)
    m2.fit(x_train, y_train, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
    opt2 = m2.optimizer

    save_npy(os.path.join(d, "x.npy"), x)
    y = m2.predict(x, verbose=0)
    save_npy(os.path.join(d, "y.npy"), y)
    write_weights(d, m2)
    k2info = write_optimizer_state(d, m2, opt2)
    k2_slots = {(e["layer"], e["weight"], e["slot"]): e["file"] for e in k2info["slots"]}
    write_text(os.path.join(d, "summary_keras2.txt"), summary_text(m2))
    write_keras2_configs(d, m2)

    t = os.path.join(d, "tfkeras")
    os.makedirs(t)
    m2.save(os.path.join(t, "model.h5"), include_optimizer=True)
    m2.save_weights(os.path.join(t, "weights.h5"))
    m2.save_weights(os.path.join(t, "ckpt", "weights"))
    m2.save(os.path.join(t, "savedmodel"), save_format="tf", include_optimizer=True)
    m2.save(os.path.join(t, "model.keras"))

    # a plain tf.train.Checkpoint, and a CheckpointManager (max_to_keep=2, 3 saves)
    tc = os.path.join(d, "tfcheckpoint")
    ckpt = tf.train.Checkpoint(model=m2, optimizer=opt2)
    plain_path = ckpt.save(os.path.join(tc, "plain", "ckpt"))
    managed, kept = [], []
    if name != "seed":  # (the seed's checkpoints are ~300 KB each: only the plain one)
        ckpt2 = tf.train.Checkpoint(model=m2, optimizer=opt2)
        mgr = tf.train.CheckpointManager(ckpt2, os.path.join(tc, "managed"), max_to_keep=2)
        managed = [mgr.save() for _ in range(3)]
        kept = list(mgr.checkpoints)

    snap = snapshot_optimizer(opt2)

    # ---- the inputs of one more step (its result: reference.py, on the test machine) -------
    save_npy(os.path.join(d, "next", "x.npy"), nx)
    save_npy(os.path.join(d, "next", "y.npy"), ny)
    log("formats", name, "tf_keras ok")

    # ---- Keras 3: same weights, same optimizer state copied in ---------------------------
    fresh(K3, seed)
    m3 = build(keras, builder, kind)
    per_layer = read_weights(d)
    set_weights_by_layer(m3, per_layer)
    nslots = copy_optimizer_state(snap, m3.optimizer, m3)
    y3 = m3.predict(x, verbose=0)
    assert_close(y3, y, 1e-5, f"{name}: keras3 predictions vs tf_keras")
    save_npy(os.path.join(d, "y_keras3.npy"), y3)
    write_optimizer_state_k3(d, m3, m3.optimizer, k2_slots)
    k3 = os.path.join(d, "keras3")
    os.makedirs(k3)
    m3.save(os.path.join(k3, "model.keras"))
    m3.save_weights(os.path.join(k3, "model.weights.h5"))
    m3.save(os.path.join(k3, "legacy.h5"))
    m3.export(os.path.join(k3, "export"), verbose=False)
    write_text(os.path.join(d, "config_keras3.json"), m3.to_json())
    fresh(K3, seed)
    loaded = keras.saving.load_model(os.path.join(k3, "model.keras"))
    write_text(os.path.join(d, "summary_keras3.txt"), summary_text(loaded))

    log("formats", name, "keras3 ok")

    write_json(os.path.join(d, "meta.json"), {
        "variant": name, "description": desc, "input_shape": list(input_shape),
        "optimizer": kind, "loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"],
        "trained": {"samples": N_TRAIN, "batch_size": BATCH, "steps": N_TRAIN // BATCH, "seed": seed,
                    "how": "model.fit(epochs=1, shuffle=False), Dropout active"},
        "next": "inputs of one model.train_on_batch(next/x.npy, next/y.npy) from the saved state, with "
                "every Dropout layer's rate set to 0.0 for that step; the tests compute its result "
                "with reference.py on their own machine",
        "keras3": "separate Keras 3 model, same architecture; weights and optimizer slots/iterations "
                  "copied from the tf_keras model (Keras 3 learning_rate variable = same value); "
                  f"{nslots} slot variables copied",
        "tfcheckpoint": {"plain": os.path.relpath(plain_path, d),
                         "managed": [os.path.relpath(p, d) for p in managed],
                         "managed_kept": [os.path.relpath(p, d) for p in kept]},
        "versions": VERSIONS,
    })


def check_k2_optimizer(opt, d, what):
    with open(os.path.join(d, "optimizer.json")) as f:
        info = json.load(f)
    assert int(opt.iterations.numpy()) == info["iterations"], (what, int(opt.iterations.numpy()), info["iterations"])
    # A reloaded optimizer may name its variables without the "Adam/" scope (tf_keras
    # load_model from .h5 builds them outside the optimizer's name scope): compare the rest.
    def strip(n):
        p = n.split("/")
        return "/".join(p[1:]) if p[0] in ("Adam", "SGD", "RMSprop") else n
    names = [strip(v.name) for v in opt.variables]
    assert names == [strip(n) for n in info["variables_order"]], (what, names[:3], info["variables_order"][:3])
    for s, v in zip(info["slots"], opt.variables[1:]):
        assert_close(v.numpy(), np.load(os.path.join(d, s["file"])), 1e-7, f"{what}: {s['name']}")


def check_k3_optimizer(opt, d, what, json_name="optimizer_keras3.json", tol=1e-7):
    with open(os.path.join(d, json_name)) as f:
        info = json.load(f)
    # Keras 3 variable paths depend on how the model was built: a Sequential built in
    # Python has 'sequential/conv_1/kernel' (slot 'adam/sequential_conv_1_kernel_momentum'),
    # the same model loaded from .keras has 'conv_1/kernel' ('adam/conv_1_kernel_momentum').
    def norm(p):
        return p.replace("/sequential_", "/")
    got = [norm(v.path) for v in opt.variables]
    assert got == [norm(p) for p in info["variables_order"]], (what, got[:4], info["variables_order"][:4])
    for e, v in zip(info["variables"], opt.variables):
        assert_close(v.numpy(), np.load(os.path.join(d, e["file"])), tol, f"{what}: {e['path']}")


def check_weights(model, d, what, tol=1e-7):
    for (ln, arrs), layer in zip(read_weights(d), model.layers):
        assert ln == layer.name, (what, ln, layer.name)
        for a, v in zip(arrs, layer.weights):
            assert_close(v.numpy(), a, tol, f"{what}: {ln}/{v.name}")


def check_variant(out, name):
    builder, input_shape, kind, desc = VARIANTS[name]
    d = os.path.join(out, name)
    t = os.path.join(d, "tfkeras")
    k3 = os.path.join(d, "keras3")
    x = np.load(os.path.join(d, "x.npy"))
    y = np.load(os.path.join(d, "y.npy"))
    nx = np.load(os.path.join(d, "next", "x.npy"))
    ny = np.load(os.path.join(d, "next", "y.npy"))

    def step(m):
        disable_dropout(m)
        r = m.train_on_batch(nx, ny)
        return float(r[0]), [v.numpy() for v in m.weights], [v.numpy() for v in m.optimizer.variables]

    # The next step from tf_keras's checkpoint, in this process; every other tf_keras file must
    # give the same step.
    fresh(K2, 0)
    m = build(tf_keras, builder, kind)
    m.optimizer.build(m.trainable_variables)
    m.load_weights(os.path.join(t, "ckpt", "weights")).assert_consumed()
    ref = step(m)

    def next_step_k2(m, what):
        loss, ws, os_ = step(m)
        assert_close(loss, ref[0], 1e-5, f"{what}: next loss")
        for a, b in zip(ws, ref[1]):
            assert_close(a, b, 1e-5, f"{what}: next weights")
        for a, b in zip(os_, ref[2]):
            assert_close(a, b, 1e-5, f"{what}: next optimizer variables")

    # tf_keras full model h5
    fresh(K2, 0)
    m = tf_keras.models.load_model(os.path.join(t, "model.h5"))
    assert_close(m.predict(x, verbose=0), y, 1e-6, f"{name}: tfkeras/model.h5 predict")
    check_k2_optimizer(m.optimizer, d, f"{name}: tfkeras/model.h5 optimizer")
    assert summary_text(m) == open(os.path.join(d, "summary_keras2.txt"), encoding="utf-8").read()
    next_step_k2(m, f"{name}: tfkeras/model.h5")

    # tf_keras weights h5
    fresh(K2, 0)
    m = build(tf_keras, builder, kind)
    m.load_weights(os.path.join(t, "weights.h5"))
    assert_close(m.predict(x, verbose=0), y, 1e-6, f"{name}: tfkeras/weights.h5 predict")

    # tf_keras TF-format checkpoint (weights + optimizer)
    fresh(K2, 0)
    m = build(tf_keras, builder, kind)
    st = m.load_weights(os.path.join(t, "ckpt", "weights"))
    m.optimizer.build(m.trainable_variables)
    st.assert_consumed()
    assert_close(m.predict(x, verbose=0), y, 1e-6, f"{name}: tfkeras/ckpt predict")
    check_k2_optimizer(m.optimizer, d, f"{name}: tfkeras/ckpt optimizer")
    next_step_k2(m, f"{name}: tfkeras/ckpt")

    # tf_keras SavedModel: as a Keras model and as a plain TF SavedModel
    fresh(K2, 0)
    m = tf_keras.models.load_model(os.path.join(t, "savedmodel"))
    assert_close(m.predict(x, verbose=0), y, 1e-6, f"{name}: tfkeras/savedmodel predict")
    # tf_keras 2.21 load_model(SavedModel) does not restore the (new) optimizer's state
    # although variables/ holds it; load_weights on variables/variables does.
    assert int(m.optimizer.iterations.numpy()) == 0, "tf_keras now restores optimizer state from SavedModel"
    st = m.load_weights(os.path.join(t, "savedmodel", "variables", "variables"))
    m.optimizer.build(m.trainable_variables)
    st.assert_existing_objects_matched()
    check_k2_optimizer(m.optimizer, d, f"{name}: tfkeras/savedmodel optimizer")
    next_step_k2(m, f"{name}: tfkeras/savedmodel")
    sm = tf.saved_model.load(os.path.join(t, "savedmodel"))
    sig = sm.signatures["serving_default"]
    outs = sig(tf.constant(x))
    assert len(outs) == 1
    assert_close(list(outs.values())[0].numpy(), y, 1e-6, f"{name}: savedmodel serving_default")

    # tf_keras .keras
    fresh(K2, 0)
    m = tf_keras.models.load_model(os.path.join(t, "model.keras"))
    assert_close(m.predict(x, verbose=0), y, 1e-6, f"{name}: tfkeras/model.keras predict")
    check_k2_optimizer(m.optimizer, d, f"{name}: tfkeras/model.keras optimizer")

    # tf.train.Checkpoint (plain and managed)
    with open(os.path.join(d, "meta.json")) as f:
        meta = json.load(f)
    prefixes = [meta["tfcheckpoint"]["plain"]]
    if meta["tfcheckpoint"]["managed"]:
        prefixes.append(tf.train.latest_checkpoint(os.path.join(d, "tfcheckpoint", "managed")))
        ms = tf.train.get_checkpoint_state(os.path.join(d, "tfcheckpoint", "managed"))
        assert len(ms.all_model_checkpoint_paths) == 2, ms
    for prefix in prefixes:
        fresh(K2, 0)
        m = build(tf_keras, builder, kind)
        m.optimizer.build(m.trainable_variables)
        ck = tf.train.Checkpoint(model=m, optimizer=m.optimizer)
        ck.restore(os.path.join(d, prefix) if not os.path.isabs(prefix) else prefix).assert_consumed()
        assert_close(m.predict(x, verbose=0), y, 1e-6, f"{name}: tfcheckpoint {prefix}")
        check_k2_optimizer(m.optimizer, d, f"{name}: tfcheckpoint optimizer")

    # Keras 3 .keras
    fresh(K3, 0)
    m = keras.saving.load_model(os.path.join(k3, "model.keras"))
    assert_close(m.predict(x, verbose=0), y, 1e-5, f"{name}: keras3/model.keras predict")
    check_k3_optimizer(m.optimizer, d, f"{name}: keras3/model.keras optimizer")
    assert summary_text(m) == open(os.path.join(d, "summary_keras3.txt"), encoding="utf-8").read()

    # Keras 3 .weights.h5 (includes the optimizer when the model is compiled and built)
    fresh(K3, 0)
    m = build(keras, builder, kind)
    m.optimizer.build(m.trainable_variables)
    m.load_weights(os.path.join(k3, "model.weights.h5"))
    assert_close(m.predict(x, verbose=0), y, 1e-5, f"{name}: keras3/model.weights.h5 predict")
    check_k3_optimizer(m.optimizer, d, f"{name}: keras3/model.weights.h5 optimizer")

    # Keras 3 legacy h5
    fresh(K3, 0)
    m = keras.saving.load_model(os.path.join(k3, "legacy.h5"))
    assert_close(m.predict(x, verbose=0), y, 1e-5, f"{name}: keras3/legacy.h5 predict")

    # Keras 3 export (plain SavedModel)
    sm = tf.saved_model.load(os.path.join(k3, "export"))
    assert_close(sm.serve(tf.constant(x)).numpy(), y, 1e-5, f"{name}: keras3/export serve")
    outs = sm.signatures["serving_default"](tf.constant(x))
    assert_close(list(outs.values())[0].numpy(), y, 1e-5, f"{name}: keras3/export serving_default")
    lay = keras.layers.TFSMLayer(os.path.join(k3, "export"), call_endpoint="serving_default")
    o = lay(x)
    o = list(o.values())[0] if isinstance(o, dict) else o
    assert_close(np.asarray(o), y, 1e-5, f"{name}: keras3/export TFSMLayer")
    log("formats", name, "check ok")


def main(out):
    out = os.path.join(out, "formats")
    os.makedirs(out, exist_ok=True)
    names = list(VARIANTS)
    for i, name in enumerate(names):
        gen_variant(out, i, name)
    for name in names:
        check_variant(out, name)


if __name__ == "__main__":
    import sys
    main(sys.argv[1])
