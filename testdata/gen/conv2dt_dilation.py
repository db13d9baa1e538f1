"""testdata/conv2dt_dilation/<case>/: Conv2DTranspose with dilation_rate above 1 (issue 11), one
tiny Functional model per case (the layer named `probe`, then Flatten + Dense "head"), written by
real tf_keras 2.21 (model.h5) and Keras 3.15.1 (model.keras) in the per-layer case layout of
functional.py (whose gen_case and check_case this part reuses, as layers_conv2d.py does).
"""

import os

from common import VERSIONS, reset_dir, write_json
from functional import _lc, check_case, gen_case, layer_builder


def layer_cases():
    c = {}
    c["tconv_dil2_valid"] = _lc([(5, 6, 3)], lambda L: L.Conv2DTranspose(4, 3, dilation_rate=2, name="probe"),
                                "Conv2DTranspose(4, 3, dilation_rate=2), valid")
    c["tconv_dil2_same_relu"] = _lc([(4, 5, 2)], lambda L: L.Conv2DTranspose(3, (2, 3), dilation_rate=(2, 2), padding="same",
                                                                             activation="relu", name="probe"),
                                    "Conv2DTranspose(3, (2,3), dilation_rate=2, same, relu)")
    c["tconv_dil3_nobias"] = _lc([(3, 4, 2)], lambda L: L.Conv2DTranspose(2, (3, 2), dilation_rate=3, use_bias=False, name="probe"),
                                 "Conv2DTranspose(2, (3,2), dilation_rate=3, no bias), valid")
    return c


def main(out):
    out = os.path.join(out, "conv2dt_dilation")
    reset_dir(out)
    manifest = {"versions": VERSIONS, "cases": {}}
    todo = [("layer_" + n, layer_builder(s, "layer_" + n), s["desc"], 19000 + i) for i, (n, s) in enumerate(layer_cases().items())]
    for name, b, desc, seed in todo:
        manifest["cases"][name] = gen_case(out, name, b, desc, seed, "layer", False, fit=False)
    for name, b, desc, seed in todo:
        check_case(out, name, b, manifest["cases"][name], False, fit=False)
    write_json(os.path.join(out, "manifest.json"), manifest)


if __name__ == "__main__":
    import sys
    main(sys.argv[1])
