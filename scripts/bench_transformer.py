#!/usr/bin/env python3
"""The Transformer encoder block in kerasgo and in TensorFlow (tf_keras), alternating (issue 12).

Job: the block of testdata/gen/layers_mha.py at sequence 128 (token and position Embeddings
of width 128 over a vocabulary of 1000, MultiHeadAttention with 4 heads of 32, residual Adds,
LayerNormalization, feed-forward Dense 512 relu and 128, GlobalAveragePooling1D, Dense 10
softmax; random weights) on one batch of 32 sequences; each sample is the mean of --reps
calls after a warm-up. TF: model.predict and a traced tf.function calling the model (the bare
graph). Go: BenchmarkTransformerBlockPredict32 of package model (go test -c, one process per
sample). Go and TF processes alternate A B A B ... for --pairs pairs; each side reports wall
seconds and CPU seconds (user + system, all threads) per call; the script prints medians,
minima and the ratios Go/TF of the medians.

Usage: .venv/bin/python scripts/bench_transformer.py [--pairs 5] [--reps 10]   (a few minutes)
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

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchjson  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENV = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="", KERAS_BACKEND="tensorflow",
           TF_USE_LEGACY_KERAS="0", PYTHONDONTWRITEBYTECODE="1")
VOCAB, SEQ, DIM, HEADS, KEY_DIM, FF, CLASSES, BATCH = 1000, 128, 128, 4, 32, 512, 10, 32
GO_BENCH = "BenchmarkTransformerBlockPredict32"


def child(reps):
    """TF side: one JSON line {"predict": [wall, cpu], "fn": [wall, cpu]} per call."""
    import numpy as np
    import tensorflow as tf
    import tf_keras as keras
    L = keras.layers
    tok = keras.Input((SEQ,), name="tokens")
    pos = keras.Input((SEQ,), name="positions")
    x = L.Add(name="embed")([L.Embedding(VOCAB, DIM, name="tok_emb")(tok), L.Embedding(SEQ, DIM, name="pos_emb")(pos)])
    a = L.MultiHeadAttention(num_heads=HEADS, key_dim=KEY_DIM, name="mha")(x, x)
    x = L.LayerNormalization(epsilon=1e-6, name="ln1")(L.Add(name="res1")([x, a]))
    f = L.Dense(FF, activation="relu", name="ffn1")(x)
    f = L.Dense(DIM, name="ffn2")(f)
    x = L.LayerNormalization(epsilon=1e-6, name="ln2")(L.Add(name="res2")([x, f]))
    x = L.GlobalAveragePooling1D(name="gap")(x)
    m = keras.Model([tok, pos], L.Dense(CLASSES, activation="softmax", name="head")(x))
    rng = np.random.default_rng(5)
    xs = [rng.integers(0, VOCAB, (BATCH, SEQ)).astype(np.float32),
          np.tile(np.arange(SEQ, dtype=np.float32), (BATCH, 1))]
    xt = [tf.constant(v) for v in xs]
    fn = tf.function(lambda a, b: m([a, b], training=False))
    m.predict(xs, batch_size=BATCH, verbose=0)  # warm-up (tracing)
    fn(*xt).numpy()
    res = {}
    for what, call in (("predict", lambda: m.predict(xs, batch_size=BATCH, verbose=0)), ("fn", lambda: fn(*xt).numpy())):
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
    out = run([binary, "-test.run", "^$", "-test.bench", f"^{GO_BENCH}$", "-test.benchtime", f"{reps}x"],
              cwd=os.path.join(ROOT, "model"))
    m = re.search(GO_BENCH + r"(?:-\d+)?\s+\d+\s+(\d+(?:\.\d+)?) ns/op.*?(\d+(?:\.\d+)?) cpu-s/op", out)
    if not m:
        sys.exit(f"no result for {GO_BENCH} in:\n{out}")
    return float(m.group(1)) / 1e9, float(m.group(2))


def stats(samples):
    w = [s[0] for s in samples]
    c = [s[1] for s in samples]
    return {"wall_median": statistics.median(w), "wall_min": min(w), "cpu_median": statistics.median(c),
            "cpu_min": min(c)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pairs", type=int, default=5)
    ap.add_argument("--reps", type=int, default=10, help="calls per sample")
    ap.add_argument("--json", default="", help="write the samples to this file (scripts/benchjson.py)")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        return child(a.reps)
    tmp = tempfile.mkdtemp()
    binary = os.path.join(tmp, "model.test")
    subprocess.run(["go", "test", "-c", "-o", binary, "./model/"], cwd=ROOT, env=ENV, check=True)
    load0 = os.getloadavg()
    go, tf, tf_fn = [], [], []
    for _ in range(a.pairs):
        go.append(go_run(binary, a.reps))  # A
        d = json.loads(run([sys.executable, __file__, "--child", "--reps", str(a.reps)]).strip().splitlines()[-1])  # B
        tf.append(tuple(d["predict"]))
        tf_fn.append(tuple(d["fn"]))
    g, t, f = stats(go), stats(tf), stats(tf_fn)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, load {os.getloadavg()}")
    print(f"Transformer block predict, batch {BATCH}, sequence {SEQ} ({a.pairs} pairs, {a.reps} calls per sample)")
    for name, s in (("kerasgo", g), ("TF model.predict", t), ("TF tf.function", f)):
        print(f"  {name:18s} wall median {s['wall_median'] * 1e3:8.1f} ms  min {s['wall_min'] * 1e3:8.1f} ms"
              f"   CPU median {s['cpu_median'] * 1e3:8.1f} ms  min {s['cpu_min'] * 1e3:8.1f} ms")
    print(f"  ratio Go/TF predict (medians): wall {g['wall_median'] / t['wall_median']:.2f}, "
          f"CPU {g['cpu_median'] / t['cpu_median']:.2f}")
    print(f"  ratio Go/TF tf.function (medians): wall {g['wall_median'] / f['wall_median']:.2f}, "
          f"CPU {g['cpu_median'] / f['cpu_median']:.2f}")
    print(json.dumps({"go": go, "tf_predict": tf, "tf_function": tf_fn}))
    benchjson.write(a.json, "bench_transformer.py",
                    [benchjson.row("transformer", f"Transformer encoder block predict, batch {BATCH} x {SEQ} steps", go,
                                   {"TF tf.function": tf_fn, "TF model.predict": tf})], load0, os.getloadavg())


if __name__ == "__main__":
    main()
