"""testdata/keras2x/<version>/: .keras archives and .weights.h5 files written by the real
Keras 2.13, 2.14 and 2.15 (the Keras bundled with tensorflow-cpu 2.13.1, 2.14.1, 2.15.1), whose
.keras/.weights.h5 layout predates Keras 3 (issue 9).

NOT part of generate.py's PARTS: it needs an old TensorFlow, which cannot share the pinned
venv. Run it once per version from a throwaway venv OUTSIDE the repository:

    python3.11 -m venv /work/venv215 && /work/venv215/bin/pip install tensorflow-cpu==2.15.1 h5py
    TF_CPP_MIN_LOG_LEVEL=3 /work/venv215/bin/python testdata/gen/keras215.py testdata
    (likewise tensorflow-cpu==2.14.1 and 2.13.1)

It writes testdata/keras2x/<keras version>/ from scratch, then reloads every file with the same
Keras and checks it. Self-contained (the pinned stack's common.py imports tf_keras and Keras 3).
"""

import json
import os
import re
import shutil
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
os.environ.setdefault("PYTHONHASHSEED", "0")

import warnings  # noqa: E402

warnings.filterwarnings("ignore")

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

tf.get_logger().setLevel("ERROR")
from tensorflow import keras  # noqa: E402  (Keras 2.13-2.15, the tf.keras of these TFs)

KERAS_VERSION = keras.__version__ if hasattr(keras, "__version__") else __import__("keras").__version__
if not re.match(r"2\.1[345]\.", KERAS_VERSION):
    sys.exit(f"keras215.py: needs Keras 2.13-2.15 (tensorflow-cpu 2.13-2.15), got {KERAS_VERSION}")

try:
    tf.config.experimental.enable_op_determinism()
    tf.config.threading.set_inter_op_parallelism_threads(1)
    tf.config.threading.set_intra_op_parallelism_threads(1)
except Exception:  # pragma: no cover
    pass

INPUT = (6, 6, 2)
N = 4


def save_npy(path, arr):
    a = np.array(np.asarray(arr), order="C", copy=True)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        np.lib.format.write_array(f, a, version=(1, 0), allow_pickle=False)


def write_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        f.write(json.dumps(obj, indent=1) + "\n")


def short(name):
    return name.split("/")[-1].split(":")[0]


def build(opt):
    keras.backend.clear_session()
    keras.utils.set_random_seed(9)
    m = keras.Sequential([
        keras.Input(INPUT),
        keras.layers.Conv2D(3, 3, name="conv"),
        keras.layers.BatchNormalization(name="bn"),
        keras.layers.Flatten(name="flatten"),
        keras.layers.Dense(N, name="dense"),
    ])
    m.compile(optimizer=opt, loss="mse", metrics=["mae"])
    x = np.random.RandomState(1).uniform(size=(4,) + INPUT).astype("float32")
    y = np.random.RandomState(2).uniform(size=(4, N)).astype("float32")
    m.fit(x, y, batch_size=4, epochs=1, verbose=0, shuffle=False)  # one step
    return m, x


def opt_vars(opt):
    v = opt.variables() if callable(getattr(opt, "variables", None)) else opt.variables
    return list(v)


