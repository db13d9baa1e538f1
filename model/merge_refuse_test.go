package model

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/layers"
)

// TestSequentialRefusesMultiInput: merge layers (layers.MultiInput) take several tensors, so
// a Sequential refuses them when added and when read from a config, with an ErrUnsupported
// error naming the layer and saying why.
func TestSequentialRefusesMultiInput(t *testing.T) {
	multi := []layers.MultiInput{
		layers.NewAdd(layers.MergeOptions{Name: "m"}), layers.NewSubtract(), layers.NewMultiply(),
		layers.NewAverage(), layers.NewMaximum(), layers.NewMinimum(), layers.NewConcatenate(-1),
		layers.NewDot([]int{1}),
	}
	for _, l := range multi {
		m := NewSequential(dense(4, dns{Name: "a", InputShape: []int{3}}))
		err := m.Add(l)
		if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), l.Class()) || !strings.Contains(err.Error(), "several inputs") {
			t.Errorf("%s: Add: %v", l.Class(), err)
		}
		if len(m.Layers()) != 1 {
			t.Errorf("%s: the refused layer was added", l.Class())
		}
	}
	if err := NewSequential().Add(multi[0]); err == nil || !strings.Contains(err.Error(), `"m"`) {
		t.Errorf("Add before any input shape: %v", err)
	}
	cfg := map[string]any{"class_name": "Sequential", "config": map[string]any{"name": "s", "layers": []any{
		map[string]any{"class_name": multi[0].Class(), "config": map[string]any{"name": "merge_me", "batch_input_shape": []any{nil, 3}}},
	}}}
	b, _ := json.Marshal(cfg)
	_, err := FromConfig(b)
	if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "merge_me") || !strings.Contains(err.Error(), "several inputs") {
		t.Errorf("FromConfig: %v", err)
	}
}

// TestSequentialRefusesBidirectionalMergeNone: Bidirectional with merge_mode None returns two
// tensors, so a Sequential refuses it (added, or read from a config with "merge_mode": null),
// with an ErrUnsupported error naming the layer and saying why.
func TestSequentialRefusesBidirectionalMergeNone(t *testing.T) {
	gru := map[string]any{"class_name": "GRU", "config": map[string]any{"name": "gru", "units": 2, "return_sequences": true}}
	cfg := map[string]any{"class_name": "Sequential", "config": map[string]any{"name": "s", "layers": []any{
		map[string]any{"class_name": "Bidirectional", "config": map[string]any{"name": "bi_none", "layer": gru,
			"merge_mode": nil, "batch_input_shape": []any{nil, 4, 3}}},
	}}}
	b, _ := json.Marshal(cfg)
	_, err := FromConfig(b)
	if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "bi_none") || !strings.Contains(err.Error(), "merge_mode None") {
		t.Errorf("FromConfig: %v", err)
	}
	m := NewSequential()
	if err := m.Add(Input(4, 3)); err != nil {
		t.Fatal(err)
	}
	err = m.Add(layers.NewBidirectional(layers.NewLSTM(2), layers.BidirectionalOptions{Name: "bi2", MergeMode: "none"}))
	if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "bi2") || !strings.Contains(err.Error(), "several tensors") {
		t.Errorf("Add: %v", err)
	}
}
