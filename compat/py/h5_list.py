"""Lists every dataset of HDF5 files with h5py, for comparison with h5.List.

usage: h5_list.py FILE...   (a .keras zip is listed through its model.weights.h5)

Prints JSON: {FILE: [[path, dtype, shape], ...]} sorted by path.
"""
import io
import json
import sys
import zipfile

import h5py

out = {}
for path in sys.argv[1:]:
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            f = h5py.File(io.BytesIO(z.read("model.weights.h5")), "r")
    else:
        f = h5py.File(path, "r")
    rows = []

    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            rows.append([name, str(obj.dtype), list(obj.shape)])

    f.visititems(visit)
    out[path] = sorted(rows)
print(json.dumps(out))
