#!/usr/bin/env python3
"""`make bench-compare`: runs the comparison scripts against TensorFlow, ONNX Runtime and
NumPy/OpenBLAS on this machine and rewrites the README's table between the markers
<!-- bench-compare:begin --> and <!-- bench-compare:end --> (issue 16).

Every ABAB script (bench_predict, bench_fit, bench_gemm, bench_dense, bench_lstm,
bench_transformer, bench_files, bench_resnet50 (predict), bench_mobile; each alternates
kerasgo and the other side for --pairs pairs)
runs in
--sessions separate sessions, one after the other, and writes its samples as JSON
(scripts/benchjson.py). For each job and each other engine a session gives the ratio of the
medians (kerasgo wall / other wall; for GFLOP/s rows kerasgo GFLOP/s / other GFLOP/s), the
range of the per-pair ratios (the noise that session saw) and the ratio of median CPU seconds.

A ratio is published when the sessions' ratios of medians differ by no more than the noise
the sessions saw (for every two sessions, the larger of their per-pair ranges, hi - lo);
otherwise the table says "not reproduced" in its place (the
sessions' ratios are in the script's output, not in the README) and no target is judged
from it. The file-format rows (bench_files.py: .h5 load/save, checkpoint write/read) follow
the same rules; a save or write that one side syncs and the other does not is also timed with
sync off and with sync on both sides.

The issue's targets are checked on the reproduced figures: seed predict at batches 1, 32 and
512 at most 1.0 of both tf.function and ONNX Runtime (so of the faster one), the seed fit
epoch at most 1.0 of model.fit, the 2048-cube product and the 25M-parameter Dense predict at
least 0.7 of OpenBLAS's GFLOP/s.

Usage: .venv/bin/python scripts/bench_compare.py [--sessions 2] [--pairs 5]
       [--readme README.md | --no-readme] [--only predict,fit,...] [--from-json DIR]
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

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import benchjson  # noqa: E402

BEGIN = "<!-- bench-compare:begin -->"
END = "<!-- bench-compare:end -->"

# name → (script, extra arguments)
ABAB = {
    "predict": ("bench_predict.py", []),
    "fit": ("bench_fit.py", ["--images", "10000"]),
    "gemm": ("bench_gemm.py", ["--sizes", "2048,512"]),
    "dense": ("bench_dense.py", []),
    "lstm": ("bench_lstm.py", []),
    "transformer": ("bench_transformer.py", []),
    "files": ("bench_files.py", []),
    "resnet50": ("bench_resnet50.py", ["--jobs", "predict"]),
    "mobile": ("bench_mobile.py", []),
}

# (row key, engine name prefix) → (comparison, bound) of issue 16's targets.
TARGETS = {
    ("predict1", "TF tf.function"): ("<=", 1.0), ("predict1", "ONNX Runtime"): ("<=", 1.0),
    ("predict32", "TF tf.function"): ("<=", 1.0), ("predict32", "ONNX Runtime"): ("<=", 1.0),
    ("predict512", "TF tf.function"): ("<=", 1.0), ("predict512", "ONNX Runtime"): ("<=", 1.0),
    ("fit", "model.fit"): ("<=", 1.0),
    ("gemm2048", "NumPy"): (">=", 0.7),
    ("dense25m", "NumPy"): (">=", 0.7),
}


def target_for(key, engine):
    for (k, prefix), t in TARGETS.items():
        if k == key and engine.startswith(prefix):
            return t
    return None


def run_abab(name, session, pairs, outdir):
    script, extra = ABAB[name]
    path = os.path.join(outdir, f"{name}-{session}.json")
    cmd = [sys.executable, os.path.join(HERE, script), "--pairs", str(pairs), "--json", path] + extra
    print(f"== session {session}: {' '.join(cmd[1:])}", flush=True)
    p = subprocess.run(cmd, cwd=ROOT, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    sys.stdout.write(p.stdout)
    if p.returncode != 0 or not os.path.exists(path):
        sys.exit(f"bench_compare: {script} failed (exit {p.returncode})")
    with open(path) as f:
        return json.load(f)


def med(xs):
    return statistics.median(xs)


def session_figures(row, engine):
    """(ratio of medians, per-pair lo, hi, CPU ratio, go wall median, go cpu, ref wall, ref cpu)."""
    go = row["go"]
    ref = row["refs"][engine]
    gw, gc = med([s[0] for s in go]), med([s[1] for s in go])
    rw, rc = med([s[0] for s in ref]), med([s[1] for s in ref])
    if row["metric"] == "gflops":
        r = rw / gw
        pairs = [t[0] / g[0] for g, t in zip(go, ref)]
    else:
        r = gw / rw
        pairs = [g[0] / t[0] for g, t in zip(go, ref)]
    cpu = gc / rc  # CPU seconds per call, kerasgo / other
    return {"r": r, "lo": min(pairs), "hi": max(pairs), "cpu": cpu, "gw": gw, "gc": gc, "rw": rw, "rc": rc}


def reproduced(figs):
    """Whether the sessions' ratios of medians differ by no more than the noise the sessions
    saw: the larger of the two sessions' per-pair ranges (hi - lo), for every two sessions."""
    return all(abs(a["r"] - b["r"]) <= max(a["hi"] - a["lo"], b["hi"] - b["lo"]) for a in figs for b in figs)


