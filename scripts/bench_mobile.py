#!/usr/bin/env python3
"""MobileNetV2 and EfficientNetB0 inference in kerasgo and in TensorFlow (tf_keras) on this
machine, alternating (issue 11).

Jobs (keras.applications, classes=10, random weights, 224x224x3 inputs):
  mnv2_1     MobileNetV2(alpha=0.35) on 1 image
  mnv2_32    MobileNetV2(alpha=0.35) on a batch of 32
  effb0_32   EfficientNetB0 on a batch of 32
Each sample is the mean of --reps calls after a warm-up call. TF: model.predict and a traced
tf.function calling the model (the bare graph), built by tf_keras.applications. Go: the
benchmarks BenchmarkMobileNetV2Predict1, BenchmarkMobileNetV2Predict32 and
BenchmarkEfficientNetB0Predict32 of package model (go test -c, one process per sample; the
model is built from tf_keras's config in the applications_mobile cache with the input widened
to 224x224x3). Go and TF processes alternate A B A B ... for --pairs pairs; each side reports
wall seconds and CPU seconds (user + system, all threads) per call; the script prints medians,
minima, the ratio Go/TF of the medians and the load average before and after.

Usage: .venv/bin/python scripts/bench_mobile.py [--pairs 5] [--reps 3] [--json FILE]
(--json: the samples for scripts/bench_compare.py, as scripts/benchjson.py describes)
The applications_mobile cache is generated first if missing (testdata/gen/applications_mobile.py).
"""
import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import benchjson  # noqa: E402
ENV = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="", KERAS_BACKEND="tensorflow",
           TF_USE_LEGACY_KERAS="0", PYTHONDONTWRITEBYTECODE="1", KERASGO_PYTHON=sys.executable)
TITLES = {"mnv2": "MobileNetV2 (alpha 0.35)", "effb0": "EfficientNetB0"}
JOBS = {"mnv2_1": ("BenchmarkMobileNetV2Predict1", "mnv2", 1),
        "mnv2_32": ("BenchmarkMobileNetV2Predict32", "mnv2", 32),
        "effb0_32": ("BenchmarkEfficientNetB0Predict32", "effb0", 32)}


def child(reps):
    """TF side: one JSON line per job."""
    import numpy as np
    import tensorflow as tf
    import tf_keras as keras
    models = {"mnv2": keras.applications.MobileNetV2(weights=None, input_shape=(224, 224, 3), alpha=0.35, classes=10),
              "effb0": keras.applications.EfficientNetB0(weights=None, input_shape=(224, 224, 3), classes=10)}
    rng = np.random.default_rng(3)
    for job, (_, mname, n) in JOBS.items():
        m = models[mname]
        fn = tf.function(lambda t, m=m: m(t, training=False))
        x = rng.random((n, 224, 224, 3), dtype=np.float32)
        xt = tf.constant(x)
        m.predict(x, batch_size=n, verbose=0)  # warm-up (tracing)
        fn(xt).numpy()
        res = {"job": job}
        for what, call in (("predict", lambda: m.predict(x, batch_size=n, verbose=0)), ("fn", lambda: fn(xt).numpy())):
            w0, c0 = time.perf_counter(), time.process_time()
            for _ in range(reps):
                call()
            res[what] = [(time.perf_counter() - w0) / reps, (time.process_time() - c0) / reps]
        print(json.dumps(res), flush=True)


def run(cmd, cwd=ROOT):
    p = subprocess.run(cmd, cwd=cwd, env=ENV, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stdout}\n{p.stderr[-3000:]}")
    return p.stdout


