"""testdata/dtype16/: 16-bit floating point (issue 11).

  rounding/        x.npy: float32 values (random over many magnitudes, exact float16/bfloat16
                   values, halfway cases, float16 subnormals and overflow); f16.npy, bf16.npy:
                   TensorFlow's tf.cast of x to float16 / bfloat16 and back to float32 (the
                   roundings kerasgo's mixed-precision emulation must reproduce).
  mixed_bfloat16_cnn/
                   a small CNN (Conv2D, BatchNormalization, ReLU, MaxPooling2D, Dense) built under
                   the mixed_bfloat16 policy with a float32 softmax output, in the per-case layout
                   of functional.py (gen_case/check_case: tf_keras model.h5, Keras 3 model.keras,
                   x0/y0/y0_keras3, configs, summaries, weights); the two libraries' predictions
                   agree within 2e-2 (bfloat16 compute: 8 significant bits).
  float16_mlp/     Dense layers built with dtype="float16" (16-bit variables and compute),
                   every format (tf_keras model.h5, weights.h5, ckpt/, savedmodel/;
                   Keras 3 model.keras, model.weights.h5, legacy.h5).
"""

import os

import functional
from common import VERSIONS, np, reset_dir, save_npy, tf, write_json


def rounding_values():
    rng = np.random.default_rng(1616)
    parts = [
        rng.standard_normal(200) * np.exp2(rng.integers(-30, 30, 200)),
        rng.uniform(-1, 1, 50),
        np.array([0.0, -0.0, 1.0, -1.0, 65504.0, 65519.0, 65520.0, 70000.0, -70000.0, 3e38, -3e38,
                  2.0 ** -14, 2.0 ** -24, 2.0 ** -25, 3 * 2.0 ** -26, 2.0 ** -126, 1e-40, np.inf, -np.inf]),
    ]
    x = np.concatenate(parts).astype(np.float32)
    # halfway between neighbouring float16 / bfloat16 values: ties go to even
    base = rng.uniform(1, 2, 40).astype(np.float32)
    f16 = base.astype(np.float16).astype(np.float32)
    half16 = (f16 + np.float32(2.0 ** -11)).astype(np.float32)
    bits = (base.view(np.uint32) & np.uint32(0xFFFF0000)) | np.uint32(0x8000)
    half_bf = bits.view(np.float32)
    return np.concatenate([x, half16, -half16, half_bf, -half_bf]).astype(np.float32)


def gen_rounding(out):
    d = os.path.join(out, "rounding")
    reset_dir(d)
    x = rounding_values()
    save_npy(os.path.join(d, "x.npy"), x)
    save_npy(os.path.join(d, "f16.npy"), tf.cast(tf.cast(x, tf.float16), tf.float32).numpy())
    save_npy(os.path.join(d, "bf16.npy"), tf.cast(tf.cast(x, tf.bfloat16), tf.float32).numpy())
    return {"values": int(x.size), "files": {"x.npy": "generator", "f16.npy": "tensorflow tf.cast",
                                             "bf16.npy": "tensorflow tf.cast"}}


def mixed_bfloat16_cnn(lib):
    mp = lib.mixed_precision
    prev = mp.global_policy()
    mp.set_global_policy("mixed_bfloat16")
    try:
        L = lib.layers
        inp = lib.Input((8, 8, 3), name="image")
        x = L.Conv2D(4, 3, padding="same", name="conv1")(inp)
        x = L.BatchNormalization(name="bn1")(x)
        x = L.Activation("relu", name="relu1")(x)
        x = L.MaxPooling2D(name="pool1")(x)
        x = L.Flatten(name="flat")(x)
        x = L.Dense(5, name="logits")(x)
        out = L.Activation("softmax", dtype="float32", name="probs")(x)
        return lib.Model(inp, out, name="mixed_bfloat16_cnn")
    finally:
        mp.set_global_policy(prev)


def dtype_mlp(dtype):
    """Dense layers whose variables are 16-bit (dtype=float16 or bfloat16: variables and compute
    in that dtype), a float32 softmax at the end."""
    def build(lib):
        L = lib.layers
        inp = lib.Input((6,), name="vec")
        x = L.Dense(5, activation="relu", dtype=dtype, name="d1")(inp)
        x = L.Dense(4, dtype=dtype, name="d2")(x)
        out = L.Activation("softmax", dtype="float32", name="probs")(x)
        return lib.Model(inp, out, name=dtype + "_mlp")
    return build


def main(out):
    out = os.path.join(out, "dtype16")
    reset_dir(out)
    manifest = {"versions": VERSIONS, "cases": {}}
    manifest["rounding"] = gen_rounding(out)
    default_tol = functional.TOL
    functional.TOL = 2e-2
    try:
        name = "mixed_bfloat16_cnn"
        desc = "small CNN under the mixed_bfloat16 policy, float32 softmax output"
        manifest["cases"][name] = functional.gen_case(out, name, mixed_bfloat16_cnn, desc, 16016, "model", False, fit=False)
        manifest["cases"][name]["tf_keras_vs_keras3_tolerance"] = functional.TOL
        functional.check_case(out, name, mixed_bfloat16_cnn, manifest["cases"][name], False, fit=False)
        # not bfloat16: tf_keras 2.21 cannot load the model.h5 it writes of Dense(dtype="bfloat16")
        # (batch_set_value: "ValueError: No cast function available."), nor Keras 3 its legacy.h5
        for i, dt in enumerate(["float16"]):
            name = dt + "_mlp"
            b = dtype_mlp(dt)
            desc = f"Dense layers with dtype={dt} (16-bit variables), every format"
            manifest["cases"][name] = functional.gen_case(out, name, b, desc, 16017 + i, "model", True, fit=False)
            manifest["cases"][name]["tf_keras_vs_keras3_tolerance"] = functional.TOL
            functional.check_case(out, name, b, manifest["cases"][name], True, fit=False)
    finally:
        functional.TOL = default_tol
    write_json(os.path.join(out, "manifest.json"), manifest)


if __name__ == "__main__":
    import sys
    main(sys.argv[1])
