#!/usr/bin/env bash
# Builds SeaweedFS's `weed` (the S3 server the object-storage tests run on loopback, see
# internal/s3test) at a pinned version into ~/.cache/kerasgo/weed-VERSION/weed, unless it is
# there already. `go install ...@VERSION` is refused (SeaweedFS's go.mod has replace
# directives), so the module is downloaded from the module proxy and built inside a copy of
# it, where its go.mod is the main module's. About 12 minutes on 2 cores; a ~160 MB binary.
# A lock (flock on weed-VERSION.lock) lets concurrent runs wait for one build.
set -euo pipefail

VERSION=v0.0.0-20261109003541-7506e5f91cd6 # keep equal to internal/s3test.Version
MODULE=github.com/seaweedfs/seaweedfs
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/kerasgo"
OUT="$CACHE/weed-$VERSION"
BIN="$OUT/weed"

if [ -x "$BIN" ]; then
	echo "seaweedfs: $BIN (cached)"
	exit 0
fi
mkdir -p "$CACHE"
exec 9>"$OUT.lock"
if ! flock -n 9; then
	echo "seaweedfs: another build holds $OUT.lock; waiting"
	flock 9
fi
if [ -x "$BIN" ]; then
	echo "seaweedfs: $BIN (built by another run)"
	exit 0
fi

work=$(mktemp -d)
ticker=
cleanup() {
	# Never fails: a ticker already reaped, or a file left read-only, is no build error.
	[ -n "$ticker" ] && kill "$ticker" 2>/dev/null || true
	chmod -R u+w "$work" 2>/dev/null || true
	rm -rf "$work" || true
}
trap cleanup EXIT
echo "seaweedfs: downloading $MODULE@$VERSION from the module proxy"
# Outside any module, so that the download touches no go.mod.
src=$(cd "$work" && GO111MODULE=on GOFLAGS=-mod=mod go mod download -json "$MODULE@$VERSION" |
	sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
if [ -z "$src" ] || [ ! -f "$src/go.mod" ]; then
	echo "seaweedfs: go mod download gave no module directory" >&2
	exit 1
fi
cp -r "$src" "$work/seaweedfs"
chmod -R u+w "$work/seaweedfs"
echo "seaweedfs: building ./weed (about 12 minutes on 2 cores; progress every minute)"
start=$SECONDS
(
	while sleep 60; do
		echo "seaweedfs: still building ($(((SECONDS - start) / 60)) min)"
	done
) &
ticker=$!
mkdir -p "$OUT"
(cd "$work/seaweedfs" && GOFLAGS=-mod=mod CGO_ENABLED=0 go build -o "$OUT/weed.tmp" ./weed)
kill "$ticker" 2>/dev/null || true
ticker=
mv "$OUT/weed.tmp" "$BIN"
echo "seaweedfs: built $BIN in $(((SECONDS - start) / 60)) min $(((SECONDS - start) % 60)) s"
"$BIN" version || true