def go_run(binary, reps):
    """One Go process running the three benchmarks: {job: (wall s, cpu s)}."""
    names = "|".join(v[0] for v in JOBS.values())
    out = run([binary, "-test.run", "^$", "-test.bench", f"^({names})$", "-test.benchtime", f"{reps}x"],
              cwd=os.path.join(ROOT, "model"))
    res = {}
    for j, (bench, _, _) in JOBS.items():
        m = re.search(bench + r"(?:-\d+)?\s+\d+\s+(\d+(?:\.\d+)?) ns/op.*?(\d+(?:\.\d+)?) cpu-s/op", out)
        if not m:
            sys.exit(f"no result for {bench} in:\n{out}")
        res[j] = (float(m.group(1)) / 1e9, float(m.group(2)))
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pairs", type=int, default=5)
    ap.add_argument("--reps", type=int, default=3, help="predict calls per sample")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--json", default="", help="write the samples to this file (scripts/benchjson.py)")
    a = ap.parse_args()
    if a.child:
        return child(a.reps)

    subprocess.run([sys.executable, os.path.join(ROOT, "testdata", "gen", "applications_mobile.py")], env=ENV, check=True)
    tmp = tempfile.mkdtemp()
    binary = os.path.join(tmp, "model.test")
    subprocess.run(["go", "test", "-c", "-o", binary, "./model/"], cwd=ROOT, env=ENV, check=True)

    load0 = os.getloadavg()
    go = {j: [] for j in JOBS}
    tf = {j: [] for j in JOBS}
    tf_fn = {j: [] for j in JOBS}
    for i in range(a.pairs):
        for j, v in go_run(binary, a.reps).items():
            go[j].append(v)
        for line in run([sys.executable, __file__, "--child", "--reps", str(a.reps)]).splitlines():
            d = json.loads(line)
            tf[d["job"]].append(tuple(d["predict"]))
            tf_fn[d["job"]].append(tuple(d["fn"]))
        print(f"pair {i + 1}/{a.pairs} (load {os.getloadavg()[0]:.1f}): " +
              ", ".join(f"{j} go {go[j][-1][0]:.3f}s tf {tf_fn[j][-1][0]:.3f}s" for j in JOBS), file=sys.stderr, flush=True)
    load1 = os.getloadavg()

    import tensorflow
    med = statistics.median
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"{platform.system()} {platform.release()}; TensorFlow {tensorflow.__version__} CPU; "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"load average (1, 5, 15 min) before {load0[0]:.1f} {load0[1]:.1f} {load0[2]:.1f}, "
          f"after {load1[0]:.1f} {load1[1]:.1f} {load1[2]:.1f}")
    print(f"{a.pairs} ABAB pairs; each sample: mean of {a.reps} calls after a warm-up")
    print(f"{'job':<10}{'side':<14}{'median s':>10}{'min s':>10}{'CPU s (med)':>13}")

    def row(job, side, xs):
        print(f"{job:<10}{side:<14}{med(x[0] for x in xs):10.4f}{min(x[0] for x in xs):10.4f}"
              f"{med(x[1] for x in xs):13.3f}")
    for j in JOBS:
        row(j, "kerasgo", go[j])
        row(j, "model.predict", tf[j])
        row(j, "tf.function", tf_fn[j])
        g = med(x[0] for x in go[j])
        print(f"{'':<10}ratio Go/TF (medians): {g / med(x[0] for x in tf[j]):.2f} against model.predict, "
              f"{g / med(x[0] for x in tf_fn[j]):.2f} against tf.function; CPU "
              f"{med(x[1] for x in go[j]) / med(x[1] for x in tf_fn[j]):.2f}x tf.function's; minima "
              f"{min(x[0] for x in go[j]) / min(x[0] for x in tf_fn[j]):.2f}")
    benchjson.write(a.json, "bench_mobile.py",
                    [benchjson.row(j, f"{TITLES[mname]} predict, batch {n} (224x224x3)", go[j],
                                   {"TF tf.function": tf_fn[j], "TF model.predict": tf[j]})
                     for j, (_, mname, n) in JOBS.items()],
                    load0, load1, {"tensorflow": tensorflow.__version__})


if __name__ == "__main__":
    main()
