#!/usr/bin/env python3
"""Training references computed on the machine that runs the tests (never committed).

TensorFlow's floating-point results differ between CPUs (oneDNN picks kernels per CPU, thread
counts change summation orders), and Adam or RMSprop turn that noise on near-zero gradients into
differences of the learning rate's size. So a training step done by TF on the machine that wrote
the fixtures is never the expected value of a test on another machine. The committed fixtures
hold only the inputs (configs, initial or saved state, batches); this script replays the
training steps with the pinned tf_keras on this machine, and the Go tests compare with what it
writes. Go's internal/testref runs it once per test run (KERASGO_REFDIR) or per test process.

Usage:
    .venv/bin/python testdata/gen/reference.py --testdata testdata --out DIR --part train
    .venv/bin/python testdata/gen/reference.py --testdata testdata --out DIR --part formats

--part train writes DIR/<case>/ for every testdata/train/<case> that has init/ and batches/:
    losses.npy, accuracy.npy (absent without metrics): what each train_on_batch returned
    after_01/ ... after_10/: the state after each step: weights.json + w/, optimizer.json +
        slots/ (layout as testdata/README.md)
--part formats writes DIR/<variant>/next/ for every testdata/formats/<variant>: the state after
    one train_on_batch(next/x.npy, next/y.npy) from tf_keras's own tfkeras/ckpt (weights and
    optimizer state), every Dropout rate set to 0: loss.npy, accuracy.npy, weights.json + w/,
    optimizer.json + slots/.
--part functional writes DIR/<case>/ for the flat Functional model cases of testdata/functional
    (FUNCTIONAL_CASES): one train_on_batch from tf_keras's own tfkeras/model.h5 (compiled, with
    its Adam state) on the case's inputs (x<i>.npy) and targets drawn here from a fixed seed
    (y<i>.npy, written too: labels for softmax outputs, normal values otherwise): logs.json
    (train_on_batch's dict: loss, <output>_loss, ...), weights.json + w/, optimizer.json + slots/.
--part wrap does the same for the acceptance models of testdata/layers_wrap (WRAP_CASES:
    wrappers and masks; a TimeDistributed output's activation is its inner layer's), and the
    ATTNMASK_CASES and ATTNSCORES_CASES of testdata/layers_attnmask and layers_attnscores; for
    MASKED_METRIC_CASES (metrics of outputs carrying a Keras mask) also evaluate() in tf_keras and
    Keras 3 (masked_metric_evals).
--part rnnstate does the same for RNNSTATE_CASES of testdata/layers_rnnstate (return_state and
    initial_state).
--part apps_mobile does the same for APPS_MOBILE_STEPS of the applications_mobile.py cache
    (its default directory, which must be complete; --testdata is not used), on a batch of
    APPS_MOBILE_BATCH inputs drawn here (x0.npy, written too), every Dropout rate set to 0, and then replays the same steps in
    a child process under other TF settings (the other intra-op thread count of 1 and 2, oneDNN
    switched the other way): DIR/<case>/tf_variant/ (same layout; settings in DIR/meta.json).
    How far TF's two results lie apart measures how well-conditioned each number of the step is
    on this machine; the Go test scales its tolerances by it (model/apps_mobile_step_test.go).
--part apps does the same for APPS_STEPS of the applications.py cache (its default directory).
--part apps_mobile_k3 does what apps_mobile does (batch, targets, Dropout off, tf_variant/) for
    APPS_MOBILE_MORE["apps_mobile_k3"]: the step from Keras 3's own keras3/model.keras in Keras 3
    (train_on_batch), written to DIR/keras3/<case>/; --part apps_xnas for Xception and
    NASNetMobile in both libraries, DIR/tf_keras/<case>/ (from tfkeras/model.h5) and
    DIR/keras3/<case>/ (model/apps_mobile_more_test.go). Keras 3's slots are written with
    tf_keras's weight names (DepthwiseConv2D's "kernel" as "depthwise_kernel") and Keras 3's slot
    names (momentum, velocity).

Threads: KERASGO_TF_INTRA_THREADS (default 1) sets TF's intra-op thread count; the environment's
TF_ENABLE_ONEDNN_OPTS is honoured as TF honours it. Either may change the numbers, which is the
point: the Go tests compare with whatever this machine's TF computes.
"""

