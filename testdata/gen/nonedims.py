"""testdata/nonedims/<case>/: models whose inputs have None in dimensions other than the batch
(a fully convolutional net on Input((None, None, 3)), RNNs on Input((None, 8))), written by real
tf_keras 2.21 and Keras 3.15.1, with both libraries' predictions on inputs of two sizes.

Each case is built in tf_keras (seeded) and saved as tfkeras/model.h5; Keras 3 builds the same
model and gets the tf_keras weights layer by layer (the layers have the same names), and saves
keras3/model.keras. For each input size <s> in the case: x_<s>.npy, y_<s>.npy (tf_keras) and
y_<s>_keras3.npy. summary_keras2.txt and summary_keras3.txt are the libraries' summaries;
config_keras2.json (the .h5 model_config), config_keras2_to_json.json and config_keras3.json
(to_json) their configs.
Everything written is reloaded with the real libraries and checked. manifest.json lists each
case: description, the input sizes (shape without the batch per size), and the files.
"""

import os

from common import (K2, K3, VERSIONS, assert_close, fresh, h5_model_config, keras, log, np, reset_dir,
                    save_npy, summary_text, tf_keras, write_json, write_text)

TOL = 1e-5


def fcn(lib):
    L = lib.layers
    inp = lib.Input((None, None, 3), name="image")
    x = L.Conv2D(4, 3, padding="same", activation="relu", name="conv1")(inp)
    x = L.MaxPooling2D(2, name="pool1")(x)
    x = L.Conv2D(5, 3, name="conv2")(x)
    x = L.BatchNormalization(name="bn")(x)
    x = L.GlobalAveragePooling2D(name="gap")(x)
    out = L.Dense(3, activation="softmax", name="out")(x)
    return lib.Model(inp, out, name="fcn")


def fcn_map(lib):
    L = lib.layers
    return lib.Sequential([lib.Input((None, None, 2), name="image"),
                           L.Conv2D(3, 3, padding="same", activation="relu", name="c1"),
                           L.AveragePooling2D(2, name="p1"),
                           L.Conv2D(2, 1, name="c2"),
                           L.Dense(4, name="per_pixel")], name="fcn_map")


def lstm_seq(lib):
    L = lib.layers
    inp = lib.Input((None, 8), name="steps")
    x = L.LSTM(6, return_sequences=True, name="lstm1")(inp)
    x = L.GRU(4, name="gru2")(x)
    out = L.Dense(2, name="out")(x)
    return lib.Model(inp, out, name="lstm_seq")


def conv1d_seq(lib):
    L = lib.layers
    return lib.Sequential([lib.Input((None, 4), name="signal"),
                           L.Conv1D(3, 3, padding="causal", activation="relu", name="conv"),
                           L.SimpleRNN(5, return_sequences=True, name="rnn"),
                           L.GlobalMaxPooling1D(name="gmp"),
                           L.Dense(2, name="out")], name="conv1d_seq")


CASES = {
    "fcn": (fcn, "Functional: Input((None, None, 3)), Conv2D same, MaxPooling2D, Conv2D valid, BN, GAP, Dense",
            {"8x8": (8, 8, 3), "11x14": (11, 14, 3)}),
    "fcn_map": (fcn_map, "Sequential: Input((None, None, 2)), Conv2D same, AveragePooling2D, Conv2D 1x1, Dense on "
                "the channels (an output map of unknown size)", {"6x6": (6, 6, 2), "9x4": (9, 4, 2)}),
    "lstm_seq": (lstm_seq, "Functional: Input((None, 8)), LSTM return_sequences, GRU, Dense",
                 {"t5": (5, 8), "t9": (9, 8)}),
    "conv1d_seq": (conv1d_seq, "Sequential: Input((None, 4)), Conv1D causal, SimpleRNN return_sequences, "
                   "GlobalMaxPooling1D, Dense", {"t6": (6, 4), "t11": (11, 4)}),
}


def main(out):
    out = os.path.join(out, "nonedims")
    reset_dir(out)
    manifest = {"versions": VERSIONS, "cases": {}}
    for i, (name, (build, desc, sizes)) in enumerate(CASES.items()):
        d = os.path.join(out, name)
        os.makedirs(d)
        seed = 9300 + i
        rng = np.random.default_rng(seed)
        fresh(K2, seed)
        m2 = build(tf_keras)
        # Non-trivial BatchNormalization statistics, so that the files are not all defaults.
        for l in m2.layers:
            if l.__class__.__name__ == "BatchNormalization":
                l.set_weights([w + rng.uniform(0.1, 0.5, w.shape).astype(np.float32) for w in l.get_weights()])
        fresh(K3, seed)
        m3 = build(keras)
        for l in m2.layers:
            if l.weights:
                m3.get_layer(l.name).set_weights(l.get_weights())
        os.makedirs(os.path.join(d, "tfkeras"))
        os.makedirs(os.path.join(d, "keras3"))
        m2.save(os.path.join(d, "tfkeras", "model.h5"))
        m3.save(os.path.join(d, "keras3", "model.keras"))
        write_text(os.path.join(d, "config_keras2.json"), h5_model_config(m2))
        write_text(os.path.join(d, "config_keras2_to_json.json"), m2.to_json())
        write_text(os.path.join(d, "config_keras3.json"), m3.to_json())
        write_text(os.path.join(d, "summary_keras2.txt"), summary_text(m2))
        write_text(os.path.join(d, "summary_keras3.txt"), summary_text(m3))
        entry = {"description": desc, "seed": seed, "sizes": {}}
        for s, shape in sizes.items():
            x = rng.standard_normal((2,) + shape).astype(np.float32)
            y2 = m2.predict(x, verbose=0)
            y3 = m3.predict(x, verbose=0)
            assert_close(y3, y2, TOL, f"{name} {s}: keras3 vs tf_keras")
            save_npy(os.path.join(d, f"x_{s}.npy"), x)
            save_npy(os.path.join(d, f"y_{s}.npy"), y2)
            save_npy(os.path.join(d, f"y_{s}_keras3.npy"), y3)
            entry["sizes"][s] = {"shape": list(shape), "x": f"x_{s}.npy", "y_tf_keras": f"y_{s}.npy",
                                 "y_keras3": f"y_{s}_keras3.npy", "y_shape": list(y2.shape[1:])}
        manifest["cases"][name] = entry
        log("nonedims", name, "written")
    # Reload with the real libraries and check.
    for name, e in manifest["cases"].items():
        d = os.path.join(out, name)
        fresh(K2, 0)
        m2 = tf_keras.models.load_model(os.path.join(d, "tfkeras", "model.h5"))
        fresh(K3, 0)
        m3 = keras.saving.load_model(os.path.join(d, "keras3", "model.keras"))
        for s, z in e["sizes"].items():
            x = np.load(os.path.join(d, z["x"]))
            assert_close(m2.predict(x, verbose=0), np.load(os.path.join(d, z["y_tf_keras"])), 1e-6, f"{name} {s} h5")
            assert_close(m3.predict(x, verbose=0), np.load(os.path.join(d, z["y_keras3"])), 1e-6, f"{name} {s} keras")
        log("nonedims", name, "check ok")
    write_json(os.path.join(out, "manifest.json"), manifest)


if __name__ == "__main__":
    import sys
    main(sys.argv[1])
