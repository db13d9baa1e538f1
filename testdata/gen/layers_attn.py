"""testdata/layers_attn/<case>/: one tiny Functional model per option combination of the
attention layer family (issue 12): EinsumDense with the equations MultiHeadAttention uses and
Dense-like ones, Attention (dot and concat scores, use_scale, with and without a key) and
AdditiveAttention.

The cases have functional.py's per-layer form (the layer named "probe" applied to its
input(s), then Flatten "flat" when needed and Dense "head"), built and checked by
functional.py's gen_case / check_case: tf_keras model.h5 and Keras 3 model.keras with the
tf_keras weights, predictions within 1e-5 of each other, everything reloaded and checked at
the end. The attention layers get a list [query, value] or [query, value, key].
"""

import os
import sys

from functional import VERSIONS, _lc, check_case, gen_case, layer_builder, reset_dir, write_json


def cases():
    c = {}
    c["einsum_dense_mha_proj"] = _lc([(5, 8)], lambda L: L.EinsumDense("abc,cde->abde", output_shape=(5, 2, 4),
                                                                       bias_axes="de", name="probe"),
                                     "EinsumDense('abc,cde->abde', (5, 2, 4), bias_axes='de') (MHA's projections)")
    c["einsum_dense_mha_out"] = _lc([(5, 2, 4)], lambda L: L.EinsumDense("abcd,cde->abe", output_shape=(5, 8),
                                                                          bias_axes="e", name="probe"),
                                    "EinsumDense('abcd,cde->abe', (5, 8), bias_axes='e') (MHA's output)")
    c["einsum_dense_ab_relu"] = _lc([(7,)], lambda L: L.EinsumDense("ab,bc->ac", output_shape=6, bias_axes="c",
                                                                    activation="relu", name="probe"),
                                    "EinsumDense('ab,bc->ac', 6, bias_axes='c', activation='relu')")
    c["einsum_dense_abd_nobias"] = _lc([(5, 8)], lambda L: L.EinsumDense("abc,cd->abd", output_shape=(5, 3),
                                                                         name="probe"),
                                       "EinsumDense('abc,cd->abd', (5, 3)) without bias")
    c["einsum_dense_transposed_bias"] = _lc([(5, 8)], lambda L: L.EinsumDense("abc,cde->aebd", output_shape=(3, 5, 2),
                                                                              bias_axes="bd", name="probe"),
                                            "EinsumDense('abc,cde->aebd', (3, 5, 2), bias_axes='bd') (output "
                                            "transposed, bias (5, 1, 2))")
    QV = [(4, 3), (5, 3)]
    QVK = [(4, 3), (5, 2), (5, 3)]
    c["attention_dot"] = _lc(QV, lambda L: L.Attention(name="probe"), "Attention() on [query (4,3), value (5,3)]")
    c["attention_dot_scale_key"] = _lc(QVK, lambda L: L.Attention(use_scale=True, name="probe"),
                                       "Attention(use_scale=True) on [query, value (5,2), key (5,3)]")
    c["attention_concat"] = _lc(QV, lambda L: L.Attention(score_mode="concat", use_scale=True, dropout=0.2,
                                                          name="probe"),
                                "Attention(score_mode='concat', use_scale=True, dropout=0.2)")
    c["additive_attention"] = _lc(QV, lambda L: L.AdditiveAttention(name="probe"), "AdditiveAttention()")
    c["additive_attention_noscale_key"] = _lc(QVK, lambda L: L.AdditiveAttention(use_scale=False, name="probe"),
                                              "AdditiveAttention(use_scale=False) with a key")
    return c


def main(out):
    out = os.path.join(out, "layers_attn")
    reset_dir(out)
    manifest = {"versions": VERSIONS, "cases": {}}
    todo = [("layer_" + name, layer_builder(spec, "layer_" + name), spec["desc"], 13000 + i)
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