import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
os.environ.setdefault("TF_USE_LEGACY_KERAS", "0")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

from common import (K2, K3, fresh, keras, log, np, read_weights, reset_dir, save_npy,  # noqa: E402
                    set_weights_by_layer, tf_keras, write_weights)
import train  # noqa: E402
import formats  # noqa: E402


def replay_train(testdata, out):
    root = os.path.join(testdata, "train")
    n = 0
    for name in sorted(os.listdir(root)):
        d = os.path.join(root, name)
        if not (os.path.isdir(os.path.join(d, "init")) and os.path.isdir(os.path.join(d, "batches"))):
            continue
        if name not in train.CASES:
            raise SystemExit(f"reference: {d}: no case {name!r} in train.py")
        c = train.CASES[name]
        o = os.path.join(out, name)
        reset_dir(o)
        fresh(K2, 7)
        with open(os.path.join(d, "config_keras2.json"), encoding="utf-8") as f:
            model = tf_keras.models.model_from_json(f.read())
        set_weights_by_layer(model, read_weights(os.path.join(d, "init")))
        opt = c["opt"]()
        model.compile(optimizer=opt, loss=c["loss"](), metrics=list(c["metrics"]))
        losses, accs = [], []
        for i in range(train.N_STEPS):
            x = np.load(os.path.join(d, "batches", f"x_{i:02d}.npy"))
            y = np.load(os.path.join(d, "batches", f"y_{i:02d}.npy"))
            r = model.train_on_batch(x, y, reset_metrics=True)
            r = r if isinstance(r, list) else [r]
            losses.append(r[0])
            if len(r) > 1:
                accs.append(r[1])
            train.write_state(os.path.join(o, f"after_{i + 1:02d}"), model, opt)
        save_npy(os.path.join(o, "losses.npy"), np.array(losses, np.float32))
        if c["metrics"]:
            save_npy(os.path.join(o, "accuracy.npy"), np.array(accs, np.float32))
        n += 1
    if n == 0:
        raise SystemExit(f"reference: no training cases under {root}")
    log("reference", f"train: {n} cases replayed")


def next_formats(testdata, out):
    root = os.path.join(testdata, "formats")
    n = 0
    for name in sorted(os.listdir(root)):
        d = os.path.join(root, name)
        if not os.path.isdir(os.path.join(d, "next")):
            continue
        builder, _, kind, _ = formats.VARIANTS[name]
        fresh(K2, 0)
        m = formats.build(tf_keras, builder, kind)
        st = m.load_weights(os.path.join(d, "tfkeras", "ckpt", "weights"))
        m.optimizer.build(m.trainable_variables)
        st.assert_consumed()
        nx = np.load(os.path.join(d, "next", "x.npy"))
        ny = np.load(os.path.join(d, "next", "y.npy"))
        formats.disable_dropout(m)
        r = m.train_on_batch(nx, ny, reset_metrics=True)
        o = os.path.join(out, name, "next")
        reset_dir(o)
        save_npy(os.path.join(o, "loss.npy"), np.array(r[0], np.float32))
        save_npy(os.path.join(o, "accuracy.npy"), np.array(r[1], np.float32))
        write_weights(o, m)
        train.write_optimizer_state(o, m, m.optimizer)
        n += 1
    if n == 0:
        raise SystemExit(f"reference: no format variants under {root}")
    log("reference", f"formats: {n} next steps")


# Flat Functional cases (no nested model) of testdata/functional compared step by step.
FUNCTIONAL_CASES = ["two_branch_residual", "two_in_two_out", "shared_layer"]