def write_case(d, case, m, x):
    """case.keras, case.weights.h5, and the dumps: case/weights.json + w/*.npy, case/optimizer.json +
    slots/*.npy (in the file's optimizer/vars order), case/x.npy, case/y.npy."""
    out = os.path.join(d, case)
    os.makedirs(out)
    m.save(os.path.join(d, case + ".keras"))
    m.save_weights(os.path.join(d, case + ".weights.h5"))
    layers = []
    by_var = {}
    for i, layer in enumerate(m.layers):
        ws = []
        for v in layer.weights:
            f = f"w/{i:02d}_{layer.name}_{short(v.name)}.npy"
            save_npy(os.path.join(out, f), v.numpy())
            ws.append({"name": short(v.name), "trainable": bool(v.trainable), "file": f,
                       "shape": list(v.shape), "dtype": v.dtype.name})
            by_var[v.name.split(":")[0]] = (layer.name, short(v.name))
        layers.append({"name": layer.name, "class": type(layer).__name__, "weights": ws})
    write_json(os.path.join(out, "weights.json"), {"layers": layers})
    opt = m.optimizer
    variables = []
    for i, v in enumerate(opt_vars(opt)):
        f = f"slots/{i:02d}.npy"
        save_npy(os.path.join(out, f), v.numpy())
        e = {"index": i, "name": v.name, "shape": list(v.shape), "dtype": v.dtype.name, "file": f}
        parts = v.name.split(":")[0].split("/")
        # new optimizer: Adam/m/conv/kernel; legacy optimizer_v2: Adam/conv/kernel/m
        cands = [(parts[1], "/".join(parts[2:])), (parts[-1], "/".join(parts[1:-1]))] if len(parts) >= 3 else []
        for slot, key in cands:
            if key in by_var:
                e["layer"], e["weight"], e["slot"] = by_var[key][0], by_var[key][1], slot
                break
        variables.append(e)
    write_json(os.path.join(out, "optimizer.json"), {
        "class_name": type(opt).__name__, "module": type(opt).__module__,
        "iterations": int(opt.iterations.numpy()), "variables": variables})
    save_npy(os.path.join(out, "x.npy"), x)
    save_npy(os.path.join(out, "y.npy"), m.predict(x, verbose=0))
    in_file = check(d, case, m, x)
    with open(os.path.join(out, "optimizer.json")) as f:
        spec = json.load(f)
    spec["in_file"] = in_file  # whether the .keras / .weights.h5 hold optimizer/vars
    write_json(os.path.join(out, "optimizer.json"), spec)


def h5_vars(f, group):
    g = f[group]
    return [np.asarray(g[str(i)]) for i in range(len(g))]


def check(d, case, m, x):
    """Reload with the same Keras and compare with the model and the dumps."""
    want = [v.numpy() for v in opt_vars(m.optimizer)]
    with h5py.File(os.path.join(d, case + ".weights.h5"), "r") as f:
        if "optimizer" not in f:
            # The legacy optimizer_v2 has no state in the v3 saving format.
            assert "legacy" in type(m.optimizer).__module__, case
            in_file = False
        else:
            got = h5_vars(f, "optimizer/vars")
            assert len(got) == len(want), (case, len(got), len(want))
            for i, (a, b) in enumerate(zip(got, want)):
                assert a.shape == b.shape and np.array_equal(a, b), (case, "optimizer var", i)
            in_file = True
    try:
        r = keras.models.load_model(os.path.join(d, case + ".keras"))
    except AttributeError as e:
        # Keras 2.13/2.14 cannot reload their own .keras with a legacy optimizer
        # (compile_from_config calls optimizer.build, which optimizer_v2 lacks).
        assert "legacy" in type(m.optimizer).__module__ and "build" in str(e), (case, e)
        print(f"keras215.py: {KERAS_VERSION} {case}: load_model fails ({e}); checked with compile=False",
              file=sys.stderr)
        r = keras.models.load_model(os.path.join(d, case + ".keras"), compile=False)
    for a, b in zip(r.get_weights(), m.get_weights()):
        assert np.array_equal(a, b), case
    assert np.allclose(r.predict(x, verbose=0), m.predict(x, verbose=0), atol=1e-6), case
    m2, _ = build(type(m.optimizer).from_config(m.optimizer.get_config()))
    m2.load_weights(os.path.join(d, case + ".weights.h5"))
    for a, b in zip(m2.get_weights(), m.get_weights()):
        assert np.array_equal(a, b), case
    return in_file


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), ".."))
    d = os.path.join(root, "keras2x", KERAS_VERSION)
    if os.path.exists(d):
        shutil.rmtree(d)
    os.makedirs(d)
    m, x = build(keras.optimizers.Adam())
    write_case(d, "adam", m, x)
    m, x = build(keras.optimizers.legacy.Adam())
    write_case(d, "legacy_adam", m, x)
    write_json(os.path.join(d, "meta.json"), {
        "keras": KERAS_VERSION, "tensorflow": tf.__version__, "h5py": h5py.__version__,
        "numpy": np.__version__, "python": sys.version.split()[0],
        "cases": {"adam": "keras.optimizers.Adam (the 2.11+ optimizer)",
                  "legacy_adam": "keras.optimizers.legacy.Adam (optimizer_v2)"},
        "model": "Sequential Input(6,6,2) Conv2D(3,3) 'conv', BatchNormalization 'bn', Flatten, Dense(4) 'dense'; "
                 "compile(loss='mse', metrics=['mae']); one fit step on 4 samples"})
    print(f"keras215.py: wrote {d}", file=sys.stderr)


if __name__ == "__main__":
    main()
