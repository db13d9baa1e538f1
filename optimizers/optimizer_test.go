package optimizers

import (
	"encoding/json"
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/kerasgo/kerasgo/internal/errcat"
	"github.com/kerasgo/kerasgo/internal/pyfmt"
	"github.com/kerasgo/kerasgo/internal/testref"
	"github.com/kerasgo/kerasgo/saved"
)

// TestConfigRoundTrip: what Config writes (as JSON text, as a file holds it), FromConfig
// reads back to an optimizer that writes the same config and has the same slots, in both
// dialects.
func TestConfigRoundTrip(t *testing.T) {
	opts := []Optimizer{
		Adam(), Adam(AdamOptions{LearningRate: 0.01, Beta1: 0.8, AMSGrad: true, Regularization: Regularization{ClipNorm: 1}}),
		SGD(), SGD(SGDOptions{Momentum: 0.9, Nesterov: true, Regularization: Regularization{WeightDecay: 0.01}}),
		RMSprop(), RMSprop(RMSpropOptions{Rho: 0.8, Momentum: 0.5, Centered: true, Zero: HyperEpsilon}),
	}
	for _, o := range opts {
		for _, d := range []saved.Dialect{saved.Keras2, saved.Keras3} {
			cfg := o.Config(d)
			want := string(pyfmt.JSON(cfg))
			v, err := pyfmt.Decode(pyfmt.JSON(pyfmt.Object{{"class_name", o.ClassName()}, {"config", cfg}}))
			if err != nil {
				t.Fatal(err)
			}
			back, class, _, err := FromConfig(v)
			if err != nil {
				t.Fatalf("%s: %v", want, err)
			}
			if class != o.ClassName() || back.ClassName() != o.ClassName() {
				t.Errorf("%s: class %q, %q", want, class, back.ClassName())
			}
			if got := string(pyfmt.JSON(back.Config(d))); got != want {
				t.Errorf("config:\n got %s\nwant %s", got, want)
			}
			if !slices.Equal(back.Slots(d == saved.Keras2), o.Slots(d == saved.Keras2)) {
				t.Errorf("%s: slots %v, want %v", want, back.Slots(d == saved.Keras2), o.Slots(d == saved.Keras2))
			}
		}
	}
	if _, err := Get("adagrad"); !errors.Is(err, errcat.ErrUnsupported) {
		t.Errorf("Get(adagrad): %v", err)
	}
	if o, err := Get("RMSprop"); err != nil || o.ClassName() != "RMSprop" {
		t.Errorf("Get(RMSprop): %v, %v", o, err)
	}
}

// TestClipGradientsMatchTF: clipnorm, global_clipnorm and clipvalue clip as tf.clip_by_norm,
// tf.clip_by_global_norm and tf.clip_by_value do.
func TestClipGradientsMatchTF(t *testing.T) {
	grads := [][]float32{{3, -4, 0.5}, {0.25, 10}, nil, {-0.1}}
	cases := []struct {
		name string
		opt  Optimizer
	}{
		{"clipnorm", SGD(SGDOptions{Regularization: Regularization{ClipNorm: 1.5}})},
		{"global_clipnorm", SGD(SGDOptions{Regularization: Regularization{GlobalClipNorm: 2}})},
		{"clipvalue", SGD(SGDOptions{Regularization: Regularization{ClipValue: 0.3}})},
	}
	var got [][][]float32
	var bufs [][]float32
	for _, c := range cases {
		out := ClipGradients(c.opt, grads, &bufs)
		got = append(got, cloneAll(out))
	}
	if none := ClipGradients(SGD(), grads, &bufs); !slices.EqualFunc(none, grads, slices.Equal) {
		t.Errorf("no clipping changed the gradients: %v", none)
	}
	if grads[0][0] != 3 {
		t.Error("clipping changed its input")
	}
	py := testref.Python(t)
	out := testref.RunPy(t, py, `
import json, sys
import tensorflow as tf
g = [tf.constant(x, tf.float32) for x in json.load(sys.stdin) if x]
res = [
    [tf.clip_by_norm(x, 1.5).numpy().tolist() for x in g],
    [x.numpy().tolist() for x in tf.clip_by_global_norm(g, 2.0)[0]],
    [tf.clip_by_value(x, -0.3, 0.3).numpy().tolist() for x in g],
]
print(json.dumps(res))
`, grads)
	var want [][][]float64
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatal(err)
	}
	for i, c := range cases {
		var nonNil [][]float32
		for _, g := range got[i] {
			if len(g) > 0 {
				nonNil = append(nonNil, g)
			}
		}
		if len(nonNil) != len(want[i]) {
			t.Fatalf("%s: %d gradients, TF %d", c.name, len(nonNil), len(want[i]))
		}
		for j := range nonNil {
			for k, v := range nonNil[j] {
				if math.Abs(float64(v)-want[i][j][k]) > 1e-6 {
					t.Errorf("%s: gradient %d[%d] = %v, TF %v", c.name, j, k, v, want[i][j][k])
				}
			}
		}
	}
}

func cloneAll(gs [][]float32) [][]float32 {
	out := make([][]float32, len(gs))
	for i, g := range gs {
		out[i] = slices.Clone(g)
	}
	return out
}
