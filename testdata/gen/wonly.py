"""testdata/wonly/<case>/: models whose layer classes kerasgo does not implement, for
`kerasgo convert --weights-only` (issue 10): each format's weights are converted without the
model being built.

Every case is built in tf_keras and in Keras 3 (the tf_keras weights copied in, leaf layer by
leaf layer) and saved as tf_keras model.h5, weights.h5 and a TF checkpoint (ckpt/weights), and
as Keras 3 model.keras and model.weights.h5; both libraries' predictions on x0.npy are written
(y0.npy, y0_keras3.npy) and checked within 1e-5 of each other, and every file is loaded back
and checked. The models are compiled (Adam) but not fitted; ScaleShift's non-trainable offset
is set to 0.25 so that a file loaded into the wrong variables shows in the predictions.
manifest.json lists the cases, their layer classes and files.
"""

import os

from common import (K2, K3, VERSIONS, assert_close, fresh, keras, log, np, reset_dir, save_npy, tf_keras,
                    write_json, write_text)
from wonly_layers import scale_shift_class

TOL = 1e-5
BATCH = 3


def unknown_sequential(lib):
    L = lib.layers
    ss = scale_shift_class(lib)
    return lib.Sequential([lib.Input((6,), name="features"), L.Dense(8, activation="relu", name="d1"),
                           L.LayerNormalization(name="ln"), ss(name="scale"),
                           L.Dense(3, activation="softmax", name="out")], name="unknown_sequential")


def unknown_functional(lib):
    L = lib.layers
    ss = scale_shift_class(lib)
    inp = lib.Input((10, 4), name="seq")
    a = L.Conv1D(5, 3, padding="same", name="c1")(inp)
    a = L.LayerNormalization(name="ln")(a)
    b = L.Conv1D(5, 1, name="c2")(inp)
    x = L.Add(name="add")([a, b])
    x = ss(name="scale")(x)
    x = L.GlobalAveragePooling1D(name="gap")(x)
    head = lib.Sequential([L.Dense(6, activation="tanh", name="h_dense"), ss(name="h_scale")], name="head_block")
    out = L.Dense(3, name="out")(head(x))
    return lib.Model(inp, out, name="unknown_functional")


def unknown_nested_first(lib):
    L = lib.layers
    ss = scale_shift_class(lib)
    inner = lib.Sequential([ss(name="s"), L.Dense(3, activation="relu", name="d")], name="inner")
    return lib.Sequential([lib.Input((4,), name="features"), inner, L.Dense(2, name="out")], name="nested_first")


def lstm(lib):
    L = lib.layers
    return lib.Sequential([lib.Input((5, 3), name="steps"), L.LSTM(4, name="lstm"), L.Dense(2, name="out")],
                          name="lstm_model")


CASES = {
    "unknown_sequential": (unknown_sequential, "Sequential: Dense, LayerNormalization, custom ScaleShift, Dense"),
    "unknown_functional": (unknown_functional, "Functional: Conv1D+LayerNormalization and Conv1D branches, Add, "
                           "ScaleShift, GlobalAveragePooling1D, nested Sequential 'head_block' (Dense, ScaleShift), Dense"),
    "unknown_nested_first": (unknown_nested_first, "Sequential holding Sequential 'inner' (ScaleShift, then Dense): "
                             "the inner group of tf_keras's .h5 lists Dense's variables before ScaleShift's "
                             "non-trainable offset"),
    "lstm": (lstm, "Sequential: LSTM (its variables belong to its cell), Dense"),
}


def leaves(lib, model):
    out = []
    for l in model.layers:
        if isinstance(l, lib.Model):
            out.extend(leaves(lib, l))
        else:
            out.append(l)
    return out


