package model

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
)

// isKerasDir reports whether dir is an unzipped Keras 3 model, by Keras 3's own test: a
// directory holding config.json (which the reader refuses unless it is a regular file).
func isKerasDir(dir string) bool {
	st, err := os.Stat(filepath.Join(dir, "config.json"))
	return err == nil && !st.IsDir()
}

// reWeightsShard matches a Keras 3 weights shard name: <base>_<5 digits>.weights.h5.
var reWeightsShard = regexp.MustCompile(`^(.+)_[0-9]{5}\.weights\.h5$`)

// checkShardedWeights refuses, with ErrUnsupported naming the file, the files of Keras 3's
// save_weights(path, max_shard_size=...) that are not read alone: a manifest (a JSON object
// with a "weight_map" key) under a name not ending in ".weights.json" (Keras reads a
// manifest by that name only), and a <name>_NNNNN.weights.h5 shard next to its manifest
// (it holds only part of the variables; the manifest is what to read).
func checkShardedWeights(path string) error {
	base := filepath.Base(path)
	if isShardManifest(path) {
		return fmt.Errorf("%w: a Keras 3 sharded weights manifest is read under a name ending in .weights.json", ErrUnsupported)
	}
	if m := reWeightsShard.FindStringSubmatch(base); m != nil {
		manifest := filepath.Join(filepath.Dir(path), m[1]+".weights.json")
		if st, err := os.Stat(manifest); err == nil && st.Mode().IsRegular() {
			return fmt.Errorf("%w: one shard of Keras 3 sharded weights: read its manifest %s", ErrUnsupported, filepath.Base(manifest))
		}
	}
	return nil
}

// isShardManifest sniffs the first KiB of a file for a JSON object with "weight_map".
func isShardManifest(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 1024)
	n, _ := io.ReadFull(f, head)
	head = bytes.TrimSpace(head[:n])
	return len(head) > 0 && head[0] == '{' && bytes.Contains(head, []byte(`"weight_map"`))
}
