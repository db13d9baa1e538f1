package model

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/kerasgo/kerasgo/checkpoint"
	"github.com/kerasgo/kerasgo/h5"
	"github.com/kerasgo/kerasgo/internal/blobpath"
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/savedmodel"
)

// Save writes the whole model (architecture, weights, training config and optimizer state)
// choosing the format from the path as Keras does: ".h5" or ".hdf5" → tf_keras's HDF5 file
// (Keras 2 dialect); ".keras" → Keras 3's zip archive; anything else → a TensorFlow
// SavedModel directory at path (Keras 2 dialect, as tf_keras's model.save(dir)).
func (m *Model) Save(path string) error {
	if isRemote(path) {
		return saveRemote("save", path, m.Save)
	}
	path = blobpath.Local(path)
	return m.saveAs(modelKind(path), "save", path)
}

// SaveWeights writes the weights only, choosing the format as Keras does: a name ending in
// ".weights.h5" → Keras 3's weights file (with the optimizer's variables when the model is
// compiled, as Keras 3 writes them); ".h5" or ".hdf5" → tf_keras's save_weights HDF5;
// anything else → a TensorFlow checkpoint with path as its prefix (with the optimizer state
// when the model is compiled, as tf_keras writes it).
//
// A ".weights.json" name is for sharded weights (SaveWeightsWith with MaxShardBytes): here
// it is refused, as Keras refuses it without max_shard_size.
func (m *Model) SaveWeights(path string) error {
	return m.SaveWeightsWith(path, SaveWeightsOptions{})
}

// SaveWeightsWith is SaveWeights with options (SaveWeights keeps the one-argument form the
// callbacks call). With o.MaxShardBytes set, a ".weights.json" or ".weights.h5" name gets
// Keras 3's sharded weights (save_weights(path, max_shard_size=MaxShardBytes/2**30)): the
// manifest NAME.weights.json and the shards NAME_00000.weights.h5, ... beside it; a
// checkpoint prefix gets data files .data-0000i-of-0000N of about that size each.
func (m *Model) SaveWeightsWith(path string, o SaveWeightsOptions) error {
	if isRemote(path) {
		return saveRemote("save weights", path, func(p string) error { return m.SaveWeightsWith(p, o) })
	}
	path = blobpath.Local(path)
	if o.NumShards != 0 && weightsKind(path) != saveCheckpoint {
		return opErr("save weights", path, fmt.Errorf("%w: NumShards is for checkpoints (use MaxShardBytes for Keras 3 sharded weights)", ErrUnsupported))
	}
	if o.MaxShardBytes < 0 {
		return opErr("save weights", path, fmt.Errorf("%w: MaxShardBytes %d is negative", ErrUnsupported, o.MaxShardBytes))
	}
	k := weightsKind(path)
	if h5.IsShardManifest(path) && o.MaxShardBytes == 0 {
		return opErr("save weights", path, fmt.Errorf("%w: a .weights.json name is for sharded weights: set SaveWeightsOptions.MaxShardBytes", ErrUnsupported))
	}
	if o.MaxShardBytes > 0 {
		switch k {
		case saveKeras3Weights, saveKeras3Sharded:
			k = saveKeras3Sharded
		case saveCheckpoint:
		default:
			return opErr("save weights", path, fmt.Errorf("%w: MaxShardBytes: tf_keras .h5 weights are not sharded (use .weights.json or a checkpoint prefix)", ErrUnsupported))
		}
	}
	if k.weightsOnly() && !m.Built() {
		return opErr("save weights", path, ErrNotBuilt)
	}
	sm, err := m.savedAs(k)
	if err != nil {
		return opErr("save weights", path, err)
	}
	switch k {
	case saveKeras3Sharded:
		err = h5.SaveWeightsKeras3Sharded(path, sm, o.MaxShardBytes)
	case saveCheckpoint:
		err = checkpoint.KerasOptions{Writer: checkpoint.WriterOptions{MaxShardBytes: o.MaxShardBytes, NumShards: o.NumShards}}.Save(path, sm)
	default:
		err = k.write(path, sm)
	}
	return opErr("save weights", path, err)
}

