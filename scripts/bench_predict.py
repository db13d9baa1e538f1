#!/usr/bin/env python3
"""Seed model predict in kerasgo, TensorFlow and ONNX Runtime on this machine, alternating
(issues 2 and 16).

The seed model (Conv2D 16 3x3 relu, MaxPooling2D 4x4, BatchNormalization, Flatten, Dense 32
relu, Dropout, Dense 10 softmax) predicts one batch of 1, 32 and 512 images of 32x32x3.
  Go   BenchmarkPredict of package model (go test -c; one process per sample), per batch
       size one timed run of --calls calls after the benchmark's warm-up calls.
  TF   one process per sample (tf_keras, TensorFlow CPU): a traced tf.function calling the
       model (the bare graph) and model.predict(x, batch_size=n); the model converted by
       tf2onnx and run in ONNX Runtime (CPU, intra-op threads = CPUs) in the same process;
       each timed after two warm-up calls. Inputs: uniform [0, 1) float32 on both sides
       (different generators: the cost does not depend on the values).
The Go and TF processes alternate A B A B ... for --pairs pairs. Each sample is the mean
wall time per call over the run; CPU seconds (user+sys, all threads) per call are measured
in the same run (Go: getrusage; Python: time.process_time). The script prints, per batch
and engine, the median and minimum wall time, the median CPU time, and the ratio of the
Go median to each engine's median with the range of the per-pair ratios (the noise); the
load average at start and end. --markdown prints the README table rows.

Usage: .venv/bin/python scripts/bench_predict.py [--pairs 5] [--markdown]   (make bench-compare)
"""
import argparse
import datetime
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchjson  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENV = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="", PYTHONDONTWRITEBYTECODE="1")
BATCHES = (1, 32, 512)
# Calls per timed run: (Go and ONNX Runtime, tf.function, model.predict).
CALLS = {1: (2000, 300, 10), 32: (200, 100, 5), 512: (20, 10, 3)}


def child():
    """TF side: one JSON line {engine: {batch: [wall s/call, cpu s/call]}}."""
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
    fn = tf.function(lambda t: m(t, training=False))
    sess = None
    try:
        import onnxruntime as ort
        import tf2onnx
        spec = (tf.TensorSpec((None, 32, 32, 3), tf.float32, name="x"),)
        proto, _ = tf2onnx.convert.from_keras(m, input_signature=spec, opset=17)
        so = ort.SessionOptions()
        so.intra_op_num_threads = os.cpu_count()
        sess = ort.InferenceSession(proto.SerializeToString(), so, providers=["CPUExecutionProvider"])
    except ImportError:
        pass
    rng = np.random.default_rng(3)
    res = {"fn": {}, "predict": {}}
    if sess is not None:
        res["onnxruntime"] = {}
    for n in BATCHES:
        x = rng.random((n, 32, 32, 3), dtype=np.float32)
        xt = tf.constant(x)
        go_calls, fn_calls, pr_calls = CALLS[n]
        calls = {"fn": (lambda: fn(xt).numpy(), fn_calls),
                 "predict": (lambda: m.predict(x, batch_size=n, verbose=0), pr_calls)}
        if sess is not None:
            calls["onnxruntime"] = (lambda: sess.run(None, {"x": x}), go_calls)
            d = float(np.abs(sess.run(None, {"x": x})[0] - fn(xt).numpy()).max())
            res.setdefault("onnx_maxdiff", {})[n] = d
        for eng, (call, k) in calls.items():
            call()
            call()
            w0, c0 = time.perf_counter(), time.process_time()
            for _ in range(k):
                call()
            res[eng][n] = [(time.perf_counter() - w0) / k, (time.process_time() - c0) / k]
    res["versions"] = {"tensorflow": tf.__version__}
    if sess is not None:
        res["versions"]["onnxruntime"] = ort.__version__
        res["versions"]["tf2onnx"] = tf2onnx.__version__
    print(json.dumps(res), flush=True)


def go_sample(binary):
    out = {}
    for n in BATCHES:
        k = CALLS[n][0]
        cmd = [binary, "-test.run", "^$", "-test.bench", f"^BenchmarkPredict$/^batch={n}$", "-test.benchtime", f"{k}x"]
        p = subprocess.run(cmd, cwd=os.path.join(ROOT, "model"), capture_output=True, text=True, env=ENV)
        mt = re.search(r"\s(\d+(?:\.\d+)?) ns/op.*?\s(\d+(?:\.\d+)?(?:e-?\d+)?) cpu-s/op", p.stdout)
        if p.returncode != 0 or not mt:
            sys.exit("Go benchmark failed:\n" + p.stdout + p.stderr)
        out[n] = [float(mt.group(1)) / 1e9, float(mt.group(2))]
    return out


