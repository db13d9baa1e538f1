"""TensorFlow side of scripts/bench_checkpoint.sh: write or read the same 400 MB checkpoint
(100 float32 variables of 1024x1024) with tf.train.Checkpoint. Prints the timed phase's
wall seconds ("write_s" or "read_s") and CPU seconds ("cpu", all threads) as JSON (TensorFlow's import and variable creation are not timed).

usage: bench_checkpoint.py write|write-fsync|read PREFIX   (TensorFlow does not sync the files
it writes; write-fsync fsyncs them and their folder after the write, inside the timing)
"""
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np
import tensorflow as tf

N, SHAPE = 100, (1024, 1024)
mode, prefix = sys.argv[1], sys.argv[2]

if mode in ("write", "write-fsync"):
    base = np.arange(SHAPE[0] * SHAPE[1], dtype=np.float32).reshape(SHAPE) * np.float32(1e-7)
    vs = {f"v{i:03d}": tf.Variable(base + np.float32(i)) for i in range(N)}
    ckpt = tf.train.Checkpoint(**vs)
    t0, c0 = time.perf_counter(), time.process_time()
    ckpt.write(prefix)
    if mode == "write-fsync":
        import glob
        for p in glob.glob(prefix + ".*") + [os.path.dirname(os.path.abspath(prefix))]:
            fd = os.open(p, os.O_RDONLY)
            os.fsync(fd)
            os.close(fd)
    print(json.dumps({"write_s": time.perf_counter() - t0, "cpu": time.process_time() - c0}))
else:
    vs = {f"v{i:03d}": tf.Variable(tf.zeros(SHAPE, tf.float32)) for i in range(N)}
    ckpt = tf.train.Checkpoint(**vs)
    t0, c0 = time.perf_counter(), time.process_time()
    ckpt.read(prefix).assert_consumed()
    print(json.dumps({"read_s": time.perf_counter() - t0, "cpu": time.process_time() - c0}))
