"""testdata/layers_attnscores/<case>/: the attention layers called with
return_attention_scores=True (issue 12), which return two tensors: the output and the
attention weights (batch, Tq, Tv), or (batch, heads, Tq, Tv) for MultiHeadAttention. Each
case feeds both outputs into layers of their own (so a SavedModel's outputs have distinct
names and a training step backpropagates through both). Saved in every format by
functional.py's gen_case / check_case, except attention_scores (model.h5 and model.keras:
Keras 3 cannot load an Attention layer from its own legacy .h5).

- attention_scores: Attention(use_scale=True) on [query (4, 3), value (5, 3)]; Flatten +
  Dense(3, softmax) on the output, Flatten + Dense(2, softmax) on the scores.
- additive_scores_masked: Embedding(mask_zero) tokens (6), AdditiveAttention()([e, e],
  use_causal_mask=True); GlobalAveragePooling1D (the query mask) + Dense(2, softmax) on the
  output, Flatten + Dense(2, softmax) on the scores; padded tokens (PadNumpy).
- mha_scores: MultiHeadAttention(2, 3) self-attention on (4, 6); Flatten + Dense(3, softmax)
  on the output, Flatten + Dense(2, softmax) on the scores (batch, 2, 4, 4).

MultiHeadAttention with non-default attention_axes on rank-4 inputs (the other axes between
the batch and the features act as batch axes):

- mha_axes2_rank4: attention_axes=(2,) self-attention on (3, 4, 6). (Not with
  return_attention_scores: Keras 3.15's symbolic shape of the scores is (batch, heads, Tq,
  Tq) whatever the axes, so a layer after them is built differently from tf_keras's.)
- mha_axes1_rank4: attention_axes=1 (an int), query (3, 4, 6), value (2, 4, 5), value_dim 3.
- mha_axes12_rank4: attention_axes=(1, 2) (both axes jointly: one softmax over 2x5 keys),
  query (3, 4, 6), value (2, 5, 6), output_shape 4.
"""

import os
import sys

import functional
from functional import VERSIONS, check_case, gen_case, reset_dir, write_json
from layers_rnn import VOCAB
from layers_wrap import PadNumpy


def attention_scores(lib):
    L = lib.layers
    q = lib.Input((4, 3), name="query")
    v = lib.Input((5, 3), name="value")
    a, s = L.Attention(use_scale=True, name="attention")([q, v], return_attention_scores=True)
    y = L.Dense(3, activation="softmax", name="head")(L.Flatten(name="flat")(a))
    z = L.Dense(2, activation="softmax", name="score_head")(L.Flatten(name="flat_scores")(s))
    return lib.Model([q, v], [y, z], name="attention_scores")


def additive_scores_masked(lib):
    L = lib.layers
    t = lib.Input((6,), name="tokens")
    e = L.Embedding(VOCAB, 4, mask_zero=True, name="embed")(t)
    a, s = L.AdditiveAttention(name="attention")([e, e], use_causal_mask=True, return_attention_scores=True)
    y = L.Dense(2, activation="softmax", name="head")(L.GlobalAveragePooling1D(name="pool")(a))
    z = L.Dense(2, activation="softmax", name="score_head")(L.Flatten(name="flat_scores")(s))
    return lib.Model(t, [y, z], name="additive_scores_masked")


def mha_scores(lib):
    L = lib.layers
    x = lib.Input((4, 6), name="seq")
    a, s = L.MultiHeadAttention(2, 3, name="mha")(x, x, return_attention_scores=True)
    y = L.Dense(3, activation="softmax", name="head")(L.Flatten(name="flat")(a))
    z = L.Dense(2, activation="softmax", name="score_head")(L.Flatten(name="flat_scores")(s))
    return lib.Model(x, [y, z], name="mha_scores")


