#!/usr/bin/env python3
"""ResNet50 in kerasgo and in TensorFlow (tf_keras) on this machine, alternating (issue 10).

Jobs (keras.applications.ResNet50, classes=10, random weights):
  predict1, predict32   inference on 1 and on 32 images of 224x224x3 (each sample: mean of
                        --reps calls after a warm-up); TF: model.predict and a traced
                        tf.function calling the model (the bare graph)
  load_h5, load_keras   loading tfkeras/model.h5 (tf_keras load_model) and keras3/model.keras
                        (Keras 3 load_model) from the applications cache, one load in a fresh
                        process; its peak RSS is the whole process's (/usr/bin/time -v)
The Go side is the BenchmarkResNet50* benchmarks of package model (go test -c, run as one
process per sample). Go and TF processes alternate A B A B ... for --pairs pairs; each side
reports per sample wall seconds and CPU seconds (user + system, all threads); the script prints
medians, minima and the ratio Go/TF of the medians.

Usage: .venv/bin/python scripts/bench_resnet50.py [--pairs 5] [--reps 1] [--jobs predict,load]
       [--json FILE]   (about 10 minutes on 2 cores; --json: the samples for
       scripts/bench_compare.py, as scripts/benchjson.py describes)
The applications cache is generated first if missing (testdata/gen/applications.py, minutes).
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
GO_BENCH = {"predict1": "BenchmarkResNet50Predict1", "predict32": "BenchmarkResNet50Predict32",
            "load_h5": "BenchmarkResNet50LoadH5", "load_keras": "BenchmarkResNet50LoadKeras"}


def child_predict(reps):
    """TF side of predict1 and predict32: one JSON line per job."""
    import numpy as np
    import tensorflow as tf
    import tf_keras as keras
    m = keras.applications.ResNet50(weights=None, input_shape=(224, 224, 3), classes=10)
    fn = tf.function(lambda t: m(t, training=False))
    rng = np.random.default_rng(3)
    for n in (1, 32):
        x = rng.random((n, 224, 224, 3), dtype=np.float32)
        xt = tf.constant(x)
        m.predict(x, batch_size=n, verbose=0)  # warm-up (tracing)
        fn(xt).numpy()
        res = {"job": f"predict{n}"}
        for what, call in (("predict", lambda: m.predict(x, batch_size=n, verbose=0)), ("fn", lambda: fn(xt).numpy())):
            w0, c0 = time.perf_counter(), time.process_time()
            for _ in range(reps):
                call()
            res[what] = [(time.perf_counter() - w0) / reps, (time.process_time() - c0) / reps]
        print(json.dumps(res), flush=True)


def child_load(job, path):
    """TF side of load_h5 / load_keras: one load, timed inside the process."""
    import resource
    if job == "load_h5":
        import tf_keras as keras
    else:
        import keras
    import tensorflow  # noqa: F401  (imported before the baseline RSS is taken)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    w0, c0 = time.perf_counter(), time.process_time()
    keras.models.load_model(path)
    print(json.dumps({"job": job, "load": [time.perf_counter() - w0, time.process_time() - c0],
                      "base_rss_kib": base}), flush=True)


def run(cmd, cwd=ROOT):
    """Runs cmd; returns its stdout."""
    p = subprocess.run(cmd, cwd=cwd, env=ENV, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stdout}\n{p.stderr[-3000:]}")
    return p.stdout


def run_rss(cmd, cwd=ROOT):
    """Runs cmd under /usr/bin/time -v: stdout and peak RSS (MiB)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        p = subprocess.run(["/usr/bin/time", "-v", "-o", tf.name] + cmd, cwd=cwd, env=ENV,
                           capture_output=True, text=True)
        if p.returncode != 0:
            sys.exit(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stdout}\n{p.stderr[-3000:]}")
        rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", tf.read()).group(1))
    return p.stdout, rss / 1024


