package model

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/kerasgo/kerasgo/checkpoint"
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/savedmodel"
)

// codecs holds the codec functions Save and Load dispatch to. codecs.go wires the ones that
// exist; a nil entry makes the format fail with ErrUnsupported.
var codecs struct {
	saveH5              func(path string, m *saved.Model) error // tf_keras full-model .h5
	saveH5Weights       func(path string, m *saved.Model) error // tf_keras save_weights .h5
	saveH5WeightsKeras3 func(path string, m *saved.Model) error // Keras 3 .weights.h5
	saveKeras           func(path string, m *saved.Model) error // Keras 3 .keras zip
	saveCheckpoint      func(prefix string, m *saved.Model) error
	saveSavedModel      func(dir string, m *saved.Model) error

	// The loaders take the limits of LoadOptions (0: the codec's default).
	loadH5         func(path string, o LoadOptions) (*saved.Model, error) // any Keras HDF5 file
	loadKeras      func(path string, o LoadOptions) (*saved.Model, error) // .keras zip
	loadCheckpoint func(prefix string, o LoadOptions) (*saved.Model, error)
	loadSavedModel func(dir string, o LoadOptions) (*saved.Model, error)
}

func unavailable(format string) error {
	return fmt.Errorf("%w: format %s not available yet", ErrUnsupported, format)
}

// Save writes the whole model (architecture, weights, training config and optimizer state)
// choosing the format from the path as Keras does: ".h5" or ".hdf5" → tf_keras's HDF5 file
// (Keras 2 dialect); ".keras" → Keras 3's zip archive; anything else → a TensorFlow
// SavedModel directory at path (Keras 2 dialect, as tf_keras's model.save(dir)).
func (m *Model) Save(path string) error {
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".h5", ".hdf5":
		return m.saveWith(codecs.saveH5, "HDF5 (.h5)", path, saved.Keras2)
	case ".keras":
		return m.saveWith(codecs.saveKeras, "Keras 3 (.keras)", path, saved.Keras3)
	default:
		return m.saveWith(codecs.saveSavedModel, savedModelFormat, path, saved.Keras2)
	}
}

// savedModelFormat is the format name saveWith gives the SavedModel writer, which needs
// every layer's graph.
const savedModelFormat = "SavedModel"

func (m *Model) saveWith(fn func(string, *saved.Model) error, format, path string, d saved.Dialect) error {
	if fn == nil {
		return opErr("save", path, unavailable(format))
	}
	sm, err := m.toSaved(d)
	if err != nil {
		return opErr("save", path, err)
	}
	if format == savedModelFormat {
		// The graph of every layer, or the error saying which layer has none.
		if err := m.layerGraphs(sm, true); err != nil {
			return opErr("save", path, err)
		}
	}
	return opErr("save", path, fn(path, sm))
}

// SaveWeights writes the weights only, choosing the format as Keras does: a name ending in
// ".weights.h5" → Keras 3's weights file (with the optimizer's variables when the model is
// compiled, as Keras 3 writes them); ".h5" or ".hdf5" → tf_keras's save_weights HDF5;
// anything else → a TensorFlow checkpoint with path as its prefix (with the optimizer state
// when the model is compiled, as tf_keras writes it).
func (m *Model) SaveWeights(path string) error {
	lower := strings.ToLower(path)
	var fn func(string, *saved.Model) error
	var format string
	d := saved.Keras2
	withOptimizer := false
	switch {
	case strings.HasSuffix(lower, ".weights.h5"):
		// Keras 3's save_weights writes the optimizer's variables too.
		fn, format, d, withOptimizer = codecs.saveH5WeightsKeras3, "Keras 3 weights (.weights.h5)", saved.Keras3, true
	case strings.HasSuffix(lower, ".h5"), strings.HasSuffix(lower, ".hdf5"):
		fn, format = codecs.saveH5Weights, "HDF5 weights (.h5)"
	default:
		fn, format, withOptimizer = codecs.saveCheckpoint, "TF checkpoint", true
	}
	if fn == nil {
		return opErr("save weights", path, unavailable(format))
	}
	if !m.Built() {
		return opErr("save weights", path, ErrNotBuilt)
	}
	sm := m.weightsToSaved(d)
	if withOptimizer {
		tc, opt, err := m.trainingToSaved(d)
		if err != nil {
			return opErr("save weights", path, fmt.Errorf("training state: %w", err))
		}
		sm.TrainingConfig, sm.Optimizer = tc, opt
	}
	return opErr("save weights", path, fn(path, sm))
}