def mha_axes2_rank4(lib):
    L = lib.layers
    x = lib.Input((3, 4, 6), name="grid")
    a = L.MultiHeadAttention(2, 3, attention_axes=(2,), name="mha")(x, x)
    y = L.Dense(3, activation="softmax", name="head")(L.Flatten(name="flat")(a))
    return lib.Model(x, y, name="mha_axes2_rank4")


def mha_axes1_rank4(lib):
    L = lib.layers
    q = lib.Input((3, 4, 6), name="query")
    v = lib.Input((2, 4, 5), name="value")
    a = L.MultiHeadAttention(2, 2, value_dim=3, attention_axes=1, name="mha")(q, v)
    y = L.Dense(3, activation="softmax", name="head")(L.Flatten(name="flat")(a))
    return lib.Model([q, v], y, name="mha_axes1_rank4")


def mha_axes12_rank4(lib):
    L = lib.layers
    q = lib.Input((3, 4, 6), name="query")
    v = lib.Input((2, 5, 6), name="value")
    a = L.MultiHeadAttention(2, 2, attention_axes=(1, 2), output_shape=4, name="mha")(q, v)
    y = L.Dense(3, activation="softmax", name="head")(L.Flatten(name="flat")(a))
    return lib.Model([q, v], y, name="mha_axes12_rank4")


def full(name):
    # Keras 3.15 cannot read an Attention layer back from its own legacy .h5 (it resolves
    # score_mode "dot" to the function keras.ops.dot): that case is model.h5 + model.keras.
    return name != "attention_scores"


def main(out):
    out = os.path.join(out, "layers_attnscores")
    reset_dir(out)
    manifest = {"versions": VERSIONS, "cases": {}}
    # (name, builder, description, seed, padded token inputs)
    todo = [
        ("attention_scores", attention_scores, "Attention(use_scale=True)([query (4,3), value (5,3)], "
         "return_attention_scores=True); Flatten+Dense(3, softmax) on the output, Flatten+Dense(2, softmax) on the scores", 14300, False),
        ("additive_scores_masked", additive_scores_masked, f"Embedding({VOCAB}, 4, mask_zero=True), "
         "AdditiveAttention()([e, e], use_causal_mask=True, return_attention_scores=True); "
         "GlobalAveragePooling1D+Dense(2, softmax) on the output, Flatten+Dense(2, softmax) on the scores; padded tokens",
         14301, True),
        ("mha_scores", mha_scores, "MultiHeadAttention(2, 3)(x, x, return_attention_scores=True) on (4, 6); "
         "Flatten+Dense(3, softmax) on the output, Flatten+Dense(2, softmax) on the scores (batch, 2, 4, 4)", 14302, False),
        ("mha_axes2_rank4", mha_axes2_rank4, "MultiHeadAttention(2, 3, attention_axes=(2,))(x, x) on (3, 4, 6); "
         "Flatten+Dense(3, softmax)", 14303, False),
        ("mha_axes1_rank4", mha_axes1_rank4, "MultiHeadAttention(2, 2, value_dim=3, attention_axes=1)(query (3, 4, 6), "
         "value (2, 4, 5)); Flatten+Dense(3, softmax)", 14304, False),
        ("mha_axes12_rank4", mha_axes12_rank4, "MultiHeadAttention(2, 2, attention_axes=(1, 2), output_shape=4)"
         "(query (3, 4, 6), value (2, 5, 6)); Flatten+Dense(3, softmax)", 14305, False),
    ]
    entries = {}
    real_np = functional.np
    for name, b, desc, seed, pad in todo:
        functional.np = PadNumpy(real_np) if pad else real_np
        try:
            entries[name] = gen_case(out, name, b, desc, seed, "model", full(name), fit=False)
        finally:
            functional.np = real_np
    for name, b, desc, seed, pad in todo:
        check_case(out, name, b, entries[name], full(name), fit=False)
    for name, e in entries.items():
        manifest["cases"][name] = e
    write_json(os.path.join(out, "manifest.json"), manifest)


if __name__ == "__main__":
    main(sys.argv[1])
