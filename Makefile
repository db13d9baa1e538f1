# kerasgo: `make demo` runs the seed workflow, `make test` runs every test (the compat suite
# against real TensorFlow/Keras included). Both install what they need on a fresh machine.

SHELL := /bin/bash
VENV := $(CURDIR)/.venv
PY := $(VENV)/bin/python
REQ := testdata/gen/requirements.txt
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# libhdf5 on Debian lives under hdf5/serial; tell cgo where.
export CGO_CFLAGS := $(shell pkg-config --cflags hdf5 2>/dev/null)
export CGO_LDFLAGS := $(shell pkg-config --libs-only-L hdf5 2>/dev/null)

.PHONY: seaweedfs bench-s3
.PHONY: all deps venv build _build test test-go fuzz-short compat demo _demo fixtures bench _bench bench-compare _bench-compare clean

all: build

# System packages: libhdf5-dev (cgo for h5/), protobuf-compiler (regenerating internal/tfpb),
# pkg-config, chromium (the compat suite's screenshot of TensorBoard's scalars page).
# Installed from Debian only when missing.
deps:
	@if ! dpkg -s libhdf5-dev protobuf-compiler pkg-config >/dev/null 2>&1; then \
		echo "installing libhdf5-dev protobuf-compiler pkg-config"; \
		$(SUDO) apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q libhdf5-dev protobuf-compiler pkg-config; \
	fi
	@if ! command -v chromium >/dev/null 2>&1; then \
		echo "installing chromium"; \
		$(SUDO) apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q chromium; \
	fi
	@# graphviz: the compat suite draws Keras's plot_model pictures with it (kerasgo needs none)
	@if ! dpkg -s graphviz >/dev/null 2>&1; then \
		echo "installing graphviz"; \
		$(SUDO) apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q graphviz; \
	fi

# The pinned Python reference stack (real TensorFlow, tf_keras, Keras 3, h5py, NumPy).
venv: $(VENV)/.stamp
$(VENV)/.stamp: $(REQ)
	[ -x $(PY) ] || python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r $(REQ)
	touch $@

build: deps
	$(MAKE) --no-print-directory _build
_build:
	go build ./...
	CGO_ENABLED=0 go build ./...

# Every test: vet, unit tests, the pure-Go build, and the compat suite against real Python.
# Training results of TF are computed on this machine during the run (testdata/gen/reference.py,
# into a fresh KERASGO_REFDIR removed afterwards); KERASGO_TF_INTRA_THREADS and
# TF_ENABLE_ONEDNN_OPTS in the environment reach TF.
test: deps venv seaweedfs
	$(MAKE) --no-print-directory test-go

# SeaweedFS's weed, the S3 server of the object-storage tests (internal/s3test), built at a
# pinned version into ~/.cache/kerasgo/weed-VERSION/ when missing (about 12 minutes on 2
# cores the first time on a machine; it prints its progress).
seaweedfs:
	bash scripts/seaweedfs.sh

test-go:
	$(PY) -m unittest discover -s scripts -p 'bench_compare_test.py'
	go vet ./...
	CGO_ENABLED=0 go build ./...
	CGO_ENABLED=0 go vet ./...
	CGO_ENABLED=0 go test -count=1 ./h5/ ./model/
	go test -race -count=1 -run 'TestConcurrentPredict|TestConcurrentSaves' ./model/ ./h5/ ./checkpoint/ ./savedmodel/
	refdir=$$(mktemp -d) && trap 'rm -rf "$$refdir"' EXIT && \
		KERASGO_REFDIR=$$refdir KERASGO_PYTHON=$(PY) KERASGO_COMPAT=1 KERASGO_S3=1 go test -count=1 -timeout 60m ./...
	$(MAKE) --no-print-directory fuzz-short

