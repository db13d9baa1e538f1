"""Prints the installed versions of the reference stack as JSON."""
import json
from importlib import metadata

names = ["tensorflow-cpu", "tf-keras", "keras", "h5py", "numpy", "ml-dtypes", "protobuf", "tensorboard"]
out = {}
for n in names:
    try:
        out[n] = metadata.version(n)
    except metadata.PackageNotFoundError:
        out[n] = ""
print(json.dumps(out))
