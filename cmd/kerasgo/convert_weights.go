package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/kerasgo/kerasgo/checkpoint"
	"github.com/kerasgo/kerasgo/h5"
	"github.com/kerasgo/kerasgo/internal/wconv"
	"github.com/kerasgo/kerasgo/model"
)

// convertWeights is `kerasgo convert --weights-only`: the weights of the model saved at src
// move to dst without the model being built (package wconv), so a model whose layer classes
// kerasgo does not implement converts too. configPath, when not "", is a JSON config that
// supplies the layers list the source lacks; the source's own (a model .h5 or .keras) is
// used otherwise.
func convertWeights(src, dst, configPath string, maxShard int64, w io.Writer) error {
	f, p, err := model.Detect(src)
	if err != nil {
		return err
	}
	var kind wconv.Source
	switch f {
	case model.FormatHDF5, model.FormatKeras:
		kind = wconv.SourceHDF5
	case model.FormatCheckpoint:
		kind = wconv.SourceCheckpoint
	case model.FormatSavedModel:
		kind = wconv.SourceSavedModel
	default:
		return fmt.Errorf("%w: %s: format %s", model.ErrUnsupported, src, f)
	}
	if f == model.FormatCheckpoint && configPath == "" && checkpointTarget(dst) {
		return copyCheckpoint(src, p, dst, maxShard, w)
	}
	o := wconv.Options{MaxShardBytes: maxShard}
	if configPath != "" {
		if o.Config, err = readConfig(configPath); err != nil {
			return err
		}
	}
	rep, err := wconv.Convert(p, kind, dst, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "converted %s → %s (weights: %s, %d variables of %d layers; layers list: %s)\n",
		src, dst, rep.Target, rep.Variables, rep.Layers, rep.Config)
	if rep.OptimizerLeftOut {
		fmt.Fprintln(w, "note: the optimizer state of the source is not converted")
	}
	return nil
}

// readConfig reads a --config file: JSON text, or a model file whose config is used (a .h5
// model file, a .keras archive).
func readConfig(path string) ([]byte, error) {
	if isJSON(path) {
		return os.ReadFile(path)
	}
	wf, err := h5.ReadWeightsFile(path)
	if err != nil {
		return nil, fmt.Errorf("--config: %w", err)
	}
	if len(wf.Config) == 0 {
		return nil, fmt.Errorf("%w: --config %s: the file holds no model config", model.ErrNoConfig, path)
	}
	return wf.Config, nil
}

// checkpointTarget reports whether dst names a TF checkpoint prefix to save_weights (no .h5,
// .hdf5, .keras or .weights.json name, not a directory).
func checkpointTarget(dst string) bool {
	lower := strings.ToLower(dst)
	for _, suf := range []string{".h5", ".hdf5", ".keras", ".json"} {
		if strings.HasSuffix(lower, suf) {
			return false
		}
	}
	st, err := os.Stat(dst)
	return err != nil || !st.IsDir()
}

// copyCheckpoint is `convert --weights-only` from a checkpoint to a checkpoint: the bundle is
// copied tensor by tensor (checkpoint.Copy: one tensor in memory at a time, every checksum
// verified, the optimizer state kept), into data files of at most maxShard bytes when set,
// and the folder's state file names it, as tf_keras's save_weights(prefix) leaves it.
func copyCheckpoint(src, prefix, dst string, maxShard int64, w io.Writer) error {
	if err := checkpoint.Copy(dst, prefix, checkpoint.WriterOptions{MaxShardBytes: maxShard}); err != nil {
		return err
	}
	dir, base := filepath.Split(dst)
	if dir == "" {
		dir = "."
	}
	if err := checkpoint.WriteState(dir, &checkpoint.State{ModelCheckpointPath: base, AllModelCheckpointPaths: []string{base}}); err != nil {
		return err
	}
	r, err := checkpoint.Open(dst)
	if err != nil {
		return err
	}
	defer r.Close()
	fmt.Fprintf(w, "converted %s → %s (weights: TF checkpoint copied tensor by tensor, %d tensors in %d data files)\n",
		src, dst, len(r.Keys()), r.NumShards())
	return nil
}
