"""testdata/layers_attnmask/<case>/: Attention and AdditiveAttention with what layers_attn.py
leaves out (issue 12): the causal mask (the call argument use_causal_mask=True), Keras masks
reaching the layer (Embedding(mask_zero) on the query and value tokens: the value mask hides
keys, the query mask zeroes output rows and is the mask the output carries), and rank-2
(batch, features) inputs, on which Keras attends across the batch (the third-party
keras-attention.h5 is such a model); MultiHeadAttention with an attention_mask tensor input
and with the Keras masks of its inputs.

Built and checked by functional.py's gen_case / check_case (tf_keras model.h5 and Keras 3
model.keras with the tf_keras weights, predictions within 1e-5 of each other, everything
reloaded and checked at the end). Token inputs are padded as in layers_wrap.py (PadNumpy).
"""

import os
import sys

import functional
from functional import VERSIONS, check_case, gen_case, reset_dir, write_json
from layers_rnn import VOCAB
from layers_wrap import PadNumpy


def attention_causal(lib):
    L = lib.layers
    q = lib.Input((4, 3), name="query")
    v = lib.Input((5, 3), name="value")
    a = L.Attention(use_scale=True, name="probe")([q, v], use_causal_mask=True)
    y = L.Dense(3, name="head")(L.Flatten(name="flat")(a))
    return lib.Model([q, v], y, name="attention_causal")


def additive_causal_key(lib):
    L = lib.layers
    q = lib.Input((4, 3), name="query")
    v = lib.Input((4, 3), name="value")
    k = lib.Input((4, 3), name="key")
    a = L.AdditiveAttention(name="probe")([q, v, k], use_causal_mask=True)
    y = L.Dense(3, name="head")(L.Flatten(name="flat")(a))
    return lib.Model([q, v, k], y, name="additive_causal_key")


def attention_masked(lib):
    L = lib.layers
    qt = lib.Input((6,), name="query_tokens")
    vt = lib.Input((5,), name="value_tokens")
    q = L.Embedding(VOCAB, 4, mask_zero=True, name="query_embed")(qt)
    v = L.Embedding(VOCAB, 4, mask_zero=True, name="value_embed")(vt)
    a = L.Attention(name="attention")([q, v])
    p = L.GlobalAveragePooling1D(name="pool")(a)
    y = L.Dense(3, activation="softmax", name="head")(p)
    return lib.Model([qt, vt], y, name="attention_masked")


def additive_self_masked_causal(lib):
    L = lib.layers
    t = lib.Input((6,), name="tokens")
    e = L.Embedding(VOCAB, 4, mask_zero=True, name="embed")(t)
    a = L.AdditiveAttention(name="attention")([e, e], use_causal_mask=True)
    h = L.LSTM(3, name="lstm")(a)
    y = L.Dense(2, activation="softmax", name="head")(h)
    return lib.Model(t, y, name="additive_self_masked_causal")


def attention_concat_masked(lib):
    L = lib.layers
    t = lib.Input((5,), name="tokens")
    e = L.Embedding(VOCAB, 3, mask_zero=True, name="embed")(t)
    a = L.Attention(score_mode="concat", use_scale=True, name="attention")([e, e, e])
    p = L.GlobalAveragePooling1D(name="pool")(a)
    y = L.Dense(2, name="head")(p)
    return lib.Model(t, y, name="attention_concat_masked")


def attention_rank2(lib):
    L = lib.layers
    x = lib.Input((6,), name="inputs")
    d = L.Dense(8, activation="relu", name="dense")(x)
    a = L.Attention(dropout=0.2, name="attention")([d, d])
    c = L.Concatenate(name="concatenate")([d, a])
    y = L.Dense(1, name="outputs")(c)
    return lib.Model(x, y, name="attention_rank2")


def additive_rank2(lib):
    L = lib.layers
    q = lib.Input((4,), name="query")
    v = lib.Input((4,), name="value")
    k = lib.Input((4,), name="key")
    a = L.AdditiveAttention(name="attention")([q, v, k])
    y = L.Dense(2, name="head")(a)
    return lib.Model([q, v, k], y, name="additive_rank2")


def mha_attention_mask(lib):
    L = lib.layers
    q = lib.Input((4, 6), name="query")
    v = lib.Input((5, 6), name="value")
    m = lib.Input((4, 5), name="mask")
    a = L.MultiHeadAttention(2, 3, name="mha")(q, v, attention_mask=m)
    y = L.Dense(3, name="head")(L.Flatten(name="flat")(a))
    return lib.Model([q, v, m], y, name="mha_attention_mask")


def mha_keras_masks(lib):
    L = lib.layers
    t = lib.Input((6,), name="tokens")
    e = L.Embedding(VOCAB, 8, mask_zero=True, name="embed")(t)
    a = L.MultiHeadAttention(2, 4, name="mha")(e, e)
    p = L.GlobalAveragePooling1D(name="pool")(a)
    y = L.Dense(3, activation="softmax", name="head")(p)
    return lib.Model(t, y, name="mha_keras_masks")


