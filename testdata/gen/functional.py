"""testdata/functional/<case>/: Functional models, nested models, shared layers and one tiny
model per layer class of the classic CNN families (issue 10), written by real tf_keras 2.21 and
Keras 3.15.1.

Every case is built twice from one builder (tf_keras, then Keras 3 with the tf_keras weights
copied in by layer path) and the predictions of both are checked within 1e-5. Model cases are
compiled with Adam and fitted a couple of steps (so the files hold optimizer state; no training
result is committed as an expected value: the weights in the files are just saved state) and
saved in every format; per-layer cases (`layer_*`) are compiled but not fitted and saved as
tf_keras model.h5 and Keras 3 model.keras only. Everything written is reloaded with the real
library and checked at the end. manifest.json lists all cases and every file with the library
that wrote it.

applications.py reuses gen_case() for keras.applications models (not committed: too big).
"""

import json
import os
import zipfile

from common import (K2, K3, VERSIONS, assert_close, fresh, h5_model_config, h5py, keras, log, np,
                    reset_dir, save_npy, summary_text, tf, tf_keras, write_json, write_text)

TOL = 1e-5
BATCH = 3  # predictions
N_FIT = 8  # samples fitted (batch 4: two Adam steps)
FIT_BATCH = 4


# ---------------------------------------------------------------------------------------------
# layer paths: nested models are walked depth first; a leaf layer is "outer/inner/leaf"
# ---------------------------------------------------------------------------------------------

def is_model(lib, layer):
    return isinstance(layer, lib.Model)


def leaf_layers(lib, model, prefix=""):
    """(path, layer) of every non-model layer, depth first in model.layers order."""
    out = []
    for l in model.layers:
        p = prefix + l.name
        if is_model(lib, l):
            out.extend(leaf_layers(lib, l, p + "/"))
        else:
            out.append((p, l))
    return out


def all_layers(lib, model, prefix=""):
    """(path, layer) of every layer including nested models themselves."""
    out = []
    for l in model.layers:
        p = prefix + l.name
        out.append((p, l))
        if is_model(lib, l):
            out.extend(all_layers(lib, l, p + "/"))
    return out


def short(v):
    n = v.name.split("/")[-1]
    return n.split(":")[0]


def var_keys(lib, model):
    """id(variable) -> 'layer/path:weight' for every weight of the model."""
    keys = {}
    for p, l in leaf_layers(lib, model):
        for v in l.weights:
            keys.setdefault(id(v), f"{p}:{short(v)}")
    return keys


def write_weights_nested(d, lib, m2, m3):
    """weights.json + w/*.npy: every leaf layer (with its path) and its weights in layer.weights
    order; plus the order of model.weights in both libraries as 'path:weight' keys."""
    layers = []
    idx = 0
    for p, l in leaf_layers(tf_keras, m2):
        ws = []
        used = set()
        for j, v in enumerate(l.weights):
            sn = short(v)
            val = v.numpy()
            fname = f"w/{idx:02d}_{p.replace('/', '.')}_{sn}.npy"
            if fname in used:  # a wrapper's inner layers repeat short names
                fname = f"w/{idx:02d}_{p.replace('/', '.')}_{j:02d}_{sn}.npy"
            used.add(fname)
            save_npy(os.path.join(d, fname), val)
            ws.append({"name": sn, "trainable": bool(v.trainable), "file": fname,
                       "shape": [int(s) for s in val.shape], "dtype": str(val.dtype)})
        layers.append({"path": p, "name": l.name, "class": type(l).__name__, "weights": ws})
        idx += 1
    k2 = var_keys(tf_keras, m2)
    spec = {"layers": layers,
            "model_weights_keras2": [k2[id(v)] for v in m2.weights],
            "trainable_weights_keras2": [k2[id(v)] for v in m2.trainable_weights]}
    if m3 is not None:
        k3 = var_keys(keras, m3)
        spec["model_weights_keras3"] = [k3[id(v)] for v in m3.weights]
        spec["trainable_weights_keras3"] = [k3[id(v)] for v in m3.trainable_weights]
    write_json(os.path.join(d, "weights.json"), spec)
    return spec


def weights_by_key(lib, model):
    k = var_keys(lib, model)
    return {k[id(v)]: v.numpy() for v in model.weights}


def weighted_leaves(lib, model):
    return [(p, l) for p, l in leaf_layers(lib, model) if l.weights]


def copy_weights(m2, m3):
    """tf_keras weights -> Keras 3 model, leaf layer by leaf layer in order (layers with weights),
    checking classes and shapes. Returns the (tf_keras path, Keras 3 path) pairs whose names differ
    (keras.applications: tf_keras DenseNet names "conv1/conv", Keras 3 "conv1_conv")."""
    src = weighted_leaves(tf_keras, m2)
    dst = weighted_leaves(keras, m3)
    assert len(src) == len(dst), (len(src), len(dst))
    renamed = []
    for (p2, l2), (p3, l3) in zip(src, dst):
        assert type(l2).__name__ == type(l3).__name__, (p2, p3, type(l2).__name__, type(l3).__name__)
        a = l2.get_weights()
        cur = l3.get_weights()
        assert len(a) == len(cur), (p2, len(a), len(cur))
        for x, y in zip(a, cur):
            assert x.shape == y.shape, (p2, x.shape, y.shape)
        l3.set_weights(a)
        if p2 != p3:
            renamed.append([p2, p3])
    return renamed


