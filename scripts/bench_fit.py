#!/usr/bin/env python3
"""Time one epoch of the seed model's model.fit in TensorFlow (CPU) and in kerasgo, and print
the ratio Go/TF.

Both train the seed article's CNN (Conv2D 16 3x3 relu, MaxPooling2D 4x4, BatchNormalization,
Flatten, Dense 32 relu, Dropout 0.5, Dense 10 softmax) with Adam and sparse categorical
crossentropy on 50000 random 32x32x3 images at batch size 512, shuffled, one epoch.
TensorFlow gets a warm-up epoch first (graph tracing is not counted); the Go side runs
BenchmarkFitEpoch/images=50000 in internal/demo (go test -bench).

Usage: .venv/bin/python scripts/bench_fit.py [--images N] [--repeats R]
"""
import argparse
import os
import re
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")


def tf_epoch_seconds(n, repeats):
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
    m.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(0)
    x = rng.random((n, 32, 32, 3), dtype=np.float32)
    y = rng.integers(0, 10, size=(n, 1)).astype(np.uint8)
    m.fit(x[:2048], y[:2048], batch_size=512, epochs=1, verbose=0)  # warm-up: tracing
    best = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        m.fit(x, y, batch_size=512, epochs=1, shuffle=True, verbose=0)
        dt = time.perf_counter() - t0
        best = dt if best is None else min(best, dt)
    return best, tf.__version__, tf.config.threading.get_intra_op_parallelism_threads()


def go_epoch_seconds(n, repeats):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    cmd = ["go", "test", "./internal/demo/", "-run", "^$", "-bench", f"BenchmarkFitEpoch/images={n}$",
           "-benchtime", "1x", "-count", str(repeats)]
    out = subprocess.run(cmd, cwd=root, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit("go test failed:\n" + out.stdout + out.stderr)
    times = [float(v) for v in re.findall(r"\s(\d+(?:\.\d+)?) ns/op", out.stdout)]
    if not times:
        sys.exit("no benchmark result in:\n" + out.stdout)
    return min(times) / 1e9


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=50000, choices=[50000, 10000])
    ap.add_argument("--repeats", type=int, default=2)
    a = ap.parse_args()
    tf_s, tf_version, threads = tf_epoch_seconds(a.images, a.repeats)
    go_s = go_epoch_seconds(a.images, a.repeats)
    print(f"machine: {os.cpu_count()} CPUs; TensorFlow {tf_version} CPU (intra-op threads {threads or 'default'})")
    print(f"one epoch, {a.images} images, batch 512 (best of {a.repeats}):")
    print(f"  TensorFlow model.fit: {tf_s:.2f} s")
    print(f"  kerasgo Fit:          {go_s:.2f} s")
    print(f"  ratio Go/TF:          {go_s / tf_s:.2f}")


if __name__ == "__main__":
    main()