def functional_steps(testdata, out):
    train_steps(os.path.join(testdata, "functional"), FUNCTIONAL_CASES, out, "functional")
    # testdata/tfops (tfops.py): the gradients through every TFOp
    train_steps(os.path.join(testdata, "tfops"), ["chain"], out, "tfops")
    # testdata/tfops2 (tfops2.py): the gradients through operations on two tensors
    train_steps(os.path.join(testdata, "tfops2"), ["binary"], out, "tfops2")


# Acceptance models of testdata/layers_wrap (wrappers and masks) compared step by step
# (mask_bigru_td's output carries the mask, by which Keras weights the loss).
WRAP_CASES = ["bigru_td", "text_bilstm", "mask_lstm", "masking_rnn", "mask_bigru_td"]


# Masked attention cases of testdata/layers_attnmask (softmax heads) compared step by step.
ATTNMASK_CASES = ["attention_masked", "additive_self_masked_causal", "mha_keras_masks"]


# Attention layers returning their scores (testdata/layers_attnscores): the loss of both outputs.
ATTNSCORES_CASES = ["attention_scores", "additive_scores_masked", "mha_scores", "mha_axes2_rank4", "mha_axes1_rank4",
                    "mha_axes12_rank4", "masked_metrics_attention", "masked_metrics_two_outputs"]
# Of those, the cases compiled with metrics on an output carrying a Keras mask: evaluated too.
MASKED_METRIC_CASES = ["masked_metrics_attention", "masked_metrics_two_outputs"]


def wrap_steps(testdata, out):
    train_steps(os.path.join(testdata, "layers_wrap"), WRAP_CASES, out, "wrap")
    train_steps(os.path.join(testdata, "layers_attnmask"), ATTNMASK_CASES, out, "attnmask")
    train_steps(os.path.join(testdata, "layers_attnscores"), ATTNSCORES_CASES, out, "attnscores")
    masked_metric_evals(os.path.join(testdata, "layers_attnscores"), MASKED_METRIC_CASES, out)


def masked_metric_evals(root, names, out):
    """DIR/<case>/eval_x<i>.npy, eval_y<i>.npy (7 samples: the fixture's 3 padded token rows, reversed,
    then the first) and eval_tf_keras.json / eval_keras3.json: evaluate(batch_size=2, return_dict) of
    tfkeras/model.h5 in tf_keras and keras3/model.keras in Keras 3 (batches of 2, 2, 2, 1 with
    different numbers of unmasked steps)."""
    with open(os.path.join(root, "manifest.json"), encoding="utf-8") as f:
        cases = json.load(f)["cases"]
    for name in names:
        c = cases[name]
        d = os.path.join(root, name)
        o = os.path.join(out, name)
        xs = [np.load(os.path.join(d, i["file"])) for i in c["inputs"]]
        xs = [np.concatenate([x, x[::-1], x[:1]]) for x in xs]
        n = xs[0].shape[0]
        for i, x in enumerate(xs):
            save_npy(os.path.join(o, f"eval_x{i}.npy"), x)
        fresh(K2, 0)
        m = tf_keras.models.load_model(os.path.join(d, "tfkeras", "model.h5"))
        rng = np.random.default_rng(4343)
        ys = []
        for i, t in enumerate(m.outputs):
            shape = tuple(int(s) for s in t.shape[1:])
            y = rng.integers(0, shape[-1], size=(n,) + shape[:-1]).astype(np.float32)
            save_npy(os.path.join(o, f"eval_y{i}.npy"), y)
            ys.append(y)
        ys1 = ys if len(ys) > 1 else ys[0]
        r = m.evaluate(xs, ys1, batch_size=2, return_dict=True, verbose=0)
        with open(os.path.join(o, "eval_tf_keras.json"), "w", encoding="utf-8") as f:
            json.dump({k: float(v) for k, v in r.items()}, f)
        fresh(K3, 0)
        m3 = keras.saving.load_model(os.path.join(d, "keras3", "model.keras"))
        r = m3.evaluate(xs if len(xs) > 1 else xs[0], ys1, batch_size=2, return_dict=True, verbose=0)
        with open(os.path.join(o, "eval_keras3.json"), "w", encoding="utf-8") as f:
            json.dump({k: float(v) for k, v in r.items()}, f)
    log("reference", f"masked metrics: {len(names)} evaluations")