# ---------------------------------------------------------------------------------------------
# optimizer state (Adam): slots keyed by the weight they belong to
# ---------------------------------------------------------------------------------------------

def k2_slots(model):
    opt = model.optimizer
    keys = var_keys(tf_keras, model)
    out = {"iterations": int(opt.iterations.numpy())}
    if not getattr(opt, "_momentums", None):
        return out
    for v in model.trainable_variables:
        i = opt._index_dict[opt._var_key(v)]
        out[keys[id(v)]] = (opt._momentums[i].numpy(), opt._velocities[i].numpy())
    return out


def k3_slots(model, renamed=None):
    opt = model.optimizer
    keys = k3_to_k2_keys(model, renamed)
    out = {"iterations": int(opt.iterations.numpy())}
    if not opt.built:
        return out
    for v in model.trainable_variables:
        i = opt._get_variable_index(v)
        out[keys[id(v)]] = (opt._momentums[i].numpy(), opt._velocities[i].numpy())
    return out


def k3_to_k2_keys(m3, renamed):
    """Keras 3 'path:weight' keys rewritten with the tf_keras layer paths."""
    ren = {b: a for a, b in renamed or []}
    return {i: (ren.get(k.split(":")[0], k.split(":")[0]) + ":" + k.split(":")[1]) for i, k in var_keys(keras, m3).items()}


def copy_optimizer(m2, m3, renamed=None):
    s = k2_slots(m2)
    opt = m3.optimizer
    opt.build(m3.trainable_variables)
    opt.iterations.assign(s["iterations"])
    keys = k3_to_k2_keys(m3, renamed)
    for v in m3.trainable_variables:
        i = opt._get_variable_index(v)
        m, vv = s[keys[id(v)]]
        opt._momentums[i].assign(m)
        opt._velocities[i].assign(vv)
    return s


def check_slots(got, want, what):
    assert got["iterations"] == want["iterations"], (what, got["iterations"], want["iterations"])
    assert sorted(got) == sorted(want), (what, sorted(got), sorted(want))
    for k, v in want.items():
        if k == "iterations":
            continue
        assert_close(got[k][0], v[0], 1e-7, f"{what}: {k} m")
        assert_close(got[k][1], v[1], 1e-7, f"{what}: {k} v")


# ---------------------------------------------------------------------------------------------
# the model cases
# ---------------------------------------------------------------------------------------------

def two_branch_residual(lib):
    L = lib.layers
    inp = lib.Input((8, 8, 3), name="image")
    x = L.Conv2D(4, 3, padding="same", name="conv_a")(inp)
    x = L.BatchNormalization(name="bn_a")(x)
    x = L.ReLU(name="relu_a")(x)
    x = L.Conv2D(4, 3, padding="same", name="conv_b")(x)
    s = L.Conv2D(4, 1, name="shortcut")(inp)
    x = L.Add(name="add")([x, s])
    x = L.GlobalAveragePooling2D(name="gap")(x)
    out = L.Dense(3, activation="softmax", name="probs")(x)
    return lib.Model(inp, out, name="two_branch_residual")


def two_in_two_out(lib):
    L = lib.layers
    a = lib.Input((6,), name="vec")
    b = lib.Input((6, 6, 2), name="img")
    x = L.Dense(5, activation="relu", name="vec_dense")(a)
    y = L.Conv2D(3, 3, activation="relu", name="img_conv")(b)
    y = L.Flatten(name="img_flat")(y)
    z = L.Concatenate(name="concat")([x, y])
    cls = L.Dense(3, activation="softmax", name="cls")(z)
    reg = L.Dense(2, name="reg")(z)
    return lib.Model([a, b], [cls, reg], name="two_in_two_out")


def nested_sequential(lib):
    L = lib.layers
    inner = lib.Sequential([L.Dense(6, activation="tanh", name="inner_dense_1"),
                            L.Dense(4, activation="relu", name="inner_dense_2")], name="inner")
    return lib.Sequential([lib.Input((5,), name="features"), L.Dense(6, activation="relu", name="outer_dense_1"),
                           inner, L.Dense(3, activation="softmax", name="outer_out")], name="outer")


def sequential_in_functional(lib):
    L = lib.layers
    inp = lib.Input((6,), name="features")
    x = L.Dense(8, activation="relu", name="pre")(inp)
    block = lib.Sequential([L.Dense(5, activation="relu", name="block_dense"),
                            L.BatchNormalization(name="block_bn"),
                            L.Dense(4, name="block_proj")], name="block")
    x = block(x)
    out = L.Dense(3, activation="softmax", name="out")(x)
    return lib.Model(inp, out, name="sequential_in_functional")


def shared_layer(lib):
    L = lib.layers
    a = lib.Input((5,), name="left")
    b = lib.Input((5,), name="right")
    shared = L.Dense(4, activation="tanh", name="shared")
    da, db = shared(a), shared(b)
    s = L.Add(name="sum")([da, db])
    m = L.Average(name="mean")([da, db])
    x = L.Concatenate(name="concat")([s, m])
    out = L.Dense(3, activation="softmax", name="out")(x)
    return lib.Model([a, b], out, name="shared_layer")


