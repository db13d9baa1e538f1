package h5

import (
	"runtime"
	"sync"
)

// Names and limits that are part of the Keras HDF5 layouts (see doc.go and FORMATS.md §1, §2).
const (
	attrKerasVersion   = "keras_version"
	attrBackend        = "backend"
	attrModelConfig    = "model_config"
	attrTrainingConfig = "training_config"
	attrLayerNames     = "layer_names"
	attrWeightNames    = "weight_names"
	attrName           = "name" // Keras 3 vars groups

	groupModelWeights     = "model_weights"
	groupOptimizerWeights = "optimizer_weights"
	groupTopLevel         = "top_level_model_weights"
	groupLayers           = "layers"
	groupVars             = "vars"
	groupOptimizer        = "optimizer"
	groupTF213Layers      = "_layer_checkpoint_dependencies"
	groupMetrics          = "metrics" // tf_keras 2.13-2.15 .keras: metric accumulators

	// headerLimit is Keras's HDF5_OBJECT_HEADER_LIMIT: string-list attributes whose NumPy
	// fixed-width size exceeds it are split into name0, name1, ...
	headerLimit = 64512

	// The .keras zip members.
	memberMetadata = "metadata.json"
	memberConfig   = "config.json"
	memberWeights  = "model.weights.h5"

	// Versions written when the saved.Model does not say.
	defaultKeras2Version = "2.21.0"
	defaultKeras3Version = "3.15.1"
	defaultBackend       = "tensorflow"
)

// Limits on what is read from files.
const (
	// maxAttrBytes bounds the bytes of one string attribute (all its strings together).
	maxAttrBytes = 256 << 20
	// maxAttrElems bounds the element count of one attribute.
	maxAttrElems = 1 << 24
	// maxChunks bounds the number of name0, name1, ... pieces of a split attribute.
	maxChunks = 1 << 16
	// maxDepth bounds group nesting.
	maxDepth = 64
	// maxObjects bounds the objects visited in one file.
	maxObjects = 1 << 22
	// maxMetadataMember bounds metadata.json of a .keras file (Keras writes two fields).
	maxMetadataMember = 1 << 20
)

// libMu serialises every use of libhdf5, which is not built thread-safe.
var libMu sync.Mutex

// objKind is what a path names.
type objKind int

const (
	kindMissing objKind = iota
	kindGroup
	kindDataset
	kindOther
	kindSoftLink
	kindExternalLink
)

// HDF5 type classes (H5T_class_t).
const (
	classInteger  = 0
	classFloat    = 1
	classTime     = 2
	classString   = 3
	classBitfield = 4
	classOpaque   = 5
	classCompound = 6
	classRef      = 7
	classEnum     = 8
	classVlen     = 9
	classArray    = 10
)

// typeInfo describes an HDF5 datatype and dataspace.
type typeInfo struct {
	class    int
	size     int64
	signed   bool
	order    int // 0 little-endian, 1 big-endian, 2 other
	vlen     bool
	cset     int // 0 ASCII, 1 UTF-8
	strpad   int // 0 NULLTERM, 1 NULLPAD, 2 SPACEPAD
	superCls int // enum: base class; compound: 100 for a complex pair
	space    int // 0 scalar, 1 simple, 2 null
	dims     []uint64
}

// lockLib takes libMu and pins the goroutine to its OS thread for one whole operation:
// libhdf5 keeps its error stack (and the error-printing switch) per thread, so the calls of
// an operation and the reading of their errors must run on one thread. It returns the
// matching unlock.
func lockLib() func() {
	libMu.Lock()
	runtime.LockOSThread()
	silenceLib()
	return func() {
		runtime.UnlockOSThread()
		libMu.Unlock()
	}
}