# Acceptance model of testdata/layers_rnnstate (return_state, initial_state) compared step
# by step.
RNNSTATE_CASES = ["lstm_state_stack", "bilstm_state", "rnn_cells", "rnn_stacked_cells", "shared_initial", "bidi_initial"]


def rnnstate_steps(testdata, out):
    train_steps(os.path.join(testdata, "layers_rnnstate"), RNNSTATE_CASES, out, "rnnstate")


# cases of the applications_mobile cache (testdata/gen/applications_mobile.py) with a step.
APPS_MOBILE_STEPS = ["unet_small", "mobilenetv2_035", "efficientnetb0", "mobilenetv3small"]
# The cache's x0.npy holds 3 images: at 32x32 the last BatchNormalization layers of MobileNetV2
# and EfficientNetB0 normalize over batch x 1 x 1 values per channel, and with 3 of them TF's
# own loss moves by up to 3e-3 relative between thread counts / oneDNN settings. 16 images
# (standard normal, seed 4243) make the step better conditioned.
APPS_MOBILE_BATCH = 16


def variant_env(env):
    """The other TF settings a variant step runs under: intra-op threads 1 <-> 2 (TF's default
    count stays 2 on the 2-core CI machine), oneDNN optimizations switched the other way."""
    threads = env.get("KERASGO_TF_INTRA_THREADS", "1")
    onednn = env.get("TF_ENABLE_ONEDNN_OPTS", "1")
    other = "2" if threads == "1" else "1"
    # TF_NUM_INTRAOP_THREADS too: internal/testref sets it along with KERASGO_TF_INTRA_THREADS
    return {"KERASGO_TF_INTRA_THREADS": other, "TF_NUM_INTRAOP_THREADS": other,
            "TF_ENABLE_ONEDNN_OPTS": "1" if onednn == "0" else "0"}


def apps_mobile_steps(out, variant=False):
    import applications_mobile
    import shutil
    import subprocess
    root = applications_mobile.default_dir()
    if not applications_mobile.is_complete(root):
        raise SystemExit(f"{root} is not complete: run testdata/gen/applications_mobile.py first")
    # Every Dropout rate set to 0 (EfficientNetB0's top_dropout and stochastic-depth layers):
    # dropout masks come from each library's own random numbers.
    train_steps(root, APPS_MOBILE_STEPS, out, "apps_mobile", batch=APPS_MOBILE_BATCH, no_dropout=True)
    if variant:
        return {}
    venv = variant_env(os.environ)
    tmp = os.path.join(out, "_variant")
    subprocess.run([sys.executable, os.path.abspath(__file__), "--testdata", ".", "--out", tmp,
                    "--part", "apps_mobile_variant"], env=dict(os.environ, **venv), check=True)
    for name in APPS_MOBILE_STEPS:
        shutil.move(os.path.join(tmp, name), os.path.join(out, name, "tf_variant"))
    shutil.rmtree(tmp)
    return {"variant": venv}


# More same-run steps of the applications_mobile cache (issue 11): per reference.py part, the
# cases stepped in each library. Keras 3's BatchNormalization updates the moving variance with
# the biased batch variance (tf_keras's fused kernel: the unbiased one), so a Keras 3 file's step
# is Keras 3's own.
APPS_MOBILE_MORE = {
    "apps_mobile_k3": {"keras3": ["mobilenetv2_035", "efficientnetb0"]},
    "apps_xnas": {"tf_keras": ["xception", "nasnetmobile"], "keras3": ["xception", "nasnetmobile"]},
}