def frozen_backbone(lib):
    L = lib.layers
    inp = lib.Input((8, 8, 3), name="image")
    x = L.Conv2D(4, 3, padding="same", activation="relu", name="bb_conv1")(inp)
    x = L.BatchNormalization(name="bb_bn")(x)
    x = L.MaxPooling2D(2, name="bb_pool")(x)
    x = L.Conv2D(6, 3, padding="same", activation="relu", name="bb_conv2")(x)
    backbone = lib.Model(inp, x, name="backbone")
    backbone.trainable = False
    return lib.Sequential([backbone, L.GlobalAveragePooling2D(name="head_gap"), L.Dropout(0.3, name="head_dropout"),
                           L.Dense(3, activation="softmax", name="head")], name="transfer")


MODEL_CASES = {
    "two_branch_residual": (two_branch_residual, "Input(8,8,3) -> Conv2D -> BN -> ReLU -> Conv2D plus a 1x1 "
                            "Conv2D shortcut, Add, GlobalAveragePooling2D, Dense softmax"),
    "two_in_two_out": (two_in_two_out, "inputs vec (6,) and img (6,6,2); Dense and Conv2D+Flatten branches, "
                       "Concatenate, heads cls (softmax) and reg (linear); loss dict + loss_weights"),
    "nested_sequential": (nested_sequential, "Sequential 'outer' holding Sequential 'inner' (Dense layers)"),
    "sequential_in_functional": (sequential_in_functional, "Sequential 'block' (Dense, BN, Dense) called as a "
                                 "layer inside a Functional model"),
    "shared_layer": (shared_layer, "one Dense 'shared' applied to two inputs; Add and Average of the two "
                     "results, Concatenate, Dense"),
    "frozen_backbone": (frozen_backbone, "Functional 'backbone' (Conv2D, BN, MaxPooling2D, Conv2D) with "
                        "trainable=False inside Sequential 'transfer' with GAP, Dropout, Dense head"),
}


def compile_model(lib, model, name):
    if name == "two_in_two_out":
        model.compile(optimizer=lib.optimizers.Adam(),
                      loss={"cls": "sparse_categorical_crossentropy", "reg": "mse"},
                      loss_weights={"cls": 1.0, "reg": 0.5})
    else:
        model.compile(optimizer=lib.optimizers.Adam(), loss="sparse_categorical_crossentropy")


def fit_data(model, rng):
    xs = [rng.standard_normal((N_FIT,) + tuple(int(d) for d in t.shape[1:])).astype(np.float32)
          for t in model.inputs]
    ys = {}
    for name, t in zip(model.output_names, model.outputs):
        if name == "reg":
            ys[name] = rng.standard_normal((N_FIT,) + tuple(int(d) for d in t.shape[1:])).astype(np.float32)
        else:
            ys[name] = rng.integers(0, int(t.shape[-1]), size=(N_FIT,)).astype(np.int64)
    return xs, ys


# ---------------------------------------------------------------------------------------------
# per-layer cases: the layer ("probe") applied to small inputs, then Flatten + Dense "head"
# ---------------------------------------------------------------------------------------------

ACTIVATIONS = ["relu", "relu6", "gelu", "silu", "swish", "hard_sigmoid", "hard_silu", "hard_swish", "selu",
               "mish", "softsign", "exponential", "leaky_relu", "log_softmax", "elu", "softplus", "tanh",
               "sigmoid", "linear", "softmax"]


def _lc(shapes, make, desc):
    return {"shapes": shapes, "make": make, "desc": desc}


