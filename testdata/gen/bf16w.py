"""testdata/bf16w/: bfloat16 variables (issue 11), written by Keras 3 only: tf_keras 2.21 cannot
reload a file of its own with bfloat16 variables.

  bfloat16_mlp/    Input vec (6,), Dense "d1" (5, relu) and Dense "d2" (4) built with
                   dtype="bfloat16" (bfloat16 variables and compute), BatchNormalization "bn"
                   (bfloat16) between them, a float32 softmax Activation "probs"; compiled with
                   Adam and fitted two steps, so the Adam slots are bfloat16 too. keras3/
                   model.keras and model.weights.h5; x0.npy, y0_keras3.npy (Keras 3's
                   predictions), config_keras3.json, summary_keras3.txt, weights.json + w/ (the
                   variables as float32 .npy: every bfloat16 value is one), optimizer.json.
Each file is reloaded with Keras 3 and checked (same predictions, variables in bfloat16).
"""

import json
import os

from common import (K3, VERSIONS, fresh, keras, np, reset_dir, save_npy, summary_text, write_json, write_text)


def build():
    L = keras.layers
    inp = keras.Input((6,), name="vec")
    x = L.Dense(5, activation="relu", dtype="bfloat16", name="d1")(inp)
    x = L.BatchNormalization(dtype="bfloat16", name="bn")(x)
    x = L.Dense(4, dtype="bfloat16", name="d2")(x)
    out = L.Activation("softmax", dtype="float32", name="probs")(x)
    return keras.Model(inp, out, name="bfloat16_mlp")


def weights_f32(m):
    return [np.asarray(keras.ops.cast(v.value, "float32")) for v in m.weights]


def main(out):
    root = os.path.join(out, "bf16w")
    reset_dir(root)
    d = os.path.join(root, "bfloat16_mlp")
    reset_dir(d)
    os.makedirs(os.path.join(d, "keras3"))
    fresh(K3, 16016)
    m = build()
    m.compile(optimizer=keras.optimizers.Adam(), loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(16016)
    xf = rng.standard_normal((8, 6)).astype(np.float32)
    yf = rng.integers(0, 4, size=(8,)).astype(np.float32)
    m.fit(xf, yf, batch_size=4, epochs=1, verbose=0, shuffle=False)
    x = rng.standard_normal((3, 6)).astype(np.float32)
    save_npy(os.path.join(d, "x0.npy"), x)
    y = np.asarray(m.predict(x, verbose=0), np.float32)
    save_npy(os.path.join(d, "y0_keras3.npy"), y)
    m.save(os.path.join(d, "keras3", "model.keras"))
    m.save_weights(os.path.join(d, "keras3", "model.weights.h5"))
    write_json(os.path.join(d, "config_keras3.json"), json.loads(m.to_json()))
    write_text(os.path.join(d, "summary_keras3.txt"), summary_text(m))
    layers = []
    for i, layer in enumerate(m.layers):
        ws = []
        for v in layer.weights:
            f = f"w/{i:02d}_{layer.name}_{v.name}.npy"
            save_npy(os.path.join(d, f), np.asarray(keras.ops.cast(v.value, "float32")))
            ws.append({"name": v.name, "trainable": bool(v.trainable), "file": f, "shape": list(v.shape),
                       "dtype": str(v.dtype)})
        layers.append({"name": layer.name, "class": type(layer).__name__, "weights": ws})
    write_json(os.path.join(d, "weights.json"), {"layers": layers})
    opt = m.optimizer
    write_json(os.path.join(d, "optimizer.json"), {
        "class_name": type(opt).__name__, "iterations": int(opt.iterations.numpy()),
        "variables": [{"path": v.path, "dtype": str(v.dtype), "shape": list(v.shape)} for v in opt.variables]})
    # checks: every file reloads in Keras 3 with the same predictions and bfloat16 variables
    dtypes = sorted({str(v.dtype) for l in m.layers if l.name in ("d1", "bn", "d2") for v in l.weights})
    assert dtypes == ["bfloat16"], dtypes
    for f in ["model.keras"]:
        back = keras.saving.load_model(os.path.join(d, "keras3", f))
        assert np.array_equal(np.asarray(back.predict(x, verbose=0)), y), f
        assert [str(v.dtype) for v in back.weights] == [str(v.dtype) for v in m.weights], f
    fresh(K3, 0)
    w = build()
    w.load_weights(os.path.join(d, "keras3", "model.weights.h5"))
    for a, b in zip(weights_f32(w), weights_f32(m)):
        assert np.array_equal(a, b)
    write_json(os.path.join(root, "manifest.json"), {
        "versions": VERSIONS, "cases": {"bfloat16_mlp": {
            "description": "Dense/BatchNormalization with dtype=bfloat16, float32 softmax; Adam, 2 steps",
            "variable_dtypes": dtypes, "optimizer_variables": [str(v.dtype) for v in opt.variables]}}})


if __name__ == "__main__":
    import sys
    main(sys.argv[1])