def apps_mobile_more(out, part, variant=False):
    import applications_mobile
    import shutil
    import subprocess
    root = applications_mobile.default_dir()
    if not applications_mobile.is_complete(root):
        raise SystemExit(f"{root} is not complete: run testdata/gen/applications_mobile.py first")
    libs = APPS_MOBILE_MORE[part]
    for lib, names in libs.items():
        o = os.path.join(out, lib)
        if lib == "tf_keras":
            train_steps(root, names, o, part, batch=APPS_MOBILE_BATCH, no_dropout=True)
        else:
            keras3_train_steps(root, names, o, part, batch=APPS_MOBILE_BATCH)
    if variant:
        return {}
    venv = variant_env(os.environ)
    tmp = os.path.join(out, "_variant")
    subprocess.run([sys.executable, os.path.abspath(__file__), "--testdata", ".", "--out", tmp,
                    "--part", part + "_variant"], env=dict(os.environ, **venv), check=True)
    for lib, names in libs.items():
        for name in names:
            shutil.move(os.path.join(tmp, lib, name), os.path.join(out, lib, name, "tf_variant"))
    shutil.rmtree(tmp)
    return {"variant": venv}


def keras3_train_steps(root, names, out, label, batch):
    """train_steps for Keras 3: one train_on_batch from the case's keras3/model.keras (compiled
    with Adam, never fitted) on a batch of `batch` standard-normal inputs (seed 4243) and
    targets drawn as train_steps draws them (seed 4242), every Dropout rate 0."""
    from common import K3, keras, write_json
    with open(os.path.join(root, "manifest.json"), encoding="utf-8") as f:
        cases = json.load(f)["cases"]
    for name in names:
        c = cases[name]
        d = os.path.join(root, name)
        fresh(K3, 0)
        m = keras.models.load_model(os.path.join(d, "keras3", "model.keras"))
        formats.disable_dropout(m)
        o = os.path.join(out, name)
        reset_dir(o)
        rx = np.random.default_rng(4243)
        xs = []
        for i, _ in enumerate(c["inputs"]):
            x = rx.standard_normal((batch,) + tuple(int(s) for s in m.inputs[i].shape[1:])).astype(np.float32)
            save_npy(os.path.join(o, f"x{i}.npy"), x)
            xs.append(x)
        rng = np.random.default_rng(4242)
        ys = []
        for i, t in enumerate(m.outputs):
            layer = m.get_layer(m.output_names[i])
            shape = tuple(int(s) for s in t.shape[1:])
            if getattr(layer, "activation", None) is keras.activations.softmax:
                y = rng.integers(0, shape[-1], size=(batch,) + shape[:-1]).astype(np.float32)
            else:
                y = rng.standard_normal((batch,) + shape).astype(np.float32)
            save_npy(os.path.join(o, f"y{i}.npy"), y)
            ys.append(y)
        r = m.train_on_batch(xs if len(xs) > 1 else xs[0], ys if len(ys) > 1 else ys[0], return_dict=True)
        with open(os.path.join(o, "logs.json"), "w", encoding="utf-8") as f:
            json.dump({k: float(v) for k, v in r.items()}, f)
        write_weights(o, m)
        # optimizer.json as train.write_optimizer_state writes it (layer, weight, slot, file)
        opt = m.optimizer
        tv = list(m.trainable_variables)
        own = {}
        for l in m.layers:
            for v in l.trainable_weights:
                w = v.name
                if type(l).__name__ == "DepthwiseConv2D" and w == "kernel":
                    w = "depthwise_kernel"  # tf_keras's name, which kerasgo's slots carry
                own[id(v)] = (l.name, w)
        slots = []
        for attr, slot in (("_momentums", "momentum"), ("_velocities", "velocity")):
            lst = getattr(opt, attr)
            assert len(lst) == len(tv), (name, attr, len(lst), len(tv))
            for ref, sv in zip(tv, lst):
                layer, weight = own[id(ref)]
                fname = f"slots/{layer}_{weight}_{slot}.npy"
                val = sv.numpy()
                save_npy(os.path.join(o, fname), val)
                slots.append({"layer": layer, "weight": weight, "slot": slot, "name": sv.path, "file": fname,
                              "shape": list(val.shape), "dtype": str(val.dtype)})
        write_json(os.path.join(o, "optimizer.json"), {
            "class_name": type(opt).__name__, "iterations": int(opt.iterations.numpy()),
            "learning_rate": float(np.asarray(opt.learning_rate)), "slots": slots,
            "variables_order": [v.path for v in opt.variables]})
    log("reference", f"{label}: {len(names)} Keras 3 steps")


