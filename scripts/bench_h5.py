"""Times tf_keras on one .h5 model, for scripts/bench_h5.sh.

usage: bench_h5.py make DST          build the ~25M-parameter benchmark model and save it
       bench_h5.py load SRC          time tf_keras.models.load_model(SRC)
       bench_h5.py save SRC DST      load SRC, then time model.save(DST) (h5py does not sync)
       bench_h5.py save-fsync SRC DST  the same, then fsync DST and its folder (timed too)

Prints one JSON line {"op", "seconds", "cpu", "params"}: wall and CPU seconds (user+system of
all threads) of the timed phase.
"""
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import tf_keras as K

op = sys.argv[1]
if op == "make":
    L = K.layers
    m = K.Sequential([
        L.InputLayer(input_shape=(4096,)),
        L.Dense(4096, activation="relu", name="dense_1"),
        L.Dense(2048, activation="relu", name="dense_2"),
        L.Dense(10, activation="softmax", name="dense_3"),
    ], name="bench")
    m.save(sys.argv[2])
    print(json.dumps({"op": op, "seconds": 0, "cpu": 0, "params": int(m.count_params())}))
    sys.exit(0)
t0, c0 = time.perf_counter(), time.process_time()
m = K.models.load_model(sys.argv[2], compile=False)
dt, dc = time.perf_counter() - t0, time.process_time() - c0
if op in ("save", "save-fsync"):
    t0, c0 = time.perf_counter(), time.process_time()
    m.save(sys.argv[3])
    if op == "save-fsync":
        for p, flags in ((sys.argv[3], os.O_RDONLY), (os.path.dirname(os.path.abspath(sys.argv[3])), os.O_RDONLY)):
            fd = os.open(p, flags)
            os.fsync(fd)
            os.close(fd)
    dt, dc = time.perf_counter() - t0, time.process_time() - c0
print(json.dumps({"op": op, "seconds": dt, "cpu": dc, "params": int(m.count_params())}))
