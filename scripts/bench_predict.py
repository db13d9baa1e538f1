#!/usr/bin/env python3
"""Time the seed model's prediction on one batch of 512 images of 32x32x3 in TensorFlow (CPU)
and in kerasgo on the same machine, and print the ratio Go/TF (issue 2's benchmark).

TensorFlow is timed two ways: model.predict(x, batch_size=512) (what a Keras user calls) and
a traced tf.function calling the model (the bare graph, without predict's data pipeline). The
Go side is BenchmarkPredict in package model (go test -bench). Best of --repeats runs each.

Usage: .venv/bin/python scripts/bench_predict.py [--repeats R]   (make bench-compare runs it)
"""
import argparse
import os
import re
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")


def tf_seconds(repeats):
    import numpy as np
    import tensorflow as tf
    import tf_keras as keras

    L = keras.layers
    m = keras.Sequential([
        L.Conv2D(16, (3, 3), activation="relu", input_shape=(32, 32, 3), name="conv_1"),
        L.MaxPooling2D((4, 4), name="pool_1"),
        L.BatchNormalization(),
        L.Flatten(name="flatten"),
        L.Dense(32, activation="relu", name="dense_1"),
        L.Dropout(0.5),
        L.Dense(10, activation="softmax", name="dense_2"),
    ])
    x = np.random.default_rng(3).random((512, 32, 32, 3), dtype=np.float32)
    m.predict(x, batch_size=512, verbose=0)  # warm-up: tracing
    fn = tf.function(lambda t: m(t, training=False))
    xt = tf.constant(x)
    fn(xt)
    best_predict = best_fn = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        m.predict(x, batch_size=512, verbose=0)
        dt = time.perf_counter() - t0
        best_predict = dt if best_predict is None else min(best_predict, dt)
        t0 = time.perf_counter()
        fn(xt).numpy()
        dt = time.perf_counter() - t0
        best_fn = dt if best_fn is None else min(best_fn, dt)
    return best_predict, best_fn, tf.__version__


def go_seconds(repeats):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    cmd = ["go", "test", "./model/", "-run", "^$", "-bench", "^BenchmarkPredict$/^batch=512$",
           "-benchtime", "10x", "-count", str(repeats)]
    out = subprocess.run(cmd, cwd=root, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit("go test failed:\n" + out.stdout + out.stderr)
    times = [float(v) for v in re.findall(r"\s(\d+(?:\.\d+)?) ns/op", out.stdout)]
    if not times:
        sys.exit("no benchmark result in:\n" + out.stdout)
    return min(times) / 1e9


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    a = ap.parse_args()
    tf_predict, tf_fn, version = tf_seconds(a.repeats)
    go_s = go_seconds(a.repeats)
    print(f"machine: {os.cpu_count()} CPUs; TensorFlow {version} CPU")
    print(f"seed model, one batch of 512 images of 32x32x3 (best of {a.repeats}):")
    print(f"  TensorFlow model.predict: {tf_predict * 1e3:.1f} ms")
    print(f"  TensorFlow tf.function:   {tf_fn * 1e3:.1f} ms")
    print(f"  kerasgo Predict:          {go_s * 1e3:.1f} ms")
    print(f"  ratio Go/TF predict:      {go_s / tf_predict:.2f}")
    print(f"  ratio Go/TF tf.function:  {go_s / tf_fn:.2f}")


if __name__ == "__main__":
    main()
