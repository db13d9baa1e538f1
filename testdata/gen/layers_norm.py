"""testdata/layers_norm/<case>/: one tiny Functional model per normalization or preprocessing
layer case (issue 11): the layer, named `probe`, then Flatten + Dense "head", written by real
tf_keras 2.21 (model.h5) and Keras 3.15.1 (model.keras), in the per-layer case layout of
functional.py (whose gen_case and check_case this part reuses). gamma and beta start from
non-trivial initializers so that the files hold weights that matter; Normalization layers are
adapted on random data. Random augmentation layers are the identity at inference.
"""

import os

from common import VERSIONS, keras, np, reset_dir, tf_keras, write_json
from functional import _lc, check_case, gen_case, layer_builder

IMG = [(4, 5, 3)]
VEC = [(3, 6)]


def init(lib):
    return {"gamma_initializer": lib.initializers.RandomUniform(0.5, 1.5, seed=1),
            "beta_initializer": lib.initializers.RandomNormal(0.0, 0.5, seed=2)}


def _with_lib(make):
    """make(L, lib): L is lib.layers; layer_builder passes L only, so find the library."""
    def f(L):
        lib = tf_keras if L is tf_keras.layers else keras
        return make(L, lib)
    return f


def adapted(L, lib, data_shape, **kw):
    layer = L.Normalization(name="probe", **kw)
    layer.adapt(np.random.default_rng(5).normal(2.0, 3.0, size=data_shape).astype(np.float32))
    return layer


