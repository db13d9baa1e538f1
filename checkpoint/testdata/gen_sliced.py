"""Writes sliced_tf2_21.*: a TensorFlow bundle holding a partitioned variable "part" of shape
[4, 3] saved as two slices (rows 0-1 and rows 2-3), as tf.compat.v1 partitioned variables
save it, plus an ordinary tensor "plain".

Run from this folder with the pinned venv: ../../.venv/bin/python gen_sliced.py
"""
import os

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import tensorflow as tf

tf.raw_ops.SaveV2(
    prefix="sliced_tf2_21",
    tensor_names=["part", "part", "plain"],
    shape_and_slices=["4 3 0,2:-", "4 3 2,2:-", ""],
    tensors=[tf.ones([2, 3]), tf.fill([2, 3], 2.0), tf.constant([1.0, 2.0])],
)
print(tf.train.list_variables("sliced_tf2_21"))
