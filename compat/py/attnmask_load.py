"""Loads files kerasgo wrote of the layers_attnmask cases (and of keras-attention.h5) with
tf_keras, Keras 3 or tf.saved_model and prints each one's predictions' largest difference
from the expected outputs, as JSON: [{"id", "max_abs_diff"} or {"id", "error"}].

argv[1]: a JSON list of {"id", "lib" (tf_keras | keras | saved_model), "file",
"inputs": [npy paths], "want": npy path}.
"""
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402


def main():
    spec = json.load(open(sys.argv[1]))
    out = []
    for c in spec:
        xs = [np.load(p) for p in c["inputs"]]
        want = np.load(c["want"])
        try:
            if c["lib"] == "tf_keras":
                import tf_keras
                m = tf_keras.models.load_model(c["file"], compile=False)
                y = m.predict(xs if len(xs) > 1 else xs[0], verbose=0)
            elif c["lib"] == "keras":
                import keras
                m = keras.saving.load_model(c["file"], compile=False)
                y = m.predict(xs if len(xs) > 1 else xs[0], verbose=0)
            else:
                sm = tf.saved_model.load(c["file"])
                f = sm.signatures["serving_default"]
                names = sorted(f.structured_input_signature[1].keys())
                kw = {}
                for n, x in zip(c["input_names"], xs):
                    kw[n] = tf.constant(x)
                if set(kw) != set(names):
                    raise ValueError(f"signature inputs {names}, want {sorted(kw)}")
                res = f(**kw)
                y = list(res.values())[0].numpy()
            out.append({"id": c["id"], "max_abs_diff": float(np.max(np.abs(np.asarray(y, np.float64) - want)))})
        except Exception as e:  # reported per case
            out.append({"id": c["id"], "error": f"{type(e).__name__}: {str(e)[:300]}"})
    print(json.dumps(out))


if __name__ == "__main__":
    main()