def layer_cases():
    V = [(3, 4), (3, 4)]
    IMG = [(4, 4, 2)]
    c = {}
    for cls in ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"]:
        c[cls.lower()] = _lc(V, lambda L, cls=cls: getattr(L, cls)(name="probe"), f"{cls} of two (3,4) inputs")
    c["concatenate_last"] = _lc([(3, 4), (3, 2)], lambda L: L.Concatenate(axis=-1, name="probe"), "Concatenate axis=-1")
    c["concatenate_axis1"] = _lc([(3, 4), (2, 4)], lambda L: L.Concatenate(axis=1, name="probe"), "Concatenate axis=1")
    c["dot_axes2"] = _lc(V, lambda L: L.Dot(axes=2, name="probe"), "Dot(axes=2) of (3,4),(3,4) -> (3,3)")
    c["dot_axes1_normalize"] = _lc(V, lambda L: L.Dot(axes=(1, 1), normalize=True, name="probe"),
                                   "Dot(axes=(1,1), normalize=True) -> (4,4) cosine similarities")
    c["dot_vectors"] = _lc([(5,), (5,)], lambda L: L.Dot(axes=1, name="probe"), "Dot(axes=1) of two (5,) vectors")
    c["zeropadding2d"] = _lc(IMG, lambda L: L.ZeroPadding2D(((1, 0), (2, 1)), name="probe"), "ZeroPadding2D(((1,0),(2,1)))")
    c["cropping2d"] = _lc([(5, 6, 2)], lambda L: L.Cropping2D(((1, 0), (2, 1)), name="probe"), "Cropping2D(((1,0),(2,1)))")
    c["upsampling2d_nearest"] = _lc([(3, 3, 2)], lambda L: L.UpSampling2D((2, 3), name="probe"), "UpSampling2D((2,3)) nearest")
    c["upsampling2d_bilinear"] = _lc([(3, 3, 2)], lambda L: L.UpSampling2D(2, interpolation="bilinear", name="probe"),
                                     "UpSampling2D(2, bilinear)")
    c["reshape"] = _lc([(3, 4)], lambda L: L.Reshape((2, -1), name="probe"), "Reshape((2,-1)) of (3,4)")
    c["permute"] = _lc([(3, 4, 2)], lambda L: L.Permute((3, 1, 2), name="probe"), "Permute((3,1,2))")
    c["repeatvector"] = _lc([(4,)], lambda L: L.RepeatVector(3, name="probe"), "RepeatVector(3) of (4,)")
    for keep in (False, True):
        c[f"gap2d_keepdims_{str(keep).lower()}"] = _lc(IMG, lambda L, k=keep: L.GlobalAveragePooling2D(keepdims=k, name="probe"),
                                                       f"GlobalAveragePooling2D(keepdims={keep})")
        c[f"gmp2d_keepdims_{str(keep).lower()}"] = _lc(IMG, lambda L, k=keep: L.GlobalMaxPooling2D(keepdims=k, name="probe"),
                                                       f"GlobalMaxPooling2D(keepdims={keep})")
    c["avgpool2d_same"] = _lc([(5, 5, 2)], lambda L: L.AveragePooling2D(2, padding="same", name="probe"),
                              "AveragePooling2D(2, padding='same') on 5x5 (edge windows average the valid cells)")
    c["avgpool2d_same_s1"] = _lc([(4, 4, 2)], lambda L: L.AveragePooling2D(3, strides=1, padding="same", name="probe"),
                                 "AveragePooling2D(3, strides=1, padding='same')")
    c["relu_max_value"] = _lc(V[:1], lambda L: L.ReLU(max_value=0.5, name="probe"), "ReLU(max_value=0.5)")
    c["relu_negative_slope"] = _lc(V[:1], lambda L: L.ReLU(negative_slope=0.1, name="probe"), "ReLU(negative_slope=0.1)")
    c["relu_threshold"] = _lc(V[:1], lambda L: L.ReLU(threshold=0.2, name="probe"), "ReLU(threshold=0.2)")
    c["relu_all"] = _lc(V[:1], lambda L: L.ReLU(max_value=1.0, negative_slope=0.2, threshold=0.3, name="probe"),
                        "ReLU(max_value=1.0, negative_slope=0.2, threshold=0.3)")
    c["leakyrelu"] = _lc(V[:1], lambda L: L.LeakyReLU(0.2, name="probe"), "LeakyReLU(0.2) (positional: alpha in tf_keras, "
                         "negative_slope in Keras 3)")
    c["prelu"] = _lc([(4, 4, 2)], lambda L: L.PReLU(alpha_initializer="glorot_uniform", shared_axes=[1, 2], name="probe"),
                     "PReLU(shared_axes=[1,2]), alpha initialised with glorot_uniform (non-zero)")
    c["elu"] = _lc(V[:1], lambda L: L.ELU(0.7, name="probe"), "ELU(alpha=0.7)")
    c["softmax_axis1"] = _lc(V[:1], lambda L: L.Softmax(axis=1, name="probe"), "Softmax(axis=1)")
    c["softmax_last"] = _lc(V[:1], lambda L: L.Softmax(name="probe"), "Softmax() (axis=-1)")
    for a in ACTIVATIONS:
        c[f"activation_{a}"] = _lc(V[:1], lambda L, a=a: L.Activation(a, name="probe"), f"Activation('{a}')")
    c["conv2d_dilation"] = _lc([(7, 7, 2)], lambda L: L.Conv2D(3, 3, dilation_rate=2, name="probe"), "Conv2D(3, 3, dilation_rate=2)")
    c["conv2d_dilation_same"] = _lc([(6, 6, 2)], lambda L: L.Conv2D(3, 3, dilation_rate=(2, 1), padding="same", name="probe"),
                                    "Conv2D(3, 3, dilation_rate=(2,1), padding='same')")
    c["conv2d_groups"] = _lc([(5, 5, 4)], lambda L: L.Conv2D(6, 3, groups=2, name="probe"), "Conv2D(6, 3, groups=2) on 4 channels")
    c["dropout_noise_shape"] = _lc([(3, 4)], lambda L: L.Dropout(0.5, noise_shape=(None, 1, 4), name="probe"),
                                   "Dropout(0.5, noise_shape=(None,1,4)) (identity at inference)")
    c["spatialdropout2d"] = _lc(IMG, lambda L: L.SpatialDropout2D(0.3, name="probe"), "SpatialDropout2D(0.3)")
    c["gaussiannoise"] = _lc(V[:1], lambda L: L.GaussianNoise(0.1, name="probe"), "GaussianNoise(0.1)")
    c["gaussiandropout"] = _lc(V[:1], lambda L: L.GaussianDropout(0.2, name="probe"), "GaussianDropout(0.2)")
    c["activityregularization"] = _lc(V[:1], lambda L: L.ActivityRegularization(l1=0.01, l2=0.02, name="probe"),
                                      "ActivityRegularization(l1=0.01, l2=0.02)")
    return c


