"""testdata/layouts/: Keras 3 save layouts other than the .keras zip (issue 9).

  unzipped/               model.save("unzipped", zipped=False): config.json, metadata.json,
                          model.weights.h5 in a directory
  unzipped_dump/          its weights (weights.json + w/), optimizer variables in file order
                          (optimizer.json + slots/), x.npy and model.predict(x) as y.npy
  sharded/w.weights.json  model.save_weights("w.weights.json", max_shard_size=1e-6): the
                          manifest, plus w_00000.weights.h5 ... (one shard per ~1 KB)
"""

import json
import os
import sys

from common import K3, fresh, h5py, keras, log, np, reset_dir, save_npy, write_json, write_weights

INPUT = (6, 6, 2)


def build():
    fresh(K3, 11)
    m = keras.Sequential([
        keras.Input(INPUT),
        keras.layers.Conv2D(3, 3, name="conv"),
        keras.layers.BatchNormalization(name="bn"),
        keras.layers.Flatten(name="flatten"),
        keras.layers.Dense(4, name="dense"),
    ])
    m.compile(optimizer=keras.optimizers.Adam(), loss="mse", metrics=["mae"])
    x = np.random.RandomState(1).uniform(size=(4,) + INPUT).astype("float32")
    y = np.random.RandomState(2).uniform(size=(4, 4)).astype("float32")
    m.fit(x, y, batch_size=4, epochs=1, verbose=0, shuffle=False)  # one step
    return m, x


def main():
    d = os.path.join(os.path.abspath(sys.argv[1]), "layouts")
    reset_dir(d)
    m, x = build()

    # Unzipped .keras: a directory (Keras refuses a name ending in .keras with zipped=False).
    udir = os.path.join(d, "unzipped")
    m.save(udir, zipped=False)
    # Keras 3.15 leaves an empty assets/ directory when the path is absolute (its asset store
    # joins a temporary directory with the absolute path); git would not keep it anyway.
    adir = os.path.join(udir, "assets")
    if os.path.isdir(adir) and not os.listdir(adir):
        os.rmdir(adir)
    dump = os.path.join(d, "unzipped_dump")
    write_weights(dump, m)
    variables = []
    for i, v in enumerate(m.optimizer.variables):
        f = f"slots/{i:02d}.npy"
        save_npy(os.path.join(dump, f), v.numpy())
        variables.append({"index": i, "path": v.path, "shape": list(v.shape), "dtype": v.dtype, "file": f})
    write_json(os.path.join(dump, "optimizer.json"), {
        "class_name": type(m.optimizer).__name__, "iterations": int(m.optimizer.iterations.numpy()),
        "variables": variables})
    save_npy(os.path.join(dump, "x.npy"), x)
    y = m.predict(x, verbose=0)
    save_npy(os.path.join(dump, "y.npy"), y)

    # Sharded weights: manifest + shards.
    sdir = os.path.join(d, "sharded")
    os.makedirs(sdir)
    m.save_weights(os.path.join(sdir, "w.weights.json"), max_shard_size=1e-6)

    # Check with the real library.
    r = keras.saving.load_model(udir)
    for a, b in zip(r.get_weights(), m.get_weights()):
        assert np.array_equal(a, b), "unzipped weights"
    assert np.allclose(r.predict(x, verbose=0), y, atol=1e-6), "unzipped predictions"
    with h5py.File(os.path.join(udir, "model.weights.h5"), "r") as f:
        g = f["optimizer/vars"]
        assert len(g) == len(variables), (len(g), len(variables))
        for i, v in enumerate(m.optimizer.variables):
            assert np.array_equal(np.asarray(g[str(i)]), v.numpy()), ("optimizer var", i)
    assert sorted(os.listdir(udir)) == ["config.json", "metadata.json", "model.weights.h5"], os.listdir(udir)
    shards = sorted(f for f in os.listdir(sdir) if f.endswith(".weights.h5"))
    assert len(shards) >= 2 and shards[0] == "w_00000.weights.h5", shards
    with open(os.path.join(sdir, "w.weights.json")) as f:
        manifest = json.load(f)
    assert "weight_map" in manifest, manifest
    m2, _ = build()
    m2.load_weights(os.path.join(sdir, "w.weights.json"))
    for a, b in zip(m2.get_weights(), m.get_weights()):
        assert np.array_equal(a, b), "sharded weights"
    log(f"layouts: unzipped directory, {len(shards)} shards")


if __name__ == "__main__":
    main()
