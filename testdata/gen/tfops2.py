"""testdata/tfops2/: operations on two tensors inside Functional models (issue 11): tf_keras
records tf.math.add(a, b), a * b, a - b and a / b between two Keras tensors as TFOpLambda
layers whose call passes the second tensor as the keyword argument "y"; Keras 3 as
keras.src.ops operation nodes with two tensor arguments. kerasgo runs them as layers.TFOp2.
In the per-case layout of functional.py (gen_case/check_case: tf_keras model.h5, Keras 3
model.keras, x0/y0/y0_keras3, configs, summaries, weights):

  binary  Dense "a" and "b" (4 units) and "s" (1 unit) of input vec (5,), then
          add(a, b), a * b, subtract of the two, b * b + 1.0 (a tensor times itself, then
          a constant), divide by it, multiply by s (broadcast along the last axis), and
          Dense "head" (softmax over 3)
"""

import os

import functional
from common import VERSIONS, keras, reset_dir, tf, write_json


def binary(lib):
    L = lib.layers
    inp = lib.Input((5,), name="vec")
    a = L.Dense(4, name="a")(inp)
    b = L.Dense(4, name="b")(inp)
    s = L.Dense(1, name="s")(inp)
    if lib is keras:
        ops = keras.ops
        x = ops.add(a, b)
        y = a * b
        z = ops.subtract(x, y)
        d = ops.divide(z, b * b + 1.0)
        w = d * s
    else:
        x = tf.math.add(a, b)
        y = a * b
        z = x - y
        d = z / (b * b + 1.0)
        w = tf.math.multiply(d, s)
    out = L.Dense(3, activation="softmax", name="head")(w)
    return lib.Model(inp, out, name="tfops2_binary")


def main(out):
    out = os.path.join(out, "tfops2")
    reset_dir(out)
    manifest = {"versions": VERSIONS, "cases": {}}
    name = "binary"
    manifest["cases"][name] = functional.gen_case(out, name, binary, "operations on two tensors between Dense layers",
                                                  17018, "model", False, fit=False)
    functional.check_case(out, name, binary, manifest["cases"][name], False, fit=False)
    write_json(os.path.join(out, "manifest.json"), manifest)


if __name__ == "__main__":
    import sys
    main(sys.argv[1])