LAYER_CASES = layer_cases()


def layer_builder(spec, case):
    def build(lib):
        L = lib.layers
        ins = [lib.Input(s, name=f"in{i}") for i, s in enumerate(spec["shapes"])]
        probe = spec["make"](L)
        y = probe(ins if len(ins) > 1 else ins[0])
        if len(y.shape) > 2:
            y = L.Flatten(name="flat")(y)
        out = L.Dense(3, name="head")(y)
        return lib.Model(ins if len(ins) > 1 else ins[0], out, name=case)
    return build


# ---------------------------------------------------------------------------------------------
# files
# ---------------------------------------------------------------------------------------------

def as_list(y):
    if isinstance(y, dict):
        raise TypeError("dict outputs")
    return list(y) if isinstance(y, (list, tuple)) else [y]


def feed(xs):
    return xs if len(xs) > 1 else xs[0]


def h5_layer_weight_names(path, group=None):
    """{layer name: [weight names]} of a Keras-2-style h5 (model_weights group or root)."""
    out = {}
    with h5py.File(path, "r") as f:
        g = f[group] if group else f
        for ln in g.attrs["layer_names"]:
            ln = ln.decode() if isinstance(ln, bytes) else ln
            wn = g[ln].attrs.get("weight_names", [])
            out[ln] = [w.decode() if isinstance(w, bytes) else w for w in wn]
        opt = None
        if "optimizer_weights" in f:
            opt = [w.decode() if isinstance(w, bytes) else w for w in f["optimizer_weights"].attrs["weight_names"]]
    return out, opt


def h5_dataset_paths(path):
    out = []
    with h5py.File(path, "r") as f:
        f.visititems(lambda n, o: out.append(n) if isinstance(o, h5py.Dataset) else None)
    return out


def keras_zip_weight_paths(path):
    import io
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        data = z.read("model.weights.h5")
    out = []
    with h5py.File(io.BytesIO(data), "r") as f:
        f.visititems(lambda n, o: out.append(n) if isinstance(o, h5py.Dataset) else None)
    return names, out


def signature_info(sig):
    args, kwargs = sig.structured_input_signature
    ins = {k: {"shape": [None if d is None else int(d) for d in v.shape], "dtype": v.dtype.name}
           for k, v in sorted(kwargs.items())}
    outs = {k: {"shape": [None if d is None else int(d) for d in v.shape], "dtype": v.dtype.name}
            for k, v in sorted(sig.structured_outputs.items())}
    return {"inputs": ins, "outputs": outs}


def input_names(lib, m):
    if lib is tf_keras:
        return list(m.input_names)
    return [t.name for t in m.inputs]


def output_names(lib, m):
    return list(m.output_names) if getattr(m, "output_names", None) else [t.name for t in m.outputs]


