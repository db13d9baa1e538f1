#!/usr/bin/env python3
"""File-format comparison for `make bench-compare`: kerasgo against tf_keras / TensorFlow on
one machine, in alternating pairs, with the same samples format as the compute scripts
(scripts/benchjson.py).

Jobs (every operation is one new process on each side, timed inside the process from
just before the operation to just after it, wall and CPU seconds of all threads):
  h5          a ~25M-parameter Sequential .h5 (made once by tf_keras): load; save as each
              ships (kerasgo syncs the file and its folder, h5py never does); save with sync
              off on both sides (h5.WriteOptions{NoSync}); save with sync on both sides
              (tf_keras's file and folder fsynced after model.save, inside the timing).
  checkpoint  a 419 MB TF checkpoint (100 float32 tensors of 1024x1024): write as shipped,
              with sync off and on both sides, and read (kerasgo checks every crc32c).

Each pair runs every operation once on each side, the side that goes first alternating from
one pair to the next (ABBA BAAB ...), and `sync` runs (untimed) before every operation so no
side inherits the other's dirty pages. Reads find the files their side wrote in the same pair
in the page cache. scripts/bench_h5.sh and scripts/bench_checkpoint.sh run the same
operations once each and also print peak RSS and plain cp/dd copies.

usage: .venv/bin/python scripts/bench_files.py [--pairs 5] [--only h5,checkpoint] [--json FILE]
"""
import argparse
import importlib.metadata
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import benchjson  # noqa: E402


def timed(cmd, key):
    """Runs one operation in a new process after an untimed sync; returns (wall s, CPU s, the
    JSON it printed)."""
    subprocess.run(["sync"], check=True)
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"bench_files: {' '.join(cmd)} failed (exit {p.returncode}):\n{p.stdout}{p.stderr}")
    line = [l for l in p.stdout.splitlines() if l.startswith("{")][-1]
    doc = json.loads(line)
    return doc[key], doc.get("cpu", 0.0), doc


def build(work):
    env = dict(os.environ)
    for out, pkg in (("bench_h5", "scripts/bench_h5.go"), ("bench_checkpoint", "./scripts/bench_checkpoint")):
        p = subprocess.run(["go", "build", "-o", os.path.join(work, out), pkg], cwd=ROOT, env=env,
                           capture_output=True, text=True)
        if p.returncode != 0:
            sys.exit(f"bench_files: go build {pkg} failed:\n{p.stdout}{p.stderr}")


def show(name, samples):
    walls = [s[0] for s in samples]
    cpus = [s[1] for s in samples]
    print(f"  {name:44s} median {statistics.median(walls):.3f} s (min {min(walls):.3f}), "
          f"CPU {statistics.median(cpus):.3f} s")


def h5_pairs(work, pairs):
    py, go = sys.executable, os.path.join(work, "bench_h5")
    ref = os.path.join(work, "ref.h5")
    _, _, doc = timed([py, os.path.join(HERE, "bench_h5.py"), "make", ref], "seconds")
    params = doc["params"]
    s = {k: [] for k in ("go_load", "py_load", "go_save", "py_save", "go_ns", "py_fs")}
    for i in range(pairs):
        out = os.path.join(work, f"h5-{i}")
        os.makedirs(out)
        steps = [
            (("go_load", [go, "load", ref]), ("py_load", [py, os.path.join(HERE, "bench_h5.py"), "load", ref])),
            (("go_save", [go, "save", ref, os.path.join(out, "go.h5")]),
             ("py_save", [py, os.path.join(HERE, "bench_h5.py"), "save", ref, os.path.join(out, "py.h5")])),
            (("go_ns", [go, "save-nosync", ref, os.path.join(out, "go_ns.h5")]),
             ("py_fs", [py, os.path.join(HERE, "bench_h5.py"), "save-fsync", ref, os.path.join(out, "py_fs.h5")])),
        ]
        for a, b in steps:
            for name, cmd in ((a, b) if i % 2 == 0 else (b, a)):
                w, c, _ = timed(cmd, "seconds")
                s[name].append((w, c))
        shutil.rmtree(out)
        print(f"  h5 pair {i + 1}/{pairs}: " + ", ".join(f"{k} {v[-1][0]:.3f}" for k, v in s.items()), flush=True)
    size = f".h5 of {params / 1e6:.1f}M parameters"
    for k, v in s.items():
        show(k, v)
    return [
        benchjson.row("h5load", f"{size}: load", s["go_load"], {"tf_keras load_model": s["py_load"]}, unit="s"),
        benchjson.row("h5save", f"{size}: save as each ships (kerasgo syncs, h5py never does)", s["go_save"],
                      {"tf_keras model.save": s["py_save"]}, unit="s"),
        benchjson.row("h5save_nosync", f"{size}: save, sync off on both sides", s["go_ns"],
                      {"tf_keras model.save": s["py_save"]}, unit="s"),
        benchjson.row("h5save_sync", f"{size}: save, sync on both sides", s["go_save"],
                      {"tf_keras model.save + fsync": s["py_fs"]}, unit="s"),
    ]


