"""Loads Go-written files of models whose inputs have None besides the batch and predicts.

usage: nonedims_load.py CASES.json

CASES.json is a list of {"id", "h5", "keras", "inputs": [{"size", "x"}]}: h5 a tf_keras .h5 Go
wrote, keras a Keras 3 .keras Go wrote. For each case this loads h5 with
tf_keras.models.load_model and keras with keras.saving.load_model, records each model's input
shape (None as -1), and writes the predictions on every input as <id>.<size>.tfkeras.npy and
<id>.<size>.keras3.npy in the directory of CASES.json. Prints one JSON list of {"id",
"tfkeras_input", "keras3_input"}.
"""
import json
import os
import sys

import numpy as np
import tf_keras
import keras  # Keras 3

cases = json.load(open(sys.argv[1]))
outdir = os.path.dirname(sys.argv[1])
results = []
for c in cases:
    m2 = tf_keras.models.load_model(c["h5"])
    m3 = keras.saving.load_model(c["keras"])
    for i in c["inputs"]:
        x = np.load(i["x"])
        np.save(os.path.join(outdir, f"{c['id']}.{i['size']}.tfkeras.npy"), m2.predict(x, verbose=0).astype(np.float32))
        np.save(os.path.join(outdir, f"{c['id']}.{i['size']}.keras3.npy"), np.asarray(m3.predict(x, verbose=0), dtype=np.float32))
    dims = lambda s: [-1 if d is None else int(d) for d in s]
    results.append({"id": c["id"], "tfkeras_input": dims(m2.inputs[0].shape), "keras3_input": dims(m3.inputs[0].shape)})
print(json.dumps(results))