def gen_case(out, name, builder, desc, seed, kind, files_full, fit=True):
    """Build, save and record one case; returns its manifest entry. kind: 'model' or 'layer'
    (or 'application'). files_full: save every format (else model.h5 + model.keras)."""
    d = os.path.join(out, name)
    reset_dir(d)
    files = {}
    rng = np.random.default_rng(seed)
    entry = {"kind": kind, "description": desc, "seed": seed}

    # ---- tf_keras -----------------------------------------------------------------------
    fresh(K2, seed)
    m2 = None
    try:
        m2 = builder(tf_keras)
    except ValueError as e:  # recorded: an activation name tf_keras does not know
        if not name.startswith("layer_activation_"):
            raise
        entry["tf_keras_error"] = f"{type(e).__name__}: {str(e).splitlines()[0][:200]}"
        log("functional", name, "tf_keras cannot build:", entry["tf_keras_error"])
    fresh(K3, seed)
    m3 = builder(keras)
    ref = m2 if m2 is not None else m3
    reflib = tf_keras if m2 is not None else keras
    xs = [rng.standard_normal((BATCH,) + tuple(int(s) for s in t.shape[1:])).astype(np.float32) for t in ref.inputs]
    entry["supported"] = {"tf_keras": m2 is not None, "keras3": True}
    entry["inputs"] = [{"name": n, "shape": [int(s) for s in t.shape[1:]], "file": f"x{i}.npy"}
                       for i, (n, t) in enumerate(zip(input_names(reflib, ref), ref.inputs))]
    for i, x in enumerate(xs):
        save_npy(os.path.join(d, f"x{i}.npy"), x)
        files[f"x{i}.npy"] = "generator"

    if m2 is not None:
        compile_model(tf_keras, m2, name)
        if fit:
            fx, fy = fit_data(m2, rng)
            m2.fit(feed(fx), fy if len(fy) > 1 else list(fy.values())[0], batch_size=FIT_BATCH, epochs=1,
                   shuffle=False, verbose=0)
        y2 = as_list(m2.predict(feed(xs), verbose=0))
        for i, y in enumerate(y2):
            save_npy(os.path.join(d, f"y{i}.npy"), y)
            files[f"y{i}.npy"] = "tf_keras"
        write_text(os.path.join(d, "config_keras2.json"), h5_model_config(m2))
        write_text(os.path.join(d, "config_keras2_to_json.json"), m2.to_json())
        write_text(os.path.join(d, "summary_keras2.txt"), summary_text(m2))
        files.update({"config_keras2.json": "tf_keras", "config_keras2_to_json.json": "tf_keras",
                      "summary_keras2.txt": "tf_keras"})
        t = os.path.join(d, "tfkeras")
        os.makedirs(t)
        m2.save(os.path.join(t, "model.h5"), include_optimizer=True)
        files["tfkeras/model.h5"] = "tf_keras"
        if files_full:
            m2.save_weights(os.path.join(t, "weights.h5"))
            files["tfkeras/weights.h5"] = "tf_keras"
            m2.save_weights(os.path.join(t, "ckpt", "weights"))
            m2.save(os.path.join(t, "savedmodel"), save_format="tf", include_optimizer=True)
        slots2 = k2_slots(m2)
        # ---- Keras 3: tf_keras weights (and Adam state) copied in --------------------------
        renamed = copy_weights(m2, m3)
        if renamed:
            entry["layer_paths_tf_keras_vs_keras3"] = renamed
    compile_model(keras, m3, name)
    if m2 is not None and fit:
        copy_optimizer(m2, m3, entry.get("layer_paths_tf_keras_vs_keras3"))
    y3 = as_list(m3.predict(feed(xs), verbose=0))
    for i, y in enumerate(y3):
        save_npy(os.path.join(d, f"y{i}_keras3.npy"), y)
        files[f"y{i}_keras3.npy"] = "keras3"
    if m2 is not None:
        diffs = [float(np.max(np.abs(a.astype(np.float64) - b))) for a, b in zip(y2, y3)]
        entry["max_abs_diff_keras3_vs_tf_keras"] = max(diffs)
        entry["libraries_agree"] = max(diffs) <= TOL
        if not entry["libraries_agree"]:
            if kind != "layer":
                raise AssertionError(f"{name}: keras3 vs tf_keras predictions differ by {max(diffs)}")
            log("functional", name, f"tf_keras and Keras 3 DIFFER by {max(diffs):.3g} (recorded)")
    if m2 is not None:
        write_weights_nested(d, None, m2, m3)
    else:
        write_weights_k3only(d, m3)
    files["weights.json"] = "generator (values: tf_keras)" if m2 is not None else "generator (values: keras3)"
    for l in json.load(open(os.path.join(d, "weights.json")))["layers"]:
        for w in l["weights"]:
            files[w["file"]] = "tf_keras" if m2 is not None else "keras3"

    # the probe layer's own output (per-layer cases), from both libraries
    if kind == "layer":
        for lib, m, suffix in ((tf_keras, m2, ""), (keras, m3, "_keras3")):
            if m is None:
                continue
            sub = lib.Model(m.inputs, m.get_layer("probe").output)
            save_npy(os.path.join(d, f"probe{suffix}.npy"), sub.predict(feed(xs), verbose=0))
            files[f"probe{suffix}.npy"] = "tf_keras" if lib is tf_keras else "keras3"

    k3 = os.path.join(d, "keras3")
    os.makedirs(k3)
    m3.save(os.path.join(k3, "model.keras"))
    files["keras3/model.keras"] = "keras3"
    if files_full:
        m3.save_weights(os.path.join(k3, "model.weights.h5"))
        m3.save(os.path.join(k3, "legacy.h5"))
        files["keras3/model.weights.h5"] = "keras3"
        # Keras 3.15 cannot compile some legacy .h5 it wrote itself (loss "mse" ->
        # "Could not deserialize 'keras.metrics.mse'"): recorded, and checked with compile=False.
        try:
            fresh(K3, seed)
            keras.saving.load_model(os.path.join(k3, "legacy.h5"))
            entry["keras3_legacy_h5_load_model"] = "ok"
        except ValueError as e:
            entry["keras3_legacy_h5_load_model"] = f"ValueError: {str(e).splitlines()[0][:200]}"
            log("functional", name, "Keras 3 cannot load its legacy.h5 compiled:", entry["keras3_legacy_h5_load_model"])
            # Some (a Functional config with Keras 3's mask operations) it cannot load at all.
            try:
                fresh(K3, seed)
                keras.saving.load_model(os.path.join(k3, "legacy.h5"), compile=False)
            except ValueError as e2:
                entry["keras3_legacy_h5_unloadable"] = f"ValueError: {str(e2).splitlines()[0][:200]}"
        files["keras3/legacy.h5"] = "keras3"
    write_text(os.path.join(d, "config_keras3.json"), m3.to_json())
    files["config_keras3.json"] = "keras3"
    fresh(K3, seed)
    loaded = keras.saving.load_model(os.path.join(k3, "model.keras"))
    write_text(os.path.join(d, "summary_keras3.txt"), summary_text(loaded))
    files["summary_keras3.txt"] = "keras3"

    # walk the tf_keras and SavedModel directories for the files list
    for sub in ("tfkeras/ckpt", "tfkeras/savedmodel"):
        base = os.path.join(d, sub)
        for root, _, fs in os.walk(base):
            for f in fs:
                files[os.path.relpath(os.path.join(root, f), d)] = "tf_keras"

    entry["outputs"] = [{"name": n, "shape": [int(s) for s in t.shape[1:]],
                         "file_tf_keras": f"y{i}.npy" if m2 is not None else None,
                         "file_keras3": f"y{i}_keras3.npy"}
                        for i, (n, t) in enumerate(zip(output_names(reflib, ref), ref.outputs))]
    entry["input_names_keras3"] = input_names(keras, m3)
    entry["output_names_keras3"] = output_names(keras, m3)
    entry["layer_classes"] = sorted({type(l).__name__ for _, l in all_layers(reflib, ref)})
    if m2 is not None:
        entry["layer_classes_keras3"] = sorted({type(l).__name__ for _, l in all_layers(keras, m3)})
    entry["layers"] = [{"path": p, "class": type(l).__name__, "trainable": bool(l.trainable)}
                       for p, l in all_layers(reflib, ref)]
    entry["compile"] = ({"optimizer": "Adam", "loss": {"cls": "sparse_categorical_crossentropy", "reg": "mse"},
                         "loss_weights": {"cls": 1.0, "reg": 0.5}} if name == "two_in_two_out" else
                        {"optimizer": "Adam", "loss": "sparse_categorical_crossentropy"})
    entry["fitted"] = ({"samples": N_FIT, "batch_size": FIT_BATCH, "steps": N_FIT // FIT_BATCH,
                        "how": "model.fit(epochs=1, shuffle=False) in tf_keras on random data; Keras 3 got "
                               "the weights and the Adam slots/iterations copied"} if fit and m2 is not None else None)

    # observed layouts (names and keys exactly as the libraries wrote them)
    if files_full and m2 is not None:
        obs = {}
        obs["tfkeras_model_h5_weight_names"], obs["tfkeras_model_h5_optimizer_weight_names"] = \
            h5_layer_weight_names(os.path.join(t, "model.h5"), "model_weights")
        obs["tfkeras_weights_h5_weight_names"], _ = h5_layer_weight_names(os.path.join(t, "weights.h5"))
        obs["tfkeras_ckpt_keys"] = {n: s for n, s in tf.train.list_variables(os.path.join(t, "ckpt", "weights"))}
        sm = tf.saved_model.load(os.path.join(t, "savedmodel"))
        obs["tfkeras_savedmodel_serving_default"] = signature_info(sm.signatures["serving_default"])
        obs["keras3_weights_h5_datasets"] = h5_dataset_paths(os.path.join(k3, "model.weights.h5"))
        obs["keras3_keras_zip"], obs["keras3_keras_zip_weights_datasets"] = keras_zip_weight_paths(
            os.path.join(k3, "model.keras"))
        obs["keras3_legacy_h5_weight_names"], obs["keras3_legacy_h5_optimizer_weight_names"] = \
            h5_layer_weight_names(os.path.join(k3, "legacy.h5"), "model_weights")
        write_json(os.path.join(d, "observed.json"), obs)
        files["observed.json"] = "generator (read from the files above)"
    entry["files"] = dict(sorted(files.items()))
    log("functional", name, "written")
    return entry


