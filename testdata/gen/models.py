"""testdata/models/<variant>/: configs, summaries, weights, inputs and predictions (issue 2)."""

import json
import os

from common import (write_keras2_configs, K2, K3, VERSIONS, assert_close, fresh, keras, log, np, read_weights,
                    reset_dir, save_npy, set_weights_by_layer, summary_text, tf_keras,
                    write_json, write_text, write_weights, model_weights_per_layer)
from variants import MODEL_VARIANTS, make_loss

N_TRAIN = 64      # samples used to move weights / BN statistics away from their initial values
BATCH_TRAIN = 8   # -> 8 Adam steps
N_X = 8           # samples in x.npy


def build(lib, builder, input_shape, loss_kind, compile=True):
    model = lib.Sequential(builder(lib.layers, input_shape))
    if compile:
        model.compile(optimizer="adam", loss=make_loss(lib, loss_kind), metrics=["accuracy"])
    return model


def gen_variant(out, idx, name):
    builder, input_shape, loss_kind, desc = MODEL_VARIANTS[name]
    d = os.path.join(out, name)
    reset_dir(d)
    seed = 1000 + idx
    rng = np.random.default_rng(seed)
    x_train = rng.random((N_TRAIN,) + tuple(input_shape), dtype=np.float32)
    y_train = rng.integers(0, 10, size=(N_TRAIN,)).astype(np.int64)
    x = rng.random((N_X,) + tuple(input_shape), dtype=np.float32)

    # tf_keras: build, compile, train a few steps.
    fresh(K2, seed)
    m2 = build(tf_keras, builder, input_shape, loss_kind)
    m2.fit(x_train, y_train, batch_size=BATCH_TRAIN, epochs=1, shuffle=False, verbose=0)
    write_keras2_configs(d, m2)
    write_text(os.path.join(d, "summary_keras2.txt"), summary_text(m2))
    write_weights(d, m2)
    save_npy(os.path.join(d, "x.npy"), x, np.float32)
    y2 = m2.predict(x, verbose=0)
    save_npy(os.path.join(d, "y_keras2.npy"), y2, np.float32)

    # Keras 3: the same architecture, not compiled, the tf_keras weights set in.
    fresh(K3, seed)
    m3 = build(keras, builder, input_shape, loss_kind, compile=False)
    set_weights_by_layer(m3, model_weights_per_layer(m2))
    write_text(os.path.join(d, "config_keras3.json"), m3.to_json())
    write_text(os.path.join(d, "summary_keras3.txt"), summary_text(m3))
    y3 = m3.predict(x, verbose=0)
    save_npy(os.path.join(d, "y_keras3.npy"), y3, np.float32)
    # The same model compiled as the tf_keras one: to_json then carries compile_config.
    # Rebuilding that JSON with model_from_json compiles the model and builds the optimizer,
    # so Keras 3's summary then has an extra "Optimizer params" line: record that too.
    m3.compile(optimizer="adam", loss=make_loss(keras, loss_kind), metrics=["accuracy"])
    write_text(os.path.join(d, "config_keras3_compiled.json"), m3.to_json())
    fresh(K3, seed)
    m3c = keras.models.model_from_json(open(os.path.join(d, "config_keras3_compiled.json")).read())
    write_text(os.path.join(d, "summary_keras3_compiled.txt"), summary_text(m3c))

    write_json(os.path.join(d, "meta.json"), {
        "variant": name,
        "description": desc,
        "input_shape": list(input_shape),
        "x_shape": list(x.shape),
        "loss": loss_kind,
        "trained": {"optimizer": "adam", "samples": N_TRAIN, "batch_size": BATCH_TRAIN,
                    "steps": N_TRAIN // BATCH_TRAIN, "seed": seed},
        "layer_names": [l.name for l in m2.layers],
        "versions": VERSIONS,
    })
    log("models", name, "ok", "max|y2-y3| =", float(np.max(np.abs(y2 - y3))))


def check_variant(out, name):
    """Reload what was written with the real libraries and compare."""
    d = os.path.join(out, name)
    x = np.load(os.path.join(d, "x.npy"))
    y2 = np.load(os.path.join(d, "y_keras2.npy"))
    y3 = np.load(os.path.join(d, "y_keras3.npy"))
    per_layer = read_weights(d)
    assert_close(y2, y3, 1e-5, f"{name}: keras2 vs keras3 predictions")

    fresh(K2, 0)
    with open(os.path.join(d, "config_keras2.json")) as f:
        m2 = tf_keras.models.model_from_json(f.read())
    set_weights_by_layer(m2, per_layer)
    assert_close(m2.predict(x, verbose=0), y2, 1e-6, f"{name}: tf_keras rebuilt from config_keras2.json")
    with open(os.path.join(d, "summary_keras2.txt"), encoding="utf-8") as f:
        assert summary_text(m2) == f.read(), f"{name}: summary_keras2 differs after rebuild"
    fresh(K2, 0)
    with open(os.path.join(d, "config_keras2_to_json.json")) as f:
        m2b = tf_keras.models.model_from_json(f.read())
    set_weights_by_layer(m2b, per_layer)
    assert_close(m2b.predict(x, verbose=0), y2, 1e-6, f"{name}: tf_keras rebuilt from config_keras2_to_json.json")

    fresh(K3, 0)
    with open(os.path.join(d, "config_keras3.json")) as f:
        m3 = keras.models.model_from_json(f.read())
    set_weights_by_layer(m3, per_layer)
    assert_close(m3.predict(x, verbose=0), y3, 1e-6, f"{name}: keras3 rebuilt from config_keras3.json")
    with open(os.path.join(d, "summary_keras3.txt"), encoding="utf-8") as f:
        assert summary_text(m3) == f.read(), f"{name}: summary_keras3 differs after rebuild"

    # The weights in weights.json are exactly the model's get_weights() order.
    flat = [a for _, arrs in per_layer for a in arrs]
    assert len(flat) == len(m2.get_weights())
    log("models", name, "check ok")


def main(out):
    out = os.path.join(out, "models")
    os.makedirs(out, exist_ok=True)
    names = list(MODEL_VARIANTS)
    for i, name in enumerate(names):
        gen_variant(out, i, name)
    for name in names:
        check_variant(out, name)


if __name__ == "__main__":
    import sys
    main(sys.argv[1])
