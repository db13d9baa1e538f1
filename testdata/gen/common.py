"""Shared helpers for the kerasgo fixture generator.

Every number written here comes from running real tf_keras / Keras 3 / TensorFlow.
This module only handles the bookkeeping: seeds, .npy writing, weights.json, summaries.
"""

import json
import re
import os
import shutil
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
# Keras 3's summary width is min(default, terminal columns - 4); fix the "terminal".
os.environ["COLUMNS"] = "80"
os.environ.setdefault("PYTHONHASHSEED", "0")

import warnings  # noqa: E402

warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

tf.get_logger().setLevel("ERROR")
import tf_keras  # noqa: E402
import keras  # noqa: E402
import h5py  # noqa: E402

try:
    tf.config.experimental.enable_op_determinism()
except Exception:  # pragma: no cover
    pass

try:
    # One thread unless KERASGO_TF_INTRA_THREADS says otherwise (reference.py is run by the
    # tests with other counts too, to show that no test depends on one machine's rounding).
    tf.config.threading.set_inter_op_parallelism_threads(1)
    tf.config.threading.set_intra_op_parallelism_threads(int(os.environ.get("KERASGO_TF_INTRA_THREADS", "1")))
except Exception:  # pragma: no cover
    pass

VERSIONS = {
    "tensorflow": tf.__version__,
    "tf_keras": tf_keras.__version__,
    "keras": keras.__version__,
    "h5py": h5py.__version__,
    "numpy": np.__version__,
    "python": sys.version.split()[0],
}

K2 = "keras2"  # tf_keras flavour
K3 = "keras3"  # Keras 3 flavour


def log(*a):
    print("[gen]", *a, file=sys.stderr, flush=True)


def fresh(flavour, seed):
    """Clear the Keras session of one flavour and reseed everything."""
    if flavour == K2:
        tf_keras.backend.clear_session()
        tf_keras.utils.set_random_seed(seed)
    else:
        keras.backend.clear_session()
        keras.utils.set_random_seed(seed)


def reset_dir(path):
    if os.path.exists(path):
        shutil.rmtree(path)
    os.makedirs(path)


def save_npy(path, arr, dtype=None):
    """Write a .npy: little-endian, C order, format version 1.0, no pickle."""
    a = np.asarray(arr)
    if dtype is not None:
        a = a.astype(dtype)
    a = np.array(a, order="C", copy=True)  # (ascontiguousarray would turn 0-d into 1-d)
    if a.dtype.byteorder == ">":
        a = a.astype(a.dtype.newbyteorder("<"))
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "wb") as f:
        np.lib.format.write_array(f, a, version=(1, 0), allow_pickle=False)


def write_json(path, obj):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    text = json.dumps(obj, indent=1, sort_keys=False)
    # keep short lists of numbers (shapes) on one line
    text = re.sub(r"\[\s*((?:-?[0-9.e+-]+,\s*)*-?[0-9.e+-]+)\s*\]",
                  lambda m: "[" + ", ".join(x.strip() for x in m.group(1).split(",")) + "]", text)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text + "\n")


def write_text(path, text):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)


def h5_model_config(model):
    """The exact `model_config` string tf_keras writes into a full-model .h5.

    (Not the same as model.to_json(): to_json adds top-level keras_version/backend and
    module/registered_name/build_config on every layer; the h5 attribute has two-key layers.)"""
    import tempfile
    with tempfile.TemporaryDirectory() as td:
        p = os.path.join(td, "m.h5")
        model.save(p, include_optimizer=False)
        with h5py.File(p, "r") as f:
            mc = f.attrs["model_config"]
    return mc.decode("utf-8") if isinstance(mc, bytes) else mc


def write_keras2_configs(d, model):
    write_text(os.path.join(d, "config_keras2.json"), h5_model_config(model))
    write_text(os.path.join(d, "config_keras2_to_json.json"), model.to_json())


