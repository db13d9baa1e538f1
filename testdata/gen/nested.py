"""testdata/nested/<case>/: small nested models (a Sequential or Functional model used as a layer)
beyond those of testdata/functional, written by real tf_keras 2.21 and Keras 3.15.1 in every
format (tf_keras SavedModel included) with both libraries' predictions.

Each case goes through functional.gen_case and functional.check_case: built in tf_keras, fitted
two Adam steps, saved in every format; Keras 3 gets the same weights and Adam state; everything
written is reloaded with the real libraries and checked. manifest.json has the layout of
testdata/functional/manifest.json.
"""

import os

import functional
from common import VERSIONS, reset_dir, write_json


def functional_in_functional(lib):
    L = lib.layers
    bin_ = lib.Input((6, 6, 2), name="bb_in")
    x = L.Conv2D(4, 3, padding="same", name="bb_conv")(bin_)
    x = L.BatchNormalization(name="bb_bn")(x)
    x = L.Activation("relu", name="bb_relu")(x)
    x = L.MaxPooling2D(2, name="bb_pool")(x)
    backbone = lib.Model(bin_, x, name="backbone")
    inp = lib.Input((6, 6, 2), name="image")
    y = backbone(inp)
    y = L.GlobalAveragePooling2D(name="gap")(y)
    out = L.Dense(3, activation="softmax", name="out")(y)
    return lib.Model(inp, out, name="functional_in_functional")


def nested_two_deep(lib):
    L = lib.layers
    inner = lib.Sequential([lib.Input((6,), name="inner_in"), L.Dense(5, activation="tanh", name="in_d1"),
                           L.Dense(4, name="in_d2")], name="inner")
    mid = lib.Sequential([L.Dense(6, activation="relu", name="mid_d1"), inner], name="mid")
    return lib.Sequential([lib.Input((6,), name="feats"), L.Dense(6, activation="relu", name="top_d1"), mid,
                           L.Dense(3, activation="softmax", name="top_out")], name="top")


def two_blocks_residual(lib):
    L = lib.layers
    inp = lib.Input((6,), name="x")
    stem = L.Dense(8, activation="relu", name="stem")(inp)
    block_a = lib.Sequential([L.Dense(8, activation="relu", name="a_dense"), L.BatchNormalization(name="a_bn")],
                             name="block_a")
    s = L.Add(name="res_add")([stem, block_a(stem)])
    b_in = lib.Input((8,), name="b_in")
    block_b = lib.Model(b_in, L.Dense(4, activation="tanh", name="b_dense")(b_in), name="block_b")
    out = L.Dense(3, activation="softmax", name="out")(block_b(s))
    return lib.Model(inp, out, name="two_blocks_residual")


def frozen_small_transfer(lib):
    L = lib.layers
    bin_ = lib.Input((8, 8, 3), name="img")
    x = L.Conv2D(4, 3, activation="relu", name="fb_conv1")(bin_)
    x = L.BatchNormalization(name="fb_bn")(x)
    x = L.Conv2D(4, 3, strides=2, activation="relu", name="fb_conv2")(x)
    base = lib.Model(bin_, x, name="base")
    base.trainable = False
    inp = lib.Input((8, 8, 3), name="image")
    y = base(inp, training=False)
    y = L.Flatten(name="flat")(y)
    y = L.Dropout(0.2, name="drop")(y)
    out = L.Dense(3, activation="softmax", name="head")(y)
    return lib.Model(inp, out, name="frozen_small_transfer")


CASES = {
    "functional_in_functional": (functional_in_functional, "Functional 'backbone' (Conv2D, BN, ReLU, MaxPooling2D) "
                                 "called in a Functional model, GAP, Dense head"),
    "nested_two_deep": (nested_two_deep, "Sequential 'top' holding Sequential 'mid' holding Sequential 'inner' (own Input) "
                        "(Dense layers)"),
    "two_blocks_residual": (two_blocks_residual, "Functional: Dense stem, Sequential 'block_a' (Dense, BN) added "
                            "to the stem, Functional 'block_b' (Dense), Dense head"),
    "frozen_small_transfer": (frozen_small_transfer, "frozen Functional 'base' (Conv2D, BN, Conv2D stride 2) called "
                              "with training=False in a Functional model, Flatten, Dropout, Dense head"),
}


def main(out):
    out = os.path.join(out, "nested")
    reset_dir(out)
    manifest = {"versions": VERSIONS, "cases": {}}
    for i, (name, (b, desc)) in enumerate(CASES.items()):
        manifest["cases"][name] = functional.gen_case(out, name, b, desc, 9100 + i, "model", True)
    for name, (b, desc) in CASES.items():
        functional.check_case(out, name, b, manifest["cases"][name], True)
    write_json(os.path.join(out, "manifest.json"), manifest)


if __name__ == "__main__":
    import sys
    main(sys.argv[1])