def tf_sample():
    p = subprocess.run([sys.executable, os.path.abspath(__file__), "--child"], capture_output=True, text=True, env=ENV)
    if p.returncode != 0:
        sys.exit("TF side failed:\n" + p.stdout + p.stderr)
    return json.loads(p.stdout.strip().splitlines()[-1])




def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", type=int, default=5)
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--json", default="", help="write the samples to this file (scripts/benchjson.py)")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        child()
        return
    load0 = os.getloadavg()
    tmp = tempfile.mkdtemp(prefix="kerasgo-bench-")
    binary = os.path.join(tmp, "model.test")
    b = subprocess.run(["go", "test", "-c", "-o", binary, "./model/"], cwd=ROOT, capture_output=True, text=True)
    if b.returncode != 0:
        sys.exit("go test -c failed:\n" + b.stdout + b.stderr)
    go, tf = [], []
    try:
        for i in range(a.pairs):
            go.append(go_sample(binary))
            tf.append(tf_sample())
            print(f"pair {i+1}/{a.pairs} done", file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    load1 = os.getloadavg()
    engines = [e for e in ("fn", "predict", "onnxruntime") if e in tf[0]]
    label = {"fn": "TF tf.function", "predict": "TF model.predict", "onnxruntime": "ONNX Runtime"}
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    print(f"machine: {benchjson.cpu_model()}, {os.cpu_count()} CPUs; {date}; versions {tf[0]['versions']}")
    print(f"load average at start {load0[0]:.1f} {load0[1]:.1f} {load0[2]:.1f}, at end {load1[0]:.1f} {load1[1]:.1f} {load1[2]:.1f}")
    print(f"{a.pairs} pairs Go/TF alternating; ms per call (median, min), CPU ms per call (median)")
    if "onnx_maxdiff" in tf[0]:
        print(f"ONNX Runtime vs tf.function max |diff|: {max(tf[0]['onnx_maxdiff'].values()):.2g}")
    rows = []
    for n in BATCHES:
        gw = [s[n][0] for s in go]
        gc = [s[n][1] for s in go]
        print(f"batch {n}:")
        print(f"  {'kerasgo Predict':18s} {statistics.median(gw)*1e3:9.3f} {min(gw)*1e3:9.3f}   cpu {statistics.median(gc)*1e3:9.3f}")
        row = {"batch": n, "go": statistics.median(gw), "go_cpu": statistics.median(gc)}
        for e in engines:
            tw = [s[e][str(n)][0] for s in tf]
            tc = [s[e][str(n)][1] for s in tf]
            r = statistics.median(gw) / statistics.median(tw)
            pr = [g / t for g, t in zip(gw, tw)]
            print(f"  {label[e]:18s} {statistics.median(tw)*1e3:9.3f} {min(tw)*1e3:9.3f}   cpu {statistics.median(tc)*1e3:9.3f}"
                  f"   Go/this {r:.2f} (pairs {min(pr):.2f}..{max(pr):.2f}), CPU Go/this {statistics.median(gc)/statistics.median(tc):.2f}")
            row[e] = statistics.median(tw)
            row[e + "_cpu"] = statistics.median(tc)
            row[e + "_range"] = (min(pr), max(pr))
        rows.append(row)
    jrows = []
    for n in BATCHES:
        jrows.append(benchjson.row(f"predict{n}", f"seed model predict, batch {n} (32x32x3)", [s[n] for s in go],
                                   {label[e]: [s[e][str(n)] for s in tf] for e in engines}))
    benchjson.write(a.json, "bench_predict.py", jrows, load0, load1, tf[0]["versions"])
    if a.markdown:
        print()
        print("| batch | kerasgo ms (CPU ms) | " + " | ".join(f"{label[e]} ms (CPU ms)" for e in engines) + " | " +
              " | ".join(f"Go/{label[e]} (pair range)" for e in engines) + " |")
        print("|---" * (2 + 2 * len(engines)) + "|")
        for r in rows:
            cells = [str(r["batch"]), f"{r['go']*1e3:.3g} ({r['go_cpu']*1e3:.3g})"]
            cells += [f"{r[e]*1e3:.3g} ({r[e+'_cpu']*1e3:.3g})" for e in engines]
            cells += [f"{r['go']/r[e]:.2f} ({r[e+'_range'][0]:.2f}–{r[e+'_range'][1]:.2f})" for e in engines]
            print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
