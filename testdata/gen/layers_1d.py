"""testdata/layers_1d/<case>/: one tiny Functional model per option combination of the 1D
layer family (issue 11) on (batch, steps, channels) inputs: Conv1D (strides, padding
valid/same/causal, dilation_rate, groups), MaxPooling1D, AveragePooling1D,
GlobalMaxPooling1D, GlobalAveragePooling1D, ZeroPadding1D, Cropping1D, UpSampling1D, Conv1DTranspose, SeparableConv1D.

The cases have functional.py's per-layer form (the layer named "probe" applied to an input,
then Flatten "flat" when needed and Dense "head"), built and checked by functional.py's
gen_case / check_case: tf_keras model.h5 and Keras 3 model.keras with the tf_keras weights,
predictions within 1e-5 of each other, everything reloaded and checked at the end.
"""

import os
import sys

from functional import VERSIONS, _lc, check_case, gen_case, layer_builder, reset_dir, write_json

SEQ = [(9, 4)]


def cases():
    c = {}
    c["conv1d_valid"] = _lc(SEQ, lambda L: L.Conv1D(3, 3, name="probe"), "Conv1D(3, 3)")
    c["conv1d_same_s2_relu"] = _lc(SEQ, lambda L: L.Conv1D(5, 4, strides=2, padding="same", activation="relu", name="probe"),
                                   "Conv1D(5, 4, strides=2, padding='same', activation='relu')")
    c["conv1d_causal"] = _lc(SEQ, lambda L: L.Conv1D(3, 3, padding="causal", name="probe"), "Conv1D(3, 3, padding='causal')")
    c["conv1d_causal_dilated"] = _lc(SEQ, lambda L: L.Conv1D(2, 3, padding="causal", dilation_rate=2, activation="tanh",
                                                           name="probe"),
                                     "Conv1D(2, 3, padding='causal', dilation_rate=2, activation='tanh')")
    c["conv1d_causal_s2_nobias"] = _lc(SEQ, lambda L: L.Conv1D(3, 2, strides=2, padding="causal", use_bias=False, name="probe"),
                                       "Conv1D(3, 2, strides=2, padding='causal', use_bias=False)")
    c["conv1d_dilated_same"] = _lc(SEQ, lambda L: L.Conv1D(3, 3, dilation_rate=3, padding="same", name="probe"),
                                   "Conv1D(3, 3, dilation_rate=3, padding='same')")
    c["conv1d_groups"] = _lc(SEQ, lambda L: L.Conv1D(6, 3, groups=2, name="probe"), "Conv1D(6, 3, groups=2) on 4 channels")
    c["convolution1d_alias"] = _lc(SEQ, lambda L: L.Convolution1D(2, 5, name="probe"), "Convolution1D(2, 5) (alias of Conv1D)")
    c["maxpool1d_default"] = _lc(SEQ, lambda L: L.MaxPooling1D(name="probe"), "MaxPooling1D() (pool 2, stride 2, valid)")
    c["maxpool1d_same_s2"] = _lc(SEQ, lambda L: L.MaxPooling1D(3, strides=2, padding="same", name="probe"),
                                 "MaxPooling1D(3, strides=2, padding='same')")
    c["maxpool1d_alias_s1"] = _lc(SEQ, lambda L: L.MaxPool1D(4, strides=1, name="probe"), "MaxPool1D(4, strides=1)")
    c["avgpool1d_valid"] = _lc(SEQ, lambda L: L.AveragePooling1D(3, name="probe"), "AveragePooling1D(3)")
    c["avgpool1d_same"] = _lc(SEQ, lambda L: L.AveragePooling1D(2, padding="same", name="probe"),
                              "AveragePooling1D(2, padding='same') on 9 steps (the edge window averages one step)")
    c["avgpool1d_alias_same_s1"] = _lc(SEQ, lambda L: L.AvgPool1D(3, strides=1, padding="same", name="probe"),
                                       "AvgPool1D(3, strides=1, padding='same')")
    for keep in (False, True):
        k = str(keep).lower()
        c[f"gap1d_keepdims_{k}"] = _lc(SEQ, lambda L, kp=keep: L.GlobalAveragePooling1D(keepdims=kp, name="probe"),
                                       f"GlobalAveragePooling1D(keepdims={keep})")
        c[f"gmp1d_keepdims_{k}"] = _lc(SEQ, lambda L, kp=keep: L.GlobalMaxPooling1D(keepdims=kp, name="probe"),
                                       f"GlobalMaxPooling1D(keepdims={keep})")
    c["gap1d_alias"] = _lc(SEQ, lambda L: L.GlobalAvgPool1D(name="probe"), "GlobalAvgPool1D()")
    c["gmp1d_alias"] = _lc(SEQ, lambda L: L.GlobalMaxPool1D(name="probe"), "GlobalMaxPool1D()")
    c["zeropadding1d_default"] = _lc(SEQ, lambda L: L.ZeroPadding1D(name="probe"), "ZeroPadding1D() (1, 1)")
    c["zeropadding1d_asym"] = _lc(SEQ, lambda L: L.ZeroPadding1D((2, 0), name="probe"), "ZeroPadding1D((2, 0))")
    c["cropping1d_default"] = _lc(SEQ, lambda L: L.Cropping1D(name="probe"), "Cropping1D() (1, 1)")
    c["cropping1d_asym"] = _lc(SEQ, lambda L: L.Cropping1D((3, 0), name="probe"), "Cropping1D((3, 0))")
    c["upsampling1d_default"] = _lc(SEQ, lambda L: L.UpSampling1D(name="probe"), "UpSampling1D() (size 2)")
    c["upsampling1d_3"] = _lc([(4, 2)], lambda L: L.UpSampling1D(3, name="probe"), "UpSampling1D(3) on (4, 2)")
    c["conv1dtranspose_valid"] = _lc(SEQ, lambda L: L.Conv1DTranspose(3, 3, name="probe"), "Conv1DTranspose(3, 3)")
    c["conv1dtranspose_same_s2"] = _lc(SEQ, lambda L: L.Conv1DTranspose(2, 4, strides=2, padding="same", activation="relu",
                                                                       name="probe"),
                                       "Conv1DTranspose(2, 4, strides=2, padding='same', activation='relu')")
    c["conv1dtranspose_outpad"] = _lc(SEQ, lambda L: L.Conv1DTranspose(2, 3, strides=3, output_padding=2, use_bias=False,
                                                                      name="probe"),
                                      "Conv1DTranspose(2, 3, strides=3, output_padding=2, use_bias=False)")
    c["separableconv1d_valid"] = _lc(SEQ, lambda L: L.SeparableConv1D(3, 3, name="probe"), "SeparableConv1D(3, 3)")
    c["separableconv1d_m2_same_s2"] = _lc(SEQ, lambda L: L.SeparableConv1D(2, 3, strides=2, padding="same", depth_multiplier=2,
                                                                         activation="relu", name="probe"),
                                          "SeparableConv1D(2, 3, strides=2, padding='same', depth_multiplier=2, activation='relu')")
    c["separableconv1d_dilated"] = _lc(SEQ, lambda L: L.SeparableConv1D(2, 2, dilation_rate=2, use_bias=False, name="probe"),
                                       "SeparableConv1D(2, 2, dilation_rate=2, use_bias=False)")
    return c


def main(out):
    out = os.path.join(out, "layers_1d")
    reset_dir(out)
    manifest = {"versions": VERSIONS, "cases": {}}
    todo = [("layer_" + name, layer_builder(spec, "layer_" + name), spec["desc"], 11000 + i)
            for i, (name, spec) in enumerate(cases().items())]
    entries = {}
    for name, b, desc, seed in todo:
        entries[name] = gen_case(out, name, b, desc, seed, "layer", False, fit=False)
    for name, b, desc, seed in todo:
        check_case(out, name, b, entries[name], False, fit=False)
    for name, e in entries.items():
        manifest["cases"][name] = e
    write_json(os.path.join(out, "manifest.json"), manifest)


if __name__ == "__main__":
    main(sys.argv[1])
