package checkpoint

import "fmt"

// On-disk names and constants of the tensor_bundle (checkpoint V2) format.
const (
	// HeaderKey is the index key of the BundleHeaderProto entry (the empty string sorts first).
	HeaderKey = ""
	// ObjectGraphKey holds the serialized TrackableObjectGraph of object-based checkpoints
	// as a scalar string tensor.
	ObjectGraphKey = "_CHECKPOINTABLE_OBJECT_GRAPH"
	// StateFile is the name of the text-proto CheckpointState file in a checkpoint folder.
	StateFile = "checkpoint"

	// bundleVersion is kTensorBundleVersion, written as the header's producer version.
	bundleVersion = 1
	// minProducer and consumer are the version range this reader accepts, as TensorFlow's.
	minProducer = 0
	consumer    = 1

	// maxShards bounds num_shards read from a header.
	maxShards = 1 << 20
)

// Object-graph naming (TF python/trackable and python/checkpoint).
const (
	attributesSuffix = "/.ATTRIBUTES/VARIABLE_VALUE"
	slotMarker       = "/.OPTIMIZER_SLOT/"
	variableValue    = "VARIABLE_VALUE"
)

// IndexFile returns the name of a bundle's index file: prefix + ".index".
func IndexFile(prefix string) string { return prefix + ".index" }

// DataFile returns the name of data shard i of n: prefix + ".data-00000-of-00001".
func DataFile(prefix string, i, n int) string {
	return fmt.Sprintf("%s.data-%05d-of-%05d", prefix, i, n)
}
