package objgraph

import (
	"errors"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/kerasgo/kerasgo/internal/tfpb"
	"github.com/kerasgo/kerasgo/tensor"
)

func TestParseTrackable(t *testing.T) {
	g := &tfpb.TrackableObjectGraph{Nodes: []*tfpb.TrackableObjectGraph_TrackableObject{
		{Children: []*tfpb.TrackableObjectGraph_TrackableObject_ObjectReference{{NodeId: 1, LocalName: "layer"}}},
		{},
	}}
	b, err := proto.Marshal(g)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseTrackable(&tensor.Tensor{DType: tensor.String, Data: [][]byte{b}})
	if err != nil || len(got.Nodes) != 2 || got.Nodes[0].Children[0].LocalName != "layer" {
		t.Fatalf("ParseTrackable = %v, %v", got, err)
	}
	g.Nodes[0].Children[0].NodeId = 2
	bad, _ := proto.Marshal(g)
	for name, tt := range map[string]*tensor.Tensor{
		"nil":       nil,
		"float32":   {DType: tensor.Float32, Shape: []int{1}, Data: []float32{1}},
		"two":       {DType: tensor.String, Shape: []int{2}, Data: [][]byte{b, b}},
		"garbage":   {DType: tensor.String, Data: [][]byte{{0xff, 0xff, 0xff}}},
		"dangling":  {DType: tensor.String, Data: [][]byte{bad}},
		"wrongdata": {DType: tensor.String, Data: []float32{1}},
	} {
		if _, err := ParseTrackable(tt); !errors.Is(err, ErrFormat) {
			t.Errorf("%s: error %v, want ErrFormat", name, err)
		}
	}
}
