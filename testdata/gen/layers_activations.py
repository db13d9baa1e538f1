"""testdata/layers_activations/<case>/: one tiny Functional model per Keras-3-only activation name
(issue 10): Activation(name) named `probe`, then Flatten + Dense "head", in the per-layer case
layout of functional.py (whose gen_case and check_case this part reuses). tf_keras 2.21 knows
none of these names: each case records tf_keras's error and holds Keras 3.15.1's files only.
glu halves the last axis ((3,4) -> (3,2)) but Keras 3.15's Activation layer declares its output
with the input's shape, so no layer that checks its input can follow it in Keras: its case is
Input -> Activation('glu') as the model's output (no head, no weights).
"""

import os

from common import VERSIONS, reset_dir, write_json
from functional import _lc, check_case, gen_case, layer_builder

NAMES = ["celu", "squareplus", "sparse_plus", "soft_shrink", "hard_shrink", "tanh_shrink", "hard_tanh",
         "log_sigmoid", "sparse_sigmoid", "sparsemax", "glu"]


def glu_builder(case):
    def build(lib):
        inp = lib.Input((3, 4), name="in0")
        return lib.Model(inp, lib.layers.Activation("glu", name="probe")(inp), name=case)
    return build


def main(out):
    out = os.path.join(out, "layers_activations")
    reset_dir(out)
    manifest = {"versions": VERSIONS, "cases": {}}
    todo = []
    for i, a in enumerate(NAMES):
        spec = _lc([(3, 4)], lambda L, a=a: L.Activation(a, name="probe"), f"Activation('{a}') on (3,4)")
        name = "layer_activation_" + a
        b = glu_builder(name) if a == "glu" else layer_builder(spec, name)
        todo.append((name, b, spec["desc"], 14000 + i))
    for name, b, desc, seed in todo:
        manifest["cases"][name] = gen_case(out, name, b, desc, seed, "layer", False, fit=False)
    for name, b, desc, seed in todo:
        check_case(out, name, b, manifest["cases"][name], False, fit=False)
    write_json(os.path.join(out, "manifest.json"), manifest)


if __name__ == "__main__":
    import sys
    main(sys.argv[1])
