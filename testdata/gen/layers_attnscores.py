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

Metrics of outputs carrying a Keras mask (compiled with
metrics=["sparse_categorical_accuracy"]; "accuracy" would be saved as categorical_accuracy by
an unfitted tf_keras model): Keras counts the unmasked entries alone.

- masked_metrics_attention: Embedding(mask_zero) tokens (6), Attention()([e, e]),
  TimeDistributed(Dense(3, softmax)); padded tokens.
- masked_metrics_two_outputs: Embedding(mask_zero), LSTM(4, return_sequences=True) into
  TimeDistributed(Dense(3, softmax)) (masked) and GlobalAveragePooling1D + Dense(2, softmax).
"""

import os
import sys

import functional
from functional import VERSIONS, check_case, gen_case, reset_dir, write_json
from layers_rnn import VOCAB
from layers_wrap import PadNumpy, slim


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


def masked_metrics_attention(lib):
    L = lib.layers
    t = lib.Input((6,), name="tokens")
    e = L.Embedding(VOCAB, 4, mask_zero=True, name="embed")(t)
    a = L.Attention(name="attention")([e, e])
    y = L.TimeDistributed(L.Dense(3, activation="softmax"), name="tags")(a)
    return lib.Model(t, y, name="masked_metrics_attention")


def masked_metrics_two_outputs(lib):
    L = lib.layers
    t = lib.Input((6,), name="tokens")
    e = L.Embedding(VOCAB, 4, mask_zero=True, name="embed")(t)
    h = L.LSTM(4, return_sequences=True, name="lstm")(e)
    tags = L.TimeDistributed(L.Dense(3, activation="softmax"), name="tags")(h)
    cls = L.Dense(2, activation="softmax", name="cls")(L.GlobalAveragePooling1D(name="pool")(h))
    return lib.Model(t, [tags, cls], name="masked_metrics_two_outputs")


# Cases compiled with metrics (functional.py's compile_model compiles without).
METRIC_CASES = {"masked_metrics_attention", "masked_metrics_two_outputs"}


def compile_model(lib, model, name, _plain=functional.compile_model):
    if name in METRIC_CASES:
        # per output: Keras 3 takes a flat list only for one output
        met = {n: ["sparse_categorical_accuracy"] for n in model.output_names}
        model.compile(optimizer=lib.optimizers.Adam(), loss="sparse_categorical_crossentropy", metrics=met)
    else:
        _plain(lib, model, name)


functional.compile_model = compile_model


def full(name):
    # Keras 3.15 cannot read an Attention layer back from its own legacy .h5 (it resolves
    # score_mode "dot" to the function keras.ops.dot): those cases are model.h5 + model.keras.
    # The metric cases test training, not formats.
    return name not in ("attention_scores", "masked_metrics_attention", "masked_metrics_two_outputs")


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
        ("masked_metrics_attention", masked_metrics_attention, f"Embedding({VOCAB}, 4, mask_zero=True), "
         "Attention()([e, e]), TimeDistributed(Dense(3, softmax)) (the output carries the mask); compiled with "
         "metrics=['sparse_categorical_accuracy']; padded tokens", 14306, True),
        ("masked_metrics_two_outputs", masked_metrics_two_outputs, f"Embedding({VOCAB}, 4, mask_zero=True), "
         "LSTM(4, return_sequences=True), TimeDistributed(Dense(3, softmax)) (masked) and "
         "GlobalAveragePooling1D+Dense(2, softmax); compiled with metrics=['sparse_categorical_accuracy']; "
         "padded tokens", 14307, True),
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
    # The tf_keras SavedModels of these (about 170 KB each) are dropped; mha_scores,
    # mha_axes2_rank4 and mha_axes12_rank4 keep theirs.
    for name in ("additive_scores_masked", "mha_axes1_rank4"):
        slim(out, name, entries[name])
    for name, e in entries.items():
        manifest["cases"][name] = e
    write_json(os.path.join(out, "manifest.json"), manifest)


if __name__ == "__main__":
    main(sys.argv[1])
