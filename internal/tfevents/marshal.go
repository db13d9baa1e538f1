package tfevents

import (
	"math"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/kerasgo/kerasgo/internal/tfpb"
)

// MarshalEvent serializes e as TensorFlow (C++ protobuf) does: every field in field-number
// order, oneof members included. Go's protobuf puts oneof members after the other fields, so
// Event and Summary.Value are laid out here; their inner messages have no oneofs.
func MarshalEvent(e *tfpb.Event) ([]byte, error) {
	var b []byte
	if e.WallTime != 0 || math.Signbit(e.WallTime) {
		b = protowire.AppendTag(b, 1, protowire.Fixed64Type)
		b = protowire.AppendFixed64(b, math.Float64bits(e.WallTime))
	}
	if e.Step != 0 {
		b = protowire.AppendTag(b, 2, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(e.Step))
	}
	switch w := e.What.(type) {
	case *tfpb.Event_FileVersion:
		b = protowire.AppendTag(b, 3, protowire.BytesType)
		b = protowire.AppendString(b, w.FileVersion)
	case *tfpb.Event_GraphDef:
		b = protowire.AppendTag(b, 4, protowire.BytesType)
		b = protowire.AppendBytes(b, w.GraphDef)
	case *tfpb.Event_Summary:
		s, err := marshalSummary(w.Summary)
		if err != nil {
			return nil, err
		}
		b = protowire.AppendTag(b, 5, protowire.BytesType)
		b = protowire.AppendBytes(b, s)
	}
	if e.SourceMetadata != nil {
		m, err := deterministic(e.SourceMetadata)
		if err != nil {
			return nil, err
		}
		b = protowire.AppendTag(b, 10, protowire.BytesType)
		b = protowire.AppendBytes(b, m)
	}
	return b, nil
}

func deterministic(m proto.Message) ([]byte, error) {
	return proto.MarshalOptions{Deterministic: true}.Marshal(m)
}

func marshalSummary(s *tfpb.Summary) ([]byte, error) {
	var b []byte
	for _, v := range s.GetValue() {
		var vb []byte
		if v.Tag != "" {
			vb = protowire.AppendTag(vb, 1, protowire.BytesType)
			vb = protowire.AppendString(vb, v.Tag)
		}
		if sv, ok := v.Value.(*tfpb.Summary_Value_SimpleValue); ok {
			vb = protowire.AppendTag(vb, 2, protowire.Fixed32Type)
			vb = protowire.AppendFixed32(vb, math.Float32bits(sv.SimpleValue))
		}
		if v.NodeName != "" {
			vb = protowire.AppendTag(vb, 7, protowire.BytesType)
			vb = protowire.AppendString(vb, v.NodeName)
		}
		if tv, ok := v.Value.(*tfpb.Summary_Value_Tensor); ok {
			t, err := deterministic(tv.Tensor)
			if err != nil {
				return nil, err
			}
			vb = protowire.AppendTag(vb, 8, protowire.BytesType)
			vb = protowire.AppendBytes(vb, t)
		}
		if v.Metadata != nil {
			m, err := deterministic(v.Metadata)
			if err != nil {
				return nil, err
			}
			vb = protowire.AppendTag(vb, 9, protowire.BytesType)
			vb = protowire.AppendBytes(vb, m)
		}
		b = protowire.AppendTag(b, 1, protowire.BytesType)
		b = protowire.AppendBytes(b, vb)
	}
	return b, nil
}
