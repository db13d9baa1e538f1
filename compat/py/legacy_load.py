"""Loads one Keras file in real tf_keras and reports what it read.

Usage: legacy_load.py SPEC.json. SPEC {"file", "x", "out"}: the model is loaded with
tf_keras.models.load_model(file); its prediction on x (.npy) is written to out + "_y.npy" and
each optimizer variable after the iteration counter to out + "_slot<i>.npy". The last line
printed is JSON {"summary", "optimizer", "iterations", "slots": [variable names]}.
"""
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["COLUMNS"] = "80"
import numpy as np
import tf_keras


def main():
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    m = tf_keras.models.load_model(spec["file"])
    lines = []
    m.summary(print_fn=lambda s, *a, **kw: lines.append(s))
    summary = "\n".join(lines)
    if not summary.endswith("\n"):
        summary += "\n"
    y = m.predict(np.load(spec["x"]), verbose=0)
    np.save(spec["out"] + "_y.npy", np.asarray(y, dtype=np.float32))
    opt = m.optimizer
    variables = opt.variables() if callable(opt.variables) else opt.variables
    slots = []
    for v in variables:
        if v.name.split(":")[0] in ("iter", "iteration"):
            continue
        np.save(f"{spec['out']}_slot{len(slots)}.npy", np.asarray(v.numpy(), dtype=np.float32))
        slots.append(v.name)
    print(json.dumps({"summary": summary, "optimizer": type(opt).__name__,
                      "iterations": int(opt.iterations.numpy()), "slots": slots}))


if __name__ == "__main__":
    main()
