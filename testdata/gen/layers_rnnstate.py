"""testdata/layers_rnnstate/<case>/: recurrent layers returning their states (return_state)
and called with initial states (initial_state), which makes layers with several output
tensors in a Functional model (tensor_index in [layer, node, tensor] references of both
dialects). Saved in every format by functional.py's gen_case / check_case:

- lstm_state_stack (the acceptance case of issue 12): LSTM(8, return_sequences=True,
  return_state=True) -> LSTM(8, return_state=True) called on the sequence with
  initial_state=[h, c] -> Concatenate of its two states -> Dense(3, softmax).
- gru_state_outputs: two inputs; a Dense on the second gives the initial state of a
  GRU(4, return_sequences=True, return_state=True); its state feeds Dense(2, softmax), its
  sequence a SimpleRNN(3, return_state=True, go_backwards=True) whose state (output 1) is the
  model's second output.
- bilstm_state: Bidirectional(LSTM(4, return_state=True)) returning the merged output, then
  the forward layer's states (h, c) and the backward layer's; the output, the backward h and
  the forward c concatenated into Dense(2, softmax).
- rnn_cells: the generic RNN layer over LSTMCell (return_sequences), GRUCell(reset_after=False)
  (go_backwards) and SimpleRNNCell(relu) (return_state) -> Dense(2, softmax).
- rnn_stacked_cells: RNN(StackedRNNCells([LSTMCell, GRUCell(reset_after=False)]),
  return_sequences, go_backwards) -> RNN(StackedRNNCells([GRUCell, SimpleRNNCell]),
  return_state) given initial states (Dense layers on a second input); its output and first
  state into Dense(2, softmax). (An LSTMCell's states are a nested pair in a stack's states,
  which this case leaves out.)
- state_outputs: LSTM(3, return_sequences, return_state) -> Bidirectional(GRU(2,
  return_state), merge_mode="sum") on its sequence; the model's outputs are the LSTM's
  sequence and c, the merged output and the backward h: two outputs of one layer each,
  which tf_keras names "lstm", "lstm_1", "bigru", "bigru_1" (output_names, the serving
  signature's keys).
- shared_initial: one LSTM(3, return_state) called on the sequence from zero states, then
  again on it from the first call's final states (initial_state=[h, c]): one layer called
  both with and without initial_state; both outputs and the second c into Dense(2, softmax).
- bidi_initial: Bidirectional(GRU(3, return_sequences, return_state)) given initial_state
  [forward h, backward h] (Dense layers on a second input) -> Bidirectional(LSTM(3),
  merge_mode="sum") on its sequence given [backward h, forward h, forward h, backward h] of
  the first (Keras splits initial_state in halves: the forward layer's, then the backward
  layer's) -> Concatenate with the forward h -> Dense(2, softmax).
"""

import os
import sys

from functional import VERSIONS, check_case, gen_case, reset_dir, write_json
from layers_wrap import slim


def lstm_state_stack(lib):
    L = lib.layers
    x = lib.Input((5, 3), name="seq")
    seq, h, c = L.LSTM(8, return_sequences=True, return_state=True, name="lstm_a")(x)
    _, h2, c2 = L.LSTM(8, return_state=True, name="lstm_b")(seq, initial_state=[h, c])
    s = L.Concatenate(name="states")([h2, c2])
    y = L.Dense(3, activation="softmax", name="head")(s)
    return lib.Model(x, y, name="lstm_state_stack")


def gru_state_outputs(lib):
    L = lib.layers
    x = lib.Input((4, 3), name="seq")
    v = lib.Input((2,), name="vec")
    h0 = L.Dense(4, activation="tanh", name="init")(v)
    seq, h = L.GRU(4, return_sequences=True, return_state=True, name="gru")(x, initial_state=[h0])
    y = L.Dense(2, activation="softmax", name="head")(h)
    _, h2 = L.SimpleRNN(3, return_state=True, go_backwards=True, name="srnn")(seq)
    return lib.Model([x, v], [y, h2], name="gru_state_outputs")


def bilstm_state(lib):
    L = lib.layers
    x = lib.Input((5, 3), name="seq")
    y, hf, cf, hb, cb = L.Bidirectional(L.LSTM(4, return_state=True), name="bilstm")(x)
    s = L.Concatenate(name="join")([y, hb, cf])
    return lib.Model(x, L.Dense(2, activation="softmax", name="head")(s), name="bilstm_state")


def rnn_cells(lib):
    L = lib.layers
    x = lib.Input((5, 3), name="seq")
    h = L.RNN(L.LSTMCell(4), return_sequences=True, name="rnn_lstm")(x)
    h = L.RNN(L.GRUCell(3, reset_after=False), return_sequences=True, go_backwards=True, name="rnn_gru")(h)
    h, s = L.RNN(L.SimpleRNNCell(2, activation="relu"), return_state=True, name="rnn_simple")(h)
    y = L.Dense(2, activation="softmax", name="head")(L.Concatenate(name="join")([h, s]))
    return lib.Model(x, y, name="rnn_cells")


def rnn_stacked_cells(lib):
    L = lib.layers
    x = lib.Input((5, 3), name="seq")
    v = lib.Input((4,), name="vec")
    low = L.StackedRNNCells([L.LSTMCell(4, name="low"), L.GRUCell(3, reset_after=False, name="mid")], name="low_cells")
    h = L.RNN(low, return_sequences=True, go_backwards=True, name="stack_a")(x)
    top = L.StackedRNNCells([L.GRUCell(3, name="a"), L.SimpleRNNCell(2, name="b")])
    y, ha, hb = L.RNN(top, return_state=True, name="stack_b")(
        h, initial_state=[L.Dense(3, name="init_a")(v), L.Dense(2, activation="tanh", name="init_b")(v)])
    s = L.Concatenate(name="join")([y, ha])
    return lib.Model([x, v], L.Dense(2, activation="softmax", name="head")(s), name="rnn_stacked_cells")


