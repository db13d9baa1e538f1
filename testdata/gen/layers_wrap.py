"""testdata/layers_wrap/<case>/: the wrapper layers of issue 12 (Bidirectional over SimpleRNN,
LSTM and GRU with every merge mode that returns one tensor, return_sequences on and off;
TimeDistributed over Dense and Conv2D) as tiny Functional models in functional.py's
per-layer form (the layer named "probe", then Flatten "flat" when needed and Dense "head"),
and acceptance models saved in every format: a Bidirectional GRU with return_sequences
feeding TimeDistributed(Dense); a text model Embedding -> Bidirectional(LSTM) ->
TimeDistributed(Dense) -> Dense; masks as Keras propagates them: Embedding(mask_zero) + LSTM
and Embedding(mask_zero) + Bidirectional(GRU) + TimeDistributed(Dense) on padded token rows
(row i has i % steps trailing zeros, some rows also a zero inside), Masking + SimpleRNN
(return_sequences) + GRU on rows whose trailing steps are all zeros.

Built and checked by functional.py's gen_case / check_case (tf_keras model.h5 and Keras 3
model.keras with the tf_keras weights, predictions within 1e-5 of each other, everything
reloaded and checked at the end). Index inputs as in layers_rnn.py.
"""

import os
import shutil
import sys

import functional
from functional import VERSIONS, _lc, check_case, gen_case, layer_builder, reset_dir, write_json
from layers_rnn import VOCAB, IndexNumpy

SEQ = [(5, 3)]


class _PadRng:
    """A numpy Generator whose standard_normal pads: (batch, steps) draws token indices in
    [1, VOCAB) with row i's last i % steps entries 0 (and entry 1 of every third row 0);
    (batch, steps, features) draws normal values with row i's last i % steps steps all 0."""

    def __init__(self, rng):
        self._rng = rng

    def standard_normal(self, size=None, dtype=None):
        if len(size) == 2:
            x = self._rng.integers(1, VOCAB, size=size).astype("float32")
        else:
            x = self._rng.standard_normal(size).astype("float32")
        steps = size[1]
        for i in range(size[0]):
            k = i % steps
            if k:
                x[i, steps - k:] = 0
            if len(size) == 2 and i % 3 == 2:
                x[i, 1] = 0
        return x

    def __getattr__(self, k):
        return getattr(self._rng, k)


class _PadRandom:
    def __init__(self, random):
        self._random = random

    def default_rng(self, seed=None):
        return _PadRng(self._random.default_rng(seed))

    def __getattr__(self, k):
        return getattr(self._random, k)


class PadNumpy:
    """numpy, except that np.random.default_rng gives a _PadRng."""

    def __init__(self, np):
        self._np = np
        self.random = _PadRandom(np.random)

    def __getattr__(self, k):
        return getattr(self._np, k)


def cases():
    c = {}
    c["bidi_lstm_concat_sequences"] = _lc(
        SEQ, lambda L: L.Bidirectional(L.LSTM(3, return_sequences=True), name="probe"),
        "Bidirectional(LSTM(3, return_sequences=True))")
    c["bidi_gru_sum"] = _lc(SEQ, lambda L: L.Bidirectional(L.GRU(3), merge_mode="sum", name="probe"),
                            "Bidirectional(GRU(3), merge_mode='sum')")
    c["bidi_simplernn_mul_sequences"] = _lc(
        SEQ, lambda L: L.Bidirectional(L.SimpleRNN(3, return_sequences=True), merge_mode="mul", name="probe"),
        "Bidirectional(SimpleRNN(3, return_sequences=True), merge_mode='mul')")
    c["bidi_lstm_ave"] = _lc(SEQ, lambda L: L.Bidirectional(L.LSTM(3), merge_mode="ave", name="probe"),
                             "Bidirectional(LSTM(3), merge_mode='ave')")
    c["bidi_gru_reset_before_concat"] = _lc(
        SEQ, lambda L: L.Bidirectional(L.GRU(2, reset_after=False, return_sequences=True), name="probe"),
        "Bidirectional(GRU(2, reset_after=False, return_sequences=True))")
    c["td_dense"] = _lc(SEQ, lambda L: L.TimeDistributed(L.Dense(4, activation="relu"), name="probe"),
                        "TimeDistributed(Dense(4, relu))")
    c["td_conv2d"] = _lc([(3, 5, 5, 2)], lambda L: L.TimeDistributed(L.Conv2D(2, 3), name="probe"),
                         "TimeDistributed(Conv2D(2, 3)) over (3, 5, 5, 2)")
    return c


def bigru_td(lib):
    L = lib.layers
    x = lib.Input((6, 4), name="seq")
    h = L.Bidirectional(L.GRU(4, return_sequences=True), name="bigru")(x)
    y = L.TimeDistributed(L.Dense(3, activation="softmax"), name="tagger")(h)
    return lib.Model(x, y, name="bigru_td")