def go_run(binary, jobs, reps):
    """One Go process running the benchmarks of jobs: {job: (wall s, cpu s)}, peak RSS MiB."""
    names = "|".join(GO_BENCH[j] for j in jobs)
    times = "1x" if jobs[0].startswith("load") else f"{reps}x"
    out, rss = run_rss([binary, "-test.run", "^$", "-test.bench", f"^({names})$", "-test.benchtime", times],
                       cwd=os.path.join(ROOT, "model"))
    res = {}
    for j in jobs:
        m = re.search(GO_BENCH[j] + r"(?:-\d+)?\s+\d+\s+(\d+(?:\.\d+)?) ns/op.*?(\d+(?:\.\d+)?) cpu-s/op", out)
        if not m:
            sys.exit(f"no result for {GO_BENCH[j]} in:\n{out}")
        res[j] = (float(m.group(1)) / 1e9, float(m.group(2)))
    return res, rss


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pairs", type=int, default=5)
    ap.add_argument("--reps", type=int, default=1, help="predict calls per sample")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--path", help=argparse.SUPPRESS)
    ap.add_argument("--jobs", default="predict,load", help="predict, load or both")
    ap.add_argument("--json", default="", help="write the samples to this file (scripts/benchjson.py)")
    a = ap.parse_args()
    if a.child == "predict":
        return child_predict(a.reps)
    if a.child:
        return child_load(a.child, a.path)

    gen = os.path.join(ROOT, "testdata", "gen", "applications.py")
    subprocess.run([sys.executable, gen], env=ENV, check=True)
    apps = subprocess.run([sys.executable, gen, "--print-dir"], env=ENV, check=True, capture_output=True,
                          text=True).stdout.strip()
    files = {"load_h5": os.path.join(apps, "resnet50", "tfkeras", "model.h5"),
             "load_keras": os.path.join(apps, "resnet50", "keras3", "model.keras")}
    kinds = set(a.jobs.split(","))
    if not kinds <= {"predict", "load"}:
        sys.exit(f"--jobs takes predict and load, not {a.jobs}")
    if "load" not in kinds:
        files = {}
    jobs = [j for j in GO_BENCH if j in files or ("predict" in kinds and j.startswith("predict"))]
    tmp = tempfile.mkdtemp()
    binary = os.path.join(tmp, "model.test")
    subprocess.run(["go", "test", "-c", "-o", binary, "./model/"], cwd=ROOT, env=ENV, check=True)

    load0 = os.getloadavg()
    go = {j: [] for j in jobs}
    tf = {j: [] for j in jobs}
    tf_fn = {"predict1": [], "predict32": []}
    rss = {("go", j): [] for j in files} | {("tf", j): [] for j in files}
    base = []
    for i in range(a.pairs):
        # A: Go predict, B: TF predict; then A B for each load.
        if "predict" in kinds:
            r, _ = go_run(binary, ["predict1", "predict32"], a.reps)
            for j, v in r.items():
                go[j].append(v)
            out = run([sys.executable, __file__, "--child", "predict", "--reps", str(a.reps)])
            for line in out.splitlines():
                d = json.loads(line)
                tf[d["job"]].append(tuple(d["predict"]))
                tf_fn[d["job"]].append(tuple(d["fn"]))
        for j, path in files.items():
            r, peak = go_run(binary, [j], a.reps)
            go[j].append(r[j])
            rss[("go", j)].append(peak)
            out, peak = run_rss([sys.executable, __file__, "--child", j, "--path", path])
            d = json.loads(out.strip().splitlines()[-1])
            tf[j].append(tuple(d["load"]))
            rss[("tf", j)].append(peak)
            base.append(d["base_rss_kib"] / 1024)
        print(f"pair {i + 1}/{a.pairs}: " + ", ".join(f"{j} go {go[j][-1][0]:.3f}s tf {tf[j][-1][0]:.3f}s"
                                                     for j in jobs), file=sys.stderr, flush=True)
    load1 = os.getloadavg()

    import tensorflow
    med = statistics.median
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"{platform.system()} {platform.release()}; TensorFlow {tensorflow.__version__} CPU; "
          f"{time.strftime('%Y-%m-%d')}")
    print(f"ResNet50 (classes=10, random weights), {a.pairs} ABAB pairs; predict: mean of {a.reps} calls per sample")
    print(f"{'job':<12}{'side':<22}{'median s':>10}{'min s':>10}{'CPU s (med)':>13}{'peak RSS MiB':>14}")

    def row(job, side, xs, peaks=None):
        pk = f"{med(peaks):14.0f}" if peaks else ""
        print(f"{job:<12}{side:<22}{med(x[0] for x in xs):10.3f}{min(x[0] for x in xs):10.3f}"
              f"{med(x[1] for x in xs):13.2f}{pk}")
    for j in jobs:
        row(j, "kerasgo", go[j], rss.get(("go", j)))
        row(j, "tf_keras" if j != "load_keras" else "keras 3", tf[j], rss.get(("tf", j)))
        if j in tf_fn:
            row(j, "tf.function", tf_fn[j])
        ratio = med(x[0] for x in go[j]) / med(x[0] for x in tf[j])
        extra = ""
        if j in tf_fn:
            extra = f"; against tf.function {med(x[0] for x in go[j]) / med(x[0] for x in tf_fn[j]):.2f}"
        print(f"{'':<12}ratio Go/TF (medians): {ratio:.2f}{extra}")
    if base:
        print(f"TF process RSS after importing TF/Keras, before loading (median): {med(base):.0f} MiB")
    print(f"load average (1, 5, 15 min) before {load0[0]:.1f} {load0[1]:.1f} {load0[2]:.1f}, "
          f"after {load1[0]:.1f} {load1[1]:.1f} {load1[2]:.1f}")
    rows = []
    for j in jobs:
        if j.startswith("predict"):
            rows.append(benchjson.row(f"resnet50_{j}", f"ResNet50 predict, batch {j[len('predict'):]} (224x224x3)", go[j],
                                      {"TF tf.function": tf_fn[j], "TF model.predict": tf[j]}, unit="s"))
        else:
            what, lib = ("model.h5", "tf_keras") if j == "load_h5" else ("model.keras", "Keras 3")
            rows.append(benchjson.row(f"resnet50_{j}", f"ResNet50 load {what}", go[j], {f"{lib} load_model": tf[j]}, unit="s"))
    benchjson.write(a.json, "bench_resnet50.py", rows, load0, load1, {"tensorflow": tensorflow.__version__})


if __name__ == "__main__":
    main()
