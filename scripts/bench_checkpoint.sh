#!/usr/bin/env bash
# Benchmark: write and read a 400 MB checkpoint (100M float32 parameters in 100 tensors)
# with kerasgo's checkpoint package and with tf.train.Checkpoint, and copy its bytes with
# cp, on this machine. Prints each time, the ratios and peak RSS (from /usr/bin/time -v).
#
# usage: scripts/bench_checkpoint.sh [WORKDIR]   (needs .venv with tensorflow; ~1.5 GB disk)
# Page cache is warm for the reads (the files were just written); each run is a new process.
# kerasgo syncs what it writes before the renames; TensorFlow never syncs: writes are timed as
# each ships (Go syncs, TF does not), with sync off on both sides (WriterOptions{NoSync}) and
# on both sides (TF's files and folder fsynced after the write, inside the timing).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
py=${KERASGO_PYTHON:-$root/.venv/bin/python}
work=${1:-$(mktemp -d /tmp/bench_checkpoint.XXXXXX)}
mkdir -p "$work"
trap 'rm -rf "$work/go" "$work/tf" "$work/copy" "$work/go_ns" "$work/tf_fs"' EXIT

(cd "$root" && go build -o "$work/bench_checkpoint" ./scripts/bench_checkpoint)

# run NAME CMD...: runs CMD under /usr/bin/time -v; sets $secs (from the JSON the command
# prints, the timed phase only) and $rss (peak resident set, MiB).
run() {
	local name=$1
	shift
	# Start every run with no dirty pages of an earlier run waiting for writeback (which
	# throttles the next writer): not timed, the same for both sides.
	sync
	/usr/bin/time -v "$@" >"$work/$name.out" 2>"$work/$name.time"
	secs=$(sed -n 's/.*"[a-z]*_s": *\([0-9.e+-]*\).*/\1/p' "$work/$name.out" | head -1)
	if [ -z "$secs" ]; then
		echo "bench_checkpoint.sh: $name printed no timing:" >&2
		cat "$work/$name.out" "$work/$name.time" >&2
		exit 1
	fi
	rss=$(awk -F: '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$work/$name.time")
}

mkdir -p "$work/go" "$work/tf" "$work/copy"
run go_write "$work/bench_checkpoint" write "$work/go/ckpt"; gw=$secs gwr=$rss
mkdir -p "$work/go_ns" "$work/tf_fs"
run go_write_ns "$work/bench_checkpoint" write-nosync "$work/go_ns/ckpt"; gwn=$secs
rm -rf "$work/go_ns"
run go_read "$work/bench_checkpoint" read "$work/go/ckpt"; gr=$secs grr=$rss
run tf_write "$py" "$root/scripts/bench_checkpoint.py" write "$work/tf/ckpt"; tw=$secs twr=$rss
run tf_write_fs "$py" "$root/scripts/bench_checkpoint.py" write-fsync "$work/tf_fs/ckpt"; twf=$secs
rm -rf "$work/tf_fs"
run tf_read "$py" "$root/scripts/bench_checkpoint.py" read "$work/tf/ckpt"; tr=$secs trr=$rss
data="$work/go/ckpt.data-00000-of-00001"
bytes=$(stat -c %s "$data")
# Plain copies of the data file: cp (may use copy_file_range, copying in the kernel) and dd
# through user space with 4 MiB blocks, as a program reading and writing the bytes would.
start=$(date +%s.%N)
cp "$data" "$work/copy/data"
end=$(date +%s.%N)
cpt=$(echo "$end - $start" | bc -l)
rm -f "$work/copy/data"
start=$(date +%s.%N)
dd if="$data" of="$work/copy/data" bs=4M 2>/dev/null
end=$(date +%s.%N)
ddt=$(echo "$end - $start" | bc -l)

awk -v b="$bytes" -v gw="$gw" -v gwn="$gwn" -v twf="$twf" -v gr="$gr" -v tw="$tw" -v tr="$tr" -v cp="$cpt" -v dd="$ddt" \
	-v gwr="$gwr" -v grr="$grr" -v twr="$twr" -v trr="$trr" 'BEGIN {
	mb = b / 1e6
	printf "checkpoint: %.0f MB (100 float32 tensors of 1024x1024), %s\n", mb, "warm page cache"
	printf "%-28s %9s %10s %12s\n", "", "seconds", "MB/s", "peak RSS MiB"
	printf "%-28s %9.3f %10.0f %12d\n", "kerasgo write (sync)", gw, mb/gw, gwr
	printf "%-28s %9.3f %10.0f\n", "kerasgo write NoSync", gwn, mb/gwn
	printf "%-28s %9.3f %10.0f %12d\n", "tf.train.Checkpoint write", tw, mb/tw, twr
	printf "%-28s %9.3f %10.0f\n", "tf write + fsync", twf, mb/twf
	printf "%-28s %9.3f %10.0f %12d\n", "kerasgo read (+crc32c)", gr, mb/gr, grr
	printf "%-28s %9.3f %10.0f %12d\n", "tf.train.Checkpoint read", tr, mb/tr, trr
	printf "%-28s %9.3f %10.0f\n", "cp of the data file", cp, mb/cp
	printf "%-28s %9.3f %10.0f\n", "dd bs=4M of the data file", dd, mb/dd
	printf "ratios: write Go/TF %.2f as shipped (Go syncs, TF does not), %.2f sync off on both sides, %.2f sync on both; read Go/TF %.2f\n", gw/tw, gwn/tw, gw/twf, gr/tr
	printf "        Go write/cp %.2f, Go write/dd %.2f, Go read/cp %.2f, Go read/dd %.2f\n", gw/cp, gw/dd, gr/cp, gr/dd
	printf "Go read peak RSS minus tensor bytes: %.0f MiB\n", grr - b/1048576
}'