def text_bilstm(lib):
    L = lib.layers
    x = lib.Input((6,), name="tokens")
    e = L.Embedding(VOCAB, 4, name="embed")(x)
    h = L.Bidirectional(L.LSTM(3, return_sequences=True), name="bilstm")(e)
    t = L.TimeDistributed(L.Dense(4, activation="tanh"), name="td")(h)
    y = L.Dense(3, activation="softmax", name="head")(t)
    return lib.Model(x, y, name="text_bilstm")


def mask_lstm(lib):
    L = lib.layers
    x = lib.Input((6,), name="tokens")
    e = L.Embedding(VOCAB, 4, mask_zero=True, name="embed")(x)
    h = L.LSTM(4, name="lstm")(e)
    y = L.Dense(3, activation="softmax", name="head")(h)
    return lib.Model(x, y, name="mask_lstm")


def mask_bigru_td(lib):
    L = lib.layers
    x = lib.Input((6,), name="tokens")
    e = L.Embedding(VOCAB, 4, mask_zero=True, name="embed")(x)
    h = L.Bidirectional(L.GRU(3, return_sequences=True), name="bigru")(e)
    y = L.TimeDistributed(L.Dense(2, activation="softmax"), name="tagger")(h)
    return lib.Model(x, y, name="mask_bigru_td")


def masking_rnn(lib):
    L = lib.layers
    x = lib.Input((5, 3), name="seq")
    m = L.Masking(0.0, name="masking")(x)
    h = L.SimpleRNN(3, return_sequences=True, name="rnn")(m)
    h = L.GRU(2, name="gru")(h)
    y = L.Dense(2, activation="softmax", name="head")(h)
    return lib.Model(x, y, name="masking_rnn")


# Cases whose tf_keras SavedModel (1 to 4 MB each: a While-loop function graph per recurrent
# layer and call) is not kept: bigru_td's covers reading tf_keras SavedModels of the wrappers.
NO_TF_SAVEDMODEL = ["text_bilstm", "mask_lstm", "mask_bigru_td", "masking_rnn"]


def slim(out, name, entry):
    """Removes a case's tfkeras/savedmodel (after check_case) and its files entries."""
    shutil.rmtree(os.path.join(out, name, "tfkeras", "savedmodel"), ignore_errors=True)
    entry["files"] = {k: v for k, v in entry["files"].items() if not k.startswith("tfkeras/savedmodel/")}
    entry["tf_savedmodel_not_kept"] = "removed after the checks to keep the fixtures small"


def main(out):
    out = os.path.join(out, "layers_wrap")
    reset_dir(out)
    manifest = {"versions": VERSIONS, "cases": {}}
    # (name, builder, description, seed, index inputs, every format)
    todo = [("layer_" + name, layer_builder(spec, "layer_" + name), spec["desc"], 13000 + i, False, False)
            for i, (name, spec) in enumerate(cases().items())]
    todo.append(("bigru_td", bigru_td, "Bidirectional(GRU(4, return_sequences=True)) + TimeDistributed(Dense(3, "
                 "softmax)) over (6, 4), every format", 13100, False, True))
    todo.append(("text_bilstm", text_bilstm, f"Embedding({VOCAB}, 4) + Bidirectional(LSTM(3, return_sequences=True)) "
                 "+ TimeDistributed(Dense(4, tanh)) + Dense(3, softmax) over 6 tokens, every format", 13101, True, True))
    todo.append(("mask_lstm", mask_lstm, f"Embedding({VOCAB}, 4, mask_zero=True) + LSTM(4) + Dense(3, softmax) "
                 "on padded tokens, every format", 13102, "pad", True))
    todo.append(("mask_bigru_td", mask_bigru_td, f"Embedding({VOCAB}, 4, mask_zero=True) + Bidirectional(GRU(3, "
                 "return_sequences=True)) + TimeDistributed(Dense(2, softmax)) on padded tokens, every format", 13103, "pad", True))
    todo.append(("masking_rnn", masking_rnn, "Masking(0.0) + SimpleRNN(3, return_sequences=True) + GRU(2) + Dense(2, softmax) "
                 "on zero-padded steps, every format", 13104, "pad", True))
    entries = {}
    real_np = functional.np
    for name, b, desc, seed, idx, full in todo:
        functional.np = PadNumpy(real_np) if idx == "pad" else IndexNumpy(real_np) if idx else real_np
        try:
            entries[name] = gen_case(out, name, b, desc, seed, "layer" if name.startswith("layer_") else "model",
                                     full, fit=False)
        finally:
            functional.np = real_np
    for name, b, desc, seed, idx, full in todo:
        check_case(out, name, b, entries[name], full, fit=False)
    for name in NO_TF_SAVEDMODEL:
        slim(out, name, entries[name])
    for name, e in entries.items():
        manifest["cases"][name] = e
    write_json(os.path.join(out, "manifest.json"), manifest)


if __name__ == "__main__":
    main(sys.argv[1])
