"""testdata/tfops/: operations on a tensor and a constant inside Functional models (issue 11):
tf_keras records them as TFOpLambda layers, Keras 3 as keras.src.ops operation nodes; kerasgo
runs both as layers.TFOp. One case per library's spelling, each a chain of every operation
kerasgo runs between Dense "pre" and Dense "head" (reference.py's functional part replays a
tf_keras train_on_batch of it); in the per-case layout of functional.py (gen_case/check_case:
tf_keras model.h5, Keras 3 model.keras, x0/y0/y0_keras3, configs, summaries, weights):

  chain   Dense "pre", then x + 3.0, relu6, * (1/6), - 0.5, 2.0 - x, / 4.0, relu, 3.0 / (x + 1.0), 1.5 + x,
          then tf.math.add / tf.math.multiply (tf_keras: keyword arguments without "name")
          or ops.add / ops.multiply / ops.divide (Keras 3), and in Keras 3 hard_sigmoid and
          hard_silu (tf_keras: tf.nn.relu6(x + 3) * (1/6) and a Multiply layer of x and that,
          the same functions; an operation on two tensors is not run by kerasgo)
"""

import os

import functional
from common import VERSIONS, keras, reset_dir, tf, tf_keras, write_json


def chain(lib):
    L = lib.layers
    inp = lib.Input((5,), name="vec")
    x = L.Dense(5, name="pre")(inp)  # weights before the ops: a training step checks their gradients
    x = x + 3.0
    if lib is keras:
        ops = keras.ops
        x = ops.relu6(x)
    else:
        x = tf.nn.relu6(x)
    x = x * (1.0 / 6.0)
    x = x - 0.5
    x = 2.0 - x
    x = x / 4.0
    x = keras.ops.relu(x) if lib is keras else tf.nn.relu(x)
    x = 3.0 / (x + 1.0)
    x = 1.5 + x
    if lib is keras:
        x = ops.add(x, -1.0)
        x = ops.multiply(x, 0.75)
        x = ops.divide(x, 2.0)
        h = ops.hard_sigmoid(x)
        x = ops.hard_silu(h)
    else:
        x = tf.math.add(x, -1.0)
        x = tf.math.multiply(x, 0.75)
        x = tf.math.divide(x, 2.0)
        h = tf.nn.relu6(x + 3.0) * (1.0 / 6.0)
        x = L.Multiply(name="hard_swish")([h, tf.nn.relu6(h + 3.0) * (1.0 / 6.0)])
    out = L.Dense(3, activation="softmax", name="head")(x)
    return lib.Model(inp, out, name="tfops_chain")


def main(out):
    out = os.path.join(out, "tfops")
    reset_dir(out)
    manifest = {"versions": VERSIONS, "cases": {}}
    name = "chain"
    manifest["cases"][name] = functional.gen_case(out, name, chain, "every operation kerasgo runs, chained, then Dense",
                                                  17017, "model", False, fit=False)
    functional.check_case(out, name, chain, manifest["cases"][name], False, fit=False)
    write_json(os.path.join(out, "manifest.json"), manifest)


if __name__ == "__main__":
    import sys
    main(sys.argv[1])
