"""Loads a SavedModel with TensorFlow's C++ loader (the one TF Serving uses), through the C API
function TF_LoadSessionFromSavedModel of the libtensorflow_cc in the pip package, and runs one
signature tensor.

usage: savedmodel_capi.py DIR INPUT_TENSOR OUTPUT_TENSOR X.npy [DIR INPUT_TENSOR ...]

INPUT_TENSOR / OUTPUT_TENSOR are graph tensor names as the SignatureDef records them
("serving_default_conv_1_input:0", "StatefulPartitionedCall:0"). The loader restores the
variables by running the SaverDef's restore op, as Serving does. Prints a JSON list with one
nested list of outputs per directory.
"""
import ctypes
import json
import os
import sys

import numpy as np
import tensorflow as tf


lib = ctypes.CDLL(os.path.join(os.path.dirname(tf.__file__), "libtensorflow_cc.so.2"), mode=ctypes.RTLD_GLOBAL)
P = ctypes.c_void_p


class Output(ctypes.Structure):
    _fields_ = [("oper", P), ("index", ctypes.c_int)]


for name, res, args in [
    ("TF_NewStatus", P, []), ("TF_NewGraph", P, []), ("TF_NewSessionOptions", P, []),
    ("TF_GetCode", ctypes.c_int, [P]), ("TF_Message", ctypes.c_char_p, [P]),
    ("TF_LoadSessionFromSavedModel", P, [P, P, ctypes.c_char_p, ctypes.POINTER(ctypes.c_char_p), ctypes.c_int, P, P, P]),
    ("TF_GraphOperationByName", P, [P, ctypes.c_char_p]),
    ("TF_AllocateTensor", P, [ctypes.c_int, ctypes.POINTER(ctypes.c_int64), ctypes.c_int, ctypes.c_size_t]),
    ("TF_TensorData", P, [P]), ("TF_TensorByteSize", ctypes.c_size_t, [P]),
    ("TF_NumDims", ctypes.c_int, [P]), ("TF_Dim", ctypes.c_int64, [P, ctypes.c_int]),
    ("TF_TensorType", ctypes.c_int, [P]),
    ("TF_SessionRun", None, [P, P, ctypes.POINTER(Output), ctypes.POINTER(P), ctypes.c_int,
                             ctypes.POINTER(Output), ctypes.POINTER(P), ctypes.c_int, ctypes.POINTER(P), ctypes.c_int, P, P]),
]:
    f = getattr(lib, name)
    f.restype, f.argtypes = res, args


def check(status, what):
    if lib.TF_GetCode(status) != 0:
        sys.exit(f"{what}: {lib.TF_Message(status).decode()}")




def output(graph, name):
    op, idx = name.rsplit(":", 1)
    o = lib.TF_GraphOperationByName(graph, op.encode())
    if not o:
        sys.exit(f"no operation {op}")
    return Output(o, int(idx))


def serve(d, in_name, out_name, xpath):
    x = np.ascontiguousarray(np.load(xpath), dtype=np.float32)
    status = lib.TF_NewStatus()
    graph = lib.TF_NewGraph()
    tags = (ctypes.c_char_p * 1)(b"serve")
    sess = lib.TF_LoadSessionFromSavedModel(lib.TF_NewSessionOptions(), None, d.encode(), tags, 1, graph, None, status)
    check(status, "TF_LoadSessionFromSavedModel " + d)
    dims = (ctypes.c_int64 * x.ndim)(*x.shape)
    t = lib.TF_AllocateTensor(1, dims, x.ndim, x.nbytes)  # TF_FLOAT
    ctypes.memmove(lib.TF_TensorData(t), x.ctypes.data, x.nbytes)
    ins = (Output * 1)(output(graph, in_name))
    outs = (Output * 1)(output(graph, out_name))
    in_vals = (P * 1)(t)
    out_vals = (P * 1)()
    lib.TF_SessionRun(sess, None, ins, in_vals, 1, outs, out_vals, 1, None, 0, None, status)
    check(status, "TF_SessionRun " + d)
    r = out_vals[0]
    if lib.TF_TensorType(r) != 1:
        sys.exit("output is not float32")
    shape = [lib.TF_Dim(r, i) for i in range(lib.TF_NumDims(r))]
    buf = (ctypes.c_char * lib.TF_TensorByteSize(r)).from_address(lib.TF_TensorData(r))
    return np.frombuffer(bytes(buf), dtype=np.float32).reshape(shape).tolist()


a = sys.argv[1:]
print(json.dumps([serve(*a[i:i + 4]) for i in range(0, len(a), 4)]))
