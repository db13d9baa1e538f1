#!/usr/bin/env python3
"""Time C = A·B on square float32 matrices with NumPy (OpenBLAS) and with kerasgo's GEMM
(layers.BenchmarkGemm) on the same machine, alternating the two (ABAB), and print for each
side the median and minimum time per product, GFLOP/s, CPU seconds (user+sys) per product,
and the ratio of the medians (kerasgo GFLOP/s / OpenBLAS GFLOP/s).

Each run is a fresh process that makes its own random matrices, does one untimed product,
then times a fixed number of products; both sides use every CPU (OpenBLAS's threads,
GOMAXPROCS). The load average is printed at the start and the end: on a shared machine the
two sides see the same load only on average, which is why the runs alternate and why the
per-pair ratios are shown. A figure whose per-pair ratios spread widely did not reproduce.

Usage: .venv/bin/python scripts/bench_gemm.py [--sizes 2048,512] [--pairs 5] [--threads 1]
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

NUMPY_RUN = r"""
import json, resource, sys, time
import numpy as np
n, iters = int(sys.argv[1]), int(sys.argv[2])
rng = np.random.default_rng(1)
a = rng.uniform(-1, 1, (n, n)).astype(np.float32)
b = rng.uniform(-1, 1, (n, n)).astype(np.float32)
c = np.empty((n, n), np.float32)
np.matmul(a, b, out=c)  # warm-up
r0 = resource.getrusage(resource.RUSAGE_SELF)
t0 = time.perf_counter()
for _ in range(iters):
    np.matmul(a, b, out=c)
dt = time.perf_counter() - t0
r1 = resource.getrusage(resource.RUSAGE_SELF)
cpu = (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime)
print(json.dumps({"s": dt / iters, "cpu": cpu / iters}))
"""




def numpy_run(n, iters):
    out = subprocess.run([sys.executable, "-c", NUMPY_RUN, str(n), str(iters)],
                         capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit("numpy run failed:\n" + out.stderr)
    r = json.loads(out.stdout.strip().splitlines()[-1])
    return r["s"], r["cpu"]


def go_run(binary, n, iters):
    cmd = [binary, "-test.run", "^$", "-test.bench", f"^BenchmarkGemm/{n}$",
           "-test.benchtime", f"{iters}x"]
    out = subprocess.run(cmd, capture_output=True, text=True,
                         cwd=os.path.dirname(binary))
    m = re.search(r"BenchmarkGemm/\d+\S*\s+\d+\s+(\d+(?:\.\d+)?) ns/op.*?"
                  r"(\d+(?:\.\d+)?(?:e[-+]?\d+)?) cpu-s/op", out.stdout)
    if out.returncode != 0 or not m:
        sys.exit("go benchmark failed:\n" + out.stdout + out.stderr)
    return float(m.group(1)) / 1e9, float(m.group(2))


def summary(name, n, runs):
    secs = [s for s, _ in runs]
    cpus = [c for _, c in runs]
    flop = 2.0 * n ** 3
    med, best = statistics.median(secs), min(secs)
    print(f"  {name:9s} median {med * 1e3:9.3f} ms ({flop / med / 1e9:6.1f} GFLOP/s)   "
          f"min {best * 1e3:9.3f} ms ({flop / best / 1e9:6.1f} GFLOP/s)   "
          f"CPU {statistics.median(cpus) * 1e3:9.3f} ms/product (median)")
    return med


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="2048", help="comma-separated square sizes")
    ap.add_argument("--pairs", type=int, default=5, help="alternating NumPy/Go pairs (>= 5)")
    ap.add_argument("--json", default="", help="write the samples to this file (scripts/benchjson.py)")
    ap.add_argument("--threads", type=int, default=0,
                    help="threads for both sides (OPENBLAS_NUM_THREADS, GOMAXPROCS); 0: all CPUs")
    a = ap.parse_args()
    if a.pairs < 5:
        sys.exit("--pairs must be at least 5")
    sizes = [int(s) for s in a.sizes.split(",")]
    if a.threads > 0:
        os.environ["OPENBLAS_NUM_THREADS"] = os.environ["GOMAXPROCS"] = str(a.threads)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    tmp = tempfile.mkdtemp(prefix="bench_gemm")
    binary = os.path.join(tmp, "layers.test")
    env = dict(os.environ, CGO_ENABLED=os.environ.get("CGO_ENABLED", "0"))
    build = subprocess.run(["go", "test", "-c", "-o", binary, "./layers/"], cwd=root, env=env,
                           capture_output=True, text=True)
    if build.returncode != 0:
        sys.exit("go test -c failed:\n" + build.stdout + build.stderr)
    benchjson.prefer_openblas_avx512()
    import numpy as np
    core = benchjson.openblas_core()
    print(f"OpenBLAS kernels: {core} (OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '')})")
    print(f"machine: {benchjson.cpu_model()}, {os.cpu_count()} CPUs; {time.strftime('%Y-%m-%d %H:%M')}")
    threads = a.threads or os.cpu_count()
    load0 = os.getloadavg()
    print(f"NumPy {np.__version__}; {threads} threads each; load average at start: {load0}")
    jrows = []
    for n in sizes:
        iters = max(3, min(20000, int(1e10 / (2 * n ** 3))))
        npy, gos = [], []
        for _ in range(a.pairs):
            npy.append(numpy_run(n, iters))
            gos.append(go_run(binary, n, iters))
        print(f"{n}x{n}x{n} float32, {a.pairs} pairs of runs, {iters} products per run:")
        np_med = summary("OpenBLAS", n, npy)
        go_med = summary("kerasgo", n, gos)
        pair = sorted(p[0] / g[0] for p, g in zip(npy, gos))
        print(f"  ratio kerasgo/OpenBLAS GFLOP/s: {np_med / go_med:.2f} (ratio of medians); "
              f"per pair {pair[0]:.2f} .. {pair[-1]:.2f}")
        jrows.append(benchjson.row(f"gemm{n}", f"float32 matrix product {n}\u00b3, {threads} threads", gos,
                                   {f"NumPy {np.__version__} (OpenBLAS, {core} kernels)": npy}, metric="gflops", flop=2.0 * n ** 3))
    load1 = os.getloadavg()
    print(f"load average at end: {load1}")
    benchjson.write(a.json, "bench_gemm.py", jrows, load0, load1, {"numpy": np.__version__, "OpenBLAS kernels": core})


if __name__ == "__main__":
    main()
