#!/usr/bin/env python3
"""kerasgo reference-fixture generator.

Usage:  .venv/bin/python testdata/gen/generate.py --out testdata [--only models|train|formats]

Every part runs in its own Python process (fresh TF/Keras state, deterministic layer
names), writes its directory under --out from scratch, then reloads what it wrote with
the real libraries and checks it (non-zero exit status on any mismatch).
"""

import argparse
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PARTS = ["models", "train", "formats", "verify", "layouts", "k3opt", "functional", "wonly", "layers_conv2d", "layers_norm", "layers_1d", "layers_rnn", "layers_attn", "plot", "layers_mha", "layers_wrap", "nested", "nonedims", "chfirst", "dtype16", "tfops", "conv2dt_dilation", "layers_activations", "layers_rnnstate", "tfops2", "bf16w", "layers_attnmask", "layers_attnscores"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(HERE, ".."), help="testdata directory")
    ap.add_argument("--only", choices=PARTS, action="append",
                    help="generate only this part (may be repeated)")
    args = ap.parse_args()
    out = os.path.abspath(args.out)
    parts = args.only or PARTS
    env = dict(os.environ)
    env.update({
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "CUDA_VISIBLE_DEVICES": "",
        "PYTHONHASHSEED": "0",
        "COLUMNS": "80",
        "TF_USE_LEGACY_KERAS": "0",
        "KERAS_BACKEND": "tensorflow",
        "PYTHONDONTWRITEBYTECODE": "1",
    })
    for part in parts:
        t0 = time.time()
        print(f"[gen] {part} -> {out}/{part}", file=sys.stderr, flush=True)
        rc = subprocess.call([sys.executable, os.path.join(HERE, part + ".py"), out], env=env, cwd=HERE)
        if rc != 0:
            print(f"[gen] {part} FAILED (exit {rc})", file=sys.stderr)
            sys.exit(rc)
        print(f"[gen] {part} done in {time.time() - t0:.0f}s", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