// SaveWeightsOptions configures SaveWeights. The zero value writes one file (one data file
// for a checkpoint), as Keras does by default.
type SaveWeightsOptions struct {
	// MaxShardBytes splits the weights: Keras 3 sharded weights for a ".weights.json" or
	// ".weights.h5" name (each shard at most this many bytes of variables; a larger variable
	// is refused), several data files for a checkpoint. 0 means no sharding.
	MaxShardBytes int64
	// NumShards, for a checkpoint prefix, writes the data in that many files at once, one
	// goroutine each, balanced by size (checkpoint.WriterOptions.NumShards). Not with
	// MaxShardBytes; other formats refuse it.
	NumShards int
}

// SaveKerasDir writes the whole model as Keras 3's model.save(dir, zipped=False) does: a
// directory holding config.json, metadata.json and model.weights.h5 (what a .keras zip
// holds, unzipped), which Load, LoadWeights and Keras 3's keras.saving.load_model(dir) read.
// As in Keras, dir must not end in ".keras" (Save(path.keras) writes the zip).
func (m *Model) SaveKerasDir(dir string) error {
	if isRemote(dir) {
		return saveRemote("save", dir, m.SaveKerasDir)
	}
	dir = blobpath.Local(dir)
	return m.saveAs(saveKerasDir, "save", dir)
}

// saveKind is one of the files Save, SaveWeights and SaveKerasDir write.
type saveKind int

const (
	saveH5            saveKind = iota // tf_keras's full-model .h5
	saveKeras                         // Keras 3's .keras zip
	saveKerasDir                      // Keras 3's unzipped model directory
	saveSavedModel                    // a TF SavedModel directory
	saveH5Weights                     // tf_keras's save_weights .h5
	saveKeras3Weights                 // Keras 3's .weights.h5
	saveCheckpoint                    // a TF checkpoint (tf_keras's save_weights to a prefix)
	saveKeras3Sharded                 // Keras 3's sharded weights (.weights.json + shards)
)

// modelKind is the file Save writes at path, chosen from its extension as Keras chooses it.
func modelKind(path string) saveKind {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".h5", ".hdf5":
		return saveH5
	case ".keras":
		return saveKeras
	}
	return saveSavedModel
}

// weightsKind is the file SaveWeights writes at path, chosen from its name as Keras
// chooses it.
func weightsKind(path string) saveKind {
	lower := strings.ToLower(path)
	switch {
	case strings.HasSuffix(lower, ".weights.h5"):
		return saveKeras3Weights
	case strings.HasSuffix(lower, h5.ManifestSuffix):
		return saveKeras3Sharded
	case strings.HasSuffix(lower, ".h5"), strings.HasSuffix(lower, ".hdf5"):
		return saveH5Weights
	}
	return saveCheckpoint
}

// dialect is the Keras dialect k is written in.
func (k saveKind) dialect() saved.Dialect {
	switch k {
	case saveKeras, saveKerasDir, saveKeras3Weights, saveKeras3Sharded:
		return saved.Keras3
	}
	return saved.Keras2
}

// weightsOnly reports whether k holds the weights (and optimizer state) without the
// architecture.
func (k saveKind) weightsOnly() bool {
	return k == saveH5Weights || k == saveKeras3Weights || k == saveKeras3Sharded || k == saveCheckpoint
}

// saveAs writes the model as k at path; op names the operation in errors.
func (m *Model) saveAs(k saveKind, op, path string) error {
	if k.weightsOnly() && !m.Built() {
		return opErr(op, path, ErrNotBuilt)
	}
	sm, err := m.savedAs(k)
	if err != nil {
		return opErr(op, path, err)
	}
	return opErr(op, path, k.write(path, sm))
}