# testdata/layers_mha cases with a step: the Transformer encoder block (compiled, never fitted).
MHA_STEPS = ["transformer_block"]


def mha_steps(testdata, out):
    train_steps(os.path.join(testdata, "layers_mha"), MHA_STEPS, out, "mha")


# cases of the applications cache (testdata/gen/applications.py) with a step: VGG16 (compiled with
# Adam, never fitted, so the step starts Adam from zeros) and VGG16 frozen inside a Sequential
# with a new head (the transfer-learning pattern). Not ResNet50 or DenseNet121: at 32x32 with the
# cache's batch of 3, their training-mode BatchNormalization layers normalize over batch x 1 x 1
# (3 values per channel) and the step is ill-conditioned: ResNet50's train_on_batch loss is
# 2.848652 in tf_keras (1 and 2 intra-op threads alike), 2.836438 in tf_keras with
# TF_ENABLE_ONEDNN_OPTS=0 and 2.881593 in Keras 3 from the same weights (kerasgo: 2.903904);
# DenseNet121's losses agree within 1.2e-5 relative but its Adam slots differ by 0.1-1%.
APPS_STEPS = ["vgg16", "vgg16_frozen_transfer"]


def apps_steps(out):
    import applications
    root = applications.default_dir()
    if not applications.is_complete(root):
        raise SystemExit(f"{root} is not complete: run testdata/gen/applications.py first")
    train_steps(root, APPS_STEPS, out, "apps", dropout0=True)


def leaf_weights(layer):
    """A layer's weights; a nested model's in its leaf layers' order (kerasgo's order; tf_keras
    lists a frozen model's non-trainable weights in another)."""
    if isinstance(layer, tf_keras.Model):
        return [w for l in layer.layers for w in leaf_weights(l)]
    return list(layer.weights)


def write_weights_leaf_order(d, model):
    """weights.json + w/ as common.write_weights, nested models' weights in leaf order."""
    from common import short_name, write_json
    layers = []
    for i, layer in enumerate(model.layers):
        ws = []
        for j, v in enumerate(leaf_weights(layer)):
            fname = f"w/{i:02d}_{layer.name.replace('/', '.')}_{j:03d}_{short_name(v)}.npy"
            val = v.numpy()
            save_npy(os.path.join(d, fname), val)
            ws.append({"name": short_name(v), "trainable": bool(v.trainable), "file": fname,
                       "shape": [int(x) for x in val.shape], "dtype": str(val.dtype)})
        layers.append({"name": layer.name, "class": type(layer).__name__, "weights": ws})
    write_json(os.path.join(d, "weights.json"), {"layers": layers})


