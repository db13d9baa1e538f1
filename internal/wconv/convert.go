package wconv

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/kerasgo/kerasgo/checkpoint"
	"github.com/kerasgo/kerasgo/h5"
)

// Source is the kind of file Convert reads (as model.Detect finds it).
type Source int

// The sources Convert reads.
const (
	// SourceHDF5 is any Keras HDF5 file (tf_keras or Keras 3 legacy .h5, weights .h5,
	// .weights.h5), a .keras zip or an unzipped Keras 3 model directory.
	SourceHDF5 Source = iota + 1
	// SourceCheckpoint is an object-based TF checkpoint prefix (tf_keras save_weights).
	SourceCheckpoint
	// SourceSavedModel is a SavedModel directory: its variables checkpoint is read.
	SourceSavedModel
)

// Options configures Convert. The zero value is usable.
type Options struct {
	// Config is a model config JSON in either Keras dialect (model.to_json(), or a .keras
	// archive's config.json). Only the layers list is read: names, classes, trainable flags,
	// nesting. It takes the place of the source's own config; nil uses the source's, if any.
	Config json.RawMessage
	// MaxTensorBytes bounds one variable's size (0: the codecs' default).
	MaxTensorBytes int64
	// MaxShardBytes is the maximum shard size of a ".weights.json" destination (Keras 3
	// sharded weights), which needs it; for a checkpoint destination it splits the data into
	// files of about this size. 0: no sharding.
	MaxShardBytes int64
}

// Report says what Convert did.
type Report struct {
	Target string // "tf_keras HDF5 weights", "Keras 3 weights", "TF checkpoint"
	// Layers and Variables count the layers with weights and their variables written.
	Layers, Variables int
	// Config says where the layers list came from: "the source's", "--config" or "none".
	Config string
	// OptimizerLeftOut: the source holds optimizer state, which is not converted.
	OptimizerLeftOut bool
}

// Target formats, chosen from the destination's name as Keras chooses them.
const (
	targetLegacy     = "tf_keras HDF5 weights"
	targetKeras3     = "Keras 3 weights"
	targetCheckpoint = "TF checkpoint"
	// Keras 3 sharded weights: the .weights.json manifest and its shards.
	targetKeras3Sharded = "Keras 3 sharded weights"
)

// targetOf chooses the format of dst from its name, as save_weights does.
func targetOf(dst string) (string, error) {
	lower := strings.ToLower(dst)
	switch {
	case strings.HasSuffix(lower, ".weights.h5"):
		return targetKeras3, nil
	case strings.HasSuffix(lower, ".h5"), strings.HasSuffix(lower, ".hdf5"):
		return targetLegacy, nil
	case strings.HasSuffix(lower, ".keras"):
		return "", unsupportedf("a .keras archive holds the model's architecture too; weights alone go to a .weights.h5 (Keras 3), .h5 (tf_keras) or TF checkpoint prefix")
	case strings.HasSuffix(lower, ".weights.json"):
		return targetKeras3Sharded, nil
	}
	if st, err := os.Stat(dst); err == nil && st.IsDir() {
		return "", unsupportedf("%s is a directory: a TF checkpoint is written at a prefix (folder/weights)", dst)
	}
	return targetCheckpoint, nil
}

