#!/usr/bin/env python3
"""Time the forward pass of LSTM(256) over 100 steps of 128 features at batch 32 (the last
output) in kerasgo (layers.BenchmarkLSTM256) and in TensorFlow (a tf_keras LSTM layer called
in a tf.function, the graph Keras runs in predict), alternating the two (ABAB), and print for
each side the median and minimum time per forward pass, CPU seconds (user+sys of all
threads) per pass, and the ratio of the medians (kerasgo / TensorFlow).

Each run is a fresh process that builds the layer with random weights and a random input,
does one untimed pass, then times a fixed number of passes; both sides use every CPU. The
load average is printed at the start and the end: on a shared machine the two sides see the
same load only on average, which is why the runs alternate and why the per-pair ratios are
shown.

Usage: .venv/bin/python scripts/bench_lstm.py [--pairs 5] [--iters 10]
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

TF_RUN = r"""
import json, os, resource, sys, time
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np
import tensorflow as tf
import tf_keras as keras
iters = int(sys.argv[1])
rng = np.random.default_rng(1)
x = tf.constant(rng.uniform(-1, 1, (32, 100, 128)).astype(np.float32))
layer = keras.layers.LSTM(256)
layer.build((None, 100, 128))
f = tf.function(lambda t: layer(t, training=False))
f(x).numpy()  # trace and warm up
r0 = resource.getrusage(resource.RUSAGE_SELF)
t0 = time.perf_counter()
for _ in range(iters):
    f(x).numpy()
dt = time.perf_counter() - t0
r1 = resource.getrusage(resource.RUSAGE_SELF)
cpu = (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime)
print(json.dumps({"s": dt / iters, "cpu": cpu / iters}))
"""




def tf_run(iters):
    out = subprocess.run([sys.executable, "-c", TF_RUN, str(iters)], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit("TensorFlow run failed:\n" + out.stderr)
    r = json.loads(out.stdout.strip().splitlines()[-1])
    return r["s"], r["cpu"]


def go_run(binary, iters):
    cmd = [binary, "-test.run", "^$", "-test.bench", "^BenchmarkLSTM256$", "-test.benchtime", f"{iters}x"]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=os.path.dirname(binary))
    m = re.search(r"BenchmarkLSTM256\S*\s+\d+\s+(\d+(?:\.\d+)?) ns/op\s+(\d+(?:\.\d+)?(?:e[-+]?\d+)?) cpu-s/op",
                  out.stdout)
    if out.returncode != 0 or not m:
        sys.exit("go benchmark failed:\n" + out.stdout + out.stderr)
    return float(m.group(1)) / 1e9, float(m.group(2))


def summary(name, runs):
    secs = [s for s, _ in runs]
    cpus = [c for _, c in runs]
    med = statistics.median(secs)
    print(f"  {name:10s} median {med * 1e3:8.2f} ms   min {min(secs) * 1e3:8.2f} ms   "
          f"CPU {statistics.median(cpus) * 1e3:8.2f} ms/pass (median)")
    return med, statistics.median(cpus)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", type=int, default=5, help="alternating TF/Go pairs (>= 5)")
    ap.add_argument("--json", default="", help="write the samples to this file (scripts/benchjson.py)")
    ap.add_argument("--iters", type=int, default=10, help="timed forward passes per run")
    a = ap.parse_args()
    if a.pairs < 5:
        sys.exit("--pairs must be at least 5")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    tmp = tempfile.mkdtemp(prefix="bench_lstm")
    binary = os.path.join(tmp, "layers.test")
    env = dict(os.environ, CGO_ENABLED=os.environ.get("CGO_ENABLED", "0"))
    build = subprocess.run(["go", "test", "-c", "-o", binary, "./layers/"], cwd=root, env=env,
                           capture_output=True, text=True)
    if build.returncode != 0:
        sys.exit("go test -c failed:\n" + build.stdout + build.stderr)
    print(f"machine: {benchjson.cpu_model()}, {os.cpu_count()} CPUs; {time.strftime('%Y-%m-%d %H:%M')}")
    print(f"LSTM(256), 100 steps x 128 features, batch 32, forward (last output); "
          f"load average at start: {os.getloadavg()}")
    load0 = os.getloadavg()
    tfs, gos = [], []
    for _ in range(a.pairs):
        tfs.append(tf_run(a.iters))
        gos.append(go_run(binary, a.iters))
    print(f"{a.pairs} pairs of runs, {a.iters} passes per run:")
    tf_med, tf_cpu = summary("TensorFlow", tfs)
    go_med, go_cpu = summary("kerasgo", gos)
    pair = sorted(g[0] / t[0] for t, g in zip(tfs, gos))
    print(f"  ratio kerasgo/TensorFlow time: {go_med / tf_med:.2f} (ratio of medians); per pair "
          f"{pair[0]:.2f} .. {pair[-1]:.2f}; CPU seconds {go_cpu / tf_cpu:.2f}")
    load1 = os.getloadavg()
    print(f"load average at end: {load1}")
    benchjson.write(a.json, "bench_lstm.py",
                    [benchjson.row("lstm", "LSTM(256) forward, 100 steps x 128 features, batch 32", gos,
                                   {"tf_keras LSTM in a tf.function": tfs})], load0, load1)


if __name__ == "__main__":
    main()