# Every fuzz target, briefly (each also runs its seed corpus and the crashers committed under
# its package's testdata/fuzz in the plain `go test` above). Budgets are execution counts, not
# durations: Go 1.26's -fuzztime=Ns can fail at the deadline with a spurious "context
# deadline exceeded" (golang/go#75804). -fuzzminimizetime=1s keeps minimising new inputs from
# eating the budget.
FUZZ := go test -run '^$$' -fuzzminimizetime=1s
fuzz-short:
	$(FUZZ) -fuzz '^FuzzHDF5$$' -fuzztime 1500x ./h5/
	$(FUZZ) -fuzz '^FuzzKeras$$' -fuzztime 800x ./h5/
	$(FUZZ) -fuzz '^FuzzConfig$$' -fuzztime 3000x ./h5/
	$(FUZZ) -fuzz '^FuzzAttributes$$' -fuzztime 3000x ./h5/
	$(FUZZ) -fuzz '^FuzzBundle$$' -fuzztime 500x ./checkpoint/
	$(FUZZ) -fuzz '^FuzzKerasGraph$$' -fuzztime 800x ./checkpoint/
	$(FUZZ) -fuzz '^FuzzIndex$$' -fuzztime 5000x ./checkpoint/
	$(FUZZ) -fuzz '^FuzzStateText$$' -fuzztime 10000x ./checkpoint/
	$(FUZZ) -fuzz '^FuzzStringTensor$$' -fuzztime 10000x ./checkpoint/
	$(FUZZ) -fuzz '^FuzzParseTrackable$$' -fuzztime 2000x ./internal/objgraph/
	$(FUZZ) -fuzz '^FuzzReader$$' -fuzztime 10000x ./internal/table/
	$(FUZZ) -fuzz '^FuzzSavedModel$$' -fuzztime 30x ./savedmodel/
	$(FUZZ) -fuzz '^FuzzKerasMetadata$$' -fuzztime 200x ./savedmodel/
	$(FUZZ) -fuzz '^FuzzLowering$$' -fuzztime 20x ./savedmodel/
	$(FUZZ) -fuzz '^FuzzRead$$' -fuzztime 10000x ./npy/
	$(FUZZ) -fuzz '^FuzzDecodeCIFAR10$$' -fuzztime 5000x ./data/
	$(FUZZ) -fuzz '^FuzzFromConfig$$' -fuzztime 3000x ./layers/
	$(FUZZ) -fuzz '^FuzzMergeConfig$$' -fuzztime 5000x ./layers/
	$(FUZZ) -fuzz '^FuzzReshapingFromConfig$$' -fuzztime 5000x ./layers/
	$(FUZZ) -fuzz '^FuzzFromConfig$$' -fuzztime 30x ./model/
	$(FUZZ) -fuzz '^FuzzTrainingConfig$$' -fuzztime 3000x ./model/
	$(FUZZ) -fuzz '^FuzzEvents$$' -fuzztime 10000x ./internal/tfevents/

compat: deps venv
	KERASGO_PYTHON=$(PY) KERASGO_COMPAT=1 go test -count=1 -timeout 60m -v ./compat/...

# The seed workflow end to end (see README).
demo: deps
	$(MAKE) --no-print-directory _demo
_demo:
	go run ./cmd/kerasgo demo --out $(CURDIR)/out/demo

# Regenerate every fixture under testdata/ with real Keras.
fixtures: venv
	TF_CPP_MIN_LOG_LEVEL=3 $(PY) testdata/gen/generate.py --out testdata

bench: deps venv
	$(MAKE) --no-print-directory _bench
_bench:
	go test -run '^$$' -bench . -benchtime 3x ./...

# Go against TensorFlow, ONNX Runtime and OpenBLAS on this machine: two sessions of every
# comparison script (ABAB pairs), and the README's table between its bench-compare markers
# rewritten with the figures that reproduced (scripts/bench_compare.py).
bench-compare: deps venv
	$(MAKE) --no-print-directory _bench-compare
_bench-compare:
	$(PY) scripts/bench_compare.py --readme README.md

# Object storage against local disk and a plain S3 client: a 2 GB, 200-tensor checkpoint
# on SeaweedFS on loopback (figures in README.md). Not part of `make test`.
bench-s3: seaweedfs
	KERASGO_S3=1 KERASGO_S3_BENCH=1 go test -run '^$$' -bench 'BenchmarkS3' -benchtime 1x -timeout 60m ./internal/blobpath/

clean:
	rm -rf out