// Convert moves the weights of the model saved at src (read as kind; for a checkpoint, src
// is its prefix) to dst, in the format dst's name selects as Keras does: "x.weights.h5" Keras
// 3's save_weights layout, "x.h5" or "x.hdf5" tf_keras's, anything else a TF checkpoint prefix
// (with the folder's `checkpoint` state file) as tf_keras's save_weights(prefix) writes it. No
// layer is built or run, so the model's layer classes need not be ones kerasgo implements:
// each format's keys are mapped by that format's rules, and where the target's layout cannot
// be derived from the source (and the config, when there is one), Convert fails naming what is
// missing rather than write a file Keras would load wrongly. Optimizer state is left out.
func Convert(src string, kind Source, dst string, o Options) (*Report, error) {
	target, err := targetOf(dst)
	if err != nil {
		return nil, wrap(err)
	}
	if target == targetKeras3Sharded && o.MaxShardBytes <= 0 {
		return nil, wrap(unsupportedf("%s: Keras 3 sharded weights need a maximum shard size (kerasgo convert --max-shard-size)", dst))
	}
	if o.MaxShardBytes > 0 && target == targetLegacy {
		return nil, wrap(unsupportedf("%s: tf_keras .h5 weights are not sharded", dst))
	}
	if o.MaxShardBytes > 0 && target == targetKeras3 {
		target = targetKeras3Sharded
	}
	rep := &Report{Target: target, Config: "none"}
	var skel *model
	if o.Config != nil {
		if skel, err = fromConfig(o.Config); err != nil {
			return nil, wrap(fmt.Errorf("--config: %w", err))
		}
		rep.Config = "--config"
	}
	m, err := read(src, kind, skel, o, rep)
	if err != nil {
		return nil, wrap(fmt.Errorf("read %s: %w", src, err))
	}
	rep.Layers, rep.Variables = m.countWeights()
	if err := write(dst, target, m, o.MaxShardBytes); err != nil {
		return nil, wrap(fmt.Errorf("write %s: %w", dst, err))
	}
	return rep, nil
}

func wrap(err error) error { return fmt.Errorf("convert weights: %w", err) }

func read(src string, kind Source, skel *model, o Options, rep *Report) (*model, error) {
	switch kind {
	case SourceHDF5:
		wf, err := h5.ReadOptions{MaxTensorBytes: o.MaxTensorBytes}.ReadWeightsFile(src)
		if err != nil {
			return nil, err
		}
		if skel == nil && wf.Config != nil {
			if skel, err = fromConfig(wf.Config); err != nil {
				return nil, fmt.Errorf("the file's model config: %w", err)
			}
			rep.Config = "the source's"
		}
		if wf.Keras3 != nil {
			m, opt, err := fromKeras3(wf.Keras3, skel)
			rep.OptimizerLeftOut = opt
			return m, err
		}
		// The legacy layout's optimizer_weights are not read (they are never converted).
		rep.OptimizerLeftOut = wf.Config != nil && hasOptimizerWeights(src)
		return fromLegacy(wf.Legacy, skel)
	case SourceCheckpoint, SourceSavedModel:
		prefix := src
		if kind == SourceSavedModel {
			prefix = filepath.Join(src, "variables", "variables")
		}
		r, err := checkpoint.ReaderOptions{MaxTensorBytes: o.MaxTensorBytes}.Open(prefix)
		if err != nil {
			return nil, err
		}
		defer r.Close()
		m, opt, err := fromCheckpoint(r, skel)
		rep.OptimizerLeftOut = opt
		return m, err
	}
	return nil, unsupportedf("source kind %d", kind)
}

// hasOptimizerWeights reports whether a legacy full-model file lists optimizer weights.
func hasOptimizerWeights(path string) bool {
	vars, err := h5.List(path)
	if err != nil {
		return false
	}
	for _, v := range vars {
		if strings.HasPrefix(v.Path, "optimizer_weights/") {
			return true
		}
	}
	return false
}

func write(dst, target string, m *model, maxShard int64) error {
	switch target {
	case targetLegacy:
		groups, err := toLegacy(m)
		if err != nil {
			return err
		}
		return h5.SaveLegacyWeights(dst, groups, "")
	case targetKeras3:
		root, err := toKeras3(m)
		if err != nil {
			return err
		}
		return h5.SaveKeras3Weights(dst, root)
	case targetKeras3Sharded:
		root, err := toKeras3(m)
		if err != nil {
			return err
		}
		return h5.SaveKeras3WeightsSharded(dst, root, maxShard)
	}
	root, err := toCheckpoint(m)
	if err != nil {
		return err
	}
	if err := checkpoint.WriteObjects(dst, root, checkpoint.WriterOptions{MaxShardBytes: maxShard}); err != nil {
		return err
	}
	dir, base := filepath.Split(dst)
	if dir == "" {
		dir = "."
	}
	return checkpoint.WriteState(dir, &checkpoint.State{ModelCheckpointPath: base, AllModelCheckpointPaths: []string{base}})
}
