#!/usr/bin/env bash
# Regenerates the Go code in internal/tfpb from every .proto file in internal/tfpb/proto.
#
# Proto files are compiled with the repository root as the include path, so each one is
# registered under the unique path "internal/tfpb/proto/<name>.proto" and imports its
# neighbours by that path (import "internal/tfpb/proto/types.proto";). All files use
# proto package "tensorflow" and go_package "github.com/kerasgo/kerasgo/internal/tfpb".
#
# Needs protoc (Debian: protobuf-compiler). protoc-gen-go is installed at the pinned version
# into internal/tfpb/.bin when it is missing there.
set -euo pipefail

PROTOC_GEN_GO_VERSION=v1.36.12

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin="$here/.bin"

if ! command -v protoc >/dev/null; then
	echo "gen.sh: protoc not found (apt-get install protobuf-compiler)" >&2
	exit 1
fi
if [ ! -x "$bin/protoc-gen-go" ] || ! "$bin/protoc-gen-go" --version | grep -q "${PROTOC_GEN_GO_VERSION#v}"; then
	mkdir -p "$bin"
	GOBIN="$bin" go install "google.golang.org/protobuf/cmd/protoc-gen-go@$PROTOC_GEN_GO_VERSION"
fi

# Well-known types (google/protobuf/wrappers.proto) come with protoc's own include dir.
inc=()
for d in /usr/include /usr/local/include; do
	if [ -f "$d/google/protobuf/wrappers.proto" ]; then
		inc=(-I "$d")
		break
	fi
done

cd "$root"
rm -f internal/tfpb/*.pb.go
protoc -I . "${inc[@]}" \
	--plugin=protoc-gen-go="$bin/protoc-gen-go" \
	--go_out=. --go_opt=module=github.com/kerasgo/kerasgo \
	internal/tfpb/proto/*.proto
gofmt -l internal/tfpb >/dev/null
echo "gen.sh: generated $(ls internal/tfpb/*.pb.go | wc -l) files"
