"""testdata/layers_rnn/<case>/: one tiny Functional model per option combination of the
recurrent layer family (issue 12) on (batch, steps, features) inputs: SimpleRNN, LSTM, GRU
(return_sequences on and off, go_backwards, GRU reset_after False, non-default activations),
Embedding on index inputs, and a small Embedding + LSTM + Dense text model saved in every
format.

The cases have functional.py's per-layer form (the layer named "probe" applied to an input,
then Flatten "flat" when needed and Dense "head"), built and checked by functional.py's
gen_case / check_case: tf_keras model.h5 and Keras 3 model.keras with the tf_keras weights,
predictions within 1e-5 of each other, everything reloaded and checked at the end.

Embedding cases take integer indices given as float32 values (Keras casts them to int32):
functional.py draws inputs with rng.standard_normal, so for those cases the generator hands
gen_case a numpy whose generators draw integers in [0, vocab) instead (IndexNumpy below); the
inputs written to x0.npy are those indices.
"""

import os
import sys

import functional
from functional import VERSIONS, _lc, check_case, gen_case, layer_builder, reset_dir, write_json

SEQ = [(5, 3)]
VOCAB = 7


class _IndexRng:
    """A numpy Generator whose standard_normal draws indices in [0, VOCAB) as float32 values."""

    def __init__(self, rng):
        self._rng = rng

    def standard_normal(self, size=None, dtype=None):
        return self._rng.integers(0, VOCAB, size=size).astype("float32")

    def __getattr__(self, k):
        return getattr(self._rng, k)


class _IndexRandom:
    def __init__(self, random):
        self._random = random

    def default_rng(self, seed=None):
        return _IndexRng(self._random.default_rng(seed))

    def __getattr__(self, k):
        return getattr(self._random, k)


class IndexNumpy:
    """numpy, except that np.random.default_rng gives an _IndexRng."""

    def __init__(self, np):
        self._np = np
        self.random = _IndexRandom(np.random)

    def __getattr__(self, k):
        return getattr(self._np, k)


def cases():
    c = {}
    # return_sequences off and on, and go_backwards, for each class (kept few: the fixture
    # directory stays under 2 MB; the layers' unit tests cover the remaining combinations).
    c["simplernn_sequences"] = _lc(SEQ, lambda L: L.SimpleRNN(4, return_sequences=True, name="probe"),
                                   "SimpleRNN(4, return_sequences=True)")
    c["lstm_last"] = _lc(SEQ, lambda L: L.LSTM(4, name="probe"), "LSTM(4)")
    c["lstm_sequences"] = _lc(SEQ, lambda L: L.LSTM(4, return_sequences=True, name="probe"), "LSTM(4, return_sequences=True)")
    c["gru_last"] = _lc(SEQ, lambda L: L.GRU(4, name="probe"), "GRU(4)")
    for cls in ["SimpleRNN", "LSTM", "GRU"]:
        c[f"{cls.lower()}_backwards_sequences"] = _lc(
            SEQ, lambda L, cls=cls: getattr(L, cls)(3, go_backwards=True, return_sequences=True, name="probe"),
            f"{cls}(3, go_backwards=True, return_sequences=True)")
    c["simplernn_relu_nobias"] = _lc(SEQ, lambda L: L.SimpleRNN(3, activation="relu", use_bias=False, name="probe"),
                                     "SimpleRNN(3, activation='relu', use_bias=False)")
    c["lstm_dropout"] = _lc(SEQ, lambda L: L.LSTM(3, dropout=0.3, recurrent_dropout=0.2, unit_forget_bias=False,
                                                  name="probe"),
                            "LSTM(3, dropout=0.3, recurrent_dropout=0.2, unit_forget_bias=False) (identity at inference)")
    c["lstm_hard_sigmoid"] = _lc(SEQ, lambda L: L.LSTM(3, recurrent_activation="hard_sigmoid", activation="softsign",
                                                       name="probe"),
                                 "LSTM(3, recurrent_activation='hard_sigmoid', activation='softsign') (the two "
                                 "libraries' hard_sigmoid differ)")
    c["gru_reset_before"] = _lc(SEQ, lambda L: L.GRU(4, reset_after=False, name="probe"), "GRU(4, reset_after=False)")
    c["gru_reset_before_sequences"] = _lc(
        SEQ, lambda L: L.GRU(3, reset_after=False, return_sequences=True, go_backwards=True, name="probe"),
        "GRU(3, reset_after=False, return_sequences=True, go_backwards=True)")
    return c


def embedding_cases():
    c = {}
    c["embedding"] = _lc([(6,)], lambda L: L.Embedding(VOCAB, 3, name="probe"), f"Embedding({VOCAB}, 3) on 6 indices")
    c["embedding_mask_zero_dense"] = _lc([(6,)], lambda L: L.Embedding(VOCAB, 2, mask_zero=True, name="probe"),
                                         f"Embedding({VOCAB}, 2, mask_zero=True) into Flatten + Dense (the mask is "
                                         "not used)")
    return c


def text_model(lib):
    L = lib.layers
    x = lib.Input((6,), name="tokens")
    e = L.Embedding(VOCAB, 4, name="embed")(x)
    h = L.LSTM(5, name="probe")(e)
    y = L.Dense(3, activation="softmax", name="head")(h)
    return lib.Model(x, y, name="text_lstm")


def main(out):
    out = os.path.join(out, "layers_rnn")
    reset_dir(out)
    manifest = {"versions": VERSIONS, "cases": {}}
    # (name, builder, description, seed, index inputs, every format, fitted)
    todo = [("layer_" + name, layer_builder(spec, "layer_" + name), spec["desc"], 12000 + i, False, False, False)
            for i, (name, spec) in enumerate(cases().items())]
    todo += [("layer_" + name, layer_builder(spec, "layer_" + name), spec["desc"], 12100 + i, True, False, False)
             for i, (name, spec) in enumerate(embedding_cases().items())]
    # Unfitted, with the per-layer cases' form (kerasgo writes no SavedModel of recurrent
    # layers yet, which the fitted model cases of functional_fixture_test.go would require).
    todo.append(("text_embedding_lstm", text_model,
                 f"Embedding({VOCAB}, 4) + LSTM(5) + Dense(3, softmax) over 6 tokens, every format",
                 12200, True, True, False))
    entries = {}
    real_np = functional.np
    for name, b, desc, seed, idx, full, fit in todo:
        functional.np = IndexNumpy(real_np) if idx else real_np
        try:
            entries[name] = gen_case(out, name, b, desc, seed, "layer", full, fit=fit)
        finally:
            functional.np = real_np
    for name, b, desc, seed, idx, full, fit in todo:
        check_case(out, name, b, entries[name], full, fit=fit)
    for name, e in entries.items():
        manifest["cases"][name] = e
    write_json(os.path.join(out, "manifest.json"), manifest)


if __name__ == "__main__":
    main(sys.argv[1])