def checkpoint_pairs(work, pairs):
    py, go = sys.executable, os.path.join(work, "bench_checkpoint")
    pyscript = os.path.join(HERE, "bench_checkpoint.py")
    s = {k: [] for k in ("go_write", "tf_write", "go_ns", "tf_fs", "go_read", "tf_read")}
    nbytes = 0
    for i in range(pairs):
        out = os.path.join(work, f"ck-{i}")
        for d in ("go", "tf", "go_ns", "tf_fs"):
            os.makedirs(os.path.join(out, d))
        p = lambda d: os.path.join(out, d, "ckpt")  # noqa: E731
        steps = [
            (("go_write", [go, "write", p("go")], "write_s"), ("tf_write", [py, pyscript, "write", p("tf")], "write_s")),
            (("go_ns", [go, "write-nosync", p("go_ns")], "write_s"), ("tf_fs", [py, pyscript, "write-fsync", p("tf_fs")], "write_s")),
            (("go_read", [go, "read", p("go")], "read_s"), ("tf_read", [py, pyscript, "read", p("tf")], "read_s")),
        ]
        for a, b in steps:
            for name, cmd, key in ((a, b) if i % 2 == 0 else (b, a)):
                w, c, doc = timed(cmd, key)
                s[name].append((w, c))
                nbytes = doc.get("bytes", nbytes)
            if a[0] == "go_ns":  # only the as-shipped files are read back
                shutil.rmtree(os.path.join(out, "go_ns"))
                shutil.rmtree(os.path.join(out, "tf_fs"))
        shutil.rmtree(out)
        print(f"  checkpoint pair {i + 1}/{pairs}: " + ", ".join(f"{k} {v[-1][0]:.3f}" for k, v in s.items()), flush=True)
    size = f"checkpoint of {nbytes / 1e6:.0f} MB"
    for k, v in s.items():
        show(k, v)
    return [
        benchjson.row("ckwrite", f"{size}: write as each ships (kerasgo syncs, TF never does)", s["go_write"],
                      {"tf.train.Checkpoint write": s["tf_write"]}, unit="s"),
        benchjson.row("ckwrite_nosync", f"{size}: write, sync off on both sides", s["go_ns"],
                      {"tf.train.Checkpoint write": s["tf_write"]}, unit="s"),
        benchjson.row("ckwrite_sync", f"{size}: write, sync on both sides", s["go_write"],
                      {"tf.train.Checkpoint write + fsync": s["tf_fs"]}, unit="s"),
        benchjson.row("ckread", f"{size}: read (kerasgo checks every crc32c)", s["go_read"],
                      {"tf.train.Checkpoint read": s["tf_read"]}, unit="s"),
    ]


def version(pkg):
    try:
        return importlib.metadata.version(pkg)
    except importlib.metadata.PackageNotFoundError:
        return "?"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", type=int, default=5, help="alternating pairs (>= 5)")
    ap.add_argument("--only", default="h5,checkpoint", help="h5, checkpoint or both")
    ap.add_argument("--json", default="", help="write the samples to this file (scripts/benchjson.py)")
    a = ap.parse_args()
    only = set(a.only.split(","))
    if not only <= {"h5", "checkpoint"}:
        sys.exit(f"bench_files: --only takes h5 and checkpoint, not {a.only}")
    work = tempfile.mkdtemp(prefix="bench_files")
    try:
        build(work)
        print(f"machine: {benchjson.cpu_model()}, {os.cpu_count()} CPUs; {benchjson.now()}")
        load0 = os.getloadavg()
        print(f"load average at start: {load0}")
        rows = []
        if "h5" in only:
            rows += h5_pairs(work, a.pairs)
        if "checkpoint" in only:
            rows += checkpoint_pairs(work, a.pairs)
        load1 = os.getloadavg()
        print(f"load average at end: {load1}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for r in rows:
        for eng, ref in r["refs"].items():
            ratios = sorted(g[0] / t[0] for g, t in zip(r["go"], ref))
            gw = statistics.median(g[0] for g in r["go"])
            tw = statistics.median(t[0] for t in ref)
            print(f"{r['job']}: kerasgo / {eng} {gw / tw:.2f} (ratio of medians); per pair "
                  f"{ratios[0]:.2f} .. {ratios[-1]:.2f}")
    benchjson.write(a.json, "bench_files.py", rows, load0, load1,
                    {"tensorflow": version("tensorflow") if version("tensorflow") != "?" else version("tensorflow-cpu"),
                     "tf_keras": version("tf-keras"), "h5py": version("h5py")})


if __name__ == "__main__":
    main()