def train_steps(root, names, out, label, dropout0=False, batch=None, no_dropout=False):
    """dropout0: every Dropout rate set to 0 before the step (the Go test does the same), so
    that the step is deterministic; weights written in leaf order (write_weights_leaf_order)."""
    with open(os.path.join(root, "manifest.json"), encoding="utf-8") as f:
        cases = json.load(f)["cases"]
    for name in names:
        c = cases[name]
        d = os.path.join(root, name)
        fresh(K2, 0)
        m = tf_keras.models.load_model(os.path.join(d, "tfkeras", "model.h5"))
        if dropout0:
            for l in m.layers:
                if isinstance(l, tf_keras.layers.Dropout):
                    l.rate = 0.0
        if no_dropout:
            formats.disable_dropout(m)
        xs = [np.load(os.path.join(d, i["file"])) for i in c["inputs"]]
        o = os.path.join(out, name)
        reset_dir(o)
        if batch:
            rx = np.random.default_rng(4243)
            xs = [rx.standard_normal((batch,) + x.shape[1:]).astype(np.float32) for x in xs]
            for i, x in enumerate(xs):
                save_npy(os.path.join(o, f"x{i}.npy"), x)
        n = xs[0].shape[0]
        rng = np.random.default_rng(4242)
        ys = []
        for i, t in enumerate(m.outputs):
            layer = m.get_layer(m.output_names[i])
            shape = tuple(int(s) for s in t.shape[1:])
            act = getattr(layer, "activation", None) or getattr(getattr(layer, "layer", None), "activation", None)
            if act is tf_keras.activations.softmax:
                y = rng.integers(0, shape[-1], size=(n,) + shape[:-1]).astype(np.float32)
            else:
                y = rng.standard_normal((n,) + shape).astype(np.float32)
            save_npy(os.path.join(o, f"y{i}.npy"), y)
            ys.append(y)
        r = m.train_on_batch(xs, ys if len(ys) > 1 else ys[0], reset_metrics=True, return_dict=True)
        with open(os.path.join(o, "logs.json"), "w", encoding="utf-8") as f:
            json.dump({k: float(v) for k, v in r.items()}, f)
        if dropout0:
            write_weights_leaf_order(o, m)
        else:
            write_weights(o, m)
        train.write_optimizer_state(o, m, m.optimizer)
    log("reference", f"{label}: {len(names)} steps")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--testdata", required=True, help="the committed testdata directory")
    ap.add_argument("--out", required=True, help="where to write the references")
    ap.add_argument("--part", required=True, choices=["train", "formats", "functional", "apps_mobile",
                                                      "apps_mobile_variant", "mha", "wrap", "apps", "rnnstate",
                                                      "apps_mobile_k3", "apps_mobile_k3_variant",
                                                      "apps_xnas", "apps_xnas_variant"])
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    extra = {}
    if a.part == "train":
        replay_train(os.path.abspath(a.testdata), os.path.abspath(a.out))
    elif a.part == "functional":
        functional_steps(os.path.abspath(a.testdata), os.path.abspath(a.out))
    elif a.part == "wrap":
        wrap_steps(os.path.abspath(a.testdata), os.path.abspath(a.out))
    elif a.part == "rnnstate":
        rnnstate_steps(os.path.abspath(a.testdata), os.path.abspath(a.out))
    elif a.part in ("apps_mobile", "apps_mobile_variant"):
        extra = apps_mobile_steps(os.path.abspath(a.out), variant=a.part == "apps_mobile_variant")
    elif a.part.removesuffix("_variant") in APPS_MOBILE_MORE:
        extra = apps_mobile_more(os.path.abspath(a.out), a.part.removesuffix("_variant"),
                                 variant=a.part.endswith("_variant"))
    elif a.part == "mha":
        mha_steps(os.path.abspath(a.testdata), os.path.abspath(a.out))
    elif a.part == "apps":
        apps_steps(os.path.abspath(a.out))
    else:
        next_formats(os.path.abspath(a.testdata), os.path.abspath(a.out))
    with open(os.path.join(a.out, "meta.json"), "w", encoding="utf-8") as f:
        json.dump({"part": a.part, "intra_op_threads": os.environ.get("KERASGO_TF_INTRA_THREADS", "1"),
                   "TF_ENABLE_ONEDNN_OPTS": os.environ.get("TF_ENABLE_ONEDNN_OPTS"), **extra}, f)


if __name__ == "__main__":
    main()