// Format is a file format Detect recognises.
type Format int

// The formats Detect recognises.
const (
	FormatUnknown    Format = iota
	FormatHDF5              // any Keras HDF5 file: full model, weights, Keras 3 .weights.h5
	FormatKeras             // a .keras zip archive, or an unzipped Keras 3 model directory
	FormatSavedModel        // a directory holding saved_model.pb
	FormatCheckpoint        // a TF checkpoint prefix (prefix.index exists)
)

func (f Format) String() string {
	switch f {
	case FormatHDF5:
		return "HDF5"
	case FormatKeras:
		return "Keras (.keras)"
	case FormatSavedModel:
		return "SavedModel"
	case FormatCheckpoint:
		return "TF checkpoint"
	}
	return "unknown"
}

var (
	hdf5Magic = []byte("\x89HDF\r\n\x1a\n")
	zipMagic  = []byte("PK\x03\x04")
)

// Detect finds the format of path from its content, not its name (real .keras files are
// sometimes HDF5): the HDF5 signature at offset 0, 512, 1024, 2048, ...; the zip signature
// at offset 0; a directory holding saved_model.pb; a directory holding config.json (Keras 3's
// model.save(dir, zipped=False), reported as FormatKeras); a checkpoint prefix (path.index
// exists); a directory holding a "checkpoint" state file. For a checkpoint it returns the
// prefix to read (for a directory, the one its state file names). Keras 3 sharded weights (a
// .weights.json manifest, or one of its shards) fail with ErrUnsupported.
func Detect(path string) (Format, string, error) {
	f, p, err := detect(path)
	return f, p, opErr("detect", path, err)
}

func detect(path string) (Format, string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		// A save killed mid-way may have left the model under a temporary name.
		checkpoint.Recover(path)
		savedmodel.Recover(path)
		if _, e2 := os.Stat(path + ".index"); e2 == nil {
			return FormatCheckpoint, path, nil
		}
		if fi, err = os.Stat(path); err != nil {
			return FormatUnknown, "", err
		}
	}
	if fi.IsDir() {
		if _, err := os.Stat(filepath.Join(path, "saved_model.pb")); err == nil {
			return FormatSavedModel, path, nil
		}
		if isKerasDir(path) {
			return FormatKeras, path, nil
		}
		if prefix, err := checkpointStatePrefix(path); err == nil {
			return FormatCheckpoint, prefix, nil
		} else if !os.IsNotExist(err) {
			return FormatUnknown, "", err
		}
		return FormatUnknown, "", fmt.Errorf("%w: a directory with neither saved_model.pb, config.json nor a checkpoint file", ErrUnsupported)
	}
	if !fi.Mode().IsRegular() { // a named pipe would block, a device never end
		return FormatUnknown, "", fmt.Errorf("%w: not a regular file", ErrFormat)
	}
	if err := checkShardedWeights(path); err != nil {
		return FormatUnknown, "", err
	}
	if _, err := os.Stat(path + ".index"); err == nil {
		return FormatCheckpoint, path, nil
	}
	if strings.HasSuffix(path, ".index") {
		return FormatCheckpoint, strings.TrimSuffix(path, ".index"), nil
	}
	f, err := os.Open(path)
	if err != nil {
		return FormatUnknown, "", err
	}
	defer f.Close()
	head := make([]byte, 8)
	if n, _ := io.ReadFull(f, head); n >= 4 && bytes.Equal(head[:4], zipMagic) {
		return FormatKeras, path, nil
	}
	for off := int64(0); off+8 <= fi.Size(); {
		if _, err := f.ReadAt(head, off); err != nil {
			break
		}
		if bytes.Equal(head, hdf5Magic) {
			return FormatHDF5, path, nil
		}
		if off == 0 {
			off = 512
		} else {
			off *= 2
		}
	}
	return FormatUnknown, "", fmt.Errorf("%w: not an HDF5 file, a .keras zip, a SavedModel or a checkpoint", ErrUnsupported)
}

// checkpointStatePrefix reads dir/checkpoint (a text CheckpointState) and returns the prefix
// its model_checkpoint_path names, resolved as checkpoint.ResolvePath does (relative to dir;
// an absolute path from another machine falls back to its base name in dir).
func checkpointStatePrefix(dir string) (string, error) {
	if _, err := os.Stat(filepath.Join(dir, checkpoint.StateFile)); err != nil {
		return "", err
	}
	s, err := checkpoint.ReadState(dir)
	if err != nil {
		return "", err
	}
	if s.ModelCheckpointPath == "" {
		return "", fmt.Errorf("%w: %s: no model_checkpoint_path", ErrFormat, filepath.Join(dir, checkpoint.StateFile))
	}
	return checkpoint.ResolvePath(dir, s.ModelCheckpointPath), nil
}