def fmt_num(x):
    if x >= 100:
        return f"{x:.0f}"
    if x >= 10:
        return f"{x:.1f}"
    if x >= 1:
        return f"{x:.2f}"
    return f"{x:.3g}"


def fmt_ratio(x):
    return f"{x:.2f}" if x >= 0.095 else f"{x:.2g}"


def fmt_time(row, wall, cpu):
    if row["metric"] == "gflops":
        return f"{fmt_num(row['flop'] / wall / 1e9)} GFLOP/s ({fmt_num(wall * 1e3)} ms, CPU {fmt_num(cpu * 1e3)} ms)"
    scale = 1e3 if row["unit"] == "ms" else 1.0
    return f"{fmt_num(wall * scale)} (CPU {fmt_num(cpu * scale)}) {row['unit']}"


def compute_table(sessions):
    """sessions: list of {name: doc}. Returns markdown lines and a list of target verdicts."""
    lines = ["| job | kerasgo, per session | other side, per session | kerasgo / other (wall; per-pair range) | CPU kerasgo / other | reproduced | target |",
             "|---|---|---|---|---|---|---|"]
    verdicts = []
    names = [n for n in ABAB if all(n in s for s in sessions)]
    for name in names:
        for ri, row0 in enumerate(sessions[0][name]["rows"]):
            rows = [s[name]["rows"][ri] for s in sessions]
            for engine in row0["refs"]:
                figs = [session_figures(r, engine) for r in rows]
                ok = reproduced(figs)
                what = "kerasgo GFLOP/s / other" if row0["metric"] == "gflops" else ""
                ratio = "; ".join(f"{fmt_ratio(f['r'])} ({fmt_ratio(f['lo'])}–{fmt_ratio(f['hi'])})" for f in figs)
                if what:
                    ratio += " (speed)"
                cpu = ", ".join(fmt_ratio(f["cpu"]) for f in figs)
                t = target_for(row0["key"], engine)
                verdict = ""
                if t is not None:
                    op, bound = t
                    if not ok:
                        verdict = f"{op} {bound}: not judged (not reproduced)"
                        met = None
                    else:
                        met = all((f["r"] <= bound) if op == "<=" else (f["r"] >= bound) for f in figs)
                        verdict = f"{op} {bound}: {'met' if met else 'NOT met'}"
                    verdicts.append((row0["job"], engine, op, bound, met, [f["r"] for f in figs]))
                lines.append("| " + " | ".join([
                    row0["job"],
                    "; ".join(fmt_time(r, f["gw"], f["gc"]) for r, f in zip(rows, figs)),
                    engine + ": " + "; ".join(fmt_time(r, f["rw"], f["rc"]) for r, f in zip(rows, figs)),
                    ratio if ok else "not reproduced (not published)",
                    cpu if ok else "",
                    "yes" if ok else "no",
                    verdict,
                ]) + " |")
    return lines, verdicts


