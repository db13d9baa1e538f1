"""testdata/chfirst/<case>/: models with data_format="channels_first" 2-D convolution and
pooling layers, written by real tf_keras 2.21 and Keras 3.15.1 (both run them on a CPU in
predict), with both libraries' predictions.

Each case is built in tf_keras (seeded; BatchNormalization statistics shifted from the
defaults) and saved as tfkeras/model.h5; Keras 3 builds the same model, gets the tf_keras
weights layer by layer and saves keras3/model.keras. x.npy (3 samples), y.npy (tf_keras),
y_keras3.npy (checked within 1e-5 of tf_keras's), config_keras2.json (the .h5 model_config),
config_keras2_to_json.json, config_keras3.json, summary_keras2.txt, summary_keras3.txt. Both
files are reloaded with the real libraries and checked. manifest.json lists each case's
description, seed and input shape.
"""

import os

from common import (K2, K3, VERSIONS, assert_close, fresh, h5_model_config, keras, log, np, reset_dir,
                    save_npy, summary_text, tf_keras, write_json, write_text)

CF = "channels_first"


def cf_sequential(lib):
    L = lib.layers
    return lib.Sequential([lib.Input((3, 9, 9), name="image"),
                           L.Conv2D(4, 3, activation="relu", data_format=CF, name="conv1"),
                           L.MaxPooling2D(2, data_format=CF, name="pool1"),
                           L.Conv2D(5, 3, padding="same", data_format=CF, name="conv2"),
                           L.BatchNormalization(axis=1, name="bn"),
                           L.AveragePooling2D(2, padding="same", data_format=CF, name="pool2"),
                           L.GlobalAveragePooling2D(data_format=CF, name="gap"),
                           L.Dense(3, activation="softmax", name="out")], name="cf_sequential")


def cf_functional(lib):
    L = lib.layers
    inp = lib.Input((2, 8, 7), name="image")
    a = L.Conv2D(3, 3, strides=2, padding="same", data_format=CF, name="conv_s2")(inp)
    b = L.Conv2D(3, 1, strides=2, data_format=CF, name="shortcut")(inp)
    x = L.Add(name="add")([a, b])
    x = L.GlobalMaxPooling2D(data_format=CF, keepdims=True, name="gmp")(x)
    x = L.Flatten(name="flat")(x)
    out = L.Dense(2, name="out")(x)
    return lib.Model(inp, out, name="cf_functional")


CASES = {
    "cf_sequential": (cf_sequential, "Sequential: Conv2D, MaxPooling2D, Conv2D same, BN(axis=1), AveragePooling2D "
                      "same, GlobalAveragePooling2D, all channels_first; Dense"),
    "cf_functional": (cf_functional, "Functional: Conv2D stride 2 and a 1x1 stride-2 shortcut added, "
                      "GlobalMaxPooling2D keepdims, all channels_first; Flatten, Dense"),
}


def main(out):
    out = os.path.join(out, "chfirst")
    reset_dir(out)
    manifest = {"versions": VERSIONS, "cases": {}}
    for i, (name, (build, desc)) in enumerate(CASES.items()):
        d = os.path.join(out, name)
        os.makedirs(os.path.join(d, "tfkeras"))
        os.makedirs(os.path.join(d, "keras3"))
        seed = 9400 + i
        rng = np.random.default_rng(seed)
        fresh(K2, seed)
        m2 = build(tf_keras)
        for l in m2.layers:
            if l.__class__.__name__ == "BatchNormalization":
                l.set_weights([w + rng.uniform(0.1, 0.5, w.shape).astype(np.float32) for w in l.get_weights()])
        fresh(K3, seed)
        m3 = build(keras)
        for l in m2.layers:
            if l.weights:
                m3.get_layer(l.name).set_weights(l.get_weights())
        m2.save(os.path.join(d, "tfkeras", "model.h5"))
        m3.save(os.path.join(d, "keras3", "model.keras"))
        write_text(os.path.join(d, "config_keras2.json"), h5_model_config(m2))
        write_text(os.path.join(d, "config_keras2_to_json.json"), m2.to_json())
        write_text(os.path.join(d, "config_keras3.json"), m3.to_json())
        write_text(os.path.join(d, "summary_keras2.txt"), summary_text(m2))
        write_text(os.path.join(d, "summary_keras3.txt"), summary_text(m3))
        x = rng.standard_normal((3,) + tuple(int(s) for s in m2.inputs[0].shape[1:])).astype(np.float32)
        y2, y3 = m2.predict(x, verbose=0), m3.predict(x, verbose=0)
        assert_close(y3, y2, 1e-5, f"{name}: keras3 vs tf_keras")
        save_npy(os.path.join(d, "x.npy"), x)
        save_npy(os.path.join(d, "y.npy"), y2)
        save_npy(os.path.join(d, "y_keras3.npy"), y3)
        manifest["cases"][name] = {"description": desc, "seed": seed, "input_shape": list(x.shape[1:])}
        log("chfirst", name, "written")
    for name in CASES:
        d = os.path.join(out, name)
        x = np.load(os.path.join(d, "x.npy"))
        fresh(K2, 0)
        assert_close(tf_keras.models.load_model(os.path.join(d, "tfkeras", "model.h5")).predict(x, verbose=0),
                     np.load(os.path.join(d, "y.npy")), 1e-6, f"{name} h5")
        fresh(K3, 0)
        assert_close(keras.saving.load_model(os.path.join(d, "keras3", "model.keras")).predict(x, verbose=0),
                     np.load(os.path.join(d, "y_keras3.npy")), 1e-6, f"{name} keras")
        log("chfirst", name, "check ok")
    write_json(os.path.join(out, "manifest.json"), manifest)


if __name__ == "__main__":
    import sys
    main(sys.argv[1])
