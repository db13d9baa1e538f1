package layers

import (
	"errors"
	"testing"

	"github.com/kerasgo/kerasgo/saved"
)

func TestGradNormalization(t *testing.T) {
	cases := []struct {
		name string
		l    Layer
		in   []int
	}{
		{"ln_last", NewLayerNormalization(), []int{3, 5}},
		{"ln_axes12", NewLayerNormalization(LayerNormOptions{Axis: []int{1, 2}}), []int{3, 4, 2}},
		{"ln_axis1_rank3", NewLayerNormalization(LayerNormOptions{Axis: []int{1}}), []int{4, 3}},
		{"ln_noscale", NewLayerNormalization(LayerNormOptions{NoScale: true, Epsilon: 1e-5}), []int{6}},
		{"ln_nocenter", NewLayerNormalization(LayerNormOptions{NoCenter: true}), []int{2, 6}},
		{"ln_rms", NewLayerNormalization(LayerNormOptions{RMSScaling: true}), []int{2, 6}},
		{"gn_2", NewGroupNormalization(2), []int{3, 3, 4}},
		{"gn_instance", NewGroupNormalization(-1), []int{5, 3}},
		{"gn_axis1", NewGroupNormalization(3, GroupNormOptions{Axis: 1}), []int{6, 2}},
		{"gn_noscale", NewGroupNormalization(1, GroupNormOptions{NoScale: true}), []int{2, 4}},
		{"unit_last", NewUnitNormalization(), []int{3, 5}},
		{"unit_axes", NewUnitNormalization(UnitNormOptions{Axis: []int{1, 2}}), []int{3, 4}},
		{"rescaling", NewRescaling(0.5, RescalingOptions{Offset: -1}), []int{3, 4}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := build(t, c.l, c.in)
			x := randTensor(NewRand(3), append([]int{3}, c.in...), -2, 2)
			gradCheck(t, l, x, 1e-2)
		})
	}
}

func TestNormalizationConfigErrors(t *testing.T) {
	for _, c := range []struct {
		class string
		cfg   map[string]any
		want  error
	}{
		{"LayerNormalization", map[string]any{"axis": "x"}, ErrFormat},
		{"GroupNormalization", map[string]any{"groups": 0.0}, ErrFormat},
		{"Rescaling", map[string]any{"scale": []any{1.0, 2.0}}, ErrUnsupported},
	} {
		if _, _, err := FromConfig(c.class, c.cfg, saved.Keras3); !errors.Is(err, c.want) {
			t.Errorf("%s %v: error %v, want %v", c.class, c.cfg, err, c.want)
		}
	}
	l, _, err := FromConfig("LayerNormalization", map[string]any{"axis": []any{0.0}}, saved.Keras2)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Build([]int{3}, NewRand(1)); !errors.Is(err, ErrUnsupported) {
		t.Errorf("batch axis: %v, want ErrUnsupported", err)
	}
	g, _, _ := FromConfig("GroupNormalization", map[string]any{"groups": 3.0}, saved.Keras2)
	if err := g.Build([]int{4}, NewRand(1)); !errors.Is(err, ErrShape) {
		t.Errorf("3 groups of 4 channels: %v, want ErrShape", err)
	}
}
