#!/usr/bin/env python3
"""One epoch of the seed model's training in TensorFlow's model.fit (CPU) and in kerasgo's Fit,
alternating A B A B (issue 16), and the ratio Go/TF.

Both train the seed article's CNN (Conv2D 16 3x3 relu, MaxPooling2D 4x4, BatchNormalization,
Flatten, Dense 32 relu, Dropout 0.5, Dense 10 softmax) with Adam and sparse categorical
crossentropy on --images random 32x32x3 images at batch size 512, shuffled, one epoch.
  TF  one process per sample (tf_keras): a warm-up fit of one epoch on 2048 images (graph
      tracing), then one timed epoch.
  Go  one process per sample: BenchmarkFitEpoch/images=N of internal/demo (go test -c), which
      also fits one warm-up epoch of 2048 images first, then one timed epoch.
Each sample reports wall seconds and CPU seconds (user+sys, all threads) of the timed epoch.
The script prints, per side, the median and minimum wall time and the median CPU time, the
ratio of the medians with the range of the per-pair ratios (the noise), and the load average
at start and end.

Usage: .venv/bin/python scripts/bench_fit.py [--images 10000] [--pairs 5]
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchjson  # noqa: E402

ENV = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="", PYTHONDONTWRITEBYTECODE="1")

TF_RUN = r"""
import json, resource, sys, time
import numpy as np
import tensorflow as tf
import tf_keras as keras
n = int(sys.argv[1])
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
r0 = resource.getrusage(resource.RUSAGE_SELF)
t0 = time.perf_counter()
m.fit(x, y, batch_size=512, epochs=1, shuffle=True, verbose=0)
dt = time.perf_counter() - t0
r1 = resource.getrusage(resource.RUSAGE_SELF)
cpu = (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime)
print(json.dumps({"s": dt, "cpu": cpu, "tf": tf.__version__}))
"""


def tf_run(n):
    out = subprocess.run([sys.executable, "-c", TF_RUN, str(n)], capture_output=True, text=True, env=ENV)
    if out.returncode != 0:
        sys.exit("TF run failed:\n" + out.stderr)
    r = json.loads(out.stdout.strip().splitlines()[-1])
    return r["s"], r["cpu"], r["tf"]


def go_run(binary, n):
    cmd = [binary, "-test.run", "^$", "-test.bench", f"^BenchmarkFitEpoch/images={n}$", "-test.benchtime", "1x"]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=os.path.dirname(binary))
    m = re.search(r"BenchmarkFitEpoch/images=\d+\S*\s+\d+\s+(\d+(?:\.\d+)?) ns/op\s+"
                  r"(\d+(?:\.\d+)?(?:e[-+]?\d+)?) cpu-s/op", out.stdout)
    if out.returncode != 0 or not m:
        sys.exit("go benchmark failed:\n" + out.stdout + out.stderr)
    return float(m.group(1)) / 1e9, float(m.group(2))


def summary(name, runs):
    secs = [r[0] for r in runs]
    cpus = [r[1] for r in runs]
    med = statistics.median(secs)
    print(f"  {name:20s} median {med:7.2f} s   min {min(secs):7.2f} s   "
          f"CPU {statistics.median(cpus):7.2f} s (median; min {min(cpus):.2f})")
    return med, statistics.median(cpus)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=10000, choices=[50000, 10000])
    ap.add_argument("--pairs", type=int, default=5, help="alternating TF/Go pairs (>= 5)")
    ap.add_argument("--json", default="", help="write the samples to this file (scripts/benchjson.py)")
    a = ap.parse_args()
    if a.pairs < 5:
        sys.exit("--pairs must be at least 5")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    binary = os.path.join(tempfile.mkdtemp(prefix="bench_fit"), "demo.test")
    build = subprocess.run(["go", "test", "-c", "-o", binary, "./internal/demo/"], cwd=root,
                           capture_output=True, text=True)
    if build.returncode != 0:
        sys.exit("go test -c failed:\n" + build.stdout + build.stderr)
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    print(f"machine: {cpu}, {os.cpu_count()} CPUs; {time.strftime('%Y-%m-%d %H:%M')}")
    load0 = os.getloadavg()
    print(f"load average at start: {load0}")
    tfs, gos, version = [], [], "?"
    for _ in range(a.pairs):
        s, c, version = tf_run(a.images)
        tfs.append((s, c))
        gos.append(go_run(binary, a.images))
    print(f"TensorFlow {version} CPU; one epoch of {a.images} images at batch 512, {a.pairs} pairs of runs:")
    tf_med, tf_cpu = summary("TensorFlow model.fit", tfs)
    go_med, go_cpu = summary("kerasgo Fit", gos)
    pair = sorted(g[0] / t[0] for t, g in zip(tfs, gos))
    print(f"  ratio Go/TF wall: {go_med / tf_med:.2f} (ratio of medians); per pair {pair[0]:.2f} .. {pair[-1]:.2f}; "
          f"CPU: {go_cpu / tf_cpu:.2f}")
    load1 = os.getloadavg()
    print(f"load average at end: {load1}")
    benchjson.write(a.json, "bench_fit.py",
                    [benchjson.row("fit", f"seed model fit, one epoch of {a.images} images at batch 512 (Adam)", gos,
                                   {"model.fit": tfs}, unit="s")], load0, load1, {"tensorflow": version})


if __name__ == "__main__":
    main()
