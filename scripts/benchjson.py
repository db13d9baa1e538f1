"""Machine-readable results of the comparison scripts (bench_*.py --json FILE), read by
scripts/bench_compare.py to regenerate the README's table.

A file holds one session of one script:
  {"script": name, "machine": CPU model, "cpus": n, "date": UTC time, "load_start": [1, 5, 15 min],
   "load_end": [...], "versions": {...},
   "rows": [{"key": id, "job": text, "unit": "ms" or "s", "metric": "time" or "gflops",
             "flop": flops per call (gflops rows), "go": [[wall s, cpu s] per pair],
             "refs": {engine name: [[wall s, cpu s] per pair]}}]}
The i-th sample of "go" and of each engine were taken in the i-th A B pair.
"""
import datetime
import json
import os


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def write(path, script, rows, load_start, load_end, versions=None):
    """Writes one session's results to path (nothing when path is empty)."""
    if not path:
        return
    doc = {"script": script, "machine": cpu_model(), "cpus": os.cpu_count(), "date": now(),
           "load_start": list(load_start), "load_end": list(load_end), "versions": versions or {},
           "rows": rows}
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=1)
    os.replace(tmp, path)


def row(key, job, go, refs, unit="ms", metric="time", flop=None):
    r = {"key": key, "job": job, "unit": unit, "metric": metric,
         "go": [list(s) for s in go], "refs": {k: [list(s) for s in v] for k, v in refs.items()}}
    if flop is not None:
        r["flop"] = flop
    return r


def prefer_openblas_avx512():
    """NumPy's OpenBLAS (DYNAMIC_ARCH) runs the kernel set OPENBLAS_CORETYPE names, else the
    one it picks by CPU model; this machine's environment sets OPENBLAS_CORETYPE=Haswell (AVX2),
    and OpenBLAS's own pick can be Haswell on AVX-512 CPUs it does not know. Its SkylakeX
    (AVX-512) kernels are faster on the same CPU, and the comparison is against the fastest
    OpenBLAS this CPU runs: where the CPU has AVX-512F, OPENBLAS_CORETYPE becomes SkylakeX
    for the run (KERASGO_BENCH_OPENBLAS_CORETYPE, when set, names another). Call before NumPy
    is imported."""
    want = os.environ.get("KERASGO_BENCH_OPENBLAS_CORETYPE", "")
    if not want:
        try:
            with open("/proc/cpuinfo") as f:
                flags = next((l for l in f if l.startswith("flags")), "").split()
        except OSError:
            flags = []
        if "avx512f" in flags:
            want = "SkylakeX"
    if want:
        os.environ["OPENBLAS_CORETYPE"] = want


def openblas_core():
    """The kernel set NumPy's OpenBLAS runs in this process ("?" when it can't be asked)."""
    import ctypes
    import glob
    import numpy as np
    base = os.path.dirname(np.__file__)
    for lib in glob.glob(os.path.join(base, "..", "numpy.libs", "*openblas*")) + glob.glob(os.path.join(base, ".libs", "*openblas*")):
        try:
            dll = ctypes.CDLL(lib)
        except OSError:
            continue
        for fn in ("scipy_openblas_get_corename64_", "scipy_openblas_get_corename", "openblas_get_corename64_", "openblas_get_corename"):
            f = getattr(dll, fn, None)
            if f is not None:
                f.restype = ctypes.c_char_p
                return f().decode()
    return "?"