def layer_cases():
    c = {}
    c["layernorm_last"] = _lc(IMG, _with_lib(lambda L, lib: L.LayerNormalization(name="probe", **init(lib))),
                              "LayerNormalization() on (4,5,3), random gamma/beta")
    c["layernorm_axes12"] = _lc(IMG, _with_lib(lambda L, lib: L.LayerNormalization(axis=[1, 2], name="probe", **init(lib))),
                                "LayerNormalization(axis=[1,2]): gamma/beta of shape (4,5)")
    c["layernorm_axis1_nocenter"] = _lc(VEC, _with_lib(lambda L, lib: L.LayerNormalization(axis=1, center=False, name="probe",
                                                                                           **init(lib))),
                                        "LayerNormalization(axis=1, center=False) on (3,6)")
    c["layernorm_noscale"] = _lc(VEC, lambda L: L.LayerNormalization(scale=False, name="probe"), "LayerNormalization(scale=False)")
    c["groupnorm_3"] = _lc([(4, 5, 6)], _with_lib(lambda L, lib: L.GroupNormalization(groups=3, name="probe", **init(lib))),
                           "GroupNormalization(groups=3) on 6 channels")
    c["groupnorm_instance"] = _lc(IMG, _with_lib(lambda L, lib: L.GroupNormalization(groups=-1, name="probe", **init(lib))),
                                  "GroupNormalization(groups=-1): one group per channel")
    c["groupnorm_axis1"] = _lc([(4, 3)], _with_lib(lambda L, lib: L.GroupNormalization(groups=2, axis=1, name="probe",
                                                                                       **init(lib))),
                               "GroupNormalization(groups=2, axis=1) on (4,3)")
    c["unitnorm_last"] = _lc(IMG, lambda L: L.UnitNormalization(name="probe"), "UnitNormalization()")
    c["unitnorm_axes"] = _lc(IMG, lambda L: L.UnitNormalization(axis=[1, 2], name="probe"), "UnitNormalization(axis=[1,2])")
    c["rescaling_offset"] = _lc(VEC, lambda L: L.Rescaling(2.5, offset=-1, name="probe"), "Rescaling(2.5, offset=-1)")
    bn = lambda lib: dict(init(lib), moving_mean_initializer=lib.initializers.RandomNormal(0.0, 0.5, seed=3),
                          moving_variance_initializer=lib.initializers.RandomUniform(0.5, 2.0, seed=4))
    c["batchnorm_axis1"] = _lc(IMG, _with_lib(lambda L, lib: L.BatchNormalization(axis=1, name="probe", **bn(lib))),
                               "BatchNormalization(axis=1) on (4,5,3) (channels_first-style), random statistics")
    c["batchnorm_axis-2_rank3"] = _lc(VEC, _with_lib(lambda L, lib: L.BatchNormalization(axis=-2, name="probe", **bn(lib))),
                                      "BatchNormalization(axis=-2) on (3,6)")
    c["normalization_adapted"] = _lc(IMG, _with_lib(lambda L, lib: adapted(L, lib, (20, 4, 5, 3))),
                                     "Normalization() adapted on random data: mean, variance, count weights")
    c["normalization_axes12"] = _lc(IMG, _with_lib(lambda L, lib: adapted(L, lib, (20, 4, 5, 3), axis=(1, 2))),
                                    "Normalization(axis=(1,2)) adapted")
    c["normalization_none_invert"] = _lc(VEC, _with_lib(lambda L, lib: adapted(L, lib, (20, 3, 6), axis=None, invert=True)),
                                         "Normalization(axis=None, invert=True) adapted")
    c["normalization_constant"] = _lc(VEC, lambda L: L.Normalization(mean=[1.0, 2, 3, 4, 5, 6], variance=[1.0, 4, 0.25, 2, 3, 9],
                                                                     name="probe"),
                                      "Normalization(mean=[...], variance=[...]): no weights")
    c["resizing_bilinear_up"] = _lc(IMG, lambda L: L.Resizing(7, 9, name="probe"), "Resizing(7,9) bilinear from 4x5")
    c["resizing_bilinear_down"] = _lc([(7, 9, 2)], lambda L: L.Resizing(3, 4, name="probe"), "Resizing(3,4) bilinear from 7x9")
    c["resizing_nearest"] = _lc([(5, 7, 2)], lambda L: L.Resizing(8, 3, interpolation="nearest", name="probe"),
                                "Resizing(8,3, nearest) from 5x7")
    c["resizing_crop_aspect"] = _lc([(5, 9, 2)], lambda L: L.Resizing(4, 4, crop_to_aspect_ratio=True, name="probe"),
                                    "Resizing(4,4, crop_to_aspect_ratio=True) from 5x9")
    c["centercrop"] = _lc([(6, 7, 2)], lambda L: L.CenterCrop(3, 4, name="probe"), "CenterCrop(3,4) of 6x7")
    c["centercrop_larger"] = _lc(IMG, lambda L: L.CenterCrop(6, 4, name="probe"), "CenterCrop(6,4) of 4x5: resized (smart_resize)")
    c["randomflip"] = _lc(IMG, lambda L: L.RandomFlip("horizontal", seed=1, name="probe"), "RandomFlip('horizontal'): inference identity")
    c["randomrotation"] = _lc(IMG, lambda L: L.RandomRotation(0.2, fill_mode="constant", seed=2, name="probe"),
                              "RandomRotation(0.2, fill_mode='constant'): inference identity")
    c["randomzoom"] = _lc(IMG, lambda L: L.RandomZoom(0.1, width_factor=(-0.2, 0.3), name="probe"),
                          "RandomZoom(0.1, width_factor=(-0.2,0.3)): inference identity")
    c["randomcontrast"] = _lc(IMG, lambda L: L.RandomContrast(0.3, name="probe"), "RandomContrast(0.3): inference identity")
    c["randomtranslation"] = _lc(IMG, lambda L: L.RandomTranslation(0.1, (-0.2, 0.2), interpolation="nearest", name="probe"),
                                 "RandomTranslation(0.1, (-0.2,0.2), nearest): inference identity")
    c["randomcrop_same"] = _lc([(3, 4, 2)], lambda L: L.RandomCrop(3, 4, seed=5, name="probe"),
                               "RandomCrop(3,4) of 3x4 (both libraries: identity at inference)")
    return c


LAYER_CASES = layer_cases()


def main(out):
    out = os.path.join(out, "layers_norm")
    reset_dir(out)
    manifest = {"versions": VERSIONS, "cases": {}}
    todo = [("layer_" + n, layer_builder(s, "layer_" + n), s["desc"], 11000 + i) for i, (n, s) in enumerate(LAYER_CASES.items())]
    only = os.environ.get("KERASGO_LAYERS_ONLY")  # development: comma-separated case names
    if only:
        todo = [t for t in todo if t[0] in only.split(",")]
    for name, b, desc, seed in todo:
        manifest["cases"][name] = gen_case(out, name, b, desc, seed, "layer", False, fit=False)
    for name, b, desc, seed in todo:
        check_case(out, name, b, manifest["cases"][name], False, fit=False)
    write_json(os.path.join(out, "manifest.json"), manifest)


if __name__ == "__main__":
    import sys
    main(sys.argv[1])
