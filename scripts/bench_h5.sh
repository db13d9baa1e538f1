#!/usr/bin/env bash
# Benchmark: save and load a ~25M-parameter Keras .h5 model with kerasgo's h5 package and
# with tf_keras (model.save / load_model) on this machine. Prints each run's time (of the
# operation itself, measured inside the process) and peak RSS (/usr/bin/time -v, whole
# process), then the ratios. kerasgo syncs a saved file to disk before renaming it into
# place; tf_keras (h5py) never syncs: the saves are timed both as each library ships (Go
# syncs, tf_keras does not), with sync off on both sides (h5.WriteOptions{NoSync}) and with
# sync on both sides (tf_keras's file and folder fsynced after model.save, inside the timing). Usage: scripts/bench_h5.sh [PYTHON] (default .venv/bin/python).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${1:-${KERASGO_PYTHON:-.venv/bin/python}}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
go build -o "$dir/bench_h5" scripts/bench_h5.go
"$PY" scripts/bench_h5.py make "$dir/ref.h5" >/dev/null 2>&1
size=$(stat -c %s "$dir/ref.h5")

run() { # name, command... → "seconds rss_kib"
	local name=$1
	shift
	# Start every run with no dirty pages of an earlier run waiting for writeback (which
	# throttles the next writer): not timed, the same for both sides.
	sync
	/usr/bin/time -v -o "$dir/$name.time" "$@" >"$dir/$name.out" 2>"$dir/$name.err"
	local sec rss
	sec=$(tail -n1 "$dir/$name.out" | sed 's/.*"seconds": *\([0-9.e-]*\).*/\1/')
	rss=$(grep 'Maximum resident set size' "$dir/$name.time" | awk '{print $NF}')
	echo "$sec $rss"
}

read -r go_load go_load_rss < <(run go_load "$dir/bench_h5" load "$dir/ref.h5")
read -r go_save go_save_rss < <(run go_save "$dir/bench_h5" save "$dir/ref.h5" "$dir/go.h5")
read -r go_save_ns go_save_ns_rss < <(run go_save_ns "$dir/bench_h5" save-nosync "$dir/ref.h5" "$dir/go_ns.h5")
read -r py_load py_load_rss < <(run py_load "$PY" scripts/bench_h5.py load "$dir/ref.h5")
read -r py_save py_save_rss < <(run py_save "$PY" scripts/bench_h5.py save "$dir/ref.h5" "$dir/py.h5")
read -r py_save_fs py_save_fs_rss < <(run py_save_fs "$PY" scripts/bench_h5.py save-fsync "$dir/ref.h5" "$dir/py_fs.h5")
params=$(tail -n1 "$dir/go_load.out" | sed 's/.*"params": *\([0-9]*\).*/\1/')

awk -v p="$params" -v size="$size" \
	-v gl="$go_load" -v gs="$go_save" -v pl="$py_load" -v ps="$py_save" \
	-v gsn="$go_save_ns" -v psf="$py_save_fs" \
	-v glr="$go_load_rss" -v gsr="$go_save_rss" -v plr="$py_load_rss" -v psr="$py_save_rss" 'BEGIN {
	printf "model: %d parameters, %.1f MiB .h5 (%.1f MiB of weights)\n", p, size/1048576, p*4/1048576
	printf "%-22s %12s %14s\n", "", "time (s)", "peak RSS (MiB)"
	printf "%-22s %12.3f %14.1f\n", "kerasgo h5.Load", gl, glr/1024
	printf "%-22s %12.3f %14.1f\n", "tf_keras load_model", pl, plr/1024
	printf "%-30s %12.3f %14.1f\n", "kerasgo h5.SaveModel (sync)", gs, gsr/1024
	printf "%-30s %12.3f\n", "kerasgo SaveModel NoSync", gsn
	printf "%-30s %12.3f %14.1f\n", "tf_keras model.save (no sync)", ps, psr/1024
	printf "%-30s %12.3f\n", "tf_keras model.save + fsync", psf
	printf "load: kerasgo is %.1fx faster, peak RSS %.2fx of tf_keras; RSS over weight bytes: %.1f MiB\n", pl/gl, glr/plr, glr/1024 - p*4/1048576
	printf "save as shipped (Go syncs, tf_keras does not): Go/TF %.2f, peak RSS %.2fx of tf_keras\n", gs/ps, gsr/psr
	printf "save, sync off on both sides: Go/TF %.2f; sync on both sides: Go/TF %.2f\n", gsn/ps, gs/psf
}'
