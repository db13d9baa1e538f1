"""Reads a string-list attribute of a file Go wrote with Keras's own reader.

usage: h5_attrs.py FILE GROUP NAME

Prints JSON: {"names": [...], "keys": [attribute names of GROUP]} using tf_keras's
load_attributes_from_hdf5_group (which joins NAME0, NAME1, ... chunks).
"""
import json
import sys

import h5py
from tf_keras.src.saving.legacy.hdf5_format import load_attributes_from_hdf5_group

f = h5py.File(sys.argv[1], "r")
g = f[sys.argv[2]]
names = load_attributes_from_hdf5_group(g, sys.argv[3])
print(json.dumps({"names": [n.decode() if isinstance(n, bytes) else n for n in names], "keys": sorted(g.attrs.keys())}))
