"""testdata/layers_conv2d/<case>/: one tiny model per option combination of the 2D
convolution families of issue 11 (DepthwiseConv2D, SeparableConv2D, Conv2DTranspose), written
by real tf_keras 2.21 and Keras 3.15.1 in the per-layer case form of functional.py: the layer
is named `probe`, followed by Flatten + Dense `head`; files tfkeras/model.h5 and
keras3/model.keras; predictions of both libraries checked within 1e-5.
"""

import os

import functional
from common import VERSIONS, keras, reset_dir, write_json
from functional import _lc, check_case, gen_case, layer_builder

# Keras 3 names DepthwiseConv2D's variable "kernel" where tf_keras says "depthwise_kernel" (the
# files store it by position either way); functional.check_case compares weights by name, so
# the Keras 3 name is mapped to the tf_keras one here.
_weights_by_key = functional.weights_by_key


def _weights_by_key_k2names(lib, model):
    got = _weights_by_key(lib, model)
    if lib is not keras:
        return got
    depthwise = {p for p, l in functional.leaf_layers(lib, model) if type(l).__name__ == "DepthwiseConv2D"}
    return {(k.split(":")[0] + ":depthwise_kernel" if k.split(":")[0] in depthwise and k.endswith(":kernel") else k): v
            for k, v in got.items()}


functional.weights_by_key = _weights_by_key_k2names


def cases():
    c = {}
    c["depthwise_valid"] = _lc([(7, 6, 3)], lambda L: L.DepthwiseConv2D(3, name="probe"),
                               "DepthwiseConv2D(3) on 7x6x3")
    c["depthwise_dm2_s2_same_relu"] = _lc(
        [(7, 7, 3)], lambda L: L.DepthwiseConv2D(3, strides=2, padding="same", depth_multiplier=2, activation="relu", name="probe"),
        "DepthwiseConv2D(3, strides=2, padding='same', depth_multiplier=2, activation='relu') on odd 7x7")
    c["depthwise_dilation_same_nobias"] = _lc(
        [(8, 7, 2)], lambda L: L.DepthwiseConv2D((3, 2), dilation_rate=(2, 2), padding="same", use_bias=False, name="probe"),
        "DepthwiseConv2D((3,2), dilation_rate=2, padding='same', use_bias=False)")
    c["depthwise_dilation_valid_dm3"] = _lc(
        [(9, 8, 2)], lambda L: L.DepthwiseConv2D(3, dilation_rate=(2, 3), depth_multiplier=3, activation="tanh", name="probe"),
        "DepthwiseConv2D(3, dilation_rate=(2,3), depth_multiplier=3, activation='tanh')")
    c["depthwise_s2_valid_even"] = _lc(
        [(8, 8, 4)], lambda L: L.DepthwiseConv2D(2, strides=(2, 1), name="probe"),
        "DepthwiseConv2D(2, strides=(2,1)) on 8x8x4")
    c["separable_valid"] = _lc([(7, 6, 3)], lambda L: L.SeparableConv2D(4, 3, name="probe"),
                               "SeparableConv2D(4, 3) on 7x6x3")
    c["separable_dm2_s2_same_relu"] = _lc(
        [(9, 9, 3)], lambda L: L.SeparableConv2D(5, 3, strides=2, padding="same", depth_multiplier=2, activation="relu", name="probe"),
        "SeparableConv2D(5, 3, strides=2, padding='same', depth_multiplier=2, activation='relu') on odd 9x9")
    c["separable_dilation_same"] = _lc(
        [(8, 8, 2)], lambda L: L.SeparableConv2D(3, 3, dilation_rate=2, padding="same", activation="tanh", name="probe"),
        "SeparableConv2D(3, 3, dilation_rate=2, padding='same', activation='tanh')")
    c["separable_nobias_k2x3"] = _lc(
        [(6, 7, 2)], lambda L: L.SeparableConv2D(3, (2, 3), strides=(1, 2), use_bias=False, name="probe"),
        "SeparableConv2D(3, (2,3), strides=(1,2), use_bias=False)")
    c["transpose_valid"] = _lc([(4, 5, 2)], lambda L: L.Conv2DTranspose(3, 3, name="probe"),
                               "Conv2DTranspose(3, 3) on 4x5x2")
    c["transpose_s2_same_relu"] = _lc(
        [(5, 5, 2)], lambda L: L.Conv2DTranspose(3, 3, strides=2, padding="same", activation="relu", name="probe"),
        "Conv2DTranspose(3, 3, strides=2, padding='same', activation='relu') on odd 5x5")
    c["transpose_s2_valid_k2"] = _lc(
        [(4, 3, 3)], lambda L: L.Conv2DTranspose(2, 2, strides=2, name="probe"),
        "Conv2DTranspose(2, 2, strides=2) (U-Net upsampling)")
    c["transpose_k1_s3"] = _lc(
        [(3, 3, 2)], lambda L: L.Conv2DTranspose(2, 1, strides=3, name="probe"),
        "Conv2DTranspose(2, 1, strides=3) (kernel below the stride)")
    c["transpose_outpad_same"] = _lc(
        [(5, 4, 2)], lambda L: L.Conv2DTranspose(3, 3, strides=2, padding="same", output_padding=1, name="probe"),
        "Conv2DTranspose(3, 3, strides=2, padding='same', output_padding=1)")
    c["transpose_outpad_valid_nobias"] = _lc(
        [(3, 4, 2)], lambda L: L.Conv2DTranspose(2, (3, 4), strides=(2, 3), output_padding=(1, 2), use_bias=False,
                                                 activation="sigmoid", name="probe"),
        "Conv2DTranspose(2, (3,4), strides=(2,3), output_padding=(1,2), use_bias=False, activation='sigmoid')")
    c["transpose_outpad_same_k4"] = _lc(
        [(4, 4, 2)], lambda L: L.Conv2DTranspose(2, 4, strides=3, padding="same", output_padding=2, name="probe"),
        "Conv2DTranspose(2, 4, strides=3, padding='same', output_padding=2) (even kernel)")
    return c


def main(out):
    out = os.path.join(out, "layers_conv2d")
    reset_dir(out)
    only = os.environ.get("KERASGO_LAYERS_ONLY")  # development: comma-separated case names
    manifest = {"versions": VERSIONS, "cases": {}}
    todo = []
    for i, (name, spec) in enumerate(cases().items()):
        todo.append(("layer_" + name, layer_builder(spec, "layer_" + name), spec["desc"], 11000 + i))
    if only:
        todo = [t for t in todo if t[0] in only.split(",")]
    entries = {}
    for name, b, desc, seed in todo:
        entries[name] = gen_case(out, name, b, desc, seed, "layer", False, fit=False)
    for name, b, desc, seed in todo:
        check_case(out, name, b, entries[name], False, fit=False)
    manifest["cases"] = entries
    write_json(os.path.join(out, "manifest.json"), manifest)


if __name__ == "__main__":
    import sys
    main(sys.argv[1])
