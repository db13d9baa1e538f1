"""testdata/plot/: models drawn by the compat suite's model_to_dot comparison (issue 15) that
the other parts lack: a Functional model inside a Functional model, three levels of nesting, a
nested model called twice, a frozen nested Sequential. (two_input_nested, a nested model taking
two inputs, is defined but not generated: kerasgo does not read such models yet.)

<case>/config_keras2.json (tf_keras 2.21, the .h5 model_config) and config_keras3.json
(Keras 3.15, model.to_json()) of the same architecture; no weights (the drawing needs none).
"""

import os
import sys

from common import K2, K3, fresh, keras, log, reset_dir, tf_keras, write_keras2_configs, write_text


def func_in_func(K):
    L = K.layers
    x = L.Input((6,), name="inner_in")
    h = L.Dense(5, activation="relu", name="enc_hidden")(x)
    encoder = K.Model(x, L.Dense(3, activation="tanh", name="enc_code")(h), name="encoder")
    i = L.Input((4,), name="features")
    y = L.Dense(6, name="pre")(i)
    y = encoder(y)
    return K.Model(i, L.Dense(2, activation="softmax", name="out")(y), name="outer")


def two_input_nested(K):
    L = K.layers
    a, b = L.Input((3,), name="m_a"), L.Input((3,), name="m_b")
    merger = K.Model([a, b], L.Dense(4, name="m_dense")(L.Concatenate(name="m_cat")([a, b])), name="merger")
    x1, x2 = L.Input((5,), name="left"), L.Input((5,), name="right")
    y = merger([L.Dense(3, name="l_proj")(x1), L.Dense(3, name="r_proj")(x2)])
    return K.Model([x1, x2], L.Dense(1, name="out")(y), name="two_input_outer")


def deep_nested(K):
    L = K.layers
    leaf = K.Sequential([L.Input((4,)), L.Dense(4, activation="relu", name="leaf_dense")], name="leaf")
    mid = K.Sequential([L.Input((4,)), leaf, L.Dense(3, name="mid_dense")], name="mid")
    i = L.Input((4,), name="x")
    y = mid(L.Dense(4, name="first")(i))
    return K.Model(i, L.Dense(2, name="last")(y), name="deep")


def shared_nested(K):
    L = K.layers
    t = L.Input((4,), name="tower_in")
    tower = K.Model(t, L.Dense(3, activation="relu", name="tower_dense")(t), name="tower")
    a, b = L.Input((4,), name="a"), L.Input((4,), name="b")
    y = L.Add(name="sum")([tower(a), tower(b)])
    return K.Model([a, b], L.Dense(1, name="out")(y), name="siamese")


def frozen_sequential(K):
    L = K.layers
    body = K.Sequential([L.Input((6,)), L.Dense(4, activation="relu", name="body_dense"),
                         L.BatchNormalization(name="body_bn")], name="body")
    body.trainable = False
    return K.Sequential([L.Input((6,), name="inp"), body, L.Dropout(0.1, name="drop"),
                         L.Dense(2, activation="sigmoid", name="head")], name="frozen_seq")


CASES = {
    "func_in_func": func_in_func,
    "deep_nested": deep_nested,
    "shared_nested": shared_nested,
    "frozen_sequential": frozen_sequential,
}


def main(out):
    root = os.path.join(out, "plot")
    for name, build in CASES.items():
        d = os.path.join(root, name)
        reset_dir(d)
        fresh(K2, 1)
        write_keras2_configs(d, build(tf_keras))
        os.remove(os.path.join(d, "config_keras2_to_json.json"))
        fresh(K3, 1)
        write_text(os.path.join(d, "config_keras3.json"), build(keras).to_json())
        log("plot", name)


if __name__ == "__main__":
    main(sys.argv[1])