def gen_case(out, name, builder, desc, seed):
    d = os.path.join(out, name)
    reset_dir(d)
    rng = np.random.default_rng(seed)
    fresh(K2, seed)
    m2 = builder(tf_keras)
    for l in leaves(tf_keras, m2):
        if type(l).__name__ == "ScaleShift":
            l.offset.assign(0.25)
            l.scale.assign(rng.uniform(0.5, 1.5, l.scale.shape).astype(np.float32))
            l.shift.assign(rng.uniform(-0.5, 0.5, l.shift.shape).astype(np.float32))
    fresh(K3, seed)
    m3 = builder(keras)
    l2, l3 = [l for l in leaves(tf_keras, m2) if l.weights], [l for l in leaves(keras, m3) if l.weights]
    assert [l.name for l in l2] == [l.name for l in l3], ([l.name for l in l2], [l.name for l in l3])
    for a, b in zip(l2, l3):
        b.set_weights(a.get_weights())
    m2.compile(optimizer=tf_keras.optimizers.Adam(), loss="mse")
    m3.compile(optimizer=keras.optimizers.Adam(), loss="mse")

    x = rng.standard_normal((BATCH,) + tuple(int(s) for s in m2.inputs[0].shape[1:])).astype(np.float32)
    save_npy(os.path.join(d, "x0.npy"), x)
    y2 = m2.predict(x, verbose=0)
    y3 = m3.predict(x, verbose=0)
    assert_close(y3, y2, TOL, f"{name}: Keras 3 vs tf_keras")
    save_npy(os.path.join(d, "y0.npy"), y2)
    save_npy(os.path.join(d, "y0_keras3.npy"), y3)
    write_text(os.path.join(d, "config_keras2.json"), m2.to_json())
    write_text(os.path.join(d, "config_keras3.json"), m3.to_json())

    t, k = os.path.join(d, "tfkeras"), os.path.join(d, "keras3")
    os.makedirs(t)
    os.makedirs(k)
    m2.save(os.path.join(t, "model.h5"))
    m2.save_weights(os.path.join(t, "weights.h5"))
    m2.save_weights(os.path.join(t, "ckpt", "weights"))
    m3.save(os.path.join(k, "model.keras"))
    m3.save_weights(os.path.join(k, "model.weights.h5"))

    # Everything written loads back with the library that wrote it.
    for f in ("model.h5", "weights.h5", "ckpt/weights"):
        fresh(K2, 0)
        with tf_keras.saving.custom_object_scope({"ScaleShift": scale_shift_class(tf_keras)}):
            if f == "model.h5":
                back = tf_keras.models.load_model(os.path.join(t, f))
            else:
                back = tf_keras.models.model_from_json(m2.to_json())
            back.load_weights(os.path.join(t, f))
        assert_close(back.predict(x, verbose=0), y2, 1e-6, f"{name}: tf_keras {f}")
    for f in ("model.keras", "model.weights.h5"):
        fresh(K3, 0)
        if f == "model.keras":
            back = keras.saving.load_model(os.path.join(k, f))
        else:
            back = keras.models.model_from_json(m3.to_json())
            back.load_weights(os.path.join(k, f))
        assert_close(back.predict(x, verbose=0), y3, 1e-6, f"{name}: Keras 3 {f}")

    files = sorted(os.path.relpath(os.path.join(r, f), d) for r, _, fs in os.walk(d) for f in fs)
    log("wonly", name, "written")
    return {"description": desc, "seed": seed,
            "layer_classes": sorted({type(l).__name__ for l in leaves(tf_keras, m2)}),
            "weighted_layers": [l.name for l in l2],
            "files": files}


def main(out):
    out = os.path.join(out, "wonly")
    reset_dir(out)
    cases = {}
    for i, (name, (builder, desc)) in enumerate(CASES.items()):
        cases[name] = gen_case(out, name, builder, desc, 7000 + i)
    write_json(os.path.join(out, "manifest.json"), {"versions": VERSIONS, "cases": cases})


if __name__ == "__main__":
    import sys
    main(sys.argv[1])
