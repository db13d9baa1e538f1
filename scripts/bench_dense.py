#!/usr/bin/env python3
"""Predict of the 25.2M-parameter Dense model (4096 inputs, Dense 4096 relu, Dense 2048 relu,
Dense 10 softmax: the model of scripts/bench_h5.py) at batch 512 in kerasgo and in NumPy
(OpenBLAS: the same three products with bias, relu and softmax), alternating A B A B
(issue 16).

  Go     BenchmarkDense25MPredict512 of package model (go test -c; one process per sample):
         one warm-up Predict, then --calls timed calls.
  NumPy  one process per sample: the same layers as float32 NumPy (x @ W + b, maximum,
         softmax), one warm-up pass, then --calls timed passes.
Both sides use every CPU (OpenBLAS's threads, GOMAXPROCS) unless --threads is given. Each
sample is the mean wall time per call; CPU seconds (user+sys, all threads) per call come from
getrusage in the same process. The script prints, per side, the median and minimum wall time
and GFLOP/s (2 flops per multiply-add of the three products), the median CPU time, the ratio
kerasgo/OpenBLAS GFLOP/s (ratio of medians) with the range of the per-pair ratios, and the
load average at start and end.

Usage: .venv/bin/python scripts/bench_dense.py [--pairs 5] [--calls 10] [--threads 1]
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

BATCH = 512
PARAMS = 4096 * 4096 + 4096 * 2048 + 2048 * 10
FLOP = 2.0 * BATCH * PARAMS

NUMPY_RUN = r"""
import json, resource, sys, time
import numpy as np
calls = int(sys.argv[1])
rng = np.random.default_rng(5)
ws = []
for i, o in ((4096, 4096), (4096, 2048), (2048, 10)):
    lim = (6 / (i + o)) ** 0.5
    ws.append((rng.uniform(-lim, lim, (i, o)).astype(np.float32), np.zeros(o, np.float32)))
x = rng.random((512, 4096), dtype=np.float32)
def predict(x):
    h = x
    for j, (w, b) in enumerate(ws):
        h = h @ w
        h += b
        if j < 2:
            np.maximum(h, 0, out=h)
    h -= h.max(axis=1, keepdims=True)
    np.exp(h, out=h)
    h /= h.sum(axis=1, keepdims=True)
    return h
predict(x)
r0 = resource.getrusage(resource.RUSAGE_SELF)
t0 = time.perf_counter()
for _ in range(calls):
    predict(x)
dt = time.perf_counter() - t0
r1 = resource.getrusage(resource.RUSAGE_SELF)
cpu = (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime)
print(json.dumps({"s": dt / calls, "cpu": cpu / calls}))
"""


def numpy_run(calls):
    out = subprocess.run([sys.executable, "-c", NUMPY_RUN, str(calls)], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit("numpy run failed:\n" + out.stderr)
    r = json.loads(out.stdout.strip().splitlines()[-1])
    return r["s"], r["cpu"]


def go_run(binary, calls):
    cmd = [binary, "-test.run", "^$", "-test.bench", "^BenchmarkDense25MPredict512$",
           "-test.benchtime", f"{calls}x"]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=os.path.dirname(binary))
    m = re.search(r"BenchmarkDense25MPredict512\S*\s+\d+\s+(\d+(?:\.\d+)?) ns/op.*?"
                  r"(\d+(?:\.\d+)?(?:e[-+]?\d+)?) cpu-s/op", out.stdout)
    if out.returncode != 0 or not m:
        sys.exit("go benchmark failed:\n" + out.stdout + out.stderr)
    return float(m.group(1)) / 1e9, float(m.group(2))


def summary(name, runs):
    secs = [s for s, _ in runs]
    cpus = [c for _, c in runs]
    med, best = statistics.median(secs), min(secs)
    print(f"  {name:9s} median {med * 1e3:8.2f} ms ({FLOP / med / 1e9:6.1f} GFLOP/s)   "
          f"min {best * 1e3:8.2f} ms ({FLOP / best / 1e9:6.1f} GFLOP/s)   "
          f"CPU {statistics.median(cpus) * 1e3:8.2f} ms/call (median)")
    return med




def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", type=int, default=5, help="alternating NumPy/Go pairs (>= 5)")
    ap.add_argument("--json", default="", help="write the samples to this file (scripts/benchjson.py)")
    ap.add_argument("--calls", type=int, default=10, help="timed predict calls per run")
    ap.add_argument("--threads", type=int, default=0,
                    help="threads for both sides (OPENBLAS_NUM_THREADS, GOMAXPROCS); 0: all CPUs")
    a = ap.parse_args()
    if a.pairs < 5:
        sys.exit("--pairs must be at least 5")
    if a.threads > 0:
        os.environ["OPENBLAS_NUM_THREADS"] = os.environ["GOMAXPROCS"] = str(a.threads)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    binary = os.path.join(tempfile.mkdtemp(prefix="bench_dense"), "model.test")
    env = dict(os.environ, CGO_ENABLED=os.environ.get("CGO_ENABLED", "0"))
    build = subprocess.run(["go", "test", "-c", "-o", binary, "./model/"], cwd=root, env=env,
                           capture_output=True, text=True)
    if build.returncode != 0:
        sys.exit("go test -c failed:\n" + build.stdout + build.stderr)
    benchjson.prefer_openblas_avx512()
    import numpy as np
    core = benchjson.openblas_core()
    print(f"OpenBLAS kernels: {core} (OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '')})")
    threads = a.threads or os.cpu_count()
    print(f"machine: {benchjson.cpu_model()}, {os.cpu_count()} CPUs; {time.strftime('%Y-%m-%d %H:%M')}")
    load0 = os.getloadavg()
    print(f"NumPy {np.__version__}; {threads} threads each; load average at start: {load0}")
    npy, gos = [], []
    for _ in range(a.pairs):
        npy.append(numpy_run(a.calls))
        gos.append(go_run(binary, a.calls))
    print(f"Dense 4096-4096-2048-10 ({PARAMS} parameters) predict at batch {BATCH}, "
          f"{a.pairs} pairs of runs, {a.calls} calls per run:")
    np_med = summary("OpenBLAS", npy)
    go_med = summary("kerasgo", gos)
    pair = sorted(p[0] / g[0] for p, g in zip(npy, gos))
    print(f"  ratio kerasgo/OpenBLAS GFLOP/s: {np_med / go_med:.2f} (ratio of medians); "
          f"per pair {pair[0]:.2f} .. {pair[-1]:.2f}")
    load1 = os.getloadavg()
    print(f"load average at end: {load1}")
    benchjson.write(a.json, "bench_dense.py",
                    [benchjson.row("dense25m", f"Dense 4096-4096-2048-10 ({PARAMS / 1e6:.1f}M parameters) predict at batch {BATCH}",
                                   gos, {f"NumPy {np.__version__} (OpenBLAS, {core} kernels)": npy}, metric="gflops", flop=FLOP)],
                    load0, load1, {"numpy": np.__version__, "OpenBLAS kernels": core})


if __name__ == "__main__":
    main()
