"""testdata/layers_mha/<case>/: MultiHeadAttention (issue 12) in tiny Functional models and a
Transformer encoder block, each written by tf_keras and Keras 3 in every format.

Cases have functional.py's form, built and checked by functional.py's gen_case / check_case:
tf_keras model.h5 and Keras 3 model.keras, and for the cases in FULL every format (tf_keras
weights.h5, TF checkpoint, SavedModel; Keras 3 .weights.h5, legacy .h5); Keras 3 gets the
tf_keras weights; predictions within 1e-5 of each other; everything reloaded and checked at
the end:
- layer_mha_*: the layer "probe" called as self-attention probe(x, x) (or on a query, value
  and key), then Flatten and Dense "head", for several num_heads / key_dim / value_dim /
  output_shape / use_bias, and use_causal_mask=True.
- transformer_block: token Embedding + position Embedding (the positions are a second input
  of ids, given as float32 values as Keras casts them), Add, MultiHeadAttention self-attention, residual Add, LayerNormalization, a
  feed-forward Dense pair, residual Add, LayerNormalization, GlobalAveragePooling1D, Dense.

Variables of MHA's sub-layers are recorded in weights.json as "query/kernel" ... (the
sub-layer and the variable), which functional.short is patched to give here.
"""

import os
import sys

import numpy as np

import functional
from functional import VERSIONS, check_case, gen_case, reset_dir, write_json
from layers_rnn import VOCAB, IndexNumpy

_SUBS = ("query", "key", "value", "attention_output")


def _short(v):
    n = getattr(v, "path", None)
    if not isinstance(n, str):
        n = v.name
    parts = n.split(":")[0].split("/")
    if len(parts) >= 3 and parts[-2] in _SUBS:
        return "/".join(parts[-2:])
    return parts[-1]


functional.short = _short

SEQ, DIM = 6, 8  # token and position ids are drawn in [0, VOCAB) (layers_rnn's IndexNumpy)


def mha_builder(case, shapes, kw, call_kw=None, three=False):
    def build(lib):
        L = lib.layers
        ins = [lib.Input(s, name=f"in{i}") for i, s in enumerate(shapes)]
        probe = L.MultiHeadAttention(name="probe", **kw)
        if len(ins) == 1:
            y = probe(ins[0], ins[0], **(call_kw or {}))
        elif three:
            y = probe(ins[0], ins[1], ins[2])
        else:
            y = probe(ins[0], ins[1])
        y = L.Flatten(name="flat")(y)
        out = L.Dense(3, name="head")(y)
        return lib.Model(ins if len(ins) > 1 else ins[0], out, name=case)
    return build


def transformer_builder(case):
    def build(lib):
        L = lib.layers
        tok = lib.Input((SEQ,), name="tokens")
        pos = lib.Input((SEQ,), name="positions")
        x = L.Add(name="embed")([L.Embedding(VOCAB, DIM, name="tok_emb")(tok),
                                 L.Embedding(VOCAB, DIM, name="pos_emb")(pos)])
        a = L.MultiHeadAttention(num_heads=2, key_dim=4, name="mha")(x, x)
        x = L.LayerNormalization(epsilon=1e-6, name="ln1")(L.Add(name="res1")([x, a]))
        f = L.Dense(16, activation="relu", name="ffn1")(x)
        f = L.Dense(DIM, name="ffn2")(f)
        x = L.LayerNormalization(epsilon=1e-6, name="ln2")(L.Add(name="res2")([x, f]))
        x = L.GlobalAveragePooling1D(name="gap")(x)
        out = L.Dense(3, activation="softmax", name="head")(x)
        return lib.Model([tok, pos], out, name=case)
    return build


def cases():
    S = [(5, 8)]
    return {
        "layer_mha_h2_k4": (mha_builder("layer_mha_h2_k4", S, dict(num_heads=2, key_dim=4)),
                            "MultiHeadAttention(num_heads=2, key_dim=4) self-attention"),
        "layer_mha_h3_k2_v5_out6": (mha_builder("layer_mha_h3_k2_v5_out6", S,
                                                dict(num_heads=3, key_dim=2, value_dim=5, output_shape=6)),
                                    "MultiHeadAttention(3, 2, value_dim=5, output_shape=6)"),
        "layer_mha_h1_k3_nobias": (mha_builder("layer_mha_h1_k3_nobias", S,
                                               dict(num_heads=1, key_dim=3, use_bias=False)),
                                   "MultiHeadAttention(1, 3, use_bias=False)"),
        "layer_mha_causal": (mha_builder("layer_mha_causal", S, dict(num_heads=2, key_dim=3),
                                         call_kw={"use_causal_mask": True}),
                             "MultiHeadAttention(2, 3) called with use_causal_mask=True"),
        "layer_mha_qvk": (mha_builder("layer_mha_qvk", [(4, 6), (5, 3), (5, 7)], dict(num_heads=2, key_dim=3),
                                      three=True),
                          "MultiHeadAttention(2, 3) on query (4,6), value (5,3), key (5,7)"),
        "transformer_block": (transformer_builder("transformer_block"),
                              "Transformer encoder block over token and position Embeddings"),
    }


# The cases written in every format (the others: tf_keras model.h5 and Keras 3 model.keras).
FULL = {"layer_mha_h2_k4", "layer_mha_causal", "transformer_block"}


def main(out):
    out = os.path.join(out, "layers_mha")
    reset_dir(out)
    manifest = {"versions": VERSIONS, "cases": {}}
    todo = [(name, b, desc, 14000 + i) for i, (name, (b, desc)) in enumerate(cases().items())]
    entries = {}
    real_np = functional.np
    for name, b, desc, seed in todo:
        kind = "layer" if name.startswith("layer_") else "model"
        functional.np = IndexNumpy(real_np) if kind == "model" else real_np
        try:
            entries[name] = gen_case(out, name, b, desc, seed, kind, name in FULL, fit=False)
        finally:
            functional.np = real_np
    for name, b, desc, seed in todo:
        check_case(out, name, b, entries[name], name in FULL, fit=False)
    for name, e in entries.items():
        manifest["cases"][name] = e
    write_json(os.path.join(out, "manifest.json"), manifest)


if __name__ == "__main__":
    main(sys.argv[1])