def state_outputs(lib):
    L = lib.layers
    x = lib.Input((4, 3), name="seq")
    y, _, c = L.LSTM(3, return_sequences=True, return_state=True, name="lstm")(x)
    z, _, hb = L.Bidirectional(L.GRU(2, return_state=True), merge_mode="sum", name="bigru")(y)
    return lib.Model(x, [y, c, z, hb], name="state_outputs")


def shared_initial(lib):
    L = lib.layers
    x = lib.Input((4, 3), name="seq")
    lstm = L.LSTM(3, return_state=True, name="shared_lstm")
    y1, h1, c1 = lstm(x)
    y2, _, c2 = lstm(x, initial_state=[h1, c1])
    s = L.Concatenate(name="join")([y1, y2, c2])
    return lib.Model(x, L.Dense(2, activation="softmax", name="head")(s), name="shared_initial")


def bidi_initial(lib):
    L = lib.layers
    x = lib.Input((4, 3), name="seq")
    v = lib.Input((2,), name="vec")
    hf = L.Dense(3, activation="tanh", name="init_f")(v)
    hb = L.Dense(3, activation="tanh", name="init_b")(v)
    y, sf, sb = L.Bidirectional(L.GRU(3, return_sequences=True, return_state=True), name="bigru")(
        x, initial_state=[hf, hb])
    z = L.Bidirectional(L.LSTM(3), merge_mode="sum", name="bilstm")(y, initial_state=[sb, sf, sf, sb])
    s = L.Concatenate(name="join")([z, sf])
    return lib.Model([x, v], L.Dense(2, activation="softmax", name="head")(s), name="bidi_initial")


def main(out):
    out = os.path.join(out, "layers_rnnstate")
    reset_dir(out)
    manifest = {"versions": VERSIONS, "cases": {}}
    todo = [
        ("lstm_state_stack", lstm_state_stack, "LSTM(8, return_sequences, return_state) -> LSTM(8, return_state) "
         "with initial_state=[h, c] -> Concatenate(states) -> Dense(3, softmax) over (5, 3), every format", 14100),
        ("gru_state_outputs", gru_state_outputs, "Dense(4, tanh) initial state of GRU(4, return_sequences, "
         "return_state) -> Dense(2, softmax) on its state; SimpleRNN(3, return_state, go_backwards) on its "
         "sequence, state as the second output; every format", 14101),
        ("bilstm_state", bilstm_state, "Bidirectional(LSTM(4, return_state)) -> Concatenate(output, backward h, "
         "forward c) -> Dense(2, softmax) over (5, 3), every format", 14102),
        ("rnn_cells", rnn_cells, "RNN(LSTMCell(4), return_sequences) -> RNN(GRUCell(3, reset_after=False), "
         "return_sequences, go_backwards) -> RNN(SimpleRNNCell(2, relu), return_state) -> Concatenate -> "
         "Dense(2, softmax) over (5, 3), every format", 14103),
        ("rnn_stacked_cells", rnn_stacked_cells, "RNN(StackedRNNCells([LSTMCell(4), GRUCell(3)]), return_sequences, "
         "go_backwards) -> RNN(StackedRNNCells([GRUCell(3), SimpleRNNCell(2)]), return_state) with initial states "
         "from a second input -> Concatenate -> Dense(2, softmax), every format", 14104),
        ("state_outputs", state_outputs, "LSTM(3, return_sequences, return_state) -> Bidirectional(GRU(2, "
         "return_state), sum); outputs: the LSTM's sequence and c, the merged output, the backward h "
         "(two outputs of one layer each) over (4, 3), every format", 14105),
        ("shared_initial", shared_initial, "LSTM(3, return_state) called from zero states and again from its "
         "own final states (initial_state) -> Concatenate(outputs, second c) -> Dense(2, softmax) over (4, 3), "
         "every format", 14106),
        ("bidi_initial", bidi_initial, "Bidirectional(GRU(3, return_sequences, return_state)) given initial "
         "states from a second input -> Bidirectional(LSTM(3), sum) given the first one's states -> "
         "Concatenate -> Dense(2, softmax) over (4, 3), every format", 14107),
    ]
    entries = {}
    for name, b, desc, seed in todo:
        entries[name] = gen_case(out, name, b, desc, seed, "model", True, fit=False)
    for name, b, desc, seed in todo:
        check_case(out, name, b, entries[name], True, fit=False)
    # The tf_keras SavedModels (a While-loop function per recurrent call, 1 to 2 MB) are
    # kept for lstm_state_stack only.
    slim(out, "gru_state_outputs", entries["gru_state_outputs"])
    slim(out, "bilstm_state", entries["bilstm_state"])
    slim(out, "rnn_cells", entries["rnn_cells"])
    slim(out, "rnn_stacked_cells", entries["rnn_stacked_cells"])
    slim(out, "state_outputs", entries["state_outputs"])
    slim(out, "shared_initial", entries["shared_initial"])
    slim(out, "bidi_initial", entries["bidi_initial"])
    for name, e in entries.items():
        manifest["cases"][name] = e
    write_json(os.path.join(out, "manifest.json"), manifest)


if __name__ == "__main__":
    main(sys.argv[1])
