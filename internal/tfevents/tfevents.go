// Package tfevents writes and reads TensorBoard event files: the files TensorFlow's summary
// writer (tf.summary.create_file_writer) leaves under a log directory, named
// events.out.tfevents.<seconds>.<host>.<pid>.<n>.v2.
//
// A file is a sequence of TFRecords, each
//
//	uint64 length (little endian)
//	uint32 masked CRC32C of the 8 length bytes
//	length bytes of data: one serialized tensorflow.Event
//	uint32 masked CRC32C of the data
//
// where masking is ((crc >> 15) | (crc << 17)) + 0xa282ead8, as TFRecord files mask every
// checksum. The first Event of a file carries file_version "brain.Event:2"; the others a
// Summary. Scalars are written as TF 2's tf.summary.scalar writes them: a Summary.Value with
// a rank-0 float32 tensor (tensor_content, little endian) and plugin metadata "scalars".
package tfevents

import (
	"encoding/binary"
	"hash/crc32"
	"math"

	"github.com/kerasgo/kerasgo/internal/errcat"
	"github.com/kerasgo/kerasgo/internal/tfpb"
)

var (
	// ErrFormat: a record or event that is not what the format allows.
	ErrFormat = errcat.New("tfevents: invalid format", errcat.ErrFormat)
	// ErrChecksum: a record whose stored CRC does not match its bytes.
	ErrChecksum = errcat.New("tfevents: checksum mismatch", errcat.ErrChecksum)
)

// FileVersion is the file_version of an event file's first Event.
const FileVersion = "brain.Event:2"

// SourceWriter is the source_metadata.writer TensorFlow's writer records.
const SourceWriter = "tensorflow.core.util.events_writer"

// Plugin names of the summaries kerasgo writes.
const (
	PluginScalars    = "scalars"
	PluginKerasModel = "graph_keras_model"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// MaskedCRC returns the masked CRC32C of b, as TFRecord files store it.
func MaskedCRC(b []byte) uint32 {
	c := crc32.Checksum(b, castagnoli)
	return ((c >> 15) | (c << 17)) + 0xa282ead8
}

// AppendRecord appends the TFRecord framing of data to dst.
func AppendRecord(dst, data []byte) []byte {
	var hdr [12]byte
	binary.LittleEndian.PutUint64(hdr[:8], uint64(len(data)))
	binary.LittleEndian.PutUint32(hdr[8:], MaskedCRC(hdr[:8]))
	dst = append(dst, hdr[:]...)
	dst = append(dst, data...)
	return binary.LittleEndian.AppendUint32(dst, MaskedCRC(data))
}

// ScalarValue returns the Summary.Value tf.summary.scalar writes in TF 2: a rank-0 float32
// tensor with the "scalars" plugin's metadata.
func ScalarValue(tag string, v float32) *tfpb.Summary_Value {
	return &tfpb.Summary_Value{
		Tag: tag,
		Value: &tfpb.Summary_Value_Tensor{Tensor: &tfpb.TensorProto{
			Dtype:         tfpb.DataType_DT_FLOAT,
			TensorShape:   &tfpb.TensorShapeProto{},
			TensorContent: binary.LittleEndian.AppendUint32(nil, math.Float32bits(v)),
		}},
		Metadata: &tfpb.SummaryMetadata{PluginData: &tfpb.SummaryMetadata_PluginData{PluginName: PluginScalars}},
	}
}

// KerasModelValue returns the Summary.Value Keras's TensorBoard callback writes for a model
// (tag "keras"): the model's JSON (model.to_json()) as a rank-0 string tensor with the
// "graph_keras_model" plugin's metadata (content "1"), which TensorBoard's Graphs page draws.
func KerasModelValue(modelJSON []byte) *tfpb.Summary_Value {
	return &tfpb.Summary_Value{
		Tag: "keras",
		Value: &tfpb.Summary_Value_Tensor{Tensor: &tfpb.TensorProto{
			Dtype:       tfpb.DataType_DT_STRING,
			TensorShape: &tfpb.TensorShapeProto{},
			StringVal:   [][]byte{modelJSON},
		}},
		Metadata: &tfpb.SummaryMetadata{PluginData: &tfpb.SummaryMetadata_PluginData{PluginName: PluginKerasModel, Content: []byte("1")}},
	}
}
