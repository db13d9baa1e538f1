"""testdata/verify/: small real files of models kerasgo cannot run (issue 9), for
`kerasgo verify` and `kerasgo ls`: every variable a file holds must be counted and either read
by kerasgo's loader or reported.

Each file's variables are listed in manifest.json exactly as h5py (every dataset, for .h5,
.weights.h5 and the model.weights.h5 inside a .keras zip) or tf.train.list_variables (the
variables bundle of a SavedModel) report them.
"""

import io
import os
import zipfile

from common import K2, K3, VERSIONS, fresh, h5py, keras, log, np, reset_dir, tf, tf_keras, write_json


def h5_datasets(f):
    """Every dataset of an open h5py file, as sorted paths."""
    out = []
    f.visititems(lambda name, obj: out.append(name) if isinstance(obj, h5py.Dataset) else None)
    return sorted(out)


def list_h5(path):
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            b = z.read("model.weights.h5")
        with h5py.File(io.BytesIO(b), "r") as f:
            return h5_datasets(f)
    with h5py.File(path, "r") as f:
        return h5_datasets(f)


def list_savedmodel(d):
    return sorted(name for name, _ in tf.train.list_variables(os.path.join(d, "variables", "variables")))


def compile_built(m, lib):
    """Compile with Adam and create the optimizer's variables (all zero: no training step)."""
    m.compile(optimizer=lib.optimizers.Adam(), loss="mse")
    m.optimizer.build(m.trainable_variables)


def lstm_k3(d):
    fresh(K3, 1)
    m = keras.Sequential([keras.Input((3, 4)), keras.layers.LSTM(2), keras.layers.Dense(1)], name="lstm_model")
    compile_built(m, keras)
    m.save(os.path.join(d, "model.keras"))
    m.save_weights(os.path.join(d, "model.weights.h5"))
    return m


def inner_k3():
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="inner_dense_1"),
                             keras.layers.Dense(2, name="inner_dense_2")], name="inner")


def nested_functional_k3(d):
    fresh(K3, 2)
    inner = inner_k3()
    inp = keras.Input((4,), name="x")
    out = keras.layers.Dense(1, name="head")(inner(inp))
    m = keras.Model(inp, out, name="outer")
    compile_built(m, keras)
    m.save(os.path.join(d, "model.keras"))
    m.save_weights(os.path.join(d, "model.weights.h5"))
    return m


def nested_sequential_k3(d):
    fresh(K3, 3)
    m = keras.Sequential([keras.Input((4,)), inner_k3(), keras.layers.Dense(1, name="head")], name="outer")
    m.save(os.path.join(d, "model.keras"))
    m.save_weights(os.path.join(d, "model.weights.h5"))
    return m


def nested_tfk(d):
    fresh(K2, 4)
    L = tf_keras.layers
    inner = tf_keras.Sequential([L.InputLayer((4,)), L.Dense(3, name="inner_dense_1"),
                                 L.Dense(2, name="inner_dense_2")], name="inner")
    inp = tf_keras.Input((4,), name="x")
    out = L.Dense(1, name="head")(inner(inp))
    m = tf_keras.Model(inp, out, name="outer")
    m.compile(optimizer=tf_keras.optimizers.Adam(), loss="mse")
    m.save(os.path.join(d, "model.h5"))
    m.save_weights(os.path.join(d, "weights.h5"))
    return m


class Subclassed(tf_keras.Model):
    """A subclassed tf_keras model: one Dense, no get_config."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.dense = tf_keras.layers.Dense(2)

    def call(self, x):
        return self.dense(x)


def subclassed_tfk(d):
    fresh(K2, 5)
    m = Subclassed(name="subclassed")
    m(np.zeros((1, 3), np.float32))
    m.save(os.path.join(d, "savedmodel"), save_format="tf")
    return m


def export_k3(d):
    fresh(K3, 6)
    m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="dense")], name="exported")
    m.export(os.path.join(d, "export"), verbose=False)
    return m


def main(out):
    out = os.path.join(out, "verify")
    reset_dir(out)
    x4 = np.linspace(-1, 1, 8, dtype=np.float32).reshape(2, 4)
    x34 = np.linspace(-1, 1, 24, dtype=np.float32).reshape(2, 3, 4)
    x3 = np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3)
    files = []

    def add(rel, kind, names, description):
        files.append({"path": rel, "kind": kind, "variables": len(names), "names": names,
                      "description": description})

    for name, gen, kind, x in [
        ("lstm_keras3", lstm_k3, "keras3", x34),
        ("nested_functional_keras3", nested_functional_k3, "keras3", x4),
        ("nested_sequential_keras3", nested_sequential_k3, "keras3", x4),
    ]:
        d = os.path.join(out, name)
        os.makedirs(d)
        m = gen(d)
        y = np.asarray(m.predict(x, verbose=0))
        for f in ["model.keras", "model.weights.h5"]:
            p = os.path.join(d, f)
            fresh(K3, 0)
            if f == "model.keras":
                back = keras.saving.load_model(p)
            else:
                back = keras.models.clone_model(m)
                back.load_weights(p)
            np.testing.assert_allclose(np.asarray(back.predict(x, verbose=0)), y, atol=1e-6)
            add(f"{name}/{f}", kind, list_h5(p), f"{m.__class__.__name__} {m.name!r}, Keras {keras.__version__}")
        log("verify", name, "ok")

    d = os.path.join(out, "nested_tfkeras")
    os.makedirs(d)
    m = nested_tfk(d)
    y = m.predict(x4, verbose=0)
    fresh(K2, 0)
    back = tf_keras.models.load_model(os.path.join(d, "model.h5"))
    np.testing.assert_allclose(back.predict(x4, verbose=0), y, atol=1e-6)
    back.load_weights(os.path.join(d, "weights.h5"))
    np.testing.assert_allclose(back.predict(x4, verbose=0), y, atol=1e-6)
    for f in ["model.h5", "weights.h5"]:
        add(f"nested_tfkeras/{f}", "tf_keras", list_h5(os.path.join(d, f)),
            f"Functional 'outer' holding Sequential 'inner', tf_keras {tf_keras.__version__}")
    log("verify", "nested_tfkeras", "ok")

    d = os.path.join(out, "subclassed_tfkeras")
    os.makedirs(d)
    m = subclassed_tfk(d)
    y = m(x3).numpy()
    fresh(K2, 0)
    back = tf_keras.models.load_model(os.path.join(d, "savedmodel"))
    np.testing.assert_allclose(back(x3).numpy(), y, atol=1e-6)
    add("subclassed_tfkeras/savedmodel", "tf_keras", list_savedmodel(os.path.join(d, "savedmodel")),
        f"tf_keras.Model subclass with one Dense(2), tf_keras {tf_keras.__version__}")
    log("verify", "subclassed_tfkeras", "ok")

    d = os.path.join(out, "export_keras3")
    os.makedirs(d)
    m = export_k3(d)
    y = m.predict(x3, verbose=0)
    sm = tf.saved_model.load(os.path.join(d, "export"))
    np.testing.assert_allclose(sm.serve(tf.constant(x3)).numpy(), y, atol=1e-6)
    add("export_keras3/export", "keras3", list_savedmodel(os.path.join(d, "export")),
        f"Keras {keras.__version__} model.export() of Sequential([Dense(2)]) on 3 inputs")
    log("verify", "export_keras3", "ok")

    write_json(os.path.join(out, "manifest.json"), {"versions": VERSIONS, "files": files})


if __name__ == "__main__":
    import sys
    main(sys.argv[1])
