"""Writes multiblock_tf2_21.index (+ its data file): a real TensorFlow bundle whose index
spans several 256 KiB data blocks, so that the Go writer's block flushing and index-key
shortening are checked byte for byte against TensorFlow's.

Run from this folder with the pinned venv: ../../../.venv/bin/python gen_multiblock.py
"""
import os

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import tensorflow as tf

names = []
for i in range(4500):
    # Varied prefixes so block boundaries fall between keys with different shared lengths.
    names.append("model/block_%d/layer_%04d/sub_%d/kernel/.ATTRIBUTES/VARIABLE_VALUE" % (i % 7, i, i % 3))
names.sort()
tensors = [tf.constant(float(i), tf.float32) for i in range(len(names))]
prefix = "multiblock_tf2_21"
tf.raw_ops.SaveV2(prefix=prefix, tensor_names=names, shape_and_slices=[""] * len(names), tensors=tensors)
print(tf.__version__, os.path.getsize(prefix + ".index"))
