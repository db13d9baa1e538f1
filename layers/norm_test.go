package layers

import (
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
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

func TestGradBatchNormAxis(t *testing.T) {
	for _, c := range []struct {
		name   string
		axis   int
		in     []int
		frozen bool
	}{
		{"axis1_rank4", 1, []int{3, 2, 4}, false},
		{"axis2_rank4", 2, []int{2, 3, 4}, false},
		{"axis-2_rank3", -2, []int{3, 4}, false},
		{"axis1_frozen", 1, []int{3, 2, 2}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			bn := NewBatchNormalization()
			bn.SetAxis(c.axis)
			l := build(t, bn, c.in).(*BatchNormalization)
			if l.SetTrainable(!c.frozen); len(l.gamma.Value.Shape) != 1 || l.gamma.Value.Shape[0] != l.ch {
				t.Fatalf("gamma shape %v", l.gamma.Value.Shape)
			}
			gradCheck(t, l, randTensor(NewRand(4), append([]int{4}, c.in...), -2, 2), 1e-2)
		})
	}
}

func TestNormalizationLayer(t *testing.T) {
	l := NewNormalization(NormalizationOptions{Axis: []int{1}})
	if err := l.Build([]int{3, 2}, NewRand(1)); err != nil {
		t.Fatal(err)
	}
	x := randTensor(NewRand(2), []int{5, 3, 2}, -3, 5)
	if err := l.Adapt(x); err != nil {
		t.Fatal(err)
	}
	if got := l.count.Value.Float32s()[0]; got != 5 {
		t.Errorf("count %v, want 5", got)
	}
	// After adapting on x, each kept position of Forward(x) has mean 0 and variance 1.
	y, err := l.Forward(x, false)
	if err != nil {
		t.Fatal(err)
	}
	yd := y.Float32s()
	for k := range 3 {
		var s, s2 float64
		for b := range 5 {
			for j := range 2 {
				v := float64(yd[b*6+k*2+j])
				s += v
				s2 += v * v
			}
		}
		if m, v := s/10, s2/10-(s/10)*(s/10); math.Abs(m) > 1e-5 || math.Abs(v-1) > 1e-4 {
			t.Errorf("position %d: mean %g variance %g", k, m, v)
		}
	}
	gradCheck(t, l, x, 1e-2)
	inv := NewNormalization(NormalizationOptions{Invert: true, Mean: []float64{1, 2}, Variance: []float64{4, 9}})
	if err := inv.Build([]int{2}, NewRand(1)); err != nil || len(inv.Weights()) != 0 {
		t.Fatalf("constant statistics: %v, %d weights", err, len(inv.Weights()))
	}
	y, _ = inv.Forward(tensor.MustFromFloat32([]int{1, 2}, []float32{1, -1}), false)
	if got := y.Float32s(); got[0] != 3 || got[1] != -1 {
		t.Errorf("invert: %v, want [3 -1]", got)
	}
	gradCheck(t, inv, randTensor(NewRand(2), []int{3, 2}, -1, 1), 1e-2)
}

func TestGradResample(t *testing.T) {
	for _, c := range []struct {
		name string
		l    Layer
		in   []int
	}{
		{"resize_bilinear_up", NewResizing(5, 7), []int{3, 4, 2}},
		{"resize_bilinear_down", NewResizing(2, 3), []int{5, 7, 1}},
		{"resize_nearest", NewResizing(5, 3, ResizingOptions{Interpolation: "nearest"}), []int{3, 4, 2}},
		{"resize_crop", NewResizing(3, 3, ResizingOptions{CropToAspectRatio: true}), []int{4, 7, 2}},
		{"centercrop", NewCenterCrop(2, 3), []int{5, 6, 2}},
		{"centercrop_small", NewCenterCrop(6, 3), []int{4, 5, 1}},
		{"randomcrop", NewRandomCrop(3, 3), []int{4, 6, 2}},
	} {
		t.Run(c.name, func(t *testing.T) {
			l := build(t, c.l, c.in)
			x := randTensor(NewRand(3), append([]int{2}, c.in...), -2, 2)
			if _, err := l.Forward(x, false); err != nil {
				t.Fatal(err)
			}
			if _, ok := l.(*RandomCrop); ok {
				// inference only: training-mode crops are refused
				if _, err := l.Forward(x, true); !errors.Is(err, ErrUnsupported) {
					t.Fatalf("training Forward: %v, want ErrUnsupported", err)
				}
				return
			}
			gradCheck(t, l, x, 1e-2)
		})
	}
}

func TestAugmentationIdentity(t *testing.T) {
	l, _, err := FromConfig("RandomRotation", map[string]any{"factor": 0.1, "fill_mode": "nearest", "seed": 3.0}, saved.Keras2)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Build([]int{3, 4, 2}, NewRand(1)); err != nil {
		t.Fatal(err)
	}
	x := randTensor(NewRand(1), []int{2, 3, 4, 2}, -1, 1)
	y, err := l.Forward(x, false)
	if err != nil || !slices.Equal(y.Float32s(), x.Float32s()) {
		t.Fatalf("inference: %v, identity %v", err, err == nil && slices.Equal(y.Float32s(), x.Float32s()))
	}
	if _, err := l.Forward(x, true); !errors.Is(err, ErrUnsupported) {
		t.Errorf("training: %v, want ErrUnsupported", err)
	}
	c3 := l.Config(saved.Keras3)
	if c3["fill_mode"] != "nearest" || c3["seed"] != 3.0 || c3["data_format"] != "channels_last" || c3["rng_type"] != nil {
		t.Errorf("Keras 3 config %v", c3)
	}
	if _, _, err := FromConfig("RandomZoom", map[string]any{}, saved.Keras3); !errors.Is(err, ErrFormat) {
		t.Errorf("RandomZoom without height_factor: %v, want ErrFormat", err)
	}
	rc, _, _ := FromConfig("RandomCrop", map[string]any{"height": 3.0, "width": 3.0}, saved.Keras3)
	if err := rc.Build([]int{4, 6, 1}, NewRand(1)); err != nil {
		t.Fatal(err)
	}
	if _, err := rc.Forward(randTensor(NewRand(1), []int{1, 4, 6, 1}, -1, 1), false); !errors.Is(err, ErrUnsupported) {
		t.Errorf("Keras 3 RandomCrop of another size: %v, want ErrUnsupported", err)
	}
}