def write_weights_k3only(d, m3):
    layers = []
    for idx, (p, l) in enumerate(leaf_layers(keras, m3)):
        ws = []
        for v in l.weights:
            sn = short(v)
            val = v.numpy()
            fname = f"w/{idx:02d}_{p.replace('/', '.')}_{sn}.npy"
            save_npy(os.path.join(d, fname), val)
            ws.append({"name": sn, "trainable": bool(v.trainable), "file": fname,
                       "shape": [int(s) for s in val.shape], "dtype": str(val.dtype)})
        layers.append({"path": p, "name": l.name, "class": type(l).__name__, "weights": ws})
    k3 = var_keys(keras, m3)
    write_json(os.path.join(d, "weights.json"), {
        "layers": layers, "model_weights_keras3": [k3[id(v)] for v in m3.weights],
        "trainable_weights_keras3": [k3[id(v)] for v in m3.trainable_weights]})


# ---------------------------------------------------------------------------------------------
# checks: reload every file with the real library
# ---------------------------------------------------------------------------------------------

def saved_weights(d):
    spec = json.load(open(os.path.join(d, "weights.json")))
    return {f"{l['path']}:{w['name']}": np.load(os.path.join(d, w["file"])) for l in spec["layers"] for w in l["weights"]}


def check_case(out, name, builder, entry, files_full, fit=True):
    d = os.path.join(out, name)
    xs = [np.load(os.path.join(d, i["file"])) for i in entry["inputs"]]
    want_w = saved_weights(d)
    ren = entry.get("layer_paths_tf_keras_vs_keras3")

    def check(m, lib, yfiles, tol, what, weights=True):
        ys = as_list(m.predict(feed(xs), verbose=0))
        assert len(ys) == len(yfiles), (what, len(ys), len(yfiles))
        for y, f in zip(ys, yfiles):
            assert_close(y, np.load(os.path.join(d, f)), tol, f"{name}: {what} predict {f}")
        if weights:
            if lib is keras and ren:
                ren_map = {b: a for a, b in ren}
                got = {ren_map.get(k.split(":")[0], k.split(":")[0]) + ":" + k.split(":")[1]: v
                       for k, v in weights_by_key(lib, m).items()}
            else:
                got = weights_by_key(lib, m)
            assert sorted(got) == sorted(want_w), (what, sorted(got), sorted(want_w))
            for k, v in want_w.items():
                assert_close(got[k], v, 0, f"{name}: {what} weight {k}")

    y2f = [o["file_tf_keras"] for o in entry["outputs"]]
    y3f = [o["file_keras3"] for o in entry["outputs"]]
    agree = entry.get("libraries_agree", True)
    if entry["supported"]["tf_keras"]:
        t = os.path.join(d, "tfkeras")
        fresh(K2, 0)
        m = tf_keras.models.load_model(os.path.join(t, "model.h5"))
        check(m, tf_keras, y2f, 1e-6, "tfkeras/model.h5")
        assert summary_text(m) == open(os.path.join(d, "summary_keras2.txt"), encoding="utf-8").read(), name
        if fit:
            slots = k2_slots(m)
        if files_full:
            fresh(K2, 0)
            m = builder(tf_keras)
            compile_model(tf_keras, m, name)
            m.load_weights(os.path.join(t, "weights.h5"))
            check(m, tf_keras, y2f, 1e-6, "tfkeras/weights.h5")

            fresh(K2, 0)
            m = builder(tf_keras)
            compile_model(tf_keras, m, name)
            if fit:
                m.optimizer.build(m.trainable_variables)
                m.load_weights(os.path.join(t, "ckpt", "weights")).assert_consumed()
            else:
                m.load_weights(os.path.join(t, "ckpt", "weights")).assert_existing_objects_matched()
            check(m, tf_keras, y2f, 1e-6, "tfkeras/ckpt")
            if fit:
                check_slots(k2_slots(m), slots, f"{name}: tfkeras/ckpt optimizer vs model.h5 optimizer")

            fresh(K2, 0)
            m = tf_keras.models.load_model(os.path.join(t, "savedmodel"))
            check(m, tf_keras, y2f, 1e-6, "tfkeras/savedmodel (load_model)")
            sm = tf.saved_model.load(os.path.join(t, "savedmodel"))
            sig = sm.signatures["serving_default"]
            _, kw = sig.structured_input_signature
            names = [i["name"] for i in entry["inputs"]]
            assert sorted(kw) == sorted(names), (name, sorted(kw), names)
            res = sig(**{n: tf.constant(x) for n, x in zip(names, xs)})
            onames = [o["name"] for o in entry["outputs"]]
            assert sorted(res) == sorted(onames), (name, sorted(res), onames)
            for o in entry["outputs"]:
                assert_close(res[o["name"]].numpy(), np.load(os.path.join(d, o["file_tf_keras"])), 1e-6,
                             f"{name}: savedmodel serving_default {o['name']}")

    fresh(K3, 0)
    k3 = os.path.join(d, "keras3")
    m = keras.saving.load_model(os.path.join(k3, "model.keras"))
    check(m, keras, y3f, 1e-6, "keras3/model.keras")
    if agree and entry["supported"]["tf_keras"]:
        check(m, keras, y2f, TOL, "keras3/model.keras vs tf_keras predictions", weights=False)
    if fit and entry["supported"]["tf_keras"]:
        check_slots(k3_slots(m, ren), slots, f"{name}: keras3/model.keras optimizer")
    if files_full:
        fresh(K3, 0)
        m = builder(keras)
        compile_model(keras, m, name)
        if fit:
            m.optimizer.build(m.trainable_variables)
        m.load_weights(os.path.join(k3, "model.weights.h5"))
        check(m, keras, y3f, 1e-6, "keras3/model.weights.h5")
        if fit:
            check_slots(k3_slots(m, ren), slots, f"{name}: keras3/model.weights.h5 optimizer")
        if entry.get("keras3_legacy_h5_unloadable"):
            log("functional", name, "keras3/legacy.h5 not checked: Keras 3 cannot load it:",
                entry["keras3_legacy_h5_unloadable"])
        else:
            fresh(K3, 0)
            m = keras.saving.load_model(os.path.join(k3, "legacy.h5"),
                                        compile=entry.get("keras3_legacy_h5_load_model") == "ok")
            check(m, keras, y3f, 1e-6, "keras3/legacy.h5")
    log("functional", name, "check ok")


def main(out):
    out = os.path.join(out, "functional")
    reset_dir(out)
    manifest = {"versions": VERSIONS, "cases": {}}
    todo = []
    for i, (name, (b, desc)) in enumerate(MODEL_CASES.items()):
        todo.append((name, b, desc, 5000 + i, "model", True))
    for i, (name, spec) in enumerate(LAYER_CASES.items()):
        todo.append(("layer_" + name, layer_builder(spec, "layer_" + name), spec["desc"], 6000 + i, "layer", False))
    entries = {}
    only = os.environ.get("KERASGO_FUNCTIONAL_ONLY")  # development: comma-separated case names
    if only:
        todo = [t for t in todo if t[0] in only.split(",")]
    for name, b, desc, seed, kind, full in todo:
        entries[name] = gen_case(out, name, b, desc, seed, kind, full, fit=(kind == "model"))
    for name, b, desc, seed, kind, full in todo:
        check_case(out, name, b, entries[name], full, fit=(kind == "model"))
    for name, e in entries.items():
        manifest["cases"][name] = e
    write_json(os.path.join(out, "manifest.json"), manifest)


if __name__ == "__main__":
    import sys
    main(sys.argv[1])