def go_version():
    try:
        return subprocess.run(["go", "env", "GOVERSION"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return "go ?"


def render(sessions, pairs, started, finished):
    first = next(iter(sessions[0].values()))
    loads = []
    for s in sessions:
        for name, doc in s.items():
            loads += [doc["load_start"][0], doc["load_end"][0]]
    versions = {}
    for s in sessions:
        for doc in s.values():
            versions.update(doc.get("versions") or {})
    vs = ", ".join(f"{k} {v}" for k, v in sorted(versions.items()))
    out = [BEGIN,
           f"Generated by `make bench-compare` (scripts/bench_compare.py) on {started} to "
           f"{finished}: {first['machine']}, {first['cpus']} CPUs, {platform.system()} "
           f"{platform.release()}, {go_version()}, {vs}. "
           f"{len(sessions)} sessions, one after the other, each of {pairs} alternating kerasgo / "
           f"other-side pairs per job; load average (1 min) between {min(loads):.1f} and {max(loads):.1f}. "
           "Times are medians of a session's samples (wall, with CPU seconds of all threads in brackets). "
           "A ratio counts as reproduced when the sessions' ratios of medians differ by no more than the "
           "larger of their ranges of per-pair ratios (the noise each session saw); a target is judged "
           "only on reproduced figures and holds when every session meets it.",
           ""]
    lines, verdicts = compute_table(sessions)
    out += lines
    if any("files" in s for s in sessions):
        out += ["", "File-format rows (scripts/bench_files.py): every operation is a new process on each "
                "side, timed inside it; `sync` runs untimed before each one; the side that goes first "
                "alternates from pair to pair."]
    if verdicts:
        out += ["", "Issue 16's targets: " + "; ".join(
            f"{job} against {eng} {op} {bound}: " +
            ("not judged (not reproduced)" if met is None
             else ("met" if met else "NOT met") + " (" + ", ".join(f"{x:.2f}" for x in rs) + ")")
            for job, eng, op, bound, met, rs in verdicts) + "."]
    out.append(END)
    return "\n".join(out), verdicts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sessions", type=int, default=2)
    ap.add_argument("--pairs", type=int, default=5)
    ap.add_argument("--only", default="", help="comma-separated jobs among " + ",".join(ABAB))
    ap.add_argument("--readme", default=os.path.join(ROOT, "README.md"))
    ap.add_argument("--no-readme", action="store_true", help="print the table only")
    ap.add_argument("--keep-json", default="", help="keep the sessions' JSON files in this folder")
    ap.add_argument("--from-json", default="", help="render from a folder of kept JSON files, running nothing")
    a = ap.parse_args()
    if a.sessions < 2 and not a.from_json:
        sys.exit("--sessions must be at least 2: a figure seen once is not known to reproduce")
    only = set(filter(None, a.only.split(","))) or set(ABAB)
    if not only <= set(ABAB):
        sys.exit(f"bench_compare: --only takes {','.join(ABAB)}")
    started = benchjson.now()
    outdir = a.from_json or a.keep_json or tempfile.mkdtemp(prefix="bench_compare")
    os.makedirs(outdir, exist_ok=True)
    sessions = []
    if a.from_json:
        files = sorted(os.listdir(outdir))
        n = max([int(m.group(1)) for f in files if (m := re.match(r".*-(\d+)\.json$", f))] or [0])
        for s in range(1, n + 1):
            docs = {}
            for name in ABAB:
                p = os.path.join(outdir, f"{name}-{s}.json")
                if os.path.exists(p):
                    with open(p) as f:
                        docs[name] = json.load(f)
            sessions.append(docs)
        started = min(d["date"] for s in sessions for d in s.values())
        finished = max(d["date"] for s in sessions for d in s.values())
    else:
        for s in range(1, a.sessions + 1):
            sessions.append({name: run_abab(name, s, a.pairs, outdir) for name in ABAB if name in only})
    if not a.from_json:
        finished = benchjson.now()
    block, verdicts = render(sessions, a.pairs, started, finished)
    print()
    print(block)
    if a.no_readme or a.only:
        print("\nREADME not rewritten (--no-readme or --only: the table holds every job)")
        return
    with open(a.readme) as f:
        text = f.read()
    i, j = text.find(BEGIN), text.find(END)
    if i < 0 or j < i:
        sys.exit(f"bench_compare: {a.readme} has no {BEGIN} ... {END} block")
    text = text[:i] + block + text[j + len(END):]
    tmp = a.readme + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, a.readme)
    print(f"\nrewrote the table in {a.readme} (samples in {outdir})")


if __name__ == "__main__":
    main()