def short_name(var):
    """'conv_1/kernel:0' (tf_keras) or 'kernel' (Keras 3) -> 'kernel'."""
    n = var.name
    full = getattr(var, "path", None)
    parts = (full if isinstance(full, str) else n).split(":")[0].split("/")
    if len(parts) >= 3 and parts[-2] in MHA_SUBLAYERS:
        return "/".join(parts[-2:])  # MultiHeadAttention's sub-layers: 'query/kernel'
    n = n.split("/")[-1]
    if ":" in n:
        n = n.split(":")[0]
    return n


# The sub-layers of MultiHeadAttention owning its variables ('mha/query/kernel').
MHA_SUBLAYERS = ("query", "key", "value", "attention_output")


def dtype_name(var):
    d = var.dtype
    return getattr(d, "name", str(d))


def summary_text(model):
    """model.summary() text, captured with print_fn.

    Rule: the pieces handed to print_fn are joined with "\\n"; if the result does not
    end in "\\n", one "\\n" is appended. tf_keras calls print_fn once per line (no
    newlines), Keras 3 calls it once with the whole table already ending in "\\n", so
    the file is exactly what summary() prints on a non-interactive stdout.
    """
    pieces = []
    model.summary(print_fn=lambda s, *a, **kw: pieces.append(s))
    text = "\n".join(pieces)
    if not text.endswith("\n"):
        text += "\n"
    return text


def layer_weights(layer):
    """Weights of one layer in Keras order (trainable first, then non-trainable)."""
    return list(layer.weights)


def write_weights(dirpath, model, rel="w"):
    """Write weights.json + <rel>/*.npy for every layer of model.layers."""
    layers = []
    for i, layer in enumerate(model.layers):
        ws = []
        for v in layer_weights(layer):
            sn = short_name(v)
            fname = f"{rel}/{i:02d}_{layer.name}_{sn.replace('/', '.')}.npy"
            val = v.numpy()
            save_npy(os.path.join(dirpath, fname), val)
            ws.append({
                "name": sn,
                "trainable": bool(v.trainable),
                "file": fname,
                "shape": [int(s) for s in val.shape],
                "dtype": str(val.dtype),
            })
        layers.append({"name": layer.name, "class": type(layer).__name__, "weights": ws})
    write_json(os.path.join(dirpath, "weights.json"), {"layers": layers})
    return layers


def read_weights(dirpath):
    """Read weights.json + files back: list of (layer name, [arrays])."""
    with open(os.path.join(dirpath, "weights.json")) as f:
        spec = json.load(f)
    out = []
    for l in spec["layers"]:
        out.append((l["name"], [np.load(os.path.join(dirpath, w["file"])) for w in l["weights"]]))
    return out


def set_weights_by_layer(model, per_layer):
    """Set weights layer by layer (positional over model.layers), checking names/shapes."""
    assert len(model.layers) == len(per_layer), (len(model.layers), len(per_layer))
    for layer, (name, arrays) in zip(model.layers, per_layer):
        assert layer.name == name, (layer.name, name)
        cur = layer.get_weights()
        assert len(cur) == len(arrays), (name, len(cur), len(arrays))
        for c, a in zip(cur, arrays):
            assert c.shape == a.shape, (name, c.shape, a.shape)
        layer.set_weights(arrays)


def model_weights_per_layer(model):
    return [(l.name, [v.numpy() for v in layer_weights(l)]) for l in model.layers]


def assert_close(a, b, tol, what):
    a = np.asarray(a)
    b = np.asarray(b)
    if a.shape != b.shape:
        raise AssertionError(f"{what}: shape {a.shape} != {b.shape}")
    if a.size and not np.allclose(a, b, atol=tol, rtol=0):
        d = float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64))))
        raise AssertionError(f"{what}: max abs diff {d} > {tol}")


def assert_equal(a, b, what):
    a = np.asarray(a)
    b = np.asarray(b)
    if a.shape != b.shape or not np.array_equal(a, b):
        raise AssertionError(f"{what}: arrays differ")
