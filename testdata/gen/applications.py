#!/usr/bin/env python3
"""keras.applications models (issue 10), written by real tf_keras 2.21 and Keras 3.15.1 into a
cache directory — NOT committed (tens of MB).

Usage:  .venv/bin/python testdata/gen/applications.py [--out DIR]

DIR defaults to $XDG_CACHE_HOME/kerasgo/applications-<key>/ ($XDG_CACHE_HOME defaults to
~/.cache), where <key> is the first 12 hex digits of the SHA-256 of the bytes of
applications.py, functional.py and common.py (this directory), concatenated in that order: any
edit of the generator gives a new directory. internal/testref.AppsDir computes the same key.

Cases (weights=None, so nothing is downloaded; 32x32x3 inputs, the minimum these
architectures accept; classes=10):
  resnet50, vgg16, densenet121     include_top=True
  vgg16_frozen_transfer            VGG16(include_top=False) with trainable=False inside a
                                   Sequential with GlobalAveragePooling2D, Dropout, Dense(10)
Each case is built like the model cases of testdata/functional/ (functional.gen_case), but not
fitted (optimizer state would triple files that are already ~100 MB per format): tf_keras model
compiled with Adam, saved as model.h5, weights.h5, ckpt/ and savedmodel/; a Keras 3 model with
the tf_keras weights copied in (leaf layers with weights by position: tf_keras's DenseNet121 names
layers "conv1/conv" where Keras 3 has "conv1_conv"; recorded as layer_paths_tf_keras_vs_keras3), saved
as model.keras, model.weights.h5 and legacy.h5; inputs x0.npy, predictions y0.npy (tf_keras) and
y0_keras3.npy (checked within 1e-5 of each other), configs, summaries, weights.json + w/,
observed.json; then every file is reloaded with the real library and checked.

Idempotent: when DIR/manifest.json exists with "complete": true nothing is done. The files are
written into DIR.tmp-<pid> and renamed to DIR when everything has been checked.
"""

import argparse
import hashlib
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
KEY_FILES = ["applications.py", "functional.py", "common.py"]


def cache_key():
    h = hashlib.sha256()
    for f in KEY_FILES:
        with open(os.path.join(HERE, f), "rb") as fh:
            h.update(fh.read())
    return h.hexdigest()[:12]


def default_dir():
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "kerasgo", "applications-" + cache_key())


def is_complete(d):
    import json
    p = os.path.join(d, "manifest.json")
    if not os.path.exists(p):
        return False
    try:
        with open(p) as f:
            return json.load(f).get("complete") is True
    except ValueError:
        return False


SHAPE = (32, 32, 3)


def resnet50(lib):
    return lib.applications.ResNet50(weights=None, input_shape=SHAPE, classes=10)


def vgg16(lib):
    return lib.applications.VGG16(weights=None, input_shape=SHAPE, classes=10)


def densenet121(lib):
    return lib.applications.DenseNet121(weights=None, input_shape=SHAPE, classes=10)


def vgg16_frozen_transfer(lib):
    base = lib.applications.VGG16(weights=None, include_top=False, input_shape=SHAPE)
    base.trainable = False
    L = lib.layers
    return lib.Sequential([base, L.GlobalAveragePooling2D(name="head_gap"), L.Dropout(0.2, name="head_dropout"),
                           L.Dense(10, activation="softmax", name="head")], name="vgg16_transfer")


CASES = {
    "resnet50": (resnet50, "ResNet50(weights=None, input_shape=(32,32,3), classes=10)"),
    "vgg16": (vgg16, "VGG16(weights=None, input_shape=(32,32,3), classes=10)"),
    "densenet121": (densenet121, "DenseNet121(weights=None, input_shape=(32,32,3), classes=10)"),
    "vgg16_frozen_transfer": (vgg16_frozen_transfer, "VGG16(include_top=False, weights=None) trainable=False "
                              "inside Sequential 'vgg16_transfer' with GAP, Dropout(0.2), Dense(10) head"),
}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=None, help="cache directory (default: see above)")
    ap.add_argument("--only", action="append", choices=list(CASES), help="development: only these cases "
                    "(the directory is then not marked complete)")
    ap.add_argument("--print-dir", action="store_true", help="print the default directory and exit")
    args = ap.parse_args()
    if args.print_dir:
        print(default_dir())
        return
    out = os.path.abspath(args.out or default_dir())
    if is_complete(out):
        print(f"[apps] {out} is complete; nothing to do", file=sys.stderr)
        return

    sys.path.insert(0, HERE)
    import functional
    from common import VERSIONS, log, write_json

    tmp = f"{out}.tmp-{os.getpid()}"
    if os.path.exists(tmp):
        shutil.rmtree(tmp)
    os.makedirs(tmp)
    names = args.only or list(CASES)
    entries = {}
    for i, name in enumerate(names):
        b, desc = CASES[name]
        entries[name] = functional.gen_case(tmp, name, b, desc, 7000 + i, "application", True, fit=False)
    for name in names:
        functional.check_case(tmp, name, CASES[name][0], entries[name], True, fit=False)
    write_json(os.path.join(tmp, "manifest.json"), {
        "complete": args.only is None, "key": cache_key(), "key_files": KEY_FILES,
        "versions": VERSIONS, "cases": entries})
    if os.path.exists(out):
        shutil.rmtree(out)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    os.rename(tmp, out)
    log("applications ->", out)


if __name__ == "__main__":
    main()