// savedAs is the neutral saved form of the model as k keeps it.
func (m *Model) savedAs(k saveKind) (*saved.Model, error) {
	d := k.dialect()
	if k.weightsOnly() {
		sm := m.weightsToSaved(d)
		// Keras 3's save_weights and TF checkpoints keep the optimizer's variables too.
		if k == saveKeras3Weights || k == saveKeras3Sharded || k == saveCheckpoint {
			tc, opt, err := m.trainingToSaved(d)
			if err != nil {
				return nil, fmt.Errorf("training state: %w", err)
			}
			sm.TrainingConfig, sm.Optimizer = tc, opt
		}
		return sm, nil
	}
	if m.dyn != nil && k == saveSavedModel {
		// The TF graph kerasgo writes has the shapes its layers are built for.
		return nil, fmt.Errorf("%w: a SavedModel of a model whose inputs have dimensions of unknown size (None) besides the batch, %s: the graph kerasgo writes needs fixed shapes", ErrUnsupported, m.declaredString())
	}
	sm, err := m.toSaved(d)
	if err != nil {
		return nil, err
	}
	if k == saveSavedModel {
		// The graph of every layer, or the error saying which layer has none.
		if err := m.layerGraphs(sm, true); err != nil {
			return nil, err
		}
	}
	return sm, nil
}

// write hands sm to the codec that writes k. Without cgo the HDF5 writers (h5, .keras and
// Keras 3 directories) return h5's "built without cgo" error.
func (k saveKind) write(path string, sm *saved.Model) error {
	switch k {
	case saveH5:
		return h5.SaveModel(path, sm)
	case saveKeras:
		return h5.SaveKeras(path, sm)
	case saveKerasDir:
		return h5.SaveKerasDir(path, sm)
	case saveSavedModel:
		return savedmodel.Save(path, sm)
	case saveH5Weights:
		return h5.SaveWeights(path, sm)
	case saveKeras3Weights:
		return h5.SaveWeightsKeras3(path, sm)
	case saveCheckpoint:
		return checkpoint.SaveKerasWeights(path, sm)
	}
	return fmt.Errorf("%w: save kind %d", ErrUnsupported, k)
}

// readSaved reads the file of format f at path (a checkpoint's prefix) with the codec for
// it; maxTensorBytes is LoadOptions.MaxTensorBytes (0: the codec's default).
func readSaved(f Format, path string, o LoadOptions) (*saved.Model, error) {
	if isRemote(path) {
		return readRemote(f, path, o)
	}
	switch f {
	case FormatHDF5:
		return h5Options(o).Load(path)
	case FormatKeras:
		return h5Options(o).LoadKeras(path)
	case FormatSavedModel:
		return savedmodel.ReaderOptions{MaxTensorBytes: o.MaxTensorBytes, MaxTotalBytes: o.MaxTotalBytes,
			MaxConfigBytes: o.maxConfigBytes()}.Load(path)
	case FormatCheckpoint:
		return checkpoint.ReaderOptions{MaxTensorBytes: o.MaxTensorBytes, MaxTotalBytes: o.MaxTotalBytes}.LoadKerasWeights(path)
	}
	return nil, fmt.Errorf("%w: format %s", ErrUnsupported, f)
}

// h5Options are the limits of o for the HDF5 and .keras readers.
func h5Options(o LoadOptions) h5.ReadOptions {
	return h5.ReadOptions{MaxTensorBytes: o.MaxTensorBytes, MaxTotalBytes: o.MaxTotalBytes, MaxConfigBytes: o.maxConfigBytes()}
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
	if isRemote(path) {
		return remoteDetect(path)
	}
	path = blobpath.Local(path)
	fi, err := os.Stat(path)
	if err != nil {
		// A save killed mid-way may have left the model under a temporary name.
		checkpoint.Recover(path)
		if h5.IsShardManifest(path) {
			_ = h5.RecoverShards(path)
		}
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
	if h5.IsShardManifest(path) {
		return FormatHDF5, path, nil // the h5 reader merges the shards
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
	sm, err := readSaved(f, p, o)
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