def mha_masked_rows(lib):
    L = lib.layers
    t = lib.Input((5,), name="tokens")
    e = L.Embedding(VOCAB, 4, mask_zero=True, name="embed")(t)
    a = L.MultiHeadAttention(2, 2, name="probe")(e, e)
    y = L.Dense(3, name="head")(L.Flatten(name="flat")(a))
    return lib.Model(t, y, name="layer_mha_masked_rows")


class _MaskRng:
    """A numpy Generator whose standard_normal gives 0/1 attention masks for (batch, 4, 5)
    (each query row keeps at least its first key) and normal values otherwise."""

    def __init__(self, rng):
        self._rng = rng

    def standard_normal(self, size=None, dtype=None):
        x = self._rng.standard_normal(size).astype("float32")
        if tuple(size[1:]) == (4, 5):
            x = (x > -0.3).astype("float32")
            x[:, :, 0] = 1
        return x

    def __getattr__(self, k):
        return getattr(self._rng, k)


class MaskNumpy:
    def __init__(self, np):
        self._np = np
        outer = self

        class _R:
            def default_rng(self, seed=None):
                return _MaskRng(outer._np.random.default_rng(seed))

            def __getattr__(self, k):
                return getattr(outer._np.random, k)
        self.random = _R()

    def __getattr__(self, k):
        return getattr(self._np, k)


def main(out):
    out = os.path.join(out, "layers_attnmask")
    reset_dir(out)
    manifest = {"versions": VERSIONS, "cases": {}}
    # (name, builder, description, seed, padded token inputs)
    todo = [
        ("attention_causal", attention_causal, "Attention(use_scale=True) on [query (4,3), value (5,3)] called "
         "with use_causal_mask=True", 13300, False),
        ("additive_causal_key", additive_causal_key, "AdditiveAttention() on [query (4,3), value (4,3), key (4,3)] "
         "called with use_causal_mask=True", 13301, False),
        ("attention_masked", attention_masked, f"Embedding({VOCAB}, 4, mask_zero=True) on query (6) and value (5) "
         "tokens, Attention(), GlobalAveragePooling1D (the query mask), Dense(3, softmax); padded tokens", 13302, True),
        ("additive_self_masked_causal", additive_self_masked_causal, f"Embedding({VOCAB}, 4, mask_zero=True), "
         "AdditiveAttention()([e, e], use_causal_mask=True), LSTM(3) (the mask), Dense(2, softmax); padded tokens",
         13303, True),
        ("attention_concat_masked", attention_concat_masked, f"Embedding({VOCAB}, 3, mask_zero=True), "
         "Attention(score_mode='concat', use_scale=True)([e, e, e]), GlobalAveragePooling1D, Dense(2); padded "
         "tokens", 13304, True),
        ("attention_rank2", attention_rank2, "Dense(8, relu) on (6,), Attention(dropout=0.2)([d, d]) across the "
         "batch, Concatenate, Dense(1) (keras-attention.h5's form)", 13305, False),
        ("additive_rank2", additive_rank2, "AdditiveAttention() on rank-2 [query (4), value (4), key (4)] across "
         "the batch, Dense(2)", 13306, False),
        ("mha_attention_mask", mha_attention_mask, "MultiHeadAttention(2, 3)(query (4,6), value (5,6), "
         "attention_mask=Input((4,5)) of 0/1), Flatten, Dense(3)", 13307, "mask"),
        ("mha_keras_masks", mha_keras_masks, f"Embedding({VOCAB}, 8, mask_zero=True), MultiHeadAttention(2, 4) "
         "self-attention (query and value masks), GlobalAveragePooling1D, Dense(3, softmax); padded tokens", 13308,
         True),
        ("layer_mha_masked_rows", mha_masked_rows, f"Embedding({VOCAB}, 4, mask_zero=True), MultiHeadAttention(2, 2) "
         "self-attention, Flatten, Dense(3): padded query rows are fully masked, which tf_keras gives uniform "
         "weights and Keras 3 zeros (the libraries differ)", 13309, True),
    ]
    entries = {}
    real_np = functional.np
    for name, b, desc, seed, pad in todo:
        functional.np = MaskNumpy(real_np) if pad == "mask" else PadNumpy(real_np) if pad else real_np
        try:
            entries[name] = gen_case(out, name, b, desc, seed, "layer" if name.startswith("layer_") else "model",
                                     False, fit=False)
        finally:
            functional.np = real_np
    for name, b, desc, seed, pad in todo:
        check_case(out, name, b, entries[name], False, fit=False)
    for name, e in entries.items():
        manifest["cases"][name] = e
    write_json(os.path.join(out, "manifest.json"), manifest)


if __name__ == "__main__":
    main(sys.argv[1])
