"""Reads a tensor bundle written by kerasgo with TensorFlow, prints every tensor, then writes
the same tensors with TensorFlow's own bundle writer (tf.raw_ops.SaveV2, in sorted key order,
as the Go test adds them) so that the two files can be compared byte for byte.

usage: checkpoint_dtypes.py GO_PREFIX PY_PREFIX
prints one JSON line: {"list": [[name, shape], ...], "tensors": {name: {"dtype", "shape",
"values"}}} where values are flattened: numbers as float (complex as [re, im]), strings as hex.
"""
import json
import math
import sys

import numpy as np
import tensorflow as tf

go_prefix, py_prefix = sys.argv[1], sys.argv[2]

listed = tf.train.list_variables(go_prefix)
reader = tf.train.load_checkpoint(go_prefix)
dtypes = reader.get_variable_to_dtype_map()
out = {"list": [[n, list(s)] for n, s in listed], "tensors": {}}
names, values = [], []
for name, _ in listed:
    v = reader.get_tensor(name)
    dt = dtypes[name]
    a = np.asarray(v)
    flat = a.reshape(-1)
    if dt == tf.string:
        vals = [bytes(x).hex() for x in flat]
    elif dt.is_complex:
        vals = [[float(x.real), float(x.imag)] for x in flat]
    elif dt == tf.bool:
        vals = [1.0 if x else 0.0 for x in flat]
    else:
        vals = []
        for x in flat.astype(np.float64) if dt not in (tf.int64, tf.uint64) else flat:
            f = float(x) if dt not in (tf.int64, tf.uint64) else int(x)
            if isinstance(f, float) and math.isnan(f):
                f = "nan"
            elif isinstance(f, float) and math.isinf(f):
                f = "inf" if f > 0 else "-inf"
            vals.append(f)
    out["tensors"][name] = {"dtype": dt.name, "shape": list(a.shape), "values": vals}
    names.append(name)
    values.append(tf.constant(v, dtype=dt))

# The Go test adds tensors in sorted (bytewise) key order; SaveV2 adds them in list order.
order = sorted(range(len(names)), key=lambda i: names[i].encode())
tf.raw_ops.SaveV2(prefix=py_prefix, tensor_names=[names[i] for i in order],
                  shape_and_slices=[""] * len(names), tensors=[values[i] for i in order])
print(json.dumps(out))