// LoadSaved reads any supported file or directory into the neutral saved form, detecting
// the format from the content (see Detect). opts may be omitted; of its limits LoadSaved
// uses MaxTensorBytes, MaxTotalBytes and MaxConfigBytes (each codec checks the config's size
// before decoding it).
func LoadSaved(path string, opts ...LoadOptions) (*saved.Model, error) {
	return loadSaved("load", path, optionsArg("LoadSaved", opts))
}

// loadSaved is LoadSaved with its errors reported as op's.
func loadSaved(op, path string, o LoadOptions) (*saved.Model, error) {
	f, p, err := detect(path)
	if err != nil {
		return nil, opErr(op, path, err)
	}
	var fn func(string, LoadOptions) (*saved.Model, error)
	switch f {
	case FormatHDF5:
		fn = codecs.loadH5
	case FormatKeras:
		fn = codecs.loadKeras
	case FormatSavedModel:
		fn = codecs.loadSavedModel
	case FormatCheckpoint:
		fn = codecs.loadCheckpoint
	}
	if fn == nil {
		return nil, opErr(op, path, unavailable(f.String()))
	}
	sm, err := fn(p, o)
	return sm, opErr(op, path, err)
}

// Load reads a whole model (architecture, weights, and training state when present) from an
// HDF5 file, a .keras archive or a SavedModel directory, detecting the format from the
// content. A weights-only file or a checkpoint has no architecture: Load then fails with
// ErrNoConfig (build the model and call LoadWeights). opts, which may be omitted, bound what
// the file may make Load allocate (see LoadOptions).
func Load(path string, opts ...LoadOptions) (*Model, error) {
	o := optionsArg("Load", opts)
	sm, err := LoadSaved(path, o)
	if err != nil {
		return nil, err
	}
	if len(sm.Config) == 0 {
		return nil, opErr("load", path, ErrNoConfig)
	}
	m, err := AdoptSaved(sm, o)
	if err != nil {
		return nil, opErr("load", path, err)
	}
	return m, nil
}

// LoadWeights sets the model's weights from any supported file (weights-only or whole
// model), detecting the format from the content. Matching follows opts, which may be omitted
// (by position, as Keras does by default); on error the model is unchanged.
//
// From a TF checkpoint (what SaveWeights("ckpt/w") and tf_keras's save_weights write), the
// optimizer state is restored too when the model is compiled, as tf_keras's load_weights
// does: the slot variables, the iteration count and the learning rate. The slots are checked
// with the weights (each must belong to a trainable weight of the model and have its shape),
// and nothing (weights or optimizer) changes unless everything matches. From a Keras 3
// weights file (.weights.h5, or the weights of a .keras archive) the optimizer state is
// restored too when the model is compiled, as Keras 3's load_weights does with a built
// optimizer: its variables (iteration, learning_rate, slots) are assigned by position; a
// file whose variable count differs from the compiled optimizer's is skipped with a warning,
// as Keras 3 skips it. Other HDF5 files give the weights only, as Keras's load_weights does.
func (m *Model) LoadWeights(path string, opts ...LoadWeightsOptions) error {
	o := optionsArg("LoadWeights", opts)
	f, _, err := detect(path)
	if err != nil {
		return opErr("load weights", path, err)
	}
	sm, err := loadSaved("load weights", path, LoadOptions{})
	if err != nil {
		return err
	}
	plan, skipped, pairs, err := m.planSavedWeights(sm, o)
	if err != nil {
		return opErr("load weights", path, err)
	}
	var opt *optimizerRestore
	switch o := sm.Optimizer; {
	case o == nil:
	case f == FormatCheckpoint:
		if opt, err = m.planOptimizerRestore(o, pairs); err != nil {
			return opErr("load weights", path, err)
		}
	case o.Variables != nil && sm.Dialect == saved.Keras3:
		// Keras 3 .weights.h5 / .keras: load_weights assigns the optimizer's variables by
		// position to the compiled optimizer.
		if opt, err = m.planKeras3Restore(optimizerLabel(o), o.Variables); err != nil {
			return opErr("load weights", path, err)
		}
	}
	apply(plan)
	m.warnings = append(m.warnings, skipped...)
	m.applyOptimizerRestore(opt)
	return nil
}
